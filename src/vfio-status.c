// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The group's own answer: /dev/vfio/N opened read-write (only one opener
 * at a time, so EBUSY means a VM holds it) and VFIO_GROUP_GET_STATUS.
 * The file is closed again at once; nothing is attached to a container.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio-status.h"

enum vfio_check vfio_group_check(int vfiofd, int group, int *err)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char name[16];
	int fd, r;

	*err = 0;
	if (group < 0 || vfiofd < 0)
		return VFIO_UNCHECKED;
	snprintf(name, sizeof(name), "%d", group);
	fd = openat(vfiofd, name, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err = errno;
		return errno == EBUSY ? VFIO_BUSY : errno == ENOENT ? VFIO_NO_NODE : VFIO_FAILED;
	}
	r = ioctl(fd, VFIO_GROUP_GET_STATUS, &st);
	if (r < 0)
		*err = errno;
	close(fd);
	if (r < 0)
		return VFIO_FAILED;
	return st.flags & VFIO_GROUP_FLAGS_VIABLE ? VFIO_VIABLE : VFIO_NOT_VIABLE;
}

int vfio_cdev_check(int vfiofd, const char *name)
{
	char path[64];
	int fd;

	/* The name comes from sysfs: vfio<digits>, nothing else. */
	if (strncmp(name, "vfio", 4) != 0 || !name[4] || strspn(name + 4, "0123456789") !=
	    strlen(name + 4) || strlen(name) > 32)
		return -EINVAL;
	snprintf(path, sizeof(path), "devices/%s", name);
	fd = openat(vfiofd, path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
