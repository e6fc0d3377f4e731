/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scratch root directory for the targets that need files (sysfs,
 * protect): made once in LLVMFuzzerInitialize, removed at exit, written
 * through rootfd.
 */
#ifndef VFIO_EARLY_FUZZ_TREE_H
#define VFIO_EARLY_FUZZ_TREE_H

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char root[256];
static int rootfd = -1;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* root and rootfd: a new directory on tmpfs when there is one. */
static void tree_init(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(root, sizeof(root), "%s/vfio-early-fuzz.XXXXXX", tmp);
	FUZZ_CHECK(mkdtemp(root));
	atexit(cleanup);
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(rootfd >= 0);
}

/* mkdir -p, below root. */
static void mkdirs(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s", rel);
	for (char *s = p; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdirat(rootfd, p, 0755);
		*s = '/';
	}
	mkdirat(rootfd, p, 0755);
}

static void put_file(const char *path, const char *data, size_t len)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(len == 0 || write(fd, data, len) == (ssize_t)len);
	close(fd);
}

#endif
