/*
 * web-api-logs.c - GET /api/v1/logs: the log store with the filters of
 * `mamori logs search` (the same compiled search, logsearch.h), newest
 * first, a page at a time (logsearch-page.h): "next" is the cursor for
 * the page after, the sequence number below which it starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/error.h"
#include "store/logsearch-page.h"
#include "store/logsearch.h"
#include "web/web-impl.h"

void
web_h_logs(struct web_req *rq)
{
	struct logsearch_query q;
	struct logsearch_page_opts o;
	struct logsearch_page_result res;
	struct logsearch *s;
	const char *host, *app, *sev, *pat;
	char err[512];
	json_t *arr;
	int64_t regex = 0, cursor = 0;
	size_t i, limit;
	int b1 = 0, b2 = 0, b3 = 0, b4 = 0, r;

	logsearch_query_init(&q);
	if (web_query_time(rq, "since", &q.since_ns) != 0 ||
	    web_query_time(rq, "until", &q.until_ns) != 0 ||
	    web_query_int(rq, "regex", 0, 1, &regex) != 0 ||
	    web_query_int(rq, "cursor", 1, INT64_MAX, &cursor) != 0 ||
	    web_query_limit(rq, &limit) != 0)
		return;
	host = web_query(rq, "host", &b1);
	app = web_query(rq, "app", &b2);
	sev = web_query(rq, "severity", &b3);
	pat = web_query(rq, "q", &b4);
	if (b1 || b2 || b3 || b4) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad percent-encoding "
		    "in the query");
		return;
	}
	q.host = host != NULL && *host != '\0' ? host : NULL;
	q.app = app != NULL && *app != '\0' ? app : NULL;
	q.pattern = pat != NULL && *pat != '\0' ? pat : NULL;
	q.regex = (int)regex;
	if (sev != NULL && *sev != '\0' &&
	    (q.severity = event_severity_parse(sev)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'severity': "
		    "expected emerg, alert, crit, err, warning, notice, info, "
		    "debug or 0..7");
		return;
	}
	if (q.regex && q.pattern == NULL) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'regex': "
		    "needs a pattern in 'q'");
		return;
	}
	if (q.since_ns > q.until_ns) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'since' is "
		    "after 'until'");
		return;
	}
	if ((s = logsearch_compile(&q, err, sizeof(err))) == NULL) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'q': %s",
		    err);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.before = (uint64_t)cursor;
	o.limit = limit;
	r = logsearch_page(rq->ws->cfg->data_dir, s, &q, &o, &res, err,
	    sizeof(err));
	logsearch_free(s);
	if (r == MAMORI_ENOTFOUND) {
		web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:[], s:n, s:i}",
		    "records", "next", "scanned", 0));
		return;
	}
	if (r != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "log store: "
		    "%s", err);
		return;
	}
	if ((arr = json_array()) == NULL) {
		logsearch_page_release(&res);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	for (i = 0; i < res.n; i++)
		json_array_append_new(arr, logsearch_event_json(res.ev[i]));
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o, s:I}",
	    "records", arr, "next", res.next != 0 ?
	    json_integer((json_int_t)res.next) : json_null(), "scanned",
	    (json_int_t)res.scanned));
	logsearch_page_release(&res);
}
