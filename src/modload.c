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
#include <sys/utsname.h>

#include "log.h"
#include "modload.h"
#include "util.h"

#define VFIO_PCI "vfio-pci"

int kernel_release(int rootfd, char *buf, size_t size)
{
	struct utsname u;
	ssize_t n = read_attr(rootfd, "proc/sys/kernel/osrelease", buf, size);

	if (n <= 0) {
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

struct kmod_ctx *kmod_open(const char *dirname, const char *const *config)
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

int modload_vfio(const char *root, int rootfd, bool insert)
{
	char kver[256], dirname[4096], cfg[4][4096];
	const char *cfgp[5] = { NULL };
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *ctx;
	bool live = strcmp(root, "/") == 0;
	int r = 0, found = 0;

	if (live && faccessat(rootfd, "sys/bus/pci/drivers/" VFIO_PCI, F_OK, 0) == 0) {
		log_debug(VFIO_PCI " is already registered");
		return 0;
	}
	if (kernel_release(rootfd, kver, sizeof(kver)) < 0) {
		log_err("cannot tell the kernel release");
		return -EINVAL;
	}
	if (xsnprintf(dirname, sizeof(dirname), "%s/lib/modules/%s", live ? "" : root, kver) < 0)
		return -ENAMETOOLONG;
	if (!live) {
		static const char *const dirs[] = { "etc/modprobe.d", "run/modprobe.d",
						    "usr/local/lib/modprobe.d", "lib/modprobe.d" };

		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
			if (xsnprintf(cfg[i], sizeof(cfg[i]), "%s/%s", root, dirs[i]) < 0)
				return -ENAMETOOLONG;
			cfgp[i] = cfg[i];
		}
	}
	ctx = kmod_open(dirname, live ? NULL : cfgp);
	if (!ctx) {
		log_err("libkmod: cannot start for %s", dirname);
		return -ENOMEM;
	}

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
		int flags = KMOD_PROBE_IGNORE_COMMAND;
		int state = live ? kmod_module_get_initstate(mod) : -ENOENT;
		int err;

		found++;
		if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
			log_debug("%s is %s", kmod_module_get_name(mod),
				  state == KMOD_MODULE_BUILTIN ? "built in" : "loaded");
			kmod_module_unref(mod);
			continue;
		}
		if (!insert)
			flags |= KMOD_PROBE_DRY_RUN | (live ? 0 : KMOD_PROBE_IGNORE_LOADED);
		err = kmod_module_probe_insert_module(mod, flags, NULL, NULL, NULL, print_action);
		if (err < 0) {
			if (err == -ENOENT)
				log_err("%s: module file missing for kernel %s",
					kmod_module_get_name(mod), kver);
			else
				log_err("%s: cannot load: %s", kmod_module_get_name(mod),
					strerror(-err));
			r = err;
		} else if (err > 0) {
			log_notice("%s: blacklisted, not loaded", kmod_module_get_name(mod));
		}
		kmod_module_unref(mod);
	}
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	if (!found)
		return -ENOENT;
	return r < 0 ? r : 0;
}
