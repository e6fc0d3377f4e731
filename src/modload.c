// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Loading vfio-pci with libkmod, the way modprobe(8) does: dependencies,
 * softdeps (vfio's post: vfio_iommu_type1) and modprobe.d options apply;
 * a built-in or already loaded module is fine.  Install commands from
 * modprobe.d are not run: this program never starts a shell.
 */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmdline.h"
#include "log.h"
#include "modload.h"
#include "modprobe-conf.h"
#include "parse.h"
#include "rules.h"
#include "sysfs.h"
#include "util.h"

/* Is @rootfd this machine's own "/"?  Only then may uname(2) speak for it. */
static bool is_host_root(int rootfd)
{
	struct stat a, b;

	return fstat(rootfd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Another root without osrelease: the one kernel it has modules for, if just one. */
static int only_modules_dir(int rootfd, char *buf, size_t size)
{
	static const char *const dirs[] = { "lib/modules", "usr/lib/modules" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
		const char *e;
		unsigned n = 0;

		buf[0] = '\0';
		if (sysfs_opendir(&dir, rootfd, dirs[i]) < 0)
			continue;
		while ((e = sysfs_dir_next(&dir))) {
			struct stat st;

			if (fstatat(dirfd(dir.dir), e, &st, 0) < 0 || !S_ISDIR(st.st_mode))
				continue;
			if (n++ == 0 && strlen(e) < size)
				memcpy(buf, e, strlen(e) + 1);
		}
		if (n == 1 && buf[0])
			return 0;
		if (n > 1)
			break;
	}
	buf[0] = '\0';
	return -ENOENT;
}

int modload_kernel_release(int rootfd, char *buf, size_t size)
{
	struct utsname u;
	ssize_t n = read_attr(rootfd, "proc/sys/kernel/osrelease", buf, size);

	if (n <= 0 && !is_host_root(rootfd)) {
		if (only_modules_dir(rootfd, buf, size) < 0)
			return -ENOENT;
	} else if (n <= 0) {
		if (uname(&u) < 0 || strlen(u.release) >= size)
			return -EINVAL;
		memcpy(buf, u.release, strlen(u.release) + 1);
	}
	/* It becomes a path component. */
	if (!buf[0] || strchr(buf, '/') || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
		return -EINVAL;
	return 0;
}

static void kmod_log(void *data, int prio, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	char text[512];

	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(text, sizeof(text), format, args);
	text[strcspn(text, "\n")] = '\0';
	log_msg(prio <= LOG_ERR ? LOG_WARNING : LOG_DEBUG, "libkmod: %s", text);
}

static bool g_insert;
static char g_seen[1024];

/* libkmod reports a shared dependency once per path to it: log it once. */
static void print_action(struct kmod_module *m, bool install, const char *options)
{
	const char *path = kmod_module_get_path(m), *name = kmod_module_get_name(m);
	char key[128];
	size_t olen = options ? strlen(options) : 0;

	if (install)
		return;		/* install commands are ignored */
	snprintf(key, sizeof(key), " %s ", name);
	if (strstr(g_seen, key))
		return;
	if (strlen(g_seen) + strlen(key) < sizeof(g_seen))
		strcat(g_seen, key + (g_seen[0] ? 1 : 0));
	while (olen > 0 && options[olen - 1] == ' ')
		olen--;
	log_info("%s %s%s%.*s", g_insert ? "loading" : "would load", path ? path : name,
		 olen ? " " : "", (int)olen, olen ? options : "");
}

struct kmod_ctx *modload_open(const char *dirname, const char *const *config)
{
	const char *saved = getenv("KMOD_LOG");
	char *keep = saved ? strdup(saved) : NULL;
	struct kmod_ctx *ctx;

	/*
	 * kmod_new() parses modprobe.d and reports bad lines before a log
	 * function can be set, straight to stderr: quiet it for that call.
	 */
	setenv("KMOD_LOG", "0", 1);
	ctx = kmod_new(dirname, config);
	if (keep)
		setenv("KMOD_LOG", keep, 1);
	else
		unsetenv("KMOD_LOG");
	free(keep);
	if (ctx) {
		kmod_set_log_fn(ctx, kmod_log, NULL);
		kmod_set_log_priority(ctx, LOG_ERR);
	}
	return ctx;
}

struct kmod_ctx *modload_open_root(const char *root, int rootfd, char *kver, size_t size)
{
	char dirname[4096], cfg[ARRAY_SIZE(modprobe_dirs)][4096];
	const char *cfgp[ARRAY_SIZE(modprobe_dirs) + 1] = { NULL };
	bool live = strcmp(root, "/") == 0;
	struct kmod_ctx *ctx;

	if (modload_kernel_release(rootfd, kver, size) < 0) {
		log_err("cannot tell the kernel release");
		return NULL;
	}
	if (xsnprintf(dirname, sizeof(dirname), "%s/lib/modules/%s", live ? "" : root, kver) < 0)
		return NULL;
	if (!live) {
		for (size_t i = 0; i < ARRAY_SIZE(modprobe_dirs); i++) {
			if (xsnprintf(cfg[i], sizeof(cfg[i]), "%s/%s", root, modprobe_dirs[i]) < 0)
				return NULL;
			cfgp[i] = cfg[i];
		}
	}
	ctx = modload_open(dirname, live ? NULL : cfgp);
	if (!ctx)
		log_err("libkmod: cannot start for %s", dirname);
	return ctx;
}

/* vfio-pci's options: libkmod's on the running system, the root's under --root. */
static char *vfio_pci_options(struct kmod_module *mod, bool live, int rootfd)
{
	const char *o;

	/*
	 * Not from libkmod under a test root: kmod_new() adds the options of
	 * /proc/cmdline by that absolute path, the host's, whatever the root.
	 */
	if (!live)
		return modprobe_options(rootfd, VFIO_PCI);
	o = kmod_module_get_options(mod);
	return strdup(o ? o : "");
}

/*
 * vfio-pci's options without ids=: given ids, vfio-pci would take every
 * device with them the moment it loads, before the safety policy could
 * say no (an NVMe of the same model as the root disk, before its driver
 * is loaded).  Those ids are vfio-early rules instead (modload_legacy_ids).
 */
static char *options_without_ids(const char *opts)
{
	size_t len = opts ? strlen(opts) : 0, used = 0;
	char *out = malloc(len + 1);
	const char *p = opts, *end = opts + len;
	struct modprobe_opt o;

	if (!out)
		return NULL;
	while (opts && modprobe_next_opt(&p, end, &o)) {
		if (o.val && name_eq(o.key, o.klen, "ids"))
			continue;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, o.word, o.wlen);
		used += o.wlen;
	}
	out[used] = '\0';
	return out;
}

static int probe_one(struct kmod_module *mod, bool insert, bool live, const char *kver)
{
	int flags = KMOD_PROBE_IGNORE_COMMAND;
	int err;

	if (!insert)
		flags |= KMOD_PROBE_DRY_RUN | (live ? 0 : KMOD_PROBE_IGNORE_LOADED);
	err = kmod_module_probe_insert_module(mod, flags, NULL, NULL, NULL, print_action);
	if (err == -ENOENT)
		log_err("%s: module file missing for kernel %s", kmod_module_get_name(mod), kver);
	else if (err < 0)
		log_err("%s: cannot load: %s", kmod_module_get_name(mod), strerror(-err));
	else if (err > 0)
		log_notice("%s: blacklisted, not loaded", kmod_module_get_name(mod));
	return err < 0 ? err : 0;
}

static int probe_list(struct kmod_list *list, bool insert, bool live, const char *kver)
{
	struct kmod_list *l;
	int r = 0;

	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		int err = probe_one(m, insert, live, kver);

		if (err < 0)
			r = err;
		kmod_module_unref(m);
	}
	return r;
}

/* vfio-pci itself: what it needs, then the module with its options but ids=. */
/* @opts (taken) with @extra after it, or @opts as it is; NULL when out of memory. */
static char *options_with(char *opts, const char *extra)
{
	char *both;

	if (!opts || !extra || !*extra)
		return opts;
	if (asprintf(&both, "%s%s%s", opts, *opts ? " " : "", extra) < 0)
		both = NULL;
	free(opts);
	return both;
}

static int load_vfio_pci(struct kmod_module *mod, bool insert, bool live, const char *kver,
			 int rootfd, const char *extra)
{
	struct kmod_list *deps = kmod_module_get_dependencies(mod), *pre = NULL, *post = NULL;
	_cleanup_free_ char *all = vfio_pci_options(mod, live, rootfd);
	_cleanup_free_ char *opts = options_with(options_without_ids(all), extra);
	const char *path = kmod_module_get_path(mod);
	int r = 0, err;

	kmod_module_get_softdeps(mod, &pre, &post);
	r = probe_list(pre, insert, live, kver);
	if ((err = probe_list(deps, insert, live, kver)) < 0)
		r = err;
	log_info("%s %s%s%s", insert ? "loading" : "would load", path ? path : VFIO_PCI,
		 opts && *opts ? " " : "", opts ? opts : "");
	if (insert) {
		err = kmod_module_insert_module(mod, 0, opts ? opts : "");
		if (err < 0 && err != -EEXIST) {
			log_err(VFIO_PCI ": cannot load: %s", strerror(-err));
			r = err;
		}
	} else if (!path) {
		log_err(VFIO_PCI ": module file missing for kernel %s", kver);
		r = -ENOENT;
	}
	if ((err = probe_list(post, insert, live, kver)) < 0)
		r = err;
	kmod_module_unref_list(deps);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return r;
}

int modload_vfio(const char *root, int rootfd, bool insert, const char *extra)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *ctx;
	bool live = strcmp(root, "/") == 0;
	char kver[256];
	int r, found = 0;

	if (live && faccessat(rootfd, "sys/bus/pci/drivers/" VFIO_PCI, F_OK, 0) == 0) {
		log_debug(VFIO_PCI " is already registered");
		return 0;
	}
	ctx = modload_open_root(root, rootfd, kver, sizeof(kver));
	if (!ctx)
		return -EINVAL;
	r = kmod_module_new_from_lookup(ctx, VFIO_PCI, &list);
	if (r < 0 || !list) {
		log_err(VFIO_PCI ": no such module for kernel %s (is it in the initramfs?)", kver);
		kmod_unref(ctx);
		return r < 0 ? r : -ENOENT;
	}
	g_insert = insert;
	g_seen[0] = '\0';
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		int state = kmod_module_get_initstate(mod);
		int err;

		/*
		 * "Built in" is the root's own answer (its modules.builtin); any
		 * other state libkmod reads from the host's /sys/module.
		 */
		if (!live && state != KMOD_MODULE_BUILTIN)
			state = -ENOENT;
		found++;
		if (state == KMOD_MODULE_BUILTIN && !insert) {
			log_info(VFIO_PCI ": built in, nothing to load");
		} else if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
			log_debug("%s is %s", kmod_module_get_name(mod),
				  state == KMOD_MODULE_BUILTIN ? "built in" : "loaded");
		} else if ((err = load_vfio_pci(mod, insert, live, kver, rootfd, extra)) < 0) {
			r = err;
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	if (!found)
		return -ENOENT;
	return r < 0 ? r : 0;
}

bool modload_has_module(const char *root, const char *kver, const char *name)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *ctx;
	char dirname[4096];
	bool found = false;

	if (xsnprintf(dirname, sizeof(dirname), "%s/lib/modules/%s",
		      strcmp(root, "/") == 0 ? "" : root, kver) < 0 ||
	    !(ctx = modload_open(dirname, NULL)))
		return false;
	if (kmod_module_new_from_lookup(ctx, name, &list) >= 0) {
		kmod_list_foreach(l, list) {
			struct kmod_module *m = kmod_module_get_module(l);

			found = found || kmod_module_get_path(m) ||
				kmod_module_get_initstate(m) == KMOD_MODULE_BUILTIN;
			kmod_module_unref(m);
		}
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return found;
}

int modload_module(const char *root, int rootfd, const char *name, bool insert)
{
	struct kmod_list *list = NULL, *l;
	bool live = strcmp(root, "/") == 0;
	struct kmod_ctx *ctx;
	char kver[256];
	int r;

	ctx = modload_open_root(root, rootfd, kver, sizeof(kver));
	if (!ctx)
		return -EINVAL;
	r = kmod_module_new_from_lookup(ctx, name, &list);
	if (r >= 0 && !list)
		r = -ENOENT;
	g_insert = insert;
	g_seen[0] = '\0';
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		int state = kmod_module_get_initstate(mod), err;

		if (!live && state != KMOD_MODULE_BUILTIN)
			state = -ENOENT;
		if (state != KMOD_MODULE_BUILTIN && state != KMOD_MODULE_LIVE &&
		    (err = probe_one(mod, insert, live, kver)) < 0)
			r = err;
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return r < 0 ? r : 0;
}

/* Each element of every ids= word of the options string @opts, as the kernel splits it. */
static void each_ids(const char *opts, ids_fn fn, void *data)
{
	const char *p = opts, *end = opts + strlen(opts);
	struct modprobe_opt o;

	while (modprobe_next_opt(&p, end, &o)) {
		struct ids_iter it;
		const char *id;
		size_t len;

		if (!o.val || !name_eq(o.key, o.klen, "ids"))
			continue;
		ids_iter_init(&it, o.val, o.vlen);
		while (ids_iter_next(&it, &id, &len))
			fn(data, id, len);
	}
}

int modload_vfio_pci_ids(const char *root, int rootfd, ids_fn fn, void *data)
{
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	_cleanup_free_ char *opts = NULL;
	char kver[256];

	if (strcmp(root, "/") != 0) {
		opts = modprobe_options(rootfd, VFIO_PCI);
		if (!opts)
			return -ENOMEM;
		each_ids(opts, fn, data);
		return 0;
	}
	ctx = modload_open_root(root, rootfd, kver, sizeof(kver));
	if (!ctx)
		return -EINVAL;
	if (kmod_module_new_from_name(ctx, VFIO_PCI, &mod) < 0 || !mod) {
		kmod_unref(ctx);
		return -ENOENT;
	}
	opts = vfio_pci_options(mod, true, rootfd);
	if (opts)
		each_ids(opts, fn, data);
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return opts ? 0 : -ENOMEM;
}

static void legacy_rule(void *data, const char *id, size_t len)
{
	static const char where[] = "modprobe.d: options vfio-pci ids";
	struct rule r = { .kind = RULE_IDS, .file = where, .legacy = true };
	struct ruleset *rs = data;
	const char *why;

	if (parse_kernel_ids(id, len, &r.u.ids, &why) < 0) {
		rule_error(rs, where, 0, id, len, why);
		return;
	}
	/* libkmod merges vfio_pci.ids= from the command line too. */
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].kind == RULE_IDS && !rs->v[i].exclude &&
		    pci_ids_equal(&rs->v[i].u.ids, &r.u.ids))
			return;
	snprintf(r.token, sizeof(r.token), "%.*s", (int)len, id);
	ruleset_add(rs, &r);
}

void modload_legacy_ids(const char *root, int rootfd, struct ruleset *rs)
{
	modload_vfio_pci_ids(root, rootfd, legacy_rule, rs);
}
