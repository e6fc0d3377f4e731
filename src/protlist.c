// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The protected list: written at image build by --list-protected, read and
 * verified by the early pass.
 *
 *   vfio-early-protected 2
 *   machine 4c4c4544-0051-3510-8057-b4c04f4e3732
 *   status complete
 *   device addr=0000:01:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (mounted /)
 *   end devices=1
 *
 * "status incomplete" and "missing WHAT" lines say what the image build
 * could not trace to a controller.  why= runs to the end of its line.
 * The end line counts the device lines, so a truncated file is told from
 * a short one.  Anything amiss makes the boot's run unverified.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mounts.h"
#include "pci.h"
#include "protect.h"
#include "sysfs.h"
#include "util.h"

#define PROTECTED_FILE_MAX (64 * 1024)

void machine_id(int rootfd, char buf[MACHINE_ID_LEN])
{
	static const char *const placeholders[] = {
		"00000000-0000-0000-0000-000000000000",
		"ffffffff-ffff-ffff-ffff-ffffffffffff",
		"03000200-0400-0500-0006-000700080009",	/* a common firmware default */
	};
	char id[64];
	ssize_t n = read_attr(rootfd, "sys/class/dmi/id/product_uuid", id, sizeof(id));

	buf[0] = '\0';
	if (n != 36)
		return;
	for (ssize_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		id[i] = (char)tolower((unsigned char)id[i]);
		if (dash ? id[i] != '-' : hexval(id[i]) < 0)
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(placeholders); i++)
		if (strcmp(id, placeholders[i]) == 0)
			return;
	memcpy(buf, id, 37);
}

void protect_write_list(FILE *f, const struct protect *p)
{
	unsigned n = 0;

	fprintf(f, "# vfio-early: the PCI devices this host needs to boot, recorded at image "
		"build by vfio-early --list-protected\n");
	fprintf(f, "vfio-early-protected %d\n", PROTECTED_FORMAT);
	fprintf(f, "machine %s\n", p->machine[0] ? p->machine : "none");
	fprintf(f, "status %s\n", p->nmissing == 0 && p->n > 0 ? "complete" : "incomplete");
	for (size_t i = 0; i < p->n; i++) {
		const struct protected_dev *d = &p->v[i];
		char a[PCI_ADDR_STRLEN];

		if (!d->has_ids)
			continue;
		format_pci_addr(&d->addr, a);
		fprintf(f, "device addr=%s path=%s ids=%04x:%04x sub=%04x:%04x class=%06x why=%s\n",
			a, d->path[0] ? d->path : "-", d->vendor, d->device, d->subvendor,
			d->subdevice, d->class, d->why);
		n++;
	}
	for (size_t i = 0; i < p->nmissing; i++)
		fprintf(f, "missing %s\n", p->missing[i]);
	fprintf(f, "end devices=%u\n", n);
}

/* The value of KEY= in a device line (up to the next space); NULL if absent. */
static const char *field(const char *line, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *s = line; (s = strstr(s, key)); s += kl) {
		if (s != line && s[-1] != ' ')
			continue;
		s += kl;
		*len = strcmp(key, "why=") == 0 ? strlen(s) : strcspn(s, " ");
		return s;
	}
	return NULL;
}

/* Where the entry's device is now: by stable path, or by address. */
static struct pci_dev *entry_device(struct pci_tree *t, const char *path, size_t plen,
				    const struct pci_addr *addr, const char **why)
{
	struct path_spec ps;
	struct pci_dev **v, *d = NULL;
	struct pci_addr a;
	char buf[PATH_STRLEN];
	size_t n;

	if (plen == 1 && path[0] == '-')	/* no stable path (behind a VMD) */
		return pci_find(t, addr);
	if (!memchr(path, '/', plen)) {		/* on a root bus: its address is stable */
		if (plen >= sizeof(buf)) {
			*why = "malformed path";
			return NULL;
		}
		memcpy(buf, path, plen);
		buf[plen] = '\0';
		if (parse_sysfs_name(buf, &a) < 0) {
			*why = "malformed path";
			return NULL;
		}
		return pci_find(t, &a);
	}
	if (parse_path(path, plen, &ps, why) < 0 || !ps.last_has_func)
		return NULL;
	if (pci_resolve_path(t, &ps, &v, &n) < 0)
		return NULL;
	if (n == 1)
		d = v[0];
	free(v);
	return d;
}

struct list_state {
	struct protect *p;
	struct pci_tree *t;
	unsigned version;
	unsigned devices;
	bool complete;
	bool ended;
	bool machine_seen;
};

static void bad_line(struct list_state *s, unsigned line, const char *tok, size_t len,
		     const char *why)
{
	s->p->errors++;
	log_warn("/" PROTECTED_FILE ":%u: %.*s: %s", line, (int)(len > 60 ? 60 : len), tok, why);
	protect_set_unverified(s->p, "/" PROTECTED_FILE ":%u is malformed (%s)", line, why);
}

static void device_line(struct list_state *s, unsigned line, const char *l)
{
	const char *addr, *path, *ids, *sub, *cls, *holds, *why = "malformed";
	size_t al, pl, il, sl, cl, hl;
	char abuf[PCI_ADDR_STRLEN], hbuf[PROTECT_WHY_LEN];
	uint16_t v, d, sv, sd;
	unsigned long c;
	struct pci_addr a;
	struct pci_dev *dev;

	s->devices++;
	addr = field(l, "addr=", &al);
	path = field(l, "path=", &pl);
	ids = field(l, "ids=", &il);
	sub = field(l, "sub=", &sl);
	cls = field(l, "class=", &cl);
	holds = field(l, "why=", &hl);
	if (!addr || !path || !ids || !sub || !cls || !holds || al >= sizeof(abuf)) {
		bad_line(s, line, l, strlen(l), "a device needs addr=, path=, ids=, sub=, "
			 "class= and why=");
		return;
	}
	memcpy(abuf, addr, al);
	abuf[al] = '\0';
	if (parse_sysfs_name(abuf, &a) < 0) {
		bad_line(s, line, addr, al, "not a PCI address");
		return;
	}
	if (parse_vendor_device(ids, il, &v, &d, &why) < 0) {
		bad_line(s, line, ids, il, why);
		return;
	}
	if (parse_vendor_device(sub, sl, &sv, &sd, &why) < 0) {
		bad_line(s, line, sub, sl, why);
		return;
	}
	if (cl != 6 || parse_hex(cls, cl, 0xffffff, &c) < 0) {
		bad_line(s, line, cls, cl, "the class is six hex digits");
		return;
	}
	snprintf(hbuf, sizeof(hbuf), "%.*s", (int)hl, holds);
	dev = entry_device(s->t, path, pl, &a, &why);
	if (!dev) {
		protect_set_unverified(s->p, "%s (%.*s) %s is not there any more", abuf,
				       (int)pl, path, hbuf);
		return;
	}
	if (dev->vendor != v || dev->device != d || dev->subvendor != sv ||
	    dev->subdevice != sd || dev->class != c) {
		protect_set_unverified(s->p, "%.*s holds %04x:%04x class %06x now, the list "
				       "recorded %04x:%04x class %06lx (%s)", (int)pl, path,
				       dev->vendor, dev->device, dev->class, v, d, c, hbuf);
		return;
	}
	if (pci_addr_cmp(&dev->addr, &a) != 0)
		log_info("%s moved to %s since the image was built (%.*s), still protected",
			 abuf, dev->name, (int)pl, path);
	if (protect_add(s->p, &dev->addr, hbuf) < 0)
		protect_set_unverified(s->p, "too many protected devices");
}

static void list_line(struct list_state *s, unsigned line, char *l)
{
	unsigned long n;
	size_t len = strlen(l);

	if (s->ended) {
		bad_line(s, line, l, len, "after the end line");
		return;
	}
	if (!s->version) {
		if (strncmp(l, "vfio-early-protected ", 21) != 0 ||
		    parse_dec(l + 21, len - 21, 1000, &n) < 0) {
			protect_set_unverified(s->p, "/" PROTECTED_FILE " is in an old format "
					       "(from an older vfio-early)");
			s->version = 1;
			return;
		}
		s->version = (unsigned)n;
		if (n != PROTECTED_FORMAT)
			protect_set_unverified(s->p, "/" PROTECTED_FILE " has format %lu, this "
					       "vfio-early reads %d", n, PROTECTED_FORMAT);
		return;
	}
	if (s->version != PROTECTED_FORMAT)
		return;
	if (strncmp(l, "machine ", 8) == 0) {
		const char *m = l + 8;

		s->machine_seen = true;
		if (strcmp(m, "none") != 0 && s->p->machine[0] && strcasecmp(m, s->p->machine) != 0)
			protect_set_unverified(s->p, "the list was recorded on another machine "
					       "(%.40s; this one is %s)", m, s->p->machine);
	} else if (strncmp(l, "status ", 7) == 0) {
		s->complete = strcmp(l + 7, "complete") == 0;
		if (!s->complete && strcmp(l + 7, "incomplete") != 0)
			bad_line(s, line, l + 7, len - 7, "expected complete or incomplete");
	} else if (strncmp(l, "device ", 7) == 0) {
		device_line(s, line, l + 7);
	} else if (strncmp(l, "missing ", 8) == 0) {
		protect_set_unverified(s->p, "the image build found no controller for %.160s",
				       l + 8);
	} else if (strncmp(l, "end devices=", 12) == 0 &&
		   parse_dec(l + 12, len - 12, 1u << 20, &n) == 0) {
		s->ended = true;
		if (n != s->devices)
			protect_set_unverified(s->p, "/" PROTECTED_FILE " lists %u devices, its "
					       "end line says %lu", s->devices, n);
	} else {
		bad_line(s, line, l, len, "unknown line");
	}
}

void protect_load_list(struct protect *p, struct pci_tree *t, int rootfd)
{
	_cleanup_free_ char *buf = NULL;
	struct list_state s = { .p = p, .t = t };
	char *cursor, *l;
	unsigned line = 0;
	size_t len;

	p->verified = true;
	machine_id(rootfd, p->machine);
	buf = read_file_at(rootfd, PROTECTED_FILE, PROTECTED_FILE_MAX, &len);
	if (!buf) {
		const char *err = errno == EFBIG ? "too large" : strerror(errno);

		if (errno == ENOENT) {
			protect_set_unverified(p, "the image has no /" PROTECTED_FILE);
			return;
		}
		/* Fail closed: without the list, any storage may hold the root. */
		p->errors++;
		log_err("/" PROTECTED_FILE ": %s: no storage controller, nor anything in its "
			"IOMMU group, will be touched", err);
		protect_set_unverified(p, "/" PROTECTED_FILE ": %s", err);
		return;
	}
	if (memchr(buf, '\0', len)) {
		protect_set_unverified(p, "/" PROTECTED_FILE " holds a NUL byte");
		return;
	}
	/* A UTF-8 byte order mark is not part of the header. */
	cursor = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? buf + 3 : buf;
	while ((l = next_line(&cursor))) {
		size_t n = strlen(l);

		line++;
		while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
			l[--n] = '\0';
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '#' || *l == '\0')
			continue;
		list_line(&s, line, l);
	}
	if (!s.version)
		protect_set_unverified(p, "/" PROTECTED_FILE " holds no list (comments only)");
	else if (s.version == PROTECTED_FORMAT && !s.ended)
		protect_set_unverified(p, "/" PROTECTED_FILE " is truncated (no end line)");
	else if (s.version == PROTECTED_FORMAT && !s.machine_seen)
		protect_set_unverified(p, "/" PROTECTED_FILE " names no machine");
	else if (s.version == PROTECTED_FORMAT && !s.complete)
		protect_set_unverified(p, "the image build could not trace every filesystem "
				       "to its controller (status incomplete)");
	else if (s.devices == 0)
		protect_set_unverified(p, "/" PROTECTED_FILE " lists no device");
}
