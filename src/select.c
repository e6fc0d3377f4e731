// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early select DEVICE|SLOT [--append]: the one config rule that hands
 * over the card at DEVICE (report-suggest.c's first rule: the slot when the
 * card fills it, the ids when no other device has them, the functions'
 * addresses otherwise; allow-boot-vga when it is the boot display), judged
 * alone by the safety policy, then the dry run of the config with that rule
 * added.  With --append the rule goes into the config file, once.
 *
 * Exit status: that of the dry run (vfio-early(8)); 1 for a bad token, no
 * device there, or a rule already in the config; 4 when the safety policy
 * refuses the card whatever the rule (nothing is printed to paste then).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card.h"
#include "cmdline.h"
#include "config.h"
#include "log.h"
#include "modes.h"
#include "pci.h"
#include "plan.h"
#include "protect.h"
#include "report-suggest.h"
#include "rules.h"
#include "sources.h"
#include "util.h"

#define PROVENANCE "# added by vfio-early select "

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* @n hex digits at @s, then @end ('\0' or a separator). */
static bool hex_run(const char *s, size_t n, char end)
{
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return s[n] == end;
}

/*
 * The forms lspci and the kernel print, and no other: 0000:09:00.0,
 * 09:00.0, 0000:09:00 and 09:00 (a slot: the card in it).
 */
static int parse_token(const char *tok, struct pci_addr *a)
{
	const char *s = tok, *why;
	size_t len = strlen(tok);

	if (len >= 5 && hex_run(s, 4, ':') && hex_run(s + 5, 2, ':'))
		s += 5;
	if (!hex_run(s, 2, ':') || !(hex_run(s + 3, 2, '\0') ||
				     (hex_run(s + 3, 2, '.') && s[6] >= '0' && s[6] <= '7' &&
				      s[7] == '\0'))) {
		fprintf(stderr, "vfio-early: select: '%s': not a PCI device or slot (0000:09:00.0, "
			"09:00.0 or 09:00)\n", tok);
		return -EINVAL;
	}
	if (parse_pci_addr(tok, len, a, &why) < 0) {
		fprintf(stderr, "vfio-early: select: '%s': %s\n", tok, why);
		return -EINVAL;
	}
	return 0;
}

/*
 * The device @a names: that function, or for a slot its display function
 * (the card a user means), else its first function.
 */
static struct pci_dev *find_lead(struct pci_tree *t, const struct pci_addr *a)
{
	struct pci_dev *first = NULL;

	if (a->has_func)
		return pci_find(t, a);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_dev *d = &t->dev[i];

		if (d->addr.domain != a->domain || d->addr.bus != a->bus || d->addr.slot != a->slot)
			continue;
		if (pci_base_class(d) == 0x03)
			return d;
		if (!first || d->addr.func < first->addr.func)
			first = d;
	}
	return first;
}

/*
 * Why the safety policy refuses the card with @rule as the only rule (the
 * host's needs as a boot on this machine resolves them); "" when it does not.
 */
static int judge(const struct mode_ctx *c, struct pci_tree *t, const char *rule, char *why,
		 size_t size)
{
	struct ruleset cmd = { 0 }, only = { 0 };
	struct protect_sources src = { 0 };
	struct protect prot = { 0 };
	struct plan pl = { 0 };
	_cleanup_free_ char *cmdline = NULL;
	size_t len;
	int ret = 0;

	why[0] = '\0';
	cmdline = read_file_at(c->rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (cmdline)
		cmdline_parse(cmdline, len, &cmd);
	protect_sources_from(&src, &cmd);
	/* The dry run that follows says all this judgement would log. */
	log_setup(c->rootfd, c->verbose ? LOG_TO_STDERR : 0, c->verbose);
	protect_for_run(&prot, t, c->rootfd, c->live, &src, NULL);
	config_parse("vfio-early select", rule, strlen(rule), &only);
	if (only.errors || only.n != 1) {
		snprintf(why, size, "the rule does not parse (a bug: please report it)");
		ret = -EINVAL;
	} else if (plan_build(&pl, t, &only, &prot) < 0) {
		ret = -ENOMEM;
	}
	for (size_t k = 0; ret == 0 && k < pl.n; k++) {
		if (plan_refused(&pl.v[k]) && pl.v[k].code != REF_ORIGIN && pl.v[k].code != REF_CARD) {
			snprintf(why, size, "%s %s", pl.v[k].dev->name, pl.v[k].reason);
			break;
		}
	}
	for (size_t k = 0; ret == 0 && !why[0] && k < pl.n; k++)
		if (plan_refused(&pl.v[k]))
			snprintf(why, size, "%s %s", pl.v[k].dev->name, pl.v[k].reason);
	log_setup(c->rootfd, LOG_TO_STDERR, c->verbose);
	plan_free(&pl);
	protect_free(&prot);
	ruleset_free(&only);
	ruleset_free(&cmd);
	return ret;
}

/* " a  b " and "a b" are the same rule. */
static bool same_words(const char *a, size_t alen, const char *b)
{
	const char *ae = a + alen;

	for (;;) {
		while (a < ae && (*a == ' ' || *a == '\t'))
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (a == ae || *a == '#' || !*b)
			return (a == ae || *a == '#') && !*b;
		while (a < ae && *b && *a != ' ' && *a != '\t' && *a != '#' && *a == *b) {
			a++;
			b++;
		}
		if (a < ae && *a != ' ' && *a != '\t' && *a != '#')
			return false;
		if (*b && *b != ' ' && *b != '\t')
			return false;
	}
}

/* The line number of @rule in @buf, 0 when it is not there. */
static unsigned find_rule(const char *buf, size_t len, const char *rule)
{
	const char *p = buf, *end = buf + len;
	unsigned line = 1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (same_words(p, n, rule))
			return line;
		p += n + 1;
		line++;
	}
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Write @old (may be empty), then the provenance comment and @rule, to
 * @path: a temporary file beside it renamed over it, with its mode.
 */
static int write_config(const char *path, const char *old, size_t len, const char *lead,
			const char *rule, mode_t mode)
{
	char tmp[PATH_MAX], tail[SUGGEST_LEN + 96];
	int fd, r;

	if (xsnprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) < 0)
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	snprintf(tail, sizeof(tail), "%s" PROVENANCE "%s\n%s\n",
		 len && old[len - 1] != '\n' ? "\n" : "", lead, rule);
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = write_all(fd, old, len);
	if (r == 0)
		r = write_all(fd, tail, strlen(tail));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The config file as a path from here: --config, or DIR/etc/vfio-early.conf. */
static void config_path(const struct mode_ctx *c, char *buf, size_t size)
{
	if (c->config)
		snprintf(buf, size, "%s", c->config);
	else
		snprintf(buf, size, "%s/%s", strcmp(c->root, "/") ? c->root : "", CONFIG_FILE);
}

/*
 * The config's contents (NULL and *len 0 when it does not exist yet), and
 * the file to write: a link is followed to the file it names.
 */
static int read_config(const char *path, char *target, size_t size, char **buf, size_t *len,
		       mode_t *mode)
{
	struct stat st;

	*buf = NULL;
	*len = 0;
	*mode = 0644;
	if (!realpath(path, target)) {
		if (errno != ENOENT)
			return -errno;
		snprintf(target, size, "%s", path);
		return 0;
	}
	if (stat(target, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*mode = st.st_mode & 07777;
	*buf = read_file_at(AT_FDCWD, target, CONFIG_MAX, len);
	return *buf ? 0 : -errno;
}

/*
 * Make the directories of @rel (a relative path) below @dirfd; the number
 * made, for undo_dirs.
 */
static int make_dirs(int dirfd, const char *rel)
{
	char buf[PATH_MAX];
	int made = 0;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dirfd, buf, 0700) == 0)
			made++;
		else if (errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return made;
}

static void undo_dirs(int dirfd, const char *rel)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", rel);
	while ((p = strrchr(buf, '/'))) {
		*p = '\0';
		unlinkat(dirfd, buf, AT_REMOVEDIR);
	}
}

/*
 * The dry run of the config with @rule at its end.  The copy sits in a
 * private directory, at the config's own name below it, and the dry run
 * runs from there: its lines name the config as the user knows it.
 */
static int dry_run_with(const struct mode_ctx *c, const char *old, size_t len, const char *lead,
			const char *rule)
{
	const char *tmpdir = getenv("TMPDIR"), *name = sources_config_name(c->config);
	char dir[PATH_MAX], file[PATH_MAX + 32];
	struct mode_ctx copy = *c;
	int r, here, dirfd = -1;

	while (*name == '/')
		name++;
	if (strstr(name, "..") || strlen(name) >= sizeof(file) - strlen("/") - PATH_MAX / 2)
		name = "vfio-early.conf";
	if (xsnprintf(dir, sizeof(dir), "%s/vfio-early-select.XXXXXX",
		      tmpdir && *tmpdir ? tmpdir : "/tmp") < 0 || !mkdtemp(dir)) {
		fprintf(stderr, "vfio-early: select: cannot make a directory for the dry run: %s\n",
			strerror(errno));
		return EXIT_USAGE;
	}
	here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = here < 0 || dirfd < 0 ? -errno : make_dirs(dirfd, name);
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	if (r >= 0)
		r = write_config(file, old ? old : "", len, lead, rule, 0600);
	if (r >= 0 && fchdir(dirfd) < 0)
		r = -errno;
	if (r < 0) {
		fprintf(stderr, "vfio-early: select: %s: %s\n", file, strerror(-r));
		r = EXIT_USAGE;
	} else {
		copy.config = name;
		fflush(stdout);
		r = boot_run(&copy, &(struct boot_options){ .dry_run = true });
		if (fchdir(here) < 0)
			r |= EXIT_USAGE;
	}
	unlink(file);
	if (dirfd >= 0) {
		undo_dirs(dirfd, name);
		close(dirfd);
	}
	if (here >= 0)
		close(here);
	rmdir(dir);
	return r;
}

/*
 * A card whose IOMMU group holds, besides it, only other functions of its
 * own slot (a GPU with another maker's audio beside it): a VM needs the
 * group whole, so the rule is the slot's address.  @buf gets the rule, and
 * 1 is returned; 0 when the card's own rule stands.
 */
static int slot_for_group(struct pci_tree *t, const struct suggestion *s, char *buf,
			  size_t size)
{
	const struct pci_dev *d = s->card.fn[0];
	_cleanup_free_ struct pci_dev **mem = NULL;
	char slot[PCI_ADDR_STRLEN];
	struct pci_addr a = d->addr;
	size_t n = 0;
	bool extra = false;

	for (size_t i = 1; i < s->card.n; i++)
		if (!pci_same_slot(s->card.fn[i], d))
			return 0;
	if (d->iommu_group < 0 || pci_group_members(t, d->iommu_group, &mem, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (pci_card_has(&s->card, mem[i]))
			continue;
		if (!pci_same_slot(mem[i], d))
			return 0;
		extra = true;
	}
	if (!extra)
		return 0;
	a.has_func = false;
	format_pci_addr(&a, slot);
	snprintf(buf, size, "address %s%s", slot, s->boot_vga ? " allow-boot-vga" : "");
	return 1;
}

/*
 * "card: ..." and, for a slot shared with another maker's functions, those:
 * taken along when @whole (the slot rule of slot_for_group), else left to
 * the host (an APU's chipset functions) and said only when a slot was asked.
 */
static void describe_card(const struct pci_tree *t, const struct pci_card *card,
			  const struct pci_addr *a, bool whole)
{
	const struct pci_dev *d0 = card->fn[0];
	bool others = false;

	printf("card:");
	for (size_t i = 0; i < card->n; i++)
		printf(" %s [%04x:%04x]", card->fn[i]->name, card->fn[i]->vendor,
		       card->fn[i]->device);
	printf("\n");
	if (a->has_func && !whole)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_dev *d = &t->dev[i];

		if (!pci_same_slot(d, d0) || pci_card_has(card, d))
			continue;
		printf("%s %s", others ? "" : whole ? "in its IOMMU group and slot, taken along "
		       "(a VM needs the group whole):" : "not of the card, left to the host:", d->name);
		others = true;
	}
	if (others)
		printf("\n");
}

/* The rule into the config (--append) or a copy of it, then the dry run: its status. */
static int add_and_check(const struct mode_ctx *c, const char *lead, const char *rule,
			 bool append)
{
	char path[PATH_MAX], target[PATH_MAX];
	_cleanup_free_ char *old = NULL;
	size_t len = 0;
	mode_t mode;
	unsigned line;
	int ret, r;

	config_path(c, path, sizeof(path));
	r = read_config(path, target, sizeof(target), &old, &len, &mode);
	if (r < 0) {
		fprintf(stderr, "vfio-early: select: %s: %s\n", path,
			r == -EINVAL ? "not a regular file" : strerror(-r));
		return EXIT_USAGE;
	}
	line = old ? find_rule(old, len, rule) : 0;
	if (line && append) {
		fprintf(stderr, "vfio-early: select: %s:%u already has this rule; not added again\n",
			sources_config_name(c->config), line);
		return EXIT_USAGE;
	}
	if (append) {
		r = write_config(target, old ? old : "", len, lead, rule, mode);
		if (r < 0) {
			fprintf(stderr, "vfio-early: select: %s: %s\n", target, strerror(-r));
			return EXIT_USAGE;
		}
		printf("added to %s\n", sources_config_name(c->config));
	}
	printf("dry run of %s%s:\n", sources_config_name(c->config),
	       line ? ", which has it already" : append ? "" : " with the rule added");
	fflush(stdout);
	if (line || append)
		ret = boot_run(c, &(struct boot_options){ .dry_run = true });
	else
		ret = dry_run_with(c, old, len, lead, rule);
	if (!line && !append)
		printf("to add it: vfio-early select --append %s\n", lead);
	else if (append)
		printf("next: rebuild the initramfs and reboot\n");
	return ret;
}

static int select_run(const struct mode_ctx *c, const char *tok, bool append)
{
	struct pci_tree t = { .devfd = -1 };
	struct pci_addr a;
	struct pci_dev *d;
	struct suggestion *s = NULL;
	char lead[PCI_ADDR_STRLEN], why[PLAN_REASON_LEN + 64];
	bool whole;
	int ret = EXIT_USAGE;

	if (parse_token(tok, &a) < 0)
		return EXIT_USAGE;
	format_pci_addr(&a, lead);
	if (pci_scan(&t, c->rootfd) < 0) {
		fprintf(stderr, "vfio-early: select: cannot read /sys/bus/pci/devices: %s\n",
			strerror(errno));
		goto out;
	}
	d = find_lead(&t, &a);
	if (!d) {
		fprintf(stderr, "vfio-early: select: %s: no PCI device there\n", lead);
		goto out;
	}
	s = malloc(sizeof(*s));
	if (!s)
		goto out;
	suggest_card_rules(&t, d, s);
	whole = s->n > 0 && slot_for_group(&t, s, s->rule[0], sizeof(s->rule[0]));
	describe_card(&t, &s->card, &a, whole);
	if (s->n == 0) {
		fprintf(stderr, "vfio-early: select: %s: no rule selects this card alone\n", lead);
		goto out;
	}
	if (judge(c, &t, s->rule[0], why, sizeof(why)) < 0) {
		fprintf(stderr, "vfio-early: select: %s: %s\n", lead, why[0] ? why : strerror(ENOMEM));
		goto out;
	}
	if (why[0]) {
		printf("cannot hand over: %s\n", why);
		ret = EXIT_REFUSED;
		goto out;
	}
	printf("rule: %s\n", s->rule[0]);
	ret = add_and_check(c, lead, s->rule[0], append);
out:
	free(s);
	pci_tree_free(&t);
	return ret;
}

static void select_usage(FILE *out)
{
	fputs("Usage: vfio-early select [--append] [--root DIR] [--config FILE] DEVICE|SLOT\n"
	      "\n"
	      "Print the rule that hands the card at DEVICE (0000:09:00.0, 09:00.0) or in\n"
	      "SLOT (09:00) to vfio-pci, then the dry run of the config with it added.\n"
	      "\n"
	      "  -a, --append       add the rule to the config (once, with a comment)\n"
	      "  -c, --config FILE  the config instead of /etc/vfio-early.conf\n"
	      "  -r, --root DIR     use DIR as the root of every path\n"
	      "  -v, --verbose      log debug details\n"
	      "  -h, --help         print this help\n",
	      out);
}

int select_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "append", no_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root_arg = "/";
	struct mode_ctx c = { 0 };
	char root[PATH_MAX];
	bool append = false;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "ac:r:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			append = true;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'r':
			root_arg = optarg;
			break;
		case 'v':
			c.verbose = true;
			break;
		case 'h':
			select_usage(stdout);
			return 0;
		default:
			select_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vfio-early: select: %s\n", optind == argc ?
			"which device? (0000:09:00.0, 09:00.0 or 09:00)" : "one device at a time");
		return EXIT_USAGE;
	}
	if (!realpath(root_arg, root)) {
		fprintf(stderr, "vfio-early: --root %s: %s\n", root_arg, strerror(errno));
		return EXIT_USAGE;
	}
	c.root = root;
	c.live = strcmp(root, "/") == 0;
	c.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0) {
		fprintf(stderr, "vfio-early: %s: %s\n", root, strerror(errno));
		return EXIT_USAGE;
	}
	log_setup(c.rootfd, LOG_TO_STDERR, c.verbose);
	/* A reader that stops early (| head) must not leave the dry run's copy behind. */
	signal(SIGPIPE, SIG_IGN);
	ret = select_run(&c, argv[optind], append);
	close(c.rootfd);
	return ret;
}
