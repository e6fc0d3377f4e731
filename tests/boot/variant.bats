#!/usr/bin/env bats
# vfio-pci variant drivers (issue 19).  Debian's kernel ships none and QEMU
# emulates no device a real one drives, so the suite builds its own:
# tests/boot/variant/vfio_early_test_pci.c, a vfio_pci_core driver for
# QEMU's NVMe (1b36:0010), against the headers of the kernel the guests
# boot (skipped without them), and boots the emulated two-GPU host (QEMU,
# TCG unless KVM is proven to work) with initramfs-tools images and a root
# that carry it.  See lib/variant.bash.

load lib/variant

setup_file()
{
	vfe_vdrv_setup
}

setup()
{
	vfe_boot_skip
}

@test "variant: the module built here is a vfio-pci variant for QEMU's NVMe, for the kernel the guests boot" {
	run cat "$VFE_OUT/modinfo.txt"
	assert_line --regexp "^alias: +vfio_pci:v00001B36d00000010sv\*sd\*bc\*sc\*i\*$"
	assert_line --regexp "^name: +$VFE_VDRV_MODULE$"
	assert_line --regexp "^vermagic: +$VFE_KVER "
	assert_line --regexp '^depends: +(vfio-pci-core,vfio|vfio,vfio-pci-core)$'
	# one alias: the driver never binds by ids of its own
	run grep -c '^alias:' "$VFE_OUT/modinfo.txt"
	assert_output 1
}

@test "variant: mkinitramfs's depmod indexed the module: the image's modules.alias has its alias beside vfio_pci's" {
	run cat "$VFE_OUT/image-alias-byhand.txt"
	assert_line "alias $VFE_VDRV_ALIAS $VFE_VDRV_MODULE"
	assert_line "alias $VFE_VDRV_PLAIN_ALIAS vfio_pci"
	assert_equal "${#lines[@]}" 2
	run vfe_vdrv_image_modules_file "$(cat "$VFE_OUT/byhand.image")" modules.dep
	assert_line --regexp "^updates/$VFE_VDRV_MODULE\.ko: .*vfio-pci-core\.ko"
}

@test "variant by hand: modprobe, unbind nvme, driver_override, drivers_probe: the NVMe is on the variant with /dev/vfio/N" {
	local group
	run vfe_reached_root byhand
	assert_success
	run vfe_vdrv_lines byhand modalias
	assert_output --regexp '^pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02$'
	run vfe_vdrv_lines byhand start
	assert_line --regexp "^addr=$VFE_NVME driver=nvme override=\(null\) group=[0-9]+ dev=absent$"
	run vfe_vdrv_lines byhand step
	assert_line 'modprobe exit=0'
	assert_line 'unbind exit=0'
	assert_line 'override exit=0'
	assert_line 'probe exit=0'
	run vfe_vdrv_lines byhand step-stderr
	assert_output ''
	run vfe_vdrv_lines byhand module-drivers
	assert_output "pci:$VFE_VDRV_DRIVER"
	run vfe_vdrv_lines byhand byhand
	assert_line --regexp "^addr=$VFE_NVME driver=$VFE_VDRV_DRIVER override=$VFE_VDRV_DRIVER group=[0-9]+ dev=present$"
	group=$(vfe_vdrv_lines byhand byhand | sed -n "s/^addr=$VFE_NVME .* group=\([0-9]*\) .*/\1/p")
	run vfe_vdrv_lines byhand vfio-dev
	assert_output --regexp "(^| )$group( |$)"
	# the kernel's word: the driver's probe registered the device
	run vfe_vdrv_kernel byhand
	assert_line --regexp "$VFE_VDRV_DRIVER $VFE_NVME: registered 1b36:0010 with vfio_pci_core$"
	# the drivers seen from the real root's init: the variant holds the NVMe
	run vfe_expect byhand root "$VFE_NVME=$VFE_VDRV_DRIVER"
	assert_success
}

@test "variant by hand: the root disk (virtio-blk 04:00.0) and the cards stay on their drivers" {
	run vfe_vdrv_lines byhand byhand
	assert_line "addr=$VFE_ROOTDISK driver=virtio-pci override=(null) group=$(vfe_vdrv_lines byhand start |
		sed -n "s/^addr=$VFE_ROOTDISK .* group=\([0-9]*\) .*/\1/p") dev=absent"
	run vfe_expect byhand udev,root "$VFE_ROOTDISK=virtio-pci" "$VFE_CARD1_VGA=bochs-drm" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_HOST_VGA=bochs-drm"
	assert_success
	run vfe_nothing_on_vfio byhand
	assert_success
}

# --- the rule option driver= (the early pass in the initramfs) ---------------

# vfe_vdrv_chose NAME WANT: the kernel-log line of the variant vfio-early
# chose for the NVMe under driver=WANT.
vfe_vdrv_chose()
{
	printf 'vfio-early: %s: driver=%s chose %s \\(module %s, alias %s\\)$' "$VFE_NVME" "$2" \
		"$VFE_VDRV_DRIVER" "$VFE_VDRV_MODULE" "${VFE_VDRV_ALIAS//\*/\\*}"
}

@test "variant driver=auto: the NVMe goes to the variant from the early pass on, the log says which alias chose it" {
	run vfe_reached_root auto
	assert_success
	run vfe_expect auto early,udev,root "$VFE_NVME=$VFE_VDRV_DRIVER"
	assert_success
	run vfe_override auto root "$VFE_NVME"
	assert_output "$VFE_VDRV_DRIVER"
	run vfe_kmsg auto
	assert_line --regexp "$(vfe_vdrv_chose auto auto)"
	# libkmod loaded it from the image's updates/
	assert_line --regexp "vfio-early: loading /lib/modules/$VFE_KVER/updates/$VFE_VDRV_MODULE\.ko$"
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to $VFE_VDRV_DRIVER \(was no driver\) \(rule /etc/vfio-early.conf:2 03:00.0\)$"
	assert_line --regexp 'vfio-early: summary: 3 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	run vfe_vdrv_kernel auto
	assert_line --regexp "$VFE_VDRV_DRIVER $VFE_NVME: registered 1b36:0010 with vfio_pci_core$"
	run vfe_state auto
	assert_line --regexp "^device addr=$VFE_NVME .* rule=/etc/vfio-early.conf:2 result=bound .*driver=$VFE_VDRV_DRIVER "
	# the root sees the group's node: the variant registered a vfio device
	run vfe_vdrv_lines auto start
	assert_line --regexp "^addr=$VFE_NVME driver=$VFE_VDRV_DRIVER override=$VFE_VDRV_DRIVER group=[0-9]+ dev=present$"
}

@test "variant driver=auto on a card no variant matches: vfio-pci, and no choice logged for it" {
	run vfe_expect auto early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	assert_success
	run vfe_kmsg auto
	assert_line --regexp "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early.conf:4 01:00\)$"
	assert_line --regexp "vfio-early: $VFE_CARD1_HDA \[8086:293e\] class 040300: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early.conf:4 01:00\)$"
	refute_line --regexp "vfio-early: 0000:01:00\.[01]: driver="
	# one choice in the whole boot: the NVMe's
	run grep -c 'chose' <(vfe_kmsg auto)
	assert_output 1
	run vfe_state auto
	assert_line --regexp "^device addr=$VFE_CARD1_VGA .*result=bound .*driver=vfio-pci "
	assert_line --regexp "^device addr=$VFE_CARD1_HDA .*result=bound .*driver=vfio-pci "
	run vfe_expect auto udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel"
	assert_success
}

@test "variant driver=vfio-pci on the NVMe: the generic driver, the variant module never loaded; a card with no driver= on vfio-pci" {
	run vfe_reached_root plain
	assert_success
	run vfe_expect plain early,udev,root "$VFE_NVME=vfio-pci" "$VFE_CARD2_VGA=vfio-pci" "$VFE_CARD2_HDA=vfio-pci"
	assert_success
	run vfe_override plain root "$VFE_NVME"
	assert_output vfio-pci
	run vfe_kmsg plain
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early.conf:2 03:00.0\)$"
	assert_line --regexp "vfio-early: $VFE_CARD2_VGA \[1234:1111\] class 030000: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early.conf:4 02:00\)$"
	assert_line --regexp 'vfio-early: summary: 3 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	refute_line --partial 'chose'
	refute_line --partial "$VFE_VDRV_MODULE"
	# nothing of the variant in the kernel: not loaded, not registered
	run vfe_vdrv_lines plain module-drivers
	assert_output ''
	run vfe_vdrv_kernel plain
	refute_line --partial "$VFE_VDRV_DRIVER"
	refute_line --partial "$VFE_VDRV_MODULE"
}

@test "variant driver=MODULE names the variant: the NVMe on it, the choice logged as driver=MODULE" {
	run vfe_reached_root named
	assert_success
	run vfe_expect named early,udev,root "$VFE_NVME=$VFE_VDRV_DRIVER"
	assert_success
	run vfe_kmsg named
	assert_line --regexp "$(vfe_vdrv_chose named "$VFE_VDRV_MODULE")"
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to $VFE_VDRV_DRIVER \(was no driver\) \(rule /etc/vfio-early.conf:2 03:00.0\)$"
	assert_line --regexp 'vfio-early: summary: 1 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	run vfe_expect named udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD2_VGA=bochs-drm"
	assert_success
}

@test "variant that refuses the device (fail_probe=1 from the image's modprobe.d): vfio-early gives the NVMe to vfio-pci, bound, exit 0" {
	run vfe_reached_root fallback
	assert_success
	run vfe_expect fallback early,udev,root "$VFE_NVME=vfio-pci" "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	assert_success
	run vfe_override fallback root "$VFE_NVME"
	assert_output vfio-pci
	run vfe_vdrv_kernel fallback
	# libkmod applied the image's modprobe.d options; the variant's probe said no
	assert_line --regexp "vfio-early: loading /lib/modules/$VFE_KVER/updates/$VFE_VDRV_MODULE\.ko fail_probe=1$"
	assert_line --regexp "$VFE_VDRV_DRIVER $VFE_NVME: refused: fail_probe=1$"
	refute_line --partial 'registered 1b36:0010'
	run vfe_kmsg fallback
	assert_line --regexp "$(vfe_vdrv_chose fallback auto)"
	assert_line --regexp "vfio-early: $VFE_NVME: $VFE_VDRV_DRIVER did not take it \(see the kernel log\); vfio-pci instead$"
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to vfio-pci \(was no driver\) \(rule /etc/vfio-early.conf:2 03:00.0\)$"
	assert_line --regexp 'vfio-early: summary: 3 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	run vfe_state fallback
	assert_line --regexp "^device addr=$VFE_NVME .*result=bound .*driver=vfio-pci "
}

@test "variant on the booted root: vfio-early takes the NVMe from nvme to the variant (no driver=: auto)" {
	run vfe_reached_root rebind
	assert_success
	run vfe_expect rebind udev,root "$VFE_NVME=nvme"
	assert_success
	run grep -x 'REBIND exit=0' "$VFE_OUT/rebind.result"
	assert_success
	run vfe_expect rebind rebind "$VFE_NVME=$VFE_VDRV_DRIVER"
	assert_success
	run vfe_kmsg rebind
	assert_line --regexp "$(vfe_vdrv_chose rebind auto)"
	# the root's own modules directory: the module from its updates/
	assert_line --regexp "vfio-early: loading /lib/modules/$VFE_KVER/updates/$VFE_VDRV_MODULE\.ko$"
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to $VFE_VDRV_DRIVER \(was nvme\) \(rule /run/vfe-rebind.conf:1 03:00.0\)$"
	run sed -n 's/^MANUAL //p' "$VFE_OUT/rebind.result"
	assert_line "device addr=$VFE_NVME result=bound was=nvme now=$VFE_VDRV_DRIVER reason="
}

@test "variant: in every boot the root disk (virtio-blk 04:00.0) stays on virtio-pci with no override, and vfio-early says nothing of it" {
	local b
	for b in auto plain named fallback rebind byhand; do
		run vfe_expect "$b" udev,root "$VFE_ROOTDISK=virtio-pci"
		assert_success
		run vfe_override "$b" root "$VFE_ROOTDISK"
		assert_output '(null)'
		run vfe_kmsg "$b"
		refute_line --partial "$VFE_ROOTDISK"
	done
	run vfe_expect rebind rebind "$VFE_ROOTDISK=virtio-pci"
	assert_success
}

@test "variant: vfio-early --report --all in the guest lists the NVMe on the variant in its own IOMMU group" {
	local group
	group=$(vfe_vdrv_lines auto start | sed -n "s/^addr=$VFE_NVME .* group=\([0-9]*\) .*/\1/p")
	[ -n "$group" ] || fail "no IOMMU group for the NVMe in the guest's lines"
	run vfe_block_exit "$VFE_OUT/auto.report" "ALL-END exit="
	assert_output 0
	run awk -v g="IOMMU group $group" '$0 == g { on = 1; next } /^$/ { on = 0 } on' "$VFE_OUT/report-all-auto.txt"
	assert_output "  $VFE_NVME [1b36:0010] Non-Volatile memory controller [0108]; driver $VFE_VDRV_DRIVER, driver_override $VFE_VDRV_DRIVER"
}

# --- vfio-early by hand on the booted root (guest.sh, vfe_test.variant=take) --

@test "variant --list-modules on the booted root: the variant's module for the NVMe under auto, nothing under driver=vfio-pci" {
	run vfe_vdrv_lines rebind step
	assert_line 'list-auto exit=0'
	assert_line 'list-plain exit=0'
	run vfe_vdrv_lines rebind step-out
	assert_line "list-auto $VFE_VDRV_MODULE"
	refute_line --regexp '^list-plain '
}

@test "variant take and release on the booted root: nvme to the variant (driver=auto), then back to nvme" {
	run vfe_vdrv_lines rebind step
	assert_line 'take exit=0'
	assert_line 'release exit=0'
	run vfe_vdrv_lines rebind take
	assert_line --regexp "^addr=$VFE_NVME driver=$VFE_VDRV_DRIVER override=$VFE_VDRV_DRIVER group=[0-9]+ dev=present$"
	run vfe_vdrv_lines rebind release
	assert_line --regexp "^addr=$VFE_NVME driver=nvme override=\(null\) group=[0-9]+ dev=absent$"
	run vfe_vdrv_lines rebind step-out
	assert_line "release $VFE_NVME: released, now on nvme"
	run vfe_kmsg rebind
	assert_line --regexp "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: bound to $VFE_VDRV_DRIVER \(was nvme\) \(rule take:1 03:00.0\)$"
	assert_line --regexp "vfio-early: $VFE_NVME: released from $VFE_VDRV_DRIVER, now on nvme$"
}

@test "variant: what take prints and --report's manual runs name the variant the NVMe went to, as the record does" {
	run vfe_vdrv_lines rebind step-out
	assert_line "take $VFE_NVME: was nvme, now $VFE_VDRV_DRIVER"
	run sed -n 's/^MANUAL //p' "$VFE_OUT/rebind.result"
	assert_line "device addr=$VFE_NVME result=bound was=nvme now=$VFE_VDRV_DRIVER reason="
	run jq -r '.manual_runs.runs[].devices[] | "\(.address) \(.result) \(.was) \(.now)"' \
		<(vfe_report rebind json)
	assert_line "$VFE_NVME bound nvme $VFE_VDRV_DRIVER"
	run vfe_report_section rebind "Manual runs since boot (/run/vfio-early/manual)"
	assert_line "    $VFE_NVME: was nvme, now $VFE_VDRV_DRIVER"
	refute_line --partial 'now vfio-pci'
}

# --- vfio-early --report on the booted root (guest.sh's config: the NVMe and
# card 1, no driver=) ---------------------------------------------------------

# vfe_vdrv_report_device NAME ADDR: the text report's block about ADDR.
vfe_vdrv_report_device()
{
	vfe_vdrv_report "$1" text | vfe_text_device "$2"
}

# vfe_vdrv_report_section NAME TITLE: one section of that text report.
vfe_vdrv_report_section()
{
	vfe_vdrv_report "$1" text | vfe_text_section "$2"
}

@test "variant --report: the NVMe on its variant is ready and viable, its next boot names the variant, libvirt and Proxmox get the variant's advice" {
	local group
	run vfe_block_exit "$VFE_OUT/auto.report" "REPORTCFG-END text exit="
	assert_output 0
	run vfe_vdrv_report_device auto "$VFE_NVME"
	assert_line --index 1 --regexp "^      subsystem 1af4:1100, driver $VFE_VDRV_DRIVER, override $VFE_VDRV_DRIVER, "
	assert_line --regexp '^      IOMMU group [0-9]+ \(ready\):$'
	assert_line "      next boot: $VFE_VDRV_DRIVER, a vfio-pci variant (module $VFE_VDRV_MODULE, driver=auto) (rule /run/vfe-variant-report.conf:1 03:00.0)"
	group=$(vfe_vdrv_report_device auto "$VFE_NVME" | sed -n 's/^      IOMMU group \([0-9]*\) (ready):$/\1/p')
	run vfe_vdrv_report auto text
	assert_line "    /dev/vfio/$group: viable (checked)"
	assert_line "      $VFE_NVME goes to $VFE_VDRV_DRIVER, a vfio-pci variant: add driver=keep to the hostpci entry where qemu-server has it, or Proxmox binds the function to vfio-pci itself when the VM starts"
	assert_line "      <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' model='$VFE_VDRV_DRIVER'/><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>"
	# card 1: plain vfio-pci, no model
	assert_line "      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source></hostdev>"
	assert_line 'Verdict: ready (0 blocking, 0 warnings; exit 0)'
	run vfe_vdrv_report_device auto "$VFE_CARD1_VGA"
	assert_line "      next boot: vfio-pci (rule /run/vfe-variant-report.conf:2 01:00)"
	# the JSON: next_boot's driver and module, the group viable
	run jq -r --arg a "$VFE_NVME" '.devices[] | select(.address == $a)
		| "\(.driver) \(.next_boot.action) \(.next_boot.driver) \(.next_boot.variant_module)"' \
		"$VFE_OUT/report-cfg-auto.json"
	assert_output "$VFE_VDRV_DRIVER bind $VFE_VDRV_DRIVER $VFE_VDRV_MODULE"
	run jq -r --argjson g "$group" '.groups[] | select(.id == $g) | "\(.verdict) \(.vfio.state)"' \
		"$VFE_OUT/report-cfg-auto.json"
	assert_output 'ready viable'
	run jq -r --arg a "$VFE_CARD1_VGA" '.devices[] | select(.address == $a) | "\(.next_boot.driver) \(.next_boot.variant_module)"' \
		"$VFE_OUT/report-cfg-auto.json"
	assert_output 'vfio-pci null'
}

@test "variant --report: the group's member line, this boot's line and the pending problem name the variant, not vfio-pci" {
	# the early pass bound it to the variant (the state file says so)
	run vfe_state auto
	assert_line --regexp "^device addr=$VFE_NVME .*result=bound .*driver=$VFE_VDRV_DRIVER "
	run vfe_vdrv_report_device auto "$VFE_NVME"
	assert_line --regexp "^        $VFE_NVME \[1b36:0010\] Non-Volatile memory controller, $VFE_VDRV_DRIVER, to $VFE_VDRV_DRIVER$"
	assert_line "      this boot: bound to $VFE_VDRV_DRIVER"
	# after take and release nvme holds it: the next boot gives it to the variant
	run vfe_vdrv_report_device rebind "$VFE_NVME"
	assert_line --regexp '^      IOMMU group [0-9]+ \(pending\):$'
	assert_line --regexp "^        $VFE_NVME \[1b36:0010\] Non-Volatile memory controller, nvme, to $VFE_VDRV_DRIVER$"
	run vfe_vdrv_report rebind text
	assert_line "  [pending] reboot pending: the next boot hands $VFE_NVME (now nvme) to $VFE_VDRV_DRIVER"
}

@test "variant --report after the variant refused the NVMe at boot (fallback): no reboot is said to hand a device on vfio-pci to vfio-pci" {
	run vfe_state fallback
	assert_line --regexp "^device addr=$VFE_NVME .*result=bound .*driver=vfio-pci "
	run vfe_vdrv_report_section fallback "Problems and fixes"
	refute_line --partial "hands $VFE_NVME (now vfio-pci) to vfio-pci"
}
