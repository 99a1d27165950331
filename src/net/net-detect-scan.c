/*
 * net-detect-scan.c - port scans and ping sweeps.
 *
 * A scan is told from ordinary traffic by the outcome of its probes, not
 * by their number: a browser opens connections to dozens of servers in a
 * second and nearly all of them answer, while a scanner's probes mostly
 * go unanswered or are refused (the idea behind Zeek's scan.zeek and
 * Jung et al.'s Threshold Random Walk).  So the detector counts, per
 * source, the probes whose outcome says "scan":
 *
 *   - a SYN answered by RST (closed port), or by SYN-ACK after which the
 *     prober resets instead of completing (nmap -sS on an open port);
 *   - a SYN never answered (filtered; known when its flow ends);
 *   - a full handshake closed at once without data (connect scan,
 *     nmap -sT; known when its flow ends);
 *   - a packet opening a connection with FIN, no flags or FIN+PSH+URG
 *     (FIN, NULL and Xmas scans: no TCP stack sends these to open);
 *   - a bare ACK or FIN+ACK opening a connection, answered by RST or
 *     not at all (ACK and Maimon scans);
 *   - a UDP datagram never answered, or answered by ICMP port
 *     unreachable (UDP scan).
 *
 * Per source, within scan.window: the distinct targets and ports of
 * those outcomes (exact sets), and per target and per port how many of
 * the other (two small tables).  A source crosses when one target got
 * scan.ports distinct ports (vertical), one port was tried on
 * scan.hosts targets (horizontal), or the grid of targets x ports is
 * big and dense enough (block: many ports on many hosts, but not the
 * one-port-per-host pattern of peer-to-peer software).  A second,
 * long window (scan.slow_window) keeps HyperLogLog sketches of ports,
 * hosts and pairs per source to catch scans too slow for the first.
 *
 * Ping sweeps: ICMP echo (timestamp, address mask) requests, or bare
 * ACKs to port 80/443 answered by RST or not at all (nmap's TCP ping),
 * to ping_sweep.hosts distinct hosts within ping_sweep.window.  nmap's
 * default discovery adds SYNs to 443: a horizontal scan of only 80/443
 * from a source that is ping-sweeping is reported as the sweep.
 *
 * Every probe outcome of an inside host also goes to the worm detector
 * (net-detect-worm.c); a horizontal scan that is a worm's propagation
 * is reported as the worm only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-detect-impl.h"

enum {
	T_SYN, T_CONNECT, T_FIN, T_NULL, T_XMAS, T_ACK, T_MAIMON, T_UDP,
	T_N
};

static const char *const type_names[T_N] = {
	"syn", "connect", "fin", "null", "xmas", "ack", "maimon", "udp",
};

/* UDP traceroute's ports (Van Jacobson's 33434 + hops): its unanswered
 * probes look like a UDP scan of one host. */
#define TRACEROUTE_LO	33434
#define TRACEROUTE_HI	33534

struct scan_slow {
	int64_t		 start;		/* of the long window */
	int64_t		 first, last;	/* probes */
	uint64_t	 n;
	uint32_t	 types[T_N];
	uint16_t	 lo, hi;
	struct nd_hll	 ports, hosts, pairs;
	int64_t		 reported_ns;
	/* The last probe's host and port (valid when n > 0), and its
	 * port's hash: a scan keeps to one host (vertical) or one port
	 * (horizontal), and counting again what a sketch holds changes
	 * nothing, so neither is hashed and counted again. */
	uint64_t	 last_hh, last_hp;
	uint32_t	 last_pv;
};

/* A ping sweep's state, made at a source's first ping of a window and
 * given back when the window rolls: few sources ping. */
struct scan_ping {
	uint64_t	 pings, tcp_pings;
	struct nd_set	 ping_hosts;
	struct net_addr	 ping_lo, ping_hi, ping_first;
	struct nd_ep	 ping_ep;
};

/*
 * A source.  Every packet of a spoofed flood makes one (and evicts
 * one), so it is kept small (416 bytes with the entry's header, was
 * 552): the ping sweep's state and the slow window hang off it when
 * used.  What an eviction reads (the episode, what is freed) comes
 * first: the table prefetches an entry's first lines before evicting
 * it.
 */
struct scan_src {
	struct nd_ep	 ep;
	struct nd_set	 hosts, ports;
	struct scan_ping *ping;		/* NULL: no ping this window */
	struct scan_slow *slow;		/* made at the second outcome */

	/* The fast window. */
	uint32_t	 epoch;		/* changes when the state resets */
	uint32_t	 halfopen;
	uint32_t	 pairs;		/* distinct (host, port), at least */
	uint32_t	 nv, nh;	/* vertical targets, horizontal ports */
	uint16_t	 port_lo, port_hi;
	uint16_t	 hport;		/* the first horizontal port */
	uint8_t		 hproto;
	uint8_t		 protos;	/* 1 TCP, 2 UDP */
	uint32_t	 slow1_pv;	/* (below) */
	int64_t		 win_start;
	uint64_t	 attempts;	/* connections/probes opened */
	uint64_t	 outcomes;	/* of them, scan-like outcomes */
	int64_t		 last_attempt_ns;
	int64_t		 last_fast_ns;	/* last fast crossing */
	uint32_t	 types[T_N];
	struct net_addr	 host_lo, host_hi, first_host;

	/* The slow window's first probe, kept here until a second one
	 * makes the window (see slow_add()). */
	uint8_t		 slow1;		/* 1: these and slow1_pv hold
					   a probe */
	uint8_t		 slow1_type;
	uint64_t	 slow1_hh;
	int64_t		 slow1_ns;

	/* Ping sweeps: the window's start, and ARP requests (counted
	 * across windows). */
	int64_t		 ping_start;
	uint64_t	 arp_pings;
};

struct scan_pair {
	uint32_t	 epoch;
	struct nd_set	 ports;
	int		 vertical;
};

struct scan_port {
	uint32_t	 epoch;
	struct nd_set	 hosts;
	int		 horizontal;
};

struct nd_scan {
	struct nd_table	*src, *pair, *port;
	uint32_t	 epoch;
	/* Slow windows and ping states of sources that left, for the
	 * next ones (through their first word): at most one each per
	 * source entry. */
	struct scan_slow *spare;
	struct scan_ping *spare_ping;
};

static void scan_report(struct net_detect *d, struct nd_entry *e,
    int64_t now);
static int tcp_ping_port(uint16_t port);
static void ping_report(struct net_detect *d, struct nd_entry *e,
    int64_t now);

/* ---- state ---- */

/* The probes of an episode: the connections and datagrams the source
 * opened (an ICMP port unreachable and the datagram's timeout are two
 * outcomes of one probe). */
static uint64_t
scan_count(const struct scan_src *s)
{
	return s->attempts > 0 ? s->attempts : s->outcomes;
}

static __attribute__((noinline)) void
fast_reset(struct nd_scan *sc, struct scan_src *s, int64_t now)
{
	net_nd_set_release(&s->hosts);
	net_nd_set_release(&s->ports);
	s->epoch = ++sc->epoch;
	s->win_start = now;
	s->attempts = s->outcomes = 0;
	memset(s->types, 0, sizeof(s->types));
	s->halfopen = s->pairs = s->nv = s->nh = 0;
	s->port_lo = s->port_hi = 0;
	s->protos = 0;
	memset(&s->host_lo, 0, sizeof(s->host_lo));
	memset(&s->host_hi, 0, sizeof(s->host_hi));
	memset(&s->first_host, 0, sizeof(s->first_host));
	s->hport = 0;
	s->hproto = 0;
	memset(&s->ep, 0, sizeof(s->ep));
}

/* Gives s's ping state back to the spare list: its counts, hosts and
 * episode are zero again (ping_ep() of no state). */
static void
ping_free(struct nd_scan *sc, struct scan_src *s)
{
	struct scan_ping *pg = s->ping;

	if (pg == NULL)
		return;
	net_nd_set_release(&pg->ping_hosts);
	memcpy(pg, &sc->spare_ping, sizeof(sc->spare_ping));
	sc->spare_ping = pg;
	s->ping = NULL;
}

static __attribute__((noinline)) void
ping_reset(struct nd_scan *sc, struct scan_src *s, int64_t now)
{
	ping_free(sc, s);
	s->ping_start = now;
}

/* s's ping state, made zero when it has none; NULL when out of
 * memory. */
static struct scan_ping *
ping_state(struct nd_scan *sc, struct scan_src *s)
{
	struct scan_ping *pg;

	if (s->ping != NULL)
		return s->ping;
	if ((pg = sc->spare_ping) != NULL)
		memcpy(&sc->spare_ping, pg, sizeof(sc->spare_ping));
	else if ((pg = malloc(sizeof(*pg))) == NULL)
		return NULL;
	memset(pg, 0, sizeof(*pg));
	s->ping = pg;
	return pg;
}

/* The ping episode of s (zero when it has no ping state). */
static inline const struct nd_ep *
ping_ep(const struct scan_src *s)
{
	static const struct nd_ep none;

	return s->ping != NULL ? &s->ping->ping_ep : &none;
}

/* What src_release() frees when there is something. */
static __attribute__((noinline)) void
src_free(struct net_detect *d, struct scan_src *s)
{
	if (s->hosts.v != NULL)
		free(s->hosts.v);
	if (s->ports.v != NULL)
		free(s->ports.v);
	ping_free(d->scan, s);
	if (s->slow != NULL) {
		memcpy(s->slow, &d->scan->spare, sizeof(d->scan->spare));
		d->scan->spare = s->slow;
		s->slow = NULL;
	}
}

static void
src_release(struct net_detect *d, struct nd_entry *e)
{
	struct scan_src *s = ND_DATA(e, struct scan_src);

	/* The entry is gone: only what it owns is freed, nothing is
	 * cleared, and most (a flood's sources) own nothing. */
	if (((uintptr_t)s->hosts.v | (uintptr_t)s->ports.v |
	    (uintptr_t)s->ping | (uintptr_t)s->slow) != 0)
		src_free(d, s);
}

static void
src_evict(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct scan_src *s = ND_DATA(e, struct scan_src);

	if (s->ep.cross_ns != 0 && net_nd_ep_final(d, &s->ep, scan_count(s),
	    now))
		scan_report(d, e, now);
	if (s->ping != NULL && s->ping->ping_ep.cross_ns != 0 &&
	    net_nd_ep_final(d, &s->ping->ping_ep, s->ping->pings, now))
		ping_report(d, e, now);
}

static void
pair_release(struct net_detect *d, struct nd_entry *e)
{
	net_nd_set_release(&ND_DATA(e, struct scan_pair)->ports);
}

static void
port_release(struct net_detect *d, struct nd_entry *e)
{
	net_nd_set_release(&ND_DATA(e, struct scan_port)->hosts);
}

int
net_nd_scan_new(struct net_detect *d)
{
	struct nd_scan *sc;
	size_t cap = (size_t)d->c->max_entries;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return MAMORI_ENOMEM;
	d->scan = sc;
	if ((sc->src = net_nd_table_new(d, "scan.sources", cap,
	    sizeof(struct scan_src), src_evict, src_release)) == NULL ||
	    (sc->pair = net_nd_table_new(d, "scan.pairs", cap,
	    sizeof(struct scan_pair), NULL, pair_release)) == NULL ||
	    (sc->port = net_nd_table_new(d, "scan.ports", cap,
	    sizeof(struct scan_port), NULL, port_release)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
net_nd_scan_free(struct net_detect *d)
{
	struct scan_slow *w;
	struct scan_ping *pg;

	if (d->scan == NULL)
		return;
	net_nd_table_free(d->scan->src);
	net_nd_table_free(d->scan->pair);
	net_nd_table_free(d->scan->port);
	while ((w = d->scan->spare) != NULL) {
		memcpy(&d->scan->spare, w, sizeof(d->scan->spare));
		free(w);
	}
	while ((pg = d->scan->spare_ping) != NULL) {
		memcpy(&d->scan->spare_ping, pg, sizeof(d->scan->spare_ping));
		free(pg);
	}
	free(d->scan);
	d->scan = NULL;
}

static struct nd_entry *
src_get(struct net_detect *d, const struct net_addr *src, int64_t now,
    int create)
{
	struct nd_scan *sc = d->scan;
	struct nd_entry *e;
	struct scan_src *s;
	int created;

	if ((e = net_nd_table_get_addr(sc->src, src, now, create,
	    &created)) == NULL)
		return NULL;
	s = ND_DATA(e, struct scan_src);
	if (created) {
		/* fast_reset() and ping_reset() of a zeroed entry. */
		s->epoch = ++sc->epoch;
		s->win_start = now;
		s->ping_start = now;
	}
	/* The fast window rolls unless an episode holds it open. */
	if (s->ep.cross_ns == 0 && now - s->win_start >=
	    d->c->scan.window_ns)
		fast_reset(d->scan, s, now);
	if (now - s->ping_start >= d->c->ping.window_ns &&
	    ping_ep(s)->cross_ns == 0)
		ping_reset(sc, s, now);
	return e;
}

static inline void
range_add(struct net_addr *lo, struct net_addr *hi, int first,
    const struct net_addr *a)
{
	if (first || lo->family == 0) {
		*lo = *hi = *a;
		return;
	}
	if (a->family != lo->family)
		return;
	if (net_nd_addr_cmp(a, lo) < 0)
		*lo = *a;
	if (net_nd_addr_cmp(a, hi) > 0)
		*hi = *a;
}

/* ---- reports ---- */

static const char *
proto_name(uint8_t protos)
{
	return protos == 1 ? "tcp" : protos == 2 ? "udp" : "tcp+udp";
}

static void
hosts_text(struct net_detection *det, uint32_t n, int full,
    const struct net_addr *lo, const struct net_addr *hi)
{
	char a[64], b[64];

	if (n == 1) {
		net_nd_text(det, "on %s", net_addr_str(lo, a, sizeof(a)));
		return;
	}
	net_nd_text(det, "on %s%u hosts", full ? "at least " : "", n);
	if (lo->family != 0 && net_nd_addr_cmp(lo, hi) != 0)
		net_nd_text(det, " (%s-%s)", net_addr_str(lo, a, sizeof(a)),
		    net_addr_str(hi, b, sizeof(b)));
}

static int
main_type(const uint32_t *types, uint32_t halfopen)
{
	int i, best = 0;

	for (i = 1; i < T_N; i++)
		if (types[i] > types[best])
			best = i;
	/* Closed and filtered ports answer a connect scan as they answer
	 * a SYN scan; only open ports tell them apart: completed and
	 * dropped (connect) or reset before completing (SYN). */
	if (best == T_SYN && types[T_CONNECT] > halfopen)
		best = T_CONNECT;
	return best;
}

static void
scan_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct scan_src *s = ND_DATA(e, struct scan_src);
	struct net_detection det;
	const char *shape;
	uint64_t count = scan_count(s);
	int type = main_type(s->types, s->halfopen), i, other = 0;

	/* Many hosts each scanned vertically, or many ports each swept
	 * horizontally, are many ports on many hosts. */
	if ((s->nv > 0 && s->nh > 0) ||
	    s->nv >= (uint32_t)d->c->scan.block_hosts ||
	    s->nh >= (uint32_t)d->c->scan.block_ports)
		shape = "block";
	else if (s->nv > 0)
		shape = "vertical";
	else if (s->nh > 0)
		shape = "horizontal";
	else
		shape = "block";
	/* A worm's probing of one port is the worm's report, and SYNs or
	 * bare ACKs to port 80 or 443 of many hosts from a source that
	 * also pings them are nmap's host discovery (-PS443 -PA80),
	 * reported as the ping sweep. */
	if (strcmp(shape, "horizontal") == 0 && ((s->nh == 1 &&
	    net_nd_worm_active(d, &e->key.a, s->hproto, s->hport)) ||
	    ((type == T_ACK || type == T_SYN) && s->protos == 1 &&
	    s->ports.n <= 2 && tcp_ping_port(s->port_lo) &&
	    tcp_ping_port(s->port_hi) && ping_ep(s)->cross_ns != 0))) {
		net_nd_ep_mark(&s->ep, count, now);
		return;
	}
	net_nd_det_init(&det, "portscan", type_names[type], now, &s->ep, count);
	det.shape = shape;
	det.src = e->key.a;
	if (s->hosts.n == 1)
		det.dst = s->first_host;
	if (s->ports.n == 1)
		det.dport = s->port_lo;
	det.proto = s->protos == 1 ? NET_P_TCP : s->protos == 2 ?
	    NET_P_UDP : 0;
	det.targets = s->hosts.n;
	det.ports = s->ports.n;
	det.severity = 2;
	net_nd_text(&det, "%s %s scan: ", shape, type_names[type]);
	if (s->ports.n == 1)
		net_nd_text(&det, "port %u/%s ", s->port_lo,
		    proto_name(s->protos));
	else
		net_nd_text(&det, "%s ports %u-%u (%s%u distinct) ",
		    proto_name(s->protos), s->port_lo, s->port_hi,
		    s->ports.full ? "at least " : "", s->ports.n);
	hosts_text(&det, s->hosts.n, s->hosts.full, &s->host_lo,
	    &s->host_hi);
	net_nd_text(&det, "; %llu probes, %.1f/s",
	    (unsigned long long)count, det.rate);
	for (i = 0; i < T_N; i++)
		if (i != type && s->types[i] > 0 && !(type == T_CONNECT &&
		    i == T_SYN)) {
			net_nd_text(&det, "%s%s=%u", other++ ? " " : "; also ",
			    type_names[i], s->types[i]);
		}
	net_nd_ep_mark(&s->ep, count, now);
	net_nd_emit(d, &det);
}

static void
ping_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct scan_src *src = ND_DATA(e, struct scan_src);
	struct scan_ping *s = src->ping;
	struct net_detection det;
	int tcp = s->tcp_pings * 2 > s->pings;
	int arp = !tcp && src->arp_pings * 2 > s->pings;

	net_nd_det_init(&det, "ping_sweep", tcp ? "tcp" : arp ? "arp" :
	    "icmp", now, &s->ping_ep, s->pings);
	det.src = e->key.a;
	if (s->ping_hosts.n == 1)
		det.dst = s->ping_first;
	det.proto = tcp ? NET_P_TCP : arp ? 0 : e->key.a.family == 6 ?
	    NET_P_ICMP6 : NET_P_ICMP;
	det.targets = s->ping_hosts.n;
	det.severity = 1;
	net_nd_text(&det, "%s ping sweep ", tcp ? "TCP ACK (port 80/443)" :
	    arp ? "ARP" : "ICMP echo");
	hosts_text(&det, s->ping_hosts.n, s->ping_hosts.full, &s->ping_lo,
	    &s->ping_hi);
	net_nd_text(&det, "; %llu probes, %.1f/s", (unsigned long long)s->pings,
	    det.rate);
	if (s->tcp_pings > 0 && s->tcp_pings < s->pings)
		net_nd_text(&det, " (%llu TCP, %llu ICMP)",
		    (unsigned long long)s->tcp_pings,
		    (unsigned long long)(s->pings - s->tcp_pings));
	net_nd_ep_mark(&s->ping_ep, s->pings, now);
	net_nd_emit(d, &det);
}

static void
slow_report(struct net_detect *d, struct nd_entry *e, struct scan_slow *w,
    const char *shape, uint32_t np, uint32_t nh, int64_t now)
{
	struct net_detection det;
	int type = main_type(w->types, 0);
	struct nd_ep ep;
	double mins;

	memset(&ep, 0, sizeof(ep));
	ep.first_ns = w->first;
	ep.last_ns = w->last;
	net_nd_det_init(&det, "portscan", type_names[type], now, &ep, w->n);
	det.shape = shape;
	det.src = e->key.a;
	det.targets = nh;
	det.ports = np;
	det.severity = 2;
	mins = (double)(w->last - w->first) / 60e9;
	net_nd_text(&det, "slow %s %s scan: about %u ports (%u-%u) on about %u "
	    "host%s over %.0f min; %llu probes", shape, type_names[type], np,
	    w->lo, w->hi, nh, nh == 1 ? "" : "s", mins,
	    (unsigned long long)w->n);
	net_nd_emit(d, &det);
}

/* ---- the slow window ---- */

/* Counts one probe in the slow window w (rolling it first when the
 * probe lies past it). */
static void
slow_count(const struct net_detect_conf *c, struct scan_slow *w, uint64_t hh,
    uint32_t pv, int type, int64_t probe_ns)
{
	uint64_t hp, buf[2];
	uint16_t port = (uint16_t)pv;

	if (probe_ns - w->start >= c->scan.slow_window_ns) {
		int64_t rep = w->reported_ns;

		memset(w, 0, sizeof(*w));
		w->start = probe_ns;
		w->reported_ns = rep;
	}
	if (w->n > 0 && pv == w->last_pv)
		hp = w->last_hp;
	else {
		hp = net_nd_hash64(&pv, sizeof(pv), 77);
		net_nd_hll_add(&w->ports, hp);
		w->last_pv = pv;
		w->last_hp = hp;
	}
	if (w->n == 0 || hh != w->last_hh) {
		net_nd_hll_add(&w->hosts, hh);
		w->last_hh = hh;
	}
	buf[0] = hh;
	buf[1] = hp;
	net_nd_hll_add(&w->pairs, net_nd_hash64(buf, sizeof(buf), 78));
	if (w->n == 0 || probe_ns < w->first)
		w->first = probe_ns;
	if (probe_ns > w->last)
		w->last = probe_ns;
	if (w->n == 0 || port < w->lo)
		w->lo = port;
	if (w->n == 0 || port > w->hi)
		w->hi = port;
	w->n++;
	w->types[type]++;
}

/*
 * The slow window.  Most sources probe once and are gone (every source
 * of a spoofed SYN flood "probes" its victim once): a window of one
 * probe can report nothing (its first and last probe are one), so the
 * first probe is only noted in the source entry, and the window (464
 * bytes, three sketches) is made at the second, which counts the first
 * then itself: the same window as if made at the first.
 */
static void
slow_add(struct net_detect *d, struct nd_entry *e, struct scan_src *s,
    uint64_t hh, uint32_t pv, int type, int64_t probe_ns)
{
	const struct net_detect_conf *c = d->c;
	struct scan_slow *w = s->slow;
	uint32_t np, nh, npairs, mx;
	const char *shape = NULL;

	if (w == NULL) {
		if (!s->slow1) {
			s->slow1 = 1;
			s->slow1_hh = hh;
			s->slow1_pv = pv;
			s->slow1_type = (uint8_t)type;
			s->slow1_ns = probe_ns;
			return;
		}
		if ((w = d->scan->spare) != NULL) {
			memcpy(&d->scan->spare, w, sizeof(d->scan->spare));
			memset(w, 0, sizeof(*w));
		} else if ((w = calloc(1, sizeof(*w))) == NULL)
			return;
		s->slow = w;
		s->slow1 = 0;
		w->start = s->slow1_ns;
		slow_count(c, w, s->slow1_hh, s->slow1_pv, s->slow1_type,
		    s->slow1_ns);
	}
	slow_count(c, w, hh, pv, type, probe_ns);

	/* The fast window speaks for what it saw: the long one only for
	 * probes spread wider than it. */
	if (w->last - w->first < c->scan.window_ns)
		return;
	if (s->ep.cross_ns != 0 || (s->last_fast_ns != 0 &&
	    probe_ns - s->last_fast_ns < c->scan.slow_window_ns))
		return;
	if (w->reported_ns != 0 && probe_ns - w->reported_ns <
	    c->scan.slow_window_ns)
		return;
	np = (uint32_t)(net_nd_hll_count(&w->ports) + 0.5);
	nh = (uint32_t)(net_nd_hll_count(&w->hosts) + 0.5);
	npairs = (uint32_t)(net_nd_hll_count(&w->pairs) + 0.5);
	mx = np > nh ? np : nh;
	if (np >= (uint32_t)c->scan.slow_ports && nh * 4 <= np)
		shape = "vertical";
	else if (nh >= (uint32_t)c->scan.slow_hosts && np * 4 <= nh)
		shape = "horizontal";
	else if (npairs >= (uint32_t)c->scan.block_pairs &&
	    np >= (uint32_t)c->scan.block_ports &&
	    nh >= (uint32_t)c->scan.block_hosts && npairs >= 2 * mx)
		shape = "block";
	if (shape == NULL)
		return;
	slow_report(d, e, w, shape, np, nh, d->now > probe_ns ? d->now :
	    probe_ns);
	{
		int64_t start = probe_ns;

		memset(w, 0, sizeof(*w));
		w->start = start;
		w->reported_ns = start;
	}
}

/* ---- probes and outcomes ---- */

static void
attempt(struct net_detect *d, const struct net_addr *src, int64_t ts)
{
	struct nd_entry *e;
	struct scan_src *s;

	if (!d->c->scan.enabled || net_nd_allowed(d, src))
		return;
	if ((e = src_get(d, src, ts, 1)) == NULL)
		return;
	s = ND_DATA(e, struct scan_src);
	s->attempts++;
	s->last_attempt_ns = ts;
}

/* Counts the probe to dst (32-bit hash dh32) on pv in the source's
 * pair and port entries, at probe_ns. */
static void
pair_port_add(struct net_detect *d, struct nd_entry *e,
    const struct net_addr *dst, uint32_t dh32, uint32_t pv, int64_t probe_ns)
{
	const struct net_detect_conf *c = d->c;
	struct nd_scan *sc = d->scan;
	struct scan_src *s = ND_DATA(e, struct scan_src);
	struct nd_entry *pe, *po;
	struct scan_pair *pr;
	struct scan_port *pt;
	struct nd_key k;
	int created;

	/* Per target: distinct ports (vertical). */
	net_nd_key_init(&k);
	k.a = e->key.a;
	k.b = *dst;
	if ((pe = net_nd_table_get(sc->pair, &k, probe_ns, 1, &created)) !=
	    NULL) {
		pr = ND_DATA(pe, struct scan_pair);
		if (created || pr->epoch != s->epoch) {
			net_nd_set_release(&pr->ports);
			pr->epoch = s->epoch;
			pr->vertical = 0;
		}
		if (net_nd_set_add(&pr->ports, pv, (uint32_t)c->scan.ports))
			s->pairs++;
		if (!pr->vertical && pr->ports.n >= (uint32_t)c->scan.ports) {
			pr->vertical = 1;
			s->nv++;
		}
	}
	/* Per port: distinct targets (horizontal). */
	memset(&k.b, 0, sizeof(k.b));
	k.port = pv;
	if ((po = net_nd_table_get(sc->port, &k, probe_ns, 1, &created)) !=
	    NULL) {
		pt = ND_DATA(po, struct scan_port);
		if (created || pt->epoch != s->epoch) {
			net_nd_set_release(&pt->hosts);
			pt->epoch = s->epoch;
			pt->horizontal = 0;
		}
		net_nd_set_add(&pt->hosts, dh32, (uint32_t)c->scan.hosts);
		if (!pt->horizontal && pt->hosts.n >=
		    (uint32_t)c->scan.hosts) {
			pt->horizontal = 1;
			if (s->nh++ == 0) {
				s->hport = (uint16_t)pv;
				s->hproto = (uint8_t)(pv >> 16);
			}
		}
	}
}

/*
 * A probe from src to dst:port (proto) sent at probe_ns whose outcome
 * says scan, learnt at now.
 *
 * The pair (source, target) and port (source, port) entries of a
 * source's first probe in its window would each hold that probe alone,
 * which the source entry holds too (first_host, port_lo, protos, the
 * episode's first_ns): they are made when a second probe comes, as the
 * first would have made them, then the second counts.  Nearly every
 * source of a spoofed flood probes once: this spares the two tables two
 * entries per packet made only to be evicted, and the other sources'
 * entries their eviction.
 */
static void
outcome(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, uint8_t proto, uint16_t port, int type,
    int64_t probe_ns)
{
	const struct net_detect_conf *c = d->c;
	struct nd_scan *sc = d->scan;
	struct nd_entry *e;
	struct scan_src *s;
	uint32_t pv = (uint32_t)proto << 16 | port, mx, dh32;
	uint64_t dh;
	int first;

	if (!c->scan.enabled || !net_nd_addr_unicast(dst) ||
	    dst->family != src->family || net_nd_allowed(d, src))
		return;
	if (proto == NET_P_UDP && port >= TRACEROUTE_LO &&
	    port <= TRACEROUTE_HI)
		return;
	if ((e = src_get(d, src, probe_ns, 1)) == NULL)
		return;
	s = ND_DATA(e, struct scan_src);
	/* The target's hash, once: the sets take its 32-bit form
	 * (net_nd_addr_h32()), the slow window's sketch the whole. */
	dh = net_nd_addr_hash64(dst);
	dh32 = (uint32_t)(dh ^ (dh >> 32));
	if (dh32 == 0)
		dh32 = 1;

	/* The first probe waits (it crosses nothing: scan.ports and
	 * scan.hosts are at least 2, and the block shape needs several
	 * hosts), and its pair is counted when its entries are made. */
	if (s->outcomes > 0) {
		if (s->outcomes == 1)
			pair_port_add(d, e, &s->first_host,
			    net_nd_addr_h32(&s->first_host),
			    (uint32_t)(s->protos == 2 ? NET_P_UDP : NET_P_TCP)
			    << 16 | s->port_lo, s->ep.first_ns);
		pair_port_add(d, e, dst, dh32, pv, probe_ns);
	}
	first = s->hosts.n == 0;
	if (net_nd_set_add(&s->hosts, dh32,
	    (uint32_t)c->max_tracked)) {
		range_add(&s->host_lo, &s->host_hi, first, dst);
		if (first)
			s->first_host = *dst;
	}
	first = s->ports.n == 0;
	if (net_nd_set_add(&s->ports, pv, (uint32_t)c->max_tracked)) {
		if (first || port < s->port_lo)
			s->port_lo = port;
		if (first || port > s->port_hi)
			s->port_hi = port;
	}
	s->protos |= proto == NET_P_UDP ? 2 : 1;
	s->types[type]++;
	if (s->outcomes++ == 0 || probe_ns < s->ep.first_ns)
		s->ep.first_ns = probe_ns;
	if (probe_ns > s->ep.last_ns)
		s->ep.last_ns = probe_ns;

	if (s->ep.cross_ns == 0) {
		mx = s->hosts.n > s->ports.n ? s->hosts.n : s->ports.n;
		if (s->nv > 0 || s->nh > 0 ||
		    (s->hosts.n >= (uint32_t)c->scan.block_hosts &&
		    s->ports.n >= (uint32_t)c->scan.block_ports &&
		    s->pairs >= (uint32_t)c->scan.block_pairs &&
		    s->pairs >= 2 * mx)) {
			s->ep.cross_ns = d->now > probe_ns ? d->now :
			    probe_ns;
			if (s->ep.cross_ns <= 0)
				s->ep.cross_ns = 1;
			if (s->ep.first_ns > s->win_start)
				s->ep.first_ns = s->win_start;
			s->last_fast_ns = s->ep.cross_ns;
			net_nd_table_activate(sc->src, e, 1);
		}
	} else
		s->last_fast_ns = probe_ns;
	if (s->ep.cross_ns != 0 && net_nd_ep_due(d, &s->ep, scan_count(s),
	    d->now))
		scan_report(d, e, d->now);

	slow_add(d, e, s, dh, pv, type, probe_ns);
}

/* kind: 0 ICMP echo, 1 TCP ACK to 80/443, 2 ARP request. */
static void
ping(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, int kind, int64_t ts)
{
	struct nd_entry *e;
	struct scan_src *ss;
	struct scan_ping *s;
	int64_t now = d->now > ts ? d->now : ts;
	int first;

	if (!d->c->ping.enabled || !net_nd_addr_unicast(dst) ||
	    net_nd_allowed(d, src))
		return;
	if ((e = src_get(d, src, ts, 1)) == NULL)
		return;
	ss = ND_DATA(e, struct scan_src);
	if ((s = ping_state(d->scan, ss)) == NULL)
		return;
	s->pings++;
	if (kind == 1)
		s->tcp_pings++;
	else if (kind == 2)
		ss->arp_pings++;
	first = s->ping_hosts.n == 0;
	if (net_nd_set_add(&s->ping_hosts, net_nd_addr_h32(dst),
	    (uint32_t)d->c->max_tracked)) {
		range_add(&s->ping_lo, &s->ping_hi, first, dst);
		if (first)
			s->ping_first = *dst;
	}
	if (s->pings == 1)
		s->ping_ep.first_ns = ts;
	if (ts > s->ping_ep.last_ns)
		s->ping_ep.last_ns = ts;
	if (s->ping_ep.cross_ns == 0 && s->ping_hosts.n >=
	    (uint32_t)d->c->ping.hosts) {
		s->ping_ep.cross_ns = now > 0 ? now : 1;
		if (ss->ping_start < s->ping_ep.first_ns)
			s->ping_ep.first_ns = ss->ping_start;
		net_nd_table_activate(d->scan->src, e, 1);
	}
	if (s->ping_ep.cross_ns != 0 && net_nd_ep_due(d, &s->ping_ep, s->pings,
	    now))
		ping_report(d, e, now);
}

/* Datagrams from a service port to a high one are answers (solicited
 * or, in a reflection attack, not), not probes.  (So nmap -g 53 against
 * high ports goes unseen.) */
static int
udp_answer(const struct net_detect *d, uint16_t sport, uint16_t dport)
{
	return ND_BIT(d->c->amp.ports, sport) && dport >= 1024;
}

static int
tcp_ping_port(uint16_t port)
{
	return port == 80 || port == 443;
}

/* Bare ACK or FIN+ACK without data: ACK and Maimon probes. */
static int
ack_probe_flags(uint8_t base)
{
	return (base & NET_TH_ACK) && !(base & (NET_TH_SYN | NET_TH_RST |
	    NET_TH_PUSH | NET_TH_URG));
}

/*
 * A flow opened by a bare ACK (or FIN+ACK) without data, answered by a
 * reset or not at all: an ACK (Maimon) probe, and to port 80 or 443
 * nmap's TCP ping as well.  Judged by the outcome because a flow the
 * sensor picks up in the middle also starts with an ACK, which its peer
 * answers with data.
 */
static void
ack_outcome(struct net_detect *d, const struct net_flow *f)
{
	uint8_t of = f->orig_flags & 0x3f;

	if (of == NET_TH_ACK && tcp_ping_port(f->resp_p))
		ping(d, &f->orig_h, &f->resp_h, 1, f->first_ns);
	outcome(d, &f->orig_h, &f->resp_h, NET_P_TCP, f->resp_p,
	    (of & NET_TH_FIN) ? T_MAIMON : T_ACK, f->first_ns);
}

/* A TCP packet that does not open a connection with a SYN: out of the
 * way of those that do (every packet of a SYN flood). */
static __attribute__((noinline)) void
tcp_other(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	uint8_t base = p->tcp_flags & 0x3f, of;
	int type;

	if (is_new && dir == 0) {
		if (!(base & (NET_TH_SYN | NET_TH_ACK | NET_TH_RST))) {
			/* No stack opens with these: the probe is the
			 * outcome. */
			if (base == 0)
				type = T_NULL;
			else if (base == NET_TH_FIN)
				type = T_FIN;
			else
				type = T_XMAS;
			attempt(d, &p->src, p->ts_ns);
			outcome(d, &p->src, &p->dst, NET_P_TCP, p->dport, type,
			    p->ts_ns);
		} else if (ack_probe_flags(base) && p->plen == 0)
			attempt(d, &p->src, p->ts_ns);
		return;
	}
	of = f->orig_flags & 0x3f;
	if (dir == 1 && (base & NET_TH_RST) && f->resp_pkts == 1 &&
	    !f->established) {
		/* The first answer is a reset: closed port (SYN), or an
		 * unfiltered one (ACK, Maimon). */
		if ((of & NET_TH_SYN) && !(of & NET_TH_ACK)) {
			outcome(d, &f->orig_h, &f->resp_h, NET_P_TCP,
			    f->resp_p, T_SYN, f->first_ns);
			net_nd_worm_failed(d, &f->orig_h, &f->resp_h, NET_P_TCP,
			    f->resp_p, f->first_ns);
		} else if (ack_probe_flags(of) && f->orig_bytes == 0)
			ack_outcome(d, f);
		return;
	}
	if (dir == 0 && (base & NET_TH_RST) && (of & NET_TH_SYN) &&
	    !(of & NET_TH_ACK) && (f->resp_flags & NET_TH_SYN) &&
	    (f->resp_flags & NET_TH_ACK) && f->orig_pkts <= 3) {
		/* SYN, SYN-ACK, RST without ever acknowledging: an open
		 * port found half-open.  (The flow table calls the flow
		 * established at the SYN-ACK, as Zeek does; the missing
		 * ACK is what tells.) */
		struct nd_entry *e;

		outcome(d, &f->orig_h, &f->resp_h, NET_P_TCP, f->resp_p,
		    T_SYN, f->first_ns);
		if ((e = src_get(d, &f->orig_h, f->first_ns, 0)) != NULL)
			ND_DATA(e, struct scan_src)->halfopen++;
	}
}

static inline void
tcp_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	uint8_t base = p->tcp_flags & 0x3f;

	if (f == NULL || p->l4len < 20 || (p->anomalies &
	    (NET_ANOM_TCP_TRUNC | NET_ANOM_TCP_HLEN)))
		return;
	if (is_new && dir == 0 && (base & NET_TH_SYN) &&
	    !(base & (NET_TH_ACK | NET_TH_RST)))
		attempt(d, &p->src, p->ts_ns);
	else
		tcp_other(d, p, f, dir, is_new);
}

static __attribute__((noinline)) void
icmp_packet(struct net_detect *d, const struct net_pkt *p)
{
	struct nd_entry *e;
	struct scan_src *s;
	int echo, unreach;

	if (p->l4len < 4)
		return;
	if (p->proto == NET_P_ICMP) {
		echo = p->icmp_type == 8 || p->icmp_type == 13 ||
		    p->icmp_type == 17;
		unreach = p->icmp_type == 3 && p->icmp_code == 3;
	} else {
		echo = p->icmp_type == 128;
		unreach = p->icmp_type == 1 && p->icmp_code == 4;
	}
	if (echo) {
		ping(d, &p->src, &p->dst, 0, p->ts_ns);
		return;
	}
	if (!unreach || !p->has_inner || p->inner_proto != NET_P_UDP ||
	    udp_answer(d, p->inner_sport, p->inner_dport))
		return;
	/* Port unreachable: evidence for a UDP probe, but only from a
	 * source seen sending (a spoofed victim of a reflection attack
	 * receives these too, for probes it never sent). */
	if ((e = src_get(d, &p->inner_src, p->ts_ns, 0)) == NULL)
		return;
	s = ND_DATA(e, struct scan_src);
	if (s->attempts == 0 || p->ts_ns - s->last_attempt_ns >
	    d->c->scan.window_ns)
		return;
	outcome(d, &p->inner_src, &p->inner_dst, NET_P_UDP, p->inner_dport,
	    T_UDP, p->ts_ns);
	net_nd_worm_failed(d, &p->inner_src, &p->inner_dst, NET_P_UDP,
	    p->inner_dport, p->ts_ns);
}

/*
 * An ARP request for another address: on the local segment, nmap's host
 * discovery (-sn, -PR) and arp-scan ask every address of the network.
 * Probes for an address conflict (sender 0.0.0.0) and gratuitous ARP
 * (asking for one's own address) are not lookups of others.
 */
static __attribute__((noinline)) void
arp_request(struct net_detect *d, const struct net_pkt *p)
{
	if (p->arp_op != 1 || p->arp_spa.family != 4 ||
	    p->arp_tpa.family != 4 ||
	    memcmp(p->arp_spa.a, p->arp_tpa.a, 4) == 0 ||
	    (p->arp_spa.a[0] | p->arp_spa.a[1] | p->arp_spa.a[2] |
	    p->arp_spa.a[3]) == 0)
		return;
	ping(d, &p->arp_spa, &p->arp_tpa, 2, p->ts_ns);
}

/* A datagram opening a flow: a probe, unless it answers. */
static __attribute__((noinline)) void
udp_new(struct net_detect *d, const struct net_pkt *p)
{
	if (p->l4len < 8 || !net_nd_addr_unicast(&p->dst) ||
	    udp_answer(d, p->sport, p->dport))
		return;
	attempt(d, &p->src, p->ts_ns);
	if (p->plen > 0)
		net_nd_worm_delivered(d, &p->src, &p->dst, NET_P_UDP,
		    p->dport, p->ts_ns);
}

void
net_nd_scan_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	if (p->is_arp) {
		arp_request(d, p);
		return;
	}
	if (p->l4 == NULL || (p->is_frag && p->frag_off != 0))
		return;
	switch (p->proto) {
	case NET_P_TCP:
		tcp_packet(d, p, f, dir, is_new);
		break;
	case NET_P_UDP:
		if (f != NULL && is_new && dir == 0)
			udp_new(d, p);
		break;
	case NET_P_ICMP:
	case NET_P_ICMP6:
		icmp_packet(d, p);
		break;
	}
}

void
net_nd_scan_flow_end(struct net_detect *d, const struct net_flow *f)
{
	uint8_t of = f->orig_flags & 0x3f;

	if (f->proto == NET_P_TCP) {
		if (f->resp_pkts == 0) {
			if ((of & NET_TH_SYN) && !(of & NET_TH_ACK)) {
				outcome(d, &f->orig_h, &f->resp_h, NET_P_TCP,
				    f->resp_p, T_SYN, f->first_ns);
				net_nd_worm_failed(d, &f->orig_h, &f->resp_h,
				    NET_P_TCP, f->resp_p, f->first_ns);
			} else if (ack_probe_flags(of) && f->orig_bytes == 0 &&
			    f->orig_pkts <= 3)
				ack_outcome(d, f);
		} else if (f->established && f->orig_bytes == 0 &&
		    (of & NET_TH_SYN) && (of & NET_TH_ACK) &&
		    (of & (NET_TH_FIN | NET_TH_RST)) &&
		    f->last_ns - f->first_ns <= d->c->scan.connect_max_ns)
			outcome(d, &f->orig_h, &f->resp_h, NET_P_TCP,
			    f->resp_p, T_CONNECT, f->first_ns);
		if (f->established && f->orig_bytes > 0)
			net_nd_worm_delivered(d, &f->orig_h, &f->resp_h,
			    NET_P_TCP, f->resp_p, f->first_ns);
	} else if (f->proto == NET_P_UDP) {
		if (f->resp_pkts == 0 && f->orig_pkts <= 3 &&
		    !udp_answer(d, f->orig_p, f->resp_p)) {
			outcome(d, &f->orig_h, &f->resp_h, NET_P_UDP,
			    f->resp_p, T_UDP, f->first_ns);
			net_nd_worm_failed(d, &f->orig_h, &f->resp_h, NET_P_UDP,
			    f->resp_p, f->first_ns);
		}
	}
}

void
net_nd_scan_tick(struct net_detect *d, int64_t now, int flush)
{
	const struct net_detect_conf *c = d->c;
	struct nd_scan *sc = d->scan;
	struct nd_entry *e, *next;
	struct scan_src *s;
	struct scan_ping *pg;
	int64_t keep;
	uint64_t count;

	for (e = net_nd_table_active(sc->src); e != NULL; e = next) {
		next = e->anext;
		s = ND_DATA(e, struct scan_src);
		if (s->ep.cross_ns != 0) {
			count = scan_count(s);
			if (flush || now - s->ep.last_ns >= c->scan.window_ns) {
				if (net_nd_ep_final(d, &s->ep, count, now))
					scan_report(d, e, now);
				fast_reset(sc, s, now);
			} else if (net_nd_ep_due(d, &s->ep, count, now))
				scan_report(d, e, now);
		}
		if ((pg = s->ping) != NULL && pg->ping_ep.cross_ns != 0) {
			if (flush || now - pg->ping_ep.last_ns >=
			    c->ping.window_ns) {
				if (net_nd_ep_final(d, &pg->ping_ep, pg->pings,
				    now))
					ping_report(d, e, now);
				ping_reset(sc, s, now);
			} else if (net_nd_ep_due(d, &pg->ping_ep, pg->pings,
			    now))
				ping_report(d, e, now);
		}
		if (s->ep.cross_ns == 0 && ping_ep(s)->cross_ns == 0)
			net_nd_table_activate(sc->src, e, 0);
	}
	if (flush) {
		net_nd_table_expire(sc->src, INT64_MAX);
		net_nd_table_expire(sc->pair, INT64_MAX);
		net_nd_table_expire(sc->port, INT64_MAX);
		return;
	}
	keep = c->scan.slow_window_ns;
	if (c->scan.window_ns > keep)
		keep = c->scan.window_ns;
	if (c->ping.window_ns > keep)
		keep = c->ping.window_ns;
	net_nd_table_expire(sc->src, now - keep);
	net_nd_table_expire(sc->pair, now - c->scan.window_ns);
	net_nd_table_expire(sc->port, now - c->scan.window_ns);
}
