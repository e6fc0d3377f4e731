# vfio-pci variant drivers (tests/boot/variant.bats, issue 19): boots of the
# emulated two-GPU host (lib/boot.bash) whose images and root carry a
# variant driver built here, as Debian's kernel ships none and QEMU
# emulates no device a real variant (mlx5_vfio_pci, hisi_acc_vfio_pci)
# drives.
#
# The driver, tests/boot/variant/vfio_early_test_pci.c: module
# vfio_early_test_pci, PCI driver vfio-early-test-pci, a vfio_pci_core
# device for QEMU's NVMe (1b36:0010) whose id_table entry is
# driver_override only, so modpost gives it the alias
# "vfio_pci:v00001B36d00000010sv*sd*bc*sc*i*".  It is built against the
# headers of the kernel the guests boot (VFE_KVER) into the cache, and put
# into the initramfs by a test-only hook in the image's private CONFDIR
# (updates/, indexed by mkinitramfs's own depmod) and into the guest's root
# (the same, then depmod).  No headers for VFE_KVER: the suite skips.
#
# The real root's first program is tests/boot/variant/guest.sh: VARIANT
# lines on ttyS1 about the NVMe (driver, override, modalias, IOMMU group,
# /dev/vfio) and the root disk; with vfe_test.variant=byhand it binds the
# NVMe to the variant by hand first (modprobe, unbind nvme,
# driver_override, drivers_probe).  It then hands over to the test root's
# /sbin/init (driver reports, `vfio-early --report`).
#
# Outputs in VFE_OUT (CACHE/last/variant): NAME.* as vfe_boot writes them,
# module.log (the module's build), modinfo.txt, image-alias-NAME.txt (the
# vfio_pci: lines of each image's modules.alias), report-NAME.txt (the
# root's `vfio-early --report`), report-cfg-NAME.{txt,json} (guest.sh's
# `--report` with a config selecting the NVMe and card 1),
# report-all-NAME.txt (guest.sh's `--report --all`), timing.

# shellcheck source=boot.bash
source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/variant
# shellcheck disable=SC2034 # read by boot.bash (vfe_record_image)
VFE_KIND=itools
VFE_VDRV_SRC=$VFE_BOOT_DIR/variant
VFE_VDRV_MODULE=vfio_early_test_pci
VFE_VDRV_DRIVER=vfio-early-test-pci
# shellcheck disable=SC2034 # read by variant.bats
VFE_VDRV_ALIAS='vfio_pci:v00001B36d00000010sv*sd*bc*sc*i*'
# vfio_pci's own alias, the one every device matches
# shellcheck disable=SC2034 # read by variant.bats
VFE_VDRV_PLAIN_ALIAS='vfio_pci:v*d*sv*sd*bc*sc*i*'

# vfe_vdrv_headers KVER: the kernel build tree of KVER (Debian's
# linux-headers-KVER), or fails.
vfe_vdrv_headers()
{
	local d
	for d in "/lib/modules/$1/build" "/usr/src/linux-headers-$1"; do
		if [ -f "$d/Makefile" ] && [ -f "$d/Module.symvers" ] &&
			[ -f "$d/include/config/auto.conf" ]; then
			readlink -f "$d"
			return 0
		fi
	done
	return 1
}

# vfe_vdrv_module: the variant module built against VFE_KVER's headers,
# cached by its sources, the kernel and the headers' Module.symvers (a
# module built against other symbols' versions does not load).  The build
# runs in a copy under the cache (make -C HEADERS M=DIR modules); its log
# is VFE_OUT/module.log.
vfe_vdrv_module()
{
	local kdir key dir ko
	kdir=$(vfe_vdrv_headers "$VFE_KVER") || { vfe_log "no headers for $VFE_KVER"; return 1; }
	key=$( (echo "variant-module 1 $VFE_KVER $kdir"
		sha256sum "$VFE_VDRV_SRC/$VFE_VDRV_MODULE.c" "$VFE_VDRV_SRC/Kbuild" "$VFE_VDRV_SRC/Makefile" \
			"$kdir/Module.symvers" "$kdir/include/config/auto.conf" | cut -d' ' -f1) |
		sha256sum | head -c 16)
	dir=$VFE_CACHE/variant-module/$key
	ko=$dir/$VFE_VDRV_MODULE.ko
	if [ -s "$ko" ]; then
		echo "$ko"
		return 0
	fi
	rm -rf "$VFE_CACHE/variant-module"
	mkdir -p "$dir" "$VFE_OUT"
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$VFE_VDRV_SRC" --no-print-directory \
		KVER="$VFE_KVER" KDIR="$kdir" BUILD_DIR="$dir" modules >"$VFE_OUT/module.log" 2>&1 ||
		[ ! -s "$ko" ]; then
		vfe_log "building the variant module failed, log $VFE_OUT/module.log:"
		sed 's/^/#   /' "$VFE_OUT/module.log" >&2
		rm -rf "$dir"
		return 1
	fi
	echo "$ko"
}

# vfe_vdrv_hook KO: the test-only initramfs-tools hook that puts KO into
# the image (updates/, where depmod looks first); mkinitramfs runs depmod
# on the image's tree after the hooks.
vfe_vdrv_hook()
{
	cat <<-EOF
	#!/bin/sh
	# Test-only initramfs-tools hook (tests/boot/lib/variant.bash): the
	# boot tests' vfio-pci variant driver, built for this kernel, and the
	# vfio modules it needs.
	PREREQ=""
	prereqs()
	{
	    echo "\$PREREQ"
	}
	case "\${1:-}" in
	prereqs)
	    prereqs
	    exit 0
	    ;;
	esac
	. /usr/share/initramfs-tools/hook-functions

	manual_add_modules vfio-pci-core
	mkdir -p "\${DESTDIR}/lib/modules/\${version}/updates"
	cp "$1" "\${DESTDIR}/lib/modules/\${version}/updates/$VFE_VDRV_MODULE.ko"
	EOF
}

# vfe_vdrv_build_itools OUT STAGE CONFIG PROTECTED KVER KO: as
# vfe_build_itools' test flavour (the installed hook and scripts, the test
# hook and scripts, the same initramfs.conf), plus the hook of
# vfe_vdrv_hook KO in the private CONFDIR.  Log: OUT.log.
vfe_vdrv_build_itools()
{
	local out=$1 stage=$2 config=$3 protected=$4 kver=$5 ko=$6 conf rc
	local it=/usr/share/initramfs-tools
	conf=$(mktemp -d)
	mkdir -p "$conf"/{conf.d,hooks,scripts/init-top,scripts/init-premount,scripts/init-bottom}
	printf '%s\n' MODULES=list BUSYBOX=y KEYMAP=n COMPRESS=zstd COMPRESSLEVEL=1 RUNSIZE=10% \
		FSTYPE=auto >"$conf/initramfs.conf"
	: >"$conf/modules"
	if ! { cp -p "$stage$it/hooks/vfio-early" "$conf/hooks/" &&
		cp -p "$stage$it/scripts/init-top/00-vfio-early" "$conf/scripts/init-top/" &&
		cp -p "$stage$it/scripts/init-bottom/vfio-early" "$conf/scripts/init-bottom/" &&
		cp -p "$VFE_GUEST/initramfs-tools/hooks/vfio-early-test" "$conf/hooks/" &&
		cp -p "$VFE_GUEST/initramfs-tools/scripts/init-top/01-vfio-early-test" "$conf/scripts/init-top/" &&
		cp -p "$VFE_GUEST/initramfs-tools/scripts/init-premount/vfio-early-test" "$conf/scripts/init-premount/" &&
		vfe_vdrv_hook "$ko" >"$conf/hooks/vfio-early-test-variant" &&
		chmod 0755 "$conf/hooks/vfio-early-test-variant"; }; then
		rm -rf "$conf"
		return 1
	fi
	rm -f "$out"
	vfe_image_env "$stage" "$config" "$protected" dynamic
	env "${VFE_IMAGE_ENV[@]}" mkinitramfs -d "$conf" -o "$out.tmp" "$kver" >"$out.log" 2>&1 && rc=0 || rc=$?
	rm -rf "$conf"
	vfe_image_done mkinitramfs "$rc" "$out"
}

# vfe_vdrv_image NAME CONFIG: the image NAME (CONFIG "" = none) with the
# variant module VFE_VDRV_KO, cached: vfe_image_key's inputs, the module
# and the functions that build it.
vfe_vdrv_image()
{
	local name=$1 config=$2 key out
	key=$( (vfe_image_key itools "$VFE_STAGE" "$config" "$VFE_VDRV_PROT" variant "$VFE_KVER"
		sha256sum <"$VFE_VDRV_KO"
		declare -f vfe_vdrv_hook vfe_vdrv_build_itools) | sha256sum | head -c 24)
	out=$VFE_CACHE/images/itools-variant-$name-$key.img
	if [ ! -s "$out" ]; then
		mkdir -p "$VFE_CACHE/images"
		rm -f "$VFE_CACHE/images/itools-variant-$name-"*.img "$VFE_CACHE/images/itools-variant-$name-"*.img.log
		vfe_vdrv_build_itools "$out" "$VFE_STAGE" "$config" "$VFE_VDRV_PROT" "$VFE_KVER" \
			"$VFE_VDRV_KO" || return 1
	fi
	echo "$out"
}

# vfe_vdrv_fail_probe DIR KVER (a vfe_image_variant modifier): the image's
# modprobe.d gives the variant fail_probe=1, libkmod applies it when
# vfio-early loads the module.
vfe_vdrv_fail_probe()
{
	mkdir -p "$1/etc/modprobe.d" &&
		echo "options $VFE_VDRV_MODULE fail_probe=1" >"$1/etc/modprobe.d/vfio-early-test-variant.conf"
}

# vfe_vdrv_image_modules_file IMAGE FILE: FILE (modules.alias, ...) of the
# image's modules directory (lib/ or usr/lib/, as the image has it).
vfe_vdrv_image_modules_file()
{
	local p
	for p in "usr/lib/modules/$VFE_KVER/$2" "lib/modules/$VFE_KVER/$2"; do
		vfe_image_file "$1" "$p" && return 0
	done
	return 1
}

# vfe_vdrv_rootfs: the guest's ext4 root (48 MB, UUID VFE_ROOT_UUID):
# vfe_rootfs_tree's files (the binary VFE_ROOTFS carries), guest.sh as
# /lib/vfio-early-test/variant.sh, busybox's modprobe, lsmod, readlink,
# and the variant module in lib/modules/KVER/updates, depmod run again.
# Cached; one is kept.
vfe_vdrv_rootfs()
{
	local key out dir bin libs=() a
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$( (echo "variant-root 1 ${VFE_ROOTFS##*/} $VFE_KVER"
		declare -f vfe_rootfs_tree vfe_rootfs_modules vfe_vdrv_rootfs
		sha256sum "$VFE_VDRV_SRC/guest.sh" "$VFE_VDRV_KO" | cut -d' ' -f1) | sha256sum | head -c 16)
	out=$VFE_CACHE/variant-root-$key.ext4
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE"/variant-root-*.ext4
	dir=$(mktemp -d)
	{
		vfe_rootfs_tree "$dir" "$bin" "${libs[@]}" &&
			install -m 0755 "$VFE_VDRV_SRC/guest.sh" "$dir/lib/vfio-early-test/variant.sh" &&
			install -D -m 0644 "$VFE_VDRV_KO" "$dir/lib/modules/$VFE_KVER/updates/$VFE_VDRV_MODULE.ko" &&
			depmod -b "$dir" "$VFE_KVER"
	} >&2 || { rm -rf "$dir"; return 1; }
	for a in modprobe lsmod readlink; do
		ln -s busybox "$dir/bin/$a"
	done
	vfe_root_ext4 "$dir" 48M "$out" || return 1
	echo "$out"
}

# vfe_qemu_args_variant IOMMU: vfe_qemu_args' host (the NVMe at 03:00.0,
# the root disk at 04:00.0) with the root of vfe_vdrv_rootfs
# (VFE_VDRV_ROOTFS); booted as IOMMU@variant.
vfe_qemu_args_variant()
{
	# shellcheck disable=SC2034 # read by vfe_qemu_args
	local VFE_ROOTFS=$VFE_VDRV_ROOTFS
	vfe_qemu_args "$1"
}

# The boots: NAME|IMAGE NAME|command line (after vfe_boot's own).  The
# images' configs are vfe_vdrv_config's.
#   byhand  no config: the guest's root binds the NVMe to the variant by hand
#   auto    driver=auto on the NVMe (the variant) and card 1 (vfio-pci)
#   plain   driver=vfio-pci on the NVMe; card 2 with no driver= (auto)
#   named   driver=MODULE (the variant's module) on the NVMe
#   fallback  auto's image with "options vfio_early_test_pci fail_probe=1"
#           in its modprobe.d: the variant refuses the NVMe, vfio-early
#           gives it to vfio-pci
#   rebind  no config; on the real root, with nvme holding the NVMe,
#           guest.sh runs vfio-early --list-modules, take and release
#           (vfe_test.variant=take), then the guest's init runs vfio-early
#           with "address 03:00.0" (no driver=: auto) (guest/init,
#           vfe_test.rebind=)
VFE_VDRV_BOOTS=(
	"auto|auto|"
	"plain|plain|"
	"named|named|"
	"fallback|fallback|"
	"rebind|noconf|vfe_test.variant=take vfe_test.rebind=${VFE_NVME#0000:}"
	"byhand|noconf|vfe_test.variant=byhand"
)

# vfe_vdrv_setup: stage, the module, the root, the images, the boots;
# outputs in VFE_OUT.
vfe_vdrv_setup()
{
	local kver spec name img args cfg boots=() t1 i
	# headers first: without them nothing else is worth doing
	if kver=$(vfe_kver) && ! vfe_vdrv_headers "$kver" >/dev/null; then
		export VFE_SKIP_REASON="no kernel headers for $kver, the kernel the guests boot: install linux-headers-$kver (linux-headers-amd64) to build the variant driver"
		return 0
	fi
	vfe_boot_setup mkinitramfs || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	VFE_VDRV_KO=$(vfe_vdrv_module) || return 1
	modinfo "$VFE_VDRV_KO" >"$VFE_OUT/modinfo.txt" || return 1
	VFE_VDRV_PROT=$(vfe_guest_protected base) || return 1
	VFE_VDRV_ROOTFS=$(vfe_vdrv_rootfs) || return 1
	export VFE_VDRV_KO VFE_VDRV_PROT VFE_VDRV_ROOTFS
	for spec in "${VFE_VDRV_BOOTS[@]}"; do
		IFS='|' read -r name img args <<<"$spec"
		case $img in
		fallback)
			img=$(vfe_vdrv_image auto "$(vfe_vdrv_config auto)") &&
				img=$(vfe_image_variant "$img" variant-fallback vfe_vdrv_fail_probe) || return 1
			;;
		*)
			cfg=$(vfe_vdrv_config "$img") || return 1
			[ -z "$cfg" ] || cp "$cfg" "$VFE_OUT/$name.conf"
			img=$(vfe_vdrv_image "$img" "$cfg") || return 1
			;;
		esac
		vfe_vdrv_image_modules_file "$img" modules.alias | grep '^alias vfio_pci:' \
			>"$VFE_OUT/image-alias-$name.txt"
		boots+=("$name|$img|1@variant|init=/lib/vfio-early-test/variant.sh $args")
	done
	t1=$(date +%s)

	vfe_boot_specs "${boots[@]}"
	for i in "${boots[@]}"; do
		name=${i%%|*}
		vfe_report "$name" text >"$VFE_OUT/report-$name.txt"
		vfe_block "$VFE_OUT/$name.report" ALL-BEGIN "ALL-END exit=" >"$VFE_OUT/report-all-$name.txt"
		vfe_vdrv_report "$name" text >"$VFE_OUT/report-cfg-$name.txt"
		vfe_vdrv_report "$name" json >"$VFE_OUT/report-cfg-$name.json"
	done
	{
		echo "kind=variant accel=$VFE_ACCEL kernel=$VFE_KVER jobs=$VFE_JOBS module=${VFE_VDRV_KO#"$VFE_CACHE"/}"
		echo "module, root and images: $((t1 - VFE_SETUP_T0)) s"
		vfe_boot_lines "${boots[@]}"
	} | vfe_boot_timing variant
}

# vfe_vdrv_config NAME: the config file of image NAME ("" = none), written
# into BATS_FILE_TMPDIR.
vfe_vdrv_config()
{
	local text
	case $1 in
	noconf) return 0 ;;
	auto) text="# the NVMe: the variant's alias is the most specific match
address ${VFE_NVME#0000:} driver=auto
# card 1: only vfio_pci's own alias matches
address 01:00 driver=auto
" ;;
	plain) text="# the NVMe, where the variant would match: the generic driver
address ${VFE_NVME#0000:} driver=vfio-pci
# card 2, no driver= (auto): vfio-pci, no variant matches
address 02:00
" ;;
	named) text="# the NVMe, the variant named by its module
address ${VFE_NVME#0000:} driver=$VFE_VDRV_MODULE
" ;;
	*) vfe_log "no config named $1"; return 1 ;;
	esac
	printf '%s' "$text" >"$BATS_FILE_TMPDIR/$1.conf"
	echo "$BATS_FILE_TMPDIR/$1.conf"
}

# --- parsers ------------------------------------------------------------------

# vfe_vdrv_lines NAME WORD: the guest's "VARIANT WORD ..." lines (ttyS1),
# without "VARIANT WORD ".
vfe_vdrv_lines()
{
	sed -n "s/^VARIANT $2 //p" "$VFE_OUT/$1.result"
}

# vfe_vdrv_report NAME FORMAT: guest.sh's `vfio-early --report` (FORMAT
# text or json) with the config selecting the NVMe and card 1.
vfe_vdrv_report()
{
	vfe_block "$VFE_OUT/$1.report" "REPORTCFG-BEGIN $2" "REPORTCFG-END $2 exit="
}

# vfe_vdrv_kernel NAME: the kernel-log lines of the boot (console, \r
# stripped) about the variant, the NVMe or /dev/vfio.
vfe_vdrv_kernel()
{
	tr -d '\r' <"$VFE_OUT/$1.console" | grep -a -e "$VFE_VDRV_MODULE" -e "$VFE_VDRV_DRIVER" \
		-e "${VFE_NVME}" -e 'vfio' || true
}
