#!/usr/bin/env bats
# Packaging: `make install` layout, and the contents of real initramfs-tools
# (mkinitramfs) and dracut images built from the installed hook and module.
# No guest is booted here.

source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

VFE_MODULES=(vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd)

setup_file()
{
	local missing
	# bats 1.8 cannot skip from setup_file: setup does
	export VFE_SKIP_REASON=""
	missing=$(vfe_missing_tools make cc sha256sum)
	export VFE_NO_KERNEL=""
	vfe_kver >/dev/null || VFE_NO_KERNEL="no kernel image with modules in /boot (linux-image-amd64)"
	if [ -n "$missing" ]; then
		VFE_SKIP_REASON="not installed: $missing"
	else
		vfe_stage "$BATS_FILE_TMPDIR/stage"
	fi
}

setup()
{
	vfe_boot_skip
	STAGE=$BATS_FILE_TMPDIR/stage
	KVER=$(vfe_kver) || KVER=""
	CONFIG=$BATS_TEST_TMPDIR/vfio-early.conf
	printf '# packaging test\naddress 01:00\n' >"$CONFIG"
}

# need TOOL...: skip unless the tools and a kernel to build images for exist
need()
{
	local missing
	missing=$(vfe_missing_tools "$@")
	[ -z "$missing" ] || skip "not installed: $missing"
	[ -z "$VFE_NO_KERNEL" ] || skip "$VFE_NO_KERNEL"
}

# this host's protected list, comments dropped
host_protected()
{
	"$STAGE/usr/sbin/vfio-early" --list-protected 2>/dev/null | sed -e 's/[[:space:]]*#.*//' -e '/^$/d' || :
}

# vfe_build KIND OUT CONFIG [FLAVOUR [STAGE]]: a production image (installed
# pieces only, protected list generated on this host); FLAVOUR (default
# prod, the staged dynamic binary through VFIO_EARLY_BINARY) as for
# vfe_build_itools.
vfe_build()
{
	local kind=$1 out=$2 config=$3 flavour=${4:-prod} stage=${5:-$STAGE}
	VFE_BUILD_STATUS=0
	"vfe_build_$kind" "$out" "$stage" "$config" "" "$flavour" "$KVER" 2>/dev/null || VFE_BUILD_STATUS=$?
}

# image_list IMAGE: every path in IMAGE's main archive, without "./".
image_list()
{
	vfe_image_payload "$1" | cpio -t --quiet | sed 's|^\./||'
}

# image_libs IMAGE: the shared libraries in IMAGE, by file name, sorted.
image_libs()
{
	image_list "$1" | sed -n 's|^.*/\(lib[^/]*\.so[.0-9]*\)$|\1|p' | LC_ALL=C sort -u
}

# need_static: skip unless `make static` built the static binary.
need_static()
{
	[ -x "$VFE_TOP/vfio-early-static" ] ||
		skip "vfio-early-static is not built: run 'make static' first (the static binary tests need it)"
	[ -x "$STAGE/usr/lib/vfio-early/vfio-early-static" ] ||
		fail "vfio-early-static is built but make install did not install it"
}

assert_image_has()
{
	local listing=$1 path
	shift
	for path in "$@"; do
		run grep -E "(^|[[:space:]])(\./)?$path\$" "$listing"
		assert_success
	done
}

@test "make install puts every piece in place; uninstall keeps a changed config" {
	local d=$BATS_TEST_TMPDIR/root
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install DESTDIR="$d"
	assert_success
	assert_file_executable "$d/usr/sbin/vfio-early"
	assert_file_executable "$d/usr/lib/vfio-early/vfio-early-shim"
	assert_file_executable "$d/usr/lib/vfio-early/vfio-early-protected"
	assert_file_executable "$d/usr/share/initramfs-tools/hooks/vfio-early"
	assert_file_executable "$d/usr/share/initramfs-tools/scripts/init-top/00-vfio-early"
	assert_file_executable "$d/usr/lib/dracut/modules.d/90vfio-early/module-setup.sh"
	assert_file_executable "$d/usr/lib/dracut/modules.d/90vfio-early/vfio-early.sh"
	assert_file_executable "$d/usr/lib/dracut/modules.d/90vfio-early/vfio-early-late.sh"
	assert_file_executable "$d/usr/share/initramfs-tools/scripts/init-bottom/vfio-early"
	for f in vfio-early.service vfio-early-late.service; do
		run stat -c %a "$d/usr/lib/systemd/system/$f"
		assert_output 644
		run cmp "$VFE_TOP/systemd/$f" "$d/usr/lib/systemd/system/$f"
		assert_success
	done
	# installed, never enabled on the host
	run find "$d" -name '*.wants'
	assert_output ""
	if [ -f "$VFE_TOP/vfio-early.conf.example" ]; then
		assert_file_exists "$d/etc/vfio-early.conf"
		echo "address 02:00  # mine" >>"$d/etc/vfio-early.conf"
		# a second install keeps the user's config
		run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install DESTDIR="$d"
		assert_success
		run grep -c 'mine' "$d/etc/vfio-early.conf"
		assert_output 1
	fi
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= uninstall DESTDIR="$d"
	assert_success
	run find "$d" -type f
	if [ -f "$VFE_TOP/vfio-early.conf.example" ]; then
		assert_output "$d/etc/vfio-early.conf"
	else
		assert_output ""
	fi
}

@test "make install puts vfio-early-static in /usr/lib/vfio-early when it was built; INSTALL_STATIC= leaves it out" {
	local d=$BATS_TEST_TMPDIR/root
	need_static
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install DESTDIR="$d"
	assert_success
	assert_file_executable "$d/usr/lib/vfio-early/vfio-early-static"
	run cmp "$VFE_TOP/vfio-early-static" "$d/usr/lib/vfio-early/vfio-early-static"
	assert_success
	run vfe_is_static "$d/usr/lib/vfio-early/vfio-early-static"
	assert_success
	# the host keeps the dynamic binary (--report, --import, ...)
	run cmp "$VFE_TOP/vfio-early" "$d/usr/sbin/vfio-early"
	assert_success
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= uninstall DESTDIR="$d"
	assert_success
	assert_file_not_exists "$d/usr/lib/vfio-early/vfio-early-static"

	rm -rf "$d"
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install DESTDIR="$d" INSTALL_STATIC=
	assert_success
	assert_file_executable "$d/usr/sbin/vfio-early"
	assert_file_not_exists "$d/usr/lib/vfio-early/vfio-early-static"
}

@test "make install PREFIX=/usr/local points the boot scripts at the installed paths" {
	local d=$BATS_TEST_TMPDIR/root
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install DESTDIR="$d" PREFIX=/usr/local
	assert_success
	assert_file_executable "$d/usr/local/sbin/vfio-early"
	run grep -h 'vfio-early-shim\|sbin/vfio-early' \
		"$d/usr/local/share/initramfs-tools/scripts/init-top/00-vfio-early" \
		"$d/usr/local/share/initramfs-tools/scripts/init-bottom/vfio-early" \
		"$d/usr/local/lib/dracut/modules.d/90vfio-early/vfio-early.sh" \
		"$d/usr/local/lib/dracut/modules.d/90vfio-early/vfio-early-late.sh" \
		"$d/usr/local/lib/systemd/system/vfio-early.service" \
		"$d/usr/local/lib/systemd/system/vfio-early-late.service"
	assert_line --partial '/usr/local/lib/vfio-early/vfio-early-shim'
	assert_line --partial '/usr/local/sbin/vfio-early'
	refute_line --regexp '(^|[^l])/usr/(sbin|lib)/vfio-early'
}

@test "initramfs-tools image carries the binary, its libraries, config, shim, protected list and vfio modules" {
	need mkinitramfs lsinitramfs unmkinitramfs zstd
	local img=$BATS_TEST_TMPDIR/itools.img list=$BATS_TEST_TMPDIR/list x=$BATS_TEST_TMPDIR/x m
	vfe_build itools "$img" "$CONFIG"
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	lsinitramfs "$img" >"$list"
	assert_image_has "$list" usr/sbin/vfio-early etc/vfio-early.conf \
		usr/lib/vfio-early/vfio-early-shim usr/lib/vfio-early/protected \
		scripts/init-top/00-vfio-early
	for m in "${VFE_MODULES[@]}"; do
		assert_image_has "$list" "usr/lib/modules/$KVER/kernel/.*/$m\\.ko(\\.[a-z]+)?"
	done
	# copy_exec brought the shared libraries
	for m in libkmod libblkid; do
		if ldd "$STAGE/usr/sbin/vfio-early" | grep -q "$m"; then
			assert_image_has "$list" "usr/lib/.*/$m\\.so.*"
		fi
	done
	unmkinitramfs "$img" "$x"
	run cmp "$CONFIG" "$x/etc/vfio-early.conf"
	assert_success
	# VFIO_EARLY_BINARY names the binary, even with a static build installed
	run cmp "$STAGE/usr/sbin/vfio-early" "$x/usr/sbin/vfio-early"
	assert_success
	# the protected list is what the binary says about this host
	run sed -e 's/[[:space:]]*#.*//' -e '/^$/d' "$x/usr/lib/vfio-early/protected"
	assert_output "$(host_protected)"
}

@test "initramfs-tools runs 00-vfio-early first in init-top, before udev's coldplug" {
	need mkinitramfs unmkinitramfs zstd
	local img=$BATS_TEST_TMPDIR/itools.img x=$BATS_TEST_TMPDIR/x ours udev
	vfe_build itools "$img" "$CONFIG"
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	unmkinitramfs "$img" "$x"
	run grep -n '^/scripts/init-top/' "$x/scripts/init-top/ORDER"
	ours=$(grep -n '^/scripts/init-top/00-vfio-early ' "$x/scripts/init-top/ORDER" | cut -d: -f1)
	udev=$(grep -n '^/scripts/init-top/udev ' "$x/scripts/init-top/ORDER" | cut -d: -f1)
	[ -n "$ours" ] || fail "00-vfio-early is not in ORDER: $output"
	[ -n "$udev" ] || fail "udev is not in ORDER (the check would prove nothing): $output"
	[ "$ours" -lt "$udev" ] || fail "00-vfio-early runs after udev: $output"
	# and it is the very first script
	assert_line --index 0 --regexp '^1:/scripts/init-top/00-vfio-early '
}

@test "initramfs-tools: a missing config is a warning and the image still builds" {
	need mkinitramfs lsinitramfs zstd
	local img=$BATS_TEST_TMPDIR/itools.img list=$BATS_TEST_TMPDIR/list
	vfe_build itools "$img" ""
	assert_equal "$VFE_BUILD_STATUS" 0
	run cat "$img.log"
	assert_line --regexp '^W: vfio-early: .*vfio-early.conf not found'
	lsinitramfs "$img" >"$list"
	assert_image_has "$list" usr/sbin/vfio-early usr/lib/vfio-early/vfio-early-shim \
		usr/lib/vfio-early/protected
	run grep -E '(^|/)etc/vfio-early.conf$' "$list"
	assert_failure
}

@test "initramfs-tools hook: a kernel without vfio modules is a warning, not a failure" {
	need mkinitramfs
	local d=$BATS_TEST_TMPDIR/image
	mkdir -p "$d"
	run env DESTDIR="$d" version=0.0.0-no-such-kernel verbose=n \
		VFIO_EARLY_BINARY="$STAGE/usr/sbin/vfio-early" \
		VFIO_EARLY_LIBDIR="$STAGE/usr/lib/vfio-early" VFIO_EARLY_CONFIG="$CONFIG" \
		sh "$STAGE/usr/share/initramfs-tools/hooks/vfio-early"
	assert_success
	assert_line --regexp '^W: vfio-early: module vfio not found for kernel 0.0.0-no-such-kernel'
	assert_line --regexp '^W: vfio-early: module vfio-pci not found'
	assert_file_exists "$d/usr/sbin/vfio-early"
	assert_file_exists "$d/etc/vfio-early.conf"
}

@test "initramfs-tools hook: the modules vfio-early --list-modules names for the selected devices go into the image" {
	need mkinitramfs
	local d=$BATS_TEST_TMPDIR/image root=$BATS_TEST_TMPDIR/root gen=${MKFAKESYS:-$VFE_TOP/build/default/mkfakesys}
	[ -x "$gen" ] || skip "no mkfakesys: make check-build"
	# The ConnectX-6 Dx host of tests/fixtures/cx6dx-vfs.spec, whose VFs have
	# a variant (mlx5_vfio_pci), for this kernel.  Debian's kernel has no
	# variant module, so its modules.alias names a module this kernel has
	# (dummy) for the VF's vfio_pci: alias: what the hook adds is what
	# --list-modules prints, whatever it is.
	"$gen" "$VFE_TOP/tests/fixtures/cx6dx-vfs.spec" "$root"
	mkdir -p "$root/lib/modules/$KVER"
	printf 'alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\nalias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* dummy\n' \
		>"$root/lib/modules/$KVER/modules.alias"
	printf 'address 0000:d8:00.2 allow-network\n' >"$CONFIG"
	run "$STAGE/usr/sbin/vfio-early" --root "$root" --config "$CONFIG" --list-modules "$KVER"
	assert_success
	assert_output "dummy"
	mkdir -p "$d"
	run env DESTDIR="$d" version="$KVER" verbose=n VFIO_EARLY_ROOT="$root" \
		VFIO_EARLY_BINARY="$STAGE/usr/sbin/vfio-early" VFIO_EARLY_PROTECTED=/dev/null \
		VFIO_EARLY_LIBDIR="$STAGE/usr/lib/vfio-early" VFIO_EARLY_CONFIG="$CONFIG" \
		sh "$STAGE/usr/share/initramfs-tools/hooks/vfio-early"
	assert_success
	run find "$d" -name 'dummy.ko*'
	assert_output --regexp "/lib/modules/$KVER/kernel/drivers/net/dummy\.ko"
	# VFIO_EARLY_MODULES names them instead, for an image of another machine.
	rm -rf "$d" && mkdir -p "$d"
	run env DESTDIR="$d" version="$KVER" verbose=n VFIO_EARLY_MODULES=dummy \
		VFIO_EARLY_BINARY=/bin/false VFIO_EARLY_PROTECTED=/dev/null \
		VFIO_EARLY_LIBDIR="$STAGE/usr/lib/vfio-early" VFIO_EARLY_CONFIG="$CONFIG" \
		sh "$STAGE/usr/share/initramfs-tools/hooks/vfio-early"
	run find "$d" -name 'dummy.ko*'
	assert_output --regexp "dummy\.ko"
}

@test "dracut image carries the binary, config, shim, cmdline and pre-pivot hooks, protected list and vfio modules" {
	need dracut lsinitrd zstd cpio
	local img=$BATS_TEST_TMPDIR/dracut.img list=$BATS_TEST_TMPDIR/list m
	vfe_build dracut "$img" "$CONFIG"
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	lsinitrd "$img" >"$list"
	assert_image_has "$list" usr/sbin/vfio-early etc/vfio-early.conf \
		usr/lib/vfio-early/vfio-early-shim usr/lib/vfio-early/protected \
		usr/lib/dracut/hooks/cmdline/00-vfio-early.sh usr/lib/dracut/hooks/pre-pivot/80-vfio-early-late.sh
	# without systemd in the image: the hooks, no unit
	run grep -E 'vfio-early.*\.service$' "$list"
	assert_failure
	for m in "${VFE_MODULES[@]}"; do
		assert_image_has "$list" "usr/lib/modules/$KVER/kernel/.*/$m\\.ko(\\.[a-z]+)?"
	done
	run lsinitrd -f etc/vfio-early.conf "$img"
	assert_output "$(cat "$CONFIG")"
	# VFIO_EARLY_BINARY names the binary, even with a static build installed:
	# the dynamic one (dracut strips it), with its libraries
	vfe_image_file "$img" usr/sbin/vfio-early >"$BATS_TEST_TMPDIR/bin"
	run vfe_is_static "$BATS_TEST_TMPDIR/bin"
	assert_failure
	assert_image_has "$list" "usr/lib/.*/libkmod\\.so.*" "usr/lib/.*/libblkid\\.so.*"
	run bash -c "lsinitrd -f usr/lib/vfio-early/protected '$img' | sed -e 's/[[:space:]]*#.*//' -e '/^\$/d'"
	assert_output "$(host_protected)"
}

@test "dracut: a missing config is a warning and the image still builds" {
	need dracut lsinitrd zstd cpio
	local img=$BATS_TEST_TMPDIR/dracut.img list=$BATS_TEST_TMPDIR/list
	vfe_build dracut "$img" ""
	assert_equal "$VFE_BUILD_STATUS" 0
	run cat "$img.log"
	assert_line --regexp 'vfio-early: .*vfio-early.conf not found'
	lsinitrd "$img" >"$list"
	assert_image_has "$list" usr/sbin/vfio-early usr/lib/dracut/hooks/cmdline/00-vfio-early.sh
	run grep -E '(^|[[:space:]/])etc/vfio-early.conf$' "$list"
	assert_failure
}

# A private dracut tree with only a few modules, so that dracut's default
# (every module whose check() says yes) can be observed in a host-only build.
dracut_hostonly()
{
	local config=$1 out=$2 base=$BATS_TEST_TMPDIR/dracut-base m
	shift 2
	rm -rf "$base"
	mkdir -p "$base/confdir"
	cp -a /usr/lib/dracut/. "$base/"
	rm -rf "$base/modules.d"
	mkdir "$base/modules.d"
	for m in 00bash 99base 99fs-lib 90kernel-modules; do
		cp -a "/usr/lib/dracut/modules.d/$m" "$base/modules.d/"
	done
	cp -a "$STAGE/usr/lib/dracut/modules.d/90vfio-early" "$base/modules.d/"
	env VFIO_EARLY_BINARY="$STAGE/usr/sbin/vfio-early" VFIO_EARLY_LIBDIR="$STAGE/usr/lib/vfio-early" \
		VFIO_EARLY_CONFIG="$config" dracutbasedir="$base" \
		dracut --force --hostonly --conf /dev/null --confdir "$base/confdir" \
		--no-early-microcode --compress "zstd -1 -q" --kver "$KVER" "$@" "$out"
}

@test "dracut: host-only images include vfio-early by default once the config exists" {
	need dracut lsinitrd zstd cpio
	local img=$BATS_TEST_TMPDIR/ho.img
	run dracut_hostonly "$CONFIG" "$img"
	assert_success
	assert_line --partial 'Including module: vfio-early'
	run lsinitrd "$img"
	assert_line --regexp 'usr/lib/dracut/hooks/cmdline/00-vfio-early.sh$'

	run dracut_hostonly /nonexistent/vfio-early.conf "$img"
	assert_success
	refute_line --partial 'Including module: vfio-early'
	run lsinitrd "$img"
	refute_line --regexp 'vfio-early'

	# ... and add_dracutmodules (--add) includes it without a config
	run dracut_hostonly /nonexistent/vfio-early.conf "$img" --add vfio-early
	assert_success
	assert_line --partial 'Including module: vfio-early'
	assert_line --regexp 'vfio-early: .*vfio-early.conf not found'
	run lsinitrd "$img"
	assert_line --regexp 'usr/sbin/vfio-early$'
}

@test "dracut module: a kernel without vfio modules is a warning and installkernel succeeds" {
	local mods=$BATS_TEST_TMPDIR/mods
	mkdir -p "$mods"
	printf 'kernel/drivers/vfio/vfio.ko:\nkernel/virt/lib/irqbypass.ko:\n' >"$mods/modules.dep"
	: >"$mods/modules.builtin"
	run bash -c '
		dwarn() { echo "WARN $*"; }
		instmods() { echo "INSTMODS $*"; }
		srcmods=$1 kernel=test-kernel
		. "$2"
		installkernel
		echo "status $?"' _ "$mods" "$STAGE/usr/lib/dracut/modules.d/90vfio-early/module-setup.sh"
	assert_success
	assert_line 'INSTMODS vfio irqbypass'
	assert_line --regexp '^WARN vfio-early: module vfio_iommu_type1 not found for kernel test-kernel'
	assert_line --regexp '^WARN vfio-early: module vfio-pci not found'
	refute_line --regexp '^WARN .*(vfio_virqfd|vfio-pci-core)'
	assert_line 'status 0'
}

# --- the static binary in the image (issue 5) ---------------------------------

# check_static_image KIND: with vfio-early-static installed and no
# VFIO_EARLY_BINARY, the image's /usr/sbin/vfio-early is the static build: an
# ELF file without a program interpreter or library dependencies.  (The image
# has libkmod and libblkid all the same: udev and kmod bring them.)
check_static_image()
{
	local kind=$1 img=$BATS_TEST_TMPDIR/static.img bin=$BATS_TEST_TMPDIR/bin
	vfe_build "$kind" "$img" "$CONFIG" prod+installed
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	run image_list "$img"
	assert_line --regexp '^usr/sbin/vfio-early$'
	assert_line --regexp '^usr/lib/vfio-early/vfio-early-shim$'
	vfe_image_file "$img" usr/sbin/vfio-early >"$bin"
	run vfe_is_static "$bin"
	assert_success
	run file -b "$bin"
	assert_output --regexp 'statically linked'
	refute_output --regexp 'interpreter'
	if [ "$kind" = itools ]; then
		# copy_file: the very file (dracut strips binaries as it copies them)
		run cmp "$STAGE/usr/lib/vfio-early/vfio-early-static" "$bin"
		assert_success
	fi
	# it runs: the same program
	chmod 0755 "$bin"
	run "$bin" --version
	assert_success
	assert_output --partial "$("$STAGE/usr/sbin/vfio-early" --version | head -n 1)"
	# the protected list, recorded by the static build, is this host's
	vfe_image_file "$img" usr/lib/vfio-early/protected >"$BATS_TEST_TMPDIR/protected"
	run sed -e 's/[[:space:]]*#.*//' -e '/^$/d' "$BATS_TEST_TMPDIR/protected"
	assert_output "$(host_protected)"
}

@test "initramfs-tools: with vfio-early-static installed the image carries it and no library for it" {
	need mkinitramfs zstd cpio readelf file
	need_static
	check_static_image itools
}

@test "dracut: with vfio-early-static installed the image carries it and no library for it" {
	need dracut zstd cpio readelf file
	need_static
	check_static_image dracut
}

# itools_hook_alone DESTDIR [VAR=VALUE...]: the installed initramfs-tools hook
# run by itself into an empty DESTDIR, as mkinitramfs runs it.
itools_hook_alone()
{
	local d=$1
	shift
	mkdir -p "$d"
	env DESTDIR="$d" version="$KVER" verbose=n VFIO_EARLY_LIBDIR="$STAGE/usr/lib/vfio-early" \
		VFIO_EARLY_CONFIG="$CONFIG" VFIO_EARLY_PROTECTED=/dev/null "$@" \
		sh "$STAGE/usr/share/initramfs-tools/hooks/vfio-early"
}

@test "initramfs-tools hook by itself: the static build brings no library, the dynamic one its own" {
	need mkinitramfs
	need_static
	local d=$BATS_TEST_TMPDIR/static lib
	run itools_hook_alone "$d"
	assert_success
	run cmp "$STAGE/usr/lib/vfio-early/vfio-early-static" "$d/usr/sbin/vfio-early"
	assert_success
	run find "$d" -name '*.so*'
	assert_output ""
	# VFIO_EARLY_BINARY: the dynamic binary and every library it links
	d=$BATS_TEST_TMPDIR/dynamic
	run itools_hook_alone "$d" VFIO_EARLY_BINARY="$STAGE/usr/sbin/vfio-early"
	assert_success
	run cmp "$STAGE/usr/sbin/vfio-early" "$d/usr/sbin/vfio-early"
	assert_success
	run find "$d" -name '*.so*' -printf '%f\n'
	for lib in $(vfe_libs "$STAGE/usr/sbin/vfio-early"); do
		assert_line "${lib##*/}"
	done
	assert_line --regexp '^libkmod\.so'
	assert_line --regexp '^libblkid\.so'
}

@test "dracut module by itself: inst_simple for the static build, inst_binary (with libraries) otherwise" {
	local lib=$BATS_TEST_TMPDIR/lib
	# a stand-in for the installed helpers, with or without a static build
	mkdir -p "$lib"
	cp -p "$STAGE/usr/lib/vfio-early/vfio-early-shim" "$STAGE/usr/lib/vfio-early/vfio-early-protected" "$lib/"
	printf '#!/bin/sh\nexit 0\n' >"$lib/vfio-early-static"
	chmod 0755 "$lib/vfio-early-static"
	module_install()
	{
		env "$@" VFIO_EARLY_LIBDIR="$lib" VFIO_EARLY_CONFIG="$CONFIG" VFIO_EARLY_PROTECTED=/dev/null \
			DRACUT_TMPDIR="$BATS_TEST_TMPDIR" bash -c '
			dwarn() { echo "WARN $*"; }
			inst_binary() { echo "inst_binary $*"; }
			inst_simple() { echo "inst_simple $*"; }
			inst_multiple() { :; }
			inst_hook() { echo "inst_hook $*"; }
			moddir=/moddir
			. "$1"
			check; echo "check $?"
			install' _ "$STAGE/usr/lib/dracut/modules.d/90vfio-early/module-setup.sh"
	}
	run module_install -u VFIO_EARLY_BINARY
	assert_success
	assert_line "check 0"
	assert_line "inst_simple $lib/vfio-early-static /usr/sbin/vfio-early"
	refute_line --partial "inst_binary"
	run module_install VFIO_EARLY_BINARY="$STAGE/usr/sbin/vfio-early"
	assert_success
	assert_line "inst_binary $STAGE/usr/sbin/vfio-early /usr/sbin/vfio-early"
	refute_line --partial "vfio-early-static"
}

# system_build KIND OUT STAGE: an image built the way an installed system
# builds it: STAGE's /usr laid over the real one (overlayfs, in a private
# mount namespace), the hooks left to their own defaults (no VFIO_EARLY_BINARY
# or VFIO_EARLY_LIBDIR; the config is the test's).
system_build()
{
	local kind=$1 out=$2 stage=$3
	unshare -m bash -c '
		set -e
		mount -t overlay vfe-test -o "lowerdir=$1/usr:/usr" /usr
		source "$2/lib/boot.bash"
		"vfe_build_$3" "$4" "$1" "$5" "" prod+system "$6"' \
		_ "$stage" "$BATS_TEST_DIRNAME" "$kind" "$out" "$CONFIG" "$KVER"
}

# check_dynamic_fallback KIND: without vfio-early-static installed, the hooks
# put the dynamic /usr/sbin/vfio-early in, with every library it links.
check_dynamic_fallback()
{
	local kind=$1 img=$BATS_TEST_TMPDIR/dyn.img stage=$BATS_TEST_TMPDIR/stage-dyn
	local bin=$BATS_TEST_TMPDIR/bin lib
	unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
	run env -u MAKEFLAGS -u MAKELEVEL make -C "$VFE_TOP" --no-print-directory SANITIZE= install \
		DESTDIR="$stage" INSTALL_STATIC=
	assert_success
	assert_file_not_exists "$stage/usr/lib/vfio-early/vfio-early-static"
	run system_build "$kind" "$img" "$stage"
	if [ "$status" -ne 0 ] && [[ $output == *overlay* ]]; then
		skip "no overlayfs here: $output"
	fi
	assert_success
	vfe_image_file "$img" usr/sbin/vfio-early >"$bin"
	run vfe_is_static "$bin"
	assert_failure
	[ "$kind" != itools ] || cmp "$stage/usr/sbin/vfio-early" "$bin"
	run image_libs "$img"
	for lib in $(vfe_libs "$stage/usr/sbin/vfio-early"); do
		lib=${lib##*/}
		case $lib in
		ld-linux*) ;;
		*) assert_line "$lib" ;;
		esac
	done
	assert_line --regexp '^libkmod\.so'
	assert_line --regexp '^libblkid\.so'
}

@test "initramfs-tools: without vfio-early-static the installed hook takes /usr/sbin/vfio-early and its libraries" {
	need mkinitramfs zstd cpio readelf
	check_dynamic_fallback itools
}

@test "dracut: without vfio-early-static the installed module takes /usr/sbin/vfio-early and its libraries" {
	need dracut zstd cpio readelf
	check_dynamic_fallback dracut
}

@test "mkinitcpio install hook: the static build when installed, VFIO_EARLY_BINARY first" {
	local lib=$BATS_TEST_TMPDIR/lib other=$BATS_TEST_TMPDIR/other
	mkdir -p "$lib"
	printf '#!/bin/sh\nexit 0\n' >"$lib/vfio-early-static"
	printf '#!/bin/sh\nexit 0\n' >"$other"
	chmod 0755 "$lib/vfio-early-static" "$other"
	run env -u VFIO_EARLY_BINARY VFIO_EARLY_LIBDIR="$lib" \
		bash -c '. "$1"; vfio_early_binary' _ "$STAGE/usr/lib/initcpio/install/vfio-early"
	assert_success
	assert_output "$lib/vfio-early-static"
	run env VFIO_EARLY_BINARY="$other" VFIO_EARLY_LIBDIR="$lib" \
		bash -c '. "$1"; vfio_early_binary' _ "$STAGE/usr/lib/initcpio/install/vfio-early"
	assert_output "$other"
	# what build() adds: the static build, as /usr/bin/vfio-early
	run env -u VFIO_EARLY_BINARY VFIO_EARLY_LIBDIR="$lib" VFIO_EARLY_CONFIG=/nonexistent \
		VFIO_EARLY_PROTECTED=/dev/null KERNELVERSION=none bash -c '
		add_binary() { echo "add_binary $*"; }
		add_file() { echo "add_file $*"; }
		add_module() { :; }
		add_runscript() { :; }
		warning() { echo "warning $*"; }
		. "$1"; build' _ "$STAGE/usr/lib/initcpio/install/vfio-early"
	assert_success
	assert_line "add_binary $lib/vfio-early-static /usr/bin/vfio-early"
}

@test "dracut with systemd: the units and their enable links go in, no vfio-early hook, the late unit runs --late /sysroot" {
	need dracut lsinitrd zstd cpio
	local img=$BATS_TEST_TMPDIR/sd.img list=$BATS_TEST_TMPDIR/list
	vfe_build dracut "$img" "$CONFIG" systemd
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	image_list "$img" >"$list"
	assert_image_has "$list" usr/lib/systemd/system/vfio-early.service \
		usr/lib/systemd/system/vfio-early-late.service \
		usr/lib/systemd/system/sysinit.target.wants/vfio-early.service \
		usr/lib/systemd/system/initrd.target.wants/vfio-early-late.service \
		usr/sbin/vfio-early usr/lib/vfio-early/vfio-early-shim etc/vfio-early.conf
	run grep -E 'hooks/.*vfio-early' "$list"
	refute_line --regexp 'hooks/[a-z-]+/[0-9]+-vfio-early(-late)?\.sh$'
	run vfe_image_file "$img" usr/lib/systemd/system/vfio-early-late.service
	assert_line 'ExecStart=/usr/lib/vfio-early/vfio-early-shim /usr/sbin/vfio-early --late /sysroot'
	run vfe_image_file "$img" usr/lib/systemd/system/vfio-early.service
	assert_line 'DefaultDependencies=no'
	assert_line --regexp '^Before=.*systemd-modules-load\.service'
}

@test "initramfs-tools image carries the init-bottom script (the late pass), after the root is mounted" {
	need mkinitramfs unmkinitramfs zstd
	local img=$BATS_TEST_TMPDIR/itools.img x=$BATS_TEST_TMPDIR/x
	vfe_build itools "$img" "$CONFIG"
	[ "$VFE_BUILD_STATUS" -eq 0 ] || { cat "$img.log"; false; }
	unmkinitramfs "$img" "$x"
	[ -x "$x/scripts/init-bottom/vfio-early" ] || fail "no scripts/init-bottom/vfio-early in the image"
	run grep -c '^/scripts/init-bottom/vfio-early ' "$x/scripts/init-bottom/ORDER"
	assert_output 1
	run grep -F -- '--late "${rootmnt:-/root}"' "$x/scripts/init-bottom/vfio-early"
	assert_success
}
