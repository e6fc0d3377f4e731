/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VFIO_EARLY_HOSTNET_H
#define VFIO_EARLY_HOSTNET_H

/*
 * The host's own network, as /proc and sysfs show it: which interfaces
 * carry its management traffic, and the physical ports below a bridge,
 * bond or VLAN.  Everything is read relative to a root directory, so a
 * test root stands for a host.
 */
#include <stdbool.h>
#include <stddef.h>

#define HOSTNET_IFNAME_LEN 16	/* IFNAMSIZ */
#define HOSTNET_ADDR_LEN 16	/* INET_ADDRSTRLEN */
#define HOSTNET_PORTS_MAX 8
#define HOSTNET_MGMT_MAX 8

struct hostnet_if {
	char name[HOSTNET_IFNAME_LEN];	/* what carries the route or address: vmbr0 */
	char addr[HOSTNET_ADDR_LEN];	/* its IPv4 address, "" when none is seen */
	char how[72];			/* "default route", "address of pve in /etc/hosts" */
	char ports[HOSTNET_PORTS_MAX][HOSTNET_IFNAME_LEN];	/* the devices below it */
	size_t nports;
};

/* An interface name as the kernel allows it (a sysfs path component). */
bool hostnet_valid_ifname(const char *s);

/*
 * The physical ports of interface @ifname: itself when it has a device,
 * else the lower_* interfaces of a bridge, bond or VLAN, recursively.
 * Returns how many were stored in @ports (at most @max).
 */
size_t hostnet_ports(int rootfd, const char *ifname, char ports[][HOSTNET_IFNAME_LEN],
		     size_t max);

/*
 * The interfaces that carry the host's management traffic: those with an
 * IPv4 or IPv6 default route (proc/net/route, proc/net/ipv6_route), and
 * the one whose subnet holds the address /etc/hosts gives the host's name
 * (proc/sys/kernel/hostname, else /etc/hostname; Proxmox requires that
 * entry).  Each with its IPv4 address (proc/net/fib_trie) and its ports.
 * Returns how many were stored in @out.
 */
size_t hostnet_management(int rootfd, struct hostnet_if *out, size_t max);

/* "vmbr0 192.0.2.10, default route, port enp1s0": @i as a log line names it. */
void hostnet_describe(const struct hostnet_if *i, const char *port, char *buf, size_t size);

#endif
