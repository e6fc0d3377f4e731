/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_LEGACY_H
#define VFIO_EARLY_LEGACY_H

/*
 * The modprobe.d / modules / command-line recipe that vfio-early replaces,
 * line by line, as --import explains it (import.c); --report lists the
 * lines that now fight vfio-early or are unnecessary.
 */
#include <stdbool.h>
#include <stddef.h>

#include "modes.h"

enum legacy_verdict {
	LEGACY_DROP,	/* unnecessary once vfio-early is installed */
	LEGACY_EDIT,	/* part of it is unnecessary */
	LEGACY_KEEP,	/* must stay */
};

struct legacy_line {
	enum legacy_verdict v;
	bool gave_ids;
	bool harms_host;	/* takes a driver from devices the host keeps */
	char *where;	/* "FILE:LINE", or "/proc/cmdline" */
	char *text;	/* the line as written (shortened, made safe) */
	char *edit;	/* LEGACY_EDIT: the line as it should read */
	char *why;
};

/* Every recipe line of this host (under --root); *nids: vfio-pci ids found. */
int legacy_scan(const struct mode_ctx *c, struct legacy_line **out, size_t *n, size_t *nids);
void legacy_free(struct legacy_line *v, size_t n);

#endif
