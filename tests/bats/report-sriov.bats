#!/usr/bin/env bats
# vfio-early --report on SR-IOV (issue 19, item 4): the PFs, their VFs and
# who holds each, what a vfs=N rule comes to, and the problems of each.
# The host is tests/fixtures/adln-igpu-vfs.spec: an Alder Lake-N iGPU
# (i915-sriov-dkms) with its seven VFs on i915, rebuilt from the lspci -nnk
# of strongtz/i915-sriov-dkms issue 342; the ConnectX-4 Lx host of
# tests/fixtures/cx4lx-vfs-c246.spec (two PFs, VFs in their group) as well.

bats_require_minimum_version 1.5.0
load helper

PF=0000:00:02.0

# igpu [SED-SCRIPT]: $ROOT is the iGPU host, its spec first edited by the script.
igpu() {
	ROOT=$BATS_TEST_TMPDIR/root
	rm -rf "$ROOT"
	sed -e "${1:-}" "$TOP/tests/fixtures/adln-igpu-vfs.spec" > "$BATS_TEST_TMPDIR/spec"
	"$MKFAKESYS" "$BATS_TEST_TMPDIR/spec" "$ROOT"
}

# No VFs enabled yet: the VF lines gone, sriov_numvfs 0.
NO_VFS='/vf-of=/d; s/numvfs=7/numvfs=0/'

report() { run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report "$@"; }

# The lines of the SR-IOV section of the text in $output.
sriov_section() {
	sed -n '/^SR-IOV (physical functions/,/^$/p' <<< "$output"
}

# The problem with CODE in the JSON report in $output, as "severity device: what".
problem() {
	jq -r --arg c "$1" '.problems[] | select(.code == $c) | "\(.severity) \(.device): \(.what)"' <<< "$output"
}

@test "the iGPU with vfs=7 in place: the PF, 7 of 7, each VF with its driver, override, group and fate" {
	igpu
	set_config "address 00:02.0 vfs=7"
	report
	run sriov_section
	assert_line --index 1 "  $PF [8086:46d3] VGA compatible controller, driver i915"
	assert_line --index 2 "      VFs: 7 of 7 enabled (sriov_numvfs of sriov_totalvfs), sriov_drivers_autoprobe 1"
	assert_line --index 3 "      vfs=7 (/etc/vfio-early.conf:1): 7 of 7, in place: vfio-early hands them to vfio-pci"
	assert_line --index 4 "      virtfn0 0000:00:02.1 [8086:46d3]: driver i915, override none, IOMMU group 20; to vfio-pci (vfs=7, /etc/vfio-early.conf:1)"
	assert_line --index 10 "      virtfn6 0000:00:02.7 [8086:46d3]: driver i915, override none, IOMMU group 26; to vfio-pci (vfs=7, /etc/vfio-early.conf:1)"
	[ "${#lines[@]}" -eq 11 ] || fail "${#lines[@]} lines in the section"
	# the rule names one device, and the VFs' own entries say the same as the section
	report
	assert_line "    /etc/vfio-early.conf:1: 00:02.0, 1 device"
	refute_output --partial "matches no device"
	assert_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:1 vfs=7 of its PF; the late pass, once the PF's driver has made it)"
	# seven VFs on i915: one warning naming each
	assert_line --partial "[warning] VFs of $PF that vfs=7 at /etc/vfio-early.conf:1 selects are not on vfio-pci: 0000:00:02.1 (i915), 0000:00:02.2 (i915)"
	assert_line --partial "0000:00:02.7 (i915)"
	assert_line "      fix: run vfio-early --yes to hand them to vfio-pci now (the late pass does so at every boot)"
}

@test "the same as JSON: the sriov key, each VF's driver, group, and the rule that takes it" {
	command -v jq > /dev/null || skip "jq not installed"
	igpu
	set_config "address 00:02.0 vfs=7"
	report --json
	assert_equal "$(jq -c '.sriov[0] | del(.vfs)' <<< "$output")" \
		'{"address":"0000:00:02.0","vendor":"8086","device":"46d3","driver":"i915","iommu_group":0,"sriov_totalvfs":7,"sriov_numvfs":7,"sriov_drivers_autoprobe":true,"to_vfio":false,"vfs_rule":{"origin":"/etc/vfio-early.conf:1","vfs":7},"vfs_state":"in place"}'
	assert_equal "$(jq -c '.sriov[0].vfs[3]' <<< "$output")" \
		'{"index":3,"address":"0000:00:02.4","vendor":"8086","device":"46d3","driver":"i915","driver_override":null,"iommu_group":23,"to_vfio":true,"rule":"/etc/vfio-early.conf:1"}'
	assert_equal "$(jq -r '[.sriov[0].vfs[].index] | join(" ")' <<< "$output")" "0 1 2 3 4 5 6"
	assert_equal "$(jq -c '.devices[] | select(.address == "0000:00:02.5") | .next_boot' <<< "$output")" \
		'{"action":"bind","rule":"/etc/vfio-early.conf:1","via":"vfs","reason":null,"driver":"vfio-pci","variant_module":null}'
	assert_equal "$(jq -r '.config.rules[0].matches' <<< "$output")" 1
	[[ "$(problem vfs-not-on-vfio)" == "warning $PF: VFs of $PF that vfs=7 at /etc/vfio-early.conf:1 selects are not on vfio-pci: 0000:00:02.1 (i915), "* ]]
}

@test "after vfio-early --yes the VFs carry vfio-pci in driver_override, and the report says so" {
	igpu
	set_config "address 00:02.0 vfs=7"
	run "$VFIO_EARLY" --root "$ROOT" --yes
	assert_success
	assert_equal "$(override 0000:00:02.3)" vfio-pci
	assert_equal "$(override $PF)" "(null)"
	report
	run sriov_section
	assert_line "      virtfn2 0000:00:02.3 [8086:46d3]: driver i915, override vfio-pci, IOMMU group 22; to vfio-pci (vfs=7, /etc/vfio-early.conf:1)"
}

@test "no rule: a PF whose VFs exist is shown, each VF staying with the host" {
	igpu
	report
	run sriov_section
	assert_line --index 3 "      no vfs= rule"
	assert_line --index 5 "      virtfn1 0000:00:02.2 [8086:46d3]: driver i915, override none, IOMMU group 21; stays with the host"
	report --json
	assert_equal "$(jq -r '.sriov[0].vfs_state, .sriov[0].vfs_rule, ([.sriov[0].vfs[].to_vfio] | any)' <<< "$output")" \
		"$(printf 'no rule\nnull\nfalse')"
	refute_output --partial '"code":"vfs-'
}

@test "no VFs yet: will create 4 at the next boot, a reboot pending" {
	igpu "$NO_VFS"
	set_config "address 00:02.0 vfs=4"
	report
	run sriov_section
	assert_line --index 2 "      VFs: 0 of 7 enabled (sriov_numvfs of sriov_totalvfs), sriov_drivers_autoprobe 1"
	assert_line --index 3 "      vfs=4 (/etc/vfio-early.conf:1): will create 4 at the next boot (the late pass; vfio-early --yes now)"
	[ "${#lines[@]}" -eq 4 ] || fail "VF lines where there is no VF"
	report --json
	assert_equal "$(jq -r '.sriov[0].vfs_state' <<< "$output")" "to make"
	assert_equal "$(problem vfs-to-make)" "pending $PF: $PF: vfs=4 at /etc/vfio-early.conf:1: the next boot's late pass makes 4 VFs (PF on i915) and hands them to vfio-pci"
}

@test "a count already set, more than the PF offers, a PF without its driver: each blocking" {
	igpu
	set_config "address 00:02.0 vfs=4"
	report --json
	assert_equal "$status" 65
	assert_equal "$(jq -r '.sriov[0].vfs_state' <<< "$output")" "count differs"
	assert_equal "$(problem vfs-count-differs)" "blocking $PF: $PF has 7 VFs, vfs=4 at /etc/vfio-early.conf:1 asks for 4: a count that is set is never changed, so no VF of it goes to vfio-pci"
	assert_equal "$(jq -r '[.sriov[0].vfs[].to_vfio] | any' <<< "$output")" false
	refute_output --partial '"code":"vfs-not-on-vfio"'

	igpu "$NO_VFS"
	set_config "address 00:02.0 vfs=8"
	report --json
	assert_equal "$(jq -r '.sriov[0].vfs_state' <<< "$output")" "over total"
	assert_equal "$(problem vfs-over-total)" "blocking $PF: $PF: vfs=8 at /etc/vfio-early.conf:1: the PF offers 7 VFs (sriov_totalvfs)"

	igpu "$NO_VFS; s/ driver=i915//"
	set_config "address 00:02.0 vfs=2"
	report --json
	assert_equal "$(jq -r '.sriov[0].driver, .sriov[0].vfs_state' <<< "$output")" "$(printf 'null\nno driver')"
	assert_equal "$(problem vfs-pf-no-driver)" "blocking $PF: $PF: vfs=2 at /etc/vfio-early.conf:1: no driver holds the PF, and only its driver can make VFs"
	report
	assert_line "      vfs=2 (/etc/vfio-early.conf:1): no driver holds the PF, so no VF can be made"
}

@test "vfs= on a device without SR-IOV, and on an address with no device" {
	igpu
	set_config "address 00:14.0 vfs=2" "address 05:00.0 vfs=1"
	report --json
	assert_equal "$(problem vfs-not-sriov)" "blocking 0000:00:14.0: 0000:00:14.0: vfs=2 at /etc/vfio-early.conf:1: not an SR-IOV physical function (no sriov_totalvfs)"
	assert_equal "$(jq -r '.config.rules | map(.matches) | join(" ")' <<< "$output")" "1 0"
	jq -e '.problems[] | select(.code == "rule-matches-nothing" and (.what | contains("05:00.0 matches no device")))' <<< "$output" > /dev/null
	# the USB controller is no PF: it is not in the sriov list
	assert_equal "$(jq -r '[.sriov[].address] | join(" ")' <<< "$output")" "$PF"
}

@test "autoprobe off and VFs no driver holds: a note" {
	igpu 's/numvfs=7/numvfs=7 autoprobe=0/; /vf-of=/s/ driver=i915//'
	report
	run sriov_section
	assert_line --index 2 "      VFs: 7 of 7 enabled (sriov_numvfs of sriov_totalvfs), sriov_drivers_autoprobe 0"
	assert_line --index 4 "      virtfn0 0000:00:02.1 [8086:46d3]: driver none, override none, IOMMU group 20; stays with the host"
	report --json
	assert_equal "$(jq -r '.sriov[0].sriov_drivers_autoprobe' <<< "$output")" false
	assert_equal "$(problem vfs-autoprobe-off)" "note $PF: $PF has 7 VFs and sriov_drivers_autoprobe 0: a VF without a driver_override gets no driver"
	# with autoprobe on, nothing to say
	igpu '/vf-of=/s/ driver=i915//'
	report --json
	assert_equal "$(problem vfs-autoprobe-off)" ""
}

@test "a rule that hands the PF itself to vfio-pci while its VFs exist: a warning" {
	igpu
	set_config "address 00:02.0 allow-boot-vga"
	report --json
	assert_equal "$(jq -r '.sriov[0].to_vfio' <<< "$output")" true
	assert_equal "$(problem pf-to-vfio-with-vfs)" "warning $PF: $PF goes to vfio-pci but has 7 VFs: unbinding i915 from it removes them"
	report
	assert_line "      no vfs= rule; the PF itself goes to vfio-pci"
}

@test "a VF named by its own address rule: the plan's word, not the PF's" {
	igpu
	set_config "address 00:02.3"
	report
	run sriov_section
	assert_line "      virtfn2 0000:00:02.3 [8086:46d3]: driver i915, override none, IOMMU group 22; to vfio-pci (rule /etc/vfio-early.conf:1)"
	assert_line "      virtfn3 0000:00:02.4 [8086:46d3]: driver i915, override none, IOMMU group 23; stays with the host"
}

@test "ConnectX-4 Lx: both PFs, each with its two VFs on mlx5_core, in the PFs' group" {
	make_root cx4lx-vfs-c246
	set_config "address 01:00.0 vfs=2"
	report
	run sriov_section
	assert_line --index 1 "  0000:01:00.0 [15b3:1015] Ethernet controller, driver mlx5_core"
	assert_line --index 2 "      VFs: 2 of 8 enabled (sriov_numvfs of sriov_totalvfs), sriov_drivers_autoprobe 1"
	assert_line --index 4 "      virtfn0 0000:01:00.2 [15b3:1016]: driver mlx5_core, override none, IOMMU group 1; to vfio-pci (vfs=2, /etc/vfio-early.conf:1)"
	assert_line --index 6 "  0000:01:00.1 [15b3:1015] Ethernet controller, driver mlx5_core"
	assert_line --index 8 "      no vfs= rule"
	assert_line --index 10 "      virtfn1 0000:01:00.5 [15b3:1016]: driver mlx5_core, override none, IOMMU group 1; stays with the host"
}

@test "--capture carries the PF's sriov attributes and virtfn links: the same sriov key" {
	command -v jq > /dev/null || skip "jq not installed"
	igpu
	set_config "address 00:02.0 vfs=7"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --capture "$BATS_TEST_TMPDIR/cap"
	assert_success
	a=$("$VFIO_EARLY" --root "$ROOT" --report --json 2> /dev/null | jq -S .sriov || true)
	b=$("$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/cap" --report --json 2> /dev/null | jq -S .sriov || true)
	assert_equal "$(jq -r '.[0].vfs | length' <<< "$b")" 7
	assert_equal "$b" "$a"
}

@test "a vfs= rule's VFs pass the boot's safety checks in the report: in their PF's group they block" {
	# The ConnectX-4 Lx: the VFs share IOMMU group 1 with their PFs (no ACS).
	make_root cx4lx-vfs-c246
	set_config "address 0000:01:00.0 vfs=2"
	report
	assert_equal "$status" 65
	assert_line "      IOMMU group 1 (partial):"
	assert_line "  [blocking] IOMMU group 1 is not usable for a VM: it holds the VF's own PF 0000:01:00.0 (mlx5_core), whose driver creates the VF"
	# The SR-IOV section says what the rule makes of them; the generic "a VF
	# does not exist yet at boot" warning is not given for a vfs= rule's VFs.
	refute_output --partial "0000:01:00.2 is a VF on mlx5_core now"
	report --json
	assert_equal "$(jq -c '.devices[] | select(.address == "0000:01:00.2") | .next_boot | [.action, .via]' <<< "$output")" '["bind","vfs"]'
}
