/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTLIST_H
#define VFIO_EARLY_PROTLIST_H

#include <stdio.h>

#include "protect-set.h"

/* The image build writes this list; the early pass verifies it at boot. */
#define PROTECTED_FILE "lib/vfio-early/protected"
#define PROTECTED_FORMAT 3

/* This machine's DMI product UUID, lower case, or "" (unreadable, placeholder). */
void protect_machine_id(int rootfd, char buf[MACHINE_ID_LEN]);

/* The list in the format the early pass reads (--list-protected). */
void protect_write_list(FILE *f, const struct protect *p);

/*
 * The early pass: DIR/lib/vfio-early/protected, each entry found in @t by
 * its stable path and checked by its ids, protected at its address now.
 * Anything amiss leaves p->verified false with the reason.
 */
void protect_load_list(struct protect *p, struct pci_tree *t, int rootfd);

#endif
