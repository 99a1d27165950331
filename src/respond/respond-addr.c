/*
 * respond-addr.c - addresses and prefixes to block: parsing, the normal
 * form, overlap, and the allowlist check.
 *
 * The text comes from people (mamori block ADDR) and from logs (an
 * alert's srcip, which an attacker can shape), so the parser takes a
 * bounded (pointer, length), never reads past it, and accepts only what
 * RFC 4291 (IPv6 text, section 2.2; prefixes, 2.3), RFC 4632 (IPv4 CIDR)
 * and inet_pton() agree on.  IPv4-mapped IPv6 addresses (RFC 4291
 * 2.5.5.2) become IPv4: the kernel sees such a peer as IPv4 on the wire,
 * and an IPv6 set would never match it.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "respond/respond.h"

/* Copies untrusted s[0..len) into out for a message: printable ASCII as
 * is, the rest as \xNN, cut with "..." when it does not fit. */
static void
show(const char *s, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (outlen == 0)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 + 4 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < len && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int
bits_of(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* 1 when any bit of a->a after the first plen bits is set. */
static int
host_bits_set(const uint8_t *a, int plen, int bits)
{
	int i;

	for (i = plen; i < bits; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 1;
	return 0;
}

static void
clear_host_bits(uint8_t *a, int plen, int bits)
{
	int i;

	for (i = plen; i < bits; i++)
		a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* The prefix length in p[0..len): 1 to 3 digits, no leading zero. */
static int
parse_plen(const char *p, size_t len, int max)
{
	int v = 0;
	size_t i;

	if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v <= max ? v : -1;
}

int
respond_addr_parse(const char *s, size_t len, struct respond_addr *out,
    char *err, size_t errlen)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char buf[RESPOND_ADDR_MAXLEN + 1], shown[RESPOND_ADDR_MAXLEN * 4 + 8];
	char fixed[RESPOND_ADDR_STRLEN];
	const char *slash;
	struct respond_addr a;
	size_t alen;
	int plen = -1;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (len == 0) {
		mamori_seterr(err, errlen, "empty address");
		return MAMORI_EINVAL;
	}
	show(s, len, shown, sizeof(shown));
	if (len > RESPOND_ADDR_MAXLEN) {
		mamori_seterr(err, errlen, "'%s': too long for an address (%zu "
		    "bytes, at most %d)", shown, len, RESPOND_ADDR_MAXLEN);
		return MAMORI_ETOOBIG;
	}
	if (memchr(s, '\0', len) != NULL) {
		mamori_seterr(err, errlen, "'%s': a NUL byte in an address", shown);
		return MAMORI_EINVAL;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr(buf, '%') != NULL) {
		mamori_seterr(err, errlen, "'%s': an address with a zone id cannot "
		    "be blocked (leave out the %%...)", shown);
		return MAMORI_EINVAL;
	}
	alen = len;
	if ((slash = memchr(buf, '/', len)) != NULL) {
		alen = (size_t)(slash - buf);
		buf[alen] = '\0';
	}
	if (memchr(buf, ':', alen) != NULL) {
		a.family = AF_INET6;
		if (inet_pton(AF_INET6, buf, a.a) != 1) {
			mamori_seterr(err, errlen, "'%s': not an IPv6 address",
			    shown);
			return MAMORI_EINVAL;
		}
	} else {
		a.family = AF_INET;
		if (inet_pton(AF_INET, buf, a.a) != 1) {
			mamori_seterr(err, errlen, "'%s': not an IP address or "
			    "prefix (expected 192.0.2.7, 192.0.2.0/24, "
			    "2001:db8::1 or 2001:db8::/32)", shown);
			return MAMORI_EINVAL;
		}
	}
	if (slash != NULL) {
		plen = parse_plen(slash + 1, len - alen - 1,
		    bits_of(a.family));
		if (plen < 0) {
			mamori_seterr(err, errlen, "'%s': the prefix length must be "
			    "a number from 0 to %d", shown,
			    bits_of(a.family));
			return MAMORI_EINVAL;
		}
	} else
		plen = bits_of(a.family);
	a.prefix = plen;
	if (a.family == AF_INET6 && plen >= 96 &&
	    memcmp(a.a, mapped, sizeof(mapped)) == 0) {
		memmove(a.a, a.a + 12, 4);
		memset(a.a + 4, 0, 12);
		a.family = AF_INET;
		a.prefix = plen - 96;
	}
	if (host_bits_set(a.a, a.prefix, bits_of(a.family))) {
		clear_host_bits(a.a, a.prefix, bits_of(a.family));
		mamori_seterr(err, errlen, "'%s': host bits are set after the "
		    "/%d prefix (did you mean %s?)", shown, a.prefix,
		    respond_addr_format(&a, fixed));
		return MAMORI_EINVAL;
	}
	*out = a;
	return 0;
}

char *
respond_addr_format(const struct respond_addr *a, char *buf)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family, a->a, ip, sizeof(ip)) == NULL) {
		snprintf(buf, RESPOND_ADDR_STRLEN, "?");
		return buf;
	}
	if (a->prefix == bits_of(a->family))
		snprintf(buf, RESPOND_ADDR_STRLEN, "%s", ip);
	else
		snprintf(buf, RESPOND_ADDR_STRLEN, "%s/%d", ip, a->prefix);
	return buf;
}

/* 1 when the first n bits of x and y agree. */
static int
same_bits(const uint8_t *x, const uint8_t *y, int n)
{
	int full = n / 8, rest = n % 8;
	uint8_t mask;

	if (memcmp(x, y, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

int
respond_addr_overlaps(const struct respond_addr *a,
    const struct respond_addr *b)
{
	if (a->family != b->family)
		return 0;
	return same_bits(a->a, b->a, a->prefix < b->prefix ? a->prefix :
	    b->prefix);
}

int
respond_addr_contains(const struct respond_addr *outer,
    const struct respond_addr *inner)
{
	return outer->family == inner->family &&
	    outer->prefix <= inner->prefix &&
	    same_bits(outer->a, inner->a, outer->prefix);
}

int
respond_addr_equal(const struct respond_addr *a,
    const struct respond_addr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	    memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

/* Refusal message for a against allowlist entry e. */
static int
refuse(const struct respond_addr *a, const struct respond_addr *e,
    const char *why, char *err, size_t errlen)
{
	char as[RESPOND_ADDR_STRLEN], es[RESPOND_ADDR_STRLEN];

	respond_addr_format(a, as);
	respond_addr_format(e, es);
	if (respond_addr_equal(a, e))
		mamori_seterr(err, errlen, "%s is on the allowlist (%s) and is "
		    "never blocked", as, why);
	else
		mamori_seterr(err, errlen, "%s overlaps the allowlist entry %s "
		    "(%s), which is never blocked", as, es, why);
	return 1;
}

int
respond_allowlisted(const struct respond_conf *c,
    const struct respond_addr *a, int local, char *err, size_t errlen)
{
	struct respond_addr lo4 = { AF_INET, 8, { 127 } };
	struct respond_addr lo6 = { AF_INET6, 128, { 0 } };
	struct ifaddrs *ifs, *i;
	struct respond_addr e;
	char why[64 + IF_NAMESIZE];
	size_t k;
	int hit = 0;

	lo6.a[15] = 1;
	for (k = 0; k < c->nallowlist; k++)
		if (respond_addr_overlaps(a, &c->allowlist[k]))
			return refuse(a, &c->allowlist[k],
			    "respond.allowlist", err, errlen);
	if (respond_addr_overlaps(a, &lo4))
		return refuse(a, &lo4, "loopback", err, errlen);
	if (respond_addr_overlaps(a, &lo6))
		return refuse(a, &lo6, "loopback", err, errlen);
	if (!local)
		return 0;
	if (getifaddrs(&ifs) != 0) {
		mamori_seterr(err, errlen, "cannot read this machine's own "
		    "addresses (getifaddrs): %s", strerror(errno));
		return MAMORI_ESYS;
	}
	for (i = ifs; i != NULL && !hit; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&e, 0, sizeof(e));
		if (i->ifa_addr->sa_family == AF_INET) {
			e.family = AF_INET;
			e.prefix = 32;
			memcpy(e.a, &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			e.family = AF_INET6;
			e.prefix = 128;
			memcpy(e.a, &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, 16);
		} else
			continue;
		if (respond_addr_overlaps(a, &e)) {
			snprintf(why, sizeof(why), "this machine's own "
			    "address on %s", i->ifa_name);
			hit = refuse(a, &e, why, err, errlen);
		}
	}
	freeifaddrs(ifs);
	return hit;
}

int
respond_internal(const struct respond_conf *c, const struct respond_addr *a)
{
	size_t k;

	for (k = 0; k < c->ninternal; k++)
		if (respond_addr_overlaps(a, &c->internal[k]))
			return 1;
	return 0;
}
