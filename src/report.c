// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: what a passthrough user needs to know, read-only.
 *
 * Facts are gathered once into struct report (IOMMU, the display devices
 * and their slot siblings, their IOMMU groups, the rules and the plan the
 * next boot would follow, what this boot did, the boot chain), turned into
 * a list of problems each with its fix, then printed as text or as JSON.
 *
 * Exit status: 0 when nothing is wrong (everything selected is ready),
 * 2 when there are warnings only, 3 when something blocks passthrough,
 * 1 on a usage or internal error.
 */
#include <stdio.h>

#include "report-analyse.h"
#include "report-gather.h"
#include "report-json.h"
#include "report-model.h"
#include "report-text.h"

int report_run(const struct mode_ctx *c, bool json)
{
	struct report r = { .c = c, .t = { .devfd = -1 } };
	struct problems p = { 0 };
	int status;
	unsigned warn, block;

	report_gather(&r, c);
	report_analyse(&r, &p);
	if (json)
		report_print_json(stdout, &r, &p);
	else if (c->quiet)
		report_print_verdict(stdout, &r, &p);
	else
		report_print_text(stdout, &r, &p);
	status = report_status(&p, &warn, &block);
	problems_free(&p);
	report_free(&r);
	return status;
}
