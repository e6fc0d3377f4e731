/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-early --report: reading the machine into struct report. */
#ifndef VFIO_EARLY_REPORT_GATHER_H
#define VFIO_EARLY_REPORT_GATHER_H

#include "report-model.h"

/* Everything the report shows, read once. */
void report_gather(struct report *r, const struct mode_ctx *c);

#endif
