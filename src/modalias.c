// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A PCI function's modalias and the modules libkmod finds for it, the way
 * pciutils' ls-kernel.c shows "Kernel modules:" and udev loads them.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

#include "modalias.h"
#include "pci.h"

int modalias_format(const struct pci_dev *d, char *buf, size_t size)
{
	int n = snprintf(buf, size, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor,
			 d->device, d->subvendor, d->subdevice, (d->class >> 16) & 0xff,
			 (d->class >> 8) & 0xff, d->class & 0xff);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int modalias_modules(struct kmod_ctx *ctx, const struct pci_dev *d, char *buf, size_t size)
{
	struct kmod_list *list = NULL, *l;
	char alias[MODALIAS_PCI_LEN + 1];
	size_t used = 0;
	int r;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if ((r = modalias_format(d, alias, sizeof(alias))) < 0)
		return r;
	r = kmod_module_new_from_lookup(ctx, alias, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(m);
		size_t len = strlen(name);

		if (!modalias_list_has(buf, name, len)) {
			if (used + len + 2 > size)
				r = -ENOSPC;
			else {
				memcpy(buf + used, name, len);
				used += len;
				buf[used++] = ' ';
				buf[used] = '\0';
			}
		}
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
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
