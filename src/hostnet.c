// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host's own network: which interfaces carry its management traffic,
 * and the physical ports below them.
 *
 * A headless host is reached over the interface that holds its default
 * route, or the address its name resolves to in /etc/hosts (Proxmox VE
 * writes that entry and its cluster stack depends on it).  On Proxmox that
 * interface is a bridge (vmbr0) whose port is the NIC; bonds and VLANs
 * stack the same way, each upper device with lower_* links in sysfs.
 *
 * proc/net/route prints each IPv4 address as the %08X of its network-order
 * 32-bit value, so comparing those numbers with inet_pton()'s result as
 * raw 32-bit words needs no byte swapping on any host.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostnet.h"
#include "mounts.h"
#include "sysfs.h"
#include "util.h"

#define NET_FILE_MAX (1 << 20)
#define ROUTES_MAX 256
#define STACK_MAX 8

bool hostnet_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= HOSTNET_IFNAME_LEN || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool has_port(char ports[][HOSTNET_IFNAME_LEN], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ports[i], name) == 0)
			return true;
	return false;
}

static void collect_ports(int rootfd, const char *ifname, char ports[][HOSTNET_IFNAME_LEN],
			  size_t max, size_t *n, unsigned depth)
{
	_cleanup_dir_ struct sysfs_dir dir = SYSFS_DIR_INIT;
	const char *name;

	if (depth > STACK_MAX || !hostnet_valid_ifname(ifname))
		return;
	if (sysfs_accessf(rootfd, F_OK, "sys/class/net/%s/device", ifname) == 0) {
		if (*n < max && !has_port(ports, *n, ifname))
			snprintf(ports[(*n)++], HOSTNET_IFNAME_LEN, "%s", ifname);
		return;
	}
	if (sysfs_opendirf(&dir, rootfd, "sys/class/net/%s", ifname) < 0)
		return;
	while ((name = sysfs_dir_next(&dir)))
		if (strncmp(name, "lower_", 6) == 0)
			collect_ports(rootfd, name + 6, ports, max, n, depth + 1);
}

size_t hostnet_ports(int rootfd, const char *ifname, char ports[][HOSTNET_IFNAME_LEN],
		     size_t max)
{
	size_t n = 0;

	collect_ports(rootfd, ifname, ports, max, &n, 0);
	return n;
}

struct route4 {
	char ifname[HOSTNET_IFNAME_LEN];
	uint32_t dest;
	uint32_t mask;
};

/* proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
static size_t read_routes(int rootfd, struct route4 *v, size_t max)
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	size_t len, n = 0;

	buf = read_file_at(rootfd, "proc/net/route", NET_FILE_MAX, &len);
	cursor = buf;
	while (buf && n < max && (line = util_next_line(&cursor))) {
		char ifname[32];
		unsigned dest, gw, flags, mask;

		if (sscanf(line, "%31s %8x %8x %x %*d %*d %*d %8x", ifname, &dest, &gw, &flags,
			   &mask) != 5 || !hostnet_valid_ifname(ifname) || !(flags & 1))
			continue;	/* the header, or a route that is not up */
		snprintf(v[n].ifname, sizeof(v[n].ifname), "%.15s", ifname);
		v[n].dest = dest;
		v[n].mask = mask;
		n++;
	}
	return n;
}

/* The interface whose connected subnet holds @addr (longest mask), or NULL. */
static const char *route_iface(const struct route4 *v, size_t n, uint32_t addr)
{
	const struct route4 *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (v[i].mask == 0 || (addr & v[i].mask) != v[i].dest)
			continue;
		if (!best || ntohl(v[i].mask) > ntohl(best->mask))
			best = &v[i];
	}
	return best ? best->ifname : NULL;
}

static bool is_loopback(uint32_t addr)
{
	return (ntohl(addr) >> 24) == 127;
}

/*
 * The first IPv4 address of @ifname: proc/net/fib_trie lists each local
 * address as a leaf ("|-- 192.0.2.10") followed by "/32 host LOCAL".
 */
static bool iface_addr(int rootfd, const struct route4 *routes, size_t nroutes,
		       const char *ifname, char *buf, size_t size)
{
	_cleanup_free_ char *trie = NULL;
	char *cursor, *line, leaf[HOSTNET_ADDR_LEN] = "";
	size_t len;

	trie = read_file_at(rootfd, "proc/net/fib_trie", NET_FILE_MAX, &len);
	cursor = trie;
	while (trie && (line = util_next_line(&cursor))) {
		const char *s = line + strspn(line, " \t|+-`");
		const char *name;
		uint32_t a;

		if (strstr(line, "|-- ")) {
			snprintf(leaf, sizeof(leaf), "%.15s", s);
			continue;
		}
		if (!strstr(line, "/32 host LOCAL") || inet_pton(AF_INET, leaf, &a) != 1 ||
		    is_loopback(a))
			continue;
		name = route_iface(routes, nroutes, a);
		if (name && strcmp(name, ifname) == 0) {
			snprintf(buf, size, "%s", leaf);
			return true;
		}
	}
	return false;
}

static struct hostnet_if *add_if(struct hostnet_if *out, size_t max, size_t *n,
				 const char *name, const char *how)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(out[i].name, name) == 0)
			return &out[i];
	if (*n >= max || !hostnet_valid_ifname(name))
		return NULL;
	memset(&out[*n], 0, sizeof(out[*n]));
	snprintf(out[*n].name, sizeof(out[*n].name), "%s", name);
	snprintf(out[*n].how, sizeof(out[*n].how), "%s", how);
	return &out[(*n)++];
}

/* proc/net/ipv6_route: DEST PLEN SRC SPLEN NEXTHOP METRIC REF USE FLAGS IFACE. */
static void ipv6_defaults(int rootfd, struct hostnet_if *out, size_t max, size_t *n)
{
	_cleanup_free_ char *buf = NULL;
	char *cursor, *line;
	size_t len;

	buf = read_file_at(rootfd, "proc/net/ipv6_route", NET_FILE_MAX, &len);
	cursor = buf;
	while (buf && (line = util_next_line(&cursor))) {
		char dest[40], plen[4], hop[40], ifname[32];
		unsigned flags;

		if (sscanf(line, "%39s %3s %*s %*s %39s %*s %*s %*s %x %31s", dest, plen, hop,
			   &flags, ifname) != 5)
			continue;
		/* ::/0, up (RTF_UP), through a gateway (RTF_GATEWAY), not lo's unreachable */
		if (strspn(dest, "0") != 32 || strcmp(plen, "00") != 0 || (flags & 3) != 3 ||
		    strcmp(ifname, "lo") == 0)
			continue;
		add_if(out, max, n, ifname, "IPv6 default route");
	}
}

/* The host's name: proc/sys/kernel/hostname, else etc/hostname. */
static bool host_name(int rootfd, char *buf, size_t size)
{
	if (read_attr(rootfd, "proc/sys/kernel/hostname", buf, size) > 0 ||
	    read_attr(rootfd, "etc/hostname", buf, size) > 0) {
		buf[strcspn(buf, " \t\n")] = '\0';
		return buf[0] != '\0' && strcmp(buf, "(none)") != 0 &&
		       strcmp(buf, "localhost") != 0;
	}
	return false;
}

/* Does the hosts(5) line (after its address) name @host?  Short names count. */
static bool names_host(char *names, const char *host)
{
	size_t hlen = strcspn(host, ".");
	char *save = NULL;

	for (char *w = strtok_r(names, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (*w == '#')
			return false;
		if (strcspn(w, ".") == hlen && strncmp(w, host, hlen) == 0)
			return true;
	}
	return false;
}

/* The interface whose subnet holds the address /etc/hosts gives the host's name. */
static void hosts_address(int rootfd, const struct route4 *routes, size_t nroutes,
			  struct hostnet_if *out, size_t max, size_t *n)
{
	_cleanup_free_ char *hosts = NULL;
	char host[72], *cursor, *line;
	size_t len;

	if (!host_name(rootfd, host, sizeof(host)))
		return;
	hosts = read_file_at(rootfd, "etc/hosts", NET_FILE_MAX, &len);
	cursor = hosts;
	while (hosts && (line = util_next_line(&cursor))) {
		char *s = line + strspn(line, " \t"), how[72];
		size_t alen = strcspn(s, " \t");
		char addr[HOSTNET_ADDR_LEN];
		const char *name;
		uint32_t a;

		if (*s == '#' || alen == 0 || alen >= sizeof(addr) || s[alen] == '\0')
			continue;
		memcpy(addr, s, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET, addr, &a) != 1 || is_loopback(a) ||
		    !names_host(s + alen + 1, host))
			continue;
		name = route_iface(routes, nroutes, a);
		if (!name)
			continue;
		snprintf(how, sizeof(how), "address of %.40s in /etc/hosts", host);
		add_if(out, max, n, name, how);
	}
}

size_t hostnet_management(int rootfd, struct hostnet_if *out, size_t max)
{
	struct route4 *routes = calloc(ROUTES_MAX, sizeof(*routes));
	size_t nroutes, n = 0;

	if (!routes)
		return 0;
	nroutes = read_routes(rootfd, routes, ROUTES_MAX);
	for (size_t i = 0; i < nroutes; i++)
		if (routes[i].dest == 0 && routes[i].mask == 0)
			add_if(out, max, &n, routes[i].ifname, "default route");
	ipv6_defaults(rootfd, out, max, &n);
	hosts_address(rootfd, routes, nroutes, out, max, &n);
	for (size_t i = 0; i < n; i++) {
		iface_addr(rootfd, routes, nroutes, out[i].name, out[i].addr, sizeof(out[i].addr));
		out[i].nports = hostnet_ports(rootfd, out[i].name, out[i].ports,
					      HOSTNET_PORTS_MAX);
	}
	free(routes);
	return n;
}

void hostnet_describe(const struct hostnet_if *i, const char *port, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s, %s%s%s", i->name, i->addr[0] ? " " : "", i->addr, i->how,
		 strcmp(port, i->name) != 0 ? ", port " : "",
		 strcmp(port, i->name) != 0 ? port : "");
}
