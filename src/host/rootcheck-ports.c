/*
 * rootcheck-ports.c - hidden ports.
 *
 * netstat and ss read /proc/net/tcp and friends (or ask sock_diag); a
 * rootkit that filters those hides its listener from them, but the
 * kernel still refuses to bind a second socket to the port.  For each
 * of TCP and UDP, IPv4 and IPv6, every port 1..65535 is bound on the
 * wildcard address and released at once (no listen(), so no service
 * sees a connection or loses one); a port that cannot be bound
 * (EADDRINUSE) and that no socket in /proc/net uses, in any state and
 * either family, is a candidate, re-checked `rechecks` times.
 *
 * TCP probes set SO_REUSEADDR, so that connections in TIME_WAIT do not
 * make ports look busy; IPv6 probes set IPV6_V6ONLY, so that they do not
 * collide with IPv4 sockets.  A socket that is bound but neither
 * listening nor connected is not in /proc/net; a program that holds one
 * for long looks like a hidden port (rare: documented in
 * docs/rootcheck.md).  Ports below 1024 need root; without it they are
 * not probed.  Cost: 262,140 socket/bind/close triples, about a second.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/rootcheck.h"

#define NPORTS	65536

/* 1: in use, 0: free, -1: cannot tell (EACCES...), -2: no such family. */
static int
busy(int family, int type, unsigned port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	int fd, one = 1, r, e;

	if ((fd = socket(family, type | SOCK_CLOEXEC, 0)) < 0)
		return errno == EAFNOSUPPORT ? -2 : -1;
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	if (family == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = in6addr_any;
		s6.sin6_port = htons((uint16_t)port);
		r = bind(fd, (struct sockaddr *)&s6, sizeof(s6));
	} else {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		s4.sin_port = htons((uint16_t)port);
		r = bind(fd, (struct sockaddr *)&s4, sizeof(s4));
	}
	e = errno;
	close(fd);
	if (r == 0)
		return 0;
	return e == EADDRINUSE ? 1 : -1;
}

/* The ports /proc/net shows for proto (either family, any state). */
static int
visible(struct audit_ctx *c, int proto, uint8_t *seen)
{
	struct audit_socks s;
	size_t i;
	int r;

	memset(seen, 0, NPORTS);
	memset(&s, 0, sizeof(s));
	r = audit_socks_read(c, &s, proto == IPPROTO_TCP,
	    proto == IPPROTO_UDP);
	for (i = 0; i < s.n; i++)
		if (s.v[i].proto == proto)
			seen[s.v[i].lport] = 1;
	audit_socks_release(&s);
	return r;
}

static int
report(struct audit_ctx *c, int proto, int family, unsigned port)
{
	char subject[32];
	const char *pn = proto == IPPROTO_TCP ? "tcp" : "udp";
	json_t *x;
	int r;

	snprintf(subject, sizeof(subject), "%s/%u", pn, port);
	x = json_pack("{s:s, s:i, s:s}", "proto", pn, "port", (int)port,
	    "family", family == AF_INET6 ? "ipv6" : "ipv4");
	if (x == NULL)
		return MAMORI_ENOMEM;
	r = audit_emitf(c, "hidden", AUDIT_SEV_CRITICAL, subject,
	    "treat the host as compromised: a port the kernel holds but "
	    "does not list is a rootkit's listener; look at the traffic to "
	    "it from another host (tcpdump on the wire) and keep the "
	    "evidence", x, "%s port %u (%s) is in use (it cannot be bound) "
	    "but no socket in /proc/net has it", pn, port,
	    family == AF_INET6 ? "IPv6" : "IPv4");
	json_decref(x);
	return r;
}

int
rootcheck_check_ports(struct audit_ctx *c, const struct rootcheck_conf *conf)
{
	static const struct {
		int	 proto;
		int	 type;
		int	 family;
	} kinds[] = {
		{ IPPROTO_TCP, SOCK_STREAM, AF_INET },
		{ IPPROTO_TCP, SOCK_STREAM, AF_INET6 },
		{ IPPROTO_UDP, SOCK_DGRAM, AF_INET },
		{ IPPROTO_UDP, SOCK_DGRAM, AF_INET6 },
	};
	uint8_t *seen = NULL;
	unsigned *cand = NULL, port;
	size_t nc, i, k, kk, denied = 0;
	int r = 0, b, round;

	if (!c->live) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "needs the running system (--root /)");
		return 0;
	}
	if ((seen = malloc(NPORTS)) == NULL ||
	    (cand = malloc(NPORTS * sizeof(*cand))) == NULL) {
		free(seen);
		return MAMORI_ENOMEM;
	}
	for (k = 0; r == 0 && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		nc = 0;
		for (port = 1; port < NPORTS; port++) {
			b = busy(kinds[k].family, kinds[k].type, port);
			if (b == -2)
				break;		/* no IPv6 here */
			if (b == -1)
				denied++;
			if (b == 1)
				cand[nc++] = port;
		}
		for (round = 0; nc > 0 && round <= conf->rechecks; round++) {
			if (round > 0) {
				for (i = kk = 0; i < nc; i++)
					if (busy(kinds[k].family,
					    kinds[k].type, cand[i]) == 1)
						cand[kk++] = cand[i];
				if ((nc = kk) == 0)
					break;
			}
			if ((r = visible(c, kinds[k].proto, seen)) != 0)
				break;
			for (i = kk = 0; i < nc; i++)
				if (!seen[cand[i]])
					cand[kk++] = cand[i];
			nc = kk;
		}
		if (r != 0) {
			if (r != MAMORI_ENOMEM)
				r = audit_fail(c, "cannot read /proc/net: %s",
				    mamori_strerror(r));
			break;
		}
		for (i = 0; r == 0 && i < nc; i++)
			r = report(c, kinds[k].proto, kinds[k].family,
			    cand[i]);
	}
	if (r == 0 && denied > 0)
		audit_note(c, "%zu port%s could not be probed (ports below "
		    "1024 need root)", denied, denied == 1 ? "" : "s");
	free(seen);
	free(cand);
	return r;
}
