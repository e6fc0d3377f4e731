#!/usr/bin/env bats
# modprobe.d has one reader, src/modprobe-conf.c, that reads it as libkmod
# does; the boot under --root (modload.c) and --import both go through it,
# and where their old readers differed from libkmod, libkmod's reading wins.

bats_require_minimum_version 1.5.0

load helper

@test "no file of src/ but modprobe-conf.c opens or parses modprobe.d" {
	cd "$TOP/src"
	# The directories are named in one place.
	run grep -lE '"[a-z/]*modprobe\.d[/"]' -- *.c *.h
	assert_output "modprobe-conf.c"
	# Their list is used to hand the paths to libkmod (modload.c) and to copy
	# the files as they are (capture.c); everything else asks modprobe-conf.
	run grep -lw modprobe_dirs -- *.c *.h
	assert_output "$(printf '%s\n' capture.c modload.c modprobe-conf.c modprobe-conf.h)"
	# modprobe.d's commands and the "MODULE.KEY=" of the command line are
	# recognised there alone.
	run grep -lE '"(options|softdep|blacklist|install)"' -- *.c *.h
	assert_output "modprobe-conf.c"
	# Nobody else looks for ids= in a string, nor joins continuation lines.
	run grep -nE 'str(n?cmp|str)\([^)]*"ids=' -- *.c
	assert_output ""
	run grep -lE "'\\\\\\\\' *&&[^;]*'\\\\n'|== '\\\\\\\\'" -- import*.c modload.c sources.c
	assert_output ""
}

# A fixture host with the given modprobe.d file, --import and the dry run.
with_conf() {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%b' "$1" > "$ROOT/etc/modprobe.d/vfio.conf"
}

@test "a continued ids= value is one value, as libkmod joins it (the boot split it in two)" {
	with_conf 'options vfio-pci ids=10de:2204,\\\n10de:1aef\n'
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_success
	assert_line "ids 10de:2204 10de:1aef"
	assert_line "# from /etc/modprobe.d/vfio.conf:1: options vfio-pci ids=10de:2204,10de:1aef"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --regexp "^0000:09:00\.0 .* \(rule modprobe\.d: options vfio-pci ids 10de:2204\)$"
	assert_line --regexp "^0000:09:00\.1 .* \(rule modprobe\.d: options vfio-pci ids 10de:1aef\)$"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "a quoted ids= value, and a quoted whole word, are ids as the kernel reads them" {
	with_conf 'options vfio-pci ids="10de:2204" "ids=10de:1aef" disable_vga=1\n'
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 10de:2204 10de:1aef"
	assert_line "#   change to: options vfio-pci disable_vga=1"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --regexp "^0000:09:00\.1 .* \(rule modprobe\.d: options vfio-pci ids 10de:1aef\)$"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "vfio-pci is loaded with its other options and without ids= in any form" {
	with_conf 'options vfio-pci ids="10de:2204" "ids=10de:1aef" disable_vga=1\n'
	fake_modules
	ve --yes
	assert_success
	run kmsg
	assert_line --regexp "^<6>vfio-early: would load /.*/kernel/drivers/vfio/pci/vfio-pci.ko disable_vga=1$"
	refute_output --partial "ids=10de"
}

@test "a blank inside quotes does not split the option (--import kept half a word)" {
	with_conf 'options vfio-pci ids=10de:2204 "x=a b"\n'
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_success
	assert_line '#   change to: options vfio-pci "x=a b"'
}

@test "an empty file masks the same name in a later directory, for --import and the boot" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d" "$ROOT/lib/modprobe.d"
	printf '%s\n' "options vfio-pci ids=10de:2204" > "$ROOT/lib/modprobe.d/vfio.conf"
	: > "$ROOT/etc/modprobe.d/vfio.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_output --partial "# /lib/modprobe.d/vfio.conf is hidden by /etc/modprobe.d/vfio.conf and was"
	refute_line "ids 10de:2204"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	refute_output --partial "10de:2204)"
}

@test "a modprobe.d file linked from two names is read twice, as libkmod reads it" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%s\n' "options vfio-pci ids=10de:2204" > "$ROOT/etc/modprobe.d/a.conf"
	ln -s a.conf "$ROOT/etc/modprobe.d/b.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_success
	assert_line "# from /etc/modprobe.d/a.conf:1: options vfio-pci ids=10de:2204"
	assert_line "# from /etc/modprobe.d/b.conf:1: options vfio-pci ids=10de:2204"
	assert_line "ids 10de:2204"
}
