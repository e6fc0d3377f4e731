#!/usr/bin/env bats
# The whole binary under --root on fake machines: what it writes, logs and
# returns.  Fixtures: tests/fixtures/*.spec (see mkfakesys.c).

load helper

@test "the guide's recipe: vfio-pci.ids takes the 3090 and its HDMI audio" {
	make_root proxmox-3090
	set_cmdline "root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt vfio-pci.ids=10de:2204,10de:1aef"
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
	assert_equal "$(override 0000:09:00.1)" "vfio-pci"
	assert_equal "$(override 0000:00:02.0)" "(null)"
	assert_equal "$(override 0000:00:1f.3)" "(null)"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/nouveau/unbind")" "0000:09:00.0"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/snd_hda_intel/unbind")" "0000:09:00.1"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers_probe")" "$(printf '0000:09:00.0\n0000:09:00.1')"
	assert_writes_only_allowed "$before"
	run kmsg
	assert_line "<6>vfio-early: 0000:09:00.0 [10de:2204] class 030000: driver_override set to vfio-pci (was nouveau; test root, not probed) (rule cmdline vfio-pci.ids 10de:2204)"
	assert_line --partial "<5>vfio-early: summary: 0 bound, 2 overrides set (test root), 0 failed, 0 refused, 0 rule errors (exit 0)"
}

@test "state file records the run and every device" {
	make_root proxmox-3090
	in_initramfs
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on vfio_early.ids=10de:2204"
	ve
	assert_success
	run cat "$ROOT/run/vfio-early/state"
	assert_line --index 0 "vfio-early-state 1"
	assert_line "run mode=boot exit=0 bound=0 override_set=2 failed=0 refused=0 rule_errors=0 excluded=0 iommu=1 kernel=6.1.0-56-amd64"
	assert_line "protected addr=0000:01:00.0 reason=holds the root filesystem (root=/dev/mapper/pve-root)"
	assert_line "device addr=0000:09:00.0 ids=10de:2204 sub=10de:1492 class=030000 group=14 boot_vga=0 via=rule rule=cmdline:vfio_early.ids result=override-set refusal=none driver=nouveau reason="
	assert_line "device addr=0000:09:00.1 ids=10de:1aef sub=10de:1492 class=040300 group=14 boot_vga=0 via=slot rule=cmdline:vfio_early.ids result=override-set refusal=none driver=snd_hda_intel reason="
	[ ! -e "$ROOT/run/vfio-early/state.tmp" ]
}

@test "two identical cards: the one named by address, the other untouched" {
	make_root two-cards
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early.devices=0b:00"
	ve --yes
	assert_success
	assert_equal "$(override 0000:0b:00.0)" "vfio-pci"
	assert_equal "$(override 0000:0b:00.1)" "vfio-pci"
	assert_equal "$(override 0000:0a:00.0)" "(null)"
	assert_equal "$(override 0000:0a:00.1)" "(null)"
}

@test "two identical cards: the one at a stable path in the config" {
	make_root two-cards
	set_config "# the card in the lower x16 slot" "path 00:03.2/00 expect=10de:2204"
	ve --yes
	assert_success
	assert_equal "$(override 0000:0b:00.0)" "vfio-pci"
	assert_equal "$(override 0000:0b:00.1)" "vfio-pci"
	assert_equal "$(override 0000:0a:00.0)" "(null)"
	run kmsg
	assert_line --partial "0000:0b:00.1 [10de:1aef] class 040300: driver_override set to vfio-pci (was snd_hda_intel; test root, not probed) (rule /etc/vfio-early.conf:2 00:03.2/00)"
}

@test "a GPU whose IOMMU group holds the root NVMe is refused, nothing written" {
	make_root shared-group
	set_config "address 02:00"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line --partial "<4>vfio-early: 0000:02:00.0 [10de:1f82] class 030000: refused: shares IOMMU group 11 with 0000:03:00.0, which holds the root filesystem (root=UUID=6b2d1c0e-1111-4222-8333-944455556666)"
	assert_line --partial "summary: 0 bound, 0 failed, 2 refused, 0 rule errors (exit 4)"
}

@test "VMD: the controller in front of the root NVMe (domain 10000) is never taken" {
	make_root vmd-navi
	run "$VFIO_EARLY" --root "$ROOT" --list-protected
	assert_success
	assert_line "device addr=10000:e1:00.0 path=- ids=144d:a80a sub=144d:a801 class=010802 why=holds the root filesystem (root=UUID=5c0a8f1e-3b2d-4c6e-9f10-7a8b9c0d1e2f)"
	assert_line "device addr=0000:00:0e.0 path=0000:00:0e.0 ids=8086:467f sub=1043:8694 class=010400 why=is upstream of 10000:e1:00.0, which holds the root filesystem"
	assert_line "end devices=2 carriers=0"
	set_config "address 00:0e.0" "address 10000:e1:00.0" "class 01 allow-storage"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line --partial "0000:00:0e.0 [8086:467f] class 010400: refused: is upstream of 10000:e1:00.0, which holds the root filesystem (rule /etc/vfio-early.conf:1 00:0e.0)"
	assert_line --partial "10000:e1:00.0 [144d:a80a] class 010802: refused: holds the root filesystem (root=UUID=5c0a8f1e-3b2d-4c6e-9f10-7a8b9c0d1e2f)"
	assert_line --partial "summary: 0 bound, 0 failed, 2 refused, 0 rule errors (exit 4)"
}

@test "a Radeon behind its own PCIe switch: GPU and audio by ids or path, never the switch ports" {
	make_root vmd-navi
	set_cmdline "root=UUID=5c0a8f1e-3b2d-4c6e-9f10-7a8b9c0d1e2f intel_iommu=on vfio_early.ids=1002:73bf"
	ve --yes
	assert_success
	assert_equal "$(override 0000:03:00.0)" "vfio-pci"
	assert_equal "$(override 0000:03:00.1)" "vfio-pci"
	for b in 0000:00:01.0 0000:01:00.0 0000:02:00.0 0000:00:02.0 0000:00:1f.3; do
		assert_equal "$(override $b)" "(null)"
	done
	run kmsg
	refute_output --partial "not usable for a VM"
	make_root vmd-navi
	set_config "path 00:01.0/00.0/00.0/00 expect=1002:73bf"
	ve --yes
	assert_success
	assert_equal "$(override 0000:03:00.0)" "vfio-pci"
	assert_equal "$(override 0000:03:00.1)" "vfio-pci"
	assert_equal "$(override 0000:02:00.0)" "(null)"
	run "$VFIO_EARLY" --root "$ROOT" --report
	assert_line --partial "stable path: 0000:00:01.0/00.0/00.0/00.0"
	assert_line --partial "IOMMU group 2 (pending):"
}

@test "boot VGA is refused, then allowed from the command line" {
	make_root two-cards
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early.devices=0a:00"
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(override 0000:0a:00.0)" "(null)"
	assert_equal "$(override 0000:0a:00.1)" "(null)"
	run kmsg
	assert_line --partial "refused: is the boot VGA device (the host console)"
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early.devices=0a:00 vfio_early.allow_boot_vga=1"
	ve --yes
	assert_success
	assert_equal "$(override 0000:0a:00.0)" "vfio-pci"
}

@test "no IOMMU: nothing bound, the log says how to enable it (Intel and AMD)" {
	make_root proxmox-3090 "iommu off"
	set_cmdline "root=/dev/mapper/pve-root quiet vfio-pci.ids=10de:2204,10de:1aef"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line "<4>vfio-early: no IOMMU is active, so nothing is bound: VT-d is enabled in the firmware (DMAR table): add intel_iommu=on to the kernel command line"
	# VT-d off in the firmware: the advice starts there.
	make_root proxmox-3090 "iommu off
firmware-iommu off"
	set_config "ids 10de:2204"
	ve --yes
	assert_equal "$status" 4
	run kmsg
	assert_line --partial "nothing is bound: enable VT-d in the firmware and add intel_iommu=on to the kernel command line"
	make_root two-cards "iommu off
firmware-iommu off"
	set_config "address 0b:00"
	ve --yes
	assert_equal "$status" 4
	run kmsg
	assert_line --partial "enable the IOMMU (AMD-Vi) in the firmware; the kernel turns it on by itself unless amd_iommu=off or iommu=off is on the command line"
}

@test "kill switch: vfio_early=off does nothing and says so" {
	make_root proxmox-3090
	in_initramfs
	set_config "ids 10de:2204"
	for v in off 0 no false; do
		set_cmdline "root=/dev/mapper/pve-root vfio-early=$v vfio-pci.ids=10de:2204"
		: > "$ROOT/dev/kmsg"
		before=$(snapshot)
		ve
		assert_success
		assert_equal "$(changed_since "$before")" ""
		assert_equal "$(kmsg)" "<5>vfio-early: disabled by vfio_early=off on the kernel command line"
	done
	run cat "$ROOT/run/vfio-early/state"
	assert_line "run mode=off exit=0 bound=0 override_set=0 failed=0 refused=0 rule_errors=0 excluded=0 iommu=-1 kernel=6.1.0-56-amd64"
}

@test "an ids rule matching the root disk's model refuses it" {
	make_root turing-usbc
	set_cmdline "root=PARTUUID=5e1d2c3b-02 vfio_early.ids=144d:a808"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line --partial "0000:02:00.0 [144d:a808] class 010802: refused: holds the root filesystem (root=PARTUUID=5e1d2c3b-02)"
	assert_line --partial "0000:03:00.0 [144d:a808] class 010802: refused: is a storage controller"
}

@test "hostile command line: named, skipped, nothing written" {
	make_root proxmox-3090
	long=$(printf 'f%.0s' $(seq 1 300))
	set_cmdline "root=/dev/mapper/pve-root vfio_early.devices=../../../etc/passwd,09:00.8,0a:00.0/../x,,$long vfio_early.ids=zzzz:0000,10de:2204:1 vfio_early.idz=1 vfio_early.allow_boot_vga=maybe"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 2
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line "<4>vfio-early: /proc/cmdline: vfio_early.devices: ../../../etc/passwd: not a PCI address ([DDDD:]BB:SS[.F]); the whole list is ignored"
	assert_line "<4>vfio-early: /proc/cmdline: vfio_early.devices: 09:00.8: function must be 0-7; the whole list is ignored"
	assert_line --partial "vfio_early.devices: 0a:00.0/../x: "
	assert_line --regexp "^<4>vfio-early: /proc/cmdline: vfio_early.devices: \.\./\.\./\.\./etc/passwd,09:00\.8,0a:00\.0/\.\./x,,f+: empty list element; the whole list is ignored$"
	assert_line --partial "vfio_early.devices: ffffffffffffffff"
	assert_line --partial "vfio_early.ids: zzzz:0000: not a vendor:device id"
	assert_line --partial "vfio_early.ids: 10de:2204:1: not an id"
	assert_line --partial "vfio_early.idz: unknown vfio_early option, ignored"
	assert_line --partial "vfio_early.allow_boot_vga: maybe: expected 1 or 0"
	assert_line --partial "summary: 0 bound, 0 failed, 0 refused, 9 rule errors (exit 2)"
}

@test "hostile config: every bad line named with file and line, nothing written" {
	make_root proxmox-3090
	set_config "address ../../../../etc" "ids 10de:2204 expect=10de:2204" "path 00:01.0/00.0" \
		"class 0300 allow-everything" "exclude ids 10de:2204 whole-group" "bind 09:00.0"
	before=$(snapshot)
	ve --yes
	assert_equal "$status" 2
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line --partial "/etc/vfio-early.conf:1: ../../../../etc: "
	assert_line --partial "/etc/vfio-early.conf:2: expect=10de:2204: expect= applies to address and path rules only"
	assert_line --partial "/etc/vfio-early.conf:3: 00:01.0/00.0: path rules need expect="
	assert_line --partial "/etc/vfio-early.conf:4: allow-everything: unknown option"
	assert_line --partial "/etc/vfio-early.conf:5: whole-group: exclude rules take no options"
	assert_line --partial "/etc/vfio-early.conf:6: bind: unknown rule"
}

@test "a broken config line is skipped, the valid rules still apply" {
	make_root proxmox-3090
	set_config "address 09:00 alow-boot-vga" "ids 10de:2204"
	ve --yes
	assert_equal "$status" 2
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
	assert_equal "$(override 0000:09:00.1)" "vfio-pci"
	run kmsg
	assert_line --partial "<4>vfio-early: /etc/vfio-early.conf:1: alow-boot-vga: unknown option"
}

@test "exit status bits combine: rule errors and refusals give 6" {
	make_root two-cards
	set_config "ids 10de:2204" "ids nope"
	ve --yes
	assert_equal "$status" 6
	assert_equal "$(override 0000:0b:00.0)" "vfio-pci"
	assert_equal "$(override 0000:0a:00.0)" "(null)"
}

@test "--dry-run prints the plan and touches nothing, not even the log" {
	make_root proxmox-3090
	set_config "ids 10de:2204"
	before=$(snapshot)
	run "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_success
	assert_line "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nouveau) (rule /etc/vfio-early.conf:1 10de:2204)"
	assert_line "0000:09:00.1 [10de:1aef] class 040300: would bind to vfio-pci (now snd_hda_intel) (rule /etc/vfio-early.conf:1, function of 0000:09:00.0)"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	diff <(printf '%s\n' "$before") <(snapshot)
}

@test "vfio_early.dry_run=1 at boot: logged and recorded, nothing bound" {
	make_root proxmox-3090
	in_initramfs
	set_cmdline "root=/dev/mapper/pve-root vfio_early.dry_run=1 vfio_early.ids=10de:2204"
	before=$(snapshot)
	ve
	assert_success
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line --partial "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nouveau)"
	assert_line --partial "summary (dry run): 2 to bind"
	run grep '^run ' "$ROOT/run/vfio-early/state"
	assert_output --partial "run mode=dry-run exit=0"
}

@test "a device already on vfio-pci is left alone and its override made to stick" {
	make_root two-cards "pci 0000:0c:00.0 parent=0000:00:03.2 ids=10de:2204 class=030000 group=22 driver=vfio-pci"
	set_config "address 0c:00.0"
	ve --yes
	assert_success
	assert_equal "$(override 0000:0c:00.0)" "vfio-pci"
	[ ! -s "$ROOT/sys/bus/pci/drivers/vfio-pci/unbind" ]
	[ ! -s "$ROOT/sys/bus/pci/drivers_probe" ]
	run kmsg
	assert_line --partial "0000:0c:00.0 [10de:2204] class 030000: already on vfio-pci"
	assert_line --partial "summary: 1 bound"
}

@test "odd sysfs: bad entries and attributes are skipped, the walk goes on" {
	make_root proxmox-3090
	d=$ROOT/sys/devices/pci0000:00/0000:00:01.0
	# garbage modalias, a device that vanished (dangling link), a bogus name,
	# a device with no ids at all, an overlong attribute.
	echo "pci:vZZZZ" > "$d/0000:09:00.1/modalias"
	ln -s ../../../devices/pci0000:00/0000:00:1e.0 "$ROOT/sys/bus/pci/devices/0000:00:1e.0"
	ln -s ../../../devices/pci0000:00/0000:00:01.0 "$ROOT/sys/bus/pci/devices/../../../etc"
	mkdir "$ROOT/sys/bus/pci/devices/not-a-device"
	mkdir -p "$ROOT/sys/devices/pci0000:00/0000:00:1e.1" && ln -s ../../../devices/pci0000:00/0000:00:1e.1 "$ROOT/sys/bus/pci/devices/0000:00:1e.1"
	head -c 65536 /dev/zero | tr '\0' 'x' > "$ROOT/sys/devices/pci0000:00/0000:00:17.0/modalias"
	set_config "ids 10de:2204"
	ve --yes
	assert_equal "$status" 0
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
	run kmsg
	assert_line "<4>vfio-early: 0000:09:00.1: malformed modalias or ids, skipped"
	assert_line "<4>vfio-early: 0000:00:1e.0: vanished during the walk, skipped"
	assert_line "<4>vfio-early: 0000:00:1e.1: vanished during the walk, skipped"
	assert_line "<4>vfio-early: sys/bus/pci/devices/not-a-device: not a PCI address, skipped"
	assert_line "<4>vfio-early: 0000:00:17.0: malformed modalias or ids, skipped"
}

@test "devices without modalias are read from their separate attributes" {
	make_root two-cards "pci 0000:0c:00.0 parent=0000:00:03.2 ids=1002:744c sub=1da2:e471 class=030000 group=22 modalias=no"
	set_config "ids 1002:744c:1da2:e471"
	ve --yes
	assert_success
	assert_equal "$(override 0000:0c:00.0)" "vfio-pci"
}

@test "--list-protected names the root disk's controller through LVM" {
	make_root proxmox-3090
	run "$VFIO_EARLY" --root "$ROOT" --list-protected
	assert_success
	assert_line --index 1 "vfio-early-protected 3"
	assert_line --index 2 "machine none"
	assert_line --index 3 "status complete"
	assert_line --index 4 "device addr=0000:01:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (root=/dev/mapper/pve-root)"
	assert_line --index 5 "end devices=1 carriers=0"
	make_root shared-group
	run "$VFIO_EARLY" --root "$ROOT" --list-protected
	assert_success
	assert_line --index 4 --regexp "^device addr=0000:03:00.0 .* why=holds the root filesystem \(root=UUID=6b2d1c0e-1111-4222-8333-944455556666\)$"
	assert_line --regexp "^device addr=0000:02:00.0 .* why=in IOMMU group 11 with 0000:03:00.0$"
	assert_line --regexp "^device addr=0000:02:00.1 .* why=in IOMMU group 11 with 0000:03:00.0$"
	refute_line --regexp "^device addr=0000:00:1b.0"
}

@test "--list-protected resolves extra devices (ZFS vdevs) and rejects odd paths" {
	make_root turing-usbc
	run "$VFIO_EARLY" --root "$ROOT" --list-protected /dev/nvme1n1
	assert_success
	assert_line "device addr=0000:03:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (/dev/nvme1n1)"
	run "$VFIO_EARLY" --root "$ROOT" --list-protected /etc/passwd
	assert_equal "$status" 1
	assert_output --partial "/etc/passwd: not a /dev path"
}

@test "modules resolve from the root's lib/modules with softdeps and modprobe.d options, never inserted" {
	make_root proxmox-3090
	fake_modules
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci disable_vga=1" > "$ROOT/etc/modprobe.d/vfio.conf"
	set_config "ids 10de:2204"
	ve --yes
	assert_success
	run kmsg
	assert_line --regexp "^<6>vfio-early: would load /.*/lib/modules/$KVER/kernel/drivers/vfio/vfio.ko"
	assert_line --regexp "^<6>vfio-early: would load /.*/kernel/drivers/vfio/vfio_iommu_type1.ko"
	assert_line --regexp "^<6>vfio-early: would load /.*/kernel/drivers/vfio/pci/vfio-pci.ko disable_vga=1$"
	refute_line --partial "no such module"
}

@test "a missing vfio-pci module is an error line, the overrides still stand" {
	make_root proxmox-3090
	set_config "ids 10de:2204"
	ve --yes
	assert_success
	run kmsg
	assert_line "<3>vfio-early: vfio-pci: no such module for kernel 6.1.0-56-amd64 (is it in the initramfs?)"
}

@test "no /dev/kmsg: lines go to stderr" {
	make_root proxmox-3090
	rm "$ROOT/dev/kmsg"
	set_config "ids 10de:2204"
	ve --yes
	assert_success
	assert_line --partial "cannot open /dev/kmsg"
	assert_line --partial "vfio-early: summary: 0 bound, 2 overrides set"
}

@test "no /run: the run still succeeds" {
	make_root proxmox-3090
	rm -r "$ROOT/run"
	set_config "ids 10de:2204"
	ve --yes
	assert_success
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
}

@test "no rules at all: nothing to do" {
	make_root proxmox-3090
	before=$(snapshot)
	ve --yes
	assert_success
	assert_equal "$(changed_since "$before")" ""
	run kmsg
	assert_line "<6>vfio-early: no /etc/vfio-early.conf, using the kernel command line only"
	assert_line "<6>vfio-early: no rules: nothing to do"
}

@test "--config takes another file; a missing one is reported" {
	make_root two-cards
	printf 'address 0b:00\n' > "$BATS_TEST_TMPDIR/other.conf"
	ve --yes --config "$BATS_TEST_TMPDIR/other.conf"
	assert_success
	assert_equal "$(override 0000:0b:00.0)" "vfio-pci"
	ve --yes --config "$BATS_TEST_TMPDIR/missing.conf"
	assert_equal "$status" 2
	run kmsg
	assert_line --partial "missing.conf: No such file or directory, ignored"
}

@test "usage: --help, --version, bad options" {
	run "$VFIO_EARLY" --help
	assert_success
	assert_line --partial "Usage: vfio-early [OPTION...]"
	run "$VFIO_EARLY" --version
	assert_success
	assert_output --regexp '^vfio-early [0-9]'
	run "$VFIO_EARLY" --bogus
	assert_equal "$status" 1
	run "$VFIO_EARLY" stray-argument
	assert_equal "$status" 1
	run "$VFIO_EARLY" --root /nonexistent/dir
	assert_equal "$status" 1
}

@test "usage: two modes at once are refused, whatever their order; nothing is written" {
	make_root proxmox-3090
	run "$VFIO_EARLY" --root "$ROOT" --capture "$BATS_TEST_TMPDIR/cap" --report
	assert_equal "$status" 1
	assert_output "vfio-early: --capture and --report: one mode at a time
Try 'vfio-early --help' for more information."
	[ ! -e "$BATS_TEST_TMPDIR/cap" ]
	run "$VFIO_EARLY" --root "$ROOT" --report --import
	assert_equal "$status" 1
	assert_output "vfio-early: --report and --import: one mode at a time
Try 'vfio-early --help' for more information."
	run "$VFIO_EARLY" --root "$ROOT" --list-protected --report
	assert_equal "$status" 1
	run "$VFIO_EARLY" --root "$ROOT" --late /root --dry-run
	assert_equal "$status" 1
	assert_output --partial "--late is a boot-time pass of its own"
}

@test "a symlink loop in sysfs does not hang the walk" {
	make_root proxmox-3090
	ln -s loop2 "$ROOT/sys/bus/pci/devices/0000:00:1e.2"
	ln -s 0000:00:1e.2 "$ROOT/sys/bus/pci/devices/loop2"
	set_config "ids 10de:2204"
	timeout 10 "$VFIO_EARLY" --root "$ROOT" --yes
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
	run kmsg
	assert_line --partial "0000:00:1e.2: "
}

@test "vfio-pci's own ids= become rules under the safety policy; vfio-pci loads without them" {
	# The root disk's NVMe model in vfio-pci's ids (a recipe gone wrong):
	# loaded with ids=, vfio-pci would take the disk before its driver.
	make_root turing-usbc
	fake_modules
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci ids=10de:1e87,144d:a808 disable_vga=1" > "$ROOT/etc/modprobe.d/vfio.conf"
	set_cmdline "root=PARTUUID=5e1d2c3b-02 intel_iommu=on"
	ve --yes
	assert_equal "$status" 4
	assert_equal "$(override 0000:01:00.0)" "vfio-pci"
	assert_equal "$(override 0000:02:00.0)" "(null)"
	assert_equal "$(override 0000:03:00.0)" "(null)"
	run kmsg
	assert_line --regexp "^<6>vfio-early: would load /.*/kernel/drivers/vfio/pci/vfio-pci.ko disable_vga=1$"
	refute_line --partial "ids=10de"
	assert_line --partial "0000:02:00.0 [144d:a808] class 010802: refused: holds the root filesystem (root=PARTUUID=5e1d2c3b-02) (rule modprobe.d: options vfio-pci ids 144d:a808)"
	assert_line --partial "0000:03:00.0 [144d:a808] class 010802: refused: is a storage controller"
	# The boot's record names the rule in one word.
	in_initramfs
	ve
	run grep "^device addr=0000:01:00.0" "$ROOT/run/vfio-early/state"
	assert_output --partial "rule=modprobe.d:_options_vfio-pci_ids"
}

@test "the legacy ids from the command line and modprobe.d are one rule each" {
	make_root proxmox-3090
	fake_modules
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$TOP/tests/fixtures/modprobe/guide/vfio.conf" "$ROOT/etc/modprobe.d/"
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on vfio-pci.ids=10de:2204"
	run "$VFIO_EARLY" --root "$ROOT" --report
	assert_line "    cmdline vfio-pci.ids: 10de:2204, 1 device"
	assert_line "    modprobe.d: options vfio-pci ids: 10de:1aef, 1 device"
	refute_line "    modprobe.d: options vfio-pci ids: 10de:2204, 1 device"
}

# host_cmdline_run TEXT CMD...: CMD with TEXT bind-mounted over this
# machine's /proc/cmdline, in a private mount namespace (libkmod reads
# /proc/cmdline by its absolute path, whatever --root says).
host_cmdline_run() {
	local text=$1
	shift
	[ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2> /dev/null ||
		skip "needs root and mount namespaces (unshare)"
	printf '%s\n' "$text" > "$BATS_TEST_TMPDIR/host-cmdline"
	run unshare --mount --propagation private sh -c \
		'mount --bind "$1" /proc/cmdline && shift && exec "$@"' sh "$BATS_TEST_TMPDIR/host-cmdline" "$@"
}

@test "--root: the host's command line never reaches the test root (vfio_pci.ids, module options)" {
	make_root proxmox-3090
	fake_modules
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci disable_vga=1" > "$ROOT/etc/modprobe.d/vfio.conf"
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on vfio-pci.disable_idle_d3=1"
	set_config "ids 10de:2204"
	host_cmdline_run "BOOT_IMAGE=/vmlinuz vfio_pci.ids=dead:beef vfio_pci.nointxmask=1 modprobe.blacklist=vfio_pci" \
		"$VFIO_EARLY" --root "$ROOT" --dry-run --verbose
	assert_equal "$status" 0
	refute_output --partial "dead:beef"
	refute_output --partial "nointxmask"
	# the root's own: its modprobe.d, then its command line
	assert_line --regexp "would load /.*/kernel/drivers/vfio/pci/vfio-pci.ko disable_vga=1 disable_idle_d3=1$"
	host_cmdline_run "vfio_pci.ids=dead:beef" "$VFIO_EARLY" --root "$ROOT" --report
	refute_output --partial "dead:beef"
	assert_line --partial "modules for $KVER: vfio-pci (module)"
	host_cmdline_run "vfio_pci.ids=dead:beef" "$VFIO_EARLY" --root "$ROOT" --report --json
	refute_output --partial "dead:beef"
}

@test "an unreadable protected list fails closed: storage and its IOMMU groups are not touched" {
	make_root shared-group
	mkdir -p "$ROOT/lib/vfio-early/protected"	# a directory: read fails (EISDIR)
	set_cmdline "root=UUID=not-visible-yet intel_iommu=on"
	: > "$ROOT/proc/self/mountinfo"
	set_config "address 01:00" "address 02:00"
	ve
	assert_equal "$status" 6
	run kmsg
	assert_line --partial "<3>vfio-early: /lib/vfio-early/protected: Is a directory: no storage controller, nor anything in its IOMMU group, will be touched"
	assert_line --partial "protected list unverified: /lib/vfio-early/protected: Is a directory; no controller that can carry a disk is taken before the root is mounted"
	assert_line --partial "0000:02:00.0 [10de:1f82] class 030000: refused: goes with 0000:03:00.0 (a storage controller) and the protected list is unverified"
	# a card whose group holds no storage is still bound
	assert_equal "$(override 0000:01:00.0)" "vfio-pci"
	assert_equal "$(override 0000:02:00.0)" "(null)"
}

@test "rules that match nothing are named, the first twenty, also with no PCI device at all" {
	make_root two-cards
	for i in $(seq 1 30); do printf 'ids 1111:%04x\n' "$i"; done > "$ROOT/etc/vfio-early.conf"
	ve --yes
	assert_success
	run kmsg
	assert_line --partial "/etc/vfio-early.conf:20: 1111:0014 matches no device"
	refute_line --partial "/etc/vfio-early.conf:21: "
	assert_line --partial "10 more rules match no device"
	rm -rf "$ROOT"/sys/bus/pci/devices/*
	: > "$ROOT/dev/kmsg"
	ve --yes
	assert_success
	run kmsg
	assert_line --partial "/etc/vfio-early.conf:1: 1111:0001 matches no device"
}
