// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report: SR-IOV.  For each physical function that matters
 * here (a rule names it, its VFs exist, or a rule selects one of them):
 * its driver, sriov_numvfs of sriov_totalvfs, sriov_drivers_autoprobe,
 * what its vfs= rule comes to (vfs.c decides the same way), and each VF
 * of its virtfnK links with the driver that holds it, its driver_override,
 * its IOMMU group and whether it goes to vfio-pci.  Reads only.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-sriov.h"
#include "sysfs.h"

static int read_uint(const struct report *r, const struct pci_dev *d, const char *attr,
		     unsigned long *v)
{
	char buf[32];
	ssize_t n = pci_attr_read(&r->t, d, attr, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return parse_dec(buf, (size_t)n, 65535, v);
}

static struct rpf *find_pf(const struct report *r, const struct pci_dev *d)
{
	for (size_t i = 0; i < r->npf; i++)
		if (r->pf[i].d == d)
			return &r->pf[i];
	return NULL;
}

/* One virtfnK entry of @pf's directory: the VF it names, kept in index order. */
static void add_vf(struct report *r, struct rpf *pf, const char *entry)
{
	char link[PATH_MAX];
	unsigned long k;
	struct pci_addr a;
	struct pci_dev *vf;
	struct rvf *v;
	size_t i;

	if (strncmp(entry, "virtfn", 6) != 0 ||
	    parse_dec(entry + 6, strlen(entry + 6), 65535, &k) < 0 ||
	    pci_link_read(&r->t, pf->d, entry, link, sizeof(link)) <= 0 ||
	    parse_sysfs_name(path_basename(link), &a) < 0 || !(vf = pci_find(&r->t, &a)))
		return;
	v = realloc(pf->vf, (pf->nvf + 1) * sizeof(*v));
	if (!v)
		return;
	pf->vf = v;
	pci_load(&r->t, vf);
	for (i = pf->nvf; i > 0 && v[i - 1].index > k; i--)
		v[i] = v[i - 1];
	v[i] = (struct rvf){ .index = (unsigned)k, .d = vf };
	pf->nvf++;
}

static void read_vfs(struct report *r, struct rpf *pf)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *e;

	if (!pf->num || sysfs_opendirf(&dir, r->t.devfd, "%s", pf->d->name) < 0)
		return;
	while ((e = sysfs_dir_next(&dir)))
		add_vf(r, pf, e);
}

/*
 * @d as a PF of the report: always when @named (a vfs= rule names it),
 * else when it is a PF whose VFs exist or a rule selects.  NULL when not.
 */
static struct rpf *add_pf(struct report *r, struct pci_dev *d, bool named)
{
	struct rpf pf = { .d = d, .autoprobe = -1 }, *v;
	unsigned long total = 0, num = 0, ap;

	pf.capable = read_uint(r, d, "sriov_totalvfs", &total) == 0;
	if (!pf.capable && !named)
		return NULL;
	if (pf.capable && read_uint(r, d, "sriov_numvfs", &num) < 0)
		num = 0;
	if (!named && !num && d->plan < 0)
		return NULL;
	if (pf.capable && read_uint(r, d, "sriov_drivers_autoprobe", &ap) == 0)
		pf.autoprobe = ap ? 1 : 0;
	pf.total = (unsigned)total;
	pf.num = (unsigned)num;
	v = realloc(r->pf, (r->npf + 1) * sizeof(*v));
	if (!v)
		return NULL;
	r->pf = v;
	r->pf[r->npf] = pf;
	read_vfs(r, &r->pf[r->npf]);
	return &r->pf[r->npf++];
}

/* The PFs each vfs= rule names, the first rule naming a PF being its own (as in vfs.c). */
static void gather_vfs_rules(struct report *r)
{
	for (size_t k = 0; k < r->rs.n; k++) {
		struct rule *rr = &r->rs.v[k];
		_cleanup_free_ struct pci_dev **v = NULL;
		size_t n = 0;

		if (!(rr->opts & OPT_VFS) || rr->exclude ||
		    plan_rule_devices(&r->t, rr, &v, &n) < 0)
			continue;
		/* The plan leaves vfs= rules alone: what they name is counted here. */
		rr->matches = (unsigned)n;
		for (size_t i = 0; i < n; i++) {
			struct rpf *pf;

			pci_load(&r->t, v[i]);
			if (v[i]->is_vf)
				continue;
			pf = find_pf(r, v[i]);
			if (!pf)
				pf = add_pf(r, v[i], true);
			if (pf && !pf->rule)
				pf->rule = rr;
		}
	}
}

void report_gather_sriov(struct report *r)
{
	if (!r->scanned)
		return;
	gather_vfs_rules(r);
	for (size_t i = 0; i < r->t.n; i++) {
		struct pci_dev *d = &r->t.dev[i];

		if (!find_pf(r, d) && pci_attr_exists(&r->t, d, "sriov_totalvfs")) {
			pci_load(&r->t, d);
			add_pf(r, d, false);
		}
	}
}

enum vfs_state report_vfs_state(const struct rpf *pf)
{
	if (!pf->rule)
		return VFS_NO_RULE;
	if (!pf->capable)
		return VFS_NOT_SRIOV;
	if (pf->num == pf->rule->vfs)
		return VFS_IN_PLACE;
	if (pf->num)
		return VFS_COUNT_DIFFERS;
	if (pf->rule->vfs > pf->total)
		return VFS_OVER_TOTAL;
	if (!pf->d->driver[0])
		return VFS_NO_DRIVER;
	return VFS_TO_MAKE;
}

bool report_vf_selected(const struct report *r, const struct rpf *pf, const struct pci_dev *vf)
{
	if (vf->plan >= 0)
		return report_will_bind(vf, &r->pl);
	return report_vfs_state(pf) == VFS_IN_PLACE;
}

const struct rpf *report_vf_pf(const struct report *r, const struct pci_dev *vf)
{
	for (size_t i = 0; i < r->npf; i++)
		for (size_t k = 0; k < r->pf[i].nvf; k++)
			if (r->pf[i].vf[k].d == vf)
				return &r->pf[i];
	return NULL;
}

const struct rule *report_vf_by_vfs(const struct report *r, const struct pci_dev *vf)
{
	const struct rpf *pf;

	/* In the plan through its PF's vfs= rule, as the boot puts it there. */
	if (vf->plan >= 0)
		return r->pl.v[vf->plan].rule && r->pl.v[vf->plan].rule->from_vfs ?
		       r->pl.v[vf->plan].rule : NULL;
	pf = report_vf_pf(r, vf);
	return pf && report_vfs_state(pf) == VFS_IN_PLACE ? pf->rule : NULL;
}

/* The VFs that @pf's vfs= rule selects and that are not on vfio-pci: "ADDR (DRIVER), ...". */
static void vfs_off_vfio(const struct report *r, const struct rpf *pf, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < pf->nvf; i++) {
		const struct pci_dev *vf = pf->vf[i].d;
		char one[PCI_ADDR_STRLEN + DRIVER_NAME_LEN + 8];

		if (strcmp(vf->driver, "vfio-pci") == 0 || !report_vf_by_vfs(r, vf) ||
		    (vf->plan >= 0 && plan_refused(&r->pl.v[vf->plan])))
			continue;
		snprintf(one, sizeof(one), "%s (%s)", vf->name,
			 vf->driver[0] ? vf->driver : "no driver");
		report_append(buf, size, ", ", one, strlen(one));
	}
}

/* A vfs= rule that cannot be served: blocking, since none of its VFs reaches vfio-pci. */
static void check_rule(const struct rpf *pf, const char *o, struct problems *out)
{
	const char *a = pf->d->name;
	unsigned n = pf->rule ? pf->rule->vfs : 0;
	char fix[400];

	switch (report_vfs_state(pf)) {
	case VFS_NOT_SRIOV:
		report_problem(out, SEV_BLOCKING, "vfs-not-sriov", a, "name the card's physical "
			       "function (the one with sriov_totalvfs), or remove vfs=",
			       "%s: vfs=%u at %s: not an SR-IOV physical function (no "
			       "sriov_totalvfs)", a, n, o);
		break;
	case VFS_COUNT_DIFFERS:
		snprintf(fix, sizeof(fix), "to have %u: write 0 to /sys/bus/pci/devices/%s/"
			 "sriov_numvfs (its VFs go away), then run vfio-early --yes; or write "
			 "vfs=%u in the rule", n, a, pf->num);
		report_problem(out, SEV_BLOCKING, "vfs-count-differs", a, fix, "%s has %u VFs, "
			       "vfs=%u at %s asks for %u: a count that is set is never changed, so "
			       "no VF of it goes to vfio-pci", a, pf->num, n, o, n);
		break;
	case VFS_OVER_TOTAL:
		snprintf(fix, sizeof(fix), "write vfs=%u or fewer in the rule", pf->total);
		report_problem(out, SEV_BLOCKING, "vfs-over-total", a, fix, "%s: vfs=%u at %s: "
			       "the PF offers %u VFs (sriov_totalvfs)", a, n, o, pf->total);
		break;
	case VFS_NO_DRIVER:
		snprintf(fix, sizeof(fix), "load the PF's own driver (lspci -k -s %s names its "
			 "modules); vfio-early makes the VFs once it holds the PF", a);
		report_problem(out, SEV_BLOCKING, "vfs-pf-no-driver", a, fix, "%s: vfs=%u at %s: "
			       "no driver holds the PF, and only its driver can make VFs", a, n, o);
		break;
	case VFS_TO_MAKE:
		report_problem(out, SEV_PENDING, "vfs-to-make", a, "reboot, or run vfio-early "
			       "--yes to make them now", "%s: vfs=%u at %s: the next boot's late "
			       "pass makes %u VFs (PF on %s) and hands them to vfio-pci", a, n, o,
			       n, pf->d->driver);
		break;
	default:
		break;
	}
}

/* VFs the rule selects on another driver; autoprobe off with VFs nothing holds. */
static void check_vfs(const struct report *r, const struct rpf *pf, const char *o,
		      struct problems *out)
{
	char list[600], fix[400];
	bool idle = false;

	if (report_vfs_state(pf) == VFS_IN_PLACE) {
		vfs_off_vfio(r, pf, list, sizeof(list));
		if (list[0])
			report_problem(out, SEV_WARNING, "vfs-not-on-vfio", pf->d->name,
				       "run vfio-early --yes to hand them to vfio-pci now (the "
				       "late pass does so at every boot)", "VFs of %s that vfs=%u "
				       "at %s selects are not on vfio-pci: %s", pf->d->name,
				       pf->rule->vfs, o, list);
	}
	for (size_t i = 0; i < pf->nvf; i++)
		idle |= !pf->vf[i].d->driver[0] && !pf->vf[i].d->override[0];
	if (pf->autoprobe == 0 && idle) {
		snprintf(fix, sizeof(fix), "if the host should use them, write 1 to "
			 "/sys/bus/pci/devices/%s/sriov_drivers_autoprobe (vfio-early turns it "
			 "off only while it makes VFs)", pf->d->name);
		report_problem(out, SEV_NOTE, "vfs-autoprobe-off", pf->d->name, fix, "%s has %u "
			       "VFs and sriov_drivers_autoprobe 0: a VF without a driver_override "
			       "gets no driver", pf->d->name, pf->num);
	}
}

void report_check_sriov(const struct report *r, struct problems *out)
{
	for (size_t i = 0; i < r->npf; i++) {
		const struct rpf *pf = &r->pf[i];
		char o[80] = "";

		if (pf->rule)
			rule_origin(pf->rule, o, sizeof(o));
		check_rule(pf, o, out);
		check_vfs(r, pf, o, out);
		if (pf->num && report_will_bind(pf->d, &r->pl) &&
		    strcmp(pf->d->driver, "vfio-pci") != 0)
			report_problem(out, SEV_WARNING, "pf-to-vfio-with-vfs", pf->d->name,
				       "to keep the VFs, leave the PF with its driver (vfs=N "
				       "selects VFs and keeps the PF)", "%s goes to vfio-pci but "
				       "has %u VFs: unbinding %s from it removes them", pf->d->name,
				       pf->num, pf->d->driver[0] ? pf->d->driver : "its driver");
	}
}

/* The rule's line under a PF: what vfs=N comes to. */
static void print_rule(FILE *f, const struct report *r, const struct rpf *pf)
{
	unsigned n = pf->rule ? pf->rule->vfs : 0;
	char o[80] = "";

	if (!pf->rule) {
		fprintf(f, "      no vfs= rule%s\n", report_will_bind(pf->d, &r->pl) ?
			"; the PF itself goes to vfio-pci" : "");
		return;
	}
	rule_origin(pf->rule, o, sizeof(o));
	fprintf(f, "      vfs=%u (%s): ", n, o);
	switch (report_vfs_state(pf)) {
	case VFS_IN_PLACE:
		fprintf(f, "%u of %u, in place: vfio-early hands them to vfio-pci\n", pf->num, n);
		break;
	case VFS_COUNT_DIFFERS:
		fprintf(f, "%u of %u: another count is set, never changed; no VF goes to "
			"vfio-pci\n", pf->num, n);
		break;
	case VFS_OVER_TOTAL:
		fprintf(f, "more than the PF offers (%u); the kernel refuses\n", pf->total);
		break;
	case VFS_NO_DRIVER:
		fprintf(f, "no driver holds the PF, so no VF can be made\n");
		break;
	default:
		fprintf(f, "will create %u at the next boot (the late pass; vfio-early --yes "
			"now)\n", n);
		break;
	}
}

/* One VF: who holds it, and whether it goes to vfio-pci. */
static void print_vf(FILE *f, const struct report *r, const struct rpf *pf, const struct rvf *v)
{
	const struct pci_dev *d = v->d;
	char o[80], grp[32] = "none";

	if (d->iommu_group >= 0)
		snprintf(grp, sizeof(grp), "%d", d->iommu_group);
	fprintf(f, "      virtfn%u %s [%04x:%04x]: driver %s, override %s, IOMMU group %s; ",
		v->index, d->name, d->vendor, d->device, d->driver[0] ? d->driver : "none",
		d->override[0] ? d->override : "none", grp);
	if (d->plan >= 0) {
		const struct plan_item *it = &r->pl.v[d->plan];

		char by[96];

		rule_origin(it->rule, o, sizeof(o));
		if (it->rule->from_vfs)
			snprintf(by, sizeof(by), "vfs=%u, %s", it->rule->from_vfs, o);
		else
			snprintf(by, sizeof(by), "rule %s", o);
		if (plan_refused(it))
			fprintf(f, "refused: %s (%s)\n", it->reason, by);
		else
			fprintf(f, "to vfio-pci (%s)\n", by);
	} else if (report_vf_selected(r, pf, d)) {
		rule_origin(pf->rule, o, sizeof(o));
		fprintf(f, "to vfio-pci (vfs=%u, %s)\n", pf->rule->vfs, o);
	} else {
		fprintf(f, "stays with the host\n");
	}
}

void report_print_sriov(FILE *f, const struct report *r)
{
	bool head = false;

	for (size_t i = 0; i < r->npf; i++) {
		const struct rpf *pf = &r->pf[i];
		const char *cls = pci_class_name(pf->d->class);

		if (!pf->capable)
			continue;
		if (!head)
			fprintf(f, "\nSR-IOV (physical functions, their VFs, and who holds each)\n");
		head = true;
		fprintf(f, "  %s [%04x:%04x] %s, driver %s\n", pf->d->name, pf->d->vendor,
			pf->d->device, cls ? cls : "device",
			pf->d->driver[0] ? pf->d->driver : "none");
		fprintf(f, "      VFs: %u of %u enabled (sriov_numvfs of sriov_totalvfs), "
			"sriov_drivers_autoprobe %s\n", pf->num, pf->total,
			pf->autoprobe < 0 ? "unknown" : pf->autoprobe ? "1" : "0");
		print_rule(f, r, pf);
		for (size_t k = 0; k < pf->nvf; k++)
			print_vf(f, r, pf, &pf->vf[k]);
	}
}

static void json_vf(struct json *j, const struct report *r, const struct rpf *pf,
		    const struct rvf *v)
{
	const struct rule *by = v->d->plan >= 0 ? r->pl.v[v->d->plan].rule : pf->rule;
	bool sel = report_vf_selected(r, pf, v->d);
	char o[80];

	json_begin_object(j);
	json_kint(j, "index", v->index);
	json_kstr(j, "address", v->d->name);
	json_kid(j, "vendor", v->d->vendor);
	json_kid(j, "device", v->d->device);
	json_ktext(j, "driver", v->d->driver);
	json_ktext(j, "driver_override", v->d->override);
	json_kint_known(j, "iommu_group", v->d->iommu_group);
	json_kbool(j, "to_vfio", sel);
	if (sel && by) {
		rule_origin(by, o, sizeof(o));
		json_kstr(j, "rule", o);
	} else {
		json_knull(j, "rule");
	}
	json_end_object(j);
}

static void json_pf(struct json *j, const struct report *r, const struct rpf *pf)
{
	char o[80];

	json_begin_object(j);
	json_kstr(j, "address", pf->d->name);
	json_kid(j, "vendor", pf->d->vendor);
	json_kid(j, "device", pf->d->device);
	json_ktext(j, "driver", pf->d->driver);
	json_kint_known(j, "iommu_group", pf->d->iommu_group);
	json_kint(j, "sriov_totalvfs", pf->total);
	json_kint(j, "sriov_numvfs", pf->num);
	if (pf->autoprobe >= 0)
		json_kbool(j, "sriov_drivers_autoprobe", pf->autoprobe);
	else
		json_knull(j, "sriov_drivers_autoprobe");
	json_kbool(j, "to_vfio", report_will_bind(pf->d, &r->pl));
	json_key(j, "vfs_rule");
	if (pf->rule) {
		rule_origin(pf->rule, o, sizeof(o));
		json_begin_object(j);
		json_kstr(j, "origin", o);
		json_kint(j, "vfs", pf->rule->vfs);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_kstr(j, "vfs_state", report_vfs_state_names[report_vfs_state(pf)]);
	json_key(j, "vfs");
	json_begin_array(j);
	for (size_t k = 0; k < pf->nvf; k++)
		json_vf(j, r, pf, &pf->vf[k]);
	json_end_array(j);
	json_end_object(j);
}

void report_json_sriov(struct json *j, const struct report *r)
{
	json_key(j, "sriov");
	json_begin_array(j);
	for (size_t i = 0; i < r->npf; i++)
		if (r->pf[i].capable)
			json_pf(j, r, &r->pf[i]);
	json_end_array(j);
}
