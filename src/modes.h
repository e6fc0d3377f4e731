/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MODES_H
#define VFIO_EARLY_MODES_H

/*
 * The modes besides boot mode, one file each.  Each returns the process
 * exit status documented in vfio-early(8).
 */
#include <stdbool.h>

struct mode_ctx {
	int rootfd;
	const char *root;	/* realpath of --root */
	bool live;		/* root is "/" */
	const char *config;	/* --config, or NULL for DIR/etc/vfio-early.conf */
	bool verbose;
};

/* --report [--json]: read-only diagnostics (report.c). */
int report_run(const struct mode_ctx *c, bool json);

/* --capture DIR: copy what --report reads into DIR (capture.c). */
int capture_run(const struct mode_ctx *c, const char *dest);

/* --import: config equivalent of modprobe.d and command-line recipes (import.c). */
int import_run(const struct mode_ctx *c);

#endif
