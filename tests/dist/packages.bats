#!/usr/bin/env bats
# The RPM (dist/rpm/vfio-early.spec, rpmbuild) and Arch (dist/arch/PKGBUILD,
# makepkg) packages, built on this Debian machine from `make dist`'s tarball
# (mk/dist.mk), against the Debian package built with dpkg-buildpackage
# from a copy of the tree: the same files, apart from the distribution
# conventions listed below; the same binary, hooks, units, config and man
# pages; and the scripts that rebuild the initramfs.  Nothing is installed;
# everything is written below the test's temporary directory.  As root,
# makepkg runs as nobody (setpriv): no user is created, /etc is untouched.

bats_load_library bats-support
bats_load_library bats-assert

load ../deb/lib

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# Distribution conventions: what each package has that the .deb has not,
# and the other way round, as patterns over normalised paths (below).
#   .deb only: the initramfs-tools integration (Debian's builder).
#   rpm: no mkinitcpio either (the .deb leaves it out too).
#   Arch only: the mkinitcpio hooks; no initramfs-tools.
DEB_ONLY_FOR_RPM='^usr/share/initramfs-tools/'
DEB_ONLY_FOR_ARCH='^usr/share/initramfs-tools/'
ARCH_ONLY='^usr/lib/initcpio/(hooks|install)/vfio-early$'
# Normalising: directories dropped; /usr/share/doc (each distribution
# names its doc directory and files its own way: checked on its own) left
# out; man pages without their compression suffix; Arch's /usr/bin for
# /usr/sbin (Arch has no /usr/sbin of its own).

setup_file()
{
	local t
	export DIST_SKIP="" DIST_OUT=$BATS_FILE_TMPDIR/dist DEB_OUT=$BATS_FILE_TMPDIR/deb
	for t in rpmbuild rpm makepkg bsdtar fakeroot dpkg-buildpackage dpkg-deb git; do
		command -v "$t" >/dev/null || DIST_SKIP="$DIST_SKIP $t"
	done
	if [ -n "$DIST_SKIP" ]; then
		DIST_SKIP="not installed:$DIST_SKIP (tests/deps installs them)"
		return 0
	fi
	if ! git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		DIST_SKIP="not a git checkout: make dist lists the tree's files with git"
		return 0
	fi
	mkdir -p "$DIST_OUT" "$DEB_OUT"
	# The .deb, from a copy of the tree (dpkg-buildpackage writes next to it).
	deb_copy_tree "$DEB_OUT/src/vfio-early" &&
		(cd "$DEB_OUT/src/vfio-early" && DEB_BUILD_OPTIONS=nocheck \
			dpkg-buildpackage -us -uc -b) >"$DEB_OUT/build.log" 2>&1 ||
		echo "dpkg-buildpackage failed" >"$DEB_OUT/failed"
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$TOP" --no-print-directory rpm \
		DISTDIR="$DIST_OUT" RPM_FLAGS="--nodeps --nocheck" >"$DIST_OUT/rpm.log" 2>&1 ||
		echo "make rpm failed" >"$DIST_OUT/rpm.failed"
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$TOP" --no-print-directory arch \
		DISTDIR="$DIST_OUT" MAKEPKG_FLAGS="--nocheck" >"$DIST_OUT/arch.log" 2>&1 ||
		echo "make arch failed" >"$DIST_OUT/arch.failed"
}

setup()
{
	[ -z "$DIST_SKIP" ] || skip "$DIST_SKIP"
}

# the built packages (fail when a build failed, with its log)
deb_file()
{
	[ ! -e "$DEB_OUT/failed" ] || fail "$(tail -n 30 "$DEB_OUT/build.log")"
	ls "$DEB_OUT"/src/vfio-early_*.deb
}
rpm_file()
{
	[ ! -e "$DIST_OUT/rpm.failed" ] || fail "$(tail -n 30 "$DIST_OUT/rpm.log")"
	ls "$DIST_OUT"/vfio-early-*.x86_64.rpm
}
arch_file()
{
	[ ! -e "$DIST_OUT/arch.failed" ] || fail "$(tail -n 30 "$DIST_OUT/arch.log")"
	ls "$DIST_OUT"/vfio-early-*-x86_64.pkg.tar.*
}

# The files (no directories) of each package, one path a line, no leading
# slash or ./, sorted.
deb_list()
{
	dpkg-deb -c "$(deb_file)" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | LC_ALL=C sort
}
rpm_list()
{
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$(rpm_file)" |
		awk '$1 !~ /^d/ { sub(/^\//, "", $2); print $2 }' | LC_ALL=C sort
}
arch_list()
{
	bsdtar -tf "$(arch_file)" | grep -v '/$' | grep -v '^\.[A-Z]' | LC_ALL=C sort
}

# normalise: the conventions above
normalise()
{
	grep -v '^usr/share/doc/' | sed -e 's|^\(usr/share/man/.*\)\.gz$|\1|' \
		-e 's|^usr/bin/vfio-early$|usr/sbin/vfio-early|' | LC_ALL=C sort
}

# norm_list LIST_FN [REGEX]: a package's normalised list (only the paths
# matching REGEX).
norm_list()
{
	"$1" | normalise | grep -E "${2:-.}"
}

# compare LIST_FN DEB_ONLY OTHER_ONLY: the package's normalised list
# against the .deb's, with the expected differences taken out of each.
compare()
{
	local fn=$1 deb_only=$2 other_only=$3
	diff -u --label deb --label "${fn%_list}" \
		<(deb_list | normalise | grep -Ev "$deb_only") \
		<($fn | normalise | { [ -n "$other_only" ] && grep -Ev "$other_only" || cat; })
}

@test "the .deb, the .rpm and the Arch package are built (dpkg-buildpackage, make rpm, make arch)" {
	deb_file
	rpm_file
	arch_file
	# as root, makepkg ran as nobody in a directory of its own, removed after
	run bash -c "ls -d /tmp/vfio-early-makepkg.* 2>/dev/null"
	assert_output ""
	grep -q 'Finished making: vfio-early' "$DIST_OUT/arch.log"
}

@test "rpm: the same files as the .deb, but for initramfs-tools (Debian's builder)" {
	run compare rpm_list "$DEB_ONLY_FOR_RPM" ""
	assert_success
	assert_output ""
	# what the differences are, exactly
	run norm_list deb_list "$DEB_ONLY_FOR_RPM"
	assert_output "$(printf '%s\n' usr/share/initramfs-tools/hooks/vfio-early \
		usr/share/initramfs-tools/scripts/init-bottom/vfio-early \
		usr/share/initramfs-tools/scripts/init-top/00-vfio-early)"
}

@test "arch: the same files as the .deb, but for initramfs-tools and the mkinitcpio hooks, the binary in /usr/bin" {
	run compare arch_list "$DEB_ONLY_FOR_ARCH" "$ARCH_ONLY"
	assert_success
	assert_output ""
	run arch_list
	assert_line usr/bin/vfio-early
	assert_line usr/lib/initcpio/hooks/vfio-early
	assert_line usr/lib/initcpio/install/vfio-early
	refute_line --regexp '^usr/sbin/'
}

@test "all three carry the units, the dracut module with its late hook, the shim, the config and both man pages" {
	local fn
	for fn in deb_list rpm_list arch_list; do
		run norm_list "$fn"
		assert_success
		assert_line usr/lib/systemd/system/vfio-early.service
		assert_line usr/lib/systemd/system/vfio-early-late.service
		assert_line usr/lib/dracut/modules.d/90vfio-early/module-setup.sh
		assert_line usr/lib/dracut/modules.d/90vfio-early/vfio-early-late.sh
		assert_line usr/lib/vfio-early/vfio-early-shim
		assert_line usr/sbin/vfio-early
		assert_line etc/vfio-early.conf
		assert_line usr/share/man/man8/vfio-early.8
		assert_line usr/share/man/man5/vfio-early.conf.5
	done
}

# extract PACKAGE DIR: unpack a package's files into DIR.
extract()
{
	mkdir -p "$2"
	case $1 in
	*.deb) dpkg-deb -x "$1" "$2" ;;
	*.rpm) (cd "$2" && rpm2archive - <"$1" | bsdtar -xf -) 2>/dev/null ||
		(cd "$2" && rpm2cpio "$1" | bsdtar -xf -) ;;
	*) bsdtar -xf "$1" -C "$2" --exclude '.[A-Z]*' ;;
	esac
}

@test "the same binary, shim, hooks, units, config and man pages in each (contents, Arch's /usr/bin path aside)" {
	local d=$BATS_TEST_TMPDIR f v pkg
	extract "$(deb_file)" "$d/deb"
	extract "$(rpm_file)" "$d/rpm"
	extract "$(arch_file)" "$d/arch"
	v=$("$d/deb/usr/sbin/vfio-early" --version)
	[ -n "$v" ] || fail "the .deb's binary prints no version"
	assert_equal "$("$d/rpm/usr/sbin/vfio-early" --version)" "$v"
	assert_equal "$("$d/arch/usr/bin/vfio-early" --version)" "$v"
	# built with each distribution's flags, so not the same bytes: the same program
	v=$("$d/deb/usr/sbin/vfio-early" --help)
	assert_equal "$("$d/rpm/usr/sbin/vfio-early" --help)" "$v"
	assert_equal "$("$d/arch/usr/bin/vfio-early" --help)" "$v"
	for f in usr/lib/vfio-early/vfio-early-shim usr/lib/vfio-early/vfio-early-protected \
		usr/lib/dracut/modules.d/90vfio-early/module-setup.sh \
		usr/lib/dracut/modules.d/90vfio-early/vfio-early.sh \
		usr/lib/dracut/modules.d/90vfio-early/vfio-early-late.sh \
		usr/lib/systemd/system/vfio-early.service usr/lib/systemd/system/vfio-early-late.service \
		usr/share/bash-completion/completions/vfio-early etc/vfio-early.conf; do
		cmp "$d/deb/$f" "$d/rpm/$f" || fail "rpm: $f differs from the .deb's"
		sed 's|/usr/bin/vfio-early|/usr/sbin/vfio-early|g' "$d/arch/$f" | cmp - "$d/deb/$f" ||
			fail "arch: $f differs from the .deb's (beyond /usr/bin)"
	done
	for f in man8/vfio-early.8 man5/vfio-early.conf.5; do
		for pkg in rpm arch; do
			cmp <(zcat -f "$d/deb/usr/share/man/$f"*) <(zcat -f "$d/$pkg/usr/share/man/$f"*) ||
				fail "$pkg: $f differs from the .deb's"
		done
	done
	# the doc directories, each distribution's way
	compgen -G "$d/deb/usr/share/doc/vfio-early/README.md*" >/dev/null || fail "no README.md in the .deb"
	compgen -G "$d/rpm/usr/share/doc/vfio-early*/README.md" >/dev/null || fail "no README.md in the .rpm"
	[ -f "$d/arch/usr/share/doc/vfio-early/README.md" ] || fail "no README.md in the Arch package"
}

@test "rpm: dracut -f in %posttrans and after removal, /etc/vfio-early.conf a noreplace config file" {
	run rpm -qp --scripts "$(rpm_file)"
	assert_success
	assert_line --regexp '^posttrans scriptlet'
	assert_line --regexp '^    dracut -f '
	assert_line --regexp '^postuninstall scriptlet'
	run rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$(rpm_file)"
	assert_line --regexp '^cn +/etc/vfio-early.conf$'
	run rpm -qp --requires "$(rpm_file)"
	assert_line --regexp '^dracut'
}

@test "arch: /etc/vfio-early.conf is a backup file, the install script names both HOOKS lines" {
	run bsdtar -xOf "$(arch_file)" .PKGINFO
	assert_line 'backup = etc/vfio-early.conf'
	assert_line 'pkgname = vfio-early'
	run bsdtar -xOf "$(arch_file)" .INSTALL
	assert_success
	assert_output --partial 'HOOKS=(base vfio-early udev'
	assert_output --partial 'HOOKS=(base systemd vfio-early'
	# the install script is valid bash and only prints
	run bash -c ". /dev/stdin; post_install" < <(bsdtar -xOf "$(arch_file)" .INSTALL)
	assert_success
	assert_output --partial 'mkinitcpio -P'
}
