#!/bin/sh
# Test guest (tests/boot/hostneeds-*.bats, issue 18): the first program of
# the real root (init=/lib/vfio-early-test/hostneeds.sh).  It says where the
# root filesystem lives and, on a host with a management NIC, sets up the
# network a Proxmox host has before anything else runs, then hands over to
# the test root's /sbin/init (driver reports, fstab, vfio-early
# --list-protected on vfe_test.record, --report).
#
# On ttyS1:
#   ROOTDEV <device> <sysfs path of the block device>
# With vfe_test.mgmt=ADDR (the NIC's full PCI address) on the command line:
# a bridge vmbr0 with the NIC's interface as its port, 192.0.2.10/24 on
# vmbr0, a default route via 192.0.2.1 (TEST-NET-1: QEMU's restricted user
# network answers there and nowhere else), and
#   NETIF <addr> <ifname> driver=<driver>
#   LINK <ifname> operstate=<state> master=<bridge>
#   LINK vmbr0 operstate=<state> master=-
#   ADDR vmbr0 <address/prefix>
#   ROUTE <the default route as `ip route` prints it>
#   PING 192.0.2.1 ok|failed
#   NET-ERROR <what went wrong>        (no interface, a failed command)
# Busybox sh; busybox's ip and brctl, the bridge modules from the root's
# /lib/modules.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev

vfe_hn_out=/dev/ttyS1

vfe_hn_error()
{
	echo "NET-ERROR $*" >>"$vfe_hn_out"
}

# vfe_hn_run COMMAND...: run it; a failure is a NET-ERROR line.
vfe_hn_run()
{
	"$@" 2>/run/vfe-hn.err && return 0
	vfe_hn_error "$* failed: $(cat /run/vfe-hn.err)"
	return 1
}

# the root's block device and where sysfs puts it (its controller's path)
while read -r vfe_hn_dev vfe_hn_mnt _; do
	[ "$vfe_hn_mnt" = / ] || continue
	case $vfe_hn_dev in
	/dev/*)
		vfe_hn_path=$(cd "/sys/class/block/${vfe_hn_dev#/dev/}" 2>/dev/null && pwd -P)
		echo "ROOTDEV $vfe_hn_dev ${vfe_hn_path:-unknown}" >>"$vfe_hn_out"
		;;
	esac
done </proc/mounts

vfe_hn_nic=
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_test.mgmt=*) vfe_hn_nic=${w#*=} ;;
	esac
done

# vfe_hn_operstate IFNAME: the interface's operstate once it is "up" (or
# after 15 s, whatever it is then: e1000e's link comes up after a second
# or two, a bridge once its port forwards).
vfe_hn_operstate()
{
	vfe_hn_i=0
	while [ "$vfe_hn_i" -lt 30 ]; do
		read -r vfe_hn_state <"/sys/class/net/$1/operstate"
		[ "$vfe_hn_state" = up ] && break
		sleep 0.5
		vfe_hn_i=$((vfe_hn_i + 1))
	done
	echo "$vfe_hn_state"
}

vfe_hn_mgmt()
{
	vfe_hn_pci=/sys/bus/pci/devices/$1
	vfe_hn_if=
	for vfe_hn_n in "$vfe_hn_pci"/net/*; do
		[ -e "$vfe_hn_n" ] && vfe_hn_if=${vfe_hn_n##*/}
	done
	vfe_hn_drv=none
	[ -d "$vfe_hn_pci/driver" ] && vfe_hn_drv=$(cd "$vfe_hn_pci/driver" && pwd -P) &&
		vfe_hn_drv=${vfe_hn_drv##*/}
	if [ -z "$vfe_hn_if" ]; then
		vfe_hn_error "$1 has no network interface (driver $vfe_hn_drv)"
		return 1
	fi
	echo "NETIF $1 $vfe_hn_if driver=$vfe_hn_drv" >>"$vfe_hn_out"
	# bridge needs stp and llc (from the root: the initramfs did not load them)
	for vfe_hn_m in llc stp bridge; do
		[ -d "/sys/module/$vfe_hn_m" ] && continue
		vfe_hn_run insmod "$(find "/lib/modules/$(uname -r)" -name "$vfe_hn_m.ko*" | head -n 1)" ||
			return 1
	done
	# as /etc/network/interfaces has it on Proxmox VE: bridge-ports IF,
	# bridge-stp off, bridge-fd 0
	# (busybox's brctl has neither stp nor setfd: sysfs has both)
	vfe_hn_run brctl addbr vmbr0 &&
		vfe_hn_run sh -c 'echo 0 >/sys/class/net/vmbr0/bridge/stp_state' &&
		vfe_hn_run sh -c 'echo 0 >/sys/class/net/vmbr0/bridge/forward_delay' &&
		vfe_hn_run brctl addif vmbr0 "$vfe_hn_if" &&
		vfe_hn_run ip link set dev "$vfe_hn_if" up &&
		vfe_hn_run ip link set dev vmbr0 up &&
		vfe_hn_run ip addr add 192.0.2.10/24 dev vmbr0 &&
		vfe_hn_run ip route add default via 192.0.2.1 dev vmbr0 || return 1
	{
		vfe_hn_master=-
		[ -e "/sys/class/net/$vfe_hn_if/master" ] &&
			vfe_hn_master=$(cd "/sys/class/net/$vfe_hn_if/master" && pwd -P) &&
			vfe_hn_master=${vfe_hn_master##*/}
		echo "LINK $vfe_hn_if operstate=$(vfe_hn_operstate "$vfe_hn_if") master=$vfe_hn_master"
		echo "LINK vmbr0 operstate=$(vfe_hn_operstate vmbr0) master=-"
		ip -o -4 addr show dev vmbr0 | while read -r _ _ _ vfe_hn_a _; do
			echo "ADDR vmbr0 $vfe_hn_a"
		done
		ip route show default | while read -r vfe_hn_r; do
			echo "ROUTE $vfe_hn_r"
		done
		if ping -c 1 -W 3 192.0.2.1 >/dev/null 2>&1; then
			echo "PING 192.0.2.1 ok"
		else
			echo "PING 192.0.2.1 failed"
		fi
	} >>"$vfe_hn_out"
}

[ -z "$vfe_hn_nic" ] || vfe_hn_mgmt "$vfe_hn_nic" || :
rm -f /run/vfe-hn.err
exec /sbin/init
