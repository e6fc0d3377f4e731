#!/bin/sh
# Test guest (tests/boot/sriov.bats): the first program of the real root
# (init=/lib/vfio-early-test/sriov.sh) after a boot whose config has a
# vfs=N rule for the SR-IOV NVMe PF.  It reports the PF and its VFs as the
# boot left them, runs vfio-early again from the real root, then hands over
# to the test root's /sbin/init (driver reports, vfio-early --report, exit).
#
# Kernel command line:
#   vfe_test.sriov=PF            the PF's full PCI address
#   vfe_test.sriov_steps=STEPS   what to run, a comma list:
#     again     `vfio-early --yes` with "address PF vfs=NUMVFS" (the count
#               the PF has): the second pass
#     other     the same with NUMVFS + 1: a count that is set is kept
#     unasked   `vfio-early` (no --yes, no terminal) with vfs=2: a run by
#               hand that is not confirmed changes nothing
#     refused   `vfio-early take --yes PF`, then the rule of "again" with
#               vfs=2: the PF's driver is vfio-pci, which makes no VFs
#               without its enable_sriov option
# On ttyS1:
#   PF <moment> <addr> driver=<d> numvfs=<n> totalvfs=<t> autoprobe=<a>
#      offset=<o> stride=<s>
#   VF <moment> <k> <addr> <vendor>:<device> driver=<d> override=<o> group=<g>
#   SRIOV-ERROR <text>
# On ttyS2, each run between RUN-<NAME>-BEGIN and RUN-<NAME>-END exit=<status>
# (its stdout and stderr, stderr lines prefixed with "stderr: ").
# Busybox sh; shell builtins where a dracut-like root may lack a tool.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/bus ] || mount -t sysfs sysfs /sys
[ -e /dev/ttyS1 ] || mount -t devtmpfs devtmpfs /dev

# vfe_sriov_link DIR: the last component of the link DIR points to.
vfe_sriov_link()
{
	(cd "$1" 2>/dev/null && vfe_sriov_p=$(pwd -P) && echo "${vfe_sriov_p##*/}")
}

# vfe_sriov_attr FILE: its first line, "-" when it cannot be read.
vfe_sriov_attr()
{
	vfe_sriov_v=-
	[ -r "$1" ] && read -r vfe_sriov_v <"$1"
	echo "$vfe_sriov_v"
}

# vfe_sriov_state MOMENT: the PF's and each VF's lines on ttyS1.
vfe_sriov_state()
{
	vfe_sriov_d=/sys/bus/pci/devices/$vfe_sriov_pf
	{
		printf 'PF %s %s driver=%s numvfs=%s totalvfs=%s autoprobe=%s offset=%s stride=%s\n' \
			"$1" "$vfe_sriov_pf" "$(vfe_sriov_link "$vfe_sriov_d/driver" || echo none)" \
			"$(vfe_sriov_attr "$vfe_sriov_d/sriov_numvfs")" \
			"$(vfe_sriov_attr "$vfe_sriov_d/sriov_totalvfs")" \
			"$(vfe_sriov_attr "$vfe_sriov_d/sriov_drivers_autoprobe")" \
			"$(vfe_sriov_attr "$vfe_sriov_d/sriov_offset")" \
			"$(vfe_sriov_attr "$vfe_sriov_d/sriov_stride")"
		vfe_sriov_k=0
		while [ -e "$vfe_sriov_d/virtfn$vfe_sriov_k" ]; do
			vfe_sriov_vf=$(vfe_sriov_link "$vfe_sriov_d/virtfn$vfe_sriov_k")
			vfe_sriov_v=/sys/bus/pci/devices/$vfe_sriov_vf
			printf 'VF %s %s %s %s:%s driver=%s override=%s group=%s\n' "$1" "$vfe_sriov_k" \
				"$vfe_sriov_vf" "$(vfe_sriov_attr "$vfe_sriov_v/vendor" | sed 's/^0x//')" \
				"$(vfe_sriov_attr "$vfe_sriov_v/device" | sed 's/^0x//')" \
				"$(vfe_sriov_link "$vfe_sriov_v/driver" || echo none)" \
				"$(vfe_sriov_attr "$vfe_sriov_v/driver_override")" \
				"$(vfe_sriov_link "$vfe_sriov_v/iommu_group" || echo none)"
			vfe_sriov_k=$((vfe_sriov_k + 1))
		done
	} >>/dev/ttyS1
}

# vfe_sriov_run NAME COMMAND...: COMMAND's output as block NAME on ttyS2.
vfe_sriov_run()
{
	vfe_sriov_name=$1
	shift
	{
		echo "RUN-$vfe_sriov_name-BEGIN"
		timeout 60 "$@" 2>/run/vfe-sriov.err && rc=0 || rc=$?
		sed 's/^/stderr: /' /run/vfe-sriov.err
		echo "RUN-$vfe_sriov_name-END exit=$rc"
	} >>/dev/ttyS2
	rm -f /run/vfe-sriov.err
}

# vfe_sriov_rule NAME MOMENT N [OPTION...]: a run of `vfio-early OPTION...`
# whose config is "address PF vfs=N" (block NAME), then the state as MOMENT.
vfe_sriov_rule()
{
	printf 'address %s vfs=%s\n' "$vfe_sriov_pf" "$3" >/run/vfe-sriov.conf
	vfe_sriov_name=$1
	vfe_sriov_moment=$2
	shift 3
	vfe_sriov_run "$vfe_sriov_name" /usr/sbin/vfio-early "$@" --config /run/vfe-sriov.conf
	vfe_sriov_state "$vfe_sriov_moment"
}

vfe_sriov_pf=
vfe_sriov_steps=
# shellcheck disable=SC2013 # the words of the command line
for w in $(cat /proc/cmdline); do
	case $w in
	vfe_test.sriov=*) vfe_sriov_pf=${w#*=} ;;
	vfe_test.sriov_steps=*) vfe_sriov_steps=${w#*=} ;;
	esac
done

case $vfe_sriov_pf in
[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7])
	vfe_sriov_state boot
	for vfe_sriov_s in $(echo "$vfe_sriov_steps" | sed 's/,/ /g'); do
		vfe_sriov_n=$(vfe_sriov_attr "/sys/bus/pci/devices/$vfe_sriov_pf/sriov_numvfs")
		case $vfe_sriov_s in
		again) vfe_sriov_rule AGAIN again "$vfe_sriov_n" --yes ;;
		other) vfe_sriov_rule OTHER other $((vfe_sriov_n + 1)) --yes ;;
		unasked) vfe_sriov_rule UNASKED unasked 2 ;;
		refused)
			vfe_sriov_run TAKE /usr/sbin/vfio-early take --yes "$vfe_sriov_pf"
			vfe_sriov_state take
			vfe_sriov_rule REFUSED refused 2 --yes
			;;
		*) echo "SRIOV-ERROR unknown step $vfe_sriov_s" >>/dev/ttyS1 ;;
		esac
	done
	;;
*) echo "SRIOV-ERROR vfe_test.sriov=$vfe_sriov_pf: expected a PCI address DDDD:BB:SS.F" >>/dev/ttyS1 ;;
esac
exec /sbin/init
