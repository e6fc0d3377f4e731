// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * modload.c under a test root: the kernel release, vfio-pci's ids= as the
 * boot takes them (the root's modprobe.d and command line, as libkmod
 * would read them there), and those ids as rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "fixture.h"
#include "modload.h"
#include "rules.h"

struct ids {
	char s[512];
	unsigned n;
};

static void collect(void *data, const char *id, size_t len)
{
	struct ids *v = data;
	size_t used = strlen(v->s);

	snprintf(v->s + used, sizeof(v->s) - used, "%s%.*s", used ? " " : "", (int)len, id);
	v->n++;
}

static const char *root_of(const struct fx *f, char *buf, size_t size)
{
	snprintf(buf, size, "%s/root", f->dir);
	return buf;
}

TEST(kernel_release_from_the_root)
{
	char kver[64], root[300];
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	(void)root_of(&f, root, sizeof(root));
	CHECK(modload_kernel_release(f.rootfd, kver, sizeof(kver)) == 0);
	CHECK(kver[0] != '\0' && !strchr(kver, '/') && !strchr(kver, '\n'));
	fx_put(f.rootfd, "proc/sys/kernel/osrelease", "../../etc\n");
	CHECK_INT(modload_kernel_release(f.rootfd, kver, sizeof(kver)), -EINVAL);
	fx_free(&f);
}

TEST(vfio_pci_ids_as_libkmod_gives_them)
{
	struct ids v = { .s = "" };
	char root[300];
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	fx_put(f.rootfd, "etc/modprobe.d/vfio.conf",
	       "options vfio-pci ids=\"10de:2204,\\\n10de:1aef\" disable_vga=1\n"
	       "options vfio_pci \"ids=8086:56a0\"\n"
	       "options vfio-pci-core ids=1234:5678\n");
	fx_put(f.rootfd, "proc/cmdline", "quiet vfio-pci.ids=1002:73bf, nouveau.modeset=0\n");
	CHECK(modload_vfio_pci_ids(root_of(&f, root, sizeof(root)), f.rootfd, collect, &v) == 0);
	CHECK_STR(v.s, "10de:2204 10de:1aef 8086:56a0 1002:73bf");
	CHECK_INT(v.n, 4);
	fx_free(&f);
}

TEST(legacy_ids_become_rules_once)
{
	struct ruleset rs = { 0 };
	char root[300];
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	fx_put(f.rootfd, "etc/modprobe.d/vfio.conf",
	       "options vfio-pci ids=10de:2204,10de:2204,xyz\n");
	fx_put(f.rootfd, "proc/cmdline", "vfio_pci.ids=10de:2204\n");
	modload_legacy_ids(root_of(&f, root, sizeof(root)), f.rootfd, &rs);
	CHECK_INT(rs.n, 1);
	if (rs.n == 1) {
		CHECK(rs.v[0].legacy && rs.v[0].kind == RULE_IDS);
		CHECK_STR(rs.v[0].token, "10de:2204");
	}
	CHECK(rs.errors >= 1);
	ruleset_free(&rs);
	fx_free(&f);
}

TEST(no_ids_anywhere)
{
	struct ids v = { .s = "" };
	char root[300];
	struct fx f;

	CHECK(fx_make(&f, "proxmox-3090", NULL) == 0);
	fx_put(f.rootfd, "proc/cmdline", "quiet\n");
	CHECK(modload_vfio_pci_ids(root_of(&f, root, sizeof(root)), f.rootfd, collect, &v) == 0);
	CHECK_INT(v.n, 0);
	fx_free(&f);
}
