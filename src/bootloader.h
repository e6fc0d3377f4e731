/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How this host sets its kernel command line: which file to edit and what
 * applies it, detected from the files of the root.
 */
#ifndef VFIO_EARLY_BOOTLOADER_H
#define VFIO_EARLY_BOOTLOADER_H

#include <stdbool.h>

enum bootloader {
	BOOT_UNKNOWN,
	BOOT_GRUB,		/* /etc/default/grub and Debian's update-grub */
	BOOT_GRUB2,		/* /etc/default/grub and grub2-mkconfig, no update-grub */
	BOOT_GRUBBY,		/* Fedora/RHEL: BLS entries, grubby edits them */
	BOOT_PROXMOX_EFI,	/* proxmox-boot-tool with systemd-boot: /etc/kernel/cmdline */
	BOOT_PROXMOX_GRUB,	/* proxmox-boot-tool with GRUB: /etc/default/grub */
	BOOT_KERNEL_INSTALL,	/* systemd-boot or a UKI through kernel-install */
	BOOT_KERNELSTUB,	/* Pop!_OS: the EFI stub, kernelstub writes it */
};

/* What the root holds; the only input of bootloader_decide(). */
struct boot_files {
	bool default_grub;		/* etc/default/grub */
	bool update_grub;		/* usr/sbin/update-grub */
	bool grub2_mkconfig;		/* usr/sbin/grub2-mkconfig */
	bool grubby;			/* usr/sbin/grubby */
	bool bls_entries;		/* boot/loader/entries */
	bool kernel_cmdline;		/* etc/kernel/cmdline */
	bool proxmox_uuids;		/* etc/kernel/proxmox-boot-uuids */
	bool kernelstub;		/* etc/kernelstub/configuration */
};

/* Pure: the boot loader these files point to. */
enum bootloader bootloader_decide(const struct boot_files *f);

/* Read the files below @rootfd and decide. */
enum bootloader bootloader_detect(int rootfd);

/*
 * Where an option goes and what applies it ("edit X, then run Y"), to
 * follow "add OPTION to the kernel command line: ".
 */
const char *bootloader_how(enum bootloader b);

#endif
