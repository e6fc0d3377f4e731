/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MODLOAD_H
#define VFIO_EARLY_MODLOAD_H

#include <stdbool.h>
#include <stddef.h>

/* The driver vfio-early hands devices to, and the module that provides it. */
#define VFIO_PCI "vfio-pci"

/*
 * The running kernel's release: DIR/proc/sys/kernel/osrelease; else, for
 * this machine's own "/", uname(2); for any other root, the one directory
 * in DIR/lib/modules (or DIR/usr/lib/modules), and -ENOENT when there is
 * none or more than one: another root never gets this machine's kernel.
 */
int modload_kernel_release(int rootfd, char *buf, size_t size);

struct kmod_ctx;

/* kmod_new() with our logging, and without libkmod's own output. */
struct kmod_ctx *modload_open(const char *dirname, const char *const *config);

/*
 * modload_open() for DIR/lib/modules/KVER (KVER into @kver) and, under a test
 * root, DIR's modprobe.d instead of the host's.  (libkmod still adds the
 * host's /proc/cmdline to module options: take those from
 * modload_legacy_ids() and modload_vfio(), never from this context.)
 */
struct kmod_ctx *modload_open_root(const char *root, int rootfd, char *kver, size_t size);

/*
 * Load vfio-pci with libkmod from DIR/lib/modules/KVER, with its
 * dependencies and softdeps, honouring modprobe.d.  When @insert is false
 * (a test root, or a dry run) modules are resolved and logged, never
 * inserted.  @extra (NULL or "name=value ...") goes after the options
 * modprobe.d gives.  Returns 0 when vfio-pci is (or would be) available.
 */
int modload_vfio(const char *root, int rootfd, bool insert, const char *extra);

/*
 * Load the module @name names (a name or an alias) and what it needs, as
 * modprobe(8) does, from DIR/lib/modules/KVER; without @insert, resolve and
 * log only.  0 when it is (or would be) there, -ENOENT when the kernel has
 * no such module, or the error of the load.
 */
int modload_module(const char *root, int rootfd, const char *name, bool insert);

/* Has DIR/lib/modules/@kver a module (file or built in) that @name names? */
bool modload_has_module(const char *root, const char *kver, const char *name);

/*
 * vfio-pci's own ids= (from modprobe.d, and from the command line as
 * libkmod merges it) as ids rules, so they pass the safety policy: vfio-pci
 * is loaded without them.
 */
struct ruleset;
void modload_legacy_ids(const char *root, int rootfd, struct ruleset *rs);

/*
 * Each element of vfio-pci's ids= as boot gets it: libkmod's options on the
 * running system; under a test root, the root's modprobe.d and command
 * line (as libkmod would read them there).  The elements are not checked:
 * give them to parse_kernel_ids().  0, or a negative errno.
 */
typedef void (*ids_fn)(void *data, const char *id, size_t len);
int modload_vfio_pci_ids(const char *root, int rootfd, ids_fn fn, void *data);

#endif
