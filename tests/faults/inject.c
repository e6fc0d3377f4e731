// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ve-inject.so: fault injection for the tests/faults suite, by LD_PRELOAD
 * into the dynamically linked test build.  Never part of the shipped
 * binary: the binary has no hook for it, this library wraps libc.
 *
 *   VE_FAULT="RULE[;RULE...]"     RULE = PATTERN[:OP]:ACTION[:COUNT]
 *   VE_FAULT_LOG=FILE             one line per fault that fired
 *
 * PATTERN  a substring of the path given to openat()/readlinkat()
 *          (may itself hold ':'; fields are taken from the right)
 * OP       open    any openat() of a matching path
 *          ropen   openat() for reading only
 *          wopen   openat() for writing
 *          write   write() to a descriptor opened from a matching path
 *          close   close() of such a descriptor opened for writing (after
 *                  really closing it): sysfs store() errors can come there
 *          readlink readlinkat() of a matching path
 *          Default: write for an errno or "short", open for "vanish".
 * ACTION   an errno name (EBUSY, ENODEV, EACCES, EINVAL, EIO, ENOENT, ...):
 *              the call fails with it;
 *          short   write() writes half (at least one byte less) and
 *              returns that count;
 *          vanish  the first component of the path, relative to the
 *              directory descriptor (a device's link in
 *              sys/bus/pci/devices), is unlinked, then the call goes on
 *              and meets a device that is gone.
 * COUNT    N: fire on the first N matches only; @K: let K-1 matches pass,
 *          then fire on every one (default: every match).
 *
 * Example: VE_FAULT="driver_override:EBUSY;drivers_probe:write:short:1"
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_RULES 16
#define MAX_FDS 4096

enum op { OP_OPEN, OP_ROPEN, OP_WOPEN, OP_WRITE, OP_CLOSE, OP_READLINK };
enum act { ACT_ERRNO, ACT_SHORT, ACT_VANISH };

struct rule {
	char pattern[256];
	enum op op;
	enum act act;
	int err;
	long count;		/* -1: unlimited */
	long skip;		/* matches to let pass first */
	char text[256];		/* the rule as written, for the log */
};

static struct rule rules[MAX_RULES];
static unsigned nrules;
static char *fd_path[MAX_FDS];
static bool fd_wr[MAX_FDS];
static char rules_text[4096];
static bool ready;

static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static ssize_t (*real_readlinkat)(int, const char *, char *, size_t);

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EBUSY", EBUSY }, { "ENODEV", ENODEV }, { "EACCES", EACCES }, { "EINVAL", EINVAL },
	{ "EIO", EIO }, { "ENOENT", ENOENT }, { "EPERM", EPERM }, { "EROFS", EROFS },
	{ "ENOSPC", ENOSPC }, { "EAGAIN", EAGAIN }, { "EINTR", EINTR }, { "ELOOP", ELOOP },
	{ "ENOMEM", ENOMEM }, { "EEXIST", EEXIST }, { "ENXIO", ENXIO }, { "EFAULT", EFAULT },
	{ "ENAMETOOLONG", ENAMETOOLONG }, { "ENOTDIR", ENOTDIR }, { "EMFILE", EMFILE },
};

static const char *const op_names[] = { "open", "ropen", "wopen", "write", "close",
					"readlink" };

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ve-inject: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(125);
}

static void note(const struct rule *r, const char *call, const char *path)
{
	const char *log = getenv("VE_FAULT_LOG");
	char line[1024];
	ssize_t ignored;
	int fd, n;

	if (!log)
		return;
	n = snprintf(line, sizeof(line), "%s %s %s\n", r->text, call, path ? path : "?");
	if (n <= 0)
		return;
	fd = real_openat(AT_FDCWD, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* Best effort: a lost line shows as a fault that never fired. */
	ignored = real_write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	(void)ignored;
	real_close(fd);
}

static void parse_rule(char *s)
{
	char *field[8], *p;
	unsigned nf = 0;
	struct rule *r;

	if (nrules == MAX_RULES)
		die("too many rules");
	r = &rules[nrules];
	snprintf(r->text, sizeof(r->text), "%s", s);
	r->count = -1;
	/* From the right: [COUNT], ACTION, [OP]; the rest is the pattern. */
	while (nf < 3 && (p = strrchr(s, ':'))) {
		field[nf++] = p + 1;
		*p = '\0';
	}
	if (nf == 0)
		die("rule '%s': PATTERN:ACTION expected", r->text);
	unsigned i = 0;
	char *end;
	bool at = field[0][0] == '@';
	long c = strtol(field[0] + at, &end, 10);

	if (field[0][at] && *end == '\0' && c > 0) {
		if (at)
			r->skip = c - 1;
		else
			r->count = c;
		i = 1;
	}
	if (i >= nf)
		die("rule '%s': no action", r->text);
	const char *act = field[i++];
	bool have_op = false;

	if (i < nf) {
		for (unsigned k = 0; k < sizeof(op_names) / sizeof(op_names[0]); k++) {
			if (strcmp(field[i], op_names[k]) == 0) {
				r->op = (enum op)k;
				have_op = true;
			}
		}
		if (have_op)
			i++;
	}
	/* Fields not used belong to the pattern again. */
	while (i < nf) {
		field[i][-1] = ':';
		i++;
	}
	if (strlen(s) == 0 || strlen(s) >= sizeof(r->pattern))
		die("rule '%s': bad pattern", r->text);
	strcpy(r->pattern, s);

	if (strcmp(act, "short") == 0) {
		r->act = ACT_SHORT;
		if (!have_op)
			r->op = OP_WRITE;
	} else if (strcmp(act, "vanish") == 0) {
		r->act = ACT_VANISH;
		if (!have_op)
			r->op = OP_OPEN;
	} else {
		bool found = false;

		for (size_t k = 0; k < sizeof(errnos) / sizeof(errnos[0]); k++) {
			if (strcmp(act, errnos[k].name) == 0) {
				r->err = errnos[k].err;
				found = true;
			}
		}
		if (!found)
			die("rule '%s': unknown action '%s'", r->text, act);
		r->act = ACT_ERRNO;
		if (!have_op)
			r->op = OP_WRITE;
	}
	if (r->act == ACT_SHORT && r->op != OP_WRITE)
		die("rule '%s': short applies to write", r->text);
	if (r->act == ACT_VANISH && (r->op == OP_WRITE || r->op == OP_CLOSE))
		die("rule '%s': vanish applies to open and readlink", r->text);
	nrules++;
}

__attribute__((constructor)) static void setup(void)
{
	const char *spec = getenv("VE_FAULT");

	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_readlinkat = (ssize_t (*)(int, const char *, char *, size_t))dlsym(RTLD_NEXT,
										 "readlinkat");
	if (!real_openat || !real_write || !real_close || !real_readlinkat)
		die("dlsym: %s", dlerror());
	if (spec && *spec) {
		if (strlen(spec) >= sizeof(rules_text))
			die("VE_FAULT too long");
		strcpy(rules_text, spec);
		for (char *s = strtok(rules_text, ";"); s; s = strtok(NULL, ";"))
			parse_rule(s);
	}
	ready = true;
}

/* Nothing of ours outlives the program (valgrind runs with this preloaded). */
__attribute__((destructor)) static void teardown(void)
{
	for (int fd = 0; fd < MAX_FDS; fd++) {
		free(fd_path[fd]);
		fd_path[fd] = NULL;
	}
}

/* The first rule for @op whose pattern @path holds, counted as fired. */
static struct rule *match(enum op op, const char *path)
{
	if (!ready || !path)
		return NULL;
	for (unsigned i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (r->count == 0 || !strstr(path, r->pattern))
			continue;
		if (r->op != op && !(r->op == OP_OPEN && (op == OP_ROPEN || op == OP_WOPEN)))
			continue;
		if (r->skip > 0) {
			r->skip--;
			continue;
		}
		if (r->count > 0)
			r->count--;
		return r;
	}
	return NULL;
}

static void vanish(int dirfd, const char *path)
{
	char first[256];
	size_t n = strcspn(path, "/");

	if (n == 0 || n >= sizeof(first))
		return;
	memcpy(first, path, n);
	first[n] = '\0';
	unlinkat(dirfd, first, 0);
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	bool wr = (flags & O_ACCMODE) != O_RDONLY;
	struct rule *r = match(wr ? OP_WOPEN : OP_ROPEN, path);
	int fd;

	if (r) {
		note(r, "openat", path);
		if (r->act == ACT_VANISH) {
			vanish(dirfd, path);
		} else {
			errno = r->err;
			return -1;
		}
	}
	fd = real_openat(dirfd, path, flags, mode);
	if (fd >= 0 && fd < MAX_FDS) {
		free(fd_path[fd]);
		fd_path[fd] = strdup(path);
		fd_wr[fd] = wr;
	}
	return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return do_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));

ssize_t write(int fd, const void *buf, size_t len)
{
	struct rule *r = fd >= 0 && fd < MAX_FDS ? match(OP_WRITE, fd_path[fd]) : NULL;

	if (r) {
		note(r, "write", fd_path[fd]);
		if (r->act == ACT_SHORT && len > 1)
			return real_write(fd, buf, len / 2 < len - 1 ? len / 2 : len - 1);
		errno = r->err;
		return -1;
	}
	return real_write(fd, buf, len);
}

int close(int fd)
{
	struct rule *r = NULL;
	int ret;

	if (fd >= 0 && fd < MAX_FDS && fd_path[fd]) {
		r = fd_wr[fd] ? match(OP_CLOSE, fd_path[fd]) : NULL;
		if (r)
			note(r, "close", fd_path[fd]);
		free(fd_path[fd]);
		fd_path[fd] = NULL;
	}
	ret = real_close(fd);
	if (r && r->act == ACT_ERRNO && ret == 0) {
		errno = r->err;
		return -1;
	}
	return ret;
}

static ssize_t do_readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	struct rule *r = match(OP_READLINK, path);

	if (r) {
		note(r, "readlinkat", path);
		if (r->act == ACT_VANISH) {
			vanish(dirfd, path);
		} else {
			errno = r->err;
			return -1;
		}
	}
	return real_readlinkat(dirfd, path, buf, size);
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	return do_readlinkat(dirfd, path, buf, size);
}

ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return do_readlinkat(dirfd, path, buf, size);
}
