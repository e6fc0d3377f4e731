#!/usr/bin/env bats
# Command-line conventions: one exit-status table, standard output checked
# at exit in every mode, counts with their plurals.

load helper

bats_require_minimum_version 1.5.0

# stdout_full ARG...: the run with standard output on /dev/full.
stdout_full() {
	run --separate-stderr sh -c '"$0" "$@" > /dev/full' "$VFIO_EARLY" "$@"
}

@test "standard output that cannot be written: a message and status 1 in every mode" {
	make_root two-cards
	set_config "address 0b:00"
	mkdir -p "$ROOT/etc/modprobe.d"
	echo "options vfio-pci ids=10de:2204" > "$ROOT/etc/modprobe.d/vfio.conf"
	for args in --help --version "--dry-run" "--yes" "--report" "--report --json" "--import" \
		"--list-protected"; do
		# shellcheck disable=SC2086 # the words are options
		stdout_full --root "$ROOT" $args
		[ "$status" -ne 0 ] || fail "$args: status 0 with standard output on /dev/full"
		[ $((status & 1)) -eq 1 ] || fail "$args: status $status lacks 1"
		grep -qx "vfio-early: error: cannot write to standard output: No space left on device" \
			<<< "$stderr" || fail "$args: no message: $stderr"
	done
	# a sum keeps its other bits: the rule error's 2 stays
	make_root two-cards
	set_config "address 0b:00" "ids nope"
	stdout_full --root "$ROOT" --dry-run
	assert_equal "$status" 3
	# a single value becomes 1: a cut report must not pass for a whole one
	stdout_full --root "$ROOT" --report
	assert_equal "$status" 1
}

@test "a mode that writes nothing to standard output does not fail when it is closed" {
	make_root two-cards
	in_initramfs
	set_config "address 0b:00"
	# the initramfs may start it without a standard output
	run sh -c '"$0" --root "$1" >&-' "$VFIO_EARLY" "$ROOT"
	assert_success
	run sh -c '"$0" --root "$1" --capture "$2" > /dev/full' "$VFIO_EARLY" "$ROOT" "$BATS_TEST_TMPDIR/cap"
	assert_success
}

@test "exit status: one table, the values in modes.h, the shim's limit and the page agree" {
	h=$TOP/src/modes.h
	for v in "EXIT_USAGE = 1" "EXIT_RULES = 2" "EXIT_REFUSED = 4" "EXIT_FAILED = 8" \
		"EXIT_UNCONFIRMED = 16" "EXIT_WATCHDOG = 32" "EXIT_ANSWERS = 64" \
		"EXIT_REPORT_WARNINGS = 64" "EXIT_REPORT_BLOCKING = 65" "EXIT_NOTHING_TO_IMPORT = 66"; do
		grep -qF "$v," "$h" || fail "$v is not in modes.h"
	done
	# the watchdog has a bit of its own: 9 was 1 + 8, a usage error and a failure
	grep -q '_exit(EXIT_WATCHDOG)' "$TOP/src/boot.c"
	! grep -q 'status 9' "$TOP/SECURITY.md"
	grep -q 'exits with status 32' "$TOP/SECURITY.md"
	# the shim calls only what boot mode never gives unexpected
	grep -q '"$_vfe_rc" -ge 64' "$TOP/hook/vfio-early-shim"
	page=$(mandoc -T ascii "$TOP/man/vfio-early.8" | col -b | sed -n '/^EXIT STATUS/,/^FILES/p')
	for v in 0 1 2 4 8 16 32 64 65 66; do
		grep -qE "^       $v( |\$)" <<< "$page" || fail "$v has no entry in EXIT STATUS"
	done
}

@test "--import: 66 when there is nothing to import, 1 for a usage error, never both" {
	make_root proxmox-3090
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	assert_equal "$status" 66
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import --bogus
	assert_equal "$status" 1
}

@test "counts agree with their nouns: 1 rule error, 1 override, 1 device" {
	make_root two-cards
	in_initramfs
	set_config "address 0b:00.0 functions=one" "ids nope"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line "summary (dry run): 1 to bind, 0 refused, 1 rule error (exit 2)"
	ve
	run kmsg
	assert_line "<5>vfio-early: summary: 0 bound, 1 override set (test root), 0 failed, 0 refused, 1 rule error (exit 2)"
	run kmsg
	refute_output --regexp '(^|[^0-9])1 (devices|rule errors|overrides|files|carriers|problems)'
}

@test "no message in src/ counts a plural noun without plural()" {
	# "%u devices" and the like read "1 devices" for a count of 1; a bound
	# ("more than %d ids") is never 1.
	run bash -c 'grep -nE "\"[^\"]*%(z|l|ll)?[ud] (more )?(devices|rule errors|overrides|files|problems|carriers|rules match)\b" "$1"/src/*.c |
		grep -v -e "more than %" -e "=%"' _ "$TOP"
	assert_output ""
}
