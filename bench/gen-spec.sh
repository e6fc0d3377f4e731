#!/bin/sh
# gen-spec.sh N: a mkfakesys spec for a host with N PCI functions, shaped
# like a large server: PCI domains with four root buses each (00, 40, 80,
# c0, as on multi-socket boards), 31 root ports per root bus, behind each
# port one multifunction card (NICs mostly) in an IOMMU group of its own,
# drivers bound.  Every 50th card is the guide's RTX 3090 + HDMI audio
# (10de:2204 / 10de:1aef): the handful an ids rule selects.
set -eu
n=${1:?usage: gen-spec.sh N}
awk -v n="$n" 'BEGIN {
	print "osrelease 6.1.0-56-amd64"
	print "cpu intel"
	print "iommu on"
	print "cmdline root=/dev/nvme0n1p2 ro intel_iommu=on iommu=pt"
	count = 0; group = 0
	for (port = 0; count < n; port++) {
		dom = int(port / 124); rbi = int((port % 124) / 31); slot = (port % 31) + 1
		rb = rbi * 64
		if (port % 31 == 0) {
			printf "pci %04x:%02x:00.0 ids=8086:09a2 class=060000 group=%d\n", dom, rb, group++
			count++
		}
		rp = sprintf("%04x:%02x:%02x.0", dom, rb, slot)
		printf "pci %s ids=8086:347a class=060400 group=%d driver=pcieport\n", rp, group++
		count++
		ep = sprintf("%04x:%02x:00", dom, rb + slot)
		if (port % 50 == 7) {
			printf "pci %s.0 parent=%s ids=10de:2204 sub=10de:1492 class=030000 group=%d driver=nouveau\n", ep, rp, group
			printf "pci %s.1 parent=%s ids=10de:1aef sub=10de:1492 class=040300 group=%d driver=snd_hda_intel\n", ep, rp, group
			count += 2
		} else {
			for (f = 0; f < 6 && count < n; f++) {
				printf "pci %s.%d parent=%s ids=8086:1572 sub=8086:0001 class=020000 group=%d driver=i40e\n", ep, f, rp, group
				count++
			}
		}
		group++
	}
}'
