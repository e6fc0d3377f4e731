// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which boot loader sets the kernel command line.  proxmox-boot-tool is
 * asked first (it keeps the ESPs it manages in proxmox-boot-uuids, and
 * copies /etc/kernel/cmdline or GRUB's settings there on refresh), then
 * kernelstub, then the files of GRUB, grubby and kernel-install.
 */
#include <fcntl.h>
#include <unistd.h>

#include "bootloader.h"

enum bootloader bootloader_decide(const struct boot_files *f)
{
	if (f->proxmox_uuids)
		return f->kernel_cmdline ? BOOT_PROXMOX_EFI : BOOT_PROXMOX_GRUB;
	if (f->kernelstub)
		return BOOT_KERNELSTUB;
	/* Fedora's GRUB reads BLS entries: /etc/default/grub alone does not reach them. */
	if (f->grubby && f->bls_entries)
		return BOOT_GRUBBY;
	if (f->default_grub)
		return !f->update_grub && f->grub2_mkconfig ? BOOT_GRUB2 : BOOT_GRUB;
	if (f->kernel_cmdline)
		return BOOT_KERNEL_INSTALL;
	return BOOT_UNKNOWN;
}

static bool exists(int rootfd, const char *path)
{
	return faccessat(rootfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

enum bootloader bootloader_detect(int rootfd)
{
	struct boot_files f = {
		.default_grub = exists(rootfd, "etc/default/grub"),
		.update_grub = exists(rootfd, "usr/sbin/update-grub"),
		.grub2_mkconfig = exists(rootfd, "usr/sbin/grub2-mkconfig"),
		.grubby = exists(rootfd, "usr/sbin/grubby") || exists(rootfd, "sbin/grubby"),
		.bls_entries = exists(rootfd, "boot/loader/entries"),
		.kernel_cmdline = exists(rootfd, "etc/kernel/cmdline"),
		.proxmox_uuids = exists(rootfd, "etc/kernel/proxmox-boot-uuids"),
		.kernelstub = exists(rootfd, "etc/kernelstub/configuration"),
	};

	return bootloader_decide(&f);
}

const char *bootloader_how(enum bootloader b)
{
	switch (b) {
	case BOOT_GRUB:
		return "edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run update-grub";
	case BOOT_GRUB2:
		return "edit GRUB_CMDLINE_LINUX in /etc/default/grub, then run grub2-mkconfig -o "
		       "/boot/grub2/grub.cfg";
	case BOOT_GRUBBY:
		return "run grubby --update-kernel=ALL --args=\"the option\"";
	case BOOT_PROXMOX_EFI:
		return "edit /etc/kernel/cmdline, then run proxmox-boot-tool refresh";
	case BOOT_PROXMOX_GRUB:
		return "edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run "
		       "proxmox-boot-tool refresh";
	case BOOT_KERNEL_INSTALL:
		return "edit /etc/kernel/cmdline, then run kernel-install add $(uname -r) "
		       "/boot/vmlinuz-$(uname -r) (or rebuild the UKI)";
	case BOOT_KERNELSTUB:
		return "run kernelstub -a \"the option\"";
	case BOOT_UNKNOWN:
	default:
		return "edit your boot loader's kernel command line: none of /etc/default/grub, "
		       "/etc/kernel/cmdline or kernelstub is here to name it";
	}
}
