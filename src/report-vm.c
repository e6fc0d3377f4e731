// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: the cards ready for a VM, and the lines that hand
 * them to one (Proxmox qm set and resource mappings, libvirt hostdev).
 *
 * A card is card.h's: the GPU's own functions, the endpoints below its own
 * switch, never another vendor's functions of an APU's slot, never a VF.
 * It is ready when every function that goes to vfio-pci sits in a ready
 * group.  Each slot of it whose functions are all the card's and share one
 * group is one entry (Proxmox maps a path without a function as the whole
 * device, with function 0's ids); otherwise each function is one.
 */
#include <stdio.h>
#include <string.h>

#include "report-vm.h"
#include "sysfs.h"

static bool in_ready_group(const struct report *r, const struct pci_dev *d)
{
	const struct rgroup *g = report_find_group(r, d->iommu_group);

	return g && (g->verdict == GROUP_READY || g->verdict == GROUP_PENDING);
}

/* Is every function of @d's slot one of the card's @fn[], in @d's group? */
static bool whole_slot(const struct report *r, const struct pci_dev *d,
		       const struct pci_dev *const *fn, size_t n)
{
	for (size_t i = 0; i < r->t.n; i++) {
		const struct pci_dev *o = &r->t.dev[i];
		bool found = false;

		if (!pci_same_slot(o, d) || pci_is_bridge(o))
			continue;
		for (size_t j = 0; j < n; j++)
			found |= fn[j] == o;
		if (!found || o->iommu_group != d->iommu_group)
			return false;
	}
	return true;
}

static void add_entries(const struct report *r, struct vm_card *vc,
			const struct pci_dev *const *fn, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pci_dev *d = fn[i];
		struct vm_entry *e = vc->ne ? &vc->e[vc->ne - 1] : NULL;

		if (e && !e->addr.has_func && pci_same_slot(e->fn[0], d) &&
		    e->nfn < ARRAY_SIZE(e->fn)) {
			e->fn[e->nfn++] = d;
			continue;
		}
		e = &vc->e[vc->ne++];
		memset(e, 0, sizeof(*e));
		e->addr = d->addr;
		e->addr.has_func = !whole_slot(r, d, fn, n);
		e->fn[e->nfn++] = d;
		e->group = d->iommu_group;
	}
}

/* The card of @d, when all of it that goes to vfio-pci is in ready groups. */
static bool ready_card(struct report *r, struct pci_dev *d, bool *used, struct vm_card *vc)
{
	struct pci_card c;
	const struct pci_dev *fn[CARD_MAX];
	size_t n = 0;

	if (pci_card(&r->t, d, &c) < 0) {
		c.fn[0] = d;
		c.n = 1;
	}
	for (size_t i = 0; i < c.n; i++) {
		if (!report_will_bind(c.fn[i], &r->pl))
			continue;
		if (!in_ready_group(r, c.fn[i]))
			return false;
		fn[n++] = c.fn[i];
		used[c.fn[i] - r->t.dev] = true;
	}
	memset(vc, 0, sizeof(*vc));
	add_entries(r, vc, fn, n);
	return vc->ne > 0;
}

/* etc/hostname's first label, when it is a name; "" otherwise. */
static void read_node(struct report *r)
{
	char buf[256];
	size_t n;

	r->node[0] = '\0';
	if (read_attr(r->c->rootfd, "etc/hostname", buf, sizeof(buf)) <= 0)
		return;
	n = strcspn(buf, ".\n \t");
	if (n == 0 || n >= sizeof(r->node) || strspn(buf, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") < n)
		return;
	snprintf(r->node, sizeof(r->node), "%.*s", (int)n, buf);
}

void report_gather_cards(struct report *r)
{
	_cleanup_free_ bool *used = calloc(r->t.n ? r->t.n : 1, sizeof(*used));

	read_node(r);
	r->cards = calloc(r->ndev ? r->ndev : 1, sizeof(*r->cards));
	if (!used || !r->cards)
		return;
	for (size_t k = 0; k < r->ndev; k++) {
		struct pci_dev *d = r->dev[k].d;

		if (used[d - r->t.dev] || !report_will_bind(d, &r->pl) || !in_ready_group(r, d))
			continue;
		if (ready_card(r, d, used, &r->cards[r->ncards]))
			r->ncards++;
	}
}

/* The protected device in @f's IOMMU group, or NULL. */
static const struct protected_dev *protected_in_group(const struct report *r,
						      const struct pci_dev *f)
{
	for (size_t k = 0; k < r->prot.n; k++) {
		const struct pci_dev *p = pci_find(&r->t, &r->prot.v[k].addr);

		if (p && p->iommu_group == f->iommu_group)
			return &r->prot.v[k];
	}
	return NULL;
}

/*
 * Why no rule can hand over card @c, worded as the plan words it: the
 * checks of plan.c that hold whatever the rule says (the host's needs, an
 * IOMMU, a group, driver_override), in its order; "" when none does.
 */
static void card_refused(const struct report *r, const struct pci_card *c, char *buf,
			 size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < c->n && !buf[0]; i++) {
		const struct pci_dev *f = c->fn[i];
		const struct protected_dev *pd = protect_find(&r->prot, &f->addr);
		char a[PCI_ADDR_STRLEN];

		if (pd) {
			snprintf(buf, size, "%s %s", f->name, pd->why);
		} else if (!r->t.iommu) {
			snprintf(buf, size, "no IOMMU is active");
		} else if (f->iommu_group < 0) {
			snprintf(buf, size, "%s has no IOMMU group", f->name);
		} else if ((pd = protected_in_group(r, f))) {
			format_pci_addr(&pd->addr, a);
			snprintf(buf, size, "%s shares IOMMU group %d with %s, which %s", f->name,
				 f->iommu_group, a, pd->why);
		} else if (!f->has_override_attr) {
			snprintf(buf, size, "%s has no driver_override attribute (kernel older "
				 "than 3.16?)", f->name);
		}
	}
}

void report_gather_selects(struct report *r)
{
	for (size_t k = 0; k < r->ndev; k++) {
		struct rdev *x = &r->dev[k];
		struct pci_dev *d = x->d;

		if (x->plan || pci_base_class(d) != 0x03 || d->on_root_bus || d->is_vf)
			continue;
		x->sel = malloc(sizeof(*x->sel));
		if (!x->sel)
			return;
		suggest_card_rules(&r->t, d, x->sel);
		card_refused(r, &x->sel->card, x->sel_refused, sizeof(x->sel_refused));
		if (x->sel_refused[0])
			x->sel->n = 0;
	}
}

void report_vm_path(const struct vm_entry *e, char *buf, size_t size)
{
	char a[PCI_ADDR_STRLEN];

	format_pci_addr(&e->addr, a);
	snprintf(buf, size, "%s", a);
}

/* "gpu-0000-09-00": a Proxmox configid (a letter, then letters, digits, '-'). */
void report_vm_mapping_id(const struct vm_entry *e, char *buf, size_t size)
{
	char a[PCI_ADDR_STRLEN];

	format_pci_addr(&e->addr, a);
	for (char *p = a; *p; p++)
		if (*p == ':' || *p == '.')
			*p = '-';
	snprintf(buf, size, "%s-%s", pci_base_class(e->fn[0]) == 0x03 ? "gpu" : "pci", a);
}

void report_vm_pvesh(const struct report *r, const struct vm_entry *e, char *buf, size_t size)
{
	const struct pci_dev *d = e->fn[0];
	char id[48], path[PCI_ADDR_STRLEN];

	report_vm_mapping_id(e, id, sizeof(id));
	report_vm_path(e, path, sizeof(path));
	snprintf(buf, size, "pvesh create /cluster/mapping/pci --id %s --map node=%s,path=%s,"
		 "id=%04x:%04x,subsystem-id=%04x:%04x,iommugroup=%d", id, r->node[0] ? r->node : "$(hostname)", path,
		 d->vendor, d->device, d->subvendor, d->subdevice, e->group);
}

const char *report_vm_variant(const struct report *r, const struct pci_dev *d)
{
	const struct plan_item *it = d->plan >= 0 && (size_t)d->plan < r->pl.n ?
				     &r->pl.v[d->plan] : NULL;

	return it && !plan_refused(it) && it->target_module[0] ? it->target : NULL;
}

void report_vm_hostdev(const struct report *r, const struct pci_dev *d, char *buf, size_t size)
{
	const struct pci_addr *a = &d->addr;
	const char *model = report_vm_variant(r, d);
	char drv[DRIVER_NAME_LEN + 40] = "";

	if (model)
		snprintf(drv, sizeof(drv), "<driver name='vfio' model='%s'/>", model);
	snprintf(buf, size, "<hostdev mode='subsystem' type='pci' managed='yes'>%s<source>"
		 "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
		 "</source></hostdev>", drv, a->domain, a->bus, a->slot, a->func);
}
