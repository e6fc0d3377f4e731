/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vfio-early --report --json: the facts and problems as JSON. */
#ifndef VFIO_EARLY_REPORT_JSON_H
#define VFIO_EARLY_REPORT_JSON_H

#include "report-model.h"

void report_print_json(FILE *f, const struct report *r, const struct problems *p);

#endif
