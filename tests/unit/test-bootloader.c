// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootloader.c: which boot loader's command line the report's fixes name,
 * decided from the files a root holds.  The /dev/vfio check is in
 * test-vfio-status.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "bootloader.h"

TEST(debian_grub)
{
	struct boot_files f = { .default_grub = true, .update_grub = true };

	CHECK_INT(bootloader_decide(&f), BOOT_GRUB);
	CHECK(strstr(bootloader_how(BOOT_GRUB), "/etc/default/grub, then run update-grub"));
}

TEST(grub_without_update_grub_names_grub2_mkconfig)
{
	struct boot_files f = { .default_grub = true, .grub2_mkconfig = true };

	CHECK_INT(bootloader_decide(&f), BOOT_GRUB2);
	CHECK(strstr(bootloader_how(BOOT_GRUB2), "grub2-mkconfig -o /boot/grub2/grub.cfg"));
}

TEST(fedora_bls_entries_are_edited_by_grubby)
{
	struct boot_files f = { .default_grub = true, .grubby = true, .bls_entries = true };

	CHECK_INT(bootloader_decide(&f), BOOT_GRUBBY);
	/* grubby alone, without BLS entries, is not what GRUB reads. */
	f.bls_entries = false;
	CHECK_INT(bootloader_decide(&f), BOOT_GRUB);
}

TEST(proxmox_boot_tool_with_systemd_boot_or_grub)
{
	struct boot_files f = { .proxmox_uuids = true, .kernel_cmdline = true,
				.default_grub = true };

	CHECK_INT(bootloader_decide(&f), BOOT_PROXMOX_EFI);
	CHECK_STR(bootloader_how(BOOT_PROXMOX_EFI),
		  "edit /etc/kernel/cmdline, then run proxmox-boot-tool refresh");
	f.kernel_cmdline = false;
	CHECK_INT(bootloader_decide(&f), BOOT_PROXMOX_GRUB);
	CHECK(strstr(bootloader_how(BOOT_PROXMOX_GRUB), "proxmox-boot-tool refresh"));
}

TEST(kernel_install_and_kernelstub)
{
	struct boot_files f = { .kernel_cmdline = true };

	CHECK_INT(bootloader_decide(&f), BOOT_KERNEL_INSTALL);
	CHECK(strstr(bootloader_how(BOOT_KERNEL_INSTALL), "kernel-install add"));
	f.kernelstub = true;
	CHECK_INT(bootloader_decide(&f), BOOT_KERNELSTUB);
	CHECK(strstr(bootloader_how(BOOT_KERNELSTUB), "kernelstub -a"));
}

TEST(nothing_known_names_no_grub)
{
	struct boot_files f = { 0 };

	CHECK_INT(bootloader_decide(&f), BOOT_UNKNOWN);
	CHECK(!strstr(bootloader_how(BOOT_UNKNOWN), "update-grub"));
}

static void touch(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

TEST(detect_reads_the_root)
{
	char dir[] = "/tmp/vfio-early-boot.XXXXXX";
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(bootloader_detect(fd), BOOT_UNKNOWN);
	CHECK_INT(mkdirat(fd, "etc", 0755), 0);
	CHECK_INT(mkdirat(fd, "etc/kernel", 0755), 0);
	touch(fd, "etc/kernel/cmdline");
	CHECK_INT(bootloader_detect(fd), BOOT_KERNEL_INSTALL);
	touch(fd, "etc/kernel/proxmox-boot-uuids");
	CHECK_INT(bootloader_detect(fd), BOOT_PROXMOX_EFI);
	unlinkat(fd, "etc/kernel/proxmox-boot-uuids", 0);
	unlinkat(fd, "etc/kernel/cmdline", 0);
	unlinkat(fd, "etc/kernel", AT_REMOVEDIR);
	unlinkat(fd, "etc", AT_REMOVEDIR);
	close(fd);
	CHECK_INT(rmdir(dir), 0);
}
