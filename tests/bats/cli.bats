#!/usr/bin/env bats
# Command-line conventions: counts with their plurals.

load helper

bats_require_minimum_version 1.5.0

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
