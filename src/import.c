// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --import: read the vfio-pci recipe this host already uses and
 * print the equivalent /etc/vfio-early.conf on stdout, with comments that
 * say which of the old lines become unnecessary (and why), which need
 * editing, and which must stay.  Nothing is written anywhere.
 *
 * Read, all under --root DIR:
 *   etc/modprobe.d, run/modprobe.d, usr/local/lib/modprobe.d,
 *   usr/lib/modprobe.d, lib/modprobe.d (libkmod's order, modprobe_dirs in
 *       modload.h): every *.conf, as modprobe.d(5) reads them: a file
 *       hides the same-named files in the directories after it (a link to
 *       /dev/null hides them and says nothing), files are read in the order
 *       of their names, a trailing backslash joins a line with the next, a
 *       line whose first word starts with '#' is a comment.
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
 * Files: import.c (findings and the mode), import-read.c (files and the
 * command line into statements), import-decide.c (what each statement
 * becomes), import-print.c (the devices and the config); import-int.h holds
 * what they share.
 *
 * Exit status (bits, ORed):
 *   0  a recipe was found and its config printed
 *   1  usage or internal error, or nothing to import: no vfio-pci ids were
 *      found (the review is still printed, the config holds no rule)
 *   2  some lines or tokens could not be parsed; each was reported on stderr
 *      as FILE:LINE: TOKEN: why and skipped; the printed config is valid
 */
#include "import-int.h"

/* "WHERE: TOKEN: why" on stderr; @toklen bytes of @tok, at most 64. */
void _printf_(5, 6) imp_warn_at(struct imp *im, const char *where, const char *tok,
				size_t toklen, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	im->warnings++;
	if (im->warnings > WARNINGS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("%s: %.*s: %s", where, (int)(toklen < 64 ? toklen : 64), tok, why);
}

/* Takes every string; a NULL among them means memory ran out. */
void imp_add_finding(struct imp *im, enum legacy_verdict v, bool gave_ids, char *where,
		     char *text, char *edit, char *why)
{
	struct legacy_line *f;

	if (!where || !text || !why || (v == LEGACY_EDIT && !edit))
		goto oom;
	f = realloc(im->f, (im->nf + 1) * sizeof(*f));
	if (!f)
		goto oom;
	im->f = f;
	im->f[im->nf++] = (struct legacy_line){ .v = v, .gave_ids = gave_ids, .where = where,
					    .text = text, .edit = edit, .why = why };
	return;
oom:
	im->oom = true;
	free(where);
	free(text);
	free(edit);
	free(why);
}

void imp_add_note(struct imp *im, char *note)
{
	char **v;

	if (!note) {
		im->oom = true;
		return;
	}
	v = realloc(im->notes, (im->nnotes + 1) * sizeof(*v));
	if (!v) {
		im->oom = true;
		free(note);
		return;
	}
	im->notes = v;
	im->notes[im->nnotes++] = note;
}

static void imp_free(struct imp *im)
{
	for (size_t i = 0; i < im->ne; i++) {
		free(im->e[i].where);
		free(im->e[i].text);
	}
	free(im->e);
	legacy_free(im->f, im->nf);
	for (size_t i = 0; i < im->nnotes; i++)
		free(im->notes[i]);
	free(im->notes);
	free(im->seen);
	free(im->taken);
	free(im->direct);
	free(im->card0);
	free(im->mods);
	if (im->kmod)
		kmod_unref(im->kmod);
	pci_tree_free(&im->t);
}

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

void legacy_free(struct legacy_line *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].where);
		free(v[i].text);
		free(v[i].edit);
		free(v[i].why);
	}
	free(v);
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
