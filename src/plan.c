// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From rules to a plan: which devices to hand to vfio-pci, and which of
 * them the safety policy refuses (and why).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "inuse.h"
#include "iommu.h"
#include "log.h"
#include "plan.h"
#include "util.h"

void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		pl->v[i].dev->plan = -1;
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

const char *plan_result_name(enum plan_result r)
{
	static const char *const names[] = {
		[RES_PLANNED] = "planned", [RES_BOUND] = "bound",
		[RES_ALREADY] = "already", [RES_OVERRIDE_SET] = "override-set",
		[RES_FAILED] = "failed", [RES_REFUSED] = "refused",
	};
	return names[r];
}

void plan_count(const struct plan *pl, struct plan_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < pl->n; k++) {
		switch (pl->v[k].result) {
		case RES_BOUND:
		case RES_ALREADY:
			c->bound++;
			break;
		case RES_OVERRIDE_SET:
			c->override_set++;
			break;
		case RES_FAILED:
			c->failed++;
			break;
		default:
			break;
		}
		c->planned += !plan_refused(&pl->v[k]);
	}
}

const char *plan_refusal_name(enum refusal r)
{
	static const char *const names[] = {
		[REF_NONE] = "none", [REF_ORIGIN] = "origin", [REF_CARD] = "card",
		[REF_BRIDGE] = "bridge", [REF_EXPECT] = "expect", [REF_ROOT] = "protected",
		[REF_ROOT_GROUP] = "protected-group", [REF_NO_IOMMU] = "no-iommu",
		[REF_NO_GROUP] = "no-group", [REF_BOOT_VGA] = "boot-vga",
		[REF_STORAGE] = "storage", [REF_NETWORK] = "network",
		[REF_NO_OVERRIDE] = "no-override", [REF_UNVERIFIED] = "unverified",
		[REF_IN_USE] = "in-use", [REF_MGMT] = "management-network",
		[REF_NET_UNVERIFIED] = "network-unverified",
	};
	return names[r];
}

const char *plan_via_name(enum plan_via v)
{
	static const char *const names[] = {
		[VIA_RULE] = "rule", [VIA_SLOT] = "slot", [VIA_GROUP] = "group",
	};
	return names[v];
}

void plan_describe(const struct pci_dev *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s [%04x:%04x] class %06x", d->name, d->vendor, d->device,
		 d->class);
}

static int plan_add(struct plan *pl, struct pci_dev *d, const struct rule *r,
		    enum plan_via via, int origin)
{
	struct plan_item *it;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		struct plan_item *v = realloc(pl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pl->v = v;
		pl->cap = cap;
	}
	it = &pl->v[pl->n];
	memset(it, 0, sizeof(*it));
	it->dev = d;
	it->rule = r;
	it->via = via;
	it->origin = origin;
	it->result = RES_PLANNED;
	d->plan = (int)pl->n++;
	return 0;
}

static void refuse(struct plan *pl, struct plan_item *it, enum refusal code, const char *fmt,
		   ...) _printf_(4, 5);

static void refuse(struct plan *pl, struct plan_item *it, enum refusal code, const char *fmt,
		   ...)
{
	va_list ap;

	if (plan_refused(it))
		return;
	it->code = code;
	it->cause = code;
	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
	it->result = RES_REFUSED;
	pl->refused++;
}

/* Per-device match state while planning. */
struct match {
	const struct rule *include;
	const struct rule *exclude;
};

/*
 * expect= names the card that must be there: the function a rule names,
 * or function 0 of the slot it names.  NULL when it holds those ids.
 */
static const struct pci_dev *expect_mismatch(const struct pci_tree *t,
					     const struct pci_dev *d, const struct rule *r)
{
	struct pci_addr a = d->addr;
	const struct pci_dev *target;

	/* Only address and path rules carry expect=. */
	if (!(r->opts & OPT_EXPECT))
		return NULL;
	if (r->kind == RULE_PATH ? !r->u.path.last_has_func : !r->u.addr.has_func)
		a.func = 0;
	target = pci_find(t, &a);
	if (target && target->vendor == r->expect_vendor && target->device == r->expect_device)
		return NULL;
	return target ? target : d;
}

/* The first include rule that matches a device selects it; any exclude wins. */
static void note_match(struct match *m, struct rule *r)
{
	r->matches++;
	if (r->exclude) {
		if (!m->exclude)
			m->exclude = r;
	} else if (!m->include) {
		m->include = r;
	}
}

static void match_direct(struct pci_tree *t, struct ruleset *rs, struct match *m)
{
	for (size_t i = 0; i < t->n; i++) {
		struct pci_dev *d = &t->dev[i];

		for (size_t k = 0; k < rs->n; k++) {
			struct rule *r = &rs->v[k];
			bool hit;

			/* vfs=: the PF stays with its driver (vfs.c). */
			if (r->opts & OPT_VFS)
				continue;
			switch (r->kind) {
			case RULE_IDS:
				hit = rule_matches_ids(r, d->vendor, d->device, d->subvendor,
						       d->subdevice);
				break;
			case RULE_ADDR:
				hit = rule_matches_addr(r, &d->addr);
				break;
			case RULE_CLASS:
				hit = rule_matches_class(r, d->class);
				break;
			default:
				hit = false;	/* paths are resolved below */
				break;
			}
			if (hit)
				note_match(&m[i], r);
		}
	}
}

static int match_paths(struct pci_tree *t, struct ruleset *rs, struct match *m)
{
	for (size_t k = 0; k < rs->n; k++) {
		struct rule *r = &rs->v[k];
		struct pci_dev **v;
		size_t n;
		int ret;

		if (r->kind != RULE_PATH || (r->opts & OPT_VFS))
			continue;
		ret = pci_resolve_path(t, &r->u.path, &v, &n);
		if (ret < 0)
			return ret;
		for (size_t j = 0; j < n; j++)
			note_match(&m[v[j] - t->dev], r);
		free(v);
	}
	return 0;
}

int plan_rule_devices(const struct pci_tree *t, const struct rule *r, struct pci_dev ***out,
		      size_t *n)
{
	struct pci_dev **v = NULL;

	*out = NULL;
	*n = 0;
	if (r->kind == RULE_PATH)
		return pci_resolve_path(t, &r->u.path, out, n);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_dev *d = &t->dev[i];

		if (!rule_matches_addr(r, &d->addr) &&
		    !rule_matches_ids(r, d->vendor, d->device, d->subvendor, d->subdevice) &&
		    !rule_matches_class(r, d->class))
			continue;
		if (*n % 16 == 0) {
			struct pci_dev **nv = realloc(v, (*n + 16) * sizeof(*v));

			if (!nv) {
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = d;
	}
	*out = v;
	return 0;
}

/* Does this rule bring the other functions of the card along? */
static bool rule_widens(const struct rule *r, bool *explicit)
{
	*explicit = false;
	if (r->opts & OPT_FUNCS_ONE)
		return false;
	if (r->opts & OPT_FUNCS_ALL) {
		*explicit = true;
		return true;
	}
	/* Address and path rules select exactly what they name. */
	return r->kind == RULE_IDS || r->kind == RULE_CLASS;
}

/* Add @s, another function of item @k's card, unless excluded or already in. */
static int add_function(struct plan *pl, struct pci_tree *t, const struct match *m, size_t k,
			struct pci_dev *s)
{
	if (s->plan >= 0 || m[s - t->dev].exclude || pci_is_bridge(s))
		return 0;
	pci_load(t, s);
	if (s->is_vf)
		return 0;
	return plan_add(pl, s, pl->v[k].rule, VIA_SLOT, (int)k) < 0 ? -ENOMEM : 0;
}

/*
 * The other functions of each selected card (card.h).  functions=all adds
 * every function of the slot besides, whoever made it.
 */
static int widen_slots(struct plan *pl, struct pci_tree *t, const struct match *m)
{
	size_t direct = pl->n;

	for (size_t k = 0; k < direct; k++) {
		struct pci_dev *d = pl->v[k].dev;
		struct pci_card c;
		size_t first, last;
		bool explicit;

		if (!rule_widens(pl->v[k].rule, &explicit))
			continue;
		pci_card(t, d, &c);
		if (c.n == 1)
			log_debug("%s: a card of one function (integrated, a VF or alone)", d->name);
		for (size_t i = 0; i < c.n; i++)
			if (add_function(pl, t, m, k, c.fn[i]) < 0)
				return -ENOMEM;
		if (!explicit)
			continue;
		pci_slot_range(t, d, &first, &last);
		for (size_t i = first; i <= last; i++)
			if (add_function(pl, t, m, k, &t->dev[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int widen_groups(struct plan *pl, struct pci_tree *t, const struct match *m)
{
	size_t n = pl->n;

	for (size_t k = 0; k < n; k++) {
		struct pci_dev **mem;
		size_t nmem;
		struct plan_item *it = &pl->v[k];

		if (!(it->rule->opts & OPT_WHOLE_GROUP))
			continue;
		pci_load(t, it->dev);
		if (it->dev->iommu_group < 0 ||
		    pci_group_members(t, it->dev->iommu_group, &mem, &nmem) < 0)
			continue;
		for (size_t j = 0; j < nmem; j++) {
			struct pci_dev *g = mem[j];

			if (g->plan >= 0 || m[g - t->dev].exclude || pci_is_bridge(g))
				continue;
			if (plan_add(pl, g, pl->v[k].rule, VIA_GROUP, (int)k) < 0) {
				free(mem);
				return -ENOMEM;
			}
		}
		free(mem);
	}
	return 0;
}

/*
 * How to turn the IOMMU on.  The firmware's ACPI tables say which IOMMU the
 * machine has and that the firmware enabled it (DMAR: Intel VT-d, IVRS:
 * AMD-Vi); without either, the firmware setting is off (or there is none)
 * and the CPU vendor says which option to name.
 */
const char *plan_iommu_hint(int rootfd)
{
	static const char intel_cmdline[] = "VT-d is enabled in the firmware (DMAR table): add "
					    "intel_iommu=on to the kernel command line";
	static const char amd_cmdline[] = "AMD-Vi is enabled in the firmware (IVRS table) but "
					  "not in use: remove amd_iommu=off or iommu=off from "
					  "the kernel command line";
	static const char intel[] = "enable VT-d in the firmware and add intel_iommu=on to "
				    "the kernel command line";
	static const char amd[] = "enable the IOMMU (AMD-Vi) in the firmware; the kernel "
				  "turns it on by itself unless amd_iommu=off or iommu=off "
				  "is on the command line";
	struct iommu_host h;

	iommu_detect(rootfd, &h);
	if (h.firmware != IOMMU_NONE)
		return h.firmware == IOMMU_INTEL ? intel_cmdline : amd_cmdline;
	if (h.cpu != IOMMU_NONE)
		return h.cpu == IOMMU_AMD ? amd : intel;
	return "enable VT-d or AMD-Vi in the firmware, and on Intel add intel_iommu=on to the "
	       "kernel command line";
}

static const struct protected_dev *protected_group(struct pci_tree *t,
						   const struct protect *prot, int group)
{
	for (size_t i = 0; i < prot->n; i++) {
		struct pci_dev *p = pci_find(t, &prot->v[i].addr);

		if (!p)
			continue;
		pci_load(t, p);
		if (p->iommu_group == group)
			return &prot->v[i];
	}
	return NULL;
}

/* A rule that names the device (address, path) and says allow-network. */
static bool named_with_network(const struct plan_item *it)
{
	return it->via == VIA_RULE && (it->rule->kind == RULE_ADDR || it->rule->kind == RULE_PATH) &&
	       (it->rule->opts & OPT_NETWORK);
}

/*
 * What the host needs, and what carries its management network: refused,
 * the latter unless a rule names it with allow-network.  True when refused.
 */
static bool check_protected(struct plan *pl, struct plan_item *it, struct pci_tree *t,
			    const struct protect *prot)
{
	static const char hand_over[] = "; name it by address or path with allow-network "
					"to hand it over";
	const struct pci_dev *d = it->dev;
	const struct protected_dev *pd;
	char addr[PCI_ADDR_STRLEN];

	if ((pd = protect_find(prot, &d->addr)) && !(pd->mgmt && named_with_network(it))) {
		if (pd->mgmt)
			refuse(pl, it, REF_MGMT, "%s%s", pd->why, hand_over);
		else
			refuse(pl, it, REF_ROOT, "%s", pd->why);
		return true;
	}
	if (!t->iommu) {
		pl->no_iommu = true;
		refuse(pl, it, REF_NO_IOMMU, "no IOMMU is active");
		return true;
	}
	if (d->iommu_group < 0) {
		refuse(pl, it, REF_NO_GROUP, "has no IOMMU group");
		return true;
	}
	if ((pd = protected_group(t, prot, d->iommu_group)) &&
	    !(pd->mgmt && named_with_network(it))) {
		format_pci_addr(&pd->addr, addr);
		refuse(pl, it, pd->mgmt ? REF_MGMT : REF_ROOT_GROUP, "shares IOMMU group %d with "
		       "%s, which %s%s", d->iommu_group, addr, pd->why, pd->mgmt ? hand_over : "");
		return true;
	}
	/*
	 * Without a verified list nothing says which NIC the host is reached
	 * through (the network is not up before the root is mounted either).
	 */
	if (!prot->verified && !prot->net_root && pci_base_class(d) == 0x02 &&
	    !named_with_network(it)) {
		refuse(pl, it, REF_NET_UNVERIFIED, "is a network controller and the protected list "
		       "is unverified, so it may carry the host's management network%s, or %s",
		       hand_over, "rebuild the initramfs on this machine");
		return true;
	}
	return false;
}

static void check_safety(struct plan *pl, struct pci_tree *t, struct ruleset *rs,
			 const struct protect *prot)
{
	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		struct pci_dev *d = it->dev;
		const struct rule *r = it->rule;
		const struct pci_dev *other;
		const char *kind;
		unsigned base = pci_base_class(d);
		char why[PLAN_REASON_LEN - 16];
		bool named = it->via == VIA_RULE &&
			     (r->kind == RULE_ADDR || r->kind == RULE_PATH);

		pci_load(t, d);
		memcpy(it->was, d->driver, sizeof(it->was));
		if (it->origin >= 0 && plan_refused(&pl->v[it->origin])) {
			refuse(pl, it, REF_ORIGIN, "%s, which brought it in, is refused",
			       pl->v[it->origin].dev->name);
			it->cause = pl->v[it->origin].cause;
			continue;
		}
		if (pci_is_bridge(d)) {
			refuse(pl, it, REF_BRIDGE, "is a PCI bridge; bridges are never bound");
			continue;
		}
		if (it->via == VIA_RULE && (other = expect_mismatch(t, d, r))) {
			if (other == d)
				refuse(pl, it, REF_EXPECT, "holds %04x:%04x, but the rule expects %04x:%04x "
				       "(card moved or replaced?)", d->vendor, d->device,
				       r->expect_vendor, r->expect_device);
			else
				refuse(pl, it, REF_EXPECT, "%s holds %04x:%04x, but the rule expects "
				       "%04x:%04x (card moved or replaced?)", other->name,
				       other->vendor, other->device, r->expect_vendor,
				       r->expect_device);
			continue;
		}
		if (check_protected(pl, it, t, prot))
			continue;
		if (d->boot_vga && !rs->allow_boot_vga && !(r->opts & OPT_BOOT_VGA)) {
			refuse(pl, it, REF_BOOT_VGA, "is the boot VGA device (the host console); allow it with "
			       "allow-boot-vga in the rule or vfio_early.allow_boot_vga=1");
			continue;
		}
		if (base == 0x01 && !named && !(r->opts & OPT_STORAGE)) {
			refuse(pl, it, REF_STORAGE, "is a storage controller; a rule that names it by "
			       "address, or allow-storage, is needed");
			continue;
		}
		if (base == 0x02 && !named && !(r->opts & OPT_NETWORK)) {
			refuse(pl, it, REF_NETWORK, "is a network controller; a rule that names it by "
			       "address, or allow-network, is needed");
			continue;
		}
		if (!d->has_override_attr) {
			refuse(pl, it, REF_NO_OVERRIDE, "has no driver_override attribute (kernel older than 3.16?)");
			continue;
		}
		/* Last: the late pass takes up what was refused for this alone. */
		if (!prot->verified && (other = protect_needs_proof(prot, t, d, &kind))) {
			if (other == d)
				refuse(pl, it, REF_UNVERIFIED, "is %s%s and the protected list is "
				       "unverified; the late pass decides once the root is mounted",
				       kind, strchr(kind, ',') ? "," : "");
			else
				refuse(pl, it, REF_UNVERIFIED, "goes with %s (%s) and the protected "
				       "list is unverified; the late pass decides once the root is "
				       "mounted", other->name, kind);
			continue;
		}
		if (prot->live_fs && protect_in_use(t->rootfd, prot->live, d, why, sizeof(why))) {
			refuse(pl, it, REF_IN_USE, "is in use: %s", why);
			continue;
		}
	}
}

/*
 * A card goes to the VM whole or not at all: once one function is refused
 * (the boot VGA, a moved card), its other functions stay with the host.
 */
static void refuse_whole_cards(struct plan *pl, struct pci_tree *t)
{
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *bad = &pl->v[k];
		struct pci_card c;

		if (!plan_refused(bad) || bad->dev->is_vf)
			continue;
		pci_card(t, bad->dev, &c);
		for (size_t j = 0; j < pl->n; j++) {
			struct plan_item *it = &pl->v[j];

			if (plan_refused(it) || it->dev->is_vf)
				continue;
			/* functions=all took the whole slot: it goes or stays as one. */
			if (!pci_card_has(&c, it->dev) &&
			    !(it->via == VIA_SLOT && pci_same_slot(it->dev, bad->dev)))
				continue;
			refuse(pl, it, REF_CARD, "%s, another function of this card, is refused",
			       bad->dev->name);
			it->cause = bad->cause;
		}
	}
}

/*
 * A group half on vfio-pci is useless to a VM: say what else is in it, once
 * per group, as an error (--report calls it blocking).
 */
static void check_groups(struct plan *pl, struct pci_tree *t)
{
	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		int g = it->dev->iommu_group;
		struct pci_dev **mem;
		size_t nmem, used = 0;
		unsigned more = 0;
		char others[1024] = "";
		bool seen = false;

		if (plan_refused(it) || g < 0)
			continue;
		for (size_t j = 0; j < k; j++)
			if (!plan_refused(&pl->v[j]) && pl->v[j].dev->iommu_group == g)
				seen = true;
		if (seen || pci_group_members(t, g, &mem, &nmem) < 0)
			continue;
		for (size_t j = 0; j < nmem; j++) {
			struct pci_dev *o = mem[j];
			int n;

			if (pci_is_bridge(o) || (o->plan >= 0 && !plan_refused(&pl->v[o->plan])))
				continue;
			pci_load(t, o);
			n = snprintf(others + used, sizeof(others) - used, "%s%s [%04x:%04x] class "
				     "%06x (driver %s)", used ? ", " : "", o->name, o->vendor,
				     o->device, o->class, o->driver[0] ? o->driver : "none");
			if (n < 0 || (size_t)n >= sizeof(others) - used) {
				others[used] = '\0';
				more++;
			} else {
				used += (size_t)n;
			}
		}
		free(mem);
		if (!used && !more)
			continue;
		pl->partial_groups++;
		if (more)
			log_err("IOMMU group %d is not usable for a VM: it also holds %s and %u "
				"more", g, others, more);
		else
			log_err("IOMMU group %d is not usable for a VM: it also holds %s", g,
				others);
	}
}

/* Rules that found nothing: typos, moved cards.  The first few by name. */
static void report_unmatched(const struct ruleset *rs)
{
	enum { SHOWN = 20 };
	unsigned n = 0;

	for (size_t k = 0; k < rs->n; k++) {
		const struct rule *rr = &rs->v[k];
		char o[80];

		if (rr->matches || (rr->opts & OPT_VFS) || ++n > SHOWN)
			continue;
		rule_origin(rr, o, sizeof(o));
		log_notice("%s: %s%s matches no device", o, rr->exclude ? "exclude " : "",
			   rr->token);
	}
	if (n > SHOWN)
		log_notice("%u more rule%s no device", n - SHOWN,
			   n - SHOWN == 1 ? " matches" : "s match");
}

/* --verbose: each device the rules leave alone, and why. */
static void report_unselected(const struct plan *pl, const struct pci_tree *t,
			      const struct match *m)
{
	_cleanup_free_ bool *in = calloc(t->n, sizeof(*in));
	char desc[96];

	if (!in)
		return;
	for (size_t k = 0; k < pl->n; k++)
		in[pl->v[k].dev - t->dev] = true;
	for (size_t i = 0; i < t->n; i++) {
		if (in[i] || m[i].include)
			continue;
		plan_describe(&t->dev[i], desc, sizeof(desc));
		log_debug("%s: not selected: no rule names it", desc);
	}
}

int plan_build(struct plan *pl, struct pci_tree *t, struct ruleset *rs,
	       const struct protect *prot)
{
	_cleanup_free_ struct match *m = NULL;
	int r;

	memset(pl, 0, sizeof(*pl));
	if (t->n == 0) {
		report_unmatched(rs);
		return 0;
	}
	m = calloc(t->n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	match_direct(t, rs, m);
	r = match_paths(t, rs, m);
	if (r < 0)
		return r;

	for (size_t i = 0; i < t->n; i++) {
		if (!m[i].include)
			continue;
		if (m[i].exclude) {
			char a[64], b[64];

			rule_origin(m[i].exclude, a, sizeof(a));
			rule_origin(m[i].include, b, sizeof(b));
			log_notice("%s: excluded by %s (selected by %s)", t->dev[i].name, a, b);
			pl->excluded++;
			continue;
		}
		if (plan_add(pl, &t->dev[i], m[i].include, VIA_RULE, -1) < 0)
			return -ENOMEM;
	}
	if (widen_slots(pl, t, m) < 0 || widen_groups(pl, t, m) < 0)
		return -ENOMEM;
	check_safety(pl, t, rs, prot);
	refuse_whole_cards(pl, t);
	check_groups(pl, t);
	report_unmatched(rs);
	if (log_verbose())
		report_unselected(pl, t, m);
	return 0;
}
