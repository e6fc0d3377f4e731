// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card a device belongs to.  A slot holds one card's functions on a
 * discrete GPU, but on an APU the graphics and its HDMI audio share a slot
 * with the host's USB controllers, audio and security processor (another
 * vendor's functions); and a card with a PCIe switch of its own (Intel Arc,
 * Navi) puts its functions on several buses below that switch.
 */
#include <errno.h>
#include <string.h>

#include "card.h"
#include "log.h"
#include "sysfs.h"
#include "util.h"

/* Bridges from the root port down to @d's parent, the last one nearest. */
struct chain {
	struct pci_dev *up[PCI_CHAIN_MAX];
	size_t n;
};

static int ancestors(const struct pci_tree *t, const struct pci_dev *d, struct chain *ch)
{
	struct pci_addr v[PCI_CHAIN_MAX];
	int n = pci_chain(t, d, v, PCI_CHAIN_MAX);

	ch->n = 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n - 1; i++) {
		struct pci_dev *up = pci_find(t, &v[i]);

		if (!up)
			return -EINVAL;
		ch->up[ch->n++] = up;
	}
	return 0;
}

static void card_add(struct pci_card *c, struct pci_dev *f)
{
	if (c->n == CARD_MAX) {
		log_debug("%s: more than %d functions on one card, %s left out",
			  c->fn[0]->name, CARD_MAX, f->name);
		return;
	}
	c->fn[c->n++] = f;
}

/* An endpoint that can be part of @d's card: same vendor, not a bridge, not a VF. */
static bool kin(struct pci_tree *t, struct pci_dev *f, const struct pci_dev *d)
{
	if (f->vendor != d->vendor || pci_is_bridge(f))
		return false;
	pci_load(t, f);
	return !f->is_vf;
}

/*
 * The switch of the card: @d's parent (a downstream port) and its parent (the
 * upstream port), both of @d's vendor, the upstream port below a root port.
 */
static struct pci_dev *own_switch(const struct pci_tree *t, const struct pci_dev *d)
{
	struct chain ch;
	struct pci_dev *down, *up;

	if (ancestors(t, d, &ch) < 0 || ch.n < 3)
		return NULL;
	down = ch.up[ch.n - 1];
	up = ch.up[ch.n - 2];
	if (!pci_is_bridge(down) || !pci_is_bridge(up) || down->vendor != d->vendor ||
	    up->vendor != d->vendor)
		return NULL;
	return up;
}

static bool below(const struct pci_tree *t, const struct pci_dev *f, const struct pci_dev *sw)
{
	struct chain ch;

	if (ancestors(t, f, &ch) < 0)
		return false;
	for (size_t i = 0; i < ch.n; i++)
		if (ch.up[i] == sw)
			return true;
	return false;
}

/*
 * Endpoints of @d's vendor below @sw, when one of them is a display
 * controller: a chipset's switch (AMD's Promontory is 1022 from top to
 * bottom) carries SATA and USB, never a GPU of its own vendor.
 */
static bool switch_card(struct pci_tree *t, struct pci_dev *d, const struct pci_dev *sw,
			struct pci_card *c)
{
	bool display = false;
	size_t first = (size_t)(sw - t->dev);

	c->n = 0;
	for (size_t i = first + 1; i < t->n; i++) {
		struct pci_dev *f = &t->dev[i];

		if (f->addr.domain != sw->addr.domain)
			break;
		if (f->addr.bus <= sw->addr.bus || !kin(t, f, d) || !below(t, f, sw))
			continue;
		card_add(c, f);
		display |= pci_base_class(f) == 0x03;
	}
	return display && pci_card_has(c, d);
}

int pci_card(struct pci_tree *t, struct pci_dev *d, struct pci_card *c)
{
	const struct pci_dev *sw;
	size_t first, last;

	memset(c, 0, sizeof(*c));
	c->fn[c->n++] = d;
	pci_load(t, d);
	if (d->is_vf || d->on_root_bus || pci_is_bridge(d))
		return 0;
	sw = own_switch(t, d);
	if (sw && switch_card(t, d, sw, c)) {
		c->sw = sw;
		return 0;
	}
	c->n = 0;
	pci_slot_range(t, d, &first, &last);
	for (size_t i = first; i <= last; i++)
		if (&t->dev[i] == d || kin(t, &t->dev[i], d))
			card_add(c, &t->dev[i]);
	return 0;
}

bool pci_card_has(const struct pci_card *c, const struct pci_dev *b)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->fn[i] == b)
			return true;
	return false;
}
