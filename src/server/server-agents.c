/*
 * server-agents.c - the registry of agents (see agents.h): identity
 * checks, last-seen times, silence.
 *
 * Workload: a few hundred to a few thousand agents, each sending an
 * event a minute, observed by the analysis workers (any of them, so a
 * mutex guards the table: one hash lookup and a few copies per event),
 * and swept every ~10 s by the thread that owns mamori.db, which writes
 * the rows that changed in one transaction.  The table lives in memory
 * (about 1 KiB per agent, at most AGENTS_MAX) so that the workers never
 * wait on SQLite.
 *
 * The HMAC an agent puts on its events is checked over the same bytes it
 * computed it on: the SD-ID, LF, then NAME=VALUE LF for every parameter
 * before "hmac", in order, with the values as logsearch_sd_parse()
 * unescapes them (src/host/agent-msg.c writes them so).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <jansson.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "server/agents.h"
#include "store/logsearch.h"

#define AGENTS_MAX	100000
#define BUCKETS		4096
#define IDENT_QUIET_NS	(600 * NS_PER_SEC)
#define IDENT_SLOTS	256
#define SD_ID		"mamori-agent@32473"
#define KEY_MAX		4096

struct ent {
	struct ent	*next;
	char		 name[256];
	char		 address[64];
	char		 version[40];
	char		 instance[40];
	char		 subject[256];
	char		 key_id[17];
	int64_t		 first_seen, last_seen;
	uint64_t	 last_seq;
	int		 silent;
	int64_t		 silent_since, stopped_at;
	int		 dirty;
	int64_t		 ident_reported;
	char		 fim_digest[129];	/* last baseline it reported */
};

struct key {
	char		*name;
	uint8_t		*key;
	size_t		 len;
	char		 id[17];
};

struct agents {
	pthread_mutex_t	 mu;
	sqlite3		*db;
	const struct agents_conf *conf;
	int64_t		 opened_ns;
	struct ent	*b[BUCKETS];
	size_t		 n;
	struct key	*keys;
	size_t		 nkeys;
	/* identity reports for names not in the table */
	struct {
		uint32_t h;
		int64_t	 at;
	} ident[IDENT_SLOTS];
	int		 full_reported;
};

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

/* ---- configuration ---- */

void
agents_conf_init(struct agents_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->silent_after_ns = 300 * NS_PER_SEC;
}

void
agents_conf_release(struct agents_conf *c)
{
	size_t i;

	for (i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].path);
	}
	free(c->keys);
	memset(c, 0, sizeof(*c));
}

int
agents_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct agents_conf *c)
{
	static const char *const allowed[] = { "silent_after",
	    "require_identity", "keys" };
	struct agents_conf t;
	yaml_node_pair_t *p;
	yaml_node_t *v, *k;
	char sname[300];
	size_t n = 0, i;
	int r;

	t = *c;
	t.keys = NULL;
	t.nkeys = 0;
	if ((r = ydoc_check_map(d, node, name, allowed, 3)) != 0)
		return r;
	snprintf(sname, sizeof(sname), "%s.silent_after", name);
	if ((r = ydoc_duration(d, ydoc_get(d, node, "silent_after"), sname,
	    &t.silent_after_ns)) != 0)
		return r;
	if (t.silent_after_ns < NS_PER_SEC)
		return ydoc_fail(d, ydoc_get(d, node, "silent_after"),
		    "setting '%s': at least 1s", sname);
	snprintf(sname, sizeof(sname), "%s.require_identity", name);
	if ((r = ydoc_bool(d, ydoc_get(d, node, "require_identity"), sname,
	    &t.require_identity)) != 0)
		return r;
	if ((v = ydoc_get(d, node, "keys")) != NULL) {
		if (!ydoc_is_map(v))
			return ydoc_fail(d, v, "setting '%s.keys': expected a "
			    "mapping of agent names to key files, got %s",
			    name, ydoc_kind(v));
		for (p = v->data.mapping.pairs.start;
		    p < v->data.mapping.pairs.top; p++)
			n++;
		if (n > 0 && (t.keys = calloc(n, sizeof(*t.keys))) == NULL)
			return MAMORI_ENOMEM;
		for (p = v->data.mapping.pairs.start;
		    p < v->data.mapping.pairs.top; p++) {
			struct agents_key *e = &t.keys[t.nkeys];

			k = ydoc_node(d, p->key);
			if (k->type != YAML_SCALAR_NODE ||
			    k->data.scalar.length == 0 ||
			    k->data.scalar.length > 255) {
				r = ydoc_fail(d, k, "setting '%s.keys': "
				    "expected an agent name", name);
				goto fail;
			}
			if ((e->name = strndup((const char *)
			    k->data.scalar.value, k->data.scalar.length)) ==
			    NULL) {
				r = MAMORI_ENOMEM;
				goto fail;
			}
			t.nkeys++;
			for (i = 0; i + 1 < t.nkeys; i++)
				if (strcmp(t.keys[i].name, e->name) == 0) {
					r = ydoc_fail(d, k, "setting '%s.keys': "
					    "%s given twice", name, e->name);
					goto fail;
				}
			snprintf(sname, sizeof(sname), "%s.keys.%s", name,
			    e->name);
			if ((r = ydoc_str(d, ydoc_node(d, p->value), sname,
			    &e->path)) != 0)
				goto fail;
			if (e->path == NULL || e->path[0] != '/') {
				r = ydoc_fail(d, ydoc_node(d, p->value),
				    "setting '%s': expected the absolute path "
				    "of a key file", sname);
				goto fail;
			}
		}
	}
	agents_conf_release(c);
	*c = t;
	return 0;
 fail:
	t.silent_after_ns = 0;
	{
		struct agents_conf z = t;

		agents_conf_release(&z);
	}
	return r;
}

/* ---- identity ---- */

int
agents_subject_cn(const char *s, char *buf, size_t len)
{
	const char *p, *e;
	size_t n;

	if (s == NULL || len == 0)
		return MAMORI_ENOTFOUND;
	for (p = s; *p != '\0'; p++) {
		if ((p[0] != 'C' && p[0] != 'c') || (p[1] != 'N' &&
		    p[1] != 'n'))
			continue;
		if (p != s && p[-1] != '/' && p[-1] != ',' && p[-1] != ' ' &&
		    p[-1] != '+')
			continue;
		e = p + 2;
		while (*e == ' ')
			e++;
		if (*e != '=')
			continue;
		e++;
		while (*e == ' ')
			e++;
		for (n = 0; e[n] != '\0' && e[n] != '/' && e[n] != ',' &&
		    e[n] != '+'; n++)
			;
		while (n > 0 && e[n - 1] == ' ')
			n--;
		if (n == 0 || n >= len)
			return MAMORI_ENOTFOUND;
		memcpy(buf, e, n);
		buf[n] = '\0';
		return 0;
	}
	return MAMORI_ENOTFOUND;
}

static void
key_id(const uint8_t *k, size_t len, char out[17])
{
	unsigned char md[32];
	unsigned int mdlen;
	int i;

	EVP_Digest(k, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int
load_keys(struct agents *a, char *err, size_t errlen)
{
	size_t i, len;
	char *buf;
	int r;

	if (a->conf->nkeys == 0)
		return 0;
	if ((a->keys = calloc(a->conf->nkeys, sizeof(*a->keys))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < a->conf->nkeys; i++) {
		const struct agents_key *k = &a->conf->keys[i];

		if ((r = file_read_all(k->path, KEY_MAX, &buf, &len)) != 0) {
			mamori_seterr(err, errlen, "agents.keys.%s: %s: %s",
			    k->name, k->path, r == MAMORI_ESYS ?
			    "cannot read it" : mamori_strerror(r));
			return r == MAMORI_ENOMEM ? r : MAMORI_EKEY;
		}
		while (len > 0 && (buf[len - 1] == '\n' ||
		    buf[len - 1] == '\r' || buf[len - 1] == ' ' ||
		    buf[len - 1] == '\t'))
			len--;
		if (len < 16) {
			OPENSSL_cleanse(buf, len);
			free(buf);
			mamori_seterr(err, errlen, "agents.keys.%s: %s: a key "
			    "of at least 16 bytes is needed", k->name,
			    k->path);
			return MAMORI_EKEY;
		}
		a->keys[i].key = (uint8_t *)buf;
		a->keys[i].len = len;
		a->keys[i].name = k->name;
		key_id(a->keys[i].key, len, a->keys[i].id);
		a->nkeys++;
	}
	return 0;
}

static const struct key *
find_key(const struct agents *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nkeys; i++)
		if (strcmp(a->keys[i].name, name) == 0)
			return &a->keys[i];
	return NULL;
}

/* ---- the table ---- */

static struct ent *
lookup(struct agents *a, const char *name)
{
	struct ent *e;

	for (e = a->b[hash(name) % BUCKETS]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct ent *
insert(struct agents *a, const char *name)
{
	struct ent *e;
	uint32_t b = hash(name) % BUCKETS;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->next = a->b[b];
	a->b[b] = e;
	a->n++;
	return e;
}

static int
load(struct agents *a, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct ent *e;
	int rc;

	if (sqlite3_prepare_v2(a->db, "SELECT name, address, version, "
	    "instance, first_seen, last_seen, last_seq, cert_subject, key_id, "
	    "state, silent_since, stopped_at, fim_digest FROM agents", -1,
	    &st, NULL) !=
	    SQLITE_OK) {
		mamori_seterr(err, errlen, "agents table: %s",
		    sqlite3_errmsg(a->db));
		return MAMORI_EDB;
	}
#define COL(i) (sqlite3_column_text(st, i) ? \
	    (const char *)sqlite3_column_text(st, i) : "")
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (a->n >= AGENTS_MAX || lookup(a, COL(0)) != NULL)
			continue;
		if ((e = insert(a, COL(0))) == NULL) {
			sqlite3_finalize(st);
			return MAMORI_ENOMEM;
		}
		snprintf(e->address, sizeof(e->address), "%s", COL(1));
		snprintf(e->version, sizeof(e->version), "%s", COL(2));
		snprintf(e->instance, sizeof(e->instance), "%s", COL(3));
		e->first_seen = sqlite3_column_int64(st, 4);
		e->last_seen = sqlite3_column_int64(st, 5);
		e->last_seq = (uint64_t)sqlite3_column_int64(st, 6);
		snprintf(e->subject, sizeof(e->subject), "%s", COL(7));
		snprintf(e->key_id, sizeof(e->key_id), "%s", COL(8));
		e->silent = strcmp(COL(9), "silent") == 0;
		e->silent_since = sqlite3_column_int64(st, 10);
		e->stopped_at = sqlite3_column_int64(st, 11);
		snprintf(e->fim_digest, sizeof(e->fim_digest), "%s", COL(12));
	}
#undef COL
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		mamori_seterr(err, errlen, "agents table: %s",
		    sqlite3_errmsg(a->db));
		return MAMORI_EDB;
	}
	return 0;
}

int
agents_open(sqlite3 *db, const struct agents_conf *conf, int64_t now_ns,
    struct agents **out, char *err, size_t errlen)
{
	struct agents *a;
	int r;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		mamori_seterr(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	pthread_mutex_init(&a->mu, NULL);
	a->db = db;
	a->conf = conf;
	a->opened_ns = now_ns;
	if ((r = load_keys(a, err, errlen)) != 0 ||
	    (r = load(a, err, errlen)) != 0) {
		if (r == MAMORI_ENOMEM)
			mamori_seterr(err, errlen, "out of memory");
		a->db = NULL;	/* nothing to write */
		agents_free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* ---- observing ---- */

/* What an agent event's SD says. */
struct sdinfo {
	int		 in;		/* inside the agent's element */
	int		 done;		/* its element is over */
	int		 oom;
	char		 name[256], event[40], version[40], instance[40];
	char		 hmac[80];
	uint64_t	 seq;
	int		 have_name, have_seq;
	char		*canon;		/* what the HMAC covers */
	size_t		 clen, ccap;
	int		 after_hmac;
};

static void
canon_add(struct sdinfo *s, const char *p, size_t n)
{
	char *np;

	if (s->oom)
		return;
	if (s->clen + n + 1 > s->ccap) {
		size_t cap = (s->clen + n + 1) * 2;

		if ((np = realloc(s->canon, cap)) == NULL) {
			s->oom = 1;
			return;
		}
		s->canon = np;
		s->ccap = cap;
	}
	memcpy(s->canon + s->clen, p, n);
	s->clen += n;
}

static void
copy(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
sd_cb(void *arg, const char *id, size_t idlen, const char *name,
    size_t namelen, const char *value, size_t vlen)
{
	struct sdinfo *s = arg;

	if (name == NULL) {
		if (s->in)
			s->done = 1;
		s->in = !s->done && idlen == sizeof(SD_ID) - 1 &&
		    memcmp(id, SD_ID, idlen) == 0;
		if (s->in) {
			canon_add(s, SD_ID, sizeof(SD_ID) - 1);
			canon_add(s, "\n", 1);
		}
		return 0;
	}
	if (!s->in)
		return 0;
	if (namelen == 4 && memcmp(name, "hmac", 4) == 0) {
		copy(s->hmac, sizeof(s->hmac), value, vlen);
		s->after_hmac = 1;
		return 0;
	}
	if (!s->after_hmac) {
		canon_add(s, name, namelen);
		canon_add(s, "=", 1);
		canon_add(s, value, vlen);
		canon_add(s, "\n", 1);
	}
#define IS(k) (namelen == sizeof(k) - 1 && memcmp(name, k, namelen) == 0)
	if (IS("name") && vlen > 0 && vlen < sizeof(s->name) &&
	    memchr(value, '\0', vlen) == NULL) {
		copy(s->name, sizeof(s->name), value, vlen);
		s->have_name = 1;
	} else if (IS("event"))
		copy(s->event, sizeof(s->event), value, vlen);
	else if (IS("version"))
		copy(s->version, sizeof(s->version), value, vlen);
	else if (IS("instance"))
		copy(s->instance, sizeof(s->instance), value, vlen);
	else if (IS("seq")) {
		size_t i;
		uint64_t v = 0;

		for (i = 0; i < vlen && i < 19 && value[i] >= '0' &&
		    value[i] <= '9'; i++)
			v = v * 10 + (uint64_t)(value[i] - '0');
		s->have_seq = i == vlen && vlen > 0;
		s->seq = v;
	}
#undef IS
	return 0;
}

/* Printable copy of s for reports (names come from the network). */
static void
clean(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	dst[i] = '\0';
}

struct pending {
	int		 have;
	int		 severity;
	const char	*msgid;
	char		 host[256];
	char		 sd[1400];
	char		 text[1200];
};

static void
deliver(struct pending *p, size_t n, agents_report_fn report, void *arg)
{
	struct agents_report r;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!p[i].have || report == NULL)
			continue;
		r.host = p[i].host;
		r.severity = p[i].severity;
		r.msgid = p[i].msgid;
		r.sd = p[i].sd;
		r.text = p[i].text;
		report(arg, &r);
	}
}

static void
fmt_time(int64_t ns, char *buf, size_t len)
{
	if (ns == 0 || time_format_rfc3339(ns, 0, 0, buf, len) != 0)
		snprintf(buf, len, "never");
}

/* Fills p with a report: sd params "k1","v1",..., NULL-terminated. */
static void __attribute__((sentinel))
make_report(struct pending *p, const char *msgid, int severity,
    const char *name, const char *text, ...)
{
	char esc[600];
	const char *k, *v;
	size_t o;
	va_list ap;

	p->have = 1;
	p->msgid = msgid;
	p->severity = severity;
	clean(p->host, sizeof(p->host), name);
	for (o = 0; p->host[o] != '\0'; o++)
		if (p->host[o] == ' ')
			p->host[o] = '_';
	snprintf(p->text, sizeof(p->text), "%s", text);
	event_sd_escape(msgid, strlen(msgid), esc, sizeof(esc));
	o = (size_t)snprintf(p->sd, sizeof(p->sd), "[mamori@32473 event=\"%s\"",
	    esc);
	va_start(ap, text);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		event_sd_escape(v, strlen(v), esc, sizeof(esc));
		if (o < sizeof(p->sd))
			o += (size_t)snprintf(p->sd + o, sizeof(p->sd) - o,
			    " %s=\"%s\"", k, esc);
	}
	va_end(ap);
	if (o < sizeof(p->sd))
		snprintf(p->sd + o, sizeof(p->sd) - o, "]");
	else
		memcpy(p->sd + sizeof(p->sd) - 2, "]", 2);
}

/* At most one identity report per name per IDENT_QUIET_NS. */
static int
ident_may_report(struct agents *a, struct ent *e, const char *name,
    int64_t now)
{
	uint32_t h = hash(name);
	size_t slot = h % IDENT_SLOTS;

	if (e != NULL) {
		if (e->ident_reported != 0 &&
		    now - e->ident_reported < IDENT_QUIET_NS)
			return 0;
		e->ident_reported = now;
		return 1;
	}
	if (a->ident[slot].h == h && a->ident[slot].at != 0 &&
	    now - a->ident[slot].at < IDENT_QUIET_NS)
		return 0;
	a->ident[slot].h = h;
	a->ident[slot].at = now;
	return 1;
}

int
agents_observe(struct agents *a, const struct event *ev,
    const char *peer_subject, int64_t now, agents_report_fn report,
    void *arg)
{
	struct sdinfo s;
	struct pending rep[2];
	const struct key *k;
	struct ent *e;
	char addr[64], cn[256], why[400], text[1200], name[256], hex[65];
	char secs[32];
	const char *srcaddr;
	size_t alen;
	int key_ok = 0, cn_ok = 0, r = 0, fresh;

	if (ev->app.len != 12 || memcmp(event_str(ev, &ev->app),
	    "mamori-agent", 12) != 0 || ev->sd.len == 0)
		return MAMORI_ENOTFOUND;
	memset(&s, 0, sizeof(s));
	memset(rep, 0, sizeof(rep));
	r = logsearch_sd_parse(ev->data + ev->sd.off, ev->sd.len, sd_cb, &s,
	    why, sizeof(why));
	if (r == MAMORI_ENOMEM || s.oom) {
		free(s.canon);
		return MAMORI_ENOMEM;
	}
	/* Malformed structured data is not an agent's (the parser may have
	 * given part of it). */
	if (r != 0 || !s.have_name || !s.have_seq || s.canon == NULL) {
		free(s.canon);
		return MAMORI_ENOTFOUND;	/* not an agent's own event */
	}
	srcaddr = event_src_addr(ev->src, &alen);
	if (alen >= sizeof(addr))
		alen = sizeof(addr) - 1;
	memcpy(addr, srcaddr, alen);
	addr[alen] = '\0';
	clean(name, sizeof(name), s.name);

	/* Identity. */
	r = 0;
	why[0] = '\0';
	if ((k = find_key(a, s.name)) != NULL) {
		if (s.hmac[0] == '\0')
			snprintf(why, sizeof(why), "no HMAC, and a key is set "
			    "for this agent");
		else {
			unsigned char md[32];
			unsigned int mdlen = 0, i;

			if (HMAC(EVP_sha256(), k->key, (int)k->len,
			    (const unsigned char *)s.canon, s.clen, md,
			    &mdlen) != NULL && mdlen == 32) {
				for (i = 0; i < 32; i++)
					snprintf(hex + 2 * i, 3, "%02x", md[i]);
				key_ok = strlen(s.hmac) == 64 &&
				    CRYPTO_memcmp(hex, s.hmac, 64) == 0;
			}
			OPENSSL_cleanse(md, sizeof(md));
			if (!key_ok)
				snprintf(why, sizeof(why), "HMAC does not "
				    "verify (wrong key, or the message was "
				    "altered)");
		}
	}
	if (why[0] == '\0' && peer_subject != NULL &&
	    agents_subject_cn(peer_subject, cn, sizeof(cn)) == 0) {
		if (strcmp(cn, s.name) == 0)
			cn_ok = 1;
		else {
			char c2[256];

			clean(c2, sizeof(c2), cn);
			snprintf(why, sizeof(why), "its TLS certificate is "
			    "for '%s'", c2);
		}
	}
	if (why[0] == '\0' && a->conf->require_identity && !key_ok && !cn_ok)
		snprintf(why, sizeof(why), "no proof of identity (no key set "
		    "for it and no client certificate naming it)");

	pthread_mutex_lock(&a->mu);
	e = lookup(a, s.name);
	if (why[0] != '\0') {
		if (ident_may_report(a, e, s.name, now)) {
			snprintf(text, sizeof(text), "agent identity failed: %s "
			    "from %s: %s", name, addr[0] ? addr : "?", why);
			make_report(&rep[0], "agent-identity", 4, s.name, text,
			    "agent", name, "src", addr, "reason", why,
			    (char *)NULL);
		}
		r = MAMORI_EKEY;
		goto out;
	}
	if (e == NULL) {
		if (a->n >= AGENTS_MAX) {
			if (!a->full_reported)
				log_warn("agents: registry full (%d agents); "
				    "%s not recorded", AGENTS_MAX, name);
			a->full_reported = 1;
			r = MAMORI_ETOOBIG;
			goto out;
		}
		if ((e = insert(a, s.name)) == NULL) {
			r = MAMORI_ENOMEM;
			goto out;
		}
		e->first_seen = now;
		snprintf(e->instance, sizeof(e->instance), "%s", s.instance);
		snprintf(text, sizeof(text), "agent new: %s (%s) version %s",
		    name, addr, s.version[0] ? s.version : "?");
		make_report(&rep[0], "agent-new", 5, s.name, text, "agent",
		    name, "src", addr, "version", s.version, (char *)NULL);
		fresh = 1;
	} else if (strcmp(e->instance, s.instance) != 0) {
		snprintf(text, sizeof(text), "agent reset: %s (%s) started "
		    "with a new state (instance %.32s, was %.32s): messages it "
		    "had queued may be lost", name, addr, s.instance,
		    e->instance[0] ? e->instance : "none");
		make_report(&rep[0], "agent-reset", 4, s.name, text, "agent",
		    name, "src", addr, "instance", s.instance, "was",
		    e->instance, (char *)NULL);
		snprintf(e->instance, sizeof(e->instance), "%s", s.instance);
		fresh = 1;
	} else
		fresh = s.seq > e->last_seq;
	if (!fresh)
		goto out;	/* resent or replayed: no sign of life */
	if (e->silent) {
		snprintf(secs, sizeof(secs), "%lld",
		    (long long)((now - e->last_seen) / NS_PER_SEC));
		snprintf(text, sizeof(text), "agent back: %s (%s) is sending "
		    "again after %s s of silence", name, addr, secs);
		make_report(&rep[1], "agent-back", 5, s.name, text, "agent",
		    name, "src", addr, "silent_for", secs, (char *)NULL);
		e->silent = 0;
		e->silent_since = 0;
	}
	e->last_seen = now;
	e->last_seq = s.seq;
	snprintf(e->address, sizeof(e->address), "%s", addr);
	snprintf(e->version, sizeof(e->version), "%s", s.version);
	if (cn_ok)
		snprintf(e->subject, sizeof(e->subject), "%s", peer_subject);
	if (key_ok)
		snprintf(e->key_id, sizeof(e->key_id), "%s", k->id);
	if (strcmp(s.event, "stopping") == 0)
		e->stopped_at = now;
	else if (strcmp(s.event, "started") == 0)
		e->stopped_at = 0;
	e->dirty = 1;
 out:
	pthread_mutex_unlock(&a->mu);
	free(s.canon);
	deliver(rep, 2, report, arg);
	return r;
}

/* ---- sweeping ---- */

/*
 * A file-integrity event (program mamori-fim) from a known agent: a
 * "baseline" finding records the digest of the baseline the agent made;
 * a "summary" finding names the digest of the baseline a check compared
 * against, and one that is not the last recorded means the baseline was
 * replaced behind the agent's back (a "baseline" finding is sent at every
 * init and update).
 */
int
agents_observe_fim(struct agents *a, const struct event *ev, int64_t now,
    agents_report_fn report, void *arg)
{
	struct pending rep;
	struct ent *e;
	json_t *root, *f;
	const char *event, *digest;
	char host[256], text[1200];
	int r = 0;

	(void)now;
	if (ev->app.len != 10 || memcmp(event_str(ev, &ev->app),
	    "mamori-fim", 10) != 0 || ev->host.len == 0 ||
	    ev->host.len >= sizeof(host) || ev->msg.len == 0)
		return MAMORI_ENOTFOUND;
	memcpy(host, event_str(ev, &ev->host), ev->host.len);
	host[ev->host.len] = '\0';
	if ((root = json_loadb(event_str(ev, &ev->msg), ev->msg.len, 0,
	    NULL)) == NULL)
		return MAMORI_ENOTFOUND;
	f = json_object_get(root, "fim");
	event = json_string_value(json_object_get(f, "event"));
	digest = json_string_value(json_object_get(f,
	    event != NULL && strcmp(event, "summary") == 0 ?
	    "baseline_digest" : "digest"));
	if (event == NULL || digest == NULL || strlen(digest) >= 129) {
		json_decref(root);
		return MAMORI_ENOTFOUND;
	}
	memset(&rep, 0, sizeof(rep));
	pthread_mutex_lock(&a->mu);
	if ((e = lookup(a, host)) == NULL) {
		r = MAMORI_ENOTFOUND;
	} else if (strcmp(event, "baseline") == 0) {
		if (strcmp(e->fim_digest, digest) != 0) {
			snprintf(e->fim_digest, sizeof(e->fim_digest), "%s",
			    digest);
			e->dirty = 1;
		}
	} else if (strcmp(event, "summary") == 0 &&
	    e->fim_digest[0] != '\0' &&
	    strcmp(e->fim_digest, digest) != 0) {
		snprintf(text, sizeof(text), "fim baseline swapped: %s "
		    "checked its files against a baseline (digest %.16s...) "
		    "that is not the one it last made (%.16s...)", e->name,
		    digest, e->fim_digest);
		make_report(&rep, "fim-baseline-swapped", 3, e->name, text,
		    "agent", e->name, "digest", digest, "expected",
		    e->fim_digest, (const char *)NULL);
	}
	pthread_mutex_unlock(&a->mu);
	json_decref(root);
	deliver(&rep, 1, report, arg);
	return r;
}

static int
write_dirty(struct agents *a)
{
	static const char sql[] =
	    "INSERT INTO agents (name, address, version, instance, "
	    "  first_seen, last_seen, last_seq, cert_subject, key_id, state, "
	    "  silent_since, stopped_at, fim_digest) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
	    "ON CONFLICT(name) DO UPDATE SET address = ?2, version = ?3, "
	    "  instance = ?4, last_seen = ?6, last_seq = ?7, "
	    "  cert_subject = ?8, key_id = ?9, state = ?10, "
	    "  silent_since = ?11, stopped_at = ?12, fim_digest = ?13";
	sqlite3_stmt *st;
	struct ent *e;
	size_t b;
	int rc = 0, any = 0;

	if (a->db == NULL)
		return 0;
	for (b = 0; b < BUCKETS && !any; b++)
		for (e = a->b[b]; e != NULL; e = e->next)
			if (e->dirty)
				any = 1;
	if (!any)
		return 0;
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	if (sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return MAMORI_EDB;
	}
#define TXT(i, s) (s[0] ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : \
	    sqlite3_bind_null(st, i))
#define I64(i, v) ((v) ? sqlite3_bind_int64(st, i, v) : \
	    sqlite3_bind_null(st, i))
	for (b = 0; b < BUCKETS && rc == 0; b++)
		for (e = a->b[b]; e != NULL && rc == 0; e = e->next) {
			if (!e->dirty)
				continue;
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
			TXT(2, e->address);
			TXT(3, e->version);
			TXT(4, e->instance);
			sqlite3_bind_int64(st, 5, e->first_seen);
			sqlite3_bind_int64(st, 6, e->last_seen);
			sqlite3_bind_int64(st, 7, (sqlite3_int64)e->last_seq);
			TXT(8, e->subject);
			TXT(9, e->key_id);
			sqlite3_bind_text(st, 10, e->silent ? "silent" :
			    "active", -1, SQLITE_STATIC);
			I64(11, e->silent_since);
			I64(12, e->stopped_at);
			TXT(13, e->fim_digest);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = MAMORI_EDB;
		}
#undef TXT
#undef I64
	sqlite3_finalize(st);
	if (rc != 0 || sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_err("agents: cannot write the agents table: %s",
		    sqlite3_errmsg(a->db));
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		return MAMORI_EDB;
	}
	for (b = 0; b < BUCKETS; b++)
		for (e = a->b[b]; e != NULL; e = e->next)
			e->dirty = 0;
	return 0;
}

int
agents_sweep(struct agents *a, int64_t now, agents_report_fn report,
    void *arg)
{
	struct pending *rep = NULL, *nr;
	size_t nrep = 0, caprep = 0, b;
	struct ent *e;
	char text[1200], secs[32], last[48], stop[48], name[256];
	int64_t seen;
	int r;

	pthread_mutex_lock(&a->mu);
	for (b = 0; b < BUCKETS; b++)
		for (e = a->b[b]; e != NULL; e = e->next) {
			if (e->silent)
				continue;
			/* Not before silent_after since the server started. */
			seen = e->last_seen > a->opened_ns ? e->last_seen :
			    a->opened_ns;
			if (now - seen < a->conf->silent_after_ns)
				continue;
			if (nrep == caprep) {
				size_t cap = caprep ? caprep * 2 : 8;

				if ((nr = realloc(rep, cap * sizeof(*rep))) ==
				    NULL)
					continue;	/* the next sweep */
				rep = nr;
				caprep = cap;
			}
			e->silent = 1;
			e->silent_since = now;
			e->dirty = 1;
			clean(name, sizeof(name), e->name);
			snprintf(secs, sizeof(secs), "%lld",
			    (long long)((now - e->last_seen) / NS_PER_SEC));
			fmt_time(e->last_seen, last, sizeof(last));
			fmt_time(e->stopped_at, stop, sizeof(stop));
			snprintf(text, sizeof(text), "agent silent: %s (%s) "
			    "sent nothing for %s s; last seen %s%s%s", name,
			    e->address[0] ? e->address : "?", secs, last,
			    e->stopped_at ? "; it announced a stop at " : "",
			    e->stopped_at ? stop : "");
			memset(&rep[nrep], 0, sizeof(rep[nrep]));
			make_report(&rep[nrep], "agent-silent", 4, e->name, text,
			    "agent", name, "src", e->address, "last_seen", last,
			    "silent_for", secs, "stopped", e->stopped_at ? stop :
			    "no", (char *)NULL);
			nrep++;
		}
	r = write_dirty(a);
	pthread_mutex_unlock(&a->mu);
	deliver(rep, nrep, report, arg);
	free(rep);
	return r;
}

int
agents_each(struct agents *a, int (*cb)(void *, const struct agents_info *),
    void *arg)
{
	struct agents_info in;
	struct ent *e;
	size_t b;
	int r = 0;

	pthread_mutex_lock(&a->mu);
	for (b = 0; b < BUCKETS && r == 0; b++)
		for (e = a->b[b]; e != NULL && r == 0; e = e->next) {
			in.name = e->name;
			in.address = e->address;
			in.version = e->version;
			in.instance = e->instance;
			in.subject = e->subject;
			in.key_id = e->key_id;
			in.first_seen_ns = e->first_seen;
			in.last_seen_ns = e->last_seen;
			in.last_seq = e->last_seq;
			in.silent = e->silent;
			in.silent_since_ns = e->silent_since;
			in.stopped_ns = e->stopped_at;
			r = cb(arg, &in);
		}
	pthread_mutex_unlock(&a->mu);
	return r;
}

void
agents_free(struct agents *a)
{
	struct ent *e, *next;
	size_t b, i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	(void)write_dirty(a);
	pthread_mutex_unlock(&a->mu);
	for (b = 0; b < BUCKETS; b++)
		for (e = a->b[b]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	for (i = 0; i < a->nkeys; i++) {
		OPENSSL_cleanse(a->keys[i].key, a->keys[i].len);
		free(a->keys[i].key);
	}
	free(a->keys);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
