/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_MANUAL_H
#define VFIO_EARLY_MANUAL_H

/*
 * The record of manual runs: boot mode run by hand on a booted host.  The
 * boot's own record (STATE_FILE) describes the boot and is never touched
 * by them; each manual run that acted appends one run here instead.
 */
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "state.h"

#define MANUAL_FILE STATE_DIR "/manual"
/* The whole file; the oldest runs are dropped to stay below it. */
#define MANUAL_MAX (64 * 1024)
/* Device lines kept per run; a "more devices=N" line counts the rest. */
#define MANUAL_RUN_DEVICES 64

struct manual_dev {
	char addr[PCI_ADDR_STRLEN];
	char result[24];
	char was[DRIVER_NAME_LEN];
	char now[DRIVER_NAME_LEN];
	char reason[PLAN_REASON_LEN];
};

struct manual_run {
	char time[32];			/* UTC, 2026-12-07T01:23:45Z */
	char confirmed[16];		/* "yes" (--yes), "terminal", "none-needed" */
	int exit_status;
	unsigned changed;		/* bound or override set by this run */
	unsigned failed;
	unsigned refused;
	unsigned more;			/* device lines left out */
	struct manual_dev *dev;
	size_t ndev;
};

struct manual_runs {
	bool present;
	unsigned dropped;		/* older runs dropped to keep the file small */
	struct manual_run *run;
	size_t nrun;
};

/*
 * Add one run to DIR/run/vfio-early/manual (replaced atomically, under a
 * lock on the directory): the devices of @pl after bind_run(), how the
 * run was confirmed, its exit status.  0 or -errno (logged).
 */
int manual_write(int rootfd, const char *confirmed, int exit_status, const struct plan *pl);

/*
 * What became of one device, in the words a manual run prints and the
 * report repeats: "was bochs-drm, now vfio-pci", "FAILED (...): why".
 * @result is plan_result_name()'s; a driver "" or "none" is no driver.
 */
void manual_describe(const char *result, const char *was, const char *now, const char *reason,
		     char *buf, size_t size);

/* Read the record back; -ENOENT when there is none (or not this format). */
int manual_read(int rootfd, struct manual_runs *m);
void manual_read_free(struct manual_runs *m);

#endif
