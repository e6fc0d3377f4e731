#!/bin/sh
# Test-only pre-udev hook (sourced): drivers right after vfio-early's hook.
. /usr/lib/vfio-early-test/report.sh
vfe_test_report early
