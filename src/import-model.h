/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The model of vfio-early --import, shared by its files (import.c has the
 * whole story): what is read, what is found, and the helpers every file
 * uses.  It sits under the mode's other files and uses none of them.
 */
#ifndef VFIO_EARLY_IMPORT_MODEL_H
#define VFIO_EARLY_IMPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "iommu.h"
#include "modes.h"
#include "pci.h"
#include "util.h"

struct kmod_ctx;

#define IMPORT_DIR_FILES 1024		/* *.conf per directory */
#define IMPORT_IDS_MAX 1024
#define IDS_PER_RULE 64			/* keeps a rule line far below 4096 bytes */
#define IMPORT_WORDS_MAX 256		/* words per logical line */
#define TEXT_SHOWN 160			/* an echoed line is cut after this */
#define WARNINGS_SHOWN 50
#define DEVS_NAMED 4			/* devices named in one explanation */
#define WRAP 78
#define MODS_LEN 256			/* the module names of one device */
/* The "file" of a kernel command line statement. */
#define CMDLINE_WHERE "/proc/cmdline"
#define NO_CARD SIZE_MAX		/* card0[] of a device no id takes */

/* ---- findings: the recipe's lines, as --import and --report show them -------- */

enum legacy_verdict {
	LEGACY_DROP,	/* unnecessary once vfio-early is installed */
	LEGACY_EDIT,	/* part of it is unnecessary */
	LEGACY_KEEP,	/* must stay */
};

struct legacy_line {
	enum legacy_verdict v;
	bool gave_ids;
	bool harms_host;	/* takes a driver from devices the host keeps */
	char *where;	/* "FILE:LINE", or "/proc/cmdline" */
	char *text;	/* the line as written (shortened, made safe) */
	char *edit;	/* LEGACY_EDIT: the line as it should read */
	char *why;
};

void legacy_free(struct legacy_line *v, size_t n);

/* ---- what was found -------------------------------------------------------- */

/* Who reads a statement, and so what it can mean. */
enum entry_src {
	SRC_MODPROBE,		/* modprobe.d */
	SRC_MODULES,		/* /etc/modules, modules-load.d */
	SRC_INITRAMFS,		/* initramfs-tools/modules */
	SRC_DRACUT,		/* dracut.conf.d */
	SRC_CMDLINE,		/* /proc/cmdline */
};

/* One statement as read, before anything is decided about it. */
struct entry {
	enum entry_src src;
	bool in_etc;		/* written by the admin, not shipped by a package */
	char *where;		/* "FILE:LINE" */
	char *text;		/* the logical line; SRC_CMDLINE: the key, NUL, the value */
	size_t len;		/* of the line; SRC_CMDLINE: of the key */
	const char *val;	/* SRC_CMDLINE: the value in @text, NULL without '=' */
	size_t vlen;
};

struct imp {
	const struct mode_ctx *c;
	struct pci_tree t;
	bool have_tree;
	bool *taken;		/* per device of t: the ids select it */
	bool *direct;		/* per device of t: an id names it */
	size_t *card0;		/* per device of t: its card's first function, taken or not */
	struct kmod_ctx *kmod;	/* the root's modules, for modules.alias */
	char (*mods)[MODS_LEN];	/* per device of t: the modules that match it */

	struct pci_ids ids[IMPORT_IDS_MAX];
	size_t nids;
	unsigned id_settings;	/* how many ids= values were seen */

	struct entry *e;	/* every statement, in the order read */
	size_t ne;

	struct legacy_line *f;
	size_t nf;
	char **notes;		/* hidden files and the like */
	size_t nnotes;

	struct {
		dev_t dev;
		ino_t ino;
	} *seen;		/* files already read */
	size_t nseen;

	unsigned warnings;
	enum iommu_vendor iommu;	/* valid once iommu_known */
	bool iommu_known;
	bool oom;
	char kver[128];
};


/* A statement split into words (modprobe.d, module lists, dracut). */
struct stmt {
	const char *where;	/* "FILE:LINE" */
	const char *line;	/* joined text */
	size_t len;
	size_t n;
	const char *w[IMPORT_WORDS_MAX];
	size_t wl[IMPORT_WORDS_MAX];
};

/* Findings and warnings. */
void _printf_(5, 6) imp_warn_at(struct imp *im, const char *where, const char *tok,
				size_t toklen, const char *fmt, ...);

void imp_add_finding(struct imp *im, enum legacy_verdict v, bool gave_ids, char *where,
		     char *text, char *edit, char *why);

void imp_add_note(struct imp *im, char *note);

/* Everything @im holds (not @im itself). */
void imp_free(struct imp *im);

/* Text from files into a growing string (util.h), made safe to show. */
void sb_add_shown(struct sbuf *b, const char *s, size_t n, size_t max);

/* Statements split into words. */
void imp_split_words(struct imp *im, struct stmt *s);

char *imp_words_without(const struct stmt *s, const bool *drop);

void imp_add_stmt_finding(struct imp *im, const struct stmt *s, enum legacy_verdict v,
			  bool gave_ids, char *edit, struct sbuf *why);

/* Ids. */
void imp_format_id(const struct pci_ids *id, char *buf, size_t size);

bool imp_id_matches(const struct pci_ids *id, const struct pci_dev *d);

#endif
