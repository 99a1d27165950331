/*
 * logstore-sync.c - group commit and sealing without stopping the writer.
 *
 * An fdatasync() of the active segment takes milliseconds (the device's
 * cache flush among them), and a writer that waits for each one stops
 * appending for that long: measured on a 2-core machine taking 200-byte
 * messages over TCP, the writer spent a third of its time asleep in
 * fdatasync().  Sealing a segment is worse: a sync of the segment, the
 * checkpoint (temporary file, fsync, rename, fsync of the directory) and
 * the head (the same again), 20-60 ms in all, every 64 MiB; the writer
 * spent up to a quarter of a 1M-message benchmark there.  So the store
 * has one more thread, "mamori-sync", that runs one job at a time, each
 * some of: fsync the directory (a segment was created or removed),
 * fdatasync a segment up to an offset, write a segment's checkpoint
 * (sealing it), write the head.  The writer appends on meanwhile:
 *
 *   logstore_sync_start()    writes out the buffer, notes the offset it
 *                            reaches and hands "sync up to here" (and
 *                            the seal of a full segment, and the head
 *                            when due) to the thread; returns at once;
 *   logstore_sync_collect()  says whether it finished and how; only then
 *                            are the records before that offset durable
 *                            (and may be acknowledged or counted stored).
 *
 * While a seal runs, the writer goes on appending to the next segment
 * under a temporary name, NNNNNN.seg.tmp, renamed to NNNNNN.seg once the
 * checkpoint before it is written (and synced only after that: no job
 * runs meanwhile).  So the names on disk go through the same states as
 * with a seal on the writer's thread: `logs verify` and search ignore
 * .tmp files, and the next start removes one a crash left, whose records
 * were never synced nor acknowledged.  (Keeping those records in memory
 * instead made the buffer outgrow the cache: the copy of 20 MB of cold
 * records into the page cache at each seal cost the writer more than
 * the fsyncs had.)
 *
 * The store takes in a finished job's effects (synced offset, head,
 * the seal) itself, at its next call, whether or not the caller has
 * collected it yet (ls_sy_reap()); the caller still learns about each
 * job it started through logstore_sync_collect().  Everything that
 * closes or replaces the active segment (seal, close) goes through
 * logstore_sync(), which first waits for the running job (ls_sy_idle()).
 *
 * The thread calls opts.sync_done when a job finishes, so that the
 * writer, asleep on its queue, can be woken to collect it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/logstore-int.h"

struct ls_syncer {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a job posted, a job done, stop */
	pthread_t	 thr;
	int		 started;
	int		 stop;
	int		 busy;		/* posted or running */
	int		 done;		/* finished, not yet collected by the
					   caller */
	atomic_int	 unreaped;	/* finished, its effects not yet taken
					   in by the store */
	int		 dirfd;
	const struct ls_key *key;
	struct ls_sync_job job;		/* the last one posted */
	void		(*cb)(void *);
	void		*cb_arg;
};

/* Runs j: the directory, the segment, the checkpoint, the head, in that
 * order (each only after what it names is durable); stops at the first
 * failure. */
void
ls_sync_run(int dirfd, const struct ls_key *key, struct ls_sync_job *j)
{
	j->rc = 0;
	j->err = 0;
	if (j->dir && fsync(dirfd) != 0)
		j->rc = MAMORI_EIO;
	if (j->rc == 0 && j->fd >= 0 && j->wb != NULL &&
	    ls_wb_wait(j->wb, j->fd, j->target) != 0)
		j->rc = MAMORI_EIO;
	if (j->rc == 0 && j->fd >= 0 && fdatasync(j->fd) != 0)
		j->rc = MAMORI_EIO;
	if (j->rc == 0 && j->seal)
		j->rc = ls_ckpt_write(dirfd, &j->c, key);
	if (j->rc == 0 && j->head)
		j->rc = ls_head_write(dirfd, &j->h, key);
	if (j->rc != 0)
		j->err = errno;
}

static void *
sy_main(void *arg)
{
	struct ls_syncer *y = arg;
	struct ls_sync_job j;

	(void)pthread_setname_np(pthread_self(), "mamori-sync");
	pthread_mutex_lock(&y->mu);
	for (;;) {
		while (!y->stop && !(y->busy && !y->done))
			pthread_cond_wait(&y->cv, &y->mu);
		if (y->stop)
			break;
		j = y->job;
		pthread_mutex_unlock(&y->mu);
		ls_sync_run(y->dirfd, y->key, &j);
		pthread_mutex_lock(&y->mu);
		y->job = j;
		y->busy = 0;
		y->done = 1;
		atomic_store(&y->unreaped, 1);
		pthread_cond_broadcast(&y->cv);
		if (y->cb != NULL) {
			/* Outside the lock: the callback may take its own. */
			pthread_mutex_unlock(&y->mu);
			y->cb(y->cb_arg);
			pthread_mutex_lock(&y->mu);
		}
	}
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

struct ls_syncer *
ls_sy_new(int dirfd, const struct ls_key *key, void (*cb)(void *),
    void *cb_arg)
{
	struct ls_syncer *y;

	if ((y = calloc(1, sizeof(*y))) == NULL)
		return NULL;
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	y->dirfd = dirfd;
	y->key = key;
	y->cb = cb;
	y->cb_arg = cb_arg;
	atomic_init(&y->unreaped, 0);
	if (pthread_create(&y->thr, NULL, sy_main, y) != 0) {
		pthread_mutex_destroy(&y->mu);
		pthread_cond_destroy(&y->cv);
		free(y);
		return NULL;
	}
	y->started = 1;
	return y;
}

void
ls_sy_free(struct ls_syncer *y)
{
	if (y == NULL)
		return;
	ls_sy_idle(y);
	pthread_mutex_lock(&y->mu);
	y->stop = 1;
	pthread_cond_broadcast(&y->cv);
	pthread_mutex_unlock(&y->mu);
	if (y->started)
		pthread_join(y->thr, NULL);
	pthread_mutex_destroy(&y->mu);
	pthread_cond_destroy(&y->cv);
	free(y);
}

void
ls_sy_idle(struct ls_syncer *y)
{
	if (y == NULL)
		return;
	pthread_mutex_lock(&y->mu);
	while (y->busy)
		pthread_cond_wait(&y->cv, &y->mu);
	pthread_mutex_unlock(&y->mu);
}

int
ls_sy_busy(struct ls_syncer *y)
{
	int b;

	if (y == NULL)
		return 0;
	pthread_mutex_lock(&y->mu);
	b = y->busy;
	pthread_mutex_unlock(&y->mu);
	return b;
}

/*
 * Takes in the finished job's effects on the store, once per job: the
 * offset made durable, the head written, the seal done (or, failed,
 * left for logstore_sync() to finish on the writer's thread).  Returns 0,
 * or the job's error (errno set) when it failed.
 */
int
ls_sy_reap(struct logstore *ls)
{
	struct ls_syncer *y = ls->sy;
	struct ls_sync_job j;

	if (y == NULL || atomic_load(&y->unreaped) == 0)
		return 0;
	pthread_mutex_lock(&y->mu);
	j = y->job;
	atomic_store(&y->unreaped, 0);
	pthread_mutex_unlock(&y->mu);
	if (j.seal)
		return ls_seal_reaped(ls, &j);
	if (j.rc != 0) {
		errno = j.err;
		return j.rc;
	}
	if (j.fd >= 0) {
		ls->st.syncs++;
		if (ls->fd >= 0 && j.segno == ls->segno &&
		    j.target > ls->synced_off)
			ls->synced_off = j.target;
	}
	if (j.head)
		ls->head_seq = j.h.seq;
	return 0;
}

/* Hands j to the thread, which is idle and collected. */
static void
post(struct ls_syncer *y, const struct ls_sync_job *j)
{
	pthread_mutex_lock(&y->mu);
	y->job = *j;
	y->busy = 1;
	pthread_cond_broadcast(&y->cv);
	pthread_mutex_unlock(&y->mu);
}

int
logstore_sync_start(struct logstore *ls)
{
	struct ls_syncer *y = ls->sy;
	struct ls_sync_job j;
	int rc;

	if (ls->abandoned) {
		errno = EIO;
		return MAMORI_EIO;
	}
	if (y == NULL)
		return logstore_sync(ls) == 0 ? 1 : MAMORI_EIO;
	ls->async = 1;
	pthread_mutex_lock(&y->mu);
	rc = y->busy || y->done;
	pthread_mutex_unlock(&y->mu);
	if (rc)
		return MAMORI_EAGAIN;
	/* The last job's effects first (a seal's next segment is created
	 * there).  A failed sync was reported by its collect and is simply
	 * covered by this one; a failed seal is for logstore_sync() to
	 * redo, on this thread. */
	rc = ls_sy_reap(ls);
	if (ls->sealing) {
		if (rc == 0)
			errno = EIO;
		return rc != 0 ? rc : MAMORI_EIO;
	}
	if ((rc = ls_seg_publish(ls)) != 0)
		return rc;
	memset(&j, 0, sizeof(j));
	j.fd = -1;
	if (ls->seal_want && ls->fd >= 0 && ls->seg_records > 0) {
		if ((rc = ls_seal_begin(ls, &j)) != 0)
			return rc;
		post(y, &j);
		return 0;
	}
	/* The buffer is written behind (ls->wb); the job waits for it. */
	if (ls->fd >= 0 && (rc = ls_flush_start(ls)) != 0)
		return rc;
	j.dir = ls->dir_dirty;
	if (ls->fd >= 0 && ls->synced_off != ls->file_off) {
		j.fd = ls->fd;
		j.segno = ls->segno;
		j.target = ls->file_off;
		j.wb = ls->wb;
	}
	if (ls->head_due && !ls->head_bad && ls->head_seq != ls->next_seq - 1) {
		j.head = 1;
		ls_head_fill(ls, &j.h);
	}
	if (j.fd < 0 && !j.dir && !j.head)
		return 1;
	ls->dir_dirty = 0;
	ls->head_due = 0;
	post(y, &j);
	return 0;
}

int
logstore_sync_collect(struct logstore *ls, int *rc)
{
	struct ls_syncer *y = ls->sy;
	int done, err = 0;

	if (y == NULL)
		return 0;
	pthread_mutex_lock(&y->mu);
	done = y->done;
	*rc = y->job.rc;
	err = y->job.err;
	y->done = 0;
	pthread_mutex_unlock(&y->mu);
	if (!done)
		return 0;
	/* The store's side of it too, so that what the caller is told is
	 * durable is so in the store's own books. */
	(void)ls_sy_reap(ls);
	if (*rc != 0)
		errno = err;
	return 1;
}
