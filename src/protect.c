// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the host needs to boot, down to its PCI controllers.
 *
 * The needs are the root filesystem, every fstab filesystem and swap that
 * is mounted at boot (no nofail, no noauto), active swap, crypttab sources,
 * resume= and the interface of a network root.  Each is resolved to block
 * devices, and each block device is followed down to PCI: its sysfs link
 * target runs through every PCI device above it (the last is the
 * controller).  Devices with no PCI device above them are followed through
 * what they are made of: a partition's disk, slaves/ (dm, md, bcache), the
 * controllers of an NVMe subsystem (native multipath), the members of a
 * btrfs filesystem, the vdevs of a ZFS pool (which only zpool(8) knows:
 * the image build passes them in).
 */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "hostnet.h"
#include "log.h"
#include "mounts.h"
#include "pci.h"
#include "protect.h"
#include "rules.h"
#include "sysfs.h"
#include "util.h"

#define STACK_DEPTH_MAX 8
#define PROTECT_MAX 4096
#define MISSING_MAX 64

void protect_free(struct protect *p)
{
	free(p->v);
	free(p->carriers);
	for (size_t i = 0; i < p->nmissing; i++)
		free(p->missing[i]);
	free(p->missing);
	memset(p, 0, sizeof(*p));
}

const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (pci_addr_cmp(&p->v[i].addr, a) == 0)
			return &p->v[i];
	return NULL;
}

/*
 * A device that holds several things says so: "holds /; holds /home".  A
 * device that the boot needs stays needed when it also carries the
 * management network.
 */
int protect_add_need(struct protect *p, const struct pci_addr *a, const char *why, bool mgmt)
{
	struct protected_dev *d = (struct protected_dev *)protect_find(p, a);

	if (d) {
		size_t used = strlen(d->why), head = strcspn(why, "(");

		d->mgmt = d->mgmt && mgmt;

		/* "holds the root filesystem (root=...)" once, whichever way it was found. */
		if (strncmp(d->why, why, head) != 0 && !strstr(d->why, why) &&
		    used + 2 + strlen(why) < sizeof(d->why))
			snprintf(d->why + used, sizeof(d->why) - used, "; %s", why);
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct protected_dev *v;

		if (cap > PROTECT_MAX)
			return -ENOSPC;
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	d = &p->v[p->n++];
	memset(d, 0, sizeof(*d));
	d->addr = *a;
	d->addr.has_func = true;
	d->mgmt = mgmt;
	snprintf(d->why, sizeof(d->why), "%s", why);
	return 0;
}

int protect_add(struct protect *p, const struct pci_addr *a, const char *why)
{
	return protect_add_need(p, a, why, false);
}

void protect_set_unverified(struct protect *p, const char *fmt, ...)
{
	va_list ap;

	p->verified = false;
	if (p->unverified[0])	/* the first reason is the one to fix */
		return;
	va_start(ap, fmt);
	vsnprintf(p->unverified, sizeof(p->unverified), fmt, ap);
	va_end(ap);
}

static void add_missing(struct protect *p, const char *what)
{
	char **v, *s;

	if (p->nmissing >= MISSING_MAX)
		return;
	for (size_t i = 0; i < p->nmissing; i++)
		if (strcmp(p->missing[i], what) == 0)
			return;
	v = realloc(p->missing, (p->nmissing + 1) * sizeof(*v));
	if (!v)
		return;
	p->missing = v;
	s = strdup(what);
	if (s)
		p->missing[p->nmissing++] = s;
}

/*
 * The components shaped like a PCI address in a sysfs link target, from
 * the root bus down: at most @max, the last one always kept.  Returns how
 * many were stored.
 */
static size_t pci_components(const char *link, struct pci_addr *out, size_t max)
{
	size_t n = 0;

	for (const char *s = link; s && *s;) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		char comp[PCI_ADDR_STRLEN];
		struct pci_addr a;

		if (len < sizeof(comp)) {
			memcpy(comp, s, len);
			comp[len] = '\0';
			if (parse_sysfs_name(comp, &a) == 0) {
				if (n == max) {	/* drop the topmost */
					memmove(out, out + 1, (max - 1) * sizeof(*out));
					n--;
				}
				out[n++] = a;
			}
		}
		s = e ? e + 1 : NULL;
	}
	return n;
}

/*
 * Is the PCI device at @a a bridge?  Unknown counts as not a bridge, so
 * that it is protected (bridges are never bound anyway).
 */
static bool is_bridge(const struct pci_tree *t, const struct pci_addr *a)
{
	struct pci_dev d = { .addr = *a };
	unsigned long cls;

	format_pci_addr(a, d.name);
	if (pci_read_hex_attr(t, &d, "class", 0xffffff, &cls) < 0)
		return false;
	d.class = (uint32_t)cls;
	return pci_is_bridge(&d);
}

/* A block device name as sysfs spells it: no '/', no dots only. */
static bool valid_block_name(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.' ||
		      *s == ':' || *s == '!'))
			return false;
	return true;
}

/* A /dev path that is safe to resolve under a test root. */
static bool valid_dev_path(const char *s)
{
	if (strncmp(s, "/dev/", 5) != 0 || strlen(s) > 200)
		return false;
	for (const char *c = s + 5; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' ||
		      *c == ':' || *c == '/' || *c == '+' || *c == '=' || *c == '@'))
			return false;
	return strstr(s, "/..") == NULL && strstr(s, "//") == NULL;
}

static const char *const tag_dirs[][2] = {
	{ "UUID=", "/dev/disk/by-uuid/" },
	{ "LABEL=", "/dev/disk/by-label/" },
	{ "PARTUUID=", "/dev/disk/by-partuuid/" },
	{ "PARTLABEL=", "/dev/disk/by-partlabel/" },
};

/* The resolution of one host's needs. */
struct resolver {
	struct protect *p;
	const struct pci_tree *t;	/* its devfd: the class of a device on a chain */
	int rootfd;
	bool live;
	bool mgmt;		/* the current need is the management network */
	unsigned added;		/* devices added since the current need began */
};

/*
 * The controller of a block device, and every device above it that is not
 * a bridge: a VMD or RAID-mode controller in front of the disk's own
 * controller takes the disk with it when it goes to vfio-pci.
 */
static bool protect_chain(struct resolver *r, const char *link, const char *what)
{
	struct pci_addr chain[16];
	char why[PROTECT_WHY_LEN], holder[PCI_ADDR_STRLEN];
	const char *verb = r->mgmt ? "carries" : "holds";
	/* What sits between the controller and the disk, for the list to say. */
	const char *over = r->mgmt ? "" : strstr(link, "/mmc_host/") ? ", on an SD/MMC card" :
			   strstr(link, "/usb") ? ", over USB" : "";
	size_t n = pci_components(link, chain, sizeof(chain) / sizeof(chain[0]));

	if (n == 0)
		return false;
	snprintf(why, sizeof(why), "%s %s%s", verb, what, over);
	if (protect_add_need(r->p, &chain[n - 1], why, r->mgmt) < 0)
		log_warn("too many protected devices");
	r->added++;
	format_pci_addr(&chain[n - 1], holder);
	for (size_t i = 0; i + 1 < n; i++) {
		if (is_bridge(r->t, &chain[i]))
			continue;
		snprintf(why, sizeof(why), "is upstream of %s, which %s %.*s", holder, verb,
			 (int)(strstr(what, " (") ? (size_t)(strstr(what, " (") - what) : strlen(what)),
			 what);
		if (protect_add_need(r->p, &chain[i], why, r->mgmt) < 0)
			log_warn("too many protected devices");
	}
	return true;
}

/* The name of the component of @link that follows @marker ("nvme-subsystem/"). */
static bool link_component_after(const char *link, const char *marker, char *buf, size_t size)
{
	const char *s = strstr(link, marker), *e;

	if (!s)
		return false;
	s += strlen(marker);
	e = strchr(s, '/');
	if (!e || (size_t)(e - s) >= size)
		return false;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return valid_block_name(buf);
}

int nvme_subsystem_each(int rootfd, const char *link,
			bool (*fn)(const char *ctrl_link, void *arg), void *arg)
{
	char subsys[64], dir[128], sub[256], target[1024];
	struct dirent *e;
	int n = 0;
	DIR *d;
	int fd;

	if (!link_component_after(link, "/nvme-subsystem/", subsys, sizeof(subsys)) ||
	    xsnprintf(dir, sizeof(dir), "sys/class/nvme-subsystem/%s", subsys) < 0)
		return -ENOENT;
	fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		return r < 0 ? r : -EIO;
	}
	while ((e = readdir(d))) {
		unsigned long num;

		if (strncmp(e->d_name, "nvme", 4) != 0 ||
		    parse_dec(e->d_name + 4, strlen(e->d_name + 4), 65535, &num) < 0 ||
		    xsnprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) < 0 ||
		    read_link(rootfd, sub, target, sizeof(target)) < 0)
			continue;
		n++;
		if (fn(target, arg))
			break;
	}
	closedir(d);
	return n;
}

struct climb {
	struct resolver *r;
	const char *what;
	bool any;
};

static bool climb_controller(const char *ctrl_link, void *arg)
{
	struct climb *c = arg;

	c->any |= protect_chain(c->r, ctrl_link, c->what);
	return false;
}

/*
 * NVMe native multipath: the disk lives in the subsystem, not below a
 * controller.  Every controller of the subsystem is a path to it.
 */
static bool climb_nvme_subsystem(struct resolver *r, const char *link, const char *what)
{
	struct climb c = { r, what, false };
	int n = nvme_subsystem_each(r->rootfd, link, climb_controller, &c);

	if (n == -ENOENT)
		return false;
	if (n < 0)
		log_info("%s: its NVMe subsystem has no controller directory", what);
	else if (!c.any)
		log_info("%s: no PCI controller found for its NVMe subsystem", what);
	return true;	/* nothing else would find its controllers */
}

/* The disk a partition belongs to: the directory above it in its link. */
static bool partition_disk(const char *link, char *buf, size_t size)
{
	const char *last = strrchr(link, '/'), *prev;

	if (!last || last == link)
		return false;
	for (prev = last - 1; prev > link && *prev != '/'; prev--)
		;
	if (*prev == '/')
		prev++;
	if ((size_t)(last - prev) >= size)
		return false;
	memcpy(buf, prev, (size_t)(last - prev));
	buf[last - prev] = '\0';
	return valid_block_name(buf);
}

/* A block device by its name in sys/class/block. */
static void climb(struct resolver *r, const char *name, const char *what, unsigned depth)
{
	char path[128], link[1024], sub[192];
	struct dirent *e;
	DIR *dir;
	int fd;

	if (depth > STACK_DEPTH_MAX) {
		log_warn("%s: block devices stacked too deep, stopped", what);
		return;
	}
	if (!valid_block_name(name) ||
	    xsnprintf(path, sizeof(path), "sys/class/block/%s", name) < 0)
		return;
	if (read_link(r->rootfd, path, link, sizeof(link)) < 0) {
		log_debug("%s: %s not found", what, path);
		return;
	}
	if (climb_nvme_subsystem(r, link, what) || protect_chain(r, link, what))
		return;
	/* md0p2, dm partitions: the partition's disk is what to follow. */
	if (xsnprintf(sub, sizeof(sub), "%s/partition", path) >= 0 &&
	    faccessat(r->rootfd, sub, F_OK, 0) == 0) {
		char disk[64];

		if (partition_disk(link, disk, sizeof(disk)))
			climb(r, disk, what, depth + 1);
		return;
	}
	/* device-mapper, md, bcache: the devices underneath. */
	if (xsnprintf(sub, sizeof(sub), "%s/slaves", path) < 0)
		return;
	fd = openat(r->rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			climb(r, e->d_name, what, depth + 1);
	closedir(dir);
}

/* The sys/class/block name of a device number. */
static int devno_name(int rootfd, unsigned long maj, unsigned long min, char *buf, size_t size)
{
	char path[64], link[512];
	const char *base;

	if (xsnprintf(path, sizeof(path), "sys/dev/block/%lu:%lu", maj, min) < 0 ||
	    read_link(rootfd, path, link, sizeof(link)) < 0)
		return -ENOENT;
	base = path_basename(link);
	if (!valid_block_name(base) || strlen(base) >= size)
		return -EINVAL;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

/*
 * A source as fstab, crypttab and the command line write it (MAJ:MIN,
 * UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/...) to its block device's
 * name.  libblkid on the live system; under a test root the links udev
 * would make (dev/disk/by-uuid/X -> ../../nvme0n1p2).
 */
static int spec_to_name(int rootfd, bool live, const char *spec, char *name, size_t size)
{
	char devpath[256], link[256];
	unsigned long maj, min;
	const char *colon = strchr(spec, ':'), *base;

	if (colon && parse_dec(spec, (size_t)(colon - spec), 4095, &maj) == 0 &&
	    parse_dec(colon + 1, strlen(colon + 1), 1048575, &min) == 0)
		return devno_name(rootfd, maj, min, name, size);
	if (live) {
		blkid_cache cache = NULL;
		struct stat st;
		char *dev;
		int ret = -ENOENT;

		/* "/dev/null" keeps libblkid from writing its cache file. */
		if (blkid_get_cache(&cache, "/dev/null") < 0)
			return -ENOMEM;
		dev = blkid_evaluate_spec(spec, &cache);
		blkid_put_cache(cache);
		if (dev && stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
			ret = devno_name(rootfd, major(st.st_rdev), minor(st.st_rdev), name, size);
		free(dev);
		return ret;
	}
	devpath[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(tag_dirs); i++) {
		size_t tl = strlen(tag_dirs[i][0]);

		if (strncmp(spec, tag_dirs[i][0], tl) != 0)
			continue;
		if (!valid_block_name(spec + tl) ||
		    xsnprintf(devpath, sizeof(devpath), "%s%s", tag_dirs[i][1], spec + tl) < 0)
			return -EINVAL;
	}
	if (!devpath[0]) {
		if (!valid_dev_path(spec))
			return -EINVAL;
		snprintf(devpath, sizeof(devpath), "%s", spec);
	}
	base = path_basename(devpath);
	if (read_link(rootfd, devpath + 1, link, sizeof(link)) >= 0)
		base = path_basename(link);
	if (!valid_block_name(base) || strlen(base) >= size)
		return -EINVAL;
	memcpy(name, base, strlen(base) + 1);
	return 0;
}

/* btrfs: every member of the filesystem @name belongs to (sys/fs/btrfs/UUID/devices). */
static void climb_btrfs(struct resolver *r, const char *name, const char *what)
{
	char path[192];
	struct dirent *e;
	DIR *top;
	int fd = openat(r->rootfd, "sys/fs/btrfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(top = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(top))) {
		struct dirent *m;
		DIR *members;
		int mfd;

		if (e->d_name[0] == '.' || !valid_block_name(e->d_name) ||
		    xsnprintf(path, sizeof(path), "sys/fs/btrfs/%s/devices/%s", e->d_name,
			      name) < 0 ||
		    faccessat(r->rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* The members' directory: the path that fitted, less "/NAME". */
		path[strlen(path) - strlen(name) - 1] = '\0';
		mfd = openat(r->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mfd < 0 || !(members = fdopendir(mfd))) {
			if (mfd >= 0)
				close(mfd);
			continue;
		}
		while ((m = readdir(members)))
			if (m->d_name[0] != '.' && strcmp(m->d_name, name) != 0)
				climb(r, m->d_name, what, 0);
		closedir(members);
	}
	closedir(top);
}

static bool is_network_fs(const char *fstype)
{
	static const char *const net[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph",
					   "glusterfs", "fuse.sshfs", "davfs", "afs" };

	for (size_t i = 0; i < ARRAY_SIZE(net); i++)
		if (strcmp(fstype, net[i]) == 0)
			return true;
	return false;
}

/* Filesystems with no device underneath: nothing to protect. */
static bool is_virtual_fs(const char *fstype)
{
	static const char *const virt[] = {
		"proc", "sysfs", "devpts", "tmpfs", "devtmpfs", "securityfs", "cgroup",
		"cgroup2", "debugfs", "tracefs", "efivarfs", "pstore", "bpf", "hugetlbfs",
		"mqueue", "configfs", "fusectl", "binfmt_misc", "autofs", "ramfs", "rootfs",
		"overlay", "none", "rpc_pipefs", "nfsd", "fuse.lxcfs", "squashfs",
	};

	for (size_t i = 0; i < ARRAY_SIZE(virt); i++)
		if (strcmp(fstype, virt[i]) == 0)
			return true;
	return false;
}

/* A network interface down to its PCI devices, through bonds, bridges, VLANs. */
static void climb_net(struct resolver *r, const char *ifname, const char *what)
{
	char ports[HOSTNET_PORTS_MAX][HOSTNET_IFNAME_LEN], path[64], link[1024];
	size_t n = hostnet_ports(r->rootfd, ifname, ports, HOSTNET_PORTS_MAX);

	for (size_t i = 0; i < n; i++)
		if (xsnprintf(path, sizeof(path), "sys/class/net/%s", ports[i]) >= 0 &&
		    read_link(r->rootfd, path, link, sizeof(link)) >= 0)
			protect_chain(r, link, what);
}

/*
 * The interfaces that carry the host's management traffic, down to their
 * PCI devices: kept unless a rule names them with allow-network.
 */
static void need_management(struct resolver *r)
{
	struct hostnet_if mg[HOSTNET_MGMT_MAX];
	size_t n = hostnet_management(r->rootfd, mg, HOSTNET_MGMT_MAX);

	r->mgmt = true;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < mg[i].nports; j++) {
			char desc[160], what[200], path[64], link[1024];

			hostnet_describe(&mg[i], mg[i].ports[j], desc, sizeof(desc));
			snprintf(what, sizeof(what), "the host's management network (%s)", desc);
			if (xsnprintf(path, sizeof(path), "sys/class/net/%s", mg[i].ports[j]) >= 0 &&
			    read_link(r->rootfd, path, link, sizeof(link)) >= 0 &&
			    protect_chain(r, link, what))
				log_info("%s carries %s", mg[i].ports[j], what);
		}
	}
	r->mgmt = false;
}

/* Interfaces with a default route (proc/net/route), else those that are up. */
static void need_network(struct resolver *r, const struct protect_sources *src,
			 const char *what)
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	size_t len;
	unsigned before = r->added;

	if (src->net_dev) {
		climb_net(r, src->net_dev, what);
		if (r->added > before)
			return;
	}
	buf = read_file_at(r->rootfd, "proc/net/route", 1 << 20, &len);
	cursor = buf;
	while (buf && (line = util_next_line(&cursor))) {
		char ifname[32], dest[16];

		if (sscanf(line, "%31s %15s", ifname, dest) == 2 && strcmp(dest, "00000000") == 0)
			climb_net(r, ifname, what);
	}
	if (r->added > before)
		return;
	{
		struct dirent *e;
		DIR *d;
		int fd = openat(r->rootfd, "sys/class/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			return;
		}
		while ((e = readdir(d))) {
			char path[96], state[16];

			if (e->d_name[0] == '.' || strcmp(e->d_name, "lo") == 0 ||
			    !hostnet_valid_ifname(e->d_name) ||
			    xsnprintf(path, sizeof(path), "sys/class/net/%s/operstate",
				      e->d_name) < 0 ||
			    read_attr(r->rootfd, path, state, sizeof(state)) < 0 ||
			    strcmp(state, "up") != 0)
				continue;
			climb_net(r, e->d_name, what);
		}
		closedir(d);
	}
}

/* A ZFS pool: its vdevs as zpool(8) listed them at image build. */
static void need_zfs(struct resolver *r, const struct protect_sources *src, const char *dataset,
		     const char *what)
{
	size_t plen = strcspn(dataset, "/");
	unsigned before = r->added;
	char miss[256];

	for (size_t i = 0; src->zfs_given && i < src->nzfs; i++) {
		const char *v = src->zfs_vdevs[i];
		char name[64];

		if (strncmp(v, dataset, plen) != 0 || v[plen] != '=')
			continue;
		if (spec_to_name(r->rootfd, r->live, v + plen + 1, name, sizeof(name)) == 0)
			climb(r, name, what, 0);
	}
	if (r->added > before)
		return;
	snprintf(miss, sizeof(miss), "%s: ZFS pool %.*s: %s", what, (int)plen, dataset,
		 src->zfs_given ? "no vdev of it found" : "no vdev list (zpool(8) missing or failed)");
	add_missing(r->p, miss);
}

/*
 * One need: a source (spec) of a filesystem type, or a device number.
 * @what names it in messages and in the list ("/home (ext4 on UUID=...)").
 */
static void need(struct resolver *r, const struct protect_sources *src, const char *what,
		 const char *spec, const char *fstype, bool record_missing)
{
	unsigned before = r->added;
	char name[64];
	int ret;

	if (fstype && is_network_fs(fstype)) {
		need_network(r, src, what);
	} else if (fstype && strcmp(fstype, "zfs") == 0) {
		need_zfs(r, src, spec, what);
		return;
	} else if ((ret = spec_to_name(r->rootfd, r->live, spec, name, sizeof(name))) == 0) {
		climb(r, name, what, 0);
		if (fstype && strcmp(fstype, "btrfs") == 0)
			climb_btrfs(r, name, what);
	} else {
		log_info("%s: %s", what, ret == -EINVAL ? "not a source this tool can resolve" :
			 "not visible");
	}
	if (r->added == before && record_missing) {
		char miss[256];

		snprintf(miss, sizeof(miss), "%s: no PCI controller found", what);
		add_missing(r->p, miss);
	}
}

/* The mountinfo entry of @target (the last one: later mounts hide earlier). */
static bool find_mount(int rootfd, const char *target, char *source, size_t ssize,
		       char *fstype, size_t fsize, unsigned long *maj, unsigned long *min)
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	bool found = false;
	size_t len;

	buf = read_file_at(rootfd, "proc/self/mountinfo", 4 << 20, &len);
	cursor = buf;
	while (buf && (line = util_next_line(&cursor))) {
		struct mountinfo_entry m;

		if (mountinfo_parse_line(line, &m) < 0 || strcmp(m.target, target) != 0)
			continue;
		snprintf(source, ssize, "%s", m.source);
		snprintf(fstype, fsize, "%s", m.fstype);
		*maj = m.major;
		*min = m.minor;
		found = true;
	}
	return found;
}

static void sysroot_target(const char *sysroot, char *buf, size_t size)
{
	snprintf(buf, size, "/%s", sysroot ? sysroot : "");
}

bool protect_root_mounted(int rootfd, const char *sysroot)
{
	char target[256], source[256], fstype[64];
	unsigned long maj, min;

	sysroot_target(sysroot, target, sizeof(target));
	if (!find_mount(rootfd, target, source, sizeof(source), fstype, sizeof(fstype), &maj, &min))
		return false;
	return strcmp(fstype, "rootfs") != 0 && strcmp(fstype, "ramfs") != 0 &&
	       strcmp(fstype, "tmpfs") != 0;
}

/* The mounted root (or the new root the late pass sees mounted). */
static void need_mounted_root(struct resolver *r, const struct protect_sources *src)
{
	char target[256], source[256], fstype[64], what[256], name[64];
	unsigned long maj, min;

	sysroot_target(src->sysroot, target, sizeof(target));
	if (!find_mount(r->rootfd, target, source, sizeof(source), fstype, sizeof(fstype), &maj,
			&min))
		return;
	if (is_network_fs(fstype))
		r->p->net_root = true;
	snprintf(what, sizeof(what), "the root filesystem (mounted /)");
	if (maj != 0 && devno_name(r->rootfd, maj, min, name, sizeof(name)) == 0) {
		climb(r, name, what, 0);
		if (strcmp(fstype, "btrfs") == 0)
			climb_btrfs(r, name, what);
		return;
	}
	/* btrfs, ZFS and network filesystems show an anonymous device. */
	need(r, src, what, source, fstype, false);
}

/* sysroot/etc/NAME, relative to the root fd. */
static char *read_etc(int rootfd, const char *sysroot, const char *name)
{
	char path[256];
	size_t len;

	if (xsnprintf(path, sizeof(path), "%s%setc/%s", sysroot, *sysroot ? "/" : "", name) < 0)
		return NULL;
	return read_file_at(rootfd, path, 1 << 20, &len);
}

static void need_fstab(struct resolver *r, const struct protect_sources *src)
{
	_cleanup_free_ char *buf = read_etc(r->rootfd, src->sysroot, "fstab");
	char *cursor = buf, *line;
	unsigned n = 0;

	while (buf && (line = util_next_line(&cursor))) {
		struct fstab_entry e;
		char what[256];

		n++;
		if (fstab_parse_line(line, &e) != 0)
			continue;
		if (mount_opt_has(e.opts, "nofail") || mount_opt_has(e.opts, "noauto") ||
		    mount_opt_has(e.opts, "bind") || mount_opt_has(e.opts, "rbind") ||
		    is_virtual_fs(e.fstype))
			continue;
		if (strcmp(e.fstype, "swap") == 0)
			snprintf(what, sizeof(what), "swap (%.120s, fstab line %u)", e.spec, n);
		else
			snprintf(what, sizeof(what), "%.80s (%.16s on %.80s, fstab line %u)",
				 e.target, e.fstype, e.spec, n);
		need(r, src, what, e.spec, e.fstype, true);
	}
}

static void need_crypttab(struct resolver *r, const struct protect_sources *src)
{
	_cleanup_free_ char *buf = read_etc(r->rootfd, src->sysroot, "crypttab");
	char *cursor = buf, *line;

	while (buf && (line = util_next_line(&cursor))) {
		struct crypttab_entry e;
		char what[256];

		if (crypttab_parse_line(line, &e) != 0 || mount_opt_has(e.opts, "noauto") ||
		    mount_opt_has(e.opts, "nofail"))
			continue;
		snprintf(what, sizeof(what), "crypttab %.60s (%.100s)", e.name, e.source);
		need(r, src, what, e.source, NULL, true);
	}
}

static void need_swaps(struct resolver *r, const struct protect_sources *src)
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	size_t len;

	buf = read_file_at(r->rootfd, "proc/swaps", 1 << 20, &len);
	cursor = buf;
	while (buf && (line = util_next_line(&cursor))) {
		char what[256], name[64], *file;
		struct stat st;

		if (swaps_parse_line(line, &file) != 0)
			continue;
		snprintf(what, sizeof(what), "active swap %.160s", file);
		if (strncmp(file, "/dev/", 5) == 0) {
			need(r, src, what, file, NULL, true);
		} else if (r->live && stat(file, &st) == 0 &&
			   devno_name(r->rootfd, major(st.st_dev), minor(st.st_dev), name,
				      sizeof(name)) == 0) {
			climb(r, name, what, 0);	/* a swap file: its filesystem */
		}
	}
}

void protect_resolve_host(struct protect *p, struct pci_tree *t, int rootfd, bool live,
			  const struct protect_sources *src)
{
	struct resolver r = { .p = p, .t = t, .rootfd = rootfd, .live = live };
	bool mounted = src->sysroot != NULL;
	char what[256];
	unsigned before;

	before = r.added;
	if (src->net_root) {
		p->net_root = true;
		snprintf(what, sizeof(what), "the network root (%.100s)", src->net_root);
		need_network(&r, src, what);
		if (mounted && r.added == before) {
			snprintf(what, sizeof(what), "the network root (%.100s): no PCI network "
				 "controller found", src->net_root);
			add_missing(p, what);
		}
	} else if (src->root_spec && *src->root_spec) {
		snprintf(what, sizeof(what), "the root filesystem (root=%.100s)", src->root_spec);
		need(&r, src, what, src->root_spec, NULL, false);
	}
	if (src->resume_spec && *src->resume_spec) {
		snprintf(what, sizeof(what), "resume=%.100s", src->resume_spec);
		need(&r, src, what, src->resume_spec, NULL, mounted);
	}
	if (!mounted)
		return;
	need_mounted_root(&r, src);
	if (r.added == before)
		add_missing(p, "/: no PCI controller found under the root filesystem");
	need_fstab(&r, src);
	need_crypttab(&r, src);
	need_swaps(&r, src);
	need_management(&r);
}

int protect_resolve_device(struct protect *p, struct pci_tree *t, int rootfd, bool live,
			   const char *devpath)
{
	struct resolver r = { .p = p, .t = t, .rootfd = rootfd, .live = live };
	char name[64];

	if (!valid_dev_path(devpath)) {
		log_err("%s: not a /dev path", devpath);
		return -EINVAL;
	}
	if (spec_to_name(rootfd, live, devpath, name, sizeof(name)) == 0) {
		char what[256];

		snprintf(what, sizeof(what), "the root filesystem (%s)", devpath);
		climb(&r, name, what, 0);
	}
	return r.added ? 0 : -ENODEV;
}

/* The members of each protected device's IOMMU group go along. */
void protect_add_groups(struct protect *p, struct pci_tree *t)
{
	size_t n = p->n;

	for (size_t i = 0; i < n; i++) {
		struct pci_dev *d = pci_find(t, &p->v[i].addr), **mem;
		size_t nmem;

		if (!d || (pci_load(t, d), d->iommu_group < 0) ||
		    pci_group_members(t, d->iommu_group, &mem, &nmem) < 0)
			continue;
		bool mgmt = p->v[i].mgmt;

		for (size_t j = 0; j < nmem; j++) {
			char why[PROTECT_WHY_LEN];

			if (pci_is_bridge(mem[j]) || protect_find(p, &mem[j]->addr))
				continue;
			snprintf(why, sizeof(why), "in IOMMU group %d with %s%s", d->iommu_group,
				 d->name, mgmt ? ", which carries the host's management network" : "");
			protect_add_need(p, &mem[j]->addr, why, mgmt);
		}
		free(mem);
	}
}

void protect_identify(struct protected_dev *e, struct pci_tree *t, const struct pci_dev *d)
{
	e->vendor = d->vendor;
	e->device = d->device;
	e->subvendor = d->subvendor;
	e->subdevice = d->subdevice;
	e->class = d->class;
	e->has_ids = true;
	if (pci_stable_path(t, d, e->path, sizeof(e->path)) < 0)
		e->path[0] = '\0';
}

/* Path and ids from the tree, as the list records them. */
void protect_complete(struct protect *p, struct pci_tree *t)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct pci_dev *d = pci_find(t, &p->v[i].addr);

		if (d)
			protect_identify(&p->v[i], t, d);
	}
}

void protect_sources_from(struct protect_sources *src, const struct ruleset *rs)
{
	memset(src, 0, sizeof(*src));
	src->root_spec = rs->root_spec;
	src->resume_spec = rs->resume_spec;
	src->net_root = rs->net_root;
	src->net_dev = rs->net_dev;
}

static const char rebuild_hint[] =
	"rebuild the initramfs (update-initramfs -u, dracut -f or mkinitcpio -P)";

/*
 * What the host needs, for a boot-mode run.  On a booted host and in the
 * late pass (@sysroot: where the host's root is mounted) it is resolved
 * from the mounted system, and every candidate's use is checked.  In the
 * initramfs it is the image build's list, verified against this machine.
 */
void protect_for_run(struct protect *p, struct pci_tree *t, int rootfd, bool live,
		     const struct protect_sources *from, const char *sysroot)
{
	struct protect_sources src = *from;

	p->live = live;
	if (!sysroot && protect_root_mounted(rootfd, ""))
		sysroot = "";
	if (!sysroot) {
		size_t listed;

		protect_load_list(p, t, rootfd);
		listed = p->n;
		/* root= where it is visible already, a network root from the command line. */
		protect_resolve_host(p, t, rootfd, live, &src);
		protect_complete(p, t);
		if (p->verified)
			log_info("protected list verified: %zu device%s (machine %s)", listed, plural(listed),
				 p->machine[0] ? p->machine : "unknown");
		else
			log_warn("protected list unverified: %s; no controller that can carry a "
				 "disk%s is taken before the root is mounted, and a network "
				 "controller only by a rule that names it with allow-network: %s",
				 p->unverified, p->net_root ? " nor any network controller" : "",
				 rebuild_hint);
		return;
	}
	src.sysroot = sysroot;
	protect_resolve_host(p, t, rootfd, live, &src);
	protect_complete(p, t);
	p->verified = true;
	p->live_fs = true;
	for (size_t i = 0; i < p->nmissing; i++) {
		const char *m = p->missing[i];

		/*
		 * What is mounted, active or held now is found by the use check:
		 * on a booted host that is everything it needs, in the late pass
		 * the new root and the ZFS pools (ZFS claims its vdevs).  The
		 * late pass must trace the rest: fstab, crypttab and resume= are
		 * not in use yet.
		 */
		if (!*sysroot || strncmp(m, "/: ", 3) == 0 || strstr(m, ": ZFS pool "))
			log_info("%s; the use check covers it", m);
		else
			protect_set_unverified(p, "%s", m);
	}
	if (p->verified)
		log_info("protected set resolved from the mounted system: %zu device%s", p->n,
			 plural(p->n));
	else
		log_warn("protected set unverified: %s; no storage controller is taken",
			 p->unverified);
}
