// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * release: give a card vfio-pci holds back to the host, on a running host
 * (a VM's post-stop hook, or by hand).  The selection is a config line's
 * words: "0000:09:00", "address 09:00.0", "ids 10de:2204", "path ...".
 *
 * Per function, graphics before audio: driver_override cleared, unbound
 * from vfio-pci, probed; when no loaded driver takes it, udev is asked
 * (an "add" uevent) to load the module its modalias names, and the run
 * waits for a driver.  Nothing happens while the group is open: a VM, or
 * another program, holds /dev/vfio/N or the device's vfio cdev.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "card.h"
#include "config.h"
#include "log.h"
#include "modes.h"
#include "modload.h"
#include "pci.h"
#include "plan.h"
#include "rules.h"
#include "sysfs.h"
#include "util.h"
#include "variant.h"
#include "vfio-status.h"

#define RELEASE_PROBE_WAIT_MS 3000
#define RELEASE_UEVENT_WAIT_MS 10000
#define RELEASE_STEP_MS 100

struct release {
	const struct mode_ctx *c;
	struct pci_tree t;
	struct ruleset rs;
	struct pci_dev *sel[256];
	size_t nsel;
};

/* release names devices: a class or exclude rule is refused. */
static bool no_class(const struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->v[i].exclude || rs->v[i].kind == RULE_CLASS) {
			fprintf(stderr, "vfio-early: release: %s: name devices by address, ids or "
				"path\n", rs->v[i].token);
			return true;
		}
	}
	return false;
}

static bool selected(const struct release *rl, const struct pci_dev *d)
{
	for (size_t i = 0; i < rl->nsel; i++)
		if (rl->sel[i] == d)
			return true;
	return false;
}

static void add(struct release *rl, struct pci_dev *d)
{
	if (!selected(rl, d) && !pci_is_bridge(d) && rl->nsel < ARRAY_SIZE(rl->sel))
		rl->sel[rl->nsel++] = d;
}

/* A device a rule names, and every function of its card. */
static void add_card(struct release *rl, struct pci_dev *d)
{
	struct pci_card card;

	pci_card(&rl->t, d, &card);
	for (size_t i = 0; i < card.n; i++)
		add(rl, card.fn[i]);
	add(rl, d);
}

static void select_devices(struct release *rl)
{
	for (size_t k = 0; k < rl->rs.n; k++) {
		_cleanup_free_ struct pci_dev **v = NULL;
		size_t n = 0;

		if (plan_rule_devices(&rl->t, &rl->rs.v[k], &v, &n) == 0)
			for (size_t i = 0; i < n; i++)
				add_card(rl, v[i]);
	}
}

/* Graphics (and everything else) before audio: the audio function goes last. */
static int audio_last(const void *a, const void *b)
{
	const struct pci_dev *x = *(struct pci_dev *const *)a, *y = *(struct pci_dev *const *)b;
	bool xa = x->class >> 8 == 0x0403, ya = y->class >> 8 == 0x0403;

	if (xa != ya)
		return xa ? 1 : -1;
	return pci_addr_cmp(&x->addr, &y->addr);
}

/*
 * The process holding /dev/vfio/GROUP or /dev/vfio/devices/CDEV open,
 * from /proc/PID/fd: "qemu-system-x86 (pid 1234)" into @who.
 */
static bool find_holder(int rootfd, const char *node, const char *cdev, char *who, size_t size)
{
	_cleanup_dir_ struct sysfs_dir procs = SYSFS_DIR_INIT;
	const char *pid;

	if (sysfs_opendir(&procs, rootfd, "proc") < 0)
		return false;
	while ((pid = sysfs_dir_next(&procs))) {
		_cleanup_dir_ struct sysfs_dir fds = SYSFS_DIR_INIT;
		const char *fd;

		if (strspn(pid, "0123456789") != strlen(pid) ||
		    sysfs_opendirf(&fds, rootfd, "proc/%s/fd", pid) < 0)
			continue;
		while ((fd = sysfs_dir_next(&fds))) {
			char link[128], comm[64];

			if (sysfs_readlinkf(rootfd, link, sizeof(link), "proc/%s/fd/%s", pid, fd) <= 0 ||
			    (strcmp(link, node) != 0 && (!cdev || strcmp(link, cdev) != 0)))
				continue;
			if (sysfs_readf(rootfd, comm, sizeof(comm), "proc/%s/comm", pid) <= 0)
				snprintf(comm, sizeof(comm), "a process");
			snprintf(who, size, "%.32s (pid %.10s)", comm, pid);
			return true;
		}
	}
	return false;
}

/* The name of @d's vfio cdev ("vfio3", from its vfio-dev directory): 0 or -ENOENT. */
static int cdev_name(const struct pci_tree *t, const struct pci_dev *d, char *buf, size_t size)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *e;

	if (sysfs_opendirf(&dir, t->devfd, "%s/vfio-dev", d->name) < 0)
		return -ENOENT;
	while ((e = sysfs_dir_next(&dir))) {
		if (strncmp(e, "vfio", 4) == 0 && e[4] && strspn(e + 4, "0123456789") == strlen(e + 4) &&
		    strlen(e) < size) {
			memcpy(buf, e, strlen(e) + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* Whether a VM (or anything) has @d's group or vfio cdev open; why into @why. */
static bool group_open(const struct release *rl, const struct pci_dev *d, char *why, size_t size)
{
	char node[32], cdevname[40] = "", cdev[64] = "", who[96];
	_cleanup_close_ int vfiofd = -1;
	int err = 0;

	if (d->iommu_group < 0)
		return false;
	snprintf(node, sizeof(node), "/dev/vfio/%d", d->iommu_group);
	if (cdev_name(&rl->t, d, cdevname, sizeof(cdevname)) == 0)
		snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/%s", cdevname);
	if (find_holder(rl->c->rootfd, node, cdev[0] ? cdev : NULL, who, sizeof(who))) {
		snprintf(why, size, "%s holds %s", who, node);
		return true;
	}
	/* The kernel's word: a group is opened by one holder at a time. */
	vfiofd = openat(rl->c->rootfd, "dev/vfio", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rl->c->live && vfio_group_check(vfiofd, d->iommu_group, &err) == VFIO_BUSY) {
		snprintf(why, size, "%s is open (a VM or another program holds it)", node);
		return true;
	}
	return false;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait up to @ms for a driver; true when one holds @d (its name in d->driver). */
static bool wait_driver(struct pci_tree *t, struct pci_dev *d, unsigned ms)
{
	for (unsigned waited = 0;; waited += RELEASE_STEP_MS) {
		if (pci_read_driver(t, d, d->driver, sizeof(d->driver)) == 0 && d->driver[0])
			return true;
		if (waited >= ms)
			return false;
		sleep_ms(RELEASE_STEP_MS);
	}
}

/* On vfio-pci or a variant of it, or overridden to one: what release gives back. */
static bool held_for_vfio(const struct release *rl, const struct pci_dev *d)
{
	return variant_is_vfio_driver(rl->t.rootfd, d->driver) ||
	       variant_is_vfio_driver(rl->t.rootfd, d->override);
}

/* One function back to the host: 0, or -errno (logged and printed). */
static int release_one(struct release *rl, struct pci_dev *d)
{
	char name[PCI_ADDR_STRLEN + 2], from[DRIVER_NAME_LEN];
	bool was_vfio = variant_is_vfio_driver(rl->t.rootfd, d->driver);
	int r;

	snprintf(from, sizeof(from), "%s", was_vfio ? d->driver : VFIO_PCI);
	snprintf(name, sizeof(name), "%s\n", d->name);
	r = pci_attr_write(&rl->t, d, "driver_override", "\n", false);
	if (r < 0) {
		log_err("%s: release: clearing driver_override: %s", d->name, strerror(-r));
		printf("%s: FAILED: clearing driver_override: %s\n", d->name, strerror(-r));
		return r;
	}
	if (was_vfio) {
		r = pci_attr_write(&rl->t, d, "driver/unbind", name, true);
		if (r < 0) {
			log_err("%s: release: unbinding from %s: %s", d->name, from, strerror(-r));
			printf("%s: FAILED: unbinding from %s: %s\n", d->name, from, strerror(-r));
			return r;
		}
	}
	r = write_attr(rl->t.rootfd, "sys/bus/pci/drivers_probe", name, true);
	if (r < 0)
		log_warn("%s: release: writing drivers_probe: %s", d->name, strerror(-r));
	if (!rl->c->live) {
		log_notice("%s: released from %s (test root, not probed)", d->name, from);
		printf("%s: released (test root, not probed)\n", d->name);
		return 0;
	}
	d->driver[0] = '\0';
	if (!wait_driver(&rl->t, d, RELEASE_PROBE_WAIT_MS)) {
		/* No loaded driver wants it: udev loads the module its modalias names. */
		r = pci_attr_write(&rl->t, d, "uevent", "add\n", false);
		if (r < 0 || !wait_driver(&rl->t, d, RELEASE_UEVENT_WAIT_MS)) {
			log_notice("%s: released from %s; no host driver took it", d->name, from);
			printf("%s: released; no host driver took it (none is loaded for it%s)\n",
			       d->name, r < 0 ? "" : ", and udev loaded none");
			return 0;
		}
	}
	log_notice("%s: released from %s, now on %s", d->name, from, d->driver);
	printf("%s: released, now on %s\n", d->name, d->driver);
	return 0;
}

/* What release does to the selected functions: exit status bits. */
static int release_selected(struct release *rl)
{
	size_t todo = 0;
	int ret = 0;

	for (size_t i = 0; i < rl->nsel; i++) {
		struct pci_dev *d = rl->sel[i];
		char why[200];

		pci_load(&rl->t, d);
		if (!held_for_vfio(rl, d))
			continue;
		todo++;
		if (group_open(rl, d, why, sizeof(why))) {
			log_warn("%s: not released: %s", d->name, why);
			printf("%s: not released: %s; stop it first\n", d->name, why);
			return EXIT_REFUSED;
		}
	}
	if (todo == 0) {
		for (size_t i = 0; i < rl->nsel; i++)
			printf("%s: not on vfio-pci (%s): nothing to release\n", rl->sel[i]->name,
			       rl->sel[i]->driver[0] ? rl->sel[i]->driver : "no driver");
		return 0;
	}
	qsort(rl->sel, rl->nsel, sizeof(rl->sel[0]), audio_last);
	for (size_t i = 0; i < rl->nsel; i++) {
		struct pci_dev *d = rl->sel[i];

		if (!held_for_vfio(rl, d)) {
			printf("%s: not on vfio-pci (%s): left as it is\n", d->name,
			       d->driver[0] ? d->driver : "no driver");
			continue;
		}
		if (release_one(rl, d) < 0)
			ret |= EXIT_FAILED;
	}
	return ret;
}

int release_run(const struct mode_ctx *c, char **words, size_t n)
{
	struct release rl = { .c = c, .t = { .devfd = -1 } };
	int ret;

	/* Mistakes in the words go to the person; what changes, to the kernel log. */
	log_setup(c->rootfd, LOG_TO_STDERR, c->verbose);
	if (config_parse_words("release", words, n, &rl.rs) < 0 || no_class(&rl.rs)) {
		ret = EXIT_USAGE;
		goto out;
	}
	if (pci_scan(&rl.t, c->rootfd) < 0) {
		fprintf(stderr, "vfio-early: cannot read /sys/bus/pci/devices: %s\n",
			strerror(errno));
		ret = EXIT_USAGE;
		goto out;
	}
	log_setup(c->rootfd, LOG_TO_KMSG, c->verbose);
	select_devices(&rl);
	if (rl.nsel == 0) {
		fprintf(stderr, "vfio-early: release: no device matches %s\n", rl.rs.v[0].token);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = release_selected(&rl);
out:
	pci_tree_free(&rl.t);
	ruleset_free(&rl.rs);
	log_close();
	return ret;
}
