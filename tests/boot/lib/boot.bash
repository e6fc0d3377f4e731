# Boot-test library (bash): kernel, accelerator, install staging, guest root
# filesystem, initramfs-tools and dracut images, the emulated two-GPU host,
# and parsers for what the guest reports.  Used by tests/boot/*.bats and
# tests/boot/demo.sh.
#
# Environment:
#   VFIO_EARLY_BOOT_CACHE    cache directory (default tests/boot/.cache)
#   VFIO_EARLY_BOOT_ACCEL    tcg or kvm: skip the KVM probe
#   VFIO_EARLY_BOOT_KVER     kernel version to boot (default: linux-image-amd64's)
#   VFIO_EARLY_BOOT_JOBS     guests booted at once (default: number of CPUs)
#   VFIO_EARLY_BOOT_TIMEOUT  seconds before a guest counts as hung (default 150)
#   VFIO_EARLY_BOOT_OUT      where boot outputs go (default CACHE/last)
#
# VFE_ROOTFS_BIN (set before vfe_prepare) names the binary the guest's root
# filesystem carries for `vfio-early --report`; default: the tree's
# vfio-early-static when built, else its dynamic vfio-early (with the
# libraries it links).

# Variables here are used by the files that source this one.
# shellcheck disable=SC2034

VFE_BOOT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VFE_BOOT_DIR=${VFE_BOOT_LIB%/lib}
VFE_TOP=$(cd "$VFE_BOOT_DIR/../.." && pwd)
VFE_GUEST=$VFE_BOOT_DIR/guest
VFE_CACHE=${VFIO_EARLY_BOOT_CACHE:-$VFE_BOOT_DIR/.cache}
VFE_TIMEOUT=${VFIO_EARLY_BOOT_TIMEOUT:-150}
VFE_JOBS=${VFIO_EARLY_BOOT_JOBS:-$(nproc 2>/dev/null || echo 1)}
VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}

# The emulated host.  SeaBIOS numbers the buses behind the root ports in
# slot order, so these addresses are stable.
VFE_ROOT_UUID=5f1e3c2a-7e0b-4c1d-9a55-0f1e2d3c4b5a
VFE_HOST_VGA=0000:00:01.0     # the host's own display: the boot VGA device
VFE_CARD1_VGA=0000:01:00.0    # "GPU" 1 behind root port 00:02.0
VFE_CARD1_HDA=0000:01:00.1
VFE_CARD2_VGA=0000:02:00.0    # "GPU" 2 behind root port 00:03.0
VFE_CARD2_HDA=0000:02:00.1
VFE_NVME=0000:03:00.0         # behind root port 00:04.0
VFE_ROOTDISK=0000:04:00.0     # virtio-blk holding the root fs, behind 00:05.0
# The machine's DMI product UUID (QEMU -uuid: /sys/class/dmi/id/product_uuid),
# which the protected list records; VFE_OTHER_MACHINE_UUID is another machine.
VFE_MACHINE_UUID=6c0f6b1e-2d4a-4e8b-9c3f-5a7d1e0b2c41
VFE_OTHER_MACHINE_UUID=0b9e4d27-81c3-4f6a-a2d5-7e3c9b1f4a60

vfe_log()
{
	printf '# %s\n' "$*" >&2
}

# vfe_missing_tools TOOL...: print the tools that are not installed.
vfe_missing_tools()
{
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] ||
			missing+=("$t")
	done
	echo "${missing[*]}"
}

# Tools every boot needs.
VFE_BOOT_TOOLS=(qemu-system-x86_64 timeout busybox cpio mke2fs xz zstd sha256sum make cc
	depmod ldd readelf)

# vfe_kver: the kernel to boot (linux-image-amd64's, else the newest).
vfe_kver()
{
	local dep v
	if [ -n "${VFIO_EARLY_BOOT_KVER:-}" ]; then
		v=$VFIO_EARLY_BOOT_KVER
		[ -r "/boot/vmlinuz-$v" ] && [ -f "/lib/modules/$v/modules.dep" ] || return 1
		echo "$v"
		return 0
	fi
	dep=$(dpkg-query -W -f '${Depends}' linux-image-amd64 2>/dev/null) || dep=""
	v=$(sed -n 's/.*linux-image-\([^ ,(]*\).*/\1/p' <<<"$dep")
	if [ -n "$v" ] && [ -r "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v" ]; then
		echo "$v"
		return 0
	fi
	for v in $(find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -Vr); do
		if [ -r "/boot/vmlinuz-$v" ] && [ -f "/lib/modules/$v/modules.dep" ]; then
			echo "$v"
			return 0
		fi
	done
	return 1
}

# vfe_vmlinux KVER: the uncompressed kernel (booted through its PVH entry,
# ~2.3 s faster per boot under TCG than the bzImage), cached.  Falls back to
# the bzImage when the payload cannot be extracted.
vfe_vmlinux()
{
	local kver=$1 img=/boot/vmlinuz-$1 out off magic
	out=$VFE_CACHE/kernel/vmlinux-$kver
	if [ -s "$out" ] && [ "$out" -nt "$img" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$VFE_CACHE/kernel"
	for magic in '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd'; do
		for off in $(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null | LC_ALL=C cut -d: -f1); do
			case $magic in
			# the payload is followed by other data: ignore the decoder's status
			*7zXZ*) tail -c "+$((off + 1))" "$img" | xz -dcq >"$out.tmp" 2>/dev/null || : ;;
			*) tail -c "+$((off + 1))" "$img" | zstd -dcq >"$out.tmp" 2>/dev/null || : ;;
			esac
			if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				mv -f "$out.tmp" "$out"
				echo "$out"
				return 0
			fi
		done
	done
	rm -f "$out.tmp"
	vfe_log "could not extract the kernel payload of $img; booting the bzImage"
	echo "$img"
}

# vfe_probe_initrd: a busybox initramfs whose /init prints a marker and
# leaves through isa-debug-exit.
vfe_probe_initrd()
{
	local out=$VFE_CACHE/probe.cpio dir
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	dir=$(mktemp -d)
	mkdir -p "$dir/bin" "$dir/dev" "$dir/proc"
	cp "$(command -v busybox)" "$dir/bin/busybox"
	cat >"$dir/init" <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox mount -t devtmpfs dev /dev
	echo VFE-PROBE-OK >/dev/ttyS0
	printf '\020' | /bin/busybox dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	EOF
	chmod +x "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet) >"$out.tmp" && mv -f "$out.tmp" "$out"
	rm -rf "$dir"
	echo "$out"
}

# vfe_accel KERNEL: kvm when a probe guest boots under it, tcg otherwise.
# The answer is cached per QEMU and host kernel.
vfe_accel()
{
	local kernel=$1 key file dir status VFE_QEMU_ARGS VFE_QEMU_CMD
	case ${VFIO_EARLY_BOOT_ACCEL:-} in
	tcg | kvm)
		echo "$VFIO_EARLY_BOOT_ACCEL"
		return 0
		;;
	esac
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return 0
	fi
	key=$( (qemu-system-x86_64 --version | head -n 1; uname -r; echo "$kernel") | sha256sum | head -c 16)
	file=$VFE_CACHE/accel-$key
	if [ -s "$file" ]; then
		cat "$file"
		return 0
	fi
	dir=$(mktemp -d)
	vfe_qemu_machine 256
	VFE_ACCEL=kvm vfe_qemu_run 20 "$kernel" "$(vfe_probe_initrd)" "console=ttyS0 panic=-1" \
		"$dir/console" && status=0 || status=$?
	if [ "$status" -eq 33 ] && grep -q VFE-PROBE-OK "$dir/console"; then
		echo kvm >"$file"
	else
		vfe_log "KVM probe failed (status $status): using TCG"
		echo tcg >"$file"
	fi
	rm -rf "$dir"
	cat "$file"
}

# vfe_stage DIR: `make install DESTDIR=DIR` from the tree under test.
vfe_stage()
{
	local dest=$1
	rm -rf "$dest"
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$VFE_TOP" --no-print-directory \
		SANITIZE= install DESTDIR="$dest" >"$dest.log" 2>&1; then
		vfe_log "make install DESTDIR=$dest failed:"
		sed 's/^/#   /' "$dest.log" >&2
		return 1
	fi
}

# vfe_tree_hash DIR: one hash over every file below DIR (names and contents).
vfe_tree_hash()
{
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | head -c 32
}

# vfe_libs BINARY: the shared objects BINARY loads, the dynamic loader
# included, one path a line (nothing for a static binary).
vfe_libs()
{
	env -u LD_PRELOAD ldd "$1" 2>/dev/null | sed -n \
		-e 's/^.*=>[[:blank:]]*\(\/[^[:blank:]]*\).*$/\1/p' \
		-e 's/^[[:blank:]]*\(\/[^[:blank:]]*\)[[:blank:]].*$/\1/p'
}

# vfe_is_static FILE: FILE is an ELF executable without a program
# interpreter (PT_INTERP) and without shared-library dependencies.
vfe_is_static()
{
	local hdr
	[ -f "$1" ] || return 1
	hdr=$(head -c 4 "$1" | od -An -c | tr -d ' ')
	[ "$hdr" = '177ELF' ] || return 1
	! LC_ALL=C readelf -lW "$1" 2>/dev/null | grep -q 'INTERP' &&
		! LC_ALL=C readelf -dW "$1" 2>/dev/null | grep -q '(NEEDED)'
}

# vfe_rootfs_binary: the binary the guest root runs `vfio-early --report`
# with (VFE_ROOTFS_BIN, else the static build, else the dynamic one; empty
# when there is none).
vfe_rootfs_binary()
{
	local b
	for b in "${VFE_ROOTFS_BIN:-}" "$VFE_TOP/vfio-early-static" "$VFE_TOP/vfio-early"; do
		if [ -n "$b" ] && [ -f "$b" ] && [ -x "$b" ]; then
			echo "$b"
			return 0
		fi
	done
	echo ""
}

# vfe_rootfs_modules DIR KVER: the vfio modules of KVER (as the host has
# them) in DIR/lib/modules/KVER, indexed by depmod, as a real root holds
# them: --report checks that they exist.
vfe_rootfs_modules()
{
	local dir=$1 kver=$2 m path rel f
	for m in vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd; do
		path=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || continue
		case $path in
		/lib/modules/"$kver"/* | /usr/lib/modules/"$kver"/*) ;;
		*) continue ;; # built in
		esac
		rel=${path#*/lib/modules/"$kver"/}
		install -D -m 0644 "$path" "$dir/lib/modules/$kver/$rel" || return 1
	done
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ ! -e "/lib/modules/$kver/$f" ] || cp "/lib/modules/$kver/$f" "$dir/lib/modules/$kver/"
	done
	depmod -b "$dir" "$kver"
}

# vfe_rootfs_tree DIR BIN [LIB...]: fill DIR with the guest root's files
# (see vfe_rootfs): BIN ("" = none) as /usr/sbin/vfio-early, with LIBs.
vfe_rootfs_tree()
{
	local dir=$1 bin=$2 applet lib libs
	shift 2
	libs=("$@")
	mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,usr/sbin,lib/vfio-early-test}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	for applet in sh mount umount cat dd dmesg grep sed sleep poweroff ls mkdir echo sync timeout rm; do
		ln -s busybox "$dir/bin/$applet"
	done
	install -m 0755 "$VFE_GUEST/init" "$dir/sbin/init"
	cp "$VFE_GUEST/report.sh" "$dir/lib/vfio-early-test/report.sh"
	cp "$VFE_GUEST/safety.sh" "$dir/lib/vfio-early-test/safety.sh"
	echo "vfio-early test root" >"$dir/vfe-test-marker"
	if [ -n "$bin" ]; then
		install -m 0755 "$bin" "$dir/usr/sbin/vfio-early"
		for lib in "${libs[@]}"; do
			install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib"
		done
	fi
	vfe_rootfs_modules "$dir" "$VFE_KVER" >&2 || return 1
	printf 'NAME="vfio-early test root"\nID=vfe-test\nVERSION_ID=1\n' >"$dir/etc/os-release"
}

# vfe_root_ext4 DIR SIZE OUT: the tree DIR as a guest's ext4 root of SIZE
# (UUID VFE_ROOT_UUID, label vfe-root) in OUT, through OUT.tmp; DIR is
# removed either way.
vfe_root_ext4()
{
	local dir=$1 size=$2 out=$3 rc
	rm -f "$out.tmp"
	truncate -s "$size" "$out.tmp" &&
		mke2fs -q -F -t ext4 -U "$VFE_ROOT_UUID" -L vfe-root -d "$dir" "$out.tmp" >&2 &&
		mv -f "$out.tmp" "$out" && rc=0 || rc=1
	rm -rf "$dir" "$out.tmp"
	return "$rc"
}

# vfe_rootfs: the guest's ext4 root (busybox, /sbin/init reporting the
# drivers after switch_root, /usr/sbin/vfio-early for its --report with
# the libraries a dynamic one needs, and the kernel's vfio modules), cached.
# The four newest root filesystems are kept: other users of this library
# may run meanwhile.
vfe_rootfs()
{
	local key out dir bin libs=()
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$( (echo "rootfs 2 $VFE_ROOT_UUID $VFE_KVER"
		sha256sum "$VFE_GUEST/init" "$VFE_GUEST/report.sh" "$VFE_GUEST/safety.sh" "$(command -v busybox)" \
			${bin:+"$bin"} "${libs[@]}" | cut -d' ' -f1) | sha256sum | head -c 16)
	out=$VFE_CACHE/rootfs-$key.ext4
	if [ -s "$out" ]; then
		touch "$out"
		echo "$out"
		return 0
	fi
	mkdir -p "$VFE_CACHE"
	dir=$(mktemp -d)
	if ! vfe_rootfs_tree "$dir" "$bin" "${libs[@]}"; then
		rm -rf "$dir"
		return 1
	fi
	vfe_root_ext4 "$dir" 48M "$out" || return 1
	# older versions
	find "$VFE_CACHE" -maxdepth 1 -name 'rootfs-*.ext4' -printf '%T@ %p\n' | sort -rn |
		tail -n +5 | cut -d' ' -f2- | xargs -r rm -f
	echo "$out"
}

# vfe_nvme_disk: a blank disk for the NVMe controller.
vfe_nvme_disk()
{
	local out=$VFE_CACHE/nvme.img
	[ -s "$out" ] || { mkdir -p "$VFE_CACHE" && truncate -s 8M "$out"; }
	echo "$out"
}

# vfe_image_env STAGE CONFIG PROTECTED [BINARY]: sets VFE_IMAGE_ENV, the
# environment that points the installed hooks at the staged install (config
# "" = none).  BINARY: "dynamic" (default) puts the staged dynamic binary in
# through VFIO_EARLY_BINARY; "installed" leaves the choice to the hooks (the
# staged vfio-early-static when it was installed); "system" also leaves the
# shim and helpers to the hooks' defaults (/usr/lib/vfio-early).
vfe_image_env()
{
	local stage=$1 config=$2 protected=$3 binary=${4:-dynamic}
	VFE_IMAGE_ENV=("VFIO_EARLY_CONFIG=${config:-/nonexistent/vfio-early.conf}"
		"VFE_TEST_GUEST=$VFE_GUEST")
	[ "$binary" != dynamic ] || VFE_IMAGE_ENV+=("VFIO_EARLY_BINARY=$stage/usr/sbin/vfio-early")
	[ "$binary" = system ] || VFE_IMAGE_ENV+=("VFIO_EARLY_LIBDIR=$stage/usr/lib/vfio-early")
	[ -z "$protected" ] || VFE_IMAGE_ENV+=("VFIO_EARLY_PROTECTED=$protected")
}

# vfe_flavour_binary FLAVOUR: the BINARY of vfe_image_env for an image
# FLAVOUR (test, plain, prod or systemd, optionally +installed or +system).
vfe_flavour_binary()
{
	case $1 in
	*+installed) echo installed ;;
	*+system) echo system ;;
	*) echo dynamic ;;
	esac
}

# vfe_image_key KIND STAGE CONFIG PROTECTED FLAVOUR KVER: cache key of an image.
vfe_image_key()
{
	local kind=$1 stage=$2 config=$3 protected=$4 flavour=$5 kver=$6
	{
		echo "$kind $flavour $kver"
		dpkg-query -W -f '${Version}\n' initramfs-tools-core dracut-core 2>/dev/null
		vfe_tree_hash "$stage"
		echo
		vfe_tree_hash "$VFE_GUEST"
		echo
		[ -z "$config" ] || sha256sum <"$config"
		[ -z "$protected" ] || sha256sum <"$protected"
	} | sha256sum | head -c 24
}

# vfe_build_itools OUT STAGE CONFIG PROTECTED FLAVOUR KVER
#   FLAVOUR: test (vfio-early + report scripts), plain (report scripts only,
#   no vfio-early), prod (the installed pieces only); with "+installed" the
#   hooks choose the binary themselves (the static build when STAGE has it),
#   with "+system" they also find their helpers in the system's paths,
#   otherwise the staged dynamic binary goes in (see vfe_image_env).
# Builds with mkinitramfs and a private CONFDIR (MODULES=list, zstd -1) into
# which the installed hook and init-top script are copied.  Log: OUT.log.
vfe_build_itools()
{
	local out=$1 stage=$2 config=$3 protected=$4 flavour=${5%%+*} kver=$6 conf rc
	local binary
	binary=$(vfe_flavour_binary "$5")
	conf=$(mktemp -d)
	mkdir -p "$conf"/{conf.d,hooks,scripts/init-top,scripts/init-premount}
	cat >"$conf/initramfs.conf" <<-EOF
	MODULES=list
	BUSYBOX=y
	KEYMAP=n
	COMPRESS=zstd
	COMPRESSLEVEL=1
	RUNSIZE=10%
	FSTYPE=auto
	EOF
	: >"$conf/modules"
	if [ "$flavour" != plain ]; then
		cp -p "$stage/usr/share/initramfs-tools/hooks/vfio-early" "$conf/hooks/"
		cp -p "$stage/usr/share/initramfs-tools/scripts/init-top/00-vfio-early" "$conf/scripts/init-top/"
		mkdir -p "$conf/scripts/init-bottom"
		cp -p "$stage/usr/share/initramfs-tools/scripts/init-bottom/vfio-early" "$conf/scripts/init-bottom/"
	fi
	if [ "$flavour" != prod ]; then
		cp -p "$VFE_GUEST/initramfs-tools/hooks/vfio-early-test" "$conf/hooks/"
		cp -p "$VFE_GUEST/initramfs-tools/scripts/init-top/01-vfio-early-test" "$conf/scripts/init-top/"
		cp -p "$VFE_GUEST/initramfs-tools/scripts/init-premount/vfio-early-test" "$conf/scripts/init-premount/"
	fi
	rm -f "$out"
	vfe_image_env "$stage" "$config" "$protected" "$binary"
	env "${VFE_IMAGE_ENV[@]}" mkinitramfs -d "$conf" -o "$out.tmp" "$kver" >"$out.log" 2>&1 && rc=0 || rc=$?
	rm -rf "$conf"
	vfe_image_done mkinitramfs "$rc" "$out"
}

# vfe_image_done TOOL STATUS OUT: OUT.tmp, built by TOOL with STATUS, becomes
# OUT; a failure or an empty image is logged with OUT.log and removed.
vfe_image_done()
{
	local tool=$1 rc=$2 out=$3
	if [ "$rc" -ne 0 ] || [ ! -s "$out.tmp" ]; then
		vfe_log "$tool failed (status $rc), log $out.log:"
		sed 's/^/#   /' "$out.log" >&2
		rm -f "$out.tmp"
		return 1
	fi
	mv -f "$out.tmp" "$out"
}

# vfe_build_dracut OUT STAGE CONFIG PROTECTED FLAVOUR KVER (FLAVOUR as for
# vfe_build_itools, or systemd; "+kernel-modules" adds that dracut module)
# Builds with dracut from a private copy of /usr/lib/dracut whose modules.d
# gets the installed 90vfio-early (and the test module), no host config,
# a small module set.  Log: OUT.log.
vfe_build_dracut()
{
	local out=$1 stage=$2 config=$3 protected=$4 flavour=${5%%+*} kver=$6 base rc mods
	local binary
	binary=$(vfe_flavour_binary "$5")
	base=$(mktemp -d)
	cp -a /usr/lib/dracut/. "$base/"
	mkdir -p "$base/confdir"
	mods="base udev-rules fs-lib rootfs-block"
	if [ "$flavour" != plain ]; then
		cp -a "$stage/usr/lib/dracut/modules.d/90vfio-early" "$base/modules.d/"
		mods="$mods vfio-early"
	fi
	# systemd: the test image with systemd in the initramfs (as Fedora/RHEL
	# build it); vfio-early then runs from vfio-early.service, the test
	# module's hooks from dracut-pre-udev.service.
	[ "$flavour" != systemd ] || mods="systemd systemd-initrd dracut-systemd $mods"
	# +mdraid (with any flavour): md RAID assembly, for a root on md
	case $5 in
	*+mdraid*) mods="$mods mdraid" ;;
	esac
	# +kernel-modules: with dracut's kernel-modules module (its cmdline hook
	# parse-kernel.sh loads the rd.driver.pre= modules)
	case $5 in *+kernel-modules*) mods="$mods kernel-modules" ;; esac
	if [ "$flavour" != prod ]; then
		cp -a "$VFE_GUEST/dracut/99vfio-early-test" "$base/modules.d/"
		cp -p "$VFE_GUEST/report.sh" "$base/modules.d/99vfio-early-test/"
		if [ "$flavour" = plain ]; then
			# the test module depends on vfio-early; the plain image has none
			sed -i 's/echo vfio-early/:/' "$base/modules.d/99vfio-early-test/module-setup.sh"
		fi
		mods="$mods vfio-early-test"
	fi
	rm -f "$out"
	vfe_image_env "$stage" "$config" "$protected" "$binary"
	env "${VFE_IMAGE_ENV[@]}" dracutbasedir="$base" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
		--conf /dev/null --confdir "$base/confdir" \
		--modules "$mods" --no-early-microcode --compress "zstd -1 -q" \
		--kver "$kver" "$out.tmp" >"$out.log" 2>&1 && rc=0 || rc=$?
	rm -rf "$base"
	vfe_image_done dracut "$rc" "$out"
}

# vfe_image KIND NAME STAGE CONFIG PROTECTED FLAVOUR KVER: path of a cached
# image (built when its inputs changed).  KIND: itools or dracut.
vfe_image()
{
	local kind=$1 name=$2 stage=$3 config=$4 protected=$5 flavour=$6 kver=$7 key out
	key=$(vfe_image_key "$kind" "$stage" "$config" "$protected" "$flavour" "$kver")
	out=$VFE_CACHE/images/$kind-$name-$key.img
	if [ ! -s "$out" ]; then
		mkdir -p "$VFE_CACHE/images"
		# keep one image per KIND-NAME
		rm -f "$VFE_CACHE/images/$kind-$name-"*.img "$VFE_CACHE/images/$kind-$name-"*.img.log
		"vfe_build_$kind" "$out" "$stage" "$config" "$protected" "$flavour" "$kver" || return 1
	fi
	echo "$out"
}

# vfe_image_offset IMAGE: the byte offset of IMAGE's main, zstd-compressed
# archive.  0 for the images vfe_image builds; initramfs-tools puts an
# uncompressed early cpio (CPU microcode) in front of it when a microcode
# package is installed.  Fails for anything else.
vfe_image_offset()
{
	local off
	off=$(LC_ALL=C grep -obUaP -m 1 '\x28\xb5\x2f\xfd' "$1" 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || return 1
	if [ "$off" -gt 0 ]; then
		# only an early cpio may come first, ending in its trailer
		[ "$(head -c 6 "$1")" = 070701 ] || return 1
		head -c "$off" "$1" | LC_ALL=C grep -qa 'TRAILER!!!' || return 1
	fi
	echo "$off"
}

# vfe_image_payload IMAGE: IMAGE's main archive, decompressed (a cpio stream).
vfe_image_payload()
{
	local off
	off=$(vfe_image_offset "$1") || { vfe_log "$1: no zstd archive found"; return 1; }
	tail -c "+$((off + 1))" "$1" | zstd -dcq
}

# vfe_image_variant BASE NAME MODIFIER: a copy of the image BASE (a zstd
# compressed cpio archive, as vfe_image builds them) whose unpacked tree the
# shell function MODIFIER DIR KVER changes, packed again (zstd -1; an early
# cpio in front is kept as it is); cached like vfe_image, keyed on BASE's
# contents and MODIFIER's definition.  Cheaper than a build, and it reaches
# what no packager option does (a file removed, a module recompressed).
# Log: OUT.log.
vfe_image_variant()
{
	local base=$1 name=$2 fn=$3 kind key out dir rc off
	kind=${base##*/}
	kind=${kind%%-*}
	key=$( (sha256sum <"$base"; declare -f "$fn"; echo "$VFE_KVER") | sha256sum | head -c 24)
	out=$VFE_CACHE/images/$kind-$name-$key.img
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE/images/$kind-$name-"*.img "$VFE_CACHE/images/$kind-$name-"*.img.log
	if ! off=$(vfe_image_offset "$base"); then
		vfe_log "$base is not a zstd archive (after an early cpio): cannot make the $name variant"
		return 1
	fi
	dir=$(mktemp -d)
	{
		head -c "$off" "$base" >"$out.tmp" &&
			vfe_image_payload "$base" | (cd "$dir" && cpio -idm --quiet --no-absolute-filenames) &&
			"$fn" "$dir" "$VFE_KVER" &&
			(cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
				cpio -o -H newc -R 0:0 --quiet) | zstd -1 -q >>"$out.tmp"
	} >"$out.log" 2>&1 && rc=0 || rc=$?
	rm -rf "$dir"
	if [ "$rc" -ne 0 ] || [ ! -s "$out.tmp" ]; then
		vfe_log "the $name variant of $base failed (status $rc), log $out.log:"
		sed 's/^/#   /' "$out.log" >&2
		rm -f "$out.tmp"
		return 1
	fi
	mv -f "$out.tmp" "$out"
	echo "$out"
}

# vfe_image_file IMAGE PATH: the contents of PATH in IMAGE's main archive.
vfe_image_file()
{
	vfe_image_payload "$1" | cpio -i --quiet --to-stdout "$2" 2>/dev/null
}

# --- the emulated machine ------------------------------------------------
#
# One description of the machine: vfe_qemu_machine (machine, CPU, memory,
# no defaults), vfe_qemu_common (its IOMMU, boot VGA and both cards), the
# layouts (vfe_qemu_args, vfe_qemu_args_LAYOUT: their disks and
# controllers), and one command line around them, vfe_qemu_command
# (accelerator, debug-exit port, serial files, kernel, time limit), run by
# vfe_qemu_run.  Every boot of every suite goes through it.

# vfe_qemu_machine [MEM]: VFE_QEMU_ARGS = the q35 machine with MEM MiB
# (default VFE_QEMU_MEM, else 768), one CPU, no default devices, no display.
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_machine()
{
	VFE_QEMU_ARGS=(-machine q35,kernel-irqchip=split -cpu qemu64,vendor=GenuineIntel
		-m "${1:-${VFE_QEMU_MEM:-768}}" -smp 1 -nodefaults -no-user-config -display none -no-reboot)
}

# vfe_qemu_command SECONDS KERNEL INITRD CMDLINE SERIAL...: VFE_QEMU_CMD, the
# whole command of a boot: QEMU (VFE_ACCEL) with VFE_QEMU_ARGS, the
# isa-debug-exit port (the guest's way out: status 33), each SERIAL file a
# serial port (ttyS0 first), KERNEL, INITRD and CMDLINE, under `timeout
# SECONDS` (124 = hung).
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_command()
{
	local seconds=$1 kernel=$2 initrd=$3 cmdline=$4 f
	shift 4
	VFE_QEMU_CMD=(timeout -k 5 "$seconds" qemu-system-x86_64 -accel "$VFE_ACCEL" "${VFE_QEMU_ARGS[@]}"
		-device isa-debug-exit,iobase=0xf4,iosize=0x04)
	for f in "$@"; do
		VFE_QEMU_CMD+=(-serial "file:$f")
	done
	VFE_QEMU_CMD+=(-kernel "$kernel" -initrd "$initrd" -append "$cmdline")
}

# vfe_qemu_run SECONDS KERNEL INITRD CMDLINE SERIAL...: run the command of
# vfe_qemu_command, stdin closed, its own output to VFE_QEMU_LOG (default
# /dev/null).  Returns QEMU's status: 33 the guest ended through the
# debug-exit port, 124 hung, 0 a panic (panic=-1 with -no-reboot).
vfe_qemu_run()
{
	vfe_qemu_command "$@"
	"${VFE_QEMU_CMD[@]}" </dev/null >"${VFE_QEMU_LOG:-/dev/null}" 2>&1
}

# vfe_qemu_common IOMMU: vfe_qemu_machine with the emulated VT-d (IOMMU 1;
# 0 = none), the boot VGA (00:01.0), card 1 and card 2 (VGA + ich9-intel-hda
# behind root ports 00:02.0 and 00:03.0: buses 1 and 2) and the DMI UUID
# (VFE_GUEST_UUID, else VFE_MACHINE_UUID): VFE_QEMU_ARGS, to which the
# layouts add their controllers.
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_common()
{
	local iommu=$1
	vfe_qemu_machine
	VFE_QEMU_ARGS+=(-uuid "${VFE_GUEST_UUID:-$VFE_MACHINE_UUID}")
	# the IOMMU must come before the PCI devices it translates for
	[ "$iommu" = 1 ] && VFE_QEMU_ARGS+=(-device intel-iommu,intremap=on)
	VFE_QEMU_ARGS+=(
		-audiodev none,id=snd0
		-device VGA,bus=pcie.0,addr=0x1.0
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x2.0,chassis=1
		-device pcie-root-port,id=rp2,bus=pcie.0,addr=0x3.0,chassis=2
		-device VGA,id=gpu1,bus=rp1,addr=0x0.0,multifunction=on
		-device ich9-intel-hda,id=hda1,bus=rp1,addr=0x0.1
		-device hda-duplex,bus=hda1.0,audiodev=snd0
		-device VGA,id=gpu2,bus=rp2,addr=0x0.0,multifunction=on
		-device ich9-intel-hda,id=hda2,bus=rp2,addr=0x0.1
		-device hda-duplex,bus=hda2.0,audiodev=snd0)
}

# vfe_qemu_args IOMMU: the emulated host of the scenarios (IOMMU: 1 =
# emulated VT-d, 0 = none): vfe_qemu_common's, with a blank NVMe behind
# root port 00:04.0 (03:00.0) and the virtio-blk root disk (VFE_ROOTFS)
# behind 00:05.0 (04:00.0).
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_args()
{
	vfe_qemu_common "$1"
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp3,bus=pcie.0,addr=0x4.0,chassis=3
		-device pcie-root-port,id=rp4,bus=pcie.0,addr=0x5.0,chassis=4
		-drive "file=$(vfe_nvme_disk),if=none,id=nvme0,format=raw,snapshot=on"
		-device nvme,bus=rp3,drive=nvme0,serial=vfe-nvme0
		-drive "file=$VFE_ROOTFS,if=none,id=root0,format=raw,snapshot=on"
		-device virtio-blk-pci,bus=rp4,drive=root0)
}

# --- more emulated hosts (vfe_boot IOMMU@LAYOUT) --------------------------
#
# Each keeps the boot VGA at 00:01.0 and card 1 and card 2 behind root ports
# 00:02.0 and 00:03.0 (buses 1 and 2), and puts two NVMe controllers behind
# root ports 00:05.0 and 00:06.0: buses 3 and 4, or 4 and 5 when the root
# port 00:04.0 of vfe_qemu_args_nvmeshift holds one more device (SeaBIOS
# numbers the buses in slot order).  Their disks (set by vfe_safety_prepare
# in lib/safety.bash, or VFE_ROOTFS and a blank disk):
#   nvme       root ext4 on the NVMe 03:00.0, a blank "spare" NVMe 04:00.0
#   nvmeshift  the same plus a virtio-rng behind 00:04.0 at 03:00.0: root
#              NVMe 04:00.0, spare 05:00.0
#   md         root ext4 on md RAID1 over the NVMe 03:00.0 and 04:00.0
#   home       root ext4 (whose /etc/fstab mounts /home) on 03:00.0, /home
#              (ext4, by UUID, no nofail) on 04:00.0
#   base       vfe_qemu_args' host (virtio-blk root), named for the recorder
VFE_NVME_SLOT1=00:05.0
VFE_NVME_SLOT2=00:06.0

# vfe_qemu_nvme_pair DISK1 DISK2: NVMe controllers behind root ports
# 00:05.0 and 00:06.0 with these disks (snapshot=on: the files stay as
# they are).
# shellcheck disable=SC2054
vfe_qemu_nvme_pair()
{
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp5,bus=pcie.0,addr=0x5.0,chassis=5
		-device pcie-root-port,id=rp6,bus=pcie.0,addr=0x6.0,chassis=6
		-drive "file=$1,if=none,id=nvd1,format=raw,snapshot=on"
		-device nvme,bus=rp5,drive=nvd1,serial=vfe-nvme-a
		-drive "file=$2,if=none,id=nvd2,format=raw,snapshot=on"
		-device nvme,bus=rp6,drive=nvd2,serial=vfe-nvme-b)
}

vfe_qemu_args_base()
{
	vfe_qemu_args "$@"
}

vfe_qemu_args_nvme()
{
	vfe_qemu_common "$1"
	vfe_qemu_nvme_pair "$VFE_ROOTFS" "$(vfe_nvme_disk)"
}

# shellcheck disable=SC2054
vfe_qemu_args_nvmeshift()
{
	vfe_qemu_common "$1"
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp4,bus=pcie.0,addr=0x4.0,chassis=4
		-device virtio-rng-pci,bus=rp4)
	vfe_qemu_nvme_pair "$VFE_ROOTFS" "$(vfe_nvme_disk)"
}

vfe_qemu_args_md()
{
	[ -n "${VFE_MD_DISK1:-}" ] || { vfe_log "layout md: no md disks (vfe_safety_prepare)"; return 1; }
	vfe_qemu_common "$1"
	vfe_qemu_nvme_pair "$VFE_MD_DISK1" "$VFE_MD_DISK2"
}

vfe_qemu_args_home()
{
	[ -n "${VFE_HOME_ROOTFS:-}" ] || { vfe_log "layout home: no disks (vfe_safety_prepare)"; return 1; }
	vfe_qemu_common "$1"
	vfe_qemu_nvme_pair "$VFE_HOME_ROOTFS" "$VFE_HOME_DISK"
}

# vfe_guest_protected [LAYOUT [UUID [CMDLINE]]]: the protected list the
# image build on the guest LAYOUT (default base, the host of vfe_qemu_args)
# with DMI UUID (default VFE_MACHINE_UUID) records, recorded the way a host
# does it: a "recording" boot of that guest (a plain image of VFE_KIND's
# packager, without vfio-early) whose real root runs its own `vfio-early
# --list-protected` (guest/safety.sh).  CMDLINE: what that guest needs to
# find its root (rd.md.uuid=...).  Cached by layout, UUID and the layout's
# disks; the recording boot's outputs are OUT/record-LAYOUT.*; the list's
# exit status (0 complete, 2 incomplete) is in FILE.status.  Used in place
# of the build host's list, whose devices mean nothing in the guest.
vfe_guest_protected()
{
	local layout=${1:-base} uuid=${2:-$VFE_MACHINE_UUID} cmdline=${3:-} key out
	local name img rc VFE_GUEST_UUID=$uuid
	"vfe_qemu_args_$layout" 1 || return 1
	key=$( (echo "protected 1 $layout $uuid $cmdline $VFE_KVER"
		declare -f "vfe_qemu_args_$layout" vfe_qemu_machine vfe_qemu_common vfe_qemu_nvme_pair \
			vfe_qemu_args vfe_qemu_command
		printf '%s\n' "${VFE_QEMU_ARGS[@]}") | sha256sum | head -c 16)
	out=$VFE_CACHE/protected/$layout-$key.list
	if [ -s "$out" ] && [ -s "$out.status" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$VFE_OUT"
	img=$(vfe_record_image) || return 1
	name=record-$layout
	[ "$uuid" = "$VFE_MACHINE_UUID" ] || name=$name-other
	# shellcheck disable=SC2086 # CMDLINE words
	vfe_boot "$name" "$img" "1@$layout@$uuid" vfe_test.record $cmdline
	rc=$(vfe_block_exit "$VFE_OUT/$name.report" "LIST-END exit=")
	if [ -z "$rc" ] || ! vfe_reached_record "$name"; then
		vfe_log "the recording boot of layout $layout printed no protected list (QEMU status $(cat "$VFE_OUT/$name.status")); its outputs: $VFE_OUT/$name.*"
		tr -d '\r' <"$VFE_OUT/$name.console" | tail -n 20 | sed 's/^/#   /' >&2
		return 1
	fi
	[ "$rc" = 0 ] || vfe_log "layout $layout: vfio-early --list-protected exited $rc: $(sed -n 's/^LIST-STDERR //p' "$VFE_OUT/$name.result" | head -n 3)"
	vfe_block "$VFE_OUT/$name.report" LIST-BEGIN "LIST-END exit=" >"$out.tmp"
	echo "$rc" >"$out.status"
	mv -f "$out.tmp" "$out"
	echo "$out"
}

# vfe_record_image: the image of the recording boots (VFE_KIND's packager,
# default itools; the plain flavour: the test scripts without vfio-early;
# with md RAID assembly on dracut).  Build it before recording in parallel:
# two builds of one image at once remove each other's files.
vfe_record_image()
{
	local empty=$VFE_CACHE/protected/empty-stage
	mkdir -p "$empty"
	case ${VFE_KIND:-itools} in
	dracut) vfe_image dracut record "$empty" "" "" plain+mdraid "$VFE_KVER" ;;
	*) vfe_image itools record "$empty" "" "" plain "$VFE_KVER" ;;
	esac
}

# vfe_reached_record NAME: the recording boot ended from its real root.
vfe_reached_record()
{
	[ "$(cat "$VFE_OUT/$1.status" 2>/dev/null)" = 33 ] && grep -q '^DONE record$' "$VFE_OUT/$1.result"
}

# vfe_prepare: everything a boot needs (sets VFE_KVER, VFE_KERNEL, VFE_ACCEL,
# VFE_ROOTFS).  Returns 1 with a message on failure.
vfe_prepare()
{
	mkdir -p "$VFE_CACHE" "$VFE_OUT" || return 1
	VFE_KVER=$(vfe_kver) || { vfe_log "no kernel with modules found in /boot"; return 1; }
	VFE_KERNEL=$(vfe_vmlinux "$VFE_KVER") || return 1
	VFE_ACCEL=$(vfe_accel "$VFE_KERNEL") || return 1
	VFE_ROOTFS=$(vfe_rootfs) || return 1
	export VFE_KVER VFE_KERNEL VFE_ACCEL VFE_ROOTFS
}

# --- a suite's set-up ------------------------------------------------------

# vfe_packager KIND: the tool that builds KIND's images (itools: mkinitramfs,
# dracut: dracut).
vfe_packager()
{
	case $1 in
	dracut) echo dracut ;;
	*) echo mkinitramfs ;;
	esac
}

# vfe_boot_setup [TOOL...]: the preamble of every booting suite's
# setup_file, before its own lists, images and boots.
#   1. Checks VFE_BOOT_TOOLS, SeaBIOS, each TOOL and a kernel with modules
#      in /boot.  When one is missing it sets VFE_SKIP_REASON (setup's
#      vfe_boot_skip then skips each test: bats 1.8 cannot skip from
#      setup_file) and returns 0 having done nothing else.
#   2. VFE_SETUP_T0 = now (vfe_boot_timing counts the total from it);
#      VFE_OUT created and emptied.
#   3. `make install DESTDIR=$BATS_FILE_TMPDIR/stage`: VFE_STAGE.
#   4. VFE_ROOTFS_BIN, the guest root's binary (--report, --list-protected):
#      the staged static build, else the staged dynamic one, with
#      VFE_STATIC_SKIP saying why there is no static one ("" when there is).
#   5. vfe_prepare: VFE_KVER, VFE_KERNEL, VFE_ACCEL, VFE_ROOTFS.
# Returns 1 (with a message) when a step of 2-5 fails.  Use:
#   vfe_boot_setup mkinitramfs || return 1
#   [ -z "$VFE_SKIP_REASON" ] || return 0
vfe_boot_setup()
{
	local missing static
	export VFE_SKIP_REASON="" VFE_STATIC_SKIP=""
	missing=$(vfe_missing_tools "${VFE_BOOT_TOOLS[@]}" "$@")
	[ -r /usr/share/seabios/bios-256k.bin ] || missing="$missing seabios"
	if [ -n "${missing# }" ]; then
		VFE_SKIP_REASON="not installed: ${missing# }"
		return 0
	fi
	if ! vfe_kver >/dev/null; then
		VFE_SKIP_REASON="no kernel image with modules in /boot (linux-image-amd64)"
		return 0
	fi
	VFE_SETUP_T0=$(date +%s)
	mkdir -p "$VFE_OUT" || return 1
	rm -f "$VFE_OUT"/*
	VFE_STAGE=$BATS_FILE_TMPDIR/stage
	vfe_stage "$VFE_STAGE" || return 1
	static=$VFE_STAGE/usr/lib/vfio-early/vfio-early-static
	if [ -x "$static" ]; then
		VFE_ROOTFS_BIN=$static
	else
		VFE_ROOTFS_BIN=$VFE_STAGE/usr/sbin/vfio-early
		VFE_STATIC_SKIP="vfio-early-static is not built, so make install did not install it: run 'make static' first"
	fi
	export VFE_SETUP_T0 VFE_STAGE VFE_ROOTFS_BIN
	vfe_prepare
}

# vfe_boot_skip: in setup: skip the test when vfe_boot_setup found
# something missing.
vfe_boot_skip()
{
	[ -z "${VFE_SKIP_REASON:-}" ] || skip "$VFE_SKIP_REASON"
}

# vfe_boot_specs SPEC...: vfe_boot_all, then each boot's image path in
# OUT/NAME.image.
vfe_boot_specs()
{
	local spec name image
	vfe_boot_all "$@"
	for spec in "$@"; do
		IFS='|' read -r name image _ <<<"$spec"
		echo "$image" >"$VFE_OUT/$name.image"
	done
}

# vfe_boot_lines SPEC|NAME...: a timing line for each boot: its seconds,
# QEMU's status and whether it was retried.
vfe_boot_lines()
{
	local t
	for t in "$@"; do
		t=${t%%|*}
		echo "boot $t: $(cat "$VFE_OUT/$t.seconds") s, qemu status $(cat "$VFE_OUT/$t.status")$(
			[ ! -e "$VFE_OUT/$t.retried" ] || echo " ($(cat "$VFE_OUT/$t.retried"))")"
	done
}

# vfe_record_lines NAME...: "NAME S s; " for each recording boot that ran
# (the others' lists came from the cache).
vfe_record_lines()
{
	local v
	for v in "$@"; do
		[ ! -e "$VFE_OUT/$v.seconds" ] || printf '%s %s s; ' "$v" "$(cat "$VFE_OUT/$v.seconds")"
	done
}

# vfe_boot_timing LABEL: standard input and a "total" line (seconds since
# VFE_SETUP_T0) into OUT/timing, shown to bats as "# LABEL: ..." lines.
vfe_boot_timing()
{
	{
		cat
		echo "total: $(($(date +%s) - VFE_SETUP_T0)) s"
	} >"$VFE_OUT/timing"
	sed "s/^/# $1: /" "$VFE_OUT/timing" >&3
}

# vfe_boot NAME IMAGE IOMMU CMDLINE...: boot the emulated host (IOMMU 1 or
# 0; IOMMU@LAYOUT boots the host of vfe_qemu_args_LAYOUT instead of
# vfe_qemu_args', IOMMU@LAYOUT@UUID also with that DMI UUID).  Writes
# OUT/NAME.console (ttyS0, kernel log), NAME.result (ttyS1, guest reports,
# \r stripped), NAME.report (ttyS2, `vfio-early --report` and `--report
# --json` run from the real root, \r stripped), NAME.status (QEMU exit:
# 33 = guest exited, 124 = hung), NAME.seconds and NAME.cmd.
vfe_boot()
{
	local name=$1 image=$2 iommu=$3 cmdline start status ms attempt layout="" serials
	# IOMMU[@LAYOUT[@UUID]]: another emulated host (vfe_qemu_args_LAYOUT),
	# another DMI product UUID (read by the vfe_qemu_args* functions)
	local VFE_GUEST_UUID=$VFE_MACHINE_UUID
	case $iommu in
	*@*@*) VFE_GUEST_UUID=${iommu##*@} iommu=${iommu%@*} ;;
	esac
	case $iommu in
	*@*) layout=${iommu#*@} iommu=${iommu%%@*} ;;
	esac
	shift 3
	# no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer
	# check can miss its ticks and, with interrupt remapping, panic.
	cmdline="console=ttyS0,115200 panic=-1 no_timer_check root=UUID=$VFE_ROOT_UUID ro rd.shell=0 rd.emergency=reboot rd.retry=30"
	[ "$iommu" = 1 ] && cmdline="$cmdline intel_iommu=on iommu=pt"
	[ "$#" -gt 0 ] && cmdline="$cmdline $*"
	"vfe_qemu_args${layout:+_$layout}" "$iommu" || return 1
	rm -f "$VFE_OUT/$name".*
	serials=("$VFE_OUT/$name.console" "$VFE_OUT/$name.result.raw" "$VFE_OUT/$name.report.raw")
	vfe_qemu_command "$VFE_TIMEOUT" "$VFE_KERNEL" "$image" "$cmdline" "${serials[@]}"
	printf '%q ' "${VFE_QEMU_CMD[@]}" >"$VFE_OUT/$name.cmd"
	start=$(date +%s%N)
	for attempt in 1 2; do
		VFE_QEMU_LOG=$VFE_OUT/$name.qemu vfe_qemu_run "$VFE_TIMEOUT" "$VFE_KERNEL" "$image" \
			"$cmdline" "${serials[@]}" && status=0 || status=$?
		# One more try only when the kernel died before starting the
		# initramfs (nothing under test ran); the first console is kept.
		[ "$status" != 33 ] && [ "$attempt" = 1 ] &&
			! grep -aq 'Run /init as init process' "$VFE_OUT/$name.console" || break
		mv -f "$VFE_OUT/$name.console" "$VFE_OUT/$name.console.try1"
		echo "retried: the kernel stopped before /init (status $status)" >"$VFE_OUT/$name.retried"
	done
	echo "$status" >"$VFE_OUT/$name.status"
	ms=$((($(date +%s%N) - start) / 1000000))
	printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000)) >"$VFE_OUT/$name.seconds"
	tr -d '\r' <"$VFE_OUT/$name.result.raw" >"$VFE_OUT/$name.result" 2>/dev/null
	tr -d '\r' <"$VFE_OUT/$name.report.raw" >"$VFE_OUT/$name.report" 2>/dev/null
	rm -f "$VFE_OUT/$name.result.raw" "$VFE_OUT/$name.report.raw"
	return 0
}

# vfe_boot_all SPEC...: boot several guests, VFE_JOBS at a time.  Each SPEC
# is "NAME|IMAGE|IOMMU|CMDLINE" (IOMMU as for vfe_boot: 1, 0, or
# IOMMU@LAYOUT[@UUID]).
vfe_boot_all()
{
	local spec name image iommu args running=0
	for spec in "$@"; do
		IFS='|' read -r name image iommu args <<<"$spec"
		# shellcheck disable=SC2086 # CMDLINE words
		vfe_boot "$name" "$image" "$iommu" $args &
		running=$((running + 1))
		if [ "$running" -ge "$VFE_JOBS" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
}

# --- parsers -------------------------------------------------------------

# vfe_block FILE BEGIN END: the lines of FILE between the line BEGIN and the
# first line holding END, the markers excluded.  Text before END on its
# line is output that did not end in a newline (a monitor's prompt): it is
# kept.  The guest scripts frame each command's output so on ttyS2:
# "NAME-BEGIN", the output, "NAME-END exit=STATUS".
vfe_block()
{
	awk -v b="$2" -v e="$3" '
		$0 == b { on = 1; next }
		on && (i = index($0, e)) {
			if (i > 1) print substr($0, 1, i - 1)
			exit
		}
		on' "$1" 2>/dev/null
}

# vfe_block_exit FILE END: the number after END (a block's exit status;
# "" = the block never ended).
vfe_block_exit()
{
	awk -v e="$2" '
		(i = index($0, e)) {
			s = substr($0, i + length(e))
			if (s ~ /^[0-9]+$/) print s
		}' "$1" 2>/dev/null
}

# vfe_driver NAME MOMENT ADDR: the driver the guest reported ("none" when
# unbound, "missing" when the guest never reported that moment/device).
vfe_driver()
{
	local d
	d=$(awk -v m="$2" -v a="$3" '$1 == "DEV" && $2 == m && $3 == a { print $6; exit }' \
		"$VFE_OUT/$1.result" 2>/dev/null)
	echo "${d:-missing}"
}

# vfe_override NAME MOMENT ADDR: the driver_override the guest reported.
vfe_override()
{
	awk -v m="$2" -v a="$3" '$1 == "DEV" && $2 == m && $3 == a { sub(/^override=/, "", $7); print $7; exit }' \
		"$VFE_OUT/$1.result" 2>/dev/null
}

# vfe_kmsg NAME: vfio-early's kernel-log lines from the console.
vfe_kmsg()
{
	tr -d '\r' <"$VFE_OUT/$1.console" | grep -a 'vfio-early' || true
}

# vfe_state NAME: the state file as the real root's init saw it.
vfe_state()
{
	sed -n 's/^STATE //p' "$VFE_OUT/$1.result"
}

# vfe_report NAME FORMAT: what `vfio-early --report` (FORMAT text) or
# `--report --json` (json) printed in the guest's real root.
vfe_report()
{
	vfe_block "$VFE_OUT/$1.report" "REPORT-BEGIN $2" "REPORT-END $2 exit="
}

# vfe_report_exit NAME FORMAT: that report's exit status ("" = it never ended).
vfe_report_exit()
{
	vfe_block_exit "$VFE_OUT/$1.report" "REPORT-END $2 exit="
}

# vfe_text_device ADDR: from a text report on stdin, the block about device
# ADDR (its line in "GPUs and their functions" and the indented lines below).
vfe_text_device()
{
	awk -v a="$1" '
		/^[^ ]/ { sec = $0; on = 0; next }
		sec == "GPUs and their functions" && /^  [^ ]/ { on = ($1 == a); if (on) print; next }
		on'
}

# vfe_text_section TITLE: from a text report on stdin, one section, title
# line excluded.
vfe_text_section()
{
	awk -v t="$1" '/^[^ ]/ { on = ($0 == t); next } on'
}

# vfe_report_device NAME ADDR: vfe_text_device on boot NAME's text report.
vfe_report_device()
{
	vfe_report "$1" text | vfe_text_device "$2"
}

# vfe_report_section NAME TITLE: vfe_text_section on boot NAME's text report.
vfe_report_section()
{
	vfe_report "$1" text | vfe_text_section "$2"
}

# vfe_reached_root NAME: the guest switched to its root and exited cleanly.
vfe_reached_root()
{
	local status
	status=$(cat "$VFE_OUT/$1.status" 2>/dev/null)
	if [ "$status" != 33 ]; then
		echo "QEMU exit status ${status:-?} (33 = guest exited, 124 = hung, 0 = panic)"
		tr -d '\r' <"$VFE_OUT/$1.console" 2>/dev/null | tail -n 25
		return 1
	fi
	if ! grep -q '^END root$' "$VFE_OUT/$1.result" || ! grep -q '^DONE' "$VFE_OUT/$1.result"; then
		echo "the guest never reported from its real root"
		cat "$VFE_OUT/$1.result"
		return 1
	fi
}

# vfe_expect NAME MOMENTS ADDR=DRIVER...: each ADDR's driver at each moment
# (a comma list).  DRIVER "!vfio-pci" means anything but vfio-pci.
vfe_expect()
{
	local name=$1 moments=$2 m pair addr want got bad=0
	shift 2
	for m in ${moments//,/ }; do
		if ! grep -q "^END $m\$" "$VFE_OUT/$name.result" 2>/dev/null; then
			echo "moment $m: no report from the guest"
			bad=1
			continue
		fi
		for pair in "$@"; do
			addr=${pair%%=*}
			want=${pair#*=}
			got=$(vfe_driver "$name" "$m" "$addr")
			case $want in
			!*)
				if [ "$got" = "${want#!}" ] || [ "$got" = missing ]; then
					echo "moment $m: $addr is on $got, expected anything but ${want#!}"
					bad=1
				fi
				;;
			*)
				if [ "$got" != "$want" ]; then
					echo "moment $m: $addr is on $got, expected $want"
					bad=1
				fi
				;;
			esac
		done
	done
	return "$bad"
}

# vfe_nothing_on_vfio NAME: no device on vfio-pci and no vfio-pci override
# at any moment.
vfe_nothing_on_vfio()
{
	local hits
	hits=$(awk '$1 == "DEV" && ($6 == "vfio-pci" || $7 == "override=vfio-pci")' "$VFE_OUT/$1.result")
	if [ -n "$hits" ] || ! grep -q '^END root$' "$VFE_OUT/$1.result"; then
		echo "expected no device on vfio-pci:"
		echo "$hits"
		return 1
	fi
}
