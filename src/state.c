// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state file: one record per line, fields as key=value separated by
 * spaces; reason= is always last and runs to the end of the line.
 *
 *   vfio-early-state 1
 *   run mode=boot exit=0 bound=2 override_set=0 failed=0 refused=0 rule_errors=0 excluded=0 iommu=1 kernel=...
 *   protected addr=0000:03:00.0 reason=holds the root filesystem (root=UUID=...)
 *   device addr=... ids=10de:2204 sub=10de:1492 class=030000 group=14 via=rule
 *          rule=/etc/vfio-early.conf:3 result=bound driver=vfio-pci reason=
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "state.h"
#include "util.h"

/* File names in rule origins may hold spaces: keep every field one word. */
static void one_word(char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n')
			*s = '_';
}

static void rule_origin_word(const struct rule *r, char *buf, size_t size)
{
	if (!r)
		snprintf(buf, size, "-");
	else if (r->key)
		snprintf(buf, size, "cmdline:%s", r->key);
	else if (r->line)
		snprintf(buf, size, "%s:%u", r->file, r->line);
	else
		snprintf(buf, size, "%s", r->file);
	one_word(buf);
}

int state_write(int rootfd, const struct run_summary *s, const struct plan *pl,
		const struct protect *prot)
{
	const char *file = s->file ? s->file : STATE_FILE;
	char tmp[64];
	FILE *f;
	int r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (mkdirat(rootfd, STATE_DIR, 0755) < 0 && errno != EEXIST) {
		log_debug("cannot create /" STATE_DIR ": %s", strerror(errno));
		return -errno;
	}
	f = file_begin(rootfd, tmp);
	if (!f) {
		r = -errno;
		log_warn("cannot write /%s: %s", file, strerror(-r));
		return r;
	}
	fprintf(f, "vfio-early-state 1\n");
	fprintf(f, "run mode=%s exit=%d bound=%u override_set=%u failed=%u refused=%u rule_errors=%u "
		"excluded=%u iommu=%d kernel=%s\n", s->mode, s->exit_status, s->bound, s->override_set,
		s->failed, s->refused,
		s->rule_errors, s->excluded, s->iommu, s->kernel && *s->kernel ? s->kernel : "-");
	for (size_t i = 0; prot && i < prot->n; i++) {
		char a[PCI_ADDR_STRLEN];

		format_pci_addr(&prot->v[i].addr, a);
		fprintf(f, "protected addr=%s reason=%s\n", a, prot->v[i].why);
	}
	if (prot) {
		fprintf(f, "proof verified=%d live=%d net_root=%d reason=%s\n", prot->verified,
			prot->live_fs, prot->net_root, prot->verified ? "" : prot->unverified);
	}
	for (size_t k = 0; pl && k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];
		const struct pci_dev *d = it->dev;
		char origin[300];

		rule_origin_word(it->rule, origin, sizeof(origin));
		fprintf(f, "device addr=%s ids=%04x:%04x sub=%04x:%04x class=%06x group=%d "
			"boot_vga=%d via=%s rule=%s result=%s refusal=%s driver=%s reason=%s\n",
			d->name, d->vendor, d->device, d->subvendor, d->subdevice, d->class,
			d->iommu_group, d->boot_vga, plan_via_name(it->via), origin,
			plan_result_name(it->result),
			plan_refusal_name(plan_refused(it) ? it->cause : REF_NONE),
			d->driver[0] ? d->driver : "none", it->reason);
	}
	r = file_commit(f, rootfd, tmp, file);
	if (r < 0)
		log_warn("cannot write /%s: %s", file, strerror(-r));
	return r;
}

/* ------------------------------------------------ reading it back */

const char *state_field(const char *line, const char *key, char *buf, size_t size)
{
	char pat[32];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	/* reason= runs to the end of the line; the others are one word. */
	n = strcmp(key, "reason") == 0 ? strlen(p) : strcspn(p, " ");
	snprintf(buf, size, "%.*s", (int)n, p);
	return buf;
}

int state_read(int rootfd, const char *file, struct boot_state *st)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	char v[64];

	buf = read_file_at(rootfd, file, 1 << 20, &len);
	if (!buf || strncmp(buf, "vfio-early-state 1\n", 19) != 0)
		return -ENOENT;
	st->present = true;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "run ", 4) == 0) {
			state_field(line, "mode", st->mode, sizeof(st->mode));
			state_field(line, "kernel", st->kernel, sizeof(st->kernel));
			if (state_field(line, "exit", v, sizeof(v)))
				st->exit_status = atoi(v);
			if (state_field(line, "bound", v, sizeof(v)))
				st->bound = (unsigned)atoi(v);
			if (state_field(line, "failed", v, sizeof(v)))
				st->failed = (unsigned)atoi(v);
			if (state_field(line, "refused", v, sizeof(v)))
				st->refused = (unsigned)atoi(v);
		} else if (strncmp(line, "proof ", 6) == 0) {
			st->proof_seen = true;
			st->proof_verified = state_field(line, "verified", v, sizeof(v)) &&
					     strcmp(v, "1") == 0;
			st->proof_live = state_field(line, "live", v, sizeof(v)) &&
					 strcmp(v, "1") == 0;
			state_field(line, "reason", st->proof_reason, sizeof(st->proof_reason));
		} else if (strncmp(line, "device ", 7) == 0) {
			struct state_dev *d, *nv = realloc(st->dev, (st->ndev + 1) * sizeof(*nv));

			if (!nv)
				break;
			st->dev = nv;
			d = &st->dev[st->ndev];
			memset(d, 0, sizeof(*d));
			if (state_field(line, "addr", d->addr, sizeof(d->addr)) &&
			    state_field(line, "result", d->result, sizeof(d->result))) {
				state_field(line, "reason", d->reason, sizeof(d->reason));
				if (!state_field(line, "refusal", d->refusal, sizeof(d->refusal)))
					snprintf(d->refusal, sizeof(d->refusal), "none");
				if (!state_field(line, "driver", d->driver, sizeof(d->driver)))
					snprintf(d->driver, sizeof(d->driver), "none");
				st->ndev++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

void state_read_free(struct boot_state *st)
{
	free(st->dev);
	st->dev = NULL;
	st->ndev = 0;
}
