/*
 * logstore-wbuf.c - writing the active segment's buffers behind the
 * writer, on a thread of their own.
 *
 * The writer fills a 1 MiB buffer with records and used to pwrite() it
 * when full.  That copy into the page cache, with ext4's block
 * reservation around it, was 36% of the writer thread's CPU under
 * bench/ingest.sh (perf: 414 of its 452 kernel samples in pwrite64), and
 * the writer is the pipeline's last stage: every microsecond it spends
 * is one the messages behind it wait.  So a full buffer goes to this
 * thread, "mamori-wbuf", which writes buffers in the order they came,
 * and the writer fills the next of LS_WB_BUFS buffers meanwhile.
 *
 * Nothing else changes about what is durable when.  ls->file_off counts
 * the bytes handed over (written or queued); a sync job waits for the
 * writes below its target before its fdatasync() (ls_wb_wait(), on the
 * sync thread), and everything that needs the file itself complete
 * (sealing, closing, a record longer than a buffer) drains the queue
 * first through ls_flush().  Records are only acknowledged after their
 * sync, as before, so a record still queued here when the process dies
 * was never reported stored.
 *
 * A write that fails (disk full) is cut off the file again (ftruncate to
 * where it began), and the thread stops with that buffer and the ones
 * after it still queued.  The writer's next call that needs a buffer or
 * a drain asks for the failed write to be tried again, once, and
 * returns MAMORI_EIO if it fails again: records are kept, in order, and
 * the caller retries later, as with a failed pwrite() on its own thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/logstore-int.h"

/* Buffers in all: the one being filled and up to LS_WB_BUFS - 1 queued. */
#define LS_WB_BUFS	4

struct wb_slot {
	uint8_t		*buf;
	size_t		 len;
	uint64_t	 off;
	int		 fd;
};

struct ls_wb {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* queued, written, failed, retry, stop */
	pthread_t	 thr;
	int		 started;
	int		 stop;
	/* Queued writes, oldest first: q[(head + i) % LS_WB_BUFS]. */
	struct wb_slot	 q[LS_WB_BUFS];
	unsigned	 head, nq;
	uint8_t		*spare[LS_WB_BUFS];	/* buffers free for the writer */
	int		 nspare;
	int		 busy;		/* q[head] is being written */
	int		 failed;	/* q[head] failed; stopped until retry */
	int		 err;		/* its errno */
};

static void *
wb_main(void *arg)
{
	struct ls_wb *w = arg;
	struct wb_slot s;
	int rc, e;

	(void)pthread_setname_np(pthread_self(), "mamori-wbuf");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && (w->nq == 0 || w->failed))
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->nq == 0 || w->failed)
			break;		/* stopping, and nothing to write */
		s = w->q[w->head];
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		rc = ls_pwrite_all(s.fd, s.buf, s.len, s.off);
		e = errno;
		if (rc != 0 && ftruncate(s.fd, (off_t)s.off) != 0)
			(void)0;	/* verification will say what is left */
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		if (rc != 0) {
			w->failed = 1;
			w->err = e;
		} else {
			w->spare[w->nspare++] = s.buf;
			w->head = (w->head + 1) % LS_WB_BUFS;
			w->nq--;
		}
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct ls_wb *
ls_wb_new(void)
{
	struct ls_wb *w;
	int i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	/* The writer holds the other one. */
	for (i = 0; i < LS_WB_BUFS - 1; i++) {
		if ((w->spare[i] = malloc(LS_WBUF_SIZE)) == NULL)
			goto fail;
		w->nspare++;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thr, NULL, wb_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		goto fail;
	}
	w->started = 1;
	return w;
fail:
	for (i = 0; i < w->nspare; i++)
		free(w->spare[i]);
	free(w);
	return NULL;
}

/*
 * Stops the thread after it wrote what is queued (or at a failed write:
 * the caller drained first, so a queue left is records lost with the
 * process anyway) and frees everything but the buffer the writer holds.
 */
void
ls_wb_free(struct ls_wb *w)
{
	int i;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thr, NULL);
	for (i = 0; i < w->nspare; i++)
		free(w->spare[i]);
	while (w->nq > 0) {
		free(w->q[w->head].buf);
		w->head = (w->head + 1) % LS_WB_BUFS;
		w->nq--;
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* Waits, with mu held, until done(w) or a failed write; a failure met
 * on entry is tried once more first.  Returns 0 or MAMORI_EIO (errno
 * set). */
static int
wait_retrying(struct ls_wb *w, int (*done)(const struct ls_wb *))
{
	if (w->failed && !done(w)) {
		w->failed = 0;		/* once more */
		pthread_cond_broadcast(&w->cv);
	}
	while (!done(w) && !w->failed)
		pthread_cond_wait(&w->cv, &w->mu);
	if (done(w))
		return 0;
	errno = w->err;
	return MAMORI_EIO;
}

static int
has_spare(const struct ls_wb *w)
{
	return w->nspare > 0;
}

static int
drained(const struct ls_wb *w)
{
	return w->nq == 0;
}

int
ls_wb_submit(struct ls_wb *w, int fd, uint64_t off, uint8_t **buf,
    size_t len)
{
	struct wb_slot *s;
	int rc;

	pthread_mutex_lock(&w->mu);
	/* A buffer for the writer first: without one, nothing is queued
	 * and the writer keeps its full one. */
	if ((rc = wait_retrying(w, has_spare)) != 0) {
		pthread_mutex_unlock(&w->mu);
		return rc;
	}
	s = &w->q[(w->head + w->nq) % LS_WB_BUFS];
	s->buf = *buf;
	s->len = len;
	s->off = off;
	s->fd = fd;
	w->nq++;
	*buf = w->spare[--w->nspare];
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
ls_wb_drain(struct ls_wb *w)
{
	int rc;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	rc = wait_retrying(w, drained);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
ls_wb_discard(struct ls_wb *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	while (w->nq > 0) {
		w->spare[w->nspare++] = w->q[w->head].buf;
		w->head = (w->head + 1) % LS_WB_BUFS;
		w->nq--;
	}
	w->failed = 0;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int
ls_wb_wait(struct ls_wb *w, int fd, uint64_t target)
{
	const struct wb_slot *s;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		/* Writes go in order: the oldest queued one tells. */
		s = &w->q[w->head];
		if (w->nq == 0 || s->fd != fd || s->off >= target)
			break;
		if (w->failed) {
			errno = w->err;
			rc = MAMORI_EIO;
			break;
		}
		pthread_cond_wait(&w->cv, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}
