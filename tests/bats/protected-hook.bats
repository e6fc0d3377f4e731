#!/usr/bin/env bats
# Writing the protected list at image build: `vfio-early --list-protected`
# fails when its output cannot be written, and hook/vfio-early-protected
# checks every step that writes the list, warns with the file and the
# error, leaves no empty or partial list, and never fails the build.

load helper

HOOK=$TOP/hook/vfio-early-protected

# hook OUT [ENV...]: the hook as the image builds run it (under sh, dash on
# Debian), on the fake root; its warnings in $output.
hook() {
	local out=$1
	shift
	run env VFIO_EARLY_ROOT="$ROOT" "$@" sh "$HOOK" "$VFIO_EARLY" "$out"
}

@test "--list-protected: standard output full or closed is an error, exit 1" {
	make_root two-cards
	run "$VFIO_EARLY" --root "$ROOT" --list-protected
	assert_success
	assert_line "end devices=1 carriers=0"
	# (run captures stdout itself: the redirection goes inside.)
	run sh -c '"$0" --root "$1" --list-protected > /dev/full' "$VFIO_EARLY" "$ROOT"
	assert_equal "$status" 1
	assert_output "vfio-early: error: cannot write to standard output: No space left on device"
	run sh -c '"$0" --root "$1" --list-protected >&-' "$VFIO_EARLY" "$ROOT"
	assert_equal "$status" 1
	assert_output --partial "vfio-early: error: cannot write to standard output: "
}

@test "the hook writes a whole list when it can" {
	make_root two-cards
	hook "$BATS_TEST_TMPDIR/protected"
	assert_success
	assert_output ""
	run cat "$BATS_TEST_TMPDIR/protected"
	assert_line "vfio-early-protected 3"
	assert_line "end devices=1 carriers=0"
}

@test "the hook: the list cannot be copied to the image (a full disk): warned, no list left, exit 0" {
	make_root two-cards
	# Opening and emptying it works, writing fails: what a full file system does.
	ln -s /dev/full "$BATS_TEST_TMPDIR/protected"
	hook "$BATS_TEST_TMPDIR/protected"
	assert_success
	assert_output --partial "W: vfio-early: cannot write $BATS_TEST_TMPDIR/protected: cp: "
	assert_output --partial "No space left on device; the image has no protected list"
	[ ! -e "$BATS_TEST_TMPDIR/protected" ] && [ ! -L "$BATS_TEST_TMPDIR/protected" ]
}

@test "the hook: the output cannot be created: warned with the error, nothing left, exit 0" {
	make_root two-cards
	hook "$BATS_TEST_TMPDIR/no-such-dir/protected"
	assert_success
	assert_output --regexp "^W: vfio-early: cannot write $BATS_TEST_TMPDIR/no-such-dir/protected: .*(nonexistent|No such file).*; the image has no protected list$"
	[ ! -e "$BATS_TEST_TMPDIR/no-such-dir" ]
}

@test "the hook: no temporary file (mktemp fails): warned with the error, the emptied list removed" {
	make_root two-cards
	hook "$BATS_TEST_TMPDIR/protected" TMPDIR="$BATS_TEST_TMPDIR/no-such-tmp"
	assert_success
	assert_output --regexp "^W: vfio-early: mktemp failed: .*no-such-tmp.*; the image has no protected list$"
	[ ! -e "$BATS_TEST_TMPDIR/protected" ]
}

@test "the hook: a copied list (VFIO_EARLY_PROTECTED) that cannot be written: warned, nothing left" {
	make_root two-cards
	printf 'vfio-early-protected 3\nmachine none\nstatus complete\nend devices=0 carriers=0\n' > "$BATS_TEST_TMPDIR/given"
	ln -s /dev/full "$BATS_TEST_TMPDIR/protected"
	hook "$BATS_TEST_TMPDIR/protected" VFIO_EARLY_PROTECTED="$BATS_TEST_TMPDIR/given"
	assert_success
	assert_output --regexp "^W: vfio-early: cannot copy $BATS_TEST_TMPDIR/given to $BATS_TEST_TMPDIR/protected: .+; the image has no protected list$"
	[ ! -e "$BATS_TEST_TMPDIR/protected" ] && [ ! -L "$BATS_TEST_TMPDIR/protected" ]
	# and when it can be written, it is copied whole
	hook "$BATS_TEST_TMPDIR/protected" VFIO_EARLY_PROTECTED="$BATS_TEST_TMPDIR/given"
	assert_success
	assert_output ""
	assert_equal "$(tail -n +2 "$BATS_TEST_TMPDIR/protected")" "$(cat "$BATS_TEST_TMPDIR/given")"
}

@test "the hook: the binary cannot write its list: no list, the status and the error said" {
	make_root two-cards
	# A stand-in that fails as vfio-early does when its output is full.
	printf '#!/bin/sh\necho "vfio-early: error: cannot write to standard output: No space left on device" >&2\nexit 1\n' \
		> "$BATS_TEST_TMPDIR/fails"
	chmod +x "$BATS_TEST_TMPDIR/fails"
	run env VFIO_EARLY_ROOT="$ROOT" sh "$HOOK" "$BATS_TEST_TMPDIR/fails" "$BATS_TEST_TMPDIR/protected"
	assert_success
	assert_output --partial "--list-protected' failed (status 1): vfio-early: error: cannot write to standard output: No space left on device; the image has no protected list"
	[ ! -e "$BATS_TEST_TMPDIR/protected" ]
}
