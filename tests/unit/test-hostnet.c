// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hostnet.c: the management network read from proc/net and sysfs, on the
 * Protectli VP4630 tree (tests/fixtures/vp4630-emmc.spec) with the files a
 * Proxmox host has: vmbr0 over enp1s0, vmbr1 over enp2s0, a bond, IPv6.
 */
#include "unit.h"
#include "fixture.h"

#include "hostnet.h"

#define RT_HEAD "file proc/net/route Iface\\tDestination\\tGateway \\tFlags\\tRefCnt\\tUse\\tMetric\\tMask\\t\\tMTU\\tWindow\\tIRTT\n"
#define RT(line) "file proc/net/route " line "\n"
#define TRIE(line) "file proc/net/fib_trie " line "\n"
#define IFACES "net enp1s0 pci=0000:01:00.0\nnet enp2s0 pci=0000:02:00.0\n" \
	"net enp3s0 pci=0000:03:00.0\nnet vmbr0 lower=enp1s0\nnet vmbr1 lower=enp2s0\n"
#define TRIE_ALL TRIE("Main:") TRIE("\\ \\ +-- 0.0.0.0/0 3 0 5") \
	TRIE("\\ \\ \\ \\ \\ |-- 10.0.0.20") TRIE("\\ \\ \\ \\ \\ \\ \\ \\ /32 host LOCAL") \
	TRIE("\\ \\ \\ \\ \\ |-- 192.168.20.2") TRIE("\\ \\ \\ \\ \\ \\ \\ \\ /32 host LOCAL")

static size_t mgmt(struct fx *f, const char *extra, struct hostnet_if *out)
{
	if (fx_make(f, "vp4630-emmc", extra) < 0)
		return (size_t)-1;
	return hostnet_management(f->rootfd, out, HOSTNET_MGMT_MAX);
}

TEST(default_route_through_a_bridge_to_its_port)
{
	struct hostnet_if v[HOSTNET_MGMT_MAX];
	char desc[160];
	struct fx f;
	size_t n = mgmt(&f, IFACES RT_HEAD
			RT("vmbr0\\t00000000\\t0100000A\\t0003\\t0\\t0\\t0\\t00000000\\t0\\t0\\t0")
			RT("vmbr0\\t0000000A\\t00000000\\t0001\\t0\\t0\\t0\\t00FFFFFF\\t0\\t0\\t0")
			RT("vmbr1\\t0014A8C0\\t00000000\\t0001\\t0\\t0\\t0\\t00FFFFFF\\t0\\t0\\t0")
			TRIE_ALL, v);

	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].name, "vmbr0");
		CHECK_STR(v[0].addr, "10.0.0.20");
		CHECK_INT(v[0].nports, 1);
		CHECK_STR(v[0].ports[0], "enp1s0");
		hostnet_describe(&v[0], v[0].ports[0], desc, sizeof(desc));
		CHECK_STR(desc, "vmbr0 10.0.0.20, default route, port enp1s0");
	}
	fx_free(&f);
}

TEST(a_route_that_is_down_or_the_header_is_no_default)
{
	struct hostnet_if v[HOSTNET_MGMT_MAX];
	struct fx f;
	/* flags 0002: RTF_GATEWAY without RTF_UP */
	size_t n = mgmt(&f, IFACES RT_HEAD
			RT("vmbr0\\t00000000\\t0100000A\\t0002\\t0\\t0\\t0\\t00000000\\t0\\t0\\t0"), v);

	CHECK_INT(n, 0);
	fx_free(&f);
}

TEST(the_address_of_the_host_name_in_etc_hosts)
{
	struct hostnet_if v[HOSTNET_MGMT_MAX];
	struct fx f;
	size_t n = mgmt(&f, IFACES RT_HEAD
			RT("vmbr0\\t0000000A\\t00000000\\t0001\\t0\\t0\\t0\\t00FFFFFF\\t0\\t0\\t0")
			RT("vmbr1\\t0014A8C0\\t00000000\\t0001\\t0\\t0\\t0\\t00FFFFFF\\t0\\t0\\t0")
			TRIE_ALL
			"file proc/sys/kernel/hostname pve.example.lan\n"
			"file etc/hosts 127.0.0.1 localhost\n"
			"file etc/hosts # 192.168.20.2 pve\n"
			"file etc/hosts 192.168.20.2 pve.example.lan pve\n", v);

	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].name, "vmbr1");
		CHECK_STR(v[0].addr, "192.168.20.2");
		CHECK_STR(v[0].how, "address of pve.example.lan in /etc/hosts");
		CHECK_STR(v[0].ports[0], "enp2s0");
	}
	fx_free(&f);
}

TEST(ipv6_default_route_on_a_bond_of_two_ports)
{
	struct hostnet_if v[HOSTNET_MGMT_MAX];
	struct fx f;
	size_t n = mgmt(&f, "net enp1s0 pci=0000:01:00.0\nnet enp2s0 pci=0000:02:00.0\n"
			"net bond0 lower=enp1s0,enp2s0\n"
			"file proc/net/ipv6_route 00000000000000000000000000000000 00 "
			"00000000000000000000000000000000 00 fe800000000000000000000000000001 "
			"00000400 00000001 00000000 00000003 bond0\n"
			"file proc/net/ipv6_route 00000000000000000000000000000000 00 "
			"00000000000000000000000000000000 00 00000000000000000000000000000000 "
			"ffffffff 00000001 00000000 00200200 lo\n", v);

	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].name, "bond0");
		CHECK_STR(v[0].how, "IPv6 default route");
		CHECK_STR(v[0].addr, "");
		CHECK_INT(v[0].nports, 2);
	}
	fx_free(&f);
}

TEST(ifnames_that_are_no_path_component_are_refused)
{
	CHECK(hostnet_valid_ifname("vmbr0"));
	CHECK(hostnet_valid_ifname("enp1s0f0np0"));
	CHECK(!hostnet_valid_ifname(""));
	CHECK(!hostnet_valid_ifname(".."));
	CHECK(!hostnet_valid_ifname("a/b"));
	CHECK(!hostnet_valid_ifname("eth0:1"));
	CHECK(!hostnet_valid_ifname("0123456789abcdef"));
}
