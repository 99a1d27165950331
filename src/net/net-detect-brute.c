/*
 * net-detect-brute.c - password guessing seen on the wire: many short
 * sessions from one source to a login service (SSH 22, FTP 21, SMTP
 * 25/587, POP3 110, IMAP 143, Telnet 23, RDP 3389 by default).
 *
 * SSH and RDP are encrypted, so the guesses themselves are not visible;
 * their shape is: each attempt (or each few) is a connection that ends
 * quickly after a small exchange, or is refused.  The detector counts,
 * per (source, service port), the flows that end short (at most
 * bruteforce.max_duration and bruteforce.max_bytes of payload both ways)
 * or rejected (RST answering the SYN); bruteforce.sessions of them
 * within bruteforce.window open an episode.  The window is long (10
 * minutes) because slow tools space their attempts: ncrack -T paranoid
 * makes one every 11 seconds.
 *
 * Counting happens when the flow ends (net_detect_flow_end), so a
 * session is judged whole.  A mail relay delivering to one provider in
 * many short SMTP sessions looks the same; allowlist such relays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "net/net-detect-impl.h"

struct brute_ent {
	int64_t		 win_start;
	uint64_t	 sessions, rejected, bytes;
	int64_t		 dur_sum;
	struct nd_set	 dsts;
	struct net_addr	 first_dst;
	struct nd_ep	 ep;
};

struct nd_brute {
	struct nd_table	*t;
};

static void brute_report(struct net_detect *d, struct nd_entry *e,
    int64_t now);

static void
ent_reset(struct brute_ent *b, int64_t now)
{
	net_nd_set_release(&b->dsts);
	memset(b, 0, sizeof(*b));
	b->win_start = now;
}

static void
ent_release(struct net_detect *d, struct nd_entry *e)
{
	net_nd_set_release(&ND_DATA(e, struct brute_ent)->dsts);
}

static void
ent_evict(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct brute_ent *b = ND_DATA(e, struct brute_ent);

	if (net_nd_ep_final(d, &b->ep, b->sessions, now))
		brute_report(d, e, now);
}

int
net_nd_brute_new(struct net_detect *d)
{
	struct nd_brute *br;

	if ((br = calloc(1, sizeof(*br))) == NULL)
		return MAMORI_ENOMEM;
	d->brute = br;
	if ((br->t = net_nd_table_new(d, "bruteforce",
	    (size_t)d->c->max_entries, sizeof(struct brute_ent), ent_evict,
	    ent_release)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
net_nd_brute_free(struct net_detect *d)
{
	if (d->brute == NULL)
		return;
	net_nd_table_free(d->brute->t);
	free(d->brute);
	d->brute = NULL;
}

static void
brute_report(struct net_detect *d, struct nd_entry *e, int64_t now)
{
	struct brute_ent *b = ND_DATA(e, struct brute_ent);
	struct net_detection det;
	uint16_t port = (uint16_t)e->key.port;
	const char *svc = net_nd_service_name(NET_P_TCP, port);
	uint64_t ok = b->sessions - b->rejected;
	char a[64], by[32];
	double mins;

	net_nd_det_init(&det, "bruteforce", svc != NULL ? svc : "tcp", now,
	    &b->ep, b->sessions);
	det.src = e->key.a;
	if (b->dsts.n == 1)
		det.dst = b->first_dst;
	det.dport = port;
	det.proto = NET_P_TCP;
	det.targets = b->dsts.n;
	det.ports = 1;
	det.severity = 3;
	mins = (double)(b->ep.last_ns - b->ep.first_ns) / 60e9;
	net_nd_text(&det, "%s brute force on ", svc != NULL ? svc : "login");
	if (b->dsts.n == 1)
		net_nd_text(&det, "%s:%u", net_addr_str(&b->first_dst, a,
		    sizeof(a)), port);
	else
		net_nd_text(&det, "%u servers, port %u", b->dsts.n, port);
	net_nd_text(&det, ": %llu short sessions in %.1f min",
	    (unsigned long long)b->sessions, mins);
	if (b->rejected > 0)
		net_nd_text(&det, " (%llu refused)",
		    (unsigned long long)b->rejected);
	if (ok > 0)
		net_nd_text(&det, ", on average %.1f s and %s each",
		    (double)b->dur_sum / 1e9 / (double)ok,
		    net_nd_bytes_str(b->bytes / ok, by, sizeof(by)));
	net_nd_ep_mark(&b->ep, b->sessions, now);
	net_nd_emit(d, &det);
}

void
net_nd_brute_flow_end(struct net_detect *d, const struct net_flow *f)
{
	const struct net_detect_conf *c = d->c;
	struct nd_entry *e;
	struct brute_ent *b;
	struct nd_key k;
	int64_t dur = f->last_ns - f->first_ns, ts = f->first_ns;
	uint64_t bytes = f->orig_bytes + f->resp_bytes;
	int rejected, created;

	if (!c->brute.enabled || f->proto != NET_P_TCP ||
	    !ND_BIT(c->brute.ports, f->resp_p) ||
	    !(f->orig_flags & NET_TH_SYN) || f->resp_pkts == 0 ||
	    net_nd_allowed(d, &f->orig_h))
		return;
	rejected = !f->established && (f->resp_flags & NET_TH_RST) &&
	    !(f->resp_flags & NET_TH_SYN);
	if (!rejected && !(f->established && dur <= c->brute.max_duration_ns &&
	    bytes <= (uint64_t)c->brute.max_bytes))
		return;
	net_nd_key_init(&k);
	k.a = f->orig_h;
	k.port = f->resp_p;
	if ((e = net_nd_table_get(d->brute->t, &k, ts, 1, &created)) == NULL)
		return;
	b = ND_DATA(e, struct brute_ent);
	if (created)
		b->win_start = ts;	/* ent_reset() of a zeroed entry */
	else if (b->ep.cross_ns == 0 && ts - b->win_start >=
	    c->brute.window_ns)
		ent_reset(b, ts);
	if (net_nd_set_add(&b->dsts, net_nd_addr_h32(&f->resp_h),
	    (uint32_t)c->max_tracked) && b->dsts.n == 1)
		b->first_dst = f->resp_h;
	if (b->sessions++ == 0 || ts < b->ep.first_ns)
		b->ep.first_ns = ts;
	if (f->last_ns > b->ep.last_ns)
		b->ep.last_ns = f->last_ns;
	if (rejected)
		b->rejected++;
	else {
		b->bytes += bytes;
		b->dur_sum += dur;
	}
	if (b->ep.cross_ns == 0 && b->sessions >=
	    (uint64_t)c->brute.sessions) {
		b->ep.cross_ns = d->now > f->last_ns ? d->now : f->last_ns;
		if (b->ep.cross_ns <= 0)
			b->ep.cross_ns = 1;
		net_nd_table_activate(d->brute->t, e, 1);
	}
	if (net_nd_ep_due(d, &b->ep, b->sessions, d->now))
		brute_report(d, e, d->now);
}

void
net_nd_brute_tick(struct net_detect *d, int64_t now, int flush)
{
	struct nd_brute *br = d->brute;
	struct nd_entry *e, *next;
	struct brute_ent *b;

	for (e = net_nd_table_active(br->t); e != NULL; e = next) {
		next = e->anext;
		b = ND_DATA(e, struct brute_ent);
		if (flush || now - b->ep.last_ns >= d->c->brute.window_ns) {
			if (net_nd_ep_final(d, &b->ep, b->sessions, now))
				brute_report(d, e, now);
			ent_reset(b, now);
			net_nd_table_activate(br->t, e, 0);
		} else if (net_nd_ep_due(d, &b->ep, b->sessions, now))
			brute_report(d, e, now);
	}
	net_nd_table_expire(br->t, flush ? INT64_MAX :
	    now - d->c->brute.window_ns);
}
