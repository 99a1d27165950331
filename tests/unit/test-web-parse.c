/*
 * test-web-parse.c - the console's parsers of client bytes
 * (src/web/web-parse.c): percent-decoding, path segments, cookies,
 * bearer tokens, ids, durations and request bodies; normal, exact-limit,
 * truncated and oversized cases.
 */
#include <stdlib.h>
#include <string.h>

#include "core/timeutil.h"
#include "test.h"
#include "web/web-impl.h"

TEST(test_url_decode)
{
	char out[64];

	CHECK_INT(web_url_decode("a%20b", 5, out, 0), 3);
	CHECK_STR(out, "a b");
	CHECK_INT(web_url_decode("a+b", 3, out, 0), 3);
	CHECK_STR(out, "a+b");
	CHECK_INT(web_url_decode("a+b", 3, out, 1), 3);
	CHECK_STR(out, "a b");
	CHECK_INT(web_url_decode("%2F%2f%7E", 9, out, 0), 3);
	CHECK_STR(out, "//~");
	CHECK_INT(web_url_decode("%e6%97%a5", 9, out, 0), 3);
	CHECK_STR(out, "\xe6\x97\xa5");
	CHECK_INT(web_url_decode("", 0, out, 0), 0);
	CHECK_STR(out, "");
	/* Truncated and invalid escapes, and NUL. */
	CHECK_INT(web_url_decode("%", 1, out, 0), -1);
	CHECK_INT(web_url_decode("%4", 2, out, 0), -1);
	CHECK_INT(web_url_decode("ab%4", 4, out, 0), -1);
	CHECK_INT(web_url_decode("%zz", 3, out, 0), -1);
	CHECK_INT(web_url_decode("%00", 3, out, 0), -1);
	/* Only len bytes are read: "%41" cut after the '%'. */
	CHECK_INT(web_url_decode("x%41", 2, out, 0), -1);
	CHECK_INT(web_url_decode("x%41", 4, out, 0), 2);
	CHECK_STR(out, "xA");
}

TEST(test_path_split)
{
	char *segs[WEB_MAX_SEGS], big[WEB_MAX_SEG + 2];
	int n, i;

	n = web_path_split("/incidents/12/steps/3", segs, WEB_MAX_SEGS);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(segs[0], "incidents");
		CHECK_STR(segs[1], "12");
		CHECK_STR(segs[3], "3");
	}
	for (i = 0; i < n; i++)
		free(segs[i]);
	n = web_path_split("/blocks/2001%3Adb8%3A%3A%2F64", segs,
	    WEB_MAX_SEGS);
	CHECK_INT(n, 2);
	if (n == 2)
		CHECK_STR(segs[1], "2001:db8::/64");
	for (i = 0; i < n; i++)
		free(segs[i]);
	CHECK_INT(web_path_split("/", segs, WEB_MAX_SEGS), 0);
	CHECK_INT(web_path_split("", segs, WEB_MAX_SEGS), 0);
	n = web_path_split("/users/", segs, WEB_MAX_SEGS);
	CHECK_INT(n, 1);
	for (i = 0; i < n; i++)
		free(segs[i]);
	/* Empty segments, dot segments, bad escapes, too many. */
	CHECK_INT(web_path_split("/a//b", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/../b", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/%2E%2E", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/./b", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/%zz", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/b%00", segs, WEB_MAX_SEGS), -1);
	CHECK_INT(web_path_split("/a/b/c", segs, 2), -1);
	n = web_path_split("/a/b", segs, 2);
	CHECK_INT(n, 2);
	for (i = 0; i < n; i++)
		free(segs[i]);
	/* A segment of exactly WEB_MAX_SEG bytes, and one more. */
	big[0] = '/';
	memset(big + 1, 'x', WEB_MAX_SEG);
	big[WEB_MAX_SEG + 1] = '\0';
	n = web_path_split(big, segs, WEB_MAX_SEGS);
	CHECK_INT(n, 1);
	for (i = 0; i < n; i++)
		free(segs[i]);
	{
		char bigger[WEB_MAX_SEG + 3];

		bigger[0] = '/';
		memset(bigger + 1, 'x', WEB_MAX_SEG + 1);
		bigger[WEB_MAX_SEG + 2] = '\0';
		CHECK_INT(web_path_split(bigger, segs, WEB_MAX_SEGS), -1);
	}
}

TEST(test_cookie)
{
	char out[16];

	CHECK_INT(web_cookie_get("mamori_session=abc", "mamori_session", out,
	    sizeof(out)), 3);
	CHECK_STR(out, "abc");
	CHECK_INT(web_cookie_get("a=1; mamori_session=xyz; b=2",
	    "mamori_session", out, sizeof(out)), 3);
	CHECK_STR(out, "xyz");
	/* The first wins; spaces around are trimmed; quotes removed. */
	CHECK_INT(web_cookie_get("s=1;s=2", "s", out, sizeof(out)), 1);
	CHECK_STR(out, "1");
	CHECK_INT(web_cookie_get("  s = v  ;", "s", out, sizeof(out)), 1);
	CHECK_STR(out, "v");
	CHECK_INT(web_cookie_get("s=\"q\"", "s", out, sizeof(out)), 1);
	CHECK_STR(out, "q");
	/* A name is matched whole, not as a prefix or suffix. */
	CHECK_INT(web_cookie_get("xs=1; sx=2", "s", out, sizeof(out)), -1);
	CHECK_INT(web_cookie_get("novalue; s=3", "s", out, sizeof(out)), 1);
	CHECK_STR(out, "3");
	CHECK_INT(web_cookie_get("", "s", out, sizeof(out)), -1);
	CHECK_INT(web_cookie_get(NULL, "s", out, sizeof(out)), -1);
	CHECK_INT(web_cookie_get("s=", "s", out, sizeof(out)), 0);
	/* Exactly fits (15 + NUL), and one more. */
	CHECK_INT(web_cookie_get("s=123456789012345", "s", out, sizeof(out)),
	    15);
	CHECK_INT(web_cookie_get("s=1234567890123456", "s", out,
	    sizeof(out)), -2);
}

TEST(test_bearer)
{
	char out[WEB_TOKEN_LEN + 8];

	CHECK_INT(web_bearer_get("Bearer mmr_abc-_.~+/=", out, sizeof(out)),
	    14);
	CHECK_STR(out, "mmr_abc-_.~+/=");
	CHECK_INT(web_bearer_get("bearer   tok  ", out, sizeof(out)), 3);
	CHECK_STR(out, "tok");
	CHECK_INT(web_bearer_get("Basic dXNlcjpwYXNz", out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get("Bearer", out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get("Bearer ", out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get("Bearer a b", out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get("Bearer t\xc3\xa9", out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get(NULL, out, sizeof(out)), -1);
	CHECK_INT(web_bearer_get("Bearer abcd", out, 5), 4);
	CHECK_INT(web_bearer_get("Bearer abcde", out, 5), -1);
}

TEST(test_ids)
{
	int64_t v;

	CHECK_INT(web_parse_id("1", 100, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(web_parse_id("100", 100, &v), 0);
	CHECK_INT(web_parse_id("101", 100, &v), -1);
	CHECK_INT(web_parse_id("0", 100, &v), -1);
	CHECK_INT(web_parse_id("01", 100, &v), -1);
	CHECK_INT(web_parse_id("-1", 100, &v), -1);
	CHECK_INT(web_parse_id("+1", 100, &v), -1);
	CHECK_INT(web_parse_id("1x", 100, &v), -1);
	CHECK_INT(web_parse_id("", 100, &v), -1);
	CHECK_INT(web_parse_id(NULL, 100, &v), -1);
	CHECK_INT(web_parse_id("999999999999999999", INT64_MAX, &v), 0);
	CHECK_INT(web_parse_id("9999999999999999999", INT64_MAX, &v), -1);
}

TEST(test_duration)
{
	json_t *j;
	int64_t ns;

	j = json_integer(90);
	CHECK_INT(web_parse_duration(j, &ns), 0);
	CHECK_INT(ns, 90 * NS_PER_SEC);
	json_decref(j);
	j = json_string("2h");
	CHECK_INT(web_parse_duration(j, &ns), 0);
	CHECK_INT(ns, 7200 * NS_PER_SEC);
	json_decref(j);
	j = json_string("0");
	CHECK_INT(web_parse_duration(j, &ns), 0);
	CHECK_INT(ns, 0);
	json_decref(j);
	j = json_integer(-1);
	CHECK_INT(web_parse_duration(j, &ns), -1);
	json_decref(j);
	j = json_string("soon");
	CHECK_INT(web_parse_duration(j, &ns), -1);
	json_decref(j);
	j = json_real(1.5);
	CHECK_INT(web_parse_duration(j, &ns), -1);
	json_decref(j);
	j = json_integer(INT64_MAX);
	CHECK_INT(web_parse_duration(j, &ns), -1);
	json_decref(j);
}

TEST(test_body)
{
	char err[256], big[WEB_MAX_BODY + 2];
	const char *s;
	json_t *j;
	int b;

	{
		static const char body[] =
		    "{\"a\":\"x\",\"n\":\"l1\\nl2\",\"t\":true}";

		j = web_body_parse(body, sizeof(body) - 1, err, sizeof(err));
	}
	CHECK(j != NULL);
	CHECK_INT(web_body_str(j, "a", 1, 10, 0, &s, err, sizeof(err)), 0);
	CHECK_STR(s, "x");
	CHECK_INT(web_body_str(j, "a", 1, 0, 0, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "field 'a': longer than 0 bytes");
	CHECK_INT(web_body_str(j, "n", 1, 10, 0, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "field 'n': control characters are not allowed");
	CHECK_INT(web_body_str(j, "n", 1, 10, 1, &s, err, sizeof(err)), 0);
	CHECK_INT(web_body_str(j, "missing", 0, 10, 0, &s, err, sizeof(err)),
	    0);
	CHECK(s == NULL);
	CHECK_INT(web_body_str(j, "missing", 1, 10, 0, &s, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "field 'missing' is required");
	CHECK_INT(web_body_str(j, "t", 1, 10, 0, &s, err, sizeof(err)), -1);
	CHECK_STR(err, "field 't': expected a string");
	CHECK_INT(web_body_bool(j, "t", 1, &b, err, sizeof(err)), 0);
	CHECK_INT(b, 1);
	CHECK_INT(web_body_bool(j, "a", 1, &b, err, sizeof(err)), -1);
	json_decref(j);

	/* An empty body is an empty object. */
	j = web_body_parse("", 0, err, sizeof(err));
	CHECK(j != NULL && json_object_size(j) == 0);
	json_decref(j);
	/* Not an object, not JSON, duplicates, NUL, bad UTF-8, too long. */
	CHECK(web_body_parse("[1]", 3, err, sizeof(err)) == NULL);
	CHECK_STR(err, "request body: expected a JSON object");
	CHECK(web_body_parse("{", 1, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "request body: not JSON:", 23) == 0);
	CHECK(web_body_parse("{\"a\":1,\"a\":2}", 13, err, sizeof(err)) ==
	    NULL);
	CHECK(web_body_parse("{\"a\":\"\\u0000\"}", 14, err, sizeof(err)) ==
	    NULL);
	CHECK(web_body_parse("{\"a\":\"\xff\"}", 9, err, sizeof(err)) == NULL);
	CHECK(web_body_parse("{\"a\":1} x", 9, err, sizeof(err)) == NULL);
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[WEB_MAX_BODY - 1] = '}';
	j = web_body_parse(big, WEB_MAX_BODY, err, sizeof(err));
	CHECK(j != NULL);
	json_decref(j);
	CHECK(web_body_parse(big, WEB_MAX_BODY + 1, err, sizeof(err)) ==
	    NULL);
}

int
main(void)
{
	RUN(test_url_decode);
	RUN(test_path_split);
	RUN(test_cookie);
	RUN(test_bearer);
	RUN(test_ids);
	RUN(test_duration);
	RUN(test_body);
	return test_summary();
}
