#!/usr/bin/env bats
# vfio-early --report on fake machines: golden text (tests/expected/),
# JSON checked with jq, exit statuses, and a captured tree reproduced.

load helper
bats_require_minimum_version 1.5.0

# The files of a Debian GRUB host: its command line is GRUB_CMDLINE_LINUX_DEFAULT.
fake_grub() {
	mkdir -p "$ROOT/etc/default" "$ROOT/usr/sbin"
	printf 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' > "$ROOT/etc/default/grub"
	printf '#!/bin/sh\n' > "$ROOT/usr/sbin/update-grub"
}

# The guide's host, after a good boot: the 3090 and its audio on vfio-pci.
healthy_root() {
	make_root proxmox-3090 "
pci 0000:09:00.0 parent=0000:00:01.0 ids=10de:2204 sub=10de:1492 class=030000 group=14 driver=vfio-pci override=vfio-pci bar0=16M bar1=32Gp bar3=32Mp
pci 0000:09:00.1 parent=0000:00:01.0 ids=10de:1aef sub=10de:1492 class=040300 group=14 driver=vfio-pci override=vfio-pci bar0=16K"
	fake_builtin_modules
	fake_pciids
	set_config "# the guide's RTX 3090 and its HDMI audio" "ids 10de:2204 10de:1aef"
	# The Proxmox node's name, for the resource mapping.
	echo pve > "$ROOT/etc/hostname"
	# The boot ran: the state file is what a boot writes, in the initramfs
	# (nothing mounted yet), with the list the image build recorded.
	mkdir -p "$ROOT/lib/vfio-early"
	"$VFIO_EARLY" --root "$ROOT" --list-protected > "$ROOT/lib/vfio-early/protected"
	mv "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	: > "$ROOT/proc/self/mountinfo"
	"$VFIO_EARLY" --root "$ROOT"
	mv "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
}

@test "healthy 3090 host: ready, with hostpci and hostdev lines (golden)" {
	healthy_root
	ve --report
	assert_success
	assert_golden report-healthy.txt
}

@test "healthy 3090 host as JSON: valid, same facts" {
	command -v jq > /dev/null || skip "jq not installed"
	healthy_root
	ve --report --json
	assert_success
	printf '%s' "$output" | jq -e . > /dev/null
	assert_equal "$(jq -r .schema <<< "$output")" "vfio-early-report/2"
	assert_equal "$(jq -r .status <<< "$output")" "ready"
	assert_equal "$(jq -r .iommu.kind <<< "$output")" "Intel VT-d"
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | .device_name' <<< "$output")" "GA102 [GeForce RTX 3090]"
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | .next_boot.action' <<< "$output")" "bind"
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | .this_boot.result' <<< "$output")" "already"
	assert_equal "$(jq -r '.devices[] | select(.address=="0000:09:00.0") | [.bars[].size] | max' <<< "$output")" "34359738368"
	assert_equal "$(jq -r '.groups[] | select(.id==14) | .verdict' <<< "$output")" "ready"
	assert_equal "$(jq -r '.boot_chain.modules["vfio-pci"]' <<< "$output")" "built in"
	assert_equal "$(jq -r '.problems | length' <<< "$output")" "0"
	# The snippets the text prints, for tools.
	assert_equal "$(jq -r '.ready_for_vm | length' <<< "$output")" "1"
	assert_equal "$(jq -r '.ready_for_vm[0].functions | join(" ")' <<< "$output")" "0000:09:00.0 0000:09:00.1"
	assert_equal "$(jq -r '.ready_for_vm[0].entries[0].hostpci' <<< "$output")" "hostpci0: 0000:09:00,pcie=1"
	assert_equal "$(jq -r '.ready_for_vm[0].entries[0].mapping.create' <<< "$output")" \
		"pvesh create /cluster/mapping/pci --id gpu-0000-09-00 --map node=pve,path=0000:09:00,id=10de:2204,subsystem-id=10de:1492,iommugroup=14"
	assert_equal "$(jq -r '.ready_for_vm[0].entries[0].mapping.hostpci' <<< "$output")" "hostpci0: mapping=gpu-0000-09-00,pcie=1"
	assert_equal "$(jq -r '.ready_for_vm[0].entries[0].hostdev | length' <<< "$output")" "2"
	# A test root has no /dev/vfio: the group is not checked, and says so.
	assert_equal "$(jq -r '.groups[] | select(.id==14) | .vfio.state' <<< "$output")" "not checked"
}

@test "IOMMU off: blocked, and the fix names the kernel option (golden)" {
	make_root proxmox-3090 "iommu off"
	fake_builtin_modules
	fake_pciids
	fake_grub
	set_cmdline "BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro quiet"
	set_config "ids 10de:2204"
	ve --report
	assert_equal "$status" 65
	assert_golden report-iommu-off.txt
	ve --report --json
	assert_equal "$status" 65
	assert_equal "$(jq -r .iommu.active <<< "$output")" "false"
	jq -e '.problems[] | select(.severity=="blocking" and (.what | startswith("no IOMMU is active")))' <<< "$output"
}

@test "ACS override on: a security warning" {
	make_root proxmox-3090
	fake_builtin_modules
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on iommu=pt pcie_acs_override=downstream,multifunction"
	ve --report
	assert_equal "$status" 64
	assert_line "  ACS override: ON (pcie_acs_override: groups are not isolated by hardware)"
	assert_line --partial "[warning] pcie_acs_override is set: it splits IOMMU groups the hardware does not isolate"
	ve --report --json
	assert_equal "$(jq -r .iommu.acs_override <<< "$output")" "true"
}

@test "a group shared with the root NVMe: not viable, and why (golden)" {
	make_root shared-group
	fake_builtin_modules
	fake_pciids
	set_config "address 02:00"
	ve --report
	assert_equal "$status" 65
	assert_golden report-shared-group.txt
}

@test "a partial group: blocked until the other functions are selected" {
	make_root turing-usbc
	fake_builtin_modules
	set_cmdline "root=PARTUUID=5e1d2c3b-02 intel_iommu=on"
	set_config "ids 10de:1e87 functions=one"
	ve --report
	assert_equal "$status" 65
	assert_line --partial "[blocking] IOMMU group 10 is not usable for a VM: it also holds 0000:01:00.1 (snd_hda_intel), 0000:01:00.2 (xhci_hcd), 0000:01:00.3 (nvidia-gpu)"
	assert_line "      fix: if the host can spare them, add the line \"address 0000:01:00.1 0000:01:00.2 0000:01:00.3\" to /etc/vfio-early.conf (or add whole-group to the rule at /etc/vfio-early.conf:1); otherwise move the card to a slot with its own IOMMU group"
	assert_line "      IOMMU group 10 (partial):"
	# The fix as printed makes the group ready.
	set_config "ids 10de:1e87 functions=one" "address 0000:01:00.1 0000:01:00.2 0000:01:00.3"
	ve --report
	assert_line "      IOMMU group 10 (pending):"
	refute_output --partial "not usable for a VM"
}

@test "a partial group selected on the command line: the fix is a config line" {
	make_root vmd-navi
	fake_builtin_modules
	# One function of the Radeon: its audio stays with the host.
	set_cmdline "root=UUID=5c0a8f1e-3b2d-4c6e-9f10-7a8b9c0d1e2f intel_iommu=on vfio_early.devices=03:00.0"
	ve --report
	assert_equal "$status" 65
	assert_line "  [blocking] IOMMU group 2 is not usable for a VM: it also holds 0000:03:00.1 (snd_hda_intel)"
	assert_line "      fix: if the host can spare them, add the line \"address 0000:03:00.1\" to /etc/vfio-early.conf; otherwise move the card to a slot with its own IOMMU group"
}

@test "boot framebuffer on the GPU's memory: named, with the fix" {
	make_root two-cards
	fake_builtin_modules
	start=$(sed -n 2p "$ROOT/sys/bus/pci/devices/0000:0b:00.0/resource" | cut -d' ' -f1)
	printf '%x-%x : BOOTFB\n' "$start" $((start + 0x7fffff)) >> "$ROOT/proc/iomem"
	set_config "address 0b:00"
	ve --report
	assert_line "      boot framebuffer on its memory: BOOTFB"
	# Linux 6.1: vfio-pci removes it when it binds (seen in tests/boot/singlegpu.bats).
	assert_line --partial "[note] 0000:0b:00.0: the boot framebuffer (BOOTFB) sits on its memory; vfio-pci removes it when it binds (Linux 6.0 and later)"
	# Before 6.0 it stays: a warning, with the fix for that kernel.
	echo 5.15.0-91-generic > "$ROOT/proc/sys/kernel/osrelease"
	ve --report
	assert_line --partial "[warning] 0000:0b:00.0: the boot framebuffer (BOOTFB) sits on its memory, and vfio-pci before Linux 6.0 leaves it there"
	assert_line --partial "fix: add initcall_blacklist=sysfb_init"
}

@test "refusals come with a fix: the boot VGA" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0a:00"
	ve --report
	assert_equal "$status" 65
	assert_line --partial "[blocking] 0000:0a:00.0 is selected but will be refused: is the boot VGA device"
	assert_line --partial "fix: if this GPU should leave the host's console, add allow-boot-vga"
	assert_line "      to select it: \"address 0000:0b:00\" or \"path 0000:00:03.2/00 expect=10de:2204\" in /etc/vfio-early.conf"
}

@test "rule problems are in the report with file and line" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00" "ids 10de:zzzz" "address 42:00"
	ve --report
	assert_line --partial "[warning] /etc/vfio-early.conf:2: 10de:zzzz: not a vendor:device id"
	assert_line --partial "[note] /etc/vfio-early.conf:3: 42:00 matches no device"
	assert_line "  rules: 2 (command line, modprobe.d, config), 1 problem"
}

@test "this boot: failures recorded in the state file are reported" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00"
	mkdir -p "$ROOT/run/vfio-early"
	printf '%s\n' "vfio-early-state 1" \
		"run mode=boot exit=8 bound=1 override_set=0 failed=1 refused=0 rule_errors=0 excluded=0 iommu=1 kernel=6.1.0-56-amd64" \
		"device addr=0000:0b:00.0 ids=10de:2204 sub=10de:1492 class=030000 group=21 boot_vga=0 via=rule rule=/etc/vfio-early.conf:1 result=failed driver=none reason=no driver after the probe (vfio-pci refused it; see the kernel log)" \
		> "$ROOT/run/vfio-early/state"
	ve --report
	assert_equal "$status" 65
	assert_line "  vfio-early ran (boot mode, kernel 6.1.0-56-amd64): 1 bound, 1 failed, 0 refused, exit 8"
	assert_line "      this boot: failed: no driver after the probe (vfio-pci refused it; see the kernel log)"
	assert_line --partial "[blocking] 0000:0b:00.0 failed to bind at this boot"
}

@test "vfio-early did not run: said, with how to install it" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00"
	ve --report
	assert_line --partial "[warning] vfio-early did not run at this boot"
}

@test "initramfs inspected: missing vfio-early is blocking, a newer config a warning" {
	command -v lsinitramfs > /dev/null || skip "lsinitramfs not installed"
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00"
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/boot" "$BATS_TEST_TMPDIR/img/usr/sbin" "$BATS_TEST_TMPDIR/img/etc"
	# compressed as initramfs-tools does (an image of a real kernel's size is slow to list)
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet | zstd -q > "$ROOT/boot/initrd.img-$kver")
	touch -d '2 days ago' "$ROOT/boot/initrd.img-$kver"
	ve --report
	assert_line "  initramfs $ROOT/boot/initrd.img-$kver: vfio-early NO, config no, vfio-pci built in, protected list no"
	assert_line --partial "[blocking] the initramfs $ROOT/boot/initrd.img-$kver lacks vfio-early"
	assert_line --partial "fix: run update-initramfs -u"
	assert_line --partial "[warning] /etc/vfio-early.conf changed after the initramfs"

	mkdir -p "$BATS_TEST_TMPDIR/img/usr/lib/modules/$kver/kernel/drivers/vfio/pci" "$BATS_TEST_TMPDIR/img/lib/vfio-early"
	touch "$BATS_TEST_TMPDIR/img/usr/sbin/vfio-early" "$BATS_TEST_TMPDIR/img/etc/vfio-early.conf" \
		"$BATS_TEST_TMPDIR/img/usr/lib/modules/$kver/kernel/drivers/vfio/pci/vfio-pci.ko" \
		"$BATS_TEST_TMPDIR/img/lib/vfio-early/protected"
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet | zstd -q > "$ROOT/boot/initrd.img-$kver")
	ve --report
	assert_line "  initramfs $ROOT/boot/initrd.img-$kver: vfio-early yes, config yes, vfio-pci yes, protected list yes"
	refute_line --partial "lacks"
}

@test "a broken system still gets valid JSON" {
	command -v jq > /dev/null || skip "jq not installed"
	make_root two-cards
	printf 'garbage\x01\xff\xfe "quoted" \\ back\n' > "$ROOT/proc/cmdline"
	printf 'vfio-early-state 1\nrun mode=\xff\ndevice addr=0000:0b:00.0 result=\x02 reason=\xc3\x28\n' > "$ROOT/run/vfio-early/state" 2>/dev/null ||
		{ mkdir -p "$ROOT/run/vfio-early"; printf 'vfio-early-state 1\nrun mode=\xff\n' > "$ROOT/run/vfio-early/state"; }
	printf 'ids \xff\xfe\n' > "$ROOT/etc/vfio-early.conf"
	rm -rf "$ROOT/sys/kernel/iommu_groups" "$ROOT/proc/cpuinfo"
	ve --report --json
	printf '%s' "$output" | jq -e . > /dev/null
	rm -rf "$ROOT/sys/bus"
	ve --report --json
	assert_equal "$status" 65
	printf '%s' "$output" | jq -e '.problems[] | select(.what=="cannot read /sys/bus/pci/devices")' > /dev/null
}

@test "--capture then --root reproduces the report" {
	healthy_root
	ve --report
	original=$output
	run "$VFIO_EARLY" --root "$ROOT" --capture "$BATS_TEST_TMPDIR/cap"
	assert_success
	assert_output --regexp "captured [0-9]+ files"
	run "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/cap" --report
	assert_success
	assert_equal "$output" "$original"
	# and the capture is a tree boot mode can run on.
	run "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/cap" --dry-run
	assert_success
	assert_line --partial "0000:09:00.0 [10de:2204] class 030000: already on vfio-pci"
	# a capture never goes into a directory that holds something
	run "$VFIO_EARLY" --root "$ROOT" --capture "$BATS_TEST_TMPDIR/cap"
	assert_equal "$status" 1
	assert_output --partial "not empty"
}

@test "--capture of this machine's own sysfs reproduces its report" {
	[ -d /sys/bus/pci/devices ] || skip "no PCI sysfs here"
	run "$VFIO_EARLY" --report --json
	live=$output
	run "$VFIO_EARLY" --capture "$BATS_TEST_TMPDIR/live"
	[ "$status" -eq 0 ] || [ "$status" -eq 2 ]
	run "$VFIO_EARLY" --root "$BATS_TEST_TMPDIR/live" --report --json
	assert_equal "$output" "$live"
}

@test "GPU still on nouveau with the guide's blacklists left over (golden)" {
	make_root proxmox-3090
	fake_builtin_modules
	fake_pciids
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$TOP/tests/fixtures/modprobe/guide/blacklist-nvidia.conf" \
		"$TOP/tests/fixtures/modprobe/guide/vfio.conf" "$ROOT/etc/modprobe.d/"
	cp "$TOP/tests/fixtures/modprobe/guide/modules" "$ROOT/etc/modules"
	set_config "ids 10de:2204 10de:1aef"
	ve --report
	assert_equal "$status" 64
	assert_golden report-leftovers.txt
	assert_line --partial "[warning] old recipe line /etc/modprobe.d/blacklist-nvidia.conf:5: blacklist snd_hda_intel:"
	assert_line "  [pending] reboot pending: the next boot hands 0000:09:00.0 (now nouveau), 0000:09:00.1 (now snd_hda_intel) to vfio-pci"
	ve --report --json
	assert_equal "$(jq -r '[.boot_chain.legacy[] | select(.verdict=="unnecessary")] | length' <<< "$output")" \
		"$(grep -c 'unnecessary with vfio-early' "$TOP/tests/expected/report-leftovers.txt")"
}

@test "the recipe alone (no vfio-early rules): a note points to --import" {
	make_root proxmox-3090
	fake_builtin_modules
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$TOP/tests/fixtures/modprobe/guide/vfio.conf" "$ROOT/etc/modprobe.d/"
	ve --report
	assert_line --partial "[note] this host binds devices with the modprobe.d recipe"
	assert_line --partial "fix: vfio-early --import prints the equivalent /etc/vfio-early.conf"
	refute_line --partial "old recipe line"
}

@test "misspelt IOMMU and vfio options on the kernel command line are named" {
	make_root proxmox-3090 "iommu off"
	fake_builtin_modules
	set_cmdline "root=/dev/mapper/pve-root intel_iomu=on iommu=pt vfio_pci.id=10de:2204 quiet"
	ve --report
	assert_line --partial "[warning] the kernel command line has intel_iomu, which the kernel ignores: a misspelt intel_iommu?"
	assert_line --partial "[warning] the kernel command line has vfio_pci.id, which the kernel ignores: a misspelt vfio-pci.ids?"
	refute_line --partial "has quiet"
	refute_line --partial "has iommu,"
}

@test "vfio modules loaded but without a file: a warning, not missing" {
	make_root two-cards
	set_config "address 0b:00"
	mkdir -p "$ROOT/sys/module/vfio_pci" "$ROOT/sys/module/vfio" "$ROOT/sys/module/vfio_iommu_type1"
	ve --report
	assert_line "  modules for 6.1.0-56-amd64: vfio-pci (loaded, no file), vfio (loaded, no file), vfio_iommu_type1 (loaded, no file)"
	assert_line --partial "[warning] vfio modules loaded but missing from /lib/modules/6.1.0-56-amd64: vfio-pci, vfio, vfio_iommu_type1"
	refute_line --partial "[blocking] vfio modules missing"
}

@test "an Arch (mkinitcpio) image: found by the kernel's pkgbase, listed, rebuilt with mkinitcpio -P" {
	command -v lsinitramfs > /dev/null || command -v lsinitcpio > /dev/null ||
		skip "neither lsinitcpio nor lsinitramfs installed"
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00"
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	mkdir -p "$ROOT/boot" "$ROOT/usr/lib/modules/$kver" "$BATS_TEST_TMPDIR/img/usr/bin" "$BATS_TEST_TMPDIR/img/etc"
	echo linux-lts > "$ROOT/usr/lib/modules/$kver/pkgbase"
	# mkinitcpio's image: a cpio archive, zstd-compressed by default
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet | zstd -q > "$ROOT/boot/initramfs-linux-lts.img")
	touch -d '2 days ago' "$ROOT/boot/initramfs-linux-lts.img"
	ve --report
	assert_line "  initramfs $ROOT/boot/initramfs-linux-lts.img: vfio-early NO, config no, vfio-pci built in, protected list no"
	assert_line --partial "[blocking] the initramfs $ROOT/boot/initramfs-linux-lts.img lacks vfio-early"
	assert_line --partial "[warning] /etc/vfio-early.conf changed after the initramfs $ROOT/boot/initramfs-linux-lts.img was built"
	assert_line "      fix: run mkinitcpio -P"
	refute_output --partial "update-initramfs -u"$'\n'
	refute_line "      fix: run update-initramfs -u"

	# the image with vfio-early in it (mkinitcpio puts binaries in usr/bin)
	mkdir -p "$BATS_TEST_TMPDIR/img/usr/lib/modules/$kver/kernel/drivers/vfio/pci" "$BATS_TEST_TMPDIR/img/usr/lib/vfio-early"
	touch "$BATS_TEST_TMPDIR/img/usr/bin/vfio-early" "$BATS_TEST_TMPDIR/img/etc/vfio-early.conf" \
		"$BATS_TEST_TMPDIR/img/usr/lib/modules/$kver/kernel/drivers/vfio/pci/vfio-pci.ko.zst" \
		"$BATS_TEST_TMPDIR/img/usr/lib/vfio-early/protected"
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet | zstd -q > "$ROOT/boot/initramfs-linux-lts.img")
	ve --report
	assert_line "  initramfs $ROOT/boot/initramfs-linux-lts.img: vfio-early yes, config yes, vfio-pci yes, protected list yes"
	refute_line --partial "lacks"
	ve --report --json
	assert_equal "$(jq -r .boot_chain.initramfs.path <<< "$output")" "$ROOT/boot/initramfs-linux-lts.img"
	# a plain (uncompressed) cpio is listed too
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet > "$ROOT/boot/initramfs-linux-lts.img")
	ve --report
	assert_line "  initramfs $ROOT/boot/initramfs-linux-lts.img: vfio-early yes, config yes, vfio-pci yes, protected list yes"
}

@test "a built-in vfio-pci needs no module in the initramfs: no blocking, and the report says built in" {
	command -v jq > /dev/null || skip "jq not installed"
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00"
	kver=$(cat "$ROOT/proc/sys/kernel/osrelease")
	# an image with vfio-early, its config and the protected list, and no vfio-pci.ko
	mkdir -p "$ROOT/boot" "$BATS_TEST_TMPDIR/img/usr/sbin" "$BATS_TEST_TMPDIR/img/etc" \
		"$BATS_TEST_TMPDIR/img/lib/vfio-early"
	touch "$BATS_TEST_TMPDIR/img/usr/sbin/vfio-early" "$BATS_TEST_TMPDIR/img/etc/vfio-early.conf" \
		"$BATS_TEST_TMPDIR/img/lib/vfio-early/protected"
	(cd "$BATS_TEST_TMPDIR/img" && find . | cpio -o -H newc --quiet > "$ROOT/boot/initrd.img-$kver")
	ve --report
	assert_line "  modules for $kver: vfio-pci (built in), vfio (built in), vfio_iommu_type1 (built in)"
	assert_line "  initramfs $ROOT/boot/initrd.img-$kver: vfio-early yes, config yes, vfio-pci built in, protected list yes"
	refute_line --partial "lacks"
	refute_line --partial "fix: run update-initramfs -u"
	ve --report --json
	assert_equal "$(jq -r '.boot_chain.modules["vfio-pci"]' <<< "$output")" "built in"
	assert_equal "$(jq -r .boot_chain.initramfs.has_vfio_pci <<< "$output")" false
	assert_equal "$(jq -r .boot_chain.initramfs.vfio_pci_built_in <<< "$output")" true
	assert_equal "$(jq '[.problems[] | select(.what | contains("lacks"))] | length' <<< "$output")" 0
}

# The Arc A770 of import.bats (GPU 8086:56a0, audio 8086:4f90, Linux 6.8's
# modules.alias, where i915 and xe both claim the GPU) on the guide's host,
# whose boot display (8086:3e92) uses i915 too.
@test "Boot chain: blacklist xe and i915 judged by modules.alias, as --import does" {
	make_root proxmox-3090 "pci 0000:00:1c.0 ids=8086:a33c class=060400 group=16 driver=pcieport
pci 0000:03:00.0 parent=0000:00:1c.0 ids=8086:56a0 sub=8086:1020 class=030000 group=17 driver=i915
pci 0000:04:00.0 parent=0000:00:1c.0 ids=8086:4f90 sub=8086:1020 class=040300 group=18 driver=snd_hda_intel
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000056A0sv*sd*bc03sc*i* i915
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000056A0sv*sd*bc03sc*i* xe
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v*d*sv*sd*bc04sc03i00 snd_hda_intel
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000015BCsv*sd*bc*sc*i* e1000e
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d00003E92sv*sd*bc03sc*i* i915
file etc/modprobe.d/vfio.conf options vfio-pci ids=8086:56a0,8086:4f90
file etc/modprobe.d/arc.conf blacklist xe
file etc/modprobe.d/arc.conf blacklist i915
file etc/modprobe.d/arc.conf blacklist e1000e"
	# No fake_builtin_modules: its depmod index would hide the text modules.alias.
	set_config "ids 8086:56a0 8086:4f90"
	ve --report
	assert_line "    /etc/modprobe.d/arc.conf:1: blacklist xe [unnecessary with vfio-early]"
	assert_line "    /etc/modprobe.d/arc.conf:2: blacklist i915 [keep]"
	# e1000e drives nothing the rules select: not part of the recipe.
	refute_output --partial "blacklist e1000e"
}

# The guide's host after a good boot of a new config: vfio-early wrote the
# overrides, but nouveau and snd_hda_intel held the card before it ran (a
# test root is never probed), so the configuration waits for the next boot.
pending_root() {
	make_root proxmox-3090
	fake_builtin_modules
	set_config "ids 10de:2204 10de:1aef"
	mkdir -p "$ROOT/lib/vfio-early"
	"$VFIO_EARLY" --root "$ROOT" --list-protected > "$ROOT/lib/vfio-early/protected"
	mv "$ROOT/proc/self/mountinfo" "$BATS_TEST_TMPDIR/mountinfo"
	: > "$ROOT/proc/self/mountinfo"
	"$VFIO_EARLY" --root "$ROOT" || true
	mv "$BATS_TEST_TMPDIR/mountinfo" "$ROOT/proc/self/mountinfo"
}

@test "reboot pending: its own state, one line per card, not a warning, exit 0" {
	pending_root
	ve --report
	assert_success
	assert_line "  [pending] reboot pending: the next boot hands 0000:09:00.0 (now nouveau), 0000:09:00.1 (now snd_hda_intel) to vfio-pci"
	assert_line "      fix: reboot"
	assert_line "      IOMMU group 14 (pending):"
	assert_line "  none yet: the cards below are pending (after the next boot)"
	assert_line "For a VM after the next boot (pending)"
	assert_line "  0000:09:00 (IOMMU group 14)"
	assert_line "Verdict: reboot pending (0 blocking, 0 warnings; exit 0)"
	refute_output --partial "[warning]"
	refute_output --partial "(ready)"
	ve --report --json
	assert_success
	assert_equal "$(jq -r '[.problems[] | select(.code=="reboot-pending")] | length' <<< "$output")" 1
	assert_equal "$(jq -r '.problems[0] | .severity + " " + .device' <<< "$output")" "pending 0000:09:00.0"
	assert_equal "$(jq -r '.groups[] | select(.id==14) | .verdict' <<< "$output")" "pending"
}

@test "no rules: nothing is called ready" {
	make_root proxmox-3090
	fake_builtin_modules
	ve --report
	assert_success
	assert_line "  none: no rule selects a card (each card above says how to select it)"
	assert_line "Verdict: nothing selected (0 blocking, 0 warnings; exit 0)"
	refute_output --partial "(ready"
	refute_output --partial "Verdict: ready"
	refute_output --partial "viable"
}

@test "problems: worst first, then the host's own, then by device; one fix per run of the same fix" {
	make_root turing-usbc
	fake_builtin_modules
	set_cmdline "root=PARTUUID=5e1d2c3b-02 intel_iommu=on pcie_acs_override=downstream"
	set_config "ids 10de:1e87 functions=one" "ids 1111:0001" "ids 1111:0002" "ids 1111:0003"
	ve --report
	assert_equal "$status" 65
	problems=$(sed -n '/^Problems and fixes$/,/^$/p' <<< "$output" | grep '^  \[')
	# Severities never rise down the list.
	rank() { sed -e 's/^  \[blocking\].*/4/' -e 's/^  \[warning\].*/3/' -e 's/^  \[pending\].*/2/' -e 's/^  \[note\].*/1/'; }
	assert_equal "$(rank <<< "$problems" | tr '\n' ' ')" "$(rank <<< "$problems" | sort -rn | tr '\n' ' ')"
	grep -q '^  \[blocking\]' <<< "$problems"
	grep -q '^  \[warning\]' <<< "$problems"
	grep -q '^  \[note\]' <<< "$problems"
	# Three rules that match nothing, side by side: their fix once.
	assert_equal "$(grep -c 'matches no device' <<< "$output")" 3
	assert_equal "$(grep -c 'fix: correct or remove that rule' <<< "$output")" 1
	# The JSON keeps the order, a code and the device for each.
	ve --report --json
	assert_equal "$(jq -r '[.problems[].severity] | join(" ")' <<< "$output" | tr ' ' '\n' | uniq | tr '\n' ' ')" "blocking warning pending note "
	assert_equal "$(jq -r '.problems[] | select(.code=="group-shared") | .device' <<< "$output")" "0000:01:00.0"
	assert_equal "$(jq -r '[.problems[] | select(.code=="rule-matches-nothing") | .device] | unique | map(tostring) | join(" ")' <<< "$output")" "null"
	assert_equal "$(jq -r '[.problems[] | select(.code=="acs-override")] | length' <<< "$output")" 1
}

@test "a shared group: --dry-run and --report agree that it blocks, named once" {
	make_root turing-usbc
	fake_builtin_modules
	set_cmdline "root=PARTUUID=5e1d2c3b-02 intel_iommu=on"
	set_config "ids 10de:1e87 functions=one"
	ve --report
	assert_equal "$status" 65
	assert_equal "$(grep -c '^  \[blocking\] IOMMU group 10 is not usable for a VM' <<< "$output")" 1
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	# 4: blocking, as the safety policy's refusals are.
	assert_equal "$status" 4
	assert_equal "$(grep -c 'IOMMU group 10 is not usable for a VM' <<< "$stderr")" 1
	grep -qF "error: IOMMU group 10 is not usable for a VM: it also holds 0000:01:00.1 [10de:10f8] class 040300 (driver snd_hda_intel), 0000:01:00.2" <<< "$stderr"
	assert_line --partial "0 rule errors, 1 IOMMU group no VM can use (exit 4)"
}

@test "on a terminal of known width the report is folded to 80 columns; piped, or on a serial console, it is not" {
	command -v script > /dev/null || skip "script (bsdutils) not installed"
	make_root apu-phoenix-rtx4060
	fake_builtin_modules
	set_config "address 0000:05:00.0 whole-group allow-boot-vga" "ids 10de:28e0"
	ve --report
	# Piped: whole lines, some longer than 80 columns.
	[ "$(awk 'length($0) > 80' <<< "$output" | wc -l)" -gt 0 ]
	# a serial console's size is unknown (0 columns): whole lines there too
	run script -qec "stty cols 0 rows 0; $VFIO_EARLY --root $ROOT --report" /dev/null
	[ "$(tr -d '\r' <<< "$output" | awk 'length($0) > 80' | wc -l)" -gt 0 ]
	run script -qec "stty cols 132 rows 40; $VFIO_EARLY --root $ROOT --report" /dev/null
	folded=$(tr -d '\r' <<< "$output")
	grep -q '^Verdict: ' <<< "$folded"
	assert_equal "$(awk 'length($0) > 80' <<< "$folded")" ""
	# A folded command still pastes: each of its lines but the last ends in a backslash.
	grep -q 'pvesh create .* \\$' <<< "$folded"
	# --json is never folded.
	run script -qec "stty cols 132 rows 40; $VFIO_EARLY --root $ROOT --report --json" /dev/null
	tr -d '\r' <<< "$output" | jq -e . > /dev/null
}

@test "--report --verbose: the legend of every verdict and severity" {
	make_root proxmox-3090
	fake_builtin_modules
	ve --report --verbose
	assert_success
	for w in ready pending partial candidate shared blocked blocking warning note; do
		assert_line --regexp "^    $w +"
	done
	ve --report
	assert_line "What ready, pending, partial, candidate, shared and blocked mean: --report --verbose, or VERDICTS in vfio-early(8)"
}
