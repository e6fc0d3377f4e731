#!/usr/bin/env bats
# SR-IOV VFs for vfio-pci (issue 19, item 4): vfs=N on a PF.  The host is an
# Intel X710 (i40e PF, iavf VFs) as in tests/fixtures/sriov.spec, whose
# layout follows the X710 listings of the Proxmox forum's SR-IOV threads:
# the PF at 05:00.0, VFs at 05:02.x (VF offset 16).  A fake root's kernel
# makes no VFs when sriov_numvfs is written: the tests that need VFs give
# them in the spec, as a PF that has them.

load helper

# vf_host NUMVFS [VF-LINES]: the X710 with sriov_totalvfs=64 and NUMVFS.
vf_host() {
	make_root sriov-pf "$(printf '%s\n' \
		"pci 0000:05:00.0 parent=0000:00:01.0 ids=8086:1572 sub=8086:0001 class=020000 group=30 driver=i40e totalvfs=64 numvfs=$1" \
		"${2:-}")"
	printf '1\n' > "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_drivers_autoprobe"
}

TWO_VFS="pci 0000:05:02.0 parent=0000:00:01.0 ids=8086:154c sub=8086:0000 class=020000 group=33 vf-of=0000:05:00.0 vfn=0 driver=iavf
pci 0000:05:02.1 parent=0000:00:01.0 ids=8086:154c sub=8086:0000 class=020000 group=34 vf-of=0000:05:00.0 vfn=1"

@test "the PF has its VFs: each goes to vfio-pci, the PF stays on i40e, nothing is written to the PF" {
	vf_host 2 "$TWO_VFS"
	set_config "address 0000:05:00.0 vfs=2"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_line "0000:05:02.0: was iavf, driver_override now vfio-pci (test root, not probed)"
	assert_line "0000:05:02.1: was no driver, driver_override now vfio-pci (test root, not probed)"
	assert_overrides 0000:05:00.0="(null)" 0000:05:02.0=vfio-pci 0000:05:02.1=vfio-pci
	run changed_since "$before"
	refute_output --partial "0000:05:00.0"
}

@test "no VFs yet: autoprobe off, sriov_numvfs written, autoprobe back" {
	vf_host 0
	set_config "address 0000:05:00.0 vfs=4"
	ve --yes
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_numvfs")" "4"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_drivers_autoprobe")" "1"
	run kmsg
	assert_line --partial "0000:05:00.0: 4 VFs made (PF on i40e, sriov_drivers_autoprobe back to 1)"
	# this fake kernel made none: each missing VF is named
	assert_line --partial "0000:05:00.0: virtfn0 is missing or not a PCI address"
	assert_equal "$(override 0000:05:00.0)" "(null)"
}

@test "a count that is set is never changed" {
	vf_host 2 "$TWO_VFS"
	set_config "address 0000:05:00.0 vfs=8"
	ve --yes
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_numvfs")" "2"
	run kmsg
	assert_line --partial "0000:05:00.0: vfs=8: the PF has 2 VFs already; a count that is set is not changed (write 0 to sriov_numvfs first)"
	assert_equal "$(override 0000:05:02.0)" "(null)"
}

@test "more VFs than the PF offers, a PF without SR-IOV, a rule that matches nothing" {
	vf_host 0
	set_config "address 0000:05:00.0 vfs=65" "address 0000:00:17.0 vfs=1" "address 0000:42:00.0 vfs=1"
	ve --yes
	run kmsg
	assert_line --partial "0000:05:00.0: vfs=65: the PF offers 64 VFs (sriov_totalvfs)"
	assert_line --partial "0000:00:17.0: vfs=1: not an SR-IOV physical function (no sriov_totalvfs)"
	assert_line --partial "/etc/vfio-early.conf:3: 0000:42:00.0 matches no device"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_numvfs")" "0"
	# the AHCI controller named by the rule is not handed over either
	assert_equal "$(override 0000:00:17.0)" "(null)"
}

@test "the early pass leaves VFs to the late pass when no driver holds the PF yet" {
	vf_host 0
	sed -i 's/ driver=i40e//' "$BATS_TEST_TMPDIR/spec"
	rm -rf "$ROOT"
	"$MKFAKESYS" "$BATS_TEST_TMPDIR/spec" "$ROOT"
	in_initramfs
	set_config "address 0000:05:00.0 vfs=4"
	ve
	assert_success
	run kmsg
	assert_line --partial "0000:05:00.0: vfs=4: no driver holds the PF yet; its VFs are made once one does (the late pass, or vfio-early --yes on the booted host)"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:05:00.0/sriov_numvfs")" "0"
}

@test "the late pass makes the VFs once the PF's driver is there, and hands them over" {
	vf_host 2 "$TWO_VFS"
	in_initramfs
	set_config "address 0000:05:00.0 vfs=2"
	printf '20 1 8:2 / /root rw,relatime shared:1 - ext4 /dev/sda2 rw\n' > "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/root/etc"
	: > "$ROOT/dev/kmsg"
	ve --late /root
	run kmsg
	assert_line --partial "late pass: 0000:05:02.0 [8086:154c] class 020000: driver_override set to vfio-pci"
	assert_overrides 0000:05:00.0="(null)" 0000:05:02.0=vfio-pci 0000:05:02.1=vfio-pci
}

@test "the late pass does not log the config's errors again: the early pass did" {
	vf_host 2 "$TWO_VFS"
	in_initramfs
	set_config "address 0000:05:00.0 vfs=2" "address 0000:05:00.0 vfs=lots"
	ve
	run kmsg
	assert_line --partial "/etc/vfio-early.conf:2: vfs=lots: vfs= takes a number of VFs, 1 to 4096"
	printf '20 1 8:2 / /root rw,relatime shared:1 - ext4 /dev/sda2 rw\n' > "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/root/etc"
	: > "$ROOT/dev/kmsg"
	ve --late /root
	run kmsg
	assert_line --partial "late pass: 0000:05:02.0 [8086:154c] class 020000: driver_override set to vfio-pci"
	refute_output --partial "vfs=lots"
}

@test "a dry run says what it would make and writes nothing" {
	vf_host 0
	set_config "address 0000:05:00.0 vfs=4"
	before=$(snapshot)
	ve --dry-run
	assert_success
	assert_output --partial "0000:05:00.0: would make 4 VFs (PF on i40e)"
	assert_equal "$(changed_since "$before")" ""
}

@test "vfs= errors name the token" {
	vf_host 0
	set_config "address 0000:05:00.0 vfs=0" "address 0000:05:00.0 vfs=lots" "address 0000:05:00.0 vfs=5000"
	ve --yes
	assert_failure 2
	run kmsg
	assert_output --partial "/etc/vfio-early.conf:1: vfs=0: vfs= takes a number of VFs, 1 to 4096"
	assert_output --partial "/etc/vfio-early.conf:2: vfs=lots: vfs= takes a number of VFs, 1 to 4096"
	assert_output --partial "/etc/vfio-early.conf:3: vfs=5000: vfs= takes a number of VFs, 1 to 4096"
}
