// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: what a passthrough user needs to know, read-only.
 *
 * Facts are gathered once into struct report (IOMMU, the display devices
 * and their slot siblings, their IOMMU groups, the rules and the plan the
 * next boot would follow, what this boot did, the boot chain), turned into
 * a list of problems each with its fix, then printed as text or as JSON.
 *
 * Exit status: 0 when nothing is wrong (everything selected is ready),
 * 2 when there are warnings only, 3 when something blocks passthrough,
 * 1 on a usage or internal error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "legacy.h"
#include "log.h"
#include "modes.h"
#include "modload.h"
#include "pci.h"
#include "pciids.h"
#include "plan.h"
#include "protect.h"
#include "rules.h"
#include "sources.h"
#include "state.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

enum { REPORT_OK = 0, REPORT_USAGE = 1, REPORT_WARNINGS = 2, REPORT_BLOCKING = 3 };

enum severity {
	SEV_NOTE,
	SEV_WARNING,
	SEV_BLOCKING,
};

static const char *const sev_names[] = { "note", "warning", "blocking" };

struct problem {
	enum severity sev;
	char what[1024];
	char fix[400];
};

struct bar {
	unsigned index;
	uint64_t start;
	uint64_t size;
	bool prefetch;
	bool is64;
};

/* One line of the state file's device records. */
struct state_dev {
	char addr[PCI_ADDR_STRLEN];
	char result[24];
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
};

struct rdev {
	struct pci_dev *d;
	struct pciids_want names;
	int numa;
	struct bar bars[6];
	unsigned nbars;
	char framebuffer[64];
	char path[PATH_STRLEN + 8];
	const struct plan_item *plan;
	const struct state_dev *now;
};

enum group_verdict {
	GROUP_READY,		/* every member goes to vfio-pci at the next boot */
	GROUP_PARTIAL,		/* selected, but other members stay with the host */
	GROUP_VIABLE,		/* not selected; only one card's functions in it */
	GROUP_SHARED,		/* not selected; shares with other host devices */
	GROUP_BLOCKED,		/* holds the root filesystem's controller */
};

static const char *const verdict_names[] = {
	"ready", "partial", "viable", "shared", "blocked",
};

struct rgroup {
	int id;
	struct pci_dev **mem;
	size_t n;
	bool selected;
	enum group_verdict verdict;
};

struct initrd {
	char path[512];
	bool exists;
	bool checked;
	const char *tool;
	bool has_binary;
	bool has_config;
	bool has_module;
	bool has_protected;
	bool config_newer;
};

struct module_state {
	const char *name;
	char state[64];		/* "module", "built in", "missing" */
};

struct report {
	const struct mode_ctx *c;
	char kver[128];
	char *cmdline;
	size_t cmdline_len;

	bool iommu_active;
	char iommu_kind[64];
	char iommu_units[160];
	char iommu_flags[256];
	bool passthrough;
	bool acs_override;
	char intremap[64];

	struct ruleset rs;
	struct protect prot;
	struct pci_tree t;
	struct plan pl;
	bool scanned;
	bool config_present;

	char (*msgs)[320];	/* rule and planning messages */
	size_t nmsgs;

	struct rdev *dev;
	size_t ndev;
	struct rgroup *grp;
	size_t ngrp;

	struct boot_state st;
	struct module_state mods[3];
	struct initrd initrd;

	struct legacy_line *legacy;
	size_t nlegacy;
	size_t legacy_ids;

	struct problem *prob;
	size_t nprob;
};

static void add_problem(struct report *r, enum severity sev, const char *fix, const char *fmt,
			...) _printf_(4, 5);

static void add_problem(struct report *r, enum severity sev, const char *fix, const char *fmt,
			...)
{
	struct problem *p, *v;
	va_list ap;

	v = realloc(r->prob, (r->nprob + 1) * sizeof(*v));
	if (!v)
		return;
	r->prob = v;
	p = &r->prob[r->nprob++];
	p->sev = sev;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	snprintf(p->fix, sizeof(p->fix), "%s", fix ? fix : "");
}

/* Messages from rule loading and planning become part of the report. */
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

/* ---------------------------------------------------------------- IOMMU */

static bool cmdline_has(const struct report *r, const char *key, const char *val)
{
	const char *pos = r->cmdline, *end = r->cmdline + r->cmdline_len;
	struct cmdline_tok t;

	if (!r->cmdline)
		return false;
	while (cmdline_next(&pos, end, &t)) {
		if (!name_eq(t.key, t.klen, key))
			continue;
		if (!val || (t.val && strlen(val) == t.vlen && strncmp(t.val, val, t.vlen) == 0))
			return true;
	}
	return false;
}

static void append(char *buf, size_t size, const char *sep, const char *s, size_t len)
{
	size_t used = strlen(buf);

	snprintf(buf + used, size - used, "%s%.*s", used ? sep : "", (int)len, s);
}

static void gather_iommu(struct report *r)
{
	static const char *const keys[] = {
		"intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict",
		"intremap", "pcie_acs_override",
	};
	const char *pos, *end;
	struct cmdline_tok t;
	struct dirent *e;
	DIR *dir;
	int fd;

	r->iommu_active = r->t.iommu;
	fd = openat(r->c->rootfd, "sys/class/iommu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !dir)
		close(fd);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		append(r->iommu_units, sizeof(r->iommu_units), ", ", e->d_name,
		       strnlen(e->d_name, 32));
		if (!r->iommu_kind[0])
			snprintf(r->iommu_kind, sizeof(r->iommu_kind), "%s",
				 strncmp(e->d_name, "dmar", 4) == 0 ? "Intel VT-d" :
				 strncmp(e->d_name, "ivhd", 4) == 0 ? "AMD-Vi" : "IOMMU");
	}
	if (dir)
		closedir(dir);

	if (r->cmdline) {
		pos = r->cmdline;
		end = r->cmdline + r->cmdline_len;
		while (cmdline_next(&pos, end, &t)) {
			for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
				if (name_eq(t.key, t.klen, keys[i]))
					append(r->iommu_flags, sizeof(r->iommu_flags), " ", t.key,
					       (size_t)(t.val ? t.val + t.vlen - t.key : (ptrdiff_t)t.klen));
		}
	}
	r->passthrough = cmdline_has(r, "iommu", "pt") || cmdline_has(r, "iommu.passthrough", "1");
	r->acs_override = cmdline_has(r, "pcie_acs_override", NULL);

	if (cmdline_has(r, "intremap", "off") || cmdline_has(r, "intremap", "nosid")) {
		snprintf(r->intremap, sizeof(r->intremap), "turned off on the command line");
	} else if (strncmp(r->iommu_units, "dmar", 4) == 0) {
		char path[96], buf[64];
		unsigned long ecap;
		size_t n = strcspn(r->iommu_units, ",");

		snprintf(path, sizeof(path), "sys/class/iommu/%.*s/intel-iommu/ecap", (int)n,
			 r->iommu_units);
		if (read_attr(r->c->rootfd, path, buf, sizeof(buf)) > 0 &&
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

/* ------------------------------------------------------------- devices */

static void read_bars(struct report *r, struct rdev *x)
{
	char path[PCI_ADDR_STRLEN + 16], buf[2048];
	const char *p = buf;

	snprintf(path, sizeof(path), "%s/resource", x->d->name);
	if (read_attr(r->t.devfd, path, buf, sizeof(buf)) <= 0)
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
		char path[PCI_ADDR_STRLEN + 16], buf[32];
		unsigned long v;

		x->plan = x->d->plan >= 0 ? &r->pl.v[x->d->plan] : NULL;
		x->numa = -1;
		snprintf(path, sizeof(path), "%s/numa_node", x->d->name);
		if (read_attr(r->t.devfd, path, buf, sizeof(buf)) > 0 && buf[0] != '-' &&
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

static struct rgroup *find_group(struct report *r, int id)
{
	for (size_t i = 0; i < r->ngrp; i++)
		if (r->grp[i].id == id)
			return &r->grp[i];
	return NULL;
}

static bool will_bind(const struct pci_dev *d, const struct plan *pl)
{
	return d->plan >= 0 && !pl->v[d->plan].refused;
}

static void gather_groups(struct report *r)
{
	for (size_t k = 0; k < r->ndev; k++) {
		int id = r->dev[k].d->iommu_group;
		struct rgroup *g, *v;

		if (id < 0 || find_group(r, id))
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
		bool all_bind = true, one_card = true, root = false;
		const struct pci_dev *first = NULL;

		for (size_t j = 0; j < g->n; j++) {
			struct pci_dev *m = g->mem[j];

			pci_load(&r->t, m);
			if (pci_is_bridge(m))
				continue;
			if (m->plan >= 0)
				g->selected = true;
			if (!will_bind(m, &r->pl))
				all_bind = false;
			if (protect_find(&r->prot, &m->addr))
				root = true;
			if (!first)
				first = m;
			else if (!pci_same_slot(first, m))
				one_card = false;
		}
		if (root)
			g->verdict = GROUP_BLOCKED;
		else if (g->selected)
			g->verdict = all_bind ? GROUP_READY : GROUP_PARTIAL;
		else
			g->verdict = one_card ? GROUP_VIABLE : GROUP_SHARED;
	}
}

/* ------------------------------------------------------- this boot */

static const char *field(const char *line, const char *key, char *buf, size_t size)
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

static void gather_state(struct report *r)
{
	_cleanup_free_ char *buf = NULL;
	struct boot_state *st = &r->st;
	size_t len;
	char v[64];

	buf = read_file_at(r->c->rootfd, STATE_FILE, 1 << 20, &len);
	if (!buf || strncmp(buf, "vfio-early-state 1\n", 19) != 0)
		return;
	st->present = true;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "run ", 4) == 0) {
			field(line, "mode", st->mode, sizeof(st->mode));
			field(line, "kernel", st->kernel, sizeof(st->kernel));
			if (field(line, "exit", v, sizeof(v)))
				st->exit_status = atoi(v);
			if (field(line, "bound", v, sizeof(v)))
				st->bound = (unsigned)atoi(v);
			if (field(line, "failed", v, sizeof(v)))
				st->failed = (unsigned)atoi(v);
			if (field(line, "refused", v, sizeof(v)))
				st->refused = (unsigned)atoi(v);
		} else if (strncmp(line, "device ", 7) == 0) {
			struct state_dev *d, *nv = realloc(st->dev, (st->ndev + 1) * sizeof(*nv));

			if (!nv)
				break;
			st->dev = nv;
			d = &st->dev[st->ndev];
			memset(d, 0, sizeof(*d));
			if (field(line, "addr", d->addr, sizeof(d->addr)) &&
			    field(line, "result", d->result, sizeof(d->result))) {
				field(line, "reason", d->reason, sizeof(d->reason));
				st->ndev++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	for (size_t k = 0; k < r->ndev; k++)
		for (size_t i = 0; i < st->ndev; i++)
			if (strcmp(st->dev[i].addr, r->dev[k].d->name) == 0)
				r->dev[k].now = &st->dev[i];
}

/* ------------------------------------------------------- boot chain */

static void gather_modules(struct report *r)
{
	static const char *const names[] = { "vfio-pci", "vfio", "vfio_iommu_type1" };
	char dirname[4096];
	struct kmod_ctx *ctx;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		r->mods[i].name = names[i];
		snprintf(r->mods[i].state, sizeof(r->mods[i].state), "missing");
	}
	snprintf(dirname, sizeof(dirname), "%s/lib/modules/%s", r->c->live ? "" : r->c->root,
		 r->kver);
	ctx = kmod_open(dirname, NULL);
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
		char path[64];

		if (strcmp(r->mods[i].state, "missing") != 0)
			continue;
		snprintf(path, sizeof(path), "sys/module/%s", names[i]);
		for (char *p = path + 11; *p; p++)
			if (*p == '-')
				*p = '_';
		if (faccessat(r->c->rootfd, path, F_OK, 0) == 0)
			snprintf(r->mods[i].state, sizeof(r->mods[i].state), "loaded, no file");
	}
}

/*
 * List an initramfs with the tool of its generator, run directly (no
 * shell), bounded in time and output.  Returns the listing or NULL.
 */
static char *list_image(const char *tool, const char *image)
{
	char *const argv[] = { (char *)tool, (char *)image, NULL };
	size_t cap = 1 << 16, used = 0, max = 16u << 20;
	char *buf = malloc(cap);
	int pfd[2], status;
	time_t deadline = time(NULL) + 60;
	pid_t pid;

	if (!buf || pipe2(pfd, O_CLOEXEC) < 0) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return NULL;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execv(tool, argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (time(NULL) >= deadline || poll(&p, 1, 1000) < 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if (used + 1 >= cap && cap < max) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(pfd[0], buf + used, cap - used - 1);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	buf[used] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void gather_initrd(struct report *r)
{
	static const char *const images[][2] = {
		{ "boot/initrd.img-", "" },		/* initramfs-tools */
		{ "boot/initramfs-", ".img" },		/* dracut */
	};
	static const char *const tools[] = {
		"/usr/bin/lsinitramfs", "/usr/sbin/lsinitramfs", "/usr/bin/lsinitrd",
		"/usr/sbin/lsinitrd",
	};
	struct initrd *in = &r->initrd;
	struct stat st, cst;
	char rel[300];
	_cleanup_free_ char *list = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(images) && !in->exists; i++) {
		snprintf(rel, sizeof(rel), "%s%s%s", images[i][0], r->kver, images[i][1]);
		if (fstatat(r->c->rootfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode)) {
			in->exists = true;
			snprintf(in->path, sizeof(in->path), "%s/%s",
				 r->c->live ? "" : r->c->root, rel);
			/* lsinitrd lists dracut images, lsinitramfs initramfs-tools ones. */
			for (size_t k = 0; k < ARRAY_SIZE(tools) && !in->tool; k++)
				if (access(tools[k], X_OK) == 0 &&
				    (strstr(tools[k], "lsinitrd") != NULL) == (i == 1))
					in->tool = tools[k];
		}
	}
	if (!in->exists)
		return;
	if (fstatat(r->c->rootfd, CONFIG_FILE, &cst, 0) == 0 && cst.st_mtime > st.st_mtime)
		in->config_newer = true;
	if (!in->tool || !(list = list_image(in->tool, in->path)))
		return;
	in->checked = true;
	in->has_binary = strstr(list, "sbin/vfio-early") != NULL ||
			 strstr(list, "bin/vfio-early") != NULL;
	in->has_config = strstr(list, "etc/vfio-early.conf") != NULL;
	in->has_module = strstr(list, "vfio-pci.ko") != NULL;
	in->has_protected = strstr(list, "vfio-early/protected") != NULL;
}

/* ---------------------------------------------------------- analysis */

/* Where this host keeps its kernel command line, and what applies it. */
static const char *cmdline_where(const struct report *r)
{
	if (faccessat(r->c->rootfd, "etc/kernel/cmdline", F_OK, 0) == 0)
		return "/etc/kernel/cmdline, then run proxmox-boot-tool refresh";
	return "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run update-grub";
}

static const char *rebuild_cmd(const struct report *r)
{
	return r->initrd.tool && strstr(r->initrd.tool, "lsinitrd") ? "dracut -f" :
	       "update-initramfs -u";
}

static void refusal_fix(const struct report *r, const struct plan_item *it, char *fix,
			size_t size)
{
	switch (it->code) {
	case REF_BOOT_VGA:
		snprintf(fix, size, "if this GPU should leave the host's console, add "
			 "allow-boot-vga to its rule (or vfio_early.allow_boot_vga=1 to the kernel "
			 "command line: %s); otherwise pick another GPU for the VM",
			 cmdline_where(r));
		break;
	case REF_ROOT:
	case REF_ROOT_GROUP:
		snprintf(fix, size, "the host needs this; move the card to a slot with its own "
			 "IOMMU group (CPU-attached slots usually are), or the root disk to "
			 "another controller");
		break;
	case REF_NO_IOMMU:
	case REF_NO_GROUP:
		snprintf(fix, size, "%s (edit %s); reboot", iommu_hint(r->c->rootfd),
			 cmdline_where(r));
		break;
	case REF_STORAGE:
	case REF_NETWORK:
		snprintf(fix, size, "if it really should go to a VM, name it with an address "
			 "rule or add %s to the rule", it->code == REF_STORAGE ?
			 "allow-storage" : "allow-network");
		break;
	case REF_EXPECT:
		snprintf(fix, size, "check which card sits in that slot now (vfio-early "
			 "--report) and update the path or expect= of the rule");
		break;
	case REF_BRIDGE:
		snprintf(fix, size, "remove the rule; name the devices below the bridge instead");
		break;
	case REF_NO_OVERRIDE:
		snprintf(fix, size, "use a kernel newer than 3.16");
		break;
	default:
		fix[0] = '\0';
		break;
	}
}

/* Edit distance of two short names ('-' and '_' the same), capped at 3. */
static unsigned distance(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	unsigned row[40], prev;

	if (al >= 39 || bl >= 39)
		return 3;
	for (size_t j = 0; j <= bl; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= al; i++) {
		char x = a[i - 1] == '-' ? '_' : a[i - 1];

		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= bl; j++) {
			char y = b[j - 1] == '-' ? '_' : b[j - 1];
			unsigned best = prev + (x != y);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = row[j];
			row[j] = best;
		}
	}
	return row[bl] < 3 ? row[bl] : 3;
}

/* Kernel options of this field spelt almost right are silently ignored. */
static void check_spelling(struct report *r)
{
	static const char *const known[] = {
		"intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict",
		"intremap", "pcie_acs_override", "vfio-pci.ids", "vfio-pci.disable_vga",
		"vfio_iommu_type1.allow_unsafe_interrupts", "initcall_blacklist", "video",
		"rd.driver.pre", "rd.driver.blacklist", "modprobe.blacklist", "module_blacklist",
	};
	const char *pos = r->cmdline, *end = r->cmdline + r->cmdline_len;
	struct cmdline_tok t;

	while (r->cmdline && cmdline_next(&pos, end, &t)) {
		const char *best = NULL;
		bool exact = false;

		if (t.klen < 5)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
			unsigned d = distance(t.key, t.klen, known[i]);

			if (d == 0)
				exact = true;
			else if (d <= 2 && !best)
				best = known[i];
		}
		if (!exact && best) {
			char fix[160];

			snprintf(fix, sizeof(fix), "spell it %s (%s)", best, cmdline_where(r));
			add_problem(r, SEV_WARNING, fix, "the kernel command line has %.*s, which the "
				    "kernel ignores: a misspelt %s?", (int)t.klen, t.key, best);
		}
	}
}

/*
 * The modprobe.d recipe next to vfio-early.  A line that takes a driver
 * from devices the host keeps (blacklisting snd_hda_intel takes the host's
 * own audio) is a warning; lines that are merely unnecessary are one note
 * per reason.
 */
static void check_legacy(struct report *r)
{
	bool configured = false;

	for (size_t i = 0; i < r->rs.n; i++)
		configured |= !r->rs.v[i].legacy;
	if (!configured || r->rs.off) {
		if (r->legacy_ids)
			add_problem(r, SEV_NOTE, "vfio-early --import prints the equivalent "
				    "/etc/vfio-early.conf and which lines it makes unnecessary",
				    "this host binds devices with the modprobe.d recipe "
				    "(options vfio-pci ids=, blacklists, softdeps); vfio-early "
				    "applies its ids with its safety checks");
		return;
	}
	for (size_t i = 0; i < r->nlegacy; i++) {
		const struct legacy_line *l = &r->legacy[i];
		char lines[640] = "", fix[400];
		size_t j;

		if (l->v == LEGACY_KEEP)
			continue;
		if (l->v == LEGACY_EDIT || l->harms_host) {
			if (l->v == LEGACY_EDIT)
				snprintf(fix, sizeof(fix), "change it to: %s", l->edit);
			else
				snprintf(fix, sizeof(fix), "delete it, then rebuild the initramfs");
			add_problem(r, SEV_WARNING, fix, "old recipe line %s: %s: %s", l->where,
				    l->text, l->why);
			continue;
		}
		/* Neighbours with the same reason are one note. */
		for (j = i; j < r->nlegacy && r->legacy[j].v == LEGACY_DROP &&
			    !r->legacy[j].harms_host && strcmp(r->legacy[j].why, l->why) == 0; j++) {
			char one[160];

			snprintf(one, sizeof(one), "%s (%s)", r->legacy[j].where, r->legacy[j].text);
			append(lines, sizeof(lines), ", ", one, strlen(one));
		}
		add_problem(r, SEV_NOTE, "delete them when convenient (vfio-early --import explains "
			    "every line)", "old recipe lines now unnecessary: %s: %s", lines,
			    l->why);
		i = j - 1;
	}
}

static void analyse(struct report *r)
{
	char fix[400], missing[96];
	bool rules = r->rs.n > 0;

	if (!r->scanned)
		add_problem(r, SEV_BLOCKING, "run as root, or check that sysfs is mounted",
			    "cannot read /sys/bus/pci/devices");
	if (!r->iommu_active) {
		snprintf(fix, sizeof(fix), "%s (edit %s); reboot", iommu_hint(r->c->rootfd),
			 cmdline_where(r));
		add_problem(r, SEV_BLOCKING, fix, "no IOMMU is active: nothing can be passed "
			    "through%s", r->iommu_flags[0] ? " (the command line asks for it: "
			    "check the firmware setting)" : "");
	}
	if (cmdline_has(r, "intel_iommu", "1") || cmdline_has(r, "intel_iommu", "yes"))
		add_problem(r, SEV_WARNING, "write intel_iommu=on",
			    "the kernel does not understand intel_iommu=1 or =yes");
	if (cmdline_has(r, "amd_iommu", "on"))
		add_problem(r, SEV_NOTE, "nothing to do: AMD-Vi is on when the firmware "
			    "enables it; amd_iommu=on can be removed",
			    "amd_iommu=on is not a value the kernel knows");
	check_spelling(r);
	if (r->acs_override)
		add_problem(r, SEV_WARNING, "remove pcie_acs_override= once the card sits in a "
			    "slot with its own IOMMU group",
			    "pcie_acs_override is set: it splits IOMMU groups the hardware does not "
			    "isolate, so a VM may reach devices the host keeps (a security risk)");
	if (r->rs.off)
		add_problem(r, SEV_WARNING, "remove vfio_early=off from the kernel command line",
			    "vfio_early=off is on the kernel command line: vfio-early does nothing "
			    "at boot");
	for (size_t i = 0; i < r->nmsgs; i++)
		if (!strstr(r->msgs[i], "is not usable for a VM yet") &&
		    !strstr(r->msgs[i], "no IOMMU is active"))
			add_problem(r, strstr(r->msgs[i], "matches no device") ? SEV_NOTE :
				    SEV_WARNING, "correct or remove that rule", "%s", r->msgs[i]);

	for (size_t k = 0; k < r->pl.n; k++) {
		const struct plan_item *it = &r->pl.v[k];
		bool said = false;

		/* One problem per cause: not for each function of the same card. */
		for (size_t j = 0; j < k; j++)
			if (r->pl.v[j].refused && r->pl.v[j].code == it->code &&
			    pci_same_slot(r->pl.v[j].dev, it->dev))
				said = true;
		if (!it->refused || said || it->code == REF_NO_IOMMU || it->code == REF_ORIGIN ||
		    it->code == REF_CARD)
			continue;
		refusal_fix(r, it, fix, sizeof(fix));
		add_problem(r, SEV_BLOCKING, fix, "%s is selected but will be refused: %s",
			    it->dev->name, it->reason);
	}
	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rgroup *g = &r->grp[i];
		const struct rule *sel = NULL;
		char others[300] = "", addrs[200] = "", whole[160] = "";

		if (g->verdict != GROUP_PARTIAL)
			continue;
		for (size_t j = 0; j < g->n; j++) {
			const struct pci_dev *m = g->mem[j];
			char one[96];

			if (pci_is_bridge(m))
				continue;
			if (will_bind(m, &r->pl)) {
				if (!sel)
					sel = r->pl.v[m->plan].rule;
				continue;
			}
			snprintf(one, sizeof(one), "%s (%s)", m->name,
				 m->driver[0] ? m->driver : "no driver");
			append(others, sizeof(others), ", ", one, strlen(one));
			append(addrs, sizeof(addrs), " ", m->name, strlen(m->name));
		}
		if (!others[0])
			continue;
		/* whole-group is an option of config rules only. */
		if (sel && !sel->key && sel->line)
			snprintf(whole, sizeof(whole), " (or add whole-group to the rule at %s:%u)",
				 sel->file, sel->line);
		if (snprintf(fix, sizeof(fix), "if the host can spare them, add the line "
			     "\"address %s\" to %s%s; otherwise move the card to a slot with "
			     "its own IOMMU group", addrs, config_name(r->c->config),
			     whole) >= (int)sizeof(fix))
			/* Too long to paste: the members are named in the problem itself. */
			snprintf(fix, sizeof(fix), "if the host can spare them, select those "
				 "too (address rules, or whole-group); otherwise move the card to "
				 "a slot with its own IOMMU group");
		add_problem(r, SEV_BLOCKING, fix,
			    "IOMMU group %d is not usable for a VM: it also holds %s", g->id, others);
	}

	for (size_t k = 0; k < r->ndev; k++) {
		const struct rdev *x = &r->dev[k];

		if (!x->plan || x->plan->refused)
			continue;
		if (x->framebuffer[0])
			add_problem(r, SEV_WARNING, "add initcall_blacklist=sysfb_init to the kernel "
				    "command line (or video=efifb:off on older kernels)",
				    "%s: the boot framebuffer (%s) sits on its memory; the VM's "
				    "driver may fail to map it", x->d->name, x->framebuffer);
		if (x->now && strcmp(x->now->result, "failed") == 0)
			add_problem(r, SEV_BLOCKING, "see dmesg | grep -i vfio for the kernel's "
				    "reason", "%s failed to bind at this boot: %s", x->d->name,
				    x->now->reason);
		else if (strcmp(x->d->driver, "vfio-pci") != 0)
			add_problem(r, SEV_WARNING, r->st.present ? "reboot" : NULL,
				    "%s is on %s now; the next boot hands it to vfio-pci",
				    x->d->name, x->d->driver[0] ? x->d->driver : "no driver");
	}

	if (rules && !r->rs.off && !r->st.present)
		add_problem(r, SEV_WARNING, "install vfio-early into the initramfs (make install, "
			    "then update-initramfs -u or dracut -f) and reboot",
			    "vfio-early did not run at this boot (no /run/vfio-early/state)");
	missing[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		if (strcmp(r->mods[i].state, "missing") == 0)
			append(missing, sizeof(missing), ", ", r->mods[i].name,
			       strlen(r->mods[i].name));
	if (missing[0])
		add_problem(r, SEV_BLOCKING, "install the kernel's modules package (on Debian: "
			    "linux-image-$(uname -r)) and check CONFIG_VFIO_PCI",
			    "vfio modules missing for kernel %s: %s", r->kver, missing);
	missing[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		if (strcmp(r->mods[i].state, "loaded, no file") == 0)
			append(missing, sizeof(missing), ", ", r->mods[i].name,
			       strlen(r->mods[i].name));
	if (missing[0])
		add_problem(r, SEV_WARNING, "reinstall the kernel's modules package (on Debian: "
			    "linux-image-$(uname -r))", "vfio modules loaded but missing from "
			    "/lib/modules/%s: %s; the next initramfs cannot carry them", r->kver,
			    missing);
	if (rules && r->initrd.checked && (!r->initrd.has_binary || !r->initrd.has_module)) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(r, SEV_BLOCKING, fix, "the initramfs %s lacks %s: the next boot will "
			    "not bind anything early", r->initrd.path, !r->initrd.has_binary ?
			    "vfio-early" : "the vfio-pci module");
	} else if (rules && r->initrd.checked && !r->initrd.has_config && r->config_present) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(r, SEV_BLOCKING, fix, "the initramfs %s lacks /etc/vfio-early.conf",
			    r->initrd.path);
	}
	check_legacy(r);
	if (rules && r->initrd.config_newer) {
		snprintf(fix, sizeof(fix), "run %s", rebuild_cmd(r));
		add_problem(r, SEV_WARNING, fix, "/etc/vfio-early.conf changed after the initramfs "
			    "%s was built", r->initrd.path);
	}
}

/* ------------------------------------------------------------- text */

static const char *dev_name(const struct rdev *x, char *buf, size_t size)
{
	const char *cls = pci_class_name(x->d->class);

	snprintf(buf, size, "%s [%04x]: %s%s%s [%04x:%04x]", cls ? cls : "Class",
		 x->d->class >> 8, x->names.vendor_name[0] ? x->names.vendor_name : "",
		 x->names.vendor_name[0] ? " " : "",
		 x->names.device_name[0] ? x->names.device_name : "Device", x->d->vendor,
		 x->d->device);
	return buf;
}

static void format_size(uint64_t size, char *buf, size_t n)
{
	if (size >= (1ULL << 30) && size % (1ULL << 30) == 0)
		snprintf(buf, n, "%llu GiB", (unsigned long long)(size >> 30));
	else if (size >= (1ULL << 20))
		snprintf(buf, n, "%llu MiB", (unsigned long long)(size >> 20));
	else
		snprintf(buf, n, "%llu KiB", (unsigned long long)(size >> 10));
}

static uint64_t largest_bar(const struct rdev *x)
{
	uint64_t max = 0;

	for (unsigned b = 0; b < x->nbars; b++)
		if (x->bars[b].size > max)
			max = x->bars[b].size;
	return max;
}

static const char *next_boot(const struct rdev *x, char *buf, size_t size)
{
	char origin[80];

	if (!x->plan) {
		snprintf(buf, size, "stays with the host (no rule selects it)");
		return buf;
	}
	rule_origin(x->plan->rule, origin, sizeof(origin));
	if (x->plan->refused)
		snprintf(buf, size, "refused: %s (rule %s)", x->plan->reason, origin);
	else
		snprintf(buf, size, "vfio-pci (rule %s%s%s)", origin,
			 x->plan->via == VIA_SLOT ? ", another function of the card" :
			 x->plan->via == VIA_GROUP ? ", whole-group" : " ",
			 x->plan->via == VIA_RULE ? x->plan->rule->token : "");
	return buf;
}

static void print_member(FILE *f, const struct report *r, const struct pci_dev *m)
{
	const char *cls = pci_class_name(m->class);

	fprintf(f, "        %s [%04x:%04x] %s, %s%s\n", m->name, m->vendor, m->device,
		cls ? cls : "device", m->driver[0] ? m->driver : "no driver",
		protect_find(&r->prot, &m->addr) ? ", holds the root filesystem" :
		will_bind(m, &r->pl) ? ", to vfio-pci" : "");
}

static void print_vm_lines(FILE *f, const struct report *r)
{
	unsigned n = 0;

	for (size_t k = 0; k < r->ndev; k++) {
		const struct rdev *x = &r->dev[k];
		const struct rgroup *g = find_group((struct report *)r, x->d->iommu_group);
		char slot[PCI_ADDR_STRLEN];
		struct pci_addr a = x->d->addr;

		if (!g || g->verdict != GROUP_READY || !will_bind(x->d, &r->pl))
			continue;
		/* One entry per card: print at its first function. */
		if (k > 0 && pci_same_slot(r->dev[k - 1].d, x->d) && will_bind(r->dev[k - 1].d, &r->pl))
			continue;
		a.has_func = false;
		format_pci_addr(&a, slot);
		fprintf(f, "  %s (IOMMU group %d)\n", slot, g->id);
		fprintf(f, "    Proxmox: qm set VMID -hostpci%u %s,pcie=1%s\n", n++, slot,
			pci_base_class(x->d) == 0x03 ? "   (add ,x-vga=1 for the VM's primary display)" : "");
		fprintf(f, "    libvirt:\n");
		for (size_t j = k; j < r->ndev && pci_same_slot(r->dev[j].d, x->d); j++) {
			const struct pci_addr *fa = &r->dev[j].d->addr;

			if (!will_bind(r->dev[j].d, &r->pl))
				continue;
			fprintf(f, "      <hostdev mode='subsystem' type='pci' managed='yes'><source>"
				"<address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
				"function='0x%x'/></source></hostdev>\n", fa->domain, fa->bus,
				fa->slot, fa->func);
		}
	}
	if (n == 0)
		fprintf(f, "  none yet\n");
}

static int exit_status(const struct report *r, unsigned *warn, unsigned *block)
{
	*warn = *block = 0;
	for (size_t i = 0; i < r->nprob; i++) {
		if (r->prob[i].sev == SEV_BLOCKING)
			(*block)++;
		else if (r->prob[i].sev == SEV_WARNING)
			(*warn)++;
	}
	return *block ? REPORT_BLOCKING : *warn ? REPORT_WARNINGS : REPORT_OK;
}

static void print_text(FILE *f, const struct report *r)
{
	unsigned warn, block;
	int status = exit_status(r, &warn, &block);

	fprintf(f, "vfio-early %s report (kernel %s)\n\n", VERSION, r->kver);

	fprintf(f, "IOMMU\n");
	if (r->iommu_active)
		fprintf(f, "  active: %s (%s)\n", r->iommu_kind[0] ? r->iommu_kind : "IOMMU",
			r->iommu_units[0] ? r->iommu_units : "no units listed");
	else
		fprintf(f, "  not active: no IOMMU groups in /sys/kernel/iommu_groups\n");
	fprintf(f, "  kernel command line: %s\n",
		r->iommu_flags[0] ? r->iommu_flags : "no IOMMU options (defaults)");
	fprintf(f, "  passthrough mode (iommu=pt): %s\n", r->passthrough ? "yes" : "no");
	fprintf(f, "  interrupt remapping: %s\n", r->intremap);
	fprintf(f, "  ACS override: %s\n\n", r->acs_override ?
		"ON (pcie_acs_override: groups are not isolated by hardware)" : "off");

	fprintf(f, "GPUs and their functions\n");
	if (r->ndev == 0)
		fprintf(f, "  none found\n");
	for (size_t k = 0; k < r->ndev; k++) {
		const struct rdev *x = &r->dev[k];
		const struct rgroup *g = find_group((struct report *)r, x->d->iommu_group);
		char name[400], size[32], nb[400];

		fprintf(f, "  %s %s\n", x->d->name, dev_name(x, name, sizeof(name)));
		fprintf(f, "      subsystem %04x:%04x, driver %s, override %s, boot VGA %s, NUMA "
			"node %d\n", x->d->subvendor, x->d->subdevice,
			x->d->driver[0] ? x->d->driver : "none",
			x->d->override[0] ? x->d->override : "none", x->d->boot_vga ? "yes" : "no",
			x->numa);
		if (x->path[0])
			fprintf(f, "      stable path: %s\n", x->path);
		if (x->nbars) {
			fprintf(f, "      memory:");
			for (unsigned b = 0; b < x->nbars; b++) {
				format_size(x->bars[b].size, size, sizeof(size));
				fprintf(f, "%s BAR%u %s%s", b ? "," : "", x->bars[b].index, size,
					x->bars[b].prefetch ? " prefetchable" : "");
			}
			if (pci_base_class(x->d) == 0x03 && largest_bar(x) > (256ULL << 20))
				fprintf(f, " (large BAR: Resizable BAR is on; the VM needs a 64-bit "
					"MMIO window that fits it)");
			fprintf(f, "\n");
		}
		if (x->framebuffer[0])
			fprintf(f, "      boot framebuffer on its memory: %s\n", x->framebuffer);
		if (g && (k == 0 || r->dev[k - 1].d->iommu_group != g->id)) {
			fprintf(f, "      IOMMU group %d (%s):\n", g->id, verdict_names[g->verdict]);
			for (size_t j = 0; j < g->n; j++)
				print_member(f, r, g->mem[j]);
		} else if (g) {
			fprintf(f, "      IOMMU group %d, as above\n", g->id);
		} else {
			fprintf(f, "      IOMMU group: none\n");
		}
		fprintf(f, "      next boot: %s\n", next_boot(x, nb, sizeof(nb)));
		if (x->now)
			fprintf(f, "      this boot: %s%s%s\n", x->now->result,
				x->now->reason[0] ? ": " : "", x->now->reason);
		if (!x->plan && pci_base_class(x->d) == 0x03 && !x->d->on_root_bus) {
			struct pci_addr a = x->d->addr;
			char slot[PCI_ADDR_STRLEN];
			char *sl = strrchr(x->path, '/');

			a.has_func = false;
			format_pci_addr(&a, slot);
			fprintf(f, "      to select it: \"address %s\"", slot);
			if (sl)
				fprintf(f, " or \"path %.*s expect=%04x:%04x\"",
					(int)(sl - x->path + 3), x->path, x->d->vendor, x->d->device);
			fprintf(f, " in /etc/vfio-early.conf\n");
		}
	}

	fprintf(f, "\nConfiguration\n");
	fprintf(f, "  %s: %s\n", config_name(r->c->config),
		r->config_present ? "present" : "absent");
	fprintf(f, "  rules: %zu (command line, modprobe.d, config), %u problem%s\n", r->rs.n, r->rs.errors,
		r->rs.errors == 1 ? "" : "s");
	for (size_t i = 0; i < r->rs.n; i++) {
		char origin[80];

		rule_origin(&r->rs.v[i], origin, sizeof(origin));
		fprintf(f, "    %s: %s%s, %u device%s\n", origin, r->rs.v[i].exclude ? "exclude " : "",
			r->rs.v[i].token, r->rs.v[i].matches, r->rs.v[i].matches == 1 ? "" : "s");
	}
	if (r->rs.off)
		fprintf(f, "  vfio_early=off is on the kernel command line\n");

	fprintf(f, "\nThis boot\n");
	if (r->st.present)
		fprintf(f, "  vfio-early ran (%s mode, kernel %s): %u bound, %u failed, %u refused, "
			"exit %d\n", r->st.mode, r->st.kernel, r->st.bound, r->st.failed,
			r->st.refused, r->st.exit_status);
	else
		fprintf(f, "  vfio-early did not run (no /%s)\n", STATE_FILE);

	fprintf(f, "\nBoot chain\n");
	fprintf(f, "  modules for %s:", r->kver);
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		fprintf(f, "%s %s (%s)", i ? "," : "", r->mods[i].name, r->mods[i].state);
	fprintf(f, "\n");
	if (!r->initrd.exists)
		fprintf(f, "  initramfs: none found for %s in /boot\n", r->kver);
	else if (!r->initrd.checked)
		fprintf(f, "  initramfs %s: not inspected (%s)\n", r->initrd.path,
			r->initrd.tool ? "listing it failed" : "no lsinitramfs or lsinitrd");
	else
		fprintf(f, "  initramfs %s: vfio-early %s, config %s, vfio-pci %s, protected list "
			"%s\n", r->initrd.path, r->initrd.has_binary ? "yes" : "NO",
			r->initrd.has_config ? "yes" : "no", r->initrd.has_module ? "yes" : "NO",
			r->initrd.has_protected ? "yes" : "no");

	fprintf(f, "  passthrough recipe (modprobe.d, kernel command line): ");
	if (!r->nlegacy)
		fprintf(f, "none\n");
	else
		fprintf(f, "%zu line%s, %zu vfio-pci id%s\n", r->nlegacy, r->nlegacy == 1 ? "" : "s",
			r->legacy_ids, r->legacy_ids == 1 ? "" : "s");
	for (size_t i = 0; i < r->nlegacy; i++)
		fprintf(f, "    %s: %s [%s]\n", r->legacy[i].where, r->legacy[i].text,
			r->legacy[i].v == LEGACY_DROP ? "unnecessary with vfio-early" :
			r->legacy[i].v == LEGACY_EDIT ? "to edit" : "keep");

	fprintf(f, "\nReady for a VM\n");
	print_vm_lines(f, r);

	fprintf(f, "\nProblems and fixes\n");
	if (r->nprob == 0)
		fprintf(f, "  none\n");
	for (size_t i = 0; i < r->nprob; i++) {
		fprintf(f, "  [%s] %s\n", sev_names[r->prob[i].sev], r->prob[i].what);
		if (r->prob[i].fix[0])
			fprintf(f, "      fix: %s\n", r->prob[i].fix);
	}
	fprintf(f, "\nVerdict: %s (%u blocking, %u warning%s; exit %d)\n",
		status == REPORT_OK ? "ready" : status == REPORT_WARNINGS ? "warnings" : "blocked",
		block, warn, warn == 1 ? "" : "s", status);
}

/* ------------------------------------------------------------- JSON */

static void json_device(struct json *j, const struct report *r, const struct rdev *x)
{
	const char *cls = pci_class_name(x->d->class);
	char buf[64];

	json_begin_object(j);
	json_kstr(j, "address", x->d->name);
	snprintf(buf, sizeof(buf), "%04x", x->d->vendor);
	json_kstr(j, "vendor", buf);
	snprintf(buf, sizeof(buf), "%04x", x->d->device);
	json_kstr(j, "device", buf);
	snprintf(buf, sizeof(buf), "%04x:%04x", x->d->subvendor, x->d->subdevice);
	json_kstr(j, "subsystem", buf);
	snprintf(buf, sizeof(buf), "%06x", x->d->class);
	json_kstr(j, "class", buf);
	json_kstr_or_null(j, "class_name", cls);
	json_kstr_or_null(j, "vendor_name", x->names.vendor_name[0] ? x->names.vendor_name : NULL);
	json_kstr_or_null(j, "device_name", x->names.device_name[0] ? x->names.device_name : NULL);
	json_kstr_or_null(j, "driver", x->d->driver[0] ? x->d->driver : NULL);
	json_kstr_or_null(j, "driver_override", x->d->override[0] ? x->d->override : NULL);
	json_kbool(j, "boot_vga", x->d->boot_vga);
	json_kint(j, "numa_node", x->numa);
	json_kstr_or_null(j, "stable_path", x->path[0] ? x->path : NULL);
	json_key(j, "bars");
	json_begin_array(j);
	for (unsigned b = 0; b < x->nbars; b++) {
		json_begin_object(j);
		json_kint(j, "index", x->bars[b].index);
		json_kuint(j, "size", x->bars[b].size);
		json_kbool(j, "prefetchable", x->bars[b].prefetch);
		json_kbool(j, "64bit", x->bars[b].is64);
		json_end_object(j);
	}
	json_end_array(j);
	json_kstr_or_null(j, "boot_framebuffer", x->framebuffer[0] ? x->framebuffer : NULL);
	if (x->d->iommu_group >= 0)
		json_kint(j, "iommu_group", x->d->iommu_group);
	else
		json_knull(j, "iommu_group");
	json_key(j, "next_boot");
	json_begin_object(j);
	json_kstr(j, "action", !x->plan ? "none" : x->plan->refused ? "refused" : "bind");
	if (x->plan) {
		char origin[80];

		rule_origin(x->plan->rule, origin, sizeof(origin));
		json_kstr(j, "rule", origin);
		json_kstr(j, "via", plan_via_name(x->plan->via));
		json_kstr_or_null(j, "reason", x->plan->refused ? x->plan->reason : NULL);
	}
	json_end_object(j);
	if (x->now) {
		json_key(j, "this_boot");
		json_begin_object(j);
		json_kstr(j, "result", x->now->result);
		json_kstr_or_null(j, "reason", x->now->reason[0] ? x->now->reason : NULL);
		json_end_object(j);
	} else {
		json_knull(j, "this_boot");
	}
	(void)r;
	json_end_object(j);
}

static void print_json(FILE *f, const struct report *r)
{
	struct json j;
	unsigned warn, block;
	int status = exit_status(r, &warn, &block);

	json_init(&j, f);
	json_begin_object(&j);
	json_kstr(&j, "schema", "vfio-early-report/1");
	json_kstr(&j, "version", VERSION);
	json_kstr(&j, "kernel", r->kver);
	json_kstr_or_null(&j, "cmdline", r->cmdline);

	json_key(&j, "iommu");
	json_begin_object(&j);
	json_kbool(&j, "active", r->iommu_active);
	json_kstr_or_null(&j, "kind", r->iommu_kind[0] ? r->iommu_kind : NULL);
	json_kstr(&j, "units", r->iommu_units);
	json_kstr(&j, "cmdline_flags", r->iommu_flags);
	json_kbool(&j, "passthrough", r->passthrough);
	json_kstr(&j, "interrupt_remapping", r->intremap);
	json_kbool(&j, "acs_override", r->acs_override);
	json_end_object(&j);

	json_key(&j, "devices");
	json_begin_array(&j);
	for (size_t k = 0; k < r->ndev; k++)
		json_device(&j, r, &r->dev[k]);
	json_end_array(&j);

	json_key(&j, "groups");
	json_begin_array(&j);
	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rgroup *g = &r->grp[i];

		json_begin_object(&j);
		json_kint(&j, "id", g->id);
		json_kstr(&j, "verdict", verdict_names[g->verdict]);
		json_key(&j, "members");
		json_begin_array(&j);
		for (size_t m = 0; m < g->n; m++) {
			char buf[16];

			json_begin_object(&j);
			json_kstr(&j, "address", g->mem[m]->name);
			snprintf(buf, sizeof(buf), "%06x", g->mem[m]->class);
			json_kstr(&j, "class", buf);
			json_kstr_or_null(&j, "driver", g->mem[m]->driver[0] ? g->mem[m]->driver : NULL);
			json_kbool(&j, "bridge", pci_is_bridge(g->mem[m]));
			json_kbool(&j, "to_vfio", will_bind(g->mem[m], &r->pl));
			json_kbool(&j, "holds_root", protect_find(&r->prot, &g->mem[m]->addr) != NULL);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);

	json_key(&j, "config");
	json_begin_object(&j);
	json_kstr(&j, "file", config_name(r->c->config));
	json_kbool(&j, "present", r->config_present);
	json_kbool(&j, "disabled_on_cmdline", r->rs.off);
	json_key(&j, "rules");
	json_begin_array(&j);
	for (size_t i = 0; i < r->rs.n; i++) {
		char origin[80];

		rule_origin(&r->rs.v[i], origin, sizeof(origin));
		json_begin_object(&j);
		json_kstr(&j, "origin", origin);
		json_kstr(&j, "selector", r->rs.v[i].token);
		json_kbool(&j, "exclude", r->rs.v[i].exclude);
		json_kint(&j, "matches", r->rs.v[i].matches);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_kint(&j, "errors", r->rs.errors);
	json_end_object(&j);

	json_key(&j, "this_boot");
	if (r->st.present) {
		json_begin_object(&j);
		json_kstr(&j, "mode", r->st.mode);
		json_kstr(&j, "kernel", r->st.kernel);
		json_kint(&j, "exit", r->st.exit_status);
		json_kint(&j, "bound", r->st.bound);
		json_kint(&j, "failed", r->st.failed);
		json_kint(&j, "refused", r->st.refused);
		json_end_object(&j);
	} else {
		json_null(&j);
	}

	json_key(&j, "boot_chain");
	json_begin_object(&j);
	json_key(&j, "modules");
	json_begin_object(&j);
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		json_kstr(&j, r->mods[i].name, r->mods[i].state);
	json_end_object(&j);
	json_key(&j, "initramfs");
	if (r->initrd.exists) {
		json_begin_object(&j);
		json_kstr(&j, "path", r->initrd.path);
		json_kbool(&j, "inspected", r->initrd.checked);
		if (r->initrd.checked) {
			json_kbool(&j, "has_vfio_early", r->initrd.has_binary);
			json_kbool(&j, "has_config", r->initrd.has_config);
			json_kbool(&j, "has_vfio_pci", r->initrd.has_module);
			json_kbool(&j, "has_protected_list", r->initrd.has_protected);
		}
		json_kbool(&j, "config_newer", r->initrd.config_newer);
		json_end_object(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "legacy");
	json_begin_array(&j);
	for (size_t i = 0; i < r->nlegacy; i++) {
		const struct legacy_line *l = &r->legacy[i];

		json_begin_object(&j);
		json_kstr(&j, "where", l->where);
		json_kstr(&j, "line", l->text);
		json_kstr(&j, "verdict", l->v == LEGACY_DROP ? "unnecessary" :
			  l->v == LEGACY_EDIT ? "edit" : "keep");
		json_kstr_or_null(&j, "edit", l->edit);
		json_kstr(&j, "why", l->why);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);

	json_key(&j, "problems");
	json_begin_array(&j);
	for (size_t i = 0; i < r->nprob; i++) {
		json_begin_object(&j);
		json_kstr(&j, "severity", sev_names[r->prob[i].sev]);
		json_kstr(&j, "what", r->prob[i].what);
		json_kstr_or_null(&j, "fix", r->prob[i].fix[0] ? r->prob[i].fix : NULL);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_kstr(&j, "status", status == REPORT_OK ? "ready" :
		  status == REPORT_WARNINGS ? "warnings" : "blocked");
	json_kint(&j, "exit", status);
	json_end_object(&j);
	fputc('\n', f);
}

/* ---------------------------------------------------------------- main */

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->ngrp; i++)
		free(r->grp[i].mem);
	free(r->grp);
	free(r->dev);
	free(r->st.dev);
	free(r->prob);
	free(r->msgs);
	free(r->cmdline);
	legacy_free(r->legacy, r->nlegacy);
	plan_free(&r->pl);
	pci_tree_free(&r->t);
	protect_free(&r->prot);
	ruleset_free(&r->rs);
}

int report_run(const struct mode_ctx *c, bool json)
{
	struct report r = { .c = c, .t = { .devfd = -1 } };
	int status;
	unsigned warn, block;

	/* Everything said while gathering becomes part of the report. */
	log_setup(c->rootfd, c->verbose ? LOG_TO_STDERR : 0, c->verbose);
	log_set_hook(collect_msg, &r);

	if (kernel_release(c->rootfd, r.kver, sizeof(r.kver)) < 0)
		snprintf(r.kver, sizeof(r.kver), "unknown");
	r.cmdline = read_file_at(c->rootfd, "proc/cmdline", CMDLINE_MAX, &r.cmdline_len);
	if (r.cmdline)
		r.cmdline[strcspn(r.cmdline, "\n")] = '\0', r.cmdline_len = strlen(r.cmdline);
	r.config_present = c->config ? access(c->config, F_OK) == 0 :
			   faccessat(c->rootfd, CONFIG_FILE, F_OK, 0) == 0;

	rules_load(c->root, c->rootfd, c->config, false, &r.rs);
	r.scanned = pci_scan(&r.t, c->rootfd) == 0;
	if (r.scanned) {
		struct protect_sources src;

		protect_sources_from(&src, &r.rs);
		protect_for_run(&r.prot, &r.t, c->rootfd, c->live, &src, NULL);
	}
	if (r.scanned && plan_build(&r.pl, &r.t, &r.rs, &r.prot) < 0)
		r.pl.n = 0;
	log_set_hook(NULL, NULL);

	gather_iommu(&r);
	gather_devices(&r);
	gather_groups(&r);
	gather_state(&r);
	gather_modules(&r);
	gather_initrd(&r);
	if (legacy_scan(c, &r.legacy, &r.nlegacy, &r.legacy_ids) < 0)
		r.nlegacy = 0;
	analyse(&r);

	if (json)
		print_json(stdout, &r);
	else
		print_text(stdout, &r);
	fflush(stdout);
	status = exit_status(&r, &warn, &block);
	report_free(&r);
	return status;
}
