#!/bin/sh
# Test guest (tests/boot/singlegpu.bats): the first program of the real root
# (init=/lib/vfio-early-test/singlegpu.sh) of a UEFI host whose only display
# is the card.  It records what a single-GPU host's owner looks at, then
# hands over to the test root's /sbin/init (driver reports, vfio-early
# --report, exit).
#
# vfe_test.singlegpu=ADDR0,ADDR1 on the kernel command line: the card's two
# functions (full PCI addresses).  On ttyS2, each between NAME-BEGIN and
# NAME-END exit=<status>:
#   CARD     per function: "FUNC ADDR driver=NAME override=VALUE boot_vga=V"
#            and its memory BARs as "BAR ADDR INDEX START END" (hex)
#   IOMEM    /proc/iomem
#   FB       /proc/fb and the firmware framebuffer platform devices
#   LSPCI    lspci -nnk
#   INNER    with vfe_test.inner=1 only: a nested QEMU (TCG) given both
#            functions as vfio-pci devices, fed `info pci` and `quit`; its
#            stderr follows as INNER-STDERR lines
#   DMESG    the whole kernel log (after the nested QEMU)
# On ttyS1: SINGLEGPU lines (uptime around each step), SINGLEGPU-ERROR for
# a bad command line.  Busybox sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev

vfe_sg_uptime()
{
	# shellcheck disable=SC2034 # the idle time is not used
	read -r vfe_sg_up vfe_sg_idle </proc/uptime
	echo "SINGLEGPU $1 uptime=$vfe_sg_up" >>/dev/ttyS1
}

# vfe_sg_block NAME COMMAND...: COMMAND's output between NAME-BEGIN and
# NAME-END exit=STATUS on ttyS2.
vfe_sg_block()
{
	vfe_sg_name=$1
	shift
	{
		echo "$vfe_sg_name-BEGIN"
		"$@" && rc=0 || rc=$?
		echo "$vfe_sg_name-END exit=$rc"
	} >>/dev/ttyS2
}

# vfe_sg_card ADDR...: each function's driver, override, boot_vga and
# memory BARs (sysfs resource lines with IORESOURCE_MEM, 0x200).
vfe_sg_card()
{
	for vfe_sg_a in "$@"; do
		vfe_sg_d=/sys/bus/pci/devices/$vfe_sg_a
		vfe_sg_drv=none
		if [ -d "$vfe_sg_d/driver" ]; then
			vfe_sg_drv=$(cd "$vfe_sg_d/driver" && pwd -P)
			vfe_sg_drv=${vfe_sg_drv##*/}
		fi
		vfe_sg_o='(null)'
		[ -r "$vfe_sg_d/driver_override" ] && read -r vfe_sg_o <"$vfe_sg_d/driver_override"
		vfe_sg_b=-
		[ -r "$vfe_sg_d/boot_vga" ] && read -r vfe_sg_b <"$vfe_sg_d/boot_vga"
		echo "FUNC $vfe_sg_a driver=$vfe_sg_drv override=$vfe_sg_o boot_vga=$vfe_sg_b"
		vfe_sg_i=0
		while read -r vfe_sg_s vfe_sg_e vfe_sg_f; do
			if [ $((vfe_sg_f & 0x200)) -ne 0 ] && [ $((vfe_sg_e)) -gt $((vfe_sg_s)) ]; then
				printf 'BAR %s %d %x %x\n' "$vfe_sg_a" "$vfe_sg_i" $((vfe_sg_s)) $((vfe_sg_e))
			fi
			vfe_sg_i=$((vfe_sg_i + 1))
			[ "$vfe_sg_i" -lt 6 ] || break
		done <"$vfe_sg_d/resource"
	done
}

vfe_sg_fb()
{
	echo "/proc/fb:"
	cat /proc/fb 2>/dev/null
	echo "platform:"
	for vfe_sg_p in /sys/bus/platform/devices/*; do
		case ${vfe_sg_p##*/} in
		efi-framebuffer* | simple-framebuffer* | vesa-framebuffer* | simplefb*) echo "${vfe_sg_p##*/}" ;;
		esac
	done
}

# The two addresses of LIST (ADDR0,ADDR1) in vfe_sg_a0 and vfe_sg_a1; 1
# unless both are full PCI addresses.
vfe_sg_addrs()
{
	vfe_sg_a0=${1%%,*}
	vfe_sg_a1=${1#*,}
	for vfe_sg_a in "$vfe_sg_a0" "$vfe_sg_a1"; do
		case $vfe_sg_a in
		[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) ;;
		*) return 1 ;;
		esac
	done
	[ "$vfe_sg_a0" != "$vfe_sg_a1" ]
}

vfe_sg_inner()
{
	printf 'info pci\nquit\n' |
		timeout 120 qemu-system-x86_64 -accel tcg -machine q35 -m 64 -nodefaults -display none -S \
			-device "vfio-pci,host=$vfe_sg_a0,multifunction=on,addr=5.0" \
			-device "vfio-pci,host=$vfe_sg_a1,addr=5.1" -monitor stdio 2>/run/vfe-sg.err
}

vfe_sg_list=
vfe_sg_want_inner=
# shellcheck disable=SC2013 # the words of one line
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_test.singlegpu=*) vfe_sg_list=${w#*=} ;;
	vfe_test.inner=1) vfe_sg_want_inner=1 ;;
	esac
done

if vfe_sg_addrs "$vfe_sg_list"; then
	vfe_sg_uptime start
	vfe_sg_block CARD vfe_sg_card "$vfe_sg_a0" "$vfe_sg_a1"
	vfe_sg_block IOMEM cat /proc/iomem
	vfe_sg_block FB vfe_sg_fb
	vfe_sg_block LSPCI lspci -nnk
	if [ -n "$vfe_sg_want_inner" ]; then
		vfe_sg_uptime inner-start
		vfe_sg_block INNER vfe_sg_inner
		vfe_sg_uptime inner-end
		while read -r vfe_sg_line; do
			printf 'INNER-STDERR %s\n' "$vfe_sg_line"
		done </run/vfe-sg.err >>/dev/ttyS1
		rm -f /run/vfe-sg.err
	fi
	vfe_sg_block DMESG dmesg
	vfe_sg_uptime end
else
	echo "SINGLEGPU-ERROR vfe_test.singlegpu=$vfe_sg_list: expected two PCI addresses DDDD:BB:SS.F,DDDD:BB:SS.F" >>/dev/ttyS1
fi
exec /sbin/init
