// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sysfs readers, on a one-device tree in a temporary directory whose
 * attributes and links come from the input: read_attr, read_file_at and
 * read_link against a model of what they must return, then the walk
 * (pci_scan, which parses modalias or the separate id attributes) and
 * pci_load / pci_read_driver / pci_stable_path on what it found, and the
 * path layer's component check on the first field.
 *
 * Input: fields separated by 0xff bytes (never valid attribute text), in
 * the order of fields[] below.  A field that is not there, or that is the
 * single byte 0xfe, is a file that is not there.  Link targets stop at the
 * first NUL; an empty one is no link.
 */
#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz-tree.h"
#include "pci.h"
#include "sysfs.h"
#include "util.h"

#define FUZZ_SYSFS_MAX (70u << 10)	/* room for a 64 KiB attribute */
#define DEV "sys/devices/pci0000:00/0000:00:00.0"

static const struct {
	const char *path;
	bool link;
} fields[] = {
	{ DEV "/modalias", false },
	{ DEV "/driver_override", false },
	{ DEV "/boot_vga", false },
	{ DEV "/vendor", false },
	{ DEV "/device", false },
	{ DEV "/class", false },
	{ DEV "/subsystem_vendor", false },
	{ DEV "/subsystem_device", false },
	{ DEV "/driver", true },
	{ DEV "/iommu_group", true },
	{ "sys/bus/pci/devices/0000:00:01.0", true },	/* a second device's bus link */
	{ DEV "/physfn", true },
};
#define NFIELDS ARRAY_SIZE(fields)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{

	(void)argc;
	(void)argv;
	tree_init();
	mkdirs(DEV);
	mkdirs("sys/bus/pci/devices");
	mkdirs("sys/kernel/iommu_groups/7/devices");
	FUZZ_CHECK(symlinkat("../../../devices/pci0000:00/0000:00:00.0", rootfd,
			     "sys/bus/pci/devices/0000:00:00.0") == 0);
	FUZZ_CHECK(symlinkat("../../../../devices/pci0000:00/0000:00:00.0", rootfd,
			     "sys/kernel/iommu_groups/7/devices/0000:00:00.0") == 0);
	return 0;
}

/* The link target up to the first NUL; an empty one makes no link. */
static size_t put_link(const char *path, const char *data, size_t len)
{
	char target[4096];
	size_t n = strnlen(data, len);

	if (n == 0 || n >= sizeof(target))
		return 0;
	memcpy(target, data, n);
	target[n] = '\0';
	FUZZ_CHECK(symlinkat(target, rootfd, path) == 0);
	return n;
}

/* read_attr against its contract, for one buffer size. */
static void model_read_attr(const char *path, const char *data, size_t len, size_t size)
{
	char *buf = malloc(size);
	ssize_t n;
	size_t want;

	FUZZ_CHECK(buf);
	n = read_attr(rootfd, path, buf, size);
	if (len >= size - 1) {
		FUZZ_CHECK(n == -EOVERFLOW);
	} else if (memchr(data, '\0', len)) {
		FUZZ_CHECK(n == -EILSEQ);
	} else {
		want = len;
		while (want > 0 && (data[want - 1] == '\n' || data[want - 1] == '\r'))
			want--;
		FUZZ_CHECK(n == (ssize_t)want && buf[n] == '\0');
		FUZZ_CHECK(memcmp(buf, data, want) == 0);
	}
	free(buf);
}

static void model_read_file(const char *path, const char *data, size_t len, size_t max)
{
	size_t got = (size_t)-1;
	char *buf;

	errno = 0;
	buf = read_file_at(rootfd, path, max, &got);
	if (len > max) {
		FUZZ_CHECK(!buf && errno == EFBIG);
		return;
	}
	FUZZ_CHECK(buf && got == len && buf[len] == '\0');
	FUZZ_CHECK(len == 0 || memcmp(buf, data, len) == 0);
	free(buf);
}

static void model_read_link(const char *path, const char *target, size_t tlen, size_t size)
{
	char *buf = malloc(size);
	ssize_t n;

	FUZZ_CHECK(buf);
	n = read_link(rootfd, path, buf, size);
	if (tlen == 0)
		FUZZ_CHECK(n == -ENOENT);
	else if (tlen >= size)
		FUZZ_CHECK(n == -ENAMETOOLONG);
	else
		FUZZ_CHECK(n == (ssize_t)tlen && memcmp(buf, target, tlen) == 0 && buf[n] == '\0');
	free(buf);
}

static bool driver_name_ok(const char *s)
{
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

static void walk(void)
{
	struct pci_tree t;
	char buf[512];

	if (pci_scan(&t, rootfd) < 0) {
		pci_tree_free(&t);
		return;
	}
	FUZZ_CHECK(t.n + t.skipped <= 2);
	for (size_t i = 0; i < t.n; i++) {
		struct pci_dev *d = &t.dev[i];
		struct pci_addr a;

		FUZZ_CHECK(parse_sysfs_name(d->name, &a) == 0 && pci_addr_cmp(&a, &d->addr) == 0);
		pci_load(&t, d);
		FUZZ_CHECK(d->loaded);
		FUZZ_CHECK(strlen(d->driver) < sizeof(d->driver) && driver_name_ok(d->driver));
		FUZZ_CHECK(strlen(d->override) < sizeof(d->override) &&
			   driver_name_ok(d->override));
		FUZZ_CHECK(d->iommu_group >= -1);
		if (pci_read_driver(&t, d, buf, sizeof(d->driver)) == 0)
			FUZZ_CHECK(strcmp(buf, d->driver) == 0);
		if (pci_stable_path(&t, d, buf, sizeof(buf)) == 0)
			FUZZ_CHECK(strlen(buf) < sizeof(buf) && buf[0]);
		if (d->iommu_group >= 0) {
			struct pci_dev **mem;
			size_t n;

			if (pci_group_members(&t, d->iommu_group, &mem, &n) == 0) {
				FUZZ_CHECK(n <= t.n);
				free(mem);
			}
		}
	}
	pci_tree_free(&t);
}

/*
 * The path layer on text from outside: a name is one component or
 * nothing, and a formatted path holds it whole or is not built.
 */
static void model_path_component(const char *data, size_t len)
{
	char name[SYSFS_NAME_MAX + 8], path[SYSFS_NAME_MAX + 64];
	size_t n = strnlen(data, len < sizeof(name) - 1 ? len : sizeof(name) - 1);
	bool ok = n > 0 && n <= SYSFS_NAME_MAX && data[0] != '.';
	int r;

	memcpy(name, data, n);
	name[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == '/' || name[i] == 0x7f)
			ok = false;
	FUZZ_CHECK(sysfs_name_ok(name) == ok);
	r = sysfs_pathf(path, sizeof(path), "sys/class/net/%s/device", name);
	if (ok) {
		FUZZ_CHECK(r == (int)n + 21);
		FUZZ_CHECK(memcmp(path + 14, name, n) == 0 && strcmp(path + 14 + n, "/device") == 0);
	} else {
		FUZZ_CHECK(r == -EINVAL && path[0] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NFIELDS] = { 0 };
	size_t flen[NFIELDS] = { 0 }, tlen[NFIELDS] = { 0 }, nf = 0;
	char *buf;

	if (size > FUZZ_SYSFS_MAX)
		return 0;
	fuzz_quiet_log();
	buf = fuzz_dup(data, size);
	for (const char *p = buf, *end = buf + size; nf < NFIELDS;) {
		const char *sep = memchr(p, 0xff, (size_t)(end - p));

		f[nf] = p;
		flen[nf++] = sep ? (size_t)(sep - p) : (size_t)(end - p);
		if (!sep)
			break;
		p = sep + 1;
	}
	for (size_t i = 0; i < nf; i++)
		if (flen[i] == 1 && (unsigned char)f[i][0] == 0xfe)
			f[i] = NULL;
	model_path_component(f[0] ? f[0] : "", f[0] ? flen[0] : 0);
	for (size_t i = 0; i < NFIELDS; i++) {
		unlinkat(rootfd, fields[i].path, 0);
		if (!f[i])
			continue;
		if (fields[i].link)
			tlen[i] = put_link(fields[i].path, f[i], flen[i]);
		else
			put_file(fields[i].path, f[i], flen[i]);
	}

	/* The readers against their contracts, on the first field. */
	if (!f[0]) {
		char small[8];

		FUZZ_CHECK(read_attr(rootfd, fields[0].path, small, sizeof(small)) == -ENOENT);
		FUZZ_CHECK(!read_file_at(rootfd, fields[0].path, 16, &flen[0]) && errno == ENOENT);
	} else {
		static const size_t sizes[] = { 2, 32, 128, 512, 4096 };
		static const size_t maxes[] = { 0, 1, 16, 4096, 64 << 10 };

		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			model_read_attr(fields[0].path, f[0], flen[0], sizes[i]);
		for (size_t i = 0; i < ARRAY_SIZE(maxes); i++)
			model_read_file(fields[0].path, f[0], flen[0], maxes[i]);
	}
	for (size_t i = 8; i < NFIELDS; i++) {
		static const size_t sizes[] = { 1, 64, 512, 4096 };

		for (size_t k = 0; k < ARRAY_SIZE(sizes); k++)
			model_read_link(fields[i].path, f[i] ? f[i] : "", tlen[i], sizes[k]);
	}
	walk();
	free(buf);
	return 0;
}
