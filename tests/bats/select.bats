#!/usr/bin/env bats
# vfio-early select DEVICE|SLOT [--append]: the exact rule for a card, the
# dry run with it, the config written once, atomically, with its mode; a
# card that cannot be handed over says why.  And --report --all: every PCI
# device of the machine, by IOMMU group.

bats_require_minimum_version 1.5.0

load helper

sel() { run --separate-stderr "$VFIO_EARLY" select --root "$ROOT" "$@"; }

@test "the guide's 3090: the slot's address, and the dry run binds both functions" {
	make_root proxmox-3090
	for tok in 09:00 0000:09:00 09:00.0 0000:09:00.1; do
		sel "$tok"
		assert_success
		assert_line --index 0 "card: 0000:09:00.0 [10de:2204] 0000:09:00.1 [10de:1aef]"
		assert_line --index 1 "rule: address 0000:09:00"
		assert_line --index 2 "dry run of /etc/vfio-early.conf with the rule added:"
		assert_line --partial "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nouveau)"
		assert_line --partial "0000:09:00.1 [10de:1aef] class 040300: would bind to vfio-pci (now snd_hda_intel)"
		assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
		assert_line --regexp "^to add it: vfio-early select --append 0000:09:00(\.[01])?$"
	done
	# a dry run writes nothing
	[ ! -e "$ROOT/etc/vfio-early.conf" ]
}

@test "two identical cards: each card's own slot, allow-boot-vga for the boot display" {
	make_root two-cards
	sel 0b:00
	assert_success
	assert_line --index 1 "rule: address 0000:0b:00"
	assert_line --partial "0000:0b:00.0 [10de:2204] class 030000: would bind to vfio-pci"
	refute_line --partial "0000:0a:00.0 [10de:2204] class 030000: would bind"
	sel 0a:00
	assert_success
	assert_line --index 1 "rule: address 0000:0a:00 allow-boot-vga"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "an APU: the ids of its graphics, not its slot, and the chipset's functions stay" {
	make_root apu-phoenix-rtx4060
	sel 05:00
	# the chipset's functions stay in the APU's IOMMU group: the dry run says
	# no VM can use it, with the status --report gives a shared group
	assert_failure 4
	assert_line --index 0 "card: 0000:05:00.0 [1002:15bf] 0000:05:00.1 [1002:1640]"
	assert_line --index 1 "not of the card, left to the host: 0000:05:00.2 0000:05:00.3 0000:05:00.4 0000:05:00.5 0000:05:00.6"
	assert_line --index 2 "rule: ids 1002:15bf allow-boot-vga"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors, 1 IOMMU group no VM can use (exit 4)"
	# the laptop's NVIDIA card is its slot
	sel 01:00
	assert_success
	assert_line --index 1 "rule: address 0000:01:00"
}

@test "--append writes the rule once, with its provenance, keeping the file's mode" {
	make_root proxmox-3090
	printf '# mine\nids 1234:5678' > "$ROOT/etc/vfio-early.conf"	# no final newline
	chmod 0640 "$ROOT/etc/vfio-early.conf"
	sel --append 09:00
	assert_success
	assert_line --index 1 "rule: address 0000:09:00"
	assert_line "added to /etc/vfio-early.conf"
	assert_line --partial "0000:09:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nouveau) (rule /etc/vfio-early.conf:4 0000:09:00)"
	assert_line "next: rebuild the initramfs and reboot"
	assert_equal "$(cat "$ROOT/etc/vfio-early.conf")" "# mine
ids 1234:5678
# added by vfio-early select 0000:09:00
address 0000:09:00"
	assert_equal "$(stat -c %a "$ROOT/etc/vfio-early.conf")" 640
	# no temporary file left beside it
	assert_equal "$(ls "$ROOT/etc")" "vfio-early.conf"

	before=$(md5sum < "$ROOT/etc/vfio-early.conf")
	sel --append 09:00.1
	assert_failure 1
	assert_equal "$stderr" "vfio-early: select: /etc/vfio-early.conf:4 already has this rule; not added again"
	assert_equal "$(md5sum < "$ROOT/etc/vfio-early.conf")" "$before"

	# without --append, the same rule is only checked
	sel 09:00
	assert_success
	assert_line "dry run of /etc/vfio-early.conf, which has it already:"
}

@test "--append creates a missing config, and --config names another file" {
	make_root proxmox-3090
	sel 09:00 --append
	assert_success
	assert_equal "$(cat "$ROOT/etc/vfio-early.conf")" "# added by vfio-early select 0000:09:00
address 0000:09:00"
	conf=$BATS_TEST_TMPDIR/other.conf
	run --separate-stderr "$VFIO_EARLY" select --root "$ROOT" --config "$conf" --append 09:00.1
	assert_success
	assert_line "added to $conf"
	assert_equal "$(cat "$conf")" "# added by vfio-early select 0000:09:00.1
address 0000:09:00"
}

@test "a bad token is named, and nothing is read or written" {
	make_root proxmox-3090
	for tok in 9:00 09:0 0000:09:00.8 09:00.0.1 10de:2204 09:00: 000:09:00.0 gpu; do
		sel --append "$tok"
		assert_failure 1
		assert_equal "$stderr" "vfio-early: select: '$tok': not a PCI device or slot (0000:09:00.0, 09:00.0 or 09:00)"
		assert_output ""
	done
	sel 09:20
	assert_failure 1
	assert_equal "$stderr" "vfio-early: select: '09:20': slot must be 00-1f"
	sel 0a:00
	assert_failure 1
	assert_equal "$stderr" "vfio-early: select: 0000:0a:00: no PCI device there"
	sel
	assert_failure 1
	assert_equal "$stderr" "vfio-early: select: which device? (0000:09:00.0, 09:00.0 or 09:00)"
	[ ! -e "$ROOT/etc/vfio-early.conf" ]
}

@test "a card that cannot be handed over exits 4 and says why, with no rule to paste" {
	make_root shared-group
	sel --append 02:00
	assert_failure 4
	assert_line --index 0 "card: 0000:02:00.0 [10de:1f82] 0000:02:00.1 [10de:10fa]"
	assert_line --index 1 "cannot hand over: 0000:02:00.0 shares IOMMU group 11 with 0000:03:00.0, which holds the root filesystem (root=UUID=6b2d1c0e-1111-4222-8333-944455556666)"
	refute_line --partial "rule:"
	[ ! -e "$ROOT/etc/vfio-early.conf" ]
	# the root disk's own controller
	make_root proxmox-3090
	sel 01:00
	assert_failure 4
	assert_line --index 1 "cannot hand over: 0000:01:00.0 holds the root filesystem (root=/dev/mapper/pve-root)"
}

@test "--report --all lists every PCI device of the fixture with its IOMMU group and driver" {
	for spec in proxmox-3090 apu-phoenix-rtx4060 two-cards; do
		make_root "$spec"
		run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --all
		assert_success
		n=$(grep -c '^pci ' "$BATS_TEST_TMPDIR/spec")
		assert_equal "$(grep -c '^  [0-9a-f]\{4\}:' <<< "$output")" "$n"
		while read -r _ addr rest; do
			group=$(grep -o 'group=[0-9]*' <<< "$rest" | cut -d= -f2)
			drv=$(grep -o 'driver=[^ ]*' <<< "$rest" | cut -d= -f2)
			ids=$(grep -o 'ids=[^ ]*' <<< "$rest" | cut -d= -f2)
			# the device's line follows its group's heading
			got=$(awk -v a="  $addr " '/^IOMMU group / { g = $3 } /^no IOMMU group/ { g = "none" }
				index($0, a) == 1 { print g }' <<< "$output")
			assert_equal "$got" "${group:-none}"
			assert_line --partial "  $addr [$ids] "
			assert_line --regexp "^  $addr .*; driver ${drv:-none}(;|$)"
		done < <(grep '^pci ' "$BATS_TEST_TMPDIR/spec")
	done
	make_root proxmox-3090
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --all
	assert_line --index 0 "14 PCI devices, 9 IOMMU groups"
	assert_line "IOMMU group 14"
	assert_line "  0000:09:00.0 [10de:2204] VGA compatible controller [0300]; driver nouveau"
	assert_line "  0000:01:00.0 [144d:a808] Non-Volatile memory controller [0108]; driver nvme"
}

@test "--report --all --json: the same devices, and names from pci.ids" {
	make_root proxmox-3090
	fake_pciids
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --all --json
	assert_success
	assert_equal "$(jq '.devices | length' <<< "$output")" "$(grep -c '^pci ' "$BATS_TEST_TMPDIR/spec")"
	assert_equal "$(jq -r '.devices[] | select(.address == "0000:09:00.0") | "\(.iommu_group) \(.ids) \(.driver) \(.device_name)"' <<< "$output")" \
		"14 10de:2204 nouveau GA102 [GeForce RTX 3090]"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --all
	assert_line "  0000:09:00.0 [10de:2204] VGA compatible controller [0300]: NVIDIA Corporation GA102 [GeForce RTX 3090]; driver nouveau"
}

@test "--all goes with --report only" {
	make_root proxmox-3090
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run --all
	assert_failure 1
	assert_equal "$stderr" "vfio-early: --all goes with --report
Try 'vfio-early --help' for more information."
}

@test "a card whose group holds only the rest of its slot (another maker's audio): the slot" {
	make_root proxmox-3090 "pci 0000:0c:00.0 parent=0000:00:1d.0 ids=1234:1111 class=030000 group=30 driver=bochs-drm
pci 0000:0c:00.1 parent=0000:00:1d.0 ids=8086:293e class=040300 group=30 driver=snd_hda_intel"
	for tok in 0c:00 0c:00.0; do
		sel "$tok"
		assert_success
		assert_line --index 0 "card: 0000:0c:00.0 [1234:1111]"
		assert_line --index 1 "in its IOMMU group and slot, taken along (a VM needs the group whole): 0000:0c:00.1"
		assert_line --index 2 "rule: address 0000:0c:00"
		assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	done
}

@test "bash completion offers select as the first word, then select's own options" {
	# shellcheck disable=SC1091
	. "$TOP/completion/vfio-early.bash"
	COMP_WORDS=(vfio-early se)
	COMP_CWORD=1
	_vfio_early
	assert_equal "${COMPREPLY[*]}" "select"
	COMP_WORDS=(vfio-early select --ap)
	COMP_CWORD=2
	_vfio_early
	assert_equal "${COMPREPLY[*]}" "--append"
	COMP_WORDS=(vfio-early --report --al)
	COMP_CWORD=2
	_vfio_early
	assert_equal "${COMPREPLY[*]}" "--all"
}
