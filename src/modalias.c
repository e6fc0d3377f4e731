// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A PCI function's modalias and the modules libkmod finds for it, the way
 * pciutils' ls-kernel.c shows "Kernel modules:" and udev loads them.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "modalias.h"
#include "pci.h"

int modalias_format(const struct pci_dev *d, char *buf, size_t size)
{
	int n = snprintf(buf, size, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor,
			 d->device, d->subvendor, d->subdevice, (d->class >> 16) & 0xff,
			 (d->class >> 8) & 0xff, d->class & 0xff);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* Add @len bytes of @name to the list in @buf unless it is there. */
static int add_name(char *buf, size_t size, const char *name, size_t len)
{
	size_t used = strlen(buf);

	if (modalias_list_has(buf, name, len))
		return 0;
	if (used + len + 2 > size)
		return -ENOSPC;
	memcpy(buf + used, name, len);
	used += len;
	buf[used++] = ' ';
	buf[used] = '\0';
	return 0;
}

/*
 * A module directory with the text modules.alias but no index (a test
 * root, a partial copy): its "alias PATTERN MODULE" lines matched as
 * libkmod matches the index, with fnmatch().
 */
static int text_aliases(struct kmod_ctx *ctx, const char *alias, char *buf, size_t size)
{
	const char *dir = kmod_get_dirname(ctx);
	char path[4096], line[512];
	int r = 0, dfd;
	FILE *f;

	if (!dir || snprintf(path, sizeof(path), "%s/modules.alias.bin", dir) >= (int)sizeof(path) ||
	    access(path, F_OK) == 0)
		return 0;
	path[strlen(path) - 4] = '\0';
	dfd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	f = dfd >= 0 ? fdopen(dfd, "r") : NULL;
	if (!f) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char pat[256], mod[128];

		if (sscanf(line, "alias %255s %127s", pat, mod) == 2 &&
		    fnmatch(pat, alias, 0) == 0 && add_name(buf, size, mod, strlen(mod)) < 0)
			r = -ENOSPC;
	}
	fclose(f);
	return r;
}

int modalias_modules(struct kmod_ctx *ctx, const struct pci_dev *d, char *buf, size_t size)
{
	struct kmod_list *list = NULL, *l;
	char alias[MODALIAS_PCI_LEN + 1];
	int r;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if ((r = modalias_format(d, alias, sizeof(alias))) < 0)
		return r;
	/* No index is no answer from the index: the text file may have one. */
	if (kmod_module_new_from_lookup(ctx, alias, &list) < 0)
		list = NULL;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(m);

		if (add_name(buf, size, name, strlen(name)) < 0)
			r = -ENOSPC;
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	if (!buf[0] && r == 0)
		r = text_aliases(ctx, alias, buf, size);
	return r;
}

/* @n bytes of @a and @b name the same module ('-' and '_' alike). */
static bool same_name(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((a[i] == '-' ? '_' : a[i]) != (b[i] == '-' ? '_' : b[i]))
			return false;
	return true;
}

bool modalias_list_has(const char *names, const char *module, size_t len)
{
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, " ");

		if (n == len && same_name(p, module, n))
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

bool modalias_module_matches(struct kmod_ctx *ctx, const char *module,
			     const struct pci_dev *d)
{
	char names[1024];

	/* A list cut short still holds the names that fit: look there too. */
	if (modalias_modules(ctx, d, names, sizeof(names)) < 0 && !names[0])
		return false;
	return modalias_list_has(names, module, strlen(module));
}
