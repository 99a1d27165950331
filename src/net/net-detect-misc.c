/*
 * net-detect-misc.c - the small detectors: ARP spoofing and gratuitous
 * ARP storms, ICMP redirects, traffic to or from blocklisted addresses,
 * services answering that the inventory does not declare, and decoder
 * anomalies.
 *
 * ARP spoofing (arpwatch's "flip flop"): the detector remembers which
 * MAC last claimed each IPv4 address.  A different MAC claiming it while
 * the previous one was heard within arp.grace (5 min) is a change worth
 * reporting: ARP cache poisoning (arpspoof, ettercap) keeps re-claiming
 * the gateway every few seconds while the real gateway keeps answering.
 * A change after the old MAC was silent for longer is taken for a
 * reassignment (DHCP handing the address to another machine, a replaced
 * NIC) and only remembered.  ARP probes (sender 0.0.0.0, RFC 5227) bind
 * nothing.  Gratuitous ARP (sender address = target address) is normal
 * at boot and on failover, a few at a time; arp.storm of them within
 * arp.storm_window from one MAC is a storm.
 *
 * Anomalies: each decoder anomaly bit (net.h) is counted per source and
 * kind; anomaly.count of them within anomaly.window open an episode,
 * reported once with its count, not per packet.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-detect-impl.h"

struct arp_ent {
	uint8_t		 mac[6], prev[6];
	int64_t		 last;		/* the current MAC last heard */
	uint64_t	 changes;
	struct nd_ep	 ep;
};

struct storm_ent {
	int64_t		 win_start;
	uint64_t	 count;
	uint8_t		 mac[6];
	struct net_addr	 ip;
	struct nd_ep	 ep;
};

struct redir_ent {
	int64_t		 win_start;
	uint64_t	 count;
	struct net_addr	 gw, target;
	struct nd_ep	 ep;
};

struct contact_ent {		/* blocklist and unexpected_service */
	uint64_t	 count;
	uint16_t	 port;
	uint8_t		 proto;
	int		 inbound;
	struct net_addr	 peer;
	struct nd_hll	 peers;
	struct nd_ep	 ep;
};

struct anom_ent {
	int64_t		 win_start;
	uint64_t	 count;
	struct net_addr	 dst;
	int		 many_dst;
	struct nd_ep	 ep;
};

struct nd_misc {
	struct nd_table	*arp, *storm, *redir, *block, *svc, *anom;
};

/* ---- tables ---- */

int
net_nd_misc_new(struct net_detect *d)
{
	struct nd_misc *m;
	size_t cap = (size_t)d->c->max_entries;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MAMORI_ENOMEM;
	d->misc = m;
	if ((m->arp = net_nd_table_new(d, "arp", cap, sizeof(struct arp_ent),
	    NULL, NULL)) == NULL ||
	    (m->storm = net_nd_table_new(d, "arp_storm", cap,
	    sizeof(struct storm_ent), NULL, NULL)) == NULL ||
	    (m->redir = net_nd_table_new(d, "icmp_redirect", cap,
	    sizeof(struct redir_ent), NULL, NULL)) == NULL ||
	    (m->block = net_nd_table_new(d, "blocklist", cap,
	    sizeof(struct contact_ent), NULL, NULL)) == NULL ||
	    (m->svc = net_nd_table_new(d, "unexpected_service", cap,
	    sizeof(struct contact_ent), NULL, NULL)) == NULL ||
	    (m->anom = net_nd_table_new(d, "anomaly", cap,
	    sizeof(struct anom_ent), NULL, NULL)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
net_nd_misc_free(struct net_detect *d)
{
	struct nd_misc *m = d->misc;

	if (m == NULL)
		return;
	net_nd_table_free(m->arp);
	net_nd_table_free(m->storm);
	net_nd_table_free(m->redir);
	net_nd_table_free(m->block);
	net_nd_table_free(m->svc);
	net_nd_table_free(m->anom);
	free(m);
	d->misc = NULL;
}

static char *
mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	return buf;
}

static int64_t
nz(int64_t t)
{
	return t > 0 ? t : 1;
}

/* ---- ARP ---- */

static void
arp_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct arp_ent *a = ND_DATA(e, struct arp_ent);
	struct net_detection det;
	char ip[64], m1[24], m2[24];

	net_nd_det_init(&det, "arp_spoof", NULL, now, &a->ep, a->changes);
	det.src = e->key.a;
	det.severity = 3;
	net_nd_text(&det, "%s changed MAC from %s to %s (%llu change%s "
	    "while the previous MAC was still heard): ARP cache poisoning "
	    "(a man in the middle) or an address conflict",
	    net_addr_str(&e->key.a, ip, sizeof(ip)),
	    mac_str(a->prev, m1, sizeof(m1)), mac_str(a->mac, m2, sizeof(m2)),
	    (unsigned long long)a->changes, a->changes == 1 ? "" : "s");
	net_nd_ep_mark(&a->ep, a->changes, now);
	net_nd_emit(d, &det);
}

static void
storm_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct storm_ent *s = ND_DATA(e, struct storm_ent);
	struct net_detection det;
	char ip[64], m[24];

	net_nd_det_init(&det, "arp_storm", NULL, now, &s->ep, s->count);
	det.src = s->ip;
	det.severity = 2;
	net_nd_text(&det, "gratuitous ARP storm from %s (%s): %llu in %.1f s",
	    mac_str(s->mac, m, sizeof(m)), net_addr_str(&s->ip, ip,
	    sizeof(ip)), (unsigned long long)s->count,
	    (double)(s->ep.last_ns - s->ep.first_ns) / 1e9);
	net_nd_ep_mark(&s->ep, s->count, now);
	net_nd_emit(d, &det);
}

static void
arp_packet(struct net_detect *d, const struct net_pkt *p)
{
	const struct net_detect_conf *c = d->c;
	struct nd_misc *m = d->misc;
	static const uint8_t zero[6];
	struct nd_entry *e;
	struct arp_ent *a;
	struct storm_ent *s;
	struct nd_key k;
	int64_t ts = p->ts_ns;
	int created;

	if (!c->arp.enabled || p->arp_spa.family != 4 ||
	    (p->arp_op != 1 && p->arp_op != 2) ||
	    memcmp(p->arp_sha, zero, 6) == 0)
		return;
	if (p->arp_spa.a[0] == 0 && p->arp_spa.a[1] == 0 &&
	    p->arp_spa.a[2] == 0 && p->arp_spa.a[3] == 0)
		return;		/* a probe: binds nothing */

	if (net_addr_eq(&p->arp_spa, &p->arp_tpa)) {
		net_nd_key_init(&k);
		memcpy(k.b.a, p->arp_sha, 6);
		if ((e = net_nd_table_get(m->storm, &k, ts, 1, &created)) !=
		    NULL) {
			s = ND_DATA(e, struct storm_ent);
			if (created || (s->ep.cross_ns == 0 && ts -
			    s->win_start >= c->arp.storm_window_ns)) {
				memset(s, 0, sizeof(*s));
				s->win_start = ts;
				memcpy(s->mac, p->arp_sha, 6);
				s->ip = p->arp_spa;
			}
			if (s->count++ == 0)
				s->ep.first_ns = ts;
			if (ts > s->ep.last_ns)
				s->ep.last_ns = ts;
			if (s->ep.cross_ns == 0 && s->count >=
			    (uint64_t)c->arp.storm) {
				s->ep.cross_ns = nz(ts);
				net_nd_table_activate(m->storm, e, 1);
			}
			if (net_nd_ep_due(d, &s->ep, s->count, ts))
				storm_report(d, e, ts);
		}
	}

	net_nd_key_init(&k);
	k.a = p->arp_spa;
	if ((e = net_nd_table_get(m->arp, &k, ts, 1, &created)) == NULL)
		return;
	a = ND_DATA(e, struct arp_ent);
	if (created) {
		memcpy(a->mac, p->arp_sha, 6);
		a->last = ts;
		return;
	}
	if (memcmp(a->mac, p->arp_sha, 6) == 0) {
		if (ts > a->last)
			a->last = ts;
		return;
	}
	if (ts - a->last > c->arp.grace_ns && a->ep.cross_ns == 0) {
		/* The old owner is gone: a reassignment. */
		memcpy(a->prev, a->mac, 6);
		memcpy(a->mac, p->arp_sha, 6);
		a->last = ts;
		return;
	}
	memcpy(a->prev, a->mac, 6);
	memcpy(a->mac, p->arp_sha, 6);
	a->last = ts;
	if (a->changes++ == 0)
		a->ep.first_ns = ts;
	a->ep.last_ns = ts;
	if (a->ep.cross_ns == 0) {
		a->ep.cross_ns = nz(ts);
		net_nd_table_activate(m->arp, e, 1);
	}
	if (net_nd_ep_due(d, &a->ep, a->changes, ts))
		arp_report(d, e, ts);
}

/* ---- ICMP redirects ---- */

static void
redir_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct redir_ent *r = ND_DATA(e, struct redir_ent);
	struct net_detection det;
	char a[64], b[64], g[64], t[64];

	net_nd_det_init(&det, "icmp_redirect", NULL, now, &r->ep, r->count);
	det.src = e->key.a;
	det.dst = e->key.b;
	det.proto = e->key.a.family == 6 ? NET_P_ICMP6 : NET_P_ICMP;
	det.severity = 2;
	net_nd_text(&det, "ICMP redirect from %s to %s: use gateway %s for %s "
	    "(%llu message%s); routes can be hijacked this way",
	    net_addr_str(&e->key.a, a, sizeof(a)),
	    net_addr_str(&e->key.b, b, sizeof(b)),
	    net_addr_str(&r->gw, g, sizeof(g)),
	    net_addr_str(&r->target, t, sizeof(t)),
	    (unsigned long long)r->count, r->count == 1 ? "" : "s");
	net_nd_ep_mark(&r->ep, r->count, now);
	net_nd_emit(d, &det);
}

static void
redirect_packet(struct net_detect *d, const struct net_pkt *p)
{
	const struct net_detect_conf *c = d->c;
	struct nd_entry *e;
	struct redir_ent *r;
	struct nd_key k;
	int64_t ts = p->ts_ns;
	int created;

	net_nd_key_init(&k);
	k.a = p->src;
	k.b = p->dst;
	if ((e = net_nd_table_get(d->misc->redir, &k, ts, 1, &created)) == NULL)
		return;
	r = ND_DATA(e, struct redir_ent);
	if (created || (r->ep.cross_ns == 0 && ts - r->win_start >=
	    c->redirect.window_ns)) {
		memset(r, 0, sizeof(*r));
		r->win_start = ts;
	}
	/* The gateway: RFC 792 bytes 4-7; RFC 4861 4.5 the target at 8
	 * and the destination at 24. */
	if (p->proto == NET_P_ICMP && p->l4len >= 8) {
		r->gw.family = 4;
		memcpy(r->gw.a, p->l4 + 4, 4);
		if (p->has_inner)
			r->target = p->inner_dst;
	} else if (p->proto == NET_P_ICMP6 && p->l4len >= 40) {
		r->gw.family = 6;
		memcpy(r->gw.a, p->l4 + 8, 16);
		r->target.family = 6;
		memcpy(r->target.a, p->l4 + 24, 16);
	}
	if (r->count++ == 0)
		r->ep.first_ns = ts;
	r->ep.last_ns = ts;
	if (r->ep.cross_ns == 0 && r->count >= (uint64_t)c->redirect.count) {
		r->ep.cross_ns = nz(ts);
		net_nd_table_activate(d->misc->redir, e, 1);
	}
	if (net_nd_ep_due(d, &r->ep, r->count, ts))
		redir_report(d, e, ts);
}

/* ---- blocklist and service inventory ---- */

static void
contact_report(struct net_detect *d, struct nd_table *t, struct nd_entry *e,
    int64_t now)
{
	struct contact_ent *ce = ND_DATA(e, struct contact_ent);
	const char *pn = ce->proto == NET_P_UDP ? "udp" : ce->proto ==
	    NET_P_TCP ? "tcp" : "ip";
	struct net_detection det;
	char a[64], b[64];
	double peers;

	net_addr_str(&e->key.a, a, sizeof(a));
	net_addr_str(&e->key.b, b, sizeof(b));
	if (t == d->misc->block) {
		net_nd_det_init(&det, "blocklist", ce->inbound ? "inbound" :
		    "outbound", now, &ce->ep, ce->count);
		det.src = e->key.a;
		det.dst = e->key.b;
		det.dport = ce->port;
		det.proto = ce->proto;
		det.targets = 1;
		det.severity = 3;
		if (ce->inbound)
			net_nd_text(&det, "blocklisted %s contacted %s", a, b);
		else
			net_nd_text(&det, "%s contacted blocklisted %s", a, b);
		if (ce->port != 0)
			net_nd_text(&det, " on %u/%s", ce->port, pn);
		net_nd_text(&det, " (%llu connection%s)",
		    (unsigned long long)ce->count, ce->count == 1 ? "" :
		    "s");
	} else {
		uint16_t port = (uint16_t)e->key.port;

		net_nd_det_init(&det, "unexpected_service",
		    net_nd_service_name(ce->proto, port), now, &ce->ep,
		    ce->count);
		det.src = e->key.a;
		det.dst = ce->peer;
		det.sport = port;
		det.proto = ce->proto;
		det.severity = 3;
		peers = net_nd_hll_count(&ce->peers);
		net_nd_text(&det, "%s answers on %u/%s, which the service "
		    "inventory does not list (%llu answer%s to about %.0f "
		    "client%s, first %s)", a, port, pn,
		    (unsigned long long)ce->count, ce->count == 1 ? "" : "s",
		    peers, peers < 1.5 ? "" : "s",
		    net_addr_str(&ce->peer, b, sizeof(b)));
	}
	net_nd_ep_mark(&ce->ep, ce->count, now);
	net_nd_emit(d, &det);
}

static void
contact(struct net_detect *d, struct nd_table *t, const struct nd_key *k,
    const struct net_addr *peer, uint16_t port, uint8_t proto, int inbound,
    int64_t ts)
{
	struct nd_entry *e;
	struct contact_ent *ce;
	int created;

	if ((e = net_nd_table_get(t, k, ts, 1, &created)) == NULL)
		return;
	ce = ND_DATA(e, struct contact_ent);
	if (created || ce->ep.cross_ns == 0) {
		memset(ce, 0, sizeof(*ce));
		ce->port = port;
		ce->proto = proto;
		ce->inbound = inbound;
		ce->peer = *peer;
		ce->ep.first_ns = ts;
		ce->ep.cross_ns = nz(ts);
		net_nd_table_activate(t, e, 1);
	}
	ce->count++;
	net_nd_hll_add(&ce->peers, net_nd_addr_hash64(peer));
	if (ts > ce->ep.last_ns)
		ce->ep.last_ns = ts;
	if (net_nd_ep_due(d, &ce->ep, ce->count, ts))
		contact_report(d, t, e, ts);
}

static void
blocklist_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int is_new)
{
	const struct net_addr *ini, *resp;
	struct nd_key k;
	uint16_t port;
	int inbound;

	if (f != NULL) {
		if (!is_new)
			return;
		ini = &f->orig_h;
		resp = &f->resp_h;
		port = f->proto == NET_P_TCP || f->proto == NET_P_UDP ?
		    f->resp_p : 0;
	} else {
		ini = &p->src;
		resp = &p->dst;
		port = p->dport;
	}
	if (net_nd_plist_match(&d->c->blocklist, ini))
		inbound = 1;
	else if (net_nd_plist_match(&d->c->blocklist, resp))
		inbound = 0;
	else
		return;
	net_nd_key_init(&k);
	k.a = *ini;
	k.b = *resp;
	contact(d, d->misc->block, &k, resp, port, p->proto, inbound,
	    p->ts_ns);
}

static int
declared(const struct net_detect_conf *c, const struct net_addr *a,
    uint8_t proto, uint16_t port)
{
	struct respond_addr ra;
	const struct nd_service *s;
	size_t i;

	memset(&ra, 0, sizeof(ra));
	ra.family = a->family == 6 ? AF_INET6 : AF_INET;
	ra.prefix = a->family == 6 ? 128 : 32;
	memcpy(ra.a, a->a, a->family == 6 ? 16 : 4);
	for (i = 0; i < c->inventory.n; i++) {
		s = &c->inventory.v[i];
		if (port < s->lo || port > s->hi)
			continue;
		if ((proto == NET_P_TCP && !s->tcp) ||
		    (proto == NET_P_UDP && !s->udp))
			continue;
		if (s->any_host || respond_addr_contains(&s->net, &ra))
			return 1;
	}
	return 0;
}

static void
service_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir)
{
	const struct net_detect_conf *c = d->c;
	const struct nd_plist *nets = c->inventory.networks_set ?
	    &c->inventory.networks : &c->internal;
	struct nd_key k;
	uint8_t base;

	if (f == NULL || dir != 1 || p->l4 == NULL)
		return;
	if (p->proto == NET_P_TCP) {
		base = p->tcp_flags & 0x3f;
		if ((base & (NET_TH_SYN | NET_TH_ACK | NET_TH_RST)) !=
		    (NET_TH_SYN | NET_TH_ACK))
			return;
	} else if (p->proto == NET_P_UDP) {
		if (f->resp_pkts != 1)
			return;
	} else
		return;
	if (!net_nd_plist_match(nets, &p->src) ||
	    declared(c, &p->src, p->proto, p->sport))
		return;
	net_nd_key_init(&k);
	k.a = p->src;
	k.port = p->sport;
	k.x = p->proto;
	contact(d, d->misc->svc, &k, &p->dst, p->sport, p->proto, 0,
	    p->ts_ns);
}

/* ---- anomalies ---- */

static void
anom_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct anom_ent *an = ND_DATA(e, struct anom_ent);
	struct net_detection det;
	const char *name = net_anomaly_name(e->key.port);
	char a[64], b[64];

	net_nd_det_init(&det, "anomaly", name, now, &an->ep, an->count);
	det.src = e->key.a;
	if (!an->many_dst)
		det.dst = an->dst;
	det.severity = e->key.port == NET_ANOM_LAND ? 3 :
	    e->key.port == NET_ANOM_TCP_FLAGS ||
	    e->key.port == NET_ANOM_FRAG_BAD ? 2 : 1;
	net_nd_text(&det, "protocol anomaly %s from %s: %llu packet%s", name,
	    e->key.a.family != 0 ? net_addr_str(&e->key.a, a, sizeof(a)) :
	    "non-IP traffic", (unsigned long long)an->count,
	    an->count == 1 ? "" : "s");
	if (!an->many_dst && an->dst.family != 0)
		net_nd_text(&det, " to %s", net_addr_str(&an->dst, b,
		    sizeof(b)));
	else if (an->many_dst)
		net_nd_text(&det, " to several hosts");
	if (e->key.port == NET_ANOM_TCP_FLAGS)
		net_nd_text(&det, " (impossible TCP flag combinations: stealth "
		    "scan or OS fingerprinting probes)");
	net_nd_ep_mark(&an->ep, an->count, now);
	net_nd_emit(d, &det);
}

static void
anomaly_packet(struct net_detect *d, const struct net_pkt *p)
{
	const struct net_detect_conf *c = d->c;
	uint32_t bits = p->anomalies & ~c->anomaly.ignore, bit;
	struct nd_entry *e;
	struct anom_ent *an;
	struct nd_key k;
	int64_t ts = p->ts_ns;
	int created;

	for (bit = 1; bits != 0 && bit != 0; bit <<= 1) {
		if (!(bits & bit))
			continue;
		bits &= ~bit;
		if (net_anomaly_name(bit) == NULL)
			continue;
		net_nd_key_init(&k);
		if (p->ipver != 0)
			k.a = p->src;
		k.port = bit;
		if ((e = net_nd_table_get(d->misc->anom, &k, ts, 1,
		    &created)) == NULL)
			continue;
		an = ND_DATA(e, struct anom_ent);
		if (created || (an->ep.cross_ns == 0 && ts - an->win_start >=
		    c->anomaly.window_ns)) {
			memset(an, 0, sizeof(*an));
			an->win_start = ts;
		}
		if (an->count++ == 0) {
			an->ep.first_ns = ts;
			an->dst = p->dst;
		} else if (!net_addr_eq(&an->dst, &p->dst))
			an->many_dst = 1;
		if (ts > an->ep.last_ns)
			an->ep.last_ns = ts;
		if (an->ep.cross_ns == 0 && an->count >=
		    (uint64_t)c->anomaly.count) {
			an->ep.cross_ns = nz(ts);
			net_nd_table_activate(d->misc->anom, e, 1);
		}
		if (net_nd_ep_due(d, &an->ep, an->count, ts))
			anom_report(d, e, ts);
	}
}

/* ---- dispatch and time ---- */

void
net_nd_misc_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	const struct net_detect_conf *c = d->c;

	if (c->anomaly.enabled && (p->anomalies & ~c->anomaly.ignore) != 0)
		anomaly_packet(d, p);
	if (p->is_arp) {
		arp_packet(d, p);
		return;
	}
	if (p->ipver == 0)
		return;
	if (c->blocklist.n > 0)
		blocklist_packet(d, p, f, is_new);
	if (c->inventory.n > 0)
		service_packet(d, p, f, dir);
	/* Only the first-hop router may redirect a host (RFC 1122
	 * 3.2.2.2), and hosts ignore the rest: a redirect from outside the
	 * internal networks is the noise of some remote router, not a
	 * threat (the SNMP reflection capture has three). */
	if (c->redirect.enabled && p->l4 != NULL && ((p->proto == NET_P_ICMP &&
	    p->icmp_type == 5) || (p->proto == NET_P_ICMP6 &&
	    p->icmp_type == 137)) && !(p->is_frag && p->frag_off != 0) &&
	    net_nd_internal(d, &p->src))
		redirect_packet(d, p);
}

typedef void report_fn(struct net_detect *, struct nd_entry *, int64_t);

/* Walks t's open episodes: reports what is due, closes those idle for
 * idle_ns (reporting their end), and forgets entries untouched for
 * keep_ns. */
static void
walk(struct net_detect *d, struct nd_table *t, size_t epoff,
    size_t countoff, report_fn *report, int64_t idle_ns, int64_t keep_ns,
    int64_t now, int flush, int forget)
{
	struct nd_entry *e, *next;
	struct nd_ep *ep;
	uint64_t *count;

	for (e = net_nd_table_active(t); e != NULL; e = next) {
		next = e->anext;
		ep = (struct nd_ep *)(void *)((char *)e->data + epoff);
		count = (uint64_t *)(void *)((char *)e->data + countoff);
		if (flush || now - ep->last_ns >= idle_ns) {
			if (net_nd_ep_final(d, ep, *count, now))
				report(d, e, now);
			memset(ep, 0, sizeof(*ep));
			*count = 0;
			net_nd_table_activate(t, e, 0);
			if (forget)
				net_nd_table_del(t, e);
		} else if (net_nd_ep_due(d, ep, *count, now))
			report(d, e, now);
	}
	net_nd_table_expire(t, flush ? INT64_MAX : now - keep_ns);
}

static void
block_rep(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	contact_report(d, d->misc->block, e, now);
}

static void
svc_rep(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	contact_report(d, d->misc->svc, e, now);
}

void
net_nd_misc_tick(struct net_detect *d, int64_t now, int flush)
{
	const struct net_detect_conf *c = d->c;
	struct nd_misc *m = d->misc;
	int64_t arp_idle = c->arp.grace_ns > 0 ? c->arp.grace_ns :
	    c->report_interval_ns;
	int64_t arp_keep = 24 * 3600 * ND_SEC;

	/* ARP bindings are kept a day (the table's cap bounds them): a
	 * change is judged against what was heard before. */
	walk(d, m->arp, offsetof(struct arp_ent, ep),
	    offsetof(struct arp_ent, changes), arp_report, arp_idle, arp_keep,
	    now, flush, 0);
	walk(d, m->storm, offsetof(struct storm_ent, ep),
	    offsetof(struct storm_ent, count), storm_report,
	    c->arp.storm_window_ns, c->arp.storm_window_ns, now, flush, 1);
	walk(d, m->redir, offsetof(struct redir_ent, ep),
	    offsetof(struct redir_ent, count), redir_report,
	    c->redirect.window_ns, c->redirect.window_ns, now, flush, 1);
	walk(d, m->block, offsetof(struct contact_ent, ep),
	    offsetof(struct contact_ent, count), block_rep,
	    c->report_interval_ns, c->report_interval_ns, now, flush, 1);
	walk(d, m->svc, offsetof(struct contact_ent, ep),
	    offsetof(struct contact_ent, count), svc_rep,
	    c->report_interval_ns, c->report_interval_ns, now, flush, 1);
	walk(d, m->anom, offsetof(struct anom_ent, ep),
	    offsetof(struct anom_ent, count), anom_report,
	    c->anomaly.window_ns, c->anomaly.window_ns, now, flush, 1);
}
