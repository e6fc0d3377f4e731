// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model of vfio-early --import, under its other files: what was read
 * and found (struct imp), the findings and notes, warnings, statements
 * split into words, and a growing string.  It calls nothing of the mode.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import-model.h"
#include "log.h"

/* ---- a growing string ---------------------------------------------------- */

/* Text from files, made safe to show: control characters become '?', and a
 * long text is cut (with "...") after @max bytes. */
void sb_add_shown(struct sbuf *b, const char *s, size_t n, size_t max)
{
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;

		sb_addn(b, &ch, 1);
	}
	if (n > max)
		sb_add(b, "...");
}

/* The string, handed over; NULL (and nothing leaked) when memory ran out. */

/* ---- findings ------------------------------------------------------------------ */

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

void imp_free(struct imp *im)
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

/* ---- statements ---------------------------------------------------------------- */

/* Words up to the first one starting with '#'. */
void imp_split_words(struct imp *im, struct stmt *s)
{
	const char *p = s->line, *end = s->line + s->len;

	s->n = 0;
	for (;;) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		if (p >= end || *p == '#')
			return;
		w = p;
		while (p < end && !is_blank(*p))
			p++;
		if (s->n == IMPORT_WORDS_MAX) {
			imp_warn_at(im, s->where, "(line)", 6, "more than %d words, the rest is ignored",
				    IMPORT_WORDS_MAX);
			return;
		}
		s->w[s->n] = w;
		s->wl[s->n] = (size_t)(p - w);
		s->n++;
	}
}

static char *shown_text(const char *s, size_t len)
{
	struct sbuf b = { 0 };
	size_t skip = 0;

	while (skip < len && is_blank(s[skip]))
		skip++;
	while (len > skip && is_blank(s[len - 1]))
		len--;
	sb_add_shown(&b, s + skip, len - skip, TEXT_SHOWN);
	return sb_take(&b);
}

/* The statement with the words for which @drop is true left out. */
char *imp_words_without(const struct stmt *s, const bool *drop)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		if (drop[i])
			continue;
		if (b.len)
			sb_add(&b, " ");
		sb_add_shown(&b, s->w[i], s->wl[i], TEXT_SHOWN);
	}
	return sb_take(&b);
}

void imp_add_stmt_finding(struct imp *im, const struct stmt *s, enum legacy_verdict v,
			  bool gave_ids, char *edit, struct sbuf *why)
{
	imp_add_finding(im, v, gave_ids, strdup(s->where), shown_text(s->line, s->len), edit,
			sb_take(why));
}

/* ---- ids ----------------------------------------------------------------------- */

void imp_format_id(const struct pci_ids *id, char *buf, size_t size)
{
	if (id->has_sub)
		snprintf(buf, size, "%04x:%04x:%04x:%04x", id->vendor, id->device,
			 id->subvendor, id->subdevice);
	else
		snprintf(buf, size, "%04x:%04x", id->vendor, id->device);
}

bool imp_id_matches(const struct pci_ids *id, const struct pci_dev *d)
{
	return id->vendor == d->vendor && id->device == d->device &&
	       (!id->has_sub || (id->subvendor == d->subvendor && id->subdevice == d->subdevice));
}
