/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_SYSFS_H
#define VFIO_EARLY_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pci_tree;
struct pci_dev;

/*
 * Read a small sysfs attribute relative to @dirfd into @buf, NUL-terminated,
 * trailing newlines removed.  One open, one read, one close.  Returns the
 * length, or a negative errno: -EOVERFLOW when the content fills the buffer
 * (every attribute we read is far shorter), -EILSEQ when it holds a NUL byte.
 */
ssize_t read_attr(int dirfd, const char *path, char *buf, size_t size);

/*
 * Write @s to an existing file relative to @dirfd (never creates one).
 * @append selects O_APPEND (bus files such as drivers_probe) instead of
 * O_TRUNC (attributes such as driver_override).  A short write is -EIO.
 */
int write_attr(int dirfd, const char *path, const char *s, bool append);

/* readlinkat() into @buf, NUL-terminated; -ENAMETOOLONG when truncated. */
ssize_t read_link(int dirfd, const char *path, char *buf, size_t size);

/*
 * One attribute of one PCI device: DEVICE/ATTR below the tree's
 * sys/bus/pci/devices.  The device's name must be a PCI address as the
 * kernel prints it, and @attr one plain sysfs name (letters, digits, '_',
 * at most SYSFS_ATTR_MAX characters) or one of the fixed sub-paths the
 * binding needs ("driver/unbind").  Anything else is a bug in the caller:
 * it is logged and refused with -EINVAL, and no path is built from it.
 */
#define SYSFS_ATTR_MAX 32

/* read_attr() of the attribute; its results, or -EINVAL for a refused name. */
ssize_t pci_attr_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size);

/* write_attr() of the attribute; its results, or -EINVAL for a refused name. */
int pci_attr_write(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		   const char *s, bool append);

/*
 * read_link() of the attribute (driver, iommu_group...); NULL or "" reads
 * the device's own link in sys/bus/pci/devices.
 */
ssize_t pci_link_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size);

/* Whether the attribute is there (a link is not followed); false when refused. */
bool pci_attr_exists(const struct pci_tree *t, const struct pci_dev *d, const char *attr);

#endif
