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
/*
 * @d's libvirt <hostdev>, with <driver name='vfio' model='NAME'/> when a
 * vfio-pci variant takes it (libvirt 10.0 and later choose the same one
 * themselves for managed devices; the element says so and pins it).
 */
void report_vm_hostdev(const struct report *r, const struct pci_dev *d, char *buf, size_t size);

/* The variant driver that takes @d (a name), or NULL for vfio-pci or none. */
const char *report_vm_variant(const struct report *r, const struct pci_dev *d);

#endif
