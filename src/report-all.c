// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report --all [--json]: every PCI device (NICs, NVMe, USB
 * controllers and bridges as well as the display cards), by IOMMU group,
 * with its ids, class, names from pci.ids when installed, and the driver
 * holding it: what the guides' lspci loop over /sys/kernel/iommu_groups
 * shows, read-only.  Exit status 0, or 1 when the devices cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "modes.h"
#include "pci.h"
#include "pciids.h"

struct entry {
	struct pci_dev *d;
	struct pciids_want names;
};

/* By group (devices without one last), then by address. */
static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int ga = a->d->iommu_group, gb = b->d->iommu_group;

	if (ga != gb)
		return ga < 0 ? 1 : gb < 0 ? -1 : ga < gb ? -1 : 1;
	return pci_addr_cmp(&a->d->addr, &b->d->addr);
}

static void print_text(const struct entry *e, size_t n, bool iommu)
{
	size_t groups = 0;

	for (size_t i = 0; i < n; i++)
		groups += e[i].d->iommu_group >= 0 &&
			  (i == 0 || e[i].d->iommu_group != e[i - 1].d->iommu_group);
	printf("%zu PCI devices, %zu IOMMU groups%s\n", n, groups,
	       iommu ? "" : " (no IOMMU is active)");
	for (size_t i = 0; i < n; i++) {
		const struct pci_dev *d = e[i].d;
		const char *cls = pci_class_name(d->class);

		if (i == 0 || d->iommu_group != e[i - 1].d->iommu_group) {
			if (d->iommu_group >= 0)
				printf("\nIOMMU group %d\n", d->iommu_group);
			else
				printf("\nno IOMMU group\n");
		}
		printf("  %s [%04x:%04x] %s [%04x]", d->name, d->vendor, d->device,
		       cls ? cls : "Class", d->class >> 8);
		if (e[i].names.vendor_name[0])
			printf(": %s%s%s", e[i].names.vendor_name, e[i].names.device_name[0] ? " " : "",
			       e[i].names.device_name);
		printf("; driver %s%s%s%s\n", d->driver[0] ? d->driver : "none",
		       d->override[0] ? ", driver_override " : "", d->override,
		       d->boot_vga ? "; boot display" : "");
	}
}

static void print_json(const struct entry *e, size_t n, bool iommu)
{
	struct json j;
	char buf[16];

	json_init(&j, stdout);
	json_begin_object(&j);
	json_kbool(&j, "iommu_active", iommu);
	json_key(&j, "devices");
	json_begin_array(&j);
	for (size_t i = 0; i < n; i++) {
		const struct pci_dev *d = e[i].d;

		json_begin_object(&j);
		json_kstr(&j, "address", d->name);
		json_kint_known(&j, "iommu_group", d->iommu_group);
		snprintf(buf, sizeof(buf), "%04x:%04x", d->vendor, d->device);
		json_kstr(&j, "ids", buf);
		snprintf(buf, sizeof(buf), "%04x:%04x", d->subvendor, d->subdevice);
		json_kstr(&j, "subsystem", buf);
		snprintf(buf, sizeof(buf), "%06x", d->class);
		json_kstr(&j, "class", buf);
		json_kstr_or_null(&j, "class_name", pci_class_name(d->class));
		json_kstr_or_null(&j, "vendor_name",
				  e[i].names.vendor_name[0] ? e[i].names.vendor_name : NULL);
		json_kstr_or_null(&j, "device_name",
				  e[i].names.device_name[0] ? e[i].names.device_name : NULL);
		json_kstr_or_null(&j, "driver", d->driver[0] ? d->driver : NULL);
		json_kstr_or_null(&j, "driver_override", d->override[0] ? d->override : NULL);
		json_kbool(&j, "boot_vga", d->boot_vga);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	fputc('\n', stdout);
}

int report_all_run(const struct mode_ctx *c, bool json)
{
	struct pci_tree t = { .devfd = -1 };
	struct pciids_want *w;
	struct entry *e;

	if (pci_scan(&t, c->rootfd) < 0) {
		log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
		return EXIT_USAGE;
	}
	e = calloc(t.n ? t.n : 1, sizeof(*e));
	if (!e) {
		pci_tree_free(&t);
		log_err("out of memory");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < t.n; i++) {
		pci_load(&t, &t.dev[i]);
		e[i].d = &t.dev[i];
		e[i].names.vendor = t.dev[i].vendor;
		e[i].names.device = t.dev[i].device;
	}
	/* Names are a nicety: without pci.ids the ids say it all. */
	w = calloc(t.n ? t.n : 1, sizeof(*w));
	if (w) {
		for (size_t i = 0; i < t.n; i++)
			w[i] = e[i].names;
		if (pciids_lookup(c->rootfd, w, t.n) == 0)
			for (size_t i = 0; i < t.n; i++)
				e[i].names = w[i];
		free(w);
	}
	qsort(e, t.n, sizeof(*e), entry_cmp);
	if (json)
		print_json(e, t.n, t.iommu);
	else
		print_text(e, t.n, t.iommu);
	fflush(stdout);
	free(e);
	pci_tree_free(&t);
	return ferror(stdout) ? EXIT_USAGE : 0;
}
