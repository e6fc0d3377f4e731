// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "util.h"

static int hex_field(const char *s, size_t len, size_t minlen, size_t maxlen,
		     unsigned long max, unsigned long *v)
{
	if (len < minlen || len > maxlen)
		return -EINVAL;
	return parse_hex(s, len, max, v);
}

/* Parses "SS.F" or, when @allow_slot, "SS"; returns -EINVAL with *why. */
static int parse_slot_func(const char *s, size_t len, bool allow_slot, uint8_t *slot,
			   uint8_t *func, bool *has_func, const char **why)
{
	const char *dot = memchr(s, '.', len);
	size_t slen = dot ? (size_t)(dot - s) : len;
	unsigned long v;

	if (hex_field(s, slen, 1, 2, 0xff, &v) < 0) {
		*why = "slot must be 1-2 hex digits";
		return -EINVAL;
	}
	if (v > 0x1f) {
		*why = "slot must be 00-1f";
		return -EINVAL;
	}
	*slot = (uint8_t)v;
	if (!dot) {
		if (!allow_slot) {
			*why = "a function number (.F) is required";
			return -EINVAL;
		}
		*has_func = false;
		*func = 0;
		return 0;
	}
	if (hex_field(dot + 1, len - slen - 1, 1, 1, 0xf, &v) < 0) {
		*why = "function must be one digit 0-7";
		return -EINVAL;
	}
	if (v > 7) {
		*why = "function must be 0-7";
		return -EINVAL;
	}
	*func = (uint8_t)v;
	*has_func = true;
	return 0;
}

int parse_pci_addr(const char *s, size_t len, struct pci_addr *a, const char **why)
{
	const char *c1, *c2;
	unsigned long v;
	struct pci_addr r = { 0 };
	const char *bus;
	size_t blen;

	*why = "not a PCI address ([DDDD:]BB:SS[.F])";
	if (len == 0 || len >= PCI_ADDR_STRLEN)
		return -EINVAL;
	c1 = memchr(s, ':', len);
	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s));
	if (c2) {
		if (memchr(c2 + 1, ':', len - (size_t)(c2 + 1 - s)))
			return -EINVAL;
		if (hex_field(s, (size_t)(c1 - s), 1, 8, 0xffffffffUL, &v) < 0) {
			*why = "domain must be 1-8 hex digits";
			return -EINVAL;
		}
		/* The kernel prints a domain with four digits at least: 09:00:0 is BB:SS:F typed wrong. */
		if (c1 - s < 4) {
			*why = memchr(c2, '.', len - (size_t)(c2 - s)) ?
			       "a domain has four hex digits (0000:BB:SS.F)" :
			       "a domain has four hex digits; a function follows a dot (BB:SS.F, "
			       "or 0000:BB:SS.F)";
			return -EINVAL;
		}
		r.domain = (uint32_t)v;
		bus = c1 + 1;
		blen = (size_t)(c2 - bus);
	} else {
		bus = s;
		blen = (size_t)(c1 - s);
		c2 = c1;
	}
	if (hex_field(bus, blen, 1, 2, 0xff, &v) < 0) {
		*why = "bus must be 1-2 hex digits";
		return -EINVAL;
	}
	r.bus = (uint8_t)v;
	if (parse_slot_func(c2 + 1, len - (size_t)(c2 + 1 - s), true, &r.slot, &r.func,
			    &r.has_func, why) < 0)
		return -EINVAL;
	*a = r;
	return 0;
}

int parse_sysfs_name(const char *s, struct pci_addr *a)
{
	size_t len = strnlen(s, PCI_ADDR_STRLEN);
	const char *why;
	const char *c;

	/* The common 0000:BB:SS.F, without the general parser. */
	if (len == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.') {
		unsigned long dom, bus, slot, fn;

		if (parse_hex(s, 4, 0xffff, &dom) < 0 || parse_hex(s + 5, 2, 0xff, &bus) < 0 ||
		    parse_hex(s + 8, 2, 0x1f, &slot) < 0 || parse_hex(s + 11, 1, 7, &fn) < 0)
			return -EINVAL;
		*a = (struct pci_addr){ .domain = (uint32_t)dom, .bus = (uint8_t)bus,
					.slot = (uint8_t)slot, .func = (uint8_t)fn,
					.has_func = true };
		return 0;
	}
	c = memchr(s, ':', len);

	/* The kernel prints %04x:%02x:%02x.%d: insist on that exact shape. */
	if (len >= PCI_ADDR_STRLEN || !c || c - s < 4 || (size_t)(c - s) + 8 != len)
		return -EINVAL;
	if (c[3] != ':' || c[6] != '.')
		return -EINVAL;
	if (parse_pci_addr(s, len, a, &why) < 0 || !a->has_func)
		return -EINVAL;
	return 0;
}

int parse_vendor_device(const char *s, size_t len, uint16_t *vendor, uint16_t *device,
			const char **why)
{
	unsigned long v, d;

	if (len != 9 || s[4] != ':' || parse_hex(s, 4, 0xffff, &v) < 0 ||
	    parse_hex(s + 5, 4, 0xffff, &d) < 0) {
		*why = "not a vendor:device id (VVVV:DDDD, four hex digits each)";
		return -EINVAL;
	}
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return 0;
}

int parse_ids(const char *s, size_t len, struct pci_ids *ids, const char **why)
{
	struct pci_ids r = { 0 };

	if (len == 9) {
		if (parse_vendor_device(s, len, &r.vendor, &r.device, why) < 0)
			return -EINVAL;
		*ids = r;
		return 0;
	}
	if (len != 19 || s[9] != ':') {
		*why = "not an id (VVVV:DDDD or VVVV:DDDD:SSSS:ssss)";
		return -EINVAL;
	}
	if (parse_vendor_device(s, 9, &r.vendor, &r.device, why) < 0 ||
	    parse_vendor_device(s + 10, 9, &r.subvendor, &r.subdevice, why) < 0) {
		*why = "not an id (VVVV:DDDD or VVVV:DDDD:SSSS:ssss)";
		return -EINVAL;
	}
	r.has_sub = true;
	*ids = r;
	return 0;
}

int parse_kernel_ids(const char *s, size_t len, struct pci_ids *out, const char **why)
{
	unsigned long v[6] = { 0, 0, 0xffffffffUL, 0xffffffffUL, 0, 0 };
	size_t n = 0, pos = 0;

	*why = "not a vendor:device id (VVVV:DDDD)";
	while (pos <= len) {
		const char *c = memchr(s + pos, ':', len - pos);
		size_t flen = c ? (size_t)(c - (s + pos)) : len - pos;
		const char *f = s + pos;

		if (n == 6)
			return -EINVAL;
		if (flen > 2 && f[0] == '0' && (f[1] == 'x' || f[1] == 'X')) {
			f += 2;
			flen -= 2;
		}
		if (flen == 0 || flen > 8 || parse_hex(f, flen, 0xffffffffUL, &v[n]) < 0)
			return -EINVAL;
		n++;
		if (!c)
			break;
		pos += (size_t)(c - (s + pos)) + 1;
	}
	if (n < 2)
		return -EINVAL;
	if (v[0] > 0xffff || v[1] > 0xffff) {
		if (v[0] == 0xffffffffUL || v[1] == 0xffffffffUL) {
			*why = "a wildcard vendor or device cannot be an ids rule; use class or "
			       "address rules";
			return -EOPNOTSUPP;
		}
		*why = "vendor and device ids are at most ffff";
		return -EINVAL;
	}
	if (n >= 6 && v[5] != 0) {
		*why = "a class filter cannot be part of an ids rule; use address or path rules";
		return -EOPNOTSUPP;
	}
	if ((v[2] == 0xffffffffUL) != (v[3] == 0xffffffffUL)) {
		*why = "a subsystem vendor without a subsystem device (or the reverse) cannot be "
		       "an ids rule; use address or path rules";
		return -EOPNOTSUPP;
	}
	if (v[2] != 0xffffffffUL && (v[2] > 0xffff || v[3] > 0xffff)) {
		*why = "subsystem ids are at most ffff";
		return -EINVAL;
	}
	*out = (struct pci_ids){ .vendor = (uint16_t)v[0], .device = (uint16_t)v[1] };
	if (v[2] != 0xffffffffUL) {
		out->subvendor = (uint16_t)v[2];
		out->subdevice = (uint16_t)v[3];
		out->has_sub = true;
	}
	return 0;
}

int parse_class(const char *s, size_t len, struct class_spec *c, const char **why)
{
	unsigned long v;

	if ((len != 2 && len != 4 && len != 6) || parse_hex(s, len, 0xffffff, &v) < 0) {
		*why = "not a class code (2, 4 or 6 hex digits: 03, 0300, 030000)";
		return -EINVAL;
	}
	c->value = (uint32_t)(v << (4 * (6 - len)));
	c->mask = (uint32_t)((0xffffffUL << (4 * (6 - len))) & 0xffffff);
	return 0;
}

int parse_path(const char *s, size_t len, struct path_spec *p, const char **why)
{
	const char *slash = memchr(s, '/', len);
	struct path_spec r = { 0 };
	size_t pos;

	if (!slash) {
		*why = "a path needs at least one '/' (root port, then the device below it)";
		return -EINVAL;
	}
	if (parse_pci_addr(s, (size_t)(slash - s), &r.root, why) < 0)
		return -EINVAL;
	if (!r.root.has_func) {
		*why = "the first path element needs a function (BB:SS.F)";
		return -EINVAL;
	}
	pos = (size_t)(slash - s) + 1;
	for (;;) {
		const char *e = memchr(s + pos, '/', len - pos);
		size_t elen = e ? (size_t)(e - (s + pos)) : len - pos;
		bool has_func;

		if (r.nhops == PATH_MAX_HOPS) {
			*why = "path too deep (at most 8 elements after the root port)";
			return -EINVAL;
		}
		if (parse_slot_func(s + pos, elen, !e, &r.hop[r.nhops].slot,
				    &r.hop[r.nhops].func, &has_func, why) < 0)
			return -EINVAL;
		r.nhops++;
		if (!e) {
			r.last_has_func = has_func;
			break;
		}
		pos += elen + 1;
	}
	*p = r;
	return 0;
}

void format_pci_addr(const struct pci_addr *a, char buf[PCI_ADDR_STRLEN])
{
	if (a->has_func)
		snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x.%u", a->domain, a->bus, a->slot,
			 a->func);
	else
		snprintf(buf, PCI_ADDR_STRLEN, "%04x:%02x:%02x", a->domain, a->bus, a->slot);
}

void format_path(const struct path_spec *p, char *buf, size_t size)
{
	size_t used;

	format_pci_addr(&p->root, buf);
	used = strlen(buf);
	for (unsigned i = 0; i < p->nhops && used < size; i++) {
		int n;

		if (i + 1 == p->nhops && !p->last_has_func)
			n = snprintf(buf + used, size - used, "/%02x", p->hop[i].slot);
		else
			n = snprintf(buf + used, size - used, "/%02x.%u", p->hop[i].slot,
				     p->hop[i].func);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int pci_addr_cmp(const struct pci_addr *a, const struct pci_addr *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

void ids_iter_init(struct ids_iter *it, const char *val, size_t len)
{
	it->p = val;
	it->end = val ? val + len : val;
	if (it->p < it->end && *it->p == '"') {
		it->p++;
		if (it->p < it->end && it->end[-1] == '"')
			it->end--;
	}
}

bool ids_iter_next(struct ids_iter *it, const char **elem, size_t *len)
{
	while (it->p < it->end) {
		const char *c = memchr(it->p, ',', (size_t)(it->end - it->p));
		const char *e = c ? c : it->end;

		*elem = it->p;
		*len = (size_t)(e - it->p);
		it->p = c ? c + 1 : it->end;
		if (*len)
			return true;
	}
	return false;
}

bool pci_ids_equal(const struct pci_ids *a, const struct pci_ids *b)
{
	if (a->vendor != b->vendor || a->device != b->device || a->has_sub != b->has_sub)
		return false;
	return !a->has_sub || (a->subvendor == b->subvendor && a->subdevice == b->subdevice);
}
