// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mountinfo, fstab, crypttab and /proc/swaps, one line at a time.
 *
 * The kernel and fstab(5) both write a space inside a field as \040 (and a
 * tab, newline and backslash as \011, \012 and \134); fields are unescaped
 * in place after the line is split.
 */
#include <errno.h>
#include <string.h>

#include "mounts.h"
#include "util.h"

/* \NNN (three octal digits) to the byte it stands for, in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			char c = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));

			/* A NUL would cut the field short: keep the escape. */
			if (c != '\0') {
				*w++ = c;
				r += 3;
				continue;
			}
		}
		*w++ = *r;
	}
	*w = '\0';
}

/* Split @line into at most @max blank-separated fields; returns how many. */
static unsigned split_fields(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *s = line;

	while (n < max) {
		while (is_blank(*s))
			s++;
		if (!*s || *s == '\n' || *s == '\r')
			break;
		f[n++] = s;
		while (*s && !is_blank(*s) && *s != '\n' && *s != '\r')
			s++;
		if (!*s)
			break;
		*s++ = '\0';
	}
	return n;
}

static int parse_devno(const char *s, unsigned long *major, unsigned long *minor)
{
	const char *colon = strchr(s, ':');

	if (!colon || parse_dec(s, (size_t)(colon - s), 4095, major) < 0 ||
	    parse_dec(colon + 1, strlen(colon + 1), 1048575, minor) < 0)
		return -EINVAL;
	return 0;
}

/*
 * id parent MAJ:MIN root mountpoint options [optional fields...] - fstype
 * source superoptions
 */
int mountinfo_parse_line(char *line, struct mountinfo_entry *m)
{
	char *f[64];
	unsigned n = split_fields(line, f, ARRAY_SIZE(f)), sep;

	memset(m, 0, sizeof(*m));
	if (n < 9)
		return -EINVAL;
	for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
		;
	if (sep + 2 >= n || parse_devno(f[2], &m->major, &m->minor) < 0)
		return -EINVAL;
	m->root = f[3];
	m->target = f[4];
	m->fstype = f[sep + 1];
	m->source = f[sep + 2];
	unescape_octal(m->root);
	unescape_octal(m->target);
	unescape_octal(m->source);
	return 0;
}

static bool is_comment(char *const *f, unsigned n)
{
	return n == 0 || f[0][0] == '#';
}

int fstab_parse_line(char *line, struct fstab_entry *e)
{
	char *f[6];
	unsigned n = split_fields(line, f, ARRAY_SIZE(f));

	memset(e, 0, sizeof(*e));
	if (is_comment(f, n))
		return 1;
	if (n < 3)
		return -EINVAL;
	e->spec = f[0];
	e->target = f[1];
	e->fstype = f[2];
	e->opts = n > 3 ? f[3] : "defaults";
	unescape_octal(e->spec);
	unescape_octal(e->target);
	return 0;
}

int crypttab_parse_line(char *line, struct crypttab_entry *e)
{
	char *f[4];
	unsigned n = split_fields(line, f, ARRAY_SIZE(f));

	memset(e, 0, sizeof(*e));
	if (is_comment(f, n))
		return 1;
	if (n < 2)
		return -EINVAL;
	e->name = f[0];
	e->source = f[1];
	e->opts = n > 3 ? f[3] : "";
	return 0;
}

/* Filename Type Size Used Priority */
int swaps_parse_line(char *line, char **filename)
{
	char *f[5];
	unsigned n = split_fields(line, f, ARRAY_SIZE(f));

	*filename = NULL;
	if (n >= 1 && strcmp(f[0], "Filename") == 0)
		return 1;
	if (n < 2)
		return -EINVAL;
	unescape_octal(f[0]);
	*filename = f[0];
	return 0;
}

bool mount_opt_has(const char *opts, const char *name)
{
	size_t len = strlen(name);

	for (const char *s = opts; s && *s;) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == len && memcmp(s, name, len) == 0)
			return true;
		s = e ? e + 1 : NULL;
	}
	return false;
}
