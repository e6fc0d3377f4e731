// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel command line: vfio_early=off, vfio_early.ids=, .devices=,
 * .allow_boot_vga=, .dry_run=, the legacy vfio-pci.ids=, and root=.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "log.h"
#include "rules.h"
#include "util.h"

#define CMDLINE_FILE "/proc/cmdline"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool cmdline_next(const char **pos, const char *end, struct cmdline_tok *t)
{
	const char *p = *pos, *s, *e, *eq = NULL;
	bool quoted = false;

	while (p < end && is_space(*p))
		p++;
	if (p >= end || *p == '\0')
		return false;
	s = p;
	for (; p < end && *p != '\0'; p++) {
		if (is_space(*p) && !quoted)
			break;
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '=' && !eq)
			eq = p;
	}
	e = p;
	*pos = p;
	/* "--" hands the rest to init: nothing after it is ours. */
	if (e - s == 2 && s[0] == '-' && s[1] == '-')
		return false;

	if (*s == '"') {
		/* "key=value with spaces": the quotes enclose the whole token. */
		s++;
		if (e > s && e[-1] == '"')
			e--;
	}
	if (eq && eq < e) {
		t->key = s;
		t->klen = (size_t)(eq - s);
		t->val = eq + 1;
		t->vlen = (size_t)(e - t->val);
		if (t->vlen >= 1 && t->val[0] == '"') {
			t->val++;
			t->vlen--;
			if (t->vlen >= 1 && t->val[t->vlen - 1] == '"')
				t->vlen--;
		}
	} else {
		t->key = s;
		t->klen = (size_t)(e - s);
		t->val = NULL;
		t->vlen = 0;
	}
	return true;
}

static int parse_bool(const char *v, size_t len, bool *out)
{
	static const char *const yes[] = { "1", "y", "yes", "true", "on" };
	static const char *const no[] = { "0", "n", "no", "false", "off" };

	if (!v) {
		*out = true;	/* a bare flag */
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strlen(yes[i]) == len && strncasecmp(v, yes[i], len) == 0)
			return *out = true, 0;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strlen(no[i]) == len && strncasecmp(v, no[i], len) == 0)
			return *out = false, 0;
	return -EINVAL;
}

static void add_rule(struct ruleset *rs, struct rule *r, const char *tok, size_t len)
{
	size_t n = len < RULE_TOKEN_LEN ? len : RULE_TOKEN_LEN - 1;

	memcpy(r->token, tok, n);
	r->token[n] = '\0';
	ruleset_add(rs, r);
}

/* The legacy vfio-pci.ids=, read the way vfio-pci reads it (parse.c's ids_iter). */
static void add_legacy_ids(struct ruleset *rs, const char *where, const char *key,
			   const char *val, size_t vlen)
{
	struct ids_iter it;
	const char *p;
	size_t len;

	ids_iter_init(&it, val, vlen);
	while (ids_iter_next(&it, &p, &len)) {
		struct rule r = { .kind = RULE_IDS, .key = key, .legacy = true };
		const char *why = NULL;

		if (parse_kernel_ids(p, len, &r.u.ids, &why) < 0)
			rule_error(rs, where, 0, p, len, why);
		else
			add_rule(rs, &r, p, len);
	}
}

/*
 * One comma-separated list of ids or addresses into rules.  Our own keys
 * are strict (an empty element is an error); the legacy vfio-pci.ids= is
 * vfio-pci's format.
 */
static void add_list(struct ruleset *rs, const char *where, const char *key,
		     enum rule_kind kind, const struct cmdline_tok *t)
{
	const char *p = t->val, *end;

	if (!t->val || t->vlen == 0) {
		/* "/proc/cmdline: vfio_early.ids=: empty list" */
		rule_error(rs, CMDLINE_FILE, 0, t->key, t->klen + (t->val ? 1 : 0),
			   "empty list, ignored");
		return;
	}
	if (strcmp(key, "vfio-pci.ids") == 0) {
		add_legacy_ids(rs, where, key, t->val, t->vlen);
		return;
	}
	end = t->val + t->vlen;	/* not before: NULL + 0 is undefined */
	/*
	 * Like a config line, a list with a bad element is skipped whole:
	 * every bad element is named first, then the good ones are kept only
	 * when there was none.
	 */
	for (int pass = 0; pass < 2; pass++) {
		unsigned bad = 0;

		for (p = t->val; p <= end;) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			size_t len = c ? (size_t)(c - p) : (size_t)(end - p);
			struct rule r = { .kind = kind, .key = key };
			const char *why = NULL;
			int ret;

			if (len == 0)
				ret = (why = "empty list element", -EINVAL);
			else if (kind == RULE_IDS)
				ret = parse_ids(p, len, &r.u.ids, &why);
			else
				ret = parse_pci_addr(p, len, &r.u.addr, &why);
			if (ret < 0 && pass == 0) {
				char msg[160];

				snprintf(msg, sizeof(msg), "%s; the whole list is ignored", why);
				/* nothing to show of an empty element: show its list */
				rule_error(rs, where, 0, len ? p : t->val, len ? len : t->vlen, msg);
				bad++;
			} else if (ret == 0 && pass == 1) {
				add_rule(rs, &r, p, len);
			}
			if (!c)
				break;
			p = c + 1;
		}
		if (bad)
			return;
	}
}

static void set_string(char **dst, const char *s, size_t len)
{
	char *copy;

	if (!s || len == 0 || len >= 4096 || !(copy = strndup(s, len)))
		return;
	free(*dst);
	*dst = copy;
}

/* root= values and parameters that mount the root over the network. */
static bool network_root(const struct cmdline_tok *t)
{
	static const char *const roots[] = { "/dev/nfs", "nfs:", "nfs4:", "cifs:", "iscsi:",
					     "nbd:", "dhcp", "dhcp6" };
	static const char *const keys[] = { "nfsroot", "netroot", "nbdroot", "iscsi_target_name",
					    "rd.iscsi.firmware", "rd.iscsi.ibft" };

	if (name_eq(t->key, t->klen, "root")) {
		for (size_t i = 0; t->val && i < ARRAY_SIZE(roots); i++) {
			size_t n = strlen(roots[i]);

			if (t->vlen >= n && memcmp(t->val, roots[i], n) == 0 &&
			    (roots[i][n - 1] == ':' || t->vlen == n))
				return true;
		}
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (name_eq(t->key, t->klen, keys[i]))
			return true;
	return false;
}

/*
 * The interface of ip=: the sixth field of
 * client:server:gateway:netmask:hostname:device:autoconf, or the first of
 * dracut's device:autoconf.
 */
static void ip_device(const struct cmdline_tok *t, struct ruleset *rs)
{
	const char *s = t->val, *end = t->val + t->vlen, *f[8];
	unsigned n = 0;

	if (!s)
		return;
	f[n++] = s;
	for (const char *c = s; c < end && n < ARRAY_SIZE(f); c++)
		if (*c == ':')
			f[n++] = c + 1;
	if (n >= 7) {
		const char *e = memchr(f[5], ':', (size_t)(end - f[5]));

		set_string(&rs->net_dev, f[5], (size_t)((e ? e : end) - f[5]));
	} else if (n == 2 || n == 3) {
		set_string(&rs->net_dev, f[0], (size_t)(f[1] - 1 - f[0]));
	}
}

void cmdline_parse(const char *buf, size_t len, struct ruleset *rs)
{
	const char *pos = buf, *end = buf + len;
	struct cmdline_tok t;

	while (cmdline_next(&pos, end, &t)) {
		bool b;

		if (network_root(&t)) {
			char tok[128];

			snprintf(tok, sizeof(tok), "%.*s%s%.*s", (int)(t.klen > 40 ? 40 : t.klen),
				 t.key, t.val ? "=" : "", t.val ? (int)(t.vlen > 80 ? 80 : t.vlen) : 0,
				 t.val ? t.val : "");
			set_string(&rs->net_root, tok, strlen(tok));
		}
		if (name_eq(t.key, t.klen, "resume")) {
			set_string(&rs->resume_spec, t.val, t.val ? t.vlen : 0);
		} else if (name_eq(t.key, t.klen, "ip")) {
			ip_device(&t, rs);
		} else if (name_eq(t.key, t.klen, "root")) {
			if (t.val && t.vlen > 0 && t.vlen < 4096) {
				char *s = strndup(t.val, t.vlen);

				if (s) {
					free(rs->root_spec);
					rs->root_spec = s;
				}
			}
		} else if (name_eq(t.key, t.klen, "vfio_pci.ids")) {
			add_list(rs, CMDLINE_FILE ": vfio-pci.ids", "vfio-pci.ids", RULE_IDS, &t);
		} else if (name_eq(t.key, t.klen, "vfio_early")) {
			/* A kill switch that cannot be read is read as off: it must not bind. */
			if (parse_bool(t.val, t.vlen, &b) < 0) {
				rule_error(rs, CMDLINE_FILE ": vfio_early", 0, t.val, t.vlen,
					   "expected on or off; read as off, so nothing is bound");
				rs->off = true;
			} else {
				rs->off = !b;
			}
		} else if (name_eq(t.key, t.klen, "vfio_early.ids")) {
			add_list(rs, CMDLINE_FILE ": vfio_early.ids", "vfio_early.ids", RULE_IDS,
				 &t);
		} else if (name_eq(t.key, t.klen, "vfio_early.devices")) {
			add_list(rs, CMDLINE_FILE ": vfio_early.devices", "vfio_early.devices",
				 RULE_ADDR, &t);
		} else if (name_eq(t.key, t.klen, "vfio_early.allow_boot_vga")) {
			if (parse_bool(t.val, t.vlen, &b) < 0)
				rule_error(rs, CMDLINE_FILE ": vfio_early.allow_boot_vga", 0,
					   t.val, t.vlen, "expected 1 or 0, ignored");
			else
				rs->allow_boot_vga = b;
		} else if (name_eq(t.key, t.klen, "vfio_early.dry_run")) {
			if (parse_bool(t.val, t.vlen, &b) < 0)
				rule_error(rs, CMDLINE_FILE ": vfio_early.dry_run", 0, t.val,
					   t.vlen, "expected 1 or 0, ignored");
			else
				rs->dry_run = b;
		} else if (t.klen >= 10 && name_eq(t.key, 10, "vfio_early")) {
			/* vfio_early.idz=, vfio_early_ids=, vfio-earlyids=... */
			rule_error(rs, CMDLINE_FILE, 0, t.key, t.klen,
				   "unknown vfio_early option, ignored");
		}
	}
}
