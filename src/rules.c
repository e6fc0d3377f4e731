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
	if (rs->errors > RULE_ERRORS_LOGGED)
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
	if (rs->errors > RULE_ERRORS_LOGGED)
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
