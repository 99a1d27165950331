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

/* Appends ev, retrying while the store refuses (disk full). */
static void
append_one(struct server *s, struct event *ev, int *failing)
{
	int64_t last_log = 0;
	int rc;

	while ((rc = logstore_append(s->store, ev)) != 0) {
		int64_t now = time_mono_ns();

		atomic_fetch_add(&s->n.write_errors, 1);
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
	atomic_fetch_add(&s->n.stored, 1);
	if (ev->listener != SERVER_INTERNAL_LISTENER &&
	    ev->listener < s->nlisteners)
		atomic_fetch_add(&s->lstats[ev->listener]->stored, 1);
}

static int
sync_store(struct server *s, int *failing)
{
	int64_t last_log = 0;
	int rc, tries = 0;

	while ((rc = logstore_sync(s->store)) != 0) {
		int64_t now = time_mono_ns();

		atomic_fetch_add(&s->n.write_errors, 1);
		if (last_log == 0 || now - last_log > 60 * NS_PER_SEC) {
			log_err("log store: sync failed (%s: %s); retrying",
			    mamori_strerror(rc), strerror(errno));
			last_log = now;
		}
		*failing = 1;
		if (++tries > 3600)
			return rc;
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

			append_one(s, ev, &failing);
			if (ev->ack != NULL && acks_add(&acks, ev->ack) != 0)
				event_ack_done(ev->ack, MAMORI_ENOMEM);
			event_free(ev);
			unsynced = 1;
		}
		if (unsynced && (acks.n > 0 || closed ||
		    time_mono_ns() - last_sync >= interval)) {
			rc = sync_store(s, &failing);
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
	acks_done(&acks, 0);
	free(acks.v);
	mirror_stats(s);
	return NULL;
}
