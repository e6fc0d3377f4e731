// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The protected set: the PCI devices the host needs, why, and how sure we
 * are of them.  The resolver (protect.c), the image build's list
 * (protlist.c) and the use checks (inuse.c) fill and read it; it uses
 * nothing of theirs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pci.h"
#include "protect-set.h"
#include "util.h"

#define PROTECT_MAX 4096
#define MISSING_MAX 64

void protect_free(struct protect *p)
{
	free(p->v);
	free(p->carriers);
	for (size_t i = 0; i < p->nmissing; i++)
		free(p->missing[i]);
	free(p->missing);
	memset(p, 0, sizeof(*p));
}

const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (pci_addr_cmp(&p->v[i].addr, a) == 0)
			return &p->v[i];
	return NULL;
}

/*
 * A device that holds several things says so: "holds /; holds /home".  A
 * device that the boot needs stays needed when it also carries the
 * management network.
 */
int protect_add_need(struct protect *p, const struct pci_addr *a, const char *why, bool mgmt)
{
	struct protected_dev *d = (struct protected_dev *)protect_find(p, a);

	if (d) {
		size_t used = strlen(d->why), head = strcspn(why, "(");

		d->mgmt = d->mgmt && mgmt;

		/* "holds the root filesystem (root=...)" once, whichever way it was found. */
		if (strncmp(d->why, why, head) != 0 && !strstr(d->why, why) &&
		    used + 2 + strlen(why) < sizeof(d->why))
			snprintf(d->why + used, sizeof(d->why) - used, "; %s", why);
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct protected_dev *v;

		if (cap > PROTECT_MAX)
			return -ENOSPC;
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	d = &p->v[p->n++];
	memset(d, 0, sizeof(*d));
	d->addr = *a;
	d->addr.has_func = true;
	d->mgmt = mgmt;
	snprintf(d->why, sizeof(d->why), "%s", why);
	return 0;
}

int protect_add(struct protect *p, const struct pci_addr *a, const char *why)
{
	return protect_add_need(p, a, why, false);
}

void protect_set_unverified(struct protect *p, const char *fmt, ...)
{
	va_list ap;

	p->verified = false;
	if (p->unverified[0])	/* the first reason is the one to fix */
		return;
	va_start(ap, fmt);
	vsnprintf(p->unverified, sizeof(p->unverified), fmt, ap);
	va_end(ap);
}

void protect_add_missing(struct protect *p, const char *what)
{
	char **v, *s;

	if (p->nmissing >= MISSING_MAX)
		return;
	for (size_t i = 0; i < p->nmissing; i++)
		if (strcmp(p->missing[i], what) == 0)
			return;
	v = realloc(p->missing, (p->nmissing + 1) * sizeof(*v));
	if (!v)
		return;
	p->missing = v;
	s = strdup(what);
	if (s)
		p->missing[p->nmissing++] = s;
}

/* The members of each protected device's IOMMU group go along. */
void protect_add_groups(struct protect *p, struct pci_tree *t)
{
	size_t n = p->n;

	for (size_t i = 0; i < n; i++) {
		struct pci_dev *d = pci_find(t, &p->v[i].addr), **mem;
		size_t nmem;

		if (!d || (pci_load(t, d), d->iommu_group < 0) ||
		    pci_group_members(t, d->iommu_group, &mem, &nmem) < 0)
			continue;
		bool mgmt = p->v[i].mgmt;

		for (size_t j = 0; j < nmem; j++) {
			char why[PROTECT_WHY_LEN];

			if (pci_is_bridge(mem[j]) || protect_find(p, &mem[j]->addr))
				continue;
			snprintf(why, sizeof(why), "in IOMMU group %d with %s%s", d->iommu_group,
				 d->name, mgmt ? ", which carries the host's management network" : "");
			protect_add_need(p, &mem[j]->addr, why, mgmt);
		}
		free(mem);
	}
}

void protect_identify(struct protected_dev *e, struct pci_tree *t, const struct pci_dev *d)
{
	e->vendor = d->vendor;
	e->device = d->device;
	e->subvendor = d->subvendor;
	e->subdevice = d->subdevice;
	e->class = d->class;
	e->has_ids = true;
	if (pci_stable_path(t, d, e->path, sizeof(e->path)) < 0)
		e->path[0] = '\0';
}

/* Path and ids from the tree, as the list records them. */
void protect_complete(struct protect *p, struct pci_tree *t)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct pci_dev *d = pci_find(t, &p->v[i].addr);

		if (d)
			protect_identify(&p->v[i], t, d);
	}
}
