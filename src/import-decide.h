/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IMPORT_DECIDE_H
#define VFIO_EARLY_IMPORT_DECIDE_H

/* Deciding for --import (import-decide.c). */
#include "import-model.h"

/* What statement @e becomes: findings, warnings. */
void imp_decide(struct imp *im, const struct entry *e);

#endif
