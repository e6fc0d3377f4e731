// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: the text a person reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "report-sriov.h"
#include "report-text.h"
#include "report-vm.h"

static const char *dev_name(const struct rdev *x, char *buf, size_t size)
{
	const char *cls = pci_class_name(x->d->class);

	snprintf(buf, size, "%s [%04x]: %s%s%s [%04x:%04x]", cls ? cls : "Class",
		 x->d->class >> 8, x->names.vendor_name[0] ? x->names.vendor_name : "",
		 x->names.vendor_name[0] ? " " : "",
		 x->names.device_name[0] ? x->names.device_name : "Device", x->d->vendor,
		 x->d->device);
	return buf;
}

static void format_size(uint64_t size, char *buf, size_t n)
{
	if (size >= (1ULL << 30) && size % (1ULL << 30) == 0)
		snprintf(buf, n, "%llu GiB", (unsigned long long)(size >> 30));
	else if (size >= (1ULL << 20))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(size >> 20));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(size >> 10));
}

static uint64_t largest_bar(const struct rdev *x)
{
	uint64_t max = 0;

	for (unsigned b = 0; b < x->nbars; b++)
		if (x->bars[b].size > max)
			max = x->bars[b].size;
	return max;
}

/* "vfio-pci", or the variant with its module and the driver= that chose it. */
static const char *to_driver(const struct plan_item *it, char *buf, size_t size)
{
	if (!it->target_module[0])
		return "vfio-pci";
	snprintf(buf, size, "%s, a vfio-pci variant (module %s, driver=%s)", it->target,
		 it->target_module, it->via == VIA_RULE && (it->rule->opts & OPT_DRIVER) ?
		 it->rule->driver : "auto");
	return buf;
}

static const char *next_boot(const struct report *r, const struct rdev *x, char *buf,
			     size_t size)
{
	const struct rule *vfs = report_vf_by_vfs(r, x->d);
	char origin[80], drv[DRIVER_NAME_LEN + 160];

	if (vfs && x->plan && plan_refused(x->plan)) {
		rule_origin(vfs, origin, sizeof(origin));
		snprintf(buf, size, "refused: %s (rule %s vfs=%u of its PF)", x->plan->reason,
			 origin, vfs->from_vfs);
		return buf;
	}
	if (vfs) {
		rule_origin(vfs, origin, sizeof(origin));
		snprintf(buf, size, "vfio-pci (rule %s vfs=%u of its PF; the late pass, once the "
			 "PF's driver has made it)", origin, vfs->from_vfs ? vfs->from_vfs : vfs->vfs);
		return buf;
	}
	if (!x->plan) {
		snprintf(buf, size, "stays with the host (no rule selects it)");
		return buf;
	}
	rule_origin(x->plan->rule, origin, sizeof(origin));
	if (plan_refused(x->plan))
		snprintf(buf, size, "refused: %s (rule %s)", x->plan->reason, origin);
	else if (x->d->is_vf)
		snprintf(buf, size, "not at boot (rule %s): a VF exists only once its PF's "
			 "driver creates it, after vfio-early's early pass", origin);
	else
		snprintf(buf, size, "%s (rule %s%s%s)", to_driver(x->plan, drv, sizeof(drv)),
			 origin, x->plan->via == VIA_SLOT ? ", another function of the card" :
			 x->plan->via == VIA_GROUP ? ", whole-group" : " ",
			 x->plan->via == VIA_RULE ? x->plan->rule->token : "");
	return buf;
}

static void print_member(FILE *f, const struct report *r, const struct pci_dev *m)
{
	const char *cls = pci_class_name(m->class);

	fprintf(f, "        %s [%04x:%04x] %s, %s%s%s\n", m->name, m->vendor, m->device,
		cls ? cls : "device", m->driver[0] ? m->driver : "no driver",
		protect_find(&r->prot, &m->addr) ? ", holds the root filesystem" :
		report_will_bind(m, &r->pl) ? ", to " : "",
		report_will_bind(m, &r->pl) ? plan_target(&r->pl.v[m->plan]) : "");
}

/* One hostpci entry: qm set, the resource mapping, the hostdev lines. */
static void print_vm_entry(FILE *f, const struct report *r, const struct vm_entry *e,
			   unsigned n)
{
	char path[PCI_ADDR_STRLEN], id[48], buf[400];

	report_vm_path(e, path, sizeof(path));
	report_vm_mapping_id(e, id, sizeof(id));
	/* x-vga is for a VGA controller (0300); a 3D controller (0302) has no outputs. */
	fprintf(f, "    Proxmox: qm set VMID -hostpci%u %s,pcie=1%s\n", n, path,
		e->fn[0]->class >> 8 == 0x0300 ? "   (add ,x-vga=1 for the VM's primary display)" : "");
	report_vm_pvesh(r, e, buf, sizeof(buf));
	fprintf(f, "    Proxmox mapping: %s\n", buf);
	fprintf(f, "      then in the VM's config: hostpci%u: mapping=%s,pcie=1\n", n, id);
	for (size_t i = 0; i < e->nfn; i++)
		if (report_vm_variant(r, e->fn[i]))
			fprintf(f, "      %s goes to %s, a vfio-pci variant: add driver=keep to the "
				"hostpci entry where qemu-server has it, or Proxmox binds the "
				"function to vfio-pci itself when the VM starts\n", e->fn[i]->name,
				report_vm_variant(r, e->fn[i]));
	fprintf(f, "    libvirt:\n");
	for (size_t i = 0; i < e->nfn; i++) {
		report_vm_hostdev(r, e->fn[i], buf, sizeof(buf));
		fprintf(f, "      %s\n", buf);
	}
}

static void print_vfio_check(FILE *f, const struct report *r, int group)
{
	const struct rgroup *g = report_find_group(r, group);

	if (g && g->vfio_why[0])
		fprintf(f, "    /dev/vfio/%d: %s\n", group, g->vfio_why);
}

/* Is some group of the card pending: on a host driver until the next boot? */
static bool card_pending(const struct report *r, const struct vm_card *vc)
{
	for (size_t i = 0; i < vc->ne; i++) {
		const struct rgroup *g = report_find_group(r, vc->e[i].group);

		if (g && g->verdict == GROUP_PENDING)
			return true;
	}
	return false;
}

/*
 * The cards whose groups are all ready, or (@pending) those that wait for
 * the next boot; @n numbers the hostpci lines across both.  A heading
 * names one IOMMU group and the entries in it; a card over several groups
 * has one heading per group.
 */
static unsigned print_vm_cards(FILE *f, const struct report *r, bool pending, unsigned *n)
{
	unsigned shown = 0;

	for (size_t c = 0; c < r->ncards; c++) {
		const struct vm_card *vc = &r->cards[c];

		if (card_pending(r, vc) != pending)
			continue;
		shown++;
		for (size_t i = 0; i < vc->ne; i++) {
			char heading[200] = "", path[PCI_ADDR_STRLEN];
			size_t j;

			for (j = i; j < vc->ne && vc->e[j].group == vc->e[i].group; j++) {
				report_vm_path(&vc->e[j], path, sizeof(path));
				report_append(heading, sizeof(heading), " ", path, strlen(path));
			}
			fprintf(f, "  %s (IOMMU group %d)\n", heading, vc->e[i].group);
			print_vfio_check(f, r, vc->e[i].group);
			for (; i < j; i++)
				print_vm_entry(f, r, &vc->e[i], (*n)++);
			i--;
		}
	}
	return shown;
}

/* The cards ready for a VM now, then those pending (ready after the next boot). */
static void print_vm_lines(FILE *f, const struct report *r)
{
	unsigned n = 0, pending = 0, ready;

	for (size_t c = 0; c < r->ncards; c++)
		pending += card_pending(r, &r->cards[c]);
	fprintf(f, "\nReady for a VM\n");
	ready = print_vm_cards(f, r, false, &n);
	if (!ready && pending)
		fprintf(f, "  none yet: the cards below are pending (after the next boot)\n");
	else if (!ready && r->pl.n == 0)
		fprintf(f, "  none: no rule selects a card (each card above says how to select it)\n");
	else if (!ready)
		fprintf(f, "  none: no selected card can go to a VM (see Problems and fixes)\n");
	if (pending) {
		fprintf(f, "\nFor a VM after the next boot (pending)\n");
		print_vm_cards(f, r, true, &n);
	}
}

/* Is an IOMMU on, and how the command line sets it. */
static void print_iommu(FILE *f, const struct report *r)
{
	fprintf(f, "IOMMU\n");
	if (r->iommu_active)
		fprintf(f, "  active: %s (%s)\n", r->iommu_kind[0] ? r->iommu_kind : "IOMMU",
			r->iommu_units[0] ? r->iommu_units : "no units listed");
	else
		fprintf(f, "  not active: no IOMMU groups in /sys/kernel/iommu_groups\n");
	fprintf(f, "  kernel command line: %s\n",
		r->iommu_flags[0] ? r->iommu_flags : "no IOMMU options (defaults)");
	fprintf(f, "  passthrough mode (iommu=pt): %s\n", r->passthrough ? "yes" : "no");
	fprintf(f, "  interrupt remapping: %s\n", r->intremap);
	fprintf(f, "  ACS override: %s\n\n", r->acs_override ?
		"ON (pcie_acs_override: groups are not isolated by hardware)" : "off");
}

/*
 * For a display card nothing selects: the rules that select exactly it
 * (each one alone, as the whole config), or why none can.
 */
static void print_select(FILE *f, const struct report *r, const struct rdev *x)
{
	if (x->sel_refused[0]) {
		fprintf(f, "      no rule to paste: %s\n", x->sel_refused);
		return;
	}
	if (!x->sel || !x->sel->n)
		return;
	fprintf(f, "      to select it:");
	for (size_t i = 0; i < x->sel->n; i++)
		fprintf(f, "%s \"%s\"", i ? " or" : "", x->sel->rule[i]);
	fprintf(f, " in %s\n", r->config_file);
}

/* This boot's result for a device, in words (the state file keeps the short name). */
static const char *result_words(const struct state_dev *now, char *buf, size_t size)
{
	/* Records before the driver was kept say none: vfio-pci was the only one. */
	const char *drv = strcmp(now->driver, "none") == 0 ? "vfio-pci" : now->driver;

	if (strcmp(now->result, "bound") == 0)
		snprintf(buf, size, "bound to %s", drv);
	else if (strcmp(now->result, "already") == 0)
		snprintf(buf, size, "already on %s", drv);
	else if (strcmp(now->result, "override-set") == 0)
		snprintf(buf, size, "driver_override written, not probed (test root)");
	else
		snprintf(buf, size, "%s", now->result);
	return buf;
}

/* One device of "GPUs and their functions": what it is, its group, what happens next. */
static void print_device(FILE *f, const struct report *r, size_t k)
{
	const struct rdev *x = &r->dev[k];
	const struct rgroup *g = report_find_group(r, x->d->iommu_group);
	char name[400], size[32], nb[PLAN_REASON_LEN + 160], rw[DRIVER_NAME_LEN + 64];

	fprintf(f, "  %s %s\n", x->d->name, dev_name(x, name, sizeof(name)));
	fprintf(f, "      subsystem %04x:%04x, driver %s, override %s, boot VGA %s, NUMA "
		"node %d\n", x->d->subvendor, x->d->subdevice,
		x->d->driver[0] ? x->d->driver : "none",
		x->d->override[0] ? x->d->override : "none", x->d->boot_vga ? "yes" : "no",
		x->numa);
	if (x->path[0])
		fprintf(f, "      stable path: %s\n", x->path);
	if (x->nbars) {
		fprintf(f, "      memory:");
		for (unsigned b = 0; b < x->nbars; b++) {
			format_size(x->bars[b].size, size, sizeof(size));
			fprintf(f, "%s BAR%u %s%s", b ? "," : "", x->bars[b].index, size,
				x->bars[b].prefetch ? " prefetchable" : "");
		}
		if (pci_base_class(x->d) == 0x03 && largest_bar(x) > (256ULL << 20))
			fprintf(f, " (large BAR: Resizable BAR is on; the VM needs a 64-bit "
				"MMIO window that fits it)");
		fprintf(f, "\n");
	}
	if (x->framebuffer[0])
		fprintf(f, "      boot framebuffer on its memory: %s\n", x->framebuffer);
	if (g && (k == 0 || r->dev[k - 1].d->iommu_group != g->id)) {
		fprintf(f, "      IOMMU group %d (%s):\n", g->id, report_verdict_names[g->verdict]);
		for (size_t j = 0; j < g->n; j++)
			print_member(f, r, g->mem[j]);
	} else if (g) {
		fprintf(f, "      IOMMU group %d, as above\n", g->id);
	} else {
		fprintf(f, "      IOMMU group: none\n");
	}
	fprintf(f, "      next boot: %s\n", next_boot(r, x, nb, sizeof(nb)));
	if (x->now)
		fprintf(f, "      this boot: %s%s%s\n", result_words(x->now, rw, sizeof(rw)),
			x->now->reason[0] ? ": " : "", x->now->reason);
	print_select(f, r, x);
}

/* The display devices and their slot siblings. */
static void print_devices(FILE *f, const struct report *r)
{
	fprintf(f, "GPUs and their functions\n");
	if (r->ndev == 0)
		fprintf(f, "  none found\n");
	for (size_t k = 0; k < r->ndev; k++)
		print_device(f, r, k);
}

/* The config file and every rule with its matches. */
static void print_config(FILE *f, const struct report *r)
{
	fprintf(f, "\nConfiguration\n");
	fprintf(f, "  %s: %s\n", r->config_file,
		r->config_present ? "present" : "absent");
	fprintf(f, "  rules: %zu (command line, modprobe.d, config), %u problem%s\n", r->rs.n, r->rs.errors,
		r->rs.errors == 1 ? "" : "s");
	for (size_t i = 0; i < r->rs.n; i++) {
		char origin[80];

		rule_origin(&r->rs.v[i], origin, sizeof(origin));
		fprintf(f, "    %s: %s%s, %u device%s\n", origin, r->rs.v[i].exclude ? "exclude " : "",
			r->rs.v[i].token, r->rs.v[i].matches, r->rs.v[i].matches == 1 ? "" : "s");
	}
	if (r->rs.off)
		fprintf(f, "  vfio_early=off is on the kernel command line\n");
}

/* What the host needs to boot, and whether the list of it was verified. */
static void print_protected(FILE *f, const struct report *r)
{
	fprintf(f, "\nProtected (what the host needs to boot, never handed over; what carries its "
		"management network, handed over only to a rule that names it with allow-network)\n");
	if (r->prot.verified)
		fprintf(f, "  %s: %zu device%s\n", r->prot.live_fs ? "resolved from the mounted system" :
			"the protected list, verified", r->prot.n, r->prot.n == 1 ? "" : "s");
	else
		fprintf(f, "  unverified: %s\n", r->prot.unverified);
	for (size_t i = 0; i < r->prot.n; i++) {
		const struct protected_dev *d = &r->prot.v[i];
		char a[PCI_ADDR_STRLEN];

		format_pci_addr(&d->addr, a);
		fprintf(f, "  %s [%04x:%04x] class %06x: %s\n", a, d->vendor, d->device, d->class,
			d->why);
	}
	for (size_t i = 0; i < r->prot.nmissing; i++)
		fprintf(f, "  not traced to a controller: %s\n", r->prot.missing[i]);
}

/* The runs by hand since the boot, when there were any: what each changed or failed to. */
static void print_manual_runs(FILE *f, const struct report *r)
{
	static const struct {
		const char *key, *words;
	} how[] = {
		{ "yes", "--yes" },
		{ "terminal", "confirmed at the terminal" },
		{ "none-needed", "nothing to confirm" },
	};

	if (!r->manual.present)
		return;
	fprintf(f, "\nManual runs since boot (/%s)\n", MANUAL_FILE);
	if (r->manual.dropped)
		fprintf(f, "  %u earlier run%s dropped from the record\n", r->manual.dropped,
			r->manual.dropped == 1 ? "" : "s");
	for (size_t i = 0; i < r->manual.nrun; i++) {
		const struct manual_run *run = &r->manual.run[i];
		const char *confirmed = run->confirmed;

		for (size_t k = 0; k < ARRAY_SIZE(how); k++)
			if (strcmp(run->confirmed, how[k].key) == 0)
				confirmed = how[k].words;
		fprintf(f, "  %s (%s): %u changed, %u failed, %u refused, exit %d\n", run->time,
			confirmed, run->changed, run->failed, run->refused, run->exit_status);
		for (size_t k = 0; k < run->ndev; k++) {
			const struct manual_dev *d = &run->dev[k];
			char what[PLAN_REASON_LEN + 2 * DRIVER_NAME_LEN + 64];

			if (strcmp(d->result, "bound") != 0 && strcmp(d->result, "override-set") != 0 &&
			    strcmp(d->result, "failed") != 0)
				continue;
			manual_describe(d->result, d->was, d->now, d->reason, what, sizeof(what));
			fprintf(f, "    %s: %s\n", d->addr, what);
		}
		if (run->more)
			fprintf(f, "    (%u more device%s not recorded)\n", run->more,
				plural(run->more));
	}
}

/* What the state file says this boot did. */
static void print_this_boot(FILE *f, const struct report *r)
{
	fprintf(f, "\nThis boot\n");
	if (r->st.present)
		fprintf(f, "  vfio-early ran (%s mode, kernel %s): %u bound, %u failed, %u refused, "
			"exit %d\n", r->st.mode, r->st.kernel, r->st.bound, r->st.failed,
			r->st.refused, r->st.exit_status);
	else
		fprintf(f, "  vfio-early did not run (no /%s)\n", STATE_FILE);
	if (r->st.proof_seen)
		fprintf(f, "  protected list: %s%s%s\n", r->st.proof_live ? "resolved from the "
			"mounted system" : r->st.proof_verified ? "verified against this machine" :
			"UNVERIFIED (", r->st.proof_verified ? "" : r->st.proof_reason,
			r->st.proof_verified ? "" : ")");
	if (r->late.present)
		fprintf(f, "  late pass: %u bound, %u failed, %u refused\n", r->late.bound,
			r->late.failed, r->late.refused);
	print_manual_runs(f, r);
}

/* Modules, the initramfs, and the old passthrough recipe. */
static void print_boot_chain(FILE *f, const struct report *r)
{
	fprintf(f, "\nBoot chain\n");
	fprintf(f, "  modules for %s:", r->kver);
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		fprintf(f, "%s %s (%s)", i ? "," : "", r->mods[i].name, r->mods[i].state);
	fprintf(f, "\n");
	if (!r->initrd.exists)
		fprintf(f, "  initramfs: none found for %s in /boot\n", r->kver);
	else if (!r->initrd.checked)
		fprintf(f, "  initramfs %s: not inspected (%s)\n", r->initrd.path,
			r->initrd.tool ? "listing it failed" : "no lsinitramfs or lsinitrd");
	else
		fprintf(f, "  initramfs %s: vfio-early %s, config %s, vfio-pci %s, protected list "
			"%s\n", r->initrd.path, r->initrd.has_binary ? "yes" : "NO",
			r->initrd.has_config ? "yes" : "no", r->initrd.has_module ? "yes" :
			report_module_built_in(r, "vfio-pci") ? "built in" : "NO",
			r->initrd.has_protected ? "yes" : "no");

	fprintf(f, "  passthrough recipe (modprobe.d, kernel command line): ");
	if (!r->nlegacy)
		fprintf(f, "none\n");
	else
		fprintf(f, "%zu line%s, %zu vfio-pci id%s\n", r->nlegacy, r->nlegacy == 1 ? "" : "s",
			r->legacy_ids, r->legacy_ids == 1 ? "" : "s");
	for (size_t i = 0; i < r->nlegacy; i++)
		fprintf(f, "    %s: %s [%s]\n", r->legacy[i].where, r->legacy[i].text,
			r->legacy[i].v == LEGACY_DROP ? "unnecessary with vfio-early" :
			r->legacy[i].v == LEGACY_EDIT ? "to edit" : "keep");
}

/* Each verdict and severity, defined once; the man page's VERDICTS says the same. */
static void print_legend(FILE *f)
{
	fprintf(f, "\nVerdicts (VERDICTS in vfio-early(8))\n"
		"  IOMMU groups:\n"
		"    ready      selected; every member is on vfio-pci now: a VM can open the group\n"
		"    pending    selected; every member goes to vfio-pci at the next boot (reboot)\n"
		"    partial    selected, but other members stay with the host: no VM can use it\n"
		"    candidate  not selected; only one card's functions: selecting it would do\n"
		"    shared     not selected; it also holds other devices of the host\n"
		"    blocked    holds a device the host needs to boot: never handed over\n"
		"  problems:\n"
		"    blocking   stops passthrough (exit 65)\n"
		"    warning    wants a change; passthrough can work (exit 64)\n"
		"    pending    right, and applied at the next boot: reboot (exit 0)\n"
		"    note       information (exit 0)\n");
}

/* Problems in their order; problems side by side with the same fix share one fix line. */
static void print_problems(FILE *f, const struct problems *p)
{
	fprintf(f, "\nProblems and fixes\n");
	if (p->n == 0)
		fprintf(f, "  none\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct problem *x = &p->v[i];

		fprintf(f, "  [%s] %s\n", report_severity_names[x->sev], x->what);
		if (i + 1 < p->n && strcmp(p->v[i + 1].fix, x->fix) == 0)
			continue;
		if (x->fix[0])
			fprintf(f, "      fix: %s\n", x->fix);
	}
}

/* The last line: the exit status in words (alone for --quiet). */
void report_print_verdict(FILE *f, const struct report *r, const struct problems *p)
{
	unsigned warn, block;
	int status = report_status(p, &warn, &block);
	bool pending = report_reboot_pending(p);

	fprintf(f, "Verdict: %s (%u blocking, %u warning%s%s; exit %d)\n",
		report_verdict(r, p), block, warn, warn == 1 ? "" : "s",
		pending && status != REPORT_OK ? ", a reboot pending" : "", status);
}

static void print_all(FILE *f, const struct report *r, const struct problems *p)
{
	fprintf(f, "vfio-early %s report (kernel %s)\n\n", VERSION, r->kver);
	print_iommu(f, r);
	print_devices(f, r);
	report_print_sriov(f, r);
	print_config(f, r);
	print_protected(f, r);
	print_this_boot(f, r);
	print_boot_chain(f, r);

	print_vm_lines(f, r);
	print_problems(f, p);
	if (r->c->verbose)
		print_legend(f);
	else
		fprintf(f, "\nWhat ready, pending, partial, candidate, shared and blocked mean: "
			"--report --verbose, or VERDICTS in vfio-early(8)\n");
	fputc('\n', f);
	report_print_verdict(f, r, p);
}

/*
 * Fold for a person at a terminal that says how wide it is: not into a
 * pipe or a file (scripts, grep), and not onto a serial console, whose
 * size is unknown (0 columns) and which a boot log records as it is.
 */
static bool folds(FILE *f)
{
	struct winsize ws;

	return isatty(fileno(f)) && ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0;
}

enum { WRAP_COLS = 80 };

/*
 * One line folded to WRAP_COLS at spaces, each continuation indented four
 * more than the line.  A shell command (@cmd) ends each folded line with
 * " \\"; a word too long for any line is cut with a backslash-newline and
 * continues at column 0, which the shell joins back into the word.
 */
static void put_folded(FILE *out, const char *s, size_t len, bool cmd)
{
	size_t indent = strspn(s, " "), pad = 0;

	while (pad + len > WRAP_COLS) {
		size_t room = WRAP_COLS - pad - (cmd ? 2 : 0), low = pad ? 0 : indent, cut;

		for (cut = room; cut > low && s[cut] != ' '; cut--)
			;
		if (cut > low) {
			fprintf(out, "%*s%.*s%s\n", (int)pad, "", (int)cut, s, cmd ? " \\" : "");
			pad = indent + 4;
		} else if (cmd) {
			cut = room + 1;
			fprintf(out, "%*s%.*s\\\n", (int)pad, "", (int)cut, s);
			pad = 0;
		} else {
			/* A word longer than a line: whole, on a line of its own. */
			cut = low + strcspn(s + low, " ");
			if (cut >= len)
				break;
			fprintf(out, "%*s%.*s\n", (int)pad, "", (int)cut, s);
			pad = indent + 4;
		}
		s += cut;
		len -= cut;
		while (len && *s == ' ' && pad) {
			s++;
			len--;
		}
	}
	fprintf(out, "%*s%.*s\n", (int)pad, "", (int)len, s);
}

/*
 * On a terminal the text is folded for 80 columns.  Piped or redirected it
 * is not: a script, grep or a pager gets each fact on one line, and a line
 * to paste stays whole.
 */
void report_print_text(FILE *f, const struct report *r, const struct problems *p)
{
	char *buf = NULL, *line, *end;
	size_t size = 0;
	FILE *m;

	if (!folds(f) || !(m = open_memstream(&buf, &size))) {
		print_all(f, r, p);
		return;
	}
	print_all(m, r, p);
	fclose(m);
	for (line = buf; buf && line < buf + size; line = end + 1) {
		end = memchr(line, '\n', (size_t)(buf + size - line));
		if (!end)
			end = buf + size;
		put_folded(f, line, (size_t)(end - line), strstr(line, "pvesh create") &&
			   strstr(line, "pvesh create") < end);
	}
	free(buf);
}
