/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal TAP unit-test harness: TEST(name) { CHECK(...); } registers
 * a test; main() runs them all and prints "ok N name" / "not ok N name".
 * Log lines the code under test emits are kept for unit_log_has().
 */
#ifndef VFIO_EARLY_UNIT_H
#define VFIO_EARLY_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

static struct unit_test *unit_head, **unit_tail = &unit_head;
static int unit_failed;
static char unit_log[1 << 16];
static size_t unit_log_len;

static inline void unit_register(struct unit_test *t)
{
	*unit_tail = t;
	unit_tail = &t->next;
}

#define TEST(n)                                                                  \
	static void test_##n(void);                                              \
	static struct unit_test unit_##n = { #n, test_##n, NULL };               \
	__attribute__((constructor)) static void unit_reg_##n(void)              \
	{                                                                        \
		unit_register(&unit_##n);                                        \
	}                                                                        \
	static void test_##n(void)

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			unit_failed = 1;                                         \
		}                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                          \
	do {                                                                     \
		long long _a = (long long)(a), _b = (long long)(b);              \
		if (_a != _b) {                                                  \
			printf("#   %s:%d: %s == %lld, expected %lld\n", __FILE__,   \
			       __LINE__, #a, _a, _b);                            \
			unit_failed = 1;                                         \
		}                                                                \
	} while (0)

__attribute__((noinline)) static void unit_check_str(const char *a, const char *b,
							   const char *expr, const char *file,
							   int line)
{
	if (!a || strcmp(a, b) != 0) {
		printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n", file, line, expr,
		       a ? a : "(null)", b);
		unit_failed = 1;
	}
}

#define CHECK_STR(a, b) unit_check_str((a), (b), #a, __FILE__, __LINE__)

static void unit_hook(int prio, const char *line, void *data)
{
	int n;

	(void)data;
	n = snprintf(unit_log + unit_log_len, sizeof(unit_log) - unit_log_len, "<%d>%s\n",
		     prio, line);
	if (n > 0 && (size_t)n < sizeof(unit_log) - unit_log_len)
		unit_log_len += (size_t)n;
}

static inline void unit_log_clear(void)
{
	unit_log_len = 0;
	unit_log[0] = '\0';
}

static inline int unit_log_has(const char *s)
{
	return strstr(unit_log, s) != NULL;
}

#define CHECK_LOG(s)                                                             \
	do {                                                                     \
		if (!unit_log_has(s)) {                                          \
			printf("#   %s:%d: log lacks \"%s\"; log was:\n%s", __FILE__, \
			       __LINE__, s, unit_log);                           \
			unit_failed = 1;                                         \
		}                                                                \
	} while (0)

int main(void)
{
	int n = 0, failed = 0;

	for (struct unit_test *t = unit_head; t; t = t->next)
		n++;
	printf("1..%d\n", n);
	log_setup(-1, 0, true);
	log_set_hook(unit_hook, NULL);
	n = 0;
	for (struct unit_test *t = unit_head; t; t = t->next) {
		unit_failed = 0;
		unit_log_clear();
		t->fn();
		printf("%s %d %s\n", unit_failed ? "not ok" : "ok", ++n, t->name);
		failed += unit_failed;
	}
	return failed ? 1 : 0;
}

#endif
