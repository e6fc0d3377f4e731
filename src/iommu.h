/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_IOMMU_H
#define VFIO_EARLY_IOMMU_H

/*
 * Which IOMMU the host has, Intel VT-d or AMD-Vi, from what the machine
 * under the root shows: the kernel's IOMMU units, the firmware's ACPI
 * table, the CPU's vendor.  The planner's hint, --report and --import ask
 * here.
 */

enum iommu_vendor {
	IOMMU_NONE,		/* nothing says */
	IOMMU_INTEL,
	IOMMU_AMD,
};

struct iommu_host {
	enum iommu_vendor vendor;	/* the units', else the firmware's, else the CPU's */
	enum iommu_vendor units;	/* sys/class/iommu: dmar* or ivhd* (the IOMMU is on) */
	enum iommu_vendor firmware;	/* ACPI DMAR or IVRS table (the firmware enabled it) */
	enum iommu_vendor cpu;		/* proc/cpuinfo's vendor_id (Hygon is AMD) */
};

void iommu_detect(int rootfd, struct iommu_host *h);

#endif
