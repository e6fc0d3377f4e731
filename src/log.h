/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_LOG_H
#define VFIO_EARLY_LOG_H

#include <stdbool.h>

#include "util.h"

/* syslog(3) priorities, as /dev/kmsg takes them. */
enum {
	LOG_ERR = 3,
	LOG_WARNING = 4,
	LOG_NOTICE = 5,
	LOG_INFO = 6,
	LOG_DEBUG = 7,
};

enum log_target {
	LOG_TO_STDERR = 1 << 0,
	LOG_TO_KMSG = 1 << 1,
};

/*
 * Open the kernel log at DIR/dev/kmsg (relative to @rootfd) when @targets
 * asks for it; lines go to stderr instead when it cannot be opened.
 * Debug lines are kept only when @verbose.
 */
void log_setup(int rootfd, unsigned targets, bool verbose);
void log_close(void);
/*
 * --quiet: standard error shows errors only; the kernel log and the hook
 * still get every line.  Kept across log_setup().
 */
void log_set_quiet(bool quiet);
/* A tag that starts every line from now on ("late pass: "). */
void log_set_tag(const char *tag);

/* Whether debug lines are kept: spare the work of those nobody sees. */
bool log_verbose(void);

void log_msg(int prio, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Unit tests see every line through this hook instead of a file. */
typedef void (*log_hook_fn)(int prio, const char *line, void *data);
void log_set_hook(log_hook_fn fn, void *data);

/* The file descriptor a signal handler may write its last words to. */
int log_fd(void);

#endif
