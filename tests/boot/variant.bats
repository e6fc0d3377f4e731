#!/usr/bin/env bats
# vfio-pci variant drivers (issue 19).  Debian's kernel ships none and QEMU
# emulates no device a real one drives, so the suite builds its own:
# tests/boot/variant/vfio_early_test_pci.c, a vfio_pci_core driver for
# QEMU's NVMe (1b36:0010), against the headers of the kernel the guests
# boot (skipped without them), and boots the emulated two-GPU host (QEMU,
# TCG unless KVM is proven to work) with initramfs-tools images and a root
# that carry it.  See lib/variant.bash.

load lib/variant

setup_file()
{
	vfe_vdrv_setup
}

setup()
{
	vfe_boot_skip
}

@test "variant: the module built here is a vfio-pci variant for QEMU's NVMe, for the kernel the guests boot" {
	run cat "$VFE_OUT/modinfo.txt"
	assert_line --regexp "^alias: +vfio_pci:v00001B36d00000010sv\*sd\*bc\*sc\*i\*$"
	assert_line --regexp "^name: +$VFE_VDRV_MODULE$"
	assert_line --regexp "^vermagic: +$VFE_KVER "
	assert_line --regexp '^depends: +(vfio-pci-core,vfio|vfio,vfio-pci-core)$'
	# one alias: the driver never binds by ids of its own
	run grep -c '^alias:' "$VFE_OUT/modinfo.txt"
	assert_output 1
}

@test "variant: mkinitramfs's depmod indexed the module: the image's modules.alias has its alias beside vfio_pci's" {
	run cat "$VFE_OUT/image-alias-byhand.txt"
	assert_line "alias $VFE_VDRV_ALIAS $VFE_VDRV_MODULE"
	assert_line "alias $VFE_VDRV_PLAIN_ALIAS vfio_pci"
	assert_equal "${#lines[@]}" 2
	run vfe_vdrv_image_modules_file "$(cat "$VFE_OUT/byhand.image")" modules.dep
	assert_line --regexp "^updates/$VFE_VDRV_MODULE\.ko: .*vfio-pci-core\.ko"
}

@test "variant by hand: modprobe, unbind nvme, driver_override, drivers_probe: the NVMe is on the variant with /dev/vfio/N" {
	local group
	run vfe_reached_root byhand
	assert_success
	run vfe_vdrv_lines byhand modalias
	assert_output --regexp '^pci:v00001B36d00000010sv00001AF4sd00001100bc01sc08i02$'
	run vfe_vdrv_lines byhand start
	assert_line --regexp "^addr=$VFE_NVME driver=nvme override=\(null\) group=[0-9]+ dev=absent$"
	run vfe_vdrv_lines byhand step
	assert_line 'modprobe exit=0'
	assert_line 'unbind exit=0'
	assert_line 'override exit=0'
	assert_line 'probe exit=0'
	run vfe_vdrv_lines byhand step-stderr
	assert_output ''
	run vfe_vdrv_lines byhand module-drivers
	assert_output "pci:$VFE_VDRV_DRIVER"
	run vfe_vdrv_lines byhand byhand
	assert_line --regexp "^addr=$VFE_NVME driver=$VFE_VDRV_DRIVER override=$VFE_VDRV_DRIVER group=[0-9]+ dev=present$"
	group=$(vfe_vdrv_lines byhand byhand | sed -n "s/^addr=$VFE_NVME .* group=\([0-9]*\) .*/\1/p")
	run vfe_vdrv_lines byhand vfio-dev
	assert_output --regexp "(^| )$group( |$)"
	# the kernel's word: the driver's probe registered the device
	run vfe_vdrv_kernel byhand
	assert_line --regexp "$VFE_VDRV_DRIVER $VFE_NVME: registered 1b36:0010 with vfio_pci_core$"
	# the drivers seen from the real root's init: the variant holds the NVMe
	run vfe_expect byhand root "$VFE_NVME=$VFE_VDRV_DRIVER"
	assert_success
}

@test "variant by hand: the root disk (virtio-blk 04:00.0) and the cards stay on their drivers" {
	run vfe_vdrv_lines byhand byhand
	assert_line "addr=$VFE_ROOTDISK driver=virtio-pci override=(null) group=$(vfe_vdrv_lines byhand start |
		sed -n "s/^addr=$VFE_ROOTDISK .* group=\([0-9]*\) .*/\1/p") dev=absent"
	run vfe_expect byhand udev,root "$VFE_ROOTDISK=virtio-pci" "$VFE_CARD1_VGA=bochs-drm" \
		"$VFE_CARD2_VGA=bochs-drm" "$VFE_HOST_VGA=bochs-drm"
	assert_success
	run vfe_nothing_on_vfio byhand
	assert_success
}
