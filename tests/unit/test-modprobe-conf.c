// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one modprobe.d reader (modprobe-conf.c): which files libkmod reads,
 * in which order, their logical lines, and the words of an options line.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "modprobe-conf.h"

struct root {
	char dir[256];
	int fd;
};

static void mkdirs(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

static void put(const struct root *r, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	mkdirs(r->dir, rel);
	snprintf(path, sizeof(path), "%s/%s", r->dir, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void link_to(const struct root *r, const char *rel, const char *target)
{
	char path[512];

	mkdirs(r->dir, rel);
	snprintf(path, sizeof(path), "%s/%s", r->dir, rel);
	CHECK(symlink(target, path) == 0);
}

static int root_open(struct root *r)
{
	snprintf(r->dir, sizeof(r->dir), "%s/ve-mpconf.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(r->dir))
		return -errno;
	r->fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r->fd < 0 ? -errno : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void root_close(struct root *r)
{
	close(r->fd);
	nftw(r->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *next(struct modprobe_lines *it, char *buf, size_t size, unsigned *lineno)
{
	size_t len;

	return modprobe_next_line(it, buf, size, &len, lineno) ? buf : NULL;
}

TEST(lines_join_as_libkmod)
{
	static const char text[] = "options vfio-pci ids=10de:2204,\\\n10de:1aef\n"
				   "# a comment \\\nstill the comment\n"
				   "blacklist nouveau\\x\n"
				   "last";
	struct modprobe_lines it;
	char buf[sizeof(text)];
	unsigned n = 0;

	modprobe_lines_init(&it, text, strlen(text));
	CHECK_STR(next(&it, buf, sizeof(buf), &n), "options vfio-pci ids=10de:2204,10de:1aef");
	CHECK_INT(n, 1);
	CHECK_STR(next(&it, buf, sizeof(buf), &n), "# a comment still the comment");
	CHECK_INT(n, 3);
	CHECK_STR(next(&it, buf, sizeof(buf), &n), "blacklist nouveau\\x");
	CHECK_INT(n, 5);
	CHECK_STR(next(&it, buf, sizeof(buf), &n), "last");
	CHECK(next(&it, buf, sizeof(buf), &n) == NULL);

	/* A short buffer cuts the line, the next one is still found. */
	modprobe_lines_init(&it, text, strlen(text));
	CHECK_STR(next(&it, buf, 8, &n), "options");
	CHECK_STR(next(&it, buf, 8, &n), "# a com");
	CHECK_INT(n, 3);
}

TEST(split_statements)
{
	struct modprobe_stmt st;
	const char *l;

	l = "\toptions  vfio-pci\tids=1:2  disable_vga=1 \t";
	CHECK(modprobe_split(l, strlen(l), &st));
	CHECK_INT(st.cmdlen, 7);
	CHECK(strncmp(st.mod, "vfio-pci", st.modlen) == 0 && st.modlen == 8);
	CHECK(st.restlen == strlen("ids=1:2  disable_vga=1") &&
	      strncmp(st.rest, "ids=1:2  disable_vga=1", st.restlen) == 0);
	l = "  # options vfio-pci ids=1:2";
	CHECK(!modprobe_split(l, strlen(l), &st));
	l = " \t ";
	CHECK(!modprobe_split(l, strlen(l), &st));
	l = "blacklist";
	CHECK(modprobe_split(l, strlen(l), &st));
	CHECK_INT(st.modlen, 0);
	CHECK_INT(st.restlen, 0);
}

static int opts(const char *s, char words[][64], char keys[][64], char vals[][64])
{
	const char *p = s, *end = s + strlen(s);
	struct modprobe_opt o;
	int n = 0;

	while (n < 8 && modprobe_next_opt(&p, end, &o)) {
		snprintf(words[n], 64, "%.*s", (int)o.wlen, o.word);
		snprintf(keys[n], 64, "%.*s", (int)o.klen, o.key);
		snprintf(vals[n], 64, "%s%.*s", o.val ? "=" : "", (int)o.vlen, o.val ? o.val : "");
		n++;
	}
	return n;
}

TEST(option_words_honour_quotes)
{
	char w[8][64], k[8][64], v[8][64];

	CHECK_INT(opts("ids=\"10de:2204,10de:1aef\" disable_vga=1", w, k, v), 2);
	CHECK_STR(w[0], "ids=\"10de:2204,10de:1aef\"");
	CHECK_STR(k[0], "ids");
	CHECK_STR(v[0], "=10de:2204,10de:1aef");
	CHECK_STR(k[1], "disable_vga");
	CHECK_STR(v[1], "=1");

	/* Quotes protect blanks, and may wrap the whole word. */
	CHECK_INT(opts("  \"ids=1:2 3:4\"\tnointxmask # x=1", w, k, v), 4);
	CHECK_STR(k[0], "ids");
	CHECK_STR(v[0], "=1:2 3:4");
	CHECK_STR(w[0], "\"ids=1:2 3:4\"");
	CHECK_STR(k[1], "nointxmask");
	CHECK_STR(v[1], "");
	CHECK_STR(w[2], "#");
	CHECK_STR(k[3], "x");

	CHECK_INT(opts("a=\"unterminated b=2", w, k, v), 1);
	CHECK_STR(v[0], "=unterminated b=2");
	CHECK_INT(opts("", w, k, v), 0);
}

TEST(files_precedence_masking_order)
{
	struct conf_list cl;
	struct root r;
	char path[256];
	size_t len;
	char *buf;

	CHECK(root_open(&r) == 0);
	put(&r, "lib/modprobe.d/b.conf", "options a x=lib\n");
	put(&r, "etc/modprobe.d/b.conf", "options a x=etc\n");
	put(&r, "run/modprobe.d/a.conf", "options a x=run\n");
	put(&r, "usr/lib/modprobe.d/c.conf", "options a x=usr\n");
	put(&r, "lib/modprobe.d/c.conf", "options a x=lib\n");
	put(&r, "usr/lib/modprobe.d/d.conf", "blacklist d\n");
	link_to(&r, "etc/modprobe.d/d.conf", "/dev/null");
	put(&r, "lib/modprobe.d/e.conf", "blacklist e\n");
	put(&r, "usr/local/lib/modprobe.d/e.conf", "");
	put(&r, "etc/modprobe.d/notes.txt", "options a x=txt\n");
	put(&r, "etc/modprobe.d/.hidden.conf", "options a x=dot\n");
	put(&r, "etc/modprobe.d/sub.conf/inner.conf", "options a x=sub\n");

	CHECK(conf_list_open(&cl, r.fd, modprobe_dirs, MODPROBE_NDIRS, 100) == 0);
	CHECK_INT(cl.n, 5);
	if (cl.n == 5) {
		CHECK_STR(cl.v[0].name, "a.conf");
		CHECK_STR(cl.dirs[cl.v[0].dir], "run/modprobe.d");
		CHECK_STR(cl.v[1].name, "b.conf");
		CHECK_STR(cl.dirs[cl.v[1].dir], "etc/modprobe.d");
		CHECK_STR(cl.dirs[cl.v[2].dir], "usr/lib/modprobe.d");
		CHECK(!cl.v[2].masked);
		CHECK_STR(cl.v[3].name, "d.conf");
		CHECK(cl.v[3].masked);
		CHECK_STR(cl.v[4].name, "e.conf");
		CHECK(cl.v[4].masked);
		CHECK_STR(cl.dirs[cl.v[4].dir], "usr/local/lib/modprobe.d");
		buf = conf_list_read(&cl, 3, &len);
		CHECK_STR(buf, "");
		free(buf);
		buf = conf_list_read(&cl, 1, &len);
		CHECK_STR(buf, "options a x=etc\n");
		free(buf);
		CHECK(conf_list_path(&cl, 1, path, sizeof(path)) == 0);
		CHECK_STR(path, "etc/modprobe.d/b.conf");
	}
	/* lib's b.conf, c.conf, d.conf by etc's link, e.conf by an empty file. */
	CHECK_INT(cl.nhidden, 4);
	for (size_t i = 0; i < cl.nhidden; i++)
		if (strcmp(cl.hidden[i].name, "d.conf") == 0)
			CHECK(cl.hidden[i].by_masked && cl.hidden[i].by == 0);
	conf_list_free(&cl);

	/* A limit on the files of a directory. */
	CHECK(conf_list_open(&cl, r.fd, modprobe_dirs, MODPROBE_NDIRS, 1) == 0);
	CHECK(cl.full[0]);
	conf_list_free(&cl);
	root_close(&r);
}

TEST(merged_usr_is_one_directory)
{
	struct conf_list cl;
	struct root r;

	CHECK(root_open(&r) == 0);
	put(&r, "usr/lib/modprobe.d/vfio.conf", "options vfio-pci ids=10de:2204\n");
	link_to(&r, "lib", "usr/lib");
	CHECK(conf_list_open(&cl, r.fd, modprobe_dirs, MODPROBE_NDIRS, 100) == 0);
	CHECK_INT(cl.n, 1);
	CHECK_INT(cl.nhidden, 0);
	conf_list_free(&cl);
	root_close(&r);
}

TEST(options_as_libkmod_gives_them)
{
	struct root r;
	char *o;

	CHECK(root_open(&r) == 0);
	put(&r, "etc/modprobe.d/b.conf", "options vfio_pci\tdisable_vga=1\n"
	    "options vfio-pci-core x=1\n# options vfio-pci ids=1:1\n");
	put(&r, "lib/modprobe.d/a.conf", "options vfio-pci ids=10de:2204,\\\n10de:1aef\n"
	    "options vfio-pci\n");
	put(&r, "proc/cmdline", "quiet vfio_pci.ids=\"8086:56a0\" vfio-pci nouveau.modeset=0 "
	    "\"vfio-pci.x=a b\"\n");
	o = modprobe_options(r.fd, "vfio-pci");
	CHECK_STR(o, "ids=10de:2204,10de:1aef disable_vga=1 ids=8086:56a0 x=\"a b\"");
	free(o);
	o = modprobe_options(r.fd, "nouveau");
	CHECK_STR(o, "modeset=0");
	free(o);
	o = modprobe_options(r.fd, "snd_hda_intel");
	CHECK_STR(o, "");
	free(o);
	root_close(&r);
}
