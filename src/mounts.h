/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MOUNTS_H
#define VFIO_EARLY_MOUNTS_H
/*
 * Line parsers for the tables that say what a host mounts: mountinfo,
 * fstab, crypttab and /proc/swaps.  Pure functions: each takes one line
 * (modified in place, fields NUL-terminated and unescaped) and fills
 * pointers into it.
 */
#include <stdbool.h>

/* One line of /proc/self/mountinfo. */
struct mountinfo_entry {
	unsigned long major;
	unsigned long minor;
	char *root;		/* the mount's root within its filesystem */
	char *target;		/* mount point */
	char *fstype;
	char *source;
};

/* 0, or -EINVAL for a line that is not a mountinfo entry. */
int mountinfo_parse_line(char *line, struct mountinfo_entry *m);

/* One entry of fstab(5). */
struct fstab_entry {
	char *spec;		/* UUID=..., /dev/..., server:/path, pool/dataset */
	char *target;
	char *fstype;
	char *opts;		/* "defaults" when the field is absent */
};

/* 0 for an entry, 1 for a blank or comment line, -EINVAL when malformed. */
int fstab_parse_line(char *line, struct fstab_entry *e);

/* One entry of crypttab(5). */
struct crypttab_entry {
	char *name;
	char *source;		/* UUID=..., PARTUUID=..., /dev/... */
	char *opts;		/* "" when absent */
};

/* 0 for an entry, 1 for a blank or comment line, -EINVAL when malformed. */
int crypttab_parse_line(char *line, struct crypttab_entry *e);

/* The file name of a /proc/swaps line; 1 for the header, -EINVAL. */
int swaps_parse_line(char *line, char **filename);

/* Is @name one of the comma-separated options in @opts? */
bool mount_opt_has(const char *opts, const char *name);


#endif
