/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IMPORT_READ_H
#define VFIO_EARLY_IMPORT_READ_H

/* Reading for --import (import-read.c). */
#include "import-model.h"

/* Every statement of the recipe, once, into im->e. */
void imp_read_all(struct imp *im);

#endif
