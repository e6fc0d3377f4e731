/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IMPORT_H
#define VFIO_EARLY_IMPORT_H

/*
 * vfio-early --import (import.c, import_run() in modes.h) reads the
 * modprobe.d / modules / command-line recipe that vfio-early replaces and
 * explains it line by line; --report lists the lines that now fight
 * vfio-early or are unnecessary (legacy_scan).  The lines' type and
 * legacy_free() are the model's (import-model.h).
 */
#include <stddef.h>

#include "import-model.h"
#include "modes.h"

/* Every recipe line of this host (under --root); *nids: vfio-pci ids found. */
int legacy_scan(const struct mode_ctx *c, struct legacy_line **out, size_t *n, size_t *nids);

#endif
