/*
 * logstore-int.h - what the log store's files share: the on-disk format,
 * record encoding, segment sources, checkpoints, the head and the key.
 * For src/store/logstore*.c and their unit test only; everyone else uses
 * logstore.h.  docs/storage.md describes the same format for people; keep
 * the two in step.
 *
 * All integers on disk are little-endian.
 */
#ifndef MAMORI_LOGSTORE_INT_H
#define MAMORI_LOGSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "core/event.h"

/* Segment file header: 80 bytes at the start of every segment. */
#define LS_SEG_MAGIC		"MAMORISG"
#define LS_SEG_VERSION		1
#define LS_SEG_HDR_LEN		80

/*
 * Record framing:
 *   0  u8[2] magic 0x6d 0xa7
 *   2  u8    type (LS_REC_*)
 *   3  u8    reserved, 0
 *   4  u32   length of the whole record, this header to the CRC
 *   8  u64   seq
 *  16  ...   body
 * L-36 u8[32] chain hash: SHA-256(previous record's chain hash ||
 *             bytes 0 .. L-36)
 * L-4  u32   CRC-32C of bytes 0 .. L-4
 */
#define LS_REC_MAGIC0		0x6d
#define LS_REC_MAGIC1		0xa7
#define LS_REC_EVENT		1
#define LS_REC_EXPIRY		2
#define LS_REC_HDR_LEN		16
#define LS_HASH_LEN		32
#define LS_REC_TRAILER_LEN	(LS_HASH_LEN + 4)
#define LS_REC_MIN		(LS_REC_HDR_LEN + LS_REC_TRAILER_LEN)
/* No record is longer: a corrupted length never makes a reader allocate
 * more than this.  It holds the largest message input.max_message_size
 * allows (16 MiB) with room to spare for the record's header, the
 * sender address and derived strings, so no message the server accepted
 * is refused by the store. */
#define LS_REC_MAX		((16u << 20) + (64u << 10))
/* Fixed part of an event body, before the sender address and data. */
#define LS_EVENT_FIXED		84
/* Body of an expiry record. */
#define LS_EXPIRY_BODY		88

/* Checkpoint (NNNNNN.ckpt) and head (head) files, fixed size. */
#define LS_CKPT_MAGIC		"MAMORICK"
#define LS_CKPT_VERSION		1
#define LS_CKPT_LEN		256
#define LS_HEAD_MAGIC		"MAMORIHD"
#define LS_HEAD_VERSION		1
#define LS_HEAD_LEN		128

#define LS_KEY_LEN		32
#define LS_KEYID_LEN		8
#define LS_MAC_LEN		32

#define LS_EXPIRE_AGE		1
#define LS_EXPIRE_SIZE		2

/* File names: "000001.seg" (active), "000001.seg.zst" (sealed),
 * "000001.ckpt" (its checkpoint). */
#define LS_SUFFIX_SEG		".seg"
#define LS_SUFFIX_ZST		".seg.zst"
#define LS_SUFFIX_CKPT		".ckpt"
#define LS_HEAD_NAME		"head"
#define LS_LOCK_NAME		"lock"
#define LS_NAME_MAX		64

static inline void
ls_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
ls_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void
ls_put64(uint8_t *p, uint64_t v)
{
	ls_put32(p, (uint32_t)v);
	ls_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t
ls_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
ls_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
ls_get64(const uint8_t *p)
{
	return (uint64_t)ls_get32(p) | (uint64_t)ls_get32(p + 4) << 32;
}

/* CRC-32C (Castagnoli) of p[0..n); SSE 4.2 when the CPU has it. */
uint32_t ls_crc32c(const void *p, size_t n);

/*
 * SHA-256 for the chain.  The context is kept so that hashing a record
 * allocates nothing.  ls_hasher_init() returns 0 or MAMORI_ENOMEM;
 * ls_hasher_release() frees what init allocated (safe on a zeroed one).
 */
struct ls_hasher {
	int		 fast;		/* sha256_fast(): EVP only without */
	EVP_MD		*md;
	EVP_MD_CTX	*ctx;
};

int ls_hasher_init(struct ls_hasher *h);
void ls_hasher_release(struct ls_hasher *h);
/*
 * The chain hash of the record whose bytes before the trailer are p[0..n)
 * (n >= LS_REC_HDR_LEN): out = SHA-256(prev || p[0..16) || SHA-256(p[16..n))),
 * the header and the digest of the body.  The body's digest does not
 * depend on the chain or the seq, so it can be computed ahead, by another
 * thread (logstore_event_prehash()); the writer's own share is then one
 * 80-byte hash per record.
 */
void ls_chain_hash(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    const uint8_t *p, size_t n, uint8_t out[LS_HASH_LEN]);
/* out = SHA-256(prev || hdr[0..16) || body_digest). */
void ls_chain_step(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    const uint8_t hdr[LS_REC_HDR_LEN], const uint8_t digest[LS_HASH_LEN],
    uint8_t out[LS_HASH_LEN]);

/*
 * The seal key and what is derived from it.  The id (the first 8 bytes of
 * HMAC(key, "mamori seal key id")) goes into every checkpoint, so that a
 * wrong key is told apart from a forged checkpoint.
 */
struct ls_key {
	uint8_t		k[LS_KEY_LEN];
	uint8_t		id[LS_KEYID_LEN];
};

/*
 * Reads the key at path: 32 bytes written as 64 hex digits (and an
 * optional newline), or 32 raw bytes.  With create, a missing key is made
 * from RAND_bytes() with mode 0600 (and missing parent directories with
 * 0700).  Returns 0, MAMORI_EKEY (missing, unreadable or malformed) or
 * MAMORI_ESYS (cannot create), with a message in err.
 */
int ls_key_load(const char *path, int create, struct ls_key *k, char *err,
    size_t errlen);
/* out = HMAC-SHA256(key, p[0..n)). */
void ls_mac(const struct ls_key *k, const uint8_t *p, size_t n,
    uint8_t out[LS_MAC_LEN]);
/*
 * Checks that mac is HMAC(key, p[0..n)) made with a key whose id is keyid.
 * Returns 0, MAMORI_EKEY when keyid names another key, MAMORI_ECORRUPT
 * when the id is ours but the MAC is not (forged or changed).
 */
int ls_mac_check(const struct ls_key *k, const uint8_t *p, size_t n,
    const uint8_t keyid[LS_KEYID_LEN], const uint8_t mac[LS_MAC_LEN]);
/* Writes the 16 hex digits of id into buf (17 bytes). */
void ls_keyid_hex(const uint8_t id[LS_KEYID_LEN], char buf[17]);

/* Segment file header. */
struct ls_seghdr {
	uint64_t	segno;
	uint64_t	first_seq;
	uint8_t		prev_hash[LS_HASH_LEN];	/* chain before first_seq */
	int64_t		created_ns;
};

void ls_seghdr_encode(const struct ls_seghdr *h, uint8_t out[LS_SEG_HDR_LEN]);
/* Returns 0, or MAMORI_ECORRUPT with a reason in *why (bad magic, version,
 * check).  p must hold LS_SEG_HDR_LEN bytes. */
int ls_seghdr_decode(const uint8_t *p, struct ls_seghdr *h,
    const char **why);

/* A framed record: a view of bytes owned by whoever read them. */
struct ls_rec {
	const uint8_t	*p;
	uint32_t	 len;
	uint8_t		 type;
	uint64_t	 seq;
	const uint8_t	*hash;		/* p + len - 36 */
};

/*
 * Frames the record at p[0..avail).  Returns 0 with r set; MAMORI_ETRUNC
 * when avail ends before the record does (a partial record: more may come,
 * or a torn tail); MAMORI_ECORRUPT with a reason in *why for a bad magic, a
 * length out of bounds, a CRC mismatch or an unknown type.  The length is
 * checked against LS_REC_MAX before anything else uses it.
 */
int ls_rec_frame(const uint8_t *p, size_t avail, struct ls_rec *r,
    const char **why);

/* Returns the encoded length of ev as a record, or 0 when ev is invalid
 * (a field outside its data) or the record would exceed LS_REC_MAX
 * (*toobig set). */
size_t ls_event_rec_len(const struct event *ev, int *toobig);
/* Encodes ev as record seq into out[0..len), which ls_event_rec_len()
 * sized, leaving the trailer for ls_rec_finish(). */
void ls_event_encode(const struct event *ev, uint64_t seq, uint8_t *out,
    size_t len);
/* Fills the trailer of the record in rec[0..len): its chain hash from prev
 * (copied to out_hash) and its CRC.  digest is the body's SHA-256 when
 * already known (logstore_event_prehash()), else NULL. */
void ls_rec_finish(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    uint8_t *rec, size_t len, const uint8_t *digest,
    uint8_t out_hash[LS_HASH_LEN]);
/* The SHA-256 of the body ls_event_encode() would write for ev (the
 * record less header and trailer).  ev must be storable
 * (ls_event_rec_len() != 0). */
void ls_event_digest(struct ls_hasher *h, const struct event *ev,
    uint8_t out[LS_HASH_LEN]);
/* The same for two events at once (faster than two calls where the CPU
 * has the SHA extensions, see core/sha256.h). */
void ls_event_digest2(struct ls_hasher *h, const struct event *a,
    uint8_t oa[LS_HASH_LEN], const struct event *b, uint8_t ob[LS_HASH_LEN]);
/*
 * Decodes an event record into a new event (caller frees with
 * event_free()).  Returns 0, MAMORI_ECORRUPT with *why when the body is
 * inconsistent (a field outside the data, sizes that do not add up), or
 * MAMORI_ENOMEM.
 */
int ls_event_decode(const struct ls_rec *r, struct event **evp,
    const char **why);
/* Reads only the times of an event record (for range bookkeeping). */
int ls_event_times(const struct ls_rec *r, int64_t *recv_ns,
    int64_t *time_ns);

/* An expiry record: segment segno (seq first..last) was removed by
 * retention at expired_ns. */
struct ls_expiry {
	uint64_t	segno;
	uint64_t	first_seq, last_seq;
	int64_t		min_recv_ns, max_recv_ns;
	uint8_t		last_hash[LS_HASH_LEN];
	int64_t		expired_ns;
	uint32_t	reason;		/* LS_EXPIRE_* */
};

#define LS_EXPIRY_REC_LEN	(LS_REC_HDR_LEN + LS_EXPIRY_BODY + \
				 LS_REC_TRAILER_LEN)
void ls_expiry_encode(const struct ls_expiry *x, uint64_t seq, uint8_t *out);
int ls_expiry_decode(const struct ls_rec *r, struct ls_expiry *x);

/* Checkpoint of a sealed segment, authenticated with the key. */
struct ls_ckpt {
	uint64_t	segno;
	uint64_t	first_seq, last_seq;
	uint64_t	raw_bytes;	/* uncompressed segment size */
	uint64_t	zst_bytes;	/* compressed file size */
	int64_t		min_recv_ns, max_recv_ns;
	int64_t		min_time_ns, max_time_ns;	/* ts, else recv */
	int64_t		created_ns, sealed_ns;
	uint8_t		prev_hash[LS_HASH_LEN];
	uint8_t		last_hash[LS_HASH_LEN];
	uint8_t		key_id[LS_KEYID_LEN];
	int64_t		expired_ns;	/* 0 while the segment is kept */
	uint64_t	expiry_seq;	/* seq of its expiry record */
	uint32_t	expiry_reason;
	uint8_t		mac[LS_MAC_LEN];
};

/* Encodes c (key id and MAC from k) into out. */
void ls_ckpt_encode(struct ls_ckpt *c, const struct ls_key *k,
    uint8_t out[LS_CKPT_LEN]);
/* Decodes without checking the MAC.  Returns 0 or MAMORI_ECORRUPT. */
int ls_ckpt_decode(const uint8_t *p, size_t len, struct ls_ckpt *c);
/*
 * Reads NNNNNN.ckpt under dirfd into c, and its bytes into raw (for
 * ls_mac_check() over the first LS_CKPT_LEN - LS_MAC_LEN bytes).  Returns
 * 0, MAMORI_ENOTFOUND, MAMORI_ECORRUPT (wrong size or format) or
 * MAMORI_EIO.
 */
int ls_ckpt_read(int dirfd, uint64_t segno, struct ls_ckpt *c,
    uint8_t raw[LS_CKPT_LEN]);
/* Writes it atomically (temporary file, fsync, rename).  Returns 0 or
 * MAMORI_EIO. */
int ls_ckpt_write(int dirfd, struct ls_ckpt *c, const struct ls_key *k);

/* The head: the newest record the writer had made durable, keyed. */
struct ls_head {
	uint64_t	seq;		/* 0: the store held no record */
	uint64_t	segno;
	int64_t		written_ns;
	uint8_t		hash[LS_HASH_LEN];
	uint8_t		key_id[LS_KEYID_LEN];
	uint8_t		mac[LS_MAC_LEN];
};

/* Same conventions as the checkpoint functions. */
int ls_head_read(int dirfd, struct ls_head *h, uint8_t raw[LS_HEAD_LEN]);
int ls_head_write(int dirfd, struct ls_head *h, const struct ls_key *k);

/* Writes "000001<suffix>" into buf. */
void ls_name(char *buf, size_t len, uint64_t segno, const char *suffix);

/* One segment number as found in the directory. */
struct ls_segent {
	uint64_t	segno;
	unsigned	has_seg:1;	/* NNNNNN.seg */
	unsigned	has_zst:1;	/* NNNNNN.seg.zst */
	unsigned	has_ckpt:1;	/* NNNNNN.ckpt */
};

/*
 * Lists the segment files under dirfd, sorted by number, into *v (caller
 * frees).  With remove_tmp, deletes leftover "*.tmp" files (the writer
 * does, after a crash).  Returns 0, MAMORI_ENOMEM or MAMORI_EIO.
 */
int ls_dir_scan(int dirfd, struct ls_segent **v, size_t *n, int remove_tmp);

/* Writes all of p[0..n) at off.  Returns 0 or MAMORI_EIO (errno set). */
int ls_pwrite_all(int fd, const void *p, size_t n, uint64_t off);

/*
 * A segment source reads a segment's bytes in order, from a plain file or
 * through zstd, with bounded memory: a window that grows to the longest
 * record (at most LS_REC_MAX) plus the decoder's own buffers, whose window
 * size is capped too.  On a plain file that a writer appends to, reading
 * past the current end simply finds nothing yet; a later call finds more.
 */
struct ls_src {
	int		 fd;
	int		 zst;
	ZSTD_DCtx	*dctx;
	uint8_t		*in;
	size_t		 incap, inpos, inlen;
	int		 in_eof;
	int		 frame_open;	/* inside a zstd frame */
	int		 zerr;		/* the last ECORRUPT came from zstd */
	uint8_t		*buf;
	size_t		 cap, start, end;
	uint64_t	 off;		/* segment offset of buf[start] */
};

/*
 * Opens name under dirfd (zst: compressed).  Returns 0, MAMORI_ENOTFOUND
 * when the file does not exist, MAMORI_EIO or MAMORI_ENOMEM.  Release with
 * ls_src_close() (also after a failed open).
 */
int ls_src_open(struct ls_src *s, int dirfd, const char *name, int zst);
/* Same over an open descriptor, which the source then owns. */
int ls_src_open_fd(struct ls_src *s, int fd, int zst);
void ls_src_close(struct ls_src *s);

/* Makes at least want bytes available from buf[start] if the file holds
 * them.  Returns 0 (check ls_src_avail()), MAMORI_ECORRUPT with *why for
 * bad compressed data, MAMORI_EIO or MAMORI_ENOMEM. */
int ls_src_fill(struct ls_src *s, size_t want, const char **why);

static inline size_t
ls_src_avail(const struct ls_src *s)
{
	return s->end - s->start;
}

/*
 * Reads the segment header.  Returns 0, MAMORI_ETRUNC (the file is shorter
 * than a header: just created), MAMORI_ECORRUPT with *why.
 */
int ls_src_header(struct ls_src *s, struct ls_seghdr *h, const char **why);

/*
 * Frames the next record; *r is valid until the next call on s, and
 * *recoff is its segment offset.  Returns 0; MAMORI_ENOTFOUND at a clean
 * end (no byte left); MAMORI_ETRUNC when a partial record ends the data
 * (consumes nothing: a later call may find it complete); MAMORI_ECORRUPT
 * with *why (consumes nothing); or MAMORI_EIO/ENOMEM.  For a compressed
 * source, data cut short inside the zstd frame is MAMORI_ECORRUPT.
 */
int ls_src_next(struct ls_src *s, struct ls_rec *r, uint64_t *recoff,
    const char **why);

/*
 * The compressor (logstore-compress.c): one background thread per store
 * that turns sealed NNNNNN.seg files into NNNNNN.seg.zst, so that sealing
 * costs the writer a sync and a checkpoint, not the compression.
 *
 * The writer hands it jobs (ls_zq_push) and takes back what it finished
 * (ls_compress_collect, from logstore_maintain); retention cancels the job
 * of a segment it expires (ls_zq_cancel).  Everything shared is behind mu
 * and held only for a few instructions, never across file I/O: the
 * thread runs at the lowest CPU priority and the writer must not wait
 * for it.  The
 * counters read by logstore_get_stats() are atomics.
 */
#include <pthread.h>
#include <stdatomic.h>

/* Sealed segments waiting for compression before a seal waits for the
 * compressor: uncompressed segments take about 8 times the disk space,
 * so the backlog must not grow when ingestion outruns compression. */
#define LS_ZQ_MAX	8
/* After a failure (disk full), the compressor tries again this late. */
#define LS_ZQ_RETRY_NS	(60 * 1000000000LL)
/* While more than this many bytes a second are appended, the compressor
 * leaves sealed segments for later (until the backlog reaches LS_ZQ_MAX),
 * measured over LS_ZQ_BUSY_WINDOW_NS before each one. */
#define LS_ZQ_BUSY_BPS	(16ull << 20)
#define LS_ZQ_BUSY_WINDOW_NS	(50 * 1000000LL)

enum ls_zstate {
	LS_ZJ_QUEUED,		/* waiting */
	LS_ZJ_BUSY,		/* being compressed into the .tmp */
	LS_ZJ_RENAMING,		/* the .tmp is being renamed into place */
	LS_ZJ_DONE,		/* compressed, for the writer to take in */
	LS_ZJ_SKIPPED		/* left as it is (why says why) */
};

struct ls_zjob {
	uint64_t	segno;
	uint64_t	raw_bytes;	/* its size, from its checkpoint */
	uint64_t	zst_bytes;	/* LS_ZJ_DONE: the compressed size */
	enum ls_zstate	state;
	const char	*why;		/* LS_ZJ_SKIPPED: static text */
};

struct ls_zq {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a job, stop, hold or arm changed */
	pthread_cond_t	 room;		/* a job left the backlog */
	pthread_t	 thr;
	int		 running;	/* thr was started */
	int		 armed;		/* may take jobs (ls_zq_arm) */
	int		 hold;		/* takes no new job (tests) */
	int		 failing;	/* the last attempt failed */
	int64_t		 retry_ns;	/* ... try again at (monotonic) */
	uint64_t	 fail_segno;	/* the failure, for the writer's */
	int		 fail_rc, fail_errno;	/* notice; fail_new until */
	int		 fail_new;		/* it was reported */
	struct ls_zjob	*jobs;		/* oldest first */
	size_t		 njobs, cap;
	atomic_int	 stop;
	atomic_int	 cancel;	/* the busy job's segment expired */
	atomic_uint_fast64_t pending;	/* jobs queued, busy or renaming */
	atomic_uint_fast64_t compressed; /* segments compressed since open */
	atomic_uint_fast64_t appended;	/* bytes the writer wrote out */
	atomic_int_fast64_t appended_ns; /* when it last did (monotonic) */

	/* Set before the thread starts, read-only after. */
	int		 dirfd;		/* borrowed from the store */
	int		 level;

	/* The thread's own. */
	ZSTD_CCtx	*cctx;
	uint8_t		*in, *out;
	size_t		 incap, outcap;
};

/* The writer wrote out n more bytes (the compressor's measure of how
 * busy ingestion is).  z may be NULL. */
void ls_zq_appended(struct ls_zq *z, uint64_t n);
/* Returns a new, idle compressor over dirfd (not owned), or NULL. */
struct ls_zq *ls_zq_new(int dirfd, int level);
/* Starts its thread.  Returns 0 or MAMORI_ESYS. */
int ls_zq_start(struct ls_zq *z);
/* Lets it take jobs.  The server opens the store before it drops
 * privileges and writes only after: files made before the first write
 * would belong to the wrong user.  Called by the writer's entry points. */
void ls_zq_arm(struct ls_zq *z);
/* Stops the thread, abandoning a compression in progress (its .tmp is
 * removed; the next logstore_open() queues the segment again).  What it
 * finished before stays for ls_compress_collect(). */
void ls_zq_stop(struct ls_zq *z);
/* Stops it if need be and frees z.  NULL is a no-op. */
void ls_zq_free(struct ls_zq *z);
/* Queues segment segno, whose .seg holds raw_bytes.  Returns 0 or
 * MAMORI_ENOMEM (the segment then waits for the next open). */
int ls_zq_push(struct ls_zq *z, uint64_t segno, uint64_t raw_bytes);
/* When LS_ZQ_MAX or more segments wait for compression, waits until one
 * of them is done, unless the compressor is failing or not running:
 * sealing then goes at the pace of compression. */
void ls_zq_wait_room(struct ls_zq *z);
/* Retention is removing segment segno: drops its job, or makes the
 * thread drop its result.  The caller then removes both file names. */
void ls_zq_cancel(struct ls_zq *z, uint64_t segno);
/* Holds (1) or releases (0) the compressor: held, it starts no new job.
 * For tests that need a sealed segment still uncompressed (a seal with
 * LS_ZQ_MAX segments waiting then waits for the release). */
void ls_zq_hold(struct ls_zq *z, int hold);

/*
 * The writer's state (logstore.c, logstore-seal.c).
 */
#include "store/logstore.h"

/* A sealed segment as the writer knows it, for retention. */
struct ls_sealed {
	struct ls_ckpt	c;
	uint64_t	disk;		/* bytes its file takes now */
	unsigned	present:1;	/* its .seg or .seg.zst is there */
	unsigned	trusted:1;	/* its checkpoint matched the key */
	unsigned	zpending:1;	/* a .seg queued for compression */
};

#define LS_WBUF_SIZE	(1u << 20)

/*
 * One job of the sync thread (logstore-sync.c), done in this order:
 * fsync the directory, fdatasync a segment, write its checkpoint (the
 * seal), write the head; it stops at the first failure.
 */
struct ls_sync_job {
	int		 dir;		/* fsync the directory first */
	int		 fd;		/* segment to fdatasync; -1: none */
	uint64_t	 segno;		/* fd's */
	uint64_t	 target;	/* file offset the fdatasync covers */
	int		 seal;		/* then write checkpoint c */
	struct ls_ckpt	 c;
	int		 head;		/* then write head h */
	struct ls_head	 h;
	struct ls_wb	*wb;		/* writes of fd below target to wait
					   for first, or NULL */
	int		 rc;		/* result: 0 or MAMORI_EIO */
	int		 err;		/* its errno */
};

struct logstore {
	struct logstore_opts o;
	char		*dir;
	char		*key_path;
	int		 dirfd;		/* <dir>/log */
	int		 lockfd;
	struct ls_key	 key;
	struct ls_hasher h;
	struct ls_zq	*zq;		/* the compressor */
	struct ls_syncer *sy;		/* the sync thread; NULL: sync inline */
	struct ls_wb	*wb;		/* the write-behind thread; NULL:
					   buffers written inline */
	int		 zq_armed;

	/* The active segment; fd is -1 when there is none (after a seal,
	 * until the next record), and segno is then the next to create. */
	int		 fd;
	uint64_t	 segno;
	struct ls_seghdr hdr;
	uint64_t	 file_off;	/* bytes written to the file, or queued
					   for writing (ls->wb) */
	uint64_t	 synced_off;	/* bytes made durable */
	uint8_t		*buf;		/* records not yet written */
	size_t		 buf_len, buf_cap;
	uint8_t		*big;		/* one record longer than buf */
	size_t		 big_cap;
	uint64_t	 seg_records;	/* records in the active segment */
	uint64_t	 seg_events;	/* of which events (with times) */
	int64_t		 seg_first_recv;
	int64_t		 seg_min_recv, seg_max_recv;
	int64_t		 seg_min_time, seg_max_time;
	int		 dir_dirty;	/* a file was created or removed */
	/* The active segment is NNNNNN.seg.tmp: begun while its
	 * predecessor's seal ran on the sync thread, not named yet. */
	int		 seg_tmp;

	/* Sealing on the sync thread (logstore-sync.c). */
	int		 async;		/* logstore_sync_start() was used:
					   full segments are sealed there */
	int		 seal_want;	/* the active segment is full */
	int		 sealing;	/* a seal is begun and not finished
					   (seal_job; retried by
					   logstore_sync() when it failed) */
	size_t		 seal_idx;	/* its place in sealed[] */
	struct ls_sync_job seal_job;	/* its fd: the segment being sealed */
	int		 head_due;	/* the head goes with the next job */

	/* The chain. */
	uint64_t	 next_seq;
	uint8_t		 last_hash[LS_HASH_LEN];

	struct ls_sealed *sealed;	/* oldest first */
	size_t		 nsealed, sealed_cap;
	/* For retention by size: a segment waiting for compression counts
	 * at the size it will have, from the ratio seen so far. */
	uint64_t	 pend_raw;	/* raw bytes waiting for compression */
	uint64_t	 ratio_raw, ratio_zst;	/* compressed so far */

	int		 abandoned;	/* logstore_abandon(): nothing more
					   is written */
	uint64_t	 head_seq;	/* seq the head file names */
	int		 head_bad;	/* it disagreed with the store at
					   open: kept as evidence */
	struct logstore_stats st;
};

/*
 * The write-behind thread (logstore-wbuf.c).  ls_wb_new() returns NULL when
 * it cannot start (buffers are then written on the writer's thread).
 * ls_wb_submit() queues buf[0..len) for writing to fd at off and puts a
 * free buffer in *buf, waiting for one; ls_wb_drain() waits until all
 * queued writes are done; both try a failed write once more and return
 * 0 or MAMORI_EIO (errno set; nothing queued by a failed submit).
 * ls_wb_wait() waits until the writes to fd below target are done,
 * without retrying: 0 or MAMORI_EIO.  ls_wb_discard() drops what is
 * queued, unwritten (after the write under way, if any, is done).
 * ls_wb_free() writes what is queued and stops; the buffer the writer
 * holds stays the writer's.
 */
struct ls_wb *ls_wb_new(void);
void ls_wb_free(struct ls_wb *w);
int ls_wb_submit(struct ls_wb *w, int fd, uint64_t off, uint8_t **buf,
    size_t len);
int ls_wb_drain(struct ls_wb *w);
void ls_wb_discard(struct ls_wb *w);
int ls_wb_wait(struct ls_wb *w, int fd, uint64_t target);

/* The sync thread (logstore-sync.c).  ls_sy_new() returns NULL when it
 * cannot start one (the store then syncs inline).  ls_sy_idle() waits
 * until no sync runs; ls_sy_free() (NULL: no-op) stops the thread. */
struct ls_syncer;
struct ls_syncer *ls_sy_new(int dirfd, const struct ls_key *key,
    void (*cb)(void *), void *cb_arg);
void ls_sy_idle(struct ls_syncer *y);
int ls_sy_busy(struct ls_syncer *y);
void ls_sy_free(struct ls_syncer *y);
/* Does job j on the calling thread (what the sync thread does). */
void ls_sync_run(int dirfd, const struct ls_key *key, struct ls_sync_job *j);
/* Takes in the effects of the sync thread's finished job, once.  Returns
 * 0 or the job's error (errno set). */
int ls_sy_reap(struct logstore *ls);
/* Fills h to name the newest record, in the segment holding it. */
void ls_head_fill(struct logstore *ls, struct ls_head *h);
/* Seals the active segment (logstore-seal.c): ls_seal_begin() writes it
 * out, fills j (sync, checkpoint, head), takes its place in sealed[] and
 * lets the next record start the next segment (as NNNNNN.seg.tmp while
 * the seal runs); ls_seal_reaped() takes in j done; ls_seal_finish()
 * waits for a seal under way, or redoes a failed one, here.  Each returns
 * 0 or a MAMORI_E* code (the seal then stays under way, to be finished
 * later). */
int ls_seal_begin(struct logstore *ls, struct ls_sync_job *j);
int ls_seal_reaped(struct logstore *ls, struct ls_sync_job *j);
int ls_seal_finish(struct logstore *ls);

/* Lets the compressor start, on the writer's first call (ls_zq_arm()). */
static inline void
ls_arm(struct logstore *ls)
{
	if (!ls->zq_armed) {
		ls_zq_arm(ls->zq);
		ls->zq_armed = 1;
	}
}

/* Formats a notice and hands it to o.notice. */
void ls_notice(struct logstore *ls, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes out the buffered records (not synced), waiting for the
 * write-behind thread to finish.  Returns 0 or MAMORI_EIO; on failure the
 * file is cut back and the records stay buffered or queued. */
int ls_flush(struct logstore *ls);
/* The same without waiting: the buffer goes to the write-behind thread
 * (written here when there is none). */
int ls_flush_start(struct logstore *ls);
/* Creates the next segment file with its header (buffered); with tmp, as
 * NNNNNN.seg.tmp, which ls_seg_publish() renames once no seal runs
 * (0 when there is nothing to do).  Each returns 0 or MAMORI_EIO. */
int ls_seg_create(struct logstore *ls, int tmp);
int ls_seg_publish(struct logstore *ls);
/* Space for the next record of len bytes: *out points into the write
 * buffer, or into ls->big for a record longer than it. */
int ls_rec_begin(struct logstore *ls, size_t len, uint8_t **out);
/* Chains and checks the record encoded at rec (from ls_rec_begin()) and
 * makes it the next one.  Returns 0 or MAMORI_EIO (nothing appended). */
int ls_rec_end(struct logstore *ls, uint8_t *rec, size_t len,
    const uint8_t *digest);
/* Rewrites the head file to name the newest record, unless head_bad.
 * The caller has synced. */
int ls_head_update(struct logstore *ls);
/* Adds a sealed segment to ls->sealed (zeroed but for c).  Returns it, or
 * NULL when out of memory. */
struct ls_sealed *ls_sealed_add(struct logstore *ls, const struct ls_ckpt *c);
/* Returns the sealed segment segno, or NULL. */
struct ls_sealed *ls_sealed_find(struct logstore *ls, uint64_t segno);
/* Queues sealed segment s for compression (counted in pend_raw). */
void ls_compress_queue(struct logstore *ls, struct ls_sealed *s);
/* Takes in what the compressor finished: disk sizes, notices.  With
 * trylock, gives up at once when the compressor holds its lock (the
 * writer never waits for it in logstore_maintain()). */
void ls_compress_collect(struct logstore *ls, int trylock);

#endif