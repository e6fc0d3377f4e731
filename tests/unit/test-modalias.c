// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which modules would bind a device, from modules.alias as libkmod reads
 * it: a fake root with modules whose aliases are those of the real
 * modules.alias lines (Linux 6.8: i915 and xe both claim the Arc A770
 * 8086:56a0; nouveau claims every NVIDIA display controller; snd_hda_intel
 * every HD Audio controller by class), indexed by depmod.
 */
#include <errno.h>
#include <libkmod.h>

#include "sysfs.h"
#include "unit.h"
#include "fixture.h"
#include "modalias.h"
#include "modload.h"

/*
 * The guide's host (proxmox-3090) with an Intel Arc A770 and its HDMI
 * audio on the bus below a root port (8086:56a0 and 8086:4f90 as lspci
 * -nn lists the card; the subsystem 8086:1020 of Intel's Limited Edition
 * is assumed).
 */
static const char ARC[] =
	"pci 0000:00:1c.0 ids=8086:a33c class=060400 group=16 driver=pcieport\n"
	"pci 0000:03:00.0 parent=0000:00:1c.0 ids=8086:56a0 sub=8086:1020 class=030000 group=17\n"
	"pci 0000:04:00.0 parent=0000:00:1c.0 ids=8086:4f90 sub=8086:1020 class=040300 group=18\n";

static const char *const I915[] = { "pci:v00008086d00003E92sv*sd*bc03sc*i*",
				    "pci:v00008086d000056A0sv*sd*bc03sc*i*", NULL };
static const char *const XE[] = { "pci:v00008086d000056A0sv*sd*bc03sc*i*", NULL };
static const char *const NOUVEAU[] = { "pci:v000010DEd*sv*sd*bc03sc*i*",
				       "pci:v000012D2d*sv*sd*bc03sc*i*", NULL };
static const char *const HDA[] = { "pci:v*d*sv*sd*bc04sc03i00", NULL };

static struct kmod_ctx *open_root(struct fx *f)
{
	char root[300], kver[128];

	snprintf(root, sizeof(root), "%s/root", f->dir);
	return modload_open_root(root, f->rootfd, kver, sizeof(kver));
}

static struct pci_dev *dev(struct fx *f, const char *name)
{
	struct pci_addr a;

	if (parse_sysfs_name(name, &a) < 0)
		return NULL;
	return pci_find(&f->t, &a);
}

static int setup(struct fx *f, bool index)
{
	if (fx_setup(f, "proxmox-3090", ARC, NULL) < 0)
		return -1;
	if (!index)
		return 0;
	if (fx_module(f, "i915", I915) < 0 || fx_module(f, "xe", XE) < 0 ||
	    fx_module(f, "nouveau", NOUVEAU) < 0 || fx_module(f, "snd_hda_intel", HDA) < 0)
		return -1;
	return fx_depmod(f);
}

TEST(modalias_string_as_the_kernel_writes_it)
{
	struct fx f;
	char buf[MODALIAS_PCI_LEN + 1];

	CHECK(setup(&f, false) == 0);
	CHECK(dev(&f, "0000:09:00.0") && dev(&f, "0000:04:00.0"));
	if (!dev(&f, "0000:09:00.0") || !dev(&f, "0000:04:00.0"))
		goto out;
	CHECK_INT(modalias_format(dev(&f, "0000:09:00.0"), buf, sizeof(buf)), 0);
	CHECK_STR(buf, "pci:v000010DEd00002204sv000010DEsd00001492bc03sc00i00");
	CHECK_INT(modalias_format(dev(&f, "0000:04:00.0"), buf, sizeof(buf)), 0);
	CHECK_STR(buf, "pci:v00008086d00004F90sv00008086sd00001020bc04sc03i00");
	CHECK_INT(modalias_format(dev(&f, "0000:04:00.0"), buf, MODALIAS_PCI_LEN), -ENOSPC);
out:
	fx_free(&f);
}

TEST(modules_of_each_device_from_modules_alias)
{
	struct kmod_ctx *ctx = NULL;
	char names[256];
	struct fx f;

	CHECK(setup(&f, true) == 0);
	ctx = open_root(&f);
	CHECK(ctx != NULL);
	if (!ctx || !dev(&f, "0000:03:00.0"))
		goto out;
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:03:00.0"), names, sizeof(names)), 0);
	CHECK_STR(names, "i915 xe ");
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:00:02.0"), names, sizeof(names)), 0);
	CHECK_STR(names, "i915 ");
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:09:00.1"), names, sizeof(names)), 0);
	CHECK_STR(names, "snd_hda_intel ");
	/* No module claims the NVMe here. */
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:01:00.0"), names, sizeof(names)), 0);
	CHECK_STR(names, "");
	/* Too small: the names that fit, and -ENOSPC. */
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:03:00.0"), names, 7), -ENOSPC);
	CHECK_STR(names, "i915 ");
out:
	if (ctx)
		kmod_unref(ctx);
	fx_free(&f);
}

TEST(module_matches_with_dash_and_underscore_alike)
{
	struct kmod_ctx *ctx = NULL;
	struct fx f;

	CHECK(setup(&f, true) == 0);
	ctx = open_root(&f);
	CHECK(ctx != NULL);
	if (!ctx || !dev(&f, "0000:03:00.0"))
		goto out;
	/* blacklist i915 and blacklist xe both matter for the Arc. */
	CHECK(modalias_module_matches(ctx, "i915", dev(&f, "0000:03:00.0")));
	CHECK(modalias_module_matches(ctx, "xe", dev(&f, "0000:03:00.0")));
	CHECK(!modalias_module_matches(ctx, "nouveau", dev(&f, "0000:03:00.0")));
	/* i915 also drives the host's iGPU; xe does not. */
	CHECK(modalias_module_matches(ctx, "i915", dev(&f, "0000:00:02.0")));
	CHECK(!modalias_module_matches(ctx, "xe", dev(&f, "0000:00:02.0")));
	CHECK(modalias_module_matches(ctx, "nouveau", dev(&f, "0000:09:00.0")));
	CHECK(!modalias_module_matches(ctx, "nouveau", dev(&f, "0000:09:00.1")));
	CHECK(modalias_module_matches(ctx, "snd-hda-intel", dev(&f, "0000:09:00.1")));
	CHECK(modalias_module_matches(ctx, "snd_hda_intel", dev(&f, "0000:00:1f.3")));
	CHECK(modalias_module_matches(ctx, "snd_hda_intel", dev(&f, "0000:04:00.0")));
	/* A name is a whole name. */
	CHECK(!modalias_module_matches(ctx, "i91", dev(&f, "0000:03:00.0")));
	CHECK(!modalias_module_matches(ctx, "i915x", dev(&f, "0000:03:00.0")));
	CHECK(!modalias_module_matches(ctx, "", dev(&f, "0000:03:00.0")));
out:
	if (ctx)
		kmod_unref(ctx);
	fx_free(&f);
}

TEST(no_module_index_matches_nothing)
{
	struct kmod_ctx *ctx = NULL;
	char names[64];
	struct fx f;

	CHECK(setup(&f, false) == 0);
	ctx = open_root(&f);
	CHECK(ctx != NULL);
	if (!ctx || !dev(&f, "0000:09:00.0"))
		goto out;
	CHECK(!modalias_module_matches(ctx, "nouveau", dev(&f, "0000:09:00.0")));
	CHECK(modalias_modules(ctx, dev(&f, "0000:09:00.0"), names, sizeof(names)) <= 0);
	CHECK_STR(names, "");
out:
	if (ctx)
		kmod_unref(ctx);
	fx_free(&f);
}

TEST(text_modules_alias_without_an_index)
{
	struct kmod_ctx *ctx = NULL;
	char names[64], path[1024], kver[128];
	struct fx f;
	FILE *out;

	CHECK(setup(&f, false) == 0);
	CHECK(read_attr(f.rootfd, "proc/sys/kernel/osrelease", kver, sizeof(kver)) > 0);
	snprintf(path, sizeof(path), "mkdir -p %s/root/lib/modules/%s", f.dir, kver);
	CHECK(system(path) == 0);
	snprintf(path, sizeof(path), "%s/root/lib/modules/%s/modules.alias", f.dir, kver);
	out = fopen(path, "w");
	CHECK(out != NULL);
	if (!out)
		goto out;
	fputs("# Aliases extracted from modules themselves.\n"
	      "alias pci:v00008086d000056A0sv*sd*bc03sc*i* i915\n"
	      "alias pci:v00008086d000056A0sv*sd*bc03sc*i* xe\n"
	      "alias pci:v*d*sv*sd*bc04sc03i00 snd_hda_intel\n", out);
	fclose(out);
	ctx = open_root(&f);
	CHECK(ctx != NULL);
	if (!ctx || !dev(&f, "0000:03:00.0"))
		goto out;
	CHECK_INT(modalias_modules(ctx, dev(&f, "0000:03:00.0"), names, sizeof(names)), 0);
	CHECK_STR(names, "i915 xe ");
	CHECK(modalias_module_matches(ctx, "snd-hda-intel", dev(&f, "0000:04:00.0")));
	CHECK(!modalias_module_matches(ctx, "i915", dev(&f, "0000:00:02.0")));
out:
	if (ctx)
		kmod_unref(ctx);
	fx_free(&f);
}

TEST(list_has_whole_names_only)
{
	CHECK(modalias_list_has("i915 xe ", "xe", 2));
	CHECK(modalias_list_has("i915 xe ", "i915", 4));
	CHECK(modalias_list_has("vfio_pci ", "vfio-pci", 8));
	CHECK(!modalias_list_has("i915 xe ", "x", 1));
	CHECK(!modalias_list_has("i915 xe ", "915", 3));
	CHECK(!modalias_list_has("", "xe", 2));
}
