#!/usr/bin/env bats
# Hosts with one GPU (issue 19): a UEFI host (OVMF, TCG) whose only display
# is the card a VM gets for good, as on a headless LLM server.  Four boots
# (lib/singlegpu.bash): the card refused as the boot display without
# allow-boot-vga; taken with allow-boot-vga in the rule and
# initcall_blacklist=sysfb_init, then mapped by a nested QEMU; taken with
# vfio_early.allow_boot_vga=1 and no sysfb fix; and a dry run that leaves
# the firmware's framebuffer in place for `vfio-early --report`.

load lib/singlegpu

setup_file()
{
	vfe_sg_setup
}

setup()
{
	vfe_boot_skip
}

@test "singlegpu: OVMF boots the kernel; the card at 01:00 is the boot VGA and the only display; the base list follows the root disk" {
	local n
	for n in refuse allow nofix dryrun; do
		run vfe_reached_root "$n"
		assert_success
		run grep '^SINGLEGPU-ERROR' "$VFE_OUT/$n.result"
		assert_output ""
	done
	run vfe_sg_dmesg refuse
	assert_line --regexp '^efi: EFI v[0-9.]+ by EDK II$'
	assert_line "pci $VFE_SG_VGA: vgaarb: setting as boot VGA device"
	run vfe_sg_func refuse "$VFE_SG_VGA"
	assert_output --regexp " boot_vga=1$"
	# no other display controller anywhere (no boot VGA at 00:01.0)
	run awk '$1 == "DEV" && $2 == "root" && $5 ~ /^03/ { print $3, $4 }' "$VFE_OUT/refuse.result"
	assert_output "$VFE_SG_VGA 1234:1111"
	# OVMF's bus numbers, as pinned in lib/singlegpu.bash
	run vfe_sg_lspci refuse "${VFE_SG_VGA#0000:}"
	assert_line --index 0 --regexp "^${VFE_SG_VGA#0000:} VGA compatible controller \[0300\]: .*\[1234:1111\]"
	run vfe_sg_lspci refuse "${VFE_SG_HDA#0000:}"
	assert_line --index 0 --regexp "^${VFE_SG_HDA#0000:} Audio device \[0403\]: .*\[8086:293e\]"
	run vfe_sg_lspci refuse "${VFE_SG_ROOTDISK#0000:}"
	assert_line --index 0 --regexp "^${VFE_SG_ROOTDISK#0000:} .*\[1af4:1042\]"
	# the list recorded under SeaBIOS (root disk 04:00.0) finds it by path
	run vfe_kmsg refuse
	assert_line --partial "vfio-early: 0000:04:00.0 moved to $VFE_SG_ROOTDISK since the image was built (0000:00:05.0/00.0), still recorded"
	assert_line --partial "vfio-early: protected list verified: 1 device (machine $VFE_MACHINE_UUID)"
}

@test "singlegpu refuse: without allow-boot-vga the card is refused as the boot display, logged; its VGA function stays with bochs-drm" {
	run vfe_sg_dmesg refuse
	assert_line "vfio-early: $VFE_SG_VGA [1234:1111] class 030000: refused: is the boot VGA device (the host console); allow it with allow-boot-vga in the rule or vfio_early.allow_boot_vga=1 (rule /etc/vfio-early.conf:1 ${VFE_SG_VGA%.*})"
	assert_line "vfio-early: summary: 1 bound, 0 failed, 1 refused, 0 rule errors (exit 4)"
	assert_line "bochs-drm $VFE_SG_VGA: vgaarb: deactivate vga console"
	refute_line --partial "vfio-pci $VFE_SG_VGA"
	run vfe_expect refuse early "$VFE_SG_VGA=none"
	assert_success
	run vfe_expect refuse udev,root "$VFE_SG_VGA=bochs-drm"
	assert_success
	run vfe_sg_func refuse "$VFE_SG_VGA"
	assert_output "FUNC $VFE_SG_VGA driver=bochs-drm override=(null) boot_vga=1"
	run vfe_report_device refuse "$VFE_SG_VGA"
	assert_line "      this boot: refused: is the boot VGA device (the host console); allow it with allow-boot-vga in the rule or vfio_early.allow_boot_vga=1"
	assert_line --regexp '^      to select it: .*allow-boot-vga'
}

@test "singlegpu refuse: the audio function (another vendor's, so not of the card to vfio-early) is bound; the group is logged as not usable" {
	# QEMU's card pairs 1234:1111 with Intel's 8086:293e; a real GPU's
	# HDMI audio has the GPU's vendor and is refused with it (REF_CARD)
	run vfe_sg_dmesg refuse
	assert_line "vfio-early: $VFE_SG_HDA [8086:293e] class 040300: bound to vfio-pci (was no driver) (rule /etc/vfio-early.conf:1 ${VFE_SG_VGA%.*})"
	assert_line --regexp "^vfio-early: IOMMU group [0-9]+ is not usable for a VM: it also holds $VFE_SG_VGA \[1234:1111\] class 030000 \(driver none\)$"
	run vfe_expect refuse early,udev,root "$VFE_SG_HDA=vfio-pci"
	assert_success
}

@test "singlegpu allow: allow-boot-vga in the rule: both functions on vfio-pci (driver_override and driver) from the early pass on" {
	run vfe_sg_dmesg allow
	assert_line "vfio-pci $VFE_SG_VGA: vgaarb: deactivate vga console"
	assert_line "vfio-early: $VFE_SG_VGA [1234:1111] class 030000: bound to vfio-pci (was no driver) (rule /etc/vfio-early.conf:1 ${VFE_SG_VGA%.*})"
	assert_line "vfio-early: $VFE_SG_HDA [8086:293e] class 040300: bound to vfio-pci (was no driver) (rule /etc/vfio-early.conf:1 ${VFE_SG_VGA%.*})"
	assert_line "vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors (exit 0)"
	refute_line --partial ": refused: "
	refute_line --partial "bochs-drm $VFE_SG_VGA"
	run vfe_expect allow early,udev,root "$VFE_SG_VGA=vfio-pci" "$VFE_SG_HDA=vfio-pci"
	assert_success
	run vfe_sg_func allow "$VFE_SG_VGA"
	assert_output "FUNC $VFE_SG_VGA driver=vfio-pci override=vfio-pci boot_vga=1"
	run vfe_sg_func allow "$VFE_SG_HDA"
	assert_output "FUNC $VFE_SG_HDA driver=vfio-pci override=vfio-pci boot_vga=-"
	run vfe_sg_lspci allow "${VFE_SG_VGA#0000:}"
	assert_line $'\tKernel driver in use: vfio-pci'
	run vfe_sg_lspci allow "${VFE_SG_HDA#0000:}"
	assert_line $'\tKernel driver in use: vfio-pci'
}

@test "singlegpu allow: initcall_blacklist=sysfb_init: no firmware framebuffer at all, none in the card's BARs, no can't reserve" {
	run vfe_sg_dmesg allow
	assert_line --partial "initcall_blacklist=sysfb_init"
	refute_line --partial "efifb:"
	refute_line --partial "simple-framebuffer"
	refute_line --partial "can't reserve"
	# the parser had the data: the card's BAR 0 and its range in /proc/iomem
	run vfe_sg_block allow CARD
	assert_line --regexp "^BAR $VFE_SG_VGA 0 [0-9a-f]+ [0-9a-f]+$"
	run vfe_sg_block allow IOMEM
	assert_line --regexp "^ +[0-9a-f]+-[0-9a-f]+ : $VFE_SG_VGA$"
	run vfe_sg_fb_in_bars allow
	assert_output ""
	run vfe_sg_block allow FB
	assert_output $'/proc/fb:\nplatform:'
	run vfe_report_device allow "$VFE_SG_VGA"
	assert_line "      this boot: bound to vfio-pci"
	refute_line --partial "boot framebuffer"
}

@test "singlegpu allow: a nested QEMU maps both functions with vfio-pci: info pci lists them, no Failed to mmap" {
	run vfe_sg_exit allow INNER
	assert_output 0
	run grep '^INNER-STDERR' "$VFE_OUT/allow.result"
	refute_output --partial "Failed to mmap"
	refute_output --partial "vfio"
	run vfe_sg_inner_function allow 5 0
	assert_line --index 0 --regexp 'Bus +0, device +5, function 0:'
	assert_line --regexp '^ +VGA controller: PCI device 1234:1111$'
	run vfe_sg_inner_function allow 5 1
	assert_line --index 0 --regexp 'Bus +0, device +5, function 1:'
	assert_line --regexp '^ +Audio controller: PCI device 8086:293e$'
	# the kernel log after the nested QEMU mapped the BARs
	run vfe_sg_dmesg allow
	refute_line --partial "can't reserve"
}

@test "singlegpu nofix: vfio_early.allow_boot_vga=1, no sysfb fix: efifb sits in BAR 0 until vfio-pci's bind removes it; the nested QEMU maps the card" {
	local bar0
	bar0=$(vfe_sg_block nofix CARD | awk -v a="$VFE_SG_VGA" '$1 == "BAR" && $2 == a && $3 == 0 { print $4 }')
	[ -n "$bar0" ] || fail "no BAR 0 of $VFE_SG_VGA in the guest's CARD block"
	run vfe_sg_dmesg nofix
	assert_line "pci $VFE_SG_VGA: BAR 0: assigned to efifb"
	assert_line --regexp "^efifb: framebuffer at 0x$bar0, "
	assert_line "vfio-early: $VFE_SG_VGA [1234:1111] class 030000: bound to vfio-pci (was no driver) (rule /etc/vfio-early.conf:1 ${VFE_SG_VGA%.*})"
	assert_line "vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors (exit 0)"
	refute_line --partial "can't reserve"
	run vfe_expect nofix early,udev,root "$VFE_SG_VGA=vfio-pci" "$VFE_SG_HDA=vfio-pci"
	assert_success
	# gone once vfio-pci holds the card
	run vfe_sg_fb_in_bars nofix
	assert_output ""
	run vfe_sg_block nofix FB
	assert_output $'/proc/fb:\nplatform:'
	run vfe_sg_exit nofix INNER
	assert_output 0
	run grep '^INNER-STDERR' "$VFE_OUT/nofix.result"
	refute_output --partial "Failed to mmap"
	run vfe_sg_inner_function nofix 5 0
	assert_line --regexp '^ +VGA controller: PCI device 1234:1111$'
}

@test "singlegpu dryrun: nothing takes the card, efifb stays in its BAR 0, and vfio-early --report flags it with the sysfb fix" {
	run vfe_nothing_on_vfio dryrun
	assert_success
	run vfe_sg_fb_in_bars dryrun
	assert_output --regexp "^efifb [0-9a-f]+-[0-9a-f]+ in $VFE_SG_VGA BAR 0$"
	run vfe_sg_block dryrun FB
	assert_line "platform:"
	assert_line --regexp '^efi-framebuffer'
	run vfe_report_device dryrun "$VFE_SG_VGA"
	assert_line "      boot framebuffer on its memory: efifb"
	run vfe_report dryrun text
	assert_line --regexp "$VFE_SG_VGA: the boot framebuffer \(efifb\) sits on its memory"
	assert_line --partial "initcall_blacklist=sysfb_init"
	# the JSON report: the device's boot_framebuffer
	vfe_report dryrun json >"$BATS_TEST_TMPDIR/report.json"
	run jq -r --arg a "$VFE_SG_VGA" '.devices[] | select(.address == $a) | .boot_framebuffer' \
		"$BATS_TEST_TMPDIR/report.json"
	assert_output "efifb"
}
