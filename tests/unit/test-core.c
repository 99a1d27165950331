/*
 * test-core.c - queue, time formats and events.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/event.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "test.h"

TEST(queue_fifo_and_bounds)
{
	struct queue *q = queue_new(4, 1000);
	void *out[8];
	size_t sizes[8], items, bytes, peak;
	int i, n;

	CHECK(q != NULL);
	for (i = 0; i < 4; i++)
		CHECK_INT(queue_push(q, (void *)(intptr_t)(i + 1), 10,
		    QUEUE_NOWAIT), 0);
	/* Full by count. */
	CHECK_INT(queue_push(q, (void *)5, 10, QUEUE_NOWAIT), MAMORI_EAGAIN);
	queue_depth(q, &items, &bytes, &peak);
	CHECK_INT(items, 4);
	CHECK_INT(bytes, 40);
	CHECK_INT(peak, 4);
	n = queue_pop(q, out, sizes, 8, 0);
	CHECK_INT(n, 4);
	for (i = 0; i < 4; i++) {
		CHECK_INT((intptr_t)out[i], i + 1);
		CHECK_INT(sizes[i], 10);
	}
	/* Empty: a zero timeout returns at once with nothing. */
	CHECK_INT(queue_pop(q, out, NULL, 8, 0), 0);
	CHECK_INT(queue_pop(q, out, NULL, 8, 20), 0);
	queue_free(q);
}

TEST(queue_bytes_bound)
{
	struct queue *q = queue_new(100, 100);
	void *out[4];

	/* An item larger than the byte bound still enters an empty queue. */
	CHECK_INT(queue_push(q, (void *)1, 500, QUEUE_NOWAIT), 0);
	CHECK_INT(queue_push(q, (void *)2, 1, QUEUE_NOWAIT), MAMORI_EAGAIN);
	CHECK_INT(queue_pop(q, out, NULL, 4, 0), 1);
	CHECK_INT(queue_push(q, (void *)2, 60, QUEUE_NOWAIT), 0);
	CHECK_INT(queue_push(q, (void *)3, 40, QUEUE_NOWAIT), 0);
	CHECK_INT(queue_push(q, (void *)4, 1, QUEUE_NOWAIT), MAMORI_EAGAIN);
	queue_free(q);
}

TEST(queue_close_drains)
{
	struct queue *q = queue_new(4, 1000);
	void *out[4];

	CHECK_INT(queue_push(q, (void *)1, 1, QUEUE_WAIT), 0);
	queue_close(q);
	CHECK_INT(queue_push(q, (void *)2, 1, QUEUE_WAIT), MAMORI_ECLOSED);
	/* What was queued is still delivered, then ECLOSED. */
	CHECK_INT(queue_pop(q, out, NULL, 4, -1), 1);
	CHECK_INT(queue_pop(q, out, NULL, 4, -1), MAMORI_ECLOSED);
	queue_free(q);
}

#define PRODUCERS	4
#define PER_PRODUCER	20000

static void *
producer(void *arg)
{
	struct queue *q = arg;
	intptr_t i;

	for (i = 1; i <= PER_PRODUCER; i++)
		if (queue_push(q, (void *)i, 1, QUEUE_WAIT) != 0)
			break;
	return NULL;
}

struct consumed {
	struct queue	*q;
	long long	 sum;
	long		 count;
};

static void *
consumer(void *arg)
{
	struct consumed *c = arg;
	void *out[64];
	int n, i;

	while ((n = queue_pop(c->q, out, NULL, 64, -1)) != MAMORI_ECLOSED)
		for (i = 0; i < n; i++) {
			c->sum += (intptr_t)out[i];
			c->count++;
		}
	return NULL;
}

TEST(queue_threads_backpressure)
{
	/* A tiny queue forces producers to block and be woken; nothing may
	 * be lost or duplicated. */
	struct queue *q = queue_new(8, 1 << 20);
	pthread_t p[PRODUCERS], c[2];
	struct consumed cs[2] = { { q, 0, 0 }, { q, 0, 0 } };
	long long want = (long long)PRODUCERS * PER_PRODUCER *
	    (PER_PRODUCER + 1) / 2;
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, consumer, &cs[i]);
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, q);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	queue_close(q);
	for (i = 0; i < 2; i++)
		pthread_join(c[i], NULL);
	CHECK_INT(cs[0].count + cs[1].count, PRODUCERS * PER_PRODUCER);
	CHECK_INT(cs[0].sum + cs[1].sum, want);
	queue_free(q);
}

TEST(queue_push_many_bounds)
{
	struct queue *q = queue_new(4, 1000);
	void *in[6] = { (void *)1, (void *)2, (void *)3, (void *)4,
	    (void *)5, (void *)6 };
	size_t sz[6] = { 10, 10, 10, 10, 10, 10 }, peak;
	void *out[8];
	int n, i;

	/* Without waiting, what fits goes in, in order. */
	CHECK_INT(queue_push_many(q, in, sz, 6, QUEUE_NOWAIT), 4);
	queue_depth(q, NULL, NULL, &peak);
	CHECK_INT(peak, 4);
	n = queue_pop(q, out, NULL, 8, 0);
	CHECK_INT(n, 4);
	for (i = 0; i < 4; i++)
		CHECK_INT((intptr_t)out[i], i + 1);
	/* The byte bound applies too. */
	sz[0] = 600;
	sz[1] = 600;
	CHECK_INT(queue_push_many(q, in, sz, 2, QUEUE_NOWAIT), 1);
	CHECK_INT(queue_pop(q, out, NULL, 8, 0), 1);
	queue_close(q);
	CHECK_INT(queue_push_many(q, in, sz, 2, QUEUE_WAIT), MAMORI_ECLOSED);
	queue_free(q);
}

static void *
batch_producer(void *arg)
{
	struct queue *q = arg;
	void *items[100];
	size_t sizes[100];
	intptr_t i, j;

	for (i = 0; i < PER_PRODUCER / 100; i++) {
		for (j = 0; j < 100; j++) {
			items[j] = (void *)(i * 100 + j + 1);
			sizes[j] = 1;
		}
		if (queue_push_many(q, items, sizes, 100, QUEUE_WAIT) != 100)
			break;
	}
	return NULL;
}

TEST(queue_push_many_threads)
{
	/* Batches larger than the queue: producers block part-way and
	 * resume; nothing lost or duplicated. */
	struct queue *q = queue_new(8, 1 << 20);
	pthread_t p[PRODUCERS], c[2];
	struct consumed cs[2] = { { q, 0, 0 }, { q, 0, 0 } };
	long long want = (long long)PRODUCERS * PER_PRODUCER *
	    (PER_PRODUCER + 1) / 2;
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, consumer, &cs[i]);
	for (i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, batch_producer, q);
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	queue_close(q);
	for (i = 0; i < 2; i++)
		pthread_join(c[i], NULL);
	CHECK_INT(cs[0].count + cs[1].count, PRODUCERS * PER_PRODUCER);
	CHECK_INT(cs[0].sum + cs[1].sum, want);
	queue_free(q);
}

TEST(time_format)
{
	char buf[40];

	CHECK_INT(time_format_rfc3339(0, 0, 0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	/* 2003-10-11T22:14:15.003Z, RFC 5424's example. */
	CHECK_INT(time_format_rfc3339(1065910455003000000LL, 0, 3, buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "2003-10-11T22:14:15.003Z");
	CHECK_INT(time_format_rfc3339(1065910455003000000LL, -420, 6, buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "2003-10-11T15:14:15.003000-07:00");
	CHECK_INT(time_format_rfc3339(1065910455000000000LL, 540, 0, buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "2003-10-12T07:14:15+09:00");
	/* Before the epoch. */
	CHECK_INT(time_format_rfc3339(-1500000000LL, 0, 1, buf,
	    sizeof(buf)), 0);
	CHECK_STR(buf, "1969-12-31T23:59:58.5Z");
	CHECK_INT(time_format_rfc3339(0, 0, 0, buf, 10), MAMORI_ETOOBIG);
}

TEST(time_parse)
{
	int64_t now = 1800000000LL * NS_PER_SEC, t;

	CHECK_INT(time_parse_user("2003-10-11T22:14:15.003Z", now, &t), 0);
	CHECK_INT(t, 1065910455003000000LL);
	CHECK_INT(time_parse_user("2003-10-12T07:14:15+09:00", now, &t), 0);
	CHECK_INT(t, 1065910455000000000LL);
	CHECK_INT(time_parse_user("2003-10-11 22:14Z", now, &t), 0);
	CHECK_INT(t, 1065910440000000000LL);
	CHECK_INT(time_parse_user("2003-10-11Z", now, &t), 0);
	CHECK_INT(t, 1065830400000000000LL);
	CHECK_INT(time_parse_user("-1h", now, &t), 0);
	CHECK_INT(t, now - 3600 * NS_PER_SEC);
	CHECK_INT(time_parse_user("-7d", now, &t), 0);
	CHECK_INT(t, now - 7 * 86400 * NS_PER_SEC);
	CHECK_INT(time_parse_user("-30m", now, &t), 0);
	CHECK_INT(t, now - 1800 * NS_PER_SEC);
	CHECK_INT(time_parse_user("now", now, &t), 0);
	CHECK_INT(t, now);
	CHECK_INT(time_parse_user("@1065910455", now, &t), 0);
	CHECK_INT(t, 1065910455LL * NS_PER_SEC);
	/* Local time without a zone parses (value depends on TZ). */
	CHECK_INT(time_parse_user("2026-11-28T13:00:00", now, &t), 0);
	CHECK_INT(time_parse_user("yesterday", now, &t), MAMORI_EINVAL);
	CHECK_INT(time_parse_user("-1y", now, &t), MAMORI_EINVAL);
	CHECK_INT(time_parse_user("-h", now, &t), MAMORI_EINVAL);
	CHECK_INT(time_parse_user("2026-13-01", now, &t), MAMORI_EINVAL);
	CHECK_INT(time_parse_user("2026-11-28T25:00", now, &t),
	    MAMORI_EINVAL);
	CHECK_INT(time_parse_user("2026-11-28T10:00+0900x", now, &t),
	    MAMORI_EINVAL);
	CHECK_INT(time_parse_user("", now, &t), MAMORI_EINVAL);
}

TEST(event_basics)
{
	struct event *ev;
	struct event_field f;
	char buf[64];

	ev = event_new((const uint8_t *)"hello", 5, 8);
	CHECK(ev != NULL);
	CHECK_INT(ev->raw_len, 5);
	CHECK_INT(ev->facility, -1);
	CHECK_INT(ev->severity, -1);
	CHECK_INT(event_add_string(ev, &f, "1.2.3.4", 7), 0);
	CHECK_MEM(event_str(ev, &f), f.len, "1.2.3.4");
	/* Room reserved was 8 bytes: one more left. */
	CHECK_INT(event_add_string(ev, &f, "ab", 2), MAMORI_ETOOBIG);
	CHECK_INT(event_add_string(ev, &f, "a", 1), 0);
	event_free(ev);
	event_free(NULL);

	ev = event_new_internal(1065910455003000000LL, "loghost", 4,
	    "clock-skew", "[mamori@32473 host=\"a\"]", "clock not synced");
	CHECK(ev != NULL);
	CHECK_MEM(ev->data, ev->raw_len, "<44>1 2003-10-11T22:14:15.003000Z "
	    "loghost mamori - clock-skew [mamori@32473 host=\"a\"] "
	    "clock not synced");
	CHECK_MEM(event_str(ev, &ev->host), ev->host.len, "loghost");
	CHECK_MEM(event_str(ev, &ev->app), ev->app.len, "mamori");
	CHECK_MEM(event_str(ev, &ev->msgid), ev->msgid.len, "clock-skew");
	CHECK_MEM(event_str(ev, &ev->sd), ev->sd.len,
	    "[mamori@32473 host=\"a\"]");
	CHECK_MEM(event_str(ev, &ev->msg), ev->msg.len, "clock not synced");
	CHECK_INT(ev->format, EVENT_FMT_INTERNAL);
	CHECK_INT(ev->severity, 4);
	CHECK_INT(ev->facility, 5);
	event_free(ev);

	CHECK_STR(event_sd_escape("a\"b]c\\d\n", 8, buf, sizeof(buf)),
	    "a\\\"b\\]c\\\\d?");
	CHECK_STR(event_sd_escape("\"\"\"\"", 4, buf, 6), "\\\"\\\"");
	CHECK_INT(event_severity_parse("warning"), 4);
	CHECK_INT(event_severity_parse("err"), 3);
	CHECK_INT(event_severity_parse("error"), 3);
	CHECK_INT(event_severity_parse("7"), 7);
	CHECK_INT(event_severity_parse("8"), -1);
	CHECK_INT(event_severity_parse("loud"), -1);
	CHECK_STR(event_facility_name(10), "authpriv");
	CHECK(event_facility_name(24) == NULL);
}

struct slab_run {
	struct queue	*q;
	int		 n;
	int		 bad;
};

/* Frees what the producer carved, checking each event's bytes first. */
static void *
slab_consumer(void *arg)
{
	struct slab_run *r = arg;
	void *out[64];
	char want[64];
	int i, k, seen = 0;

	while ((k = queue_pop(r->q, out, NULL, 64, -1)) != MAMORI_ECLOSED)
		for (i = 0; i < k; i++, seen++) {
			struct event *ev = out[i];

			snprintf(want, sizeof(want), "message %d", seen);
			if (ev->raw_len != strlen(want) ||
			    memcmp(ev->data, want, ev->raw_len) != 0)
				r->bad++;
			event_free(ev);
		}
	if (seen != r->n)
		r->bad++;
	return NULL;
}

TEST(event_slab_threads)
{
	/* One thread carves, another frees, in batches: blocks must come
	 * and go without either side corrupting the other's events. */
	struct event_slab slab = { NULL, 0, 0 };
	struct slab_run r = { queue_new(256, 1 << 20), 20000, 0 };
	struct event *ev, *big;
	pthread_t c;
	char msg[64];
	int i, len;

	pthread_create(&c, NULL, slab_consumer, &r);
	for (i = 0; i < r.n; i++) {
		len = snprintf(msg, sizeof(msg), "message %d", i);
		ev = event_slab_new(&slab, (const uint8_t *)msg, (size_t)len,
		    64);
		CHECK(ev != NULL);
		CHECK_INT(ev->facility, -1);
		CHECK_INT(ev->data_cap, len + 64);
		CHECK_INT(queue_push(r.q, ev, 1, QUEUE_WAIT), 0);
	}
	/* Too big for a block: its own allocation, freed the same way. */
	big = event_slab_new(&slab, NULL, 0, 1 << 20);
	CHECK(big != NULL && big->blk == NULL);
	event_free(big);
	event_slab_release(&slab);
	CHECK(slab.cur == NULL);
	queue_close(r.q);
	pthread_join(c, NULL);
	CHECK_INT(r.bad, 0);
	queue_free(r.q);
}

static void *
kicker(void *arg)
{
	queue_kick(arg);
	return NULL;
}

TEST(queue_kick_wakes)
{
	struct queue *q = queue_new(4, 100);
	void *out[4];
	pthread_t t;

	/* A kick before the pop: the pop returns at once, even one that
	 * would wait forever; the kick is used up. */
	queue_kick(q);
	CHECK_INT(queue_pop(q, out, NULL, 4, -1), 0);
	CHECK_INT(queue_pop(q, out, NULL, 4, 0), 0);
	/* A kick from another thread wakes a waiting pop. */
	pthread_create(&t, NULL, kicker, q);
	CHECK_INT(queue_pop(q, out, NULL, 4, -1), 0);
	pthread_join(t, NULL);
	/* Items still come first. */
	CHECK_INT(queue_push(q, (void *)1, 1, QUEUE_WAIT), 0);
	queue_kick(q);
	CHECK_INT(queue_pop(q, out, NULL, 4, -1), 1);
	queue_free(q);
}

TEST(event_src_address)
{
	const char *a;
	size_t len;

	a = event_src_addr("192.0.2.1:514", &len);
	CHECK_MEM(a, len, "192.0.2.1");
	a = event_src_addr("[2001:db8::1]:514", &len);
	CHECK_MEM(a, len, "2001:db8::1");
	a = event_src_addr("2001:db8::1", &len);
	CHECK_MEM(a, len, "2001:db8::1");
	a = event_src_addr("192.0.2.1", &len);
	CHECK_MEM(a, len, "192.0.2.1");
	a = event_src_addr("[::1", &len);
	CHECK_MEM(a, len, "::1");
	a = event_src_addr("", &len);
	CHECK_INT(len, 0);
}

int
main(void)
{
	RUN(queue_fifo_and_bounds);
	RUN(queue_bytes_bound);
	RUN(queue_close_drains);
	RUN(queue_push_many_bounds);
	RUN(queue_push_many_threads);
	RUN(queue_threads_backpressure);
	RUN(time_format);
	RUN(time_parse);
	RUN(event_basics);
	RUN(event_src_address);
	RUN(event_slab_threads);
	RUN(queue_kick_wakes);
	return test_summary();
}
