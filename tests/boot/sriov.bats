#!/usr/bin/env bats
# SR-IOV VFs for vfio-pci on a real kernel (issue 19, item 4): the vfs=N
# rule option.  Two boots of the emulated host with an SR-IOV NVMe PF
# (QEMU's nvme, sriov_max_vfs=4, at 05:00.0 behind root port 00:06.0; the
# Linux nvme driver makes VFs through sriov_numvfs), initramfs-tools images
# with the config built in, the root's first program guest/sriov.sh:
#   make     "address 0000:05:00.0 vfs=2": the early pass leaves the VFs to
#            the late pass, which makes 2 and binds them; from the real root
#            the same rule again (nothing to do) and vfs=3 (count kept)
#   refused  "address 0000:05:00.0 vfs=5" (the PF offers 4); from the real
#            root a run without --yes (makes nothing), then the PF taken to
#            vfio-pci and vfs=2: the kernel refuses sriov_numvfs
#   dracut   the make config in a dracut image (late pass: pre-pivot hook)
# See lib/sriov.bash.

load lib/sriov

setup_file()
{
	vfe_sriov_setup
}

setup()
{
	vfe_sriov_skip
}

@test "sriov make: the early pass, before udev, leaves the VFs of the driverless PF to the late pass" {
	run vfe_reached_root make
	assert_success
	run vfe_expect make early "$VFE_SRIOV_PF=none"
	assert_success
	run vfe_expect make udev "$VFE_SRIOV_PF=nvme"
	assert_success
	assert_equal "$(vfe_override make early "$VFE_SRIOV_PF")" "(null)"
	# no VF exists before the late pass
	run awk '$1 == "DEV" && ($2 == "early" || $2 == "udev") && $3 ~ /^0000:05:00\.[1-7]$/' \
		"$VFE_OUT/make.result"
	assert_output ""
	run vfe_kmsg make
	assert_line --regexp "\] vfio-early: $VFE_SRIOV_PF: vfs=2: no driver holds the PF yet; its VFs are made once one does \(the late pass, or vfio-early --yes on the booted host\)$"
	assert_line --regexp '\] vfio-early: summary: 0 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
}

@test "sriov make: the late pass makes 2 VFs with autoprobe off and back; each VF on vfio-pci, the PF on nvme" {
	local made first bound
	run vfe_sriov_pf make boot
	assert_output "driver=nvme numvfs=2 totalvfs=$VFE_SRIOV_TOTAL autoprobe=1 offset=1 stride=1"
	run vfe_sriov_vfs make boot
	assert_equal "${#lines[@]}" 2
	assert_line --regexp '^0 0000:05:00\.1 1b36:0010 driver=vfio-pci override=vfio-pci group=[0-9]+$'
	assert_line --regexp '^1 0000:05:00\.2 1b36:0010 driver=vfio-pci override=vfio-pci group=[0-9]+$'
	# each VF in an IOMMU group of its own
	run vfe_sriov_vfs make boot
	assert_equal "$(printf '%s\n' "${lines[@]}" | sed 's/.* group=//' | sort -u | wc -l)" 2
	run vfe_expect make root "$VFE_SRIOV_PF=nvme" 0000:05:00.1=vfio-pci 0000:05:00.2=vfio-pci
	assert_success
	run vfe_kmsg make
	assert_line --regexp "\] vfio-early: late pass: $VFE_SRIOV_PF: 2 VFs made \(PF on nvme, sriov_drivers_autoprobe back to 1\)$"
	# "was no driver": with autoprobe off, nvme did not take a new VF first
	assert_line --regexp '\] vfio-early: late pass: 0000:05:00\.1 \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early\.conf:1 0000:05:00\.1\)$'
	assert_line --regexp '\] vfio-early: late pass: 0000:05:00\.2 \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early\.conf:1 0000:05:00\.2\)$'
	assert_line --regexp '\] vfio-early: late pass: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	# the kernel's own order: VFs enumerated, then "made", then bound
	first=$(tr -d '\r' <"$VFE_OUT/make.console" | grep -an 'pci 0000:05:00\.1: \[1b36:0010\]' | head -n 1 | cut -d: -f1)
	made=$(tr -d '\r' <"$VFE_OUT/make.console" | grep -an 'late pass: 0000:05:00\.0: 2 VFs made' | cut -d: -f1)
	bound=$(tr -d '\r' <"$VFE_OUT/make.console" | grep -an 'late pass: 0000:05:00\.1 .*bound to vfio-pci' | cut -d: -f1)
	[ -n "$first" ] && [ -n "$made" ] && [ -n "$bound" ] || fail "missing kernel-log lines: VF $first, made $made, bound $bound"
	[ "$first" -lt "$made" ] && [ "$made" -lt "$bound" ] || fail "order: VF at $first, made at $made, bound at $bound"
	# no VF driver probed a VF
	run grep -a 'nvme nvme[0-9]*: pci function 0000:05:00\.[1-7]' "$VFE_OUT/make.console"
	assert_output ""
}

@test "sriov make: the same rule from the real root finds the count right and changes nothing, and says so" {
	run vfe_sriov_run_exit make AGAIN
	assert_output 0
	run vfe_sriov_run make AGAIN
	assert_line "0000:05:00.1: unchanged, already on vfio-pci"
	assert_line "0000:05:00.2: unchanged, already on vfio-pci"
	assert_line "manual run: 0 changed, 0 failed, 0 refused (exit 0); recorded in /run/vfio-early/manual"
	refute_output --partial "VFs made"
	assert_equal "$(vfe_sriov_pf make again)" "$(vfe_sriov_pf make boot)"
	assert_equal "$(vfe_sriov_vfs make again)" "$(vfe_sriov_vfs make boot)"
	run vfe_sriov_kmsg_since make "0000:05:00.1 [1b36:0010] class 010802: already on vfio-pci"
	assert_line --regexp '\] vfio-early: 0000:05:00\.1 \[1b36:0010\] class 010802: already on vfio-pci \(rule /run/vfe-sriov\.conf:1 0000:05:00\.1\)$'
	assert_line --regexp '\] vfio-early: 0000:05:00\.2 \[1b36:0010\] class 010802: already on vfio-pci \(rule /run/vfe-sriov\.conf:1 0000:05:00\.2\)$'
	# one "made" line in the whole boot: the late pass's
	run grep -ac 'VFs made' "$VFE_OUT/make.console"
	assert_output 1
}

@test "sriov make: a rule with another count leaves the PF's 2 VFs as they are" {
	run vfe_sriov_run_exit make OTHER
	assert_output 0
	run vfe_sriov_run make OTHER
	assert_line "manual run: 0 changed, 0 failed, 0 refused (exit 0); recorded in /run/vfio-early/manual"
	assert_equal "$(vfe_sriov_pf make other)" "$(vfe_sriov_pf make boot)"
	assert_equal "$(vfe_sriov_vfs make other)" "$(vfe_sriov_vfs make boot)"
	run vfe_kmsg make
	assert_line --regexp "\] vfio-early: $VFE_SRIOV_PF: vfs=3: the PF has 2 VFs already; a count that is set is not changed \(write 0 to sriov_numvfs first\)$"
}

@test "sriov refused: vfs= above sriov_totalvfs: both passes say what the PF offers, count a rule error, make nothing" {
	run vfe_reached_root refused
	assert_success
	run vfe_sriov_pf refused boot
	assert_output "driver=nvme numvfs=0 totalvfs=$VFE_SRIOV_TOTAL autoprobe=1 offset=1 stride=1"
	run vfe_sriov_vfs refused boot
	assert_output ""
	run vfe_kmsg refused
	assert_line --regexp "\] vfio-early: $VFE_SRIOV_PF: vfs=5: the PF offers 4 VFs \(sriov_totalvfs\)$"
	assert_line --regexp '\] vfio-early: summary: 0 bound, 0 failed, 0 refused, 1 rule error \(exit 2\)$'
	assert_line --regexp "\] vfio-early: late pass: $VFE_SRIOV_PF: vfs=5: the PF offers 4 VFs \(sriov_totalvfs\)$"
	assert_line --regexp '\] vfio-early: late pass: summary: 0 bound, 0 failed, 0 refused, 1 rule error \(exit 2\)$'
}

@test "sriov refused: a run by hand without --yes writes no sriov_numvfs and says why" {
	run vfe_sriov_run_exit refused UNASKED
	assert_output 16
	run vfe_sriov_run refused UNASKED
	assert_line "stderr: vfio-early: $VFE_SRIOV_PF: would make 2 VFs (PF on nvme)"
	assert_line "stderr: vfio-early: this host is booted (its root filesystem is mounted): the VFs of 1 SR-IOV PF (vfs=) are made only with --yes; nothing was changed"
	refute_output --partial "VFs made"
	run vfe_sriov_pf refused unasked
	assert_output "driver=nvme numvfs=0 totalvfs=$VFE_SRIOV_TOTAL autoprobe=1 offset=1 stride=1"
	run vfe_sriov_vfs refused unasked
	assert_output ""
}

@test "sriov refused: with vfio-pci holding the PF the kernel refuses sriov_numvfs: logged with its meaning, a failure, autoprobe back" {
	run vfe_sriov_run_exit refused TAKE
	assert_output 0
	run vfe_sriov_run refused TAKE
	assert_line "$VFE_SRIOV_PF: was nvme, now vfio-pci"
	run vfe_sriov_run_exit refused REFUSED
	assert_output 8
	run vfe_sriov_run refused REFUSED
	assert_line "manual run: 0 changed, 1 failed, 0 refused (exit 8); recorded in /run/vfio-early/manual"
	run vfe_sriov_pf refused refused
	assert_output "driver=vfio-pci numvfs=0 totalvfs=$VFE_SRIOV_TOTAL autoprobe=1 offset=1 stride=1"
	run vfe_sriov_vfs refused refused
	assert_output ""
	run vfe_sriov_kmsg_since refused "vfs=2: the kernel refused"
	# vfio-pci makes VFs only with its enable_sriov option: -ENOENT
	assert_line --index 0 --regexp "\] vfio-early: $VFE_SRIOV_PF: vfs=2: the kernel refused \(No such file or directory: no driver holds the PF, or its driver cannot make VFs through sysfs\)$"
	assert_line --regexp '\] vfio-early: summary: 0 bound, 1 failed, 0 refused, 0 rule errors \(exit 8\)$'
	refute_line --partial "cannot restore sriov_drivers_autoprobe"
}

@test "sriov dracut: the same config in a dracut image: the early pass leaves the VFs, the pre-pivot late pass makes and binds them" {
	run vfe_reached_root dracut
	assert_success
	run vfe_expect dracut early "$VFE_SRIOV_PF=none"
	assert_success
	run vfe_sriov_pf dracut boot
	assert_output "driver=nvme numvfs=2 totalvfs=$VFE_SRIOV_TOTAL autoprobe=1 offset=1 stride=1"
	run vfe_sriov_vfs dracut boot
	assert_equal "${#lines[@]}" 2
	assert_line --regexp '^0 0000:05:00\.1 1b36:0010 driver=vfio-pci override=vfio-pci group=[0-9]+$'
	assert_line --regexp '^1 0000:05:00\.2 1b36:0010 driver=vfio-pci override=vfio-pci group=[0-9]+$'
	run vfe_kmsg dracut
	assert_line --regexp "\] vfio-early: $VFE_SRIOV_PF: vfs=2: no driver holds the PF yet; its VFs are made once one does \(the late pass, or vfio-early --yes on the booted host\)$"
	assert_line --regexp "\] vfio-early: late pass: $VFE_SRIOV_PF: 2 VFs made \(PF on nvme, sriov_drivers_autoprobe back to 1\)$"
	assert_line --regexp '\] vfio-early: late pass: 0000:05:00\.1 \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early\.conf:1 0000:05:00\.1\)$'
	assert_line --regexp '\] vfio-early: late pass: 0000:05:00\.2 \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early\.conf:1 0000:05:00\.2\)$'
	assert_line --regexp '\] vfio-early: late pass: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
}
