/*
 * sha256.c - SHA-256 (FIPS 180-4) with the x86 SHA extensions, one or two
 * messages at a time; see sha256.h for why.
 *
 * The compression function follows Intel's description of the
 * extensions ("Intel SHA Extensions", 2013): the eight working
 * variables live in two registers as (A,B,E,F) and (C,D,G,H);
 * SHA256RNDS2 does two rounds, SHA256MSG1 and SHA256MSG2 the two halves
 * of the message schedule, four words at a time.  Written as a loop
 * over the sixteen groups of four rounds that the compiler unrolls,
 * rather than sixteen written-out copies.
 *
 * Throughput on the machine bench/ingest.sh runs on (one core, 300-byte
 * messages): OpenSSL's EVP 203 ns a message, one at a time here 187 ns,
 * two at a time 145 ns; an 80-byte chain link 105 ns through EVP, 86 ns
 * here.  The SHA unit takes a new round about every third cycle but
 * answers a round only after several, so a second message fills the
 * gaps; a third found none left.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef SHA256_X86

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Byte order within each 32-bit word reversed: the message and the
 * digest are big-endian. */
#define BSWAP32_MASK() \
	_mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL)

/* The running hash as (A,B,E,F) and (C,D,G,H). */
struct sha_state {
	__m128i	abef, cdgh;
};

/*
 * The blocks of a message given in pieces, padded, one at a time: a
 * pointer into a piece when the block lies within one (most of a long
 * piece), else assembled in tmp (blocks across pieces, and the last one
 * or two with the padding).
 */
struct blocks {
	const struct sha256_piece *v;
	int		 n, i;		/* pieces; the current one */
	size_t		 off;		/* bytes of it already taken */
	uint64_t	 len;		/* the message's length */
	int		 marked;	/* the 0x80 after it is placed */
	uint64_t	 left;		/* blocks not yet taken */
	_Alignas(16) uint8_t tmp[64];
};

static void
blocks_init(struct blocks *b, const struct sha256_piece *v, int n)
{
	int i;

	b->v = v;
	b->n = n;
	b->i = 0;
	b->off = 0;
	b->marked = 0;
	b->len = 0;
	for (i = 0; i < n; i++)
		b->len += v[i].len;
	/* The message, a 0x80 byte, the 8-byte length, in whole blocks. */
	b->left = (b->len + 9 + 63) / 64;
}

static const uint8_t *
blocks_next(struct blocks *b)
{
	size_t k = 0, m;
	int j;

	b->left--;
	if (b->i < b->n && b->v[b->i].len - b->off >= 64) {
		const uint8_t *p = (const uint8_t *)b->v[b->i].p + b->off;

		b->off += 64;
		return p;
	}
	while (k < 64 && b->i < b->n) {
		m = b->v[b->i].len - b->off;
		if (m > 64 - k)
			m = 64 - k;
		if (m > 0)
			memcpy(b->tmp + k, (const uint8_t *)b->v[b->i].p +
			    b->off, m);
		k += m;
		b->off += m;
		if (b->off == b->v[b->i].len) {
			b->i++;
			b->off = 0;
		}
	}
	/* Short of a block: the message is over.  The 0x80 after its last
	 * byte goes into the first such block; the block count leaves room
	 * for it and, in the last block, for the length. */
	if (k < 64) {
		if (!b->marked) {
			b->tmp[k++] = 0x80;
			b->marked = 1;
		}
		memset(b->tmp + k, 0, 64 - k);
	}
	if (b->left == 0)
		for (j = 0; j < 8; j++)
			b->tmp[63 - j] = (uint8_t)((b->len * 8) >> (8 * j));
	return b->tmp;
}

SHA_TARGET static inline void
state_init(struct sha_state *s)
{
	__m128i t = _mm_loadu_si128((const __m128i *)(const void *)
	    &sha256_h0[0]);
	__m128i u = _mm_loadu_si128((const __m128i *)(const void *)
	    &sha256_h0[4]);

	t = _mm_shuffle_epi32(t, 0xb1);		/* C D A B */
	u = _mm_shuffle_epi32(u, 0x1b);		/* E F G H */
	s->abef = _mm_alignr_epi8(t, u, 8);
	s->cdgh = _mm_blend_epi16(u, t, 0xf0);
}

SHA_TARGET static inline void
state_out(const struct sha_state *s, uint8_t out[SHA256_LEN])
{
	__m128i t = _mm_shuffle_epi32(s->abef, 0x1b);	/* F E B A */
	__m128i u = _mm_shuffle_epi32(s->cdgh, 0xb1);	/* D C H G */
	__m128i dcba = _mm_blend_epi16(t, u, 0xf0);
	__m128i hgfe = _mm_alignr_epi8(u, t, 8);

	_mm_storeu_si128((__m128i *)(void *)out,
	    _mm_shuffle_epi8(dcba, BSWAP32_MASK()));
	_mm_storeu_si128((__m128i *)(void *)(out + 16),
	    _mm_shuffle_epi8(hgfe, BSWAP32_MASK()));
}

/*
 * One group of four rounds (g = 0..15) of one message: w[] holds the
 * schedule's last four groups, w[g & 3] the current one.  Before its
 * second pair of rounds the group after next is finished (SHA256MSG2,
 * from g = 3), after it the oldest group starts on its way to being
 * group g + 3's input (SHA256MSG1, up to g = 12).
 */
#define SHA_GROUP(g, w, st, t) do {					\
	t = _mm_add_epi32(w[(g) & 3], _mm_loadu_si128(			\
	    (const __m128i *)(const void *)&sha256_k[4 * (g)]));	\
	st.cdgh = _mm_sha256rnds2_epu32(st.cdgh, st.abef, t);		\
	if ((g) >= 3 && (g) < 15)					\
		w[((g) + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(	\
		    w[((g) + 1) & 3], _mm_alignr_epi8(w[(g) & 3],	\
		    w[((g) - 1) & 3], 4)), w[(g) & 3]);			\
	t = _mm_shuffle_epi32(t, 0x0e);					\
	st.abef = _mm_sha256rnds2_epu32(st.abef, st.cdgh, t);		\
	if ((g) >= 1 && (g) < 13)					\
		w[((g) - 1) & 3] = _mm_sha256msg1_epu32(w[((g) - 1) & 3], \
		    w[(g) & 3]);					\
} while (0)

SHA_TARGET static inline void
compress1(struct sha_state *s, const uint8_t *p)
{
	const __m128i bs = BSWAP32_MASK();
	struct sha_state st = *s;
	__m128i w[4], t;
	int g;

	for (g = 0; g < 4; g++)
		w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)
		    (const void *)(p + 16 * g)), bs);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
	for (g = 0; g < 16; g++)
		SHA_GROUP(g, w, st, t);
	s->abef = _mm_add_epi32(s->abef, st.abef);
	s->cdgh = _mm_add_epi32(s->cdgh, st.cdgh);
}

/* Two messages' blocks, their rounds interleaved. */
SHA_TARGET static inline void
compress2(struct sha_state *a, const uint8_t *p, struct sha_state *b,
    const uint8_t *q)
{
	const __m128i bs = BSWAP32_MASK();
	struct sha_state sa = *a, sb = *b;
	__m128i w[4], v[4], t, u;
	int g;

	for (g = 0; g < 4; g++) {
		w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)
		    (const void *)(p + 16 * g)), bs);
		v[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)
		    (const void *)(q + 16 * g)), bs);
	}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
	for (g = 0; g < 16; g++) {
		SHA_GROUP(g, w, sa, t);
		SHA_GROUP(g, v, sb, u);
	}
	a->abef = _mm_add_epi32(a->abef, sa.abef);
	a->cdgh = _mm_add_epi32(a->cdgh, sa.cdgh);
	b->abef = _mm_add_epi32(b->abef, sb.abef);
	b->cdgh = _mm_add_epi32(b->cdgh, sb.cdgh);
}

/* CPUID directly: clang's __builtin_cpu_supports() does not know "sha". */
int
sha256_fast(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    (c & bit_SSSE3) == 0 || (c & bit_SSE4_1) == 0)
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}

SHA_TARGET void
sha256_fast1(const struct sha256_piece *v, int n, uint8_t out[SHA256_LEN])
{
	struct blocks b;
	struct sha_state s;

	blocks_init(&b, v, n);
	state_init(&s);
	while (b.left > 0)
		compress1(&s, blocks_next(&b));
	state_out(&s, out);
}

SHA_TARGET void
sha256_fast2(const struct sha256_piece *a, int na, uint8_t oa[SHA256_LEN],
    const struct sha256_piece *b, int nb, uint8_t ob[SHA256_LEN])
{
	struct blocks ba, bb;
	struct sha_state sa, sb;
	const uint8_t *p;

	blocks_init(&ba, a, na);
	blocks_init(&bb, b, nb);
	state_init(&sa);
	state_init(&sb);
	while (ba.left > 0 && bb.left > 0) {
		p = blocks_next(&ba);
		compress2(&sa, p, &sb, blocks_next(&bb));
	}
	while (ba.left > 0)
		compress1(&sa, blocks_next(&ba));
	while (bb.left > 0)
		compress1(&sb, blocks_next(&bb));
	state_out(&sa, oa);
	state_out(&sb, ob);
}

#else	/* !SHA256_X86 */

int
sha256_fast(void)
{
	return 0;
}

void
sha256_fast1(const struct sha256_piece *v, int n, uint8_t out[SHA256_LEN])
{
	(void)v;
	(void)n;
	assert(!"sha256_fast1() without sha256_fast()");
	memset(out, 0, SHA256_LEN);
}

void
sha256_fast2(const struct sha256_piece *a, int na, uint8_t oa[SHA256_LEN],
    const struct sha256_piece *b, int nb, uint8_t ob[SHA256_LEN])
{
	(void)a;
	(void)na;
	(void)b;
	(void)nb;
	assert(!"sha256_fast2() without sha256_fast()");
	memset(oa, 0, SHA256_LEN);
	memset(ob, 0, SHA256_LEN);
}

#endif
