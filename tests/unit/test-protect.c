// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mount-table parsers (mounts.c) and the early pass's verification of
 * the protected list (protect_load_list) on the h97-nvme fixtures.
 */
#include "unit.h"
#include <errno.h>
#include <sys/stat.h>

/* This file uses the fixture's tree helpers, not its planning ones. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fixture.h"
#include "mounts.h"

TEST(mountinfo_plain_line)
{
	char l[] = "29 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro";
	struct mountinfo_entry m;

	CHECK_INT(mountinfo_parse_line(l, &m), 0);
	CHECK_INT(m.major, 259);
	CHECK_INT(m.minor, 2);
	CHECK_STR(m.root, "/");
	CHECK_STR(m.target, "/");
	CHECK_STR(m.fstype, "ext4");
	CHECK_STR(m.source, "/dev/nvme0n1p2");
}

TEST(mountinfo_escapes_and_optional_fields)
{
	/* Several optional fields, none at all, and \040 / \011 / \134 escapes. */
	char a[] = "36 35 8:1 /vm\\040images /srv/vm\\040images rw,noatime shared:7 master:2 "
		   "propagate_from:1 unbindable - ext4 /dev/sda1 rw";
	char b[] = "40 29 0:44 / /mnt/back\\134slash rw - nfs4 nas:/export\\011tab rw,vers=4.2";
	struct mountinfo_entry m;

	CHECK_INT(mountinfo_parse_line(a, &m), 0);
	CHECK_STR(m.root, "/vm images");
	CHECK_STR(m.target, "/srv/vm images");
	CHECK_STR(m.fstype, "ext4");
	CHECK_STR(m.source, "/dev/sda1");
	CHECK_INT(mountinfo_parse_line(b, &m), 0);
	CHECK_INT(m.major, 0);
	CHECK_INT(m.minor, 44);
	CHECK_STR(m.target, "/mnt/back\\slash");
	CHECK_STR(m.fstype, "nfs4");
	CHECK_STR(m.source, "nas:/export\ttab");
}

TEST(mountinfo_malformed_lines)
{
	char no_sep[] = "29 1 259:2 / / rw,relatime shared:1 ext4 /dev/nvme0n1p2 rw";
	char short_line[] = "29 1 259:2 / /";
	char bad_devno[] = "29 1 259-2 / / rw shared:1 - ext4 /dev/nvme0n1p2 rw";
	char no_source[] = "29 1 259:2 / / rw a b - ext4";
	char empty[] = "";
	struct mountinfo_entry m;

	CHECK_INT(mountinfo_parse_line(no_sep, &m), -EINVAL);
	CHECK_INT(mountinfo_parse_line(short_line, &m), -EINVAL);
	CHECK_INT(mountinfo_parse_line(bad_devno, &m), -EINVAL);
	CHECK_INT(mountinfo_parse_line(no_source, &m), -EINVAL);
	CHECK_INT(mountinfo_parse_line(empty, &m), -EINVAL);
}

TEST(fstab_fields_comments_and_defaults)
{
	char full[] = "UUID=3A1F-9C2E  /boot/efi\tvfat umask=0077 0 1";
	char three[] = "/dev/sda1 /home ext4";
	char space[] = "LABEL=data /srv/vm\\040images xfs defaults,nofail 0 2";
	char comment[] = "  # <file system> <mount point> <type> <options> <dump> <pass>";
	char blank[] = " \t ";
	char two[] = "/dev/sda1 /home";
	struct fstab_entry e;

	CHECK_INT(fstab_parse_line(full, &e), 0);
	CHECK_STR(e.spec, "UUID=3A1F-9C2E");
	CHECK_STR(e.target, "/boot/efi");
	CHECK_STR(e.fstype, "vfat");
	CHECK_STR(e.opts, "umask=0077");
	CHECK_INT(fstab_parse_line(three, &e), 0);
	CHECK_STR(e.opts, "defaults");
	CHECK_INT(fstab_parse_line(space, &e), 0);
	CHECK_STR(e.target, "/srv/vm images");
	CHECK(mount_opt_has(e.opts, "nofail"));
	CHECK_INT(fstab_parse_line(comment, &e), 1);
	CHECK_INT(fstab_parse_line(blank, &e), 1);
	CHECK_INT(fstab_parse_line(two, &e), -EINVAL);
}

TEST(crypttab_fields)
{
	char full[] = "data_crypt UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 none luks,discard,nofail";
	char two[] = "swap_crypt /dev/nvme1n1p1";
	char comment[] = "# <target name> <source device> <key file> <options>";
	char one[] = "lonely";
	struct crypttab_entry e;

	CHECK_INT(crypttab_parse_line(full, &e), 0);
	CHECK_STR(e.name, "data_crypt");
	CHECK_STR(e.source, "UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958");
	CHECK(mount_opt_has(e.opts, "nofail"));
	CHECK(!mount_opt_has(e.opts, "noauto"));
	CHECK_INT(crypttab_parse_line(two, &e), 0);
	CHECK_STR(e.source, "/dev/nvme1n1p1");
	CHECK_STR(e.opts, "");
	CHECK_INT(crypttab_parse_line(comment, &e), 1);
	CHECK_INT(crypttab_parse_line(one, &e), -EINVAL);
}

TEST(swaps_header_and_entries)
{
	char header[] = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority";
	char part[] = "/dev/nvme1n1p1                          partition\t8388604\t\t0\t\t-2";
	char file[] = "/swap\\040file                           file\t\t2097148\t\t0\t\t-3";
	char bad[] = "/dev/sda2";
	char *name;

	CHECK_INT(swaps_parse_line(header, &name), 1);
	CHECK_INT(swaps_parse_line(part, &name), 0);
	CHECK_STR(name, "/dev/nvme1n1p1");
	CHECK_INT(swaps_parse_line(file, &name), 0);
	CHECK_STR(name, "/swap file");
	CHECK_INT(swaps_parse_line(bad, &name), -EINVAL);
}

TEST(mount_opt_has_whole_options_only)
{
	CHECK(mount_opt_has("defaults,nofail", "nofail"));
	CHECK(mount_opt_has("nofail", "nofail"));
	CHECK(mount_opt_has("noauto,x-systemd.automount", "noauto"));
	CHECK(!mount_opt_has("x-systemd.nofail", "nofail"));
	CHECK(!mount_opt_has("nofailover,defaults", "nofail"));
	CHECK(!mount_opt_has("", "nofail"));
	CHECK(!mount_opt_has(NULL, "nofail"));
	CHECK(!mount_opt_has("defaults,", "nofail"));
}

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
