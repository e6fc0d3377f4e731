# The six boot scenarios, shared by initramfs-tools.bats and dracut.bats.
# Set VFE_KIND (itools or dracut) before loading.  setup_file builds three
# images from `make install DESTDIR=...` and boots every scenario (VFE_JOBS
# guests at a time); each @test then checks one boot's outputs.

# shellcheck source=boot.bash
source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/$VFE_KIND

# Every guest has: host VGA (boot VGA) 00:01.0, card 1 = 01:00.0 + 01:00.1,
# card 2 = 02:00.0 + 02:00.1, NVMe 03:00.0, root disk (virtio-blk) 04:00.0.
VFE_CONFIG_PATH='# card 2, by the slot it sits in: below root port 00:03.0, slot 0 (all functions)
path 00:03.0/00 expect=1234:1111
'
VFE_CONFIG_BROKEN='# a typo on line 2, then a valid rule for card 1 (its whole slot) on line 3
adress 01:00.0
address 01:00
'

vfe_suite_setup()
{
	local missing packager t0 t1 stage prot cfg_path cfg_broken img_a img_b img_c img_sd boots t
	case $VFE_KIND in
	itools) packager=mkinitramfs ;;
	dracut) packager=dracut ;;
	esac
	# bats 1.8 cannot skip from setup_file: vfe_suite_skip (setup) does
	export VFE_SKIP_REASON=""
	missing=$(vfe_missing_tools "${VFE_BOOT_TOOLS[@]}" "$packager")
	[ -r /usr/share/seabios/bios-256k.bin ] || missing="$missing seabios"
	if [ -n "${missing# }" ]; then
		VFE_SKIP_REASON="not installed: ${missing# }"
		return 0
	fi
	if ! vfe_kver >/dev/null; then
		VFE_SKIP_REASON="no kernel image with modules in /boot (linux-image-amd64)"
		return 0
	fi

	t0=$(date +%s)
	mkdir -p "$VFE_OUT"
	rm -f "$VFE_OUT"/*
	vfe_prepare || return 1
	stage=$BATS_FILE_TMPDIR/stage
	vfe_stage "$stage" || return 1
	prot=$(vfe_guest_protected)
	cfg_path=$BATS_FILE_TMPDIR/path.conf
	cfg_broken=$BATS_FILE_TMPDIR/broken.conf
	printf '%s' "$VFE_CONFIG_PATH" >"$cfg_path"
	printf '%s' "$VFE_CONFIG_BROKEN" >"$cfg_broken"

	img_a=$(vfe_image "$VFE_KIND" noconf "$stage" "" "$prot" test "$VFE_KVER") || return 1
	img_b=$(vfe_image "$VFE_KIND" path "$stage" "$cfg_path" "$prot" test "$VFE_KVER") || return 1
	img_c=$(vfe_image "$VFE_KIND" broken "$stage" "$cfg_broken" "$prot" test "$VFE_KVER") || return 1
	boots=("s1|$img_a|1|vfio_early.devices=01:00"
		"s2|$img_b|1|"
		"s3|$img_b|1|vfio_early=off"
		"s4|$img_c|1|"
		"s5|$img_b|0|"
		"s6|$img_a|1|vfio_early.devices=04:00.0")
	if [ "$VFE_KIND" = dracut ]; then
		# scenario 1 once more with systemd in the initramfs
		img_sd=$(vfe_image dracut systemd "$stage" "" "$prot" systemd "$VFE_KVER") || return 1
		boots=("s1sd|$img_sd|1|vfio_early.devices=01:00" "${boots[@]}")
	fi
	t1=$(date +%s)

	vfe_boot_all "${boots[@]}"

	{
		echo "kind=$VFE_KIND accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS"
		echo "images: $((t1 - t0)) s"
		for t in "${boots[@]}"; do
			t=${t%%|*}
			echo "boot $t: $(cat "$VFE_OUT/$t.seconds") s, qemu status $(cat "$VFE_OUT/$t.status")$(
				[ ! -e "$VFE_OUT/$t.retried" ] || echo " ($(cat "$VFE_OUT/$t.retried"))")"
		done
		echo "total: $(($(date +%s) - t0)) s"
	} >"$VFE_OUT/timing"
	sed "s/^/# $VFE_KIND: /" "$VFE_OUT/timing" >&3
}

vfe_suite_skip()
{
	[ -z "${VFE_SKIP_REASON:-}" ] || skip "$VFE_SKIP_REASON"
}

# --- assertions (bats-assert) ----------------------------------------------

vfe_assert_root()
{
	run vfe_reached_root "$1"
	assert_success
}

vfe_assert_drivers()
{
	run vfe_expect "$@"
	assert_success
}

# vfe_assert_kmsg NAME REGEX: some vfio-early kernel-log line matches.
vfe_assert_kmsg()
{
	run vfe_kmsg "$1"
	assert_line --regexp "$2"
}

vfe_refute_kmsg()
{
	run vfe_kmsg "$1"
	refute_line --regexp "$2"
}

# vfe_assert_state NAME REGEX: some state-file record matches.
vfe_assert_state()
{
	run vfe_state "$1"
	assert_line --regexp "$2"
}

# The untouched host: what every scenario expects of devices it does not select.
vfe_host_native="$VFE_HOST_VGA=bochs-drm $VFE_NVME=nvme $VFE_ROOTDISK=virtio-pci"

# 1. card 1 by address on the kernel command line (NAME: s1, or s1sd for
#    the dracut image with systemd)
vfe_check_s1()
{
	local n=${1:-s1}
	vfe_assert_root "$n"
	# card 1 on vfio-pci from right after the hook to the real root
	vfe_assert_drivers "$n" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	# the early report really ran before udev's coldplug: nothing else bound yet
	vfe_assert_drivers "$n" early "$VFE_CARD2_VGA=none" "$VFE_CARD2_HDA=none" "$VFE_NVME=none"
	# card 2 and the rest of the host keep their drivers
	# shellcheck disable=SC2086
	vfe_assert_drivers "$n" udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg "$n" "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci"
	vfe_assert_kmsg "$n" "vfio-early: $VFE_CARD1_HDA \[8086:293e\] class 040300: bound to vfio-pci"
	vfe_refute_kmsg "$n" "vfio-early: $VFE_CARD2_VGA"
	vfe_assert_kmsg "$n" 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	vfe_assert_state "$n" '^run mode=boot exit=0 bound=2 .*iommu=1'
}

# 2. card 2 by stable path in the config file
vfe_check_s2()
{
	vfe_assert_root s2
	vfe_assert_drivers s2 early,udev,root "$VFE_CARD2_VGA=vfio-pci" "$VFE_CARD2_HDA=vfio-pci"
	vfe_assert_drivers s2 early "$VFE_CARD1_VGA=none" "$VFE_CARD1_HDA=none" "$VFE_NVME=none"
	# shellcheck disable=SC2086
	vfe_assert_drivers s2 udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg s2 "vfio-early: $VFE_CARD2_VGA \[1234:1111\] class 030000: bound to vfio-pci.*/etc/vfio-early.conf:2"
	vfe_assert_kmsg s2 "vfio-early: $VFE_CARD2_HDA \[8086:293e\] class 040300: bound to vfio-pci"
	vfe_refute_kmsg s2 "vfio-early: $VFE_CARD1_VGA"
	vfe_assert_kmsg s2 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	vfe_assert_state s2 "^device addr=$VFE_CARD2_VGA .*rule=/etc/vfio-early.conf:2 .*result=bound"
}

# 3. the kill switch: the config selects card 2, vfio_early=off wins
vfe_check_s3()
{
	vfe_assert_root s3
	run vfe_nothing_on_vfio s3
	assert_success
	# shellcheck disable=SC2086
	vfe_assert_drivers s3 udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg s3 'vfio-early: disabled by vfio_early=off on the kernel command line'
	vfe_refute_kmsg s3 'bound to vfio-pci'
	vfe_assert_state s3 '^run mode=off exit=0 bound=0 '
}

# 4. a broken config: the bad line is reported with file and line, the valid
#    rule (card 1) still applies
vfe_check_s4()
{
	vfe_assert_root s4
	vfe_assert_kmsg s4 'vfio-early: .*/etc/vfio-early.conf:2: .*adress'
	vfe_assert_drivers s4 early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	# shellcheck disable=SC2086
	vfe_assert_drivers s4 udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg s4 "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci.*/etc/vfio-early.conf:3"
	vfe_assert_kmsg s4 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 1 rule errors? \(exit 2\)'
	vfe_assert_state s4 '^run mode=boot exit=2 bound=2 .*rule_errors=1'
}

# 5. no IOMMU: the config selects card 2, nothing is bound, the log says how
#    to enable the IOMMU
vfe_check_s5()
{
	vfe_assert_root s5
	run vfe_nothing_on_vfio s5
	assert_success
	# the override was not even written: card 2 keeps its host drivers
	# shellcheck disable=SC2086
	vfe_assert_drivers s5 udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg s5 'vfio-early: .*intel_iommu=on'
	vfe_refute_kmsg s5 'bound to vfio-pci'
	vfe_assert_state s5 '^run mode=boot exit=[0-9]+ .*iommu=0'
	run vfe_state s5
	assert_line --regexp '^run .*exit=(4|6|12|14) '
}

# 6. the root disk's controller named in the rules: refused, boot goes on
vfe_check_s6()
{
	vfe_assert_root s6
	run vfe_nothing_on_vfio s6
	assert_success
	# shellcheck disable=SC2086
	vfe_assert_drivers s6 udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD2_VGA=bochs-drm" $vfe_host_native
	vfe_assert_kmsg s6 "vfio-early: .*$VFE_ROOTDISK.*refus"
	vfe_assert_state s6 "^device addr=$VFE_ROOTDISK .*result=refused"
	vfe_assert_kmsg s6 'vfio-early: summary: 0 bound, 0 failed, 1 refused'
	vfe_assert_state s6 '^run mode=boot exit=4 '
}
