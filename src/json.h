/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_JSON_H
#define VFIO_EARLY_JSON_H

/*
 * A streaming JSON writer that always produces valid JSON: strings are
 * escaped, and bytes that are not valid UTF-8 become U+FFFD.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *f;
	unsigned depth;
	bool first[JSON_DEPTH_MAX];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_null(struct json *j);

void json_kstr(struct json *j, const char *key, const char *s);
void json_kstr_or_null(struct json *j, const char *key, const char *s);
/* The report's rule: a text, or null when it is absent or empty, never "". */
void json_ktext(struct json *j, const char *key, const char *s);
/* A number that is unknown when negative (an IOMMU group, a NUMA node): null then. */
void json_kint_known(struct json *j, const char *key, long long v);
/* A PCI id: four lowercase hex digits, as lspci -n prints it. */
void json_kid(struct json *j, const char *key, unsigned v);
void json_kbool(struct json *j, const char *key, bool v);
void json_kint(struct json *j, const char *key, long long v);
void json_kuint(struct json *j, const char *key, uint64_t v);
void json_knull(struct json *j, const char *key);

#endif
