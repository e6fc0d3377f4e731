// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SR-IOV VFs for vfio-pci: a rule with vfs=N names physical functions that
 * stay with their own driver, and asks for N of their virtual functions on
 * vfio-pci.  Writing sriov_numvfs needs the PF's driver, so the early pass
 * (before udev) leaves it to the late pass or to a run on the booted host.
 *
 * Per PF: nothing when it already has N VFs; otherwise, with no VFs yet,
 * sriov_drivers_autoprobe off (no VF driver such as iavf or nvme takes a
 * new VF first), N to sriov_numvfs, the autoprobe setting back; then each
 * virtfnK is handed to vfio-pci through the plan, with every safety check
 * of a device a rule names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parse.h"
#include "pci.h"
#include "plan.h"
#include "rules.h"
#include "sysfs.h"
#include "util.h"
#include "vfs.h"

/* What the kernel's refusal of a sriov_numvfs write means. */
static const char *numvfs_meaning(int err)
{
	switch (err) {
	case -ENOENT:
		return "no driver holds the PF, or its driver cannot make VFs through sysfs";
	case -ERANGE:
		return "more VFs than the PF offers (sriov_totalvfs)";
	case -EBUSY:
		return "the PF has VFs already; write 0 to sriov_numvfs first";
	case -ENOSPC:
	case -ENOMEM:
		return "no room for the VFs' bus numbers or memory (see the kernel log)";
	default:
		return "see the kernel log";
	}
}

static int read_uint(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		     unsigned long *v)
{
	char buf[32];
	ssize_t n = pci_attr_read(t, d, attr, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return parse_dec(buf, (size_t)n, 65535, v);
}

/* What make_vfs did; all but VFS_DONE logged. */
enum vfs_result {
	VFS_DONE,	/* the PF has @want VFs */
	VFS_LATER,	/* no driver holds the PF yet */
	VFS_WOULD,	/* @dry: a run that is not would make them */
	VFS_KEPT,	/* the PF has another number of VFs, kept */
	VFS_UNFIT,	/* not an SR-IOV PF, or fewer VFs than @want: a rule error */
	VFS_REFUSED,	/* the kernel refused the sriov_numvfs write */
};

/* Make @want VFs on @pf (its driver bound). */
static enum vfs_result make_vfs(struct pci_tree *t, struct pci_dev *pf, unsigned want, bool dry)
{
	unsigned long total, have, autoprobe = 1;
	char num[16];
	int r, r2;

	if (read_uint(t, pf, "sriov_totalvfs", &total) < 0 ||
	    read_uint(t, pf, "sriov_numvfs", &have) < 0) {
		log_warn("%s: vfs=%u: not an SR-IOV physical function (no sriov_totalvfs)",
			 pf->name, want);
		return VFS_UNFIT;
	}
	if (have == want)
		return 0;
	if (have) {
		log_warn("%s: vfs=%u: the PF has %lu VFs already; a count that is set is not "
			 "changed (write 0 to sriov_numvfs first)", pf->name, want, have);
		return VFS_KEPT;
	}
	if (want > total) {
		log_warn("%s: vfs=%u: the PF offers %lu VFs (sriov_totalvfs)", pf->name, want,
			 total);
		return VFS_UNFIT;
	}
	if (!pf->driver[0]) {
		log_notice("%s: vfs=%u: no driver holds the PF yet; its VFs are made once one "
			   "does (the late pass, or vfio-early --yes on the booted host)",
			   pf->name, want);
		return VFS_LATER;
	}
	if (dry) {
		log_notice("%s: would make %u VFs (PF on %s)", pf->name, want, pf->driver);
		return VFS_WOULD;
	}
	read_uint(t, pf, "sriov_drivers_autoprobe", &autoprobe);
	r = pci_attr_write(t, pf, "sriov_drivers_autoprobe", "0\n", false);
	if (r < 0)
		log_warn("%s: cannot turn sriov_drivers_autoprobe off (%s): a VF driver may take "
			 "the new VFs first", pf->name, strerror(-r));
	snprintf(num, sizeof(num), "%u\n", want);
	r = pci_attr_write(t, pf, "sriov_numvfs", num, false);
	r2 = pci_attr_write(t, pf, "sriov_drivers_autoprobe", autoprobe ? "1\n" : "0\n", false);
	if (r2 < 0)
		log_warn("%s: cannot restore sriov_drivers_autoprobe=%lu: %s", pf->name, autoprobe,
			 strerror(-r2));
	if (r < 0) {
		log_warn("%s: vfs=%u: the kernel refused (%s: %s)", pf->name, want, strerror(-r),
			 numvfs_meaning(r));
		return VFS_REFUSED;
	}
	log_notice("%s: %u VFs made (PF on %s, sriov_drivers_autoprobe back to %lu)", pf->name,
		   want, pf->driver, autoprobe);
	return VFS_DONE;
}

/* The VFs of @pf, by its virtfnK links, appended to @rs as address rules of @r. */
static void vf_rules(struct pci_tree *t, const struct pci_dev *pf, const struct rule *r,
		     unsigned want, struct ruleset *out)
{
	for (unsigned k = 0; k < want; k++) {
		char attr[24], link[256];
		struct rule vr = *r;
		ssize_t n;

		snprintf(attr, sizeof(attr), "virtfn%u", k);
		n = pci_link_read(t, pf, attr, link, sizeof(link));
		if (n <= 0 || parse_sysfs_name(path_basename(link), &vr.u.addr) < 0) {
			log_warn("%s: virtfn%u is missing or not a PCI address", pf->name, k);
			continue;
		}
		vr.kind = RULE_ADDR;
		vr.u.addr.has_func = true;
		vr.opts &= ~(unsigned)OPT_VFS;
		vr.opts |= OPT_FUNCS_ONE;
		vr.vfs = 0;
		vr.from_vfs = r->vfs;
		snprintf(vr.token, sizeof(vr.token), "%s", path_basename(link));
		ruleset_add(out, &vr);
	}
}

int vfs_rules(struct pci_tree *t, const struct ruleset *rs, bool dry, struct ruleset *out,
	      struct vfs_counts *c)
{
	bool any = false;

	for (size_t k = 0; k < rs->n; k++) {
		const struct rule *r = &rs->v[k];
		_cleanup_free_ struct pci_dev **v = NULL;
		char o[80];
		size_t n = 0;

		if (!(r->opts & OPT_VFS))
			continue;
		any = true;
		rule_origin(r, o, sizeof(o));
		if (plan_rule_devices(t, r, &v, &n) < 0 || n == 0) {
			log_notice("%s: %s matches no device", o, r->token);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct pci_dev *pf = v[i];

			pci_load(t, pf);
			if (pf->is_vf)
				continue;
			switch (make_vfs(t, pf, r->vfs, dry)) {
			case VFS_DONE:
				vf_rules(t, pf, r, r->vfs, out);
				break;
			case VFS_WOULD:
				c->would_make++;
				break;
			case VFS_UNFIT:
				c->unfit++;
				break;
			case VFS_REFUSED:
				c->refused++;
				break;
			case VFS_LATER:
			case VFS_KEPT:
				break;
			}
		}
	}
	return any ? 1 : 0;
}
