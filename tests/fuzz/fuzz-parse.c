// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The token parsers, each fed the whole input: parse_pci_addr, parse_ids,
 * parse_kernel_ids, parse_vendor_device, parse_class, parse_path, parse_sysfs_name,
 * parse_pci_modalias, parse_hex, parse_dec and name_eq.  What parses is
 * formatted back and parsed again; a failure must say why.
 */
#include <ctype.h>
#include <errno.h>

#include "fuzz.h"
#include "parse.h"
#include "pci.h"
#include "util.h"

#define FUZZ_TOKEN_MAX 256

static void addr_roundtrip(const struct pci_addr *a)
{
	char buf[PCI_ADDR_STRLEN];
	struct pci_addr b;
	const char *why = NULL;

	FUZZ_CHECK(a->slot <= 0x1f && a->func <= 7);
	FUZZ_CHECK(a->has_func || a->func == 0);
	format_pci_addr(a, buf);
	FUZZ_CHECK(strlen(buf) < PCI_ADDR_STRLEN);
	FUZZ_CHECK(parse_pci_addr(buf, strlen(buf), &b, &why) == 0);
	FUZZ_CHECK(pci_addr_cmp(a, &b) == 0 && a->has_func == b.has_func);
}

static void check_addr(const char *s, size_t len)
{
	struct pci_addr a;
	const char *why = NULL;

	if (parse_pci_addr(s, len, &a, &why) == 0) {
		FUZZ_CHECK(len < PCI_ADDR_STRLEN && memchr(s, ':', len));
		addr_roundtrip(&a);
	} else {
		FUZZ_CHECK(why && *why);
	}
}

static void check_sysfs_name(const char *s, size_t len)
{
	struct pci_addr a, b;
	const char *why = NULL;

	if (parse_sysfs_name(s, &a) < 0)
		return;
	/* pci.c copies the name into a PCI_ADDR_STRLEN buffer on this promise. */
	FUZZ_CHECK(strlen(s) < PCI_ADDR_STRLEN && strlen(s) <= len);
	FUZZ_CHECK(a.has_func);
	FUZZ_CHECK(parse_pci_addr(s, strlen(s), &b, &why) == 0 && pci_addr_cmp(&a, &b) == 0);
	addr_roundtrip(&a);
}

static void check_ids(const char *s, size_t len)
{
	struct pci_ids ids, again;
	uint16_t v, d;
	const char *why = NULL;
	char buf[32];

	if (parse_ids(s, len, &ids, &why) == 0) {
		FUZZ_CHECK(len == 9 || len == 19);
		FUZZ_CHECK(ids.has_sub == (len == 19));
		if (ids.has_sub)
			snprintf(buf, sizeof(buf), "%04x:%04x:%04x:%04x", ids.vendor, ids.device,
				 ids.subvendor, ids.subdevice);
		else
			snprintf(buf, sizeof(buf), "%04x:%04x", ids.vendor, ids.device);
		FUZZ_CHECK(strlen(buf) == len && strncasecmp(buf, s, len) == 0);
		FUZZ_CHECK(parse_ids(buf, len, &again, &why) == 0);
		FUZZ_CHECK(again.vendor == ids.vendor && again.device == ids.device);
	} else {
		FUZZ_CHECK(why && *why);
	}
	why = NULL;
	if (parse_vendor_device(s, len, &v, &d, &why) == 0) {
		FUZZ_CHECK(len == 9);
		snprintf(buf, sizeof(buf), "%04x:%04x", v, d);
		FUZZ_CHECK(strncasecmp(buf, s, len) == 0);
	} else {
		FUZZ_CHECK(why && *why);
	}
}

/* vfio-pci's own ids= syntax: a superset of ours for what it accepts. */
static void check_kernel_ids(const char *s, size_t len)
{
	struct pci_ids k, ids;
	const char *why = NULL;
	int r = parse_kernel_ids(s, len, &k, &why);

	if (r < 0) {
		FUZZ_CHECK((r == -EINVAL || r == -EOPNOTSUPP) && why && *why);
		/* What our strict parser takes, the kernel's syntax takes too. */
		FUZZ_CHECK(parse_ids(s, len, &ids, &why) < 0);
		return;
	}
	FUZZ_CHECK(memchr(s, ':', len));
	if (parse_ids(s, len, &ids, &why) == 0) {
		FUZZ_CHECK(ids.vendor == k.vendor && ids.device == k.device &&
			   ids.has_sub == k.has_sub);
		if (ids.has_sub)
			FUZZ_CHECK(ids.subvendor == k.subvendor && ids.subdevice == k.subdevice);
	}
}

static void check_class(const char *s, size_t len)
{
	struct class_spec c;
	const char *why = NULL;

	if (parse_class(s, len, &c, &why) == 0) {
		FUZZ_CHECK(len == 2 || len == 4 || len == 6);
		FUZZ_CHECK(c.mask == (len == 2 ? 0xff0000u : len == 4 ? 0xffff00u : 0xffffffu));
		FUZZ_CHECK((c.value & ~c.mask) == 0);
	} else {
		FUZZ_CHECK(why && *why);
	}
}

static void check_path(const char *s, size_t len)
{
	struct path_spec p, q;
	const char *why = NULL;
	char a[PATH_STRLEN], b[PATH_STRLEN];

	if (parse_path(s, len, &p, &why) == 0) {
		FUZZ_CHECK(p.nhops >= 1 && p.nhops <= PATH_MAX_HOPS && p.root.has_func);
		for (unsigned i = 0; i < p.nhops; i++)
			FUZZ_CHECK(p.hop[i].slot <= 0x1f && p.hop[i].func <= 7);
		format_path(&p, a, sizeof(a));
		FUZZ_CHECK(strlen(a) < sizeof(a));
		FUZZ_CHECK(parse_path(a, strlen(a), &q, &why) == 0);
		format_path(&q, b, sizeof(b));
		FUZZ_CHECK(strcmp(a, b) == 0 && q.nhops == p.nhops &&
			   q.last_has_func == p.last_has_func);
	} else {
		FUZZ_CHECK(why && *why);
	}
}

static void check_modalias(const char *s)
{
	struct pci_dev d = { 0 };
	char buf[128];

	if (parse_pci_modalias(s, &d) < 0)
		return;
	snprintf(buf, sizeof(buf), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d.vendor,
		 d.device, d.subvendor, d.subdevice, d.class >> 16, (d.class >> 8) & 0xff,
		 d.class & 0xff);
	FUZZ_CHECK(strlen(s) == strlen(buf));
	/* "pci:v" is lowercase; the digits may be either case. */
	FUZZ_CHECK(strncmp(s, "pci:v", 5) == 0 && strcasecmp(s, buf) == 0);
}

static void check_numbers(const char *s, size_t len)
{
	unsigned long v, ref;
	char *end;
	char tmp[32];

	if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = '\0';
	} else {
		tmp[0] = '\0';
	}
	if (parse_hex(s, len, ~0UL, &v) == 0) {
		FUZZ_CHECK(len >= 1 && len <= 16);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(isxdigit((unsigned char)s[i]));
		ref = strtoul(tmp, &end, 16);
		FUZZ_CHECK(*end == '\0' && ref == v);
	}
	if (parse_dec(s, len, ~0UL, &v) == 0) {
		FUZZ_CHECK(len >= 1 && len <= 10);
		ref = strtoul(tmp, &end, 10);
		FUZZ_CHECK(*end == '\0' && ref == v);
	}
	if (parse_hex(s, len, 0xffff, &v) == 0)
		FUZZ_CHECK(v <= 0xffff);
	if (parse_dec(s, len, 4095, &v) == 0)
		FUZZ_CHECK(v <= 4095);
	/* '-' and '_' are one character to name_eq. */
	if (name_eq(s, len, "vfio_early.allow_boot_vga")) {
		FUZZ_CHECK(len == 25);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(s[i] == "vfio_early.allow_boot_vga"[i] ||
				   (s[i] == '-' && "vfio_early.allow_boot_vga"[i] == '_'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *str;

	if (size > FUZZ_TOKEN_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	str = fuzz_strdup(data, size);
	check_addr(buf, size);
	check_ids(buf, size);
	check_kernel_ids(buf, size);
	check_class(buf, size);
	check_path(buf, size);
	check_numbers(buf, size);
	check_sysfs_name(str, size);
	check_modalias(str);
	free(str);
	free(buf);
	return 0;
}
