// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bounded access to sysfs: attributes and links relative to a directory
 * descriptor, and the attributes of one PCI device by name.  Every device
 * path is built here, from a device name the walk validated and an
 * attribute name the caller spells as a constant; both are checked again
 * before a path is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pci.h"
#include "sysfs.h"
#include "util.h"

ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n == size - 1)
		return -EOVERFLOW;
	if (memchr(buf, '\0', (size_t)n))
		return -EILSEQ;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return n;
}

ssize_t read_link(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, path, buf, size);

	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

int write_attr(int dirfd, const char *path, const char *s, bool append)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		    (append ? O_APPEND : O_TRUNC);
	size_t len = strlen(s);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, path, flags);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, s, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	/* sysfs reports some store() errors only at close. */
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

/* Room for DEVICE/ATTR and the NUL. */
#define DEV_PATH_LEN (PCI_ADDR_STRLEN + 1 + SYSFS_ATTR_MAX + 1)

/* The paths below a device that are more than one name, all of them. */
static const char *const sub_paths[] = {
	"driver/unbind",	/* the bound driver's unbind file */
};

static bool plain_name(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static bool valid_attr(const char *attr)
{
	size_t len = strnlen(attr, SYSFS_ATTR_MAX + 1);

	if (len == 0 || len > SYSFS_ATTR_MAX)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(sub_paths); i++)
		if (strcmp(attr, sub_paths[i]) == 0)
			return true;
	return plain_name(attr);
}

/*
 * DEVICE/ATTR, or DEVICE alone for a NULL or empty @attr when @bare, into
 * @path.  0, or -EINVAL (logged) when the name or the attribute is refused.
 * memcpy, not printf: the walk calls this once per device.
 */
static int dev_path(const struct pci_dev *d, const char *attr, bool bare,
		    char path[DEV_PATH_LEN])
{
	struct pci_addr a;
	size_t nlen, alen;

	if (parse_sysfs_name(d->name, &a) < 0) {
		log_err("\"%.*s\": not a PCI device name, no sysfs path built",
			PCI_ADDR_STRLEN - 1, d->name);
		return -EINVAL;
	}
	nlen = strlen(d->name);
	memcpy(path, d->name, nlen + 1);
	if (bare && (!attr || !*attr))
		return 0;
	if (!attr || !valid_attr(attr)) {
		log_err("%s: attribute \"%.*s\" refused: not a sysfs attribute name", d->name,
			SYSFS_ATTR_MAX, attr ? attr : "(null)");
		return -EINVAL;
	}
	alen = strlen(attr);
	path[nlen] = '/';
	memcpy(path + nlen + 1, attr, alen + 1);
	return 0;
}

ssize_t pci_attr_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, false, path);

	return r < 0 ? r : read_attr(t->devfd, path, buf, size);
}

int pci_attr_write(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		   const char *s, bool append)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, false, path);

	return r < 0 ? r : write_attr(t->devfd, path, s, append);
}

ssize_t pci_link_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, true, path);

	return r < 0 ? r : read_link(t->devfd, path, buf, size);
}

bool pci_attr_exists(const struct pci_tree *t, const struct pci_dev *d, const char *attr)
{
	char path[DEV_PATH_LEN];

	return dev_path(d, attr, false, path) == 0 &&
	       faccessat(t->devfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}
