/*
 * sha256.h - SHA-256 (FIPS 180-4) of short messages with the x86 SHA
 * extensions, two messages at a time.
 *
 * The log store hashes every record it writes, twice (its body, then the
 * link of the chain), and records are a few hundred bytes: through
 * OpenSSL's EVP interface that was over a third of the server's CPU
 * samples under ingest (perf, bench/ingest.sh).  Two independent messages hashed in one instruction stream
 * keep the SHA unit busy where one message waits on each round's result
 * (1.4x the messages per second of one at a time on 300-byte bodies),
 * and short messages skip EVP's per-call set-up.  OpenSSL stays the
 * reference and the fallback: callers use these functions only when
 * sha256_fast() says the CPU has the instructions, and EVP otherwise.
 * tests/unit/test-sha256.c compares both on every length up to a few
 * blocks.
 *
 * A message is given as pieces (struct sha256_piece), hashed as if laid
 * end to end, so that a caller need not copy a record's parts together.
 */
#ifndef MAMORI_SHA256_H
#define MAMORI_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32

struct sha256_piece {
	const void	*p;
	size_t		 len;
};

/* 1 when this CPU has the SHA extensions these functions need, else 0
 * (and they must not be called). */
int sha256_fast(void);

/* out = SHA-256 of the n pieces v[0..n) laid end to end.  Requires
 * sha256_fast(). */
void sha256_fast1(const struct sha256_piece *v, int n,
    uint8_t out[SHA256_LEN]);

/* The same for two messages at once: oa of a[0..na), ob of b[0..nb).
 * Requires sha256_fast(). */
void sha256_fast2(const struct sha256_piece *a, int na, uint8_t oa[SHA256_LEN],
    const struct sha256_piece *b, int nb, uint8_t ob[SHA256_LEN]);

#endif
