// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-device sysfs helpers (sysfs.c) on the two-cards fixture: what
 * they read, write and resolve, and the names they refuse to build a path
 * from.
 */
#include "unit.h"
#include <errno.h>

/* This file uses the fixture's tree helpers, not its planning ones. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "fixture.h"
#include "sysfs.h"

#define GPU "0000:0a:00.0"

static struct pci_dev *dev_named(const struct fx *f, const char *name)
{
	struct pci_addr a;

	return parse_sysfs_name(name, &a) < 0 ? NULL : pci_find(&f->t, &a);
}

/* The two-cards tree, walked; *d is the first RTX 3090.  Frees it on failure. */
static int setup(struct fx *f, struct pci_dev **d)
{
	if (fx_make(f, "two-cards", NULL) < 0 || pci_scan(&f->t, f->rootfd) < 0 ||
	    !(*d = dev_named(f, GPU))) {
		printf("#   fixture two-cards failed\n");
		unit_failed = 1;
		fx_free(f);
		return -1;
	}
	return 0;
}

/* The whole content of a file of the tree, "" when it cannot be read. */
static const char *file_text(const struct fx *f, const char *path)
{
	static char buf[256];
	size_t len;
	char *s = read_file_at(f->rootfd, path, sizeof(buf) - 1, &len);

	buf[0] = '\0';
	if (s)
		memcpy(buf, s, len + 1);
	free(s);
	return buf;
}

TEST(attr_read_values)
{
	struct fx f;
	struct pci_dev *d;
	unsigned long v;
	char buf[64];

	if (setup(&f, &d) < 0)
		return;
	CHECK_INT(pci_attr_read(&f.t, d, "vendor", buf, sizeof(buf)), 6);
	CHECK_STR(buf, "0x10de");
	CHECK_INT(pci_attr_read(&f.t, d, "boot_vga", buf, sizeof(buf)), 1);
	CHECK_STR(buf, "1");
	CHECK_INT(pci_attr_read(&f.t, d, "driver_override", buf, sizeof(buf)), 6);
	CHECK_STR(buf, "(null)");
	CHECK_INT(pci_read_hex_attr(&f.t, d, "device", 0xffff, &v), 0);
	CHECK_INT(v, 0x2204);
	CHECK_INT(pci_read_hex_attr(&f.t, d, "class", 0xffffff, &v), 0);
	CHECK_INT(v, 0x030000);
	/* A value above the bound is a range error, not a truncated number. */
	CHECK_INT(pci_read_hex_attr(&f.t, d, "class", 0xffff, &v), -ERANGE);
	fx_free(&f);
}

TEST(attr_write_truncates_or_appends)
{
	struct fx f;
	struct pci_dev *d;
	char buf[64];

	if (setup(&f, &d) < 0)
		return;
	CHECK_INT(pci_attr_write(&f.t, d, "driver_override", "vfio-pci\n", false), 0);
	CHECK_INT(pci_attr_read(&f.t, d, "driver_override", buf, sizeof(buf)), 8);
	CHECK_STR(buf, "vfio-pci");
	/* O_TRUNC: a shorter value replaces the longer one whole. */
	CHECK_INT(pci_attr_write(&f.t, d, "driver_override", "\n", false), 0);
	CHECK_INT(pci_attr_read(&f.t, d, "driver_override", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
	/* driver/unbind goes through the driver link; O_APPEND keeps both lines. */
	CHECK_INT(pci_attr_write(&f.t, d, "driver/unbind", GPU "\n", true), 0);
	CHECK_INT(pci_attr_write(&f.t, d, "driver/unbind", GPU "\n", true), 0);
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers/nvidia/unbind"), GPU "\n" GPU "\n");
	/* Never creates a file. */
	CHECK_INT(pci_attr_write(&f.t, d, "reset", "1\n", false), -ENOENT);
	CHECK(!pci_attr_exists(&f.t, d, "reset"));
	fx_free(&f);
}

TEST(link_read_device_and_attrs)
{
	struct fx f;
	struct pci_dev *d;
	char buf[128];

	if (setup(&f, &d) < 0)
		return;
	CHECK(pci_link_read(&f.t, d, NULL, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "../../../devices/pci0000:00/0000:00:03.1/" GPU);
	CHECK(pci_link_read(&f.t, d, "", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "../../../devices/pci0000:00/0000:00:03.1/" GPU);
	CHECK(pci_link_read(&f.t, d, "driver", buf, sizeof(buf)) > 0);
	CHECK_STR(path_basename(buf), "nvidia");
	CHECK(pci_link_read(&f.t, d, "iommu_group", buf, sizeof(buf)) > 0);
	CHECK_STR(path_basename(buf), "20");
	/* A link is there without being followed; a plain file is there too. */
	CHECK(pci_attr_exists(&f.t, d, "driver"));
	CHECK(pci_attr_exists(&f.t, d, "boot_vga"));
	/* A target that does not fit is an error, not a cut path. */
	CHECK_INT(pci_link_read(&f.t, d, "driver", buf, 8), -ENAMETOOLONG);
	/* A plain file is not a link. */
	CHECK_INT(pci_link_read(&f.t, d, "vendor", buf, sizeof(buf)), -EINVAL);
	fx_free(&f);
}

TEST(missing_attribute)
{
	struct fx f;
	struct pci_dev *d;
	char buf[64];

	if (setup(&f, &d) < 0)
		return;
	CHECK_INT(pci_attr_read(&f.t, d, "sriov_numvfs", buf, sizeof(buf)), -ENOENT);
	CHECK_INT(pci_link_read(&f.t, d, "physfn", buf, sizeof(buf)), -ENOENT);
	CHECK(!pci_attr_exists(&f.t, d, "physfn"));
	/* The card's audio function has no boot_vga: it is not a display. */
	d = dev_named(&f, "0000:0a:00.1");
	CHECK(d != NULL);
	if (d)
		CHECK_INT(pci_attr_read(&f.t, d, "boot_vga", buf, sizeof(buf)), -ENOENT);
	fx_free(&f);
}

TEST(overlong_value)
{
	struct fx f;
	struct pci_dev *d;
	char buf[64];

	if (setup(&f, &d) < 0)
		return;
	/* "0x10de\n": seven bytes fill a buffer of eight; nine hold it. */
	CHECK_INT(pci_attr_read(&f.t, d, "vendor", buf, 8), -EOVERFLOW);
	CHECK_INT(pci_attr_read(&f.t, d, "vendor", buf, 9), 6);
	CHECK_STR(buf, "0x10de");
	CHECK_INT(pci_attr_write(&f.t, d, "driver_override",
				 "a-driver-name-longer-than-the-buffer\n", false), 0);
	CHECK_INT(pci_attr_read(&f.t, d, "driver_override", buf, 16), -EOVERFLOW);
	fx_free(&f);
}

/* Each name is refused with -EINVAL and a log line; no file is touched. */
static void check_refused(const struct fx *f, const struct pci_dev *d, const char *attr)
{
	char buf[64];

	unit_log_clear();
	CHECK_INT(pci_attr_read(&f->t, d, attr, buf, sizeof(buf)), -EINVAL);
	CHECK_LOG("refused: not a sysfs attribute name");
	CHECK_INT(pci_attr_write(&f->t, d, attr, "vfio-pci\n", false), -EINVAL);
	CHECK(!pci_attr_exists(&f->t, d, attr));
	if (attr && *attr)
		CHECK_INT(pci_link_read(&f->t, d, attr, buf, sizeof(buf)), -EINVAL);
}

TEST(rejected_attribute_names)
{
	static const char *const bad[] = {
		NULL, "", ".", "..", "../0000:0a:00.1/driver_override", "driver/../vendor",
		"driver/bind", "driver/", "/vendor", "vendor/", "boot vga", "modalias\n",
		"a_name_that_runs_past_thirty_two_chars",
	};
	struct fx f;
	struct pci_dev *d, fake = { 0 };
	char buf[64];

	if (setup(&f, &d) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		check_refused(&f, d, bad[i]);
	/* Its audio function's override was not written through "../". */
	CHECK_STR(file_text(&f, "sys/bus/pci/devices/0000:0a:00.1/driver_override"), "(null)\n");
	/* Nor a name that is not a PCI address, whatever the attribute. */
	snprintf(fake.name, sizeof(fake.name), "../../../etc");
	unit_log_clear();
	CHECK_INT(pci_attr_read(&f.t, &fake, "vendor", buf, sizeof(buf)), -EINVAL);
	CHECK_LOG("not a PCI device name");
	CHECK_INT(pci_link_read(&f.t, &fake, NULL, buf, sizeof(buf)), -EINVAL);
	fx_free(&f);
}

/* The path layer: which names may become a path component. */
TEST(path_components)
{
	static const char *const good[] = {
		"vfio-dev", "0000:0a:00.0", "nvme-subsys0", "dm-0", "enp3s0f1", "vfio_pci",
		"5d6a1f2e-8b1c-4a2b-9e3f-0123456789ab", "x.y", "br@lan", "a+b",
	};
	static const char *const bad[] = {
		"", ".", "..", ".hidden", "a/b", "../etc", "/", "sda/", "two words", "tab\there",
		"line\n", "del\x7f",
	};
	char longest[SYSFS_NAME_MAX + 2];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CHECK(sysfs_name_ok(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(!sysfs_name_ok(bad[i]));
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	CHECK(!sysfs_name_ok(longest));
	longest[SYSFS_NAME_MAX] = '\0';
	CHECK(sysfs_name_ok(longest));
}

TEST(path_format)
{
	char buf[64];

	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/block/%s/holders", "dm-0"), 28);
	CHECK_STR(buf, "sys/class/block/dm-0/holders");
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/dev/block/%lu:%lu", 259ul, 3ul), 19);
	CHECK_STR(buf, "sys/dev/block/259:3");
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "g/%d/%u/100%%", -1, 7u), 11);
	CHECK_STR(buf, "g/-1/7/100%");
	/* A component from outside that is not one name: no path at all. */
	unit_log_clear();
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/net/%s/device", ".."), -EINVAL);
	CHECK_STR(buf, "");
	CHECK_LOG("not a sysfs name, no path built");
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/net/%s", "../../etc/passwd"),
		  -EINVAL);
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/block/%s", "sda/holders"), -EINVAL);
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/block/%s", "/dev/sda"), -EINVAL);
	CHECK_INT(sysfs_pathf(buf, sizeof(buf), "sys/class/block/%s", ""), -EINVAL);
	/* Truncation is an error, not another file. */
	CHECK_INT(sysfs_pathf(buf, 12, "sys/class/%s", "block"), -ENAMETOOLONG);
	CHECK_INT(sysfs_pathf(buf, 16, "sys/class/%s", "block"), 15);
}

/* The formatted helpers refuse before they touch a file. */
TEST(formatted_helpers_refuse_bad_components)
{
	struct fx f;
	struct pci_dev *d;
	char buf[64];
	size_t len;

	if (setup(&f, &d) < 0)
		return;
	CHECK_INT(sysfs_readf(f.rootfd, buf, sizeof(buf), "sys/bus/pci/devices/%s/vendor", GPU), 6);
	CHECK_STR(buf, "0x10de");
	CHECK_INT(sysfs_readf(f.rootfd, buf, sizeof(buf), "sys/bus/pci/devices/%s/vendor",
			      "../devices/" GPU), -EINVAL);
	CHECK_INT(sysfs_readlinkf(f.rootfd, buf, sizeof(buf), "sys/bus/pci/devices/%s/%s", GPU,
				  ".."), -EINVAL);
	CHECK(sysfs_readlinkf(f.rootfd, buf, sizeof(buf), "sys/bus/pci/devices/%s", GPU) > 0);
	CHECK_INT(sysfs_accessf(f.rootfd, F_OK, "sys/bus/pci/devices/%s/vendor", GPU), 0);
	CHECK_INT(sysfs_accessf(f.rootfd, F_OK, "sys/bus/pci/devices/%s/nothing", GPU), -ENOENT);
	CHECK_INT(sysfs_accessf(f.rootfd, F_OK, "sys/bus/pci/devices/%s", "."), -EINVAL);
	CHECK_INT(sysfs_writef(f.rootfd, "vfio-pci", false, "sys/bus/pci/devices/%s/%s", GPU,
			       "../0000:0a:00.1/driver_override"), -EINVAL);
	CHECK_STR(file_text(&f, "sys/bus/pci/devices/0000:0a:00.1/driver_override"), "(null)\n");
	CHECK(!sysfs_read_filef(f.rootfd, 64, &len, "sys/bus/pci/devices/%s", ".."));
	CHECK_INT(errno, EINVAL);
	CHECK_INT(sysfs_openf(f.rootfd, O_RDONLY, "sys/bus/%s", "pci/devices"), -EINVAL);
	fx_free(&f);
}

/* The iterator gives names only, never "." or "..", and says when it cannot open. */
TEST(directory_iterator)
{
	struct sysfs_dir dir = SYSFS_DIR_INIT;
	struct fx f;
	struct pci_dev *d;
	const char *name;
	unsigned n = 0, seen_gpu = 0;

	if (setup(&f, &d) < 0)
		return;
	CHECK_INT(sysfs_opendirf(&dir, f.rootfd, "sys/bus/pci/devices"), 0);
	while ((name = sysfs_dir_next(&dir))) {
		CHECK(strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
		CHECK(sysfs_name_ok(name));
		seen_gpu += strcmp(name, GPU) == 0;
		n++;
	}
	CHECK_INT(n, f.t.n);
	CHECK_INT(seen_gpu, 1);
	CHECK_INT(sysfs_dir_close(&dir), 0);
	CHECK_INT(sysfs_dir_close(&dir), 0);	/* twice is harmless */
	CHECK_INT(sysfs_opendirf(&dir, f.rootfd, "sys/class/%s", "nothing-here"), -ENOENT);
	CHECK(!sysfs_dir_next(&dir));
	CHECK_INT(sysfs_opendirf(&dir, f.rootfd, "sys/class/%s", ".."), -EINVAL);
	CHECK_INT(sysfs_dir_close(&dir), 0);
	fx_free(&f);
}

/* A dashed attribute (vfio-dev) is a name like any other. */
TEST(dashed_attribute_names)
{
	struct fx f;
	struct pci_dev *d;

	if (setup(&f, &d) < 0)
		return;
	unit_log_clear();
	CHECK(!pci_attr_exists(&f.t, d, "vfio-dev"));
	CHECK(!unit_log_has("refused"));
	fx_free(&f);
}
