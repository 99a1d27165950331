/*
 * logstore-segment.c - segment files: names, the directory listing, and
 * the segment source that reads records in order from a plain (active) or
 * zstd-compressed (sealed) segment.
 *
 * The source is used by readers and by verification, which may run while
 * the writer appends: reading past the end of an active segment finds
 * nothing yet, and a record still being written is reported as partial
 * (MAMORI_ETRUNC), not as corrupt.  Memory is bounded by the longest
 * record (LS_REC_MAX) plus zstd's buffers, whose window is capped so that
 * a hostile .zst file cannot make the decoder allocate much.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/error.h"
#include "store/logstore-int.h"

/* Decoder window cap: 16 MiB.  The writer compresses at levels up to 19,
 * whose windows are at most 8 MiB. */
#define LS_ZSTD_WINDOWLOG_MAX	24
#define LS_SRC_MINCAP		(256u << 10)

void
ls_name(char *buf, size_t len, uint64_t segno, const char *suffix)
{
	snprintf(buf, len, "%06llu%s", (unsigned long long)segno, suffix);
}

int
ls_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, b, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return MAMORI_EIO;
		}
		if (w == 0) {
			errno = ENOSPC;
			return MAMORI_EIO;
		}
		b += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Parses "NNNNNN<suffix>"; returns the kind (1 seg, 2 zst, 3 ckpt) or 0. */
static int
parse_name(const char *name, uint64_t *segno)
{
	const char *p = name;
	uint64_t v = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (digits++ >= 19)
			return 0;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (digits == 0)
		return 0;
	*segno = v;
	if (strcmp(p, LS_SUFFIX_SEG) == 0)
		return 1;
	if (strcmp(p, LS_SUFFIX_ZST) == 0)
		return 2;
	if (strcmp(p, LS_SUFFIX_CKPT) == 0)
		return 3;
	return 0;
}

static int
cmp_segent(const void *a, const void *b)
{
	const struct ls_segent *x = a, *y = b;

	return x->segno < y->segno ? -1 : x->segno > y->segno;
}

int
ls_dir_scan(int dirfd, struct ls_segent **vp, size_t *np, int remove_tmp)
{
	struct ls_segent *v = NULL, *nv;
	size_t n = 0, cap = 0, i, o;
	struct dirent *de;
	uint64_t segno;
	DIR *d;
	int fd, kind;

	*vp = NULL;
	*np = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return MAMORI_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return MAMORI_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (remove_tmp && len > 4 &&
		    strcmp(de->d_name + len - 4, ".tmp") == 0) {
			unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		if ((kind = parse_name(de->d_name, &segno)) == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return MAMORI_ENOMEM;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].segno = segno;
		v[n].has_seg = kind == 1;
		v[n].has_zst = kind == 2;
		v[n].has_ckpt = kind == 3;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_segent);
	/* Merge the entries of one number. */
	for (i = 0, o = 0; i < n; i++) {
		if (o > 0 && v[o - 1].segno == v[i].segno) {
			v[o - 1].has_seg |= v[i].has_seg;
			v[o - 1].has_zst |= v[i].has_zst;
			v[o - 1].has_ckpt |= v[i].has_ckpt;
		} else
			v[o++] = v[i];
	}
	*vp = v;
	*np = o;
	return 0;
}

int
ls_src_open_fd(struct ls_src *s, int fd, int zst)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->zst = zst;
	if (zst) {
		s->incap = ZSTD_DStreamInSize();
		if ((s->dctx = ZSTD_createDCtx()) == NULL ||
		    (s->in = malloc(s->incap)) == NULL)
			return MAMORI_ENOMEM;
		if (ZSTD_isError(ZSTD_DCtx_setParameter(s->dctx,
		    ZSTD_d_windowLogMax, LS_ZSTD_WINDOWLOG_MAX)))
			return MAMORI_ENOMEM;
	}
	return 0;
}

int
ls_src_open(struct ls_src *s, int dirfd, const char *name, int zst)
{
	int fd;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MAMORI_ENOTFOUND : MAMORI_EIO;
	return ls_src_open_fd(s, fd, zst);
}

void
ls_src_close(struct ls_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	ZSTD_freeDCtx(s->dctx);
	free(s->in);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static int
read_some(int fd, uint8_t *p, size_t n, size_t *got)
{
	ssize_t r;

	for (;;) {
		r = read(fd, p, n);
		if (r >= 0) {
			*got = (size_t)r;
			return 0;
		}
		if (errno != EINTR)
			return MAMORI_EIO;
	}
}

int
ls_src_fill(struct ls_src *s, size_t want, const char **why)
{
	size_t got, ncap;
	uint8_t *nb;
	int rc;

	if (ls_src_avail(s) >= want)
		return 0;
	if (s->start > 0 && s->cap - s->start < want) {
		memmove(s->buf, s->buf + s->start, ls_src_avail(s));
		s->end -= s->start;
		s->start = 0;
	}
	if (s->cap < want) {
		ncap = want < LS_SRC_MINCAP ? LS_SRC_MINCAP : want;
		if ((nb = realloc(s->buf, ncap)) == NULL)
			return MAMORI_ENOMEM;
		s->buf = nb;
		s->cap = ncap;
	}
	while (ls_src_avail(s) < want) {
		if (!s->zst) {
			if ((rc = read_some(s->fd, s->buf + s->end,
			    s->cap - s->end, &got)) != 0)
				return rc;
			if (got == 0)
				break;
			s->end += got;
			continue;
		}
		if (s->inpos == s->inlen && !s->in_eof) {
			if ((rc = read_some(s->fd, s->in, s->incap, &got)) != 0)
				return rc;
			s->inpos = 0;
			s->inlen = got;
			if (got == 0)
				s->in_eof = 1;
		}
		if (s->inpos == s->inlen && s->in_eof) {
			if (s->frame_open) {
				*why = "data is cut short";
				s->zerr = 1;
				return MAMORI_ECORRUPT;
			}
			break;
		} else {
			ZSTD_inBuffer in = { s->in, s->inlen, s->inpos };
			ZSTD_outBuffer out = { s->buf + s->end,
			    s->cap - s->end, 0 };
			size_t r = ZSTD_decompressStream(s->dctx, &out, &in);

			if (ZSTD_isError(r)) {
				*why = ZSTD_getErrorName(r);
				s->zerr = 1;
				return MAMORI_ECORRUPT;
			}
			s->inpos = in.pos;
			s->end += out.pos;
			s->frame_open = r != 0;
		}
	}
	return 0;
}

int
ls_src_header(struct ls_src *s, struct ls_seghdr *h, const char **why)
{
	int rc;

	if ((rc = ls_src_fill(s, LS_SEG_HDR_LEN, why)) != 0)
		return rc;
	if (ls_src_avail(s) < LS_SEG_HDR_LEN)
		return MAMORI_ETRUNC;
	if ((rc = ls_seghdr_decode(s->buf + s->start, h, why)) != 0)
		return rc;
	s->start += LS_SEG_HDR_LEN;
	s->off += LS_SEG_HDR_LEN;
	return 0;
}

int
ls_src_next(struct ls_src *s, struct ls_rec *r, uint64_t *recoff,
    const char **why)
{
	int rc;

	if ((rc = ls_src_fill(s, 8, why)) != 0)
		return rc;
	if (ls_src_avail(s) == 0)
		return MAMORI_ENOTFOUND;
	rc = ls_rec_frame(s->buf + s->start, ls_src_avail(s), r, why);
	if (rc == MAMORI_ETRUNC && ls_src_avail(s) >= 8) {
		/* The length was checked against LS_REC_MAX by the frame. */
		if ((rc = ls_src_fill(s, ls_get32(s->buf + s->start + 4),
		    why)) != 0)
			return rc;
		rc = ls_rec_frame(s->buf + s->start, ls_src_avail(s), r, why);
	}
	if (rc != 0)
		return rc;
	*recoff = s->off;
	s->start += r->len;
	s->off += r->len;
	return 0;
}
