#!/bin/sh
# dracut pre-udev hook for vfio-early (installed as 00-vfio-early.sh, so it
# runs before udevd starts and before the coldplug).  dracut sources hooks:
# this file returns, never exits, and leaves no variables or functions behind.

if [ -r /usr/lib/vfio-early/vfio-early-shim ]; then
    . /usr/lib/vfio-early/vfio-early-shim
    vfio_early_shim /usr/sbin/vfio-early
    unset -f vfio_early_shim vfio_early_shim_run vfio_early_shim_log vfio_early_shim_watchdog
else
    { echo "<3>vfio-early: /usr/lib/vfio-early/vfio-early-shim is missing from the initramfs" > /dev/kmsg; } 2> /dev/null || :
fi
