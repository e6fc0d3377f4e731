#!/usr/bin/env bats
# What the host needs, part 2 (issue 18), on real initramfs-tools images: a root
# filesystem on a USB disk whose xHCI a rule names, and a management NIC
# (bridge vmbr0 over it) that rules name by address or by ids.  The
# protected lists are recorded on the guests themselves.  See
# lib/hostneeds.bash for the scenarios and hosts.

VFE_KIND=itools
load lib/hostneeds

setup_file()
{
	vfe_hn_setup
}

setup()
{
	vfe_boot_skip
}

@test "initramfs-tools hostneeds: the emulated hosts have the xHCI, the NIC and the root disk where the tests expect them" {
	vfe_check_hn_layouts
}

@test "initramfs-tools hostneeds: the list of the USB-root host names the xHCI by path as holding the root (recorded by a boot that reached the root on USB)" {
	vfe_check_hn_list_usb
}

@test "initramfs-tools hostneeds: the list of the host with vmbr0 up names the NIC: it carries the management network (vmbr0, address, default route, port)" {
	vfe_check_hn_list_mgmt
}

@test "initramfs-tools hostneeds: no list in the image, a rule names the xHCI of the root's USB disk: refused early and by the late pass, xhci_hcd keeps it, the root is mounted from USB" {
	vfe_check_hn_usb
}

@test "initramfs-tools hostneeds: the list of another machine, a rule names the xHCI of the root's USB disk: refused, xhci_hcd keeps it, the root is mounted from USB" {
	vfe_check_hn_usbother
}

@test "initramfs-tools hostneeds: a rule names the management NIC by address: refused (management network), e1000e keeps it, vmbr0 comes up on the root" {
	vfe_check_hn_mgmt
}

@test "initramfs-tools hostneeds: ids naming the management NIC with allow-network: refused the same way, vmbr0 comes up on the root" {
	vfe_check_hn_mgmtids
}

@test "initramfs-tools hostneeds: no list in the image, a rule names the NIC by address: refused early (a network controller, list unverified), kept, vmbr0 comes up" {
	vfe_check_hn_mgmtnone
}

@test "initramfs-tools hostneeds: a rule names the management NIC by address with allow-network: handed over, on vfio-pci from the early pass on" {
	vfe_check_hn_mgmtallow
}
