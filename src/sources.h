/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_SOURCES_H
#define VFIO_EARLY_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "cmdline.h"
#include "rules.h"

#define CONFIG_FILE "etc/vfio-early.conf"
#define CONFIG_MAX (4u << 20)

/*
 * Rules from DIR/proc/cmdline, vfio-pci's ids= in DIR's modprobe.d, then the
 * config (@config as given, or DIR/etc/vfio-early.conf).  With @stop_when_off the config is not read
 * when the command line turns vfio-early off.  Problems are logged and
 * counted in rs->errors.
 */
void rules_load(const char *root, int rootfd, const char *config, bool stop_when_off,
		struct ruleset *rs);

/* The config file's name as shown to users. */
const char *sources_config_name(const char *config);

#endif
