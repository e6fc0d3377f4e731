/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the fuzz targets.  Each target defines LLVMFuzzerTestOneInput();
 * built with clang -fsanitize=fuzzer it is a libFuzzer target (make fuzz),
 * built with replay.c it replays files and corpus directories (make check).
 *
 * Targets check invariants with FUZZ_CHECK: a violation aborts, which
 * libFuzzer reports as a crash and the replay program as a failed test.
 */
#ifndef VFIO_EARLY_FUZZ_H
#define VFIO_EARLY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

/*
 * Logging is an oracle too: every line reaching the log must be one line of
 * printable text, whatever the input held.  Nothing is printed.
 */
static void fuzz_log_hook(int prio, const char *line, void *data)
{
	(void)data;
	FUZZ_CHECK(prio >= 0 && prio <= 7);
	for (const char *p = line; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static inline void fuzz_quiet_log(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	log_setup(-1, 0, true);		/* no kmsg, no stderr; debug lines too */
	log_set_hook(fuzz_log_hook, NULL);
}

/* An exact-size heap copy, so that ASan sees any read past the input. */
static inline char *fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	FUZZ_CHECK(p);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* The same with a NUL after it, for parsers of C strings. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	FUZZ_CHECK(p);
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

#endif
