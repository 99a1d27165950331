/*
 * test-sha256.c - the SHA-extension SHA-256 (core/sha256.c) against
 * FIPS 180-4's examples and against OpenSSL on every length up to five
 * blocks, in one piece and cut into several, one and two messages at a
 * time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/sha256.h"
#include "test.h"

#define MAXLEN	330

static uint8_t msg_a[MAXLEN], msg_b[MAXLEN];

static void
hex(const uint8_t d[SHA256_LEN], char out[2 * SHA256_LEN + 1])
{
	int i;

	for (i = 0; i < SHA256_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
ref(const uint8_t *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != SHA256_LEN)
		memset(out, 0, SHA256_LEN);
}

/* p[0..n) as up to three pieces cut at c1 <= c2 (an empty one among them
 * when a cut is 0 or repeats). */
static int
cut(const uint8_t *p, size_t n, size_t c1, size_t c2,
    struct sha256_piece v[3])
{
	if (c1 > n)
		c1 = n;
	if (c2 > n)
		c2 = n;
	if (c2 < c1)
		c2 = c1;
	v[0].p = p;
	v[0].len = c1;
	v[1].p = c2 > c1 ? p + c1 : NULL;
	v[1].len = c2 - c1;
	v[2].p = p + c2;
	v[2].len = n - c2;
	return 3;
}

TEST(known_answers)
{
	static const char big_in[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct sha256_piece v[1];
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];
	char *million;
	struct sha256_piece mv[3];

	v[0].p = "abc";
	v[0].len = 3;
	sha256_fast1(v, 1, d);
	hex(d, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	v[0].p = NULL;
	v[0].len = 0;
	sha256_fast1(v, 1, d);
	hex(d, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	sha256_fast1(v, 0, d);
	hex(d, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	v[0].p = big_in;
	v[0].len = strlen(big_in);
	sha256_fast1(v, 1, d);
	hex(d, h);
	CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	/* A million "a", cut where no block boundary falls. */
	if ((million = malloc(1000000)) == NULL) {
		CHECK(million != NULL);
		return;
	}
	memset(million, 'a', 1000000);
	cut((const uint8_t *)million, 1000000, 333333, 666667, mv);
	sha256_fast1(mv, 3, d);
	hex(d, h);
	CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/* Every length 0..MAXLEN, whole and cut at every block-relevant place,
 * against OpenSSL. */
TEST(one_message_every_length)
{
	static const size_t cuts[] = { 0, 1, 31, 55, 56, 63, 64, 65, 84, 93,
	    127, 128, 200 };
	size_t n, i, j, ncut = sizeof(cuts) / sizeof(cuts[0]);
	struct sha256_piece v[3];
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	int bad = 0;

	for (n = 0; n <= MAXLEN; n++) {
		ref(msg_a, n, want);
		v[0].p = msg_a;
		v[0].len = n;
		sha256_fast1(v, 1, got);
		if (memcmp(want, got, SHA256_LEN) != 0 && bad++ < 5)
			fprintf(stderr, "length %zu, one piece: wrong\n", n);
		for (i = 0; i < ncut; i++)
			for (j = i; j < ncut; j++) {
				cut(msg_a, n, cuts[i], cuts[j], v);
				sha256_fast1(v, 3, got);
				if (memcmp(want, got, SHA256_LEN) != 0 &&
				    bad++ < 5)
					fprintf(stderr, "length %zu cut at %zu,"
					    " %zu: wrong\n", n, cuts[i],
					    cuts[j]);
			}
	}
	CHECK_INT(bad, 0);
}

/* Two messages at once, of every pair of lengths in steps that cross
 * each block count (one ends first, or the other, or both together). */
TEST(two_messages)
{
	size_t na, nb;
	struct sha256_piece a[3], b[3];
	uint8_t wa[SHA256_LEN], wb[SHA256_LEN], ga[SHA256_LEN],
	    gb[SHA256_LEN];
	int bad = 0;

	for (na = 0; na <= MAXLEN; na += 7)
		for (nb = 0; nb <= MAXLEN; nb += 5) {
			ref(msg_a, na, wa);
			ref(msg_b, nb, wb);
			cut(msg_a, na, 84, 93, a);
			cut(msg_b, nb, 0, 64, b);
			sha256_fast2(a, 3, ga, b, 3, gb);
			if ((memcmp(wa, ga, SHA256_LEN) != 0 ||
			    memcmp(wb, gb, SHA256_LEN) != 0) && bad++ < 5)
				fprintf(stderr, "lengths %zu and %zu: wrong\n",
				    na, nb);
			/* The same message twice gives the same digest. */
			sha256_fast2(a, 3, ga, a, 3, gb);
			if ((memcmp(wa, ga, SHA256_LEN) != 0 ||
			    memcmp(wa, gb, SHA256_LEN) != 0) && bad++ < 5)
				fprintf(stderr, "length %zu twice: wrong\n",
				    na);
		}
	CHECK_INT(bad, 0);
}

int
main(void)
{
	size_t i;
	uint32_t x = 2463534242u;

	if (!sha256_fast()) {
		printf("this CPU has no SHA extensions: nothing to test "
		    "(the log store uses OpenSSL)\n");
		return 0;
	}
	for (i = 0; i < MAXLEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		msg_a[i] = (uint8_t)x;
		msg_b[i] = (uint8_t)(x >> 8);
	}
	RUN(known_answers);
	RUN(one_message_every_length);
	RUN(two_messages);
	return test_summary();
}
