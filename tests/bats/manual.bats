#!/usr/bin/env bats
# Boot mode run by hand on a booted host (the fake root's / mounted from a
# disk): it asks first, or needs --yes; it never replaces the boot's record
# (run/vfio-early/state) and keeps its own (run/vfio-early/manual), which
# --report lists.  The initramfs (nothing mounted) runs as it always did.

load helper

STATE=run/vfio-early/state
MANUAL=run/vfio-early/manual

# two-cards: / on the NVMe, both 3090s on nvidia; the boot took card 2
# (0b:00) in the initramfs.  Its record is then in $STATE.
booted_after_boot() {
	make_root two-cards
	set_config "address 0b:00"
	cp "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	in_initramfs
	run "$VFIO_EARLY" --root "$ROOT"
	assert_success
	assert_output ""
	cp "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
	grep -q '^run mode=boot exit=0 bound=0 override_set=2 ' "$ROOT/$STATE"
	cp "$ROOT/$STATE" "$BATS_TEST_TMPDIR/boot-state"
	: > "$ROOT/dev/kmsg"
}

@test "the initramfs needs no --yes: the early pass acts, writes its state, prints nothing" {
	make_root two-cards
	set_config "address 0b:00"
	in_initramfs
	ve
	assert_success
	assert_output ""
	assert_equal "$(override 0000:0b:00.0)" "vfio-pci"
	assert_equal "$(override 0000:0b:00.1)" "vfio-pci"
	grep -q '^run mode=boot exit=0 bound=0 override_set=2 ' "$ROOT/$STATE"
	[ ! -e "$ROOT/$MANUAL" ]
	run kmsg
	assert_line --partial "summary: 0 bound, 2 overrides set (test root), 0 failed, 0 refused"
}

@test "by hand, no terminal, no --yes: the plan, nothing changed or written, exit 16" {
	booted_after_boot
	set_config "address 0b:00" "address 0a:00 allow-boot-vga"
	before=$(snapshot)
	ve </dev/null
	assert_equal "$status" 16
	assert_line "0000:0a:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nvidia) (rule /etc/vfio-early.conf:2 0a:00)"
	assert_line "plan: 4 to bind, 0 refused, 0 rule errors"
	assert_line "vfio-early: this host is booted (its root filesystem is mounted): nothing was changed; rerun with --yes to apply the plan above"
	# Not a byte anywhere: no override, no record, no kernel log line.
	diff <(printf '%s\n' "$before") <(snapshot)
	assert_equal "$(override 0000:0a:00.0)" "(null)"
	[ ! -s "$ROOT/dev/kmsg" ]
	[ ! -e "$ROOT/$MANUAL" ]
	cmp "$BATS_TEST_TMPDIR/boot-state" "$ROOT/$STATE"
}

@test "by hand without --yes: the status adds the plan's bits (a refusal: 16 + 4)" {
	booted_after_boot
	set_config "address 0a:00"	# the boot display, without allow-boot-vga
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early.devices=0b:00"
	ve </dev/null
	# card 2 is on vfio-pci by override, not by driver (a test root): it would change
	assert_equal "$status" 20
	assert_line --partial "0000:0a:00.0 [10de:2204] class 030000: refused: is the boot VGA device"
	assert_equal "$(override 0000:0a:00.0)" "(null)"
}

@test "by hand with --yes: acts, says what it changed, keeps the boot's state, records the run" {
	booted_after_boot
	set_config "address 0b:00" "address 0a:00 allow-boot-vga"
	before=$(snapshot)
	ve --yes </dev/null
	assert_success
	assert_line "0000:0a:00.0: was nvidia, driver_override now vfio-pci (test root, not probed)"
	assert_line "0000:0a:00.1: was snd_hda_intel, driver_override now vfio-pci (test root, not probed)"
	assert_line "0000:0b:00.0: was nvidia, driver_override now vfio-pci (test root, not probed)"
	assert_line "manual run: 4 changed, 0 failed, 0 refused (exit 0); recorded in /run/vfio-early/manual"
	assert_writes_only_allowed "$before"
	assert_equal "$(override 0000:0a:00.0)" "vfio-pci"
	assert_equal "$(override 0000:0a:00.1)" "vfio-pci"
	# The boot's record is the boot's, byte for byte.
	cmp "$BATS_TEST_TMPDIR/boot-state" "$ROOT/$STATE"
	[ ! -e "$ROOT/run/vfio-early/late" ]
	run cat "$ROOT/$MANUAL"
	assert_line --index 0 "vfio-early-manual 1"
	assert_line --regexp '^run time=20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z confirmed=yes exit=0 changed=4 failed=0 refused=0$'
	# Under a test root "now" is the driver the override names: nothing probes.
	assert_line "device addr=0000:0a:00.0 result=override-set was=nvidia now=vfio-pci reason="
	run kmsg
	assert_line --partial "0000:0a:00.0 [10de:2204] class 030000: driver_override set to vfio-pci (was nvidia; test root, not probed)"
	assert_line --partial "summary: 0 bound, 4 overrides set (test root), 0 failed, 0 refused, 0 rule errors (exit 0)"
}

@test "-y is --yes; every run by hand is kept, oldest first" {
	booted_after_boot
	set_config "address 0a:00 allow-boot-vga"
	ve -y
	assert_success
	set_config "address 0a:00 allow-boot-vga" "address 01:00.0"
	ve --yes
	assert_equal "$status" 4
	assert_line "0000:01:00.0: unchanged (nvme), refused: holds the root filesystem (root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d)"
	run grep '^run ' "$ROOT/$MANUAL"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --partial "confirmed=yes exit=0 changed=2 failed=0 refused=0"
	assert_line --index 1 --partial "confirmed=yes exit=4 changed=2 failed=0 refused=1"
}

@test "by hand, a plan that changes nothing needs no confirmation" {
	booted_after_boot
	set_config "address 01:00.0"	# the root disk's controller: refused
	ve </dev/null
	assert_equal "$status" 4
	assert_line "0000:01:00.0: unchanged (nvme), refused: holds the root filesystem (root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d)"
	assert_line "manual run: 0 changed, 0 failed, 1 refused (exit 4); recorded in /run/vfio-early/manual"
	grep -q '^run .* confirmed=none-needed exit=4 changed=0 failed=0 refused=1$' "$ROOT/$MANUAL"
	cmp "$BATS_TEST_TMPDIR/boot-state" "$ROOT/$STATE"
}

@test "by hand, the kill switch still holds and the boot's record stays" {
	make_root two-cards
	set_config "address 0b:00"
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d vfio_early=off"
	mkdir -p "$ROOT/run/vfio-early"
	printf 'vfio-early-state 1\nrun mode=off exit=0 bound=0\n' > "$ROOT/$STATE"
	before=$(snapshot)
	ve --yes
	assert_success
	# Nothing but the log line: no override, no record, the boot's state as it was.
	diff <(printf '%s\n' "$before" | grep -v '^\./dev/kmsg ') <(snapshot | grep -v '^\./dev/kmsg ')
	run kmsg
	assert_output "<5>vfio-early: disabled by vfio_early=off on the kernel command line"
}

# script(1) gives the run a terminal; what it types is the answer.
at_terminal() {
	command -v script > /dev/null || skip "script (util-linux) not installed"
	run script -qec "$VFIO_EARLY --root $ROOT" /dev/null <<< "$1"
}

@test "at a terminal: the plan, apply? [y/N], and only y or yes applies" {
	for answer in y YES; do
		booted_after_boot
		set_config "address 0b:00" "address 0a:00 allow-boot-vga"
		at_terminal "$answer"
		assert_success
		assert_output --partial "0000:0a:00.0 [10de:2204] class 030000: would bind to vfio-pci (now nvidia)"
		assert_output --partial "apply? [y/N]"
		assert_output --partial "0000:0a:00.0: was nvidia, driver_override now vfio-pci (test root, not probed)"
		assert_equal "$(override 0000:0a:00.0)" "vfio-pci"
		grep -q '^run .* confirmed=terminal exit=0 changed=4 ' "$ROOT/$MANUAL"
		cmp "$BATS_TEST_TMPDIR/boot-state" "$ROOT/$STATE"
		# Once confirmed, the kernel log has the run.
		grep -q 'summary: 0 bound, 4 overrides set' "$ROOT/dev/kmsg"
	done
	for answer in n no "" yess; do
		booted_after_boot
		set_config "address 0a:00 allow-boot-vga"
		before=$(snapshot)
		at_terminal "$answer"
		assert_equal "$status" 16
		assert_output --partial "apply? [y/N]"
		assert_output --partial "vfio-early: nothing was changed"
		diff <(printf '%s\n' "$before") <(snapshot)
	done
}

@test "--yes goes with boot mode only" {
	make_root two-cards
	ve --report --yes
	assert_equal "$status" 1
	assert_output "vfio-early: --yes goes with boot mode (a run by hand), not --late
Try 'vfio-early --help' for more information."
	ve --late /root --yes
	assert_equal "$status" 1
	ve --list-protected -y
	assert_equal "$status" 1
	# --dry-run never changes anything: --yes beside it changes nothing either.
	set_config "address 0b:00"
	before=$(snapshot)
	ve --dry-run --yes
	assert_success
	diff <(printf '%s\n' "$before") <(snapshot)
}

@test "--report: this boot stays the boot's; the runs by hand are listed apart (text and JSON)" {
	booted_after_boot
	# The boot refused the root disk's controller too (no protected list in
	# this image), so its numbers differ from the run by hand's.
	set_config "address 0b:00" "address 01:00.0"
	cp "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	in_initramfs
	run "$VFIO_EARLY" --root "$ROOT"
	assert_equal "$status" 4
	cp "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
	set_config "address 0b:00" "address 0a:00 allow-boot-vga"
	ve --yes
	assert_success
	ve --report
	assert_line "  vfio-early ran (boot mode, kernel 6.1.0-56-amd64): 0 bound, 0 failed, 1 refused, exit 4"
	assert_line "Manual runs since boot (/run/vfio-early/manual)"
	assert_line --regexp '^  20[-0-9]{8}T[:0-9]{8}Z \(--yes\): 4 changed, 0 failed, 0 refused, exit 0$'
	assert_line "    0000:0a:00.0: was nvidia, driver_override now vfio-pci (test root, not probed)"
	assert_line "    0000:0a:00.1: was snd_hda_intel, driver_override now vfio-pci (test root, not probed)"
	command -v jq > /dev/null || skip "jq not installed"
	ve --report --json
	printf '%s' "$output" | jq -e . > /dev/null
	assert_equal "$(jq -r '.this_boot | "\(.mode) \(.exit) \(.bound) \(.refused)"' <<< "$output")" "boot 4 0 1"
	assert_equal "$(jq -r '.manual_runs.runs | length' <<< "$output")" 1
	assert_equal "$(jq -r '.manual_runs.dropped' <<< "$output")" 0
	assert_equal "$(jq -r '.manual_runs.runs[0] | "\(.confirmed) \(.exit) \(.changed)"' <<< "$output")" "yes 0 4"
	assert_equal "$(jq -r '.manual_runs.runs[0].devices[] | select(.address=="0000:0a:00.0") | "\(.result) \(.was)"' <<< "$output")" "override-set nvidia"
	# The boot did not touch card 1: its device entry says so, whatever ran since.
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:0a:00.0") | .this_boot' <<< "$output")" "null"
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:0b:00.0") | .this_boot.result' <<< "$output")" "override-set"
}

@test "--report without runs by hand: no such part, manual_runs null" {
	booted_after_boot
	ve --report
	refute_output --partial "Manual runs since boot"
	command -v jq > /dev/null || skip "jq not installed"
	ve --report --json
	assert_equal "$(jq -r '.manual_runs' <<< "$output")" "null"
}
