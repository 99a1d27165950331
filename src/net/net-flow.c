/*
 * net-flow.c - the flow table: bidirectional flows keyed by protocol,
 * addresses, ports and VLAN tags, with Zeek's TCP endpoint states,
 * history letters and conn_state, idle timeouts and a memory cap.
 *
 * Built for one capture thread seeing up to a few hundred thousand
 * concurrent flows, most of them short (a SYN flood makes a flow of
 * nearly every packet).  Per packet the work is one hash of a 48-byte
 * key, one probe of an open-addressing index (which touches no other
 * flow), and moving the flow to the tail of its list when it is not
 * there already; an ended flow's memory is kept for the next one, so a
 * steady churn of short flows (scans, floods) does not go through
 * malloc.  Such a table does not fit the caches, and what costs is
 * waiting for memory, not instructions: a caller that has several
 * packets in hand works out their keys first (net_flow_key()) and asks
 * for their index slots and flows ahead (net_flow_prefetch*()), and
 * expiry asks for the next idle flows while it ends one.
 *
 * Timeouts: a flow sits in one of six lists by its timeout class (TCP
 * established, TCP before the handshake, TCP closed, UDP, ICMP, other),
 * each ordered by last activity.  Within a list every flow has the same
 * timeout, so the oldest is at the head and expiry only ever looks at
 * heads: expiring k flows costs O(k), and net_flow_update() expires at
 * most FLOW_EXPIRE_BUDGET per call so that a burst of idle flows cannot
 * stall one packet.  The table keeps a time before which no head can be
 * idle (next_due), so that most packets do not look at the six heads at
 * all.  The memory cap ends the least recently active flow of all,
 * which is the oldest of the six heads.  A packet older than the newest
 * one of its list (captures merged out of order) still goes to the
 * tail: its flow then ends late, never early, and a lookup ends any
 * flow found idle past its timeout on its own.
 *
 * The end callback runs while the table is being changed: it may read
 * the flow and its ext slots, but must not call back into the table.
 *
 * TCP follows Zeek's analyzer (TCPSessionAdapter::UpdateStateMachine and
 * update_history, base/protocols/conn/main.zeek conn_state), so that
 * conn_state and history read as Zeek users expect; what is left out is
 * written where it would be.  Payload bytes are counted in sequence
 * space, like Zeek: retransmissions do not count twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "core/mem.h"
#include "net/net-flow.h"

#define FLOW_EXPIRE_BUDGET	64	/* flows ended per update, at most */
#define FLOW_SLOTS_MIN	1024
#define FLOW_SLAB	((size_t)2 << 20)	/* bytes of flows at a time */
#define FLOW_SLABS_SMALL 2		/* slabs not in huge pages */

enum flow_class {
	FC_TCP_EST,
	FC_TCP_EMB,
	FC_TCP_CLOSED,
	FC_UDP,
	FC_ICMP,
	FC_OTHER,
	FC_N
};

/* Zeek's history bits per side (CheckHistory). */
#define H_SYN	0x01
#define H_SYNACK 0x02
#define H_ACK	0x04
#define H_DATA	0x08
#define H_FIN	0x10
#define H_RST	0x20
#define H_FINRST 0x40
#define H_MULTI	0x80

struct flow_side {
	uint32_t	 last_syn, last_fin, last_rst;
	uint8_t		 prev;		/* enum net_tcp_state before the last
					   change */
	uint8_t		 hist;		/* H_* letters recorded */
	uint8_t		 seq_init;
	uint64_t	 seq_base;	/* first payload byte, unwrapped */
	uint64_t	 seq_hi;	/* past the last payload byte */
};

/*
 * What a lookup reads is the first cache line; what every packet
 * changes (the sides, the counts and states at the start of struct
 * net_flow) the next few.  The ext slots and uid, which only the flow's
 * start and end touch, come last.  Its class list's links are not here
 * but in the table's links[], by id (see struct flow_link).
 */
struct flow {
	_Alignas(64) uint64_t key[6];		/* make_key() */
	uint64_t	 hash;
	uint8_t		 cls;
	uint8_t		 orig_is_lo;		/* the originator is key.lo */
	uint8_t		 hlen;			/* strlen(f.history) */
	uint32_t	 id;			/* in links[] and byid[] */
	struct flow_side side[2];		/* originator, responder */
	struct net_flow	 f;
};

/*
 * A flow's neighbours in its class list, by id.  Kept in one dense array
 * rather than in the flows: expiry walks a list from its oldest end, and
 * with the links in the flows each step waited for the previous flow's
 * line to come from memory (perf: three quarters of expire()'s samples
 * on that one load, and expire() 9% of `mamori analyze`); an array of 8
 * bytes a flow stays in the cache, so the walk runs far ahead of the
 * ends and asks for their flows early.  Moving a flow to its list's
 * tail, which every packet of a flow not already there does, touches
 * its two neighbours' links instead of their cold flows.
 */
#define FLOW_NIL	UINT32_MAX

struct flow_link {
	uint32_t	 prev, next;
};

/* The index: linear probing over (hash, flow) pairs, at most half full,
 * so that a lookup, hit or miss, reads one or two slots and only the
 * flow whose whole hash matches (a chained table would visit every
 * flow of the chain, each a cache miss on a busy link). */
struct flow_slot {
	uint64_t	 hash;
	struct flow	*e;			/* NULL: empty */
};

struct flow_list {
	uint32_t	 head, tail;		/* oldest, newest (ids) */
};

struct net_flow_table {
	struct net_flow_conf conf;
	net_flow_end_cb	*cb;
	void		*cb_arg;
	struct flow_slot *idx;			/* open addressing */
	size_t		 nslots;		/* a power of two */
	size_t		 max_slots;
	struct flow_list lists[FC_N];
	struct flow_link *links;		/* by flow id */
	struct flow	**byid;			/* flow id -> flow */
	uint32_t	 nids, capids;		/* ids given out; room */
	int64_t		 timeout[FC_N];
	/* No list head is idle at or before this time (a lower bound of
	 * their ends, lowered whenever a head changes, made exact whenever
	 * expiry runs): expiry at an earlier time has nothing to do. */
	int64_t		 next_due;
	struct net_flow_stats stats;
	uint64_t	 uid_count;
	int		 no_uids;		/* nobody reads them */
	/* Ended flows kept for the next ones (a singly linked list through
	 * their first word), so that a table churning through short flows
	 * (a scan, a flood) does not go through malloc.  Flows come from
	 * slabs (a list through their first word), 2 MiB ones once the
	 * cap allows, in huge pages (where the kernel gives them) after
	 * the first few: a flood's tens of thousands of flows otherwise
	 * take a page fault every ten.  A slab is taken only when no flow is spare, so live
	 * ones are all there are, and max_flows caps them: the memory is
	 * what the peak took, rounded up to a slab. */
	struct flow	*spare;
	size_t		 nspare;
	void		*slabs;
	size_t		 nslabs;
	unsigned char	*fresh, *fresh_end;	/* the newest slab's unused
						   part */
	size_t		 slab_bytes;
	uint64_t	 secret[7];		/* key_hash()'s */
};

_Static_assert(sizeof(struct flow) % 64 == 0, "flows fill cache lines");
_Static_assert(sizeof(((struct flow *)0)->key) ==
    sizeof(((struct net_flow_key *)0)->w), "net_flow_key holds a key");

void
net_flow_conf_init(struct net_flow_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_flows = 262144;
	c->tcp_timeout_ns = 3600LL * 1000000000LL;
	c->tcp_embryonic_ns = 30LL * 1000000000LL;
	c->tcp_closed_ns = 5LL * 1000000000LL;
	c->udp_timeout_ns = 60LL * 1000000000LL;
	c->icmp_timeout_ns = 30LL * 1000000000LL;
	c->other_timeout_ns = 60LL * 1000000000LL;
}

#ifdef __SIZEOF_INT128__
/* The 128-bit product of a and b, its halves folded. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#endif

/*
 * The hash of a key.  Every packet computes one, so its three products
 * are independent of each other (a chain of six multiplies, one
 * waiting for the other, was half of net_flow_key()'s time): each word
 * masked by a secret of the table's, multiplied in pairs, folded, and
 * multiplied once more, as wyhash does.  The secrets are random: the
 * keys come from the wire, and whoever could predict where they land in
 * the index could aim thousands of flows at one run of slots, every
 * lookup then walking all of it.
 */
static uint64_t
key_hash(const struct net_flow_table *t, const uint64_t w[6])
{
	const uint64_t *s = t->secret;
#ifdef __SIZEOF_INT128__
	uint64_t h;

	h = mum(w[0] ^ s[0], w[1] ^ s[1]) ^ mum(w[2] ^ s[2], w[3] ^ s[3]) ^
	    mum(w[4] ^ s[4], w[5] ^ s[5]);
	return mum(h ^ s[6], 0xbb67ae8584caa73bULL);
#else
	uint64_t h = s[6];
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ w[i] ^ s[i]) * 0x9e3779b97f4a7c15ULL + (h >> 29);
	return net_mix64(h);
#endif
}

static inline int
key_eq(const uint64_t a[6], const uint64_t b[6])
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
	    (a[3] ^ b[3]) | (a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

/* Echo-style ICMP pairs: the request type for a request or reply type,
 * or 0. */
static int
icmp_request_type(uint8_t proto, uint8_t type, int *is_reply)
{
	*is_reply = 0;
	if (proto == NET_P_ICMP) {
		switch (type) {
		case 8: case 13: case 15: case 17:
			return type;
		case 0:
			*is_reply = 1;
			return 8;
		case 14: case 16: case 18:
			*is_reply = 1;
			return type - 1;
		}
	} else if (proto == NET_P_ICMP6) {
		if (type == 128)
			return 128;
		if (type == 129) {
			*is_reply = 1;
			return 128;
		}
	}
	return 0;
}

static inline uint64_t
be64(const uint8_t *b)
{
	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
	    (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
	    (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | b[7];
}

static int
addr_port_cmp(const struct net_addr *a, uint16_t ap, const struct net_addr *b,
    uint16_t bp)
{
	/* memcmp() of the 16 bytes, as two big-endian words (no call). */
	uint64_t x = be64(a->a), y = be64(b->a);

	if (x == y) {
		x = be64(a->a + 8);
		y = be64(b->a + 8);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return (int)ap - (int)bp;
}

/*
 * p's key as six words: the two endpoints in a fixed order (lower
 * address, then lower port, first) so that both directions find the
 * same flow, then (ports, VLAN tags) and (protocol, family, echo).  ICMP
 * echo flows use (identifier, request type) as their ports; other ICMP
 * messages (type, code).  Built in registers: a struct written a byte at
 * a time and then read as words would stall the loads on the stores.
 * *src_is_lo says on which side p's source is.
 */
static void
make_key(const struct net_pkt *p, uint64_t w[6], int *src_is_lo)
{
	uint16_t sp = 0, dp = 0, lo_port, hi_port;
	uint64_t vlan = 0;
	int reply, req, echo = 0;

	if (p->nvlan > 0)
		vlan = p->vlan[0];
	if (p->nvlan > 1)
		vlan |= (uint64_t)p->vlan[1] << 16;
	if (p->proto == NET_P_TCP || p->proto == NET_P_UDP) {
		sp = p->sport;
		dp = p->dport;
	} else if (p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) {
		req = icmp_request_type(p->proto, p->icmp_type, &reply);
		if (req != 0)
			echo = 1;
		else {
			sp = p->icmp_type;
			dp = p->icmp_code;
		}
	}
	if (addr_port_cmp(&p->src, sp, &p->dst, dp) <= 0) {
		*src_is_lo = 1;
		memcpy(&w[0], p->src.a, 16);
		memcpy(&w[2], p->dst.a, 16);
		lo_port = sp;
		hi_port = dp;
	} else {
		*src_is_lo = 0;
		memcpy(&w[0], p->dst.a, 16);
		memcpy(&w[2], p->src.a, 16);
		lo_port = dp;
		hi_port = sp;
	}
	if (echo) {
		lo_port = (uint16_t)(p->l4[4] << 8 | p->l4[5]);
		hi_port = (uint16_t)req;
	}
	w[4] = lo_port | (uint64_t)hi_port << 16 | vlan << 32;
	w[5] = p->proto | (uint64_t)p->src.family << 8 | (uint64_t)echo << 16;
}

static inline int
flow_class(const struct flow *e)
{
	const struct net_flow *f = &e->f;

	switch (f->proto) {
	case NET_P_TCP:
		if (f->ended)
			return FC_TCP_CLOSED;
		/* Both sides heard from: a connection, even one picked
		 * up midstream.  One side only (a SYN, a scan's bare ACK
		 * or FIN, backscatter SYN-ACKs) waits no longer than a
		 * handshake would. */
		if (f->established || (f->orig_pkts > 0 && f->resp_pkts > 0))
			return FC_TCP_EST;
		return FC_TCP_EMB;
	case NET_P_UDP:
		return FC_UDP;
	case NET_P_ICMP:
	case NET_P_ICMP6:
		return FC_ICMP;
	default:
		return FC_OTHER;
	}
}

/* When a head of class c that was last active at last goes idle:
 * last + timeout, saturated. */
static inline int64_t
due_at(const struct net_flow_table *t, int c, int64_t last)
{
	int64_t d;

	if (__builtin_add_overflow(last, t->timeout[c], &d))
		return t->timeout[c] > 0 ? INT64_MAX : INT64_MIN;
	return d;
}

/* e became the head of list c: next_due may come sooner. */
static inline void
due_head(struct net_flow_table *t, int c, const struct flow *e)
{
	int64_t d = due_at(t, c, e->f.last_ns);

	if (d < t->next_due)
		t->next_due = d;
}

/* next_due made exact again. */
static void
due_update(struct net_flow_table *t)
{
	int64_t due = INT64_MAX, d;
	int c;

	for (c = 0; c < FC_N; c++) {
		uint32_t h = t->lists[c].head;

		if (h != FLOW_NIL && (d = due_at(t, c,
		    t->byid[h]->f.last_ns)) < due)
			due = d;
	}
	t->next_due = due;
}

static void
list_unlink(struct net_flow_table *t, struct flow *e)
{
	struct flow_list *l = &t->lists[e->cls];
	struct flow_link *k = &t->links[e->id];

	if (k->prev != FLOW_NIL)
		t->links[k->prev].next = k->next;
	else if ((l->head = k->next) != FLOW_NIL)
		due_head(t, e->cls, t->byid[l->head]);
	if (k->next != FLOW_NIL)
		t->links[k->next].prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = FLOW_NIL;
}

static void
list_append(struct net_flow_table *t, struct flow *e)
{
	struct flow_list *l = &t->lists[e->cls];
	struct flow_link *k = &t->links[e->id];

	k->next = FLOW_NIL;
	k->prev = l->tail;
	if (l->tail != FLOW_NIL)
		t->links[l->tail].next = e->id;
	else {
		l->head = e->id;
		due_head(t, e->cls, e);
	}
	l->tail = e->id;
}

static void
idx_put(struct flow_slot *idx, size_t nslots, struct flow *e)
{
	size_t i, mask = nslots - 1;

	for (i = e->hash & mask; idx[i].e != NULL; i = (i + 1) & mask)
		;
	idx[i].hash = e->hash;
	idx[i].e = e;
}

/* Takes e out of the index, shifting back the entries of its probe run
 * that would no longer be found. */
static void
hash_unlink(struct net_flow_table *t, struct flow *e)
{
	size_t mask = t->nslots - 1, i, j, k;

	for (i = e->hash & mask; t->idx[i].e != e; i = (i + 1) & mask)
		;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (t->idx[j].e == NULL)
			break;
		k = t->idx[j].hash & mask;
		/* It stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->idx[i] = t->idx[j];
		i = j;
	}
	t->idx[i].e = NULL;
}

/*
 * A cleared index of n slots.  Written here rather than calloc()'d: a
 * large calloc() is fresh mmap()ed memory that reads map to the shared
 * zero page, so the first write to each page faults again and flushes
 * the TLB of the other thread's CPU too.  2 MiB and more may be huge
 * pages.
 */
static struct flow_slot *
idx_new(size_t n)
{
	struct flow_slot *ni;
	size_t bytes = n * sizeof(*ni);

	if (bytes >= FLOW_SLAB) {
		if (posix_memalign((void **)&ni, FLOW_SLAB, bytes) != 0)
			return NULL;
#ifdef MADV_HUGEPAGE
		(void)madvise(ni, bytes, MADV_HUGEPAGE);
#endif
	} else if ((ni = malloc(bytes)) == NULL)
		return NULL;
	memset(ni, 0, bytes);
	return ni;
}

/* Doubles the index when one more flow would make it more than half
 * full.  Returns 0, or -1 when there is no room (past the cap, or out
 * of memory, with the index full but for one slot). */
static int
hash_grow(struct net_flow_table *t)
{
	struct flow_slot *ni;
	size_t n = t->nslots * 2, i;

	if ((t->stats.active + 1) * 2 <= t->nslots)
		return 0;
	if (t->nslots >= t->max_slots || (ni = idx_new(n)) == NULL)
		return t->stats.active + 1 < t->nslots ? 0 : -1;
	for (i = 0; i < t->nslots; i++)
		if (t->idx[i].e != NULL)
			idx_put(ni, n, t->idx[i].e);
	free(t->idx);
	t->idx = ni;
	t->nslots = n;
	return 0;
}

/* Asks for the n bytes at p (n a constant: the loop unrolls). */
static inline __attribute__((always_inline)) void
prefetch_lines(const void *p, size_t n)
{
	size_t o;

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
	for (o = 0; o < n; o += 64)
		__builtin_prefetch((const char *)p + o);
}

/* The same, to be written. */
static inline __attribute__((always_inline)) void
prefetch_lines_w(void *p, size_t n)
{
	size_t o;

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 8
#endif
	for (o = 0; o < n; o += 64)
		__builtin_prefetch((char *)p + o, 1);
}

static void flow_gone(struct net_flow_table *t, struct flow *e,
    enum net_flow_end why);

/* Ends e: out of the table, reported, then its ext slots and itself
 * freed. */
static void
flow_end(struct net_flow_table *t, struct flow *e, enum net_flow_end why)
{
	hash_unlink(t, e);
	list_unlink(t, e);
	flow_gone(t, e, why);
}

/* What ending e does once it is out of the index and its list: counted,
 * reported, its ext slots freed, kept as spare. */
static void
flow_gone(struct net_flow_table *t, struct flow *e, enum net_flow_end why)
{
	int i;

	t->stats.ended++;
	t->stats.active--;
	if (why == NET_FLOW_END_EVICTED)
		t->stats.evicted++;
	if (t->cb != NULL)
		t->cb(t->cb_arg, &e->f, why);
	_Static_assert(NET_FLOW_NEXT == 4, "four ext slots");
	if (((uintptr_t)e->f.ext[0] | (uintptr_t)e->f.ext[1] |
	    (uintptr_t)e->f.ext[2] | (uintptr_t)e->f.ext[3]) != 0) {
		for (i = 0; i < NET_FLOW_NEXT; i++)
			if (e->f.ext[i] != NULL && e->f.ext[i]->free != NULL)
				e->f.ext[i]->free(e->f.ext[i]);
	}
	memcpy((void *)e, &t->spare, sizeof(void *));
	t->spare = e;
	t->nspare++;
}

/*
 * Idle flows are cold.  While e, the oldest of its list, ends, ask for
 * what the next ends will read: the index slot and ext data of the one
 * after e (whose own lines were asked for at an earlier end), and the
 * lines of the one after that.
 */
static void
end_prefetch(const struct net_flow_table *t, const struct flow *e)
{
	uint32_t ni = t->links[e->id].next, nni;
	const struct flow *n;
	int i;

	if (ni == FLOW_NIL)
		return;
	n = t->byid[ni];
	__builtin_prefetch(&t->idx[n->hash & (t->nslots - 1)]);
	for (i = 0; i < NET_FLOW_NEXT; i++)
		if (n->f.ext[i] != NULL)
			__builtin_prefetch(n->f.ext[i]);
	if ((nni = t->links[ni].next) != FLOW_NIL)
		prefetch_lines(t->byid[nni], sizeof(struct flow));
}

/* Flows whose lines a run of ends asks for ahead (each end takes less
 * time than memory does to answer). */
#define END_AHEAD	8

static int
idle_past(const struct net_flow_table *t, const struct flow *e, int64_t now)
{
	return now - e->f.last_ns > t->timeout[e->cls];
}

/* Ends up to budget flows idle at now (budget < 0: no limit). */
static void
expire(struct net_flow_table *t, int64_t now, long budget)
{
	int c;

	if (now <= t->next_due)
		return;
	for (c = 0; c < FC_N; c++) {
		struct flow_list *l = &t->lists[c];
		uint32_t ahead = FLOW_NIL;	/* the last flow asked for */
		uint32_t seen[8];		/* the walk's last ones */
		unsigned k = 0;			/* flows the walk reached */
		int dist = 0, n = 0;		/* ahead is dist after head */
		struct flow *e;

		while (l->head != FLOW_NIL &&
		    idle_past(t, t->byid[l->head], now)) {
			if (budget == 0)
				goto out;
			if (budget > 0)
				budget--;
			/* A run of idle flows (a tick after a quiet spell, the
			 * end of a flood: thousands at once): keep END_AHEAD
			 * flows asked for.  A single end (a steady trickle)
			 * does without the walk. */
			if (n++ > 0) {
				if (ahead == FLOW_NIL) {
					ahead = l->head;
					dist = 0;
				}
				while (dist < END_AHEAD &&
				    t->links[ahead].next != FLOW_NIL) {
					ahead = t->links[ahead].next;
					dist++;
					prefetch_lines(t->byid[ahead],
					    sizeof(struct flow));
					/* The index slot of the one reached
					 * four steps ago (its hash is in by
					 * now). */
					seen[k++ & 7] = ahead;
					if (k > 4) {
						const struct flow *o =
						    t->byid[seen[(k - 5) & 7]];

						__builtin_prefetch(&t->idx[
						    o->hash & (t->nslots - 1)]);
					}
				}
			}
			e = t->byid[l->head];
			end_prefetch(t, e);
			/* The head leaves its list (next_due is made anew
			 * below). */
			hash_unlink(t, e);
			if ((l->head = t->links[e->id].next) != FLOW_NIL)
				t->links[l->head].prev = FLOW_NIL;
			else
				l->tail = FLOW_NIL;
			t->links[e->id].next = FLOW_NIL;
			flow_gone(t, e, NET_FLOW_END_TIMEOUT);
			if (ahead != FLOW_NIL && --dist < 0)
				ahead = FLOW_NIL;
		}
	}
out:
	due_update(t);
}

void
net_flow_expire(struct net_flow_table *t, int64_t now_ns)
{
	expire(t, now_ns, -1);
}

/* The least recently active flow of all: the oldest head. */
static struct flow *
oldest(struct net_flow_table *t)
{
	struct flow *best = NULL, *h;
	int c;

	for (c = 0; c < FC_N; c++) {
		if (t->lists[c].head == FLOW_NIL)
			continue;
		h = t->byid[t->lists[c].head];
		if (best == NULL || h->f.last_ns < best->f.last_ns)
			best = h;
	}
	return best;
}

struct net_flow_table *
net_flow_table_new(const struct net_flow_conf *c, net_flow_end_cb *cb,
    void *arg)
{
	struct net_flow_table *t;
	uint64_t seed;
	int i;

	if ((t = mem_calloc_lines(sizeof(*t))) == NULL)
		return NULL;
	if (c != NULL)
		t->conf = *c;
	else
		net_flow_conf_init(&t->conf);
	if (t->conf.max_flows == 0)
		t->conf.max_flows = 1;
	t->cb = cb;
	t->cb_arg = arg;
	t->max_slots = FLOW_SLOTS_MIN;
	while (t->max_slots < t->conf.max_flows * 2 &&
	    t->max_slots < ((size_t)1 << 31))
		t->max_slots *= 2;
	t->nslots = FLOW_SLOTS_MIN;
	if ((t->idx = idx_new(t->nslots)) == NULL) {
		free(t);
		return NULL;
	}
	t->timeout[FC_TCP_EST] = t->conf.tcp_timeout_ns;
	t->timeout[FC_TCP_EMB] = t->conf.tcp_embryonic_ns;
	t->timeout[FC_TCP_CLOSED] = t->conf.tcp_closed_ns;
	t->timeout[FC_UDP] = t->conf.udp_timeout_ns;
	t->timeout[FC_ICMP] = t->conf.icmp_timeout_ns;
	t->timeout[FC_OTHER] = t->conf.other_timeout_ns;
	t->next_due = INT64_MAX;
	for (i = 0; i < FC_N; i++)
		t->lists[i].head = t->lists[i].tail = FLOW_NIL;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0x243f6a8885a308d3ULL ^ (uint64_t)(uintptr_t)t ^
		    (uint64_t)time(NULL);
	for (i = 0; i < 7; i++)
		t->secret[i] = net_mix64(seed + (uint64_t)(i + 1) *
		    0x9e3779b97f4a7c15ULL);
	/* Slabs of 2 MiB (a huge page) once the cap needs that much; a
	 * small table takes what its cap needs. */
	t->slab_bytes = FLOW_SLAB;
	if (t->conf.max_flows < (FLOW_SLAB - 64) / sizeof(struct flow))
		t->slab_bytes = (64 + t->conf.max_flows * sizeof(struct flow) +
		    4095) & ~(size_t)4095;
	return t;
}

void
net_flow_table_free(struct net_flow_table *t)
{
	struct flow *e;
	void *slab;

	if (t == NULL)
		return;
	while ((e = oldest(t)) != NULL)
		flow_end(t, e, NET_FLOW_END_FLUSH);
	while ((slab = t->slabs) != NULL) {
		memcpy(&t->slabs, slab, sizeof(t->slabs));
		free(slab);
	}
	free(t->idx);
	free(t->links);
	free(t->byid);
	free(t);
}

void
net_flow_table_set_uids(struct net_flow_table *t, int on)
{
	t->no_uids = !on;
}

void
net_flow_stats(const struct net_flow_table *t, struct net_flow_stats *s)
{
	*s = t->stats;
}

/* n base62 digits of x (n <= 5, x < 62^n), least significant first,
 * in 32-bit arithmetic. */
static void
b62_digits(char *out, uint32_t x, int n)
{
	static const char b62[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	int i;

	for (i = 0; i < n; i++) {
		out[i] = b62[x % 62];
		x /= 62;
	}
}

/* "C" and 17 base62 digits of a 128-bit value made from the table's
 * counter (and the configured seed): unique within a table, the same
 * sequence in every run with the same seed. */
static void
make_uid(struct net_flow_table *t, char *uid)
{
	const uint64_t p4 = 62ULL * 62 * 62 * 62, p5 = p4 * 62;
	uint64_t h1, h2;

	t->uid_count++;
	h1 = net_mix64(t->uid_count ^ net_mix64(t->conf.uid_seed ^
	    0x243f6a8885a308d3ULL));
	h2 = net_mix64(h1 ^ 0x13198a2e03707344ULL);
	/* The 9 low base62 digits of h1 and the 8 of h2, as repeated
	 * % 62 and / 62 would give them, but cut into 32-bit pieces
	 * first (a 64-bit division per digit costs more than the rest of
	 * a flow's creation). */
	h1 %= p5 * p4;
	h2 %= p4 * p4;
	uid[0] = 'C';
	b62_digits(uid + 1, (uint32_t)(h1 % p5), 5);
	b62_digits(uid + 6, (uint32_t)(h1 / p5), 4);
	b62_digits(uid + 10, (uint32_t)(h2 % p4), 4);
	b62_digits(uid + 14, (uint32_t)(h2 / p4), 4);
	uid[18] = '\0';
}

static void
hist_add(struct flow *e, char c)
{
	if ((size_t)e->hlen + 1 < sizeof(e->f.history)) {
		e->f.history[e->hlen++] = c;
		e->f.history[e->hlen] = '\0';
	}
}

/* Records letter c (upper case) once per direction: Zeek's
 * CheckHistory().  Returns whether it was new. */
static int
hist_check(struct flow *e, int dir, uint8_t bit, char c)
{
	struct flow_side *s = &e->side[dir];

	if (s->hist & bit)
		return 0;
	s->hist |= bit;
	hist_add(e, dir == 0 ? c : (char)(c - 'A' + 'a'));
	return 1;
}

/* Zeek's update_history(): one letter per kind and direction, except
 * that S, H, F and R come again for a packet with a new sequence
 * number (a new attempt rather than a retransmission). */
static void
tcp_history(struct flow *e, int dir, uint8_t fl, uint32_t seq, uint32_t len)
{
	struct flow_side *s = &e->side[dir];
	int syn = (fl & NET_TH_SYN) != 0, fin = (fl & NET_TH_FIN) != 0;
	int rst = (fl & NET_TH_RST) != 0;
	char c;

	if (syn + fin + rst > 1) {
		if (fin && rst)
			hist_check(e, dir, H_FINRST, 'I');
		else
			hist_check(e, dir, H_MULTI, 'Q');
	} else if (syn) {
		uint8_t bit = (fl & NET_TH_ACK) ? H_SYNACK : H_SYN;

		c = (fl & NET_TH_ACK) ? 'H' : 'S';
		if (!hist_check(e, dir, bit, c) && seq != s->last_syn)
			hist_add(e, dir == 0 ? c : (char)(c - 'A' + 'a'));
		s->last_syn = seq;
	} else if (fin) {
		/* A FIN's sequence number is that of the end of its
		 * data. */
		if (!hist_check(e, dir, H_FIN, 'F') && seq + len != s->last_fin)
			hist_add(e, dir == 0 ? 'F' : 'f');
		s->last_fin = seq + len;
	} else if (rst) {
		if (!hist_check(e, dir, H_RST, 'R') && seq != s->last_rst)
			hist_add(e, dir == 0 ? 'R' : 'r');
		s->last_rst = seq;
	} else if (len > 0)
		hist_check(e, dir, H_DATA, 'D');
	else if (fl & NET_TH_ACK)
		hist_check(e, dir, H_ACK, 'A');
}

static void
set_state(struct flow *e, int dir, enum net_tcp_state st)
{
	enum net_tcp_state *cur = dir == 0 ? &e->f.orig_state :
	    &e->f.resp_state;

	if (*cur != st) {
		e->side[dir].prev = (uint8_t)*cur;
		*cur = st;
	}
}

/* Zeek's endpoint state machine (UpdateStateMachine), without what only
 * weird.log sees and without the SYN/SYN-ACK role reversal (the
 * originator is decided when the flow is created). */
static void
tcp_state(struct flow *e, int dir, uint8_t fl, uint32_t len)
{
	struct net_flow *f = &e->f;
	enum net_tcp_state es = dir == 0 ? f->orig_state : f->resp_state;
	enum net_tcp_state ps = dir == 0 ? f->resp_state : f->orig_state;
	int syn = (fl & NET_TH_SYN) != 0, ack = (fl & NET_TH_ACK) != 0;
	int fin = (fl & NET_TH_FIN) != 0, rst = (fl & NET_TH_RST) != 0;
	int peer = !dir;

	switch (es) {
	case NET_TCP_NONE:
		if (syn) {
			if (dir == 0)
				set_state(e, dir, ack ? NET_TCP_SYN_ACK :
				    NET_TCP_SYN_SENT);
			else {
				if (ps == NET_TCP_SYN_SENT) {
					set_state(e, peer,
					    NET_TCP_ESTABLISHED);
					f->established = 1;
				}
				set_state(e, dir, NET_TCP_ESTABLISHED);
			}
		}
		if (fin)
			set_state(e, dir, NET_TCP_FIN);
		if (rst)
			set_state(e, dir, NET_TCP_RST);
		if ((dir == 0 ? f->orig_state : f->resp_state) ==
		    NET_TCP_NONE) {
			/* Some stacks ACK a SYN before answering it: that
			 * does not make the connection partial. */
			if (!(dir == 1 && len == 0 &&
			    f->orig_state == NET_TCP_SYN_SENT))
				set_state(e, dir, NET_TCP_PARTIAL);
		}
		break;
	case NET_TCP_SYN_SENT:
	case NET_TCP_SYN_ACK:
		if (fin)
			set_state(e, dir, NET_TCP_FIN);
		if (rst)
			set_state(e, dir, NET_TCP_RST);
		break;
	case NET_TCP_PARTIAL:
	case NET_TCP_ESTABLISHED:
		if (syn && es == NET_TCP_PARTIAL && ps == NET_TCP_NONE && !ack)
			set_state(e, dir, NET_TCP_SYN_SENT);
		if (fin && !rst) {
			set_state(e, dir, NET_TCP_FIN);
			/* The peer's FIN then RST was a normal close. */
			if (ps == NET_TCP_RST &&
			    e->side[peer].prev == NET_TCP_FIN)
				set_state(e, peer, NET_TCP_FIN);
		}
		if (rst)
			set_state(e, dir, NET_TCP_RST);
		break;
	case NET_TCP_FIN:
		if (rst)
			set_state(e, dir, NET_TCP_RST);
		break;
	case NET_TCP_RST:
		break;
	}
	if (f->orig_state == NET_TCP_RST || f->resp_state == NET_TCP_RST ||
	    (f->orig_state == NET_TCP_FIN && f->resp_state == NET_TCP_FIN))
		f->ended = 1;
}

/* Payload bytes in sequence space: the highest byte seen minus the
 * first, so that retransmissions count once (Zeek's Endpoint::Size).
 * Only segments with payload move the mark. */
static uint64_t
tcp_bytes(struct flow_side *s, uint32_t seq, int syn, uint32_t len)
{
	uint32_t start = seq + (syn ? 1 : 0), end = start + len;
	int32_t d;

	if (!s->seq_init) {
		s->seq_init = 1;
		s->seq_base = s->seq_hi = start;
	}
	if (len > 0) {
		d = (int32_t)(end - (uint32_t)s->seq_hi);
		if (d > 0)
			s->seq_hi += (uint64_t)d;
	}
	return s->seq_hi - s->seq_base;
}

static void
count(struct flow *e, const struct net_pkt *p, int dir)
{
	struct net_flow *f = &e->f;
	uint64_t ipb = p->ip_len != 0 ? p->ip_len : p->l3len;

	if (p->ts_ns > f->last_ns)
		f->last_ns = p->ts_ns;
	if (dir == 0) {
		f->orig_pkts++;
		f->orig_ip_bytes += ipb;
	} else {
		f->resp_pkts++;
		f->resp_ip_bytes += ipb;
	}
	switch (p->proto) {
	case NET_P_TCP: {
		uint64_t n;

		if (dir == 0)
			f->orig_flags |= p->tcp_flags;
		else
			f->resp_flags |= p->tcp_flags;
		tcp_history(e, dir, p->tcp_flags, p->tcp_seq, p->plen_wire);
		tcp_state(e, dir, p->tcp_flags, p->plen_wire);
		n = tcp_bytes(&e->side[dir], p->tcp_seq,
		    (p->tcp_flags & NET_TH_SYN) != 0, p->plen_wire);
		if (dir == 0)
			f->orig_bytes = n;
		else
			f->resp_bytes = n;
		break;
	}
	case NET_P_UDP:
		hist_check(e, dir, H_DATA, 'D');
		/* FALLTHROUGH */
	default:
		if (dir == 0)
			f->orig_bytes += p->plen_wire;
		else
			f->resp_bytes += p->plen_wire;
		break;
	}
}

/* A 16-byte store (two on machines without SSE). */
typedef uint64_t zero_vec __attribute__((vector_size(16), aligned(16),
    may_alias));

/* Clears e with plain stores: memset() of a struct this size compiles
 * to `rep stos`, whose start-up costs more than the stores (GCC would
 * turn the loop back into memset() without the attribute). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
static void
flow_clear(struct flow *e)
{
	size_t i;

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 32
#endif
	for (i = 0; i < sizeof(*e); i += sizeof(zero_vec))
		*(zero_vec *)(void *)((char *)e + i) = (zero_vec){ 0, 0 };
}

/* Takes a slab of flows.  Returns 0 or -1 (out of memory). */
static int
slab_new(struct net_flow_table *t)
{
	void *slab;

	if (posix_memalign(&slab, t->slab_bytes == FLOW_SLAB ? FLOW_SLAB : 64,
	    t->slab_bytes) != 0)
		return -1;
#ifdef MADV_HUGEPAGE
	/* Not the first slabs: a huge page's fault clears 2 MiB at once
	 * (milliseconds in a virtual machine), and a live capture's first
	 * flows must not stall the reading of its socket (packets were
	 * lost).  A table that grows past them is a big one. */
	if (t->slab_bytes == FLOW_SLAB && t->nslabs >= FLOW_SLABS_SMALL)
		(void)madvise(slab, FLOW_SLAB, MADV_HUGEPAGE);
#endif
	t->nslabs++;
	memcpy(slab, &t->slabs, sizeof(t->slabs));
	t->slabs = slab;
	t->fresh = (unsigned char *)slab + 64;
	t->fresh_end = t->fresh + (t->slab_bytes - 64) / sizeof(struct flow) *
	    sizeof(struct flow);
	return 0;
}

/* Room for twice the ids.  Returns 0 or -1 (out of memory). */
static int
ids_grow(struct net_flow_table *t)
{
	uint32_t cap = t->capids ? t->capids * 2 : 1024;
	struct flow_link *nl;
	struct flow **nb;

	if (cap <= t->capids)
		return -1;
	if ((nl = realloc(t->links, cap * sizeof(*nl))) == NULL)
		return -1;
	t->links = nl;
	if ((nb = realloc(t->byid, cap * sizeof(*nb))) == NULL)
		return -1;
	t->byid = nb;
	t->capids = cap;
	return 0;
}

/* Memory for a flow (not cleared): a spare one, else a fresh one.  The
 * spare after it is asked for now, for the next new flow: after a
 * thousand flows ended at once they are cold. */
static struct flow *
flow_alloc(struct net_flow_table *t)
{
	struct flow *e;

	if ((e = t->spare) != NULL) {
		memcpy(&t->spare, (const void *)e, sizeof(void *));
		t->nspare--;
		if (t->spare != NULL)
			prefetch_lines_w(t->spare, sizeof(struct flow));
		return e;
	}
	if (t->nids == t->capids && ids_grow(t) != 0)
		return NULL;
	if (t->fresh == t->fresh_end && slab_new(t) != 0)
		return NULL;
	e = (struct flow *)(void *)t->fresh;
	t->fresh += sizeof(struct flow);
	/* Its id for good: a spare flow keeps it. */
	e->id = t->nids++;
	t->byid[e->id] = e;
	t->links[e->id].prev = t->links[e->id].next = FLOW_NIL;
	return e;
}

/* A new flow for p (key k), the cap made room for first; not yet in a
 * list (the caller appends it once it is counted).  *dir is p's
 * direction in it. */
static struct flow *
flow_new(struct net_flow_table *t, const struct net_pkt *p,
    const struct net_flow_key *k, int *dir)
{
	struct flow *e, *old;
	struct net_flow *f;
	uint32_t id;
	int flip = 0, reply = 0, req = 0;

	while (t->stats.active >= t->conf.max_flows &&
	    (old = oldest(t)) != NULL) {
		end_prefetch(t, old);
		flow_end(t, old, NET_FLOW_END_EVICTED);
	}
	if (hash_grow(t) != 0)
		return NULL;
	if ((e = flow_alloc(t)) == NULL)
		return NULL;
	id = e->id;
	flow_clear(e);
	e->id = id;
	f = &e->f;
	memcpy(e->key, k->w, sizeof(e->key));
	e->hash = k->hash;
	f->proto = p->proto;
	f->vlan = p->nvlan > 0 ? p->vlan[p->nvlan - 1] : 0;
	f->first_ns = f->last_ns = p->ts_ns;

	/* A SYN-ACK seen first answers a SYN we missed: its sender is
	 * the responder (Zeek marks the flip with '^').  So is the
	 * sender of an echo reply. */
	if (p->proto == NET_P_TCP &&
	    (p->tcp_flags & (NET_TH_SYN | NET_TH_ACK)) ==
	    (NET_TH_SYN | NET_TH_ACK))
		flip = 1;
	else if (p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) {
		req = icmp_request_type(p->proto, p->icmp_type, &reply);
		flip = reply;
	}
	if (!flip) {
		f->orig_h = p->src;
		f->resp_h = p->dst;
		f->orig_p = p->sport;
		f->resp_p = p->dport;
		e->orig_is_lo = k->src_is_lo;
	} else {
		f->orig_h = p->dst;
		f->resp_h = p->src;
		f->orig_p = p->dport;
		f->resp_p = p->sport;
		e->orig_is_lo = !k->src_is_lo;
		if (p->proto == NET_P_TCP)
			hist_add(e, '^');
	}
	if (p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) {
		f->orig_p = req != 0 ? (uint16_t)req : p->icmp_type;
		f->resp_p = p->icmp_code;
	}
	if (t->no_uids)
		t->uid_count++;		/* the sequence goes on */
	else
		make_uid(t, f->uid);
	idx_put(t->idx, t->nslots, e);
	t->stats.created++;
	t->stats.active++;
	if (t->stats.active > t->stats.peak)
		t->stats.peak = t->stats.active;
	*dir = flip;
	return e;
}

void
net_flow_key(const struct net_flow_table *t, const struct net_pkt *p,
    struct net_flow_key *k)
{
	int src_is_lo;

	k->ok = 0;
	if (p->ipver == 0 || p->frag_off != 0)
		return;
	if ((p->proto == NET_P_TCP || p->proto == NET_P_UDP ||
	    p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) &&
	    p->l4 == NULL)
		return;			/* no ports to key it by */
	make_key(p, k->w, &src_is_lo);
	k->hash = key_hash(t, k->w);
	k->src_is_lo = (uint8_t)src_is_lo;
	k->ok = 1;
}

void
net_flow_prefetch(const struct net_flow_table *t, const struct net_flow_key *k)
{
	if (k->ok)
		__builtin_prefetch(&t->idx[k->hash & (t->nslots - 1)]);
}

/* The lines a packet of an existing flow touches: the key, the links and
 * sides, and struct net_flow up to its history. */
#define FLOW_HOT_BYTES	(offsetof(struct flow, f) + \
    offsetof(struct net_flow, uid))

void
net_flow_prefetch_hit(const struct net_flow_table *t,
    const struct net_flow_key *k)
{
	size_t i, mask = t->nslots - 1;
	const struct flow *e;

	if (!k->ok)
		return;
	for (i = k->hash & mask; (e = t->idx[i].e) != NULL; i = (i + 1) & mask)
		if (t->idx[i].hash == k->hash) {
			prefetch_lines(e, FLOW_HOT_BYTES);
			return;
		}
}

struct net_flow *
net_flow_update_key(struct net_flow_table *t, const struct net_pkt *p,
    const struct net_flow_key *k, int *dir, int *is_new)
{
	struct flow *e;
	int d, cls;

	*dir = 0;
	if (is_new != NULL)
		*is_new = 0;
	if (!k->ok)
		return NULL;

	expire(t, p->ts_ns, FLOW_EXPIRE_BUDGET);

	{
		size_t i, mask = t->nslots - 1;

		for (i = k->hash & mask; (e = t->idx[i].e) != NULL;
		    i = (i + 1) & mask)
			if (t->idx[i].hash == k->hash && key_eq(e->key, k->w))
				break;
	}
	if (e != NULL) {
		d = k->src_is_lo == e->orig_is_lo ? 0 : 1;
		if (idle_past(t, e, p->ts_ns))
			flow_end(t, e, NET_FLOW_END_TIMEOUT);
		else if (p->proto == NET_P_TCP && e->f.ended &&
		    (p->tcp_flags & (NET_TH_SYN | NET_TH_ACK | NET_TH_RST)) ==
		    NET_TH_SYN && e->side[d].last_syn != p->tcp_seq)
			/* A new SYN after the close: the ports are reused
			 * for a new connection, and the old one is over
			 * (its closed timeout cut short). */
			flow_end(t, e, NET_FLOW_END_TIMEOUT);
		else {
			count(e, p, d);
			/* To the tail of its class's list, which it often is
			 * already (a burst of one flow's packets): moving it
			 * touches its two neighbours, cold on a big table. */
			cls = flow_class(e);
			if (cls != e->cls ||
			    t->links[e->id].next != FLOW_NIL) {
				list_unlink(t, e);
				e->cls = (uint8_t)cls;
				list_append(t, e);
			}
			*dir = d;
			return &e->f;
		}
	}
	if ((e = flow_new(t, p, k, &d)) == NULL)
		return NULL;
	if (is_new != NULL)
		*is_new = 1;
	count(e, p, d);
	e->cls = (uint8_t)flow_class(e);
	list_append(t, e);
	*dir = d;
	return &e->f;
}

struct net_flow *
net_flow_update(struct net_flow_table *t, const struct net_pkt *p, int *dir,
    int *is_new)
{
	struct net_flow_key k;

	net_flow_key(t, p, &k);
	return net_flow_update_key(t, p, &k, dir, is_new);
}

/* Zeek's RSTOS0 test: the history matches ^?S[^HAFGIQ]*R. */
static int
rstos0_history(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return 0;
	for (; *h != '\0'; h++) {
		if (*h == 'R')
			return 1;
		if (strchr("HAFGIQ", *h) != NULL)
			return 0;
	}
	return 0;
}

const char *
net_flow_conn_state(const struct net_flow *f)
{
	enum net_tcp_state os = f->orig_state, rs = f->resp_state;
	int o_inactive = os == NET_TCP_NONE || os == NET_TCP_PARTIAL;
	int r_inactive = rs == NET_TCP_NONE || rs == NET_TCP_PARTIAL;

	if (f->proto == NET_P_UDP) {
		if (f->orig_pkts > 0)
			return f->resp_pkts > 0 ? "SF" : "S0";
		return f->resp_pkts > 0 ? "SHR" : "OTH";
	}
	if (f->proto != NET_P_TCP)
		return "OTH";
	if (rs == NET_TCP_RST) {
		if (os == NET_TCP_SYN_SENT || os == NET_TCP_SYN_ACK ||
		    (os == NET_TCP_RST && f->orig_bytes == 0 &&
		    f->resp_bytes == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == NET_TCP_RST) {
		if (r_inactive)
			return rstos0_history(f->history) ? "RSTOS0" : "OTH";
		return "RSTO";
	}
	if (rs == NET_TCP_FIN && os == NET_TCP_FIN)
		return "SF";
	if (os == NET_TCP_FIN)
		return r_inactive ? "SH" : "S2";
	if (rs == NET_TCP_FIN)
		return o_inactive ? "SHR" : "S3";
	if (os == NET_TCP_SYN_SENT && rs == NET_TCP_NONE)
		return "S0";
	if (os == NET_TCP_ESTABLISHED && rs == NET_TCP_ESTABLISHED)
		return "S1";
	return "OTH";
}

static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case NET_P_TCP:
		return "tcp";
	case NET_P_UDP:
		return "udp";
	case NET_P_ICMP:
	case NET_P_ICMP6:
		return "icmp";
	default:
		return "unknown_transport";
	}
}

/* Whole microseconds (Zeek's resolution), rounded down. */
static int64_t
usecs(int64_t ns)
{
	return ns / 1000 - (ns < 0 && ns % 1000 != 0);
}

static int
set_new(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) != 0 ? -1 : 0;
}

char *
net_flow_conn_json(const struct net_flow *f)
{
	char oh[64], rh[64], *s;
	json_t *o;
	double dur;
	int r = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	net_addr_str(&f->orig_h, oh, sizeof(oh));
	net_addr_str(&f->resp_h, rh, sizeof(rh));
	/* Seconds as floats, like Zeek; the difference is taken in whole
	 * microseconds first so that it carries no rounding noise. */
	dur = (double)(usecs(f->last_ns) - usecs(f->first_ns)) / 1e6;
	r |= set_new(o, "ts", json_real((double)usecs(f->first_ns) / 1e6));
	r |= set_new(o, "uid", json_string(f->uid));
	r |= set_new(o, "id.orig_h", json_string(oh));
	r |= set_new(o, "id.orig_p", json_integer(f->orig_p));
	r |= set_new(o, "id.resp_h", json_string(rh));
	r |= set_new(o, "id.resp_p", json_integer(f->resp_p));
	r |= set_new(o, "proto", json_string(proto_name(f->proto)));
	/* Zeek sets duration and the byte counts only for a flow that
	 * lasted (set_conn() in base/protocols/conn/main.zeek). */
	if (dur > 0) {
		r |= set_new(o, "duration", json_real(dur));
		r |= set_new(o, "orig_bytes",
		    json_integer((json_int_t)f->orig_bytes));
		r |= set_new(o, "resp_bytes",
		    json_integer((json_int_t)f->resp_bytes));
	}
	r |= set_new(o, "conn_state", json_string(net_flow_conn_state(f)));
	r |= set_new(o, "missed_bytes", json_integer(0));
	if (f->history[0] != '\0')
		r |= set_new(o, "history", json_string(f->history));
	r |= set_new(o, "orig_pkts", json_integer((json_int_t)f->orig_pkts));
	r |= set_new(o, "orig_ip_bytes",
	    json_integer((json_int_t)f->orig_ip_bytes));
	r |= set_new(o, "resp_pkts", json_integer((json_int_t)f->resp_pkts));
	r |= set_new(o, "resp_ip_bytes",
	    json_integer((json_int_t)f->resp_ip_bytes));
	r |= set_new(o, "ip_proto", json_integer(f->proto));
	if (f->vlan != 0)
		r |= set_new(o, "vlan", json_integer(f->vlan));
	s = r == 0 ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(16)) : NULL;
	json_decref(o);
	return s;
}
