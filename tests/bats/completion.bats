#!/usr/bin/env bats
# completion/vfio-early.bash: COMPREPLY for a few command lines, and every
# option of `vfio-early --help` offered.

load helper

setup() {
	# shellcheck disable=SC1091
	. "$TOP/completion/vfio-early.bash"
	D=$BATS_TEST_TMPDIR/c
	mkdir -p "$D/etc" "$D/sys"
	: > "$D/vfio.conf"
	: > "$D/eta"
}

# complete_line WORD...: COMPREPLY for the last word, one per line in $output.
complete_line() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	_vfio_early
	output=$(printf '%s\n' "${COMPREPLY[@]+"${COMPREPLY[@]}"}" | sort)
	mapfile -t lines <<< "$output"
}

@test "--rep completes to --report" {
	complete_line vfio-early --rep
	assert_equal "$output" "--report"
}

@test "every option in --help is offered after -" {
	complete_line vfio-early -
	local opt
	for opt in $("$VFIO_EARLY" --help | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u); do
		grep -qxF -- "$opt" <<< "$output" || fail "not offered: $opt"
	done
	assert_line -- "--list-protected"
	assert_line -- "-n"
}

@test "--config and -c complete file names" {
	complete_line vfio-early --config "$D/"
	assert_line "$D/vfio.conf"
	assert_line "$D/eta"
	complete_line vfio-early --dry-run -c "$D/v"
	assert_equal "$output" "$D/vfio.conf"
}

@test "--root and --capture complete directories only" {
	complete_line vfio-early --root "$D/e"
	assert_equal "$output" "$D/etc"
	complete_line vfio-early -r "$D/"
	refute_line "$D/vfio.conf"
	assert_line "$D/sys"
	# --capture=DIR, as bash splits it at '='.
	complete_line vfio-early --report --capture = "$D/s"
	assert_equal "$output" "$D/sys"
	# ... and as one word when '=' is not a word break.
	complete_line vfio-early --capture="$D/s"
	assert_equal "$output" "$D/sys"
}

@test "--list-protected completes block devices and the directories leading to them" {
	mknod "$D/blk0" b 7 200 2> /dev/null || skip "cannot make a block device node here"
	complete_line vfio-early --list-protected "$D/"
	assert_line "$D/blk0"
	assert_line "$D/etc"
	refute_line "$D/vfio.conf"
}

@test "--list-protected with nothing typed starts in /dev" {
	complete_line vfio-early --list-protected ""
	[ "${#COMPREPLY[@]}" -gt 0 ]
	refute_line --regexp "^[^/]"
	assert_line --regexp "^/dev/"
}

@test "no positional arguments outside --list-protected" {
	complete_line vfio-early --report ""
	assert_line -- "--json"
	refute_line --regexp "^/"
}
