// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host's IOMMU vendor.  The kernel names its units after the hardware
 * (dmar0 for VT-d, ivhd0 for AMD-Vi); the firmware describes an IOMMU it
 * enabled in an ACPI table (DMAR, IVRS); failing both, the CPU's vendor
 * tells which one the machine would have.
 */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "iommu.h"
#include "sysfs.h"

static enum iommu_vendor units_vendor(int rootfd)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	enum iommu_vendor v = IOMMU_NONE;
	const char *e;

	if (sysfs_opendir(&dir, rootfd, "sys/class/iommu") < 0)
		return IOMMU_NONE;
	while (v == IOMMU_NONE && (e = sysfs_dir_next(&dir)))
		v = strncmp(e, "dmar", 4) == 0 ? IOMMU_INTEL :
		    strncmp(e, "ivhd", 4) == 0 ? IOMMU_AMD : IOMMU_NONE;
	return v;
}

static enum iommu_vendor firmware_vendor(int rootfd)
{
	if (faccessat(rootfd, "sys/firmware/acpi/tables/DMAR", F_OK, 0) == 0)
		return IOMMU_INTEL;
	if (faccessat(rootfd, "sys/firmware/acpi/tables/IVRS", F_OK, 0) == 0)
		return IOMMU_AMD;
	return IOMMU_NONE;
}

/* The first processor's vendor_id is near the start of the file. */
static enum iommu_vendor cpu_vendor(int rootfd)
{
	char buf[4096];
	ssize_t n = -1;
	int fd = openat(rootfd, "proc/cpuinfo", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n <= 0)
		return IOMMU_NONE;
	buf[n] = '\0';
	if (strstr(buf, "AuthenticAMD") || strstr(buf, "HygonGenuine"))
		return IOMMU_AMD;
	if (strstr(buf, "GenuineIntel"))
		return IOMMU_INTEL;
	return IOMMU_NONE;
}

void iommu_detect(int rootfd, struct iommu_host *h)
{
	h->units = units_vendor(rootfd);
	h->firmware = firmware_vendor(rootfd);
	h->cpu = cpu_vendor(rootfd);
	h->vendor = h->units != IOMMU_NONE ? h->units :
		    h->firmware != IOMMU_NONE ? h->firmware : h->cpu;
}
