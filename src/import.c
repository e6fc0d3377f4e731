// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --import: read the vfio-pci recipe this host already uses and
 * print the equivalent /etc/vfio-early.conf on stdout, with comments that
 * say which of the old lines become unnecessary (and why), which need
 * editing, and which must stay.  Nothing is written anywhere.
 *
 * Read, all under --root DIR:
 *   modprobe.d, as libkmod reads it (modprobe-conf.c): every *.conf of
 *       its five directories, a file hiding the same-named files in the
 *       directories after it (a link to /dev/null or an empty file hides
 *       them and says nothing), files in the order of their names, a
 *       trailing backslash joining a line with the next, a line whose first
 *       word starts with '#' a comment.
 *   etc/modules, etc/modules-load.d/ *.conf, etc/initramfs-tools/modules:
 *       one module per line.
 *   etc/dracut.conf.d/ *.conf: add_drivers+= and force_drivers+=.
 *   proc/cmdline: vfio-pci.ids=, vfio_pci.*, rd.driver.pre=,
 *       rd.driver.blacklist=, modprobe.blacklist=, module_blacklist=.
 *   sys/bus/pci/devices: which devices the imported ids select here.
 *
 * Recognised: `options vfio-pci ids=...` (or vfio_pci; other vfio options
 * stay, libkmod applies them when vfio-early loads vfio-pci), `softdep MOD
 * pre: vfio-pci`, `blacklist` and `install MOD /bin/false` of the GPU,
 * HD Audio, xHCI and UCSI drivers a card's functions use, `install` lines
 * that load vfio-pci first or run a driver_override script, and the vfio
 * modules in the module lists.  Every other line is left alone.
 *
 * Each statement is read once into a list (file, line, text), then each is
 * decided from that list.  The ids that apply are libkmod's, as boot reads
 * them (modload_vfio_pci_ids()); the statements give each its FILE:LINE.
 *
 * Output: a valid vfio-early.conf: a header naming the line every id came
 * from (`# from FILE:LINE: TEXT`), one `ids` rule, the devices those ids
 * select on this host (and, for two identical cards, the address and path
 * rules that tell them apart), then the review: lines to delete, lines to
 * edit, lines to keep, each with FILE:LINE and why.
 *
 * Files, from the bottom: import-model.c (what is read and found, findings,
 * warnings, statements, strings), import-ids.c (the ids), import-read.c
 * (files and the command line into statements), import-decide.c (what
 * each statement becomes), import-print.c (the devices and the config),
 * and import.c, the mode itself, on top: no other file calls it.
 *
 * Exit status (bits, ORed):
 *   0  a recipe was found and its config printed
 *   1  usage or internal error, or nothing to import: no vfio-pci ids were
 *      found (the review is still printed, the config holds no rule)
 *   2  some lines or tokens could not be parsed; each was reported on stderr
 *      as FILE:LINE: TOKEN: why and skipped; the printed config is valid
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "import-decide.h"
#include "import-ids.h"
#include "import-print.h"
#include "import-read.h"
#include "log.h"
#include "modload.h"
#include "sources.h"

enum {
	EXIT_IMPORT_ERRORS = EXIT_RULES,
	EXIT_IMPORT_NOTHING = EXIT_NOTHING_TO_IMPORT,
};

/*
 * Every statement read once; the ids from libkmod; the devices they select
 * here; then what each statement becomes.
 */
static int gather(struct imp *im, const struct mode_ctx *c)
{
	im->c = c;
	im->t.devfd = -1;
	if (modload_kernel_release(c->rootfd, im->kver, sizeof(im->kver)) < 0)
		im->kver[0] = '\0';
	imp_read_all(im);
	if (!im->oom)
		import_kmod_ids(im);
	if (!im->oom && im->nids)
		imp_select_devices(im);
	if (!im->oom && im->have_tree)
		imp_device_modules(im);
	for (size_t i = 0; i < im->ne && !im->oom; i++)
		imp_decide(im, &im->e[i]);
	return im->oom ? -ENOMEM : 0;
}

int legacy_scan(const struct mode_ctx *c, struct legacy_line **out, size_t *n, size_t *nids)
{
	struct imp *im = calloc(1, sizeof(*im));
	int r;

	*out = NULL;
	*n = *nids = 0;
	if (!im)
		return -ENOMEM;
	r = gather(im, c);
	if (r == 0) {
		/* The findings change hands; the rest is freed. */
		*out = im->f;
		*n = im->nf;
		*nids = im->nids;
		im->f = NULL;
		im->nf = 0;
	}
	imp_free(im);
	free(im);
	return r;
}

int import_run(const struct mode_ctx *c)
{
	struct imp *im = calloc(1, sizeof(*im));
	const char *config_shown = sources_config_name(c->config);
	bool config_exists;
	int ret = 0;

	if (!im) {
		log_err("out of memory");
		return EXIT_USAGE;
	}
	if (gather(im, c) < 0) {
		log_err("out of memory");
		imp_free(im);
		free(im);
		return EXIT_USAGE;
	}
	if (im->warnings > WARNINGS_SHOWN)
		log_warn("%u more problem%s not shown", im->warnings - WARNINGS_SHOWN,
			 plural(im->warnings - WARNINGS_SHOWN));

	if (c->config)
		config_exists = faccessat(AT_FDCWD, c->config, F_OK, 0) == 0;
	else
		config_exists = faccessat(c->rootfd, CONFIG_FILE, F_OK, 0) == 0;
	imp_print_config(im, stdout, config_shown, config_exists);
	if (im->nids == 0) {
		log_notice("nothing to import: no vfio-pci ids in modprobe.d or on the kernel "
			   "command line");
		ret = EXIT_IMPORT_NOTHING;
	} else if (im->warnings) {
		ret = EXIT_IMPORT_ERRORS;
	}
	imp_free(im);
	free(im);
	return ret;
}
