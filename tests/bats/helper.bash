# Shared helpers for the CLI tests: fake roots from tests/fixtures specs,
# the binary run under --root, and a before/after snapshot of the tree.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
: "${VFIO_EARLY:=$TOP/vfio-early}"
: "${MKFAKESYS:=$TOP/build/default/mkfakesys}"

# make_root SPEC [EXTRA-SPEC-LINES]: $ROOT is a fresh fake machine.
make_root() {
	ROOT=$BATS_TEST_TMPDIR/root
	rm -rf "$ROOT"
	{ cat "$TOP/tests/fixtures/$1.spec"; printf '\n%s\n' "${2:-}"; } > "$BATS_TEST_TMPDIR/spec"
	"$MKFAKESYS" "$BATS_TEST_TMPDIR/spec" "$ROOT"
}

set_cmdline() { printf '%s\n' "$*" > "$ROOT/proc/cmdline"; }

# The initramfs: nothing mounted from a disk yet, so boot mode is the early
# pass the shim runs.  (With "/" mounted the fake root is a booted host,
# where a run by hand acts only on --yes or at a terminal.)
in_initramfs() { : > "$ROOT/proc/self/mountinfo"; }
set_config() { printf '%s\n' "$@" > "$ROOT/etc/vfio-early.conf"; }

ve() { run "$VFIO_EARLY" --root "$ROOT" "$@"; }

kmsg() { cat "$ROOT/dev/kmsg"; }
override() { cat "$ROOT/sys/bus/pci/devices/$1/driver_override"; }

# Every file and link with its content, to compare before and after
# ("PATH HASH" and "PATH -> TARGET" lines; one md5sum for the whole tree).
snapshot() {
	(cd "$ROOT" && {
		find . -type l -printf '%p -> %l\n'
		find . -type f -print0 | xargs -0 -r md5sum | sed 's/^\([0-9a-f]*\)  \(.*\)$/\2 \1/'
	} | LC_ALL=C sort)
}

# Files that changed since snapshot $1, one per line (the log excluded).
changed_since() {
	diff <(printf '%s\n' "$1") <(snapshot) | sed -n 's/^> \(\.[^ ]*\) .*/\1/p' |
		grep -v -e '^\./dev/kmsg$' -e '^\./run/vfio-early/' || true
}

# Only what vfio-early may write, whatever the rules said.
assert_writes_only_allowed() {
	local f
	for f in $(changed_since "$1"); do
		case $f in
		./sys/devices/*/driver_override|./sys/bus/pci/drivers_probe|./sys/bus/pci/drivers/*/unbind) ;;
		*) fail "unexpected write: $f" ;;
		esac
	done
}

# A modules tree for the fake root's kernel from the host's real vfio
# modules; skips when the host has none (CI installs linux-image-amd64).
fake_modules() {
	local src kver
	src=$(ls -d /lib/modules/*/kernel/drivers/vfio 2>/dev/null | head -n 1)
	[ -n "$src" ] || skip "no vfio modules on this machine"
	src=${src%/kernel/drivers/vfio}
	kver=${src##*/}
	echo "$kver" > "$ROOT/proc/sys/kernel/osrelease"
	mkdir -p "$ROOT/lib/modules/$kver/kernel/drivers"
	cp -r "$src/kernel/drivers/vfio" "$ROOT/lib/modules/$kver/kernel/drivers/"
	mkdir -p "$ROOT/lib/modules/$kver/kernel/virt/lib"
	cp "$src"/kernel/virt/lib/irqbypass.ko* "$ROOT/lib/modules/$kver/kernel/virt/lib/" 2>/dev/null || true
	cp "$src"/modules.order "$src"/modules.builtin "$src"/modules.builtin.modinfo \
		"$ROOT/lib/modules/$kver/" 2>/dev/null || true
	depmod -b "$ROOT" "$kver"
	KVER=$kver
}

# fake_variant MODULE ALIAS...: a vfio-pci variant driver's module in the
# fake root's kernel (after fake_modules): a relocatable object whose
# .modinfo section carries the aliases, as modpost writes a variant's
# override-only table ("vfio_pci:v...").  depmod indexes it like a real
# module; nothing ever inserts it.
fake_variant() {
	local mod=$1 dir=$ROOT/lib/modules/$KVER/kernel/drivers/vfio/pci a info
	shift
	info=$BATS_TEST_TMPDIR/$mod.modinfo
	: > "$info"
	for a in "$@"; do printf 'alias=%s\0' "$a" >> "$info"; done
	printf 'license=GPL\0name=%s\0' "$mod" >> "$info"
	printf '' > "$BATS_TEST_TMPDIR/empty.c"
	cc -c -o "$BATS_TEST_TMPDIR/empty.o" "$BATS_TEST_TMPDIR/empty.c"
	mkdir -p "$dir"
	objcopy --add-section .modinfo="$info" --set-section-flags .modinfo=alloc,readonly \
		"$BATS_TEST_TMPDIR/empty.o" "$dir/$mod.ko"
	depmod -b "$ROOT" "$KVER" 2>/dev/null
}

# The vfio stack as built-in modules of the fake root's kernel: libkmod
# then finds them without any .ko file (depmod builds the index).
fake_builtin_modules() {
	local kver
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/lib/modules/$kver"
	printf '%s\n' kernel/drivers/vfio/vfio.ko kernel/drivers/vfio/vfio_iommu_type1.ko \
		kernel/drivers/vfio/pci/vfio-pci-core.ko kernel/drivers/vfio/pci/vfio-pci.ko \
		kernel/virt/lib/irqbypass.ko > "$ROOT/lib/modules/$kver/modules.builtin"
	: > "$ROOT/lib/modules/$kver/modules.order"
	depmod -b "$ROOT" "$kver" 2>/dev/null
}

# A pci.ids with the names the fixtures use (the real database is large).
fake_pciids() {
	mkdir -p "$ROOT/usr/share/misc"
	cat > "$ROOT/usr/share/misc/pci.ids" <<'IDS'
# a few entries in pci.ids format
10de  NVIDIA Corporation
	1aef  GA102 High Definition Audio Controller
	1e87  TU104 [GeForce RTX 2080 Rev. A]
	1f82  TU117 [GeForce GTX 1650]
	2204  GA102 [GeForce RTX 3090]
		10de 1492  GA102 [GeForce RTX 3090]
144d  Samsung Electronics Co Ltd
	a808  NVMe SSD Controller SM981/PM981/PM983
8086  Intel Corporation
	3e92  CoffeeLake-S GT2 [UHD Graphics 630]
	a348  Cannon Lake PCH cAVS
C 03  Display controller
	00  VGA compatible controller
IDS
}

# Compare output with tests/expected/NAME, the kernel release made neutral.
# UPDATE_GOLDEN=1 rewrites the expected file instead.
assert_golden() {
	local name=$1 expected=$TOP/tests/expected/$1 kver
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	output=$(printf '%s\n' "$output" | sed -e "s|$kver|KVER|g" -e "s|$ROOT|ROOT|g")
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$output" > "$expected"
	fi
	diff -u "$expected" <(printf '%s\n' "$output")
}

# The image build and the boot on two trees (tests/bats/safety.bats).
# build_tree SPEC [EXTRA-SPEC-LINES]: $BUILD_ROOT is the host as the image
# build sees it.
build_tree() {
	BUILD_ROOT=$BATS_TEST_TMPDIR/build-root
	rm -rf "$BUILD_ROOT"
	{ cat "$TOP/tests/fixtures/$1.spec"; printf '\n%s\n' "${2:-}"; } > "$BATS_TEST_TMPDIR/build-spec"
	"$MKFAKESYS" "$BATS_TEST_TMPDIR/build-spec" "$BUILD_ROOT"
}

# build_list: the real hook on $BUILD_ROOT writes $LIST; its warnings are in
# $HOOK_ERR.  PATH may carry a stub zpool.
build_list() {
	LIST=$BATS_TEST_TMPDIR/protected
	HOOK_ERR=$BATS_TEST_TMPDIR/hook.err
	VFIO_EARLY_ROOT=$BUILD_ROOT sh "$TOP/hook/vfio-early-protected" "$VFIO_EARLY" "$LIST" \
		2> "$HOOK_ERR"
}

# boot_tree SPEC [EXTRA-SPEC-LINES]: $ROOT is the machine at boot, with the
# image's list (when build_list wrote one) in lib/vfio-early/protected.
boot_tree() {
	make_root "$1" "${2:-}"
	if [ -n "${LIST:-}" ] && [ -f "$LIST" ]; then
		mkdir -p "$ROOT/lib/vfio-early"
		cp "$LIST" "$ROOT/lib/vfio-early/protected"
	fi
}

# assert_overrides ADDR=VALUE...: each device's driver_override, exactly.
assert_overrides() {
	local kv addr want got bad=""
	for kv in "$@"; do
		addr=${kv%%=*} want=${kv#*=}
		got=$(cat "$ROOT/sys/bus/pci/devices/$addr/driver_override")
		[ "$got" = "$want" ] || bad="$bad $addr: '$got' (expected '$want');"
	done
	[ -z "$bad" ] || fail "driver_override:$bad"$'\n'"$(kmsg)"
	# A mistyped rule would make a refusal look like a pass.
	if kmsg | grep -Eq 'vfio-early\.conf:[0-9]+: '; then
		fail "a rule was rejected:"$'\n'"$(kmsg)"
	fi
}
