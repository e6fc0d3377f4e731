#!/usr/bin/env bats
# mkinitcpio/install/vfio-early, sourced the way mkinitcpio's run_build_hook
# sources it, against stubs of mkinitcpio's add_* and message functions that
# record every call.  mkinitcpio is not packaged for Debian, so its behaviour
# is modelled here: each add_* call that returns non-zero would count as a
# build error, so the stubs fail on a source that does not exist.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup() {
	CALLS=$BATS_TEST_TMPDIR/calls
	: > "$CALLS"
	FAKE=$BATS_TEST_TMPDIR/fake
	mkdir -p "$FAKE/lib"
	# A binary that answers --list-protected like the real one.
	cat > "$FAKE/vfio-early" <<-'EOF'
	#!/bin/sh
	echo "$*" >> "${0%/*}/args"
	case " $* " in *" --list-modules "*) echo mlx5_vfio_pci; exit 0 ;; esac
	[ "$1" = --list-protected ] && printf '%s\n' "vfio-early-protected 3" "machine none" \
		"status complete" "device addr=0000:01:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (mounted /)" \
		"end devices=1 carriers=0"
	exit 0
	EOF
	chmod +x "$FAKE/vfio-early"
	cp "$TOP/hook/vfio-early-shim" "$TOP/hook/vfio-early-protected" "$FAKE/lib/"
	echo "ids 10de:2204 10de:1aef" > "$FAKE/vfio-early.conf"
	export VFIO_EARLY_BINARY=$FAKE/vfio-early VFIO_EARLY_LIBDIR=$FAKE/lib
	export VFIO_EARLY_CONFIG=$FAKE/vfio-early.conf
	unset VFIO_EARLY_PROTECTED VFIO_EARLY_MODULES VFIO_EARLY_ROOT
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	KERNELVERSION=6.8.1-arch1-1
	# The modules this fake kernel has: vfio_virqfd is gone since 6.2.
	MODS="vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass"
	HOOKS=(base vfio-early udev autodetect microcode modconf kms keyboard block filesystems fsck)
}

# Stubs: one line per call in $CALLS.
add_binary() { echo "add_binary $*" >> "$CALLS"; [ -f "$1" ]; }
add_module() { echo "add_module $*" >> "$CALLS"; }
add_runscript() { echo "add_runscript" >> "$CALLS"; }
add_symlink() { echo "add_symlink $*" >> "$CALLS"; }
add_file() {
	echo "add_file $*" >> "$CALLS"
	[ -f "$1" ] || return 1
	# The protected list is a temporary file: keep what went into the image.
	[ "$2" != /lib/vfio-early/protected ] || cp "$1" "$BATS_TEST_TMPDIR/protected"
}
warning() { printf 'warning %s\n' "$*" >> "$CALLS"; }
msg() { printf 'msg %s\n' "$*" >> "$CALLS"; }
error() { printf 'error %s\n' "$*" >> "$CALLS"; }
modinfo() {
	local m=${*: -1}
	echo "modinfo $*" >> "$BATS_TEST_TMPDIR/modinfo"
	# -b ROOT: the modules of that root only
	if [ "$1" = -b ] && [ -n "${MODROOT_MODS+x}" ] && [ "$2" != / ]; then
		case " $MODROOT_MODS " in *" $m "*) echo "$2/lib/modules/$KERNELVERSION/kernel/$m.ko.zst"; return 0 ;; *) return 1 ;; esac
	fi
	case " $MODS " in *" $m "*) echo "/lib/modules/$KERNELVERSION/kernel/$m.ko.zst" ;; *) return 1 ;; esac
}

run_build() {
	# shellcheck disable=SC1091
	. "$TOP/mkinitcpio/install/vfio-early"
	build
}

@test "build: binary, shim, config, vfio modules, protected list, runscript" {
	run_build
	run cat "$CALLS"
	assert_line "add_binary $FAKE/vfio-early /usr/bin/vfio-early"
	assert_line "add_file $FAKE/lib/vfio-early-shim /usr/lib/vfio-early/vfio-early-shim 0755"
	assert_line "add_file $FAKE/vfio-early.conf /etc/vfio-early.conf 0644"
	for m in vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd; do
		assert_line "add_module $m?"
	done
	assert_line --regexp "^add_file .*/vfio-early-protected\..* /lib/vfio-early/protected 0644$"
	assert_line "add_runscript"
	refute_line --partial "warning"
	refute_line --partial "error"
	run cat "$BATS_TEST_TMPDIR/protected"
	assert_line "vfio-early-protected 3"
	assert_line "device addr=0000:01:00.0 path=0000:00:1d.0/00.0 ids=144d:a808 sub=144d:a801 class=010802 why=holds the root filesystem (mounted /)"
	assert_line "end devices=1 carriers=0"
	# The temporary file is gone.
	assert_equal "$(ls -A "$TMPDIR")" ""
}

@test "build: the modules --list-modules names for this kernel go in (variant drivers, vendor-reset)" {
	run_build
	run cat "$CALLS"
	assert_line "add_module mlx5_vfio_pci"
	run cat "$FAKE/args"
	assert_line -- "--config $FAKE/vfio-early.conf --list-modules 6.8.1-arch1-1"
}

@test "build: VFIO_EARLY_MODULES names them for an image of another machine" {
	VFIO_EARLY_MODULES="vendor-reset"
	run_build
	run cat "$CALLS"
	assert_line "add_module vendor-reset"
	refute_line "add_module mlx5_vfio_pci"
	run grep -c -- --list-modules "$FAKE/args"
	assert_output 0
}

@test "build: no config is a warning, nothing else changes" {
	rm "$FAKE/vfio-early.conf"
	run_build
	run cat "$CALLS"
	assert_line "warning vfio-early: $FAKE/vfio-early.conf not found: only vfio_early.* rules on the kernel command line will apply"
	refute_line --partial "/etc/vfio-early.conf"
	assert_line "add_binary $FAKE/vfio-early /usr/bin/vfio-early"
	assert_line "add_runscript"
}

@test "build: no binary is a warning; the shim and runscript still go in, to log it at boot" {
	rm "$FAKE/vfio-early"
	. "$TOP/mkinitcpio/install/vfio-early"
	# Hide a binary this machine may have installed.
	vfio_early_binary() { return 1; }
	build
	run cat "$CALLS"
	assert_line "warning vfio-early: the vfio-early binary was not found: this image will not hand devices to vfio-pci"
	refute_line --partial "add_binary"
	refute_line --partial "/lib/vfio-early/protected"
	assert_line "add_file $FAKE/lib/vfio-early-shim /usr/lib/vfio-early/vfio-early-shim 0755"
	assert_line "add_runscript"
}

@test "build: missing vfio modules are named in one warning" {
	MODS="irqbypass vfio"
	run_build
	run cat "$CALLS"
	assert_line "warning vfio-early: module(s) vfio_iommu_type1 vfio-pci not found for kernel $KERNELVERSION: devices cannot be bound at boot"
	assert_line "add_module vfio-pci?"
}

@test "build: KERNELVERSION=none checks no module" {
	KERNELVERSION=none
	MODS=""
	run_build
	run cat "$CALLS"
	refute_line --partial "warning"
}

@test "build: without the protected helper the binary is asked directly" {
	rm "$FAKE/lib/vfio-early-protected"
	run_build
	run cat "$BATS_TEST_TMPDIR/protected"
	assert_line "end devices=1 carriers=0"
}

@test "build: VFIO_EARLY_PROTECTED copies a ready list" {
	printf '0000:03:00.0 # from the test\n' > "$BATS_TEST_TMPDIR/ready"
	export VFIO_EARLY_PROTECTED=$BATS_TEST_TMPDIR/ready
	run_build
	run cat "$BATS_TEST_TMPDIR/protected"
	assert_line "0000:03:00.0 # from the test"
}

@test "build: a failing --list-protected is a warning, never a failed build" {
	rm "$FAKE/lib/vfio-early-protected"
	printf '#!/bin/sh\nexit 1\n' > "$FAKE/vfio-early"
	run_build
	run cat "$CALLS"
	assert_line --partial "warning vfio-early: '$FAKE/vfio-early --list-protected' failed"
	assert_line "add_runscript"
}

@test "HOOKS: udev before vfio-early is warned about" {
	HOOKS=(base udev vfio-early autodetect modconf block filesystems)
	run_build
	run cat "$CALLS"
	assert_line --partial "warning vfio-early: HOOKS has 'udev' before 'vfio-early'"
}

@test "HOOKS: vfio-early before udev is quiet, also as an old-style string" {
	HOOKS="base vfio-early udev autodetect"
	run_build
	run cat "$CALLS"
	refute_line --partial "HOOKS has"
}

@test "HOOKS with systemd: the units and their enable links go in (add_systemd_unit), no runscript, no warning" {
	HOOKS=(base systemd vfio-early autodetect sd-vconsole block filesystems)
	# defined by the systemd hook's install script, which ran before this one
	add_systemd_unit() { echo "add_systemd_unit $*" >> "$CALLS"; }
	. "$TOP/mkinitcpio/install/vfio-early"
	# the host's unit directory, which the test cannot write
	vfio_early_unit_path() { echo "/usr/lib/systemd/system/$1"; }
	build
	run cat "$CALLS"
	assert_line "add_systemd_unit vfio-early.service"
	assert_line "add_symlink /usr/lib/systemd/system/sysinit.target.wants/vfio-early.service /usr/lib/systemd/system/vfio-early.service"
	assert_line "add_systemd_unit vfio-early-late.service"
	assert_line "add_symlink /usr/lib/systemd/system/initrd.target.wants/vfio-early-late.service /usr/lib/systemd/system/vfio-early-late.service"
	# the same pieces as with 'base udev'
	assert_line "add_binary $FAKE/vfio-early /usr/bin/vfio-early"
	assert_line "add_file $FAKE/lib/vfio-early-shim /usr/lib/vfio-early/vfio-early-shim 0755"
	assert_line --regexp "^add_file .* /lib/vfio-early/protected 0644$"
	refute_line "add_runscript"
	refute_line --partial "warning"
	# busybox from 'base' runs the shim: no extra shell
	refute_line "add_binary sh"
}

@test "HOOKS with systemd and VFIO_EARLY_UNITDIR: the unit files go in with add_file; without 'base' a shell for the shim" {
	HOOKS=(systemd autodetect vfio-early block filesystems)
	mkdir -p "$FAKE/units"
	cp "$TOP/systemd/vfio-early.service" "$TOP/systemd/vfio-early-late.service" "$FAKE/units/"
	export VFIO_EARLY_UNITDIR=$FAKE/units
	# mkinitcpio's add_binary finds a bare name in PATH
	add_binary() { echo "add_binary $*" >> "$CALLS"; [ -f "$1" ] || command -v "$1" >/dev/null; }
	run_build
	run cat "$CALLS"
	assert_line "add_file $FAKE/units/vfio-early.service /usr/lib/systemd/system/vfio-early.service 0644"
	assert_line "add_file $FAKE/units/vfio-early-late.service /usr/lib/systemd/system/vfio-early-late.service 0644"
	assert_line "add_symlink /usr/lib/systemd/system/sysinit.target.wants/vfio-early.service /usr/lib/systemd/system/vfio-early.service"
	assert_line "add_binary sh"
	assert_line "add_binary mkdir"
	assert_line "add_binary sleep"
	refute_line "add_runscript"
}

@test "HOOKS with systemd: a missing unit file is a warning, never a failed build" {
	HOOKS=(base systemd vfio-early)
	export VFIO_EARLY_UNITDIR=$FAKE/no-units
	run_build
	run cat "$CALLS"
	assert_line "warning vfio-early: $FAKE/no-units/vfio-early.service not found: vfio-early will not run at boot in this systemd image"
	refute_line --partial "add_symlink"
}

@test "HOOKS with base udev: no unit, no enable link, the runscript" {
	add_systemd_unit() { echo "add_systemd_unit $*" >> "$CALLS"; }
	run_build
	run cat "$CALLS"
	refute_line --partial "add_systemd_unit"
	refute_line --partial "vfio-early.service"
	refute_line --partial "add_symlink"
	assert_line "add_runscript"
}

@test "modules are looked up in the module root mkinitcpio was given (-r DIR), not the host's" {
	# the host has no vfio modules for this kernel; the module root has them
	MODS=""
	MODROOT_MODS="vfio vfio_iommu_type1 vfio-pci"
	_optmoduleroot=$BATS_TEST_TMPDIR/modroot
	run_build
	run cat "$CALLS"
	refute_line --partial "not found for kernel"
	run cat "$BATS_TEST_TMPDIR/modinfo"
	assert_line "modinfo -b $_optmoduleroot -k $KERNELVERSION -n vfio-pci"
	# without -r: the root is /
	unset _optmoduleroot
	MODS="vfio vfio_iommu_type1 vfio-pci"
	: >"$BATS_TEST_TMPDIR/modinfo"
	: >"$CALLS"
	build
	run cat "$BATS_TEST_TMPDIR/modinfo"
	assert_line "modinfo -b / -k $KERNELVERSION -n vfio-pci"
}

@test "HOOKS unset: /etc/mkinitcpio.conf and its drop-ins are read" {
	unset HOOKS
	_f_config=$BATS_TEST_TMPDIR/mkinitcpio.conf
	cat > "$_f_config" <<-'EOF'
	MODULES=()
	HOOKS=(base vfio-early udev autodetect)
	EOF
	run_build
	run cat "$CALLS"
	refute_line --partial "HOOKS has"
	# A drop-in that moves udev first.
	mkdir -p "$_f_config.d"
	echo 'HOOKS=(base udev vfio-early autodetect)' > "$_f_config.d/10-order.conf"
	: > "$CALLS"
	build
	run cat "$CALLS"
	assert_line --partial "warning vfio-early: HOOKS has 'udev' before 'vfio-early'"
}

@test "help names the HOOKS order" {
	. "$TOP/mkinitcpio/install/vfio-early"
	run help
	assert_success
	assert_output --partial "before 'udev'"
	assert_output --partial "HOOKS=(base vfio-early udev"
}

@test "build returns 0 even when every add_* fails" {
	add_binary() { echo "add_binary $*" >> "$CALLS"; return 1; }
	add_file() { echo "add_file $*" >> "$CALLS"; return 1; }
	add_module() { return 1; }
	. "$TOP/mkinitcpio/install/vfio-early"
	run build
	assert_success
}

@test "the install script is valid bash and defines only namespaced helpers" {
	run bash -n "$TOP/mkinitcpio/install/vfio-early"
	assert_success
	run env -i bash --norc -c ". '$TOP/mkinitcpio/install/vfio-early'; declare -F | awk '{print \$3}'"
	assert_success
	for f in $output; do
		case $f in build|help|vfio_early_*) ;; *) fail "unexpected function $f" ;; esac
	done
}
