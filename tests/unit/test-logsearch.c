/*
 * test-logsearch.c - the search filter, terminal escaping, RFC 5424
 * STRUCTURED-DATA parsing and the JSON form of an event.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "store/logsearch.h"
#include "test.h"

/* 2026-11-28T04:37:02.123456Z */
#define TS	(1795840622123456000LL)

static void
setf(struct event *ev, struct event_field *f, const char *raw,
    const char *part)
{
	const char *p = strstr(raw, part);

	f->off = (uint32_t)(p - raw);
	f->len = (uint32_t)strlen(part);
}

/* An RFC 5424 event as the parser would leave it. */
static struct event *
ev5424(void)
{
	static const char raw[] = "<34>1 2026-11-28T13:37:02.123456+09:00 "
	    "web1.example.org sshd 4242 ID47 [ex@32473 iut=\"3\" "
	    "src=\"a\" src=\"b\"] Failed password for root";
	struct event *ev = event_new((const uint8_t *)raw, strlen(raw), 64);

	ev->seq = 42;
	ev->recv_ns = TS + 500000000LL;
	ev->ts_ns = TS;
	ev->tz_min = 540;
	ev->listener = 1;
	ev->format = EVENT_FMT_5424;
	ev->facility = 4;
	ev->severity = 2;
	ev->flags = EVENT_F_HAS_TS;
	setf(ev, &ev->host, raw, "web1.example.org");
	setf(ev, &ev->app, raw, "sshd");
	setf(ev, &ev->procid, raw, "4242");
	setf(ev, &ev->msgid, raw, "ID47");
	setf(ev, &ev->sd, raw, "[ex@32473 iut=\"3\" src=\"a\" src=\"b\"]");
	setf(ev, &ev->msg, raw, "Failed password for root");
	snprintf(ev->src, sizeof(ev->src), "192.0.2.1:514");
	return ev;
}

/* An unparsed event: no fields, msg covering nothing. */
static struct event *
evraw(const char *raw, size_t len)
{
	struct event *ev = event_new((const uint8_t *)raw, len, 64);

	ev->seq = 7;
	ev->recv_ns = TS;
	ev->format = EVENT_FMT_UNPARSED;
	snprintf(ev->src, sizeof(ev->src), "198.51.100.9:40000");
	return ev;
}

static char *
vis(const char *s, size_t len)
{
	static char buf[1024];

	logsearch_vis(buf, (const uint8_t *)s, len);
	return buf;
}

#define VIS(s)	vis((s), sizeof(s) - 1)

TEST(test_vis)
{
	char big[4 * 8 + 1];

	CHECK_STR(VIS("plain text"), "plain text");
	CHECK_STR(VIS("a\\b"), "a\\\\b");
	CHECK_STR(VIS("l1\nl2\tt\rr"), "l1\\nl2\\tt\\rr");
	CHECK_STR(VIS("\x1b[31mred\x1b[0m"), "\\033[31mred\\033[0m");
	CHECK_STR(VIS("\x1b]0;title\x07"), "\\033]0;title\\007");
	CHECK_STR(VIS("nul\0x"), "nul\\000x");
	CHECK_STR(VIS("del\x7f"), "del\\177");
	CHECK_STR(VIS("\xff\xfe"), "\\377\\376");
	CHECK_STR(VIS("日本語"), "日本語");
	CHECK_STR(VIS("caf\xc3\xa9"), "café");
	/* C1 CSI as UTF-8, right-to-left override, line separator. */
	CHECK_STR(VIS("\xc2\x9b" "2J"), "\\302\\2332J");
	CHECK_STR(VIS("a\xe2\x80\xae" "b"), "a\\342\\200\\256b");
	CHECK_STR(VIS("\xe2\x80\xa8"), "\\342\\200\\250");
	/* Overlong '/', a surrogate, a sequence cut short at the end. */
	CHECK_STR(VIS("\xc0\xaf"), "\\300\\257");
	CHECK_STR(VIS("\xed\xa0\x80"), "\\355\\240\\200");
	CHECK_STR(VIS("ok\xe6\x97"), "ok\\346\\227");
	CHECK_STR(VIS("\xf4\x90\x80\x80"), "\\364\\220\\200\\200");
	CHECK_STR(VIS("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	/* Worst case: four bytes out for each byte in. */
	CHECK_INT(logsearch_vis(big, (const uint8_t *)"\x01\x02\x03\x04"
	    "\x05\x06\x07\x08", 8), 32);
	CHECK_STR(big, "\\001\\002\\003\\004\\005\\006\\007\\010");
	CHECK_INT(logsearch_vis(big, (const uint8_t *)"", 0), 0);
	CHECK_STR(big, "");
}

static char *
text_of(const struct event *ev)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	CHECK_INT(logsearch_print_text(f, ev), 0);
	fclose(f);
	return buf;
}

TEST(test_text)
{
	struct event *ev = ev5424();

	CHECK_STR(text_of(ev), "2026-11-28T13:37:02.123456+09:00 "
	    "web1.example.org sshd[4242]: Failed password for root\n");
	event_free(ev);

	/* No timestamp, host, app or procid; control bytes escaped. */
	ev = evraw("hello\x1b[2Jworld\n", 15);
	CHECK_STR(text_of(ev), "2026-11-28T04:37:02.123456Z - -: "
	    "hello\\033[2Jworld\\n\n");
	event_free(ev);

	/* A host taken from the sender, beyond the raw bytes. */
	ev = evraw("x", 1);
	event_add_string(ev, &ev->host, "198.51.100.9", 12);
	ev->msg.off = 0;
	ev->msg.len = 1;
	ev->format = EVENT_FMT_3164;
	CHECK_STR(text_of(ev), "2026-11-28T04:37:02.123456Z 198.51.100.9 -: "
	    "x\n");
	event_free(ev);
}

static int
sd_count(void *arg, const char *id, size_t idlen, const char *name,
    size_t namelen, const char *value, size_t vlen)
{
	(void)id;
	(void)idlen;
	(void)name;
	(void)namelen;
	(void)value;
	(void)vlen;
	(*(int *)arg)++;
	return 0;
}

/* Parses s; returns the JSON text or "ERR: message". */
static char *
sd(const char *s)
{
	static char out[1024];
	char err[256];
	json_t *j;
	char *t;

	j = logsearch_sd_json((const uint8_t *)s, strlen(s), err, sizeof(err));
	if (j == NULL) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	t = json_dumps(j, JSON_COMPACT);
	snprintf(out, sizeof(out), "%s", t);
	free(t);
	json_decref(j);
	return out;
}

TEST(test_sd)
{
	char id32[64], id33[64];
	int n = 0;
	char err[256];

	CHECK_STR(sd("-"), "{}");
	CHECK_STR(sd(""), "{}");
	CHECK_STR(sd("[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	    "eventID=\"1011\"][examplePriority@32473 class=\"high\"]"),
	    "{\"exampleSDID@32473\":{\"iut\":\"3\",\"eventSource\":"
	    "\"Application\",\"eventID\":\"1011\"},\"examplePriority@32473\":"
	    "{\"class\":\"high\"}}");
	CHECK_STR(sd("[origin]"), "{\"origin\":{}}");
	/* Escapes: \" \\ \] lose the backslash, others keep it. */
	CHECK_STR(sd("[x a=\"q\\\"uo\\]te\\\\z\\n\"]"),
	    "{\"x\":{\"a\":\"q\\\"uo]te\\\\z\\\\n\"}}");
	/* Repeated PARAM: an array; repeated SD-ID: merged. */
	CHECK_STR(sd("[x a=\"1\" a=\"2\" a=\"3\"][y b=\"\"][x c=\"4\"]"),
	    "{\"x\":{\"a\":[\"1\",\"2\",\"3\"],\"c\":\"4\"},"
	    "\"y\":{\"b\":\"\"}}");
	/* An unescaped ']' inside a value is text. */
	CHECK_STR(sd("[x a=\"1]2\"]"), "{\"x\":{\"a\":\"1]2\"}}");
	/* Not UTF-8 in a value: replaced. */
	CHECK_STR(sd("[x a=\"\xff\"]"), "{\"x\":{\"a\":\"\xef\xbf\xbd\"}}");

	CHECK_STR(sd("x"), "ERR: offset 0: expected '['");
	CHECK_STR(sd("[]"), "ERR: offset 1: expected SD-ID");
	CHECK_STR(sd("[x"), "ERR: offset 2: SD-ELEMENT not closed with ']'");
	CHECK_STR(sd("[x a]"), "ERR: offset 4: expected '='");
	CHECK_STR(sd("[x a=1]"), "ERR: offset 5: expected '\"'");
	CHECK_STR(sd("[x a=\"1]"), "ERR: offset 5: PARAM-VALUE not closed "
	    "with '\"'");
	CHECK_STR(sd("[x a=\"1\\\"]"), "ERR: offset 5: PARAM-VALUE not closed "
	    "with '\"'");
	CHECK_STR(sd("[x a=\"1\"b=\"2\"]"), "ERR: offset 8: expected ' ' or "
	    "']'");
	CHECK_STR(sd("[x a=\"1\"]y"), "ERR: offset 9: expected '['");
	CHECK_STR(sd("[x  a=\"1\"]"), "ERR: offset 3: expected PARAM-NAME");
	CHECK_STR(sd("[x=y]"), "ERR: offset 2: expected ' ' or ']'");
	/* SD-NAME: 32 characters is the limit. */
	memset(id32, 'i', 32);
	snprintf(id32 + 32, sizeof(id32) - 32, "]");
	memmove(id32 + 1, id32, 33);
	id32[0] = '[';
	CHECK_STR(sd(id32), "{\"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii\":{}}");
	memset(id33, 'i', 33);
	snprintf(id33 + 33, sizeof(id33) - 33, "]");
	memmove(id33 + 1, id33, 34);
	id33[0] = '[';
	CHECK_STR(sd(id33), "ERR: offset 1: SD-ID longer than 32 characters");

	/* The callback sees each element, then each param. */
	CHECK_INT(logsearch_sd_parse((const uint8_t *)"[a x=\"1\"][b]", 12,
	    sd_count, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 3);
	/* Reading stops at len: no NUL needed, nothing read past it. */
	CHECK_STR(sd("[a x=\"1\"]") , "{\"a\":{\"x\":\"1\"}}");
	{
		char *p = malloc(5);

		memcpy(p, "[a b=", 5);
		CHECK_INT(logsearch_sd_parse((const uint8_t *)p, 5, sd_count,
		    &n, err, sizeof(err)), MAMORI_EINVAL);
		CHECK_STR(err, "offset 5: expected '\"'");
		free(p);
	}
}

static char *
json_of(const struct event *ev)
{
	static char out[4096];
	json_t *j = logsearch_event_json(ev);
	char *t;

	if (j == NULL)
		return NULL;
	t = json_dumps(j, JSON_COMPACT);
	snprintf(out, sizeof(out), "%s", t);
	free(t);
	json_decref(j);
	return out;
}

TEST(test_json)
{
	struct event *ev = ev5424();

	CHECK_STR(json_of(ev), "{\"seq\":42,"
	    "\"received\":\"2026-11-28T04:37:02.623456Z\","
	    "\"timestamp\":\"2026-11-28T13:37:02.123456+09:00\","
	    "\"source\":\"192.0.2.1:514\",\"listener\":1,"
	    "\"facility\":\"auth\",\"severity\":\"crit\","
	    "\"host\":\"web1.example.org\",\"app\":\"sshd\","
	    "\"procid\":\"4242\",\"msgid\":\"ID47\","
	    "\"structured_data\":\"[ex@32473 iut=\\\"3\\\" src=\\\"a\\\" "
	    "src=\\\"b\\\"]\","
	    "\"sd\":{\"ex@32473\":{\"iut\":\"3\",\"src\":[\"a\",\"b\"]}},"
	    "\"message\":\"Failed password for root\","
	    "\"raw\":\"<34>1 2026-11-28T13:37:02.123456+09:00 "
	    "web1.example.org sshd 4242 ID47 [ex@32473 iut=\\\"3\\\" "
	    "src=\\\"a\\\" src=\\\"b\\\"] Failed password for root\","
	    "\"format\":\"rfc5424\",\"flags\":[\"has_ts\"]}");
	/* Malformed SD: its text is kept, the reason given. */
	ev->sd.len = 10;
	ev->flags |= EVENT_F_TRUNCATED | 0x80000000u;
	CHECK(strstr(json_of(ev), "\"structured_data\":\"[ex@32473 \","
	    "\"sd\":null,\"sd_error\":\"offset 10: expected "
	    "PARAM-NAME\",") != NULL);
	CHECK(strstr(json_of(ev), "\"flags\":[\"has_ts\",\"truncated\","
	    "\"0x80000000\"]") != NULL);
	event_free(ev);

	/* Not UTF-8: replaced in the strings, exact in raw_b64. */
	ev = evraw("a\xff" "b\x1b", 4);
	CHECK_STR(json_of(ev), "{\"seq\":7,"
	    "\"received\":\"2026-11-28T04:37:02.123456Z\","
	    "\"timestamp\":null,\"source\":\"198.51.100.9:40000\","
	    "\"listener\":0,\"facility\":null,\"severity\":null,"
	    "\"host\":null,\"app\":null,\"procid\":null,\"msgid\":null,"
	    "\"structured_data\":null,\"sd\":null,"
	    "\"message\":\"a\xef\xbf\xbd" "b\\u001B\","
	    "\"raw\":\"a\xef\xbf\xbd" "b\\u001B\",\"raw_b64\":\"Yf9iGw==\","
	    "\"format\":\"unparsed\",\"flags\":[]}");
	event_free(ev);
}

static int
matches(const struct logsearch_query *q, const struct event *ev)
{
	char err[256];
	struct logsearch *s = logsearch_compile(q, err, sizeof(err));
	int m;

	if (s == NULL) {
		fprintf(stderr, "compile: %s\n", err);
		return -1;
	}
	m = logsearch_match(s, ev);
	logsearch_free(s);
	return m;
}

TEST(test_filter)
{
	struct logsearch_query q;
	struct event *ev = ev5424(), *raw;
	char err[256];

	logsearch_query_init(&q);
	CHECK_INT(matches(&q, ev), 1);

	/* Times: the message's timestamp, bounds included. */
	q.since_ns = TS;
	q.until_ns = TS;
	CHECK_INT(matches(&q, ev), 1);
	q.since_ns = TS + 1;
	CHECK_INT(matches(&q, ev), 0);
	q.since_ns = INT64_MIN;
	q.until_ns = TS - 1;
	CHECK_INT(matches(&q, ev), 0);
	/* Without one, the receive time. */
	ev->flags &= ~EVENT_F_HAS_TS;
	q.until_ns = TS + 500000000LL;
	CHECK_INT(matches(&q, ev), 1);
	q.until_ns = TS + 499999999LL;
	CHECK_INT(matches(&q, ev), 0);
	ev->flags |= EVENT_F_HAS_TS;
	logsearch_query_init(&q);

	/* Host: exact, any case.  App: exact. */
	q.host = "WEB1.Example.ORG";
	CHECK_INT(matches(&q, ev), 1);
	q.host = "web1";
	CHECK_INT(matches(&q, ev), 0);
	q.host = NULL;
	q.app = "sshd";
	CHECK_INT(matches(&q, ev), 1);
	q.app = "SSHD";
	CHECK_INT(matches(&q, ev), 0);
	q.app = "ssh";
	CHECK_INT(matches(&q, ev), 0);
	q.app = NULL;

	/* Severity: that or more severe (crit is 2). */
	q.severity = event_severity_parse("crit");
	CHECK_INT(matches(&q, ev), 1);
	q.severity = event_severity_parse("warning");
	CHECK_INT(matches(&q, ev), 1);
	q.severity = event_severity_parse("alert");
	CHECK_INT(matches(&q, ev), 0);
	ev->severity = -1;
	q.severity = 7;
	CHECK_INT(matches(&q, ev), 0);
	ev->severity = 2;
	q.severity = -1;

	/* Pattern: in the message only, case-sensitive. */
	q.pattern = "password for";
	CHECK_INT(matches(&q, ev), 1);
	q.pattern = "Password";
	CHECK_INT(matches(&q, ev), 0);
	q.pattern = "sshd";	/* the app, not the message */
	CHECK_INT(matches(&q, ev), 0);
	q.pattern = "";
	CHECK_INT(matches(&q, ev), 1);
	q.regex = 1;
	q.pattern = "^Failed \\w+ for (root|admin)$";
	CHECK_INT(matches(&q, ev), 1);
	q.pattern = "(?i)^failed PASSWORD";
	CHECK_INT(matches(&q, ev), 1);
	q.pattern = "^password";
	CHECK_INT(matches(&q, ev), 0);
	q.pattern = "fail(";
	CHECK(logsearch_compile(&q, err, sizeof(err)) == NULL);
	CHECK_STR(err, "bad regular expression at offset 5: missing closing "
	    "parenthesis");
	q.pattern = "a{2,1}";
	CHECK(logsearch_compile(&q, err, sizeof(err)) == NULL);
	CHECK_STR(err, "bad regular expression at offset 5: numbers out of "
	    "order in {} quantifier");
	event_free(ev);

	/* Unparsed with an empty msg: the raw bytes, even not UTF-8. */
	raw = evraw("junk \xff\xfe user=root", 17);
	logsearch_query_init(&q);
	q.pattern = "user=root";
	CHECK_INT(matches(&q, raw), 1);
	q.regex = 1;
	q.pattern = "junk .+ user=(\\w+)";
	CHECK_INT(matches(&q, raw), 1);
	q.pattern = "junk \\xff\\xfe user";
	CHECK_INT(matches(&q, raw), 1);
	q.pattern = "junk \\S\\S user";
	CHECK_INT(matches(&q, raw), 1);
	event_free(raw);

	/* Non-ASCII literals match as their UTF-8 bytes. */
	raw = evraw("ログイン失敗 user=root", 28);
	q.pattern = "ログイン(成功|失敗)";
	CHECK_INT(matches(&q, raw), 1);
	q.regex = 0;
	q.pattern = "失敗";
	CHECK_INT(matches(&q, raw), 1);
	event_free(raw);
}

int
main(void)
{
	RUN(test_vis);
	RUN(test_text);
	RUN(test_sd);
	RUN(test_json);
	RUN(test_filter);
	return test_summary();
}
