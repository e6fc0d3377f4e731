# Helpers for the fault-injection, odd-input, valgrind and hardening tests.
# Loaded after ../bats/helper (fake roots, snapshot, assert_writes_only_allowed).
#
# The faults come from ve-inject.so (tests/faults/inject.c), preloaded into
# the dynamically linked test build; the shipped binary has no hook for it.

: "${BUILD:=$TOP/build/default}"
INJECT=${VE_INJECT:-$BUILD/ve-inject.so}
[ -f "$INJECT" ] || INJECT=$TOP/build/default/ve-inject.so
# Every run is bounded: a hang is a failure (status 124), not a stuck suite.
: "${VE_TIMEOUT:=60}"

# An ASan build must come first in the library list; a preload goes before it.
asan_binary() { ldd "$VFIO_EARLY" 2>/dev/null | grep -q 'libasan'; }
# A static binary (vfio-early-static) cannot be reached by LD_PRELOAD.
static_binary() { ! ldd "$VFIO_EARLY" > /dev/null 2>&1; }

# Fake roots live on tmpfs when there is one: these tests build many.
fast_tmp() {
	if [ -z "${FAST_TMP:-}" ]; then
		if [ -d /dev/shm ] && [ -w /dev/shm ]; then
			FAST_TMP=$(mktemp -d /dev/shm/vfio-early-faults.XXXXXX)
		else
			FAST_TMP=$BATS_TEST_TMPDIR
		fi
	fi
	echo "$FAST_TMP"
}
teardown() {
	case ${FAST_TMP:-} in
	/dev/shm/vfio-early-faults.*) rm -rf "$FAST_TMP" ;;
	esac
}

# make_root SPEC [EXTRA-SPEC-LINES]: as in ../bats/helper, on tmpfs.
make_root() {
	FAST_TMP=$(fast_tmp)
	ROOT=$FAST_TMP/root
	rm -rf "$ROOT"
	{ cat "$TOP/tests/fixtures/$1.spec"; printf '\n%s\n' "${2:-}"; } > "$FAST_TMP/spec"
	"$MKFAKESYS" "$FAST_TMP/spec" "$ROOT"
}

# The documented exit statuses are the ORed bits 1, 2, 4, 8, 16: 0-31.  Anything
# else is a signal, a timeout or a sanitizer abort.
assert_sane_status() {
	if [ "$status" -lt 0 ] || [ "$status" -gt 31 ]; then
		printf '%s\n' "$output" | tail -n 20 >&2
		fail "exit status $status: not one of the documented 0-31 (signal, hang or abort)"
	fi
}

# vet ARGS...: the binary under --root $ROOT, bounded in time.
vet() {
	run timeout "$VE_TIMEOUT" "$VFIO_EARLY" --root "$ROOT" "$@"
	assert_sane_status
}

# vef RULES ARGS...: the same with the faults of RULES (see inject.c);
# what fired is in $FAULT_LOG.
vef() {
	local rules=$1 asan=
	shift
	static_binary && skip "$VFIO_EARLY is static: LD_PRELOAD cannot inject faults"
	[ -f "$INJECT" ] || fail "$INJECT is missing: make check-build builds it"
	FAULT_LOG=$BATS_TEST_TMPDIR/faults.log
	: > "$FAULT_LOG"
	asan_binary && asan="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	run env LD_PRELOAD="$INJECT" VE_FAULT="$rules" VE_FAULT_LOG="$FAULT_LOG" \
		${asan:+ASAN_OPTIONS=$asan} \
		timeout "$VE_TIMEOUT" "$VFIO_EARLY" --root "$ROOT" "$@"
	assert_sane_status
}

# assert_fired TEXT: the injected fault really happened.
assert_fired() {
	grep -qF -- "$1" "$FAULT_LOG" || fail "fault '$1' never fired (log: $(cat "$FAULT_LOG"))"
}

# assert_kmsg_line LINE / assert_kmsg_partial TEXT: what the fake root's log holds.
assert_kmsg_line() {
	grep -qxF -- "$1" "$ROOT/dev/kmsg" ||
		fail "no kmsg line '$1'; kmsg was:$(printf '\n'; cat "$ROOT/dev/kmsg")"
}
assert_kmsg_partial() {
	grep -qF -- "$1" "$ROOT/dev/kmsg" ||
		fail "no kmsg line with '$1'; kmsg was:$(printf '\n'; head -c 4000 "$ROOT/dev/kmsg")"
}

# Files written since the marker, for trees too large for snapshot():
# by modification time, with what vfio-early may write left out.
mark_time() {
	MARK=$BATS_TEST_TMPDIR/mark
	touch "$MARK"
	sleep 0.05
}
assert_writes_only_allowed_since_mark() {
	local f
	while IFS= read -r f; do
		case $f in
		./sys/devices/*/driver_override|./sys/bus/pci/drivers_probe|./sys/bus/pci/drivers/*/unbind) ;;
		./dev/kmsg|./run/vfio-early/*) ;;
		*) fail "unexpected write: $f" ;;
		esac
	done < <(cd "$ROOT" && find . -newer "$MARK" \( -type f -o -type l \) )
}

# The GPU of proxmox-3090 and the paths the tests poke at.
GPU=0000:09:00.0
AUDIO=0000:09:00.1
gpu_dir() { echo "$ROOT/sys/devices/pci0000:00/0000:00:01.0/$1"; }

# big_spec N: a machine with N PCI functions behind root ports 00:01.0,
# 00:01.1, ... (one bus each): every eighth slot a GPU (VGA 10de:2204 + HDMI
# audio 10de:1aef, one IOMMU group), the other slots eight USB controllers.
big_spec() {
	awk -v n="$1" 'BEGIN {
		print "osrelease 6.1.0-56-amd64"; print "cpu amd"; print "iommu on"
		print "cmdline root=/dev/nvme0n1p2 amd_iommu=on iommu=pt"
		c = 0
		for (b = 1; c < n; b++) {
			rp = sprintf("0000:00:%02x.%d", 1 + int((b - 1) / 8), (b - 1) % 8)
			printf "pci %s ids=1022:1483 class=060400 group=%d driver=pcieport\n", rp, b
			c++
			for (s = 0; s < 32 && c < n; s++) {
				g = 1000 + b * 32 + s
				a = sprintf("pci 0000:%02x:%02x", b, s)
				if (s % 8 == 0) {
					printf "%s.0 parent=%s ids=10de:2204 sub=10de:1492 class=030000 group=%d driver=nouveau\n", a, rp, g
					c++
					if (c < n) { printf "%s.1 parent=%s ids=10de:1aef sub=10de:1492 class=040300 group=%d driver=snd_hda_intel\n", a, rp, g; c++ }
				} else {
					for (f = 0; f < 8 && c < n; f++) {
						printf "%s.%d parent=%s ids=1b21:2142 sub=1043:8756 class=0c0330 group=%d driver=xhci_hcd\n", a, f, rp, g
						c++
					}
				}
			}
		}
	}'
}
