// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block devices by name: the names sysfs gives them, a source as fstab,
 * crypttab and the command line write it (MAJ:MIN, UUID=, LABEL=,
 * PARTUUID=, PARTLABEL=, /dev/...) down to that name, a partition's disk,
 * and the controllers of an NVMe subsystem.  What the resolver and the use
 * checks climb through.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "protect-block.h"
#include "sysfs.h"
#include "util.h"

/* A block device name as sysfs spells it: no '/', no dots only. */
bool block_name_ok(const char *s)
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
bool block_dev_path_ok(const char *s)
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
	{ "UUID=", "dev/disk/by-uuid/%s" },
	{ "LABEL=", "dev/disk/by-label/%s" },
	{ "PARTUUID=", "dev/disk/by-partuuid/%s" },
	{ "PARTLABEL=", "dev/disk/by-partlabel/%s" },
};

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
	return block_name_ok(buf);
}

int nvme_subsystem_each(int rootfd, const char *link,
			bool (*fn)(const char *ctrl_link, void *arg), void *arg)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	char subsys[64], target[1024];
	const char *name;
	int n = 0, r;

	if (!link_component_after(link, "/nvme-subsystem/", subsys, sizeof(subsys)))
		return -ENOENT;
	r = sysfs_opendirf(&dir, rootfd, "sys/class/nvme-subsystem/%s", subsys);
	if (r < 0)
		return r;
	while ((name = sysfs_dir_next(&dir))) {
		unsigned long num;

		if (strncmp(name, "nvme", 4) != 0 ||
		    parse_dec(name + 4, strlen(name + 4), 65535, &num) < 0 ||
		    sysfs_readlinkf(rootfd, target, sizeof(target), "sys/class/nvme-subsystem/%s/%s",
				    subsys, name) < 0)
			continue;
		n++;
		if (fn(target, arg))
			break;
	}
	return n;
}

/* The disk a partition belongs to: the directory above it in its link. */
bool block_partition_disk(const char *link, char *buf, size_t size)
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
	return block_name_ok(buf);
}

/* The sys/class/block name of a device number. */
int block_devno_name(int rootfd, unsigned long maj, unsigned long min, char *buf, size_t size)
{
	char link[512];
	const char *base;

	if (sysfs_readlinkf(rootfd, link, sizeof(link), "sys/dev/block/%lu:%lu", maj, min) < 0)
		return -ENOENT;
	base = path_basename(link);
	if (!block_name_ok(base) || strlen(base) >= size)
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
int block_spec_to_name(int rootfd, bool live, const char *spec, char *name, size_t size)
{
	char devpath[256], link[256];
	unsigned long maj, min;
	const char *colon = strchr(spec, ':'), *base;

	if (colon && parse_dec(spec, (size_t)(colon - spec), 4095, &maj) == 0 &&
	    parse_dec(colon + 1, strlen(colon + 1), 1048575, &min) == 0)
		return block_devno_name(rootfd, maj, min, name, size);
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
			ret = block_devno_name(rootfd, major(st.st_rdev), minor(st.st_rdev), name, size);
		free(dev);
		return ret;
	}
	devpath[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(tag_dirs); i++) {
		size_t tl = strlen(tag_dirs[i][0]);

		if (strncmp(spec, tag_dirs[i][0], tl) != 0)
			continue;
		if (!block_name_ok(spec + tl) ||
		    sysfs_pathf(devpath, sizeof(devpath), tag_dirs[i][1], spec + tl) < 0)
			return -EINVAL;
	}
	if (!devpath[0]) {
		/* A /dev path as written, checked whole: relative to the root. */
		if (!block_dev_path_ok(spec))
			return -EINVAL;
		snprintf(devpath, sizeof(devpath), "%s", spec + 1);
	}
	base = path_basename(devpath);
	if (read_link(rootfd, devpath, link, sizeof(link)) >= 0)
		base = path_basename(link);
	if (!block_name_ok(base) || strlen(base) >= size)
		return -EINVAL;
	memcpy(name, base, strlen(base) + 1);
	return 0;
}
