/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PROTECT_BLOCK_H
#define VFIO_EARLY_PROTECT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* A block device name as sysfs spells it (sda1, dm-0, nvme0n1p2, md127). */
bool block_name_ok(const char *s);

/* A /dev path that is safe to resolve under a test root: no "..", no "//". */
bool block_dev_path_ok(const char *s);

/* The disk a partition belongs to: the directory above it in its sysfs link. */
bool block_partition_disk(const char *link, char *buf, size_t size);

/* The sys/class/block name of a device number: 0, -ENOENT or -EINVAL. */
int block_devno_name(int rootfd, unsigned long maj, unsigned long min, char *buf, size_t size);

/*
 * A source as fstab, crypttab and the command line write it (MAJ:MIN,
 * UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/...) to its block device's
 * name: libblkid when @live, else the links udev would make under the root.
 */
int block_spec_to_name(int rootfd, bool live, const char *spec, char *name, size_t size);

/*
 * NVMe native multipath: call @fn with the sysfs link of each controller of
 * the subsystem that the block device @link lives in, until it returns true.
 * The number of controllers seen, -ENOENT when @link is not in a subsystem,
 * or another negative errno when the subsystem cannot be read.
 */
int nvme_subsystem_each(int rootfd, const char *link,
			bool (*fn)(const char *ctrl_link, void *arg), void *arg);

#endif
