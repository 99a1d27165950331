/*
 * fuzz-respond-addr.c - libFuzzer harness for respond_addr_parse(), which
 * reads addresses that come from logs (an alert's srcip, shaped by
 * whoever sent the line) before mamori blocks them.
 *
 * The input is the text, given with its exact length and no NUL after it
 * (a copy in a buffer of exactly that size, so ASan sees any read past
 * the end).  Checks: a rejected input leaves the result zeroed and a
 * terminated message; an accepted one has a valid family and prefix, no
 * host bits, a normal form that fits, parses back to the same thing and
 * is its own normal form; no IPv4-mapped IPv6 is ever returned; and the
 * overlap relations agree with each other.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "respond/respond.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t zero[sizeof(struct respond_addr)];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	struct respond_addr a, b, host;
	char err[256], s[RESPOND_ADDR_STRLEN], s2[RESPOND_ADDR_STRLEN];
	char *copy = NULL;
	int r, bits, i;

	if ((copy = calloc(1, size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	memset(err, 'x', sizeof(err));
	r = respond_addr_parse(copy, size, &a, err, sizeof(err));
	free(copy);
	if (r != 0) {
		if (r != MAMORI_EINVAL && r != MAMORI_ETOOBIG)
			abort();
		if (memcmp(&a, zero, sizeof(a)) != 0)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (size > RESPOND_ADDR_MAXLEN)
		abort();
	if (a.family != AF_INET && a.family != AF_INET6)
		abort();
	bits = a.family == AF_INET ? 32 : 128;
	if (a.prefix < 0 || a.prefix > bits)
		abort();
	for (i = a.prefix; i < 128; i++)
		if (a.a[i / 8] & (0x80 >> (i % 8)))
			abort();	/* host bits, or IPv4 tail not zero */
	if (a.family == AF_INET6 && a.prefix >= 96 &&
	    memcmp(a.a, mapped, sizeof(mapped)) == 0)
		abort();
	respond_addr_format(&a, s);
	if (memchr(s, '\0', sizeof(s)) == NULL || strchr(s, '?') != NULL)
		abort();
	if (respond_addr_parse(s, strlen(s), &b, err, sizeof(err)) != 0 ||
	    !respond_addr_equal(&a, &b))
		abort();
	respond_addr_format(&b, s2);
	if (strcmp(s, s2) != 0)
		abort();
	/* Relations: a contains itself and its first address; overlap is
	 * symmetric and implied by containment. */
	host = a;
	host.prefix = bits;
	if (!respond_addr_contains(&a, &a) || !respond_addr_overlaps(&a, &a) ||
	    !respond_addr_contains(&a, &host) ||
	    !respond_addr_overlaps(&host, &a) ||
	    (a.prefix < bits && respond_addr_contains(&host, &a)))
		abort();
	return 0;
}
