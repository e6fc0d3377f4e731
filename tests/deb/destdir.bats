#!/usr/bin/env bats
# `make install DESTDIR=...` and `make uninstall DESTDIR=...` (what
# debian/rules and every packager run) write below DESTDIR and nowhere else:
# each runs with the whole file system read-only but DESTDIR (a private mount
# namespace), so any other write fails.  Root only; the machine is not changed.

load lib
bats_load_library bats-support
bats_load_library bats-assert

setup_file()
{
	# bats 1.8 cannot skip from setup_file: setup does
	export DEB_SKIP=""
	export DEB_SRC=$BATS_FILE_TMPDIR/src
	if ! deb_can_readonly_run; then
		DEB_SKIP="needs root and mount namespaces (unshare)"
		return 0
	fi
	# Built first, with / writable: install then has nothing to build.
	deb_copy_tree "$DEB_SRC" &&
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$DEB_SRC" -s >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		DEB_SKIP="could not build a copy of the tree: $(tail -n 5 "$BATS_FILE_TMPDIR/build.log")"
}

setup()
{
	[ -z "$DEB_SKIP" ] || skip "$DEB_SKIP"
	DEST=$BATS_TEST_TMPDIR/dest
}

# deb_make TARGET VAR=VALUE...: make in the copy of the tree, / read-only.
deb_make()
{
	run deb_readonly_run "$DEST" env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		make -C "$DEB_SRC" --no-print-directory "$@" DESTDIR="$DEST"
	[ "$status" -ne 125 ] || fail "could not set up the read-only namespace: $output"
}

# The files a PREFIX=/usr install puts below DESTDIR.
INSTALLED=(
	usr/sbin/vfio-early
	usr/lib/vfio-early/vfio-early-shim
	usr/lib/vfio-early/vfio-early-protected
	usr/share/initramfs-tools/hooks/vfio-early
	usr/share/initramfs-tools/scripts/init-top/00-vfio-early
	usr/lib/dracut/modules.d/90vfio-early/module-setup.sh
	usr/lib/dracut/modules.d/90vfio-early/vfio-early.sh
	usr/lib/initcpio/install/vfio-early
	usr/lib/initcpio/hooks/vfio-early
	usr/share/bash-completion/completions/vfio-early
	usr/share/man/man8/vfio-early.8
	usr/share/man/man5/vfio-early.conf.5
	etc/vfio-early.conf
)

@test "make install DESTDIR=... writes below DESTDIR only (everything else read-only)" {
	local f
	deb_make install PREFIX=/usr
	assert_success
	for f in "${INSTALLED[@]}"; do
		[ -f "$DEST/$f" ] || fail "$f was not installed below DESTDIR"
	done
	cmp "$DEB_SRC/vfio-early.conf.example" "$DEST/etc/vfio-early.conf"
	run grep -l '@VERSION@' "$DEST/usr/share/man/man8/vfio-early.8" "$DEST/usr/share/man/man5/vfio-early.conf.5"
	assert_failure
}

@test "make install DESTDIR=... again keeps DESTDIR/etc/vfio-early.conf when it was changed" {
	deb_make install PREFIX=/usr
	assert_success
	echo 'address 01:00' >>"$DEST/etc/vfio-early.conf"
	deb_make install PREFIX=/usr
	assert_success
	run tail -n 1 "$DEST/etc/vfio-early.conf"
	assert_output 'address 01:00'
}

@test "make uninstall DESTDIR=... removes below DESTDIR only (everything else read-only)" {
	local f left
	deb_make install PREFIX=/usr
	assert_success
	deb_make uninstall PREFIX=/usr
	assert_success
	for f in "${INSTALLED[@]}"; do
		[ ! -e "$DEST/$f" ] || fail "$f is still below DESTDIR"
	done
	left=$(find "$DEST" ! -type d)
	[ -z "$left" ] || fail "left below DESTDIR: $left"
}

@test "make install DESTDIR=... with a vfio-early-static in the tree writes below DESTDIR only" {
	# A stand-in for the static build, newer than every source: install
	# should copy it, not rebuild it or its libraries elsewhere.
	printf '#!/bin/sh\necho vfio-early-static stand-in\n' >"$DEB_SRC/vfio-early-static"
	chmod 0755 "$DEB_SRC/vfio-early-static"
	deb_make install PREFIX=/usr
	rm -f "$DEB_SRC/vfio-early-static"
	assert_success
	cmp <(printf '#!/bin/sh\necho vfio-early-static stand-in\n') "$DEST/usr/lib/vfio-early/vfio-early-static"
}
