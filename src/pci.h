/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PCI_H
#define VFIO_EARLY_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parse.h"

#define DRIVER_NAME_LEN 64

struct pci_dev {
	struct pci_addr addr;
	char name[PCI_ADDR_STRLEN];	/* the kernel's name, e.g. 0000:01:00.0 */
	uint16_t vendor;
	uint16_t device;
	uint16_t subvendor;
	uint16_t subdevice;
	uint32_t class;			/* 24 bits: base, sub, prog-if */

	/* Read on demand by pci_load() for the devices that matter. */
	bool loaded;
	bool boot_vga;
	bool is_vf;			/* an SR-IOV virtual function */
	bool on_root_bus;		/* integrated: no bridge above it */
	bool has_override_attr;
	int iommu_group;		/* -1: none */
	char driver[DRIVER_NAME_LEN];	/* "" when unbound */
	char override[DRIVER_NAME_LEN];	/* "" for "(null)" */

	int plan;			/* index into the plan, -1 when not in it */
};

struct pci_tree {
	int rootfd;
	int devfd;			/* sys/bus/pci/devices */
	struct pci_dev *dev;
	size_t n;
	bool iommu;			/* sys/kernel/iommu_groups has groups */
	unsigned skipped;		/* entries skipped during the walk */
};

/* Cap on devices; 65536 functions per domain, several domains. */
#define PCI_DEVICES_MAX (1u << 20)

/*
 * Walk DIR/sys/bus/pci/devices.  Reads one attribute per device (modalias,
 * which carries vendor, device, subsystem ids and class); the rest is read
 * by pci_load() for the few devices that need it.  Entries that are
 * malformed or vanish are logged and skipped.  Returns 0 or a negative errno
 * when the directory itself cannot be read.
 */
int pci_scan(struct pci_tree *t, int rootfd);
void pci_tree_free(struct pci_tree *t);

struct pci_dev *pci_find(const struct pci_tree *t, const struct pci_addr *a);

/* Read driver, override, IOMMU group, boot_vga, VF and topology facts. */
void pci_load(struct pci_tree *t, struct pci_dev *d);

/*
 * Read ATTR of @d, a "0x"-prefixed hex attribute (vendor, class...), of at
 * most @max.  Only @d's name is used.  0 or a negative errno.
 */
int pci_read_hex_attr(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      unsigned long max, unsigned long *v);

/* Re-read the driver link (after binding). */
int pci_read_driver(const struct pci_tree *t, const struct pci_dev *d, char *buf,
		    size_t size);

/* Every device of an IOMMU group, in address order. Caller frees *out. */
int pci_group_members(const struct pci_tree *t, int group, struct pci_dev ***out,
		      size_t *n);

/*
 * Resolve a stable path: the devices it names (one function, or every
 * function of the final slot).  Caller frees *out; *n may be 0.
 */
int pci_resolve_path(const struct pci_tree *t, const struct path_spec *p,
		     struct pci_dev ***out, size_t *n);

/* Deeper than any real PCI hierarchy: root port, switches, the device. */
#define PCI_CHAIN_MAX 16

/*
 * The addresses from @d's root-bus device down to @d itself, read from its
 * sysfs link (../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0):
 * the count, or a negative errno.
 */
int pci_chain(const struct pci_tree *t, const struct pci_dev *d, struct pci_addr *v, size_t max);

/* The stable path of @d (root-bus device, then slot.function hops). */
int pci_stable_path(const struct pci_tree *t, const struct pci_dev *d, char *buf,
		    size_t size);

/* First function of the same slot, for the functions of one card. */
static inline bool pci_same_slot(const struct pci_dev *a, const struct pci_dev *b)
{
	return a->addr.domain == b->addr.domain && a->addr.bus == b->addr.bus &&
	       a->addr.slot == b->addr.slot;
}

/* The indexes of the first and last function of @d's slot in t->dev. */
void pci_slot_range(const struct pci_tree *t, const struct pci_dev *d, size_t *first,
		    size_t *last);

static inline unsigned pci_base_class(const struct pci_dev *d)
{
	return d->class >> 16;
}

static inline bool pci_is_bridge(const struct pci_dev *d)
{
	return pci_base_class(d) == 0x06;
}

/*
 * One attribute of one PCI device: DEVICE/ATTR below the tree's
 * sys/bus/pci/devices.  The device's name must be a PCI address as the
 * kernel prints it, and @attr one sysfs name (sysfs_name_ok(), at most
 * SYSFS_ATTR_MAX characters: vendor, driver_override, vfio-dev) or one of
 * the fixed sub-paths the binding needs ("driver/unbind").  Anything else
 * is a bug in the caller: it is logged and refused with -EINVAL, and no
 * path is built from it.
 */
#define SYSFS_ATTR_MAX 32

/* read_attr() of the attribute; its results, or -EINVAL for a refused name. */
ssize_t pci_attr_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size);

/* write_attr() of the attribute; its results, or -EINVAL for a refused name. */
int pci_attr_write(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		   const char *s, bool append);

/*
 * read_link() of the attribute (driver, iommu_group...); NULL or "" reads
 * the device's own link in sys/bus/pci/devices.
 */
ssize_t pci_link_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size);

/* Whether the attribute is there (a link is not followed); false when refused. */
bool pci_attr_exists(const struct pci_tree *t, const struct pci_dev *d, const char *attr);

/* Parse "pci:v0000XXXXd0000XXXXsv0000XXXXsd0000XXXXbcXXscXXiXX". */
int parse_pci_modalias(const char *s, struct pci_dev *d);

#endif
