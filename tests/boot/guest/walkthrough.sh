#!/bin/sh
# The README's "Set up passthrough" walkthrough in the booted test root
# (tests/boot/walkthrough.bats): the first program of the real root.  Runs
# the commands of the steps named by vfe_walk.steps= on the kernel command
# line (from /lib/vfio-early-test/walkthrough.steps, "STEP<TAB>COMMAND"
# lines taken from the README), each between WALK-BEGIN STEP N and WALK-END
# STEP N exit=STATUS lines on ttyS2; commands for the machine that builds
# the image (make, update-initramfs, reboot) are named on ttyS1 as
# WALK-HOST lines, and the config is printed there as CONF lines when the
# steps are done.  Then the test root's /sbin/init takes over (driver
# reports, --report) and ends the guest.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev
# --append writes /etc/vfio-early.conf (the disk is a snapshot: it stays as it was)
mount -o remount,rw /

steps=
# shellcheck disable=SC2013 # the words of the command line
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_walk.steps=*) steps=${w#*=} ;;
	esac
done

n=0
for step in $(echo "$steps" | tr ',' ' '); do
	echo "WALK-STEP $step" >>/dev/ttyS1
	while IFS='	' read -r s cmd; do
		[ "$s" = "$step" ] || continue
		n=$((n + 1))
		case $cmd in
		make* | update-initramfs* | dracut* | mkinitcpio* | reboot*)
			echo "WALK-HOST $step $n $cmd" >>/dev/ttyS1
			continue
			;;
		esac
		echo "WALK-CMD $step $n $cmd" >>/dev/ttyS1
		{
			echo "WALK-BEGIN $step $n"
			timeout 60 sh -c "$cmd" 2>&1 </dev/null && rc=0 || rc=$?
			echo "WALK-END $step $n exit=$rc"
		} >>/dev/ttyS2
	done </lib/vfio-early-test/walkthrough.steps
done
{
	echo "CONF-BEGIN"
	if [ -e /etc/vfio-early.conf ]; then
		while IFS= read -r line; do
			printf 'CONF %s\n' "$line"
		done </etc/vfio-early.conf
	fi
	echo "CONF-END"
} >>/dev/ttyS1
sync
exec /sbin/init
