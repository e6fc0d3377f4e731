// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Variant drivers (variant.c): the "vfio_pci:" lines of modules.alias, the
 * most specific one for a device, ties, driver=NAME, and the driver's name
 * from /sys/module/MODULE/drivers.  The devices are the ConnectX-6 Dx host
 * of tests/fixtures/cx6dx-vfs.spec; the alias lines are modpost's, as real
 * kernels carry them (Debian's vfio_pci; mlx5_vfio_pci's ConnectX VF entry).
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "fixture.h"
#include "variant.h"

#define KVER "6.1.0-56-amd64"
#define ALIASES "lib/modules/" KVER "/modules.alias"

static const char base_aliases[] =
	"# Aliases extracted from modules themselves.\n"
	"alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
	"alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
	"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n";

static struct pci_dev *dev(struct fx *f, const char *name)
{
	struct pci_addr a;
	const char *why;

	if (parse_pci_addr(name, strlen(name), &a, &why) < 0)
		return NULL;
	return pci_find(&f->t, &a);
}

/* The fixture walked, with @aliases as its kernel's modules.alias. */
static int setup(struct fx *f, struct variant_table *vt, const char *aliases)
{
	if (fx_make(f, "cx6dx-vfs", NULL) < 0)
		return -1;
	fx_put(f->rootfd, ALIASES, aliases);
	if (pci_scan(&f->t, f->rootfd) < 0)
		return -1;
	return variant_table_load(vt, f->rootfd, KVER);
}

TEST(reads_only_vfio_pci_lines)
{
	struct variant_table vt;
	struct fx f;

	CHECK(setup(&f, &vt, base_aliases) == 0);
	CHECK(vt.n == 2);
	CHECK_STR(vt.v[0].module, "vfio_pci");
	CHECK(vt.v[0].wild == 7);
	CHECK_STR(vt.v[1].pattern, "vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*");
	CHECK(vt.v[1].wild == 5);
	variant_table_free(&vt);
	fx_free(&f);
}

TEST(the_variant_beats_vfio_pci_for_its_device_only)
{
	const struct variant_alias *a;
	struct variant_table vt;
	struct variant_match m;
	struct fx f;

	CHECK(setup(&f, &vt, base_aliases) == 0);
	a = variant_pick(&vt, dev(&f, "0000:d8:00.2"), NULL, NULL, 0);
	CHECK(a && strcmp(a->module, "mlx5_vfio_pci") == 0);
	/* The PF [15b3:101d] and the i350: vfio_pci's own entry only. */
	variant_best(&vt, dev(&f, "0000:d8:00.0"), &m);
	CHECK(m.best && strcmp(m.best->module, "vfio_pci") == 0 && !m.tie);
	CHECK(variant_pick(&vt, dev(&f, "0000:d8:00.0"), NULL, NULL, 0) == NULL);
	CHECK(variant_pick(&vt, dev(&f, "0000:03:00.0"), NULL, NULL, 0) == NULL);
	variant_table_free(&vt);
	fx_free(&f);
}

TEST(fewer_wildcards_win_and_equals_tie)
{
	static const char more[] =
		"alias vfio_pci:v000015B3d0000101Esv000015B3sd00000083bc*sc*i* oem_vfio_pci\n";
	static const char tie[] =
		"alias vfio_pci:v000015B3d0000101Esv000015B3sd00000083bc*sc*i* other_vfio_pci\n";
	char aliases[1024], why[160];
	struct variant_table vt;
	struct variant_match m;
	struct fx f;

	snprintf(aliases, sizeof(aliases), "%s%s", base_aliases, more);
	CHECK(setup(&f, &vt, aliases) == 0);
	variant_best(&vt, dev(&f, "0000:d8:00.2"), &m);
	CHECK(m.best && strcmp(m.best->module, "oem_vfio_pci") == 0 && !m.tie);
	variant_table_free(&vt);

	snprintf(aliases, sizeof(aliases), "%s%s%s", base_aliases, more, tie);
	fx_put(f.rootfd, ALIASES, aliases);
	CHECK(variant_table_load(&vt, f.rootfd, KVER) == 0);
	CHECK(variant_pick(&vt, dev(&f, "0000:d8:00.2"), NULL, why, sizeof(why)) == NULL);
	CHECK_STR(why, "driver=auto: oem_vfio_pci and other_vfio_pci match equally well; "
		  "name one with driver=");
	variant_table_free(&vt);
	fx_free(&f);
}

TEST(driver_name_asks_for_a_vfio_pci_driver)
{
	const struct variant_alias *a;
	struct variant_table vt;
	char why[160];
	struct fx f;

	CHECK(setup(&f, &vt, base_aliases) == 0);
	/* '-' and '_' alike; it holds for a device its table does not list. */
	a = variant_pick(&vt, dev(&f, "0000:d8:00.0"), "mlx5-vfio-pci", why, sizeof(why));
	CHECK(a && strcmp(a->module, "mlx5_vfio_pci") == 0 && !why[0]);
	CHECK(variant_pick(&vt, dev(&f, "0000:d8:00.2"), "vfio-pci", why, sizeof(why)) == NULL);
	CHECK(variant_pick(&vt, dev(&f, "0000:d8:00.2"), "mlx5_core", why, sizeof(why)) == NULL);
	CHECK_STR(why, "driver=mlx5_core: no such vfio-pci driver in modules.alias "
		  "(no \"vfio_pci:\" alias)");
	variant_table_free(&vt);
	fx_free(&f);
}

TEST(no_modules_alias_is_vfio_pci)
{
	struct variant_table vt;
	struct fx f;

	CHECK(fx_make(&f, "cx6dx-vfs", NULL) == 0);
	CHECK(pci_scan(&f.t, f.rootfd) == 0);
	CHECK(variant_table_load(&vt, f.rootfd, KVER) == -ENOENT);
	CHECK(vt.n == 0 && vt.err == -ENOENT);
	CHECK(variant_pick(&vt, dev(&f, "0000:d8:00.2"), NULL, NULL, 0) == NULL);
	variant_table_free(&vt);
	fx_free(&f);
}

TEST(driver_name_from_sys_module)
{
	char name[DRIVER_NAME_LEN];
	struct fx f;

	CHECK(fx_make(&f, "cx6dx-vfs", NULL) == 0);
	CHECK(variant_driver_name(f.rootfd, "pds-vfio-pci", name, sizeof(name)) == -ENOENT);
	/* pds_vfio_pci registers "pds-vfio-pci": the module and driver names differ. */
	fx_put(f.rootfd, "sys/module/pds_vfio_pci/drivers/pci:pds-vfio-pci", "");
	fx_put(f.rootfd, "sys/module/pds_vfio_pci/drivers/auxiliary:x", "");
	CHECK(variant_driver_name(f.rootfd, "pds-vfio-pci", name, sizeof(name)) == 0);
	CHECK_STR(name, "pds-vfio-pci");
	fx_free(&f);
}

