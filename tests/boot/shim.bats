#!/usr/bin/env bats
# The runtime shim (hook/vfio-early-shim) under the shells that run it at
# boot: dash (initramfs-tools, dracut on Debian), busybox sh (initramfs-tools
# with BUSYBOX=y) and bash (dracut elsewhere).  Fake binaries stand in for
# vfio-early; the kernel log and console are plain files.

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

SHIM=$BATS_TEST_DIRNAME/../../hook/vfio-early-shim

setup()
{
	SHELLS=()
	command -v dash >/dev/null && SHELLS+=("dash")
	command -v busybox >/dev/null && SHELLS+=("busybox sh")
	SHELLS+=("bash --posix")
	export VFIO_EARLY_SHIM_KMSG=$BATS_TEST_TMPDIR/kmsg
	export VFIO_EARLY_SHIM_CONSOLE=$BATS_TEST_TMPDIR/console
	export VFIO_EARLY_SHIM_RUNDIR=$BATS_TEST_TMPDIR/run/vfio-early
	: >"$VFIO_EARLY_SHIM_KMSG"
	: >"$VFIO_EARLY_SHIM_CONSOLE"
}

# fake NAME BODY: an executable stand-in for the binary
fake()
{
	printf '#!/bin/sh\n%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
	chmod +x "$BATS_TEST_TMPDIR/$1"
	echo "$BATS_TEST_TMPDIR/$1"
}

reset_logs()
{
	: >"$VFIO_EARLY_SHIM_KMSG"
	: >"$VFIO_EARLY_SHIM_CONSOLE"
	rm -rf "$BATS_TEST_TMPDIR/run"
}

@test "shim runs the binary with its arguments, creates the run directory, succeeds whatever the status" {
	local bin sh
	bin=$(fake bin 'echo "args: $*" >"$VFIO_EARLY_SHIM_RUNDIR/ran"; exit 15')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" "$bin" --verbose --config /x.conf
		assert_success
		assert_file_exists "$VFIO_EARLY_SHIM_RUNDIR/ran"
		run cat "$VFIO_EARLY_SHIM_RUNDIR/ran"
		assert_output "args: --verbose --config /x.conf"
		# documented statuses are the binary's business: nothing logged
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output ""
	done
}

@test "shim logs a missing or non-executable binary to the kernel log and succeeds" {
	local sh bin
	bin=$(fake notexec 'exit 0')
	chmod -x "$bin"
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" "$BATS_TEST_TMPDIR/no-such-binary"
		assert_success
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --regexp "^<3>vfio-early-shim: $BATS_TEST_TMPDIR/no-such-binary is missing"
		reset_logs
		run $sh "$SHIM" "$bin"
		assert_success
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --regexp "^<3>vfio-early-shim: $bin is not executable"
	done
}

@test "shim reports a binary killed by a signal, or one that cannot start" {
	local sh bin nostart
	bin=$(fake crash 'kill -SEGV $$')
	nostart=$(fake nostart 'exit 0')
	printf '#!/nonexistent/interpreter\n' >"$nostart"
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" "$bin"
		assert_success
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --regexp "^<3>vfio-early-shim: $bin was killed by signal 11$"
		reset_logs
		run $sh "$SHIM" "$nostart"
		assert_success
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --regexp "could not be started \(status 12[67]\)"
	done
}

@test "shim's watchdog kills a hung binary after the time limit, without timeout(1)" {
	local sh bin start took
	bin=$(fake hang 'echo $$ >"$VFIO_EARLY_SHIM_RUNDIR/pid"; exec sleep 60')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		start=$(date +%s)
		VFIO_EARLY_SHIM_TIMEOUT=1 run $sh "$SHIM" "$bin"
		took=$(($(date +%s) - start))
		assert_success
		[ "$took" -lt 10 ] || fail "$sh: the shim took $took s with a 1 s limit"
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --regexp "^<3>vfio-early-shim: $bin did not finish within 1s and was killed"
		# the hung process is gone
		run kill -0 "$(cat "$VFIO_EARLY_SHIM_RUNDIR/pid")"
		assert_failure
		# the marker is reset for the next run
		assert_file_empty "$VFIO_EARLY_SHIM_RUNDIR/.shim-timeout"
	done
}

@test "shim's watchdog does not delay a quick binary" {
	local sh bin start took
	bin=$(fake quick 'exit 0')
	for sh in "${SHELLS[@]}"; do
		start=$(date +%s%N)
		run $sh "$SHIM" "$bin"
		took=$((($(date +%s%N) - start) / 1000000))
		assert_success
		[ "$took" -lt 900 ] || fail "$sh: a binary that exits at once took $took ms through the shim"
	done
}

@test "shim falls back to the console when the kernel log cannot be written" {
	local sh
	for sh in "${SHELLS[@]}"; do
		reset_logs
		VFIO_EARLY_SHIM_KMSG=$BATS_TEST_TMPDIR/no/such/dir/kmsg run $sh "$SHIM" /nonexistent/vfio-early
		assert_success
		run cat "$VFIO_EARLY_SHIM_CONSOLE"
		assert_output --regexp '^vfio-early-shim: /nonexistent/vfio-early is missing'
	done
}

@test "shim can be sourced under set -eu (dracut hooks): returns, never exits, leaves no variables" {
	local sh bin
	bin=$(fake fails 'exit 9')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh -c '
			set -eu
			. "$1"
			vfio_early_shim "$2"
			echo "still here after a failing binary"
			vfio_early_shim /nonexistent/vfio-early
			echo "still here after a missing binary"
			set | grep "^_vfe_" || echo "no _vfe_ variables left"' sh "$SHIM" "$bin"
		assert_success
		assert_line "still here after a failing binary"
		assert_line "still here after a missing binary"
		assert_line "no _vfe_ variables left"
	done
}

@test "the dracut hook sources the shim and leaves no functions behind" {
	local sh root=$BATS_TEST_TMPDIR/image
	command -v dash >/dev/null || skip "dash not installed"
	# run the hook as dracut does (sourced), with the image paths redirected
	mkdir -p "$root"
	sed -e "s|/usr/lib/vfio-early/vfio-early-shim|$SHIM|g" \
		-e "s|/usr/sbin/vfio-early|$BATS_TEST_TMPDIR/no-binary|g" \
		"$BATS_TEST_DIRNAME/../../dracut-module/90vfio-early/vfio-early.sh" >"$root/hook.sh"
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh -c '. "$1"; echo "hook returned"; for f in vfio_early_shim vfio_early_shim_run vfio_early_shim_log vfio_early_shim_watchdog; do command -v $f; done; echo "functions checked"' sh "$root/hook.sh"
		assert_success
		assert_line "hook returned"
		assert_line "functions checked"
		refute_line --partial "vfio_early_shim"
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output --partial "no-binary is missing"
	done
}
