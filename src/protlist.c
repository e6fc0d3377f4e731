// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The protected list: written at image build by --list-protected, read and
 * verified by the early pass.
 *
 *   vfio-early-protected 3
 *   machine 4c4c4544-0051-3510-8057-b4c04f4e3732
 *   status complete
 *   device addr=0000:01:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (mounted /)
 *   device addr=0000:02:00.0 path=0000:00:1c.0/00.0 ids=8086:125c sub=8086:0000 class=020000 need=management why=carries the host's management network (vmbr0 192.0.2.10, default route, port enp2s0)
 *   carrier addr=0000:00:14.0 path=0000:00:14.0 ids=8086:a36d sub=1028:085a class=0c0330 why=held sdb
 *   end devices=2 carriers=1
 *
 * "status incomplete" and "missing WHAT" lines say what the image build
 * could not trace to a controller.  need=management marks what carries
 * the management network and nothing the boot needs.  A carrier held a
 * block device the host does not need: a run whose list is unverified
 * still waits for the root before taking it.  why= runs to the end of its
 * line.  The end line counts the device and carrier lines, so a truncated
 * file is told from a short one.  Anything amiss makes the boot's run
 * unverified.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mounts.h"
#include "pci.h"
#include "protlist.h"
#include "sysfs.h"
#include "util.h"

#define PROTECTED_FILE_MAX (64 * 1024)

void protect_machine_id(int rootfd, char buf[MACHINE_ID_LEN])
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

static void write_entry(FILE *f, const char *kind, const struct protected_dev *d)
{
	char a[PCI_ADDR_STRLEN];

	format_pci_addr(&d->addr, a);
	fprintf(f, "%s addr=%s path=%s ids=%04x:%04x sub=%04x:%04x class=%06x %swhy=%s\n", kind,
		a, d->path[0] ? d->path : "-", d->vendor, d->device, d->subvendor, d->subdevice,
		d->class, d->mgmt ? "need=management " : "", d->why);
}

void protect_write_list(FILE *f, const struct protect *p)
{
	unsigned n = 0, nc = 0;

	fprintf(f, "# vfio-early: the PCI devices this host needs to boot, recorded at image "
		"build by vfio-early --list-protected\n");
	fprintf(f, "vfio-early-protected %d\n", PROTECTED_FORMAT);
	fprintf(f, "machine %s\n", p->machine[0] ? p->machine : "none");
	fprintf(f, "status %s\n", p->nmissing == 0 && p->n > 0 ? "complete" : "incomplete");
	for (size_t i = 0; i < p->n; i++) {
		if (!p->v[i].has_ids)
			continue;
		write_entry(f, "device", &p->v[i]);
		n++;
	}
	for (size_t i = 0; i < p->ncarriers; i++) {
		write_entry(f, "carrier", &p->carriers[i]);
		nc++;
	}
	for (size_t i = 0; i < p->nmissing; i++)
		fprintf(f, "missing %s\n", p->missing[i]);
	fprintf(f, "end devices=%u carriers=%u\n", n, nc);
}

/* The value of KEY= in a device line (up to the next space); NULL if absent. */
static const char *field(const char *line, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	bool why = strcmp(key, "why=") == 0;
	/* why= is last and free text: the other keys are looked for before it. */
	const char *end = why ? NULL : strstr(line, " why=");

	for (const char *s = line; (s = strstr(s, key)) && (!end || s < end); s += kl) {
		if (s != line && s[-1] != ' ')
			continue;
		s += kl;
		*len = why ? strlen(s) : strcspn(s, " ");
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
	unsigned carriers;
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

/*
 * A device or carrier line: the entry as recorded, and the device that
 * answers to its path and ids now (NULL, with @why, when none does).
 * False when the line is malformed (said already).
 */
static bool parse_entry(struct list_state *s, unsigned line, const char *l,
			struct protected_dev *e, struct pci_dev **now, char *why, size_t size)
{
	const char *addr, *path, *ids, *sub, *cls, *need, *holds, *err = "malformed";
	size_t al, pl, il, sl, cl, nl, hl;
	char abuf[PCI_ADDR_STRLEN];
	unsigned long c;
	struct pci_dev *dev;

	addr = field(l, "addr=", &al);
	path = field(l, "path=", &pl);
	ids = field(l, "ids=", &il);
	sub = field(l, "sub=", &sl);
	cls = field(l, "class=", &cl);
	need = field(l, "need=", &nl);
	holds = field(l, "why=", &hl);
	memset(e, 0, sizeof(*e));
	*now = NULL;
	if (!addr || !path || !ids || !sub || !cls || !holds || al >= sizeof(abuf)) {
		bad_line(s, line, l, strlen(l), "an entry needs addr=, path=, ids=, sub=, "
			 "class= and why=");
		return false;
	}
	memcpy(abuf, addr, al);
	abuf[al] = '\0';
	if (parse_sysfs_name(abuf, &e->addr) < 0) {
		bad_line(s, line, addr, al, "not a PCI address");
		return false;
	}
	if (parse_vendor_device(ids, il, &e->vendor, &e->device, &err) < 0) {
		bad_line(s, line, ids, il, err);
		return false;
	}
	if (parse_vendor_device(sub, sl, &e->subvendor, &e->subdevice, &err) < 0) {
		bad_line(s, line, sub, sl, err);
		return false;
	}
	if (cl != 6 || parse_hex(cls, cl, 0xffffff, &c) < 0) {
		bad_line(s, line, cls, cl, "the class is six hex digits");
		return false;
	}
	e->class = (uint32_t)c;
	if (need && !(nl == 10 && strncmp(need, "management", 10) == 0)) {
		bad_line(s, line, need, nl, "need= is management or absent");
		return false;
	}
	e->mgmt = need != NULL;
	e->has_ids = true;
	snprintf(e->why, sizeof(e->why), "%.*s", (int)hl, holds);
	snprintf(e->path, sizeof(e->path), "%.*s", (int)pl, path);
	dev = entry_device(s->t, path, pl, &e->addr, &err);
	if (!dev) {
		snprintf(why, size, "%s (%.*s) %s is not there any more", abuf, (int)pl, path,
			 e->why);
		return true;
	}
	if (dev->vendor != e->vendor || dev->device != e->device ||
	    dev->subvendor != e->subvendor || dev->subdevice != e->subdevice ||
	    dev->class != e->class) {
		snprintf(why, size, "%.*s holds %04x:%04x class %06x now, the list recorded "
			 "%04x:%04x class %06x (%s)", (int)pl, path, dev->vendor, dev->device,
			 dev->class, e->vendor, e->device, e->class, e->why);
		return true;
	}
	if (pci_addr_cmp(&dev->addr, &e->addr) != 0)
		log_info("%s moved to %s since the image was built (%.*s), still recorded",
			 abuf, dev->name, (int)pl, path);
	*now = dev;
	return true;
}

static void device_line(struct list_state *s, unsigned line, const char *l)
{
	struct protected_dev e;
	struct pci_dev *dev;
	char why[PROTECT_WHY_LEN + 128];

	s->devices++;
	if (!parse_entry(s, line, l, &e, &dev, why, sizeof(why)))
		return;
	if (!dev) {
		protect_set_unverified(s->p, "%s", why);
		return;
	}
	if (protect_add_need(s->p, &dev->addr, e.why, e.mgmt) < 0)
		protect_set_unverified(s->p, "too many protected devices");
}

/* A carrier that is gone or changed is no proof of anything: it is dropped. */
static void carrier_line(struct list_state *s, unsigned line, const char *l)
{
	struct protected_dev e, *v;
	struct pci_dev *dev;
	char why[PROTECT_WHY_LEN + 128];

	s->carriers++;
	if (!parse_entry(s, line, l, &e, &dev, why, sizeof(why)))
		return;
	if (!dev) {
		log_debug("carrier %s", why);
		return;
	}
	v = realloc(s->p->carriers, (s->p->ncarriers + 1) * sizeof(*v));
	if (!v) {
		protect_set_unverified(s->p, "out of memory");
		return;
	}
	e.addr = dev->addr;
	v[s->p->ncarriers++] = e;
	s->p->carriers = v;
}

/* "end devices=N carriers=M": both counts must match the lines read. */
static void end_line(struct list_state *s, unsigned line, const char *l)
{
	const char *dv, *cv;
	size_t dl, cl;
	unsigned long nd, nc;

	dv = field(l, "devices=", &dl);
	cv = field(l, "carriers=", &cl);
	if (!dv || !cv || parse_dec(dv, dl, 1u << 20, &nd) < 0 ||
	    parse_dec(cv, cl, 1u << 20, &nc) < 0) {
		bad_line(s, line, l, strlen(l), "expected end devices=N carriers=M");
		return;
	}
	s->ended = true;
	if (nd != s->devices || nc != s->carriers)
		protect_set_unverified(s->p, "/" PROTECTED_FILE " lists %u device%s and %u "
				       "carrier%s, its end line says %lu and %lu", s->devices,
				       plural(s->devices), s->carriers, plural(s->carriers), nd, nc);
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
	} else if (strncmp(l, "carrier ", 8) == 0) {
		carrier_line(s, line, l + 8);
	} else if (strncmp(l, "missing ", 8) == 0) {
		protect_set_unverified(s->p, "the image build found no controller for %.160s",
				       l + 8);
	} else if (strncmp(l, "end ", 4) == 0) {
		end_line(s, line, l);
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
	protect_machine_id(rootfd, p->machine);
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
	while ((l = util_next_line(&cursor))) {
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
