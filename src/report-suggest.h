/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config lines that select exactly one card (card.h): what
 * vfio-early --report prints to paste, and --import for identical cards.
 */
#ifndef VFIO_EARLY_REPORT_SUGGEST_H
#define VFIO_EARLY_REPORT_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "card.h"
#include "pci.h"

#define SUGGEST_MAX 3
/* An address rule naming every function of a card of CARD_MAX functions fits. */
#define SUGGEST_LEN (32 + CARD_MAX * (PCI_ADDR_STRLEN + 1))

struct suggestion {
	char rule[SUGGEST_MAX][SUGGEST_LEN];
	size_t n;
	struct pci_card card;		/* what each rule selects */
	bool boot_vga;			/* a function of it is the boot display */
};

/*
 * The rules that, each alone in /etc/vfio-early.conf, select exactly @d's
 * card, and carry allow-boot-vga when the card holds the boot display:
 *  - a card that is its slot's only functions, in one slot: the slot's
 *    address, then its stable path with expect= (function 0's ids);
 *  - any other card (an APU's graphics beside the chipset's functions, a
 *    card below its own switch): an ids rule when no other device has
 *    @d's ids, then an address rule of its slots (when it owns them
 *    whole) or of its functions.
 * An address rule of a slot takes every function in it, whoever made it;
 * one of functions takes those alone; an ids rule takes the card of every
 * device with those ids.  Storage and network functions are named by
 * address, never left to an ids rule.
 */
void suggest_card_rules(struct pci_tree *t, struct pci_dev *d, struct suggestion *s);

#endif
