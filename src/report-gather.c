// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: the facts.  The rules and the plan the next boot
 * would follow, the IOMMU, the display devices and their slot siblings,
 * their IOMMU groups, what this boot did, the boot chain.  Reads only.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "initramfs.h"
#include "iommu.h"
#include "log.h"
#include "modload.h"
#include "report-gather.h"
#include "report-sriov.h"
#include "report-vm.h"
#include "sources.h"
#include "sysfs.h"
#include "variant.h"
#include "vfs.h"

/*
 * What is said while reading the rules, the protected list and the
 * devices becomes part of the report.  What planning says is not: the
 * report reads the plan itself.
 */
static void collect_msg(int prio, const char *line, void *data)
{
	struct report *r = data;
	char (*v)[320];

	if (prio > LOG_NOTICE)
		return;
	v = realloc(r->msgs, (r->nmsgs + 1) * sizeof(*v));
	if (!v)
		return;
	r->msgs = v;
	snprintf(r->msgs[r->nmsgs++], sizeof(*v), "%s", line);
}

static void note_match(const struct rule **include, const struct rule **exclude,
		       const struct rule *rr)
{
	const struct rule **slot = rr->exclude ? exclude : include;

	if (!*slot)
		*slot = rr;
}

/*
 * The VFs vfs= rules hand over are in the plan as the boot puts them there
 * (an address rule each, every safety check applied), for the VFs that
 * exist; nothing is made or written here.
 */
static void gather_vfs_plan(struct report *r)
{
	struct ruleset vr = { 0 };
	struct vfs_counts counts = { 0 };

	if (vfs_rules(&r->t, &r->rs, true, &vr, &counts) > 0)
		for (size_t i = 0; i < vr.n; i++)
			ruleset_add(&r->rs, &vr.v[i]);
	ruleset_free(&vr);
}

/*
 * The devices plan_build() counted as excluded, by name: the first include
 * and the first exclude rule that match each, in the plan's order (ids,
 * address and class rules, then paths).
 */
static void gather_exclusions(struct report *r)
{
	_cleanup_free_ const struct rule **inc = calloc(r->t.n, sizeof(*inc));
	_cleanup_free_ const struct rule **exc = calloc(r->t.n, sizeof(*exc));

	if (!inc || !exc)
		return;
	for (size_t i = 0; i < r->t.n; i++) {
		const struct pci_dev *d = &r->t.dev[i];

		for (size_t k = 0; k < r->rs.n; k++) {
			const struct rule *rr = &r->rs.v[k];

			if ((rr->kind == RULE_IDS && rule_matches_ids(rr, d->vendor, d->device,
								       d->subvendor, d->subdevice)) ||
			    (rr->kind == RULE_ADDR && rule_matches_addr(rr, &d->addr)) ||
			    (rr->kind == RULE_CLASS && rule_matches_class(rr, d->class)))
				note_match(&inc[i], &exc[i], rr);
		}
	}
	for (size_t k = 0; k < r->rs.n; k++) {
		const struct rule *rr = &r->rs.v[k];
		struct pci_dev **v;
		size_t n;

		if (rr->kind != RULE_PATH || pci_resolve_path(&r->t, &rr->u.path, &v, &n) < 0)
			continue;
		for (size_t j = 0; j < n; j++)
			note_match(&inc[v[j] - r->t.dev], &exc[v[j] - r->t.dev], rr);
		free(v);
	}
	for (size_t i = 0; i < r->t.n; i++) {
		struct exclusion *v;

		if (!inc[i] || !exc[i])
			continue;
		v = realloc(r->excl, (r->nexcl + 1) * sizeof(*v));
		if (!v)
			return;
		r->excl = v;
		r->excl[r->nexcl++] = (struct exclusion){
			.dev = &r->t.dev[i], .exclude = exc[i], .include = inc[i],
		};
	}
}

/* Interrupt remapping: off on the command line, or what the first VT-d unit offers. */
static void gather_intremap(struct report *r)
{
	if (report_cmdline_has(r, "intremap", "off") || report_cmdline_has(r, "intremap", "nosid")) {
		snprintf(r->intremap, sizeof(r->intremap), "turned off on the command line");
	} else if (strncmp(r->iommu_units, "dmar", 4) == 0) {
		char unit[33], buf[64];
		unsigned long ecap;
		size_t n = strcspn(r->iommu_units, ",");

		snprintf(unit, sizeof(unit), "%.*s", (int)n, r->iommu_units);
		if (sysfs_readf(r->c->rootfd, buf, sizeof(buf), "sys/class/iommu/%s/intel-iommu/ecap",
				unit) > 0 &&
		    parse_hex(buf, strlen(buf), ~0UL, &ecap) == 0)
			snprintf(r->intremap, sizeof(r->intremap), "%s",
				 ecap & (1UL << 3) ? "supported" : "not supported by this IOMMU");
		else
			snprintf(r->intremap, sizeof(r->intremap), "unknown");
	} else {
		snprintf(r->intremap, sizeof(r->intremap), "%s",
			 r->iommu_active ? "unknown" : "no IOMMU");
	}
}

static void gather_iommu(struct report *r)
{
	static const char *const keys[] = {
		"intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict",
		"intremap", "pcie_acs_override",
	};
	const char *pos, *end;
	struct cmdline_tok t;
	struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *e;

	r->iommu_active = r->t.iommu;
	/* No directory: no units, and the iterator gives nothing. */
	sysfs_opendirf(&dir, r->c->rootfd, "sys/class/iommu");
	while ((e = sysfs_dir_next(&dir))) {
		report_append(r->iommu_units, sizeof(r->iommu_units), ", ", e, strnlen(e, 32));
		if (!r->iommu_kind[0])
			snprintf(r->iommu_kind, sizeof(r->iommu_kind), "%s",
				 strncmp(e, "dmar", 4) == 0 ? "Intel VT-d" :
				 strncmp(e, "ivhd", 4) == 0 ? "AMD-Vi" : "IOMMU");
	}
	sysfs_dir_close(&dir);

	if (r->cmdline) {
		pos = r->cmdline;
		end = r->cmdline + r->cmdline_len;
		while (cmdline_next(&pos, end, &t)) {
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
				if (name_eq(t.key, t.klen, keys[i]))
					report_append(r->iommu_flags, sizeof(r->iommu_flags), " ", t.key,
					       (size_t)(t.val ? t.val + t.vlen - t.key : (ptrdiff_t)t.klen));
		}
	}
	r->passthrough = report_cmdline_has(r, "iommu", "pt") || report_cmdline_has(r, "iommu.passthrough", "1");
	r->acs_override = report_cmdline_has(r, "pcie_acs_override", NULL);
	gather_intremap(r);
}

static void read_bars(struct report *r, struct rdev *x)
{
	char buf[2048];
	const char *p = buf;

	if (pci_attr_read(&r->t, x->d, "resource", buf, sizeof(buf)) <= 0)
		return;
	for (unsigned i = 0; i < 6 && p; i++) {
		unsigned long long start, endaddr, flags;
		int n = 0;

		if (sscanf(p, "%llx %llx %llx%n", &start, &endaddr, &flags, &n) != 3)
			break;
		p = strchr(p, '\n');
		if (p)
			p++;
		/* IORESOURCE_MEM only: I/O port BARs are small and not mapped. */
		if (!(flags & 0x200) || endaddr <= start)
			continue;
		x->bars[x->nbars++] = (struct bar){
			.index = i, .start = start, .size = endaddr - start + 1,
			.prefetch = flags & 0x2000, .is64 = flags & 0x100000,
		};
	}
}

/* efifb, simplefb or vesafb claiming part of a BAR: the console sits there. */
static void find_framebuffer(struct rdev *x, const char *iomem)
{
	static const char *const fbs[] = { "efifb", "BOOTFB", "simple-framebuffer", "simplefb",
					   "vesafb", "vesa-framebuffer" };

	for (const char *line = iomem; line && *line;) {
		const char *nl = strchr(line, '\n');
		unsigned long long start, endaddr;
		char name[64];

		if (sscanf(line, " %llx-%llx : %63[^\n]", &start, &endaddr, name) == 3) {
			for (size_t i = 0; i < ARRAY_SIZE(fbs); i++) {
				if (strncmp(name, fbs[i], strlen(fbs[i])) != 0 || (!start && !endaddr))
					continue;
				for (unsigned b = 0; b < x->nbars; b++)
					if (start < x->bars[b].start + x->bars[b].size &&
					    endaddr >= x->bars[b].start)
						snprintf(x->framebuffer, sizeof(x->framebuffer), "%s",
							 name);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

static bool wanted(const struct report *r, const struct pci_dev *d)
{
	if (pci_is_bridge(d))
		return false;
	if (pci_base_class(d) == 0x03 || d->plan >= 0)
		return true;
	/* The other functions of a display card. */
	for (size_t i = 0; i < r->t.n; i++)
		if (pci_base_class(&r->t.dev[i]) == 0x03 && pci_same_slot(&r->t.dev[i], d) &&
		    !r->t.dev[i].on_root_bus)
			return true;
	return false;
}

static void gather_devices(struct report *r)
{
	_cleanup_free_ char *iomem = NULL;
	_cleanup_free_ struct pciids_want *names = NULL;
	size_t len;

	for (size_t i = 0; i < r->t.n; i++)
		if (pci_base_class(&r->t.dev[i]) == 0x03)
			pci_load(&r->t, &r->t.dev[i]);
	r->dev = calloc(r->t.n ? r->t.n : 1, sizeof(*r->dev));
	if (!r->dev)
		return;
	for (size_t i = 0; i < r->t.n; i++) {
		struct pci_dev *d = &r->t.dev[i];

		if (wanted(r, d)) {
			pci_load(&r->t, d);
			r->dev[r->ndev++].d = d;
		}
	}

	iomem = read_file_at(r->c->rootfd, "proc/iomem", 1 << 20, &len);
	names = calloc(r->ndev ? r->ndev : 1, sizeof(*names));
	for (size_t k = 0; k < r->ndev; k++) {
		struct rdev *x = &r->dev[k];
		char buf[32];
		unsigned long v;

		x->plan = x->d->plan >= 0 ? &r->pl.v[x->d->plan] : NULL;
		x->numa = -1;
		if (pci_attr_read(&r->t, x->d, "numa_node", buf, sizeof(buf)) > 0 && buf[0] != '-' &&
		    parse_dec(buf, strlen(buf), 4096, &v) == 0)
			x->numa = (int)v;
		read_bars(r, x);
		if (iomem)
			find_framebuffer(x, iomem);
		if (pci_stable_path(&r->t, x->d, x->path, sizeof(x->path)) < 0)
			x->path[0] = '\0';
		if (names) {
			names[k].vendor = x->d->vendor;
			names[k].device = x->d->device;
		}
	}
	if (names && pciids_lookup(r->c->rootfd, names, r->ndev) == 0)
		for (size_t k = 0; k < r->ndev; k++)
			r->dev[k].names = names[k];
}

/* The PF of @vf when it sits in @g: the group's vf_parent. */
static const struct pci_dev *pf_in_group(const struct report *r, const struct rgroup *g,
					 const struct pci_dev *vf)
{
	char target[PATH_MAX];
	struct pci_addr a;

	if (pci_link_read(&r->t, vf, "physfn", target, sizeof(target)) < 0 ||
	    parse_sysfs_name(path_basename(target), &a) < 0)
		return NULL;
	for (size_t j = 0; j < g->n; j++)
		if (pci_find(&r->t, &a) == g->mem[j])
			return g->mem[j];
	return NULL;
}

static void gather_groups(struct report *r)
{
	for (size_t k = 0; k < r->ndev; k++) {
		int id = r->dev[k].d->iommu_group;
		struct rgroup *g, *v;

		if (id < 0 || report_find_group(r, id))
			continue;
		v = realloc(r->grp, (r->ngrp + 1) * sizeof(*v));
		if (!v)
			return;
		r->grp = v;
		g = &r->grp[r->ngrp++];
		memset(g, 0, sizeof(*g));
		g->id = id;
		if (pci_group_members(&r->t, id, &g->mem, &g->n) < 0)
			g->n = 0;
	}
	for (size_t i = 0; i < r->ngrp; i++) {
		struct rgroup *g = &r->grp[i];
		bool all_bind = true, one_card = true, root = false, all_on = true;
		const struct pci_dev *first = NULL;

		for (size_t j = 0; j < g->n; j++) {
			struct pci_dev *m = g->mem[j];

			pci_load(&r->t, m);
			if (pci_is_bridge(m))
				continue;
			if (m->plan >= 0)
				g->selected = true;
			if (m->is_vf && report_will_bind(m, &r->pl) && !g->vf_parent)
				g->vf_parent = pf_in_group(r, g, m);
			if (!report_will_bind(m, &r->pl))
				all_bind = false;
			if (m->driver[0] && !variant_is_vfio_driver(r->t.rootfd, m->driver))
				all_on = false;
			if (protect_find(&r->prot, &m->addr))
				root = true;
			if (!first)
				first = m;
			else if (!pci_same_slot(first, m))
				one_card = false;
		}
		if (root)
			g->verdict = GROUP_BLOCKED;
		else if (g->selected && !all_bind)
			g->verdict = GROUP_PARTIAL;
		else if (g->selected)
			g->verdict = all_on ? GROUP_READY : GROUP_PENDING;
		else
			g->verdict = one_card ? GROUP_CANDIDATE : GROUP_SHARED;
	}
}

/* Members that make the kernel call a group not viable: bound, and not to a vfio driver. */
static void not_on_vfio(const struct report *r, const struct rgroup *g, char *buf, size_t size)
{
	for (size_t j = 0; j < g->n; j++) {
		const struct pci_dev *m = g->mem[j];
		char one[96];

		if (pci_is_bridge(m) || !m->driver[0] || variant_is_vfio_driver(r->t.rootfd, m->driver))
			continue;
		snprintf(one, sizeof(one), "%s is on %s", m->name, m->driver);
		report_append(buf, size, ", ", one, strlen(one));
	}
}

/* The vfio cdev of each member (/dev/vfio/devices/vfioX), where the kernel has it. */
static void check_cdevs(const struct report *r, int vfiofd, struct rgroup *g)
{
	for (size_t j = 0; j < g->n; j++) {
		_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
		const char *e;
		char one[96];
		int err;

		if (sysfs_opendirf(&dir, r->t.devfd, "%s/vfio-dev", g->mem[j]->name) < 0)
			continue;
		while ((e = sysfs_dir_next(&dir))) {
			if (strncmp(e, "vfio", 4) != 0)
				continue;
			err = vfio_cdev_check(vfiofd, e);
			/* 6.1 to 6.5, or no CONFIG_VFIO_DEVICE_CDEV: sysfs has vfio-dev, /dev not. */
			if (err == -ENOENT)
				continue;
			snprintf(one, sizeof(one), "; %s /dev/vfio/devices/%.16s %s", g->mem[j]->name,
				 e, err ? strerror(-err) : "opens");
			report_append(g->vfio_why, sizeof(g->vfio_why), "", one, strlen(one));
		}
	}
}

static void check_group_node(const struct report *r, int vfiofd, struct rgroup *g)
{
	int err;

	g->vfio = vfio_group_check(vfiofd, g->id, &err);
	switch (g->vfio) {
	case VFIO_VIABLE:
		snprintf(g->vfio_why, sizeof(g->vfio_why), "viable (checked)");
		check_cdevs(r, vfiofd, g);
		break;
	case VFIO_NOT_VIABLE:
		snprintf(g->vfio_why, sizeof(g->vfio_why), "not viable: ");
		not_on_vfio(r, g, g->vfio_why, sizeof(g->vfio_why));
		break;
	case VFIO_BUSY:
		snprintf(g->vfio_why, sizeof(g->vfio_why), "busy: a VM (or another program) holds "
			 "/dev/vfio/%d", g->id);
		break;
	case VFIO_NO_NODE:
		snprintf(g->vfio_why, sizeof(g->vfio_why), "no /dev/vfio/%d: no member is on "
			 "vfio-pci yet", g->id);
		break;
	default:
		snprintf(g->vfio_why, sizeof(g->vfio_why), "not checked: /dev/vfio/%d: %s%s", g->id,
			 strerror(err), err == EACCES ? " (run as root)" : "");
		break;
	}
}

/*
 * Ready groups, proven: on a live host each is opened as a VM would open
 * it.  A test root has no device nodes, so there it is not checked.
 */
static void gather_vfio(struct report *r)
{
	int vfiofd = -1;

	if (r->c->live)
		vfiofd = openat(r->c->rootfd, "dev/vfio", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < r->ngrp; i++) {
		struct rgroup *g = &r->grp[i];

		if (g->verdict != GROUP_READY)
			continue;
		if (!r->c->live)
			snprintf(g->vfio_why, sizeof(g->vfio_why), "not checked (no device nodes "
				 "under --root)");
		else if (vfiofd < 0)
			snprintf(g->vfio_why, sizeof(g->vfio_why), "no /dev/vfio: vfio is not loaded");
		else
			check_group_node(r, vfiofd, g);
	}
	if (vfiofd >= 0)
		close(vfiofd);
}

static void gather_state(struct report *r)
{
	struct boot_state *st = &r->st;

	if (state_read(r->c->rootfd, STATE_LATE_FILE, &r->late) < 0)
		memset(&r->late, 0, sizeof(r->late));
	/* Runs by hand since the boot: never mixed with what the boot did. */
	manual_read(r->c->rootfd, &r->manual);
	if (state_read(r->c->rootfd, STATE_FILE, st) < 0)
		return;
	for (size_t k = 0; k < r->ndev; k++)
		for (size_t i = 0; i < st->ndev; i++)
			if (strcmp(st->dev[i].addr, r->dev[k].d->name) == 0)
				r->dev[k].now = &st->dev[i];
}

static void gather_modules(struct report *r)
{
	static const char *const names[] = { "vfio-pci", "vfio", "vfio_iommu_type1" };
	char kver[sizeof(r->kver)];
	struct kmod_ctx *ctx;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		r->mods[i].name = names[i];
		snprintf(r->mods[i].state, sizeof(r->mods[i].state), "missing");
	}
	/* The root's modprobe.d, not the host's; a lookup reads no options. */
	ctx = modload_open_root(r->c->root, r->c->rootfd, kver, sizeof(kver));
	if (!ctx)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct kmod_list *list = NULL, *l;

		if (kmod_module_new_from_lookup(ctx, names[i], &list) < 0 || !list)
			continue;
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);

			snprintf(r->mods[i].state, sizeof(r->mods[i].state), "%s",
				 kmod_module_get_path(m) ? "module" : "built in");
			kmod_module_unref(m);
		}
		kmod_module_unref_list(list);
	}
	kmod_unref(ctx);
	/* Running, but no file for it: fine now, not for the next image. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char mod[64];

		if (strcmp(r->mods[i].state, "missing") != 0)
			continue;
		snprintf(mod, sizeof(mod), "%s", names[i]);
		for (char *p = mod; *p; p++)
			if (*p == '-')
				*p = '_';
		if (sysfs_accessf(r->c->rootfd, F_OK, "sys/module/%s", mod) == 0)
			snprintf(r->mods[i].state, sizeof(r->mods[i].state), "loaded, no file");
	}
}

/* The generators whose images the report knows, and how to list and rebuild them. */
static const char *const ls_initramfs[] = { "/usr/bin/lsinitramfs", "/usr/sbin/lsinitramfs", NULL };
static const char *const ls_initrd[] = { "/usr/bin/lsinitrd", "/usr/sbin/lsinitrd", NULL };
/* mkinitcpio's images are plain cpio, maybe compressed: lsinitramfs lists them too. */
static const char *const ls_initcpio[] = { "/usr/bin/lsinitcpio", "/usr/sbin/lsinitcpio",
					   "/usr/bin/lsinitramfs", "/usr/sbin/lsinitramfs", NULL };

static const struct generator {
	const char *prefix, *suffix;	/* boot/PREFIX NAME SUFFIX */
	bool pkgbase;			/* NAME: the kernel's pkgbase, not its release */
	const char *const *tools;
	const char *rebuild;
} generators[] = {
	{ "boot/initrd.img-", "", false, ls_initramfs, "update-initramfs -u" },
	{ "boot/initramfs-", ".img", false, ls_initrd, "dracut -f" },
	/* Arch: /boot/initramfs-linux.img, "linux" from /usr/lib/modules/KVER/pkgbase */
	{ "boot/initramfs-", ".img", true, ls_initcpio, "mkinitcpio -P" },
};

/* The package a kernel came from (mkinitcpio names its image after it), or "". */
static void read_pkgbase(const struct report *r, char *buf, size_t size)
{
	static const char *const files[] = { "usr/lib/modules/%s/pkgbase",
					     "lib/modules/%s/pkgbase" };

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files) && !buf[0]; i++) {
		if (sysfs_readf(r->c->rootfd, buf, size, files[i], r->kver) <= 0)
			buf[0] = '\0';
	}
	/* It becomes part of a file name. */
	if (strchr(buf, '/') || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
		buf[0] = '\0';
}

static void gather_initrd(struct report *r)
{
	struct initrd *in = &r->initrd;
	const struct generator *gen = NULL;
	struct stat st, cst;
	char rel[300], pkgbase[64];
	_cleanup_free_ char *list = NULL;

	read_pkgbase(r, pkgbase, sizeof(pkgbase));
	for (size_t i = 0; i < ARRAY_SIZE(generators) && !gen; i++) {
		const struct generator *g = &generators[i];
		const char *name = g->pkgbase ? pkgbase : r->kver;

		if (!name[0])
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", g->prefix, name, g->suffix);
		if (fstatat(r->c->rootfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode))
			gen = g;
	}
	if (!gen)
		return;
	in->exists = true;
	in->rebuild = gen->rebuild;
	snprintf(in->path, sizeof(in->path), "%s/%s", r->c->live ? "" : r->c->root, rel);
	for (size_t k = 0; gen->tools[k] && !in->tool; k++)
		if (access(gen->tools[k], X_OK) == 0)
			in->tool = gen->tools[k];
	if (fstatat(r->c->rootfd, CONFIG_FILE, &cst, 0) == 0 && cst.st_mtime > st.st_mtime)
		in->config_newer = true;
	if (in->tool)
		list = list_image(in->tool, in->path);
	/* An uncompressed image (mkinitcpio's COMPRESSION=cat) is read here. */
	if (!list)
		list = list_cpio(r->c->rootfd, rel);
	if (!list)
		return;
	in->checked = true;
	in->has_binary = strstr(list, "sbin/vfio-early") != NULL ||
			 strstr(list, "bin/vfio-early") != NULL;
	in->has_config = strstr(list, "etc/vfio-early.conf") != NULL;
	in->has_module = strstr(list, "vfio-pci.ko") != NULL;
	in->has_protected = strstr(list, "vfio-early/protected") != NULL;
}

static bool cpu_is_amd(int rootfd)
{
	struct iommu_host h;

	iommu_detect(rootfd, &h);
	return h.cpu == IOMMU_AMD;
}

void report_gather(struct report *r, const struct mode_ctx *c)
{
	r->c = c;
	/* Everything said while gathering becomes part of the report. */
	log_setup(c->rootfd, c->verbose ? LOG_TO_STDERR : 0, c->verbose);
	log_set_hook(collect_msg, r);

	if (modload_kernel_release(c->rootfd, r->kver, sizeof(r->kver)) < 0)
		snprintf(r->kver, sizeof(r->kver), "unknown");
	r->cmdline = read_file_at(c->rootfd, "proc/cmdline", CMDLINE_MAX, &r->cmdline_len);
	if (r->cmdline)
		r->cmdline[strcspn(r->cmdline, "\n")] = '\0', r->cmdline_len = strlen(r->cmdline);
	r->config_present = c->config ? access(c->config, F_OK) == 0 :
			    faccessat(c->rootfd, CONFIG_FILE, F_OK, 0) == 0;
	r->config_file = sources_config_name(c->config);
	r->boot = bootloader_detect(c->rootfd);
	r->amd_cpu = cpu_is_amd(c->rootfd);
	r->iommu_hint = plan_iommu_hint(c->rootfd);

	rules_load(c->root, c->rootfd, c->config, false, &r->rs);
	r->scanned = pci_scan(&r->t, c->rootfd) == 0;
	if (r->scanned) {
		struct protect_sources src;

		protect_sources_from(&src, &r->rs);
		protect_for_run(&r->prot, &r->t, c->rootfd, c->live, &src, NULL);
	}
	log_set_hook(NULL, NULL);
	if (r->scanned)
		gather_vfs_plan(r);
	if (r->scanned && plan_build(&r->pl, &r->t, &r->rs, &r->prot) < 0)
		r->pl.n = 0;
	/* Each device's driver, as the boot chooses it; nothing is loaded. */
	variant_choose(&r->pl, c->rootfd, c->root, false);
	if (r->scanned && r->pl.excluded)
		gather_exclusions(r);

	report_gather_sriov(r);
	gather_iommu(r);
	gather_devices(r);
	gather_groups(r);
	report_gather_cards(r);
	report_gather_selects(r);
	gather_vfio(r);
	gather_state(r);
	gather_modules(r);
	gather_initrd(r);
	if (legacy_scan(c, &r->legacy, &r->nlegacy, &r->legacy_ids) < 0)
		r->nlegacy = 0;
}
