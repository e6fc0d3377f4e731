// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging to the kernel log.  Each line is "<prio>vfio-early: text" written
 * to /dev/kmsg with one write(2), so it is a single record in dmesg.
 *
 * The kernel rate-limits writers of /dev/kmsg per open file (a burst of 10
 * lines every 5 seconds unless printk.devkmsg=on), so the file is reopened
 * before the burst runs out: a boot with many devices keeps every line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define KMSG_BURST 8
#define LINE_MAX_LEN 976

static struct {
	int rootfd;
	int kmsg;
	unsigned written;
	unsigned targets;
	bool verbose;
	bool quiet;
	log_hook_fn hook;
	void *hook_data;
} L = { .rootfd = -1, .kmsg = -1, .targets = LOG_TO_STDERR };

static int kmsg_open(void)
{
	return openat(L.rootfd, "dev/kmsg",
		      O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
}

void log_setup(int rootfd, unsigned targets, bool verbose)
{
	log_close();
	L.rootfd = rootfd;
	L.targets = targets;
	L.verbose = verbose;
	if (targets & LOG_TO_KMSG) {
		L.kmsg = kmsg_open();
		if (L.kmsg < 0) {
			/* No kernel log: say it once, then use stderr. */
			L.targets = (targets & ~LOG_TO_KMSG) | LOG_TO_STDERR;
			log_msg(LOG_WARNING, "cannot open /dev/kmsg (%s), logging to stderr",
				strerror(errno));
		}
	}
}

void log_close(void)
{
	if (L.kmsg >= 0)
		close(L.kmsg);
	L.kmsg = -1;
	L.written = 0;
}

bool log_verbose(void)
{
	return L.verbose;
}

void log_set_quiet(bool quiet)
{
	L.quiet = quiet;
}

void log_set_hook(log_hook_fn fn, void *data)
{
	L.hook = fn;
	L.hook_data = data;
}

int log_fd(void)
{
	return L.kmsg >= 0 ? L.kmsg : STDERR_FILENO;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void kmsg_write(int prio, const char *text)
{
	char line[LINE_MAX_LEN + 32];
	int n;

	if (L.written >= KMSG_BURST) {
		int fd = kmsg_open();

		if (fd >= 0) {
			close(L.kmsg);
			L.kmsg = fd;
		}
		L.written = 0;
	}
	n = snprintf(line, sizeof(line), "<%d>vfio-early: %s\n", prio, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* One write per record; a failed write is not worth a second try. */
	if (write(L.kmsg, line, (size_t)n) < 0)
		return;
	L.written++;
}

/* A tag before every line of this run ("late pass: "); short, never input. */
static char log_tag[32];

void log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
}

void log_msg(int prio, const char *fmt, ...)
{
	char text[LINE_MAX_LEN];
	va_list ap;
	int errsv = errno, tl;

	if (prio >= LOG_DEBUG && !L.verbose)
		return;
	tl = snprintf(text, sizeof(text), "%s", log_tag);
	va_start(ap, fmt);
	vsnprintf(text + tl, sizeof(text) - (size_t)tl, fmt, ap);
	va_end(ap);
	/* Never let a control character from input reach the log as such. */
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';

	if (L.hook)
		L.hook(prio, text, L.hook_data);
	if ((L.targets & LOG_TO_KMSG) && L.kmsg >= 0)
		kmsg_write(prio, text);
	if ((L.targets & LOG_TO_STDERR) && !(L.quiet && prio > LOG_ERR)) {
		char line[LINE_MAX_LEN + 32];
		const char *tag = prio <= LOG_ERR ? "error: " :
				  prio == LOG_WARNING ? "warning: " : "";
		int n = snprintf(line, sizeof(line), "vfio-early: %s%s\n", tag, text);

		if (n > 0)
			write_all(STDERR_FILENO, line,
				  (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	errno = errsv;
}
