/*
 * audit-sock.c - the kernel's socket tables as /proc/net/tcp, tcp6, udp
 * and udp6 print them (net/ipv4/tcp_ipv4.c get_tcp4_sock(),
 * net/ipv6/tcp_ipv6.c get_tcp6_sock(), net/ipv4/udp.c udp4_format_sock()):
 *
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when
 *       retrnsmt   uid  timeout inode ...
 *    0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000
 *       00000000     0        0 21762 1 ...
 *
 * An IPv4 address is the 32-bit word as the host holds it, printed %08X;
 * an IPv6 address four such words; the port is in host order.  The
 * listener audit and the hidden-port rootcheck read these files; both
 * treat them as untrusted text (a fake root, or a doctored bind mount,
 * is still parsed safely).  Also: the listener inventory's entries.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "host/audit.h"

#define SOCKS_FILE_MAX	(256u << 20)

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly n hex digits at p into *v (n <= 8). */
static int
hex32(const char *p, size_t n, uint32_t *v)
{
	size_t i;
	int h;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		*v = (*v << 4) | (uint32_t)h;
	}
	return 0;
}

/* "HEXADDR:HEXPORT" in t[0..n) for family. */
static int
addr_port(const char *t, size_t n, int family, uint8_t *addr,
    uint16_t *port)
{
	size_t alen = family == AF_INET ? 8 : 32, i;
	uint32_t w;

	if (n != alen + 5 || t[alen] != ':')
		return -1;
	memset(addr, 0, 16);
	for (i = 0; i < alen / 8; i++) {
		if (hex32(t + i * 8, 8, &w) != 0)
			return -1;
		memcpy(addr + i * 4, &w, 4);
	}
	if (hex32(t + alen + 1, 4, &w) != 0)
		return -1;
	*port = (uint16_t)w;
	return 0;
}

static int
dec64(const char *t, size_t n, uint64_t max, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		if (*v > (max - (uint64_t)(t[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(t[i] - '0');
	}
	return 0;
}

/* Splits line[0..n) on spaces; fills up to max tokens; returns count. */
static size_t
tokens(const char *line, size_t n, const char **tok, size_t *tlen,
    size_t max)
{
	size_t i = 0, k = 0, s;

	while (k < max) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n)
			break;
		s = i;
		while (i < n && line[i] != ' ' && line[i] != '\t')
			i++;
		tok[k] = line + s;
		tlen[k] = i - s;
		k++;
	}
	return k;
}

static int
parse_line(const char *line, size_t n, int proto, int family,
    struct audit_sock *k)
{
	const char *tok[10];
	size_t tlen[10];
	uint32_t st;
	uint64_t v;

	if (tokens(line, n, tok, tlen, 10) < 10)
		return -1;
	if (tlen[0] < 2 || tok[0][tlen[0] - 1] != ':' ||
	    dec64(tok[0], tlen[0] - 1, UINT32_MAX, &v) != 0)
		return -1;
	memset(k, 0, sizeof(*k));
	k->proto = (uint8_t)proto;
	k->family = (uint8_t)family;
	if (addr_port(tok[1], tlen[1], family, k->laddr, &k->lport) != 0 ||
	    addr_port(tok[2], tlen[2], family, k->raddr, &k->rport) != 0)
		return -1;
	if (tlen[3] != 2 || hex32(tok[3], 2, &st) != 0)
		return -1;
	k->state = (uint8_t)st;
	if (dec64(tok[7], tlen[7], UINT32_MAX, &v) != 0)
		return -1;
	k->uid = (uint32_t)v;
	if (dec64(tok[9], tlen[9], UINT64_MAX, &v) != 0)
		return -1;
	k->inode = v;
	return 0;
}

int
audit_socks_parse(struct audit_socks *s, const char *p, size_t len,
    int proto, int family)
{
	struct audit_sock k, *nv;
	const char *e, *end = p + len;
	size_t ncap;
	int first = 1;

	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (first) {		/* the header */
			first = 0;
			continue;
		}
		if (e == p)
			continue;
		if (parse_line(p, (size_t)(e - p), proto, family, &k) != 0) {
			s->bad++;
			continue;
		}
		if (s->n == s->cap) {
			if (s->n >= AUDIT_SOCKS_MAX)
				return MAMORI_ETOOBIG;
			ncap = s->cap ? s->cap * 2 : 64;
			if ((nv = realloc(s->v, ncap * sizeof(*nv))) == NULL)
				return MAMORI_ENOMEM;
			s->v = nv;
			s->cap = ncap;
		}
		s->v[s->n++] = k;
	}
	return 0;
}

void
audit_socks_release(struct audit_socks *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int
audit_socks_read(const struct audit_ctx *c, struct audit_socks *s,
    int want_tcp, int want_udp)
{
	static const struct {
		const char	*path;
		int		 proto;
		int		 family;
	} files[] = {
		{ "/proc/net/tcp", IPPROTO_TCP, AF_INET },
		{ "/proc/net/tcp6", IPPROTO_TCP, AF_INET6 },
		{ "/proc/net/udp", IPPROTO_UDP, AF_INET },
		{ "/proc/net/udp6", IPPROTO_UDP, AF_INET6 },
	};
	size_t i, len, found = 0;
	char *buf;
	int r;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((files[i].proto == IPPROTO_TCP && !want_tcp) ||
		    (files[i].proto == IPPROTO_UDP && !want_udp))
			continue;
		r = audit_read(c, files[i].path, SOCKS_FILE_MAX, &buf, &len);
		if (r == MAMORI_ENOTFOUND)
			continue;	/* no IPv6, say */
		if (r != 0)
			return r;
		found++;
		r = audit_socks_parse(s, buf, len, files[i].proto,
		    files[i].family);
		free(buf);
		if (r != 0)
			return r;
	}
	return found > 0 ? 0 : MAMORI_ENOTFOUND;
}

int
audit_sock_listening(const struct audit_sock *k)
{
	static const uint8_t zero[16];

	if (k->proto == IPPROTO_TCP)
		return k->state == 0x0a;
	/* UDP: bound and not connected (TCP_CLOSE, no peer). */
	return k->state == 0x07 && k->rport == 0 &&
	    memcmp(k->raddr, zero, 16) == 0;
}

void
audit_sock_format(const struct audit_sock *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const char *proto = k->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (inet_ntop(k->family, k->laddr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	if (k->family == AF_INET6)
		snprintf(buf, len, "%s/[%s]:%u", proto, a, k->lport);
	else
		snprintf(buf, len, "%s/%s:%u", proto, a, k->lport);
}

int
audit_listen_parse(const char *s, struct audit_listen *l, char *err,
    size_t errlen)
{
	const char *p = s, *colon, *ps, *e;
	char addr[INET6_ADDRSTRLEN + 2];
	unsigned long port;
	char *end;
	size_t n;

	memset(l, 0, sizeof(*l));
	if (strncasecmp(p, "tcp/", 4) == 0)
		l->proto = IPPROTO_TCP;
	else if (strncasecmp(p, "udp/", 4) == 0)
		l->proto = IPPROTO_UDP;
	else {
		mamori_seterr(err, errlen, "expected tcp/PORT or udp/PORT "
		    "(optionally tcp/ADDRESS:PORT and a program name)");
		return MAMORI_EINVAL;
	}
	p += 4;
	for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
		;
	/* p..e is [ADDR:]PORT */
	if (*p == '[') {
		if ((colon = memchr(p, ']', (size_t)(e - p))) == NULL ||
		    colon[1] != ':') {
			mamori_seterr(err, errlen, "an IPv6 address is "
			    "written [ADDRESS]:PORT");
			return MAMORI_EINVAL;
		}
		n = (size_t)(colon - p - 1);
		ps = colon + 2;
		if (n >= sizeof(addr)) {
			mamori_seterr(err, errlen, "bad IPv6 address");
			return MAMORI_EINVAL;
		}
		memcpy(addr, p + 1, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET6, addr, l->addr) != 1) {
			mamori_seterr(err, errlen, "bad IPv6 address '%s'",
			    addr);
			return MAMORI_EINVAL;
		}
		l->family = AF_INET6;
	} else if ((colon = memchr(p, ':', (size_t)(e - p))) != NULL) {
		n = (size_t)(colon - p);
		ps = colon + 1;
		if (n == 1 && *p == '*')
			l->family = 0;
		else {
			if (n >= sizeof(addr)) {
				mamori_seterr(err, errlen, "bad IPv4 address");
				return MAMORI_EINVAL;
			}
			memcpy(addr, p, n);
			addr[n] = '\0';
			if (inet_pton(AF_INET, addr, l->addr) != 1) {
				mamori_seterr(err, errlen, "bad IPv4 address "
				    "'%s' (write IPv6 as [ADDRESS]:PORT)",
				    addr);
				return MAMORI_EINVAL;
			}
			l->family = AF_INET;
		}
	} else
		ps = p;
	if (ps >= e || !isdigit((unsigned char)*ps)) {
		mamori_seterr(err, errlen, "expected a port number");
		return MAMORI_EINVAL;
	}
	errno = 0;
	port = strtoul(ps, &end, 10);
	if (end != e || errno != 0 || port < 1 || port > 65535) {
		mamori_seterr(err, errlen, "expected a port from 1 to 65535");
		return MAMORI_EINVAL;
	}
	l->port = (uint16_t)port;
	while (*e == ' ' || *e == '\t')
		e++;
	if (*e != '\0') {
		for (p = e; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			;
		n = (size_t)(p - e);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0') {
			mamori_seterr(err, errlen, "one program name after "
			    "the port, without spaces");
			return MAMORI_EINVAL;
		}
		if ((l->program = strndup(e, n)) == NULL)
			return MAMORI_ENOMEM;
	}
	return 0;
}
