/*
 * net-detect-impl.h - what the detector files (net-detect*.c) share and
 * nobody else uses: the configuration structure, a bounded LRU table,
 * compact sets and sketches, episodes and their report policy.
 *
 * Private to src/net/net-detect*.c.  Everything here is owned by the
 * struct net_detect or struct net_detect_conf it hangs off.
 */
#ifndef MAMORI_NET_DETECT_IMPL_H
#define MAMORI_NET_DETECT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net-detect.h"
#include "respond/respond.h"

#define ND_SEC		1000000000LL
#define ND_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- address prefix lists (net-detect.c) ---- */

/*
 * A set of prefixes, matched in O(number of distinct prefix lengths):
 * for each length present, an open-addressing hash of the masked
 * networks.  Parsing is respond_addr_parse()'s, and a hash hit is
 * confirmed with respond_addr_contains().
 */
struct nd_plen {
	int			 family;	/* 4 or 6 */
	int			 len;
	uint32_t		 mask4;		/* IPv4: the mask of len bits,
						   in network order */
	size_t			 nslots;	/* power of two */
	const struct respond_addr **slots;
};

struct nd_plist {
	struct respond_addr	*v;		/* the prefixes as given */
	size_t			 n;
	struct nd_plen		*lens;		/* longest first */
	size_t			 nlens;
	/* The first bytes some prefix covers, per family (IPv4, IPv6):
	 * most addresses are turned away by one bit test. */
	uint8_t			 first[2][32];
	/* IPv4: two bits per /16 (ND_V4_*), when there are IPv4
	 * prefixes: most answers without hashing. */
	uint8_t			*v4;
};

#define ND_V4_NONE	0	/* no prefix meets this /16 */
#define ND_V4_ALL	1	/* a prefix of /16 or shorter covers it */
#define ND_V4_SOME	2	/* longer prefixes lie in it: look them up */

/* Builds l from v[0..n) (takes ownership of v, allocated with malloc).
 * Returns 0 or MAMORI_ENOMEM (v freed either way on error). */
int net_nd_plist_set(struct nd_plist *l, struct respond_addr *v, size_t n);
void net_nd_plist_release(struct nd_plist *l);
/* The hash part of net_nd_plist_match(), for an address its quick
 * tests did not settle. */
int net_nd_plist_lookup(const struct nd_plist *l, const struct net_addr *a);
/* 1 when a lies in one of l's prefixes.  Inline: it runs several times
 * per packet (allowlist, internal networks), and nearly every call ends
 * at the empty list, the IPv4 /16 map or the IPv6 first-byte bitmap,
 * which cost less than the call did. */
static inline int
net_nd_plist_match(const struct nd_plist *l, const struct net_addr *a)
{
	unsigned i, st;

	if (l->nlens == 0)
		return 0;
	if (a->family == 4) {
		if (l->v4 == NULL)
			return 0;
		i = (unsigned)a->a[0] << 8 | a->a[1];
		st = (l->v4[i >> 2] >> ((i & 3) * 2)) & 3;
		return st == ND_V4_SOME ? net_nd_plist_lookup(l, a) :
		    st == ND_V4_ALL;
	}
	if (a->family != 6 ||
	    !((l->first[1][a->a[0] >> 3] >> (a->a[0] & 7)) & 1))
		return 0;
	return net_nd_plist_lookup(l, a);
}
/* Parses strings into l (for defaults); 0 or MAMORI_ENOMEM/EINVAL. */
int net_nd_plist_parse_strv(struct nd_plist *l, const char *const *s, size_t n);

/* A declared service: addresses, a port range, protocols. */
struct nd_service {
	struct respond_addr	 net;
	int			 any_host;	/* "*" */
	uint16_t		 lo, hi;
	uint8_t			 tcp, udp;
};

/* ---- the configuration ---- */

struct net_detect_conf {
	int64_t		 report_delay_ns;	/* 30 s */
	int64_t		 report_interval_ns;	/* 5 min */
	int		 max_entries;		/* per table; 16384 */
	int		 max_tracked;		/* exact set cap; 4096 */
	struct nd_plist	 allowlist;		/* never a reported source */
	struct nd_plist	 internal;		/* RFC 1918 etc. */

	struct {
		int	 enabled;
		int64_t	 window_ns;		/* 60 s */
		int	 ports;			/* vertical: 20 on one host */
		int	 hosts;			/* horizontal: 20 on one port */
		int	 block_hosts, block_ports;	/* 8, 8 */
		int	 block_pairs;		/* 64 */
		int64_t	 connect_max_ns;	/* 2 s */
		int64_t	 slow_window_ns;	/* 1 h */
		int	 slow_ports, slow_hosts;	/* 20, 20 */
	} scan;
	struct {
		int	 enabled;
		int64_t	 window_ns;		/* 60 s */
		int	 hosts;			/* 20 */
	} ping;
	int64_t		 flood_window_ns;	/* 10 s */
	struct {
		int	 enabled;
		int	 syns;			/* 2000 per window */
		int	 half_open_pct;		/* 80 */
	} syn_flood;
	struct {
		int	 enabled;
		int	 packets;		/* 20000 per window */
		int64_t	 bytes;			/* 100 MB per window */
	} udp_flood;
	struct {
		int	 enabled;
		int	 packets;		/* 5000 per window */
	} icmp_flood;
	struct {
		int	 enabled;
		int	 packets;		/* 1000 per window */
		int64_t	 bytes;			/* 5 MB per window */
		int	 sources;		/* 20 */
		uint8_t	 ports[8192];		/* bitmap of reflector ports */
	} amp;
	struct {
		int	 enabled;
		int	 packets;		/* 500 per window */
		int	 sources;		/* 20 */
	} backscatter;
	struct {
		int	 enabled;
		int64_t	 window_ns;		/* 60 s */
		int	 hosts;			/* 20 */
		int	 payload_hosts;		/* 1 */
	} worm;
	struct {
		int	 enabled;
		int64_t	 window_ns;		/* 10 min */
		int	 sessions;		/* 10 */
		int64_t	 max_duration_ns;	/* 30 s */
		int64_t	 max_bytes;		/* 20000 */
		uint8_t	 ports[8192];		/* bitmap */
	} brute;
	struct {
		int	 enabled;
		int64_t	 grace_ns;		/* 5 min */
		int	 storm;			/* 20 gratuitous per window */
		int64_t	 storm_window_ns;	/* 10 s */
	} arp;
	struct {
		int	 enabled;
		int	 count;			/* 1 per window */
		int64_t	 window_ns;		/* 60 s */
	} redirect;
	struct nd_plist	 blocklist;		/* empty: off */
	struct {
		struct nd_service *v;		/* NULL/0: off */
		size_t	 n;
		struct nd_plist networks;	/* default: internal */
		int	 networks_set;
	} inventory;
	struct {
		int	 enabled;
		int	 count;			/* 1 per window */
		int64_t	 window_ns;		/* 60 s */
		uint32_t ignore;		/* NET_ANOM_* bits */
	} anomaly;
};

#define ND_BIT(map, i)	(((map)[(i) >> 3] >> ((i) & 7)) & 1)
#define ND_SETBIT(map, i)	((map)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))

/* ---- a bounded table with LRU eviction (net-detect.c) ---- */

struct nd_key {
	struct net_addr	 a, b;
	uint32_t	 port;		/* a port, proto<<16|port, a bit... */
	uint16_t	 x;		/* detector's own */
};

/*
 * An entry lives in one of its table's slabs (never moved, so a pointer
 * stays valid until the entry is deleted); the table's index and LRU
 * order are kept apart from it (net-detect.c), so a lookup touches the
 * entry only to confirm its key.
 */
struct nd_entry {
	struct nd_entry	*aprev, *anext;	/* active list */
	int64_t		 touch_ns;
	uint32_t	 slot;		/* its number in the table */
	uint32_t	 hash;
	int		 active;
	struct nd_key	 key;
	_Alignas(max_align_t) unsigned char data[];	/* the detector's
							   payload, zeroed */
};

#define ND_DATA(e, type)	((type *)(void *)(e)->data)

struct net_detect;
struct nd_table;

/* Called before an active entry (net_nd_table_activate()) leaves by
 * eviction, to report what is pending: a detector activates every
 * entry with an open episode, and only those have anything to report,
 * so the entries of a flood's one-packet sources leave without a call.
 * Then release frees what the payload owns (every entry). */
typedef void nd_evict_fn(struct net_detect *d, struct nd_entry *e,
    int64_t now);
typedef void nd_release_fn(struct net_detect *d, struct nd_entry *e);

struct nd_table *net_nd_table_new(struct net_detect *d, const char *name,
    size_t cap, size_t payload, nd_evict_fn *evict, nd_release_fn *release);
void net_nd_table_free(struct nd_table *t);

/* Whether two keys are equal: six word compares (memcmp() of 44 bytes
 * is a call). */
static inline int
net_nd_key_eq(const struct nd_key *x, const struct nd_key *y)
{
	const unsigned char *p = (const unsigned char *)x;
	const unsigned char *q = (const unsigned char *)y;
	uint64_t a0, a1, a2, a3, a4, b0, b1, b2, b3, b4;
	uint32_t ta, tb;

	/* Different keys nearly always differ in the first word (the
	 * family and the first address's first bytes): one compare.
	 * Word by word: arrays go through the stack. */
	memcpy(&a0, p, 8);
	memcpy(&b0, q, 8);
	if (a0 != b0)
		return 0;
	memcpy(&a1, p + 8, 8);
	memcpy(&b1, q + 8, 8);
	memcpy(&a2, p + 16, 8);
	memcpy(&b2, q + 16, 8);
	memcpy(&a3, p + 24, 8);
	memcpy(&b3, q + 24, 8);
	memcpy(&a4, p + 32, 8);
	memcpy(&b4, q + 32, 8);
	memcpy(&ta, p + 40, 4);
	memcpy(&tb, q + 40, 4);
	return ((a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3) | (a4 ^ b4) |
	    (ta ^ tb)) == 0;
}

/* The first member of every struct nd_table: its most recent entry
 * (the one the last lookup found or made, so always the head of its
 * LRU order; NULL once deleted).  Consecutive packets mostly concern
 * the same key (a flood's victim, a scanner's source), so
 * net_nd_table_get() looks there first, inline, and finds it with
 * nothing to move. */
struct nd_table_mru {
	struct nd_entry	*last;
};

struct nd_entry *net_nd_table_get_slow(struct nd_table *t,
    const struct nd_key *k, int64_t now, int create, int *created);

/* The entry of k, made most recent; created (zeroed payload) when
 * create is set and it is missing (evicting the least recent entry at
 * the cap; NULL when out of memory).  *created (may be NULL) says
 * whether it is new. */
static inline struct nd_entry *
net_nd_table_get(struct nd_table *t, const struct nd_key *k, int64_t now,
    int create, int *created)
{
	struct nd_entry *e = ((struct nd_table_mru *)(void *)t)->last;

	if (e != NULL && net_nd_key_eq(&e->key, k)) {
		/* Already the most recent. */
		if (created != NULL)
			*created = 0;
		if (now > e->touch_ns)
			e->touch_ns = now;
		return e;
	}
	return net_nd_table_get_slow(t, k, now, create, created);
}

/* t's most recent entry (NULL: none, or it was deleted). */
static inline struct nd_entry *
net_nd_table_mru(struct nd_table *t)
{
	return ((struct nd_table_mru *)(void *)t)->last;
}

/* Whether x and y are the same 17 bytes (as keys hold them). */
static inline int
net_nd_addr_same(const struct net_addr *x, const struct net_addr *y)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, x->a, 8);
	memcpy(&a1, x->a + 8, 8);
	memcpy(&b0, y->a, 8);
	memcpy(&b1, y->a + 8, 8);
	return x->family == y->family && ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

struct nd_entry *net_nd_table_get_addr_slow(struct nd_table *t,
    const struct net_addr *a, int64_t now, int create, int *created);

/* net_nd_table_get() of the key made of a alone, for a table whose keys
 * all are one address (the sources, the flood's destinations; no other
 * lookup may be used on it): the address is compared and hashed without
 * building a key, which only a new entry needs. */
static inline struct nd_entry *
net_nd_table_get_addr(struct nd_table *t, const struct net_addr *a,
    int64_t now, int create, int *created)
{
	struct nd_entry *e = ((struct nd_table_mru *)(void *)t)->last;

	if (e != NULL && net_nd_addr_same(&e->key.a, a)) {
		if (created != NULL)
			*created = 0;
		if (now > e->touch_ns)
			e->touch_ns = now;
		return e;
	}
	return net_nd_table_get_addr_slow(t, a, now, create, created);
}

/* Looks up without touching. */
struct nd_entry *net_nd_table_peek(struct nd_table *t, const struct nd_key *k);
void net_nd_table_del(struct nd_table *t, struct nd_entry *e);
void net_nd_table_activate(struct nd_table *t, struct nd_entry *e, int on);
/* The first entry with an open episode; the least recent entry. */
struct nd_entry *net_nd_table_active(struct nd_table *t);
struct nd_entry *net_nd_table_oldest(struct nd_table *t);
/* Deletes entries not touched since before cutoff that are not
 * active. */
void net_nd_table_expire(struct nd_table *t, int64_t cutoff);
size_t net_nd_table_count(const struct nd_table *t);
uint64_t net_nd_table_evictions(const struct nd_table *t);

static inline void
net_nd_key_init(struct nd_key *k)
{
	memset(k, 0, sizeof(*k));
}

/* ---- compact sets and sketches (net-detect.c) ---- */

/* An exact set of non-zero 32-bit values, growing up to max values;
 * beyond that, values are not added and full is set.  The first
 * ND_SET_INLINE values are kept in the struct (most sets stay that
 * small: one host, one port), then an open-addressing table. */
#define ND_SET_INLINE	4
struct nd_set {
	uint32_t	*v;		/* the table when nslots > 0 */
	uint32_t	 n, nslots;
	int		 full;
	uint32_t	 in[ND_SET_INLINE];	/* while nslots == 0 */
};

/* net_nd_set_add() past the inline values (v non-zero). */
int net_nd_set_add_slow(struct nd_set *s, uint32_t v, uint32_t max);

/* 1 when v was new, 0 when present or the set is full.  The inline
 * part is the common case (a source's one host, a pair's few ports):
 * no call. */
static inline int
net_nd_set_add(struct nd_set *s, uint32_t v, uint32_t max)
{
	uint32_t i;

	if (v == 0)
		v = 0x80000000u;
	if (s->nslots == 0) {
		for (i = 0; i < s->n; i++)
			if (s->in[i] == v)
				return 0;
		if (s->n < ND_SET_INLINE && s->n < max) {
			s->in[s->n++] = v;
			return 1;
		}
	}
	return net_nd_set_add_slow(s, v, max);
}

/* Empties s (freeing its table).  Inline: most sets never had one. */
static inline void
net_nd_set_release(struct nd_set *s)
{
	if (s->v != NULL)
		free(s->v);
	memset(s, 0, sizeof(*s));
}

/* HyperLogLog with 128 one-byte registers (~9% error; exact-ish small
 * counts by linear counting): 128 bytes per distinct count. */
#define ND_HLL_M	128
struct nd_hll {
	uint8_t		 r[ND_HLL_M];
};

/* The register and rank a hash goes to: one mix, shared by the
 * sketches that take the same hash (a flood's window and episode). */
struct nd_hll_pos {
	unsigned	 idx;
	uint8_t		 rank;
};

static inline struct nd_hll_pos
net_nd_hll_pos(uint64_t x)
{
	struct nd_hll_pos p;
	uint64_t w;

	x = net_mix64(x ^ 0x2545f4914f6cdd1dULL);
	p.idx = (unsigned)(x & (ND_HLL_M - 1));
	w = x >> 7;		/* 57 bits left */
	/* The position of the lowest set bit, 58 when none. */
	p.rank = (uint8_t)(w != 0 ? (unsigned)__builtin_ctzll(w) + 1 : 58);
	return p;
}

static inline void
net_nd_hll_put(struct nd_hll *h, struct nd_hll_pos p)
{
	if (p.rank > h->r[p.idx])
		h->r[p.idx] = p.rank;
}

/* Counts hash in h (inline: several per packet in a flood). */
static inline void
net_nd_hll_add(struct nd_hll *h, uint64_t hash)
{
	net_nd_hll_put(h, net_nd_hll_pos(hash));
}

double net_nd_hll_count(const struct nd_hll *h);

/* A hash of len bytes (inline: with a constant len, as every caller
 * has, the loop and the tail's copy unroll). */
static inline uint64_t
net_nd_hash64(const void *p, size_t len, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL), w;

	while (len >= 8) {
		memcpy(&w, b, 8);
		h = net_mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		b += 8;
		len -= 8;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, b, len);
		h = net_mix64(h ^ w ^ 0xa5a5a5a5a5a5a5a5ULL);
	}
	return net_mix64(h);
}
/* net_nd_hash64() of an address's 4 or 16 bytes, unrolled (the generic
 * loop copies its tail with a memcpy() of variable length), inline: a
 * flood's every packet hashes its source. */
static inline uint64_t
net_nd_addr_hash64(const struct net_addr *a)
{
	uint64_t h = 0x5bd1e995ULL + a->family, w0, w1;
	uint32_t v;

	if (a->family == 6) {
		memcpy(&w0, a->a, 8);
		memcpy(&w1, a->a + 8, 8);
		h ^= 16 * 0x9e3779b97f4a7c15ULL;
		h = net_mix64(h ^ w0) + 0x9e3779b97f4a7c15ULL;
		h = net_mix64(h ^ w1) + 0x9e3779b97f4a7c15ULL;
		return net_mix64(h);
	}
	memcpy(&v, a->a, 4);
	h ^= 4 * 0x9e3779b97f4a7c15ULL;
	h = net_mix64(h ^ v ^ 0xa5a5a5a5a5a5a5a5ULL);
	return net_mix64(h);
}

/* A non-zero 32-bit hash of an address (set values). */
static inline uint32_t
net_nd_addr_h32(const struct net_addr *a)
{
	uint64_t h = net_nd_addr_hash64(a);
	uint32_t v = (uint32_t)(h ^ (h >> 32));

	return v != 0 ? v : 1;
}

/* ---- episodes and reports (net-detect.c) ---- */

struct nd_ep {
	int64_t		 first_ns;	/* first event of the episode */
	int64_t		 last_ns;	/* last event */
	int64_t		 cross_ns;	/* threshold crossed; 0: not yet */
	int64_t		 report_ns;	/* last report; 0: none */
	uint64_t	 reported;	/* count at the last report */
	uint32_t	 reports;
};

/* 1 when the end of a crossed episode should be reported: never
 * reported, or grown and report_interval passed since the last. */
int net_nd_ep_final(const struct net_detect *d, const struct nd_ep *e,
    uint64_t count, int64_t now);
void net_nd_ep_mark(struct nd_ep *e, uint64_t count, int64_t now);

/* Fills the common fields; the caller sets the rest. */
void net_nd_det_init(struct net_detection *det, const char *kind,
    const char *type, int64_t now, const struct nd_ep *e, uint64_t count);
/* Reports det (unless its source is allowlisted). */
void net_nd_emit(struct net_detect *d, struct net_detection *det);

/* Appends printf text to det->text. */
void net_nd_text(struct net_detection *det, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "1.2 MB", "340 B" */
char *net_nd_bytes_str(uint64_t b, char *buf, size_t len);

/* 1 when a is a unicast address (not multicast, broadcast, zero). */
static inline int
net_nd_addr_unicast(const struct net_addr *a)
{
	if (a->family == 4)
		/* multicast, reserved, broadcast; 0/8; and a directed
		 * broadcast, most likely (the mask is not known here) */
		return a->a[0] < 224 && a->a[0] != 0 && a->a[3] != 255;
	if (a->family == 6) {
		uint64_t w0, w1;

		if (a->a[0] == 0xff)
			return 0;
		memcpy(&w0, a->a, 8);
		memcpy(&w1, a->a + 8, 8);
		return (w0 | w1) != 0;
	}
	return 0;
}
/* net_addr_eq(), inline (the detectors compare a source with the one
 * they remember on every packet). */
static inline int
net_nd_addr_eq(const struct net_addr *x, const struct net_addr *y)
{
	uint64_t a0, a1, b0, b1;
	uint32_t u, v;

	if (x->family != y->family)
		return 0;
	if (x->family == 4) {
		memcpy(&u, x->a, 4);
		memcpy(&v, y->a, 4);
		return u == v;
	}
	if (x->family == 6) {
		memcpy(&a0, x->a, 8);
		memcpy(&a1, x->a + 8, 8);
		memcpy(&b0, y->a, 8);
		memcpy(&b1, y->a + 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return 1;	/* both "none" */
}

/* Compares two addresses of one family (for ranges). */
int net_nd_addr_cmp(const struct net_addr *x, const struct net_addr *y);
const char *net_nd_service_name(uint8_t proto, uint16_t port);

/* ---- the set of detectors ---- */

struct nd_scan;
struct nd_flood;
struct nd_worm;
struct nd_brute;
struct nd_misc;

struct net_detect {
	const struct net_detect_conf *c;
	net_detect_cb	*cb;
	void		*arg;
	uint64_t	 seed;
	int64_t		 now;		/* latest time seen */
	uint64_t	 detections;
	uint64_t	 suppressed;	/* allowlisted sources */
	struct nd_table	*tables[16];
	size_t		 ntables;
	struct nd_scan	*scan;
	struct nd_flood	*flood;
	struct nd_worm	*worm;
	struct nd_brute	*brute;
	struct nd_misc	*misc;
};

/* 1 when a crossed episode should be reported now while ongoing: first
 * report report_delay after the crossing, then at most every
 * report_interval when its count grew. */
static inline int
net_nd_ep_due(const struct net_detect *d, const struct nd_ep *e,
    uint64_t count, int64_t now)
{
	/* Inline: every packet of an episode asks. */
	if (e->cross_ns == 0)
		return 0;
	if (e->report_ns == 0)
		return now - e->cross_ns >= d->c->report_delay_ns;
	return count > e->reported &&
	    now - e->report_ns >= d->c->report_interval_ns;
}
static inline int
net_nd_internal(const struct net_detect *d, const struct net_addr *a)
{
	return net_nd_plist_match(&d->c->internal, a);
}

static inline int
net_nd_allowed(const struct net_detect *d, const struct net_addr *a)
{
	return net_nd_plist_match(&d->c->allowlist, a);
}

/* Each detector file: new (0 or MAMORI_ENOMEM), free, and the hooks
 * net-detect.c dispatches to. */
int net_nd_scan_new(struct net_detect *d);
void net_nd_scan_free(struct net_detect *d);
void net_nd_scan_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new);
void net_nd_scan_flow_end(struct net_detect *d, const struct net_flow *f);
void net_nd_scan_tick(struct net_detect *d, int64_t now, int flush);

int net_nd_flood_new(struct net_detect *d);
void net_nd_flood_free(struct net_detect *d);
void net_nd_flood_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new);
void net_nd_flood_tick(struct net_detect *d, int64_t now, int flush);

int net_nd_worm_new(struct net_detect *d);
void net_nd_worm_free(struct net_detect *d);
void net_nd_worm_contact(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, uint8_t proto, uint16_t port, int64_t ts,
    int delivered);

/* Only inside hosts spread a worm (net-detect-worm.c): the rest of the
 * contacts (every spoofed source of a flood) are turned away inline. */
static inline int
net_nd_worm_wants(const struct net_detect *d, const struct net_addr *src)
{
	return d->c->worm.enabled && net_nd_internal(d, src);
}

/* A failed probe (no answer, rejected, port unreachable) from src. */
static inline void
net_nd_worm_failed(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, uint8_t proto, uint16_t port, int64_t ts)
{
	if (net_nd_worm_wants(d, src))
		net_nd_worm_contact(d, src, dst, proto, port, ts, 0);
}

/* src delivered a payload to dst:port (a UDP datagram with data, a TCP
 * connection that carried data). */
static inline void
net_nd_worm_delivered(struct net_detect *d, const struct net_addr *src,
    const struct net_addr *dst, uint8_t proto, uint16_t port, int64_t ts)
{
	if (net_nd_worm_wants(d, src))
		net_nd_worm_contact(d, src, dst, proto, port, ts, 1);
}
/* 1 when src has a worm episode on proto/port. */
int net_nd_worm_active(struct net_detect *d, const struct net_addr *src,
    uint8_t proto, uint16_t port);
void net_nd_worm_tick(struct net_detect *d, int64_t now, int flush);

int net_nd_brute_new(struct net_detect *d);
void net_nd_brute_free(struct net_detect *d);
void net_nd_brute_flow_end(struct net_detect *d, const struct net_flow *f);
void net_nd_brute_tick(struct net_detect *d, int64_t now, int flush);

/* Whether net_nd_misc_packet() has anything to look at in p: most
 * packets are not ARP, carry no anomaly and are not ICMP, and the
 * lists are mostly empty; asked inline, so such packets cost no
 * call. */
static inline int
net_nd_misc_wants(const struct net_detect *d, const struct net_pkt *p)
{
	const struct net_detect_conf *c = d->c;

	if (p->is_arp || (p->anomalies & ~c->anomaly.ignore) != 0)
		return 1;
	return p->ipver != 0 && (c->blocklist.n > 0 || c->inventory.n > 0 ||
	    p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6);
}

int net_nd_misc_new(struct net_detect *d);
void net_nd_misc_free(struct net_detect *d);
void net_nd_misc_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new);
void net_nd_misc_tick(struct net_detect *d, int64_t now, int flush);

#endif
