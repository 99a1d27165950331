/*
 * fuzz-framing.c - libFuzzer harness for RFC 6587 framing
 * (syslog_framer_*).
 *
 * Input: byte 0 seeds the chunk sizes, byte 1 picks max_msg, the rest is
 * the stream.  The stream is framed twice, in one feed() and in chunks of
 * 1..64 bytes drawn from the seed, and both runs must deliver the same
 * messages.  Also checked: no message is empty or longer than max_msg, a
 * message cut before the end of the stream is exactly max_msg long, and
 * the framer never holds more than max_msg plus a count's digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/syslog.h"

#define SLACK	10	/* digits of an octet count, held with a message */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	size_t	 max_msg;
	int	 finishing;
	uint8_t	*out;	/* messages, each as len (8 bytes), flag, bytes */
	size_t	 used, cap;
};

static int
record(void *arg, const uint8_t *msg, size_t len, int truncated)
{
	struct run *r = arg;
	uint64_t l = len;

	if (len == 0 || len > r->max_msg)
		abort();
	if (truncated && len != r->max_msg && !r->finishing)
		abort();
	if (r->used + 9 + len > r->cap) {
		size_t cap = (r->cap + 9 + len) * 2;
		uint8_t *n = realloc(r->out, cap);

		if (n == NULL)
			abort();
		r->out = n;
		r->cap = cap;
	}
	memcpy(r->out + r->used, &l, 8);
	r->out[r->used + 8] = (uint8_t)(truncated != 0);
	memcpy(r->out + r->used + 9, msg, len);
	r->used += 9 + len;
	return 0;
}

static void
run(struct run *r, const uint8_t *p, size_t len, size_t max_msg,
    uint32_t seed)
{
	struct syslog_framer *f;
	size_t n;

	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg;
	if ((f = syslog_framer_new(max_msg)) == NULL)
		abort();
	while (len > 0) {
		if (seed == 0)
			n = len;
		else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 64;
			if (n > len)
				n = len;
		}
		if (syslog_framer_feed(f, p, n, record, r) != 0)
			abort();
		if (syslog_framer_pending(f) > max_msg + SLACK)
			abort();
		p += n;
		len -= n;
	}
	r->finishing = 1;
	if (syslog_framer_finish(f, record, r) != 0)
		abort();
	if (syslog_framer_pending(f) != 0)
		abort();
	syslog_framer_free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, chunked;
	size_t max_msg;

	if (size < 2)
		return 0;
	/* Small limits reach truncation; 0xff is a roomy one. */
	max_msg = data[1] == 0xff ? 65536 : 1 + data[1] % 64;
	run(&whole, data + 2, size - 2, max_msg, 0);
	run(&chunked, data + 2, size - 2, max_msg, 1u + data[0]);
	if (whole.used != chunked.used ||
	    (whole.used > 0 && memcmp(whole.out, chunked.out, whole.used) != 0))
		abort();
	free(whole.out);
	free(chunked.out);
	return 0;
}
