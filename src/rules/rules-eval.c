/*
 * rules-eval.c - phase 3: walking the rule tree for one decoded event,
 * and the correlation state rules keep between events.
 *
 * The walk is OSSEC's: for each top-level rule of the event's category,
 * a depth-first search where the first matching descendant wins; a rule
 * marked noalert passes through when no child matches; a level-0 rule
 * matches and stops without an alert.
 *
 * Correlation (frequency, timeframe, if_matched_sid/_group/_regex) keeps,
 * per context, lists of recent alerted events: one per rule that an
 * if_matched_sid names, one per if_matched_group rule, and one of every
 * alerted event.  Each list is a ring of bounded size, so memory is
 * bounded whatever the traffic; the oldest entries go first.  Counting
 * follows Wazuh 4.x: a rule with frequency="N" fires on the Nth event
 * (OSSEC 2.x fired on the N+2nd), and events already consumed by a
 * correlation are passed over only after the same_* filters, so one
 * attacker's alerts do not hide another's.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "core/error.h"
#include "rules/rules-int.h"

/* An alerted event as correlation remembers it. */
struct centry {
	int		 refs;
	int64_t		 t;
	int		 matched;	/* level of the correlation that
					   consumed it, 0: none */
	int		 type;
	const char	*srcip, *dstip, *srcport, *dstport, *user, *id,
			*url, *hostname, *log;
	const char	*f[RULES_F_NFIXED];	/* every fixed field */
	const char	*location;
	int		 ndyn;		/* dynamic fields, for same_field */
	const char	**dyn;		/* name, value pairs in buf */
	char		 buf[];
};

/*
 * A correlation list: a ring of the newest entries, and chains through
 * it by source address, so that a same_source_ip rule walks only the
 * entries of its source instead of every entry in the window (a flood
 * from many sources made that walk the cost of every event).  A link
 * names a slot and the sequence number the entry there had; an entry
 * overwritten since ends the chain.
 */
struct rules_corr {
	struct centry	**v;
	uint64_t	*vseq;		/* sequence number of each slot */
	int		*link;		/* older slot of the same source */
	uint64_t	*linkseq;
	int		*bucket;	/* newest slot per source hash */
	uint64_t	*bucketseq;
	int		 nbuckets;	/* a power of 2 */
	int		 cap, head, n;	/* head: next slot to write */
	uint64_t	 seq;
};

#define FTS_MAX		65536
#define DIFF_MAX	4096
#define IGNORE_MAX	4096

/* A bounded set of strings with FIFO eviction (FTS, ignore list). */
struct rules_fts {
	char		**ring;
	int		 cap, head, n;
	char		**tab;		/* open addressing, 2 x cap */
	int		 tabcap;
};

struct rules_diff {
	char		**key;		/* "host rule" */
	char		**last;
	int		 n, cap;
};

static void
centry_put(struct centry *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

int
rules_corr_init(struct rules_corr *c, int cap)
{
	memset(c, 0, sizeof(*c));
	for (c->nbuckets = 16; c->nbuckets < cap; c->nbuckets *= 2)
		;
	c->v = calloc((size_t)cap, sizeof(*c->v));
	c->vseq = calloc((size_t)cap, sizeof(*c->vseq));
	c->link = calloc((size_t)cap, sizeof(*c->link));
	c->linkseq = calloc((size_t)cap, sizeof(*c->linkseq));
	c->bucket = calloc((size_t)c->nbuckets, sizeof(*c->bucket));
	c->bucketseq = calloc((size_t)c->nbuckets, sizeof(*c->bucketseq));
	c->cap = cap;
	if (c->v == NULL || c->vseq == NULL || c->link == NULL ||
	    c->linkseq == NULL || c->bucket == NULL || c->bucketseq == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
rules_corr_release(struct rules_corr *c)
{
	int i;

	if (c->v == NULL)
		return;
	for (i = 0; i < c->cap; i++)
		centry_put(c->v[i]);
	free(c->v);
	free(c->vseq);
	free(c->link);
	free(c->linkseq);
	free(c->bucket);
	free(c->bucketseq);
	c->v = NULL;
}

static uint32_t strhash(const char *s);

static void
corr_add(struct rules_corr *c, struct centry *e)
{
	int slot = c->head, b;

	if (c->v == NULL)
		return;
	centry_put(c->v[slot]);
	c->v[slot] = e;
	e->refs++;
	c->vseq[slot] = ++c->seq;
	c->linkseq[slot] = 0;
	if (e->srcip != NULL) {
		b = (int)(strhash(e->srcip) & (uint32_t)(c->nbuckets - 1));
		c->link[slot] = c->bucket[b];
		c->linkseq[slot] = c->bucketseq[b];
		c->bucket[b] = slot;
		c->bucketseq[b] = c->seq;
	}
	c->head = (c->head + 1) % c->cap;
	if (c->n < c->cap)
		c->n++;
}

/* Walks a list newest first: every entry, or those of one source. */
struct citer {
	const struct rules_corr *c;
	int		 i;		/* whole list: entries seen */
	int		 chained;
	int		 slot;
	uint64_t	 seq;
};

static void
citer_init(struct citer *it, const struct rules_corr *c, const char *srcip)
{
	int b;

	memset(it, 0, sizeof(*it));
	it->c = c;
	if (srcip != NULL) {
		b = (int)(strhash(srcip) & (uint32_t)(c->nbuckets - 1));
		it->chained = 1;
		it->slot = c->bucket[b];
		it->seq = c->bucketseq[b];
	}
}

static struct centry *corr_at(const struct rules_corr *c, int i);

static struct centry *
citer_next(struct citer *it)
{
	const struct rules_corr *c = it->c;
	struct centry *e;

	if (!it->chained)
		return it->i < c->n ? corr_at(c, it->i++) : NULL;
	if (it->seq == 0 || c->vseq[it->slot] != it->seq)
		return NULL;
	e = c->v[it->slot];
	it->seq = c->linkseq[it->slot];
	it->slot = c->link[it->slot];
	return e;
}

/* The i-th newest entry (0: newest). */
static struct centry *
corr_at(const struct rules_corr *c, int i)
{
	return c->v[(c->head - 1 - i + 2 * c->cap) % c->cap];
}

static const char *
user_of(const struct rules_ev *ev)
{
	return ev->fields[RULES_F_DSTUSER] != NULL ?
	    ev->fields[RULES_F_DSTUSER] : ev->fields[RULES_F_SRCUSER];
}

/* A copy of what correlation may compare: every fixed field, the
 * host, location and log, and the dynamic fields. */
static struct centry *
centry_new(const struct rules_ev *ev, int matched)
{
	const char *src[RULES_F_NFIXED + 3];
	const char **dst[RULES_F_NFIXED + 3];
	struct centry *e;
	size_t len = 0, l;
	int i, n = RULES_F_NFIXED + 3;
	char *p;

	for (i = 0; i < RULES_F_NFIXED; i++)
		src[i] = ev->fields[i];
	src[RULES_F_NFIXED] = ev->hostname;
	src[RULES_F_NFIXED + 1] = ev->log;
	src[RULES_F_NFIXED + 2] = ev->location;
	for (i = 0; i < n; i++)
		if (src[i] != NULL)
			len += strlen(src[i]) + 1;
	for (i = 0; i < ev->ndyn; i++)
		len += strlen(ev->dyn[i].name) + strlen(ev->dyn[i].value) + 2;
	/* The pointer table after the strings, aligned. */
	len = (len + 7) & ~(size_t)7;
	if ((e = calloc(1, sizeof(*e) + len + (size_t)ev->ndyn * 2 *
	    sizeof(char *))) == NULL)
		return NULL;
	e->dyn = (const char **)(void *)(e->buf + len);
	e->t = ev->now_ns;
	e->matched = matched;
	e->type = ev->dec_type;
	for (i = 0; i < RULES_F_NFIXED; i++)
		dst[i] = &e->f[i];
	dst[RULES_F_NFIXED] = &e->hostname;
	dst[RULES_F_NFIXED + 1] = &e->log;
	dst[RULES_F_NFIXED + 2] = &e->location;
	for (p = e->buf, i = 0; i < n; i++) {
		if (src[i] == NULL)
			continue;
		l = strlen(src[i]);
		memcpy(p, src[i], l + 1);
		*dst[i] = p;
		p += l + 1;
	}
	for (i = 0; i < ev->ndyn; i++) {
		l = strlen(ev->dyn[i].name);
		memcpy(p, ev->dyn[i].name, l + 1);
		e->dyn[2 * i] = p;
		p += l + 1;
		l = strlen(ev->dyn[i].value);
		memcpy(p, ev->dyn[i].value, l + 1);
		e->dyn[2 * i + 1] = p;
		p += l + 1;
	}
	e->ndyn = ev->ndyn;
	e->srcip = e->f[RULES_F_SRCIP];
	e->dstip = e->f[RULES_F_DSTIP];
	e->srcport = e->f[RULES_F_SRCPORT];
	e->dstport = e->f[RULES_F_DSTPORT];
	e->user = e->f[RULES_F_DSTUSER];
	e->id = e->f[RULES_F_ID];
	e->url = e->f[RULES_F_URL];
	return e;
}

static const char *centry_dyn(const struct centry *e, const char *name);

/* A field of the current event and of an earlier one, by name: a fixed
 * field, "location", "hostname", or a dynamic field. */
static void
field_pair(const struct rules_ev *ev, const struct centry *p,
    const char *name, const char **a, const char **b)
{
	int fid = rules_field_by_name(name);

	if (fid >= 0) {
		*a = ev->fields[fid];
		*b = p->f[fid];
	} else if (strcmp(name, "location") == 0) {
		*a = ev->location;
		*b = p->location;
	} else if (strcmp(name, "hostname") == 0) {
		*a = ev->hostname;
		*b = p->hostname;
	} else {
		*a = rules_ev_dyn(ev, name);
		*b = centry_dyn(p, name);
	}
}

static const char *
centry_dyn(const struct centry *e, const char *name)
{
	int i;

	for (i = 0; i < e->ndyn; i++)
		if (strcmp(e->dyn[2 * i], name) == 0)
			return e->dyn[2 * i + 1];
	return NULL;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The same_* / different_* filters against a previous event. */
static int
filters_ok(const struct rules_rule *r, const struct rules_ev *ev,
    const struct centry *p)
{
	if ((r->same & RSAME_ID) && !same(ev->fields[RULES_F_ID], p->id))
		return 0;
	if ((r->same & RSAME_SRCIP) &&
	    !same(ev->fields[RULES_F_SRCIP], p->srcip))
		return 0;
	if ((r->same & RSAME_DSTIP) &&
	    !same(ev->fields[RULES_F_DSTIP], p->dstip))
		return 0;
	if ((r->same & RSAME_SRCPORT) &&
	    !same(ev->fields[RULES_F_SRCPORT], p->srcport))
		return 0;
	if ((r->same & RSAME_DSTPORT) &&
	    !same(ev->fields[RULES_F_DSTPORT], p->dstport))
		return 0;
	if ((r->same & RSAME_USER) &&
	    !same(ev->fields[RULES_F_DSTUSER], p->user))
		return 0;
	if ((r->same & RSAME_LOCATION) && !same(ev->hostname, p->hostname))
		return 0;
	if ((r->same & RDIFF_URL) && (ev->fields[RULES_F_URL] == NULL ||
	    p->url == NULL || strcmp(ev->fields[RULES_F_URL], p->url) == 0))
		return 0;
	if ((r->same & RDIFF_SRCIP) && (ev->fields[RULES_F_SRCIP] == NULL ||
	    p->srcip == NULL || strcmp(ev->fields[RULES_F_SRCIP],
	    p->srcip) == 0))
		return 0;
	if (r->same & (RSAME_FIELD | RDIFF_FIELD)) {
		int i;

		const char *a, *b;

		for (i = 0; i < r->nsame_fields; i++) {
			field_pair(ev, p, r->same_fields[i], &a, &b);
			if (!same(a, b))
				return 0;
		}
		for (i = 0; i < r->ndiff_fields; i++) {
			field_pair(ev, p, r->diff_fields[i], &a, &b);
			if (a == NULL || b == NULL || strcmp(a, b) == 0)
				return 0;
		}
	}
	return 1;
}

/* Whether p counts for r: in the window was checked by the caller. */
static int
counts(struct rules_ctx *ctx, const struct rules_rule *r,
    const struct rules_ev *ev, const struct centry *p)
{
	if (r->search_kind == 2 && (p->type != ev->dec_type ||
	    p->log == NULL || !rules_pat_exec(r->if_matched_regex, ctx->sc,
	    p->log, strlen(p->log), NULL, NULL)))
		return 0;
	if (!filters_ok(r, ev, p))
		return 0;
	return !(p->matched >= r->level && p->matched != 0);
}

/* Whether enough earlier events qualify for r (correlation). */
static int
correlated(struct rules_ctx *ctx, const struct rules_rule *r,
    struct rules_ev *ev, int *consumed)
{
	struct rules_corr *c;
	struct citer it;
	struct centry *p;
	const char *src = NULL;
	int64_t window = (int64_t)r->timeframe * 1000000000LL;
	int count = 0, need = r->frequency > 1 ? r->frequency - 1 : 1;

	if (r->search_kind == 0)
		c = &ctx->sid_lists[r->search_list];
	else if (r->search_kind == 1)
		c = &ctx->group_lists[r->search_list];
	else
		c = ctx->global;
	/* Only the event's own source can pass a same_source_ip rule. */
	if (r->same & RSAME_SRCIP) {
		if ((src = ev->fields[RULES_F_SRCIP]) == NULL)
			return 0;
	}
	citer_init(&it, c, src);
	while ((p = citer_next(&it)) != NULL) {
		if (ev->now_ns - p->t > window)
			return 0;
		if (!counts(ctx, r, ev, p) || ++count < need)
			continue;
		/* Every event counted is used up, so that the next alert
		 * needs as many new ones (Wazuh marks only the last,
		 * which fires again every second event). */
		citer_init(&it, c, src);
		while (count > 0 && (p = citer_next(&it)) != NULL)
			if (counts(ctx, r, ev, p)) {
				p->matched = r->level;
				count--;
			}
		*consumed = r->level;
		return 1;
	}
	return 0;
}

/*
 * IP lists (OSSEC's OS_IPFoundList): a '!' entry turns the list into a
 * negative one from there on; an address in an entry gives "match
 * unless negative so far"; in none gives "match if negative".
 */
static int
ip_in(const struct rules_ip *e, const uint8_t *a, int fam)
{
	int bits = e->bits, i;

	if (e->family == 0)
		return 1;
	if (e->family != fam)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != e->net[i])
			return 0;
	if (bits > 0 && ((a[i] ^ e->net[i]) & (0xff << (8 - bits)) & 0xff))
		return 0;
	return 1;
}

static int
iplist_ok(const struct rules_iplist *l, const char *v)
{
	uint8_t a[16];
	int fam, neg = 0, i, r = -1;

	if (l->n == 0)
		return 1;
	if (v == NULL)
		return 0;
	if (inet_pton(AF_INET, v, a) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, v, a) == 1)
		fam = 6;
	else
		return 0;
	for (i = 0; i < l->n && r < 0; i++) {
		if (l->v[i].negate)
			neg = 1;
		if (ip_in(&l->v[i], a, fam))
			r = !neg;
	}
	if (r < 0)
		r = neg;
	return l->negate ? !r : r;
}

static int
cond_ok(struct rules_ctx *ctx, const struct rules_cond *c, const char *s)
{
	int m;

	if (c->pat == NULL)
		return 1;
	if (s == NULL)
		return 0;
	m = rules_pat_exec(c->pat, ctx->sc, s, strlen(s), NULL, NULL);
	return c->negate ? !m : m;
}

/* A condition on the whole log: the prefilter may already know that the
 * pattern cannot match. */
static int
log_cond_ok(struct rules_ctx *ctx, const struct rules_ev *ev,
    const struct rules_cond *c)
{
	int m;

	if (rules_pf_miss(ctx, ev, c->pf))
		return c->negate;
	m = rules_pat_exec(c->pat, ctx->sc, ev->log, ev->loglen, NULL, NULL);
	return c->negate ? !m : m;
}

/* A condition on a decoded field: fields the decoders took from the log
 * are parts of it, so a pattern whose literal the log lacks cannot match
 * them either (not so after the JSON decoder, which unescapes). */
static int
fcond_ok(struct rules_ctx *ctx, const struct rules_ev *ev,
    const struct rules_cond *c, const char *s)
{
	if (c->pat == NULL)
		return 1;
	if (s == NULL)
		return 0;
	if (ev->pf_fields && rules_pf_miss(ctx, ev, c->pf))
		return c->negate;
	return cond_ok(ctx, c, s);
}

/*
 * Bounded string sets.
 */
static uint32_t
strhash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct rules_fts *
sset_new(int cap)
{
	struct rules_fts *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->cap = cap;
	f->tabcap = cap * 2;
	f->ring = calloc((size_t)cap, sizeof(*f->ring));
	f->tab = calloc((size_t)f->tabcap, sizeof(*f->tab));
	if (f->ring == NULL || f->tab == NULL) {
		free(f->ring);
		free(f->tab);
		free(f);
		return NULL;
	}
	return f;
}

static void
sset_free(struct rules_fts *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->cap; i++)
		free(f->ring[i]);
	free(f->ring);
	free(f->tab);
	free(f);
}

static int
sset_slot(const struct rules_fts *f, const char *s, int *slot)
{
	int i = (int)(strhash(s) % (uint32_t)f->tabcap), k;

	for (k = 0; k < f->tabcap; k++, i = (i + 1) % f->tabcap) {
		if (f->tab[i] == NULL) {
			*slot = i;
			return 0;
		}
		if (strcmp(f->tab[i], s) == 0) {
			*slot = i;
			return 1;
		}
	}
	*slot = -1;
	return 0;
}

static void
sset_rehash(struct rules_fts *f)
{
	int i, slot;

	memset(f->tab, 0, (size_t)f->tabcap * sizeof(*f->tab));
	for (i = 0; i < f->cap; i++)
		if (f->ring[i] != NULL && !sset_slot(f, f->ring[i], &slot) &&
		    slot >= 0)
			f->tab[slot] = f->ring[i];
}

static int
sset_has(const struct rules_fts *f, const char *s)
{
	int slot;

	return sset_slot(f, s, &slot);
}

static void
sset_add(struct rules_fts *f, const char *s)
{
	char *d;
	int slot;

	int i;

	if (sset_slot(f, s, &slot) || (d = strdup(s)) == NULL)
		return;
	if (f->ring[f->head] != NULL) {
		/* Full: forget the oldest half at once and rebuild the
		 * table, so that the cost per key stays constant. */
		for (i = 0; i < f->cap / 2; i++) {
			int k = (f->head + i) % f->cap;

			free(f->ring[k]);
			f->ring[k] = NULL;
		}
		f->n -= f->cap / 2;
		sset_rehash(f);
		(void)sset_slot(f, s, &slot);
	}
	f->ring[f->head] = d;
	f->head = (f->head + 1) % f->cap;
	f->n++;
	if (slot >= 0)
		f->tab[slot] = d;
}

static void
key_add(char *k, size_t klen, const char *v)
{
	size_t l = strlen(k);

	if (v != NULL)
		snprintf(k + l, klen - l, "%s%s", l ? " " : "", v);
}

/* The first-time-seen key of the event (OSSEC's FTS layout). */
static void
fts_key(const struct rules_ev *ev, unsigned sel, char *k, size_t klen)
{
	k[0] = '\0';
	key_add(k, klen, ev->dec != NULL ? ev->dec->shown : "");
	if (sel & RFTS_ID)
		key_add(k, klen, ev->fields[RULES_F_ID]);
	if (sel & RFTS_DSTUSER)
		key_add(k, klen, ev->fields[RULES_F_DSTUSER]);
	if (sel & RFTS_SRCUSER)
		key_add(k, klen, ev->fields[RULES_F_SRCUSER]);
	if (sel & RFTS_SRCIP)
		key_add(k, klen, ev->fields[RULES_F_SRCIP]);
	if (sel & RFTS_DSTIP)
		key_add(k, klen, ev->fields[RULES_F_DSTIP]);
	if (sel & RFTS_DATA)
		key_add(k, klen, ev->fields[RULES_F_DATA]);
	if (sel & RFTS_SYSNAME)
		key_add(k, klen, ev->fields[RULES_F_SYSTEM_NAME]);
	if (sel & RFTS_LOCATION)
		key_add(k, klen, ev->location);
}

/* check_diff: the rule matches when the log differs from the last one
 * this rule saw from this host (never the first time). */
static int
diff_check(struct rules_ctx *ctx, const struct rules_rule *r,
    const struct rules_ev *ev)
{
	struct rules_diff *d = ctx->diff;
	char key[512];
	int i, changed;

	if (d == NULL || ev->loglen >= 8192)
		return 0;
	snprintf(key, sizeof(key), "%s %u", ev->hostname, r->id);
	for (i = 0; i < d->n; i++)
		if (strcmp(d->key[i], key) == 0)
			break;
	if (i < d->n) {
		changed = strcmp(d->last[i], ev->log) != 0;
		if (changed) {
			char *n = strdup(ev->log);

			if (n != NULL) {
				free(d->last[i]);
				d->last[i] = n;
			}
		}
		return changed;
	}
	if (d->n == d->cap) {
		/* Full: forget the oldest. */
		free(d->key[0]);
		free(d->last[0]);
		memmove(d->key, d->key + 1, (size_t)(d->n - 1) *
		    sizeof(*d->key));
		memmove(d->last, d->last + 1, (size_t)(d->n - 1) *
		    sizeof(*d->last));
		d->n--;
	}
	d->key[d->n] = strdup(key);
	d->last[d->n] = strdup(ev->log);
	if (d->key[d->n] == NULL || d->last[d->n] == NULL) {
		free(d->key[d->n]);
		free(d->last[d->n]);
		return 0;
	}
	d->n++;
	return 0;
}

static const char *
list_value(const struct rules_ev *ev, const struct rules_listref *l)
{
	switch (l->field) {
	case RLF_USER:
		return ev->fields[RULES_F_SRCUSER] != NULL ?
		    ev->fields[RULES_F_SRCUSER] : ev->fields[RULES_F_DSTUSER];
	case RLF_HOSTNAME:
		return ev->hostname;
	case RLF_PROGRAM_NAME:
		return ev->program_name;
	default:
		if (l->field >= 0 && l->field < RULES_F_NFIXED)
			return ev->fields[l->field];
		return l->dyn != NULL ? rules_ev_dyn(ev, l->dyn) : NULL;
	}
}

/* address_match_key: the address, then its prefixes ending in '.'. */
static const char *
address_lookup(const struct rules_cdb *c, const char *v)
{
	char buf[128];
	const char *r;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", v);
	if ((r = rules_cdb_get(c, buf)) != NULL)
		return r;
	for (n = strlen(buf); n > 0; n--) {
		if (buf[n - 1] != '.')
			continue;
		buf[n] = '\0';
		if ((r = rules_cdb_get(c, buf)) != NULL)
			return r;
	}
	return NULL;
}

static int
list_ok(struct rules_ctx *ctx, const struct rules_ev *ev,
    const struct rules_listref *l)
{
	const char *v = list_value(ev, l), *val;

	if (v == NULL)
		return 0;
	switch (l->lookup) {
	case RL_MATCH_KEY:
		return rules_cdb_get(l->cdb, v) != NULL;
	case RL_NOT_MATCH_KEY:
		return rules_cdb_get(l->cdb, v) == NULL;
	case RL_MATCH_KEY_VALUE:
		val = rules_cdb_get(l->cdb, v);
		return val != NULL && rules_pat_exec(l->check_value, ctx->sc,
		    val, strlen(val), NULL, NULL);
	case RL_ADDRESS_MATCH_KEY:
		return address_lookup(l->cdb, v) != NULL;
	case RL_NOT_ADDRESS_MATCH_KEY:
		return address_lookup(l->cdb, v) == NULL;
	case RL_ADDRESS_MATCH_KEY_VALUE:
		/* OSSEC inverts this one by mistake; mamori does not. */
		val = address_lookup(l->cdb, v);
		return val != NULL && rules_pat_exec(l->check_value, ctx->sc,
		    val, strlen(val), NULL, NULL);
	}
	return 0;
}

/* The rule's own conditions, in OSSEC's order. */
static int
rule_ok(struct rules_ctx *ctx, const struct rules_rule *r,
    struct rules_ev *ev, int *consumed)
{
	const char *f = NULL;
	char key[2048];
	int i;

	if (r->decoded_as >= 0 && (ev->dec == NULL ||
	    ev->dec->id != r->decoded_as))
		return 0;
	if (r->program_name.pat != NULL && !cond_ok(ctx, &r->program_name,
	    ev->program_name))
		return 0;
	if (!fcond_ok(ctx, ev, &r->idc, ev->fields[RULES_F_ID]))
		return 0;
	if (r->match.pat != NULL && !log_cond_ok(ctx, ev, &r->match))
		return 0;
	if (r->regex.pat != NULL && !log_cond_ok(ctx, ev, &r->regex))
		return 0;
	if (r->action != NULL) {
		f = ev->fields[RULES_F_ACTION];
		if (f == NULL || (strcmp(f, r->action) == 0) ==
		    r->action_negate)
			return 0;
	}
	if (!fcond_ok(ctx, ev, &r->url, ev->fields[RULES_F_URL]) ||
	    !fcond_ok(ctx, ev, &r->system_name, ev->fields[RULES_F_SYSTEM_NAME]) ||
	    !cond_ok(ctx, &r->protocol, ev->fields[RULES_F_PROTOCOL]) ||
	    !cond_ok(ctx, &r->location, ev->location) ||
	    !fcond_ok(ctx, ev, &r->data, ev->fields[RULES_F_DATA]))
		return 0;
	for (i = 0; i < r->nfconds; i++) {
		const struct rules_fcond *fc = &r->fconds[i];

		f = fc->fid >= 0 ? ev->fields[fc->fid] :
		    rules_ev_dyn(ev, fc->name);
		if (!cond_ok(ctx, &fc->c, f))
			return 0;
	}
	if (!iplist_ok(&r->srcip, ev->fields[RULES_F_SRCIP]) ||
	    !iplist_ok(&r->dstip, ev->fields[RULES_F_DSTIP]) ||
	    !fcond_ok(ctx, ev, &r->srcport, ev->fields[RULES_F_SRCPORT]) ||
	    !fcond_ok(ctx, ev, &r->dstport, ev->fields[RULES_F_DSTPORT]))
		return 0;
	if (r->compiled != NULL) {
		struct rules_result tmp;

		memset(&tmp, 0, offsetof(struct rules_result, dyn));
		memcpy(tmp.fields, ev->fields, sizeof(tmp.fields));
		tmp.log = ev->log;
		if (!r->compiled(&tmp))
			return 0;
	}
	if (!fcond_ok(ctx, ev, &r->user, user_of(ev)))
		return 0;
	if (r->maxsize > 0 && ev->loglen < (size_t)r->maxsize)
		return 0;
	if (r->time_set) {
		char now[6];
		int in;

		snprintf(now, sizeof(now), "%02d:%02d", ev->hour, ev->minute);
		in = strcmp(now, r->time_start) >= 0 &&
		    strcmp(now, r->time_end) <= 0;
		if (in == r->time_neg)
			return 0;
	}
	if (r->weekdays != 0 && !(r->weekdays & (1u << ev->wday)))
		return 0;
	if (!fcond_ok(ctx, ev, &r->extra_data, ev->fields[RULES_F_DATA]) ||
	    !cond_ok(ctx, &r->hostname, ev->hostname) ||
	    !fcond_ok(ctx, ev, &r->status, ev->fields[RULES_F_STATUS]))
		return 0;
	if (r->check_diff && !diff_check(ctx, r, ev))
		return 0;
	if (r->if_fts) {
		if (ev->dec == NULL || ev->dec->fts == 0)
			return 0;
		fts_key(ev, ev->dec->fts, key, sizeof(key));
		if (sset_has(ctx->fts, key))
			return 0;
		sset_add(ctx->fts, key);
	}
	for (i = 0; i < r->nlists; i++)
		if (!list_ok(ctx, ev, &r->lists[i]))
			return 0;
	if (r->search_list >= 0 && !correlated(ctx, r, ev, consumed))
		return 0;
	return 1;
}

static const struct rules_rule *
check(struct rules_ctx *ctx, const struct rules_rule *r, struct rules_ev *ev,
    int *consumed, int depth)
{
	const struct rules_rule *m;
	size_t i;

	if (depth > 64 || !rule_ok(ctx, r, ev, consumed))
		return NULL;
	for (i = 0; i < r->nchildren; i++)
		if ((m = check(ctx, r->children[i], ev, consumed,
		    depth + 1)) != NULL)
			return m;
	if (r->noalert)
		return NULL;
	ctx->fired[r->index]++;
	return r;
}

/* $(field) in a description becomes the field's value (Wazuh). */
static const char *
expand(struct rules_ctx *ctx, const struct rules_ev *ev, const char *d)
{
	char *o = ctx->desc, name[64];
	size_t cap = sizeof(ctx->desc), n = 0;
	const char *p, *e, *v;
	int i;

	if (d == NULL || strstr(d, "$(") == NULL)
		return d;
	for (p = d; *p != '\0' && n + 1 < cap; ) {
		if (p[0] == '$' && p[1] == '(' && (e = strchr(p + 2, ')')) !=
		    NULL && (size_t)(e - p - 2) < sizeof(name)) {
			memcpy(name, p + 2, (size_t)(e - p - 2));
			name[e - p - 2] = '\0';
			v = NULL;
			for (i = 0; i < RULES_F_NFIXED; i++)
				if (strcmp(name, rules_field_name(i)) == 0)
					v = ev->fields[i];
			if (strcmp(name, "user") == 0)
				v = user_of(ev);
			else if (strcmp(name, "hostname") == 0)
				v = ev->hostname;
			else if (strcmp(name, "program_name") == 0)
				v = ev->program_name;
			else if (strcmp(name, "location") == 0)
				v = ev->location;
			if (v == NULL)
				v = rules_ev_dyn(ev, name);
			if (v != NULL)
				n += (size_t)snprintf(o + n, cap - n, "%s", v);
			if (n >= cap)
				n = cap - 1;
			p = e + 1;
			continue;
		}
		o[n++] = *p++;
	}
	o[n] = '\0';
	return o;
}

static void
feed(struct rules_ctx *ctx, const struct rules_rule *r, struct rules_ev *ev,
    int consumed)
{
	struct centry *e;
	int i;

	if ((e = centry_new(ev, consumed)) == NULL)
		return;
	e->refs = 1;
	if (r->feed_sid_list >= 0)
		corr_add(&ctx->sid_lists[r->feed_sid_list], e);
	else
		for (i = 0; i < r->nfeed_group_lists; i++)
			corr_add(&ctx->group_lists[r->feed_group_lists[i]], e);
	corr_add(ctx->global, e);
	centry_put(e);
}

void
rules_eval_result(struct rules_ctx *ctx, struct rules_ev *ev,
    struct rules_result *res)
{
	const struct rules_set *rs = ctx->rs;
	const struct rules_rule *cur = NULL;
	char key[2048];
	size_t i;
	int consumed = 0, k;

	for (i = 0; i < rs->ntop; i++) {
		const struct rules_rule *t = rs->top[i];

		if (ev->dec_type == RT_OSSEC_ALERT) {
			if ((cur = ev->generated) == NULL)
				return;
		} else if (t->category != ev->dec_type)
			continue;
		else if ((cur = check(ctx, t, ev, &consumed, 0)) == NULL)
			continue;
		break;
	}
	if (cur == NULL)
		return;
	res->matched = 1;
	res->rule_id = cur->id;
	res->level = cur->level;
	res->description = expand(ctx, ev, cur->description);
	res->firedtimes = ctx->fired[cur->index];
	for (k = 0; k < cur->nglist && k < RULES_MAX_GROUPS; k++)
		res->groups[k] = cur->glist[k];
	res->ngroups = k;
	for (k = 0; k < cur->nmitre && k < 16; k++)
		res->mitre[k] = cur->mitre[k];
	res->nmitre = k;
	if (cur->ninfo > 0)
		res->info = cur->info[0].text;
	for (k = 0; k < cur->ninfo && k < 8; k++) {
		static const char *const kinds[] = { "Text", "Link", "CVE",
		    "OSVDB" };

		res->info_kind[k] = kinds[cur->info[k].type];
		res->info_text[k] = cur->info[k].text;
	}
	res->ninfo = k;
	if (cur->level == 0)
		return;
	if (cur->ignore_time > 0) {
		int64_t *at = &ctx->ignore_at[cur->index];

		if (*at != 0 && ev->now_ns - *at <
		    (int64_t)cur->ignore_time * 1000000000LL)
			return;
		*at = ev->now_ns;
	}
	if (cur->check_ignored_sel != 0) {
		fts_key(ev, cur->check_ignored_sel, key, sizeof(key));
		if (sset_has(ctx->ignored, key))
			return;
	}
	if (cur->ignore_sel != 0) {
		fts_key(ev, cur->ignore_sel, key, sizeof(key));
		sset_add(ctx->ignored, key);
	}
	res->alert = cur->log_alert;
	feed(ctx, cur, ev, consumed);
}

int
rules_eval_init(struct rules_ctx *ctx)
{
	const struct rules_set *rs = ctx->rs;
	int i;

	ctx->fired = calloc(rs->nrules + 1, sizeof(*ctx->fired));
	ctx->ignore_at = calloc(rs->nrules + 1, sizeof(*ctx->ignore_at));
	ctx->sid_lists = calloc((size_t)rs->nlists_sid + 1,
	    sizeof(*ctx->sid_lists));
	ctx->group_lists = calloc((size_t)rs->nlists_group + 1,
	    sizeof(*ctx->group_lists));
	ctx->global = calloc(1, sizeof(*ctx->global));
	ctx->fts = sset_new(FTS_MAX);
	ctx->ignored = sset_new(IGNORE_MAX);
	ctx->diff = calloc(1, sizeof(*ctx->diff));
	if (ctx->fired == NULL || ctx->ignore_at == NULL ||
	    ctx->sid_lists == NULL || ctx->group_lists == NULL ||
	    ctx->global == NULL || ctx->fts == NULL || ctx->ignored == NULL ||
	    ctx->diff == NULL)
		return MAMORI_ENOMEM;
	ctx->diff->cap = DIFF_MAX;
	ctx->diff->key = calloc(DIFF_MAX, sizeof(char *));
	ctx->diff->last = calloc(DIFF_MAX, sizeof(char *));
	if (ctx->diff->key == NULL || ctx->diff->last == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < rs->nlists_sid; i++)
		if (rules_corr_init(&ctx->sid_lists[i], rs->list_cap) != 0)
			return MAMORI_ENOMEM;
	for (i = 0; i < rs->nlists_group; i++)
		if (rules_corr_init(&ctx->group_lists[i], rs->list_cap) != 0)
			return MAMORI_ENOMEM;
	return rules_corr_init(ctx->global, 8192);
}

void
rules_eval_release(struct rules_ctx *ctx)
{
	const struct rules_set *rs = ctx->rs;
	int i;

	if (ctx->sid_lists != NULL)
		for (i = 0; i < rs->nlists_sid; i++)
			rules_corr_release(&ctx->sid_lists[i]);
	if (ctx->group_lists != NULL)
		for (i = 0; i < rs->nlists_group; i++)
			rules_corr_release(&ctx->group_lists[i]);
	if (ctx->global != NULL)
		rules_corr_release(ctx->global);
	free(ctx->sid_lists);
	free(ctx->group_lists);
	free(ctx->global);
	free(ctx->fired);
	free(ctx->ignore_at);
	sset_free(ctx->fts);
	sset_free(ctx->ignored);
	if (ctx->diff != NULL) {
		for (i = 0; i < ctx->diff->n; i++) {
			free(ctx->diff->key[i]);
			free(ctx->diff->last[i]);
		}
		free(ctx->diff->key);
		free(ctx->diff->last);
		free(ctx->diff);
	}
}

/*
 * Compiled rules: the built-in checks OSSEC rules may name.
 */
static int
comp_srcuser_dstuser(const struct rules_result *r)
{
	const char *a = r->fields[RULES_F_SRCUSER], *b =
	    r->fields[RULES_F_DSTUSER];

	return a == NULL || b == NULL || strcmp(a, b) == 0;
}

static int
check_id_size(const struct rules_result *r)
{
	return r->fields[RULES_F_ID] != NULL &&
	    strlen(r->fields[RULES_F_ID]) >= 10;
}

static const char *
field_after(const char *log, const char *name, char *buf, size_t len)
{
	const char *p = strstr(log, name), *e;
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	while (*p == ' ' || *p == ':' || *p == '\t')
		p++;
	for (e = p; *e != '\0' && *e != ' ' && *e != '\t'; e++)
		;
	n = (size_t)(e - p);
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static int
comp_mswin_targetuser_calleruser_diff(const struct rules_result *r)
{
	char a[256], b[256];
	const char *t, *c;

	if (r->log == NULL)
		return 0;
	t = field_after(r->log, "Target Account Name", a, sizeof(a));
	c = field_after(r->log, "Caller User Name", b, sizeof(b));
	return t != NULL && c != NULL && strcmp(t, c) != 0;
}

static int
is_simple_http_request(const struct rules_result *r)
{
	const char *u = r->fields[RULES_F_URL];
	const char *a = r->fields[RULES_F_ACTION];

	/* A POST is never simple (OSSEC 3.x, issue #922). */
	if (u == NULL || (a != NULL && strcasecmp(a, "GET") != 0))
		return 0;
	return strcmp(u, "/") == 0 || strchr(u, '?') == NULL;
}

static int
is_valid_crawler(const struct rules_result *r)
{
	static const char *const nets[] = { "72.14.", "209.85.", "65.55.",
	    "207.46.", "74.6.", "72.30.", "67.195." };
	size_t i;

	if (r->log == NULL)
		return 0;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		if (strncmp(r->log, nets[i], strlen(nets[i])) == 0)
			return 1;
	return 0;
}

rules_compiled_fn
rules_compiled_find(const char *name)
{
	static const struct {
		const char *name;
		rules_compiled_fn fn;
	} fns[] = {
		{ "comp_srcuser_dstuser", comp_srcuser_dstuser },
		{ "check_id_size", check_id_size },
		{ "comp_mswin_targetuser_calleruser_diff",
		    comp_mswin_targetuser_calleruser_diff },
		{ "is_simple_http_request", is_simple_http_request },
		{ "is_valid_crawler", is_valid_crawler },
	};
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strcmp(name, fns[i].name) == 0)
			return fns[i].fn;
	return NULL;
}
