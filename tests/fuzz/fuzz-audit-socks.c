/*
 * fuzz-audit-socks.c - libFuzzer harness for the /proc/net/{tcp,udp}{,6}
 * parser (audit_socks_parse(); host/audit-sock.c), which the listener
 * audit and the hidden-port rootcheck feed with files that a fake root,
 * a mounted disk or a doctored bind mount may hold.
 *
 * The first byte picks the table (bit 0: UDP, bit 1: IPv6); the rest is
 * the file.  Besides what ASan and UBSan catch, it checks that every
 * line but the header is either a socket or counted bad, that each
 * socket carries the table's protocol and family, that formatting one
 * stays within its buffer and names the protocol, and that parsing is
 * deterministic.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_socks a, b;
	char buf[96];
	size_t i, lines = 0, nonempty = 0;
	const char *p, *e, *end;
	int proto, family, ra, rb;

	if (size < 1)
		return 0;
	proto = (data[0] & 1) ? IPPROTO_UDP : IPPROTO_TCP;
	family = (data[0] & 2) ? AF_INET6 : AF_INET;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (lines++ > 0 && e > p)
			nonempty++;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = audit_socks_parse(&a, (const char *)data + 1, size - 1, proto,
	    family);
	rb = audit_socks_parse(&b, (const char *)data + 1, size - 1, proto,
	    family);
	if (ra != 0 || rb != 0 || a.n != b.n || a.bad != b.bad)
		abort();
	if (a.n + a.bad != nonempty)
		abort();
	if (a.n > 0 && memcmp(a.v, b.v, a.n * sizeof(*a.v)) != 0)
		abort();
	for (i = 0; i < a.n; i++) {
		if (a.v[i].proto != proto || a.v[i].family != family)
			abort();
		if (family == AF_INET && (memcmp(a.v[i].laddr + 4,
		    "\0\0\0\0\0\0\0\0\0\0\0\0", 12) != 0))
			abort();
		audit_sock_format(&a.v[i], buf, sizeof(buf));
		if (memchr(buf, '\0', sizeof(buf)) == NULL ||
		    strncmp(buf, proto == IPPROTO_TCP ? "tcp/" : "udp/", 4) !=
		    0)
			abort();
		(void)audit_sock_listening(&a.v[i]);
	}
	audit_socks_release(&a);
	audit_socks_release(&b);
	return 0;
}
