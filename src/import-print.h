/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IMPORT_PRINT_H
#define VFIO_EARLY_IMPORT_PRINT_H

/* Printing for --import (import-print.c). */
#include "import-model.h"

/* The devices the ids select (im->taken, im->card0...). */
void imp_select_devices(struct imp *im);

/* The modules that match each device (im->mods). */
void imp_device_modules(struct imp *im);

/* The config, with the review of the old lines. */
void imp_print_config(struct imp *im, FILE *out, const char *config_shown,
		      bool config_exists);

#endif
