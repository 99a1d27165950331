/*
 * incident-mgr.c - grouping alerts into incidents (see incmgr.h).
 *
 * A track is one correlation key's state: the incident it feeds (if any),
 * when it was last seen, the alerts held while no incident is open, and
 * the alerts waiting for the next flush.  Tracks live in a chained hash
 * table; those idle for longer than the window are dropped at flush.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/incmgr.h"
#include "incident/playbook.h"
#include "incident/taxonomy.h"

#define TRACKS_MIN_BUCKETS	1024
#define BATCH_MAX		4096	/* alerts per track before a flush */
#define TITLE_MAX		300

struct party_set {
	uint64_t	*h;		/* hashes of "role kind value" */
	size_t		 n, cap;
};

struct pending {
	struct inc_alert_ref *a;
	size_t		 n, cap;
	struct inc_party *p;
	size_t		 np, pcap;
};

/* An alert held while none of its keys has an incident: one copy shared
 * by the tracks of all its keys; the first incident to open takes it. */
struct held {
	int		 refs;		/* tracks holding it */
	int		 taken;		/* joined an incident */
	int		 shadow;	/* in a wider key's incident already:
					   taken along when this key opens
					   one, never counted to open it */
	struct incmgr_alert a;		/* strings owned; groups unused */
};

struct track {
	struct track	*next;		/* hash chain */
	struct track	*dirty_next;	/* tracks with a batch */
	char		*key;
	uint64_t	 hash;
	const struct tax_category *cat;
	int64_t		 incident_id;	/* 0: none open */
	int64_t		 last_ns;	/* latest alert of the key */
	enum inc_impact	 impact;	/* as last written */
	enum inc_severity severity;
	int		 dirty;
	struct held	**held;		/* before an incident opens, oldest
					   first; shared with the alert's
					   other keys */
	size_t		 nheld, capheld;
	struct pending	 batch;		/* for the next flush */
	struct party_set parties;	/* recorded in the incident */
	enum inc_impact	 want_impact;	/* what the batch shows */
	size_t		 keyidx;	/* its group_by entry */
	char		 why[256];
};

struct incmgr {
	sqlite3		*db;
	const struct incident_conf *conf;
	const struct taxonomy *tax;
	const struct playbook_set *pb;
	incmgr_cb	*cb;
	void		*arg;
	struct track	**buckets;
	size_t		 nbuckets, ntracks;
	struct track	*dirty;
	int64_t		 latest_ns;	/* latest alert time seen */
	struct incmgr_stats st;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static const char *
nz(const char *s)
{
	/* "-" is how events say "none" (the sensor's spoofed sources). */
	return s != NULL && *s != '\0' && strcmp(s, "-") != 0 ? s : NULL;
}

/* ---- pending alert lists ---- */

static void
ref_release(struct inc_alert_ref *a)
{
	free(a->description);
	free(a->host);
	free(a->srcip);
	free(a->user);
	free(a->log);
}

static void
pending_clear(struct pending *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		ref_release(&p->a[i]);
	for (i = 0; i < p->np; i++)
		free(p->p[i].value);
	p->n = p->np = 0;
}

static void
pending_free(struct pending *p)
{
	pending_clear(p);
	free(p->a);
	free(p->p);
	memset(p, 0, sizeof(*p));
}

static char *
dup_opt(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

static int
pending_add(struct pending *p, const struct incmgr_alert *a)
{
	struct inc_alert_ref *r;
	void *np;
	int oom = 0;

	if (p->n == p->cap) {
		size_t nc = p->cap == 0 ? 8 : p->cap * 2;

		if ((np = reallocarray(p->a, nc, sizeof(*p->a))) == NULL)
			return MAMORI_ENOMEM;
		p->a = np;
		p->cap = nc;
	}
	r = &p->a[p->n];
	memset(r, 0, sizeof(*r));
	r->alert_id = a->alert_id;
	r->log_seq = a->log_seq;
	r->time_ns = a->time_ns;
	r->rule_id = a->rule_id;
	r->level = a->level;
	r->description = dup_opt(a->description, &oom);
	r->host = dup_opt(nz(a->host), &oom);
	r->srcip = dup_opt(nz(a->srcip), &oom);
	r->user = dup_opt(nz(a->dstuser) != NULL ? a->dstuser :
	    nz(a->srcuser), &oom);
	r->log = dup_opt(a->log, &oom);
	if (oom) {
		ref_release(r);
		return MAMORI_ENOMEM;
	}
	p->n++;
	return 0;
}

static int
party_add(struct pending *p, enum inc_role role, enum inc_party_kind kind,
    const char *value, int internal)
{
	void *np;
	size_t i;

	if (value == NULL || *value == '\0' || strcmp(value, "-") == 0)
		return 0;
	for (i = 0; i < p->np; i++)
		if (p->p[i].role == role && p->p[i].kind == kind &&
		    strcmp(p->p[i].value, value) == 0)
			return 0;
	if (p->np == p->pcap) {
		size_t nc = p->pcap == 0 ? 4 : p->pcap * 2;

		if ((np = reallocarray(p->p, nc, sizeof(*p->p))) == NULL)
			return MAMORI_ENOMEM;
		p->p = np;
		p->pcap = nc;
	}
	if ((p->p[p->np].value = strdup(value)) == NULL)
		return MAMORI_ENOMEM;
	p->p[p->np].role = role;
	p->p[p->np].kind = kind;
	p->p[p->np].internal = internal;
	p->np++;
	return 0;
}

/* ---- held alerts ---- */

static void
held_put(struct held *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	free((char *)h->a.description);
	free((char *)h->a.srcip);
	free((char *)h->a.dstip);
	free((char *)h->a.srcuser);
	free((char *)h->a.dstuser);
	free((char *)h->a.host);
	free((char *)h->a.log);
	free(h);
}

static struct held *
held_new(const struct incmgr_alert *a, int refs)
{
	struct held *h;
	int oom = 0;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->refs = refs;
	h->a = *a;
	h->a.groups = NULL;
	h->a.ngroups = 0;
	h->a.category = NULL;
	h->a.description = dup_opt(a->description, &oom);
	h->a.srcip = dup_opt(nz(a->srcip), &oom);
	h->a.dstip = dup_opt(nz(a->dstip), &oom);
	h->a.srcuser = dup_opt(nz(a->srcuser), &oom);
	h->a.dstuser = dup_opt(nz(a->dstuser), &oom);
	h->a.host = dup_opt(nz(a->host), &oom);
	h->a.log = dup_opt(a->log, &oom);
	if (oom) {
		h->refs = 1;
		held_put(h);
		return NULL;
	}
	return h;
}

/* Lets go of held alerts that are taken, or older than the window
 * before now_ns; and of the oldest beyond the cap. */
static void
held_trim(struct incmgr *m, struct track *t, int64_t now_ns, size_t cap)
{
	size_t i, k = 0;
	struct held *h;

	for (i = 0; i < t->nheld; i++) {
		h = t->held[i];
		if (h->taken || now_ns - h->a.time_ns > m->conf->window_ns ||
		    t->nheld - i > cap) {
			if (!h->taken && !h->shadow && h->refs == 1)
				m->st.dropped++;
			held_put(h);
		} else
			t->held[k++] = h;
	}
	t->nheld = k;
}

static int
held_push(struct track *t, struct held *h)
{
	void *np;

	if (t->nheld == t->capheld) {
		size_t nc = t->capheld == 0 ? 8 : t->capheld * 2;

		if ((np = reallocarray(t->held, nc, sizeof(*t->held))) == NULL)
			return MAMORI_ENOMEM;
		t->held = np;
		t->capheld = nc;
	}
	t->held[t->nheld++] = h;
	return 0;
}

/* ---- tracks ---- */

static void
track_free(struct track *t)
{
	size_t i;

	for (i = 0; i < t->nheld; i++)
		held_put(t->held[i]);
	free(t->held);
	pending_free(&t->batch);
	free(t->parties.h);
	free(t->key);
	free(t);
}

static int
rehash(struct incmgr *m, size_t n)
{
	struct track **nb, *t, *next;
	size_t i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < m->nbuckets; i++)
		for (t = m->buckets[i]; t != NULL; t = next) {
			next = t->next;
			t->next = nb[t->hash % n];
			nb[t->hash % n] = t;
		}
	free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
	return 0;
}

static struct track *
track_get(struct incmgr *m, const char *key, int create)
{
	struct track *t;
	uint64_t h = hash_str(key);

	for (t = m->buckets[h % m->nbuckets]; t != NULL; t = t->next)
		if (t->hash == h && strcmp(t->key, key) == 0)
			return t;
	if (!create)
		return NULL;
	if (m->ntracks >= m->nbuckets && rehash(m, m->nbuckets * 2) != 0)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->key = strdup(key)) == NULL) {
		free(t);
		return NULL;
	}
	t->hash = h;
	t->next = m->buckets[h % m->nbuckets];
	m->buckets[h % m->nbuckets] = t;
	m->ntracks++;
	return t;
}

static uint64_t
party_hash(enum inc_role role, enum inc_party_kind kind, const char *value)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%d %d %s", (int)role, (int)kind, value);
	return hash_str(buf);
}

/* 1 when the party is not yet recorded in the incident (and there is
 * room for it). */
static int
party_new(const struct party_set *s, uint64_t h)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->h[i] == h)
			return 0;
	return s->n < INCMGR_PARTIES_MAX;
}

/* Records the party as written. */
static void
party_mark(struct party_set *s, uint64_t h)
{
	void *np;

	if (!party_new(s, h))
		return;
	if (s->n == s->cap) {
		size_t nc = s->cap == 0 ? 8 : s->cap * 2;

		if ((np = reallocarray(s->h, nc, sizeof(*s->h))) == NULL)
			return;
		s->h = np;
		s->cap = nc;
	}
	s->h[s->n++] = h;
}

/* ---- what an alert says ---- */

/*
 * The host an alert came from is the victim when it logged what was done
 * to it; a network sensor (rules group "sensor") only watched, and is no
 * party.
 */
static const char *
host_of(const struct incmgr_alert *a)
{
	int i;

	for (i = 0; i < a->ngroups; i++)
		if (a->groups[i] != NULL && strcmp(a->groups[i], "sensor") == 0)
			return NULL;
	return nz(a->host);
}

static const char *
victim_of(const struct incmgr_alert *a, enum inc_party_kind *kind)
{
	if (nz(a->dstip) != NULL) {
		*kind = INC_PARTY_IP;
		return a->dstip;
	}
	*kind = INC_PARTY_HOST;
	return host_of(a);
}

static const char *
user_of(const struct incmgr_alert *a)
{
	return nz(a->dstuser) != NULL ? a->dstuser : nz(a->srcuser);
}

/* Builds the key of group_by entry i for a into buf: 0, or
 * MAMORI_ENOTFOUND when a lacks one of its parts. */
static int
make_key(const struct incmgr *m, size_t i, const struct incmgr_alert *a,
    const struct tax_category *cat, char *buf, size_t len)
{
	enum inc_party_kind vk;
	const char *victim = victim_of(a, &vk);
	unsigned b = m->conf->group_by[i];
	size_t off;

	if (((b & INCMGR_K_ATTACKER) && nz(a->srcip) == NULL) ||
	    ((b & INCMGR_K_VICTIM) && victim == NULL) ||
	    ((b & INCMGR_K_HOST) && nz(a->host) == NULL) ||
	    ((b & INCMGR_K_USER) && user_of(a) == NULL))
		return MAMORI_ENOTFOUND;
	off = (size_t)snprintf(buf, len, "%zu", i);
	if ((b & INCMGR_K_CATEGORY) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|c=%s", cat->id);
	if ((b & INCMGR_K_ATTACKER) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|a=%s", a->srcip);
	if ((b & INCMGR_K_VICTIM) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|v=%s", victim);
	if ((b & INCMGR_K_HOST) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|h=%s", a->host);
	if ((b & INCMGR_K_USER) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|u=%s",
		    user_of(a));
	if ((b & INCMGR_K_RULE) && off < len)
		off += (size_t)snprintf(buf + off, len - off, "|r=%u",
		    a->rule_id);
	return off < len ? 0 : MAMORI_ETOOBIG;
}

/* A title for an incident opened by the count of its alerts. */
static void
count_title(const struct incmgr *m, const struct track *t,
    const struct incmgr_alert *a, char *buf, size_t len)
{
	enum inc_party_kind vk;
	const char *victim = victim_of(a, &vk);
	unsigned b = m->conf->group_by[t->keyidx];

	if ((b & INCMGR_K_ATTACKER) && nz(a->srcip) != NULL)
		snprintf(buf, len, "%s from %s", t->cat->name, a->srcip);
	else if ((b & INCMGR_K_VICTIM) && victim != NULL)
		snprintf(buf, len, "%s against %s", t->cat->name, victim);
	else if ((b & INCMGR_K_HOST) && nz(a->host) != NULL)
		snprintf(buf, len, "%s on %s", t->cat->name, a->host);
	else if ((b & INCMGR_K_USER) && user_of(a) != NULL)
		snprintf(buf, len, "%s: user %s", t->cat->name, user_of(a));
	else
		snprintf(buf, len, "%s", t->cat->name);
}

static int
is_internal(const struct incmgr *m, const char *ip)
{
	return inc_prefix_match(m->conf->internal, m->conf->ninternal, ip);
}

static int
is_address(const char *s)
{
	struct respond_addr p;

	return s != NULL && strchr(s, '/') == NULL &&
	    inc_prefix_parse(s, &p) == 0;
}

/* The impact a shows, with the reason in why. */
static enum inc_impact
impact_of(const struct incmgr *m, const struct incmgr_alert *a,
    const struct tax_category *cat, char *why, size_t len)
{
	const struct incident_conf *c = m->conf;
	enum inc_party_kind vk;
	const char *victim = victim_of(a, &vk);
	size_t i;

	if (victim != NULL && vk == INC_PARTY_IP &&
	    inc_prefix_match(c->infra, c->ninfra, victim)) {
		snprintf(why, len, "%s is social infrastructure", victim);
		return INC_IMPACT_INFRASTRUCTURE;
	}
	for (i = 0; victim != NULL && i < c->ninfra_hosts; i++)
		if (strcasecmp(c->infra_hosts[i], victim) == 0 ||
		    (nz(a->host) != NULL &&
		    strcasecmp(c->infra_hosts[i], a->host) == 0)) {
			snprintf(why, len, "%s is social infrastructure",
			    c->infra_hosts[i]);
			return INC_IMPACT_INFRASTRUCTURE;
		}
	if (nz(a->dstip) != NULL && is_address(a->dstip) &&
	    !is_internal(m, a->dstip)) {
		if (nz(a->srcip) != NULL && is_address(a->srcip) &&
		    is_internal(m, a->srcip)) {
			snprintf(why, len, "internal host %s attacks outside "
			    "host %s", a->srcip, a->dstip);
			return INC_IMPACT_EXTERNAL;
		}
		if (strcmp(cat->id, "leak") == 0) {
			snprintf(why, len, "data leaving the organisation to "
			    "%s", a->dstip);
			return INC_IMPACT_EXTERNAL;
		}
	}
	return INC_IMPACT_INTERNAL;
}

/* Adds a's parties to p. */
static int
add_alert_parties(const struct incmgr *m, struct pending *p,
    const struct incmgr_alert *a)
{
	enum inc_party_kind vk;
	const char *victim = victim_of(a, &vk);
	int r;

	if (nz(a->srcip) != NULL && (r = party_add(p, INC_ATTACKER,
	    is_address(a->srcip) ? INC_PARTY_IP : INC_PARTY_HOST, a->srcip,
	    is_internal(m, a->srcip))) != 0)
		return r;
	if (victim != NULL && (r = party_add(p, INC_VICTIM, vk, victim,
	    vk == INC_PARTY_IP ? is_internal(m, victim) : 1)) != 0)
		return r;
	if (vk == INC_PARTY_IP && host_of(a) != NULL &&
	    (r = party_add(p, INC_VICTIM, INC_PARTY_HOST, a->host, 1)) != 0)
		return r;
	if (user_of(a) != NULL && (r = party_add(p, INC_VICTIM,
	    INC_PARTY_USER, user_of(a), 1)) != 0)
		return r;
	return 0;
}

static void
mark_dirty(struct incmgr *m, struct track *t)
{
	if (!t->dirty) {
		t->dirty = 1;
		t->dirty_next = m->dirty;
		m->dirty = t;
	}
}

static int write_dirty(struct incmgr *m);

/* ---- creating ---- */

/*
 * Opens an incident on t for alert a (which opened it by its level) or,
 * with a NULL, for t's held alerts (which opened it by their count).
 * The held alerts still free go first into the batch.
 */
static int
open_incident(struct incmgr *m, struct track *t, const struct incmgr_alert *a)
{
	const struct incmgr_alert *top = a;
	struct incident inc;
	enum inc_impact impact = INC_IMPACT_INTERNAL, imp;
	char title[TITLE_MAX], why[256], w[256];
	int64_t first = a != NULL ? a->time_ns : INT64_MAX;
	size_t i;
	int r;

	why[0] = '\0';
	for (i = 0; i < t->nheld; i++) {
		const struct incmgr_alert *h = &t->held[i]->a;

		if (t->held[i]->taken)
			continue;
		if (top == NULL || h->level > top->level)
			top = h;
		if (h->time_ns < first)
			first = h->time_ns;
		if ((imp = impact_of(m, h, t->cat, w, sizeof(w))) > impact) {
			impact = imp;
			snprintf(why, sizeof(why), "%s", w);
		}
	}
	if (top == NULL)
		return 0;
	if (a != NULL && (imp = impact_of(m, a, t->cat, w,
	    sizeof(w))) > impact) {
		impact = imp;
		snprintf(why, sizeof(why), "%s", w);
	}
	memset(&inc, 0, sizeof(inc));
	if (a != NULL && a->description != NULL && *a->description != '\0')
		snprintf(title, sizeof(title), "%s", a->description);
	else
		count_title(m, t, top, title, sizeof(title));
	inc.title = title;
	inc.category = t->cat->id;
	inc.rsit_class = t->cat->rsit_class;
	inc.rsit_type = t->cat->rsit_type;
	inc.impact = impact;
	inc.severity = inc_severity_of_level(top->level);
	inc.source = (char *)"alerts";
	inc.first_seen_ns = first;
	inc.last_seen_ns = a != NULL ? a->time_ns : t->last_ns;
	r = incident_create(m->db, &inc, m->pb != NULL ?
	    playbook_for(m->pb, t->cat->id) : NULL, "mamori");
	if (r != 0)
		return r;
	t->incident_id = inc.id;
	t->impact = impact;
	t->severity = inc.severity;
	t->want_impact = impact;
	t->parties.n = 0;
	if (impact > INC_IMPACT_INTERNAL)
		snprintf(t->why, sizeof(t->why), "%s", why);
	m->st.created++;
	for (i = 0; i < t->nheld; i++) {
		struct held *h = t->held[i];

		if (h->taken)
			continue;
		if ((r = pending_add(&t->batch, &h->a)) != 0 ||
		    (r = add_alert_parties(m, &t->batch, &h->a)) != 0)
			return r;
		if (!h->shadow)
			m->st.joined++;
		/* Narrower keys keep it as evidence for an incident of
		 * their own. */
		if (t->keyidx > 0)
			h->shadow = 1;
		else
			h->taken = 1;
	}
	held_trim(m, t, t->last_ns, 0);
	mark_dirty(m, t);
	return 0;
}


/* The incident still takes alerts: it exists, is open and not merged. */
static int
still_open(struct incmgr *m, struct track *t)
{
	enum inc_status s;
	int64_t merged;

	if (incident_state(m->db, t->incident_id, &s, &t->impact,
	    &t->severity, &merged) != 0)
		return 0;
	if (merged != 0) {
		t->incident_id = merged;	/* follow the merge */
		return still_open(m, t);
	}
	return s != INC_CLOSED && s != INC_FALSE_POSITIVE;
}

/* t's incident takes a now: open, and seen within the window unless
 * join_open. */
static int
joinable(struct incmgr *m, struct track *t, const struct incmgr_alert *a)
{
	return t->incident_id != 0 && (m->conf->join_open ||
	    a->time_ns - t->last_ns <= m->conf->window_ns) &&
	    (t->dirty || still_open(m, t));
}

/* Adds a to the batch of t's incident. */
static int
join(struct incmgr *m, struct track *t, const struct incmgr_alert *a)
{
	enum inc_impact imp;
	char why[256];
	int r;

	if ((r = pending_add(&t->batch, a)) != 0 ||
	    (r = add_alert_parties(m, &t->batch, a)) != 0)
		return r;
	imp = impact_of(m, a, t->cat, why, sizeof(why));
	if (imp > t->want_impact) {
		t->want_impact = imp;
		snprintf(t->why, sizeof(t->why), "%s", why);
	}
	m->st.joined++;
	if (a->time_ns > t->last_ns)
		t->last_ns = a->time_ns;
	mark_dirty(m, t);
	return 0;
}

/* After an incident opened on t: written at once, then announced, so
 * that whoever hears of it reads it whole. */
static int
opened(struct incmgr *m, struct track *t)
{
	int64_t id = t->incident_id;
	int r;

	r = write_dirty(m);
	if (m->cb != NULL)
		m->cb(m->arg, id, INCMGR_CREATED);
	return r;
}

int
incmgr_add(struct incmgr *m, const struct incmgr_alert *a,
    int64_t *incident_id)
{
	const struct tax_category *cat;
	struct track *ts[INCMGR_KEYS_MAX], *t;
	struct held *h;
	char key[1024];
	size_t i, n = 0, live, k;
	int r, open_ok[INCMGR_KEYS_MAX];

	if (incident_id != NULL)
		*incident_id = 0;
	m->st.alerts++;
	if (a->level < m->conf->join_level) {
		m->st.ignored++;
		return 0;
	}
	if ((cat = taxonomy_get(m->tax, a->category)) == NULL &&
	    (cat = taxonomy_classify(m->tax, a->groups, a->ngroups)) == NULL)
		cat = taxonomy_fallback(m->tax);
	for (i = 0; i < m->conf->ngroup_by; i++) {
		/* A key too long (a huge user name) is left out, like a
		 * missing part. */
		if ((r = make_key(m, i, a, cat, key, sizeof(key))) ==
		    MAMORI_ENOTFOUND || r == MAMORI_ETOOBIG)
			continue;
		if (r != 0)
			return r;
		if ((t = track_get(m, key, 1)) == NULL)
			return MAMORI_ENOMEM;
		if (t->last_ns == 0)
			t->last_ns = a->time_ns;
		t->cat = cat;
		t->keyidx = i;
		ts[n++] = t;
	}
	if (n == 0) {
		m->st.ignored++;
		return 0;
	}
	if (a->time_ns > m->latest_ns)
		m->latest_ns = a->time_ns;

	/* Into the first open incident of its keys; an alert that could
	 * open one of its own joins only its most specific key's.  Keys
	 * whose incident no longer takes alerts let go of it (what they
	 * batched for it is written first). */
	for (i = 0; i < n; i++) {
		open_ok[i] = joinable(m, ts[i], a);
		if (!open_ok[i] && ts[i]->incident_id != 0) {
			if (ts[i]->dirty && (r = write_dirty(m)) != 0)
				return r;
			ts[i]->incident_id = 0;
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && a->level >= m->conf->open_level)
			break;
		if (!open_ok[i])
			continue;
		if ((r = join(m, ts[i], a)) != 0)
			return r;
		if (incident_id != NULL)
			*incident_id = ts[i]->incident_id;
		/* The narrower keys keep a shadow: should one of them open
		 * an incident of its own, the alert is evidence there too. */
		for (k = 0; k < i; k++) {
			held_trim(m, ts[k], a->time_ns, INCMGR_PENDING_MAX - 1);
			if ((h = held_new(a, 1)) == NULL)
				return MAMORI_ENOMEM;
			h->shadow = 1;
			if ((r = held_push(ts[k], h)) != 0) {
				held_put(h);
				return r;
			}
		}
		return ts[i]->batch.n >= BATCH_MAX ? write_dirty(m) : 0;
	}
	for (i = 0; i < n; i++)
		held_trim(m, ts[i], a->time_ns, INCMGR_PENDING_MAX - 1);

	/* By its level: a new incident on its most specific key. */
	if (a->level >= m->conf->open_level) {
		t = ts[0];
		if (t->dirty && (r = write_dirty(m)) != 0)
			return r;
		if ((r = open_incident(m, t, a)) != 0 ||
		    (r = join(m, t, a)) != 0)
			return r;
		if (incident_id != NULL)
			*incident_id = t->incident_id;
		return opened(m, t);
	}

	/* Held under each key; by their count, they may open one. */
	if ((h = held_new(a, (int)n)) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++)
		if ((r = held_push(ts[i], h)) != 0) {
			for (k = i; k < n; k++)
				held_put(h);
			return r;
		}
	for (i = 0; i < n; i++) {
		t = ts[i];
		if (a->time_ns > t->last_ns)
			t->last_ns = a->time_ns;
		if (t->incident_id != 0)
			continue;
		for (k = 0, live = 0; k < t->nheld; k++)
			live += !t->held[k]->taken && !t->held[k]->shadow;
		if (m->conf->open_count == 0 || live < m->conf->open_count)
			continue;
		if ((r = open_incident(m, t, NULL)) != 0)
			return r;
		if (incident_id != NULL)
			*incident_id = t->incident_id;
		return opened(m, t);
	}
	return 0;
}

/* "12 alerts (rule 5710 x8, 5712 x4)". */
static void
batch_text(const struct pending *b, char *buf, size_t len)
{
	uint32_t rules[5];
	size_t counts[5], nr = 0, i, j, other = 0, off;

	for (i = 0; i < b->n; i++) {
		for (j = 0; j < nr; j++)
			if (rules[j] == b->a[i].rule_id)
				break;
		if (j < nr)
			counts[j]++;
		else if (nr < 5) {
			rules[nr] = b->a[i].rule_id;
			counts[nr++] = 1;
		} else
			other++;
	}
	off = (size_t)snprintf(buf, len, "%zu alert%s (", b->n,
	    b->n == 1 ? "" : "s");
	for (j = 0; j < nr && off < len; j++)
		off += (size_t)snprintf(buf + off, len - off, "%srule %u x%zu",
		    j > 0 ? ", " : "", rules[j], counts[j]);
	if (other > 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, ", %zu more",
		    other);
	if (off < len)
		snprintf(buf + off, len - off, ")");
}

static int
flush_track(struct incmgr *m, struct track *t)
{
	struct inc_party *np = NULL;
	enum inc_severity sev_before = t->severity, sev;
	enum inc_status st;
	uint64_t *hs = NULL;
	size_t i, nnp = 0;
	int64_t merged;
	char text[512];
	int r;

	if (t->batch.n == 0 && t->want_impact <= t->impact)
		return 0;
	if (t->batch.n > 0) {
		if ((np = calloc(t->batch.np + 1, sizeof(*np))) == NULL ||
		    (hs = calloc(t->batch.np + 1, sizeof(*hs))) == NULL) {
			free(np);
			return MAMORI_ENOMEM;
		}
		for (i = 0; i < t->batch.np; i++) {
			uint64_t h = party_hash(t->batch.p[i].role,
			    t->batch.p[i].kind, t->batch.p[i].value);

			if (party_new(&t->parties, h)) {
				hs[nnp] = h;
				np[nnp++] = t->batch.p[i];
			}
		}
		batch_text(&t->batch, text, sizeof(text));
		r = incident_attach(m->db, t->incident_id, t->batch.a,
		    t->batch.n, np, nnp, text);
		free(np);
		if (r == MAMORI_EINVAL && incident_state(m->db, t->incident_id,
		    &st, NULL, NULL, &merged) == 0 && merged != 0) {
			/* Merged meanwhile: the alerts follow it. */
			t->incident_id = merged;
			t->parties.n = 0;
			free(hs);
			return flush_track(m, t);
		}
		if (r != 0) {
			free(hs);
			return r;
		}
		for (i = 0; i < nnp; i++)
			party_mark(&t->parties, hs[i]);
		free(hs);
		pending_clear(&t->batch);
	}
	if (t->want_impact > t->impact) {
		if ((r = incident_set_impact(m->db, t->incident_id,
		    t->want_impact, "mamori", t->why)) != 0)
			return r;
		t->impact = t->want_impact;
		if (m->pb != NULL && (r = incident_steps_sync(m->db,
		    t->incident_id, playbook_for(m->pb, t->cat->id),
		    "mamori")) != 0)
			return r;
		if (m->cb != NULL)
			m->cb(m->arg, t->incident_id, INCMGR_IMPACT_RAISED);
	}
	if (incident_state(m->db, t->incident_id, NULL, NULL, &sev,
	    NULL) == 0) {
		t->severity = sev;
		if (sev > sev_before && m->cb != NULL)
			m->cb(m->arg, t->incident_id, INCMGR_SEVERITY_RAISED);
	}
	return 0;
}

/* Drops tracks idle for longer than the window. */
static void
sweep(struct incmgr *m)
{
	struct track **pp, *t;
	size_t i;

	for (i = 0; i < m->nbuckets; i++)
		for (pp = &m->buckets[i]; (t = *pp) != NULL;) {
			if (!t->dirty && m->latest_ns - t->last_ns >
			    m->conf->window_ns && (t->incident_id == 0 ||
			    !m->conf->join_open || !still_open(m, t))) {
				*pp = t->next;
				track_free(t);
				m->ntracks--;
			} else
				pp = &t->next;
		}
}

/*
 * Writes the batches of the dirty tracks.  A track that fails stays
 * dirty for the next try; the others are written regardless.  Frees no
 * track (incmgr_add() holds track pointers across it).
 */
static int
write_dirty(struct incmgr *m)
{
	struct track *t, *next, *kept = NULL;
	int r, first = 0;

	for (t = m->dirty, m->dirty = NULL; t != NULL; t = next) {
		next = t->dirty_next;
		if ((r = flush_track(m, t)) != 0) {
			if (first == 0)
				first = r;
			t->dirty_next = kept;
			kept = t;
			continue;
		}
		t->dirty = 0;
		t->dirty_next = NULL;
	}
	m->dirty = kept;
	return first;
}

int
incmgr_flush(struct incmgr *m)
{
	int r = write_dirty(m);

	if (m->ntracks > TRACKS_MIN_BUCKETS)
		sweep(m);
	return r;
}

/* Takes up the open incidents seen within the window. */
static int
resume(struct incmgr *m)
{
	sqlite3_stmt *st;
	struct track *t;
	const struct tax_category *cat;
	char key[1024];
	size_t i;
	int rc;
	unsigned b;
	int64_t since;

	since = m->conf->join_open ? 0 : time_now_ns() - m->conf->window_ns;
	if (sqlite3_prepare_v2(m->db, "SELECT i.id, i.category, i.last_seen, "
	    "i.impact, i.severity, p.role, p.value FROM incidents i JOIN "
	    "incident_parties p ON p.incident_id = i.id WHERE i.merged_into "
	    "IS NULL AND i.status NOT IN (?, ?) AND i.source = 'alerts' AND "
	    "i.updated >= ? AND p.kind IN (?, ?) ORDER BY i.id", -1, &st,
	    NULL) != SQLITE_OK)
		return MAMORI_EDB;
	sqlite3_bind_int(st, 1, INC_CLOSED);
	sqlite3_bind_int(st, 2, INC_FALSE_POSITIVE);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int(st, 4, INC_PARTY_IP);
	sqlite3_bind_int(st, 5, INC_PARTY_HOST);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *value = (const char *)sqlite3_column_text(st, 6);
		int role = sqlite3_column_int(st, 5);

		cat = taxonomy_get(m->tax,
		    (const char *)sqlite3_column_text(st, 1));
		if (cat == NULL || value == NULL)
			continue;
		/* Only keys made of category with attacker or victim can
		 * be rebuilt from the parties. */
		for (i = 0; i < m->conf->ngroup_by; i++) {
			b = m->conf->group_by[i];
			if (b == (INCMGR_K_CATEGORY | INCMGR_K_ATTACKER) &&
			    role == INC_ATTACKER)
				snprintf(key, sizeof(key), "%zu|c=%s|a=%s", i,
				    cat->id, value);
			else if (b == (INCMGR_K_CATEGORY | INCMGR_K_VICTIM) &&
			    role == INC_VICTIM)
				snprintf(key, sizeof(key), "%zu|c=%s|v=%s", i,
				    cat->id, value);
			else
				continue;
			if ((t = track_get(m, key, 1)) == NULL) {
				sqlite3_finalize(st);
				return MAMORI_ENOMEM;
			}
			t->cat = cat;
			t->incident_id = sqlite3_column_int64(st, 0);
			t->last_ns = sqlite3_column_int64(st, 2);
			t->impact = t->want_impact = sqlite3_column_int(st, 3);
			t->severity = sqlite3_column_int(st, 4);
			if (t->last_ns > m->latest_ns)
				m->latest_ns = t->last_ns;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

struct incmgr *
incmgr_new(sqlite3 *db, const struct incident_conf *conf,
    const struct taxonomy *tax, const struct playbook_set *pb, incmgr_cb *cb,
    void *arg)
{
	struct incmgr *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->db = db;
	m->conf = conf;
	m->tax = tax;
	m->pb = pb;
	m->cb = cb;
	m->arg = arg;
	if (rehash(m, TRACKS_MIN_BUCKETS) != 0 || resume(m) != 0) {
		incmgr_free(m);
		return NULL;
	}
	return m;
}

void
incmgr_set_env(struct incmgr *m, const struct taxonomy *tax,
    const struct playbook_set *pb)
{
	const struct tax_category *c;
	struct track *t;
	size_t i;

	for (i = 0; i < m->nbuckets; i++)
		for (t = m->buckets[i]; t != NULL; t = t->next) {
			if (t->cat == NULL)
				continue;
			if ((c = taxonomy_get(tax, t->cat->id)) == NULL)
				c = taxonomy_fallback(tax);
			t->cat = c;
		}
	m->tax = tax;
	m->pb = pb;
}

void
incmgr_free(struct incmgr *m)
{
	struct track *t, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++)
		for (t = m->buckets[i]; t != NULL; t = next) {
			next = t->next;
			track_free(t);
		}
	free(m->buckets);
	free(m);
}

void
incmgr_stats(const struct incmgr *m, struct incmgr_stats *s)
{
	*s = m->st;
	s->held = m->st.alerts - m->st.ignored - m->st.joined;
}
