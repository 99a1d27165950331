/*
 * net-addr.c - struct net_addr: text, equality and a hash.
 *
 * Every decoded packet and every flow carries two of these, and the flow
 * table and the detectors hash them per packet, so equality compares only
 * the bytes the family uses and the hash is a few multiplications.
 * IPv4-mapped IPv6 addresses are stored as IPv4 by the decoder (net.h),
 * so "::ffff:10.0.0.1" and "10.0.0.1" are one address here.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net/net.h"

char *
net_addr_str(const struct net_addr *a, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (a == NULL || (a->family != 4 && a->family != 6) ||
	    inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, buf,
	    (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

int
net_addr_eq(const struct net_addr *x, const struct net_addr *y)
{
	if (x->family != y->family)
		return 0;
	if (x->family == 4)
		return memcmp(x->a, y->a, 4) == 0;
	if (x->family == 6)
		return memcmp(x->a, y->a, 16) == 0;
	return 1;	/* both "none" */
}

uint32_t
net_addr_hash(const struct net_addr *a, uint32_t seed)
{
	uint64_t w0 = 0, w1 = 0, h;

	if (a->family == 4) {
		uint32_t v;

		memcpy(&v, a->a, 4);
		w0 = v;
	} else if (a->family == 6) {
		memcpy(&w0, a->a, 8);
		memcpy(&w1, a->a + 8, 8);
	}
	h = net_mix64(w0 ^ ((uint64_t)seed << 32 | a->family));
	h = net_mix64(h ^ w1 ^ 0x9e3779b97f4a7c15ULL);
	return (uint32_t)(h ^ (h >> 32));
}
