#!/usr/bin/env bats
# Boot tests on real dracut images: the Debian kernel boots the emulated
# two-GPU q35 host (QEMU, TCG unless KVM is proven to work) with an image built
# from `make install DESTDIR=...`.  The guest reports each PCI device's driver
# right after the pre-udev hook, after udev's coldplug, and from
# the real root after switch_root.  See lib/boot.bash for the machine.

VFE_KIND=dracut
load lib/scenarios

setup_file()
{
	vfe_suite_setup
}

setup()
{
	vfe_suite_skip
}

@test "dracut: 1. card 1 by address on the command line is on vfio-pci from the start, card 2 untouched" {
	vfe_check_s1
}

@test "dracut: 2. card 2 by stable path in the config is on vfio-pci, card 1 untouched" {
	vfe_check_s2
}

@test "dracut: 3. vfio_early=off binds nothing and the boot reaches root" {
	vfe_check_s3
}

@test "dracut: 4. a broken config line is logged with file and line, the valid rule applies" {
	vfe_check_s4
}

@test "dracut: 5. without an IOMMU nothing is bound and the log says how to enable it" {
	vfe_check_s5
}

@test "dracut: 6. the root disk's controller is refused and the boot reaches root" {
	vfe_check_s6
}

@test "dracut with systemd in the initramfs: 1. card 1 by address is on vfio-pci from the start" {
	vfe_check_s1 s1sd
}
