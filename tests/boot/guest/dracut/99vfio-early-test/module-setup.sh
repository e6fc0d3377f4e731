#!/bin/bash
# shellcheck disable=SC2154 # moddir is dracut's
# Test-only dracut module: the guest's drivers, the report helper, and two
# report hooks (right after vfio-early's pre-udev hook, and after udev's
# coldplug before the root is mounted).
check() {
    return 255
}

depends() {
    echo vfio-early
    return 0
}

installkernel() {
    hostonly='' instmods bochs snd_hda_intel snd_hda_codec_generic nvme virtio_pci virtio_blk ext4
    # hostneeds-*.bats: a root on a USB disk behind an xHCI, a NIC (e1000e)
    hostonly='' instmods xhci_pci usb_storage uas sd_mod e1000e
}

install() {
    inst_simple "$moddir/report.sh" /usr/lib/vfio-early-test/report.sh
    inst_hook pre-udev 01 "$moddir/vfio-early-test-early.sh"
    inst_multiple udevadm
    inst_hook pre-mount 99 "$moddir/vfio-early-test-udev.sh"
}
