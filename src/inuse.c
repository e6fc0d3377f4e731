// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is a controller in use, and does a device need the protected list's
 * proof before it may go?  Which devices held a block device at image
 * build?
 *
 * A block device below a controller is in use when a filesystem on it is
 * mounted, it is an active swap, another block device holds it (dm, md,
 * bcache: its holders/), or it cannot be opened exclusively (the kernel
 * claims mounted devices, md members and ZFS vdevs).  The last check needs
 * the live system's /dev; under a test root the others stand alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "inuse.h"
#include "log.h"
#include "mounts.h"
#include "pci.h"
#include "protect-block.h"
#include "sysfs.h"
#include "util.h"

/* Does the sysfs link target @link run through the PCI device @name? */
static bool link_below(const char *link, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = link; (s = strstr(s, name)); s += n)
		if (s > link && s[-1] == '/' && s[n] == '/')
			return true;
	return false;
}

struct below {
	const char *name;
	bool found;
};

static bool ctrl_below(const char *ctrl_link, void *arg)
{
	struct below *b = arg;

	return (b->found = link_below(ctrl_link, b->name));
}

/* An NVMe multipath disk: is one of its subsystem's controllers below @name? */
static bool subsystem_below(int rootfd, const char *link, const char *name)
{
	struct below b = { name, false };

	return nvme_subsystem_each(rootfd, link, ctrl_below, &b) > 0 && b.found;
}

/* Is sys/class/block/NAME/holders not empty?  Its first entry into @first. */
static bool has_holders(int rootfd, const char *name, char *first, size_t size)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *e;

	if (sysfs_opendirf(&dir, rootfd, "sys/class/block/%s/holders", name) < 0 ||
	    !(e = sysfs_dir_next(&dir)))
		return false;
	snprintf(first, size, "%.60s", e);
	return true;
}

/* Mounted (by device number, or by source name for anonymous devices)? */
static bool mounted(const char *mountinfo, unsigned long maj, unsigned long min,
		    const char *name, char *target, size_t size)
{
	_cleanup_free_ char *copy = mountinfo ? strdup(mountinfo) : NULL;
	char *cursor = copy, *line;

	while (copy && (line = util_next_line(&cursor))) {
		struct mountinfo_entry m;

		if (mountinfo_parse_line(line, &m) < 0)
			continue;
		if ((m.major == maj && m.minor == min) ||
		    (m.major == 0 && strncmp(m.source, "/dev/", 5) == 0 &&
		     strcmp(path_basename(m.source), name) == 0)) {
			snprintf(target, size, "%s", m.target);
			return true;
		}
	}
	return false;
}

static bool active_swap(const char *swaps, const char *name)
{
	_cleanup_free_ char *copy = swaps ? strdup(swaps) : NULL;
	char *cursor = copy, *line, *file;

	while (copy && (line = util_next_line(&cursor)))
		if (swaps_parse_line(line, &file) == 0 && strcmp(path_basename(file), name) == 0)
			return true;
	return false;
}

/* Can /dev/NAME be opened exclusively?  0 yes, -EBUSY in use, else unknown. */
static int open_exclusive(const char *name, unsigned long maj, unsigned long min)
{
	char dev[96];
	struct stat st;
	int fd;

	int r = sysfs_pathf(dev, sizeof(dev), "/dev/%s", name);

	if (r < 0)
		return r;
	fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || major(st.st_rdev) != maj ||
	    minor(st.st_rdev) != min) {
		close(fd);
		return -ENODEV;	/* not the node it should be: cannot tell */
	}
	close(fd);
	return 0;
}

/* Is the block device NAME in use?  Fills @why. */
static bool block_in_use(int rootfd, bool live, const char *name, const char *mountinfo,
			 const char *swaps, char *why, size_t size)
{
	char devno[32], other[64], target[256];
	unsigned long maj, min;
	const char *colon;
	int r;

	if (sysfs_readf(rootfd, devno, sizeof(devno), "sys/class/block/%s/dev", name) < 0 || !(colon = strchr(devno, ':')) ||
	    parse_dec(devno, (size_t)(colon - devno), 4095, &maj) < 0 ||
	    parse_dec(colon + 1, strlen(colon + 1), 1048575, &min) < 0) {
		snprintf(why, size, "%s: its device number cannot be read", name);
		return true;
	}
	if (mounted(mountinfo, maj, min, name, target, sizeof(target))) {
		snprintf(why, size, "%s is mounted at %.200s", name, target);
		return true;
	}
	if (active_swap(swaps, name)) {
		snprintf(why, size, "%s is an active swap", name);
		return true;
	}
	if (has_holders(rootfd, name, other, sizeof(other))) {
		snprintf(why, size, "%s is held by %s", name, other);
		return true;
	}
	if (!live)
		return false;
	r = open_exclusive(name, maj, min);
	if (r == 0)
		return false;
	if (r == -EBUSY)
		snprintf(why, size, "%s is in use (it cannot be opened exclusively: mounted, "
			 "in an array or a pool)", name);
	else
		snprintf(why, size, "%s cannot be checked (/dev/%s: %s)", name, name,
			 strerror(-r));
	return true;
}

/*
 * Call @fn with the name and sysfs link target of each block device in
 * sys/class/block until it returns true; whether one did.
 */
static bool block_each(int rootfd, bool (*fn)(const char *name, const char *link, void *arg),
		       void *arg)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *name;
	bool done = false;

	if (sysfs_opendirf(&dir, rootfd, "sys/class/block") < 0)
		return false;
	while (!done && (name = sysfs_dir_next(&dir))) {
		char link[1024];

		if (sysfs_readlinkf(rootfd, link, sizeof(link), "sys/class/block/%s", name) >= 0)
			done = fn(name, link, arg);
	}
	return done;
}

struct in_use {
	int rootfd;
	bool live;
	const struct pci_dev *d;
	const char *mountinfo;
	const char *swaps;
	char *why;
	size_t size;
};

static bool block_below_in_use(const char *name, const char *link, void *arg)
{
	struct in_use *u = arg;

	if (!link_below(link, u->d->name) && !subsystem_below(u->rootfd, link, u->d->name))
		return false;
	return block_in_use(u->rootfd, u->live, name, u->mountinfo, u->swaps, u->why, u->size);
}

bool protect_in_use(int rootfd, bool live, const struct pci_dev *d, char *why, size_t size)
{
	_cleanup_free_ char *mountinfo = NULL, *swaps = NULL;
	struct in_use u = { .rootfd = rootfd, .live = live, .d = d, .why = why, .size = size };
	size_t len;

	if (faccessat(rootfd, "sys/class/block", F_OK, 0) < 0)
		return false;
	u.mountinfo = mountinfo = read_file_at(rootfd, "proc/self/mountinfo", 4 << 20, &len);
	u.swaps = swaps = read_file_at(rootfd, "proc/swaps", 1 << 20, &len);
	return block_each(rootfd, block_below_in_use, &u);
}

/* Did @d hold a block device when the image was built? */
static bool is_carrier(const struct protect *p, const struct pci_dev *d)
{
	for (size_t i = 0; i < p->ncarriers; i++)
		if (pci_addr_cmp(&p->carriers[i].addr, &d->addr) == 0)
			return true;
	return false;
}

/* What makes @d wait for proof, by what is known without reading sysfs; or NULL. */
static const char *proof_kind_class(const struct protect *p, const struct pci_dev *d)
{
	unsigned sub = d->class >> 8;

	if (pci_base_class(d) == 0x01)
		return "a storage controller";
	if (sub == 0x0c03 && (d->class & 0xff) != 0xfe)	/* not a USB device (gadget) */
		return "a USB host controller, which can carry a disk the boot needs";
	if (sub == 0x0805)
		return "an SD/MMC host controller, which can carry a disk the boot needs";
	if (sub == 0x0c00)
		return "a FireWire controller, which can carry a disk the boot needs";
	if (sub == 0x0c04)
		return "a Fibre Channel controller, which can carry a disk the boot needs";
	if (pci_is_bridge(d))
		return NULL;
	if (is_carrier(p, d))
		return "a device that held a block device when the image was built";
	if (p->net_root && pci_base_class(d) == 0x02)
		return "a network controller";
	return NULL;
}

/* The same, and what sysfs says: behind a Thunderbolt or USB4 tunnel. */
static const char *proof_kind(const struct protect *p, struct pci_tree *t,
			      const struct pci_dev *d)
{
	const char *kind = proof_kind_class(p, d);
	char removable[16];

	if (kind || pci_is_bridge(d))
		return kind;
	/* The kernel marks what sits behind an external-facing port. */
	if (pci_attr_read(t, d, "removable", removable, sizeof(removable)) > 0 &&
	    strcmp(removable, "removable") == 0)
		return "behind an external (Thunderbolt or USB4) port, where a disk the boot "
		       "needs can be";
	return NULL;
}

/*
 * Does @d host PCI devices of its own (a VMD's domain, pciDDDD:BB, in its
 * directory)?  Only then can a storage controller sit below it.
 */
static bool hosts_devices(struct pci_tree *t, const struct pci_dev *d)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *name;
	bool found = false;

	if (sysfs_opendirf(&dir, t->devfd, "%s", d->name) < 0)
		return false;
	while (!found && (name = sysfs_dir_next(&dir))) {
		struct pci_addr a;

		found = (strncmp(name, "pci", 3) == 0 && strchr(name, ':')) ||
			parse_sysfs_name(name, &a) == 0;
	}
	return found;
}

const struct pci_dev *protect_needs_proof(const struct protect *p, struct pci_tree *t,
					  const struct pci_dev *d, const char **kind)
{
	const struct pci_dev *found = NULL;
	struct pci_dev **mem;
	size_t n;

	if ((*kind = proof_kind(p, t, d)))
		return d;
	/* A device above a storage controller (a VMD in front of the disks). */
	for (size_t i = 0, above = hosts_devices(t, d); above && i < t->n && !found; i++) {
		const struct pci_dev *o = &t->dev[i];
		char link[1024];

		if (o != d && (*kind = proof_kind_class(p, o)) &&
		    pci_link_read(t, o, NULL, link, sizeof(link)) >= 0 && link_below(link, d->name))
			found = o;
	}
	if (found || d->iommu_group < 0 ||
	    pci_group_members(t, d->iommu_group, &mem, &n) < 0)
		return found;
	for (size_t i = 0; i < n && !found; i++)
		if (mem[i] != d && (*kind = proof_kind(p, t, mem[i])))
			found = mem[i];
	free(mem);
	return found;
}

static int carrier_add(struct protect *p, struct pci_tree *t, const struct pci_dev *d,
		       const char *block)
{
	struct protected_dev *v, *e;

	v = realloc(p->carriers, (p->ncarriers + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->carriers = v;
	e = &v[p->ncarriers++];
	memset(e, 0, sizeof(*e));
	e->addr = d->addr;
	snprintf(e->why, sizeof(e->why), "held %.60s", block);
	protect_identify(e, t, d);
	return 0;
}

struct carriers {
	struct protect *p;
	struct pci_tree *t;
};

/* Every device on the block device's chain that is no bridge and not protected. */
static bool block_carriers(const char *name, const char *link, void *arg)
{
	struct carriers *c = arg;

	for (size_t i = 0; i < c->t->n; i++) {
		struct pci_dev *d = &c->t->dev[i];

		pci_load(c->t, d);
		if (pci_is_bridge(d) || protect_find(c->p, &d->addr) || is_carrier(c->p, d) ||
		    !link_below(link, d->name))
			continue;
		if (carrier_add(c->p, c->t, d, name) < 0) {
			log_warn("out of memory while listing block-device controllers");
			return true;
		}
	}
	return false;
}

void protect_find_carriers(struct protect *p, struct pci_tree *t, int rootfd)
{
	struct carriers c = { p, t };

	block_each(rootfd, block_carriers, &c);
}
