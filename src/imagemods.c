// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --list-modules KVER: what an initramfs for kernel KVER must carry beside
 * the vfio stack for the devices the rules select on this machine: each
 * one's variant driver (driver=auto or driver=NAME), and vendor-reset for
 * an AMD GPU when it is installed.  The packagers' hooks add what this
 * prints; a device the early pass selects without its module in the image
 * goes to vfio-pci, as the log then says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "log.h"
#include "modalias.h"
#include "modes.h"
#include "modload.h"
#include "pci.h"
#include "plan.h"
#include "rules.h"
#include "sources.h"
#include "sysfs.h"
#include "util.h"
#include "variant.h"
#include "vreset.h"

struct found {
	char names[1024];	/* each module once, a space after each */
	bool amd_gpu;
};

static void add_name(struct found *f, const char *name)
{
	size_t used = strlen(f->names), len = strlen(name);

	if (modalias_list_has(f->names, name, len) || used + len + 2 > sizeof(f->names))
		return;
	memcpy(f->names + used, name, len);
	f->names[used + len] = ' ';
	f->names[used + len + 1] = '\0';
}

/* @d, which @r selects (its own when @own, else another function of its card). */
static void consider(struct found *f, const struct variant_table *vt, const struct pci_dev *d,
		     const struct rule *r, bool own)
{
	const char *want = own && (r->opts & OPT_DRIVER) ? r->driver : NULL;
	const struct variant_alias *a = variant_pick(vt, d, want, NULL, 0);

	if (a)
		add_name(f, a->module);
	if (vreset_candidate(d, r))
		f->amd_gpu = true;
}

/* The devices @r names and the other functions of their cards, as the plan widens. */
static void consider_rule(struct found *f, const struct variant_table *vt, struct pci_tree *t,
			  const struct rule *r)
{
	struct pci_dev **v;
	struct pci_card card;
	size_t n;

	if (r->exclude || plan_rule_devices(t, r, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		consider(f, vt, v[i], r, true);
		if ((r->opts & OPT_FUNCS_ONE) || pci_card(t, v[i], &card) < 0)
			continue;
		for (size_t j = 0; j < card.n; j++)
			if (card.fn[j] != v[i])
				consider(f, vt, card.fn[j], r, false);
	}
	free(v);
}

int list_modules_run(const struct mode_ctx *c, const char *kver)
{
	struct variant_table vt = { 0 };
	struct pci_tree t = { .devfd = -1 };
	struct ruleset rs = { 0 };
	struct found f = { 0 };
	int ret;

	log_setup(c->rootfd, LOG_TO_STDERR, c->verbose);
	if (!sysfs_name_ok(kver)) {
		log_err("--list-modules %s: not a kernel release", kver);
		return EXIT_USAGE;
	}
	rules_load(c->root, c->rootfd, c->config, true, &rs);
	if (variant_table_load(&vt, c->rootfd, kver) < 0)
		log_debug("modules.alias of %s: %s: no variant driver is looked for", kver,
			 strerror(-vt.err));
	if (!rs.off && rs.n && pci_scan(&t, c->rootfd) == 0)
		for (size_t i = 0; i < rs.n; i++)
			consider_rule(&f, &vt, &t, &rs.v[i]);
	if (f.amd_gpu && modload_has_module(c->root, kver, VRESET_MODULE))
		add_name(&f, VRESET_MODULE);
	for (const char *p = f.names; *p;) {
		size_t len = strcspn(p, " ");

		printf("%.*s\n", (int)len, p);
		p += len + 1;
	}
	ret = rs.errors ? EXIT_RULES : 0;
	variant_table_free(&vt);
	pci_tree_free(&t);
	ruleset_free(&rs);
	log_close();
	return ret;
}
