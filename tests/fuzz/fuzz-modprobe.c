// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * modprobe.d's one reader (modprobe-conf.c) over a file's contents: the
 * logical lines (continuations joined), each statement split into command,
 * module and rest, and the words of an options value as the kernel splits
 * them.  The files themselves (listing, precedence, masking) are the unit
 * tests' job; a file is read whole, up to CONF_FILE_MAX.
 */
#include "fuzz.h"
#include "modprobe-conf.h"

#define FUZZ_MODPROBE_MAX (64u << 10)

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void check_opts(const char *rest, size_t len)
{
	const char *p = rest, *end = rest + len, *prev = rest;
	struct modprobe_opt o;
	size_t n = 0;

	while (modprobe_next_opt(&p, end, &o)) {
		/* Words follow each other inside the value, each makes progress. */
		FUZZ_CHECK(o.word >= prev && o.wlen > 0 && o.word + o.wlen <= end);
		FUZZ_CHECK(p == o.word + o.wlen);
		FUZZ_CHECK(o.key >= o.word && o.key + o.klen <= o.word + o.wlen);
		if (o.val)
			FUZZ_CHECK(o.val > o.key && o.val + o.vlen <= o.word + o.wlen &&
				   (o.val[-1] == '=' || (o.val[-1] == '"' && o.val[-2] == '=')));
		FUZZ_CHECK(!memchr(o.key, '=', o.klen));
		prev = p;
		FUZZ_CHECK(++n <= len);
	}
	FUZZ_CHECK(p <= end);
}

static void check_stmt(const char *line, size_t len)
{
	struct modprobe_stmt st;
	enum modprobe_cmd cmd;
	size_t min_words = 0;

	if (!modprobe_split(line, len, &st))
		return;
	FUZZ_CHECK(st.cmd >= line && st.cmdlen > 0 && st.cmd + st.cmdlen <= line + len);
	FUZZ_CHECK(st.cmd[0] != '#');
	FUZZ_CHECK(st.mod >= st.cmd + st.cmdlen && st.mod + st.modlen <= line + len);
	FUZZ_CHECK(st.rest >= st.mod + st.modlen && st.rest + st.restlen <= line + len);
	for (size_t i = 0; i < st.cmdlen; i++)
		FUZZ_CHECK(!blank(st.cmd[i]));
	for (size_t i = 0; i < st.modlen; i++)
		FUZZ_CHECK(!blank(st.mod[i]));
	FUZZ_CHECK(!st.restlen || (!blank(st.rest[0]) && !blank(st.rest[st.restlen - 1])));
	cmd = modprobe_command(st.cmd, st.cmdlen, &min_words);
	FUZZ_CHECK(cmd == MODPROBE_UNKNOWN || (min_words >= 1 && min_words <= 3));
	check_opts(st.rest, st.restlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modprobe_lines it;
	unsigned lineno, last = 0, newlines = 0;
	size_t len, total = 0;
	char *buf, *line;

	if (size > FUZZ_MODPROBE_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	line = malloc(size + 1);
	FUZZ_CHECK(line);
	for (size_t i = 0; i < size; i++)
		newlines += buf[i] == '\n';
	modprobe_lines_init(&it, buf, size);
	while (modprobe_next_line(&it, line, size + 1, &len, &lineno)) {
		/* One logical line, never longer than what is left, never cut. */
		FUZZ_CHECK(lineno > last && lineno <= newlines + 1);
		FUZZ_CHECK(line[len] == '\0');
		FUZZ_CHECK(!memchr(line, '\n', len));
		total += len;
		FUZZ_CHECK(total <= size);
		last = lineno;
		check_stmt(line, len);
	}
	free(line);
	free(buf);
	return 0;
}
