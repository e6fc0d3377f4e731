#!/usr/bin/env bats
# The Debian package (debian/): built with dpkg-buildpackage from a copy of
# the tree, installed with dpkg, its initramfs-tools hook used for a real
# image that boots the emulated two-GPU host (tests/boot), then purged.  The
# tests run in order and share the package; teardown_file purges it
# whatever happened.
#
# Root only, and inside tests/deb/sandbox (tests/run deb runs it there): a
# throwaway root in which /usr, /etc, /boot and /var are overlays on a
# tmpfs, so dpkg, the maintainer scripts and the initramfs trigger run for
# real and the machine is the same afterwards.  Inside it the host's own
# vfio-early (a package, or a `make install`) is out of the way.  Outside
# the sandbox the suite skips, unless VFIO_EARLY_TEST_HOST=1 (or CI=true)
# says to install on this machine; then /boot/initrd.img-KVER is rebuilt
# three times, and tests/boot must not run beside it.
#
# Outputs of the last run in tests/boot/.cache/last/deb: build.log, dpkg.log,
# dpkg-L, the image built with the installed hook and its boot (s1.*).
#
# VFIO_EARLY_DEB_CHECK=1 builds without nocheck: the build then also runs
# `make check SUITES="unit cli"` (about 20 s more on an idle machine; the
# tests/run suites cover the same, so by default the build is nocheck).

# shellcheck source-path=SCRIPTDIR disable=SC2016 # sh -c '...' scripts take arguments
load lib
# shellcheck source=../boot/lib/boot.bash
source "$BATS_TEST_DIRNAME/../boot/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=$VFE_OUT/deb

# What the package installs; each must be in `dpkg -L` and on disk.
DEB_FILES=(
	/usr/sbin/vfio-early
	/usr/lib/vfio-early/vfio-early-shim
	/usr/lib/vfio-early/vfio-early-protected
	/usr/share/initramfs-tools/hooks/vfio-early
	/usr/share/initramfs-tools/scripts/init-top/00-vfio-early
	/usr/lib/dracut/modules.d/90vfio-early/module-setup.sh
	/usr/lib/dracut/modules.d/90vfio-early/vfio-early.sh
	/usr/share/man/man8/vfio-early.8.gz
	/usr/share/man/man5/vfio-early.conf.5.gz
	/usr/share/bash-completion/completions/vfio-early
	/etc/vfio-early.conf
	/usr/share/doc/vfio-early/copyright
)

# What the hook puts into an image (lsinitramfs paths, as regexps).
DEB_IMAGE_FILES=(
	'usr/sbin/vfio-early'
	'usr/lib/vfio-early/vfio-early-shim'
	'scripts/init-top/00-vfio-early'
	'etc/vfio-early.conf'
	'(usr/)?lib/vfio-early/protected'
)

setup_file()
{
	local missing
	# bats 1.8 cannot skip from setup_file: setup does
	export DEB_SKIP=""
	export DEB_BUILT=$BATS_FILE_TMPDIR/built
	export DEB_SRC=$BATS_FILE_TMPDIR/src/vfio-early
	export DEB_MARK=$BATS_FILE_TMPDIR/installed-by-this-suite
	export DEB_KVER=""
	DEB_KVER=$(vfe_kver) || DEB_KVER=""
	if [ "$(id -u)" != 0 ]; then
		DEB_SKIP="root only: the package is installed (in a throwaway root)"
		return 0
	fi
	if [ "${VFIO_EARLY_SANDBOX:-}" = 1 ]; then
		if ! grep -q ' /usr .* - overlay vfio-early-sandbox ' /proc/self/mountinfo; then
			DEB_SKIP="VFIO_EARLY_SANDBOX=1 but /usr is not the sandbox's overlay"
			return 0
		fi
	elif [ "${VFIO_EARLY_TEST_HOST:-}" != 1 ] && [ "${CI:-}" != true ]; then
		DEB_SKIP="installs the package: run it as tests/deb/sandbox bats tests/deb (tests/run deb does), or set VFIO_EARLY_TEST_HOST=1 to install on this machine"
		return 0
	fi
	missing=$(vfe_missing_tools dpkg-buildpackage dh make cc pkg-config mkinitramfs \
		update-initramfs lsinitramfs)
	if [ -n "$missing" ]; then
		DEB_SKIP="not installed: $missing (tests/deps installs them)"
		return 0
	fi
	if dpkg-query -W -f '${db:Status-Status}' vfio-early 2>/dev/null | grep -qvx 'not-installed'; then
		DEB_SKIP="vfio-early is installed on this machine already; remove it first: dpkg --purge vfio-early"
		return 0
	fi
	mkdir -p "$VFE_OUT"
	rm -f "$VFE_OUT/build.log" "$VFE_OUT/dpkg.log" "$VFE_OUT/dpkg-L"
}

teardown_file()
{
	# Only a package this suite installed is purged.
	[ -e "$DEB_MARK" ] || return 0
	if dpkg-query -W -f '${db:Status-Status}' vfio-early 2>/dev/null | grep -qvx 'not-installed'; then
		deb_log "teardown: dpkg --purge vfio-early"
		DEBIAN_FRONTEND=noninteractive dpkg --purge vfio-early </dev/null >"$BATS_FILE_TMPDIR/teardown.log" 2>&1 ||
			sed 's/^/# teardown: /' "$BATS_FILE_TMPDIR/teardown.log" >&3
	fi
	rm -f "$DEB_MARK"
}

setup()
{
	[ -z "$DEB_SKIP" ] || skip "$DEB_SKIP"
}

# deb_package: the path of the built vfio-early_*.deb (fails the test when
# the build test did not make one).
deb_package()
{
	local deb
	deb=$(cat "$DEB_BUILT" 2>/dev/null)
	if [ -z "$deb" ] || [ ! -f "$deb" ]; then
		fail "no package: the dpkg-buildpackage test failed"
	fi
	echo "$deb"
}

# deb_need_installed: fail unless the suite's package is installed.
deb_need_installed()
{
	if [ ! -e "$DEB_MARK" ] || [ "$(dpkg-query -W -f '${db:Status-Status}' vfio-early 2>/dev/null)" != installed ]; then
		fail "vfio-early is not installed: the dpkg -i test failed"
	fi
}

# deb_need_kernel: skip unless an installed kernel has an image to check.
deb_need_kernel()
{
	if [ -z "$DEB_KVER" ] || [ ! -f "/boot/initrd.img-$DEB_KVER" ]; then
		skip "no kernel with an initramfs in /boot (linux-image-amd64)"
	fi
}

# deb_dpkg ARGS...: dpkg, never asking anything, into $output.
deb_dpkg()
{
	local t0=$SECONDS
	run env DEBIAN_FRONTEND=noninteractive dpkg "$@" </dev/null
	deb_log "dpkg $*: $((SECONDS - t0)) s"
	printf '$ dpkg %s\n%s\n' "$*" "$output" >>"$VFE_OUT/dpkg.log"
}

# deb_image_has IMAGE REGEX...: every REGEX is a path in the image.
deb_image_has()
{
	local image=$1 re listing
	shift
	listing=$(lsinitramfs "$image") || fail "lsinitramfs $image failed"
	for re in "$@"; do
		grep -Eqx -- "$re" <<<"$listing" || fail "$image lacks $re"
	done
}

# deb_image_lacks IMAGE REGEX...: no path in the image matches any REGEX.
deb_image_lacks()
{
	local image=$1 re listing
	shift
	listing=$(lsinitramfs "$image") || fail "lsinitramfs $image failed"
	for re in "$@"; do
		! grep -Eqx -- "$re" <<<"$listing" || fail "$image still has $(grep -Ex -- "$re" <<<"$listing")"
	done
}

@test "dpkg-buildpackage -us -uc -b builds vfio-early_*.deb from a copy of the tree" {
	local t0=$SECONDS debs opts=nocheck profiles=nocheck
	if [ "${VFIO_EARLY_DEB_CHECK:-0}" = 1 ]; then
		opts="" profiles=""
	fi
	rm -rf "${DEB_SRC%/*}"
	deb_copy_tree "$DEB_SRC" || fail "could not copy the tree to $DEB_SRC"
	[ -x "$DEB_SRC/debian/rules" ] || fail "no executable debian/rules in the tree"
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS DEB_BUILD_OPTIONS="$opts" DEB_BUILD_PROFILES="$profiles" \
		sh -c 'cd "$1" && exec dpkg-buildpackage -us -uc -b' sh "$DEB_SRC"
	printf '%s\n' "$output" >"$VFE_OUT/build.log"
	deb_log "dpkg-buildpackage${opts:+ ($opts)}: $((SECONDS - t0)) s"
	if [ "$status" -ne 0 ]; then
		tail -n 40 <<<"$output"
		fail "dpkg-buildpackage failed (status $status)"
	fi
	# the package, its debug symbols and the build records, beside the copy
	debs=$(cd "${DEB_SRC%/*}" && ls vfio-early_*_*.deb)
	[ "$(wc -l <<<"$debs")" = 1 ] || fail "expected one vfio-early_*.deb, found: $debs"
	assert_regex "$debs" '^vfio-early_[0-9][^_]*_[a-z0-9]+\.deb$'
	echo "${DEB_SRC%/*}/$debs" >"$DEB_BUILT"
	# built from the copy: the tree under test got nothing
	[ -z "$(cd "$DEB_TOP/.." && ls vfio-early_* 2>/dev/null)" ] || fail "build products beside $DEB_TOP"
	[ ! -e "$DEB_TOP/debian/vfio-early" ] || fail "$DEB_TOP/debian/vfio-early exists"
}

@test "debian/rules runs make check SUITES=\"unit cli\" at build time, nothing with nocheck" {
	[ -d "$DEB_SRC/debian" ] || fail "no copy of the tree: the build test failed"
	cd "$DEB_SRC"
	# what dh runs: the override without nocheck, nothing with it
	run env DEB_BUILD_OPTIONS= dh build-arch --no-act
	assert_success
	assert_line --regexp '^ *debian/rules override_dh_auto_test$'
	run env DEB_BUILD_OPTIONS=nocheck dh build-arch --no-act
	assert_success
	refute_line --regexp 'auto_test'
	# and what the override runs
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS DEB_BUILD_OPTIONS= make -s -n -f debian/rules override_dh_auto_test
	assert_success
	assert_line --regexp '^make check SUITES="?unit cli"?$'
}

@test "the package: version from the changelog, dependencies, one initramfs trigger, the conffile" {
	local deb ctl version
	deb=$(deb_package)
	ctl=$BATS_TEST_TMPDIR/control
	dpkg-deb -e "$deb" "$ctl"
	# the version is the Makefile's (a native package: no Debian revision)
	version=$(dpkg-deb -f "$deb" Version)
	assert_equal "$version" "$(sed -n 's/^VERSION *:= *//p' "$DEB_TOP/Makefile")"
	run dpkg-deb -f "$deb" Depends
	assert_output --partial 'initramfs-tools | dracut'
	assert_output --partial 'libkmod2'
	assert_output --partial 'libblkid1'
	# dh_installinitramfs adds the trigger: once, not twice
	run grep -c -x 'activate-noawait update-initramfs' "$ctl/triggers"
	assert_output 1
	run cat "$ctl/conffiles"
	assert_output /etc/vfio-early.conf
	run dpkg-deb -c "$deb"
	assert_success
	# no mkinitcpio (Debian has none), no static build (the hook takes the
	# dynamic binary and its libraries)
	refute_output --partial initcpio
	refute_output --partial vfio-early-static
	# man pages carry the version, not the placeholder
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$BATS_TEST_TMPDIR" ./usr/share/man
	run sh -c 'zcat "$1"/usr/share/man/man*/*.gz' sh "$BATS_TEST_TMPDIR"
	assert_success
	refute_output --partial '@VERSION@'
	assert_output --partial "$version"
}

@test "lintian: no error or warning" {
	local deb changes
	command -v lintian >/dev/null || skip "lintian not installed"
	deb=$(deb_package)
	changes=$(ls "${deb%/*}"/vfio-early_*.changes)
	run lintian --fail-on error,warning --display-info "$changes"
	printf '%s\n' "$output" | grep -v 'root privileges' | sed 's/^/lintian: /' >&3 || :
	assert_success
}

@test "dpkg -i installs it and the trigger rebuilds the installed kernel's image with vfio-early" {
	local deb image before f
	deb=$(deb_package)
	image=/boot/initrd.img-$DEB_KVER
	before=$(stat -c %Y "$image" 2>/dev/null || echo 0)
	touch "$DEB_MARK"
	sleep 1
	deb_dpkg -i "$deb"
	assert_success
	assert_equal "$(dpkg-query -W -f '${db:Status-Status}' vfio-early)" installed
	# the trigger ran update-initramfs (or dracut) for the kernel
	assert_output --regexp 'Processing triggers for (initramfs-tools|dracut) '
	deb_need_kernel
	[ "$(stat -c %Y "$image")" -gt "$before" ] || fail "$image was not rebuilt"
	deb_image_has "$image" "${DEB_IMAGE_FILES[@]}"
	# the image's binary is the installed one
	unmkinitramfs "$image" "$BATS_TEST_TMPDIR/image" || fail "unmkinitramfs $image failed"
	f=$(find "$BATS_TEST_TMPDIR/image" -path '*/usr/sbin/vfio-early' -type f | head -n 1)
	cmp /usr/sbin/vfio-early "$f" || fail "the image's vfio-early is not /usr/sbin/vfio-early"
}

@test "dpkg -L vfio-early: binary, hooks, dracut module, man pages, completion; the config is a conffile" {
	local f conffiles
	deb_need_installed
	run dpkg -L vfio-early
	assert_success
	printf '%s\n' "$output" >"$VFE_OUT/dpkg-L"
	for f in "${DEB_FILES[@]}"; do
		assert_line "$f"
		[ -f "$f" ] || fail "$f is listed but not on disk"
	done
	refute_line --partial initcpio
	for f in /usr/sbin/vfio-early /usr/lib/vfio-early/vfio-early-shim /usr/lib/vfio-early/vfio-early-protected \
		/usr/share/initramfs-tools/hooks/vfio-early /usr/share/initramfs-tools/scripts/init-top/00-vfio-early \
		/usr/lib/dracut/modules.d/90vfio-early/module-setup.sh; do
		[ -x "$f" ] || fail "$f is not executable"
	done
	# /etc/vfio-early.conf is a conffile, and still the package's version
	conffiles=$(dpkg-query -W -f '${Conffiles}' vfio-early)
	assert_equal "$(awk '{ print $1 }' <<<"$conffiles")" /etc/vfio-early.conf
	assert_equal "$(awk '{ print $2 }' <<<"$conffiles")" "$(md5sum </etc/vfio-early.conf | cut -d' ' -f1)"
	# the binary and its man pages work from where they were installed
	run /usr/sbin/vfio-early --version
	assert_success
	assert_output "vfio-early $(dpkg-query -W -f '${Version}' vfio-early)"
	run /usr/sbin/vfio-early --dry-run
	[ "$status" -ne 1 ] || fail "vfio-early --dry-run: usage or internal error: $output"
	# dracut finds the module where the package put it
	if command -v dracut >/dev/null; then
		run dracut --list-modules --no-kernel
		assert_line vfio-early
	fi
	run bash -c '. /usr/share/bash-completion/completions/vfio-early && complete -p vfio-early'
	assert_success
	if command -v mandoc >/dev/null; then
		for f in /usr/share/man/man8/vfio-early.8.gz /usr/share/man/man5/vfio-early.conf.5.gz; do
			run sh -c 'zcat "$1" | mandoc -T lint -W warning' sh "$f"
			assert_success
			assert_output ""
		done
	fi
}

@test "a local edit of /etc/vfio-early.conf survives reinstalling the package" {
	local deb sum
	deb=$(deb_package)
	deb_need_installed
	printf '# edited by tests/deb: must survive a reinstall\n' >>/etc/vfio-early.conf
	sum=$(md5sum </etc/vfio-early.conf)
	# stdin is /dev/null: a conffile prompt would fail the install
	deb_dpkg -i "$deb"
	assert_success
	refute_output --partial 'Configuration file'
	assert_equal "$(md5sum </etc/vfio-early.conf)" "$sum"
	run ls /etc/vfio-early.conf.dpkg-new /etc/vfio-early.conf.dpkg-dist /etc/vfio-early.conf.dpkg-old
	assert_failure
	# still the conffile, still recorded with the package's checksum
	run dpkg-query -W -f '${Conffiles}' vfio-early
	assert_output --regexp "^ ?/etc/vfio-early.conf [0-9a-f]{32}$"
	refute_output --partial "$(cut -d' ' -f1 <<<"$sum")"
}

@test "an image built with the installed hook boots: card 1 chosen on the command line is on vfio-pci" {
	local missing conf image t0=$SECONDS
	deb_need_installed
	missing=$(vfe_missing_tools "${VFE_BOOT_TOOLS[@]}")
	[ -r /usr/share/seabios/bios-256k.bin ] || missing="$missing seabios"
	[ -z "${missing# }" ] || skip "not installed: ${missing# }"
	deb_need_kernel
	# the guest's root carries the installed binary for its --report
	export VFE_ROOTFS_BIN=/usr/sbin/vfio-early
	vfe_prepare || fail "could not prepare the guest (kernel, accelerator, root fs)"
	# A private CONFDIR with only the guest's report scripts: mkinitramfs
	# always runs /usr/share/initramfs-tools/hooks and copies its scripts, so
	# vfio-early comes from the package alone (binary, shim, the installed
	# /etc/vfio-early.conf).  The protected list is the guest's own.
	conf=$BATS_TEST_TMPDIR/initramfs-tools
	mkdir -p "$conf"/{conf.d,hooks,scripts/init-top,scripts/init-premount}
	printf '%s\n' MODULES=list BUSYBOX=y KEYMAP=n COMPRESS=zstd COMPRESSLEVEL=1 RUNSIZE=10% FSTYPE=auto \
		>"$conf/initramfs.conf"
	: >"$conf/modules"
	cp -p "$VFE_GUEST/initramfs-tools/hooks/vfio-early-test" "$conf/hooks/"
	cp -p "$VFE_GUEST/initramfs-tools/scripts/init-top/01-vfio-early-test" "$conf/scripts/init-top/"
	cp -p "$VFE_GUEST/initramfs-tools/scripts/init-premount/vfio-early-test" "$conf/scripts/init-premount/"
	image=$VFE_OUT/installed-hook.img
	rm -f "$image"
	run env -u VFIO_EARLY_BINARY -u VFIO_EARLY_LIBDIR -u VFIO_EARLY_CONFIG VFE_TEST_GUEST="$VFE_GUEST" \
		VFIO_EARLY_PROTECTED="$(vfe_guest_protected)" mkinitramfs -d "$conf" -o "$image" "$VFE_KVER"
	printf '%s\n' "$output" >"$image.log"
	assert_success
	deb_image_has "$image" "${DEB_IMAGE_FILES[@]}"
	# the config in the image is the installed one, local edit included
	cmp <(vfe_image_file "$image" etc/vfio-early.conf) /etc/vfio-early.conf ||
		fail "the image's etc/vfio-early.conf is not /etc/vfio-early.conf"
	deb_log "image: $((SECONDS - t0)) s"

	t0=$SECONDS
	vfe_boot s1 "$image" 1 vfio_early.devices=01:00
	deb_log "boot ($VFE_ACCEL): $(cat "$VFE_OUT/s1.seconds") s, outputs in $VFE_OUT"
	run vfe_reached_root s1
	assert_success
	# card 1 on vfio-pci from right after the hook, before udev, to the real root
	run vfe_expect s1 early,udev,root "$VFE_CARD1_VGA=vfio-pci" "$VFE_CARD1_HDA=vfio-pci"
	assert_success
	# the early report really ran before udev's coldplug: nothing else bound yet
	run vfe_expect s1 early "$VFE_CARD2_VGA=none" "$VFE_CARD2_HDA=none" "$VFE_NVME=none"
	assert_success
	# card 2 and the rest of the host keep their drivers
	run vfe_expect s1 udev,root "$VFE_CARD2_VGA=bochs-drm" "$VFE_CARD2_HDA=snd_hda_intel" \
		"$VFE_HOST_VGA=bochs-drm" "$VFE_NVME=nvme" "$VFE_ROOTDISK=virtio-pci"
	assert_success
	run vfe_kmsg s1
	assert_line --regexp "vfio-early: $VFE_CARD1_VGA \[1234:1111\] class 030000: bound to vfio-pci"
	assert_line --regexp "vfio-early: $VFE_CARD1_HDA \[8086:293e\] class 040300: bound to vfio-pci"
	assert_line --regexp 'vfio-early: summary: 2 bound, 0 failed, 0 refused, 0 rule errors \(exit 0\)'
	refute_line --regexp "vfio-early: $VFE_CARD2_VGA"
}

@test "dpkg --purge removes every file and the conffile, and the rebuilt image carries no vfio-early" {
	local f files image=/boot/initrd.img-$DEB_KVER
	deb_need_installed
	files=$(dpkg -L vfio-early)
	deb_dpkg --purge vfio-early
	assert_success
	assert_output --regexp 'Processing triggers for (initramfs-tools|dracut) '
	rm -f "$DEB_MARK"
	run dpkg -L vfio-early
	assert_failure
	run dpkg-query -W -f '${db:Status-Status}' vfio-early
	[ "$status" -ne 0 ] || assert_output not-installed
	# every file of the package is gone (directories others share stay)
	while IFS= read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || fail "$f is still there"
	done <<<"$files"
	for f in /etc/vfio-early.conf /usr/share/initramfs-tools/hooks/vfio-early \
		/usr/share/initramfs-tools/scripts/init-top/00-vfio-early /usr/lib/dracut/modules.d/90vfio-early \
		/usr/lib/vfio-early /usr/sbin/vfio-early; do
		[ ! -e "$f" ] || fail "$f is still there"
	done
	run ls /etc/vfio-early.conf.dpkg-new /etc/vfio-early.conf.dpkg-dist /etc/vfio-early.conf.dpkg-old
	assert_failure
	deb_need_kernel
	deb_image_lacks "$image" '.*vfio-early.*'
}
