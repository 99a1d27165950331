/*
 * test-net-decode.c - the packet decoders (net-decode.c) and struct
 * net_addr (net-addr.c).
 *
 * Frames are built here byte by byte, one layer at a time, and decoded
 * whole, cut at every length (truncated), and with each header field
 * made wrong in turn; every anomaly bit has a frame that raises it.
 * Then every capture in $MAMORI_SHARED/data/pcaps is decoded with
 * libpcap and its counts compared with a table checked against tcpdump
 * (tcpdump -r FILE 'tcp', 'udp', 'icmp or icmp6', 'arp'), and the
 * captures known to be clean must decode without any anomaly.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "test.h"

#define ALL_ANOM	0x01ffffffu

/* Frame building. */

static void
w16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
w32(uint8_t *b, uint32_t v)
{
	w16(b, (uint16_t)(v >> 16));
	w16(b + 2, (uint16_t)v);
}

static size_t
mk_eth(uint8_t *b, uint16_t type)
{
	static const uint8_t dst[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t src[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	w16(b + 12, type);
	return 14;
}

static size_t
mk_vlan(uint8_t *b, uint16_t tci, uint16_t type)
{
	w16(b, tci);
	w16(b + 2, type);
	return 4;
}

static void
ip4_csum(uint8_t *ip)
{
	uint32_t sum = 0, hl = (ip[0] & 15u) * 4, i;

	ip[10] = ip[11] = 0;
	for (i = 0; i < hl; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	w16(ip + 10, (uint16_t)~sum);
}

/* An IPv4 header with optlen bytes of options (a multiple of 4); the
 * total length and checksum are set by ip4_done(). */
static size_t
mk_ip4(uint8_t *b, uint8_t proto, const char *src, const char *dst,
    const uint8_t *opts, size_t optlen)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
	w16(b + 4, 0x1234);
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	if (optlen > 0)
		memcpy(b + 20, opts, optlen);
	return 20 + optlen;
}

static void
ip4_done(uint8_t *ip, size_t total)
{
	w16(ip + 2, (uint16_t)total);
	ip4_csum(ip);
}

static size_t
mk_ip6(uint8_t *b, uint8_t nh, const char *src, const char *dst)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[6] = nh;
	b[7] = 64;
	inet_pton(AF_INET6, src, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	return 40;
}

static void
ip6_done(uint8_t *ip, size_t total)
{
	w16(ip + 4, (uint16_t)(total - 40));
}

static size_t
mk_tcp(uint8_t *b, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
    uint8_t flags, const uint8_t *opts, size_t optlen)
{
	memset(b, 0, 20);
	w16(b, sp);
	w16(b + 2, dp);
	w32(b + 4, seq);
	w32(b + 8, ack);
	b[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	b[13] = flags;
	w16(b + 14, 65535);
	if (optlen > 0)
		memcpy(b + 20, opts, optlen);
	return 20 + optlen;
}

static size_t
mk_udp(uint8_t *b, uint16_t sp, uint16_t dp, size_t datalen)
{
	w16(b, sp);
	w16(b + 2, dp);
	w16(b + 4, (uint16_t)(8 + datalen));
	w16(b + 6, 0);
	return 8;
}

static size_t
put(uint8_t *b, const char *s)
{
	memcpy(b, s, strlen(s));
	return strlen(s);
}

static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4,		/* MSS 1460 */
	4, 2,				/* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,	/* timestamps */
	1,				/* NOP */
	3, 3, 7				/* window scale 7 */
};

/* Ethernet + IPv4 + TCP (options opts) + data. */
static size_t
frame_tcp4(uint8_t *f, uint8_t flags, const uint8_t *opts, size_t optlen,
    const char *data)
{
	size_t n = mk_eth(f, 0x0800), ip = n;

	n += mk_ip4(f + n, NET_P_TCP, "10.0.0.1", "10.0.0.2", NULL, 0);
	n += mk_tcp(f + n, 40000, 80, 1000, 0, flags, opts, optlen);
	if (data != NULL)
		n += put(f + n, data);
	ip4_done(f + ip, n - ip);
	return n;
}

static size_t
frame_udp4(uint8_t *f, const char *src, const char *dst, uint16_t sp,
    uint16_t dp, const char *data)
{
	size_t n = mk_eth(f, 0x0800), ip = n;

	n += mk_ip4(f + n, NET_P_UDP, src, dst, NULL, 0);
	n += mk_udp(f + n, sp, dp, strlen(data));
	n += put(f + n, data);
	ip4_done(f + ip, n - ip);
	return n;
}

static int
dec(struct net_pkt *p, const uint8_t *f, size_t n)
{
	return net_decode(p, NET_LINK_ETHERNET, f, (uint32_t)n, (uint32_t)n,
	    42);
}

static const char *
astr(const struct net_addr *a)
{
	static char buf[4][64];
	static int i;

	i = (i + 1) % 4;
	return net_addr_str(a, buf[i], sizeof(buf[i]));
}

/* Tests. */

TEST(anomaly_names)
{
	uint32_t b, c;
	const char *n, *m;

	for (b = 1; b != 0; b <<= 1) {
		n = net_anomaly_name(b);
		if (b & ALL_ANOM) {
			CHECK(n != NULL);
			for (c = b << 1; c != 0 && (c & ALL_ANOM); c <<= 1) {
				m = net_anomaly_name(c);
				CHECK(m != NULL && n != NULL &&
				    strcmp(n, m) != 0);
			}
		} else
			CHECK(n == NULL);
	}
	CHECK(net_anomaly_name(0) == NULL);
	CHECK(net_anomaly_name(NET_ANOM_LAND | NET_ANOM_ADDR) == NULL);
	CHECK_STR(net_anomaly_name(NET_ANOM_TCP_FLAGS), "tcp_flags");
	CHECK_STR(net_anomaly_name(NET_ANOM_IP4_TRUNC), "ip4_trunc");
}

TEST(addr_basics)
{
	struct net_addr a, b, none;
	char buf[64];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&none, 0, sizeof(none));
	a.family = 4;
	inet_pton(AF_INET, "192.0.2.7", a.a);
	CHECK_STR(net_addr_str(&a, buf, sizeof(buf)), "192.0.2.7");
	b.family = 6;
	inet_pton(AF_INET6, "2001:db8::1", b.a);
	CHECK_STR(net_addr_str(&b, buf, sizeof(buf)), "2001:db8::1");
	CHECK_STR(net_addr_str(&none, buf, sizeof(buf)), "-");
	CHECK_STR(net_addr_str(&a, buf, 4), "-");	/* too small */
	CHECK(net_addr_eq(&a, &a));
	CHECK(!net_addr_eq(&a, &b));
	CHECK(net_addr_eq(&none, &none));
	/* Bytes past the family's length do not count. */
	b = a;
	b.a[10] = 0x55;
	CHECK(net_addr_eq(&a, &b));
	CHECK(net_addr_hash(&a, 1) == net_addr_hash(&b, 1));
	CHECK(net_addr_hash(&a, 1) != net_addr_hash(&a, 2));
	b.a[3] ^= 1;
	CHECK(!net_addr_eq(&a, &b));
	CHECK(net_addr_hash(&a, 1) != net_addr_hash(&b, 1));
}

TEST(tcp4_syn_full)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = frame_tcp4(f, NET_TH_SYN, syn_opts, sizeof(syn_opts),
	    NULL);

	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.ts_ns, 42);
	CHECK(p.data == f);
	CHECK(p.has_eth);
	CHECK_INT(p.eth_src[0], 0x66);
	CHECK_INT(p.eth_dst[5], 0x55);
	CHECK_INT(p.ethertype, 0x0800);
	CHECK_INT(p.nvlan, 0);
	CHECK_INT(p.ipver, 4);
	CHECK_STR(astr(&p.src), "10.0.0.1");
	CHECK_STR(astr(&p.dst), "10.0.0.2");
	CHECK_INT(p.proto, NET_P_TCP);
	CHECK_INT(p.ttl, 64);
	CHECK_INT(p.ip_id, 0x1234);
	CHECK_INT(p.ip_len, 60);
	CHECK(!p.ip_opts && !p.is_frag);
	CHECK(p.l3 == f + 14);
	CHECK_INT(p.l3len, n - 14);
	CHECK(p.l4 == f + 34);
	CHECK_INT(p.l4len, 40);
	CHECK_INT(p.sport, 40000);
	CHECK_INT(p.dport, 80);
	CHECK_INT(p.tcp_seq, 1000);
	CHECK_INT(p.tcp_flags, NET_TH_SYN);
	CHECK_INT(p.tcp_hlen, 40);
	CHECK_INT(p.tcp_win, 65535);
	CHECK(p.payload == f + n);
	CHECK_INT(p.plen, 0);
	CHECK_INT(p.plen_wire, 0);
	CHECK(!p.is_arp && !p.has_inner);
}

TEST(tcp4_data_and_padding)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = frame_tcp4(f, NET_TH_ACK | NET_TH_PUSH, NULL, 0, "hello");

	/* 14 + 20 + 20 + 5 = 59: pad to the Ethernet minimum of 60. */
	f[n] = 0xee;
	CHECK_INT(dec(&p, f, n + 1), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.payload == f + 54);
	CHECK_MEM(p.payload, p.plen, "hello");
	CHECK_INT(p.plen_wire, 5);
	CHECK_INT(p.l3len, n + 1 - 14);	/* captured, padding included */

	/* Snapped after 2 bytes of payload: plen counts what is here,
	 * plen_wire what the headers say. */
	CHECK_INT(net_decode(&p, NET_LINK_ETHERNET, f, 56, (uint32_t)n, 0), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.plen, 2);
	CHECK_INT(p.plen_wire, 5);
}

TEST(udp4_padding)
{
	uint8_t f[128];
	struct net_pkt p;
	size_t n = frame_udp4(f, "10.0.0.1", "10.0.0.2", 5353, 53, "ab");

	memset(f + n, 0, 60 - n);		/* padded to 60 */
	CHECK_INT(dec(&p, f, 60), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.proto, NET_P_UDP);
	CHECK_INT(p.sport, 5353);
	CHECK_INT(p.dport, 53);
	CHECK_MEM(p.payload, p.plen, "ab");
	CHECK_INT(p.plen_wire, 2);
	CHECK_INT(p.ip_len, 30);
}

/* Cut a frame at every length: the anomaly names the layer cut. */
TEST(truncated_every_length)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = frame_tcp4(f, NET_TH_ACK, syn_opts, sizeof(syn_opts),
	    "data"), i;
	int r;

	for (i = 0; i <= n; i++) {
		/* Snapped by the capture: the wire length is whole. */
		r = net_decode(&p, NET_LINK_ETHERNET, f, (uint32_t)i,
		    (uint32_t)n, 0);
		if (i < 14) {
			CHECK_INT(r, 0);
			CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);
		} else if (i < 34) {
			CHECK_INT(r, 2);
			CHECK_INT(p.anomalies, NET_ANOM_IP4_TRUNC);
			CHECK_INT(p.ipver, 0);
		} else if (i < 54) {
			CHECK_INT(r, 3);
			CHECK_INT(p.anomalies, NET_ANOM_TCP_TRUNC);
			CHECK(p.l4 == NULL);
		} else if (i < 74) {
			/* Fixed header read, options cut. */
			CHECK_INT(r, 4);
			CHECK_INT(p.anomalies, NET_ANOM_TCP_TRUNC);
			CHECK_INT(p.sport, 40000);
			CHECK(p.payload == NULL);
		} else {
			CHECK_INT(r, 4);
			CHECK_INT(p.anomalies, 0);
			CHECK_INT(p.plen, i - 74);
			CHECK_INT(p.plen_wire, 4);
		}
		/* Short on the wire too: the IP length lies. */
		r = net_decode(&p, NET_LINK_ETHERNET, f, (uint32_t)i,
		    (uint32_t)i, 0);
		if (i >= 34 && i < n)
			CHECK(p.anomalies & NET_ANOM_IP4_LEN);
		if (i == n)
			CHECK_INT(p.anomalies, 0);
	}
	/* NULL data is an empty capture. */
	CHECK_INT(net_decode(&p, NET_LINK_ETHERNET, NULL, 100, 100, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);
}

TEST(ip4_bad_header)
{
	uint8_t f[256], g[256];
	struct net_pkt p;
	size_t n = frame_tcp4(f, NET_TH_ACK, NULL, 0, "xyz");

	/* IHL 4. */
	memcpy(g, f, n);
	g[14] = 0x44;
	ip4_csum(g + 14);
	CHECK_INT(dec(&p, g, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_HLEN);
	CHECK(p.l4 == NULL);
	/* IHL 15 (60 bytes) beyond a total length of 43. */
	memcpy(g, f, n);
	g[14] = 0x4f;
	CHECK_INT(dec(&p, g, n), 3);
	CHECK(p.anomalies & NET_ANOM_IP4_HLEN);
	CHECK(p.l4 == NULL);
	/* Version 5. */
	memcpy(g, f, n);
	g[14] = 0x55;
	CHECK_INT(dec(&p, g, n), 2);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_HLEN);
	CHECK_INT(p.ipver, 0);
	/* Total length 19, under any header. */
	memcpy(g, f, n);
	ip4_done(g + 14, 19);
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_LEN);
	/* Total length 0 (segmentation offload): decoded from the frame. */
	memcpy(g, f, n);
	ip4_done(g + 14, 0);
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_LEN);
	CHECK_MEM(p.payload, p.plen, "xyz");
	/* Total length past the frame. */
	memcpy(g, f, n);
	ip4_done(g + 14, n - 14 + 1);
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_LEN);
	CHECK_MEM(p.payload, p.plen, "xyz");
	/* Exactly the frame: fine. */
	memcpy(g, f, n);
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, 0);
	/* A wrong checksum, and a zero one (offload: not counted). */
	memcpy(g, f, n);
	g[14 + 10] ^= 0x01;
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_CSUM);
	g[14 + 10] = g[14 + 11] = 0;
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, 0);
	/* TTL 0. */
	memcpy(g, f, n);
	g[14 + 8] = 0;
	ip4_csum(g + 14);
	CHECK_INT(dec(&p, g, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_TTL0);
}

static uint32_t
ip4_opts_anom(const uint8_t *opts, size_t optlen, int *has_opts)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = mk_eth(f, 0x0800), ip = n;

	n += mk_ip4(f + n, NET_P_UDP, "10.0.0.1", "10.0.0.2", opts, optlen);
	n += mk_udp(f + n, 1, 2, 0);
	ip4_done(f + ip, n - ip);
	if (dec(&p, f, n) != 4 || p.sport != 1)
		return 0xffffffffu;
	*has_opts = p.ip_opts;
	return p.anomalies;
}

TEST(ip4_options)
{
	static const uint8_t nop_eol[4] = { 1, 1, 0, 0x55 };
	static const uint8_t rr[8] = { 7, 7, 4, 0, 0, 0, 0, 1 };
	static const uint8_t exact[4] = { 0x94, 4, 0, 0 };	/* alert */
	static const uint8_t len1[4] = { 7, 1, 0, 0 };
	static const uint8_t len0[4] = { 1, 1, 0x83, 0 };
	static const uint8_t past[4] = { 1, 0x83, 4, 0 };
	static const uint8_t cut[4] = { 1, 1, 1, 0x83 };
	int has = 0;

	CHECK_INT(ip4_opts_anom(nop_eol, 4, &has), 0);
	CHECK(has);
	CHECK_INT(ip4_opts_anom(rr, 8, &has), 0);
	CHECK_INT(ip4_opts_anom(exact, 4, &has), 0);
	CHECK_INT(ip4_opts_anom(len1, 4, &has), NET_ANOM_IP4_OPT);
	CHECK_INT(ip4_opts_anom(len0, 4, &has), NET_ANOM_IP4_OPT);
	CHECK_INT(ip4_opts_anom(past, 4, &has), NET_ANOM_IP4_OPT);
	CHECK_INT(ip4_opts_anom(cut, 4, &has), NET_ANOM_IP4_OPT);
}

/* An IPv4 fragment: proto, fragment field, and paylen bytes of
 * payload (the first bytes taken from l4). */
static size_t
frame_frag4(uint8_t *f, uint8_t proto, uint16_t fo, const uint8_t *l4,
    size_t l4len, size_t paylen)
{
	size_t n = mk_eth(f, 0x0800), ip = n;

	n += mk_ip4(f + n, proto, "10.0.0.1", "10.0.0.2", NULL, 0);
	w16(f + ip + 6, fo);
	memset(f + n, 0x5a, paylen);
	memcpy(f + n, l4, l4len < paylen ? l4len : paylen);
	n += paylen;
	ip4_done(f + ip, n - ip);
	return n;
}

TEST(ip4_fragments)
{
	uint8_t f[2048], th[20], uh[8];
	struct net_pkt p;
	size_t n;

	mk_tcp(th, 1234, 80, 1, 2, NET_TH_ACK, NULL, 0);
	mk_udp(uh, 53, 53, 100);

	/* First fragment, 24 bytes, MF. */
	n = frame_frag4(f, NET_P_TCP, 0x2000, th, 20, 24);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.is_frag && p.frag_more);
	CHECK_INT(p.frag_off, 0);
	CHECK_INT(p.frag_id, 0x1234);
	CHECK_INT(p.dport, 80);
	CHECK_INT(p.plen_wire, 4);
	/* Second fragment at 24: no transport header. */
	n = frame_frag4(f, NET_P_TCP, 3, th, 0, 40);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.is_frag && !p.frag_more);
	CHECK_INT(p.frag_off, 24);
	CHECK(p.l4 == NULL);
	CHECK_INT(p.sport, 0);
	CHECK(p.payload == f + 34);
	CHECK_INT(p.plen, 40);
	CHECK_INT(p.plen_wire, 40);
	/* Tiny first fragment: the TCP header does not fit (RFC 1858). */
	n = frame_frag4(f, NET_P_TCP, 0x2000, th, 20, 16);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_FRAG_BAD);
	/* A fragment at offset 8 rewrites TCP flags (RFC 1858). */
	n = frame_frag4(f, NET_P_TCP, 0x2001, th, 0, 16);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_FRAG_BAD);
	/* Past 64 KiB: offset 65528 + 16. */
	n = frame_frag4(f, NET_P_UDP, 8191, uh, 0, 16);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_FRAG_BAD);
	/* Exactly 65535. */
	n = frame_frag4(f, NET_P_UDP, 8191, uh, 0, 7);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	/* A middle piece whose length is not a multiple of 8. */
	n = frame_frag4(f, NET_P_UDP, 0x2000 | 10, uh, 0, 21);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_FRAG_BAD);
	/* A first UDP fragment: its length covers the whole datagram. */
	n = frame_frag4(f, NET_P_UDP, 0x2000, uh, 8, 64);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.plen_wire, 56);
	/* DF alone is not a fragment. */
	n = frame_frag4(f, NET_P_UDP, 0x4000, uh, 8, 8);
	mk_udp(f + 34, 53, 53, 0);
	dec(&p, f, n);
	CHECK(!p.is_frag);
	CHECK_INT(p.anomalies, 0);
}

static uint32_t
tcp_anom(const uint8_t *opts, size_t optlen, int *plen)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = frame_tcp4(f, NET_TH_ACK, opts, optlen, "zz");

	if (dec(&p, f, n) != 4)
		return 0xffffffffu;
	*plen = (int)p.plen;
	return p.anomalies;
}

TEST(tcp_header_and_options)
{
	static const uint8_t ok_eol[8] = { 2, 4, 1, 0, 0, 0xff, 0xff, 0xff };
	static const uint8_t sack[12] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t len0[4] = { 1, 1, 30, 0 };
	static const uint8_t len1[4] = { 30, 1, 0, 0 };
	static const uint8_t past[4] = { 1, 30, 4, 0 };
	static const uint8_t cut[4] = { 1, 1, 1, 30 };
	static const uint8_t mss5[8] = { 2, 5, 1, 2, 3, 1, 1, 1 };
	static const uint8_t ts8[8] = { 8, 8, 0, 0, 0, 0, 0, 0 };
	static const uint8_t sack6[8] = { 5, 6, 0, 0, 0, 0, 1, 1 };
	static const uint8_t unknown[8] = { 30, 6, 0, 0, 0, 0, 0, 0 };
	uint8_t f[256];
	struct net_pkt p;
	size_t n;
	int pl = -1;

	CHECK_INT(tcp_anom(syn_opts, sizeof(syn_opts), &pl), 0);
	CHECK_INT(pl, 2);
	CHECK_INT(tcp_anom(ok_eol, 8, &pl), 0);
	CHECK_INT(tcp_anom(sack, 12, &pl), 0);
	CHECK_INT(tcp_anom(unknown, 8, &pl), 0);
	CHECK_INT(tcp_anom(len0, 4, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(len1, 4, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(past, 4, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(cut, 4, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(mss5, 8, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(ts8, 8, &pl), NET_ANOM_TCP_OPT);
	CHECK_INT(tcp_anom(sack6, 8, &pl), NET_ANOM_TCP_OPT);

	/* Data offset 4 (16 bytes). */
	n = frame_tcp4(f, NET_TH_ACK, NULL, 0, "zz");
	f[34 + 12] = 0x40;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_TCP_HLEN);
	CHECK_INT(p.sport, 40000);
	CHECK(p.payload == NULL);
	/* Data offset 15 (60 bytes) in a 22-byte segment. */
	f[34 + 12] = 0xf0;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_TCP_HLEN);
	/* Data offset 0. */
	f[34 + 12] = 0x00;
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_TCP_HLEN);
	/* Only 19 bytes of TCP on the wire. */
	n = mk_eth(f, 0x0800);
	n += mk_ip4(f + n, NET_P_TCP, "10.0.0.1", "10.0.0.2", NULL, 0);
	n += mk_tcp(f + n, 1, 2, 0, 0, NET_TH_SYN, NULL, 0) - 1;
	ip4_done(f + 14, n - 14);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_TCP_TRUNC);
}

/* The flags rule, as documented in net-decode.c. */
static int
flags_bad(unsigned fl)
{
	int syn = (fl & NET_TH_SYN) != 0, fin = (fl & NET_TH_FIN) != 0;
	int rst = (fl & NET_TH_RST) != 0, ack = (fl & NET_TH_ACK) != 0;

	if (syn && (fin || rst))
		return 1;
	return !ack && !syn && !rst;
}

TEST(tcp_flags)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n;
	unsigned fl;
	static const struct {
		uint8_t	 flags;
		int	 bad;
	} named[] = {
		{ 0, 1 },					/* NULL */
		{ NET_TH_FIN, 1 },				/* FIN scan */
		{ NET_TH_FIN | NET_TH_PUSH | NET_TH_URG, 1 },	/* Xmas */
		{ NET_TH_SYN | NET_TH_FIN, 1 },
		{ NET_TH_SYN | NET_TH_RST, 1 },
		{ NET_TH_SYN | NET_TH_FIN | NET_TH_PUSH | NET_TH_URG, 1 },
		{ NET_TH_PUSH, 1 },
		{ NET_TH_URG, 1 },
		{ NET_TH_ECE | NET_TH_CWR, 1 },
		{ NET_TH_SYN, 0 },
		{ NET_TH_SYN | NET_TH_ECE | NET_TH_CWR, 0 },	/* ECN SYN */
		{ NET_TH_SYN | NET_TH_ACK, 0 },
		{ NET_TH_ACK, 0 },				/* ACK scan */
		{ NET_TH_RST, 0 },
		{ NET_TH_RST | NET_TH_ACK, 0 },
		{ NET_TH_FIN | NET_TH_ACK, 0 },			/* Maimon */
		{ NET_TH_FIN | NET_TH_RST | NET_TH_ACK, 0 },
		{ NET_TH_PUSH | NET_TH_ACK, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		n = frame_tcp4(f, named[i].flags, NULL, 0, NULL);
		dec(&p, f, n);
		CHECK_INT(p.tcp_flags, named[i].flags);
		CHECK_INT((p.anomalies & NET_ANOM_TCP_FLAGS) != 0,
		    named[i].bad);
	}
	for (fl = 0; fl < 256; fl++) {
		n = frame_tcp4(f, (uint8_t)fl, NULL, 0, NULL);
		dec(&p, f, n);
		CHECK_INT(p.anomalies, flags_bad(fl) ? NET_ANOM_TCP_FLAGS : 0);
	}
}

TEST(udp_lengths)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n;

	n = frame_udp4(f, "10.0.0.1", "10.0.0.2", 1000, 2000, "abcdef");
	/* Length past the IP payload. */
	w16(f + 34 + 4, 15);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, NET_ANOM_UDP_LEN);
	CHECK_INT(p.plen_wire, 6);
	/* Under the header. */
	w16(f + 34 + 4, 7);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_UDP_LEN);
	/* Shorter than the IP payload: the rest is padding. */
	w16(f + 34 + 4, 10);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	CHECK_MEM(p.payload, p.plen, "ab");
	CHECK_INT(p.plen_wire, 2);
	/* Exactly the IP payload. */
	w16(f + 34 + 4, 14);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.plen_wire, 6);
	/* 7 bytes of UDP on the wire. */
	n = mk_eth(f, 0x0800);
	n += mk_ip4(f + n, NET_P_UDP, "10.0.0.1", "10.0.0.2", NULL, 0);
	n += 7;
	ip4_done(f + 14, n - 14);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_UDP_TRUNC);
	CHECK(p.l4 == NULL);
}

TEST(land_addr_ttl)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n;

	n = frame_udp4(f, "10.0.0.9", "10.0.0.9", 139, 139, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_LAND);
	n = frame_udp4(f, "10.0.0.9", "10.0.0.9", 139, 140, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	n = frame_udp4(f, "255.255.255.255", "10.0.0.1", 1, 2, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ADDR);
	n = frame_udp4(f, "224.0.0.5", "10.0.0.1", 1, 2, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ADDR);
	n = frame_udp4(f, "0.0.0.0", "10.0.0.1", 1, 2, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ADDR);
	/* DHCP discover. */
	n = frame_udp4(f, "0.0.0.0", "255.255.255.255", 68, 67, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	/* 240/4 (reserved, but used by test networks) is not flagged. */
	n = frame_udp4(f, "240.0.1.2", "240.125.0.2", 1, 22, "x");
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
}

/* ICMP echo request with data. */
TEST(icmp_echo)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = mk_eth(f, 0x0800), ip = n;

	n += mk_ip4(f + n, NET_P_ICMP, "10.0.0.1", "10.0.0.2", NULL, 0);
	f[n] = 8;
	f[n + 1] = 0;
	w16(f + n + 2, 0);
	w16(f + n + 4, 0x4242);
	w16(f + n + 6, 1);
	n += 8;
	n += put(f + n, "pingdata");
	ip4_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.icmp_type, 8);
	CHECK_INT(p.icmp_code, 0);
	CHECK(p.l4 == f + 34);
	CHECK_MEM(p.payload, p.plen, "pingdata");
	CHECK(!p.has_inner);
	/* 4 bytes of ICMP: type and code, but cut. */
	ip4_done(f + ip, 24);
	CHECK_INT(dec(&p, f, 38), 3);
	CHECK_INT(p.anomalies, NET_ANOM_ICMP_TRUNC);
	CHECK_INT(p.icmp_type, 8);
	CHECK(p.l4 == NULL);
}

/* ICMP port unreachable quoting a UDP probe. */
static size_t
frame_unreach(uint8_t *f, size_t quote)
{
	uint8_t inner[64];
	size_t n = mk_eth(f, 0x0800), ip = n, m;

	m = mk_ip4(inner, NET_P_UDP, "10.0.0.1", "10.0.0.2", NULL, 0);
	m += mk_udp(inner + m, 33434, 161, 20);
	ip4_done(inner, m + 20);
	n += mk_ip4(f + n, NET_P_ICMP, "10.0.0.2", "10.0.0.1", NULL, 0);
	f[n] = 3;
	f[n + 1] = 3;
	memset(f + n + 2, 0, 6);
	n += 8;
	memcpy(f + n, inner, quote);
	n += quote;
	ip4_done(f + ip, n - ip);
	return n;
}

TEST(icmp_error_inner)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n = frame_unreach(f, 28);

	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.icmp_type, 3);
	CHECK_INT(p.icmp_code, 3);
	CHECK(p.has_inner);
	CHECK_STR(astr(&p.inner_src), "10.0.0.1");
	CHECK_STR(astr(&p.inner_dst), "10.0.0.2");
	CHECK_INT(p.inner_proto, NET_P_UDP);
	CHECK_INT(p.inner_sport, 33434);
	CHECK_INT(p.inner_dport, 161);
	/* Quote of the IP header and 3 bytes: no ports. */
	n = frame_unreach(f, 23);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.has_inner);
	CHECK_INT(p.inner_sport, 0);
	/* Quote shorter than an IP header. */
	n = frame_unreach(f, 12);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ICMP_TRUNC);
	CHECK(!p.has_inner);
}

TEST(vlan_tags)
{
	uint8_t f[256], g[256];
	struct net_pkt p;
	size_t n, m;

	/* One 802.1Q tag. */
	m = frame_udp4(g, "10.0.0.1", "10.0.0.2", 1, 2, "v");
	n = mk_eth(f, 0x8100);
	n += mk_vlan(f + n, 0x2064, 0x0800);	/* PCP 1, VLAN 100 */
	memcpy(f + n, g + 14, m - 14);
	n += m - 14;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.nvlan, 1);
	CHECK_INT(p.vlan[0], 100);
	CHECK_INT(p.ethertype, 0x0800);
	CHECK_INT(p.dport, 2);
	/* QinQ: 802.1ad outer, 802.1Q inner. */
	n = mk_eth(f, 0x88a8);
	n += mk_vlan(f + n, 10, 0x8100);
	n += mk_vlan(f + n, 20, 0x0800);
	memcpy(f + n, g + 14, m - 14);
	n += m - 14;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.nvlan, 2);
	CHECK_INT(p.vlan[0], 10);
	CHECK_INT(p.vlan[1], 20);
	/* The old 0x9100 outer tag. */
	f[12] = 0x91;
	f[13] = 0x00;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.nvlan, 2);
	/* Cut inside the second tag. */
	CHECK_INT(dec(&p, f, 20), 2);
	CHECK_INT(p.anomalies, NET_ANOM_VLAN_TRUNC);
	/* Three tags. */
	n = mk_eth(f, 0x8100);
	n += mk_vlan(f + n, 1, 0x8100);
	n += mk_vlan(f + n, 2, 0x8100);
	n += mk_vlan(f + n, 3, 0x0800);
	memcpy(f + n, g + 14, m - 14);
	n += m - 14;
	CHECK_INT(dec(&p, f, n), 2);
	CHECK_INT(p.anomalies, NET_ANOM_VLAN_DEPTH);
	CHECK_INT(p.ipver, 0);
}

TEST(arp)
{
	uint8_t f[64];
	struct net_pkt p;
	size_t n = mk_eth(f, 0x0806);
	static const uint8_t req[28] = {
		0, 1, 8, 0, 6, 4, 0, 1,
		0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 192, 168, 1, 10,
		0, 0, 0, 0, 0, 0, 192, 168, 1, 1 };

	memcpy(f + n, req, 28);
	n += 28;
	memset(f + n, 0, 60 - n);
	CHECK_INT(dec(&p, f, 60), 2);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.is_arp);
	CHECK_INT(p.arp_op, 1);
	CHECK_INT(p.arp_sha[5], 0xbb);
	CHECK_STR(astr(&p.arp_spa), "192.168.1.10");
	CHECK_STR(astr(&p.arp_tpa), "192.168.1.1");
	CHECK_INT(p.ipver, 0);
	/* A reply. */
	f[14 + 7] = 2;
	memset(f + 14 + 18, 0x11, 6);
	dec(&p, f, 60);
	CHECK_INT(p.arp_op, 2);
	CHECK_INT(p.arp_tha[0], 0x11);
	/* Cut. */
	CHECK_INT(dec(&p, f, 14 + 27), 2);
	CHECK_INT(p.anomalies, NET_ANOM_ARP_TRUNC);
	CHECK(!p.is_arp);
	CHECK_INT(dec(&p, f, 14 + 7), 2);
	CHECK_INT(p.anomalies, NET_ANOM_ARP_TRUNC);
	/* Not Ethernet/IPv4 (hardware type 6, IEEE 802). */
	f[14 + 1] = 6;
	dec(&p, f, 60);
	CHECK_INT(p.anomalies, NET_ANOM_ARP_BAD);
	CHECK(!p.is_arp);
}

TEST(llc_and_snap)
{
	uint8_t f[128], g[128];
	struct net_pkt p;
	size_t n, m;

	/* STP over LLC (802.3 length 38): a link frame, not an anomaly. */
	n = mk_eth(f, 38);
	f[n++] = 0x42;
	f[n++] = 0x42;
	f[n++] = 0x03;
	memset(f + n, 0, 35);
	n += 35;
	CHECK_INT(dec(&p, f, n), 2);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.ipver, 0);
	/* IPv4 in SNAP (RFC 1042). */
	m = frame_udp4(g, "10.0.0.1", "10.0.0.2", 1, 2, "s");
	n = mk_eth(f, (uint16_t)(m - 14 + 8));
	memcpy(f + n, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	n += 8;
	memcpy(f + n, g + 14, m - 14);
	n += m - 14;
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.dport, 2);
}

TEST(linux_cooked)
{
	uint8_t f[256], g[256];
	struct net_pkt p;
	size_t n, m;

	m = frame_udp4(g, "10.0.0.1", "10.0.0.2", 1, 2, "sll");
	/* SLL: incoming, ARPHRD_ETHER, 6-byte address, IPv4. */
	memset(f, 0, 16);
	w16(f + 2, 1);
	w16(f + 4, 6);
	memcpy(f + 6, "\x02\x03\x04\x05\x06\x07", 6);
	w16(f + 14, 0x0800);
	memcpy(f + 16, g + 14, m - 14);
	n = 16 + m - 14;
	CHECK_INT(net_decode(&p, NET_LINK_LINUX_SLL, f, (uint32_t)n,
	    (uint32_t)n, 0), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK(!p.has_eth);
	CHECK_INT(p.eth_src[5], 0x07);
	CHECK_INT(p.dport, 2);
	CHECK_MEM(p.payload, p.plen, "sll");
	CHECK_INT(net_decode(&p, NET_LINK_LINUX_SLL, f, 15, 15, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);
	/* SLL with an 802.1Q tag left in the packet. */
	w16(f + 14, 0x8100);
	mk_vlan(f + 16, 7, 0x0800);
	memcpy(f + 20, g + 14, m - 14);
	n = 20 + m - 14;
	CHECK_INT(net_decode(&p, NET_LINK_LINUX_SLL, f, (uint32_t)n,
	    (uint32_t)n, 0), 4);
	CHECK_INT(p.nvlan, 1);
	CHECK_INT(p.vlan[0], 7);
	CHECK_INT(p.anomalies, 0);

	/* SLL2: protocol, reserved, ifindex, ARPHRD, type, halen, addr. */
	memset(f, 0, 20);
	w16(f, 0x86dd);
	w32(f + 4, 2);
	w16(f + 8, 1);
	f[11] = 6;
	memcpy(f + 12, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
	m = mk_ip6(f + 20, NET_P_UDP, "2001:db8::1", "2001:db8::2");
	m += mk_udp(f + 20 + m, 546, 547, 2);
	m += put(f + 20 + m, "v6");
	ip6_done(f + 20, m);
	n = 20 + m;
	CHECK_INT(net_decode(&p, NET_LINK_LINUX_SLL2, f, (uint32_t)n,
	    (uint32_t)n, 0), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.ipver, 6);
	CHECK_INT(p.eth_src[0], 0x0a);
	CHECK_STR(astr(&p.src), "2001:db8::1");
	CHECK_INT(p.dport, 547);
	CHECK_MEM(p.payload, p.plen, "v6");
	CHECK_INT(net_decode(&p, NET_LINK_LINUX_SLL2, f, 19, 19, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);
}

TEST(raw_and_null)
{
	uint8_t f[256], g[256], v6[128];
	struct net_pkt p;
	size_t n, m, k;
	static const int raw[] = { NET_LINK_RAW, NET_LINK_DLT_RAW,
	    NET_LINK_DLT_RAW14 };
	size_t i;

	m = frame_udp4(g, "10.0.0.1", "10.0.0.2", 1, 2, "raw") - 14;
	k = mk_ip6(v6, NET_P_UDP, "2001:db8::1", "2001:db8::2");
	k += mk_udp(v6 + k, 7, 8, 0);
	ip6_done(v6, k);
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		CHECK_INT(net_decode(&p, raw[i], g + 14, (uint32_t)m,
		    (uint32_t)m, 0), 4);
		CHECK_INT(p.anomalies, 0);
		CHECK_INT(p.ipver, 4);
		CHECK_INT(p.linktype, raw[i]);
		CHECK_INT(net_decode(&p, raw[i], v6, (uint32_t)k, (uint32_t)k,
		    0), 4);
		CHECK_INT(p.ipver, 6);
		CHECK_INT(p.dport, 8);
	}
	CHECK_INT(net_decode(&p, NET_LINK_IPV4, g + 14, (uint32_t)m,
	    (uint32_t)m, 0), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(net_decode(&p, NET_LINK_IPV6, v6, (uint32_t)k, (uint32_t)k,
	    0), 4);
	CHECK_INT(p.anomalies, 0);
	/* IPv6 on the IPv4 link type. */
	CHECK_INT(net_decode(&p, NET_LINK_IPV4, v6, (uint32_t)k, (uint32_t)k,
	    0), 2);
	CHECK_INT(p.anomalies, NET_ANOM_IP4_HLEN);
	/* Version 7 on raw; nothing at all. */
	g[14] = 0x75;
	CHECK_INT(net_decode(&p, NET_LINK_RAW, g + 14, (uint32_t)m,
	    (uint32_t)m, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_UNKNOWN_LINK);
	g[14] = 0x45;
	CHECK_INT(net_decode(&p, NET_LINK_RAW, g + 14, 0, 0, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);

	/* BSD loopback: AF_INET written little-endian, then big-endian. */
	memcpy(f, "\x02\x00\x00\x00", 4);
	memcpy(f + 4, g + 14, m);
	n = 4 + m;
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.dport, 2);
	memcpy(f, "\x00\x00\x00\x02", 4);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 4);
	/* IPv6 as FreeBSD (28), Darwin (30), OpenBSD (24). */
	memcpy(f + 4, v6, k);
	n = 4 + k;
	memcpy(f, "\x1c\x00\x00\x00", 4);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 4);
	CHECK_INT(p.ipver, 6);
	memcpy(f, "\x00\x00\x00\x1e", 4);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 4);
	memcpy(f, "\x18\x00\x00\x00", 4);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 4);
	/* Another family: left at the link. */
	memcpy(f, "\x07\x00\x00\x00", 4);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, (uint32_t)n, (uint32_t)n,
	    0), 2);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(net_decode(&p, NET_LINK_NULL, f, 3, 3, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_LINK_TRUNC);
	/* A link type we do not decode. */
	CHECK_INT(net_decode(&p, 9999, f, (uint32_t)n, (uint32_t)n, 0), 0);
	CHECK_INT(p.anomalies, NET_ANOM_UNKNOWN_LINK);
}

/* An extension header: next, length in 8-byte units minus one, and
 * filler (a PadN option for options headers). */
static size_t
mk_ext(uint8_t *b, uint8_t next, uint8_t units)
{
	size_t len = ((size_t)units + 1) * 8;

	memset(b, 0, len);
	b[0] = next;
	b[1] = units;
	b[2] = 1;			/* PadN */
	b[3] = (uint8_t)(len - 4);
	return len;
}

TEST(ip6_ext_headers)
{
	uint8_t f[512];
	struct net_pkt p;
	size_t n, ip;

	/* HBH, destination options, routing, destination options, TCP. */
	n = mk_eth(f, 0x86dd);
	ip = n;
	n += mk_ip6(f + n, 0, "2001:db8::1", "2001:db8::2");
	n += mk_ext(f + n, 60, 0);
	n += mk_ext(f + n, 43, 1);
	n += mk_ext(f + n, 60, 0);
	n += mk_ext(f + n, NET_P_TCP, 0);
	n += mk_tcp(f + n, 5555, 443, 9, 0, NET_TH_SYN, NULL, 0);
	ip6_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.proto, NET_P_TCP);
	CHECK_INT(p.dport, 443);
	CHECK_INT(p.ip_len, n - ip);
	CHECK(p.l4 == f + n - 20);
	/* Each cut inside the chain is a truncation. */
	CHECK_INT(net_decode(&p, NET_LINK_ETHERNET, f, 14 + 40 + 12,
	    (uint32_t)n, 0), 3);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_TRUNC);
	CHECK_INT(net_decode(&p, NET_LINK_ETHERNET, f, 14 + 39, (uint32_t)n,
	    0), 2);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_TRUNC);
	/* A bad option inside hop-by-hop. */
	f[ip + 40 + 3] = 200;
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_EXT);
	f[ip + 40 + 3] = 4;
	/* A header longer than the payload length. */
	f[ip + 40 + 8 + 1] = 30;
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_EXT);
	f[ip + 40 + 8 + 1] = 1;

	/* Hop-by-hop not first. */
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, 60, "2001:db8::1", "2001:db8::2");
	n += mk_ext(f + n, 0, 0);
	n += mk_ext(f + n, NET_P_UDP, 0);
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + 14, n - 14);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_EXT);
	/* Routing twice. */
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, 43, "2001:db8::1", "2001:db8::2");
	n += mk_ext(f + n, 43, 0);
	n += mk_ext(f + n, NET_P_UDP, 0);
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + 14, n - 14);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_EXT);
	/* Seven headers, each kind once and destination options twice:
	 * the longest chain without repetition, accepted. */
	{
		static const uint8_t chain[] = { 0, 60, 43, 51, 135, 60, 44 };
		size_t i;

		n = mk_eth(f, 0x86dd);
		n += mk_ip6(f + n, chain[0], "2001:db8::1", "2001:db8::2");
		for (i = 0; i < sizeof(chain); i++) {
			uint8_t next = i + 1 < sizeof(chain) ? chain[i + 1] :
			    NET_P_UDP;

			if (chain[i] == 44) {	/* atomic fragment */
				memset(f + n, 0, 8);
				f[n] = next;
				n += 8;
			} else	/* 8 bytes; AH counts 4-byte units - 2 */
				n += mk_ext(f + n, next, 0);
		}
		n += mk_udp(f + n, 1, 2, 0);
		ip6_done(f + 14, n - 14);
		CHECK_INT(dec(&p, f, n), 4);
		CHECK_INT(p.anomalies, 0);
		CHECK_INT(p.dport, 2);
	}
	/* Destination options three times. */
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, 60, "2001:db8::1", "2001:db8::2");
	n += mk_ext(f + n, 60, 0);
	n += mk_ext(f + n, 60, 0);
	n += mk_ext(f + n, NET_P_UDP, 0);
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + 14, n - 14);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_EXT);
	/* No next header. */
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, 59, "2001:db8::1", "2001:db8::2");
	ip6_done(f + 14, n - 14);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.proto, 59);
	/* Payload length past the frame. */
	ip6_done(f + 14, n - 14 + 8);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_TRUNC);
	/* Hop limit 0. */
	ip6_done(f + 14, n - 14);
	f[14 + 7] = 0;
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_TTL0);
	/* Version 4 in an IPv6 ethertype. */
	f[14] = 0x45;
	CHECK_INT(dec(&p, f, n), 2);
	CHECK_INT(p.anomalies, NET_ANOM_IP6_TRUNC);
}

TEST(ip6_fragments)
{
	uint8_t f[512];
	struct net_pkt p;
	size_t n, ip, fh;

	/* First fragment (offset 0, M) holding a UDP header. */
	n = mk_eth(f, 0x86dd);
	ip = n;
	n += mk_ip6(f + n, 44, "2001:db8::1", "2001:db8::2");
	fh = n;
	memset(f + n, 0, 8);
	f[n] = NET_P_UDP;
	w16(f + n + 2, 0x0001);
	w32(f + n + 4, 0xdeadbeef);
	n += 8;
	n += mk_udp(f + n, 53, 53, 1000);
	memset(f + n, 0x41, 40);
	n += 40;
	ip6_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.is_frag && p.frag_more);
	CHECK_INT(p.frag_off, 0);
	CHECK_INT(p.frag_id, 0xdeadbeef);
	CHECK_INT(p.proto, NET_P_UDP);
	CHECK_INT(p.sport, 53);
	/* A later fragment (offset 48): no transport. */
	w16(f + fh + 2, 48);
	CHECK_INT(dec(&p, f, n), 3);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.is_frag && !p.frag_more);
	CHECK_INT(p.frag_off, 48);
	CHECK(p.l4 == NULL);
	CHECK(p.payload == f + fh + 8);
	CHECK_INT(p.plen, 48);
	/* Middle piece of 48 bytes: fine; of 47: bad. */
	w16(f + fh + 2, 48 | 1);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, 0);
	ip6_done(f + ip, n - ip - 1);
	dec(&p, f, n - 1);
	CHECK_INT(p.anomalies, NET_ANOM_FRAG_BAD);
	/* Atomic fragment (offset 0, no M): not a fragment. */
	ip6_done(f + ip, n - ip);
	w16(f + fh + 2, 0);
	w16(f + fh + 8 + 4, 48);
	dec(&p, f, n);
	CHECK(!p.is_frag);
	CHECK_INT(p.anomalies, 0);
}

TEST(ip6_mapped_and_addr)
{
	uint8_t f[256];
	struct net_pkt p;
	size_t n, ip;

	n = mk_eth(f, 0x86dd);
	ip = n;
	n += mk_ip6(f + n, NET_P_UDP, "::ffff:192.0.2.1", "2001:db8::2");
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + ip, n - ip);
	dec(&p, f, n);
	CHECK_INT(p.ipver, 6);
	CHECK_INT(p.src.family, 4);
	CHECK_STR(astr(&p.src), "192.0.2.1");
	CHECK_INT(p.dst.family, 6);
	CHECK_INT(p.anomalies, 0);

	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, NET_P_UDP, "ff02::1", "2001:db8::2");
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + ip, n - ip);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ADDR);

	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, NET_P_UDP, "::", "2001:db8::2");
	n += mk_udp(f + n, 1, 2, 0);
	ip6_done(f + ip, n - ip);
	dec(&p, f, n);
	CHECK_INT(p.anomalies, NET_ANOM_ADDR);

	/* Duplicate address detection: a neighbour solicitation from ::. */
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, NET_P_ICMP6, "::", "ff02::1:ff00:1");
	memset(f + n, 0, 24);
	f[n] = 135;
	n += 24;
	ip6_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.icmp_type, 135);
}

TEST(icmp6)
{
	uint8_t f[512], inner[128];
	struct net_pkt p;
	size_t n, ip, m;

	/* Echo request. */
	n = mk_eth(f, 0x86dd);
	ip = n;
	n += mk_ip6(f + n, NET_P_ICMP6, "2001:db8::1", "2001:db8::2");
	memset(f + n, 0, 8);
	f[n] = 128;
	w16(f + n + 4, 77);
	n += 8;
	n += put(f + n, "ping6");
	ip6_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK_INT(p.icmp_type, 128);
	CHECK_MEM(p.payload, p.plen, "ping6");
	CHECK(!p.has_inner);
	/* Cut to 6 bytes on the wire. */
	ip6_done(f + ip, 46);
	CHECK_INT(dec(&p, f, 14 + 46), 3);
	CHECK_INT(p.anomalies, NET_ANOM_ICMP6_TRUNC);
	CHECK_INT(p.icmp_type, 128);

	/* Port unreachable quoting TCP behind a destination options
	 * header. */
	m = mk_ip6(inner, 60, "2001:db8::2", "2001:db8::1");
	m += mk_ext(inner + m, NET_P_TCP, 0);
	m += mk_tcp(inner + m, 33000, 25, 0, 0, NET_TH_SYN, NULL, 0);
	ip6_done(inner, m);
	n = mk_eth(f, 0x86dd);
	n += mk_ip6(f + n, NET_P_ICMP6, "2001:db8::1", "2001:db8::2");
	memset(f + n, 0, 8);
	f[n] = 1;
	f[n + 1] = 4;
	n += 8;
	memcpy(f + n, inner, 40 + 8 + 8);
	n += 56;
	ip6_done(f + ip, n - ip);
	CHECK_INT(dec(&p, f, n), 4);
	CHECK_INT(p.anomalies, 0);
	CHECK(p.has_inner);
	CHECK_STR(astr(&p.inner_src), "2001:db8::2");
	CHECK_INT(p.inner_proto, NET_P_TCP);
	CHECK_INT(p.inner_sport, 33000);
	CHECK_INT(p.inner_dport, 25);
	/* The quote cut inside the IPv6 header. */
	ip6_done(f + ip, 40 + 8 + 30);
	CHECK_INT(dec(&p, f, 14 + 40 + 8 + 30), 4);
	CHECK_INT(p.anomalies, NET_ANOM_ICMP6_TRUNC);
	CHECK(!p.has_inner);
}

/* Captures. */

struct capture_counts {
	const char	*file;
	unsigned long	 pkts, ip, tcp, udp, icmp, arp;
	long		 anomalous;	/* packets with any anomaly; -1:
					   not asserted */
};

/* Counts checked against tcpdump 4.99 ('tcp', 'udp', 'icmp or icmp6',
 * 'arp', 'ip or ip6'); tcp/udp here count packets whose transport
 * header was decoded, so a non-first fragment is not counted (one in
 * stopddos_amp.TCP.reflection.SYNACK.pcap).  Anomalies: the captures
 * were read by hand (tcpdump -v); the only ones are the illegal flag
 * combinations of the two flag-probing captures.  Three captures have
 * IPv4 checksums of 0 from checksum offload, which are not counted. */
static const struct capture_counts capture_table[] = {
	{ "esnet_nmap_80_w_service_detection.pcap", 154, 154, 148, 0, 6, 0, 0 },
	{ "esnet_tcp_one_way_all_flags.pcap", 63, 63, 63, 0, 0, 0, 31 },
	{ "ndpi_dns_exfiltration.pcap", 300, 300, 0, 300, 0, 0, 0 },
	{ "ndpi_emotet.pcap", 169, 169, 169, 0, 0, 0, 0 },
	{ "ndpi_ftp_failed.pcap", 18, 18, 18, 0, 0, 0, 0 },
	{ "pcaphunt_hs-icmpScan.pcap", 512, 512, 0, 0, 512, 0, 0 },
	{ "pcaphunt_hs-tcp_synPingSweepRand.pcapng", 513, 513, 513, 0, 0, 0,
	  0 },
	{ "pcaphunt_ps-tcp_ack.pcap", 5004, 5004, 5004, 0, 0, 0, 0 },
	{ "pcaphunt_ps-tcp_syn.pcap", 4993, 4993, 4993, 0, 0, 0, 0 },
	{ "pcaphunt_ps-udp.pcap", 5862, 5862, 0, 5862, 0, 0, 0 },
	{ "ppa_activeosfingerprinting.pcapng", 48, 48, 40, 4, 4, 0, 12 },
	{ "ppa_http_dvwa_directorytraversal.pcapng", 10, 10, 10, 0, 0, 0, 0 },
	{ "ppa_http_dvwa_sqlinjection.pcapng", 35, 35, 35, 0, 0, 0, 0 },
	{ "ppa_http_espn.pcapng", 956, 956, 928, 28, 0, 0, 0 },
	{ "ppa_ratinfected.pcapng", 779, 779, 779, 0, 0, 0, 0 },
	{ "ppa_synscan.pcapng", 2011, 2011, 2011, 0, 0, 0, 0 },
	{ "ppa_tickedoffdeveloper.pcapng", 93, 93, 93, 0, 0, 0, 0 },
	{ "stopddos_amp.TCP.reflection.SYNACK.pcap", 8000, 7996, 7679, 163,
	  153, 4, 0 },
	{ "stopddos_amp.UDP.snmp.src161.pcapng", 4373, 4373, 0, 4079, 294, 0,
	  0 },
	{ "stopddos_pkt.TCP.synflood.spoofed.pcap", 37841, 37841, 37841, 0, 0,
	  0, 0 },
	{ "traceshare_ssh_hydra-1_tasks.pcap", 2486, 2486, 2486, 0, 0, 0, 0 },
	{ "traceshare_ssh_ncrack-paranoid.pcap", 2891, 2891, 2891, 0, 0, 0,
	  0 },
	{ "zeek_ftp_bruteforce.pcap", 606, 606, 606, 0, 0, 0, 0 },
	{ "zeek_ssh_sshguess.pcap", 431, 431, 431, 0, 0, 0, 0 },
	{ "zeek_wikipedia.pcap", 136, 126, 78, 48, 0, 6, 0 },
	{ "zeek_workshop_2011_browse.pcap", 121, 121, 121, 0, 0, 0, 0 },
};

/* What a few captures are known to hold (README table), counted per
 * packet by the callback. */
struct facts {
	unsigned long	 syn_from[2];	/* SYN-only from addr, to dst */
	unsigned long	 synack, rstack;
	unsigned long	 flagged_by_flags[256];
	unsigned long	 seen_flags[256];
	unsigned long	 to_victim;
	unsigned long	 inner;
};

static void
facts_packet(const char *file, const struct net_pkt *p, struct facts *x)
{
	char s[64], d[64];

	net_addr_str(&p->src, s, sizeof(s));
	net_addr_str(&p->dst, d, sizeof(d));
	if (p->proto == NET_P_TCP && p->l4 != NULL) {
		x->seen_flags[p->tcp_flags]++;
		if (p->anomalies & NET_ANOM_TCP_FLAGS)
			x->flagged_by_flags[p->tcp_flags]++;
		if (p->tcp_flags == NET_TH_SYN &&
		    strcmp(s, "172.16.0.8") == 0) {
			x->syn_from[0]++;
			if (strcmp(d, "64.13.134.52") == 0)
				x->syn_from[1]++;
		}
		if (p->tcp_flags == (NET_TH_SYN | NET_TH_ACK))
			x->synack++;
		if (p->tcp_flags == (NET_TH_RST | NET_TH_ACK))
			x->rstack++;
	}
	if (strcmp(d, "10.10.10.10") == 0)
		x->to_victim++;
	if (p->has_inner)
		x->inner++;
	(void)file;
}

static void
facts_check(const char *file, const struct facts *x)
{
	int fl;

	if (strcmp(file, "ppa_synscan.pcapng") == 0) {
		/* ~1000 ports, each probed once or twice. */
		CHECK(x->syn_from[1] >= 1980);
		CHECK_INT(x->syn_from[0], x->syn_from[1]);
		CHECK_INT(x->synack, 12);
		CHECK_INT(x->rstack, 5);
	} else if (strcmp(file, "esnet_tcp_one_way_all_flags.pcap") == 0) {
		/* One packet per combination of the six classic flags
		 * bar all six; flagged exactly by the documented rule. */
		for (fl = 0; fl < 64; fl++) {
			CHECK_INT(x->seen_flags[fl], fl == 63 ? 0 : 1);
			if (x->seen_flags[fl])
				CHECK_INT(x->flagged_by_flags[fl],
				    flags_bad((unsigned)fl));
		}
		CHECK_INT(x->flagged_by_flags[0], 1);		/* NULL */
		CHECK_INT(x->flagged_by_flags[NET_TH_FIN], 1);
		CHECK_INT(x->flagged_by_flags[NET_TH_FIN | NET_TH_PUSH |
		    NET_TH_URG], 1);				/* Xmas */
		CHECK_INT(x->flagged_by_flags[NET_TH_SYN | NET_TH_FIN], 1);
		CHECK_INT(x->flagged_by_flags[NET_TH_SYN], 0);
		CHECK_INT(x->flagged_by_flags[NET_TH_ACK], 0);
	} else if (strcmp(file, "ppa_activeosfingerprinting.pcapng") == 0) {
		CHECK_INT(x->flagged_by_flags[0], 4);
		CHECK_INT(x->flagged_by_flags[NET_TH_FIN | NET_TH_PUSH |
		    NET_TH_URG], 4);
		CHECK_INT(x->flagged_by_flags[NET_TH_SYN | NET_TH_FIN |
		    NET_TH_PUSH | NET_TH_URG], 4);
	} else if (strcmp(file, "stopddos_pkt.TCP.synflood.spoofed.pcap") ==
	    0) {
		CHECK_INT(x->to_victim, 37841);
		CHECK(x->seen_flags[NET_TH_SYN] > 37000);
	} else if (strcmp(file, "stopddos_amp.UDP.snmp.src161.pcapng") == 0) {
		/* Every ICMP message there is an error quoting a UDP
		 * packet. */
		CHECK_INT(x->inner, 294);
	}
}

TEST(captures)
{
	const char *shared = getenv("MAMORI_SHARED");
	char path[4096], errbuf[PCAP_ERRBUF_SIZE];
	size_t i;

	if (shared == NULL) {
		printf("captures: skipped (no MAMORI_SHARED)\n");
		return;
	}
	printf("%-42s %6s %6s %6s %6s %5s %4s %5s\n", "capture", "pkts", "ip",
	    "tcp", "udp", "icmp", "arp", "anom");
	for (i = 0; i < sizeof(capture_table) / sizeof(capture_table[0]); i++) {
		const struct capture_counts *c = &capture_table[i];
		struct capture_counts got;
		struct facts *x;
		struct pcap_pkthdr *h;
		const u_char *d;
		struct net_pkt p;
		pcap_t *pc;
		int lt, r;
		long anomalous = 0;

		snprintf(path, sizeof(path), "%s/data/pcaps/%s", shared,
		    c->file);
		if ((pc = pcap_open_offline(path, errbuf)) == NULL) {
			fprintf(stderr, "%s: %s\n", path, errbuf);
			CHECK(pc != NULL);
			continue;
		}
		if ((x = calloc(1, sizeof(*x))) == NULL) {
			pcap_close(pc);
			CHECK(x != NULL);
			continue;
		}
		memset(&got, 0, sizeof(got));
		lt = pcap_datalink(pc);
		while ((r = pcap_next_ex(pc, &h, &d)) == 1) {
			int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 +
			    (int64_t)h->ts.tv_usec * 1000;
			int layers = net_decode(&p, lt, d, h->caplen, h->len,
			    ts);

			got.pkts++;
			if (p.ipver != 0) {
				got.ip++;
				CHECK(layers >= 3);
			}
			if (p.l4 != NULL && p.proto == NET_P_TCP)
				got.tcp++;
			if (p.l4 != NULL && p.proto == NET_P_UDP)
				got.udp++;
			if (p.l4 != NULL && (p.proto == NET_P_ICMP ||
			    p.proto == NET_P_ICMP6))
				got.icmp++;
			if (p.is_arp)
				got.arp++;
			if (p.anomalies != 0)
				anomalous++;
			facts_packet(c->file, &p, x);
		}
		CHECK_INT(r, PCAP_ERROR_BREAK);
		pcap_close(pc);
		printf("%-42s %6lu %6lu %6lu %6lu %5lu %4lu %5ld\n", c->file,
		    got.pkts, got.ip, got.tcp, got.udp, got.icmp, got.arp,
		    anomalous);
		CHECK_INT(got.pkts, c->pkts);
		CHECK_INT(got.ip, c->ip);
		CHECK_INT(got.tcp, c->tcp);
		CHECK_INT(got.udp, c->udp);
		CHECK_INT(got.icmp, c->icmp);
		CHECK_INT(got.arp, c->arp);
		if (c->anomalous >= 0)
			CHECK_INT(anomalous, c->anomalous);
		facts_check(c->file, x);
		free(x);
	}
}

int
main(void)
{
	RUN(anomaly_names);
	RUN(addr_basics);
	RUN(tcp4_syn_full);
	RUN(tcp4_data_and_padding);
	RUN(udp4_padding);
	RUN(truncated_every_length);
	RUN(ip4_bad_header);
	RUN(ip4_options);
	RUN(ip4_fragments);
	RUN(tcp_header_and_options);
	RUN(tcp_flags);
	RUN(udp_lengths);
	RUN(land_addr_ttl);
	RUN(icmp_echo);
	RUN(icmp_error_inner);
	RUN(vlan_tags);
	RUN(arp);
	RUN(llc_and_snap);
	RUN(linux_cooked);
	RUN(raw_and_null);
	RUN(ip6_ext_headers);
	RUN(ip6_fragments);
	RUN(ip6_mapped_and_addr);
	RUN(icmp6);
	RUN(captures);
	return test_summary();
}
