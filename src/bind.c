// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The binding sequence, per device: choose its driver (vfio-pci, or a
 * variant of it the kernel has for the device), write that driver's name to
 * driver_override, unbind a driver that holds it, then (once for all) load
 * vfio-pci, write each address to /sys/bus/pci/drivers_probe and check the
 * driver link.
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
#include "variant.h"
#include "vreset.h"

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

/* What the kernel's refusal of a reset_method or d3cold_allowed write means. */
static const char *refusal_meaning(int err)
{
	switch (err) {
	case -EINVAL:
		return "a method this device does not support, or one this kernel does not know";
	case -ENOENT:
		return "no such attribute: the device has no reset method at all, or the kernel "
		       "is older than 5.15";
	case -EACCES:
	case -EPERM:
		return "the attribute is not writable here";
	default:
		return "see the kernel log";
	}
}

/* Write @attr, read it back, log both; a refusal is logged and the bind goes on. */
static void set_and_read_back(struct pci_tree *t, const struct pci_dev *d, const char *attr,
			      const char *value, const char *asked)
{
	char line[RESET_METHOD_LEN + 2], now[128];
	ssize_t n;
	int r;

	if (xsnprintf(line, sizeof(line), "%s\n", value) < 0)
		return;
	r = pci_attr_write(t, d, attr, line, false);
	n = pci_attr_read(t, d, attr, now, sizeof(now));
	if (r < 0 && n < 0)
		log_warn("%s: the kernel refused %s (%s: %s); the bind goes on", d->name, asked,
			 strerror(-r), refusal_meaning(r));
	else if (r < 0)
		log_warn("%s: the kernel refused %s (%s: %s); %s stays \"%s\", the bind goes on",
			 d->name, asked, strerror(-r), refusal_meaning(r), attr, now);
	else if (n < 0)
		log_warn("%s: %s set, but %s cannot be read back: %s", d->name, asked, attr,
			 strerror((int)-n));
	else
		log_notice("%s: %s set; %s reads \"%s\"", d->name, asked, attr, now);
}

/*
 * Before vfio-pci takes the device: the reset method and the D3cold
 * permission its rule asks for.  vfio-pci reads both when a VM opens it.
 */
static void prepare_device(struct pci_tree *t, const struct plan_item *it)
{
	const struct rule *rule = it->rule;
	char asked[RESET_METHOD_LEN + 16];

	if (!rule)
		return;
	if (rule->opts & OPT_RESET_METHOD) {
		snprintf(asked, sizeof(asked), "reset_method=%s", rule->reset_method);
		set_and_read_back(t, it->dev, "reset_method", rule->reset_method, asked);
	}
	if (rule->opts & (OPT_D3COLD_OFF | OPT_D3COLD_ON)) {
		bool off = rule->opts & OPT_D3COLD_OFF;

		set_and_read_back(t, it->dev, "d3cold_allowed", off ? "0" : "1",
				  off ? "d3cold=off" : "d3cold=on");
	}
}

/* The first item to bind whose rule asks for vfio-pci's disable_idle_d3, or NULL. */
static const struct plan_item *wants_idle_d3_off(const struct plan *pl)
{
	for (size_t k = 0; k < pl->n; k++) {
		const struct plan_item *it = &pl->v[k];

		if (!plan_refused(it) && it->rule && (it->rule->opts & OPT_IDLE_D3_OFF))
			return it;
	}
	return NULL;
}

/*
 * disable_idle_d3 is a parameter of vfio-pci, read once when it loads: it
 * holds for every device vfio-pci has.  Given at load; when vfio-pci was
 * already there, check that it holds and say how to get it if not.
 */
static void check_idle_d3(const struct plan_item *asker, struct pci_tree *t)
{
	char v[8];
	ssize_t n = read_attr(t->rootfd, "sys/module/vfio_pci/parameters/disable_idle_d3", v,
			      sizeof(v));

	if (n > 0 && v[0] == 'Y')
		log_notice("vfio-pci: disable_idle_d3 is on (asked by %s:%u), for every device "
			   "vfio-pci holds", asker->rule->file, asker->rule->line);
	else
		log_warn("vfio-pci: disable_idle_d3 is not on (%s), although %s:%u asks for it: "
			 "vfio-pci was there before this run; put vfio_pci.disable_idle_d3=1 on "
			 "the kernel command line", n < 0 ? strerror((int)-n) : "N",
			 asker->rule->file, asker->rule->line);
}

/* The item's driver name and a newline, for driver_override. */
static int override_line(const struct plan_item *it, char *buf, size_t size)
{
	return xsnprintf(buf, size, "%s\n", plan_target(it));
}

/* Step one: override and unbind.  Returns true when a probe is needed. */
static bool prepare(struct pci_tree *t, struct plan_item *it)
{
	struct pci_dev *d = it->dev;
	char name[PCI_ADDR_STRLEN + 2], line[DRIVER_NAME_LEN + 2];
	int r;

	if (strcmp(d->driver, plan_target(it)) == 0 && strcmp(d->override, plan_target(it)) == 0) {
		it->result = RES_ALREADY;
		return false;
	}
	if (strcmp(d->override, plan_target(it)) != 0) {
		r = override_line(it, line, sizeof(line));
		if (r >= 0)
			r = pci_attr_write(t, d, "driver_override", line, false);
		if (r < 0) {
			fail(it, "writing driver_override: %s", strerror(-r));
			return false;
		}
	}
	if (strcmp(d->driver, plan_target(it)) == 0) {
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
 * A variant driver that did not take the device: vfio-pci instead, as if
 * no variant had been chosen.  True when the device was probed again.
 */
static bool variant_fallback(struct pci_tree *t, struct plan_item *it)
{
	int r;

	if (!it->target_module[0])
		return false;
	log_warn("%s: %s did not take it (see the kernel log); vfio-pci instead", it->dev->name,
		 it->target);
	it->target[0] = '\0';
	it->target_module[0] = '\0';
	r = pci_attr_write(t, it->dev, "driver_override", VFIO_PCI "\n", false);
	if (r >= 0)
		r = probe(t, it->dev);
	if (r < 0)
		log_warn("%s: giving it to vfio-pci: %s", it->dev->name, strerror(-r));
	return r >= 0;
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

/*
 * Step three: the driver link says whether each device ended on vfio-pci.
 * Probing is synchronous; async probing is allowed for, bounded in all.
 */
static void verify(struct plan *pl, struct pci_tree *t, bool live)
{
	unsigned waited = 0;

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		char drv[DRIVER_NAME_LEN];

		if (it->result != RES_PLANNED)
			continue;
		for (;;) {
			int r = pci_read_driver(t, it->dev, drv, sizeof(drv));

			if (r == 0 && strcmp(drv, plan_target(it)) == 0) {
				it->result = RES_BOUND;
				memcpy(it->dev->driver, drv, sizeof(drv));
				break;
			}
			if (!live) {
				it->result = RES_OVERRIDE_SET;
				break;
			}
			if (!drv[0] && waited >= VERIFY_TIMEOUT_MS / 2 &&
			    variant_fallback(t, it))
				continue;
			if (waited >= VERIFY_TIMEOUT_MS) {
				if (drv[0]) {
					fail(it, "still on %s after the probe", drv);
				} else {
					give_back(t, it);
					fail(it, "%s did not take it (see the kernel log); the "
					     "device was given back to the host", plan_target(it));
				}
				memcpy(it->dev->driver, drv, sizeof(drv));
				break;
			}
			sleep_ms(VERIFY_STEP_MS);
			waited += VERIFY_STEP_MS;
		}
	}
}

void bind_run(struct plan *pl, struct pci_tree *t, const char *root)
{
	bool live = strcmp(root, "/") == 0, any = false;
	const struct plan_item *idle;

	variant_choose(pl, t->rootfd, root, live);
	vreset_prepare(pl, t, root, live);
	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];

		if (plan_refused(it))
			continue;
		it->result = RES_PLANNED;
		prepare_device(t, it);
		if (prepare(t, it))
			any = true;
	}
	if (!any)
		return;

	idle = wants_idle_d3_off(pl);
	if (modload_vfio(root, t->rootfd, live, idle ? "disable_idle_d3=1" : NULL) < 0 && live) {
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
	if (idle && live)
		check_idle_d3(idle, t);

	for (size_t k = 0; k < pl->n; k++) {
		struct plan_item *it = &pl->v[k];
		int r;

		if (it->result != RES_PLANNED)
			continue;
		r = probe(t, it->dev);
		if (r < 0)
			log_warn("%s: writing drivers_probe: %s", it->dev->name, strerror(-r));
	}
	verify(pl, t, live);
}

void bind_dry_run(struct plan *pl, const char *root, int rootfd)
{
	variant_choose(pl, rootfd, root, false);
	for (size_t k = 0; k < pl->n; k++) {
		if (!plan_refused(&pl->v[k]) && strcmp(pl->v[k].dev->driver, VFIO_PCI) != 0) {
			modload_vfio(root, rootfd, false,
				     wants_idle_d3_off(pl) ? "disable_idle_d3=1" : NULL);
			return;
		}
	}
}
