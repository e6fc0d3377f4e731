// SPDX-License-Identifier: GPL-2.0-or-later
/* The card a device belongs to (card.h), on real machines' layouts. */
#include "unit.h"

#include "card.h"
#include "fixture.h"

/* The card of @name, as "addr addr ...", and whether it has its own switch. */
static const char *card_of(struct fx *f, const char *name, bool *sw)
{
	static char buf[512];
	struct pci_addr a;
	struct pci_card c;
	struct pci_dev *d;
	size_t used = 0;

	buf[0] = '\0';
	if (parse_sysfs_name(name, &a) < 0 || !(d = pci_find(&f->t, &a)))
		return "(no such device)";
	if (pci_card(&f->t, d, &c) < 0)
		return "(error)";
	for (size_t i = 0; i < c.n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "",
					 c.fn[i]->name);
	if (sw)
		*sw = c.sw != NULL;
	return buf;
}

static int scan(struct fx *f, const char *spec)
{
	if (fx_make(f, spec, NULL) < 0 || pci_scan(&f->t, f->rootfd) < 0)
		return -1;
	return 0;
}

TEST(apu_slot_is_the_graphics_and_its_audio)
{
	struct fx f;
	bool sw = true;

	if (scan(&f, "apu-phoenix-rtx4060") < 0)
		return (void)(unit_failed = 1);
	/* 05:00.2-.6 are the PSP, USB, audio coprocessor and HD audio (1022). */
	CHECK_STR(card_of(&f, "0000:05:00.0", &sw), "0000:05:00.0 0000:05:00.1");
	CHECK(!sw);
	CHECK_STR(card_of(&f, "0000:05:00.1", NULL), "0000:05:00.0 0000:05:00.1");
	CHECK_STR(card_of(&f, "0000:05:00.3", NULL), "0000:05:00.2 0000:05:00.3 0000:05:00.4 "
		  "0000:05:00.5 0000:05:00.6");
	/* The discrete card: both functions, as always. */
	CHECK_STR(card_of(&f, "0000:01:00.0", NULL), "0000:01:00.0 0000:01:00.1");
	fx_free(&f);
}

TEST(arc_card_spans_the_buses_below_its_switch)
{
	struct fx f;
	bool sw = false;

	if (scan(&f, "arc-a770") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(card_of(&f, "0000:03:00.0", &sw), "0000:03:00.0 0000:04:00.0");
	CHECK(sw);
	CHECK_STR(card_of(&f, "0000:04:00.0", &sw), "0000:03:00.0 0000:04:00.0");
	CHECK(sw);
	/* The switch's ports are no part of the card; the APU's slot is apart. */
	CHECK_STR(card_of(&f, "0000:02:01.0", NULL), "0000:02:01.0");
	CHECK_STR(card_of(&f, "0000:12:00.0", NULL), "0000:12:00.0 0000:12:00.1");
	fx_free(&f);
}

TEST(navi_behind_its_switch_keeps_its_slot)
{
	struct fx f;
	bool sw = false;

	if (scan(&f, "vmd-navi") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(card_of(&f, "0000:03:00.0", &sw), "0000:03:00.0 0000:03:00.1");
	CHECK(sw);
	/* On the root bus: the iGPU is a card of one function. */
	CHECK_STR(card_of(&f, "0000:00:02.0", NULL), "0000:00:02.0");
	fx_free(&f);
}

TEST(a_vf_is_a_card_alone_and_no_pf_card_holds_one)
{
	struct fx f;

	if (scan(&f, "cx4lx-vfs-c246") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(card_of(&f, "0000:01:00.2", NULL), "0000:01:00.2");
	CHECK_STR(card_of(&f, "0000:01:00.0", NULL), "0000:01:00.0 0000:01:00.1");
	fx_free(&f);
}

TEST(turing_card_keeps_usb_and_ucsi)
{
	struct fx f;

	if (scan(&f, "turing-usbc") < 0)
		return (void)(unit_failed = 1);
	CHECK_STR(card_of(&f, "0000:01:00.0", NULL),
		  "0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3");
	fx_free(&f);
}

/* The plan widens by the card: an ids rule on the APU graphics. */
TEST(ids_on_apu_graphics_takes_the_card_only)
{
	struct fx f;

	if (fx_setup(&f, "apu-phoenix-rtx4060", NULL, "ids 1002:15bf allow-boot-vga\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(strstr(fx_bound(&f), "0000:05:00.2") == NULL);
	CHECK(strstr(fx_bound(&f), "0000:05:00.3") == NULL);
	CHECK(strstr(fx_bound(&f), "0000:05:00.6") == NULL);
	fx_free(&f);
	/* functions=all keeps its meaning: the whole slot. */
	if (fx_setup(&f, "apu-phoenix-rtx4060", NULL,
		     "ids 1002:15bf allow-boot-vga functions=all\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(fx_item(&f, "0000:05:00.3") != NULL);
	CHECK(fx_item(&f, "0000:05:00.6") != NULL);
	fx_free(&f);
}

TEST(ids_on_arc_takes_its_audio_on_another_bus)
{
	struct fx f;

	if (fx_setup(&f, "arc-a770", NULL, "ids 8086:56a0\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(fx_item(&f, "0000:04:00.0") && fx_item(&f, "0000:04:00.0")->via == VIA_SLOT);
	CHECK(fx_item(&f, "0000:02:01.0") == NULL);
	fx_free(&f);
}

/* A refused function keeps its whole card, on another bus too, and only it. */
TEST(refusal_keeps_the_card_not_the_slot)
{
	struct fx f;

	/* The APU graphics is the boot display: refused, its audio with it. */
	if (fx_setup(&f, "apu-phoenix-rtx4060", NULL, "address 05:00.0 05:00.1 05:00.3\n") < 0)
		return (void)(unit_failed = 1);
	CHECK(fx_item(&f, "0000:05:00.0") && fx_item(&f, "0000:05:00.0")->code == REF_BOOT_VGA);
	CHECK(fx_item(&f, "0000:05:00.1") && fx_item(&f, "0000:05:00.1")->code == REF_CARD);
	CHECK(fx_item(&f, "0000:05:00.3") && fx_item(&f, "0000:05:00.3")->code != REF_CARD);
	fx_free(&f);
}
