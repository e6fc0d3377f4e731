/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_VARIANT_H
#define VFIO_EARLY_VARIANT_H

/*
 * vfio-pci variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci,
 * pds_vfio_pci, nvgrace_gpu_vfio_pci...): a PCI driver built on
 * vfio-pci-core that a VM uses as it uses vfio-pci, with device-specific
 * parts (live migration, a GPU's coherent memory).  Their device tables are
 * "override only": the kernel binds one only to a device whose
 * driver_override names it, and modpost writes their entries to
 * modules.alias with the prefix "vfio_pci:" instead of "pci:".
 *
 * The choice, as libvirt makes it: the device's modalias with "vfio_pci:"
 * for "pci:", matched against every "vfio_pci:" alias; the entry with the
 * fewest wildcards wins.  vfio-pci's own entry matches every device with
 * seven, so a variant for the device wins over it, and vfio-pci is what is
 * left.
 */
#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

struct plan;

/* A module name, as modules.alias spells them. */
#define VARIANT_MODULE_LEN 64

struct variant_alias {
	char *pattern;			/* "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*" */
	char module[VARIANT_MODULE_LEN];
	unsigned wild;			/* its '*', '?' and '[' */
};

/* The "vfio_pci:" lines of one kernel's modules.alias. */
struct variant_table {
	struct variant_alias *v;
	size_t n;
	int err;			/* 0, or why the file could not be read */
};

/*
 * Read DIR/lib/modules/KVER/modules.alias (@kver one path component).
 * 0, or a negative errno, also kept in vt->err.
 */
int variant_table_load(struct variant_table *vt, int rootfd, const char *kver);
void variant_table_free(struct variant_table *vt);

/* What driver=auto finds for a device. */
struct variant_match {
	const struct variant_alias *best;	/* NULL: no "vfio_pci:" alias matches */
	const struct variant_alias *tie;	/* another module as specific, or NULL */
};

void variant_best(const struct variant_table *vt, const struct pci_dev *d,
		  struct variant_match *m);

/* Is @module (with '-' and '_' alike) vfio-pci's own module? */
bool variant_is_vfio_pci(const char *module);

/*
 * Is @driver (a PCI driver's name) vfio-pci, or a variant of it: a driver
 * whose module vfio-pci-core lists among its holders?
 */
bool variant_is_vfio_driver(int rootfd, const char *driver);

/*
 * The PCI driver @module registers, from DIR/sys/module/MODULE/drivers
 * ("pci:NAME"): 0, or a negative errno (-ENOENT: not loaded, or no PCI
 * driver in it).
 */
int variant_driver_name(int rootfd, const char *module, char *buf, size_t size);

/*
 * Before the overrides are written: each item's driver (it->target), by its
 * rule's driver= (auto when absent), and each variant module loaded (when
 * @insert) so that its driver's name can be read.  A variant that cannot be
 * loaded, or whose driver cannot be found, leaves vfio-pci, and says why.
 */
void variant_choose(struct plan *pl, int rootfd, const char *root, bool insert);

/*
 * The variant driver=@want (NULL or "" for auto) gives @d: the alias that
 * chose it (its module in ->module), or NULL for vfio-pci.  @why (when not
 * NULL) gets what a person should know about the choice ("" when nothing):
 * an unknown module, a tie.
 */
const struct variant_alias *variant_pick(const struct variant_table *vt,
					 const struct pci_dev *d, const char *want, char *why,
					 size_t whysize);

#endif
