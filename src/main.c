// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early: hand chosen PCI devices to vfio-pci before any other driver
 * sees them.  Runs in the initramfs before udev.  See vfio-early(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
	bool yes;
	bool json;
	bool verbose;
	bool help;
	bool version;
};

static void usage(FILE *out)
{
	fputs("Usage: vfio-early [options]                 bind the configured devices (boot)\n"
	      "       vfio-early --yes [options]           the same by hand on a booted host\n"
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
	      "  -y, --yes             on a booted host: apply the plan without asking\n"
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
	      "Exit status: 0 success or nothing to do; below 64 the sum of 1 usage or\n"
	      "internal error, 2 input skipped, 4 devices refused, 8 devices failed to\n"
	      "bind, 16 not confirmed, 32 stopped by the watchdog; --report: 64 warnings,\n"
	      "65 blocked; --import: 66 nothing to import.  See vfio-early(8).\n",
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

/* Options that go only with some modes. */
static int check_options(int argc, char **argv, const struct options *o)
{
	if (o->json && o->mode != MODE_REPORT) {
		fprintf(stderr, "vfio-early: --json goes with --report\n");
		return -EINVAL;
	}
	if (o->zfs_given && o->mode != MODE_LIST_PROTECTED) {
		fprintf(stderr, "vfio-early: --zfs-vdevs goes with --list-protected\n");
		return -EINVAL;
	}
	if (o->yes && (o->mode != MODE_BOOT || o->late_root)) {
		fprintf(stderr, "vfio-early: --yes goes with boot mode (a run by hand), not --late\n");
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
		{ "yes", no_argument, NULL, 'y' },
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

	while ((c = getopt_long(argc, argv, "nyc:r:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->dry_run = true;
			break;
		case 'y':
			o->yes = true;
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
			o->version = true;
			break;
		case 'h':
			o->help = true;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	/* --help and --version answer whatever else the line says. */
	if (o->help || o->version)
		return 0;
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


int main(int argc, char **argv)
{
	struct options o = { .mode = MODE_BOOT, .root = "/" };
	struct mode_ctx c = { 0 };
	char root[PATH_MAX];
	bool live;
	int rootfd, ret = 0;

	if (parse_options(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.help || o.version) {
		if (o.help)
			usage(stdout);
		else
			printf("vfio-early %s\n", VERSION);
		return close_stdout(0);
	}
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
		ret = boot_run(&c, &(struct boot_options){ .late_root = o.late_root,
							   .dry_run = o.dry_run, .yes = o.yes });
		break;
	case MODE_LIST_PROTECTED:
		ret = list_protected_run(&c, &(struct list_protected_options){
			.zfs_vdevs = o.zfs_vdevs, .nzfs = o.nzfs, .zfs_given = o.zfs_given,
			.devices = argv + optind, .ndevices = (size_t)(argc - optind) });
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
	return close_stdout(ret);
}
