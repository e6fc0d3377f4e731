// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: the problems in the gathered facts, each with the
 * fix to apply.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "report-analyse.h"
#include "report-sriov.h"
#include "variant.h"

static void add_problem(struct problems *out, enum severity sev, const char *code,
			const char *device, const char *fix, const char *fmt, ...) _printf_(6, 7);

/* report_problem(), by the short name every check here uses. */
static void add_problem(struct problems *out, enum severity sev, const char *code,
			const char *device, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vproblem(out, sev, code, device, fix, fmt, ap);
	va_end(ap);
}

/*
 * What was said while reading the rules: a file that cannot be read is
 * not a rule to correct.
 */
static void check_msg(const char *msg, struct problems *out)
{
	if (strstr(msg, "cannot read") || strstr(msg, "cannot open"))
		add_problem(out, SEV_WARNING, "file-unreadable", NULL, "check that the file exists "
			    "and that you can read it (run as root)", "%s", msg);
	else
		add_problem(out, SEV_WARNING, "rule-invalid", NULL, "correct or remove that rule",
			    "%s", msg);
}

/* Where this host keeps its kernel command line, and what applies it. */
static const char *cmdline_where(const struct report *r)
{
	return bootloader_how(r->boot);
}

/*
 * How to turn the IOMMU on.  The plan's hint names a command-line option;
 * once that option is there, only the firmware (or the kernel's log) can
 * say why the IOMMU is still off.
 */
static void iommu_fix(const struct report *r, char *fix, size_t size)
{
	bool asked = report_cmdline_has(r, "intel_iommu", "on") ||
		     report_cmdline_has(r, "amd_iommu", "on") ||
		     report_cmdline_has(r, "amd_iommu", "force_isolation");

	if (asked && strstr(r->iommu_hint, "_iommu=on"))
		snprintf(fix, size, "the command line asks for it already: enable %s in the "
			 "firmware setup, and see dmesg | grep -i -e DMAR -e AMD-Vi -e IOMMU "
			 "for why the kernel left it off", r->amd_cpu ? "the IOMMU (AMD-Vi)" :
			 "VT-d");
	else if (strstr(r->iommu_hint, "command line"))
		snprintf(fix, size, "%s (%s); reboot", r->iommu_hint, cmdline_where(r));
	else
		snprintf(fix, size, "%s; reboot", r->iommu_hint);
}

static const char *rebuild_cmd(const struct report *r)
{
	if (r->initrd.rebuild)
		return r->initrd.rebuild;
	return r->initrd.tool && strstr(r->initrd.tool, "lsinitrd") ? "dracut -f" :
	       "update-initramfs -u";
}

/*
 * A rule that names the root filesystem's own controller: moving a card
 * cannot help.  An ids, class or path rule is too wide: narrow it; an
 * address rule names the wrong device.
 */
static void root_fix(const struct report *r, const struct plan_item *it, char *fix,
		     size_t size)
{
	char origin[80];

	rule_origin(it->rule, origin, sizeof(origin));
	if (it->via == VIA_GROUP)
		snprintf(fix, size, "whole-group at %s takes the controller of the root "
			 "filesystem: remove whole-group; this group cannot go to a VM while "
			 "it holds the root disk (move the card to a slot with its own IOMMU "
			 "group)", origin);
	else if (it->rule->kind == RULE_ADDR)
		snprintf(fix, size, "the rule at %s names the controller of the root filesystem: "
			 "correct the address", origin);
	else
		snprintf(fix, size, "the rule at %s also matches the controller of the root "
			 "filesystem: narrow it (name the device you mean with an address or "
			 "path rule instead), or add \"exclude address %s\" to %s", origin,
			 it->dev->name, r->config_file);
}

static void refusal_fix(const struct report *r, const struct plan_item *it, char *fix,
			size_t size)
{
	switch (it->code) {
	case REF_BOOT_VGA:
		snprintf(fix, size, "if this GPU should leave the host's console, add "
			 "allow-boot-vga to its rule (or vfio_early.allow_boot_vga=1 to the kernel "
			 "command line: %s); otherwise pick another GPU for the VM",
			 cmdline_where(r));
		break;
	case REF_ROOT:
		root_fix(r, it, fix, size);
		break;
	case REF_ROOT_GROUP:
		snprintf(fix, size, "the host needs this; move the card to a slot with its own "
			 "IOMMU group (CPU-attached slots usually are), or the root disk to "
			 "another controller");
		break;
	case REF_NO_IOMMU:
		iommu_fix(r, fix, size);
		break;
	case REF_NO_GROUP:
		if (r->iommu_active)
			snprintf(fix, size, "the IOMMU is on but gives this device no group: its "
				 "firmware table (DMAR or IVRS) does not cover this slot; update "
				 "the firmware or use another slot (dmesg | grep -i iommu)");
		else
			iommu_fix(r, fix, size);
		break;
	case REF_STORAGE:
	case REF_NETWORK:
		snprintf(fix, size, "if it really should go to a VM, name it with an address "
			 "rule or add %s to the rule", it->code == REF_STORAGE ?
			 "allow-storage" : "allow-network");
		break;
	case REF_EXPECT:
		snprintf(fix, size, "check which card sits in that slot now (vfio-early "
			 "--report) and update the path or expect= of the rule");
		break;
	case REF_BRIDGE:
		snprintf(fix, size, "remove the rule; name the devices below the bridge instead");
		break;
	case REF_NO_OVERRIDE:
		snprintf(fix, size, "use a kernel newer than 3.16");
		break;
	case REF_MGMT:
		snprintf(fix, size, "to hand it over anyway (the host is then reached another "
			 "way), name it by address or path with allow-network");
		break;
	case REF_NET_UNVERIFIED:
		snprintf(fix, size, "run %s on this machine, so that the image records the "
			 "management network; or name the NIC by address or path with "
			 "allow-network", rebuild_cmd(r));
		break;
	case REF_UNVERIFIED:
		snprintf(fix, size, "run %s on this machine, so that the image's protected list "
			 "matches it; until then the late pass decides once the root is mounted",
			 rebuild_cmd(r));
		break;
	case REF_IN_USE:
		snprintf(fix, size, "unmount or stop what uses it (see lsblk and /etc/fstab), or "
			 "pick another controller");
		break;
	default:
		fix[0] = '\0';
		break;
	}
}

/* Kernel options of this field spelt almost right are silently ignored. */
static void check_spelling(const struct report *r, struct problems *out)
{
	static const char *const known[] = {
		"intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict",
		"intremap", "pcie_acs_override", "vfio-pci.ids", "vfio-pci.disable_vga",
		"vfio_iommu_type1.allow_unsafe_interrupts", "initcall_blacklist", "video",
		"rd.driver.pre", "rd.driver.blacklist", "modprobe.blacklist", "module_blacklist",
	};
	const char *pos = r->cmdline, *end;
	struct cmdline_tok t;

	if (!r->cmdline)
		return;
	end = r->cmdline + r->cmdline_len;
	while (cmdline_next(&pos, end, &t)) {
		const char *best = NULL;
		bool exact = false;

		if (t.klen < 5)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
			unsigned d = name_distance(t.key, t.klen, known[i]);

			if (d == 0)
				exact = true;
			else if (d <= 2 && !best)
				best = known[i];
		}
		if (!exact && best) {
			char fix[160];

			snprintf(fix, sizeof(fix), "spell it %s (%s)", best, cmdline_where(r));
			add_problem(out, SEV_WARNING, "cmdline-misspelt", NULL,
				    fix, "the kernel command line has %.*s, which the "
				    "kernel ignores: a misspelt %s?", (int)t.klen, t.key, best);
		}
	}
}

/*
 * The modprobe.d recipe next to vfio-early.  A line that takes a driver
 * from devices the host keeps (blacklisting snd_hda_intel takes the host's
 * own audio) is a warning; lines that are merely unnecessary are one note
 * per reason.
 */
static void check_legacy(const struct report *r, struct problems *out)
{
	bool configured = false;

	for (size_t i = 0; i < r->rs.n; i++)
		configured |= !r->rs.v[i].legacy;
	if (!configured || r->rs.off) {
		if (r->legacy_ids)
			add_problem(out, SEV_NOTE, "legacy-recipe", NULL,
				    "vfio-early --import prints the equivalent "
				    "/etc/vfio-early.conf and which lines it makes unnecessary",
				    "this host binds devices with the modprobe.d recipe "
				    "(options vfio-pci ids=, blacklists, softdeps); vfio-early "
				    "applies its ids with its safety checks");
		return;
	}
	for (size_t i = 0; i < r->nlegacy; i++) {
		const struct legacy_line *l = &r->legacy[i];
		char lines[640] = "", fix[400];
		size_t j;

		if (l->v == LEGACY_KEEP)
			continue;
		if (l->v == LEGACY_EDIT || l->harms_host) {
			if (l->v == LEGACY_EDIT)
				snprintf(fix, sizeof(fix), "change it to: %s", l->edit);
			else
				snprintf(fix, sizeof(fix), "delete it, then rebuild the initramfs");
			add_problem(out, SEV_WARNING, "legacy-line", NULL,
				    fix, "old recipe line %s: %s: %s", l->where,
				    l->text, l->why);
			continue;
		}
		/* Neighbours with the same reason are one note. */
		for (j = i; j < r->nlegacy && r->legacy[j].v == LEGACY_DROP &&
			    !r->legacy[j].harms_host && strcmp(r->legacy[j].why, l->why) == 0; j++) {
			char one[160];

			snprintf(one, sizeof(one), "%s (%s)", r->legacy[j].where, r->legacy[j].text);
			report_append(lines, sizeof(lines), ", ", one, strlen(one));
		}
		add_problem(out, SEV_NOTE, "legacy-unnecessary", NULL,
			    "delete them when convenient (vfio-early --import explains "
			    "every line)", "old recipe lines now unnecessary: %s: %s", lines,
			    l->why);
		i = j - 1;
	}
}

/* What the plan says of the rules: exclusions, and rules that match nothing. */
static void check_rules(const struct report *r, struct problems *out)
{
	unsigned unmatched = 0;

	for (size_t i = 0; i < r->nexcl; i++) {
		char a[64], b[64];

		rule_origin(r->excl[i].exclude, a, sizeof(a));
		rule_origin(r->excl[i].include, b, sizeof(b));
		add_problem(out, SEV_WARNING, "rule-excluded", r->excl[i].dev->name,
			    "correct or remove that rule",
			    "%s: excluded by %s (selected by %s)", r->excl[i].dev->name, a, b);
	}
	/* Without the devices there is no plan, and no rule has had its chance. */
	if (!r->scanned)
		return;
	for (size_t k = 0; k < r->rs.n; k++) {
		const struct rule *rr = &r->rs.v[k];
		char o[80];

		if (rr->matches || ++unmatched > REPORT_UNMATCHED_SHOWN)
			continue;
		rule_origin(rr, o, sizeof(o));
		add_problem(out, SEV_NOTE, "rule-matches-nothing", NULL,
			    "correct or remove that rule", "%s: %s%s matches no device",
			    o, rr->exclude ? "exclude " : "", rr->token);
	}
	if (unmatched > REPORT_UNMATCHED_SHOWN)
		add_problem(out, SEV_NOTE, "rule-matches-nothing", NULL,
			    "correct or remove that rule",
			    "%u more rule%s no device", unmatched - REPORT_UNMATCHED_SHOWN,
			    unmatched - REPORT_UNMATCHED_SHOWN == 1 ? " matches" : "s match");
}

/* The IOMMU and its kernel options. */
static void check_iommu(const struct report *r, struct problems *out)
{
	char fix[400];

	if (!r->iommu_active) {
		iommu_fix(r, fix, sizeof(fix));
		add_problem(out, SEV_BLOCKING, "iommu-off", NULL,
			    fix, "no IOMMU is active: nothing can be passed "
			    "through%s", r->iommu_flags[0] ? " (the command line asks for it: "
			    "check the firmware setting)" : "");
	}
	if (report_cmdline_has(r, "intel_iommu", "1") || report_cmdline_has(r, "intel_iommu", "yes"))
		add_problem(out, SEV_WARNING, "cmdline-intel-iommu-value", NULL,
			    "write intel_iommu=on",
			    "the kernel does not understand intel_iommu=1 or =yes");
	/* As --import says: unnecessary, a note on AMD hosts only. */
	if (r->amd_cpu && report_cmdline_has(r, "amd_iommu", "on"))
		add_problem(out, SEV_NOTE, "cmdline-amd-iommu-on", NULL,
			    "remove it when you next edit the command line: AMD-Vi "
			    "is on whenever the firmware enables it",
			    "amd_iommu=on can be removed: the kernel knows no value on for it");
	check_spelling(r, out);
	if (r->acs_override)
		add_problem(out, SEV_WARNING, "acs-override", NULL,
			    "remove pcie_acs_override= once the card sits in a "
			    "slot with its own IOMMU group",
			    "pcie_acs_override is set: it splits IOMMU groups the hardware does not "
			    "isolate, so a VM may reach devices the host keeps (a security risk)");
}

/* Selected devices the safety policy refuses: one problem per cause and card. */
static void check_refusals(const struct report *r, struct problems *out)
{
	char fix[400], code[48];

	for (size_t k = 0; k < r->pl.n; k++) {
		const struct plan_item *it = &r->pl.v[k];
		bool said = false;

		/* One problem per cause: not for each function of the same card. */
		for (size_t j = 0; j < k; j++)
			if (plan_refused(&r->pl.v[j]) && r->pl.v[j].code == it->code &&
			    pci_same_slot(r->pl.v[j].dev, it->dev))
				said = true;
		if (!plan_refused(it) || said || it->code == REF_NO_IOMMU || it->code == REF_ORIGIN ||
		    it->code == REF_CARD)
			continue;
		refusal_fix(r, it, fix, sizeof(fix));
		snprintf(code, sizeof(code), "refused-%s", plan_refusal_name(it->code));
		add_problem(out, SEV_BLOCKING, code, it->dev->name, fix,
			    "%s is selected but will be refused: %s", it->dev->name, it->reason);
	}
}

/*
 * A VF in one group with its PF: the PF's driver creates the VF, so
 * binding the PF (or the whole group) removes the very device.
 */
static void vf_group_problem(const struct rgroup *g, const char *dev, struct problems *out)
{
	add_problem(out, SEV_BLOCKING, "group-holds-pf", dev, "a VF cannot leave this group "
		    "alone: put the card in a slot whose upstream port has ACS (each function "
		    "its own group), or pass the whole card (the PF) instead of a VF",
		    "IOMMU group %d is not usable for a VM: it holds the VF's own PF %s (%s), "
		    "whose driver creates the VF", g->id, g->vf_parent->name,
		    g->vf_parent->driver[0] ? g->vf_parent->driver : "no driver");
}

/* The fix for a partial group: the line that selects the rest, or whole-group. */
static void partial_fix(const struct report *r, const struct rule *sel, const char *addrs,
			bool boot_vga, char *fix, size_t size)
{
	char whole[160] = "";

	/* whole-group is an option of config rules only. */
	if (sel && !sel->key && sel->line)
		snprintf(whole, sizeof(whole), " (or add whole-group to the rule at %s:%u)",
			 sel->file, sel->line);
	/* Each address names one function: the line takes those and nothing else. */
	if (!addrs[0] ||
	    snprintf(fix, size, "if the host can spare them, add the line \"address %s%s\" to "
		     "%s%s; otherwise move the card to a slot with its own IOMMU group", addrs,
		     boot_vga ? " allow-boot-vga" : "", r->config_file, whole) >= (int)size)
		/* Too long to paste: the members are named in the problem itself. */
		snprintf(fix, size, "if the host can spare them, select those too (address "
			 "rules, or whole-group); otherwise move the card to a slot with its "
			 "own IOMMU group");
}

/*
 * A group split now: some members on vfio-pci (or a variant), others on a
 * host driver, whatever the next boot does (a boot that refused one
 * function of a card, a take or release by hand that went half way): no VM
 * can open it until the others follow or the first come back.
 */
static void check_split_now(const struct report *r, struct problems *out)
{
	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rgroup *g = &r->grp[i];
		char on[200] = "", off[200] = "", one[96];
		const char *first = NULL;

		/* Partial: check_groups says it; pending: the next boot mends it. */
		if (g->verdict == GROUP_PARTIAL || g->verdict == GROUP_PENDING)
			continue;
		for (size_t j = 0; j < g->n; j++) {
			const struct pci_dev *m = g->mem[j];
			bool vfio = variant_is_vfio_driver(r->t.rootfd, m->driver);

			if (pci_is_bridge(m) || !m->driver[0])
				continue;
			snprintf(one, sizeof(one), "%s (%s)", m->name, m->driver);
			report_append(vfio ? on : off, vfio ? sizeof(on) : sizeof(off), ", ", one,
				      strlen(one));
			if (vfio && !first)
				first = m->name;
		}
		if (!on[0] || !off[0])
			continue;
		add_problem(out, SEV_WARNING, "group-split", first, "give it back with vfio-early "
			    "release, or take the rest too (vfio-early select prints the whole "
			    "card's rule)", "IOMMU group %d is split now: %s on vfio, %s on a host "
			    "driver; no VM can open it", g->id, on, off);
	}
}

/*
 * Groups half on vfio-pci: what else they hold, and the line that selects
 * it.  Selected members the policy refuses are problems of their own, not
 * "what else": a group where nothing goes to vfio-pci is not half on it.
 */
static void check_groups(const struct report *r, struct problems *out)
{
	char fix[400];

	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rgroup *g = &r->grp[i];
		const struct rule *sel = NULL;
		const char *dev = NULL;
		char others[300] = "", addrs[200] = "";
		bool boot_vga = false, cut = false;

		if (g->verdict != GROUP_PARTIAL)
			continue;
		for (size_t j = 0; j < g->n; j++) {
			const struct pci_dev *m = g->mem[j];
			char one[96];

			if (pci_is_bridge(m) || (m->plan >= 0 && !report_will_bind(m, &r->pl)))
				continue;
			if (report_will_bind(m, &r->pl)) {
				if (!sel) {
					sel = r->pl.v[m->plan].rule;
					dev = m->name;
				}
				continue;
			}
			snprintf(one, sizeof(one), "%s (%s)", m->name,
				 m->driver[0] ? m->driver : "no driver");
			report_append(others, sizeof(others), ", ", one, strlen(one));
			/* A list cut short would leave members out: none rather than that. */
			if (cut || strlen(addrs) + 1 + strlen(m->name) >= sizeof(addrs))
				cut = true;
			else
				report_append(addrs, sizeof(addrs), " ", m->name, strlen(m->name));
			boot_vga |= m->boot_vga;
		}
		if (!others[0] || !sel)
			continue;
		if (g->vf_parent) {
			vf_group_problem(g, dev, out);
			continue;
		}
		partial_fix(r, sel, cut ? "" : addrs, boot_vga, fix, sizeof(fix));
		add_problem(out, SEV_BLOCKING, "group-shared", dev, fix, "IOMMU group %d is not "
			    "usable for a VM: it also holds %s", g->id, others);
	}
}

/* A selected VF: the next boot cannot bind what does not exist yet. */
static void vf_problem(const struct rdev *x, struct problems *out)
{
	char fix[400];

	snprintf(fix, sizeof(fix), "once the PF's driver has created it (sriov_numvfs), run "
		 "driverctl set-override %s vfio-pci (or write vfio-pci to its driver_override "
		 "and rebind it)", x->d->name);
	add_problem(out, SEV_WARNING, "vf-not-at-boot", x->d->name,
		    fix, "%s is a VF on %s now: the next boot does not hand "
		    "it to vfio-pci, since it does not exist yet when vfio-early runs",
		    x->d->name, x->d->driver[0] ? x->d->driver : "no driver");
}

/* Is the report's kernel @major.@minor or later?  Unknown is not. */
static bool kernel_at_least(const struct report *r, unsigned major, unsigned minor)
{
	unsigned a, b;

	if (sscanf(r->kver, "%u.%u", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

/*
 * A firmware framebuffer (efifb, simpledrm, vesafb, BOOTFB) on the memory
 * of a device vfio-pci takes.  From Linux 6.0 vfio-pci removes it when it
 * binds a display device (as a DRM driver does: the aperture helpers), so
 * the VM maps the BAR; before, it stays and the VM's driver may fail.
 */
static void framebuffer_problem(const struct report *r, const struct rdev *x,
				struct problems *out)
{
	if (kernel_at_least(r, 6, 0))
		add_problem(out, SEV_NOTE, "boot-framebuffer", x->d->name,
			    "nothing is needed on this kernel; initcall_blacklist=sysfb_init "
			    "on the kernel command line keeps it off the card from the start",
			    "%s: the boot framebuffer (%s) sits on its memory; vfio-pci removes "
			    "it when it binds (Linux 6.0 and later), and the console goes dark "
			    "then", x->d->name, x->framebuffer);
	else
		add_problem(out, SEV_WARNING, "boot-framebuffer", x->d->name,
			    "add initcall_blacklist=sysfb_init to the kernel command line "
			    "(or video=efifb:off on older kernels)",
			    "%s: the boot framebuffer (%s) sits on its memory, and vfio-pci "
			    "before Linux 6.0 leaves it there; the VM's driver may fail to map "
			    "it", x->d->name, x->framebuffer);
}

/* Devices that will be bound: their framebuffer, this boot's result, their driver now. */
static void check_devices(const struct report *r, struct problems *out)
{
	for (size_t k = 0; k < r->ndev; k++) {
		const struct rdev *x = &r->dev[k];

		if (!x->plan || plan_refused(x->plan))
			continue;
		if (x->framebuffer[0])
			framebuffer_problem(r, x, out);
		if (x->plan->target_note[0])
			add_problem(out, SEV_WARNING, "driver-choice", x->d->name,
				    "name the variant's module with driver=MODULE, or keep the "
				    "generic driver with driver=vfio-pci", "%s: %s; it goes to "
				    "vfio-pci", x->d->name, x->plan->target_note);
		if (x->now && strcmp(x->now->result, "failed") == 0)
			add_problem(out, SEV_BLOCKING, "bind-failed", x->d->name,
				    "see dmesg | grep -i vfio for the kernel's "
				    "reason", "%s failed to bind at this boot: %s", x->d->name,
				    x->now->reason);
		else if (x->d->is_vf && strcmp(x->d->driver, plan_target(x->plan)) != 0 &&
			 !x->plan->rule->from_vfs)
			/* (A vfs= rule's VFs: the SR-IOV section says what becomes of them.) */
			vf_problem(x, out);
	}
}

/*
 * On a host driver now, and on vfio-pci (or its variant) after the next
 * boot: the configuration waits for it.  A device on a vfio driver now is
 * not waiting, even on another one than the plan names (a variant that
 * refused it left it to vfio-pci, and would again).  (A device with no driver holds no group
 * back: the kernel lets a VM open the group with it.)
 */
static bool pending(int rootfd, const struct rdev *x)
{
	return x->plan && !plan_refused(x->plan) && !x->d->is_vf &&
	       !(x->now && strcmp(x->now->result, "failed") == 0) &&
	       x->d->driver[0] && !variant_is_vfio_driver(rootfd, x->d->driver);
}

/*
 * A reboot pending is not a fault: the configuration is right and the
 * next boot applies it.  One problem per card (slot), naming each function.
 */
static void check_pending(const struct report *r, struct problems *out)
{
	for (size_t k = 0; k < r->ndev; k++) {
		const struct pci_dev *d = r->dev[k].d;
		const char *to = r->dev[k].plan ? plan_target(r->dev[k].plan) : "";
		char list[600] = "", each[700] = "";
		bool said = false, same = true;

		if (!pending(r->t.rootfd, &r->dev[k]))
			continue;
		for (size_t j = 0; j < k; j++)
			said |= pending(r->t.rootfd, &r->dev[j]) && pci_same_slot(r->dev[j].d, d);
		if (said)
			continue;
		for (size_t j = k; j < r->ndev; j++) {
			const struct pci_dev *y = r->dev[j].d;
			char one[PCI_ADDR_STRLEN + 2 * DRIVER_NAME_LEN + 16];

			if (!pending(r->t.rootfd, &r->dev[j]) || !pci_same_slot(y, d))
				continue;
			same &= strcmp(plan_target(r->dev[j].plan), to) == 0;
			snprintf(one, sizeof(one), "%s (now %s)", y->name,
				 y->driver[0] ? y->driver : "no driver");
			report_append(list, sizeof(list), ", ", one, strlen(one));
			snprintf(one + strlen(one), sizeof(one) - strlen(one), " to %s",
				 plan_target(r->dev[j].plan));
			report_append(each, sizeof(each), ", ", one, strlen(one));
		}
		/* One driver for the card: named once; a variant for one function: each. */
		add_problem(out, SEV_PENDING, "reboot-pending", d->name,
			    r->st.present ? "reboot" : NULL, "reboot pending: the next boot hands "
			    "%s%s%s", same ? list : each, same ? " to " : "", same ? to : "");
	}
}

/* What the state files say of this boot: an unverified protected list, the late pass. */
static void check_this_boot(const struct report *r, struct problems *out)
{
	char fix[400];

	if (r->st.present && r->st.proof_seen && !r->st.proof_verified && !r->st.proof_live) {
		snprintf(fix, sizeof(fix), "run %s on this machine, so that the image records "
			 "what this host needs, and reboot", rebuild_cmd(r));
		add_problem(out, SEV_WARNING, "protected-list-unverified", NULL,
			    fix, "this boot's protected list was unverified (%s): "
			    "no controller that can carry a disk%s was handed over before the root "
			    "filesystem was mounted", r->st.proof_reason,
			    r->prot.net_root ? " nor any NIC" : "");
	}
	for (size_t i = 0; i < r->late.ndev; i++)
		if (strcmp(r->late.dev[i].result, "refused") == 0)
			add_problem(out, SEV_NOTE, "late-pass-kept", r->late.dev[i].addr,
				    NULL, "%s stayed with the host at the late pass: %s",
				    r->late.dev[i].addr, r->late.dev[i].reason);
}

/* The vfio modules of the running kernel. */
static void check_modules(const struct report *r, struct problems *out)
{
	char missing[96];

	missing[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		if (strcmp(r->mods[i].state, "missing") == 0)
			report_append(missing, sizeof(missing), ", ", r->mods[i].name,
				      strlen(r->mods[i].name));
	if (missing[0])
		add_problem(out, SEV_BLOCKING, "vfio-modules-missing", NULL,
			    "install the kernel's modules package (on Debian: "
			    "linux-image-$(uname -r)) and check CONFIG_VFIO_PCI",
			    "vfio modules missing for kernel %s: %s", r->kver, missing);
	missing[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		if (strcmp(r->mods[i].state, "loaded, no file") == 0)
			report_append(missing, sizeof(missing), ", ", r->mods[i].name,
				      strlen(r->mods[i].name));
	if (missing[0])
		add_problem(out, SEV_WARNING, "vfio-modules-no-file", NULL,
			    "reinstall the kernel's modules package (on Debian: "
			    "linux-image-$(uname -r))", "vfio modules loaded but missing from "
			    "/lib/modules/%s: %s; the next initramfs cannot carry them", r->kver,
			    missing);
}

/*
 * The installed initramfs: does the next boot carry vfio-early and this
 * config, and vfio-pci's module unless the kernel has it built in?
 */
static void check_initrd(const struct report *r, struct problems *out)
{
	bool rules = r->rs.n > 0;
	bool module = r->initrd.has_module || report_module_built_in(r, "vfio-pci");
	char fix[400];

	if (rules && r->initrd.checked && (!r->initrd.has_binary || !module)) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(out, SEV_BLOCKING, "initramfs-incomplete", NULL,
			    fix, "the initramfs %s lacks %s: the next boot will "
			    "not bind anything early", r->initrd.path, !r->initrd.has_binary ?
			    "vfio-early" : "the vfio-pci module");
	} else if (rules && r->initrd.checked && !r->initrd.has_config && r->config_present) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(out, SEV_BLOCKING, "initramfs-lacks-config", NULL,
			    fix, "the initramfs %s lacks /etc/vfio-early.conf",
			    r->initrd.path);
	}
}

/* A config newer than the image (checked after the old recipe, as printed). */
static void check_config_newer(const struct report *r, struct problems *out)
{
	char fix[400];

	if (r->rs.n > 0 && r->initrd.config_newer) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(out, SEV_WARNING, "initramfs-config-stale", NULL,
			    fix, "/etc/vfio-early.conf changed after the initramfs "
			    "%s was built", r->initrd.path);
	}
}

/*
 * Worst first; within a severity the host's own problems, then each
 * device's in address order (a card's functions side by side); problems
 * with the same fix next to each other, so the text prints that fix once.
 */
static int problem_cmp(const struct problem *a, const struct problem *b)
{
	int c;

	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	c = strcmp(a->device, b->device);
	return c ? c : strcmp(a->fix, b->fix);
}

/* A stable insertion sort: problems that compare equal keep the order they were found in. */
static void sort_problems(struct problems *p)
{
	for (size_t i = 1; i < p->n; i++) {
		struct problem tmp = p->v[i];
		size_t j = i;

		for (; j > 0 && problem_cmp(&p->v[j - 1], &tmp) > 0; j--)
			p->v[j] = p->v[j - 1];
		p->v[j] = tmp;
	}
}

void report_analyse(const struct report *r, struct problems *out)
{
	if (!r->scanned)
		add_problem(out, SEV_BLOCKING, "sysfs-unreadable", NULL,
			    "run as root, or check that sysfs is mounted",
			    "cannot read /sys/bus/pci/devices");
	check_iommu(r, out);
	if (r->rs.off)
		add_problem(out, SEV_WARNING, "kill-switch-on", NULL,
			    "remove vfio_early=off from the kernel command line",
			    "vfio_early=off is on the kernel command line: vfio-early does nothing "
			    "at boot");
	for (size_t i = 0; i < r->nmsgs; i++)
		check_msg(r->msgs[i], out);
	check_rules(r, out);
	check_refusals(r, out);
	check_groups(r, out);
	check_split_now(r, out);
	check_devices(r, out);
	report_check_sriov(r, out);
	check_pending(r, out);
	check_this_boot(r, out);
	if (r->rs.n > 0 && !r->rs.off && !r->st.present)
		add_problem(out, SEV_WARNING, "boot-did-not-run", NULL,
			    "install vfio-early into the initramfs (make install, "
			    "then update-initramfs -u or dracut -f) and reboot",
			    "vfio-early did not run at this boot (no /run/vfio-early/state)");
	check_modules(r, out);
	check_initrd(r, out);
	check_legacy(r, out);
	check_config_newer(r, out);
	sort_problems(out);
}
