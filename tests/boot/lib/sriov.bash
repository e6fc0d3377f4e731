# SR-IOV VFs for vfio-pci on a real kernel (tests/boot/sriov.bats, issue 19
# item 4): the `vfs=N` rule option.  The emulated host is vfe_qemu_args'
# (lib/boot.bash) plus an SR-IOV physical function: QEMU's NVMe controller
# (1b36:0010, driver nvme, whose sriov_configure makes VFs when
# sriov_numvfs is written) in an NVMe subsystem, behind a root port of its
# own (00:06.0, bus 5): VFE_SRIOV_PF, offering VFE_SRIOV_TOTAL VFs.  QEMU
# 7.2 wants for SR-IOV: a subsystem (`nvme-subsys`, `subsys=`), no legacy
# `drive=` on the controller, and both sriov_vq_flexible (>= 2 per VF) and
# sriov_vi_flexible (>= 1 per VF) set; the defaults max_ioqpairs=64 and
# msix_qsize=65 cover them.  The controller has no namespace: nothing on it
# is the host's.
#
# Boots (initramfs-tools images, the config of each built in; the root's
# first program guest/sriov.sh, see there), and "dracut", the make config in
# a dracut image, without steps:
#   make     config "address PF vfs=2"; in the root, vfio-early runs again
#            with the count the PF has (again) and with one more (other)
#   refused  config "address PF vfs=TOTAL+1"; in the root, a run without
#            --yes (unasked), then the PF is taken to vfio-pci and a rule
#            with vfs=2 meets vfio-pci's refusal (refused)
# Outputs in VFE_OUT (CACHE/last/sriov): NAME.* as vfe_boot writes them,
# NAME.conf (the config in the image), timing.

# shellcheck source=boot.bash
source "$BATS_TEST_DIRNAME/lib/boot.bash"
bats_load_library bats-support
bats_load_library bats-assert

VFE_OUT=${VFIO_EARLY_BOOT_OUT:-$VFE_CACHE/last}/sriov
# shellcheck disable=SC2034 # read by boot.bash (vfe_record_image)
VFE_KIND=itools
VFE_SRIOV_PF=0000:05:00.0
VFE_SRIOV_TOTAL=4
VFE_SRIOV_WANT=2

# vfe_qemu_args_sriov IOMMU: vfe_qemu_args' host with the root of
# vfe_sriov_rootfs (VFE_SRIOV_ROOTFS) and the SR-IOV NVMe behind root port
# 00:06.0 (booted as IOMMU@sriov).
# shellcheck disable=SC2054 # commas inside QEMU option values
vfe_qemu_args_sriov()
{
	# shellcheck disable=SC2034 # read by vfe_qemu_args
	local VFE_ROOTFS=${VFE_SRIOV_ROOTFS:-$VFE_ROOTFS}
	vfe_qemu_args "$1"
	VFE_QEMU_ARGS+=(
		-device pcie-root-port,id=rp6,bus=pcie.0,addr=0x6.0,chassis=6
		-device nvme-subsys,id=vfesriov,nqn=vfe-sriov
		-device "nvme,id=sriovpf,bus=rp6,serial=vfe-sriov-pf,subsys=vfesriov,sriov_max_vfs=$VFE_SRIOV_TOTAL,sriov_vq_flexible=$((2 * VFE_SRIOV_TOTAL)),sriov_vi_flexible=$VFE_SRIOV_TOTAL")
}

# vfe_sriov_rootfs: the usual test root (vfe_rootfs_tree) plus
# guest/sriov.sh, as an ext4 (UUID VFE_ROOT_UUID) cached by its inputs;
# one is kept.
vfe_sriov_rootfs()
{
	local key out dir bin libs=()
	bin=$(vfe_rootfs_binary)
	[ -z "$bin" ] || vfe_is_static "$bin" || mapfile -t libs < <(vfe_libs "$bin")
	key=$( (echo "sriov-root 1 $VFE_ROOT_UUID $VFE_KVER"
		declare -f vfe_rootfs_tree vfe_sriov_rootfs
		sha256sum "$VFE_GUEST/init" "$VFE_GUEST/report.sh" "$VFE_GUEST/safety.sh" \
			"$VFE_GUEST/sriov.sh" "$(command -v busybox)" ${bin:+"$bin"} "${libs[@]}" |
			cut -d' ' -f1) | sha256sum | head -c 16)
	out=$VFE_CACHE/sriov-root-$key.ext4
	if [ -s "$out" ]; then
		echo "$out"
		return 0
	fi
	rm -f "$VFE_CACHE"/sriov-root-*.ext4
	dir=$(mktemp -d)
	if ! vfe_rootfs_tree "$dir" "$bin" "${libs[@]}" >&2 ||
		! install -m 0755 "$VFE_GUEST/sriov.sh" "$dir/lib/vfio-early-test/sriov.sh"; then
		rm -rf "$dir"
		return 1
	fi
	vfe_root_ext4 "$dir" 48M "$out" || return 1
	echo "$out"
}

# vfe_sriov_setup: stage, the guest's protected list (recorded on this
# host), the root, one image per config, both boots; outputs in VFE_OUT.
vfe_sriov_setup()
{
	local prot name img t1 t2 specs=() conf
	vfe_boot_setup mkinitramfs dracut || return 1
	[ -z "$VFE_SKIP_REASON" ] || return 0
	VFE_SRIOV_ROOTFS=$(vfe_sriov_rootfs) || return 1
	export VFE_SRIOV_ROOTFS
	prot=$(vfe_guest_protected sriov) || return 1
	cp "$prot" "$VFE_OUT/list-sriov"
	t1=$(date +%s)
	for name in make refused; do
		conf=$VFE_OUT/$name.conf
		case $name in
		make) echo "address $VFE_SRIOV_PF vfs=$VFE_SRIOV_WANT" ;;
		refused) echo "address $VFE_SRIOV_PF vfs=$((VFE_SRIOV_TOTAL + 1))" ;;
		esac >"$conf"
		img=$(vfe_image itools "sriov-$name" "$VFE_STAGE" "$conf" "$prot" test "$VFE_KVER") || return 1
		specs+=("$name|$img|1@sriov|init=/lib/vfio-early-test/sriov.sh vfe_test.sriov=$VFE_SRIOV_PF")
	done
	specs[0]+=" vfe_test.sriov_steps=again,other"
	specs[1]+=" vfe_test.sriov_steps=unasked,refused"
	# the make config on dracut (late pass: the pre-pivot hook), no steps
	img=$(vfe_image dracut sriov-make "$VFE_STAGE" "$VFE_OUT/make.conf" "$prot" test "$VFE_KVER") || return 1
	specs+=("dracut|$img|1@sriov|init=/lib/vfio-early-test/sriov.sh vfe_test.sriov=$VFE_SRIOV_PF")
	t2=$(date +%s)
	vfe_boot_specs "${specs[@]}"
	{
		echo "kind=sriov accel=$VFE_ACCEL kernel=$VFE_KVER root=${VFE_SRIOV_ROOTFS##*/}"
		echo "root and list: $((t1 - VFE_SETUP_T0)) s$(vfe_record_lines record-sriov | sed "s/^/ (recording boot: /; s/; $/)/")"
		echo "images: $((t2 - t1)) s"
		vfe_boot_lines "${specs[@]}"
	} | vfe_boot_timing sriov
}

vfe_sriov_skip()
{
	vfe_boot_skip
}

# --- parsers ------------------------------------------------------------------

# vfe_sriov_pf NAME MOMENT: the PF line of MOMENT (boot, again, other, take,
# refused), from "driver=" on.
vfe_sriov_pf()
{
	awk -v m="$2" '$1 == "PF" && $2 == m { sub(/^PF [^ ]+ [^ ]+ /, ""); print; exit }' \
		"$VFE_OUT/$1.result"
}

# vfe_sriov_vfs NAME MOMENT: the VF lines of MOMENT, "K ADDR IDS driver=...
# override=... group=...".
vfe_sriov_vfs()
{
	awk -v m="$2" '$1 == "VF" && $2 == m { sub(/^VF [^ ]+ /, ""); print }' "$VFE_OUT/$1.result"
}

# vfe_sriov_vf NAME MOMENT K: the address of virtfnK at MOMENT.
vfe_sriov_vf()
{
	vfe_sriov_vfs "$1" "$2" | awk -v k="$3" '$1 == k { print $2 }'
}

# vfe_sriov_run NAME STEP: what the root's run STEP (AGAIN, OTHER, TAKE,
# REFUSED) printed; vfe_sriov_run_exit NAME STEP: its exit status.
vfe_sriov_run()
{
	vfe_block "$VFE_OUT/$1.report" "RUN-$2-BEGIN" "RUN-$2-END exit="
}

vfe_sriov_run_exit()
{
	vfe_block_exit "$VFE_OUT/$1.report" "RUN-$2-END exit="
}

# vfe_sriov_kmsg_since NAME TEXT: vfio-early's kernel-log lines from the
# first one holding TEXT on.
vfe_sriov_kmsg_since()
{
	vfe_kmsg "$1" | awk -v t="$2" 'index($0, t) { on = 1 } on'
}
