// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The record of manual runs, DIR/run/vfio-early/manual: boot mode run by
 * hand on a booted host.  Fields as in the state file (key=value, reason=
 * last); one run line per run, its device lines below it:
 *
 *   vfio-early-manual 1
 *   dropped runs=3
 *   run time=2026-12-07T01:23:45Z confirmed=yes exit=0 changed=2 failed=0 refused=0
 *   device addr=0000:02:00.0 result=bound was=bochs-drm now=vfio-pci reason=
 *   more devices=12
 *
 * now= is the driver the device is on after the run (vfio-pci or a variant
 * of it); for result=override-set, under a test root where nothing probes,
 * the driver its override names.
 * "dropped" counts the oldest runs left out to keep the file below
 * MANUAL_MAX; "more" the device lines of a run beyond MANUAL_RUN_DEVICES.
 * /run is emptied at every boot, so the file holds the runs since this boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "manual.h"
#include "util.h"

static const char header[] = "vfio-early-manual 1\n";

/* Record fields are one word (reason= excepted) and every record one line. */
static void one_word(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", *src ? src : "none");
	for (char *s = dst; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			*s = '_';
}

static void one_line(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
	for (char *s = dst; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* The new run's lines, malloc'ed; NULL when out of memory. */
static char *format_run(const char *confirmed, int exit_status, const struct plan *pl,
			size_t *len)
{
	unsigned changed = 0, failed = 0, refused = 0, shown = 0;
	char when[32] = "unknown", *buf = NULL;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	if (gmtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t k = 0; k < pl->n; k++) {
		enum plan_result r = pl->v[k].result;

		changed += r == RES_BOUND || r == RES_OVERRIDE_SET;
		failed += r == RES_FAILED;
		refused += r == RES_REFUSED;
	}
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	fprintf(f, "run time=%s confirmed=%s exit=%d changed=%u failed=%u refused=%u\n", when,
		confirmed, exit_status, changed, failed, refused);
	for (size_t k = 0; k < pl->n && shown < MANUAL_RUN_DEVICES; k++, shown++) {
		const struct plan_item *it = &pl->v[k];
		char was[DRIVER_NAME_LEN], cur[DRIVER_NAME_LEN], reason[PLAN_REASON_LEN];

		one_word(was, sizeof(was), it->was);
		/* Under a test root nothing probes: "now" is what the override names. */
		one_word(cur, sizeof(cur), it->result == RES_OVERRIDE_SET ? plan_target(it) :
			 it->dev->driver);
		one_line(reason, sizeof(reason), it->result == RES_FAILED ||
			 it->result == RES_REFUSED ? it->reason : "");
		fprintf(f, "device addr=%s result=%s was=%s now=%s reason=%s\n", it->dev->name,
			plan_result_name(it->result), was, cur, reason);
	}
	if (pl->n > shown)
		fprintf(f, "more devices=%zu\n", pl->n - shown);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The runs of the old record to keep: the newest ones that fit in @room
 * bytes.  Sets *@body to the first kept run line and adds what it leaves
 * out to *@dropped.
 */
static size_t keep_runs(char *old, size_t room, const char **body, unsigned *dropped)
{
	char *p, *end;
	size_t len;

	*body = "";
	if (!old || strncmp(old, header, sizeof(header) - 1) != 0)
		return 0;
	p = old + sizeof(header) - 1;
	if (strncmp(p, "dropped runs=", 13) == 0) {
		*dropped += (unsigned)strtoul(p + 13, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : old + strlen(old);
	}
	/* A cut last line (a full disk, an old crash) is left out. */
	end = strrchr(p, '\n');
	len = end ? (size_t)(end + 1 - p) : 0;
	while (len > room) {
		char *next = strstr(p, "\nrun ");

		if (strncmp(p, "run ", 4) == 0)
			(*dropped)++;
		if (!next || (size_t)(next + 1 - p) > len)
			return 0;
		len -= (size_t)(next + 1 - p);
		p = next + 1;
	}
	*body = p;
	return len;
}

static int write_record(int rootfd, const char *tmp, unsigned dropped, const char *body,
			size_t body_len, const char *run, size_t run_len)
{
	FILE *f = file_begin(rootfd, tmp);

	if (!f)
		return -errno;
	fputs(header, f);
	if (dropped)
		fprintf(f, "dropped runs=%u\n", dropped);
	fwrite(body, 1, body_len, f);
	fwrite(run, 1, run_len, f);
	return file_commit(f, rootfd, tmp, MANUAL_FILE);
}

int manual_write(int rootfd, const char *confirmed, int exit_status, const struct plan *pl)
{
	_cleanup_free_ char *run = NULL, *old = NULL;
	_cleanup_close_ int dirfd = -1;
	const char *body;
	unsigned dropped = 0;
	size_t run_len = 0, old_len, body_len, room;
	int r;

	if (mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	dirfd = openat(rootfd, STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || flock(dirfd, LOCK_EX) < 0) {
		r = -errno;
		goto fail;
	}
	run = format_run(confirmed, exit_status, pl, &run_len);
	if (!run) {
		r = -ENOMEM;
		goto fail;
	}
	old = read_file_at(rootfd, MANUAL_FILE, MANUAL_MAX, &old_len);
	/* Header, a dropped line of at most 32 bytes, then the runs. */
	room = MANUAL_MAX - (sizeof(header) - 1) - 32;
	room = run_len < room ? room - run_len : 0;
	body_len = keep_runs(old, room, &body, &dropped);
	r = write_record(rootfd, MANUAL_FILE ".tmp", dropped, body, body_len, run, run_len);
	if (r < 0) {
		unlinkat(rootfd, MANUAL_FILE ".tmp", 0);
		goto fail;
	}
	return 0;
fail:
	log_warn("cannot write /%s: %s", MANUAL_FILE, strerror(-r));
	return r;
}

static const char *driver_words(const char *d)
{
	return !*d || strcmp(d, "none") == 0 ? "no driver" : d;
}

void manual_describe(const char *result, const char *was, const char *now, const char *reason,
		     char *buf, size_t size)
{
	was = driver_words(was);
	now = driver_words(now);
	if (strcmp(result, "bound") == 0)
		snprintf(buf, size, "was %s, now %s", was, now);
	else if (strcmp(result, "override-set") == 0)
		snprintf(buf, size, "was %s, driver_override now %s (test root, not probed)",
			 was, now);
	else if (strcmp(result, "already") == 0)
		snprintf(buf, size, "unchanged, already on %s", now);
	else if (strcmp(result, "failed") == 0)
		snprintf(buf, size, "FAILED (was %s, now %s): %s", was, now, reason);
	else if (strcmp(result, "refused") == 0)
		snprintf(buf, size, "unchanged (%s), refused: %s", was, reason);
	else
		snprintf(buf, size, "unchanged (%s)", was);
}

/* ------------------------------------------------ reading it back */

static int add_run(struct manual_runs *m, const char *line)
{
	struct manual_run *nv = realloc(m->run, (m->nrun + 1) * sizeof(*nv)), *run;
	char v[32];

	if (!nv)
		return -ENOMEM;
	m->run = nv;
	run = &m->run[m->nrun++];
	memset(run, 0, sizeof(*run));
	if (!state_field(line, "time", run->time, sizeof(run->time)))
		snprintf(run->time, sizeof(run->time), "unknown");
	if (!state_field(line, "confirmed", run->confirmed, sizeof(run->confirmed)))
		snprintf(run->confirmed, sizeof(run->confirmed), "unknown");
	if (state_field(line, "exit", v, sizeof(v)))
		run->exit_status = atoi(v);
	if (state_field(line, "changed", v, sizeof(v)))
		run->changed = (unsigned)strtoul(v, NULL, 10);
	if (state_field(line, "failed", v, sizeof(v)))
		run->failed = (unsigned)strtoul(v, NULL, 10);
	if (state_field(line, "refused", v, sizeof(v)))
		run->refused = (unsigned)strtoul(v, NULL, 10);
	return 0;
}

static int add_dev(struct manual_run *run, const char *line)
{
	struct manual_dev *nv, *d;

	nv = realloc(run->dev, (run->ndev + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	run->dev = nv;
	d = &run->dev[run->ndev];
	memset(d, 0, sizeof(*d));
	if (!state_field(line, "addr", d->addr, sizeof(d->addr)) ||
	    !state_field(line, "result", d->result, sizeof(d->result)))
		return 0;
	state_field(line, "was", d->was, sizeof(d->was));
	state_field(line, "now", d->now, sizeof(d->now));
	state_field(line, "reason", d->reason, sizeof(d->reason));
	run->ndev++;
	return 0;
}

int manual_read(int rootfd, struct manual_runs *m)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = 0;

	memset(m, 0, sizeof(*m));
	buf = read_file_at(rootfd, MANUAL_FILE, MANUAL_MAX, &len);
	if (!buf || strncmp(buf, header, sizeof(header) - 1) != 0)
		return -ENOENT;
	m->present = true;
	for (char *line = buf + sizeof(header) - 1; line && *line && r == 0;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "dropped runs=", 13) == 0)
			m->dropped = (unsigned)strtoul(line + 13, NULL, 10);
		else if (strncmp(line, "run ", 4) == 0)
			r = add_run(m, line);
		else if (m->nrun && strncmp(line, "device ", 7) == 0)
			r = add_dev(&m->run[m->nrun - 1], line);
		else if (m->nrun && strncmp(line, "more devices=", 13) == 0)
			m->run[m->nrun - 1].more = (unsigned)strtoul(line + 13, NULL, 10);
		line = nl ? nl + 1 : NULL;
	}
	return r;
}

void manual_read_free(struct manual_runs *m)
{
	for (size_t i = 0; i < m->nrun; i++)
		free(m->run[i].dev);
	free(m->run);
	memset(m, 0, sizeof(*m));
}
