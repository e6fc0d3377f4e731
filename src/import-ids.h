/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IMPORT_IDS_H
#define VFIO_EARLY_IMPORT_IDS_H

/* The ids of --import (import-ids.c). */
#include "import-model.h"

/* libkmod's ids for vfio-pci into im->ids. */
void import_kmod_ids(struct imp *im);

/*
 * A comma-separated ids value: every bad entry is reported.  Returns how
 * many are good; *@lost counts the entries vfio-pci takes but an ids rule
 * cannot express.
 */
unsigned import_ids(struct imp *im, const char *where, const char *val, size_t vlen,
		    unsigned *lost);

#endif
