// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI devices of DIR/sys/bus/pci/devices.
 *
 * The walk touches one attribute per device: modalias yields vendor,
 * device, subsystem ids and class in one read (three system calls:
 * openat, read, close).  Everything else is read by pci_load() only for the
 * devices a rule selects and the members of their slots and IOMMU groups.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pci.h"
#include "sysfs.h"
#include "util.h"

/* Room for DEVICE/ATTR and the NUL. */
#define DEV_PATH_LEN (PCI_ADDR_STRLEN + 1 + SYSFS_ATTR_MAX + 1)

/* The paths below a device that are more than one name, all of them. */
static const char *const sub_paths[] = {
	"driver/unbind",	/* the bound driver's unbind file */
};

static bool valid_attr(const char *attr)
{
	if (strnlen(attr, SYSFS_ATTR_MAX + 1) > SYSFS_ATTR_MAX)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(sub_paths); i++)
		if (strcmp(attr, sub_paths[i]) == 0)
			return true;
	return sysfs_name_ok(attr);
}

/*
 * DEVICE/ATTR, or DEVICE alone for a NULL or empty @attr when @bare, into
 * @path.  0, or -EINVAL (logged) when the name or the attribute is refused.
 * memcpy, not printf: the walk calls this once per device.
 */
static int dev_path(const struct pci_dev *d, const char *attr, bool bare,
		    char path[DEV_PATH_LEN])
{
	struct pci_addr a;
	size_t nlen, alen;

	if (parse_sysfs_name(d->name, &a) < 0) {
		log_err("\"%.*s\": not a PCI device name, no sysfs path built",
			PCI_ADDR_STRLEN - 1, d->name);
		return -EINVAL;
	}
	nlen = strlen(d->name);
	memcpy(path, d->name, nlen + 1);
	if (bare && (!attr || !*attr))
		return 0;
	if (!attr || !valid_attr(attr)) {
		log_err("%s: attribute \"%.*s\" refused: not a sysfs attribute name", d->name,
			SYSFS_ATTR_MAX, attr ? attr : "(null)");
		return -EINVAL;
	}
	alen = strlen(attr);
	path[nlen] = '/';
	memcpy(path + nlen + 1, attr, alen + 1);
	return 0;
}

ssize_t pci_attr_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, false, path);

	return r < 0 ? r : read_attr(t->devfd, path, buf, size);
}

int pci_attr_write(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		   const char *s, bool append)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, false, path);

	return r < 0 ? r : write_attr(t->devfd, path, s, append);
}

ssize_t pci_link_read(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      char *buf, size_t size)
{
	char path[DEV_PATH_LEN];
	int r = dev_path(d, attr, true, path);

	return r < 0 ? r : read_link(t->devfd, path, buf, size);
}

bool pci_attr_exists(const struct pci_tree *t, const struct pci_dev *d, const char *attr)
{
	char path[DEV_PATH_LEN];

	return dev_path(d, attr, false, path) == 0 &&
	       faccessat(t->devfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int parse_pci_modalias(const char *s, struct pci_dev *d)
{
	/* pci:v0000VVVVd0000DDDDsv0000SSSSsd0000ssssbcCCscSSiPP: fixed layout. */
	static const char shape[] = "pci:v________d________sv________sd________bc__sc__i__";
	unsigned long v, dv, sv, sd, bc, sc, pi;

	if (strnlen(s, sizeof(shape)) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] != '_' && shape[i] != s[i])
			return -EINVAL;
	/* parse_hex() checks every digit: a NUL or any other character fails. */
	if (parse_hex(s + 5, 8, 0xffff, &v) < 0 || parse_hex(s + 14, 8, 0xffff, &dv) < 0 ||
	    parse_hex(s + 24, 8, 0xffff, &sv) < 0 || parse_hex(s + 34, 8, 0xffff, &sd) < 0 ||
	    parse_hex(s + 44, 2, 0xff, &bc) < 0 || parse_hex(s + 48, 2, 0xff, &sc) < 0 ||
	    parse_hex(s + 51, 2, 0xff, &pi) < 0)
		return -EINVAL;
	d->vendor = (uint16_t)v;
	d->device = (uint16_t)dv;
	d->subvendor = (uint16_t)sv;
	d->subdevice = (uint16_t)sd;
	d->class = (uint32_t)(bc << 16 | sc << 8 | pi);
	return 0;
}

/* "0x10de" as the kernel prints ids and class. */
int pci_read_hex_attr(const struct pci_tree *t, const struct pci_dev *d, const char *attr,
		      unsigned long max, unsigned long *v)
{
	char buf[32];
	ssize_t n = pci_attr_read(t, d, attr, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (n < 3 || buf[0] != '0' || (buf[1] != 'x' && buf[1] != 'X'))
		return -EINVAL;
	return parse_hex(buf + 2, (size_t)n - 2, max, v);
}

/* Older or unusual trees without modalias: the separate attributes. */
static int read_ids_attrs(const struct pci_tree *t, struct pci_dev *d)
{
	unsigned long v, dv, sv = 0, sd = 0, cls;
	int r;

	if ((r = pci_read_hex_attr(t, d, "vendor", 0xffff, &v)) < 0 ||
	    (r = pci_read_hex_attr(t, d, "device", 0xffff, &dv)) < 0 ||
	    (r = pci_read_hex_attr(t, d, "class", 0xffffff, &cls)) < 0)
		return r;
	/* Subsystem ids are optional (absent on some bridges). */
	if (pci_read_hex_attr(t, d, "subsystem_vendor", 0xffff, &sv) < 0 ||
	    pci_read_hex_attr(t, d, "subsystem_device", 0xffff, &sd) < 0)
		sv = sd = 0;
	d->vendor = (uint16_t)v;
	d->device = (uint16_t)dv;
	d->subvendor = (uint16_t)sv;
	d->subdevice = (uint16_t)sd;
	d->class = (uint32_t)cls;
	return 0;
}

/* The hot loop of the walk: pci_attr_read() builds its path without printf. */
static int read_ids(const struct pci_tree *t, struct pci_dev *d)
{
	char buf[128];
	ssize_t n = pci_attr_read(t, d, "modalias", buf, sizeof(buf));

	if (n >= 0)
		return parse_pci_modalias(buf, d);
	if (n == -ENOENT)
		return read_ids_attrs(t, d);
	return (int)n;
}

static int dev_cmp(const void *a, const void *b)
{
	return pci_addr_cmp(&((const struct pci_dev *)a)->addr,
			    &((const struct pci_dev *)b)->addr);
}

struct sort_key {
	uint64_t key;
	size_t index;
};

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct sort_key *)a)->key, y = ((const struct sort_key *)b)->key;

	return x < y ? -1 : x > y;
}

/*
 * Address order, for bsearch() and for the functions of a slot to sit
 * together.  sysfs lists devices in hash order; sorting small keys and
 * moving each device once is much cheaper than qsort() on the devices.
 */
static int sort_devices(struct pci_tree *t)
{
	struct sort_key *k;
	struct pci_dev *v;
	bool sorted = true;

	for (size_t i = 1; i < t->n && sorted; i++)
		sorted = dev_cmp(&t->dev[i - 1], &t->dev[i]) <= 0;
	if (sorted)
		return 0;
	k = malloc(t->n * sizeof(*k));
	v = malloc(t->n * sizeof(*v));
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct pci_addr *a = &t->dev[i].addr;

		k[i].key = (uint64_t)a->domain << 16 | (uint64_t)a->bus << 8 |
			   (uint64_t)a->slot << 3 | a->func;
		k[i].index = i;
	}
	qsort(k, t->n, sizeof(*k), key_cmp);
	for (size_t i = 0; i < t->n; i++)
		v[i] = t->dev[k[i].index];
	free(t->dev);
	free(k);
	t->dev = v;
	return 0;
}

/* Whether the IOMMU gave out any group. */
static bool has_iommu_groups(int rootfd)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;

	return sysfs_opendirf(&dir, rootfd, "sys/kernel/iommu_groups") == 0 &&
	       sysfs_dir_next(&dir) != NULL;
}

/* Append @d to the tree: 0, -E2BIG past the cap, -ENOMEM. */
static int tree_add(struct pci_tree *t, size_t *cap, const struct pci_dev *d)
{
	if (t->n == *cap) {
		struct pci_dev *v;

		if (*cap >= PCI_DEVICES_MAX)
			return -E2BIG;
		*cap = *cap ? *cap * 2 : 64;
		v = realloc(t->dev, *cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->dev = v;
	}
	t->dev[t->n++] = *d;
	return 0;
}

/* One entry of sys/bus/pci/devices: 0 added, 1 skipped, or a negative errno. */
static int scan_entry(struct pci_tree *t, size_t *cap, const char *name)
{
	struct pci_dev d = { .iommu_group = -1, .plan = -1 };
	int r;

	if (parse_sysfs_name(name, &d.addr) < 0) {
		log_warn("sys/bus/pci/devices/%.64s: not a PCI address, skipped", name);
		return 1;
	}
	memcpy(d.name, name, strnlen(name, PCI_ADDR_STRLEN - 1) + 1);
	r = read_ids(t, &d);
	if (r < 0) {
		log_warn("%s: %s, skipped", d.name,
			 r == -ENOENT ? "vanished during the walk" :
			 r == -EINVAL || r == -ERANGE || r == -EOVERFLOW || r == -EILSEQ ?
			 "malformed modalias or ids" : strerror(-r));
		return 1;
	}
	r = tree_add(t, cap, &d);
	if (r == -E2BIG)
		log_warn("more than %u PCI devices, the rest are ignored", PCI_DEVICES_MAX);
	return r;
}

int pci_scan(struct pci_tree *t, int rootfd)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *name;
	size_t cap = 0;
	int r;

	memset(t, 0, sizeof(*t));
	t->rootfd = rootfd;
	t->devfd = sysfs_openf(rootfd, O_RDONLY | O_DIRECTORY, "sys/bus/pci/devices");
	if (t->devfd < 0)
		return t->devfd;
	r = sysfs_opendirf(&dir, t->devfd, ".");
	if (r < 0)
		return r;
	while ((name = sysfs_dir_next(&dir))) {
		r = scan_entry(t, &cap, name);
		if (r == -E2BIG)
			break;
		if (r < 0)
			return r;
		t->skipped += (unsigned)r;
	}
	t->skipped += dir.skipped;
	if (dir.err) {
		log_warn("reading sys/bus/pci/devices: %s", strerror(-dir.err));
		return dir.err;
	}
	if (sort_devices(t) < 0)
		return -ENOMEM;
	t->iommu = has_iommu_groups(rootfd);
	return 0;
}

void pci_tree_free(struct pci_tree *t)
{
	if (t->devfd >= 0)
		close(t->devfd);
	free(t->dev);
	t->dev = NULL;
	t->n = 0;
	t->devfd = -1;
}

struct pci_dev *pci_find(const struct pci_tree *t, const struct pci_addr *a)
{
	struct pci_dev key = { .addr = *a };

	key.addr.has_func = true;
	if (!t->n)
		return NULL;
	return bsearch(&key, t->dev, t->n, sizeof(*t->dev), dev_cmp);
}

static bool valid_driver_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

int pci_read_driver(const struct pci_tree *t, const struct pci_dev *d, char *buf,
		    size_t size)
{
	char link[512];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	n = pci_link_read(t, d, "driver", link, sizeof(link));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	base = path_basename(link);
	if (!valid_driver_name(base) || strlen(base) >= size)
		return -EINVAL;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

void pci_load(struct pci_tree *t, struct pci_dev *d)
{
	char buf[512];
	unsigned long v;
	ssize_t n;
	int r;

	if (d->loaded)
		return;

	r = pci_read_driver(t, d, d->driver, sizeof(d->driver));
	if (r < 0)
		log_warn("%s: unreadable driver link (%s)", d->name, strerror(-r));

	n = pci_attr_read(t, d, "driver_override", buf, sizeof(buf));
	/* Too long or holding a NUL: the attribute is there, its value is not usable. */
	d->has_override_attr = n >= 0 || n == -EOVERFLOW || n == -EILSEQ;
	d->override[0] = '\0';
	if (n == -EOVERFLOW || n == -EILSEQ) {
		log_warn("%s: malformed driver_override, treated as empty", d->name);
	} else if (n > 0 && strcmp(buf, "(null)") != 0) {
		if (valid_driver_name(buf) && (size_t)n < sizeof(d->override))
			memcpy(d->override, buf, (size_t)n + 1);
		else
			log_warn("%s: malformed driver_override, treated as empty", d->name);
	}

	d->iommu_group = -1;
	n = pci_link_read(t, d, "iommu_group", buf, sizeof(buf));
	if (n >= 0) {
		const char *g = path_basename(buf);

		if (parse_dec(g, strlen(g), 0x7fffffff, &v) == 0)
			d->iommu_group = (int)v;
		else
			log_warn("%s: malformed iommu_group link, treated as none", d->name);
	}

	d->boot_vga = false;
	if (pci_base_class(d) == 0x03) {
		n = pci_attr_read(t, d, "boot_vga", buf, sizeof(buf));
		if (n == 1 && (buf[0] == '0' || buf[0] == '1')) {
			d->boot_vga = buf[0] == '1';
		} else if (n != -ENOENT) {
			/* The safety policy fails closed: it may be the host's console. */
			log_warn("%s: unreadable boot_vga (%s), treated as the boot display",
				 d->name, n < 0 ? strerror((int)-n) : "malformed");
			d->boot_vga = true;
		}
	}

	d->is_vf = pci_attr_exists(t, d, "physfn");

	/* ../../../devices/pci0000:00/0000:00:1f.3: the parent is the host bridge. */
	n = pci_link_read(t, d, NULL, buf, sizeof(buf));
	if (n > 0) {
		char *last = strrchr(buf, '/');

		if (last) {
			*last = '\0';
			d->on_root_bus = strncmp(path_basename(buf), "pci", 3) == 0;
		}
	}
	d->loaded = true;
}

static int ptr_cmp(const void *a, const void *b)
{
	return pci_addr_cmp(&(*(struct pci_dev *const *)a)->addr,
			    &(*(struct pci_dev *const *)b)->addr);
}

/* Devices named by the entries of an open directory, optionally filtered. */
static int collect_dir(const struct pci_tree *t, struct sysfs_dir *dir,
		       bool (*keep)(const struct pci_addr *, const void *), const void *arg,
		       struct pci_dev ***out, size_t *n)
{
	struct pci_dev **v = NULL;
	const char *name;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	while ((name = sysfs_dir_next(dir))) {
		struct pci_addr a;
		struct pci_dev *d;

		if (parse_sysfs_name(name, &a) < 0 || (keep && !keep(&a, arg)))
			continue;
		d = pci_find(t, &a);
		if (!d)
			continue;
		if (*n == cap) {
			struct pci_dev **nv;

			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				free(v);
				*n = 0;
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = d;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), ptr_cmp);
	*out = v;
	return 0;
}

int pci_group_members(const struct pci_tree *t, int group, struct pci_dev ***out, size_t *n)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	int r = sysfs_opendirf(&dir, t->rootfd, "sys/kernel/iommu_groups/%d/devices", group);

	*out = NULL;
	*n = 0;
	return r < 0 ? r : collect_dir(t, &dir, NULL, NULL, out, n);
}

struct hop_match {
	uint8_t slot;
	uint8_t func;
	bool any_func;
};

static bool keep_hop(const struct pci_addr *a, const void *arg)
{
	const struct hop_match *h = arg;

	return a->slot == h->slot && (h->any_func || a->func == h->func);
}

int pci_resolve_path(const struct pci_tree *t, const struct path_spec *p,
		     struct pci_dev ***out, size_t *n)
{
	struct pci_dev *cur = pci_find(t, &p->root);

	*out = NULL;
	*n = 0;
	if (!cur)
		return 0;
	for (unsigned i = 0; i < p->nhops; i++) {
		bool last = i + 1 == p->nhops;
		struct hop_match h = {
			.slot = p->hop[i].slot,
			.func = p->hop[i].func,
			.any_func = last && !p->last_has_func,
		};
		_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
		struct pci_dev **v = NULL;
		size_t nv = 0;
		int r;

		/* Children of a bridge are subdirectories of its device directory. */
		r = sysfs_opendirf(&dir, t->devfd, "%s", cur->name);
		if (r == 0)
			r = collect_dir(t, &dir, keep_hop, &h, &v, &nv);
		if (r < 0 && r != -ENOENT && r != -ENOTDIR)
			return r;
		if (last) {
			*out = v;
			*n = nv;
			return 0;
		}
		cur = nv == 1 ? v[0] : NULL;
		free(v);
		if (!cur)
			return 0;
	}
	return 0;
}

int pci_chain(const struct pci_tree *t, const struct pci_dev *d, struct pci_addr *v, size_t max)
{
	char link[512];
	const char *p;
	size_t n = 0;
	ssize_t len = pci_link_read(t, d, NULL, link, sizeof(link));

	if (len < 0)
		return (int)len;
	p = strstr(link, "/pci");
	if (!p)
		return -EINVAL;
	p = strchr(p + 1, '/');
	while (p) {
		const char *s = p + 1, *e = strchr(s, '/');
		char comp[PCI_ADDR_STRLEN];
		size_t clen = e ? (size_t)(e - s) : strlen(s);

		if (clen >= sizeof(comp) || n == max)
			return -EINVAL;
		memcpy(comp, s, clen);
		comp[clen] = '\0';
		if (parse_sysfs_name(comp, &v[n]) < 0)
			return -EINVAL;
		n++;
		p = e;
	}
	return n ? (int)n : -EINVAL;
}

int pci_stable_path(const struct pci_tree *t, const struct pci_dev *d, char *buf,
		    size_t size)
{
	struct pci_addr v[PCI_CHAIN_MAX];
	int n = pci_chain(t, d, v, PCI_CHAIN_MAX);
	size_t used = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int k;

		if (i == 0)
			k = snprintf(buf, size, "%04x:%02x:%02x.%u", v[0].domain, v[0].bus,
				     v[0].slot, v[0].func);
		else
			k = snprintf(buf + used, size - used, "/%02x.%u", v[i].slot, v[i].func);
		if (k < 0 || (size_t)k >= size - used)
			return -ENAMETOOLONG;
		used += (size_t)k;
	}
	return 0;
}

void pci_slot_range(const struct pci_tree *t, const struct pci_dev *d, size_t *first,
		    size_t *last)
{
	*first = *last = (size_t)(d - t->dev);
	while (*first > 0 && pci_same_slot(&t->dev[*first - 1], d))
		(*first)--;
	while (*last + 1 < t->n && pci_same_slot(&t->dev[*last + 1], d))
		(*last)++;
}
