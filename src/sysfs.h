/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_SYSFS_H
#define VFIO_EARLY_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

#endif
