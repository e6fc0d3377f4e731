#!/usr/bin/env bats
# mkinitcpio/hooks/vfio-early: /init sources it and calls run_earlyhook in
# its own shell, so the hook must return 0 whatever happens and never exit.
# Each case runs the way /init does, under busybox ash (mkinitcpio's shell)
# and dash, with `set -eu` to catch a stray failing status or unset variable.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HOOK=$TOP/mkinitcpio/hooks/vfio-early

setup() {
	D=$BATS_TEST_TMPDIR
	export VFIO_EARLY_SHIM_KMSG=$D/kmsg VFIO_EARLY_SHIM_CONSOLE=$D/console
	export VFIO_EARLY_SHIM_RUNDIR=$D/run/vfio-early
	export VFIO_EARLY_RUNTIME_SHIM=$TOP/hook/vfio-early-shim
	export VFIO_EARLY_RUNTIME_BINARY=$D/vfio-early
	: > "$D/kmsg"
	: > "$D/console"
}

# fake_binary STATUS: a binary that records its run and exits with STATUS.
fake_binary() {
	printf '#!/bin/sh\necho ran "$@" >> "%s/ran"\nexit %s\n' "$D" "$1" > "$D/vfio-early"
	chmod +x "$D/vfio-early"
}

shells() {
	command -v busybox > /dev/null && echo "busybox ash"
	echo dash
}

# run_hook: like /init, source the hook and call run_earlyhook; then prove
# the shell is still alive and print what run_earlyhook returned.  Each shell
# is a boot of its own: the shim's once-per-boot markers are cleared.
run_hook() {
	local sh
	while read -r sh; do
		rm -f "$VFIO_EARLY_SHIM_RUNDIR"/*.started
		run $sh -c 'set -eu; . "$1"; run_earlyhook; echo "rc=$? alive"' hook "$HOOK"
		assert_success
		assert_output --partial "rc=0 alive"
	done < <(shells)
}

@test "the binary runs through the shim, once per shell" {
	fake_binary 0
	run_hook
	[ "$(wc -l < "$D/ran")" -eq "$(shells | wc -l)" ]
	assert_equal "$(cat "$D/kmsg")" ""
	[ -d "$D/run/vfio-early" ]
}

@test "a failing binary (exit 8: devices failed to bind) never fails the boot" {
	fake_binary 8
	run_hook
	[ -s "$D/ran" ]
}

@test "a binary killed by a signal is logged, and the boot goes on" {
	printf '#!/bin/sh\nkill -SEGV $$\n' > "$D/vfio-early"
	chmod +x "$D/vfio-early"
	run_hook
	run cat "$D/kmsg"
	assert_line --partial "killed by signal 11"
}

@test "the binary missing from the image is logged, and the boot goes on" {
	run_hook
	run cat "$D/kmsg"
	assert_line --partial "<3>vfio-early-shim: $D/vfio-early is missing from this image"
}

@test "the shim missing: the binary runs directly, and that is logged" {
	export VFIO_EARLY_RUNTIME_SHIM=$D/no-such-shim
	fake_binary 0
	run_hook
	[ -s "$D/ran" ]
	run cat "$D/kmsg"
	assert_line --partial "<4>vfio-early: $D/no-such-shim is missing from the initramfs"
}

@test "the shim and the binary missing: logged, the boot goes on" {
	export VFIO_EARLY_RUNTIME_SHIM=$D/no-such-shim
	run_hook
	run cat "$D/kmsg"
	assert_line --partial "<3>vfio-early: $D/vfio-early is missing from the initramfs"
}

@test "the shim missing and the binary failing: the boot goes on" {
	export VFIO_EARLY_RUNTIME_SHIM=$D/no-such-shim
	fake_binary 12
	run_hook
	[ -s "$D/ran" ]
}

@test "a hanging binary is killed by the shim's watchdog" {
	printf '#!/bin/sh\nexec sleep 60\n' > "$D/vfio-early"
	chmod +x "$D/vfio-early"
	export VFIO_EARLY_SHIM_TIMEOUT=1
	command -v busybox > /dev/null || skip "busybox is not installed"
	run timeout 30 busybox ash -c '. "$1"; run_earlyhook; echo "rc=$?"' hook "$HOOK"
	assert_success
	# ash may report the killed job ("Terminated") before the hook returns.
	assert_line "rc=0"
	run cat "$D/kmsg"
	assert_line --partial "did not finish within 1s and was killed"
}

@test "the hook leaves no variables behind in /init's shell" {
	fake_binary 0
	run dash -c '. "$1"; before=$(set | grep -c "^_vfe"); run_earlyhook; after=$(set | grep -c "^_vfe"); echo "$before $after"' hook "$HOOK"
	assert_success
	assert_output "0 0"
}

@test "the hook defines run_earlyhook and run_latehook only, as mkinitcpio's add_runscript sees it" {
	run grep -oE '^run_[[:alnum:]_]+' "$HOOK"
	assert_output "$(printf '%s\n' run_earlyhook run_latehook)"
	run dash -n "$HOOK"
	assert_success
}

@test "run_latehook runs the late pass through the shim with --late /new_root, never failing" {
	local sh
	fake_binary 1
	while read -r sh; do
		rm -rf "$D/run" "$D/ran"
		run $sh -c 'set -eu; . "$1"; run_earlyhook; run_latehook; echo "rc=$? alive"' hook "$HOOK"
		assert_success
		assert_output --partial "rc=0 alive"
		run cat "$D/ran"
		assert_output "$(printf 'ran\nran --late /new_root')"
		[ -f "$D/run/vfio-early/late.started" ]
	done < <(shells)
}

@test "run_latehook without the shim logs that the late pass does not run" {
	fake_binary 0
	export VFIO_EARLY_RUNTIME_SHIM=$D/no-shim
	run dash -c 'set -eu; . "$1"; run_latehook; echo "rc=$?"' hook "$HOOK"
	assert_success
	assert_output "rc=0"
	[ ! -e "$D/ran" ]
	run cat "$D/kmsg"
	assert_output --partial "the late pass does not run"
}
