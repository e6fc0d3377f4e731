/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_STATE_H
#define VFIO_EARLY_STATE_H

#include "plan.h"
#include "protect.h"

#define STATE_DIR "run/vfio-early"
#define STATE_FILE STATE_DIR "/state"
#define STATE_LATE_FILE STATE_DIR "/late"

struct run_summary {
	const char *mode;	/* boot, late, dry-run, off */
	const char *file;	/* STATE_FILE (default) or STATE_LATE_FILE */
	int exit_status;
	unsigned bound;
	unsigned override_set;	/* test root: written, not probed */
	unsigned failed;
	unsigned refused;
	unsigned rule_errors;
	unsigned excluded;
	int iommu;		/* -1 unknown */
	const char *kernel;
};

/*
 * DIR/run/vfio-early/state, replaced atomically; /run survives
 * switch_root on initramfs-tools and dracut, so the booted system (and
 * vfio-early --report) can tell what the boot did.
 */
int state_write(int rootfd, const struct run_summary *s, const struct plan *pl,
		const struct protect *prot);

/* One line of the state file's device records. */
struct state_dev {
	char addr[PCI_ADDR_STRLEN];
	char result[24];
	char refusal[24];		/* the refusal at its root, "none" */
	char driver[DRIVER_NAME_LEN];	/* its driver after the run, "none" */
	char reason[PLAN_REASON_LEN];
};

struct boot_state {
	bool present;
	char mode[16];
	int exit_status;
	unsigned bound;
	unsigned failed;
	unsigned refused;
	char kernel[128];
	struct state_dev *dev;
	size_t ndev;
	/* How sure the run was of what the host needs (the proof line). */
	bool proof_seen;
	bool proof_verified;
	bool proof_live;
	char proof_reason[256];
};

/*
 * Read a state file back (STATE_FILE, or the late pass's STATE_LATE_FILE):
 * the run line, the proof line and the device records.  -ENOENT when there
 * is none (or not this format).
 */
int state_read(int rootfd, const char *file, struct boot_state *st);
void state_read_free(struct boot_state *st);

/*
 * The value of " KEY=" in a record line into @buf: one word, except
 * reason=, which runs to the end of the line.  @buf, or NULL when absent.
 */
const char *state_field(const char *line, const char *key, char *buf, size_t size);

#endif
