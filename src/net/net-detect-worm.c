/*
 * net-detect-worm.c - worm propagation: one inside host contacting many
 * new hosts on the same port in a short time (SQL Slammer UDP/1434, Code
 * Red TCP/80, Blaster TCP/135, the SMB worms TCP/445).
 *
 * A worm picks its targets at random, so most of them do not exist or
 * do not listen: its contacts fail like a scanner's probes.  Unlike a
 * scanner's, some of them carry the worm: a UDP datagram with data, a
 * TCP connection over which the source sent data.  Per (inside source,
 * protocol, port) and within worm.window, the detector counts the
 * distinct hosts whose contact failed (the outcomes the scan detector
 * classifies, net-detect-scan.c) and those the source delivered data
 * to; worm.hosts failed hosts and worm.payload_hosts deliveries make an
 * episode.  A horizontal scan of the same port by the same source is
 * then reported as the worm only.
 *
 * Targets outside internal_networks raise the impact (the lecture's
 * "scandal": the organisation harms others): the text says how many,
 * and the severity is 4 instead of 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-detect-impl.h"

struct worm_ent {
	int64_t		 win_start;
	struct nd_set	 all, failed, delivered;
	uint32_t	 outside;	/* distinct targets outside */
	uint64_t	 count;		/* contacts */
	struct net_addr	 lo, hi;
	struct nd_ep	 ep;
};

struct nd_worm {
	struct nd_table	*t;
};

static void worm_report(struct net_detect *d, struct nd_entry *e,
    int64_t now);

static void
ent_reset(struct worm_ent *w, int64_t now)
{
	net_nd_set_release(&w->all);
	net_nd_set_release(&w->failed);
	net_nd_set_release(&w->delivered);
	memset(w, 0, sizeof(*w));
	w->win_start = now;
}

static void
ent_release(struct net_detect *d, struct nd_entry *e)
{
	struct worm_ent *w = ND_DATA(e, struct worm_ent);

	net_nd_set_release(&w->all);
	net_nd_set_release(&w->failed);
	net_nd_set_release(&w->delivered);
}

static void
ent_evict(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct worm_ent *w = ND_DATA(e, struct worm_ent);

	if (net_nd_ep_final(d, &w->ep, w->count, now))
		worm_report(d, e, now);
}

int
net_nd_worm_new(struct net_detect *d)
{
	struct nd_worm *wm;

	if ((wm = calloc(1, sizeof(*wm))) == NULL)
		return MAMORI_ENOMEM;
	d->worm = wm;
	if ((wm->t = net_nd_table_new(d, "worm", (size_t)d->c->max_entries,
	    sizeof(struct worm_ent), ent_evict, ent_release)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
net_nd_worm_free(struct net_detect *d)
{
	if (d->worm == NULL)
		return;
	net_nd_table_free(d->worm->t);
	free(d->worm);
	d->worm = NULL;
}

static void
wkey(struct nd_key *k, const struct net_addr *src, uint8_t proto,
    uint16_t port)
{
	net_nd_key_init(k);
	k->a = *src;
	k->port = (uint32_t)proto << 16 | port;
}

/* Known worms by their port, for the text. */
static const char *
worm_hint(uint8_t proto, uint16_t port)
{
	if (proto == NET_P_UDP && port == 1434)
		return " (SQL Slammer's port)";
	if (proto == NET_P_TCP && port == 80)
		return " (as Code Red, Nimda)";
	if (proto == NET_P_TCP && port == 135)
		return " (as Blaster)";
	if (proto == NET_P_TCP && port == 445)
		return " (as Sasser, Conficker, WannaCry)";
	return "";
}

static void
worm_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct worm_ent *w = ND_DATA(e, struct worm_ent);
	struct net_detection det;
	uint8_t proto = (uint8_t)(e->key.port >> 16);
	uint16_t port = (uint16_t)e->key.port;
	char a[64], b[64];

	net_nd_det_init(&det, "worm", NULL, now, &w->ep, w->count);
	det.src = e->key.a;
	det.proto = proto;
	det.dport = port;
	det.targets = w->all.n;
	det.ports = 1;
	det.severity = w->outside > 0 ? 4 : 3;
	net_nd_text(&det, "worm-like propagation on %s/%u%s: %s%u new hosts "
	    "(%s-%s) in %.1f s, %u unanswered or refused, data sent to %u",
	    proto == NET_P_UDP ? "udp" : "tcp", port, worm_hint(proto, port),
	    w->all.full ? "at least " : "", w->all.n,
	    net_addr_str(&w->lo, a, sizeof(a)),
	    net_addr_str(&w->hi, b, sizeof(b)),
	    (double)(w->ep.last_ns - w->ep.first_ns) / 1e9, w->failed.n,
	    w->delivered.n);
	if (w->outside > 0)
		net_nd_text(&det, "; %u of the targets are outside the "
		    "internal networks: it affects others", w->outside);
	else
		net_nd_text(&det, "; all targets internal");
	net_nd_ep_mark(&w->ep, w->count, now);
	net_nd_emit(d, &det);
}

void
net_nd_worm_contact(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, uint8_t proto, uint16_t port, int64_t ts,
    int delivered)
{
	const struct net_detect_conf *c = d->c;
	struct nd_entry *e;
	struct worm_ent *w;
	struct nd_key k;
	uint32_t h;
	int created;

	if (!c->worm.enabled || !net_nd_addr_unicast(dst) ||
	    !net_nd_internal(d, src) || net_nd_allowed(d, src))
		return;
	wkey(&k, src, proto, port);
	if ((e = net_nd_table_get(d->worm->t, &k, ts, 1, &created)) == NULL)
		return;
	w = ND_DATA(e, struct worm_ent);
	if (created)
		w->win_start = ts;	/* ent_reset() of a zeroed entry */
	else if (w->ep.cross_ns == 0 && ts - w->win_start >=
	    c->worm.window_ns)
		ent_reset(w, ts);
	h = net_nd_addr_h32(dst);
	if (net_nd_set_add(&w->all, h, (uint32_t)c->max_tracked)) {
		if (w->all.n == 1) {
			w->lo = w->hi = *dst;
		} else if (dst->family == w->lo.family) {
			if (net_nd_addr_cmp(dst, &w->lo) < 0)
				w->lo = *dst;
			if (net_nd_addr_cmp(dst, &w->hi) > 0)
				w->hi = *dst;
		}
		if (!net_nd_internal(d, dst))
			w->outside++;
	}
	if (delivered)
		net_nd_set_add(&w->delivered, h, (uint32_t)c->max_tracked);
	else
		net_nd_set_add(&w->failed, h, (uint32_t)c->max_tracked);
	if (w->count++ == 0 || ts < w->ep.first_ns)
		w->ep.first_ns = ts;
	if (ts > w->ep.last_ns)
		w->ep.last_ns = ts;
	if (w->ep.cross_ns == 0 && w->failed.n >= (uint32_t)c->worm.hosts &&
	    w->delivered.n >= (uint32_t)c->worm.payload_hosts) {
		w->ep.cross_ns = d->now > ts ? d->now : ts;
		if (w->ep.cross_ns <= 0)
			w->ep.cross_ns = 1;
		net_nd_table_activate(d->worm->t, e, 1);
	}
	if (net_nd_ep_due(d, &w->ep, w->count, d->now))
		worm_report(d, e, d->now);
}

int
net_nd_worm_active(struct net_detect *d, const struct net_addr *src,
    uint8_t proto, uint16_t port)
{
	struct nd_entry *e;
	struct nd_key k;

	wkey(&k, src, proto, port);
	if ((e = net_nd_table_peek(d->worm->t, &k)) == NULL)
		return 0;
	return ND_DATA(e, struct worm_ent)->ep.cross_ns != 0;
}

void
net_nd_worm_tick(struct net_detect *d, int64_t now, int flush)
{
	struct nd_worm *wm = d->worm;
	struct nd_entry *e, *next;
	struct worm_ent *w;

	for (e = net_nd_table_active(wm->t); e != NULL; e = next) {
		next = e->anext;
		w = ND_DATA(e, struct worm_ent);
		if (flush || now - w->ep.last_ns >= d->c->worm.window_ns) {
			if (net_nd_ep_final(d, &w->ep, w->count, now))
				worm_report(d, e, now);
			ent_reset(w, now);
			net_nd_table_activate(wm->t, e, 0);
		} else if (net_nd_ep_due(d, &w->ep, w->count, now))
			worm_report(d, e, now);
	}
	net_nd_table_expire(wm->t, flush ? INT64_MAX :
	    now - d->c->worm.window_ns);
}
