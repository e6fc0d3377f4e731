#!/usr/bin/env bats
# vfio-early on machines rebuilt from published listings (lspci, IOMMU
# groups, boot logs; each fixture's header cites its source): the dry run,
# the boot (the driver_override files written), the report and the import,
# with the config the owner of that machine would write.  What issue 12
# calls wrong is asserted, corrected, in realhw-pending.bats.off.

bats_require_minimum_version 1.5.0

load realhw

# ---- APU-only laptop: Cezanne, the whole APU slot in IOMMU group 5 ----

@test "14ACN6 APU laptop, dry run: ids 1002:1638 names the graphics and its audio, not the PSP, USB or host audio" {
	configured apu-cezanne-14acn6 "ids 1002:1638"
	ve_dry
	assert_equal "$status" 4
	assert_line --partial "0000:04:00.0 [1002:1638] class 030000: refused: is the boot VGA device"
	assert_line --partial "0000:04:00.1 [1002:1637] class 040300: refused:"
	for f in 2 3 4 5 6; do
		refute_line --partial "0000:04:00.$f "
	done
	assert_line "summary (dry run): 0 to bind, 2 refused, 0 rule errors (exit 4)"
}

@test "14ACN6 APU laptop, boot: address rules take exactly the graphics and its HDMI audio" {
	configured apu-cezanne-14acn6 "address 04:00.0 04:00.1 allow-boot-vga"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:04:00.0 0000:04:00.1"
	assert_writes_only_allowed "$before"
	run kmsg
	assert_line --partial "0000:04:00.0 [1002:1638] class 030000: driver_override set to vfio-pci (was amdgpu; test root, not probed)"
}

@test "14ACN6 APU laptop, boot: ids 1002:1638 allow-boot-vga writes two overrides, the host keeps PSP, USB, ACP and HD audio" {
	configured apu-cezanne-14acn6 "ids 1002:1638 allow-boot-vga"
	ve --yes
	assert_equal "$(overridden)" "0000:04:00.0 0000:04:00.1"
}

@test "14ACN6 APU laptop, report: group 5 also holds the PSP, USB and the host's audio" {
	configured apu-cezanne-14acn6 "address 04:00.0 04:00.1 allow-boot-vga"
	ve_report
	assert_equal "$status" 65
	assert_line "      IOMMU group 5 (partial):"
	assert_line "        0000:04:00.2 [1022:15df] device, ccp"
	assert_line "        0000:04:00.6 [1022:15e3] Audio device, snd_hda_intel"
	assert_line --partial "[blocking] IOMMU group 5 is not usable for a VM: it also holds 0000:04:00.2 (ccp), 0000:04:00.3 (xhci_hcd), 0000:04:00.4 (xhci_hcd), 0000:04:00.5 (snd_rn_pci_acp3x), 0000:04:00.6 (snd_hda_intel)"
	run section "Ready for a VM"
	assert_line "  none: no selected card can go to a VM (see Problems and fixes)"
}

@test "14ACN6 APU laptop, report: the 1022 functions stay with the host and make group 5 partial" {
	configured apu-cezanne-14acn6 "ids 1002:1638 allow-boot-vga"
	ve_report
	# Listed as a slot sibling or not at all, never handed over.
	run device_report 0000:04:00.2
	refute_line --partial "next boot: vfio-pci"
	run section "Problems and fixes"
	assert_line --partial "[blocking] IOMMU group 5 is not usable for a VM: it also holds 0000:04:00.2 (ccp), 0000:04:00.3 (xhci_hcd), 0000:04:00.4 (xhci_hcd), 0000:04:00.5 (snd_rn_pci_acp3x), 0000:04:00.6 (snd_hda_intel)"
}

@test "14ACN6 APU laptop, import: vfio-pci.ids on the command line becomes an ids rule" {
	real_root apu-cezanne-14acn6
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=1002:1638,1002:1637"
	ve_import
	assert_success
	assert_line "ids 1002:1638 1002:1637 allow-boot-vga"
	assert_line "# from /proc/cmdline: vfio-pci.ids=1002:1638,1002:1637"
	assert_line --partial "#   0000:04:00.0 [1002:1638] class 030000, driver amdgpu, IOMMU group 5"
	assert_line "#     the boot display: the rule says allow-boot-vga, so the host"
}

@test "14ACN6 APU laptop, import: the ids select the graphics and its HDMI audio only" {
	real_root apu-cezanne-14acn6
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=1002:1638,1002:1637"
	ve_import
	assert_success
	for f in 2 3 4 5 6; do
		refute_line --partial "#   0000:04:00.$f "
	done
}

# ---- APU-only Proxmox mini PC: Hawk Point, one IOMMU group per function ----

@test "UM890 Pro, dry run with the owner's modprobe.d: the 780M is the boot VGA and is refused" {
	real_root apu-hawkpoint-um890
	ve_dry
	assert_equal "$status" 4
	assert_line --partial "0000:c5:00.0 [1002:1900] class 030000: refused: is the boot VGA device (the host console); allow it with allow-boot-vga in the rule or vfio_early.allow_boot_vga=1 (rule modprobe.d: options vfio-pci ids 1002:1900)"
	assert_line --partial "0000:c5:00.1 [1002:1640] class 040300: refused: 0000:c5:00.0, another function of this card, is refused"
	assert_equal "$(would_bind)" ""
}

@test "UM890 Pro, boot with address rules: graphics and HDMI audio, the host keeps PSP, USB and audio" {
	configured apu-hawkpoint-um890 "address c5:00.0 c5:00.1 allow-boot-vga"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:c5:00.0 0000:c5:00.1"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/amdgpu/unbind")" "0000:c5:00.0"
	assert_writes_only_allowed "$before"
}

@test "UM890 Pro, boot: ids 1002:1900 allow-boot-vga takes c5:00.0 and c5:00.1 only" {
	configured apu-hawkpoint-um890 "ids 1002:1900 allow-boot-vga"
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:c5:00.0 0000:c5:00.1"
}

@test "UM890 Pro, report with the modprobe.d recipe: the boot VGA refusal names its fix" {
	real_root apu-hawkpoint-um890
	ve_report
	assert_equal "$status" 65
	assert_line "  active: AMD-Vi (ivhd0)"
	assert_line --partial "[blocking] 0000:c5:00.0 is selected but will be refused: is the boot VGA device"
	assert_line --partial "fix: if this GPU should leave the host's console, add allow-boot-vga to its rule"
	run section "Boot chain"
	assert_line "    /etc/modprobe.d/vfio.conf:1: options vfio-pci ids=1002:1900,1002:1640 [unnecessary with vfio-early]"
	assert_line "    /etc/modprobe.d/vfio.conf:3: softdep amdgpu pre: vfio-pci [unnecessary with vfio-early]"
}

@test "UM890 Pro, report: the snippets pass the graphics and its audio, not the PSP or USB" {
	configured apu-hawkpoint-um890 "ids 1002:1900 allow-boot-vga"
	ve_report
	run section "For a VM after the next boot (pending)"
	assert_line --partial "function='0x0'"
	assert_line --partial "function='0x1'"
	for f in 2 3 4 5 6; do
		refute_line --partial "bus='0xc5' slot='0x00' function='0x$f'"
	done
	# A whole-slot hostpci line would hand the PSP and USB to the VM too.
	refute_line --partial "-hostpci0 0000:c5:00,"
}

@test "UM890 Pro, report: each 'Ready for a VM' heading covers its own group's hostdev lines" {
	configured apu-hawkpoint-um890 "address c5:00.0 c5:00.1 allow-boot-vga"
	ve_report
	ready_headings_match_groups
}

@test "UM890 Pro, report: a group whose only selected device is refused does not 'also hold' it" {
	real_root apu-hawkpoint-um890
	ve_report
	run section "Problems and fixes"
	refute_line --partial "IOMMU group 19 is not usable for a VM: it also holds 0000:c5:00.0"
	refute_line --partial 'add the line "address 0000:c5:00.0"'
}

@test "UM890 Pro, report: amd_iommu=on is not both kept and removable" {
	real_root apu-hawkpoint-um890
	ve_report
	if grep -qF "amd_iommu=on [keep]" <<< "$REPORT" &&
		grep -qF "amd_iommu=on can be removed" <<< "$REPORT"; then
		fail "amd_iommu=on is marked [keep] and 'can be removed' in one report"
	fi
}

@test "UM890 Pro, import: the owner's vfio.conf becomes one ids rule, every line explained" {
	real_root apu-hawkpoint-um890
	before=$(snapshot)
	ve_import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 1002:1900 1002:1640 allow-boot-vga"
	drop=$(import_section Unnecessary)
	for l in "1: options vfio-pci ids=1002:1900,1002:1640" "2: softdep radeon pre: vfio-pci" \
		"3: softdep amdgpu pre: vfio-pci" "4: softdep snd_hda_intel pre: vfio-pci"; do
		grep -qxF "# /etc/modprobe.d/vfio.conf:$l" <<< "$drop" || fail "not listed as unnecessary: $l"
	done
	assert_equal "$(snapshot)" "$before"
}

@test "UM890 Pro, import: the owner's ids select the graphics and its audio only" {
	real_root apu-hawkpoint-um890
	ve_import
	assert_success
	assert_line --partial "#   0000:c5:00.0 [1002:1900]"
	assert_line --partial "#   0000:c5:00.1 [1002:1640]"
	for f in 2 3 4 5 6; do
		refute_line --partial "#   0000:c5:00.$f "
	done
}

# ---- Phoenix APU + RTX 4060 laptop: the dGPU alone in its group ----

@test "Legion 16APH8, dry run: ids 10de:28e0 takes the RTX 4060 and its audio, nothing of the APU" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:01:00.0 0000:01:00.1"
	assert_line --partial "0000:01:00.1 [10de:22be] class 040300: would bind to vfio-pci (now snd_hda_intel) (rule /etc/vfio-early.conf:1, function of 0000:01:00.0)"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "Legion 16APH8, boot: only the dGPU's functions get driver_override" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:01:00.0 0000:01:00.1"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/nouveau/unbind")" "0000:01:00.0"
	assert_writes_only_allowed "$before"
}

@test "Legion 16APH8, boot: ids of the Phoenix iGPU take its graphics and audio, not group 4's other functions" {
	configured apu-phoenix-rtx4060 "ids 1002:15bf allow-boot-vga"
	ve --yes
	assert_equal "$(overridden)" "0000:05:00.0 0000:05:00.1"
}

@test "Legion 16APH8, report: group 2 is pending (ready after a reboot), with its Proxmox and libvirt lines" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	ve_report
	assert_line "      IOMMU group 2 (pending):"
	run section "For a VM after the next boot (pending)"
	assert_line "  0000:01:00 (IOMMU group 2)"
	assert_line --partial "Proxmox: qm set VMID -hostpci0 0000:01:00,pcie=1"
	assert_line --partial "bus='0x01' slot='0x00' function='0x1'"
	refute_line --partial "bus='0x05'"
	ready_headings_match_groups
}

@test "Legion 16APH8, report --json: the hostpci and hostdev snippets of the card" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --json
	assert_output --partial "hostpci"
	assert_output --partial "<hostdev mode='subsystem' type='pci' managed='yes'>"
}

@test "Legion 16APH8, report: the Proxmox resource mapping of the card" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	ve_report
	run section "For a VM after the next boot (pending)"
	assert_line --partial "pvesh create /cluster/mapping/pci"
	assert_line --partial "id=10de:28e0"
	assert_line --partial "iommugroup=2"
	assert_line --partial "mapping="
}

@test "Legion 16APH8, import: vfio-pci.ids of the dGPU select its two functions only" {
	real_root apu-phoenix-rtx4060
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=10de:28e0,10de:22be"
	ve_import
	assert_success
	assert_line "ids 10de:28e0 10de:22be"
	assert_line --partial "#   0000:01:00.0 [10de:28e0] class 030000, driver nouveau, IOMMU group 2"
	assert_line --partial "#   0000:01:00.1 [10de:22be] class 040300, driver snd_hda_intel, IOMMU group 2"
	refute_line --partial "#   0000:05:00"
}

@test "Legion 16APH8 with a built-in vfio stack: the dry run reports no missing module" {
	configured apu-phoenix-rtx4060 "ids 10de:28e0"
	fake_builtin_modules
	ve_dry
	assert_success
	if grep -qF "module file missing" <<< "$stderr"; then
		fail "dry run says the module is missing, the report says built in: $stderr"
	fi
	ve_report
	run section "Boot chain"
	assert_line --partial "vfio-pci (built in)"
}

# ---- Intel Arc A770: GPU 03:00.0 and audio 04:00.0 below the card's switch ----

@test "Arc A770, dry run: ids 8086:56a0 brings the HDMI audio at 04:00.0 along" {
	configured arc-a770 "ids 8086:56a0"
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:03:00.0 0000:04:00.0"
	for p in 0000:01:00.0 0000:02:01.0 0000:02:04.0; do
		refute_line --partial "$p "
	done
}

@test "Arc A770, boot with the guide's modprobe.d ids: GPU and audio, the host's iGPU untouched" {
	real_root arc-a770
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:03:00.0 0000:04:00.0"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/i915/unbind")" "0000:03:00.0"
	assert_writes_only_allowed "$before"
}

@test "Arc A770, boot: overrides on the GPU and its audio below the switch" {
	configured arc-a770 "ids 8086:56a0"
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:03:00.0 0000:04:00.0"
}

@test "Arc A770, report: the 16 GiB BAR and the group below the switch" {
	real_root arc-a770
	ve_report
	run device_report 0000:03:00.0
	assert_line --partial "BAR2 16 GiB prefetchable (large BAR: Resizable BAR is on"
	assert_line "      stable path: 0000:00:01.1/00.0/01.0/00.0"
	assert_line "        0000:04:00.0 [8086:4f90] Audio device, snd_hda_intel, to vfio-pci"
}

@test "Arc A770, report: the audio is shown as part of the card and group 21 is pending" {
	configured arc-a770 "ids 8086:56a0"
	ve_report
	run device_report 0000:03:00.0
	assert_line "      IOMMU group 21 (pending):"
	assert_line "        0000:04:00.0 [8086:4f90] Audio device, snd_hda_intel, to vfio-pci"
	run section "Problems and fixes"
	refute_line --partial "IOMMU group 21 is not usable"
}

@test "Arc A770, import: the guide's ids line" {
	real_root arc-a770
	ve_import
	assert_success
	assert_line "ids 8086:56a0 8086:4f90"
	assert_line --partial "#   0000:04:00.0 [8086:4f90] class 040300, driver snd_hda_intel, IOMMU group 21"
}

@test "Arc A770, import: blacklist i915 and blacklist xe are explained, they match the card" {
	real_root arc-a770
	ve_import
	assert_success
	assert_output --partial "/etc/modprobe.d/blacklist-arc.conf:1: blacklist i915"
	assert_output --partial "/etc/modprobe.d/blacklist-arc.conf:2: blacklist xe"
}

@test "Arc A770, report: the Boot chain lists the i915 and xe blacklists" {
	real_root arc-a770
	ve_report
	run section "Boot chain"
	assert_line --partial "/etc/modprobe.d/blacklist-arc.conf:1: blacklist i915"
	assert_line --partial "/etc/modprobe.d/blacklist-arc.conf:2: blacklist xe"
}

# ---- Optimus laptop: a 3D controller (class 0302) and the Intel iGPU ----

@test "GTX 765M Optimus, dry run: the 3D controller and its audio, the iGPU stays" {
	configured optimus-gtx765m "ids 10de:11e1"
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:01:00.0 0000:01:00.1"
	assert_line --partial "0000:01:00.0 [10de:11e1] class 030200: would bind to vfio-pci (now nouveau)"
}

@test "GTX 765M Optimus, boot: overrides on 01:00.0 and 01:00.1 only" {
	configured optimus-gtx765m "ids 10de:11e1"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:01:00.0 0000:01:00.1"
	assert_equal "$(override 0000:00:02.0)" "(null)"
	assert_writes_only_allowed "$before"
}

@test "GTX 765M Optimus, report: a 3D controller among the GPUs, group 1 pending with its root port" {
	configured optimus-gtx765m "ids 10de:11e1"
	ve_report
	assert_line "  0000:01:00.0 3D controller [0302]: Device [10de:11e1]"
	run device_report 0000:01:00.0
	assert_line "      IOMMU group 1 (pending):"
	assert_line "        0000:00:01.0 [8086:0c01] PCI bridge, pcieport"
}

@test "GTX 765M Optimus, import: vfio-pci.ids of the 3D controller" {
	real_root optimus-gtx765m
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=10de:11e1,10de:0e0b"
	ve_import
	assert_success
	assert_line "ids 10de:11e1 10de:0e0b"
	assert_line --partial "#   0000:01:00.0 [10de:11e1] class 030200, driver nouveau, IOMMU group 1"
	keep=$(import_section Keep)
	grep -qxF "# /proc/cmdline: intel_iommu=on" <<< "$keep"
}

# ---- Threadripper: two root complexes (pci0000:00, pci0000:40), two NUMA nodes ----

@test "Threadripper, dry run: a path on the second root complex picks the card on die 1" {
	configured threadripper-x399 "path 40:03.1/00 expect=10de:1b06"
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:42:00.0 0000:42:00.1"
}

@test "Threadripper, boot: the card on die 1 goes, the identical boot card on die 0 stays" {
	configured threadripper-x399 "path 40:03.1/00 expect=10de:1b06"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:42:00.0 0000:42:00.1"
	assert_writes_only_allowed "$before"
}

@test "Threadripper, report: each card's NUMA node and stable path from its own host bridge" {
	configured threadripper-x399 "path 40:03.1/00 expect=10de:1b06"
	ve_report
	run device_report 0000:42:00.0
	assert_line --partial "driver nvidia, override none, boot VGA no, NUMA node 1"
	assert_line "      stable path: 0000:40:03.1/00.0"
	assert_line "      IOMMU group 27 (pending):"
	run device_report 0000:09:00.0
	assert_line --partial "boot VGA yes, NUMA node 0"
	run section "For a VM after the next boot (pending)"
	assert_line "  0000:42:00 (IOMMU group 27)"
}

@test "Threadripper, import: two identical cards, one rule per card offered" {
	real_root threadripper-x399
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci ids=10de:1b06,10de:10ef" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_line "ids 10de:1b06 10de:10ef allow-boot-vga"
	assert_line "# Two or more identical cards match: an ids rule takes every one of them."
	assert_line "#     path 00:03.1/00 expect=10de:1b06 allow-boot-vga"
	assert_line "#     path 40:03.1/00 expect=10de:1b06"
}

@test "Threadripper, import: the identical-cards block lists the two GTX 1080 Ti, not the NIC or the USB controller" {
	real_root threadripper-x399
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci ids=10de:1b06,10de:10ef,1d6a:d107,1022:145c" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	block=$(sed -n '/^# Two or more identical cards match/,/^$/p' <<< "$output")
	grep -qF "#   card 1, 0000:09:00.0 [10de:1b06]:" <<< "$block" || fail "card 1 is not 09:00.0: $block"
	grep -qF "#   card 2, 0000:42:00.0 [10de:1b06]:" <<< "$block" || fail "card 2 is not 42:00.0: $block"
	! grep -qF "card 3" <<< "$block" || fail "a third 'identical' card: $block"
	! grep -qF "0000:06:00.0" <<< "$block" || fail "the NIC is listed as an identical card"
}

# ---- ConnectX-4 Lx with VFs, all in one group with the PFs (no ACS) ----

@test "ConnectX-4 Lx, dry run: ids of the VF take the four VFs, never a PF" {
	configured cx4lx-vfs-c246 "ids 15b3:1016 allow-network"
	ve_dry
	# A group no VM can use: blocking, as --report says (exit 4, not 0).
	assert_equal "$status" 4
	assert_equal "$(would_bind)" "0000:01:00.2 0000:01:00.3 0000:01:00.4 0000:01:00.5"
	grep -qF "error: IOMMU group 1 is not usable for a VM: it also holds 0000:01:00.0 [15b3:1015]" <<< "$stderr"
}

@test "ConnectX-4 Lx, dry run: an ids rule without allow-network takes no NIC" {
	configured cx4lx-vfs-c246 "ids 15b3:1016"
	ve_dry
	assert_equal "$status" 4
	assert_equal "$(would_bind)" ""
	assert_line --partial "0000:01:00.2 [15b3:1016] class 020000: refused: is a network controller; a rule that names it by address, or allow-network, is needed"
}

@test "ConnectX-4 Lx, boot: driver_override on the VFs, the PFs keep mlx5_core" {
	configured cx4lx-vfs-c246 "ids 15b3:1016 allow-network"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:01:00.2 0000:01:00.3 0000:01:00.4 0000:01:00.5"
	assert_equal "$(override 0000:01:00.0)" "(null)"
	assert_writes_only_allowed "$before"
}

@test "ConnectX-4 Lx, report: group 1 holds both PFs and is not usable" {
	configured cx4lx-vfs-c246 "ids 15b3:1016 allow-network"
	ve_report
	assert_equal "$status" 65
	assert_line --partial "[blocking] IOMMU group 1 is not usable for a VM: it holds the VF's own PF 0000:01:00.0 (mlx5_core), whose driver creates the VF"
	assert_line --partial "fix: a VF cannot leave this group alone: put the card in a slot whose upstream port has ACS"
	run section "Ready for a VM"
	assert_line "  none: no selected card can go to a VM (see Problems and fixes)"
}

@test "ConnectX-4 Lx, import: vfio-pci.ids of the VF" {
	real_root cx4lx-vfs-c246
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=15b3:1016"
	ve_import
	assert_success
	assert_line "ids 15b3:1016 allow-network"
	assert_line --partial "#   0000:01:00.2 [15b3:1016] class 020000, driver mlx5_core, IOMMU group 1"
	refute_line --partial "#   0000:01:00.0 "
}

@test "ConnectX-4 Lx, report: no 'next boot: vfio-pci' promised for a VF" {
	configured cx4lx-vfs-c246 "ids 15b3:1016 allow-network"
	ve_report
	run device_report 0000:01:00.2
	refute_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:1 15b3:1016)"
}

@test "ConnectX-4 Lx, report: the fix for the VFs' group never says to bind the PFs" {
	configured cx4lx-vfs-c246 "ids 15b3:1016 allow-network"
	ve_report
	run section "Problems and fixes"
	refute_line --partial 'add the line "address 0000:01:00.0 0000:01:00.1"'
	refute_line --partial "whole-group"
}

# ---- PC Engines apu2: every NIC and the miniPCIe slot in IOMMU group 1 ----

@test "apu2, dry run: the Wi-Fi card by address, alone" {
	configured apu2-one-group "address 04:00.0"
	ve_dry
	# A group no VM can use: blocking, as --report says (exit 4, not 0).
	assert_equal "$status" 4
	assert_equal "$(would_bind)" "0000:04:00.0"
	grep -qF "error: IOMMU group 1 is not usable for a VM: it also holds 0000:01:00.0 [8086:157b] class 020000 (driver igb)" <<< "$stderr"
}

@test "apu2, boot: driver_override on 04:00.0, the i210s keep igb" {
	configured apu2-one-group "address 04:00.0"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:04:00.0"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/ath10k_pci/unbind")" "0000:04:00.0"
	assert_writes_only_allowed "$before"
}

@test "apu2, report: group 1 also holds the three i210 NICs" {
	configured apu2-one-group "address 04:00.0"
	ve_report
	assert_equal "$status" 65
	assert_line --partial "[blocking] IOMMU group 1 is not usable for a VM: it also holds 0000:01:00.0 (igb), 0000:02:00.0 (igb), 0000:03:00.0 (igb)"
	run section "Ready for a VM"
	assert_line "  none: no selected card can go to a VM (see Problems and fixes)"
}

@test "apu2, import: vfio-pci.ids of the Wi-Fi card" {
	real_root apu2-one-group
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=168c:003c"
	ve_import
	assert_success
	assert_line "ids 168c:003c allow-network"
	assert_line --partial "#   0000:04:00.0 [168c:003c] class 028000, driver ath10k_pci, IOMMU group 1"
}

# ---- Proxmox N100: no IOMMU option on the command line ----

@test "N100 without IOMMU options, dry run: nothing can be bound, and it says why" {
	configured pve-n100-no-iommu-opts "address 03:00.0 04:00.0"
	ve_dry
	assert_equal "$status" 4
	assert_equal "$(would_bind)" ""
	assert_line --partial "0000:03:00.0 [8086:125c] class 020000: refused: no IOMMU is active"
	grep -qF "VT-d is enabled in the firmware (DMAR table): add intel_iommu=on to the kernel command line" <<< "$stderr"
}

@test "N100 without IOMMU options, boot: not one file written" {
	configured pve-n100-no-iommu-opts "address 03:00.0 04:00.0"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
}

@test "N100 without IOMMU options, report: not active, the GRUB fix named" {
	configured pve-n100-no-iommu-opts "address 03:00.0 04:00.0"
	ve_report
	assert_output --partial "none of /etc/default/grub, /etc/kernel/cmdline or kernelstub is here"
	refute_output --partial "update-grub"
	# A GRUB host: the fix names GRUB's file and command.
	mkdir -p "$ROOT/etc/default"
	echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' > "$ROOT/etc/default/grub"
	ve_report
	run section IOMMU
	assert_line "  not active: no IOMMU groups in /sys/kernel/iommu_groups"
	assert_line "  kernel command line: no IOMMU options (defaults)"
	run section "Problems and fixes"
	assert_line --partial "[blocking] no IOMMU is active: nothing can be passed through"
	assert_line --partial "add intel_iommu=on to the kernel command line (edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run update-grub)"
}

@test "N100 with the IOMMU on by default (no option): the spare NICs are bound, no intel_iommu advice" {
	make_root pve-n100-no-iommu-opts "iommu on"
	set_config "address 03:00.0 04:00.0"
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:03:00.0 0000:04:00.0"
	ve_report
	assert_line "  active: Intel VT-d (dmar0)"
	assert_line "  kernel command line: no IOMMU options (defaults)"
	refute_output --partial "add intel_iommu=on"
	run section "For a VM after the next boot (pending)"
	assert_line "  0000:03:00 (IOMMU group 15)"
}

@test "N100 booted through proxmox-boot-tool, report: the IOMMU fix names /etc/kernel/cmdline, not GRUB" {
	make_root pve-n100-no-iommu-opts \
		"file etc/kernel/proxmox-boot-uuids 4B2A-91C3
file etc/kernel/cmdline root=ZFS=rpool/ROOT/pve-1 boot=zfs"
	set_cmdline 'initrd=\EFI\proxmox\6.5.13-5-pve\initrd.img-6.5.13-5-pve root=ZFS=rpool/ROOT/pve-1 boot=zfs'
	set_config "address 03:00.0 04:00.0"
	ve_report
	run section "Problems and fixes"
	assert_line --partial "/etc/kernel/cmdline"
	assert_line --partial "proxmox-boot-tool refresh"
	refute_line --partial "GRUB_CMDLINE_LINUX_DEFAULT"
}

@test "N100 without IOMMU options, import: the iGPU's ids from modprobe.d" {
	real_root pve-n100-no-iommu-opts
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci ids=8086:46d1" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_line "ids 8086:46d1 allow-boot-vga"
	assert_line "#     the boot display: the rule says allow-boot-vga, so the host"
}

@test "N100 without IOMMU options, import: blacklist i915 is named; it matches the selected iGPU" {
	real_root pve-n100-no-iommu-opts
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%s\n' "options vfio-pci ids=8086:46d1" "blacklist i915" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_output --partial "/etc/modprobe.d/vfio.conf:2: blacklist i915"
}

# ---- Turing GTX 1660 as the boot display: four functions, iGPU class 0380 ----

@test "GTX 1660, dry run with the owner's vfio-pci.ids: the card is the boot VGA and is refused" {
	real_root turing-1660-skylake
	ve_dry
	assert_equal "$status" 4
	assert_line --partial "0000:01:00.0 [10de:2184] class 030000: refused: is the boot VGA device (the host console)"
	assert_line "summary (dry run): 0 to bind, 4 refused, 0 rule errors (exit 4)"
}

@test "GTX 1660, boot with allow-boot-vga: all four functions, VGA, audio, USB and UCSI" {
	configured turing-1660-skylake "ids 10de:2184 allow-boot-vga"
	drop_cmdline_ids
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:01:00.0 0000:01:00.1 0000:01:00.2 0000:01:00.3"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/nvidia-gpu/unbind")" "0000:01:00.3"
	assert_writes_only_allowed "$before"
}

@test "GTX 1660, report: the iGPU is a display controller, group 2 pending" {
	configured turing-1660-skylake "ids 10de:2184 allow-boot-vga"
	drop_cmdline_ids
	ve_report
	assert_line "  0000:00:02.0 Display controller [0380]: Device [8086:1912]"
	run device_report 0000:01:00.0
	assert_line "      IOMMU group 2 (pending):"
	assert_line "        0000:01:00.3 [10de:1aed] Serial bus controller, nvidia-gpu, to vfio-pci"
}

@test "GTX 1660, import: one id on the command line, the rule still takes all four functions" {
	real_root turing-1660-skylake
	ve_import
	assert_success
	assert_line "ids 10de:2184 allow-boot-vga"
	assert_line --partial "#   0000:01:00.2 [10de:1aec] class 0c0330, driver xhci_hcd, IOMMU group 2 (function of 0000:01:00.0)"
	assert_line --partial "#   0000:01:00.3 [10de:1aed] class 0c8000, driver nvidia-gpu, IOMMU group 2 (function of 0000:01:00.0)"
}

# ---- GTX 1660 SUPER for the VM, GTX 1050 Ti for the host ----

@test "1660 SUPER + 1050 Ti, dry run with the helper's old ids: the whole Turing card" {
	real_root dual-tu116-gp107
	ve_dry
	assert_success
	assert_equal "$(would_bind)" "0000:0a:00.0 0000:0a:00.1 0000:0a:00.2 0000:0a:00.3"
}

@test "1660 SUPER + 1050 Ti, boot: group 16 to vfio-pci, group 17 stays" {
	real_root dual-tu116-gp107
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(overridden)" "0000:0a:00.0 0000:0a:00.1 0000:0a:00.2 0000:0a:00.3"
	assert_equal "$(override 0000:0b:00.0)" "(null)"
	assert_writes_only_allowed "$before"
}

@test "1660 SUPER + 1050 Ti, report: group 16 pending, the host's card not selected" {
	real_root dual-tu116-gp107
	ve_report
	run device_report 0000:0a:00.0
	assert_line "      IOMMU group 16 (pending):"
	run device_report 0000:0b:00.0
	assert_line "      next boot: stays with the host (no rule selects it)"
	run section "For a VM after the next boot (pending)"
	assert_line --partial "Proxmox: qm set VMID -hostpci0 0000:0a:00,pcie=1"
}

@test "1660 SUPER + 1050 Ti, import: the two old ids, and the USB and UCSI functions come along" {
	real_root dual-tu116-gp107
	ve_import
	assert_success
	assert_line "ids 10de:21c4 10de:1aeb"
	assert_line --partial "#   0000:0a:00.2 [10de:1aec] class 0c0330, driver xhci_hcd, IOMMU group 16 (function of 0000:0a:00.0)"
	refute_line --partial "#   0000:0b:00"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --config "$CONF" --dry-run
	assert_line "summary (dry run): 4 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "GTX 765M Optimus, report: no x-vga hint for a 3D controller without outputs" {
	configured optimus-gtx765m "ids 10de:11e1"
	ve_report
	run section "For a VM after the next boot (pending)"
	assert_line --partial "Proxmox: qm set VMID -hostpci0 0000:01:00,pcie=1"
	refute_line --partial "x-vga=1"
}

@test "apu2, import: the printed config binds the Wi-Fi card once the old recipe is gone" {
	real_root apu2-one-group
	set_cmdline "$(cat "$ROOT/proc/cmdline") vfio-pci.ids=168c:003c"
	ve_import
	assert_success
	assert_line "# 0000:04:00.0 [168c:003c] is a network controller: the old recipe passed it, so the rule allows it"
	assert_line "ids 168c:003c allow-network"
	drop_cmdline_ids
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --config "$CONF" --dry-run
	assert_line --partial "0000:04:00.0 [168c:003c] class 028000: would bind to vfio-pci"
}
