// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /etc/vfio-early.conf: config_parse over a file's contents.  The binary
 * takes up to CONFIG_MAX (4 MiB); the fuzzer caps inputs at 256 KiB, which
 * is 60 lines of the longest allowed length and enough to pass RULES_MAX.
 */
#include "config.h"
#include "fuzz.h"
#include "rules.h"

#define FUZZ_CONFIG_MAX (256u << 10)
#define FILE_NAME "/etc/vfio-early.conf"

static void check_rule(const struct rule *r)
{
	char a[PATH_STRLEN], b[PATH_STRLEN];
	const char *why;
	size_t tlen;

	FUZZ_CHECK(r->file && strcmp(r->file, FILE_NAME) == 0 && r->line >= 1 && !r->key);
	FUZZ_CHECK(memchr(r->token, '\0', sizeof(r->token)));
	tlen = strlen(r->token);
	FUZZ_CHECK(tlen > 0);
	/* What plan.c relies on. */
	FUZZ_CHECK(!(r->exclude && r->opts));
	FUZZ_CHECK(r->kind != RULE_PATH || r->exclude || (r->opts & OPT_EXPECT));
	FUZZ_CHECK(!(r->opts & OPT_EXPECT) || r->kind == RULE_PATH || r->kind == RULE_ADDR);
	FUZZ_CHECK(!((r->opts & OPT_FUNCS_ONE) && (r->opts & OPT_FUNCS_ALL)));
	FUZZ_CHECK(r->matches == 0);

	/* The token (never truncated for a valid selector) reparses the same. */
	switch (r->kind) {
	case RULE_IDS: {
		struct pci_ids ids;

		FUZZ_CHECK(parse_ids(r->token, tlen, &ids, &why) == 0);
		FUZZ_CHECK(ids.vendor == r->u.ids.vendor && ids.device == r->u.ids.device &&
			   ids.has_sub == r->u.ids.has_sub);
		if (ids.has_sub)
			FUZZ_CHECK(ids.subvendor == r->u.ids.subvendor &&
				   ids.subdevice == r->u.ids.subdevice);
		break;
	}
	case RULE_ADDR: {
		struct pci_addr x;

		FUZZ_CHECK(parse_pci_addr(r->token, tlen, &x, &why) == 0);
		FUZZ_CHECK(pci_addr_cmp(&x, &r->u.addr) == 0 && x.has_func == r->u.addr.has_func);
		FUZZ_CHECK(x.slot <= 0x1f && x.func <= 7);
		break;
	}
	case RULE_PATH: {
		struct path_spec p;

		FUZZ_CHECK(parse_path(r->token, tlen, &p, &why) == 0);
		FUZZ_CHECK(p.nhops >= 1 && p.nhops <= PATH_MAX_HOPS);
		format_path(&p, a, sizeof(a));
		format_path(&r->u.path, b, sizeof(b));
		FUZZ_CHECK(strcmp(a, b) == 0);
		break;
	}
	case RULE_CLASS: {
		struct class_spec c;

		FUZZ_CHECK(parse_class(r->token, tlen, &c, &why) == 0);
		FUZZ_CHECK(c.value == r->u.cls.value && c.mask == r->u.cls.mask);
		FUZZ_CHECK((c.value & ~c.mask) == 0);
		break;
	}
	default:
		FUZZ_CHECK(!"unknown rule kind");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs = { 0 };
	size_t lines = 1;
	char *buf;

	if (size > FUZZ_CONFIG_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	config_parse(FILE_NAME, buf, size, &rs);

	for (size_t i = 0; i < size; i++)
		lines += buf[i] == '\n';
	FUZZ_CHECK(rs.n <= RULES_MAX && rs.n <= rs.cap);
	FUZZ_CHECK(rs.nfiles == 1);
	for (size_t i = 0; i < rs.n; i++) {
		check_rule(&rs.v[i]);
		FUZZ_CHECK(rs.v[i].line <= lines);
		/* Rules come out in file order. */
		if (i > 0)
			FUZZ_CHECK(rs.v[i].line >= rs.v[i - 1].line);
	}
	/* Only what the parser was given: no command-line state. */
	FUZZ_CHECK(!rs.off && !rs.allow_boot_vga && !rs.dry_run && !rs.root_spec);
	ruleset_free(&rs);
	free(buf);
	return 0;
}
