/*
 * logstore-read.c - reading the log store in order, oldest first, while
 * the writer may be appending, sealing and expiring in another process.
 *
 * The reader holds no lock.  It finds segments by listing the directory
 * each time it moves on, so it sees segments created after it started.
 * Races with the writer are settled by the order in which the writer
 * changes files (logstore-seal.c, logstore-compress.c): a .seg.zst
 * appears before its .seg goes away, so a segment is always found under
 * one name or the other; and a segment's checkpoint is written only after
 * every record was written to it, so once its .ckpt (or .seg.zst) exists,
 * the open .seg holds everything.  A record still being written is a
 * partial record at the end of the active segment: the reader stops
 * before it and a later call picks it up.
 *
 * The reader checks each record's CRC, not the chain (that is
 * logstore_verify()'s job, which needs the key for the rest anyway).  A
 * bad record is reported once; the reader then looks for the next good
 * record a byte at a time, as the writer does at open, so that damage
 * planted early in a segment cannot hide what follows it from a search.
 * Only damaged compressed data ends a segment early.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

struct logstore_reader {
	int		dirfd;
	int64_t		rmin, rmax;	/* receive-time range */
	int64_t		tmin, tmax;	/* event-time range */
	uint64_t	segno;		/* current, or the next to look for */
	int		open;
	int		plain;		/* reading the active .seg */
	int		header_done;
	int		draining;	/* sealed meanwhile: read to the end */
	int		resync;		/* after a bad record: looking for the
					   next good one, a byte at a time */
	char		name[LS_NAME_MAX];
	struct ls_src	src;
};

struct logstore_reader *
logstore_reader_open(const char *dir, char *err, size_t errlen)
{
	struct logstore_reader *r;
	char *logdir = NULL;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    asprintf(&logdir, "%s/log", dir) < 0) {
		free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((r->dirfd = open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", logdir,
		    strerror(errno));
		free(logdir);
		free(r);
		return NULL;
	}
	free(logdir);
	r->rmin = r->tmin = INT64_MIN;
	r->rmax = r->tmax = INT64_MAX;
	r->segno = 0;
	return r;
}

void
logstore_reader_set_range(struct logstore_reader *r, int64_t min_ns,
    int64_t max_ns)
{
	r->rmin = min_ns;
	r->rmax = max_ns;
}

void
logstore_reader_set_event_range(struct logstore_reader *r, int64_t min_ns,
    int64_t max_ns)
{
	r->tmin = min_ns;
	r->tmax = max_ns;
}

static void
close_src(struct logstore_reader *r)
{
	if (r->open)
		ls_src_close(&r->src);
	r->open = r->header_done = r->draining = r->resync = 0;
}

/* Moves past the current segment. */
static void
next_segment(struct logstore_reader *r)
{
	close_src(r);
	r->segno++;
}

/* Returns 1 when a segment needs no reading for the ranges set. */
static int
skip_sealed(const struct logstore_reader *r, uint64_t segno)
{
	struct ls_ckpt c;
	uint8_t raw[LS_CKPT_LEN];

	if (ls_ckpt_read(r->dirfd, segno, &c, raw) != 0)
		return 0;	/* read it: verification judges the rest */
	if (c.expired_ns != 0)
		return 1;
	if (c.max_recv_ns < r->rmin || c.min_recv_ns > r->rmax)
		return 1;
	if (c.max_time_ns < r->tmin || c.min_time_ns > r->tmax)
		return 1;
	return 0;
}

/* Opens the first readable segment numbered r->segno or later.  Returns
 * 0, MAMORI_ENOTFOUND when there is none yet, or an error. */
static int
open_next(struct logstore_reader *r, char *err, size_t errlen)
{
	struct ls_segent *v = NULL;
	size_t n = 0, i;
	char seg[LS_NAME_MAX], zst[LS_NAME_MAX];
	int rc;

	if ((rc = ls_dir_scan(r->dirfd, &v, &n, 0)) != 0) {
		snprintf(err, errlen, "log: cannot list: %s", strerror(errno));
		return rc;
	}
	for (i = 0; i < n; i++) {
		if (v[i].segno < r->segno || !(v[i].has_seg || v[i].has_zst))
			continue;
		if (v[i].has_ckpt && skip_sealed(r, v[i].segno))
			continue;
		ls_name(seg, sizeof(seg), v[i].segno, LS_SUFFIX_SEG);
		ls_name(zst, sizeof(zst), v[i].segno, LS_SUFFIX_ZST);
		/* .seg.zst appears before .seg goes: try zst, seg, zst. */
		r->plain = 0;
		snprintf(r->name, sizeof(r->name), "%s", zst);
		rc = ls_src_open(&r->src, r->dirfd, zst, 1);
		if (rc == MAMORI_ENOTFOUND) {
			ls_src_close(&r->src);
			r->plain = 1;
			snprintf(r->name, sizeof(r->name), "%s", seg);
			rc = ls_src_open(&r->src, r->dirfd, seg, 0);
		}
		if (rc == MAMORI_ENOTFOUND) {
			ls_src_close(&r->src);
			r->plain = 0;
			snprintf(r->name, sizeof(r->name), "%s", zst);
			rc = ls_src_open(&r->src, r->dirfd, zst, 1);
		}
		if (rc == MAMORI_ENOTFOUND) {	/* expired meanwhile */
			ls_src_close(&r->src);
			continue;
		}
		if (rc != 0) {
			ls_src_close(&r->src);
			snprintf(err, errlen, "log/%s: cannot open: %s",
			    r->name, strerror(errno));
			r->segno = v[i].segno + 1;
			free(v);
			return rc;
		}
		r->segno = v[i].segno;
		r->open = 1;
		r->header_done = 0;
		r->draining = 0;
		free(v);
		return 0;
	}
	free(v);
	return MAMORI_ENOTFOUND;
}

/* Returns 1 when the plain segment being read will get no more records:
 * it was sealed (it has a checkpoint, or was compressed), or a later
 * segment exists. */
static int
segment_finished(struct logstore_reader *r)
{
	struct ls_segent *v = NULL;
	char zst[LS_NAME_MAX], ck[LS_NAME_MAX];
	size_t n = 0, i;
	int done = 0;

	ls_name(ck, sizeof(ck), r->segno, LS_SUFFIX_CKPT);
	ls_name(zst, sizeof(zst), r->segno, LS_SUFFIX_ZST);
	if (faccessat(r->dirfd, ck, F_OK, 0) == 0 ||
	    faccessat(r->dirfd, zst, F_OK, 0) == 0)
		return 1;
	if (ls_dir_scan(r->dirfd, &v, &n, 0) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].segno > r->segno && (v[i].has_seg || v[i].has_zst))
			done = 1;
	free(v);
	return done;
}

static int
corrupt(struct logstore_reader *r, char *err, size_t errlen,
    uint64_t off, const char *why)
{
	if (r->open && r->src.zerr)
		snprintf(err, errlen, "log/%s: compressed data corrupt (%s)",
		    r->name, why);
	else
		snprintf(err, errlen, "log/%s: offset %llu: %s", r->name,
		    (unsigned long long)off, why);
	next_segment(r);
	return MAMORI_ECORRUPT;
}

int
logstore_reader_next(struct logstore_reader *r, struct event **evp,
    char *err, size_t errlen)
{
	struct ls_seghdr h;
	struct ls_rec rec;
	const char *why = "";
	uint64_t off;
	int rc;

	*evp = NULL;
	for (;;) {
		if (!r->open && (rc = open_next(r, err, errlen)) != 0)
			return rc;
		if (!r->header_done) {
			rc = ls_src_header(&r->src, &h, &why);
			if (rc == MAMORI_ETRUNC && r->plain &&
			    !segment_finished(r)) {
				/* Just created; its header is on the way. */
				close_src(r);
				return MAMORI_ENOTFOUND;
			}
			if (rc == MAMORI_ETRUNC)
				return corrupt(r, err, errlen, 0,
				    "shorter than a segment header");
			if (rc == 0 && h.segno != r->segno)
				return corrupt(r, err, errlen, 0,
				    "header names another segment");
			if (rc == MAMORI_ECORRUPT)
				return corrupt(r, err, errlen, 0, why);
			if (rc != 0) {
				snprintf(err, errlen, "log/%s: cannot read: %s",
				    r->name, strerror(errno));
				next_segment(r);
				return rc;
			}
			r->header_done = 1;
		}
		off = r->src.off;
		rc = ls_src_next(&r->src, &rec, &off, &why);
		if (r->resync && !r->src.zerr && ls_src_avail(&r->src) > 0 &&
		    (rc == MAMORI_ECORRUPT || (rc == MAMORI_ETRUNC &&
		    (!r->plain || r->draining)))) {
			/* Still inside the damage: a byte further.  (A
			 * partial record at the end of the active segment
			 * may be one being written: wait for it.) */
			r->src.start++;
			r->src.off++;
			continue;
		}
		if (rc == 0) {
			r->resync = 0;
			if (rec.type != LS_REC_EVENT)
				continue;	/* expiry: for verification */
			rc = ls_event_decode(&rec, evp, &why);
			if (rc == MAMORI_ECORRUPT) {
				/* Framed and checked, so the next record
				 * starts right after it. */
				snprintf(err, errlen, "log/%s: offset %llu: %s",
				    r->name, (unsigned long long)off, why);
			}
			return rc;
		}
		if (rc == MAMORI_ENOTFOUND || rc == MAMORI_ETRUNC) {
			if (!r->plain || r->draining) {
				if (rc == MAMORI_ETRUNC)
					return corrupt(r, err, errlen, off,
					    "record cut short at the end");
				next_segment(r);
				continue;
			}
			if (!segment_finished(r))
				return MAMORI_ENOTFOUND;
			/* Sealed meanwhile: what the open file holds now is
			 * all it will ever hold.  Read it to the end. */
			r->draining = 1;
			continue;
		}
		if (rc == MAMORI_ECORRUPT && !r->src.zerr) {
			/* One bad record must not hide the rest: report it,
			 * then look for the next good one. */
			snprintf(err, errlen, "log/%s: offset %llu: %s",
			    r->name, (unsigned long long)off, why);
			r->resync = 1;
			return rc;
		}
		if (rc == MAMORI_ECORRUPT)
			return corrupt(r, err, errlen, off, why);
		snprintf(err, errlen, "log/%s: cannot read: %s", r->name,
		    strerror(errno));
		next_segment(r);
		return rc;
	}
}

void
logstore_reader_close(struct logstore_reader *r)
{
	if (r == NULL)
		return;
	close_src(r);
	close(r->dirfd);
	free(r);
}
