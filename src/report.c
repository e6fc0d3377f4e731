// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: what a passthrough user needs to know, read-only.
 *
 * Facts are gathered once into struct report (IOMMU, the display devices
 * and their slot siblings, their IOMMU groups, the rules and the plan the
 * next boot would follow, what this boot did, the boot chain), turned into
 * a list of problems each with its fix, then printed as text or as JSON.
 *
 * Exit status: 0 when nothing is wrong (everything selected is ready),
 * 2 when there are warnings only, 3 when something blocks passthrough,
 * 1 on a usage or internal error.
 */
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"
#include "report.h"

const char *const report_severity_names[] = { "note", "warning", "blocking" };

const char *const report_vfio_names[] = {
	"not checked", "viable", "not viable", "busy", "no node", "failed",
};

const char *const report_verdict_names[] = {
	"ready", "partial", "viable", "shared", "blocked",
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

static void report_free(struct report *r)
{
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

int report_run(const struct mode_ctx *c, bool json)
{
	struct report r = { .c = c, .t = { .devfd = -1 } };
	struct problems p = { 0 };
	int status;
	unsigned warn, block;

	report_gather(&r, c);
	report_analyse(&r, &p);
	if (json)
		report_print_json(stdout, &r, &p);
	else if (c->quiet)
		report_print_verdict(stdout, &p);
	else
		report_print_text(stdout, &r, &p);
	status = report_status(&p, &warn, &block);
	problems_free(&p);
	report_free(&r);
	return status;
}
