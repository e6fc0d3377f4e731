// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line: the tokenizer (cmdline_next) and the parser
 * (cmdline_parse) over /proc/cmdline as the binary reads it, at most
 * CMDLINE_MAX bytes.
 */
#include "cmdline.h"
#include "fuzz.h"
#include "rules.h"
#include "sources.h"

static void check_tokens(const char *buf, size_t size)
{
	const char *pos = buf, *end = buf + size, *prev = buf;
	struct cmdline_tok t;
	size_t ntok = 0;

	while (cmdline_next(&pos, end, &t)) {
		/* Progress, and every piece within the input. */
		FUZZ_CHECK(pos > prev && pos <= end);
		prev = pos;
		FUZZ_CHECK(t.key >= buf && t.key <= end && t.klen <= (size_t)(end - t.key));
		FUZZ_CHECK(t.key + t.klen <= pos);
		if (t.val) {
			FUZZ_CHECK(t.val >= t.key + t.klen && t.val <= end);
			FUZZ_CHECK(t.vlen <= (size_t)(end - t.val) && t.val + t.vlen <= pos);
		} else {
			FUZZ_CHECK(t.vlen == 0);
			FUZZ_CHECK(!memchr(t.key, '=', t.klen));
		}
		/* A token never spans an unquoted blank or a NUL. */
		FUZZ_CHECK(!memchr(t.key, '\0', t.klen));
		FUZZ_CHECK(++ntok <= size);
	}
	FUZZ_CHECK(pos >= buf && pos <= end);
}

static void check_rules(const struct ruleset *rs)
{
	FUZZ_CHECK(rs->n <= RULES_MAX && rs->n <= rs->cap);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->v[i];
		const char *why;

		FUZZ_CHECK(r->key && !r->exclude && r->opts == 0);
		FUZZ_CHECK(memchr(r->token, '\0', sizeof(r->token)));
		/* The token (unless cut to fit) reparses to the same selector. */
		if (strlen(r->token) >= sizeof(r->token) - 1)
			continue;
		if (r->kind == RULE_IDS) {
			struct pci_ids ids;
			/* vfio-pci.ids= is read with the kernel's own syntax. */
			bool legacy = strcmp(r->key, "vfio-pci.ids") == 0;

			FUZZ_CHECK((legacy ? parse_kernel_ids : parse_ids)(r->token, strlen(r->token),
									   &ids, &why) == 0);
			FUZZ_CHECK(ids.vendor == r->u.ids.vendor && ids.device == r->u.ids.device &&
				   ids.has_sub == r->u.ids.has_sub);
		} else {
			struct pci_addr a;

			FUZZ_CHECK(r->kind == RULE_ADDR);
			FUZZ_CHECK(parse_pci_addr(r->token, strlen(r->token), &a, &why) == 0);
			FUZZ_CHECK(pci_addr_cmp(&a, &r->u.addr) == 0 &&
				   a.has_func == r->u.addr.has_func);
			FUZZ_CHECK(a.slot <= 0x1f && a.func <= 7);
		}
	}
	if (rs->root_spec)
		FUZZ_CHECK(strlen(rs->root_spec) > 0 && strlen(rs->root_spec) < 4096);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs = { 0 };
	char *buf;

	if (size > CMDLINE_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	check_tokens(buf, size);
	cmdline_parse(buf, size, &rs);
	check_rules(&rs);
	ruleset_free(&rs);
	free(buf);
	return 0;
}
