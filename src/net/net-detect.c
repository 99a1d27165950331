/*
 * net-detect.c - the set of detectors: configuration (the sensor.detect:
 * section, docs/sensor-detectors.md lists every setting), dispatch of
 * packets, ended flows and time to each detector, and what they share:
 * a bounded hash table with LRU eviction, exact small sets, a
 * HyperLogLog sketch, prefix lists and the report policy of episodes.
 *
 * Workload: every packet of a busy link.  Most packets touch one or two
 * table entries (a hash and a compare); per-packet work never walks a
 * table, and time-driven work (net_detect_tick) visits only entries
 * with an open episode plus those that aged out.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "core/yamldoc.h"
#include "net/net-detect-impl.h"

/* ---- hashing ---- */

__extension__ typedef unsigned __int128 nd_u128;

/* The folded 128-bit product (wyhash's mum): cheap and well mixed. */
static inline uint64_t
nd_mum(uint64_t a, uint64_t b)
{
	nd_u128 r = (nd_u128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* ---- prefix lists ---- */

static void
mask_addr(uint8_t *out, const uint8_t *in, int bytes, int len)
{
	int i, bits;

	for (i = 0; i < bytes; i++) {
		bits = len - i * 8;
		if (bits >= 8)
			out[i] = in[i];
		else if (bits <= 0)
			out[i] = 0;
		else
			out[i] = in[i] & (uint8_t)(0xff << (8 - bits));
	}
}

/* The hash of a masked network in its length's table (the lists come
 * from the configuration, so no secret is needed): one multiplication. */
static inline uint64_t
net_hash(const uint8_t *a, int bytes, int len)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(len + 1), y = 0;
	uint32_t v;

	if (bytes == 4) {
		memcpy(&v, a, 4);
		x ^= v;
	} else {
		memcpy(&y, a + 8, 8);
		memcpy(&v, a, 4);
		x ^= v;
		memcpy(&v, a + 4, 4);
		x ^= (uint64_t)v << 32;
	}
	return nd_mum(x, y ^ 0xa0761d6478bd642fULL);
}

void
net_nd_plist_release(struct nd_plist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nlens; i++)
		free(l->lens[i].slots);
	free(l->lens);
	free(l->v);
	free(l->v4);
	memset(l, 0, sizeof(*l));
}

int
net_nd_plist_set(struct nd_plist *l, struct respond_addr *v, size_t n)
{
	struct nd_plen *lens = NULL, *pl;
	size_t nlens = 0, i, k, j, cnt;
	uint64_t h;
	int fam, bytes;

	memset(l, 0, sizeof(*l));
	if (n > 0 && (lens = calloc(n, sizeof(*lens))) == NULL) {
		free(v);
		return MAMORI_ENOMEM;
	}
	/* The distinct (family, length) pairs. */
	for (i = 0; i < n; i++) {
		fam = v[i].family == AF_INET6 ? 6 : 4;
		for (k = 0; k < nlens; k++)
			if (lens[k].family == fam && lens[k].len ==
			    v[i].prefix)
				break;
		if (k == nlens) {
			lens[nlens].family = fam;
			lens[nlens].len = v[i].prefix;
			nlens++;
		}
	}
	/* Longest first (so the most specific prefix is found first). */
	for (i = 1; i < nlens; i++)
		for (k = i; k > 0 && lens[k].len > lens[k - 1].len; k--) {
			struct nd_plen t = lens[k];

			lens[k] = lens[k - 1];
			lens[k - 1] = t;
		}
	for (k = 0; k < nlens; k++) {
		pl = &lens[k];
		for (cnt = 0, i = 0; i < n; i++)
			if ((v[i].family == AF_INET6 ? 6 : 4) == pl->family &&
			    v[i].prefix == pl->len)
				cnt++;
		pl->nslots = 8;
		while (pl->nslots < cnt * 2)
			pl->nslots *= 2;
		if ((pl->slots = calloc(pl->nslots, sizeof(*pl->slots))) ==
		    NULL) {
			for (j = 0; j < k; j++)
				free(lens[j].slots);
			free(lens);
			free(v);
			return MAMORI_ENOMEM;
		}
		bytes = pl->family == 6 ? 16 : 4;
		/* The mask of mask_addr(), on the IPv4 word at once. */
		pl->mask4 = pl->len <= 0 ? 0 : pl->len >= 32 ? 0xffffffffu :
		    htonl(~(0xffffffffu >> pl->len));
		for (i = 0; i < n; i++) {
			if ((v[i].family == AF_INET6 ? 6 : 4) != pl->family ||
			    v[i].prefix != pl->len)
				continue;
			h = net_hash(v[i].a, bytes, pl->len);
			for (j = h & (pl->nslots - 1); pl->slots[j] != NULL;
			    j = (j + 1) & (pl->nslots - 1))
				;
			pl->slots[j] = &v[i];
		}
	}
	for (i = 0; i < n; i++) {
		unsigned b, m = v[i].prefix >= 8 ? 0xff :
		    (0xff00u >> v[i].prefix) & 0xff;

		for (b = 0; b < 256; b++)
			if ((b & m) == (v[i].a[0] & m))
				ND_SETBIT(l->first[v[i].family == AF_INET6],
				    b);
	}
	/* The /16 map: a prefix of 16 bits or fewer covers 2^(16-len)
	 * whole /16s; a longer one lies in one, which then needs the
	 * hashes unless a shorter prefix covers it all. */
	for (i = 0; i < n; i++) {
		uint32_t lo, span, q;

		if (v[i].family == AF_INET6)
			continue;
		if (l->v4 == NULL && (l->v4 = calloc(65536 / 4, 1)) == NULL) {
			for (j = 0; j < nlens; j++)
				free(lens[j].slots);
			free(lens);
			free(v);
			memset(l, 0, sizeof(*l));
			return MAMORI_ENOMEM;
		}
		lo = (uint32_t)v[i].a[0] << 8 | v[i].a[1];
		if (v[i].prefix <= 16) {
			span = 1u << (16 - v[i].prefix);
			lo &= ~(span - 1);
			for (q = lo; q < lo + span; q++) {
				unsigned sh = (q & 3) * 2;

				l->v4[q >> 2] &= (uint8_t)~(3u << sh);
				l->v4[q >> 2] |= (uint8_t)(ND_V4_ALL << sh);
			}
		} else if (((l->v4[lo >> 2] >> ((lo & 3) * 2)) & 3) ==
		    ND_V4_NONE)
			l->v4[lo >> 2] |= (uint8_t)(ND_V4_SOME <<
			    ((lo & 3) * 2));
	}
	l->v = v;
	l->n = n;
	l->lens = lens;
	l->nlens = nlens;
	return 0;
}

/*
 * A hash slot holds a network as parsed (its host bits zero), so a slot
 * equal to the address masked to its length is a prefix containing the
 * address: respond_addr_contains() would say the same, at the cost of a
 * call and a conversion per candidate.
 */
int
net_nd_plist_lookup(const struct nd_plist *l, const struct net_addr *a)
{
	const struct nd_plen *pl;
	const struct respond_addr *r;
	uint8_t m[16];
	uint64_t h;
	uint32_t v4, mv, rv;
	size_t k, j;

	if (a->family == 4) {
		memcpy(&v4, a->a, 4);
		for (k = 0; k < l->nlens; k++) {
			pl = &l->lens[k];
			if (pl->family != 4)
				continue;
			mv = v4 & pl->mask4;
			h = net_hash((const uint8_t *)&mv, 4, pl->len);
			for (j = h & (pl->nslots - 1); (r = pl->slots[j]) !=
			    NULL; j = (j + 1) & (pl->nslots - 1)) {
				memcpy(&rv, r->a, 4);
				if (rv == mv)
					return 1;
			}
		}
		return 0;
	}
	for (k = 0; k < l->nlens; k++) {
		pl = &l->lens[k];
		if (pl->family != 6)
			continue;
		mask_addr(m, a->a, 16, pl->len);
		h = net_hash(m, 16, pl->len);
		for (j = h & (pl->nslots - 1); (r = pl->slots[j]) != NULL;
		    j = (j + 1) & (pl->nslots - 1))
			if (memcmp(r->a, m, 16) == 0)
				return 1;
	}
	return 0;
}

int
net_nd_plist_parse_strv(struct nd_plist *l, const char *const *s, size_t n)
{
	struct respond_addr *v;
	size_t i;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++)
		if (respond_addr_parse(s[i], strlen(s[i]), &v[i], NULL, 0) !=
		    0) {
			free(v);
			return MAMORI_EINVAL;
		}
	return net_nd_plist_set(l, v, n);
}

/* ---- the bounded LRU table ---- */

/*
 * Entries are cut from slabs of ND_CHUNK (allocated as the table first
 * grows, kept until it is freed: at most cap entries' worth), and a
 * deleted entry's place goes on a free list, so the steady state of a
 * full table (one eviction per new key) allocates nothing.  Lookups go
 * through an open-addressing index of (hash, slot) pairs, linear probing
 * with backward-shift deletion, at most a quarter full; the LRU order is
 * a ring of slot numbers (doubly linked) in its own dense array.  So a
 * hit reads the index, the entry's key and two small links, and moving
 * to the front never touches the neighbouring entries.
 *
 * The workload is a spoofed flood's: every packet a new key in a full
 * table.  So the most recent entry is tried first, inline, before any
 * hashing (struct nd_table_mru); a full table's new key takes the least
 * recent entry's slot in place (in the ring, by moving the head back
 * one), calling the detector only for what it must report (active
 * entries) and free; and tables whose keys are one address hash and
 * compare that address alone (net_nd_table_get_addr()).
 */
#define ND_CHUNK_SHIFT	8
#define ND_CHUNK	(1u << ND_CHUNK_SHIFT)
#define ND_NIL		UINT32_MAX

struct nd_islot {
	uint32_t	 hash;
	uint32_t	 ref;		/* slot + 1; 0: empty */
};

struct nd_link {
	uint32_t	 prev, next;	/* LRU neighbours; next: free list */
};

struct nd_table {
	struct nd_table_mru mru;	/* first: see net-detect-impl.h */
	struct net_detect *d;
	const char	*name;
	size_t		 cap, n, payload, esize;
	uint64_t	 sk[6];		/* key hash secrets */
	uint64_t	 sk_tail;	/* the hash's last term for a key of
					   one address (zero past it) */
	struct nd_islot	*idx;
	uint32_t	 idx_mask;	/* index size - 1 (power of two) */
	unsigned char	**chunks;	/* ceil(cap / ND_CHUNK) pointers */
	uint32_t	 made;		/* slots ever handed out */
	struct nd_link	*lru;		/* per slot */
	uint32_t	 lru_cap;
	uint32_t	 head;		/* LRU, a ring: head most recent,
					   lru[head].prev least */
	uint32_t	 free;		/* free slots, through lru[].next */
	struct nd_entry	*act_head;
	uint64_t	 evictions;
	nd_evict_fn	*evict;
	nd_release_fn	*release;
};

_Static_assert(sizeof(struct nd_key) == 44, "nd_key is hashed as 44 bytes");

/* A keyed hash of the 44 key bytes: three multiplications.  The keys
 * come from the wire, so the secrets come from the set's random seed. */
static inline uint32_t
key_hash(const struct nd_table *t, const struct nd_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	uint64_t w0, w1, w2, w3, w4, h;
	uint32_t tail;

	/* Word by word (an array of five goes through the stack). */
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	memcpy(&w2, b + 16, 8);
	memcpy(&w3, b + 24, 8);
	memcpy(&w4, b + 32, 8);
	memcpy(&tail, b + 40, 4);
	h = nd_mum(w0 ^ t->sk[0], w1 ^ t->sk[1]) ^
	    nd_mum(w2 ^ t->sk[2], w3 ^ t->sk[3]) ^
	    nd_mum(w4 ^ t->sk[4], tail ^ t->sk[5]);
	return (uint32_t)(h ^ (h >> 32));
}

/* key_hash() of the key made of a alone: its words past the address's
 * first byte of the third are zero, so the last product is the table's
 * constant and the address is not copied into a key to be hashed. */
static inline uint32_t
addr_hash(const struct nd_table *t, const struct net_addr *a)
{
	const unsigned char *b = (const unsigned char *)a;
	uint64_t w0, w1, w2 = b[16], h;

	_Static_assert(sizeof(struct net_addr) == 17 &&
	    offsetof(struct nd_key, a) == 0, "a key's address is 17 bytes "
	    "at its start");
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	h = nd_mum(w0 ^ t->sk[0], w1 ^ t->sk[1]) ^
	    nd_mum(w2 ^ t->sk[2], t->sk[3]) ^ t->sk_tail;
	return (uint32_t)(h ^ (h >> 32));
}

static inline struct nd_entry *
slot_entry(const struct nd_table *t, uint32_t i)
{
	return (struct nd_entry *)(void *)(t->chunks[i >> ND_CHUNK_SHIFT] +
	    (size_t)(i & (ND_CHUNK - 1)) * t->esize);
}

struct nd_table *
net_nd_table_new(struct net_detect *d, const char *name, size_t cap,
    size_t payload, nd_evict_fn *evict, nd_release_fn *release)
{
	struct nd_table *t;
	size_t i, al = _Alignof(max_align_t);

	if (d->ntables >= ND_NELEM(d->tables) ||
	    (t = mem_calloc_lines(sizeof(*t))) == NULL)
		return NULL;
	t->d = d;
	t->name = name;
	t->cap = cap > 0 ? cap : 1;
	if (t->cap > UINT32_MAX / 4)
		t->cap = UINT32_MAX / 4;
	t->payload = payload;
	t->esize = (sizeof(struct nd_entry) + payload + al - 1) / al * al;
	t->evict = evict;
	t->release = release;
	t->head = t->free = ND_NIL;
	for (i = 0; i < ND_NELEM(t->sk); i++)
		t->sk[i] = net_mix64(d->seed + (i + 1) *
		    0x9e3779b97f4a7c15ULL);
	t->sk_tail = nd_mum(t->sk[4], t->sk[5]);
	t->idx_mask = 63;
	if ((t->idx = calloc(t->idx_mask + 1, sizeof(*t->idx))) == NULL ||
	    (t->chunks = calloc((t->cap + ND_CHUNK - 1) / ND_CHUNK,
	    sizeof(*t->chunks))) == NULL) {
		free(t->idx);
		free(t);
		return NULL;
	}
	d->tables[d->ntables++] = t;
	return t;
}

/* The least recent slot (ND_NIL: none). */
static inline uint32_t
lru_tail(const struct nd_table *t)
{
	return t->head != ND_NIL ? t->lru[t->head].prev : ND_NIL;
}

static inline void
lru_unlink(struct nd_table *t, uint32_t i)
{
	struct nd_link *l = &t->lru[i];

	if (l->next == i) {		/* the only one */
		t->head = ND_NIL;
		return;
	}
	t->lru[l->prev].next = l->next;
	t->lru[l->next].prev = l->prev;
	if (t->head == i)
		t->head = l->next;
}

/* Puts slot i (in no list) first. */
static inline void
lru_push(struct nd_table *t, uint32_t i)
{
	uint32_t h = t->head, last;

	if (h == ND_NIL) {
		t->lru[i].prev = t->lru[i].next = i;
		t->head = i;
		return;
	}
	last = t->lru[h].prev;
	t->lru[i].next = h;
	t->lru[i].prev = last;
	t->lru[last].next = i;
	t->lru[h].prev = i;
	t->head = i;
}

/* Makes slot i (in the list) the most recent.  In a ring, the least
 * recent becomes the most recent by moving the head back one: what a
 * full table does to the slot it takes for each new key. */
static inline void
lru_front(struct nd_table *t, uint32_t i)
{
	if (i == t->head)
		return;
	if (i == t->lru[t->head].prev) {
		t->head = i;
		return;
	}
	lru_unlink(t, i);
	lru_push(t, i);
}

void
net_nd_table_activate(struct nd_table *t, struct nd_entry *e, int on)
{
	if (on && !e->active) {
		e->aprev = NULL;
		e->anext = t->act_head;
		if (t->act_head != NULL)
			t->act_head->aprev = e;
		t->act_head = e;
		e->active = 1;
	} else if (!on && e->active) {
		if (e->aprev != NULL)
			e->aprev->anext = e->anext;
		else
			t->act_head = e->anext;
		if (e->anext != NULL)
			e->anext->aprev = e->aprev;
		e->aprev = e->anext = NULL;
		e->active = 0;
	}
}

/* Takes the index entry at pos out, shifting back the entries of its
 * probe run that would no longer be found. */
static inline void
idx_remove(struct nd_table *t, uint32_t pos)
{
	uint32_t mask = t->idx_mask, i = pos, j = pos, k;

	for (;;) {
		j = (j + 1) & mask;
		if (t->idx[j].ref == 0)
			break;
		k = t->idx[j].hash & mask;
		/* It stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->idx[i] = t->idx[j];
		i = j;
	}
	t->idx[i].ref = 0;
}

static void
idx_put(struct nd_table *t, uint32_t hash, uint32_t slot)
{
	uint32_t i;

	for (i = hash & t->idx_mask; t->idx[i].ref != 0;
	    i = (i + 1) & t->idx_mask)
		;
	t->idx[i].hash = hash;
	t->idx[i].ref = slot + 1;
}

/* Doubles the index when it would be more than a quarter full (at a
 * quarter, a miss probes 1.4 slots on average, and a deletion moves
 * few: a full table deletes and inserts once per new key).  Returns 0,
 * or -1 when out of memory (the index as it was). */
static int
idx_grow(struct nd_table *t)
{
	struct nd_islot *old = t->idx;
	uint32_t osize = t->idx_mask + 1, i;

	if ((t->n + 1) * 4 <= osize)
		return 0;
	if ((t->idx = calloc((size_t)osize * 2, sizeof(*t->idx))) == NULL) {
		t->idx = old;
		return -1;
	}
	t->idx_mask = osize * 2 - 1;
	for (i = 0; i < osize; i++)
		if (old[i].ref != 0)
			idx_put(t, old[i].hash, old[i].ref - 1);
	free(old);
	return 0;
}

/* An entry in a free or new slot, its slot number set, the rest the
 * caller's (not yet in the index or the LRU list); NULL when out of
 * memory. */
static struct nd_entry *
slot_new(struct nd_table *t)
{
	struct nd_entry *e;
	uint32_t i, c;

	if (t->free != ND_NIL) {
		i = t->free;
		t->free = t->lru[i].next;
	} else {
		i = t->made;
		c = i >> ND_CHUNK_SHIFT;
		if (t->chunks[c] == NULL) {
			size_t left = t->cap - (size_t)c * ND_CHUNK;

			if ((t->chunks[c] = malloc((left < ND_CHUNK ? left :
			    ND_CHUNK) * t->esize)) == NULL)
				return NULL;
		}
		if (i >= t->lru_cap) {
			uint32_t nc = t->lru_cap == 0 ? 64 : t->lru_cap * 2;
			struct nd_link *nl;

			if (nc > t->cap)
				nc = (uint32_t)t->cap;
			if ((nl = realloc(t->lru, nc * sizeof(*nl))) == NULL)
				return NULL;
			t->lru = nl;
			t->lru_cap = nc;
		}
		t->made++;
	}
	e = slot_entry(t, i);
	e->slot = i;
	return e;
}

/* Takes e out of the index and the open episodes, and releases what
 * its payload owns; its slot (still in the LRU order) is the
 * caller's. */
static inline __attribute__((always_inline)) void
table_unlink(struct nd_table *t, struct nd_entry *e)
{
	uint32_t i;

	for (i = e->hash & t->idx_mask; t->idx[i].ref != e->slot + 1;
	    i = (i + 1) & t->idx_mask)
		;
	idx_remove(t, i);
	if (e->active)
		net_nd_table_activate(t, e, 0);
	if (t->mru.last == e)
		t->mru.last = NULL;
	if (t->release != NULL)
		t->release(t->d, e);
}

void
net_nd_table_del(struct nd_table *t, struct nd_entry *e)
{
	table_unlink(t, e);
	lru_unlink(t, e->slot);
	t->lru[e->slot].next = t->free;
	t->free = e->slot;
	t->n--;
}

void
net_nd_table_free(struct nd_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	while (t->head != ND_NIL)
		net_nd_table_del(t, slot_entry(t, t->head));
	for (i = 0; i < (t->cap + ND_CHUNK - 1) / ND_CHUNK; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->lru);
	free(t->idx);
	free(t);
}

/* The entry of k and its hash, or NULL. */
static inline struct nd_entry *
lookup(const struct nd_table *t, const struct nd_key *k, uint32_t h)
{
	struct nd_entry *e;
	uint32_t i, ref;

	for (i = h & t->idx_mask; (ref = t->idx[i].ref) != 0;
	    i = (i + 1) & t->idx_mask)
		if (t->idx[i].hash == h) {
			e = slot_entry(t, ref - 1);
			if (net_nd_key_eq(&e->key, k))
				return e;
		}
	return NULL;
}

struct nd_entry *
net_nd_table_peek(struct nd_table *t, const struct nd_key *k)
{
	return lookup(t, k, key_hash(t, k));
}

/* The rest of net_nd_table_get(): k (hash h) is not in t.  Inline in
 * each lookup's slow path: a new key's whole cost is one call. */
static inline __attribute__((always_inline)) struct nd_entry *
table_make(struct nd_table *t, const struct nd_key *k, const struct net_addr *a,
    uint32_t h, int64_t now, int *created)
{
	struct nd_entry *e;
	uint32_t tail = lru_tail(t);

	if (t->n >= t->cap && tail != ND_NIL) {
		/* The least recently touched leaves; what it had open is
		 * reported first, so flooding the table cannot hide an
		 * attack.  Its slot takes the new key at once, and becomes
		 * the most recent. */
		e = slot_entry(t, tail);
		if (e->active && t->evict != NULL)
			t->evict(t->d, e, now);
		table_unlink(t, e);
		t->head = tail;
		t->evictions++;
	} else {
		if (((t->n + 1) * 4 > (size_t)t->idx_mask + 1 &&
		    idx_grow(t) != 0) || (e = slot_new(t)) == NULL)
			return NULL;
		lru_push(t, e->slot);
		t->n++;
	}
	/* The header field by field; only the payload is zeroed (the
	 * padding up to esize is never read). */
	e->aprev = e->anext = NULL;
	e->active = 0;
	e->hash = h;
	if (k != NULL)
		memcpy(&e->key, k, sizeof(*k));
	else {
		/* The key of a alone, made in place. */
		memset(&e->key, 0, sizeof(e->key));
		e->key.a = *a;
	}
	e->touch_ns = now;
	memset(e->data, 0, t->payload);
	idx_put(t, h, e->slot);
	t->mru.last = e;
	if (created != NULL)
		*created = 1;
	if (t->n >= t->cap) {
		/* A full table evicts its least recent entry at the next
		 * new key: that entry is cold, so start fetching what the
		 * eviction reads (the header and the payload's first
		 * lines, where the detectors keep their episode and what
		 * they free). */
		const char *v = (const char *)slot_entry(t, lru_tail(t));

		__builtin_prefetch(v);
		__builtin_prefetch(v + 64);
		if (t->esize > 128) {
			__builtin_prefetch(v + 128);
			__builtin_prefetch(v + 192);
		}
	}
	return e;
}

/* The entry of k (hash h), past the most recent one. */
static inline struct nd_entry *
table_get(struct nd_table *t, const struct nd_key *k, uint32_t h,
    int64_t now, int create, int *created)
{
	struct nd_entry *e;

	if (created != NULL)
		*created = 0;
	if ((e = lookup(t, k, h)) == NULL)
		return create ? table_make(t, k, NULL, h, now, created) : NULL;
	t->mru.last = e;
	lru_front(t, e->slot);
	if (now > e->touch_ns)
		e->touch_ns = now;
	return e;
}

struct nd_entry *
net_nd_table_get_addr_slow(struct nd_table *t, const struct net_addr *a,
    int64_t now, int create, int *created)
{
	struct nd_entry *e;
	uint32_t h = addr_hash(t, a), i, ref;

	if (created != NULL)
		*created = 0;
	/* lookup(), comparing the address only: every key of the table
	 * is one address. */
	for (i = h & t->idx_mask; (ref = t->idx[i].ref) != 0;
	    i = (i + 1) & t->idx_mask)
		if (t->idx[i].hash == h) {
			e = slot_entry(t, ref - 1);
			if (net_nd_addr_same(&e->key.a, a)) {
				t->mru.last = e;
				lru_front(t, e->slot);
				if (now > e->touch_ns)
					e->touch_ns = now;
				return e;
			}
		}
	if (!create)
		return NULL;
	return table_make(t, NULL, a, h, now, created);
}

/* net_nd_table_get() past its most recent entry. */
struct nd_entry *
net_nd_table_get_slow(struct nd_table *t, const struct nd_key *k, int64_t now,
    int create, int *created)
{
	return table_get(t, k, key_hash(t, k), now, create, created);
}

struct nd_entry *
net_nd_table_active(struct nd_table *t)
{
	return t->act_head;
}

struct nd_entry *
net_nd_table_oldest(struct nd_table *t)
{
	uint32_t tail = lru_tail(t);

	return tail != ND_NIL ? slot_entry(t, tail) : NULL;
}

void
net_nd_table_expire(struct nd_table *t, int64_t cutoff)
{
	struct nd_entry *e;
	uint32_t i, prev;
	int last;

	/* From the least recent towards the most, until one was touched
	 * since cutoff; the most recent ends the walk round the ring. */
	for (i = lru_tail(t); i != ND_NIL; i = prev) {
		e = slot_entry(t, i);
		if (e->touch_ns >= cutoff)
			break;
		last = i == t->head;
		prev = t->lru[i].prev;
		if (!e->active)
			net_nd_table_del(t, e);
		if (last)
			break;
	}
}

size_t
net_nd_table_count(const struct nd_table *t)
{
	return t->n;
}

uint64_t
net_nd_table_evictions(const struct nd_table *t)
{
	return t->evictions;
}

/* ---- exact sets ---- */

/* Puts v (not present) into the table of s, which has room. */
static void
set_put(struct nd_set *s, uint32_t v)
{
	uint32_t i, mask = s->nslots - 1;

	for (i = (v * 0x9e3779b1u) & mask; s->v[i] != 0; i = (i + 1) & mask)
		;
	s->v[i] = v;
}

/* Moves s to a table of nn slots.  Returns 0, or -1 when out of
 * memory (s as it was). */
static int
set_grow(struct nd_set *s, uint32_t nn)
{
	uint32_t *ov = s->v, on = s->nslots, k;

	if ((s->v = calloc(nn, sizeof(*s->v))) == NULL) {
		s->v = ov;
		return -1;
	}
	s->nslots = nn;
	if (on == 0) {
		for (k = 0; k < s->n; k++)
			set_put(s, s->in[k]);
	} else {
		for (k = 0; k < on; k++)
			if (ov[k] != 0)
				set_put(s, ov[k]);
		free(ov);
	}
	return 0;
}

int
net_nd_set_add_slow(struct nd_set *s, uint32_t v, uint32_t max)
{
	uint32_t i, mask;

	if (s->nslots == 0) {
		for (i = 0; i < s->n; i++)
			if (s->in[i] == v)
				return 0;
	} else {
		mask = s->nslots - 1;
		for (i = (v * 0x9e3779b1u) & mask; s->v[i] != 0;
		    i = (i + 1) & mask)
			if (s->v[i] == v)
				return 0;
	}
	if (s->n >= max) {
		s->full = 1;
		return 0;
	}
	if (s->nslots == 0 && s->n < ND_SET_INLINE) {
		s->in[s->n++] = v;
		return 1;
	}
	if ((s->n + 1) * 2 > s->nslots && set_grow(s, s->nslots == 0 ? 16 :
	    s->nslots * 2) != 0) {
		s->full = 1;
		return 0;
	}
	set_put(s, v);
	s->n++;
	return 1;
}

/* ---- HyperLogLog ---- */

/* 2^-r for every register value (0..58 are reachable; the mask keeps
 * the index in bounds): exact powers of two, so the sum is the one
 * ldexp() gave, without a libm call per register. */
static const double hll_pow[64] = {
	0x1p-0, 0x1p-1, 0x1p-2, 0x1p-3, 0x1p-4, 0x1p-5, 0x1p-6, 0x1p-7,
	0x1p-8, 0x1p-9, 0x1p-10, 0x1p-11, 0x1p-12, 0x1p-13, 0x1p-14,
	0x1p-15, 0x1p-16, 0x1p-17, 0x1p-18, 0x1p-19, 0x1p-20, 0x1p-21,
	0x1p-22, 0x1p-23, 0x1p-24, 0x1p-25, 0x1p-26, 0x1p-27, 0x1p-28,
	0x1p-29, 0x1p-30, 0x1p-31, 0x1p-32, 0x1p-33, 0x1p-34, 0x1p-35,
	0x1p-36, 0x1p-37, 0x1p-38, 0x1p-39, 0x1p-40, 0x1p-41, 0x1p-42,
	0x1p-43, 0x1p-44, 0x1p-45, 0x1p-46, 0x1p-47, 0x1p-48, 0x1p-49,
	0x1p-50, 0x1p-51, 0x1p-52, 0x1p-53, 0x1p-54, 0x1p-55, 0x1p-56,
	0x1p-57, 0x1p-58, 0x1p-59, 0x1p-60, 0x1p-61, 0x1p-62, 0x1p-63,
};

double
net_nd_hll_count(const struct nd_hll *h)
{
	double sum = 0, e, m = ND_HLL_M;
	unsigned i, zeros = 0;

	for (i = 0; i < ND_HLL_M; i++) {
		sum += hll_pow[h->r[i] & 63];
		if (h->r[i] == 0)
			zeros++;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}

/* ---- episodes ---- */

int
net_nd_ep_final(const struct net_detect *d, const struct nd_ep *e,
    uint64_t count, int64_t now)
{
	if (e->cross_ns == 0)
		return 0;
	if (e->report_ns == 0)
		return 1;
	return count > e->reported &&
	    now - e->report_ns >= d->c->report_interval_ns;
}

void
net_nd_ep_mark(struct nd_ep *e, uint64_t count, int64_t now)
{
	e->report_ns = now > 0 ? now : 1;
	e->reported = count;
	e->reports++;
}

void
net_nd_det_init(struct net_detection *det, const char *kind, const char *type,
    int64_t now, const struct nd_ep *e, uint64_t count)
{
	double secs;

	memset(det, 0, sizeof(*det));
	det->kind = kind;
	det->type = type;
	det->ts_ns = now;
	det->count = count;
	if (e != NULL) {
		det->first_ns = e->first_ns;
		secs = (double)(e->last_ns - e->first_ns) / 1e9;
		if (secs < 0.001)
			secs = 0.001;
		det->rate = (double)count / secs;
	} else {
		det->first_ns = now;
		det->rate = (double)count;
	}
	det->severity = 2;
}

void
net_nd_text(struct net_detection *det, const char *fmt, ...)
{
	size_t o = strlen(det->text);
	va_list ap;

	if (o + 1 >= sizeof(det->text))
		return;
	va_start(ap, fmt);
	vsnprintf(det->text + o, sizeof(det->text) - o, fmt, ap);
	va_end(ap);
}

char *
net_nd_bytes_str(uint64_t b, char *buf, size_t len)
{
	if (b >= 10ULL * 1000 * 1000 * 1000)
		snprintf(buf, len, "%.0f GB", (double)b / 1e9);
	else if (b >= 1000ULL * 1000 * 1000)
		snprintf(buf, len, "%.1f GB", (double)b / 1e9);
	else if (b >= 1000ULL * 1000)
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	else if (b >= 1000)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
	return buf;
}

void
net_nd_emit(struct net_detect *d, struct net_detection *det)
{
	if (det->src.family != 0 && net_nd_allowed(d, &det->src)) {
		d->suppressed++;
		return;
	}
	d->detections++;
	if (d->cb != NULL)
		d->cb(d->arg, det);
}

/* ---- addresses ---- */

int
net_nd_addr_cmp(const struct net_addr *x, const struct net_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, x->family == 6 ? 16 : 4);
}

const char *
net_nd_service_name(uint8_t proto, uint16_t port)
{
	static const struct {
		uint16_t	 port;
		const char	*name;
	} tcp[] = {
		{ 21, "ftp" }, { 22, "ssh" }, { 23, "telnet" },
		{ 25, "smtp" }, { 80, "http" }, { 110, "pop3" },
		{ 135, "msrpc" }, { 139, "netbios-ssn" }, { 143, "imap" },
		{ 443, "https" }, { 445, "smb" }, { 465, "smtps" },
		{ 587, "submission" }, { 993, "imaps" }, { 995, "pop3s" },
		{ 1433, "mssql" }, { 3306, "mysql" }, { 3389, "rdp" },
		{ 5432, "postgresql" }, { 5900, "vnc" },
	}, udp[] = {
		{ 17, "qotd" }, { 19, "chargen" }, { 53, "dns" },
		{ 69, "tftp" }, { 111, "portmap" }, { 123, "ntp" },
		{ 137, "netbios-ns" }, { 161, "snmp" }, { 389, "cldap" },
		{ 427, "slp" }, { 520, "rip" }, { 1434, "mssql-monitor" },
		{ 1900, "ssdp" }, { 3283, "ard" }, { 3702, "ws-discovery" },
		{ 5353, "mdns" }, { 5683, "coap" }, { 10001, "ubiquiti" },
		{ 11211, "memcached" },
	};
	size_t i;

	if (proto == NET_P_TCP) {
		for (i = 0; i < ND_NELEM(tcp); i++)
			if (tcp[i].port == port)
				return tcp[i].name;
	} else if (proto == NET_P_UDP) {
		for (i = 0; i < ND_NELEM(udp); i++)
			if (udp[i].port == port)
				return udp[i].name;
	}
	return NULL;
}

/* ---- configuration ---- */

static const char *const default_internal[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"169.254.0.0/16", "fc00::/7", "fe80::/10",
};

static const uint16_t default_reflectors[] = {
	17, 19, 53, 69, 111, 123, 137, 161, 389, 427, 520, 1434, 1900, 3283,
	3702, 5353, 5683, 10001, 11211,
};

static const uint16_t default_brute[] = {
	21, 22, 23, 25, 110, 143, 587, 3389,
};

/* Anomalies ignored by default: none of the decoder's bits is common in
 * ordinary traffic except the IPv4 header checksum, which is wrong on
 * every packet a host captures of its own sending when the NIC computes
 * checksums (offload). */
#define ND_ANOM_IGNORE_DEFAULT	NET_ANOM_IP4_CSUM

int
net_detect_conf_new(struct net_detect_conf **out)
{
	struct net_detect_conf *c;
	size_t i;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MAMORI_ENOMEM;
	c->report_delay_ns = 30 * ND_SEC;
	c->report_interval_ns = 300 * ND_SEC;
	c->max_entries = 16384;
	c->max_tracked = 4096;

	c->scan.enabled = 1;
	c->scan.window_ns = 60 * ND_SEC;
	c->scan.ports = 20;
	c->scan.hosts = 20;
	c->scan.block_hosts = 8;
	c->scan.block_ports = 8;
	c->scan.block_pairs = 64;
	c->scan.connect_max_ns = 2 * ND_SEC;
	c->scan.slow_window_ns = 3600 * ND_SEC;
	c->scan.slow_ports = 20;
	c->scan.slow_hosts = 20;

	c->ping.enabled = 1;
	c->ping.window_ns = 60 * ND_SEC;
	c->ping.hosts = 20;

	c->flood_window_ns = 10 * ND_SEC;
	c->syn_flood.enabled = 1;
	c->syn_flood.syns = 2000;
	c->syn_flood.half_open_pct = 80;
	c->udp_flood.enabled = 1;
	c->udp_flood.packets = 20000;
	c->udp_flood.bytes = 100LL * 1000 * 1000;
	c->icmp_flood.enabled = 1;
	c->icmp_flood.packets = 5000;
	c->amp.enabled = 1;
	c->amp.packets = 1000;
	c->amp.bytes = 5LL * 1000 * 1000;
	c->amp.sources = 20;
	for (i = 0; i < ND_NELEM(default_reflectors); i++)
		ND_SETBIT(c->amp.ports, default_reflectors[i]);
	c->backscatter.enabled = 1;
	c->backscatter.packets = 500;
	c->backscatter.sources = 20;

	c->worm.enabled = 1;
	c->worm.window_ns = 60 * ND_SEC;
	c->worm.hosts = 20;
	c->worm.payload_hosts = 1;

	c->brute.enabled = 1;
	c->brute.window_ns = 600 * ND_SEC;
	c->brute.sessions = 10;
	c->brute.max_duration_ns = 30 * ND_SEC;
	c->brute.max_bytes = 20000;
	for (i = 0; i < ND_NELEM(default_brute); i++)
		ND_SETBIT(c->brute.ports, default_brute[i]);

	c->arp.enabled = 1;
	c->arp.grace_ns = 300 * ND_SEC;
	c->arp.storm = 20;
	c->arp.storm_window_ns = 10 * ND_SEC;

	c->redirect.enabled = 1;
	c->redirect.count = 1;
	c->redirect.window_ns = 60 * ND_SEC;

	c->anomaly.enabled = 1;
	c->anomaly.count = 1;
	c->anomaly.window_ns = 60 * ND_SEC;
	c->anomaly.ignore = ND_ANOM_IGNORE_DEFAULT;

	if ((r = net_nd_plist_parse_strv(&c->internal, default_internal,
	    ND_NELEM(default_internal))) != 0) {
		net_detect_conf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void
net_detect_conf_free(struct net_detect_conf *c)
{
	if (c == NULL)
		return;
	net_nd_plist_release(&c->allowlist);
	net_nd_plist_release(&c->internal);
	net_nd_plist_release(&c->blocklist);
	net_nd_plist_release(&c->inventory.networks);
	free(c->inventory.v);
	free(c);
}

/* The parser's scratch: the new configuration is built in n, and the
 * lists it allocated are remembered so a failure frees only them. */
struct parse {
	struct ydoc	*d;
	const char	*name;
	struct net_detect_conf n;
	struct nd_plist	 allow, internal, block, invnet;
	int		 has_allow, has_internal, has_block, has_invnet;
	struct nd_service *svc;
	size_t		 nsvc;
	int		 has_svc;
	char		 key[256];
};

static const char *
key(struct parse *x, const char *sec, const char *k)
{
	if (sec != NULL)
		snprintf(x->key, sizeof(x->key), "%s.%s.%s", x->name, sec, k);
	else
		snprintf(x->key, sizeof(x->key), "%s.%s", x->name, k);
	return x->key;
}

static int
p_int(struct parse *x, yaml_node_t *m, const char *sec, const char *k,
    long min, long max, int *out)
{
	return ydoc_int(x->d, ydoc_get(x->d, m, k), key(x, sec, k), min, max,
	    out);
}

static int
p_i64(struct parse *x, yaml_node_t *m, const char *sec, const char *k,
    long min, long max, int64_t *out)
{
	int v = (int)*out, r;

	if (*out > INT32_MAX)
		v = INT32_MAX;
	if ((r = p_int(x, m, sec, k, min, max, &v)) != 0)
		return r;
	if (ydoc_get(x->d, m, k) != NULL)
		*out = v;
	return 0;
}

static int
p_bool(struct parse *x, yaml_node_t *m, const char *sec, const char *k,
    int *out)
{
	return ydoc_bool(x->d, ydoc_get(x->d, m, k), key(x, sec, k), out);
}

/* A duration of at least min_ns. */
static int
p_dur(struct parse *x, yaml_node_t *m, const char *sec, const char *k,
    int64_t min_ns, int64_t *out)
{
	yaml_node_t *v = ydoc_get(x->d, m, k);
	int64_t ns = *out;
	int r;

	if ((r = ydoc_duration(x->d, v, key(x, sec, k), &ns)) != 0)
		return r;
	if (v != NULL && ns < min_ns)
		return ydoc_fail(x->d, v, "setting '%s': must be at least "
		    "%" PRId64 "s", x->key, (int64_t)(min_ns / ND_SEC));
	*out = ns;
	return 0;
}

/* A scalar or list of addresses/prefixes. */
static int
p_addrs(struct parse *x, yaml_node_t *v, const char *name,
    struct nd_plist *out)
{
	struct respond_addr *a;
	char **sv = NULL, msg[256];
	size_t n = 0, i;
	yaml_node_t *e;
	int r;

	if ((r = ydoc_strv(x->d, v, name, &sv, &n)) != 0)
		return r;
	if ((a = calloc(n + 1, sizeof(*a))) == NULL) {
		ydoc_strv_free(sv);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (respond_addr_parse(sv[i], strlen(sv[i]), &a[i], msg,
		    sizeof(msg)) != 0) {
			e = ydoc_is_list(v) ? ydoc_node(x->d,
			    v->data.sequence.items.start[i]) : v;
			r = ydoc_fail(x->d, e, "setting '%s[%zu]': %s", name,
			    i, msg);
			free(a);
			ydoc_strv_free(sv);
			return r;
		}
	}
	ydoc_strv_free(sv);
	return net_nd_plist_set(out, a, n);
}

/* Parses "N" or "N-M" (ports 1..65535 or 0 when zero_ok). */
static int
port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno != 0 || a > 65535)
		return -1;
	b = a;
	if (*end == '-') {
		s = end + 1;
		if (*s < '0' || *s > '9')
			return -1;
		b = strtoul(s, &end, 10);
		if (errno != 0 || b > 65535 || b < a)
			return -1;
	}
	if (*end != '\0')
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* A list of ports or port ranges into a 65536-bit map. */
static int
p_ports(struct parse *x, yaml_node_t *m, const char *sec, const char *k,
    uint8_t *map)
{
	yaml_node_t *v = ydoc_get(x->d, m, k), *e;
	char **sv = NULL;
	uint16_t lo, hi;
	uint8_t tmp[8192];
	size_t n = 0, i;
	unsigned p;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_strv(x->d, v, key(x, sec, k), &sv, &n)) != 0)
		return r;
	memset(tmp, 0, sizeof(tmp));
	for (i = 0; i < n; i++) {
		if (port_range(sv[i], &lo, &hi) != 0 || lo == 0) {
			e = ydoc_is_list(v) ? ydoc_node(x->d,
			    v->data.sequence.items.start[i]) : v;
			r = ydoc_fail(x->d, e, "setting '%s[%zu]': expected a "
			    "port (1-65535) or a range such as 1000-2000, "
			    "got '%.40s'", key(x, sec, k), i, sv[i]);
			ydoc_strv_free(sv);
			return r;
		}
		for (p = lo; p <= hi; p++)
			ND_SETBIT(tmp, p);
	}
	ydoc_strv_free(sv);
	memcpy(map, tmp, sizeof(tmp));
	return 0;
}

/* Checks that sub is a mapping with the allowed keys (or absent). */
static int
p_section(struct parse *x, yaml_node_t *root, const char *sec,
    const char *const *keys, size_t nkeys, yaml_node_t **out)
{
	char name[256];

	*out = ydoc_get(x->d, root, sec);
	if (*out == NULL)
		return 0;
	snprintf(name, sizeof(name), "%s.%s", x->name, sec);
	return ydoc_check_map(x->d, *out, name, keys, nkeys);
}

static int
parse_scan(struct parse *x, yaml_node_t *root)
{
	static const char *const keys[] = {
		"enabled", "window", "ports", "hosts", "block_hosts",
		"block_ports", "block_pairs", "connect_max_duration",
		"slow_window", "slow_ports", "slow_hosts",
	};
	const char *s = "scan";
	yaml_node_t *m;
	int r;

	if ((r = p_section(x, root, s, keys, ND_NELEM(keys), &m)) != 0 ||
	    m == NULL)
		return r;
	if ((r = p_bool(x, m, s, "enabled", &x->n.scan.enabled)) != 0 ||
	    (r = p_dur(x, m, s, "window", ND_SEC, &x->n.scan.window_ns)) != 0 ||
	    (r = p_int(x, m, s, "ports", 2, 65535, &x->n.scan.ports)) != 0 ||
	    (r = p_int(x, m, s, "hosts", 2, 1000000, &x->n.scan.hosts)) != 0 ||
	    (r = p_int(x, m, s, "block_hosts", 2, 1000000,
	    &x->n.scan.block_hosts)) != 0 ||
	    (r = p_int(x, m, s, "block_ports", 2, 65535,
	    &x->n.scan.block_ports)) != 0 ||
	    (r = p_int(x, m, s, "block_pairs", 4, 100000000,
	    &x->n.scan.block_pairs)) != 0 ||
	    (r = p_dur(x, m, s, "connect_max_duration", 0,
	    &x->n.scan.connect_max_ns)) != 0 ||
	    (r = p_dur(x, m, s, "slow_window", ND_SEC,
	    &x->n.scan.slow_window_ns)) != 0 ||
	    (r = p_int(x, m, s, "slow_ports", 2, 65535,
	    &x->n.scan.slow_ports)) != 0 ||
	    (r = p_int(x, m, s, "slow_hosts", 2, 1000000,
	    &x->n.scan.slow_hosts)) != 0)
		return r;
	return 0;
}

static int
parse_floods(struct parse *x, yaml_node_t *root)
{
	static const char *const ksyn[] = {
		"enabled", "syns", "half_open_percent",
	}, *const kudp[] = {
		"enabled", "packets", "bytes",
	}, *const kicmp[] = {
		"enabled", "packets",
	}, *const kamp[] = {
		"enabled", "packets", "bytes", "sources", "ports",
	}, *const kbs[] = {
		"enabled", "packets", "sources",
	};
	yaml_node_t *m;
	int r;

	if ((r = p_dur(x, root, NULL, "flood_window", ND_SEC,
	    &x->n.flood_window_ns)) != 0)
		return r;
	if ((r = p_section(x, root, "syn_flood", ksyn, ND_NELEM(ksyn),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "syn_flood", "enabled",
	    &x->n.syn_flood.enabled)) != 0 ||
	    (r = p_int(x, m, "syn_flood", "syns", 1, INT32_MAX,
	    &x->n.syn_flood.syns)) != 0 ||
	    (r = p_int(x, m, "syn_flood", "half_open_percent", 0, 100,
	    &x->n.syn_flood.half_open_pct)) != 0))
		return r;
	if ((r = p_section(x, root, "udp_flood", kudp, ND_NELEM(kudp),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "udp_flood", "enabled",
	    &x->n.udp_flood.enabled)) != 0 ||
	    (r = p_int(x, m, "udp_flood", "packets", 1, INT32_MAX,
	    &x->n.udp_flood.packets)) != 0 ||
	    (r = p_i64(x, m, "udp_flood", "bytes", 1, INT32_MAX,
	    &x->n.udp_flood.bytes)) != 0))
		return r;
	if ((r = p_section(x, root, "icmp_flood", kicmp, ND_NELEM(kicmp),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "icmp_flood", "enabled",
	    &x->n.icmp_flood.enabled)) != 0 ||
	    (r = p_int(x, m, "icmp_flood", "packets", 1, INT32_MAX,
	    &x->n.icmp_flood.packets)) != 0))
		return r;
	if ((r = p_section(x, root, "amplification", kamp, ND_NELEM(kamp),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "amplification", "enabled",
	    &x->n.amp.enabled)) != 0 ||
	    (r = p_int(x, m, "amplification", "packets", 1, INT32_MAX,
	    &x->n.amp.packets)) != 0 ||
	    (r = p_i64(x, m, "amplification", "bytes", 1, INT32_MAX,
	    &x->n.amp.bytes)) != 0 ||
	    (r = p_int(x, m, "amplification", "sources", 1, 1000000,
	    &x->n.amp.sources)) != 0 ||
	    (r = p_ports(x, m, "amplification", "ports",
	    x->n.amp.ports)) != 0))
		return r;
	if ((r = p_section(x, root, "backscatter", kbs, ND_NELEM(kbs),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "backscatter", "enabled",
	    &x->n.backscatter.enabled)) != 0 ||
	    (r = p_int(x, m, "backscatter", "packets", 1, INT32_MAX,
	    &x->n.backscatter.packets)) != 0 ||
	    (r = p_int(x, m, "backscatter", "sources", 1, 1000000,
	    &x->n.backscatter.sources)) != 0))
		return r;
	return 0;
}

static int
parse_misc(struct parse *x, yaml_node_t *root)
{
	static const char *const kping[] = {
		"enabled", "window", "hosts",
	}, *const kworm[] = {
		"enabled", "window", "hosts", "payload_hosts",
	}, *const kbrute[] = {
		"enabled", "window", "sessions", "max_duration", "max_bytes",
		"ports",
	}, *const karp[] = {
		"enabled", "grace", "storm", "storm_window",
	}, *const kred[] = {
		"enabled", "count", "window",
	};
	yaml_node_t *m;
	int r;

	if ((r = p_section(x, root, "ping_sweep", kping, ND_NELEM(kping),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "ping_sweep", "enabled",
	    &x->n.ping.enabled)) != 0 ||
	    (r = p_dur(x, m, "ping_sweep", "window", ND_SEC,
	    &x->n.ping.window_ns)) != 0 ||
	    (r = p_int(x, m, "ping_sweep", "hosts", 2, 1000000,
	    &x->n.ping.hosts)) != 0))
		return r;
	if ((r = p_section(x, root, "worm", kworm, ND_NELEM(kworm),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "worm", "enabled",
	    &x->n.worm.enabled)) != 0 ||
	    (r = p_dur(x, m, "worm", "window", ND_SEC,
	    &x->n.worm.window_ns)) != 0 ||
	    (r = p_int(x, m, "worm", "hosts", 2, 1000000,
	    &x->n.worm.hosts)) != 0 ||
	    (r = p_int(x, m, "worm", "payload_hosts", 0, 1000000,
	    &x->n.worm.payload_hosts)) != 0))
		return r;
	if ((r = p_section(x, root, "bruteforce", kbrute, ND_NELEM(kbrute),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "bruteforce", "enabled",
	    &x->n.brute.enabled)) != 0 ||
	    (r = p_dur(x, m, "bruteforce", "window", ND_SEC,
	    &x->n.brute.window_ns)) != 0 ||
	    (r = p_int(x, m, "bruteforce", "sessions", 2, 1000000,
	    &x->n.brute.sessions)) != 0 ||
	    (r = p_dur(x, m, "bruteforce", "max_duration", ND_SEC / 1000,
	    &x->n.brute.max_duration_ns)) != 0 ||
	    (r = p_i64(x, m, "bruteforce", "max_bytes", 0, INT32_MAX,
	    &x->n.brute.max_bytes)) != 0 ||
	    (r = p_ports(x, m, "bruteforce", "ports",
	    x->n.brute.ports)) != 0))
		return r;
	if ((r = p_section(x, root, "arp", karp, ND_NELEM(karp), &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "arp", "enabled",
	    &x->n.arp.enabled)) != 0 ||
	    (r = p_dur(x, m, "arp", "grace", 0, &x->n.arp.grace_ns)) != 0 ||
	    (r = p_int(x, m, "arp", "storm", 2, 1000000,
	    &x->n.arp.storm)) != 0 ||
	    (r = p_dur(x, m, "arp", "storm_window", ND_SEC,
	    &x->n.arp.storm_window_ns)) != 0))
		return r;
	if ((r = p_section(x, root, "icmp_redirect", kred, ND_NELEM(kred),
	    &m)) != 0)
		return r;
	if (m != NULL && ((r = p_bool(x, m, "icmp_redirect", "enabled",
	    &x->n.redirect.enabled)) != 0 ||
	    (r = p_int(x, m, "icmp_redirect", "count", 1, 1000000,
	    &x->n.redirect.count)) != 0 ||
	    (r = p_dur(x, m, "icmp_redirect", "window", ND_SEC,
	    &x->n.redirect.window_ns)) != 0))
		return r;
	return 0;
}

static int
parse_anomaly(struct parse *x, yaml_node_t *root)
{
	static const char *const keys[] = {
		"enabled", "count", "window", "ignore",
	};
	const char *s = "anomaly", *nm;
	yaml_node_t *m, *v, *e;
	char **sv = NULL;
	size_t n = 0, i;
	uint32_t mask = 0, bit;
	int r;

	if ((r = p_section(x, root, s, keys, ND_NELEM(keys), &m)) != 0 ||
	    m == NULL)
		return r;
	if ((r = p_bool(x, m, s, "enabled", &x->n.anomaly.enabled)) != 0 ||
	    (r = p_int(x, m, s, "count", 1, 1000000,
	    &x->n.anomaly.count)) != 0 ||
	    (r = p_dur(x, m, s, "window", ND_SEC,
	    &x->n.anomaly.window_ns)) != 0)
		return r;
	v = ydoc_get(x->d, m, "ignore");
	if (v == NULL)
		return 0;
	if ((r = ydoc_strv(x->d, v, key(x, s, "ignore"), &sv, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		for (bit = 1; bit != 0; bit <<= 1)
			if ((nm = net_anomaly_name(bit)) != NULL &&
			    strcmp(nm, sv[i]) == 0)
				break;
		if (bit == 0) {
			const char *names[32], *near;
			char list[600];
			size_t nn = 0, o = 0;

			for (bit = 1; bit != 0; bit <<= 1)
				if ((nm = net_anomaly_name(bit)) != NULL) {
					names[nn++] = nm;
					o += (size_t)snprintf(list + o,
					    o < sizeof(list) ? sizeof(list) - o :
					    0, "%s%s", o ? ", " : "", nm);
					if (o >= sizeof(list))
						o = sizeof(list) - 1;
				}
			near = ydoc_nearest(sv[i], strlen(sv[i]), names, nn);
			e = ydoc_is_list(v) ? ydoc_node(x->d,
			    v->data.sequence.items.start[i]) : v;
			if (near != NULL)
				r = ydoc_fail(x->d, e, "setting '%s[%zu]': "
				    "unknown anomaly '%.40s' (did you mean "
				    "'%s'?)", key(x, s, "ignore"), i, sv[i],
				    near);
			else
				r = ydoc_fail(x->d, e, "setting '%s[%zu]': "
				    "unknown anomaly '%.40s' (known: %s)",
				    key(x, s, "ignore"), i, sv[i], list);
			ydoc_strv_free(sv);
			return r;
		}
		mask |= bit;
	}
	ydoc_strv_free(sv);
	x->n.anomaly.ignore = mask;
	return 0;
}

/* "ADDR[/LEN]:PORT[-PORT][/tcp|/udp]" or "*:PORT...". */
static int
parse_service(const char *s, struct nd_service *out, char *msg, size_t len)
{
	const char *colon, *slash;
	char host[128], ports[32];
	size_t hl;

	memset(out, 0, sizeof(*out));
	colon = strrchr(s, ':');
	if (colon == NULL || colon == s) {
		snprintf(msg, len, "expected ADDRESS[/PREFIX]:PORT[-PORT]"
		    "[/tcp|/udp], got '%.60s'", s);
		return -1;
	}
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host)) {
		snprintf(msg, len, "address too long in '%.60s'", s);
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	/* "[2001:db8::1]:22" for IPv6 with a port. */
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	slash = strchr(colon + 1, '/');
	if (slash != NULL) {
		if (strcmp(slash + 1, "tcp") == 0)
			out->tcp = 1;
		else if (strcmp(slash + 1, "udp") == 0)
			out->udp = 1;
		else {
			snprintf(msg, len, "protocol must be tcp or udp in "
			    "'%.60s'", s);
			return -1;
		}
		hl = (size_t)(slash - colon - 1);
	} else {
		out->tcp = out->udp = 1;
		hl = strlen(colon + 1);
	}
	if (hl >= sizeof(ports)) {
		snprintf(msg, len, "bad port in '%.60s'", s);
		return -1;
	}
	memcpy(ports, colon + 1, hl);
	ports[hl] = '\0';
	if (strcmp(ports, "*") == 0) {
		out->lo = 1;
		out->hi = 65535;
	} else if (port_range(ports, &out->lo, &out->hi) != 0 ||
	    out->lo == 0) {
		snprintf(msg, len, "expected a port (1-65535), a range or * "
		    "in '%.60s'", s);
		return -1;
	}
	if (strcmp(host, "*") == 0) {
		out->any_host = 1;
		return 0;
	}
	if (respond_addr_parse(host, strlen(host), &out->net, msg, len) != 0)
		return -1;
	return 0;
}

static int
parse_inventory(struct parse *x, yaml_node_t *root)
{
	static const char *const keys[] = { "networks", "services" };
	yaml_node_t *m, *v, *e;
	char **sv = NULL, msg[256], name[256];
	size_t n = 0, i;
	int r;

	if ((r = p_section(x, root, "inventory", keys, ND_NELEM(keys),
	    &m)) != 0 || m == NULL)
		return r;
	if ((v = ydoc_get(x->d, m, "networks")) != NULL) {
		snprintf(name, sizeof(name), "%s.inventory.networks",
		    x->name);
		if ((r = p_addrs(x, v, name, &x->invnet)) != 0)
			return r;
		x->has_invnet = 1;
	}
	if ((v = ydoc_get(x->d, m, "services")) == NULL)
		return 0;
	snprintf(name, sizeof(name), "%s.inventory.services", x->name);
	if ((r = ydoc_strv(x->d, v, name, &sv, &n)) != 0)
		return r;
	if ((x->svc = calloc(n + 1, sizeof(*x->svc))) == NULL) {
		ydoc_strv_free(sv);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < n; i++)
		if (parse_service(sv[i], &x->svc[i], msg, sizeof(msg)) != 0) {
			e = ydoc_is_list(v) ? ydoc_node(x->d,
			    v->data.sequence.items.start[i]) : v;
			r = ydoc_fail(x->d, e, "setting '%s[%zu]': %s", name,
			    i, msg);
			ydoc_strv_free(sv);
			return r;
		}
	ydoc_strv_free(sv);
	x->nsvc = n;
	x->has_svc = 1;
	return 0;
}

int
net_detect_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct net_detect_conf *c)
{
	static const char *const keys[] = {
		"report_delay", "report_interval", "max_entries",
		"max_tracked", "allowlist", "internal_networks", "scan",
		"ping_sweep", "flood_window", "syn_flood", "udp_flood",
		"icmp_flood", "amplification", "backscatter", "worm",
		"bruteforce", "arp", "icmp_redirect", "blocklist",
		"inventory", "anomaly",
	};
	struct parse *x;
	yaml_node_t *v;
	char kname[256];
	int r;

	if (node == NULL || ydoc_is_null(node))
		return 0;
	if ((r = ydoc_check_map(d, node, name, keys, ND_NELEM(keys))) != 0)
		return r;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return MAMORI_ENOMEM;
	x->d = d;
	x->name = name;
	x->n = *c;
	if ((r = p_dur(x, node, NULL, "report_delay", 0,
	    &x->n.report_delay_ns)) != 0 ||
	    (r = p_dur(x, node, NULL, "report_interval", ND_SEC,
	    &x->n.report_interval_ns)) != 0 ||
	    (r = p_int(x, node, NULL, "max_entries", 16, 100000000,
	    &x->n.max_entries)) != 0 ||
	    (r = p_int(x, node, NULL, "max_tracked", 64, 65536 * 4,
	    &x->n.max_tracked)) != 0)
		goto fail;
	if ((v = ydoc_get(d, node, "allowlist")) != NULL) {
		snprintf(kname, sizeof(kname), "%s.allowlist", name);
		if ((r = p_addrs(x, v, kname, &x->allow)) != 0)
			goto fail;
		x->has_allow = 1;
	}
	if ((v = ydoc_get(d, node, "internal_networks")) != NULL) {
		snprintf(kname, sizeof(kname), "%s.internal_networks", name);
		if ((r = p_addrs(x, v, kname, &x->internal)) != 0)
			goto fail;
		x->has_internal = 1;
	}
	if ((v = ydoc_get(d, node, "blocklist")) != NULL) {
		snprintf(kname, sizeof(kname), "%s.blocklist", name);
		if ((r = p_addrs(x, v, kname, &x->block)) != 0)
			goto fail;
		x->has_block = 1;
	}
	if ((r = parse_scan(x, node)) != 0 ||
	    (r = parse_floods(x, node)) != 0 ||
	    (r = parse_misc(x, node)) != 0 ||
	    (r = parse_anomaly(x, node)) != 0 ||
	    (r = parse_inventory(x, node)) != 0)
		goto fail;
	if (x->n.scan.block_pairs < x->n.scan.block_hosts ||
	    x->n.scan.block_pairs < x->n.scan.block_ports) {
		v = ydoc_get(d, ydoc_get(d, node, "scan"), "block_pairs");
		r = ydoc_fail(d, v != NULL ? v : node, "setting "
		    "'%s.scan.block_pairs': %d is less than block_hosts (%d) "
		    "or block_ports (%d)", name, x->n.scan.block_pairs,
		    x->n.scan.block_hosts, x->n.scan.block_ports);
		goto fail;
	}

	/* Sets stop at max_tracked: a threshold above it is never met. */
	if (x->n.ping.hosts > x->n.max_tracked ||
	    x->n.worm.hosts > x->n.max_tracked ||
	    x->n.worm.payload_hosts > x->n.max_tracked) {
		const char *sec = x->n.ping.hosts > x->n.max_tracked ?
		    "ping_sweep" : "worm";
		const char *k = x->n.ping.hosts > x->n.max_tracked ||
		    x->n.worm.hosts > x->n.max_tracked ? "hosts" :
		    "payload_hosts";

		v = ydoc_get(d, ydoc_get(d, node, sec), k);
		r = ydoc_fail(d, v != NULL ? v : node, "setting "
		    "'%s.%s.%s': more than max_tracked (%d), so never "
		    "reached", name, sec, k, x->n.max_tracked);
		goto fail;
	}

	/* All valid: move it in. */
	if (x->has_allow) {
		net_nd_plist_release(&c->allowlist);
		x->n.allowlist = x->allow;
	}
	if (x->has_internal) {
		net_nd_plist_release(&c->internal);
		x->n.internal = x->internal;
	}
	if (x->has_block) {
		net_nd_plist_release(&c->blocklist);
		x->n.blocklist = x->block;
	}
	if (x->has_invnet) {
		net_nd_plist_release(&c->inventory.networks);
		x->n.inventory.networks = x->invnet;
		x->n.inventory.networks_set = 1;
	}
	if (x->has_svc) {
		free(c->inventory.v);
		x->n.inventory.v = x->svc;
		x->n.inventory.n = x->nsvc;
	}
	*c = x->n;
	free(x);
	return 0;
 fail:
	net_nd_plist_release(&x->allow);
	net_nd_plist_release(&x->internal);
	net_nd_plist_release(&x->block);
	net_nd_plist_release(&x->invnet);
	free(x->svc);
	free(x);
	return r;
}

/* ---- the set ---- */

struct net_detect *
net_detect_new(const struct net_detect_conf *c, net_detect_cb *cb,
    void *arg)
{
	struct net_detect *d;

	if ((d = mem_calloc_lines(sizeof(*d))) == NULL)
		return NULL;
	d->c = c;
	d->cb = cb;
	d->arg = arg;
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) !=
	    sizeof(d->seed))
		d->seed = 0x243f6a8885a308d3ULL ^ (uint64_t)(uintptr_t)d;
	if (net_nd_scan_new(d) != 0 || net_nd_flood_new(d) != 0 ||
	    net_nd_worm_new(d) != 0 || net_nd_brute_new(d) != 0 ||
	    net_nd_misc_new(d) != 0) {
		net_detect_free(d);
		return NULL;
	}
	return d;
}

void
net_detect_free(struct net_detect *d)
{
	if (d == NULL)
		return;
	net_nd_scan_free(d);
	net_nd_flood_free(d);
	net_nd_worm_free(d);
	net_nd_brute_free(d);
	net_nd_misc_free(d);
	free(d);
}

void
net_detect_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	if (p->ts_ns > d->now)
		d->now = p->ts_ns;
	if (net_nd_misc_wants(d, p))
		net_nd_misc_packet(d, p, f, dir, is_new);
	if (p->ipver == 0) {
		if (p->is_arp)		/* ARP sweeps */
			net_nd_scan_packet(d, p, f, dir, is_new);
		return;
	}
	net_nd_flood_packet(d, p, f, dir, is_new);
	net_nd_scan_packet(d, p, f, dir, is_new);
}

void
net_detect_flow_end(struct net_detect *d, const struct net_flow *f)
{
	if (f->last_ns > d->now)
		d->now = f->last_ns;
	net_nd_scan_flow_end(d, f);
	/* Brute force counts TCP sessions to its ports only: most flows
	 * are turned away here, without a call. */
	if (f->proto == NET_P_TCP && ND_BIT(d->c->brute.ports, f->resp_p))
		net_nd_brute_flow_end(d, f);
}

void
net_detect_tick(struct net_detect *d, int64_t now_ns)
{
	if (now_ns > d->now)
		d->now = now_ns;
	net_nd_scan_tick(d, d->now, 0);
	net_nd_worm_tick(d, d->now, 0);
	net_nd_flood_tick(d, d->now, 0);
	net_nd_brute_tick(d, d->now, 0);
	net_nd_misc_tick(d, d->now, 0);
}

void
net_detect_flush(struct net_detect *d, int64_t now_ns)
{
	if (now_ns > d->now)
		d->now = now_ns;
	/* Scans before worms: a horizontal scan that is a worm's probing
	 * is not reported as a scan as well, which scans find out from the
	 * worm episodes still open. */
	net_nd_scan_tick(d, d->now, 1);
	net_nd_worm_tick(d, d->now, 1);
	net_nd_flood_tick(d, d->now, 1);
	net_nd_brute_tick(d, d->now, 1);
	net_nd_misc_tick(d, d->now, 1);
}

void
net_detect_stats(const struct net_detect *d, struct net_detect_stats *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->detections = d->detections;
	s->suppressed = d->suppressed;
	for (i = 0; i < d->ntables; i++) {
		s->entries += net_nd_table_count(d->tables[i]);
		s->evicted += net_nd_table_evictions(d->tables[i]);
	}
}
