// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The group's own answer: /dev/vfio/N opened read-write (only one opener
 * at a time, so EBUSY means a VM holds it) and VFIO_GROUP_GET_STATUS.
 * The file is closed again at once; nothing is attached to a container.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sysfs.h"
#include "vfio-status.h"

/*
 * The one vfio call this needs, as the kernel's UAPI defines it
 * (include/uapi/linux/vfio.h).  The static build's musl has no kernel
 * headers; where they are at hand, the build checks these against them.
 */
struct group_status {
	uint32_t argsz;
	uint32_t flags;
};
#define GROUP_GET_STATUS _IO(';', 100 + 3)
#define GROUP_FLAGS_VIABLE (1u << 0)

#if __has_include(<linux/vfio.h>)
#include <linux/vfio.h>
_Static_assert(GROUP_GET_STATUS == VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS");
_Static_assert(GROUP_FLAGS_VIABLE == VFIO_GROUP_FLAGS_VIABLE, "VFIO_GROUP_FLAGS_VIABLE");
_Static_assert(sizeof(struct group_status) == sizeof(struct vfio_group_status),
	       "struct vfio_group_status");
#endif

enum vfio_check vfio_group_check(int vfiofd, int group, int *err)
{
	struct group_status st = { .argsz = sizeof(st) };
	int fd, r;

	*err = 0;
	if (group < 0 || vfiofd < 0)
		return VFIO_UNCHECKED;
	fd = sysfs_openf(vfiofd, O_RDWR | O_NOCTTY, "%d", group);
	if (fd < 0) {
		*err = -fd;
		return fd == -EBUSY ? VFIO_BUSY : fd == -ENOENT ? VFIO_NO_NODE : VFIO_FAILED;
	}
	r = ioctl(fd, GROUP_GET_STATUS, &st);
	if (r < 0)
		*err = errno;
	close(fd);
	if (r < 0)
		return VFIO_FAILED;
	return st.flags & GROUP_FLAGS_VIABLE ? VFIO_VIABLE : VFIO_NOT_VIABLE;
}

int vfio_cdev_check(int vfiofd, const char *name)
{
	int fd;

	/* The name comes from sysfs: vfio<digits>, nothing else. */
	if (strncmp(name, "vfio", 4) != 0 || !name[4] || strspn(name + 4, "0123456789") !=
	    strlen(name + 4) || strlen(name) > 32)
		return -EINVAL;
	fd = sysfs_openf(vfiofd, O_RDWR | O_NOCTTY, "devices/%s", name);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}
