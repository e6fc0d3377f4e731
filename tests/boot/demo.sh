#!/bin/bash
# make demo: boot an emulated host with two identical "GPUs" (QEMU q35 with an
# emulated VT-d IOMMU) twice, from real initramfs-tools images: once without
# vfio-early, once with it selecting card 1 by the slot it sits in, and print
# what changed.
#
# On a fresh Debian 12 machine, as root, this installs the packages it needs
# (apt), builds vfio-early (`make`), installs it into a staging directory
# (`make install DESTDIR=...`; nothing is installed on this system) and builds
# the images with mkinitramfs and the real hook.  Takes about a minute.
#
# Environment: see tests/boot/lib/boot.bash (VFIO_EARLY_BOOT_ACCEL=tcg skips
# the KVM probe).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PACKAGES=(make gcc pkg-config libkmod-dev libblkid-dev
	qemu-system-x86 seabios linux-image-amd64 busybox-static initramfs-tools
	cpio e2fsprogs kmod xz-utils zstd)

say()
{
	printf '\n== %s\n' "$*"
}

die()
{
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

install_packages()
{
	local p missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		die "missing packages: ${missing[*]} (run as root on Debian, or install them)"
	fi
	say "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

command -v dpkg-query >/dev/null || die "this demo needs a Debian-like system (dpkg, apt)"
install_packages

# shellcheck source=lib/boot.bash
source "$here/lib/boot.bash"
VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/demo}
mkdir -p "$VFE_OUT"

say "building vfio-early"
env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory

t0=$(date +%s)
say "preparing the guest: kernel, root filesystem, accelerator"
vfe_prepare || die "could not prepare the guest"
echo "kernel $VFE_KVER ($VFE_KERNEL), accelerator $VFE_ACCEL, root fs $VFE_ROOTFS"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vfe_stage "$work/stage" || die "make install DESTDIR=$work/stage failed"

# The guide's way to pick one of two identical cards: by the slot it sits in.
config=$work/vfio-early.conf
cat >"$config" <<'EOF'
# one of two identical cards: the one in the slot below root port 00:02.0
path 00:02.0/00 expect=1234:1111
EOF
say "/etc/vfio-early.conf in the image"
cat "$config"

# The images are built here, not in the guest: give them the guest's own
# protected list (its root fs is on the virtio-blk controller) instead of
# this machine's.
prot=$(vfe_guest_protected)

say "building initramfs-tools images (mkinitramfs, the installed hook)"
before=$(vfe_image itools demo-without "$work/stage" "" "$prot" plain "$VFE_KVER") ||
	die "mkinitramfs failed"
after=$(vfe_image itools demo-with "$work/stage" "$config" "$prot" test "$VFE_KVER") ||
	die "mkinitramfs failed"
echo "without vfio-early: $before"
echo "with vfio-early:    $after"

say "booting the emulated host twice (QEMU $VFE_ACCEL; each boot ~15 s under TCG)"
vfe_boot_all "without|$before|1|" "with|$after|1|"
for b in without with; do
	run=$(vfe_reached_root "$b") || die "the '$b' boot failed: $run (console: $VFE_OUT/$b.console)"
	echo "$b: reached the real root in $(cat "$VFE_OUT/$b.seconds") s"
done

role()
{
	case $1 in
	"$VFE_HOST_VGA") echo "host display (boot VGA)" ;;
	"$VFE_CARD1_VGA") echo "card 1: VGA" ;;
	"$VFE_CARD1_HDA") echo "card 1: HDMI audio" ;;
	"$VFE_CARD2_VGA") echo "card 2: VGA" ;;
	"$VFE_CARD2_HDA") echo "card 2: HDMI audio" ;;
	"$VFE_NVME") echo "NVMe SSD" ;;
	"$VFE_ROOTDISK") echo "root disk (virtio-blk)" ;;
	0000:00:00.0) echo "host bridge" ;;
	0000:00:1f.0) echo "ISA/LPC bridge" ;;
	0000:00:1f.2) echo "SATA controller" ;;
	0000:00:1f.3) echo "SMBus controller" ;;
	*) echo "" ;;
	esac
}

say "PCI drivers after boot (from the real root, after switch_root)"
printf '%-13s %-10s %-7s %-24s %-15s %-15s\n' ADDRESS IDS CLASS DEVICE WITHOUT WITH
awk '$1 == "DEV" && $2 == "root" { print $3, $4, $5 }' "$VFE_OUT/with.result" |
	while read -r addr ids class; do
		case $class in 0604*) continue ;; esac # root ports
		w=$(vfe_driver without root "$addr")
		v=$(vfe_driver with root "$addr")
		mark=""
		[ "$w" = "$v" ] || mark="  <- changed"
		printf '%-13s %-10s %-7s %-24s %-15s %-15s%s\n' "$addr" "$ids" "${class:0:6}" \
			"$(role "$addr")" "$w" "$v" "$mark"
	done

say "vfio-early's kernel log (boot with vfio-early)"
tr -d '\r' <"$VFE_OUT/with.console" | grep -a '^\[.*\] vfio-early' || echo "(none)"

say "right after the init-top hook, before udev (boot with vfio-early)"
for a in "$VFE_CARD1_VGA" "$VFE_CARD1_HDA" "$VFE_CARD2_VGA" "$VFE_CARD2_HDA"; do
	printf '%-13s %-20s %s\n' "$a" "$(role "$a")" "$(vfe_driver with early "$a")"
done

echo
echo "demo finished in $(($(date +%s) - t0)) s; consoles and reports in $VFE_OUT"
