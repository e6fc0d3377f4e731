// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deciding for vfio-early --import: what each statement read becomes
 * (delete, edit, keep), and why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "cmdline.h"
#include "import-decide.h"
#include "import-ids.h"
#include "iommu.h"
#include "log.h"
#include "modalias.h"
#include "modprobe-conf.h"
#include "parse.h"

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

/* ---- modprobe.d --------------------------------------------------------------- */

/*
 * The option words of the line, as the kernel splits them (modprobe-conf.c);
 * the kept ones into @keep.  A word starting with '#' is no option (libkmod
 * passes it on, the kernel ignores it as unknown): it is counted nowhere.
 */
struct opt_count {
	unsigned ids;		/* ids= words */
	unsigned other;		/* other options */
	unsigned lost;		/* ids an ids rule cannot express */
	bool gave;		/* some ids were good */
};

static void options_words(struct imp *im, const struct stmt *s, const struct modprobe_stmt *st,
			  struct sbuf *keep, struct opt_count *n)
{
	const char *p = st->rest, *end = st->rest + st->restlen;
	bool vfio_pci = is_vfio_pci(st->mod, st->modlen);
	struct modprobe_opt o;

	while (modprobe_next_opt(&p, end, &o)) {
		if (o.word[0] == '#' && !o.val)
			continue;
		if (vfio_pci && o.val && name_eq(o.key, o.klen, "ids")) {
			n->ids++;
			n->gave |= import_ids(im, s->where, o.val, o.vlen, &n->lost) > 0;
			continue;
		}
		n->other++;
		sb_add(keep, " ");
		sb_add_shown(keep, o.word, o.wlen, TEXT_SHOWN);
	}
}

static void mp_options(struct imp *im, const struct stmt *s)
{
	struct sbuf why = { 0 }, keep = { 0 };
	struct opt_count n = { 0 };
	struct modprobe_stmt st;

	if (!modprobe_split(s->line, s->len, &st) || !is_vfio_module(st.mod, st.modlen))
		return;
	sb_add_shown(&keep, st.cmd, st.cmdlen, TEXT_SHOWN);
	sb_add(&keep, " ");
	sb_add_shown(&keep, st.mod, st.modlen, TEXT_SHOWN);
	options_words(im, s, &st, &keep, &n);
	if (n.ids == 0 || n.lost || n.other == 0)
		free(sb_take(&keep));
	if (n.ids == 0) {
		sb_addf(&why, "an option of %.*s: libkmod applies it when vfio-early loads "
			"vfio-pci (and with it the rest of the vfio stack).", (int)st.modlen, st.mod);
		imp_add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	if (n.lost) {
		sb_add(&why, "holds ids that vfio-pci takes but an ids rule cannot express (see "
		       "the warnings): write address or path rules for those devices, then remove "
		       "ids= from this line.");
		imp_add_stmt_finding(im, s, LEGACY_KEEP, n.gave, NULL, &why);
		return;
	}
	sb_add(&why, "ids= is the ids rule above now. Remove it before you narrow that rule to "
	       "address or path rules: vfio-pci itself takes every device with these ids when "
	       "it loads, any other card with the same ids included.");
	if (n.other == 0) {
		imp_add_stmt_finding(im, s, LEGACY_DROP, n.gave, NULL, &why);
		return;
	}
	sb_add(&why, " The other options stay: libkmod applies them when vfio-early loads "
	       "vfio-pci.");
	imp_add_stmt_finding(im, s, LEGACY_EDIT, n.gave, sb_take(&keep), &why);
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
				imp_warn_at(im, s->where, w, l, "not after pre: or post:, modprobe ignores it");
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
		imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
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
	imp_add_stmt_finding(im, s, LEGACY_EDIT, false, imp_words_without(s, drop), &why);
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
		imp_add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	v = explain_block(im, &k, "blacklisting", &why, &harms);
	imp_add_stmt_finding(im, s, v, false, NULL, &why);
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
		imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
		return;
	}
	if (mentions_vfio_pci(s, 2)) {
		sb_addf(&why, "loads vfio-pci before %.*s so that vfio-pci's ids claim the card "
			"first; vfio-early binds the card before udev loads any driver.",
			(int)s->wl[1], s->w[1]);
		imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
		return;
	}
	if (!is_false_command(s->w[2], s->wl[2]) || !blocked_of(im, s->w[1], s->wl[1], &k))
		return;
	if (!in_etc) {
		sb_add(&why, "shipped by a package, not part of a passthrough recipe: leave it.");
		imp_add_stmt_finding(im, s, LEGACY_KEEP, false, NULL, &why);
		return;
	}
	v = explain_block(im, &k, "this hard block (stronger than a blacklist: modprobe runs "
			  "the command even when another module needs the driver) of", &why,
			  &harms);
	imp_add_stmt_finding(im, s, v, false, NULL, &why);
	mark_harm(im, harms);
}

static void mp_alias(struct imp *im, const struct stmt *s)
{
	struct sbuf why = { 0 };

	if (s->n < 3 || !is_vfio_pci(s->w[2], s->wl[2]))
		return;
	sb_add(&why, "makes udev load vfio-pci for that device; vfio-early loads vfio-pci "
	       "itself, after writing driver_override.");
	imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
}

static void modprobe_stmt(struct imp *im, struct stmt *s, bool in_etc)
{
	enum modprobe_cmd cmd;
	size_t min_words;

	imp_split_words(im, s);
	if (s->n == 0)
		return;
	cmd = modprobe_command(s->w[0], s->wl[0], &min_words);
	if (cmd == MODPROBE_UNKNOWN) {
		imp_warn_at(im, s->where, s->w[0], s->wl[0],
			    "not a modprobe.d command (alias, blacklist, install, options, remove, "
			    "softdep), modprobe ignores the line");
		return;
	}
	if (s->n < min_words) {
		imp_warn_at(im, s->where, s->w[0], s->wl[0], "%s", min_words == 2 ?
			    "needs a module name, modprobe ignores the line" :
			    "needs a module name and more, modprobe ignores the line");
		return;
	}
	if (min_words >= 2 && !valid_module_name(s->w[1], s->wl[1]) && cmd != MODPROBE_ALIAS) {
		imp_warn_at(im, s->where, s->w[1], s->wl[1], "not a module name, ignored");
		return;
	}
	if (cmd == MODPROBE_OPTIONS)
		mp_options(im, s);
	else if (cmd == MODPROBE_SOFTDEP)
		mp_softdep(im, s);
	else if (cmd == MODPROBE_BLACKLIST)
		mp_blacklist(im, s, in_etc);
	else if (cmd == MODPROBE_INSTALL)
		mp_install(im, s, in_etc);
	else if (cmd == MODPROBE_ALIAS)
		mp_alias(im, s);
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

	imp_split_words(im, s);
	/* modules-load.d also takes ';' comments. */
	if (s->n == 0 || s->w[0][0] == ';')
		return;
	if (!valid_module_name(s->w[0], s->wl[0])) {
		imp_warn_at(im, s->where, s->w[0], s->wl[0], "not a module name, ignored");
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
	imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
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
	imp_split_words(im, &words);
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
		char *rest = imp_words_without(&words, drop);

		sb_addn(&e, k, klen);
		sb_addf(&e, "+=\" %s \"", rest ? rest : "");
		free(rest);
		sb_add(&why, " The other drivers stay.");
		imp_add_stmt_finding(im, s, LEGACY_EDIT, false, sb_take(&e), &why);
	} else {
		imp_add_stmt_finding(im, s, LEGACY_DROP, false, NULL, &why);
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
	imp_add_finding(im, v, false, strdup(CMDLINE_WHERE), cmdline_text(t), edit,
			sb_take(&ml.why));
	mark_harm(im, ml.harms);
}

static void cmdline_ids(struct imp *im, const struct cmdline_tok *t)
{
	struct sbuf why = { 0 };
	unsigned lost = 0;
	unsigned n = t->val ? import_ids(im, CMDLINE_WHERE, t->val, t->vlen, &lost) : 0;

	if (!t->val)
		imp_warn_at(im, CMDLINE_WHERE, t->key, t->klen, "no value");
	if (lost)
		sb_add(&why, "holds ids that vfio-pci takes but an ids rule cannot "
		       "express (see the warnings): write address or path rules for "
		       "those devices, then remove it.");
	else
		sb_add(&why, "vfio-early reads it as an ids rule too, so it would "
		       "only repeat the rule above; and vfio-pci itself takes every "
		       "device with these ids when it loads, which defeats address "
		       "and path rules.");
	imp_add_finding(im, lost ? LEGACY_KEEP : LEGACY_DROP, n > 0, strdup(CMDLINE_WHERE),
			cmdline_text(t), NULL, sb_take(&why));
}

static void cmdline_keep(struct imp *im, const struct cmdline_tok *t, const char *why)
{
	imp_add_finding(im, LEGACY_KEEP, false, strdup(CMDLINE_WHERE), cmdline_text(t), NULL,
			strdup(why));
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
		struct iommu_host h;

		iommu_detect(im->c->rootfd, &h);
		im->iommu = h.vendor;
		im->iommu_known = true;
	}
	if (im->iommu == (intel ? IOMMU_AMD : IOMMU_INTEL))
		return;
	if (intel)
		cmdline_keep(im, t, "turns the IOMMU on; vfio-early binds nothing without one.");
	else
		imp_add_finding(im, LEGACY_DROP, false, strdup(CMDLINE_WHERE), cmdline_text(t), NULL,
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

void imp_decide(struct imp *im, const struct entry *e)
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
