/*
 * test-web-logpage.c - the console's log pages (src/store/logsearch-page.c):
 * a real store of many small segments, sealed (and some compressed) and
 * active, paged newest first with and without filters, with cursors,
 * with a scan budget, and records fetched by sequence number; every
 * answer compared with a plain walk of the same store.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/logsearch-page.h"
#include "store/logsearch.h"
#include "store/logstore.h"
#include "test.h"

#define NREC	1000

static char root[] = "/tmp/test-web-logpage-XXXXXX";
static char data[300];
static int64_t t0;

/* Record i (1-based: its seq): host web(i % 3), "needle" every 7th. */
static struct event *
mkevent(int i)
{
	char host[16], text[128];

	snprintf(host, sizeof(host), "web%d", i % 3);
	snprintf(text, sizeof(text), "message %d%s", i, i % 7 == 0 ?
	    " with a needle in it" : "");
	return event_new_app(t0 + i * NS_PER_SEC, t0 + i * NS_PER_SEC, host,
	    "app", 4, i % 8, "test", NULL, text);
}

static int
make_store(void)
{
	struct logstore_opts o;
	struct logstore *ls;
	struct event *ev;
	char key[320], err[512];
	int i;

	snprintf(data, sizeof(data), "%s/data", root);
	snprintf(key, sizeof(key), "%s/seal.key", root);
	memset(&o, 0, sizeof(o));
	o.dir = data;
	o.key_path = key;
	o.segment_bytes = 16384;	/* many segments */
	o.zstd_level = 1;
	if ((ls = logstore_open(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "logstore_open: %s\n", err);
		return -1;
	}
	for (i = 1; i <= NREC; i++) {
		if ((ev = mkevent(i)) == NULL ||
		    logstore_append(ls, ev) != 0)
			return -1;
		event_free(ev);
	}
	if (logstore_sync(ls) != 0)
		return -1;
	logstore_close(ls);
	return 0;
}

/* The expected seqs, newest first, of what q matches. */
static size_t
expected(const struct logsearch_query *q, uint64_t *out)
{
	struct logsearch *s;
	struct event *ev;
	char err[256];
	size_t n = 0;
	int i;

	s = logsearch_compile(q, err, sizeof(err));
	for (i = NREC; i >= 1; i--) {
		ev = mkevent(i);
		ev->seq = (uint64_t)i;
		if (logsearch_match(s, ev))
			out[n++] = (uint64_t)i;
		event_free(ev);
	}
	logsearch_free(s);
	return n;
}

/* Pages through everything q matches; checks each page against want. */
static void
walk(const struct logsearch_query *q, size_t limit, uint64_t budget,
    size_t *pages_out, uint64_t *maxseg)
{
	static uint64_t want[NREC], got[NREC];
	struct logsearch_page_opts o;
	struct logsearch_page_result res;
	struct logsearch *s;
	char err[256];
	size_t nwant, ngot = 0, i, pages = 0;
	int r;

	nwant = expected(q, want);
	s = logsearch_compile(q, err, sizeof(err));
	memset(&o, 0, sizeof(o));
	o.limit = limit;
	o.max_scan = budget;
	*maxseg = 0;
	for (;;) {
		r = logsearch_page(data, s, q, &o, &res, err, sizeof(err));
		CHECK_INT(r, 0);
		if (r != 0)
			break;
		CHECK(res.n <= limit);
		for (i = 0; i < res.n && ngot < NREC; i++)
			got[ngot++] = res.ev[i]->seq;
		if (res.segments > *maxseg)
			*maxseg = res.segments;
		pages++;
		/* A full page, unless the budget cut it or it is the
		 * last. */
		if (budget == 0 && res.next != 0)
			CHECK_INT(res.n, limit);
		o.before = res.next;
		logsearch_page_release(&res);
		if (o.before == 0 || pages > 10 * NREC)
			break;
	}
	logsearch_free(s);
	CHECK_INT(ngot, nwant);
	for (i = 0; i < ngot && i < nwant; i++)
		if (got[i] != want[i]) {
			fprintf(stderr, "record %zu: seq %llu, expected %llu\n",
			    i, (unsigned long long)got[i],
			    (unsigned long long)want[i]);
			CHECK(0);
			break;
		}
	*pages_out = pages;
}

TEST(test_pages)
{
	struct logsearch_query q;
	size_t pages;
	uint64_t maxseg;

	logsearch_query_init(&q);
	walk(&q, 100, 0, &pages, &maxseg);
	CHECK_INT(pages, 10);
	/* A page of 100 from segments of about 60 records: two or three
	 * segments, never the whole store. */
	CHECK(maxseg <= 3);
	walk(&q, 1, 0, &pages, &maxseg);
	CHECK_INT(pages, NREC);
	CHECK_INT(maxseg, 1);
	walk(&q, 1000, 0, &pages, &maxseg);
	CHECK_INT(pages, 1);

	q.pattern = "needle";
	walk(&q, 10, 0, &pages, &maxseg);
	CHECK_INT(pages, 15);		/* 142 matches */
	q.host = "WEB1";
	walk(&q, 7, 0, &pages, &maxseg);
	q.pattern = NULL;
	q.host = NULL;
	q.severity = 2;
	walk(&q, 50, 0, &pages, &maxseg);
	q.severity = -1;

	/* A time range: only the segments around it are read. */
	q.since_ns = t0 + 400 * NS_PER_SEC;
	q.until_ns = t0 + 420 * NS_PER_SEC;
	walk(&q, 100, 0, &pages, &maxseg);
	CHECK_INT(pages, 1);
	CHECK(maxseg <= 3);
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;

	/* A rare match with a small budget: short pages with a cursor,
	 * and together everything. */
	q.pattern = "message 13 ";
	walk(&q, 100, 50, &pages, &maxseg);
	CHECK(pages > 1);
	q.pattern = "nothing matches this";
	walk(&q, 100, 100, &pages, &maxseg);
	CHECK(pages > 1);
	walk(&q, 100, 0, &pages, &maxseg);
	CHECK_INT(pages, 1);
}

TEST(test_page_errors)
{
	struct logsearch_query q;
	struct logsearch_page_opts o;
	struct logsearch_page_result res;
	struct logsearch *s;
	char err[256], none[320];

	logsearch_query_init(&q);
	s = logsearch_compile(&q, err, sizeof(err));
	memset(&o, 0, sizeof(o));
	CHECK_INT(logsearch_page(data, s, &q, &o, &res, err, sizeof(err)),
	    MAMORI_EINVAL);
	o.limit = LOGSEARCH_PAGE_MAX + 1;
	CHECK_INT(logsearch_page(data, s, &q, &o, &res, err, sizeof(err)),
	    MAMORI_EINVAL);
	o.limit = 10;
	snprintf(none, sizeof(none), "%s/nothing", root);
	CHECK_INT(logsearch_page(none, s, &q, &o, &res, err, sizeof(err)),
	    MAMORI_ENOTFOUND);
	CHECK_INT(res.n, 0);
	/* A cursor past the end, and one at the start. */
	o.before = NREC + 100;
	CHECK_INT(logsearch_page(data, s, &q, &o, &res, err, sizeof(err)), 0);
	CHECK_INT(res.n, 10);
	CHECK_INT(res.ev[0]->seq, NREC);
	logsearch_page_release(&res);
	o.before = 1;
	CHECK_INT(logsearch_page(data, s, &q, &o, &res, err, sizeof(err)), 0);
	CHECK_INT(res.n, 0);
	CHECK_INT(res.next, 0);
	logsearch_page_release(&res);
	logsearch_free(s);
}

struct fetched {
	uint64_t	seqs[16];
	size_t		n;
};

static int
fetch_cb(void *arg, const struct event *ev)
{
	struct fetched *f = arg;

	if (f->n < 16)
		f->seqs[f->n++] = ev->seq;
	return 0;
}

TEST(test_fetch)
{
	static const uint64_t want[] = { 1, 2, 500, 999, 1000, 5000 };
	struct fetched f;
	char err[256];

	memset(&f, 0, sizeof(f));
	CHECK_INT(logsearch_fetch(data, want, 6, fetch_cb, &f, err,
	    sizeof(err)), 0);
	CHECK_INT(f.n, 5);
	CHECK_INT(f.seqs[0], 1);
	CHECK_INT(f.seqs[2], 500);
	CHECK_INT(f.seqs[4], 1000);
	memset(&f, 0, sizeof(f));
	CHECK_INT(logsearch_fetch(data, want, 0, fetch_cb, &f, err,
	    sizeof(err)), 0);
	CHECK_INT(f.n, 0);
}

int
main(void)
{
	char cmd[400];
	int rc;

	t0 = time_now_ns() - 3600 * NS_PER_SEC;
	if (mkdtemp(root) == NULL || make_store() != 0) {
		fprintf(stderr, "cannot make the store\n");
		return 2;
	}
	RUN(test_pages);
	RUN(test_page_errors);
	RUN(test_fetch);
	rc = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 2;
	return rc;
}
