/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Proof that a VM can take a group: open /dev/vfio/N and ask the kernel
 * (VFIO_GROUP_GET_STATUS), as QEMU does before it starts.
 */
#ifndef VFIO_EARLY_VFIO_STATUS_H
#define VFIO_EARLY_VFIO_STATUS_H

#include <stdbool.h>
#include <stddef.h>

enum vfio_check {
	VFIO_UNCHECKED,		/* under --root: no device nodes to open */
	VFIO_VIABLE,		/* opened, and the kernel says viable */
	VFIO_NOT_VIABLE,	/* opened, but a member is on a host driver */
	VFIO_BUSY,		/* EBUSY: a VM (or another program) holds it */
	VFIO_NO_NODE,		/* ENOENT: vfio-pci has none of the group yet */
	VFIO_FAILED,		/* another errno */
};

/*
 * Open @vfiofd/@group (a directory fd of /dev/vfio) and read its status.
 * *err is the errno of a failed open or ioctl.
 */
enum vfio_check vfio_group_check(int vfiofd, int group, int *err);

/* Open @vfiofd/devices/@name (the vfio cdev, "vfio3"): 0 or a negative errno. */
int vfio_cdev_check(int vfiofd, const char *name);

#endif
