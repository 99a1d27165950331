/*
 * agent-queue.c - the agent's disk-backed queue: what the host produced
 * and the server has not acknowledged yet, kept on disk so that an outage
 * of the server (or a restart of the agent) loses nothing.
 *
 * Layout and record format: agent.h.  Workload: one appender at a time
 * (tailing, checks; a mutex orders them) writing small records at up to
 * some 10^5/s, one reader (the sender) reading them back in order, and a
 * cursor advanced as the server acknowledges.  Records are appended
 * through a 128 KiB buffer, written when full, when the reader wants
 * them, or at agent_queue_sync() (the main loop's fsync batch).  Segments
 * are 1/16 of the cap (64 KiB..16 MiB), so the cap is kept to within one
 * segment and dropping the oldest records is an unlink().  Opening scans
 * every segment (CRC of every record: about 1 GB/s, so 0.3 s for a full
 * 256 MiB queue) and cuts a torn tail.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zlib.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "host/agent.h"

#define SEG_MAGIC	"MAMAGTQ1"
#define CUR_MAGIC	"MAMAGTC1"
#define SEG_VERSION	1
#define WBUF_CAP	(128u << 10)
#define RBUF_MIN	(256u << 10)

struct seg {
	uint64_t	 first_seq;
	uint64_t	 next_seq;	/* one past its last record */
	uint64_t	 size;		/* valid bytes, buffered ones included */
	int64_t		 first_ns, last_ns;
};

struct agent_queue {
	pthread_mutex_t	 mu;
	pthread_mutex_t	 cmu;		/* orders cursor file writes */
	char		*dir;
	int		 dirfd;
	uint64_t	 max_bytes, seg_bytes;
	struct seg	*segs;		/* oldest first; the last is active */
	size_t		 nsegs, capsegs;
	int		 wfd;		/* the last segment, or -1 */
	uint8_t		*wbuf;
	size_t		 wlen;
	uint64_t	 wrecs;		/* records in wbuf */
	int64_t		 wfirst_ns, wlast_ns;
	uint64_t	 flushed;	/* bytes of the last segment in its file */
	uint64_t	 total;		/* bytes of all segments */
	uint64_t	 next_seq;
	struct agent_queue_cursor cur;
	int		 cur_dirty;
	int		 unsynced;	/* written since the last fsync */
	int		 dir_unsynced;
	int		 notify_fd;
	int		 reader_waiting;
};

struct agent_queue_reader {
	struct agent_queue *q;
	int		 fd;
	uint64_t	 seg_first;	/* segment fd reads */
	uint64_t	 off;		/* file offset of record seq */
	uint64_t	 seq;		/* 0: no position */
	uint8_t		*buf;
	size_t		 cap;
	uint64_t	 boff;		/* buf holds [boff, boff + blen) */
	size_t		 blen;
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t
crc(const void *p, size_t len)
{
	return (uint32_t)crc32(0, p, (uInt)len);
}

/* ---- formats ---- */

void
agent_queue_seg_header(uint8_t hdr[AGENT_QUEUE_SEG_HDR], uint64_t first_seq,
    int64_t created_ns)
{
	memcpy(hdr, SEG_MAGIC, 8);
	put64(hdr + 8, first_seq);
	put64(hdr + 16, (uint64_t)created_ns);
	put32(hdr + 24, SEG_VERSION);
	put32(hdr + 28, crc(hdr, 28));
}

void
agent_queue_rec_header(uint8_t hdr[AGENT_QUEUE_REC_HDR], uint64_t seq,
    int64_t time_ns, const void *p, size_t len)
{
	uLong c;

	put32(hdr, (uint32_t)len);
	put64(hdr + 8, seq);
	put64(hdr + 16, (uint64_t)time_ns);
	c = crc32(0, hdr + 8, 16);
	c = crc32(c, p, (uInt)len);
	put32(hdr + 4, (uint32_t)c);
}

/* Checks the record at p[0..len) (len: bytes available): 0 with *reclen,
 * MAMORI_ETRUNC, or MAMORI_ECORRUPT with *why. */
static int
rec_check(const uint8_t *p, size_t len, uint64_t want_seq, size_t *reclen,
    const char **why)
{
	uint32_t l;
	uLong c;

	if (len < AGENT_QUEUE_REC_HDR)
		return MAMORI_ETRUNC;
	l = get32(p);
	if (l > AGENT_QUEUE_REC_MAX) {
		*why = "record length over the limit";
		return MAMORI_ECORRUPT;
	}
	if (len - AGENT_QUEUE_REC_HDR < l)
		return MAMORI_ETRUNC;
	c = crc32(0, p + 8, 16);
	c = crc32(c, p + AGENT_QUEUE_REC_HDR, l);
	if ((uint32_t)c != get32(p + 4)) {
		*why = "record checksum mismatch";
		return MAMORI_ECORRUPT;
	}
	if (get64(p + 8) != want_seq) {
		*why = "record out of sequence";
		return MAMORI_ECORRUPT;
	}
	*reclen = AGENT_QUEUE_REC_HDR + l;
	return 0;
}

int
agent_queue_scan(const uint8_t *p, size_t len, struct agent_queue_scan *s)
{
	size_t off = AGENT_QUEUE_SEG_HDR, rl;
	const char *why = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	if (len < AGENT_QUEUE_SEG_HDR) {
		s->why = "shorter than a segment header";
		return MAMORI_ECORRUPT;
	}
	if (memcmp(p, SEG_MAGIC, 8) != 0) {
		s->why = "not a queue segment (bad magic)";
		return MAMORI_ECORRUPT;
	}
	if (get32(p + 28) != crc(p, 28)) {
		s->why = "segment header checksum mismatch";
		return MAMORI_ECORRUPT;
	}
	if (get32(p + 24) != SEG_VERSION) {
		s->why = "unknown segment version";
		return MAMORI_ECORRUPT;
	}
	s->first_seq = get64(p + 8);
	if (s->first_seq == 0 || s->first_seq > UINT64_MAX / 2) {
		s->why = "segment header names an impossible sequence";
		return MAMORI_ECORRUPT;
	}
	s->hdr_ok = 1;
	s->created_ns = (int64_t)get64(p + 16);
	s->next_seq = s->first_seq;
	while (off < len) {
		if ((r = rec_check(p + off, len - off, s->next_seq, &rl,
		    &why)) != 0) {
			s->torn = 1;
			s->why = r == MAMORI_ETRUNC ? "record cut short" : why;
			break;
		}
		if (s->records == 0)
			s->first_ns = (int64_t)get64(p + off + 16);
		s->last_ns = (int64_t)get64(p + off + 16);
		s->records++;
		s->next_seq++;
		off += rl;
	}
	s->valid = off;
	return 0;
}

void
agent_queue_cursor_encode(const struct agent_queue_cursor *c,
    uint8_t out[AGENT_QUEUE_CURSOR_LEN])
{
	memset(out, 0, AGENT_QUEUE_CURSOR_LEN);
	memcpy(out, CUR_MAGIC, 8);
	put64(out + 8, c->acked);
	put64(out + 16, c->dropped_total);
	put64(out + 24, c->pending);
	put64(out + 32, (uint64_t)c->pending_from_ns);
	put64(out + 40, (uint64_t)c->pending_to_ns);
	put32(out + 60, crc(out, 60));
}

int
agent_queue_cursor_decode(const uint8_t *p, size_t len,
    struct agent_queue_cursor *c)
{
	memset(c, 0, sizeof(*c));
	if (len != AGENT_QUEUE_CURSOR_LEN || memcmp(p, CUR_MAGIC, 8) != 0 ||
	    get32(p + 60) != crc(p, 60))
		return MAMORI_ECORRUPT;
	c->acked = get64(p + 8);
	c->dropped_total = get64(p + 16);
	c->pending = get64(p + 24);
	c->pending_from_ns = (int64_t)get64(p + 32);
	c->pending_to_ns = (int64_t)get64(p + 40);
	if (c->acked > UINT64_MAX / 2 || c->pending > c->dropped_total) {
		memset(c, 0, sizeof(*c));
		return MAMORI_ECORRUPT;
	}
	return 0;
}

/* ---- files ---- */

int
agent_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4096], dir[4096], *slash;
	const uint8_t *p = data;
	size_t done = 0;
	ssize_t n;
	int fd, dfd, e;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return MAMORI_ESYS;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return MAMORI_ESYS;
	while (done < len) {
		if ((n = write(fd, p + done, len - done)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	} else
		snprintf(dir, sizeof(dir), ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
 fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return MAMORI_ESYS;
}

static void
seg_name(char *buf, size_t len, uint64_t first_seq)
{
	snprintf(buf, len, "%016" PRIx64 ".seg", first_seq);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the queue, under q->mu ---- */

static void
add_drop(struct agent_queue *q, uint64_t n, int64_t from_ns, int64_t to_ns)
{
	if (n == 0)
		return;
	if (q->cur.pending == 0 || from_ns < q->cur.pending_from_ns)
		q->cur.pending_from_ns = from_ns;
	if (q->cur.pending == 0 || to_ns > q->cur.pending_to_ns)
		q->cur.pending_to_ns = to_ns;
	q->cur.pending += n;
	q->cur.dropped_total += n;
	q->cur_dirty = 1;
}

/*
 * Writes the buffered records.  On failure (disk full) they are given up,
 * counted as dropped, and the file is cut back to what it held: the
 * queue stays consistent and the next append tries again.
 */
static int
flush(struct agent_queue *q)
{
	if (q->wlen == 0)
		return 0;
	if (write_all(q->wfd, q->wbuf, q->wlen) == 0) {
		q->flushed += q->wlen;
		q->wlen = 0;
		q->wrecs = 0;
		q->unsynced = 1;
		return 0;
	}
	log_err("agent queue %s: cannot write %zu bytes (%s); %llu records "
	    "dropped", q->dir, q->wlen, strerror(errno),
	    (unsigned long long)q->wrecs);
	(void)ftruncate(q->wfd, (off_t)q->flushed);
	q->segs[q->nsegs - 1].size -= q->wlen;
	q->segs[q->nsegs - 1].next_seq -= q->wrecs;
	q->total -= q->wlen;
	/* The sequence numbers are taken back: nobody read them. */
	q->next_seq -= q->wrecs;
	add_drop(q, q->wrecs, q->wfirst_ns, q->wlast_ns);
	q->wlen = 0;
	q->wrecs = 0;
	return MAMORI_EIO;
}

/* The time of record seq in segment s (for a drop report). */
static int64_t
seg_time_at(struct agent_queue *q, const struct seg *s, uint64_t seq)
{
	char name[64];
	uint8_t *p;
	size_t off = AGENT_QUEUE_SEG_HDR;
	uint64_t cur = s->first_seq;
	int64_t t = s->first_ns;
	int fd;

	seg_name(name, sizeof(name), s->first_seq);
	if ((fd = openat(q->dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return t;
	p = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return t;
	while (off + AGENT_QUEUE_REC_HDR <= s->size && cur < seq) {
		off += AGENT_QUEUE_REC_HDR + get32(p + off);
		cur++;
	}
	if (cur == seq && off + AGENT_QUEUE_REC_HDR <= s->size)
		t = (int64_t)get64(p + off + 16);
	munmap(p, s->size);
	return t;
}

/* Removes segment k (not the active one): its unacknowledged records are
 * counted as dropped when count_drops. */
static void
remove_seg(struct agent_queue *q, size_t k, int count_drops)
{
	struct seg *s = &q->segs[k];
	char name[64];
	uint64_t from;

	if (count_drops) {
		from = s->first_seq > q->cur.acked + 1 ? s->first_seq :
		    q->cur.acked + 1;
		if (from < s->next_seq)
			add_drop(q, s->next_seq - from, from == s->first_seq ?
			    s->first_ns : seg_time_at(q, s, from), s->last_ns);
	}
	seg_name(name, sizeof(name), s->first_seq);
	if (unlinkat(q->dirfd, name, 0) != 0 && errno != ENOENT)
		log_warn("agent queue %s: cannot remove %s: %s", q->dir, name,
		    strerror(errno));
	q->dir_unsynced = 1;
	q->total -= s->size;
	if (k == 0 && q->cur.acked < s->next_seq - 1) {
		/* Nothing before the queue's first record is left to send. */
		q->cur.acked = s->next_seq - 1;
		q->cur_dirty = 1;
	}
	memmove(&q->segs[k], &q->segs[k + 1],
	    (q->nsegs - k - 1) * sizeof(*s));
	q->nsegs--;
}

/* Starts a new active segment whose first record will be q->next_seq. */
static int
rotate(struct agent_queue *q, int64_t now_ns)
{
	uint8_t hdr[AGENT_QUEUE_SEG_HDR];
	char name[64];
	struct seg *s;
	int fd, r;

	if (q->wfd >= 0) {
		if ((r = flush(q)) != 0)
			return r;
		/* A finished segment is made durable once, here. */
		if (q->unsynced && fsync(q->wfd) != 0)
			log_warn("agent queue %s: fsync: %s", q->dir,
			    strerror(errno));
		close(q->wfd);
		q->wfd = -1;
		q->unsynced = 0;
	}
	if (q->nsegs == q->capsegs) {
		size_t cap = q->capsegs ? q->capsegs * 2 : 32;

		if ((s = realloc(q->segs, cap * sizeof(*s))) == NULL)
			return MAMORI_ENOMEM;
		q->segs = s;
		q->capsegs = cap;
	}
	seg_name(name, sizeof(name), q->next_seq);
	if ((fd = openat(q->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_APPEND | O_CLOEXEC, 0600)) < 0) {
		log_err("agent queue %s: cannot create %s: %s", q->dir, name,
		    strerror(errno));
		return MAMORI_EIO;
	}
	agent_queue_seg_header(hdr, q->next_seq, now_ns);
	if (write_all(fd, hdr, sizeof(hdr)) != 0) {
		log_err("agent queue %s: cannot write %s: %s", q->dir, name,
		    strerror(errno));
		close(fd);
		unlinkat(q->dirfd, name, 0);
		return MAMORI_EIO;
	}
	s = &q->segs[q->nsegs++];
	memset(s, 0, sizeof(*s));
	s->first_seq = s->next_seq = q->next_seq;
	s->size = AGENT_QUEUE_SEG_HDR;
	q->wfd = fd;
	q->flushed = AGENT_QUEUE_SEG_HDR;
	q->total += AGENT_QUEUE_SEG_HDR;
	q->unsynced = 1;
	q->dir_unsynced = 1;
	return 0;
}

/* Drops the oldest segments until need more bytes fit under the cap. */
static int
make_room(struct agent_queue *q, uint64_t need, int64_t now_ns)
{
	int r;

	while (q->total + need > q->max_bytes && q->nsegs > 0) {
		if (q->nsegs == 1) {
			if (q->segs[0].next_seq == q->segs[0].first_seq)
				break;	/* empty: the record alone fits */
			if ((r = rotate(q, now_ns)) != 0)
				return r;
		}
		remove_seg(q, 0, 1);
	}
	return 0;
}

int
agent_queue_append(struct agent_queue *q, int64_t time_ns, const void *p,
    size_t len, uint64_t *seqp)
{
	uint8_t hdr[AGENT_QUEUE_REC_HDR];
	size_t reclen = AGENT_QUEUE_REC_HDR + len;
	struct seg *s;
	uint64_t seq;
	int r = 0, wake = 0;

	if (seqp != NULL)
		*seqp = 0;
	pthread_mutex_lock(&q->mu);
	if (len > AGENT_QUEUE_REC_MAX ||
	    reclen + 2 * AGENT_QUEUE_SEG_HDR > q->max_bytes) {
		add_drop(q, 1, time_ns, time_ns);
		r = MAMORI_ETOOBIG;
		goto out;
	}
	if ((r = make_room(q, reclen, time_ns)) != 0)
		goto fail;
	if (q->wfd < 0 || (q->segs[q->nsegs - 1].size + reclen >
	    q->seg_bytes && q->segs[q->nsegs - 1].next_seq >
	    q->segs[q->nsegs - 1].first_seq)) {
		if ((r = rotate(q, time_ns)) != 0)
			goto fail;
		if ((r = make_room(q, reclen, time_ns)) != 0)
			goto fail;
	}
	if (q->wlen + reclen > WBUF_CAP && (r = flush(q)) != 0)
		goto fail;
	seq = q->next_seq;
	agent_queue_rec_header(hdr, seq, time_ns, p, len);
	if (reclen > WBUF_CAP) {
		struct iovec iov[2] = {
			{ hdr, sizeof(hdr) }, { (void *)(uintptr_t)p, len } };
		ssize_t n = writev(q->wfd, iov, 2);

		if (n != (ssize_t)reclen) {
			(void)ftruncate(q->wfd, (off_t)q->flushed);
			log_err("agent queue %s: cannot write a record: %s",
			    q->dir, n < 0 ? strerror(errno) : "short write");
			r = MAMORI_EIO;
			goto fail;
		}
		q->flushed += reclen;
		q->unsynced = 1;
	} else {
		if (q->wrecs == 0)
			q->wfirst_ns = time_ns;
		q->wlast_ns = time_ns;
		memcpy(q->wbuf + q->wlen, hdr, sizeof(hdr));
		memcpy(q->wbuf + q->wlen + sizeof(hdr), p, len);
		q->wlen += reclen;
		q->wrecs++;
	}
	s = &q->segs[q->nsegs - 1];
	if (s->next_seq == s->first_seq)
		s->first_ns = time_ns;
	s->last_ns = time_ns;
	s->next_seq++;
	s->size += reclen;
	q->total += reclen;
	q->next_seq++;
	if (seqp != NULL)
		*seqp = seq;
	if (q->reader_waiting && q->notify_fd >= 0) {
		q->reader_waiting = 0;
		wake = 1;
	}
	goto out;
 fail:
	if (r != MAMORI_ETOOBIG)
		add_drop(q, 1, time_ns, time_ns);
 out:
	pthread_mutex_unlock(&q->mu);
	if (wake) {
		uint64_t one = 1;

		(void)!write(q->notify_fd, &one, sizeof(one));
	}
	return r;
}

int
agent_queue_sync(struct agent_queue *q)
{
	int r;

	pthread_mutex_lock(&q->mu);
	r = flush(q);
	if (q->unsynced && q->wfd >= 0) {
		if (fdatasync(q->wfd) != 0) {
			log_err("agent queue %s: fsync: %s", q->dir,
			    strerror(errno));
			r = MAMORI_EIO;
		} else
			q->unsynced = 0;
	}
	if (q->dir_unsynced) {
		(void)fsync(q->dirfd);
		q->dir_unsynced = 0;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

void
agent_queue_ack(struct agent_queue *q, uint64_t seq)
{
	pthread_mutex_lock(&q->mu);
	if (seq >= q->next_seq)
		seq = q->next_seq - 1;
	if (seq > q->cur.acked) {
		q->cur.acked = seq;
		q->cur_dirty = 1;
	}
	while (q->nsegs > 1 && q->segs[0].next_seq - 1 <= q->cur.acked)
		remove_seg(q, 0, 0);
	pthread_mutex_unlock(&q->mu);
}

int
agent_queue_save_cursor(struct agent_queue *q)
{
	uint8_t buf[AGENT_QUEUE_CURSOR_LEN];
	char path[4200];
	int dirty, r = 0;

	pthread_mutex_lock(&q->cmu);
	pthread_mutex_lock(&q->mu);
	dirty = q->cur_dirty;
	agent_queue_cursor_encode(&q->cur, buf);
	q->cur_dirty = 0;
	pthread_mutex_unlock(&q->mu);
	if (dirty) {
		snprintf(path, sizeof(path), "%s/cursor", q->dir);
		if (agent_write_atomic(path, buf, sizeof(buf)) != 0) {
			log_err("agent queue: cannot write %s: %s", path,
			    strerror(errno));
			pthread_mutex_lock(&q->mu);
			q->cur_dirty = 1;
			pthread_mutex_unlock(&q->mu);
			r = MAMORI_EIO;
		}
	}
	pthread_mutex_unlock(&q->cmu);
	return r;
}

void
agent_queue_pending_drops(struct agent_queue *q, struct agent_queue_cursor *c)
{
	pthread_mutex_lock(&q->mu);
	*c = q->cur;
	pthread_mutex_unlock(&q->mu);
}

void
agent_queue_drops_reported(struct agent_queue *q, uint64_t count)
{
	pthread_mutex_lock(&q->mu);
	if (count >= q->cur.pending) {
		q->cur.pending = 0;
		q->cur.pending_from_ns = q->cur.pending_to_ns = 0;
	} else
		q->cur.pending -= count;
	q->cur_dirty = 1;
	pthread_mutex_unlock(&q->mu);
}

void
agent_queue_depth(struct agent_queue *q, uint64_t *records, uint64_t *bytes,
    uint64_t *acked, uint64_t *dropped_total)
{
	uint64_t n = 0;
	size_t i;

	pthread_mutex_lock(&q->mu);
	for (i = 0; i < q->nsegs; i++) {
		const struct seg *s = &q->segs[i];
		uint64_t from = s->first_seq > q->cur.acked + 1 ?
		    s->first_seq : q->cur.acked + 1;

		if (from < s->next_seq)
			n += s->next_seq - from;
	}
	if (records != NULL)
		*records = n;
	if (bytes != NULL)
		*bytes = q->total;
	if (acked != NULL)
		*acked = q->cur.acked;
	if (dropped_total != NULL)
		*dropped_total = q->cur.dropped_total;
	pthread_mutex_unlock(&q->mu);
}

void
agent_queue_set_notify(struct agent_queue *q, int fd)
{
	pthread_mutex_lock(&q->mu);
	q->notify_fd = fd;
	pthread_mutex_unlock(&q->mu);
}

/* ---- opening ---- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sequence numbers of the segment files in q->dir, sorted. */
static int
list_segments(struct agent_queue *q, uint64_t **out, size_t *n)
{
	DIR *d;
	struct dirent *de;
	uint64_t *v = NULL, *nv, seq;
	size_t cap = 0, len;
	char *end;
	int fd;

	*out = NULL;
	*n = 0;
	if ((fd = dup(q->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return MAMORI_ESYS;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len != 20 || strcmp(de->d_name + 16, ".seg") != 0)
			continue;
		seq = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return MAMORI_ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = seq;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_u64);
	*out = v;
	return 0;
}

/* Scans segment file seq: adds it to q, repairs or removes it. */
static int
open_segment(struct agent_queue *q, uint64_t seq, int last,
    struct agent_queue_info *info)
{
	struct agent_queue_scan sc;
	struct stat st;
	char name[64];
	uint8_t *p = NULL;
	struct seg *s;
	int fd, r;

	seg_name(name, sizeof(name), seq);
	if ((fd = openat(q->dirfd, name, O_RDWR | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		log_err("agent queue %s: cannot open %s: %s", q->dir, name,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;	/* left alone; the queue goes on without it */
	}
	if (st.st_size >= AGENT_QUEUE_SEG_HDR &&
	    (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		log_err("agent queue %s: cannot map %s: %s", q->dir, name,
		    strerror(errno));
		close(fd);
		return 0;
	}
	r = agent_queue_scan(p != NULL ? p : (const uint8_t *)"",
	    p != NULL ? (size_t)st.st_size : 0, &sc);
	if (p != NULL)
		munmap(p, (size_t)st.st_size);
	if (r != 0 || sc.first_seq != seq ||
	    (q->nsegs > 0 && seq < q->segs[q->nsegs - 1].next_seq)) {
		/* A header written partly (a crash while creating it) or
		 * a file that is not ours: its records are unknown. */
		if (last && st.st_size < AGENT_QUEUE_SEG_HDR)
			info->torn_bytes += (uint64_t)st.st_size;
		else {
			log_warn("agent queue %s: %s: %s; removed (%lld bytes "
			    "lost)", q->dir, name, r != 0 ? sc.why :
			    "sequence does not fit", (long long)st.st_size);
			info->lost_records++;	/* at least one */
			add_drop(q, 1, time_now_ns(), time_now_ns());
		}
		close(fd);
		unlinkat(q->dirfd, name, 0);
		return 0;
	}
	if (sc.torn) {
		uint64_t cut = (uint64_t)st.st_size - sc.valid;

		if (last) {
			/* The record being written at a crash. */
			if (ftruncate(fd, (off_t)sc.valid) != 0 ||
			    fsync(fd) != 0) {
				log_err("agent queue %s: cannot repair %s: %s",
				    q->dir, name, strerror(errno));
				close(fd);
				return MAMORI_ESYS;
			}
			info->torn_bytes += cut;
		} else {
			log_warn("agent queue %s: %s is damaged after record "
			    "%llu (%s); %llu bytes after it given up", q->dir,
			    name, (unsigned long long)sc.next_seq - 1, sc.why,
			    (unsigned long long)cut);
			info->lost_records++;
			add_drop(q, 1, sc.last_ns, sc.last_ns);
		}
	}
	close(fd);
	if (q->nsegs == q->capsegs) {
		size_t cap = q->capsegs ? q->capsegs * 2 : 32;

		if ((s = realloc(q->segs, cap * sizeof(*s))) == NULL)
			return MAMORI_ENOMEM;
		q->segs = s;
		q->capsegs = cap;
	}
	s = &q->segs[q->nsegs++];
	s->first_seq = sc.first_seq;
	s->next_seq = sc.next_seq;
	s->size = sc.valid;
	s->first_ns = sc.first_ns;
	s->last_ns = sc.last_ns;
	q->total += sc.valid;
	return 0;
}

static int
read_cursor(struct agent_queue *q, struct agent_queue_info *info)
{
	uint8_t buf[AGENT_QUEUE_CURSOR_LEN + 1];
	ssize_t n;
	int fd;

	if ((fd = openat(q->dirfd, "cursor", O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)
			return MAMORI_ESYS;
		info->cursor_reset = 1;
		return 0;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return MAMORI_ESYS;
	if (agent_queue_cursor_decode(buf, (size_t)n, &q->cur) != 0) {
		log_warn("agent queue %s: cursor damaged; everything queued "
		    "will be sent again", q->dir);
		info->cursor_reset = 1;
	}
	return 0;
}

int
agent_queue_open(const char *dir, uint64_t max_bytes,
    struct agent_queue **out, struct agent_queue_info *infop, char *err,
    size_t errlen)
{
	struct agent_queue *q;
	struct agent_queue_info info;
	uint64_t *seqs = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	memset(&info, 0, sizeof(info));
	if (max_bytes < (1u << 16)) {
		mamori_seterr(err, errlen, "queue size %llu: at least 64 KiB",
		    (unsigned long long)max_bytes);
		return MAMORI_EINVAL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->dir = strdup(dir)) == NULL ||
	    (q->wbuf = malloc(WBUF_CAP)) == NULL) {
		if (q != NULL)
			free(q->dir);
		free(q);
		mamori_seterr(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_mutex_init(&q->cmu, NULL);
	q->wfd = -1;
	q->notify_fd = -1;
	q->max_bytes = max_bytes;
	q->seg_bytes = max_bytes / 16;
	if (q->seg_bytes < (64u << 10))
		q->seg_bytes = 64u << 10;
	if (q->seg_bytes > (16u << 20))
		q->seg_bytes = 16u << 20;
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    (q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		mamori_seterr(err, errlen, "queue directory %s: %s", dir,
		    strerror(errno));
		q->dirfd = -1;
		r = MAMORI_ESYS;
		goto fail;
	}
	if ((r = read_cursor(q, &info)) != 0) {
		mamori_seterr(err, errlen, "%s/cursor: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if ((r = list_segments(q, &seqs, &n)) != 0) {
		mamori_seterr(err, errlen, "queue directory %s: %s", dir,
		    r == MAMORI_ENOMEM ? "out of memory" : strerror(errno));
		goto fail;
	}
	for (i = 0; i < n; i++)
		if ((r = open_segment(q, seqs[i], i == n - 1, &info)) != 0) {
			mamori_seterr(err, errlen, "queue %s: cannot open or "
			    "repair segment %016" PRIx64 ": %s", dir, seqs[i],
			    r == MAMORI_ENOMEM ? "out of memory" :
			    strerror(errno));
			goto fail;
		}
	free(seqs);
	seqs = NULL;
	if (q->nsegs > 0)
		q->next_seq = q->segs[q->nsegs - 1].next_seq;
	else
		q->next_seq = q->cur.acked + 1;
	if (q->cur.acked >= q->next_seq) {
		q->cur.acked = q->next_seq - 1;
		q->cur_dirty = 1;
	}
	/* Older segments wholly delivered before a crash. */
	while (q->nsegs > 1 && q->segs[0].next_seq - 1 <= q->cur.acked)
		remove_seg(q, 0, 0);
	/* Appends go on in the last segment (created at the first append
	 * when there is none). */
	if (q->nsegs > 0) {
		char name[64];

		seg_name(name, sizeof(name), q->segs[q->nsegs - 1].first_seq);
		if ((q->wfd = openat(q->dirfd, name, O_WRONLY | O_APPEND |
		    O_CLOEXEC)) < 0) {
			mamori_seterr(err, errlen, "queue %s/%s: %s", dir, name,
			    strerror(errno));
			r = MAMORI_ESYS;
			goto fail;
		}
		q->flushed = q->segs[q->nsegs - 1].size;
	}
	info.segments = (unsigned)q->nsegs;
	info.bytes = q->total;
	agent_queue_depth(q, &info.records, NULL, NULL, NULL);
	if (info.cursor_reset && q->nsegs == 0)
		info.cursor_reset = 0;	/* a new queue */
	if (infop != NULL)
		*infop = info;
	*out = q;
	return 0;
 fail:
	free(seqs);
	if (q->dirfd >= 0)
		close(q->dirfd);
	pthread_mutex_destroy(&q->mu);
	pthread_mutex_destroy(&q->cmu);
	free(q->segs);
	free(q->wbuf);
	free(q->dir);
	free(q);
	return r;
}

int
agent_queue_close(struct agent_queue *q)
{
	int r, r2;

	if (q == NULL)
		return 0;
	r = agent_queue_sync(q);
	r2 = agent_queue_save_cursor(q);
	if (q->wfd >= 0)
		close(q->wfd);
	close(q->dirfd);
	pthread_mutex_destroy(&q->mu);
	pthread_mutex_destroy(&q->cmu);
	free(q->segs);
	free(q->wbuf);
	free(q->dir);
	free(q);
	return r != 0 ? r : r2;
}

/* ---- reading ---- */

struct agent_queue_reader *
agent_queue_reader_new(struct agent_queue *q)
{
	struct agent_queue_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->q = q;
	r->fd = -1;
	r->cap = RBUF_MIN;
	if ((r->buf = malloc(r->cap)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
agent_queue_reader_free(struct agent_queue_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* Makes buf hold file bytes [off, off + len) (len <= limit - off).
 * Returns a pointer to them or NULL (errno set; EIO for a short file). */
static const uint8_t *
rd_bytes(struct agent_queue_reader *r, uint64_t off, size_t len,
    uint64_t limit)
{
	size_t want;
	ssize_t n;

	if (off > limit || limit - off < len) {
		errno = EIO;
		return NULL;
	}
	if (off >= r->boff && off + len <= r->boff + r->blen)
		return r->buf + (off - r->boff);
	if (len > r->cap) {
		uint8_t *nb = realloc(r->buf, len);

		if (nb == NULL)
			return NULL;
		r->buf = nb;
		r->cap = len;
	}
	want = r->cap;
	if (limit - off < want)
		want = (size_t)(limit - off);
	r->boff = off;
	r->blen = 0;
	while (r->blen < want) {
		n = pread(r->fd, r->buf + r->blen, want - r->blen,
		    (off_t)(off + r->blen));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (n == 0)
			break;
		r->blen += (size_t)n;
	}
	if (r->blen < len) {
		errno = EIO;
		return NULL;
	}
	return r->buf;
}

/* The segment holding seq (or the first after it): its index, or -1. */
static ssize_t
find_seg(const struct agent_queue *q, uint64_t seq)
{
	size_t lo = 0, hi = q->nsegs;

	while (lo < hi) {	/* first segment with next_seq > seq */
		size_t mid = (lo + hi) / 2;

		if (q->segs[mid].next_seq > seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < q->nsegs ? (ssize_t)lo : -1;
}

/* A damaged segment met while reading: its rest is dropped. */
static void
give_up_segment(struct agent_queue_reader *r, uint64_t seg_first,
    uint64_t from_seq, const char *why)
{
	struct agent_queue *q = r->q;
	ssize_t k;

	pthread_mutex_lock(&q->mu);
	k = find_seg(q, from_seq);
	if (k >= 0 && q->segs[k].first_seq == seg_first) {
		struct seg *s = &q->segs[k];

		log_err("agent queue %s: segment %016" PRIx64 " damaged at "
		    "record %llu (%s); records %llu..%llu dropped", q->dir,
		    seg_first, (unsigned long long)from_seq, why,
		    (unsigned long long)from_seq,
		    (unsigned long long)s->next_seq - 1);
		add_drop(q, s->next_seq - from_seq, s->last_ns, s->last_ns);
		if ((size_t)k + 1 < q->nsegs)
			remove_seg(q, (size_t)k, 0);
		else if (rotate(q, time_now_ns()) == 0)
			remove_seg(q, (size_t)k, 0);
	}
	pthread_mutex_unlock(&q->mu);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->seq = 0;
}

int
agent_queue_read(struct agent_queue_reader *r, uint64_t want,
    struct agent_queue_rec *rec)
{
	struct agent_queue *q = r->q;
	uint64_t first, limit;
	const uint8_t *p;
	const char *why = "?";
	size_t rl;
	ssize_t k;
	char name[64];
	int tries;

	memset(rec, 0, sizeof(*rec));
	for (tries = 0; tries < 16; tries++) {
		pthread_mutex_lock(&q->mu);
		k = find_seg(q, want);
		/* A gap (dropped records) or an empty segment: on to the
		 * next record there is. */
		while (k >= 0 && q->segs[k].first_seq > want) {
			want = q->segs[k].first_seq;
			k = find_seg(q, want);
		}
		if (k < 0 || want >= q->next_seq) {
			q->reader_waiting = 1;
			pthread_mutex_unlock(&q->mu);
			return MAMORI_ENOTFOUND;
		}
		first = q->segs[k].first_seq;
		if ((size_t)k == q->nsegs - 1) {
			if (q->wlen > 0 && flush(q) != 0) {
				/* Given up and counted; look again. */
				pthread_mutex_unlock(&q->mu);
				continue;
			}
			limit = q->flushed;
		} else
			limit = q->segs[k].size;
		pthread_mutex_unlock(&q->mu);

		if (r->fd < 0 || r->seg_first != first) {
			if (r->fd >= 0)
				close(r->fd);
			seg_name(name, sizeof(name), first);
			if ((r->fd = openat(q->dirfd, name, O_RDONLY |
			    O_CLOEXEC)) < 0) {
				if (errno == ENOENT)
					continue;	/* dropped meanwhile */
				return MAMORI_EIO;
			}
			r->seg_first = first;
			r->seq = 0;
			r->blen = 0;
		}
		if (r->seq == 0 || r->seq > want) {
			r->off = AGENT_QUEUE_SEG_HDR;
			r->seq = first;
			r->blen = 0;
		}
		/* Skip to want, trusting lengths: CRCs are checked on the
		 * records returned. */
		while (r->seq < want) {
			if ((p = rd_bytes(r, r->off, AGENT_QUEUE_REC_HDR,
			    limit)) == NULL)
				break;
			r->off += AGENT_QUEUE_REC_HDR + get32(p);
			r->seq++;
		}
		if (r->seq < want) {
			give_up_segment(r, first, r->seq, "cannot skip to the "
			    "record asked for");
			return MAMORI_ECORRUPT;
		}
		if ((p = rd_bytes(r, r->off, AGENT_QUEUE_REC_HDR, limit)) ==
		    NULL || get32(p) > AGENT_QUEUE_REC_MAX ||
		    (p = rd_bytes(r, r->off, AGENT_QUEUE_REC_HDR + get32(p),
		    limit)) == NULL) {
			give_up_segment(r, first, want, "record beyond the "
			    "segment's end");
			return MAMORI_ECORRUPT;
		}
		if (rec_check(p, AGENT_QUEUE_REC_HDR + get32(p), want, &rl,
		    &why) != 0) {
			give_up_segment(r, first, want, why);
			return MAMORI_ECORRUPT;
		}
		rec->seq = want;
		rec->time_ns = (int64_t)get64(p + 16);
		rec->data = p + AGENT_QUEUE_REC_HDR;
		rec->len = rl - AGENT_QUEUE_REC_HDR;
		r->off += rl;
		r->seq++;
		return 0;
	}
	return MAMORI_ENOTFOUND;
}
