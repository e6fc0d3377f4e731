#!/usr/bin/env bats
# Boot-safety tests (issue 11) on real dracut images: the protected list is
# recorded on each guest by its own `vfio-early --list-protected`, then the
# guests boot with the root on NVMe, with a list of another machine, with
# renumbered buses, with the root on md RAID1, with /home on a second NVMe,
# and with vfio-early run again on the booted root.  Each reaches its root.
# See lib/safety.bash for the scenarios, lib/boot.bash for the machines.

VFE_KIND=dracut
load lib/safety

setup_file()
{
	vfe_safety_setup
}

setup()
{
	vfe_boot_skip
}

@test "dracut safety: the recorded lists are versioned, name their machine, are complete and name the NVMe controllers by path" {
	vfe_check_lists
}

@test "dracut safety: the list of this machine verifies; the root NVMe named by address is kept, the spare NVMe goes to vfio-pci" {
	vfe_check_same
}

@test "dracut safety: a list recorded on another machine is unverified; the root NVMe named by address stays on nvme, card 1 is bound" {
	vfe_check_other
}

@test "dracut safety: the list of another layout is unverified; the root NVMe is kept, the spare NVMe goes to vfio-pci in the late pass" {
	vfe_check_layout
}

@test "dracut safety: buses renumbered since the image was built; the root NVMe is kept at its new address, the spare named by path ends on vfio-pci" {
	vfe_check_shift
}

@test "dracut safety: root on md RAID1 over two NVMe, a rule names one: both stay on nvme, the array is assembled, root reached" {
	vfe_check_md
}

@test "dracut safety: /home in fstab (no nofail) on a second NVMe that a rule names: it stays on nvme, /home is mounted" {
	vfe_check_home
}

@test "dracut safety: boot mode run again on the booted root with a rule naming /home's controller: nothing unbound, /home still mounted" {
	vfe_check_rerun
}
