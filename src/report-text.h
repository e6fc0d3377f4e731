/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-early --report: the facts and problems as text. */
#ifndef VFIO_EARLY_REPORT_TEXT_H
#define VFIO_EARLY_REPORT_TEXT_H

#include "report-model.h"

void report_print_text(FILE *f, const struct report *r, const struct problems *p);

/* Its last line, "Verdict: ...", alone for --quiet. */
void report_print_verdict(FILE *f, const struct report *r, const struct problems *p);

#endif
