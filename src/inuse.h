/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_INUSE_H
#define VFIO_EARLY_INUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "protect-set.h"

/*
 * Is something below @d in use: a mounted filesystem, an active swap, a
 * block device held by another (dm, md, bcache) or opened exclusively (a
 * mount, an md array, a ZFS pool)?  Fills @why when it is.
 */
bool protect_in_use(int rootfd, bool live, const struct pci_dev *d, char *why, size_t size);

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
