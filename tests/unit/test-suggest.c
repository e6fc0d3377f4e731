// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules the report offers to select a card (report-suggest.h): their
 * text, and what the planner makes of each, alone, on real machines' trees.
 */
#include "config.h"
#include "unit.h"

#include "fixture.h"
#include "report-suggest.h"

/* The suggestion for device @name of the scanned tree. */
static int suggest(struct fx *f, const char *name, struct suggestion *s)
{
	struct pci_addr a;
	struct pci_dev *d;

	if (parse_sysfs_name(name, &a) < 0 || !(d = pci_find(&f->t, &a))) {
		printf("#   no device %s\n", name);
		return -1;
	}
	suggest_card_rules(&f->t, d, s);
	return 0;
}

/*
 * Rule @i of @s as the whole config: the plan binds @want ("addr addr"),
 * refuses nothing, and no rule has an error.
 */
static void check_alone(struct fx *f, const struct suggestion *s, size_t i, const char *want)
{
	struct ruleset rs = { 0 };
	struct plan pl;

	config_parse("/etc/vfio-early.conf", s->rule[i], strlen(s->rule[i]), &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(plan_build(&pl, &f->t, &rs, &f->prot), 0);
	/* fx_bound() and fx_refused() read f->pl */
	f->pl = pl;
	CHECK_STR(fx_bound(f), want);
	CHECK_STR(fx_refused(f), "");
	plan_free(&f->pl);
	ruleset_free(&rs);
}

static int setup(struct fx *f, const char *spec, const char *extra)
{
	if (fx_setup(f, spec, extra, NULL) < 0)
		return -1;
	plan_free(&f->pl);
	return 0;
}

TEST(apu_graphics_by_its_ids_or_its_functions_never_the_slot)
{
	struct fx f;
	struct suggestion s;

	if (setup(&f, "apu-phoenix-rtx4060", NULL) < 0 || suggest(&f, "0000:05:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 2);
	CHECK(s.boot_vga);
	CHECK_STR(s.rule[0], "ids 1002:15bf allow-boot-vga");
	CHECK_STR(s.rule[1], "address 0000:05:00.0 0000:05:00.1 allow-boot-vga");
	for (size_t i = 0; i < s.n; i++)
		check_alone(&f, &s, i, "0000:05:00.0 0000:05:00.1");
	/* The dGPU owns its slot: its address and its path. */
	if (suggest(&f, "0000:01:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.rule[0], "address 0000:01:00");
	CHECK_STR(s.rule[1], "path 0000:00:01.1/00 expect=10de:28e0");
	for (size_t i = 0; i < s.n; i++)
		check_alone(&f, &s, i, "0000:01:00.0 0000:01:00.1");
	fx_free(&f);
}

TEST(arc_card_over_two_buses_by_its_ids_or_both_slots)
{
	struct fx f;
	struct suggestion s;

	if (setup(&f, "arc-a770", NULL) < 0 || suggest(&f, "0000:03:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 2);
	CHECK(!s.boot_vga);
	CHECK_STR(s.rule[0], "ids 8086:56a0");
	CHECK_STR(s.rule[1], "address 0000:03:00 0000:04:00");
	for (size_t i = 0; i < s.n; i++)
		check_alone(&f, &s, i, "0000:03:00.0 0000:04:00.0");
	fx_free(&f);
}

TEST(identical_cards_by_slot_the_boot_display_allowed)
{
	struct fx f;
	struct suggestion s;

	if (setup(&f, "two-cards", NULL) < 0 || suggest(&f, "0000:0a:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.rule[0], "address 0000:0a:00 allow-boot-vga");
	CHECK_STR(s.rule[1], "path 0000:00:03.1/00 expect=10de:2204 allow-boot-vga");
	for (size_t i = 0; i < s.n; i++)
		check_alone(&f, &s, i, "0000:0a:00.0 0000:0a:00.1");
	if (suggest(&f, "0000:0b:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.rule[0], "address 0000:0b:00");
	for (size_t i = 0; i < s.n; i++)
		check_alone(&f, &s, i, "0000:0b:00.0 0000:0b:00.1");
	fx_free(&f);
}

/* Identical ids and a slot shared with another vendor: only the functions' addresses. */
TEST(identical_card_sharing_its_slot_by_its_functions_alone)
{
	struct fx f;
	struct suggestion s;

	if (setup(&f, "two-cards", "pci 0000:0b:00.2 parent=0000:00:03.2 ids=1022:43b9 "
		  "class=0c0330 group=21 driver=xhci_hcd") < 0 || suggest(&f, "0000:0b:00.0", &s) < 0)
		return (void)(unit_failed = 1);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.rule[0], "address 0000:0b:00.0 0000:0b:00.1");
	CHECK_INT(s.card.n, 2);
	check_alone(&f, &s, 0, "0000:0b:00.0 0000:0b:00.1");
	fx_free(&f);
}
