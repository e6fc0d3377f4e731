#!/usr/bin/env bats
# The protected list end to end: the real image-build hook writes it from a
# build-time tree, boot mode runs on a boot-time tree where the hardware
# may have moved or changed, and every driver_override is checked.  The
# fixtures (tests/fixtures/*.spec) name the real machines they follow.

load helper

ROOT_UUID=8d1f0c7e-2a44-4b9e-9d3c-0a1b2c3d4e5f
# h97-nvme: the SATA disk on the board's AHCI controller, for fstab cases.
SATA='block sda pci=0000:00:1f.2 path=ata3/host2/target2:0:0/2:0:0:0/block dev=8:0
block sda1 parent=sda dev=8:1 uuid=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958'
MOUNTED_ROOT="mount / 259:2 /dev/nvme0n1p2 ext4
file etc/fstab UUID=$ROOT_UUID / ext4 errors=remount-ro 0 1"

# The h97 host's list, with / on the root NVMe and $1 more spec lines.
h97_list() {
	build_tree h97-nvme "$MOUNTED_ROOT
$SATA
${1:-}"
	build_list
}

# The list must not name ADDR (bats does not fail on a "!" command).
not_listed() {
	if grep -q "^device addr=$1 " "$LIST"; then
		fail "$1 is in the list:"$'\n'"$(cat "$LIST")"
	fi
}

# A zpool(8) stand-in on PATH: $1 is its output, $2 its status.
stub_zpool() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\nprintf "%%b" "%s"\nexit %s\n' "$1" "${2:-0}" > "$BATS_TEST_TMPDIR/bin/zpool"
	chmod +x "$BATS_TEST_TMPDIR/bin/zpool"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH
}

# --- hardware changed after the image build ---------------------------------

@test "a GPU added: the root NVMe renumbered to 02:00.0 stays protected, the GPU at its old address goes" {
	h97_list
	grep -q '^device addr=0000:01:00.0 path=0000:00:1c.0/00.0 ids=144d:a808' "$LIST"
	boot_tree h97-nvme-gpu
	set_config 'address 02:00.0' 'ids 10de:1c03'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:03:00.0='(null)' \
		0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci 0000:00:1f.2='(null)'
	kmsg | grep -q '0000:01:00.0 moved to 0000:02:00.0 since the image was built'
	kmsg | grep -q '0000:02:00.0 .*refused: holds the root filesystem'
	kmsg | grep -q 'protected list verified'
}

@test "a GPU added: the spare, now at 03:00.0, is taken by its stable path" {
	h97_list
	boot_tree h97-nvme-gpu
	set_config 'path 00:1c.4/00.0 expect=144d:a808'
	ve
	assert_overrides 0000:03:00.0=vfio-pci 0000:02:00.0='(null)' 0000:01:00.0='(null)'
}

@test "the root NVMe swapped for another model in its slot: unverified, no storage taken" {
	h97_list
	boot_tree h97-nvme-gpu
	sed -i 's/0xa808/0xa809/' "$ROOT/sys/bus/pci/devices/0000:02:00.0/device"
	sed -i 's/d0000A808/d0000A809/' "$ROOT/sys/bus/pci/devices/0000:02:00.0/modalias"
	set_config 'address 02:00.0' 'address 03:00.0' 'ids 10de:1c03'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:03:00.0='(null)' 0000:01:00.0=vfio-pci
	kmsg | grep -q 'protected list unverified: .*144d:a809 .*recorded 144d:a808'
	kmsg | grep -q '0000:03:00.0 .*refused: is a storage controller and the protected list is unverified'
}

@test "the disks moved to another machine: its list (other DMI UUID) is unverified" {
	h97_list
	boot_tree h97-nvme-gpu 'dmi 2f9e8d7c-6b5a-4938-8271-605f4e3d2c1b'
	set_config 'address 03:00.0' 'ids 10de:1c03'
	ve
	assert_overrides 0000:03:00.0='(null)' 0000:02:00.0='(null)' 0000:01:00.0=vfio-pci
	kmsg | grep -q 'protected list unverified: the list was recorded on another machine'
}

@test "a generic image (no list): no storage controller is taken, the GPU is" {
	boot_tree h97-nvme-gpu
	set_config 'address 03:00.0' 'address 00:1f.2' 'ids 10de:1c03'
	ve
	assert_overrides 0000:03:00.0='(null)' 0000:00:1f.2='(null)' 0000:02:00.0='(null)' \
		0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci
	kmsg | grep -q 'protected list unverified: the image has no /lib/vfio-early/protected'
}

# --- a damaged list -----------------------------------------------------------

# Boot h97-nvme with the list as $1 edits it; the spare must stay.
damaged_list() {
	h97_list
	boot_tree h97-nvme
	eval "$1"
	set_config 'address 02:00.0'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:01:00.0='(null)'
	kmsg | grep -q "protected list unverified: $2"
}

@test "a truncated list (no end line) is unverified" {
	damaged_list 'sed -i "/^end /d" "$ROOT/lib/vfio-early/protected"' '.*is truncated'
}

@test "a list cut inside a device line is unverified" {
	damaged_list 'head -c 200 "$LIST" > "$ROOT/lib/vfio-early/protected"' '.*'
}

@test "a comment-only list is unverified" {
	damaged_list 'grep "^#" "$LIST" > "$ROOT/lib/vfio-early/protected"' '.*comments only'
}

@test "an old-format list (addresses only) is unverified" {
	damaged_list 'printf "0000:01:00.0\n" > "$ROOT/lib/vfio-early/protected"' '.*old format'
}

@test "an empty list file is unverified" {
	damaged_list ': > "$ROOT/lib/vfio-early/protected"' '.*'
}

# --- md partitions --------------------------------------------------------------

@test "root on md0p2 (a partition of an md RAID1, no slaves/): both NVMe members protected" {
	build_tree rst-raid 'mount / 259:7 /dev/md0p2 ext4
file etc/fstab UUID=a7c3e1d0-5b6f-4e2a-9c8d-1f0e2d3c4b5a / ext4 defaults 0 1'
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:02:00.0 ' "$LIST"
	grep -q '^device addr=0000:03:00.0 ' "$LIST"
	not_listed 0000:00:17.0
	boot_tree rst-raid
	set_config 'address 02:00.0' 'address 03:00.0' 'address 00:17.0' 'ids 10de:1e87'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:03:00.0='(null)' 0000:00:17.0=vfio-pci \
		0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci
}

@test "root on md126p2 (Intel RST IMSM volume): the RAID-mode SATA controller is protected" {
	build_tree rst-raid 'mount / 259:5 /dev/md126p2 ext4
mount /boot/efi 259:4 /dev/md126p1 vfat
file etc/fstab UUID=0b6e3f44-91c2-4d0a-8e57-6c3d2a1b0f99 / ext4 defaults 0 1
file etc/fstab UUID=5E1D-77A0 /boot/efi vfat umask=0077 0 1'
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:00:17.0 .*class=010400' "$LIST"
	boot_tree rst-raid
	set_config 'address 00:17.0' 'address 02:00.0' 'ids 10de:1e87'
	ve
	assert_overrides 0000:00:17.0='(null)' 0000:02:00.0=vfio-pci 0000:01:00.0=vfio-pci
}

@test "root on md0p2 without /etc/fstab: the boot takes neither NVMe member" {
	build_tree rst-raid 'mount / 259:7 /dev/md0p2 ext4'
	build_list
	boot_tree rst-raid
	set_config 'address 02:00.0' 'address 03:00.0' 'ids 10de:1e87'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:03:00.0='(null)' 0000:01:00.0=vfio-pci
}

# --- NVMe native multipath --------------------------------------------------------

@test "root on a dual-port NVMe (native multipath): both controllers protected" {
	build_tree dualport-nvme 'mount / 259:2 /dev/nvme1n1p2 xfs
file etc/fstab UUID=e4b1a6f2-0c3d-4e8f-9a7b-6c5d4e3f2a1b / xfs defaults 0 0'
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:01:00.0 ' "$LIST"
	grep -q '^device addr=0000:02:00.0 ' "$LIST"
	boot_tree dualport-nvme
	set_config 'address 01:00.0' 'address 02:00.0' 'ids 1002:67c7'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' \
		0000:03:00.0=vfio-pci 0000:03:00.1=vfio-pci
}

@test "a booted host on a dual-port NVMe: neither controller is unbound" {
	make_root dualport-nvme 'mount / 259:2 /dev/nvme1n1p2 xfs'
	set_config 'address 01:00.0' 'address 02:00.0'
	ve --yes
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)'
}

# --- btrfs and ZFS -------------------------------------------------------------------

@test "btrfs RAID1 over the root NVMe and a SATA disk: both controllers protected" {
	build_tree h97-nvme "$SATA
btrfs 1e5c7a90-3b2d-4f6e-8a1c-9d0e7f6b5a43 devices=nvme0n1p2,sda1
mount / 0:27 /dev/nvme0n1p2 btrfs
file etc/fstab UUID=$ROOT_UUID / btrfs defaults 0 0"
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:01:00.0 ' "$LIST"
	grep -q '^device addr=0000:00:1f.2 ' "$LIST"
	boot_tree h97-nvme
	set_config 'address 00:1f.2' 'address 01:00.0' 'address 02:00.0'
	ve
	assert_overrides 0000:00:1f.2='(null)' 0000:01:00.0='(null)' 0000:02:00.0=vfio-pci
}

ZFS_SPEC='block nvme0n1p3 parent=nvme0n1 dev=259:5
block nvme1n1p3 parent=nvme1n1 dev=259:6
mount / 0:30 rpool/ROOT/debian zfs'

@test "ZFS root, zpool fails: the list is incomplete, never empty; boot refuses both mirror NVMe" {
	stub_zpool '' 1
	build_tree h97-nvme "$ZFS_SPEC"
	sed -i 's/root=UUID=[^ ]*/root=ZFS=rpool\/ROOT\/debian/' "$BUILD_ROOT/proc/cmdline"
	build_list
	[ -s "$LIST" ]
	grep -q 'status incomplete' "$LIST"
	grep -q '^missing .*ZFS pool rpool' "$LIST"
	grep -q '^end devices=' "$LIST"
	grep -q 'INCOMPLETE' "$HOOK_ERR"
	boot_tree h97-nvme
	set_config 'address 01:00.0' 'address 02:00.0'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)'
	kmsg | grep -q 'protected list unverified'
}

@test "ZFS root, zpool answers: both vdevs' controllers are listed" {
	stub_zpool 'rpool\t928G\t12G\t916G\t-\t-\t1%%\t1%%\t1.00x\tONLINE\t-\n\tmirror-0\t928G\t12G\t916G\t-\t-\t1%%\t1%%\t-\tONLINE\n\t/dev/nvme0n1p3\t-\t-\t-\t-\t-\t-\t-\t-\tONLINE\n\t/dev/nvme1n1p3\t-\t-\t-\t-\t-\t-\t-\t-\tONLINE\n'
	build_tree h97-nvme "$ZFS_SPEC"
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:01:00.0 ' "$LIST"
	grep -q '^device addr=0000:02:00.0 .*ZFS\|^device addr=0000:02:00.0 ' "$LIST"
	boot_tree h97-nvme
	set_config 'address 01:00.0' 'address 02:00.0' 'address 00:1f.2'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' 0000:00:1f.2=vfio-pci
}

# --- other filesystems the host needs ------------------------------------------------

@test "fstab /boot, /boot/efi, /var, /home without nofail are protected; swap, crypttab, resume= too" {
	h97_list "block sdb pci=0000:00:1f.2 path=ata4/host3/target3:0:0/3:0:0:0/block dev=8:16
block sdb1 parent=sdb dev=8:17 uuid=5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070
file etc/fstab UUID=3A1F-9C2E /boot/efi vfat umask=0077 0 1
file etc/fstab /dev/nvme0n1p2 /boot ext4 defaults 0 2
file etc/fstab UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 /home ext4 defaults 0 2
file etc/fstab UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 /var xfs defaults
file etc/fstab tmpfs /tmp tmpfs defaults 0 0"
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:00:1f.2 .*why=.*/home' "$LIST"
	grep -q '^device addr=0000:00:1f.2 .*why=.*/var' "$LIST"
	not_listed 0000:02:00.0
	boot_tree h97-nvme
	set_config 'address 00:1f.2' 'address 02:00.0'
	ve
	assert_overrides 0000:00:1f.2='(null)' 0000:02:00.0=vfio-pci 0000:01:00.0='(null)'
}

@test "fstab /home with nofail (or noauto) is not protected" {
	h97_list "file etc/fstab UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 /home ext4 defaults,nofail 0 2
file etc/fstab /dev/nvme1n1p1 /srv ext4 noauto,user 0 0"
	grep -q 'status complete' "$LIST"
	not_listed 0000:00:1f.2
	not_listed 0000:02:00.0
	boot_tree h97-nvme
	set_config 'address 00:1f.2' 'address 02:00.0'
	ve
	assert_overrides 0000:00:1f.2=vfio-pci 0000:02:00.0=vfio-pci 0000:01:00.0='(null)'
}

@test "swap in fstab and in /proc/swaps protects its controller" {
	h97_list "file etc/fstab /dev/nvme1n1p1 none swap sw 0 0"
	grep -q '^device addr=0000:02:00.0 .*why=.*swap' "$LIST"
	h97_list "file proc/swaps Filename\tType\t\tSize\t\tUsed\tPriority
file proc/swaps /dev/sda1                               partition\t8388604\t\t0\t-2"
	grep -q '^device addr=0000:00:1f.2 .*why=.*active swap /dev/sda1' "$LIST"
	boot_tree h97-nvme
	set_config 'address 00:1f.2'
	ve
	assert_overrides 0000:00:1f.2='(null)'
}

@test "a crypttab source protects its controller" {
	h97_list "file etc/crypttab # <target name> <source device> <key file> <options>
file etc/crypttab data_crypt UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 none luks,discard"
	grep -q '^device addr=0000:00:1f.2 .*why=.*crypttab data_crypt' "$LIST"
	boot_tree h97-nvme
	set_config 'address 00:1f.2' 'address 02:00.0'
	ve
	assert_overrides 0000:00:1f.2='(null)' 0000:02:00.0=vfio-pci
}

@test "resume= protects the controller of the hibernation device" {
	build_tree h97-nvme "$MOUNTED_ROOT
$SATA"
	printf 'root=UUID=%s ro resume=UUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958\n' "$ROOT_UUID" \
		> "$BUILD_ROOT/proc/cmdline"
	build_list
	grep -q '^device addr=0000:00:1f.2 .*why=.*resume=' "$LIST"
	boot_tree h97-nvme
	set_config 'address 00:1f.2'
	ve
	assert_overrides 0000:00:1f.2='(null)'
}

# --- a network root -----------------------------------------------------------------------

# h97-nvme with its onboard Realtek RTL8111GR (10ec:8168, the ASRock H97M
# Anniversary's LAN) behind root port 00:1c.6 (8c9c), and an Intel 82574L
# card (8086:10d3) behind 00:1c.2 (8c94) that the host does not use.
NICS='pci 0000:00:1c.2 ids=8086:8c94 class=060400 group=11 driver=pcieport
pci 0000:00:1c.6 ids=8086:8c9c class=060400 group=12 driver=pcieport
pci 0000:04:00.0 parent=0000:00:1c.2 ids=8086:10d3 sub=8086:a01f class=020000 group=13 driver=e1000e
pci 0000:05:00.0 parent=0000:00:1c.6 ids=10ec:8168 sub=1849:8168 class=020000 group=14 driver=r8169'
NIC_IFS='net eno1 pci=0000:05:00.0 operstate=up
net enp4s0 pci=0000:04:00.0 operstate=down'

@test "root=/dev/nfs with ip=...:eno1:...: the NIC is listed and never taken" {
	build_tree h97-nvme "$NICS
$NIC_IFS
mount / 0:22 192.168.1.10:/srv/nfs/h97 nfs"
	printf 'root=/dev/nfs nfsroot=192.168.1.10:/srv/nfs/h97 ip=192.168.1.20::192.168.1.1:255.255.255.0:h97:eno1:off ro\n' \
		> "$BUILD_ROOT/proc/cmdline"
	build_list
	grep -q '^device addr=0000:05:00.0 .*class=020000' "$LIST"
	not_listed 0000:04:00.0
	boot_tree h97-nvme "$NICS"
	cp "$BUILD_ROOT/proc/cmdline" "$ROOT/proc/cmdline"
	set_config 'ids 10ec:8168 allow-network' 'ids 8086:10d3 allow-network'
	ve
	assert_overrides 0000:05:00.0='(null)' 0000:04:00.0=vfio-pci
}

@test "nfsroot= over a bond: the bond's member NIC is protected" {
	build_tree h97-nvme "$NICS
$NIC_IFS
net bond0 operstate=up lower=eno1
mount / 0:22 192.168.1.10:/srv/nfs/h97 nfs"
	printf 'nfsroot=192.168.1.10:/srv/nfs/h97 ip=dhcp ro\n' > "$BUILD_ROOT/proc/cmdline"
	mkdir -p "$BUILD_ROOT/proc/net"
	printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbond0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' \
		> "$BUILD_ROOT/proc/net/route"
	build_list
	grep -q '^device addr=0000:05:00.0 ' "$LIST"
	not_listed 0000:04:00.0
	boot_tree h97-nvme "$NICS"
	cp "$BUILD_ROOT/proc/cmdline" "$ROOT/proc/cmdline"
	set_config 'ids 10ec:8168 allow-network' 'ids 8086:10d3 allow-network'
	ve
	assert_overrides 0000:05:00.0='(null)' 0000:04:00.0=vfio-pci
	kmsg | grep -q 'protected list verified'
}

@test "a network root on the command line and no list: every NIC is refused early" {
	boot_tree h97-nvme-gpu "$NICS"
	printf 'root=/dev/nfs nfsroot=192.168.1.10:/srv/nfs/h97 ip=dhcp ro\n' > "$ROOT/proc/cmdline"
	set_config 'ids 10ec:8168 allow-network' 'ids 8086:10d3 allow-network' 'ids 10de:1c03'
	ve
	assert_overrides 0000:05:00.0='(null)' 0000:04:00.0='(null)' 0000:01:00.0=vfio-pci
	kmsg | grep -q '0000:04:00.0 .*refused: is a network controller and the protected list is unverified'
}

# --- a booted host ------------------------------------------------------------------------------

@test "a booted host with / and /home mounted: a rule naming the /home controller unbinds nothing" {
	make_root h97-nvme "$SATA
mount / 259:2 /dev/nvme0n1p2 ext4
mount /home 8:1 /dev/sda1 ext4"
	set_config 'address 00:1f.2' 'address 01:00.0'
	ve --yes
	assert_overrides 0000:00:1f.2='(null)' 0000:01:00.0='(null)'
	kmsg | grep -q '0000:00:1f.2 .*refused: is in use: sda1 is mounted at /home'
}

@test "a booted host: a mount point with a space (\\040) is still seen as in use" {
	make_root h97-nvme "$SATA
mount / 259:2 /dev/nvme0n1p2 ext4
mount /srv/vm\\040images 8:1 /dev/sda1 ext4"
	set_config 'address 00:1f.2'
	ve --yes
	assert_overrides 0000:00:1f.2='(null)'
	kmsg | grep -q 'refused: is in use: sda1 is mounted'
}

# --- the late pass ---------------------------------------------------------------------------------

@test "the late pass binds the spare NVMe the early pass refused, and still refuses /home's controller" {
	boot_tree h97-nvme "$SATA"
	set_config 'path 00:1c.4/00.0 expect=144d:a808' 'address 00:1f.2' 'address 01:00.0'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:00:1f.2='(null)' 0000:01:00.0='(null)'
	grep -q 'addr=0000:02:00.0 .*result=refused refusal=unverified' "$ROOT/run/vfio-early/state"
	# The initramfs mounted the host's root at /root.
	printf '20 1 259:2 / /root rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n' \
		> "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/root/etc"
	printf 'UUID=%s / ext4 errors=remount-ro 0 1\nUUID=7b2e9f10-4c3d-4a5b-8e6f-0d1c2b3a4958 /home ext4 defaults 0 2\n' \
		"$ROOT_UUID" > "$ROOT/root/etc/fstab"
	: > "$ROOT/dev/kmsg"
	ve --late /root
	assert_overrides 0000:02:00.0=vfio-pci 0000:00:1f.2='(null)' 0000:01:00.0='(null)'
	kmsg | grep -q 'late pass: '
}

@test "the late pass without /root mounted decides nothing" {
	boot_tree h97-nvme
	set_config 'path 00:1c.4/00.0 expect=144d:a808'
	ve
	: > "$ROOT/dev/kmsg"
	ve --late /root
	assert_overrides 0000:02:00.0='(null)'
	kmsg | grep -q 'is not mounted: nothing decided'
}

# --- ZFS on Proxmox: vdevs named by /dev/disk/by-id --------------------------------

# zpool list -vHP as Proxmox's mirror shows it (by-id paths of partition 3).
PVE_ZPOOL='rpool\t3.48T\t21.3G\t3.46T\t-\t-\t0%%\t0%%\t1.00x\tONLINE\t-\n\tmirror-0\t3.48T\t21.3G\t3.46T\t-\t-\t0%%\t0%%\t-\tONLINE\n\t/dev/disk/by-id/nvme-SAMSUNG_MZQL23T8HCLS-00A07_S64HNE0R100001-part3\t3.49T\t-\t-\t-\t-\t-\t-\t-\tONLINE\n\t/dev/disk/by-id/nvme-SAMSUNG_MZQL23T8HCLS-00A07_S64HNE0R100002-part3\t3.49T\t-\t-\t-\t-\t-\t-\t-\tONLINE\n'

pve_build() {
	build_tree pve-zfs-mirror 'mount / 0:26 rpool/ROOT/pve-1 zfs'
	mkdir -p "$BUILD_ROOT/dev/disk/by-id"
	ln -s ../../nvme0n1p3 "$BUILD_ROOT/dev/disk/by-id/nvme-SAMSUNG_MZQL23T8HCLS-00A07_S64HNE0R100001-part3"
	ln -s ../../nvme1n1p3 "$BUILD_ROOT/dev/disk/by-id/nvme-SAMSUNG_MZQL23T8HCLS-00A07_S64HNE0R100002-part3"
}

@test "Proxmox on a ZFS mirror, zpool names by-id vdevs: both NVMe listed, neither taken, the GPU is" {
	stub_zpool "$PVE_ZPOOL"
	pve_build
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:01:00.0 .*ids=144d:a80a' "$LIST"
	grep -q '^device addr=0000:02:00.0 .*ids=144d:a80a' "$LIST"
	boot_tree pve-zfs-mirror
	set_config 'address 01:00.0' 'address 02:00.0' 'ids 1002:73ff'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' \
		0000:03:00.0=vfio-pci 0000:03:00.1=vfio-pci
	kmsg | grep -q 'protected list verified: 2 devices'
}

@test "Proxmox on a ZFS mirror, no zpool on PATH at image build: incomplete list, both NVMe refused" {
	stub_zpool '' 0
	rm "$BATS_TEST_TMPDIR/bin/zpool"
	PATH=$BATS_TEST_TMPDIR/bin:/usr/bin:/bin
	pve_build
	build_list
	grep -q 'status incomplete' "$LIST"
	grep -q '^missing .*ZFS pool rpool: no vdev list' "$LIST"
	boot_tree pve-zfs-mirror
	set_config 'address 01:00.0' 'address 02:00.0' 'ids 1002:73ff'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' 0000:03:00.0=vfio-pci
	kmsg | grep -q 'protected list unverified: the image build found no controller for .*ZFS pool rpool'
}

# --- use checks on a booted host ----------------------------------------------------------

# dualport-nvme with the host's own SATA disk (an EPYC's FCH AHCI, 1022:7901)
# holding /: the multipath drive is data only.
EPYC_SATA='pci 0000:00:08.1 ids=1022:1484 class=060400 group=7 driver=pcieport
pci 0000:04:00.0 parent=0000:00:08.1 ids=1022:7901 sub=15d9:7901 class=010601 group=8 driver=ahci
block sda pci=0000:04:00.0 path=ata1/host0/target0:0:0/0:0:0:0/block dev=8:0
block sda1 parent=sda dev=8:1
mount / 8:1 /dev/sda1 ext4'

@test "a booted host: an unmounted multipath data drive may go, its controllers both" {
	make_root dualport-nvme "$EPYC_SATA"
	set_cmdline 'root=/dev/sda1 ro'
	set_config 'address 01:00.0' 'address 02:00.0' 'address 04:00.0'
	ve --yes
	assert_overrides 0000:01:00.0=vfio-pci 0000:02:00.0=vfio-pci 0000:04:00.0='(null)'
}

@test "a booted host: a multipath disk mounted at /srv (not in fstab) keeps both controllers" {
	make_root dualport-nvme "$EPYC_SATA
mount /srv 259:2 /dev/nvme1n1p2 xfs"
	set_cmdline 'root=/dev/sda1 ro'
	set_config 'address 01:00.0' 'address 02:00.0'
	ve --yes
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)'
	kmsg | grep -q '0000:01:00.0 .*refused: is in use: nvme1n1p2 is mounted at /srv'
}

@test "a booted host: the disk under a dm-crypt root is in use through holders/" {
	make_root h97-nvme "block nvme1n1p2 parent=nvme1n1 dev=259:5
vblock dm-0 dev=253:0 slaves=nvme1n1p2 mapper=cryptdata
mount / 259:2 /dev/nvme0n1p2 ext4"
	set_config 'address 02:00.0'
	ve --yes
	assert_overrides 0000:02:00.0='(null)'
	kmsg | grep -q '0000:02:00.0 .*refused: is in use: nvme1n1p2 is held by dm-0'
}

@test "root on LUKS (crypttab + dm-crypt): the list holds the NVMe under the mapping" {
	build_tree h97-nvme "block nvme1n1p2 parent=nvme1n1 dev=259:5 uuid=2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f
vblock dm-0 dev=253:0 slaves=nvme1n1p2 mapper=root_crypt uuid=6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a090
mount / 253:0 /dev/mapper/root_crypt ext4
file etc/crypttab root_crypt UUID=2c9d8e7f-6a5b-4c3d-9e1f-0a2b3c4d5e6f none luks,discard
file etc/fstab /dev/mapper/root_crypt / ext4 errors=remount-ro 0 1"
	printf 'root=/dev/mapper/root_crypt ro\n' > "$BUILD_ROOT/proc/cmdline"
	build_list
	grep -q 'status complete' "$LIST"
	grep -q '^device addr=0000:02:00.0 ' "$LIST"
	not_listed 0000:01:00.0
	boot_tree h97-nvme
	set_cmdline 'root=/dev/mapper/root_crypt ro'
	set_config 'ids 144d:a808 allow-storage'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:01:00.0=vfio-pci
}

@test "ids ... allow-storage on a verified list: the spare goes, the root NVMe (same ids) stays" {
	h97_list
	boot_tree h97-nvme-gpu
	set_config 'ids 144d:a808 allow-storage'
	ve
	assert_overrides 0000:02:00.0='(null)' 0000:03:00.0=vfio-pci 0000:01:00.0='(null)'
}

@test "the late pass refuses a controller whose disk is mounted under /root (not in fstab)" {
	boot_tree h97-nvme "$SATA"
	set_config 'address 00:1f.2' 'path 00:1c.4/00.0 expect=144d:a808'
	ve
	assert_overrides 0000:00:1f.2='(null)' 0000:02:00.0='(null)'
	printf '20 1 259:2 / /root rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n21 20 8:1 / /root/srv rw shared:2 - ext4 /dev/sda1 rw\n' \
		> "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/root/etc"
	printf 'UUID=%s / ext4 defaults 0 1\n' "$ROOT_UUID" > "$ROOT/root/etc/fstab"
	ve --late /root
	assert_overrides 0000:00:1f.2='(null)' 0000:02:00.0=vfio-pci
	kmsg | grep -q 'late pass: .*0000:00:1f.2 .*refused: is in use: sda1 is mounted at /root/srv'
}
