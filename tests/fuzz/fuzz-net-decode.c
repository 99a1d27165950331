/*
 * fuzz-net-decode.c - libFuzzer harness for net_decode(), which reads
 * every captured packet, whoever sent it.
 *
 * Input: the first byte chooses the link type (its low 7 bits, modulo
 * the list below) and whether the packet was longer on the wire than
 * captured (its high bit: a snap length cut 100 bytes); the rest is the
 * captured frame, copied into a buffer of exactly its size so that ASan
 * sees any read past it.  Checks: the decoder returns a known layer
 * count and only known anomaly bits; every pointer it sets lies inside
 * the frame with its length; the payload is no longer than the headers
 * say; fields of layers not reached are zero; a non-first fragment has
 * no transport header; and decoding again gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_ANOM	0x01ffffffu

static const int links[] = {
	NET_LINK_NULL, NET_LINK_ETHERNET, NET_LINK_RAW, NET_LINK_LINUX_SLL,
	NET_LINK_IPV4, NET_LINK_IPV6, NET_LINK_LINUX_SLL2, NET_LINK_DLT_RAW,
	NET_LINK_DLT_RAW14, 108, 9999
};

/* p..p+len inside buf..buf+n; a NULL pointer has length 0. */
static int
inside(const uint8_t *buf, size_t n, const uint8_t *p, uint32_t len)
{
	if (p == NULL)
		return len == 0;
	return p >= buf && p <= buf + n && len <= (size_t)(buf + n - p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_pkt p, q;
	uint8_t *buf;
	size_t n;
	uint32_t wire, bit;
	int link, r;

	if (size < 1 || size > 70000)
		return 0;
	link = links[(data[0] & 0x7f) % (sizeof(links) / sizeof(links[0]))];
	n = size - 1;
	wire = (uint32_t)n + ((data[0] & 0x80) ? 100 : 0);
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, n);

	r = net_decode(&p, link, buf, (uint32_t)n, wire, 7);
	if (r != 0 && r != 2 && r != 3 && r != 4)
		abort();
	if ((p.anomalies & ~ALL_ANOM) != 0)
		abort();
	for (bit = 1; bit != 0; bit <<= 1)
		if ((p.anomalies & bit) && net_anomaly_name(bit) == NULL)
			abort();
	if (p.data != buf || p.caplen != n || p.wirelen != wire ||
	    p.linktype != link || p.ts_ns != 7)
		abort();
	if (!inside(buf, n, p.l3, p.l3len) || !inside(buf, n, p.l4, p.l4len) ||
	    !inside(buf, n, p.payload, p.plen))
		abort();
	if (p.plen > p.plen_wire)
		abort();
	if (p.nvlan < 0 || p.nvlan > 2)
		abort();

	if (p.ipver != 0 && p.ipver != 4 && p.ipver != 6)
		abort();
	if (p.ipver == 0) {
		/* No IP: no IP fields, no transport. */
		if (p.l3 != NULL || p.l4 != NULL || p.payload != NULL ||
		    p.proto != 0 || p.src.family != 0 || p.dst.family != 0 ||
		    p.sport != 0 || p.tcp_flags != 0 || p.has_inner ||
		    r > 2)
			abort();
	} else {
		if (r < 3 || p.l3 == NULL || p.is_arp)
			abort();
		if ((p.src.family != 4 && p.src.family != 6) ||
		    (p.dst.family != 4 && p.dst.family != 6))
			abort();
		/* Transport after the IP header, inside what it covers. */
		if (p.l4 != NULL && (p.l4 < p.l3 + (p.ipver == 4 ? 20 : 40) ||
		    p.l4 + p.l4len > p.l3 + p.l3len))
			abort();
		if (p.payload != NULL && p.payload < p.l3 + 20)
			abort();
	}
	if (p.l4 == NULL && (p.sport != 0 || p.dport != 0 || p.tcp_hlen != 0))
		abort();
	if (r == 4 && p.l4 == NULL)
		abort();
	if (p.frag_off != 0 && (p.l4 != NULL || !p.is_frag))
		abort();
	if (p.has_inner && p.proto != NET_P_ICMP && p.proto != NET_P_ICMP6)
		abort();
	if (p.is_arp && (p.arp_spa.family != 4 || p.arp_tpa.family != 4))
		abort();
	if (p.proto == NET_P_TCP && p.payload != NULL && p.l4 != NULL &&
	    p.payload != p.l4 + p.tcp_hlen)
		abort();
	if (p.proto == NET_P_UDP && p.payload != NULL && p.l4 != NULL &&
	    p.payload != p.l4 + 8)
		abort();

	/* Deterministic, and nothing left over from the last packet. */
	memset(&q, 0xa5, sizeof(q));
	if (net_decode(&q, link, buf, (uint32_t)n, wire, 7) != r ||
	    memcmp(&p, &q, sizeof(p)) != 0)
		abort();
	free(buf);
	return 0;
}
