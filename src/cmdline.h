/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_CMDLINE_H
#define VFIO_EARLY_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct ruleset;

/* DIR/proc/cmdline is read up to this size. */
#define CMDLINE_MAX (64u << 10)

/* Parse the kernel command line into @rs (pure: no I/O). */
void cmdline_parse(const char *buf, size_t len, struct ruleset *rs);

/*
 * Kernel command line tokenizer, as the kernel splits it: whitespace
 * separates parameters, double quotes protect spaces, "--" ends the
 * parameters for the kernel.  Returns false at the end.
 */
struct cmdline_tok {
	const char *key;
	size_t klen;
	const char *val;	/* NULL when the parameter has no '=' */
	size_t vlen;
};
bool cmdline_next(const char **pos, const char *end, struct cmdline_tok *t);

#endif
