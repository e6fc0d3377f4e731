// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lines to paste into /etc/vfio-early.conf that select exactly one
 * card.  How each kind of rule widens (plan.c): an address or path rule
 * takes what it names, a slot meaning every function in it; an ids rule
 * takes each matching device's card.  So a slot is the card only when the
 * card owns it whole, and an ids rule only when no other device has the ids.
 */
#include <stdio.h>
#include <string.h>

#include "report-suggest.h"

/* Is every function of @f's slot (bridges and VFs included) one of @c's? */
static bool owns_slot(struct pci_tree *t, const struct pci_card *c, const struct pci_dev *f)
{
	size_t first, last;

	pci_slot_range(t, f, &first, &last);
	for (size_t i = first; i <= last; i++)
		if (!pci_card_has(c, &t->dev[i]))
			return false;
	return true;
}

/* Does no device but @d have @d's vendor and device id? */
static bool unique_ids(const struct pci_tree *t, const struct pci_dev *d)
{
	for (size_t i = 0; i < t->n; i++)
		if (&t->dev[i] != d && t->dev[i].vendor == d->vendor &&
		    t->dev[i].device == d->device)
			return false;
	return true;
}

static void add(struct suggestion *s, const char *rule)
{
	/* A rule cut short would select something else: none rather than that. */
	if (s->n < SUGGEST_MAX && snprintf(s->rule[s->n], SUGGEST_LEN, "%s%s", rule,
					   s->boot_vga ? " allow-boot-vga" : "") < SUGGEST_LEN)
		s->n++;
}

static void append(char *buf, size_t size, const char *word)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%s", used ? " " : "", word);
}

/* "address S1 S2" (@slots: each slot once) or "address F1 F2 F3" (each function). */
static void address_rule(const struct pci_card *c, bool slots, char *buf, size_t size)
{
	snprintf(buf, size, "address");
	for (size_t i = 0; i < c->n; i++) {
		struct pci_addr a = c->fn[i]->addr;
		char one[PCI_ADDR_STRLEN];

		if (slots && i > 0 && pci_same_slot(c->fn[i - 1], c->fn[i]))
			continue;
		a.has_func = !slots;
		format_pci_addr(&a, one);
		append(buf, size, one);
	}
}

/* "path ROOT/HOPS/SS expect=VVVV:DDDD" for @d's slot, checked against its function 0. */
static bool path_rule(struct pci_tree *t, const struct pci_dev *d, char *buf, size_t size)
{
	char path[PATH_STRLEN];
	struct pci_addr a = d->addr;
	const struct pci_dev *f0;
	char *sl;

	a.func = 0;
	a.has_func = true;
	f0 = pci_find(t, &a);
	if (!f0 || pci_stable_path(t, d, path, sizeof(path)) < 0 || !(sl = strrchr(path, '/')) ||
	    strlen(sl) < 3)
		return false;
	sl[3] = '\0';	/* "/SS.F" to "/SS": the whole slot */
	snprintf(buf, size, "path %s expect=%04x:%04x", path, f0->vendor, f0->device);
	return true;
}

void suggest_card_rules(struct pci_tree *t, struct pci_dev *d, struct suggestion *s)
{
	struct pci_card *c = &s->card;
	bool whole = true, one_slot = true, host_class = false;
	char buf[SUGGEST_LEN];

	memset(s, 0, sizeof(*s));
	if (pci_card(t, d, c) < 0) {
		c->fn[0] = d;
		c->n = 1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct pci_dev *f = c->fn[i];

		pci_load(t, f);
		s->boot_vga |= f->boot_vga;
		whole &= owns_slot(t, c, f);
		one_slot &= pci_same_slot(f, d);
		host_class |= pci_base_class(f) == 0x01 || pci_base_class(f) == 0x02;
	}
	if (whole && one_slot) {
		address_rule(c, true, buf, sizeof(buf));
		add(s, buf);
		if (path_rule(t, d, buf, sizeof(buf)))
			add(s, buf);
		return;
	}
	if (!host_class && unique_ids(t, d)) {
		snprintf(buf, sizeof(buf), "ids %04x:%04x", d->vendor, d->device);
		add(s, buf);
	}
	address_rule(c, whole, buf, sizeof(buf));
	add(s, buf);
}
