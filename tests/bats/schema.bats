#!/usr/bin/env bats
# vfio-early --report --json against doc/report.schema.json: every fixture's
# report validates, a field of another type does not, the schema leaves no
# object open; --root never reports this machine; a --capture reports the same.

bats_require_minimum_version 1.5.0
load helper

SCHEMA=$TOP/doc/report.schema.json
# Debian's python3 and its python3-jsonschema (tests/deps), not whatever
# another python3 on the PATH has.
PY=/usr/bin/python3

setup() {
	"$PY" -I -c 'import jsonschema' 2> /dev/null || skip "python3-jsonschema not installed"
	command -v jq > /dev/null || skip "jq not installed"
}

# validate FILE...: each a report; prints every error as FILE: PATH: why.
validate() {
	"$PY" -I - "$SCHEMA" "$@" <<'PY'
import json, sys
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
bad = 0
for name in sys.argv[2:]:
    with open(name) as f:
        doc = json.load(f)
    for e in validator.iter_errors(doc):
        bad += 1
        print("%s: /%s: %s" % (name, "/".join(map(str, e.absolute_path)), e.message))
sys.exit(1 if bad else 0)
PY
}

# report_to FILE [ARGS]: the JSON report of $ROOT into FILE.
report_to() {
	local out=$1
	shift
	"$VFIO_EARLY" --root "$ROOT" --report --json "$@" > "$out" 2> /dev/null || true
	jq -e . "$out" > /dev/null || fail "$out: not JSON"
}

@test "the schema is a valid JSON Schema (draft 2020-12) for vfio-early-report/2" {
	run "$PY" -I -c '
import json, sys
from jsonschema import Draft202012Validator
s = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(s)
print(s["$schema"], s["properties"]["schema"]["const"])' "$SCHEMA"
	assert_success
	assert_output "https://json-schema.org/draft/2020-12/schema vfio-early-report/2"
	make_root two-cards
	ve --report --json
	assert_equal "$(jq -r .schema <<< "$output")" "vfio-early-report/2"
}

@test "every fixture's report validates: as it is, with its display devices selected, and after a boot" {
	local spec n files=()
	for spec in "$TOP"/tests/fixtures/*.spec; do
		n=$(basename "$spec" .spec)
		make_root "$n"
		report_to "$BATS_TEST_TMPDIR/$n.json"
		# Selected: next_boot, groups' vfio, ready_for_vm and the rules get values.
		set_config "class 03 allow-boot-vga"
		report_to "$BATS_TEST_TMPDIR/$n.sel.json"
		# After the boot's early pass: this_boot and the devices' results.
		mv "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
		in_initramfs
		"$VFIO_EARLY" --root "$ROOT" > /dev/null 2>&1 || true
		mv "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
		report_to "$BATS_TEST_TMPDIR/$n.boot.json"
		files+=("$BATS_TEST_TMPDIR/$n.json" "$BATS_TEST_TMPDIR/$n.sel.json" "$BATS_TEST_TMPDIR/$n.boot.json")
	done
	[ "${#files[@]}" -ge 60 ] || fail "only ${#files[@]} reports"
	run validate "${files[@]}"
	assert_success
	assert_output ""
	# The fixtures reach every part of the schema that holds values.
	assert_equal "$(jq -s '[.[].ready_for_vm[]] | length > 0' "${files[@]}")" true
	assert_equal "$(jq -s '[.[].this_boot | select(. != null)] | length > 0' "${files[@]}")" true
	assert_equal "$(jq -s '[.[].groups[].vfio | select(. != null)] | length > 0' "${files[@]}")" true
	assert_equal "$(jq -s '[.[].protected.devices[]] | length > 0' "${files[@]}")" true
	assert_equal "$(jq -s '[.[].devices[].bars[]] | length > 0' "${files[@]}")" true
	assert_equal "$(jq -s '[.[].sriov[].vfs[]] | length > 0' "${files[@]}")" true
}

@test "a report with runs by hand, an initramfs, the old recipe and loaded modules validates" {
	command -v cpio > /dev/null || skip "cpio not installed"
	make_root two-cards
	fake_pciids
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/etc/modprobe.d" "$ROOT/sys/module/vfio" "$ROOT/boot" "$BATS_TEST_TMPDIR/img/usr/sbin"
	cp "$TOP/tests/fixtures/modprobe/guide/blacklist-nvidia.conf" \
		"$TOP/tests/fixtures/modprobe/guide/vfio.conf" "$ROOT/etc/modprobe.d/"
	touch "$BATS_TEST_TMPDIR/img/usr/sbin/vfio-early"
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet > "$ROOT/boot/initrd.img-$kver")
	set_config "address 0b:00"
	mv "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	in_initramfs
	"$VFIO_EARLY" --root "$ROOT" > /dev/null 2>&1 || true
	mv "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
	set_config "address 0b:00" "address 0a:00 allow-boot-vga"
	"$VFIO_EARLY" --root "$ROOT" --yes > /dev/null 2>&1 || true
	report_to "$BATS_TEST_TMPDIR/rich.json"
	assert_equal "$(jq -r '.manual_runs.runs | length' "$BATS_TEST_TMPDIR/rich.json")" 1
	assert_equal "$(jq -r '.boot_chain.initramfs.has_vfio_early' "$BATS_TEST_TMPDIR/rich.json")" true
	assert_equal "$(jq -r '.boot_chain.modules.vfio' "$BATS_TEST_TMPDIR/rich.json")" "loaded, no file"
	[ "$(jq -r '.boot_chain.legacy | length' "$BATS_TEST_TMPDIR/rich.json")" -gt 0 ]
	run validate "$BATS_TEST_TMPDIR/rich.json"
	assert_success
}

@test "one encoding: ids are four hex digits, lists are arrays, an absent value is null, never \"\"" {
	make_root proxmox-3090
	set_config "ids 10de:2204"
	ve --report --json
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | "\(.vendor) \(.device) \(.subsystem_vendor) \(.subsystem_device) \(.class)"' <<< "$output")" \
		"10de 2204 10de 1492 030000"
	assert_equal "$(jq -r '.protected.devices[] | select(.address=="0000:01:00.0") | "\(.vendor) \(.device) \(.class)"' <<< "$output")" \
		"144d a808 010802"
	assert_equal "$(jq -r '.iommu.units | type' <<< "$output")" array
	assert_equal "$(jq -r '.iommu.cmdline_flags | join(" ")' <<< "$output")" "intel_iommu=on iommu=pt"
	# numa=-1 in the fixture: unknown is null
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | .numa_node' <<< "$output")" null
	# nowhere an empty string
	assert_equal "$(jq '[.. | select(. == "")] | length' <<< "$output")" 0
	# every key is there, null or not: a device nothing selects has its next_boot keys
	assert_equal "$(jq -c '.devices[] | select(.address=="0000:00:02.0") | .next_boot' <<< "$output")" \
		'{"action":"none","rule":null,"via":null,"reason":null,"driver":null,"variant_module":null}'
}

@test "a field of another type, a missing or an unknown key fails the schema" {
	make_root proxmox-3090
	set_config "ids 10de:2204"
	report_to "$BATS_TEST_TMPDIR/good.json"
	run validate "$BATS_TEST_TMPDIR/good.json"
	assert_success
	local i=0 mutation
	for mutation in \
		'.iommu.units = "dmar0"' \
		'.iommu.active = "yes"' \
		'.exit = "0"' \
		'.kernel = 6' \
		'.devices[0].numa_node = "0"' \
		'.devices[0].vendor = "10DE"' \
		'.devices[0].vendor = 4318' \
		'.devices[0].address = "09:00.0"' \
		'.devices[0].bars[0].size = "16M"' \
		'.devices[0].iommu_group = "14"' \
		'.devices[0].driver = ""' \
		'.groups[0].members[0].bridge = 0' \
		'.protected.devices[0].need = "maybe"' \
		'.status = "fine"' \
		'.schema = "vfio-early-report/1"' \
		'.config.rules = {}' \
		'.problems = [{"severity":"warning","what":"x","fix":null,"code":"Not Kebab","device":null}]' \
		'.problems = [{"severity":"warning","what":"x","fix":null,"code":"boot-vga","device":"0000:09:00"}]' \
		'.problems = [{"severity":"warning","what":"x","fix":null,"device":null}]' \
		'.problems = [{"severity":"warning","what":"x","fix":null,"code":"boot-vga"}]' \
		'.status = "viable"' \
		'del(.devices[0].stable_path)' \
		'del(.this_boot)' \
		'.devices[0].ids = "10de:2204"' \
		'.iommu.extra = true' \
		'del(.devices[0].next_boot.driver)' \
		'.devices[0].next_boot.driver = ""' \
		'.devices[0].next_boot.variant_module = 5' \
		'.extra = 1'; do
		i=$((i + 1))
		jq "$mutation" "$BATS_TEST_TMPDIR/good.json" > "$BATS_TEST_TMPDIR/bad$i.json"
		run validate "$BATS_TEST_TMPDIR/bad$i.json"
		[ "$status" -eq 1 ] || fail "the schema accepts $mutation"
	done
	# problems with their code and device, as the schema says, pass
	jq '.problems = [{"severity":"warning","what":"x","fix":null,"code":"boot-vga","device":"0000:09:00.0"},{"severity":"note","what":"y","fix":"z","code":"no-iommu","device":null}]' \
		"$BATS_TEST_TMPDIR/good.json" > "$BATS_TEST_TMPDIR/problems.json"
	run validate "$BATS_TEST_TMPDIR/problems.json"
	assert_success
}

@test "the sriov key: a PF with its VFs validates; a field of another type, a missing or an unknown key fails" {
	make_root adln-igpu-vfs
	set_config "address 00:02.0 vfs=7"
	report_to "$BATS_TEST_TMPDIR/good.json"
	assert_equal "$(jq -r '.sriov[0].vfs | length' "$BATS_TEST_TMPDIR/good.json")" 7
	run validate "$BATS_TEST_TMPDIR/good.json"
	assert_success
	local i=0 mutation
	for mutation in \
		'del(.sriov)' \
		'.sriov = {}' \
		'.sriov[0].sriov_numvfs = "7"' \
		'.sriov[0].sriov_drivers_autoprobe = 1' \
		'.sriov[0].vfs_state = "fine"' \
		'.sriov[0].vfs_rule = {"origin":"x","vfs":0}' \
		'del(.sriov[0].vfs_rule)' \
		'.sriov[0].vfs[0].address = "00:02.1"' \
		'.sriov[0].vfs[0].driver = ""' \
		'.sriov[0].vfs[0].index = -1' \
		'.sriov[0].vfs[0].extra = true' \
		'.devices[1].next_boot.via = "pf"'; do
		i=$((i + 1))
		jq "$mutation" "$BATS_TEST_TMPDIR/good.json" > "$BATS_TEST_TMPDIR/bad$i.json"
		run validate "$BATS_TEST_TMPDIR/bad$i.json"
		[ "$status" -eq 1 ] || fail "the schema accepts $mutation"
	done
}

@test "the schema leaves no object open: every key it names is required, nothing else allowed" {
	# every object lists all its keys as required
	run "$PY" -I - "$SCHEMA" <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
bad = []
def walk(node, where):
    if isinstance(node, dict):
        if "properties" in node:
            name = where.split("/")[-1]
            if node.get("additionalProperties") is not False:
                bad.append(where + ": additionalProperties is not false")
            missing = set(node["properties"]) - set(node.get("required", []))
            if missing:
                bad.append(where + ": not required: " + ", ".join(sorted(missing)))
            extra = set(node.get("required", [])) - set(node["properties"])
            if extra:
                bad.append(where + ": required but not described: " + ", ".join(sorted(extra)))
        if node.get("type") == "object" and "properties" not in node:
            bad.append(where + ": an object without properties")
        for k, v in node.items():
            walk(v, where + "/" + k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, where + "/" + str(i))
walk(schema, "#")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	assert_success
}

@test "--root on an empty directory reports nothing of this machine, and validates" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/empty" --report --json
	assert_equal "$status" 65
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/empty.json"
	run validate "$BATS_TEST_TMPDIR/empty.json"
	assert_success
	local json text d
	json=$(cat "$BATS_TEST_TMPDIR/empty.json")
	assert_equal "$(jq -r .kernel <<< "$json")" null
	assert_equal "$(jq -r .cmdline <<< "$json")" null
	assert_equal "$(jq -r '.devices | length' <<< "$json")" 0
	assert_equal "$(jq -r .boot_chain.initramfs <<< "$json")" null
	run --separate-stderr "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/empty" --report
	text=$output
	assert_line --index 0 "vfio-early $(jq -r .version <<< "$json") report (kernel unknown)"
	# This machine's kernel, command line and PCI devices appear nowhere.
	for out in "$json" "$text"; do
		[[ $out != *"$(uname -r)"* ]] || fail "the host's kernel $(uname -r) is in the report"
		if [ -s /proc/cmdline ]; then
			[[ $out != *"$(cat /proc/cmdline)"* ]] || fail "the host's command line is in the report"
		fi
		for d in /sys/bus/pci/devices/*; do
			[ -e "$d" ] || continue
			[[ $out != *"${d##*/}"* ]] || fail "the host's PCI device ${d##*/} is in the report"
		done
	done
}

@test "--root without osrelease: the kernel is the root's one modules directory, else unknown" {
	mkdir -p "$BATS_TEST_TMPDIR/r/lib/modules/6.12.0-test"
	run --separate-stderr "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/r" --report --json
	assert_equal "$(jq -r .kernel <<< "$output")" "6.12.0-test"
	mkdir -p "$BATS_TEST_TMPDIR/r/lib/modules/6.13.0-test"
	run --separate-stderr "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/r" --report --json
	assert_equal "$(jq -r .kernel <<< "$output")" null
}

# capture_same: the JSON report of $ROOT and of a --capture of it agree,
# but for the root's own path where a field names a file.
capture_same() {
	local cap=$BATS_TEST_TMPDIR/cap.$1
	rm -rf "$cap"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --capture "$cap"
	assert_success
	"$VFIO_EARLY" --root "$ROOT" --report --json 2> /dev/null | sed "s|$ROOT/|ROOT/|g" > "$BATS_TEST_TMPDIR/orig.json" || true
	"$VFIO_EARLY" --root "$cap" --report --json 2> /dev/null | sed "s|$cap/|ROOT/|g" > "$BATS_TEST_TMPDIR/capt.json" || true
	diff <(jq -S . "$BATS_TEST_TMPDIR/orig.json") <(jq -S . "$BATS_TEST_TMPDIR/capt.json") ||
		fail "$1: the captured report differs"
}

@test "--capture carries everything the report uses: the same JSON from the capture, on several fixtures" {
	local n
	for n in proxmox-3090 two-cards arc-a770 pve-zfs-mirror sriov vmd-navi apu-phoenix-rtx4060 cfl-usb-root; do
		make_root "$n"
		set_config "class 03 allow-boot-vga"
		capture_same "$n"
	done
}

@test "--capture carries the initramfs listing, the boot's records, loaded modules and the boot loader" {
	command -v cpio > /dev/null || skip "cpio not installed"
	command -v zstd > /dev/null || skip "zstd not installed"
	make_root two-cards
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	# an image without vfio-pci: a blocking finding the capture must keep
	mkdir -p "$ROOT/boot" "$BATS_TEST_TMPDIR/img/usr/sbin" "$BATS_TEST_TMPDIR/img/etc"
	touch "$BATS_TEST_TMPDIR/img/usr/sbin/vfio-early" "$BATS_TEST_TMPDIR/img/etc/vfio-early.conf"
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet | zstd -q > "$ROOT/boot/initrd.img-$kver")
	touch -d '2 days ago' "$ROOT/boot/initrd.img-$kver"
	set_config "address 0b:00"
	# the boot's early pass, then a run by hand
	mv "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	in_initramfs
	"$VFIO_EARLY" --root "$ROOT" > /dev/null 2>&1 || true
	mv "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
	set_config "address 0b:00" "address 0a:00 allow-boot-vga"
	"$VFIO_EARLY" --root "$ROOT" --yes > /dev/null 2>&1 || true
	# a late pass record, a loaded vfio without its file, a GRUB host
	cp "$ROOT/run/vfio-early/state" "$ROOT/run/vfio-early/late"
	mkdir -p "$ROOT/sys/module/vfio_pci" "$ROOT/etc/default" "$ROOT/usr/sbin"
	printf 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' > "$ROOT/etc/default/grub"
	printf '#!/bin/sh\n' > "$ROOT/usr/sbin/update-grub"
	run "$VFIO_EARLY" --root "$ROOT" --report --json
	assert_equal "$(jq -r .boot_chain.initramfs.inspected <<< "$output")" true
	assert_equal "$(jq -r .boot_chain.initramfs.config_newer <<< "$output")" true
	jq -e '.problems[] | select(.severity == "blocking" and (.what | contains("lacks the vfio-pci module")))' <<< "$output" > /dev/null
	assert_equal "$(jq -r '.manual_runs.runs | length' <<< "$output")" 1
	assert_equal "$(jq -r '.this_boot.late_pass | type' <<< "$output")" object
	assert_equal "$(jq -r '.boot_chain.modules["vfio-pci"]' <<< "$output")" "loaded, no file"
	capture_same initramfs
	# without the tool that listed it: the copy is a plain cpio, listed by the report itself
	run "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/cap.initramfs" --report
	assert_line --partial "lacks the vfio-pci module"
	[ -f "$BATS_TEST_TMPDIR/cap.initramfs/usr/sbin/update-grub" ] || fail "update-grub's presence not captured"
	cpio -t < "$BATS_TEST_TMPDIR/cap.initramfs/boot/initrd.img-$kver" 2> /dev/null | grep -qx usr/sbin/vfio-early
}

@test "--capture of a GRUB host without an IOMMU: the fix still names update-grub and the IOMMU hint" {
	make_root proxmox-3090 "iommu off"
	mkdir -p "$ROOT/etc/default" "$ROOT/usr/sbin" "$ROOT/sys/firmware/acpi/tables"
	printf 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' > "$ROOT/etc/default/grub"
	printf '#!/bin/sh\n' > "$ROOT/usr/sbin/update-grub"
	printf 'DMAR' > "$ROOT/sys/firmware/acpi/tables/DMAR"
	set_cmdline "root=/dev/mapper/pve-root ro quiet"
	run "$VFIO_EARLY" --root "$ROOT" --report --json
	jq -e '.problems[] | select(.fix // "" | contains("update-grub"))' <<< "$output" > /dev/null
	capture_same grub
}
