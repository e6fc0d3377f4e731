# Test-only guest helper, sourced (dracut hooks are sourced too): report
# every PCI device's driver at one moment of the boot, as machine-readable
# lines on the second serial port (ttyS1):
#
#   MOMENT <moment> uptime=<seconds>
#   DEV <moment> <address> <vendor>:<device> <class> <driver|none> override=<driver_override>
#   END <moment>
#
# Only shell builtins (and one subshell per bound device): dracut images have
# no readlink or cut.

vfe_test_report()
{
	vfe_test_m=$1
	vfe_test_out=${VFE_TEST_OUT:-/dev/ttyS1}
	{
		# shellcheck disable=SC2034 # the idle time is not used
		read -r vfe_test_up vfe_test_rest </proc/uptime
		printf 'MOMENT %s uptime=%s\n' "$vfe_test_m" "$vfe_test_up"
		for vfe_test_d in /sys/bus/pci/devices/*; do
			[ -e "$vfe_test_d/vendor" ] || continue
			read -r vfe_test_v <"$vfe_test_d/vendor"
			read -r vfe_test_p <"$vfe_test_d/device"
			read -r vfe_test_c <"$vfe_test_d/class"
			vfe_test_o='(null)'
			[ -r "$vfe_test_d/driver_override" ] && read -r vfe_test_o <"$vfe_test_d/driver_override"
			vfe_test_drv=none
			if [ -d "$vfe_test_d/driver" ]; then
				vfe_test_drv=$(cd "$vfe_test_d/driver" && pwd -P)
				vfe_test_drv=${vfe_test_drv##*/}
			fi
			printf 'DEV %s %s %s:%s %s %s override=%s\n' "$vfe_test_m" \
				"${vfe_test_d##*/}" "${vfe_test_v#0x}" "${vfe_test_p#0x}" \
				"${vfe_test_c#0x}" "$vfe_test_drv" "$vfe_test_o"
		done
		printf 'END %s\n' "$vfe_test_m"
	} >>"$vfe_test_out"
	unset vfe_test_m vfe_test_out vfe_test_up vfe_test_rest vfe_test_d vfe_test_v
	unset vfe_test_p vfe_test_c vfe_test_o vfe_test_drv
	return 0
}
