// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: the names and small helpers every part of the
 * report shares (report-model.h), below all of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "report-model.h"

const char *const report_severity_names[] = { "note", "pending", "warning", "blocking" };

const char *const report_vfio_names[] = {
	"not checked", "viable", "not viable", "busy", "no node", "failed",
};

/* enum vfs_state, as the JSON's sriov[].vfs_state says it. */
const char *const report_vfs_state_names[] = {
	"no rule", "not sr-iov", "in place", "count differs", "over total", "no driver",
	"to make",
};

const char *const report_verdict_names[] = {
	"ready", "pending", "partial", "candidate", "shared", "blocked",
};

bool report_cmdline_has(const struct report *r, const char *key, const char *val)
{
	const char *pos = r->cmdline, *end;
	struct cmdline_tok t;

	if (!r->cmdline)
		return false;
	end = r->cmdline + r->cmdline_len;
	while (cmdline_next(&pos, end, &t)) {
		if (!name_eq(t.key, t.klen, key))
			continue;
		if (!val || (t.val && strlen(val) == t.vlen && strncmp(t.val, val, t.vlen) == 0))
			return true;
	}
	return false;
}

void report_append(char *buf, size_t size, const char *sep, const char *s, size_t len)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%.*s", used ? sep : "", (int)len, s);
}

void report_vproblem(struct problems *out, enum severity sev, const char *code,
		     const char *device, const char *fix, const char *fmt, va_list ap)
{
	struct problem *p, *v;

	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v)
		return;
	out->v = v;
	p = &out->v[out->n++];
	p->sev = sev;
	snprintf(p->code, sizeof(p->code), "%s", code);
	snprintf(p->device, sizeof(p->device), "%s", device ? device : "");
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	snprintf(p->fix, sizeof(p->fix), "%s", fix ? fix : "");
}

void report_problem(struct problems *out, enum severity sev, const char *code,
		    const char *device, const char *fix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_vproblem(out, sev, code, device, fix, fmt, ap);
	va_end(ap);
}

const struct rgroup *report_find_group(const struct report *r, int id)
{
	for (size_t i = 0; i < r->ngrp; i++)
		if (r->grp[i].id == id)
			return &r->grp[i];
	return NULL;
}

bool report_module_built_in(const struct report *r, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		if (r->mods[i].name && strcmp(r->mods[i].name, name) == 0)
			return strcmp(r->mods[i].state, "built in") == 0;
	return false;
}

bool report_will_bind(const struct pci_dev *d, const struct plan *pl)
{
	return d->plan >= 0 && !plan_refused(&pl->v[d->plan]);
}

int report_status(const struct problems *p, unsigned *warn, unsigned *block)
{
	*warn = *block = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].sev == SEV_BLOCKING)
			(*block)++;
		else if (p->v[i].sev == SEV_WARNING)
			(*warn)++;
	}
	return *block ? REPORT_BLOCKING : *warn ? REPORT_WARNINGS : REPORT_OK;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->npf; i++)
		free(r->pf[i].vf);
	free(r->pf);
	for (size_t i = 0; i < r->ngrp; i++)
		free(r->grp[i].mem);
	free(r->grp);
	for (size_t k = 0; k < r->ndev; k++)
		free(r->dev[k].sel);
	free(r->dev);
	free(r->cards);
	state_read_free(&r->st);
	state_read_free(&r->late);
	manual_read_free(&r->manual);
	free(r->msgs);
	free(r->excl);
	free(r->cmdline);
	legacy_free(r->legacy, r->nlegacy);
	plan_free(&r->pl);
	pci_tree_free(&r->t);
	protect_free(&r->prot);
	ruleset_free(&r->rs);
}

void problems_free(struct problems *p)
{
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

bool report_reboot_pending(const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].sev == SEV_PENDING)
			return true;
	return false;
}

const char *report_verdict(const struct report *r, const struct problems *p)
{
	unsigned warn, block;
	int status = report_status(p, &warn, &block);

	if (status == REPORT_BLOCKING)
		return "blocked";
	if (status == REPORT_WARNINGS)
		return "warnings";
	if (report_reboot_pending(p))
		return "reboot pending";
	return r->ncards ? "ready" : "nothing selected";
}
