/*
 * net-stream.c - bounded per-direction TCP reassembly for the signatures
 * (RFC 9293 sequence space: 32-bit numbers that wrap, a SYN and a FIN
 * each taking one).
 *
 * Built for a passive sensor that sees both directions of many flows and
 * must not let one of them take unbounded memory: each direction keeps
 * only the last `window` bytes of its stream, contiguous, so that a
 * pattern split across segments lies whole in the window.  Segments that
 * arrive ahead of a hole are held in a hold area of `ooo` bytes past the
 * hole (one byte of data and one byte of "present" per position; shifted
 * when the stream moves, which costs O(ooo) only while something is
 * held) and delivered when the hole fills.  Overlapping bytes keep what
 * came first (data already delivered, or held): a retransmission that
 * differs cannot rewrite what was matched.
 *
 * Holes that will never fill are skipped, and the window restarts after
 * them, so a match never joins bytes across something unseen: a hole
 * the other side acknowledges (the receiver got the segment, the capture
 * did not), or a segment that lands beyond the hold area.
 *
 * Memory: a small struct per flow once it carries TCP payload (before
 * that, what a SYN, FIN or acknowledgement teaches is kept in the flow
 * itself: net_stream_pre()), the window of a direction when its first
 * payload comes, the hold area when its first out-of-order segment
 * comes; all charged to a shared account with a cap, released with the
 * flow.  Nothing is allocated per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "net/net-sig-int.h"

struct sdir {
	/* init, fin, synstart, next_seq, fin_seq and off: the part a flow
	 * keeps itself until its first payload (net_stream_pre()). */
	struct net_flow_tcpseq q;
	uint8_t		 dead;		/* no memory: not reassembled */
	uint8_t		*win;		/* window bytes, window long */
	uint32_t	 wlen;		/* bytes in win (its end is q.off) */
	uint32_t	 pending;	/* newest bytes of win not yet given to
					   the callback */
	uint8_t		*hold;		/* ooo bytes at q.next_seq.. */
	uint8_t		*have;		/* ooo flags: hold[i] is present */
	uint32_t	 nheld;
	struct net_stream_carry carry;	/* the matcher's */
};

struct net_stream {
	struct net_flow_ext ext;	/* first: the flow's slot holds it */
	struct net_stream_mem *mem;
	uint32_t	 window, ooo;
	uint8_t		 app;		/* NET_STREAM_APP_* */
	struct sdir	 d[2];
	/* The callback of the current net_stream_packet() call. */
	net_stream_data_cb *cb;
	void		*arg;
};

struct net_stream_mem *
net_stream_mem_ref(struct net_stream_mem *m)
{
	m->refs++;
	return m;
}

void
net_stream_mem_unref(struct net_stream_mem *m)
{
	void *p;

	if (m == NULL || --m->refs != 0)
		return;
	while ((p = m->spare) != NULL) {
		memcpy(&m->spare, p, sizeof(void *));
		free(p);
	}
	free(m);
}

static void *
mem_alloc(struct net_stream_mem *m, size_t n)
{
	void *p;

	if (m->used + n > m->cap || (p = malloc(n)) == NULL) {
		m->refused++;
		return NULL;
	}
	m->used += n;
	return p;
}

static void
mem_release(struct net_stream_mem *m, void *p, size_t n)
{
	if (p == NULL)
		return;
	free(p);
	m->used -= n;
}

static void
stream_ext_free(struct net_flow_ext *x)
{
	net_stream_free(x);
}

struct net_stream *
net_stream_new(struct net_stream_mem *m, uint32_t window, uint32_t ooo)
{
	struct net_stream *s;

	if (m->spare != NULL && m->used + sizeof(*s) <= m->cap) {
		s = m->spare;
		memcpy(&m->spare, s, sizeof(void *));
		m->nspare--;
		m->used += sizeof(*s);
	} else if ((s = mem_alloc(m, sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->ext.free = stream_ext_free;
	s->mem = net_stream_mem_ref(m);
	s->window = window < 64 ? 64 : window;	/* updates are window/2 */
	s->ooo = ooo;
	return s;
}

void
net_stream_free(void *arg)
{
	struct net_stream *s = arg;
	struct net_stream_mem *m;
	int i;

	if (s == NULL)
		return;
	m = s->mem;
	for (i = 0; i < 2; i++) {
		mem_release(m, s->d[i].win, s->window);
		if (s->d[i].hold != NULL) {
			mem_release(m, s->d[i].hold, 2 * (size_t)s->ooo);
		}
	}
	/* Kept for the next flow: streams live and spare never outnumber
	 * the peak of live ones, which the memory cap bounds. */
	if (m->keep_spare && m->nspare < m->cap / sizeof(*s)) {
		memcpy(s, &m->spare, sizeof(void *));
		m->spare = s;
		m->nspare++;
		m->used -= sizeof(*s);
	} else
		mem_release(m, s, sizeof(*s));
	net_stream_mem_unref(m);
}

struct net_stream_carry *
net_stream_carry(struct net_stream *s, int dir)
{
	return &s->d[dir & 1].carry;
}

int
net_stream_app(const struct net_stream *s)
{
	return s != NULL ? s->app : NET_STREAM_APP_UNKNOWN;
}

/*
 * Decides the application from the first bytes of a direction, when
 * they are in the window: a client that starts with an HTTP/1.x method
 * and a space, or a server that starts with "HTTP/", makes the flow
 * HTTP; anything else decides "other".  Too few bytes to tell: wait.
 */
static void
detect_app(struct net_stream *s, int dir, const struct sdir *d)
{
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT",
	    "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH", "PROPFIND",
	    "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH",
	    NULL };
	const uint8_t *w = d->win;
	uint32_t n = d->wlen, i;

	/* A stream picked up midway starts anywhere: it decides nothing
	 * (http rules then go by $HTTP_PORTS). */
	if (s->app != NET_STREAM_APP_UNKNOWN || !d->q.synstart ||
	    d->q.off - d->wlen != 0 || n == 0)
		return;
	if (dir == 1) {
		static const char http[] = "HTTP/";

		for (i = 0; i < n && i < 5; i++)
			if (w[i] != (uint8_t)http[i]) {
				s->app = NET_STREAM_APP_OTHER;
				return;
			}
		if (i == 5)
			s->app = NET_STREAM_APP_HTTP;
		return;
	}
	for (i = 0; i < n && i < 10 && w[i] >= 'A' && w[i] <= 'Z'; i++)
		;
	if (i == n)
		return;		/* all capitals so far: wait */
	if (w[i] != ' ' || i < 3) {
		s->app = NET_STREAM_APP_OTHER;
		return;
	}
	for (size_t k = 0; methods[k] != NULL; k++)
		if (strlen(methods[k]) == i &&
		    memcmp(methods[k], w, i) == 0) {
			s->app = NET_STREAM_APP_HTTP;
			return;
		}
	s->app = NET_STREAM_APP_OTHER;
}

/* Gives the pending bytes to the callback. */
static void
flush(struct net_stream *s, int dir)
{
	struct sdir *d = &s->d[dir];

	if (d->pending == 0)
		return;
	detect_app(s, dir, d);
	s->cb(s->arg, dir, d->win, d->wlen, d->wlen - d->pending,
	    d->q.off - d->wlen);
	d->pending = 0;
}

/* Appends n bytes to the window; when patch, bytes the hold area has
 * (which came first) replace the new ones at the same place.  The
 * stream position moves by n. */
static void
append(struct net_stream *s, int dir, const uint8_t *src, uint32_t n,
    int patch)
{
	struct sdir *d = &s->d[dir];
	uint32_t chunk = s->window / 2, done = 0;

	while (done < n) {
		uint32_t c = n - done, room = chunk - d->pending;

		if (room == 0) {
			flush(s, dir);
			continue;
		}
		if (c > room)
			c = room;
		if (d->wlen + c > s->window) {
			uint32_t drop = d->wlen + c - s->window;

			memmove(d->win, d->win + drop, d->wlen - drop);
			d->wlen -= drop;
		}
		memcpy(d->win + d->wlen, src + done, c);
		if (patch && d->nheld > 0) {
			uint32_t i;

			for (i = 0; i < c && done + i < s->ooo; i++)
				if (d->have[done + i])
					d->win[d->wlen + i] =
					    d->hold[done + i];
		}
		d->wlen += c;
		d->pending += c;
		d->q.off += c;
		done += c;
	}
}

/* The stream moved k bytes: the hold area follows. */
static void
hold_shift(struct net_stream *s, struct sdir *d, uint32_t k)
{
	uint32_t i, gone = 0;

	if (d->nheld == 0 || d->hold == NULL)
		return;
	if (k >= s->ooo) {
		memset(d->have, 0, s->ooo);
		d->nheld = 0;
		return;
	}
	for (i = 0; i < k; i++)
		gone += d->have[i];
	memmove(d->hold, d->hold + k, s->ooo - k);
	memmove(d->have, d->have + k, s->ooo - k);
	memset(d->have + s->ooo - k, 0, k);
	d->nheld -= gone;
}

/* next_seq moves k bytes (the window moved with append(), or a hole
 * was skipped). */
static void
advance(struct net_stream *s, struct sdir *d, uint32_t k)
{
	d->q.next_seq += k;
	hold_shift(s, d, k);
}

/* Delivers held bytes that are now in order. */
static void
pull(struct net_stream *s, int dir)
{
	struct sdir *d = &s->d[dir];

	while (d->nheld > 0 && d->have[0]) {
		uint32_t r = 0;

		while (r < s->ooo && d->have[r])
			r++;
		append(s, dir, d->hold, r, 0);
		advance(s, d, r);
	}
}

/* Skips k missing bytes: what is pending is matched first, then the
 * window restarts after the hole. */
static void
skip_hole(struct net_stream *s, int dir, uint32_t k)
{
	struct sdir *d = &s->d[dir];

	flush(s, dir);
	d->wlen = 0;
	d->q.off += k;
	advance(s, d, k);
	s->mem->gaps++;
}

/* Delivers everything up to rel bytes past next_seq, skipping holes. */
static void
skip_to(struct net_stream *s, int dir, uint32_t rel)
{
	struct sdir *d = &s->d[dir];

	pull(s, dir);
	while (rel > 0) {
		uint32_t moved = 0, h, lim;

		/* rel counts from the next_seq of the loop's start. */
		lim = rel < s->ooo ? rel : s->ooo;
		for (h = 0; d->nheld > 0 && h < lim && !d->have[h]; h++)
			;
		if (d->nheld > 0 && h < lim) {
			skip_hole(s, dir, h);
			moved = h;
			{
				uint32_t before = d->q.next_seq;

				pull(s, dir);
				moved += d->q.next_seq - before;
			}
		} else {
			skip_hole(s, dir, rel);
			moved = rel;
			pull(s, dir);
		}
		rel = moved >= rel ? 0 : rel - moved;
	}
}

/* How far an acknowledgement of ack moves direction q past a hole it
 * acknowledges (the receiver got what the capture lost): 0 when it does
 * not (nothing known yet, nothing missing, or implausibly far). */
static uint32_t
ack_gap(const struct net_flow_tcpseq *q, uint32_t ack)
{
	int32_t rel;

	if (!q->init)
		return 0;
	if (q->fin && (int32_t)(ack - (q->fin_seq + 1)) >= 0)
		ack = q->fin_seq;	/* the FIN's own sequence number */
	rel = (int32_t)(ack - q->next_seq);
	if (rel <= 0 || rel > (1 << 30))
		return 0;
	return (uint32_t)rel;
}

/* Nothing of direction q in memory: it just moves on, rel bytes. */
static void
ack_skip(struct net_flow_tcpseq *q, uint32_t rel, struct net_stream_mem *m)
{
	q->next_seq += rel;
	q->off += rel;
	m->gaps++;
}

/* The other side acknowledged up to ack: holes before it never fill. */
static void
acked(struct net_stream *s, int dir, uint32_t ack)
{
	struct sdir *d = &s->d[dir];
	uint32_t rel;

	if (d->dead || (rel = ack_gap(&d->q, ack)) == 0)
		return;
	if (d->win == NULL) {
		ack_skip(&d->q, rel, s->mem);
		return;
	}
	skip_to(s, dir, rel);
	flush(s, dir);	/* what the hole held back is matched now */
}

/* The SYN and FIN of packet p on its direction q; fresh: nothing of the
 * direction was placed yet.  Returns where p's data start. */
static uint32_t
syn_fin(struct net_flow_tcpseq *q, int fresh, const struct net_pkt *p)
{
	uint32_t seq = p->tcp_seq;

	if (p->tcp_flags & NET_TH_SYN) {
		/* A SYN (or its retransmission) before any data fixes the
		 * start; the data of a SYN starts one after it. */
		if (!q->init || fresh) {
			q->init = 1;
			q->synstart = 1;
			q->next_seq = seq + 1;
		}
		seq++;
	}
	if ((p->tcp_flags & NET_TH_FIN) && !(p->tcp_flags & NET_TH_RST)) {
		q->fin = 1;
		q->fin_seq = seq + (p->plen_wire > p->plen ? p->plen_wire :
		    p->plen);
	}
	return seq;
}

void
net_stream_pre(struct net_flow_tcpseq q[2], struct net_stream_mem *m,
    int dir, const struct net_pkt *p)
{
	uint32_t rel;

	dir &= 1;
	if ((p->tcp_flags & NET_TH_ACK) && !(p->tcp_flags & NET_TH_RST) &&
	    (rel = ack_gap(&q[!dir], p->tcp_ack)) != 0)
		ack_skip(&q[!dir], rel, m);
	(void)syn_fin(&q[dir], q[dir].off == 0, p);
}

void
net_stream_start(struct net_stream *s, const struct net_flow_tcpseq q[2])
{
	s->d[0].q = q[0];
	s->d[1].q = q[1];
}

static int
ensure_win(struct net_stream *s, struct sdir *d)
{
	if (d->win != NULL)
		return 0;
	if (d->dead || (d->win = mem_alloc(s->mem, s->window)) == NULL) {
		d->dead = 1;
		return -1;
	}
	return 0;
}

static int
ensure_hold(struct net_stream *s, struct sdir *d)
{
	if (d->hold != NULL)
		return 0;
	if (s->ooo == 0 || (d->hold = mem_alloc(s->mem,
	    2 * (size_t)s->ooo)) == NULL)
		return -1;
	d->have = d->hold + s->ooo;
	memset(d->have, 0, s->ooo);
	d->nheld = 0;
	return 0;
}

/* Places n bytes at seq. */
static void
place(struct net_stream *s, int dir, uint32_t seq, const uint8_t *data,
    uint32_t n)
{
	struct sdir *d = &s->d[dir];
	int32_t rel = (int32_t)(seq - d->q.next_seq);

	if (rel < 0) {
		/* Starts before what we expect: the old part was seen. */
		uint32_t old = (uint32_t)-(int64_t)rel;

		if (old >= n)
			return;
		data += old;
		n -= old;
		rel = 0;
	}
	if (rel > 0) {
		uint32_t r = (uint32_t)rel, i;

		if (r < s->ooo && n <= s->ooo - r && ensure_hold(s, d) == 0) {
			for (i = 0; i < n; i++)
				if (!d->have[r + i]) {
					d->have[r + i] = 1;
					d->hold[r + i] = data[i];
					d->nheld++;
				}
			s->mem->ooo++;
			return;
		}
		/* Beyond the hold area: the hole will not be waited for. */
		skip_to(s, dir, r);
		rel = (int32_t)(seq - d->q.next_seq);
		if (rel < 0) {
			uint32_t old = (uint32_t)-(int64_t)rel;

			if (old >= n)
				return;
			data += old;
			n -= old;
		}
	}
	append(s, dir, data, n, 1);
	advance(s, d, n);
	pull(s, dir);
}

int
net_stream_packet(struct net_stream *s, int dir, const struct net_pkt *p,
    net_stream_data_cb *cb, void *arg)
{
	struct sdir *d = &s->d[dir & 1];
	uint32_t seq;

	dir &= 1;
	s->cb = cb;
	s->arg = arg;
	if ((p->tcp_flags & NET_TH_ACK) && !(p->tcp_flags & NET_TH_RST))
		acked(s, !dir, p->tcp_ack);
	seq = syn_fin(&d->q, d->q.off == 0 && d->wlen == 0 && d->nheld == 0,
	    p);
	if (p->plen == 0 || p->payload == NULL)
		return 0;
	if (!d->q.init) {
		d->q.init = 1;
		d->q.next_seq = seq;
	}
	if (d->dead || ensure_win(s, d) != 0)
		return 1;
	place(s, dir, seq, p->payload, p->plen);
	flush(s, dir);
	return 0;
}
