#!/usr/bin/env bats
# Every fix --report prints, applied to the fake root as printed, makes the
# verdict better; advice that cannot help is not printed at all.
# (A reboot is simulated by rebuilding the root with the new command line.)

load helper

# The number of blocking problems / warnings of the last report.
blocking() { sed -n 's/^Verdict: .*(\([0-9]*\) blocking.*/\1/p' <<< "$output"; }
warnings() { sed -n 's/^Verdict: .*blocking, \([0-9]*\) warning.*/\1/p' <<< "$output"; }

# The fix printed under the problem that contains $1.
fix_of() {
	printf '%s\n' "$output" | grep -F -A1 -- "$1" | sed -n 's/^      fix: //p' | head -n 1
}

# The text between the first pair of double quotes of $1: a line to paste.
quoted() { sed -n 's/^[^"]*"\([^"]*\)".*/\1/p' <<< "$1"; }

@test "an ids rule that matches the root disk: narrow it (the printed exclude line works)" {
	make_root h97-nvme "mount / 259:2 /dev/nvme0n1p2 ext4"
	fake_builtin_modules
	set_config "ids 144d:a808 allow-storage"
	ve --report
	before=$(blocking)
	fix=$(fix_of "0000:01:00.0 is selected but will be refused: holds the root filesystem")
	[[ $fix == *"narrow it"* ]]
	[[ $fix != *"move the card"* ]]
	line=$(quoted "$fix")
	assert_equal "$line" "exclude address 0000:01:00.0"
	set_config "ids 144d:a808 allow-storage" "$line"
	ve --report
	refute_output --partial "0000:01:00.0 is selected but will be refused"
	[ "$(blocking)" -lt "$before" ]
	assert_line --partial "0000:02:00.0 [144d:a808] Non-Volatile memory controller, nvme, to vfio-pci"
}

@test "the boot VGA refused alone in its group: no 'also holds' itself; allow-boot-vga works" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0a:00"
	ve --report
	before=$(blocking)
	refute_output --partial "is not usable for a VM: it also holds 0000:0a:00.0"
	refute_output --partial "also holds 0000:0a:00.1"
	fix=$(fix_of "0000:0a:00.0 is selected but will be refused: is the boot VGA device")
	[[ $fix == *"add allow-boot-vga to its rule"* ]]
	set_config "address 0a:00 allow-boot-vga"
	ve --report
	refute_output --partial "will be refused"
	[ "$(blocking)" -lt "$before" ]
	assert_line "  0000:0a:00 (IOMMU group 20)"
}

@test "a partial group: the printed whole-group option makes it pending (ready after a reboot)" {
	make_root turing-usbc
	fake_builtin_modules
	set_cmdline "root=PARTUUID=5e1d2c3b-02 intel_iommu=on"
	set_config "ids 10de:1e87 functions=one"
	ve --report
	before=$(blocking)
	fix=$(fix_of "IOMMU group 10 is not usable for a VM")
	[[ $fix == *"or add whole-group to the rule at /etc/vfio-early.conf:1"* ]]
	set_config "ids 10de:1e87 functions=one whole-group"
	ve --report
	assert_line "      IOMMU group 10 (pending):"
	[ "$(blocking)" -lt "$before" ]
}

@test "no IOMMU on a GRUB host: the fix names /etc/default/grub and update-grub, and works" {
	make_root proxmox-3090 "iommu off"
	fake_builtin_modules
	mkdir -p "$ROOT/etc/default" "$ROOT/usr/sbin"
	echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' > "$ROOT/etc/default/grub"
	: > "$ROOT/usr/sbin/update-grub"
	set_cmdline "BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro quiet"
	set_config "ids 10de:2204"
	ve --report
	before=$(blocking)
	fix=$(fix_of "no IOMMU is active")
	[[ $fix == *"add intel_iommu=on to the kernel command line (edit GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then run update-grub)"* ]]
	# Follow it: edit the file, then update-grub and a reboot give the kernel its value.
	sed -i 's/quiet/quiet intel_iommu=on/' "$ROOT/etc/default/grub"
	cmdline="BOOT_IMAGE=/boot/vmlinuz root=/dev/mapper/pve-root ro $(sed -n 's/^GRUB_CMDLINE_LINUX_DEFAULT="\(.*\)"/\1/p' "$ROOT/etc/default/grub")"
	make_root proxmox-3090
	fake_builtin_modules
	set_cmdline "$cmdline"
	set_config "ids 10de:2204"
	ve --report
	refute_output --partial "no IOMMU is active"
	[ "$(blocking)" -lt "$before" ]
}

@test "no IOMMU with proxmox-boot-tool: the fix names /etc/kernel/cmdline and refresh, and works" {
	make_root proxmox-3090 "iommu off"
	fake_builtin_modules
	mkdir -p "$ROOT/etc/kernel"
	echo "root=ZFS=rpool/ROOT/pve-1 boot=zfs" > "$ROOT/etc/kernel/cmdline"
	echo "5E1D-2C3B" > "$ROOT/etc/kernel/proxmox-boot-uuids"
	set_cmdline "initrd=\\EFI\\proxmox\\initrd.img root=ZFS=rpool/ROOT/pve-1 boot=zfs"
	set_config "ids 10de:2204"
	ve --report
	before=$(blocking)
	fix=$(fix_of "no IOMMU is active")
	[[ $fix == *"(edit /etc/kernel/cmdline, then run proxmox-boot-tool refresh)"* ]]
	[[ $fix != *grub* ]]
	sed -i 's/$/ intel_iommu=on/' "$ROOT/etc/kernel/cmdline"
	cmdline=$(cat "$ROOT/etc/kernel/cmdline")
	make_root proxmox-3090
	fake_builtin_modules
	set_cmdline "$cmdline"
	set_config "ids 10de:2204"
	ve --report
	refute_output --partial "no IOMMU is active"
	[ "$(blocking)" -lt "$before" ]
}

@test "no IOMMU although intel_iommu=on is on the command line: no advice to add it" {
	make_root proxmox-3090 "iommu off"
	fake_builtin_modules
	set_cmdline "root=/dev/mapper/pve-root ro intel_iommu=on"
	set_config "ids 10de:2204"
	ve --report
	assert_line --partial "[blocking] no IOMMU is active"
	refute_output --partial "add intel_iommu=on"
	assert_line --partial "fix: the command line asks for it already: enable VT-d in the firmware setup"
}

@test "intel_iommu=1 and a misspelt option: the printed spellings silence both warnings" {
	make_root proxmox-3090
	fake_builtin_modules
	set_cmdline "root=/dev/mapper/pve-root ro intel_iommu=1 iommu=pt pcie_acs_overide=downstream"
	set_config "ids 10de:2204"
	ve --report
	before=$(warnings)
	assert_line --partial "fix: write intel_iommu=on"
	fix=$(fix_of "pcie_acs_overide, which the kernel ignores")
	[[ $fix == "spell it pcie_acs_override"* ]]
	set_cmdline "root=/dev/mapper/pve-root ro intel_iommu=on iommu=pt pcie_acs_override=downstream"
	ve --report
	refute_output --partial "intel_iommu=1"
	refute_output --partial "which the kernel ignores"
	# pcie_acs_override now takes effect, and is a warning of its own.
	[ "$(warnings)" -lt "$before" ]
}

@test "a rule that matches nothing: removing it, as the note says, removes the note" {
	make_root two-cards
	fake_builtin_modules
	set_config "address 0b:00" "address 42:00"
	ve --report
	assert_line --partial "[note] /etc/vfio-early.conf:2: 42:00 matches no device"
	assert_line --partial "fix: correct or remove that rule"
	set_config "address 0b:00"
	ve --report
	refute_output --partial "matches no device"
}

@test "an ids rule on a spare NVMe: the printed allow-storage makes it go" {
	make_root h97-nvme "mount / 259:2 /dev/nvme0n1p2 ext4"
	fake_builtin_modules
	set_config "ids 144d:a808" "exclude address 0000:01:00.0"
	ve --report
	before=$(blocking)
	fix=$(fix_of "0000:02:00.0 is selected but will be refused")
	[[ $fix == *"add allow-storage to the rule"* ]]
	set_config "ids 144d:a808 allow-storage" "exclude address 0000:01:00.0"
	ve --report
	refute_output --partial "will be refused"
	[ "$(blocking)" -lt "$before" ]
}

@test "a path rule whose card was replaced: the printed expect= fix works" {
	make_root two-cards
	fake_builtin_modules
	set_config "path 0000:00:03.2/00 expect=1002:73bf"
	ve --report
	before=$(blocking)
	fix=$(fix_of "0000:0b:00.0 is selected but will be refused")
	[[ $fix == *"update the path or expect= of the rule"* ]]
	set_config "path 0000:00:03.2/00 expect=10de:2204"
	ve --report
	refute_output --partial "will be refused"
	[ "$(blocking)" -lt "$before" ]
}

@test "a VF in one group with its PF: no advice to bind the PF or the whole group" {
	# As on boards without ACS below the port: the PF and its first VF share group 30.
	ROOT=$BATS_TEST_TMPDIR/root
	sed 's/^\(pci 0000:05:00.1 .*\)group=31/\1group=30/' "$TOP/tests/fixtures/sriov.spec" \
		> "$BATS_TEST_TMPDIR/spec"
	"$MKFAKESYS" "$BATS_TEST_TMPDIR/spec" "$ROOT"
	fake_builtin_modules
	set_config "address 05:00.1"
	ve --report
	assert_line --partial "it holds the VF's own PF 0000:05:00.0 (i40e), whose driver creates the VF"
	refute_output --partial "whole-group"
	refute_output --partial "\"address 0000:05:00.0\""
	# A VF does not exist when vfio-early runs at boot: no promise of vfio-pci.
	refute_output --partial "next boot: vfio-pci"
	assert_line --partial "next boot: not at boot (rule /etc/vfio-early.conf:1): a VF exists only once its PF's driver creates it"
}

@test "amd_iommu=on on an Intel host is not flagged" {
	make_root proxmox-3090
	fake_builtin_modules
	set_cmdline "root=/dev/mapper/pve-root ro intel_iommu=on amd_iommu=on"
	set_config "ids 10de:2204"
	ve --report
	refute_output --partial "amd_iommu=on is"
}

@test "Intel Arc: GPU and HDMI audio on two buses below the card's switch are one card" {
	# The layout of an Arc A770 (lspci -t: root port, the card's upstream
	# port 4fa1, downstream ports 4fa4, GPU 56a0 at 03:00.0, audio 4f90 at
	# 04:00.0), each endpoint in a group of its own.
	make_root proxmox-3090 "
pci 0000:00:1b.0 ids=8086:a340 class=060400 group=20 driver=pcieport
pci 0000:0c:00.0 parent=0000:00:1b.0 ids=8086:4fa1 class=060400 group=21 driver=pcieport
pci 0000:0d:01.0 parent=0000:0c:00.0 ids=8086:4fa4 class=060400 group=22 driver=pcieport
pci 0000:0d:04.0 parent=0000:0c:00.0 ids=8086:4fa4 class=060400 group=23 driver=pcieport
pci 0000:0e:00.0 parent=0000:0d:01.0 ids=8086:56a0 sub=8086:1020 class=030000 group=24 driver=vfio-pci
pci 0000:0f:00.0 parent=0000:0d:04.0 ids=8086:4f90 sub=8086:1020 class=040300 group=25 driver=vfio-pci"
	fake_builtin_modules
	echo pve > "$ROOT/etc/hostname"
	set_config "ids 8086:56a0"
	ve --report
	assert_line --partial "0000:0f:00.0 [8086:4f90] Audio device, vfio-pci, to vfio-pci"
	assert_line "  0000:0e:00 (IOMMU group 24)"
	assert_line "  0000:0f:00 (IOMMU group 25)"
	assert_line "    Proxmox: qm set VMID -hostpci0 0000:0e:00,pcie=1   (add ,x-vga=1 for the VM's primary display)"
	assert_line "    Proxmox: qm set VMID -hostpci1 0000:0f:00,pcie=1"
	assert_line "    Proxmox mapping: pvesh create /cluster/mapping/pci --id pci-0000-0f-00 --map node=pve,path=0000:0f:00,id=8086:4f90,subsystem-id=8086:1020,iommugroup=25"
	assert_line "      then in the VM's config: hostpci1: mapping=pci-0000-0f-00,pcie=1"
	ve --report --json
	assert_equal "$(jq -r '.ready_for_vm[] | select(.functions[0]=="0000:0e:00.0") | .functions | join(" ")' <<< "$output")" "0000:0e:00.0 0000:0f:00.0"
}
