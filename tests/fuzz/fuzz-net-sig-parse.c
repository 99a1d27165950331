/*
 * fuzz-net-sig-parse.c - libFuzzer harness for the signature parser
 * (net-sig-parse.c) and, for what loads, the matcher and TCP
 * reassembly (net-sig-match.c, net-stream.c).  Organisations load
 * third-party rule sets, so rule text is untrusted input.
 *
 * Input: rule text up to the first NUL; the bytes after it (or the text
 * itself when there is no NUL) are a payload sent through the loaded
 * rules as a TCP conversation (in two segments, the second first, so
 * reassembly holds and fills a hole), a UDP datagram and an ICMP echo,
 * and then read as a schedule of TCP segments (run_schedule()).
 * Besides what ASan and UBSan catch, it checks that a refused set says
 * why as "fuzz.rules:LINE: reason" in printable ASCII and leaves nothing
 * behind; that a loaded set has no more rules than lines; and that every
 * detection names a rule of the set with a sane severity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-flow.h"
#include "net/net-sig.h"

#define MAX_INPUT	(256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_detection(void *arg, const struct net_detection *d)
{
	const struct net_sigset *s = arg;
	struct net_sig_info in;

	if (net_sig_info(s, d->sid, &in) != 0)
		abort();
	if (d->severity < 1 || d->severity > 4)
		abort();
	if (memchr(d->text, '\0', sizeof(d->text)) == NULL)
		abort();
	if (strcmp(d->kind, "signature") != 0 || d->count == 0)
		abort();
}

static void
pkt(struct net_pkt *p, uint8_t proto, int dir, const uint8_t *pl,
    uint32_t len)
{
	static const uint8_t l4[20];

	memset(p, 0, sizeof(*p));
	p->ts_ns = 1000000000LL;
	p->ipver = 4;
	p->src.family = p->dst.family = 4;
	memcpy(p->src.a, dir ? "\x0a\x00\x00\x02" : "\x0a\x00\x00\x01", 4);
	memcpy(p->dst.a, dir ? "\x0a\x00\x00\x01" : "\x0a\x00\x00\x02", 4);
	p->proto = proto;
	p->l4 = l4;
	p->sport = dir ? 80 : 40000;
	p->dport = dir ? 40000 : 80;
	p->payload = pl;
	p->plen = p->plen_wire = len;
}

static void
run(const struct net_sigset *s, const uint8_t *pl, uint32_t len)
{
	struct net_sig_ctx *c = net_sig_ctx_new(s);
	struct net_flow f;
	struct net_pkt p;
	uint32_t half = len / 2;
	int i;

	if (c == NULL)
		abort();
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.established = 1;
	f.orig_pkts = f.resp_pkts = 1;
	pkt(&p, 6, 0, NULL, 0);
	p.tcp_flags = 0x02;
	p.tcp_seq = 0xfffffff0u;
	net_sig_packet(c, &p, &f, 0, check_detection, (void *)s);
	pkt(&p, 6, 1, NULL, 0);
	p.tcp_flags = 0x12;
	p.tcp_seq = 7;
	p.tcp_ack = 0xfffffff1u;
	net_sig_packet(c, &p, &f, 1, check_detection, (void *)s);
	/* Second half first: held, then delivered with the first. */
	pkt(&p, 6, 0, pl + half, len - half);
	p.tcp_flags = 0x18;
	p.tcp_seq = 0xfffffff1u + half;
	p.tcp_ack = 8;
	net_sig_packet(c, &p, &f, 0, check_detection, (void *)s);
	pkt(&p, 6, 0, pl, half);
	p.tcp_flags = 0x18;
	p.tcp_seq = 0xfffffff1u;
	p.tcp_ack = 8;
	net_sig_packet(c, &p, &f, 0, check_detection, (void *)s);
	pkt(&p, 6, 1, pl, len);
	p.tcp_flags = 0x19;
	p.tcp_seq = 8;
	p.tcp_ack = 0xfffffff1u + len;
	net_sig_packet(c, &p, &f, 1, check_detection, (void *)s);
	for (i = 0; i < NET_FLOW_NEXT; i++)
		if (f.ext[i] != NULL)
			f.ext[i]->free(f.ext[i]);
	pkt(&p, 17, 0, pl, len);
	net_sig_packet(c, &p, NULL, 0, check_detection, (void *)s);
	pkt(&p, 1, 0, pl, len);
	p.icmp_type = 8;
	net_sig_packet(c, &p, NULL, 0, check_detection, (void *)s);
	net_sig_ctx_free(c);
}

/*
 * The payload as a schedule of TCP segments for the reassembly: each 4
 * bytes are a direction, flags, a stream offset (so segments overlap,
 * leave holes, come out of order and wrap the sequence space) and a
 * length; the data are the payload's bytes.  Small window and hold area
 * so their edges are reached.
 */
static void
run_schedule(const struct net_sigset *s, const uint8_t *pl, uint32_t len)
{
	struct net_sig_conf conf;
	struct net_sig_ctx *c;
	struct net_flow f;
	struct net_pkt p;
	uint32_t isn[2], i, nseg = 0;
	int k;

	if (len < 8)
		return;
	net_sig_conf_init(&conf);
	conf.stream_window = 256;
	conf.stream_ooo = 512;
	conf.threshold_slots = 64;
	if ((c = net_sig_ctx_new_conf(s, &conf)) == NULL)
		abort();
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.established = 1;
	f.orig_pkts = f.resp_pkts = 1;
	isn[0] = (uint32_t)pl[0] << 24 | 0xffff00u;
	isn[1] = (uint32_t)pl[1] << 24 | 0xfffe00u;
	for (k = 0; k < 2; k++) {
		pkt(&p, 6, k, NULL, 0);
		p.tcp_flags = k ? 0x12 : 0x02;
		p.tcp_seq = isn[k];
		p.tcp_ack = k ? isn[0] + 1 : 0;
		net_sig_packet(c, &p, &f, k, check_detection, (void *)s);
	}
	for (i = 2; i + 4 <= len && nseg < 256; i += 4, nseg++) {
		int dir = pl[i] & 1;
		uint32_t off = ((uint32_t)pl[i + 1] | (uint32_t)pl[i + 2] << 8) %
		    4096, n = pl[i + 3] % 200, from = i + 4;

		if (from + n > len)
			n = len - from;
		pkt(&p, 6, dir, n > 0 ? pl + from : NULL, n);
		p.tcp_flags = 0x10 | (pl[i] & 0x02 ? 0x08 : 0) |
		    (pl[i] & 0x04 ? 0x01 : 0) | (pl[i] & 0x40 ? 0x04 : 0);
		p.tcp_seq = isn[dir] + 1 + off;
		p.tcp_ack = isn[!dir] + 1 + (pl[i] & 0x08 ?
		    (uint32_t)pl[i + 2] << 4 : 0);
		if (pl[i] & 0x20)
			p.plen_wire = p.plen + pl[i + 1];	/* cut */
		p.ts_ns += (int64_t)nseg * 1000000;
		net_sig_packet(c, &p, &f, dir, check_detection, (void *)s);
	}
	for (k = 0; k < NET_FLOW_NEXT; k++)
		if (f.ext[k] != NULL)
			f.ext[k]->free(f.ext[k]);
	net_sig_ctx_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_sigset *s = (struct net_sigset *)1;
	const uint8_t *nul, *pl;
	char err[512];
	size_t tlen, plen, lines = 1, i;
	int rc;

	if (size > MAX_INPUT)
		return 0;
	nul = memchr(data, 0, size);
	tlen = nul != NULL ? (size_t)(nul - data) : size;
	pl = nul != NULL ? nul + 1 : data;
	plen = nul != NULL ? size - tlen - 1 : size;
	for (i = 0; i < tlen; i++)
		lines += data[i] == '\n';

	err[0] = '\0';
	rc = net_sig_load_buf("fuzz.rules", (const char *)data, tlen, NULL, &s,
	    err, sizeof(err));
	if (rc != 0) {
		if (s != NULL)
			abort();	/* half-loaded */
		if (rc == MAMORI_ENOMEM)
			return 0;
		if (rc != MAMORI_ECONFIG ||
		    strncmp(err, "fuzz.rules:", 11) != 0)
			abort();	/* must say where */
		for (i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] >= 0x7f)
				abort();	/* escaped for a terminal */
		return 0;
	}
	if (s == NULL || net_sigset_count(s) > lines)
		abort();
	run(s, pl, (uint32_t)plen);
	run_schedule(s, pl, (uint32_t)plen);
	net_sigset_free(s);
	return 0;
}
