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
path 00:06.0/00.0
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
	out=$VFE_CACHE/rootfs-home-$key.ext4
	if [ ! -s "$out" ]; then
		rm -f "$VFE_CACHE"/rootfs-home-*.ext4
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
	timeout -k 5 "$VFE_TIMEOUT" qemu-system-x86_64 -accel "$VFE_ACCEL" -machine q35 -m 512 \
		-nodefaults -no-user-config -display none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$log" \
		-drive "file=$VFE_ROOTFS,if=virtio,format=raw,readonly=on" \
		-drive "file=$dir/1.img,if=virtio,format=raw" \
		-drive "file=$dir/2.img,if=virtio,format=raw" \
		-kernel "$VFE_KERNEL" -initrd "$dir/initrd" -append "console=ttyS0 panic=-1 loglevel=4" \
		</dev/null >/dev/null 2>&1 && status=0 || status=$?
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
