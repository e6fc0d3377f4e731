# Helpers for realhw.bats and realhw-pending.bats.off: the fixtures rebuilt
# from published listings of real machines (tests/fixtures/*.spec, each
# citing its source), and what vfio-early does on them.

load helper

# real_root SPEC [EXTRA-SPEC-LINES]: $ROOT is the machine as published, its
# own passthrough recipe (modprobe.d, command line) included.
real_root() { make_root "$@"; }

# configured SPEC CONFIG-LINE...: the machine once the old modprobe.d recipe
# is gone and /etc/vfio-early.conf holds the given lines.
configured() {
	local spec=$1
	shift
	make_root "$spec"
	rm -f "$ROOT"/etc/modprobe.d/vfio.conf
	set_config "$@"
}

# The command line without the vfio-pci.ids= of the recipe.
drop_cmdline_ids() {
	set_cmdline "$(sed 's/ vfio-pci\.ids=[^ ]*//' "$ROOT/proc/cmdline")"
}

ve_dry() { run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run; }
# ve_report: the report in $output and, for section and device_report, in
# $REPORT.
ve_report() {
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --report
	REPORT=$output
}

# ve_import: the printed config in $output and in $CONF.
ve_import() {
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import
	CONF=$BATS_TEST_TMPDIR/imported.conf
	printf '%s\n' "$output" > "$CONF"
}

# The addresses the dry run would bind, sorted, on one line.
would_bind() {
	grep ': would bind to vfio-pci' <<< "$output" | cut -d' ' -f1 | sort | tr '\n' ' ' |
		sed 's/ $//'
}

# The addresses with a driver_override of vfio-pci, sorted, on one line.
overridden() {
	local d out=""
	for d in "$ROOT"/sys/bus/pci/devices/*; do
		[ "$(cat "$d/driver_override")" = vfio-pci ] && out="$out ${d##*/}"
	done
	printf '%s\n' "${out# }"
}

# section TITLE: that section of the last report.
section() {
	sed -n "/^$1\$/,/^[A-Z]/p" <<< "$REPORT" | sed '$d'
}

# The last report's paragraph of one device ("  ADDR ..." up to the next).
device_report() {
	sed -n "/^  $1 /,/^  [0-9a-f]\\{4,\\}:\\|^[A-Z]/p" <<< "$REPORT" | sed '$d'
}

# import_section TITLE: "---- TITLE" up to the next "---- " line.
import_section() {
	sed -n "/^# ---- $1/,/^# ---- /p" <<< "$output"
}

# Every hostdev line of the last report's "Ready for a VM" section, and of
# the pending cards' section after it, belongs to the IOMMU group its
# heading names (the fake root's iommu_group links).
ready_headings_match_groups() {
	local line group="" addr got bad=""
	while IFS= read -r line; do
		if [[ $line =~ \(IOMMU\ group\ ([0-9]+)\)$ ]]; then
			group=${BASH_REMATCH[1]}
		elif [[ $line =~ domain=\'0x([0-9a-f]+)\'\ bus=\'0x([0-9a-f]+)\'\ slot=\'0x([0-9a-f]+)\'\ function=\'0x([0-9a-f]+)\' ]]; then
			addr=$(printf '%04x:%02x:%02x.%x' "0x${BASH_REMATCH[1]}" "0x${BASH_REMATCH[2]}" \
				"0x${BASH_REMATCH[3]}" "0x${BASH_REMATCH[4]}")
			got=$(basename "$(readlink "$ROOT/sys/bus/pci/devices/$addr/iommu_group")")
			[ "$got" = "$group" ] || bad="$bad $addr is in group $got, under the heading of group $group;"
		fi
	done < <(section "Ready for a VM"; section "For a VM after the next boot (pending)")
	[ -z "$bad" ] || fail "Ready for a VM:$bad"
}
