/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTECT_SET_H
#define VFIO_EARLY_PROTECT_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

struct pci_tree;
struct pci_dev;

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

void protect_free(struct protect *p);
int protect_add(struct protect *p, const struct pci_addr *a, const char *why);
/* The same, for a device that carries the management network when @mgmt. */
int protect_add_need(struct protect *p, const struct pci_addr *a, const char *why, bool mgmt);
const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a);
void protect_set_unverified(struct protect *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A need whose controller was not found (said once each, at most 64). */
void protect_add_missing(struct protect *p, const char *what);

/* Fill in path and ids from @t. */
void protect_complete(struct protect *p, struct pci_tree *t);

/* One entry's identity (ids, class, stable path) as the list records it, from @d. */
void protect_identify(struct protected_dev *e, struct pci_tree *t, const struct pci_dev *d);

/* Add the other members of each protected device's IOMMU group. */
void protect_add_groups(struct protect *p, struct pci_tree *t);

#endif
