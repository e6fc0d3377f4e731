/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_SYSFS_H
#define VFIO_EARLY_SYSFS_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util.h"

/*
 * The path layer: every file below the root that is named from run-time
 * text (a device name, a link target, a directory entry) is reached through
 * the formatted helpers here, in the manner of util-linux's ul_path.
 *
 * A format is a constant the caller spells; it understands %s, %d, %u, %lu
 * and %%.  Each %s argument must be one path component (sysfs_name_ok()):
 * a name holding '/', starting with '.', or holding a blank or a control
 * character is refused (-EINVAL, logged) and no path is built from it.
 * So "sys/class/net/%s/device" with a name that came from a directory
 * entry, a link target or the command line names a file of that directory
 * and nothing else.
 */

/* Longest component: NAME_MAX. */
#define SYSFS_NAME_MAX 255

/*
 * One path component: 1 to SYSFS_NAME_MAX bytes, no '/', not starting with
 * '.' (so neither "." nor ".."), no byte below '!' (blanks, control
 * characters) and no DEL.  '-', ':', '.', '+', '@' pass: vfio-dev,
 * 0000:01:00.0, nvme-subsys0, a btrfs fsid, an interface name.
 */
bool sysfs_name_ok(const char *s);

/*
 * The path @fmt names into @buf: its length, -EINVAL for a refused
 * component or an unknown conversion (both logged), -ENAMETOOLONG when it
 * does not fit.
 */
int sysfs_pathf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4) _wur_;
int sysfs_vpathf(char *buf, size_t size, const char *fmt, va_list ap) _printf_(3, 0) _wur_;

/*
 * Read a small sysfs attribute relative to @dirfd into @buf, NUL-terminated,
 * trailing newlines removed.  One open, one read, one close.  Returns the
 * length, or a negative errno: -EOVERFLOW when the content fills the buffer
 * (every attribute we read is far shorter), -EILSEQ when it holds a NUL byte.
 */
ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size);

/*
 * Write @s to an existing file relative to @dirfd (never creates one).
 * @append selects O_APPEND (bus files such as drivers_probe) instead of
 * O_TRUNC (attributes such as driver_override).  A short write is -EIO.
 */
int write_attr(int dirfd, const char *path, const char *s, bool append);

/* readlinkat() into @buf, NUL-terminated; -ENAMETOOLONG when truncated. */
ssize_t read_link(int dirfd, const char *path, char *buf, size_t size);

/* The same on a formatted path; a path that cannot be built is its error. */
ssize_t sysfs_readf(int dirfd, char *buf, size_t size, const char *fmt, ...) _printf_(4, 5);
int sysfs_writef(int dirfd, const char *s, bool append, const char *fmt, ...) _printf_(4, 5);
ssize_t sysfs_readlinkf(int dirfd, char *buf, size_t size, const char *fmt, ...)
	_printf_(4, 5);

/* faccessat(F_OK or @mode, AT_SYMLINK_NOFOLLOW): 0 or a negative errno. */
int sysfs_accessf(int dirfd, int mode, const char *fmt, ...) _printf_(3, 4);

/* openat(O_CLOEXEC | @flags): the descriptor or a negative errno. */
int sysfs_openf(int dirfd, int flags, const char *fmt, ...) _printf_(3, 4);

/* read_file_at() on a formatted path: NULL with errno set on failure. */
char *sysfs_read_filef(int dirfd, size_t max, size_t *len, const char *fmt, ...)
	_printf_(4, 5);

/*
 * A directory iterator.  sysfs_dir_next() returns the entries that are
 * path components (sysfs_name_ok()): "." and ".." are skipped, and so is
 * any other name that could not become part of a path (counted in
 * @skipped).  Everything it returns may go into a %s of the helpers above.
 */
struct sysfs_dir {
	DIR *dir;
	int err;		/* a readdir() failure, as a negative errno */
	unsigned skipped;	/* entries that are not path components */
};

/* Every sysfs_dir starts so, for _cleanup_dir_ to find nothing to close. */
#define SYSFS_DIR_INIT { .dir = NULL }

/* Open the directory @fmt names: 0 or a negative errno (d->dir NULL). */
int sysfs_opendirf(struct sysfs_dir *d, int dirfd, const char *fmt, ...) _printf_(3, 4);

/* The same on a path the caller has (a constant, or the capture's own). */
int sysfs_opendir(struct sysfs_dir *d, int dirfd, const char *path);

/* The next entry's name, NULL at the end or on an error (then d->err). */
const char *sysfs_dir_next(struct sysfs_dir *d);

/* Close it (a closed or never opened one too): d->err, 0 when the walk was whole. */
int sysfs_dir_close(struct sysfs_dir *d);

static inline void sysfs_dir_closep(struct sysfs_dir *d)
{
	sysfs_dir_close(d);
}

#define _cleanup_dir_ _cleanup_(sysfs_dir_closep)

#endif
