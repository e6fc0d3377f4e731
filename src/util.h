/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_UTIL_H
#define VFIO_EARLY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/types.h>

/* The Makefile sets it; a build without it still says something. */
#ifndef VERSION
#define VERSION "0.1"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _wur_ __attribute__((warn_unused_result))

/* The ending of a counted noun: "%u device%s", n, plural(n). */
static inline const char *plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Value of one hex digit, or -1. */
/* The one blank of every parser: space, tab, and the carriage return a
 * file edited on another system leaves at line ends. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse exactly @len characters of @s as hex; fails (-EINVAL) on an empty
 * string, on any non-hex character, and when the value exceeds @max.
 */
int parse_hex(const char *s, size_t len, unsigned long max, unsigned long *out);

/* Parse a decimal number made of digits only, at most @max. */
int parse_dec(const char *s, size_t len, unsigned long max, unsigned long *out);

/* Compare an option name, treating '-' and '_' as the same character. */
bool name_eq(const char *a, size_t alen, const char *b);

/*
 * Edit distance of a short name to @b ('-' and '_' the same), capped at 3:
 * how far a typo is from a known word.
 */
unsigned name_distance(const char *a, size_t al, const char *b);

/*
 * Read a whole regular file of at most @max bytes.  Returns a malloc'ed
 * NUL-terminated buffer and its length in @len, or NULL with errno set
 * (EFBIG when larger than @max).
 */
char *read_file_at(int dirfd, const char *path, size_t max, size_t *len);

/* Last component of a path (the part after the final '/'). */
const char *path_basename(const char *path);

/*
 * snprintf that reports truncation as -ENAMETOOLONG, for building paths.
 * A truncated path names another file: the result must be checked.
 */
/*
 * Iterate over the lines of a NUL-terminated buffer, splitting it in
 * place: returns the next line and advances *@cursor, or NULL at the end.
 */
char *util_next_line(char **cursor);

/*
 * A growing buffer: text, or bytes (an archive); always NUL-terminated
 * after len.  Out of memory sticks (oom) and makes sb_take() return NULL.
 */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_add(struct sbuf *b, const char *s);
void sb_addf(struct sbuf *b, const char *fmt, ...) _printf_(2, 3);
/* The buffer's contents (the caller frees them; "" when empty), the buffer emptied. */
char *sb_take(struct sbuf *b);

/*
 * A file replaced whole: file_begin() creates @tmp below @dirfd (0644,
 * never through a link) and gives a stream, or NULL with errno;
 * file_commit() flushes and closes it and renames @tmp over @dest: 0, or
 * -errno with @tmp removed and @dest as it was.
 */
FILE *file_begin(int dirfd, const char *tmp);
int file_commit(FILE *f, int dirfd, const char *tmp, const char *dest);

int xsnprintf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4) _wur_;

#endif
