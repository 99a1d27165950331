/*
 * logsearch-page.c - pages of the log store, newest first, and records
 * fetched by sequence number, reading only the segments that matter.
 *
 * Segments are numbered in the order they were written and each covers a
 * range of sequence numbers: from the first_seq its header names up to
 * the next segment's first.  A sealed segment's checkpoint also gives its
 * time range, so a search with since/until skips it unread.  Records
 * inside a segment can only be read forward (they vary in length, and a
 * sealed one is a zstd stream), so a page reads its segment from the
 * start up to the page's end, keeping the last `limit` matches in a
 * ring: the cost of a page is one segment (storage.segment_size, 64 MiB
 * by default, about 300 000 syslog lines), whatever the size of the
 * store.
 *
 * Reading races with the writer exactly as logstore-read.c does, and is
 * settled the same way: a .seg.zst appears before its .seg goes, so a
 * segment is tried under both names; a partial record at the end of the
 * active segment is one being written, and ends the read there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/logsearch-page.h"
#include "store/logstore-int.h"

struct seg {
	uint64_t	 segno;
	uint64_t	 first_seq;	/* 0 until known */
	int		 sealed;	/* has a checkpoint: ranges known */
	int64_t		 min_time, max_time;
};

/* Opens segment segno for reading (zst, seg, zst again). */
static int
seg_open(int dirfd, uint64_t segno, struct ls_src *src)
{
	char seg[LS_NAME_MAX], zst[LS_NAME_MAX];
	int r;

	ls_name(seg, sizeof(seg), segno, LS_SUFFIX_SEG);
	ls_name(zst, sizeof(zst), segno, LS_SUFFIX_ZST);
	if ((r = ls_src_open(src, dirfd, zst, 1)) != MAMORI_ENOTFOUND)
		return r;
	ls_src_close(src);
	if ((r = ls_src_open(src, dirfd, seg, 0)) != MAMORI_ENOTFOUND)
		return r;
	ls_src_close(src);
	return ls_src_open(src, dirfd, zst, 1);
}

/* The segments present, oldest first, with what is known of each
 * without reading records.  Expired ones are left out. */
static int
list_segments(int dirfd, struct seg **out, size_t *nout, char *err,
    size_t errlen)
{
	struct ls_segent *v = NULL;
	struct ls_ckpt c;
	struct ls_seghdr h;
	struct ls_src src;
	struct seg *s;
	uint8_t raw[LS_CKPT_LEN];
	const char *why;
	size_t n = 0, i, k = 0;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = ls_dir_scan(dirfd, &v, &n, 0)) != 0) {
		snprintf(err, errlen, "log: cannot list: %s", strerror(errno));
		return r;
	}
	if (n == 0) {
		free(v);
		return 0;
	}
	if ((s = calloc(n, sizeof(*s))) == NULL) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (!(v[i].has_seg || v[i].has_zst))
			continue;
		s[k].segno = v[i].segno;
		if (v[i].has_ckpt && ls_ckpt_read(dirfd, v[i].segno, &c,
		    raw) == 0) {
			if (c.expired_ns != 0)
				continue;
			s[k].sealed = 1;
			s[k].first_seq = c.first_seq;
			s[k].min_time = c.min_time_ns;
			s[k].max_time = c.max_time_ns;
		} else if (seg_open(dirfd, v[i].segno, &src) == 0 &&
		    ls_src_header(&src, &h, &why) == 0)
			s[k].first_seq = h.first_seq;
		else
			s[k].first_seq = 0;	/* just created: read it */
		if (!s[k].sealed)
			ls_src_close(&src);
		k++;
	}
	free(v);
	*out = s;
	*nout = k;
	return 0;
}

/*
 * Reads segment g, handing each event record with seq in [lo, hi) to fn
 * (which takes the record and returns non-zero to stop).  Damaged
 * records are skipped a byte at a time, as the reader does, and counted
 * in *corrupt.  Returns 0, or MAMORI_EIO / MAMORI_ENOMEM with err set.
 */
static int
seg_read(int dirfd, const struct seg *g, uint64_t lo, uint64_t hi,
    int (*fn)(void *, const struct ls_rec *), void *arg, uint64_t *corrupt,
    char *err, size_t errlen)
{
	struct ls_src src;
	struct ls_seghdr h;
	struct ls_rec rec;
	const char *why = "";
	uint64_t off;
	int r, resync = 0;

	if ((r = seg_open(dirfd, g->segno, &src)) == MAMORI_ENOTFOUND) {
		ls_src_close(&src);
		return 0;		/* expired meanwhile */
	}
	if (r != 0 || (r = ls_src_header(&src, &h, &why)) != 0) {
		ls_src_close(&src);
		if (r == MAMORI_ETRUNC)
			return 0;	/* just created */
		if (r == MAMORI_ECORRUPT) {
			(*corrupt)++;
			return 0;
		}
		snprintf(err, errlen, "log: segment %llu: cannot read: %s",
		    (unsigned long long)g->segno, strerror(errno));
		return MAMORI_EIO;
	}
	for (;;) {
		off = src.off;
		r = ls_src_next(&src, &rec, &off, &why);
		if (r == 0) {
			resync = 0;
			if (rec.seq >= hi)
				break;
			if (rec.type != LS_REC_EVENT || rec.seq < lo)
				continue;
			if (fn(arg, &rec) != 0)
				break;
			continue;
		}
		if (r == MAMORI_ENOTFOUND || r == MAMORI_ETRUNC)
			break;		/* the end, or one being written */
		if (r == MAMORI_ECORRUPT && !src.zerr &&
		    ls_src_avail(&src) > 0) {
			if (!resync)
				(*corrupt)++;
			resync = 1;
			src.start++;
			src.off++;
			continue;
		}
		if (r == MAMORI_ECORRUPT) {
			(*corrupt)++;	/* damaged compressed data */
			break;
		}
		ls_src_close(&src);
		snprintf(err, errlen, "log: segment %llu: cannot read: %s",
		    (unsigned long long)g->segno, r == MAMORI_ENOMEM ?
		    "out of memory" : strerror(errno));
		return r;
	}
	ls_src_close(&src);
	return 0;
}

static int
open_log(const char *dir, int *dirfd, char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/log", dir);
	if ((*dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		return 0;
	snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
	return errno == ENOENT ? MAMORI_ENOTFOUND : MAMORI_EIO;
}

/* ---- pages ---- */

struct page_ctx {
	struct logsearch *s;
	int64_t		 since, until;
	struct event	**ring;		/* the last matches, oldest at head */
	size_t		 cap, head, n;
	uint64_t	 scanned, corrupt;
	int		 failed;	/* out of memory */
};

static int
page_take(void *arg, const struct ls_rec *rec)
{
	struct page_ctx *x = arg;
	struct event *ev;
	const char *why;
	int64_t recv, t;

	x->scanned++;
	/* Times first: no decoding for a record outside the range. */
	if (ls_event_times(rec, &recv, &t) == 0 &&
	    (t < x->since || t > x->until))
		return 0;
	switch (ls_event_decode(rec, &ev, &why)) {
	case 0:
		break;
	case MAMORI_ENOMEM:
		x->failed = 1;
		return 1;
	default:
		x->corrupt++;
		return 0;
	}
	if (!logsearch_match(x->s, ev)) {
		event_free(ev);
		return 0;
	}
	if (x->n == x->cap) {
		event_free(x->ring[x->head]);
		x->ring[x->head] = ev;
		x->head = (x->head + 1) % x->cap;
	} else
		x->ring[(x->head + x->n++) % x->cap] = ev;
	return 0;
}

void
logsearch_page_release(struct logsearch_page_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		event_free(res->ev[i]);
	free(res->ev);
	memset(res, 0, sizeof(*res));
}

int
logsearch_page(const char *dir, struct logsearch *s,
    const struct logsearch_query *q, const struct logsearch_page_opts *o,
    struct logsearch_page_result *res, char *err, size_t errlen)
{
	struct page_ctx x;
	struct seg *segs = NULL;
	size_t nsegs = 0, i, k;
	uint64_t before = o->before != 0 ? o->before : UINT64_MAX, hi;
	uint64_t budget = o->max_scan != 0 ? o->max_scan :
	    LOGSEARCH_PAGE_SCAN;
	int dirfd = -1, r;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	if (o->limit == 0 || o->limit > LOGSEARCH_PAGE_MAX) {
		snprintf(err, errlen, "limit must be 1..%d",
		    LOGSEARCH_PAGE_MAX);
		return MAMORI_EINVAL;
	}
	if ((res->ev = calloc(o->limit, sizeof(*res->ev))) == NULL ||
	    (x.ring = calloc(o->limit, sizeof(*x.ring))) == NULL) {
		free(res->ev);
		res->ev = NULL;
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	x.s = s;
	x.since = q->since_ns;
	x.until = q->until_ns;
	if ((r = open_log(dir, &dirfd, err, errlen)) != 0 ||
	    (r = list_segments(dirfd, &segs, &nsegs, err, errlen)) != 0)
		goto out;
	/* Newest segment first; each reads [its first seq, min(next
	 * segment's first, before)). */
	for (i = nsegs; i-- > 0 && res->n < o->limit;) {
		const struct seg *g = &segs[i];

		hi = i + 1 < nsegs && segs[i + 1].first_seq != 0 ?
		    segs[i + 1].first_seq : UINT64_MAX;
		if (hi > before)
			hi = before;
		if (g->first_seq != 0 && g->first_seq >= hi)
			continue;
		if (g->sealed && (g->max_time < q->since_ns ||
		    g->min_time > q->until_ns))
			goto next;
		x.cap = o->limit - res->n;
		x.head = x.n = 0;
		if ((r = seg_read(dirfd, g, 0, hi, page_take, &x, &x.corrupt,
		    err, errlen)) != 0)
			goto out;
		if (x.failed) {
			snprintf(err, errlen, "out of memory");
			r = MAMORI_ENOMEM;
			goto out;
		}
		res->segments++;
		/* The ring holds this segment's newest matches, oldest at
		 * head: they go after the newer ones found before. */
		for (k = x.n; k-- > 0;) {
			res->ev[res->n++] = x.ring[(x.head + k) % x.cap];
			x.ring[(x.head + k) % x.cap] = NULL;
		}
		x.n = 0;
		if (res->n == o->limit) {
			/* Older records may match, unless this was the
			 * store's very first. */
			res->next = res->ev[res->n - 1]->seq;
			if (segs[0].first_seq != 0 &&
			    res->next <= segs[0].first_seq)
				res->next = 0;
			break;
		}
 next:
		/* Nothing older than this segment is left unread when it
		 * was the first; else stop at the budget and say where to
		 * go on. */
		if (i == 0 || g->first_seq <= 1) {
			res->next = 0;
			break;
		}
		if (x.scanned >= budget) {
			res->next = g->first_seq;
			break;
		}
	}
	r = 0;
 out:
	res->scanned = x.scanned;
	res->corrupt = x.corrupt;
	for (k = 0; k < x.n; k++)
		event_free(x.ring[(x.head + k) % x.cap]);
	free(x.ring);
	free(segs);
	if (dirfd >= 0)
		close(dirfd);
	if (r != 0)
		logsearch_page_release(res);
	return r;
}

/* ---- records by sequence number ---- */

struct fetch_ctx {
	const uint64_t	*seqs;
	size_t		 n, next;	/* seqs[next] is the next wanted */
	int		 (*cb)(void *, const struct event *);
	void		*arg;
	int		 rc;
	uint64_t	 corrupt;
};

static int
fetch_take(void *arg, const struct ls_rec *rec)
{
	struct fetch_ctx *x = arg;
	struct event *ev;
	const char *why;

	while (x->next < x->n && x->seqs[x->next] < rec->seq)
		x->next++;		/* expired or never stored */
	if (x->next == x->n)
		return 1;
	if (x->seqs[x->next] != rec->seq)
		return 0;
	x->next++;
	if ((x->rc = ls_event_decode(rec, &ev, &why)) != 0) {
		if (x->rc == MAMORI_ENOMEM)
			return 1;
		x->rc = 0;
		x->corrupt++;
		return 0;
	}
	x->rc = x->cb(x->arg, ev);
	event_free(ev);
	return x->rc != 0 || x->next == x->n;
}

int
logsearch_fetch(const char *dir, const uint64_t *seqs, size_t n,
    int (*cb)(void *, const struct event *), void *arg, char *err,
    size_t errlen)
{
	struct fetch_ctx x;
	struct seg *segs = NULL;
	size_t nsegs = 0, i;
	uint64_t hi;
	int dirfd = -1, r;

	if (n == 0)
		return 0;
	memset(&x, 0, sizeof(x));
	x.seqs = seqs;
	x.n = n;
	x.cb = cb;
	x.arg = arg;
	if ((r = open_log(dir, &dirfd, err, errlen)) != 0 ||
	    (r = list_segments(dirfd, &segs, &nsegs, err, errlen)) != 0)
		goto out;
	for (i = 0; i < nsegs && x.next < n && x.rc == 0; i++) {
		hi = i + 1 < nsegs && segs[i + 1].first_seq != 0 ?
		    segs[i + 1].first_seq : UINT64_MAX;
		/* Only a segment whose range holds the next one wanted. */
		if (seqs[x.next] >= hi)
			continue;
		if ((r = seg_read(dirfd, &segs[i], seqs[x.next], hi,
		    fetch_take, &x, &x.corrupt, err, errlen)) != 0)
			goto out;
	}
	r = x.rc;
	if (r == MAMORI_ENOMEM)
		snprintf(err, errlen, "out of memory");
 out:
	free(segs);
	if (dirfd >= 0)
		close(dirfd);
	return r;
}
