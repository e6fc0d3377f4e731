/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MODPROBE_CONF_H
#define VFIO_EARLY_MODPROBE_CONF_H

/*
 * The one reader of modprobe.d(5), as libkmod reads it: which files, in
 * which order, their logical lines, and the words of an options line.
 * modload (under a test root), --import and --capture use it; on a live
 * host libkmod reads the same files itself.
 */
#include <stdbool.h>
#include <stddef.h>

/*
 * The directories under the root, in libkmod's order of precedence: a file
 * hides the same-named files of the directories after it.
 */
#define MODPROBE_NDIRS 5
extern const char *const modprobe_dirs[MODPROBE_NDIRS];

#define CONF_DIRS_MAX 8
#define CONF_FILE_MAX (1u << 20)	/* a larger file is not read */

/* One file to read. */
struct conf_file {
	char *name;
	size_t dir;		/* index into the list's directories */
	bool masked;		/* a link to /dev/null, or empty: nothing to read */
};

/* A file that a same-named file of an earlier directory hides. */
struct conf_hidden {
	char *name;
	size_t dir;		/* where it is */
	size_t by;		/* the directory of the file that hides it */
	bool by_masked;		/* that file is a link to /dev/null */
};

/*
 * The *.conf files of a set of directories (modprobe.d, modules-load.d and
 * the like share the rules): sorted by name, each name once, from the
 * first directory that has it.  A directory that is an earlier one under
 * another name (/lib on a merged-/usr system) is read once.
 */
struct conf_list {
	const char *const *dirs;
	size_t ndirs;
	int fd[CONF_DIRS_MAX];	/* -1: absent, or the same as an earlier one */
	bool full[CONF_DIRS_MAX];	/* more files than the limit: the rest were left out */
	struct conf_file *v;
	size_t n;
	struct conf_hidden *hidden;
	size_t nhidden;
};

/*
 * List @dirs (relative to @rootfd), at most @max_files files a directory.
 * 0, or -ENOMEM (what was listed stays listed).  Free with conf_list_free().
 */
int conf_list_open(struct conf_list *cl, int rootfd, const char *const *dirs, size_t ndirs,
		   size_t max_files);
void conf_list_free(struct conf_list *cl);

/* conf_list_open() of modprobe_dirs: the files libkmod reads. */
int modprobe_conf_open(struct conf_list *cl, int rootfd, size_t max_files);

/* The contents of file @i (at most CONF_FILE_MAX); NULL with errno. */
char *conf_list_read(const struct conf_list *cl, size_t i, size_t *len);

/* "DIR/NAME" of file @i, relative to the root, into @buf.  0 or -ENAMETOOLONG. */
int conf_list_path(const struct conf_list *cl, size_t i, char *buf, size_t size);

/*
 * Logical lines of a modprobe.d file: a backslash before a newline joins
 * the next line (both go, as in libkmod).  Each line is copied into @buf,
 * NUL-terminated, cut at @size - 1 bytes (a buffer one byte longer than
 * the file never cuts); @lineno is its first physical line.
 */
struct modprobe_lines {
	const char *p;
	const char *end;
	unsigned next;		/* the number of the last line read */
};
void modprobe_lines_init(struct modprobe_lines *it, const char *buf, size_t len);
bool modprobe_next_line(struct modprobe_lines *it, char *buf, size_t size, size_t *len,
			unsigned *lineno);

/*
 * A statement as libkmod splits it: the command, the module, and the rest
 * of the line.  False for a blank line or a comment (a first word that
 * starts with '#'); a missing module or rest is empty.
 */
struct modprobe_stmt {
	const char *cmd;
	size_t cmdlen;
	const char *mod;
	size_t modlen;
	const char *rest;
	size_t restlen;
};
bool modprobe_split(const char *line, size_t len, struct modprobe_stmt *st);

/* The commands of modprobe.d(5). */
enum modprobe_cmd {
	MODPROBE_UNKNOWN,
	MODPROBE_ALIAS,
	MODPROBE_OPTIONS,
	MODPROBE_INSTALL,
	MODPROBE_REMOVE,
	MODPROBE_SOFTDEP,
	MODPROBE_WEAKDEP,
	MODPROBE_BLACKLIST,
	MODPROBE_INCLUDE,
	MODPROBE_CONFIG,
};

/* The command @w names; *@min_words: the words a statement of it needs. */
enum modprobe_cmd modprobe_command(const char *w, size_t len, size_t *min_words);

/*
 * The words of an options value, as the kernel splits a module's
 * parameters: blanks separate them, double quotes protect blanks, a value
 * wrapped in quotes (ids="10de:2204,10de:1aef") is given without them.
 * "#" is no comment here: libkmod passes the whole rest of the line.
 */
struct modprobe_opt {
	const char *word;	/* as written, quotes and all */
	size_t wlen;
	const char *key;
	size_t klen;
	const char *val;	/* NULL without '=' */
	size_t vlen;
};
bool modprobe_next_opt(const char **pos, const char *end, struct modprobe_opt *o);

/*
 * @module's options as libkmod gives them to the kernel on the machine
 * under @rootfd: every "options MODULE ..." line of its modprobe.d in
 * order, then MODULE.KEY=VALUE of its kernel command line, joined by
 * spaces.  NULL when out of memory.
 */
char *modprobe_options(int rootfd, const char *module);

#endif
