// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-pci's ids= value (parse.c's ids_iter), the one reader of it for the
 * command line, modprobe.d and --import: every element lies inside the
 * value, is not empty and holds no comma; joined again they are the value
 * without its quotes and empty elements; parse_kernel_ids() takes each or
 * says why not, and what it takes compares equal to itself.
 */
#include "fuzz.h"
#include "parse.h"

#define FUZZ_IDS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *val = (const char *)data, *p, *prev_end = NULL;
	struct ids_iter it;
	size_t len, total = 0, commas = 0, body;

	if (size > FUZZ_IDS_MAX)
		return 0;
	fuzz_quiet_log();
	ids_iter_init(&it, val, size);
	FUZZ_CHECK(it.p >= val && it.end >= it.p && it.end <= val + size);
	body = (size_t)(it.end - it.p);
	for (size_t i = 0; i < body; i++)
		commas += it.p[i] == ',';
	while (ids_iter_next(&it, &p, &len)) {
		struct pci_ids ids;
		const char *why = NULL;

		FUZZ_CHECK(len > 0 && p >= val && p + len <= val + size);
		FUZZ_CHECK(!memchr(p, ',', len));
		FUZZ_CHECK(!prev_end || p > prev_end);
		prev_end = p + len;
		total += len;
		if (parse_kernel_ids(p, len, &ids, &why) == 0)
			FUZZ_CHECK(pci_ids_equal(&ids, &ids));
		else
			FUZZ_CHECK(why && *why);
	}
	/* Nothing lost but the commas. */
	FUZZ_CHECK(total + commas == body);
	FUZZ_CHECK(!ids_iter_next(&it, &p, &len));
	return 0;
}
