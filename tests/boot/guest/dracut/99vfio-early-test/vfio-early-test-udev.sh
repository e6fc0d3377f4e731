#!/bin/sh
# Test-only pre-mount hook (sourced): drivers after udev's coldplug.  With
# systemd in the initramfs, pre-mount only waits for the root device, so wait
# for the rest of the coldplug here.
udevadm settle --timeout=60 2>/dev/null || :
. /usr/lib/vfio-early-test/report.sh
vfe_test_report udev
