/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-early --report: the cards ready for a VM, and the lines that give them to one. */
#ifndef VFIO_EARLY_REPORT_VM_H
#define VFIO_EARLY_REPORT_VM_H

#include "report-model.h"

void report_gather_cards(struct report *r);
void report_gather_selects(struct report *r);
void report_vm_path(const struct vm_entry *e, char *buf, size_t size);
void report_vm_mapping_id(const struct vm_entry *e, char *buf, size_t size);
void report_vm_pvesh(const struct report *r, const struct vm_entry *e, char *buf, size_t size);
void report_vm_hostdev(const struct pci_dev *d, char *buf, size_t size);

#endif
