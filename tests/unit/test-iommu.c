// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host's IOMMU vendor (iommu.c): the kernel's units first, then the
 * firmware's ACPI table, then the CPU; each answer kept for its users.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "unit.h"
#include "fixture.h"
#include "iommu.h"

static const char *name(enum iommu_vendor v)
{
	return v == IOMMU_INTEL ? "intel" : v == IOMMU_AMD ? "amd" : "none";
}

static void check(const char *extra, enum iommu_vendor vendor, enum iommu_vendor units,
		  enum iommu_vendor firmware, enum iommu_vendor cpu)
{
	struct iommu_host h;
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", extra) == 0);
	iommu_detect(f.rootfd, &h);
	CHECK_STR(name(h.vendor), name(vendor));
	CHECK_STR(name(h.units), name(units));
	CHECK_STR(name(h.firmware), name(firmware));
	CHECK_STR(name(h.cpu), name(cpu));
	fx_free(&f);
}

TEST(intel_host_with_vtd_on)
{
	check("cpu intel\niommu on\n", IOMMU_INTEL, IOMMU_INTEL, IOMMU_INTEL, IOMMU_INTEL);
}

TEST(amd_host_with_amdvi_on)
{
	check("cpu amd\niommu on\n", IOMMU_AMD, IOMMU_AMD, IOMMU_AMD, IOMMU_AMD);
}

TEST(firmware_enabled_kernel_off)
{
	check("cpu intel\niommu off\n", IOMMU_INTEL, IOMMU_NONE, IOMMU_INTEL, IOMMU_INTEL);
}

TEST(firmware_off_the_cpu_says)
{
	check("cpu amd\niommu off\nfirmware-iommu off\n", IOMMU_AMD, IOMMU_NONE, IOMMU_NONE,
	      IOMMU_AMD);
}

TEST(nothing_says)
{
	struct iommu_host h;
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", "iommu off\nfirmware-iommu off\n") == 0);
	CHECK(unlinkat(f.rootfd, "proc/cpuinfo", 0) == 0);
	iommu_detect(f.rootfd, &h);
	CHECK_INT(h.vendor, IOMMU_NONE);
	CHECK_INT(h.cpu, IOMMU_NONE);
	fx_free(&f);
}
