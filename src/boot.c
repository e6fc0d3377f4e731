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
#include <unistd.h>

#include "bind.h"
#include "log.h"
#include "modes.h"
#include "modload.h"
#include "mounts.h"
#include "pci.h"
#include "plan.h"
#include "protect.h"
#include "rules.h"
#include "sources.h"
#include "state.h"
#include "util.h"

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
	_exit(EXIT_USAGE | EXIT_FAILED);
}

/* What each device line says about one item of the plan. */
static void describe_outcome(const struct plan_item *it, bool dry_run, char *buf, size_t size)
{
	const char *was = it->was[0] ? it->was : "no driver";

	switch (it->result) {
	case RES_PLANNED:
		if (strcmp(it->was, "vfio-pci") == 0)
			snprintf(buf, size, "already on vfio-pci");
		else
			snprintf(buf, size, "%s vfio-pci (now %s)",
				 dry_run ? "would bind to" : "to bind to", was);
		break;
	case RES_BOUND:
		snprintf(buf, size, "bound to vfio-pci (was %s)", was);
		break;
	case RES_ALREADY:
		snprintf(buf, size, "already on vfio-pci");
		break;
	case RES_OVERRIDE_SET:
		snprintf(buf, size, "driver_override set to vfio-pci (was %s; test root, "
			 "not probed)", was);
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

/* Flush and close stdout: 0, or -errno when what was printed did not all get out. */
static int close_stdout(void)
{
	int r = 0;

	if (fflush(stdout) != 0)
		r = -errno;
	else if (ferror(stdout))
		r = -EIO;
	if (fclose(stdout) != 0 && r == 0)
		r = -errno;
	return r;
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
	int ret = 0, w;

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
	machine_id(rootfd, prot.machine);
	protect_resolve_host(&prot, &t, rootfd, live, &src);
	for (size_t i = 0; i < o->ndevices; i++)
		if (protect_resolve_device(&prot, &t, rootfd, live, o->devices[i]) < 0)
			ret = EXIT_USAGE;
	protect_add_groups(&prot, &t);
	protect_complete(&prot, &t);
	protect_write_list(stdout, &prot);
	for (size_t i = 0; i < prot.nmissing; i++)
		log_warn("incomplete: %s", prot.missing[i]);
	if (prot.nmissing || prot.n == 0)
		ret |= EXIT_RULES;
	/* The image build keeps what it gets: a cut list must not look whole. */
	w = close_stdout();
	if (w < 0) {
		log_err("cannot write the list to standard output: %s", strerror(-w));
		ret |= EXIT_USAGE;
	}
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
		log_info("the early pass left nothing to decide");
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

/* Boot mode and the late pass: what the shim runs. */
int boot_run(const struct mode_ctx *c, const struct boot_options *o)
{
	int rootfd = c->rootfd;
	const char *root = c->root;
	bool live = c->live;
	struct ruleset rs = { 0 };
	struct protect prot = { 0 };
	struct pci_tree t = { .devfd = -1 };
	struct plan pl = { 0 };
	struct protect_sources src = { 0 };
	struct plan_counts counts = { 0 };
	struct run_summary sum = { .mode = o->late_root ? "late" : "boot", .iommu = -1,
				   .file = o->late_root ? STATE_LATE_FILE : STATE_FILE };
	char kver[256] = "", sysroot[256];
	bool stdout_plan = o->dry_run;
	int ret = 0;

	/* --dry-run is for a person at a terminal: the plan on stdout, no kmsg. */
	log_setup(rootfd, o->dry_run ? LOG_TO_STDERR :
		  LOG_TO_KMSG | (isatty(STDERR_FILENO) ? LOG_TO_STDERR : 0), c->verbose);
	if (o->late_root)
		log_set_tag("late pass: ");
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_SECONDS);

	if (o->late_root)
		late_cmdline(rootfd, &rs);
	else
		rules_load(root, rootfd, c->config, true, &rs);
	kernel_release(rootfd, kver, sizeof(kver));
	sum.kernel = kver;
	if (rs.off) {
		log_notice("disabled by vfio_early=off on the kernel command line");
		sum.mode = "off";
		if (!o->dry_run)
			state_write(rootfd, &sum, NULL, NULL);
		goto out;
	}
	if (o->late_root) {
		const char *nr = o->late_root;

		while (*nr == '/')
			nr++;
		if (strstr(nr, "..") || xsnprintf(sysroot, sizeof(sysroot), "%s", nr) < 0) {
			log_err("--late %s: not a plain directory path", o->late_root);
			ret |= EXIT_USAGE;
			goto out;
		}
		if (!protect_root_mounted(rootfd, sysroot)) {
			log_warn("%s is not mounted: nothing decided", o->late_root);
			goto out;
		}
		if (late_rules(rootfd, &rs) <= 0)
			goto out;
	}
	if (rs.dry_run)
		sum.mode = "dry-run";
	if (rs.n == 0) {
		log_info("no rules: nothing to do");
		goto finish;
	}
	if (pci_scan(&t, rootfd) < 0) {
		log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
		ret |= EXIT_USAGE;
		goto finish;
	}
	sum.iommu = t.iommu;
	protect_sources_from(&src, &rs);
	protect_for_run(&prot, &t, rootfd, live, &src, o->late_root ? sysroot : NULL);
	rs.errors += prot.errors;
	if (plan_build(&pl, &t, &rs, &prot) < 0) {
		log_err("out of memory while planning");
		ret |= EXIT_USAGE;
		goto finish;
	}
	if (pl.no_iommu)
		log_warn("no IOMMU is active, so nothing is bound: %s", iommu_hint(rootfd));

	if (o->dry_run || rs.dry_run)
		bind_dry_run(&pl, root, rootfd);
	else
		bind_run(&pl, &t, root);
	report_plan(&pl, o->dry_run || rs.dry_run, stdout_plan);
	plan_count(&pl, &counts);
	sum.bound = counts.bound;
	sum.override_set = counts.override_set;
	sum.failed = counts.failed;
	if (pl.refused)
		ret |= EXIT_REFUSED;
	if (sum.failed)
		ret |= EXIT_FAILED;

finish:
	if (rs.errors)
		ret |= EXIT_RULES;
	sum.refused = pl.refused;
	sum.excluded = pl.excluded;
	sum.rule_errors = rs.errors;
	sum.exit_status = ret;
	if (o->dry_run || rs.dry_run) {
		plan_count(&pl, &counts);
		if (stdout_plan)
			printf("summary (dry run): %u to bind, %u refused, %u rule errors (exit %d)\n",
			       counts.planned, pl.refused, rs.errors, ret);
		else
			log_notice("summary (dry run): %u to bind, %u refused, %u rule errors "
				   "(exit %d)", counts.planned, pl.refused, rs.errors, ret);
	} else {
		char set[48] = "";

		if (sum.override_set)
			snprintf(set, sizeof(set), ", %u overrides set (test root)", sum.override_set);
		log_notice("summary: %u bound%s, %u failed, %u refused, %u rule errors (exit %d)",
			   sum.bound, set, sum.failed, pl.refused, rs.errors, ret);
	}
	if (!o->dry_run)
		state_write(rootfd, &sum, &pl, &prot);
out:
	alarm(0);
	plan_free(&pl);
	pci_tree_free(&t);
	protect_free(&prot);
	ruleset_free(&rs);
	log_close();
	return ret;
}
