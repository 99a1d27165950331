/*
 * net.h - the network sensor: decoded packets, flows, detections.
 *
 *   net-decode.c	link layers (Ethernet, 802.1Q/QinQ, Linux SLL/SLL2,
 *			raw IP), ARP, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6
 *   net-flow.c		bidirectional flows, TCP state, conn.log records
 *   net-detect-*.c	scans, floods, worms, brute force, ARP, ...
 *   net-sig-*.c	Suricata/Snort-style signatures (net-sig.h)
 *   net-sensor.c	the engine that runs all of them on a packet source
 *
 * Every decoder takes (pointer, length) of captured bytes, compares each
 * length with what remains before using it, and records what is wrong as
 * an anomaly bit instead of failing: a malformed packet is an event the
 * rules can match, never a crash.
 */
#ifndef MAMORI_NET_H
#define MAMORI_NET_H

#include <stddef.h>
#include <stdint.h>

/* Link types (the libpcap DLT_ / LINKTYPE_ numbers we decode). */
#define NET_LINK_NULL		0	/* BSD loopback */
#define NET_LINK_ETHERNET	1
#define NET_LINK_RAW		101	/* raw IPv4 or IPv6 (LINKTYPE_RAW) */
#define NET_LINK_LINUX_SLL	113
#define NET_LINK_IPV4		228
#define NET_LINK_IPV6		229
#define NET_LINK_LINUX_SLL2	276
#define NET_LINK_DLT_RAW	12	/* DLT_RAW on some systems */
#define NET_LINK_DLT_RAW14	14	/* DLT_RAW on OpenBSD */

/* Anomalies: what a decoder found wrong (bits of net_pkt.anomalies). */
#define NET_ANOM_LINK_TRUNC	0x00000001u	/* link header cut */
#define NET_ANOM_VLAN_TRUNC	0x00000002u
#define NET_ANOM_VLAN_DEPTH	0x00000004u	/* more than 2 tags */
#define NET_ANOM_ARP_TRUNC	0x00000008u
#define NET_ANOM_ARP_BAD	0x00000010u	/* not Ethernet/IPv4 ARP */
#define NET_ANOM_IP4_TRUNC	0x00000020u	/* header cut */
#define NET_ANOM_IP4_HLEN	0x00000040u	/* IHL < 5 or > total */
#define NET_ANOM_IP4_LEN	0x00000080u	/* total length < IHL, or
						   more than captured+lost */
#define NET_ANOM_IP4_OPT	0x00000100u	/* malformed options */
#define NET_ANOM_IP4_CSUM	0x00000200u	/* header checksum wrong */
#define NET_ANOM_IP6_TRUNC	0x00000400u
#define NET_ANOM_IP6_EXT	0x00000800u	/* extension header chain bad,
						   too long or repeated */
#define NET_ANOM_FRAG_BAD	0x00001000u	/* fragment offset/length bad
						   (overlap, past 64 KiB) */
#define NET_ANOM_TCP_TRUNC	0x00002000u
#define NET_ANOM_TCP_HLEN	0x00004000u	/* data offset < 5 or past end */
#define NET_ANOM_TCP_OPT	0x00008000u	/* malformed options */
#define NET_ANOM_TCP_FLAGS	0x00010000u	/* impossible: NULL, SYN+FIN,
						   SYN+RST, FIN without ACK... */
#define NET_ANOM_UDP_TRUNC	0x00020000u
#define NET_ANOM_UDP_LEN	0x00040000u	/* length field wrong */
#define NET_ANOM_ICMP_TRUNC	0x00080000u
#define NET_ANOM_ICMP6_TRUNC	0x00100000u
#define NET_ANOM_LAND		0x00200000u	/* src == dst address and port */
#define NET_ANOM_ADDR		0x00400000u	/* source is broadcast,
						   multicast or unspecified */
#define NET_ANOM_TTL0		0x00800000u
#define NET_ANOM_UNKNOWN_LINK	0x01000000u	/* link type not decoded */

/* Returns the anomaly's name ("ip4_trunc", "tcp_flags", ...) for one bit,
 * NULL for anything else. */
const char *net_anomaly_name(uint32_t bit);

/* IP protocol numbers we decode. */
#define NET_P_ICMP	1
#define NET_P_TCP	6
#define NET_P_UDP	17
#define NET_P_ICMP6	58

/* TCP flags (the low byte of the flags field; ECE/CWR included). */
#define NET_TH_FIN	0x01
#define NET_TH_SYN	0x02
#define NET_TH_RST	0x04
#define NET_TH_PUSH	0x08
#define NET_TH_ACK	0x10
#define NET_TH_URG	0x20
#define NET_TH_ECE	0x40
#define NET_TH_CWR	0x80

/* An IP address: family 4 or 6; IPv4 in a[0..4), IPv4-mapped IPv6 is
 * stored as IPv4. */
struct net_addr {
	uint8_t		 family;	/* 0 (none), 4 or 6 */
	uint8_t		 a[16];
};

/* Writes a as text (inet_ntop) into buf (at least 46 bytes); "-" for
 * none.  Returns buf. */
char *net_addr_str(const struct net_addr *a, char *buf, size_t len);
int net_addr_eq(const struct net_addr *x, const struct net_addr *y);
/* MurmurHash3's 64-bit finaliser: every input bit reaches every output
 * bit.  The sensor's tables hash with it (inline: it runs several times
 * per packet). */
static inline uint64_t
net_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* A stable hash of the address. */
uint32_t net_addr_hash(const struct net_addr *a, uint32_t seed);

/*
 * One decoded packet.  Pointers point into the captured bytes given to
 * net_decode() (borrowed: valid while those are).  Fields of layers the
 * packet does not have are zero.
 */
struct net_pkt {
	/*
	 * What the detectors (net-detect*.c) read comes first: the sensor's
	 * reader thread hands them this much of each packet (up to
	 * NET_PKT_DETECT_END), the ARP and ICMP-error part after it (up to
	 * NET_PKT_EXT_END) only for a packet that has one (is_arp or
	 * has_inner; zero otherwise), and at most NET_PKT_DETECT_L4 bytes at
	 * l4.  A field a detector starts to read must move up here.
	 */
	int64_t		 ts_ns;
	const uint8_t	*l4;		/* transport header (first fragment
					   or unfragmented only) */
	uint32_t	 l4len;		/* captured bytes from l4 */
	uint32_t	 wirelen;	/* bytes on the wire */
	uint32_t	 ip_len;	/* total length by the header */
	uint32_t	 plen;		/* payload after the transport header
					   (captured bytes only) */
	uint32_t	 frag_off;	/* bytes */
	uint32_t	 anomalies;	/* NET_ANOM_* */
	int		 ipver;		/* 0, 4 or 6 */
	int		 is_frag;	/* a fragment (of any position) */
	int		 is_arp;	/* ARP (Ethernet/IPv4 only) */
	int		 has_inner;	/* inner_* set (below) */
	struct net_addr	 src, dst;
	uint16_t	 sport, dport;	/* TCP/UDP ports */
	uint8_t		 proto;		/* after IPv6 extension headers */
	uint8_t		 tcp_flags;
	uint8_t		 icmp_type, icmp_code;	/* ICMP or ICMPv6 */

	/* ARP. */
	uint16_t	 arp_op;	/* 1 request, 2 reply */
	uint8_t		 arp_sha[6], arp_tha[6];
	struct net_addr	 arp_spa, arp_tpa;
	/* ICMP errors quote the packet they answer: its addresses,
	 * protocol and ports (an ICMP port unreachable tells of a UDP
	 * probe). */
	struct net_addr	 inner_src, inner_dst;
	uint8_t		 inner_proto;
	uint16_t	 inner_sport, inner_dport;

	/* The rest, which only the reader's side reads. */
	uint32_t	 caplen;	/* bytes captured */
	int		 linktype;
	const uint8_t	*data;		/* caplen bytes from the link header */

	/* Link. */
	uint8_t		 eth_src[6], eth_dst[6];
	int		 has_eth;
	uint16_t	 vlan[2];	/* outer first */
	int		 nvlan;
	uint16_t	 ethertype;	/* after VLAN tags */

	/* IP. */
	uint8_t		 ttl;		/* or hop limit */
	uint8_t		 tos;
	uint16_t	 ip_id;
	int		 ip_opts;	/* IPv4 options present */
	int		 frag_more;	/* MF set */
	uint32_t	 frag_id;	/* IPv4 id or IPv6 identification */
	const uint8_t	*l3;		/* IP header */
	uint32_t	 l3len;		/* captured bytes from l3 */

	/* Transport. */
	uint32_t	 tcp_seq, tcp_ack;
	uint16_t	 tcp_win;
	uint8_t		 tcp_hlen;	/* bytes */

	/* Payload after the transport header (captured bytes only). */
	const uint8_t	*payload;
	uint32_t	 plen_wire;	/* by the headers' lengths */
};

/* The parts of struct net_pkt described above. */
#define NET_PKT_DETECT_END	offsetof(struct net_pkt, arp_op)
#define NET_PKT_EXT_END		offsetof(struct net_pkt, caplen)
#define NET_PKT_DETECT_L4	40	/* bytes at l4 the detectors read, at
					   most (an ICMPv6 redirect's) */

/*
 * Decodes the caplen captured bytes at data (wirelen on the wire) of
 * link type linktype into *p (cleared first).  Never fails: what cannot
 * be decoded is left zero and flagged in p->anomalies.  Returns the
 * layers reached: 0 nothing, 2 link/ARP, 3 IP, 4 transport.
 */
int net_decode(struct net_pkt *p, int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int64_t ts_ns);

#endif
