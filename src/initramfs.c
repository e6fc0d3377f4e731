// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The installed initramfs, as its generator's own tool lists it.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "initramfs.h"
#include "util.h"

/*
 * List an initramfs with the tool of its generator, run directly (no
 * shell), bounded in time and output.  Returns the listing or NULL.
 */
char *list_image(const char *tool, const char *image)
{
	char *const argv[] = { (char *)tool, (char *)image, NULL };
	size_t cap = 1 << 16, used = 0, max = 16u << 20;
	char *buf = malloc(cap);
	int pfd[2], status;
	time_t deadline = time(NULL) + 60;
	pid_t pid;

	if (!buf || pipe2(pfd, O_CLOEXEC) < 0) {
		free(buf);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		free(buf);
		return NULL;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execv(tool, argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (time(NULL) >= deadline || poll(&p, 1, 1000) < 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		if (used + 1 >= cap && cap < max) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(pfd[0], buf + used, cap - used - 1);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	buf[used] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* A newc header field: 8 hex digits. */
static int cpio_field(const char *h, size_t off, unsigned long *v)
{
	return parse_hex(h + off, 8, 0xffffffffUL, v);
}

char *list_cpio(int dirfd, const char *path)
{
	enum { HDR = 110, NAMESIZE = 94, FILESIZE = 54 };
	size_t cap = 1 << 16, used = 0, max = 16u << 20;
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *buf = fd >= 0 ? malloc(cap) : NULL;
	off_t pos = 0;

	if (!buf)
		return NULL;
	for (;;) {
		char h[HDR], name[4096];
		unsigned long nsize, fsize;

		if (pread(fd, h, HDR, pos) != HDR ||
		    (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0) ||
		    cpio_field(h, NAMESIZE, &nsize) < 0 || cpio_field(h, FILESIZE, &fsize) < 0 ||
		    nsize < 1 || nsize > sizeof(name) ||
		    pread(fd, name, nsize, pos + HDR) != (ssize_t)nsize || name[nsize - 1] != '\0')
			break;
		if (strcmp(name, "TRAILER!!!") == 0) {
			buf[used] = '\0';
			return buf;
		}
		if (used + nsize + 1 > cap) {
			char *nb = cap < max ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		memcpy(buf + used, name, nsize - 1);
		used += nsize - 1;
		buf[used++] = '\n';
		/* name and data are each padded to 4 bytes */
		pos += (off_t)((HDR + nsize + 3) & ~3UL) + (off_t)((fsize + 3) & ~3UL);
	}
	free(buf);
	return NULL;
}

/* One empty member of a newc cpio archive (name and header padded to 4 bytes). */
static void cpio_member(struct sbuf *b, unsigned ino, unsigned mode, const char *name, size_t n)
{
	static const char zeros[4];
	char h[111];

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
		 mode, 0u, 0u, 1u, 0u, 0u, 0u, 0u, 0u, 0u, (unsigned)n + 1, 0u);
	sb_addn(b, h, 110);
	sb_addn(b, name, n);
	sb_addn(b, zeros, 1);
	sb_addn(b, zeros, (4 - (110 + n + 1) % 4) % 4);
}

char *cpio_of_names(const char *list, size_t *len)
{
	struct sbuf b = { 0 };
	unsigned ino = 1;

	for (const char *line = list; *line;) {
		size_t n = strcspn(line, "\n");

		if (n && n < 4096)
			cpio_member(&b, ino++, 0100644, line, n);
		line += n;
		line += *line == '\n';
	}
	cpio_member(&b, 0, 0, "TRAILER!!!", strlen("TRAILER!!!"));
	*len = b.len;
	return sb_take(&b);
}
