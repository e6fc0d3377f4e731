#!/bin/sh
# Test guest (tests/boot/variant.bats): the real root's first program
# (init=/lib/vfio-early-test/variant.sh).  Prints VARIANT lines on ttyS1
# about the NVMe at 03:00.0 and the root disk at 04:00.0:
#
#   VARIANT MOMENT key=value...   driver, driver_override, IOMMU group and
#                                 whether /dev/vfio/GROUP exists
#   VARIANT modalias MODALIAS     the NVMe's, once
#   VARIANT module-drivers ...    /sys/module/vfio_early_test_pci/drivers
#   VARIANT vfio-dev ...          the entries of /dev/vfio
#   VARIANT step NAME exit=N      each step (step-out, step-stderr: its output)
#
# With vfe_test.variant=byhand on the command line it first binds the NVMe
# to the variant driver by hand, as a user would: modprobe the module,
# unbind nvme, write the driver's name to driver_override, drivers_probe.
# With vfe_test.variant=take it runs `vfio-early --list-modules`, `take`
# and `release` on the NVMe.  The root disk is never written to.  Then `vfio-early --report --all`
# between ALL-BEGIN and ALL-END exit=N on ttyS2, and it hands over to
# /sbin/init (driver reports, `vfio-early --report`).
export PATH=/bin:/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev

nvme=0000:03:00.0
rootdisk=0000:04:00.0
module=vfio_early_test_pci
driver=vfio-early-test-pci
out=/dev/ttyS1

# state MOMENT ADDR: one line about the device ADDR.
state()
{
	d=/sys/bus/pci/devices/$2
	drv=none
	[ -e "$d/driver" ] && drv=$(readlink "$d/driver") && drv=${drv##*/}
	ovr='(null)'
	[ -r "$d/driver_override" ] && read -r ovr <"$d/driver_override"
	grp=none
	[ -e "$d/iommu_group" ] && grp=$(readlink "$d/iommu_group") && grp=${grp##*/}
	node=absent
	[ -c "/dev/vfio/$grp" ] && node=present
	echo "VARIANT $1 addr=$2 driver=$drv override=$ovr group=$grp dev=$node" >>$out
}

# step NAME COMMAND...: run a step, say its status, its standard output
# (step-out lines) and its standard error (step-stderr lines).
step()
{
	name=$1
	shift
	"$@" >/run/vfe-variant.out 2>/run/vfe-variant.err && rc=0 || rc=$?
	echo "VARIANT step $name exit=$rc" >>$out
	while read -r line; do
		echo "VARIANT step-out $name $line" >>$out
	done </run/vfe-variant.out
	while read -r line; do
		echo "VARIANT step-stderr $name $line" >>$out
	done </run/vfe-variant.err
	rm -f /run/vfe-variant.out /run/vfe-variant.err
}

write()
{
	echo "$1" >"$2"
}

mode=
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_test.variant=*) mode=${w#*=} ;;
	esac
done

read -r up rest </proc/uptime
echo "VARIANT start uptime=$up mode=${mode:-none}" >>$out
read -r alias </sys/bus/pci/devices/$nvme/modalias
echo "VARIANT modalias $alias" >>$out
state start $nvme
state start $rootdisk

if [ "$mode" = byhand ]; then
	step modprobe modprobe $module
	lsmod | grep -e "^$module " -e '^vfio' | sed 's/  */ /g; s/^/VARIANT lsmod /' >>$out
	[ -e /sys/bus/pci/devices/$nvme/driver ] &&
		step unbind write $nvme /sys/bus/pci/devices/$nvme/driver/unbind
	step override write $driver /sys/bus/pci/devices/$nvme/driver_override
	step probe write $nvme /sys/bus/pci/drivers_probe
	state byhand $nvme
	state byhand $rootdisk
fi

# vfe_test.variant=take: vfio-early on the booted root, with nvme holding
# the NVMe: --list-modules (the module an image would need), then take the
# NVMe (driver=auto: the variant) and release it (back to nvme).
if [ "$mode" = take ]; then
	kver=$(uname -r)
	echo "address ${nvme#0000:}" >/run/vfe-variant-auto.conf
	echo "address ${nvme#0000:} driver=vfio-pci" >/run/vfe-variant-plain.conf
	step list-auto timeout 60 /usr/sbin/vfio-early --config /run/vfe-variant-auto.conf --list-modules "$kver"
	step list-plain timeout 60 /usr/sbin/vfio-early --config /run/vfe-variant-plain.conf --list-modules "$kver"
	step take timeout 60 /usr/sbin/vfio-early take --yes "${nvme#0000:}"
	state take $nvme
	step release timeout 60 /usr/sbin/vfio-early release "${nvme#0000:}"
	state release $nvme
	state release $rootdisk
fi
# names NAME DIR: "VARIANT NAME" and the entries of DIR
names()
{
	line="VARIANT $1"
	for e in "$2"/*; do
		[ -e "$e" ] && line="$line ${e##*/}"
	done
	echo "$line" >>$out
}
names module-drivers /sys/module/$module/drivers
names vfio-dev /dev/vfio
# every device by IOMMU group, as vfio-early sees them now, and the report
# of a host whose config selects the NVMe and card 1 with no driver= (auto),
# text and JSON (ttyS2)
printf 'address %s\naddress 01:00\n' "${nvme#0000:}" >/run/vfe-variant-report.conf
if [ -x /usr/sbin/vfio-early ]; then
	for fmt in text json; do
		opts=--report
		[ "$fmt" = json ] && opts="--report --json"
		{
			echo "REPORTCFG-BEGIN $fmt"
			# shellcheck disable=SC2086 # one or two options
			timeout 60 /usr/sbin/vfio-early $opts --config /run/vfe-variant-report.conf \
				2>/dev/null && rc=0 || rc=$?
			echo "REPORTCFG-END $fmt exit=$rc"
		} >>/dev/ttyS2
	done
	{
		echo ALL-BEGIN
		timeout 60 /usr/sbin/vfio-early --report --all 2>&1 && rc=0 || rc=$?
		echo "ALL-END exit=$rc"
	} >>/dev/ttyS2
fi
exec /sbin/init
