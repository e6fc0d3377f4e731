#!/bin/sh
# Test guest (tests/boot/vmtake.bats): the first program of the real root
# (init=/lib/vfio-early-test/vmtake.sh) after a boot in which vfio-early
# bound a card.  It shows that a VM can take that card, then hands over to
# the test root's /sbin/init (driver reports, vfio-early --report, exit).
#
# vfe_test.vmtake=ADDR0,ADDR1 on the kernel command line: the card's two
# functions (full PCI addresses).  On ttyS2:
#   LSPCI-BEGIN / `lspci -nnk` / LSPCI-END exit=<status>
#   INNER-BEGIN / the monitor of a nested QEMU (TCG) given both functions
#     as vfio-pci devices, fed `info pci` and `quit` / INNER-END exit=<status>
# On ttyS1: VMTAKE lines (what was run, uptime before and after), the
# stderr of each as LSPCI-STDERR and INNER-STDERR lines, VMTAKE-ERROR for
# a bad command line.  Then the runtime steps (issue 19), on ttyS2 between
# RUNTIME-BEGIN and RUNTIME-END: take card 2 with reset_method=bus (a
# multi-function card: the kernel refuses a bus reset for it), take the
# NVMe 03:00.0 alone on its bus with reset_method=bus, release both, a
# second release of card 2, and a release of card 1 while a nested QEMU
# holds its group; STATE lines give each function's driver and override.
# Busybox sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev

vfe_vmtake_uptime()
{
	# shellcheck disable=SC2034 # the idle time is not used
	read -r vfe_vmtake_up vfe_vmtake_idle </proc/uptime
	echo "VMTAKE $1 uptime=$vfe_vmtake_up" >>/dev/ttyS1
}

# vfe_vmtake_stderr NAME: /run/vfe-vmtake.err as NAME-STDERR lines on ttyS1.
vfe_vmtake_stderr()
{
	while read -r vfe_vmtake_line; do
		printf '%s-STDERR %s\n' "$1" "$vfe_vmtake_line"
	done </run/vfe-vmtake.err >>/dev/ttyS1
	rm -f /run/vfe-vmtake.err
}

# vfe_vmtake_addrs LIST: the two addresses of LIST (ADDR0,ADDR1) in
# vfe_vmtake_a0 and vfe_vmtake_a1; 1 unless both are full PCI addresses.
vfe_vmtake_addrs()
{
	vfe_vmtake_a0=${1%%,*}
	vfe_vmtake_a1=${1#*,}
	for vfe_vmtake_a in "$vfe_vmtake_a0" "$vfe_vmtake_a1"; do
		case $vfe_vmtake_a in
		[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) ;;
		*) return 1 ;;
		esac
	done
	[ "$vfe_vmtake_a0" != "$vfe_vmtake_a1" ]
}

vfe_vmtake_list=
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_test.vmtake=*) vfe_vmtake_list=${w#*=} ;;
	esac
done

vfe_vmtake_uptime lspci-start
{
	echo "LSPCI-BEGIN"
	lspci -nnk 2>/run/vfe-vmtake.err && rc=0 || rc=$?
	echo "LSPCI-END exit=$rc"
} >>/dev/ttyS2
vfe_vmtake_uptime lspci-end
vfe_vmtake_stderr LSPCI

if vfe_vmtake_addrs "$vfe_vmtake_list"; then
	set -- -accel tcg -machine q35 -m 64 -nodefaults -display none -S \
		-device "vfio-pci,host=$vfe_vmtake_a0,multifunction=on,addr=5.0" \
		-device "vfio-pci,host=$vfe_vmtake_a1,addr=5.1" -monitor stdio
	echo "VMTAKE run qemu-system-x86_64 $*" >>/dev/ttyS1
	vfe_vmtake_uptime inner-start
	{
		echo "INNER-BEGIN"
		printf 'info pci\nquit\n' |
			timeout 120 qemu-system-x86_64 "$@" 2>/run/vfe-vmtake.err && rc=0 || rc=$?
		echo "INNER-END exit=$rc"
	} >>/dev/ttyS2
	vfe_vmtake_uptime inner-end
	vfe_vmtake_stderr INNER
else
	echo "VMTAKE-ERROR vfe_test.vmtake=$vfe_vmtake_list: expected two PCI addresses DDDD:BB:SS.F,DDDD:BB:SS.F" >>/dev/ttyS1
fi
# vfe_vmtake_state ADDR: "STATE ADDR driver=NAME override=VALUE reset_method=VALUE"
vfe_vmtake_state()
{
	vfe_vmtake_d=/sys/bus/pci/devices/$1
	vfe_vmtake_drv=none
	[ -e "$vfe_vmtake_d/driver" ] && vfe_vmtake_drv=$(basename "$(readlink "$vfe_vmtake_d/driver")")
	echo "STATE $1 driver=$vfe_vmtake_drv override=$(cat "$vfe_vmtake_d/driver_override")" \
		"reset_method=$(cat "$vfe_vmtake_d/reset_method" 2>/dev/null)"
}

# vfe_vmtake_run NAME COMMAND...: its output, then "NAME exit=STATUS".
vfe_vmtake_run()
{
	vfe_vmtake_name=$1
	shift
	"$@" 2>&1 && rc=0 || rc=$?
	echo "$vfe_vmtake_name exit=$rc"
}

# The PID of a process holding /dev/vfio/$1 open, or nothing.
vfe_vmtake_holder()
{
	for vfe_vmtake_fd in /proc/[0-9]*/fd/*; do
		if [ "$(readlink "$vfe_vmtake_fd" 2>/dev/null)" = "/dev/vfio/$1" ]; then
			vfe_vmtake_fd=${vfe_vmtake_fd#/proc/}
			echo "${vfe_vmtake_fd%%/*}"
			return 0
		fi
	done
	return 1
}

if vfe_vmtake_addrs "$vfe_vmtake_list"; then
	vfe_vmtake_card1=${vfe_vmtake_a0%.*}
	vfe_vmtake_card2=0000:02:00
	vfe_vmtake_nvme=0000:03:00.0
	vfe_vmtake_uptime runtime-start
	{
		echo "RUNTIME-BEGIN"
		vfe_vmtake_run TAKE-CARD2 vfio-early take --yes "$vfe_vmtake_card2" reset_method=bus
		vfe_vmtake_state "$vfe_vmtake_card2.0"
		vfe_vmtake_state "$vfe_vmtake_card2.1"
		vfe_vmtake_state "$vfe_vmtake_nvme"
		vfe_vmtake_run TAKE-NVME vfio-early take --yes "$vfe_vmtake_nvme" reset_method=bus
		vfe_vmtake_state "$vfe_vmtake_nvme"
		vfe_vmtake_run RELEASE-NVME vfio-early release "$vfe_vmtake_nvme"
		vfe_vmtake_state "$vfe_vmtake_nvme"
		vfe_vmtake_run RELEASE-CARD2 vfio-early release "$vfe_vmtake_card2"
		vfe_vmtake_state "$vfe_vmtake_card2.0"
		vfe_vmtake_state "$vfe_vmtake_card2.1"
		vfe_vmtake_run RELEASE-CARD2-AGAIN vfio-early release "$vfe_vmtake_card2"
		# card 1's group held by a VM that waits at its monitor
		vfe_vmtake_group=$(basename "$(readlink "/sys/bus/pci/devices/$vfe_vmtake_a0/iommu_group")")
		sleep 300 | qemu-system-x86_64 -accel tcg -machine q35 -m 64 -nodefaults -display none -S \
			-device "vfio-pci,host=$vfe_vmtake_a0,multifunction=on,addr=5.0" \
			-device "vfio-pci,host=$vfe_vmtake_a1,addr=5.1" -monitor stdio >/dev/null 2>&1 &
		vfe_vmtake_i=0
		while ! vfe_vmtake_pid=$(vfe_vmtake_holder "$vfe_vmtake_group") && [ $vfe_vmtake_i -lt 120 ]; do
			sleep 1
			vfe_vmtake_i=$((vfe_vmtake_i + 1))
		done
		echo "HOLDER group=$vfe_vmtake_group pid=$vfe_vmtake_pid waited=$vfe_vmtake_i"
		vfe_vmtake_run RELEASE-HELD vfio-early release "$vfe_vmtake_card1"
		vfe_vmtake_state "$vfe_vmtake_a0"
		if [ -n "$vfe_vmtake_pid" ]; then
			kill "$vfe_vmtake_pid"
			# the report below opens the group: wait until it is closed
			vfe_vmtake_i=0
			while vfe_vmtake_holder "$vfe_vmtake_group" >/dev/null && [ $vfe_vmtake_i -lt 30 ]; do
				sleep 1
				vfe_vmtake_i=$((vfe_vmtake_i + 1))
			done
		fi
		echo "RUNTIME-END exit=0"
	} >>/dev/ttyS2
	vfe_vmtake_uptime runtime-end
fi
exec /sbin/init
