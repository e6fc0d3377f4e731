/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vfio-early --report, the floor every part stands on: the facts
 * report-gather.c collects, the problems report-analyse.c finds in them
 * (what report-text.c and report-json.c print), and the small helpers all
 * of them share.  report.c runs the parts in order; no part calls it.
 * Not used outside the report.
 */
#ifndef VFIO_EARLY_REPORT_MODEL_H
#define VFIO_EARLY_REPORT_MODEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bootloader.h"
#include "card.h"
#include "import.h"
#include "manual.h"
#include "modes.h"
#include "pci.h"
#include "pciids.h"
#include "plan.h"
#include "protect.h"
#include "report-suggest.h"
#include "rules.h"
#include "state.h"
#include "util.h"
#include "vfio-status.h"

/* --report's exit status: the values of modes.h, vfio-early(8) EXIT STATUS. */
enum {
	REPORT_OK = 0,
	REPORT_USAGE = EXIT_USAGE,
	REPORT_WARNINGS = EXIT_REPORT_WARNINGS,
	REPORT_BLOCKING = EXIT_REPORT_BLOCKING,
};

/*
 * How much a problem matters, least first (VERDICTS in vfio-early(8)):
 * a note is information; pending is a configuration the next boot applies
 * (reboot); a warning wants a change but passthrough can work; blocking
 * stops passthrough.  Only warnings and blocking ones set the exit status.
 */
enum severity {
	SEV_NOTE,
	SEV_PENDING,
	SEV_WARNING,
	SEV_BLOCKING,
};

struct problem {
	enum severity sev;
	char code[48];			/* stable, kebab-case: "group-shared" */
	char device[PCI_ADDR_STRLEN];	/* 0000:BB:SS.F, or "" for the host */
	char what[1024];
	char fix[400];
};

/* What the analysis found: by severity (worst first), then device. */
struct problems {
	struct problem *v;
	size_t n;
};

struct bar {
	unsigned index;
	uint64_t start;
	uint64_t size;
	bool prefetch;
	bool is64;
};

struct rdev {
	struct pci_dev *d;
	struct pciids_want names;
	int numa;
	struct bar bars[6];
	unsigned nbars;
	char framebuffer[64];
	char path[PATH_STRLEN + 8];
	const struct plan_item *plan;
	const struct state_dev *now;
	/* A display card nothing selects: the rules to paste, or why none can (else NULL). */
	struct suggestion *sel;
	char sel_refused[PLAN_REASON_LEN + PROTECT_WHY_LEN];
};

/* What an IOMMU group is, for a VM: each defined once, in VERDICTS of vfio-early(8). */
enum group_verdict {
	GROUP_READY,		/* selected; every member on vfio-pci (or none) now */
	GROUP_PENDING,		/* selected; every member goes to vfio-pci at the next boot */
	GROUP_PARTIAL,		/* selected, but other members stay with the host */
	GROUP_CANDIDATE,	/* not selected; only one card's functions in it */
	GROUP_SHARED,		/* not selected; shares with other host devices */
	GROUP_BLOCKED,		/* holds a device the host needs to boot */
};

/* A device an include rule selects and an exclude rule keeps back. */
struct exclusion {
	const struct pci_dev *dev;
	const struct rule *exclude;
	const struct rule *include;
};

struct rgroup {
	int id;
	struct pci_dev **mem;
	size_t n;
	bool selected;
	enum group_verdict verdict;
	/* Ready groups only: what /dev/vfio/N said on a live host. */
	enum vfio_check vfio;
	char vfio_why[240];
	/* The PF of a selected VF in this group: binding it would remove the VF. */
	const struct pci_dev *vf_parent;
};

struct initrd {
	char path[512];
	bool exists;
	bool checked;
	const char *tool;
	const char *rebuild;	/* the generator's command: "mkinitcpio -P" */
	bool has_binary;
	bool has_config;
	bool has_module;
	bool has_protected;
	bool config_newer;
};

struct module_state {
	const char *name;
	char state[64];		/* "module", "built in", "missing" */
};

/* One hostpci entry: a whole slot (addr without a function) or one function. */
struct vm_entry {
	struct pci_addr addr;
	const struct pci_dev *fn[8];	/* its functions; fn[0] gives the mapping's ids */
	size_t nfn;
	int group;
};

/* A card (card.h) whose functions all go to vfio-pci, in ready groups. */
struct vm_card {
	struct vm_entry e[CARD_MAX];
	size_t ne;
};

/* One VF of a PF: its virtfnK link, and the device it names. */
struct rvf {
	unsigned index;
	const struct pci_dev *d;
};

/*
 * An SR-IOV physical function (sriov_totalvfs in sysfs) that a rule names
 * or whose VFs exist; or a device a vfs= rule names that is none (!capable).
 */
struct rpf {
	const struct pci_dev *d;
	bool capable;			/* sriov_totalvfs is there */
	unsigned total;			/* sriov_totalvfs */
	unsigned num;			/* sriov_numvfs: VFs enabled now */
	int autoprobe;			/* sriov_drivers_autoprobe: 0, 1, or -1 unread */
	const struct rule *rule;	/* the first vfs= rule that names it, or NULL */
	struct rvf *vf;			/* by index */
	size_t nvf;
};

/*
 * What a PF's vfs= rule comes to, in vfs.c's order: a PF the rule cannot
 * serve, the count in place, or the VFs its driver makes at the next pass.
 */
enum vfs_state {
	VFS_NO_RULE,		/* no vfs= rule names it */
	VFS_NOT_SRIOV,		/* no sriov_totalvfs: not a PF */
	VFS_IN_PLACE,		/* sriov_numvfs is the rule's N */
	VFS_COUNT_DIFFERS,	/* another count is set: vfs.c never changes it */
	VFS_OVER_TOTAL,		/* N > sriov_totalvfs */
	VFS_NO_DRIVER,		/* no VFs, and no driver holds the PF to make them */
	VFS_TO_MAKE,		/* no VFs yet; the PF's driver makes N at the next pass */
};

/*
 * The facts.  The analysis reads nothing but these: a test builds them by
 * hand, and the gathering is the only part that reads the machine.
 */
struct report {
	const struct mode_ctx *c;
	char kver[128];
	char *cmdline;
	size_t cmdline_len;

	bool iommu_active;
	char iommu_kind[64];
	char iommu_units[160];
	char iommu_flags[256];
	bool passthrough;
	bool acs_override;
	char intremap[64];

	struct ruleset rs;
	struct protect prot;
	struct pci_tree t;
	struct plan pl;
	bool scanned;
	bool config_present;
	const char *config_file;	/* the config file's name, for fixes */
	enum bootloader boot;		/* how this host sets its command line */
	bool amd_cpu;			/* AuthenticAMD in /proc/cpuinfo */
	const char *iommu_hint;		/* how to turn the IOMMU on here */

	char (*msgs)[320];	/* said while reading the rules and the devices */
	size_t nmsgs;
	struct exclusion *excl;	/* devices an exclude rule keeps back */
	size_t nexcl;

	struct rdev *dev;
	size_t ndev;
	struct rgroup *grp;
	size_t ngrp;

	struct boot_state st;
	struct boot_state late;		/* the late pass of this boot */
	struct manual_runs manual;	/* runs by hand on the booted host since */
	struct module_state mods[3];
	struct initrd initrd;

	struct vm_card *cards;		/* ready for a VM, in the order of dev[] */
	size_t ncards;
	char node[64];			/* etc/hostname's first label: the Proxmox node */

	struct legacy_line *legacy;
	size_t nlegacy;
	size_t legacy_ids;

	struct rpf *pf;			/* SR-IOV: report-sriov.c */
	size_t npf;
};

extern const char *const report_severity_names[];
extern const char *const report_verdict_names[];
extern const char *const report_vfio_names[];
extern const char *const report_vfs_state_names[];

/* Rules that match nothing are named one by one up to this many. */
#define REPORT_UNMATCHED_SHOWN 20

/* report-model.c: helpers the parts share. */
const struct rgroup *report_find_group(const struct report *r, int id);
bool report_will_bind(const struct pci_dev *d, const struct plan *pl);
/* Is module @name ("vfio-pci") part of the running kernel, so no image needs its file? */
bool report_module_built_in(const struct report *r, const char *name);
bool report_cmdline_has(const struct report *r, const char *key, const char *val);
void report_append(char *buf, size_t size, const char *sep, const char *s, size_t len);

/*
 * One problem: its severity, its stable code (kebab-case, for tools), the
 * device it is about (0000:BB:SS.F, or NULL for the host as a whole), the
 * fix (or NULL), and the text.
 */
void report_vproblem(struct problems *out, enum severity sev, const char *code,
		     const char *device, const char *fix, const char *fmt, va_list ap)
	_printf_(6, 0);
void report_problem(struct problems *out, enum severity sev, const char *code,
		    const char *device, const char *fix, const char *fmt, ...) _printf_(6, 7);
/* REPORT_OK, REPORT_WARNINGS or REPORT_BLOCKING, and the counts. */
int report_status(const struct problems *p, unsigned *warn, unsigned *block);

/* Whether a problem says a reboot is pending (the config is right, the boot is to come). */
bool report_reboot_pending(const struct problems *p);

/*
 * The report's verdict, one word for the text's last line and the JSON's
 * "status": blocked, warnings, reboot pending, ready, nothing selected.
 */
const char *report_verdict(const struct report *r, const struct problems *p);
/* Frees what report_gather() and report_analyse() allocated. */
void report_free(struct report *r);
void problems_free(struct problems *p);

#endif
