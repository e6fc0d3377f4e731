#!/usr/bin/env bats
# Variant drivers (issue 19, item 3): driver=auto|vfio-pci|NAME.  The host is
# a ConnectX-6 Dx with four VFs (tests/fixtures/cx6dx-vfs.spec), whose VFs
# mlx5_vfio_pci drives; its module is a stand-in with the real alias
# (fake_variant), beside the host kernel's real vfio modules.

load helper

MLX5_ALIAS='vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*'

boot_with() {
	make_root cx6dx-vfs
	fake_modules
	in_initramfs
	set_config "$@"
	ve
}

@test "driver=auto: the VF goes to the variant driver modules.alias names for it" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network"
	ve
	assert_success
	assert_equal "$(override 0000:d8:00.2)" "mlx5_vfio_pci"
	run kmsg
	assert_line --partial "0000:d8:00.2: driver=auto chose mlx5_vfio_pci (module mlx5_vfio_pci, alias $MLX5_ALIAS)"
	assert_line --partial "0000:d8:00.2 [15b3:101e] class 020000: driver_override set to mlx5_vfio_pci (was mlx5_core; test root, not probed)"
}

@test "one load of the variant's module for all the devices it takes" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	in_initramfs
	set_config "address 0000:d8:00.2 0000:d8:00.3 0000:d8:00.4 allow-network"
	ve
	assert_success
	assert_overrides 0000:d8:00.2=mlx5_vfio_pci 0000:d8:00.3=mlx5_vfio_pci 0000:d8:00.4=mlx5_vfio_pci
	run kmsg
	assert_equal "$(grep -c 'would load .*/mlx5_vfio_pci\.ko' <<< "$output")" 1
	assert_equal "$(grep -c 'driver=auto chose mlx5_vfio_pci' <<< "$output")" 3
}

@test "the driver's name comes from /sys/module/MODULE/drivers once the module is there" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	# Under a test root nothing is inserted: the module's sysfs directory as
	# the kernel shows it for a loaded module with a PCI driver of another name.
	mkdir -p "$ROOT/sys/module/mlx5_vfio_pci/drivers"
	ln -s ../../../bus/pci/drivers/mlx5-vfio-pci "$ROOT/sys/module/mlx5_vfio_pci/drivers/pci:mlx5-vfio-pci"
	in_initramfs
	set_config "address 0000:d8:00.3 allow-network"
	ve
	assert_success
	assert_equal "$(override 0000:d8:00.3)" "mlx5-vfio-pci"
}

@test "no variant for the device: vfio-pci, and no choice is logged" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	in_initramfs
	# The i350 port has no variant: vfio_pci's own alias is the only match.
	set_config "address 0000:03:00.0 allow-network"
	ve
	assert_equal "$(override 0000:03:00.0)" "vfio-pci"
	run kmsg
	refute_output --partial "chose"
}

@test "Debian's kernel has no variant at all: driver=auto is vfio-pci" {
	boot_with "address 0000:d8:00.2 allow-network"
	assert_success
	assert_equal "$(override 0000:d8:00.2)" "vfio-pci"
	grep -q "^alias vfio_pci:v\*d\*sv\*sd\*bc\*sc\*i\* vfio_pci$" "$ROOT/lib/modules/$KVER/modules.alias"
}

@test "driver=vfio-pci keeps the generic driver where a variant would match" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network driver=vfio-pci"
	ve
	assert_success
	assert_equal "$(override 0000:d8:00.2)" "vfio-pci"
}

@test "driver=NAME names the variant; an unknown one is logged and vfio-pci takes the device" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network driver=mlx5_vfio_pci" "address 0000:d8:00.3 allow-network driver=mlx5-vfio-pcii"
	ve
	assert_success
	assert_equal "$(override 0000:d8:00.2)" "mlx5_vfio_pci"
	assert_equal "$(override 0000:d8:00.3)" "vfio-pci"
	run kmsg
	assert_line --partial "0000:d8:00.2: driver=mlx5_vfio_pci chose mlx5_vfio_pci"
	assert_line --partial '0000:d8:00.3: driver=mlx5-vfio-pcii: no such vfio-pci driver in modules.alias (no "vfio_pci:" alias); vfio-pci instead'
}

@test "a plain PCI driver is not a vfio-pci driver: driver=mlx5_core is refused for vfio-pci" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_core "pci:v000015B3d0000101Esv*sd*bc*sc*i*"
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network driver=mlx5_core"
	ve
	assert_equal "$(override 0000:d8:00.2)" "vfio-pci"
	run kmsg
	assert_line --partial "driver=mlx5_core: no such vfio-pci driver in modules.alias"
}

@test "the most specific alias wins; two as specific are a tie, and vfio-pci takes it" {
	make_root cx6dx-vfs
	fake_modules
	# A subsystem-specific entry beats a device-wide one (fewer wildcards).
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	fake_variant oem_vfio_pci "vfio_pci:v000015B3d0000101Esv000015B3sd00000083bc*sc*i*"
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network"
	ve
	assert_equal "$(override 0000:d8:00.2)" "oem_vfio_pci"

	fake_variant other_vfio_pci "vfio_pci:v000015B3d0000101Esv000015B3sd00000083bc*sc*i*"
	in_initramfs
	rm -f "$ROOT/run/vfio-early/state"
	printf '\n' > "$ROOT/sys/bus/pci/devices/0000:d8:00.2/driver_override"
	: > "$ROOT/dev/kmsg"
	ve
	assert_equal "$(override 0000:d8:00.2)" "vfio-pci"
	run kmsg
	assert_line --regexp "0000:d8:00.2: driver=auto: (oem|other)_vfio_pci and (oem|other)_vfio_pci match equally well; name one with driver=; vfio-pci instead"
}

@test "--dry-run says which driver each device would get" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	set_config "address 0000:d8:00.2 allow-network" "address 0000:03:00.0 allow-network"
	ve --dry-run
	assert_output --partial "0000:d8:00.2 [15b3:101e] class 020000: would bind to mlx5_vfio_pci (now mlx5_core)"
	assert_output --partial "0000:03:00.0 [8086:1521] class 020000: would bind to vfio-pci (now igb)"
}

@test "driver= errors name the file, the line and the token" {
	make_root cx6dx-vfs
	in_initramfs
	set_config "address 0000:d8:00.2 allow-network driver=../x" "address 0000:d8:00.3 allow-network driver="
	ve --dry-run
	assert_output --partial "/etc/vfio-early.conf:1: driver=../x: driver= takes auto, vfio-pci or a module name (letters, digits, '_' and '-')"
	assert_output --partial "/etc/vfio-early.conf:2: driver=: driver= takes auto, vfio-pci or a module name"
}

@test "--list-modules KVER names the variant drivers the selected devices get, each once" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	set_config "address 0000:d8:00.2 allow-network" "address 0000:d8:00.3 allow-network" \
		"address 0000:03:00.0 allow-network"
	ve --list-modules "$KVER"
	assert_success
	assert_output "mlx5_vfio_pci"
	# driver=vfio-pci needs nothing; a kernel without modules.alias, nothing.
	set_config "address 0000:d8:00.2 allow-network driver=vfio-pci"
	ve --list-modules "$KVER"
	assert_success
	assert_output ""
	ve --list-modules 6.99.0-none
	assert_success
	assert_output ""
	ve --list-modules ../etc
	assert_failure 1
	assert_output --partial "--list-modules ../etc: not a kernel release"
}

# An RX 6800 XT host (tests/fixtures/vmd-navi.spec) with vendor-reset built
# for its kernel (a module without aliases, as vendor-reset is).
vreset_root() {
	make_root vmd-navi
	fake_modules
	fake_variant vendor-reset
	printf 'flr bus\n' > "$ROOT/sys/bus/pci/devices/0000:03:00.0/reset_method"
	printf 'bus\n' > "$ROOT/sys/bus/pci/devices/0000:03:00.1/reset_method"
}

@test "vendor-reset installed: loaded before the bind, device_specific on the AMD GPU only" {
	vreset_root
	in_initramfs
	set_config "address 0000:03:00"
	ve
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:03:00.0/reset_method")" "device_specific"
	# The HDMI audio is not a display function: its reset stays.
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:03:00.1/reset_method")" "bus"
	run kmsg
	assert_line --regexp "would load .*/vendor-reset\.ko"
	assert_line --partial '0000:03:00.0: vendor-reset: reset_method=device_specific set; reset_method reads "device_specific"'
	ve --list-modules "$KVER"
	assert_output "vendor-reset"
}

@test "vendor-reset: a rule's own reset_method= wins; without the module nothing is written" {
	vreset_root
	in_initramfs
	set_config "address 0000:03:00 reset_method=bus"
	ve
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:03:00.0/reset_method")" "bus"
	run kmsg
	refute_output --partial "vendor-reset"

	make_root vmd-navi
	fake_modules
	printf 'flr bus\n' > "$ROOT/sys/bus/pci/devices/0000:03:00.0/reset_method"
	in_initramfs
	set_config "address 0000:03:00"
	ve
	assert_equal "$(cat "$ROOT/sys/bus/pci/devices/0000:03:00.0/reset_method")" "flr bus"
	ve --list-modules "$KVER"
	assert_output ""
}

@test "release gives back a VF a variant driver holds, as it does one vfio-pci holds" {
	# A booted host where mlx5_vfio_pci holds d8:00.2: the driver's module
	# link, and vfio-pci-core's holders, as the kernel shows a loaded variant.
	make_root cx6dx-vfs "pci 0000:d8:00.6 parent=0000:d7:00.0 ids=15b3:101e sub=15b3:0083 class=020000 group=47 driver=mlx5_vfio_pci override=mlx5_vfio_pci vf-of=0000:d8:00.1 vfn=0"
	mkdir -p "$ROOT/sys/module/mlx5_vfio_pci" "$ROOT/sys/module/vfio_pci_core/holders"
	ln -s ../../../../module/mlx5_vfio_pci "$ROOT/sys/bus/pci/drivers/mlx5_vfio_pci/module"
	ln -s ../../mlx5_vfio_pci "$ROOT/sys/module/vfio_pci_core/holders/mlx5_vfio_pci"
	: > "$ROOT/sys/bus/pci/drivers/mlx5_vfio_pci/unbind"
	: > "$ROOT/sys/bus/pci/drivers_probe"
	ve release 0000:d8:00.6
	assert_success
	assert_line "0000:d8:00.6: released (test root, not probed)"
	assert_equal "$(cat "$ROOT/sys/bus/pci/drivers/mlx5_vfio_pci/unbind")" "0000:d8:00.6"
	run kmsg
	assert_line --partial "0000:d8:00.6: released from mlx5_vfio_pci (test root, not probed)"
	# A plain driver is no vfio driver: mlx5_core's VF is not released.
	ve release 0000:d8:00.2
	assert_success
	assert_line "0000:d8:00.2: not on vfio-pci (mlx5_core): nothing to release"
}

@test "--report: the driver each device goes to, the libvirt model, the Proxmox advice, the JSON" {
	make_root cx6dx-vfs
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	set_config "address 0000:d8:00.2 allow-network" "address 0000:03:00.0 allow-network"
	ve --report
	assert_line "      <hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio' model='mlx5_vfio_pci'/><source><address domain='0x0000' bus='0xd8' slot='0x00' function='0x2'/></source></hostdev>"
	assert_line "      0000:d8:00.2 goes to mlx5_vfio_pci, a vfio-pci variant: add driver=keep to the hostpci entry where qemu-server has it, or Proxmox binds the function to vfio-pci itself when the VM starts"
	# The i350 port has no variant: a plain hostdev.
	assert_line "      <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>"
	assert_line "      next boot: vfio-pci (rule /etc/vfio-early.conf:2 0000:03:00.0)"
	ve --report --json
	assert_equal "$(jq -c '.devices[] | select(.address == "0000:d8:00.2") | .next_boot | [.driver, .variant_module]' <<< "$output")" '["mlx5_vfio_pci","mlx5_vfio_pci"]'
	assert_equal "$(jq -c '.devices[] | select(.address == "0000:03:00.0") | .next_boot | [.driver, .variant_module]' <<< "$output")" '["vfio-pci",null]'
}

@test "--report: a variant that cannot be had is a warning with the fix" {
	make_root cx6dx-vfs
	fake_modules
	set_config "address 0000:d8:00.2 allow-network driver=mlx5_vfio_pci"
	ve --report
	assert_line "  [warning] 0000:d8:00.2: driver=mlx5_vfio_pci: no such vfio-pci driver in modules.alias (no \"vfio_pci:\" alias); it goes to vfio-pci"
	assert_line "      fix: name the variant's module with driver=MODULE, or keep the generic driver with driver=vfio-pci"
	# The alias without the module file: the boot could not load it.
	printf 'alias %s mlx5_vfio_pci\n' "$MLX5_ALIAS" >> "$ROOT/lib/modules/$KVER/modules.alias"
	set_config "address 0000:d8:00.2 allow-network"
	ve --report
	assert_line --regexp "^  \[warning\] 0000:d8:00.2: variant driver mlx5_vfio_pci: cannot load it \(.*\); it goes to vfio-pci$"
}

@test "--report: a device its variant holds is ready, not pending, and its group is viable" {
	make_root cx6dx-vfs "pci 0000:d8:00.6 parent=0000:d7:00.0 ids=15b3:101e sub=15b3:0083 class=020000 group=47 driver=mlx5_vfio_pci override=mlx5_vfio_pci vf-of=0000:d8:00.1 vfn=0"
	fake_modules
	fake_variant mlx5_vfio_pci "$MLX5_ALIAS"
	mkdir -p "$ROOT/sys/module/mlx5_vfio_pci" "$ROOT/sys/module/vfio_pci_core/holders"
	ln -s ../../../../module/mlx5_vfio_pci "$ROOT/sys/bus/pci/drivers/mlx5_vfio_pci/module"
	ln -s ../../mlx5_vfio_pci "$ROOT/sys/module/vfio_pci_core/holders/mlx5_vfio_pci"
	set_config "address 0000:d8:00.6 allow-network"
	ve --report
	assert_line "      IOMMU group 47 (ready):"
	refute_output --partial "reboot pending"
	# Without vfio-pci-core's holder link it is an ordinary driver: not ready.
	rm "$ROOT/sys/module/vfio_pci_core/holders/mlx5_vfio_pci"
	set_config "address 0000:d8:00.6 allow-network driver=vfio-pci"
	ve --report
	assert_line "      IOMMU group 47 (pending):"
}
