#!/bin/sh
# dracut pre-pivot hook for vfio-early's late pass (installed as
# 80-vfio-early-late.sh: after the real root and a separate /usr are
# mounted at $NEWROOT, before switch_root).  vfio-early --late looks again
# at the storage and network controllers the early pass could not prove
# unused; it exits at once when the early pass left nothing for it.
# Only in images without systemd (there vfio-early-late.service does this).
# dracut sources hooks: this file returns, never exits, and leaves no
# variables or functions behind.

if [ -r /usr/lib/vfio-early/vfio-early-shim ]; then
    . /usr/lib/vfio-early/vfio-early-shim
    vfio_early_shim /usr/sbin/vfio-early --late "${NEWROOT:-/sysroot}"
    unset -f vfio_early_shim vfio_early_shim_run vfio_early_shim_log vfio_early_shim_watchdog
else
    { echo "<3>vfio-early: /usr/lib/vfio-early/vfio-early-shim is missing from the initramfs" > /dev/kmsg; } 2> /dev/null || :
fi
