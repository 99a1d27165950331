/*
 * fuzz-web-parse.c - libFuzzer harness for the console's parsers of what
 * clients send (src/web/web-parse.c): percent-decoding, path segments,
 * the Cookie and Authorization headers, ids, JSON bodies and the fields
 * read from them, and the login rate limit's keys.
 *
 * The first byte picks the parser; the rest is the input, copied into a
 * buffer of exactly its size (plus the NUL the C-string parsers need) so
 * that ASan sees any read beyond it.  Checks, besides memory safety:
 * decoded text is no longer than the input and has no NUL; path
 * segments are never empty, "." or "..", and at most WEB_MAX_SEG bytes;
 * cookie values and bearer tokens fit their buffers and are terminated;
 * an accepted id is positive and within its bound; a parsed body is an
 * object and each field read from it is a string of at most its limit
 * without control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web-impl.h"
#include "web/web-users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_decode(const char *s, size_t len, int plus)
{
	char *out = malloc(len + 1);
	long n;

	if (out == NULL)
		return;
	n = web_url_decode(s, len, out, plus);
	if (n >= 0 && ((size_t)n > len || strlen(out) != (size_t)n))
		abort();
	if (n < 0 && out[0] != '\0')
		abort();
	free(out);
}

static void
check_path(const char *s)
{
	char *segs[WEB_MAX_SEGS];
	int n, i;

	n = web_path_split(s, segs, WEB_MAX_SEGS);
	if (n > WEB_MAX_SEGS)
		abort();
	for (i = 0; i < n; i++) {
		if (segs[i][0] == '\0' || strlen(segs[i]) > WEB_MAX_SEG ||
		    strcmp(segs[i], ".") == 0 || strcmp(segs[i], "..") == 0)
			abort();
		free(segs[i]);
	}
}

static void
check_headers(const char *s)
{
	char out[64];
	int n;

	n = web_cookie_get(s, WEB_COOKIE, out, sizeof(out));
	if (n >= 0 && ((size_t)n >= sizeof(out) || strlen(out) != (size_t)n))
		abort();
	n = web_cookie_get(s, "a", out, 1);
	if (n > 0)
		abort();
	n = web_bearer_get(s, out, sizeof(out));
	if (n >= 0 && (n == 0 || (size_t)n >= sizeof(out) ||
	    strlen(out) != (size_t)n || strchr(out, ' ') != NULL))
		abort();
	web_login_key(out, sizeof(out), "addr", s);
	if (strlen(out) >= sizeof(out))
		abort();
	web_login_key(out, sizeof(out), "user", s);
}

static void
check_id(const char *s)
{
	int64_t v;

	if (web_parse_id(s, 1000000, &v) == 0 && (v < 1 || v > 1000000))
		abort();
}

static void
check_field(const json_t *o, const char *key, size_t max, int ml)
{
	const char *s = NULL;
	char err[256];
	size_t i;

	err[0] = 'x';
	if (web_body_str(o, key, 0, max, ml, &s, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || s != NULL)
			abort();
		return;
	}
	if (s == NULL)
		return;
	if (strlen(s) > max)
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    !(ml && (s[i] == '\n' || s[i] == '\r'))) || s[i] == 0x7f)
			abort();
}

static void
check_body(const char *s, size_t len)
{
	const json_t *d;
	char err[256];
	json_t *o;
	int64_t ns;
	int b;

	if ((o = web_body_parse(s, len, err, sizeof(err))) == NULL) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	if (!json_is_object(o))
		abort();
	check_field(o, "user", 256, 0);
	check_field(o, "password", WEB_PASSWORD_MAX, 0);
	check_field(o, "status", 32, 0);
	check_field(o, "note", WEB_TEXT_MAX, 1);
	check_field(o, "text", WEB_TEXT_MAX, 1);
	check_field(o, "address", 64, 0);
	check_field(o, "name", WEB_USER_MAX, 0);
	(void)web_body_bool(o, "done", 0, &b, err, sizeof(err));
	if ((d = json_object_get(o, "duration")) != NULL &&
	    web_parse_duration(d, &ns) == 0 && ns < 0)
		abort();
	json_decref(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	if ((s = malloc(len + 1)) == NULL)
		return 0;
	memcpy(s, data + 1, len);
	s[len] = '\0';
	switch (data[0] % 6) {
	case 0:
		check_decode(s, len, 0);
		check_decode(s, len, 1);
		break;
	case 1:
		/* A path has no NUL (libmicrohttpd's URL is a C string). */
		check_path(s);
		break;
	case 2:
		check_headers(s);
		break;
	case 3:
		check_id(s);
		break;
	default:
		check_body(s, len);
		break;
	}
	free(s);
	return 0;
}
