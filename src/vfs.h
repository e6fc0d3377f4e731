/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_VFS_H
#define VFIO_EARLY_VFS_H

/*
 * SR-IOV VFs for vfio-pci (vfs=N in vfio-early.conf(5)): the PFs a vfs=
 * rule names keep their driver; their VFs are made when that driver is
 * there, and each becomes an address rule for the plan.
 */
#include <stdbool.h>

struct pci_tree;
struct ruleset;

/* What vfs_rules met, PFs counted (each already logged). */
struct vfs_counts {
	unsigned would_make;	/* dry: a run that is not would make their VFs */
	unsigned unfit;		/* not SR-IOV PFs, or fewer VFs than vfs= asks */
	unsigned refused;	/* the kernel refused their sriov_numvfs write */
};

/*
 * For every vfs= rule of @rs: make the VFs of each PF it names (not when
 * @dry), and add one address rule per VF to @out, with the rule's options
 * and origin.  Returns 1 when @rs has vfs= rules, else 0; adds to @c.  The
 * tree does not hold VFs made now: scan it again before planning with @out.
 */
int vfs_rules(struct pci_tree *t, const struct ruleset *rs, bool dry, struct ruleset *out,
	      struct vfs_counts *c);

#endif
