#!/usr/bin/env bats
# A VM takes the card (issue 12).  One boot of the emulated two-GPU host
# (QEMU, TCG unless KVM is proven to work) with initramfs-tools.bats' s1
# image: vfio-early binds card 1 by address on the command line.  The real
# root then runs `lspci -nnk` (the passthrough guides' check) and a nested
# qemu-system-x86_64 (TCG) that takes both functions of card 1 as vfio-pci
# devices and lists them in `info pci`; then `vfio-early --report`.
# See lib/vmtake.bash.

load lib/vmtake

setup_file()
{
	vfe_vmtake_setup
}

setup()
{
	vfe_boot_skip
}

@test "vmtake: the boot bound card 1 with vfio-early, reached its root and ended cleanly" {
	run vfe_reached_root vmtake
	assert_success
	run vfe_expect vmtake early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	assert_success
	run vfe_kmsg vmtake
	assert_line --regexp 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	# the root's first program was guest/vmtake.sh, with both addresses
	run grep -c '^VMTAKE run qemu-system-x86_64 ' "$VFE_OUT/vmtake.result"
	assert_output 1
	run grep '^VMTAKE-ERROR' "$VFE_OUT/vmtake.result"
	assert_output ""
}

@test "vmtake: lspci -nnk in the booted root shows vfio-pci in use on both functions of card 1" {
	run vfe_vmtake_exit LSPCI
	assert_output 0
	run vfe_vmtake_lspci "${VFE_CARD1_VGA#0000:}"
	assert_line --index 0 --regexp "^${VFE_CARD1_VGA#0000:} VGA compatible controller \[0300\]: .*\[1234:1111\]"
	assert_line $'\tKernel driver in use: vfio-pci'
	run vfe_vmtake_lspci "${VFE_CARD1_HDA#0000:}"
	assert_line --index 0 --regexp "^${VFE_CARD1_HDA#0000:} Audio device \[0403\]: .*\[8086:293e\]"
	assert_line $'\tKernel driver in use: vfio-pci'
}

@test "vmtake: card 2 stays with the host: lspci shows its own drivers, not vfio-pci" {
	run vfe_expect vmtake udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel"
	assert_success
	run vfe_vmtake_lspci "${VFE_CARD2_VGA#0000:}"
	assert_line --index 0 --regexp "^${VFE_CARD2_VGA#0000:} .*\[1234:1111\]"
	assert_line $'\tKernel driver in use: bochs-drm'
	refute_line --partial 'vfio-pci'
	run vfe_vmtake_lspci "${VFE_CARD2_HDA#0000:}"
	assert_line --index 0 --regexp "^${VFE_CARD2_HDA#0000:} .*\[8086:293e\]"
	assert_line $'\tKernel driver in use: snd_hda_intel'
	refute_line --partial 'vfio-pci'
}

@test "vmtake: a nested QEMU takes both functions of card 1 through vfio-pci, lists them in info pci and exits 0" {
	run vfe_vmtake_exit INNER
	assert_output 0
	# no complaint about the devices on its stderr
	run grep '^INNER-STDERR' "$VFE_OUT/vmtake.result"
	refute_output --partial 'vfio'
	# -nodefaults: the only 1234:1111 and 8086:293e are the host's card
	run vfe_vmtake_inner_function 5 0
	assert_line --index 0 --regexp 'Bus +0, device +5, function 0:'
	assert_line --regexp '^ +VGA controller: PCI device 1234:1111$'
	run vfe_vmtake_inner_function 5 1
	assert_line --index 0 --regexp 'Bus +0, device +5, function 1:'
	assert_line --regexp '^ +Audio controller: PCI device 8086:293e$'
}

@test "vmtake: vfio-early --report in the booted root: card 1's group ready and viable (checked), kept in the cache" {
	local group
	[ -s "$VFE_OUT/report.txt" ] || fail "no report from the guest's root: $(grep '^REPORT' "$VFE_OUT/vmtake.result")"
	[ -s "$VFE_OUT/report.json" ] || fail "no JSON report from the guest's root"
	run vfe_report_exit vmtake text
	assert_output 0
	run vfe_report_device vmtake "$VFE_CARD1_VGA"
	assert_line --regexp '^      IOMMU group [0-9]+ \(ready\):$'
	group=$(vfe_report_device vmtake "$VFE_CARD1_VGA" | sed -n 's/^      IOMMU group \([0-9]*\) (ready):$/\1/p')
	run vfe_report_section vmtake "Ready for a VM"
	assert_line --regexp "^  0000:01:00(\.[01])? \(IOMMU group $group\)$"
	refute_line --partial '0000:02:00'
	# proven, not inferred: the guest's report opened /dev/vfio/N and read
	# VFIO_GROUP_GET_STATUS (after the nested QEMU had closed it)
	assert_line --regexp "^    /dev/vfio/$group: viable \(checked\)$"
	run jq -r --argjson g "$group" '.groups[] | select(.id == $g) | "\(.vfio.state): \(.vfio.detail)"' \
		"$VFE_OUT/report.json"
	assert_output --regexp '^viable: viable \(checked\)$'
	# the JSON: that group holds both functions of card 1, on vfio-pci
	run jq -r --argjson g "$group" '.groups[] | select(.id == $g)
		| "\(.verdict) \([.members[] | "\(.address)=\(.driver)"] | join(" "))"' "$VFE_OUT/report.json"
	assert_success
	assert_output "ready $VFE_CARD1_VGA=vfio-pci $VFE_CARD1_HDA=vfio-pci"
}

# --- take and release at runtime (issue 19) -----------------------------------

@test "vmtake runtime: take card 2 by hand; the kernel refuses a bus reset for a multi-function card, logged, and the bind goes on" {
	run vfe_vmtake_block RUNTIME
	assert_line "TAKE-CARD2 exit=0"
	assert_line "0000:02:00.0: was bochs-drm, now vfio-pci"
	assert_line "0000:02:00.1: was snd_hda_intel, now vfio-pci"
	assert_line --regexp "^STATE 0000:02:00.0 driver=vfio-pci override=vfio-pci reset_method="
	run vfe_kmsg vmtake
	assert_line --regexp "vfio-early: 0000:02:00.0: the kernel refused reset_method=bus \(Invalid argument: a method this device does not support, or one this kernel does not know\).*the bind goes on$"
	# QEMU's ICH9 HDA has no reset method: the kernel hides the attribute
	assert_line --regexp "vfio-early: 0000:02:00.1: the kernel refused reset_method=bus \(No such file or directory: no such attribute: the device has no reset method at all, or the kernel is older than 5.15\); the bind goes on$"
	assert_line --regexp "vfio-early: 0000:02:00.0 \[1234:1111\] class 030000: bound to vfio-pci \(was bochs-drm\) \(rule take:1 0000:02:00\)$"
}

@test "vmtake runtime: reset_method=bus on the NVMe alone on its bus is written and read back" {
	run vfe_vmtake_block RUNTIME
	assert_line "TAKE-NVME exit=0"
	assert_line "STATE 0000:03:00.0 driver=vfio-pci override=vfio-pci reset_method=bus"
	run vfe_kmsg vmtake
	assert_line --partial 'vfio-early: 0000:03:00.0: reset_method=bus set; reset_method reads "bus"'
	run vfe_vmtake_block RUNTIME
	assert_line "RELEASE-NVME exit=0"
	assert_line "0000:03:00.0: released, now on nvme"
	assert_line --regexp "^STATE 0000:03:00.0 driver=nvme override=\(null\) "
}

@test "vmtake runtime: release gives card 2 back to bochs-drm and snd_hda_intel; a second release does nothing" {
	run vfe_vmtake_block RUNTIME
	assert_line "RELEASE-CARD2 exit=0"
	assert_line "0000:02:00.0: released, now on bochs-drm"
	assert_line "0000:02:00.1: released, now on snd_hda_intel"
	assert_line --regexp "^STATE 0000:02:00.0 driver=bochs-drm override=\(null\) "
	assert_line --regexp "^STATE 0000:02:00.1 driver=snd_hda_intel override=\(null\) "
	assert_line "RELEASE-CARD2-AGAIN exit=0"
	assert_line "0000:02:00.0: not on vfio-pci (bochs-drm): nothing to release"
}

@test "vmtake runtime: release of card 1 is refused while a nested QEMU holds its group" {
	local pid group
	run vfe_vmtake_block RUNTIME
	assert_line --regexp "^HOLDER group=[0-9]+ pid=[0-9]+ waited=[0-9]+$"
	group=$(vfe_vmtake_block RUNTIME | sed -n 's/^HOLDER group=\([0-9]*\) .*/\1/p')
	pid=$(vfe_vmtake_block RUNTIME | sed -n 's/^HOLDER .* pid=\([0-9]*\) .*/\1/p')
	assert_line "RELEASE-HELD exit=4"
	assert_line "0000:01:00.0: not released: qemu-system-x86 (pid $pid) holds /dev/vfio/$group; stop it first"
	assert_line --regexp "^STATE 0000:01:00.0 driver=vfio-pci override=vfio-pci "
}
