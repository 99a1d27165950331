/*
 * server-writer.c - the writer: the one thread that owns the log store.
 *
 * It appends events in batches and makes them durable by group commit:
 * one fsync covers everything appended since the last one.  It syncs at
 * once when a batch holds an event whose sender waits for an
 * acknowledgement (RELP), and otherwise every storage.fsync_interval, so
 * plain TCP/UDP traffic costs one fsync per interval, not per message.
 *
 * A write that fails (disk full) is retried every second, holding the
 * batch: the queues fill, TCP/TLS/RELP senders are made to wait and UDP
 * drops are counted.  Nothing is acknowledged that is not stored.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ack.h"
#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "server/server-impl.h"

#define WRITER_BATCH	1024

struct pending_acks {
	struct event_ack **v;
	size_t		 n, cap;
};

static int
acks_add(struct pending_acks *p, struct event_ack *a)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct event_ack **v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = a;
	return 0;
}

static void
acks_done(struct pending_acks *p, int rc)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		event_ack_done(p->v[i], rc);
	p->n = 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
mirror_stats(struct server *s)
{
	struct logstore_stats st;

	logstore_get_stats(s->store, &st);
	atomic_store(&s->store_records, st.records);
	atomic_store(&s->store_next_seq, st.next_seq);
	atomic_store(&s->store_disk_bytes, st.disk_bytes);
	atomic_store(&s->store_segments, st.segments);
	atomic_store(&s->store_syncs, st.syncs);
	atomic_store(&s->store_compress_pending, st.compress_pending);
}

/*
 * While the server runs, a store that refuses (disk full) is retried for
 * as long as it takes: nothing is dropped, the queues fill and senders
 * wait.  Once it is told to stop, the writer retries for this long and
 * then gives up on what it still holds, saying how much was lost, so that
 * a stop request is honoured even on a full disk.
 */
#define WRITER_STOP_RETRY_NS	(10 * NS_PER_SEC)

static int
give_up(struct server *s, int64_t first_fail)
{
	if (!atomic_load(&s->stopping))
		return 0;
	if (s->writer_gave_up)
		return 1;
	if (time_mono_ns() - first_fail < WRITER_STOP_RETRY_NS)
		return 0;
	s->writer_gave_up = 1;
	log_err("log store: still failing %d s after the stop request; "
	    "giving up on the events not yet stored",
	    (int)(WRITER_STOP_RETRY_NS / NS_PER_SEC));
	return 1;
}

static void
count_lost(struct server *s, const struct event *ev)
{
	atomic_fetch_add(&s->n.lost, 1);
	if (ev->listener != SERVER_INTERNAL_LISTENER &&
	    ev->listener < s->nlisteners)
		atomic_fetch_add(&s->lstats[ev->listener]->lost, 1);
}

/* Appends ev, retrying while the store refuses (disk full).  Returns 0,
 * or the store's error when giving up at shutdown. */
static int
append_one(struct server *s, struct event *ev, int *failing)
{
	int64_t last_log = 0, first_fail = time_mono_ns();
	int rc;

	while ((rc = logstore_append(s->store, ev)) != 0) {
		int64_t now = time_mono_ns();

		atomic_fetch_add(&s->n.write_errors, 1);
		if (rc == MAMORI_ETOOBIG || rc == MAMORI_EINVAL) {
			/* This event can never be stored (larger than a
			 * record may be): retrying would stall everything
			 * behind it. */
			log_err("log store: event from %s cannot be stored "
			    "(%s, %u bytes); counted as lost", ev->src,
			    mamori_strerror(rc), ev->data_len);
			count_lost(s, ev);
			return rc;
		}
		if (give_up(s, first_fail)) {
			count_lost(s, ev);
			return rc;
		}
		if (last_log == 0 || now - last_log > 60 * NS_PER_SEC) {
			log_err("log store: cannot append (%s: %s); holding "
			    "events and retrying every second",
			    mamori_strerror(rc), strerror(errno));
			last_log = now;
		}
		*failing = 1;
		sleep_ms(1000);
	}
	if (*failing) {
		log_info("log store: appending again");
		*failing = 0;
	}
	/* Counted as stored once the fsync covering it succeeds. */
	s->unsynced_total++;
	if (ev->listener != SERVER_INTERNAL_LISTENER &&
	    ev->listener < s->nlisteners)
		s->unsynced[ev->listener]++;
	return 0;
}

/* After a sync: what was appended is stored (ok) or, when the writer gave
 * up at shutdown, lost. */
static void
settle(struct server *s, int ok)
{
	size_t i;

	if (ok)
		atomic_fetch_add(&s->n.stored, s->unsynced_total);
	else
		atomic_fetch_add(&s->n.lost, s->unsynced_total);
	s->unsynced_total = 0;
	for (i = 0; i < s->nlisteners; i++) {
		if (s->unsynced[i] == 0)
			continue;
		if (ok)
			atomic_fetch_add(&s->lstats[i]->stored,
			    s->unsynced[i]);
		else
			atomic_fetch_add(&s->lstats[i]->lost,
			    s->unsynced[i]);
		s->unsynced[i] = 0;
	}
}

static int
sync_store(struct server *s, int *failing)
{
	int64_t last_log = 0, first_fail = time_mono_ns();
	int rc;

	while ((rc = logstore_sync(s->store)) != 0) {
		int64_t now = time_mono_ns();

		atomic_fetch_add(&s->n.write_errors, 1);
		if (give_up(s, first_fail))
			return rc;
		if (last_log == 0 || now - last_log > 60 * NS_PER_SEC) {
			log_err("log store: sync failed (%s: %s); retrying",
			    mamori_strerror(rc), strerror(errno));
			last_log = now;
		}
		*failing = 1;
		sleep_ms(1000);
	}
	return 0;
}

void *
server_writer_thread(void *arg)
{
	struct server *s = arg;
	struct pending_acks acks = { NULL, 0, 0 };
	void *items[WRITER_BATCH];
	int64_t interval = s->cfg->fsync_interval_ns, last_sync, last_maint;
	int n, i, unsynced = 0, failing = 0, closed = 0, timeout_ms, rc;

	last_sync = last_maint = time_mono_ns();
	while (!closed) {
		timeout_ms = unsynced ? (int)(interval / 1000000) : 1000;
		if (timeout_ms < 1)
			timeout_ms = 1;
		n = queue_pop(s->outq, items, NULL, WRITER_BATCH, timeout_ms);
		if (n == MAMORI_ECLOSED) {
			closed = 1;
			n = 0;
		}
		for (i = 0; i < n; i++) {
			struct event *ev = items[i];

			if ((rc = append_one(s, ev, &failing)) != 0) {
				/* Given up at shutdown: not stored, so not
				 * acknowledged either. */
				if (ev->ack != NULL)
					event_ack_done(ev->ack, rc);
			} else if (ev->ack != NULL &&
			    acks_add(&acks, ev->ack) != 0) {
				event_ack_done(ev->ack, MAMORI_ENOMEM);
			}
			event_free(ev);
			unsynced = 1;
		}
		if (unsynced && (acks.n > 0 || closed ||
		    time_mono_ns() - last_sync >= interval)) {
			rc = sync_store(s, &failing);
			settle(s, rc == 0);
			acks_done(&acks, rc);
			unsynced = 0;
			last_sync = time_mono_ns();
		}
		if (time_mono_ns() - last_maint >= NS_PER_SEC) {
			if ((rc = logstore_maintain(s->store,
			    time_now_ns())) != 0)
				log_err("log store maintenance: %s",
				    mamori_strerror(rc));
			last_maint = time_mono_ns();
		}
		mirror_stats(s);
	}
	/* Every batch with acks was synced (and its acks settled) before
	 * the loop ended. */
	assert(acks.n == 0);
	free(acks.v);
	mirror_stats(s);
	if (atomic_load(&s->n.lost) > 0)
		log_err("log store: %llu events received could not be stored "
		    "(write errors at shutdown) and are lost",
		    (unsigned long long)atomic_load(&s->n.lost));
	return NULL;
}
