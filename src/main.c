// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early: hand chosen PCI devices to vfio-pci before any other driver
 * sees them.  Runs in the initramfs before udev.  See vfio-early(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "modes.h"
#include "util.h"

enum mode {
	MODE_BOOT,
	MODE_LIST_PROTECTED,
	MODE_REPORT,
	MODE_CAPTURE,
	MODE_IMPORT,
	MODE_TAKE,
	MODE_RELEASE,
	MODE_LIST_MODULES,
};

struct options {
	enum mode mode;
	const char *root;
	const char *config;
	const char *capture_dir;
	const char *late_root;		/* --late NEWROOT */
	const char *modules_kver;	/* --list-modules KVER */
	char **zfs_vdevs;		/* --zfs-vdevs=POOL=DEV,... */
	size_t nzfs;
	bool zfs_given;
	bool dry_run;
	bool yes;
	bool json;
	bool all;			/* --report --all */
	bool quiet;
	bool verbose;
	bool help;
	bool version;
};

static void usage(FILE *out)
{
	fputs("Usage: vfio-early [OPTION...]               bind the configured devices (boot)\n"
	      "       vfio-early --report [--all] [--json]  diagnose this host\n"
	      "       vfio-early select [--append] DEVICE   the rule for a card, and a dry run\n"
	      "       vfio-early take [--yes] SELECTION     hand a card to vfio-pci now\n"
	      "       vfio-early release SELECTION          give a card back to the host\n"
	      "       vfio-early --import                   config from a modprobe.d recipe\n"
	      "\n"
	      "Hand the PCI devices named by /etc/vfio-early.conf and the kernel command\n"
	      "line to vfio-pci, before other drivers claim them.\n"
	      "\n"
	      "Options:\n"
	      "  -n, --dry-run         print the plan, change nothing\n"
	      "  -y, --yes             on a booted host: apply the plan without asking\n"
	      "  -c, --config FILE     read rules from FILE instead of /etc/vfio-early.conf\n"
	      "  -r, --root DIR        use DIR as the root of every path (tests, offline use)\n"
	      "  -q, --quiet           print only errors and the final status line\n"
	      "  -v, --verbose         also say why each device is or is not selected\n"
	      "  -V, --version         print the version\n"
	      "  -h, --help            print this help\n"
	      "\n"
	      "Modes:\n"
	      "      --report          IOMMU, groups, drivers, next boot, and what to fix\n"
	      "      --json            with --report: the same facts as JSON\n"
	      "      --all             with --report: every PCI device by IOMMU group\n"
	      "  select DEVICE         the rule for the card at DEVICE (--append: add it)\n"
	      "  take SELECTION        a card to vfio-pci now, with the boot's safety rules\n"
	      "  release SELECTION     a card back from vfio-pci to its host driver\n"
	      "      --import          print the config for the vfio recipe in modprobe.d\n"
	      "\n"
	      "Modes for the initramfs, its build and bug reports:\n"
	      "      --late NEWROOT    the late pass, once the root is mounted at NEWROOT\n"
	      "      --list-protected [DEVICE...]\n"
	      "                        print the PCI devices the host needs to boot\n"
	      "      --zfs-vdevs LIST  with --list-protected: ZFS vdevs as POOL=DEV,...\n"
	      "      --list-modules KVER\n"
	      "                        print the modules an image for KVER needs beside vfio\n"
	      "      --capture DIR     copy what --report reads into DIR, for a bug report\n"
	      "\n"
	      "Exit status: 0 success or nothing to do; below 64 the sum of 1 usage or\n"
	      "internal error, 2 input skipped, 4 devices refused, 8 devices failed to\n"
	      "bind, 16 not confirmed, 32 stopped by the watchdog; --report: 64 warnings,\n"
	      "65 blocked; --import: 66 nothing to import.  See vfio-early(8).\n",
	      out);
}

/*
 * A usage error: one line, then where to look, as coreutils and util-linux
 * say it.  Returns -EINVAL.
 */
static int usage_error(const char *fmt, ...) _printf_(1, 2);

static int try_help(void)
{
	fputs("Try 'vfio-early --help' for more information.\n", stderr);
	return -EINVAL;
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vfio-early: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return try_help();
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

		if (!eq || eq == v || strncmp(eq + 1, "/dev/", 5) != 0)
			return usage_error("--zfs-vdevs: %s: expected POOL=/dev/DEVICE", v);
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
		[MODE_LIST_MODULES] = "--list-modules",
	};

	if (o->mode != MODE_BOOT && o->mode != m)
		return usage_error("%s and %s: one mode at a time", names[o->mode], names[m]);
	o->mode = m;
	return 0;
}

/* Options that go only with some modes. */
static int check_options(int argc, char **argv, const struct options *o)
{
	if (o->json && o->mode != MODE_REPORT)
		return usage_error("--json goes with --report");
	if (o->zfs_given && o->mode != MODE_LIST_PROTECTED)
		return usage_error("--zfs-vdevs goes with --list-protected");
	if ((o->mode == MODE_RELEASE || o->mode == MODE_TAKE) && (o->late_root || optind >= argc))
		return usage_error("%s: name a device or card (0000:09:00, ids 10de:2204)",
				   o->mode == MODE_TAKE ? "take" : "release");
	if (o->mode == MODE_RELEASE && (o->dry_run || o->yes))
		return usage_error("release acts at once: no --dry-run, no --yes");
	if (o->all && o->mode != MODE_REPORT)
		return usage_error("--all goes with --report");
	if (o->yes && ((o->mode != MODE_BOOT && o->mode != MODE_TAKE) || o->late_root))
		return usage_error("--yes goes with boot mode (a run by hand), not --late");
	if (o->late_root && (o->mode != MODE_BOOT || o->dry_run))
		return usage_error("--late is a boot-time pass of its own");
	if (o->quiet && o->verbose)
		return usage_error("--quiet and --verbose: one or the other");
	if (o->mode != MODE_LIST_PROTECTED && o->mode != MODE_RELEASE && o->mode != MODE_TAKE &&
	    optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

enum {
	OPT_LIST_PROTECTED = 0x100,
	OPT_REPORT,
	OPT_JSON,
	OPT_CAPTURE,
	OPT_IMPORT,
	OPT_LATE,
	OPT_LIST_MODULES,
	OPT_ZFS_VDEVS,
};

/* The leading ':' makes a missing argument ':' rather than '?'. */
static const char shortopts[] = ":nyc:r:qvVh";

static const struct option longopts[] = {
	{ "report", no_argument, NULL, OPT_REPORT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "import", no_argument, NULL, OPT_IMPORT },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "yes", no_argument, NULL, 'y' },
	{ "config", required_argument, NULL, 'c' },
	{ "root", required_argument, NULL, 'r' },
	{ "list-protected", no_argument, NULL, OPT_LIST_PROTECTED },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "list-modules", required_argument, NULL, OPT_LIST_MODULES },
	{ "zfs-vdevs", required_argument, NULL, OPT_ZFS_VDEVS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "--re=x" names "re": the length of the name in a long option argument. */
static size_t long_name_len(const char *arg)
{
	return strcspn(arg + 2, "=");
}

/* An option getopt_long did not know: two or more long options begin with it? */
static int unknown_long_option(const char *arg)
{
	size_t len = long_name_len(arg), n = 0;

	for (const struct option *lo = longopts; lo->name; lo++)
		n += strncmp(lo->name, arg + 2, len) == 0;
	if (n < 2)
		return usage_error("unrecognized option '%s'", arg);
	fprintf(stderr, "vfio-early: option '%.*s' is ambiguous; possibilities:", (int)len + 2,
		arg);
	for (const struct option *lo = longopts; lo->name; lo++)
		if (strncmp(lo->name, arg + 2, len) == 0)
			fprintf(stderr, " '--%s'", lo->name);
	fputc('\n', stderr);
	return try_help();
}

/*
 * getopt_long's complaint (@c is '?' or ':'), in the words of glibc's own,
 * which the static musl build would word differently.  optopt is 0 for an
 * unknown long option, the option's value for a long option with a stray or
 * missing argument, the letter for a short one.
 */
static int bad_option(int c, char **argv)
{
	/* musl leaves optind past the end for a short option's missing argument. */
	const char *arg = argv[optind - 1] ? argv[optind - 1] : "";
	bool long_opt = strncmp(arg, "--", 2) == 0;

	if (c == ':' && long_opt)
		return usage_error("option '%s' requires an argument", arg);
	if (c == ':')
		return usage_error("option requires an argument -- '%c'", optopt);
	if (optopt == 0 && long_opt)
		return unknown_long_option(arg);
	/* A long option of ours given "=ARG"; ':' is no option, whatever shortopts says. */
	if (long_opt && (optopt >= 0x100 || (optopt != ':' && strchr(shortopts, optopt))))
		return usage_error("option '%.*s' doesn't allow an argument",
				   (int)long_name_len(arg) + 2, arg);
	if (optopt > ' ' && optopt < 0x7f)
		return usage_error("invalid option -- '%c'", optopt);
	return usage_error("invalid option");
}

/* One option from getopt_long; < 0 on a usage error, said. */
static int take_option(int c, struct options *o, char **argv)
{
	switch (c) {
	case 'n':
		o->dry_run = true;
		return 0;
	case 'y':
		o->yes = true;
		return 0;
	case 'c':
		o->config = optarg;
		return 0;
	case 'r':
		o->root = optarg;
		return 0;
	case OPT_LIST_PROTECTED:
		return set_mode(o, MODE_LIST_PROTECTED);
	case OPT_REPORT:
		return set_mode(o, MODE_REPORT);
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_CAPTURE:
		o->capture_dir = optarg;
		return set_mode(o, MODE_CAPTURE);
	case OPT_IMPORT:
		return set_mode(o, MODE_IMPORT);
	case OPT_LATE:
		o->late_root = optarg;
		return 0;
	case OPT_LIST_MODULES:
		o->modules_kver = optarg;
		return set_mode(o, MODE_LIST_MODULES);
	case OPT_ZFS_VDEVS:
		return split_zfs_vdevs(optarg, o);
	case 'q':
		o->quiet = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case 'V':
		o->version = true;
		return 0;
	case 'h':
		o->help = true;
		return 0;
	default:
		return bad_option(c, argv);
	}
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	/* The messages are bad_option's. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1)
		if (take_option(c, o, argv) < 0)
			return -EINVAL;
	/* --help and --version answer whatever else the line says. */
	if (o->help || o->version)
		return 0;
	/* The words: "take SELECTION..." and "release SELECTION...". */
	if (o->mode == MODE_BOOT && optind < argc &&
	    (strcmp(argv[optind], "take") == 0 || strcmp(argv[optind], "release") == 0)) {
		o->mode = strcmp(argv[optind], "take") == 0 ? MODE_TAKE : MODE_RELEASE;
		optind++;
	}
	return check_options(argc, argv, o);
}

/*
 * Every mode ends here: output that did not reach standard output (a full
 * disk, a closed pipe) is an error, said once.  Below 64 the status is a
 * sum and gains EXIT_USAGE; above, it becomes EXIT_USAGE.
 */
static int close_stdout(int ret)
{
	int err = 0;

	if (fflush(stdout) != 0)
		err = errno;
	else if (ferror(stdout))
		err = EIO;
	/* A closed standard output that was never written to is no error. */
	if (fclose(stdout) != 0 && err == 0 && errno != EBADF)
		err = errno;
	if (err == 0)
		return ret;
	fprintf(stderr, "vfio-early: error: cannot write to standard output: %s\n",
		strerror(err));
	return ret < EXIT_ANSWERS ? ret | EXIT_USAGE : EXIT_USAGE;
}

static int run_mode(const struct options *o, const struct mode_ctx *c, int argc, char **argv)
{
	switch (o->mode) {
	case MODE_BOOT:
		return boot_run(c, &(struct boot_options){ .late_root = o->late_root,
							   .dry_run = o->dry_run, .yes = o->yes });
	case MODE_LIST_PROTECTED:
		return list_protected_run(c, &(struct list_protected_options){
			.zfs_vdevs = o->zfs_vdevs, .nzfs = o->nzfs, .zfs_given = o->zfs_given,
			.devices = argv + optind, .ndevices = (size_t)(argc - optind) });
	case MODE_REPORT:
		return o->all ? report_all_run(c, o->json) : report_run(c, o->json);
	case MODE_CAPTURE:
		return capture_run(c, o->capture_dir);
	case MODE_IMPORT:
		return import_run(c);
	case MODE_TAKE:
		return boot_run(c, &(struct boot_options){ .dry_run = o->dry_run, .yes = o->yes,
							   .take = argv + optind,
							   .ntake = (size_t)(argc - optind) });
	case MODE_RELEASE:
		return release_run(c, argv + optind, (size_t)(argc - optind));
	case MODE_LIST_MODULES:
		return list_modules_run(c, o->modules_kver);
	}
	return EXIT_USAGE;
}

/* Take every "--all" (before a "--") out of argv: it goes with --report. */
static bool take_all(int *argc, char **argv)
{
	bool all = false;
	int i = 1, j = 1;

	for (; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = true;
		else
			argv[j++] = argv[i];
	}
	while (i < *argc)
		argv[j++] = argv[i++];
	argv[j] = NULL;
	*argc = j;
	return all;
}

static void options_free(struct options *o)
{
	for (size_t i = 0; i < o->nzfs; i++)
		free(o->zfs_vdevs[i]);
	free(o->zfs_vdevs);
}

int main(int argc, char **argv)
{
	struct options o = { .mode = MODE_BOOT, .root = "/" };
	struct mode_ctx c = { 0 };
	char root[PATH_MAX];
	int rootfd, ret;

	/*
	 * Fully buffered unless a terminal reads it, as glibc has it (musl
	 * flushes the first line by itself): a write error then surfaces in
	 * close_stdout() with its errno.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	/* A subcommand of its own options, and --report's --all, before getopt. */
	if (argc > 1 && strcmp(argv[1], "select") == 0)
		return close_stdout(select_main(argc - 1, argv + 1));
	o.all = take_all(&argc, argv);
	if (parse_options(argc, argv, &o) < 0) {
		options_free(&o);
		return EXIT_USAGE;
	}
	if (o.help || o.version) {
		if (o.help)
			usage(stdout);
		else
			printf("vfio-early %s\n", VERSION);
		options_free(&o);
		return close_stdout(0);
	}
	if (!realpath(o.root, root)) {
		fprintf(stderr, "vfio-early: --root %s: %s\n", o.root, strerror(errno));
		options_free(&o);
		return EXIT_USAGE;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		fprintf(stderr, "vfio-early: %s: %s\n", root, strerror(errno));
		options_free(&o);
		return EXIT_USAGE;
	}
	c = (struct mode_ctx){ .rootfd = rootfd, .root = root, .live = strcmp(root, "/") == 0,
			       .config = o.config, .quiet = o.quiet, .verbose = o.verbose };
	if (o.mode != MODE_BOOT && o.mode != MODE_TAKE)
		log_setup(rootfd, LOG_TO_STDERR, o.verbose);
	log_set_quiet(o.quiet);
	ret = run_mode(&o, &c, argc, argv);
	options_free(&o);
	close(rootfd);
	return close_stdout(ret);
}
