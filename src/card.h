/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_CARD_H
#define VFIO_EARLY_CARD_H

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* More functions than any one card has; a card past it is cut, with a log line. */
#define CARD_MAX 32

/*
 * What one physical card brings to a VM (vfio-early.conf(5), "THE CARD"):
 *  - its own functions: the functions of its slot made by the same vendor,
 *    never another vendor's that merely share an APU's or a chipset's slot;
 *  - when it has a PCIe switch of its own (upstream and downstream port of
 *    the card's vendor, with a display function below them: Navi, Intel
 *    Arc), every endpoint of that vendor below the switch, on any bus;
 *  - never a bridge, never an SR-IOV VF.
 * A VF, and a device on a root bus (integrated: no bridge above it, its slot
 * shared with unrelated chipset functions), is a card of its own alone.
 */
struct pci_card {
	struct pci_dev *fn[CARD_MAX];	/* address order, the device asked about included */
	size_t n;
	const struct pci_dev *sw;	/* the card's switch upstream port, or NULL */
};

/* The card @d belongs to.  0, or a negative errno (the card is then @d alone). */
int pci_card(struct pci_tree *t, struct pci_dev *d, struct pci_card *c);

/* Is @b a function of @a's card? */
bool pci_card_has(const struct pci_card *c, const struct pci_dev *b);

#endif
