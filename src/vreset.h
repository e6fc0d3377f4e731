/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_VRESET_H
#define VFIO_EARLY_VRESET_H

/*
 * vendor-reset (an out-of-tree module, github.com/gnif/vendor-reset) gives
 * AMD GPUs that cannot reset themselves (Polaris, Vega, Navi 10/12/14 and
 * more) a device-specific reset, so that a VM can be started again without
 * a host reboot.  From Linux 5.15 the kernel uses it only when the device's
 * reset_method is "device_specific", and it accepts that value only for a
 * device some device-specific reset handles: with vendor-reset loaded, the
 * kernel itself says which devices are vendor-reset's.
 */
#include <stdbool.h>

#include "pci.h"
#include "rules.h"

/* The module, as modprobe names it. */
#define VRESET_MODULE "vendor-reset"

/* An AMD display function whose rule does not set reset_method= itself. */
bool vreset_candidate(const struct pci_dev *d, const struct rule *r);

struct plan;

/*
 * When the plan has a candidate and vendor-reset is installed for the
 * running kernel: load it (when @insert) and write device_specific to each
 * candidate's reset_method, read back and logged.  Nothing when it is not
 * installed.
 */
void vreset_prepare(struct plan *pl, struct pci_tree *t, const char *root, bool insert);

#endif
