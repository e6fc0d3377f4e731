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
# a bad command line.  Busybox sh.
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
exec /sbin/init
