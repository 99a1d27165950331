/*
 * net-promisc.c - PromiScan (net-promisc.h): ARP requests (RFC 826) to
 * fake group addresses, sent on an AF_PACKET socket, and the replies
 * they draw.
 *
 * Workload: a person at a terminal probing one segment, at most a /22
 * by default (4096 targets at most): 8 probes, each sent to every
 * target in one burst and followed by one wait.  An ARP reply does not
 * say which request it answers, so only one probe is in flight at a
 * time; the waits, not the targets, set the run time.
 *
 * Why the probes work on Linux (checked in network namespaces on 6.x):
 * eth_type_trans() gives every frame whose destination has the group
 * bit set PACKET_MULTICAST, and the ARP code answers those; only
 * PACKET_OTHERHOST (unicast for another MAC) is dropped.  So the
 * kernel never filters group addresses itself: whatever the receive
 * filter below it lets through is answered.  A NIC's hardware filter
 * or macvlan's software hash filter passes only joined groups in normal
 * mode and everything in promiscuous (or allmulti) mode; veth and
 * bridges pass everything, always.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "net/net-promisc.h"

/* Shortest prefix a named ADDRESS/PREFIX may have: 4096 addresses. */
#define CIDR_MIN	20

static const struct net_promisc_probe probes[NET_PROMISC_NPROBES] = {
	{ "B47", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe }, 1,
	    "fake broadcast (47 bits)" },
	{ "B16", { 0xff, 0xff, 0x00, 0x00, 0x00, 0x00 }, 1,
	    "fake broadcast (16 bits)" },
	{ "B8", { 0xff, 0x00, 0x00, 0x00, 0x00, 0x00 }, 1,
	    "fake broadcast (8 bits)" },
	{ "G", { 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 }, 1,
	    "group bit only" },
	{ "M0", { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x00 }, 1,
	    "IPv4 multicast 224.0.0.0 (never joined)" },
	{ "M3", { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x03 }, 1,
	    "IPv4 multicast 224.0.0.3 (unassigned)" },
	{ "M1", { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, 0,
	    "IPv4 all-hosts group (control)" },
	{ "BC", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 0,
	    "broadcast (control)" },
};

const struct net_promisc_probe *
net_promisc_probes(void)
{
	return probes;
}

enum net_promisc_verdict
net_promisc_verdict(uint32_t answered)
{
	uint32_t fake = answered & NET_PROMISC_FAKE_MASK;
	uint32_t b47 = 1u << NET_PROMISC_B47;

	if (answered == 0)
		return NET_PROMISC_NOANSWER;
	if ((fake & b47) != 0 && (fake & ~b47) != 0)
		return NET_PROMISC_PROMISCUOUS;
	if (fake != 0)
		return NET_PROMISC_UNCLEAR;
	return NET_PROMISC_NORMAL;
}

const char *
net_promisc_verdict_name(enum net_promisc_verdict v)
{
	switch (v) {
	case NET_PROMISC_NOANSWER: return "no answer";
	case NET_PROMISC_NORMAL: return "normal";
	case NET_PROMISC_UNCLEAR: return "unclear";
	case NET_PROMISC_PROMISCUOUS: return "promiscuous";
	}
	return "?";
}

int
net_promisc_iface_get(const char *name, struct net_promisc_iface *ifc,
    char *err, size_t errlen)
{
	struct ifaddrs *ifa, *a;
	struct ifreq ifr;
	int fd, r;

	memset(ifc, 0, sizeof(*ifc));
	if (name == NULL || name[0] == '\0' ||
	    strlen(name) >= sizeof(ifc->name) || strchr(name, '/') != NULL) {
		mamori_seterr(err, errlen, "'%s': not an interface name",
		    name != NULL ? name : "");
		return MAMORI_EINVAL;
	}
	memcpy(ifc->name, name, strlen(name) + 1);
	if ((ifc->ifindex = (int)if_nametoindex(name)) == 0) {
		mamori_seterr(err, errlen, "%s: no such interface", name);
		return MAMORI_ENOTFOUND;
	}
	/* Any socket serves for the interface ioctls; a datagram one needs
	 * no privilege. */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		mamori_seterr(err, errlen, "%s: socket: %s", name,
		    strerror(errno));
		return MAMORI_ESYS;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name) + 1);
	r = 0;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1) {
		mamori_seterr(err, errlen, "%s: %s", name, strerror(errno));
		r = MAMORI_ESYS;
	} else if ((ifr.ifr_flags & IFF_UP) == 0) {
		mamori_seterr(err, errlen, "%s: interface is down", name);
		r = MAMORI_EINVAL;
	} else if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		mamori_seterr(err, errlen, "%s: %s", name, strerror(errno));
		r = MAMORI_ESYS;
	} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		mamori_seterr(err, errlen, "%s: not an Ethernet interface "
		    "(link type %d); PromiScan needs Ethernet", name,
		    ifr.ifr_hwaddr.sa_family);
		r = MAMORI_EINVAL;
	} else
		memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	if (r != 0)
		return r;

	if (getifaddrs(&ifa) == -1) {
		mamori_seterr(err, errlen, "%s: getifaddrs: %s", name,
		    strerror(errno));
		return MAMORI_ESYS;
	}
	r = MAMORI_ENOTFOUND;
	for (a = ifa; a != NULL; a = a->ifa_next) {
		const struct sockaddr_in *sin, *msk;
		uint32_t m;

		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET ||
		    strcmp(a->ifa_name, name) != 0)
			continue;
		sin = (const struct sockaddr_in *)(const void *)a->ifa_addr;
		msk = (const struct sockaddr_in *)(const void *)a->ifa_netmask;
		ifc->addr = ntohl(sin->sin_addr.s_addr);
		m = msk != NULL ? ntohl(msk->sin_addr.s_addr) : 0xffffffffu;
		ifc->prefix = 0;
		while (ifc->prefix < 32 && (m & (0x80000000u >> ifc->prefix)))
			ifc->prefix++;
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	if (r != 0)
		mamori_seterr(err, errlen, "%s: has no IPv4 address (the "
		    "probes need one as their sender address)", name);
	return r;
}

void
net_promisc_targets_init(struct net_promisc_targets *t)
{
	memset(t, 0, sizeof(*t));
}

void
net_promisc_targets_release(struct net_promisc_targets *t)
{
	free(t->addr);
	memset(t, 0, sizeof(*t));
}

/* Adds first..last (inclusive, host order); nothing on error. */
static int
targets_range(struct net_promisc_targets *t, uint32_t first, uint32_t last,
    const char *spec, char *err, size_t errlen)
{
	uint64_t count = (uint64_t)last - first + 1;
	uint32_t *na, a;

	if (t->n + count > NET_PROMISC_MAX_TARGETS) {
		mamori_seterr(err, errlen, "%s: more than %d targets in all",
		    spec, NET_PROMISC_MAX_TARGETS);
		return MAMORI_ETOOBIG;
	}
	if (t->n + count > t->cap) {
		size_t ncap = t->cap ? t->cap : 64;

		while (ncap < t->n + count)
			ncap *= 2;
		if ((na = realloc(t->addr, ncap * sizeof(*na))) == NULL) {
			mamori_seterr(err, errlen, "out of memory");
			return MAMORI_ENOMEM;
		}
		t->addr = na;
		t->cap = ncap;
	}
	for (a = first;; a++) {
		t->addr[t->n++] = a;
		if (a == last)
			break;
	}
	return 0;
}

/* Adds address/prefix, without network and broadcast below /31. */
static int
targets_prefix(struct net_promisc_targets *t, uint32_t addr, int prefix,
    const char *spec, char *err, size_t errlen)
{
	uint32_t mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	uint32_t first = addr & mask, last = first | ~mask;

	if (prefix <= 30) {
		first++;
		last--;
	}
	return targets_range(t, first, last, spec, err, errlen);
}

int
net_promisc_targets_add(struct net_promisc_targets *t, const char *spec,
    char *err, size_t errlen)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash;
	struct in_addr in;
	size_t alen;
	long prefix = 32;
	char *end;

	slash = strchr(spec, '/');
	alen = slash != NULL ? (size_t)(slash - spec) : strlen(spec);
	if (alen == 0 || alen >= sizeof(buf)) {
		mamori_seterr(err, errlen, "'%s': expected an IPv4 address "
		    "or ADDRESS/PREFIX", spec);
		return MAMORI_EINVAL;
	}
	memcpy(buf, spec, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1) {
		mamori_seterr(err, errlen, "'%s': '%s' is not an IPv4 "
		    "address", spec, buf);
		return MAMORI_EINVAL;
	}
	if (slash != NULL) {
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    errno != 0 || prefix > 32) {
			mamori_seterr(err, errlen, "'%s': prefix length must "
			    "be a number from %d to 32", spec, CIDR_MIN);
			return MAMORI_EINVAL;
		}
		if (prefix < CIDR_MIN) {
			mamori_seterr(err, errlen, "'%s': /%ld is too large "
			    "a range (at most /%d, %d addresses)", spec,
			    prefix, CIDR_MIN, NET_PROMISC_MAX_TARGETS);
			return MAMORI_ETOOBIG;
		}
	}
	return targets_prefix(t, ntohl(in.s_addr), (int)prefix, spec, err,
	    errlen);
}

int
net_promisc_targets_subnet(struct net_promisc_targets *t,
    const struct net_promisc_iface *ifc, char *err, size_t errlen)
{
	char a[INET_ADDRSTRLEN], spec[64];
	struct in_addr in;

	in.s_addr = htonl(ifc->addr);
	inet_ntop(AF_INET, &in, a, sizeof(a));
	snprintf(spec, sizeof(spec), "%s/%d", a, ifc->prefix);
	if (ifc->prefix < NET_PROMISC_MIN_PREFIX) {
		mamori_seterr(err, errlen, "%s: its subnet %s is larger than "
		    "a /%d; name the targets (addresses or ADDRESS/PREFIX)",
		    ifc->name, spec, NET_PROMISC_MIN_PREFIX);
		return MAMORI_ETOOBIG;
	}
	return targets_prefix(t, ifc->addr, ifc->prefix, spec, err, errlen);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
net_promisc_targets_finish(struct net_promisc_targets *t, uint32_t exclude)
{
	size_t i, o;

	if (t->n == 0)
		return;
	qsort(t->addr, t->n, sizeof(t->addr[0]), cmp_u32);
	for (i = o = 0; i < t->n; i++) {
		if (t->addr[i] == exclude ||
		    (o > 0 && t->addr[o - 1] == t->addr[i]))
			continue;
		t->addr[o++] = t->addr[i];
	}
	t->n = o;
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
net_promisc_frame(uint8_t f[NET_PROMISC_FRAME_LEN], const uint8_t dst[6],
    const uint8_t mac[6], uint32_t sip, uint32_t tip)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	put_be16(f + 12, ETHERTYPE_ARP);
	put_be16(f + 14, ARPHRD_ETHER);		/* hardware type */
	put_be16(f + 16, ETHERTYPE_IP);		/* protocol type */
	f[18] = 6;
	f[19] = 4;
	put_be16(f + 20, ARPOP_REQUEST);
	memcpy(f + 22, mac, 6);			/* sender hardware */
	put_be32(f + 28, sip);			/* sender protocol */
	memset(f + 32, 0, 6);			/* target hardware */
	put_be32(f + 38, tip);			/* target protocol */
}

int
net_promisc_parse_reply(const uint8_t *p, size_t len, uint32_t ours,
    uint32_t *sip, uint8_t smac[6])
{
	*sip = 0;
	memset(smac, 0, 6);
	if (len < NET_PROMISC_FRAME_LEN)
		return 0;
	if (p[12] != 0x08 || p[13] != 0x06 ||		/* ARP */
	    p[14] != 0x00 || p[15] != 0x01 ||		/* Ethernet */
	    p[16] != 0x08 || p[17] != 0x00 ||		/* IPv4 */
	    p[18] != 6 || p[19] != 4 ||
	    p[20] != 0x00 || p[21] != 0x02)		/* reply */
		return 0;
	if (get_be32(p + 38) != ours)
		return 0;
	memcpy(smac, p + 22, 6);
	*sip = get_be32(p + 28);
	return 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens the packet socket on ifc, filtered in the kernel to ARP replies
 * for our address, with room for a reply from every target. */
static int
open_socket(const struct net_promisc_iface *ifc, int *fdp, char *err,
    size_t errlen)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 0, 5),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARPOP_REPLY, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 38),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ifc->addr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 128),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	struct sockaddr_ll sll;
	int fd, rcvbuf = 4 * 1024 * 1024;
	uint8_t junk[64];

	*fdp = -1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd == -1) {
		int e = errno;

		if (e == EPERM || e == EACCES)
			mamori_seterr(err, errlen, "%s: a raw socket needs "
			    "CAP_NET_RAW (run as root, or give the binary "
			    "the capability): %s", ifc->name, strerror(e));
		else
			mamori_seterr(err, errlen, "%s: packet socket: %s",
			    ifc->name, strerror(e));
		errno = e;
		return MAMORI_ESYS;
	}
	/* The filter goes on before bind, so nothing unfiltered queues. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1) {
		mamori_seterr(err, errlen, "%s: attaching the ARP filter: %s",
		    ifc->name, strerror(errno));
		goto fail;
	}
	/* Beyond the default limit only with CAP_NET_ADMIN; otherwise the
	 * default stays and a very large target list may lose replies. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifc->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		mamori_seterr(err, errlen, "%s: bind: %s", ifc->name,
		    strerror(errno));
		goto fail;
	}
	/* Frames of other interfaces may have queued between socket() and
	 * bind(). */
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
	*fdp = fd;
	return 0;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return MAMORI_ESYS;
}

/* Index of addr in the sorted targets, or -1. */
static long
find_target(const uint32_t *t, size_t n, uint32_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] == addr)
			return (long)mid;
		if (t[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Reads every queued reply, crediting probe p. */
static void
drain(int fd, const struct net_promisc_iface *ifc, const uint32_t *targets,
    size_t n, int p, struct net_promisc_result *res)
{
	struct sockaddr_ll from;
	socklen_t flen;
	uint8_t buf[128], smac[6];
	uint32_t sip;
	ssize_t got;
	long i;

	for (;;) {
		flen = sizeof(from);
		got = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &flen);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (!net_promisc_parse_reply(buf, (size_t)got, ifc->addr,
		    &sip, smac))
			continue;
		if ((i = find_target(targets, n, sip)) < 0)
			continue;
		if (res[i].macs == 0) {
			memcpy(res[i].mac, smac, 6);
			res[i].macs = 1;
		} else if (memcmp(res[i].mac, smac, 6) != 0 &&
		    res[i].macs == 1)
			res[i].macs = 2;	/* at least two */
		res[i].answered |= 1u << p;
	}
}

/* Sends one frame; waits for room when the queue is full. */
static int
send_frame(int fd, const uint8_t *f, size_t len)
{
	struct pollfd pfd;
	int tries = 0;

	for (;;) {
		if (send(fd, f, len, 0) == (ssize_t)len)
			return 0;
		if (errno == EINTR)
			continue;
		if ((errno != ENOBUFS && errno != EAGAIN) || ++tries > 100)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 10);
	}
}

/*
 * One round: each probe in mask goes to every target, then replies are
 * read for timeout_ms.  res[] (zeroed by the caller) collects them.
 */
static int
probe_round(int fd, const struct net_promisc_iface *ifc,
    const uint32_t *targets, size_t n, uint32_t mask, int timeout_ms,
    struct net_promisc_result *res, char *err, size_t errlen)
{
	uint8_t frame[NET_PROMISC_FRAME_LEN];
	struct pollfd pfd;
	int64_t deadline, left;
	size_t i;
	int p;

	for (p = 0; p < NET_PROMISC_NPROBES; p++) {
		if ((mask & (1u << p)) == 0)
			continue;
		for (i = 0; i < n; i++) {
			net_promisc_frame(frame, probes[p].mac, ifc->mac,
			    ifc->addr, targets[i]);
			if (send_frame(fd, frame, sizeof(frame)) != 0) {
				int e = errno;

				mamori_seterr(err, errlen, "%s: sending probe "
				    "%s: %s", ifc->name, probes[p].name,
				    strerror(e));
				errno = e;
				return MAMORI_ESYS;
			}
			/* Replies to a long burst are read as they come,
			 * so the socket buffer never has to hold them all. */
			if ((i & 63) == 63)
				drain(fd, ifc, targets, n, p, res);
		}
		deadline = now_ms() + timeout_ms;
		while ((left = deadline - now_ms()) > 0) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) > 0)
				drain(fd, ifc, targets, n, p, res);
		}
		drain(fd, ifc, targets, n, p, res);
	}
	return 0;
}

/*
 * Two rounds.  The first sends every probe to every target.  A reply
 * cannot be tied to its request, so a reply the host's own kernel drew
 * (it resolving a target at that moment) is credited to whichever probe
 * is out; the second round therefore sends again the fake probes a
 * target answered, to those targets only, and a fake probe counts only
 * when answered both times.  It costs time only when something answered
 * a fake probe.
 */
int
net_promisc_run(const struct net_promisc_iface *ifc,
    const uint32_t *targets, size_t n, int timeout_ms,
    struct net_promisc_result *res, char *err, size_t errlen)
{
	struct net_promisc_result *sres = NULL;
	uint32_t *sub = NULL, mask = 0;
	size_t i, j, ns = 0;
	int fd, r;

	for (i = 0; i < n; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		res[i].addr = targets[i];
	}
	if ((r = open_socket(ifc, &fd, err, errlen)) != 0)
		return r;
	r = probe_round(fd, ifc, targets, n, (1u << NET_PROMISC_NPROBES) - 1,
	    timeout_ms, res, err, errlen);
	for (i = 0; r == 0 && i < n; i++)
		if (res[i].answered & NET_PROMISC_FAKE_MASK) {
			mask |= res[i].answered & NET_PROMISC_FAKE_MASK;
			ns++;
		}
	if (r == 0 && ns > 0) {
		sub = calloc(ns, sizeof(*sub));
		sres = calloc(ns, sizeof(*sres));
		if (sub == NULL || sres == NULL) {
			mamori_seterr(err, errlen, "out of memory");
			r = MAMORI_ENOMEM;
		}
		for (i = j = 0; r == 0 && i < n; i++)
			if (res[i].answered & NET_PROMISC_FAKE_MASK)
				sub[j++] = targets[i];
		if (r == 0)
			r = probe_round(fd, ifc, sub, ns, mask, timeout_ms,
			    sres, err, errlen);
		for (i = j = 0; r == 0 && i < n; i++)
			if (res[i].answered & NET_PROMISC_FAKE_MASK)
				res[i].answered &= ~NET_PROMISC_FAKE_MASK |
				    sres[j++].answered;
	}
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	free(sub);
	free(sres);
	for (i = 0; i < n; i++)
		res[i].verdict = net_promisc_verdict(res[i].answered);
	return r;
}
