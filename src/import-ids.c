// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ids of vfio-early --import: those libkmod gives vfio-pci, as the boot
 * reads them (modload.c), and the checking of an ids= value where a
 * statement sets one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "import-ids.h"
#include "log.h"
#include "modload.h"
#include "parse.h"

/* ---- ids ------------------------------------------------------------------- */

static void add_id(struct imp *im, const struct pci_ids *id)
{
	for (size_t i = 0; i < im->nids; i++) {
		const struct pci_ids *x = &im->ids[i];

		if (x->vendor == id->vendor && x->device == id->device &&
		    x->has_sub == id->has_sub &&
		    (!id->has_sub || (x->subvendor == id->subvendor &&
				      x->subdevice == id->subdevice)))
			return;
	}
	if (im->nids == IMPORT_IDS_MAX) {
		imp_warn_at(im, "vfio-pci", "ids", 3, "more than %d ids, the rest are not imported",
			    IMPORT_IDS_MAX);
		return;
	}
	im->ids[im->nids++] = *id;
}

/* One element of vfio-pci's ids= as libkmod gives it to boot. */
static void kmod_id(void *data, const char *s, size_t len)
{
	struct imp *im = data;
	struct pci_ids id;
	const char *why;

	/* A bad element was reported where the reader found it (FILE:LINE). */
	if (parse_kernel_ids(s, len, &id, &why) == 0)
		add_id(im, &id);
}

/*
 * The ids that apply are libkmod's, as boot reads them (modload.c), so
 * that --import and boot cannot disagree; the statements only tell where
 * each came from.
 */
void import_kmod_ids(struct imp *im)
{
	int r = modload_vfio_pci_ids(im->c->root, im->c->rootfd, kmod_id, im);

	if (r == -ENOMEM)
		im->oom = true;
	else if (r < 0)
		log_debug("vfio-pci's options: %s", strerror(-r));
}

/*
 * A comma-separated ids value: every bad entry is reported.  Returns how
 * many are good; *@lost counts the entries vfio-pci takes but an ids rule
 * cannot express.
 */
unsigned import_ids(struct imp *im, const char *where, const char *val, size_t vlen,
			   unsigned *lost)
{
	struct ids_iter it;
	unsigned good = 0;
	const char *p;
	size_t len;

	im->id_settings++;
	ids_iter_init(&it, val, vlen);
	if (it.p == it.end) {
		imp_warn_at(im, where, "ids=", 4, "empty ids list");
		return 0;
	}
	/* The kernel skips empty entries too ("a,,b", "a,"): so does the iterator. */
	while (ids_iter_next(&it, &p, &len)) {
		struct pci_ids id;
		const char *why;
		int r;

		if ((r = parse_kernel_ids(p, len, &id, &why)) < 0) {
			imp_warn_at(im, where, p, len, "%s, skipped", why);
			if (r == -EOPNOTSUPP)
				(*lost)++;
		} else {
			good++;
		}
	}
	return good;
}
