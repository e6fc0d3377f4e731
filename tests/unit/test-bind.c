// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bind.c on the two-cards fixture (two RTX 3090s: card 1 at 0a:00, the
 * boot display, card 2 at 0b:00, both on nvidia + snd_hda_intel): what
 * bind_run writes (driver_override, the old driver's unbind,
 * drivers_probe), what it leaves alone (refused devices, a device already
 * on vfio-pci, everything in a dry run), and how a failed write ends up in
 * the plan and the log.  A fake root has no kernel: a probe is written but
 * has no effect, so a device ends "override-set" (bind.h).
 */
#include "unit.h"
#include <errno.h>
#include <sys/stat.h>

#include "bind.h"
#include "fixture.h"

#define CARD1_VGA "0000:0a:00.0"
#define CARD2_VGA "0000:0b:00.0"
#define CARD2_HDA "0000:0b:00.1"
#define TEXT_MAX 512

/* The whole content of a file of the tree; "(unreadable)" when it cannot be read. */
static const char *file_text(const struct fx *f, const char *path)
{
	static char buf[TEXT_MAX];
	size_t len;
	char *s = read_file_at(f->rootfd, path, sizeof(buf) - 1, &len);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(unreadable)");
	free(s);
	return buf;
}

static const char *override_of(const struct fx *f, const char *addr)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/bus/pci/devices/%s/driver_override", addr);
	return file_text(f, path);
}

/* The fake root's path, as main() passes it to bind_run. */
static const char *root_of(const struct fx *f)
{
	static char root[300];

	snprintf(root, sizeof(root), "%s/root", f->dir);
	return root;
}

static enum plan_result result_of(const struct fx *f, const char *addr)
{
	const struct plan_item *it = fx_item(f, addr);

	return it ? it->result : (enum plan_result)-1;
}

/* Replace a file of the tree by a directory: every write to it fails (EISDIR). */
static void make_unwritable(const struct fx *f, const char *path)
{
	CHECK_INT(unlinkat(f->rootfd, path, 0), 0);
	CHECK_INT(mkdirat(f->rootfd, path, 0755), 0);
}

TEST(override_unbind_and_probe_for_each_function)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	CHECK_INT(result_of(&f, CARD2_VGA), RES_PLANNED);
	CHECK_INT(result_of(&f, CARD2_HDA), RES_PLANNED);
	bind_run(&f.pl, &f.t, root_of(&f));
	CHECK_STR(override_of(&f, CARD2_VGA), "vfio-pci\n");
	CHECK_STR(override_of(&f, CARD2_HDA), "vfio-pci\n");
	/* each function unbound from the driver that held it, by its address */
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers/nvidia/unbind"), CARD2_VGA "\n");
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers/snd_hda_intel/unbind"), CARD2_HDA "\n");
	/* then one probe each, once vfio-pci was asked for */
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers_probe"), CARD2_VGA "\n" CARD2_HDA "\n");
	/* no kernel behind a fake root: the override is all that can be shown */
	CHECK_INT(result_of(&f, CARD2_VGA), RES_OVERRIDE_SET);
	CHECK_INT(result_of(&f, CARD2_HDA), RES_OVERRIDE_SET);
	/* card 1 was never in the plan and is untouched */
	CHECK(fx_item(&f, CARD1_VGA) == NULL);
	CHECK_STR(override_of(&f, CARD1_VGA), "(null)\n");
	fx_free(&f);
}

TEST(refused_devices_are_not_touched)
{
	struct fx f;

	/* card 1 is the boot display: refused without allow-boot-vga */
	if (fx_setup(&f, "two-cards", NULL, "address 0a:00\naddress 0b:00.0\n") < 0) {
		unit_failed = 1;
		return;
	}
	CHECK(fx_item(&f, CARD1_VGA) != NULL);
	CHECK_INT(result_of(&f, CARD1_VGA), RES_REFUSED);
	bind_run(&f.pl, &f.t, root_of(&f));
	CHECK_INT(result_of(&f, CARD1_VGA), RES_REFUSED);
	CHECK_STR(override_of(&f, CARD1_VGA), "(null)\n");
	CHECK_STR(override_of(&f, "0000:0a:00.1"), "(null)\n");
	CHECK(!strstr(file_text(&f, "sys/bus/pci/drivers/nvidia/unbind"), CARD1_VGA));
	CHECK(!strstr(file_text(&f, "sys/bus/pci/drivers_probe"), CARD1_VGA));
	/* the rule for card 2 still went through */
	CHECK_STR(override_of(&f, CARD2_VGA), "vfio-pci\n");
	CHECK_INT(result_of(&f, CARD2_VGA), RES_OVERRIDE_SET);
	fx_free(&f);
}

TEST(already_on_vfio_pci_is_left_as_it_is)
{
	struct fx f;

	/*
	 * 0c:00.0 on vfio-pci with the override set (a second run); 0d:00.0
	 * on vfio-pci through vfio-pci's own ids=, no override yet.
	 */
	if (fx_setup(&f, "two-cards",
		     "pci 0000:0c:00.0 parent=0000:00:01.1 ids=10de:2204 sub=10de:1492 class=030000 "
		     "group=30 driver=vfio-pci override=vfio-pci\n"
		     "pci 0000:0d:00.0 parent=0000:00:01.1 ids=10de:2204 sub=10de:1492 class=030000 "
		     "group=31 driver=vfio-pci",
		     "address 0c:00.0\naddress 0d:00.0\n") < 0) {
		unit_failed = 1;
		return;
	}
	bind_run(&f.pl, &f.t, root_of(&f));
	CHECK_INT(result_of(&f, "0000:0c:00.0"), RES_ALREADY);
	CHECK_INT(result_of(&f, "0000:0d:00.0"), RES_ALREADY);
	CHECK_STR(override_of(&f, "0000:0c:00.0"), "vfio-pci\n");
	/* the override is written so that a rebind keeps it on vfio-pci */
	CHECK_STR(override_of(&f, "0000:0d:00.0"), "vfio-pci\n");
	/* neither is unbound nor probed */
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers/vfio-pci/unbind"), "");
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers_probe"), "");
	fx_free(&f);
}

TEST(dry_run_changes_nothing)
{
	static const char *const files[] = {
		"sys/bus/pci/devices/" CARD2_VGA "/driver_override",
		"sys/bus/pci/devices/" CARD2_HDA "/driver_override",
		"sys/bus/pci/drivers/nvidia/unbind",
		"sys/bus/pci/drivers/snd_hda_intel/unbind",
		"sys/bus/pci/drivers_probe",
	};
	char before[5][TEXT_MAX];
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	for (size_t i = 0; i < 5; i++)
		snprintf(before[i], sizeof(before[i]), "%s", file_text(&f, files[i]));
	bind_dry_run(&f.pl, root_of(&f), f.rootfd);
	for (size_t i = 0; i < 5; i++)
		CHECK_STR(file_text(&f, files[i]), before[i]);
	CHECK_INT(result_of(&f, CARD2_VGA), RES_PLANNED);
	CHECK_INT(result_of(&f, CARD2_HDA), RES_PLANNED);
	/* and no state file either: that is main()'s, not the dry run's */
	CHECK_INT(faccessat(f.rootfd, "run/vfio-early/state", F_OK, 0), -1);
	fx_free(&f);
}

TEST(override_write_error_fails_the_device_only)
{
	struct fx f;
	const struct plan_item *it;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	make_unwritable(&f, "sys/bus/pci/devices/" CARD2_VGA "/driver_override");
	bind_run(&f.pl, &f.t, root_of(&f));
	it = fx_item(&f, CARD2_VGA);
	CHECK(it != NULL);
	if (it) {
		CHECK_INT(it->result, RES_FAILED);
		CHECK(strstr(it->reason, "writing driver_override") != NULL);
	}
	/* not unbound and not probed: it keeps its driver */
	CHECK_STR(file_text(&f, "sys/bus/pci/drivers/nvidia/unbind"), "");
	CHECK(!strstr(file_text(&f, "sys/bus/pci/drivers_probe"), CARD2_VGA));
	/* the other function goes on */
	CHECK_STR(override_of(&f, CARD2_HDA), "vfio-pci\n");
	CHECK_INT(result_of(&f, CARD2_HDA), RES_OVERRIDE_SET);
	fx_free(&f);
}

TEST(unbind_error_puts_the_override_back)
{
	struct fx f;
	const struct plan_item *it;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	make_unwritable(&f, "sys/bus/pci/drivers/nvidia/unbind");
	bind_run(&f.pl, &f.t, root_of(&f));
	it = fx_item(&f, CARD2_VGA);
	CHECK(it != NULL);
	if (it) {
		CHECK_INT(it->result, RES_FAILED);
		CHECK(strstr(it->reason, "unbinding from nvidia") != NULL);
		CHECK(!strstr(it->reason, "could not be restored"));
	}
	/* the device as it was found: no override (an empty write clears it) */
	CHECK_STR(override_of(&f, CARD2_VGA), "\n");
	CHECK(!strstr(file_text(&f, "sys/bus/pci/drivers_probe"), CARD2_VGA));
	CHECK_INT(result_of(&f, CARD2_HDA), RES_OVERRIDE_SET);
	fx_free(&f);
}

TEST(probe_write_error_is_logged)
{
	struct fx f;

	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	make_unwritable(&f, "sys/bus/pci/drivers_probe");
	unit_log_clear();
	bind_run(&f.pl, &f.t, root_of(&f));
	CHECK_LOG(CARD2_VGA ": writing drivers_probe: ");
	CHECK_LOG(CARD2_HDA ": writing drivers_probe: ");
	/* the override stands; whether the device moved is the driver link's to say */
	CHECK_STR(override_of(&f, CARD2_VGA), "vfio-pci\n");
	CHECK_INT(result_of(&f, CARD2_VGA), RES_OVERRIDE_SET);
	fx_free(&f);
}

TEST(missing_vfio_module_is_logged_in_a_test_root)
{
	struct fx f;

	/* the fixture has no lib/modules: vfio-pci cannot be resolved */
	if (fx_setup(&f, "two-cards", NULL, "address 0b:00\n") < 0) {
		unit_failed = 1;
		return;
	}
	unit_log_clear();
	bind_run(&f.pl, &f.t, root_of(&f));
	CHECK_LOG("<3>vfio-pci: no such module for kernel 6.1.0-56-amd64");
	/* a test root inserts nothing: the override is still written, no give-back */
	CHECK_STR(override_of(&f, CARD2_VGA), "vfio-pci\n");
	CHECK_INT(result_of(&f, CARD2_VGA), RES_OVERRIDE_SET);
	fx_free(&f);
}
