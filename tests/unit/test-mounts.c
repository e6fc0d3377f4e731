// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mount-table parsers (mounts.c): mountinfo, fstab, crypttab,
 * /proc/swaps and mount options.
 */
#include "unit.h"
#include <errno.h>

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
