/*
 * logstore-record.c - the log store's records: framing, CRC-32C, the chain
 * hash, and the encoding of events and expiry records.
 *
 * Built for the writer's hot path: encoding an event is a few stores and
 * two memcpy()s into the caller's buffer, hashing reuses one digest
 * context, and nothing here allocates except ls_event_decode(), which
 * hands a new event to the reader.  Everything that reads bytes from disk
 * takes their length and checks each length field against what remains
 * before using it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "core/error.h"
#include "core/event.h"
#include "core/sha256.h"
#include "store/logstore-int.h"

/*
 * CRC-32C.  The SSE 4.2 instruction does 8 bytes a cycle or so; the table
 * version (a few hundred MB/s) is for other CPUs.
 */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_table_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32c_sw(uint32_t crc, const uint8_t *p, size_t n)
{
	pthread_once(&crc_once, crc_table_init);
	while (n-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc, v;

	while (n >= 8) {
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		n -= 8;
	}
	crc = (uint32_t)c;
	while (n-- > 0)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

uint32_t
ls_crc32c(const void *p, size_t n)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_hw(~0u, p, n);
#endif
	return ~crc32c_sw(~0u, p, n);
}

int
ls_hasher_init(struct ls_hasher *h)
{
	memset(h, 0, sizeof(*h));
	h->fast = sha256_fast();
	if ((h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL) {
		ls_hasher_release(h);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
ls_hasher_release(struct ls_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	h->ctx = NULL;
	h->md = NULL;
}

void
ls_chain_hash(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    const uint8_t *p, size_t n, uint8_t out[LS_HASH_LEN])
{
	/* These cannot fail for SHA-256 with a fetched algorithm and a
	 * live context; a failure would leave out unset, so zero it. */
	uint8_t d[LS_HASH_LEN];

	if (h->fast) {
		struct sha256_piece v = { p + LS_REC_HDR_LEN,
		    n - LS_REC_HDR_LEN };

		sha256_fast1(&v, 1, d);
	} else if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, p + LS_REC_HDR_LEN,
	    n - LS_REC_HDR_LEN) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, d, NULL) != 1)
		memset(d, 0, LS_HASH_LEN);
	ls_chain_step(h, prev, p, d, out);
}

void
ls_chain_step(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    const uint8_t hdr[LS_REC_HDR_LEN], const uint8_t digest[LS_HASH_LEN],
    uint8_t out[LS_HASH_LEN])
{
	uint8_t in[LS_HASH_LEN + LS_REC_HDR_LEN + LS_HASH_LEN];

	memcpy(in, prev, LS_HASH_LEN);
	memcpy(in + LS_HASH_LEN, hdr, LS_REC_HDR_LEN);
	memcpy(in + LS_HASH_LEN + LS_REC_HDR_LEN, digest, LS_HASH_LEN);
	if (h->fast) {
		struct sha256_piece v = { in, sizeof(in) };

		sha256_fast1(&v, 1, out);
	} else if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, in, sizeof(in)) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
		memset(out, 0, LS_HASH_LEN);
}

void
ls_seghdr_encode(const struct ls_seghdr *h, uint8_t out[LS_SEG_HDR_LEN])
{
	memset(out, 0, LS_SEG_HDR_LEN);
	memcpy(out, LS_SEG_MAGIC, 8);
	ls_put32(out + 8, LS_SEG_VERSION);
	ls_put32(out + 12, LS_SEG_HDR_LEN);
	ls_put64(out + 16, h->segno);
	ls_put64(out + 24, h->first_seq);
	memcpy(out + 32, h->prev_hash, LS_HASH_LEN);
	ls_put64(out + 64, (uint64_t)h->created_ns);
	ls_put32(out + 76, ls_crc32c(out, 76));
}

int
ls_seghdr_decode(const uint8_t *p, struct ls_seghdr *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	if (memcmp(p, LS_SEG_MAGIC, 8) != 0) {
		*why = "not a mamori log segment (bad magic)";
		return MAMORI_ECORRUPT;
	}
	if (ls_get32(p + 8) != LS_SEG_VERSION) {
		*why = "unsupported segment format version";
		return MAMORI_ECORRUPT;
	}
	if (ls_get32(p + 12) != LS_SEG_HDR_LEN ||
	    ls_get32(p + 76) != ls_crc32c(p, 76)) {
		*why = "segment header fails its check";
		return MAMORI_ECORRUPT;
	}
	h->segno = ls_get64(p + 16);
	h->first_seq = ls_get64(p + 24);
	memcpy(h->prev_hash, p + 32, LS_HASH_LEN);
	h->created_ns = (int64_t)ls_get64(p + 64);
	return 0;
}

int
ls_rec_frame(const uint8_t *p, size_t avail, struct ls_rec *r,
    const char **why)
{
	uint32_t len;

	memset(r, 0, sizeof(*r));
	if ((avail >= 1 && p[0] != LS_REC_MAGIC0) ||
	    (avail >= 2 && p[1] != LS_REC_MAGIC1)) {
		*why = "bad record magic";
		return MAMORI_ECORRUPT;
	}
	if (avail < 8)
		return MAMORI_ETRUNC;
	len = ls_get32(p + 4);
	if (len < LS_REC_MIN || len > LS_REC_MAX) {
		*why = "record length out of bounds";
		return MAMORI_ECORRUPT;
	}
	if (avail < len)
		return MAMORI_ETRUNC;
	if (ls_get32(p + len - 4) != ls_crc32c(p, len - 4)) {
		*why = "record fails its checksum";
		return MAMORI_ECORRUPT;
	}
	switch (p[2]) {
	case LS_REC_EVENT:
		if (len < LS_REC_MIN + LS_EVENT_FIXED) {
			*why = "event record too short";
			return MAMORI_ECORRUPT;
		}
		break;
	case LS_REC_EXPIRY:
		if (len != LS_EXPIRY_REC_LEN) {
			*why = "expiry record has the wrong length";
			return MAMORI_ECORRUPT;
		}
		break;
	default:
		*why = "unknown record type";
		return MAMORI_ECORRUPT;
	}
	r->p = p;
	r->len = len;
	r->type = p[2];
	r->seq = ls_get64(p + 8);
	r->hash = p + len - LS_REC_TRAILER_LEN;
	return 0;
}

static int
field_ok(const struct event_field *f, uint32_t data_len)
{
	return f->off <= data_len && f->len <= data_len - f->off;
}

/* An empty field's offset means nothing; it is stored as 0 whatever a
 * parser left in it. */
static int
field_ok_empty(const struct event_field *f, uint32_t data_len)
{
	return f->len == 0 || field_ok(f, data_len);
}

size_t
ls_event_rec_len(const struct event *ev, int *toobig)
{
	size_t srclen, n;

	*toobig = 0;
	if (ev->data_len > ev->data_cap || ev->raw_len > ev->data_len)
		return 0;
	if (!field_ok_empty(&ev->host, ev->data_len) ||
	    !field_ok_empty(&ev->app, ev->data_len) ||
	    !field_ok_empty(&ev->procid, ev->data_len) ||
	    !field_ok_empty(&ev->msgid, ev->data_len) ||
	    !field_ok_empty(&ev->sd, ev->data_len) ||
	    !field_ok_empty(&ev->msg, ev->data_len))
		return 0;
	srclen = strnlen(ev->src, EVENT_SRC_MAX - 1);
	n = (size_t)LS_REC_MIN + LS_EVENT_FIXED + srclen + ev->data_len;
	if (n > LS_REC_MAX) {
		*toobig = 1;
		return 0;
	}
	return n;
}

static void
put_field(uint8_t *p, const struct event_field *f)
{
	ls_put32(p, f->len == 0 ? 0 : f->off);
	ls_put32(p + 4, f->len);
}

/* The body's fixed part: b[0..LS_EVENT_FIXED). */
static void
encode_fixed(const struct event *ev, size_t srclen, uint8_t *b)
{
	ls_put64(b, (uint64_t)ev->recv_ns);
	ls_put64(b + 8, (uint64_t)ev->ts_ns);
	ls_put16(b + 16, (uint16_t)ev->tz_min);
	ls_put16(b + 18, ev->listener);
	b[20] = ev->format;
	b[21] = (uint8_t)ev->facility;
	b[22] = (uint8_t)ev->severity;
	b[23] = (uint8_t)srclen;
	ls_put32(b + 24, ev->flags);
	ls_put32(b + 28, ev->raw_len);
	ls_put32(b + 32, ev->data_len);
	put_field(b + 36, &ev->host);
	put_field(b + 44, &ev->app);
	put_field(b + 52, &ev->procid);
	put_field(b + 60, &ev->msgid);
	put_field(b + 68, &ev->sd);
	put_field(b + 76, &ev->msg);
}

void
ls_event_encode(const struct event *ev, uint64_t seq, uint8_t *out,
    size_t len)
{
	uint8_t *b = out + LS_REC_HDR_LEN;
	size_t srclen = strnlen(ev->src, EVENT_SRC_MAX - 1);

	out[0] = LS_REC_MAGIC0;
	out[1] = LS_REC_MAGIC1;
	out[2] = LS_REC_EVENT;
	out[3] = 0;
	ls_put32(out + 4, (uint32_t)len);
	ls_put64(out + 8, seq);
	encode_fixed(ev, srclen, b);
	memcpy(b + LS_EVENT_FIXED, ev->src, srclen);
	memcpy(b + LS_EVENT_FIXED + srclen, ev->data, ev->data_len);
}

/* An event's body as the pieces it is hashed from: fixed (encoded by the
 * caller), the sender address, the data. */
static void
body_pieces(const struct event *ev, uint8_t fixed[LS_EVENT_FIXED],
    struct sha256_piece v[3])
{
	size_t srclen = strnlen(ev->src, EVENT_SRC_MAX - 1);

	encode_fixed(ev, srclen, fixed);
	v[0].p = fixed;
	v[0].len = LS_EVENT_FIXED;
	v[1].p = ev->src;
	v[1].len = srclen;
	v[2].p = ev->data;
	v[2].len = ev->data_len;
}

void
ls_event_digest(struct ls_hasher *h, const struct event *ev,
    uint8_t out[LS_HASH_LEN])
{
	uint8_t fixed[LS_EVENT_FIXED];
	struct sha256_piece v[3];

	body_pieces(ev, fixed, v);
	if (h->fast)
		sha256_fast1(v, 3, out);
	else if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, v[0].p, v[0].len) != 1 ||
	    EVP_DigestUpdate(h->ctx, v[1].p, v[1].len) != 1 ||
	    EVP_DigestUpdate(h->ctx, v[2].p, v[2].len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, out, NULL) != 1)
		memset(out, 0, LS_HASH_LEN);
}

void
ls_event_digest2(struct ls_hasher *h, const struct event *a,
    uint8_t oa[LS_HASH_LEN], const struct event *b, uint8_t ob[LS_HASH_LEN])
{
	uint8_t fa[LS_EVENT_FIXED], fb[LS_EVENT_FIXED];
	struct sha256_piece va[3], vb[3];

	if (!h->fast) {
		ls_event_digest(h, a, oa);
		ls_event_digest(h, b, ob);
		return;
	}
	body_pieces(a, fa, va);
	body_pieces(b, fb, vb);
	sha256_fast2(va, 3, oa, vb, 3, ob);
}

void
ls_rec_finish(struct ls_hasher *h, const uint8_t prev[LS_HASH_LEN],
    uint8_t *rec, size_t len, const uint8_t *digest,
    uint8_t out_hash[LS_HASH_LEN])
{
	uint8_t *trailer = rec + len - LS_REC_TRAILER_LEN;

	if (digest != NULL)
		ls_chain_step(h, prev, rec, digest, trailer);
	else
		ls_chain_hash(h, prev, rec, len - LS_REC_TRAILER_LEN,
		    trailer);
	memcpy(out_hash, trailer, LS_HASH_LEN);
	ls_put32(rec + len - 4, ls_crc32c(rec, len - 4));
}

static void
get_field(const uint8_t *p, struct event_field *f)
{
	f->off = ls_get32(p);
	f->len = ls_get32(p + 4);
}

int
ls_event_decode(const struct ls_rec *r, struct event **evp,
    const char **why)
{
	const uint8_t *b = r->p + LS_REC_HDR_LEN, *data;
	size_t blen = r->len - LS_REC_MIN, srclen;
	uint32_t raw_len, data_len;
	struct event_field f[6];
	struct event *ev;
	int i;

	*evp = NULL;
	if (r->type != LS_REC_EVENT || blen < LS_EVENT_FIXED) {
		*why = "not an event record";
		return MAMORI_ECORRUPT;
	}
	srclen = b[23];
	raw_len = ls_get32(b + 28);
	data_len = ls_get32(b + 32);
	if (srclen >= EVENT_SRC_MAX) {
		*why = "sender address too long";
		return MAMORI_ECORRUPT;
	}
	if (blen != LS_EVENT_FIXED + srclen + (size_t)data_len ||
	    raw_len > data_len) {
		*why = "event sizes do not add up";
		return MAMORI_ECORRUPT;
	}
	for (i = 0; i < 6; i++) {
		get_field(b + 36 + 8 * i, &f[i]);
		if (!field_ok(&f[i], data_len)) {
			*why = "event field outside its data";
			return MAMORI_ECORRUPT;
		}
	}
	data = b + LS_EVENT_FIXED + srclen;
	if ((ev = event_new(data, raw_len, data_len - raw_len)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(ev->data + raw_len, data + raw_len, data_len - raw_len);
	ev->data_len = data_len;
	ev->seq = r->seq;
	ev->recv_ns = (int64_t)ls_get64(b);
	ev->ts_ns = (int64_t)ls_get64(b + 8);
	ev->tz_min = (int16_t)ls_get16(b + 16);
	ev->listener = ls_get16(b + 18);
	ev->format = b[20];
	ev->facility = (int8_t)b[21];
	ev->severity = (int8_t)b[22];
	ev->flags = ls_get32(b + 24);
	ev->host = f[0];
	ev->app = f[1];
	ev->procid = f[2];
	ev->msgid = f[3];
	ev->sd = f[4];
	ev->msg = f[5];
	memcpy(ev->src, b + LS_EVENT_FIXED, srclen);
	ev->src[srclen] = '\0';
	*evp = ev;
	return 0;
}

int
ls_event_times(const struct ls_rec *r, int64_t *recv_ns, int64_t *time_ns)
{
	const uint8_t *b = r->p + LS_REC_HDR_LEN;

	if (r->type != LS_REC_EVENT || r->len < LS_REC_MIN + LS_EVENT_FIXED)
		return MAMORI_ECORRUPT;
	*recv_ns = (int64_t)ls_get64(b);
	*time_ns = ls_get32(b + 24) & EVENT_F_HAS_TS ?
	    (int64_t)ls_get64(b + 8) : *recv_ns;
	return 0;
}

void
ls_expiry_encode(const struct ls_expiry *x, uint64_t seq, uint8_t *out)
{
	uint8_t *b = out + LS_REC_HDR_LEN;

	memset(out, 0, LS_EXPIRY_REC_LEN);
	out[0] = LS_REC_MAGIC0;
	out[1] = LS_REC_MAGIC1;
	out[2] = LS_REC_EXPIRY;
	ls_put32(out + 4, LS_EXPIRY_REC_LEN);
	ls_put64(out + 8, seq);
	ls_put64(b, x->segno);
	ls_put64(b + 8, x->first_seq);
	ls_put64(b + 16, x->last_seq);
	ls_put64(b + 24, (uint64_t)x->min_recv_ns);
	ls_put64(b + 32, (uint64_t)x->max_recv_ns);
	memcpy(b + 40, x->last_hash, LS_HASH_LEN);
	ls_put64(b + 72, (uint64_t)x->expired_ns);
	ls_put32(b + 80, x->reason);
}

int
ls_expiry_decode(const struct ls_rec *r, struct ls_expiry *x)
{
	const uint8_t *b = r->p + LS_REC_HDR_LEN;

	memset(x, 0, sizeof(*x));
	if (r->type != LS_REC_EXPIRY || r->len != LS_EXPIRY_REC_LEN)
		return MAMORI_ECORRUPT;
	x->segno = ls_get64(b);
	x->first_seq = ls_get64(b + 8);
	x->last_seq = ls_get64(b + 16);
	x->min_recv_ns = (int64_t)ls_get64(b + 24);
	x->max_recv_ns = (int64_t)ls_get64(b + 32);
	memcpy(x->last_hash, b + 40, LS_HASH_LEN);
	x->expired_ns = (int64_t)ls_get64(b + 72);
	x->reason = ls_get32(b + 80);
	return 0;
}
