/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_RULES_H
#define VFIO_EARLY_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"
#include "util.h"

enum rule_kind {
	RULE_IDS,
	RULE_ADDR,
	RULE_PATH,
	RULE_CLASS,
};

enum rule_opt {
	OPT_EXPECT = 1 << 0,		/* expect=VVVV:DDDD */
	OPT_FUNCS_ONE = 1 << 1,		/* functions=one */
	OPT_FUNCS_ALL = 1 << 2,		/* functions=all */
	OPT_WHOLE_GROUP = 1 << 3,	/* whole-group */
	OPT_BOOT_VGA = 1 << 4,		/* allow-boot-vga */
	OPT_STORAGE = 1 << 5,		/* allow-storage */
	OPT_NETWORK = 1 << 6,		/* allow-network */
	OPT_RESET_METHOD = 1 << 7,	/* reset_method=METHOD[,METHOD...] */
	OPT_D3COLD_OFF = 1 << 8,	/* d3cold=off */
	OPT_D3COLD_ON = 1 << 9,		/* d3cold=on */
	OPT_IDLE_D3_OFF = 1 << 10,	/* disable_idle_d3 (vfio-pci's, for every device) */
	OPT_VFS = 1 << 11,		/* vfs=N: the PF stays, N SR-IOV VFs go to vfio-pci */
	OPT_DRIVER = 1 << 12,		/* driver=vfio-pci|NAME (without it: driver=auto) */
};

/* "flr bus": the methods as the kernel's reset_method attribute takes them. */
#define RESET_METHOD_LEN 64
/* vfs=N: no PF has more (PCIe allows 65535; real ones stop at a few hundred). */
#define VFS_MAX 4096
/* driver=NAME: a module name, as modules.alias spells them. */
#define RULE_DRIVER_LEN 56

#define RULE_TOKEN_LEN 64

struct rule {
	enum rule_kind kind;
	bool exclude;
	unsigned opts;
	union {
		struct pci_ids ids;
		struct pci_addr addr;
		struct path_spec path;
		struct class_spec cls;
	} u;
	uint16_t expect_vendor;
	uint16_t expect_device;
	char reset_method[RESET_METHOD_LEN];
	unsigned vfs;			/* vfs=N */
	unsigned from_vfs;		/* a VF's address rule that vfs=N made: N */
	char driver[RULE_DRIVER_LEN];	/* driver=: "vfio-pci" or a variant's module */
	/* Where it was written: FILE:LINE, or the command-line KEY. */
	const char *file;
	unsigned line;
	const char *key;
	char token[RULE_TOKEN_LEN];
	unsigned matches;
	bool legacy;		/* vfio-pci's own ids= (command line or modprobe.d) */
};

/* Cap on rules from all sources; more are reported and dropped. */
#define RULES_MAX 4096
/* Rule errors logged one by one before the rest are only counted. */
#define RULE_ERRORS_LOGGED 20

struct ruleset {
	struct rule *v;
	size_t n;
	size_t cap;
	unsigned errors;
	bool quiet_errors;	/* count rule errors, log none: an earlier pass did */
	/* From the kernel command line. */
	bool off;
	bool allow_boot_vga;
	bool dry_run;
	char *root_spec;	/* root=, NULL when absent */
	char *resume_spec;	/* resume= */
	char *net_root;		/* the parameter that puts the root on the network */
	char *net_dev;		/* the interface ip= names */
	/* Interned file names that rules point to. */
	char **files;
	size_t nfiles;
};

void ruleset_free(struct ruleset *rs);

/* Adds a copy of @r; reports (and counts) an error when full or out of memory. */
int ruleset_add(struct ruleset *rs, const struct rule *r);

/* Keeps a copy of @file for the rules' lifetime. */
const char *ruleset_intern(struct ruleset *rs, const char *file);

/* "FILE:LINE: TOKEN: WHY", logged as a warning and counted. */
void rule_error(struct ruleset *rs, const char *file, unsigned line, const char *tok,
		size_t toklen, const char *why);
/* Logs how many errors were not logged one by one. */
void ruleset_flush_errors(struct ruleset *rs);

/* "FILE:LINE" or "cmdline KEY". */
void rule_origin(const struct rule *r, char *buf, size_t size);

/* Does the rule, taken alone, match these ids / this address / class? */
bool rule_matches_ids(const struct rule *r, uint16_t vendor, uint16_t device,
		      uint16_t subvendor, uint16_t subdevice);
bool rule_matches_addr(const struct rule *r, const struct pci_addr *a);
bool rule_matches_class(const struct rule *r, uint32_t cls);

/*
 * A reset_method= value ("flr,bus", "default") into the kernel's form
 * ("flr bus") in @out; 0, or -EINVAL with *@why and the offending method
 * in *@bad / *@badlen.
 */
int parse_reset_method(const char *s, size_t len, char out[RESET_METHOD_LEN],
		       const char **why, const char **bad, size_t *badlen);

#endif
