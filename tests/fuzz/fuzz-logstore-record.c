/*
 * fuzz-logstore-record.c - libFuzzer harness for what the log store reads
 * back from disk: the segment header, record framing (ls_rec_frame()),
 * event and expiry decoding, and the whole read path over a directory
 * (logstore_reader_*() and logstore_verify()).  Whoever can write the
 * data directory can put anything there, so a corrupted store is
 * untrusted input; it must give errors, never a crash, a leak, a loop or
 * an allocation beyond LS_REC_MAX.
 *
 * Input: bytes 0 and 1 say how to lay the store out, the rest is a
 * segment file (an 80-byte header, then records).  If byte 0 says so, the
 * bytes from the first "MAMORISG" after the header on are a second
 * segment.  Byte 0:
 *
 *   0x01  fix: first give each header the right segment number, chain
 *         start and CRC, and every record that can be framed (magic and a
 *         length that fits) the right chain hash and CRC, so that
 *         mutations get past the checksums to the decoders and to
 *         verification's chain logic;
 *   0x06  segment 1 is stored as: 0 the active NNNNNN.seg; 2 .seg.zst
 *         compressed here; 4 .seg.zst holding the bytes as they are (a
 *         damaged zstd stream); 6 a .seg with a checkpoint (sealed, not
 *         compressed yet).  All but 0 get a checkpoint made with the key,
 *         with the ranges and last record that the segment's records give;
 *   0x08  write a keyed head naming the last record framed;
 *   0x10  split off a second segment (active, plain);
 *   0x20  segment 1's checkpoint says retention expired it (by the first
 *         expiry record of segment 2, if any), and with a second segment
 *         its file is gone.
 *
 * Byte 1:
 *
 *   0x07  spoil the checkpoint: 1 last seq - 1, 2 last seq + 1, 3 another
 *         last hash, 4 a bad MAC, 5 another key id, 6 a short file,
 *         7 first seq + 1;
 *   0x08  the reader asks for receive times after segment 1's;
 *   0x10  ... and for event times before them;
 *   0x20  spoil the head's hash;
 *   0x40  with fix, redo only the CRCs: a record changed with care, so
 *         that chain hash mismatches, reordering and insertion show.
 *
 * Checked besides what the sanitizers catch: what decodes lies inside
 * its data and encodes back to the same bytes; the reader ends (at most
 * one call per input byte) with sane messages, and skips a sealed
 * segment outside the ranges asked for; verification's verdict and
 * counts agree with an independent walk, and a spoilt checkpoint or head
 * never passes; and, for a lone active segment, the reader returns
 * exactly the events that walk decodes, with one report per stretch of
 * damage.  Run with -malloc_limit_mb=64 to hold allocations to their
 * bound (LS_REC_MAX plus zstd's capped window).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/error.h"
#include "core/event.h"
#include "store/logsearch.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

#define M_FIX		0x01
#define M_STORE		0x06
#define  M_PLAIN	0x00
#define  M_ZST		0x02
#define  M_ZST_RAW	0x04
#define  M_SEG_CKPT	0x06
#define M_HEAD		0x08
#define M_SPLIT		0x10
#define M_EXPIRED	0x20

#define T_CKPT		0x07
#define  T_LAST_DOWN	1
#define  T_LAST_UP	2
#define  T_HASH		3
#define  T_MAC		4
#define  T_KEYID	5
#define  T_SHORT	6
#define  T_FIRST	7
#define T_RECV_AFTER	0x08
#define T_TIME_BEFORE	0x10
#define T_HEAD_HASH	0x20
#define T_CRC_ONLY	0x40

/* Events are at least 136 bytes, so a walk keeps them all. */
#define INPUT_MAX	(64u << 10)
#define PLAIN_MAX	(4 * INPUT_MAX)	/* a .seg.zst as given, decompressed */
#define EVENTS_MAX	(INPUT_MAX / (LS_REC_MIN + LS_EVENT_FIXED) + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set up once: a scratch store and a fixed key (the harness must be
 * deterministic). */
static struct {
	int		 ready;
	char		 root[256], data[300], key[300];
	int		 logfd;
	struct ls_key	 k;
	struct ls_hasher h;
	FILE		*null;
} g;

/* What the independent walk over a segment's bytes found. */
struct walk {
	size_t		 len;		/* of the segment */
	int		 hdr_ok;
	uint64_t	 hdr_segno, hdr_first_seq;
	int		 clean;		/* records back to back, none bad,
					   up to the end or a partial one */
	uint64_t	 nrec;		/* records framed */
	uint64_t	 nbad_runs;	/* stretches of bad bytes */
	uint64_t	 ndecode_bad;	/* framed events that do not decode */
	int		 have_last;
	uint64_t	 last_seq;
	uint8_t		 last_hash[LS_HASH_LEN];
	int		 have_expiry;
	uint64_t	 expiry_seq;
	int		 have_times;
	int64_t		 min_recv, max_recv, min_time, max_time;
	struct event	*ev[EVENTS_MAX];
	size_t		 nev;
};

static void
clean_dir(void)
{
	DIR *d;
	struct dirent *de;
	int fd;

	if ((fd = openat(g.logfd, ".", O_RDONLY | O_DIRECTORY)) < 0 ||
	    (d = fdopendir(fd)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(g.logfd, de->d_name, 0);
	closedir(d);
}

static void
teardown(void)
{
	char path[400];

	if (!g.ready)
		return;
	clean_dir();
	close(g.logfd);
	snprintf(path, sizeof(path), "%s/log", g.data);
	rmdir(path);
	rmdir(g.data);
	unlink(g.key);
	rmdir(g.root);
	ls_hasher_release(&g.h);
	fclose(g.null);
	g.ready = 0;
}

static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char path[400], err[256];
	FILE *f;

	snprintf(g.root, sizeof(g.root), "%s/fuzz-logstore-XXXXXX", base);
	if (mkdtemp(g.root) == NULL)
		abort();
	snprintf(g.data, sizeof(g.data), "%s/data", g.root);
	snprintf(g.key, sizeof(g.key), "%s/seal.key", g.root);
	snprintf(path, sizeof(path), "%s/log", g.data);
	if (mkdir(g.data, 0700) != 0 || mkdir(path, 0700) != 0 ||
	    (g.logfd = open(path, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	if ((f = fopen(g.key, "w")) == NULL)
		abort();
	fputs("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", f);
	fclose(f);
	if (ls_key_load(g.key, 0, &g.k, err, sizeof(err)) != 0 ||
	    ls_hasher_init(&g.h) != 0 ||
	    (g.null = fopen("/dev/null", "w")) == NULL)
		abort();
	g.ready = 1;
	atexit(teardown);
}

/*
 * Rewrites a segment's header (number, chain start, CRC) and the chain
 * hash (unless crc_only) and CRC of every record it can frame, chaining
 * from prev, which is left at the last record's hash.
 */
static void
fixup(uint8_t *p, size_t len, uint64_t segno, uint8_t prev[LS_HASH_LEN],
    int crc_only)
{
	size_t off = LS_SEG_HDR_LEN;
	uint32_t l;

	if (len < LS_SEG_HDR_LEN)
		return;
	ls_put64(p + 16, segno);
	memcpy(p + 32, prev, LS_HASH_LEN);
	ls_put32(p + 76, ls_crc32c(p, 76));
	while (len - off >= 8) {
		l = ls_get32(p + off + 4);
		if (p[off] != LS_REC_MAGIC0 || p[off + 1] != LS_REC_MAGIC1 ||
		    l < LS_REC_MIN || l > LS_REC_MAX || l > len - off) {
			off++;
			continue;
		}
		if (crc_only) {
			memcpy(prev, p + off + l - LS_REC_TRAILER_LEN,
			    LS_HASH_LEN);
			ls_put32(p + off + l - 4, ls_crc32c(p + off, l - 4));
		} else
			ls_rec_finish(&g.h, prev, p + off, l, NULL, prev);
		off += l;
	}
}

static void
check_event(const struct event *ev)
{
	const struct event_field *f[6] = { &ev->host, &ev->app,
	    &ev->procid, &ev->msgid, &ev->sd, &ev->msg };
	int i;

	if (ev->data_len > ev->data_cap || ev->raw_len > ev->data_len)
		abort();
	for (i = 0; i < 6; i++)
		if ((uint64_t)f[i]->off + f[i]->len > ev->data_len)
			abort();
	if (memchr(ev->src, '\0', sizeof(ev->src)) == NULL)
		abort();
}

/* Shows ev as search does, in both forms. */
static void
render(const struct event *ev)
{
	json_t *j;
	char *s;

	if (logsearch_print_text(g.null, ev) != 0)
		abort();
	if ((j = logsearch_event_json(ev)) == NULL ||
	    (s = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	free(s);
	json_decref(j);
}

static int
field_eq(const struct event_field *a, const struct event_field *b)
{
	return a->len == b->len && (a->len == 0 || a->off == b->off);
}

/* Equal as stored: empty fields' offsets and src past its NUL aside. */
static int
event_eq(const struct event *a, const struct event *b)
{
	return a->seq == b->seq && a->recv_ns == b->recv_ns &&
	    a->ts_ns == b->ts_ns && a->tz_min == b->tz_min &&
	    a->listener == b->listener && a->format == b->format &&
	    a->facility == b->facility && a->severity == b->severity &&
	    a->flags == b->flags && field_eq(&a->host, &b->host) &&
	    field_eq(&a->app, &b->app) && field_eq(&a->procid, &b->procid) &&
	    field_eq(&a->msgid, &b->msgid) && field_eq(&a->sd, &b->sd) &&
	    field_eq(&a->msg, &b->msg) && strcmp(a->src, b->src) == 0 &&
	    a->raw_len == b->raw_len && a->data_len == b->data_len &&
	    memcmp(a->data, b->data, a->data_len) == 0;
}

/* Encodes ev again and checks that it frames and decodes to the same
 * event, and, when nothing was normalised, to the same bytes as r. */
static void
check_roundtrip(const struct ls_rec *r, const struct event *ev)
{
	const struct event_field *f[6] = { &ev->host, &ev->app,
	    &ev->procid, &ev->msgid, &ev->sd, &ev->msg };
	uint8_t zero[LS_HASH_LEN] = { 0 }, hash[LS_HASH_LEN], *buf;
	struct ls_rec r2;
	struct event *ev2;
	const char *why;
	size_t len;
	int toobig, i, same = 1;

	if ((len = ls_event_rec_len(ev, &toobig)) == 0 || toobig)
		abort();
	if ((buf = malloc(len)) == NULL)
		abort();
	ls_event_encode(ev, ev->seq, buf, len);
	ls_rec_finish(&g.h, zero, buf, len, NULL, hash);
	if (ls_rec_frame(buf, len, &r2, &why) != 0 || r2.len != len ||
	    ls_event_decode(&r2, &ev2, &why) != 0)
		abort();
	if (!event_eq(ev, ev2))
		abort();
	for (i = 0; i < 6; i++)
		if (f[i]->len == 0 && f[i]->off != 0)
			same = 0;
	if (strlen(ev->src) != r->p[LS_REC_HDR_LEN + 23])
		same = 0;
	if (same && (len != r->len || memcmp(buf, r->p, 3) != 0 ||
	    memcmp(buf + 4, r->p + 4, len - 4 - LS_REC_TRAILER_LEN) != 0))
		abort();
	event_free(ev2);
	free(buf);
}

static void
check_expiry(const struct ls_rec *r)
{
	struct ls_expiry x;
	uint8_t buf[LS_EXPIRY_REC_LEN];

	if (ls_expiry_decode(r, &x) != 0)
		abort();
	ls_expiry_encode(&x, r->seq, buf);
	/* Equal but for the reserved bytes (3, and 84..88 of the body),
	 * which readers ignore. */
	if (memcmp(buf, r->p, 3) != 0 ||
	    memcmp(buf + 4, r->p + 4, LS_REC_HDR_LEN + 84 - 4) != 0)
		abort();
}

/*
 * Walks p[0..len) as the reader does, with the functions underneath it:
 * the header, then records, a byte at a time through damage, to the end
 * or to the first partial record.
 */
static void
walk_segment(const uint8_t *p, size_t len, struct walk *w, int keep)
{
	struct ls_seghdr h;
	struct ls_rec r;
	struct event *ev;
	const char *why;
	size_t off = LS_SEG_HDR_LEN;
	int64_t recv, t;
	int rc, in_bad = 0;

	w->len = len;
	if (len < LS_SEG_HDR_LEN)
		return;
	why = NULL;
	if ((rc = ls_seghdr_decode(p, &h, &why)) != 0) {
		if (rc != MAMORI_ECORRUPT || why == NULL)
			abort();
		return;
	}
	w->hdr_ok = 1;
	w->hdr_segno = h.segno;
	w->hdr_first_seq = h.first_seq;
	w->clean = 1;
	while (off < len) {
		why = NULL;
		rc = ls_rec_frame(p + off, len - off, &r, &why);
		if (rc == MAMORI_ETRUNC)
			break;
		if (rc == MAMORI_ECORRUPT) {
			if (why == NULL)
				abort();
			if (!in_bad)
				w->nbad_runs++;
			in_bad = 1;
			w->clean = 0;
			off++;
			continue;
		}
		if (rc != 0 || r.p != p + off || r.len > len - off ||
		    r.len < LS_REC_MIN || r.hash != r.p + r.len - 36)
			abort();
		in_bad = 0;
		w->nrec++;
		w->have_last = 1;
		w->last_seq = r.seq;
		memcpy(w->last_hash, r.hash, LS_HASH_LEN);
		if (r.type == LS_REC_EXPIRY) {
			check_expiry(&r);
			if (!w->have_expiry) {
				w->have_expiry = 1;
				w->expiry_seq = r.seq;
			}
		} else if ((rc = ls_event_decode(&r, &ev, &why)) == 0) {
			check_event(ev);
			if (ev->seq != r.seq)
				abort();
			if (ls_event_times(&r, &recv, &t) != 0 ||
			    recv != ev->recv_ns || t !=
			    (ev->flags & EVENT_F_HAS_TS ? ev->ts_ns : recv))
				abort();
			check_roundtrip(&r, ev);
			if (!w->have_times) {
				w->have_times = 1;
				w->min_recv = w->max_recv = recv;
				w->min_time = w->max_time = t;
			}
			w->min_recv = recv < w->min_recv ? recv : w->min_recv;
			w->max_recv = recv > w->max_recv ? recv : w->max_recv;
			w->min_time = t < w->min_time ? t : w->min_time;
			w->max_time = t > w->max_time ? t : w->max_time;
			if (keep && w->nev < EVENTS_MAX)
				w->ev[w->nev++] = ev;
			else
				event_free(ev);
		} else if (rc != MAMORI_ECORRUPT || ev != NULL)
			abort();
		else
			w->ndecode_bad++;
		off += r.len;
	}
}

static void
walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->nev; i++)
		event_free(w->ev[i]);
}

static void
write_file(const char *name, const uint8_t *p, size_t len)
{
	int fd;

	if ((fd = openat(g.logfd, name, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) < 0 || ls_pwrite_all(fd, p, len, 0) != 0)
		abort();
	close(fd);
}

static void
write_segment(uint64_t segno, int how, const uint8_t *p, size_t len)
{
	char name[LS_NAME_MAX];
	uint8_t *z;
	size_t zlen;

	if (how == M_PLAIN || how == M_SEG_CKPT) {
		ls_name(name, sizeof(name), segno, LS_SUFFIX_SEG);
		write_file(name, p, len);
		return;
	}
	ls_name(name, sizeof(name), segno, LS_SUFFIX_ZST);
	if (how == M_ZST_RAW) {
		write_file(name, p, len);
		return;
	}
	zlen = ZSTD_compressBound(len);
	if ((z = malloc(zlen)) == NULL)
		abort();
	zlen = ZSTD_compress(z, zlen, p, len, 1);
	if (ZSTD_isError(zlen))
		abort();
	write_file(name, z, zlen);
	free(z);
}

/*
 * Reads the store as a search does, within [rmin, rmax] receive time and
 * [tmin, tmax] event time (the reader only skips sealed segments with
 * them); returns the number of events.  With cmp, the store is one active
 * segment and the events must be the ones cmp decoded.
 */
static size_t
read_store(size_t size, int64_t rmin, int64_t rmax, int64_t tmin,
    int64_t tmax, const struct walk *cmp)
{
	struct logstore_reader *r;
	struct event *ev;
	size_t calls = 0, nev = 0, nbad = 0;
	char err[512];
	int rc, good_hdr;

	if ((r = logstore_reader_open(g.data, err, sizeof(err))) == NULL)
		abort();
	logstore_reader_set_range(r, rmin, rmax);
	logstore_reader_set_event_range(r, tmin, tmax);
	for (;;) {
		if (++calls > size + 16)
			abort();	/* not getting anywhere */
		memset(err, 0x55, sizeof(err));
		rc = logstore_reader_next(r, &ev, err, sizeof(err));
		if (rc == MAMORI_ENOTFOUND) {
			if (ev != NULL)
				abort();
			break;
		}
		if (rc == MAMORI_ECORRUPT) {
			if (ev != NULL || memchr(err, '\0', sizeof(err)) ==
			    NULL || strncmp(err, "log/", 4) != 0)
				abort();
			nbad++;
			continue;
		}
		if (rc != 0 || ev == NULL)
			abort();
		check_event(ev);
		render(ev);
		if (cmp != NULL && (nev >= cmp->nev || !cmp->hdr_ok ||
		    !event_eq(ev, cmp->ev[nev])))
			abort();
		nev++;
		event_free(ev);
	}
	logstore_reader_close(r);
	if (cmp != NULL) {
		/* One report per stretch of damage and per event that does
		 * not decode; or, for a bad header, one and nothing else. */
		good_hdr = cmp->hdr_ok && cmp->hdr_segno == 1;
		if (nev != (good_hdr ? cmp->nev : 0))
			abort();
		if (good_hdr ? nbad != cmp->nbad_runs + cmp->ndecode_bad :
		    nbad != (cmp->len >= LS_SEG_HDR_LEN))
			abort();
	}
	return nev;
}

/* Writes segment 1's checkpoint from what the walk found, spoilt as
 * byte 1 says; expired (with mode), by the record at expiry_seq. */
static void
write_ckpt(const struct walk *w, int mode, int tamper, uint64_t expiry_seq)
{
	uint8_t raw[LS_CKPT_LEN];
	char name[LS_NAME_MAX];
	struct ls_ckpt c;

	memset(&c, 0, sizeof(c));
	c.segno = 1;
	c.first_seq = w->hdr_ok ? w->hdr_first_seq : 1;
	c.last_seq = w->have_last ? w->last_seq : c.first_seq - 1;
	memcpy(c.last_hash, w->last_hash, LS_HASH_LEN);
	c.raw_bytes = w->len;
	if (w->have_times) {
		c.min_recv_ns = w->min_recv;
		c.max_recv_ns = w->max_recv;
		c.min_time_ns = w->min_time;
		c.max_time_ns = w->max_time;
	}
	if (mode & M_EXPIRED) {
		c.expired_ns = 1;
		c.expiry_reason = LS_EXPIRE_AGE;
		c.expiry_seq = expiry_seq;
	}
	switch (tamper & T_CKPT) {
	case T_LAST_DOWN:
		c.last_seq--;
		break;
	case T_LAST_UP:
		c.last_seq++;
		break;
	case T_HASH:
		c.last_hash[7] ^= 0x20;
		break;
	case T_FIRST:
		c.first_seq++;
		break;
	}
	ls_ckpt_encode(&c, &g.k, raw);
	if ((tamper & T_CKPT) == T_MAC)
		raw[LS_CKPT_LEN - 1] ^= 1;
	if ((tamper & T_CKPT) == T_KEYID)
		raw[168] ^= 1;
	ls_name(name, sizeof(name), 1, LS_SUFFIX_CKPT);
	write_file(name, raw, (tamper & T_CKPT) == T_SHORT ? LS_CKPT_LEN - 1 :
	    LS_CKPT_LEN);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logstore_verify_result res;
	struct walk w1, w2;
	struct ls_head hd;
	uint8_t *seg, *s2 = NULL, *plain = NULL, prev[LS_HASH_LEN] = { 0 };
	int64_t rmin = INT64_MIN, tmax = INT64_MAX;
	size_t n, n1, n2 = 0, zlen, nev;
	int mode, tamper, how, split = 0, lone, ckpt, rc, t;

	if (size < 2 || size > INPUT_MAX)
		return 0;
	if (!g.ready)
		setup();
	mode = data[0];
	tamper = data[1];
	how = mode & M_STORE;
	n = size - 2;
	if ((seg = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(seg, data + 2, n);
	n1 = n;
	if ((mode & M_SPLIT) && n > LS_SEG_HDR_LEN &&
	    (s2 = memmem(seg + LS_SEG_HDR_LEN, n - LS_SEG_HDR_LEN,
	    LS_SEG_MAGIC, 8)) != NULL) {
		split = 1;
		n1 = (size_t)(s2 - seg);
		n2 = n - n1;
	}
	if (mode & M_FIX) {
		fixup(seg, n1, 1, prev, tamper & T_CRC_ONLY);
		if (split)
			fixup(s2, n2, 2, prev, tamper & T_CRC_ONLY);
	}
	lone = !split && how == M_PLAIN && !(mode & M_EXPIRED);
	ckpt = how != M_PLAIN || (mode & M_EXPIRED);

	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	if (how == M_ZST_RAW) {
		/* Walk what it decompresses to, for its checkpoint. */
		if ((plain = malloc(PLAIN_MAX)) == NULL)
			abort();
		zlen = ZSTD_decompress(plain, PLAIN_MAX, seg, n1);
		if (!ZSTD_isError(zlen))
			walk_segment(plain, zlen, &w1, 0);
	} else
		walk_segment(seg, n1, &w1, lone);
	if (split)
		walk_segment(s2, n2, &w2, 0);

	clean_dir();
	if (!(split && (mode & M_EXPIRED)))
		write_segment(1, how, seg, n1);
	if (ckpt)
		write_ckpt(&w1, mode, tamper, w2.have_expiry ? w2.expiry_seq :
		    w1.last_seq + 1);
	if (split)
		write_segment(2, M_PLAIN, s2, n2);
	memset(&hd, 0, sizeof(hd));
	if (mode & M_HEAD) {
		if (w2.have_last) {
			hd.seq = w2.last_seq;
			hd.segno = 2;
			memcpy(hd.hash, w2.last_hash, LS_HASH_LEN);
		} else if (w1.have_last) {
			hd.seq = w1.last_seq;
			hd.segno = 1;
			memcpy(hd.hash, w1.last_hash, LS_HASH_LEN);
		}
		if (tamper & T_HEAD_HASH)
			hd.hash[0] ^= 0x80;
		if (ls_head_write(g.logfd, &hd, &g.k) != 0)
			abort();
	}

	if ((tamper & T_RECV_AFTER) && w1.have_times &&
	    w1.max_recv < INT64_MAX)
		rmin = w1.max_recv + 1;
	if ((tamper & T_TIME_BEFORE) && w1.have_times &&
	    w1.min_time > INT64_MIN)
		tmax = w1.min_time - 1;
	nev = read_store(size, rmin, INT64_MAX, INT64_MIN, tmax,
	    lone ? &w1 : NULL);
	/* A sealed lone segment outside the range is not read at all. */
	if (!split && ckpt && (tamper & T_CKPT) != T_SHORT &&
	    (rmin != INT64_MIN || tmax != INT64_MAX) && nev != 0)
		abort();

	rc = logstore_verify(g.data, g.key, &res);
	if (memchr(res.msg, '\0', sizeof(res.msg)) == NULL || res.msg[0] ==
	    '\0')
		abort();
	if (rc != 0 && rc != MAMORI_ECORRUPT &&
	    !(rc == MAMORI_EKEY && ckpt && (tamper & T_CKPT) == T_KEYID))
		abort();	/* never ESYS or ENOMEM here */
	if (rc == 0 && (strncmp(res.msg, "intact: ", 8) != 0 ||
	    !(mode & M_HEAD)))
		abort();
	/* A head with another hash for a record that was checked. */
	if (rc == 0 && (tamper & T_HEAD_HASH) && res.records > 0 &&
	    hd.seq >= res.first_seq && hd.seq <= res.last_seq)
		abort();
	/* A checkpoint that fails its MAC, names another key or has the
	 * wrong size never passes; one re-MACed with other numbers passes
	 * only for an expired segment, whose records are gone. */
	t = tamper & T_CKPT;
	if (rc == 0 && ckpt && (t == T_MAC || t == T_KEYID || t == T_SHORT ||
	    (t != 0 && !(mode & M_EXPIRED))))
		abort();
	/* A lone active segment is intact when its header is good and its
	 * records follow each other up to its end (or to a partial one,
	 * being written); shorter than a header, it is one just created. */
	if (rc == 0 && lone && (n1 < LS_SEG_HDR_LEN ?
	    res.records != 0 || res.segments != 0 :
	    !w1.hdr_ok || !w1.clean || res.records != w1.nrec ||
	    res.segments != 1))
		abort();
	if (rc == 0 && res.records > 0 &&
	    res.last_seq != res.first_seq + res.records - 1)
		abort();

	walk_free(&w1);
	walk_free(&w2);
	free(plain);
	free(seg);
	return 0;
}
