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
#include "protect-block.h"
#include "protect.h"
#include "protlist.h"
#include "rules.h"
#include "sysfs.h"
#include "util.h"

#define STACK_DEPTH_MAX 8

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

/* A block device by its name in sys/class/block. */
static void climb(struct resolver *r, const char *name, const char *what, unsigned depth)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *slave;
	char link[1024];

	if (depth > STACK_DEPTH_MAX) {
		log_warn("%s: block devices stacked too deep, stopped", what);
		return;
	}
	if (!block_name_ok(name))
		return;
	if (sysfs_readlinkf(r->rootfd, link, sizeof(link), "sys/class/block/%s", name) < 0) {
		log_debug("%s: sys/class/block/%s not found", what, name);
		return;
	}
	if (climb_nvme_subsystem(r, link, what) || protect_chain(r, link, what))
		return;
	/* md0p2, dm partitions: the partition's disk is what to follow. */
	if (sysfs_accessf(r->rootfd, F_OK, "sys/class/block/%s/partition", name) == 0) {
		char disk[64];

		if (block_partition_disk(link, disk, sizeof(disk)))
			climb(r, disk, what, depth + 1);
		return;
	}
	/* device-mapper, md, bcache: the devices underneath. */
	if (sysfs_opendirf(&dir, r->rootfd, "sys/class/block/%s/slaves", name) < 0)
		return;
	while ((slave = sysfs_dir_next(&dir)))
		climb(r, slave, what, depth + 1);
}

/* btrfs: every member of the filesystem @name belongs to (sys/fs/btrfs/UUID/devices). */
static void climb_btrfs(struct resolver *r, const char *name, const char *what)
{
	_cleanup_dir_ struct sysfs_dir top = SYSFS_DIR_INIT;
	const char *fsid;

	if (!block_name_ok(name) || sysfs_opendirf(&top, r->rootfd, "sys/fs/btrfs") < 0)
		return;
	while ((fsid = sysfs_dir_next(&top))) {
		_cleanup_dir_ struct sysfs_dir members = SYSFS_DIR_INIT;
		const char *m;

		if (sysfs_accessf(r->rootfd, F_OK, "sys/fs/btrfs/%s/devices/%s", fsid, name) < 0 ||
		    sysfs_opendirf(&members, r->rootfd, "sys/fs/btrfs/%s/devices", fsid) < 0)
			continue;
		while ((m = sysfs_dir_next(&members)))
			if (strcmp(m, name) != 0)
				climb(r, m, what, 0);
	}
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
	char ports[HOSTNET_PORTS_MAX][HOSTNET_IFNAME_LEN], link[1024];
	size_t n = hostnet_ports(r->rootfd, ifname, ports, HOSTNET_PORTS_MAX);

	for (size_t i = 0; i < n; i++)
		if (sysfs_readlinkf(r->rootfd, link, sizeof(link), "sys/class/net/%s", ports[i]) >= 0)
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
			char desc[160], what[200], link[1024];

			hostnet_describe(&mg[i], mg[i].ports[j], desc, sizeof(desc));
			snprintf(what, sizeof(what), "the host's management network (%s)", desc);
			if (sysfs_readlinkf(r->rootfd, link, sizeof(link), "sys/class/net/%s",
					    mg[i].ports[j]) >= 0 &&
			    protect_chain(r, link, what))
				log_info("%s carries %s", mg[i].ports[j], what);
		}
	}
	r->mgmt = false;
}

/* Every interface that is up, but the loopback. */
static void climb_up_interfaces(struct resolver *r, const char *what)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *name;

	if (sysfs_opendirf(&dir, r->rootfd, "sys/class/net") < 0)
		return;
	while ((name = sysfs_dir_next(&dir))) {
		char state[16];

		if (strcmp(name, "lo") == 0 || !hostnet_valid_ifname(name) ||
		    sysfs_readf(r->rootfd, state, sizeof(state), "sys/class/net/%s/operstate",
				name) < 0 ||
		    strcmp(state, "up") != 0)
			continue;
		climb_net(r, name, what);
	}
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
	climb_up_interfaces(r, what);
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
		if (block_spec_to_name(r->rootfd, r->live, v + plen + 1, name, sizeof(name)) == 0)
			climb(r, name, what, 0);
	}
	if (r->added > before)
		return;
	snprintf(miss, sizeof(miss), "%s: ZFS pool %.*s: %s", what, (int)plen, dataset,
		 src->zfs_given ? "no vdev of it found" : "no vdev list (zpool(8) missing or failed)");
	protect_add_missing(r->p, miss);
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
	} else if ((ret = block_spec_to_name(r->rootfd, r->live, spec, name, sizeof(name))) == 0) {
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
		protect_add_missing(r->p, miss);
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
	if (maj != 0 && block_devno_name(r->rootfd, maj, min, name, sizeof(name)) == 0) {
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
	_cleanup_close_ int fd = -1;
	size_t len;

	/* The sysroot is a relative path boot.c checked (no ".."), the only one given whole. */
	fd = openat(rootfd, *sysroot ? sysroot : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	return sysfs_read_filef(fd, 1 << 20, &len, "etc/%s", name);
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
			   block_devno_name(r->rootfd, major(st.st_dev), minor(st.st_dev), name,
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
			protect_add_missing(p, what);
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
		protect_add_missing(p, "/: no PCI controller found under the root filesystem");
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

	if (!block_dev_path_ok(devpath)) {
		log_err("%s: not a /dev path", devpath);
		return -EINVAL;
	}
	if (block_spec_to_name(rootfd, live, devpath, name, sizeof(name)) == 0) {
		char what[256];

		snprintf(what, sizeof(what), "the root filesystem (%s)", devpath);
		climb(&r, name, what, 0);
	}
	return r.added ? 0 : -ENODEV;
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
