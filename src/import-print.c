// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Printing for vfio-early --import: the devices the imported ids select
 * (each card whole, two identical cards told apart) and the config itself.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdlib.h>
#include <string.h>

#include "bootloader.h"
#include "card.h"
#include "import-print.h"
#include "log.h"
#include "modalias.h"
#include "modload.h"

/* ---- the devices the ids select here ---------------------------------------------- */

void imp_select_devices(struct imp *im)
{
	struct pci_tree *t = &im->t;

	if (pci_scan(t, im->c->rootfd) < 0 || t->n == 0) {
		log_debug("no PCI devices under sys/bus/pci/devices to check the ids against");
		return;
	}
	im->taken = calloc(t->n, sizeof(*im->taken));
	im->direct = calloc(t->n, sizeof(*im->direct));
	im->card0 = calloc(t->n, sizeof(*im->card0));
	if (!im->taken || !im->direct || !im->card0) {
		im->oom = true;
		return;
	}
	im->have_tree = true;
	for (size_t i = 0; i < t->n; i++) {
		im->card0[i] = NO_CARD;
		if (pci_is_bridge(&t->dev[i]))
			continue;
		for (size_t k = 0; k < im->nids; k++)
			if (imp_id_matches(&im->ids[k], &t->dev[i]))
				im->direct[i] = im->taken[i] = true;
	}
	/* An ids rule brings the other functions of the card along (card.h). */
	for (size_t i = 0; i < t->n; i++) {
		struct pci_card c;
		size_t first;

		if (!im->direct[i])
			continue;
		pci_card(t, &t->dev[i], &c);
		first = (size_t)(c.fn[0] - t->dev);
		for (size_t j = 0; j < c.n; j++) {
			size_t f = (size_t)(c.fn[j] - t->dev);

			im->taken[f] = true;
			if (im->card0[f] == NO_CARD)
				im->card0[f] = first;
		}
	}
}

/* Each device's modules, from the root's modules.alias (none without one). */
void imp_device_modules(struct imp *im)
{
	char kver[sizeof(im->kver)];

	if (!im->kver[0])
		return;
	im->kmod = modload_open_root(im->c->root, im->c->rootfd, kver, sizeof(kver));
	if (!im->kmod)
		return;
	im->mods = calloc(im->t.n, sizeof(*im->mods));
	if (!im->mods) {
		im->oom = true;
		return;
	}
	for (size_t i = 0; i < im->t.n; i++)
		if (!pci_is_bridge(&im->t.dev[i]) &&
		    modalias_modules(im->kmod, &im->t.dev[i], im->mods[i], MODS_LEN) == -ENOSPC)
			log_debug("%s: more modules than shown", im->t.dev[i].name);
}

/* The first function of the card of device @i, which the ids take. */
static const struct pci_dev *card_of(const struct imp *im, size_t i)
{
	return &im->t.dev[im->card0[i] == NO_CARD ? i : im->card0[i]];
}

/* Each device the ids select, with its driver and group. */
static void print_selected(struct imp *im, FILE *out)
{
	struct pci_tree *t = &im->t;

	fputs("# On this host these ids select (each card with all of its functions):\n", out);
	for (size_t i = 0; i < t->n; i++) {
		struct pci_dev *d = &t->dev[i];

		if (!im->taken[i])
			continue;
		pci_load(t, d);
		fprintf(out, "#   %s [%04x:%04x] class %06x, %s%s", d->name, d->vendor, d->device,
			d->class, d->driver[0] ? "driver " : "no driver",
			d->driver[0] ? d->driver : "");
		if (d->iommu_group >= 0)
			fprintf(out, ", IOMMU group %d", d->iommu_group);
		if (!im->direct[i])
			fprintf(out, " (function of %s)", card_of(im, i)->name);
		fputc('\n', out);
		if (d->boot_vga)
			fputs("#     the boot display: the rule says allow-boot-vga, so the host\n"
			      "#     loses its console\n", out);
	}
}

/* Names the ids no device here has. */
static void print_missing(const struct imp *im, FILE *out)
{
	for (size_t k = 0; k < im->nids; k++) {
		char id[24];
		bool hit = false;

		for (size_t i = 0; i < im->t.n && !hit; i++)
			hit = im->direct[i] && imp_id_matches(&im->ids[k], &im->t.dev[i]);
		imp_format_id(&im->ids[k], id, sizeof(id));
		if (!hit)
			fprintf(out, "#   %s: no such device on this host\n", id);
	}
}

/* A passthrough candidate: a display controller, or a function of its card. */
static bool display_card(const struct imp *im, size_t i)
{
	for (size_t j = 0; j < im->t.n; j++)
		if (im->card0[j] == im->card0[i] && pci_base_class(&im->t.dev[j]) == 0x03)
			return true;
	return false;
}

/*
 * Device @i, a candidate an id names, is one of identical cards: the same
 * id names a candidate on another card too (an ids rule takes them all).
 */
static bool identical_card(const struct imp *im, size_t i)
{
	const struct pci_dev *d = &im->t.dev[i];

	if (!im->direct[i] || !display_card(im, i))
		return false;
	for (size_t j = 0; j < im->t.n; j++) {
		const struct pci_dev *o = &im->t.dev[j];

		if (!im->direct[j] || im->card0[j] == im->card0[i] || !display_card(im, j))
			continue;
		for (size_t k = 0; k < im->nids; k++)
			if (imp_id_matches(&im->ids[k], d) && imp_id_matches(&im->ids[k], o))
				return true;
	}
	return false;
}

/* Is device @i the first of its card's functions in its slot? */
static bool first_in_slot(const struct imp *im, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (im->card0[j] == im->card0[i] && pci_same_slot(&im->t.dev[j], &im->t.dev[i]))
			return false;
	return true;
}

/* "#     path ROOT/HOPS/SS expect=VVVV:DDDD" for the slot of @d. */
static void print_slot_path(const struct imp *im, FILE *out, const struct pci_dev *d, bool boot)
{
	char path[256];
	char *slash, *dot;
	const char *shown = path;

	if (pci_stable_path(&im->t, d, path, sizeof(path)) < 0 || !(slash = strrchr(path, '/')))
		return;
	dot = strrchr(slash, '.');
	if (dot)
		*dot = '\0';	/* the whole slot */
	if (strncmp(shown, "0000:", 5) == 0)
		shown += 5;
	fprintf(out, "#     path %s expect=%04x:%04x%s\n", shown, d->vendor, d->device,
		boot ? " allow-boot-vga" : "");
}

/* Does the card whose first function is device @f own every slot it is in? */
static bool owns_slots(const struct imp *im, size_t f)
{
	for (size_t i = 0; i < im->t.n; i++) {
		size_t first, last;

		if (im->card0[i] != f)
			continue;
		pci_slot_range(&im->t, &im->t.dev[i], &first, &last);
		for (size_t j = first; j <= last; j++)
			if (im->card0[j] != f)
				return false;
	}
	return true;
}

/* " 0a:00" (a slot, @func false) or " 0a:00.1", the domain only when not 0000. */
static void print_addr(FILE *out, const struct pci_dev *d, bool func)
{
	if (d->addr.domain)
		fprintf(out, " %04x:", d->addr.domain);
	else
		fputc(' ', out);
	fprintf(out, "%02x:%02x", d->addr.bus, d->addr.slot);
	if (func)
		fprintf(out, ".%x", d->addr.func);
}

/*
 * The rules of the card whose first function is device @f: an address rule
 * of its slots and a path rule per slot when the card owns its slots whole
 * (an address or path of a slot takes every function in it), else an
 * address rule of its functions.  allow-boot-vga when it is the boot display.
 */
static void print_card_rules(const struct imp *im, FILE *out, size_t n, size_t f)
{
	const struct pci_dev *f0 = &im->t.dev[f];
	bool whole = owns_slots(im, f), boot = false;

	for (size_t i = 0; i < im->t.n; i++)
		boot |= im->card0[i] == f && im->t.dev[i].boot_vga;
	fprintf(out, "#   card %zu, %s [%04x:%04x]:\n#     address", n, f0->name, f0->vendor,
		f0->device);
	for (size_t i = 0; i < im->t.n; i++)
		if (im->card0[i] == f && (!whole || first_in_slot(im, i)))
			print_addr(out, &im->t.dev[i], !whole);
	fprintf(out, "%s\n", boot ? " allow-boot-vga" : "");
	for (size_t i = 0; whole && i < im->t.n; i++)
		if (im->card0[i] == f && first_in_slot(im, i))
			print_slot_path(im, out, &im->t.dev[i], boot);
}

/* The address and path rules of each of the identical cards, if any. */
static void print_identical(const struct imp *im, FILE *out)
{
	const struct pci_tree *t = &im->t;
	size_t ncards = 0;

	for (size_t i = 0; i < t->n; i++) {
		bool first_of_card = true;

		if (!identical_card(im, i))
			continue;
		for (size_t j = 0; j < i; j++)
			if (im->card0[j] == im->card0[i] && identical_card(im, j))
				first_of_card = false;
		if (!first_of_card)
			continue;
		if (!ncards)
			fputs("#\n# Two or more identical cards match: an ids rule takes every one of "
			      "them.\n# To pass only some, replace the ids line with an address or path "
			      "rule per card\n# (a path survives bus renumbering when cards are added "
			      "or moved):\n", out);
		print_card_rules(im, out, ++ncards, im->card0[i]);
	}
}

static void print_devices(struct imp *im, FILE *out)
{
	if (!im->have_tree) {
		fputs("# (no /sys/bus/pci/devices here to check the ids against)\n", out);
		return;
	}
	print_selected(im, out);
	print_missing(im, out);
	print_identical(im, out);
}

/* ---- output ----------------------------------------------------------------------- */

/* @text wrapped at WRAP columns, every line starting with @prefix. */
static void print_wrapped(FILE *out, const char *prefix, const char *text)
{
	size_t plen = strlen(prefix), col = 0;
	const char *p = text;

	while (*p) {
		const char *w;
		size_t wl;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ')
			p++;
		wl = (size_t)(p - w);
		if (col && col + 1 + wl > WRAP) {
			fputc('\n', out);
			col = 0;
		}
		if (!col) {
			fputs(prefix, out);
			col = plen;
		} else {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, wl, out);
		col += wl;
	}
	if (col)
		fputc('\n', out);
}

static void print_section(const struct imp *im, FILE *out, enum legacy_verdict v, const char *title)
{
	bool any = false;

	const struct legacy_line *prev = NULL;

	for (size_t i = 0; i < im->nf; i++) {
		const struct legacy_line *f = &im->f[i], *next = NULL;

		if (f->v != v)
			continue;
		if (!any)
			fprintf(out, "\n%s\n", title);
		any = true;
		/* Lines that share one reason are listed together above it. */
		if (!prev || f->edit || prev->edit || strcmp(prev->why, f->why) != 0)
			fputs("#\n", out);
		fprintf(out, "# %s: %s\n", f->where, f->text);
		if (f->edit)
			fprintf(out, "#   change to: %s\n", f->edit);
		for (size_t j = i + 1; j < im->nf && !next; j++)
			if (im->f[j].v == v)
				next = &im->f[j];
		if (!next || f->edit || next->edit || strcmp(next->why, f->why) != 0)
			print_wrapped(out, "#     ", f->why);
		prev = f;
	}
}

/* Is device @i the boot display, in the card of a device ids [@from, @to) name? */
static bool boot_display_of(const struct imp *im, size_t i, size_t from, size_t to)
{
	if (!im->taken || !im->taken[i] || !im->t.dev[i].boot_vga)
		return false;
	for (size_t j = 0; j < im->t.n; j++) {
		if (!im->direct[j] || im->card0[j] != im->card0[i])
			continue;
		for (size_t k = from; k < to; k++)
			if (imp_id_matches(&im->ids[k], &im->t.dev[j]))
				return true;
	}
	return false;
}

/*
 * One ids rule, for ids [@from, @to).  vfio-pci's ids= took a storage or
 * network controller, or the boot display, without asking; an ids rule
 * takes one only with allow-storage, allow-network or allow-boot-vga, so
 * the rule says it, and why.
 */
static void print_ids_rule(const struct imp *im, FILE *out, size_t from, size_t to)
{
	bool storage = false, network = false, boot = false;

	for (size_t i = 0; i < im->t.n; i++) {
		const struct pci_dev *d = &im->t.dev[i];
		bool hit = false;

		if (boot_display_of(im, i, from, to)) {
			boot = true;
			fprintf(out, "# %s [%04x:%04x] is the boot display: the old recipe passed it, "
				"so the rule allows it (the host loses its console)\n", d->name,
				d->vendor, d->device);
		}
		for (size_t k = from; k < to && !hit; k++)
			hit = im->direct[i] && imp_id_matches(&im->ids[k], d);
		if (!hit)
			continue;
		storage |= pci_base_class(d) == 0x01;
		network |= pci_base_class(d) == 0x02;
		if (pci_base_class(d) == 0x01 || pci_base_class(d) == 0x02)
			fprintf(out, "# %s [%04x:%04x] is a %s controller: the old recipe passed it, "
				"so the rule allows it\n", d->name, d->vendor, d->device,
				pci_base_class(d) == 0x01 ? "storage" : "network");
	}
	fputs("ids", out);
	for (size_t k = from; k < to; k++) {
		char id[24];

		imp_format_id(&im->ids[k], id, sizeof(id));
		fprintf(out, " %s", id);
	}
	fprintf(out, "%s%s%s\n", storage ? " allow-storage" : "", network ? " allow-network" : "",
		boot ? " allow-boot-vga" : "");
}

void imp_print_config(struct imp *im, FILE *out, const char *config_shown,
		      bool config_exists)
{
	fputs("# vfio-early.conf imported by `vfio-early --import` from this host's vfio-pci\n"
	      "# recipe; nothing was changed.  Review it, save it as /etc/vfio-early.conf, make\n"
	      "# the changes listed at the end, then rebuild the initramfs (update-initramfs -u\n"
	      "# -k all, dracut -f, or mkinitcpio -P) and reboot.\n", out);
	if (config_exists)
		fprintf(out, "# %s exists already: merge these rules into it.\n", config_shown);
	fputs("#\n", out);
	for (size_t i = 0; i < im->nf; i++)
		if (im->f[i].gave_ids)
			fprintf(out, "# from %s: %s\n", im->f[i].where, im->f[i].text);
	if (im->nids == 0) {
		fputs("# No vfio-pci ids were found in modprobe.d or on the kernel command line:\n"
		      "# nothing to import.  Write the rules yourself (see vfio-early.conf(5) and\n"
		      "# vfio-early --report).\n", out);
	} else {
		for (size_t i = 0; i < im->nids; i += IDS_PER_RULE)
			print_ids_rule(im, out, i, i + IDS_PER_RULE < im->nids ? i + IDS_PER_RULE :
									     im->nids);
		if (im->id_settings > 1)
			fputs("# vfio-pci ids were set in more than one place; vfio-pci itself keeps\n"
			      "# only the last value it is given, this rule takes them all.\n", out);
		fputs("\n", out);
		print_devices(im, out);
	}
	for (size_t i = 0; i < im->nnotes; i++) {
		fputs(i ? "#\n" : "\n", out);
		print_wrapped(out, "# ", im->notes[i]);
	}
	print_section(im, out, LEGACY_DROP,
		      "# ---- Unnecessary once vfio-early is installed: delete these ----");
	print_section(im, out, LEGACY_EDIT,
		      "# ---- Partly unnecessary: edit these ----");
	print_section(im, out, LEGACY_KEEP,
		      "# ---- Keep these ----");
	for (size_t i = 0; i < im->nf; i++) {
		if (im->f[i].v == LEGACY_KEEP || strcmp(im->f[i].where, CMDLINE_WHERE) != 0)
			continue;
		char how[512];

		snprintf(how, sizeof(how), "To change the kernel command line on this host: %s.",
			 bootloader_how(bootloader_detect(im->c->rootfd)));
		fputs("\n", out);
		print_wrapped(out, "# ", how);
		break;
	}
}
