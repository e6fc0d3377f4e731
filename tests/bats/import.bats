#!/usr/bin/env bats
# vfio-early --import on fake machines: the config it prints for the recipes
# users follow (modprobe.d, /etc/modules, the kernel command line), what it
# says about each old line, what it reports on stderr, its exit status, and
# that the printed config is valid and selects what the old recipe did.
# Fixtures: tests/fixtures/*.spec and tests/fixtures/modprobe/.

bats_require_minimum_version 1.5.0

load helper

FIX=$TOP/tests/fixtures/modprobe

# The passthrough guide's files, verbatim, where the guide puts them.
guide_files() {
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$FIX/guide/blacklist-nvidia.conf" "$FIX/guide/vfio.conf" "$ROOT/etc/modprobe.d/"
	cp "$FIX/guide/modules" "$ROOT/etc/modules"
}

# ve_import [ARGS]: stdout in $output (also saved as $CONF), stderr in $stderr.
ve_import() {
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --import "$@"
	CONF=$BATS_TEST_TMPDIR/imported.conf
	printf '%s\n' "$output" > "$CONF"
}

# The printed config parses without a single rule error, and the dry run
# with it prints the plan on stdout.
dry_run_imported() {
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --config "$CONF" --dry-run
	assert_output --partial "summary (dry run): "
	if grep -F "$CONF:" <<< "$stderr"; then
		fail "the imported config has errors"
	fi
}

# The output with the comment wrapping undone, to find a sentence in it.
flat() { sed 's/^#  *//' <<< "$output" | tr '\n' ' '; }

@test "the guide's recipe: modprobe.d files and /etc/modules" {
	make_root proxmox-3090
	guide_files
	before=$(snapshot)
	ve_import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 10de:2204 10de:1aef"
	assert_line "# from /etc/modprobe.d/vfio.conf:1: options vfio-pci ids=10de:2204,10de:1aef"
	# The devices those ids select here.
	assert_line --partial "#   0000:09:00.0 [10de:2204] class 030000, driver nouveau, IOMMU group 14"
	assert_line --partial "#   0000:09:00.1 [10de:1aef] class 040300, driver snd_hda_intel, IOMMU group 14"
	# Every line of the guide is named as unnecessary, file by file and line by line.
	local drop
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	for l in "blacklist-nvidia.conf:1: blacklist nouveau" \
		"blacklist-nvidia.conf:2: blacklist nvidia" \
		"blacklist-nvidia.conf:3: blacklist nvidia_drm" \
		"blacklist-nvidia.conf:4: blacklist nvidia_modeset" \
		"blacklist-nvidia.conf:5: blacklist snd_hda_intel" \
		"vfio.conf:1: options vfio-pci ids=10de:2204,10de:1aef" \
		"vfio.conf:2: softdep nouveau pre: vfio-pci" \
		"vfio.conf:3: softdep nvidia pre: vfio-pci" \
		"vfio.conf:4: softdep nvidia_drm pre: vfio-pci"; do
		grep -qxF "# /etc/modprobe.d/$l" <<< "$drop" || fail "not listed as unnecessary: $l"
	done
	for l in "1: vfio" "2: vfio_iommu_type1" "3: vfio_pci" "4: vfio_virqfd"; do
		grep -qxF "# /etc/modules:$l" <<< "$drop" || fail "not listed as unnecessary: /etc/modules:$l"
	done
	# Why snd_hda_intel must go: the host's own audio.
	assert_output --partial "host's own included (here 0000:00:1f.3 [8086:a348])"
	assert_output --partial "only the card's function (0000:09:00.1 [10de:1aef])"
	# Nothing in the tree changed.
	assert_equal "$(changed_since "$before")" ""
	assert_equal "$(snapshot)" "$before"
}

@test "round trip: the imported config selects 09:00.0 and 09:00.1, nothing else" {
	make_root proxmox-3090
	guide_files
	ve_import
	assert_success
	dry_run_imported
	assert_success
	assert_line --regexp "^0000:09:00\.0 \[10de:2204\] class 030000: would bind to vfio-pci"
	assert_line --regexp "^0000:09:00\.1 \[10de:1aef\] class 040300: would bind to vfio-pci"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	[ "$(grep -c 'would bind' <<< "$output")" -eq 2 ]
}

@test "command line only: vfio-pci.ids= and rd.driver.pre=vfio-pci" {
	make_root proxmox-3090
	set_cmdline "BOOT_IMAGE=/vmlinuz root=/dev/mapper/pve-root ro quiet intel_iommu=on iommu=pt" \
		"vfio-pci.ids=10de:2204,10de:1aef rd.driver.pre=vfio-pci vfio_pci.disable_vga=1"
	# The guide's host boots through GRUB: the advice names GRUB's file.
	mkdir -p "$ROOT/etc/default"
	echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on iommu=pt"' > "$ROOT/etc/default/grub"
	ve_import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 10de:2204 10de:1aef"
	assert_line "# from /proc/cmdline: vfio-pci.ids=10de:2204,10de:1aef"
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /proc/cmdline: vfio-pci.ids=10de:2204,10de:1aef" <<< "$drop"
	grep -qxF "# /proc/cmdline: rd.driver.pre=vfio-pci" <<< "$drop"
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	grep -qxF "# /proc/cmdline: vfio_pci.disable_vga=1" <<< "$keep"
	grep -qxF "# /proc/cmdline: intel_iommu=on" <<< "$keep"
	assert_output --partial "GRUB_CMDLINE_LINUX_DEFAULT"
	refute_output --partial "proxmox-boot-tool"
	dry_run_imported
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
}

@test "command line advice names the host's boot loader: proxmox-boot-tool, not GRUB" {
	make_root proxmox-3090
	set_cmdline "root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on vfio-pci.ids=10de:2204"
	mkdir -p "$ROOT/etc/kernel"
	echo 'root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on' > "$ROOT/etc/kernel/cmdline"
	echo '4A1B-2C3D' > "$ROOT/etc/kernel/proxmox-boot-uuids"
	ve_import
	assert_success
	assert_line "# To change the kernel command line on this host: edit /etc/kernel/cmdline,"
	assert_line "# then run proxmox-boot-tool refresh."
	refute_output --partial "GRUB_CMDLINE_LINUX"
}

@test "command line: a blacklist list is edited, not dropped, when it holds other modules" {
	make_root proxmox-3090
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on vfio_pci.ids=10de:2204" \
		"modprobe.blacklist=nouveau,floppy,snd_hda_intel rd.driver.pre=vfio,vfio_pci,nvme"
	ve_import
	assert_success
	assert_line "ids 10de:2204"
	assert_line "#   change to: modprobe.blacklist=floppy"
	assert_line "#   change to: rd.driver.pre=nvme"
}

@test "two identical cards: ids take both; address and path rules are suggested" {
	make_root two-cards
	guide_files
	ve_import
	assert_success
	assert_line "ids 10de:2204 10de:1aef allow-boot-vga"
	assert_output --partial "Two or more identical cards match: an ids rule takes every one of them."
	assert_line "#     address 0a:00 allow-boot-vga"
	assert_line "#     path 00:03.1/00 expect=10de:2204 allow-boot-vga"
	assert_line "#     address 0b:00"
	assert_line "#     path 00:03.2/00 expect=10de:2204"
	# The first card is the boot display: its rules allow it, as the old recipe did.
	assert_line "# 0000:0a:00.0 [10de:2204] is the boot display: the old recipe passed it, so the rule allows it (the host loses its console)"
	assert_line "#     the boot display: the rule says allow-boot-vga, so the host"
	# The suggested path rule, used as the config, takes only the second card
	# once the old ids= line is gone, as the output advises (vfio-early reads
	# it as an ids rule, which takes both cards).
	rm "$ROOT/etc/modprobe.d/vfio.conf"
	rule=$(sed -n 's/^#     \(path 00:03\.2\/00 .*\)/\1/p' <<< "$output")
	printf '%s\n' "$rule" > "$BATS_TEST_TMPDIR/one.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --config "$BATS_TEST_TMPDIR/one.conf" --dry-run
	assert_success
	assert_line --regexp "^0000:0b:00\.0 .*would bind to vfio-pci"
	assert_line --regexp "^0000:0b:00\.1 .*would bind to vfio-pci"
	refute_line --partial "0000:0a:00"
}

@test "garbage lines: FILE:LINE: TOKEN: why on stderr, exit 2, the config still valid" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$FIX/garbage.conf" "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_equal "$status" 2
	f=/etc/modprobe.d/vfio.conf
	run printf '%s\n' "$stderr"
	assert_line "vfio-early: warning: $f:2: 10de:22zz: not a vendor:device id (VVVV:DDDD), skipped"
	assert_line --partial "$f:3: this: not a modprobe.d command"
	assert_line --partial "$f:4: blacklist: needs a module name"
	assert_line --partial "$f:5: 10de:2204:10de: a subsystem vendor without a subsystem device"
	assert_line --partial "$f:6: vfio-pci: not after pre: or post:"
	assert_line --partial "$f:7: bad/name: not a module name"
	assert_line --partial "$f:9: 10de:2204??: not a vendor:device id"
	assert_line --partial "$f:10: ?ELF???: not a modprobe.d command"
	[ "${#lines[@]}" -eq 8 ]
	# The printed text holds no control character.
	! LC_ALL=C grep -q '[[:cntrl:]]' "$CONF"
	run cat "$CONF"
	assert_line "ids 10de:2204 10de:1aef"
	# An id vfio-pci takes but an ids rule cannot express: that line stays.
	keep=$(sed -n '/^# ---- Keep/,$p' "$CONF")
	grep -qxF "# $f:5: options vfio-pci ids=10de:2204:10de" <<< "$keep"
	dry_run_imported
	# The imported config is clean; the garbage ids= still in modprobe.d are
	# rule errors of the boot too (vfio-early reads vfio-pci's ids).
	assert_equal "$status" 2
	assert_output --partial "summary (dry run): 2 to bind, 0 refused, 3 rule errors"
}

@test "modprobe.d precedence: /etc hides /run hides /lib, /dev/null masks, names order" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d" "$ROOT/run/modprobe.d" "$ROOT/lib/modprobe.d"
	cp "$FIX/precedence/etc/"*.conf "$ROOT/etc/modprobe.d/"
	cp "$FIX/precedence/run/"*.conf "$ROOT/run/modprobe.d/"
	cp "$FIX/precedence/lib/"*.conf "$ROOT/lib/modprobe.d/"
	ln -s /dev/null "$ROOT/etc/modprobe.d/masked.conf"
	ve_import
	assert_success
	# Only /etc's vfio.conf and /run's radeon.conf were read, in name order.
	assert_line "ids 10de:1aef 10de:2204"
	assert_line "# from /run/modprobe.d/radeon.conf:2: options vfio-pci ids=10de:1aef"
	assert_line "# from /etc/modprobe.d/vfio.conf:2: options vfio-pci ids=10de:2204,10de:1aef"
	refute_output --partial "1002:"
	refute_output --partial "8086:a348]"
	refute_output --partial "blacklist radeon"
	assert_output --partial "# /lib/modprobe.d/vfio.conf is hidden by /etc/modprobe.d/vfio.conf and was not"
	assert_output --partial "# /lib/modprobe.d/radeon.conf is hidden by /run/modprobe.d/radeon.conf and was"
	assert_output --partial "# /lib/modprobe.d/masked.conf is hidden by /etc/modprobe.d/masked.conf (a link"
}

@test "merged /usr: /lib/modprobe.d and /usr/lib/modprobe.d are read once" {
	make_root proxmox-3090
	mkdir -p "$ROOT/usr/lib/modprobe.d"
	ln -s usr/lib "$ROOT/lib"
	cp "$FIX/guide/vfio.conf" "$ROOT/usr/lib/modprobe.d/"
	ve_import
	assert_success
	refute_output --partial "hidden by"
	[ "$(grep -c '^# from ' <<< "$output")" -eq 1 ]
}

@test "every modprobe.d directory libkmod reads: captured, imported and honoured by the dry run" {
	local d cap
	for d in etc/modprobe.d run/modprobe.d usr/local/lib/modprobe.d usr/lib/modprobe.d \
		lib/modprobe.d; do
		make_root proxmox-3090
		mkdir -p "$ROOT/$d"
		printf '%s\n' "options vfio-pci ids=10de:2204" > "$ROOT/$d/gpu.conf"
		# --import reads it, and names it.
		ve_import
		assert_success
		assert_line "# from /$d/gpu.conf:1: options vfio-pci ids=10de:2204"
		assert_line "ids 10de:2204"
		# --capture copies it.
		cap=$BATS_TEST_TMPDIR/cap-${d//\//-}
		run "$VFIO_EARLY" --root "$ROOT" --capture "$cap"
		assert_success
		cmp "$ROOT/$d/gpu.conf" "$cap/$d/gpu.conf" || fail "--capture did not copy /$d/gpu.conf"
		# The boot (here its dry run) takes the id as a rule.
		run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
		assert_line --regexp "^0000:09:00\.0 \[10de:2204\] class 030000: would bind to vfio-pci"
		assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	done
}

@test "usr/lib/modprobe.d comes before lib/modprobe.d, as in libkmod" {
	make_root proxmox-3090
	mkdir -p "$ROOT/usr/lib/modprobe.d" "$ROOT/lib/modprobe.d"
	printf '%s\n' "options vfio-pci ids=10de:2204" > "$ROOT/usr/lib/modprobe.d/gpu.conf"
	printf '%s\n' "options vfio-pci ids=10de:1aef" > "$ROOT/lib/modprobe.d/gpu.conf"
	ve_import
	assert_success
	assert_line "ids 10de:2204"
	assert_output --partial "# /lib/modprobe.d/gpu.conf is hidden by /usr/lib/modprobe.d/gpu.conf and was"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --regexp "^0000:09:00\.0 \[10de:2204\] .* \(rule modprobe\.d: options vfio-pci ids 10de:2204\)$"
	refute_output --partial "10de:1aef)"
}

@test "other vfio options stay; ids= is cut out of their line; continued lines join" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	cp "$FIX/options-keep.conf" "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 10de:2204 10de:1aef"
	f=/etc/modprobe.d/vfio.conf
	edit=$(sed -n '/^# ---- Partly/,/^# ---- Keep/p' <<< "$output")
	grep -qF "# $f:2: options vfio-pci ids=10de:2204,10de:1aef" <<< "$edit"
	grep -qxF "#   change to: options vfio-pci disable_vga=1" <<< "$edit"
	grep -qxF "#   change to: softdep drm pre: i2c_core" <<< "$edit"
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	grep -qxF "# $f:4: options vfio_iommu_type1 allow_unsafe_interrupts=1" <<< "$keep"
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# $f:6: install nouveau /bin/false" <<< "$drop"
	grep -qxF "# $f:7: install vfio-pci /usr/local/bin/vfio-pci-override.sh" <<< "$drop"
	dry_run_imported
}

@test "a GPU driver blacklist stays when the host has another GPU it drives" {
	# Both 3090s for VMs, and a third GPU, from AMD, for the host.
	make_root two-cards "pci 0000:0c:00.0 ids=1002:73bf class=030000 group=22 driver=amdgpu"
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%s\n' "options vfio-pci ids=10de:2204:10de:1492" > "$ROOT/etc/modprobe.d/vfio.conf"
	printf '%s\n' "blacklist nouveau" "blacklist amdgpu" > "$ROOT/etc/modprobe.d/gpu.conf"
	ve_import
	assert_success
	assert_line "ids 10de:2204:10de:1492 allow-boot-vga"
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	grep -qxF "# /etc/modprobe.d/gpu.conf:2: blacklist amdgpu" <<< "$keep"
	assert_output --partial "also keeps it off 0000:0c:00.0 [1002:73bf]"
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /etc/modprobe.d/gpu.conf:1: blacklist nouveau" <<< "$drop"
	dry_run_imported
}

@test "vfio_virqfd in /etc/modules: gone since Linux 6.2" {
	make_root proxmox-3090
	guide_files
	echo 6.8.12-4-pve > "$ROOT/proc/sys/kernel/osrelease"
	ve_import
	assert_success
	[[ "$(flat)" == *"vfio_virqfd is part of vfio since Linux 6.2 (this host runs 6.8.12-4-pve)"* ]]
}

@test "modules-load.d, initramfs-tools/modules and dracut.conf.d" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modules-load.d" "$ROOT/etc/initramfs-tools" "$ROOT/etc/dracut.conf.d"
	printf '%s\n' "# vfio" "vfio-pci" "kvmgt" > "$ROOT/etc/modules-load.d/vfio.conf"
	printf '%s\n' "vfio" "vfio_pci ids=10de:2204" > "$ROOT/etc/initramfs-tools/modules"
	printf '%s\n' 'force_drivers+=" vfio vfio_iommu_type1 vfio_pci "' \
		'add_drivers+=" vfio_pci nvme "' > "$ROOT/etc/dracut.conf.d/vfio.conf"
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on vfio-pci.ids=10de:2204"
	ve_import
	assert_success
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /etc/modules-load.d/vfio.conf:2: vfio-pci" <<< "$drop"
	grep -qxF "# /etc/initramfs-tools/modules:1: vfio" <<< "$drop"
	grep -qxF "# /etc/initramfs-tools/modules:2: vfio_pci ids=10de:2204" <<< "$drop"
	grep -qxF '# /etc/dracut.conf.d/vfio.conf:1: force_drivers+=" vfio vfio_iommu_type1 vfio_pci "' <<< "$drop"
	assert_line '#   change to: add_drivers+=" nvme "'
	refute_output --partial "kvmgt"
}

@test "/etc/modules-load.d/modules.conf linking to /etc/modules is read once" {
	make_root proxmox-3090
	guide_files
	mkdir -p "$ROOT/etc/modules-load.d"
	ln -s ../modules "$ROOT/etc/modules-load.d/modules.conf"
	ve_import
	assert_success
	[ "$(grep -c '^# /etc/modules:1: vfio$' <<< "$output")" -eq 1 ]
	refute_output --partial "modules-load.d/modules.conf"
}

@test "nothing to import: exit 66, a valid config with no rule" {
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%s\n' "options snd_hda_intel power_save=0" > "$ROOT/etc/modprobe.d/audio.conf"
	ve_import
	assert_equal "$status" 66
	assert_equal "$stderr" "vfio-early: nothing to import: no vfio-pci ids in modprobe.d or on the kernel command line"
	refute_line --regexp "^ids "
	assert_output --partial "nothing to import"
	dry_run_imported
	assert_success
}

@test "an existing /etc/vfio-early.conf is mentioned, never touched" {
	make_root proxmox-3090
	guide_files
	set_config "address 09:00"
	before=$(snapshot)
	ve_import
	assert_success
	assert_line "# /etc/vfio-early.conf exists already: merge these rules into it."
	assert_equal "$(snapshot)" "$before"
}

@test "--import with a usage error exits 1" {
	make_root proxmox-3090
	run "$VFIO_EARLY" --root "$ROOT" --import extra
	assert_equal "$status" 1
	run "$VFIO_EARLY" --root "$ROOT" --import --json
	assert_equal "$status" 1
}

# An Intel Arc A770 (GPU 8086:56a0 at 03:00.0, its HDMI audio 8086:4f90 at
# 04:00.0, as lspci -nn lists the card; its switch left out) added to the
# guide's host, whose boot display is the iGPU 8086:3e92 (i915).  The
# modules.alias lines are those of Linux 6.8 (i915 and xe both claim the
# A770); the subsystem 8086:1020 is assumed.
ARC="pci 0000:00:1c.0 ids=8086:a33c class=060400 group=16 driver=pcieport
pci 0000:03:00.0 parent=0000:00:1c.0 ids=8086:56a0 sub=8086:1020 class=030000 group=17 driver=i915
pci 0000:04:00.0 parent=0000:00:1c.0 ids=8086:4f90 sub=8086:1020 class=040300 group=18 driver=snd_hda_intel
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000056A0sv*sd*bc03sc*i* i915
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000056A0sv*sd*bc03sc*i* xe
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v*d*sv*sd*bc04sc03i00 snd_hda_intel
file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d000015BCsv*sd*bc*sc*i* e1000e
file etc/modprobe.d/vfio.conf options vfio-pci ids=8086:56a0,8086:4f90
file etc/modprobe.d/arc.conf blacklist xe
file etc/modprobe.d/arc.conf blacklist i915
file etc/modprobe.d/arc.conf blacklist e1000e"
IGPU_ALIAS="file lib/modules/6.1.0-56-amd64/modules.alias alias pci:v00008086d00003E92sv*sd*bc03sc*i* i915"

@test "Intel Arc: blacklist xe and i915 matter by modules.alias; i915 stays while the iGPU uses it" {
	make_root proxmox-3090 "$ARC
$IGPU_ALIAS"
	ve_import
	assert_success
	assert_equal "$stderr" ""
	assert_line "ids 8086:56a0 8086:4f90"
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /etc/modprobe.d/arc.conf:1: blacklist xe" <<< "$drop"
	[[ "$(sed 's/^#  *//' <<< "$drop" | tr '\n' ' ')" == *"override names vfio-pci: the card (0000:03:00.0 [8086:56a0]) needs no blacklist."* ]]
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	grep -qxF "# /etc/modprobe.d/arc.conf:2: blacklist i915" <<< "$keep"
	[[ "$(sed 's/^#  *//' <<< "$keep" | tr '\n' ' ')" == *"blacklisting i915 also keeps it off 0000:00:02.0 [8086:3e92], which the ids do not select (modules.alias): keep it if that device must not use i915, otherwise remove it."* ]]
	# e1000e drives no device the ids select: not part of the recipe.
	refute_output --partial "e1000e"
	dry_run_imported
}

@test "Intel Arc: with no other device for i915, blacklist i915 is unnecessary too" {
	make_root proxmox-3090 "$ARC"
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on modprobe.blacklist=xe,floppy"
	ve_import
	assert_success
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /etc/modprobe.d/arc.conf:1: blacklist xe" <<< "$drop"
	grep -qxF "# /etc/modprobe.d/arc.conf:2: blacklist i915" <<< "$drop"
	assert_equal "$(grep -c "blacklist i915" <<< "$output")" 1
	assert_line "#   change to: modprobe.blacklist=floppy"
}

@test "a root without modules.alias: a module the table does not know is left alone" {
	make_root proxmox-3090 "$(grep -v modules.alias <<< "$ARC")"
	ve_import
	assert_success
	refute_output --partial "blacklist xe"
	refute_output --partial "blacklist i915"
}

@test "identical cards: only display cards with the same ids, never a NIC or a USB card" {
	# Beside the two 3090s: an I210 NIC, a Renesas uPD720202 USB card and a
	# GTX 1080 (with its audio), all in the same ids= line.
	make_root two-cards "pci 0000:0c:00.0 parent=0000:00:01.1 ids=8086:1533 sub=8086:0001 class=020000 group=22 driver=igb
pci 0000:0d:00.0 parent=0000:00:01.1 ids=1912:0015 sub=1912:0015 class=0c0330 group=23 driver=xhci_hcd
pci 0000:0e:00.0 parent=0000:00:01.1 ids=10de:1b80 sub=10de:119e class=030000 group=24 driver=nouveau
pci 0000:0e:00.1 parent=0000:00:01.1 ids=10de:10f0 sub=10de:119e class=040300 group=24 driver=snd_hda_intel
file etc/modprobe.d/vfio.conf options vfio-pci ids=10de:2204,10de:1aef,8086:1533,1912:0015,10de:1b80,10de:10f0"
	ve_import
	assert_success
	block=$(sed -n '/^# Two or more identical cards/,/^$/p' <<< "$output")
	assert_equal "$block" "# Two or more identical cards match: an ids rule takes every one of them.
# To pass only some, replace the ids line with an address or path rule per card
# (a path survives bus renumbering when cards are added or moved):
#   card 1, 0000:0a:00.0 [10de:2204]:
#     address 0a:00 allow-boot-vga
#     path 00:03.1/00 expect=10de:2204 allow-boot-vga
#   card 2, 0000:0b:00.0 [10de:2204]:
#     address 0b:00
#     path 00:03.2/00 expect=10de:2204"
}

@test "one card of each model: no identical-cards block" {
	make_root two-cards "pci 0000:0e:00.0 parent=0000:00:01.1 ids=10de:1b80 sub=10de:119e class=030000 group=24 driver=nouveau
pci 0000:0c:00.0 parent=0000:00:01.1 ids=8086:1533 sub=8086:0001 class=020000 group=22 driver=igb
pci 0000:0d:00.0 parent=0000:00:01.1 ids=8086:1533 sub=8086:0001 class=020000 group=23 driver=igb
file etc/modprobe.d/vfio.conf options vfio-pci ids=10de:2204:10de:1492,10de:1b80,8086:1533"
	# Only the first 3090 has this subsystem id: the rule takes one card.
	echo 0x147d > "$ROOT/sys/bus/pci/devices/0000:0b:00.0/subsystem_device"
	sed -i 's/sd00001492bc03/sd0000147Dbc03/' "$ROOT/sys/bus/pci/devices/0000:0b:00.0/modalias"
	ve_import
	assert_success
	assert_line --partial "#   0000:0a:00.0 [10de:2204] class 030000"
	refute_line --partial "#   0000:0b:00.0 [10de:2204]"
	# Two identical NICs are not cards to pass through.
	assert_line --partial "#   0000:0c:00.0 [8086:1533] class 020000"
	assert_line --partial "#   0000:0d:00.0 [8086:1533] class 020000"
	refute_output --partial "identical cards"
	refute_output --partial "#   card "
}

@test "amd_iommu=on on an AMD host: unnecessary, in --import and in --report alike" {
	make_root two-cards
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d amd_iommu=on iommu=pt vfio-pci.ids=10de:2204"
	ve_import
	assert_success
	drop=$(sed -n '/^# ---- Unnecessary/,/^# ---- /p' <<< "$output")
	grep -qxF "# /proc/cmdline: amd_iommu=on" <<< "$drop"
	[[ "$(sed 's/^#  *//' <<< "$drop" | tr '\n' ' ')" == *"does nothing: amd_iommu=on is not a value the kernel knows, and AMD-Vi is on when the firmware enables it."* ]]
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	refute grep -qF "amd_iommu" <<< "$keep"
	ve --report
	assert_line "    /proc/cmdline: amd_iommu=on [unnecessary with vfio-early]"
	refute_output --partial "amd_iommu=on [keep]"
	# The report's own note (its wording is the report's) never says keep.
	assert_line --regexp "^  \[note\] amd_iommu=on "
	refute grep -qE "amd_iommu=on.*keep" <<< "$output"
}

@test "amd_iommu=on on an Intel host: not part of the recipe; intel_iommu=on stays" {
	make_root proxmox-3090
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on amd_iommu=on vfio-pci.ids=10de:2204"
	ve_import
	assert_success
	refute_output --partial "amd_iommu"
	keep=$(sed -n '/^# ---- Keep/,$p' <<< "$output")
	grep -qxF "# /proc/cmdline: intel_iommu=on" <<< "$keep"
	ve --report
	refute_output --partial "/proc/cmdline: amd_iommu=on ["
}

@test "intel_iommu=on on an AMD host is not part of the recipe" {
	make_root two-cards
	set_cmdline "root=UUID=0d5a3c1e-8a7b-4b0f-9c1d-2e3f4a5b6c7d intel_iommu=on vfio-pci.ids=10de:2204"
	ve_import
	assert_success
	refute_output --partial "intel_iommu"
}

# A second Arc A770 behind its own switch, like the first one of arc-a770.spec.
ARC2="pci 0000:00:01.2 ids=1022:14db sub=1043:8877 class=060400 group=4 driver=pcieport
pci 0000:06:00.0 parent=0000:00:01.2 ids=8086:4fa0 class=060400 group=25 driver=pcieport rev=01
pci 0000:07:01.0 parent=0000:06:00.0 ids=8086:4fa4 class=060400 group=26 driver=pcieport
pci 0000:07:04.0 parent=0000:06:00.0 ids=8086:4fa4 class=060400 group=26 driver=pcieport
pci 0000:08:00.0 parent=0000:07:01.0 ids=8086:56a0 sub=1025:3888 class=030000 group=26 driver=i915 rev=08
pci 0000:09:00.0 parent=0000:07:04.0 ids=8086:4f90 sub=1025:3888 class=040300 group=26 driver=snd_hda_intel"

@test "Arc A770: the HDMI audio on the other bus is a function of the card" {
	make_root arc-a770
	printf '%s\n' "options vfio-pci ids=8086:56a0" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_line "#   0000:03:00.0 [8086:56a0] class 030000, driver i915, IOMMU group 21"
	assert_line "#   0000:04:00.0 [8086:4f90] class 040300, driver snd_hda_intel, IOMMU group 21 (function of 0000:03:00.0)"
	refute_output --partial "identical cards"
}

@test "two Arc A770s: each card's rules name both of its slots, GPU and audio" {
	make_root arc-a770 "$ARC2"
	ve_import
	assert_success
	block=$(sed -n '/^# Two or more identical cards/,/^$/p' <<< "$output")
	assert_equal "$block" "# Two or more identical cards match: an ids rule takes every one of them.
# To pass only some, replace the ids line with an address or path rule per card
# (a path survives bus renumbering when cards are added or moved):
#   card 1, 0000:03:00.0 [8086:56a0]:
#     address 03:00 04:00
#     path 00:01.1/00.0/01.0/00 expect=8086:56a0
#     path 00:01.1/00.0/04.0/00 expect=8086:4f90
#   card 2, 0000:08:00.0 [8086:56a0]:
#     address 08:00 09:00
#     path 00:01.2/00.0/01.0/00 expect=8086:56a0
#     path 00:01.2/00.0/04.0/00 expect=8086:4f90"
	# The second card's rules, used as the config (the old ids= line gone),
	# take its GPU and its audio and nothing of the first card.
	rm "$ROOT/etc/modprobe.d/vfio.conf"
	sed -n '/^#   card 2/,$s/^#     \(address .*\|path .*\)/\1/p' <<< "$block" > "$BATS_TEST_TMPDIR/two.conf"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --config "$BATS_TEST_TMPDIR/two.conf" --dry-run
	assert_line --regexp "^0000:08:00\.0 .*would bind to vfio-pci"
	assert_line --regexp "^0000:09:00\.0 .*would bind to vfio-pci"
	refute_line --partial "0000:03:00"
	refute_line --partial "0000:04:00"
}

# ---- the boot side of the same root: modload.c ----

@test "--dry-run under --root with a built-in vfio stack: built in, no missing module file" {
	make_root proxmox-3090
	fake_builtin_modules
	set_config "ids 10de:2204"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_success
	assert_equal "$stderr" "vfio-early: protected set resolved from the mounted system: 1 device
vfio-early: vfio-pci: built in, nothing to load"
	assert_line "summary (dry run): 2 to bind, 0 refused, 0 rule errors (exit 0)"
	# --report says the same.
	ve --report
	assert_line --partial "modules for 6.1.0-56-amd64: vfio-pci (built in), vfio (built in)"
}

@test "the ids are those the boot takes: a '# ids=' after an options line counts, as libkmod reads it" {
	# libkmod hands vfio-pci the whole rest of the line ("#" is no comment
	# there), so the boot takes both ids; --import says the same.
	make_root proxmox-3090
	mkdir -p "$ROOT/etc/modprobe.d"
	printf '%s\n' "options vfio-pci ids=10de:2204 # ids=10de:1aef" > "$ROOT/etc/modprobe.d/vfio.conf"
	ve_import
	assert_success
	assert_line "ids 10de:2204 10de:1aef"
	run --separate-stderr "$VFIO_EARLY" --root "$ROOT" --dry-run
	assert_line --regexp "^0000:09:00\.1 .* \(rule modprobe\.d: options vfio-pci ids 10de:1aef\)$"
}

@test "the import module has one face, and modload, sources, modprobe-conf and iommu sit below it" {
	# build-aux/structure over this build's objects: no circle and no use
	# that runs back up through these rooms (no file of --import calls its
	# driver, import.c), no function over 80 lines, no file over 800.
	run "$TOP/build-aux/structure" "${BUILD:-$TOP/build/default}"
	assert_success
	local rooms='(import[a-z-]*|modload|sources|modprobe-conf|iommu)'
	refute_output --regexp "^circle: (.* )?$rooms( |$)"
	refute_output --regexp "^runs back up: (.* )?$rooms( |$)"
	refute_output --regexp "over [0-9]+ lines: src/$rooms[.:]"
}
