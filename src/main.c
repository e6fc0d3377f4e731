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
#include "pci.h"
#include "plan.h"
#include "protect.h"
#include "rules.h"
#include "sources.h"
#include "state.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

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
	      "       vfio-early --list-protected [DEVICE...]\n"
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
	      "      --list-protected  print the PCI addresses that hold the root filesystem\n"
	      "  -v, --verbose         log debug details\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            print this help\n"
	      "\n"
	      "Exit status: 0 success or nothing to do; otherwise the sum of 1 usage or\n"
	      "internal error, 2 invalid rules skipped, 4 devices refused by the safety\n"
	      "policy, 8 devices failed to bind.  See vfio-early(8).\n",
	      out);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum {
		OPT_LIST_PROTECTED = 0x100,
		OPT_REPORT,
		OPT_JSON,
		OPT_CAPTURE,
		OPT_IMPORT,
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
			o->mode = MODE_LIST_PROTECTED;
			break;
		case OPT_REPORT:
			o->mode = MODE_REPORT;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_CAPTURE:
			o->mode = MODE_CAPTURE;
			o->capture_dir = optarg;
			break;
		case OPT_IMPORT:
			o->mode = MODE_IMPORT;
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

	if (it->refused) {
		snprintf(buf, size, "refused: %s", it->reason);
		return;
	}
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
		int prio = it->refused ? LOG_WARNING :
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

static int run_list_protected(int rootfd, bool live, int argc, char **argv)
{
	struct ruleset rs = { 0 };
	struct protect prot = { 0 };
	struct pci_tree t = { .devfd = -1 };
	_cleanup_free_ char *cmdline = NULL;
	size_t len;
	int ret = 0;

	cmdline = read_file_at(rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (cmdline)
		cmdline_parse(cmdline, len, &rs);
	protect_resolve_root(&prot, rootfd, live, rs.root_spec);
	for (int i = optind; i < argc; i++)
		if (protect_resolve_device(&prot, rootfd, live, argv[i]) < 0)
			ret = EXIT_USAGE;
	if (pci_scan(&t, rootfd) == 0) {
		/* Everything sharing an IOMMU group with them goes along. */
		size_t n = prot.n;

		for (size_t i = 0; i < n; i++) {
			struct pci_dev *d = pci_find(&t, &prot.v[i].addr), **mem;
			size_t nmem;

			if (!d || (pci_load(&t, d), d->iommu_group < 0) ||
			    pci_group_members(&t, d->iommu_group, &mem, &nmem) < 0)
				continue;
			for (size_t j = 0; j < nmem; j++) {
				char why[96];

				if (pci_is_bridge(mem[j]) || protect_find(&prot, &mem[j]->addr))
					continue;
				snprintf(why, sizeof(why), "in IOMMU group %d with %s",
					 d->iommu_group, d->name);
				protect_add(&prot, &mem[j]->addr, why);
			}
			free(mem);
		}
	}
	for (size_t i = 0; i < prot.n; i++) {
		char a[PCI_ADDR_STRLEN];

		format_pci_addr(&prot.v[i].addr, a);
		printf("%s # %s\n", a, prot.v[i].why);
	}
	if (prot.n == 0)
		log_notice("no PCI controller found under the root filesystem");
	pci_tree_free(&t);
	protect_free(&prot);
	ruleset_free(&rs);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = { .mode = MODE_BOOT, .root = "/" };
	struct ruleset rs = { 0 };
	struct protect prot = { 0 };
	struct pci_tree t = { .devfd = -1 };
	struct plan pl = { 0 };
	struct run_summary sum = { .mode = "boot", .iommu = -1 };
	char root[PATH_MAX], kver[256] = "";
	bool live, stdout_plan;
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

	if (o.mode != MODE_BOOT) {
		struct mode_ctx c = { .rootfd = rootfd, .root = root, .live = live,
				      .config = o.config, .verbose = o.verbose };

		log_setup(rootfd, LOG_TO_STDERR, o.verbose);
		switch (o.mode) {
		case MODE_LIST_PROTECTED:
			ret = run_list_protected(rootfd, live, argc, argv);
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
		default:
			break;
		}
		close(rootfd);
		return ret;
	}

	/* --dry-run is for a person at a terminal: the plan on stdout, no kmsg. */
	stdout_plan = o.dry_run;
	log_setup(rootfd, o.dry_run ? LOG_TO_STDERR :
		  LOG_TO_KMSG | (isatty(STDERR_FILENO) ? LOG_TO_STDERR : 0), o.verbose);
	signal(SIGALRM, watchdog);
	alarm(WATCHDOG_SECONDS);

	rules_load(root, rootfd, o.config, true, &rs);
	kernel_release(rootfd, kver, sizeof(kver));
	sum.kernel = kver;
	if (rs.off) {
		log_notice("disabled by vfio_early=off on the kernel command line");
		sum.mode = "off";
		if (!o.dry_run)
			state_write(rootfd, &sum, NULL, NULL);
		goto out;
	}
	if (rs.dry_run)
		sum.mode = "dry-run";
	if (rs.errors)
		ret |= EXIT_RULES;

	protect_load_file(&prot, rootfd, &rs);
	if (rs.n == 0) {
		log_info("no rules: nothing to do");
		goto finish;
	}
	protect_resolve_root(&prot, rootfd, live, rs.root_spec);

	if (pci_scan(&t, rootfd) < 0) {
		log_err("cannot read /sys/bus/pci/devices: %s", strerror(errno));
		ret |= EXIT_USAGE;
		goto finish;
	}
	sum.iommu = t.iommu;
	if (plan_build(&pl, &t, &rs, &prot) < 0) {
		log_err("out of memory while planning");
		ret |= EXIT_USAGE;
		goto finish;
	}
	if (pl.no_iommu)
		log_warn("no IOMMU is active, so nothing is bound: %s", iommu_hint(rootfd));

	if (o.dry_run || rs.dry_run)
		bind_dry_run(&pl, root, rootfd);
	else
		bind_run(&pl, &t, root);
	report_plan(&pl, o.dry_run || rs.dry_run, stdout_plan);

	for (size_t k = 0; k < pl.n; k++) {
		switch (pl.v[k].result) {
		case RES_BOUND:
		case RES_ALREADY:
			sum.bound++;
			break;
		case RES_OVERRIDE_SET:
			sum.override_set++;
			break;
		case RES_FAILED:
			sum.failed++;
			break;
		default:
			break;
		}
	}
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
	if (o.dry_run || rs.dry_run) {
		unsigned would = 0;

		for (size_t k = 0; k < pl.n; k++)
			would += !pl.v[k].refused;
		if (stdout_plan)
			printf("summary (dry run): %u to bind, %u refused, %u rule errors (exit %d)\n",
			       would, pl.refused, rs.errors, ret);
		else
			log_notice("summary (dry run): %u to bind, %u refused, %u rule errors "
				   "(exit %d)", would, pl.refused, rs.errors, ret);
	} else {
		char set[48] = "";

		if (sum.override_set)
			snprintf(set, sizeof(set), ", %u overrides set (test root)", sum.override_set);
		log_notice("summary: %u bound%s, %u failed, %u refused, %u rule errors (exit %d)",
			   sum.bound, set, sum.failed, pl.refused, rs.errors, ret);
	}
	if (!o.dry_run)
		state_write(rootfd, &sum, &pl, &prot);
out:
	alarm(0);
	plan_free(&pl);
	pci_tree_free(&t);
	protect_free(&prot);
	ruleset_free(&rs);
	log_close();
	close(rootfd);
	return ret;
}
