// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The report's analysis on hand-built facts: no sysfs, no files, only the
 * structs report-gather.c would fill in.
 */
#include "unit.h"
#include "report-analyse.h"

/* A machine of two cards (VGA + audio each) in groups 10 and 11. */
struct facts {
	struct report r;
	struct pci_dev dev[4];
	struct pci_dev *g10[2], *g11[2];
	struct rgroup grp[2];
	struct rule rule[24];
	struct plan_item item[4];
	struct problems p;
};

static void dev_init(struct pci_dev *d, unsigned bus, unsigned fn, uint32_t class, int group,
		     const char *driver)
{
	memset(d, 0, sizeof(*d));
	d->addr = (struct pci_addr){ .bus = (uint8_t)bus, .func = (uint8_t)fn, .has_func = true };
	format_pci_addr(&d->addr, d->name);
	d->vendor = 0x10de;
	d->device = fn ? 0x1aef : 0x2204;
	d->class = class;
	d->iommu_group = group;
	d->loaded = true;
	d->has_override_attr = true;
	snprintf(d->driver, sizeof(d->driver), "%s", driver);
	d->plan = -1;
}

/* A healthy host: IOMMU on, the vfio modules there, no rules yet. */
static void facts_init(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	dev_init(&f->dev[0], 1, 0, 0x030000, 10, "nouveau");
	dev_init(&f->dev[1], 1, 1, 0x040300, 10, "snd_hda_intel");
	dev_init(&f->dev[2], 2, 0, 0x030000, 11, "nouveau");
	dev_init(&f->dev[3], 2, 1, 0x040300, 11, "snd_hda_intel");
	f->g10[0] = &f->dev[0];
	f->g10[1] = &f->dev[1];
	f->g11[0] = &f->dev[2];
	f->g11[1] = &f->dev[3];
	f->grp[0] = (struct rgroup){ .id = 10, .mem = f->g10, .n = 2, .verdict = GROUP_CANDIDATE };
	f->grp[1] = (struct rgroup){ .id = 11, .mem = f->g11, .n = 2, .verdict = GROUP_CANDIDATE };

	f->r.t.dev = f->dev;
	f->r.t.n = 4;
	f->r.t.iommu = true;
	f->r.grp = f->grp;
	f->r.ngrp = 2;
	f->r.rs.v = f->rule;
	f->r.pl.v = f->item;
	f->r.scanned = true;
	f->r.iommu_active = true;
	f->r.config_present = true;
	f->r.config_file = "/etc/vfio-early.conf";
	f->r.iommu_hint = "add intel_iommu=on to the kernel command line";
	f->r.boot = BOOT_GRUB;
	snprintf(f->r.kver, sizeof(f->r.kver), "6.1.0-56-amd64");
	f->r.st.present = true;
	for (size_t i = 0; i < ARRAY_SIZE(f->r.mods); i++) {
		f->r.mods[i].name = i == 0 ? "vfio-pci" : i == 1 ? "vfio" : "vfio_iommu_type1";
		snprintf(f->r.mods[i].state, sizeof(f->r.mods[i].state), "built in");
	}
}

/* Config rule N (1-based line) selecting "ids VVVV:DDDD". */
static struct rule *add_rule(struct facts *f, const char *token, unsigned matches)
{
	struct rule *rr = &f->rule[f->r.rs.n];

	memset(rr, 0, sizeof(*rr));
	rr->kind = RULE_IDS;
	rr->file = "/etc/vfio-early.conf";
	rr->line = (unsigned)++f->r.rs.n;
	rr->matches = matches;
	snprintf(rr->token, sizeof(rr->token), "%s", token);
	return rr;
}

/* Device @k into the plan, by @rr. */
static struct plan_item *plan(struct facts *f, size_t k, const struct rule *rr,
			      enum plan_via via)
{
	struct plan_item *it = &f->item[f->r.pl.n];

	memset(it, 0, sizeof(*it));
	it->dev = &f->dev[k];
	it->rule = rr;
	it->via = via;
	it->origin = -1;
	f->dev[k].plan = (int)f->r.pl.n++;
	return it;
}

static void refuse(struct plan_item *it, enum refusal code, const char *why)
{
	it->code = code;
	it->result = RES_REFUSED;
	snprintf(it->reason, sizeof(it->reason), "%s", why);
}

static void analyse(struct facts *f)
{
	problems_free(&f->p);
	report_analyse(&f->r, &f->p);
}

/* The index of the problem whose text starts with @what, or -1. */
static int find(const struct facts *f, const char *what)
{
	for (size_t i = 0; i < f->p.n; i++)
		if (strncmp(f->p.v[i].what, what, strlen(what)) == 0)
			return (int)i;
	return -1;
}

static unsigned count(const struct facts *f, const char *what)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->p.n; i++)
		n += strstr(f->p.v[i].what, what) != NULL;
	return n;
}

/* How many fixes say @fix: advice that cannot help must not be printed. */
static unsigned count_fix(const struct facts *f, const char *fix)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->p.n; i++)
		n += strstr(f->p.v[i].fix, fix) != NULL;
	return n;
}

static int status(const struct facts *f)
{
	unsigned warn, block;

	return report_status(&f->p, &warn, &block);
}

#define CHECK_PROBLEM(f, what_, sev_, fix_)                                       \
	do {                                                                      \
		int _i = find((f), (what_));                                      \
		CHECK(_i >= 0);                                                   \
		if (_i >= 0) {                                                    \
			CHECK_INT((f)->p.v[_i].sev, (sev_));                      \
			CHECK_STR((f)->p.v[_i].fix, (fix_));                      \
		}                                                                 \
	} while (0)

TEST(healthy_facts_have_no_problems)
{
	struct facts f;

	facts_init(&f);
	analyse(&f);
	CHECK_INT(f.p.n, 0);
	CHECK_INT(status(&f), REPORT_OK);
	problems_free(&f.p);
}

TEST(no_pci_devices_is_blocking_and_rules_are_not_judged)
{
	struct facts f;

	facts_init(&f);
	f.r.scanned = false;
	f.r.t.n = 0;
	f.r.ngrp = 0;
	add_rule(&f, "10de:2204", 0);
	analyse(&f);
	CHECK_PROBLEM(&f, "cannot read /sys/bus/pci/devices", SEV_BLOCKING,
		      "run as root, or check that sysfs is mounted");
	/* No plan was made: a rule that matched nothing is not news. */
	CHECK_INT(count(&f, "matches no device"), 0);
	CHECK_INT(status(&f), REPORT_BLOCKING);
	problems_free(&f.p);
}

TEST(no_iommu_names_the_hint_and_where_the_command_line_lives)
{
	struct facts f;

	facts_init(&f);
	f.r.iommu_active = false;
	analyse(&f);
	CHECK_PROBLEM(&f, "no IOMMU is active: nothing can be passed through", SEV_BLOCKING,
		      "add intel_iommu=on to the kernel command line (edit "
		      "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run update-grub); "
		      "reboot");
	f.r.boot = BOOT_PROXMOX_EFI;
	analyse(&f);
	CHECK_PROBLEM(&f, "no IOMMU is active: nothing can be passed through", SEV_BLOCKING,
		      "add intel_iommu=on to the kernel command line (edit /etc/kernel/cmdline, "
		      "then run proxmox-boot-tool refresh); reboot");
	/* Already there: adding it again cannot help; the firmware can. */
	snprintf(f.r.iommu_flags, sizeof(f.r.iommu_flags), "intel_iommu=on");
	f.r.cmdline = (char[]){ "root=/dev/sda1 intel_iommu=on" };
	f.r.cmdline_len = strlen(f.r.cmdline);
	analyse(&f);
	CHECK_PROBLEM(&f, "no IOMMU is active: nothing can be passed through (the command line "
		      "asks for it: check the firmware setting)", SEV_BLOCKING,
		      "the command line asks for it already: enable VT-d in the firmware setup, "
		      "and see dmesg | grep -i -e DMAR -e AMD-Vi -e IOMMU for why the kernel "
		      "left it off");
	CHECK_INT(count_fix(&f, "add intel_iommu=on"), 0);
	problems_free(&f.p);
}

TEST(unmatched_rules_are_notes_twenty_by_name_then_a_count)
{
	struct facts f;
	char tok[16];

	facts_init(&f);
	for (unsigned i = 0; i < 23; i++) {
		snprintf(tok, sizeof(tok), "1111:%04x", i);
		add_rule(&f, tok, 0);
	}
	add_rule(&f, "10de:2204", 2);
	analyse(&f);
	CHECK_PROBLEM(&f, "/etc/vfio-early.conf:1: 1111:0000 matches no device", SEV_NOTE,
		      "correct or remove that rule");
	CHECK(find(&f, "/etc/vfio-early.conf:20: 1111:0013 matches no device") >= 0);
	CHECK(find(&f, "/etc/vfio-early.conf:21: ") < 0);
	CHECK(find(&f, "/etc/vfio-early.conf:24: ") < 0);
	CHECK_PROBLEM(&f, "3 more rules match no device", SEV_NOTE, "correct or remove that rule");
	CHECK_INT(count(&f, "match"), 21);
	problems_free(&f.p);
}

TEST(an_unmatched_exclude_rule_says_so)
{
	struct facts f;

	facts_init(&f);
	add_rule(&f, "10de:1aef", 0)->exclude = true;
	analyse(&f);
	CHECK(find(&f, "/etc/vfio-early.conf:1: exclude 10de:1aef matches no device") >= 0);
	problems_free(&f.p);
}

TEST(an_exclusion_names_both_rules)
{
	struct facts f;
	struct rule *inc, *exc;
	struct exclusion x;

	facts_init(&f);
	inc = add_rule(&f, "10de:2204", 2);
	exc = add_rule(&f, "01:00", 1);
	exc->exclude = true;
	x = (struct exclusion){ .dev = &f.dev[0], .exclude = exc, .include = inc };
	f.r.excl = &x;
	f.r.nexcl = 1;
	analyse(&f);
	CHECK_PROBLEM(&f, "0000:01:00.0: excluded by /etc/vfio-early.conf:2 (selected by "
		      "/etc/vfio-early.conf:1)", SEV_WARNING, "correct or remove that rule");
	problems_free(&f.p);
}

TEST(messages_from_reading_the_rules_are_warnings)
{
	struct facts f;
	char msgs[1][320] = { "/etc/vfio-early.conf:2: 10de:zzzz: not a vendor:device id" };

	facts_init(&f);
	f.r.msgs = msgs;
	f.r.nmsgs = 1;
	analyse(&f);
	CHECK_PROBLEM(&f, msgs[0], SEV_WARNING, "correct or remove that rule");
	CHECK_INT(status(&f), REPORT_WARNINGS);
	problems_free(&f.p);
}

TEST(a_refused_card_is_one_problem_with_the_fix_for_its_cause)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	rr = add_rule(&f, "01:00", 2);
	refuse(plan(&f, 0, rr, VIA_RULE), REF_BOOT_VGA, "is the boot VGA device");
	/* The audio function: refused for the same cause, said once. */
	refuse(plan(&f, 1, rr, VIA_RULE), REF_BOOT_VGA, "is the boot VGA device");
	analyse(&f);
	CHECK_INT(count(&f, "is selected but will be refused"), 1);
	CHECK(find(&f, "0000:01:00.0 is selected but will be refused: is the boot VGA device") >= 0);
	CHECK(strstr(f.p.v[find(&f, "0000:01:00.0")].fix, "add allow-boot-vga to its rule") != NULL);
	CHECK_INT(f.p.v[find(&f, "0000:01:00.0")].sev, SEV_BLOCKING);
	problems_free(&f.p);
}

TEST(refusals_said_elsewhere_are_not_repeated)
{
	struct facts f;
	struct rule *rr;
	struct plan_item *it;

	facts_init(&f);
	rr = add_rule(&f, "10de:2204", 2);
	refuse(plan(&f, 0, rr, VIA_RULE), REF_NO_IOMMU, "no IOMMU is active");
	it = plan(&f, 1, rr, VIA_SLOT);
	refuse(it, REF_CARD, "0000:01:00.0, another function of this card, is refused");
	refuse(plan(&f, 2, rr, VIA_RULE), REF_ROOT_GROUP, "shares IOMMU group 11 with the root");
	analyse(&f);
	CHECK_INT(count(&f, "is selected but will be refused"), 1);
	CHECK(strstr(f.p.v[find(&f, "0000:02:00.0 is selected")].fix,
		     "move the card to a slot with its own IOMMU group") != NULL);
	problems_free(&f.p);
}

TEST(a_partial_group_names_what_else_it_holds_and_the_line_to_add)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	rr = add_rule(&f, "10de:2204 functions=one", 2);
	plan(&f, 0, rr, VIA_RULE);
	f.grp[0].selected = true;
	f.grp[0].verdict = GROUP_PARTIAL;
	analyse(&f);
	CHECK_PROBLEM(&f, "IOMMU group 10 is not usable for a VM: it also holds 0000:01:00.1 "
		      "(snd_hda_intel)", SEV_BLOCKING,
		      "if the host can spare them, add the line \"address 0000:01:00.1\" to "
		      "/etc/vfio-early.conf (or add whole-group to the rule at "
		      "/etc/vfio-early.conf:1); otherwise move the card to a slot with its own "
		      "IOMMU group");
	/* Only group 10 is partial. */
	CHECK_INT(count(&f, "is not usable for a VM"), 1);
	problems_free(&f.p);
}

TEST(a_device_still_on_its_host_driver_is_a_reboot_pending)
{
	struct facts f;
	struct rule *rr;
	struct rdev x = { 0 };

	facts_init(&f);
	rr = add_rule(&f, "10de:2204", 2);
	plan(&f, 0, rr, VIA_RULE);
	x.d = &f.dev[0];
	x.plan = &f.item[0];
	f.r.dev = &x;
	f.r.ndev = 1;
	analyse(&f);
	CHECK_PROBLEM(&f, "reboot pending: the next boot hands 0000:01:00.0 (now nouveau) to "
		      "vfio-pci", SEV_PENDING, "reboot");
	CHECK_STR(f.p.v[0].code, "reboot-pending");
	CHECK_STR(f.p.v[0].device, "0000:01:00.0");
	/* Not a fault: the exit status stays 0. */
	CHECK_INT(status(&f), REPORT_OK);
	problems_free(&f.p);
}

TEST(missing_modules_block_and_the_initramfs_fix_names_its_generator)
{
	struct facts f;

	facts_init(&f);
	add_rule(&f, "10de:2204", 2);
	snprintf(f.r.mods[0].state, sizeof(f.r.mods[0].state), "missing");
	snprintf(f.r.mods[2].state, sizeof(f.r.mods[2].state), "missing");
	f.r.initrd = (struct initrd){ .exists = true, .checked = true, .has_binary = true,
				      .tool = "/usr/bin/lsinitrd", .config_newer = true };
	snprintf(f.r.initrd.path, sizeof(f.r.initrd.path), "/boot/initramfs-6.1.img");
	analyse(&f);
	CHECK_PROBLEM(&f, "vfio modules missing for kernel 6.1.0-56-amd64: vfio-pci, "
		      "vfio_iommu_type1", SEV_BLOCKING, "install the kernel's modules package "
		      "(on Debian: linux-image-$(uname -r)) and check CONFIG_VFIO_PCI");
	CHECK_PROBLEM(&f, "the initramfs /boot/initramfs-6.1.img lacks the vfio-pci module",
		      SEV_BLOCKING, "run dracut -f");
	CHECK_PROBLEM(&f, "/etc/vfio-early.conf changed after the initramfs "
		      "/boot/initramfs-6.1.img was built", SEV_WARNING, "run dracut -f");
	problems_free(&f.p);
}

TEST(command_line_facts_without_a_command_line)
{
	struct facts f;

	facts_init(&f);
	f.r.cmdline = NULL;
	analyse(&f);
	CHECK_INT(f.p.n, 0);
	f.r.cmdline = (char[]){ "root=/dev/sda1 intel_iomu=on intel_iommu=1 quiet" };
	f.r.cmdline_len = strlen(f.r.cmdline);
	analyse(&f);
	CHECK_PROBLEM(&f, "the kernel command line has intel_iomu, which the kernel ignores: a "
		      "misspelt intel_iommu?", SEV_WARNING, "spell it intel_iommu (edit GRUB_CMDLINE_"
		      "LINUX_DEFAULT in /etc/default/grub, then run update-grub)");
	CHECK_PROBLEM(&f, "the kernel does not understand intel_iommu=1 or =yes", SEV_WARNING,
		      "write intel_iommu=on");
	CHECK_INT(f.p.n, 2);
	problems_free(&f.p);
}

TEST(an_ids_rule_on_the_root_controller_is_narrowed_not_moved)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	rr = add_rule(&f, "10de:2204", 2);
	refuse(plan(&f, 0, rr, VIA_RULE), REF_ROOT, "holds the root filesystem");
	analyse(&f);
	CHECK_PROBLEM(&f, "0000:01:00.0 is selected but will be refused: holds the root "
		      "filesystem", SEV_BLOCKING,
		      "the rule at /etc/vfio-early.conf:1 also matches the controller of the root "
		      "filesystem: narrow it (name the device you mean with an address or path "
		      "rule instead), or add \"exclude address 0000:01:00.0\" to "
		      "/etc/vfio-early.conf");
	CHECK_INT(count_fix(&f, "move the card"), 0);
	problems_free(&f.p);
}

TEST(a_refused_device_alone_is_not_what_else_its_group_holds)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	rr = add_rule(&f, "10de:2204 functions=one", 2);
	refuse(plan(&f, 0, rr, VIA_RULE), REF_BOOT_VGA, "is the boot VGA device");
	f.grp[0].selected = true;
	f.grp[0].verdict = GROUP_PARTIAL;
	analyse(&f);
	CHECK_INT(count(&f, "is selected but will be refused: is the boot VGA"), 1);
	/* Nothing of group 10 goes to vfio-pci: no "also holds", least of all itself. */
	CHECK_INT(count(&f, "is not usable for a VM"), 0);
	problems_free(&f.p);
}

TEST(no_group_with_the_iommu_on_is_not_a_command_line_fix)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	rr = add_rule(&f, "10de:2204", 2);
	refuse(plan(&f, 0, rr, VIA_RULE), REF_NO_GROUP, "has no IOMMU group");
	analyse(&f);
	CHECK_INT(count(&f, "0000:01:00.0 is selected but will be refused: has no IOMMU group"), 1);
	CHECK_INT(count_fix(&f, "intel_iommu=on"), 0);
	CHECK_INT(count_fix(&f, "does not cover this slot"), 1);
	problems_free(&f.p);
}

TEST(amd_iommu_on_is_a_note_on_amd_hosts_only)
{
	struct facts f;

	facts_init(&f);
	f.r.cmdline = (char[]){ "root=/dev/sda1 amd_iommu=on iommu=pt" };
	f.r.cmdline_len = strlen(f.r.cmdline);
	analyse(&f);
	CHECK_INT(count(&f, "amd_iommu"), 0);
	f.r.amd_cpu = true;
	analyse(&f);
	CHECK_INT(count(&f, "amd_iommu=on can be removed"), 1);
	problems_free(&f.p);
}

/* An image that carries vfio-early and the config, but no vfio-pci.ko. */
static void image_without_vfio_pci(struct facts *f)
{
	f->r.initrd = (struct initrd){ .exists = true, .checked = true, .has_binary = true,
				       .has_config = true, .tool = "/usr/bin/lsinitramfs" };
	snprintf(f->r.initrd.path, sizeof(f->r.initrd.path), "/boot/initrd.img-6.1");
}

TEST(a_built_in_vfio_pci_needs_no_module_in_the_initramfs)
{
	struct facts f;

	facts_init(&f);
	add_rule(&f, "10de:2204", 2);
	image_without_vfio_pci(&f);
	analyse(&f);
	CHECK(report_module_built_in(&f.r, "vfio-pci"));
	CHECK_INT(count(&f, "the initramfs"), 0);
	CHECK_INT(f.p.n, 0);

	/* The same image for a kernel whose vfio-pci is a module: blocking. */
	snprintf(f.r.mods[0].state, sizeof(f.r.mods[0].state), "module");
	analyse(&f);
	CHECK(!report_module_built_in(&f.r, "vfio-pci"));
	CHECK_PROBLEM(&f, "the initramfs /boot/initrd.img-6.1 lacks the vfio-pci module",
		      SEV_BLOCKING, "run update-initramfs -u");

	/* Built in, but the image lacks vfio-early itself: still blocking, for that. */
	snprintf(f.r.mods[0].state, sizeof(f.r.mods[0].state), "built in");
	f.r.initrd.has_binary = false;
	analyse(&f);
	CHECK_PROBLEM(&f, "the initramfs /boot/initrd.img-6.1 lacks vfio-early", SEV_BLOCKING,
		      "run update-initramfs -u");
	CHECK_INT(count(&f, "the initramfs /boot/initrd.img-6.1 lacks the vfio-pci module"), 0);
	problems_free(&f.p);
}

TEST(the_line_that_completes_a_group_allows_a_boot_display_in_it)
{
	struct facts f;
	struct rule *rr;

	facts_init(&f);
	/* The audio of group 10 is selected; its VGA, the boot display, is not. */
	f.dev[0].boot_vga = true;
	rr = add_rule(&f, "10de:1aef functions=one", 2);
	plan(&f, 1, rr, VIA_RULE);
	f.grp[0].selected = true;
	f.grp[0].verdict = GROUP_PARTIAL;
	analyse(&f);
	CHECK_PROBLEM(&f, "IOMMU group 10 is not usable for a VM: it also holds 0000:01:00.0 "
		      "(nouveau)", SEV_BLOCKING,
		      "if the host can spare them, add the line \"address 0000:01:00.0 "
		      "allow-boot-vga\" to /etc/vfio-early.conf (or add whole-group to the rule "
		      "at /etc/vfio-early.conf:1); otherwise move the card to a slot with its "
		      "own IOMMU group");
	problems_free(&f.p);
}

TEST(problems_are_sorted_worst_first_then_host_then_device_each_with_a_code)
{
	struct facts f;
	struct rule *rr;
	struct rdev x[2] = { { 0 } };
	static const enum severity order[] = { SEV_BLOCKING, SEV_BLOCKING, SEV_WARNING,
					       SEV_PENDING, SEV_NOTE, SEV_NOTE };

	facts_init(&f);
	/* Found in this order: two notes, a pending card, a warning, then the blocking ones. */
	add_rule(&f, "1111:0001", 0);
	add_rule(&f, "1111:0002", 0);
	rr = add_rule(&f, "10de:2204", 2);
	plan(&f, 2, rr, VIA_RULE);
	plan(&f, 3, rr, VIA_SLOT);
	x[0].d = &f.dev[2];
	x[0].plan = &f.item[0];
	x[1].d = &f.dev[3];
	x[1].plan = &f.item[1];
	f.r.dev = x;
	f.r.ndev = 2;
	f.r.acs_override = true;
	f.r.iommu_active = false;
	snprintf(f.r.mods[1].state, sizeof(f.r.mods[1].state), "missing");
	analyse(&f);
	CHECK_INT(f.p.n, ARRAY_SIZE(order));
	for (size_t i = 0; i < f.p.n && i < ARRAY_SIZE(order); i++)
		CHECK_INT(f.p.v[i].sev, order[i]);
	if (f.p.n != ARRAY_SIZE(order)) {
		problems_free(&f.p);
		return;
	}
	/* The host's own problems have no device; the card's is its first function. */
	CHECK_STR(f.p.v[2].code, "acs-override");
	CHECK_STR(f.p.v[2].device, "");
	CHECK_STR(f.p.v[3].code, "reboot-pending");
	CHECK_STR(f.p.v[3].device, "0000:02:00.0");
	CHECK_STR(f.p.v[3].what, "reboot pending: the next boot hands 0000:02:00.0 (now nouveau), "
		  "0000:02:00.1 (now snd_hda_intel) to vfio-pci");
	CHECK_STR(f.p.v[4].code, "rule-matches-nothing");
	CHECK_STR(f.p.v[5].code, "rule-matches-nothing");
	/* Equal problems keep the order they were found in. */
	CHECK(strstr(f.p.v[4].what, "1111:0001") != NULL);
	CHECK(find(&f, "no IOMMU is active") >= 0 && find(&f, "no IOMMU is active") < 2);
	CHECK_INT(status(&f), REPORT_BLOCKING);
	problems_free(&f.p);
}

TEST(an_unreadable_file_is_not_a_rule_to_correct)
{
	struct facts f;
	char msgs[2][320] = { "cannot read /proc/cmdline: Permission denied",
			      "/etc/vfio-early.conf:3: unknown rule kind 'idz'" };

	facts_init(&f);
	f.r.msgs = msgs;
	f.r.nmsgs = 2;
	analyse(&f);
	CHECK_PROBLEM(&f, "cannot read /proc/cmdline", SEV_WARNING, "check that the file exists "
		      "and that you can read it (run as root)");
	CHECK_STR(f.p.v[find(&f, "cannot read")].code, "file-unreadable");
	CHECK_PROBLEM(&f, "/etc/vfio-early.conf:3: unknown", SEV_WARNING,
		      "correct or remove that rule");
	CHECK_STR(f.p.v[find(&f, "/etc/vfio-early.conf:3")].code, "rule-invalid");
	problems_free(&f.p);
}
