/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTECT_H
#define VFIO_EARLY_PROTECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parse.h"

struct pci_tree;
struct pci_dev;

/* The image build writes this list; the early pass verifies it at boot. */
#define PROTECTED_FILE "lib/vfio-early/protected"
#define PROTECTED_FORMAT 3
#define PROTECT_WHY_LEN 192
#define MACHINE_ID_LEN 40

struct protected_dev {
	struct pci_addr addr;
	char why[PROTECT_WHY_LEN];	/* what it holds, or why it goes along */
	/* Its identity, as the list records it and the boot checks it. */
	char path[PATH_STRLEN];		/* stable path; "" behind a VMD */
	uint16_t vendor;
	uint16_t device;
	uint16_t subvendor;
	uint16_t subdevice;
	uint32_t class;
	bool has_ids;
	/*
	 * It carries the host's management network and nothing the boot
	 * needs: kept unless a rule names it (address, path) with allow-network.
	 */
	bool mgmt;
};

/*
 * The PCI devices the host needs to boot, and how sure we are of them.
 * Verified: resolved from the running system (a booted host, the late
 * pass), or the image build's list matched this machine entry by entry.
 */
struct protect {
	struct protected_dev *v;
	size_t n;
	size_t cap;
	bool verified;
	bool live_fs;		/* resolved from mounted filesystems: check use too */
	bool live;		/* the running system: /dev can be opened */
	bool net_root;		/* the root filesystem is on the network */
	char unverified[256];	/* why it is not verified */
	unsigned errors;	/* the list could not be read, or lines of it */
	char **missing;		/* needs whose controller was not found */
	size_t nmissing;
	char machine[MACHINE_ID_LEN];	/* this machine, "" when unknown */
	/*
	 * Devices that held a block device when the image was built, needed
	 * or not: an unverified run does not take them before the root is
	 * mounted, whatever their class.
	 */
	struct protected_dev *carriers;
	size_t ncarriers;
};

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

void protect_free(struct protect *p);
int protect_add(struct protect *p, const struct pci_addr *a, const char *why);
/* The same, for a device that carries the management network when @mgmt. */
int protect_add_need(struct protect *p, const struct pci_addr *a, const char *why, bool mgmt);
const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a);
void protect_set_unverified(struct protect *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* This machine's DMI product UUID, lower case, or "" (unreadable, placeholder). */
void protect_machine_id(int rootfd, char buf[MACHINE_ID_LEN]);

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

/* Fill in path and ids from @t. */
void protect_complete(struct protect *p, struct pci_tree *t);

/* One entry's identity (ids, class, stable path) as the list records it, from @d. */
void protect_identify(struct protected_dev *e, struct pci_tree *t, const struct pci_dev *d);

/* Add the other members of each protected device's IOMMU group. */
void protect_add_groups(struct protect *p, struct pci_tree *t);

/* The list in the format the early pass reads (--list-protected). */
void protect_write_list(FILE *f, const struct protect *p);

/*
 * The early pass: DIR/lib/vfio-early/protected, each entry found in @t by
 * its stable path and checked by its ids, protected at its address now.
 * Anything amiss leaves p->verified false with the reason.
 */
void protect_load_list(struct protect *p, struct pci_tree *t, int rootfd);

/*
 * Is something below @d in use: a mounted filesystem, an active swap, a
 * block device held by another (dm, md, bcache) or opened exclusively (a
 * mount, an md array, a ZFS pool)?  Fills @why when it is.
 */
bool protect_in_use(int rootfd, bool live, const struct pci_dev *d, char *why, size_t size);

/*
 * NVMe native multipath: call @fn with the sysfs link of each controller of
 * the subsystem that the block device @link lives in, until it returns true.
 * The number of controllers seen, -ENOENT when @link is not in a subsystem,
 * or another negative errno when the subsystem cannot be read.
 */
int nvme_subsystem_each(int rootfd, const char *link,
			bool (*fn)(const char *ctrl_link, void *arg), void *arg);

/*
 * The devices that an unverified run leaves to the late pass: those that
 * can carry a disk the boot needs (mass storage, USB, SD/MMC, FireWire and
 * Thunderbolt controllers, anything behind an external-facing port, and
 * whatever held a block device when the image was built) and, with a
 * network root, network controllers.  Returns @d when it is one, else a
 * member of its IOMMU group or a device below it that is, else NULL; @kind
 * says what the returned device is ("a USB host controller").
 */
const struct pci_dev *protect_needs_proof(const struct protect *p, struct pci_tree *t,
					  const struct pci_dev *d, const char **kind);

/*
 * Devices that held a block device, other than those already protected,
 * into p->carriers (--list-protected).
 */
void protect_find_carriers(struct protect *p, struct pci_tree *t, int rootfd);

#endif
