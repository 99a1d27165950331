/*
 * net-detect-flood.c - denial of service seen at the victim: SYN, UDP
 * and ICMP floods, reflection/amplification, and backscatter.
 *
 * Everything here is counted per destination, because the sources of a
 * flood are usually spoofed: the SYN flood capture of the shared data
 * has 37,600 sources with one or two packets each, which no per-source
 * logic can see.  Each destination keeps counters over a sliding window
 * (flood_window; two tumbling windows, the older weighted by how much of
 * it still overlaps, as Cloudflare's rate limiter does), so a burst that
 * straddles a window boundary is not halved.
 *
 *   syn_flood      SYNs opening connections to the victim, when at least
 *                  half_open_percent of them never complete the
 *                  handshake (a busy server completes nearly all).
 *   udp_flood      UDP datagrams sent to the victim (the originator's
 *                  direction of each flow: a download answers the
 *                  victim's own request and does not count).
 *   icmp_flood     ICMP to the victim that is not an answer to it.
 *   amplification  unsolicited UDP from well-known reflector ports (DNS,
 *                  NTP, SNMP, CLDAP, SSDP, memcached, ...): responses to
 *                  queries the victim never sent, from many reflectors.
 *                  A resolver's solicited answers open no flow and do
 *                  not count.  When these dominate, a UDP flood is
 *                  reported as amplification, not both.
 *   backscatter    unsolicited SYN-ACKs and RSTs from many sources: the
 *                  victim's address is being spoofed (a SYN-ACK
 *                  reflection flood, or the echo of a SYN flood that uses
 *                  it as source).  Not a scan, though it touches many
 *                  ports.
 *
 * An episode opens when its condition holds and ends when it has not
 * held for a whole window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-detect-impl.h"

enum {
	M_SYN, M_SYNDONE, M_UDP, M_UDPB, M_REFL, M_REFLB, M_ICMP, M_BS,
	M_SYNACK, M_N
};

enum { K_SYN, K_UDP, K_ICMP, K_AMP, K_BS, K_N };

static const char *const kind_names[K_N] = {
	"syn_flood", "udp_flood", "icmp_flood", "amplification",
	"backscatter",
};

/* Sources are sketched once a destination gets this many flood-type
 * packets in a window (the first few are not worth 640 bytes). */
#define EXT_AFTER	64

#define NREFL	8

struct flood_ext {
	struct nd_hll	 all;		/* this window's sources */
	struct nd_hll	 syn_ports;	/* and its SYNs' ports */
	struct nd_hll	 udp_ports;	/* and its datagrams' ports */
	struct nd_hll	 refl[2];	/* cur, prev: reflectors */
	struct nd_hll	 bs[2];		/* cur, prev: backscatter */
	/* Whether syn_ports, udp_ports hold the window's first port
	 * (port1) already: a flood hits one port, and counting a value a
	 * sketch holds changes nothing, so it is not hashed again. */
	uint8_t		 syn_has1, udp_has1;
};

struct flood_ep {
	struct nd_ep	 ep;
	uint64_t	 pkts, bytes, done, synack;
	struct nd_hll	 srcs;
	struct net_addr	 one_src;
	int		 many_src;
	uint16_t	 port;
	int		 many_port;
	uint16_t	 rport[NREFL];
	uint64_t	 rn[NREFL];
	int64_t		 above_ns;	/* condition last held */
};

struct flood_dst {
	int64_t		 start;		/* of the current window */
	struct net_addr	 src1;		/* this window's first source */
	int		 src_many;	/* and whether there were others */
	uint16_t	 port1;		/* its first destination port */
	int		 port_many;
	uint64_t	 cur[M_N], prev[M_N];
	struct flood_ext *x;
	struct flood_ep	*ep[K_N];
};

struct nd_flood {
	struct nd_table	*dst;
};

static void flood_report(struct net_detect *d, struct nd_entry *e, int k,
    int64_t now);

static void
dst_release(struct net_detect *d, struct nd_entry *e)
{
	struct flood_dst *fd = ND_DATA(e, struct flood_dst);
	int k;

	free(fd->x);
	for (k = 0; k < K_N; k++)
		free(fd->ep[k]);
}

static void
dst_evict(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct flood_dst *fd = ND_DATA(e, struct flood_dst);
	int k;

	for (k = 0; k < K_N; k++)
		if (fd->ep[k] != NULL && net_nd_ep_final(d, &fd->ep[k]->ep,
		    fd->ep[k]->pkts, now))
			flood_report(d, e, k, now);
}

int
net_nd_flood_new(struct net_detect *d)
{
	struct nd_flood *fl;

	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		return MAMORI_ENOMEM;
	d->flood = fl;
	if ((fl->dst = net_nd_table_new(d, "flood.destinations",
	    (size_t)d->c->max_entries, sizeof(struct flood_dst), dst_evict,
	    dst_release)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
net_nd_flood_free(struct net_detect *d)
{
	if (d->flood == NULL)
		return;
	net_nd_table_free(d->flood->dst);
	free(d->flood);
	d->flood = NULL;
}

static void
roll(struct flood_dst *fd, int64_t now, int64_t w)
{
	int64_t age = now - fd->start;
	int m;

	if (age < w)
		return;
	if (age >= 2 * w) {
		memset(fd->prev, 0, sizeof(fd->prev));
		if (fd->x != NULL) {
			memset(&fd->x->refl[1], 0, sizeof(fd->x->refl[1]));
			memset(&fd->x->bs[1], 0, sizeof(fd->x->bs[1]));
		}
	} else {
		memcpy(fd->prev, fd->cur, sizeof(fd->prev));
		if (fd->x != NULL) {
			fd->x->refl[1] = fd->x->refl[0];
			fd->x->bs[1] = fd->x->bs[0];
		}
	}
	for (m = 0; m < M_N; m++)
		fd->cur[m] = 0;
	if (fd->x != NULL) {
		memset(&fd->x->all, 0, sizeof(fd->x->all));
		memset(&fd->x->syn_ports, 0, sizeof(fd->x->syn_ports));
		memset(&fd->x->udp_ports, 0, sizeof(fd->x->udp_ports));
		fd->x->syn_has1 = fd->x->udp_has1 = 0;
		memset(&fd->x->refl[0], 0, sizeof(fd->x->refl[0]));
		memset(&fd->x->bs[0], 0, sizeof(fd->x->bs[0]));
	}
	fd->start += (age / w) * w;
	memset(&fd->src1, 0, sizeof(fd->src1));
	fd->src_many = 0;
	fd->port1 = 0;
	fd->port_many = 0;
}

/* The sliding-window value of metric m. */
static double
val(const struct flood_dst *fd, int m, int64_t now, int64_t w)
{
	double left = (double)(w - (now - fd->start)) / (double)w;

	if (left < 0)
		left = 0;
	return (double)fd->cur[m] + (double)fd->prev[m] * left;
}

static double
srcs(const struct nd_hll *h)
{
	double a = net_nd_hll_count(&h[0]), b = net_nd_hll_count(&h[1]);

	return a > b ? a : b;
}

/* One source sending to many ports of the victim is scanning it (the
 * scan detector reports that), not flooding a service. */
static int
one_src_scan(const struct net_detect *d, const struct flood_dst *fd,
    const struct nd_hll *ports)
{
	return !fd->src_many && net_nd_hll_count(ports) >= d->c->scan.ports;
}

static int
holds(const struct net_detect *d, const struct flood_dst *fd, int k,
    int64_t now)
{
	const struct net_detect_conf *c = d->c;
	int64_t w = c->flood_window_ns;
	double syn, done, udp, refl;

	/* The cheap tests first: sketches are counted only above the
	 * rate thresholds.  And before the sliding values in floating
	 * point, their bounds in integers: with the window not in the
	 * future, a value is at most its two windows' sum (val() weighs
	 * the older by at most 1; the counts are far below 2^53, where
	 * doubles are exact, and rounding is monotonic), so a sum below a
	 * threshold settles it (nearly every packet of a destination under
	 * attack by nobody). */
	if (now >= fd->start) {
#define ND_BELOW(m, t)	(fd->cur[m] + fd->prev[m] < (uint64_t)(t))
		switch (k) {
		case K_SYN:
			if (ND_BELOW(M_SYN, c->syn_flood.syns))
				return 0;
			break;
		case K_UDP:
			if (ND_BELOW(M_UDP, c->udp_flood.packets) &&
			    ND_BELOW(M_UDPB, c->udp_flood.bytes))
				return 0;
			break;
		case K_ICMP:
			if (ND_BELOW(M_ICMP, c->icmp_flood.packets))
				return 0;
			break;
		case K_AMP:
			if (ND_BELOW(M_REFL, c->amp.packets) &&
			    ND_BELOW(M_REFLB, c->amp.bytes))
				return 0;
			break;
		case K_BS:
			if (ND_BELOW(M_BS, c->backscatter.packets))
				return 0;
			break;
		}
#undef ND_BELOW
	}
	switch (k) {
	case K_SYN:
		if (!c->syn_flood.enabled)
			return 0;
		syn = val(fd, M_SYN, now, w);
		done = val(fd, M_SYNDONE, now, w);
		return syn >= c->syn_flood.syns && (syn - done) * 100 >=
		    (double)c->syn_flood.half_open_pct * syn &&
		    !(fd->x != NULL && one_src_scan(d, fd,
		    &fd->x->syn_ports));
	case K_UDP:
		if (!c->udp_flood.enabled)
			return 0;
		udp = val(fd, M_UDP, now, w);
		refl = val(fd, M_REFL, now, w);
		return (udp >= c->udp_flood.packets ||
		    val(fd, M_UDPB, now, w) >= (double)c->udp_flood.bytes) &&
		    refl * 2 < udp && !(fd->x != NULL && one_src_scan(d, fd,
		    &fd->x->udp_ports));
	case K_ICMP:
		return c->icmp_flood.enabled && val(fd, M_ICMP, now, w) >=
		    c->icmp_flood.packets;
	case K_AMP:
		return c->amp.enabled && fd->x != NULL &&
		    (val(fd, M_REFL, now, w) >= c->amp.packets ||
		    val(fd, M_REFLB, now, w) >= (double)c->amp.bytes) &&
		    srcs(fd->x->refl) >= c->amp.sources;
	case K_BS:
		return c->backscatter.enabled && fd->x != NULL &&
		    val(fd, M_BS, now, w) >= c->backscatter.packets &&
		    srcs(fd->x->bs) >= c->backscatter.sources;
	}
	return 0;
}

/* hs: where the source's hash goes in a sketch. */
static inline __attribute__((always_inline)) void
ep_count(struct flood_ep *fe, const struct net_pkt *p, struct nd_hll_pos hs,
    uint64_t len, int64_t ts, uint16_t port, uint16_t rport)
{
	int i;

	fe->pkts++;
	fe->bytes += len;
	if (ts > fe->ep.last_ns)
		fe->ep.last_ns = ts;
	net_nd_hll_put(&fe->srcs, hs);
	if (fe->one_src.family == 0)
		fe->one_src = p->src;
	else if (!fe->many_src && !net_nd_addr_eq(&fe->one_src, &p->src))
		fe->many_src = 1;
	if (port != fe->port)
		fe->many_port = 1;
	if (rport != 0) {
		for (i = 0; i < NREFL; i++)
			if (fe->rport[i] == rport || fe->rn[i] == 0) {
				fe->rport[i] = rport;
				fe->rn[i]++;
				break;
			}
	}
}

static uint64_t
metric_at(const struct flood_dst *fd, int m, int64_t now, int64_t w)
{
	return (uint64_t)(val(fd, m, now, w) + 0.5);
}

static void
cross(struct net_detect *d, struct nd_entry *e, int k, int64_t now)
{
	struct flood_dst *fd = ND_DATA(e, struct flood_dst);
	int64_t w = d->c->flood_window_ns;
	struct flood_ep *fe;

	if ((fe = calloc(1, sizeof(*fe))) == NULL)
		return;
	fd->ep[k] = fe;
	fe->ep.cross_ns = now > 0 ? now : 1;
	fe->ep.first_ns = fd->prev[k == K_SYN ? M_SYN : k == K_UDP ? M_UDP :
	    k == K_ICMP ? M_ICMP : k == K_AMP ? M_REFL : M_BS] > 0 ?
	    fd->start - w : fd->start;
	fe->ep.last_ns = now;
	fe->above_ns = now;
	/* What the window held before the crossing belongs to the
	 * episode; the packet that crossed is counted by the caller. */
	switch (k) {
	case K_SYN:
		fe->pkts = metric_at(fd, M_SYN, now, w);
		fe->done = metric_at(fd, M_SYNDONE, now, w);
		break;
	case K_UDP:
		fe->pkts = metric_at(fd, M_UDP, now, w);
		fe->bytes = metric_at(fd, M_UDPB, now, w);
		break;
	case K_ICMP:
		fe->pkts = metric_at(fd, M_ICMP, now, w);
		break;
	case K_AMP:
		fe->pkts = metric_at(fd, M_REFL, now, w);
		fe->bytes = metric_at(fd, M_REFLB, now, w);
		fe->srcs = fd->x->refl[0];
		break;
	case K_BS:
		fe->pkts = metric_at(fd, M_BS, now, w);
		fe->synack = metric_at(fd, M_SYNACK, now, w);
		fe->srcs = fd->x->bs[0];
		break;
	}
	if (fe->pkts > 0)
		fe->pkts--;	/* the crossing packet, counted next */
	if ((k == K_SYN || k == K_UDP || k == K_ICMP) && fd->x != NULL)
		fe->srcs = fd->x->all;
	fe->one_src = fd->src1;
	fe->many_src = fd->src_many;
	fe->port = fd->port1;
	fe->many_port = fd->port_many;
	net_nd_table_activate(d->flood->dst, e, 1);
}

static const char *
refl_name(uint16_t port)
{
	const char *s = net_nd_service_name(NET_P_UDP, port);

	return s != NULL ? s : "udp";
}

static void
flood_report(struct net_detect *d, struct nd_entry *e, int k, int64_t now)
{
	struct flood_dst *fd = ND_DATA(e, struct flood_dst);
	struct flood_ep *fe = fd->ep[k];
	struct net_detection det;
	char a[64], b[32];
	double secs, nsrc = net_nd_hll_count(&fe->srcs);
	uint16_t rport = 0;
	uint64_t rn = 0;
	int i;

	net_nd_det_init(&det, kind_names[k], NULL, now, &fe->ep, fe->pkts);
	det.dst = e->key.a;
	if (!fe->many_src)
		det.src = fe->one_src;
	det.targets = 1;
	det.severity = 3;
	secs = (double)(fe->ep.last_ns - fe->ep.first_ns) / 1e9;
	net_addr_str(&e->key.a, a, sizeof(a));
	switch (k) {
	case K_SYN:
		det.proto = NET_P_TCP;
		if (!fe->many_port)
			det.dport = fe->port;
		net_nd_text(&det, "SYN flood on %s", a);
		if (!fe->many_port)
			net_nd_text(&det, " port %u", fe->port);
		net_nd_text(&det, ": %llu SYNs in %.1f s (%.0f/s) from about "
		    "%.0f sources; %.0f%% half-open",
		    (unsigned long long)fe->pkts, secs, det.rate, nsrc,
		    fe->pkts > 0 ? 100.0 * (double)(fe->pkts -
		    (fe->done < fe->pkts ? fe->done : fe->pkts)) /
		    (double)fe->pkts : 0.0);
		break;
	case K_UDP:
		det.proto = NET_P_UDP;
		if (!fe->many_port)
			det.dport = fe->port;
		net_nd_text(&det, "UDP flood on %s", a);
		if (!fe->many_port)
			net_nd_text(&det, " port %u", fe->port);
		net_nd_text(&det, ": %llu packets (%s) in %.1f s (%.0f/s) from "
		    "about %.0f sources", (unsigned long long)fe->pkts,
		    net_nd_bytes_str(fe->bytes, b, sizeof(b)), secs, det.rate,
		    nsrc);
		break;
	case K_ICMP:
		det.proto = e->key.a.family == 6 ? NET_P_ICMP6 : NET_P_ICMP;
		net_nd_text(&det, "ICMP flood on %s: %llu packets in %.1f s "
		    "(%.0f/s) from about %.0f sources", a,
		    (unsigned long long)fe->pkts, secs, det.rate, nsrc);
		break;
	case K_AMP:
		det.proto = NET_P_UDP;
		for (i = 0; i < NREFL; i++)
			if (fe->rn[i] > rn) {
				rn = fe->rn[i];
				rport = fe->rport[i];
			}
		det.type = refl_name(rport);
		det.sport = rport;
		net_nd_text(&det, "%s (UDP/%u) reflection/amplification on %s: "
		    "%llu unsolicited responses (%s) in %.3f s (%.0f/s) from "
		    "about %.0f reflectors", refl_name(rport), rport, a,
		    (unsigned long long)fe->pkts,
		    net_nd_bytes_str(fe->bytes, b, sizeof(b)), secs, det.rate,
		    nsrc);
		for (i = 0; i < NREFL; i++)
			if (fe->rn[i] > 0 && fe->rport[i] != rport)
				net_nd_text(&det, "; also %s/%u=%llu",
				    refl_name(fe->rport[i]), fe->rport[i],
				    (unsigned long long)fe->rn[i]);
		break;
	case K_BS:
		det.proto = NET_P_TCP;
		det.severity = 2;
		net_nd_text(&det, "backscatter toward %s: %llu unsolicited "
		    "SYN-ACK/RST (%llu SYN-ACK) in %.3f s from about %.0f "
		    "sources; its address is being spoofed (SYN-ACK "
		    "reflection, or a flood sent in its name), not a scan", a,
		    (unsigned long long)fe->pkts,
		    (unsigned long long)(fe->synack < fe->pkts ? fe->synack :
		    fe->pkts), secs, nsrc);
		break;
	}
	net_nd_ep_mark(&fe->ep, fe->pkts, now);
	net_nd_emit(d, &det);
}

/*
 * A SYN to the most recent destination, which is in a SYN flood
 * episode checked lately, within the window: what the rest of
 * net_nd_flood_packet() does for it, without its generality (the one
 * kind of packet of a SYN flood, and half of the benchmark's).  Returns
 * 0, having done nothing, when the SYN is not such.
 */
static inline int
syn_in_episode(struct net_detect *d, const struct net_pkt *p, int64_t now)
{
	struct nd_entry *e = net_nd_table_mru(d->flood->dst);
	int64_t w = d->c->flood_window_ns;
	struct flood_dst *fd;
	struct flood_ext *x;
	struct flood_ep *fe;
	struct nd_hll_pos hs;

	if (e == NULL || !net_nd_addr_same(&e->key.a, &p->dst))
		return 0;
	fd = ND_DATA(e, struct flood_dst);
	if ((x = fd->x) == NULL || now - fd->start >= w ||
	    fd->src1.family == 0 || (fe = fd->ep[K_SYN]) == NULL ||
	    fe->above_ns <= now - w / 8)
		return 0;
	if (now > e->touch_ns)
		e->touch_ns = now;
	if (!fd->src_many && !net_nd_addr_eq(&fd->src1, &p->src))
		fd->src_many = 1;
	if (p->dport != fd->port1)
		fd->port_many = 1;
	fd->cur[M_SYN]++;
	hs = net_nd_hll_pos(net_nd_addr_hash64(&p->src));
	net_nd_hll_put(&x->all, hs);
	if (!(p->dport == fd->port1 && x->syn_has1)) {
		net_nd_hll_add(&x->syn_ports, p->dport);
		x->syn_has1 |= p->dport == fd->port1;
	}
	ep_count(fe, p, hs, 0, now, p->dport, 0);
	if (net_nd_ep_due(d, &fe->ep, fe->pkts, now))
		flood_report(d, e, K_SYN, now);
	return 1;
}

/*
 * What a packet adds to its destination's metrics: the metrics it
 * counts in (bits 1 << M_*; at most four, so no array of nine is
 * cleared and summed per packet), its length for the byte metrics, and
 * the kinds whose episodes it concerns.
 */
void
net_nd_flood_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	const struct net_detect_conf *c = d->c;
	int64_t w = c->flood_window_ns, now = p->ts_ns, recheck;
	uint64_t len = p->ip_len != 0 ? p->ip_len : p->wirelen;
	struct nd_hll_pos hs;
	struct nd_entry *e;
	struct flood_dst *fd;
	struct flood_ep *fe;
	uint8_t base;
	uint16_t rport = 0;
	unsigned add = 0, kinds = 0, k, b, m;
	int bs = 0, refl = 0, later = p->is_frag && p->frag_off != 0;
	int hs_ok = 0;

	(void)is_new;
	if (!net_nd_addr_unicast(&p->dst))
		return;
	/* What the packet counts in (add) and the kinds it concerns
	 * (kinds, visited in the order of K_*: reports come in that order
	 * when one packet makes two due). */
	if (later) {
		/* A later fragment: its bytes only. */
		if (p->proto == NET_P_UDP) {
			add = 1u << M_UDPB;
			if (len != 0)
				kinds = 1u << K_UDP;
		}
	} else if (p->proto == NET_P_TCP && p->l4 != NULL &&
	    p->l4len >= 20 && f != NULL) {
		base = p->tcp_flags & 0x3f;
		if (dir == 0 && (base & NET_TH_SYN) && !(base & (NET_TH_ACK |
		    NET_TH_RST))) {
			add = 1u << M_SYN;
			kinds = 1u << K_SYN;
		} else if (dir == 0 && base == NET_TH_ACK && p->plen == 0 &&
		    f->established && f->orig_pkts <= 3) {
			add = 1u << M_SYNDONE;
			kinds = 1u << K_SYN;
		} else if ((base & NET_TH_SYN) && (base & NET_TH_ACK) &&
		    dir == 1 && f->orig_pkts == 0) {
			/* A SYN-ACK answering no SYN (the flow table makes
			 * its receiver the originator, who sent nothing). */
			add = 1u << M_BS | 1u << M_SYNACK;
			kinds = 1u << K_BS;
			bs = 1;
		} else if (dir == 0 && (base & NET_TH_RST) && !(f->orig_flags &
		    NET_TH_SYN) && f->orig_pkts <= 2 && f->resp_pkts == 0) {
			add = 1u << M_BS;
			kinds = 1u << K_BS;
			bs = 1;
		}
	} else if (p->proto == NET_P_UDP && p->l4 != NULL && f != NULL &&
	    dir == 0) {
		add = 1u << M_UDP | 1u << M_UDPB;
		kinds = 1u << K_UDP;
		if (ND_BIT(c->amp.ports, p->sport)) {
			add |= 1u << M_REFL | 1u << M_REFLB;
			kinds |= 1u << K_AMP;
			refl = 1;
			rport = p->sport;
		}
	} else if ((p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) &&
	    (f == NULL || dir == 0 || f->orig_pkts == 0)) {
		/* Not answering the victim: an echo reply to no request has
		 * its flow flipped, with the victim as originator. */
		add = 1u << M_ICMP;
		kinds = 1u << K_ICMP;
	}
	if (add == 0)
		return;
	if (add == 1u << M_SYN && syn_in_episode(d, p, now))
		return;
	{
		int created;

		if ((e = net_nd_table_get_addr(d->flood->dst, &p->dst, now, 1,
		    &created)) == NULL)
			return;
		fd = ND_DATA(e, struct flood_dst);
		if (created)
			fd->start = now;
	}
	if (now - fd->start >= w)
		roll(fd, now, w);
	if (fd->src1.family == 0) {
		fd->src1 = p->src;
		fd->port1 = p->dport;
	} else {
		if (!fd->src_many && !net_nd_addr_eq(&fd->src1, &p->src))
			fd->src_many = 1;
		if (p->dport != fd->port1)
			fd->port_many = 1;
	}
	if (later && fd->cur[M_REFL] > 0) {
		add |= 1u << M_REFLB;
		if (len != 0)
			kinds |= 1u << K_AMP;
	}
	/* The counts: one per packet metric, len per byte metric. */
	for (b = add; b != 0; b &= b - 1) {
		m = (unsigned)__builtin_ctz(b);
		fd->cur[m] += m == M_UDPB || m == M_REFLB ? len : 1;
	}
	if (fd->x == NULL && fd->cur[M_SYN] + fd->cur[M_UDP] +
	    fd->cur[M_ICMP] + fd->cur[M_BS] >= EXT_AFTER)
		fd->x = calloc(1, sizeof(*fd->x));
	/* The source's place in a sketch, once: the sketches of the window
	 * and of the episodes all take it (neither exists for most
	 * destinations, and then it is not computed). */
	if (fd->x != NULL) {
		struct flood_ext *x = fd->x;

		hs = net_nd_hll_pos(net_nd_addr_hash64(&p->src));
		hs_ok = 1;

		net_nd_hll_put(&x->all, hs);
		if (add & 1u << M_SYN) {
			if (!(p->dport == fd->port1 && x->syn_has1)) {
				net_nd_hll_add(&x->syn_ports, p->dport);
				x->syn_has1 |= p->dport == fd->port1;
			}
		} else if (add & 1u << M_UDP) {
			if (!(p->dport == fd->port1 && x->udp_has1)) {
				net_nd_hll_add(&x->udp_ports, p->dport);
				x->udp_has1 |= p->dport == fd->port1;
			}
			if (refl)
				net_nd_hll_put(&x->refl[0], hs);
		} else if (bs)
			net_nd_hll_put(&x->bs[0], hs);
	}
	/* During an episode, its condition is re-checked a few times a
	 * window, not per packet. */
	recheck = now - w / 8;
	for (; kinds != 0; kinds &= kinds - 1) {
		k = (unsigned)__builtin_ctz(kinds);
		if ((fe = fd->ep[k]) != NULL && fe->above_ns > recheck)
			;
		else if (holds(d, fd, (int)k, now)) {
			if (fd->ep[k] == NULL)
				cross(d, e, (int)k, now);
			if (fd->ep[k] != NULL)
				fd->ep[k]->above_ns = now;
		}
		if ((fe = fd->ep[k]) == NULL)
			continue;
		if (add & 1u << M_SYNDONE) {
			fe->done++;
			continue;
		}
		if (later) {
			fe->bytes += len;
			continue;
		}
		if (add & 1u << M_SYNACK)
			fe->synack++;
		if (!hs_ok) {
			hs = net_nd_hll_pos(net_nd_addr_hash64(&p->src));
			hs_ok = 1;
		}
		ep_count(fe, p, hs, k == K_SYN || k == K_ICMP || k == K_BS ?
		    0 : len, now, p->dport, k == K_AMP ? rport : 0);
		if (net_nd_ep_due(d, &fe->ep, fe->pkts, now))
			flood_report(d, e, (int)k, now);
	}
}

void
net_nd_flood_tick(struct net_detect *d, int64_t now, int flush)
{
	struct nd_flood *fl = d->flood;
	struct nd_entry *e, *next;
	struct flood_dst *fd;
	struct flood_ep *fe;
	int k, open;

	for (e = net_nd_table_active(fl->dst); e != NULL; e = next) {
		next = e->anext;
		fd = ND_DATA(e, struct flood_dst);
		open = 0;
		for (k = 0; k < K_N; k++) {
			if ((fe = fd->ep[k]) == NULL)
				continue;
			if (flush || now - fe->above_ns >=
			    d->c->flood_window_ns) {
				if (net_nd_ep_final(d, &fe->ep, fe->pkts, now))
					flood_report(d, e, k, now);
				free(fe);
				fd->ep[k] = NULL;
			} else {
				if (net_nd_ep_due(d, &fe->ep, fe->pkts, now))
					flood_report(d, e, k, now);
				open = 1;
			}
		}
		if (!open)
			net_nd_table_activate(fl->dst, e, 0);
	}
	if (flush)
		net_nd_table_expire(fl->dst, INT64_MAX);
	else
		net_nd_table_expire(fl->dst, now - 2 * d->c->flood_window_ns);
}
