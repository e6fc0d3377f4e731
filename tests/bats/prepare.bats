#!/usr/bin/env bats
# Preparing a device before vfio-pci takes it (issue 19, item 2): the rule
# options reset_method=, d3cold= and disable_idle_d3, their config errors,
# and what the boot writes, reads back and logs.  The host is the guide's
# Proxmox machine (tests/fixtures/proxmox-3090.spec: RTX 3090 at 09:00.0 +
# HDMI audio at 09:00.1).

load helper

# The card's sysfs attributes as a 6.1 kernel shows them for a GPU with FLR
# and a secondary bus reset (the card's reset_method, d3cold_allowed).
give_attrs() {
	local d
	for d in 0000:09:00.0 0000:09:00.1; do
		printf 'flr bus\n' > "$ROOT/sys/bus/pci/devices/$d/reset_method"
		printf '1\n' > "$ROOT/sys/bus/pci/devices/$d/d3cold_allowed"
	done
}

boot_with() {
	make_root proxmox-3090
	fake_modules
	in_initramfs
	give_attrs
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on"
	set_config "$@"
	ve
}

@test "reset_method= and d3cold=off are written to both functions, read back and logged" {
	boot_with "address 0000:09:00 reset_method=bus d3cold=off"
	assert_success
	for d in 0000:09:00.0 0000:09:00.1; do
		assert_equal "$(cat "$ROOT/sys/bus/pci/devices/$d/reset_method")" "bus"
		assert_equal "$(cat "$ROOT/sys/bus/pci/devices/$d/d3cold_allowed")" "0"
	done
	run kmsg
	assert_line --partial '0000:09:00.0: reset_method=bus set; reset_method reads "bus"'
	assert_line --partial '0000:09:00.1: d3cold=off set; d3cold_allowed reads "0"'
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci
}

@test "several methods go to the kernel space-separated, in the rule's order" {
	boot_with "ids 10de:2204 reset_method=flr,bus"
	assert_success
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/reset_method")" "flr bus"
}

@test "a reset_method the kernel refuses is logged with its meaning and the bind goes on" {
	make_root proxmox-3090
	fake_modules
	in_initramfs
	# No reset_method attribute: a kernel before 5.15.
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on"
	set_config "address 0000:09:00 reset_method=bus"
	ve
	assert_success
	run kmsg
	assert_line --partial "0000:09:00.0: the kernel refused reset_method=bus (No such file or directory: no such attribute: the device has no reset method at all, or the kernel is older than 5.15); the bind goes on"
	assert_overrides 0000:09:00.0=vfio-pci 0000:09:00.1=vfio-pci
}

@test "without the options nothing but driver_override is written" {
	boot_with "address 0000:09:00"
	assert_success
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/reset_method")" "flr bus"
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/d3cold_allowed")" "1"
	run kmsg
	refute_output --partial "reset_method"
}

@test "disable_idle_d3 goes to vfio-pci as a load option" {
	make_root proxmox-3090
	fake_modules
	in_initramfs
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on"
	set_config "address 0000:09:00 disable_idle_d3"
	ve --dry-run --verbose
	assert_success
	assert_output --partial "would bind to vfio-pci"
	assert_line --regexp "would load .*vfio-pci\.ko.* disable_idle_d3=1$"
}

@test "option errors name the file, line and token; the line is skipped and the boot goes on" {
	make_root proxmox-3090
	fake_modules
	in_initramfs
	give_attrs
	set_cmdline "root=/dev/mapper/pve-root intel_iommu=on"
	set_config "address 0000:09:00 reset_method=flx" \
		"address 0000:09:00 reset_method=flr,flr" \
		"address 0000:09:00 reset_method=default,flr" \
		"address 0000:09:00 d3cold=maybe" \
		"address 0000:09:00 resetmethod=bus" \
		"address 0000:09:00 reset_method=" \
		"address 0000:09:00 disable_idle_d3=1"
	ve
	assert_failure 2
	run kmsg
	assert_line --partial "/etc/vfio-early.conf:1: flx: unknown reset method (device_specific, acpi, flr, af_flr, pm, bus, cxl_bus, or default alone)"
	assert_line --partial "/etc/vfio-early.conf:2: flr: reset method named twice"
	assert_line --partial "/etc/vfio-early.conf:3: default: unknown reset method"
	assert_line --partial "/etc/vfio-early.conf:4: d3cold=maybe: d3cold= takes off or on"
	assert_line --partial "/etc/vfio-early.conf:5: resetmethod=bus: unknown option; did you mean reset_method?"
	assert_line --partial "/etc/vfio-early.conf:6: reset_method=: empty reset method"
	assert_line --partial "/etc/vfio-early.conf:7: disable_idle_d3=1: this option takes no value"
	# Every line skipped: nothing bound, the attributes untouched.
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/reset_method")" "flr bus"
	assert_equal "$(override 0000:09:00.0)" "(null)"
}

@test "reset_method=default restores the kernel's choice" {
	boot_with "address 0000:09:00 reset_method=default"
	assert_success
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:09:00.0/reset_method")" "default"
}
