// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which vfio-pci driver a device gets: vfio-pci, or a variant driver of
 * the kernel's that is more specific to it (see variant.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "modalias.h"
#include "modload.h"
#include "plan.h"
#include "sysfs.h"
#include "util.h"
#include "variant.h"

#define ALIAS_PREFIX "vfio_pci:"
/* A modules.alias line is "alias PATTERN MODULE"; PCI patterns are short. */
#define ALIAS_LINE_MAX 512

static unsigned wildcards(const char *p)
{
	unsigned n = 0;

	for (; *p; p++)
		n += *p == '*' || *p == '?' || *p == '[';
	return n;
}

/* '-' and '_' alike, as module names are compared everywhere. */
static bool same_module(const char *a, const char *b)
{
	return name_eq(a, strlen(a), b);
}

/* @d's modalias as a variant's table matches it: "vfio_pci:v...". 0 or -ENOSPC. */
static int vfio_alias(const struct pci_dev *d, char buf[MODALIAS_PCI_LEN + 8])
{
	memcpy(buf, "vfio_", 5);
	return modalias_format(d, buf + 5, MODALIAS_PCI_LEN + 8 - 5);
}

bool variant_is_vfio_pci(const char *module)
{
	return same_module(module, "vfio_pci");
}

/* One "alias vfio_pci:... MODULE" line into the table; others are skipped. */
static int add_line(struct variant_table *vt, const char *line, size_t *cap)
{
	char pat[ALIAS_LINE_MAX], mod[VARIANT_MODULE_LEN];
	struct variant_alias *a;

	if (strncmp(line, "alias " ALIAS_PREFIX, 6 + strlen(ALIAS_PREFIX)) != 0 ||
	    sscanf(line, "alias %511s %63s", pat, mod) != 2)
		return 0;
	if (vt->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct variant_alias *nv = realloc(vt->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vt->v = nv;
		*cap = ncap;
	}
	a = &vt->v[vt->n];
	if (!(a->pattern = strdup(pat)))
		return -ENOMEM;
	snprintf(a->module, sizeof(a->module), "%s", mod);
	a->wild = wildcards(pat);
	vt->n++;
	return 0;
}

int variant_table_load(struct variant_table *vt, int rootfd, const char *kver)
{
	static const char *const dirs[] = { "lib/modules/%s/modules.alias",
					    "usr/lib/modules/%s/modules.alias" };
	char line[ALIAS_LINE_MAX];
	size_t cap = 0;
	FILE *f = NULL;
	int fd = -ENOENT;

	*vt = (struct variant_table){ 0 };
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && fd == -ENOENT; i++)
		fd = sysfs_openf(rootfd, O_RDONLY, dirs[i], kver);
	if (fd >= 0 && !(f = fdopen(fd, "r"))) {
		close(fd);
		fd = -errno;
	}
	if (!f)
		return vt->err = fd;
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			/* Longer than any PCI alias: not one; skip the rest of it. */
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (add_line(vt, line, &cap) < 0) {
			vt->err = -ENOMEM;
			break;
		}
	}
	fclose(f);
	return vt->err;
}

void variant_table_free(struct variant_table *vt)
{
	for (size_t i = 0; i < vt->n; i++)
		free(vt->v[i].pattern);
	free(vt->v);
	*vt = (struct variant_table){ 0 };
}

void variant_best(const struct variant_table *vt, const struct pci_dev *d,
		  struct variant_match *m)
{
	char alias[MODALIAS_PCI_LEN + 8];

	*m = (struct variant_match){ 0 };
	if (vfio_alias(d, alias) < 0)
		return;
	for (size_t i = 0; i < vt->n; i++) {
		const struct variant_alias *a = &vt->v[i];

		if (fnmatch(a->pattern, alias, 0) != 0)
			continue;
		if (!m->best || a->wild < m->best->wild) {
			m->best = a;
			m->tie = NULL;
		} else if (a->wild == m->best->wild && !same_module(a->module, m->best->module)) {
			m->tie = a;
		}
	}
}

bool variant_is_vfio_driver(int rootfd, const char *driver)
{
	char link[4096];
	const char *mod;

	if (!driver[0])
		return false;
	if (strcmp(driver, VFIO_PCI) == 0)
		return true;
	if (sysfs_readlinkf(rootfd, link, sizeof(link), "sys/bus/pci/drivers/%s/module",
			    driver) <= 0)
		return false;
	mod = path_basename(link);
	return sysfs_accessf(rootfd, F_OK, "sys/module/vfio_pci_core/holders/%s", mod) == 0;
}

int variant_driver_name(int rootfd, const char *module, char *buf, size_t size)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	char name[VARIANT_MODULE_LEN];
	const char *e;
	int r;

	/* sys/module names use '_' where modules.alias may have '-'. */
	snprintf(name, sizeof(name), "%s", module);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	r = sysfs_opendirf(&dir, rootfd, "sys/module/%s/drivers", name);
	if (r < 0)
		return r;
	while ((e = sysfs_dir_next(&dir))) {
		if (strncmp(e, "pci:", 4) != 0 || !e[4])
			continue;
		if (strlen(e + 4) >= size)
			return -ENAMETOOLONG;
		memcpy(buf, e + 4, strlen(e + 4) + 1);
		return 0;
	}
	return -ENOENT;
}

/* @module's alias that matches @d, else its first: what a log line shows. */
static const struct variant_alias *module_alias(const struct variant_table *vt,
						const char *module, const struct pci_dev *d)
{
	const struct variant_alias *first = NULL;
	char alias[MODALIAS_PCI_LEN + 8];
	bool have = vfio_alias(d, alias) == 0;

	for (size_t i = 0; i < vt->n; i++) {
		if (!same_module(vt->v[i].module, module))
			continue;
		if (have && fnmatch(vt->v[i].pattern, alias, 0) == 0)
			return &vt->v[i];
		if (!first)
			first = &vt->v[i];
	}
	return first;
}

const struct variant_alias *variant_pick(const struct variant_table *vt,
					 const struct pci_dev *d, const char *want, char *why,
					 size_t whysize)
{
	const struct variant_alias *a;
	struct variant_match m;

	if (why && whysize)
		why[0] = '\0';
	if (want && *want) {
		if (strcmp(want, "vfio-pci") == 0)
			return NULL;
		a = module_alias(vt, want, d);
		if (a && !variant_is_vfio_pci(a->module))
			return a;
		if (why)
			snprintf(why, whysize, "driver=%s: %s", want,
				 vt->err ? "modules.alias cannot be read" :
				 "no such vfio-pci driver in modules.alias (no \"vfio_pci:\" alias)");
		return NULL;
	}
	variant_best(vt, d, &m);
	if (!m.best || variant_is_vfio_pci(m.best->module))
		return NULL;
	if (m.tie) {
		if (why)
			snprintf(why, whysize, "driver=auto: %s and %s match equally well; "
				 "name one with driver=", m.best->module, m.tie->module);
		return NULL;
	}
	return m.best;
}

/* The item's module loaded (or resolved), and its driver's name into it->target. */
static int take_variant(struct plan_item *it, int rootfd, const char *root,
			bool insert, const char *module)
{
	char drv[DRIVER_NAME_LEN];
	int r = modload_module(root, rootfd, module, insert);

	if (r < 0) {
		snprintf(it->target_note, sizeof(it->target_note),
			 "variant driver %s: cannot load it (%s)", module, strerror(-r));
		log_warn("%s: %s; vfio-pci instead", it->dev->name, it->target_note);
		return r;
	}
	r = variant_driver_name(rootfd, module, drv, sizeof(drv));
	if (r < 0 && insert) {
		snprintf(it->target_note, sizeof(it->target_note), "variant driver %s: loaded, "
			 "but no PCI driver of it in /sys/module/%s/drivers (%s)", module, module,
			 strerror(-r));
		log_warn("%s: %s; vfio-pci instead", it->dev->name, it->target_note);
		return r;
	}
	/* Not loaded (a dry run, a test root): its driver has the module's name. */
	if (r < 0)
		snprintf(drv, sizeof(drv), "%s", module);
	snprintf(it->target, sizeof(it->target), "%s", drv);
	snprintf(it->target_module, sizeof(it->target_module), "%s", module);
	return 0;
}

/* An earlier item that took @module already: its driver's name is this one's too. */
static const struct plan_item *taken_before(const struct plan *pl, size_t k, const char *module)
{
	for (size_t i = 0; i < k; i++)
		if (pl->v[i].target_module[0] && same_module(pl->v[i].target_module, module))
			return &pl->v[i];
	return NULL;
}

void variant_choose(struct plan *pl, int rootfd, const char *root, bool insert)
{
	struct variant_table vt = { 0 };
	char kver[256];
	bool loaded = false;

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		const char *want = it->via == VIA_RULE && it->rule && (it->rule->opts & OPT_DRIVER) ?
				   it->rule->driver : NULL;
		const struct plan_item *prev;
		const struct variant_alias *a;

		if (plan_refused(it))
			continue;
		if (!loaded) {
			loaded = true;
			if (modload_kernel_release(rootfd, kver, sizeof(kver)) < 0 ||
			    variant_table_load(&vt, rootfd, kver) < 0)
				log_debug("modules.alias: %s: only vfio-pci is chosen",
					  strerror(vt.err ? -vt.err : ENOENT));
		}
		a = variant_pick(&vt, it->dev, want, it->target_note, sizeof(it->target_note));
		if (it->target_note[0])
			log_warn("%s: %s; vfio-pci instead", it->dev->name, it->target_note);
		if (!a)
			continue;
		/* One load per module, however many devices (a PF's VFs) it takes. */
		if ((prev = taken_before(pl, k, a->module))) {
			memcpy(it->target, prev->target, sizeof(it->target));
			memcpy(it->target_module, prev->target_module, sizeof(it->target_module));
		} else if (take_variant(it, rootfd, root, insert, a->module) < 0) {
			continue;
		}
		log_notice("%s: driver=%s chose %s (module %s, alias %s)", it->dev->name,
			   want ? want : "auto", it->target, a->module, a->pattern);
	}
	variant_table_free(&vt);
}
