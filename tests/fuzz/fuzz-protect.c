// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The protected list and the root-filesystem resolution without libblkid
 * (as under --root): protect_load_list parses and verifies
 * lib/vfio-early/protected, protect_resolve_host parses proc/self/mountinfo
 * and a root= spec and
 * climbs a small fixed sysfs (an NVMe disk below a root port, dm-1 on it, dm-0
 * stacked on itself).
 *
 * Input: the protected file, then optionally 0xff and mountinfo, then
 * optionally 0xff and the root= spec (up to its first NUL).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz-tree.h"
#include "pci.h"
#include "protect.h"
#include "protlist.h"
#include "util.h"

#define FUZZ_PROTECT_MAX (72u << 10)	/* past the file's 64 KiB cap */
#define NVME "sys/devices/pci0000:00/0000:00:1d.0/0000:01:00.0/nvme/nvme0/nvme0n1"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const links[][2] = {
		{ "../../" NVME, "sys/dev/block/259:0" },
		{ "../../" NVME, "sys/class/block/nvme0n1" },
		{ "../../devices/virtual/block/dm-0", "sys/dev/block/253:0" },
		{ "../../devices/virtual/block/dm-0", "sys/class/block/dm-0" },
		{ "../../../../devices/virtual/block/dm-0", "sys/devices/virtual/block/dm-0/slaves/dm-0" },
		{ "../../devices/virtual/block/dm-1", "sys/dev/block/253:1" },
		{ "../../devices/virtual/block/dm-1", "sys/class/block/dm-1" },
		{ "../../../../" NVME, "sys/devices/virtual/block/dm-1/slaves/nvme0n1" },
		{ "../dm-1", "dev/mapper/pve-data" },
		{ "../../nvme0n1", "dev/disk/by-uuid/A1B2-C3D4" },
		{ "../dm-0", "dev/mapper/pve-root" },
		{ "dm-0", "dev/disk/by-label/loop" },
		{ "../../../devices/pci0000:00/0000:00:1d.0", "sys/bus/pci/devices/0000:00:1d.0" },
	};
	static const char bridge_class[] = "0x060400\n";

	(void)argc;
	(void)argv;
	tree_init();
	mkdirs("lib/vfio-early");
	mkdirs("proc/self");
	mkdirs(NVME);
	mkdirs("sys/devices/virtual/block/dm-0/slaves");
	mkdirs("sys/devices/virtual/block/dm-1/slaves");
	mkdirs("sys/dev/block");
	mkdirs("sys/class/block");
	mkdirs("dev/disk/by-uuid");
	mkdirs("dev/disk/by-label");
	mkdirs("dev/mapper");
	mkdirs("sys/bus/pci/devices");
	put_file("sys/devices/pci0000:00/0000:00:1d.0/class", bridge_class,
		 sizeof(bridge_class) - 1);
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		FUZZ_CHECK(symlinkat(links[i][0], rootfd, links[i][1]) == 0);
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return pci_addr_cmp(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pci_addr nvme = { .bus = 1, .has_func = true };
	const char *part[3] = { 0 };
	size_t plen[3] = { 0 }, np = 0, lines = 1;
	struct protect p = { 0 };
	struct pci_tree t = { .devfd = -1 };
	struct protect_sources src = { .sysroot = "" };
	char *buf, *spec = NULL;

	if (size > FUZZ_PROTECT_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	for (const char *s = buf, *end = buf + size; np < 3;) {
		const char *sep = memchr(s, 0xff, (size_t)(end - s));

		part[np] = s;
		plen[np++] = sep ? (size_t)(sep - s) : (size_t)(end - s);
		if (!sep)
			break;
		s = sep + 1;
	}
	put_file("lib/vfio-early/protected", part[0], plen[0]);
	unlinkat(rootfd, "proc/self/mountinfo", 0);
	if (part[1])
		put_file("proc/self/mountinfo", part[1], plen[1]);
	if (part[2])
		spec = strndup(part[2], plen[2]);

	FUZZ_CHECK(pci_scan(&t, rootfd) == 0);
	protect_load_list(&p, &t, rootfd);
	for (size_t i = 0; i < plen[0]; i++)
		lines += part[0][i] == '\n';
	if (plen[0] > (64u << 10))
		FUZZ_CHECK(p.n == 0 && !p.verified);
	/* A list is verified only when it names devices that are there. */
	FUZZ_CHECK(p.n <= lines && p.n <= 4096 && (p.verified == (p.n > 0) || !p.verified));
	FUZZ_CHECK(p.verified || p.unverified[0]);

	src.root_spec = spec;
	protect_resolve_host(&p, &t, rootfd, false, &src);
	FUZZ_CHECK(p.n <= 4096 && p.n <= p.cap);
	for (size_t i = 0; i < p.n; i++) {
		FUZZ_CHECK(p.v[i].addr.has_func && p.v[i].addr.slot <= 0x1f &&
			   p.v[i].addr.func <= 7);
		FUZZ_CHECK(memchr(p.v[i].why, '\0', sizeof(p.v[i].why)));
	}
	/* No address twice (sorted copy: protect_find is linear). */
	if (p.n > 1) {
		struct pci_addr *v = malloc(p.n * sizeof(*v));

		FUZZ_CHECK(v);
		for (size_t i = 0; i < p.n; i++)
			v[i] = p.v[i].addr;
		qsort(v, p.n, sizeof(*v), addr_cmp);
		for (size_t i = 1; i < p.n; i++)
			FUZZ_CHECK(pci_addr_cmp(&v[i - 1], &v[i]) != 0);
		free(v);
	}
	/* The fixed tree holds one controller below a bridge: whatever root= says,
	 * nothing else. */
	if (!part[0] || plen[0] == 0)
		FUZZ_CHECK(p.n == 0 || (p.n == 1 && pci_addr_cmp(&p.v[0].addr, &nvme) == 0));

	protect_free(&p);
	pci_tree_free(&t);
	free(spec);
	free(buf);
	return 0;
}
