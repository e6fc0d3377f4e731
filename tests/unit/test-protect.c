// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The early pass's verification of the protected list (protect_load_list)
 * on the h97-nvme fixtures.  The mount-table parsers are in test-mounts.c.
 */
#include "unit.h"
#include <errno.h>
#include <sys/stat.h>

/* This file uses the fixture's tree helpers, not its planning ones. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fixture.h"
#include "protect-block.h"

/* The list recorded on h97-nvme.spec: the root NVMe at 01:00.0. */
#define H97_UUID "4c4c4544-0048-3910-8051-b4c04f383732"
#define H97_HEAD "vfio-early-protected 3\nmachine " H97_UUID "\nstatus complete\n"
#define H97_ROOT "device addr=0000:01:00.0 path=0000:00:1c.0/00.0 ids=144d:a808 sub=144d:a801 " \
		 "class=010802 why=holds the root filesystem (mounted /)\n"

/* Boot @spec (plus @extra) with @list as the image's list and load it. */
static int load(struct fx *f, const char *spec, const char *extra, const char *list)
{
	if (fx_make(f, spec, extra) < 0 || fx_write_list(f, list) < 0)
		return -1;
	if (pci_scan(&f->t, f->rootfd) < 0)
		return -1;
	protect_load_list(&f->prot, &f->t, f->rootfd);
	return 0;
}

static bool protected_at(const struct fx *f, const char *addr)
{
	struct pci_addr a;

	return parse_sysfs_name(addr, &a) == 0 && protect_find(&f->prot, &a) != NULL;
}

TEST(list_verified_on_its_machine)
{
	struct fx f;

	if (load(&f, "h97-nvme", NULL, H97_HEAD H97_ROOT "end devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(f.prot.verified);
	CHECK_STR(f.prot.machine, H97_UUID);
	CHECK_INT(f.prot.n, 1);
	CHECK(protected_at(&f, "0000:01:00.0"));
	CHECK(!protected_at(&f, "0000:02:00.0"));
	fx_free(&f);
}

TEST(list_renumbered_entry_followed)
{
	struct fx f;

	/* A GPU added: the root NVMe is at 02:00.0 now, behind the same root port. */
	if (load(&f, "h97-nvme-gpu", NULL, H97_HEAD H97_ROOT "end devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(f.prot.verified);
	CHECK(protected_at(&f, "0000:02:00.0"));
	CHECK(!protected_at(&f, "0000:01:00.0"));
	CHECK_LOG("0000:01:00.0 moved to 0000:02:00.0 since the image was built");
	fx_free(&f);
}

TEST(list_ids_mismatch_unverified)
{
	struct fx f;

	if (load(&f, "h97-nvme", NULL, H97_HEAD
		 "device addr=0000:01:00.0 path=0000:00:1c.0/00.0 ids=1987:5018 sub=1987:5018 "
		 "class=010802 why=holds /\nend devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "holds 144d:a808 class 010802 now, the list recorded "
		     "1987:5018") != NULL);
	CHECK(!protected_at(&f, "0000:01:00.0"));
	fx_free(&f);
}

TEST(list_entry_gone_unverified)
{
	struct fx f;

	if (load(&f, "h97-nvme", NULL, H97_HEAD
		 "device addr=0000:05:00.0 path=0000:00:1c.6/00.0 ids=144d:a808 sub=144d:a801 "
		 "class=010802 why=holds /\nend devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "is not there any more") != NULL);
	fx_free(&f);
}

TEST(list_truncated_unverified)
{
	struct fx f;

	if (load(&f, "h97-nvme", NULL, H97_HEAD H97_ROOT) < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "truncated") != NULL);
	fx_free(&f);

	/* An end line that counts more devices than there are. */
	if (load(&f, "h97-nvme", NULL, H97_HEAD H97_ROOT "end devices=2 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "lists 1 device and 0 carriers, its end line says 2 and 0") != NULL);
	fx_free(&f);
}

/* Format 3: need=management, carriers, and why= text that looks like keys. */
TEST(list_management_and_carriers)
{
	struct fx f;
	const struct protected_dev *d;
	struct pci_addr a;

	if (load(&f, "h97-nvme", NULL, H97_HEAD
		 "device addr=0000:01:00.0 path=0000:00:1c.0/00.0 ids=144d:a808 sub=144d:a801 "
		 "class=010802 why=holds /srv need=x path=y (ext4, fstab line 3)\n"
		 "device addr=0000:00:1f.2 path=0000:00:1f.2 ids=8086:8c82 sub=1849:8c82 "
		 "class=010601 need=management why=carries the host's management network "
		 "(vmbr0 10.0.0.20, default route, port enp1s0)\n"
		 "carrier addr=0000:02:00.0 path=0000:00:1c.4/00.0 ids=144d:a808 sub=144d:a801 "
		 "class=010802 why=held nvme1n1\n"
		 "end devices=2 carriers=1\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(f.prot.verified);
	CHECK_INT(f.prot.n, 2);
	if (parse_sysfs_name("0000:01:00.0", &a) == 0 && (d = protect_find(&f.prot, &a))) {
		CHECK(!d->mgmt);
		CHECK_STR(d->why, "holds /srv need=x path=y (ext4, fstab line 3)");
	} else {
		CHECK(!"01:00.0 protected");
	}
	if (parse_sysfs_name("0000:00:1f.2", &a) == 0 && (d = protect_find(&f.prot, &a)))
		CHECK(d->mgmt);
	else
		CHECK(!"00:1f.2 protected");
	CHECK_INT(f.prot.ncarriers, 1);
	CHECK(!protected_at(&f, "0000:02:00.0"));
	fx_free(&f);

	/* need= takes one value; a carrier line counts in the end line. */
	if (load(&f, "h97-nvme", NULL, H97_HEAD
		 "device addr=0000:01:00.0 path=0000:00:1c.0/00.0 ids=144d:a808 sub=144d:a801 "
		 "class=010802 need=boot why=holds /\nend devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "need= is management or absent") != NULL);
	fx_free(&f);
	if (load(&f, "h97-nvme", NULL, H97_HEAD H97_ROOT "end devices=1\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	fx_free(&f);
}

TEST(list_foreign_machine_unverified)
{
	struct fx f;

	if (load(&f, "h97-nvme", "dmi 2f9e8d7c-6b5a-4938-8271-605f4e3d2c1b",
		 H97_HEAD H97_ROOT "end devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.prot.verified);
	CHECK(strstr(f.prot.unverified, "recorded on another machine") != NULL);
	fx_free(&f);

	/* Upper case in the list, lower case in sysfs: the same machine. */
	if (load(&f, "h97-nvme", NULL, "vfio-early-protected 3\nmachine 4C4C4544-0048-3910-"
		 "8051-B4C04F383732\nstatus complete\n" H97_ROOT "end devices=1 carriers=0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(f.prot.verified);
	fx_free(&f);
}

TEST(list_incomplete_comment_only_old_format_unverified)
{
	static const struct {
		const char *list, *why;
	} cases[] = {
		{ "vfio-early-protected 3\nmachine " H97_UUID "\nstatus incomplete\n" H97_ROOT
		  "missing /home (zfs on tank/home): ZFS pool tank: no vdev list\nend devices=1 carriers=0\n",
		  "no controller for /home" },
		{ "# nothing here\n\n# at all\n", "comments only" },
		{ "0000:01:00.0\n", "old format" },
		{ "vfio-early-protected 4\nmachine none\n", "has format 4" },
		/* The list of a vfio-early before carriers and need=management. */
		{ "vfio-early-protected 2\nmachine " H97_UUID "\nstatus complete\n" H97_ROOT
		  "end devices=1\n", "has format 2, this vfio-early reads 3" },
		{ "vfio-early-protected 3\nstatus complete\n" H97_ROOT "end devices=1 carriers=0\n",
		  "names no machine" },
		{ "vfio-early-protected 3\nmachine none\nstatus complete\nend devices=0 carriers=0\n",
		  "lists no device" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fx f;

		if (load(&f, "h97-nvme", NULL, cases[i].list) < 0)
			return (void)(unit_failed = 1);
		if (f.prot.verified || !strstr(f.prot.unverified, cases[i].why)) {
			printf("#   case %zu: verified=%d, \"%s\", expected \"%s\"\n", i,
			       f.prot.verified, f.prot.unverified, cases[i].why);
			unit_failed = 1;
		}
		fx_free(&f);
	}
}

/* Names from fstab, crypttab and the command line become one component or nothing. */
TEST(block_names_and_specs_refuse_paths)
{
	static const char *const bad_names[] = { "", ".", "..", "../sda", "sda/holders", "sd a" };
	static const char *const bad_specs[] = {
		"UUID=../../sys/class/block/sda", "LABEL=a/b", "PARTUUID=..", "/dev/../etc/passwd",
		"/dev//sda", "/etc/passwd", "nvme0n1",
	};
	char name[64];

	CHECK(block_name_ok("nvme0n1p2"));
	CHECK(block_name_ok("dm-0"));
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++)
		CHECK(!block_name_ok(bad_names[i]));
	CHECK(block_dev_path_ok("/dev/disk/by-uuid/3A1F-9C2E"));
	/* Under a test root nothing is there: each fails before a lookup. */
	for (size_t i = 0; i < ARRAY_SIZE(bad_specs); i++)
		CHECK_INT(block_spec_to_name(-1, false, bad_specs[i], name, sizeof(name)), -EINVAL);
	CHECK(block_partition_disk("../../devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1/"
				   "nvme0n1p2", name, sizeof(name)));
	CHECK_STR(name, "nvme0n1");
	CHECK(!block_partition_disk("nvme0n1p2", name, sizeof(name)));
}
