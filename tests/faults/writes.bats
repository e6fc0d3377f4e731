#!/usr/bin/env bats
# Faults in the binding sequence, injected by ve-inject.so under --root: each
# sysfs write fails in turn (EBUSY, ENODEV, EACCES, EINVAL, a short write,
# an error at close), devices vanish between the walk and the write, the
# log and the state file cannot be written.  Each case: no crash or hang,
# the documented exit status, a clear log line, no write outside the files
# vfio-early may write.

load ../bats/helper
load faults

setup() {
	make_root proxmox-3090
	set_config "ids 10de:2204"
	before=$(snapshot)
}

errtext() {
	case $1 in
	EBUSY) echo "Device or resource busy" ;;
	ENODEV) echo "No such device" ;;
	EACCES) echo "Permission denied" ;;
	EINVAL) echo "Invalid argument" ;;
	short) echo "Input/output error" ;;
	esac
}

@test "driver_override write fails (EBUSY, ENODEV, EACCES, EINVAL, short): FAILED, exit 8" {
	for e in EBUSY ENODEV EACCES EINVAL short; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		before=$(snapshot)
		vef "driver_override:write:$e" --yes
		assert_fired "write 0000:09:00.0/driver_override"
		[ "$status" -eq 8 ] || fail "$e: exit $status, expected 8"
		assert_kmsg_line "<3>vfio-early: 0000:09:00.0 [10de:2204] class 030000: FAILED: writing driver_override: $(errtext $e) (rule /etc/vfio-early.conf:1 10de:2204)"
		assert_kmsg_line "<5>vfio-early: summary: 0 bound, 2 failed, 0 refused, 0 rule errors (exit 8)"
		# Nothing was unbound or probed.
		[ ! -s "$ROOT/sys/bus/pci/drivers/nouveau/unbind" ] || fail "$e: unbound anyway"
		[ ! -s "$ROOT/sys/bus/pci/drivers_probe" ] || fail "$e: probed anyway"
		# A run by hand on this booted root: the failure in its own record, and said.
		grep -q "^device addr=0000:09:00.0 result=failed was=nouveau now=nouveau reason=writing driver_override: $(errtext $e)$" \
			"$ROOT/run/vfio-early/manual" || fail "$e: the record of manual runs lacks the failure"
		assert_line "0000:09:00.0: FAILED (was nouveau, now nouveau): writing driver_override: $(errtext $e)"
		assert_writes_only_allowed "$before"
	done
}

@test "driver_override fails on one device only: the other binds, exit 8" {
	vef "0000:09:00.0/driver_override:write:EBUSY:1" --yes
	assert_equal "$status" 8
	assert_fired "write 0000:09:00.0/driver_override"
	assert_equal "$(override $AUDIO)" "vfio-pci"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: FAILED: writing driver_override: Device or resource busy"
	assert_kmsg_partial "0000:09:00.1 [10de:1aef] class 040300: driver_override set to vfio-pci"
	assert_kmsg_partial "summary: 0 bound, 1 override set (test root), 1 failed, 0 refused, 0 rule errors (exit 8)"
	assert_writes_only_allowed "$before"
}

@test "driver_override reports its error at close: FAILED, exit 8" {
	vef "driver_override:close:EINVAL:1" --yes
	assert_equal "$status" 8
	assert_fired "close 0000:09:00.0/driver_override"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: FAILED: writing driver_override: Invalid argument"
	assert_writes_only_allowed "$before"
}

@test "driver_override cannot be opened (EACCES): FAILED, exit 8" {
	vef "driver_override:wopen:EACCES" --yes
	assert_equal "$status" 8
	assert_fired "openat 0000:09:00.0/driver_override"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: FAILED: writing driver_override: Permission denied"
	assert_equal "$(changed_since "$before")" ""
}

@test "a write interrupted by signals (EINTR) is retried and succeeds" {
	vef "driver_override:write:EINTR:3" --yes
	assert_success
	assert_fired "driver_override:write:EINTR:3 write"
	assert_equal "$(grep -c EINTR "$FAULT_LOG")" 3
	assert_equal "$(override $GPU)" "vfio-pci"
	assert_equal "$(override $AUDIO)" "vfio-pci"
	assert_writes_only_allowed "$before"
}

@test "unbind fails (EBUSY, ENODEV, EACCES, EINVAL, short): FAILED, override restored, exit 8" {
	for e in EBUSY ENODEV EACCES EINVAL short; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		before=$(snapshot)
		vef "/unbind:write:$e" --yes
		assert_fired "write 0000:09:00.0/driver/unbind"
		[ "$status" -eq 8 ] || fail "$e: exit $status, expected 8"
		assert_kmsg_line "<3>vfio-early: 0000:09:00.0 [10de:2204] class 030000: FAILED: unbinding from nouveau: $(errtext $e) (rule /etc/vfio-early.conf:1 10de:2204)"
		assert_kmsg_partial "0000:09:00.1 [10de:1aef] class 040300: FAILED: unbinding from snd_hda_intel: $(errtext $e)"
		# Left as found: the override written back to empty, nothing probed.
		[ "$(override $GPU)" = "" ] || fail "$e: override is '$(override $GPU)'"
		[ "$(override $AUDIO)" = "" ] || fail "$e: override is '$(override $AUDIO)'"
		[ ! -s "$ROOT/sys/bus/pci/drivers_probe" ] || fail "$e: probed anyway"
		assert_writes_only_allowed "$before"
	done
}

@test "unbind fails and the override cannot be restored: both said, exit 8" {
	# The first write (vfio-pci) goes through, the one that restores fails.
	vef "0000:09:00.0/driver/unbind:write:EBUSY;0000:09:00.0/driver_override:write:EIO:@2" --yes
	assert_equal "$status" 8
	assert_fired "0000:09:00.0/driver_override:write:EIO:@2 write 0000:09:00.0/driver_override"
	assert_kmsg_line "<3>vfio-early: 0000:09:00.0 [10de:2204] class 030000: FAILED: unbinding from nouveau: Device or resource busy (and driver_override could not be restored) (rule /etc/vfio-early.conf:1 10de:2204)"
	assert_kmsg_partial "summary: 0 bound, 1 override set (test root), 1 failed"
	assert_writes_only_allowed "$before"
}

@test "drivers_probe fails (EBUSY, ENODEV, EACCES, EINVAL, short): said, overrides stand" {
	for e in EBUSY ENODEV EACCES EINVAL short; do
		make_root proxmox-3090
		set_config "ids 10de:2204"
		before=$(snapshot)
		vef "drivers_probe:write:$e" --yes
		assert_fired "write sys/bus/pci/drivers_probe"
		# Under a test root nothing can probe: the outcome is the override,
		# and a live run verifies the driver link instead.
		[ "$status" -eq 0 ] || fail "$e: exit $status, expected 0"
		assert_kmsg_line "<4>vfio-early: 0000:09:00.0: writing drivers_probe: $(errtext $e)"
		assert_kmsg_line "<4>vfio-early: 0000:09:00.1: writing drivers_probe: $(errtext $e)"
		[ "$(override $GPU)" = vfio-pci ] || fail "$e: override lost"
		assert_kmsg_partial "summary: 0 bound, 2 overrides set (test root), 0 failed"
		assert_writes_only_allowed "$before"
	done
}

@test "the device vanishes between the walk and the driver_override write: FAILED, exit 8" {
	vef "0000:09:00.0/driver_override:wopen:vanish:1" --yes
	assert_equal "$status" 8
	assert_fired "vanish:1 openat 0000:09:00.0/driver_override"
	[ ! -e "$ROOT/sys/bus/pci/devices/$GPU" ]
	assert_kmsg_line "<3>vfio-early: 0000:09:00.0 [10de:2204] class 030000: FAILED: writing driver_override: No such file or directory (rule /etc/vfio-early.conf:1 10de:2204)"
	assert_equal "$(override $AUDIO)" "vfio-pci"
	assert_writes_only_allowed "$before"
}

@test "the device vanishes before its driver is unbound: FAILED, exit 8" {
	vef "0000:09:00.0/driver/unbind:wopen:vanish:1" --yes
	assert_equal "$status" 8
	assert_fired "openat 0000:09:00.0/driver/unbind"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: FAILED: unbinding from nouveau: No such file or directory (and driver_override could not be restored)"
	assert_writes_only_allowed "$before"
}

@test "a device vanishes during the walk: skipped with a line, the rest goes on" {
	vef "0000:09:00.1/modalias:ropen:vanish:1" --yes
	assert_success
	assert_fired "openat 0000:09:00.1/modalias"
	assert_kmsg_line "<4>vfio-early: 0000:09:00.1: vanished during the walk, skipped"
	assert_equal "$(override $GPU)" "vfio-pci"
	assert_writes_only_allowed "$before"
}

@test "a device vanishes while its details are read: refused with its card, exit 4" {
	vef "0000:09:00.1/driver:readlink:vanish:1" --yes
	assert_equal "$status" 4
	assert_fired "readlinkat 0000:09:00.1/driver"
	assert_kmsg_partial "0000:09:00.1 [10de:1aef] class 040300: refused: has no IOMMU group"
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: 0000:09:00.1, another function of this card, is refused"
	assert_equal "$(changed_since "$before")" ""
}

@test "the kernel log refuses writes (EAGAIN, ENOSPC): the run completes, the state file tells" {
	for e in EAGAIN ENOSPC; do
		make_root proxmox-3090
		in_initramfs
		set_config "ids 10de:2204"
		vef "dev/kmsg:write:$e"
		assert_success
		assert_fired "write dev/kmsg"
		assert_equal "$(override $GPU)" "vfio-pci"
		run grep '^run ' "$ROOT/run/vfio-early/state"
		assert_output --partial "run mode=boot exit=0 bound=0 override_set=2 failed=0"
	done
}

@test "the kernel log cannot be opened: lines go to stderr" {
	vef "dev/kmsg:wopen:EACCES" --yes
	assert_success
	assert_line "vfio-early: warning: cannot open /dev/kmsg (Permission denied), logging to stderr"
	assert_line --partial "vfio-early: summary: 0 bound, 2 overrides set (test root), 0 failed"
}

@test "the state file cannot be written (EROFS, ENOSPC): warned, binding unaffected, exit 0" {
	for e in EROFS ENOSPC; do
		make_root proxmox-3090
		in_initramfs
		set_config "ids 10de:2204"
		vef "run/vfio-early/state.tmp:wopen:$e"
		assert_success
		assert_fired "openat run/vfio-early/state.tmp"
		assert_kmsg_partial "cannot write /run/vfio-early/state: "
		assert_equal "$(override $GPU)" "vfio-pci"
		[ ! -e "$ROOT/run/vfio-early/state" ]
	done
}

@test "reading the inputs fails: each said, the run goes on as far as it can" {
	vef "proc/cmdline:ropen:EIO" --yes
	assert_success
	assert_kmsg_line "<4>vfio-early: cannot read /proc/cmdline: Input/output error"
	assert_equal "$(override $GPU)" "vfio-pci"

	make_root proxmox-3090
	set_config "ids 10de:2204"
	before=$(snapshot)
	vef "etc/vfio-early.conf:ropen:EACCES" --yes
	assert_equal "$status" 2
	assert_kmsg_line "<4>vfio-early: /etc/vfio-early.conf: Permission denied, ignored"
	assert_equal "$(changed_since "$before")" ""

	make_root proxmox-3090
	set_config "ids 10de:2204"
	vef "sys/bus/pci/devices:ropen:EIO" --yes
	assert_equal "$status" 1
	assert_kmsg_line "<3>vfio-early: cannot read /sys/bus/pci/devices: Input/output error"

	make_root proxmox-3090
	set_config "ids 10de:2204"
	vef "0000:09:00.0/iommu_group:readlink:EIO" --yes
	assert_equal "$status" 4
	assert_kmsg_partial "0000:09:00.0 [10de:2204] class 030000: refused: has no IOMMU group"

	make_root proxmox-3090
	set_config "ids 10de:2204"
	vef "0000:09:00.1/modalias:ropen:EIO" --yes
	assert_success
	assert_kmsg_line "<4>vfio-early: 0000:09:00.1: Input/output error, skipped"
}

@test "the protected list cannot be read: fails closed, the root= resolution still protects" {
	mkdir -p "$ROOT/lib/vfio-early"
	echo "0000:01:00.0" > "$ROOT/lib/vfio-early/protected"
	: > "$ROOT/proc/self/mountinfo"	# early boot: the list is read
	set_config "address 01:00.0" "ids 10de:2204"
	vef "lib/vfio-early/protected:ropen:EIO"
	assert_equal "$status" 6
	assert_fired "openat lib/vfio-early/protected"
	assert_kmsg_line "<3>vfio-early: /lib/vfio-early/protected: Input/output error: no storage controller, nor anything in its IOMMU group, will be touched"
	assert_kmsg_partial "0000:01:00.0 [144d:a808] class 010802: refused: holds the root filesystem (root=/dev/mapper/pve-root)"
	assert_equal "$(override 0000:01:00.0)" "(null)"
}
