#!/usr/bin/env bats
# valgrind memcheck over the binary's modes on every fixture, and over the
# fuzz seed corpus through the replay programs: no invalid access, no
# uninitialised value used, no leak of any kind (still reachable included).
# Needs the plain build: an ASan binary cannot run under valgrind.

load ../bats/helper
load faults

VALGRIND_OPTS=(-q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
	--error-exitcode=99 --track-origins=yes)

setup() {
	command -v valgrind > /dev/null || skip "valgrind is not installed"
	asan_binary && skip "$VFIO_EARLY is an ASan build"
	VG_LOG=$BATS_TEST_TMPDIR/valgrind.log
}

# memcheck CMD...: run under valgrind; fail on any error or leak, and on a
# status above vfio-early(8)'s table (0 to 66: a timeout, a signal).
memcheck() {
	: > "$VG_LOG"
	run timeout 300 valgrind "${VALGRIND_OPTS[@]}" --log-file="$VG_LOG" "$@"
	if [ "$status" -eq 99 ] || [ "$status" -gt 66 ] || [ -s "$VG_LOG" ]; then
		printf '%s\n' "$output" | tail -n 5 >&2
		head -c 6000 "$VG_LOG" >&2
		fail "valgrind: status $status for: $*"
	fi
}

# Rules of every kind, a bad line, an exclude: the whole planner runs.
fixture_config() {
	set_config "ids 10de:2204 1002:744c:1da2:e471" "address 0b:00 03:00.0 expect=144d:a808" \
		"path 00:01.0/00 expect=10de:2204" "path 00:03.2/00.0 expect=10de:2204 whole-group" \
		"class 0c03 functions=one" "class 0403 allow-boot-vga" "exclude ids 8086:a36d" \
		"ids nope" "address 02:00 allow-storage allow-network"
}

@test "valgrind: boot, --dry-run, --list-protected and --report on every fixture" {
	local spec mode ran=0
	for spec in "$TOP"/tests/fixtures/*.spec; do
		spec=$(basename "$spec" .spec)
		make_root "$spec"
		fixture_config
		mkdir -p "$ROOT/lib/vfio-early"
		printf '0000:01:00.0\n01:00\n' > "$ROOT/lib/vfio-early/protected"
		for mode in --dry-run --list-protected --yes "--verbose --yes"; do
			memcheck "$VFIO_EARLY" --root "$ROOT" $mode
			ran=$((ran + 1))
		done
		# The report modes, where this build has them.
		if "$VFIO_EARLY" --help | grep -q -- '--report'; then
			memcheck "$VFIO_EARLY" --root "$ROOT" --report
			memcheck "$VFIO_EARLY" --root "$ROOT" --report --json
		fi
	done
	[ "$ran" -ge 20 ]
}

@test "valgrind: the odd inputs (garbage attributes, loops, huge config and command line)" {
	make_root proxmox-3090
	fixture_config
	d=$(gpu_dir $GPU)
	printf 'garbage\x00\xff' > "$d/driver_override"
	printf 'x' > "$d/boot_vga"
	head -c 65536 /dev/zero | tr '\0' A > "$(gpu_dir $AUDIO)/modalias"
	ln -sfn iommu_group "$d/iommu_group"
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "ids 10de:%04x\n", i }' >> "$ROOT/etc/vfio-early.conf"
	printf 'addr\x00ess 0b:00\n' >> "$ROOT/etc/vfio-early.conf"
	line="root=/dev/mapper/pve-root"
	for i in $(seq 1 300); do line="$line vfio_early.devices=zz:$i \"q=a b\""; done
	set_cmdline "$line"
	memcheck "$VFIO_EARLY" --root "$ROOT" --yes
	memcheck "$VFIO_EARLY" --root "$ROOT" --dry-run
	memcheck "$VFIO_EARLY" --root "$ROOT" --list-protected /dev/nvme0n1 /dev/../etc/passwd
}

@test "valgrind: faults in the binding writes (errors, restore path)" {
	[ -f "$INJECT" ] || fail "$INJECT is missing"
	FAULT_LOG=$BATS_TEST_TMPDIR/faults.log
	make_root proxmox-3090
	set_config "ids 10de:2204"
	# valgrind passes LD_PRELOAD on to the program, after its own preloads.
	LD_PRELOAD=$INJECT VE_FAULT="/unbind:write:EBUSY;drivers_probe:write:EIO" \
		VE_FAULT_LOG=$FAULT_LOG memcheck "$VFIO_EARLY" --root "$ROOT" --yes
	assert_equal "$status" 8
	assert_fired "write 0000:09:00.0/driver/unbind"
	make_root proxmox-3090
	set_config "ids 10de:2204"
	LD_PRELOAD=$INJECT VE_FAULT="0000:09:00.1/driver:readlink:vanish:1" \
		VE_FAULT_LOG=$FAULT_LOG memcheck "$VFIO_EARLY" --root "$ROOT" --yes
	assert_equal "$status" 4
	assert_fired "readlinkat 0000:09:00.1/driver"
}

@test "valgrind: --list-protected on this machine (libblkid, read-only)" {
	memcheck "$VFIO_EARLY" --list-protected
}

@test "valgrind: the fuzz seed corpus through the replay programs" {
	local t n=0
	for t in "$TOP"/tests/fuzz/corpus/*/; do
		t=$(basename "$t")
		[ -x "$BUILD/fuzz-$t" ] || fail "$BUILD/fuzz-$t is missing: make check-build builds it"
		memcheck "$BUILD/fuzz-$t" "$TOP/tests/fuzz/corpus/$t"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]
}
