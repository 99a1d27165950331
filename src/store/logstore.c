/*
 * logstore.c - the raw log store's writer: open (with crash repair),
 * append, sync, close.
 *
 * Design.  The store keeps every event exactly as received, for years, in
 * a form that shows afterwards whether anything was changed, removed,
 * inserted or reordered.  Workload: one writer thread appending hundreds
 * of thousands of small records a second in batches (group commit: one
 * fdatasync per batch), and now and then a person searching or verifying.
 *
 * Format (docs/storage.md has the byte layout).  <data>/log/ holds
 * numbered segments.  The active one, NNNNNN.seg, is a plain file: an
 * 80-byte header (magic, format version, segment number, first seq, the
 * chain hash before it) and then records.  A record is length-prefixed and
 * ends with its chain hash, SHA-256(previous chain hash || record), and a
 * CRC-32C of itself.  The CRC names corruption at once, even where the
 * chain cannot be followed (a torn tail, a reader that skipped
 * segments); the chain makes every record depend on all before it, across
 * segments, so a changed record is found even when its CRC was redone.
 *
 * Sealing (at segment_bytes, at segment_age_ns after the first record, or
 * on demand) writes NNNNNN.ckpt: seq range, time ranges, first and last
 * chain hash, authenticated with HMAC-SHA256 under a key kept outside the
 * data directory.  An unkeyed hash chain alone can be recomputed by
 * whoever rewrites it; the checkpoints cannot.  A background thread then
 * compresses the sealed NNNNNN.seg into NNNNNN.seg.zst
 * (logstore-compress.c): the checkpoint does not depend on the form.
 * The keyed "head" file names the newest durable record and protects the
 * active segment the same way up to that record; it is rewritten by
 * logstore_maintain() and at seal and close, so at most about a second
 * of records is covered by the chain alone.  Truncating that newest
 * part, or rolling the head back to an older copy, is what an attacker
 * with write access to the data directory can still do unseen: something
 * outside must keep the head for that (docs/storage.md).
 *
 * Retention removes whole sealed segments, oldest first, never the active
 * one.  It first appends an expiry record (segment, seq range, last hash)
 * to the chain, then marks the checkpoint expired (re-authenticated), then
 * deletes the segment's file; the small checkpoint stays.  Verification
 * thus tells a segment removed by retention from one deleted by hand.
 *
 * Durability.  Appends go into a 1 MiB userspace buffer written with one
 * pwrite() when full or at logstore_sync(), which then fdatasync()s (and
 * fsyncs the directory after a file was created or removed): one
 * syscall per ~3000 records and no allocation per record.  Buffers hold
 * whole records, so after kill -9 only a write cut by the kernel or a
 * power loss can leave a partial last record.  logstore_open() finds it,
 * cuts it off and says so.  Corrupt bytes followed by good records are a
 * different thing (not a torn tail) and are kept for verification; the
 * repair only ever removes bytes after the last good record, which were
 * never reported durable.  Nothing found at open stops the writer (an
 * attacker who can change a byte must not be able to stop the logging):
 * a segment whose header is damaged is left as it is and records go on
 * in a new one, and every such finding is reported through o.notice.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

#define DEFAULT_SEGMENT_BYTES	(64ull << 20)
#define DEFAULT_ZSTD_LEVEL	3

void
ls_notice(struct logstore *ls, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ls->o.notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ls->o.notice(ls->o.notice_arg, msg);
}

int
ls_flush_start(struct logstore *ls)
{
	int e, rc;

	if (ls->buf_len == 0)
		return 0;
	if (ls->wb != NULL) {
		if ((rc = ls_wb_submit(ls->wb, ls->fd, ls->file_off, &ls->buf,
		    ls->buf_len)) != 0)
			return rc;
	} else if (ls_pwrite_all(ls->fd, ls->buf, ls->buf_len,
	    ls->file_off) != 0) {
		e = errno;
		/* Cut off whatever part got written: the records stay in the
		 * buffer and are written again by the next flush. */
		if (ftruncate(ls->fd, (off_t)ls->file_off) != 0)
			(void)0;
		errno = e;
		return MAMORI_EIO;
	}
	ls_zq_appended(ls->zq, ls->buf_len);
	ls->file_off += ls->buf_len;
	ls->buf_len = 0;
	return 0;
}

int
ls_flush(struct logstore *ls)
{
	int rc;

	if ((rc = ls_flush_start(ls)) != 0)
		return rc;
	return ls_wb_drain(ls->wb);
}

int
ls_seg_create(struct logstore *ls, int tmp)
{
	char name[LS_NAME_MAX];
	int fd;

	ls_name(name, sizeof(name), ls->segno, tmp ? LS_SUFFIX_SEG ".tmp" :
	    LS_SUFFIX_SEG);
	if ((fd = openat(ls->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC |
	    (tmp ? O_TRUNC : O_EXCL), 0640)) < 0)
		return MAMORI_EIO;
	memset(&ls->hdr, 0, sizeof(ls->hdr));
	ls->hdr.segno = ls->segno;
	ls->hdr.first_seq = ls->next_seq;
	memcpy(ls->hdr.prev_hash, ls->last_hash, LS_HASH_LEN);
	ls->hdr.created_ns = time_now_ns();
	ls_seghdr_encode(&ls->hdr, ls->buf);
	ls->buf_len = LS_SEG_HDR_LEN;
	ls->fd = fd;
	ls->file_off = 0;
	ls->synced_off = 0;
	ls->seg_records = 0;
	ls->seg_events = 0;
	ls->seg_tmp = tmp;
	if (!tmp)
		ls->dir_dirty = 1;
	ls->st.segments++;
	ls->st.disk_bytes += LS_SEG_HDR_LEN;
	return 0;
}

int
ls_seg_publish(struct logstore *ls)
{
	char tmp[LS_NAME_MAX], name[LS_NAME_MAX];

	if (!ls->seg_tmp || ls->sealing)
		return 0;
	ls_name(tmp, sizeof(tmp), ls->segno, LS_SUFFIX_SEG ".tmp");
	ls_name(name, sizeof(name), ls->segno, LS_SUFFIX_SEG);
	if (renameat(ls->dirfd, tmp, ls->dirfd, name) != 0)
		return MAMORI_EIO;
	ls->seg_tmp = 0;
	ls->dir_dirty = 1;
	return 0;
}

int
ls_rec_begin(struct logstore *ls, size_t len, uint8_t **out)
{
	uint8_t *nb;
	int rc;

	/* While a seal runs, the next segment is written as NNNNNN.seg.tmp
	 * (ls_seg_publish() names it when the seal is done). */
	if (ls->fd < 0 && (rc = ls_seg_create(ls, ls->sealing)) != 0)
		return rc;
	if (len <= ls->buf_cap) {
		if (len > ls->buf_cap - ls->buf_len &&
		    (rc = ls_flush_start(ls)) != 0)
			return rc;
		*out = ls->buf + ls->buf_len;
		return 0;
	}
	/* Longer than the buffer: written on its own after what is
	 * buffered.  Rare (LS_WBUF_SIZE is far above the message limit). */
	if ((rc = ls_flush(ls)) != 0)
		return rc;
	if (ls->big_cap < len) {
		if ((nb = realloc(ls->big, len)) == NULL)
			return MAMORI_ENOMEM;
		ls->big = nb;
		ls->big_cap = len;
	}
	*out = ls->big;
	return 0;
}

int
ls_rec_end(struct logstore *ls, uint8_t *rec, size_t len,
    const uint8_t *digest)
{
	uint8_t hash[LS_HASH_LEN];
	int e;

	ls_rec_finish(&ls->h, ls->last_hash, rec, len, digest, hash);
	if (rec == ls->big) {
		if (ls_pwrite_all(ls->fd, rec, len, ls->file_off) != 0) {
			e = errno;
			if (ftruncate(ls->fd, (off_t)ls->file_off) != 0)
				(void)0;
			errno = e;
			return MAMORI_EIO;
		}
		ls->file_off += len;
	} else
		ls->buf_len += len;
	memcpy(ls->last_hash, hash, LS_HASH_LEN);
	ls->next_seq++;
	ls->seg_records++;
	ls->st.bytes += len;
	ls->st.disk_bytes += len;
	return 0;
}

static void
seg_note_times(struct logstore *ls, int64_t recv_ns, int64_t time_ns)
{
	if (ls->seg_events++ == 0) {
		ls->seg_first_recv = recv_ns;
		ls->seg_min_recv = ls->seg_max_recv = recv_ns;
		ls->seg_min_time = ls->seg_max_time = time_ns;
		return;
	}
	if (recv_ns < ls->seg_min_recv)
		ls->seg_min_recv = recv_ns;
	if (recv_ns > ls->seg_max_recv)
		ls->seg_max_recv = recv_ns;
	if (time_ns < ls->seg_min_time)
		ls->seg_min_time = time_ns;
	if (time_ns > ls->seg_max_time)
		ls->seg_max_time = time_ns;
}

int
logstore_append(struct logstore *ls, struct event *ev)
{
	uint8_t *rec;
	size_t len;
	int rc, toobig;

	if (ls->abandoned) {
		errno = EIO;
		return MAMORI_EIO;
	}
	ls_arm(ls);
	if ((len = ls_event_rec_len(ev, &toobig)) == 0)
		return toobig ? MAMORI_ETOOBIG : MAMORI_EINVAL;
	if (ls->fd >= 0 && ls->seg_records > 0 &&
	    ls->file_off + ls->buf_len >= ls->o.segment_bytes) {
		/* With group commit on the sync thread, the next
		 * logstore_sync_start() seals it there; the segment may grow
		 * by half its size meanwhile, then it is sealed here. */
		if (ls->async && ls->sy != NULL && ls->file_off + ls->buf_len <
		    ls->o.segment_bytes + ls->o.segment_bytes / 2)
			ls->seal_want = 1;
		else if ((rc = logstore_seal(ls)) != 0)
			return rc;
	}
	if ((rc = ls_rec_begin(ls, len, &rec)) != 0)
		return rc;
	ls_event_encode(ev, ls->next_seq, rec, len);
	if ((rc = ls_rec_end(ls, rec, len,
	    ev->body_hashed ? ev->body_hash : NULL)) != 0)
		return rc;
	seg_note_times(ls, ev->recv_ns,
	    ev->flags & EVENT_F_HAS_TS ? ev->ts_ns : ev->recv_ns);
	ev->seq = ls->next_seq - 1;
	ls->st.records++;
	return 0;
}

struct logstore_hasher {
	struct ls_hasher h;
};

struct logstore_hasher *
logstore_hasher_new(void)
{
	struct logstore_hasher *h;

	if ((h = malloc(sizeof(*h))) == NULL)
		return NULL;
	if (ls_hasher_init(&h->h) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void
logstore_hasher_free(struct logstore_hasher *h)
{
	if (h == NULL)
		return;
	ls_hasher_release(&h->h);
	free(h);
}

void
logstore_event_prehash(struct logstore_hasher *h, struct event **evs,
    size_t n)
{
	struct event *pend = NULL;	/* one waiting for a partner */
	size_t i;
	int toobig;

	for (i = 0; i < n; i++) {
		struct event *ev = evs[i];

		/* One the store will refuse is left for the writer to
		 * refuse. */
		ev->body_hashed = 0;
		if (ls_event_rec_len(ev, &toobig) == 0)
			continue;
		ev->body_hashed = 1;
		if (pend == NULL)
			pend = ev;
		else {
			ls_event_digest2(&h->h, pend, pend->body_hash, ev,
			    ev->body_hash);
			pend = NULL;
		}
	}
	if (pend != NULL)
		ls_event_digest(&h->h, pend, pend->body_hash);
}

int
logstore_sync(struct logstore *ls)
{
	int rc;

	if (ls->abandoned) {
		errno = EIO;
		return MAMORI_EIO;
	}
	ls_sy_idle(ls->sy);
	/* A failed sync is simply done again here; a seal is finished. */
	(void)ls_sy_reap(ls);
	if (ls->sealing && (rc = ls_seal_finish(ls)) != 0)
		return rc;
	if ((rc = ls_seg_publish(ls)) != 0)
		return rc;
	if (ls->fd >= 0) {
		if ((rc = ls_flush(ls)) != 0)
			return rc;
		if (ls->synced_off != ls->file_off) {
			if (fdatasync(ls->fd) != 0)
				return MAMORI_EIO;
			ls->synced_off = ls->file_off;
			ls->st.syncs++;
		}
	}
	if (ls->dir_dirty) {
		if (fsync(ls->dirfd) != 0)
			return MAMORI_EIO;
		ls->dir_dirty = 0;
	}
	return 0;
}

int
logstore_abandon(struct logstore *ls)
{
	char name[LS_NAME_MAX];
	int rc = 0;

	if (ls->abandoned)
		return 0;
	ls->abandoned = 1;
	/* No sync job may run on, nor a queued write: both use the file. */
	ls_sy_idle(ls->sy);
	(void)ls_sy_reap(ls);
	ls_wb_discard(ls->wb);
	ls->buf_len = 0;
	if (ls->fd < 0)
		return 0;
	if (ls->synced_off < LS_SEG_HDR_LEN) {
		/* Not even its header is durable: it holds nothing to keep
		 * (and removing a file needs no space). */
		ls_name(name, sizeof(name), ls->segno, ls->seg_tmp ?
		    LS_SUFFIX_SEG ".tmp" : LS_SUFFIX_SEG);
		if (unlinkat(ls->dirfd, name, 0) != 0)
			rc = MAMORI_EIO;
	} else if (ftruncate(ls->fd, (off_t)ls->synced_off) != 0)
		rc = MAMORI_EIO;
	close(ls->fd);
	ls->fd = -1;
	ls->file_off = ls->synced_off;
	return rc;
}

void
ls_head_fill(struct logstore *ls, struct ls_head *h)
{
	memset(h, 0, sizeof(*h));
	h->seq = ls->next_seq - 1;
	h->segno = ls->fd >= 0 ? ls->segno : ls->segno - 1;
	h->written_ns = time_now_ns();
	memcpy(h->hash, ls->last_hash, LS_HASH_LEN);
}

int
ls_head_update(struct logstore *ls)
{
	struct ls_head h;
	int rc;

	if (ls->head_bad || ls->head_seq == ls->next_seq - 1)
		return 0;
	ls_head_fill(ls, &h);
	if ((rc = ls_head_write(ls->dirfd, &h, &ls->key)) != 0)
		return rc;
	ls->head_seq = h.seq;
	return 0;
}

struct ls_sealed *
ls_sealed_add(struct logstore *ls, const struct ls_ckpt *c)
{
	struct ls_sealed *v, *s;
	size_t cap;

	if (ls->nsealed == ls->sealed_cap) {
		cap = ls->sealed_cap ? ls->sealed_cap * 2 : 64;
		if ((v = realloc(ls->sealed, cap * sizeof(*v))) == NULL)
			return NULL;
		ls->sealed = v;
		ls->sealed_cap = cap;
	}
	s = &ls->sealed[ls->nsealed++];
	memset(s, 0, sizeof(*s));
	s->c = *c;
	return s;
}

struct ls_sealed *
ls_sealed_find(struct logstore *ls, uint64_t segno)
{
	size_t lo = 0, hi = ls->nsealed, mid;

	/* Added in segment order. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ls->sealed[mid].c.segno < segno)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ls->nsealed && ls->sealed[lo].c.segno == segno)
		return &ls->sealed[lo];
	return NULL;
}

void
logstore_get_stats(const struct logstore *ls, struct logstore_stats *st)
{
	*st = ls->st;
	st->next_seq = ls->next_seq;
	st->compressed = atomic_load(&ls->zq->compressed);
	st->compress_pending = atomic_load(&ls->zq->pending);
}

void
logstore_close(struct logstore *ls)
{
	if (ls == NULL)
		return;
	/* A compression under way is given up (the next open queues the
	 * segment again): closing must not wait for it. */
	if (ls->zq != NULL) {
		ls_zq_stop(ls->zq);
		ls_compress_collect(ls, 0);	/* its notices */
		ls_zq_free(ls->zq);
		ls->zq = NULL;
	}
	if (logstore_sync(ls) == 0)
		(void)ls_head_update(ls);
	ls_sy_free(ls->sy);
	ls->sy = NULL;
	ls_wb_free(ls->wb);
	ls->wb = NULL;
	if (ls->fd >= 0)
		close(ls->fd);
	if (ls->sealing)
		close(ls->seal_job.fd);	/* a seal that kept failing */
	if (ls->lockfd >= 0)
		close(ls->lockfd);
	if (ls->dirfd >= 0)
		close(ls->dirfd);
	ls_hasher_release(&ls->h);
	OPENSSL_cleanse(&ls->key, sizeof(ls->key));
	free(ls->buf);
	free(ls->big);
	free(ls->sealed);
	free(ls->dir);
	free(ls->key_path);
	free(ls);
}

/*
 * Opening: finding the active segment again and repairing its tail.
 */

/* A read window over a plain file, for the scan at open. */
struct win {
	int		 fd;
	uint64_t	 size;
	uint8_t		*buf;
	size_t		 cap;
	uint64_t	 base;		/* file offset of buf[0] */
	size_t		 len;
};

/* Returns bytes at off, with *avail of them in the window (at least
 * min(want, size - off) unless the read fails: NULL). */
static const uint8_t *
win_get(struct win *w, uint64_t off, size_t want, size_t *avail)
{
	uint8_t *nb;
	size_t n, ncap;
	ssize_t r;

	*avail = 0;
	if (off >= w->size)
		return w->buf;
	if (want > w->size - off)
		want = (size_t)(w->size - off);
	if (off >= w->base && off - w->base + want <= w->len) {
		*avail = w->len - (size_t)(off - w->base);
		return w->buf + (off - w->base);
	}
	if (want > w->cap) {
		ncap = want;
		if ((nb = realloc(w->buf, ncap)) == NULL)
			return NULL;
		w->buf = nb;
		w->cap = ncap;
	}
	n = w->cap;
	if (n > w->size - off)
		n = (size_t)(w->size - off);
	w->base = off;
	w->len = 0;
	while (w->len < n) {
		r = pread(w->fd, w->buf + w->len, n - w->len,
		    (off_t)(off + w->len));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		w->len += (size_t)r;
	}
	if (w->len < want)
		return NULL;
	*avail = w->len;
	return w->buf;
}

/* Frames the record at off.  Returns as ls_rec_frame(); MAMORI_EIO when
 * the file cannot be read. */
static int
win_frame(struct win *w, uint64_t off, struct ls_rec *r, const char **why)
{
	const uint8_t *p;
	size_t avail;
	int rc;

	if ((p = win_get(w, off, 8, &avail)) == NULL)
		return MAMORI_EIO;
	rc = ls_rec_frame(p, avail, r, why);
	if (rc == MAMORI_ETRUNC && avail >= 8) {
		if ((p = win_get(w, off, ls_get32(p + 4), &avail)) == NULL)
			return MAMORI_EIO;
		rc = ls_rec_frame(p, avail, r, why);
	}
	return rc;
}

/* Finds the first good record after a bad one at off whose seq follows
 * last_seq; returns its offset, or 0 when there is none (a torn tail). */
static uint64_t
resync(struct win *w, uint64_t off, uint64_t last_seq)
{
	const uint8_t *p;
	struct ls_rec r;
	const char *why;
	uint64_t q;
	size_t avail;

	for (q = off + 1; q + LS_REC_MIN <= w->size; q++) {
		if ((p = win_get(w, q, 2, &avail)) == NULL)
			return 0;
		if (p[0] != LS_REC_MAGIC0 || p[1] != LS_REC_MAGIC1)
			continue;
		if (win_frame(w, q, &r, &why) == 0 && r.seq > last_seq)
			return q;
	}
	return 0;
}

struct scan_result {
	uint64_t	head_seq;	/* in: the head's seq to look for */
	int		head_seen;
	uint8_t		head_hash[LS_HASH_LEN];
};

/*
 * Opens the active segment segno, checks its records, cuts off a torn
 * tail, and takes the chain state from its last good record.
 */
static int
scan_active(struct logstore *ls, uint64_t segno, struct scan_result *sr,
    char *err, size_t errlen)
{
	char name[LS_NAME_MAX];
	struct win w;
	struct stat sb;
	struct ls_rec r;
	struct ls_seghdr h;
	const uint8_t *p;
	const char *why = "";
	uint64_t off, good_end, last_seq, bad, q;
	int64_t recv, t;
	size_t avail;
	int fd, rc, damaged = 0;

	ls_name(name, sizeof(name), segno, LS_SUFFIX_SEG);
	if ((fd = openat(ls->dirfd, name, O_RDWR | O_CLOEXEC)) < 0 ||
	    fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "%s/log/%s: cannot open: %s", ls->dir,
		    name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return MAMORI_EIO;
	}
	ls->fd = fd;
	ls->segno = segno;
	ls->seg_records = 0;
	ls->seg_events = 0;
	if ((uint64_t)sb.st_size < LS_SEG_HDR_LEN) {
		/* Created, and the crash came before its header was
		 * written: it holds no record.  Start it again. */
		memset(&ls->hdr, 0, sizeof(ls->hdr));
		ls->hdr.segno = segno;
		ls->hdr.first_seq = ls->next_seq;
		memcpy(ls->hdr.prev_hash, ls->last_hash, LS_HASH_LEN);
		ls->hdr.created_ns = time_now_ns();
		ls_seghdr_encode(&ls->hdr, ls->buf);
		if (ftruncate(fd, 0) != 0 ||
		    ls_pwrite_all(fd, ls->buf, LS_SEG_HDR_LEN, 0) != 0 ||
		    fdatasync(fd) != 0) {
			snprintf(err, errlen, "%s/log/%s: cannot write: %s",
			    ls->dir, name, strerror(errno));
			return MAMORI_EIO;
		}
		if (sb.st_size > 0)
			ls_notice(ls, "log/%s: repaired torn tail: %lld bytes "
			    "of an unfinished header removed", name,
			    (long long)sb.st_size);
		ls->file_off = ls->synced_off = LS_SEG_HDR_LEN;
		ls->st.disk_bytes += LS_SEG_HDR_LEN;
		return 0;
	}
	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.size = (uint64_t)sb.st_size;
	w.cap = LS_WBUF_SIZE;
	if ((w.buf = malloc(w.cap)) == NULL)
		return MAMORI_ENOMEM;
	if ((p = win_get(&w, 0, LS_SEG_HDR_LEN, &avail)) == NULL) {
		snprintf(err, errlen, "%s/log/%s: cannot read: %s", ls->dir,
		    name, strerror(errno));
		free(w.buf);
		return MAMORI_EIO;
	}
	if (ls_seghdr_decode(p, &h, &why) != 0 || h.segno != segno) {
		/*
		 * Not refusing to start (one byte changed must not stop the
		 * logging), nor repairing (the file is evidence): its
		 * records are read to find where the chain goes on, and
		 * the file is left as it is for verification.
		 */
		ls_notice(ls, "log/%s: %s; left as it is for verification, "
		    "records go on in a new segment", name,
		    h.segno != segno && *why == '\0' ?
		    "header names another segment" : why);
		damaged = 1;
		h.first_seq = ls->next_seq;
		memcpy(h.prev_hash, ls->last_hash, LS_HASH_LEN);
	} else if (h.first_seq != ls->next_seq ||
	    memcmp(h.prev_hash, ls->last_hash, LS_HASH_LEN) != 0)
		ls_notice(ls, "log/%s: does not continue the chain (starts at "
		    "seq %llu, expected %llu); left for verification", name,
		    (unsigned long long)h.first_seq,
		    (unsigned long long)ls->next_seq);
	ls->hdr = h;
	ls->next_seq = h.first_seq;
	memcpy(ls->last_hash, h.prev_hash, LS_HASH_LEN);
	last_seq = h.first_seq - 1;
	off = good_end = LS_SEG_HDR_LEN;
	while (off < w.size) {
		rc = win_frame(&w, off, &r, &why);
		if (rc == MAMORI_EIO) {
			snprintf(err, errlen, "%s/log/%s: cannot read: %s",
			    ls->dir, name, strerror(errno));
			free(w.buf);
			return rc;
		}
		if (rc != 0) {
			bad = off;
			if ((q = resync(&w, off, last_seq)) == 0)
				break;
			ls_notice(ls, "log/%s: %llu bytes of corrupt data at "
			    "offset %llu (%s), after seq %llu; kept for "
			    "verification", name,
			    (unsigned long long)(q - bad),
			    (unsigned long long)bad, why,
			    (unsigned long long)last_seq);
			off = q;
			continue;
		}
		if (r.type == LS_REC_EVENT && ls_event_times(&r, &recv,
		    &t) == 0)
			seg_note_times(ls, recv, t);
		if (r.seq == sr->head_seq) {
			sr->head_seen = 1;
			memcpy(sr->head_hash, r.hash, LS_HASH_LEN);
		}
		memcpy(ls->last_hash, r.hash, LS_HASH_LEN);
		last_seq = r.seq;
		ls->next_seq = r.seq + 1;
		ls->seg_records++;
		off += r.len;
		good_end = off;
	}
	free(w.buf);
	if (damaged) {
		close(fd);
		ls->fd = -1;
		ls->segno = segno + 1;
		ls->seg_records = ls->seg_events = 0;
		ls->st.disk_bytes += w.size;
		return 0;
	}
	if (good_end < w.size) {
		if (ftruncate(fd, (off_t)good_end) != 0 || fdatasync(fd) != 0) {
			snprintf(err, errlen, "%s/log/%s: cannot cut off its "
			    "torn tail: %s", ls->dir, name, strerror(errno));
			return MAMORI_EIO;
		}
		if (ls->seg_records > 0)
			ls_notice(ls, "log/%s: repaired torn tail: %llu bytes "
			    "after record %llu removed", name,
			    (unsigned long long)(w.size - good_end),
			    (unsigned long long)last_seq);
		else
			ls_notice(ls, "log/%s: repaired torn tail: %llu bytes "
			    "after the segment header removed", name,
			    (unsigned long long)(w.size - good_end));
	} else if (fdatasync(fd) != 0) {
		snprintf(err, errlen, "%s/log/%s: cannot sync: %s", ls->dir,
		    name, strerror(errno));
		return MAMORI_EIO;
	}
	ls->file_off = ls->synced_off = good_end;
	ls->st.disk_bytes += good_end;
	return 0;
}

/*
 * Takes sealed segment e (checkpoint c) back after a restart: finishes an
 * expiry or a compression that a crash interrupted, and queues a segment
 * still uncompressed for the compressor.
 */
static int
recover_sealed(struct logstore *ls, struct ls_segent *e,
    const struct ls_ckpt *c, int trusted)
{
	char seg[LS_NAME_MAX], zst[LS_NAME_MAX];
	struct ls_sealed *s;
	struct stat sb;

	ls_name(seg, sizeof(seg), e->segno, LS_SUFFIX_SEG);
	ls_name(zst, sizeof(zst), e->segno, LS_SUFFIX_ZST);
	if (c->expired_ns != 0 && trusted) {
		/* Expired; the crash came before the file was removed. */
		if (e->has_zst && unlinkat(ls->dirfd, zst, 0) == 0)
			ls->dir_dirty = 1;
		if (e->has_seg && unlinkat(ls->dirfd, seg, 0) == 0)
			ls->dir_dirty = 1;
		e->has_zst = e->has_seg = 0;
	}
	if (e->has_seg && e->has_zst && trusted) {
		/*
		 * The crash came between the rename of the compressed file
		 * and the removal of the plain one.  The .seg.zst was synced
		 * before it got its name, but only decompressing it would
		 * tell it from a damaged one, while the .seg is the original
		 * under the checkpoint: keep that, compress again.
		 */
		if (unlinkat(ls->dirfd, zst, 0) == 0) {
			ls->dir_dirty = 1;
			e->has_zst = 0;
			ls_notice(ls, "log/%s: compression was interrupted; "
			    "compressing again", seg);
		}
	}
	if ((s = ls_sealed_add(ls, c)) == NULL)
		return MAMORI_ENOMEM;
	s->trusted = trusted;
	s->present = e->has_zst || e->has_seg;
	if (!s->present)
		return 0;
	ls->st.segments++;
	if (fstatat(ls->dirfd, e->has_zst ? zst : seg, &sb, 0) == 0)
		s->disk = (uint64_t)sb.st_size;
	ls->st.disk_bytes += s->disk;
	if (e->has_zst) {
		ls->ratio_raw += c->raw_bytes;
		ls->ratio_zst += s->disk;
		return 0;
	}
	/* Sealed and not compressed yet. */
	if (!trusted)
		return 0;	/* evidence: left as it is */
	if (s->disk != c->raw_bytes) {
		ls_notice(ls, "log/%s: %llu bytes, its checkpoint says %llu; "
		    "not compressed, left for verification", seg,
		    (unsigned long long)s->disk,
		    (unsigned long long)c->raw_bytes);
		return 0;
	}
	ls_compress_queue(ls, s);
	return 0;
}

/*
 * Finds the segments again after a restart: finishes an expiry or a
 * compression that a crash interrupted, loads the checkpoints, and scans
 * the active segment.
 */
static int
recover(struct logstore *ls, struct scan_result *sr, char *err,
    size_t errlen)
{
	struct ls_segent *v = NULL;
	struct ls_ckpt c;
	uint8_t raw[LS_CKPT_LEN];
	char zst[LS_NAME_MAX], ck[LS_NAME_MAX];
	size_t n = 0, i;
	uint64_t maxno = 0, active = 0, last_sealed = 0;
	int rc, trusted;

	if ((rc = ls_dir_scan(ls->dirfd, &v, &n, 1)) != 0) {
		snprintf(err, errlen, "%s/log: cannot list: %s", ls->dir,
		    strerror(errno));
		return rc;
	}
	for (i = 0; i < n; i++) {
		struct ls_segent *e = &v[i];

		ls_name(zst, sizeof(zst), e->segno, LS_SUFFIX_ZST);
		ls_name(ck, sizeof(ck), e->segno, LS_SUFFIX_CKPT);
		if (e->segno > maxno)
			maxno = e->segno;
		/*
		 * A checkpoint is written only after its segment was synced
		 * whole, so a .seg beside one is a sealed segment, waiting
		 * for compression (or left by a seal that a crash cut short
		 * after the checkpoint: the same thing).
		 */
		if (e->has_ckpt) {
			if ((rc = ls_ckpt_read(ls->dirfd, e->segno, &c,
			    raw)) != 0 || c.segno != e->segno) {
				ls_notice(ls, "log/%s: unreadable checkpoint; "
				    "left for verification", ck);
				continue;
			}
			trusted = ls_mac_check(&ls->key, raw,
			    LS_CKPT_LEN - LS_MAC_LEN, c.key_id, c.mac) == 0;
			if (!trusted)
				ls_notice(ls, "log/%s: does not match the seal "
				    "key; its segment is kept and left for "
				    "verification", ck);
			if ((rc = recover_sealed(ls, e, &c, trusted)) != 0) {
				free(v);
				snprintf(err, errlen, "out of memory");
				return rc;
			}
			last_sealed = e->segno;
			ls->next_seq = c.last_seq + 1;
			memcpy(ls->last_hash, c.last_hash, LS_HASH_LEN);
			continue;
		}
		if (e->has_zst)
			ls_notice(ls, "log/%s: no checkpoint; left for "
			    "verification", zst);
		if (e->has_seg) {
			if (active != 0)
				ls_notice(ls, "log/%06llu.seg: unsealed "
				    "segment before the last one; left for "
				    "verification", (unsigned long long)active);
			active = e->segno;
		}
	}
	free(v);
	if (active != 0 && active < last_sealed) {
		ls_notice(ls, "log/%06llu.seg: unsealed segment before a "
		    "sealed one; left for verification",
		    (unsigned long long)active);
		active = 0;
	}
	if (active != 0) {
		ls->st.segments++;
		if ((rc = scan_active(ls, active, sr, err, errlen)) != 0)
			return rc;
	} else
		ls->segno = maxno + 1;
	return 0;
}

/*
 * Returns the absolute, symlink-free form of path, whose last components
 * may not exist yet; NULL when out of memory or unresolvable.
 */
static char *
resolve_path(const char *path)
{
	char *copy, *slash, *r, *res = NULL;
	const char *rest = "";

	if ((r = realpath(path, NULL)) != NULL)
		return r;
	if ((copy = strdup(path)) == NULL)
		return NULL;
	/* Walk up to the deepest existing ancestor. */
	while ((slash = strrchr(copy, '/')) != NULL) {
		*slash = '\0';
		rest = path + (slash - copy);
		if ((r = realpath(*copy ? copy : "/", NULL)) != NULL)
			break;
	}
	if (r == NULL) {
		rest = path;
		r = realpath(".", NULL);
		if (r != NULL && asprintf(&res, "%s/%s", r, rest) < 0)
			res = NULL;
	} else if (asprintf(&res, "%s%s", r, rest) < 0)
		res = NULL;
	free(r);
	free(copy);
	return res;
}

/* Returns 1 when the key lies inside the data directory. */
static int
key_inside(const char *dir, const char *key)
{
	char *d = resolve_path(dir), *k = resolve_path(key);
	size_t dl;
	int inside = 0;

	if (d != NULL && k != NULL) {
		dl = strlen(d);
		inside = strncmp(d, k, dl) == 0 &&
		    (k[dl] == '/' || (dl > 0 && d[dl - 1] == '/'));
	}
	free(d);
	free(k);
	return inside;
}

static int
check_head(struct logstore *ls, const struct ls_head *h,
    const uint8_t *raw, const struct scan_result *sr)
{
	size_t i;

	if (ls_mac_check(&ls->key, raw, LS_HEAD_LEN - LS_MAC_LEN, h->key_id,
	    h->mac) != 0) {
		ls_notice(ls, "log/head does not match the seal key; kept for "
		    "verification");
		return -1;
	}
	if (h->seq >= ls->next_seq) {
		ls_notice(ls, "log/head names seq %llu but the store ends at "
		    "seq %llu: records were removed while it was closed; "
		    "kept for verification", (unsigned long long)h->seq,
		    (unsigned long long)(ls->next_seq - 1));
		return -1;
	}
	if (sr->head_seen) {
		if (memcmp(sr->head_hash, h->hash, LS_HASH_LEN) != 0) {
			ls_notice(ls, "log/head: seq %llu differs from the "
			    "store: records were changed while it was "
			    "closed; kept for verification",
			    (unsigned long long)h->seq);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < ls->nsealed; i++)
		if (ls->sealed[i].c.last_seq == h->seq &&
		    memcmp(ls->sealed[i].c.last_hash, h->hash,
		    LS_HASH_LEN) != 0) {
			ls_notice(ls, "log/head: seq %llu differs from "
			    "log/%06llu.ckpt; kept for verification",
			    (unsigned long long)h->seq,
			    (unsigned long long)ls->sealed[i].c.segno);
			return -1;
		}
	/* Inside a sealed segment: its checkpoint protects it, and
	 * mamori logs verify compares the head too. */
	return 0;
}

struct logstore *
logstore_open(const struct logstore_opts *o, char *err, size_t errlen)
{
	struct logstore *ls;
	struct scan_result sr;
	struct ls_head h;
	uint8_t raw[LS_HEAD_LEN];
	struct stat sb;
	char *logdir = NULL;
	int rc, have_head;

	if (o->dir == NULL) {
		snprintf(err, errlen, "no data directory given");
		return NULL;
	}
	if ((ls = calloc(1, sizeof(*ls))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ls->fd = ls->dirfd = ls->lockfd = -1;
	ls->o = *o;
	if (ls->o.segment_bytes == 0)
		ls->o.segment_bytes = DEFAULT_SEGMENT_BYTES;
	if (ls->o.zstd_level <= 0)
		ls->o.zstd_level = DEFAULT_ZSTD_LEVEL;
	if (ls->o.zstd_level > 19)	/* keeps the window at 8 MiB */
		ls->o.zstd_level = 19;
	ls->next_seq = 1;
	ls->segno = 1;
	ls->head_seq = UINT64_MAX;
	if ((ls->dir = strdup(o->dir)) == NULL ||
	    (o->key_path != NULL &&
	    (ls->key_path = strdup(o->key_path)) == NULL) ||
	    asprintf(&logdir, "%s/log", o->dir) < 0 ||
	    (ls->buf = malloc(LS_WBUF_SIZE)) == NULL ||
	    ls_hasher_init(&ls->h) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ls->o.dir = ls->dir;
	ls->o.key_path = ls->key_path;
	ls->buf_cap = LS_WBUF_SIZE;
	if ((mkdir(o->dir, 0750) != 0 && errno != EEXIST) ||
	    (mkdir(logdir, 0750) != 0 && errno != EEXIST) ||
	    (ls->dirfd = open(logdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: cannot make or open: %s", logdir,
		    strerror(errno));
		goto fail;
	}
	if (ls->key_path == NULL) {
		snprintf(err, errlen, "no seal key path given");
		goto fail;
	}
	if (key_inside(o->dir, ls->key_path)) {
		snprintf(err, errlen, "seal key %s is inside the data "
		    "directory %s: keep it outside, so that whoever can "
		    "rewrite the data cannot also re-seal it", ls->key_path,
		    o->dir);
		goto fail;
	}
	if (ls_key_load(ls->key_path, 1, &ls->key, err, errlen) != 0)
		goto fail;
	if (stat(ls->key_path, &sb) == 0 && (sb.st_mode & 077) != 0)
		ls_notice(ls, "seal key %s can be read by others (mode %04o); "
		    "it should be 0600", ls->key_path,
		    (unsigned)(sb.st_mode & 07777));
	if ((ls->lockfd = openat(ls->dirfd, LS_LOCK_NAME, O_RDWR | O_CREAT |
	    O_CLOEXEC, 0640)) < 0 ||
	    flock(ls->lockfd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", logdir,
		    errno == EWOULDBLOCK ? "another process is writing to "
		    "this log store" : strerror(errno));
		goto fail;
	}

	if ((ls->zq = ls_zq_new(ls->dirfd, ls->o.zstd_level)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	memset(&sr, 0, sizeof(sr));
	sr.head_seq = UINT64_MAX;
	rc = ls_head_read(ls->dirfd, &h, raw);
	have_head = rc == 0;
	if (have_head)
		sr.head_seq = h.seq;
	if (recover(ls, &sr, err, errlen) != 0)
		goto fail;
	if (rc == MAMORI_ENOTFOUND) {
		if (ls->next_seq > 1)
			ls_notice(ls, "log/head is missing; writing a new one");
	} else if (rc != 0) {
		ls_notice(ls, "log/head is unreadable; kept for verification");
		ls->head_bad = 1;
	} else if (check_head(ls, &h, raw, &sr) != 0)
		ls->head_bad = 1;
	else
		ls->head_seq = h.seq;
	if (logstore_sync(ls) != 0 || ls_head_update(ls) != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", logdir,
		    strerror(errno));
		goto fail;
	}
	if ((ls->sy = ls_sy_new(ls->dirfd, &ls->key, ls->o.sync_done,
	    ls->o.sync_done_arg)) == NULL)
		ls_notice(ls, "cannot start the sync thread (%s); syncing "
		    "on the writer's thread", strerror(errno));
	else if ((ls->wb = ls_wb_new()) == NULL)
		ls_notice(ls, "cannot start the write-behind thread (%s); "
		    "writing on the writer's thread", strerror(errno));
	/* It takes its first job at the writer's first call (ls_arm()). */
	if (ls_zq_start(ls->zq) != 0)
		ls_notice(ls, "cannot start the compression thread (%s); "
		    "sealed segments stay uncompressed until the next start",
		    strerror(errno));
	free(logdir);
	return ls;
fail:
	free(logdir);
	ls->head_bad = 1;	/* close must not write a head */
	logstore_close(ls);
	return NULL;
}
