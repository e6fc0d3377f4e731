# The boot scenarios, shared by initramfs-tools.bats and dracut.bats.  Set
# VFE_KIND (itools or dracut) before loading.  setup_file stages `make
# install DESTDIR=...`, builds the images (three from the packager, the
# others derived from them by vfe_image_variant: a fault put in, modules
# recompressed) and boots every scenario (VFE_JOBS guests at a time); each
# @test then checks one boot's outputs.
#
#   s1-s6  the six basic scenarios (s1sd: s1 with systemd in a dracut image);
#          every guest root also runs `vfio-early --report` (ttyS2), checked
#          on s1 and kept as OUT/report.txt
#   s7     vfio-pci.ids= naming the NVMe's model
#   s8     on the real root, a second run takes card 2 from the drivers
#          that hold it (vfe_test.rebind=, read by the guest's init)
#   st     the static binary (vfio-early-static, as `make install` installs
#          it when built) with the vfio modules recompressed .ko.zst/.ko.xz
#   fa-fg  boot faults: no vfio modules, no binary, a binary that cannot be
#          executed, one killed by a signal, an unreadable config, hostile
#          vfio_early.* values on the command line, no /dev/kmsg

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

# Fault f: hostile vfio_early.* values, none of which may select anything.
# No glob characters: the boot specs are split into words unquoted.
VFE_OVERLONG=01:00.$(printf '0%.0s' {1..400})
VFE_HOSTILE=(
	"vfio_early.devices=../../../sys/bus/pci/drivers/vfio-pci/bind"
	"vfio_early.devices=01:00.8"
	"vfio_early.ids=1234:1111"$'\x1b'"c"
	"vfio_early.devices=$VFE_OVERLONG"
	"vfio_early.ids="
	"vfio_early.devices=,"
	"vfio_early=../../etc/passwd"
	"vfio_early.devices/../=01:00"
)

# The signal the stand-in binary of fault d dies of: both are covered, one
# per packager.
case $VFE_KIND in
dracut) VFE_CRASH_SIGNAL=KILL VFE_CRASH_SIGNUM=9 ;;
*) VFE_CRASH_SIGNAL=SEGV VFE_CRASH_SIGNUM=11 ;;
esac

# --- image variants (vfe_image_variant MODIFIERs: DIR KVER) -----------------

# vfe_image_modules DIR KVER NAME...: the files of these modules in the tree.
vfe_image_modules()
{
	local dir=$1 kver=$2 m
	shift 2
	for m in "$@"; do
		find "$dir/lib/modules/$kver/" -type f \( -name "$m.ko" -o -name "$m.ko.*" \)
	done
}

VFE_VFIO_MODULES=(vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd)

# st: the vfio modules recompressed, half zstd and half xz (crc32, as the
# kernel's own xz modules use), and depmod run again on the tree.  The
# kernel (no CONFIG_MODULE_DECOMPRESS in Debian's 6.1) cannot read them:
# libkmod in the binary decompresses them.
vfe_variant_compressed()
{
	local dir=$1 kver=$2 f n=0
	while read -r f; do
		case $f in
		*.ko) ;;
		*) echo "$f is compressed already" >&2; return 1 ;;
		esac
		case ${f##*/} in
		vfio-pci.ko | vfio_iommu_type1.ko | vfio_virqfd.ko) zstd -q --rm -19 "$f" ;;
		*) xz -q --check=crc32 "$f" ;;
		esac || return 1
		n=$((n + 1))
	done < <(vfe_image_modules "$dir" "$kver" "${VFE_VFIO_MODULES[@]}")
	[ "$n" -ge 5 ] || { echo "only $n vfio modules found in the image" >&2; return 1; }
	depmod -b "$dir" "$kver"
}

# fa: no vfio module in the image (as from a kernel built without them).
vfe_variant_no_vfio()
{
	local dir=$1 kver=$2
	vfe_image_modules "$dir" "$kver" "${VFE_VFIO_MODULES[@]}" | xargs -r rm -f
	depmod -b "$dir" "$kver"
}

# fb: no binary.
vfe_variant_no_binary()
{
	rm -f "$1/usr/sbin/vfio-early"
}

# fc: the binary without its execute bits.
vfe_variant_not_executable()
{
	chmod 0644 "$1/usr/sbin/vfio-early"
}

# fd: a stand-in binary that starts, says so and dies of VFE_CRASH_SIGNAL.
vfe_variant_crash()
{
	cat >"$1/usr/sbin/vfio-early" <<-EOF
	#!/bin/sh
	# test stand-in for vfio-early: starts, then dies of SIG$VFE_CRASH_SIGNAL
	echo "<6>vfio-early-test: stand-in binary started (pid \$\$), killing itself with SIG$VFE_CRASH_SIGNAL" >/dev/kmsg
	kill -$VFE_CRASH_SIGNAL \$\$
	echo "<3>vfio-early-test: the stand-in binary survived SIG$VFE_CRASH_SIGNAL" >/dev/kmsg
	exit 0
	EOF
	chmod 0755 "$1/usr/sbin/vfio-early"
}

# fe: /etc/vfio-early.conf is a directory (as root every file is readable).
vfe_variant_config_dir()
{
	rm -f "$1/etc/vfio-early.conf"
	mkdir -p "$1/etc/vfio-early.conf"
}

# fg: /dev/kmsg hidden (renamed) right before vfio-early's script and put
# back right after it: init-top scripts listed around it in ORDER
# (initramfs-tools), cmdline hooks named to sort around 00-vfio-early.sh
# (dracut).  Each says what it did on the kernel log, while it can.
# shellcheck disable=SC2016 # "$1" and "$@" of the scripts it writes
vfe_variant_no_kmsg()
{
	local dir=$1 hooks=$1/usr/lib/dracut/hooks/cmdline top=$1/scripts/init-top
	local hide='echo "<6>vfio-early-test: hiding /dev/kmsg" >/dev/kmsg; mv /dev/kmsg /dev/.vfe-test-kmsg'
	local back='mv /dev/.vfe-test-kmsg /dev/kmsg && echo "<6>vfio-early-test: /dev/kmsg restored" >/dev/kmsg'
	if [ -f "$top/ORDER" ]; then
		printf '#!/bin/sh\n# test only\n[ "${1:-}" = prereqs ] && exit 0\n%s\nexit 0\n' "$hide" \
			>"$top/vfio-early-test-hide-kmsg"
		printf '#!/bin/sh\n# test only\n[ "${1:-}" = prereqs ] && exit 0\n%s\nexit 0\n' "$back" \
			>"$top/vfio-early-test-restore-kmsg"
		chmod 0755 "$top/vfio-early-test-hide-kmsg" "$top/vfio-early-test-restore-kmsg"
		grep -q '^/scripts/init-top/00-vfio-early ' "$top/ORDER" || return 1
		awk '/^\/scripts\/init-top\/00-vfio-early / {
				print "/scripts/init-top/vfio-early-test-hide-kmsg \"$@\""
				print
				print "/scripts/init-top/vfio-early-test-restore-kmsg \"$@\""
				next
			}
			{ print }' "$top/ORDER" >"$top/ORDER.new" && mv -f "$top/ORDER.new" "$top/ORDER"
		cat "$top/ORDER"
	elif [ -f "$hooks/00-vfio-early.sh" ]; then
		# dracut sources hooks in glob order: 00-0... < 00-vfio-early.sh < 00-w...
		printf '#!/bin/sh\n# test only (sourced)\n%s\n' "$hide" >"$hooks/00-0-vfio-early-test-hide-kmsg.sh"
		printf '#!/bin/sh\n# test only (sourced)\n%s\n' "$back" >"$hooks/00-w-vfio-early-test-restore-kmsg.sh"
		ls "$hooks"
	else
		echo "neither an initramfs-tools nor a dracut image" >&2
		return 1
	fi
}

# --- setup ------------------------------------------------------------------

vfe_suite_setup()
{
	local t1 stage prot cfg_path cfg_broken img_a img_b img_c img_sd img_st
	local boots=() t v
	vfe_boot_setup "$(vfe_packager "$VFE_KIND")" || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	stage=$VFE_STAGE
	prot=$(vfe_guest_protected)
	cfg_path=$BATS_FILE_TMPDIR/path.conf
	cfg_broken=$BATS_FILE_TMPDIR/broken.conf
	printf '%s' "$VFE_CONFIG_PATH" >"$cfg_path"
	printf '%s' "$VFE_CONFIG_BROKEN" >"$cfg_broken"

	img_a=$(vfe_image "$VFE_KIND" noconf "$stage" "" "$prot" test "$VFE_KVER") || return 1
	img_b=$(vfe_image "$VFE_KIND" path "$stage" "$cfg_path" "$prot" test "$VFE_KVER") || return 1
	img_c=$(vfe_image "$VFE_KIND" broken "$stage" "$cfg_broken" "$prot" test "$VFE_KVER") || return 1
	# The slowest guests first, so that the last ones do not run alone.
	if [ "$VFE_KIND" = dracut ]; then
		# scenario 1 once more with systemd in the initramfs
		img_sd=$(vfe_image dracut systemd "$stage" "" "$prot" systemd "$VFE_KVER") || return 1
		boots+=("s1sd|$img_sd|1|vfio_early.devices=01:00")
	fi
	if [ -z "$VFE_STATIC_SKIP" ]; then
		img_st=$(vfe_image "$VFE_KIND" static "$stage" "" "$prot" test+installed "$VFE_KVER") || return 1
		img_st=$(vfe_image_variant "$img_st" static-compressed vfe_variant_compressed) || return 1
		boots+=("st|$img_st|1|vfio_early.devices=01:00")
	fi
	boots+=("s1|$img_a|1|vfio_early.devices=01:00"
		"s2|$img_b|1|"
		"s3|$img_b|1|vfio_early=off"
		"s4|$img_c|1|"
		"s5|$img_b|0|"
		"s6|$img_a|1|vfio_early.devices=04:00.0"
		"s7|$img_a|1|vfio_early.devices=01:00 vfio-pci.ids=1b36:0010"
		"s8|$img_a|1|vfio_early.devices=01:00 vfe_test.rebind=02:00")
	# The faults: variants of the no-config image, or its command line.
	for v in fa:no_vfio fb:no_binary fc:not_executable fd:crash fe:config_dir fg:no_kmsg; do
		t=$(vfe_image_variant "$img_a" "fault-${v#*:}" "vfe_variant_${v#*:}") || return 1
		boots+=("${v%%:*}|$t|1|vfio_early.devices=01:00")
	done
	boots+=("ff|$img_a|1|${VFE_HOSTILE[*]}")
	t1=$(date +%s)

	vfe_boot_specs "${boots[@]}"
	# one real report, for people to read
	vfe_report s1 text >"$VFE_OUT/report.txt"

	{
		echo "kind=$VFE_KIND accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS"
		echo "images: $((t1 - VFE_SETUP_T0)) s"
		vfe_boot_lines "${boots[@]}"
	} | vfe_boot_timing "$VFE_KIND"
}

# the suites' setup (safety and hostneeds use it too)
vfe_suite_skip()
{
	vfe_boot_skip
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

# 7. the legacy vfio-pci.ids= names the NVMe's model (QEMU's 1b36:0010): read
#    as an ids rule it is refused (a storage controller, no opt-in), and
#    vfio-pci is loaded without ids=, so it cannot take the NVMe by itself
#    the moment it loads (before udev the NVMe has no driver yet)
vfe_check_s7()
{
	vfe_assert_root s7
	vfe_assert_kmsg s7 "vfio-early: $VFE_NVME \[1b36:0010\] class 010802: refused: is a storage controller"
	vfe_assert_kmsg s7 'vfio-early: loading /.*/vfio-pci\.ko$'
	vfe_refute_kmsg s7 'ids=1b36'
	vfe_assert_drivers s7 early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci" "$VFE_NVME=!vfio-pci"
	vfe_assert_drivers s7 udev,root "$VFE_NVME=nvme"
	vfe_assert_kmsg s7 'vfio-early: summary: 2 bound, 0 failed, 1 refused'
}

# 8. on the real root, card 2 (held by bochs-drm and snd_hda_intel since
# udev's coldplug) selected by a second run: each function is unbound from
# its driver and bound to vfio-pci; card 1 stays, the rest keeps its drivers.
vfe_check_s8()
{
	vfe_assert_root s8
	vfe_assert_drivers s8 root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD2_VGA=bochs-drm" \
		"$VFE_CARD2_HDA=snd_hda_intel"
	# shellcheck disable=SC2086
	vfe_assert_drivers s8 rebind "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci" \
		"$VFE_CARD2_VGA=vfio-pci" "$VFE_CARD2_HDA=vfio-pci" $vfe_host_native
	run grep -a '^REBIND ' "$VFE_OUT/s8.result"
	assert_output 'REBIND exit=0'
	vfe_assert_kmsg s8 "vfio-early: $VFE_CARD2_VGA \[1234:1111\] class 030000: bound to vfio-pci \(was bochs-drm\)"
	vfe_assert_kmsg s8 "vfio-early: $VFE_CARD2_HDA \[8086:293e\] class 040300: bound to vfio-pci \(was snd_hda_intel\)"
	vfe_assert_kmsg s8 "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: already on vfio-pci"
	# "bound" counts every selected device on vfio-pci at the end, card 1 included
	vfe_assert_kmsg s8 'vfio-early: summary: 4 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	# the state file still describes the boot; the run by hand has its own record
	vfe_assert_state s8 "^run mode=boot exit=0 bound=2 "
	vfe_assert_state s8 "^device addr=$VFE_CARD1_VGA .* result=bound .*driver=vfio-pci "
	run vfe_state s8
	refute_line --regexp "^device addr=$VFE_CARD2_VGA "
	run bash -c "grep -a '^MANUAL ' '$VFE_OUT/s8.result' | sed 's/^MANUAL //'"
	assert_line --regexp "^run .*confirmed=yes exit=0 changed=2 failed=0 refused=0"
	assert_line --regexp "^device addr=$VFE_CARD2_VGA result=bound was=bochs-drm now=vfio-pci reason=\$"
	assert_line --regexp "^device addr=$VFE_CARD2_HDA result=bound was=snd_hda_intel now=vfio-pci reason=\$"
	assert_line --regexp "^device addr=$VFE_CARD1_VGA result=already "
}

# --- report in the guest (issue 4) -------------------------------------------

# vfe_check_report NAME: the report the guest's real root printed says what
# this boot did: vfio-early ran in boot mode and bound card 1 (both
# functions bound, their IOMMU group ready), the Proxmox and libvirt lines
# name card 1 and nothing else; the JSON says the same.
vfe_check_report()
{
	local n=${1:-s1} group json=$BATS_TEST_TMPDIR/report.json
	run vfe_report "$n" text
	[ -n "$output" ] || fail "no report from the guest's root: $(grep '^REPORT' "$VFE_OUT/$n.result")"
	run grep '^REPORT-STDERR' "$VFE_OUT/$n.result"
	assert_output ""
	# nothing to complain about: a healthy host, card 1 ready for a VM
	run vfe_report_exit "$n" text
	assert_output 0
	run vfe_report_exit "$n" json
	assert_output 0
	run vfe_report_section "$n" "Problems and fixes"
	assert_output "  none"
	run vfe_report "$n" text
	assert_line 'Verdict: ready (0 blocking, 0 warnings; exit 0)'

	run vfe_report_section "$n" "This boot"
	assert_line --regexp '^  vfio-early ran \(boot mode, kernel [^)]+\): 2 bound, 0 failed, 0 refused, exit 0$'

	run vfe_report_device "$n" "$VFE_CARD1_VGA"
	assert_line --index 0 --regexp "^  $VFE_CARD1_VGA .*\[1234:1111\]"
	assert_line --regexp '^      subsystem .*driver vfio-pci, override vfio-pci'
	assert_line --regexp '^      IOMMU group [0-9]+ \(ready\):$'
	assert_line --regexp "^        $VFE_CARD1_VGA .*vfio-pci"
	assert_line --regexp "^        $VFE_CARD1_HDA .*vfio-pci"
	assert_line --regexp '^      this boot: bound'
	group=$(vfe_report_device "$n" "$VFE_CARD1_VGA" | sed -n 's/^      IOMMU group \([0-9]*\) (ready):$/\1/p')
	run vfe_report_device "$n" "$VFE_CARD1_HDA"
	assert_line --index 0 --regexp "^  $VFE_CARD1_HDA .*\[8086:293e\]"
	assert_line --regexp "^      IOMMU group ${group}[ ,(]"
	assert_line --regexp '^      this boot: bound'
	# card 2 stays with the host
	run vfe_report_device "$n" "$VFE_CARD2_VGA"
	assert_line --index 0 --regexp "^  $VFE_CARD2_VGA "
	refute_line --regexp 'this boot: bound|\(ready\)'

	run vfe_report_section "$n" "Ready for a VM"
	# QEMU's card 1 is bochs VGA (1234) and ICH9 audio (8086) in one slot: two vendors,
	# so two cards of one function each (vfio-early.conf(5), THE CARD), in one group.
	assert_line --regexp "^  0000:01:00\.0 \(IOMMU group $group\)$"
	assert_line --regexp "^  0000:01:00\.1 \(IOMMU group $group\)$"
	assert_line --regexp '^    Proxmox: qm set VMID -hostpci0 0000:01:00\.0,pcie=1'
	assert_line --regexp '^    Proxmox: qm set VMID -hostpci1 0000:01:00\.1,pcie=1'
	assert_line --partial "<address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>"
	assert_line --partial "<address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>"
	refute_line --partial '0000:02:00'
	refute_line --partial "bus='0x02'"

	vfe_report "$n" json >"$json"
	run jq -r '.schema, .status, .exit, .this_boot.mode, .this_boot.bound, .this_boot.failed,
		.this_boot.refused, .this_boot.exit' "$json"
	assert_success
	assert_output "$(printf '%s\n' vfio-early-report/2 ready 0 boot 2 0 0 0)"
	for a in "$VFE_CARD1_VGA" "$VFE_CARD1_HDA"; do
		run jq -r --arg a "$a" '. as $r | .devices[] | select(.address == $a)
			| "\(.driver) \(.this_boot.result) \(.iommu_group as $g | [$r.groups[] | select(.id == $g) | .verdict] | join(","))"' "$json"
		assert_success
		assert_output "vfio-pci bound ready"
	done
}

# --- the static binary and compressed modules (issue 5) ---------------------

vfe_check_static()
{
	local n=st img bin=$BATS_TEST_TMPDIR/vfio-early
	[ -z "${VFE_STATIC_SKIP:-}" ] || skip "$VFE_STATIC_SKIP"
	img=$(cat "$VFE_OUT/$n.image")
	# the image carries the static build and the recompressed modules
	vfe_image_file "$img" usr/sbin/vfio-early >"$bin"
	run vfe_is_static "$bin"
	assert_success
	run bash -c "source '$VFE_BOOT_LIB/boot.bash' && vfe_image_payload '$img' | cpio -t --quiet"
	assert_line --regexp '/drivers/vfio/pci/vfio-pci\.ko\.zst$'
	assert_line --regexp '/drivers/vfio/vfio\.ko\.xz$'
	refute_line --regexp '/(vfio[^/]*|irqbypass)\.ko$'

	vfe_assert_root "$n"
	vfe_assert_drivers "$n" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	vfe_assert_drivers "$n" early "$VFE_CARD2_VGA=none" "$VFE_CARD2_HDA=none"
	# shellcheck disable=SC2086
	vfe_assert_drivers "$n" udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	# libkmod inside the binary read them
	vfe_assert_kmsg "$n" 'vfio-early: loading /lib/modules/[^/]+/kernel/drivers/vfio/pci/vfio-pci\.ko\.zst$'
	vfe_assert_kmsg "$n" 'vfio-early: loading /lib/modules/[^/]+/kernel/drivers/vfio/vfio\.ko\.xz$'
	vfe_assert_kmsg "$n" 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	vfe_assert_state "$n" '^run mode=boot exit=0 bound=2 .*iommu=1'
}

# --- boot faults (issue 6): every one reaches the real root ------------------

# vfe_check_host_drivers NAME: every device on its host driver after udev.
vfe_check_host_drivers()
{
	# shellcheck disable=SC2086
	vfe_assert_drivers "$1" udev,root "$VFE_CARD1_VGA=bochs-drm" "$VFE_CARD1_HDA=snd_hda_intel" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
}

# a. the vfio modules are not in the image: the log says vfio-pci is
#    missing, card 1 is given back to the host (its override undone, so udev
#    binds its own drivers), the rest of the host is untouched
vfe_check_fa()
{
	vfe_assert_root fa
	vfe_assert_kmsg fa 'vfio-early: vfio-pci: no such module for kernel .*is it in the initramfs'
	vfe_assert_kmsg fa "vfio-early: $VFE_CARD1_VGA .*: FAILED: vfio-pci could not be loaded; the device was given back to the host"
	vfe_assert_kmsg fa "vfio-early: $VFE_CARD1_HDA .*: FAILED: vfio-pci could not be loaded; the device was given back to the host"
	vfe_assert_kmsg fa 'vfio-early: summary: 0 bound, 2 failed, 0 refused, 0 rule errors \(exit 8\)'
	vfe_refute_kmsg fa 'bound to vfio-pci'
	vfe_assert_drivers fa early "$VFE_CARD1_VGA=!vfio-pci" "$VFE_CARD1_HDA=!vfio-pci"
	vfe_check_host_drivers fa
	vfe_assert_state fa '^run mode=boot exit=8 bound=0 .*failed=2 '
}

# b, c, d: the shim's line; vfio-early never ran (no state file), the host
# keeps every device
vfe_check_shim_fault()
{
	local n=$1 line=$2
	vfe_assert_root "$n"
	vfe_assert_kmsg "$n" "vfio-early-shim: /usr/sbin/vfio-early $line"
	vfe_refute_kmsg "$n" 'vfio-early: summary'
	run vfe_nothing_on_vfio "$n"
	assert_success
	vfe_check_host_drivers "$n"
	run grep -c '^STATE-MISSING' "$VFE_OUT/$n.result"
	assert_output 1
}

vfe_check_fb()
{
	vfe_check_shim_fault fb 'is missing from this image'
}

vfe_check_fc()
{
	vfe_check_shim_fault fc 'is not executable'
}

vfe_check_fd()
{
	vfe_assert_kmsg fd "vfio-early-test: stand-in binary started .*SIG$VFE_CRASH_SIGNAL"
	vfe_refute_kmsg fd 'stand-in binary survived'
	vfe_check_shim_fault fd "was killed by signal $VFE_CRASH_SIGNUM\$"
}

# e. /etc/vfio-early.conf is a directory: logged, the command-line rule
#    still binds card 1
vfe_check_fe()
{
	vfe_assert_root fe
	vfe_assert_kmsg fe 'vfio-early: /etc/vfio-early.conf: Is a directory, ignored'
	vfe_assert_drivers fe early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	# shellcheck disable=SC2086
	vfe_assert_drivers fe udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_kmsg fe "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci.*cmdline vfio_early.devices"
	vfe_assert_kmsg fe 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 1 rule error'
	vfe_assert_state fe '^run mode=boot exit=2 bound=2 .*rule_errors=1'
}

# f. hostile vfio_early.* values: each bad token is named (control
#    characters as '?', an overlong one cut at 64 characters), nothing is
#    bound, the boot reaches root
vfe_check_ff()
{
	local p='vfio-early: /proc/cmdline: '
	vfe_assert_root ff
	vfe_assert_kmsg ff "${p}vfio_early.devices: \.\./\.\./\.\./sys/bus/pci/drivers/vfio-pci/bind: not a PCI address"
	vfe_assert_kmsg ff "${p}vfio_early.devices: 01:00\.8: function must be 0-7"
	vfe_assert_kmsg ff "${p}vfio_early.ids: 1234:1111\?c: not an id"
	vfe_assert_kmsg ff "${p}vfio_early.devices: ${VFE_OVERLONG:0:64}: "
	vfe_refute_kmsg ff "${VFE_OVERLONG:0:65}"
	vfe_assert_kmsg ff "${p}vfio_early.ids=: empty list"
	vfe_assert_kmsg ff "${p}vfio_early.devices: ,: empty list element"
	# an unreadable kill switch is read as off: nothing is bound
	vfe_assert_kmsg ff "${p}vfio_early: \.\./\.\./etc/passwd: expected on or off; read as off, so nothing is bound"
	vfe_assert_kmsg ff "${p}vfio_early.devices: 01:00\.8: function must be 0-7; the whole list is ignored"
	vfe_assert_kmsg ff "${p}vfio_early.devices/\.\./: unknown vfio_early option"
	# the raw control character never reaches the log
	run bash -c "tr -d '\r' <'$VFE_OUT/ff.console' | grep -a 'vfio-early:' | grep -ac \$'\x1b'"
	assert_output 0
	vfe_assert_kmsg ff 'vfio-early: disabled by vfio_early=off on the kernel command line'
	run vfe_nothing_on_vfio ff
	assert_success
	vfe_check_host_drivers ff
	vfe_assert_state ff '^run mode=off exit=2 bound=0 .*rule_errors=9'
}

# g. no /dev/kmsg while vfio-early runs: its lines reach the console
#    (ttyS0) without a kernel timestamp, none is in the kernel log, and card 1
#    is bound all the same
vfe_check_fg()
{
	local console=$BATS_TEST_TMPDIR/console
	vfe_assert_root fg
	tr -d '\r' <"$VFE_OUT/fg.console" >"$console"
	# the test scripts ran around vfio-early's
	run grep -a 'vfio-early-test: ' "$console"
	assert_line --regexp '^\[ *[0-9.]+\] vfio-early-test: hiding /dev/kmsg$'
	assert_line --regexp '^\[ *[0-9.]+\] vfio-early-test: /dev/kmsg restored$'
	run grep -a 'vfio-early: ' "$console"
	assert_line --regexp '^vfio-early: warning: cannot open /dev/kmsg \(No such file or directory\), logging to stderr$'
	assert_line --regexp "^vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci"
	assert_line --regexp '^vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)$'
	# (a timestamp on none but the late pass's lines: "late pass: ...")
	refute_line --regexp '^\[ *[0-9.]+\] vfio-early: ([^l]|l[^a])'
	# none of the early pass in the kernel log (the late pass, after the
	# kmsg was restored, logs there)
	run bash -c "grep -a '^KMSG .*vfio-early: ' '$VFE_OUT/fg.result' | grep -v 'vfio-early: late pass: '"
	assert_output ""
	vfe_assert_drivers fg early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	# shellcheck disable=SC2086
	vfe_assert_drivers fg udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" $vfe_host_native
	vfe_assert_state fg '^run mode=boot exit=0 bound=2 '
}
