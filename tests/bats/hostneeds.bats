#!/usr/bin/env bats
# What the host needs beyond its mass-storage controllers (issue 18): a root
# on a USB SSD or on eMMC, /boot/efi on a USB stick, the management
# network of a headless host, a network root over a bond.  Each case runs
# with the image's protected list verified, missing and stale (another
# machine's), then through the late pass where the early pass left the
# decision to it.  The fixtures name the real machines they follow.

load helper

# --- the trees --------------------------------------------------------------

# cfl-usb-root: / on a USB SSD (sda) on the chipset xHCI 00:14.0.
USB_ROOT_UUID=0f4d2b6a-9c1e-4a73-b5d8-6e2f1a0c9b37
USB_ROOT="block sda pci=0000:00:14.0 path=usb2/2-3/2-3:1.0/host0/target0:0:0/0:0:0:0/block dev=8:0
block sda2 parent=sda dev=8:2 uuid=$USB_ROOT_UUID"
# /boot/efi on a USB stick (sdb) in the add-in ASM2142 card at 02:00.0.
EFI_UUID=4A1C-9E27
EFI_STICK="block sdb pci=0000:02:00.0 path=usb4/4-1/4-1:1.0/host1/target1:0:0/1:0:0:0/block dev=8:16
block sdb1 parent=sdb dev=8:17 uuid=$EFI_UUID"
USB_FSTAB="file etc/fstab UUID=$USB_ROOT_UUID / ext4 errors=remount-ro 0 1"

# vp4630-emmc: / on the eMMC (mmcblk0) of the SD host controller 00:1a.0.
EMMC_ROOT_UUID=3e5a7c91-0b2d-4f46-8e19-5c7d9a1b3f20
EMMC_ROOT="block mmcblk0 pci=0000:00:1a.0 path=mmc_host/mmc0/mmc0:0001/block dev=179:0
block mmcblk0p2 parent=mmcblk0 dev=179:2 uuid=$EMMC_ROOT_UUID
file etc/fstab UUID=$EMMC_ROOT_UUID / ext4 errors=remount-ro 0 1"

# The Proxmox management network of vp4630-emmc: bridge vmbr0 on enp1s0
# (01:00.0) holds the default route and the address of the host's name.
ROUTE_HEAD='Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT'
MGMT_NET="net enp1s0 pci=0000:01:00.0 operstate=up
net enp2s0 pci=0000:02:00.0 operstate=up
net enp3s0 pci=0000:03:00.0 operstate=down
net vmbr0 operstate=up lower=enp1s0
net vmbr1 operstate=up lower=enp2s0
file proc/net/route $ROUTE_HEAD
file proc/net/route vmbr0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
file proc/net/route vmbr0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
file proc/net/route vmbr1\t0014A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
file proc/net/fib_trie Main:
file proc/net/fib_trie \ \ +-- 0.0.0.0/0 3 0 5
file proc/net/fib_trie \ \ \ \ \ |-- 10.0.0.20
file proc/net/fib_trie \ \ \ \ \ \ \ \ /32 host LOCAL
file proc/net/fib_trie \ \ \ \ \ |-- 192.168.20.2
file proc/net/fib_trie \ \ \ \ \ \ \ \ /32 host LOCAL
file proc/net/fib_trie \ \ \ \ \ |-- 127.0.0.1
file proc/net/fib_trie \ \ \ \ \ \ \ \ /32 host LOCAL
file proc/sys/kernel/hostname pve
file etc/hosts 127.0.0.1 localhost.localdomain localhost
file etc/hosts 10.0.0.20 pve.example.lan pve"

# The early pass's tree: the list as the image recorded it, or none.  No
# disk is visible yet (their drivers are not loaded before udev): the block
# devices are put aside until the late pass.
boot_with() {	# LIST-STATE SPEC EXTRA
	case $1 in
	verified) boot_tree "$2" "$3" ;;
	missing) LIST= boot_tree "$2" "$3" ;;
	stale) boot_tree "$2" "$3
dmi 2f9e8d7c-6b5a-4938-8271-605f4e3d2c1b" ;;
	esac
	mv "$ROOT/sys/class/block" "$ROOT/sys/class/block.later"
}

# The initramfs loaded the disks' drivers and mounted the host's root at
# /root (MAJ:MIN SOURCE), then the late pass runs with the root's fstab.
late_pass() {
	mv "$ROOT/sys/class/block.later" "$ROOT/sys/class/block"
	printf '20 1 %s / /root rw,relatime shared:1 - ext4 %s rw\n' "$1" "$2" \
		> "$ROOT/proc/self/mountinfo"
	mkdir -p "$ROOT/root/etc"
	cp "$ROOT/etc/fstab" "$ROOT/root/etc/fstab"
	: > "$ROOT/dev/kmsg"
	ve --late /root
}

# --- root on a USB SSD ---------------------------------------------------------

usb_build() {
	build_tree cfl-usb-root "$USB_ROOT
$EFI_STICK
$USB_FSTAB${1:+
$1}
mount / 8:2 /dev/sda2 ext4"
	build_list
}

@test "USB-SSD root, list verified: the chipset xHCI is kept (it holds / over USB), the add-in USB card goes" {
	usb_build
	grep -q '^device addr=0000:00:14.0 .*why=holds the root filesystem (.*), over USB$' "$LIST"
	grep -q '^carrier addr=0000:02:00.0 .*class=0c0330 why=held sdb' "$LIST"
	boot_with verified cfl-usb-root "$USB_ROOT
$EFI_STICK
$USB_FSTAB"
	set_config 'address 00:14.0' 'address 02:00.0'
	ve
	assert_overrides 0000:00:14.0='(null)' 0000:02:00.0=vfio-pci
	kmsg | grep -q '0000:00:14.0 .*refused: holds the root filesystem (.*), over USB'
}

@test "USB-SSD root, list missing or stale: both USB controllers wait for the root; the late pass hands over the add-in card only" {
	usb_build
	for state in missing stale; do
		boot_with $state cfl-usb-root "$USB_ROOT
$EFI_STICK
$USB_FSTAB"
		set_config 'address 00:14.0' 'address 02:00.0'
		ve
		assert_overrides 0000:00:14.0='(null)' 0000:02:00.0='(null)'
		# another machine's list still names the xHCI it recorded
		[ $state = stale ] ||
			kmsg | grep -q '0000:00:14.0 .*refused: is a USB host controller, which can carry a disk the boot needs, and the protected list is unverified; the late pass decides once the root is mounted'
		kmsg | grep -q '0000:02:00.0 .*refused: is a USB host controller, which can carry a disk the boot needs, and the protected list is unverified; the late pass decides once the root is mounted'
		late_pass 8:2 /dev/sda2
		assert_overrides 0000:00:14.0='(null)' 0000:02:00.0=vfio-pci
		# the early pass left the xHCI to the late pass only without a list
		[ $state = stale ] ||
			kmsg | grep -q 'late pass: .*0000:00:14.0 .*refused: holds the root filesystem'
	done
}

@test "USB-SSD root, no list: a class 0c03 rule is refused early as well, and the report says why" {
	boot_with missing cfl-usb-root "$USB_ROOT
$USB_FSTAB"
	set_config 'class 0c03'
	ve
	assert_overrides 0000:00:14.0='(null)' 0000:02:00.0='(null)'
	[ $((status & 4)) -eq 4 ]
}

@test "/boot/efi on a USB stick in an add-in card named by ids: kept with the list, refused early without, kept by the late pass" {
	usb_build "file etc/fstab UUID=$EFI_UUID /boot/efi vfat umask=0077 0 1"
	grep -q '^device addr=0000:02:00.0 .*why=holds /boot/efi (vfat on UUID=4A1C-9E27, fstab line 2), over USB$' "$LIST"
	boot_with verified cfl-usb-root "$USB_ROOT
$EFI_STICK
$USB_FSTAB
file etc/fstab UUID=$EFI_UUID /boot/efi vfat umask=0077 0 1"
	set_config 'ids 1b21:2142'
	ve
	assert_overrides 0000:02:00.0='(null)'
	kmsg | grep -q '0000:02:00.0 .*refused: holds /boot/efi'
	boot_with missing cfl-usb-root "$USB_ROOT
$EFI_STICK
$USB_FSTAB
file etc/fstab UUID=$EFI_UUID /boot/efi vfat umask=0077 0 1"
	set_config 'ids 1b21:2142'
	ve
	assert_overrides 0000:02:00.0='(null)'
	kmsg | grep -q '0000:02:00.0 .*refused: is a USB host controller'
	late_pass 8:2 /dev/sda2
	assert_overrides 0000:02:00.0='(null)'
	kmsg | grep -q 'late pass: .*0000:02:00.0 .*refused: holds /boot/efi'
}

# --- root on eMMC ------------------------------------------------------------------

@test "eMMC root: the SD host controller is kept with the list, waits without it, and the late pass keeps it" {
	build_tree vp4630-emmc "$EMMC_ROOT
mount / 179:2 /dev/mmcblk0p2 ext4"
	build_list
	grep -q '^device addr=0000:00:1a.0 .*class=080501 why=holds the root filesystem (.*), on an SD/MMC card$' "$LIST"
	for state in verified missing stale; do
		boot_with $state vp4630-emmc "$EMMC_ROOT"
		set_config 'address 00:1a.0' 'address 00:14.0'
		ve
		assert_overrides 0000:00:1a.0='(null)'
		if [ $state = verified ]; then
			assert_overrides 0000:00:14.0=vfio-pci
			kmsg | grep -q '0000:00:1a.0 .*refused: holds the root filesystem (.*), on an SD/MMC card'
			continue
		fi
		assert_overrides 0000:00:14.0='(null)'
		kmsg | grep -q '0000:00:14.0 .*refused: is a USB host controller'
		[ $state = stale ] ||
			kmsg | grep -q '0000:00:1a.0 .*refused: is an SD/MMC host controller, which can carry a disk the boot needs, and the protected list is unverified'
		late_pass 179:2 /dev/mmcblk0p2
		assert_overrides 0000:00:1a.0='(null)' 0000:00:14.0=vfio-pci
	done
}

# --- the management network of a headless host -------------------------------------------

mgmt_build() {
	build_tree vp4630-emmc "$EMMC_ROOT
$MGMT_NET
mount / 179:2 /dev/mmcblk0p2 ext4"
	build_list
}

@test "headless host: the list records vmbr0's port as the management network, with its address and bridge" {
	mgmt_build
	grep -q "^device addr=0000:01:00.0 .*class=020000 need=management why=carries the host's management network (vmbr0 10.0.0.20, default route, port enp1s0)\$" "$LIST"
	not_in_list 0000:02:00.0
	grep -q 'status complete' "$LIST"
}

@test "headless host, list verified: the management port named by address or by ids stays; allow-network on its address hands it over" {
	mgmt_build
	boot_with verified vp4630-emmc "$EMMC_ROOT"
	set_config 'address 01:00'
	ve
	assert_overrides 0000:01:00.0='(null)'
	kmsg | grep -q "0000:01:00.0 \[8086:15f3\] class 020000: refused: carries the host's management network (vmbr0 10.0.0.20, default route, port enp1s0); name it by address or path with allow-network to hand it over"
	set_config 'ids 8086:15f3 allow-network'
	: > "$ROOT/dev/kmsg"
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0=vfio-pci 0000:03:00.0=vfio-pci \
		0000:06:00.0=vfio-pci
	set_config 'address 01:00.0 allow-network'
	ve
	assert_overrides 0000:01:00.0=vfio-pci
}

@test "headless host, list missing or stale: a NIC is taken only when a rule names it with allow-network" {
	mgmt_build
	for state in missing stale; do
		boot_with $state vp4630-emmc "$EMMC_ROOT"
		set_config 'address 04:00.0 allow-network' 'address 01:00' 'ids 8086:15f3 allow-network'
		ve
		assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' 0000:04:00.0=vfio-pci
		kmsg | grep -q "0000:02:00.0 .*refused: is a network controller and the protected list is unverified, so it may carry the host's management network; name it by address or path with allow-network to hand it over, or rebuild the initramfs on this machine"
		# the late pass does not guess either
		late_pass 179:2 /dev/mmcblk0p2
		assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)'
	done
}

@test "headless host, booted: the dry run and the report name the management port from the live routes" {
	make_root vp4630-emmc "$EMMC_ROOT
$MGMT_NET
mount / 179:2 /dev/mmcblk0p2 ext4"
	set_config 'address 01:00'
	ve --dry-run
	assert_output --partial "0000:01:00.0 [8086:15f3] class 020000: refused: carries the host's management network (vmbr0 10.0.0.20, default route, port enp1s0)"
	run "$VFIO_EARLY" --root "$ROOT" --report
	assert_output --partial "0000:01:00.0 [8086:15f3] class 020000: carries the host's management network (vmbr0 10.0.0.20, default route, port enp1s0)"
	run "$VFIO_EARLY" --root "$ROOT" --report --json
	[ "$(jq -r '.protected.devices[] | select(.address == "0000:01:00.0") | .need' <<< "$output")" = management ]
	[ "$(jq -r '.protected.devices[] | select(.address == "0000:00:1a.0") | .need' <<< "$output")" = boot ]
}

@test "headless host: the address of the host's name in /etc/hosts is a management address too" {
	# no default route: only /etc/hosts says how the host is reached
	build_tree vp4630-emmc "$EMMC_ROOT
$MGMT_NET
mount / 179:2 /dev/mmcblk0p2 ext4"
	printf '%b\n' "$ROUTE_HEAD" 'vmbr0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0' \
		'vmbr1\t0014A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0' > "$BUILD_ROOT/proc/net/route"
	build_list
	grep -q "^device addr=0000:01:00.0 .*need=management why=carries the host's management network (vmbr0 10.0.0.20, address of pve in /etc/hosts, port enp1s0)\$" "$LIST"
	not_in_list 0000:02:00.0
}

# --- a network root over a bond -------------------------------------------------------------

@test "NFS root over a bond of two of three identical NICs: both members kept, the third goes; no list: none goes" {
	build_tree vp4630-emmc "net enp1s0 pci=0000:01:00.0 operstate=up
net enp2s0 pci=0000:02:00.0 operstate=up
net enp3s0 pci=0000:03:00.0 operstate=down
net bond0 operstate=up lower=enp1s0,enp2s0
file proc/net/route $ROUTE_HEAD
file proc/net/route bond0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
mount / 0:22 10.0.0.1:/srv/nfs/pve nfs"
	printf 'root=/dev/nfs nfsroot=10.0.0.1:/srv/nfs/pve ip=dhcp ro\n' > "$BUILD_ROOT/proc/cmdline"
	build_list
	grep -q '^device addr=0000:01:00.0 .*why=holds the network root' "$LIST"
	grep -q '^device addr=0000:02:00.0 .*why=holds the network root' "$LIST"
	not_in_list 0000:03:00.0
	boot_with verified vp4630-emmc ""
	cp "$BUILD_ROOT/proc/cmdline" "$ROOT/proc/cmdline"
	set_config 'ids 8086:15f3 allow-network'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' 0000:03:00.0=vfio-pci
	boot_with missing vp4630-emmc ""
	cp "$BUILD_ROOT/proc/cmdline" "$ROOT/proc/cmdline"
	set_config 'ids 8086:15f3 allow-network'
	ve
	assert_overrides 0000:01:00.0='(null)' 0000:02:00.0='(null)' 0000:03:00.0='(null)'
}

# The list must not name ADDR.
not_in_list() {
	if grep -q "^device addr=$1 " "$LIST"; then
		fail "$1 is in the list:"$'\n'"$(cat "$LIST")"
	fi
}

# --- a carrier: a card reader of no storage class --------------------------------------------

# A Realtek RTS522A PCI Express card reader [10ec:522a], class ff00 with
# rtsx_pci, the SD slot of the Comet Lake laptop in
# https://github.com/fwupd/firmware-lenovo/issues/364 (lshw: "MMC Host,
# RTS522A PCI Express Card Reader, pci@0000:02:00.0, logical name mmc0"),
# put behind cfl-usb-root's 00:1d.0; its SD card holds a backup filesystem
# (nofail: the boot does not need it).
READER='pci 0000:03:00.0 parent=0000:00:1d.0 ids=10ec:522a sub=17aa:2292 class=ff0000 group=11 driver=rtsx_pci
block mmcblk0 pci=0000:03:00.0 path=rtsx_pci_sdmmc.0/mmc_host/mmc0/mmc0:aaaa/block dev=179:0
block mmcblk0p1 parent=mmcblk0 dev=179:1 uuid=9d2e4c6a-1b3f-4e58-a7c9-0e1f2a3b4c5d'

@test "a card reader of class ff00 whose SD card held a filesystem at image build: a carrier, kept by an unverified run, free with a verified one" {
	build_tree cfl-usb-root "$USB_ROOT
$USB_FSTAB
$READER
file etc/fstab UUID=9d2e4c6a-1b3f-4e58-a7c9-0e1f2a3b4c5d /srv/backup ext4 nofail 0 2
mount / 8:2 /dev/sda2 ext4"
	build_list
	grep -q '^carrier addr=0000:03:00.0 path=0000:00:1d.0/00.0 ids=10ec:522a .*class=ff0000 why=held mmcblk0' "$LIST"
	not_in_list 0000:03:00.0
	boot_with stale cfl-usb-root "$USB_ROOT
$READER"
	set_config 'address 03:00.0'
	ve
	assert_overrides 0000:03:00.0='(null)'
	kmsg | grep -q '0000:03:00.0 .*refused: is a device that held a block device when the image was built and the protected list is unverified; the late pass decides once the root is mounted'
	boot_with verified cfl-usb-root "$USB_ROOT
$READER"
	set_config 'address 03:00.0'
	ve
	assert_overrides 0000:03:00.0=vfio-pci
}
