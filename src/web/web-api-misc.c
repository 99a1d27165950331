/*
 * web-api-misc.c - GET /overview, /hosts, /rules and /contacts: what the
 * console's overview, hosts and settings pages show.
 *
 * The overview is a few grouped queries over indexed columns (alerts by
 * time, incidents by status, hosts by last message) plus the pipeline's
 * own counters, which the server lends through web_ops; events per
 * second come from the publisher's per-minute samples.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/incident.h"
#include "incident/notify.h"
#include "rules/rules.h"
#include "store/db.h"
#include "store/logsearch.h"
#include "web/web-impl.h"

#define HOUR_NS		(3600 * NS_PER_SEC)
#define HOSTS_SHOWN	100
#define FINDINGS_SHOWN	200
#define FINDINGS_DAYS	7
#define RULES_CACHE_NS	(60 * NS_PER_SEC)

static json_t *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	if (p == NULL)
		return json_null();
	return logsearch_utf8_json(p, (size_t)sqlite3_column_bytes(st, i));
}

/* Alerts of the last 24 hours per hour and level band (levels 0-6 low,
 * 7-9 medium, 10-12 high, 13 and more critical). */
static json_t *
alerts_by_level(sqlite3 *db, int64_t now)
{
	static const char *const band[] = { "low", "medium", "high",
	    "critical" };
	sqlite3_stmt *st;
	int64_t start = (now / HOUR_NS - 23) * HOUR_NS, n[24][4];
	json_t *a;
	int h, b;

	memset(n, 0, sizeof(n));
	if (db_prep(db, &st, "SELECT (time - ?1) / ?2, CASE WHEN level <= 6 "
	    "THEN 0 WHEN level <= 9 THEN 1 WHEN level <= 12 THEN 2 ELSE 3 "
	    "END, count(*) FROM alerts WHERE time >= ?1 GROUP BY 1, 2", "ii",
	    start, HOUR_NS) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			h = sqlite3_column_int(st, 0);
			b = sqlite3_column_int(st, 1);
			if (h >= 0 && h < 24 && b >= 0 && b < 4)
				n[h][b] = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
	}
	if ((a = json_array()) == NULL)
		return NULL;
	for (h = 0; h < 24; h++) {
		json_t *o = json_pack("{s:o}", "t", web_time_json(start +
		    h * HOUR_NS));

		for (b = 0; b < 4 && o != NULL; b++)
			json_object_set_new(o, band[b], json_integer(n[h][b]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
incidents_open(sqlite3 *db)
{
	sqlite3_stmt *st;
	json_t *cat = json_object(), *imp = json_object();
	int64_t total = 0;

	if (db_prep(db, &st, "SELECT category, impact, count(*) FROM "
	    "incidents WHERE status NOT IN (?1, ?2) AND merged_into IS NULL "
	    "GROUP BY 1, 2", "dd", INC_CLOSED, INC_FALSE_POSITIVE) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(st,
			    0);
			const char *i = inc_impact_name(sqlite3_column_int(st,
			    1));
			int64_t n = sqlite3_column_int64(st, 2);
			json_t *v;

			if (c == NULL)
				c = "";
			v = json_object_get(cat, c);
			json_object_set_new(cat, c, json_integer(n +
			    (v != NULL ? json_integer_value(v) : 0)));
			v = json_object_get(imp, i);
			json_object_set_new(imp, i, json_integer(n +
			    (v != NULL ? json_integer_value(v) : 0)));
			total += n;
		}
		sqlite3_finalize(st);
	}
	return json_pack("{s:o, s:o, s:I}", "by_category", cat, "by_impact",
	    imp, "total", (json_int_t)total);
}

static json_t *
hosts_health(struct web_req *rq, int64_t now)
{
	sqlite3_stmt *st;
	json_t *silent = json_array(), *off = json_array();

	if (db_prep(rq->db, &st, "SELECT name, last_seen FROM hosts WHERE "
	    "last_seen < ?1 ORDER BY last_seen DESC LIMIT ?2", "ii",
	    now - rq->ws->conf->silent_after_ns, (int64_t)HOSTS_SHOWN) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(silent, json_pack("{s:o, s:o}",
			    "name", col_text(st, 0), "last_seen",
			    web_time_json(sqlite3_column_int64(st, 1))));
		sqlite3_finalize(st);
	}
	if (db_prep(rq->db, &st, "SELECT name, clock_offset_ns FROM hosts "
	    "WHERE abs(clock_offset_ns) > ?1 ORDER BY abs(clock_offset_ns) "
	    "DESC LIMIT ?2", "ii", rq->ws->cfg->skew_threshold_ns,
	    (int64_t)HOSTS_SHOWN) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(off, json_pack("{s:o, s:f}",
			    "name", col_text(st, 0), "offset_s",
			    (double)sqlite3_column_int64(st, 1) / 1e9));
		sqlite3_finalize(st);
	}
	return json_pack("{s:o, s:o}", "silent", silent, "clock_offset", off);
}

/* Copies st's key into j, or an empty list when st lacks it. */
static void
status_part(json_t *j, json_t *st, const char *key)
{
	json_t *v = json_object_get(st, key);

	json_object_set_new(j, key, v != NULL ? json_incref(v) :
	    json_array());
}

void
web_h_overview(struct web_req *rq)
{
	const struct web_ops *ops = &rq->ws->ops;
	int64_t now = time_now_ns();
	json_t *j, *st = NULL;

	j = json_pack("{s:o, s:o, s:o, s:o, s:o}", "now", web_time_json(now),
	    "events_per_second", web_rate_json(rq->ws, now),
	    "alerts_by_level", alerts_by_level(rq->db, now),
	    "incidents_open", incidents_open(rq->db),
	    "hosts", hosts_health(rq, now));
	if (j == NULL) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	if (ops->status != NULL)
		st = ops->status(ops->arg);
	status_part(j, st, "listeners");
	status_part(j, st, "queues");
	status_part(j, st, "sensor");
	json_decref(st);
	web_reply_json(rq, MHD_HTTP_OK, j);
}

/* ---- hosts ---- */

static int
host_cb(void *arg, const struct db_host *h)
{
	json_t *a = arg;

	json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:I, s:o}",
	    "name", logsearch_utf8_json((const uint8_t *)h->name,
	    strlen(h->name)), "address", logsearch_utf8_json(
	    (const uint8_t *)h->src, strlen(h->src)), "first_seen",
	    web_time_json(h->first_seen_ns), "last_seen",
	    web_time_json(h->last_seen_ns), "messages",
	    (json_int_t)h->messages, "clock_offset_s", h->has_offset ?
	    json_real((double)h->offset_ns / 1e9) : json_null()));
	return 0;
}

/* Findings of the host checks: the alerts of the FIM, audit and
 * rootcheck rules (their groups) of the last week. */
static json_t *
findings(sqlite3 *db, int64_t now)
{
	static const char *const mods[] = { "fim", "audit", "rootcheck" };
	sqlite3_stmt *st;
	json_t *a = json_array();
	const char *g;
	int level;
	size_t k;

	if (db_prep(db, &st, "SELECT host, groups, level, description, time "
	    "FROM alerts WHERE time >= ?1 AND (',' || groups || ',' LIKE "
	    "'%,fim,%' OR ',' || groups || ',' LIKE '%,syscheck,%' OR ',' || "
	    "groups || ',' LIKE '%,audit,%' OR ',' || groups || ',' LIKE "
	    "'%,rootcheck,%') ORDER BY time DESC LIMIT ?2", "ii",
	    now - FINDINGS_DAYS * 86400 * NS_PER_SEC,
	    (int64_t)FINDINGS_SHOWN) != 0)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW) {
		g = (const char *)sqlite3_column_text(st, 1);
		for (k = 0; k < 3; k++)
			if (g != NULL && strstr(g, mods[k]) != NULL)
				break;
		if (k == 3)
			k = 0;		/* syscheck is FIM */
		level = sqlite3_column_int(st, 2);
		json_array_append_new(a, json_pack("{s:o, s:s, s:s, s:o, s:o}",
		    "host", col_text(st, 0), "module", mods[k], "severity",
		    inc_severity_name(inc_severity_of_level(level)), "text",
		    col_text(st, 3), "time",
		    web_time_json(sqlite3_column_int64(st, 4))));
	}
	sqlite3_finalize(st);
	return a;
}

static json_t *
agents(sqlite3 *db)
{
	sqlite3_stmt *st;
	json_t *a = json_array();

	/* Schema version 4 (src/server/agents.h). */
	if (db_prep(db, &st, "SELECT name, address, version, last_seen, "
	    "state FROM agents ORDER BY name", NULL) != 0)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "name", col_text(st, 0), "address", col_text(st, 1),
		    "version", col_text(st, 2), "last_seen",
		    web_time_json(sqlite3_column_int64(st, 3)), "state",
		    col_text(st, 4)));
	sqlite3_finalize(st);
	return a;
}

void
web_h_hosts(struct web_req *rq)
{
	json_t *hosts = json_array();

	if (hosts == NULL || db_hosts_each(rq->dbh, host_cb, hosts) != 0) {
		json_decref(hosts);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the hosts");
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o, s:o}", "hosts",
	    hosts, "agents", agents(rq->db), "findings", findings(rq->db,
	    time_now_ns())));
}

/* ---- rules ---- */

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule and decoder files under path (a directory: its *.xml files;
 * else the file itself). */
static json_t *
rule_files(const char *path)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	char **v = NULL, **nv;
	size_t n = 0, i, len;
	json_t *a = json_array();

	if (a == NULL || path == NULL || stat(path, &sb) != 0)
		return a;
	if (!S_ISDIR(sb.st_mode)) {
		const char *base = strrchr(path, '/');

		json_array_append_new(a, logsearch_utf8_json((const uint8_t *)
		    (base != NULL ? base + 1 : path), strlen(base != NULL ?
		    base + 1 : path)));
		return a;
	}
	if ((d = opendir(path)) == NULL)
		return a;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".xml") != 0 ||
		    (nv = realloc(v, (n + 1) * sizeof(*v))) == NULL)
			continue;
		v = nv;
		if ((v[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), strp_cmp);
	for (i = 0; i < n; i++) {
		json_array_append_new(a, logsearch_utf8_json((const uint8_t *)
		    v[i], strlen(v[i])));
		free(v[i]);
	}
	free(v);
	return a;
}

static json_t *
rules_summary(const struct config *c)
{
	struct rules_set *rs;
	char err[512];
	json_t *j;
	size_t nd = 0, nr = 0;
	int loaded = 0;

	snprintf(err, sizeof(err), "cannot load the ruleset");
	if (c->rules_enabled && c->rules_path != NULL &&
	    (rs = rules_set_new()) != NULL) {
		if (rules_set_load(rs, c->rules_path, err, sizeof(err)) == 0 &&
		    rules_set_finish(rs, err, sizeof(err)) == 0) {
			nd = rules_set_ndecoders(rs);
			nr = rules_set_nrules(rs);
			loaded = 1;
		}
		rules_set_free(rs);
	}
	j = json_pack("{s:I, s:I, s:o, s:o, s:b}", "decoders", (json_int_t)nd,
	    "rules", (json_int_t)nr, "files", rule_files(c->rules_enabled ?
	    c->rules_path : NULL), "path", c->rules_enabled &&
	    c->rules_path != NULL ? logsearch_utf8_json((const uint8_t *)
	    c->rules_path, strlen(c->rules_path)) : json_null(), "enabled",
	    c->rules_enabled);
	if (j != NULL && c->rules_enabled && !loaded)
		json_object_set_new(j, "error", web_text_json(err));
	return j;
}

void
web_h_rules(struct web_req *rq)
{
	struct web_server *ws = rq->ws;
	int64_t now = time_mono_ns();
	json_t *j;

	pthread_mutex_lock(&ws->rules_mu);
	if (ws->rules_cache == NULL || now - ws->rules_at > RULES_CACHE_NS) {
		json_decref(ws->rules_cache);
		ws->rules_cache = rules_summary(ws->cfg);
		ws->rules_at = now;
	}
	j = json_deep_copy(ws->rules_cache);
	pthread_mutex_unlock(&ws->rules_mu);
	web_reply_json(rq, MHD_HTTP_OK, j);
}

/* ---- contacts ---- */

static json_t *
strv_json(char **v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, web_text_json(*v));
	return a;
}

void
web_h_contacts(struct web_req *rq)
{
	const struct notify_plan *p = rq->ws->cfg->notify;
	json_t *cs = json_array(), *rs = json_array(), *c, *roles, *names;
	char red[256];
	size_t i, k;
	int b;

	for (i = 0; p != NULL && i < p->ncontacts; i++) {
		const struct notify_contact *nc = &p->contacts[i];

		/* Never the secrets: a webhook's path is usually its key,
		 * and the signing secret stays out altogether. */
		c = json_pack("{s:o, s:s, s:o, s:o, s:s}", "name",
		    web_text_json(nc->name), "role", notify_role_name(nc->role),
		    "email", strv_json(nc->email), "webhook",
		    nc->webhook != NULL ? web_text_json(notify_url_redact(
		    nc->webhook, red, sizeof(red))) : json_null(), "lang",
		    nc->lang == NOTIFY_LANG_JA ? "ja" : "en");
		json_array_append_new(cs, c);
	}
	for (i = 0; p != NULL && i < p->nroutes; i++) {
		const struct notify_route *r = &p->routes[i];

		roles = json_array();
		for (b = 0; b < NOTIFY_NROLES; b++)
			if (r->roles & (1u << b))
				json_array_append_new(roles,
				    json_string(notify_role_name(b)));
		names = json_array();
		for (k = 0; k < r->ncontacts; k++)
			if (r->contacts[k] < p->ncontacts)
				json_array_append_new(names, web_text_json(
				    p->contacts[r->contacts[k]].name));
		json_array_append_new(rs, json_pack("{s:o, s:o, s:o, s:o, "
		    "s:o}", "categories", r->categories != NULL ?
		    strv_json(r->categories) : json_null(), "min_impact",
		    r->min_impact != 0 ? json_string(inc_impact_name(
		    r->min_impact)) : json_null(), "min_severity",
		    r->min_severity != 0 ? json_string(inc_severity_name(
		    r->min_severity)) : json_null(), "roles", roles,
		    "contacts", names));
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "contacts", cs,
	    "routes", rs));
}
