#!/usr/bin/env bats
# The fuzz targets' seed corpus (tests/fuzz/corpus/TARGET) replayed through
# the gcc-built replay programs: $BUILD/fuzz-TARGET (the build under test)
# and, when `make test` sets BUILD_SAN, the ASan+UBSan build as well.  A
# target checks invariants and aborts on a violation; so does a sanitizer.
# `make fuzz` runs the same targets under libFuzzer (clang).

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${BUILD:=$TOP/build/default}"
TARGETS="cmdline config parse sysfs protect ids modprobe"

# replay DIR TARGET: every seed through DIR/fuzz-TARGET.
replay() {
	local bin=$1/fuzz-$2 n
	[ -x "$bin" ] || fail "$bin is missing: make check-build builds it"
	n=$(find "$TOP/tests/fuzz/corpus/$2" -type f | wc -l)
	run timeout 300 "$bin" "$TOP/tests/fuzz/corpus/$2"
	[ "$status" -eq 0 ] || { printf '%s\n' "$output" | tail -n 30 >&2; fail "$bin: status $status"; }
	assert_output "replayed $n inputs"
}

@test "every target has a seed corpus and a dictionary" {
	for t in $TARGETS; do
		[ -f "$TOP/tests/fuzz/fuzz-$t.c" ] || fail "no tests/fuzz/fuzz-$t.c"
		[ "$(find "$TOP/tests/fuzz/corpus/$t" -type f | wc -l)" -ge 10 ] || fail "corpus/$t: under 10 seeds"
		[ -f "$TOP/tests/fuzz/$t.dict" ] || fail "no tests/fuzz/$t.dict"
	done
}

@test "replay: kernel command line (cmdline_next, cmdline_parse)" {
	replay "$BUILD" cmdline
}

@test "replay: config (config_parse)" {
	replay "$BUILD" config
}

@test "replay: tokens (addresses, ids, classes, paths, sysfs names, modalias)" {
	replay "$BUILD" parse
}

@test "replay: sysfs readers (read_attr, read_link, read_file_at, the walk)" {
	replay "$BUILD" sysfs
}

@test "replay: protected list and root resolution (protect_load_file, mountinfo)" {
	replay "$BUILD" protect
}

@test "replay: vfio-pci's ids= lists (ids_iter, parse_kernel_ids)" {
	replay "$BUILD" ids
}

@test "replay: modprobe.d lines and options words (modprobe-conf.c)" {
	replay "$BUILD" modprobe
}

@test "replay: every target on the ASan+UBSan build" {
	[ -n "${BUILD_SAN:-}" ] || skip "BUILD_SAN is not set (make test sets it)"
	for t in $TARGETS; do
		replay "$BUILD_SAN" "$t"
	done
}

@test "a replay program fails loudly on a missing input" {
	run "$BUILD/fuzz-parse" "$BATS_TEST_TMPDIR/nonexistent"
	assert_failure
	assert_output --partial "No such file or directory"
}
