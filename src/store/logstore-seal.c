/*
 * logstore-seal.c - sealing segments and retention.
 *
 * Sealing finishes the active segment and writes its keyed checkpoint;
 * compression happens later, in the background (logstore-compress.c), so
 * that the writer's cost is two syncs and two small files, not the ~100 ms
 * of zstd per 64 MiB segment that used to stall ingestion.  The
 * checkpoint covers the chain (first and last hash, seq and time ranges),
 * which compression does not change, so the segment is protected from the
 * moment it is sealed, in either form.  The steps:
 *
 *   1. sync the segment (it is complete: nothing is appended after);
 *   2. write NNNNNN.ckpt (temporary file, fsync, rename, fsync of the
 *      directory): from here on the segment is sealed;
 *   3. queue NNNNNN.seg for compression.
 *
 * then the head is written.  In a server these steps run on the sync
 * thread (logstore-sync.c) as the next group commit, while the writer
 * appends the next segment's records to NNNNNN.seg.tmp, which gets its
 * name only after step 2, so the directory goes through the same states
 * either way.
 *
 * A crash before 2 completes leaves the active segment, which the next
 * logstore_open() goes on appending to; after it, a sealed .seg, which it
 * queues for compression again.
 *
 * Expiry appends an expiry record to the chain and syncs it, then marks
 * the checkpoint expired and re-authenticates it, then removes the
 * segment's file (.seg.zst, or .seg if it was not compressed yet, after
 * cancelling its compression).  A crash in between leaves a segment that
 * the next logstore_maintain() expires again (a second expiry record names
 * it; the checkpoint names the last) or that logstore_open() finishes
 * removing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

/* The checkpoint of the active segment, written out up to file_off. */
static void
ckpt_fill(struct logstore *ls, struct ls_ckpt *c)
{
	memset(c, 0, sizeof(*c));
	c->segno = ls->segno;
	c->first_seq = ls->hdr.first_seq;
	c->last_seq = ls->next_seq - 1;
	c->raw_bytes = ls->file_off;
	c->zst_bytes = 0;	/* compressed later: the file tells */
	if (ls->seg_events > 0) {
		c->min_recv_ns = ls->seg_min_recv;
		c->max_recv_ns = ls->seg_max_recv;
		c->min_time_ns = ls->seg_min_time;
		c->max_time_ns = ls->seg_max_time;
	} else {
		/* No event: an empty range that every search skips. */
		c->min_recv_ns = c->min_time_ns = INT64_MAX;
		c->max_recv_ns = c->max_time_ns = INT64_MIN;
	}
	c->created_ns = ls->hdr.created_ns;
	c->sealed_ns = time_now_ns();
	memcpy(c->prev_hash, ls->hdr.prev_hash, LS_HASH_LEN);
	memcpy(c->last_hash, ls->last_hash, LS_HASH_LEN);
}

int
ls_seal_begin(struct logstore *ls, struct ls_sync_job *j)
{
	int rc;

	if ((rc = ls_flush(ls)) != 0)
		return rc;
	memset(j, 0, sizeof(*j));
	ckpt_fill(ls, &j->c);
	/* With the backlog of segments waiting for compression full, this
	 * one waits until the compressor has done one (ls_zq_wait_room()). */
	ls_zq_wait_room(ls->zq);
	/* Its place first: once the checkpoint is written, nothing may
	 * fail before the segment is taken for sealed. */
	if (ls_sealed_add(ls, &j->c) == NULL)
		return MAMORI_ENOMEM;
	j->dir = ls->dir_dirty;
	j->fd = ls->fd;
	j->segno = ls->segno;
	j->target = ls->file_off;
	j->seal = 1;
	if (!ls->head_bad) {
		j->head = 1;
		ls_head_fill(ls, &j->h);
	}
	ls->dir_dirty = 0;
	ls->head_due = 0;
	ls->seal_want = 0;
	ls->sealing = 1;
	ls->seal_idx = ls->nsealed - 1;
	ls->seal_job = *j;
	/* From here on, records are the next segment's (NNNNNN.seg.tmp
	 * until the seal is done). */
	ls->fd = -1;
	ls->segno++;
	ls->seg_records = 0;
	ls->seg_events = 0;
	return 0;
}

int
ls_seal_reaped(struct logstore *ls, struct ls_sync_job *j)
{
	char seg[LS_NAME_MAX];
	struct ls_sealed *s;

	if (!ls->sealing || j->c.segno != ls->seal_job.c.segno)
		return 0;	/* taken in already */
	if (j->rc != 0) {
		/* Still under way: logstore_sync() does it again (the
		 * checkpoint is written whole again, over whatever part of
		 * it got done), and records wait meanwhile. */
		errno = j->err;
		return j->rc;
	}
	/* Sealed. */
	s = &ls->sealed[ls->seal_idx];
	close(ls->seal_job.fd);
	ls->seal_job.fd = -1;
	ls->sealing = 0;
	s->c = j->c;		/* with its key id and MAC */
	s->present = 1;
	s->trusted = 1;
	s->disk = j->c.raw_bytes;
	ls_compress_queue(ls, s);
	ls->st.sealed++;
	if (j->head)
		ls->head_seq = j->h.seq;
	ls_name(seg, sizeof(seg), j->c.segno, LS_SUFFIX_SEG);
	ls_notice(ls, "log/%s: sealed: seq %llu..%llu, %llu bytes", seg,
	    (unsigned long long)j->c.first_seq,
	    (unsigned long long)j->c.last_seq,
	    (unsigned long long)j->c.raw_bytes);
	/* The next segment gets its name now that its predecessor is
	 * sealed: on disk, the store goes through the states a seal on the
	 * writer's thread leaves. */
	return ls_seg_publish(ls);
}

int
ls_seal_finish(struct logstore *ls)
{
	struct ls_sync_job j;
	int rc;

	if (!ls->sealing)
		return 0;
	ls_sy_idle(ls->sy);
	rc = ls_sy_reap(ls);
	if (!ls->sealing)
		return rc;
	j = ls->seal_job;
	ls_sync_run(ls->dirfd, &ls->key, &j);
	return ls_seal_reaped(ls, &j);
}

/*
 * Seals the active segment on the calling thread: its records synced,
 * its checkpoint and the head written, before returning.  (A server
 * seals on the sync thread instead: see logstore_sync_start().)
 */
int
logstore_seal(struct logstore *ls)
{
	struct ls_sync_job j;
	int rc;

	ls_arm(ls);
	if ((rc = logstore_sync(ls)) != 0)
		return rc;
	if (ls->fd < 0 || ls->seg_records == 0)
		return 0;
	if ((rc = ls_seal_begin(ls, &j)) != 0)
		return rc;
	ls_sync_run(ls->dirfd, &ls->key, &j);
	return ls_seal_reaped(ls, &j);
}

static const char *
reason_name(uint32_t reason)
{
	return reason == LS_EXPIRE_AGE ? "age" : "size";
}

/* Expires sealed segment s: records it in the chain, marks and
 * re-authenticates its checkpoint, removes its file. */
static int
expire(struct logstore *ls, struct ls_sealed *s, uint32_t reason,
    int64_t now)
{
	struct ls_expiry x;
	struct ls_ckpt c;
	char zst[LS_NAME_MAX], seg[LS_NAME_MAX];
	uint8_t *rec;
	int rc, rz, rs;

	memset(&x, 0, sizeof(x));
	x.segno = s->c.segno;
	x.first_seq = s->c.first_seq;
	x.last_seq = s->c.last_seq;
	x.min_recv_ns = s->c.min_recv_ns;
	x.max_recv_ns = s->c.max_recv_ns;
	memcpy(x.last_hash, s->c.last_hash, LS_HASH_LEN);
	x.expired_ns = now;
	x.reason = reason;
	if ((rc = ls_rec_begin(ls, LS_EXPIRY_REC_LEN, &rec)) != 0)
		return rc;
	ls_expiry_encode(&x, ls->next_seq, rec);
	if ((rc = ls_rec_end(ls, rec, LS_EXPIRY_REC_LEN, NULL)) != 0)
		return rc;
	if ((rc = logstore_sync(ls)) != 0)
		return rc;

	c = s->c;
	c.expired_ns = now;
	c.expiry_seq = ls->next_seq - 1;
	c.expiry_reason = reason;
	if ((rc = ls_ckpt_write(ls->dirfd, &c, &ls->key)) != 0)
		return rc;
	s->c = c;
	/* Its compression, if still to come or under way, is called off
	 * first; then both names go, whichever it has now. */
	if (s->zpending) {
		ls_zq_cancel(ls->zq, s->c.segno);
		s->zpending = 0;
		ls->pend_raw -= s->c.raw_bytes;
	}
	ls_name(zst, sizeof(zst), s->c.segno, LS_SUFFIX_ZST);
	ls_name(seg, sizeof(seg), s->c.segno, LS_SUFFIX_SEG);
	if ((rz = unlinkat(ls->dirfd, zst, 0)) != 0 && errno != ENOENT)
		return MAMORI_EIO;
	if ((rs = unlinkat(ls->dirfd, seg, 0)) != 0 && errno != ENOENT)
		return MAMORI_EIO;
	s->present = 0;
	ls->dir_dirty = 1;
	ls->st.expired++;
	if (ls->st.segments > 0)
		ls->st.segments--;
	if (ls->st.disk_bytes >= s->disk)
		ls->st.disk_bytes -= s->disk;
	s->disk = 0;
	ls_notice(ls, "log/%s: expired by retention (%s): seq %llu..%llu",
	    rz != 0 && rs == 0 ? seg : zst, reason_name(reason),
	    (unsigned long long)s->c.first_seq,
	    (unsigned long long)s->c.last_seq);
	return logstore_sync(ls);
}

/* Returns the oldest sealed segment that retention may remove, or NULL.
 * Segments whose checkpoint did not match the key are kept: removing them
 * would destroy evidence. */
static struct ls_sealed *
oldest_expirable(struct logstore *ls)
{
	size_t i;

	for (i = 0; i < ls->nsealed; i++)
		if (ls->sealed[i].present && ls->sealed[i].c.expired_ns == 0)
			return ls->sealed[i].trusted ? &ls->sealed[i] : NULL;
	return NULL;
}

/* A segment is as old as its newest event; one without events (expiry
 * records only) as old as its seal. */
static int64_t
newest(const struct ls_sealed *s)
{
	return s->c.max_recv_ns != INT64_MIN ? s->c.max_recv_ns :
	    s->c.sealed_ns;
}

/*
 * The store's size for retention.  A segment waiting for compression
 * counts at the size it will have, from the ratio of the segments
 * compressed so far (its raw size while there is none): a backlog, which
 * lasts only until the compressor catches up, must not make retention
 * remove old segments that will fit.  The backlog is bounded
 * (LS_ZQ_MAX), and so is what the disk can hold beyond the limit.
 */
static uint64_t
retention_size(const struct logstore *ls)
{
	uint64_t est;

	if (ls->ratio_raw == 0 || ls->pend_raw == 0)
		return ls->st.disk_bytes;
	est = (uint64_t)((double)ls->pend_raw * (double)ls->ratio_zst /
	    (double)ls->ratio_raw);
	if (ls->st.disk_bytes < ls->pend_raw)	/* cannot happen */
		return ls->st.disk_bytes;
	return ls->st.disk_bytes - ls->pend_raw + est;
}

static int
retention(struct logstore *ls, int64_t now)
{
	struct ls_sealed *s;
	int rc;

	while (ls->o.retention_ns > 0 && (s = oldest_expirable(ls)) != NULL &&
	    now - newest(s) > ls->o.retention_ns)
		if ((rc = expire(ls, s, LS_EXPIRE_AGE, now)) != 0)
			return rc;
	while (ls->o.retention_bytes > 0 &&
	    retention_size(ls) > ls->o.retention_bytes &&
	    (s = oldest_expirable(ls)) != NULL)
		if ((rc = expire(ls, s, LS_EXPIRE_SIZE, now)) != 0)
			return rc;
	return 0;
}

int
logstore_maintain(struct logstore *ls, int64_t now_ns)
{
	int64_t born;
	int rc, full;

	if (ls->abandoned)
		return 0;
	ls_arm(ls);
	/* What the compressor finished, unless it holds its lock right
	 * now: then next time. */
	ls_compress_collect(ls, 1);
	if (!ls->sealing && ls->fd >= 0 && ls->seg_records > 0) {
		born = ls->seg_events > 0 ? ls->seg_first_recv :
		    ls->hdr.created_ns;
		full = ls->file_off + ls->buf_len >= ls->o.segment_bytes;
		if (full && ls->async && ls->sy != NULL)
			ls->seal_want = 1;	/* the next sync seals it */
		else if ((full || (ls->o.segment_age_ns > 0 &&
		    now_ns - born >= ls->o.segment_age_ns)) &&
		    (rc = logstore_seal(ls)) != 0)
			return rc;
	}
	if ((rc = retention(ls, now_ns)) != 0)
		return rc;
	/* The head names the newest durable record.  While records are
	 * being synced on the sync thread, it goes with the next sync
	 * there; the writer syncs and writes it here only when idle. */
	if (ls->async && ls->sy != NULL && (ls_sy_busy(ls->sy) ||
	    ls->sealing || ls->seg_tmp || ls->buf_len > 0 ||
	    (ls->fd >= 0 && ls->synced_off != ls->file_off))) {
		ls->head_due = 1;
		return 0;
	}
	if ((rc = logstore_sync(ls)) != 0)
		return rc;
	return ls_head_update(ls);
}
