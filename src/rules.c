// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "rules.h"

void ruleset_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->v);
	free(rs->root_spec);
	free(rs->resume_spec);
	free(rs->net_root);
	free(rs->net_dev);
	memset(rs, 0, sizeof(*rs));
}

int ruleset_add(struct ruleset *rs, const struct rule *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		struct rule *v;

		if (rs->n >= RULES_MAX) {
			rule_error(rs, r->file ? r->file : "/proc/cmdline", r->line, r->token,
				   strlen(r->token), "too many rules (at most 4096), ignored");
			return -ENOSPC;
		}
		if (cap > RULES_MAX)
			cap = RULES_MAX;
		v = realloc(rs->v, cap * sizeof(*v));
		if (!v) {
			rule_error(rs, r->file ? r->file : "/proc/cmdline", r->line, r->token,
				   strlen(r->token), "out of memory, ignored");
			return -ENOMEM;
		}
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

const char *ruleset_intern(struct ruleset *rs, const char *file)
{
	char **v;

	for (size_t i = 0; i < rs->nfiles; i++)
		if (strcmp(rs->files[i], file) == 0)
			return rs->files[i];
	v = realloc(rs->files, (rs->nfiles + 1) * sizeof(*v));
	if (!v)
		return "(config)";
	rs->files = v;
	v[rs->nfiles] = strdup(file);
	if (!v[rs->nfiles])
		return "(config)";
	return v[rs->nfiles++];
}

void rule_error(struct ruleset *rs, const char *file, unsigned line, const char *tok,
		size_t toklen, const char *why)
{
	rs->errors++;
	if (rs->quiet_errors || rs->errors > RULE_ERRORS_LOGGED)
		return;
	if (toklen > 64)
		toklen = 64;
	if (line)
		log_warn("%s:%u: %.*s: %s", file, line, (int)toklen, tok, why);
	else
		log_warn("%s: %.*s: %s", file, (int)toklen, tok, why);
}

void ruleset_flush_errors(struct ruleset *rs)
{
	if (!rs->quiet_errors && rs->errors > RULE_ERRORS_LOGGED)
		log_warn("%u more rule error%s not shown", rs->errors - RULE_ERRORS_LOGGED,
			 plural(rs->errors - RULE_ERRORS_LOGGED));
}

void rule_origin(const struct rule *r, char *buf, size_t size)
{
	if (r->key)
		snprintf(buf, size, "cmdline %s", r->key);
	else if (r->line)
		snprintf(buf, size, "%s:%u", r->file, r->line);
	else
		snprintf(buf, size, "%s", r->file);
}

bool rule_matches_ids(const struct rule *r, uint16_t vendor, uint16_t device,
		      uint16_t subvendor, uint16_t subdevice)
{
	const struct pci_ids *ids = &r->u.ids;

	if (r->kind != RULE_IDS || ids->vendor != vendor || ids->device != device)
		return false;
	return !ids->has_sub || (ids->subvendor == subvendor && ids->subdevice == subdevice);
}

bool rule_matches_addr(const struct rule *r, const struct pci_addr *a)
{
	const struct pci_addr *x = &r->u.addr;

	if (r->kind != RULE_ADDR)
		return false;
	return x->domain == a->domain && x->bus == a->bus && x->slot == a->slot &&
	       (!x->has_func || x->func == a->func);
}

bool rule_matches_class(const struct rule *r, uint32_t cls)
{
	return r->kind == RULE_CLASS && (cls & r->u.cls.mask) == r->u.cls.value;
}

/*
 * The methods the kernel's reset_method attribute knows (drivers/pci/pci.c,
 * pci_reset_fn_methods; cxl_bus since 6.7).  A name outside this list is a
 * typo in the config; a name in it the device lacks is the kernel's to
 * refuse, at bind time.
 */
static const char *const reset_methods[] = {
	"device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus",
};

int parse_reset_method(const char *s, size_t len, char out[RESET_METHOD_LEN],
		       const char **why, const char **bad, size_t *badlen)
{
	size_t used = 0, n = 0;
	bool seen[ARRAY_SIZE(reset_methods)] = { false };

	*bad = s;
	*badlen = len;
	if (len == 7 && memcmp(s, "default", 7) == 0) {
		memcpy(out, "default", 8);
		return 0;
	}
	for (const char *p = s, *end = s + len; p <= end; n++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t wl = comma ? (size_t)(comma - p) : (size_t)(end - p);
		size_t i;

		*bad = p;
		*badlen = wl;
		for (i = 0; i < ARRAY_SIZE(reset_methods); i++)
			if (name_eq(p, wl, reset_methods[i]))
				break;
		if (i == ARRAY_SIZE(reset_methods)) {
			*why = wl ? "unknown reset method (device_specific, acpi, flr, af_flr, "
				    "pm, bus, cxl_bus, or default alone)"
				  : "empty reset method";
			return -EINVAL;
		}
		if (seen[i]) {
			*why = "reset method named twice";
			return -EINVAL;
		}
		seen[i] = true;
		if (used + wl + 1 >= RESET_METHOD_LEN) {
			*why = "too many reset methods";
			return -EINVAL;
		}
		if (used)
			out[used++] = ' ';
		memcpy(out + used, p, wl);
		used += wl;
		out[used] = '\0';
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}
