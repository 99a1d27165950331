/*
 * web-api-alerts.c - GET /api/v1/alerts: the alerts table, newest first,
 * filtered and paged by id (before=), or grouped by rule or source
 * address.
 *
 * Filters that have an index (time, rule, srcip) use it; a text search
 * (q) reads the alerts newest first until it has a page, so a rare text
 * over a large table costs a scan of it: the time filters bound that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "core/error.h"
#include "store/db.h"
#include "store/logsearch.h"
#include "web/web-api.h"
#include "web/web-impl.h"

#define ALERT_COLS	"id, time, rule_id, level, description, groups, " \
			"host, srcip, user, log_seq"

int
web_alert_select(sqlite3 *db, sqlite3_stmt **st, const char *where,
    int64_t a1, int64_t a2)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT " ALERT_COLS " FROM alerts WHERE "
	    "%s", where);
	return db_prep(db, st, sql, "ii", a1, a2);
}

/* Column i as a JSON string (bytes that are not UTF-8 replaced), or
 * null. */
static json_t *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);

	if (p == NULL)
		return json_null();
	return logsearch_utf8_json(p, (size_t)sqlite3_column_bytes(st, i));
}

/* "a,b,c" as ["a", "b", "c"]. */
static json_t *
col_groups(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i), *e;
	size_t len = (size_t)sqlite3_column_bytes(st, i), k;
	json_t *a = json_array();

	if (a == NULL || p == NULL)
		return a;
	while (len > 0) {
		e = memchr(p, ',', len);
		k = e != NULL ? (size_t)(e - p) : len;
		if (k > 0)
			json_array_append_new(a, logsearch_utf8_json(p, k));
		if (e == NULL)
			break;
		len -= k + 1;
		p = e + 1;
	}
	return a;
}

json_t *
web_alert_json(sqlite3_stmt *st)
{
	json_t *j = json_object();

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(j, "time",
	    web_time_json(sqlite3_column_int64(st, 1)));
	json_object_set_new(j, "rule_id",
	    json_integer(sqlite3_column_int64(st, 2)));
	json_object_set_new(j, "level", json_integer(sqlite3_column_int(st,
	    3)));
	json_object_set_new(j, "description", col_text(st, 4));
	json_object_set_new(j, "groups", col_groups(st, 5));
	json_object_set_new(j, "host", col_text(st, 6));
	json_object_set_new(j, "srcip", col_text(st, 7));
	json_object_set_new(j, "user", col_text(st, 8));
	json_object_set_new(j, "log_seq", sqlite3_column_type(st, 9) ==
	    SQLITE_NULL ? json_null() :
	    json_integer(sqlite3_column_int64(st, 9)));
	return j;
}

/* The filters, as SQL over named parameters. */
struct alert_filter {
	int64_t		 since, until, level, rule, before;
	const char	*srcip, *host, *q;
};

static const char where_sql[] =
    "(?1 IS NULL OR time >= ?1) AND (?2 IS NULL OR time <= ?2) AND "
    "(?3 IS NULL OR level >= ?3) AND (?4 IS NULL OR rule_id = ?4) AND "
    "(?5 IS NULL OR srcip = ?5) AND (?6 IS NULL OR host = ?6 COLLATE "
    "NOCASE) AND (?7 IS NULL OR instr(lower(coalesce(description, '') || "
    "' ' || coalesce(groups, '') || ' ' || coalesce(host, '') || ' ' || "
    "coalesce(srcip, '') || ' ' || coalesce(user, '')), lower(?7)) > 0)";

static void
bind_filter(sqlite3_stmt *st, const struct alert_filter *f)
{
	if (f->since != INT64_MIN)
		sqlite3_bind_int64(st, 1, f->since);
	if (f->until != INT64_MAX)
		sqlite3_bind_int64(st, 2, f->until);
	if (f->level >= 0)
		sqlite3_bind_int64(st, 3, f->level);
	if (f->rule >= 0)
		sqlite3_bind_int64(st, 4, f->rule);
	if (f->srcip != NULL)
		sqlite3_bind_text(st, 5, f->srcip, -1, SQLITE_STATIC);
	if (f->host != NULL)
		sqlite3_bind_text(st, 6, f->host, -1, SQLITE_STATIC);
	if (f->q != NULL)
		sqlite3_bind_text(st, 7, f->q, -1, SQLITE_STATIC);
	if (f->before > 0)
		sqlite3_bind_int64(st, 8, f->before);
}

static const char *
text_param(struct web_req *rq, const char *key, int *bad)
{
	const char *s;
	int b;

	s = web_query(rq, key, &b);
	*bad |= b;
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Groups by rule or source address: count, highest level, latest time,
 * and the description of the latest alert of each. */
static void
grouped(struct web_req *rq, const struct alert_filter *f, const char *by,
    size_t limit)
{
	sqlite3_stmt *st, *d;
	char sql[2048];
	json_t *arr, *g;
	int rule = strcmp(by, "rule") == 0;

	snprintf(sql, sizeof(sql), "SELECT %s, count(*), max(level), "
	    "max(time), max(id) FROM alerts WHERE %s AND (?8 IS NULL OR id < "
	    "?8) %s GROUP BY 1 ORDER BY 2 DESC, 4 DESC LIMIT %zu",
	    rule ? "rule_id" : "srcip", where_sql, rule ? "" :
	    "AND srcip IS NOT NULL", limit);
	if (db_prep(rq->db, &st, sql, NULL) != 0 || (arr = json_array()) ==
	    NULL) {
		sqlite3_finalize(st);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the alerts");
		return;
	}
	bind_filter(st, f);
	while (sqlite3_step(st) == SQLITE_ROW) {
		g = json_object();
		json_object_set_new(g, "key", col_text(st, 0));
		json_object_set_new(g, "count",
		    json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(g, "max_level",
		    json_integer(sqlite3_column_int(st, 2)));
		json_object_set_new(g, "last",
		    web_time_json(sqlite3_column_int64(st, 3)));
		if (db_prep(rq->db, &d, "SELECT description FROM alerts WHERE "
		    "id = ?1", "i", sqlite3_column_int64(st, 4)) == 0 &&
		    sqlite3_step(d) == SQLITE_ROW)
			json_object_set_new(g, "description", col_text(d, 0));
		else
			json_object_set_new(g, "description", json_null());
		sqlite3_finalize(d);
		json_array_append_new(arr, g);
	}
	sqlite3_finalize(st);
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "groups", arr));
}

void
web_h_alerts(struct web_req *rq)
{
	struct alert_filter f;
	sqlite3_stmt *st;
	const char *group;
	char sql[2048];
	json_t *arr;
	size_t limit, n = 0;
	int64_t last = 0;
	int bad = 0, more = 0, step;

	memset(&f, 0, sizeof(f));
	f.since = INT64_MIN;
	f.until = INT64_MAX;
	f.level = -1;
	f.rule = -1;
	if (web_query_time(rq, "since", &f.since) != 0 ||
	    web_query_time(rq, "until", &f.until) != 0 ||
	    web_query_int(rq, "level", 0, 16, &f.level) != 0 ||
	    web_query_int(rq, "rule", 0, UINT32_MAX, &f.rule) != 0 ||
	    web_query_int(rq, "before", 1, INT64_MAX, &f.before) != 0 ||
	    web_query_limit(rq, &limit) != 0)
		return;
	f.srcip = text_param(rq, "srcip", &bad);
	f.host = text_param(rq, "host", &bad);
	f.q = text_param(rq, "q", &bad);
	group = text_param(rq, "group", &bad);
	if (bad) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad percent-encoding "
		    "in the query");
		return;
	}
	if (group != NULL) {
		if (strcmp(group, "rule") != 0 && strcmp(group, "srcip") != 0) {
			web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter "
			    "'group': expected rule or srcip");
			return;
		}
		grouped(rq, &f, group, limit);
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT " ALERT_COLS " FROM alerts WHERE "
	    "%s AND (?8 IS NULL OR id < ?8) ORDER BY id DESC LIMIT %zu",
	    where_sql, limit + 1);
	if (db_prep(rq->db, &st, sql, NULL) != 0 ||
	    (arr = json_array()) == NULL) {
		sqlite3_finalize(st);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the alerts");
		return;
	}
	bind_filter(st, &f);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(arr, web_alert_json(st));
		n++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		json_decref(arr);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the alerts");
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "alerts", arr,
	    "next", more ? json_integer(last) : json_null()));
}
