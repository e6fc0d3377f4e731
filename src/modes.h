/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MODES_H
#define VFIO_EARLY_MODES_H

/*
 * The modes, one file each.  Each returns the process exit status
 * documented in vfio-early(8).
 */
#include <stdbool.h>
#include <stddef.h>

/*
 * The exit status of every mode, one table in vfio-early(8) (EXIT STATUS).
 * Below EXIT_ANSWERS it is a sum of bits, ORed like fsck(8); each bit means
 * the same in every mode that sets it.  From EXIT_ANSWERS up it is one
 * value, the answer of a read-only mode, never a sum.
 */
enum {
	/* Usage or internal error; standard output not written (every mode). */
	EXIT_USAGE = 1,
	/*
	 * Input skipped, the rest done: rule errors (boot), lines --import
	 * cannot parse, files --capture cannot copy, needs --list-protected
	 * cannot trace to a controller (an incomplete list).
	 */
	EXIT_RULES = 2,
	EXIT_REFUSED = 4,
	EXIT_FAILED = 8,
	/* A manual run on a booted host that was not confirmed: nothing changed. */
	EXIT_UNCONFIRMED = 16,
	/* Boot mode's own watchdog stopped the run (boot.c). */
	EXIT_WATCHDOG = 32,

	EXIT_ANSWERS = 64,
	/* --report: something to look at, nothing blocks passthrough. */
	EXIT_REPORT_WARNINGS = 64,
	/* --report: something blocks passthrough. */
	EXIT_REPORT_BLOCKING = 65,
	/* --import: no vfio-pci ids anywhere; the config printed has no rule. */
	EXIT_NOTHING_TO_IMPORT = 66,
};

struct mode_ctx {
	int rootfd;
	const char *root;	/* realpath of --root */
	bool live;		/* root is "/" */
	const char *config;	/* --config, or NULL for DIR/etc/vfio-early.conf */
	bool quiet;		/* --quiet: standard output is the last line only */
	bool verbose;		/* --verbose: debug lines, each device's reasons */
};

struct boot_options {
	const char *late_root;	/* --late NEWROOT, or NULL */
	bool dry_run;		/* --dry-run */
	bool yes;		/* --yes: a manual run acts without asking */
	char **take;		/* take SELECTION...: these words are the only rule */
	size_t ntake;
};

/* Boot mode, --dry-run and the late pass: what the shim runs (boot.c). */
int boot_run(const struct mode_ctx *c, const struct boot_options *o);

struct list_protected_options {
	char **zfs_vdevs;	/* --zfs-vdevs=POOL=DEV,... */
	size_t nzfs;
	bool zfs_given;
	char **devices;		/* DEVICE... on the command line */
	size_t ndevices;
};

/* --list-protected: what this host needs to boot, as the early pass reads it (boot.c). */
int list_protected_run(const struct mode_ctx *c, const struct list_protected_options *o);

/* --report [--json]: read-only diagnostics (report.c). */
int report_run(const struct mode_ctx *c, bool json);

/* --capture DIR: copy what --report reads into DIR (capture.c). */
int capture_run(const struct mode_ctx *c, const char *dest);

/* --import: config equivalent of modprobe.d and command-line recipes (import.c). */
int import_run(const struct mode_ctx *c);

/*
 * select DEVICE|SLOT [--append]: the rule for that card, then the dry run
 * with it (select.c).  Takes the arguments after the word "select".
 */
int select_main(int argc, char **argv);

/* --report --all [--json]: every PCI device by IOMMU group (report-all.c). */
int report_all_run(const struct mode_ctx *c, bool json);

/* release SELECTION...: give a card vfio-pci holds back to the host (release.c). */
int release_run(const struct mode_ctx *c, char **words, size_t n);

/*
 * --list-modules KVER: the modules an initramfs for kernel KVER must carry
 * beside the vfio stack, one per line: the variant drivers the rules' devices
 * get, and vendor-reset where it applies (imagemods.c).
 */
int list_modules_run(const struct mode_ctx *c, const char *kver);

#endif
