// SPDX-License-Identifier: GPL-2.0-or-later
/* The config file grammar (vfio-early.conf(5)). */
#include <errno.h>

#include "config.h"
#include "rules.h"
#include "unit.h"

#define CONF "/etc/vfio-early.conf"

static void parse(const char *s, struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	config_parse(CONF, s, strlen(s), rs);
}

TEST(the_guides_3090)
{
	struct ruleset rs;

	parse("# RTX 3090 and its HDMI audio, as in the passthrough guide\n"
	      "ids 10de:2204 10de:1aef\n", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 2);
	CHECK_INT(rs.v[0].kind, RULE_IDS);
	CHECK_INT(rs.v[1].u.ids.device, 0x1aef);
	CHECK_INT(rs.v[1].line, 2);
	CHECK_STR(rs.v[1].file, CONF);
	ruleset_free(&rs);
}

TEST(every_kind_and_option)
{
	struct ruleset rs;

	parse("ids 10de:2204:10de:1492,10de:1aef functions=one\n"
	      "address 0000:0b:00 whole-group\n"
	      "address 0b:00.0 expect=10de:2204 allow-boot-vga\n"
	      "path 00:03.2/00.0 expect=10de:2204\n"
	      "class 0c0330 allow_storage allow-network functions=all\n"
	      "exclude ids 10de:1aef\n"
	      "exclude address 00:1f.3\n", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 8);
	CHECK(rs.v[0].u.ids.has_sub);
	CHECK(rs.v[0].opts & OPT_FUNCS_ONE);
	CHECK(rs.v[1].opts & OPT_FUNCS_ONE);
	CHECK_INT(rs.v[2].kind, RULE_ADDR);
	CHECK(rs.v[2].opts & OPT_WHOLE_GROUP);
	CHECK(rs.v[3].opts & OPT_EXPECT);
	CHECK(rs.v[3].opts & OPT_BOOT_VGA);
	CHECK_INT(rs.v[3].expect_device, 0x2204);
	CHECK_INT(rs.v[4].kind, RULE_PATH);
	CHECK_INT(rs.v[4].u.path.nhops, 1);
	CHECK_INT(rs.v[5].kind, RULE_CLASS);
	CHECK_INT(rs.v[5].opts, OPT_STORAGE | OPT_NETWORK | OPT_FUNCS_ALL);
	CHECK(rs.v[6].exclude);
	CHECK(rs.v[7].exclude);
	CHECK_INT(rs.v[7].kind, RULE_ADDR);
	ruleset_free(&rs);
}

TEST(comments_blank_lines_and_crlf)
{
	struct ruleset rs;

	parse("\n   \n# only a comment\n\tids 10de:2204   # trailing comment\r\n#ids 1111:2222\n", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 1);
	CHECK_INT(rs.v[0].line, 4);
	ruleset_free(&rs);
}

TEST(byte_order_mark_and_uppercase_hex)
{
	struct ruleset rs;

	/* as Notepad saves it: a BOM, CRLF, upper-case hex from a web page */
	parse("\xef\xbb\xbfids 10DE:2204\r\nexclude address 09:00.1\r\n", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 2);
	CHECK_INT(rs.v[0].line, 1);
	CHECK_INT(rs.v[0].u.ids.vendor, 0x10de);
	CHECK_INT(rs.v[0].u.ids.device, 0x2204);
	ruleset_free(&rs);
	/* only at the start of the file */
	parse("ids 10de:2204\n\xef\xbb\xbfids 10de:1aef\n", &rs);
	CHECK_INT(rs.errors, 1);
	CHECK_INT(rs.n, 1);
	ruleset_free(&rs);
}

TEST(bad_line_is_skipped_whole_and_named)
{
	struct ruleset rs;

	parse("ids 10de:2204\n"
	      "address 0b:00.0 alow-boot-vga\n"
	      "ids 10de:1aef 10de:zzzz\n"
	      "address 0a:00\n", &rs);
	CHECK_INT(rs.errors, 2);
	CHECK_INT(rs.n, 2);
	CHECK_INT(rs.v[0].line, 1);
	CHECK_INT(rs.v[1].line, 4);
	CHECK_LOG(CONF ":2: alow-boot-vga: unknown option");
	CHECK_LOG(CONF ":3: 10de:zzzz: not a vendor:device id");
	ruleset_free(&rs);
}

TEST(grammar_errors)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "device 09:00.0\n", CONF ":1: device: unknown rule" },
		{ "ids\n", CONF ":1: ids: no selector given" },
		{ "exclude\n", CONF ":1: exclude: exclude needs a rule kind" },
		{ "exclude ids 10de:2204 whole-group\n", CONF ":1: whole-group: exclude rules take no options" },
		{ "path 00:01.0/00.0\n", CONF ":1: 00:01.0/00.0: path rules need expect=" },
		{ "ids 10de:2204 expect=10de:2204\n", CONF ":1: expect=10de:2204: expect= applies to address and path rules only" },
		{ "address 09:00.0 expect=10de\n", CONF ":1: expect=10de: not a vendor:device id" },
		{ "address 09:00.0 functions=some\n", CONF ":1: functions=some: functions= takes one or all" },
		{ "address 09:00.0 whole-group=1\n", CONF ":1: whole-group=1: this option takes no value" },
		{ "address 09:00.0 color=red\n", CONF ":1: color=red: unknown option" },
		{ "address ../../etc\n", CONF ":1: ../../etc: " },
		{ "class vga\n", CONF ":1: vga: unknown option" },
		{ "ids 10de:2204 10de:zzzz\n", CONF ":1: 10de:zzzz: not a vendor:device id" },
		{ "class 0x03\n", CONF ":1: 0x03: unknown option" },
		{ "class 3\n", CONF ":1: 3: not a class code" },
		{ "ids 10de:2204,,10de:1aef\n", CONF ":1: 10de:2204,,10de:1aef: empty selector (two commas in a row)" },
		/* typos get the nearest word */
		{ "adress 09:00.0\n", CONF ":1: adress: unknown rule; did you mean address? (expected ids, address, path, class or exclude)" },
		{ "id 10de:2204\n", CONF ":1: id: unknown rule; did you mean ids? (expected ids, address, path, class or exclude)" },
		{ "exlcude ids 10de:2204\n", CONF ":1: exlcude: unknown rule; did you mean exclude?" },
		{ "ids 10de:2204 allow-netwrok\n", CONF ":1: allow-netwrok: unknown option; did you mean allow-network? (expect=, functions=, whole-group, allow-boot-vga, allow-storage, allow-network, reset_method=, d3cold=, disable_idle_d3, vfs=, driver=)" },
		{ "address 09:00.0 function=one\n", CONF ":1: function=one: unknown option; did you mean functions?" },
		/* BB:SS:F is no domain:bus:slot */
		{ "address 09:00:0\n", CONF ":1: 09:00:0: a domain has four hex digits; a function follows a dot (BB:SS.F, or 0000:BB:SS.F)" },
		{ "address 0:09:00.0\n", CONF ":1: 0:09:00.0: a domain has four hex digits (0000:BB:SS.F)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset rs;

		unit_log_clear();
		parse(cases[i].line, &rs);
		if (rs.n != 0 || rs.errors == 0 || !unit_log_has(cases[i].msg)) {
			printf("#   case %zu (%s): n=%zu errors=%u log: %s", i, cases[i].line,
			       rs.n, rs.errors, unit_log);
			unit_failed = 1;
		}
		ruleset_free(&rs);
	}
}

/* vfio-early.conf(5): selectors are separated by spaces or commas, or both. */
TEST(commas_beside_spaces)
{
	static const char *const lines[] = {
		"ids 10de:2204, 10de:1aef\n",
		"ids 10de:2204 ,10de:1aef\n",
		"ids 10de:2204 , 10de:1aef\n",
		"ids 10de:2204,10de:1aef,\n",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct ruleset rs;

		parse(lines[i], &rs);
		CHECK_INT(rs.n, 2);
		CHECK_INT(rs.errors, 0);
		if (rs.n == 2) {
			CHECK_STR(rs.v[0].token, "10de:2204");
			CHECK_STR(rs.v[1].token, "10de:1aef");
		}
		ruleset_free(&rs);
	}
}

TEST(nul_and_control_bytes)
{
	static const char conf[] = "ids 10de:2204\nids 10de:\0aef\naddress 0a:00\x01\nids 10de:1aef\n";
	struct ruleset rs = { 0 };

	config_parse(CONF, conf, sizeof(conf) - 1, &rs);
	CHECK_INT(rs.n, 2);
	CHECK_INT(rs.errors, 2);
	CHECK_LOG(CONF ":2: ");
	CHECK_LOG("NUL byte, line ignored");
	CHECK_LOG(CONF ":3: ");
	CHECK_LOG("control or non-ASCII character");
	ruleset_free(&rs);
}

TEST(overlong_line)
{
	struct ruleset rs = { 0 };
	size_t len = 10000;
	char *buf = malloc(len + 32);

	memset(buf, 'a', len);
	memcpy(buf + len, "\nids 10de:2204\n", 16);
	config_parse(CONF, buf, strlen(buf), &rs);
	CHECK_INT(rs.n, 1);
	CHECK_INT(rs.errors, 1);
	CHECK_LOG(CONF ":1: aaaaaaaaaaaaaaaa: line too long");
	ruleset_free(&rs);
	free(buf);
}

TEST(rule_cap)
{
	struct ruleset rs = { 0 };
	size_t len = (RULES_MAX + 10) * 14;
	char *buf = malloc(len + 1), *p = buf;

	for (unsigned i = 0; i < RULES_MAX + 10; i++)
		p += sprintf(p, "ids 10de:%04x\n", i);
	config_parse(CONF, buf, (size_t)(p - buf), &rs);
	CHECK_INT(rs.n, RULES_MAX);
	CHECK_INT(rs.errors, 10);
	CHECK_LOG("too many rules");
	ruleset_free(&rs);
	free(buf);
}

TEST(file_without_final_newline)
{
	struct ruleset rs;

	parse("ids 10de:2204", &rs);
	CHECK_INT(rs.n, 1);
	ruleset_free(&rs);
}

TEST(device_preparation_options)
{
	struct ruleset rs;

	parse("address 0000:09:00 reset_method=flr,bus d3cold=off disable_idle_d3\n"
	      "ids 10de:2204 reset-method=default d3cold=on\n"
	      "ids 1002:73bf reset_method=device_specific d3cold=off d3cold=on\n", &rs);
	CHECK_INT(rs.errors, 0);
	CHECK_INT(rs.n, 3);
	CHECK_INT(rs.v[0].opts, OPT_RESET_METHOD | OPT_D3COLD_OFF | OPT_IDLE_D3_OFF);
	CHECK_STR(rs.v[0].reset_method, "flr bus");
	CHECK_INT(rs.v[1].opts, OPT_RESET_METHOD | OPT_D3COLD_ON);
	CHECK_STR(rs.v[1].reset_method, "default");
	/* The last d3cold= wins, as with functions=. */
	CHECK_INT(rs.v[2].opts, OPT_RESET_METHOD | OPT_D3COLD_ON);
	CHECK_STR(rs.v[2].reset_method, "device_specific");
	ruleset_free(&rs);
}

TEST(reset_method_values)
{
	static const struct {
		const char *in, *out, *bad;
	} cases[] = {
		{ "bus", "bus", NULL },
		{ "device_specific,acpi,flr,af_flr,pm,bus,cxl_bus",
		  "device_specific acpi flr af_flr pm bus cxl_bus", NULL },
		{ "default", "default", NULL },
		{ "flr,default", NULL, "default" },
		{ "flr,,bus", NULL, "" },
		{ "bus,", NULL, "" },
		{ "FLR", NULL, "FLR" },
		{ "pm,pm", NULL, "pm" },
		{ "bus/../../x", NULL, "bus/../../x" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[RESET_METHOD_LEN];
		const char *why = NULL, *bad = NULL;
		size_t badlen = 0;
		int r = parse_reset_method(cases[i].in, strlen(cases[i].in), out, &why, &bad,
					   &badlen);

		if (cases[i].out) {
			CHECK_INT(r, 0);
			CHECK_STR(out, cases[i].out);
		} else {
			CHECK_INT(r, -EINVAL);
			CHECK(why != NULL);
			CHECK_INT(badlen, strlen(cases[i].bad));
			CHECK(memcmp(bad, cases[i].bad, badlen) == 0);
		}
	}
}
