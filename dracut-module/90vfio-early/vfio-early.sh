#!/bin/sh
# dracut cmdline hook for vfio-early in images without systemd (installed as
# cmdline/00-vfio-early.sh): it runs before parse-kernel.sh (01), which loads
# the rd.driver.pre= modules, and long before udevd starts and the coldplug.
# With systemd in the image, vfio-early.service runs it instead.  dracut
# sources hooks: this file returns, never exits, and leaves no variables or
# functions behind.

if [ -r /usr/lib/vfio-early/vfio-early-shim ]; then
    . /usr/lib/vfio-early/vfio-early-shim
    vfio_early_shim /usr/sbin/vfio-early
    unset -f vfio_early_shim vfio_early_shim_run vfio_early_shim_log vfio_early_shim_watchdog
else
    { echo "<3>vfio-early: /usr/lib/vfio-early/vfio-early-shim is missing from the initramfs" > /dev/kmsg; } 2> /dev/null || :
fi
