// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading for vfio-early --import: every modprobe.d, module-list and dracut
 * file, and the kernel command line, read once into statements (im->e).
 */
#include "cmdline.h"
#include "import-int.h"

/* ---- a growing string ---------------------------------------------------- */


void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void _printf_(2, 3) sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_addn(b, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_addn(b, big, (size_t)n);
	free(big);
}

/* Text from files, made safe to show: control characters become '?', and a
 * long text is cut (with "...") after @max bytes. */
void sb_add_shown(struct sbuf *b, const char *s, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;

		sb_addn(b, &ch, 1);
	}
	if (n > max)
		sb_add(b, "...");
}

/* The string, handed over; NULL (and nothing leaked) when memory ran out. */
char *sb_take(struct sbuf *b)
{
	char *s = b->s;

	if (b->oom || !s) {
		free(s);
		s = b->oom ? NULL : strdup("");
	}
	memset(b, 0, sizeof(*b));
	return s;
}

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

/* A link to /dev/null masks a configuration file. */
static bool is_masked(int dirfd, const char *name)
{
	char target[64];

	return read_link(dirfd, name, target, sizeof(target)) > 0 &&
	       strcmp(target, "/dev/null") == 0;
}

/* Read @name in @dirfd; NULL (reported unless it is simply absent) on failure. */
static char *read_conf(struct imp *im, int dirfd, const char *name, const char *shown,
		       size_t *len)
{
	char *buf = read_file_at(dirfd, name, IMPORT_FILE_MAX, len);

	if (!buf && errno != ENOENT && errno != EISDIR)
		imp_warn_at(im, shown, "(file)", 6, "%s, not read",
			    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
	return buf;
}

/* Words up to the first one starting with '#'. */
void imp_split_words(struct imp *im, struct stmt *s)
{
	const char *p = s->line, *end = s->line + s->len;

	s->n = 0;
	for (;;) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		if (p >= end || *p == '#')
			return;
		w = p;
		while (p < end && !is_blank(*p))
			p++;
		if (s->n == IMPORT_WORDS_MAX) {
			imp_warn_at(im, s->where, "(line)", 6, "more than %d words, the rest is ignored",
				    IMPORT_WORDS_MAX);
			return;
		}
		s->w[s->n] = w;
		s->wl[s->n] = (size_t)(p - w);
		s->n++;
	}
}

/*
 * Iterate over the logical lines of a buffer (modprobe.d: a backslash at the
 * end of a line joins the next one).  Returns false at the end; @lineno is
 * the number of the first physical line of the statement.
 */
struct line_iter {
	const char *p;
	const char *end;
	unsigned next;
	bool join;
};

static bool next_stmt(struct imp *im, struct line_iter *it, struct sbuf *b, unsigned *lineno)
{
	if (it->p >= it->end)
		return false;
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	*lineno = ++it->next;
	for (;;) {
		const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
		const char *e = nl ? nl : it->end;
		size_t l = (size_t)(e - it->p);
		bool cont = it->join && l > 0 && it->p[l - 1] == '\\';

		sb_addn(b, it->p, cont ? l - 1 : l);
		it->p = nl ? nl + 1 : it->end;
		if (!cont || it->p >= it->end)
			break;
		it->next++;
	}
	if (b->oom) {
		im->oom = true;
		return false;
	}
	if (!b->s)
		sb_addn(b, "", 0);
	return !b->oom;
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

static char *shown_text(const char *s, size_t len)
{
	struct sbuf b = { 0 };
	size_t skip = 0;

	while (skip < len && is_blank(s[skip]))
		skip++;
	while (len > skip && is_blank(s[len - 1]))
		len--;
	sb_add_shown(&b, s + skip, len - skip, TEXT_SHOWN);
	return sb_take(&b);
}

/* The statement with the words for which @drop is true left out. */
char *imp_words_without(const struct stmt *s, const bool *drop)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		if (drop[i])
			continue;
		if (b.len)
			sb_add(&b, " ");
		sb_add_shown(&b, s->w[i], s->wl[i], TEXT_SHOWN);
	}
	return sb_take(&b);
}

void imp_add_stmt_finding(struct imp *im, const struct stmt *s, enum legacy_verdict v,
			  bool gave_ids, char *edit, struct sbuf *why)
{
	imp_add_finding(im, v, gave_ids, strdup(s->where), shown_text(s->line, s->len), edit,
			sb_take(why));
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

/* Each logical line of a file (a backslash joins lines in modprobe.d only). */
static void read_stmts(struct imp *im, const char *shown, const char *buf, size_t len,
		       enum entry_src src, bool in_etc)
{
	struct line_iter it = { .p = buf, .end = buf + len, .join = src == SRC_MODPROBE };
	struct sbuf line = { 0 };
	unsigned lineno;

	while (!im->oom && next_stmt(im, &it, &line, &lineno)) {
		struct entry e = { .src = src, .in_etc = in_etc, .len = line.len };

		e.where = where_of(shown, lineno);
		e.text = sb_take(&line);
		add_entry(im, &e);
	}
	free(line.s);
}

/* ---- directories of *.conf ------------------------------------------------------ */

#define CONF_DIRS_MAX 8

struct conf_file {
	char *name;
	size_t dir;		/* index into the directory list */
};

/* The directories of one kind, and the files to read from them. */
struct conf_dirs {
	const char *const *dirs;
	size_t n;
	int fd[CONF_DIRS_MAX];	/* -1: absent, or the same as an earlier one */
	struct conf_file *files;
	size_t nfiles;
};

static int conf_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

static bool conf_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l > 5 && strcmp(name + l - 5, ".conf") == 0;
}

/* Each directory opened once: /lib is /usr/lib on merged-/usr systems. */
static void open_dirs(struct imp *im, struct conf_dirs *cd)
{
	struct stat st[CONF_DIRS_MAX];

	for (size_t d = 0; d < cd->n; d++) {
		cd->fd[d] = openat(im->c->rootfd, cd->dirs[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cd->fd[d] < 0)
			continue;
		if (fstat(cd->fd[d], &st[d]) < 0) {
			close(cd->fd[d]);
			cd->fd[d] = -1;
			continue;
		}
		for (size_t x = 0; x < d; x++) {
			if (cd->fd[x] >= 0 && st[x].st_dev == st[d].st_dev &&
			    st[x].st_ino == st[d].st_ino) {
				close(cd->fd[d]);
				cd->fd[d] = -1;
				break;
			}
		}
	}
}

/* "/DIR/NAME is hidden by /EARLIER/NAME (a link to /dev/null) and was not read." */
static void note_hidden(struct imp *im, const struct conf_dirs *cd, size_t d,
			const struct conf_file *by)
{
	struct sbuf n = { 0 };
	size_t nl = strlen(by->name);

	sb_add(&n, "/");
	sb_add_shown(&n, cd->dirs[d], strlen(cd->dirs[d]), 256);
	sb_add(&n, "/");
	sb_add_shown(&n, by->name, nl, 256);
	sb_add(&n, " is hidden by /");
	sb_add(&n, cd->dirs[by->dir]);
	sb_add(&n, "/");
	sb_add_shown(&n, by->name, nl, 256);
	sb_add(&n, is_masked(cd->fd[by->dir], by->name) ?
	       " (a link to /dev/null) and was not read." : " and was not read.");
	imp_add_note(im, sb_take(&n));
}

/* The *.conf of directory @d that no earlier directory hides, into cd->files. */
static void list_dir(struct imp *im, struct conf_dirs *cd, size_t d)
{
	int fd = cd->fd[d] >= 0 ? dup(cd->fd[d]) : -1;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	unsigned count = 0;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		struct conf_file *v;
		size_t k;

		if (!conf_name(e->d_name))
			continue;
		for (k = 0; k < cd->nfiles && strcmp(cd->files[k].name, e->d_name) != 0; k++)
			;
		if (k < cd->nfiles) {
			note_hidden(im, cd, d, &cd->files[k]);
			continue;
		}
		if (++count > IMPORT_DIR_FILES) {
			imp_warn_at(im, cd->dirs[d], "(directory)", 11, "more than %d files, the rest "
				    "are not read", IMPORT_DIR_FILES);
			break;
		}
		v = realloc(cd->files, (cd->nfiles + 1) * sizeof(*v));
		if (!v || !(v[cd->nfiles].name = strdup(e->d_name))) {
			cd->files = v ? v : cd->files;
			im->oom = true;
			break;
		}
		cd->files = v;
		cd->files[cd->nfiles++].dir = d;
	}
	closedir(dir);
}

/* The listed files in the order of their names, each file once. */
static void read_listed(struct imp *im, const struct conf_dirs *cd, enum entry_src src)
{
	for (size_t i = 0; i < cd->nfiles && !im->oom; i++) {
		const struct conf_file *f = &cd->files[i];
		int fd = cd->fd[f->dir];
		struct sbuf n = { 0 };
		char *shown, *buf;
		size_t len;

		sb_add(&n, "/");
		sb_add(&n, cd->dirs[f->dir]);
		sb_add(&n, "/");
		sb_add_shown(&n, f->name, strlen(f->name), 256);
		shown = sb_take(&n);
		if (!shown) {
			im->oom = true;
			break;
		}
		if (!is_masked(fd, f->name) && !seen_before(im, fd, f->name)) {
			buf = read_conf(im, fd, f->name, shown, &len);
			if (buf)
				read_stmts(im, shown, buf, len, src,
					   strncmp(cd->dirs[f->dir], "etc/", 4) == 0);
			free(buf);
		}
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
	struct conf_dirs cd = { .dirs = dirs, .n = ndirs < CONF_DIRS_MAX ? ndirs : CONF_DIRS_MAX };

	open_dirs(im, &cd);
	for (size_t d = 0; d < cd.n && !im->oom; d++)
		list_dir(im, &cd, d);
	if (cd.files)
		qsort(cd.files, cd.nfiles, sizeof(*cd.files), conf_cmp);
	read_listed(im, &cd, src);
	for (size_t d = 0; d < cd.n; d++)
		if (cd.fd[d] >= 0)
			close(cd.fd[d]);
	for (size_t i = 0; i < cd.nfiles; i++)
		free(cd.files[i].name);
	free(cd.files);
}

static void read_one(struct imp *im, const char *rel, enum entry_src src)
{
	char shown[256];
	char *buf;
	size_t len;

	snprintf(shown, sizeof(shown), "/%s", rel);
	if (seen_before(im, im->c->rootfd, rel))
		return;
	buf = read_conf(im, im->c->rootfd, rel, shown, &len);
	if (buf)
		read_stmts(im, shown, buf, len, src, true);
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

	read_conf_dirs(im, modprobe_dirs, MODPROBE_NDIRS, SRC_MODPROBE);
	read_one(im, "etc/modules", SRC_MODULES);
	read_conf_dirs(im, load_dirs, ARRAY_SIZE(load_dirs), SRC_MODULES);
	read_one(im, "etc/initramfs-tools/modules", SRC_INITRAMFS);
	read_conf_dirs(im, dracut_dirs, ARRAY_SIZE(dracut_dirs), SRC_DRACUT);
	read_cmdline(im);
}
