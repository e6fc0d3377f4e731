# "Hosts with one GPU" (tests/boot/singlegpu.bats, issue 19): a UEFI host
# (OVMF) whose only display is the card that goes to a VM, as the headless
# LLM server has it.  Its QEMU machine: q35 with the emulated VT-d as the
# other suites, no boot VGA at 00:01.0; the card (VGA 1234:1111 +
# ich9-intel-hda 8086:293e) behind root port 00:02.0 and the virtio-blk root
# disk behind 00:05.0, as on vfe_qemu_args' host, so the base layout's
# protected list (recorded under SeaBIOS) finds that disk by its path.
# OVMF numbers the buses in its own way; the boot checks the addresses.
# The kernel is the bzImage (an EFI program: OVMF starts it through its EFI
# stub, so the kernel gets the firmware's framebuffer), not the PVH vmlinux.
#
# Four boots on the root filesystem of vfe_vmtake_rootfs, whose first program
# is guest/singlegpu.sh, then /sbin/init:
#   refuse   config "address 01:00": vfio-early refuses the boot display
#   allow    config "address 01:00 allow-boot-vga",
#            initcall_blacklist=sysfb_init, and a nested QEMU takes the card
#   nofix    the refuse image with vfio_early.allow_boot_vga=1 and no sysfb
#            fix, the nested QEMU too
#   dryrun   the refuse image with vfio_early.dry_run=1 and bochs
#            blacklisted: nothing takes the card, so the firmware's
#            framebuffer stays, for --report (vfio_early.devices=01:00 and
#            vfio_early.allow_boot_vga=1 select the card on the root)
# Outputs in VFE_OUT (CACHE/last/singlegpu): NAME.* as vfe_boot writes them
# and timing.

# Variables here are used by singlegpu.bats.
# shellcheck disable=SC2034

# vmtake.bash: lib/boot.bash, bats-support, bats-assert, vfe_vmtake_copy
# and the nested QEMU's files
# shellcheck source=tests/boot/lib/vmtake.bash
source "$BATS_TEST_DIRNAME/lib/vmtake.bash"

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/singlegpu
VFE_SG_CODE=/usr/share/OVMF/OVMF_CODE.fd
VFE_SG_VARS_TEMPLATE=/usr/share/OVMF/OVMF_VARS.fd
# the card behind root port 00:02.0, the root disk behind 00:05.0 (checked
# by the boots)
VFE_SG_VGA=0000:01:00.0
VFE_SG_HDA=0000:01:00.1
VFE_SG_ROOTDISK=0000:02:00.0
# vfe_qemu_args_singlegpu IOMMU: the UEFI single-GPU host (booted as
# IOMMU@singlegpu): OVMF's code (read-only) and a copy of its variable
# store (VFE_SG_VARS, writable) as pflash, the VT-d, the card behind root
# port 00:02.0 as its only display, the root disk (VFE_SG_ROOTFS) behind
# root port 00:05.0, VFE_VMTAKE_MEM of memory (a nested QEMU runs inside).
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_args_singlegpu()
{
	[ -n "${VFE_SG_VARS:-}" ] || { vfe_log "layout singlegpu: no VFE_SG_VARS"; return 1; }
	vfe_qemu_machine "$VFE_VMTAKE_MEM"
	VFE_QEMU_ARGS+=(-uuid "${VFE_GUEST_UUID:-$VFE_MACHINE_UUID}"
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VFE_SG_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$VFE_SG_VARS")
	[ "$1" = 1 ] && VFE_QEMU_ARGS+=(-device intel-iommu,intremap=on)
	VFE_QEMU_ARGS+=(
		-audiodev none,id=snd0
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x2.0,chassis=1
		-device VGA,id=gpu1,bus=rp1,addr=0x0.0,multifunction=on
		-device ich9-intel-hda,id=hda1,bus=rp1,addr=0x0.1
		-device hda-duplex,bus=hda1.0,audiodev=snd0
		-device pcie-root-port,id=rp4,bus=pcie.0,addr=0x5.0,chassis=4
		-drive "file=$VFE_SG_ROOTFS,if=none,id=root0,format=raw,snapshot=on"
		-device virtio-blk-pci,bus=rp4,drive=root0)
}

# vfe_sg_boot NAME IMAGE CMDLINE...: one boot of the single-GPU host with
# a fresh copy of OVMF's variable store and the bzImage, its first program
# guest/singlegpu.sh (told the card's addresses); as vfe_boot.
vfe_sg_boot()
{
	local name=$1 image=$2
	shift 2
	# read by vfe_qemu_args_singlegpu and vfe_boot
	local VFE_SG_VARS=$BATS_FILE_TMPDIR/$name-OVMF_VARS.fd VFE_KERNEL=/boot/vmlinuz-$VFE_KVER
	cp "$VFE_SG_VARS_TEMPLATE" "$VFE_SG_VARS" || return 1
	VFE_TIMEOUT=$VFE_VMTAKE_TIMEOUT vfe_boot "$name" "$image" 1@singlegpu \
		init=/lib/vfio-early-test/singlegpu.sh "vfe_test.singlegpu=$VFE_SG_VGA,$VFE_SG_HDA" "$@"
	echo "$image" >"$VFE_OUT/$name.image"
}

# vfe_sg_setup: stage, the base layout's protected list, two images, the
# root filesystem, four boots; outputs in VFE_OUT.  Without OVMF each test
# is skipped (VFE_SKIP_REASON).
vfe_sg_setup()
{
	local prot conf img_refuse img_allow t1 n
	vfe_boot_setup mkinitramfs || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	command -v lspci >/dev/null || { vfe_log "lspci (pciutils) is not installed"; return 1; }
	if [ ! -r "$VFE_SG_CODE" ] || [ ! -r "$VFE_SG_VARS_TEMPLATE" ]; then
		VFE_SKIP_REASON="not installed: ovmf (no $VFE_SG_CODE)"
		return 0
	fi
	prot=$(vfe_guest_protected) || return 1
	conf=$BATS_FILE_TMPDIR/conf
	mkdir -p "$conf"
	echo "address ${VFE_SG_VGA%.*}" >"$conf/refuse.conf"
	echo "address ${VFE_SG_VGA%.*} allow-boot-vga" >"$conf/allow.conf"
	img_refuse=$(vfe_image itools sg-refuse "$VFE_STAGE" "$conf/refuse.conf" "$prot" test "$VFE_KVER") || return 1
	img_allow=$(vfe_image itools sg-allow "$VFE_STAGE" "$conf/allow.conf" "$prot" test "$VFE_KVER") || return 1
	VFE_SG_ROOTFS=$(vfe_vmtake_rootfs) || return 1
	export VFE_SG_ROOTFS
	t1=$(date +%s)

	vfe_sg_boot refuse "$img_refuse"
	vfe_sg_boot allow "$img_allow" initcall_blacklist=sysfb_init vfe_test.inner=1
	vfe_sg_boot nofix "$img_refuse" vfio_early.allow_boot_vga=1 vfe_test.inner=1
	vfe_sg_boot dryrun "$img_refuse" vfio_early.dry_run=1 modprobe.blacklist=bochs \
		"vfio_early.devices=${VFE_SG_VGA%.*}" vfio_early.allow_boot_vga=1
	{
		echo "kind=singlegpu accel=$VFE_ACCEL kernel=$VFE_KVER root=${VFE_SG_ROOTFS##*/}"
		echo "list, images and root: $((t1 - VFE_SETUP_T0)) s"
		vfe_boot_lines refuse allow nofix dryrun
		for n in refuse allow nofix dryrun; do
			sed -n "s/^SINGLEGPU \([a-z-]*\) uptime=/guest $n \1: uptime /p" "$VFE_OUT/$n.result"
		done
	} | vfe_boot_timing singlegpu
}

# --- parsers ------------------------------------------------------------------

# vfe_sg_block NAME BLOCK: the guest's block BLOCK of boot NAME (ttyS2).
vfe_sg_block()
{
	vfe_block "$VFE_OUT/$1.report" "$2-BEGIN" "$2-END exit="
}

# vfe_sg_exit NAME BLOCK: the exit status on BLOCK-END ("" = it never ended).
vfe_sg_exit()
{
	vfe_block_exit "$VFE_OUT/$1.report" "$2-END exit="
}

# vfe_sg_func NAME ADDR: the FUNC line of ADDR in boot NAME's CARD block.
vfe_sg_func()
{
	vfe_sg_block "$1" CARD | awk -v a="$2" '$1 == "FUNC" && $2 == a'
}

# vfe_sg_fb_in_bars NAME: each firmware framebuffer range of /proc/iomem
# (efifb, BOOTFB, simple-framebuffer, simplefb, vesafb, vesa-framebuffer)
# that overlaps a memory BAR of the card, as "FB-NAME START-END in ADDR BAR
# N"; nothing when none does.
vfe_sg_fb_in_bars()
{
	{
		vfe_sg_block "$1" CARD | awk '$1 == "BAR" { print "BAR", $2, $3, $4, $5 }'
		vfe_sg_block "$1" IOMEM | awk '{
			line = $0; sub(/^ +/, "", line)
			split(line, p, / : /)
			split(p[1], r, /-/)
			print "MEM", r[1], r[2], p[2] }'
	} | awk '
		function hex(s,   i, v, c) {
			v = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1))
				if (!c) return -1
				v = v * 16 + c - 1
			}
			return v
		}
		$1 == "BAR" { n++; ba[n] = $2; bi[n] = $3; bs[n] = hex($4); be[n] = hex($5); next }
		$1 == "MEM" && $4 ~ /^(efifb|BOOTFB|simple-framebuffer|simplefb|vesafb|vesa-framebuffer)/ {
			s = hex($2); e = hex($3)
			for (i = 1; i <= n; i++)
				if (s <= be[i] && e >= bs[i])
					print $4, $2 "-" $3, "in", ba[i], "BAR", bi[i]
		}'
}

# vfe_sg_dmesg NAME: the kernel log the guest printed after its steps (the
# DMESG block), without the timestamps.
vfe_sg_dmesg()
{
	vfe_sg_block "$1" DMESG | sed 's/^\[ *[0-9]*\.[0-9]*\] //'
}

# vfe_sg_inner_function NAME SLOT FUNCTION: the nested QEMU's `info pci`
# entry for bus 0, device SLOT, function FUNCTION in boot NAME (heading and
# the lines below it, up to the next device).
vfe_sg_inner_function()
{
	vfe_sg_block "$1" INNER | vfe_inner_pci "$2" "$3"
}

# vfe_sg_lspci NAME ADDR: lspci's block about ADDR (bus:slot.function) in
# boot NAME: its first line and the indented ones below.
vfe_sg_lspci()
{
	vfe_sg_block "$1" LSPCI | awk -v a="$2" '
		/^[^\t ]/ { on = (index($0, a " ") == 1) }
		on'
}
