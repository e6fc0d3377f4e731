# "A VM takes the card" (tests/boot/vmtake.bats, issue 12): one boot of the
# emulated two-GPU host (lib/boot.bash) with initramfs-tools.bats' s1 image
# (no config, vfio_early.devices=01:00 on the command line), on a larger
# root filesystem that also carries pciutils' lspci and a QEMU.  The root's
# first program, guest/vmtake.sh, runs `lspci -nnk` and a nested
# qemu-system-x86_64 (TCG) that takes both functions of card 1 as vfio-pci
# devices and answers `info pci`, then hands over to the test root's
# /sbin/init (driver reports, `vfio-early --report`).  Uses lib/boot.bash
# for everything else; bats-assert for the checks.
#
# Outputs in VFE_OUT (CACHE/last/vmtake): vmtake.* as vfe_boot writes them,
# lspci.txt, inner-monitor.txt (the nested QEMU's monitor, as it came),
# info-pci.txt (its answer to `info pci`), report.txt and
# report.json (the guest's `vfio-early --report`), timing.

# shellcheck source=boot.bash
source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/vmtake
# shellcheck disable=SC2034 # read by boot.bash (vfe_record_image)
VFE_KIND=itools
# BOOT-TESTS.md: the outer guest needs 1.5 GiB for a nested QEMU
VFE_VMTAKE_MEM=1536
VFE_VMTAKE_SIZE=400M
VFE_VMTAKE_QEMU_MODULE=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
VFE_VMTAKE_PCI_IDS=/usr/share/misc/pci.ids
# the nested QEMU's own time limit in the guest is 120 s (guest/vmtake.sh)
VFE_VMTAKE_TIMEOUT=$((VFE_TIMEOUT + 420))

# vfe_vmtake_copy DIR FILE...: each FILE at its own path below DIR, with
# the shared objects it loads.
vfe_vmtake_copy()
{
	local dir=$1 f lib
	shift
	for f in "$@"; do
		install -D -m 0755 "$(readlink -f "$f")" "$dir$f" || return 1
		while read -r lib; do
			[ -e "$dir$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib" || return 1
		done < <(vfe_libs "$f")
	done
}

# vfe_vmtake_inputs: what the root filesystem is made of besides
# vfe_rootfs_tree's files (its cache key).
vfe_vmtake_inputs()
{
	local qemu lspci
	qemu=$(command -v qemu-system-x86_64)
	lspci=$(command -v lspci)
	echo "vmtake-root 1 $VFE_VMTAKE_SIZE ${VFE_ROOTFS##*/}"
	declare -f vfe_rootfs_tree vfe_vmtake_copy vfe_vmtake_rootfs
	# shellcheck disable=SC2046 # paths without blanks, one a line
	sha256sum "$VFE_GUEST/vmtake.sh" "$VFE_GUEST/singlegpu.sh" "$qemu" "$lspci" "$VFE_VMTAKE_PCI_IDS" \
		$(vfe_libs "$qemu") $(vfe_libs "$lspci") 2>/dev/null | cut -d' ' -f1
	find /usr/share/qemu /usr/share/seabios /usr/lib/x86_64-linux-gnu/qemu \
		-printf '%p %y %s %T@\n' 2>/dev/null | LC_ALL=C sort
}

# vfe_vmtake_rootfs: the ext4 root of the boot (VFE_VMTAKE_SIZE, UUID
# VFE_ROOT_UUID): vfe_rootfs_tree's files (the binary VFE_ROOTFS carries)
# plus guest/vmtake.sh and guest/singlegpu.sh (singlegpu.bats boots the
# same root), lspci with /usr/share/misc/pci.ids, and
# qemu-system-x86_64 with its TCG module, /usr/share/qemu and
# /usr/share/seabios, each binary with its libraries.  Cached; one is kept.
vfe_vmtake_rootfs()
{
	local key out dir bin libs=()
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$(vfe_vmtake_inputs | sha256sum | head -c 16)
	out=$VFE_CACHE/vmtake-root-$key.ext4
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE"/vmtake-root-*.ext4
	dir=$(mktemp -d)
	{
		vfe_rootfs_tree "$dir" "$bin" "${libs[@]}" &&
			install -m 0755 "$VFE_GUEST/vmtake.sh" "$dir/lib/vfio-early-test/vmtake.sh" &&
			install -m 0755 "$VFE_GUEST/singlegpu.sh" "$dir/lib/vfio-early-test/singlegpu.sh" &&
			vfe_vmtake_copy "$dir" "$(command -v lspci)" "$(command -v qemu-system-x86_64)" &&
			install -D -m 0644 "$VFE_VMTAKE_PCI_IDS" "$dir$VFE_VMTAKE_PCI_IDS" &&
			mkdir -p "$dir/usr/share" && cp -a /usr/share/qemu /usr/share/seabios "$dir/usr/share/"
	} >&2 || { rm -rf "$dir"; return 1; }
	# QEMU's TCG accelerator module (without it "could not load module
	# for type 'tcg-accel-ops'"), when this QEMU is built modular
	if [ -e "$VFE_VMTAKE_QEMU_MODULE" ] && ! vfe_vmtake_copy "$dir" "$VFE_VMTAKE_QEMU_MODULE" >&2; then
		rm -rf "$dir"
		return 1
	fi
	vfe_root_ext4 "$dir" "$VFE_VMTAKE_SIZE" "$out" || return 1
	echo "$out"
}

# vfe_qemu_args_vmtake IOMMU: vfe_qemu_args' host with the root of
# vfe_vmtake_rootfs (VFE_VMTAKE_ROOTFS) and VFE_VMTAKE_MEM of memory
# (booted as IOMMU@vmtake).
vfe_qemu_args_vmtake()
{
	# shellcheck disable=SC2034 # read by vfe_qemu_machine
	local VFE_ROOTFS=$VFE_VMTAKE_ROOTFS VFE_QEMU_MEM=$VFE_VMTAKE_MEM
	vfe_qemu_args "$1"
}

# vfe_vmtake_setup: stage, the s1 image of initramfs-tools.bats (same
# inputs: the cached one when that suite built it), the root filesystem,
# one boot; outputs in VFE_OUT.
vfe_vmtake_setup()
{
	local stage prot img t1
	vfe_boot_setup mkinitramfs || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	# lspci (pciutils, in tests/deps): the guest's check needs it
	command -v lspci >/dev/null || { vfe_log "lspci (pciutils) is not installed"; return 1; }
	stage=$VFE_STAGE
	prot=$(vfe_guest_protected) || return 1
	img=$(vfe_image itools noconf "$stage" "" "$prot" test "$VFE_KVER") || return 1
	VFE_VMTAKE_ROOTFS=$(vfe_vmtake_rootfs) || return 1
	export VFE_VMTAKE_ROOTFS
	t1=$(date +%s)

	VFE_TIMEOUT=$VFE_VMTAKE_TIMEOUT vfe_boot vmtake "$img" 1@vmtake vfio_early.devices=01:00 \
		init=/lib/vfio-early-test/vmtake.sh "vfe_test.vmtake=$VFE_CARD1_VGA,$VFE_CARD1_HDA"
	echo "$img" >"$VFE_OUT/vmtake.image"
	vfe_vmtake_block LSPCI >"$VFE_OUT/lspci.txt"
	vfe_vmtake_block INNER >"$VFE_OUT/inner-monitor.txt"
	# the answer to `info pci`, without the monitor's echo of the input
	grep '^  ' "$VFE_OUT/inner-monitor.txt" >"$VFE_OUT/info-pci.txt"
	vfe_report vmtake text >"$VFE_OUT/report.txt"
	vfe_report vmtake json >"$VFE_OUT/report.json"
	{
		echo "kind=vmtake accel=$VFE_ACCEL kernel=$VFE_KVER root=${VFE_VMTAKE_ROOTFS##*/}"
		echo "image and root: $((t1 - VFE_SETUP_T0)) s"
		vfe_boot_lines vmtake
		sed -n 's/^VMTAKE \([a-z-]*\) uptime=/guest \1: uptime /p' "$VFE_OUT/vmtake.result"
	} | vfe_boot_timing vmtake
}

vfe_vmtake_skip()
{
	vfe_boot_skip
}

# --- parsers ------------------------------------------------------------------

# vfe_vmtake_block NAME: the lines between NAME-BEGIN and NAME-END on the
# guest's ttyS2 (vmtake.report).  The end marker may follow the last line
# of output that does not end in a newline (the monitor's prompt).
vfe_vmtake_block()
{
	vfe_block "$VFE_OUT/vmtake.report" "$1-BEGIN" "$1-END exit="
}

# vfe_vmtake_exit NAME: the exit status on NAME-END ("" = it never ended).
vfe_vmtake_exit()
{
	vfe_block_exit "$VFE_OUT/vmtake.report" "$1-END exit="
}

# vfe_vmtake_lspci ADDR: lspci's block about ADDR (bus:slot.function, as
# lspci prints it without -D): its first line and the indented ones below.
vfe_vmtake_lspci()
{
	vfe_vmtake_block LSPCI | awk -v a="$1" '
		/^[^\t ]/ { on = (index($0, a " ") == 1) }
		on'
}

# vfe_inner_pci SLOT FUNCTION: from a nested QEMU's `info pci` on stdin,
# the entry for bus 0, device SLOT, function FUNCTION (heading and the
# lines below it, up to the next device).
vfe_inner_pci()
{
	awk -v s="$1" -v f="$2" '
		/^ *Bus +[0-9]+, device +[0-9]+, function +[0-9]+:/ {
			split($0, w, /[ ,:]+/)
			on = 0
			for (i = 1; i in w; i++)
				if (w[i] == "Bus" && w[i + 1] == 0 && w[i + 2] == "device" &&
				    w[i + 3] == s && w[i + 4] == "function" && w[i + 5] == f)
					on = 1
		}
		on'
}

# vfe_vmtake_inner_function SLOT FUNCTION: vfe_inner_pci on this boot's INNER block.
vfe_vmtake_inner_function()
{
	vfe_vmtake_block INNER | vfe_inner_pci "$1" "$2"
}
