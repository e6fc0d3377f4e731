// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfio-early --report --json: the same facts and problems, for tools.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "report-json.h"
#include "report-sriov.h"
#include "report-vm.h"

/*
 * One rule for the whole document (doc/report.schema.json): every key is
 * always there, and a value that is absent or unknown is null, never ""
 * (json_ktext); ids are four lowercase hex digits (json_kid).
 */

/* A class code: six lowercase hex digits (class, subclass, interface). */
static void kclass(struct json *j, unsigned v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%06x", v & 0xffffff);
	json_kstr(j, "class", buf);
}

/* A list the gathering keeps as one string: its items, split at @sep. */
static void ksplit(struct json *j, const char *key, const char *s, const char *sep)
{
	json_key(j, key);
	json_begin_array(j);
	while (s && *s) {
		size_t n = strcspn(s, sep);
		char item[256];

		if (n) {
			snprintf(item, sizeof(item), "%.*s", (int)n, s);
			json_str(j, item);
		}
		s += n;
		s += strspn(s, sep);
	}
	json_end_array(j);
}

static void json_bars(struct json *j, const struct rdev *x)
{
	json_key(j, "bars");
	json_begin_array(j);
	for (unsigned b = 0; b < x->nbars; b++) {
		json_begin_object(j);
		json_kint(j, "index", x->bars[b].index);
		json_kuint(j, "size", x->bars[b].size);
		json_kbool(j, "prefetchable", x->bars[b].prefetch);
		json_kbool(j, "64bit", x->bars[b].is64);
		json_end_object(j);
	}
	json_end_array(j);
}

/* What the next boot does with it, and what this boot did. */
static void json_device_boots(struct json *j, const struct report *r, const struct rdev *x)
{
	const struct rule *vfs = report_vf_by_vfs(r, x->d);

	json_key(j, "next_boot");
	json_begin_object(j);
	json_kstr(j, "action", x->plan ? (plan_refused(x->plan) ? "refused" : "bind") :
		  vfs ? "bind" : "none");
	if (vfs) {
		char origin[80];

		/* A VF its PF's vfs= rule selects: the late pass hands it over. */
		rule_origin(vfs, origin, sizeof(origin));
		json_kstr(j, "rule", origin);
		json_kstr(j, "via", "vfs");
		json_ktext(j, "reason", x->plan && plan_refused(x->plan) ? x->plan->reason : NULL);
	} else if (x->plan) {
		char origin[80];

		rule_origin(x->plan->rule, origin, sizeof(origin));
		json_ktext(j, "rule", origin);
		json_kstr(j, "via", plan_via_name(x->plan->via));
		json_ktext(j, "reason", plan_refused(x->plan) ? x->plan->reason : NULL);
	} else {
		json_knull(j, "rule");
		json_knull(j, "via");
		json_knull(j, "reason");
	}
	if (x->plan && !plan_refused(x->plan)) {
		json_kstr(j, "driver", plan_target(x->plan));
		json_ktext(j, "variant_module", x->plan->target_module[0] ? x->plan->target_module : NULL);
	} else {
		/* A VF still to be made by its PF's vfs= rule goes to vfio-pci. */
		json_ktext(j, "driver", vfs && !x->plan ? "vfio-pci" : NULL);
		json_knull(j, "variant_module");
	}
	json_end_object(j);
	if (x->now) {
		json_key(j, "this_boot");
		json_begin_object(j);
		json_ktext(j, "result", x->now->result);
		json_ktext(j, "reason", x->now->reason);
		json_end_object(j);
	} else {
		json_knull(j, "this_boot");
	}
}

static void json_device(struct json *j, const struct report *r, const struct rdev *x)
{
	json_begin_object(j);
	json_kstr(j, "address", x->d->name);
	json_kid(j, "vendor", x->d->vendor);
	json_kid(j, "device", x->d->device);
	json_kid(j, "subsystem_vendor", x->d->subvendor);
	json_kid(j, "subsystem_device", x->d->subdevice);
	kclass(j, x->d->class);
	json_ktext(j, "class_name", pci_class_name(x->d->class));
	json_ktext(j, "vendor_name", x->names.vendor_name);
	json_ktext(j, "device_name", x->names.device_name);
	json_ktext(j, "driver", x->d->driver);
	json_ktext(j, "driver_override", x->d->override);
	json_kbool(j, "boot_vga", x->d->boot_vga);
	json_kint_known(j, "numa_node", x->numa);
	json_ktext(j, "stable_path", x->path);
	json_bars(j, x);
	json_ktext(j, "boot_framebuffer", x->framebuffer);
	json_kint_known(j, "iommu_group", x->d->iommu_group);
	json_device_boots(j, r, x);
	/* As "to select it": each rule alone selects exactly this card. */
	json_key(j, "select_rules");
	json_begin_array(j);
	for (size_t i = 0; x->sel && i < x->sel->n; i++)
		json_str(j, x->sel->rule[i]);
	json_end_array(j);
	json_ktext(j, "select_refused", x->sel_refused);
	json_end_object(j);
}

static void json_iommu(struct json *j, const struct report *r)
{
	json_key(j, "iommu");
	json_begin_object(j);
	json_kbool(j, "active", r->iommu_active);
	json_ktext(j, "kind", r->iommu_kind);
	ksplit(j, "units", r->iommu_units, ", ");
	ksplit(j, "cmdline_flags", r->iommu_flags, " ");
	json_kbool(j, "passthrough", r->passthrough);
	json_kstr(j, "interrupt_remapping", r->intremap);
	json_kbool(j, "acs_override", r->acs_override);
	json_end_object(j);
}

static void json_devices(struct json *j, const struct report *r)
{
	json_key(j, "devices");
	json_begin_array(j);
	for (size_t k = 0; k < r->ndev; k++)
		json_device(j, r, &r->dev[k]);
	json_end_array(j);
}

static void json_member(struct json *j, const struct report *r, const struct pci_dev *m)
{
	json_begin_object(j);
	json_kstr(j, "address", m->name);
	json_kid(j, "vendor", m->vendor);
	json_kid(j, "device", m->device);
	kclass(j, m->class);
	json_ktext(j, "driver", m->driver);
	json_kbool(j, "bridge", pci_is_bridge(m));
	json_kbool(j, "to_vfio", report_will_bind(m, &r->pl));
	json_kbool(j, "holds_root", protect_find(&r->prot, &m->addr) != NULL);
	json_end_object(j);
}

static void json_groups(struct json *j, const struct report *r)
{
	json_key(j, "groups");
	json_begin_array(j);
	for (size_t i = 0; i < r->ngrp; i++) {
		const struct rgroup *g = &r->grp[i];

		json_begin_object(j);
		json_kint(j, "id", g->id);
		json_kstr(j, "verdict", report_verdict_names[g->verdict]);
		if (g->verdict == GROUP_READY) {
			json_key(j, "vfio");
			json_begin_object(j);
			json_kstr(j, "state", report_vfio_names[g->vfio]);
			json_ktext(j, "detail", g->vfio_why);
			json_end_object(j);
		} else {
			json_knull(j, "vfio");
		}
		json_key(j, "members");
		json_begin_array(j);
		for (size_t m = 0; m < g->n; m++)
			json_member(j, r, g->mem[m]);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_config(struct json *j, const struct report *r)
{
	json_key(j, "config");
	json_begin_object(j);
	json_ktext(j, "file", r->config_file);
	json_kbool(j, "present", r->config_present);
	json_kbool(j, "disabled_on_cmdline", r->rs.off);
	json_key(j, "rules");
	json_begin_array(j);
	for (size_t i = 0; i < r->rs.n; i++) {
		char origin[80];

		rule_origin(&r->rs.v[i], origin, sizeof(origin));
		json_begin_object(j);
		json_ktext(j, "origin", origin);
		json_ktext(j, "selector", r->rs.v[i].token);
		json_kbool(j, "exclude", r->rs.v[i].exclude);
		json_kint(j, "matches", r->rs.v[i].matches);
		json_end_object(j);
	}
	json_end_array(j);
	json_kint(j, "errors", r->rs.errors);
	json_end_object(j);
}

static void json_protected_dev(struct json *j, const struct protected_dev *d)
{
	char buf[PCI_ADDR_STRLEN];

	json_begin_object(j);
	format_pci_addr(&d->addr, buf);
	json_kstr(j, "address", buf);
	json_ktext(j, "path", d->path);
	json_kid(j, "vendor", d->vendor);
	json_kid(j, "device", d->device);
	kclass(j, d->class);
	json_ktext(j, "why", d->why);
	/* boot: never handed over; management: only to a rule that names it with allow-network */
	json_kstr(j, "need", d->mgmt ? "management" : "boot");
	json_end_object(j);
}

static void json_protected(struct json *j, const struct report *r)
{
	json_key(j, "protected");
	json_begin_object(j);
	json_kbool(j, "verified", r->prot.verified);
	json_ktext(j, "unverified_reason", r->prot.verified ? NULL : r->prot.unverified);
	json_kbool(j, "resolved_from_mounts", r->prot.live_fs);
	json_key(j, "devices");
	json_begin_array(j);
	for (size_t i = 0; i < r->prot.n; i++)
		json_protected_dev(j, &r->prot.v[i]);
	json_end_array(j);
	json_key(j, "not_traced");
	json_begin_array(j);
	for (size_t i = 0; i < r->prot.nmissing; i++)
		json_str(j, r->prot.missing[i]);
	json_end_array(j);
	json_end_object(j);
}

static void json_this_boot(struct json *j, const struct report *r)
{
	json_key(j, "this_boot");
	if (!r->st.present) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	json_ktext(j, "mode", r->st.mode);
	json_ktext(j, "kernel", r->st.kernel);
	json_kint(j, "exit", r->st.exit_status);
	json_kint(j, "bound", r->st.bound);
	json_kint(j, "failed", r->st.failed);
	json_kint(j, "refused", r->st.refused);
	if (r->st.proof_seen) {
		json_kbool(j, "protected_list_verified", r->st.proof_verified);
		json_ktext(j, "protected_list_reason", r->st.proof_verified ? NULL : r->st.proof_reason);
	} else {
		json_knull(j, "protected_list_verified");
		json_knull(j, "protected_list_reason");
	}
	json_key(j, "late_pass");
	if (r->late.present) {
		json_begin_object(j);
		json_kint(j, "bound", r->late.bound);
		json_kint(j, "failed", r->late.failed);
		json_kint(j, "refused", r->late.refused);
		json_end_object(j);
	} else {
		json_null(j);
	}
	json_end_object(j);
}

/* No driver ("none" in the record) is null. */
static void json_kdriver(struct json *j, const char *key, const char *d)
{
	json_ktext(j, key, strcmp(d, "none") != 0 ? d : NULL);
}

static void json_manual_run(struct json *j, const struct manual_run *run)
{
	json_begin_object(j);
	json_ktext(j, "time", run->time);
	json_ktext(j, "confirmed", run->confirmed);
	json_kint(j, "exit", run->exit_status);
	json_kint(j, "changed", run->changed);
	json_kint(j, "failed", run->failed);
	json_kint(j, "refused", run->refused);
	json_kint(j, "devices_not_recorded", run->more);
	json_key(j, "devices");
	json_begin_array(j);
	for (size_t k = 0; k < run->ndev; k++) {
		const struct manual_dev *d = &run->dev[k];

		json_begin_object(j);
		json_ktext(j, "address", d->addr);
		json_ktext(j, "result", d->result);
		json_kdriver(j, "was", d->was);
		json_kdriver(j, "now", d->now);
		json_ktext(j, "reason", d->reason);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

/* The runs by hand on the booted host since the boot (null: none recorded). */
static void json_manual_runs(struct json *j, const struct report *r)
{
	json_key(j, "manual_runs");
	if (!r->manual.present) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	json_kint(j, "dropped", r->manual.dropped);
	json_key(j, "runs");
	json_begin_array(j);
	for (size_t i = 0; i < r->manual.nrun; i++)
		json_manual_run(j, &r->manual.run[i]);
	json_end_array(j);
	json_end_object(j);
}

static void json_initrd(struct json *j, const struct report *r)
{
	json_key(j, "initramfs");
	if (!r->initrd.exists) {
		json_null(j);
		return;
	}
	json_begin_object(j);
	json_kstr(j, "path", r->initrd.path);
	json_kbool(j, "inspected", r->initrd.checked);
	if (r->initrd.checked) {
		json_kbool(j, "has_vfio_early", r->initrd.has_binary);
		json_kbool(j, "has_config", r->initrd.has_config);
		json_kbool(j, "has_vfio_pci", r->initrd.has_module);
		/* A built-in vfio-pci needs no module in the image. */
		json_kbool(j, "vfio_pci_built_in", report_module_built_in(r, "vfio-pci"));
		json_kbool(j, "has_protected_list", r->initrd.has_protected);
	} else {
		/* Not listed: what it holds is unknown. */
		json_knull(j, "has_vfio_early");
		json_knull(j, "has_config");
		json_knull(j, "has_vfio_pci");
		json_knull(j, "vfio_pci_built_in");
		json_knull(j, "has_protected_list");
	}
	json_kbool(j, "config_newer", r->initrd.config_newer);
	json_end_object(j);
}

static void json_legacy(struct json *j, const struct report *r)
{
	json_key(j, "legacy");
	json_begin_array(j);
	for (size_t i = 0; i < r->nlegacy; i++) {
		const struct legacy_line *l = &r->legacy[i];

		json_begin_object(j);
		json_ktext(j, "where", l->where);
		json_ktext(j, "line", l->text);
		json_kstr(j, "verdict", l->v == LEGACY_DROP ? "unnecessary" :
			  l->v == LEGACY_EDIT ? "edit" : "keep");
		json_ktext(j, "edit", l->edit);
		json_ktext(j, "why", l->why);
		json_end_object(j);
	}
	json_end_array(j);
}

static void json_boot_chain(struct json *j, const struct report *r)
{
	json_key(j, "boot_chain");
	json_begin_object(j);
	json_key(j, "modules");
	json_begin_object(j);
	for (size_t i = 0; i < ARRAY_SIZE(r->mods); i++)
		json_kstr(j, r->mods[i].name, r->mods[i].state);
	json_end_object(j);
	json_initrd(j, r);
	json_legacy(j, r);
	json_end_object(j);
}

static void json_problems(struct json *j, const struct problems *p)
{
	json_key(j, "problems");
	json_begin_array(j);
	for (size_t i = 0; i < p->n; i++) {
		json_begin_object(j);
		json_kstr(j, "severity", report_severity_names[p->v[i].sev]);
		json_kstr(j, "code", p->v[i].code);
		json_kstr_or_null(j, "device", p->v[i].device[0] ? p->v[i].device : NULL);
		json_kstr(j, "what", p->v[i].what);
		json_kstr_or_null(j, "fix", p->v[i].fix[0] ? p->v[i].fix : NULL);
		json_end_object(j);
	}
	json_end_array(j);
}

/* One hostpci entry: the lines report-text.c prints, as strings. */
static void json_vm_entry(struct json *j, const struct report *r, const struct vm_entry *e,
			  unsigned n)
{
	char path[PCI_ADDR_STRLEN], id[48], buf[400];

	report_vm_path(e, path, sizeof(path));
	report_vm_mapping_id(e, id, sizeof(id));
	json_begin_object(j);
	json_kint(j, "iommu_group", e->group);
	json_kstr(j, "path", path);
	json_kbool(j, "all_functions", !e->addr.has_func);
	snprintf(buf, sizeof(buf), "hostpci%u: %s,pcie=1", n, path);
	json_kstr(j, "hostpci", buf);
	snprintf(buf, sizeof(buf), "qm set VMID -hostpci%u %s,pcie=1", n, path);
	json_kstr(j, "qm_set", buf);
	json_key(j, "mapping");
	json_begin_object(j);
	json_kstr(j, "id", id);
	json_ktext(j, "node", r->node);
	report_vm_pvesh(r, e, buf, sizeof(buf));
	json_kstr(j, "create", buf);
	snprintf(buf, sizeof(buf), "hostpci%u: mapping=%s,pcie=1", n, id);
	json_kstr(j, "hostpci", buf);
	json_end_object(j);
	json_key(j, "hostdev");
	json_begin_array(j);
	for (size_t i = 0; i < e->nfn; i++) {
		report_vm_hostdev(r, e->fn[i], buf, sizeof(buf));
		json_str(j, buf);
	}
	json_end_array(j);
	json_end_object(j);
}

/* The cards ready for a VM, each with its functions and its entries. */
static void json_vm(struct json *j, const struct report *r)
{
	unsigned n = 0;

	json_key(j, "ready_for_vm");
	json_begin_array(j);
	for (size_t c = 0; c < r->ncards; c++) {
		const struct vm_card *vc = &r->cards[c];

		json_begin_object(j);
		json_key(j, "functions");
		json_begin_array(j);
		for (size_t i = 0; i < vc->ne; i++)
			for (size_t k = 0; k < vc->e[i].nfn; k++)
				json_str(j, vc->e[i].fn[k]->name);
		json_end_array(j);
		json_key(j, "entries");
		json_begin_array(j);
		for (size_t i = 0; i < vc->ne; i++)
			json_vm_entry(j, r, &vc->e[i], n++);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

void report_print_json(FILE *f, const struct report *r, const struct problems *p)
{
	struct json j;
	unsigned warn, block;
	int status = report_status(p, &warn, &block);

	json_init(&j, f);
	json_begin_object(&j);
	json_kstr(&j, "schema", "vfio-early-report/2");
	json_kstr(&j, "version", VERSION);
	/* The gathering says "unknown" when the root does not tell. */
	json_ktext(&j, "kernel", strcmp(r->kver, "unknown") != 0 ? r->kver : NULL);
	json_kstr_or_null(&j, "cmdline", r->cmdline);
	json_iommu(&j, r);
	json_devices(&j, r);
	json_groups(&j, r);
	report_json_sriov(&j, r);
	json_config(&j, r);
	json_protected(&j, r);
	json_this_boot(&j, r);
	json_manual_runs(&j, r);
	json_boot_chain(&j, r);
	json_vm(&j, r);
	json_problems(&j, p);
	json_kstr(&j, "status", report_verdict(r, p));
	json_kint(&j, "exit", status);
	json_end_object(&j);
	fputc('\n', f);
}
