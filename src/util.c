// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small helpers shared by every part of vfio-early: number parsing, whole
 * files read relative to a directory descriptor, bounded path formatting.
 * The sysfs attributes and links are sysfs.c's.
 */
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int parse_hex(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 16)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = hexval((unsigned char)s[i]);

		if (d < 0)
			return -EINVAL;
		v = v * 16 + (unsigned long)d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_dec(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		char x = a[i] == '-' ? '_' : a[i];
		char y = b[i] == '-' ? '_' : b[i];

		if (y == '\0' || x != y)
			return false;
	}
	return b[i] == '\0';
}

char *read_file_at(int dirfd, const char *path, size_t max, size_t *len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	char *buf;
	size_t cap, used = 0;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return NULL;
	}
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) ||
	    S_ISBLK(st.st_mode)) {
		/* /proc files are regular; anything else could block. */
		errno = EINVAL;
		return NULL;
	}
	/*
	 * procfs reports size 0: grow as we go, up to the cap.  Room for @max
	 * bytes, one more to tell a file of exactly @max bytes from a longer
	 * one, and the NUL.
	 */
	cap = st.st_size > 0 && (size_t)st.st_size <= max ? (size_t)st.st_size + 2 : 4096;
	if (cap > max + 2)
		cap = max + 2;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		ssize_t n;

		if (used == cap - 1) {
			char *nb;

			if (used > max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*len = used;
	return buf;
}

const char *path_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

unsigned name_distance(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	unsigned row[40], prev;

	if (al >= 39 || bl >= 39)
		return 3;
	for (size_t j = 0; j <= bl; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= al; i++) {
		char x = a[i - 1] == '-' ? '_' : a[i - 1];

		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= bl; j++) {
			char y = b[j - 1] == '-' ? '_' : b[j - 1];
			unsigned best = prev + (x != y);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = row[j];
			row[j] = best;
		}
	}
	return row[bl] < 3 ? row[bl] : 3;
}

char *util_next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

/* ---- a growing buffer ----------------------------------------------------- */

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void _printf_(2, 3) sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_addn(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_addn(b, big, (size_t)n);
	free(big);
}

char *sb_take(struct sbuf *b)
{
	char *s = b->s;

	if (b->oom || !s) {
		free(s);
		s = b->oom ? NULL : strdup("");
	}
	memset(b, 0, sizeof(*b));
	return s;
}

/* ---- a file replaced whole ------------------------------------------------ */

FILE *file_begin(int dirfd, const char *tmp)
{
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = e;
	}
	return f;
}

int file_commit(FILE *f, int dirfd, const char *tmp, const char *dest)
{
	int r = 0;

	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, dest) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0);
	return r;
}
