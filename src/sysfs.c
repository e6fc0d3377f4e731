// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The path layer: bounded access to sysfs attributes and links relative to
 * a directory descriptor, paths formatted from a constant and checked
 * components, and a directory iterator that hands out only names that may
 * become part of a path.  pci.c builds the per-device helpers on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "sysfs.h"
#include "util.h"

ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -EOVERFLOW;
	if (memchr(buf, '\0', (size_t)n))
		return -EILSEQ;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return n;
}

ssize_t read_link(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, path, buf, size);

	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

int write_attr(int dirfd, const char *path, const char *s, bool append)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		    (append ? O_APPEND : O_TRUNC);
	size_t len = strlen(s);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, path, flags);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, s, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	/* sysfs reports some store() errors only at close. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

bool sysfs_name_ok(const char *s)
{
	size_t len = strnlen(s, SYSFS_NAME_MAX + 1);

	if (len == 0 || len > SYSFS_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '/' || *s == 0x7f)
			return false;
	return true;
}

/* Append @len bytes of @s at *@used; -ENAMETOOLONG when they do not fit. */
static int put(char *buf, size_t size, size_t *used, const char *s, size_t len)
{
	if (len >= size - *used)
		return -ENAMETOOLONG;
	memcpy(buf + *used, s, len);
	*used += len;
	buf[*used] = '\0';
	return 0;
}

/* One conversion at *@fmt (after the '%'), advancing it; 0 or a negative errno. */
static int convert(char *buf, size_t size, size_t *used, const char **fmt, va_list *ap)
{
	char num[24];
	const char *s;

	switch (*(*fmt)++) {
	case '%':
		return put(buf, size, used, "%", 1);
	case 's':
		s = va_arg(*ap, const char *);
		if (!s || !sysfs_name_ok(s)) {
			log_warn("\"%.64s\": not a sysfs name, no path built", s ? s : "(null)");
			return -EINVAL;
		}
		return put(buf, size, used, s, strlen(s));
	case 'd':
		snprintf(num, sizeof(num), "%d", va_arg(*ap, int));
		break;
	case 'u':
		snprintf(num, sizeof(num), "%u", va_arg(*ap, unsigned));
		break;
	case 'l':
		if (*(*fmt)++ != 'u')
			goto bad;
		snprintf(num, sizeof(num), "%lu", va_arg(*ap, unsigned long));
		break;
	default:
		goto bad;
	}
	return put(buf, size, used, num, strlen(num));
bad:
	log_err("sysfs path format \"%.64s\": unknown conversion, no path built", *fmt);
	return -EINVAL;
}

int sysfs_vpathf(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t used = 0;
	va_list aq;
	int r = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	va_copy(aq, ap);
	while (*fmt && r == 0) {
		size_t lit = strcspn(fmt, "%");

		r = put(buf, size, &used, fmt, lit);
		fmt += lit;
		if (r == 0 && *fmt == '%') {
			fmt++;
			r = convert(buf, size, &used, &fmt, &aq);
		}
	}
	va_end(aq);
	if (r < 0)
		buf[0] = '\0';
	return r < 0 ? r : (int)used;
}

int sysfs_pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sysfs_vpathf(buf, size, fmt, ap);
	va_end(ap);
	return r;
}

/* The formatted helpers: the path into a local @path, or return its error. */
#define FORMAT_PATH(path, fmt)						\
	char path[PATH_MAX];						\
	do {								\
		va_list ap_;						\
		int r_;							\
									\
		va_start(ap_, fmt);					\
		r_ = sysfs_vpathf(path, sizeof(path), fmt, ap_);	\
		va_end(ap_);						\
		if (r_ < 0)						\
			return r_;					\
	} while (0)

ssize_t sysfs_readf(int dirfd, char *buf, size_t size, const char *fmt, ...)
{
	FORMAT_PATH(path, fmt);
	return read_attr(dirfd, path, buf, size);
}

int sysfs_writef(int dirfd, const char *s, bool append, const char *fmt, ...)
{
	FORMAT_PATH(path, fmt);
	return write_attr(dirfd, path, s, append);
}

ssize_t sysfs_readlinkf(int dirfd, char *buf, size_t size, const char *fmt, ...)
{
	FORMAT_PATH(path, fmt);
	return read_link(dirfd, path, buf, size);
}

int sysfs_accessf(int dirfd, int mode, const char *fmt, ...)
{
	FORMAT_PATH(path, fmt);
	return faccessat(dirfd, path, mode, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int sysfs_openf(int dirfd, int flags, const char *fmt, ...)
{
	int fd;

	FORMAT_PATH(path, fmt);
	fd = openat(dirfd, path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

char *sysfs_read_filef(int dirfd, size_t max, size_t *len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sysfs_vpathf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return read_file_at(dirfd, path, max, len);
}

int sysfs_opendir(struct sysfs_dir *d, int dirfd, const char *path)
{
	int fd;

	memset(d, 0, sizeof(*d));
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d->dir = fdopendir(fd);
	if (!d->dir) {
		int r = -errno;

		close(fd);
		return r;
	}
	return 0;
}

int sysfs_opendirf(struct sysfs_dir *d, int dirfd, const char *fmt, ...)
{
	memset(d, 0, sizeof(*d));
	{
		FORMAT_PATH(path, fmt);
		return sysfs_opendir(d, dirfd, path);
	}
}

const char *sysfs_dir_next(struct sysfs_dir *d)
{
	struct dirent *e;

	if (!d->dir || d->err)
		return NULL;
	while ((errno = 0, e = readdir(d->dir))) {
		if (sysfs_name_ok(e->d_name))
			return e->d_name;
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			d->skipped++;
	}
	if (errno)
		d->err = -errno;
	return NULL;
}

int sysfs_dir_close(struct sysfs_dir *d)
{
	if (d->dir)
		closedir(d->dir);
	d->dir = NULL;
	return d->err;
}
