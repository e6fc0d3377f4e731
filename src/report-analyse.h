/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-early --report: the problems in the facts, each with its fix. */
#ifndef VFIO_EARLY_REPORT_ANALYSE_H
#define VFIO_EARLY_REPORT_ANALYSE_H

#include "report-model.h"

/*
 * The problems, each with its fix; a pure function of the facts (no I/O).
 * Appends to @out; free it with problems_free().
 */
void report_analyse(const struct report *r, struct problems *out);

#endif
