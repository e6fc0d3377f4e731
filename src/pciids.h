/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PCIIDS_H
#define VFIO_EARLY_PCIIDS_H

#include <stddef.h>
#include <stdint.h>

#define PCIIDS_NAME_LEN 128

struct pciids_want {
	uint16_t vendor;
	uint16_t device;
	char vendor_name[PCIIDS_NAME_LEN];	/* "" when unknown */
	char device_name[PCIIDS_NAME_LEN];
};

/*
 * Fill in names from the pci.ids database under DIR (usr/share/misc,
 * usr/share/hwdata, usr/share), one pass over the file for all wanted ids.
 * Returns 0, or -ENOENT when no database is installed.
 */
int pciids_lookup(int rootfd, struct pciids_want *w, size_t n);

/* "VGA compatible controller" for 0x0300, NULL when not in the table. */
const char *pci_class_name(uint32_t class24);

#endif
