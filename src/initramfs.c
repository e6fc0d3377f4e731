// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The installed initramfs, as its generator's own tool lists it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "initramfs.h"

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
