// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Boot mode (the early pass the shim runs, --dry-run, the late pass) and
 * --list-protected, which records at image build what the early pass
 * verifies.  See vfio-early(8).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bind.h"
#include "cmdline.h"
#include "config.h"
#include "inuse.h"
#include "log.h"
#include "manual.h"
#include "modes.h"
#include "modload.h"
#include "mounts.h"
#include "pci.h"
#include "plan.h"
#include "protect.h"
#include "protlist.h"
#include "rules.h"
#include "sources.h"
#include "state.h"
#include "util.h"
#include "vfs.h"

/* Below the shim's own 20 s, so this program says why it stopped. */
#define WATCHDOG_SECONDS 15

static void watchdog(int sig)
{
	static const char msg[] =
		"<3>vfio-early: watchdog: still running after 15 seconds, giving up\n";
	ssize_t ignored;

	(void)sig;
	ignored = write(log_fd(), msg, sizeof(msg) - 1);
	(void)ignored;
	_exit(EXIT_WATCHDOG);
}

/* What each device line says about one item of the plan. */
static void describe_outcome(const struct plan_item *it, bool dry_run, char *buf, size_t size)
{
	const char *was = it->was[0] ? it->was : "no driver", *to = plan_target(it);

	switch (it->result) {
	case RES_PLANNED:
		if (strcmp(it->was, to) == 0)
			snprintf(buf, size, "already on %s", to);
		else
			snprintf(buf, size, "%s %s (now %s)",
				 dry_run ? "would bind to" : "to bind to", to, was);
		break;
	case RES_BOUND:
		snprintf(buf, size, "bound to %s (was %s)", to, was);
		break;
	case RES_ALREADY:
		snprintf(buf, size, "already on %s", to);
		break;
	case RES_OVERRIDE_SET:
		snprintf(buf, size, "driver_override set to %s (was %s; test root, "
			 "not probed)", to, was);
		break;
	case RES_FAILED:
		snprintf(buf, size, "FAILED: %s", it->reason);
		break;
	case RES_REFUSED:
		snprintf(buf, size, "refused: %s", it->reason);
		break;
	}
}

static void report_plan(const struct plan *pl, bool dry_run, bool to_stdout)
{
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];
		char desc[96], outcome[PLAN_REASON_LEN + 64], origin[80];
		int prio = plan_refused(it) ? LOG_WARNING :
			   it->result == RES_FAILED ? LOG_ERR : LOG_INFO;

		plan_describe(it->dev, desc, sizeof(desc));
		describe_outcome(it, dry_run, outcome, sizeof(outcome));
		rule_origin(it->rule, origin, sizeof(origin));
		if (it->via == VIA_RULE)
			snprintf(origin + strlen(origin), sizeof(origin) - strlen(origin), " %s",
				 it->rule->token);
		else
			snprintf(origin + strlen(origin), sizeof(origin) - strlen(origin),
				 ", %s of %s", it->via == VIA_SLOT ? "function" : "group member",
				 pl->v[it->origin].dev->name);
		if (to_stdout)
			printf("%s: %s (rule %s)\n", desc, outcome, origin);
		else
			log_msg(prio, "%s: %s (rule %s)", desc, outcome, origin);
	}
}

/*
 * --list-protected: what this host needs, as the early pass reads it.
 * 2 when the list is incomplete: something needed has no controller found.
 */
int list_protected_run(const struct mode_ctx *c, const struct list_protected_options *o)
{
	int rootfd = c->rootfd;
	bool live = c->live;
	struct ruleset rs = { 0 };
	struct protect prot = { 0 };
	struct protect_sources src;
	struct pci_tree t = { .devfd = -1 };
	_cleanup_free_ char *cmdline = NULL;
	size_t len;
	int ret = 0;

	cmdline = read_file_at(rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (cmdline)
		cmdline_parse(cmdline, len, &rs);
	if (pci_scan(&t, rootfd) < 0) {
		log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
		ruleset_free(&rs);
		return EXIT_USAGE;
	}
	protect_sources_from(&src, &rs);
	src.sysroot = "";
	src.zfs_vdevs = o->zfs_vdevs;
	src.nzfs = o->nzfs;
	src.zfs_given = o->zfs_given;
	protect_machine_id(rootfd, prot.machine);
	protect_resolve_host(&prot, &t, rootfd, live, &src);
	for (size_t i = 0; i < o->ndevices; i++)
		if (protect_resolve_device(&prot, &t, rootfd, live, o->devices[i]) < 0)
			ret = EXIT_USAGE;
	protect_add_groups(&prot, &t);
	protect_complete(&prot, &t);
	protect_find_carriers(&prot, &t, rootfd);
	protect_write_list(stdout, &prot);
	for (size_t i = 0; i < prot.nmissing; i++)
		log_warn("incomplete: %s", prot.missing[i]);
	if (prot.nmissing || prot.n == 0)
		ret |= EXIT_RULES;
	/*
	 * The image build keeps what it gets: main() checks standard output at
	 * exit, so a cut list ends in status 1 and does not look whole.
	 */
	pci_tree_free(&t);
	protect_free(&prot);
	ruleset_free(&rs);
	return ret;
}

/*
 * The late pass's rules: the devices the early pass refused for want of
 * proof alone, one address rule each, from its state file.
 */
static int late_rules(int rootfd, struct ruleset *rs)
{
	_cleanup_free_ char *conf = NULL;
	struct boot_state st = { 0 };
	size_t used = 0, cap = 0;
	unsigned n = 0;

	if (state_read(rootfd, STATE_FILE, &st) < 0) {
		log_info("no /" STATE_FILE ", nothing to decide");
		return 0;
	}
	for (size_t i = 0; i < st.ndev; i++) {
		struct pci_addr pa;

		if (strcmp(st.dev[i].result, "refused") != 0 ||
		    strcmp(st.dev[i].refusal, "unverified") != 0 ||
		    parse_sysfs_name(st.dev[i].addr, &pa) < 0)
			continue;
		if (used + 64 > cap) {
			char *c = realloc(conf, cap += 4096);

			if (!c) {
				state_read_free(&st);
				return -ENOMEM;
			}
			conf = c;
		}
		used += (size_t)snprintf(conf + used, cap - used, "address %s functions=one\n",
					 st.dev[i].addr);
		n++;
	}
	state_read_free(&st);
	if (n == 0) {
		log_info("the early pass left no device undecided");
		return 0;
	}
	config_parse("/" STATE_FILE, conf, used, rs);
	return (int)n;
}

/* The late pass takes from the command line what it says of the host, no rules. */
static void late_cmdline(int rootfd, struct ruleset *rs)
{
	_cleanup_free_ char *buf = NULL;
	struct ruleset cmd = { 0 };
	size_t len;

	buf = read_file_at(rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (!buf)
		return;
	cmdline_parse(buf, len, &cmd);
	rs->off = cmd.off;
	rs->dry_run = cmd.dry_run;
	rs->allow_boot_vga = cmd.allow_boot_vga;
	rs->root_spec = cmd.root_spec;
	rs->resume_spec = cmd.resume_spec;
	rs->net_root = cmd.net_root;
	rs->net_dev = cmd.net_dev;
	cmd.root_spec = cmd.resume_spec = cmd.net_root = cmd.net_dev = NULL;
	ruleset_free(&cmd);
}

/*
 * take SELECTION: the words are the only rule, checked by every safety rule
 * of the boot; the command line's host facts (root=, ip=, allow-boot-vga)
 * still count, its kill switch and dry-run flag do not: a person asked.
 */
static int take_rules(const struct boot_options *o, struct ruleset *rs)
{
	rs->off = false;
	rs->dry_run = false;
	return config_parse_words("take", o->take, o->ntake, rs);
}

/* One boot-mode run: what its steps share. */
struct run {
	const struct mode_ctx *c;
	const struct boot_options *o;
	bool manual;			/* by hand on a booted host */
	const char *confirmed;		/* how a manual run was confirmed; NULL: it was not */
	struct ruleset rs;
	struct protect prot;
	struct pci_tree t;
	struct plan pl;
	struct run_summary sum;
	struct vfs_counts vfs;		/* what the vfs= rules met */
	char kver[256];
	char sysroot[256];
};

/*
 * A run by hand on a booted host: boot mode, neither --dry-run nor the
 * late pass, with the root filesystem mounted from a device or the network
 * (in the initramfs "/" is rootfs or a tmpfs).
 */
static bool is_manual(int rootfd, const struct boot_options *o)
{
	if (o->take)
		return !o->dry_run;
	return !o->dry_run && !o->late_root && protect_root_mounted(rootfd, "");
}

/* Whether applying the plan would write anything: an override, a driver. */
static bool plan_changes(const struct plan *pl)
{
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];

		if (!plan_refused(it) && (strcmp(it->dev->driver, VFIO_PCI) != 0 ||
					  strcmp(it->dev->override, VFIO_PCI) != 0))
			return true;
	}
	return false;
}

/* "apply? [y/N]" at the terminal: true on y or yes. */
static bool ask(void)
{
	char answer[16] = "";

	fflush(stdout);
	/* A person takes their time: the watchdog is for the boot. */
	alarm(0);
	fputs("apply? [y/N] ", stderr);
	if (!fgets(answer, sizeof(answer), stdin)) {
		answer[0] = '\0';
		fputc('\n', stderr);
	}
	alarm(WATCHDOG_SECONDS);
	answer[strcspn(answer, "\r\n")] = '\0';
	return strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0;
}

/*
 * A manual run changes drivers on a running host: it acts on --yes, or
 * after showing the plan and asking at a terminal, or when the plan
 * changes nothing.  Returns how it was confirmed, NULL when it was not.
 */
static const char *manual_confirm(const struct run *r)
{
	struct plan_counts counts;
	bool terminal = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);

	if (r->o->yes)
		return "yes";
	/* VFs are made before the plan that binds them: no question covers them. */
	if (r->vfs.would_make) {
		fprintf(stderr, "vfio-early: this host is booted (its root filesystem is mounted): "
			"the VFs of %u SR-IOV PF%s (vfs=) are made only with --yes; nothing was "
			"changed\n", r->vfs.would_make, plural(r->vfs.would_make));
		return NULL;
	}
	if (!plan_changes(&r->pl))
		return "none-needed";
	/* --quiet never hides what a person is asked to confirm. */
	if (terminal || !r->c->quiet)
		report_plan(&r->pl, true, true);
	plan_count(&r->pl, &counts);
	printf("plan: %u to bind, %u refused, %u rule error%s\n", counts.planned, r->pl.refused,
	       r->rs.errors, plural(r->rs.errors));
	if (!terminal) {
		fprintf(stderr, "vfio-early: this host is booted (its root filesystem is mounted): "
			"nothing was changed; rerun with --yes to apply the plan above\n");
		return NULL;
	}
	if (ask())
		return "terminal";
	fprintf(stderr, "vfio-early: nothing was changed\n");
	return NULL;
}

/* What a manual run did, one line per device, on stdout. */
static void print_changes(const struct plan *pl)
{
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];
		char what[PLAN_REASON_LEN + 2 * DRIVER_NAME_LEN + 64];

		manual_describe(plan_result_name(it->result), it->was,
				it->result == RES_OVERRIDE_SET ? plan_target(it) : it->dev->driver, it->reason,
				what, sizeof(what));
		printf("%s: %s\n", it->dev->name, what);
	}
}

/*
 * The config's vfs= rules: the early pass, before udev, finds the PFs
 * without their driver; the late pass makes their VFs.  Returns how many.
 * The config was read and its errors logged by the early pass: not again.
 */
static int late_vfs(struct run *r)
{
	/* The early pass logged this config's errors; the late pass counts none. */
	struct ruleset all = { .quiet_errors = true };
	int n = 0;

	rules_load(r->c->root, r->c->rootfd, r->c->config, false, &all);
	for (size_t i = 0; i < all.n; i++) {
		if (!(all.v[i].opts & OPT_VFS))
			continue;
		all.v[i].file = ruleset_intern(&r->rs, all.v[i].file);
		if (all.v[i].file && ruleset_add(&r->rs, &all.v[i]) == 0)
			n++;
	}
	ruleset_free(&all);
	return n;
}

/* The late pass: where the new root is, and what the early pass left.  > 0: go on. */
static int late_setup(struct run *r, int *ret)
{
	const char *nr = r->o->late_root;
	int n;

	while (*nr == '/')
		nr++;
	if (strstr(nr, "..") || xsnprintf(r->sysroot, sizeof(r->sysroot), "%s", nr) < 0) {
		log_err("--late %s: not a plain directory path", r->o->late_root);
		*ret |= EXIT_USAGE;
		return 0;
	}
	if (!protect_root_mounted(r->c->rootfd, r->sysroot)) {
		log_warn("%s is not mounted: nothing decided", r->o->late_root);
		return 0;
	}
	n = late_rules(r->c->rootfd, &r->rs);
	return n < 0 ? n : n + late_vfs(r);
}

/*
 * vfs= rules: their PFs' VFs are made now (when a driver holds the PF) and
 * join the rules by address; the tree is walked again to see them.
 */
static int vfs_step(struct run *r, bool dry)
{
	struct ruleset vr = { 0 };
	int ret = 0;

	if (vfs_rules(&r->t, &r->rs, dry, &vr, &r->vfs) > 0 && vr.n) {
		for (size_t i = 0; i < vr.n; i++)
			ruleset_add(&r->rs, &vr.v[i]);
		pci_tree_free(&r->t);
		r->t = (struct pci_tree){ .devfd = -1 };
		if (pci_scan(&r->t, r->c->rootfd) < 0) {
			log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
			ret = -EIO;
		}
	}
	/* a PF that cannot have the VFs asked for: the rule is not carried out */
	r->rs.errors += r->vfs.unfit;
	ruleset_free(&vr);
	return ret;
}

/* Walk, protect, plan, and (once confirmed, for a manual run) bind: exit bits. */
static int plan_and_bind(struct run *r)
{
	const struct mode_ctx *c = r->c;
	bool dry = r->o->dry_run || r->rs.dry_run;
	struct protect_sources src = { 0 };
	struct plan_counts counts = { 0 };
	int ret = 0;

	if (pci_scan(&r->t, c->rootfd) < 0) {
		log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
		return EXIT_USAGE;
	}
	/* a manual run writes sriov_numvfs only once --yes confirmed it */
	if (vfs_step(r, dry || (r->manual && !r->o->yes)) < 0)
		return EXIT_USAGE;
	r->sum.iommu = r->t.iommu;
	protect_sources_from(&src, &r->rs);
	protect_for_run(&r->prot, &r->t, c->rootfd, c->live, &src,
			r->o->late_root ? r->sysroot : NULL);
	r->rs.errors += r->prot.errors;
	if (plan_build(&r->pl, &r->t, &r->rs, &r->prot) < 0) {
		log_err("out of memory while planning");
		return EXIT_USAGE;
	}
	if (r->pl.no_iommu)
		log_warn("no IOMMU is active, so nothing is bound: %s", plan_iommu_hint(c->rootfd));
	if (r->pl.refused)
		ret |= EXIT_REFUSED;
	/* As --report judges it: a group no VM can use blocks passthrough. */
	if (r->o->dry_run && r->pl.partial_groups)
		ret |= EXIT_REFUSED;
	if (r->manual && !dry) {
		r->confirmed = manual_confirm(r);
		if (!r->confirmed)
			return ret | EXIT_UNCONFIRMED;
		/* Confirmed: from now on the kernel log records what changes. */
		if (!r->o->yes || r->o->take)
			log_setup(c->rootfd, LOG_TO_KMSG | (isatty(STDERR_FILENO) ? LOG_TO_STDERR : 0),
				  c->verbose);
	}

	if (dry)
		bind_dry_run(&r->pl, c->root, c->rootfd);
	else
		bind_run(&r->pl, &r->t, c->root);
	if (!(r->o->dry_run && c->quiet))
		report_plan(&r->pl, dry, r->o->dry_run);
	plan_count(&r->pl, &counts);
	r->sum.bound = counts.bound;
	r->sum.override_set = counts.override_set;
	/* a PF whose VFs the kernel refused to make failed like a bind */
	r->sum.failed = counts.failed + r->vfs.refused;
	if (r->sum.failed)
		ret |= EXIT_FAILED;
	return ret;
}

/* The summary line; the boot's record, or a manual run's. */
static void finish(struct run *r, int ret)
{
	struct plan_counts counts;
	unsigned changed = 0;
	int w;

	r->sum.refused = r->pl.refused;
	r->sum.excluded = r->pl.excluded;
	r->sum.rule_errors = r->rs.errors;
	r->sum.exit_status = ret;
	if (r->o->dry_run || r->rs.dry_run) {
		char groups[64] = "";

		plan_count(&r->pl, &counts);
		if (r->pl.partial_groups)
			snprintf(groups, sizeof(groups), ", %u IOMMU group%s no VM can use",
				 r->pl.partial_groups, r->pl.partial_groups == 1 ? "" : "s");
		if (r->o->dry_run)
			printf("summary (dry run): %u to bind, %u refused, %u rule error%s%s (exit %d)\n",
			       counts.planned, r->pl.refused, r->rs.errors, plural(r->rs.errors),
			       groups, ret);
		else
			log_notice("summary (dry run): %u to bind, %u refused, %u rule error%s%s "
				   "(exit %d)", counts.planned, r->pl.refused, r->rs.errors,
				   plural(r->rs.errors), groups, ret);
	} else if (!r->manual || r->confirmed) {
		char set[48] = "";

		if (r->sum.override_set)
			snprintf(set, sizeof(set), ", %u override%s set (test root)",
				 r->sum.override_set, plural(r->sum.override_set));
		log_notice("summary: %u bound%s, %u failed, %u refused, %u rule error%s (exit %d)",
			   r->sum.bound, set, r->sum.failed, r->pl.refused, r->rs.errors,
			   plural(r->rs.errors), ret);
	}
	if (r->o->dry_run)
		return;
	if (!r->manual) {
		state_write(r->c->rootfd, &r->sum, &r->pl, &r->prot);
		return;
	}
	/* A manual run leaves the boot's record alone and keeps its own. */
	if (!r->confirmed || r->rs.dry_run)
		return;
	if (!r->c->quiet)
		print_changes(&r->pl);
	for (size_t k = 0; k < r->pl.n; k++)
		changed += r->pl.v[k].result == RES_BOUND || r->pl.v[k].result == RES_OVERRIDE_SET;
	w = manual_write(r->c->rootfd, r->confirmed, ret, &r->pl);
	printf("manual run: %u changed, %u failed, %u refused (exit %d); %s /%s\n", changed,
	       r->sum.failed, r->pl.refused, ret, w < 0 ? "could not write" : "recorded in",
	       MANUAL_FILE);
}

/* Boot mode and the late pass: what the shim runs; and a run by hand. */
int boot_run(const struct mode_ctx *c, const struct boot_options *o)
{
	struct run r = { .c = c, .o = o, .t = { .devfd = -1 },
			 .sum = { .mode = o->late_root ? "late" : "boot", .iommu = -1,
				  .file = o->late_root ? STATE_LATE_FILE : STATE_FILE } };
	int ret = 0;

	/*
	 * --dry-run is for a person at a terminal: the plan on stdout, no kmsg;
	 * so is a manual run until it is confirmed.
	 */
	r.manual = is_manual(c->rootfd, o);
	log_setup(c->rootfd, o->dry_run || (r.manual && (!o->yes || o->take)) ? LOG_TO_STDERR :
		  LOG_TO_KMSG | (isatty(STDERR_FILENO) ? LOG_TO_STDERR : 0), c->verbose);
	if (o->late_root)
		log_set_tag("late pass: ");
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_SECONDS);

	if (o->late_root || o->take)
		late_cmdline(c->rootfd, &r.rs);
	else
		rules_load(c->root, c->rootfd, c->config, true, &r.rs);
	if (o->take && take_rules(o, &r.rs) < 0) {
		ret = EXIT_USAGE;
		goto out;
	}
	modload_kernel_release(c->rootfd, r.kver, sizeof(r.kver));
	r.sum.kernel = r.kver;
	if (r.rs.off) {
		/* an unreadable kill switch is off too; its error still counts */
		if (r.rs.errors)
			ret |= EXIT_RULES;
		log_notice("disabled by vfio_early=off on the kernel command line");
		r.sum.mode = "off";
		r.sum.rule_errors = r.rs.errors;
		r.sum.exit_status = ret;
		if (!o->dry_run && !r.manual)
			state_write(c->rootfd, &r.sum, NULL, NULL);
		goto out;
	}
	if (o->late_root && late_setup(&r, &ret) <= 0)
		goto out;
	if (r.rs.dry_run)
		r.sum.mode = "dry-run";
	if (r.rs.n == 0) {
		log_info("no rules: nothing to do");
		if (r.manual)
			r.confirmed = o->yes ? "yes" : "none-needed";
	} else {
		ret |= plan_and_bind(&r);
	}
	if (r.rs.errors)
		ret |= EXIT_RULES;
	finish(&r, ret);
out:
	alarm(0);
	plan_free(&r.pl);
	pci_tree_free(&r.t);
	protect_free(&r.prot);
	ruleset_free(&r.rs);
	log_close();
	return ret;
}
