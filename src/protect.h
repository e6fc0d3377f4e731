/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTECT_H
#define VFIO_EARLY_PROTECT_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"
#include "rules.h"

/* The image build writes this list; the binary honours it at boot. */
#define PROTECTED_FILE "lib/vfio-early/protected"

struct protected_dev {
	struct pci_addr addr;
	char why[96];
};

/* PCI devices that hold the root filesystem; never handed to vfio-pci. */
struct protect {
	struct protected_dev *v;
	size_t n;
	size_t cap;
	bool unreadable;	/* the image build's list exists but cannot be read */
};

void protect_free(struct protect *p);
int protect_add(struct protect *p, const struct pci_addr *a, const char *why);
const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a);

/* DIR/lib/vfio-early/protected; bad lines count as rule errors in @rs. */
void protect_load_file(struct protect *p, int rootfd, struct ruleset *rs);

/*
 * The controllers under the root filesystem: root= from the command line
 * (libblkid on the live system; /dev/disk/by-* links under a test root)
 * and the device mounted at / (from proc/self/mountinfo).  A root that is
 * not visible yet (early boot) is not an error: the list file covers it.
 */
void protect_resolve_root(struct protect *p, int rootfd, bool live, const char *root_spec);

/* A block device path given by the user (--list-protected DEVICE). */
int protect_resolve_device(struct protect *p, int rootfd, bool live, const char *devpath);

#endif
