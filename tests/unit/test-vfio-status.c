// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-status.c: the /dev/vfio check's answers that need no kernel: no
 * directory, no node, a node that is not a VFIO group, a cdev name that is
 * not one.  The viable answer is asserted by the boot suite, in a guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* No string checks here: unit.h's CHECK_STR helper stays unused. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "unit.h"
#include "vfio-status.h"

TEST(group_check_without_a_node)
{
	char dir[] = "/tmp/vfio-early-vfio.XXXXXX";
	int fd, err;

	CHECK_INT(vfio_group_check(-1, 14, &err), VFIO_UNCHECKED);
	CHECK(mkdtemp(dir) != NULL);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(vfio_group_check(fd, 14, &err), VFIO_NO_NODE);
	CHECK_INT(err, ENOENT);
	/* A plain file: opened, but the ioctl is refused. */
	close(openat(fd, "14", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	CHECK_INT(vfio_group_check(fd, 14, &err), VFIO_FAILED);
	CHECK_INT(err, ENOTTY);
	unlinkat(fd, "14", 0);
	close(fd);
	CHECK_INT(rmdir(dir), 0);
}

TEST(cdev_names_are_checked_before_use)
{
	CHECK_INT(vfio_cdev_check(AT_FDCWD, "../../etc/passwd"), -EINVAL);
	CHECK_INT(vfio_cdev_check(AT_FDCWD, "vfio"), -EINVAL);
	CHECK_INT(vfio_cdev_check(AT_FDCWD, "vfio3x"), -EINVAL);
	CHECK_INT(vfio_cdev_check(AT_FDCWD, "vfio999999"), -ENOENT);
}
