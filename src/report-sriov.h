/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-early --report: SR-IOV physical functions, their VFs and who holds
 * each (issue 19), gathered, checked and printed in one room.
 */
#ifndef VFIO_EARLY_REPORT_SRIOV_H
#define VFIO_EARLY_REPORT_SRIOV_H

#include "json.h"
#include "report-model.h"

/*
 * The PFs a rule names (vfs= or a plan item), those with VFs enabled and
 * those whose VFs a rule selects, into r->pf; a vfs= rule's matches are
 * the devices it names.  After the plan is built.
 */
void report_gather_sriov(struct report *r);

/* What @pf's vfs= rule comes to. */
enum vfs_state report_vfs_state(const struct rpf *pf);

/* Whether @vf goes to vfio-pci: its PF's vfs= rule, in place, or a plan item. */
bool report_vf_selected(const struct report *r, const struct rpf *pf, const struct pci_dev *vf);

/* The PF whose virtfn links name @vf, or NULL. */
const struct rpf *report_vf_pf(const struct report *r, const struct pci_dev *vf);

/*
 * The vfs= rule that hands @vf to vfio-pci when no rule of the plan names
 * it (its PF's, with the count in place), or NULL.
 */
const struct rule *report_vf_by_vfs(const struct report *r, const struct pci_dev *vf);

/* The problems of r->pf (a pure function of the facts). */
void report_check_sriov(const struct report *r, struct problems *out);

/* The text section, when there is a PF to show. */
void report_print_sriov(FILE *f, const struct report *r);

/* The JSON key "sriov": an array, empty when there is none. */
void report_json_sriov(struct json *j, const struct report *r);

#endif
