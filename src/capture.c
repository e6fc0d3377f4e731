// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --capture DIR: copy what vfio-early reads (the PCI devices'
 * attributes and links, IOMMU groups and units, the block devices under
 * the root filesystem, the command line, the config and the modprobe.d
 * files, fstab and crypttab, the state files, the module indexes, the
 * installed initramfs's listing) into DIR, shaped like the
 * original, so that `vfio-early --root DIR --report` reproduces the report
 * elsewhere: for bug reports and for test fixtures.
 *
 * Links are copied as they are (sysfs links are relative) and the
 * directories they point to are created.  Nothing is followed out of the
 * source root, and nothing is written outside DIR.
 *
 * Exit status: 0 done, 1 usage error or DIR not usable, 2 some files
 * could not be copied (the capture is still usable).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostnet.h"
#include "initramfs.h"
#include "log.h"
#include "modes.h"
#include "modload.h"
#include "modprobe-conf.h"
#include "parse.h"
#include "pciids.h"
#include "sysfs.h"
#include "util.h"

#define ATTR_MAX (1u << 20)
#define DEPTH_MAX 64

struct cap {
	int src;		/* source root */
	int dst;		/* capture root */
	unsigned errors;
	unsigned files;
};

/* After xsnprintf: a path too long for its buffer is logged, counted, skipped. */
static bool fits(struct cap *c, int r, const char *path)
{
	if (r >= 0)
		return true;
	log_warn("%.128s...: path too long, not captured", path);
	c->errors++;
	return false;
}

/* mkdir -p of a path relative to the capture root. */
static int mkdirs(struct cap *c, const char *rel)
{
	char p[PATH_MAX];

	if (xsnprintf(p, sizeof(p), "%s", rel) < 0)
		return -ENAMETOOLONG;
	for (char *s = p; *s; s++) {
		if (*s != '/' || s == p)
			continue;
		*s = '\0';
		if (mkdirat(c->dst, p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdirat(c->dst, p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkparent(struct cap *c, const char *rel)
{
	char p[PATH_MAX];
	char *slash;

	if (xsnprintf(p, sizeof(p), "%s", rel) < 0)
		return -ENAMETOOLONG;
	slash = strrchr(p, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdirs(c, p);
}

static int put_file(struct cap *c, const char *rel, const char *buf, size_t len)
{
	int fd, r = 0;

	r = mkparent(c, rel);
	if (r < 0)
		return r;
	fd = openat(c->dst, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (len && write(fd, buf, len) != (ssize_t)len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0)
		c->files++;
	return r;
}

/* put_file(), a failure logged and counted like every other. */
static void write_out(struct cap *c, const char *rel, const char *buf, size_t len)
{
	int r = put_file(c, rel, buf, len);

	if (r < 0) {
		log_warn("%s: cannot write: %s", rel, strerror(-r));
		c->errors++;
	}
}

/* Copy one regular file (a sysfs attribute, a config file); absent is fine. */
static void copy_file(struct cap *c, const char *rel)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	buf = read_file_at(c->src, rel, ATTR_MAX, &len);
	if (!buf) {
		/* Write-only attributes and absent files are not errors. */
		if (errno != ENOENT && errno != EACCES && errno != EPERM && errno != EISDIR) {
			log_warn("%s: %s, not captured", rel, strerror(errno));
			c->errors++;
		}
		return;
	}
	write_out(c, rel, buf, len);
}

/* Lexically resolve @link found at @rel; false when it leaves the root. */
static bool resolve(const char *rel, const char *link, char *out, size_t size)
{
	char tmp[PATH_MAX];
	char *parts[DEPTH_MAX * 2];
	unsigned n = 0;
	size_t used = 0;

	if (link[0] == '/' ||
	    xsnprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(strrchr(rel, '/') ?
			strrchr(rel, '/') - rel : 0), rel, link) < 0)
		return false;
	for (char *s = strtok(tmp, "/"); s; s = strtok(NULL, "/")) {
		if (strcmp(s, ".") == 0)
			continue;
		if (strcmp(s, "..") == 0) {
			if (n == 0)
				return false;
			n--;
			continue;
		}
		if (n == ARRAY_SIZE(parts))
			return false;
		parts[n++] = s;
	}
	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(out + used, size - used, "%s%s", i ? "/" : "", parts[i]);

		if (k < 0 || (size_t)k >= size - used)
			return false;
		used += (size_t)k;
	}
	return n > 0;
}

/*
 * Copy the link at @rel as it is; create the directory it points to.
 * Returns the resolved target (relative to the root) in @target.
 */
static bool copy_link(struct cap *c, const char *rel, char *target, size_t size)
{
	char link[PATH_MAX];

	if (read_link(c->src, rel, link, sizeof(link)) < 0)
		return false;
	if (!resolve(rel, link, target, size)) {
		log_warn("%s: link %s leaves the root, not captured", rel, link);
		c->errors++;
		return false;
	}
	if (mkparent(c, rel) < 0)
		return false;
	unlinkat(c->dst, rel, 0);
	if (symlinkat(link, c->dst, rel) < 0) {
		log_warn("%s: cannot create link: %s", rel, strerror(errno));
		c->errors++;
		return false;
	}
	return true;
}

/* A source directory; false (errno set) when it cannot be read. */
static bool open_dir(struct cap *c, struct sysfs_dir *d, const char *rel)
{
	int r = sysfs_opendir(d, c->src, rel);

	errno = -r;
	return r == 0;
}

/* A PF's virtfnK links, each to its VF (the report lists a PF's VFs by them). */
static void capture_virtfns(struct cap *c, const char *dir)
{
	_cleanup_dir_ struct sysfs_dir d = SYSFS_DIR_INIT;
	char rel[PATH_MAX], target[PATH_MAX];
	const char *e;

	if (sysfs_opendir(&d, c->src, dir) < 0)
		return;
	while ((e = sysfs_dir_next(&d)))
		if (strncmp(e, "virtfn", 6) == 0 &&
		    fits(c, xsnprintf(rel, sizeof(rel), "%s/%s", dir, e), rel))
			copy_link(c, rel, target, sizeof(target));
}

static void capture_device(struct cap *c, const char *name)
{
	static const char *const attrs[] = {
		"vendor", "device", "subsystem_vendor", "subsystem_device", "class",
		"revision", "modalias", "boot_vga", "driver_override", "numa_node",
		"resource", "enable", "current_link_speed", "current_link_width",
		"sriov_totalvfs", "sriov_numvfs", "sriov_drivers_autoprobe",
	};
	char rel[PATH_MAX], dir[PATH_MAX], target[PATH_MAX];

	if (!fits(c, xsnprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", name), rel) ||
	    !copy_link(c, rel, dir, sizeof(dir)) || mkdirs(c, dir) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		if (fits(c, xsnprintf(rel, sizeof(rel), "%s/%s", dir, attrs[i]), rel))
			copy_file(c, rel);
	}
	if (fits(c, xsnprintf(rel, sizeof(rel), "%s/driver", dir), rel) &&
	    copy_link(c, rel, target, sizeof(target))) {
		char f[PATH_MAX];

		/* A driver directory a boot-mode run could write unbind to. */
		mkdirs(c, target);
		if (fits(c, xsnprintf(f, sizeof(f), "%s/unbind", target), f))
			write_out(c, f, "", 0);
		if (fits(c, xsnprintf(f, sizeof(f), "%s/bind", target), f))
			write_out(c, f, "", 0);
	}
	if (fits(c, xsnprintf(rel, sizeof(rel), "%s/iommu_group", dir), rel) &&
	    copy_link(c, rel, target, sizeof(target))) {
		char f[PATH_MAX + 64];

		if (fits(c, xsnprintf(f, sizeof(f), "%s/devices/%s", target, name), f))
			copy_link(c, f, target, sizeof(target));
	}
	if (fits(c, xsnprintf(rel, sizeof(rel), "%s/physfn", dir), rel))
		copy_link(c, rel, target, sizeof(target));
	capture_virtfns(c, dir);
}

static void capture_pci(struct cap *c)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	struct pci_addr a;
	const char *e;

	if (!open_dir(c, &d, "sys/bus/pci/devices")) {
		log_err("cannot read sys/bus/pci/devices: %s", strerror(errno));
		c->errors++;
		return;
	}
	mkdirs(c, "sys/bus/pci/devices");
	mkdirs(c, "sys/kernel/iommu_groups");
	write_out(c, "sys/bus/pci/drivers_probe", "", 0);
	while ((e = sysfs_dir_next(&d)))
		if (parse_sysfs_name(e, &a) == 0)
			capture_device(c, e);
	sysfs_dir_close(&d);
}

static void capture_iommu_units(struct cap *c)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	open_dir(c, &d, "sys/class/iommu");
	mkdirs(c, "sys/class/iommu");
	while ((e = sysfs_dir_next(&d))) {
		char rel[PATH_MAX], dir[PATH_MAX], f[PATH_MAX + 32];

		if (strlen(e) > 64)
			continue;
		if (!fits(c, xsnprintf(rel, sizeof(rel), "sys/class/iommu/%s", e), rel) ||
		    !copy_link(c, rel, dir, sizeof(dir)))
			continue;
		mkdirs(c, dir);
		if (fits(c, xsnprintf(f, sizeof(f), "%s/intel-iommu/cap", dir), f))
			copy_file(c, f);
		if (fits(c, xsnprintf(f, sizeof(f), "%s/intel-iommu/ecap", dir), f))
			copy_file(c, f);
	}
	sysfs_dir_close(&d);
}

/* The block devices: enough to resolve root= and the mounted / again. */
static void capture_block(struct cap *c)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	open_dir(c, &d, "sys/class/block");

	mkdirs(c, "sys/class/block");
	mkdirs(c, "sys/dev/block");
	while ((e = sysfs_dir_next(&d))) {
		char rel[PATH_MAX], dir[PATH_MAX], f[PATH_MAX + 32], devno[32];
		struct sysfs_dir s = SYSFS_DIR_INIT;
		const char *se;

		if (strlen(e) > 64)
			continue;
		if (!fits(c, xsnprintf(rel, sizeof(rel), "sys/class/block/%s", e), rel) ||
		    !copy_link(c, rel, dir, sizeof(dir)))
			continue;
		mkdirs(c, dir);
		if (!fits(c, xsnprintf(f, sizeof(f), "%s/dev", dir), f))
			continue;
		copy_file(c, f);
		if (read_attr(c->src, f, devno, sizeof(devno)) > 0 && strchr(devno, ':') &&
		    !strchr(devno, '/') &&
		    fits(c, xsnprintf(f, sizeof(f), "sys/dev/block/%s", devno), f))
			copy_link(c, f, rel, sizeof(rel));
		if (!fits(c, xsnprintf(f, sizeof(f), "%s/slaves", dir), f))
			continue;
		open_dir(c, &s, f);
		while ((se = sysfs_dir_next(&s))) {
			char sl[PATH_MAX + 96], t[PATH_MAX];

			if (strlen(se) > 64)
				continue;
			if (fits(c, xsnprintf(sl, sizeof(sl), "%s/slaves/%s", dir, se), sl))
				copy_link(c, sl, t, sizeof(t));
		}
		sysfs_dir_close(&s);
	}
	sysfs_dir_close(&d);
}

/*
 * The network interfaces: which PCI device each is, what it is stacked
 * on (bridge ports, bond members, VLANs) and whether it is up, for the
 * management network the report and the protected set name.
 */
static void capture_net(struct cap *c)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	open_dir(c, &d, "sys/class/net");

	mkdirs(c, "sys/class/net");
	while ((e = sysfs_dir_next(&d))) {
		char rel[PATH_MAX], dir[PATH_MAX], f[PATH_MAX + 96], t[PATH_MAX];
		struct sysfs_dir s = SYSFS_DIR_INIT;
		const char *se;

		if (!hostnet_valid_ifname(e) ||
		    !fits(c, xsnprintf(rel, sizeof(rel), "sys/class/net/%s", e), rel) ||
		    !copy_link(c, rel, dir, sizeof(dir)))
			continue;
		mkdirs(c, dir);
		if (fits(c, xsnprintf(f, sizeof(f), "%s/operstate", dir), f))
			copy_file(c, f);
		open_dir(c, &s, dir);
		while ((se = sysfs_dir_next(&s))) {
			if (strcmp(se, "device") != 0 &&
			    (strncmp(se, "lower_", 6) != 0 ||
			     !hostnet_valid_ifname(se + 6)))
				continue;
			if (fits(c, xsnprintf(f, sizeof(f), "%s/%s", dir, se), f))
				copy_link(c, f, t, sizeof(t));
		}
		sysfs_dir_close(&s);
	}
	sysfs_dir_close(&d);
}

/* Symlinks of a /dev directory (by-uuid, mapper), as udev made them. */
static void capture_dev_links(struct cap *c, const char *dir)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	open_dir(c, &d, dir);

	while ((e = sysfs_dir_next(&d))) {
		char rel[PATH_MAX], t[PATH_MAX];
		struct stat st;

		if (strlen(e) > 200)
			continue;
		if (fits(c, xsnprintf(rel, sizeof(rel), "%s/%s", dir, e), rel) &&
		    fstatat(c->src, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    copy_link(c, rel, t, sizeof(t)))
			write_out(c, t, "", 0);	/* the node, as a plain file */
	}
	sysfs_dir_close(&d);
}

/* Only the "/" mount: the rest of mountinfo is nobody's business. */
static void capture_mountinfo(struct cap *c)
{
	_cleanup_free_ char *buf = NULL;
	char out[4096] = "";
	size_t len, used = 0;

	buf = read_file_at(c->src, "proc/self/mountinfo", 4u << 20, &len);
	if (!buf)
		return;
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		const char *f = line;

		if (nl)
			*nl = '\0';
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (f && strncmp(f, "/ ", 2) == 0 && strlen(line) + used + 2 < sizeof(out))
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", line);
		line = nl ? nl + 1 : NULL;
	}
	write_out(c, "proc/self/mountinfo", out, used);
}

static void capture_cpu_vendor(struct cap *c)
{
	_cleanup_free_ char *buf = NULL;
	char out[128];
	const char *v;
	size_t len;

	buf = read_file_at(c->src, "proc/cpuinfo", 16u << 20, &len);
	if (!buf || !(v = strstr(buf, "vendor_id")))
		return;
	if (xsnprintf(out, sizeof(out), "%.*s\n", (int)strcspn(v, "\n"), v) < 0) {
		log_warn("proc/cpuinfo: vendor_id line too long, not captured");
		c->errors++;
		return;
	}
	write_out(c, "proc/cpuinfo", out, strlen(out));
}

static void capture_dir_files(struct cap *c, const char *dir, const char *suffix)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	open_dir(c, &d, dir);

	while ((e = sysfs_dir_next(&d))) {
		size_t n = strlen(e), sl = strlen(suffix);
		char rel[PATH_MAX];

		if (n < sl || strcmp(e + n - sl, suffix) != 0)
			continue;
		if (fits(c, xsnprintf(rel, sizeof(rel), "%s/%s", dir, e), rel))
			copy_file(c, rel);
	}
	sysfs_dir_close(&d);
}

/* Module indexes (not the modules) so lookups give the same answers. */
static void capture_modules(struct cap *c)
{
	char kver[256], dir[300];
	struct sysfs_dir d = SYSFS_DIR_INIT;
	const char *e;

	if (modload_kernel_release(c->src, kver, sizeof(kver)) < 0)
		return;
	/* The kernel's package (mkinitcpio names its image after it). */
	if (fits(c, xsnprintf(dir, sizeof(dir), "usr/lib/modules/%s/pkgbase", kver), dir))
		copy_file(c, dir);
	if (!fits(c, xsnprintf(dir, sizeof(dir), "lib/modules/%s/pkgbase", kver), dir))
		return;
	copy_file(c, dir);
	dir[strlen(dir) - strlen("/pkgbase")] = '\0';
	/* The directory itself names the kernel of a root without osrelease. */
	if (open_dir(c, &d, dir))
		mkdirs(c, dir);
	while ((e = sysfs_dir_next(&d))) {
		char rel[PATH_MAX];

		if (strncmp(e, "modules.", 8) != 0)
			continue;
		if (fits(c, xsnprintf(rel, sizeof(rel), "%s/%s", dir, e), rel))
			copy_file(c, rel);
	}
	sysfs_dir_close(&d);
}

/* A pci.ids holding just the devices of this machine. */
static void capture_names(struct cap *c)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	struct pciids_want *w = NULL;
	size_t n = 0, used = 0, cap = 0;
	char *out = NULL;
	const char *e;

	open_dir(c, &d, "sys/bus/pci/devices");

	while ((e = sysfs_dir_next(&d))) {
		char buf[128];
		unsigned long v, dv;
		struct pciids_want *nw;

		if (strlen(e) >= PCI_ADDR_STRLEN)
			continue;
		if (sysfs_readf(c->src, buf, sizeof(buf), "sys/bus/pci/devices/%s/vendor", e) != 6 ||
		    parse_hex(buf + 2, 4, 0xffff, &v) < 0)
			continue;
		if (sysfs_readf(c->src, buf, sizeof(buf), "sys/bus/pci/devices/%s/device", e) != 6 ||
		    parse_hex(buf + 2, 4, 0xffff, &dv) < 0)
			continue;
		nw = realloc(w, (n + 1) * sizeof(*w));
		if (!nw)
			break;
		w = nw;
		w[n].vendor = (uint16_t)v;
		w[n++].device = (uint16_t)dv;
	}
	sysfs_dir_close(&d);
	if (n && pciids_lookup(c->src, w, n) == 0) {
		for (size_t i = 0; i < n; i++) {
			char line[400];
			int k;

			if (!w[i].vendor_name[0])
				continue;
			/* One vendor line per device line keeps it simple and valid. */
			k = snprintf(line, sizeof(line), "%04x  %s\n\t%04x  %s\n", w[i].vendor,
				     w[i].vendor_name, w[i].device,
				     w[i].device_name[0] ? w[i].device_name : "Device");
			if (k <= 0)
				continue;
			if (used + (size_t)k + 1 > cap) {
				char *no = realloc(out, cap = (cap + (size_t)k) * 2);

				if (!no)
					break;
				out = no;
			}
			memcpy(out + used, line, (size_t)k);
			used += (size_t)k;
		}
		if (out)
			write_out(c, "usr/share/misc/pci.ids", out, used);
	}
	free(out);
	free(w);
}

/* Give the copy at @rel the modification time of the original. */
static void keep_mtime(struct cap *c, const char *rel)
{
	struct stat st;
	struct timespec ts[2];

	if (fstatat(c->src, rel, &st, 0) < 0)
		return;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (utimensat(c->dst, rel, ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT) {
		log_warn("%s: cannot set its time: %s", rel, strerror(errno));
		c->errors++;
	}
}

/* Files whose presence is all the report reads: an empty file or directory stands in. */
static void mark_present(struct cap *c, const char *rel, bool dir)
{
	struct stat st;
	int r = 0;

	if (fstatat(c->src, rel, &st, 0) < 0 || dir != !!S_ISDIR(st.st_mode))
		return;
	r = dir ? mkdirs(c, rel) : put_file(c, rel, "", 0);
	if (r < 0) {
		log_warn("%s: cannot write: %s", rel, strerror(-r));
		c->errors++;
	}
}

/*
 * The installed initramfs, found as the report finds it (report-gather.c:
 * boot/initrd.img-KVER, boot/initramfs-KVER.img, boot/initramfs-PKGBASE.img)
 * and listed with the same tools.  The copy is an uncompressed cpio of
 * empty files with the names the listing gave, with the original's time:
 * the report reads the same names and the same age from it, on a machine
 * without the tools too.  An image that cannot be listed here is copied as
 * a file that is not an archive, so that it cannot be listed there either.
 */
static const char *const tools_initramfs[] = { "/usr/bin/lsinitramfs", "/usr/sbin/lsinitramfs",
					       NULL };
static const char *const tools_initrd[] = { "/usr/bin/lsinitrd", "/usr/sbin/lsinitrd", NULL };
static const char *const tools_initcpio[] = { "/usr/bin/lsinitcpio", "/usr/sbin/lsinitcpio",
					      "/usr/bin/lsinitramfs", "/usr/sbin/lsinitramfs", NULL };

static void capture_image(struct cap *c, const char *rel, const char *const *tools,
			  const char *root)
{
	_cleanup_free_ char *list = NULL, *archive = NULL;
	char image[PATH_MAX];
	struct stat st;
	size_t len;
	int r;

	if (fstatat(c->src, rel, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return;
	for (size_t k = 0; tools[k] && !list; k++)
		if (access(tools[k], X_OK) == 0 &&
		    fits(c, xsnprintf(image, sizeof(image), "%s/%s", strcmp(root, "/") == 0 ? "" :
				      root, rel), image))
			list = list_image(tools[k], image);
	if (!list)
		list = list_cpio(c->src, rel);
	if (!list) {
		static const char unlisted[] = "vfio-early --capture: not listed\n";

		r = put_file(c, rel, unlisted, sizeof(unlisted) - 1);
	} else {
		archive = cpio_of_names(list, &len);
		r = archive ? put_file(c, rel, archive, len) : -ENOMEM;
	}
	if (r < 0) {
		log_warn("%s: cannot write its listing: %s", rel, strerror(-r));
		c->errors++;
		return;
	}
	keep_mtime(c, rel);
}

static void capture_initramfs(struct cap *c, const char *root)
{
	char kver[256], pkgbase[64] = "", rel[PATH_MAX];

	if (modload_kernel_release(c->src, kver, sizeof(kver)) < 0)
		return;
	if (fits(c, xsnprintf(rel, sizeof(rel), "boot/initrd.img-%s", kver), rel))
		capture_image(c, rel, tools_initramfs, root);
	if (fits(c, xsnprintf(rel, sizeof(rel), "boot/initramfs-%s.img", kver), rel))
		capture_image(c, rel, tools_initrd, root);
	for (int i = 0; i < 2 && !pkgbase[0]; i++) {
		if (!fits(c, xsnprintf(rel, sizeof(rel), "%slib/modules/%s/pkgbase", i ? "usr/" : "",
				       kver), rel) ||
		    read_attr(c->src, rel, pkgbase, sizeof(pkgbase)) <= 0)
			pkgbase[0] = '\0';
	}
	if (pkgbase[0] && !strchr(pkgbase, '/') && strcmp(pkgbase, ".") != 0 &&
	    strcmp(pkgbase, "..") != 0 &&
	    fits(c, xsnprintf(rel, sizeof(rel), "boot/initramfs-%s.img", pkgbase), rel))
		capture_image(c, rel, tools_initcpio, root);
	/* Whether the config changed after the image was built. */
	keep_mtime(c, "etc/vfio-early.conf");
}

/*
 * The capture's directory, made or empty: a capture is never mixed into a
 * tree that holds something else.  Its fd, or -1 (logged).
 */
static int open_dest(const char *dest)
{
	struct sysfs_dir d = SYSFS_DIR_INIT;
	int fd;
	bool empty;

	if (mkdir(dest, 0755) < 0 && errno != EEXIST) {
		log_err("%s: %s", dest, strerror(errno));
		return -1;
	}
	fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_err("%s: %s", dest, strerror(errno));
		return -1;
	}
	if (sysfs_opendir(&d, fd, ".") < 0)
		return fd;
	empty = !sysfs_dir_next(&d) && d.skipped == 0;
	sysfs_dir_close(&d);
	if (!empty) {
		log_err("%s: not empty; capture into a new directory", dest);
		close(fd);
		return -1;
	}
	return fd;
}

int capture_run(const struct mode_ctx *mc, const char *dest)
{
	static const char *const files[] = {
		"proc/cmdline", "proc/sys/kernel/osrelease", "proc/iomem",
		"etc/vfio-early.conf", "etc/modules", "etc/kernel/cmdline",
		/* what --report names: the Proxmox node, the boot loader */
		"etc/hostname", "etc/default/grub", "etc/kernel/proxmox-boot-uuids",
		"etc/kernelstub/configuration",
		"lib/vfio-early/protected", "run/vfio-early/state",
		/* the management network: routes, addresses, the host's name */
		"proc/net/route", "proc/net/ipv6_route", "proc/net/fib_trie",
		"proc/sys/kernel/hostname", "etc/hosts",
		/* what the host needs to boot, and whether the protected list is this machine's */
		"etc/fstab", "etc/crypttab", "proc/swaps", "sys/class/dmi/id/product_uuid",
		/* the late pass and the runs by hand since the boot */
		"run/vfio-early/late", "run/vfio-early/manual",
		/* the module lists the old recipe may have lines in */
		"etc/initramfs-tools/modules",
	};
	/* Read for their presence only: the IOMMU hint, the boot loader, loaded modules. */
	static const char *const present[] = {
		"sys/firmware/acpi/tables/DMAR", "sys/firmware/acpi/tables/IVRS",
		"usr/sbin/update-grub", "usr/sbin/grub2-mkconfig", "usr/sbin/grubby", "sbin/grubby",
	};
	static const char *const present_dirs[] = {
		"boot/loader/entries", "sys/module/vfio_pci", "sys/module/vfio",
		"sys/module/vfio_iommu_type1",
	};
	struct cap c = { .src = mc->rootfd };

	c.dst = open_dest(dest);
	if (c.dst < 0)
		return 1;

	capture_pci(&c);
	capture_iommu_units(&c);
	capture_block(&c);
	capture_net(&c);
	mkdirs(&c, "dev");
	write_out(&c, "dev/kmsg", "", 0);
	capture_dev_links(&c, "dev/mapper");
	capture_dev_links(&c, "dev/disk/by-uuid");
	capture_dev_links(&c, "dev/disk/by-label");
	capture_dev_links(&c, "dev/disk/by-partuuid");
	capture_dev_links(&c, "dev/disk/by-partlabel");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		copy_file(&c, files[i]);
	for (size_t i = 0; i < ARRAY_SIZE(present); i++)
		mark_present(&c, present[i], false);
	for (size_t i = 0; i < ARRAY_SIZE(present_dirs); i++)
		mark_present(&c, present_dirs[i], true);
	for (size_t i = 0; i < ARRAY_SIZE(modprobe_dirs); i++)
		capture_dir_files(&c, modprobe_dirs[i], ".conf");
	capture_dir_files(&c, "etc/modules-load.d", ".conf");
	capture_dir_files(&c, "etc/dracut.conf.d", ".conf");
	capture_mountinfo(&c);
	capture_cpu_vendor(&c);
	capture_modules(&c);
	capture_names(&c);
	capture_initramfs(&c, mc->root);
	mkdirs(&c, "run");
	close(c.dst);
	fprintf(stderr, "vfio-early: captured %u file%s into %s%s\n", c.files, plural(c.files), dest,
		c.errors ? " (some could not be copied, see above)" : "");
	return c.errors ? 2 : 0;
}
