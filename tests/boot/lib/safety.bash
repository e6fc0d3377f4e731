# The boot-safety scenarios (issue 11), shared by safety-itools.bats and
# safety-dracut.bats.  Set VFE_KIND (itools or dracut) before loading.
#
# The guests' protected lists are recorded for real (vfe_guest_protected in
# boot.bash: a boot of the layout whose root runs `vfio-early
# --list-protected`), on the layouts of boot.bash (vfe_qemu_args_nvme,
# _nvmeshift, _md, _home), whose disks vfe_safety_prepare makes:
#
#   same    list of layout nvme, booted on it; rules name card 1, the root
#           NVMe and the spare NVMe by address: the list verifies, the
#           root NVMe is refused, the spare goes to vfio-pci
#   other   list recorded with another DMI UUID (another machine); rules
#           name card 1 and the root NVMe: unverified, the root NVMe stays
#           on nvme, card 1 on vfio-pci
#   layout  list of layout base (the virtio-blk root of boot.bash's host),
#           booted on nvme, whose 00:05.0/00.0 is the root NVMe: unverified
#           (ids differ); rules name card 1 and both NVMe by address: the
#           root NVMe stays on nvme, the spare (refused early for lack of
#           proof) goes to vfio-pci in the late pass
#   shift   list of layout nvme, booted on nvmeshift (one more root port
#           with a device at 03:00.0 renumbers both NVMe buses); a config
#           `path` rule names the spare NVMe (now 05:00.0), the command line
#           names the root NVMe at its new address 04:00.0: the root NVMe
#           stays on nvme, the spare ends on vfio-pci
#   md      root on md RAID1 over both NVMe controllers, a rule names one:
#           both stay on nvme, the array is assembled, root reached
#   home    /home (fstab, by UUID, no nofail) on the second NVMe, named by
#           a rule: it stays on nvme, /home is mounted and readable
#   rerun   layout home; on the booted root vfio-early runs again in boot
#           mode with a rule naming /home's controller: nothing unbound,
#           nvme keeps it, /home still mounted and readable

# shellcheck source=scenarios.bash
source "$BATS_TEST_DIRNAME/lib/scenarios.bash"

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/safety-$VFE_KIND

# the emulated hosts' addresses (see boot.bash, "more emulated hosts")
VFE_S_ROOT=0000:03:00.0        # the root NVMe (layouts nvme, home; md member 1)
VFE_S_SPARE=0000:04:00.0       # the second NVMe (spare, /home, md member 2)
VFE_S_SHIFT_EXTRA=0000:03:00.0 # nvmeshift: the virtio-rng behind 00:04.0
VFE_S_SHIFT_ROOT=0000:04:00.0  # nvmeshift: the root NVMe
VFE_S_SHIFT_SPARE=0000:05:00.0 # nvmeshift: the spare NVMe

VFE_HOME_UUID=7d3b9a12-4c5e-4f80-b1a6-2e9c8d7f6a53
# md's own notation; dracut's rd.md.uuid= takes it as it is
VFE_MD_UUID=3a1c5e7f:0b2d4f6a:8c9e1a3b:5d7f9b2c

# The spare NVMe by its stable path: root port 00:06.0, slot 0 function 0.
VFE_CONFIG_SPARE_PATH='# the spare NVMe, by the root port it sits behind (00:06.0), whatever its bus number
path 00:06.0/00.0 expect=1b36:0010
'

VFE_SAFETY_TOOLS=(mdadm debugfs)

# --- disks ------------------------------------------------------------------

# vfe_safety_home_disk: the ext4 /home (UUID VFE_HOME_UUID) with a marker.
vfe_safety_home_disk()
{
	local out=$VFE_CACHE/home-1.ext4 dir
	if [ ! -s "$out" ]; then
		dir=$(mktemp -d)
		echo "vfio-early test /home" >"$dir/vfe-test-marker"
		truncate -s 16M "$out.tmp"
		mke2fs -q -F -t ext4 -U "$VFE_HOME_UUID" -L vfe-home -d "$dir" "$out.tmp" >&2 &&
			mv -f "$out.tmp" "$out"
		rm -rf "$dir" "$out.tmp"
	fi
	[ -s "$out" ] && echo "$out"
}

# vfe_safety_home_rootfs: VFE_ROOTFS with /home and an /etc/fstab mounting
# the /home disk by UUID (defaults, no nofail), as a host's fstab has it.
vfe_safety_home_rootfs()
{
	local key out fstab
	key=$( (echo "home 1 $VFE_HOME_UUID"; basename "$VFE_ROOTFS") | sha256sum | head -c 16)
	# not rootfs-*.ext4: vfe_rootfs keeps only the four newest of those
	out=$VFE_CACHE/homeroot-$key.ext4
	if [ ! -s "$out" ]; then
		rm -f "$VFE_CACHE"/homeroot-*.ext4
		fstab=$(mktemp)
		printf '# test guest: /home on the second NVMe controller\nUUID=%s /home ext4 defaults 0 2\n' \
			"$VFE_HOME_UUID" >"$fstab"
		cp --sparse=always "$VFE_ROOTFS" "$out.tmp" &&
			debugfs -w -f - "$out.tmp" >"$out.log" 2>&1 <<-EOF &&
			mkdir home
			write $fstab etc/fstab
			EOF
			mv -f "$out.tmp" "$out"
		rm -f "$fstab" "$out.tmp"
	fi
	[ -s "$out" ] && echo "$out"
}

# vfe_safety_md_initrd DIR: a busybox initramfs whose /init builds the md
# RAID1 (metadata 1.2, UUID VFE_MD_UUID) over the disks vdb and vdc and
# copies the root filesystem (vda) into it block by block, then reports
# VFE-MD-OK and ends the guest.
vfe_safety_md_initrd()
{
	local out=$1 dir lib m
	dir=$(mktemp -d)
	mkdir -p "$dir"/{bin,sbin,dev,proc,sys,run,lib/mods}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	cp /sbin/mdadm "$dir/sbin/mdadm"
	for lib in $(vfe_libs /sbin/mdadm); do
		install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib"
	done
	for m in $(modprobe -S "$VFE_KVER" -a --show-depends virtio_blk virtio_pci raid1 |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++'); do
		cp "$m" "$dir/lib/mods/"
		echo "${m##*/}" >>"$dir/lib/mods/order"
	done
	cat >"$dir/init" <<-EOF
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	export PATH=/bin:/sbin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs dev /dev
	for m in \$(cat /lib/mods/order); do insmod /lib/mods/\$m || echo "insmod \$m failed"; done
	for i in \$(seq 50); do [ -b /dev/vdc ] && break; sleep 0.2; done
	if mdadm --create /dev/md0 --run --assume-clean --level=1 --raid-devices=2 \\
		--metadata=1.2 --uuid=$VFE_MD_UUID --name=vfe-root --homehost=vfe-test \\
		--data-offset=1M /dev/vdb /dev/vdc &&
		dd if=/dev/vda of=/dev/md0 bs=1M conv=fsync &&
		mdadm --detail /dev/md0 && mdadm --stop /dev/md0 && sync; then
		echo VFE-MD-OK
	else
		echo VFE-MD-FAILED
	fi
	printf '\\020' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	EOF
	chmod +x "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$out"
	rm -rf "$dir"
}

# vfe_safety_md_disks: VFE_MD_DISK1 and VFE_MD_DISK2, the two halves of an
# md RAID1 holding a copy of VFE_ROOTFS (same ext4 UUID), made by a
# preparation guest running mdadm --create (cached).
vfe_safety_md_disks()
{
	local key base dir status log
	key=$( (echo "md 1 $VFE_MD_UUID $VFE_KVER"; basename "$VFE_ROOTFS"
		declare -f vfe_safety_md_initrd; sha256sum </sbin/mdadm) | sha256sum | head -c 16)
	base=$VFE_CACHE/md-$key
	VFE_MD_DISK1=$base-1.img
	VFE_MD_DISK2=$base-2.img
	[ -s "$VFE_MD_DISK1" ] && [ -s "$VFE_MD_DISK2" ] && return 0
	rm -f "$VFE_CACHE"/md-*.img
	dir=$(mktemp -d)
	log=$VFE_CACHE/md-prepare.console
	truncate -s 64M "$dir/1.img" "$dir/2.img"
	vfe_safety_md_initrd "$dir/initrd"
	vfe_qemu_machine 512
	VFE_QEMU_ARGS+=(-drive "file=$VFE_ROOTFS,if=virtio,format=raw,readonly=on"
		-drive "file=$dir/1.img,if=virtio,format=raw"
		-drive "file=$dir/2.img,if=virtio,format=raw")
	vfe_qemu_run "$VFE_TIMEOUT" "$VFE_KERNEL" "$dir/initrd" "console=ttyS0 panic=-1 loglevel=4" "$log" &&
		status=0 || status=$?
	if [ "$status" = 33 ] && grep -aq '^VFE-MD-OK' "$log"; then
		mv -f "$dir/1.img" "$VFE_MD_DISK1"
		mv -f "$dir/2.img" "$VFE_MD_DISK2"
	else
		vfe_log "the md preparation guest failed (status $status), console $log:"
		tr -d '\r' <"$log" | tail -n 20 | sed 's/^/#   /' >&2
	fi
	rm -rf "$dir"
	[ -s "$VFE_MD_DISK1" ] && [ -s "$VFE_MD_DISK2" ]
}

# vfe_safety_prepare: the disks of the layouts md and home (VFE_MD_DISK1,
# VFE_MD_DISK2, VFE_HOME_ROOTFS, VFE_HOME_DISK).  After vfe_prepare.
vfe_safety_prepare()
{
	VFE_HOME_DISK=$(vfe_safety_home_disk) || { vfe_log "cannot make the /home disk"; return 1; }
	VFE_HOME_ROOTFS=$(vfe_safety_home_rootfs) || { vfe_log "cannot make the root with /etc/fstab"; return 1; }
	vfe_safety_md_disks || return 1
	export VFE_HOME_DISK VFE_HOME_ROOTFS VFE_MD_DISK1 VFE_MD_DISK2
}

# --- setup ------------------------------------------------------------------

# vfe_safety_setup: stage, disks, lists (recorded two at a time), images,
# then every boot (VFE_JOBS at a time); outputs in VFE_OUT, timings in
# VFE_OUT/timing.
vfe_safety_setup()
{
	local t1 t2 stage cfg l_nvme l_other l_md l_home l_base
	local img_nvme img_other img_layout img_shift img_md img_home md_flavour=test boots=() t v
	[ "$VFE_KIND" != dracut ] || md_flavour=test+mdraid
	vfe_boot_setup "${VFE_SAFETY_TOOLS[@]}" "$(vfe_packager "$VFE_KIND")" || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	stage=$VFE_STAGE
	vfe_safety_prepare || return 1

	# the lists, as each machine's image build records them
	vfe_record_image >/dev/null || return 1
	# (in subshells: background jobs of this shell, even waited for, make
	# the `wait -n` of vfe_boot_all return early under bats, and more guests
	# than VFE_JOBS run at once)
	(
		vfe_guest_protected nvme >"$BATS_FILE_TMPDIR/l_nvme" &
		vfe_guest_protected nvme "$VFE_OTHER_MACHINE_UUID" >"$BATS_FILE_TMPDIR/l_other" &
		wait
	)
	(
		vfe_guest_protected md "" "rd.md.uuid=$VFE_MD_UUID" >"$BATS_FILE_TMPDIR/l_md" &
		vfe_guest_protected home >"$BATS_FILE_TMPDIR/l_home" &
		wait
	)
	# recorded by initramfs-tools.bats and dracut.bats too
	vfe_guest_protected base >"$BATS_FILE_TMPDIR/l_base"
	for v in nvme other md home base; do
		t=$(cat "$BATS_FILE_TMPDIR/l_$v")
		[ -s "$t" ] || { vfe_log "no protected list for $v"; return 1; }
		cp "$t" "$VFE_OUT/list-$v"
		printf -v "l_$v" '%s' "$t"
	done
	t1=$(date +%s)

	cfg=$BATS_FILE_TMPDIR/spare-path.conf
	printf '%s' "$VFE_CONFIG_SPARE_PATH" >"$cfg"
	img_nvme=$(vfe_image "$VFE_KIND" safety-nvme "$stage" "" "$l_nvme" test "$VFE_KVER") || return 1
	img_other=$(vfe_image "$VFE_KIND" safety-other "$stage" "" "$l_other" test "$VFE_KVER") || return 1
	img_layout=$(vfe_image "$VFE_KIND" safety-layout "$stage" "" "$l_base" test "$VFE_KVER") || return 1
	img_shift=$(vfe_image "$VFE_KIND" safety-shift "$stage" "$cfg" "$l_nvme" test "$VFE_KVER") || return 1
	img_md=$(vfe_image "$VFE_KIND" safety-md "$stage" "" "$l_md" "$md_flavour" "$VFE_KVER") || return 1
	img_home=$(vfe_image "$VFE_KIND" safety-home "$stage" "" "$l_home" test "$VFE_KVER") || return 1
	t2=$(date +%s)

	# the slowest (md) first
	boots=("md|$img_md|1@md|vfio_early.devices=01:00,${VFE_S_ROOT#0000:} rd.md.uuid=$VFE_MD_UUID"
		"same|$img_nvme|1@nvme|vfio_early.devices=01:00,${VFE_S_ROOT#0000:},${VFE_S_SPARE#0000:}"
		"other|$img_other|1@nvme|vfio_early.devices=01:00,${VFE_S_ROOT#0000:}"
		"layout|$img_layout|1@nvme|vfio_early.devices=01:00,${VFE_S_ROOT#0000:},${VFE_S_SPARE#0000:}"
		"shift|$img_shift|1@nvmeshift|vfio_early.devices=01:00,${VFE_S_SHIFT_ROOT#0000:}"
		"home|$img_home|1@home|vfio_early.devices=01:00,${VFE_S_SPARE#0000:}"
		"rerun|$img_home|1@home|vfio_early.devices=01:00 vfe_test.rebind=${VFE_S_SPARE#0000:}")
	vfe_boot_specs "${boots[@]}"
	{
		echo "kind=safety-$VFE_KIND accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS"
		echo "stage, disks and lists: $((t1 - VFE_SETUP_T0)) s (recording boots: $(
			vfe_record_lines record-nvme record-nvme-other record-md record-home record-base)cached otherwise)"
		echo "images: $((t2 - t1)) s"
		vfe_boot_lines "${boots[@]}"
	} | vfe_boot_timing "safety-$VFE_KIND"
}

# --- assertions -------------------------------------------------------------

# vfe_lines NAME PREFIX MOMENT: the guest's PREFIX lines (MOUNT, MDSTAT,
# READ) at MOMENT, without the prefix and moment.
vfe_lines()
{
	awk -v p="$2" -v m="$3" '$1 == p && $2 == m { sub(/^[^ ]+ [^ ]+ /, ""); print }' "$VFE_OUT/$1.result"
}

# vfe_assert_protected_list NAME STATE: the early pass logged that the
# protected list was verified or unverified (STATE).
vfe_assert_protected_list()
{
	case $2 in
	verified) vfe_assert_kmsg "$1" 'vfio-early: .*protected list verified' ;;
	unverified) vfe_assert_kmsg "$1" 'vfio-early: .*protected list unverified: ' ;;
	esac
}

# vfe_assert_kept NAME ADDR: ADDR is on nvme after udev and on the real
# root, and vfio-pci never was its override; a line of the log says why it
# was kept.
vfe_assert_kept()
{
	local n=$1 a=$2
	vfe_assert_drivers "$n" udev,root "$a=nvme"
	run awk -v a="$a" '$1 == "DEV" && $3 == a && $7 == "override=vfio-pci"' "$VFE_OUT/$n.result"
	assert_output ""
	vfe_assert_kmsg "$n" "vfio-early: (late pass: )?$a .*(refus|protect|kept|in use|held|mounted|skip)"
	vfe_refute_kmsg "$n" "vfio-early: (late pass: )?$a .*bound to vfio-pci"
}

# vfe_assert_card1 NAME: card 1 on vfio-pci from right after the early pass
# to the real root, card 2 with the host.
vfe_assert_card1()
{
	vfe_assert_drivers "$1" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	vfe_assert_drivers "$1" udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" \
		"$VFE_HOST_VGA=bochs-drm"
	vfe_assert_kmsg "$1" "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci"
}

# What a device line of the list says the device holds.
VFE_HOLDS_ROOT='(why=holds the root filesystem|holds=/ )'
VFE_HOLDS_HOME='(why=holds /home |holds=/home )'

# vfe_assert_list_recorded NAME: the list the image carries was recorded on
# its guest: versioned, this guest's machine line, complete.
vfe_assert_list_recorded()
{
	local list=$VFE_OUT/list-$1 uuid=${2:-$VFE_MACHINE_UUID}
	# comment lines may come first
	run bash -c "grep -v '^#' '$list' | head -n 1"
	assert_output 'vfio-early-protected 3'
	run cat "$list"
	assert_line "machine $uuid"
	assert_line 'status complete'
	assert_line --regexp '^end devices=[0-9]+ carriers=[0-9]+$'
}

# --- the scenarios ------------------------------------------------------------

# lists: what the recording boots printed is the versioned list, with this
# guest's machine line (or the other machine's), complete, naming the
# controllers by stable path with what they hold
vfe_check_lists()
{
	local slot1=0000:$VFE_NVME_SLOT1/00\\.0 slot2=0000:$VFE_NVME_SLOT2/00\\.0
	vfe_assert_list_recorded nvme
	run cat "$VFE_OUT/list-nvme"
	assert_line --regexp "^device addr=$VFE_S_ROOT path=$slot1 ids=1b36:0010 sub=[0-9a-f]{4}:[0-9a-f]{4} class=010802 $VFE_HOLDS_ROOT"
	refute_line --regexp "^device addr=$VFE_S_SPARE "
	# the spare's namespace is a block device the host does not need
	assert_line --regexp "^carrier addr=$VFE_S_SPARE path=$slot2 ids=1b36:0010 .* why=held nvme[0-9]n1\$"
	assert_line 'end devices=1 carriers=1'
	vfe_assert_list_recorded other "$VFE_OTHER_MACHINE_UUID"
	run cat "$VFE_OUT/list-other"
	assert_line --regexp "^device addr=$VFE_S_ROOT path=$slot1 ids=1b36:0010 "
	vfe_assert_list_recorded md
	run cat "$VFE_OUT/list-md"
	assert_line --regexp "^device addr=$VFE_S_ROOT path=$slot1 ids=1b36:0010 .* $VFE_HOLDS_ROOT"
	assert_line --regexp "^device addr=$VFE_S_SPARE path=$slot2 ids=1b36:0010 .* $VFE_HOLDS_ROOT"
	vfe_assert_list_recorded home
	run cat "$VFE_OUT/list-home"
	assert_line --regexp "^device addr=$VFE_S_ROOT path=$slot1 .* $VFE_HOLDS_ROOT"
	assert_line --regexp "^device addr=$VFE_S_SPARE path=$slot2 ids=1b36:0010 .* $VFE_HOLDS_HOME"
	assert_line 'end devices=2 carriers=0'
	# the list of boot.bash's host, which initramfs-tools.bats and dracut.bats use
	vfe_assert_list_recorded base
	run cat "$VFE_OUT/list-base"
	assert_line --regexp "^device addr=$VFE_ROOTDISK path=0000:00:05\\.0/00\\.0 ids=1af4:1042 .*class=010000 $VFE_HOLDS_ROOT"
}

# same: the list recorded on this very guest verifies; the root NVMe named by
# address is refused, the spare NVMe named by address goes to vfio-pci
vfe_check_same()
{
	vfe_assert_root same
	vfe_assert_kept same "$VFE_S_ROOT"
	vfe_assert_drivers same early,udev,root "$VFE_S_SPARE=vfio-pci"
	vfe_assert_card1 same
	# the protected list's verdict (the versioned list)
	vfe_assert_protected_list same verified
}

# other: the list of another machine (the same layout, recorded under
# another DMI UUID): unverified; the root NVMe named by address stays on
# nvme, card 1 is bound all the same
vfe_check_other()
{
	run grep -a '^MACHINE ' "$VFE_OUT/other.result"
	assert_output "MACHINE $VFE_MACHINE_UUID"
	vfe_assert_root other
	vfe_assert_kept other "$VFE_S_ROOT"
	vfe_assert_drivers other udev,root "$VFE_S_SPARE=nvme"
	vfe_assert_card1 other
	run vfe_lines other MOUNT root
	assert_line --regexp '^/dev/nvme[0-9]+n1 / ext4$'
	# the protected list's verdict (the versioned list)
	vfe_assert_protected_list other unverified
	vfe_assert_kmsg other 'vfio-early: .*protected list unverified: .*machine'
}

# layout: the list of another layout (virtio-blk root at 04:00.0, path
# 00:05.0/00.0), booted where 00:05.0/00.0 is the root NVMe (03:00.0) and
# 04:00.0 a spare NVMe: unverified; the root NVMe is kept; the spare, refused
# early, goes to vfio-pci in the late pass, which finds it unused
vfe_check_layout()
{
	vfe_assert_root layout
	vfe_assert_kept layout "$VFE_S_ROOT"
	vfe_assert_card1 layout
	run vfe_lines layout MOUNT root
	assert_line --regexp '^/dev/nvme[0-9]+n1 / ext4$'
	# a list that names the spare's address must not protect the spare
	# for that: it is bound once proven unused
	vfe_assert_drivers layout root "$VFE_S_SPARE=vfio-pci"
	vfe_assert_kmsg layout "vfio-early: late pass: .*$VFE_S_SPARE .*bound to vfio-pci"
	vfe_assert_protected_list layout unverified
}

# shift: hardware changed after the image was built; the root NVMe, found
# by its path at its new address, is kept; the spare NVMe named by its path
# ends on vfio-pci after switch_root; the new device is left alone
vfe_check_shift()
{
	vfe_assert_root shift
	vfe_assert_kept shift "$VFE_S_SHIFT_ROOT"
	vfe_assert_drivers shift root "$VFE_S_SHIFT_SPARE=vfio-pci" "$VFE_S_SHIFT_EXTRA=!vfio-pci"
	vfe_assert_kmsg shift "vfio-early: (late pass: )?$VFE_S_SHIFT_SPARE .*bound to vfio-pci"
	vfe_refute_kmsg shift "vfio-early: (late pass: )?$VFE_S_SHIFT_EXTRA .*bound to vfio-pci"
	vfe_assert_card1 shift
	run vfe_lines shift MOUNT root
	assert_line --regexp '^/dev/nvme[0-9]+n1 / ext4$'
	# the protected list's verdict (the versioned list)
	vfe_assert_kmsg shift 'vfio-early: .*protected list (verified|unverified)'
}

# md: root on md RAID1 over both NVMe controllers, a rule names one: both
# stay on nvme, the array is assembled with both halves, root reached
vfe_check_md()
{
	vfe_assert_root md
	vfe_assert_kept md "$VFE_S_ROOT"
	vfe_assert_drivers md udev,root "$VFE_S_SPARE=nvme"
	run awk -v a="$VFE_S_SPARE" '$1 == "DEV" && $3 == a && $7 == "override=vfio-pci"' "$VFE_OUT/md.result"
	assert_output ""
	run vfe_lines md MDSTAT root
	assert_line --regexp '^md[0-9]+ : active (\(auto-read-only\) )?raid1 nvme[0-9]n1\[[01]\] nvme[0-9]n1\[[01]\]$'
	assert_line --regexp '\[2/2\] \[UU\]$'
	run vfe_lines md MOUNT root
	assert_line --regexp '^/dev/md[0-9]+ / ext4$'
	run vfe_lines md READ root
	assert_line '/ ok'
	vfe_assert_card1 md
}

# home: /home (fstab, no nofail) on the second NVMe, which a rule names:
# kept on nvme, /home mounted on the real root and readable
vfe_check_home()
{
	vfe_assert_root home
	vfe_assert_kept home "$VFE_S_SPARE"
	vfe_assert_drivers home udev,root "$VFE_S_ROOT=nvme"
	run grep -a '^MOUNT-FAILED' "$VFE_OUT/home.result"
	assert_output ""
	run vfe_lines home MOUNT root
	assert_line --regexp '^/dev/nvme[0-9]+n1 /home ext4$'
	run vfe_lines home READ root
	assert_line '/home ok'
	vfe_assert_card1 home
}

# rerun: on the booted root, vfio-early in boot mode once more with a rule
# naming /home's controller: not unbound, nvme still holds it, /home still
# mounted and readable
vfe_check_rerun()
{
	vfe_assert_root rerun
	vfe_assert_drivers rerun root,rebind "$VFE_S_SPARE=nvme" "$VFE_S_ROOT=nvme"
	run awk -v a="$VFE_S_SPARE" '$1 == "DEV" && $2 == "rebind" && $3 == a { print $7 }' "$VFE_OUT/rerun.result"
	refute_output 'override=vfio-pci'
	run grep -a '^REBIND ' "$VFE_OUT/rerun.result"
	assert_output --regexp '^REBIND exit=[0-9]+$'
	vfe_assert_kmsg rerun "vfio-early: $VFE_S_SPARE .*(refus|protect|in use|mounted)"
	vfe_refute_kmsg rerun "vfio-early: $VFE_S_SPARE .*bound to vfio-pci"
	vfe_refute_kmsg rerun "vfio-early: $VFE_S_SPARE .*unbound"
	run vfe_lines rerun MOUNT rebind
	assert_line --regexp '^/dev/nvme[0-9]+n1 /home ext4$'
	run vfe_lines rerun READ rebind
	assert_line '/home ok'
	vfe_assert_drivers rerun rebind "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
}
