// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * modprobe.d(5) as libkmod reads it.  The files: every *.conf of the five
 * directories, by name, a name in an earlier directory hiding it in the
 * later ones (so a link to /dev/null, or an empty file, masks a shipped
 * file).  The lines: a backslash before a newline joins the next line; a
 * first word starting with '#' makes a comment; "options MODULE REST"
 * gives REST to the module as it stands, and the kernel splits it into
 * words (quotes protect blanks).
 */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "modprobe-conf.h"
#include "sysfs.h"
#include "util.h"

const char *const modprobe_dirs[MODPROBE_NDIRS] = {
	"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "usr/lib/modprobe.d",
	"lib/modprobe.d",
};

/* ---- the files ------------------------------------------------------------- */

static bool conf_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l > 5 && strcmp(name + l - 5, ".conf") == 0;
}

/* A link to /dev/null, or an empty file: the name is taken, nothing is read. */
static bool masks(int dirfd, const char *name, bool *is_link)
{
	char target[64];
	struct stat st;

	*is_link = read_link(dirfd, name, target, sizeof(target)) > 0 &&
		   strcmp(target, "/dev/null") == 0;
	if (*is_link)
		return true;
	return fstatat(dirfd, name, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

/* A directory of a file: not listed (libkmod does not descend). */
static bool is_dir(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* Each directory opened once: /lib is /usr/lib on merged-/usr systems. */
static void open_dirs(struct conf_list *cl, int rootfd)
{
	struct stat st[CONF_DIRS_MAX];

	for (size_t d = 0; d < cl->ndirs; d++) {
		cl->fd[d] = openat(rootfd, cl->dirs[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cl->fd[d] < 0)
			continue;
		if (fstat(cl->fd[d], &st[d]) < 0) {
			close(cl->fd[d]);
			cl->fd[d] = -1;
			continue;
		}
		for (size_t x = 0; x < d; x++) {
			if (cl->fd[x] >= 0 && st[x].st_dev == st[d].st_dev &&
			    st[x].st_ino == st[d].st_ino) {
				close(cl->fd[d]);
				cl->fd[d] = -1;
				break;
			}
		}
	}
}

static int add_hidden(struct conf_list *cl, const char *name, size_t d, const struct conf_file *by)
{
	struct conf_hidden *v = realloc(cl->hidden, (cl->nhidden + 1) * sizeof(*v));
	bool link;

	if (!v)
		return -ENOMEM;
	cl->hidden = v;
	v += cl->nhidden;
	v->name = strdup(name);
	if (!v->name)
		return -ENOMEM;
	v->dir = d;
	v->by = by->dir;
	v->by_masked = masks(cl->fd[by->dir], by->name, &link) && link;
	cl->nhidden++;
	return 0;
}

static int add_file(struct conf_list *cl, const char *name, size_t d)
{
	struct conf_file *v = realloc(cl->v, (cl->n + 1) * sizeof(*v));
	bool link;

	if (!v)
		return -ENOMEM;
	cl->v = v;
	v += cl->n;
	v->name = strdup(name);
	if (!v->name)
		return -ENOMEM;
	v->dir = d;
	v->masked = masks(cl->fd[d], name, &link);
	cl->n++;
	return 0;
}

/* The *.conf of directory @d that no earlier directory hides. */
static int list_dir(struct conf_list *cl, size_t d, size_t max_files)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	size_t count = 0, k;
	const char *e;
	int r = 0;

	if (cl->fd[d] < 0 || sysfs_opendir(&dir, cl->fd[d], ".") < 0)
		return 0;
	while (r == 0 && (e = sysfs_dir_next(&dir))) {
		if (!conf_name(e) || is_dir(cl->fd[d], e))
			continue;
		for (k = 0; k < cl->n && strcmp(cl->v[k].name, e) != 0; k++)
			;
		if (k < cl->n) {
			r = add_hidden(cl, e, d, &cl->v[k]);
			continue;
		}
		if (++count > max_files) {
			cl->full[d] = true;
			break;
		}
		r = add_file(cl, e, d);
	}
	return r;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

int conf_list_open(struct conf_list *cl, int rootfd, const char *const *dirs, size_t ndirs,
		   size_t max_files)
{
	int r = 0;

	*cl = (struct conf_list){ .dirs = dirs, .ndirs = ndirs < CONF_DIRS_MAX ? ndirs :
				  CONF_DIRS_MAX };
	open_dirs(cl, rootfd);
	for (size_t d = 0; d < cl->ndirs && r == 0; d++)
		r = list_dir(cl, d, max_files);
	if (cl->n)
		qsort(cl->v, cl->n, sizeof(*cl->v), file_cmp);
	return r;
}

int modprobe_conf_open(struct conf_list *cl, int rootfd, size_t max_files)
{
	return conf_list_open(cl, rootfd, modprobe_dirs, MODPROBE_NDIRS, max_files);
}

void conf_list_free(struct conf_list *cl)
{
	for (size_t d = 0; d < cl->ndirs; d++)
		if (cl->fd[d] >= 0)
			close(cl->fd[d]);
	for (size_t i = 0; i < cl->n; i++)
		free(cl->v[i].name);
	for (size_t i = 0; i < cl->nhidden; i++)
		free(cl->hidden[i].name);
	free(cl->v);
	free(cl->hidden);
	*cl = (struct conf_list){ 0 };
}

char *conf_list_read(const struct conf_list *cl, size_t i, size_t *len)
{
	const struct conf_file *f = &cl->v[i];

	if (f->masked) {
		*len = 0;
		return strdup("");
	}
	return read_file_at(cl->fd[f->dir], f->name, CONF_FILE_MAX, len);
}

int conf_list_path(const struct conf_list *cl, size_t i, char *buf, size_t size)
{
	const struct conf_file *f = &cl->v[i];

	return xsnprintf(buf, size, "%s/%s", cl->dirs[f->dir], f->name) < 0 ? -ENAMETOOLONG : 0;
}

/* ---- the lines ------------------------------------------------------------- */

void modprobe_lines_init(struct modprobe_lines *it, const char *buf, size_t len)
{
	*it = (struct modprobe_lines){ .p = buf, .end = buf ? buf + len : buf };
}

bool modprobe_next_line(struct modprobe_lines *it, char *buf, size_t size, size_t *len,
			unsigned *lineno)
{
	size_t n = 0;

	if (it->p >= it->end || size == 0)
		return false;
	*lineno = ++it->next;
	while (it->p < it->end && *it->p != '\n') {
		if (*it->p == '\\' && it->p + 1 < it->end && it->p[1] == '\n') {
			it->p += 2;
			it->next++;
			continue;
		}
		if (n + 1 < size)
			buf[n++] = *it->p;
		it->p++;
	}
	if (it->p < it->end)
		it->p++;	/* the newline */
	buf[n] = '\0';
	*len = n;
	return true;
}

/* libkmod splits the command and the module name at spaces and tabs only. */
static bool kmod_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && kmod_blank(*p))
		p++;
	return p;
}

static const char *word_end(const char *p, const char *end)
{
	while (p < end && !kmod_blank(*p))
		p++;
	return p;
}

bool modprobe_split(const char *line, size_t len, struct modprobe_stmt *st)
{
	const char *end = line + len, *p = skip_blanks(line, end), *e;

	*st = (struct modprobe_stmt){ .mod = end, .rest = end };
	if (p >= end || *p == '#')
		return false;
	e = word_end(p, end);
	st->cmd = p;
	st->cmdlen = (size_t)(e - p);
	p = skip_blanks(e, end);
	e = word_end(p, end);
	st->mod = p;
	st->modlen = (size_t)(e - p);
	p = skip_blanks(e, end);
	while (end > p && kmod_blank(end[-1]))
		end--;
	st->rest = p;
	st->restlen = (size_t)(end - p);
	return true;
}

enum modprobe_cmd modprobe_command(const char *w, size_t len, size_t *min_words)
{
	static const struct {
		const char *name;
		enum modprobe_cmd cmd;
		size_t min_words;
	} cmds[] = {
		{ "alias", MODPROBE_ALIAS, 3 }, { "options", MODPROBE_OPTIONS, 2 },
		{ "install", MODPROBE_INSTALL, 3 }, { "remove", MODPROBE_REMOVE, 3 },
		{ "softdep", MODPROBE_SOFTDEP, 3 }, { "weakdep", MODPROBE_WEAKDEP, 3 },
		{ "blacklist", MODPROBE_BLACKLIST, 2 }, { "include", MODPROBE_INCLUDE, 1 },
		{ "config", MODPROBE_CONFIG, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strlen(cmds[i].name) == len && memcmp(w, cmds[i].name, len) == 0) {
			if (min_words)
				*min_words = cmds[i].min_words;
			return cmds[i].cmd;
		}
	}
	return MODPROBE_UNKNOWN;
}

bool modprobe_next_opt(const char **pos, const char *end, struct modprobe_opt *o)
{
	const char *p = *pos;
	struct cmdline_tok t;

	/* The kernel's own splitting, blanks skipped first to know where a word starts. */
	while (p < end && (kmod_blank(*p) || *p == '\r' || *p == '\n' || *p == '\v' ||
			   *p == '\f'))
		p++;
	*pos = p;
	if (!cmdline_next(pos, end, &t))
		return false;
	o->word = p;
	o->wlen = (size_t)(*pos - p);
	o->key = t.key;
	o->klen = t.klen;
	o->val = t.val;
	o->vlen = t.vlen;
	return true;
}

/* ---- one module's options ---------------------------------------------------- */

static int append(char **out, size_t *used, const char *s, size_t len)
{
	char *nv = realloc(*out, *used + len + 2);

	if (!nv)
		return -ENOMEM;
	*out = nv;
	if (*used)
		nv[(*used)++] = ' ';
	memcpy(nv + *used, s, len);
	*used += len;
	nv[*used] = '\0';
	return 0;
}

/* libkmod compares module names with '-' and '_' the same. */
static bool module_is(const char *s, size_t len, const char *module)
{
	return len && name_eq(s, len, module) && strlen(module) == len;
}

static int file_options(const char *buf, size_t len, const char *module, char **out,
			size_t *used)
{
	_cleanup_free_ char *line = malloc(len + 1);
	struct modprobe_lines it;
	unsigned lineno;
	size_t n;

	if (!line)
		return -ENOMEM;
	modprobe_lines_init(&it, buf, len);
	while (modprobe_next_line(&it, line, len + 1, &n, &lineno)) {
		struct modprobe_stmt st;

		if (!modprobe_split(line, n, &st) ||
		    modprobe_command(st.cmd, st.cmdlen, NULL) != MODPROBE_OPTIONS ||
		    !module_is(st.mod, st.modlen, module) || !st.restlen)
			continue;
		if (append(out, used, st.rest, st.restlen) < 0)
			return -ENOMEM;
		/* libkmod hands tabs on as spaces. */
		for (size_t k = *used - st.restlen; k < *used; k++)
			if ((*out)[k] == '\t')
				(*out)[k] = ' ';
	}
	return 0;
}

/* MODULE.KEY=VALUE of the command line, as "KEY=VALUE" to the module. */
static int cmdline_options(int rootfd, const char *module, char **out, size_t *used)
{
	_cleanup_free_ char *cmdline = NULL;
	const char *pos, *end;
	struct cmdline_tok t;
	size_t len;

	cmdline = read_file_at(rootfd, "proc/cmdline", CMDLINE_MAX, &len);
	if (!cmdline)
		return 0;
	pos = cmdline;
	end = cmdline + len;
	while (cmdline_next(&pos, end, &t)) {
		const char *dot = memchr(t.key, '.', t.klen);

		_cleanup_free_ char *opt = NULL;
		bool blank;

		if (!dot || !t.val || !module_is(t.key, (size_t)(dot - t.key), module))
			continue;
		/* The value without its quotes, quoted again if it needs them. */
		blank = memchr(t.val, ' ', t.vlen) || memchr(t.val, '\t', t.vlen);
		if (asprintf(&opt, "%.*s=%s%.*s%s", (int)(t.key + t.klen - dot - 1), dot + 1,
			     blank ? "\"" : "", (int)t.vlen, t.val, blank ? "\"" : "") < 0) {
			opt = NULL;
			return -ENOMEM;
		}
		if (append(out, used, opt, strlen(opt)) < 0)
			return -ENOMEM;
	}
	return 0;
}

char *modprobe_options(int rootfd, const char *module)
{
	struct conf_list cl;
	char *out = strdup("");
	size_t used = 0;
	int r;

	if (!out)
		return NULL;
	r = modprobe_conf_open(&cl, rootfd, SIZE_MAX);
	for (size_t i = 0; r == 0 && i < cl.n; i++) {
		_cleanup_free_ char *buf = NULL;
		size_t len;

		buf = conf_list_read(&cl, i, &len);
		if (buf)
			r = file_options(buf, len, module, &out, &used);
	}
	conf_list_free(&cl);
	if (r == 0)
		r = cmdline_options(rootfd, module, &out, &used);
	if (r < 0) {
		free(out);
		return NULL;
	}
	return out;
}
