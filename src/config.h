/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_CONFIG_H
#define VFIO_EARLY_CONFIG_H

#include <stddef.h>

struct ruleset;

/* Parse a config file's contents into @rs (pure: no I/O). */
void config_parse(const char *file, const char *buf, size_t len, struct ruleset *rs);

/*
 * The words of a command line (release, take) as one config line, "address"
 * understood before a bare address: "0000:09:00", "ids 10de:2204".  Errors
 * are logged as "WHAT: TOKEN: why"; 0, or -EINVAL when any.
 */
int config_parse_words(const char *what, char **words, size_t n, struct ruleset *rs);

#endif
