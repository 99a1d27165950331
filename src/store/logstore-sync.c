/*
 * logstore-sync.c - group commit without stopping the writer.
 *
 * An fdatasync() of the active segment takes milliseconds (the device's
 * cache flush among them), and a writer that waits for each one stops
 * appending for that long: measured on a 2-core machine taking 200-byte
 * messages over TCP, the writer spent a third of its time asleep in
 * fdatasync().  So the store has one more thread, "mamori-sync", that
 * does nothing but fdatasync() the file, while the writer appends on:
 *
 *   logstore_sync_start()    writes out the buffer, notes the offset it
 *                            reaches and hands "sync up to here" to the
 *                            thread; returns at once;
 *   logstore_sync_collect()  says whether it finished and how; only then
 *                            are the records before that offset durable
 *                            (and may be acknowledged or counted stored).
 *
 * One sync runs at a time.  The fd stays open while it runs: everything
 * that closes or replaces the active segment (seal, close) goes through
 * logstore_sync(), which first waits for the running one (ls_sy_idle()).
 * A finished sync stays to be collected even then, so the caller learns
 * about each one it started.  Its result is applied only to the segment
 * it was about: collected after a seal, it changes nothing there.
 *
 * The thread calls opts.sync_done when a sync finishes, so that the
 * writer, asleep on its queue, can be woken to collect it.
 */
#include <errno.h>
#include <pthread.h>
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
	int		 done;		/* finished, not yet collected */
	int		 fd;
	uint64_t	 segno;		/* the job's segment */
	uint64_t	 target;	/* file offset it covers */
	int		 rc;		/* the finished job's */
	int		 err;		/* its errno */
	void		(*cb)(void *);
	void		*cb_arg;
};

static void *
sy_main(void *arg)
{
	struct ls_syncer *y = arg;
	int fd, rc, err;

	(void)pthread_setname_np(pthread_self(), "mamori-sync");
	pthread_mutex_lock(&y->mu);
	for (;;) {
		while (!y->stop && !(y->busy && !y->done))
			pthread_cond_wait(&y->cv, &y->mu);
		if (y->stop)
			break;
		fd = y->fd;
		pthread_mutex_unlock(&y->mu);
		rc = fdatasync(fd) == 0 ? 0 : MAMORI_EIO;
		err = errno;
		pthread_mutex_lock(&y->mu);
		y->rc = rc;
		y->err = err;
		y->busy = 0;
		y->done = 1;
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
ls_sy_new(void (*cb)(void *), void *cb_arg)
{
	struct ls_syncer *y;

	if ((y = calloc(1, sizeof(*y))) == NULL)
		return NULL;
	pthread_mutex_init(&y->mu, NULL);
	pthread_cond_init(&y->cv, NULL);
	y->cb = cb;
	y->cb_arg = cb_arg;
	y->fd = -1;
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
logstore_sync_start(struct logstore *ls)
{
	struct ls_syncer *y = ls->sy;
	int rc;

	if (y == NULL)
		return logstore_sync(ls) == 0 ? 1 : MAMORI_EIO;
	pthread_mutex_lock(&y->mu);
	rc = y->busy || y->done;
	pthread_mutex_unlock(&y->mu);
	if (rc)
		return MAMORI_EAGAIN;
	if (ls->fd >= 0 && (rc = ls_flush(ls)) != 0)
		return rc;
	/* A file was made or removed: rare (a seal), done here. */
	if (ls->dir_dirty) {
		if (fsync(ls->dirfd) != 0)
			return MAMORI_EIO;
		ls->dir_dirty = 0;
	}
	if (ls->fd < 0 || ls->synced_off == ls->file_off)
		return 1;
	pthread_mutex_lock(&y->mu);
	y->fd = ls->fd;
	y->segno = ls->segno;
	y->target = ls->file_off;
	y->busy = 1;
	pthread_cond_broadcast(&y->cv);
	pthread_mutex_unlock(&y->mu);
	return 0;
}

int
logstore_sync_collect(struct logstore *ls, int *rc)
{
	struct ls_syncer *y = ls->sy;
	uint64_t segno, target;
	int done, err = 0;

	if (y == NULL)
		return 0;
	pthread_mutex_lock(&y->mu);
	done = y->done;
	*rc = y->rc;
	err = y->err;
	segno = y->segno;
	target = y->target;
	y->done = 0;
	pthread_mutex_unlock(&y->mu);
	if (!done)
		return 0;
	if (*rc == 0) {
		ls->st.syncs++;
		if (ls->fd >= 0 && segno == ls->segno &&
		    target > ls->synced_off)
			ls->synced_off = target;
	} else
		errno = err;
	return 1;
}
