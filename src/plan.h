/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_PLAN_H
#define VFIO_EARLY_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "pci.h"
#include "protect.h"
#include "rules.h"

enum plan_via {
	VIA_RULE,	/* a rule names this device */
	VIA_SLOT,	/* another function of a selected card */
	VIA_GROUP,	/* a member of a selected device's IOMMU group (whole-group) */
};

enum plan_result {
	RES_PLANNED,		/* dry run: would bind */
	RES_BOUND,		/* verified on vfio-pci */
	RES_ALREADY,		/* was on vfio-pci before this run */
	RES_OVERRIDE_SET,	/* override written under a test root (no kernel to probe) */
	RES_FAILED,
	RES_REFUSED,
};

/* Why the safety policy refused a device, for tools that suggest a fix. */
enum refusal {
	REF_NONE,
	REF_ORIGIN,		/* the device that brought it in is refused */
	REF_CARD,		/* another function of the same card is refused */
	REF_BRIDGE,
	REF_EXPECT,		/* expect= ids differ: card moved or replaced */
	REF_ROOT,		/* holds the root filesystem */
	REF_ROOT_GROUP,		/* shares its IOMMU group with the root controller */
	REF_NO_IOMMU,
	REF_NO_GROUP,
	REF_BOOT_VGA,
	REF_STORAGE,
	REF_NETWORK,
	REF_NO_OVERRIDE,	/* kernel without driver_override */
	REF_UNVERIFIED,		/* can carry a disk (or a network root) and no verified list */
	REF_IN_USE,		/* a mounted filesystem, swap or held device is below it */
	REF_MGMT,		/* carries the management network, not named with allow-network */
	REF_NET_UNVERIFIED,	/* a NIC, not named with allow-network, and no verified list */
};

#define PLAN_REASON_LEN 320

struct plan_item {
	struct pci_dev *dev;
	const struct rule *rule;
	enum plan_via via;
	int origin;			/* the item that pulled this one in, or -1 */
	enum refusal code;
	enum refusal cause;		/* the refusal at the root of it (REF_ORIGIN, REF_CARD) */
	enum plan_result result;
	char reason[PLAN_REASON_LEN];	/* why refused or failed */
	char was[DRIVER_NAME_LEN];	/* the driver before this run */
	char target[DRIVER_NAME_LEN];	/* a variant it goes to; "": vfio-pci (plan_target) */
	char target_module[64];		/* the variant's module, "" for vfio-pci */
	char target_note[320];		/* why driver= did not get what it asked, or "" */
};

struct plan {
	struct plan_item *v;
	size_t n;
	size_t cap;
	unsigned refused;
	unsigned excluded;
	unsigned partial_groups;
	bool no_iommu;
};

/*
 * Match rules against the devices, widen to the other functions of a card,
 * apply the safety policy.  Reads device details on demand through @t.
 */
int plan_build(struct plan *pl, struct pci_tree *t, struct ruleset *rs,
	       const struct protect *prot);
void plan_free(struct plan *pl);

/*
 * The devices one rule names, taken alone (no card, no group, no safety):
 * *out (caller frees) and *n.  0, or a negative errno.
 */
int plan_rule_devices(const struct pci_tree *t, const struct rule *r, struct pci_dev ***out,
		      size_t *n);

/* What became of the items: bound counts those already on vfio-pci too. */
struct plan_counts {
	unsigned planned;	/* not refused (a dry run's "to bind") */
	unsigned bound;
	unsigned override_set;
	unsigned failed;
};

void plan_count(const struct plan *pl, struct plan_counts *c);

/* How to turn the IOMMU on, for this CPU's vendor (a phrase for messages). */
const char *plan_iommu_hint(int rootfd);

static inline bool plan_refused(const struct plan_item *it)
{
	return it->result == RES_REFUSED;
}

/* The driver the item goes to: its target, vfio-pci until one is chosen. */
static inline const char *plan_target(const struct plan_item *it)
{
	return it->target[0] ? it->target : "vfio-pci";
}

const char *plan_result_name(enum plan_result r);
const char *plan_refusal_name(enum refusal r);
const char *plan_via_name(enum plan_via v);

/* "0000:01:00.0 [10de:2204] class 030000" */
void plan_describe(const struct pci_dev *d, char *buf, size_t size);

#endif
