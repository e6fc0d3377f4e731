// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vendor-reset before vfio-pci binds: see vreset.h.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "modload.h"
#include "plan.h"
#include "vreset.h"

#define PCI_VENDOR_AMD_ATI 0x1002
#define PCI_BASE_CLASS_DISPLAY 0x03

bool vreset_candidate(const struct pci_dev *d, const struct rule *r)
{
	return d->vendor == PCI_VENDOR_AMD_ATI && pci_base_class(d) == PCI_BASE_CLASS_DISPLAY &&
	       !(r && (r->opts & OPT_RESET_METHOD));
}

static bool any_candidate(const struct plan *pl)
{
	for (size_t k = 0; k < pl->n; k++)
		if (!plan_refused(&pl->v[k]) && vreset_candidate(pl->v[k].dev, pl->v[k].rule))
			return true;
	return false;
}

/* device_specific to @d's reset_method; what the kernel says, logged. */
static void set_device_specific(struct pci_tree *t, const struct pci_dev *d)
{
	char now[128];
	int r = pci_attr_write(t, d, "reset_method", "device_specific\n", false);
	ssize_t n = pci_attr_read(t, d, "reset_method", now, sizeof(now));

	if (r == 0)
		log_notice("%s: vendor-reset: reset_method=device_specific set; reset_method "
			   "reads \"%s\"", d->name, n >= 0 ? now : "?");
	else if (r == -EINVAL)
		log_info("%s: vendor-reset does not handle this device (the kernel refused "
			 "device_specific); reset_method stays \"%s\"", d->name,
			 n >= 0 ? now : "?");
	else
		log_warn("%s: vendor-reset: writing reset_method: %s; the bind goes on", d->name,
			 strerror(-r));
}

void vreset_prepare(struct plan *pl, struct pci_tree *t, const char *root, bool insert)
{
	int r;

	if (!any_candidate(pl))
		return;
	r = modload_module(root, t->rootfd, VRESET_MODULE, insert);
	if (r == -ENOENT) {
		log_debug(VRESET_MODULE " is not installed: AMD GPUs keep the kernel's resets");
		return;
	}
	if (r < 0) {
		log_warn(VRESET_MODULE ": cannot load it (%s): AMD GPUs keep the kernel's resets",
			 strerror(-r));
		return;
	}
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];

		if (!plan_refused(it) && vreset_candidate(it->dev, it->rule))
			set_device_specific(t, it->dev);
	}
}
