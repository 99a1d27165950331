/*
 * server-rules.c - the rules engine inside the server.
 *
 * Every event a worker passes to the writer first goes through the rules
 * (rules_process() on the BSD-shaped line of the parsed event).  Each
 * worker has its own analysis context, so correlation state belongs to
 * one worker; events are partitioned by sender address, so a frequency
 * rule sees every event of the host that logs it.  An alert rides on its
 * event to the writer, which knows the event's log-store seq once it is
 * appended, and once the group's fsync has finished writes the alert to
 * alerts.json (JSON lines, Wazuh's field names, "log_seq" naming the
 * record) and to the alerts table of mamori.db.
 *
 * Reloading (SIGHUP): a new ruleset is loaded beside the current one;
 * only when it loaded cleanly does it become current.  Workers notice at
 * their next batch, build a context for it and let go of the old set,
 * which is freed when the last worker has let go.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "rules/rules-json.h"
#include "rules/rules.h"
#include "server/server-impl.h"

struct server_ruleset {
	struct rules_set *rs;
	int		 refs;		/* under s->rules_mu */
	uint64_t	 gen;
};

#define ALERT_LOG_MAX	1024	/* of the line, kept with incidents */

static void
alert_free(void *p)
{
	struct server_alert *a = p;

	if (a == NULL)
		return;
	json_decref(a->json);
	free(a->description);
	free(a->groups);
	free(a->host);
	free(a->srcip);
	free(a->dstip);
	free(a->srcuser);
	free(a->dstuser);
	free(a->log);
	free(a->user);
	free(a);
}

static void
ruleset_put(struct server *s, struct server_ruleset *r)
{
	int last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&s->rules_mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&s->rules_mu);
	if (last) {
		rules_set_free(r->rs);
		free(r);
	}
}

static struct server_ruleset *
ruleset_load(const char *path, char *err, size_t errlen)
{
	struct server_ruleset *r;
	char why[1024];

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rs = rules_set_new()) == NULL) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rules_set_load(r->rs, path, why, sizeof(why)) != 0 ||
	    rules_set_finish(r->rs, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "rules: %s", why);
		rules_set_free(r->rs);
		free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

int
server_rules_init(struct server *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	char path[4096];

	pthread_mutex_init(&s->rules_mu, NULL);
	s->rules_mu_init = 1;
	if (!c->rules_enabled)
		return 0;
	if (c->rules_path == NULL) {
		snprintf(err, errlen, "rules: no ruleset named (rules.path) "
		    "and no bundled one found");
		return MAMORI_ECONFIG;
	}
	if ((s->rules = ruleset_load(c->rules_path, err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	s->rules->gen = 1;
	log_info("rules: %zu decoders and %zu rules from %s",
	    rules_set_ndecoders(s->rules->rs), rules_set_nrules(s->rules->rs),
	    c->rules_path);
	snprintf(path, sizeof(path), "%s/alerts.json", c->data_dir);
	if ((s->alerts_file = fopen(path, "a")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MAMORI_ESYS;
	}
	return 0;
}

void
server_rules_reload(struct server *s)
{
	struct server_ruleset *r, *old;
	char err[1024];

	if (!s->cfg->rules_enabled || s->cfg->rules_path == NULL) {
		log_info("SIGHUP: rules are off; nothing to reload");
		return;
	}
	if ((r = ruleset_load(s->cfg->rules_path, err, sizeof(err))) ==
	    NULL) {
		log_err("SIGHUP: %s; the rules loaded before stay in use",
		    err);
		return;
	}
	pthread_mutex_lock(&s->rules_mu);
	old = s->rules;
	r->gen = old != NULL ? old->gen + 1 : 1;
	s->rules = r;
	pthread_mutex_unlock(&s->rules_mu);
	ruleset_put(s, old);
	log_info("SIGHUP: rules reloaded: %zu decoders and %zu rules from %s",
	    rules_set_ndecoders(r->rs), rules_set_nrules(r->rs),
	    s->cfg->rules_path);
}

void
server_rules_release(struct server *s)
{
	if (s->rules != NULL)
		ruleset_put(s, s->rules);
	s->rules = NULL;
	if (s->alerts_file != NULL)
		fclose(s->alerts_file);
	s->alerts_file = NULL;
	if (s->rules_mu_init)
		pthread_mutex_destroy(&s->rules_mu);
	s->rules_mu_init = 0;
}

/* The worker takes the current ruleset when it changed. */
static void
worker_refresh(struct worker *w)
{
	struct server *s = w->srv;
	struct server_ruleset *cur;
	struct rules_ctx *ctx;

	pthread_mutex_lock(&s->rules_mu);
	cur = s->rules;
	if (cur == w->rules) {
		pthread_mutex_unlock(&s->rules_mu);
		return;
	}
	if (cur != NULL)
		cur->refs++;
	pthread_mutex_unlock(&s->rules_mu);
	if (cur != NULL && (ctx = rules_ctx_new(cur->rs)) == NULL) {
		log_err("rules: out of memory for worker %d's context; "
		    "events go unanalysed", w->id);
		ruleset_put(s, cur);
		return;
	}
	rules_ctx_free(w->rctx);
	ruleset_put(s, w->rules);
	w->rules = cur;
	w->rctx = cur != NULL ? ctx : NULL;
	if (w->rctx != NULL)
		rules_ctx_set_hostname(w->rctx, s->hostname);
}

static char *
join_groups(const struct rules_result *r)
{
	size_t n = 1;
	char *g;
	int i;

	for (i = 0; i < r->ngroups; i++)
		n += strlen(r->groups[i]) + 1;
	if ((g = malloc(n)) == NULL)
		return NULL;
	g[0] = '\0';
	for (i = 0; i < r->ngroups; i++) {
		if (i > 0)
			strcat(g, ",");
		strcat(g, r->groups[i]);
	}
	return g;
}

static char *
dup_opt(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void
server_rules_analyze(struct worker *w, struct event **evs, int n)
{
	struct server *s = w->srv;
	struct rules_json_meta meta;
	struct rules_result res;
	struct server_alert *a;
	char line[SYSLOG_TAG_MAX + 65536 + 512];
	size_t len;
	int i;

	worker_refresh(w);
	if (w->rctx == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct event *ev = evs[i];
		int64_t t = ev->flags & EVENT_F_HAS_TS ? ev->ts_ns :
		    ev->recv_ns;
		size_t alen;
		const char *addr = event_src_addr(ev->src, &alen);
		char loc[EVENT_SRC_MAX];

		len = rules_event_line(ev, line, sizeof(line));
		snprintf(loc, sizeof(loc), "%.*s", (int)alen, addr);
		/* Correlation runs on the time the event happened, but a
		 * sender's wrong clock must not reorder it far. */
		if (t > ev->recv_ns + 60 * NS_PER_SEC)
			t = ev->recv_ns;
		if (rules_process(w->rctx, line, len, loc, t, &res) != 0 ||
		    !res.alert)
			continue;
		atomic_fetch_add(&s->n.alerts, 1);
		if ((a = calloc(1, sizeof(*a))) == NULL)
			continue;
		memset(&meta, 0, sizeof(meta));
		meta.time_ns = t;
		meta.agent = res.hostname;
		meta.manager = s->hostname;
		a->json = rules_result_json(&res, &meta);
		a->time_ns = t;
		a->rule_id = res.rule_id;
		a->level = res.level;
		a->description = dup_opt(res.description);
		a->groups = join_groups(&res);
		a->host = dup_opt(res.hostname);
		a->srcip = dup_opt(res.fields[RULES_F_SRCIP]);
		a->user = dup_opt(res.fields[RULES_F_DSTUSER] != NULL ?
		    res.fields[RULES_F_DSTUSER] : res.fields[RULES_F_SRCUSER]);
		a->dstip = dup_opt(res.fields[RULES_F_DSTIP]);
		a->srcuser = dup_opt(res.fields[RULES_F_SRCUSER]);
		a->dstuser = dup_opt(res.fields[RULES_F_DSTUSER]);
		if (res.full_log != NULL)
			a->log = strndup(res.full_log, ALERT_LOG_MAX);
		if (a->json == NULL) {
			alert_free(a);
			continue;
		}
		/* One alert per event: the rules give at most one. */
		if (ev->ext != NULL && ev->ext_free != NULL)
			ev->ext_free(ev->ext);
		ev->ext = a;
		ev->ext_free = alert_free;
	}
}

void
server_rules_worker_release(struct worker *w)
{
	rules_ctx_free(w->rctx);
	w->rctx = NULL;
	ruleset_put(w->srv, w->rules);
	w->rules = NULL;
}

/*
 * The writer's side: alerts of appended events wait with their group
 * until its sync is done.
 */
int
server_alerts_take(struct server_alerts *l, struct event *ev)
{
	struct server_alert *a;

	if (ev->ext_free != alert_free || (a = ev->ext) == NULL)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (ev->seq != 0) {
		char id[48];

		json_object_set_new(a->json, "log_seq",
		    json_integer((json_int_t)ev->seq));
		/* Wazuh's alert id is "seconds.offset"; here the record's
		 * seq, unique in the store. */
		snprintf(id, sizeof(id), "%lld.%llu",
		    (long long)(a->time_ns / NS_PER_SEC),
		    (unsigned long long)ev->seq);
		json_object_set_new(a->json, "id", json_string(id));
	}
	l->v[l->n++] = a;
	a->log_seq = ev->seq;
	ev->ext = NULL;
	ev->ext_free = NULL;
	return 0;
}

void
server_alerts_flush(struct server *s, struct server_alerts *l)
{
	struct db_alert *rows;
	size_t i, k = 0, *from = NULL;

	if (l->n == 0)
		return;
	rows = calloc(l->n, sizeof(*rows));
	if ((from = calloc(l->n, sizeof(*from))) == NULL) {
		free(rows);
		rows = NULL;
	}
	for (i = 0; i < l->n; i++) {
		struct server_alert *a = l->v[i];
		char *text = json_dumps(a->json, JSON_COMPACT);

		if (text == NULL)
			continue;
		if (s->alerts_file != NULL)
			fprintf(s->alerts_file, "%s\n", text);
		if (rows != NULL) {
			rows[k].time_ns = a->time_ns;
			rows[k].rule_id = a->rule_id;
			rows[k].level = a->level;
			rows[k].description = a->description;
			rows[k].groups = a->groups;
			rows[k].host = a->host;
			rows[k].srcip = a->srcip;
			rows[k].user = a->user;
			rows[k].log_seq = a->log_seq;
			rows[k].json = text;
			from[k] = i;
			k++;
		} else
			free(text);
	}
	if (s->alerts_file != NULL && fflush(s->alerts_file) != 0)
		log_err("alerts.json: %s", strerror(errno));
	if (rows != NULL && s->alerts_db != NULL &&
	    db_alerts_add(s->alerts_db, rows, k) != 0)
		log_err("mamori.db: cannot store %zu alerts", k);
	for (i = 0; rows != NULL && i < k; i++) {
		free((char *)rows[i].json);
		((struct server_alert *)l->v[from[i]])->alert_id = rows[i].id;
	}
	free(rows);
	free(from);
	for (i = 0; s->incidents != NULL && i < l->n; i++)
		server_incidents_alert(s, l->v[i]);
	if (s->incidents != NULL)
		server_incidents_flush(s);
	for (i = 0; i < l->n; i++)
		alert_free(l->v[i]);
	l->n = 0;
}

void
server_alerts_release(struct server_alerts *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		alert_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
