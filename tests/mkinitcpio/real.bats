#!/usr/bin/env bats
# The install hook under the real mkinitcpio, run from its source tree
# (mkinitcpio is not packaged for Debian): set VFIO_EARLY_MKINITCPIO_SRC to
# a checkout of https://gitlab.archlinux.org/archlinux/mkinitcpio/mkinitcpio
# (41 was tried); without it these tests skip.  The image is built for a
# made-up kernel version whose modules exist only in a module root given
# with -r, so that the host's modules cannot stand in for them.  The
# 'systemd' hook comes from Arch's systemd package: a stand-in that adds
# nothing takes its place, so the test shows what vfio-early's hook adds.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
KVER=6.1.0-vfe-test

setup_file()
{
	local src=${VFIO_EARLY_MKINITCPIO_SRC:-} w=$BATS_FILE_TMPDIR hostk m p
	export MKC_SKIP=""
	if [ -z "$src" ] || [ ! -f "$src/mkinitcpio" ] || [ ! -f "$src/functions" ]; then
		MKC_SKIP="VFIO_EARLY_MKINITCPIO_SRC does not name a mkinitcpio source tree"
		return 0
	fi
	hostk=""
	for p in /lib/modules/*/; do
		p=${p%/}
		p=${p##*/}
		if modinfo -k "$p" -n vfio-pci 2>/dev/null | grep -q '^/'; then
			hostk=$p
			break
		fi
	done
	if [ -z "$hostk" ] || ! command -v bsdtar >/dev/null || ! command -v zstd >/dev/null; then
		MKC_SKIP="needs the host's vfio modules, bsdtar and zstd"
		return 0
	fi
	cp -a "$src" "$w/src"
	# the placeholders meson fills in; Debian keeps modinfo in /usr/sbin
	sed -i -e 's/@VERSION@/test/' -e "s|@INITCPIO_LIBDIR@|$w/src|g" \
		-e "s|@SYSCONFDIR@|$w/etc|g" -e "s|@INITCPIO_SYSCONFDIR@|$w/etc/initcpio|g" \
		-e 's|^export PATH=.*|export PATH="/usr/bin:/bin:/usr/sbin:/sbin"|' "$w/src/mkinitcpio"
	# the module root: the vfio modules only, under KVER
	for m in vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd; do
		p=$(modinfo -k "$hostk" -n "$m" 2>/dev/null) || continue
		case $p in /*) install -D -m 0644 "$p" "$w/modroot/lib/modules/$KVER/${p#*/lib/modules/"$hostk"/}" ;; esac
	done
	cp /lib/modules/"$hostk"/modules.builtin* /lib/modules/"$hostk"/modules.order "$w/modroot/lib/modules/$KVER/"
	depmod -b "$w/modroot" "$KVER"
	env -u MAKEFLAGS -u MAKELEVEL make -C "$TOP" --no-print-directory SANITIZE= install \
		DESTDIR="$w/stage" >"$w/stage.log" 2>&1
	mkdir -p "$w/etc/initcpio/install" "$w/etc/initcpio/hooks"
	cp "$w/stage/usr/lib/initcpio/install/vfio-early" "$w/etc/initcpio/install/"
	cp "$w/stage/usr/lib/initcpio/hooks/vfio-early" "$w/etc/initcpio/hooks/"
	printf '#!/bin/bash\n# stand-in for the systemd package'"'"'s hook\nbuild() { :; }\n' \
		>"$w/etc/initcpio/install/systemd"
	echo 'address 01:00' >"$w/vfio-early.conf"
}

setup()
{
	[ -z "$MKC_SKIP" ] || skip "$MKC_SKIP"
}

# mkc HOOKS...: build an image with these HOOKS; the tree in $BATS_TEST_TMPDIR/x
mkc()
{
	local w=$BATS_FILE_TMPDIR img=$BATS_TEST_TMPDIR/img
	printf 'HOOKS=(%s)\n' "$*" >"$w/etc/mkinitcpio.conf"
	run env VFIO_EARLY_BINARY="$w/stage/usr/sbin/vfio-early" VFIO_EARLY_LIBDIR="$w/stage/usr/lib/vfio-early" \
		VFIO_EARLY_UNITDIR="$w/stage/usr/lib/systemd/system" VFIO_EARLY_CONFIG="$w/vfio-early.conf" \
		bash "$w/src/mkinitcpio" -k "$KVER" -r "$w/modroot" -g "$img"
	mkdir -p "$BATS_TEST_TMPDIR/x"
	# skip the early (uncompressed) cpio: the main archive is zstd
	tail -c "+$(($(LC_ALL=C grep -obUaP -m 1 '\x28\xb5\x2f\xfd' "$img" | cut -d: -f1) + 1))" "$img" |
		zstd -dcq | (cd "$BATS_TEST_TMPDIR/x" && bsdtar -xf -)
}

@test "real mkinitcpio, HOOKS=(vfio-early) with -r DIR: no missing-module warning, modules, binary, shim, config, protected list and runtime hook in the image" {
	local x=$BATS_TEST_TMPDIR/x
	mkc vfio-early
	assert_line --partial 'Initcpio image generation successful'
	refute_line --partial 'not found for kernel'
	[ -f "$x/usr/lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci.ko" ] || fail "no vfio-pci.ko in the image"
	[ -x "$x/usr/bin/vfio-early" ] || fail "no binary"
	[ -x "$x/usr/lib/vfio-early/vfio-early-shim" ] || fail "no shim"
	[ -f "$x/usr/lib/vfio-early/protected" ] || fail "no protected list"
	[ -f "$x/hooks/vfio-early" ] || fail "no runtime hook"
	[ ! -e "$x/usr/lib/systemd/system/vfio-early.service" ] || fail "a unit in a busybox image"
}

@test "real mkinitcpio, HOOKS=(systemd vfio-early): the units and their enable links, no runtime hook; /usr/sbin/vfio-early resolves" {
	local x=$BATS_TEST_TMPDIR/x
	mkc systemd vfio-early
	assert_line --partial 'Initcpio image generation successful'
	refute_line --partial 'WARNING: vfio-early'
	[ -f "$x/usr/lib/systemd/system/vfio-early.service" ] || fail "no vfio-early.service"
	[ -f "$x/usr/lib/systemd/system/vfio-early-late.service" ] || fail "no vfio-early-late.service"
	run readlink "$x/usr/lib/systemd/system/sysinit.target.wants/vfio-early.service"
	assert_output /usr/lib/systemd/system/vfio-early.service
	run readlink "$x/usr/lib/systemd/system/initrd.target.wants/vfio-early-late.service"
	assert_output /usr/lib/systemd/system/vfio-early-late.service
	[ ! -e "$x/hooks/vfio-early" ] || fail "a runtime hook in a systemd image"
	# the unit's ExecStart paths exist in the image (usr/sbin is a link to bin)
	[ -x "$x/usr/sbin/vfio-early" ] || fail "/usr/sbin/vfio-early does not resolve in the image"
	[ -x "$x/usr/lib/vfio-early/vfio-early-shim" ] || fail "no shim"
	# without 'base', a shell for the shim
	[ -e "$x/usr/bin/sh" ] || fail "no /usr/bin/sh for the shim"
}
