// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --import without the binary: its model (strings, statements,
 * findings) and legacy_scan(), the findings --report shows, on fixture
 * hosts with the recipes users follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "fixture.h"
#include "import.h"

TEST(strings_are_made_safe_and_cut)
{
	struct sbuf b = { 0 };
	char *s;

	sb_add(&b, "a");
	sb_addf(&b, "%d-%s", 42, "x");
	sb_add_shown(&b, "\t\x01z\x7f", 4, 10);
	sb_add_shown(&b, "abcdef", 6, 3);
	s = sb_take(&b);
	CHECK_STR(s, "a42-x ?z?abc...");
	free(s);
	s = sb_take(&b);
	CHECK_STR(s, "");
	free(s);
}

TEST(statements_split_up_to_a_comment)
{
	struct imp im = { 0 };
	struct stmt s = { .where = "f:1", .line = " softdep\tnouveau pre: vfio-pci # why" };
	bool drop[IMPORT_WORDS_MAX] = { false };
	char *t;

	s.len = strlen(s.line);
	imp_split_words(&im, &s);
	CHECK_INT(s.n, 4);
	drop[1] = true;
	t = imp_words_without(&s, drop);
	CHECK_STR(t, "softdep pre: vfio-pci");
	free(t);
	CHECK_INT(im.warnings, 0);
}

TEST(ids_are_formatted_and_matched)
{
	struct pci_ids id = { .vendor = 0x10de, .device = 0x2204 };
	struct pci_dev d = { .vendor = 0x10de, .device = 0x2204, .subvendor = 0x10de,
			     .subdevice = 0x1492 };
	char buf[32];

	imp_format_id(&id, buf, sizeof(buf));
	CHECK_STR(buf, "10de:2204");
	CHECK(imp_id_matches(&id, &d));
	id.has_sub = true;
	id.subvendor = 0x10de;
	id.subdevice = 0x1493;
	imp_format_id(&id, buf, sizeof(buf));
	CHECK_STR(buf, "10de:2204:10de:1493");
	CHECK(!imp_id_matches(&id, &d));
}

static const struct legacy_line *find(const struct legacy_line *v, size_t n, const char *where)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].where, where) == 0)
			return &v[i];
	return NULL;
}

TEST(scan_of_the_guide_recipe)
{
	struct legacy_line *v = NULL;
	const struct legacy_line *l;
	char root[300];
	size_t n = 0, nids = 0;
	struct mode_ctx c = { 0 };
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	fx_put(f.rootfd, "etc/modprobe.d/vfio.conf",
	       "options vfio-pci ids=\"10de:2204,10de:1aef\" disable_vga=1\n"
	       "softdep nouveau pre: vfio-pci\n");
	fx_put(f.rootfd, "lib/modprobe.d/vfio.conf", "blacklist snd_hda_intel\n");
	snprintf(root, sizeof(root), "%s/root", f.dir);
	c.rootfd = f.rootfd;
	c.root = root;
	CHECK(legacy_scan(&c, &v, &n, &nids) == 0);
	CHECK_INT(nids, 2);
	l = find(v, n, "/etc/modprobe.d/vfio.conf:1");
	CHECK(l != NULL);
	if (l) {
		CHECK_INT(l->v, LEGACY_EDIT);
		CHECK(l->gave_ids);
		CHECK_STR(l->edit, "options vfio-pci disable_vga=1");
	}
	l = find(v, n, "/etc/modprobe.d/vfio.conf:2");
	CHECK(l != NULL && l->v == LEGACY_DROP);
	/* /etc's vfio.conf hides /lib's: its blacklist is never read. */
	CHECK(find(v, n, "/lib/modprobe.d/vfio.conf:1") == NULL);
	legacy_free(v, n);
	fx_free(&f);
}

TEST(scan_of_a_host_without_a_recipe)
{
	struct legacy_line *v = NULL;
	struct mode_ctx c = { 0 };
	size_t n = 1, nids = 1;
	char root[300];
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	fx_put(f.rootfd, "proc/cmdline", "quiet\n");
	snprintf(root, sizeof(root), "%s/root", f.dir);
	c.rootfd = f.rootfd;
	c.root = root;
	CHECK(legacy_scan(&c, &v, &n, &nids) == 0);
	CHECK_INT(n, 0);
	CHECK_INT(nids, 0);
	legacy_free(v, n);
	fx_free(&f);
}
