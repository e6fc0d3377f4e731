#!/bin/bash
# bench/boot.sh: the boot-level benchmarks of `make bench` (a table on stdout).
#
# 1. Bytes vfio-early adds to an initramfs: the same image built with and
#    without it (the vfio modules are in both: they are needed either way),
#    dynamic and static binary, initramfs-tools and dracut.
# 2. Boot-to-bound in the QEMU guest of tests/boot: when card 1 (01:00.0) is
#    on vfio-pci, from kernel-log timestamps, for vfio-early (dynamic and
#    static) and for the guide's recipe (options vfio-pci ids= + softdep in
#    modprobe.d, the same image builder).  A test-only init-top script in
#    every image polls the card's driver link and stamps the kernel log when
#    it is vfio-pci, so all three are measured the same way.
#
# Under TCG the guest's clock runs on emulated time: compare the rows with
# each other, not with real hardware.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
REPS=${BOOT_REPS:-3}
# shellcheck source=../tests/boot/lib/boot.bash
source "$TOP/tests/boot/lib/boot.bash"
VFE_OUT=$VFE_CACHE/bench
mkdir -p "$VFE_OUT"

for tool in mkinitramfs dracut zstd qemu-system-x86_64; do
	command -v "$tool" > /dev/null || { echo "bench/boot.sh: $tool not installed, skipped" >&2; exit 0; }
done
vfe_prepare > /dev/null || { echo "bench/boot.sh: guest not ready, skipped" >&2; exit 0; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vfe_stage "$work/dyn" || exit 1
# As a package ships it (dh_strip); make install leaves the debug symbols.
strip "$work/dyn/usr/sbin/vfio-early"
STATIC=
if [ -x "$TOP/vfio-early-static" ]; then
	STATIC=$TOP/vfio-early-static
fi
prot=$(vfe_guest_protected)
VFIO_MODS="vfio vfio_iommu_type1 vfio-pci vfio-pci-core irqbypass vfio_virqfd"

# The probe: started before udev, stamps the kernel log once 01:00.0 is on
# vfio-pci (polls every 20 ms, gives up after 60 s).
mkdir -p "$work/probe"
cat > "$work/probe/00-bench-probe" <<'EOF'
#!/bin/sh
PREREQ=""
case "${1:-}" in prereqs) echo "$PREREQ"; exit 0 ;; esac
(
	n=0
	while [ $n -lt 3000 ]; do
		d=$(readlink /sys/bus/pci/devices/0000:01:00.0/driver 2>/dev/null)
		if [ "${d##*/}" = vfio-pci ]; then
			echo "<6>bench-probe: 0000:01:00.0 on vfio-pci" > /dev/kmsg
			exit 0
		fi
		sleep 0.02
		n=$((n + 1))
	done
) &
exit 0
EOF
chmod 0755 "$work/probe/00-bench-probe"

# The guide's recipe for the emulated card (1234:1111 VGA + 8086:293e audio),
# written into the image as update-initramfs copies /etc/modprobe.d.
cat > "$work/recipe-hook" <<'EOF'
#!/bin/sh
PREREQ=""
case "${1:-}" in prereqs) echo "$PREREQ"; exit 0 ;; esac
mkdir -p "${DESTDIR}/etc/modprobe.d"
cat > "${DESTDIR}/etc/modprobe.d/vfio.conf" <<'CONF'
options vfio-pci ids=1234:1111,8086:293e
softdep bochs pre: vfio-pci
softdep snd_hda_intel pre: vfio-pci
CONF
exit 0
EOF
chmod 0755 "$work/recipe-hook"

# itools_image OUT BINARY|"" PROBE(0|1) RECIPE(0|1): an initramfs-tools image.
itools_image() {
	local out=$1 bin=$2 probe=$3 recipe=$4 conf
	conf=$work/conf.$RANDOM
	mkdir -p "$conf"/{conf.d,hooks,scripts/init-top}
	printf '%s\n' MODULES=list BUSYBOX=y KEYMAP=n COMPRESS=zstd COMPRESSLEVEL=1 \
		RUNSIZE=10% FSTYPE=auto > "$conf/initramfs.conf"
	printf '%s\n' $VFIO_MODS > "$conf/modules"
	if [ -n "$bin" ]; then
		cp -p "$work/dyn/usr/share/initramfs-tools/hooks/vfio-early" "$conf/hooks/"
		cp -p "$work/dyn/usr/share/initramfs-tools/scripts/init-top/00-vfio-early" "$conf/scripts/init-top/"
	fi
	[ "$probe" = 0 ] || cp -p "$work/probe/00-bench-probe" "$conf/scripts/init-top/"
	[ "$recipe" = 0 ] || cp -p "$work/recipe-hook" "$conf/hooks/vfio-recipe"
	vfe_image_env "$work/dyn" "" "$prot"
	env "${VFE_IMAGE_ENV[@]}" ${bin:+VFIO_EARLY_BINARY=$bin} \
		mkinitramfs -d "$conf" -o "$out" "$VFE_KVER" > "$out.log" 2>&1
	rm -rf "$conf"
}

# dracut_image OUT BINARY|"": a dracut image with or without the module.
dracut_image() {
	local out=$1 bin=$2 base mods="base udev-rules fs-lib rootfs-block"
	base=$work/dracut.$RANDOM
	mkdir -p "$base"
	cp -a /usr/lib/dracut/. "$base/"
	mkdir -p "$base/confdir"
	if [ -n "$bin" ]; then
		cp -a "$work/dyn/usr/lib/dracut/modules.d/90vfio-early" "$base/modules.d/"
		mods="$mods vfio-early"
	fi
	vfe_image_env "$work/dyn" "" "$prot"
	env "${VFE_IMAGE_ENV[@]}" ${bin:+VFIO_EARLY_BINARY=$bin} dracutbasedir="$base" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline --conf /dev/null \
		--confdir "$base/confdir" --modules "$mods" --add-drivers "$VFIO_MODS" \
		--no-early-microcode --compress "zstd -1 -q" --kver "$VFE_KVER" "$out" > "$out.log" 2>&1
	rm -rf "$base"
}

# Compressed bytes, and the unpacked cpio bytes.
sizes() { echo "$(stat -c %s "$1") $(zstd -dc < "$1" 2> /dev/null | wc -c)"; }

echo "### Initramfs cost (kernel $VFE_KVER, zstd -1; vfio modules in every image)"
echo
echo "| packager | binary | image bytes | added | unpacked bytes | added |"
echo "|---|---|---:|---:|---:|---:|"
for kind in itools dracut; do
	"${kind}_image" "$work/$kind-none.img" "" 0 0
	read -r c0 u0 <<< "$(sizes "$work/$kind-none.img")"
	name=$([ $kind = itools ] && echo initramfs-tools || echo dracut)
	echo "| $name | none | $c0 | | $u0 | |"
	for b in dynamic ${STATIC:+static}; do
		bin=$work/dyn/usr/sbin/vfio-early
		[ $b = dynamic ] || bin=$STATIC
		if [ $kind = itools ]; then itools_image "$work/$kind-$b.img" "$bin" 0 0
		else dracut_image "$work/$kind-$b.img" "$bin"; fi
		read -r c u <<< "$(sizes "$work/$kind-$b.img")"
		echo "| $name | vfio-early ($b) | $c | $((c - c0)) | $u | $((u - u0)) |"
	done
done
echo

echo "### Boot to bound (QEMU $VFE_ACCEL, initramfs-tools, $REPS boots each, medians)"
echo
itools_image "$work/b-dyn.img" "$work/dyn/usr/sbin/vfio-early" 1 0
[ -z "$STATIC" ] || itools_image "$work/b-static.img" "$STATIC" 1 0
itools_image "$work/b-recipe.img" "" 1 1

# ts NAME PATTERN: kernel timestamp (s) of the first console line matching.
ts() {
	awk -v pat="$2" 'index($0, pat) && match($0, /^\[ *[0-9.]+\]/) {
		t = substr($0, 2, RLENGTH - 2); gsub(/ /, "", t); print t; exit }' "$VFE_OUT/$1.console"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

echo "| setup | kernel start → 01:00.0 on vfio-pci (s) | vfio-early first line → summary (ms) | kernel start → vfio-early summary (s) |"
echo "|---|---:|---:|---:|"
for setup in dyn ${STATIC:+static} recipe; do
	: > "$work/t-bound"; : > "$work/t-run"; : > "$work/t-sum"
	specs=()
	for r in $(seq "$REPS"); do
		if [ $setup = recipe ]; then
			specs+=("bench-$setup-$r|$work/b-$setup.img|1|")
		else
			specs+=("bench-$setup-$r|$work/b-$setup.img|1|vfio_early.devices=01:00")
		fi
	done
	vfe_boot_all "${specs[@]}"
	for r in $(seq "$REPS"); do
		n=bench-$setup-$r
		b=$(ts "$n" "bench-probe: 0000:01:00.0 on vfio-pci")
		[ -n "$b" ] && echo "$b" >> "$work/t-bound"
		if [ $setup != recipe ]; then
			f=$(ts "$n" "vfio-early: ")
			s=$(ts "$n" "vfio-early: summary")
			[ -n "$f" ] && [ -n "$s" ] && {
				awk -v a="$f" -v b="$s" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$work/t-run"
				echo "$s" >> "$work/t-sum"
			}
		fi
	done
	case $setup in
	dyn) label="vfio-early (dynamic)" ;;
	static) label="vfio-early (static)" ;;
	*) label="guide's recipe (ids= + softdep)" ;;
	esac
	run=$(median < "$work/t-run"); sum=$(median < "$work/t-sum")
	[ $setup != recipe ] || { run="-"; sum="-"; }
	echo "| $label | $(median < "$work/t-bound") | $run | $sum |"
done
echo
echo "Consoles: $VFE_OUT/bench-*.console"
