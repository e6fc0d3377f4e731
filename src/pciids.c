// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Names for the report from pci.ids, the database lspci uses: vendor
 * lines "10de  NVIDIA Corporation", device lines "\t2204  GA102 [...]".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pciids.h"
#include "util.h"

#define PCIIDS_MAX (8u << 20)

static const char *const databases[] = {
	"usr/share/misc/pci.ids",
	"usr/share/hwdata/pci.ids",
	"usr/share/pci.ids",
};

static void copy_name(char *dst, const char *s, const char *end)
{
	size_t len = (size_t)(end - s);

	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len >= PCIIDS_NAME_LEN)
		len = PCIIDS_NAME_LEN - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

int pciids_lookup(int rootfd, struct pciids_want *w, size_t n)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	long vendor = -1;

	for (size_t i = 0; i < n; i++)
		w[i].vendor_name[0] = w[i].device_name[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(databases) && !buf; i++)
		buf = read_file_at(rootfd, databases[i], PCIIDS_MAX, &len);
	if (!buf)
		return -ENOENT;

	for (char *p = buf; p < buf + len;) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p));
		char *e = nl ? nl : buf + len;
		unsigned long v;

		/* Class list ("C 03  Display controller") ends the device part. */
		if (p[0] == 'C' && p[1] == ' ')
			break;
		if (e - p > 6 && parse_hex(p, 4, 0xffff, &v) == 0 && p[4] == ' ') {
			vendor = (long)v;
			for (size_t i = 0; i < n; i++)
				if (w[i].vendor == v)
					copy_name(w[i].vendor_name, p + 6, e);
		} else if (vendor >= 0 && e - p > 7 && p[0] == '\t' && p[1] != '\t' &&
			   parse_hex(p + 1, 4, 0xffff, &v) == 0 && p[5] == ' ') {
			for (size_t i = 0; i < n; i++)
				if (w[i].vendor == vendor && w[i].device == v)
					copy_name(w[i].device_name, p + 7, e);
		}
		p = nl ? nl + 1 : e;
	}
	return 0;
}

const char *pci_class_name(uint32_t class24)
{
	static const struct {
		uint16_t cls;
		const char *name;
	} names[] = {
		{ 0x0100, "SCSI storage controller" },
		{ 0x0101, "IDE interface" },
		{ 0x0104, "RAID bus controller" },
		{ 0x0106, "SATA controller" },
		{ 0x0107, "Serial Attached SCSI controller" },
		{ 0x0108, "Non-Volatile memory controller" },
		{ 0x0180, "Mass storage controller" },
		{ 0x0200, "Ethernet controller" },
		{ 0x0280, "Network controller" },
		{ 0x0300, "VGA compatible controller" },
		{ 0x0302, "3D controller" },
		{ 0x0380, "Display controller" },
		{ 0x0401, "Multimedia audio controller" },
		{ 0x0403, "Audio device" },
		{ 0x0480, "Multimedia controller" },
		{ 0x0500, "RAM memory" },
		{ 0x0600, "Host bridge" },
		{ 0x0601, "ISA bridge" },
		{ 0x0604, "PCI bridge" },
		{ 0x0680, "Bridge" },
		{ 0x0c03, "USB controller" },
		{ 0x0c05, "SMBus" },
		{ 0x0c80, "Serial bus controller" },
		{ 0x0d00, "IRDA controller" },
		{ 0x1180, "Signal processing controller" },
		{ 0x1200, "Processing accelerators" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].cls == class24 >> 8)
			return names[i].name;
	return NULL;
}
