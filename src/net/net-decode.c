/*
 * net-decode.c - packet decoders, from the link header to the transport
 * header, for the network sensor.
 *
 *   Ethernet II (IEEE 802.3 length frames: LLC/SNAP only), IEEE 802.1Q
 *   and 802.1ad tags (at most two), Linux cooked capture v1 and v2,
 *   raw IPv4/IPv6, BSD loopback; ARP (RFC 826, Ethernet/IPv4 only);
 *   IPv4 (RFC 791; options, fragments, header checksum RFC 1071);
 *   IPv6 (RFC 8200; extension headers, fragment header; AH RFC 4302);
 *   TCP (RFC 9293; options), UDP (RFC 768), ICMP (RFC 792) and ICMPv6
 *   (RFC 4443) with the packet an error message quotes; tiny and
 *   overlapping first fragments (RFC 1858, RFC 3128).
 *
 * The workload is every packet of a capture at line rate, so this file
 * allocates nothing, copies nothing but the fields of struct net_pkt,
 * and reads each byte at most about once.  Every read is preceded by a
 * comparison of what it needs with what remains (tcpdump's ND_TTEST),
 * written so that it cannot overflow.  Lengths travel as two numbers:
 * "cap", the bytes captured from here on, and "wire", the bytes the
 * packet had there on the wire (cap plus what the snap length cut).
 * What is wrong becomes a NET_ANOM_* bit; nothing fails.
 *
 * TCP flags counted as impossible (NET_ANOM_TCP_FLAGS), exactly:
 *   SYN and FIN together; SYN and RST together; and any segment without
 *   ACK that carries neither SYN nor RST (NULL, FIN, PSH, URG and their
 *   mixes, such as Xmas FIN+PSH+URG).  RFC 9293 has every segment after
 *   the first SYN carry ACK, and a RST answering a segment without ACK
 *   need not, so SYN alone, RST alone and anything with ACK (bar the two
 *   pairs above) pass.  ECE and CWR are ignored.
 */
#include <stdint.h>
#include <string.h>

#include "net/net.h"

#define NET_LINK_LOOP		108	/* OpenBSD loopback: NULL in network
					   byte order */

#define ETH_HLEN		14
#define SLL_HLEN		16
#define SLL2_HLEN		20

#define ET_IP4			0x0800
#define ET_ARP			0x0806
#define ET_VLAN			0x8100
#define ET_QINQ			0x88a8
#define ET_QINQ_OLD		0x9100
#define ET_IP6			0x86dd

#define IP6_EXT_MAX		8	/* extension headers walked */

static inline uint16_t
be16(const uint8_t *b)
{
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

const char *
net_anomaly_name(uint32_t bit)
{
	switch (bit) {
	case NET_ANOM_LINK_TRUNC:	return "link_trunc";
	case NET_ANOM_VLAN_TRUNC:	return "vlan_trunc";
	case NET_ANOM_VLAN_DEPTH:	return "vlan_depth";
	case NET_ANOM_ARP_TRUNC:	return "arp_trunc";
	case NET_ANOM_ARP_BAD:		return "arp_bad";
	case NET_ANOM_IP4_TRUNC:	return "ip4_trunc";
	case NET_ANOM_IP4_HLEN:		return "ip4_hlen";
	case NET_ANOM_IP4_LEN:		return "ip4_len";
	case NET_ANOM_IP4_OPT:		return "ip4_opt";
	case NET_ANOM_IP4_CSUM:		return "ip4_csum";
	case NET_ANOM_IP6_TRUNC:	return "ip6_trunc";
	case NET_ANOM_IP6_EXT:		return "ip6_ext";
	case NET_ANOM_FRAG_BAD:		return "frag_bad";
	case NET_ANOM_TCP_TRUNC:	return "tcp_trunc";
	case NET_ANOM_TCP_HLEN:		return "tcp_hlen";
	case NET_ANOM_TCP_OPT:		return "tcp_opt";
	case NET_ANOM_TCP_FLAGS:	return "tcp_flags";
	case NET_ANOM_UDP_TRUNC:	return "udp_trunc";
	case NET_ANOM_UDP_LEN:		return "udp_len";
	case NET_ANOM_ICMP_TRUNC:	return "icmp_trunc";
	case NET_ANOM_ICMP6_TRUNC:	return "icmp6_trunc";
	case NET_ANOM_LAND:		return "land";
	case NET_ANOM_ADDR:		return "addr";
	case NET_ANOM_TTL0:		return "ttl0";
	case NET_ANOM_UNKNOWN_LINK:	return "unknown_link";
	default:			return NULL;
	}
}

static inline void
addr4(struct net_addr *a, const uint8_t *b)
{
	a->family = 4;
	memcpy(a->a, b, 4);
}

/* An IPv6 address; an IPv4-mapped one (::ffff:a.b.c.d) becomes IPv4. */
static inline void
addr6(struct net_addr *a, const uint8_t *b)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(b, mapped, sizeof(mapped)) == 0) {
		addr4(a, b + 12);
		return;
	}
	a->family = 6;
	memcpy(a->a, b, 16);
}

/* Bytes a first fragment must hold for the transport header to be read
 * from it alone (RFC 1858: a TCP header split over fragments defeats
 * port filters). */
static uint32_t
frag_min(uint8_t proto)
{
	switch (proto) {
	case NET_P_TCP:
		return 20;
	case NET_P_UDP:
	case NET_P_ICMP:
	case NET_P_ICMP6:
		return 8;
	default:
		return 0;
	}
}

/*
 * Transport.  cap <= wire always; frag is set for a first fragment
 * (more follow), whose transport header may be cut by the fragment's
 * end on the wire: that is flagged as NET_ANOM_FRAG_BAD by the IP layer,
 * not as a transport anomaly here.  p->l4 is set once the fixed part of
 * the transport header (ports, type) has been read.
 */

static void
tcp_options(struct net_pkt *p, const uint8_t *o, uint32_t n)
{
	uint32_t i = 0, len;

	while (i < n) {
		switch (o[i]) {
		case 0:				/* end of option list */
			return;
		case 1:				/* no-operation */
			i++;
			continue;
		}
		if (n - i < 2 || (len = o[i + 1]) < 2 || len > n - i) {
			p->anomalies |= NET_ANOM_TCP_OPT;
			return;
		}
		/* The lengths RFC 9293 (MSS), 7323 (window scale,
		 * timestamps) and 2018 (SACK) fix. */
		switch (o[i]) {
		case 2:
			if (len != 4)
				p->anomalies |= NET_ANOM_TCP_OPT;
			break;
		case 3:
			if (len != 3)
				p->anomalies |= NET_ANOM_TCP_OPT;
			break;
		case 4:
			if (len != 2)
				p->anomalies |= NET_ANOM_TCP_OPT;
			break;
		case 5:
			if (len < 10 || (len - 2) % 8 != 0)
				p->anomalies |= NET_ANOM_TCP_OPT;
			break;
		case 8:
			if (len != 10)
				p->anomalies |= NET_ANOM_TCP_OPT;
			break;
		}
		i += len;
	}
}

static int
decode_tcp(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire,
    int frag)
{
	uint32_t hl;
	uint8_t fl;

	if (wire < 20) {
		if (!frag)
			p->anomalies |= NET_ANOM_TCP_TRUNC;
		return 3;
	}
	if (cap < 20) {
		p->anomalies |= NET_ANOM_TCP_TRUNC;
		return 3;
	}
	p->l4 = b;
	p->l4len = cap;
	p->sport = be16(b);
	p->dport = be16(b + 2);
	p->tcp_seq = be32(b + 4);
	p->tcp_ack = be32(b + 8);
	hl = (uint32_t)(b[12] >> 4) * 4;
	p->tcp_hlen = (uint8_t)hl;
	p->tcp_flags = fl = b[13];
	p->tcp_win = be16(b + 14);

	if (((fl & NET_TH_SYN) && (fl & (NET_TH_FIN | NET_TH_RST))) ||
	    !(fl & (NET_TH_ACK | NET_TH_SYN | NET_TH_RST)))
		p->anomalies |= NET_ANOM_TCP_FLAGS;

	if (hl < 20 || (hl > wire && !frag)) {
		p->anomalies |= NET_ANOM_TCP_HLEN;
		return 4;
	}
	if (hl > cap) {
		if (hl <= wire)
			p->anomalies |= NET_ANOM_TCP_TRUNC;
		return 4;
	}
	if (hl > 20)
		tcp_options(p, b + 20, hl - 20);
	p->payload = b + hl;
	p->plen = cap - hl;
	p->plen_wire = wire - hl;
	return 4;
}

static int
decode_udp(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire,
    int frag)
{
	uint32_t ulen, pw;

	if (wire < 8) {
		if (!frag)
			p->anomalies |= NET_ANOM_UDP_TRUNC;
		return 3;
	}
	if (cap < 8) {
		p->anomalies |= NET_ANOM_UDP_TRUNC;
		return 3;
	}
	p->l4 = b;
	p->l4len = cap;
	p->sport = be16(b);
	p->dport = be16(b + 2);
	ulen = be16(b + 4);
	pw = wire - 8;
	if (!frag) {
		/* Shorter than the IP payload is legal (the rest is
		 * padding); longer, or shorter than the header, is not.
		 * Zero is how an IPv6 jumbogram says "see the IP
		 * header" (RFC 2675). */
		if (ulen == 0 && p->ipver == 6 && wire > 65535)
			;
		else if (ulen < 8 || ulen > wire)
			p->anomalies |= NET_ANOM_UDP_LEN;
		else
			pw = ulen - 8;
	}
	p->payload = b + 8;
	p->plen_wire = pw;
	p->plen = cap - 8 < pw ? cap - 8 : pw;
	return 4;
}

/* The IPv4 header an ICMP error quotes, and the first 8 bytes after it. */
static void
inner_ip4(struct net_pkt *p, const uint8_t *b, uint32_t cap)
{
	uint32_t hl;

	if (cap < 20 || (b[0] >> 4) != 4 || (hl = (b[0] & 15u) * 4) < 20 ||
	    hl > cap) {
		p->anomalies |= NET_ANOM_ICMP_TRUNC;
		return;
	}
	p->has_inner = 1;
	addr4(&p->inner_src, b + 12);
	addr4(&p->inner_dst, b + 16);
	p->inner_proto = b[9];
	if ((be16(b + 6) & 0x1fff) == 0 && cap - hl >= 4 &&
	    (b[9] == NET_P_TCP || b[9] == NET_P_UDP)) {
		p->inner_sport = be16(b + hl);
		p->inner_dport = be16(b + hl + 2);
	}
}

/* The IPv6 header an ICMPv6 error quotes, past its extension headers. */
static void
inner_ip6(struct net_pkt *p, const uint8_t *b, uint32_t cap)
{
	uint32_t off = 40, len;
	uint8_t nh;
	int n, first = 1;

	if (cap < 40 || (b[0] >> 4) != 6) {
		p->anomalies |= NET_ANOM_ICMP6_TRUNC;
		return;
	}
	p->has_inner = 1;
	addr6(&p->inner_src, b + 8);
	addr6(&p->inner_dst, b + 24);
	nh = b[6];
	for (n = 0; n < IP6_EXT_MAX; n++) {
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
			break;
		if (cap - off < 8)
			break;
		if (nh == 44) {
			first = (be16(b + off + 2) & 0xfff8) == 0;
			len = 8;
		} else if (nh == 51)
			len = ((uint32_t)b[off + 1] + 2) * 4;
		else
			len = ((uint32_t)b[off + 1] + 1) * 8;
		nh = b[off];
		if (len > cap - off) {
			off = cap;
			break;
		}
		off += len;
		if (!first)
			break;
	}
	p->inner_proto = nh;
	if (first && cap - off >= 4 && (nh == NET_P_TCP || nh == NET_P_UDP)) {
		p->inner_sport = be16(b + off);
		p->inner_dport = be16(b + off + 2);
	}
}

/*
 * What ICMP and ICMPv6 share: type and code, and the 8-byte header every
 * message has (type, code, checksum, a 32-bit field: RFC 792, RFC 4443).
 * Returns 1 when the header is there (l4 and payload set), else 0 with
 * trunc flagged (not for a fragment: its wire length is its own).
 */
static int
icmp_header(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire,
    int frag, uint32_t trunc)
{
	if (cap >= 2) {
		p->icmp_type = b[0];
		p->icmp_code = b[1];
	}
	if (wire < 8) {
		if (!frag)
			p->anomalies |= trunc;
		return 0;
	}
	if (cap < 8) {
		p->anomalies |= trunc;
		return 0;
	}
	p->l4 = b;
	p->l4len = cap;
	p->payload = b + 8;
	p->plen = cap - 8;
	p->plen_wire = wire - 8;
	return 1;
}

static int
decode_icmp(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire,
    int frag)
{
	if (!icmp_header(p, b, cap, wire, frag, NET_ANOM_ICMP_TRUNC))
		return 3;
	switch (b[0]) {
	case 3:		/* destination unreachable */
	case 4:		/* source quench */
	case 5:		/* redirect */
	case 11:	/* time exceeded */
	case 12:	/* parameter problem */
		inner_ip4(p, b + 8, cap - 8);
		break;
	}
	return 4;
}

static int
decode_icmp6(struct net_pkt *p, const uint8_t *b, uint32_t cap,
    uint32_t wire, int frag)
{
	if (!icmp_header(p, b, cap, wire, frag, NET_ANOM_ICMP6_TRUNC))
		return 3;
	if (b[0] >= 1 && b[0] <= 4)	/* unreachable, too big, time
					   exceeded, parameter problem */
		inner_ip6(p, b + 8, cap - 8);
	return 4;
}

static int
decode_l4(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire,
    int frag)
{
	switch (p->proto) {
	case NET_P_TCP:
		return decode_tcp(p, b, cap, wire, frag);
	case NET_P_UDP:
		return decode_udp(p, b, cap, wire, frag);
	case NET_P_ICMP:
		return decode_icmp(p, b, cap, wire, frag);
	case NET_P_ICMP6:
		return decode_icmp6(p, b, cap, wire, frag);
	default:
		/* Not decoded: its whole IP payload is payload. */
		p->l4 = b;
		p->l4len = cap;
		p->payload = b;
		p->plen = cap;
		p->plen_wire = wire;
		return 3;
	}
}

/* Checks a fragment's place: past 64 KiB (the ping of death), a middle
 * piece that is not a multiple of 8 bytes, an empty piece, a first piece
 * too small for its transport header, or a second piece at offset 8
 * that would overwrite a TCP header's flags (RFC 1858). */
static void
frag_check(struct net_pkt *p, uint32_t seg)
{
	if (p->frag_off + seg > 65535 ||
	    (p->frag_more && (seg == 0 || (seg & 7) != 0)) ||
	    (p->frag_off == 0 && p->frag_more && seg < frag_min(p->proto)) ||
	    (p->frag_off == 8 && p->proto == NET_P_TCP))
		p->anomalies |= NET_ANOM_FRAG_BAD;
}

static void
ip4_options(struct net_pkt *p, const uint8_t *o, uint32_t n)
{
	uint32_t i = 0, len;

	while (i < n) {
		if (o[i] == 0)			/* end of option list */
			return;
		if (o[i] == 1) {		/* no operation */
			i++;
			continue;
		}
		if (n - i < 2 || (len = o[i + 1]) < 2 || len > n - i) {
			p->anomalies |= NET_ANOM_IP4_OPT;
			return;
		}
		i += len;
	}
}

static inline uint32_t
word32(const uint8_t *b)
{
	uint32_t w;

	memcpy(&w, b, 4);
	return w;
}

/* RFC 1071: the one's complement sum of the header is 0xffff. */
static int
ip4_csum_ok(const uint8_t *b, uint32_t hl)
{
	uint64_t sum;
	uint32_t i;

	/* RFC 1071: the one's complement sum may be taken 32 bits at a
	 * time and in host byte order (the all-ones result reads the
	 * same either way); hl is a multiple of 4, and nearly always 20. */
	sum = (uint64_t)word32(b) + word32(b + 4) + word32(b + 8) +
	    word32(b + 12) + word32(b + 16);
	for (i = 20; i + 4 <= hl; i += 4)
		sum += word32(b + i);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static int
decode_ip4(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire)
{
	uint32_t hl, tot, fo, end;

	if (cap < 20) {
		p->anomalies |= NET_ANOM_IP4_TRUNC;
		return 2;
	}
	if ((b[0] >> 4) != 4) {
		p->anomalies |= NET_ANOM_IP4_HLEN;
		return 2;
	}
	p->ipver = 4;
	p->l3 = b;
	p->l3len = cap;
	hl = (b[0] & 15u) * 4;
	p->tos = b[1];
	p->ip_len = tot = be16(b + 2);
	p->ip_id = be16(b + 4);
	fo = be16(b + 6);
	p->ttl = b[8];
	p->proto = b[9];
	addr4(&p->src, b + 12);
	addr4(&p->dst, b + 16);
	p->frag_off = (fo & 0x1fff) * 8;
	p->frag_more = (fo & 0x2000) != 0;
	p->is_frag = p->frag_off != 0 || p->frag_more;
	p->frag_id = p->ip_id;
	p->ip_opts = hl > 20;
	if (p->ttl == 0)
		p->anomalies |= NET_ANOM_TTL0;

	if (hl < 20) {
		p->anomalies |= NET_ANOM_IP4_HLEN;
		return 3;
	}
	/* end: where the datagram ends by its header, within what the
	 * frame had on the wire.  A total length below the header length
	 * blames whichever of the two is impossible on its own: a total
	 * under 20 (as with TCP segmentation offload captures, which say
	 * 0), or else the IHL. */
	end = tot;
	if (tot < hl) {
		p->anomalies |= tot < 20 ? NET_ANOM_IP4_LEN : NET_ANOM_IP4_HLEN;
		end = wire;
	} else if (tot > wire) {
		p->anomalies |= NET_ANOM_IP4_LEN;
		end = wire;
	}
	if (hl > cap || hl > end) {
		p->anomalies |= NET_ANOM_IP4_TRUNC;
		return 3;
	}
	/* A checksum field of 0 that does not verify is what a capture
	 * on the sending host shows when the NIC computes the checksum
	 * (offload); it is not counted, like Suricata's "auto" mode. */
	if ((b[10] != 0 || b[11] != 0) && !ip4_csum_ok(b, hl))
		p->anomalies |= NET_ANOM_IP4_CSUM;
	if (hl > 20)
		ip4_options(p, b + 20, hl - 20);
	if (p->is_frag)
		frag_check(p, end - hl);
	if (cap > end)
		cap = end;		/* Ethernet padding */
	if (p->frag_off != 0) {
		p->payload = b + hl;
		p->plen = cap - hl;
		p->plen_wire = end - hl;
		return 3;
	}
	return decode_l4(p, b + hl, cap - hl, end - hl, p->frag_more);
}

/* Hop-by-hop and destination options: Pad1, PadN and TLVs that must fit
 * (RFC 8200 4.2). */
static int
ip6_options_ok(const uint8_t *o, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		if (o[i] == 0) {
			i++;
			continue;
		}
		if (n - i < 2 || o[i + 1] > n - i - 2)
			return 0;
		i += 2 + (uint32_t)o[i + 1];
	}
	return 1;
}

static int
decode_ip6(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire)
{
	uint32_t end, off = 40, len, seen = 0, dstopts = 0, fo;
	uint8_t nh;
	int n;

	if (cap < 40 || (b[0] >> 4) != 6) {
		p->anomalies |= NET_ANOM_IP6_TRUNC;
		return 2;
	}
	p->ipver = 6;
	p->l3 = b;
	p->l3len = cap;
	p->tos = (uint8_t)(be16(b) >> 4);
	end = 40 + (uint32_t)be16(b + 4);
	p->ip_len = end;
	nh = b[6];
	p->ttl = b[7];
	addr6(&p->src, b + 8);
	addr6(&p->dst, b + 24);
	if (p->ttl == 0)
		p->anomalies |= NET_ANOM_TTL0;
	if (end == 40 && nh == 0) {
		end = wire;		/* a jumbogram (RFC 2675) */
		p->ip_len = wire;
	} else if (end > wire) {
		p->anomalies |= NET_ANOM_IP6_TRUNC;
		end = wire;
	}
	if (cap > end)
		cap = end;

	for (n = 0;; n++) {
		uint32_t bit;

		switch (nh) {
		case 0:		bit = 1; break;		/* hop-by-hop */
		case 43:	bit = 2; break;		/* routing */
		case 44:	bit = 4; break;		/* fragment */
		case 51:	bit = 8; break;		/* AH */
		case 60:	bit = 0; break;		/* destination */
		case 135:	bit = 16; break;	/* mobility */
		default:
			goto done;
		}
		/* Hop-by-hop comes first; each header at most once, but
		 * destination options may come twice (RFC 8200 4.1). */
		if (n >= IP6_EXT_MAX || (seen & bit) != 0 ||
		    (nh == 0 && off != 40) || (nh == 60 && ++dstopts > 2)) {
			p->anomalies |= NET_ANOM_IP6_EXT;
			p->proto = nh;
			return 3;
		}
		seen |= bit;
		if (end - off < 8) {
			p->anomalies |= NET_ANOM_IP6_EXT;
			p->proto = nh;
			return 3;
		}
		if (cap - off < 8) {
			p->anomalies |= NET_ANOM_IP6_TRUNC;
			p->proto = nh;
			return 3;
		}
		if (nh == 44) {
			len = 8;
			fo = be16(b + off + 2);
			p->frag_off = fo & 0xfff8;
			p->frag_more = fo & 1;
			p->frag_id = be32(b + off + 4);
			p->is_frag = p->frag_off != 0 || p->frag_more;
		} else if (nh == 51)
			len = ((uint32_t)b[off + 1] + 2) * 4;
		else
			len = ((uint32_t)b[off + 1] + 1) * 8;
		if (len > end - off) {
			p->anomalies |= NET_ANOM_IP6_EXT;
			p->proto = nh;
			return 3;
		}
		if (len > cap - off) {
			p->anomalies |= NET_ANOM_IP6_TRUNC;
			p->proto = nh;
			return 3;
		}
		if ((nh == 0 || nh == 60) &&
		    !ip6_options_ok(b + off + 2, len - 2))
			p->anomalies |= NET_ANOM_IP6_EXT;
		nh = b[off];
		off += len;
		if (p->frag_off != 0)
			break;		/* the rest is not this piece's */
	}
done:
	p->proto = nh;
	if (p->is_frag)
		frag_check(p, end - off);
	if (p->frag_off != 0) {
		p->payload = b + off;
		p->plen = cap - off;
		p->plen_wire = end - off;
		return 3;
	}
	if (nh == 59)			/* no next header */
		return 3;
	return decode_l4(p, b + off, cap - off, end - off, p->frag_more);
}

static int
decode_arp(struct net_pkt *p, const uint8_t *b, uint32_t cap)
{
	if (cap < 8) {
		p->anomalies |= NET_ANOM_ARP_TRUNC;
		return 2;
	}
	if (be16(b) != 1 || be16(b + 2) != ET_IP4 || b[4] != 6 || b[5] != 4) {
		p->anomalies |= NET_ANOM_ARP_BAD;
		return 2;
	}
	if (cap < 28) {
		p->anomalies |= NET_ANOM_ARP_TRUNC;
		return 2;
	}
	p->is_arp = 1;
	p->arp_op = be16(b + 6);
	memcpy(p->arp_sha, b + 8, 6);
	addr4(&p->arp_spa, b + 14);
	memcpy(p->arp_tha, b + 18, 6);
	addr4(&p->arp_tpa, b + 24);
	return 2;
}

/* The network layer after the link header: VLAN tags, then ARP or IP.
 * Everything it calls is compiled into it (nearly every packet comes
 * this way): the calls down the layers cost a tenth of decoding. */
#if defined(__GNUC__)
__attribute__((flatten))
#endif
static int
decode_ethertype(struct net_pkt *p, uint16_t type, const uint8_t *b,
    uint32_t cap, uint32_t wire)
{
	while (type == ET_VLAN || type == ET_QINQ || type == ET_QINQ_OLD) {
		if (p->nvlan == 2) {
			p->anomalies |= NET_ANOM_VLAN_DEPTH;
			return 2;
		}
		if (cap < 4) {
			p->anomalies |= NET_ANOM_VLAN_TRUNC;
			return 2;
		}
		p->vlan[p->nvlan++] = be16(b) & 0x0fff;
		type = be16(b + 2);
		b += 4;
		cap -= 4;
		wire -= 4;
	}
	p->ethertype = type;
	switch (type) {
	case ET_IP4:
		return decode_ip4(p, b, cap, wire);
	case ET_IP6:
		return decode_ip6(p, b, cap, wire);
	case ET_ARP:
		return decode_arp(p, b, cap);
	default:
		return 2;
	}
}

/* A raw IP packet: the version nibble says which. */
static int
decode_raw(struct net_pkt *p, const uint8_t *b, uint32_t cap, uint32_t wire)
{
	if (cap < 1) {
		p->anomalies |= NET_ANOM_LINK_TRUNC;
		return 0;
	}
	switch (b[0] >> 4) {
	case 4:
		p->ethertype = ET_IP4;
		return decode_ip4(p, b, cap, wire);
	case 6:
		p->ethertype = ET_IP6;
		return decode_ip6(p, b, cap, wire);
	default:
		p->anomalies |= NET_ANOM_UNKNOWN_LINK;
		return 0;
	}
}

/* Source addresses no packet may come from, except where a protocol
 * uses them before it has an address: DHCP (0.0.0.0:68 to port 67,
 * RFC 2131), IGMP reports from 0.0.0.0 (RFC 4541 2.1.1), and on IPv6
 * duplicate address detection and MLD from :: (RFC 4862 5.4, RFC 3810
 * 5.2.13), router solicitations (RFC 4861 4.1). */
static void
check_src(struct net_pkt *p)
{
	const uint8_t *a = p->src.a;
	static const uint8_t zero[16];

	if (p->src.family == 4) {
		uint32_t v = be32(a);

		if (v == 0xffffffffu || (v & 0xf0000000u) == 0xe0000000u)
			p->anomalies |= NET_ANOM_ADDR;
		else if (v == 0 && p->proto != 2 && !(p->proto == NET_P_UDP &&
		    p->sport == 68 && p->dport == 67))
			p->anomalies |= NET_ANOM_ADDR;
	} else if (p->src.family == 6) {
		if (a[0] == 0xff)
			p->anomalies |= NET_ANOM_ADDR;
		else if (memcmp(a, zero, 16) == 0 && !(p->proto ==
		    NET_P_ICMP6 && p->l4 != NULL && (p->icmp_type == 131 ||
		    p->icmp_type == 133 || p->icmp_type == 135 ||
		    p->icmp_type == 143)))
			p->anomalies |= NET_ANOM_ADDR;
	}
}

/* A 16-byte store (two on machines without SSE). */
typedef uint64_t zero_vec __attribute__((vector_size(16), aligned(8),
    may_alias));

/* GCC would turn the clearing loop below back into memset(), and that
 * into `rep stos`. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
int
net_decode(struct net_pkt *p, int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int64_t ts_ns)
{
	uint32_t wire, fam;
	size_t i;
	int r;

	/* memset() of a struct this size compiles to `rep stos`, whose
	 * start-up costs more than the plain stores; this runs for every
	 * packet. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
	for (i = 0; i + sizeof(zero_vec) <= sizeof(*p); i += sizeof(zero_vec))
		*(zero_vec *)(void *)((char *)p + i) = (zero_vec){ 0, 0 };
	if (sizeof(*p) % sizeof(zero_vec) != 0)
		memset((char *)p + sizeof(*p) - sizeof(zero_vec), 0,
		    sizeof(zero_vec));
	p->ts_ns = ts_ns;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->linktype = linktype;
	p->data = data;
	if (data == NULL)
		caplen = 0;
	wire = wirelen > caplen ? wirelen : caplen;

	switch (linktype) {
	case NET_LINK_ETHERNET: {
		uint16_t type;

		if (caplen < ETH_HLEN) {
			p->anomalies |= NET_ANOM_LINK_TRUNC;
			return 0;
		}
		p->has_eth = 1;
		memcpy(p->eth_dst, data, 6);
		memcpy(p->eth_src, data + 6, 6);
		type = be16(data + 12);
		if (type <= 1500) {
			/* IEEE 802.3 length and LLC: only SNAP with OUI 0
			 * (RFC 1042) carries an ethertype; the rest (STP,
			 * CDP, NetBIOS over LLC...) stays at the link. */
			if (caplen >= ETH_HLEN + 8 && data[14] == 0xaa &&
			    data[15] == 0xaa && data[16] == 0x03 &&
			    data[17] == 0 && data[18] == 0 && data[19] == 0) {
				r = decode_ethertype(p, be16(data + 20),
				    data + 22, caplen - 22, wire - 22);
				break;
			}
			return 2;
		}
		r = decode_ethertype(p, type, data + ETH_HLEN,
		    caplen - ETH_HLEN, wire - ETH_HLEN);
		break;
	}
	case NET_LINK_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes,
		 * protocol. */
		if (caplen < SLL_HLEN) {
			p->anomalies |= NET_ANOM_LINK_TRUNC;
			return 0;
		}
		if (be16(data + 2) == 1 && be16(data + 4) == 6)
			memcpy(p->eth_src, data + 6, 6);
		r = decode_ethertype(p, be16(data + 14), data + SLL_HLEN,
		    caplen - SLL_HLEN, wire - SLL_HLEN);
		break;
	case NET_LINK_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type,
		 * address length, 8 address bytes. */
		if (caplen < SLL2_HLEN) {
			p->anomalies |= NET_ANOM_LINK_TRUNC;
			return 0;
		}
		if (be16(data + 8) == 1 && data[11] == 6)
			memcpy(p->eth_src, data + 12, 6);
		r = decode_ethertype(p, be16(data), data + SLL2_HLEN,
		    caplen - SLL2_HLEN, wire - SLL2_HLEN);
		break;
	case NET_LINK_RAW:
	case NET_LINK_DLT_RAW:
	case NET_LINK_DLT_RAW14:
		r = decode_raw(p, data, caplen, wire);
		break;
	case NET_LINK_IPV4:
		p->ethertype = ET_IP4;
		r = decode_ip4(p, data, caplen, wire);
		break;
	case NET_LINK_IPV6:
		p->ethertype = ET_IP6;
		r = decode_ip6(p, data, caplen, wire);
		break;
	case NET_LINK_NULL:
	case NET_LINK_LOOP:
		/* The address family in the capturing host's byte order
		 * (network order for LOOP); a family fits in 16 bits, so
		 * a value with high bits set was written the other way. */
		if (caplen < 4) {
			p->anomalies |= NET_ANOM_LINK_TRUNC;
			return 0;
		}
		fam = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
		    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		if (fam & 0xffff0000u)
			fam = be32(data);
		switch (fam) {
		case 2:				/* AF_INET everywhere */
			p->ethertype = ET_IP4;
			r = decode_ip4(p, data + 4, caplen - 4, wire - 4);
			break;
		case 10:			/* Linux */
		case 24:			/* NetBSD, OpenBSD */
		case 28:			/* FreeBSD */
		case 30:			/* Darwin */
			p->ethertype = ET_IP6;
			r = decode_ip6(p, data + 4, caplen - 4, wire - 4);
			break;
		default:
			return 2;
		}
		break;
	default:
		p->anomalies |= NET_ANOM_UNKNOWN_LINK;
		return 0;
	}

	if (p->ipver != 0) {
		check_src(p);
		if (p->l4 != NULL && (p->proto == NET_P_TCP ||
		    p->proto == NET_P_UDP) && p->sport == p->dport &&
		    net_addr_eq(&p->src, &p->dst))
			p->anomalies |= NET_ANOM_LAND;
	}
	return r;
}
