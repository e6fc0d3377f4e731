#!/usr/bin/env bats
# take and release on a running host (issue 19, item 1), on the guide's
# Proxmox machine (tests/fixtures/proxmox-3090.spec: RTX 3090 at 09:00.0 +
# HDMI audio at 09:00.1, root on LVM on the NVMe at 01:00.0).  The fake
# root has "/" mounted: a booted host.

load helper

take_card() {
	make_root proxmox-3090
	ve take --yes 0000:09:00
	assert_success
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci
}

@test "take without --yes and without a terminal shows the plan and changes nothing" {
	make_root proxmox-3090
	before=$(snapshot)
	ve take 0000:09:00
	assert_failure 16
	assert_line "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nouveau) (rule take:1 0000:09:00)"
	assert_line --partial "nothing was changed; rerun with --yes to apply the plan above"
	assert_equal "$(changed_since "$before")" ""
}

@test "take --yes hands the whole card over and records it apart from the boot's record" {
	take_card
	assert_line "0000:09:00.0: was nouveau, driver_override now vfio-pci (test root, not probed)"
	assert_line "0000:09:00.1: was snd_hda_intel, driver_override now vfio-pci (test root, not probed)"
	run cat "$ROOT/run/vfio-early/manual"
	assert_line --regexp "^run time=.* confirmed=yes exit=0 changed=2 failed=0 refused=0$"
	assert [ ! -e "$ROOT/run/vfio-early/state" ]
}

@test "take applies the boot's safety rules: the root's controller is refused" {
	make_root proxmox-3090
	ve take --yes 0000:01:00.0
	assert_failure 4
	assert_line "0000:01:00.0: unchanged (nvme), refused: holds the root filesystem (root=/dev/mapper/pve-root)"
	assert_equal "$(override 0000:01:00.0)" "(null)"
}

@test "take by ids, and a bad selection names the token" {
	make_root proxmox-3090
	ve take --yes ids 10de:2204
	assert_success
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci
	ve take --yes 09:00:0
	assert_failure 1
	assert_output --partial "take:1: 09:00:0: a domain has four hex digits"
}

@test "release clears the override of every function, graphics first, and probes them" {
	take_card
	: > "$ROOT/sys/bus/pci/drivers_probe"
	ve release 09:00
	assert_success
	assert_line --index 0 "0000:09:00.0: released (test root, not probed)"
	assert_line --index 1 "0000:09:00.1: released (test root, not probed)"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers_probe")" "$(printf '0000:09:00.0\n0000:09:00.1')"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/driver_override")" ""
	run kmsg
	assert_line --partial "0000:09:00.1: released from vfio-pci (test root, not probed)"
}

@test "a second release does nothing" {
	take_card
	ve release 0000:09:00.0
	assert_success
	before=$(snapshot)
	ve release 0000:09:00.0
	assert_success
	assert_line "0000:09:00.0: not on vfio-pci (nouveau): nothing to release"
	assert_line "0000:09:00.1: not on vfio-pci (snd_hda_intel): nothing to release"
	assert_equal "$(changed_since "$before")" ""
}

@test "release unbinds a function vfio-pci holds" {
	make_root proxmox-3090 "pci 0000:0a:00.0 parent=0000:00:1d.0 ids=10de:1c82 sub=1043:8613 class=030000 group=16 driver=vfio-pci override=vfio-pci bar0=16M"
	ve release 0a:00.0
	assert_success
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/vfio-pci/unbind")" "0000:0a:00.0"
}

@test "release refuses while a VM holds the group, and names it" {
	take_card
	mkdir -p "$ROOT/proc/4242/fd"
	echo qemu-system-x86 > "$ROOT/proc/4242/comm"
	ln -s /dev/vfio/14 "$ROOT/proc/4242/fd/31"
	before=$(snapshot)
	ve release 09:00
	assert_failure 4
	assert_line --partial "0000:09:00.0: not released: qemu-system-x86 (pid 4242) holds /dev/vfio/14; stop it first"
	assert_equal "$(changed_since "$before")" ""
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci
}

@test "release: a class rule, no selection, or a device that is not there" {
	make_root proxmox-3090
	ve release class 0300
	assert_failure 1
	assert_output "vfio-early: release: 0300: name devices by address, ids or path"
	ve release
	assert_failure 1
	assert_output "vfio-early: release: name a device or card (0000:09:00, ids 10de:2204)
Try 'vfio-early --help' for more information."
	ve release 0000:42:00
	assert_failure 1
	assert_output "vfio-early: release: no device matches 0000:42:00"
	ve release --dry-run 09:00
	assert_failure 1
	assert_output "vfio-early: release acts at once: no --dry-run, no --yes
Try 'vfio-early --help' for more information."
}
