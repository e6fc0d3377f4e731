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

@test "shim runs the early pass once per boot: a second call (another hook, a unit) only logs that it ran" {
	local sh bin
	bin=$(fake count 'echo "ran $*" >>"$VFIO_EARLY_SHIM_RUNDIR/runs"; exit 0')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" "$bin"
		assert_success
		assert_file_exists "$VFIO_EARLY_SHIM_RUNDIR/early.started"
		# a hook sourcing the shim, then the program again: neither runs it
		run $sh -c '. "$1"; vfio_early_shim "$2"; echo sourced-done' sh "$SHIM" "$bin"
		assert_success
		assert_line sourced-done
		run $sh "$SHIM" "$bin" --verbose
		assert_success
		run cat "$VFIO_EARLY_SHIM_RUNDIR/runs"
		assert_output "ran "
		run cat "$VFIO_EARLY_SHIM_KMSG"
		# (each line replaces the file's contents: /dev/kmsg is a device)
		assert_output "<5>vfio-early-shim: the early pass of vfio-early ran already at this boot, not running $bin again"
	done
}

@test "shim: the late pass (--late NEWROOT) has its own once-per-boot marker and gets its arguments" {
	local sh bin
	bin=$(fake count 'echo "ran $*" >>"$VFIO_EARLY_SHIM_RUNDIR/runs"; exit 1')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" "$bin"
		assert_success
		run $sh "$SHIM" "$bin" --late /sysroot
		assert_success
		run $sh "$SHIM" "$bin" --late /sysroot
		assert_success
		assert_file_exists "$VFIO_EARLY_SHIM_RUNDIR/early.started"
		assert_file_exists "$VFIO_EARLY_SHIM_RUNDIR/late.started"
		run cat "$VFIO_EARLY_SHIM_RUNDIR/runs"
		assert_output "$(printf 'ran \nran --late /sysroot')"
		# status 1 (a binary without --late prints its usage) is not logged
		run cat "$VFIO_EARLY_SHIM_KMSG"
		assert_output "<5>vfio-early-shim: the late pass of vfio-early ran already at this boot, not running $bin again"
	done
}

@test "shim: a missing binary leaves no marker, so a later hook with the binary still runs it" {
	local sh bin
	bin=$(fake count 'echo ran >>"$VFIO_EARLY_SHIM_RUNDIR/runs"')
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$SHIM" /nonexistent/vfio-early
		assert_success
		assert_file_not_exists "$VFIO_EARLY_SHIM_RUNDIR/early.started"
		run $sh "$SHIM" "$bin"
		assert_success
		run cat "$VFIO_EARLY_SHIM_RUNDIR/runs"
		assert_output ran
	done
}

@test "the dracut pre-pivot hook runs the shim with --late \$NEWROOT, sourced, and leaves no functions behind" {
	local sh root=$BATS_TEST_TMPDIR/image bin
	bin=$(fake late 'echo "late $*" >>"$VFIO_EARLY_SHIM_RUNDIR/runs"')
	mkdir -p "$root"
	sed -e "s|/usr/lib/vfio-early/vfio-early-shim|$SHIM|g" \
		-e "s|/usr/sbin/vfio-early|$bin|g" \
		"$BATS_TEST_DIRNAME/../../dracut-module/90vfio-early/vfio-early-late.sh" >"$root/hook.sh"
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh -c 'NEWROOT=/sysroot; . "$1"; echo "hook returned"; for f in vfio_early_shim vfio_early_shim_run; do command -v $f; done; echo "functions checked"' sh "$root/hook.sh"
		assert_success
		assert_line "hook returned"
		refute_line --partial "vfio_early_shim"
		run cat "$VFIO_EARLY_SHIM_RUNDIR/runs"
		assert_output "late --late /sysroot"
	done
}

@test "the initramfs-tools init-bottom script runs the shim with --late \$rootmnt" {
	local sh root=$BATS_TEST_TMPDIR/image bin
	bin=$(fake late 'echo "late $*" >>"$VFIO_EARLY_SHIM_RUNDIR/runs"')
	mkdir -p "$root/scripts"
	printf '# stand-in for /scripts/functions\n' >"$root/scripts/functions"
	sed -e "s|/usr/lib/vfio-early/vfio-early-shim|$SHIM|g" \
		-e "s|/usr/sbin/vfio-early|$bin|g" \
		-e "s|/scripts/functions|$root/scripts/functions|g" \
		"$BATS_TEST_DIRNAME/../../initramfs-tools/scripts/init-bottom/vfio-early" >"$root/init-bottom"
	for sh in "${SHELLS[@]}"; do
		reset_logs
		run $sh "$root/init-bottom" prereqs
		assert_success
		run env rootmnt=/root $sh "$root/init-bottom"
		assert_success
		run cat "$VFIO_EARLY_SHIM_RUNDIR/runs"
		assert_output "late --late /root"
	done
}

@test "the systemd units run the shim: the early pass plainly, the late pass with --late /sysroot" {
	local dir=$BATS_TEST_DIRNAME/../../systemd
	run grep -h '^ExecStart=' "$dir/vfio-early.service"
	assert_output "ExecStart=/usr/lib/vfio-early/vfio-early-shim /usr/sbin/vfio-early"
	run grep -h '^ExecStart=' "$dir/vfio-early-late.service"
	assert_output "ExecStart=/usr/lib/vfio-early/vfio-early-shim /usr/sbin/vfio-early --late /sysroot"
}
