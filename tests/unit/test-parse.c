// SPDX-License-Identifier: GPL-2.0-or-later
/* Token parsers: addresses, sysfs names, ids, class codes, stable paths. */
#include "parse.h"
#include "pci.h"
#include "unit.h"

static int addr(const char *s, struct pci_addr *a)
{
	const char *why;

	return parse_pci_addr(s, strlen(s), a, &why);
}

static const char *addr_str(const char *s)
{
	static char buf[PCI_ADDR_STRLEN];
	struct pci_addr a;

	if (addr(s, &a) < 0)
		return "(invalid)";
	format_pci_addr(&a, buf);
	return buf;
}

TEST(address_forms)
{
	CHECK_STR(addr_str("09:00.0"), "0000:09:00.0");
	CHECK_STR(addr_str("0000:09:00.1"), "0000:09:00.1");
	CHECK_STR(addr_str("09:00"), "0000:09:00");
	CHECK_STR(addr_str("9:0.0"), "0000:09:00.0");
	CHECK_STR(addr_str("0001:0a:1f.7"), "0001:0a:1f.7");
	CHECK_STR(addr_str("AB:1F.7"), "0000:ab:1f.7");
	/* Intel VMD puts devices in domains above 0xffff. */
	CHECK_STR(addr_str("10000:e1:00.0"), "10000:e1:00.0");
}

TEST(address_slot_and_function)
{
	struct pci_addr a;

	CHECK_INT(addr("0a:1f", &a), 0);
	CHECK(!a.has_func);
	CHECK_INT(a.bus, 0x0a);
	CHECK_INT(a.slot, 0x1f);
	CHECK_INT(addr("0a:1f.3", &a), 0);
	CHECK(a.has_func);
	CHECK_INT(a.func, 3);
}

TEST(address_rejects_hostile_and_malformed)
{
	static const char *const bad[] = {
		"", ":", "09", "09:", ":00.0", "09:00.", "09:00.8", "09:20.0", "09:00.00",
		"100:00.0", "zz:00.0", "09:0g.0", "../09:00.0", "09:00.0/../..", "09:00.0 ",
		" 09:00.0", "0000:09:00.0:1", "123456789:00:00.0", "09:00.-1", "+9:00.0",
		"0x09:00.0", "09:00.0\n", "09:00,1", "09:00.1.2",
	};
	struct pci_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr(bad[i], &a) == 0) {
			printf("#   accepted \"%s\"\n", bad[i]);
			unit_failed = 1;
		}
	}
}

TEST(address_error_explains)
{
	struct pci_addr a;
	const char *why = NULL;

	CHECK(parse_pci_addr("09:00.8", 7, &a, &why) < 0);
	CHECK_STR(why, "function must be 0-7");
	CHECK(parse_pci_addr("09:20.0", 7, &a, &why) < 0);
	CHECK_STR(why, "slot must be 00-1f");
}

TEST(sysfs_names_are_canonical_only)
{
	struct pci_addr a;

	CHECK_INT(parse_sysfs_name("0000:09:00.1", &a), 0);
	CHECK_INT(a.func, 1);
	CHECK_INT(parse_sysfs_name("10000:e1:00.0", &a), 0);
	CHECK_INT(a.domain, 0x10000);
	CHECK(parse_sysfs_name("09:00.1", &a) < 0);
	CHECK(parse_sysfs_name("0000:9:00.1", &a) < 0);
	CHECK(parse_sysfs_name("0000:09:00", &a) < 0);
	CHECK(parse_sysfs_name("0000:09:00.1x", &a) < 0);
	CHECK(parse_sysfs_name("pci0000:00", &a) < 0);
	CHECK(parse_sysfs_name("..", &a) < 0);
}

TEST(ids)
{
	struct pci_ids ids;
	const char *why;

	CHECK_INT(parse_ids("10de:2204", 9, &ids, &why), 0);
	CHECK_INT(ids.vendor, 0x10de);
	CHECK_INT(ids.device, 0x2204);
	CHECK(!ids.has_sub);
	CHECK_INT(parse_ids("10de:2204:10de:1492", 19, &ids, &why), 0);
	CHECK(ids.has_sub);
	CHECK_INT(ids.subdevice, 0x1492);
	CHECK(parse_ids("10de:220", 8, &ids, &why) < 0);
	CHECK(parse_ids("10de:22044", 10, &ids, &why) < 0);
	CHECK(parse_ids("10de-2204", 9, &ids, &why) < 0);
	CHECK(parse_ids("10de:2204:10de", 14, &ids, &why) < 0);
	CHECK(parse_ids("10de:2204:10de:149", 18, &ids, &why) < 0);
	CHECK(parse_ids("g0de:2204", 9, &ids, &why) < 0);
	CHECK(parse_ids("", 0, &ids, &why) < 0);
}

TEST(class_codes)
{
	struct class_spec c;
	const char *why;

	CHECK_INT(parse_class("03", 2, &c, &why), 0);
	CHECK_INT(c.value, 0x030000);
	CHECK_INT(c.mask, 0xff0000);
	CHECK_INT(parse_class("0403", 4, &c, &why), 0);
	CHECK_INT(c.value, 0x040300);
	CHECK_INT(c.mask, 0xffff00);
	CHECK_INT(parse_class("0c0330", 6, &c, &why), 0);
	CHECK_INT(c.value, 0x0c0330);
	CHECK_INT(c.mask, 0xffffff);
	CHECK(parse_class("3", 1, &c, &why) < 0);
	CHECK(parse_class("030", 3, &c, &why) < 0);
	CHECK(parse_class("0300000", 7, &c, &why) < 0);
	CHECK(parse_class("vga", 3, &c, &why) < 0);
}

static const char *path_str(const char *s)
{
	static char buf[PATH_STRLEN];
	struct path_spec p;
	const char *why;

	if (parse_path(s, strlen(s), &p, &why) < 0)
		return "(invalid)";
	format_path(&p, buf, sizeof(buf));
	return buf;
}

TEST(paths)
{
	struct path_spec p;
	const char *why;

	CHECK_STR(path_str("00:03.1/00.0"), "0000:00:03.1/00.0");
	CHECK_STR(path_str("0000:00:01.0/00.0/08.0/00.1"), "0000:00:01.0/00.0/08.0/00.1");
	CHECK_STR(path_str("00:01.0/00"), "0000:00:01.0/00");
	CHECK_INT(parse_path("00:01.0/00.0/1f.7", 17, &p, &why), 0);
	CHECK_INT(p.nhops, 2);
	CHECK_INT(p.hop[1].slot, 0x1f);
	CHECK(p.last_has_func);
	CHECK_STR(path_str("00:01.0"), "(invalid)");
	CHECK_STR(path_str("00:01/00.0"), "(invalid)");
	CHECK_STR(path_str("00:01.0/00/00.0"), "(invalid)");
	CHECK_STR(path_str("00:01.0/"), "(invalid)");
	CHECK_STR(path_str("00:01.0//00.0"), "(invalid)");
	CHECK_STR(path_str("00:01.0/../00.0"), "(invalid)");
	CHECK_STR(path_str("00:01.0/00.8"), "(invalid)");
	CHECK_STR(path_str("00:01.0/0.0/0.0/0.0/0.0/0.0/0.0/0.0/0.0"), "0000:00:01.0/00.0/00.0/00.0/00.0/00.0/00.0/00.0/00.0");
	CHECK_STR(path_str("00:01.0/0.0/0.0/0.0/0.0/0.0/0.0/0.0/0.0/0.0"), "(invalid)");
}

TEST(modalias)
{
	struct pci_dev d = { 0 };

	CHECK_INT(parse_pci_modalias("pci:v000010DEd00002204sv000010DEsd00001492bc03sc00i00", &d), 0);
	CHECK_INT(d.vendor, 0x10de);
	CHECK_INT(d.device, 0x2204);
	CHECK_INT(d.subvendor, 0x10de);
	CHECK_INT(d.subdevice, 0x1492);
	CHECK_INT(d.class, 0x030000);
	CHECK(parse_pci_modalias("pci:v000010DEd00002204sv000010DEsd00001492bc03sc00i0", &d) < 0);
	CHECK(parse_pci_modalias("pci:v000010DEd00002204sv000010DEsd00001492bc03sc00i00x", &d) < 0);
	CHECK(parse_pci_modalias("pci:v000110DEd00002204sv000010DEsd00001492bc03sc00i00", &d) < 0);
	CHECK(parse_pci_modalias("usb:v1D6Bp0002d0601dc09dsc00dp01ic09isc00ip00in00", &d) < 0);
	CHECK(parse_pci_modalias("", &d) < 0);
}

/* The elements ids_iter hands out, joined with '|'. */
static const char *ids_elems(const char *val)
{
	static char buf[256];
	struct ids_iter it;
	const char *p;
	size_t len, used = 0;

	buf[0] = '\0';
	ids_iter_init(&it, val, strlen(val));
	while (ids_iter_next(&it, &p, &len))
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%.*s", used ? "|" : "",
					 (int)len, p);
	return buf;
}

TEST(vfio_pci_ids_lists)
{
	CHECK_STR(ids_elems("10de:2204,10de:1aef"), "10de:2204|10de:1aef");
	CHECK_STR(ids_elems("10de:2204"), "10de:2204");
	/* vfio-pci skips empty elements, wherever they are. */
	CHECK_STR(ids_elems(",10de:2204,,10de:1aef,"), "10de:2204|10de:1aef");
	CHECK_STR(ids_elems(",,,"), "");
	CHECK_STR(ids_elems(""), "");
	/* The kernel's parameter parser drops an opening quote and its closing one. */
	CHECK_STR(ids_elems("\"10de:2204,10de:1aef\""), "10de:2204|10de:1aef");
	CHECK_STR(ids_elems("\"10de:2204"), "10de:2204");
	CHECK_STR(ids_elems("\"\""), "");
	CHECK_STR(ids_elems("\""), "");
	/* A closing quote alone is part of the element (and fails to parse). */
	CHECK_STR(ids_elems("10de:2204\""), "10de:2204\"");
	/* Elements are not trimmed: a space is the kernel's too. */
	CHECK_STR(ids_elems("10de:2204, 10de:1aef"), "10de:2204| 10de:1aef");
}

TEST(vfio_pci_ids_iterator_stays_in_bounds)
{
	struct ids_iter it;
	const char *p;
	size_t len;

	/* Not NUL-terminated: only the first 9 bytes are the value. */
	ids_iter_init(&it, "10de:2204,ffff", 9);
	CHECK(ids_iter_next(&it, &p, &len) && len == 9);
	CHECK(!ids_iter_next(&it, &p, &len));
	CHECK(!ids_iter_next(&it, &p, &len));
	ids_iter_init(&it, NULL, 0);
	CHECK(it.p == it.end);
	CHECK(!ids_iter_next(&it, &p, &len));
}

TEST(pci_ids_compare_fields_not_bytes)
{
	struct pci_ids a, b;

	memset(&a, 0xaa, sizeof(a));
	memset(&b, 0x55, sizeof(b));
	a.vendor = b.vendor = 0x10de;
	a.device = b.device = 0x2204;
	a.has_sub = b.has_sub = false;
	/* Padding and the unused subsystem ids differ: the same ids. */
	CHECK(pci_ids_equal(&a, &b));
	a.has_sub = b.has_sub = true;
	a.subvendor = b.subvendor = 0x10de;
	a.subdevice = 0x1492;
	b.subdevice = 0x1493;
	CHECK(!pci_ids_equal(&a, &b));
	b.subdevice = 0x1492;
	CHECK(pci_ids_equal(&a, &b));
	b.has_sub = false;
	CHECK(!pci_ids_equal(&a, &b));
}
