// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel command line: tokenizer and vfio_early.* keys. */
#include "cmdline.h"
#include "rules.h"
#include "unit.h"

static void parse(const char *s, struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	cmdline_parse(s, strlen(s), rs);
}

static int ntokens(const char *s, char out[][64])
{
	const char *pos = s, *end = s + strlen(s);
	struct cmdline_tok t;
	int n = 0;

	while (cmdline_next(&pos, end, &t)) {
		if (t.val)
			snprintf(out[n], 64, "%.*s=%.*s", (int)t.klen, t.key, (int)t.vlen, t.val);
		else
			snprintf(out[n], 64, "%.*s", (int)t.klen, t.key);
		n++;
	}
	return n;
}

TEST(tokenizer_splits_like_the_kernel)
{
	char tok[16][64];

	CHECK_INT(ntokens("  quiet  root=/dev/sda1\tro\n", tok), 3);
	CHECK_STR(tok[0], "quiet");
	CHECK_STR(tok[1], "root=/dev/sda1");
	CHECK_STR(tok[2], "ro");
	CHECK_INT(ntokens("a=\"x y\" \"b=c d\" e=f=g", tok), 3);
	CHECK_STR(tok[0], "a=x y");
	CHECK_STR(tok[1], "b=c d");
	CHECK_STR(tok[2], "e=f=g");
	/* Everything after "--" belongs to init. */
	CHECK_INT(ntokens("quiet -- vfio_early=off", tok), 1);
	CHECK_INT(ntokens("", tok), 0);
	CHECK_INT(ntokens("   ", tok), 0);
	CHECK_INT(ntokens("a=\"unterminated value", tok), 1);
	CHECK_STR(tok[0], "a=unterminated value");
}

TEST(kill_switch_values)
{
	static const char *const off[] = { "vfio_early=off", "vfio_early=0", "vfio-early=no",
					   "vfio_early=false", "VFIO_EARLY=OFF" };
	struct ruleset rs;

	for (size_t i = 0; i < 4; i++) {
		parse(off[i], &rs);
		CHECK(rs.off);
		CHECK_INT(rs.errors, 0);
		ruleset_free(&rs);
	}
	/* Option names are case-sensitive, like the kernel's: not ours. */
	parse(off[4], &rs);
	CHECK(!rs.off);
	ruleset_free(&rs);
	parse("vfio_early=on", &rs);
	CHECK(!rs.off);
	ruleset_free(&rs);
	/* A kill switch that cannot be read is read as off (vfio_early=of). */
	parse("vfio_early=maybe", &rs);
	CHECK(rs.off);
	CHECK_INT(rs.errors, 1);
	CHECK_LOG("/proc/cmdline: vfio_early: maybe: expected on or off; read as off, so nothing is bound");
	ruleset_free(&rs);
	parse("vfio_early=of vfio_early.devices=09:00.0", &rs);
	CHECK(rs.off);
	CHECK_LOG("/proc/cmdline: vfio_early: of: expected on or off; read as off, so nothing is bound");
	ruleset_free(&rs);
}

TEST(ids_and_devices)
{
	struct ruleset rs;

	parse("quiet vfio_early.ids=10de:2204,10de:1aef:10de:1492 vfio-early.devices=0a:00,0000:0b:00.1",
	      &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 4);
	CHECK_INT(rs.v[0].kind, RULE_IDS);
	CHECK_INT(rs.v[0].u.ids.device, 0x2204);
	CHECK_STR(rs.v[0].key, "vfio_early.ids");
	CHECK(rs.v[1].u.ids.has_sub);
	CHECK_INT(rs.v[1].u.ids.subdevice, 0x1492);
	CHECK_INT(rs.v[2].kind, RULE_ADDR);
	CHECK(!rs.v[2].u.addr.has_func);
	CHECK_INT(rs.v[2].u.addr.bus, 0x0a);
	CHECK(rs.v[3].u.addr.has_func);
	CHECK_STR(rs.v[3].token, "0000:0b:00.1");
	ruleset_free(&rs);
}

TEST(repeated_keys_accumulate)
{
	struct ruleset rs;

	parse("vfio_early.ids=10de:2204 vfio_early.ids=10de:1aef", &rs);
	CHECK_INT(rs.n, 2);
	ruleset_free(&rs);
}

TEST(legacy_vfio_pci_ids)
{
	struct ruleset rs;

	parse("vfio-pci.ids=10de:2204,10de:1aef", &rs);
	CHECK_INT(rs.n, 2);
	CHECK_STR(rs.v[0].key, "vfio-pci.ids");
	ruleset_free(&rs);
	parse("vfio_pci.ids=10de:2204", &rs);
	CHECK_INT(rs.n, 1);
	ruleset_free(&rs);
	/* As vfio-pci reads it: any width, ffffffff subsystem, empty elements. */
	parse("vfio-pci.ids=10de:2204:ffffffff:ffffffff,10DE:1AEF,,1002:744c:1da2:e471,", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 3);
	CHECK(!rs.v[0].u.ids.has_sub);
	CHECK_INT(rs.v[1].u.ids.device, 0x1aef);
	CHECK(rs.v[2].u.ids.has_sub);
	CHECK_INT(rs.v[2].u.ids.subdevice, 0xe471);
	ruleset_free(&rs);
	/* What an ids rule cannot say is named. */
	parse("vfio-pci.ids=ffffffff:ffffffff:ffffffff:ffffffff:030000:ff0000", &rs);
	CHECK_INT(rs.n, 0);
	CHECK_INT(rs.errors, 1);
	CHECK_LOG("a wildcard vendor or device cannot be an ids rule");
	ruleset_free(&rs);
}

TEST(flags)
{
	struct ruleset rs;

	parse("vfio_early.allow_boot_vga=1 vfio_early.dry_run", &rs);
	CHECK(rs.allow_boot_vga);
	CHECK(rs.dry_run);
	CHECK_INT(rs.errors, 0);
	ruleset_free(&rs);
	parse("vfio_early.allow-boot-vga=yes vfio_early.dry_run=0", &rs);
	CHECK(rs.allow_boot_vga);
	CHECK(!rs.dry_run);
	ruleset_free(&rs);
	parse("vfio_early.dry_run=sure", &rs);
	CHECK_INT(rs.errors, 1);
	CHECK(!rs.dry_run);
	ruleset_free(&rs);
}

TEST(root_spec)
{
	struct ruleset rs;

	parse("BOOT_IMAGE=/vmlinuz root=UUID=abcd ro root=/dev/mapper/pve-root", &rs);
	CHECK_STR(rs.root_spec, "/dev/mapper/pve-root");
	ruleset_free(&rs);
	parse("quiet", &rs);
	CHECK(rs.root_spec == NULL);
	ruleset_free(&rs);
}

TEST(unknown_keys_are_named)
{
	struct ruleset rs;

	parse("vfio_early.idz=10de:2204 vfio_early_ids=10de:2204 vfio-earlyx=1 vfioearly=1", &rs);
	CHECK_INT(rs.n, 0);
	CHECK_INT(rs.errors, 3);
	CHECK_LOG("vfio_early.idz: unknown vfio_early option");
	CHECK_LOG("vfio_early_ids: unknown vfio_early option");
	CHECK_LOG("vfio-earlyx: unknown vfio_early option");
	ruleset_free(&rs);
}

/* A list with a bad element is skipped whole, as a config line is; each bad element is named. */
TEST(bad_tokens_skip_their_whole_list)
{
	struct ruleset rs;

	parse("vfio_early.ids=10de:2204,zzzz:0000,10de:1aef vfio_early.devices=09:00.8,../sys,0a:00 "
	      "vfio_early.devices=0b:00", &rs);
	CHECK_INT(rs.n, 1);
	CHECK_STR(rs.n ? rs.v[0].token : "", "0b:00");
	CHECK_INT(rs.errors, 3);
	CHECK_LOG("/proc/cmdline: vfio_early.ids: zzzz:0000: not a vendor:device id (VVVV:DDDD, four hex digits each); the whole list is ignored");
	CHECK_LOG("/proc/cmdline: vfio_early.devices: 09:00.8: function must be 0-7; the whole list is ignored");
	CHECK_LOG("/proc/cmdline: vfio_early.devices: ../sys: ");
	ruleset_free(&rs);
	/* the trap of issue 21: 9:0.0 is not bound while zz is named */
	parse("vfio_early.devices=9:0.0,zz", &rs);
	CHECK_INT(rs.n, 0);
	CHECK_LOG("/proc/cmdline: vfio_early.devices: zz: not a PCI address ([DDDD:]BB:SS[.F]); the whole list is ignored");
	ruleset_free(&rs);
}

TEST(empty_lists)
{
	struct ruleset rs;

	parse("vfio_early.ids= vfio_early.devices vfio_early.ids=10de:2204,,", &rs);
	CHECK_INT(rs.n, 0);
	CHECK_INT(rs.errors, 4);
	CHECK_LOG("empty list, ignored");
	CHECK_LOG("empty list element");
	ruleset_free(&rs);
}

TEST(long_hostile_cmdline)
{
	char buf[4200];
	struct ruleset rs;
	size_t n = 0, i = 0;

	/* 4 KiB, hundreds of tokens, every kind of junk. */
	while (n < sizeof(buf) - 64) {
		static const char *const junk[] = {
			"vfio_early.ids=10de:2204 ", "vfio_early.devices=ff:1f.7 ",
			"vfio_early.ids=\"10de:1aef\" ", "vfio_early.devices=,,, ",
			"vfio_early.x=\x01\x7f ", "=\"\" ", "vfio_early.ids=1:2:3:4:5 ",
		};
		const char *j = junk[i++ % 7];

		memcpy(buf + n, j, strlen(j));
		n += strlen(j);
	}
	/* An unterminated quote runs to the end, as in the kernel. */
	memcpy(buf + n, "vfio_early.ids=\"10de:1aef 10de:2204", 33);
	buf[n + 33] = '\0';
	parse(buf, &rs);
	/* Per round of seven: three valid rules, six errors (four empty elements). */
	CHECK(i / 7 > 20);
	CHECK(rs.n >= 3 * (i / 7));
	CHECK(rs.n <= 3 * (i / 7) + 3);
	CHECK(rs.errors >= 6 * (i / 7));
	/* Only the first errors are logged one by one. */
	unit_log_clear();
	ruleset_flush_errors(&rs);
	CHECK_LOG("more rule errors not shown");
	ruleset_free(&rs);
}
