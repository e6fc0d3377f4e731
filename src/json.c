// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* The comma before a value, unless it follows a key or opens a container. */
static void separate(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open_container(struct json *j, char c)
{
	separate(j);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_DEPTH_MAX)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_begin_object(struct json *j)
{
	open_container(j, '{');
}

void json_end_object(struct json *j)
{
	close_container(j, '}');
}

void json_begin_array(struct json *j)
{
	open_container(j, '[');
}

void json_end_array(struct json *j)
{
	close_container(j, ']');
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void put_string(struct json *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', j->f);
	while (*s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			fputc('\\', j->f);
			fputc(*s++, j->f);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(j->f, "\\u%04x", *s++);
		} else if ((n = utf8_len(s)) == 0) {
			fputs("\\ufffd", j->f);
			s++;
		} else {
			fwrite(s, 1, n, j->f);
			s += n;
		}
	}
	fputc('"', j->f);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	put_string(j, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	separate(j);
	put_string(j, s);
}

void json_null(struct json *j)
{
	separate(j);
	fputs("null", j->f);
}

void json_kstr(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s ? s : "");
}

void json_kstr_or_null(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	if (s)
		json_str(j, s);
	else
		json_null(j);
}

void json_ktext(struct json *j, const char *key, const char *s)
{
	json_kstr_or_null(j, key, s && *s ? s : NULL);
}

void json_kint_known(struct json *j, const char *key, long long v)
{
	if (v >= 0)
		json_kint(j, key, v);
	else
		json_knull(j, key);
}

void json_kid(struct json *j, const char *key, unsigned v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%04x", v & 0xffff);
	json_kstr(j, key, buf);
}

void json_kbool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	separate(j);
	fputs(v ? "true" : "false", j->f);
}

void json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	separate(j);
	fprintf(j->f, "%lld", v);
}

void json_kuint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	separate(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_knull(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}
