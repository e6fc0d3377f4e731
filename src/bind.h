/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_BIND_H
#define VFIO_EARLY_BIND_H

#include <stdbool.h>

#include "pci.h"
#include "plan.h"

/*
 * Hand every device of the plan that was not refused to vfio-pci:
 * driver_override, unbind from a current driver, load vfio-pci, ask the
 * driver core to probe, verify the driver link.  @root "/" is the live
 * system; any other root is a test tree where nothing is inserted and the
 * result of a probe is not observable.
 */
void bind_run(struct plan *pl, struct pci_tree *t, const char *root);

/* Dry run: resolve the modules, change nothing. */
void bind_dry_run(struct plan *pl, const char *root, int rootfd);

#endif
