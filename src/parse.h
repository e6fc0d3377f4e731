/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PARSE_H
#define VFIO_EARLY_PARSE_H

/*
 * Parsers for the tokens users write: PCI addresses, vendor:device ids,
 * class codes and stable PCI paths.  Pure functions over (pointer, length);
 * each failure comes with a static explanation in *why.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pci_addr {
	uint32_t domain;
	uint8_t bus;
	uint8_t slot;
	uint8_t func;
	bool has_func;		/* false: every function of the slot */
};

/* "ffffffff:ff:1f.7" and a NUL. */
#define PCI_ADDR_STRLEN 20

struct pci_ids {
	uint16_t vendor;
	uint16_t device;
	uint16_t subvendor;
	uint16_t subdevice;
	bool has_sub;
};

/* 24-bit class code compared under a mask: 03 → 0x030000/0xff0000. */
struct class_spec {
	uint32_t value;
	uint32_t mask;
};

#define PATH_MAX_HOPS 8

/*
 * A stable PCI path: the device on the root bus (normally a root port),
 * then the slot.function of each device on the bus below the previous one.
 */
struct path_spec {
	struct pci_addr root;
	uint8_t nhops;
	struct {
		uint8_t slot;
		uint8_t func;
	} hop[PATH_MAX_HOPS];
	bool last_has_func;	/* false: the last element names a whole slot */
};

/* [DDDD:]BB:SS[.F], hex; domain up to 8 digits (VMD), bus and slot 1-2. */
int parse_pci_addr(const char *s, size_t len, struct pci_addr *a, const char **why);

/* The kernel's own name for a device: DDDD:BB:SS.F with a 4-8 digit domain. */
int parse_sysfs_name(const char *s, struct pci_addr *a);

/* VVVV:DDDD or VVVV:DDDD:SSSS:ssss, exactly four hex digits each. */
int parse_ids(const char *s, size_t len, struct pci_ids *ids, const char **why);

/* Field by field (the struct has padding): the same ids, subsystem ids alike. */
bool pci_ids_equal(const struct pci_ids *a, const struct pci_ids *b);

/* VVVV:DDDD only (expect=). */
int parse_vendor_device(const char *s, size_t len, uint16_t *vendor, uint16_t *device,
			const char **why);

/*
 * An id as vfio-pci's own ids= takes it (the kernel's sscanf of
 * vendor:device[:subvendor[:subdevice[:class[:class_mask]]]], any hex
 * width, ffffffff for "any").  -EOPNOTSUPP for forms an ids rule cannot
 * express (wildcards, class filters).
 */
int parse_kernel_ids(const char *s, size_t len, struct pci_ids *ids, const char **why);

/*
 * vfio-pci's ids= value, element by element, the way the kernel reads it:
 * a value that starts with a double quote loses it and a closing one (the
 * kernel's parameter parser), commas separate the elements, and empty
 * elements are skipped (vfio-pci skips them).  @val need not end in a NUL.
 * Each element is for parse_kernel_ids().
 */
struct ids_iter {
	const char *p;
	const char *end;	/* p == end after ids_iter_init(): nothing in it */
};
void ids_iter_init(struct ids_iter *it, const char *val, size_t len);
/* The next non-empty element; false at the end. */
bool ids_iter_next(struct ids_iter *it, const char **elem, size_t *len);

/* CC, CCSS or CCSSPP (2, 4 or 6 hex digits). */
int parse_class(const char *s, size_t len, struct class_spec *c, const char **why);

/* [DDDD:]BB:SS.F/SS.F[/...], the last element may be SS (a whole slot). */
int parse_path(const char *s, size_t len, struct path_spec *p, const char **why);

void format_pci_addr(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN]);
/* Fills buf (at least PATH_STRLEN bytes). */
#define PATH_STRLEN (PCI_ADDR_STRLEN + PATH_MAX_HOPS * 6)
void format_path(const struct path_spec *p, char *buf, size_t size);

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b);

#endif
