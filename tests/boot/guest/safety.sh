# Test-only guest helper for the safety scenarios (tests/boot/lib/safety.bash),
# sourced by the real root's /sbin/init right after /proc, /sys and /dev are
# mounted.  Busybox sh only.
#
# - Mounts what /etc/fstab lists (the test root has no other init that would),
#   as a booted host has it.
# - Reports, on ttyS1, the DMI product UUID, the block-device mounts, the
#   md arrays and whether a marker file on each mount reads back from disk:
#     MACHINE <product uuid>
#     MOUNT <moment> <device> <mount point> <fstype>
#     MDSTAT <moment> <line of /proc/mdstat>
#     READ <moment> <mount point> ok|failed
#   (vfe_test_mounts MOMENT; init calls it again after vfe_test.rebind=).
# - With vfe_test.record on the kernel command line: prints what
#   `vfio-early --list-protected` says on this root, as an image build on
#   this machine would record it, on ttyS2 between
#     LIST-BEGIN
#     LIST-END exit=<status>
#   (its stderr as LIST-STDERR lines on ttyS1), and ends the guest.

vfe_test_mounts()
{
	{
		while read -r vfe_test_dev vfe_test_mnt vfe_test_fs vfe_test_rest; do
			case $vfe_test_dev in
			/dev/*) printf 'MOUNT %s %s %s %s\n' "$1" "$vfe_test_dev" "$vfe_test_mnt" "$vfe_test_fs" ;;
			esac
		done </proc/mounts
		if [ -r /proc/mdstat ]; then
			while read -r vfe_test_rest; do
				[ -n "$vfe_test_rest" ] && printf 'MDSTAT %s %s\n' "$1" "$vfe_test_rest"
			done </proc/mdstat
		fi
		# read the markers from the disks, not from the page cache
		sync
		echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
		# each mounted one of / and /home (both disks carry a marker)
		for vfe_test_mnt in / /home; do
			grep -q "^/dev/[^ ]* $vfe_test_mnt " /proc/mounts || continue
			if timeout 20 cat "${vfe_test_mnt%/}/vfe-test-marker" >/dev/null 2>&1; then
				printf 'READ %s %s ok\n' "$1" "$vfe_test_mnt"
			else
				printf 'READ %s %s failed\n' "$1" "$vfe_test_mnt"
			fi
		done
	} >>/dev/ttyS1
	unset vfe_test_dev vfe_test_mnt vfe_test_fs vfe_test_rest
	return 0
}

if [ -r /sys/class/dmi/id/product_uuid ]; then
	read -r vfe_test_uuid </sys/class/dmi/id/product_uuid
	echo "MACHINE $vfe_test_uuid" >>/dev/ttyS1
	unset vfe_test_uuid
fi
if [ -s /etc/fstab ]; then
	mount -a >/dev/null 2>&1 || echo "MOUNT-FAILED mount -a: status $?" >>/dev/ttyS1
fi
vfe_test_mounts root

case " $(cat /proc/cmdline) " in
*" vfe_test.record "*)
	{
		echo "LIST-BEGIN"
		timeout 60 /usr/sbin/vfio-early --list-protected 2>/run/vfe-test-list.err && rc=0 || rc=$?
		echo "LIST-END exit=$rc"
	} >>/dev/ttyS2
	while read -r line; do
		printf 'LIST-STDERR %s\n' "$line"
	done </run/vfe-test-list.err >>/dev/ttyS1
	. /lib/vfio-early-test/report.sh
	vfe_test_report root
	echo "DONE record" >>/dev/ttyS1
	sync
	printf '\020' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	sleep 2
	poweroff -f
	;;
esac
