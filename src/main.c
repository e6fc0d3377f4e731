// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early: hand chosen PCI devices to vfio-pci before any other driver
 * sees them.  Runs in the initramfs before udev.  See vfio-early(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
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

/* Exit status bits, ORed like fsck(8); see vfio-early(8). */
enum {
	EXIT_USAGE = 1,
	EXIT_RULES = 2,
	EXIT_REFUSED = 4,
	EXIT_FAILED = 8,
};

/* Below the shim's own 20 s, so this program says why it stopped. */
#define WATCHDOG_SECONDS 15

enum mode {
	MODE_BOOT,
	MODE_LIST_PROTECTED,
	MODE_REPORT,
	MODE_CAPTURE,
	MODE_IMPORT,
};

struct options {
	enum mode mode;
	const char *root;
	const char *config;
	const char *capture_dir;
	const char *late_root;		/* --late NEWROOT */
	char **zfs_vdevs;		/* --zfs-vdevs=POOL=DEV,... */
	size_t nzfs;
	bool zfs_given;
	bool dry_run;
	bool json;
	bool verbose;
};

static void usage(FILE *out)
{
	fputs("Usage: vfio-early [options]                 bind the configured devices (boot)\n"
	      "       vfio-early --report [--json]        diagnose this host\n"
	      "       vfio-early --capture DIR            copy what --report reads into DIR\n"
	      "       vfio-early --import                 config from an existing modprobe.d recipe\n"
	      "       vfio-early --late NEWROOT           the late pass, root mounted at NEWROOT\n"
	      "       vfio-early --list-protected [--zfs-vdevs=POOL=DEV,...] [DEVICE...]\n"
	      "\n"
	      "Hand the PCI devices named by /etc/vfio-early.conf and the kernel command\n"
	      "line to vfio-pci, before other drivers claim them.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --dry-run         print the plan, change nothing\n"
	      "  -c, --config FILE     read rules from FILE instead of /etc/vfio-early.conf\n"
	      "  -r, --root DIR        use DIR as the root of every path (tests, offline use)\n"
	      "      --report          IOMMU, groups, drivers, next boot, and what to fix\n"
	      "      --json            with --report: the same facts as JSON\n"
	      "      --capture DIR     copy sysfs and config files --report reads into DIR\n"
	      "      --import          print the config for the vfio recipe in modprobe.d\n"
	      "      --list-protected  print the list of the PCI devices the host needs to boot\n"
	      "      --zfs-vdevs LIST  with --list-protected: ZFS vdevs as POOL=DEV,... (zpool)\n"
	      "      --late NEWROOT    decide what the early pass left for want of proof\n"
	      "  -v, --verbose         log debug details\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            print this help\n"
	      "\n"
	      "Exit status: 0 success or nothing to do; otherwise the sum of 1 usage or\n"
	      "internal error, 2 invalid rules skipped, 4 devices refused by the safety\n"
	      "policy, 8 devices failed to bind.  See vfio-early(8).\n",
	      out);
}

/* --zfs-vdevs=rpool=/dev/nvme0n1p3,rpool=/dev/nvme1n1p3 (from zpool list -vHP). */
static int split_zfs_vdevs(const char *arg, struct options *o)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	o->zfs_given = true;
	for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		char **nv, *eq = strchr(v, '=');

		if (!eq || eq == v || strncmp(eq + 1, "/dev/", 5) != 0) {
			fprintf(stderr, "vfio-early: --zfs-vdevs: %s: expected POOL=/dev/DEVICE\n", v);
			return -EINVAL;
		}
		nv = realloc(o->zfs_vdevs, (o->nzfs + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		o->zfs_vdevs = nv;
		if (!(o->zfs_vdevs[o->nzfs] = strdup(v)))
			return -ENOMEM;
		o->nzfs++;
	}
	return 0;
}

/* One mode per run: --report --capture DIR is a mistake, not a choice by order. */
static int set_mode(struct options *o, enum mode m)
{
	static const char *const names[] = {
		[MODE_LIST_PROTECTED] = "--list-protected", [MODE_REPORT] = "--report",
		[MODE_CAPTURE] = "--capture", [MODE_IMPORT] = "--import",
	};

	if (o->mode != MODE_BOOT && o->mode != m) {
		fprintf(stderr, "vfio-early: %s and %s: one mode at a time\n", names[o->mode],
			names[m]);
		return -EINVAL;
	}
	o->mode = m;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_LIST_PROTECTED = 0x100,
		OPT_REPORT,
		OPT_JSON,
		OPT_CAPTURE,
		OPT_IMPORT,
		OPT_LATE,
		OPT_ZFS_VDEVS,
	};
	static const struct option longopts[] = {
		{ "report", no_argument, NULL, OPT_REPORT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "import", no_argument, NULL, OPT_IMPORT },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "list-protected", no_argument, NULL, OPT_LIST_PROTECTED },
		{ "late", required_argument, NULL, OPT_LATE },
		{ "zfs-vdevs", required_argument, NULL, OPT_ZFS_VDEVS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "nc:r:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->dry_run = true;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->root = optarg;
			break;
		case OPT_LIST_PROTECTED:
			if (set_mode(o, MODE_LIST_PROTECTED) < 0)
				return -EINVAL;
			break;
		case OPT_REPORT:
			if (set_mode(o, MODE_REPORT) < 0)
				return -EINVAL;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_CAPTURE:
			if (set_mode(o, MODE_CAPTURE) < 0)
				return -EINVAL;
			o->capture_dir = optarg;
			break;
		case OPT_IMPORT:
			if (set_mode(o, MODE_IMPORT) < 0)
				return -EINVAL;
			break;
		case OPT_LATE:
			o->late_root = optarg;
			break;
		case OPT_ZFS_VDEVS:
			if (split_zfs_vdevs(optarg, o) < 0)
				return -EINVAL;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("vfio-early %s\n", VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (o->json && o->mode != MODE_REPORT) {
		fprintf(stderr, "vfio-early: --json goes with --report\n");
		return -EINVAL;
	}
	if (o->zfs_given && o->mode != MODE_LIST_PROTECTED) {
		fprintf(stderr, "vfio-early: --zfs-vdevs goes with --list-protected\n");
		return -EINVAL;
	}
	if (o->late_root && (o->mode != MODE_BOOT || o->dry_run)) {
		fprintf(stderr, "vfio-early: --late is a boot-time pass of its own\n");
		return -EINVAL;
	}
	if (o->mode != MODE_LIST_PROTECTED && optind < argc) {
		fprintf(stderr, "vfio-early: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

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

/*
 * --list-protected: what this host needs, as the early pass reads it.
 * 2 when the list is incomplete: something needed has no controller found.
 */
static int run_list_protected(int rootfd, bool live, const struct options *o, int argc,
			      char **argv)
{
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
	machine_id(rootfd, prot.machine);
	protect_resolve_host(&prot, &t, rootfd, live, &src);
	for (int i = optind; i < argc; i++)
		if (protect_resolve_device(&prot, &t, rootfd, live, argv[i]) < 0)
			ret = EXIT_USAGE;
	protect_add_groups(&prot, &t);
	protect_complete(&prot, &t);
	protect_write_list(stdout, &prot);
	for (size_t i = 0; i < prot.nmissing; i++)
		log_warn("incomplete: %s", prot.missing[i]);
	if (prot.nmissing || prot.n == 0)
		ret |= EXIT_RULES;
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
static int run_boot(int rootfd, const char *root, bool live, const struct options *o)
{
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
		  LOG_TO_KMSG | (isatty(STDERR_FILENO) ? LOG_TO_STDERR : 0), o->verbose);
	if (o->late_root)
		log_set_tag("late pass: ");
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_SECONDS);

	if (o->late_root)
		late_cmdline(rootfd, &rs);
	else
		rules_load(root, rootfd, o->config, true, &rs);
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

int main(int argc, char **argv)
{
	struct options o = { .mode = MODE_BOOT, .root = "/" };
	struct mode_ctx c = { 0 };
	char root[PATH_MAX];
	bool live;
	int rootfd, ret = 0;

	if (parse_options(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (!realpath(o.root, root)) {
		fprintf(stderr, "vfio-early: --root %s: %s\n", o.root, strerror(errno));
		return EXIT_USAGE;
	}
	live = strcmp(root, "/") == 0;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "vfio-early: %s: %s\n", root, strerror(errno));
		return EXIT_USAGE;
	}
	c = (struct mode_ctx){ .rootfd = rootfd, .root = root, .live = live,
			       .config = o.config, .verbose = o.verbose };
	if (o.mode != MODE_BOOT)
		log_setup(rootfd, LOG_TO_STDERR, o.verbose);
	switch (o.mode) {
	case MODE_BOOT:
		ret = run_boot(rootfd, root, live, &o);
		break;
	case MODE_LIST_PROTECTED:
		ret = run_list_protected(rootfd, live, &o, argc, argv);
		break;
	case MODE_REPORT:
		ret = report_run(&c, o.json);
		break;
	case MODE_CAPTURE:
		ret = capture_run(&c, o.capture_dir);
		break;
	case MODE_IMPORT:
		ret = import_run(&c);
		break;
	}
	for (size_t i = 0; i < o.nzfs; i++)
		free(o.zfs_vdevs[i]);
	free(o.zfs_vdevs);
	close(rootfd);
	return ret;
}
