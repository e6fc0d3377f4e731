#!/usr/bin/env bats
# Boot tests on real initramfs-tools images: the Debian kernel boots the emulated
# two-GPU q35 host (QEMU, TCG unless KVM is proven to work) with an image built
# from `make install DESTDIR=...`.  The guest reports each PCI device's driver
# right after init-top/00-vfio-early, after udev's coldplug, and from
# the real root after switch_root, where it also runs `vfio-early --report`.
# Then the static binary with compressed modules, and the boot faults.
# See lib/boot.bash for the machine, lib/scenarios.bash for the scenarios.

VFE_KIND=itools
load lib/scenarios

setup_file()
{
	vfe_suite_setup
}

setup()
{
	vfe_boot_skip
}

@test "initramfs-tools: 1. card 1 by address on the command line is on vfio-pci from the start, card 2 untouched" {
	vfe_check_s1
}

@test "initramfs-tools: 2. card 2 by stable path in the config is on vfio-pci, card 1 untouched" {
	vfe_check_s2
}

@test "initramfs-tools: 3. vfio_early=off binds nothing and the boot reaches root" {
	vfe_check_s3
}

@test "initramfs-tools: 4. a broken config line is logged with file and line, the valid rule applies" {
	vfe_check_s4
}

@test "initramfs-tools: 5. without an IOMMU nothing is bound and the log says how to enable it" {
	vfe_check_s5
}

@test "initramfs-tools: 6. the root disk's controller is refused and the boot reaches root" {
	vfe_check_s6
}

@test "initramfs-tools: 7. vfio-pci.ids= naming the NVMe's model: refused, and vfio-pci loaded without ids= leaves the NVMe alone" {
	vfe_check_s7
}

@test "initramfs-tools: 8. on the running host, a card its drivers hold is unbound and bound to vfio-pci" {
	vfe_check_s8
}

@test "initramfs-tools: 1. the report in the booted root says what this boot did and names card 1 for Proxmox and libvirt" {
	vfe_check_report s1
}

@test "initramfs-tools: the static binary loads vfio modules compressed as .ko.zst and .ko.xz, card 1 on vfio-pci throughout" {
	vfe_check_static
}

@test "initramfs-tools fault a: vfio modules missing from the image: the log says vfio-pci is missing, root is reached" {
	vfe_check_fa
}

@test "initramfs-tools fault b: the binary missing from the image: the shim says so, root is reached" {
	vfe_check_fb
}

@test "initramfs-tools fault c: the binary not executable: the shim says so, root is reached" {
	vfe_check_fc
}

@test "initramfs-tools fault d: the binary killed by SIGSEGV: the shim logs the signal, root is reached" {
	vfe_check_fd
}

@test "initramfs-tools fault e: /etc/vfio-early.conf unreadable (a directory): logged, the command-line rule still applies" {
	vfe_check_fe
}

@test "initramfs-tools fault f: hostile vfio_early.* values: every bad token named, nothing bound, root is reached" {
	vfe_check_ff
}

@test "initramfs-tools fault g: no /dev/kmsg while vfio-early runs: its lines reach the console, card 1 is bound" {
	vfe_check_fg
}
