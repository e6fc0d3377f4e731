#!/usr/bin/env bats
# Hostile and odd inputs under --root: attributes with garbage, empty,
# overlong (64 KiB) or unterminated contents; symlink loops; a tree with no
# PCI device; configs of 1 MiB, over 4 MiB and with a NUL byte; command
# lines of 4 KiB with hundreds of tokens and over 64 KiB.  Each case: no
# crash or hang, the documented exit status, a clear log line, no write
# outside the files vfio-early may write.

load ../bats/helper
load faults

setup() {
	make_root proxmox-3090
	set_config "ids 10de:2204"
}

# put_attr FILE KIND: garbage | empty | overlong | unterminated VALUE
put_attr() {
	case $2 in
	garbage) printf '\x01\x02garbage\xff\xfe\x00\x1b[31m\n' > "$1" ;;
	empty) : > "$1" ;;
	overlong) head -c 65536 /dev/zero | tr '\0' 'A' > "$1" ;;
	unterminated) printf '%s' "$3" > "$1" ;;
	esac
}

@test "modalias garbage, empty or 64 KiB: the device is skipped with a line; unterminated is fine" {
	for kind in garbage empty overlong; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		put_attr "$(gpu_dir $GPU)/modalias" $kind
		before=$(snapshot)
		vet --yes
		[ "$status" -eq 0 ] || fail "$kind: exit $status"
		assert_kmsg_line "<4>vfio-early: 0000:09:00.0: malformed modalias or ids, skipped"
		assert_kmsg_line "<5>vfio-early: /etc/vfio-early.conf:1: 10de:2204 matches no device"
		assert_equal "$(changed_since "$before")" ""
	done
	make_root proxmox-3090
	set_config "ids 10de:2204"
	put_attr "$(gpu_dir $GPU)/modalias" unterminated "pci:v000010DEd00002204sv000010DEsd00001492bc03sc00i00"
	vet --yes
	assert_success
	assert_equal "$(override $GPU)" "vfio-pci"
}

@test "no modalias and garbage, empty or 64 KiB ids: skipped with a line" {
	for kind in garbage empty overlong; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		rm "$(gpu_dir $GPU)/modalias"
		put_attr "$(gpu_dir $GPU)/device" $kind
		before=$(snapshot)
		vet --yes
		[ "$status" -eq 0 ] || fail "$kind: exit $status"
		assert_kmsg_line "<4>vfio-early: 0000:09:00.0: malformed modalias or ids, skipped"
		assert_equal "$(changed_since "$before")" ""
	done
	make_root proxmox-3090
	set_config "ids 10de:2204"
	rm "$(gpu_dir $GPU)/modalias"
	for a in vendor device class; do
		put_attr "$(gpu_dir $GPU)/$a" unterminated "$(cat "$(gpu_dir $GPU)/$a")"
	done
	vet --yes
	assert_success
	assert_equal "$(override $GPU)" "vfio-pci"
}

@test "driver_override garbage or 64 KiB: said, treated as empty, overwritten" {
	for kind in garbage overlong; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		put_attr "$(gpu_dir $GPU)/driver_override" $kind
		before=$(snapshot)
		vet --yes
		[ "$status" -eq 0 ] || fail "$kind: exit $status"
		assert_kmsg_line "<4>vfio-early: 0000:09:00.0: malformed driver_override, treated as empty"
		assert_equal "$(override $GPU)" "vfio-pci"
		assert_writes_only_allowed "$before"
	done
	for kind in empty unterminated; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		put_attr "$(gpu_dir $GPU)/driver_override" $kind "(null)"
		vet --yes
		[ "$status" -eq 0 ] || fail "$kind: exit $status"
		assert_equal "$(override $GPU)" "vfio-pci"
	done
}

@test "boot_vga garbage, empty or 64 KiB: treated as the boot display (refused), exit 4" {
	for kind in garbage empty overlong; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		put_attr "$(gpu_dir $GPU)/boot_vga" $kind
		before=$(snapshot)
		vet --yes
		[ "$status" -eq 4 ] || fail "$kind: exit $status"
		assert_kmsg_partial "0000:09:00.0: unreadable boot_vga ("
		assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: is the boot VGA device"
		assert_equal "$(changed_since "$before")" ""
	done
	# "0" without a newline is a normal value.
	make_root proxmox-3090
	set_config "ids 10de:2204"
	put_attr "$(gpu_dir $GPU)/boot_vga" unterminated 0
	vet --yes
	assert_success
}

@test "iommu_group link to garbage: said, refused as having no group, exit 4" {
	ln -sfn '../../../../kernel/iommu_groups/x;rm -rf' "$(gpu_dir $GPU)/iommu_group"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 4
	assert_kmsg_line "<4>vfio-early: 0000:09:00.0: malformed iommu_group link, treated as none"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: has no IOMMU group"
	assert_equal "$(changed_since "$before")" ""
}

@test "driver link to an odd name: said, nothing unbound blindly" {
	ln -sfn '../../../../bus/pci/drivers/bad name!' "$(gpu_dir $GPU)/driver"
	before=$(snapshot)
	vet --yes
	assert_success
	assert_kmsg_line "<4>vfio-early: 0000:09:00.0: unreadable driver link (Invalid argument)"
	# Its driver unknown, nothing is unbound: the override waits for the probe.
	assert_equal "$(override $GPU)" "vfio-pci"
	[ ! -s "$ROOT/sys/bus/pci/drivers/nouveau/unbind" ]
	assert_writes_only_allowed "$before"
}

@test "kernel release garbage or 64 KiB: module loading says so, overrides stand" {
	for kind in garbage overlong; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		put_attr "$ROOT/proc/sys/kernel/osrelease" $kind
		before=$(snapshot)
		vet --yes
		assert_writes_only_allowed "$before"
		[ "$status" -eq 0 ] || fail "$kind: exit $status"
		assert_equal "$(override $GPU)" "vfio-pci"
		assert_kmsg_partial "vfio-early: summary: 0 bound, 2 overrides set (test root)"
	done
	make_root proxmox-3090
	set_config "ids 10de:2204"
	printf '../../../etc\n' > "$ROOT/proc/sys/kernel/osrelease"
	vet --yes
	assert_success
	assert_kmsg_line "<3>vfio-early: cannot tell the kernel release"
	assert_equal "$(override $GPU)" "vfio-pci"
}

@test "command line of binary garbage: no crash, nothing bound from it" {
	head -c 4096 /dev/urandom > "$BATS_TEST_TMPDIR/noise"
	for f in "$BATS_TEST_TMPDIR/noise" "$TOP/tests/fuzz/corpus/cmdline/nul-inside"; do
		make_root proxmox-3090
		cp "$f" "$ROOT/proc/cmdline"
		before=$(snapshot)
		vet --yes
		assert_sane_status
		assert_writes_only_allowed "$before"
		grep -q "summary" "$ROOT/dev/kmsg" || grep -q "no rules: nothing to do" "$ROOT/dev/kmsg" ||
			fail "no summary line"
	done
}

# A list whose entry names the 3090 (the guide's card) as protected.
list_head='vfio-early-protected 3\nmachine none\nstatus complete\n'
list_3090='device addr=0000:09:00.0 path=0000:00:01.0/00.0 ids=10de:2204 sub=10de:1492 class=030000 why=listed by the image build\n'

@test "protected list of garbage: each bad line named, exit 2, the rest applies" {
	mkdir -p "$ROOT/lib/vfio-early"
	: > "$ROOT/proc/self/mountinfo"	# early boot: the list decides
	printf "$list_head$list_3090"'\x01\x02garbage\ndevice addr=09:00 path=- ids=10de:2204 sub=10de:1492 class=030000 why=x\nend devices=2 carriers=0\n' > "$ROOT/lib/vfio-early/protected"
	before=$(snapshot)
	vet
	assert_equal "$status" 6
	assert_kmsg_partial "/lib/vfio-early/protected:5: "
	assert_kmsg_line "<4>vfio-early: /lib/vfio-early/protected:6: 09:00: not a PCI address"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: listed by the image build"
	assert_kmsg_partial "protected list unverified: /lib/vfio-early/protected:5 is malformed (unknown line)"
	assert_equal "$(changed_since "$before")" ""
}

@test "protected list: an old-format, comment-only, truncated or foreign list is unverified" {
	mkdir -p "$ROOT/lib/vfio-early"
	: > "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/sys/class/dmi/id"
	echo 4c4c4544-0051-3510-8057-b4c04f4e3732 > "$ROOT/sys/class/dmi/id/product_uuid"
	for list in '0000:09:00.0 # old\n' '# nothing\n' "$list_head$list_3090" \
		"vfio-early-protected 3\nmachine 11111111-2222-3333-4444-555555555555\nstatus complete\n${list_3090}end devices=1 carriers=0\n" \
		"vfio-early-protected 3\nmachine none\nstatus incomplete\n${list_3090}missing /home: no PCI controller found\nend devices=1 carriers=0\n"; do
		printf "$list" > "$ROOT/lib/vfio-early/protected"
		: > "$ROOT/dev/kmsg"
		vet
		assert_kmsg_partial "protected list unverified: "
	done
	run kmsg
	assert_line --partial "unverified: the image build found no controller for /home: no PCI controller found"
	printf "vfio-early-protected 3\nmachine 4C4C4544-0051-3510-8057-B4C04F4E3732\nstatus complete\n${list_3090}end devices=1 carriers=0\n" > "$ROOT/lib/vfio-early/protected"
	: > "$ROOT/dev/kmsg"
	vet
	assert_kmsg_partial "protected list verified: 1 device (machine 4c4c4544-0051-3510-8057-b4c04f4e3732)"
}

@test "protected list: exactly 64 KiB is read, one byte more is refused as too large" {
	mkdir -p "$ROOT/lib/vfio-early"
	: > "$ROOT/proc/self/mountinfo"
	{ printf "$list_head$list_3090"'end devices=1 carriers=0\n'; head -c $((65536 - 196)) /dev/zero | tr '\0' '#'; } > "$ROOT/lib/vfio-early/protected"
	[ "$(stat -c %s "$ROOT/lib/vfio-early/protected")" -eq 65536 ]
	before=$(snapshot)
	vet
	assert_equal "$(changed_since "$before")" ""
	assert_equal "$status" 4
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: listed by the image build"
	echo >> "$ROOT/lib/vfio-early/protected"
	: > "$ROOT/dev/kmsg"
	vet
	# An unreadable list fails closed: rule error, storage untouched, the
	# 3090's group holds none, so it is bound.
	assert_equal "$status" 2
	assert_kmsg_line "<3>vfio-early: /lib/vfio-early/protected: too large: no storage controller, nor anything in its IOMMU group, will be touched"
	assert_equal "$(override 0000:09:00.0)" "vfio-pci"
}

@test "mountinfo of garbage: no crash, the root= resolution still protects" {
	head -c 65536 /dev/urandom > "$ROOT/proc/self/mountinfo"
	set_config "address 01:00.0"
	before=$(snapshot)
	vet
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	assert_kmsg_partial "0000:01:00.0 [144d:a808] class 010802: refused: holds the root filesystem"
}

@test "symlink loops: the device directory, its driver and group links, the inputs" {
	# The GPU's directory is a link to itself: the walk skips it.
	d=$(gpu_dir $GPU)
	mv "$d" "$d.real"
	ln -s "$GPU" "$d"
	before=$(snapshot)
	vet --yes
	assert_success
	assert_equal "$(changed_since "$before")" ""
	assert_kmsg_line "<4>vfio-early: 0000:09:00.0: Too many levels of symbolic links, skipped"

	# driver -> driver: a name that is no driver; the unbind meets the loop.
	make_root proxmox-3090
	set_config "ids 10de:2204"
	ln -sfn driver "$(gpu_dir $GPU)/driver"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 8
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: FAILED: unbinding from driver: Too many levels of symbolic links"
	assert_writes_only_allowed "$before"

	# iommu_group -> iommu_group
	make_root proxmox-3090
	set_config "ids 10de:2204"
	ln -sfn iommu_group "$(gpu_dir $GPU)/iommu_group"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	assert_kmsg_line "<4>vfio-early: 0000:09:00.0: malformed iommu_group link, treated as none"

	# The group's devices directory is a loop.
	make_root proxmox-3090
	set_config "ids 10de:2204"
	rm -r "$ROOT/sys/kernel/iommu_groups/14/devices"
	ln -s devices "$ROOT/sys/kernel/iommu_groups/14/devices"
	before=$(snapshot)
	vet --yes
	assert_success
	assert_equal "$(override $GPU)" "vfio-pci"
	assert_writes_only_allowed "$before"

	# The config, the command line and the protected list are loops.
	make_root proxmox-3090
	ln -s vfio-early.conf "$ROOT/etc/vfio-early.conf"
	rm "$ROOT/proc/cmdline"
	ln -s cmdline "$ROOT/proc/cmdline"
	mkdir -p "$ROOT/lib/vfio-early"
	ln -s protected "$ROOT/lib/vfio-early/protected"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: cannot read /proc/cmdline: Too many levels of symbolic links"
	assert_kmsg_line "<4>vfio-early: /etc/vfio-early.conf: Too many levels of symbolic links, ignored"
	assert_equal "$(changed_since "$before")" ""
}

@test "block devices stacked on themselves: the climb stops, the rest is protected" {
	make_root proxmox-3090 "vblock dm-7 dev=253:7 slaves=nvme0n1p3 mapper=loop"
	ln -s ../../dm-7 "$ROOT/sys/devices/virtual/block/dm-7/slaves/dm-7"
	set_cmdline "root=/dev/mapper/loop vfio_early.devices=01:00.0"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 4
	assert_equal "$(changed_since "$before")" ""
	assert_kmsg_line "<4>vfio-early: the root filesystem (root=/dev/mapper/loop): block devices stacked too deep, stopped"
	assert_kmsg_partial "0000:01:00.0 [144d:a808] class 010802: refused: holds the root filesystem"
	run timeout "$VE_TIMEOUT" "$VFIO_EARLY" --root "$ROOT" --list-protected /dev/mapper/loop
	assert_sane_status
	assert_line --regexp "^device addr=0000:01:00.0 .* why=holds the root filesystem"
}

@test "a machine with no PCI device at all: nothing to do, exit 0" {
	rm -f "$ROOT"/sys/bus/pci/devices/*
	before=$(snapshot)
	vet --yes
	assert_success
	assert_equal "$(changed_since "$before")" ""
	assert_kmsg_line "<5>vfio-early: summary: 0 bound, 0 failed, 0 refused, 0 rule errors (exit 0)"
	run timeout "$VE_TIMEOUT" "$VFIO_EARLY" --root "$ROOT" --list-protected
	assert_sane_status
	run timeout "$VE_TIMEOUT" "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_success
}

@test "config of 1 MiB: 4096 rules taken, the rest named and counted, exit 2" {
	awk 'BEGIN { for (i = 0; i < 80000; i++) printf "ids 10de:%04x\n", i % 65536 }' |
		head -c 1048576 > "$ROOT/etc/vfio-early.conf"
	echo "ids 10de:2204" >> "$ROOT/etc/vfio-early.conf"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 2
	assert_kmsg_partial "/etc/vfio-early.conf:4097: 10de:1000: too many rules (at most 4096), ignored"
	assert_kmsg_partial "more rule errors not shown"
	assert_equal "$(override $GPU)" "(null)"
	assert_writes_only_allowed "$before"
}

@test "config of 1 MiB of comments, then a rule: the rule applies" {
	awk 'BEGIN { for (i = 0; i < 16384; i++) printf "# %061d\n", i }' > "$ROOT/etc/vfio-early.conf"
	echo "ids 10de:2204" >> "$ROOT/etc/vfio-early.conf"
	[ "$(stat -c %s "$ROOT/etc/vfio-early.conf")" -gt 1048576 ]
	before=$(snapshot)
	vet --yes
	assert_success
	assert_writes_only_allowed "$before"
	assert_kmsg_partial "(rule /etc/vfio-early.conf:16385 10de:2204)"
	assert_equal "$(override $GPU)" "vfio-pci"
}

@test "config of one 1 MiB line, and one over 4 MiB: refused with a line, exit 2" {
	{ printf 'ids '; head -c 1048576 /dev/zero | tr '\0' 'x'; printf '\nids 10de:2204\n'; } > "$ROOT/etc/vfio-early.conf"
	before=$(snapshot)
	vet --yes
	assert_writes_only_allowed "$before"
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: /etc/vfio-early.conf:1: ids xxxxxxxxxxxx: line too long (over 4096 bytes), ignored"
	assert_equal "$(override $GPU)" "vfio-pci"

	make_root proxmox-3090
	head -c $((4 * 1048576 + 1)) /dev/zero | tr '\0' '#' > "$ROOT/etc/vfio-early.conf"
	before=$(snapshot)
	vet --yes
	assert_equal "$(changed_since "$before")" ""
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: /etc/vfio-early.conf: larger than 4 MiB, ignored"
}

@test "config with a NUL byte: that line is named and skipped, the others apply, exit 2" {
	printf 'ids 10de:1aef\naddress 09:00\x00.0\nids 10de:2204\n' > "$ROOT/etc/vfio-early.conf"
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: /etc/vfio-early.conf:2: address 09:00: NUL byte, line ignored"
	assert_equal "$(override $GPU)" "vfio-pci"
	assert_writes_only_allowed "$before"
}

@test "command line of 4 KiB with hundreds of tokens: all read, duplicates harmless" {
	line="root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt"
	for i in $(seq 1 100); do
		line="$line vfio_early.ids=10de:2204 x$i=y acpi=$i"
	done
	set_cmdline "$line vfio-pci.ids=10de:1aef"
	[ "$(stat -c %s "$ROOT/proc/cmdline")" -gt 3800 ]
	[ "$(wc -w < "$ROOT/proc/cmdline")" -gt 300 ]
	set_config ""
	before=$(snapshot)
	vet --yes
	assert_success
	assert_equal "$(override $GPU)" "vfio-pci"
	assert_equal "$(override $AUDIO)" "vfio-pci"
	assert_kmsg_partial "summary: 0 bound, 2 overrides set (test root), 0 failed, 0 refused, 0 rule errors (exit 0)"
	assert_writes_only_allowed "$before"
}

@test "command line of 4 KiB of bad tokens: 20 named, the rest counted, exit 2" {
	line="root=/dev/mapper/pve-root"
	for i in $(seq 1 300); do
		line="$line vfio_early.devices=zz:$i"
	done
	set_cmdline "${line:0:4096}"
	set_config ""
	before=$(snapshot)
	vet --yes
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: /proc/cmdline: vfio_early.devices: zz:1: bus must be 1-2 hex digits; the whole list is ignored"
	assert_equal "$(grep -c 'bus must be' "$ROOT/dev/kmsg")" 20
	assert_kmsg_partial "more rule errors not shown"
	assert_equal "$(changed_since "$before")" ""
}

@test "command line over 64 KiB: said, the config still applies" {
	{ printf 'vfio_early.ids=10de:1aef '; head -c 70000 /dev/zero | tr '\0' 'q'; } > "$ROOT/proc/cmdline"
	before=$(snapshot)
	vet --yes
	assert_writes_only_allowed "$before"
	assert_success
	assert_kmsg_line "<4>vfio-early: cannot read /proc/cmdline: File too large"
	assert_equal "$(override $GPU)" "vfio-pci"
}
