/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MODALIAS_H
#define VFIO_EARLY_MODALIAS_H

/*
 * Which modules would bind a PCI function, as udev would load them: the
 * function's modalias looked up with libkmod (modprobe.d aliases, then
 * modules.alias, then the built-in aliases), never a list of names.  A
 * module directory with the text modules.alias and no modules.alias.bin
 * (a test root, a hand-made copy) is matched from the text, as libkmod
 * matches its index (fnmatch).
 */
#include <stdbool.h>
#include <stddef.h>

struct kmod_ctx;
struct pci_dev;

/* "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", as the kernel writes it. */
#define MODALIAS_PCI_LEN 53
int modalias_format(const struct pci_dev *d, char *buf, size_t size);

/*
 * The names of the modules that match @d, each followed by a space, into
 * @buf ("" when none).  0, or a negative errno (-ENOSPC: @buf too small,
 * the names that fit are there).
 */
int modalias_modules(struct kmod_ctx *ctx, const struct pci_dev *d, char *buf, size_t size);

/* Does @module (with '-' and '_' alike) match @d? */
bool modalias_module_matches(struct kmod_ctx *ctx, const char *module,
			     const struct pci_dev *d);

/* @module (@len bytes, '-' and '_' alike) among the names modalias_modules() gave. */
bool modalias_list_has(const char *names, const char *module, size_t len);

#endif
