/*
 * net-sig-match.c - matching packets and TCP streams against a loaded
 * signature set.
 *
 * Per buffer (a packet's payload, or a stream window after an update)
 * one Vectorscan scan looks for every rule's literal at once (the
 * fast_pattern content, else the longest content that must be present):
 * a rule whose literal is absent cannot match and costs nothing more.
 * The candidates, and the few rules without such a literal, are then
 * verified in full, in set order: header (protocol, addresses, ports,
 * direction), flow, flags, dsize, itype/icode, then the payload options
 * with Suricata's semantics (docs.suricata.io "Payload Keywords";
 * detect-engine-content-inspection.c): offset/depth from the buffer
 * start, distance/within from the end of the previous match, pcre R
 * matched on the rest of the buffer after it, negated options that must
 * find nothing in their range, and backtracking to the next occurrence
 * when a later relative option fails.  Backtracking is bounded per rule
 * (SIG_BUDGET searches); a rule that exhausts it does not match and is
 * counted.
 *
 * Stream windows add one condition: a match must end in the new bytes
 * (one of its contents or pcres ends after newoff), so what matched in
 * an earlier window is not reported again, and a content split across
 * segments is reported once, when its last byte comes.
 *
 * Thresholds: one table per context, bounded, open addressing with a
 * short probe; when all probed slots are live the oldest is reused (and
 * counted), which at worst lets a limited rule alert again early.
 *
 * Nothing here allocates per packet: the scratch, candidate list, PCRE2
 * match data and JIT stack, and the threshold table are made with the
 * context; a flow's stream buffers once per flow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "net/net-sig-int.h"

#define SIG_BUDGET		4096	/* searches per rule and buffer */
#define SIG_MAX_PEND		64	/* rules reported per packet */
#define SIG_PCRE_MATCH_LIMIT	100000
#define THR_PROBE		8

/* ---------------------------------------------------------------------
 * Databases (built once per set, from net-sig-parse.c).
 */
/* Whether rule r belongs in database which (a SIG_PC_* class, or -1 for
 * the stream database). */
static int
db_has(const struct sig_rule *r, int which)
{
	if (which < 0)
		return r->mode == SIG_MODE_STREAM;
	if (r->mode == SIG_MODE_STREAM)
		return 0;
	switch (r->proto) {
	case SIG_P_IP:
		return 1;
	case SIG_P_TCP:
	case SIG_P_HTTP:
		return which == SIG_PC_TCP;
	case SIG_P_UDP:
		return which == SIG_PC_UDP;
	default:
		return which == SIG_PC_ICMP;
	}
}

static void
ports_set(uint64_t *bits, const struct sig_ports *ps)
{
	uint32_t i, v;

	for (i = 0; i < ps->n; i++)
		for (v = ps->r[i][0]; v <= ps->r[i][1]; v++)
			bits[v >> 6] |= (uint64_t)1 << (v & 63);
}

/* db's port filter (struct sig_db), when every rule of it names its
 * destination ports.  Returns 0 or MAMORI_ENOMEM. */
static int
port_filter(const struct net_sigset *s, int which, struct sig_db *db)
{
	uint32_t i;
	int bidir = 0;

	for (i = 0; i < s->n; i++) {
		const struct sig_rule *r = &s->rules[i];

		if (!db_has(r, which))
			continue;
		if (r->dp == NULL)
			return 0;
		bidir |= r->bidir;
	}
	if ((db->dports = calloc(65536 / 64, sizeof(uint64_t))) == NULL ||
	    (bidir && (db->bports = calloc(65536 / 64,
	    sizeof(uint64_t))) == NULL))
		return MAMORI_ENOMEM;
	for (i = 0; i < s->n; i++) {
		const struct sig_rule *r = &s->rules[i];

		if (!db_has(r, which))
			continue;
		ports_set(db->dports, r->dp);
		if (r->bidir)
			ports_set(db->bports, r->dp);
	}
	return 0;
}

static inline int
port_bit(const uint64_t *bits, uint16_t port)
{
	return (bits[port >> 6] >> (port & 63)) & 1;
}

static int
db_build(const struct net_sigset *s, int which, struct sig_db *db,
    int use_hs, char *err, size_t errlen)
{
	const char **lit = NULL;
	size_t *len = NULL;
	unsigned *flags = NULL, *ids = NULL;
	uint32_t i, nlit = 0, na = 0, nr = 0;
	hs_compile_error_t *cerr = NULL;
	int rc = 0;

	memset(db, 0, sizeof(*db));
	for (i = 0; i < s->n; i++) {
		const struct sig_rule *r = &s->rules[i];

		if (db_has(r, which))
			nr++;
	}
	db->nrules = nr;
	if (nr == 0)
		return 0;
	if ((db->always = malloc(nr * sizeof(*db->always))) == NULL ||
	    (lit = malloc(nr * sizeof(*lit))) == NULL ||
	    (len = malloc(nr * sizeof(*len))) == NULL ||
	    (flags = malloc(nr * sizeof(*flags))) == NULL ||
	    (ids = malloc(nr * sizeof(*ids))) == NULL) {
		rc = MAMORI_ENOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		const struct sig_rule *r = &s->rules[i];

		if (!db_has(r, which))
			continue;
		if (use_hs && r->fast >= 0) {
			const struct sig_elem *e = &r->elem[r->fast];

			if (e->len > db->maxlit)
				db->maxlit = e->len;
			lit[nlit] = (const char *)e->pat;
			len[nlit] = e->len;
			flags[nlit] = HS_FLAG_SINGLEMATCH |
			    (e->nocase ? HS_FLAG_CASELESS : 0);
			ids[nlit] = r->idx;
			nlit++;
		} else
			db->always[na++] = r->idx;
	}
	db->nalways = na;
	if ((rc = port_filter(s, which, db)) != 0)
		goto out;
	if (nlit > 0 && hs_compile_lit_multi(lit, flags, ids, len, nlit,
	    HS_MODE_BLOCK, NULL, &db->db, &cerr) != HS_SUCCESS) {
		mamori_seterr(err, errlen, "signatures: Vectorscan: %s",
		    cerr != NULL ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		db->db = NULL;
		rc = MAMORI_ENOMEM;
	}
out:
	free(lit);
	free(len);
	free(flags);
	free(ids);
	return rc;
}

int
sig_db_build(struct net_sigset *s, char *err, size_t errlen)
{
	const char *no = getenv("MAMORI_NO_PREFILTER");
	int use_hs, rc;
	uint32_t i;

	/* MAMORI_NO_PREFILTER=1: every rule is verified on every buffer
	 * (for comparing; the result must be the same). */
	use_hs = hs_valid_platform() == HS_SUCCESS &&
	    !(no != NULL && strcmp(no, "1") == 0);
	for (i = 0; i < s->n; i++)
		if (s->rules[i].mode == SIG_MODE_STREAM)
			s->has_stream = 1;
	rc = db_build(s, -1, &s->stream, use_hs, err, errlen);
	for (i = 0; i < SIG_PC_N && rc == 0; i++)
		rc = db_build(s, (int)i, &s->pkt[i], use_hs, err, errlen);
	if (rc == MAMORI_ENOMEM && err != NULL && err[0] == '\0')
		mamori_seterr(err, errlen, "signatures: out of memory");
	return rc;
}

void
sig_db_free(struct net_sigset *s)
{
	struct sig_db *dbs[SIG_PC_N + 1] = { &s->pkt[0], &s->pkt[1],
	    &s->pkt[2], &s->pkt[3], &s->stream };
	int i;

	for (i = 0; i < SIG_PC_N + 1; i++) {
		if (dbs[i]->db != NULL)
			hs_free_database(dbs[i]->db);
		free(dbs[i]->always);
		free(dbs[i]->dports);
		free(dbs[i]->bports);
		memset(dbs[i], 0, sizeof(*dbs[i]));
	}
}

/* ---------------------------------------------------------------------
 * Context.
 */
struct thr_slot {
	uint32_t	 rule;		/* rule index + 1; 0: empty */
	uint32_t	 count;
	int64_t		 t0;
	struct net_addr	 a, b;
};

struct pend {
	uint32_t	 rule;
	uint8_t		 swapped;	/* the data went the other way */
};

/* One buffer to verify rules on. */
struct sbuf {
	const uint8_t	*p;
	uint32_t	 len;
	uint32_t	 newoff;	/* stream: new bytes start here */
	uint64_t	 base;		/* stream offset of p[0] */
	int		 need_new;	/* stream: the match must reach new
					   bytes */
	int		 dir;		/* direction of the data */
};

struct net_sig_ctx {
	const struct net_sigset *s;
	struct net_sig_conf conf;
	hs_scratch_t	*scratch;
	uint32_t	*cand;		/* candidates of one scan */
	uint32_t	 ncand;
	uint64_t	*candbits;	/* the same as a bitmap, for sorting */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack	*jstack;
	struct thr_slot	*thr;
	uint32_t	 thr_mask;
	struct net_stream_mem *mem;
	struct pend	 pend[SIG_MAX_PEND];
	int		 npend;
	int		 passed;
	int		 budget;
	struct net_sig_stats st;
	/* The packet being matched. */
	const struct net_pkt *p;
	struct net_flow	*f;
	int		 dir;
	struct net_stream *stream;
};

void
net_sig_conf_init(struct net_sig_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->stream_window = 4096;
	c->stream_ooo = 16384;
	c->stream_memcap = (size_t)128 << 20;
	c->threshold_slots = 16384;
}

struct net_sig_ctx *
net_sig_ctx_new(const struct net_sigset *s)
{
	struct net_sig_conf c;

	net_sig_conf_init(&c);
	return net_sig_ctx_new_conf(s, &c);
}

struct net_sig_ctx *
net_sig_ctx_new_conf(const struct net_sigset *s, const struct net_sig_conf *conf)
{
	struct net_sig_ctx *c;
	uint32_t slots = 64;
	int i;

	if (s == NULL || conf == NULL || (c = mem_calloc_lines(sizeof(*c))) ==
	    NULL)
		return NULL;
	c->s = s;
	c->conf = *conf;
	if (c->conf.stream_window < 256)
		c->conf.stream_window = 256;
	if (c->conf.stream_window > (1u << 20))
		c->conf.stream_window = 1u << 20;
	if (c->conf.stream_ooo > (1u << 20))
		c->conf.stream_ooo = 1u << 20;
	while (slots < conf->threshold_slots && slots < (1u << 24))
		slots <<= 1;
	c->conf.threshold_slots = slots;
	c->thr_mask = slots - 1;
	for (i = 0; i < SIG_PC_N; i++)
		if (s->pkt[i].db != NULL && hs_alloc_scratch(s->pkt[i].db,
		    &c->scratch) != HS_SUCCESS)
			goto fail;
	if (s->stream.db != NULL && hs_alloc_scratch(s->stream.db,
	    &c->scratch) != HS_SUCCESS)
		goto fail;
	/* What the reader thread writes as it matches, on lines of its
	 * own (mem_calloc_lines()), like c itself. */
	if ((c->cand = mem_calloc_lines((s->n > 0 ? s->n : 1) *
	    sizeof(*c->cand))) == NULL || (c->candbits = mem_calloc_lines(
	    ((s->n + 63) / 64 + 1) * sizeof(*c->candbits))) == NULL)
		goto fail;
	if ((c->md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (c->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (c->jstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024,
	    NULL)) == NULL)
		goto fail;
	pcre2_jit_stack_assign(c->mctx, NULL, c->jstack);
	pcre2_set_match_limit(c->mctx, SIG_PCRE_MATCH_LIMIT);
	if ((c->thr = calloc(slots, sizeof(*c->thr))) == NULL)
		goto fail;
	if ((c->mem = mem_calloc_lines(sizeof(*c->mem))) == NULL)
		goto fail;
	c->mem->cap = c->conf.stream_memcap;
	c->mem->refs = 1;
	c->mem->keep_spare = 1;
	return c;
fail:
	net_sig_ctx_free(c);
	return NULL;
}

void
net_sig_ctx_free(struct net_sig_ctx *c)
{
	if (c == NULL)
		return;
	if (c->scratch != NULL)
		hs_free_scratch(c->scratch);
	free(c->cand);
	free(c->candbits);
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jstack);
	free(c->thr);
	net_stream_mem_unref(c->mem);
	free(c);
}

void
net_sig_ctx_stats(const struct net_sig_ctx *c, struct net_sig_stats *st)
{
	*st = c->st;
	st->stream_gaps = c->mem->gaps;
	st->stream_ooo = c->mem->ooo;
	st->stream_memcap = c->mem->refused;
	st->stream_mem = c->mem->used;
}

/* ---------------------------------------------------------------------
 * Header tests.
 */
static int
addr_in(const struct sig_anode *n, const struct net_addr *a)
{
	int r;

	switch (n->kind) {
	case SIG_AN_ANY:
		r = 1;
		break;
	case SIG_AN_CIDR: {
		unsigned full = n->prefix / 8, rest = n->prefix % 8;

		r = a->family == n->family && memcmp(a->a, n->a, full) == 0 &&
		    (rest == 0 || ((a->a[full] ^ n->a[full]) &
		    (uint8_t)(0xff00u >> rest)) == 0);
		break;
	}
	default: {
		uint32_t i;
		int pos = 0, hit = 0;

		r = 1;
		for (i = 0; i < n->n; i++) {
			const struct sig_anode *k = &n->kids[i];

			/* A negated element's own test, without its '!'. */
			if (k->neg) {
				struct sig_anode tmp = *k;

				tmp.neg = 0;
				if (addr_in(&tmp, a)) {
					r = 0;
					break;
				}
				continue;
			}
			pos = 1;
			if (!hit && addr_in(k, a))
				hit = 1;
		}
		if (r && pos && !hit)
			r = 0;
	}
	}
	return n->neg ? !r : r;
}

static int
addr_ok(const struct sig_anode *n, const struct net_addr *a)
{
	return n == NULL || addr_in(n, a);
}

static int
is_http(const struct net_sig_ctx *c, uint16_t sport, uint16_t dport)
{
	int app = net_stream_app(c->stream);

	if (app == NET_STREAM_APP_HTTP)
		return 1;
	if (app == NET_STREAM_APP_OTHER)
		return 0;
	return sig_ports_has(c->s->http_ports, sport) ||
	    sig_ports_has(c->s->http_ports, dport);
}

static int
hdr_ok(const struct net_sig_ctx *c, const struct sig_rule *r, int swapped)
{
	const struct net_pkt *p = c->p;
	const struct net_addr *src = swapped ? &p->dst : &p->src;
	const struct net_addr *dst = swapped ? &p->src : &p->dst;
	uint16_t sp = swapped ? p->dport : p->sport;
	uint16_t dp = swapped ? p->sport : p->dport;

	switch (r->proto) {
	case SIG_P_IP:
		break;
	case SIG_P_TCP:
		if (p->proto != NET_P_TCP || p->l4 == NULL)
			return 0;
		break;
	case SIG_P_HTTP:
		if (p->proto != NET_P_TCP || p->l4 == NULL ||
		    !is_http(c, sp, dp))
			return 0;
		break;
	case SIG_P_UDP:
		if (p->proto != NET_P_UDP || p->l4 == NULL)
			return 0;
		break;
	case SIG_P_ICMP:
		if ((p->proto != NET_P_ICMP && p->proto != NET_P_ICMP6) ||
		    p->l4 == NULL)
			return 0;
		break;
	}
	if (addr_ok(r->src, src) && addr_ok(r->dst, dst) &&
	    sig_ports_has(r->sp, sp) && sig_ports_has(r->dp, dp))
		return 1;
	return r->bidir && addr_ok(r->src, dst) && addr_ok(r->dst, src) &&
	    sig_ports_has(r->sp, dp) && sig_ports_has(r->dp, sp);
}

static int
flow_established(const struct net_flow *f)
{
	if (f->proto == NET_P_TCP)
		return f->established;
	return f->orig_pkts > 0 && f->resp_pkts > 0;
}

static int
flow_ok(const struct net_sig_ctx *c, const struct sig_rule *r, int dir)
{
	const struct net_flow *f = c->f;

	if (r->flow == 0)
		return 1;
	if (f == NULL)
		return !(r->flow & (SIG_FLOW_TO_SERVER | SIG_FLOW_TO_CLIENT |
		    SIG_FLOW_ESTABLISHED));
	if ((r->flow & SIG_FLOW_TO_SERVER) && dir != 0)
		return 0;
	if ((r->flow & SIG_FLOW_TO_CLIENT) && dir != 1)
		return 0;
	if ((r->flow & SIG_FLOW_ESTABLISHED) && !flow_established(f))
		return 0;
	if ((r->flow & SIG_FLOW_NOT_EST) && flow_established(f))
		return 0;
	return 1;
}

/* Suricata's FlagsMatch (detect-tcp-flags.c). */
static int
flags_ok(const struct sig_rule *r, uint8_t pflags)
{
	uint8_t fl = pflags & r->flags_mask;

	if (r->flags == 0 && pflags != 0)
		return r->flags_mod == SIG_FLAGS_NOT;
	switch (r->flags_mod) {
	case SIG_FLAGS_ANY:
		return (fl & r->flags) != 0;
	case SIG_FLAGS_PLUS:
		return (fl & r->flags) == r->flags;
	case SIG_FLAGS_NOT:
		return (fl & r->flags) != r->flags;
	default:
		return fl == r->flags;
	}
}

static int
num_ok(const struct sig_num *n, uint32_t v)
{
	switch (n->op) {
	case SIG_NUM_EQ: return v == n->a;
	case SIG_NUM_NE: return v != n->a;
	case SIG_NUM_LT: return v < n->a;
	case SIG_NUM_LE: return v <= n->a;
	case SIG_NUM_GT: return v > n->a;
	case SIG_NUM_GE: return v >= n->a;
	case SIG_NUM_RANGE: return v > n->a && v < n->b;
	default: return v <= n->a || v >= n->b;
	}
}

/* ---------------------------------------------------------------------
 * Payload options.
 */
static inline uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The first place in h[lo..hi) where e's content lies whole, or -1. */
static long
find(const struct sig_elem *e, const uint8_t *h, uint32_t lo, uint32_t hi)
{
	const uint8_t *pat = e->pat;
	uint32_t n = e->len, i;

	if (hi < lo || hi - lo < n)
		return -1;
	if (!e->nocase) {
		const uint8_t *m = memmem(h + lo, hi - lo, pat, n);

		return m != NULL ? (long)(m - h) : -1;
	}
	for (i = lo; i + n <= hi; i++) {
		uint32_t k;

		if (lower(h[i]) != pat[0])
			continue;
		for (k = 1; k < n && lower(h[i + k]) == pat[k]; k++)
			;
		if (k == n)
			return (long)i;
	}
	return -1;
}

/* The range [*lo, *hi) of b where element e may match after a match
 * ending at prev_end.  Returns 0 when it is empty. */
static int
region(const struct sig_elem *e, const struct sbuf *b, uint32_t prev_end,
    uint32_t *lo, uint32_t *hi)
{
	if (e->kind == SIG_EL_PCRE) {
		*lo = e->relative ? prev_end : 0;
		*hi = b->len;
		return *lo <= *hi;
	}
	if (e->relative) {
		int64_t start = (int64_t)prev_end + e->distance;
		int64_t end = b->len;

		if (start < 0)
			start = 0;
		if (e->has_within && (int64_t)prev_end + e->distance +
		    e->within < end)
			end = (int64_t)prev_end + e->distance + e->within;
		if (end < start || end - start < e->len)
			return 0;
		*lo = (uint32_t)start;
		*hi = (uint32_t)end;
		return 1;
	} else {
		uint64_t alo = e->offset, ahi = UINT64_MAX;

		if (e->has_depth)
			ahi = (uint64_t)e->offset + e->depth;
		if (ahi <= b->base)
			return 0;
		*lo = alo > b->base ? (alo - b->base > b->len ? b->len :
		    (uint32_t)(alo - b->base)) : 0;
		*hi = ahi - b->base < b->len ? (uint32_t)(ahi - b->base) :
		    b->len;
		return *hi >= *lo && *hi - *lo >= e->len;
	}
}

/* Whether another place for element i can change the outcome. */
static int
retry_useful(const struct sig_rule *r, uint32_t i, const struct sbuf *b)
{
	return b->need_new || (i + 1 < r->nelem && r->elem[i + 1].relative);
}

/* Runs pcre e on b[lo..hi) from start (relative pcre: on the bytes from
 * lo only, as Suricata does, so ^ anchors there).  Returns 1 with the
 * match in [*ms, *me), else 0. */
static int
pcre_at(struct net_sig_ctx *c, const struct sig_elem *e, const struct sbuf *b,
    uint32_t lo, uint32_t hi, uint32_t start, uint32_t *ms, uint32_t *me)
{
	const uint8_t *subj = e->relative ? b->p + lo : b->p;
	size_t slen = e->relative ? hi - lo : hi;
	size_t so = e->relative ? start - lo : start;
	PCRE2_SIZE *ov;
	int rc;

	if (so > slen)
		return 0;
	rc = pcre2_match(e->re, subj != NULL ? subj : (const uint8_t *)"",
	    slen, so, 0, c->md, c->mctx);
	if (rc < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(c->md);
	if (ov[0] > slen || ov[1] > slen)
		return 0;
	*ms = (uint32_t)ov[0] + (e->relative ? lo : 0);
	*me = (uint32_t)(ov[1] > ov[0] ? ov[1] : ov[0]) + (e->relative ? lo : 0);
	return 1;
}

/*
 * Whether elements i.. of r match b after a match ending at prev_end,
 * maxend being the furthest end of the positive matches so far.
 */
static int
payload_from(struct net_sig_ctx *c, const struct sig_rule *r,
    const struct sbuf *b, uint32_t i, uint32_t prev_end, uint32_t maxend)
{
	const struct sig_elem *e;
	uint32_t lo, hi, from, ms, me;

	if (i == r->nelem)
		return !b->need_new || maxend > b->newoff;
	e = &r->elem[i];
	if (!region(e, b, prev_end, &lo, &hi))
		return e->neg ? payload_from(c, r, b, i + 1, prev_end, maxend) :
		    0;
	if (--c->budget < 0)
		return 0;
	if (e->neg) {
		int found = e->kind == SIG_EL_CONTENT ? find(e, b->p, lo, hi) >= 0 :
		    pcre_at(c, e, b, lo, hi, lo, &ms, &me);

		return found ? 0 : payload_from(c, r, b, i + 1, prev_end,
		    maxend);
	}
	for (from = lo; ; from = ms + 1) {
		if (e->kind == SIG_EL_CONTENT) {
			long m = find(e, b->p, from, hi);

			if (m < 0)
				return 0;
			ms = (uint32_t)m;
			me = ms + e->len;
		} else if (!pcre_at(c, e, b, lo, hi, from, &ms, &me))
			return 0;
		if (payload_from(c, r, b, i + 1, me, me > maxend ? me : maxend))
			return 1;
		if (c->budget < 0 || !retry_useful(r, i, b) || ms >= hi)
			return 0;
		if (--c->budget < 0)
			return 0;
	}
}

/* ---------------------------------------------------------------------
 * Rules.
 */
static void
pend_add(struct net_sig_ctx *c, const struct sig_rule *r, int swapped)
{
	int i;

	if (r->action == SIG_PASS) {
		c->passed = 1;
		return;
	}
	for (i = 0; i < c->npend; i++)
		if (c->pend[i].rule == r->idx)
			return;
	if (c->npend == SIG_MAX_PEND) {
		c->st.suppressed++;
		return;
	}
	c->pend[c->npend].rule = r->idx;
	c->pend[c->npend].swapped = (uint8_t)swapped;
	c->npend++;
}

static uint32_t
payload_size(const struct net_pkt *p)
{
	return p->plen_wire > p->plen ? p->plen_wire : p->plen;
}

static void
eval(struct net_sig_ctx *c, const struct sig_rule *r, const struct sbuf *b)
{
	const struct net_pkt *p = c->p;
	int swapped = b->dir != c->dir;

	c->st.candidates++;
	if (r->nelem > 0 && b->len == 0)
		return;
	if (!hdr_ok(c, r, swapped) || !flow_ok(c, r, b->dir))
		return;
	if (r->has_flags && (p->proto != NET_P_TCP || p->l4 == NULL ||
	    !flags_ok(r, p->tcp_flags)))
		return;
	if (r->dsize.set && !num_ok(&r->dsize, payload_size(p)))
		return;
	if ((r->itype.set || r->icode.set) && ((p->proto != NET_P_ICMP &&
	    p->proto != NET_P_ICMP6) || p->l4 == NULL))
		return;
	if (r->itype.set && !num_ok(&r->itype, p->icmp_type))
		return;
	if (r->icode.set && !num_ok(&r->icode, p->icmp_code))
		return;
	if (r->nelem > 0) {
		c->budget = SIG_BUDGET;
		if (!payload_from(c, r, b, 0, 0, 0)) {
			if (c->budget < 0)
				c->st.budget_exhausted++;
			return;
		}
	}
	c->st.matches++;
	pend_add(c, r, swapped);
}

static int
on_hs(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct net_sig_ctx *c = arg;

	(void)from;
	(void)to;
	(void)flags;
	if (c->ncand < c->s->n)
		c->cand[c->ncand++] = id;
	return 0;
}

/*
 * Puts the candidates in set order.  Vectorscan reports them in the
 * order their literals end; a few are sorted by insertion, many through
 * the bitmap (O(rules / 64) words), without qsort(), which may allocate.
 */
static void
cand_sort(struct net_sig_ctx *c)
{
	uint32_t i, j, n = c->ncand, lo = UINT32_MAX, hi = 0, w;

	if (n <= 32) {
		for (i = 1; i < n; i++) {
			uint32_t v = c->cand[i];

			for (j = i; j > 0 && c->cand[j - 1] > v; j--)
				c->cand[j] = c->cand[j - 1];
			c->cand[j] = v;
		}
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t id = c->cand[i];

		c->candbits[id >> 6] |= (uint64_t)1 << (id & 63);
		if (id >> 6 < lo)
			lo = id >> 6;
		if (id >> 6 > hi)
			hi = id >> 6;
	}
	for (n = 0, w = lo; w <= hi; w++) {
		uint64_t bits = c->candbits[w];

		c->candbits[w] = 0;
		while (bits != 0) {
			int b = __builtin_ctzll(bits);

			c->cand[n++] = w * 64 + (uint32_t)b;
			bits &= bits - 1;
		}
	}
}

/* A stream direction's window now starts at base: what earlier scans
 * found before it is gone. */
static void
carry_expire(struct net_stream_carry *k, uint64_t base)
{
	uint32_t i, n = 0;

	for (i = 0; i < k->n; i++)
		if (k->until[i] > base) {
			k->until[n] = k->until[i];
			k->rule[n++] = k->rule[i];
		}
	k->n = n;
}

/*
 * After a scan of a window ending at stream offset end: what it found
 * (c->cand) may lie anywhere up to end, and is remembered so; what
 * earlier scans found and may still be in the window joins the
 * candidates.  Candidates are verified in full, so more of them than
 * needed costs time, never a result.
 */
static void
carry_merge(struct net_sig_ctx *c, struct net_stream_carry *k, uint64_t end)
{
	uint32_t nfound = c->ncand, i, j;

	for (i = 0; i < nfound; i++) {
		for (j = 0; j < k->n && k->rule[j] != c->cand[i]; j++)
			;
		if (j < k->n)
			k->until[j] = end;
		else if (k->n < NET_STREAM_CARRY) {
			k->rule[k->n] = c->cand[i];
			k->until[k->n++] = end;
		} else
			k->full_until = end;	/* no room: scan it all */
	}
	for (j = 0; j < k->n; j++) {
		for (i = 0; i < nfound && c->cand[i] != k->rule[j]; i++)
			;
		if (i == nfound && c->ncand < c->s->n)
			c->cand[c->ncand++] = k->rule[j];
	}
}

/* Verifies db's candidates for b and its always-rules, in set order.
 * carry: b is a stream window update (NULL: a packet). */
static void
run(struct net_sig_ctx *c, const struct sig_db *db, const struct sbuf *b,
    struct net_stream_carry *carry)
{
	const struct sig_rule *rules = c->s->rules;
	uint32_t i = 0, j = 0;

	/* Nothing to scan, nothing to verify without a literal: most
	 * packets of a flood carry no payload. */
	if (db->nrules == 0 || (db->nalways == 0 && (db->db == NULL ||
	    b->len == 0)))
		return;
	if (db->dports != NULL) {
		/* The ports as hdr_ok() takes them for this buffer. */
		const struct net_pkt *p = c->p;
		int sw = b->dir != c->dir;
		uint16_t sp = sw ? p->dport : p->sport;
		uint16_t dp = sw ? p->sport : p->dport;

		if (!port_bit(db->dports, dp) && (db->bports == NULL ||
		    !port_bit(db->bports, sp)))
			return;		/* no rule's header can pass */
	}
	c->ncand = 0;
	if (db->db != NULL && b->len > 0) {
		uint32_t from = 0;

		/* A window update: literals that end in the new bytes are
		 * in b->p[from..]; the others were found by the scans that
		 * brought them, and carry says which. */
		if (carry != NULL) {
			carry_expire(carry, b->base);
			if (b->base >= carry->full_until && db->maxlit > 0)
				from = b->newoff > db->maxlit - 1 ?
				    b->newoff - (db->maxlit - 1) : 0;
		}
		c->st.scans++;
		(void)hs_scan(db->db, (const char *)b->p + from, b->len - from,
		    0, c->scratch, on_hs, c);
		if (carry != NULL)
			carry_merge(c, carry, b->base + b->len);
		if (c->ncand > 1)
			cand_sort(c);
	}
	while (i < db->nalways || j < c->ncand) {
		uint32_t idx;

		if (j == c->ncand || (i < db->nalways &&
		    db->always[i] < c->cand[j]))
			idx = db->always[i++];
		else
			idx = c->cand[j++];
		eval(c, &rules[idx], b);
	}
}

static void
on_stream(void *arg, int dir, const uint8_t *win, uint32_t wlen,
    uint32_t newoff, uint64_t base)
{
	struct net_sig_ctx *c = arg;
	struct sbuf b;

	c->st.stream_updates++;
	b.p = win;
	b.len = wlen;
	b.newoff = newoff;
	b.base = base;
	b.need_new = 1;
	b.dir = dir;
	run(c, &c->s->stream, &b, net_stream_carry(c->stream, dir));
}

static void
on_stream_none(void *arg, int dir, const uint8_t *win, uint32_t wlen,
    uint32_t newoff, uint64_t base)
{
	(void)arg;
	(void)dir;
	(void)win;
	(void)wlen;
	(void)newoff;
	(void)base;
}

/* Threshold and detection_filter (Suricata's semantics, detect-engine-
 * threshold.c): whether r alerts now; *count gets the hits counted. */
static int
thr_pass(struct net_sig_ctx *c, const struct sig_rule *r,
    const struct net_addr *src, const struct net_addr *dst, uint64_t *count)
{
	const struct sig_thr *t = &r->thr;
	int64_t now = c->p->ts_ns, win = (int64_t)t->seconds * 1000000000LL;
	struct net_addr a, b;
	struct thr_slot *e = NULL, *victim = NULL;
	uint32_t h = 2166136261u, k;
	int alert = 0, fresh;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (t->track == SIG_TRACK_SRC || t->track == SIG_TRACK_BOTH)
		a = *src;
	if (t->track == SIG_TRACK_DST)
		a = *dst;
	if (t->track == SIG_TRACK_BOTH)
		b = *dst;
	h = (h ^ r->idx) * 16777619u;
	h = net_addr_hash(&a, h);
	h = net_addr_hash(&b, h);
	for (k = 0; k < THR_PROBE; k++) {
		struct thr_slot *s = &c->thr[(h + k) & c->thr_mask];

		if (s->rule == r->idx + 1 && net_addr_eq(&s->a, &a) &&
		    net_addr_eq(&s->b, &b)) {
			e = s;
			break;
		}
		if (s->rule == 0) {
			if (victim == NULL || victim->rule != 0)
				victim = s;
		} else if (victim == NULL || (victim->rule != 0 &&
		    s->t0 < victim->t0))
			victim = s;
	}
	if (e == NULL) {
		e = victim;
		if (e->rule != 0) {
			const struct sig_rule *o = &c->s->rules[e->rule - 1];

			if (now - e->t0 < (int64_t)o->thr.seconds *
			    1000000000LL)
				c->st.threshold_evicted++;
		}
		memset(e, 0, sizeof(*e));
		e->rule = r->idx + 1;
		e->a = a;
		e->b = b;
		fresh = 1;
	} else
		fresh = now - e->t0 >= win;
	if (fresh) {
		e->t0 = now;
		e->count = 0;
	}
	e->count++;
	*count = e->count;
	switch (t->type) {
	case SIG_THR_LIMIT:
		alert = e->count <= t->count;
		break;
	case SIG_THR_THRESHOLD:
		if (e->count >= t->count) {
			alert = 1;
			e->count = 0;
		}
		break;
	case SIG_THR_BOTH:
		alert = e->count == t->count;
		break;
	default:	/* detection_filter: every match after the count-th */
		alert = e->count > t->count;
		break;
	}
	if (e->count == 0xffffffffu)
		e->count--;
	return alert;
}

static void
emit(struct net_sig_ctx *c, net_detect_cb *cb, void *arg)
{
	const struct net_pkt *p = c->p;
	int i;

	if (c->passed) {
		c->st.suppressed += (uint64_t)c->npend;
		return;
	}
	for (i = 0; i < c->npend; i++) {
		const struct sig_rule *r = &c->s->rules[c->pend[i].rule];
		int sw = c->pend[i].swapped;
		struct net_detection d;
		uint64_t count = 1;

		if (r->thr.set && !thr_pass(c, r, sw ? &p->dst : &p->src,
		    sw ? &p->src : &p->dst, &count)) {
			c->st.suppressed++;
			continue;
		}
		memset(&d, 0, sizeof(d));
		d.kind = "signature";
		d.type = r->classtype;
		d.ts_ns = d.first_ns = p->ts_ns;
		d.src = sw ? p->dst : p->src;
		d.dst = sw ? p->src : p->dst;
		if (p->proto == NET_P_TCP || p->proto == NET_P_UDP) {
			d.sport = sw ? p->dport : p->sport;
			d.dport = sw ? p->sport : p->dport;
		}
		d.proto = p->proto;
		d.count = count;
		d.targets = 1;
		d.ports = d.dport != 0;
		d.sid = r->sid;
		d.severity = 4 - r->priority;
		if (d.severity < 1)
			d.severity = 1;
		snprintf(d.text, sizeof(d.text), "%s", r->msg);
		c->st.alerts++;
		if (cb != NULL)
			cb(arg, &d);
	}
}

void
net_sig_packet(struct net_sig_ctx *c, const struct net_pkt *p,
    struct net_flow *f, int dir, net_detect_cb *cb, void *arg)
{
	const struct net_sigset *s;
	const struct sig_db *db;
	struct sbuf b;
	int tcp;

	if (c == NULL || p == NULL || p->ipver == 0)
		return;
	s = c->s;
	c->st.packets++;
	c->p = p;
	c->f = f;
	c->dir = dir & 1;
	c->npend = 0;
	c->passed = 0;
	c->stream = NULL;
	tcp = p->proto == NET_P_TCP && p->l4 != NULL;

	if (tcp && f != NULL && (s->has_stream || s->has_http)) {
		struct net_stream *st = (struct net_stream *)(void *)
		    f->ext[NET_FLOW_EXT_STREAM];

		/* The stream is made at the first payload, from what the
		 * flow's SYNs and acknowledgements taught before (kept in
		 * the flow: most TCP flows of a flood or a scan carry no
		 * data, and then cost no allocation).  Tracking starts at
		 * the first SYN or payload. */
		if (st == NULL) {
			if (p->plen > 0 && (st = net_stream_new(c->mem,
			    c->conf.stream_window, c->conf.stream_ooo)) !=
			    NULL) {
				if (f->sig_started)
					net_stream_start(st, f->sig_seq);
				f->ext[NET_FLOW_EXT_STREAM] =
				    (struct net_flow_ext *)(void *)st;
			} else if (p->plen == 0 && (f->sig_started ||
			    (p->tcp_flags & NET_TH_SYN))) {
				f->sig_started = 1;
				net_stream_pre(f->sig_seq, c->mem, c->dir, p);
			}
		}
		c->stream = st;
	}
	memset(&b, 0, sizeof(b));
	b.p = p->payload;
	b.len = p->payload != NULL ? p->plen : 0;
	b.dir = c->dir;
	if (tcp && s->has_stream) {
		int untracked = 1;

		if (c->stream != NULL)
			untracked = net_stream_packet(c->stream, c->dir, p,
			    on_stream, c) != 0;
		if (untracked && b.len > 0)
			run(c, &s->stream, &b, NULL);
	} else if (tcp && c->stream != NULL)
		(void)net_stream_packet(c->stream, c->dir, p, on_stream_none,
		    c);
	db = &s->pkt[tcp ? SIG_PC_TCP : p->proto == NET_P_UDP && p->l4 ?
	    SIG_PC_UDP : (p->proto == NET_P_ICMP || p->proto == NET_P_ICMP6) &&
	    p->l4 ? SIG_PC_ICMP : SIG_PC_OTHER];
	/* run()'s own first test, here: most packets of a flood have no
	 * payload, and the call is most of what they would cost. */
	if (db->nalways > 0 || (db->db != NULL && b.len > 0))
		run(c, db, &b, NULL);
	if (c->npend > 0)
		emit(c, cb, arg);
}
