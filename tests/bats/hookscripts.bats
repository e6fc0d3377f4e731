#!/usr/bin/env bats
# The Proxmox hookscript and the libvirt qemu hook in examples/: which
# vfio-early commands they run for which phase, from a VM config and a
# domain XML as Proxmox VE 8 and libvirt 9 write them (the guide's 3090 at
# 09:00 with its HDMI audio), with vfio-early replaced by a recorder.

load helper

setup() {
	CALLS=$BATS_TEST_TMPDIR/calls
	STUB=$BATS_TEST_TMPDIR/vfio-early
	printf '#!/bin/sh\necho "$*" >> %s\nexit ${STUB_EXIT:-0}\n' "$CALLS" > "$STUB"
	chmod +x "$STUB"
	export VFIO_EARLY=$STUB
	: > "$CALLS"
}

pve_conf() {
	export PVE_CONF_DIR=$BATS_TEST_TMPDIR/qemu-server
	mkdir -p "$PVE_CONF_DIR"
	cat > "$PVE_CONF_DIR/101.conf" <<-'CONF'
	agent: 1
	bios: ovmf
	boot: order=scsi0
	cores: 8
	cpu: host,hidden=1
	efidisk0: local-lvm:vm-101-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M
	hostpci0: 0000:09:00,pcie=1,x-vga=1
	hostpci1: mapping=usb-ctrl,pcie=1
	hostpci2: 0000:0b:00.0;0000:0b:00.1
	machine: q35
	memory: 32768
	name: llm
	net0: virtio=BC:24:11:3A:5F:01,bridge=vmbr0
	scsi0: local-lvm:vm-101-disk-1,iothread=1,size=200G
	CONF
}

@test "proxmox: pre-start takes each hostpci card, post-stop releases it, other phases do nothing" {
	pve_conf
	run sh "$TOP/examples/proxmox-hookscript" 101 pre-start
	assert_success
	run sh "$TOP/examples/proxmox-hookscript" 101 post-start
	run sh "$TOP/examples/proxmox-hookscript" 101 pre-stop
	run sh "$TOP/examples/proxmox-hookscript" 101 post-stop
	assert_success
	run cat "$CALLS"
	assert_output "take --yes 0000:09:00
take --yes 0000:0b:00.0
take --yes 0000:0b:00.1
release 0000:09:00
release 0000:0b:00.0
release 0000:0b:00.1"
}

@test "proxmox: a refused take stops the VM from starting" {
	pve_conf
	STUB_EXIT=4 run sh "$TOP/examples/proxmox-hookscript" 101 pre-start
	assert_failure
	assert_equal "$(cat "$CALLS")" "take --yes 0000:09:00"
}

@test "libvirt: prepare takes each PCI hostdev, release gives it back, USB hostdevs are left alone" {
	xml='<domain type="kvm">
  <name>llm</name>
  <devices>
    <hostdev mode='"'subsystem'"' type='"'pci'"' managed='"'yes'"'>
      <source>
        <address domain='"'0x0000'"' bus='"'0x09'"' slot='"'0x00'"' function='"'0x0'"'/>
      </source>
      <address type='"'pci'"' domain='"'0x0000'"' bus='"'0x05'"' slot='"'0x00'"' function='"'0x0'"' multifunction='"'on'"'/>
    </hostdev>
    <hostdev mode='"'subsystem'"' type='"'pci'"' managed='"'yes'"'>
      <source>
        <address domain='"'0x0000'"' bus='"'0x09'"' slot='"'0x00'"' function='"'0x1'"'/>
      </source>
    </hostdev>
    <hostdev mode='"'subsystem'"' type='"'usb'"' managed='"'yes'"'>
      <source>
        <vendor id='"'0x046d'"'/>
        <product id='"'0xc52b'"'/>
      </source>
    </hostdev>
  </devices>
</domain>'
	printf '%s\n' "$xml" | sh "$TOP/examples/libvirt-qemu-hook" llm prepare begin -
	printf '%s\n' "$xml" | sh "$TOP/examples/libvirt-qemu-hook" llm start begin -
	printf '%s\n' "$xml" | sh "$TOP/examples/libvirt-qemu-hook" llm release end -
	run cat "$CALLS"
	assert_output "take --yes 0000:09:00.0
take --yes 0000:09:00.1
release 0000:09:00.0
release 0000:09:00.1"
}
