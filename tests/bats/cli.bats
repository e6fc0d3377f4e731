#!/usr/bin/env bats
# Command-line conventions: usage errors, --help's sections, --quiet and
# --verbose, one exit-status table, standard output checked at exit in every
# mode, counts with their plurals.

load helper

bats_require_minimum_version 1.5.0

TRY="Try 'vfio-early --help' for more information."

# usage_error ARG... MESSAGE: the run fails with status 1 and says MESSAGE,
# then where to look, on standard error; nothing on standard output.
usage_error() {
	local msg=${*: -1}
	run --separate-stderr "$VFIO_EARLY" "${@:1:$#-1}"
	assert_equal "$status" 1
	assert_equal "$output" ""
	assert_equal "$stderr" "vfio-early: $msg
$TRY"
}

@test "an unknown option: one line and where to look, as coreutils says it, exit 1" {
	usage_error --foo "unrecognized option '--foo'"
	usage_error --foo=bar "unrecognized option '--foo=bar'"
	usage_error -x "invalid option -- 'x'"
	usage_error -nx "invalid option -- 'x'"
	usage_error -: "invalid option -- ':'"
}

@test "bad option arguments and abbreviations are usage errors too" {
	usage_error --config "option '--config' requires an argument"
	usage_error -c "option requires an argument -- 'c'"
	usage_error --report=yes "option '--report' doesn't allow an argument"
	usage_error --dry-run=1 "option '--dry-run' doesn't allow an argument"
	usage_error --r "option '--r' is ambiguous; possibilities: '--report' '--root'"
	# an unambiguous abbreviation is the option
	run "$VFIO_EARLY" --vers
	assert_success
	assert_output --regexp '^vfio-early [0-9]'
}

@test "option combinations that make no sense are usage errors with the same pointer" {
	make_root two-cards
	usage_error --root "$ROOT" --report --import "--report and --import: one mode at a time"
	usage_error --root "$ROOT" --import --json "--json goes with --report"
	usage_error --root "$ROOT" --report stray "unexpected argument 'stray'"
	usage_error --quiet --verbose "--quiet and --verbose: one or the other"
	usage_error --list-protected --zfs-vdevs rpool "--zfs-vdevs: rpool: expected POOL=/dev/DEVICE"
}

@test "--help: what a person runs first, then the internal modes in a section of their own" {
	run "$VFIO_EARLY" --help
	assert_success
	assert_line "Options:"
	assert_line "Modes:"
	assert_line "Modes for the initramfs, its build and bug reports:"
	# everything above the internal section is for people
	head=$(sed '/^Modes for the initramfs/,$d' <<< "$output")
	tail=$(sed -n '/^Modes for the initramfs/,/^$/p' <<< "$output")
	for o in --late --list-protected --zfs-vdevs --capture; do
		grep -q -- "^ *$o" <<< "$tail" || fail "$o is not in the internal section"
		! grep -q -- "$o" <<< "$head" || fail "$o is outside the internal section"
	done
	for o in --dry-run --yes --config --root --quiet --verbose --report --json --import; do
		grep -q -- "$o" <<< "$head" || fail "$o is not among the options for people"
	done
	# it fits a terminal: 80 columns
	[ "$(awk 'length > 80' <<< "$output" | wc -l)" -eq 0 ]
}

@test "--help answers whatever options go with it; a bad option still wins" {
	run "$VFIO_EARLY" --import --json --help
	assert_success
	assert_line --partial "Usage: vfio-early"
	run "$VFIO_EARLY" --help --foo
	assert_equal "$status" 1
}

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
		# the reason is the write's own when it failed at the last flush (a
		# long output may fail earlier, and musl keeps no errno for it)
		grep -q "^vfio-early: error: cannot write to standard output: " \
			<<< "$stderr" || fail "$args: no message: $stderr"
	done
	stdout_full --version
	assert_equal "$status" 1
	assert_equal "$stderr" "vfio-early: error: cannot write to standard output: No space left on device"
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

# only_errors: $stderr holds error lines and nothing else.
only_errors() {
	local other
	other=$(grep -v '^vfio-early: error: ' <<< "$stderr" || :)
	assert_equal "$other" ""
}

@test "--quiet --dry-run: the summary line only; the rule error's warning is not shown" {
	make_root two-cards
	set_config "address 0b:00" "ids nope"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run --quiet
	assert_equal "$status" 2
	assert_output "summary (dry run): 2 to bind, 0 refused, 1 rule error (exit 2)"
	only_errors
	# without it: the device lines, the warning and the notices
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_equal "${#lines[@]}" 3
	grep -qx "vfio-early: warning: /etc/vfio-early.conf:2: nope: unknown option (expect=, functions=, whole-group, allow-boot-vga, allow-storage, allow-network, reset_method=, d3cold=, disable_idle_d3, vfs=, driver=)" \
		<<< "$stderr"
	grep -qx "vfio-early: protected set resolved from the mounted system: 1 device" <<< "$stderr"
}

@test "--quiet, a run by hand: the manual run line; unconfirmed, the plan line and why; errors stay" {
	make_root two-cards
	set_config "address 0b:00"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" -q < /dev/null
	assert_equal "$status" 16
	assert_output "plan: 2 to bind, 0 refused, 0 rule errors"
	assert_equal "$stderr" "vfio-early: this host is booted (its root filesystem is mounted): nothing was changed; rerun with --yes to apply the plan above"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" -q --yes
	assert_success
	assert_output "manual run: 2 changed, 0 failed, 0 refused (exit 0); recorded in /run/vfio-early/manual"
	# only errors on standard error (no vfio modules in this root); the kernel log is whole
	only_errors
	run kmsg
	assert_line "<5>vfio-early: summary: 0 bound, 2 overrides set (test root), 0 failed, 0 refused, 0 rule errors (exit 0)"
}

@test "--quiet --report: the verdict line only; --json, --import and --list-protected stay whole" {
	make_root two-cards
	set_config "address 0b:00"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report --quiet
	assert_equal "$status" 65
	assert_output --regexp '^Verdict: blocked \([0-9]+ blocking, [0-9]+ warnings?(, a reboot pending)?; exit 65\)$'
	for mode in "--report --json" --import --list-protected; do
		# shellcheck disable=SC2086
		whole=$("$VFIO_EARLY" --root "$ROOT" $mode 2> /dev/null) || :
		# shellcheck disable=SC2086
		run --separate-stderr "$VFIO_EARLY" --root "$ROOT" $mode -q
		assert_equal "$output" "$whole"
		[ -n "$output" ]
	done
	# --import's notice goes; its status says it all
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import -q
	assert_equal "$status" 66
	only_errors
}

@test "--verbose: each device no rule selects gets a line saying so, in the dry run and the report" {
	make_root two-cards
	set_config "address 0b:00"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run --verbose
	assert_success
	grep -qx "vfio-early: 0000:0a:00.0 \[10de:2204\] class 030000: not selected: no rule names it" \
		<<< "$stderr" || fail "no reason for 0a:00.0: $stderr"
	grep -q "0000:0b:00.0.*not selected" <<< "$stderr" && fail "0b:00.0 is selected"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	refute [ -z "$stderr" ]
	grep -q "not selected" <<< "$stderr" && fail "not selected without --verbose"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report -v
	grep -q "0000:0a:00.1 \[10de:1aef\] class 040300: not selected: no rule names it" \
		<<< "$stderr" || fail "no reason in the report's log: $stderr"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	assert_equal "$stderr" ""
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
	# one function of a two-function group: the dry run says the group is left unusable
	assert_line "summary (dry run): 1 to bind, 0 refused, 1 rule error, 1 IOMMU group no VM can use (exit 6)"
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
