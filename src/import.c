// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --import: read the vfio-pci recipe this host already uses and
 * print the equivalent /etc/vfio-early.conf on stdout, with comments that
 * say which of the old lines become unnecessary (and why), which need
 * editing, and which must stay.  Nothing is written anywhere.
 *
 * Read, all under --root DIR:
 *   etc/modprobe.d, run/modprobe.d, usr/local/lib/modprobe.d,
 *   usr/lib/modprobe.d, lib/modprobe.d (libkmod's order, modprobe_dirs in
 *       modload.h): every *.conf, as modprobe.d(5) reads them: a file
 *       hides the same-named files in the directories after it (a link to
 *       /dev/null hides them and says nothing), files are read in the order
 *       of their names, a trailing backslash joins a line with the next, a
 *       line whose first word starts with '#' is a comment.
 *   etc/modules, etc/modules-load.d/ *.conf, etc/initramfs-tools/modules:
 *       one module per line.
 *   etc/dracut.conf.d/ *.conf: add_drivers+= and force_drivers+=.
 *   proc/cmdline: vfio-pci.ids=, vfio_pci.*, rd.driver.pre=,
 *       rd.driver.blacklist=, modprobe.blacklist=, module_blacklist=.
 *   sys/bus/pci/devices: which devices the imported ids select here.
 *
 * Recognised: `options vfio-pci ids=...` (or vfio_pci; other vfio options
 * stay, libkmod applies them when vfio-early loads vfio-pci), `softdep MOD
 * pre: vfio-pci`, `blacklist` and `install MOD /bin/false` of the GPU,
 * HD Audio, xHCI and UCSI drivers a card's functions use, `install` lines
 * that load vfio-pci first or run a driver_override script, and the vfio
 * modules in the module lists.  Every other line is left alone.
 *
 * Each statement is read once into a list (file, line, text), then each is
 * decided from that list.  The ids that apply are libkmod's, as boot reads
 * them (modload_vfio_pci_ids()); the statements give each its FILE:LINE.
 *
 * Output: a valid vfio-early.conf: a header naming the line every id came
 * from (`# from FILE:LINE: TEXT`), one `ids` rule, the devices those ids
 * select on this host (and, for two identical cards, the address and path
 * rules that tell them apart), then the review: lines to delete, lines to
 * edit, lines to keep, each with FILE:LINE and why.
 *
 * Exit status (bits, ORed):
 *   0  a recipe was found and its config printed
 *   1  usage or internal error, or nothing to import: no vfio-pci ids were
 *      found (the review is still printed, the config holds no rule)
 *   2  some lines or tokens could not be parsed; each was reported on stderr
 *      as FILE:LINE: TOKEN: why and skipped; the printed config is valid
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bootloader.h"
#include "card.h"
#include "legacy.h"
#include "log.h"
#include "modalias.h"
#include "modes.h"
#include "modload.h"
#include "parse.h"
#include "pci.h"
#include "rules.h"
#include "sources.h"
#include "sysfs.h"
#include "util.h"

enum {
	EXIT_IMPORT_NOTHING = 1,
	EXIT_IMPORT_ERRORS = 2,
};

#define IMPORT_FILE_MAX (1u << 20)	/* per file */
#define IMPORT_DIR_FILES 1024		/* *.conf per directory */
#define IMPORT_IDS_MAX 1024
#define IDS_PER_RULE 64			/* keeps a rule line far below 4096 bytes */
#define IMPORT_WORDS_MAX 256		/* words per logical line */
#define TEXT_SHOWN 160			/* an echoed line is cut after this */
#define WARNINGS_SHOWN 50
#define DEVS_NAMED 4			/* devices named in one explanation */
#define WRAP 78
#define MODS_LEN 256			/* the module names of one device */
#define NO_CARD SIZE_MAX		/* card0[] of a device no id takes */

/* ---- a growing string ---------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void _printf_(2, 3) sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_addn(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_addn(b, big, (size_t)n);
	free(big);
}

/* Text from files, made safe to show: control characters become '?', and a
 * long text is cut (with "...") after @max bytes. */
static void sb_add_shown(struct sbuf *b, const char *s, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;

		sb_addn(b, &ch, 1);
	}
	if (n > max)
		sb_add(b, "...");
}

/* The string, handed over; NULL (and nothing leaked) when memory ran out. */
static char *sb_take(struct sbuf *b)
{
	char *s = b->s;

	if (b->oom || !s) {
		free(s);
		s = b->oom ? NULL : strdup("");
	}
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- what was found -------------------------------------------------------- */

/* Who reads a statement, and so what it can mean. */
enum entry_src {
	SRC_MODPROBE,		/* modprobe.d */
	SRC_MODULES,		/* /etc/modules, modules-load.d */
	SRC_INITRAMFS,		/* initramfs-tools/modules */
	SRC_DRACUT,		/* dracut.conf.d */
	SRC_CMDLINE,		/* /proc/cmdline */
};

enum iommu_vendor { IOMMU_UNKNOWN, IOMMU_INTEL, IOMMU_AMD };

/* One statement as read, before anything is decided about it. */
struct entry {
	enum entry_src src;
	bool in_etc;		/* written by the admin, not shipped by a package */
	char *where;		/* "FILE:LINE" */
	char *text;		/* the logical line; SRC_CMDLINE: the key, NUL, the value */
	size_t len;		/* of the line; SRC_CMDLINE: of the key */
	const char *val;	/* SRC_CMDLINE: the value in @text, NULL without '=' */
	size_t vlen;
};

struct imp {
	const struct mode_ctx *c;
	struct pci_tree t;
	bool have_tree;
	bool *taken;		/* per device of t: the ids select it */
	bool *direct;		/* per device of t: an id names it */
	size_t *card0;		/* per device of t: its card's first function, taken or not */
	struct kmod_ctx *kmod;	/* the root's modules, for modules.alias */
	char (*mods)[MODS_LEN];	/* per device of t: the modules that match it */

	struct pci_ids ids[IMPORT_IDS_MAX];
	size_t nids;
	unsigned id_settings;	/* how many ids= values were seen */

	struct entry *e;	/* every statement, in the order read */
	size_t ne;

	struct legacy_line *f;
	size_t nf;
	char **notes;		/* hidden files and the like */
	size_t nnotes;

	struct {
		dev_t dev;
		ino_t ino;
	} *seen;		/* files already read */
	size_t nseen;

	unsigned warnings;
	enum iommu_vendor iommu;	/* valid once iommu_known */
	bool iommu_known;
	bool oom;
	char kver[128];
};

/* "WHERE: TOKEN: why" on stderr; @toklen bytes of @tok, at most 64. */
static void _printf_(5, 6) warn_at(struct imp *im, const char *where, const char *tok,
				   size_t toklen, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	im->warnings++;
	if (im->warnings > WARNINGS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("%s: %.*s: %s", where, (int)(toklen < 64 ? toklen : 64), tok, why);
}

/* Takes every string; a NULL among them means memory ran out. */
static void add_finding(struct imp *im, enum legacy_verdict v, bool gave_ids, char *where,
			char *text, char *edit, char *why)
{
	struct legacy_line *f;

	if (!where || !text || !why || (v == LEGACY_EDIT && !edit))
		goto oom;
	f = realloc(im->f, (im->nf + 1) * sizeof(*f));
	if (!f)
		goto oom;
	im->f = f;
	im->f[im->nf++] = (struct legacy_line){ .v = v, .gave_ids = gave_ids, .where = where,
					    .text = text, .edit = edit, .why = why };
	return;
oom:
	im->oom = true;
	free(where);
	free(text);
	free(edit);
	free(why);
}

static void add_note(struct imp *im, char *note)
{
	char **v;

	if (!note) {
		im->oom = true;
		return;
	}
	v = realloc(im->notes, (im->nnotes + 1) * sizeof(*v));
	if (!v) {
		im->oom = true;
		free(note);
		return;
	}
	im->notes = v;
	im->notes[im->nnotes++] = note;
}

static void imp_free(struct imp *im)
{
	for (size_t i = 0; i < im->ne; i++) {
		free(im->e[i].where);
		free(im->e[i].text);
	}
	free(im->e);
	legacy_free(im->f, im->nf);
	for (size_t i = 0; i < im->nnotes; i++)
		free(im->notes[i]);
	free(im->notes);
	free(im->seen);
	free(im->taken);
	free(im->direct);
	free(im->card0);
	free(im->mods);
	if (im->kmod)
		kmod_unref(im->kmod);
	pci_tree_free(&im->t);
}

/* ---- ids ------------------------------------------------------------------- */

static void add_id(struct imp *im, const struct pci_ids *id)
{
	for (size_t i = 0; i < im->nids; i++) {
		const struct pci_ids *x = &im->ids[i];

		if (x->vendor == id->vendor && x->device == id->device &&
		    x->has_sub == id->has_sub &&
		    (!id->has_sub || (x->subvendor == id->subvendor &&
				      x->subdevice == id->subdevice)))
			return;
	}
	if (im->nids == IMPORT_IDS_MAX) {
		warn_at(im, "vfio-pci", "ids", 3, "more than %d ids, the rest are not imported",
			IMPORT_IDS_MAX);
		return;
	}
	im->ids[im->nids++] = *id;
}

static void format_id(const struct pci_ids *id, char *buf, size_t size)
{
	if (id->has_sub)
		snprintf(buf, size, "%04x:%04x:%04x:%04x", id->vendor, id->device,
			 id->subvendor, id->subdevice);
	else
		snprintf(buf, size, "%04x:%04x", id->vendor, id->device);
}

/* One element of vfio-pci's ids= as libkmod gives it to boot. */
static void kmod_id(void *data, const char *s, size_t len)
{
	struct imp *im = data;
	struct pci_ids id;
	const char *why;

	/* A bad element was reported where the reader found it (FILE:LINE). */
	if (parse_kernel_ids(s, len, &id, &why) == 0)
		add_id(im, &id);
}

/*
 * The ids that apply are libkmod's, as boot reads them (modload.c), so
 * that --import and boot cannot disagree; the statements only tell where
 * each came from.
 */
static void import_kmod_ids(struct imp *im)
{
	int r = modload_vfio_pci_ids(im->c->root, im->c->rootfd, kmod_id, im);

	if (r == -ENOMEM)
		im->oom = true;
	else if (r < 0)
		log_debug("vfio-pci's options: %s", strerror(-r));
}

/*
 * A comma-separated ids value: every bad entry is reported.  Returns how
 * many are good; *@lost counts the entries vfio-pci takes but an ids rule
 * cannot express.
 */
static unsigned import_ids(struct imp *im, const char *where, const char *val, size_t vlen,
			   unsigned *lost)
{
	struct ids_iter it;
	unsigned good = 0;
	const char *p;
	size_t len;

	im->id_settings++;
	ids_iter_init(&it, val, vlen);
	if (it.p == it.end) {
		warn_at(im, where, "ids=", 4, "empty ids list");
		return 0;
	}
	/* The kernel skips empty entries too ("a,,b", "a,"): so does the iterator. */
	while (ids_iter_next(&it, &p, &len)) {
		struct pci_ids id;
		const char *why;
		int r;

		if ((r = parse_kernel_ids(p, len, &id, &why)) < 0) {
			warn_at(im, where, p, len, "%s, skipped", why);
			if (r == -EOPNOTSUPP)
				(*lost)++;
		} else {
			good++;
		}
	}
	return good;
}

static bool id_matches(const struct pci_ids *id, const struct pci_dev *d)
{
	return id->vendor == d->vendor && id->device == d->device &&
	       (!id->has_sub || (id->subvendor == d->subvendor && id->subdevice == d->subdevice));
}

/* ---- module names ---------------------------------------------------------- */

static bool mod_is(const char *s, size_t len, const char *name)
{
	return name_eq(s, len, name);
}

static bool is_vfio_pci(const char *s, size_t len)
{
	return mod_is(s, len, "vfio_pci");
}

/* The vfio stack: vfio-early loads it (vfio-pci pulls in the rest). */
static bool is_vfio_module(const char *s, size_t len)
{
	static const char *const names[] = { "vfio", "vfio_pci", "vfio_pci_core",
					     "vfio_iommu_type1", "vfio_virqfd" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (mod_is(s, len, names[i]))
			return true;
	return false;
}

static bool valid_module_name(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/*
 * Drivers that passthrough recipes keep away from a card's functions, for
 * the wording (what kind of device, whether the host has its own), and the
 * devices each drives when the root has no module index to tell (or, like
 * nvidia_drm, the module has no alias of its own).  Which devices any other
 * module drives comes from modules.alias (modalias.c).
 */
static const struct card_driver {
	const char *name;
	uint16_t vendor;	/* 0: any vendor */
	uint32_t cls;
	uint32_t mask;
	const char *what;	/* "NVIDIA GPU" */
	bool host_needs;	/* the host has its own devices of this kind */
} card_drivers[] = {
	{ "nouveau", 0x10de, 0x030000, 0xff0000, "NVIDIA GPU", false },
	{ "nvidia", 0x10de, 0x030000, 0xff0000, "NVIDIA GPU", false },
	{ "nvidia_drm", 0x10de, 0x030000, 0xff0000, "NVIDIA GPU", false },
	{ "nvidia_modeset", 0x10de, 0x030000, 0xff0000, "NVIDIA GPU", false },
	{ "nvidiafb", 0x10de, 0x030000, 0xff0000, "NVIDIA GPU", false },
	{ "amdgpu", 0x1002, 0x030000, 0xff0000, "AMD GPU", false },
	{ "radeon", 0x1002, 0x030000, 0xff0000, "AMD GPU", false },
	{ "snd_hda_intel", 0, 0x040300, 0xffff00, "HD Audio controller", true },
	{ "xhci_hcd", 0, 0x0c0330, 0xffffff, "USB 3 (xHCI) controller", true },
	{ "xhci_pci", 0, 0x0c0330, 0xffffff, "USB 3 (xHCI) controller", true },
	{ "i2c_nvidia_gpu", 0x10de, 0x0c8000, 0xffff00, "NVIDIA USB-C (UCSI) function", false },
	{ "ucsi_ccg", 0x10de, 0x0c8000, 0xffff00, "NVIDIA USB-C (UCSI) function", false },
};

static const struct card_driver *card_driver(const char *s, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(card_drivers); i++)
		if (mod_is(s, len, card_drivers[i].name))
			return &card_drivers[i];
	return NULL;
}

/* A module that a blacklist, a hard block or a command-line blacklist names. */
struct blocked {
	const char *name;
	size_t len;
	const struct card_driver *k;	/* the table's entry, or NULL */
};

/* Would @b's module drive device @i of the tree? */
static bool drives(const struct imp *im, const struct blocked *b, size_t i)
{
	const struct pci_dev *d = &im->t.dev[i];
	const struct card_driver *k = b->k;

	if (pci_is_bridge(d))
		return false;
	if (k && (!k->vendor || k->vendor == d->vendor) && (d->class & k->mask) == k->cls)
		return true;
	return im->mods && modalias_list_has(im->mods[i], b->name, b->len);
}

/*
 * Does a line that blocks this module matter here: the table knows the
 * module, or modules.alias says it would drive a device the ids select.
 */
static bool blocked_of(const struct imp *im, const char *name, size_t len, struct blocked *b)
{
	*b = (struct blocked){ .name = name, .len = len, .k = card_driver(name, len) };
	if (b->k)
		return true;
	for (size_t i = 0; im->have_tree && i < im->t.n; i++)
		if (im->taken[i] && drives(im, b, i))
			return true;
	return false;
}

/* " 0000:00:1f.3 [8086:a348], 0000:..." for the devices the driver serves that
 * the ids take (@taken) or leave to the host (!@taken). Returns how many. */
static unsigned name_devices(const struct imp *im, const struct blocked *k, bool taken,
			     struct sbuf *b)
{
	unsigned n = 0;

	if (!im->have_tree)
		return 0;
	for (size_t i = 0; i < im->t.n; i++) {
		const struct pci_dev *d = &im->t.dev[i];

		if (im->taken[i] != taken || !drives(im, k, i))
			continue;
		if (n < DEVS_NAMED)
			sb_addf(b, "%s%s [%04x:%04x]", n ? ", " : "", d->name, d->vendor, d->device);
		n++;
	}
	if (n > DEVS_NAMED)
		sb_addf(b, " and %u more", n - DEVS_NAMED);
	return n;
}

/* A driver the host needs for its own devices too (HD Audio, xHCI). */
static void explain_host_driver(const struct blocked *b, const char *how, struct sbuf *why,
				const struct sbuf *card, unsigned ncard, const struct sbuf *host,
				unsigned nhost)
{
	sb_addf(why, "%s %s takes it from every %s, the host's own included", how,
		b->k->name, b->k->what);
	if (nhost)
		sb_addf(why, " (here %s)", host->s);
	sb_addf(why, "; vfio-early takes only the card's function");
	if (ncard)
		sb_addf(why, " (%s)", card->s);
	sb_addf(why, " and leaves %s to the rest.", b->k->name);
}

/*
 * Why a blacklist (or hard block, or command-line blacklist) of @b is, or
 * is not, needed with vfio-early.  Returns the verdict for this module.
 */
static enum legacy_verdict explain_block(const struct imp *im, const struct blocked *b,
					 const char *how, struct sbuf *why, bool *harms)
{
	struct sbuf card = { 0 }, host = { 0 };
	unsigned ncard = name_devices(im, b, true, &card);
	unsigned nhost = name_devices(im, b, false, &host);
	enum legacy_verdict v = LEGACY_DROP;

	*harms = b->k && b->k->host_needs && nhost > 0;
	if (b->k && b->k->host_needs) {
		explain_host_driver(b, how, why, &card, ncard, &host, nhost);
	} else if (nhost && b->k) {
		v = LEGACY_KEEP;
		sb_addf(why, "%s %s also keeps it off %s, which the ids do not select: keep it if "
			"that %s must not use %s (the NVIDIA driver packages install such a "
			"blacklist of nouveau themselves), otherwise remove it.", how, b->k->name,
			host.s, b->k->what, b->k->name);
	} else if (nhost) {
		v = LEGACY_KEEP;
		sb_addf(why, "%s %.*s also keeps it off %s, which the ids do not select "
			"(modules.alias): keep it if %s must not use %.*s, otherwise remove it.",
			how, (int)b->len, b->name, host.s, nhost > 1 ? "those" : "that device",
			(int)b->len, b->name);
	} else {
		sb_addf(why, "vfio-early writes vfio-pci into the card's driver_override before "
			"udev loads any driver, and no other driver can take a device whose "
			"override names vfio-pci: the %s", ncard > 1 ? "cards" : "card");
		if (ncard)
			sb_addf(why, " (%s)", card.s);
		sb_addf(why, " %s no blacklist.", ncard > 1 ? "need" : "needs");
	}
	free(card.s);
	free(host.s);
	return v;
}

/* ---- reading files ----------------------------------------------------------- */

/* Has this file (the same inode under another name) been read already? */
static bool seen_before(struct imp *im, int dirfd, const char *name)
{
	struct stat st;
	void *v;

	if (fstatat(dirfd, name, &st, 0) < 0)
		return false;
	for (size_t i = 0; i < im->nseen; i++)
		if (im->seen[i].dev == st.st_dev && im->seen[i].ino == st.st_ino)
			return true;
	v = realloc(im->seen, (im->nseen + 1) * sizeof(*im->seen));
	if (!v)
		return false;
	im->seen = v;
	im->seen[im->nseen].dev = st.st_dev;
	im->seen[im->nseen].ino = st.st_ino;
	im->nseen++;
	return false;
}

/* A link to /dev/null masks a configuration file. */
static bool is_masked(int dirfd, const char *name)
{
	char target[64];

	return read_link(dirfd, name, target, sizeof(target)) > 0 &&
	       strcmp(target, "/dev/null") == 0;
}

/* Read @name in @dirfd; NULL (reported unless it is simply absent) on failure. */
static char *read_conf(struct imp *im, int dirfd, const char *name, const char *shown,
		       size_t *len)
{
	char *buf = read_file_at(dirfd, name, IMPORT_FILE_MAX, len);

	if (!buf && errno != ENOENT && errno != EISDIR)
		warn_at(im, shown, "(file)", 6, "%s, not read",
			errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	return buf;
}

/* One logical line: continuation lines joined, split into words. */
struct stmt {
	const char *where;	/* "FILE:LINE" */
	const char *line;	/* joined text */
	size_t len;
	size_t n;
	const char *w[IMPORT_WORDS_MAX];
	size_t wl[IMPORT_WORDS_MAX];
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Words up to the first one starting with '#'. */
static void split_words(struct imp *im, struct stmt *s)
{
	const char *p = s->line, *end = s->line + s->len;

	s->n = 0;
	for (;;) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		if (p >= end || *p == '#')
			return;
		w = p;
		while (p < end && !is_blank(*p))
			p++;
		if (s->n == IMPORT_WORDS_MAX) {
			warn_at(im, s->where, "(line)", 6, "more than %d words, the rest is ignored",
				IMPORT_WORDS_MAX);
			return;
		}
		s->w[s->n] = w;
		s->wl[s->n] = (size_t)(p - w);
		s->n++;
	}
}

/*
 * Iterate over the logical lines of a buffer (modprobe.d: a backslash at the
 * end of a line joins the next one).  Returns false at the end; @lineno is
 * the number of the first physical line of the statement.
 */
struct line_iter {
	const char *p;
	const char *end;
	unsigned next;
	bool join;
};

static bool next_stmt(struct imp *im, struct line_iter *it, struct sbuf *b, unsigned *lineno)
{
	if (it->p >= it->end)
		return false;
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	*lineno = ++it->next;
	for (;;) {
		const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
		const char *e = nl ? nl : it->end;
		size_t l = (size_t)(e - it->p);
		bool cont = it->join && l > 0 && it->p[l - 1] == '\\';

		sb_addn(b, it->p, cont ? l - 1 : l);
		it->p = nl ? nl + 1 : it->end;
		if (!cont || it->p >= it->end)
			break;
		it->next++;
	}
	if (b->oom) {
		im->oom = true;
		return false;
	}
	if (!b->s)
		sb_addn(b, "", 0);
	return !b->oom;
}

/* "FILE:LINE" and the line as shown. */
static char *where_of(const char *file, unsigned line)
{
	struct sbuf b = { 0 };

	sb_add_shown(&b, file, strlen(file), 512);
	if (line)
		sb_addf(&b, ":%u", line);
	return sb_take(&b);
}

static char *shown_text(const char *s, size_t len)
{
	struct sbuf b = { 0 };
	size_t skip = 0;

	while (skip < len && is_blank(s[skip]))
		skip++;
	while (len > skip && is_blank(s[len - 1]))
		len--;
	sb_add_shown(&b, s + skip, len - skip, TEXT_SHOWN);
	return sb_take(&b);
}

/* The statement with the words for which @drop is true left out. */
static char *words_without(const struct stmt *s, const bool *drop)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		if (drop[i])
			continue;
		if (b.len)
			sb_add(&b, " ");
		sb_add_shown(&b, s->w[i], s->wl[i], TEXT_SHOWN);
	}
	return sb_take(&b);
}

static void add_stmt_finding(struct imp *im, const struct stmt *s, enum legacy_verdict v,
			     bool gave_ids, char *edit, struct sbuf *why)
{
	add_finding(im, v, gave_ids, strdup(s->where), shown_text(s->line, s->len), edit,
		    sb_take(why));
}

/* ---- modprobe.d --------------------------------------------------------------- */

static void mp_options(struct imp *im, const struct stmt *s)
{
	bool drop[IMPORT_WORDS_MAX] = { false };
	struct sbuf why = { 0 };
	const char *mod = s->w[1];
	size_t modlen = s->wl[1];
	unsigned nids = 0, nopts = 0, lost = 0;
	bool gave = false;

	if (!is_vfio_module(mod, modlen))
		return;
	for (size_t i = 2; i < s->n; i++) {
		const char *w = s->w[i];
		const char *eq = memchr(w, '=', s->wl[i]);

		if (is_vfio_pci(mod, modlen) && eq && name_eq(w, (size_t)(eq - w), "ids")) {
			drop[i] = true;
			nids++;
			gave |= import_ids(im, s->where, eq + 1, s->wl[i] - (size_t)(eq + 1 - w),
					   &lost) > 0;
		} else {
			nopts++;
		}
	}
	if (nids == 0) {
		sb_addf(&why, "an option of %.*s: libkmod applies it when vfio-early loads "
			"vfio-pci (and with it the rest of the vfio stack).", (int)modlen, mod);
		add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	if (lost) {
		sb_add(&why, "holds ids that vfio-pci takes but an ids rule cannot express (see "
		       "the warnings): write address or path rules for those devices, then remove "
		       "ids= from this line.");
		add_stmt_finding(im, s, LEGACY_KEEP, gave, NULL, &why);
		return;
	}
	sb_add(&why, "ids= is the ids rule above now. Remove it before you narrow that rule to "
	       "address or path rules: vfio-pci itself takes every device with these ids when "
	       "it loads, any other card with the same ids included.");
	if (nopts == 0) {
		add_stmt_finding(im, s, LEGACY_DROP, gave, NULL, &why);
		return;
	}
	sb_add(&why, " The other options stay: libkmod applies them when vfio-early loads "
	       "vfio-pci.");
	drop[0] = drop[1] = false;
	add_stmt_finding(im, s, LEGACY_EDIT, gave, words_without(s, drop), &why);
}

static void mp_softdep(struct imp *im, const struct stmt *s)
{
	bool drop[IMPORT_WORDS_MAX] = { false };
	struct sbuf why = { 0 };
	const char *mod = s->w[1];
	size_t modlen = s->wl[1];
	size_t mode = 0;	/* index of the current pre:/post: word, 0 for none */
	unsigned nvfio = 0, nother = 0;

	for (size_t i = 2; i < s->n; i++) {
		const char *w = s->w[i];
		size_t l = s->wl[i];

		if ((l == 4 && memcmp(w, "pre:", 4) == 0) || (l == 5 && memcmp(w, "post:", 5) == 0)) {
			mode = i;
			continue;
		}
		if (!mode) {
			if (is_vfio_module(w, l))
				warn_at(im, s->where, w, l, "not after pre: or post:, modprobe ignores it");
			continue;
		}
		if (is_vfio_module(w, l) && !is_vfio_module(mod, modlen)) {
			drop[i] = true;
			nvfio++;
		} else {
			nother++;
		}
	}
	if (nvfio == 0)
		return;
	sb_add(&why, "makes modprobe load vfio-pci before the host driver so that vfio-pci's "
	       "ids claim the card first; vfio-early binds the card before udev loads any "
	       "driver, so the order no longer matters.");
	if (nother == 0) {
		add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
		return;
	}
	/* Keep the other dependencies; drop a pre:/post: left with nothing after it. */
	for (size_t i = 2; i < s->n; i++) {
		size_t j;

		if (!(s->wl[i] == 4 && memcmp(s->w[i], "pre:", 4) == 0) &&
		    !(s->wl[i] == 5 && memcmp(s->w[i], "post:", 5) == 0))
			continue;
		for (j = i + 1; j < s->n && drop[j]; j++)
			;
		if (j == s->n || (s->wl[j] == 4 && memcmp(s->w[j], "pre:", 4) == 0) ||
		    (s->wl[j] == 5 && memcmp(s->w[j], "post:", 5) == 0))
			drop[i] = true;
	}
	sb_add(&why, " The other dependencies stay.");
	add_stmt_finding(im, s, LEGACY_EDIT, false, words_without(s, drop), &why);
}

/* The finding just added takes a driver from devices the host keeps. */
static void mark_harm(struct imp *im, bool harms)
{
	if (im->nf > 0)
		im->f[im->nf - 1].harms_host = harms;
}

static void mp_blacklist(struct imp *im, const struct stmt *s, bool in_etc)
{
	struct sbuf why = { 0 };
	struct blocked k;
	enum legacy_verdict v;
	bool harms;

	if (!blocked_of(im, s->w[1], s->wl[1], &k))
		return;
	if (!in_etc) {
		sb_addf(&why, "shipped by a package, not part of a passthrough recipe: leave it "
			"(a file of the same name in /etc/modprobe.d overrides it).");
		add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	v = explain_block(im, &k, "blacklisting", &why, &harms);
	add_stmt_finding(im, s, v, false, NULL, &why);
	mark_harm(im, harms);
}

static bool is_false_command(const char *w, size_t l)
{
	static const char *const cmds[] = { "/bin/false", "/usr/bin/false", "false",
					    "/bin/true", "/usr/bin/true", "true" };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strlen(cmds[i]) == l && memcmp(w, cmds[i], l) == 0)
			return true;
	return false;
}

static bool mentions_vfio_pci(const struct stmt *s, size_t from)
{
	for (size_t i = from; i < s->n; i++) {
		/* "modprobe vfio-pci;" and the like: look inside the word. */
		for (size_t j = 0; j + 8 <= s->wl[i]; j++)
			if (name_eq(s->w[i] + j, 8, "vfio_pci"))
				return true;
	}
	return false;
}

static void mp_install(struct imp *im, const struct stmt *s, bool in_etc)
{
	struct sbuf why = { 0 };
	struct blocked k;
	enum legacy_verdict v;
	bool harms;

	if (is_vfio_pci(s->w[1], s->wl[1])) {
		sb_add(&why, "runs a command instead of a plain load of vfio-pci (typically a "
		       "script that writes driver_override); vfio-early writes driver_override "
		       "itself. Check that the rules above select the devices the command did.");
		add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
		return;
	}
	if (mentions_vfio_pci(s, 2)) {
		sb_addf(&why, "loads vfio-pci before %.*s so that vfio-pci's ids claim the card "
			"first; vfio-early binds the card before udev loads any driver.",
			(int)s->wl[1], s->w[1]);
		add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
		return;
	}
	if (!is_false_command(s->w[2], s->wl[2]) || !blocked_of(im, s->w[1], s->wl[1], &k))
		return;
	if (!in_etc) {
		sb_add(&why, "shipped by a package, not part of a passthrough recipe: leave it.");
		add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	v = explain_block(im, &k, "this hard block (stronger than a blacklist: modprobe runs "
			  "the command even when another module needs the driver) of", &why,
			  &harms);
	add_stmt_finding(im, s, v, false, NULL, &why);
	mark_harm(im, harms);
}

static void mp_alias(struct imp *im, const struct stmt *s)
{
	struct sbuf why = { 0 };

	if (s->n < 3 || !is_vfio_pci(s->w[2], s->wl[2]))
		return;
	sb_add(&why, "makes udev load vfio-pci for that device; vfio-early loads vfio-pci "
	       "itself, after writing driver_override.");
	add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
}

static void modprobe_stmt(struct imp *im, struct stmt *s, bool in_etc)
{
	static const struct {
		const char *cmd;
		size_t min_words;
	} cmds[] = {
		{ "alias", 3 }, { "options", 2 }, { "install", 3 }, { "remove", 3 },
		{ "softdep", 3 }, { "weakdep", 3 }, { "blacklist", 2 },
		{ "include", 1 }, { "config", 1 },
	};
	size_t i;

	split_words(im, s);
	if (s->n == 0)
		return;
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strlen(cmds[i].cmd) == s->wl[0] && memcmp(s->w[0], cmds[i].cmd, s->wl[0]) == 0)
			break;
	if (i == ARRAY_SIZE(cmds)) {
		warn_at(im, s->where, s->w[0], s->wl[0],
			"not a modprobe.d command (alias, blacklist, install, options, remove, "
			"softdep), modprobe ignores the line");
		return;
	}
	if (s->n < cmds[i].min_words) {
		warn_at(im, s->where, s->w[0], s->wl[0], "%s", cmds[i].min_words == 2 ?
			"needs a module name, modprobe ignores the line" :
			"needs a module name and more, modprobe ignores the line");
		return;
	}
	if (cmds[i].min_words >= 2 && !valid_module_name(s->w[1], s->wl[1]) &&
	    strcmp(cmds[i].cmd, "alias") != 0) {
		warn_at(im, s->where, s->w[1], s->wl[1], "not a module name, ignored");
		return;
	}
	if (strcmp(cmds[i].cmd, "options") == 0)
		mp_options(im, s);
	else if (strcmp(cmds[i].cmd, "softdep") == 0)
		mp_softdep(im, s);
	else if (strcmp(cmds[i].cmd, "blacklist") == 0)
		mp_blacklist(im, s, in_etc);
	else if (strcmp(cmds[i].cmd, "install") == 0)
		mp_install(im, s, in_etc);
	else if (strcmp(cmds[i].cmd, "alias") == 0)
		mp_alias(im, s);
}

/* ---- reading: every statement once, into im->e ---------------------------- */

static void add_entry(struct imp *im, struct entry *e)
{
	struct entry *v;

	if (!e->where || !e->text)
		goto oom;
	v = realloc(im->e, (im->ne + 1) * sizeof(*v));
	if (!v)
		goto oom;
	im->e = v;
	im->e[im->ne++] = *e;
	return;
oom:
	im->oom = true;
	free(e->where);
	free(e->text);
}

/* Each logical line of a file (a backslash joins lines in modprobe.d only). */
static void read_stmts(struct imp *im, const char *shown, const char *buf, size_t len,
		       enum entry_src src, bool in_etc)
{
	struct line_iter it = { .p = buf, .end = buf + len, .join = src == SRC_MODPROBE };
	struct sbuf line = { 0 };
	unsigned lineno;

	while (!im->oom && next_stmt(im, &it, &line, &lineno)) {
		struct entry e = { .src = src, .in_etc = in_etc, .len = line.len };

		e.where = where_of(shown, lineno);
		e.text = sb_take(&line);
		add_entry(im, &e);
	}
	free(line.s);
}

/* ---- directories of *.conf ------------------------------------------------------ */

#define CONF_DIRS_MAX 8

struct conf_file {
	char *name;
	size_t dir;		/* index into the directory list */
};

/* The directories of one kind, and the files to read from them. */
struct conf_dirs {
	const char *const *dirs;
	size_t n;
	int fd[CONF_DIRS_MAX];	/* -1: absent, or the same as an earlier one */
	struct conf_file *files;
	size_t nfiles;
};

static int conf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

static bool conf_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l > 5 && strcmp(name + l - 5, ".conf") == 0;
}

/* Each directory opened once: /lib is /usr/lib on merged-/usr systems. */
static void open_dirs(struct imp *im, struct conf_dirs *cd)
{
	struct stat st[CONF_DIRS_MAX];

	for (size_t d = 0; d < cd->n; d++) {
		cd->fd[d] = openat(im->c->rootfd, cd->dirs[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cd->fd[d] < 0)
			continue;
		if (fstat(cd->fd[d], &st[d]) < 0) {
			close(cd->fd[d]);
			cd->fd[d] = -1;
			continue;
		}
		for (size_t x = 0; x < d; x++) {
			if (cd->fd[x] >= 0 && st[x].st_dev == st[d].st_dev &&
			    st[x].st_ino == st[d].st_ino) {
				close(cd->fd[d]);
				cd->fd[d] = -1;
				break;
			}
		}
	}
}

/* "/DIR/NAME is hidden by /EARLIER/NAME (a link to /dev/null) and was not read." */
static void note_hidden(struct imp *im, const struct conf_dirs *cd, size_t d,
			const struct conf_file *by)
{
	struct sbuf n = { 0 };
	size_t nl = strlen(by->name);

	sb_add(&n, "/");
	sb_add_shown(&n, cd->dirs[d], strlen(cd->dirs[d]), 256);
	sb_add(&n, "/");
	sb_add_shown(&n, by->name, nl, 256);
	sb_add(&n, " is hidden by /");
	sb_add(&n, cd->dirs[by->dir]);
	sb_add(&n, "/");
	sb_add_shown(&n, by->name, nl, 256);
	sb_add(&n, is_masked(cd->fd[by->dir], by->name) ?
	       " (a link to /dev/null) and was not read." : " and was not read.");
	add_note(im, sb_take(&n));
}

/* The *.conf of directory @d that no earlier directory hides, into cd->files. */
static void list_dir(struct imp *im, struct conf_dirs *cd, size_t d)
{
	int fd = cd->fd[d] >= 0 ? dup(cd->fd[d]) : -1;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	unsigned count = 0;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		struct conf_file *v;
		size_t k;

		if (!conf_name(e->d_name))
			continue;
		for (k = 0; k < cd->nfiles && strcmp(cd->files[k].name, e->d_name) != 0; k++)
			;
		if (k < cd->nfiles) {
			note_hidden(im, cd, d, &cd->files[k]);
			continue;
		}
		if (++count > IMPORT_DIR_FILES) {
			warn_at(im, cd->dirs[d], "(directory)", 11, "more than %d files, the rest "
				"are not read", IMPORT_DIR_FILES);
			break;
		}
		v = realloc(cd->files, (cd->nfiles + 1) * sizeof(*v));
		if (!v || !(v[cd->nfiles].name = strdup(e->d_name))) {
			cd->files = v ? v : cd->files;
			im->oom = true;
			break;
		}
		cd->files = v;
		cd->files[cd->nfiles++].dir = d;
	}
	closedir(dir);
}

/* The listed files in the order of their names, each file once. */
static void read_listed(struct imp *im, const struct conf_dirs *cd, enum entry_src src)
{
	for (size_t i = 0; i < cd->nfiles && !im->oom; i++) {
		const struct conf_file *f = &cd->files[i];
		int fd = cd->fd[f->dir];
		struct sbuf n = { 0 };
		char *shown, *buf;
		size_t len;

		sb_add(&n, "/");
		sb_add(&n, cd->dirs[f->dir]);
		sb_add(&n, "/");
		sb_add_shown(&n, f->name, strlen(f->name), 256);
		shown = sb_take(&n);
		if (!shown) {
			im->oom = true;
			break;
		}
		if (!is_masked(fd, f->name) && !seen_before(im, fd, f->name)) {
			buf = read_conf(im, fd, f->name, shown, &len);
			if (buf)
				read_stmts(im, shown, buf, len, src,
					   strncmp(cd->dirs[f->dir], "etc/", 4) == 0);
			free(buf);
		}
		free(shown);
	}
}

/*
 * Every *.conf of the directories in @dirs, same-named files hidden by the
 * earlier directory, in the order of their names.
 */
static void read_conf_dirs(struct imp *im, const char *const *dirs, size_t ndirs,
			   enum entry_src src)
{
	struct conf_dirs cd = { .dirs = dirs, .n = ndirs < CONF_DIRS_MAX ? ndirs : CONF_DIRS_MAX };

	open_dirs(im, &cd);
	for (size_t d = 0; d < cd.n && !im->oom; d++)
		list_dir(im, &cd, d);
	if (cd.files)
		qsort(cd.files, cd.nfiles, sizeof(*cd.files), conf_cmp);
	read_listed(im, &cd, src);
	for (size_t d = 0; d < cd.n; d++)
		if (cd.fd[d] >= 0)
			close(cd.fd[d]);
	for (size_t i = 0; i < cd.nfiles; i++)
		free(cd.files[i].name);
	free(cd.files);
}

static void read_one(struct imp *im, const char *rel, enum entry_src src)
{
	char shown[256];
	char *buf;
	size_t len;

	snprintf(shown, sizeof(shown), "/%s", rel);
	if (seen_before(im, im->c->rootfd, rel))
		return;
	buf = read_conf(im, im->c->rootfd, rel, shown, &len);
	if (buf)
		read_stmts(im, shown, buf, len, src, true);
	free(buf);
}

static const char CMDLINE_WHERE[] = "/proc/cmdline";

/* Each parameter an entry: the key, a NUL, the value (if any), a NUL. */
static void read_cmdline(struct imp *im)
{
	_cleanup_free_ char *buf = NULL;
	const char *pos, *end;
	struct cmdline_tok t;
	size_t len;

	buf = read_file_at(im->c->rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (!buf) {
		log_debug("cannot read /proc/cmdline: %s", strerror(errno));
		return;
	}
	pos = buf;
	end = buf + len;
	while (!im->oom && cmdline_next(&pos, end, &t)) {
		struct entry e = { .src = SRC_CMDLINE, .in_etc = true, .len = t.klen };

		e.where = strdup(CMDLINE_WHERE);
		e.text = malloc(t.klen + t.vlen + 2);
		if (e.text) {
			memcpy(e.text, t.key, t.klen);
			e.text[t.klen] = '\0';
			if (t.val) {
				e.val = e.text + t.klen + 1;
				e.vlen = t.vlen;
				memcpy(e.text + t.klen + 1, t.val, t.vlen);
			}
			e.text[t.klen + 1 + (t.val ? t.vlen : 0)] = '\0';
		}
		add_entry(im, &e);
	}
}

/* Every statement of the recipe, once, in the order modprobe and the boot read them. */
static void read_all(struct imp *im)
{
	static const char *const load_dirs[] = { "etc/modules-load.d" };
	static const char *const dracut_dirs[] = { "etc/dracut.conf.d" };

	read_conf_dirs(im, modprobe_dirs, MODPROBE_NDIRS, SRC_MODPROBE);
	read_one(im, "etc/modules", SRC_MODULES);
	read_conf_dirs(im, load_dirs, ARRAY_SIZE(load_dirs), SRC_MODULES);
	read_one(im, "etc/initramfs-tools/modules", SRC_INITRAMFS);
	read_conf_dirs(im, dracut_dirs, ARRAY_SIZE(dracut_dirs), SRC_DRACUT);
	read_cmdline(im);
}

/* ---- module lists: /etc/modules, modules-load.d, initramfs-tools ------------------ */

static bool kernel_at_least(const char *kver, unsigned major, unsigned minor)
{
	unsigned a = 0, b = 0;

	if (sscanf(kver, "%u.%u", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

static void modules_stmt(struct imp *im, struct stmt *s, bool initramfs)
{
	struct sbuf why = { 0 };

	split_words(im, s);
	/* modules-load.d also takes ';' comments. */
	if (s->n == 0 || s->w[0][0] == ';')
		return;
	if (!valid_module_name(s->w[0], s->wl[0])) {
		warn_at(im, s->where, s->w[0], s->wl[0], "not a module name, ignored");
		return;
	}
	if (!is_vfio_module(s->w[0], s->wl[0]))
		return;
	if (initramfs)
		sb_add(&why, "loads the vfio modules in the initramfs; the vfio-early hook puts "
		       "them into the image and vfio-early loads vfio-pci (which brings vfio and "
		       "vfio_iommu_type1 along) after writing driver_override.");
	else
		sb_add(&why, "loaded by systemd-modules-load after the root filesystem is "
		       "mounted, long after vfio-early has bound the devices and loaded vfio-pci "
		       "(which brings vfio and vfio_iommu_type1 along).");
	if (mod_is(s->w[0], s->wl[0], "vfio_virqfd") && kernel_at_least(im->kver, 6, 2))
		sb_addf(&why, " vfio_virqfd is part of vfio since Linux 6.2 (this host runs %s): "
			"the line only makes an error at boot.", im->kver);
	add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
}

/*
 * dracut.conf.d: the key of "add_drivers+=VALUE" or "force_drivers=VALUE"
 * (@k, @klen) and where the value starts (@v).  False for any other line.
 */
static bool dracut_key(const struct stmt *s, const char **k, size_t *klen, const char **v)
{
	const char *p = s->line, *end = s->line + s->len;

	while (p < end && is_blank(*p))
		p++;
	*k = p;
	while (p < end && *p != '=' && *p != '+' && !is_blank(*p))
		p++;
	*klen = (size_t)(p - *k);
	if (!name_eq(*k, *klen, "add_drivers") && !name_eq(*k, *klen, "force_drivers"))
		return false;
	if (p < end && *p == '+')
		p++;
	if (p >= end || *p != '=')
		return false;
	*v = p + 1;
	return true;
}

/* add_drivers+=" vfio vfio_iommu_type1 vfio_pci " */
static void dracut_stmt(struct imp *im, struct stmt *s)
{
	bool drop[IMPORT_WORDS_MAX] = { false };
	struct sbuf why = { 0 };
	_cleanup_free_ char *copy = NULL;
	const char *k, *v;
	size_t klen, nvfio = 0, nother = 0;
	struct stmt words = { .where = s->where };

	if (!dracut_key(s, &k, &klen, &v))
		return;
	/* The words inside the quotes. */
	copy = strndup(v, (size_t)(s->line + s->len - v));
	if (!copy) {
		im->oom = true;
		return;
	}
	for (char *c = copy; *c; c++)
		if (*c == '"' || *c == '\'')
			*c = ' ';
	words.line = copy;
	words.len = strlen(copy);
	split_words(im, &words);
	for (size_t i = 0; i < words.n; i++) {
		drop[i] = is_vfio_module(words.w[i], words.wl[i]);
		if (drop[i])
			nvfio++;
		else
			nother++;
	}
	if (!nvfio)
		return;
	sb_addf(&why, "puts the vfio modules into the image%s; the vfio-early dracut module adds "
		"them itself and vfio-early loads vfio-pci after writing driver_override.",
		name_eq(k, klen, "force_drivers") ? " and loads them before udev" : "");
	if (nother) {
		struct sbuf e = { 0 };
		char *rest = words_without(&words, drop);

		sb_addn(&e, k, klen);
		sb_addf(&e, "+=\" %s \"", rest ? rest : "");
		free(rest);
		sb_add(&why, " The other drivers stay.");
		add_stmt_finding(im, s, LEGACY_EDIT, false, sb_take(&e), &why);
	} else {
		add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
	}
}

/* ---- the kernel command line ------------------------------------------------------ */

static char *cmdline_text(const struct cmdline_tok *t)
{
	struct sbuf b = { 0 };

	sb_add_shown(&b, t->key, t->klen, TEXT_SHOWN);
	if (t->val) {
		sb_add(&b, "=");
		sb_add_shown(&b, t->val, t->vlen, TEXT_SHOWN);
	}
	return sb_take(&b);
}

/* What a module list on the command line becomes, element by element. */
struct modlist {
	struct sbuf why;
	struct sbuf rest;	/* the elements that stay */
	unsigned removed;
	unsigned kept;
	bool keep_any;		/* a blacklist that must stay */
	bool harms;
};

/* One element of the list: dropped, or kept into ml->rest. */
static void modlist_elem(const struct imp *im, struct modlist *ml, const char *p, size_t len,
			 bool blacklist)
{
	struct blocked k;
	bool drop = false;

	if (len == 0)
		return;
	if (!blacklist && is_vfio_module(p, len)) {
		drop = true;
	} else if (blacklist && blocked_of(im, p, len, &k)) {
		struct sbuf one = { 0 };
		bool hurt = false;

		sb_add_shown(&one, p, len, 64);
		sb_add(&one, ": ");
		if (explain_block(im, &k, "blacklisting", &one, &hurt) == LEGACY_KEEP)
			ml->keep_any = true;
		else
			drop = true;
		ml->harms |= hurt;
		if (ml->why.len)
			sb_add(&ml->why, " ");
		sb_add(&ml->why, one.s ? one.s : "");
		free(one.s);
	}
	if (drop) {
		ml->removed++;
	} else {
		if (ml->kept++)
			sb_add(&ml->rest, ",");
		sb_add_shown(&ml->rest, p, len, TEXT_SHOWN);
	}
}

/* A comma list of modules: rd.driver.pre=, modprobe.blacklist= ... */
static void cmdline_modlist(struct imp *im, const struct cmdline_tok *t, bool blacklist)
{
	struct modlist ml = { 0 };
	const char *p = t->val, *end = t->val + t->vlen, *c;
	enum legacy_verdict v = LEGACY_EDIT;
	char *edit = NULL;

	for (;; p = c + 1) {
		c = memchr(p, ',', (size_t)(end - p));
		modlist_elem(im, &ml, p, c ? (size_t)(c - p) : (size_t)(end - p), blacklist);
		if (!c)
			break;
	}
	if (!ml.removed && !ml.keep_any) {
		free(ml.why.s);
		free(ml.rest.s);
		return;
	}
	if (!blacklist)
		sb_add(&ml.why, "makes dracut load the vfio modules before udev so that vfio-pci's "
		       "ids claim the card; vfio-early loads vfio-pci itself, after writing "
		       "driver_override.");
	if (!ml.removed) {
		v = LEGACY_KEEP;
	} else if (!ml.kept) {
		v = LEGACY_DROP;
	} else {
		struct sbuf e = { 0 };

		sb_add_shown(&e, t->key, t->klen, TEXT_SHOWN);
		sb_addf(&e, "=%s", ml.rest.s ? ml.rest.s : "");
		edit = sb_take(&e);
	}
	free(ml.rest.s);
	add_finding(im, v, false, strdup(CMDLINE_WHERE), cmdline_text(t), edit,
		    sb_take(&ml.why));
	mark_harm(im, ml.harms);
}

static void cmdline_ids(struct imp *im, const struct cmdline_tok *t)
{
	struct sbuf why = { 0 };
	unsigned lost = 0;
	unsigned n = t->val ? import_ids(im, CMDLINE_WHERE, t->val, t->vlen, &lost) : 0;

	if (!t->val)
		warn_at(im, CMDLINE_WHERE, t->key, t->klen, "no value");
	if (lost)
		sb_add(&why, "holds ids that vfio-pci takes but an ids rule cannot "
		       "express (see the warnings): write address or path rules for "
		       "those devices, then remove it.");
	else
		sb_add(&why, "vfio-early reads it as an ids rule too, so it would "
		       "only repeat the rule above; and vfio-pci itself takes every "
		       "device with these ids when it loads, which defeats address "
		       "and path rules.");
	add_finding(im, lost ? LEGACY_KEEP : LEGACY_DROP, n > 0, strdup(CMDLINE_WHERE),
		    cmdline_text(t), NULL, sb_take(&why));
}

static void cmdline_keep(struct imp *im, const struct cmdline_tok *t, const char *why)
{
	add_finding(im, LEGACY_KEEP, false, strdup(CMDLINE_WHERE), cmdline_text(t), NULL,
		    strdup(why));
}

/* The host's IOMMU: its units in sysfs, else the firmware's table, else the CPU. */
static enum iommu_vendor iommu_vendor(int rootfd)
{
	_cleanup_free_ char *cpu = NULL;
	int fd = openat(rootfd, "sys/class/iommu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	enum iommu_vendor v = IOMMU_UNKNOWN;
	struct dirent *e;
	size_t len;

	if (fd >= 0 && !dir)
		close(fd);
	while (dir && v == IOMMU_UNKNOWN && (e = readdir(dir)))
		v = strncmp(e->d_name, "dmar", 4) == 0 ? IOMMU_INTEL :
		    strncmp(e->d_name, "ivhd", 4) == 0 ? IOMMU_AMD : IOMMU_UNKNOWN;
	if (dir)
		closedir(dir);
	if (v != IOMMU_UNKNOWN)
		return v;
	if (faccessat(rootfd, "sys/firmware/acpi/tables/DMAR", F_OK, 0) == 0)
		return IOMMU_INTEL;
	if (faccessat(rootfd, "sys/firmware/acpi/tables/IVRS", F_OK, 0) == 0)
		return IOMMU_AMD;
	cpu = read_file_at(rootfd, "proc/cpuinfo", 1u << 20, &len);
	if (cpu && (strstr(cpu, "AuthenticAMD") || strstr(cpu, "HygonGenuine")))
		return IOMMU_AMD;
	if (cpu && strstr(cpu, "GenuineIntel"))
		return IOMMU_INTEL;
	return IOMMU_UNKNOWN;
}

/*
 * intel_iommu=on turns VT-d on; amd_iommu=on is not a value the kernel
 * knows (AMD-Vi is on when the firmware enables it), so it can go, as
 * --report says.  Neither is part of the recipe on the other vendor's host.
 */
static void cmdline_iommu(struct imp *im, const struct cmdline_tok *t)
{
	bool intel = name_eq(t->key, t->klen, "intel_iommu");

	if (!intel && !name_eq(t->key, t->klen, "amd_iommu"))
		return;
	if (!im->iommu_known) {
		im->iommu = iommu_vendor(im->c->rootfd);
		im->iommu_known = true;
	}
	if (im->iommu == (intel ? IOMMU_AMD : IOMMU_INTEL))
		return;
	if (intel)
		cmdline_keep(im, t, "turns the IOMMU on; vfio-early binds nothing without one.");
	else
		add_finding(im, LEGACY_DROP, false, strdup(CMDLINE_WHERE), cmdline_text(t), NULL,
			    strdup("does nothing: amd_iommu=on is not a value the kernel knows, "
				   "and AMD-Vi is on when the firmware enables it."));
}

static void cmdline_stmt(struct imp *im, const struct cmdline_tok *t)
{
	if (name_eq(t->key, t->klen, "vfio_pci.ids"))
		cmdline_ids(im, t);
	else if (t->klen > 9 && name_eq(t->key, 9, "vfio_pci."))
		cmdline_keep(im, t, "an option of vfio-pci: libkmod applies it when vfio-early "
			     "loads vfio-pci.");
	else if (t->val && name_eq(t->key, t->klen, "rd.driver.pre"))
		cmdline_modlist(im, t, false);
	else if (t->val && (name_eq(t->key, t->klen, "rd.driver.blacklist") ||
			    name_eq(t->key, t->klen, "modprobe.blacklist") ||
			    name_eq(t->key, t->klen, "module_blacklist")))
		cmdline_modlist(im, t, true);
	else if (t->val && t->vlen == 2 && memcmp(t->val, "on", 2) == 0)
		cmdline_iommu(im, t);
}

/* ---- deciding: what each statement becomes ------------------------------------ */

static void decide(struct imp *im, const struct entry *e)
{
	struct stmt *s;

	if (e->src == SRC_CMDLINE) {
		struct cmdline_tok t = { .key = e->text, .klen = e->len, .val = e->val,
					 .vlen = e->vlen };

		cmdline_stmt(im, &t);
		return;
	}
	s = malloc(sizeof(*s));
	if (!s) {
		im->oom = true;
		return;
	}
	*s = (struct stmt){ .where = e->where, .line = e->text, .len = e->len };
	if (e->src == SRC_MODPROBE)
		modprobe_stmt(im, s, e->in_etc);
	else if (e->src == SRC_DRACUT)
		dracut_stmt(im, s);
	else
		modules_stmt(im, s, e->src == SRC_INITRAMFS);
	free(s);
}
/* ---- the devices the ids select here ---------------------------------------------- */

static void select_devices(struct imp *im)
{
	struct pci_tree *t = &im->t;

	if (pci_scan(t, im->c->rootfd) < 0 || t->n == 0) {
		log_debug("no PCI devices under sys/bus/pci/devices to check the ids against");
		return;
	}
	im->taken = calloc(t->n, sizeof(*im->taken));
	im->direct = calloc(t->n, sizeof(*im->direct));
	im->card0 = calloc(t->n, sizeof(*im->card0));
	if (!im->taken || !im->direct || !im->card0) {
		im->oom = true;
		return;
	}
	im->have_tree = true;
	for (size_t i = 0; i < t->n; i++) {
		im->card0[i] = NO_CARD;
		if (pci_is_bridge(&t->dev[i]))
			continue;
		for (size_t k = 0; k < im->nids; k++)
			if (id_matches(&im->ids[k], &t->dev[i]))
				im->direct[i] = im->taken[i] = true;
	}
	/* An ids rule brings the other functions of the card along (card.h). */
	for (size_t i = 0; i < t->n; i++) {
		struct pci_card c;
		size_t first;

		if (!im->direct[i])
			continue;
		pci_card(t, &t->dev[i], &c);
		first = (size_t)(c.fn[0] - t->dev);
		for (size_t j = 0; j < c.n; j++) {
			size_t f = (size_t)(c.fn[j] - t->dev);

			im->taken[f] = true;
			if (im->card0[f] == NO_CARD)
				im->card0[f] = first;
		}
	}
}

/* Each device's modules, from the root's modules.alias (none without one). */
static void device_modules(struct imp *im)
{
	char kver[sizeof(im->kver)];

	if (!im->kver[0])
		return;
	im->kmod = kmod_open_root(im->c->root, im->c->rootfd, kver, sizeof(kver));
	if (!im->kmod)
		return;
	im->mods = calloc(im->t.n, sizeof(*im->mods));
	if (!im->mods) {
		im->oom = true;
		return;
	}
	for (size_t i = 0; i < im->t.n; i++)
		if (!pci_is_bridge(&im->t.dev[i]) &&
		    modalias_modules(im->kmod, &im->t.dev[i], im->mods[i], MODS_LEN) == -ENOSPC)
			log_debug("%s: more modules than shown", im->t.dev[i].name);
}

/* The first function of the card of device @i, which the ids take. */
static const struct pci_dev *card_of(const struct imp *im, size_t i)
{
	return &im->t.dev[im->card0[i] == NO_CARD ? i : im->card0[i]];
}

/* Each device the ids select, with its driver and group. */
static void print_selected(struct imp *im, FILE *out)
{
	struct pci_tree *t = &im->t;

	fputs("# On this host these ids select (each card with all of its functions):\n", out);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_dev *d = &t->dev[i];

		if (!im->taken[i])
			continue;
		pci_load(t, d);
		fprintf(out, "#   %s [%04x:%04x] class %06x, %s%s", d->name, d->vendor, d->device,
			d->class, d->driver[0] ? "driver " : "no driver",
			d->driver[0] ? d->driver : "");
		if (d->iommu_group >= 0)
			fprintf(out, ", IOMMU group %d", d->iommu_group);
		if (!im->direct[i])
			fprintf(out, " (function of %s)", card_of(im, i)->name);
		fputc('\n', out);
		if (d->boot_vga)
			fputs("#     the boot display: vfio-early refuses it unless the rule says\n"
			      "#     allow-boot-vga\n", out);
	}
}

/* Names the ids no device here has. */
static void print_missing(const struct imp *im, FILE *out)
{
	for (size_t k = 0; k < im->nids; k++) {
		char id[24];
		bool hit = false;

		for (size_t i = 0; i < im->t.n && !hit; i++)
			hit = im->direct[i] && id_matches(&im->ids[k], &im->t.dev[i]);
		format_id(&im->ids[k], id, sizeof(id));
		if (!hit)
			fprintf(out, "#   %s: no such device on this host\n", id);
	}
}

/* A passthrough candidate: a display controller, or a function of its card. */
static bool display_card(const struct imp *im, size_t i)
{
	for (size_t j = 0; j < im->t.n; j++)
		if (im->card0[j] == im->card0[i] && pci_base_class(&im->t.dev[j]) == 0x03)
			return true;
	return false;
}

/*
 * Device @i, a candidate an id names, is one of identical cards: the same
 * id names a candidate on another card too (an ids rule takes them all).
 */
static bool identical_card(const struct imp *im, size_t i)
{
	const struct pci_dev *d = &im->t.dev[i];

	if (!im->direct[i] || !display_card(im, i))
		return false;
	for (size_t j = 0; j < im->t.n; j++) {
		const struct pci_dev *o = &im->t.dev[j];

		if (!im->direct[j] || im->card0[j] == im->card0[i] || !display_card(im, j))
			continue;
		for (size_t k = 0; k < im->nids; k++)
			if (id_matches(&im->ids[k], d) && id_matches(&im->ids[k], o))
				return true;
	}
	return false;
}

/* Is device @i the first of its card's functions in its slot? */
static bool first_in_slot(const struct imp *im, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (im->card0[j] == im->card0[i] && pci_same_slot(&im->t.dev[j], &im->t.dev[i]))
			return false;
	return true;
}

/* "#     path ROOT/HOPS/SS expect=VVVV:DDDD" for the slot of @d. */
static void print_slot_path(const struct imp *im, FILE *out, const struct pci_dev *d)
{
	char path[256];
	char *slash, *dot;
	const char *shown = path;

	if (pci_stable_path(&im->t, d, path, sizeof(path)) < 0 || !(slash = strrchr(path, '/')))
		return;
	dot = strrchr(slash, '.');
	if (dot)
		*dot = '\0';	/* the whole slot */
	if (strncmp(shown, "0000:", 5) == 0)
		shown += 5;
	fprintf(out, "#     path %s expect=%04x:%04x\n", shown, d->vendor, d->device);
}

/*
 * The address rule (each slot of the card) and the path rules (one per
 * slot) of the card whose first function is device @f.
 */
static void print_card_rules(const struct imp *im, FILE *out, size_t n, size_t f)
{
	const struct pci_dev *f0 = &im->t.dev[f];

	fprintf(out, "#   card %zu, %s [%04x:%04x]:\n#     address", n, f0->name, f0->vendor,
		f0->device);
	for (size_t i = 0; i < im->t.n; i++) {
		const struct pci_dev *d = &im->t.dev[i];

		if (im->card0[i] != f || !first_in_slot(im, i))
			continue;
		if (d->addr.domain)
			fprintf(out, " %04x:%02x:%02x", d->addr.domain, d->addr.bus, d->addr.slot);
		else
			fprintf(out, " %02x:%02x", d->addr.bus, d->addr.slot);
	}
	fputc('\n', out);
	for (size_t i = 0; i < im->t.n; i++)
		if (im->card0[i] == f && first_in_slot(im, i))
			print_slot_path(im, out, &im->t.dev[i]);
}

/* The address and path rules of each of the identical cards, if any. */
static void print_identical(const struct imp *im, FILE *out)
{
	const struct pci_tree *t = &im->t;
	size_t ncards = 0;

	for (size_t i = 0; i < t->n; i++) {
		bool first_of_card = true;

		if (!identical_card(im, i))
			continue;
		for (size_t j = 0; j < i; j++)
			if (im->card0[j] == im->card0[i] && identical_card(im, j))
				first_of_card = false;
		if (!first_of_card)
			continue;
		if (!ncards)
			fputs("#\n# Two or more identical cards match: an ids rule takes every one of "
			      "them.\n# To pass only some, replace the ids line with an address or path "
			      "rule per card\n# (a path survives bus renumbering when cards are added "
			      "or moved):\n", out);
		print_card_rules(im, out, ++ncards, im->card0[i]);
	}
}

static void print_devices(struct imp *im, FILE *out)
{
	if (!im->have_tree) {
		fputs("# (no /sys/bus/pci/devices here to check the ids against)\n", out);
		return;
	}
	print_selected(im, out);
	print_missing(im, out);
	print_identical(im, out);
}

/* ---- output ----------------------------------------------------------------------- */

/* @text wrapped at WRAP columns, every line starting with @prefix. */
static void print_wrapped(FILE *out, const char *prefix, const char *text)
{
	size_t plen = strlen(prefix), col = 0;
	const char *p = text;

	while (*p) {
		const char *w;
		size_t wl;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		if (col && col + 1 + wl > WRAP) {
			fputc('\n', out);
			col = 0;
		}
		if (!col) {
			fputs(prefix, out);
			col = plen;
		} else {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, wl, out);
		col += wl;
	}
	if (col)
		fputc('\n', out);
}

static void print_section(const struct imp *im, FILE *out, enum legacy_verdict v, const char *title)
{
	bool any = false;

	const struct legacy_line *prev = NULL;

	for (size_t i = 0; i < im->nf; i++) {
		const struct legacy_line *f = &im->f[i], *next = NULL;

		if (f->v != v)
			continue;
		if (!any)
			fprintf(out, "\n%s\n", title);
		any = true;
		/* Lines that share one reason are listed together above it. */
		if (!prev || f->edit || prev->edit || strcmp(prev->why, f->why) != 0)
			fputs("#\n", out);
		fprintf(out, "# %s: %s\n", f->where, f->text);
		if (f->edit)
			fprintf(out, "#   change to: %s\n", f->edit);
		for (size_t j = i + 1; j < im->nf && !next; j++)
			if (im->f[j].v == v)
				next = &im->f[j];
		if (!next || f->edit || next->edit || strcmp(next->why, f->why) != 0)
			print_wrapped(out, "#     ", f->why);
		prev = f;
	}
}

/*
 * One ids rule, for ids [@from, @to).  vfio-pci's ids= took a storage or
 * network controller without asking; an ids rule takes one only with
 * allow-storage or allow-network, so the rule says it, and why.
 */
static void print_ids_rule(const struct imp *im, FILE *out, size_t from, size_t to)
{
	bool storage = false, network = false;

	for (size_t i = 0; i < im->t.n; i++) {
		const struct pci_dev *d = &im->t.dev[i];
		bool hit = false;

		for (size_t k = from; k < to && !hit; k++)
			hit = im->direct[i] && id_matches(&im->ids[k], d);
		if (!hit)
			continue;
		storage |= pci_base_class(d) == 0x01;
		network |= pci_base_class(d) == 0x02;
		if (pci_base_class(d) == 0x01 || pci_base_class(d) == 0x02)
			fprintf(out, "# %s [%04x:%04x] is a %s controller: the old recipe passed it, "
				"so the rule allows it\n", d->name, d->vendor, d->device,
				pci_base_class(d) == 0x01 ? "storage" : "network");
	}
	fputs("ids", out);
	for (size_t k = from; k < to; k++) {
		char id[24];

		format_id(&im->ids[k], id, sizeof(id));
		fprintf(out, " %s", id);
	}
	fprintf(out, "%s%s\n", storage ? " allow-storage" : "", network ? " allow-network" : "");
}

static void print_config(struct imp *im, FILE *out, const char *config_shown,
			 bool config_exists)
{
	fputs("# vfio-early.conf imported by `vfio-early --import` from this host's vfio-pci\n"
	      "# recipe; nothing was changed.  Review it, save it as /etc/vfio-early.conf, make\n"
	      "# the changes listed at the end, then rebuild the initramfs (update-initramfs -u\n"
	      "# -k all, dracut -f, or mkinitcpio -P) and reboot.\n", out);
	if (config_exists)
		fprintf(out, "# %s exists already: merge these rules into it.\n", config_shown);
	fputs("#\n", out);
	for (size_t i = 0; i < im->nf; i++)
		if (im->f[i].gave_ids)
			fprintf(out, "# from %s: %s\n", im->f[i].where, im->f[i].text);
	if (im->nids == 0) {
		fputs("# No vfio-pci ids were found in modprobe.d or on the kernel command line:\n"
		      "# nothing to import.  Write the rules yourself (see vfio-early.conf(5) and\n"
		      "# vfio-early --report).\n", out);
	} else {
		for (size_t i = 0; i < im->nids; i += IDS_PER_RULE)
			print_ids_rule(im, out, i, i + IDS_PER_RULE < im->nids ? i + IDS_PER_RULE :
									     im->nids);
		if (im->id_settings > 1)
			fputs("# vfio-pci ids were set in more than one place; vfio-pci itself keeps\n"
			      "# only the last value it is given, this rule takes them all.\n", out);
		fputs("\n", out);
		print_devices(im, out);
	}
	for (size_t i = 0; i < im->nnotes; i++) {
		fputs(i ? "#\n" : "\n", out);
		print_wrapped(out, "# ", im->notes[i]);
	}
	print_section(im, out, LEGACY_DROP,
		      "# ---- Unnecessary once vfio-early is installed: delete these ----");
	print_section(im, out, LEGACY_EDIT,
		      "# ---- Partly unnecessary: edit these ----");
	print_section(im, out, LEGACY_KEEP,
		      "# ---- Keep these ----");
	for (size_t i = 0; i < im->nf; i++) {
		if (im->f[i].v == LEGACY_KEEP || strcmp(im->f[i].where, CMDLINE_WHERE) != 0)
			continue;
		char how[512];

		snprintf(how, sizeof(how), "To change the kernel command line on this host: %s.",
			 bootloader_how(bootloader_detect(im->c->rootfd)));
		fputs("\n", out);
		print_wrapped(out, "# ", how);
		break;
	}
}

/*
 * Every statement read once; the ids from libkmod; the devices they select
 * here; then what each statement becomes.
 */
static int gather(struct imp *im, const struct mode_ctx *c)
{
	im->c = c;
	im->t.devfd = -1;
	if (kernel_release(c->rootfd, im->kver, sizeof(im->kver)) < 0)
		im->kver[0] = '\0';
	read_all(im);
	if (!im->oom)
		import_kmod_ids(im);
	if (!im->oom && im->nids)
		select_devices(im);
	if (!im->oom && im->have_tree)
		device_modules(im);
	for (size_t i = 0; i < im->ne && !im->oom; i++)
		decide(im, &im->e[i]);
	return im->oom ? -ENOMEM : 0;
}

int legacy_scan(const struct mode_ctx *c, struct legacy_line **out, size_t *n, size_t *nids)
{
	struct imp *im = calloc(1, sizeof(*im));
	int r;

	*out = NULL;
	*n = *nids = 0;
	if (!im)
		return -ENOMEM;
	r = gather(im, c);
	if (r == 0) {
		/* The findings change hands; the rest is freed. */
		*out = im->f;
		*n = im->nf;
		*nids = im->nids;
		im->f = NULL;
		im->nf = 0;
	}
	imp_free(im);
	free(im);
	return r;
}

void legacy_free(struct legacy_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].where);
		free(v[i].text);
		free(v[i].edit);
		free(v[i].why);
	}
	free(v);
}

int import_run(const struct mode_ctx *c)
{
	struct imp *im = calloc(1, sizeof(*im));
	const char *config_shown = config_name(c->config);
	bool config_exists;
	int ret = 0;

	if (!im) {
		log_err("out of memory");
		return EXIT_IMPORT_NOTHING;
	}
	if (gather(im, c) < 0) {
		log_err("out of memory");
		imp_free(im);
		free(im);
		return EXIT_IMPORT_NOTHING;
	}
	if (im->warnings > WARNINGS_SHOWN)
		log_warn("%u more problems not shown", im->warnings - WARNINGS_SHOWN);

	if (c->config)
		config_exists = faccessat(AT_FDCWD, c->config, F_OK, 0) == 0;
	else
		config_exists = faccessat(c->rootfd, CONFIG_FILE, F_OK, 0) == 0;
	print_config(im, stdout, config_shown, config_exists);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_err("writing the config: %s", strerror(errno));
		ret |= EXIT_IMPORT_NOTHING;
	}
	if (im->nids == 0) {
		log_notice("nothing to import: no vfio-pci ids in modprobe.d or on the kernel "
			   "command line");
		ret |= EXIT_IMPORT_NOTHING;
	}
	if (im->warnings)
		ret |= EXIT_IMPORT_ERRORS;
	imp_free(im);
	free(im);
	return ret;
}
