/*
 * logstore-seal.c - sealing segments and retention.
 *
 * Sealing compresses the active segment with zstd (streaming: the write
 * buffer as input, one ZSTD_CStreamOutSize() buffer as output, so memory
 * does not grow with the segment) and writes its keyed checkpoint.  The
 * steps are ordered so that a crash at any point leaves either the active
 * segment or the sealed one, never neither:
 *
 *   1. sync the segment;
 *   2. compress it to NNNNNN.seg.zst.tmp, fsync;
 *   3. write NNNNNN.ckpt (temporary file, fsync, rename);
 *   4. rename the .tmp to NNNNNN.seg.zst, fsync the directory;
 *   5. remove NNNNNN.seg, fsync the directory.
 *
 * logstore_open() undoes 3 when 4 did not happen and finishes 5.
 *
 * Expiry appends an expiry record to the chain and syncs it, then marks
 * the checkpoint expired and re-authenticates it, then removes the
 * .seg.zst.  A crash in between leaves a segment that the next
 * logstore_maintain() expires again (a second expiry record names it; the
 * checkpoint names the last) or that logstore_open() finishes removing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

/* Compresses the first size bytes of the active segment into dst. */
static int
compress_segment(struct logstore *ls, uint64_t size, int dst,
    uint64_t *out_bytes)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out;
	ZSTD_EndDirective mode;
	uint64_t off = 0, written = 0;
	size_t n, left;
	ssize_t r;
	int rc;

	if (ls->cctx == NULL) {
		if ((ls->cctx = ZSTD_createCCtx()) == NULL)
			return MAMORI_ENOMEM;
		ls->zout_cap = ZSTD_CStreamOutSize();
		if ((ls->zout = malloc(ls->zout_cap)) == NULL)
			return MAMORI_ENOMEM;
	}
	ZSTD_CCtx_reset(ls->cctx, ZSTD_reset_session_and_parameters);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(ls->cctx,
	    ZSTD_c_compressionLevel, ls->o.zstd_level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(ls->cctx,
	    ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(ls->cctx, size)))
		return MAMORI_EINVAL;
	/* The write buffer is empty after the sync: it is the input. */
	while (off < size) {
		n = ls->buf_cap;
		if (n > size - off)
			n = (size_t)(size - off);
		r = pread(ls->fd, ls->buf, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return MAMORI_EIO;
		}
		off += (uint64_t)r;
		mode = off == size ? ZSTD_e_end : ZSTD_e_continue;
		in.src = ls->buf;
		in.size = (size_t)r;
		in.pos = 0;
		do {
			out.dst = ls->zout;
			out.size = ls->zout_cap;
			out.pos = 0;
			left = ZSTD_compressStream2(ls->cctx, &out, &in, mode);
			if (ZSTD_isError(left)) {
				errno = EINVAL;
				return MAMORI_EIO;
			}
			if ((rc = ls_pwrite_all(dst, ls->zout, out.pos,
			    written)) != 0)
				return rc;
			written += out.pos;
		} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	}
	if (fsync(dst) != 0)
		return MAMORI_EIO;
	*out_bytes = written;
	return 0;
}

int
logstore_seal(struct logstore *ls)
{
	char seg[LS_NAME_MAX], zst[LS_NAME_MAX], tmp[LS_NAME_MAX + 8];
	struct ls_ckpt c;
	uint64_t size, zbytes = 0;
	int dst, rc, e;

	if (ls->fd < 0 || ls->seg_records == 0)
		return 0;
	if ((rc = logstore_sync(ls)) != 0)
		return rc;
	size = ls->file_off;
	ls_name(seg, sizeof(seg), ls->segno, LS_SUFFIX_SEG);
	ls_name(zst, sizeof(zst), ls->segno, LS_SUFFIX_ZST);
	snprintf(tmp, sizeof(tmp), "%s.tmp", zst);
	if ((dst = openat(ls->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0640)) < 0)
		return MAMORI_EIO;
	rc = compress_segment(ls, size, dst, &zbytes);
	e = errno;
	if (close(dst) != 0 && rc == 0) {
		rc = MAMORI_EIO;
		e = errno;
	}
	if (rc != 0)
		goto fail_tmp;

	memset(&c, 0, sizeof(c));
	c.segno = ls->segno;
	c.first_seq = ls->hdr.first_seq;
	c.last_seq = ls->next_seq - 1;
	c.raw_bytes = size;
	c.zst_bytes = zbytes;
	if (ls->seg_events > 0) {
		c.min_recv_ns = ls->seg_min_recv;
		c.max_recv_ns = ls->seg_max_recv;
		c.min_time_ns = ls->seg_min_time;
		c.max_time_ns = ls->seg_max_time;
	} else {
		/* No event: an empty range that every search skips. */
		c.min_recv_ns = c.min_time_ns = INT64_MAX;
		c.max_recv_ns = c.max_time_ns = INT64_MIN;
	}
	c.created_ns = ls->hdr.created_ns;
	c.sealed_ns = time_now_ns();
	memcpy(c.prev_hash, ls->hdr.prev_hash, LS_HASH_LEN);
	memcpy(c.last_hash, ls->last_hash, LS_HASH_LEN);
	if ((rc = ls_ckpt_write(ls->dirfd, &c, &ls->key)) != 0) {
		e = errno;
		goto fail_tmp;
	}
	if (renameat(ls->dirfd, tmp, ls->dirfd, zst) != 0 ||
	    fsync(ls->dirfd) != 0) {
		char ck[LS_NAME_MAX];

		/* Not sealed after all: neither file may stay, or a reader
		 * would take the segment for finished. */
		e = errno;
		ls_name(ck, sizeof(ck), ls->segno, LS_SUFFIX_CKPT);
		unlinkat(ls->dirfd, zst, 0);
		unlinkat(ls->dirfd, ck, 0);
		rc = MAMORI_EIO;
		goto fail_tmp;
	}
	/* Sealed.  What follows only tidies up, and logstore_open() would
	 * finish it after a crash. */
	close(ls->fd);
	ls->fd = -1;
	if (unlinkat(ls->dirfd, seg, 0) != 0)
		ls_notice(ls, "log/%s: cannot remove after sealing: %s", seg,
		    strerror(errno));
	ls->dir_dirty = 1;
	if ((rc = ls_sealed_add(ls, &c, 1, 1)) != 0)
		return rc;
	ls->st.sealed++;
	ls->st.disk_bytes = ls->st.disk_bytes - size + zbytes;
	ls->segno++;
	ls->seg_records = 0;
	ls->seg_events = 0;
	ls_notice(ls, "log/%s: sealed: seq %llu..%llu, %llu bytes "
	    "compressed to %llu", seg, (unsigned long long)c.first_seq,
	    (unsigned long long)c.last_seq, (unsigned long long)size,
	    (unsigned long long)zbytes);
	if ((rc = logstore_sync(ls)) != 0)
		return rc;
	return ls_head_update(ls);

fail_tmp:
	unlinkat(ls->dirfd, tmp, 0);
	errno = e;
	return rc;
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
	char zst[LS_NAME_MAX];
	uint8_t *rec;
	int rc;

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
	if ((rc = ls_rec_end(ls, rec, LS_EXPIRY_REC_LEN)) != 0)
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
	ls_name(zst, sizeof(zst), s->c.segno, LS_SUFFIX_ZST);
	if (unlinkat(ls->dirfd, zst, 0) != 0 && errno != ENOENT)
		return MAMORI_EIO;
	s->present = 0;
	ls->dir_dirty = 1;
	ls->st.expired++;
	if (ls->st.segments > 0)
		ls->st.segments--;
	if (ls->st.disk_bytes >= s->c.zst_bytes)
		ls->st.disk_bytes -= s->c.zst_bytes;
	ls_notice(ls, "log/%s: expired by retention (%s): seq %llu..%llu",
	    zst, reason_name(reason), (unsigned long long)s->c.first_seq,
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
	    ls->st.disk_bytes > ls->o.retention_bytes &&
	    (s = oldest_expirable(ls)) != NULL)
		if ((rc = expire(ls, s, LS_EXPIRE_SIZE, now)) != 0)
			return rc;
	return 0;
}

int
logstore_maintain(struct logstore *ls, int64_t now_ns)
{
	int64_t born;
	int rc;

	if (ls->fd >= 0 && ls->seg_records > 0) {
		born = ls->seg_events > 0 ? ls->seg_first_recv :
		    ls->hdr.created_ns;
		if ((ls->file_off + ls->buf_len >= ls->o.segment_bytes ||
		    (ls->o.segment_age_ns > 0 &&
		    now_ns - born >= ls->o.segment_age_ns)) &&
		    (rc = logstore_seal(ls)) != 0)
			return rc;
	}
	if ((rc = retention(ls, now_ns)) != 0)
		return rc;
	if ((rc = logstore_sync(ls)) != 0)
		return rc;
	return ls_head_update(ls);
}
