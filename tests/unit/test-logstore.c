/*
 * test-logstore.c - the raw log store: round trip of every field, sealing,
 * retention, crash repair, concurrent reading, and verification against
 * every kind of tampering (each with the exact message expected).
 *
 * Sealed segments are compressed by the store's background thread;
 * wait_compressed() waits for it where a test needs the .seg.zst, and
 * ls_zq_hold() keeps it from starting where a test needs the sealed .seg.
 *
 * Tampering is done the way an attacker with write access to the data
 * directory would: on the files, following the format in
 * docs/storage.md, recomputing CRCs and chain hashes where that helps
 * him.  The internal header gives the helpers for that (CRC, SHA-256).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "store/logstore-int.h"
#include "store/logstore.h"
#include "test.h"

#define T0	(1764300000LL * NS_PER_SEC)	/* 2025-11-28 */

static char tmproot[256];
static int ntmp;

/* Notices, kept for the checks. */
static char notices[64][512];
static int nnotices;

static void
on_notice(void *arg, const char *msg)
{
	(void)arg;
	if (nnotices < 64)
		snprintf(notices[nnotices++], sizeof(notices[0]), "%s", msg);
}

static int
has_notice(const char *s)
{
	int i;

	for (i = 0; i < nnotices; i++)
		if (strcmp(notices[i], s) == 0)
			return 1;
	fprintf(stderr, "notice not found: \"%s\"; have:\n", s);
	for (i = 0; i < nnotices; i++)
		fprintf(stderr, "  \"%s\"\n", notices[i]);
	return 0;
}

static int
has_notice_quiet(const char *s)
{
	int i;

	for (i = 0; i < nnotices; i++)
		if (strcmp(notices[i], s) == 0)
			return 1;
	return 0;
}

static int
has_notice_prefix(const char *s)
{
	int i;

	for (i = 0; i < nnotices; i++)
		if (strncmp(notices[i], s, strlen(s)) == 0)
			return 1;
	fprintf(stderr, "no notice starts with \"%s\"\n", s);
	return 0;
}

struct env {
	char	dir[300];	/* data directory */
	char	log[320];	/* its log/ */
	char	key[300];
	struct logstore_opts o;
};

static void
env_init(struct env *e)
{
	snprintf(e->dir, sizeof(e->dir), "%s/t%d/data", tmproot, ntmp);
	snprintf(e->log, sizeof(e->log), "%s/log", e->dir);
	snprintf(e->key, sizeof(e->key), "%s/t%d/keys/seal.key", tmproot,
	    ntmp);
	ntmp++;
	memset(&e->o, 0, sizeof(e->o));
	e->o.dir = e->dir;
	e->o.key_path = e->key;
	e->o.segment_bytes = 64 << 20;
	e->o.zstd_level = 3;
	e->o.notice = on_notice;
	nnotices = 0;
}

static struct logstore *
env_open(struct env *e)
{
	char err[512] = "";
	struct logstore *ls;
	char parent[320];

	snprintf(parent, sizeof(parent), "%s", e->dir);
	*strrchr(parent, '/') = '\0';
	mkdir(parent, 0700);
	if ((ls = logstore_open(&e->o, err, sizeof(err))) == NULL)
		fprintf(stderr, "logstore_open: %s\n", err);
	return ls;
}

static void
path_of(const struct env *e, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", e->log, name);
}

/* Builds an event as a syslog parser would, with every field set.  Odd
 * i get a host name derived from the sender, stored beyond raw_len. */
static void
addpart(char *raw, size_t *n, const char *s, struct event_field *f)
{
	size_t l = strlen(s);

	memcpy(raw + *n, s, l);
	if (f != NULL) {
		f->off = (uint32_t)*n;
		f->len = (uint32_t)l;
	}
	*n += l;
}

static struct event *
mkevent(uint64_t i, int64_t recv)
{
	char raw[512], tmp[128];
	struct event_field host = { 0, 0 }, app, procid, msgid, sd, msg;
	struct event *ev;
	size_t n = 0;

	snprintf(tmp, sizeof(tmp), "<%d>1 2025-11-28T13:37:02.123456+09:00 ",
	    4 * 8 + (int)(i % 8));
	addpart(raw, &n, tmp, NULL);
	if (i % 2 == 0) {
		snprintf(tmp, sizeof(tmp), "web%d", (int)(i % 5));
		addpart(raw, &n, tmp, &host);
	} else
		addpart(raw, &n, "-", NULL);
	addpart(raw, &n, " ", NULL);
	addpart(raw, &n, "sshd", &app);
	addpart(raw, &n, " ", NULL);
	snprintf(tmp, sizeof(tmp), "%d", 1000 + (int)(i % 100));
	addpart(raw, &n, tmp, &procid);
	addpart(raw, &n, " ", NULL);
	addpart(raw, &n, "ID47", &msgid);
	addpart(raw, &n, " ", NULL);
	snprintf(tmp, sizeof(tmp), "[ex@32473 i=\"%llu\"]",
	    (unsigned long long)i);
	addpart(raw, &n, tmp, &sd);
	addpart(raw, &n, " ", NULL);
	snprintf(tmp, sizeof(tmp), "message %llu: Failed password for root "
	    "from 198.51.100.7 port 22 ssh2", (unsigned long long)i);
	addpart(raw, &n, tmp, &msg);
	if ((ev = event_new((const uint8_t *)raw, n, 64)) == NULL)
		return NULL;
	ev->recv_ns = recv;
	ev->ts_ns = recv - 5 * NS_PER_SEC;
	ev->tz_min = (int16_t)(i % 3 == 0 ? 540 : -300);
	ev->listener = (uint16_t)(i % 4);
	ev->format = EVENT_FMT_5424;
	ev->facility = 4;
	ev->severity = (int8_t)(i % 8);
	ev->flags = EVENT_F_HAS_TS | (i % 3 == 0 ? EVENT_F_TRUNCATED : 0);
	ev->app = app;
	ev->procid = procid;
	ev->msgid = msgid;
	ev->sd = sd;
	ev->msg = msg;
	ev->host = host;
	if (i % 2 == 1) {
		snprintf(tmp, sizeof(tmp), "192.0.2.%d", (int)(i % 250));
		event_add_string(ev, &ev->host, tmp, strlen(tmp));
		ev->flags |= EVENT_F_HOST_FROM_SRC;
	}
	snprintf(ev->src, sizeof(ev->src), "[2001:db8::%x]:%d",
	    (unsigned)(i % 65536), 514 + (int)(i % 3));
	return ev;
}

/* Appends the events first..first+n-1 (as mkevent() makes them), as a
 * server appends: without syncing. */
static int
append_nosync(struct logstore *ls, uint64_t first, uint64_t n, int64_t recv0)
{
	struct event *ev;
	uint64_t i;
	int rc;

	for (i = first; i < first + n; i++) {
		if ((ev = mkevent(i, recv0 + (int64_t)i * NS_PER_SEC)) == NULL)
			return MAMORI_ENOMEM;
		rc = logstore_append(ls, ev);
		if (rc == 0 && ev->seq != i)
			rc = MAMORI_EINVAL;
		event_free(ev);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The same, then synced. */
static int
append_n(struct logstore *ls, uint64_t first, uint64_t n, int64_t recv0)
{
	int rc;

	if ((rc = append_nosync(ls, first, n, recv0)) != 0)
		return rc;
	return logstore_sync(ls);
}

static int
same_field(const struct event *a, const struct event_field *fa,
    const struct event *b, const struct event_field *fb)
{
	return fa->len == fb->len && (fa->len == 0 ||
	    (fa->off == fb->off &&
	    memcmp(a->data + fa->off, b->data + fb->off, fa->len) == 0));
}

/* Compares every stored field. */
static int
same_event(const struct event *a, const struct event *b)
{
	return a->seq == b->seq && a->recv_ns == b->recv_ns &&
	    a->ts_ns == b->ts_ns && a->tz_min == b->tz_min &&
	    a->listener == b->listener && a->format == b->format &&
	    a->facility == b->facility && a->severity == b->severity &&
	    a->flags == b->flags && a->raw_len == b->raw_len &&
	    a->data_len == b->data_len &&
	    memcmp(a->data, b->data, a->data_len) == 0 &&
	    strcmp(a->src, b->src) == 0 &&
	    same_field(a, &a->host, b, &b->host) &&
	    same_field(a, &a->app, b, &b->app) &&
	    same_field(a, &a->procid, b, &b->procid) &&
	    same_field(a, &a->msgid, b, &b->msgid) &&
	    same_field(a, &a->sd, b, &b->sd) &&
	    same_field(a, &a->msg, b, &b->msg);
}

/* Reads every event; checks them against mkevent(seq) and returns how
 * many, or -1 on an error or a mismatch.  *first gets the first seq. */
static long
read_all(const char *dir, uint64_t *first, int64_t recv0)
{
	struct logstore_reader *r;
	struct event *ev, *want;
	char err[512];
	long n = 0;
	int rc;

	if ((r = logstore_reader_open(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "reader: %s\n", err);
		return -1;
	}
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		if (n == 0 && first != NULL)
			*first = ev->seq;
		want = mkevent(ev->seq, recv0 + (int64_t)ev->seq * NS_PER_SEC);
		want->seq = ev->seq;
		if (!same_event(ev, want)) {
			fprintf(stderr, "seq %llu differs\n",
			    (unsigned long long)ev->seq);
			n = -1000000;
		}
		event_free(want);
		event_free(ev);
		n++;
	}
	logstore_reader_close(r);
	if (rc != MAMORI_ENOTFOUND) {
		fprintf(stderr, "reader: %s\n", err);
		return -1;
	}
	return n < 0 ? -1 : n;
}

/* Reads everything, going on after errors: returns the events read,
 * *errs the errors (the first message in first_err), *seqsum the sum of
 * the seqs read. */
static int
read_through(const struct env *e, int *errs, char *first_err, size_t len,
    uint64_t *seqsum)
{
	struct logstore_reader *r;
	struct event *ev;
	char err[512];
	int rc, n = 0;

	*errs = 0;
	*seqsum = 0;
	if ((r = logstore_reader_open(e->dir, err, sizeof(err))) == NULL)
		return -1;
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) !=
	    MAMORI_ENOTFOUND) {
		if (rc != 0) {
			if ((*errs)++ == 0)
				snprintf(first_err, len, "%s", err);
			if (*errs > 100)
				break;
			continue;
		}
		*seqsum += ev->seq;
		n++;
		event_free(ev);
	}
	logstore_reader_close(r);
	return n;
}

static int
verify(const struct env *e, char *msg, size_t len)
{
	struct logstore_verify_result res;
	int rc;

	rc = logstore_verify(e->dir, e->key, &res);
	snprintf(msg, len, "%s", res.msg);
	return rc;
}

/* Waits until the compressor has nothing left to do (60 s at most) and
 * takes in what it did.  Returns 0, or -1 on a timeout. */
static int
wait_compressed(struct logstore *ls)
{
	struct logstore_stats st;
	int64_t deadline = time_mono_ns() + 60 * NS_PER_SEC;

	for (;;) {
		logstore_get_stats(ls, &st);
		if (st.compress_pending == 0)
			break;
		if (time_mono_ns() > deadline) {
			fprintf(stderr, "compression: %llu segments still "
			    "pending\n", (unsigned long long)
			    st.compress_pending);
			return -1;
		}
		usleep(1000);
	}
	ls_compress_collect(ls, 0);
	return 0;
}

/* Files. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *p;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0)
		return NULL;
	p = malloc((size_t)sb.st_size + 1);
	if (p != NULL && read(fd, p, (size_t)sb.st_size) != sb.st_size) {
		free(p);
		p = NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static int
spit(const char *path, const uint8_t *p, size_t len)
{
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0)
		return -1;
	if (write(fd, p, len) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

static uint8_t *
unzst(const char *path, size_t *len)
{
	size_t zlen, cap;
	uint8_t *z = slurp(path, &zlen), *p;
	unsigned long long n;

	*len = 0;
	if (z == NULL)
		return NULL;
	n = ZSTD_getFrameContentSize(z, zlen);
	cap = (size_t)n;
	p = malloc(cap + 1);
	*len = ZSTD_decompress(p, cap, z, zlen);
	free(z);
	if (ZSTD_isError(*len)) {
		free(p);
		return NULL;
	}
	return p;
}

static int
rezst(const char *path, const uint8_t *p, size_t len)
{
	size_t cap = ZSTD_compressBound(len), n;
	uint8_t *z = malloc(cap);
	int rc;

	n = ZSTD_compress(z, cap, p, len, 3);
	rc = ZSTD_isError(n) ? -1 : spit(path, z, n);
	free(z);
	return rc;
}

/* Record offsets in a plain segment image. */
static int
offsets(const uint8_t *p, size_t len, size_t *offs, int max)
{
	size_t off = LS_SEG_HDR_LEN;
	uint32_t rl;
	int n = 0;

	while (off + 8 <= len && n < max) {
		rl = ls_get32(p + off + 4);
		if (rl < LS_REC_MIN || rl > len - off)
			break;
		offs[n++] = off;
		off += rl;
	}
	return n;
}

static void
fix_crc(uint8_t *rec)
{
	uint32_t len = ls_get32(rec + 4);

	ls_put32(rec + len - 4, ls_crc32c(rec, len - 4));
}

/* Recomputes the chain of a segment image from prev; returns the last
 * hash in prev. */
static void
rechain(uint8_t *p, size_t len, uint8_t prev[LS_HASH_LEN])
{
	struct ls_hasher h;
	size_t offs[100000];
	uint32_t rl;
	int n, i;

	ls_hasher_init(&h);
	memcpy(p + 32, prev, LS_HASH_LEN);
	ls_put32(p + 76, ls_crc32c(p, 76));
	n = offsets(p, len, offs, 100000);
	for (i = 0; i < n; i++) {
		rl = ls_get32(p + offs[i] + 4);
		ls_chain_hash(&h, prev, p + offs[i], rl - LS_REC_TRAILER_LEN,
		    p + offs[i] + rl - LS_REC_TRAILER_LEN);
		memcpy(prev, p + offs[i] + rl - LS_REC_TRAILER_LEN,
		    LS_HASH_LEN);
		fix_crc(p + offs[i]);
	}
	ls_hasher_release(&h);
}

/* The byte offset of the message text in the record at off. */
static size_t
msg_off(const uint8_t *p, size_t off)
{
	const uint8_t *b = p + off + LS_REC_HDR_LEN;

	return off + LS_REC_HDR_LEN + LS_EVENT_FIXED + b[23] +
	    ls_get32(b + 76);
}

/* A store of n records in one active segment, closed. */
static int
make_active(struct env *e, uint64_t n)
{
	struct logstore *ls;
	int rc;

	env_init(e);
	if ((ls = env_open(e)) == NULL)
		return -1;
	rc = append_n(ls, 1, n, T0);
	logstore_close(ls);
	return rc;
}

/* A store of nseg sealed segments of per records each, then an active
 * one holding per records, closed. */
static int
make_sealed(struct env *e, int nseg, uint64_t per)
{
	struct logstore *ls;
	uint64_t seq = 1;
	int i, rc = 0;

	env_init(e);
	if ((ls = env_open(e)) == NULL)
		return -1;
	for (i = 0; i < nseg && rc == 0; i++) {
		rc = append_n(ls, seq, per, T0);
		seq += per;
		if (rc == 0)
			rc = logstore_seal(ls);
	}
	if (rc == 0)
		rc = wait_compressed(ls);
	if (rc == 0)
		rc = append_n(ls, seq, per, T0);
	logstore_close(ls);
	return rc;
}

TEST(test_crc32c)
{
	CHECK_INT(ls_crc32c("123456789", 9), 0xe3069283u);
	CHECK_INT(ls_crc32c("", 0), 0);
}

TEST(test_roundtrip)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512];
	uint64_t first = 0;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 100, T0), 0);
	/* Read back while the writer still has the store open. */
	CHECK_INT(read_all(e.dir, &first, T0), 100);
	CHECK_INT(first, 1);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.records, 100);
	CHECK_INT(st.next_seq, 101);
	CHECK_INT(st.segments, 1);
	CHECK(st.syncs >= 1);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 100);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 100 records in 1 segments (seq 1..100), 0 "
	    "segments expired by retention");

	/* Reopen and go on: the chain and seq continue. */
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(nnotices, 0);
	CHECK_INT(append_n(ls, 101, 50, T0), 0);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 150);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 150 records in 1 segments (seq 1..150), 0 "
	    "segments expired by retention");
}

static int sync_done_calls;

static void
on_sync_done(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&sync_done_calls, 1, __ATOMIC_SEQ_CST);
}

/* Polls logstore_sync_collect() until the sync begun finishes (60 s at
 * most).  Returns 1 and its result in *rc, or 0 on a timeout. */
static int
collect_wait(struct logstore *ls, int *rc)
{
	int i;

	for (i = 0; i < 60000; i++) {
		if (logstore_sync_collect(ls, rc))
			return 1;
		usleep(1000);
	}
	return 0;
}

TEST(test_sync_async)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	struct logstore_hasher *h;
	struct event *ev;
	char msg[512];
	uint64_t syncs;
	int rc = -1, i;

	env_init(&e);
	e.o.sync_done = on_sync_done;
	sync_done_calls = 0;
	if ((ls = env_open(&e)) == NULL || (h = logstore_hasher_new()) ==
	    NULL) {
		CHECK(0);
		return;
	}
	/* Nothing appended: nothing to sync, nothing to collect. */
	CHECK_INT(logstore_sync_start(ls), 1);
	CHECK_INT(logstore_sync_collect(ls, &rc), 0);
	/* Half of the events come pre-hashed, as from a worker. */
	for (i = 1; i <= 20; i++) {
		ev = mkevent((uint64_t)i, T0 + i * NS_PER_SEC);
		if (i % 2 == 0) {
			logstore_event_prehash(h, &ev, 1);
			CHECK(ev->body_hashed);
		}
		CHECK_INT(logstore_append(ls, ev), 0);
		event_free(ev);
	}
	logstore_get_stats(ls, &st);
	syncs = st.syncs;
	CHECK_INT(logstore_sync_start(ls), 0);
	/* One at a time, until collected. */
	CHECK_INT(logstore_sync_start(ls), MAMORI_EAGAIN);
	CHECK_INT(collect_wait(ls, &rc), 1);
	CHECK_INT(rc, 0);
	CHECK_INT(__atomic_load_n(&sync_done_calls, __ATOMIC_SEQ_CST), 1);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.syncs, syncs + 1);
	CHECK_INT(logstore_sync_start(ls), 1);
	/* Appending goes on while a sync runs; logstore_sync() waits for
	 * it, and it can still be collected afterwards. */
	CHECK_INT(append_n(ls, 21, 5, T0), 0);
	ev = mkevent(26, T0 + 26 * NS_PER_SEC);
	CHECK_INT(logstore_append(ls, ev), 0);
	event_free(ev);
	CHECK_INT(logstore_sync_start(ls), 0);
	CHECK_INT(append_n(ls, 27, 5, T0), 0);
	CHECK_INT(logstore_sync_collect(ls, &rc), 1);
	CHECK_INT(rc, 0);
	/* A seal while a sync runs waits for it. */
	ev = mkevent(32, T0 + 32 * NS_PER_SEC);
	CHECK_INT(logstore_append(ls, ev), 0);
	event_free(ev);
	CHECK_INT(logstore_sync_start(ls), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(collect_wait(ls, &rc), 1);
	CHECK_INT(rc, 0);
	logstore_hasher_free(h);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 32);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 32 records in 1 segments (seq 1..32), 0 "
	    "segments expired by retention");
}

/* Whether dir/log/name exists. */
static int
log_has(const struct env *e, const char *name)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", e->log, name);
	return access(path, F_OK) == 0;
}

/*
 * With group commit (logstore_sync_start()), a full segment is sealed on
 * the sync thread: the next segment's records wait in the buffer, and
 * its file appears only after the checkpoint of the one before, so the
 * directory goes through the same states as a seal on the writer's
 * thread.  Every record arrives, the chain verifies.
 */
TEST(test_seal_async)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512];
	uint64_t next = 1;
	int rc = -1, started = 0, rounds = 0, checked = 0;

	env_init(&e);
	e.o.segment_bytes = 16384;	/* about 60 records */
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	while (next <= 1000) {
		CHECK_INT(append_nosync(ls, next, 7, T0), 0);
		next += 7;
		if (started && logstore_sync_collect(ls, &rc)) {
			CHECK_INT(rc, 0);
			started = 0;
		}
		if (!started) {
			uint64_t sealed0;
			int r, had2;

			logstore_get_stats(ls, &st);
			sealed0 = st.sealed;
			had2 = log_has(&e, "000002.seg");
			r = logstore_sync_start(ls);
			CHECK(r == 0 || r == 1);
			started = r == 0;
			if (started && sealed0 == 0 && !checked) {
				/* Whatever this job is, the next segment's file
				 * is made on this thread, after it ends. */
				CHECK(!had2);
				CHECK(!log_has(&e, "000002.seg"));
				CHECK_INT(append_nosync(ls, next, 3, T0), 0);
				next += 3;
				/* Until this thread learns that the job
				 * ended, a new segment has its .tmp name. */
				had2 = log_has(&e, "000002.seg.tmp");
				CHECK(!log_has(&e, "000002.seg"));
				CHECK_INT(collect_wait(ls, &rc), 1);
				CHECK_INT(rc, 0);
				started = 0;
				logstore_get_stats(ls, &st);
				if (st.sealed == 1) {
					/* It was the seal: checkpoint, then the
					 * next file's name, with the 3 records
					 * (written out at the next sync). */
					CHECK(had2);
					CHECK(log_has(&e, "000001.ckpt"));
					CHECK(log_has(&e, "000002.seg"));
					CHECK(!log_has(&e, "000002.seg.tmp"));
					checked = 1;
				} else {
					CHECK(!had2);
					CHECK(!log_has(&e, "000001.ckpt"));
				}
			}
		}
		rounds++;
	}
	CHECK(checked);
	if (started)
		CHECK_INT(collect_wait(ls, &rc), 1);
	logstore_get_stats(ls, &st);
	CHECK(st.sealed >= 10);
	/* Every seal but maybe the last was begun by a sync: none of the
	 * segments grew past half again its size. */
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), (int)(next - 1));
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK(strncmp(msg, "intact: ", 8) == 0);
	(void)rounds;
}

TEST(test_prehash_contract)
{
	struct env e;
	struct logstore *ls;
	struct logstore_hasher *h;
	struct event *ev;
	char msg[512];

	/* What is stored is what was hashed: an event changed after
	 * logstore_event_prehash() makes a record that fails verification
	 * (the test shows the digest really is used). */
	env_init(&e);
	if ((ls = env_open(&e)) == NULL || (h = logstore_hasher_new()) ==
	    NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 3, T0), 0);
	ev = mkevent(4, T0 + 4 * NS_PER_SEC);
	logstore_event_prehash(h, &ev, 1);
	ev->severity = (int8_t)((ev->severity + 1) % 8);
	CHECK_INT(logstore_append(ls, ev), 0);
	event_free(ev);
	/* One the store refuses is not hashed (left for it to refuse). */
	ev = mkevent(5, T0);
	ev->msg.off = ev->data_len + 1;
	logstore_event_prehash(h, &ev, 1);
	CHECK(!ev->body_hashed);
	CHECK_INT(logstore_append(ls, ev), MAMORI_EINVAL);
	event_free(ev);
	logstore_hasher_free(h);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK(strstr(msg, "seq 4 changed") != NULL);
}

/*
 * Events hashed in a batch, two at a time (core/sha256.h), of lengths that
 * end in different blocks, with one the store refuses in the middle (so
 * the pairs shift): every digest is the body's, so the chain verifies,
 * and each equals the digest of the event hashed alone.
 */
/* An unparsed event of rawlen bytes, the same for the same i and
 * rawlen. */
static struct event *
mkraw(uint64_t i, size_t rawlen)
{
	uint8_t raw[600];
	struct event *ev;
	size_t k;

	for (k = 0; k < rawlen && k < sizeof(raw); k++)
		raw[k] = (uint8_t)('a' + (k * 7 + i) % 26);
	if ((ev = event_new(raw, k, 0)) == NULL)
		return NULL;
	ev->recv_ns = T0 + (int64_t)i * NS_PER_SEC;
	ev->format = EVENT_FMT_UNPARSED;
	ev->msg.len = (uint32_t)k;
	snprintf(ev->src, sizeof(ev->src), "192.0.2.%d:514", (int)i);
	return ev;
}

TEST(test_prehash_batch)
{
	struct env e;
	struct logstore *ls;
	struct logstore_hasher *h;
	struct event *evs[9], *one;
	char msg[512];
	size_t i;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL || (h = logstore_hasher_new()) ==
	    NULL) {
		CHECK(0);
		return;
	}
	/* Bodies of 117 to 381 bytes: two to six blocks. */
	for (i = 0; i < 9; i++)
		if ((evs[i] = mkraw(i + 1, 20 + 33 * i)) == NULL) {
			CHECK(0);
			return;
		}
	evs[4]->msg.off = evs[4]->data_len + 1;		/* refused */
	logstore_event_prehash(h, evs, 9);
	for (i = 0; i < 9; i++) {
		CHECK_INT(evs[i]->body_hashed, i != 4);
		if (i == 4 || (one = mkraw(i + 1, 20 + 33 * i)) == NULL)
			continue;
		logstore_event_prehash(h, &one, 1);
		CHECK(memcmp(one->body_hash, evs[i]->body_hash, 32) == 0);
		event_free(one);
	}
	for (i = 0; i < 9; i++) {
		CHECK_INT(logstore_append(ls, evs[i]), i == 4 ?
		    MAMORI_EINVAL : 0);
		event_free(evs[i]);
	}
	logstore_hasher_free(h);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
}

/*
 * The write-behind thread (logstore-wbuf.c) on a write that fails: the
 * file is cut back to where the write began, waiting and draining say
 * so, a drain tries the write once more, and once the cause is gone
 * (here a file size limit, EFBIG) the same bytes land in order.
 */
TEST(test_write_behind_failure)
{
	struct ls_wb *w;
	struct rlimit old, lim;
	struct stat sb;
	uint8_t *buf, *back;
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/wb", tmproot);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    getrlimit(RLIMIT_FSIZE, &old) != 0 ||
	    (w = ls_wb_new()) == NULL ||
	    (buf = malloc(LS_WBUF_SIZE)) == NULL ||
	    (back = malloc(LS_WBUF_SIZE)) == NULL) {
		CHECK(0);
		return;
	}
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = LS_WBUF_SIZE + LS_WBUF_SIZE / 2;
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(buf, 'A', LS_WBUF_SIZE);
	CHECK_INT(ls_wb_submit(w, fd, 0, &buf, LS_WBUF_SIZE), 0);
	memset(buf, 'B', LS_WBUF_SIZE);
	CHECK_INT(ls_wb_submit(w, fd, LS_WBUF_SIZE, &buf, LS_WBUF_SIZE), 0);
	CHECK_INT(ls_wb_wait(w, fd, LS_WBUF_SIZE), 0);
	CHECK_INT(ls_wb_wait(w, fd, 2 * LS_WBUF_SIZE), MAMORI_EIO);
	CHECK_INT(ls_wb_drain(w), MAMORI_EIO);		/* tried again */
	CHECK_INT(errno, EFBIG);
	CHECK(fstat(fd, &sb) == 0 && sb.st_size == LS_WBUF_SIZE);
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	CHECK_INT(ls_wb_drain(w), 0);
	CHECK(fstat(fd, &sb) == 0 && sb.st_size == 2 * LS_WBUF_SIZE);
	CHECK(pread(fd, back, LS_WBUF_SIZE, LS_WBUF_SIZE) == LS_WBUF_SIZE &&
	    back[0] == 'B' && back[LS_WBUF_SIZE - 1] == 'B');
	CHECK(pread(fd, back, LS_WBUF_SIZE, 0) == LS_WBUF_SIZE &&
	    back[0] == 'A' && back[LS_WBUF_SIZE - 1] == 'A');
	signal(SIGXFSZ, SIG_DFL);
	ls_wb_free(w);
	free(buf);
	free(back);
	close(fd);
}

/*
 * logstore_abandon(): the records not yet synced are gone, both those
 * the write-behind thread had put in the file and those still buffered;
 * the store refuses more; the next open goes on from the last durable
 * record, and the chain verifies.  A segment with nothing durable, not
 * even its header, is removed.
 */
TEST(test_abandon)
{
	struct env e;
	struct logstore *ls;
	struct stat sb;
	struct event *ev;
	char msg[512], seg[400];
	int i;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 100, T0), 0);
	/* Past the 1 MiB buffer: some go to the file before any sync. */
	CHECK_INT(append_nosync(ls, 101, 8000, T0), 0);
	path_of(&e, "000001.seg", seg, sizeof(seg));
	for (i = 0; i < 500 && (stat(seg, &sb) != 0 ||
	    sb.st_size < LS_WBUF_SIZE); i++)
		usleep(10000);
	CHECK(sb.st_size >= LS_WBUF_SIZE);	/* written, not synced */
	CHECK_INT(logstore_abandon(ls), 0);
	ev = mkevent(8101, T0);
	CHECK_INT(logstore_append(ls, ev), MAMORI_EIO);
	event_free(ev);
	CHECK_INT(logstore_sync(ls), MAMORI_EIO);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 100);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 101, 5, T0), 0);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 105);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 105 records in 1 segments (seq 1..105), 0 "
	    "segments expired by retention");

	/* Nothing ever synced: the segment goes. */
	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_nosync(ls, 1, 5, T0), 0);
	CHECK_INT(logstore_abandon(ls), 0);
	logstore_close(ls);
	CHECK(!log_has(&e, "000001.seg"));
	CHECK_INT(read_all(e.dir, NULL, T0), 0);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 3, T0), 0);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 3);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
}

TEST(test_empty_store)
{
	struct env e;
	struct logstore *ls;
	char msg[512];

	env_init(&e);
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK_INT(logstore_seal(ls), 0);	/* nothing to seal */
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 0 records in 0 segments, 0 segments expired "
	    "by retention");
}

TEST(test_key_and_lock)
{
	struct env e, e2;
	struct logstore *ls, *ls2;
	struct stat sb;
	char err[512], keydir[320];
	uint8_t *k;
	size_t klen;

	env_init(&e);
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK_INT(stat(e.key, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	snprintf(keydir, sizeof(keydir), "%s", e.key);
	*strrchr(keydir, '/') = '\0';
	CHECK_INT(stat(keydir, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0700);
	k = slurp(e.key, &klen);
	CHECK_INT(klen, 65);
	CHECK(k != NULL && k[64] == '\n');
	free(k);

	/* One writer at a time. */
	ls2 = logstore_open(&e.o, err, sizeof(err));
	CHECK(ls2 == NULL);
	{
		char want[600];

		snprintf(want, sizeof(want), "%s/log: another process is "
		    "writing to this log store", e.dir);
		CHECK_STR(err, want);
	}
	logstore_close(ls2);
	logstore_close(ls);

	/* A key inside the data directory is refused. */
	env_init(&e2);
	snprintf(keydir, sizeof(keydir), "%s/seal.key", e2.dir);
	e2.o.key_path = keydir;
	snprintf(err, sizeof(err), "%s", e2.dir);
	*strrchr(err, '/') = '\0';
	mkdir(err, 0700);
	ls2 = logstore_open(&e2.o, err, sizeof(err));
	{
		char want[900];

		snprintf(want, sizeof(want), "seal key %s is inside the data "
		    "directory %s: keep it outside, so that whoever can "
		    "rewrite the data cannot also re-seal it", keydir, e2.dir);
		CHECK_STR(err, want);
	}
	CHECK(ls2 == NULL);
	CHECK(access(keydir, F_OK) != 0);
}

TEST(test_seal_and_compress)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512], path[400];
	struct stat sb;
	uint64_t first = 0;

	env_init(&e);
	e.o.segment_bytes = 16384;	/* about 60 records */
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 500, T0), 0);
	logstore_get_stats(ls, &st);
	CHECK(st.sealed >= 7);
	CHECK_INT(st.segments, st.sealed + 1);
	CHECK(has_notice_prefix("log/000001.seg: sealed: seq 1.."));
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.segments, st.sealed);
	CHECK_INT(st.compressed, st.sealed);
	CHECK_INT(st.compress_pending, 0);
	CHECK(has_notice_prefix("log/000001.seg.zst: compressed: "));
	/* After a seal, no active segment until the next record. */
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK_INT(stat(path, &sb), 0);
	path_of(&e, "000001.ckpt", path, sizeof(path));
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_size, LS_CKPT_LEN);
	path_of(&e, "000001.seg", path, sizeof(path));
	CHECK(stat(path, &sb) != 0);
	CHECK_INT(append_n(ls, 501, 10, T0), 0);
	logstore_close(ls);

	CHECK_INT(read_all(e.dir, &first, T0), 510);
	CHECK_INT(first, 1);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	{
		char want[200];

		snprintf(want, sizeof(want), "intact: 510 records in %llu "
		    "segments (seq 1..510), 0 segments expired by retention",
		    (unsigned long long)st.sealed + 1);
		CHECK_STR(msg, want);
	}
}

TEST(test_seal_by_age)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char path[400];

	env_init(&e);
	e.o.segment_age_ns = 3600 * NS_PER_SEC;
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(append_n(ls, 1, 10, T0), 0);	/* first at T0 + 1 s */
	CHECK_INT(logstore_maintain(ls, T0 + 3600 * NS_PER_SEC), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.sealed, 0);
	CHECK_INT(logstore_maintain(ls, T0 + 3601 * NS_PER_SEC), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.sealed, 1);
	CHECK_INT(wait_compressed(ls), 0);
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK_INT(access(path, F_OK), 0);
	logstore_close(ls);
}

TEST(test_set_range)
{
	struct env e;
	struct logstore *ls;
	struct logstore_reader *r;
	struct event *ev;
	char err[512];
	int rc, n = 0;
	uint64_t first = 0;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	/* Segments of seq 1..10, 11..20, 21..30; recv = T0 + seq s. */
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 31, 5, T0), 0);
	logstore_close(ls);

	r = logstore_reader_open(e.dir, err, sizeof(err));
	logstore_reader_set_range(r, T0 + 12 * NS_PER_SEC,
	    T0 + 15 * NS_PER_SEC);
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		if (n++ == 0)
			first = ev->seq;
		event_free(ev);
	}
	CHECK_INT(rc, MAMORI_ENOTFOUND);
	CHECK_INT(first, 11);
	CHECK_INT(n, 15);	/* segment 2 and the active one */
	logstore_reader_close(r);

	/* The event time is ts = recv - 5 s. */
	r = logstore_reader_open(e.dir, err, sizeof(err));
	logstore_reader_set_event_range(r, T0 + 2 * NS_PER_SEC,
	    T0 + 4 * NS_PER_SEC);
	n = 0;
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		if (n++ == 0)
			first = ev->seq;
		event_free(ev);
	}
	CHECK_INT(first, 1);
	CHECK_INT(n, 15);	/* segment 1 and the active one */
	logstore_reader_close(r);
}

TEST(test_append_invalid)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	struct event *ev;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	ev = mkevent(1, T0);
	ev->msg.off = ev->data_len - 2;
	ev->msg.len = 3;	/* one byte past the data */
	CHECK_INT(logstore_append(ls, ev), MAMORI_EINVAL);
	ev->msg.len = 2;	/* exactly up to the end: fine */
	CHECK_INT(logstore_append(ls, ev), 0);
	CHECK_INT(ev->seq, 1);
	event_free(ev);

	/* The exact limit: a record of LS_REC_MAX bytes is stored, one
	 * byte more is refused. */
	{
		size_t room = LS_REC_MAX - LS_REC_MIN - LS_EVENT_FIXED;
		uint8_t *big = calloc(1, room + 1);
		struct event *b;
		uint64_t before;

		memset(big, 'x', room + 1);
		b = event_new(big, room + 1, 0);
		b->msg.off = 0;
		b->msg.len = (uint32_t)(room + 1);
		CHECK_INT(logstore_append(ls, b), MAMORI_ETOOBIG);
		event_free(b);
		b = event_new(big, room, 0);
		b->msg.len = (uint32_t)room;
		logstore_get_stats(ls, &st);
		before = st.next_seq;
		CHECK_INT(before, 2);
		CHECK_INT(logstore_append(ls, b), 0);
		CHECK_INT(b->seq, 2);
		event_free(b);
		free(big);
	}
	logstore_get_stats(ls, &st);
	CHECK_INT(st.next_seq, 3);
	CHECK_INT(logstore_sync(ls), 0);
	logstore_close(ls);
	{
		char msg[512];

		CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
		CHECK_STR(msg, "intact: 2 records in 1 segments (seq 1..2), "
		    "0 segments expired by retention");
	}
}

/* Tampering with the active segment. */

TEST(test_tamper_active_flip)
{
	struct env e;
	char path[400], msg[512], want[512];
	size_t len, offs[64];
	uint8_t *p;

	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	p[msg_off(p, offs[4]) + 3] ^= 0x20;	/* seq 5's message */
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 changed (offset "
	    "%zu: record fails its checksum)", offs[4]);
	CHECK_STR(msg, want);

	/* The attacker redoes the CRC: the chain still tells. */
	fix_crc(p + offs[4]);
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 changed (offset "
	    "%zu: chain hash mismatch)", offs[4]);
	CHECK_STR(msg, want);
	free(p);
}

TEST(test_tamper_delete_record)
{
	struct env e;
	char path[400], msg[512], want[512];
	size_t len, offs[64];
	uint8_t *p;

	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	/* Remove seq 5. */
	memmove(p + offs[4], p + offs[5], len - offs[5]);
	spit(path, p, len - (offs[5] - offs[4]));
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 removed (seq 6 "
	    "follows seq 4 at offset %zu)", offs[4]);
	CHECK_STR(msg, want);
	free(p);

	/* Remove seq 5..7. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	memmove(p + offs[4], p + offs[7], len - offs[7]);
	spit(path, p, len - (offs[7] - offs[4]));
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5..7 removed (seq "
	    "8 follows seq 4 at offset %zu)", offs[4]);
	CHECK_STR(msg, want);
	free(p);
}

TEST(test_tamper_truncate_end)
{
	struct env e;
	char path[400], msg[512];
	size_t len, offs[64];
	uint8_t *p;

	/* The newest records, removed whole: only the head tells. */
	CHECK_INT(make_active(&e, 20), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 20);
	spit(path, p, offs[18]);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "seq 19..20 removed from the end (log/head names seq "
	    "20)");
	free(p);

	/* And without the head, verification cannot tell. */
	path_of(&e, "head", path, sizeof(path));
	unlink(path);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/head is missing: the newest records cannot be "
	    "checked against the key");
}

TEST(test_tamper_swap)
{
	struct env e;
	char path[400], msg[512], want[512];
	size_t len, offs[64], l5, l6;
	uint8_t *p, *q;

	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	l5 = offs[5] - offs[4];
	l6 = offs[6] - offs[5];
	q = malloc(len);
	memcpy(q, p, offs[4]);
	memcpy(q + offs[4], p + offs[5], l6);
	memcpy(q + offs[4] + l6, p + offs[4], l5);
	memcpy(q + offs[6], p + offs[6], len - offs[6]);
	spit(path, q, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: records reordered (seq "
	    "6 at offset %zu comes before seq 5 at offset %zu)", offs[4],
	    offs[4] + l6);
	CHECK_STR(msg, want);
	free(p);
	free(q);
}

TEST(test_tamper_insert)
{
	struct env e;
	struct ls_hasher h;
	char path[400], msg[512], want[512];
	size_t len, offs[64], l3, l5;
	uint8_t *p, *q;

	/* A copy of seq 3 put after seq 7. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	l3 = offs[3] - offs[2];
	q = malloc(len + l3);
	memcpy(q, p, offs[7]);
	memcpy(q + offs[7], p + offs[2], l3);
	memcpy(q + offs[7] + l3, p + offs[7], len - offs[7]);
	spit(path, q, len + l3);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: record inserted "
	    "(offset %zu holds seq 3 again, after seq 7)", offs[7]);
	CHECK_STR(msg, want);

	/* A forged seq 5 before the real one, with a good CRC and the
	 * right chain hash (SHA-256 needs no key). */
	l5 = offs[5] - offs[4];
	memcpy(q, p, offs[4]);
	memcpy(q + offs[4], p + offs[4], l5);
	q[msg_off(q, offs[4])] = 'M';
	ls_hasher_init(&h);
	ls_chain_hash(&h, p + offs[4] - LS_REC_TRAILER_LEN, q + offs[4],
	    l5 - LS_REC_TRAILER_LEN, q + offs[4] + l5 - LS_REC_TRAILER_LEN);
	ls_hasher_release(&h);
	fix_crc(q + offs[4]);
	memcpy(q + offs[4] + l5, p + offs[4], len - offs[4]);
	spit(path, q, len + l5);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: record inserted (offset "
	    "%zu repeats seq 5 of offset %zu)", offs[4] + l5, offs[4]);
	CHECK_STR(msg, want);

	/* The same without the right hash. */
	q[offs[4] + l5 - LS_REC_TRAILER_LEN] ^= 1;
	fix_crc(q + offs[4]);
	spit(path, q, len + l5);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: record inserted before "
	    "seq 5 (offset %zu holds another seq 5)", offs[4]);
	CHECK_STR(msg, want);
	free(p);
	free(q);
}

/* Tampering with sealed segments. */

TEST(test_tamper_sealed_flip)
{
	struct env e;
	char path[400], msg[512], want[512];
	size_t len, offs[64];
	uint8_t *p;

	CHECK_INT(make_sealed(&e, 2, 10), 0);
	/* A byte of the compressed file. */
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	p = slurp(path, &len);
	p[len / 2] ^= 0x01;
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	if (strncmp(msg, "log/000001.seg.zst: compressed data corrupt (",
	    45) != 0)
		CHECK_STR(msg, "log/000001.seg.zst: compressed data corrupt (");
	p[len / 2] ^= 0x01;
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	free(p);

	/* A record inside it: decompress, change, compress again. */
	p = unzst(path, &len);
	CHECK(p != NULL);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	p[msg_off(p, offs[2])] ^= 0x20;		/* seq 3 */
	rezst(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg.zst: seq 3 changed "
	    "(offset %zu: record fails its checksum)", offs[2]);
	CHECK_STR(msg, want);
	/* A search reports it and reads everything else. */
	{
		int errs;
		uint64_t sum;
		char first[512];

		CHECK_INT(read_through(&e, &errs, first, sizeof(first), &sum),
		    29);
		CHECK_INT(errs, 1);
		CHECK_INT(sum, 30 * 31 / 2 - 3);
		snprintf(want, sizeof(want), "log/000001.seg.zst: offset %zu: "
		    "record fails its checksum", offs[2]);
		CHECK_STR(first, want);
	}
	fix_crc(p + offs[2]);
	rezst(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg.zst: seq 3 changed "
	    "(offset %zu: chain hash mismatch)", offs[2]);
	CHECK_STR(msg, want);
	free(p);
}

TEST(test_tamper_delete_segment)
{
	struct env e;
	char path[400], msg[512];

	/* The file only; its checkpoint stays. */
	CHECK_INT(make_sealed(&e, 3, 10), 0);
	path_of(&e, "000002.seg.zst", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000002.seg.zst removed without an expiry record "
	    "(seq 11..20)");

	/* With its checkpoint. */
	CHECK_INT(make_sealed(&e, 3, 10), 0);
	path_of(&e, "000002.seg.zst", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	path_of(&e, "000002.ckpt", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "segment 000002 removed with its checkpoint (seq "
	    "11..20 missing)");

	/* The oldest, with its checkpoint. */
	CHECK_INT(make_sealed(&e, 3, 10), 0);
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	path_of(&e, "000001.ckpt", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "segment 000001 removed with its checkpoint (seq "
	    "1..10 missing)");

	/* The two oldest. */
	CHECK_INT(make_sealed(&e, 3, 10), 0);
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	unlink(path);
	path_of(&e, "000001.ckpt", path, sizeof(path));
	unlink(path);
	path_of(&e, "000002.seg.zst", path, sizeof(path));
	unlink(path);
	path_of(&e, "000002.ckpt", path, sizeof(path));
	unlink(path);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "segments 000001..000002 removed with their "
	    "checkpoints (seq 1..20 missing)");

	/* A checkpoint alone. */
	CHECK_INT(make_sealed(&e, 3, 10), 0);
	path_of(&e, "000003.ckpt", path, sizeof(path));
	unlink(path);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000003.seg.zst: its checkpoint was removed");
}

/* Rewrites the whole chain from seq 1 on, through every segment, as an
 * attacker without the key would: edit changes the message of one
 * record; fix_ckpts patches the checkpoints' hashes (their MAC stays as
 * it was, since the attacker cannot compute it). */
static void
rewrite_chain(const struct env *e, int nseg, uint64_t edit_seq,
    int fix_ckpts)
{
	uint8_t prev[LS_HASH_LEN], first[LS_HASH_LEN], *p, *c;
	char path[400], name[64];
	size_t len, clen, offs[1000];
	int s, n, i, zst;

	memset(prev, 0, sizeof(prev));
	for (s = 1; s <= nseg; s++) {
		snprintf(name, sizeof(name), "%06d.seg.zst", s);
		path_of(e, name, path, sizeof(path));
		zst = access(path, F_OK) == 0;
		if (!zst) {
			snprintf(name, sizeof(name), "%06d.seg", s);
			path_of(e, name, path, sizeof(path));
			p = slurp(path, &len);
		} else
			p = unzst(path, &len);
		n = offsets(p, len, offs, 1000);
		for (i = 0; i < n; i++)
			if (ls_get64(p + offs[i] + 8) == edit_seq)
				p[msg_off(p, offs[i])] = 'X';
		memcpy(first, prev, LS_HASH_LEN);
		rechain(p, len, prev);
		if (zst)
			rezst(path, p, len);
		else
			spit(path, p, len);
		free(p);
		snprintf(name, sizeof(name), "%06d.ckpt", s);
		path_of(e, name, path, sizeof(path));
		if (fix_ckpts && (c = slurp(path, &clen)) != NULL) {
			memcpy(c + 104, first, LS_HASH_LEN);
			memcpy(c + 136, prev, LS_HASH_LEN);
			spit(path, c, clen);
			free(c);
		}
	}
}

TEST(test_tamper_rewrite_chain)
{
	struct env e;
	char msg[512], path[400];
	size_t len, offs[64];
	uint8_t *p;

	/* Checkpoints patched to match: their MAC gives it away. */
	CHECK_INT(make_sealed(&e, 2, 10), 0);
	rewrite_chain(&e, 3, 4, 1);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000001.ckpt: does not match the seal key: "
	    "checkpoint forged or changed (chain rewritten?)");

	/* Checkpoints left alone: the chain does not end at their hash. */
	CHECK_INT(make_sealed(&e, 2, 10), 0);
	rewrite_chain(&e, 3, 4, 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000001.seg.zst: the chain ends at seq 10 with "
	    "another hash than its checkpoint's: records were rewritten");

	/* Only the active segment (never sealed): the head tells. */
	CHECK_INT(make_active(&e, 10), 0);
	rewrite_chain(&e, 1, 4, 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	{
		char want[512];

		snprintf(want, sizeof(want), "log/head: seq 10 differs from "
		    "log/000001.seg (offset %zu): records up to it were "
		    "rewritten", offs[9]);
		CHECK_STR(msg, want);
	}
	free(p);

	/* The writer, opened on the rewritten store, keeps the head as
	 * evidence rather than laundering the change. */
	{
		struct logstore *ls = env_open(&e);

		CHECK(ls != NULL);
		CHECK(has_notice("log/head: seq 10 differs from the store: "
		    "records were changed while it was closed; kept for "
		    "verification"));
		CHECK_INT(append_n(ls, 11, 5, T0), 0);
		CHECK_INT(logstore_maintain(ls, T0), 0);
		logstore_close(ls);
		CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
		CHECK(strncmp(msg, "log/head: seq 10 differs from", 29) == 0);
	}
}

TEST(test_wrong_key)
{
	struct env e, other;
	struct logstore_verify_result res;
	struct ls_key k1, k2;
	char err[256], want[900], h1[17], h2[17];

	CHECK_INT(make_sealed(&e, 1, 10), 0);
	env_init(&other);
	CHECK_INT(ls_key_load(other.key, 1, &k2, err, sizeof(err)), 0);
	CHECK_INT(ls_key_load(e.key, 0, &k1, err, sizeof(err)), 0);
	ls_keyid_hex(k1.id, h1);
	ls_keyid_hex(k2.id, h2);
	CHECK_INT(logstore_verify(e.dir, other.key, &res), MAMORI_EKEY);
	snprintf(want, sizeof(want), "log/000001.ckpt: made with another key "
	    "(key id %s; %s has id %s): wrong key, or the chain was rewritten "
	    "with another key", h1, other.key, h2);
	CHECK_STR(res.msg, want);

	/* Never sealed: the head carries the key id. */
	CHECK_INT(make_active(&e, 3), 0);
	CHECK_INT(ls_key_load(e.key, 0, &k1, err, sizeof(err)), 0);
	ls_keyid_hex(k1.id, h1);
	CHECK_INT(logstore_verify(e.dir, other.key, &res), MAMORI_EKEY);
	snprintf(want, sizeof(want), "log/head: made with another key "
	    "(key id %s; %s has id %s): wrong key, or the chain was rewritten "
	    "with another key", h1, other.key, h2);
	CHECK_STR(res.msg, want);

	/* No key at all. */
	snprintf(want, sizeof(want), "%s.missing", e.key);
	CHECK_INT(logstore_verify(e.dir, want, &res), MAMORI_EKEY);
	{
		char w2[1000];

		snprintf(w2, sizeof(w2), "key %s: cannot read: No such file or "
		    "directory", want);
		CHECK_STR(res.msg, w2);
	}
}

/* Retention. */

TEST(test_expiry_by_age)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512], path[400];
	uint64_t first = 0;
	int64_t day = 86400 * NS_PER_SEC;

	env_init(&e);
	e.o.retention_ns = 10 * day;
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	/* Three sealed segments of 10 records, then 5 active. */
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 31, 5, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	/* Segment 2's newest record is at T0 + 20 s. */
	CHECK_INT(logstore_maintain(ls, T0 + 10 * day + 20 * NS_PER_SEC), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 1);
	CHECK(has_notice("log/000001.seg.zst: expired by retention (age): "
	    "seq 1..10"));
	CHECK_INT(logstore_maintain(ls, T0 + 10 * day + 21 * NS_PER_SEC), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 2);
	CHECK_INT(st.segments, 2);
	CHECK_INT(st.next_seq, 38);	/* 35 events + 2 expiry records */
	/* Never the active segment, however old. */
	CHECK_INT(logstore_maintain(ls, T0 + 100 * day), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 3);
	CHECK_INT(st.segments, 1);
	logstore_close(ls);

	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK(access(path, F_OK) != 0);
	path_of(&e, "000001.ckpt", path, sizeof(path));
	CHECK_INT(access(path, F_OK), 0);
	/* Readers see the active records only; expiry records are not
	 * events. */
	CHECK_INT(read_all(e.dir, &first, T0), 5);
	CHECK_INT(first, 31);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 8 records in 1 segments (seq 31..38), 3 "
	    "segments expired by retention");

	/* Removing an expiry record is caught. */
	{
		size_t len, offs[64];
		uint8_t *p;

		path_of(&e, "000004.seg", path, sizeof(path));
		p = slurp(path, &len);
		CHECK_INT(offsets(p, len, offs, 64), 8);
		/* The last three are the expiry records 36..38; without 38
		 * the chain is whole, but segment 3's mark names it. */
		spit(path, p, offs[7]);
		free(p);
		CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
		CHECK_STR(msg, "log/000003.ckpt: marked expired by seq 38, "
		    "but the store ends at seq 37");
	}
}

TEST(test_expiry_by_size)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512], want[256];
	int i;

	env_init(&e);
	e.o.retention_bytes = 1;	/* as little as possible */
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < 4; i++) {
		logstore_get_stats(ls, &st);
		CHECK_INT(append_n(ls, st.next_seq, 10, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
		CHECK_INT(wait_compressed(ls), 0);
		CHECK_INT(logstore_maintain(ls, T0), 0);
	}
	logstore_get_stats(ls, &st);
	CHECK_INT(st.next_seq, 45);	/* 40 events, 4 expiry records */
	/* Each maintain removes every sealed segment; each removal is an
	 * expiry record in the active segment, which stays. */
	CHECK_INT(st.expired, 4);
	CHECK(has_notice("log/000001.seg.zst: expired by retention (size): "
	    "seq 1..10"));
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "intact: 1 records in 1 segments (seq "
	    "%llu..%llu), 4 segments expired by retention",
	    (unsigned long long)st.next_seq - 1,
	    (unsigned long long)st.next_seq - 1);
	CHECK_STR(msg, want);
}

TEST(test_expiry_size_keeps_newest)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512];
	uint64_t first = 0;
	int i;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < 5; i++) {
		CHECK_INT(append_n(ls, (uint64_t)i * 20 + 1, 20, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
	}
	CHECK_INT(wait_compressed(ls), 0);
	logstore_get_stats(ls, &st);
	logstore_close(ls);
	/* Room for about two compressed segments. */
	e.o.retention_bytes = st.disk_bytes * 2 / 5 + 1000;
	ls = env_open(&e);
	CHECK_INT(logstore_maintain(ls, T0), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 3);
	CHECK(st.disk_bytes <= e.o.retention_bytes);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, &first, T0), 40);
	CHECK_INT(first, 61);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 43 records in 3 segments (seq 61..103), 3 "
	    "segments expired by retention");
}

/* Crashes. */

/* Runs fn in a child that dies without closing the store, as after
 * kill -9. */
static void
crash_child(struct env *e, uint64_t first, uint64_t n)
{
	struct logstore *ls;
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		if ((ls = env_open(e)) == NULL)
			_exit(1);
		if (append_n(ls, first, n, T0) != 0)
			_exit(2);
		kill(getpid(), SIGKILL);
		_exit(3);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(test_torn_tail)
{
	struct env e;
	struct logstore *ls;
	char path[400], msg[512], want[256];
	size_t len, offs[64], cut;
	uint8_t *p;
	struct event *ev;

	CHECK_INT(make_active(&e, 20), 0);
	crash_child(&e, 21, 5);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 25);
	/* The last write reached the disk only in part. */
	cut = len - 57;
	CHECK_INT(truncate(path, (off_t)cut), 0);
	free(p);

	ls = env_open(&e);
	CHECK(ls != NULL);
	snprintf(want, sizeof(want), "log/000001.seg: repaired torn tail: %zu "
	    "bytes after record 24 removed", cut - offs[24]);
	CHECK(has_notice(want));
	ev = mkevent(25, T0 + 25 * NS_PER_SEC);
	CHECK_INT(logstore_append(ls, ev), 0);
	CHECK_INT(ev->seq, 25);
	event_free(ev);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 25);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 25 records in 1 segments (seq 1..25), 0 "
	    "segments expired by retention");

	/* A tail of zeros, as some file systems leave after a power
	 * loss. */
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	{
		uint8_t *z = calloc(1, len + 4096);

		memcpy(z, p, len);
		spit(path, z, len + 4096);
		free(z);
	}
	free(p);
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK(has_notice("log/000001.seg: repaired torn tail: 4096 bytes "
	    "after record 25 removed"));
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 25 records in 1 segments (seq 1..25), 0 "
	    "segments expired by retention");

	/* A header cut short: the segment had no record yet. */
	{
		struct env e2;

		CHECK_INT(make_sealed(&e2, 1, 5), 0);
		ls = env_open(&e2);
		CHECK_INT(logstore_seal(ls), 0);
		logstore_close(ls);
		path_of(&e2, "000003.seg", path, sizeof(path));
		spit(path, (const uint8_t *)"MAMORI", 6);
		nnotices = 0;
		ls = env_open(&e2);
		CHECK(ls != NULL);
		CHECK(has_notice("log/000003.seg: repaired torn tail: 6 bytes "
		    "of an unfinished header removed"));
		CHECK_INT(append_n(ls, 11, 3, T0), 0);
		logstore_close(ls);
		CHECK_INT(verify(&e2, msg, sizeof(msg)), 0);
		CHECK_STR(msg, "intact: 13 records in 3 segments (seq 1..13), "
		    "0 segments expired by retention");
	}
}

TEST(test_corruption_not_torn)
{
	struct env e;
	struct logstore *ls;
	char path[400], msg[512], want[512];
	size_t len, len2, offs[64];
	uint8_t *p;

	/* A bad record followed by good ones is not a torn tail: the
	 * writer keeps it and goes on. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	p[msg_off(p, offs[4])] ^= 0x01;
	spit(path, p, len);
	ls = env_open(&e);
	CHECK(ls != NULL);
	snprintf(want, sizeof(want), "log/000001.seg: %zu bytes of corrupt "
	    "data at offset %zu (record fails its checksum), after seq 4; "
	    "kept for verification", offs[5] - offs[4], offs[4]);
	CHECK(has_notice(want));
	CHECK_INT(append_n(ls, 11, 1, T0), 0);
	logstore_close(ls);
	free(slurp(path, &len2));
	CHECK(len2 > len);
	/* A search reports it and reads everything else. */
	{
		int errs;
		uint64_t sum;
		char first[512];

		CHECK_INT(read_through(&e, &errs, first, sizeof(first), &sum),
		    10);
		CHECK_INT(errs, 1);
		CHECK_INT(sum, 11 * 12 / 2 - 5);
		snprintf(want, sizeof(want), "log/000001.seg: offset %zu: "
		    "record fails its checksum", offs[4]);
		CHECK_STR(first, want);
	}
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 changed (offset "
	    "%zu: record fails its checksum)", offs[4]);
	CHECK_STR(msg, want);
	free(p);
}

TEST(test_oversized_length)
{
	struct env e;
	struct logstore *ls;
	struct logstore_reader *r;
	struct event *ev;
	char path[400], msg[512], want[512], err[512];
	size_t len, offs[64];
	uint8_t *p;
	int rc, n = 0;

	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	ls_put32(p + offs[4] + 4, 0xfffffff0u);
	spit(path, p, len);
	r = logstore_reader_open(e.dir, err, sizeof(err));
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		n++;
		event_free(ev);
	}
	CHECK_INT(n, 4);
	CHECK_INT(rc, MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: offset %zu: record "
	    "length out of bounds", offs[4]);
	CHECK_STR(err, want);
	/* The reader goes on with the next good record: 6..10. */
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		if (n++ == 4)
			CHECK_INT(ev->seq, 6);
		event_free(ev);
	}
	CHECK_INT(rc, MAMORI_ENOTFOUND);
	CHECK_INT(n, 9);
	logstore_reader_close(r);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 changed (offset "
	    "%zu: record length out of bounds)", offs[4]);
	CHECK_STR(msg, want);

	/* One byte over the limit, and a length within the limit but past
	 * the end of the file. */
	ls_put32(p + offs[4] + 4, LS_REC_MAX + 1);
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, want);
	ls_put32(p + offs[4] + 4, LS_REC_MAX);
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 5 changed (offset "
	    "%zu: record fails its checksum)", offs[4]);
	/* Cut short: it looks like a write in progress. */
	CHECK(strcmp(msg, want) != 0);
	CHECK_STR(msg, "seq 5..10 removed from the end (log/head names seq "
	    "10)");

	/* In the last record, the writer takes it for a torn tail. */
	free(p);
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	ls_put32(p + offs[9] + 4, 0xfffffff0u);
	spit(path, p, len);
	ls = env_open(&e);
	CHECK(ls != NULL);
	snprintf(want, sizeof(want), "log/000001.seg: repaired torn tail: %zu "
	    "bytes after record 9 removed", len - offs[9]);
	CHECK(has_notice(want));
	CHECK(has_notice("log/head names seq 10 but the store ends at seq 9: "
	    "records were removed while it was closed; kept for "
	    "verification"));
	logstore_close(ls);
	free(p);
}

TEST(test_damaged_header)
{
	struct env e;
	struct logstore *ls;
	char path[400], msg[512];
	int errs;
	uint64_t sum;

	/* One byte of the active segment's header must not stop the
	 * server: the file is left alone, records go on in a new one. */
	CHECK_INT(make_sealed(&e, 1, 10), 0);
	path_of(&e, "000002.seg", path, sizeof(path));
	{
		size_t len;
		uint8_t *p = slurp(path, &len);

		p[20] ^= 0x01;	/* in the segment number */
		spit(path, p, len);
		free(p);
	}
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK(has_notice("log/000002.seg: segment header fails its check; "
	    "left as it is for verification, records go on in a new "
	    "segment"));
	CHECK_INT(append_n(ls, 21, 5, T0), 0);
	logstore_close(ls);
	path_of(&e, "000003.seg", path, sizeof(path));
	CHECK_INT(access(path, F_OK), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000002.seg: segment header fails its check");
	/* A search skips the damaged segment, and says so. */
	CHECK_INT(read_through(&e, &errs, msg, sizeof(msg), &sum), 15);
	CHECK_INT(errs, 1);
	CHECK_STR(msg, "log/000002.seg: offset 0: segment header fails its "
	    "check");
	CHECK_INT(sum, 55 + 21 + 22 + 23 + 24 + 25);
}

TEST(test_interrupted_seal)
{
	struct env e;
	struct logstore *ls;
	char seg[400], zst[400], ck[400], msg[512];
	size_t len;
	uint8_t *p;

	/* Crash after the compressed file was renamed into place, before
	 * the plain file went: both are there.  Verification reads the
	 * .seg.zst; the writer keeps the original .seg and compresses it
	 * again. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", seg, sizeof(seg));
	path_of(&e, "000001.seg.zst", zst, sizeof(zst));
	path_of(&e, "000001.ckpt", ck, sizeof(ck));
	p = slurp(seg, &len);
	ls = env_open(&e);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_close(ls);
	CHECK(access(seg, F_OK) != 0);
	CHECK_INT(access(zst, F_OK), 0);
	spit(seg, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 10 records in 1 segments (seq 1..10), 0 "
	    "segments expired by retention");
	CHECK_INT(read_all(e.dir, NULL, T0), 10);
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK(has_notice("log/000001.seg: compression was interrupted; "
	    "compressing again"));
	CHECK(access(zst, F_OK) != 0);
	CHECK_INT(append_n(ls, 11, 2, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK(access(seg, F_OK) != 0);
	CHECK_INT(access(zst, F_OK), 0);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 12 records in 2 segments (seq 1..12), 0 "
	    "segments expired by retention");
	free(p);

	/* Crash after the checkpoint, before the compression: the segment
	 * is sealed (its checkpoint is written only once it is synced
	 * whole), and the next start compresses it. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", seg, sizeof(seg));
	path_of(&e, "000001.seg.zst", zst, sizeof(zst));
	path_of(&e, "000001.ckpt", ck, sizeof(ck));
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(logstore_seal(ls), 0);
	logstore_close(ls);
	CHECK_INT(access(seg, F_OK), 0);
	CHECK_INT(access(ck, F_OK), 0);
	CHECK(access(zst, F_OK) != 0);
	nnotices = 0;
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK_INT(nnotices, 0);
	CHECK_INT(access(ck, F_OK), 0);
	CHECK_INT(append_n(ls, 11, 2, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK(access(seg, F_OK) != 0);
	CHECK_INT(access(zst, F_OK), 0);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 12 records in 2 segments (seq 1..12), 0 "
	    "segments expired by retention");

	/* Crash while the checkpoint was being written (its temporary file
	 * is there, not the checkpoint): the segment stays active. */
	CHECK_INT(make_active(&e, 10), 0);
	path_of(&e, "000001.seg", seg, sizeof(seg));
	path_of(&e, "000001.ckpt.tmp", ck, sizeof(ck));
	spit(ck, (const uint8_t *)"MAMORICK", 8);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK(access(ck, F_OK) != 0);
	CHECK_INT(append_n(ls, 11, 2, T0), 0);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 12 records in 1 segments (seq 1..12), 0 "
	    "segments expired by retention");
}

/* Sealed segments before and after compression. */

/* Bytes of the segment files in log/, as logstore_stats.disk_bytes counts
 * them. */
static uint64_t
disk_usage(const struct env *e)
{
	struct ls_segent *v = NULL;
	struct stat sb;
	char path[400], name[64];
	size_t n = 0, i;
	uint64_t sum = 0;
	int dirfd;

	if ((dirfd = open(e->log, O_RDONLY | O_DIRECTORY)) < 0)
		return 0;
	if (ls_dir_scan(dirfd, &v, &n, 0) == 0)
		for (i = 0; i < n; i++) {
			ls_name(name, sizeof(name), v[i].segno,
			    v[i].has_zst ? LS_SUFFIX_ZST : LS_SUFFIX_SEG);
			path_of(e, name, path, sizeof(path));
			if ((v[i].has_zst || v[i].has_seg) &&
			    stat(path, &sb) == 0)
				sum += (uint64_t)sb.st_size;
		}
	free(v);
	close(dirfd);
	return sum;
}

/* Returns 1 when segment segno has no file left (.seg, .seg.zst, .tmp). */
static int
no_segment_file(const struct env *e, int segno)
{
	char path[400], name[64];

	snprintf(name, sizeof(name), "%06d.seg", segno);
	path_of(e, name, path, sizeof(path));
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(name, sizeof(name), "%06d.seg.zst", segno);
	path_of(e, name, path, sizeof(path));
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(name, sizeof(name), "%06d.seg.zst.tmp", segno);
	path_of(e, name, path, sizeof(path));
	return access(path, F_OK) != 0;
}

TEST(test_read_before_compression)
{
	struct env e;
	struct logstore *ls;
	struct logstore_reader *r;
	struct logstore_stats st;
	struct event *ev;
	char seg[400], zst[400], ck[400], msg[512], err[512];
	uint64_t expect = 1;
	int i, rc;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 100, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 101, 100, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 201, 10, T0), 0);
	CHECK(has_notice_prefix("log/000001.seg: sealed: seq 1..100, "));
	logstore_get_stats(ls, &st);
	CHECK_INT(st.sealed, 2);
	CHECK_INT(st.compress_pending, 2);
	CHECK_INT(st.compressed, 0);
	CHECK_INT(st.segments, 3);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	path_of(&e, "000001.seg", seg, sizeof(seg));
	path_of(&e, "000001.seg.zst", zst, sizeof(zst));
	path_of(&e, "000001.ckpt", ck, sizeof(ck));
	CHECK_INT(access(seg, F_OK), 0);
	CHECK_INT(access(ck, F_OK), 0);
	CHECK(access(zst, F_OK) != 0);

	/* Sealed and not compressed: read and verified as it is. */
	CHECK_INT(read_all(e.dir, NULL, T0), 210);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 210 records in 3 segments (seq 1..210), 0 "
	    "segments expired by retention");

	/* A reader halfway through segment 1 when it is compressed and its
	 * .seg removed goes on from the file it has open, then finds
	 * segment 2 under its new name. */
	r = logstore_reader_open(e.dir, err, sizeof(err));
	CHECK(r != NULL);
	for (i = 0; i < 50; i++) {
		CHECK_INT(logstore_reader_next(r, &ev, err, sizeof(err)), 0);
		CHECK_INT(ev->seq, expect);
		expect++;
		event_free(ev);
	}
	ls_zq_hold(ls->zq, 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK(access(seg, F_OK) != 0);
	CHECK_INT(access(zst, F_OK), 0);
	path_of(&e, "000002.seg", seg, sizeof(seg));
	CHECK(access(seg, F_OK) != 0);
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		CHECK_INT(ev->seq, expect);
		expect++;
		event_free(ev);
	}
	CHECK_INT(rc, MAMORI_ENOTFOUND);
	CHECK_INT(expect, 211);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compressed, 2);
	CHECK_INT(st.compress_pending, 0);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	CHECK(has_notice_prefix("log/000002.seg.zst: compressed: "));

	/* A reader at the end of a sealed segment with nothing after it
	 * yet: the end for now; it moves on once there is more. */
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(logstore_seal(ls), 0);
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		CHECK_INT(ev->seq, expect);
		expect++;
		event_free(ev);
	}
	CHECK_INT(rc, MAMORI_ENOTFOUND);
	CHECK_INT(expect, 211);
	ls_zq_hold(ls->zq, 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK_INT(append_n(ls, 211, 5, T0), 0);
	while ((rc = logstore_reader_next(r, &ev, err, sizeof(err))) == 0) {
		CHECK_INT(ev->seq, expect);
		expect++;
		event_free(ev);
	}
	CHECK_INT(rc, MAMORI_ENOTFOUND);
	CHECK_INT(expect, 216);
	logstore_reader_close(r);
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, NULL, T0), 215);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 215 records in 4 segments (seq 1..215), 0 "
	    "segments expired by retention");
}

TEST(test_compress_after_crash)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char path[400], msg[512];
	int s;

	/* Two sealed segments that were never compressed, and a
	 * compression of the first cut short: its .tmp is there. */
	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 20, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 20, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 41, 5, T0), 0);
	logstore_close(ls);
	path_of(&e, "000001.seg.zst.tmp", path, sizeof(path));
	{
		uint8_t half[100];

		memset(half, 0, sizeof(half));
		ls_put32(half, 0xfd2fb528u);	/* a zstd frame, cut */
		spit(path, half, sizeof(half));
	}
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 45 records in 3 segments (seq 1..45), 0 "
	    "segments expired by retention");
	CHECK_INT(read_all(e.dir, NULL, T0), 45);

	/* The next start removes the .tmp and queues both; nothing is
	 * compressed before the writer's first call. */
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK(access(path, F_OK) != 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compress_pending, 2);
	CHECK_INT(st.segments, 3);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	usleep(50000);
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(logstore_maintain(ls, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK_INT(access(path, F_OK), 0);
	for (s = 1; s <= 2; s++) {
		char name[64];

		snprintf(name, sizeof(name), "%06d.seg", s);
		path_of(&e, name, path, sizeof(path));
		CHECK(access(path, F_OK) != 0);
	}
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compressed, 2);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 45 records in 3 segments (seq 1..45), 0 "
	    "segments expired by retention");
}

/* kill -9 at random points of sealing and compressing: whatever is left
 * verifies intact, and the next start finishes the compression. */
TEST(test_crash_while_compressing)
{
	static const int delay_us[] = { 0, 200, 1000, 3000, 10000, 30000 };
	struct env e;
	struct logstore *ls;
	char msg[512], want[256];
	pid_t pid;
	int status, k;
	uint64_t n = 8000;	/* about 2.4 MB a segment */

	for (k = 0; k < (int)(sizeof(delay_us) / sizeof(delay_us[0]));
	    k++) {
		env_init(&e);
		e.o.segment_bytes = 1 << 30;
		ls = env_open(&e);	/* makes the directory and key */
		logstore_close(ls);
		if ((pid = fork()) == 0) {
			if ((ls = env_open(&e)) == NULL ||
			    append_n(ls, 1, n, T0) != 0 ||
			    logstore_seal(ls) != 0 ||
			    append_n(ls, n + 1, n, T0) != 0 ||
			    logstore_seal(ls) != 0 ||
			    append_n(ls, 2 * n + 1, 10, T0) != 0)
				_exit(1);
			usleep((useconds_t)delay_us[k]);
			kill(getpid(), SIGKILL);
			_exit(2);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		snprintf(want, sizeof(want), "intact: %llu records in 3 "
		    "segments (seq 1..%llu), 0 segments expired by retention",
		    (unsigned long long)(2 * n + 10),
		    (unsigned long long)(2 * n + 10));
		CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
		CHECK_STR(msg, want);
		ls = env_open(&e);
		CHECK(ls != NULL);
		CHECK_INT(append_n(ls, 2 * n + 11, 1, T0), 0);
		CHECK_INT(wait_compressed(ls), 0);
		CHECK_INT(logstore_seal(ls), 0);
		CHECK_INT(wait_compressed(ls), 0);
		logstore_close(ls);
		{
			char path[400], name[64];
			int s;

			for (s = 1; s <= 3; s++) {
				snprintf(name, sizeof(name), "%06d.seg", s);
				path_of(&e, name, path, sizeof(path));
				CHECK(access(path, F_OK) != 0);
				snprintf(name, sizeof(name), "%06d.seg.zst",
				    s);
				path_of(&e, name, path, sizeof(path));
				CHECK_INT(access(path, F_OK), 0);
			}
		}
		snprintf(want, sizeof(want), "intact: %llu records in 3 "
		    "segments (seq 1..%llu), 0 segments expired by retention",
		    (unsigned long long)(2 * n + 11),
		    (unsigned long long)(2 * n + 11));
		CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
		CHECK_STR(msg, want);
	}
}

TEST(test_tamper_uncompressed_sealed)
{
	struct env e;
	struct logstore *ls;
	char path[400], msg[512], want[512];
	size_t len, offs[64];
	uint8_t *p;

	/* Two sealed segments, closed before they were compressed. */
	env_init(&e);
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 5, T0), 0);
	logstore_close(ls);

	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	p[msg_off(p, offs[2])] ^= 0x20;		/* seq 3 */
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 3 changed (offset "
	    "%zu: record fails its checksum)", offs[2]);
	CHECK_STR(msg, want);
	fix_crc(p + offs[2]);
	spit(path, p, len);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: seq 3 changed (offset "
	    "%zu: chain hash mismatch)", offs[2]);
	CHECK_STR(msg, want);

	/* Compressing it does not hide the change. */
	ls = env_open(&e);
	CHECK(ls != NULL);
	CHECK_INT(logstore_maintain(ls, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_close(ls);
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg.zst: seq 3 changed "
	    "(offset %zu: chain hash mismatch)", offs[2]);
	CHECK_STR(msg, want);
	free(p);

	/* The whole chain rewritten, through uncompressed sealed segments:
	 * the checkpoints tell. */
	env_init(&e);
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	logstore_close(ls);
	rewrite_chain(&e, 2, 4, 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000001.seg: the chain ends at seq 10 with another "
	    "hash than its checkpoint's: records were rewritten");

	/* Removed before it was compressed. */
	env_init(&e);
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 5, T0), 0);
	logstore_close(ls);
	path_of(&e, "000002.seg", path, sizeof(path));
	CHECK_INT(unlink(path), 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	CHECK_STR(msg, "log/000002.seg.zst removed without an expiry record "
	    "(seq 11..20)");

	/* A record added to a sealed .seg: the writer leaves it
	 * uncompressed, as evidence. */
	env_init(&e);
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 2, T0), 0);
	logstore_close(ls);
	path_of(&e, "000001.seg", path, sizeof(path));
	p = slurp(path, &len);
	CHECK_INT(offsets(p, len, offs, 64), 10);
	{
		size_t l3 = offs[3] - offs[2];
		uint8_t *q = malloc(len + l3);

		memcpy(q, p, len);
		memcpy(q + len, p + offs[2], l3);
		spit(path, q, len + l3);
		free(q);
	}
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: record inserted "
	    "(offset %zu holds seq 3 again, after seq 10)", len);
	CHECK_STR(msg, want);
	ls = env_open(&e);
	CHECK(ls != NULL);
	snprintf(want, sizeof(want), "log/000001.seg: %zu bytes, its "
	    "checkpoint says %zu; not compressed, left for verification",
	    len + offs[3] - offs[2], len);
	CHECK(has_notice(want));
	CHECK_INT(logstore_maintain(ls, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_close(ls);
	CHECK_INT(access(path, F_OK), 0);
	path_of(&e, "000001.seg.zst", path, sizeof(path));
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(verify(&e, msg, sizeof(msg)), MAMORI_ECORRUPT);
	snprintf(want, sizeof(want), "log/000001.seg: record inserted "
	    "(offset %zu holds seq 3 again, after seq 10)", len);
	CHECK_STR(msg, want);
	free(p);
}

TEST(test_expiry_before_compression)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512], path[400];
	uint64_t first = 0;
	int64_t day = 86400 * NS_PER_SEC;
	int k;

	/* Expired while still waiting for compression. */
	env_init(&e);
	e.o.retention_ns = 10 * day;
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 1, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 11, 10, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 21, 5, T0), 0);
	/* Segment 1's newest record is at T0 + 10 s. */
	CHECK_INT(logstore_maintain(ls, T0 + 10 * day + 11 * NS_PER_SEC), 0);
	CHECK(has_notice("log/000001.seg: expired by retention (age): seq "
	    "1..10"));
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 1);
	CHECK_INT(st.compress_pending, 1);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	CHECK(no_segment_file(&e, 1));
	path_of(&e, "000001.ckpt", path, sizeof(path));
	CHECK_INT(access(path, F_OK), 0);
	ls_zq_hold(ls->zq, 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK(no_segment_file(&e, 1));
	path_of(&e, "000002.seg.zst", path, sizeof(path));
	CHECK_INT(access(path, F_OK), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compressed, 1);
	CHECK_INT(st.disk_bytes, disk_usage(&e));
	logstore_close(ls);
	CHECK_INT(read_all(e.dir, &first, T0), 15);
	CHECK_INT(first, 11);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 16 records in 2 segments (seq 11..26), 1 "
	    "segments expired by retention");

	/* Expired at whatever point of its compression the thread is:
	 * nothing of it stays behind. */
	for (k = 0; k < 6; k++) {
		env_init(&e);
		e.o.retention_ns = 10 * day;
		ls = env_open(&e);
		ls_zq_hold(ls->zq, 1);
		CHECK_INT(append_n(ls, 1, 6000, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
		CHECK_INT(append_n(ls, 6001, 6000, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
		CHECK_INT(append_n(ls, 12001, 5, T0), 0);
		ls_zq_hold(ls->zq, 0);
		usleep((useconds_t)(k * k * 1000));
		CHECK_INT(logstore_maintain(ls, T0 + 100 * day), 0);
		logstore_get_stats(ls, &st);
		CHECK_INT(st.expired, 2);
		CHECK_INT(wait_compressed(ls), 0);
		CHECK(no_segment_file(&e, 1));
		CHECK(no_segment_file(&e, 2));
		logstore_get_stats(ls, &st);
		CHECK_INT(st.disk_bytes, disk_usage(&e));
		CHECK_INT(st.segments, 1);
		logstore_close(ls);
		CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
		CHECK_STR(msg, "intact: 7 records in 1 segments (seq "
		    "12001..12007), 2 segments expired by retention");
	}
}

/* Retention by size counts a segment waiting for compression at the
 * size it will have: a backlog does not remove old segments that fit. */
TEST(test_expiry_size_backlog)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	char msg[512];
	int i;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < 3; i++) {
		CHECK_INT(append_n(ls, (uint64_t)i * 200 + 1, 200, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
	}
	CHECK_INT(wait_compressed(ls), 0);
	logstore_get_stats(ls, &st);
	logstore_close(ls);
	/* Room for the three compressed and about two more. */
	e.o.retention_bytes = st.disk_bytes * 5 / 3 + 4000;
	ls = env_open(&e);
	ls_zq_hold(ls->zq, 1);
	CHECK_INT(append_n(ls, 601, 200, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 801, 200, T0), 0);
	CHECK_INT(logstore_seal(ls), 0);
	CHECK_INT(append_n(ls, 1001, 1, T0), 0);
	logstore_get_stats(ls, &st);
	CHECK(st.disk_bytes > e.o.retention_bytes);	/* uncompressed */
	CHECK_INT(logstore_maintain(ls, T0), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 0);
	ls_zq_hold(ls->zq, 0);
	CHECK_INT(wait_compressed(ls), 0);
	CHECK_INT(logstore_maintain(ls, T0), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.expired, 0);
	CHECK(st.disk_bytes <= e.o.retention_bytes);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 1001 records in 6 segments (seq 1..1001), 0 "
	    "segments expired by retention");
}

/* Releases the compressor of ls after 200 ms. */
static void *
release_later(void *arg)
{
	usleep(200000);
	ls_zq_hold(((struct logstore *)arg)->zq, 0);
	return NULL;
}

/* The backlog of sealed segments waiting for compression is bounded:
 * with LS_ZQ_MAX waiting, a seal waits until one of them is done. */
TEST(test_backlog_bound)
{
	struct env e;
	struct logstore *ls;
	struct logstore_stats st;
	pthread_t t;
	int64_t t0, t1;
	char msg[512];
	int i;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	ls_zq_hold(ls->zq, 1);
	for (i = 0; i < LS_ZQ_MAX; i++) {
		CHECK_INT(append_n(ls, (uint64_t)i * 10 + 1, 10, T0), 0);
		CHECK_INT(logstore_seal(ls), 0);
	}
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compress_pending, LS_ZQ_MAX);
	CHECK_INT(append_n(ls, LS_ZQ_MAX * 10 + 1, 10, T0), 0);
	CHECK_INT(pthread_create(&t, NULL, release_later, ls), 0);
	t0 = time_mono_ns();
	CHECK_INT(logstore_seal(ls), 0);
	t1 = time_mono_ns();
	logstore_get_stats(ls, &st);
	CHECK(t1 - t0 >= 150 * 1000000LL);
	CHECK(st.compressed >= 1);
	CHECK(st.compress_pending <= LS_ZQ_MAX);
	pthread_join(t, NULL);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 90 records in 9 segments (seq 1..90), 0 "
	    "segments expired by retention");

	/* While compression fails (here the .tmp cannot be made: a
	 * directory has its name), the failure is told once and sealing
	 * does not wait; the next start takes the backlog up again. */
	env_init(&e);
	ls = env_open(&e);
	{
		char path[400];

		path_of(&e, "000001.seg.zst.tmp", path, sizeof(path));
		CHECK_INT(mkdir(path, 0700), 0);
		for (i = 0; i < LS_ZQ_MAX + 2; i++) {
			CHECK_INT(append_n(ls, (uint64_t)i * 10 + 1, 10, T0),
			    0);
			CHECK_INT(logstore_seal(ls), 0);
			if (i == 0) {
				/* Until it failed once. */
				t0 = time_mono_ns();
				do {
					usleep(1000);
					logstore_maintain(ls, T0);
				} while (!has_notice_quiet("log/000001.seg: "
				    "cannot compress (I/O error: Is a "
				    "directory); left as it is and tried "
				    "again in a minute") &&
				    time_mono_ns() - t0 < 10 * NS_PER_SEC);
			}
		}
		logstore_get_stats(ls, &st);
		CHECK_INT(st.compress_pending, LS_ZQ_MAX + 2);
		CHECK_INT(st.compressed, 0);
		logstore_close(ls);
		CHECK_INT(rmdir(path), 0);
	}
	CHECK(has_notice("log/000001.seg: cannot compress (I/O error: Is a "
	    "directory); left as it is and tried again in a minute"));
	ls = env_open(&e);
	CHECK_INT(append_n(ls, 101, 1, T0), 0);
	CHECK_INT(wait_compressed(ls), 0);
	logstore_get_stats(ls, &st);
	CHECK_INT(st.compressed, LS_ZQ_MAX + 2);
	logstore_close(ls);
	CHECK_INT(verify(&e, msg, sizeof(msg)), 0);
	CHECK_STR(msg, "intact: 101 records in 11 segments (seq 1..101), 0 "
	    "segments expired by retention");
}

/* A writer in another process appends, seals and syncs while this one
 * reads and verifies. */
TEST(test_concurrent_reader)
{
	struct env e;
	struct logstore *ls;
	struct logstore_reader *r;
	struct logstore_verify_result res;
	struct event *ev;
	char err[512];
	uint64_t expect = 1, total = 200000;
	int64_t deadline;
	pid_t pid;
	int rc, status, verifies = 0, bad = 0;

	env_init(&e);
	e.o.segment_bytes = 1 << 20;
	ls = env_open(&e);	/* makes the directory and key */
	logstore_close(ls);
	if ((pid = fork()) == 0) {
		uint64_t i;

		if ((ls = env_open(&e)) == NULL)
			_exit(1);
		for (i = 1; i <= total; i++) {
			ev = mkevent(i, T0 + (int64_t)i * NS_PER_SEC);
			if (logstore_append(ls, ev) != 0)
				_exit(2);
			event_free(ev);
			if (i % 1000 == 0 && (logstore_sync(ls) != 0 ||
			    logstore_maintain(ls, T0) != 0))
				_exit(3);
		}
		logstore_close(ls);
		_exit(0);
	}
	r = logstore_reader_open(e.dir, err, sizeof(err));
	CHECK(r != NULL);
	deadline = time_mono_ns() + 240 * NS_PER_SEC;
	while (expect <= total && time_mono_ns() < deadline) {
		rc = logstore_reader_next(r, &ev, err, sizeof(err));
		if (rc == MAMORI_ENOTFOUND) {
			if (verifies < 5 && expect > (uint64_t)verifies *
			    30000) {
				rc = logstore_verify(e.dir, e.key, &res);
				if (rc != 0) {
					fprintf(stderr, "verify: %s\n",
					    res.msg);
					bad++;
				}
				verifies++;
			}
			usleep(1000);
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "reader: %s\n", err);
			bad++;
			break;
		}
		if (ev->seq != expect || ev->recv_ns != T0 +
		    (int64_t)expect * NS_PER_SEC) {
			fprintf(stderr, "got seq %llu, expected %llu\n",
			    (unsigned long long)ev->seq,
			    (unsigned long long)expect);
			bad++;
			event_free(ev);
			break;
		}
		expect++;
		event_free(ev);
	}
	logstore_reader_close(r);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_INT(bad, 0);
	CHECK_INT(expect, total + 1);
	CHECK(verifies >= 1);
	CHECK_INT(logstore_verify(e.dir, e.key, &res), 0);
	CHECK(strncmp(res.msg, "intact: 200000 records in ", 26) == 0);
}

TEST(test_throughput)
{
	struct env e;
	struct logstore *ls;
	struct event **evs;
	uint64_t i, n = 500000;
	int64_t t0, t1;
	struct logstore_stats st;
	int rc = 0;

	env_init(&e);
	if ((ls = env_open(&e)) == NULL) {
		CHECK(0);
		return;
	}
	evs = calloc(1000, sizeof(*evs));
	for (i = 0; i < 1000; i++)
		evs[i] = mkevent(i, T0 + (int64_t)i);
	t0 = time_mono_ns();
	for (i = 0; i < n && rc == 0; i++) {
		rc = logstore_append(ls, evs[i % 1000]);
		if (i % 4096 == 4095 && rc == 0)
			rc = logstore_sync(ls);	/* group commit */
	}
	if (rc == 0)
		rc = logstore_sync(ls);
	t1 = time_mono_ns();
	CHECK_INT(rc, 0);
	logstore_get_stats(ls, &st);
	printf("append: %llu records (%.0f bytes each) in %.3f s: "
	    "%.0f records/s, %.1f MB/s, %llu fdatasyncs\n",
	    (unsigned long long)n, (double)st.bytes / (double)n,
	    (double)(t1 - t0) / 1e9, (double)n * 1e9 / (double)(t1 - t0),
	    (double)st.bytes * 1e3 / (double)(t1 - t0),
	    (unsigned long long)st.syncs);
	t0 = time_mono_ns();
	CHECK_INT(logstore_seal(ls), 0);
	t1 = time_mono_ns();
	printf("seal: %.3f s on the writer\n", (double)(t1 - t0) / 1e9);
	t0 = time_mono_ns();
	CHECK_INT(wait_compressed(ls), 0);
	t1 = time_mono_ns();
	logstore_get_stats(ls, &st);
	printf("background compression finished %.3f s later: %llu "
	    "segments, %llu bytes on disk\n", (double)(t1 - t0) / 1e9,
	    (unsigned long long)st.compressed,
	    (unsigned long long)st.disk_bytes);
	logstore_close(ls);
	for (i = 0; i < 1000; i++)
		event_free(evs[i]);
	free(evs);
	{
		struct logstore_verify_result res;

		t0 = time_mono_ns();
		CHECK_INT(logstore_verify(e.dir, e.key, &res), 0);
		t1 = time_mono_ns();
		printf("verify: %s in %.3f s\n", res.msg,
		    (double)(t1 - t0) / 1e9);
	}
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	snprintf(tmproot, sizeof(tmproot), "/tmp/mamori-test-logstore-XXXXXX");
	if (mkdtemp(tmproot) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_crc32c);
	RUN(test_roundtrip);
	RUN(test_empty_store);
	RUN(test_key_and_lock);
	RUN(test_seal_and_compress);
	RUN(test_seal_by_age);
	RUN(test_set_range);
	RUN(test_append_invalid);
	RUN(test_sync_async);
	RUN(test_prehash_contract);
	RUN(test_prehash_batch);
	RUN(test_write_behind_failure);
	RUN(test_abandon);
	RUN(test_tamper_active_flip);
	RUN(test_tamper_delete_record);
	RUN(test_tamper_truncate_end);
	RUN(test_tamper_swap);
	RUN(test_tamper_insert);
	RUN(test_tamper_sealed_flip);
	RUN(test_tamper_delete_segment);
	RUN(test_tamper_rewrite_chain);
	RUN(test_wrong_key);
	RUN(test_expiry_by_age);
	RUN(test_expiry_by_size);
	RUN(test_expiry_size_keeps_newest);
	RUN(test_torn_tail);
	RUN(test_corruption_not_torn);
	RUN(test_oversized_length);
	RUN(test_damaged_header);
	RUN(test_interrupted_seal);
	RUN(test_read_before_compression);
	RUN(test_compress_after_crash);
	RUN(test_crash_while_compressing);
	RUN(test_tamper_uncompressed_sealed);
	RUN(test_expiry_before_compression);
	RUN(test_expiry_size_backlog);
	RUN(test_backlog_bound);
	RUN(test_concurrent_reader);
	RUN(test_seal_async);
	RUN(test_throughput);
	nftw(tmproot, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return test_summary();
}
