#!/usr/bin/env bats
# vfio-early in systemd initrds (issue 13).  First the built images: the
# unit that runs vfio-early is ordered before systemd-modules-load and
# udevd, the hooks of the image without systemd come before parse-kernel.sh,
# and no image runs vfio-early twice.  Then QEMU boots (TCG unless KVM is
# proven to work) of the emulated two-GPU host where a host driver races
# for the cards: bochs, loaded by systemd-modules-load (rd.modules-load=,
# /etc/modules-load.d in the image) or by dracut for rd.driver.pre= (from
# dracut-pre-udev.service with systemd, parse-kernel.sh without), each VFIO_EARLY_BOOT_SD_RUNS times (default 3); the
# kill switch with the race; the root disk's controller refused and hostile
# command-line values on the systemd image.  See lib/systemd.bash.

load lib/systemd

setup_file()
{
	vfe_sd_setup
}

setup()
{
	vfe_boot_skip
}

@test "systemd image: vfio-early.service is enabled and ordered before systemd-modules-load, dracut-cmdline, dracut-pre-udev, udevd and its coldplug" {
	local dir=$BATS_TEST_TMPDIR/sd u runner=
	vfe_sd_extract "$(vfe_sd_image sd)" "$dir"
	# the unit that runs the early pass: the one whose ExecStart is the shim without --late
	for u in "$dir"/usr/lib/systemd/system/*.service; do
		if grep -q '^ExecStart=.*vfio-early-shim' "$u" && ! grep -q '^ExecStart=.*--late' "$u"; then
			[ -z "$runner" ] || fail "two units run vfio-early's early pass: $runner ${u##*/}"
			runner=${u##*/}
		fi
	done
	assert_equal "$runner" vfio-early.service
	run vfe_sd_unit_values "$dir" vfio-early.service Before
	for u in systemd-modules-load.service systemd-udevd.service dracut-cmdline.service \
		dracut-pre-udev.service systemd-udev-trigger.service; do
		assert_line "$u"
		# the unit is in the image, and it does not order itself before vfio-early
		[ -f "$dir/usr/lib/systemd/system/$u" ] || fail "$u is not in the image"
	done
	run vfe_sd_unit_values "$dir" vfio-early.service DefaultDependencies
	assert_output no
	run vfe_sd_unit_values "$dir" vfio-early.service After
	assert_output ""
	for u in systemd-modules-load.service systemd-udevd.service dracut-cmdline.service dracut-pre-udev.service; do
		run vfe_sd_unit_values "$dir" "$u" Before
		refute_line --partial vfio-early
	done
	# enabled: pulled in by sysinit.target
	run readlink "$dir/usr/lib/systemd/system/sysinit.target.wants/vfio-early.service"
	assert_output ../vfio-early.service
	# and what it runs is in the image
	[ -x "$dir/usr/lib/vfio-early/vfio-early-shim" ] || fail "no shim in the image"
	[ -x "$dir/usr/sbin/vfio-early" ] || fail "no binary in the image"
	# systemd-analyze loads both units in the image's tree: known keys, no
	# ordering cycle, every command there (the man page is not in an initrd)
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze --root="$dir" --man=no verify vfio-early.service vfio-early-late.service
		assert_success
		assert_output ""
	fi
}

@test "systemd image: vfio-early-late.service runs the shim with --late /sysroot after the root is mounted, before the switch" {
	local dir=$BATS_TEST_TMPDIR/sd
	vfe_sd_extract "$(vfe_sd_image sd)" "$dir"
	run vfe_sd_unit_values "$dir" vfio-early-late.service After
	assert_line sysroot.mount
	assert_line initrd-fs.target
	assert_line vfio-early.service
	run vfe_sd_unit_values "$dir" vfio-early-late.service Before
	assert_line initrd-switch-root.target
	assert_line initrd-cleanup.service
	run grep -h '^ExecStart=' "$dir/usr/lib/systemd/system/vfio-early-late.service"
	assert_output 'ExecStart=/usr/lib/vfio-early/vfio-early-shim /usr/sbin/vfio-early --late /sysroot'
	run readlink "$dir/usr/lib/systemd/system/initrd.target.wants/vfio-early-late.service"
	assert_output ../vfio-early-late.service
}

@test "systemd image: no dracut hook runs vfio-early (the unit does, once)" {
	local dir=$BATS_TEST_TMPDIR/sd
	vfe_sd_extract "$(vfe_sd_image sd)" "$dir"
	run bash -c "cd '$dir/usr/lib/dracut/hooks' && grep -rl 'vfio-early-shim' ."
	assert_output ""
}

@test "image without systemd: a cmdline hook before parse-kernel.sh, the late pass in pre-pivot, no units" {
	local dir=$BATS_TEST_TMPDIR/sh hooks
	vfe_sd_extract "$(vfe_sd_image sh)" "$dir"
	hooks=$dir/usr/lib/dracut/hooks
	[ -f "$hooks/cmdline/01-parse-kernel.sh" ] || fail "no parse-kernel.sh in the image"
	# dracut sources the hooks of a stage in glob order: ours comes first
	run bash -c "cd '$hooks/cmdline' && printf '%s\n' *.sh"
	assert_line --index 0 00-vfio-early.sh
	run bash -c "cd '$hooks' && grep -rl 'vfio-early-shim' . | LC_ALL=C sort"
	assert_output "$(printf '%s\n' ./cmdline/00-vfio-early.sh ./pre-pivot/80-vfio-early-late.sh)"
	run grep -c -- '--late "${NEWROOT:-/sysroot}"' "$hooks/pre-pivot/80-vfio-early-late.sh"
	assert_output 1
	run find "$dir" -name 'vfio-early*.service'
	assert_output ""
}

@test "systemd image, rd.modules-load=bochs: card 1 on vfio-pci before systemd-modules-load loads bochs, every boot" {
	local i
	for i in $(seq 1 "$VFE_SD_RUNS"); do
		vfe_sd_check_race "ml-$i" modules-load
	done
}

@test "systemd image, rd.driver.pre=bochs: card 1 on vfio-pci before dracut-pre-udev.service loads bochs, every boot" {
	local i
	for i in $(seq 1 "$VFE_SD_RUNS"); do
		vfe_sd_check_race "pre-$i" pre-udev
	done
}

@test "systemd image with /etc/modules-load.d/bochs.conf: card 1 on vfio-pci before systemd-modules-load loads bochs, every boot" {
	local i
	for i in $(seq 1 "$VFE_SD_RUNS"); do
		vfe_sd_check_race "conf-$i" modules-load
	done
}

@test "dracut without systemd, rd.driver.pre=bochs: card 1 on vfio-pci before parse-kernel.sh loads bochs, every boot" {
	local i
	for i in $(seq 1 "$VFE_SD_RUNS"); do
		vfe_sd_check_race "shpre-$i" cmdline
	done
}

@test "systemd image, vfio_early=off with rd.modules-load=bochs: bochs takes every card, the boot reaches root" {
	run vfe_reached_root off
	assert_success
	run vfe_nothing_on_vfio off
	assert_success
	run vfe_expect off udev,root "$VFE_HOST_VGA=bochs-drm" "$VFE_CARD1_VGA=bochs-drm" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel" "$VFE_CARD2_HDA=snd_hda_intel"
	assert_success
	run vfe_kmsg off
	assert_line --regexp 'vfio-early: disabled by vfio_early=off on the kernel command line'
	refute_line --partial 'bound to vfio-pci'
	run vfe_state off
	assert_line --regexp '^run mode=off exit=0 bound=0 '
}

@test "systemd image: the root disk's controller is refused and the boot reaches root" {
	run vfe_reached_root s6
	assert_success
	run vfe_nothing_on_vfio s6
	assert_success
	run vfe_expect s6 udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD2_VGA=bochs-drm" \
		"$VFE_ROOTDISK=virtio-pci" "$VFE_NVME=nvme"
	assert_success
	run vfe_kmsg s6
	assert_line --regexp "vfio-early: .*$VFE_ROOTDISK.*refus"
	assert_line --regexp 'vfio-early: summary: 0 bound, 0 failed, 1 refused'
	run vfe_state s6
	assert_line --regexp '^run mode=boot exit=4 '
}

@test "systemd image: hostile vfio_early.* values are each named, nothing is bound, the boot reaches root" {
	local p='vfio-early: /proc/cmdline: '
	run vfe_reached_root ff
	assert_success
	run vfe_kmsg ff
	assert_line --regexp "${p}vfio_early.devices: \.\./\.\./\.\./sys/bus/pci/drivers/vfio-pci/bind: not a PCI address"
	assert_line --regexp "${p}vfio_early.devices: 01:00\.8: function must be 0-7"
	assert_line --regexp "${p}vfio_early.devices: ,: empty list element"
	assert_line --regexp "${p}vfio_early: \.\./\.\./etc/passwd: expected on or off; read as off, so nothing is bound"
	assert_line --regexp "${p}vfio_early.devices/\.\./: unknown vfio_early option"
	assert_line --regexp 'vfio-early: disabled by vfio_early=off on the kernel command line'
	run vfe_nothing_on_vfio ff
	assert_success
	run vfe_expect ff udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD2_VGA=bochs-drm" \
		"$VFE_CARD1_HDA=snd_hda_intel" "$VFE_CARD2_HDA=snd_hda_intel"
	assert_success
}

@test "systemd image: each pass ran once, and the late unit ran on the mounted root" {
	local n=ml-1
	run vfe_sd_console "$n"
	assert_line --regexp 'Starting vfio-early\.service'
	assert_line --regexp 'Finished vfio-early\.service'
	assert_line --regexp '(Starting|Finished) (vfio-early-late|.*vfio-early late pass)'
	refute_line --partial 'ran already at this boot'
}
