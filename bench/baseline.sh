#!/bin/sh
# baseline.sh ROOT VVVV:DDDD...: the selection as initramfs shell hooks do it
# today (the scripts that loop over /sys/bus/pci/devices in init-top):
# read vendor, device and class of every device, compare with the ids,
# skip bridges, check the IOMMU group and boot_vga of a match, and write
# vfio-pci to its driver_override (printed here instead: a dry run, like
# vfio-early --dry-run).
root=$1
shift
ids=" $* "
for dev in "$root"/sys/bus/pci/devices/*; do
	read -r vendor < "$dev/vendor" || continue
	read -r device < "$dev/device" || continue
	read -r class < "$dev/class" || continue
	case $ids in
	*" ${vendor#0x}:${device#0x} "*) ;;
	*) continue ;;
	esac
	case $class in
	0x06*) continue ;;
	esac
	[ -e "$dev/iommu_group" ] || { echo "${dev##*/}: no IOMMU group"; continue; }
	if [ -e "$dev/boot_vga" ]; then
		read -r vga < "$dev/boot_vga"
		[ "$vga" = 1 ] && { echo "${dev##*/}: boot VGA, skipped"; continue; }
	fi
	echo "vfio-pci > ${dev##*/}/driver_override"
done
