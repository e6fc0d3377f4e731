// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading for vfio-early --import: every modprobe.d, module-list and dracut
 * file, and the kernel command line, read once into statements (im->e).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "import-read.h"
#include "log.h"
#include "modprobe-conf.h"

/* ---- reading files ----------------------------------------------------------- */

/* Has this file (the same inode under another name) been read already? */
static bool seen_before(struct imp *im, int dirfd, const char *name)
{
	struct stat st;
	void *v;

	if (fstatat(dirfd, name, &st, 0) < 0)
		return false;
	for (size_t i = 0; i < im->nseen; i++)
		if (im->seen[i].dev == st.st_dev && im->seen[i].ino == st.st_ino)
			return true;
	v = realloc(im->seen, (im->nseen + 1) * sizeof(*im->seen));
	if (!v)
		return false;
	im->seen = v;
	im->seen[im->nseen].dev = st.st_dev;
	im->seen[im->nseen].ino = st.st_ino;
	im->nseen++;
	return false;
}

/* A file that could not be read is reported, unless it is simply absent. */
static void read_failed(struct imp *im, const char *shown)
{
	if (errno != ENOENT && errno != EISDIR)
		imp_warn_at(im, shown, "(file)", 6, "%s, not read",
			    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
}

/* The lines of a module list or dracut file (no continuation lines there). */
struct line_iter {
	const char *p;
	const char *end;
	unsigned next;
};

static bool next_line(struct line_iter *it, const char **line, size_t *len, unsigned *lineno)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*line = it->p;
	*len = (size_t)((nl ? nl : it->end) - it->p);
	*lineno = ++it->next;
	it->p = nl ? nl + 1 : it->end;
	return true;
}

/* "FILE:LINE" and the line as shown. */
static char *where_of(const char *file, unsigned line)
{
	struct sbuf b = { 0 };

	sb_add_shown(&b, file, strlen(file), 512);
	if (line)
		sb_addf(&b, ":%u", line);
	return sb_take(&b);
}

/* ---- reading: every statement once, into im->e ---------------------------- */

static void add_entry(struct imp *im, struct entry *e)
{
	struct entry *v;

	if (!e->where || !e->text)
		goto oom;
	v = realloc(im->e, (im->ne + 1) * sizeof(*v));
	if (!v)
		goto oom;
	im->e = v;
	im->e[im->ne++] = *e;
	return;
oom:
	im->oom = true;
	free(e->where);
	free(e->text);
}

static void add_line(struct imp *im, const char *shown, unsigned lineno, const char *line,
		     size_t len, enum entry_src src, bool in_etc)
{
	struct entry e = { .src = src, .in_etc = in_etc, .len = len };

	e.where = where_of(shown, lineno);
	e.text = malloc(len + 1);
	if (e.text) {
		memcpy(e.text, line, len);	/* a NUL in the file stays in the text */
		e.text[len] = '\0';
	}
	add_entry(im, &e);
}

/* Each logical line of a file (modprobe.d: as modprobe-conf.c joins them). */
static void read_stmts(struct imp *im, const char *shown, const char *buf, size_t len,
		       enum entry_src src, bool in_etc)
{
	struct line_iter it = { .p = buf, .end = buf + len };
	struct modprobe_lines ml;
	const char *line;
	unsigned lineno;
	size_t n;
	char *joined;

	if (src != SRC_MODPROBE) {
		while (!im->oom && next_line(&it, &line, &n, &lineno))
			add_line(im, shown, lineno, line, n, src, in_etc);
		return;
	}
	joined = malloc(len + 1);
	if (!joined) {
		im->oom = true;
		return;
	}
	modprobe_lines_init(&ml, buf, len);
	while (!im->oom && modprobe_next_line(&ml, joined, len + 1, &n, &lineno))
		add_line(im, shown, lineno, joined, n, src, in_etc);
	free(joined);
}

/* ---- directories of *.conf ------------------------------------------------------ */

/* "/DIR/NAME is hidden by /EARLIER/NAME (a link to /dev/null) and was not read." */
static void note_hidden(struct imp *im, const struct conf_list *cl, const struct conf_hidden *h)
{
	struct sbuf n = { 0 };
	size_t nl = strlen(h->name);

	sb_add(&n, "/");
	sb_add_shown(&n, cl->dirs[h->dir], strlen(cl->dirs[h->dir]), 256);
	sb_add(&n, "/");
	sb_add_shown(&n, h->name, nl, 256);
	sb_add(&n, " is hidden by /");
	sb_add(&n, cl->dirs[h->by]);
	sb_add(&n, "/");
	sb_add_shown(&n, h->name, nl, 256);
	sb_add(&n, h->by_masked ? " (a link to /dev/null) and was not read." :
	       " and was not read.");
	imp_add_note(im, sb_take(&n));
}

/*
 * The listed files in the order of their names.  A module list or dracut
 * file read already under another name (/etc/modules-load.d/modules.conf
 * is a link to /etc/modules on Debian) is read once; modprobe.d files are
 * read as libkmod reads them, each name.
 */
static void read_listed(struct imp *im, const struct conf_list *cl, enum entry_src src)
{
	for (size_t i = 0; i < cl->n && !im->oom; i++) {
		const struct conf_file *f = &cl->v[i];
		struct sbuf n = { 0 };
		char *shown, *buf;
		size_t len;

		sb_add(&n, "/");
		sb_add(&n, cl->dirs[f->dir]);
		sb_add(&n, "/");
		sb_add_shown(&n, f->name, strlen(f->name), 256);
		shown = sb_take(&n);
		if (!shown) {
			im->oom = true;
			break;
		}
		if (f->masked || (src != SRC_MODPROBE && seen_before(im, cl->fd[f->dir], f->name))) {
			free(shown);
			continue;
		}
		buf = conf_list_read(cl, i, &len);
		if (buf)
			read_stmts(im, shown, buf, len, src, strncmp(cl->dirs[f->dir], "etc/", 4) == 0);
		else
			read_failed(im, shown);
		free(buf);
		free(shown);
	}
}

/*
 * Every *.conf of the directories in @dirs, same-named files hidden by the
 * earlier directory, in the order of their names.
 */
static void read_conf_dirs(struct imp *im, const char *const *dirs, size_t ndirs,
			   enum entry_src src)
{
	struct conf_list cl;
	int r = src == SRC_MODPROBE ? modprobe_conf_open(&cl, im->c->rootfd, IMPORT_DIR_FILES) :
		conf_list_open(&cl, im->c->rootfd, dirs, ndirs, IMPORT_DIR_FILES);

	if (r < 0)
		im->oom = true;
	for (size_t d = 0; d < cl.ndirs; d++)
		if (cl.full[d])
			imp_warn_at(im, cl.dirs[d], "(directory)", 11, "more than %d files, the rest "
				    "are not read", IMPORT_DIR_FILES);
	for (size_t h = 0; h < cl.nhidden && !im->oom; h++)
		note_hidden(im, &cl, &cl.hidden[h]);
	read_listed(im, &cl, src);
	conf_list_free(&cl);
}

static void read_one(struct imp *im, const char *rel, enum entry_src src)
{
	char shown[256];
	char *buf;
	size_t len;

	snprintf(shown, sizeof(shown), "/%s", rel);
	if (seen_before(im, im->c->rootfd, rel))
		return;
	buf = read_file_at(im->c->rootfd, rel, CONF_FILE_MAX, &len);
	if (buf)
		read_stmts(im, shown, buf, len, src, true);
	else
		read_failed(im, shown);
	free(buf);
}

/* Each parameter an entry: the key, a NUL, the value (if any), a NUL. */
static void read_cmdline(struct imp *im)
{
	_cleanup_free_ char *buf = NULL;
	const char *pos, *end;
	struct cmdline_tok t;
	size_t len;

	buf = read_file_at(im->c->rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (!buf) {
		log_debug("cannot read /proc/cmdline: %s", strerror(errno));
		return;
	}
	pos = buf;
	end = buf + len;
	while (!im->oom && cmdline_next(&pos, end, &t)) {
		struct entry e = { .src = SRC_CMDLINE, .in_etc = true, .len = t.klen };

		e.where = strdup(CMDLINE_WHERE);
		e.text = malloc(t.klen + t.vlen + 2);
		if (e.text) {
			memcpy(e.text, t.key, t.klen);
			e.text[t.klen] = '\0';
			if (t.val) {
				e.val = e.text + t.klen + 1;
				e.vlen = t.vlen;
				memcpy(e.text + t.klen + 1, t.val, t.vlen);
			}
			e.text[t.klen + 1 + (t.val ? t.vlen : 0)] = '\0';
		}
		add_entry(im, &e);
	}
}

/* Every statement of the recipe, once, in the order modprobe and the boot read them. */
void imp_read_all(struct imp *im)
{
	static const char *const load_dirs[] = { "etc/modules-load.d" };
	static const char *const dracut_dirs[] = { "etc/dracut.conf.d" };

	read_conf_dirs(im, NULL, 0, SRC_MODPROBE);
	read_one(im, "etc/modules", SRC_MODULES);
	read_conf_dirs(im, load_dirs, ARRAY_SIZE(load_dirs), SRC_MODULES);
	read_one(im, "etc/initramfs-tools/modules", SRC_INITRAMFS);
	read_conf_dirs(im, dracut_dirs, ARRAY_SIZE(dracut_dirs), SRC_DRACUT);
	read_cmdline(im);
}
