// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /etc/vfio-early.conf: one rule per line (see vfio-early.conf(5)).
 *
 *     [exclude] ids|address|path|class SELECTOR[,SELECTOR...] ... [OPTION...]
 *
 * A line with any error is reported as FILE:LINE: TOKEN: WHY and skipped
 * as a whole (a misspelt option must not bind more than was meant); the
 * other lines still apply.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "rules.h"

#define LINE_LEN_MAX 4096
#define SELECTORS_PER_LINE 256

struct line_ctx {
	struct ruleset *rs;
	const char *file;
	unsigned line;
	unsigned errors;
};

static void line_error(struct line_ctx *c, const char *tok, size_t len, const char *why)
{
	c->errors++;
	rule_error(c->rs, c->file, c->line, tok, len, why);
}

/*
 * Selectors are hex digits with ':', '.', '/' or ','; option names never
 * hold those, so a token with them is a (maybe broken) selector.
 */
static bool looks_like_selector(const char *s, size_t len)
{
	bool all_hex = true;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':' || s[i] == '.' || s[i] == '/' || s[i] == ',')
			return true;
		if (hexval((unsigned char)s[i]) < 0)
			all_hex = false;
	}
	return all_hex;
}

/* The known word nearest to @tok (at most two edits away), or NULL. */
static const char *nearest(const char *tok, size_t len, const char *const *words, size_t n)
{
	const char *best = NULL;
	unsigned bd = 3;

	for (size_t i = 0; i < n; i++) {
		unsigned d = name_distance(tok, len, words[i]);

		if (d < bd) {
			bd = d;
			best = words[i];
		}
	}
	return best;
}

static const struct {
	const char *name;
	unsigned opt;
} flag_opts[] = {
	{ "whole-group", OPT_WHOLE_GROUP },
	{ "allow-boot-vga", OPT_BOOT_VGA },
	{ "allow-storage", OPT_STORAGE },
	{ "allow-network", OPT_NETWORK },
	{ "disable_idle_d3", OPT_IDLE_D3_OFF },
};

/*
 * driver=auto (the default: the most specific vfio-pci driver the kernel
 * has for the device), driver=vfio-pci, or driver=MODULE (a variant
 * driver's module, checked against modules.alias when the device is bound).
 */
static int parse_driver_option(struct line_ctx *c, struct rule *proto, const char *tok,
			       size_t len, const char *v, size_t vlen)
{
	bool ok = vlen > 0 && vlen < RULE_DRIVER_LEN;

	for (size_t i = 0; ok && i < vlen; i++)
		ok = isalnum((unsigned char)v[i]) || v[i] == '_' || v[i] == '-';
	if (!ok) {
		line_error(c, tok, len, "driver= takes auto, vfio-pci or a module name "
			   "(letters, digits, '_' and '-')");
		return -1;
	}
	proto->opts &= ~(unsigned)OPT_DRIVER;
	proto->driver[0] = '\0';
	if (vlen == 4 && memcmp(v, "auto", 4) == 0)
		return 1;
	if (vlen == 8 && (memcmp(v, "vfio-pci", 8) == 0 || memcmp(v, "vfio_pci", 8) == 0))
		v = "vfio-pci";
	memcpy(proto->driver, v, vlen);
	proto->driver[vlen] = '\0';
	proto->opts |= OPT_DRIVER;
	return 1;
}

/* The valued options that prepare a device: reset_method=, d3cold=, driver=. */
static int parse_prepare_option(struct line_ctx *c, struct rule *proto, const char *tok,
				size_t len, size_t klen)
{
	const char *v = tok + klen + 1, *why, *bad;
	size_t vlen = len - klen - 1, badlen;

	if (name_eq(tok, klen, "reset_method")) {
		if (parse_reset_method(v, vlen, proto->reset_method, &why, &bad, &badlen) < 0) {
			line_error(c, badlen ? bad : tok, badlen ? badlen : len, why);
			return -1;
		}
		proto->opts |= OPT_RESET_METHOD;
		return 1;
	}
	if (name_eq(tok, klen, "vfs")) {
		unsigned long n;

		if (parse_dec(v, vlen, VFS_MAX, &n) < 0 || n == 0) {
			line_error(c, tok, len, "vfs= takes a number of VFs, 1 to 4096");
			return -1;
		}
		proto->vfs = (unsigned)n;
		proto->opts |= OPT_VFS;
		return 1;
	}
	if (name_eq(tok, klen, "driver"))
		return parse_driver_option(c, proto, tok, len, v, vlen);
	if (name_eq(tok, klen, "d3cold")) {
		proto->opts &= ~(unsigned)(OPT_D3COLD_OFF | OPT_D3COLD_ON);
		if (vlen == 3 && memcmp(v, "off", 3) == 0) {
			proto->opts |= OPT_D3COLD_OFF;
		} else if (vlen == 2 && memcmp(v, "on", 2) == 0) {
			proto->opts |= OPT_D3COLD_ON;
		} else {
			line_error(c, tok, len, "d3cold= takes off or on");
			return -1;
		}
		return 1;
	}
	return 0;
}

/* Returns 1 when @tok was an option, 0 when it is not one, -1 on error. */
static int parse_option(struct line_ctx *c, struct rule *proto, const char *tok, size_t len)
{
	const char *eq = memchr(tok, '=', len);
	size_t klen = eq ? (size_t)(eq - tok) : len;
	const char *v = eq ? eq + 1 : NULL;
	size_t vlen = eq ? len - klen - 1 : 0;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(flag_opts); i++) {
		if (!name_eq(tok, klen, flag_opts[i].name))
			continue;
		if (eq) {
			line_error(c, tok, len, "this option takes no value");
			return -1;
		}
		proto->opts |= flag_opts[i].opt;
		return 1;
	}
	if (name_eq(tok, klen, "expect") && eq) {
		if (parse_vendor_device(v, vlen, &proto->expect_vendor, &proto->expect_device,
					&why) < 0) {
			line_error(c, tok, len, why);
			return -1;
		}
		proto->opts |= OPT_EXPECT;
		return 1;
	}
	if (name_eq(tok, klen, "functions") && eq) {
		if (vlen == 3 && memcmp(v, "one", 3) == 0) {
			proto->opts = (proto->opts & ~OPT_FUNCS_ALL) | OPT_FUNCS_ONE;
		} else if (vlen == 3 && memcmp(v, "all", 3) == 0) {
			proto->opts = (proto->opts & ~OPT_FUNCS_ONE) | OPT_FUNCS_ALL;
		} else {
			line_error(c, tok, len, "functions= takes one or all");
			return -1;
		}
		return 1;
	}
	if (eq) {
		int r = parse_prepare_option(c, proto, tok, len, klen);

		if (r != 0)
			return r;
	}
	if (eq || !looks_like_selector(tok, len)) {
		static const char *const words[] = { "expect", "functions", "whole-group",
						     "allow-boot-vga", "allow-storage",
						     "allow-network", "reset_method", "d3cold",
						     "disable_idle_d3", "vfs", "driver" };
		const char *near = nearest(tok, klen, words, ARRAY_SIZE(words));
		char msg[240];

		snprintf(msg, sizeof(msg), "unknown option%s%s%s (expect=, functions=, "
			 "whole-group, allow-boot-vga, allow-storage, allow-network, "
			 "reset_method=, d3cold=, disable_idle_d3, vfs=, driver=)",
			 near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
		line_error(c, tok, len, msg);
		return -1;
	}
	return 0;
}

static int parse_selector(struct line_ctx *c, struct rule *r, const char *s, size_t len)
{
	const char *why = "empty selector";
	int ret = -EINVAL;

	if (len > 0) {
		switch (r->kind) {
		case RULE_IDS:
			ret = parse_ids(s, len, &r->u.ids, &why);
			break;
		case RULE_ADDR:
			ret = parse_pci_addr(s, len, &r->u.addr, &why);
			break;
		case RULE_PATH:
			ret = parse_path(s, len, &r->u.path, &why);
			break;
		case RULE_CLASS:
			ret = parse_class(s, len, &r->u.cls, &why);
			break;
		}
	}
	if (ret < 0) {
		line_error(c, s, len, why);
		return ret;
	}
	len = len < RULE_TOKEN_LEN ? len : RULE_TOKEN_LEN - 1;
	memcpy(r->token, s, len);
	r->token[len] = '\0';
	return 0;
}

static const struct {
	const char *name;
	enum rule_kind kind;
} kinds[] = {
	{ "ids", RULE_IDS },
	{ "address", RULE_ADDR },
	{ "path", RULE_PATH },
	{ "class", RULE_CLASS },
};

/* A token of a line, where it stands in the text. */
struct span {
	const char *s;
	size_t len;
};

/* What a line says, read token by token; its rules are made at the end. */
struct line_rule {
	struct rule proto;		/* kind, exclude, options */
	bool have_kind;
	struct span kw;			/* the kind (or exclude) keyword */
	struct span opt;		/* the first option, for messages */
	struct span expect;
	struct span sel[SELECTORS_PER_LINE];
	unsigned nsel;
};

static bool next_token(const char **p, const char *end, struct span *t)
{
	const char *q = *p;

	while (q < end && is_blank(*q))
		q++;
	if (q >= end)
		return false;
	t->s = q;
	while (q < end && !is_blank(*q))
		q++;
	t->len = (size_t)(q - t->s);
	*p = q;
	return true;
}

/* Step one: [exclude] KIND.  -1 when the line names no known rule. */
static int read_kind(struct line_ctx *c, struct line_rule *lr, struct span t)
{
	if (!lr->kw.s && name_eq(t.s, t.len, "exclude")) {
		lr->proto.exclude = true;
		lr->kw = t;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (name_eq(t.s, t.len, kinds[i].name)) {
			lr->proto.kind = kinds[i].kind;
			lr->have_kind = true;
		}
	}
	if (!lr->have_kind) {
		static const char *const words[] = { "ids", "address", "path", "class",
						     "exclude" };
		const char *near = nearest(t.s, t.len, words, ARRAY_SIZE(words));
		char why[120];

		snprintf(why, sizeof(why), "unknown rule%s%s%s (expected ids, address, path, "
			 "class or exclude)", near ? "; did you mean " : "", near ? near : "",
			 near ? "?" : "");
		line_error(c, t.s, t.len, why);
		return -1;
	}
	lr->kw = t;
	return 0;
}

/*
 * Step two: one or more comma-separated selectors, each checked now so
 * that the errors come in the order of the line.  -1 when there are too
 * many to keep.
 */
static int read_selectors(struct line_ctx *c, struct line_rule *lr, struct span t)
{
	for (const char *q = t.s; q <= t.s + t.len;) {
		const char *comma = memchr(q, ',', (size_t)(t.s + t.len - q));
		size_t qlen = comma ? (size_t)(comma - q) : (size_t)(t.s + t.len - q);
		struct rule r = { .kind = lr->proto.kind };

		/* "10de:2204, 10de:1aef" and "10de:2204 ,10de:1aef": a comma beside a space */
		if (qlen == 0 && (q == t.s || !comma)) {
			if (!comma)
				break;
			q = comma + 1;
			continue;
		}
		if (qlen == 0) {
			line_error(c, t.s, t.len, "empty selector (two commas in a row)");
			q = comma + 1;
			continue;
		}

		if (lr->nsel == SELECTORS_PER_LINE) {
			line_error(c, q, qlen, "too many selectors on one line");
			return -1;
		}
		if (parse_selector(c, &r, q, qlen) == 0)
			lr->sel[lr->nsel++] = (struct span){ q, qlen };
		if (!comma)
			break;
		q = comma + 1;
	}
	return 0;
}

/* Step three: what only the whole line can tell. */
static bool line_valid(struct line_ctx *c, const struct line_rule *lr)
{
	const struct rule *p = &lr->proto;

	if (!lr->have_kind) {
		if (lr->kw.s)
			line_error(c, lr->kw.s, lr->kw.len,
				   "exclude needs a rule kind (ids, address, path, class)");
		return false;
	}
	if (c->errors)
		return false;
	if (lr->nsel == 0) {
		line_error(c, lr->kw.s, lr->kw.len, "no selector given");
		return false;
	}
	if (p->exclude && p->opts) {
		line_error(c, lr->opt.s, lr->opt.len, "exclude rules take no options");
		return false;
	}
	if (p->kind == RULE_PATH && !p->exclude && !(p->opts & OPT_EXPECT)) {
		line_error(c, lr->sel[0].s, lr->sel[0].len < RULE_TOKEN_LEN ? lr->sel[0].len :
			   RULE_TOKEN_LEN - 1,
			   "path rules need expect=VVVV:DDDD (the device that must be there)");
		return false;
	}
	if ((p->opts & OPT_EXPECT) && p->kind != RULE_PATH && p->kind != RULE_ADDR) {
		line_error(c, lr->expect.s, lr->expect.len,
			   "expect= applies to address and path rules only");
		return false;
	}
	return true;
}

/* Step four: one rule per selector, each with the line's kind and options. */
static void add_rules(struct line_ctx *c, const struct line_rule *lr)
{
	for (unsigned i = 0; i < lr->nsel; i++) {
		struct rule r = lr->proto;

		if (parse_selector(c, &r, lr->sel[i].s, lr->sel[i].len) < 0 ||
		    ruleset_add(c->rs, &r) < 0)
			return;
	}
}

static void parse_line(struct line_ctx *c, const char *s, size_t len)
{
	struct line_rule lr = { .proto = { .file = c->file, .line = c->line } };
	const char *p = s, *end = s + len;
	struct span t;

	while (next_token(&p, end, &t)) {
		int r;

		if (!lr.have_kind) {
			if (read_kind(c, &lr, t) < 0)
				return;
			continue;
		}
		r = parse_option(c, &lr.proto, t.s, t.len);
		if (r > 0 && !lr.opt.s)
			lr.opt = t;
		if (r > 0 && name_eq(t.s, 6, "expect"))
			lr.expect = t;
		if (r == 0 && read_selectors(c, &lr, t) < 0)
			return;
	}
	if (line_valid(c, &lr))
		add_rules(c, &lr);
}

void config_parse(const char *file, const char *buf, size_t len, struct ruleset *rs)
{
	struct line_ctx c = { .rs = rs, .file = ruleset_intern(rs, file) };
	const char *p = buf, *end = buf + len;

	/* A UTF-8 byte order mark, as Windows editors write one: not text. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t l = (size_t)(e - p);
		const char *hash = memchr(p, '#', l);

		c.line++;
		c.errors = 0;
		if (l > LINE_LEN_MAX) {
			line_error(&c, p, 16, "line too long (over 4096 bytes), ignored");
		} else {
			bool bad = false;

			if (hash)
				l = (size_t)(hash - p);
			for (size_t i = 0; i < l; i++) {
				unsigned char ch = (unsigned char)p[i];

				if (ch == '\0' || (ch < 0x20 && !is_blank((char)ch)) || ch >= 0x7f) {
					line_error(&c, p, l,
						   ch == '\0' ? "NUL byte, line ignored" :
						   "control or non-ASCII character, line ignored");
					bad = true;
					break;
				}
			}
			if (!bad)
				parse_line(&c, p, l);
		}
		p = nl ? nl + 1 : end;
	}
}

/* What the words of a command line may add up to. */
#define WORDS_LINE_MAX 1024

/* The words as one config line: "address" is understood before an address. */
int config_parse_words(const char *what, char **words, size_t n, struct ruleset *rs)
{
	char line[WORDS_LINE_MAX];
	size_t used = 0;
	bool kind = n && strcmp(words[0], "exclude") == 0;

	if (n == 0) {
		fprintf(stderr, "vfio-early: %s: name a device or card (0000:09:00, "
			"ids 10de:2204, ...)\n", what);
		return -EINVAL;
	}
	for (size_t i = 0; n && i < ARRAY_SIZE(kinds); i++)
		kind |= strcmp(words[0], kinds[i].name) == 0;
	if (!kind)
		used = (size_t)snprintf(line, sizeof(line), "address");
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(line + used, sizeof(line) - used, "%s%s", used ? " " : "",
				 words[i]);

		if (w < 0 || (size_t)w >= sizeof(line) - used || strchr(words[i], '\n')) {
			fprintf(stderr, "vfio-early: %s: the selection is too long\n", what);
			return -EINVAL;
		}
		used += (size_t)w;
	}
	config_parse(what, line, used, rs);
	return rs->errors ? -EINVAL : 0;
}
