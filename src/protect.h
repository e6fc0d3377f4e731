/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTECT_H
#define VFIO_EARLY_PROTECT_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"
#include "protect-set.h"

struct pci_tree;
struct pci_dev;

/* Where the needs of a host are read from. */
struct protect_sources {
	const char *root_spec;		/* root= */
	const char *resume_spec;	/* resume= */
	const char *net_root;		/* the command line's network root, or NULL */
	const char *net_dev;		/* ip=...:DEVICE:..., or NULL */
	const char *sysroot;		/* where the host's / is mounted: "" or "root" */
	char **zfs_vdevs;		/* POOL=/dev/DEV, from zpool(8) at image build */
	size_t nzfs;
	bool zfs_given;			/* the image build asked zpool(8) */
};


/*
 * The root filesystem is mounted from a device or the network (a booted
 * host, or the late pass's new root under @sysroot), not the initramfs.
 */
bool protect_root_mounted(int rootfd, const char *sysroot);

/*
 * Everything the host needs, from the running system: /, every fstab entry
 * without nofail or noauto, active and fstab swap, crypttab sources,
 * resume=, a network root's interface; through partitions, dm, md, bcache,
 * btrfs members, ZFS vdevs and NVMe multipath down to the PCI controllers,
 * with the devices above them that are not bridges and their IOMMU groups.
 * Needs without a controller are in p->missing.  @t is the walked tree
 * (pci_scan): a device's class is read through it.
 */
void protect_resolve_host(struct protect *p, struct pci_tree *t, int rootfd, bool live,
			  const struct protect_sources *src);

struct ruleset;
/* The command line's part of @src: root=, resume=, a network root, ip=. */
void protect_sources_from(struct protect_sources *src, const struct ruleset *rs);

/*
 * The protected set for a run that may bind.  On a booted host, and in the
 * late pass (@sysroot: where the host's root is mounted, relative to the
 * root), it is resolved from the mounted system and every candidate's use
 * is checked.  In the initramfs (@sysroot NULL, / not mounted from a
 * device) it is the image build's list, verified against this machine.
 * Says once whether it is verified, and why not.
 */
void protect_for_run(struct protect *p, struct pci_tree *t, int rootfd, bool live,
		     const struct protect_sources *src, const char *sysroot);

/* A block device given by the user (--list-protected DEVICE). */
int protect_resolve_device(struct protect *p, struct pci_tree *t, int rootfd, bool live,
			   const char *devpath);




#endif
