/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_CONFIG_H
#define VFIO_EARLY_CONFIG_H

#include <stddef.h>

struct ruleset;

/* Parse a config file's contents into @rs (pure: no I/O). */
void config_parse(const char *file, const char *buf, size_t len, struct ruleset *rs);

#endif
