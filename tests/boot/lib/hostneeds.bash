# What the host needs, part 2 (issue 18): the boot scenarios shared by
# hostneeds-itools.bats and hostneeds-dracut.bats.  Set VFE_KIND (itools or
# dracut) before loading.
#
# Two more emulated hosts (vfe_boot IOMMU@usb, IOMMU@mgmt), each with
# vfe_qemu_common's boot VGA and cards (01:00, 02:00) and the root
# filesystem of vfe_hn_rootfs (VFE_HN_ROOTFS):
#   usb   the root on a USB disk (usb-storage) behind an xHCI (qemu-xhci)
#         behind root port 00:05.0: 03:00.0
#   mgmt  the root on a virtio-blk behind root port 00:05.0 (03:00.0), an
#         e1000e behind root port 00:06.0 (04:00.0) on QEMU's user network
#         with restrict=on (nothing leaves QEMU), network 192.0.2.0/24 whose
#         .1 is QEMU's side
# Every boot runs guest/hostneeds.sh first (init=): it reports the root's
# block device and, with vfe_test.mgmt=ADDR, sets up a Proxmox-like
# management network (bridge vmbr0 over the NIC, 192.0.2.10/24, default
# route via 192.0.2.1) before the test root's /sbin/init, whose
# guest/safety.sh runs `vfio-early --list-protected` on the recording
# boots (lib/boot.bash vfe_guest_protected).
#
# The scenarios (each also names card 1 on the command line: it must be
# bound, so vfio-early did run):
#   usb       no list in the image, config `address` naming the xHCI:
#             refused early (USB host controller, list unverified), refused
#             by the late pass (it holds the root), xhci_hcd keeps it, the
#             root is mounted from the USB disk and readable
#   usbother  the same image with the list recorded on another machine
#             (which names the xHCI): refused, xhci_hcd keeps it, root
#             reached on the USB disk
#   mgmt      list recorded on this guest with vmbr0 up: it holds the NIC
#             (management network); config `address` naming the NIC:
#             refused, e1000e keeps it, vmbr0 comes up again on the root
#   mgmtids   the same list, config `ids 8086:10d3 allow-network`: refused
#             the same way
#   mgmtnone  mgmt's image without its list, `address` naming the NIC:
#             refused early (a network controller, list unverified), kept
#             for the whole boot, vmbr0 comes up on the root
#   mgmtallow the list of mgmt, config `address` naming the NIC with
#             allow-network: the one rule that hands it over; on vfio-pci
#             from the early pass on, no interface on the root

# safety.bash (and through it scenarios.bash and boot.bash): the lists'
# and the drivers' assertions
# shellcheck source=safety.bash
source "$BATS_TEST_DIRNAME/lib/safety.bash"

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/hostneeds-$VFE_KIND

# the emulated hosts' addresses (SeaBIOS numbers the buses in slot order;
# checked by the tests below on every boot)
VFE_HN_XHCI=0000:03:00.0      # usb: qemu-xhci behind root port 00:05.0
VFE_HN_XHCI_PATH=0000:00:05.0/00.0
VFE_HN_XHCI_IDS=1b36:000d
VFE_HN_MGMT_DISK=0000:03:00.0 # mgmt: virtio-blk root behind root port 00:05.0
VFE_HN_NIC=0000:04:00.0       # mgmt: e1000e behind root port 00:06.0
VFE_HN_NIC_PATH=0000:00:06.0/00.0
VFE_HN_NIC_IDS=8086:10d3
VFE_HN_NIC_DRIVER=e1000e
VFE_HN_MAC=52:54:00:12:34:56

# What vfio-early says, in one place (fixed strings, matched anywhere in
# the line; the issue's wording may still shift a little).
# early pass, the xHCI, no valid list
VFE_HN_MSG_USB_EARLY='USB host controller, which can carry a disk the boot needs, and the protected list is unverified; the late pass decides once the root is mounted'
# late pass, the xHCI
VFE_HN_MSG_LATE='late pass:'
VFE_HN_MSG_HOLDS_ROOT='holds the root filesystem'
# the recorded list's why, and the refusal of the NIC it protects
VFE_HN_MSG_MGMT='management network'
# early pass, the NIC, no valid list
VFE_HN_MSG_NET_UNVERIFIED='is a network controller and the protected list is unverified'
VFE_HN_MSG_REFUSED='refused'

VFE_HN_GUEST_INIT=/lib/vfio-early-test/hostneeds.sh
VFE_HN_CMD_USB="init=$VFE_HN_GUEST_INIT"
VFE_HN_CMD_MGMT="init=$VFE_HN_GUEST_INIT vfe_test.mgmt=$VFE_HN_NIC"

# busybox applets the guest script needs beyond vfe_rootfs_tree's
VFE_HN_APPLETS=(ip brctl ping insmod find head uname)

# --- root filesystem and hosts ------------------------------------------------

# vfe_hn_rootfs: the ext4 root (UUID VFE_ROOT_UUID) of both hosts:
# vfe_rootfs_tree's files (the binary VFE_ROOTFS carries) plus
# guest/hostneeds.sh, the busybox applets it runs and the kernel's bridge
# modules.  Cached, keyed on what it is made of; one is kept.
vfe_hn_rootfs()
{
	local key out dir bin libs=() m path a
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$( (echo "hostneeds-root 1 $VFE_KVER ${VFE_ROOTFS##*/} ${VFE_HN_APPLETS[*]}"
		declare -f vfe_rootfs_tree vfe_hn_rootfs
		sha256sum "$VFE_GUEST/hostneeds.sh" | cut -d' ' -f1) | sha256sum | head -c 16)
	out=$VFE_CACHE/hostneeds-root-$key.ext4
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE"/hostneeds-root-*.ext4
	dir=$(mktemp -d)
	{
		vfe_rootfs_tree "$dir" "$bin" "${libs[@]}" &&
			install -m 0755 "$VFE_GUEST/hostneeds.sh" "$dir$VFE_HN_GUEST_INIT" &&
			for a in "${VFE_HN_APPLETS[@]}"; do
				ln -sf busybox "$dir/bin/$a" || exit 1
			done &&
			for m in llc stp bridge; do
				path=$(modinfo -k "$VFE_KVER" -n "$m") &&
					install -D -m 0644 "$path" "$dir$path" || exit 1
			done
	} >&2 || { rm -rf "$dir"; return 1; }
	vfe_root_ext4 "$dir" 48M "$out" || return 1
	echo "$out"
}

# vfe_qemu_args_usb IOMMU: the root on a USB disk behind an xHCI (03:00.0).
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_args_usb()
{
	[ -n "${VFE_HN_ROOTFS:-}" ] || { vfe_log "layout usb: no root (vfe_hn_rootfs)"; return 1; }
	vfe_qemu_common "$1"
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp5,bus=pcie.0,addr=0x5.0,chassis=5
		-device qemu-xhci,id=vfexhci,bus=rp5,addr=0x0.0
		-drive "file=$VFE_HN_ROOTFS,if=none,id=usbroot,format=raw,snapshot=on"
		-device usb-storage,bus=vfexhci.0,drive=usbroot,serial=vfe-usb-root)
}

# vfe_qemu_args_mgmt IOMMU: the root on a virtio-blk (03:00.0), the
# management NIC, an e1000e (04:00.0), on a restricted user network.
# shellcheck disable=SC2054
vfe_qemu_args_mgmt()
{
	[ -n "${VFE_HN_ROOTFS:-}" ] || { vfe_log "layout mgmt: no root (vfe_hn_rootfs)"; return 1; }
	vfe_qemu_common "$1"
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp5,bus=pcie.0,addr=0x5.0,chassis=5
		-device pcie-root-port,id=rp6,bus=pcie.0,addr=0x6.0,chassis=6
		-drive "file=$VFE_HN_ROOTFS,if=none,id=root0,format=raw,snapshot=on"
		-device virtio-blk-pci,bus=rp5,drive=root0
		-netdev user,id=mgmt0,restrict=on,ipv6=off,net=192.0.2.0/24,host=192.0.2.1,dhcpstart=192.0.2.200
		-device "e1000e,bus=rp6,addr=0x0.0,netdev=mgmt0,mac=$VFE_HN_MAC")
}

# usb, mgmtnone: the image without its protected list.
vfe_hn_variant_no_list()
{
	[ -f "$1/lib/vfio-early/protected" ] || { echo "no lib/vfio-early/protected in the image" >&2; return 1; }
	rm -f "$1/lib/vfio-early/protected"
}

# --- setup ------------------------------------------------------------------

# vfe_hn_setup: stage, root filesystem, lists (recorded two at a time),
# images, then every boot (VFE_JOBS at a time); outputs in VFE_OUT,
# timings in VFE_OUT/timing.
vfe_hn_setup()
{
	local t1 t2 stage l_usb l_mgmt t v
	local img_usbother img_usb img_mgmt img_ids img_none img_allow boots=()
	vfe_boot_setup debugfs "$(vfe_packager "$VFE_KIND")" || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	stage=$VFE_STAGE
	VFE_HN_ROOTFS=$(vfe_hn_rootfs) || return 1
	export VFE_HN_ROOTFS

	# the lists: usb's recorded on another machine (its recording boot is
	# also the boot with the root on USB that no rule touches), mgmt's on
	# this guest with its management network up
	vfe_record_image >/dev/null || return 1
	# (in a subshell: see vfe_safety_setup)
	(
		vfe_guest_protected usb "$VFE_OTHER_MACHINE_UUID" "$VFE_HN_CMD_USB" >"$BATS_FILE_TMPDIR/l_usb" &
		vfe_guest_protected mgmt "" "$VFE_HN_CMD_MGMT" >"$BATS_FILE_TMPDIR/l_mgmt" &
		wait
	)
	for v in usb mgmt; do
		t=$(cat "$BATS_FILE_TMPDIR/l_$v")
		[ -s "$t" ] || { vfe_log "no protected list for $v"; return 1; }
		cp "$t" "$VFE_OUT/list-$v"
		printf -v "l_$v" '%s' "$t"
	done
	# what the recording boot called the NIC's interface, kept beside the
	# cached list (the list names the bridge's port by it)
	[ ! -e "$VFE_OUT/record-mgmt.result" ] ||
		vfe_hn_lines record-mgmt NETIF >"$l_mgmt.netif"
	cp "$l_mgmt.netif" "$VFE_OUT/list-mgmt.netif" 2>/dev/null || :
	t1=$(date +%s)

	printf '# the xHCI that carries the root disk, by address\naddress %s\n' "$VFE_HN_XHCI" \
		>"$BATS_FILE_TMPDIR/usb.conf"
	printf '# the management NIC, by address\naddress %s\n' "$VFE_HN_NIC" >"$BATS_FILE_TMPDIR/mgmt.conf"
	printf '# the management NIC, by its ids, networks allowed\nids %s allow-network\n' \
		"$VFE_HN_NIC_IDS" >"$BATS_FILE_TMPDIR/ids.conf"
	img_usbother=$(vfe_image "$VFE_KIND" hn-usbother "$stage" "$BATS_FILE_TMPDIR/usb.conf" "$l_usb" test "$VFE_KVER") || return 1
	img_usb=$(vfe_image_variant "$img_usbother" hn-usb vfe_hn_variant_no_list) || return 1
	img_mgmt=$(vfe_image "$VFE_KIND" hn-mgmt "$stage" "$BATS_FILE_TMPDIR/mgmt.conf" "$l_mgmt" test "$VFE_KVER") || return 1
	img_ids=$(vfe_image "$VFE_KIND" hn-ids "$stage" "$BATS_FILE_TMPDIR/ids.conf" "$l_mgmt" test "$VFE_KVER") || return 1
	img_none=$(vfe_image_variant "$img_mgmt" hn-none vfe_hn_variant_no_list) || return 1
	printf '# the management NIC, by address, networks allowed: handed over\naddress %s allow-network\n' \
		"$VFE_HN_NIC" >"$BATS_FILE_TMPDIR/allow.conf"
	img_allow=$(vfe_image "$VFE_KIND" hn-allow "$stage" "$BATS_FILE_TMPDIR/allow.conf" "$l_mgmt" test "$VFE_KVER") || return 1
	t2=$(date +%s)

	# (a root that never shows up ends the boot after ~30 s either way:
	# initramfs-tools' own wait, dracut's rd.retry=30; initramfs-tools'
	# rootdelay= would add a sleep of as much to every boot)
	boots=("usb|$img_usb|1@usb|vfio_early.devices=01:00 $VFE_HN_CMD_USB"
		"usbother|$img_usbother|1@usb|vfio_early.devices=01:00 $VFE_HN_CMD_USB"
		"mgmt|$img_mgmt|1@mgmt|vfio_early.devices=01:00 $VFE_HN_CMD_MGMT"
		"mgmtids|$img_ids|1@mgmt|vfio_early.devices=01:00 $VFE_HN_CMD_MGMT"
		"mgmtnone|$img_none|1@mgmt|vfio_early.devices=01:00 $VFE_HN_CMD_MGMT"
		"mgmtallow|$img_allow|1@mgmt|vfio_early.devices=01:00 $VFE_HN_CMD_MGMT")
	vfe_boot_specs "${boots[@]}"
	{
		echo "kind=hostneeds-$VFE_KIND accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS"
		echo "stage, root and lists: $((t1 - VFE_SETUP_T0)) s (recording boots: $(
			vfe_record_lines record-usb-other record-mgmt)cached otherwise)"
		echo "images: $((t2 - t1)) s"
		vfe_boot_lines "${boots[@]}"
	} | vfe_boot_timing "hostneeds-$VFE_KIND"
}

# --- parsers and assertions -------------------------------------------------

# vfe_hn_lines NAME PREFIX: the guest's PREFIX lines (ROOTDEV, NETIF, LINK,
# ADDR, ROUTE, PING, NET-ERROR, MOUNT, READ), without the prefix.
vfe_hn_lines()
{
	awk -v p="$2" '$1 == p { sub(/^[^ ]+ /, ""); print }' "$VFE_OUT/$1.result" 2>/dev/null
}

# vfe_hn_kmsg_with NAME TEXT...: vfio-early's kernel-log lines that hold
# every TEXT (fixed strings).
vfe_hn_kmsg_with()
{
	local n=$1
	shift
	vfe_kmsg "$n" | awk -v texts="$(printf '%s\034' "$@")" '
		BEGIN { n = split(texts, t, "\034") - 1 }
		{ for (i = 1; i <= n; i++) if (!index($0, t[i])) next; print }'
}

# vfe_hn_assert_kmsg NAME TEXT...: some line holds every TEXT.
vfe_hn_assert_kmsg()
{
	run vfe_hn_kmsg_with "$@"
	assert_success
	if [ -z "$output" ]; then
		local n=$1
		shift
		echo "no vfio-early kernel-log line of $n holds all of:" >&2
		printf '  "%s"\n' "$@" >&2
		echo "vfio-early's lines:" >&2
		vfe_kmsg "$n" >&2
		return 1
	fi
}

# vfe_hn_never_override NAME ADDR: vfio-pci never was ADDR's driver or
# driver_override at any moment the guest reported.
vfe_hn_never_override()
{
	run awk -v a="$2" '$1 == "DEV" && $3 == a && ($6 == "vfio-pci" || $7 == "override=vfio-pci")' \
		"$VFE_OUT/$1.result"
	assert_output ""
	run grep -c "^DEV [a-z]* $2 " "$VFE_OUT/$1.result"
	refute_output 0
}

# vfe_hn_assert_network NAME: the guest's own management network came up
# on the real root: the NIC on its driver, its interface a port of vmbr0,
# both up, vmbr0 at 192.0.2.10/24, the default route via 192.0.2.1 on
# vmbr0, and QEMU's side (192.0.2.1) answers a ping.
vfe_hn_assert_network()
{
	local n=$1 ifname
	run vfe_hn_lines "$n" NET-ERROR
	assert_output ""
	run vfe_hn_lines "$n" NETIF
	assert_output --regexp "^$VFE_HN_NIC [^ ]+ driver=$VFE_HN_NIC_DRIVER\$"
	ifname=$(vfe_hn_lines "$n" NETIF | awk '{ print $2 }')
	run vfe_hn_lines "$n" LINK
	assert_line "$ifname operstate=up master=vmbr0"
	assert_line "vmbr0 operstate=up master=-"
	run vfe_hn_lines "$n" ADDR
	assert_output "vmbr0 192.0.2.10/24"
	run vfe_hn_lines "$n" ROUTE
	assert_line --regexp '^default via 192\.0\.2\.1 dev vmbr0( |$)'
	run vfe_hn_lines "$n" PING
	assert_output "192.0.2.1 ok"
}

# vfe_hn_nic_kept NAME: the NIC on its driver after udev and on the real
# root, never on vfio-pci; card 1 bound all along.
vfe_hn_nic_kept()
{
	vfe_assert_root "$1"
	vfe_assert_drivers "$1" udev,root "$VFE_HN_NIC=$VFE_HN_NIC_DRIVER" "$VFE_HN_MGMT_DISK=virtio-pci"
	vfe_hn_never_override "$1" "$VFE_HN_NIC"
	vfe_assert_drivers "$1" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
}

# --- the scenarios ------------------------------------------------------------

# the layouts are what the tests think they are (bus numbers, ids), as
# the boots that reach their root with every device on its own driver
# see them
vfe_check_hn_layouts()
{
	run awk -v a="$VFE_HN_XHCI" '$1 == "DEV" && $2 == "root" && $3 == a { print $4, $5 }' "$VFE_OUT/usbother.result"
	assert_output "$VFE_HN_XHCI_IDS 0c0330"
	run awk -v a="$VFE_HN_NIC" '$1 == "DEV" && $2 == "root" && $3 == a { print $4, $5 }' "$VFE_OUT/mgmt.result"
	assert_output "$VFE_HN_NIC_IDS 020000"
	run awk -v a="$VFE_HN_MGMT_DISK" '$1 == "DEV" && $2 == "root" && $3 == a { print $4 }' "$VFE_OUT/mgmt.result"
	assert_output "1af4:1042"
}

# the list of the usb host (recorded on another machine): its xHCI holds
# the root; the recording boot reached the root on the USB disk with no
# rule at all
vfe_check_hn_list_usb()
{
	vfe_assert_list_recorded usb "$VFE_OTHER_MACHINE_UUID"
	run cat "$VFE_OUT/list-usb"
	assert_line --regexp "^device addr=$VFE_HN_XHCI path=$VFE_HN_XHCI_PATH ids=$VFE_HN_XHCI_IDS .*class=0c0330 $VFE_HOLDS_ROOT"
}

# the list of the mgmt host (recorded with vmbr0 up): the NIC carries the
# management network (vmbr0, its address, the default route, the port
# named by its interface), the virtio-blk holds the root
vfe_check_hn_list_mgmt()
{
	local line ifname
	vfe_assert_list_recorded mgmt
	run cat "$VFE_OUT/list-mgmt"
	assert_line --regexp "^device addr=$VFE_HN_MGMT_DISK path=0000:00:05\\.0/00\\.0 ids=1af4:1042 .*$VFE_HOLDS_ROOT"
	line=$(grep "^device addr=$VFE_HN_NIC path=$VFE_HN_NIC_PATH ids=$VFE_HN_NIC_IDS " "$VFE_OUT/list-mgmt")
	run echo "$line"
	assert_output --partial "class=020000 "
	assert_output --partial "$VFE_HN_MSG_MGMT"
	assert_output --partial "vmbr0"
	assert_output --partial "192.0.2.10"
	assert_output --partial "default route"
	# the port: the interface the recording boot put in vmbr0
	ifname=$(awk -v a="$VFE_HN_NIC" '$1 == a { print $2 }' "$VFE_OUT/list-mgmt.netif" 2>/dev/null)
	assert [ -n "$ifname" ]
	assert_output --partial "port $ifname"
}

# vfe_hn_usb_kept NAME: root reached, mounted from the USB disk below the
# xHCI and readable; the xHCI never on vfio-pci, on xhci_hcd after udev;
# card 1 bound all along
vfe_hn_usb_kept()
{
	local n=$1
	vfe_assert_root "$n"
	run vfe_hn_kmsg_with "$n" "$VFE_HN_XHCI" "bound to vfio-pci"
	assert_output ""
	vfe_hn_never_override "$n" "$VFE_HN_XHCI"
	vfe_assert_drivers "$n" udev,root "$VFE_HN_XHCI=xhci_hcd"
	vfe_assert_drivers "$n" early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	# the root: a SCSI disk below the xHCI's USB bus, mounted and readable
	run vfe_hn_lines "$n" ROOTDEV
	assert_output --regexp "^/dev/sd[a-z]+[0-9]* /sys/devices/pci0000:00/0000:00:05\\.0/$VFE_HN_XHCI/usb[0-9]+/.*/block/sd[a-z]+\$"
	run vfe_lines "$n" MOUNT root
	assert_line --regexp '^/dev/sd[a-z]+[0-9]* / ext4$'
	run vfe_lines "$n" READ root
	assert_line '/ ok'
}

# usb: no list, a rule names the xHCI that carries the root disk: refused
# early (a USB host controller, nothing verified) and by the late pass (it
# holds the root), xhci_hcd keeps it, root reached on the USB disk
vfe_check_hn_usb()
{
	vfe_hn_usb_kept usb
	vfe_assert_protected_list usb unverified
	vfe_hn_assert_kmsg usb "$VFE_HN_XHCI" "$VFE_HN_MSG_REFUSED" "$VFE_HN_MSG_USB_EARLY"
	vfe_hn_assert_kmsg usb "$VFE_HN_MSG_LATE" "$VFE_HN_XHCI" "$VFE_HN_MSG_REFUSED" "$VFE_HN_MSG_HOLDS_ROOT"
}

# usbother: the list of another machine, which names the xHCI: refused
# (whichever reason comes first), kept, root reached on the USB disk
vfe_check_hn_usbother()
{
	vfe_hn_usb_kept usbother
	vfe_assert_protected_list usbother unverified
	vfe_assert_kmsg usbother 'vfio-early: .*protected list unverified: .*another machine'
	vfe_hn_assert_kmsg usbother "$VFE_HN_XHCI" "$VFE_HN_MSG_REFUSED"
}

# mgmt: the list verifies; a rule names the NIC by address: refused
# (management network), e1000e keeps it, vmbr0 comes up on the root
vfe_check_hn_mgmt()
{
	vfe_hn_nic_kept mgmt
	vfe_assert_protected_list mgmt verified
	vfe_hn_assert_kmsg mgmt "$VFE_HN_NIC" "$VFE_HN_MSG_REFUSED" "$VFE_HN_MSG_MGMT"
	vfe_hn_assert_network mgmt
}

# mgmtids: the same with `ids 8086:10d3 allow-network`
vfe_check_hn_mgmtids()
{
	vfe_hn_nic_kept mgmtids
	vfe_assert_protected_list mgmtids verified
	vfe_hn_assert_kmsg mgmtids "$VFE_HN_NIC" "$VFE_HN_MSG_REFUSED" "$VFE_HN_MSG_MGMT"
	vfe_hn_assert_network mgmtids
}

# mgmtnone: no list in the image; a rule names the NIC by address: refused
# early for want of a verified list (nothing says which NIC the host is
# reached through), and not taken up by the late pass: e1000e keeps it,
# vmbr0 comes up on the root
vfe_check_hn_mgmtnone()
{
	vfe_hn_nic_kept mgmtnone
	vfe_assert_protected_list mgmtnone unverified
	vfe_hn_assert_kmsg mgmtnone "$VFE_HN_NIC" "$VFE_HN_MSG_REFUSED" "$VFE_HN_MSG_NET_UNVERIFIED"
	run vfe_hn_kmsg_with mgmtnone "$VFE_HN_NIC" "bound to vfio-pci"
	assert_output ""
	vfe_hn_assert_network mgmtnone
}

# mgmtallow: the verified list holds the NIC, a rule names it by address
# with allow-network: handed over, on vfio-pci from the early pass on; the
# root finds no interface for vmbr0
vfe_check_hn_mgmtallow()
{
	vfe_assert_root mgmtallow
	vfe_assert_protected_list mgmtallow verified
	vfe_assert_drivers mgmtallow early,udev,root "$VFE_HN_NIC=vfio-pci" "$VFE_CARD1_VGA=vfio-pci" \
		"$VFE_CARD1_HDA=vfio-pci"
	vfe_assert_drivers mgmtallow udev,root "$VFE_HN_MGMT_DISK=virtio-pci"
	vfe_hn_assert_kmsg mgmtallow "$VFE_HN_NIC" "bound to vfio-pci"
	run vfe_hn_kmsg_with mgmtallow "$VFE_HN_NIC" "$VFE_HN_MSG_REFUSED"
	assert_output ""
	run vfe_hn_lines mgmtallow NET-ERROR
	assert_output "$VFE_HN_NIC has no network interface (driver vfio-pci)"
}
