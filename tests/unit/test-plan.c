// SPDX-License-Identifier: GPL-2.0-or-later
/* Matching, widening and the safety policy, on fake machines. */
#include "unit.h"
#include <sys/stat.h>

#include "fixture.h"

#define CMD(s) "cmdline root=/dev/mapper/pve-root ro intel_iommu=on " s

TEST(guide_legacy_ids_take_the_card)
{
	struct fx f;

	if (fx_setup(&f, "proxmox-3090", CMD("vfio-pci.ids=10de:2204,10de:1aef"), NULL) < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:09:00.0 0000:09:00.1");
	CHECK_STR(fx_refused(&f), "");
	CHECK_INT(f.pl.partial_groups, 0);
	fx_free(&f);
}

TEST(ids_widen_to_every_function_of_the_card)
{
	struct fx f;

	/* turing-usbc's command line has vfio_early.ids=10de:1e87 (the VGA only). */
	if (fx_setup(&f, "turing-usbc", NULL, NULL) < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3");
	CHECK_INT(fx_item(&f, "0000:01:00.0")->via, VIA_RULE);
	CHECK_INT(fx_item(&f, "0000:01:00.2")->via, VIA_SLOT);
	CHECK_INT(fx_item(&f, "0000:01:00.3")->origin, 0);
	fx_free(&f);
}

TEST(functions_one_keeps_one_and_warns_about_the_group)
{
	struct fx f;

	if (fx_setup(&f, "turing-usbc", "cmdline root=PARTUUID=5e1d2c3b-02",
		     "ids 10de:1e87 functions=one\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:01:00.0");
	CHECK_INT(f.pl.partial_groups, 1);
	CHECK_LOG("IOMMU group 10 is not usable for a VM: it also holds 0000:01:00.1 "
		  "[10de:10f8] class 040300 (driver snd_hda_intel)");
	CHECK_LOG("0000:01:00.3 [10de:1ad9] class 0c8000 (driver nvidia-gpu)");
	fx_free(&f);
}

TEST(address_function_is_exact)
{
	struct fx f;

	if (fx_setup(&f, "proxmox-3090", CMD("vfio_early.devices=09:00.1"), NULL) < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:09:00.1");
	CHECK_LOG("IOMMU group 14 is not usable for a VM: it also holds 0000:09:00.0");
	fx_free(&f);
}

TEST(integrated_devices_do_not_widen)
{
	struct fx f;

	/* Onboard audio shares slot 1f with LPC, SMBus, SPI and the NIC. */
	if (fx_setup(&f, "proxmox-3090", CMD("vfio_early.ids=8086:a348"), NULL) < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:00:1f.3");
	CHECK_INT(f.pl.partial_groups, 1);
	CHECK_LOG("also holds 0000:00:1f.4");
	fx_free(&f);
}

TEST(two_identical_cards_by_address)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0b:00.0 0000:0b:00.1");
	fx_free(&f);
}

TEST(two_identical_cards_by_stable_path)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "path 00:03.2/00 expect=10de:2204\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0b:00.0 0000:0b:00.1");
	fx_free(&f);
	if (fx_setup(&f, "two-cards", NULL, "path 00:03.2/00.0 expect=10de:2204\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0b:00.0");
	fx_free(&f);
}

TEST(stable_path_survives_renumbering)
{
	struct fx f;

	/* The firmware numbered the buses differently this boot: 0b became 0c. */
	if (fx_make(&f, "two-cards",
		    "pci 0000:0c:00.0 parent=0000:00:03.2 ids=10de:2204 class=030000 group=22\n"
		    "pci 0000:0c:00.1 parent=0000:00:03.2 ids=10de:1aef class=040300 group=22\n") < 0)
		return (void)(unit_failed = 1);
	/* Drop the old bus-0b devices from the tree. */
	{
		char cmd[1400];

		snprintf(cmd, sizeof(cmd),
			 "rm -rf %1$s/root/sys/devices/pci0000:00/0000:00:03.2/0000:0b:00.* "
			 "%1$s/root/sys/bus/pci/devices/0000:0b:00.*", f.dir);
		CHECK(system(cmd) == 0);
	}
	CHECK(fx_plan(&f, "path 00:03.2/00 expect=10de:2204\n") == 0);
	CHECK_STR(fx_bound(&f), "0000:0c:00.0 0000:0c:00.1");
	fx_free(&f);
}

TEST(expect_mismatch_is_refused)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "path 00:03.2/00 expect=10de:2684\n"
		     "address 0a:00.1 expect=10de:2204\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK_STR(fx_refused(&f), "0000:0a:00.1 0000:0b:00.0 0000:0b:00.1");
	CHECK_STR(fx_reason(&f, "0000:0b:00.0"),
		  "holds 10de:2204, but the rule expects 10de:2684 (card moved or replaced?)");
	CHECK_STR(fx_reason(&f, "0000:0b:00.1"),
		  "0000:0b:00.0 holds 10de:2204, but the rule expects 10de:2684 (card moved or "
		  "replaced?)");
	CHECK_STR(fx_reason(&f, "0000:0a:00.1"),
		  "holds 10de:1aef, but the rule expects 10de:2204 (card moved or replaced?)");
	fx_free(&f);
}

TEST(group_with_root_disk_is_refused)
{
	struct fx f;

	if (fx_setup(&f, "shared-group", NULL, "address 02:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK_STR(fx_refused(&f), "0000:02:00.0 0000:02:00.1");
	CHECK_STR(fx_reason(&f, "0000:02:00.0"),
		  "shares IOMMU group 11 with 0000:03:00.0, which holds the root filesystem "
		  "(root=UUID=6b2d1c0e-1111-4222-8333-944455556666)");
	fx_free(&f);
}

TEST(root_disk_named_directly_is_refused)
{
	struct fx f;

	if (fx_setup(&f, "proxmox-3090", CMD(""), "address 01:00.0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_refused(&f), "0000:01:00.0");
	CHECK_STR(fx_reason(&f, "0000:01:00.0"),
		  "holds the root filesystem (root=/dev/mapper/pve-root)");
	fx_free(&f);
}

/* Write @list as DIR/lib/vfio-early/protected and empty mountinfo (early boot). */
/* The image's list, booted before the root is mounted (an empty mount table). */
static int fx_list(struct fx *f, const char *list)
{
	char path[300];
	FILE *out;

	if (fx_write_list(f, list) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/root/proc/self/mountinfo", f->dir);
	if (!(out = fopen(path, "w")))
		return -1;
	fclose(out);
	return 0;
}

#define LIST_HEAD "# written by the image build\nvfio-early-protected 3\nmachine none\n"
#define LIST_0B01 "device addr=0000:0b:00.1 path=0000:00:03.2/00.1 ids=10de:1aef " \
		  "sub=10de:1492 class=040300 why=test\n"

TEST(protected_list_from_the_image_build)
{
	struct fx f;

	/* Early boot: root= not resolvable, but the image build listed it. */
	if (fx_make(&f, "two-cards", "cmdline root=UUID=not-visible-yet") < 0)
		return (void)(unit_failed = 1);
	CHECK(fx_list(&f, LIST_HEAD "status complete\n" LIST_0B01 "end devices=1 carriers=0\n") == 0);
	CHECK(fx_plan(&f, "address 0b:00\n") == 0);
	CHECK(f.prot.verified);
	CHECK_STR(fx_refused(&f), "0000:0b:00.0 0000:0b:00.1");
	CHECK_STR(fx_reason(&f, "0000:0b:00.1"), "test");
	CHECK_LOG("protected list verified: 1 device (machine unknown)");
	fx_free(&f);

	/* A bad line: named with its line and token; the run is unverified. */
	if (fx_make(&f, "two-cards", "cmdline root=UUID=not-visible-yet") < 0)
		return (void)(unit_failed = 1);
	CHECK(fx_list(&f, LIST_HEAD "status complete\n" LIST_0B01
		      "device addr=0b:00.7x path=- ids=1:2 sub=1:2 class=0 why=x\n"
		      "end devices=2 carriers=0\n") == 0);
	CHECK(fx_plan(&f, "address 0b:00\n") == 0);
	CHECK(!f.prot.verified);
	CHECK_LOG("/lib/vfio-early/protected:6: 0b:00.7x: not a PCI address");
	CHECK_LOG("protected list unverified: /lib/vfio-early/protected:6 is malformed");
	CHECK_STR(fx_refused(&f), "0000:0b:00.0 0000:0b:00.1");
	fx_free(&f);
}

TEST(boot_vga_refused_then_allowed)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 0a:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_refused(&f), "0000:0a:00.0 0000:0a:00.1");
	CHECK(strstr(fx_reason(&f, "0000:0a:00.0"), "is the boot VGA device"));
	CHECK_STR(fx_reason(&f, "0000:0a:00.1"),
		  "0000:0a:00.0, another function of this card, is refused");
	fx_free(&f);

	if (fx_setup(&f, "two-cards", NULL, "address 0a:00 allow-boot-vga\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0a:00.0 0000:0a:00.1");
	fx_free(&f);

	if (fx_setup(&f, "two-cards",
		     "cmdline root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early.allow_boot_vga=1",
		     "address 0a:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0a:00.0 0000:0a:00.1");
	fx_free(&f);
}

TEST(ids_rule_never_takes_storage_without_opt_in)
{
	struct fx f;

	/* Two NVMe of the same model; one holds the root filesystem. */
	if (fx_setup(&f, "turing-usbc", "cmdline root=PARTUUID=5e1d2c3b-02",
		     "ids 144d:a808\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK(strstr(fx_reason(&f, "0000:03:00.0"), "is a storage controller"));
	fx_free(&f);

	if (fx_setup(&f, "turing-usbc", "cmdline root=PARTUUID=5e1d2c3b-02",
		     "ids 144d:a808 allow-storage\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:03:00.0");
	CHECK_STR(fx_refused(&f), "0000:02:00.0");
	CHECK(strstr(fx_reason(&f, "0000:02:00.0"), "holds the root filesystem"));
	fx_free(&f);

	/* By address it is the user's explicit choice (root protection aside). */
	if (fx_setup(&f, "turing-usbc", "cmdline root=PARTUUID=5e1d2c3b-02",
		     "address 03:00.0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:03:00.0");
	fx_free(&f);
}

TEST(bridges_are_never_bound)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 00:03.2\nclass 06\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK(strstr(fx_reason(&f, "0000:00:03.2"), "is a PCI bridge"));
	fx_free(&f);
}

TEST(no_iommu_binds_nothing)
{
	struct fx f;

	if (fx_setup(&f, "proxmox-3090", "iommu off\n" CMD("vfio-pci.ids=10de:2204,10de:1aef"),
		     NULL) < 0)
		return (void)(unit_failed = 1);
	CHECK(!f.t.iommu);
	CHECK(f.pl.no_iommu);
	CHECK_STR(fx_bound(&f), "");
	CHECK_STR(fx_refused(&f), "0000:09:00.0 0000:09:00.1");
	CHECK_STR(plan_iommu_hint(f.rootfd), "VT-d is enabled in the firmware (DMAR table): add "
		  "intel_iommu=on to the kernel command line");
	fx_free(&f);
}

TEST(exclude_wins)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "ids 10de:2204\nexclude address 0a:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0b:00.0 0000:0b:00.1");
	CHECK_INT(f.pl.excluded, 1);
	CHECK_LOG("0000:0a:00.0: excluded by /etc/vfio-early.conf:2 (selected by /etc/vfio-early.conf:1)");
	fx_free(&f);
}

TEST(whole_group_takes_members_but_not_storage)
{
	struct fx f;

	/* Root elsewhere this time (a SATA disk not in the tree). */
	if (fx_setup(&f, "shared-group", "cmdline root=/dev/sda9\nmount / 8:9 /dev/sda9 ext4",
		     "address 02:00.0 whole-group\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:02:00.0 0000:02:00.1");
	CHECK_STR(fx_refused(&f), "0000:03:00.0");
	CHECK_INT(fx_item(&f, "0000:03:00.0")->via, VIA_GROUP);
	CHECK(strstr(fx_reason(&f, "0000:03:00.0"), "is a storage controller"));
	CHECK_LOG("IOMMU group 11 is not usable for a VM: it also holds 0000:03:00.0");
	fx_free(&f);

	/* The same group when the NVMe holds the root filesystem: all refused. */
	if (fx_setup(&f, "shared-group", NULL, "address 02:00.0 whole-group\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK_STR(fx_refused(&f), "0000:02:00.0 0000:02:00.1 0000:03:00.0");
	fx_free(&f);
}

TEST(sriov_pf_does_not_pull_its_vfs)
{
	struct fx f;

	if (fx_setup(&f, "sriov", NULL, "ids 8086:1572 allow-network\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:05:00.0");
	fx_free(&f);
	if (fx_setup(&f, "sriov", NULL, "ids 8086:154c allow-network\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:05:00.1 0000:05:00.2 0000:05:02.0 0000:05:02.1");
	fx_free(&f);
	if (fx_setup(&f, "sriov", NULL, "ids 8086:154c\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "");
	CHECK(strstr(fx_reason(&f, "0000:05:02.0"), "is a network controller"));
	fx_free(&f);
}

TEST(class_rule)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "class 0300\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(fx_bound(&f), "0000:0b:00.0 0000:0b:00.1");
	CHECK_STR(fx_refused(&f), "0000:0a:00.0 0000:0a:00.1");
	fx_free(&f);
}

TEST(rule_matching_nothing_is_reported)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "ids 1002:744c\naddress 42:00\n") < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(f.pl.n, 0);
	CHECK_LOG("/etc/vfio-early.conf:1: 1002:744c matches no device");
	CHECK_LOG("/etc/vfio-early.conf:2: 42:00 matches no device");
	fx_free(&f);
}

/* root= (and what is mounted, fstab...) as --list-protected resolves them. */
static void resolve_root(struct fx *f, const char *spec)
{
	struct protect_sources src = { .root_spec = spec, .sysroot = "" };

	protect_resolve_host(&f->prot, &f->t, f->rootfd, false, &src);
}

TEST(protect_resolves_lvm_and_mounts)
{
	struct fx f;

	/* root= through device-mapper slaves down to the NVMe. */
	if (fx_make(&f, "proxmox-3090", NULL) < 0 || pci_scan(&f.t, f.rootfd) < 0)
		return (void)(unit_failed = 1);
	resolve_root(&f, "/dev/mapper/pve-root");
	CHECK_INT(f.prot.n, 1);
	CHECK_STR(f.prot.v[0].why, "holds the root filesystem (root=/dev/mapper/pve-root)");
	protect_free(&f.prot);
	/* root=MAJ:MIN and PARTUUID=. */
	resolve_root(&f, "259:1");
	CHECK_INT(f.prot.n, 1);
	CHECK_INT(f.prot.v[0].addr.bus, 1);
	protect_free(&f.prot);
	resolve_root(&f, "PARTUUID=8c0e9a6e-01");
	CHECK_INT(f.prot.n, 1);
	protect_free(&f.prot);
	/* Hostile values resolve to nothing and escape nowhere. */
	resolve_root(&f, "UUID=../../../etc");
	resolve_root(&f, "/dev/../../etc/passwd");
	CHECK_INT(f.prot.n, 1);		/* only the mounted / (253:0) */
	fx_free(&f);
}
