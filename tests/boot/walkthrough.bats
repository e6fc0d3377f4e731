#!/usr/bin/env bats
# The README's "Set up passthrough" walkthrough on the QEMU host of the
# demo (lib/boot.bash: q35 with VT-d, a boot display, two identical "GPUs",
# an NVMe, the root on virtio-blk), its commands taken from the README
# itself, the guide's 09:00 read as the demo's card 1 at 01:00:
#   boot "before": an image with vfio-early and no config; the real root
#     runs the steps find, select (--append writes the config) and check;
#   the steps rebuild and reboot happen here: an image with the config the
#     guest wrote, then boot "after", whose root runs the verify step and the
#     undo step's commands (the rule removed, the dry run);
#   then the image with the config the undo left, and boot "undone".
# The guest's first program is guest/walkthrough.sh; everything else is
# lib/boot.bash's (used, not changed).

load lib/boot

bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/walkthrough
# shellcheck disable=SC2034 # read by boot.bash (vfe_record_image)
VFE_KIND=itools
README=$VFE_TOP/README.md
WALK_SLOT=${VFE_CARD1_VGA%.*}		# 0000:01:00

# walk_steps: "STEP<TAB>COMMAND" of the README's walkthrough blocks, the
# guide's card (09:00) replaced by the demo's card 1.
walk_steps()
{
	awk '/^<!-- walkthrough [a-z]+ -->$/ { step = $3; want = 1; next }
		want && /^```sh$/ { on = 1; next }
		on && /^```$/ { on = 0; want = 0; next }
		on { print step "\t" $0 }' "$README" | sed "s/09:00/${WALK_SLOT#0000:}/g"
}

# walk_rootfs: the test root of lib/boot.bash's vfe_rootfs_tree with
# guest/walkthrough.sh, the steps, and lspci with pci.ids; cached.
walk_rootfs()
{
	local key out dir bin f lib libs=()
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$({
		echo "walk-root 1 ${VFE_ROOTFS##*/}"
		declare -f vfe_rootfs_tree walk_rootfs
		walk_steps
		sha256sum "$VFE_GUEST/walkthrough.sh" "$VFE_GUEST/init" "$bin" "$(command -v lspci)" \
			/usr/share/misc/pci.ids | cut -d' ' -f1
	} | sha256sum | head -c 16)
	out=$VFE_CACHE/walk-root-$key.ext4
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE"/walk-root-*.ext4
	dir=$(mktemp -d)
	{
		vfe_rootfs_tree "$dir" "$bin" "${libs[@]}" &&
			install -m 0755 "$VFE_GUEST/walkthrough.sh" "$dir/lib/vfio-early-test/walkthrough.sh" &&
			walk_steps >"$dir/lib/vfio-early-test/walkthrough.steps" &&
			ln -s busybox "$dir/bin/tr" &&
			install -D -m 0644 /usr/share/misc/pci.ids "$dir/usr/share/misc/pci.ids"
	} >&2 || { rm -rf "$dir"; return 1; }
	f=$(command -v lspci)
	install -D -m 0755 "$(readlink -f "$f")" "$dir$f" || { rm -rf "$dir"; return 1; }
	while read -r lib; do
		[ -e "$dir$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib"
	done < <(vfe_libs "$f")
	truncate -s 160M "$out.tmp"
	if ! mke2fs -q -F -t ext4 -U "$VFE_ROOT_UUID" -L vfe-root -d "$dir" "$out.tmp" >&2; then
		rm -rf "$dir" "$out.tmp"
		return 1
	fi
	rm -rf "$dir"
	mv -f "$out.tmp" "$out"
	echo "$out"
}

# walk_root_with NAME CONFIG: a copy of the walkthrough's root whose
# /etc/vfio-early.conf is CONFIG: the disk of the host that wrote it (the
# guest's own disk is a snapshot, its writes gone with the boot).
walk_root_with()
{
	local out=$BATS_FILE_TMPDIR/$1.ext4
	cp --sparse=always "$WALK_ROOTFS" "$out" || return 1
	printf 'cd /etc\nwrite %s vfio-early.conf\n' "$2" >"$BATS_FILE_TMPDIR/$1.debugfs"
	debugfs -w -f "$BATS_FILE_TMPDIR/$1.debugfs" "$out" >/dev/null 2>&1 || return 1
	echo "$out"
}

# vfe_qemu_args_walk IOMMU: the demo's host with the walkthrough's root
# (booted as IOMMU@walk).
vfe_qemu_args_walk()
{
	local VFE_ROOTFS=${WALK_BOOT_ROOTFS:-$WALK_ROOTFS}
	vfe_qemu_args "$1"
}

# walk_conf NAME: the config the guest of boot NAME left (CONF lines).
walk_conf()
{
	sed -n 's/^CONF \(.*\)$/\1/p; s/^CONF $//p' "$VFE_OUT/$1.result"
}

# walk_out NAME STEP: what STEP's commands printed in boot NAME, with a
# "exit=STATUS" line after each command.
walk_out()
{
	awk -v s="$2" '$1 == "WALK-BEGIN" && $2 == s { on = 1; next }
		$1 == "WALK-END" && $2 == s { on = 0; print $4; next }
		on' "$VFE_OUT/$1.report"
}

setup_file()
{
	local missing stage prot img conf
	export WALK_SKIP=""
	missing=$(vfe_missing_tools "${VFE_BOOT_TOOLS[@]}" mkinitramfs lspci debugfs)
	[ -r /usr/share/seabios/bios-256k.bin ] || missing="$missing seabios"
	[ -r /usr/share/misc/pci.ids ] || missing="$missing pci.ids"
	if [ -n "${missing# }" ]; then
		WALK_SKIP="not installed: ${missing# }"
		return 0
	fi
	vfe_kver >/dev/null || { WALK_SKIP="no kernel image with modules in /boot"; return 0; }
	mkdir -p "$VFE_OUT"
	rm -f "$VFE_OUT"/*
	stage=$BATS_FILE_TMPDIR/stage
	vfe_stage "$stage" || return 1
	VFE_ROOTFS_BIN=$stage/usr/sbin/vfio-early
	[ ! -x "$stage/usr/lib/vfio-early/vfio-early-static" ] ||
		VFE_ROOTFS_BIN=$stage/usr/lib/vfio-early/vfio-early-static
	export VFE_ROOTFS_BIN
	vfe_prepare || return 1
	prot=$(vfe_guest_protected) || return 1
	WALK_ROOTFS=$(walk_rootfs) || return 1
	export WALK_ROOTFS

	img=$(vfe_image itools noconf "$stage" "" "$prot" test "$VFE_KVER") || return 1
	vfe_boot before "$img" 1@walk init=/lib/vfio-early-test/walkthrough.sh vfe_walk.steps=find,select,check
	# rebuild: the image with the config the guest wrote; reboot
	conf=$BATS_FILE_TMPDIR/after.conf
	walk_conf before >"$conf"
	img=$(vfe_image itools walk-after "$stage" "$conf" "$prot" test "$VFE_KVER") || return 1
	WALK_BOOT_ROOTFS=$(walk_root_with after "$conf") || return 1
	vfe_boot after "$img" 1@walk init=/lib/vfio-early-test/walkthrough.sh vfe_walk.steps=verify,undo
	conf=$BATS_FILE_TMPDIR/undone.conf
	walk_conf after >"$conf"
	img=$(vfe_image itools walk-undone "$stage" "$conf" "$prot" test "$VFE_KVER") || return 1
	WALK_BOOT_ROOTFS=$(walk_root_with undone "$conf") || return 1
	vfe_boot undone "$img" 1@walk
}

setup()
{
	[ -z "${WALK_SKIP:-}" ] || skip "$WALK_SKIP"
}

@test "walkthrough: the README's steps are the ones the guests ran" {
	run walk_steps
	assert_line --regexp $'^select\tvfio-early select --append 01:00$'
	run grep -c '^WALK-CMD ' "$VFE_OUT/before.result"
	[ "$output" -ge 5 ] || fail "before: $output commands ran"
	run grep '^WALK-HOST ' "$VFE_OUT/after.result"
	assert_line --regexp '^WALK-HOST undo [0-9]+ update-initramfs -u -k all$'
	assert_line --regexp '^WALK-HOST undo [0-9]+ reboot$'
	for b in before after undone; do
		run vfe_reached_root "$b"
		assert_success
	done
}

@test "walkthrough: find lists card 1 in its own IOMMU group, with its drivers" {
	run walk_out before find
	assert_line exit=0
	assert_line --regexp "^  $VFE_CARD1_VGA \[1234:1111\] VGA compatible controller \[0300\].*; driver bochs-drm$"
	assert_line --regexp "^  $VFE_CARD1_HDA \[8086:293e\] Audio device \[0403\].*; driver snd_hda_intel$"
	assert_line --regexp "^  $VFE_ROOTDISK .*; driver virtio-pci$"
}

@test "walkthrough: select prints the slot rule, --append writes it, the dry run binds card 1 only" {
	run walk_out before select
	refute_line --regexp '^exit=[1-9]'
	# QEMU's "GPU": another maker's audio in its slot and IOMMU group, taken along
	assert_line "card: $VFE_CARD1_VGA [1234:1111]"
	assert_line "in its IOMMU group and slot, taken along (a VM needs the group whole): $VFE_CARD1_HDA"
	assert_line "rule: address $WALK_SLOT"
	assert_line "added to /etc/vfio-early.conf"
	assert_line --partial "$VFE_CARD1_VGA [1234:1111] class 030000: would bind to vfio-pci (now bochs-drm)"
	assert_line --partial "$VFE_CARD1_HDA [8086:293e] class 040300: would bind to vfio-pci (now snd_hda_intel)"
	refute_line --partial "$VFE_CARD2_VGA [1234:1111] class 030000: would bind"
	run walk_conf before
	assert_output "# added by vfio-early select $WALK_SLOT
address $WALK_SLOT"
}

@test "walkthrough: check: the dry run and the report agree on the next boot" {
	run walk_out before check
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	assert_line --regexp '^exit=[0-3]$'
	assert_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:2 $WALK_SLOT)"
}

@test "walkthrough: after the rebuild and reboot card 1 is on vfio-pci, card 2 is not" {
	run vfe_expect after early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci" \
		"$VFE_CARD2_VGA=!vfio-pci" "$VFE_CARD2_HDA=!vfio-pci"
	assert_success
	run walk_out after verify
	assert_line --regexp "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci"
	assert_line $'\tKernel driver in use: vfio-pci'
	refute_line $'\tKernel driver in use: bochs-drm'
	# the VM's lines (QEMU's card: two makers, one hostpci entry per function)
	assert_line --partial "Proxmox: qm set VMID -hostpci0 $VFE_CARD1_VGA,pcie=1"
	assert_line --partial "Proxmox: qm set VMID -hostpci1 $VFE_CARD1_HDA,pcie=1"
	assert_line --regexp '^    /dev/vfio/[0-9]+: viable \(checked\)$'
	assert_line "Verdict: ready (0 blocking, 0 warnings; exit 0)"
	assert_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:2 $WALK_SLOT)"
}

@test "walkthrough: undo removes the rule, and the next image leaves card 1 to its drivers" {
	run walk_out after undo
	assert_line "summary (dry run): 0 to bind, 0 refused, 0 rule errors (exit 0)"
	run walk_conf after
	assert_output ""
	run vfe_expect undone root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel"
	assert_success
}
