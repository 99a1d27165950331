/*
 * test-net-detect.c - the sensor's detectors (net-detect.h).
 *
 * Part one feeds hand-made packets and flows (struct net_pkt, struct
 * net_flow, filled as net_decode() and net_flow_update() fill them) to
 * each detector and checks what it reports, at the thresholds' exact
 * limits: one probe short of a scan is nothing, the probe that makes it
 * is a scan; one report per episode, again only after report_interval.
 *
 * Part two is the golden table tests/net-golden.tsv: every capture of
 * the shared data ($MAMORI_SHARED/data/pcaps) runs through libpcap,
 * net_decode(), net_flow_update() and the detectors with the default
 * configuration, and the distinct (kind, type, shape, src, dst) of what
 * they report must be exactly the capture's rows: nothing missing,
 * nothing more (the benign captures have one row saying "nothing").
 *
 * Part three, as root only, runs real nmap scans in a network namespace
 * of the test's own (unshare(CLONE_NEWNET)), captures them with libpcap
 * and checks that each scan type is told right.
 *
 * MAMORI_TEST_VERBOSE=1 prints every detection.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "net/net-detect-impl.h"
#include "net/net-detect.h"
#include "net/net-flow.h"
#include "net/net.h"
#include "test.h"

#define SEC	1000000000LL

/* ---- collecting detections ---- */

struct got {
	char		 kind[32], type[32], shape[16];
	char		 src[64], dst[64];
	struct net_detection d;
};

struct col {
	struct got	*v;
	size_t		 n, cap;
	int		 verbose;
	const char	*name;
};

static void
collect(void *arg, const struct net_detection *d)
{
	struct col *c = arg;
	struct got *g;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (c->v == NULL)
			abort();
	}
	g = &c->v[c->n++];
	memset(g, 0, sizeof(*g));
	g->d = *d;
	snprintf(g->kind, sizeof(g->kind), "%s", d->kind);
	snprintf(g->type, sizeof(g->type), "%s", d->type ? d->type : "-");
	snprintf(g->shape, sizeof(g->shape), "%s", d->shape ? d->shape : "-");
	net_addr_str(&d->src, g->src, sizeof(g->src));
	net_addr_str(&d->dst, g->dst, sizeof(g->dst));
	g->d.kind = g->kind;
	g->d.type = d->type ? g->type : NULL;
	g->d.shape = d->shape ? g->shape : NULL;
	if (c->verbose)
		printf("  [%s] %s %s %s src=%s dst=%s sport=%u dport=%u "
		    "count=%llu targets=%u ports=%u rate=%.1f sev=%d "
		    "first=%lld ts=%lld: %s\n", c->name ? c->name : "",
		    g->kind, g->type, g->shape, g->src, g->dst, d->sport,
		    d->dport,
		    (unsigned long long)d->count, d->targets, d->ports,
		    d->rate, d->severity, (long long)d->first_ns,
		    (long long)d->ts_ns, d->text);
}

static void
col_reset(struct col *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

static size_t
count_kind(const struct col *c, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].kind, kind) == 0)
			n++;
	return n;
}

static int
verbose(void)
{
	const char *v = getenv("MAMORI_TEST_VERBOSE");

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/* ---- configuration from text ---- */

static struct net_detect_conf *
conf_from(const char *yaml, char *err, size_t errlen)
{
	struct net_detect_conf *c = NULL;
	struct ydoc yd;
	int r;

	if (net_detect_conf_new(&c) != 0)
		return NULL;
	if (yaml == NULL)
		return c;
	r = ydoc_load_buf(&yd, "test.yaml", yaml, strlen(yaml), err, errlen);
	if (r == 0)
		r = net_detect_conf_parse(&yd, ydoc_get(&yd, ydoc_root(&yd),
		    "detect"), "sensor.detect", c);
	ydoc_free(&yd);
	if (r != 0) {
		net_detect_conf_free(c);
		return NULL;
	}
	return c;
}

/* ---- running a capture ---- */

struct run {
	struct net_detect *det;
};

static void
flow_end(void *arg, const struct net_flow *f, enum net_flow_end why)
{
	struct run *r = arg;

	(void)why;
	net_detect_flow_end(r->det, f);
}

/* Runs path through decode, flows and detectors with c; detections go
 * to col.  Returns 0 or -1 (cannot open). */
static int
run_capture(const char *path, const struct net_detect_conf *c,
    struct col *col)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct net_flow_conf fc;
	struct net_flow_table *ft;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct net_pkt p;
	struct net_flow *f;
	struct run r;
	pcap_t *pc;
	int64_t ts, last = 0, tick = 0;
	int dlt, dir, is_new, first = 1;

	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", path, errbuf);
		return -1;
	}
	dlt = pcap_datalink(pc);
	net_flow_conf_init(&fc);
	r.det = net_detect_new(c, collect, col);
	ft = net_flow_table_new(&fc, flow_end, &r);
	if (r.det == NULL || ft == NULL)
		abort();
	while (pcap_next_ex(pc, &h, &data) == 1) {
		ts = (int64_t)h->ts.tv_sec * SEC + (int64_t)h->ts.tv_usec;
		net_decode(&p, dlt, data, h->caplen, h->len, ts);
		dir = is_new = 0;
		f = net_flow_update(ft, &p, &dir, &is_new);
		net_detect_packet(r.det, &p, f, dir, is_new);
		if (first || ts - tick >= SEC) {
			net_detect_tick(r.det, ts);
			tick = ts;
			first = 0;
		}
		if (ts > last)
			last = ts;
	}
	pcap_close(pc);
	net_flow_table_free(ft);
	net_detect_flush(r.det, last);
	net_detect_free(r.det);
	return 0;
}

/* ---- building packets ---- */

static uint16_t
csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static int
is6(const char *a)
{
	return strchr(a, ':') != NULL;
}

/* Ethernet + IPv4/IPv6 header for an l4len-byte transport part at
 * b + return value. */
static size_t
ip_hdr(uint8_t *b, const char *src, const char *dst, uint8_t proto,
    size_t l4len)
{
	memcpy(b, mac_b, 6);
	memcpy(b + 6, mac_a, 6);
	if (is6(src)) {
		put16(b + 12, 0x86dd);
		b += 14;
		memset(b, 0, 40);
		b[0] = 0x60;
		put16(b + 4, (uint16_t)l4len);
		b[6] = proto;
		b[7] = 64;
		if (inet_pton(AF_INET6, src, b + 8) != 1 ||
		    inet_pton(AF_INET6, dst, b + 24) != 1)
			abort();
		return 14 + 40;
	}
	put16(b + 12, 0x0800);
	b += 14;
	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)(20 + l4len));
	put16(b + 4, 0x1234);
	b[8] = 64;
	b[9] = proto;
	if (inet_pton(AF_INET, src, b + 12) != 1 ||
	    inet_pton(AF_INET, dst, b + 16) != 1)
		abort();
	put16(b + 10, csum(b, 20, 0));
	return 14 + 20;
}

/* The transport checksum over the pseudo-header. */
static void
l4_csum(uint8_t *frame, size_t off, size_t l4len, uint8_t proto, int at)
{
	uint8_t ph[40];
	uint32_t sum = 0;
	size_t i, n;

	if (frame[12] == 0x86) {
		memcpy(ph, frame + 14 + 8, 32);
		n = 32;
	} else {
		memcpy(ph, frame + 14 + 12, 8);
		n = 8;
	}
	for (i = 0; i < n; i += 2)
		sum += (uint32_t)ph[i] << 8 | ph[i + 1];
	sum += proto;
	sum += (uint32_t)l4len;
	put16(frame + off + at, 0);
	put16(frame + off + at, csum(frame + off, l4len, sum));
}

static size_t
build_tcp(uint8_t *b, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t flags, size_t plen, uint32_t seq, uint32_t ack)
{
	size_t o = ip_hdr(b, src, dst, NET_P_TCP, 20 + plen);
	uint8_t *t = b + o;

	memset(t, 0, 20 + plen);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	memset(t + 20, 'x', plen);
	l4_csum(b, o, 20 + plen, NET_P_TCP, 16);
	return o + 20 + plen;
}

static size_t
build_udp(uint8_t *b, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, size_t plen)
{
	size_t o = ip_hdr(b, src, dst, NET_P_UDP, 8 + plen);
	uint8_t *u = b + o;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	memset(u + 8, 'u', plen);
	l4_csum(b, o, 8 + plen, NET_P_UDP, 6);
	return o + 8 + plen;
}

/* ICMP (or ICMPv6) with 4 bytes rest and a quoted packet. */
static size_t
build_icmp(uint8_t *b, const char *src, const char *dst, uint8_t type,
    uint8_t code, const uint8_t *rest, const uint8_t *quote, size_t qlen)
{
	int v6 = is6(src);
	size_t o = ip_hdr(b, src, dst, v6 ? NET_P_ICMP6 : NET_P_ICMP,
	    8 + qlen);
	uint8_t *c = b + o;

	c[0] = type;
	c[1] = code;
	put16(c + 2, 0);
	if (rest != NULL)
		memcpy(c + 4, rest, 4);
	else
		memset(c + 4, 0, 4);
	if (qlen > 0)
		memcpy(c + 8, quote, qlen);
	if (v6)
		l4_csum(b, o, 8 + qlen, NET_P_ICMP6, 2);
	else
		put16(c + 2, csum(c, 8 + qlen, 0));
	return o + 8 + qlen;
}

static size_t
build_arp(uint8_t *b, uint16_t op, const uint8_t *sha, const char *spa,
    const uint8_t *tha, const char *tpa)
{
	memset(b, 0xff, 6);
	memcpy(b + 6, sha, 6);
	put16(b + 12, 0x0806);
	put16(b + 14, 1);
	put16(b + 16, 0x0800);
	b[18] = 6;
	b[19] = 4;
	put16(b + 20, op);
	memcpy(b + 22, sha, 6);
	inet_pton(AF_INET, spa, b + 28);
	memcpy(b + 32, tha, 6);
	inet_pton(AF_INET, tpa, b + 38);
	memset(b + 42, 0, 18);
	return 60;
}

/* ---- a harness: the real decoder and flow table in front ---- */

struct h {
	struct net_detect_conf *c;
	struct net_flow_table *ft;
	struct run	 r;
	struct col	 col;
	int64_t		 now, tick;
	int		 ended;
};

static struct h *
h_new(const char *yaml)
{
	struct net_flow_conf fc;
	struct h *h;
	char err[512] = "";

	if ((h = calloc(1, sizeof(*h))) == NULL)
		abort();
	if ((h->c = conf_from(yaml, err, sizeof(err))) == NULL) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	h->col.verbose = verbose();
	net_flow_conf_init(&fc);
	h->r.det = net_detect_new(h->c, collect, &h->col);
	h->ft = net_flow_table_new(&fc, flow_end, &h->r);
	if (h->r.det == NULL || h->ft == NULL)
		abort();
	h->now = 1000 * SEC;
	h->tick = h->now;
	return h;
}

static void
h_time(struct h *h, int64_t ts)
{
	if (ts > h->now)
		h->now = ts;
	while (h->now - h->tick >= SEC) {
		/* At least once a second of capture time, as a sensor
		 * does; a long quiet gap is one tick. */
		h->tick = h->now - h->tick > 10 * SEC ? h->now :
		    h->tick + SEC;
		net_flow_expire(h->ft, h->tick);
		net_detect_tick(h->r.det, h->tick);
	}
}

static void
h_frame(struct h *h, const uint8_t *b, size_t len, int64_t ts)
{
	struct net_pkt p;
	struct net_flow *f;
	int dir = 0, is_new = 0;

	h_time(h, ts);
	net_decode(&p, NET_LINK_ETHERNET, b, (uint32_t)len, (uint32_t)len,
	    ts);
	f = net_flow_update(h->ft, &p, &dir, &is_new);
	net_detect_packet(h->r.det, &p, f, dir, is_new);
}

/* Ends the capture: flows end, then the detectors flush. */
static void
h_end(struct h *h)
{
	if (h->ended)
		return;
	net_flow_table_free(h->ft);
	h->ft = NULL;
	net_detect_flush(h->r.det, h->now);
	h->ended = 1;
}

static void
h_free(struct h *h)
{
	h_end(h);
	net_detect_free(h->r.det);
	net_detect_conf_free(h->c);
	col_reset(&h->col);
	free(h);
}

static void
tcp(struct h *h, int64_t ts, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, uint8_t flags, size_t plen,
    uint32_t seq, uint32_t ack)
{
	uint8_t b[2048];

	if (plen > 1500)
		abort();
	h_frame(h, b, build_tcp(b, src, sport, dst, dport, flags, plen, seq,
	    ack), ts);
}

static void
udp(struct h *h, int64_t ts, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, size_t plen)
{
	uint8_t b[2048];

	if (plen > 1500)
		abort();
	h_frame(h, b, build_udp(b, src, sport, dst, dport, plen), ts);
}

#define S	NET_TH_SYN
#define A	NET_TH_ACK
#define R	NET_TH_RST
#define F	NET_TH_FIN
#define P	NET_TH_PUSH
#define U	NET_TH_URG

/* A whole TCP session: handshake, cb bytes up, sb bytes down, close by
 * the client, over dur. */
static void
session(struct h *h, int64_t t0, const char *cli, uint16_t cport,
    const char *srv, uint16_t sport, int64_t dur, size_t cb, size_t sb)
{
	uint32_t c = 1000, s = 5000;
	size_t o, n;

	tcp(h, t0, cli, cport, srv, sport, S, 0, c, 0);
	tcp(h, t0 + dur / 10, srv, sport, cli, cport, S | A, 0, s, c + 1);
	tcp(h, t0 + dur / 5, cli, cport, srv, sport, A, 0, c + 1, s + 1);
	for (o = 0; o < cb; o += n) {
		n = cb - o > 1400 ? 1400 : cb - o;
		tcp(h, t0 + dur / 4, cli, cport, srv, sport, P | A, n,
		    c + 1 + (uint32_t)o, s + 1);
	}
	for (o = 0; o < sb; o += n) {
		n = sb - o > 1400 ? 1400 : sb - o;
		tcp(h, t0 + dur / 2, srv, sport, cli, cport, P | A, n,
		    s + 1 + (uint32_t)o, c + 1 + (uint32_t)cb);
	}
	tcp(h, t0 + dur, cli, cport, srv, sport, F | A, 0,
	    c + 1 + (uint32_t)cb, s + 1 + (uint32_t)sb);
	tcp(h, t0 + dur, srv, sport, cli, cport, F | A, 0,
	    s + 1 + (uint32_t)sb, c + 2 + (uint32_t)cb);
	tcp(h, t0 + dur, cli, cport, srv, sport, A, 0, c + 2 + (uint32_t)cb,
	    s + 2 + (uint32_t)sb);
}

/* A SYN answered by RST (a closed port). */
static void
rej(struct h *h, int64_t ts, const char *src, uint16_t sport,
    const char *dst, uint16_t dport)
{
	tcp(h, ts, src, sport, dst, dport, S, 0, 77, 0);
	tcp(h, ts + 1000000, dst, dport, src, sport, R | A, 0, 0, 78);
}

static int
has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static const char *
ip4(int a, int b, int c, int d)
{
	static char buf[8][20];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%d.%d.%d.%d", a, b, c, d);
	return buf[i];
}

#define MS	1000000LL

static const struct got *
find(const struct col *c, const char *kind, const char *src)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].kind, kind) == 0 && (src == NULL ||
		    strcmp(c->v[i].src, src) == 0))
			return &c->v[i];
	return NULL;
}

/* ---- scans ---- */

TEST(scan_vertical_limit)
{
	const struct got *g;
	struct h *h;
	int i;

	/* One port short: nothing. */
	h = h_new(NULL);
	for (i = 0; i < 19; i++)
		rej(h, h->now + 10 * MS, "10.1.1.1", (uint16_t)(40000 + i),
		    "10.1.1.2", (uint16_t)(100 + i));
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);

	/* The 20th distinct port makes it a vertical SYN scan. */
	h = h_new(NULL);
	for (i = 0; i < 20; i++)
		rej(h, h->now + 10 * MS, "10.1.1.1", (uint16_t)(40000 + i),
		    "10.1.1.2", (uint16_t)(100 + i));
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "portscan", "10.1.1.1")) != NULL) {
		CHECK_STR(g->type, "syn");
		CHECK_STR(g->shape, "vertical");
		CHECK_STR(g->dst, "10.1.1.2");
		CHECK_INT(g->d.ports, 20);
		CHECK_INT(g->d.targets, 1);
		CHECK_INT(g->d.count, 20);
		CHECK_INT(g->d.proto, NET_P_TCP);
		CHECK(g->d.rate > 0);
		CHECK(has(g->d.text, "ports 100-119 (20 distinct) on "
		    "10.1.1.2"));
	} else
		CHECK(!"no portscan");
	h_free(h);
}

/* 25 probes of one kind from 10.2.0.1 to ports 1000.. of 10.2.0.2. */
static const struct got *
probe_scan(struct h *h, uint8_t flags, int answer_rst)
{
	int i;

	for (i = 0; i < 25; i++) {
		tcp(h, h->now + 10 * MS, "10.2.0.1", (uint16_t)(50000 + i),
		    "10.2.0.2", (uint16_t)(1000 + i), flags, 0, 1, 1);
		if (answer_rst)
			tcp(h, h->now + 1 * MS, "10.2.0.2",
			    (uint16_t)(1000 + i), "10.2.0.1",
			    (uint16_t)(50000 + i), R, 0, 1, 0);
	}
	h_end(h);
	return find(&h->col, "portscan", "10.2.0.1");
}

TEST(scan_types)
{
	static const struct {
		uint8_t		 flags;
		int		 rst;
		const char	*type;
	} t[] = {
		{ F, 0, "fin" }, { 0, 0, "null" }, { F | P | U, 0, "xmas" },
		{ F, 1, "fin" }, { A, 1, "ack" }, { A, 0, "ack" },
		{ F | A, 0, "maimon" }, { F | A, 1, "maimon" },
		{ S, 0, "syn" }, { S, 1, "syn" },
	};
	const struct got *g;
	struct h *h;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		h = h_new(NULL);
		g = probe_scan(h, t[i].flags, t[i].rst);
		CHECK(g != NULL);
		if (g != NULL) {
			if (strcmp(g->type, t[i].type) != 0)
				fprintf(stderr, "flags 0x%x rst %d\n",
				    t[i].flags, t[i].rst);
			CHECK_STR(g->type, t[i].type);
			CHECK_STR(g->shape, "vertical");
			CHECK_INT(g->d.ports, 25);
		}
		CHECK_INT(count_kind(&h->col, "portscan"), 1);
		/* Impossible flags are also an anomaly, once. */
		CHECK_INT(count_kind(&h->col, "anomaly"),
		    (t[i].flags & (S | A | R)) == 0 ? 1 : 0);
		h_free(h);
	}
}

TEST(scan_connect_and_halfopen)
{
	const struct got *g;
	struct h *h;
	uint32_t c = 100, s = 900;
	int i;

	/* nmap -sT: 5 open ports completed and reset at once, 20 closed. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++) {
		uint16_t sp = (uint16_t)(41000 + i), dp = (uint16_t)(20 + i);

		if (i < 5) {
			tcp(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp, S,
			    0, c, 0);
			tcp(h, h->now + MS, "10.3.0.2", dp, "10.3.0.1", sp,
			    S | A, 0, s, c + 1);
			tcp(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp, A,
			    0, c + 1, s + 1);
			tcp(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp,
			    R | A, 0, c + 1, s + 1);
		} else
			rej(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp);
	}
	h_end(h);
	g = find(&h->col, "portscan", "10.3.0.1");
	CHECK(g != NULL);
	if (g != NULL)
		CHECK_STR(g->type, "connect");
	h_free(h);

	/* nmap -sS: the open ones are reset without the ACK. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++) {
		uint16_t sp = (uint16_t)(41000 + i), dp = (uint16_t)(20 + i);

		if (i < 5) {
			tcp(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp, S,
			    0, c, 0);
			tcp(h, h->now + MS, "10.3.0.2", dp, "10.3.0.1", sp,
			    S | A, 0, s, c + 1);
			tcp(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp, R,
			    0, c + 1, 0);
		} else
			rej(h, h->now + MS, "10.3.0.1", sp, "10.3.0.2", dp);
	}
	h_end(h);
	g = find(&h->col, "portscan", "10.3.0.1");
	CHECK(g != NULL);
	if (g != NULL) {
		CHECK_STR(g->type, "syn");
		CHECK_INT(g->d.ports, 25);
	}
	h_free(h);
}

/* ICMP port unreachable for the UDP datagram in frame b. */
static void
port_unreach(struct h *h, const uint8_t *probe, const char *from,
    const char *to)
{
	uint8_t b[256];

	h_frame(h, b, build_icmp(b, from, to, 3, 3, NULL, probe + 14, 28),
	    h->now + MS);
}

TEST(scan_udp_icmp_evidence)
{
	uint8_t probe[256];
	const struct got *g;
	struct h *h;
	int i;

	/* Closed UDP ports answer port unreachable: the scan is known
	 * from the ICMP, before the UDP flows time out. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++) {
		size_t n = build_udp(probe, "10.4.0.1", 33000, "10.4.0.2",
		    (uint16_t)(500 + i), 0);

		h_frame(h, probe, n, h->now + 10 * MS);
		port_unreach(h, probe, "10.4.0.2", "10.4.0.1");
	}
	h_time(h, h->now + 31 * SEC);	/* report_delay, not the 60 s
					   UDP timeout */
	CHECK_INT(h->col.n, 1);
	g = find(&h->col, "portscan", "10.4.0.1");
	if (g != NULL) {
		CHECK_STR(g->type, "udp");
		CHECK_STR(g->shape, "vertical");
		CHECK_INT(g->d.proto, NET_P_UDP);
		CHECK(has(g->d.text, "udp ports 500-524 (25 distinct)"));
	} else
		CHECK(!"no udp scan");
	h_end(h);
	CHECK_INT(h->col.n, 1);
	h_free(h);

	/* The spoofed victim of a reflection attack receives port
	 * unreachables for probes it never sent: nothing. */
	h = h_new(NULL);
	for (i = 0; i < 40; i++) {
		build_udp(probe, "10.4.0.9", 4444, ip4(198, 51, 100, i), 161,
		    40);
		port_unreach(h, probe, ip4(198, 51, 100, i), "10.4.0.9");
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);

	/* UDP traceroute's ports are not a scan. */
	h = h_new(NULL);
	for (i = 0; i < 30; i++)
		udp(h, h->now + 10 * MS, "10.4.0.1", 33000, "10.4.0.2",
		    (uint16_t)(33434 + i), 12);
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(scan_shapes)
{
	const struct got *g;
	struct h *h;
	int i, j;

	/* One port on 19 hosts: nothing; on 20: horizontal. */
	for (j = 19; j <= 20; j++) {
		h = h_new(NULL);
		for (i = 0; i < j; i++)
			tcp(h, h->now + 10 * MS, "10.5.0.1",
			    (uint16_t)(30000 + i), ip4(10, 5, 1, i + 1), 22,
			    S, 0, 1, 0);
		h_end(h);
		g = find(&h->col, "portscan", "10.5.0.1");
		if (j == 19)
			CHECK_INT(h->col.n, 0);
		else if (g != NULL) {
			CHECK_INT(h->col.n, 1);
			CHECK_STR(g->shape, "horizontal");
			CHECK_STR(g->type, "syn");
			CHECK_INT(g->d.dport, 22);
			CHECK_INT(g->d.targets, 20);
			CHECK_STR(g->dst, "-");
			CHECK(has(g->d.text, "port 22/tcp on 20 hosts "
			    "(10.5.1.1-10.5.1.20)"));
		} else
			CHECK(!"no horizontal scan");
		h_free(h);
	}

	/* 10 ports on 10 hosts: a block, though no host got 20 ports and
	 * no port 20 hosts. */
	h = h_new(NULL);
	for (i = 0; i < 10; i++)
		for (j = 0; j < 10; j++)
			rej(h, h->now + MS, "10.5.0.1",
			    (uint16_t)(30000 + i * 10 + j), ip4(10, 5, 2, i),
			    (uint16_t)(8000 + j));
	h_end(h);
	g = find(&h->col, "portscan", "10.5.0.1");
	CHECK(g != NULL);
	if (g != NULL) {
		CHECK_STR(g->shape, "block");
		CHECK_INT(g->d.targets, 10);
		CHECK_INT(g->d.ports, 10);
	}
	h_free(h);

	/* Many ports on many hosts, each with its own vertical scan and
	 * each port on many hosts: a block too. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++)
		for (j = 0; j < 25; j++)
			tcp(h, h->now + MS, "10.5.0.1",
			    (uint16_t)(20000 + i * 25 + j), ip4(10, 5, 3, i),
			    (uint16_t)(1 + j), S, 0, 1, 0);
	h_end(h);
	g = find(&h->col, "portscan", "10.5.0.1");
	CHECK(g != NULL && strcmp(g->shape, "block") == 0);
	h_free(h);

	/* nmap -p20-40 over a /28: every host scanned vertically, no
	 * port on 20 hosts - still many ports on many hosts. */
	h = h_new(NULL);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 21; j++)
			tcp(h, h->now + MS, "10.5.0.1",
			    (uint16_t)(20000 + i * 21 + j), ip4(10, 5, 4, i),
			    (uint16_t)(20 + j), S, 0, 1, 0);
	h_end(h);
	g = find(&h->col, "portscan", "10.5.0.1");
	CHECK(g != NULL && strcmp(g->shape, "block") == 0);
	h_free(h);

	/* 3 ports on 25 hosts: horizontal, not a block. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++)
		for (j = 0; j < 3; j++)
			tcp(h, h->now + MS, "10.5.0.1",
			    (uint16_t)(20000 + i * 3 + j), ip4(10, 5, 5, i),
			    (uint16_t)(22 + j * 100), S, 0, 1, 0);
	h_end(h);
	g = find(&h->col, "portscan", "10.5.0.1");
	CHECK(g != NULL && strcmp(g->shape, "horizontal") == 0);
	if (g != NULL)
		CHECK(has(g->d.text, "tcp ports 22-222 (3 distinct) on 25 "
		    "hosts"));
	h_free(h);

	/* A peer-to-peer client: failed connections to 40 peers, each on
	 * its own port - one port per host is no grid. */
	h = h_new(NULL);
	for (i = 0; i < 40; i++)
		tcp(h, h->now + 100 * MS, "10.5.0.1", (uint16_t)(30000 + i),
		    ip4(203, 0, 113, i), (uint16_t)(6881 + i * 7), S, 0, 1, 0);
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(scan_ipv6)
{
	const struct got *g;
	struct h *h;
	int i;

	h = h_new(NULL);
	for (i = 0; i < 20; i++)
		rej(h, h->now + 10 * MS, "2001:db8::1", (uint16_t)(40000 + i),
		    "2001:db8::2", (uint16_t)(1 + i));
	h_end(h);
	g = find(&h->col, "portscan", "2001:db8::1");
	CHECK(g != NULL);
	if (g != NULL) {
		CHECK_STR(g->dst, "2001:db8::2");
		CHECK_STR(g->shape, "vertical");
	}
	h_free(h);
}

TEST(benign_browsing)
{
	struct h *h;
	int i;

	/* A page load: 40 servers, all answering, plus their DNS. */
	h = h_new(NULL);
	for (i = 0; i < 40; i++) {
		udp(h, h->now + MS, "10.6.0.5", (uint16_t)(53000 + i),
		    "10.6.0.53", 53, 30);
		udp(h, h->now + 5 * MS, "10.6.0.53", 53, "10.6.0.5",
		    (uint16_t)(53000 + i), 90);
		session(h, h->now + MS, "10.6.0.5", (uint16_t)(42000 + i),
		    ip4(198, 51, 100, i), 443, 800 * MS, 700, 30000);
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(scan_slow)
{
	const struct got *g;
	struct h *h;
	int i;

	/* One closed port every 150 s: never 20 in the fast minute, but
	 * 24 an hour. */
	h = h_new(NULL);
	for (i = 0; i < 30; i++) {
		h_time(h, h->now + 150 * SEC);
		rej(h, h->now, "10.7.0.1", (uint16_t)(40000 + i), "10.7.0.2",
		    (uint16_t)(2000 + i * 3));
	}
	h_end(h);
	CHECK_INT(count_kind(&h->col, "portscan"), 1);
	g = find(&h->col, "portscan", "10.7.0.1");
	if (g != NULL) {
		CHECK(has(g->d.text, "slow vertical syn scan"));
		CHECK_STR(g->shape, "vertical");
		CHECK(g->d.ports >= 18 && g->d.ports <= 22);
	} else
		CHECK(!"no slow scan");
	h_free(h);

	/* Ten of them in the hour: nothing. */
	h = h_new(NULL);
	for (i = 0; i < 10; i++) {
		h_time(h, h->now + 150 * SEC);
		rej(h, h->now, "10.7.0.1", (uint16_t)(40000 + i), "10.7.0.2",
		    (uint16_t)(2000 + i * 3));
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(ping_sweeps)
{
	uint8_t b[256], rest[4] = { 0, 1, 0, 1 };
	const struct got *g;
	struct h *h;
	int i, n;

	for (n = 19; n <= 20; n++) {
		h = h_new(NULL);
		for (i = 0; i < n; i++)
			h_frame(h, b, build_icmp(b, "10.8.0.1",
			    ip4(10, 8, 1, i + 1), 8, 0, rest, NULL, 0),
			    h->now + 10 * MS);
		h_end(h);
		if (n == 19)
			CHECK_INT(h->col.n, 0);
		else {
			CHECK_INT(h->col.n, 1);
			g = find(&h->col, "ping_sweep", "10.8.0.1");
			CHECK(g != NULL && strcmp(g->type, "icmp") == 0 &&
			    g->d.targets == 20);
		}
		h_free(h);
	}

	/* nmap -PA: bare ACKs to port 80, reset by the live hosts.  A
	 * ping sweep, not also a horizontal ACK scan. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++) {
		tcp(h, h->now + 10 * MS, "10.8.0.1", 61000,
		    ip4(10, 8, 2, i + 1), 80, A, 0, 5, 9);
		tcp(h, h->now + MS, ip4(10, 8, 2, i + 1), 80, "10.8.0.1",
		    61000, R, 0, 9, 0);
	}
	h_end(h);
	CHECK_INT(h->col.n, 1);
	g = find(&h->col, "ping_sweep", "10.8.0.1");
	CHECK(g != NULL && strcmp(g->type, "tcp") == 0);
	h_free(h);

	/* nmap's default host discovery: echo, timestamp, SYN to 443,
	 * ACK to 80, unanswered.  One ping sweep. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++) {
		h_frame(h, b, build_icmp(b, "10.8.0.1", ip4(10, 8, 3, i + 1),
		    8, 0, rest, NULL, 0), h->now + 10 * MS);
		h_frame(h, b, build_icmp(b, "10.8.0.1", ip4(10, 8, 3, i + 1),
		    13, 0, rest, NULL, 0), h->now + MS);
		tcp(h, h->now + MS, "10.8.0.1", 61000, ip4(10, 8, 3, i + 1),
		    443, S, 0, 5, 0);
		tcp(h, h->now + MS, "10.8.0.1", 61000, ip4(10, 8, 3, i + 1),
		    80, A, 0, 5, 9);
	}
	h_end(h);
	CHECK_INT(h->col.n, 1);
	g = find(&h->col, "ping_sweep", "10.8.0.1");
	CHECK(g != NULL && strcmp(g->type, "icmp") == 0 &&
	    g->d.targets == 25);
	h_free(h);

	/* A sensor starting in the middle of 30 HTTPS connections: each
	 * flow opens with an ACK, which the server answers with data. */
	h = h_new(NULL);
	for (i = 0; i < 30; i++) {
		tcp(h, h->now + 10 * MS, "10.8.0.1", (uint16_t)(61000 + i),
		    ip4(198, 51, 100, i + 1), 443, A, 0, 5, 9);
		tcp(h, h->now + MS, ip4(198, 51, 100, i + 1), 443, "10.8.0.1",
		    (uint16_t)(61000 + i), P | A, 400, 9, 5);
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(report_policy)
{
	struct h *h;
	size_t i;
	int p;

	/* A vertical scan of one probe a second for 12 minutes: reported
	 * report_delay (30 s) after it crosses, then at most every
	 * report_interval (5 min) with grown counts, never per probe. */
	h = h_new(NULL);
	for (p = 1; p <= 720; p++)
		rej(h, h->now + SEC, "10.9.0.1", (uint16_t)(10000 + p),
		    "10.9.0.2", (uint16_t)p);
	h_time(h, h->now + 120 * SEC);
	h_end(h);
	CHECK_INT(h->col.n, 3);
	for (i = 0; i < h->col.n; i++) {
		CHECK_STR(h->col.v[i].kind, "portscan");
		CHECK_INT(h->col.v[i].d.first_ns, h->col.v[0].d.first_ns);
		if (i > 0) {
			CHECK(h->col.v[i].d.count > h->col.v[i - 1].d.count);
			CHECK(h->col.v[i].d.ts_ns - h->col.v[i - 1].d.ts_ns >=
			    300 * SEC);
		}
	}
	/* Crossed at the 20th probe (19 s after the first), reported 30 s
	 * later, at the next packet or tick. */
	if (h->col.n > 0) {
		CHECK(h->col.v[0].d.ts_ns - h->col.v[0].d.first_ns >=
		    (19 + 30) * SEC);
		CHECK(h->col.v[0].d.ts_ns - h->col.v[0].d.first_ns <=
		    (19 + 31) * SEC);
	}
	h_free(h);

	/* report_delay 0: at the crossing itself. */
	h = h_new("detect:\n  report_delay: 0s\n");
	for (p = 1; p <= 20; p++)
		rej(h, h->now + SEC, "10.9.0.1", (uint16_t)(10000 + p),
		    "10.9.0.2", (uint16_t)p);
	CHECK_INT(h->col.n, 1);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	h_free(h);
}

/* ---- floods ---- */

TEST(syn_flood)
{
	const struct got *g;
	struct h *h;
	int i;

	/* 3000 spoofed SYNs in 3 s to one service. */
	h = h_new(NULL);
	for (i = 0; i < 3000; i++)
		tcp(h, h->now + MS, ip4(1 + i % 200, (i / 200) % 250, i % 7,
		    9), (uint16_t)(1024 + i), "10.10.0.9", 80, S, 0,
		    (uint32_t)i, 0);
	h_end(h);
	CHECK_INT(count_kind(&h->col, "syn_flood"), 1);
	CHECK_INT(h->col.n, 1);		/* no scan: one probe a source */
	if ((g = find(&h->col, "syn_flood", NULL)) != NULL) {
		CHECK_STR(g->dst, "10.10.0.9");
		CHECK_STR(g->src, "-");
		CHECK_INT(g->d.dport, 80);
		CHECK_INT(g->d.count, 3000);
		CHECK(has(g->d.text, "100% half-open"));
	}
	h_free(h);

	/* 1500 in a 10 s window: below syn_flood.syns. */
	h = h_new(NULL);
	for (i = 0; i < 1500; i++)
		tcp(h, h->now + 6 * MS, ip4(1 + i % 200, i / 200, 1, 9),
		    (uint16_t)(1024 + i), "10.10.0.9", 80, S, 0, 1, 0);
	h_end(h);
	CHECK_INT(count_kind(&h->col, "syn_flood"), 0);
	h_free(h);

	/* A busy server: 3000 connections in 3 s, every handshake
	 * completed. */
	h = h_new(NULL);
	for (i = 0; i < 3000; i++) {
		const char *c = ip4(1 + i % 200, (i / 200) % 250, 1, 9);
		uint16_t cp = (uint16_t)(1024 + i);

		tcp(h, h->now + MS, c, cp, "10.10.0.9", 80, S, 0, 10, 0);
		tcp(h, h->now, "10.10.0.9", 80, c, cp, S | A, 0, 50, 11);
		tcp(h, h->now, c, cp, "10.10.0.9", 80, A, 0, 11, 51);
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(udp_icmp_floods)
{
	uint8_t b[256], rest[4] = { 0, 7, 0, 1 };
	const struct got *g;
	struct h *h;
	int i;

	h = h_new(NULL);
	for (i = 0; i < 25000; i++)
		udp(h, h->now + 100000, ip4(192, 0, 2, 1 + i % 5),
		    (uint16_t)(1024 + i % 5), "10.11.0.9", 5000, 100);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "udp_flood", NULL)) != NULL) {
		CHECK_STR(g->dst, "10.11.0.9");
		CHECK_INT(g->d.dport, 5000);
		CHECK_INT(g->d.proto, NET_P_UDP);
	} else
		CHECK(!"no udp flood");
	h_free(h);

	/* A ping flood from one host: it is named. */
	h = h_new(NULL);
	for (i = 0; i < 6000; i++)
		h_frame(h, b, build_icmp(b, "192.0.2.77", "10.11.0.9", 8, 0,
		    rest, NULL, 0), h->now + 500000);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "icmp_flood", "192.0.2.77")) != NULL)
		CHECK_STR(g->dst, "10.11.0.9");
	else
		CHECK(!"no icmp flood");
	h_free(h);
}

TEST(amplification)
{
	const struct got *g;
	struct h *h;
	int i;

	/* 1200 DNS answers nobody asked for, from 50 reflectors. */
	h = h_new(NULL);
	for (i = 0; i < 1200; i++)
		udp(h, h->now + 500000, ip4(198, 51, 100, i % 50), 53,
		    "10.12.0.9", (uint16_t)(1024 + i), 1400);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "amplification", NULL)) != NULL) {
		CHECK_STR(g->type, "dns");
		CHECK_STR(g->dst, "10.12.0.9");
		CHECK_INT(g->d.sport, 53);
		CHECK_INT(g->d.count, 1200);
		CHECK(has(g->d.text, "from about"));
	} else
		CHECK(!"no amplification");
	h_free(h);

	/* By bytes alone. */
	h = h_new("detect:\n  amplification: {packets: 100000, "
	    "bytes: 1000000}\n");
	for (i = 0; i < 800; i++)
		udp(h, h->now + 500000, ip4(198, 51, 100, i % 50), 123,
		    "10.12.0.9", (uint16_t)(1024 + i), 1400);
	h_end(h);
	CHECK(find(&h->col, "amplification", NULL) != NULL);
	h_free(h);

	/* A resolver's answers were asked for: nothing. */
	h = h_new(NULL);
	for (i = 0; i < 2000; i++) {
		udp(h, h->now + 200000, "10.12.0.53", (uint16_t)(1024 + i),
		    ip4(198, 51, 100, i % 50), 53, 40);
		udp(h, h->now + 100000, ip4(198, 51, 100, i % 50), 53,
		    "10.12.0.53", (uint16_t)(1024 + i), 1400);
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

TEST(backscatter)
{
	const struct got *g;
	struct h *h;
	int i;

	h = h_new("detect:\n  inventory: {services: [\"*:22/tcp\"]}\n");
	for (i = 0; i < 600; i++)
		tcp(h, h->now + 200000, ip4(203, 0, 113, i % 100), 80,
		    "10.13.0.9", (uint16_t)(1024 + i), S | A, 0, 5, 6);
	h_end(h);
	CHECK_INT(h->col.n, 1);		/* not a scan, not a service */
	if ((g = find(&h->col, "backscatter", NULL)) != NULL) {
		CHECK_STR(g->dst, "10.13.0.9");
		CHECK(has(g->d.text, "600 unsolicited SYN-ACK/RST (600 "
		    "SYN-ACK)"));
	} else
		CHECK(!"no backscatter");
	h_free(h);

	h = h_new(NULL);
	for (i = 0; i < 499; i++)
		tcp(h, h->now + 200000, ip4(203, 0, 113, i % 100), 80,
		    "10.13.0.9", (uint16_t)(1024 + i), S | A, 0, 5, 6);
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

/* ---- worms ---- */

TEST(worm_udp)
{
	const struct got *g;
	struct h *h;
	int i;

	/* SQL Slammer: one 376-byte datagram to each random address. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++)
		udp(h, h->now + 20 * MS, "10.14.0.5", 1025,
		    ip4(23 + i, 7 * i % 250, i, 1), 1434, 376);
	h_end(h);
	CHECK_INT(h->col.n, 1);		/* the worm, not also a scan */
	if ((g = find(&h->col, "worm", "10.14.0.5")) != NULL) {
		CHECK_INT(g->d.dport, 1434);
		CHECK_INT(g->d.proto, NET_P_UDP);
		CHECK_INT(g->d.severity, 4);
		CHECK_INT(g->d.targets, 25);
		CHECK(has(g->d.text, "25 of the targets are outside"));
		CHECK(has(g->d.text, "Slammer"));
	} else
		CHECK(!"no worm");
	h_free(h);

	/* The same from outside is no inside host spreading: a scan. */
	h = h_new(NULL);
	for (i = 0; i < 25; i++)
		udp(h, h->now + 20 * MS, "192.0.2.5", 1025,
		    ip4(10, 14, 1, i), 1434, 376);
	h_end(h);
	CHECK_INT(count_kind(&h->col, "worm"), 0);
	g = find(&h->col, "portscan", "192.0.2.5");
	CHECK(g != NULL && strcmp(g->shape, "horizontal") == 0);
	h_free(h);
}

TEST(worm_tcp)
{
	const struct got *g;
	struct h *h;
	int i;

	/* SMB: SYNs to 30 internal hosts, one of which takes the
	 * payload. */
	h = h_new(NULL);
	for (i = 0; i < 30; i++)
		tcp(h, h->now + 20 * MS, "10.15.0.5", (uint16_t)(3000 + i),
		    ip4(10, 15, 1, i + 1), 445, S, 0, 1, 0);
	session(h, h->now + MS, "10.15.0.5", 4000, "10.15.2.1", 445,
	    300 * MS, 4000, 200);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "worm", "10.15.0.5")) != NULL) {
		CHECK_INT(g->d.dport, 445);
		CHECK_INT(g->d.severity, 3);
		CHECK(has(g->d.text, "all targets internal"));
	} else
		CHECK(!"no worm");
	h_free(h);

	/* Without any data sent it is a horizontal scan only. */
	h = h_new(NULL);
	for (i = 0; i < 30; i++)
		tcp(h, h->now + 20 * MS, "10.15.0.5", (uint16_t)(3000 + i),
		    ip4(10, 15, 1, i + 1), 445, S, 0, 1, 0);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	CHECK(find(&h->col, "portscan", "10.15.0.5") != NULL);
	h_free(h);
}

/* ---- brute force ---- */

TEST(bruteforce)
{
	const struct got *g;
	struct h *h;
	int i, n;

	for (n = 9; n <= 10; n++) {
		h = h_new(NULL);
		for (i = 0; i < n; i++)
			session(h, h->now + 20 * SEC, "192.0.2.9",
			    (uint16_t)(50000 + i), "10.16.0.22", 22, 8 * SEC,
			    1500, 1800);
		h_end(h);
		if (n == 9)
			CHECK_INT(h->col.n, 0);
		else if ((g = find(&h->col, "bruteforce", "192.0.2.9")) !=
		    NULL) {
			CHECK_INT(h->col.n, 1);
			CHECK_STR(g->type, "ssh");
			CHECK_STR(g->dst, "10.16.0.22");
			CHECK_INT(g->d.dport, 22);
			CHECK_INT(g->d.count, 10);
		} else
			CHECK(!"no brute force");
		h_free(h);
	}

	/* Long sessions, big sessions and other ports do not count;
	 * refused connections do. */
	h = h_new(NULL);
	for (i = 0; i < 12; i++) {
		session(h, h->now + 40 * SEC, "192.0.2.9",
		    (uint16_t)(50000 + i), "10.16.0.22", 22, 35 * SEC, 1500,
		    1800);
		session(h, h->now + 2 * SEC, "192.0.2.9",
		    (uint16_t)(51000 + i), "10.16.0.22", 22, 1 * SEC, 1500,
		    30000);
		session(h, h->now + 2 * SEC, "192.0.2.9",
		    (uint16_t)(52000 + i), "10.16.0.22", 8022, SEC, 100,
		    100);
	}
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);

	h = h_new("detect:\n  bruteforce: {ports: [8022], sessions: 5}\n");
	for (i = 0; i < 5; i++)
		rej(h, h->now + SEC, "192.0.2.9", (uint16_t)(50000 + i),
		    "10.16.0.22", 8022);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "bruteforce", "192.0.2.9")) != NULL) {
		CHECK_STR(g->type, "tcp");
		CHECK(has(g->d.text, "(5 refused)"));
	}
	h_free(h);
}

/* ---- ARP, redirects, blocklist, inventory ---- */

TEST(arp)
{
	static const uint8_t mac_c[6] = { 0x02, 0, 0, 0, 0, 0x0c };
	static const uint8_t zero[6];
	const struct got *g;
	uint8_t b[64];
	struct h *h;
	int i;

	/* The gateway's address claimed by another MAC while the gateway
	 * still answers, then back: one report, two changes. */
	h = h_new(NULL);
	h_frame(h, b, build_arp(b, 2, mac_a, "10.17.0.1", mac_b,
	    "10.17.0.5"), h->now + SEC);
	h_frame(h, b, build_arp(b, 2, mac_c, "10.17.0.1", mac_b,
	    "10.17.0.5"), h->now + 2 * SEC);
	h_frame(h, b, build_arp(b, 2, mac_a, "10.17.0.1", mac_b,
	    "10.17.0.5"), h->now + 2 * SEC);
	/* A reassignment: the old MAC silent for longer than the
	 * grace. */
	h_frame(h, b, build_arp(b, 1, mac_a, "10.17.0.7", zero,
	    "10.17.0.1"), h->now + SEC);
	h_frame(h, b, build_arp(b, 1, mac_b, "10.17.0.7", zero,
	    "10.17.0.1"), h->now + 301 * SEC);
	/* An RFC 5227 probe binds nothing. */
	h_frame(h, b, build_arp(b, 1, mac_c, "0.0.0.0", zero, "10.17.0.1"),
	    h->now + SEC);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "arp_spoof", "10.17.0.1")) != NULL) {
		CHECK_INT(g->d.count, 2);
		CHECK(has(g->d.text, "02:00:00:00:00:0c"));
	} else
		CHECK(!"no arp_spoof");
	h_free(h);

	/* Gratuitous ARP: 19 in the window is a boot, 20 a storm. */
	for (i = 19; i <= 20; i++) {
		int k;

		h = h_new(NULL);
		for (k = 0; k < i; k++)
			h_frame(h, b, build_arp(b, 1, mac_c, "10.17.0.9", zero,
			    "10.17.0.9"), h->now + 200 * MS);
		h_end(h);
		if (i == 19)
			CHECK_INT(h->col.n, 0);
		else {
			CHECK_INT(h->col.n, 1);
			g = find(&h->col, "arp_storm", "10.17.0.9");
			CHECK(g != NULL && g->d.count == 20);
		}
		h_free(h);
	}
}

TEST(icmp_redirect)
{
	uint8_t b[256], probe[128], gw[4] = { 10, 18, 0, 66 };
	const struct got *g;
	struct h *h;

	build_udp(probe, "10.18.0.7", 5000, "8.8.8.8", 53, 20);
	h = h_new(NULL);
	h_frame(h, b, build_icmp(b, "10.18.0.1", "10.18.0.7", 5, 1, gw,
	    probe + 14, 28), h->now + SEC);
	h_frame(h, b, build_icmp(b, "203.0.113.1", "10.18.0.7", 5, 1, gw,
	    probe + 14, 28), h->now + SEC);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "icmp_redirect", "10.18.0.1")) != NULL) {
		CHECK_STR(g->dst, "10.18.0.7");
		CHECK(has(g->d.text, "use gateway 10.18.0.66 for 8.8.8.8"));
	} else
		CHECK(!"no redirect");
	h_free(h);
}

TEST(blocklist)
{
	const struct got *g;
	struct h *h;
	size_t i;
	int in = 0, out = 0;

	h = h_new("detect:\n  blocklist: [203.0.113.0/24, "
	    "\"2001:db8:bad::/48\"]\n");
	session(h, h->now + SEC, "10.19.0.7", 40000, "203.0.113.5", 443,
	    SEC, 100, 100);
	session(h, h->now + SEC, "10.19.0.7", 40001, "203.0.113.5", 443,
	    SEC, 100, 100);
	session(h, h->now + SEC, "203.0.113.9", 40002, "10.19.0.8", 22, SEC,
	    100, 100);
	session(h, h->now + SEC, "10.19.0.7", 40003, "198.51.100.1", 443,
	    SEC, 100, 100);
	session(h, h->now + SEC, "2001:db8:1::7", 40004, "2001:db8:bad::1",
	    80, SEC, 100, 100);
	h_end(h);
	CHECK_INT(h->col.n, 3);
	for (i = 0; i < h->col.n; i++) {
		g = &h->col.v[i];
		CHECK_STR(g->kind, "blocklist");
		if (strcmp(g->type, "outbound") == 0 &&
		    strcmp(g->src, "10.19.0.7") == 0) {
			out++;
			CHECK_STR(g->dst, "203.0.113.5");
			CHECK_INT(g->d.dport, 443);
			CHECK_INT(g->d.count, 2);
		} else if (strcmp(g->type, "inbound") == 0) {
			in++;
			CHECK_STR(g->src, "203.0.113.9");
			CHECK_STR(g->dst, "10.19.0.8");
		} else
			CHECK_STR(g->dst, "2001:db8:bad::1");
	}
	CHECK_INT(in, 1);
	CHECK_INT(out, 1);
	h_free(h);
}

static void
services(struct h *h)
{
	session(h, h->now + SEC, "10.20.1.1", 40000, "10.20.0.5", 22, SEC, 10,
	    10);
	session(h, h->now + SEC, "10.20.1.1", 40001, "10.20.0.7", 80, SEC, 10,
	    10);
	session(h, h->now + SEC, "10.20.1.1", 40002, "10.20.0.5", 4444, SEC,
	    10, 10);
	session(h, h->now + SEC, "10.20.1.2", 40003, "10.20.0.5", 4444, SEC,
	    10, 10);
	udp(h, h->now + SEC, "10.20.1.1", 5353, "10.20.0.53", 53, 30);
	udp(h, h->now + MS, "10.20.0.53", 53, "10.20.1.1", 5353, 80);
	udp(h, h->now + SEC, "10.20.1.1", 5354, "10.20.0.5", 161, 30);
	udp(h, h->now + MS, "10.20.0.5", 161, "10.20.1.1", 5354, 80);
	session(h, h->now + SEC, "10.20.1.1", 40004, "198.51.100.1", 8443,
	    SEC, 10, 10);
}

TEST(unexpected_service)
{
	const struct got *g;
	struct h *h;
	size_t i;
	int tcp4444 = 0, udp161 = 0;

	h = h_new("detect:\n  inventory:\n    services: [\"10.20.0.5:22/tcp\","
	    " \"10.20.0.0/24:80/tcp\", \"10.20.0.53:53/udp\"]\n");
	services(h);
	h_end(h);
	CHECK_INT(h->col.n, 2);
	for (i = 0; i < h->col.n; i++) {
		g = &h->col.v[i];
		CHECK_STR(g->kind, "unexpected_service");
		CHECK_STR(g->src, "10.20.0.5");
		if (g->d.proto == NET_P_TCP) {
			tcp4444++;
			CHECK_INT(g->d.sport, 4444);
			CHECK_INT(g->d.count, 2);
			CHECK_STR(g->type, "-");
			CHECK(has(g->d.text, "answers on 4444/tcp"));
		} else {
			udp161++;
			CHECK_INT(g->d.sport, 161);
			CHECK_STR(g->type, "snmp");
		}
	}
	CHECK_INT(tcp4444, 1);
	CHECK_INT(udp161, 1);
	h_free(h);

	/* Without an inventory, nothing. */
	h = h_new(NULL);
	services(h);
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

/* ---- anomalies ---- */

TEST(anomaly_episodes)
{
	const struct got *g;
	struct net_pkt p;
	struct h *h;
	int i;

	/* 50 NULL-flag packets of one flow: one report with the count. */
	h = h_new(NULL);
	for (i = 0; i < 50; i++)
		tcp(h, h->now + 10 * MS, "10.21.0.1", 999, "10.21.0.2", 80, 0,
		    0, 1, 0);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "anomaly", "10.21.0.1")) != NULL) {
		CHECK_STR(g->type, "tcp_flags");
		CHECK_INT(g->d.count, 50);
		CHECK_STR(g->dst, "10.21.0.2");
	} else
		CHECK(!"no anomaly");
	h_free(h);

	h = h_new("detect:\n  anomaly: {ignore: [tcp_flags]}\n");
	for (i = 0; i < 50; i++)
		tcp(h, h->now + 10 * MS, "10.21.0.1", 999, "10.21.0.2", 80, 0,
		    0, 1, 0);
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);

	/* A hand-filled packet: a LAND attack, from its bits alone. */
	h = h_new(NULL);
	memset(&p, 0, sizeof(p));
	p.ts_ns = h->now;
	p.ipver = 4;
	p.src.family = p.dst.family = 4;
	memcpy(p.src.a, "\x0a\x15\x00\x03", 4);
	p.dst = p.src;
	p.proto = NET_P_TCP;
	p.anomalies = NET_ANOM_LAND;
	net_detect_packet(h->r.det, &p, NULL, 0, 0);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "anomaly", "10.21.0.3")) != NULL) {
		CHECK_STR(g->type, "land");
		CHECK_INT(g->d.severity, 3);
	}
	h_free(h);
}

/* ---- memory bounds ---- */

TEST(eviction)
{
	struct net_detect_stats st;
	struct h *h;
	int i;

	/* Tables of 16: a scanner crosses, then 200 other sources push it
	 * out; what it had open is reported on the way out. */
	h = h_new("detect:\n  max_entries: 16\n");
	for (i = 0; i < 20; i++)
		rej(h, h->now + MS, "10.22.0.1", (uint16_t)(40000 + i),
		    "10.22.0.2", (uint16_t)(100 + i));
	CHECK_INT(h->col.n, 0);
	for (i = 0; i < 200; i++)
		rej(h, h->now + MS, ip4(10, 22, 1 + i / 200, i % 200),
		    (uint16_t)(40000 + i), "10.22.0.2", 7);
	CHECK_INT(count_kind(&h->col, "portscan"), 1);
	net_detect_stats(h->r.det, &st);
	CHECK(st.evicted >= 200);
	CHECK(st.entries <= 16 * 16);
	CHECK_INT(st.detections, 1);
	h_end(h);
	CHECK_INT(count_kind(&h->col, "portscan"), 1);
	h_free(h);

	/* An allowlisted source is not reported. */
	h = h_new("detect:\n  allowlist: [10.22.0.0/24]\n");
	for (i = 0; i < 20; i++)
		rej(h, h->now + MS, "10.22.0.1", (uint16_t)(40000 + i),
		    "10.22.1.2", (uint16_t)(100 + i));
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

/* ---- limits the faster paths must keep ---- */

/* A block scan crosses at exactly block_pairs distinct (host, port)
 * pairs (8 hosts x 8 ports): a source's first probe waits in its entry
 * for its pair and port entries, and must count once. */
TEST(scan_block_limit)
{
	const struct got *g;
	struct h *h;
	int i, j, n;

	for (n = 63; n <= 64; n++) {
		h = h_new(NULL);
		for (i = 0; i < 8; i++)
			for (j = 0; j < 8 && i * 8 + j < n; j++)
				rej(h, h->now + MS, "10.5.9.1",
				    (uint16_t)(30000 + i * 8 + j),
				    ip4(10, 5, 8, i + 1), (uint16_t)(7000 + j));
		h_end(h);
		g = find(&h->col, "portscan", "10.5.9.1");
		if (n == 63)
			CHECK_INT(h->col.n, 0);
		else if (g != NULL) {
			CHECK_INT(h->col.n, 1);
			CHECK_STR(g->shape, "block");
			CHECK_INT(g->d.targets, 8);
			CHECK_INT(g->d.ports, 8);
			CHECK_INT(g->d.count, 64);
		} else
			CHECK(!"no block scan");
		h_free(h);
	}
}

/* A SYN flood over three windows, one handshake in ten completed: the
 * episode's SYNs and completions are counted whichever way each packet
 * takes through the flood detector (the SYNs of an episode checked
 * lately take a short one). */
TEST(syn_flood_windows)
{
	const struct got *g;
	struct h *h;
	int i;

	h = h_new(NULL);
	for (i = 0; i < 6000; i++) {
		const char *c = ip4(1 + i % 200, (i / 200) % 250, i % 7, 9);
		uint16_t cp = (uint16_t)(1024 + i % 60000);

		/* 4 ms apart, and a pause of 8 s in the middle. */
		tcp(h, h->now + (i == 3000 ? 8 * SEC : 4 * MS), c, cp,
		    "10.10.0.9", 80, S, 0, 10, 0);
		if (i % 10 == 0) {
			tcp(h, h->now, "10.10.0.9", 80, c, cp, S | A, 0, 50,
			    11);
			tcp(h, h->now, c, cp, "10.10.0.9", 80, A, 0, 11, 51);
		}
	}
	h_end(h);
	/* Two episodes: the pause ends the first; each reported at its
	 * end. */
	CHECK_INT(h->col.n, 2);
	CHECK_INT(count_kind(&h->col, "syn_flood"), 2);
	if (h->col.n == 2) {
		g = &h->col.v[0];
		CHECK_INT(g->d.count, 3500);
		CHECK(has(g->d.text, "3500 SYNs in 22.0 s (159/s) from about "
		    "3238 sources; 90% half-open"));
		g = &h->col.v[1];
		CHECK_INT(g->d.count, 3124);
		CHECK(has(g->d.text, "3124 SYNs in 22.0 s (142/s) from about "
		    "2674 sources; 90% half-open"));
	}
	h_free(h);
}

/* A low syn_flood.syns: the episode opens before the destination has
 * the window's sketches (made at its 64th packet), and still counts
 * its sources. */
TEST(syn_flood_small)
{
	const struct got *g;
	struct h *h;
	int i;

	h = h_new("detect:\n  syn_flood: {syns: 10}\n");
	for (i = 0; i < 40; i++)
		tcp(h, h->now + MS, ip4(1 + i, 2, 3, 4), (uint16_t)(1024 + i),
		    "10.10.0.9", 80, S, 0, 1, 0);
	h_end(h);
	CHECK_INT(count_kind(&h->col, "syn_flood"), 1);
	if ((g = find(&h->col, "syn_flood", NULL)) != NULL) {
		CHECK_INT(g->d.count, 40);
		CHECK(has(g->d.text, "40 SYNs in 0.0 s (1026/s) from about "
		    "33 sources; 100% half-open"));
	}
	h_free(h);
}

/* ARP requests are counted across ping windows (a window's reset
 * keeps them), which decides a later sweep's type. */
TEST(ping_arp_across_windows)
{
	uint8_t b[256], rest[4] = { 0, 1, 0, 1 };
	static const uint8_t zero[6];
	const struct got *g;
	struct h *h;
	int i;

	h = h_new(NULL);
	for (i = 0; i < 11; i++)
		h_frame(h, b, build_arp(b, 1, mac_a, "10.9.0.1", zero,
		    ip4(10, 9, 1, i + 1)), h->now + 10 * MS);
	h_time(h, h->now + 70 * SEC);
	for (i = 0; i < 20; i++)
		h_frame(h, b, build_icmp(b, "10.9.0.1", ip4(10, 9, 2, i + 1),
		    8, 0, rest, NULL, 0), h->now + 10 * MS);
	h_end(h);
	CHECK_INT(h->col.n, 1);
	if ((g = find(&h->col, "ping_sweep", "10.9.0.1")) != NULL) {
		CHECK_STR(g->type, "arp");	/* 11 ARP and 20 echo */
		CHECK_INT(g->d.targets, 20);
		CHECK_INT(g->d.count, 20);
	} else
		CHECK(!"no ping sweep");
	h_free(h);
}

/* ---- the detectors' data structures, against plain models ---- */

/* A deterministic pseudo-random sequence (xorshift64*). */
static uint64_t
rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545f4914f6cdd1dULL;
}

/*
 * The bounded LRU table (net-detect.c) against a list kept in order of
 * use: after every operation the same keys, the same least recent one,
 * every eviction taking the least recently touched key and reporting
 * (evict) only active entries, every leaving entry released once, new
 * entries zeroed, and the most recent entry found without the index
 * exactly as with it.
 */
#define TM_KEYS		96
#define TM_PAYLOAD	40

struct tmodel {
	int		 order[TM_KEYS];	/* keys, most recent first */
	int		 n;
	int64_t		 touch[TM_KEYS];
	int		 active[TM_KEYS];
	int		 evicted, released;	/* keys seen by callbacks */
	int		 nevict, nrelease;
};

static struct tmodel tm;

static int
tm_key_of(const struct nd_entry *e)
{
	return (int)e->key.a.a[0] << 8 | e->key.a.a[1];
}

static void
tm_evict(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	(void)d;
	(void)now;
	tm.evicted = tm_key_of(e);
	tm.nevict++;
}

static void
tm_release(struct net_detect *d, struct nd_entry *e)
{
	(void)d;
	tm.released = tm_key_of(e);
	tm.nrelease++;
}

/* Key id: an address alone (addr) or with a port and a second
 * address. */
static void
tm_key(struct nd_key *k, struct net_addr *a, int id, int addr)
{
	net_nd_key_init(k);
	memset(a, 0, sizeof(*a));
	a->family = id % 3 == 0 ? 6 : 4;
	a->a[0] = (uint8_t)(id >> 8);
	a->a[1] = (uint8_t)id;
	a->a[3] = 7;
	k->a = *a;
	if (!addr) {
		k->b.family = 4;
		k->b.a[2] = (uint8_t)(id * 7);
		k->port = (uint32_t)(id % 5) << 16 | 80;
		k->x = (uint16_t)(id % 2);
	}
}

static int
tm_find(int id)
{
	int i;

	for (i = 0; i < tm.n; i++)
		if (tm.order[i] == id)
			return i;
	return -1;
}

static void
tm_front(int i)
{
	int id = tm.order[i];

	memmove(&tm.order[1], &tm.order[0], (size_t)i * sizeof(int));
	tm.order[0] = id;
}

static void
tm_remove(int i)
{
	memmove(&tm.order[i], &tm.order[i + 1], (size_t)(tm.n - i - 1) *
	    sizeof(int));
	tm.n--;
}

static void
table_against_model(int addr, size_t cap, uint64_t seed)
{
	struct net_detect fake;
	struct nd_table *t;
	struct nd_entry *e;
	struct nd_key k;
	struct net_addr a;
	uint64_t st = seed;
	int64_t now = 1000;
	int op, id, i, created, want_evict, want_release, nrel, bad = 0;

	memset(&fake, 0, sizeof(fake));
	fake.seed = seed;
	memset(&tm, 0, sizeof(tm));
	t = net_nd_table_new(&fake, "model", cap, TM_PAYLOAD, tm_evict,
	    tm_release);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (op = 0; op < 20000 && !bad; op++) {
		uint64_t r = rnd(&st);

		/* Mostly forward in time, sometimes back (the touch time
		 * is the latest). */
		now += (int64_t)(r % 7) - 1;
		/* Few keys at a time so hits, misses and evictions all
		 * happen; now and then the previous key again (the most
		 * recent entry's shortcut). */
		id = (r >> 8) % 4 == 0 && tm.n > 0 ? tm.order[0] :
		    (int)((r >> 16) % TM_KEYS);
		tm_key(&k, &a, id, addr);
		i = tm_find(id);
		want_evict = want_release = -1;
		tm.evicted = tm.released = -1;
		nrel = tm.nrelease;
		switch ((r >> 40) % 10) {
		case 0:			/* a lookup that does not create */
			e = addr ? net_nd_table_get_addr(t, &a, now, 0,
			    &created) : net_nd_table_get(t, &k, now, 0,
			    &created);
			if ((e != NULL) != (i >= 0) || created)
				bad = 1;
			if (i >= 0) {
				tm_front(i);
				if (now > tm.touch[id])
					tm.touch[id] = now;
			}
			break;
		case 1:			/* a look without touching */
			e = net_nd_table_peek(t, &k);
			if ((e != NULL) != (i >= 0))
				bad = 1;
			break;
		case 2:			/* an episode opens or closes */
			if (i < 0)
				break;
			e = net_nd_table_peek(t, &k);
			tm.active[id] = (r >> 50) & 1;
			net_nd_table_activate(t, e, tm.active[id]);
			break;
		case 3:			/* deletion */
			if (i < 0)
				break;
			net_nd_table_del(t, net_nd_table_peek(t, &k));
			want_release = id;
			tm_remove(i);
			tm.active[id] = 0;
			break;
		case 4:			/* expiry */
			if ((r >> 50) % 8 != 0)
				break;
			{
				int64_t cutoff = now -
				    (int64_t)((r >> 20) % 40);
				int j, before = tm.n;

				net_nd_table_expire(t, cutoff);
				for (j = tm.n - 1; j >= 0; j--) {
					if (tm.touch[tm.order[j]] >= cutoff)
						break;
					if (!tm.active[tm.order[j]])
						tm_remove(j);
				}
				/* Released: as many as left. */
				if (tm.nrelease - nrel != before - tm.n)
					bad = 5;
				tm.released = want_release = -1;
			}
			break;
		default:		/* a lookup that creates */
			e = addr ? net_nd_table_get_addr(t, &a, now, 1,
			    &created) : net_nd_table_get(t, &k, now, 1,
			    &created);
			if (e == NULL || created != (i < 0)) {
				bad = 1;
				break;
			}
			if (i >= 0) {
				tm_front(i);
				if (now > tm.touch[id])
					tm.touch[id] = now;
				break;
			}
			/* New: zeroed, though its slot may have held
			 * another's bytes. */
			for (i = 0; i < TM_PAYLOAD; i++)
				if (e->data[i] != 0)
					bad = 1;
			memset(e->data, 0xa5, TM_PAYLOAD);
			if ((size_t)tm.n == cap) {
				int old = tm.order[tm.n - 1];

				if (tm.active[old])
					want_evict = old;
				want_release = old;
				tm.active[old] = 0;
				tm.n--;
			}
			memmove(&tm.order[1], &tm.order[0], (size_t)tm.n *
			    sizeof(int));
			tm.order[0] = id;
			tm.n++;
			tm.touch[id] = now;
			tm.active[id] = 0;
			break;
		}
		if (tm.evicted != want_evict || tm.released != want_release)
			bad = 2;
		if (net_nd_table_count(t) != (size_t)tm.n)
			bad = 3;
		e = net_nd_table_oldest(t);
		if ((e == NULL) != (tm.n == 0) || (e != NULL &&
		    tm_key_of(e) != tm.order[tm.n - 1]))
			bad = 4;
	}
	if (bad)
		fprintf(stderr, "table model (addr %d, cap %zu): operation %d: "
		    "error %d\n", addr, cap, op, bad);
	CHECK_INT(bad, 0);
	/* Every key the model holds is there, with its touch time. */
	for (i = 0; i < tm.n; i++) {
		tm_key(&k, &a, tm.order[i], addr);
		e = net_nd_table_peek(t, &k);
		CHECK(e != NULL && e->touch_ns == tm.touch[tm.order[i]]);
	}
	i = tm.nrelease;
	net_nd_table_free(t);
	CHECK_INT(tm.nrelease - i, tm.n);
}

TEST(table_lru_model)
{
	/* Small caps (evictions all the time) and one the keys never
	 * fill; keys of one address (net_nd_table_get_addr()) and whole
	 * keys. */
	table_against_model(0, 8, 1);
	table_against_model(1, 8, 2);
	table_against_model(0, 33, 3);
	table_against_model(1, 33, 4);
	table_against_model(0, 1, 5);
	table_against_model(1, 1000, 6);
}

/* Exact sets against an array: the same answers, counts and fullness,
 * through the inline values and the growing table (0 is stored as
 * 0x80000000: they are one value). */
TEST(set_model)
{
	uint32_t seen[300], v, maxes[] = { 2, 4, 5, 17, 64, 300 };
	struct nd_set s;
	uint64_t st = 77;
	size_t mi;
	int i, j, n, full, got, want, bad = 0;

	for (mi = 0; mi < ND_NELEM(maxes); mi++) {
		memset(&s, 0, sizeof(s));
		n = full = 0;
		for (i = 0; i < 3000 && !bad; i++) {
			v = (uint32_t)(rnd(&st) % 400);
			if (v == 399)
				v = 0x80000000u;
			for (j = 0; j < n; j++)
				if (seen[j] == (v == 0 ? 0x80000000u : v))
					break;
			want = j == n && (uint32_t)n < maxes[mi];
			if (j == n && !want)
				full = 1;
			if (want)
				seen[n++] = v == 0 ? 0x80000000u : v;
			got = net_nd_set_add(&s, v, maxes[mi]);
			if (got != want || s.n != (uint32_t)n ||
			    s.full != full)
				bad = i + 1;
		}
		CHECK_INT(bad, 0);
		net_nd_set_release(&s);
		CHECK(s.v == NULL && s.n == 0 && s.full == 0);
	}
}

/* 1 when a lies in r (the prefix compared bit by bit). */
static int
in_prefix(const struct respond_addr *r, const struct net_addr *a)
{
	int bits = r->prefix, i;

	if ((r->family == AF_INET6) != (a->family == 6))
		return 0;
	for (i = 0; i < bits; i++)
		if (((r->a[i / 8] ^ a->a[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

/* Prefix lists (the /16 map for IPv4, hashes per length) against a
 * walk over the prefixes, on addresses in, near and far from them. */
TEST(plist_model)
{
	static const char *const lists[][8] = {
		{ "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		    "100.64.0.0/10", "169.254.0.0/16", "fc00::/7",
		    "fe80::/10", NULL },
		{ "192.0.2.7", "198.51.100.0/24", "198.51.0.0/17",
		    "203.0.113.128/25", "2001:db8::/32", NULL },
		{ "0.0.0.0/0", "::/0", NULL },
		{ "10.1.0.0/16", "10.1.2.0/23", "10.1.2.3/32", "12.0.0.0/7",
		    NULL },
		{ "2001:db8:1::/48", NULL },
	};
	struct nd_plist l;
	struct net_addr a;
	uint64_t st = 5;
	size_t li, n, j;
	int i, want, bad = 0;

	for (li = 0; li < ND_NELEM(lists); li++) {
		for (n = 0; lists[li][n] != NULL; n++)
			;
		CHECK_INT(net_nd_plist_parse_strv(&l, lists[li], n), 0);
		for (i = 0; i < 20000; i++) {
			uint64_t r = rnd(&st), r2 = rnd(&st);

			memset(&a, 0, sizeof(a));
			a.family = r & 1 ? 6 : 4;
			memcpy(a.a, &r2, 8);
			memcpy(a.a + 8, &r, 8);
			if ((r >> 8) % 2 == 0) {
				/* Near a listed prefix: its first bytes,
				 * the rest random. */
				const struct respond_addr *p =
				    &l.v[(r >> 16) % l.n];

				a.family = p->family == AF_INET6 ? 6 : 4;
				memcpy(a.a, p->a, (r >> 24) % (a.family ==
				    6 ? 16 : 4));
			}
			if (a.family == 4)
				memset(a.a + 4, 0, 12);
			for (want = 0, j = 0; j < l.n && !want; j++)
				want = in_prefix(&l.v[j], &a);
			if (net_nd_plist_match(&l, &a) != want)
				bad++;
		}
		net_nd_plist_release(&l);
	}
	CHECK_INT(bad, 0);
}

/* ---- configuration ---- */

/* The error of parsing yaml, or "" when it parses. */
static const char *
conf_err(const char *yaml)
{
	static char err[512];
	struct net_detect_conf *c;

	err[0] = '\0';
	c = conf_from(yaml, err, sizeof(err));
	if (c != NULL) {
		net_detect_conf_free(c);
		return "";
	}
	return err;
}

TEST(conf_full)
{
	static const char *full =
	    "detect:\n"
	    "  report_delay: 10s\n"
	    "  report_interval: 10m\n"
	    "  max_entries: 1000\n"
	    "  max_tracked: 512\n"
	    "  allowlist: [192.0.2.10]\n"
	    "  internal_networks: [10.0.0.0/8, \"fd00::/8\"]\n"
	    "  scan: {enabled: true, window: 2m, ports: 5, hosts: 5,\n"
	    "    block_hosts: 4, block_ports: 4, block_pairs: 16,\n"
	    "    connect_max_duration: 1s, slow_window: 2h, slow_ports: 10,\n"
	    "    slow_hosts: 10}\n"
	    "  ping_sweep: {enabled: true, window: 1m, hosts: 30}\n"
	    "  flood_window: 5s\n"
	    "  syn_flood: {enabled: true, syns: 100, half_open_percent: 50}\n"
	    "  udp_flood: {enabled: false, packets: 10, bytes: 1000}\n"
	    "  icmp_flood: {enabled: true, packets: 100}\n"
	    "  amplification: {enabled: true, packets: 10, bytes: 1000,\n"
	    "    sources: 2, ports: [53, 123, 10000-10010]}\n"
	    "  backscatter: {enabled: true, packets: 10, sources: 2}\n"
	    "  worm: {enabled: true, window: 30s, hosts: 10,"
	    " payload_hosts: 2}\n"
	    "  bruteforce: {enabled: true, window: 5m, sessions: 3,\n"
	    "    max_duration: 10s, max_bytes: 5000, ports: [22, 2222]}\n"
	    "  arp: {enabled: true, grace: 1m, storm: 5, storm_window: 5s}\n"
	    "  icmp_redirect: {enabled: false, count: 2, window: 1m}\n"
	    "  blocklist: [203.0.113.0/24]\n"
	    "  inventory:\n"
	    "    networks: [10.0.0.0/8]\n"
	    "    services: [\"10.0.0.5:22/tcp\", \"*:53/udp\",\n"
	    "      \"[2001:db8::1]:443\", \"10.0.1.0/24:8000-8100/tcp\"]\n"
	    "  anomaly: {enabled: true, count: 3, window: 30s,\n"
	    "    ignore: [ip4_csum, tcp_opt]}\n";
	struct h *h;
	int i;

	CHECK_STR(conf_err(full), "");
	/* The thresholds take effect: 5 ports make a scan now. */
	h = h_new(full);
	for (i = 0; i < 5; i++)
		rej(h, h->now + SEC, "10.23.0.1", (uint16_t)(40000 + i),
		    "10.23.0.2", (uint16_t)(100 + i));
	h_end(h);
	CHECK_INT(count_kind(&h->col, "portscan"), 1);
	h_free(h);
	/* Empty and null sections are the defaults. */
	CHECK_STR(conf_err("detect:\n"), "");
	CHECK_STR(conf_err("detect:\n  scan:\n"), "");
}

TEST(conf_errors)
{
	struct h *h;
	int i;

	CHECK(has(conf_err("detect:\n  scna: {}\n"),
	    "test.yaml:2:"));
	CHECK(has(conf_err("detect:\n  scna: {}\n"), "scan"));
	CHECK(has(conf_err("detect:\n  scan:\n    prots: 3\n"),
	    "test.yaml:3:"));
	CHECK(has(conf_err("detect:\n  scan:\n    ports: 1\n"),
	    "'sensor.detect.scan.ports'"));
	CHECK(has(conf_err("detect:\n  scan:\n    ports: many\n"),
	    "test.yaml:3:"));
	CHECK(has(conf_err("detect:\n  scan:\n    window: soon\n"),
	    "'sensor.detect.scan.window'"));
	CHECK(has(conf_err("detect:\n  scan:\n    window: 0s\n"),
	    "at least 1s"));
	CHECK(has(conf_err("detect:\n  amplification:\n"
	    "    ports: [53, 0]\n"), "test.yaml:3:"));
	CHECK(has(conf_err("detect:\n  amplification:\n"
	    "    ports: [53, 70000]\n"), "ports[1]"));
	CHECK(has(conf_err("detect:\n  bruteforce: {ports: [\"30-20\"]}\n"),
	    "ports[0]"));
	CHECK(has(conf_err("detect:\n  blocklist:\n    - 10.0.0.0/8\n"
	    "    - 192.0.2.7/24\n"), "test.yaml:4:"));
	CHECK(has(conf_err("detect:\n  blocklist:\n    - 10.0.0.0/8\n"
	    "    - 192.0.2.7/24\n"), "192.0.2.0/24"));
	CHECK(has(conf_err("detect:\n  anomaly: {ignore: [tcp_flag]}\n"),
	    "unknown anomaly 'tcp_flag' (did you mean 'tcp_flags'?)"));
	CHECK(has(conf_err("detect:\n  anomaly: {ignore: [nonsense]}\n"),
	    "(known: link_trunc, "));
	CHECK(has(conf_err("detect:\n  inventory:\n    services:\n"
	    "      - 10.0.0.5:22/sctp\n"), "test.yaml:4:"));
	CHECK(has(conf_err("detect:\n  inventory:\n    services: "
	    "[\"10.0.0.5\"]\n"), "services[0]"));
	CHECK(has(conf_err("detect:\n  inventory:\n    services: "
	    "[\"10.0.0.5:0/tcp\"]\n"), "services[0]"));
	CHECK(has(conf_err("detect:\n  scan: {block_pairs: 4, "
	    "block_hosts: 8}\n"), "block_pairs"));
	CHECK(has(conf_err("detect:\n  scan: [1, 2]\n"), "test.yaml:2:"));
	CHECK(has(conf_err("detect:\n  max_tracked: 100\n"
	    "  worm:\n    hosts: 500\n"), "test.yaml:4: setting "
	    "'sensor.detect.worm.hosts': more than max_tracked (100)"));

	/* Nothing half-applied: a valid scan.ports before an invalid
	 * blocklist does not take effect. */
	h = h_new(NULL);
	{
		struct ydoc yd;
		char err[256];
		static const char *y = "detect:\n  scan: {ports: 5}\n"
		    "  blocklist: [nonsense]\n";

		CHECK_INT(ydoc_load_buf(&yd, "t.yaml", y, strlen(y), err,
		    sizeof(err)), 0);
		CHECK_INT(net_detect_conf_parse(&yd, ydoc_get(&yd,
		    ydoc_root(&yd), "detect"), "sensor.detect", h->c),
		    MAMORI_ECONFIG);
		CHECK(has(err, "t.yaml:3:"));
		ydoc_free(&yd);
	}
	for (i = 0; i < 5; i++)
		rej(h, h->now + SEC, "10.23.0.1", (uint16_t)(40000 + i),
		    "10.23.0.2", (uint16_t)(100 + i));
	h_end(h);
	CHECK_INT(h->col.n, 0);
	h_free(h);
}

/* ---- real scanners ---- */

static int have_netns;

/* Runs argv (stdout and stderr to /dev/null); 0 when it exits 0. */
static int
run_cmd(char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);		/* or the child's freopen() repeats it */
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * Captures on lo with libpcap into path while argv runs.  Immediate and
 * non-blocking: a packet on lo reaches the capture socket as it is sent,
 * so once the scanner has exited, draining the ring until it is empty
 * gets all of it, with no waiting.  Returns 0, or -1 (the reason on
 * stderr).
 */
static int
capture_while(const char *path, char *const argv[])
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_dumper_t *dump;
	pcap_t *pc;
	int n, r = -1;

	if ((pc = pcap_create("lo", err)) == NULL) {
		fprintf(stderr, "pcap_create: %s\n", err);
		return -1;
	}
	if (pcap_set_snaplen(pc, 256) != 0 ||
	    pcap_set_immediate_mode(pc, 1) != 0 ||
	    pcap_set_buffer_size(pc, 16 << 20) != 0 ||
	    pcap_activate(pc) < 0 || pcap_setnonblock(pc, 1, err) != 0 ||
	    (dump = pcap_dump_open(pc, path)) == NULL) {
		fprintf(stderr, "pcap: %s\n", pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	if (run_cmd(argv) == 0)
		r = 0;
	else
		fprintf(stderr, "%s failed\n", argv[0]);
	while ((n = pcap_dispatch(pc, -1, pcap_dump, (u_char *)dump)) > 0)
		;
	if (n < 0)
		r = -1;
	pcap_dump_close(dump);
	pcap_close(pc);
	return r;
}

/* A listening TCP socket on 10.99.0.1:port (the kernel completes
 * handshakes without accept()). */
static int
listen_on(uint16_t port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, "10.99.0.1", &sin.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 128) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST(real_nmap)
{
	static const struct {
		const char	*flag, *type;
	} scans[] = {
		{ "-sS", "syn" }, { "-sT", "connect" }, { "-sF", "fin" },
		{ "-sN", "null" }, { "-sX", "xmas" }, { "-sA", "ack" },
		{ "-sM", "maimon" }, { "-sU", "udp" },
	};
	char *up[] = { "ip", "link", "set", "lo", "up", NULL };
	char *addr[] = { "ip", "addr", "add", "10.99.0.1/24", "dev", "lo",
	    NULL };
	char *probe[] = { "nmap", "--version", NULL };
	char dir[] = "/tmp/mamori-det.XXXXXX", path[128];
	struct net_detect_conf *c;
	const struct got *g;
	struct col col;
	size_t i;
	int l22, l80;

	if (!have_netns || run_cmd(probe) != 0) {
		printf("real_nmap: skipped (needs root, network namespaces "
		    "and nmap)\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(run_cmd(up), 0);
	CHECK_INT(run_cmd(addr), 0);
	l22 = listen_on(22);
	l80 = listen_on(80);
	CHECK(l22 >= 0 && l80 >= 0);
	c = conf_from(NULL, NULL, 0);
	for (i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		char *nmap[] = { "nmap", (char *)scans[i].flag, "-p",
		    strcmp(scans[i].flag, "-sU") == 0 ? "1-60" : "1-200",
		    "-n", "-Pn", "-T5", "--max-retries", "0",
		    "--host-timeout", "120s", "10.99.0.1", NULL };

		snprintf(path, sizeof(path), "%s/nmap%s.pcap", dir,
		    scans[i].flag);
		CHECK_INT(capture_while(path, nmap), 0);
		memset(&col, 0, sizeof(col));
		col.verbose = verbose();
		col.name = scans[i].flag;
		CHECK_INT(run_capture(path, c, &col), 0);
		CHECK_INT(count_kind(&col, "portscan"), 1);
		if ((g = find(&col, "portscan", "10.99.0.1")) != NULL) {
			if (strcmp(g->type, scans[i].type) != 0)
				fprintf(stderr, "nmap %s\n", scans[i].flag);
			CHECK_STR(g->type, scans[i].type);
			CHECK_STR(g->shape, "vertical");
			CHECK_STR(g->dst, "10.99.0.1");
			CHECK(g->d.ports >= 55);
		}
		col_reset(&col);
		unlink(path);
	}
	net_detect_conf_free(c);
	close(l22);
	close(l80);
	rmdir(dir);
}

/* ---- the golden table ---- */

struct row {
	char	 f[8][256];
	int	 seen;
};

static int
split(char *line, struct row *r)
{
	char *s = line, *tab;
	int n = 0;

	memset(r, 0, sizeof(*r));
	while (n < 8) {
		tab = strchr(s, '\t');
		if (tab != NULL)
			*tab = '\0';
		snprintf(r->f[n++], sizeof(r->f[0]), "%.255s", s);
		if (tab == NULL)
			break;
		s = tab + 1;
	}
	return n;
}

static void
port_str(const struct net_detection *d, char *buf, size_t len)
{
	if (d->dport != 0)
		snprintf(buf, len, "%u", d->dport);
	else if (d->sport != 0)
		snprintf(buf, len, "%u", d->sport);
	else
		snprintf(buf, len, "-");
}

/* Checks one capture's detections against its rows. */
static void
golden_capture(const char *pcaps, struct row *rows, size_t nrows,
    const struct net_detect_conf *c)
{
	char path[1400], port[16];
	struct col col;
	size_t i, k;
	int nothing = nrows == 1 && strcmp(rows[0].f[1], "-") == 0, match;

	memset(&col, 0, sizeof(col));
	col.verbose = verbose();
	col.name = rows[0].f[0];
	snprintf(path, sizeof(path), "%s/%s", pcaps, rows[0].f[0]);
	if (run_capture(path, c, &col) != 0) {
		fprintf(stderr, "golden: cannot read %s\n", path);
		CHECK(!"capture missing");
		return;
	}
	for (i = 0; i < col.n; i++) {
		const struct got *g = &col.v[i];

		port_str(&g->d, port, sizeof(port));
		match = 0;
		for (k = 0; k < nrows && !nothing; k++)
			if (strcmp(rows[k].f[1], g->kind) == 0 &&
			    strcmp(rows[k].f[2], g->type) == 0 &&
			    strcmp(rows[k].f[3], g->shape) == 0 &&
			    strcmp(rows[k].f[4], g->src) == 0 &&
			    strcmp(rows[k].f[5], g->dst) == 0 &&
			    strcmp(rows[k].f[6], port) == 0) {
				rows[k].seen = 1;
				match = 1;
			}
		if (!match) {
			fprintf(stderr, "golden %s: unexpected %s %s %s "
			    "src=%s dst=%s port=%s: %s\n", rows[0].f[0],
			    g->kind, g->type, g->shape, g->src, g->dst, port,
			    g->d.text);
			CHECK(!"unexpected detection");
		}
	}
	for (k = 0; k < nrows && !nothing; k++)
		if (!rows[k].seen) {
			fprintf(stderr, "golden %s: missing %s %s %s src=%s "
			    "dst=%s port=%s\n", rows[k].f[0], rows[k].f[1],
			    rows[k].f[2], rows[k].f[3], rows[k].f[4],
			    rows[k].f[5], rows[k].f[6]);
			CHECK(!"missing detection");
		}
	col_reset(&col);
}

TEST(golden)
{
	const char *shared = getenv("MAMORI_SHARED");
	const char *src = getenv("MAMORI_SRC");
	struct net_detect_conf *c;
	char path[1024], pcaps[1024], line[2048];
	struct row rows[16];
	size_t nrows = 0, captures = 0;
	FILE *fp;
	int n;

	if (shared == NULL || src == NULL) {
		fprintf(stderr, "golden: MAMORI_SHARED and MAMORI_SRC must "
		    "be set (CTest sets them)\n");
		CHECK(!"environment");
		return;
	}
	snprintf(path, sizeof(path), "%s/tests/net-golden.tsv", src);
	snprintf(pcaps, sizeof(pcaps), "%s/data/pcaps", shared);
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "golden: %s: %s\n", path, strerror(errno));
		CHECK(!"golden table");
		return;
	}
	if (net_detect_conf_new(&c) != 0)
		abort();
	for (;;) {
		char *got = fgets(line, sizeof(line), fp);
		struct row r;

		if (got != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' || line[0] == '\0')
				continue;
			if ((n = split(line, &r)) < 7) {
				fprintf(stderr, "golden: %s: a row with %d "
				    "fields: %s\n", path, n, line);
				CHECK(!"bad row");
				continue;
			}
		}
		/* A capture's rows are consecutive; run it when they
		 * end. */
		if (nrows > 0 && (got == NULL ||
		    strcmp(r.f[0], rows[0].f[0]) != 0)) {
			golden_capture(pcaps, rows, nrows, c);
			captures++;
			nrows = 0;
		}
		if (got == NULL)
			break;
		if (nrows < sizeof(rows) / sizeof(rows[0]))
			rows[nrows++] = r;
	}
	fclose(fp);
	net_detect_conf_free(c);
	/* Every capture of the shared data's table. */
	CHECK_INT(captures, 26);
}

int
main(int argc, char **argv)
{
	struct net_detect_conf *c;
	struct col col;
	int i;

	/* With arguments: print what the default detectors find in each
	 * capture named (a tool for writing golden rows). */
	if (argc > 1) {
		c = conf_from(NULL, NULL, 0);
		for (i = 1; i < argc; i++) {
			memset(&col, 0, sizeof(col));
			col.verbose = 1;
			col.name = strrchr(argv[i], '/') != NULL ?
			    strrchr(argv[i], '/') + 1 : argv[i];
			if (run_capture(argv[i], c, &col) != 0)
				return 1;
			col_reset(&col);
		}
		net_detect_conf_free(c);
		return 0;
	}
	RUN(scan_vertical_limit);
	RUN(scan_types);
	RUN(scan_connect_and_halfopen);
	RUN(scan_udp_icmp_evidence);
	RUN(scan_shapes);
	RUN(scan_ipv6);
	RUN(benign_browsing);
	RUN(scan_slow);
	RUN(ping_sweeps);
	RUN(report_policy);
	RUN(syn_flood);
	RUN(udp_icmp_floods);
	RUN(amplification);
	RUN(backscatter);
	RUN(worm_udp);
	RUN(worm_tcp);
	RUN(bruteforce);
	RUN(arp);
	RUN(icmp_redirect);
	RUN(blocklist);
	RUN(unexpected_service);
	RUN(anomaly_episodes);
	RUN(eviction);
	RUN(scan_block_limit);
	RUN(syn_flood_windows);
	RUN(syn_flood_small);
	RUN(ping_arp_across_windows);
	RUN(table_lru_model);
	RUN(set_model);
	RUN(plist_model);
	RUN(conf_full);
	RUN(conf_errors);
	RUN(golden);
	/* The rest changes network settings: only in a namespace of our
	 * own. */
	have_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	RUN(real_nmap);
	return test_summary();
}
