/*
 * server-writer.c - the writer: the one thread that owns the log store.
 *
 * It appends events in batches and makes them durable by group commit:
 * one fsync covers everything appended since the last one.  It syncs at
 * once when a batch holds an event whose sender waits for an
 * acknowledgement (RELP), and otherwise every storage.fsync_interval, so
 * plain TCP/UDP traffic costs one fsync per interval, not per message.
 * The fsync itself runs on the store's sync thread (logstore-sync.c):
 * the writer fills one group of events while the previous group is made
 * durable, and counts a group stored, and acknowledges it, only once its
 * sync has finished.
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

/* Events appended and not yet durable, and the acknowledgements that
 * wait for them. */
struct group {
	uint64_t	 total;
	uint64_t	*per;		/* per listener */
	struct pending_acks acks;
	struct server_alerts alerts;	/* written once the group is synced */
};

static int
group_pending(const struct group *g)
{
	return g->total > 0 || g->acks.n > 0;
}

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

/* Appends ev, retrying while the store refuses (disk full), into group
 * g.  Returns 0, or the store's error when giving up at shutdown. */
static int
append_one(struct server *s, struct group *g, struct event *ev,
    int *failing)
{
	int64_t last_log = 0, first_fail = 0;
	int rc;

	/* No clock read on the way that succeeds: this runs per event, and
	 * clock_gettime() was 2% of the server's CPU under a fast sender. */
	while ((rc = logstore_append(s->store, ev)) != 0) {
		int64_t now = time_mono_ns();

		if (first_fail == 0)
			first_fail = now;

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
	g->total++;
	if (ev->listener != SERVER_INTERNAL_LISTENER &&
	    ev->listener < s->nlisteners)
		g->per[ev->listener]++;
	return 0;
}

/* After g's sync: what it holds is stored and acknowledged (rc 0) or,
 * when the writer gave up at shutdown, lost and refused. */
static void
settle(struct server *s, struct group *g, int rc)
{
	size_t i;

	if (rc == 0)
		atomic_fetch_add(&s->n.stored, g->total);
	else
		atomic_fetch_add(&s->n.lost, g->total);
	g->total = 0;
	for (i = 0; i < s->nlisteners; i++) {
		if (g->per[i] == 0)
			continue;
		if (rc == 0)
			atomic_fetch_add(&s->lstats[i]->stored, g->per[i]);
		else
			atomic_fetch_add(&s->lstats[i]->lost, g->per[i]);
		g->per[i] = 0;
	}
	acks_done(&g->acks, rc);
	/* Alerts are facts about what was received: written even when
	 * the records could not be. */
	server_alerts_flush(s, &g->alerts);
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
			/* Writing out the buffer or the fsync: either way
			 * appended records are not on disk yet. */
			log_err("log store: cannot append or sync (%s: %s); "
			    "holding events and retrying every second",
			    mamori_strerror(rc), strerror(errno));
			last_log = now;
		}
		*failing = 1;
		sleep_ms(1000);
	}
	return 0;
}

/* Called on the store's sync thread when a sync finishes. */
void
server_writer_sync_done(void *arg)
{
	struct server *s = arg;

	if (s->outq != NULL)
		queue_kick(s->outq);
}

/* Begins making g durable; returns g if the sync runs on (to be settled
 * when collected), else NULL with g settled already. */
static struct group *
begin_sync(struct server *s, struct group *g, int *failing)
{
	int rc;

	switch ((rc = logstore_sync_start(s->store))) {
	case 0:
		return g;
	case 1:
		settle(s, g, 0);
		return NULL;
	default:
		/* The write failed (disk full): hold everything and retry,
		 * as sync_store() does, on this thread. */
		rc = sync_store(s, failing);
		settle(s, g, rc);
		return NULL;
	}
}

/*
 * Hashes the bodies of the events in items[0..n) that no worker hashed
 * (logstore_event_prehash()), together, so that they go two at a time
 * (core/sha256.h) rather than one by one inside logstore_append().
 */
static void
prehash_rest(struct logstore_hasher *h, void **items, int n)
{
	struct event *todo[WRITER_BATCH];
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (!((struct event *)items[i])->body_hashed)
			todo[m++] = items[i];
	if (m > 1)
		logstore_event_prehash(h, todo, (size_t)m);
}

void *
server_writer_thread(void *arg)
{
	struct server *s = arg;
	struct group grp[2], *cur = &grp[0], *fly = NULL;
	void *items[WRITER_BATCH];
	struct logstore_hasher *hasher;
	int64_t interval = s->cfg->fsync_interval_ns, last_sync, last_maint;
	int64_t left;
	int n, i, failing = 0, closed = 0, timeout_ms, rc;

	(void)pthread_setname_np(pthread_self(), "mamori-writer");
	/* Without it (out of memory) the store hashes one at a time. */
	hasher = logstore_hasher_new();
	memset(grp, 0, sizeof(grp));
	grp[0].per = s->writer_counts;
	grp[1].per = s->writer_counts + s->nlisteners + 1;
	last_sync = last_maint = time_mono_ns();
	for (;;) {
		if (fly != NULL)
			timeout_ms = 100;	/* woken when it finishes */
		else if (group_pending(cur)) {
			left = interval - (time_mono_ns() - last_sync);
			timeout_ms = (int)(left / 1000000);
			if (timeout_ms < 1)
				timeout_ms = 1;
		} else
			timeout_ms = 1000;
		n = 0;
		if (!closed &&
		    (n = queue_pop(s->outq, items, NULL, WRITER_BATCH,
		    timeout_ms)) == MAMORI_ECLOSED) {
			closed = 1;
			n = 0;
		}
		if (hasher != NULL)
			prehash_rest(hasher, items, n);
		for (i = 0; i < n; i++) {
			struct event *ev = items[i];

			if (i + 2 < n)
				event_prefetch(items[i + 2]);
			if ((rc = append_one(s, cur, ev, &failing)) != 0) {
				/* Given up at shutdown: not stored, so not
				 * acknowledged either. */
				if (ev->ack != NULL)
					event_ack_done(ev->ack, rc);
			} else if (ev->ack != NULL &&
			    acks_add(&cur->acks, ev->ack) != 0) {
				event_ack_done(ev->ack, MAMORI_ENOMEM);
			}
			if (ev->ext != NULL)
				(void)server_alerts_take(&cur->alerts, ev);
			event_free(ev);
		}
		if (closed) {
			/* Everything appended, synced here at once; the sync
			 * thread's last one (if any) finished before, and
			 * what it covered is stored even if this one fails. */
			rc = sync_store(s, &failing);
			if (fly != NULL) {
				int frc;

				settle(s, fly, logstore_sync_collect(s->store,
				    &frc) && frc == 0 ? 0 : rc);
			}
			settle(s, cur, rc);
			/* Given up: what was counted lost (and refused to
			 * its senders) must not be written by the close
			 * after all, should some space come free. */
			if (rc != 0 && s->writer_gave_up &&
			    logstore_abandon(s->store) != 0)
				log_err("log store: cannot cut off the records "
				    "given up on (%s); the next start may find "
				    "some of them", strerror(errno));
			break;
		}
		if (fly != NULL && logstore_sync_collect(s->store, &rc)) {
			if (rc != 0) {
				log_err("log store: sync failed (%s: %s); "
				    "retrying", mamori_strerror(rc),
				    strerror(errno));
				rc = sync_store(s, &failing);
			}
			settle(s, fly, rc);
			fly = NULL;
		}
		if (fly == NULL && group_pending(cur) && (cur->acks.n > 0 ||
		    time_mono_ns() - last_sync >= interval)) {
			if ((fly = begin_sync(s, cur, &failing)) != NULL)
				cur = cur == &grp[0] ? &grp[1] : &grp[0];
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
	/* Every group was settled (and its acks answered) above. */
	assert(!group_pending(&grp[0]) && !group_pending(&grp[1]));
	free(grp[0].acks.v);
	free(grp[1].acks.v);
	server_alerts_release(&grp[0].alerts);
	server_alerts_release(&grp[1].alerts);
	logstore_hasher_free(hasher);
	mirror_stats(s);
	if (atomic_load(&s->n.lost) > 0)
		log_err("log store: %llu events received could not be stored "
		    "(write errors at shutdown) and are lost",
		    (unsigned long long)atomic_load(&s->n.lost));
	return NULL;
}
