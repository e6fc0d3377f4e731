// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The binding sequence, per device: write "vfio-pci" to driver_override,
 * unbind a driver that holds it, then (once for all) load vfio-pci, write
 * each address to /sys/bus/pci/drivers_probe and check the driver link.
 * Every path is built from a device name the walk validated, never from
 * rule text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "log.h"
#include "modload.h"
#include "sysfs.h"
#include "util.h"

#define VERIFY_TIMEOUT_MS 2000
#define VERIFY_STEP_MS 50

static void fail(struct plan_item *it, const char *fmt, ...) _printf_(2, 3);

static void fail(struct plan_item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->reason, sizeof(it->reason), fmt, ap);
	va_end(ap);
	it->result = RES_FAILED;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The driver_override the device had before us back; 0 or -errno. */
static int restore_override(struct pci_tree *t, const struct pci_dev *d)
{
	return pci_attr_write(t, d, "driver_override", d->override[0] ? d->override : "\n",
			      false);
}

/* The device's address to sys/bus/pci/drivers_probe; 0 or -errno. */
static int probe(const struct pci_tree *t, const struct pci_dev *d)
{
	char name[PCI_ADDR_STRLEN + 2];
	int r = xsnprintf(name, sizeof(name), "%s\n", d->name);

	return r < 0 ? r : write_attr(t->rootfd, "sys/bus/pci/drivers_probe", name, true);
}

/* Step one: override and unbind.  Returns true when a probe is needed. */
static bool prepare(struct pci_tree *t, struct plan_item *it)
{
	struct pci_dev *d = it->dev;
	char name[PCI_ADDR_STRLEN + 2];
	int r;

	if (strcmp(d->driver, VFIO_PCI) == 0 && strcmp(d->override, VFIO_PCI) == 0) {
		it->result = RES_ALREADY;
		return false;
	}
	if (strcmp(d->override, VFIO_PCI) != 0) {
		r = pci_attr_write(t, d, "driver_override", VFIO_PCI "\n", false);
		if (r < 0) {
			fail(it, "writing driver_override: %s", strerror(-r));
			return false;
		}
	}
	if (strcmp(d->driver, VFIO_PCI) == 0) {
		/* Bound by vfio-pci's own ids= before us; the override keeps it. */
		it->result = RES_ALREADY;
		return false;
	}
	if (d->driver[0]) {
		r = xsnprintf(name, sizeof(name), "%s\n", d->name);
		if (r >= 0)
			r = pci_attr_write(t, d, "driver/unbind", name, true);
		if (r < 0) {
			/* Leave the device as we found it. */
			int r2 = restore_override(t, d);

			fail(it, "unbinding from %s: %s%s", d->driver, strerror(-r),
			     r2 < 0 ? " (and driver_override could not be restored)" : "");
			return false;
		}
	}
	return true;
}

/*
 * A device vfio-pci did not take must not stay driverless because of us:
 * its previous driver_override back, and a probe so that its own driver
 * (now, or when udev loads it) can have it.
 */
static void give_back(struct pci_tree *t, struct plan_item *it)
{
	struct pci_dev *d = it->dev;
	int r = restore_override(t, d);

	if (r < 0) {
		log_warn("%s: cannot restore driver_override: %s", d->name, strerror(-r));
		return;
	}
	r = probe(t, d);
	if (r < 0)
		log_warn("%s: writing drivers_probe: %s", d->name, strerror(-r));
}

void bind_run(struct plan *pl, struct pci_tree *t, const char *root)
{
	bool live = strcmp(root, "/") == 0, any = false;
	int mod_err = 0;
	unsigned waited = 0;

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];

		if (plan_refused(it))
			continue;
		it->result = RES_PLANNED;
		if (prepare(t, it))
			any = true;
	}
	if (!any)
		return;

	mod_err = modload_vfio(root, t->rootfd, live);
	if (mod_err < 0 && live) {
		for (size_t k = 0; k < pl->n; k++) {
			struct plan_item *it = &pl->v[k];

			if (it->result != RES_PLANNED)
				continue;
			give_back(t, it);
			fail(it, VFIO_PCI " could not be loaded; the device was given back to "
			     "the host");
		}
		return;
	}

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		int r;

		if (it->result != RES_PLANNED)
			continue;
		r = probe(t, it->dev);
		/* The driver link below says whether the device ended on vfio-pci. */
		if (r < 0)
			log_warn("%s: writing drivers_probe: %s", it->dev->name, strerror(-r));
	}

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		char drv[DRIVER_NAME_LEN];

		if (it->result != RES_PLANNED)
			continue;
		for (;;) {
			int r = pci_read_driver(t, it->dev, drv, sizeof(drv));

			if (r == 0 && strcmp(drv, VFIO_PCI) == 0) {
				it->result = RES_BOUND;
				memcpy(it->dev->driver, drv, sizeof(drv));
				break;
			}
			if (!live) {
				it->result = RES_OVERRIDE_SET;
				break;
			}
			/* Probing is synchronous; allow for async probing, bounded. */
			if (waited >= VERIFY_TIMEOUT_MS) {
				if (drv[0]) {
					fail(it, "still on %s after the probe", drv);
				} else {
					give_back(t, it);
					fail(it, "vfio-pci did not take it (see the kernel log); the "
					     "device was given back to the host");
				}
				memcpy(it->dev->driver, drv, sizeof(drv));
				break;
			}
			sleep_ms(VERIFY_STEP_MS);
			waited += VERIFY_STEP_MS;
		}
	}
}

void bind_dry_run(struct plan *pl, const char *root, int rootfd)
{
	for (size_t k = 0; k < pl->n; k++) {
		if (!plan_refused(&pl->v[k]) && strcmp(pl->v[k].dev->driver, VFIO_PCI) != 0) {
			modload_vfio(root, rootfd, false);
			return;
		}
	}
}
