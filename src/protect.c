// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which PCI controllers hold the root filesystem.
 *
 * A block device is found in sysfs as sys/dev/block/MAJ:MIN (or
 * sys/class/block/NAME); its link target runs through every PCI device
 * above it, the last of which is the controller.  Stacked devices
 * (device-mapper, md) have no PCI device above them: their slaves/ are
 * followed instead.
 */
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "mounts.h"
#include "pci.h"
#include "protect.h"
#include "util.h"

#define STACK_DEPTH_MAX 8
#define PROTECTED_FILE_MAX (64 * 1024)

void protect_free(struct protect *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const struct protected_dev *protect_find(const struct protect *p, const struct pci_addr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (pci_addr_cmp(&p->v[i].addr, a) == 0)
			return &p->v[i];
	return NULL;
}

int protect_add(struct protect *p, const struct pci_addr *a, const char *why)
{
	struct protected_dev *d;

	if (protect_find(p, a))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct protected_dev *v;

		if (cap > 4096)
			return -ENOSPC;
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	d = &p->v[p->n++];
	d->addr = *a;
	d->addr.has_func = true;
	snprintf(d->why, sizeof(d->why), "%s", why);
	return 0;
}

void protect_load_file(struct protect *p, int rootfd, struct ruleset *rs)
{
	static const char file[] = "/" PROTECTED_FILE;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	unsigned line = 0;

	buf = read_file_at(rootfd, PROTECTED_FILE, PROTECTED_FILE_MAX, &len);
	if (!buf) {
		if (errno == ENOENT)
			return;
		/* Fail closed: without the list, any storage may hold the root. */
		p->unreadable = true;
		rs->errors++;
		log_err("%s: %s: no storage controller, nor anything in its IOMMU group, "
			"will be touched", file, errno == EFBIG ? "too large" : strerror(errno));
		return;
	}
	for (char *s = buf; s < buf + len;) {
		char *nl = memchr(s, '\n', (size_t)(buf + len - s));
		char *e = nl ? nl : buf + len, *hash = memchr(s, '#', (size_t)(e - s));
		struct pci_addr a;
		const char *why;

		line++;
		if (hash)
			e = hash;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > s) {
			/* @a is only set when the address parses. */
			int r = parse_pci_addr(s, (size_t)(e - s), &a, &why);

			if (r < 0 || !a.has_func)
				rule_error(rs, file, line, s, (size_t)(e - s),
					   r < 0 ? why : "a function (.F) is required");
			else if (protect_add(p, &a, "listed by the image build") < 0)
				rule_error(rs, file, line, s, (size_t)(e - s),
					   "too many protected devices");
		}
		s = nl ? nl + 1 : buf + len;
	}
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
static bool is_bridge(int rootfd, const struct pci_addr *a)
{
	char addr[PCI_ADDR_STRLEN], dev[64];
	unsigned long cls;

	format_pci_addr(a, addr);
	if (xsnprintf(dev, sizeof(dev), "sys/bus/pci/devices/%s", addr) < 0 ||
	    pci_read_hex_attr(rootfd, dev, "class", 0xffffff, &cls) < 0)
		return false;
	return pci_is_bridge(&(struct pci_dev){ .class = (uint32_t)cls });
}

/*
 * The controller of a block device, and every device above it that is not
 * a bridge: a VMD or RAID-mode controller in front of the disk's own
 * controller takes the disk with it when it goes to vfio-pci.
 */
static bool protect_chain(struct protect *p, int rootfd, const char *link, const char *what)
{
	struct pci_addr chain[16];
	char why[96], holder[PCI_ADDR_STRLEN];
	size_t n = pci_components(link, chain, sizeof(chain) / sizeof(chain[0]));

	if (n == 0)
		return false;
	snprintf(why, sizeof(why), "holds the root filesystem (%s)", what);
	if (protect_add(p, &chain[n - 1], why) < 0)
		log_warn("too many protected devices");
	format_pci_addr(&chain[n - 1], holder);
	for (size_t i = 0; i + 1 < n; i++) {
		if (is_bridge(rootfd, &chain[i]))
			continue;
		snprintf(why, sizeof(why), "is upstream of %s, which holds the root filesystem",
			 holder);
		if (protect_add(p, &chain[i], why) < 0)
			log_warn("too many protected devices");
	}
	return true;
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

/* @path is sys/dev/block/M:m or sys/class/block/NAME, relative to @rootfd. */
static void climb(struct protect *p, int rootfd, const char *path, const char *what,
		  unsigned depth)
{
	char link[1024], sub[256];
	struct dirent *e;
	DIR *dir;
	int fd;

	if (depth > STACK_DEPTH_MAX) {
		log_warn("%s: block devices stacked too deep, stopped", what);
		return;
	}
	if (read_link(rootfd, path, link, sizeof(link)) < 0) {
		log_debug("%s: %s not found", what, path);
		return;
	}
	if (protect_chain(p, rootfd, link, what))
		return;
	/* device-mapper, md, loop: the devices underneath. */
	if (xsnprintf(sub, sizeof(sub), "%s/slaves", path) < 0)
		return;
	fd = openat(rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_info("%s: no PCI controller found under it", what);
		return;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || !valid_block_name(e->d_name))
			continue;
		if (xsnprintf(sub, sizeof(sub), "sys/class/block/%s", e->d_name) < 0)
			continue;
		climb(p, rootfd, sub, what, depth + 1);
	}
	closedir(dir);
}

static void climb_devno(struct protect *p, int rootfd, dev_t devno, const char *what)
{
	char path[64];

	xsnprintf(path, sizeof(path), "sys/dev/block/%u:%u", major(devno), minor(devno));
	climb(p, rootfd, path, what, 0);
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

/*
 * Under a test root, a /dev path names a block device through the links
 * udev would make: dev/disk/by-uuid/X -> ../../nvme0n1p2.
 */
static void climb_fake_devpath(struct protect *p, int rootfd, const char *devpath,
			       const char *what)
{
	char link[256], path[128];
	const char *name = path_basename(devpath);

	if (read_link(rootfd, devpath + 1, link, sizeof(link)) >= 0)
		name = path_basename(link);
	if (!valid_block_name(name) ||
	    xsnprintf(path, sizeof(path), "sys/class/block/%s", name) < 0)
		return;
	climb(p, rootfd, path, what, 0);
}

static void climb_live_devpath(struct protect *p, int rootfd, const char *devpath,
			       const char *what)
{
	struct stat st;

	if (stat(devpath, &st) < 0 || !S_ISBLK(st.st_mode)) {
		log_info("%s: %s is not a block device here", what, devpath);
		return;
	}
	climb_devno(p, rootfd, st.st_rdev, what);
}

static const char *const tag_dirs[][2] = {
	{ "UUID=", "/dev/disk/by-uuid/" },
	{ "LABEL=", "/dev/disk/by-label/" },
	{ "PARTUUID=", "/dev/disk/by-partuuid/" },
	{ "PARTLABEL=", "/dev/disk/by-partlabel/" },
};

static void resolve_spec(struct protect *p, int rootfd, bool live, const char *spec)
{
	char what[96], devpath[256];
	unsigned long maj, min;
	const char *colon;

	snprintf(what, sizeof(what), "root=%.80s", spec);
	/* root=MAJ:MIN, as the kernel accepts it. */
	colon = strchr(spec, ':');
	if (colon && parse_dec(spec, (size_t)(colon - spec), 4095, &maj) == 0 &&
	    parse_dec(colon + 1, strlen(colon + 1), 1048575, &min) == 0) {
		climb_devno(p, rootfd, makedev(maj, min), what);
		return;
	}
	if (live) {
		blkid_cache cache = NULL;
		char *dev;

		/* "/dev/null" keeps libblkid from writing its cache file. */
		if (blkid_get_cache(&cache, "/dev/null") < 0)
			return;
		dev = blkid_evaluate_spec(spec, &cache);
		blkid_put_cache(cache);
		if (!dev) {
			log_info("%s: not visible yet, relying on the protected list", what);
			return;
		}
		climb_live_devpath(p, rootfd, dev, what);
		free(dev);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tag_dirs); i++) {
		size_t tl = strlen(tag_dirs[i][0]);

		if (strncmp(spec, tag_dirs[i][0], tl) != 0)
			continue;
		if (!valid_block_name(spec + tl) ||
		    xsnprintf(devpath, sizeof(devpath), "%s%s", tag_dirs[i][1], spec + tl) < 0) {
			log_warn("%s: malformed, ignored", what);
			return;
		}
		climb_fake_devpath(p, rootfd, devpath, what);
		return;
	}
	if (valid_dev_path(spec))
		climb_fake_devpath(p, rootfd, spec, what);
	else
		log_info("%s: not a block device this tool can resolve", what);
}

/* The device mounted at /, from the last "/" entry of mountinfo. */
static void resolve_mounted_root(struct protect *p, int rootfd, bool live)
{
	_cleanup_free_ char *buf = NULL;
	char source[256] = "", *cursor, *line;
	unsigned long maj = 0, min = 0;
	bool found = false;
	size_t len;

	buf = read_file_at(rootfd, "proc/self/mountinfo", 4 << 20, &len);
	if (!buf)
		return;
	cursor = buf;
	while ((line = next_line(&cursor))) {
		struct mountinfo_entry m;

		if (mountinfo_parse_line(line, &m) < 0 || strcmp(m.target, "/") != 0)
			continue;
		maj = m.major;
		min = m.minor;
		found = true;
		snprintf(source, sizeof(source), "%s", m.source);
	}
	if (!found)
		return;
	if (maj != 0) {
		climb_devno(p, rootfd, makedev(maj, min), "mounted /");
		return;
	}
	/* btrfs and others show an anonymous device: try the source. */
	if (valid_dev_path(source)) {
		if (live)
			climb_live_devpath(p, rootfd, source, "mounted /");
		else
			climb_fake_devpath(p, rootfd, source, "mounted /");
	}
}

void protect_resolve_root(struct protect *p, int rootfd, bool live, const char *root_spec)
{
	if (root_spec && *root_spec)
		resolve_spec(p, rootfd, live, root_spec);
	resolve_mounted_root(p, rootfd, live);
}

int protect_resolve_device(struct protect *p, int rootfd, bool live, const char *devpath)
{
	size_t before = p->n;

	if (!valid_dev_path(devpath)) {
		log_err("%s: not a /dev path", devpath);
		return -EINVAL;
	}
	if (live)
		climb_live_devpath(p, rootfd, devpath, devpath);
	else
		climb_fake_devpath(p, rootfd, devpath, devpath);
	return p->n > before ? 0 : -ENODEV;
}
