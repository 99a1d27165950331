/*
 * logstore-compress.c - compressing sealed segments in the background.
 *
 * Sealing (logstore-seal.c) leaves NNNNNN.seg with its checkpoint: the
 * segment is finished and its records are protected by the checkpoint
 * from that moment.  Compressing it is only about disk space, so it is
 * done here, by one thread per store at the lowest CPU priority
 * (SCHED_IDLE), off the writer's path.  Measured on a 2-core machine
 * taking 200-byte messages over TCP (bench/ingest.sh), compressing
 * inline on the writer cost about 100 ms per 64 MiB segment, a third of
 * the server's CPU, and a quarter of its throughput.
 *
 * For each job the thread streams NNNNNN.seg through zstd (one input and
 * one output buffer of fixed size, so memory does not grow with the
 * segment) into NNNNNN.seg.zst.tmp, fsyncs it, renames it to
 * NNNNNN.seg.zst, fsyncs the directory, and only then removes the .seg.
 * At every moment one of the two names holds the whole segment:
 *
 *   - a crash before the rename leaves a .tmp, which logstore_open()
 *     removes, and the .seg, which it queues again;
 *   - a crash between the rename and the removal leaves both; the
 *     .seg.zst was synced before it got its name, but the writer cannot
 *     tell it from a damaged one without decompressing it, and the .seg is
 *     the original, so logstore_open() removes the .seg.zst and queues the
 *     .seg again.
 *
 * Readers opening the .seg keep reading it after it is removed (an open
 * file stays readable); readers that list the directory and find a name
 * gone try the other one (logstore-read.c, logstore-verify.c).
 *
 * Retention may expire a segment while it is being compressed.  It first
 * cancels the job under the lock (ls_zq_cancel()), then removes both
 * names; the thread checks for a cancel under the same lock before and
 * after renaming, and removes what it made if the segment was expired
 * meanwhile.  The lock is never held across file I/O, so the writer
 * never waits for this low-priority thread to be scheduled again (except
 * when the backlog is full, see ls_zq_wait_room()).
 *
 * A compression that fails (disk full) is tried again a minute later; the
 * writer says so at each failure.  Sealing does not wait for a failing
 * compressor.  A .seg whose size is not its checkpoint's was
 * changed after sealing: it is left as it is, for verification.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

#define ZQ_INBUF	(1u << 20)	/* read, then checked for a stop */

struct ls_zq *
ls_zq_new(int dirfd, int level)
{
	struct ls_zq *z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	if (pthread_mutex_init(&z->mu, NULL) != 0) {
		free(z);
		return NULL;
	}
	if (pthread_cond_init(&z->cv, NULL) != 0) {
		pthread_mutex_destroy(&z->mu);
		free(z);
		return NULL;
	}
	if (pthread_cond_init(&z->room, NULL) != 0) {
		pthread_cond_destroy(&z->cv);
		pthread_mutex_destroy(&z->mu);
		free(z);
		return NULL;
	}
	atomic_init(&z->stop, 0);
	atomic_init(&z->cancel, 0);
	atomic_init(&z->pending, 0);
	atomic_init(&z->compressed, 0);
	z->dirfd = dirfd;
	z->level = level;
	return z;
}

/* Index of segno's job, or njobs.  Called with mu held. */
static size_t
job_find(const struct ls_zq *z, uint64_t segno)
{
	size_t i;

	for (i = 0; i < z->njobs; i++)
		if (z->jobs[i].segno == segno)
			return i;
	return z->njobs;
}

/* Removes job i.  Called with mu held. */
static void
job_remove(struct ls_zq *z, size_t i)
{
	memmove(&z->jobs[i], &z->jobs[i + 1],
	    (z->njobs - i - 1) * sizeof(*z->jobs));
	z->njobs--;
}

/* A job left the backlog.  Called with mu held. */
static void
job_left(struct ls_zq *z)
{
	atomic_fetch_sub(&z->pending, 1);
	pthread_cond_broadcast(&z->room);
}

int
ls_zq_push(struct ls_zq *z, uint64_t segno, uint64_t raw_bytes)
{
	struct ls_zjob *v;
	size_t cap;
	int rc = 0;

	pthread_mutex_lock(&z->mu);
	if (z->njobs == z->cap) {
		cap = z->cap ? z->cap * 2 : 16;
		if ((v = realloc(z->jobs, cap * sizeof(*v))) == NULL) {
			rc = MAMORI_ENOMEM;
			goto out;
		}
		z->jobs = v;
		z->cap = cap;
	}
	memset(&z->jobs[z->njobs], 0, sizeof(z->jobs[0]));
	z->jobs[z->njobs].segno = segno;
	z->jobs[z->njobs].raw_bytes = raw_bytes;
	z->jobs[z->njobs].state = LS_ZJ_QUEUED;
	z->njobs++;
	atomic_fetch_add(&z->pending, 1);
	pthread_cond_signal(&z->cv);
out:
	pthread_mutex_unlock(&z->mu);
	return rc;
}

void
ls_zq_wait_room(struct ls_zq *z)
{
	uint_fast64_t n;

	pthread_mutex_lock(&z->mu);
	/* One job less, not below the bound: a backlog found at open may
	 * be longer, and the writer must not wait for all of it.  Only the
	 * writer adds jobs, so pending only goes down meanwhile. */
	if ((n = atomic_load(&z->pending)) >= LS_ZQ_MAX)
		while (z->running && z->armed && !z->failing &&
		    !atomic_load(&z->stop) && atomic_load(&z->pending) >= n)
			pthread_cond_wait(&z->room, &z->mu);
	pthread_mutex_unlock(&z->mu);
}

void
ls_zq_cancel(struct ls_zq *z, uint64_t segno)
{
	size_t i;

	pthread_mutex_lock(&z->mu);
	if ((i = job_find(z, segno)) < z->njobs) {
		switch (z->jobs[i].state) {
		case LS_ZJ_QUEUED:
			job_remove(z, i);
			job_left(z);
			break;
		case LS_ZJ_BUSY:
		case LS_ZJ_RENAMING:
			/* The thread drops the job and what it made. */
			atomic_store(&z->cancel, 1);
			break;
		case LS_ZJ_DONE:
		case LS_ZJ_SKIPPED:
			job_remove(z, i);
			break;
		}
	}
	pthread_mutex_unlock(&z->mu);
}

void
ls_zq_hold(struct ls_zq *z, int hold)
{
	pthread_mutex_lock(&z->mu);
	z->hold = hold;
	pthread_cond_broadcast(&z->cv);
	pthread_cond_broadcast(&z->room);
	pthread_mutex_unlock(&z->mu);
}

void
ls_zq_arm(struct ls_zq *z)
{
	pthread_mutex_lock(&z->mu);
	z->armed = 1;
	pthread_cond_signal(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

/* Returns 1 when the job in progress is to be given up. */
static int
given_up(struct ls_zq *z)
{
	return atomic_load(&z->stop) || atomic_load(&z->cancel);
}

/*
 * Compresses NNNNNN.seg (raw bytes long) into tmp, synced.  Returns 0 with
 * *zbytes; MAMORI_ENOTFOUND when the .seg is gone; MAMORI_ECORRUPT with
 * *why when its size is not its checkpoint's; MAMORI_ECLOSED when told to
 * stop or cancelled; MAMORI_ENOMEM or MAMORI_EIO (errno set).
 */
static int
compress_file(struct ls_zq *z, uint64_t segno, uint64_t raw,
    const char *tmp, uint64_t *zbytes, const char **why)
{
	char seg[LS_NAME_MAX];
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	ZSTD_EndDirective mode;
	struct stat sb;
	uint64_t off = 0, written = 0;
	size_t left;
	ssize_t r;
	int src, dst = -1, rc = 0, e;

	ls_name(seg, sizeof(seg), segno, LS_SUFFIX_SEG);
	if ((src = openat(z->dirfd, seg, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MAMORI_ENOTFOUND : MAMORI_EIO;
	if (fstat(src, &sb) != 0) {
		rc = MAMORI_EIO;
		goto out;
	}
	if ((uint64_t)sb.st_size != raw) {
		*why = "its size differs from its checkpoint's";
		rc = MAMORI_ECORRUPT;
		goto out;
	}
	(void)posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* Kept from one job to the next. */
	z->incap = ZQ_INBUF;
	z->outcap = ZSTD_CStreamOutSize();
	if ((z->cctx == NULL && (z->cctx = ZSTD_createCCtx()) == NULL) ||
	    (z->in == NULL && (z->in = malloc(z->incap)) == NULL) ||
	    (z->out == NULL && (z->out = malloc(z->outcap)) == NULL)) {
		rc = MAMORI_ENOMEM;
		goto out;
	}
	ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_compressionLevel, z->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(z->cctx, raw))) {
		errno = EINVAL;
		rc = MAMORI_EIO;
		goto out;
	}
	if ((dst = openat(z->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0640)) < 0) {
		rc = MAMORI_EIO;
		goto out;
	}
	while (off < raw) {
		if (given_up(z)) {
			rc = MAMORI_ECLOSED;
			goto out;
		}
		r = pread(src, z->in, z->incap, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (uint64_t)r > raw - off) {
			/* Shorter, or longer, than when it was checked. */
			*why = "its size differs from its checkpoint's";
			rc = r < 0 ? MAMORI_EIO : MAMORI_ECORRUPT;
			goto out;
		}
		off += (uint64_t)r;
		mode = off == raw ? ZSTD_e_end : ZSTD_e_continue;
		in.src = z->in;
		in.size = (size_t)r;
		in.pos = 0;
		do {
			out.dst = z->out;
			out.size = z->outcap;
			out.pos = 0;
			left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
			if (ZSTD_isError(left)) {
				errno = EINVAL;
				rc = MAMORI_EIO;
				goto out;
			}
			if ((rc = ls_pwrite_all(dst, z->out, out.pos,
			    written)) != 0)
				goto out;
			written += out.pos;
		} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	}
	if (fstat(src, &sb) != 0 || (uint64_t)sb.st_size != raw) {
		/* Added to meanwhile: the .seg stays, as evidence. */
		*why = "its size differs from its checkpoint's";
		rc = MAMORI_ECORRUPT;
		goto out;
	}
	if (fsync(dst) != 0)
		rc = MAMORI_EIO;
	*zbytes = written;
out:
	e = errno;
	if (dst >= 0 && close(dst) != 0 && rc == 0) {
		rc = MAMORI_EIO;
		e = errno;
	}
	close(src);
	if (rc != 0 && dst >= 0)
		unlinkat(z->dirfd, tmp, 0);
	errno = e;
	return rc;
}

/* The first job to do, or NULL.  Called with mu held. */
static struct ls_zjob *
next_job(struct ls_zq *z)
{
	size_t i;

	if (!z->armed || z->hold || (z->failing &&
	    time_mono_ns() < z->retry_ns))
		return NULL;
	for (i = 0; i < z->njobs; i++)
		if (z->jobs[i].state == LS_ZJ_QUEUED)
			return &z->jobs[i];
	return NULL;
}

void
ls_zq_appended(struct ls_zq *z, uint64_t n)
{
	if (z == NULL)
		return;
	atomic_fetch_add_explicit(&z->appended, n, memory_order_relaxed);
	atomic_store_explicit(&z->appended_ns, time_mono_ns(),
	    memory_order_relaxed);
}

/* Waits on cv (mu held) until the monotonic deadline, a stop, or a
 * wake-up; cv uses the realtime clock. */
static void
wait_until(struct ls_zq *z, int64_t deadline)
{
	struct timespec ts;
	int64_t wait = deadline - time_mono_ns();

	if (wait < 0)
		wait = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	wait += ts.tv_nsec;
	ts.tv_sec += wait / 1000000000LL;
	ts.tv_nsec = wait % 1000000000LL;
	pthread_cond_timedwait(&z->cv, &z->mu, &ts);
}

/*
 * Whether ingestion is busy: more than LS_ZQ_BUSY_BPS written out over
 * the next LS_ZQ_BUSY_WINDOW_NS (waited for here, mu held), when anything
 * was written out in the last one.  SCHED_IDLE
 * alone did not keep compression off a busy pipeline: every short wait of
 * a pipeline thread let it in, and it cost bench/ingest.sh 6% of its
 * rate (0.52 s against 0.49 s for 1M messages, CPU 0.84 s against 0.73 s)
 * through the caches it evicts and the preemptions.  A backlog at its
 * bound is compressed whatever the rate (the writer would wait for it).
 */
static int
ingest_busy(struct ls_zq *z)
{
	uint64_t before = atomic_load(&z->appended);
	int64_t t0 = time_mono_ns(), dt;

	/* Nothing written out lately: quiet, no need to watch. */
	if (atomic_load(&z->pending) >= LS_ZQ_MAX ||
	    t0 - atomic_load(&z->appended_ns) > LS_ZQ_BUSY_WINDOW_NS)
		return 0;
	while (!atomic_load(&z->stop) &&
	    time_mono_ns() - t0 < LS_ZQ_BUSY_WINDOW_NS)
		wait_until(z, t0 + LS_ZQ_BUSY_WINDOW_NS);
	dt = time_mono_ns() - t0;
	return (double)(atomic_load(&z->appended) - before) * 1e9 /
	    (double)dt > (double)LS_ZQ_BUSY_BPS;
}

/* Waits for a job; returns its segno and size, or 0 when told to stop.
 * Called with mu held. */
static uint64_t
take_job(struct ls_zq *z, uint64_t *raw)
{
	struct ls_zjob *j;
	int quiet = 0;		/* ingest_busy() said no just now */

	for (;;) {
		if (atomic_load(&z->stop))
			return 0;
		if ((j = next_job(z)) != NULL) {
			if (quiet)
				break;
			/* It waits without the lock: the job may be gone,
			 * and the array moved, when it returns, so the job
			 * is looked up again. */
			quiet = !ingest_busy(z);
			continue;
		}
		quiet = 0;
		if (z->failing && z->armed && !z->hold) {
			/* Backing off after a failure; cv uses the
			 * realtime clock, the deadline is monotonic. */
			wait_until(z, z->retry_ns);
		} else
			pthread_cond_wait(&z->cv, &z->mu);
	}
	j->state = LS_ZJ_BUSY;
	atomic_store(&z->cancel, 0);
	*raw = j->raw_bytes;
	return j->segno;
}

/*
 * Puts the synced tmp in place of the .seg: rename to the .seg.zst, make
 * the name durable, and only then remove the .seg.  Returns 0 or
 * MAMORI_EIO; *renamed tells whether the .seg.zst exists.
 */
static int
put_in_place(struct ls_zq *z, const char *tmp, const char *zst,
    const char *seg, int *renamed)
{
	*renamed = 0;
	if (renameat(z->dirfd, tmp, z->dirfd, zst) != 0)
		return MAMORI_EIO;
	*renamed = 1;
	if (fsync(z->dirfd) != 0)
		return MAMORI_EIO;
	if (unlinkat(z->dirfd, seg, 0) != 0 && errno != ENOENT)
		return MAMORI_EIO;
	(void)fsync(z->dirfd);	/* were it lost, open tidies up */
	return 0;
}

static void
compress_one(struct ls_zq *z, uint64_t segno, uint64_t raw)
{
	char seg[LS_NAME_MAX], zst[LS_NAME_MAX], tmp[LS_NAME_MAX + 8];
	const char *why = "";
	uint64_t zbytes = 0;
	size_t i;
	int rc, e, renamed = 0;

	ls_name(seg, sizeof(seg), segno, LS_SUFFIX_SEG);
	ls_name(zst, sizeof(zst), segno, LS_SUFFIX_ZST);
	snprintf(tmp, sizeof(tmp), "%s.tmp", zst);
	rc = compress_file(z, segno, raw, tmp, &zbytes, &why);
	e = errno;

	pthread_mutex_lock(&z->mu);
	i = job_find(z, segno);
	assert(i < z->njobs);	/* only this thread removes a busy job */
	if (rc == 0 && !given_up(z)) {
		/* The lock is not held across the system calls; a cancel
		 * meanwhile is seen below. */
		z->jobs[i].state = LS_ZJ_RENAMING;
		pthread_mutex_unlock(&z->mu);
		rc = put_in_place(z, tmp, zst, seg, &renamed);
		e = errno;
		pthread_mutex_lock(&z->mu);
		i = job_find(z, segno);
		assert(i < z->njobs);
	} else if (rc == 0)
		rc = MAMORI_ECLOSED;
	if (atomic_load(&z->cancel)) {
		/* Expired meanwhile: retention removes the names it saw,
		 * this thread what it made after. */
		job_remove(z, i);
		job_left(z);
		pthread_mutex_unlock(&z->mu);
		unlinkat(z->dirfd, tmp, 0);
		if (renamed)
			unlinkat(z->dirfd, zst, 0);
		return;
	}
	if (rc == 0) {
		z->jobs[i].state = LS_ZJ_DONE;
		z->jobs[i].zst_bytes = zbytes;
		z->failing = 0;
		atomic_fetch_add(&z->compressed, 1);
	} else if (rc == MAMORI_ENOTFOUND || rc == MAMORI_ECORRUPT) {
		z->jobs[i].state = LS_ZJ_SKIPPED;
		z->jobs[i].why = rc == MAMORI_ENOTFOUND ?
		    "it was removed, and not by retention" : why;
	} else {
		/* Stopping (the next open queues it again), or disk full
		 * or an I/O error (tried again later).  The .seg is whole
		 * in every case. */
		z->jobs[i].state = LS_ZJ_QUEUED;
		if (rc != MAMORI_ECLOSED) {
			z->failing = 1;
			z->retry_ns = time_mono_ns() + LS_ZQ_RETRY_NS;
			z->fail_segno = segno;
			z->fail_rc = rc;
			z->fail_errno = e;
			z->fail_new = 1;
			pthread_cond_broadcast(&z->room);
		}
		pthread_mutex_unlock(&z->mu);
		unlinkat(z->dirfd, tmp, 0);
		return;
	}
	job_left(z);
	pthread_mutex_unlock(&z->mu);
}

static void *
zq_main(void *arg)
{
	struct ls_zq *z = arg;
	uint64_t segno, raw = 0;

	/* The lowest priority: compression only takes CPU that ingestion
	 * leaves.  SCHED_IDLE runs the thread only on an otherwise idle
	 * CPU, where nice 19 still gets a small share of busy ones; where
	 * it is refused, nice 19.  On Linux both apply to this thread
	 * alone. */
	{
		struct sched_param sp = { .sched_priority = 0 };

		if (pthread_setschedparam(pthread_self(), SCHED_IDLE,
		    &sp) != 0)
			(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	}
	(void)pthread_setname_np(pthread_self(), "mamori-zstd");
	pthread_mutex_lock(&z->mu);
	while ((segno = take_job(z, &raw)) != 0) {
		pthread_mutex_unlock(&z->mu);
		compress_one(z, segno, raw);
		pthread_mutex_lock(&z->mu);
	}
	pthread_mutex_unlock(&z->mu);
	return NULL;
}

int
ls_zq_start(struct ls_zq *z)
{
	sigset_t all, old;
	int rc;

	/* No signal of the process is for this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&z->thr, NULL, zq_main, z);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return MAMORI_ESYS;
	}
	z->running = 1;
	return 0;
}

void
ls_zq_stop(struct ls_zq *z)
{
	if (z == NULL || !z->running)
		return;
	pthread_mutex_lock(&z->mu);
	atomic_store(&z->stop, 1);
	pthread_cond_broadcast(&z->cv);
	pthread_cond_broadcast(&z->room);
	pthread_mutex_unlock(&z->mu);
	pthread_join(z->thr, NULL);
	z->running = 0;
}

void
ls_zq_free(struct ls_zq *z)
{
	if (z == NULL)
		return;
	ls_zq_stop(z);
	ZSTD_freeCCtx(z->cctx);
	free(z->in);
	free(z->out);
	free(z->jobs);
	pthread_cond_destroy(&z->room);
	pthread_cond_destroy(&z->cv);
	pthread_mutex_destroy(&z->mu);
	free(z);
}

/*
 * The writer's side.
 */

void
ls_compress_queue(struct logstore *ls, struct ls_sealed *s)
{
	char seg[LS_NAME_MAX];

	if (ls_zq_push(ls->zq, s->c.segno, s->c.raw_bytes) != 0) {
		ls_name(seg, sizeof(seg), s->c.segno, LS_SUFFIX_SEG);
		ls_notice(ls, "log/%s: cannot queue for compression (out of "
		    "memory); compressed after the next start", seg);
		return;
	}
	s->zpending = 1;
	ls->pend_raw += s->c.raw_bytes;
}

/* Takes one finished job into the writer's accounting. */
static void
take_in(struct logstore *ls, const struct ls_zjob *j)
{
	struct ls_sealed *s = ls_sealed_find(ls, j->segno);
	char name[LS_NAME_MAX];

	if (s == NULL || !s->present || !s->zpending)
		return;		/* expired meanwhile: accounted there */
	s->zpending = 0;
	ls->pend_raw -= j->raw_bytes;
	if (j->state == LS_ZJ_SKIPPED) {
		ls_name(name, sizeof(name), j->segno, LS_SUFFIX_SEG);
		ls_notice(ls, "log/%s: not compressed: %s; left for "
		    "verification", name, j->why);
		return;
	}
	ls->st.disk_bytes = ls->st.disk_bytes - s->disk + j->zst_bytes;
	s->disk = j->zst_bytes;
	ls->ratio_raw += j->raw_bytes;
	ls->ratio_zst += j->zst_bytes;
	ls_name(name, sizeof(name), j->segno, LS_SUFFIX_ZST);
	ls_notice(ls, "log/%s: compressed: %llu bytes to %llu", name,
	    (unsigned long long)j->raw_bytes,
	    (unsigned long long)j->zst_bytes);
}

void
ls_compress_collect(struct logstore *ls, int trylock)
{
	struct ls_zq *z = ls->zq;
	struct ls_zjob got[16];
	char name[LS_NAME_MAX];
	size_t n = 0, i;
	int fail = 0, fail_rc = 0, fail_errno = 0;
	uint64_t fail_segno = 0;

	do {
		if (trylock) {
			if (pthread_mutex_trylock(&z->mu) != 0)
				return;
		} else
			pthread_mutex_lock(&z->mu);
		for (i = 0, n = 0; i < z->njobs && n < 16; ) {
			if (z->jobs[i].state == LS_ZJ_DONE ||
			    z->jobs[i].state == LS_ZJ_SKIPPED) {
				got[n++] = z->jobs[i];
				job_remove(z, i);
			} else
				i++;
		}
		if (z->fail_new) {
			z->fail_new = 0;
			fail = 1;
			fail_rc = z->fail_rc;
			fail_errno = z->fail_errno;
			fail_segno = z->fail_segno;
		}
		pthread_mutex_unlock(&z->mu);
		for (i = 0; i < n; i++)
			take_in(ls, &got[i]);
		if (fail) {
			ls_name(name, sizeof(name), fail_segno, LS_SUFFIX_SEG);
			ls_notice(ls, "log/%s: cannot compress (%s: %s); left "
			    "as it is and tried again in a minute", name,
			    mamori_strerror(fail_rc), strerror(fail_errno));
			fail = 0;
		}
	} while (n == 16);
}
