/*
 * test-syslog.c - RFC 5424 and RFC 3164 parsing (src/input/syslog-*.c) and
 * RFC 6587 framing (src/input/syslog-framing.c).
 *
 * Every parser gets normal, exact-limit, truncated and oversized cases;
 * the framer is checked to give the same messages however the stream is
 * cut into reads.  Real year-less log file lines come from
 * $MAMORI_SHARED/data/logs (loghub), read in place.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/event.h"
#include "input/syslog.h"

#include "test.h"

#define NS	1000000000LL

/* Checks that field f of ev holds the string s. */
#define CHECK_FIELD(ev, f, s)						\
	CHECK_MEM(event_str((ev), &(ev)->f), (ev)->f.len, (s))

static const struct syslog_parse_opts utc_opts = { 0, 0 };

/* Seconds since the epoch of a UTC civil time, by libc (not the code under
 * test). */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

/* Received 2026-11-28 12:00:00 UTC unless a test says otherwise. */
#define RECV_DEFAULT	(utc(2026, 11, 28, 12, 0, 0) * NS)
/* Days of the DST changes in 2026 in Europe. */
#define SPRING		(utc(2026, 3, 29, 12, 0, 0) * NS)
#define AUTUMN		(utc(2026, 10, 25, 12, 0, 0) * NS)

static struct event *
mkev_len(const void *raw, size_t len, int64_t recv_ns)
{
	struct event *ev;

	ev = event_new(raw, len, SYSLOG_PARSE_EXTRA);
	if (ev == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	ev->recv_ns = recv_ns;
	snprintf(ev->src, sizeof(ev->src), "192.0.2.7:51400");
	return ev;
}

static struct event *
mkev(const char *raw)
{
	return mkev_len(raw, strlen(raw), RECV_DEFAULT);
}

/* Every field lies inside the raw bytes, but a host from the sender,
 * which lies after them. */
static void
check_bounds(const struct event *ev)
{
	const struct event_field *f[] = {
		&ev->app, &ev->procid, &ev->msgid, &ev->sd, &ev->msg,
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		CHECK((uint64_t)f[i]->off + f[i]->len <= ev->raw_len);
	if (ev->flags & EVENT_F_HOST_FROM_SRC)
		CHECK(ev->host.off >= ev->raw_len &&
		    (uint64_t)ev->host.off + ev->host.len <= ev->data_len);
	else
		CHECK((uint64_t)ev->host.off + ev->host.len <= ev->raw_len);
}

/* Parses raw with syslog_parse() and the UTC options. */
static struct event *
parse(const char *raw)
{
	struct event *ev = mkev(raw);

	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	check_bounds(ev);
	return ev;
}

static struct event *
parse_at(const char *raw, int64_t recv_ns, const struct syslog_parse_opts *o)
{
	struct event *ev = mkev_len(raw, strlen(raw), recv_ns);

	CHECK_INT(syslog_parse(ev, o), 0);
	check_bounds(ev);
	return ev;
}

/* Returns a string of n copies of c (static buffer, one at a time). */
static const char *
rep(char c, size_t n)
{
	static char buf[1024];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/*
 * RFC 5424
 */

/* The four examples of RFC 5424 section 6.5. */
TEST(t5424_rfc_examples)
{
	struct event *ev;

	/* Example 1, with the BOM written out. */
	ev = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su "
	    "- ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->facility, 4);
	CHECK_INT(ev->severity, 2);
	CHECK_INT(ev->ts_ns, 1065910455 * NS + 3000000);
	CHECK_INT(ev->tz_min, 0);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_BOM);
	CHECK_FIELD(ev, host, "mymachine.example.com");
	CHECK_FIELD(ev, app, "su");
	CHECK_INT(ev->procid.len, 0);
	CHECK_FIELD(ev, msgid, "ID47");
	CHECK_INT(ev->sd.len, 0);
	CHECK_FIELD(ev, msg, "'su root' failed for lonvick on /dev/pts/8");
	check_bounds(ev);
	event_free(ev);

	/* Example 2: an offset and microseconds; MSG without a BOM. */
	ev = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc "
	    "8710 - - %% It's time to make the do-nuts.");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->facility, 20);
	CHECK_INT(ev->severity, 5);
	CHECK_INT(ev->ts_ns, utc(2003, 8, 24, 12, 14, 15) * NS + 3000);
	CHECK_INT(ev->ts_ns, 1061727255 * NS + 3000);
	CHECK_INT(ev->tz_min, -420);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS);
	CHECK_FIELD(ev, host, "192.0.2.1");
	CHECK_FIELD(ev, app, "myproc");
	CHECK_FIELD(ev, procid, "8710");
	CHECK_INT(ev->msgid.len, 0);
	CHECK_INT(ev->sd.len, 0);
	CHECK_FIELD(ev, msg, "%% It's time to make the do-nuts.");
	event_free(ev);

	/* Example 3: structured data and a message. */
	ev = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbf"
	    "An application event log entry...");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->ts_ns, 1065910455 * NS + 3000000);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_BOM);
	CHECK_FIELD(ev, host, "mymachine.example.com");
	CHECK_FIELD(ev, app, "evntslog");
	CHECK_INT(ev->procid.len, 0);
	CHECK_FIELD(ev, msgid, "ID47");
	CHECK_FIELD(ev, sd, "[exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"]");
	CHECK_FIELD(ev, msg, "An application event log entry...");
	event_free(ev);

	/* Example 4: two elements, no MSG. */
	ev = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com "
	    "evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"]"
	    "[examplePriority@32473 class=\"high\"]");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_FIELD(ev, sd, "[exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"]"
	    "[examplePriority@32473 class=\"high\"]");
	CHECK_INT(ev->msg.len, 0);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS);
	check_bounds(ev);
	event_free(ev);
}

/* NILVALUE for every field: the host comes from the sender. */
TEST(t5424_nilvalues)
{
	struct event *ev;

	ev = parse("<0>1 - - - - - -");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->facility, 0);
	CHECK_INT(ev->severity, 0);
	CHECK_INT(ev->flags, EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_INT(ev->app.len, 0);
	CHECK_INT(ev->procid.len, 0);
	CHECK_INT(ev->msgid.len, 0);
	CHECK_INT(ev->sd.len, 0);
	CHECK_INT(ev->msg.len, 0);
	CHECK_INT(ev->ts_ns, 0);
	check_bounds(ev);
	event_free(ev);

	/* SP after the SD with an empty MSG; the largest PRI. */
	ev = parse("<191>1 - h - - - - ");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->facility, 23);
	CHECK_INT(ev->severity, 7);
	CHECK_FIELD(ev, host, "h");
	CHECK_INT(ev->msg.len, 0);
	CHECK_INT(ev->flags, 0);
	event_free(ev);

	/* A field of "--" is a value, not NILVALUE. */
	ev = parse("<13>1 - -- -- -- -- - m");
	CHECK_FIELD(ev, host, "--");
	CHECK_FIELD(ev, app, "--");
	CHECK_FIELD(ev, procid, "--");
	CHECK_FIELD(ev, msgid, "--");
	CHECK_FIELD(ev, msg, "m");
	event_free(ev);
}

TEST(t5424_timestamps)
{
	const struct {
		const char *ts;
		int64_t ns;
		int tz;
	} ok[] = {
		{ "1985-04-12T23:20:50.52Z", 482196050 * NS + 520000000, 0 },
		{ "1985-04-12T19:20:50.52-04:00",
		    482196050 * NS + 520000000, -240 },
		{ "2026-11-28T13:37:02+01:00", 1795869422 * NS, 60 },
		{ "2026-11-28T22:07:02.1+09:30", 1795869422 * NS + 100000000,
		    570 },
		{ "2026-11-28T12:37:02.123456789Z",
		    1795869422 * NS + 123456789, 0 },
		{ "2026-11-28t12:37:02z", 1795869422 * NS, 0 },
		/* A leap second reads as the next second. */
		{ "2016-12-31T23:59:60Z", 1483228800 * NS, 0 },
		{ "2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0) * NS, 0 },
		{ "2000-02-29T00:00:00-23:59",
		    (utc(2000, 2, 29, 0, 0, 0) + 23 * 3600 + 59 * 60) * NS,
		    -1439 },
	};
	static const char *bad[] = {
		"2026-13-01T00:00:00Z",		/* month 13 */
		"2026-00-01T00:00:00Z",
		"2026-02-29T00:00:00Z",		/* not a leap year */
		"1900-02-29T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-11-28T24:00:00Z",
		"2026-11-28T23:60:00Z",
		"2026-11-28T23:59:61Z",
		"2026-11-28T12:37:02",		/* no zone */
		"2026-11-28T12:37:02+0100",
		"2026-11-28T12:37:02+24:00",
		"2026-11-28T12:37:02.Z",
		"2026-11-28T12:37:02.1234567890Z",	/* ten digits */
		"2026-11-28 12:37:02Z",
		"26-11-28T12:37:02Z",
		"2026-11-28T12:37Z",
		"2026-11-28T12:37:02ZZ",
	};
	char line[128];
	struct event *ev;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), "<13>1 %s h a p m - x", ok[i].ts);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_INT(ev->flags, EVENT_F_HAS_TS);
		CHECK_INT(ev->ts_ns, ok[i].ns);
		CHECK_INT(ev->tz_min, ok[i].tz);
		if (ev->ts_ns != ok[i].ns)
			fprintf(stderr, "  timestamp %s\n", ok[i].ts);
		event_free(ev);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "<13>1 %s h a p m - x", bad[i]);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
		if (ev->format != EVENT_FMT_UNPARSED)
			fprintf(stderr, "  timestamp %s\n", bad[i]);
		CHECK_INT(ev->facility, 1);
		CHECK_INT(ev->severity, 5);
		CHECK_FIELD(ev, msg, line);
		event_free(ev);
	}

	/* Well formed but beyond int64 nanoseconds: RFC 5424, no time. */
	ev = parse("<13>1 9999-12-31T23:59:59Z h a p m - x");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->flags & EVENT_F_HAS_TS, 0);
	CHECK_FIELD(ev, msg, "x");
	event_free(ev);
	ev = parse("<13>1 0000-01-01T00:00:00Z h a p m - x");
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->flags & EVENT_F_HAS_TS, 0);
	event_free(ev);
}

/* Each header field at its limit, and one octet over. */
TEST(t5424_limits)
{
	static const struct {
		size_t max;
		const char *fmt;
	} fields[] = {
		{ SYSLOG_HOSTNAME_MAX, "<13>1 - %s a p m - x" },
		{ SYSLOG_APPNAME_MAX, "<13>1 - h %s p m - x" },
		{ SYSLOG_PROCID_MAX, "<13>1 - h a %s m - x" },
		{ SYSLOG_MSGID_MAX, "<13>1 - h a p %s - x" },
		{ SYSLOG_SDNAME_MAX, "<13>1 - h a p m [%s] x" },
		{ SYSLOG_SDNAME_MAX, "<13>1 - h a p m [id %s=\"v\"] x" },
	};
	char line[2048];
	struct event *ev;
	size_t i;

	CHECK_INT(SYSLOG_HOSTNAME_MAX, 255);
	CHECK_INT(SYSLOG_APPNAME_MAX, 48);
	CHECK_INT(SYSLOG_PROCID_MAX, 128);
	CHECK_INT(SYSLOG_MSGID_MAX, 32);
	CHECK_INT(SYSLOG_SDNAME_MAX, 32);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(line, sizeof(line), fields[i].fmt,
		    rep('x', fields[i].max));
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_FIELD(ev, msg, "x");
		event_free(ev);

		snprintf(line, sizeof(line), fields[i].fmt,
		    rep('x', fields[i].max + 1));
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
		CHECK_FIELD(ev, msg, line);
		event_free(ev);
	}

	/* The exact limits land in the fields. */
	snprintf(line, sizeof(line), "<13>1 - %s", rep('h', 255));
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s",
	    rep('a', 48));
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s",
	    rep('p', 128));
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s - m",
	    rep('m', 32));
	ev = parse(line);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_FIELD(ev, host, rep('h', 255));
	CHECK_FIELD(ev, app, rep('a', 48));
	CHECK_FIELD(ev, procid, rep('p', 128));
	CHECK_FIELD(ev, msgid, rep('m', 32));
	CHECK_FIELD(ev, msg, "m");
	event_free(ev);
}

TEST(t5424_structured_data)
{
	static const char *ok[] = {
		"[x]",
		"[x y=\"\"]",
		"[x y=\"z\"][a b=\"c\" d=\"e\"]",
		"[x y=\"esc \\\" \\\\ \\] done\"]",
		"[x y=\"a]b\"]",		/* unescaped ']': tolerated */
		"[x y=\"\\n stays\"]",		/* '\' before other bytes */
		"[x y=\"utf-8 \xc3\xa9\"]",
		"[x@32473 y=\"[\"]",
	};
	static const char *bad[] = {
		"[]",
		"[ x]",
		"[x ]",
		"[x y]",
		"[x y=]",
		"[x y=z]",
		"[x y=\"z]",
		"[x y=\"z\" ]",
		"[x y=\"z\"]]",
		"[x y=\"z\"]x",
		"[x y=\"\\\"]",
		"[x=y]",
		"[x\"y]",
		"x",
		"--",
		"[x][",
	};
	char line[256];
	struct event *ev;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), "<13>1 - h a p m %s msg here",
		    ok[i]);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_FIELD(ev, sd, ok[i]);
		CHECK_FIELD(ev, msg, "msg here");
		if (ev->format != EVENT_FMT_5424)
			fprintf(stderr, "  sd %s\n", ok[i]);
		event_free(ev);

		/* And with nothing after it. */
		snprintf(line, sizeof(line), "<13>1 - h a p m %s", ok[i]);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_FIELD(ev, sd, ok[i]);
		CHECK_INT(ev->msg.len, 0);
		event_free(ev);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "<13>1 - h a p m %s msg", bad[i]);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
		if (ev->format != EVENT_FMT_UNPARSED)
			fprintf(stderr, "  sd %s\n", bad[i]);
		event_free(ev);
	}
}

/* A message the framer cut inside STRUCTURED-DATA is still RFC 5424. */
TEST(t5424_truncated)
{
	static const char *cut = "<13>1 2026-11-28T12:00:00Z h a p m "
	    "[x y=\"a long val";
	struct event *ev;

	ev = mkev(cut);
	CHECK_INT(syslog_parse_5424(ev), MAMORI_EINVAL);
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	event_free(ev);

	ev = mkev(cut);
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->flags, EVENT_F_TRUNCATED | EVENT_F_HAS_TS);
	CHECK_FIELD(ev, sd, "[x y=\"a long val");
	CHECK_INT(ev->msg.len, 0);
	CHECK_FIELD(ev, msgid, "m");
	event_free(ev);

	/* Cut right after a '\' in a value (found by fuzz-syslog5424:
	 * the SD ran one byte past the message). */
	ev = mkev("<0>1 - - - - - [x y=\"a\\");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_FIELD(ev, sd, "[x y=\"a\\");
	CHECK_INT(ev->msg.len, 0);
	check_bounds(ev);
	event_free(ev);

	/* Cut in the header: not recognisable, even when truncated. */
	ev = mkev("<13>1 2026-11-28T12:00:00Z h a");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	CHECK_INT(ev->flags & EVENT_F_TRUNCATED, EVENT_F_TRUNCATED);
	event_free(ev);

	/* Cut inside a UTF-8 sequence after a BOM: not bad UTF-8. */
	ev = mkev("<13>1 - h a p m - \xef\xbb\xbfna\xc3");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_5424);
	CHECK_INT(ev->flags, EVENT_F_TRUNCATED | EVENT_F_BOM);
	CHECK_FIELD(ev, msg, "na\xc3");
	event_free(ev);
	ev = mkev("<13>1 - h a p m - \xef\xbb\xbfna\xc3");
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->flags, EVENT_F_BOM | EVENT_F_BAD_UTF8);
	event_free(ev);
}

TEST(t5424_bom_utf8)
{
	static const struct {
		const char *msg;
		int valid;
	} cases[] = {
		{ "", 1 },
		{ "plain", 1 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 1 },
		{ "\xef\xbf\xbf \xf4\x8f\xbf\xbf \xed\x9f\xbf", 1 },
		{ "\xc0\x80", 0 },		/* overlong NUL */
		{ "\xc1\xbf", 0 },
		{ "\xe0\x80\x80", 0 },		/* overlong */
		{ "\xf0\x80\x80\x80", 0 },
		{ "\xed\xa0\x80", 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 0 },
		{ "\xff", 0 },
		{ "\x80", 0 },
		{ "ab\xc3", 0 },		/* cut short */
		{ "\xe2\x82", 0 },
		{ "\xc3\x28", 0 },
	};
	char line[128];
	struct event *ev;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "<13>1 - h a p m - \xef\xbb\xbf%s",
		    cases[i].msg);
		ev = parse(line);
		CHECK_INT(ev->format, EVENT_FMT_5424);
		CHECK_INT(ev->flags, EVENT_F_BOM |
		    (cases[i].valid ? 0 : EVENT_F_BAD_UTF8));
		CHECK_FIELD(ev, msg, cases[i].msg);
		if (((ev->flags & EVENT_F_BAD_UTF8) != 0) == cases[i].valid)
			fprintf(stderr, "  utf-8 case %zu\n", i);
		event_free(ev);
	}

	/* Without a BOM nothing is said about the encoding. */
	ev = parse("<13>1 - h a p m - \xff\xfe latin1 \xe9");
	CHECK_INT(ev->flags, 0);
	CHECK_FIELD(ev, msg, "\xff\xfe latin1 \xe9");
	event_free(ev);

	/* A BOM not at the start of MSG stays in it. */
	ev = parse("<13>1 - h a p m - x\xef\xbb\xbf");
	CHECK_INT(ev->flags, 0);
	CHECK_FIELD(ev, msg, "x\xef\xbb\xbf");
	event_free(ev);
}

TEST(t5424_header)
{
	static const char *bad[] = {
		"<13>2 - h a p m - x",		/* version 2 */
		"<13>10 - h a p m - x",
		"<13>1  - h a p m - x",		/* two SPs */
		"<13>1 - h a p m",		/* no SD */
		"<13>1 - h a p m  - x",
		"<13>1 - h\ta p m - x",
		"<13>1 - h a p m -x",
		"<192>1 - h a p m - x",
		"<01>1 - h a p m - x",
		"<1>1",
		"<13>1 - h \xc3\xa9 p m - x",	/* not PRINTUSASCII */
	};
	struct event *ev, copy;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ev = mkev(bad[i]);
		memcpy(&copy, ev, sizeof(copy));
		CHECK_INT(syslog_parse_5424(ev), MAMORI_EINVAL);
		/* Left as it was. */
		CHECK(memcmp(&copy, ev, sizeof(copy)) == 0);
		event_free(ev);
	}

	/* Trailing CR, LF and NUL are not part of MSG. */
	ev = parse("<13>1 - h a p m - line\r\n");
	CHECK_FIELD(ev, msg, "line");
	event_free(ev);
	ev = mkev_len("<13>1 - h a p m - nul\n\0\0", 24, RECV_DEFAULT);
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_FIELD(ev, msg, "nul");
	event_free(ev);
	/* Inside MSG, they stay. */
	ev = parse("<13>1 - h a p m - two\nlines");
	CHECK_FIELD(ev, msg, "two\nlines");
	event_free(ev);

	/* A truncation mark set by the listener survives parsing. */
	ev = mkev("<13>1 - h a p m - cut");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse_5424(ev), 0);
	CHECK_INT(ev->flags, EVENT_F_TRUNCATED);
	event_free(ev);
}

/*
 * RFC 3164
 */

TEST(t3164_rfc_examples)
{
	struct event *ev;

	/* RFC 3164 section 5.4, example 1. */
	ev = parse_at("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for "
	    "lonvick on /dev/pts/8", utc(2003, 10, 12, 0, 0, 0) * NS,
	    &utc_opts);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, 4);
	CHECK_INT(ev->severity, 2);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, 1065910455 * NS);
	CHECK_INT(ev->tz_min, 0);
	CHECK_FIELD(ev, host, "mymachine");
	CHECK_FIELD(ev, app, "su");
	CHECK_INT(ev->procid.len, 0);
	CHECK_INT(ev->msgid.len, 0);
	CHECK_INT(ev->sd.len, 0);
	CHECK_FIELD(ev, msg, "'su root' failed for lonvick on /dev/pts/8");
	check_bounds(ev);
	event_free(ev);

	/* Example 3: no tag; the first word is taken as one, as rsyslog and
	 * syslog-ng do. */
	ev = parse_at("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
	    utc(2026, 2, 5, 18, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->ts_ns, utc(2026, 2, 5, 17, 32, 18) * NS);
	CHECK_FIELD(ev, host, "10.0.0.99");
	CHECK_FIELD(ev, app, "Use");
	CHECK_FIELD(ev, msg, "the BFG!");
	event_free(ev);
}

TEST(t3164_classic)
{
	struct event *ev;

	ev = parse("<38>Nov 28 13:00:00 web01 sshd[24200]: Accepted publickey");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, 4);
	CHECK_INT(ev->severity, 6);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, utc(2026, 11, 28, 13, 0, 0) * NS);
	CHECK_FIELD(ev, host, "web01");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, procid, "24200");
	CHECK_FIELD(ev, msg, "Accepted publickey");
	check_bounds(ev);
	event_free(ev);

	/* Single-digit days: padded, unpadded, zero-filled. */
	ev = parse("<13>Nov  3 01:02:03 h app: m");
	CHECK_INT(ev->ts_ns, utc(2026, 11, 3, 1, 2, 3) * NS);
	CHECK_FIELD(ev, host, "h");
	CHECK_FIELD(ev, msg, "m");
	event_free(ev);
	ev = parse("<13>Nov 3 01:02:03 h app: m");
	CHECK_INT(ev->ts_ns, utc(2026, 11, 3, 1, 2, 3) * NS);
	CHECK_FIELD(ev, host, "h");
	event_free(ev);
	ev = parse("<13>Nov 03 01:02:03 h app: m");
	CHECK_INT(ev->ts_ns, utc(2026, 11, 3, 1, 2, 3) * NS);
	event_free(ev);

	/* A leap second. */
	ev = parse("<13>Jun 30 23:59:60 h app: m");
	CHECK_INT(ev->ts_ns, utc(2026, 7, 1, 0, 0, 0) * NS);
	event_free(ev);

	/* Tag forms: no pid, pid without ':', "tag:" with no space after,
	 * a tag without ':' (first word), a tag and nothing else. */
	ev = parse("<13>Nov 28 13:00:00 h cron: (root) CMD");
	CHECK_FIELD(ev, app, "cron");
	CHECK_INT(ev->procid.len, 0);
	CHECK_FIELD(ev, msg, "(root) CMD");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h app[77] text");
	CHECK_FIELD(ev, app, "app");
	CHECK_FIELD(ev, procid, "77");
	CHECK_FIELD(ev, msg, "text");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h app:text");
	CHECK_FIELD(ev, app, "app");
	CHECK_FIELD(ev, msg, "text");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h syslogd 1.4.1: restart.");
	CHECK_FIELD(ev, host, "h");
	CHECK_FIELD(ev, app, "syslogd");
	CHECK_FIELD(ev, msg, "1.4.1: restart.");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h sshd(pam_unix)[19939]: auth failure");
	CHECK_FIELD(ev, app, "sshd(pam_unix)");
	CHECK_FIELD(ev, procid, "19939");
	CHECK_FIELD(ev, msg, "auth failure");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h app:");
	CHECK_FIELD(ev, app, "app");
	CHECK_INT(ev->msg.len, 0);
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_FIELD(ev, host, "h");
	CHECK_INT(ev->app.len, 0);
	CHECK_INT(ev->msg.len, 0);
	event_free(ev);
	/* Only the first SP after the tag belongs to it. */
	ev = parse("<13>Nov 28 13:00:00 h kernel:  BIOS-e820: usable");
	CHECK_FIELD(ev, msg, " BIOS-e820: usable");
	event_free(ev);
	/* A '[' with no ']' does not make a tag. */
	ev = parse("<13>Nov 28 13:00:00 h app[12 x");
	CHECK_FIELD(ev, host, "h");
	CHECK_INT(ev->app.len, 0);
	CHECK_FIELD(ev, msg, "app[12 x");
	event_free(ev);

	/* Trailing CR/LF/NUL go. */
	ev = mkev_len("<13>Nov 28 13:00:00 h a: m\r\n\0", 29, RECV_DEFAULT);
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_FIELD(ev, msg, "m");
	event_free(ev);

	/* Month names in any case; zero-width fields are fine. */
	ev = parse("<13>NOV 28 13:00:00 h a: m");
	CHECK_INT(ev->ts_ns, utc(2026, 11, 28, 13, 0, 0) * NS);
	event_free(ev);
}

TEST(t3164_no_hostname)
{
	struct event *ev;

	/* What glibc syslog() and logger write to /dev/log. */
	ev = parse("<13>Nov 28 13:00:00 sshd[12]: Server listening");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ | EVENT_F_HOST_FROM_SRC | EVENT_F_LOCAL_SOCKET);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, procid, "12");
	CHECK_FIELD(ev, msg, "Server listening");
	check_bounds(ev);
	event_free(ev);

	ev = parse("<13>Nov 28 13:00:00 app: msg");
	CHECK_INT(ev->flags & (EVENT_F_HOST_FROM_SRC | EVENT_F_LOCAL_SOCKET),
	    EVENT_F_HOST_FROM_SRC | EVENT_F_LOCAL_SOCKET);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_FIELD(ev, app, "app");
	CHECK_FIELD(ev, msg, "msg");
	event_free(ev);

	/* IPv6 sender: brackets and port go. */
	ev = mkev("<13>Nov 28 13:00:00 app: msg");
	snprintf(ev->src, sizeof(ev->src), "[2001:db8::1]:514");
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_FIELD(ev, host, "2001:db8::1");
	event_free(ev);
	ev = mkev("<13>Nov 28 13:00:00 app: msg");
	snprintf(ev->src, sizeof(ev->src), "2001:db8::2");
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_FIELD(ev, host, "2001:db8::2");
	event_free(ev);
	/* No sender address: no host, and no flag claiming one. */
	ev = mkev("<13>Nov 28 13:00:00 app: msg");
	ev->src[0] = '\0';
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->host.len, 0);
	CHECK_INT(ev->flags & EVENT_F_HOST_FROM_SRC, 0);
	CHECK_INT(ev->flags & EVENT_F_LOCAL_SOCKET, EVENT_F_LOCAL_SOCKET);
	event_free(ev);

	/* A host that is an IPv6 address. */
	ev = parse("<13>Nov 28 13:00:00 2001:db8::5 app: msg");
	CHECK_FIELD(ev, host, "2001:db8::5");
	CHECK_FIELD(ev, app, "app");
	event_free(ev);
}

TEST(t3164_rfc3339)
{
	struct event *ev;

	ev = parse("<13>2026-11-28T13:37:02.123456+01:00 host app[9]: msg");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS);
	CHECK_INT(ev->ts_ns, 1795869422 * NS + 123456000);
	CHECK_INT(ev->tz_min, 60);
	CHECK_FIELD(ev, host, "host");
	CHECK_FIELD(ev, app, "app");
	CHECK_FIELD(ev, procid, "9");
	CHECK_FIELD(ev, msg, "msg");
	event_free(ev);

	/* RSYSLOG_FileFormat lines: no PRI. */
	ev = parse("2026-11-28T12:37:02.5Z host app: msg");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_NOPRI);
	CHECK_INT(ev->facility, -1);
	CHECK_INT(ev->severity, -1);
	CHECK_INT(ev->ts_ns, 1795869422 * NS + 500000000);
	CHECK_FIELD(ev, host, "host");
	event_free(ev);

	/* Without a zone: the configured one. */
	ev = parse_at("<13>2026-11-28T13:37:02 host app: msg", RECV_DEFAULT,
	    &(struct syslog_parse_opts){ 0, 60 });
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, 1795869422 * NS);
	CHECK_INT(ev->tz_min, 60);
	event_free(ev);

	/* An impossible date is not a timestamp. */
	ev = parse("<13>2026-02-30T13:37:02Z host app: msg");
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	event_free(ev);
}

TEST(t3164_year)
{
	struct event *ev;

	ev = parse("<13>Nov 28 2025 13:00:00 host app: msg");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, utc(2025, 11, 28, 13, 0, 0) * NS);
	CHECK_FIELD(ev, host, "host");
	event_free(ev);

	/* Feb 29 with a year that has none: still 3164, no time. */
	ev = parse("<13>Feb 29 2026 13:00:00 host app: msg");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags & EVENT_F_HAS_TS, 0);
	CHECK_FIELD(ev, host, "host");
	CHECK_FIELD(ev, msg, "msg");
	event_free(ev);
}

/* A host name with control bytes is not taken as the host: it would reach
 * terminals (mamori status, the stats line) and compare wrongly. */
TEST(t3164_host_not_printable)
{
	struct event *ev;

	ev = parse("<13>Nov 28 13:00:00 ev\033Oil sshd[1]: hello");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags & EVENT_F_HOST_FROM_SRC, EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, msg, "hello");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00:00 h\x7fst sshd[1]: hello");
	CHECK_FIELD(ev, host, "192.0.2.7");
	event_free(ev);
}

/* A year-less time takes the receive time's year unless that puts it more
 * than 31 days ahead (last year's) or it is within a day ahead in the
 * next year. */
TEST(t3164_new_year)
{
	struct event *ev;

	/* Sent Dec 31, received Jan 1: last year. */
	ev = parse_at("<13>Dec 31 23:59:59 h app: m",
	    utc(2027, 1, 1, 0, 0, 5) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2026, 12, 31, 23, 59, 59) * NS);
	CHECK_INT(ev->flags & EVENT_F_TS_NOYEAR, EVENT_F_TS_NOYEAR);
	event_free(ev);
	/* Sent Jan 1 by a fast clock, received Dec 31: next year. */
	ev = parse_at("<13>Jan  1 00:00:01 h app: m",
	    utc(2026, 12, 31, 23, 59, 50) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2027, 1, 1, 0, 0, 1) * NS);
	event_free(ev);
	/* Months old: this year, however long ago (old files, queues). */
	ev = parse_at("<13>Sep 15 12:00:00 h app: m",
	    utc(2026, 12, 31, 23, 59, 50) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2026, 9, 15, 12, 0, 0) * NS);
	event_free(ev);
	ev = parse_at("<13>Mar 15 12:00:00 h app: m",
	    utc(2026, 12, 31, 23, 59, 50) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 15, 12, 0, 0) * NS);
	event_free(ev);
	/* A July line read in June is last July's, not next month's... */
	ev = parse_at("<13>Jul 27 12:00:00 h app: m",
	    utc(2026, 6, 1, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2025, 7, 27, 12, 0, 0) * NS);
	event_free(ev);
	/* ...but a few weeks ahead is a clock running fast: this year. */
	ev = parse_at("<13>Jun 20 12:00:00 h app: m",
	    utc(2026, 6, 1, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2026, 6, 20, 12, 0, 0) * NS);
	event_free(ev);
	/* Received on New Year's Day, a June line is last June's. */
	ev = parse_at("<13>Jun 15 12:00:00 h app: m",
	    utc(2026, 1, 1, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2025, 6, 15, 12, 0, 0) * NS);
	event_free(ev);
	/* Half a year back is this year. */
	ev = parse_at("<13>Jan  1 00:00:00 h app: m",
	    utc(2026, 7, 2, 12, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->ts_ns, utc(2026, 1, 1, 0, 0, 0) * NS);
	event_free(ev);
	/* In a zone east of UTC, local Jan 1 is still Dec 31 in UTC. */
	ev = parse_at("<13>Jan  1 05:00:00 h app: m",
	    utc(2026, 12, 31, 20, 30, 0) * NS,
	    &(struct syslog_parse_opts){ 0, 540 });
	CHECK_INT(ev->ts_ns, utc(2026, 12, 31, 20, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 540);
	event_free(ev);

	/* Feb 29: only in a leap year. */
	ev = parse_at("<13>Feb 29 12:00:00 h app: m",
	    utc(2028, 3, 1, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->flags & EVENT_F_HAS_TS, EVENT_F_HAS_TS);
	CHECK_INT(ev->ts_ns, utc(2028, 2, 29, 12, 0, 0) * NS);
	event_free(ev);
	ev = parse_at("<13>Feb 29 12:00:00 h app: m",
	    utc(2026, 3, 1, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags & EVENT_F_HAS_TS, 0);
	CHECK_FIELD(ev, app, "app");
	event_free(ev);
}

/*
 * In zone tz, parses "Mmm dd hh:00:00" for every hour of 2026 and compares
 * with libc's mktime(), but for the hours a DST change makes ambiguous or
 * nonexistent.
 */
static void
local_zone_sweep(const char *tz)
{
	struct syslog_parse_opts local = { 1, 0 };
	struct tm tm, back;
	struct event *ev;
	char line[64];
	time_t want, a, b;
	int64_t civil;
	int checked = 0, before = test_failed_checks;

	setenv("TZ", tz, 1);
	tzset();
	syslog_tz_changed();
	for (civil = utc(2026, 1, 1, 0, 0, 0); civil < utc(2027, 1, 1, 0, 0, 0);
	    civil += 3600) {
		time_t c = (time_t)civil;

		gmtime_r(&c, &tm);
		tm.tm_isdst = -1;
		back = tm;
		want = mktime(&back);
		a = want - 3 * 3600;
		b = want + 3 * 3600;
		localtime_r(&a, &back);
		localtime_r(&b, &tm);
		if (back.tm_gmtoff != tm.tm_gmtoff)
			continue;	/* a change within hours */
		gmtime_r(&c, &tm);
		strftime(line, sizeof(line), "<13>%b %e %H:%M:%S h a: m", &tm);
		ev = parse_at(line, (int64_t)want * NS, &local);
		CHECK_INT(ev->ts_ns, (int64_t)want * NS);
		localtime_r(&want, &back);
		CHECK_INT(ev->tz_min, back.tm_gmtoff / 60);
		event_free(ev);
		checked++;
		if (test_failed_checks != before) {
			fprintf(stderr, "  TZ=%s: %s\n", tz, line);
			break;
		}
	}
	CHECK(checked > 8700);
}

/* The server's local zone, with its DST rules (a POSIX TZ string, so no
 * tzdata is needed). */
TEST(t3164_local_zone)
{
	struct syslog_parse_opts local = { 1, 0 };
	struct event *ev;
	char *old = getenv("TZ");

	if (old != NULL && (old = strdup(old)) == NULL)
		return;
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	syslog_tz_changed();

	ev = parse_at("<13>Jan 15 12:00:00 h app: m",
	    utc(2026, 1, 15, 12, 0, 0) * NS, &local);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, utc(2026, 1, 15, 11, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 60);
	event_free(ev);
	ev = parse_at("<13>Jul 15 12:00:00 h app: m",
	    utc(2026, 7, 15, 12, 0, 0) * NS, &local);
	CHECK_INT(ev->ts_ns, utc(2026, 7, 15, 10, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 120);
	event_free(ev);
	/* The default options (NULL) are the local zone too. */
	ev = mkev("<13>Jul 15 12:00:00.25 h app: m");
	CHECK_INT(syslog_parse(ev, NULL), 0);
	CHECK_INT(ev->ts_ns, utc(2026, 7, 15, 10, 0, 0) * NS + 250000000);
	CHECK_INT(ev->tz_min, 120);
	event_free(ev);
	/* A zone written in the message wins over the local one. */
	ev = parse_at("<13>2026-07-15T12:00:00Z h app: m", RECV_DEFAULT,
	    &local);
	CHECK_INT(ev->ts_ns, utc(2026, 7, 15, 12, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 0);
	event_free(ev);

	/* Around the changes (2026-03-29 and 10-25, at 01:00 UTC). */
	ev = parse_at("<13>Mar 29 01:59:59 h a: m", SPRING, &local);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 29, 0, 59, 59) * NS);
	CHECK_INT(ev->tz_min, 60);
	event_free(ev);
	ev = parse_at("<13>Mar 29 03:00:00 h a: m", SPRING, &local);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 29, 1, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 120);
	event_free(ev);
	/* 02:30 does not exist that day: within the hour of it. */
	ev = parse_at("<13>Mar 29 02:30:00 h a: m", SPRING, &local);
	CHECK(ev->flags & EVENT_F_HAS_TS);
	CHECK(ev->ts_ns >= utc(2026, 3, 29, 0, 30, 0) * NS &&
	    ev->ts_ns <= utc(2026, 3, 29, 1, 30, 0) * NS);
	event_free(ev);
	ev = parse_at("<13>Oct 25 01:59:59 h a: m", AUTUMN, &local);
	CHECK_INT(ev->ts_ns, utc(2026, 10, 24, 23, 59, 59) * NS);
	CHECK_INT(ev->tz_min, 120);
	event_free(ev);
	/* 02:30 happens twice that day: either. */
	ev = parse_at("<13>Oct 25 02:30:00 h a: m", AUTUMN, &local);
	CHECK(ev->ts_ns == utc(2026, 10, 25, 0, 30, 0) * NS ||
	    ev->ts_ns == utc(2026, 10, 25, 1, 30, 0) * NS);
	event_free(ev);
	ev = parse_at("<13>Oct 25 03:00:00 h a: m", AUTUMN, &local);
	CHECK_INT(ev->ts_ns, utc(2026, 10, 25, 2, 0, 0) * NS);
	CHECK_INT(ev->tz_min, 60);
	event_free(ev);

	/* West of UTC, and every hour of a year against mktime(). */
	local_zone_sweep("EST5EDT,M3.2.0,M11.1.0");
	local_zone_sweep("CET-1CEST,M3.5.0,M10.5.0/3");
	local_zone_sweep("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
	local_zone_sweep("UTC0");

	if (old != NULL) {
		setenv("TZ", old, 1);
		free(old);
	} else
		unsetenv("TZ");
	tzset();
	syslog_tz_changed();
}

TEST(t3164_cisco)
{
	struct event *ev;

	ev = parse_at("<189>123: *Mar  1 18:46:11: %SYS-5-CONFIG_I: "
	    "Configured from console by vty0 (10.0.0.1)",
	    utc(2026, 3, 2, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, 23);
	CHECK_INT(ev->severity, 5);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ | EVENT_F_SEQ_PREFIX | EVENT_F_HOST_FROM_SRC);
	CHECK_INT(ev->ts_ns, 1772390771 * NS);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_FIELD(ev, app, "%SYS-5-CONFIG_I");
	CHECK_INT(ev->procid.len, 0);
	CHECK_FIELD(ev, msg, "Configured from console by vty0 (10.0.0.1)");
	check_bounds(ev);
	event_free(ev);

	/* Milliseconds, and the '.' clock marker. */
	ev = parse_at("<187>000124: .Mar  1 00:01:02.123: %LINK-3-UPDOWN: "
	    "Interface Gi0/1, changed state to down",
	    utc(2026, 3, 2, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->flags & EVENT_F_SEQ_PREFIX, EVENT_F_SEQ_PREFIX);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 1, 0, 1, 2) * NS + 123000000);
	CHECK_FIELD(ev, app, "%LINK-3-UPDOWN");
	CHECK_FIELD(ev, msg, "Interface Gi0/1, changed state to down");
	event_free(ev);

	/* A year and "UTC": the whole time is known. */
	ev = parse("<189>125: Mar  1 2026 00:01:02 UTC: %SYS-5-RESTART: "
	    "System restarted");
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_SEQ_PREFIX |
	    EVENT_F_HOST_FROM_SRC);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 1, 0, 1, 2) * NS);
	CHECK_INT(ev->tz_min, 0);
	CHECK_FIELD(ev, app, "%SYS-5-RESTART");
	event_free(ev);

	/* Another zone name: skipped, the zone assumed. */
	ev = parse_at("<189>126: Mar  1 2026 00:01:02.5 PST: %SYS-5-RESTART: "
	    "x", RECV_DEFAULT, &(struct syslog_parse_opts){ 0, -480 });
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOTZ |
	    EVENT_F_SEQ_PREFIX | EVENT_F_HOST_FROM_SRC);
	CHECK_INT(ev->ts_ns, utc(2026, 3, 1, 8, 1, 2) * NS + 500000000);
	CHECK_INT(ev->tz_min, -480);
	CHECK_FIELD(ev, app, "%SYS-5-RESTART");
	CHECK_FIELD(ev, msg, "x");
	event_free(ev);

	/* origin-id: the device name after the sequence number. */
	ev = parse_at("<189>127: R1: *Mar  1 18:46:11: %SYS-5-CONFIG_I: x",
	    utc(2026, 3, 2, 0, 0, 0) * NS, &utc_opts);
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ | EVENT_F_SEQ_PREFIX);
	CHECK_FIELD(ev, host, "R1");
	CHECK_FIELD(ev, app, "%SYS-5-CONFIG_I");
	CHECK_FIELD(ev, msg, "x");
	event_free(ev);

	/* No timestamps configured. */
	ev = parse("<189>128: %SYS-5-CONFIG_I: x");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags, EVENT_F_SEQ_PREFIX | EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, app, "%SYS-5-CONFIG_I");
	CHECK_FIELD(ev, msg, "x");
	event_free(ev);
}

TEST(t3164_asa)
{
	struct event *ev;

	ev = parse("<166>%ASA-6-302013: Built outbound TCP connection 1 for "
	    "outside:192.0.2.1/443");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, 20);
	CHECK_INT(ev->severity, 6);
	CHECK_INT(ev->flags, EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_FIELD(ev, app, "%ASA-6-302013");
	CHECK_FIELD(ev, msg, "Built outbound TCP connection 1 for "
	    "outside:192.0.2.1/443");
	event_free(ev);

	ev = parse("<166>Nov 28 2026 10:00:00: %ASA-6-302014: Teardown");
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOTZ |
	    EVENT_F_HOST_FROM_SRC);
	CHECK_INT(ev->ts_ns, utc(2026, 11, 28, 10, 0, 0) * NS);
	CHECK_FIELD(ev, app, "%ASA-6-302014");
	CHECK_FIELD(ev, msg, "Teardown");
	event_free(ev);

	/* With "logging device-id hostname". */
	ev = parse("<166>Nov 28 2026 10:00:00 fw01 : %ASA-6-302014: Teardown");
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOTZ);
	CHECK_FIELD(ev, host, "fw01");
	CHECK_FIELD(ev, app, "%ASA-6-302014");
	CHECK_FIELD(ev, msg, "Teardown");
	event_free(ev);
}

TEST(t3164_kernel)
{
	struct event *ev;

	ev = parse("<4>kernel: [12345.678] eth0: link up");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, 0);
	CHECK_INT(ev->severity, 4);
	CHECK_INT(ev->flags, EVENT_F_KERNEL | EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, app, "kernel");
	CHECK_FIELD(ev, msg, "[12345.678] eth0: link up");
	CHECK_FIELD(ev, host, "192.0.2.7");
	event_free(ev);

	ev = parse("<6>Nov 28 13:00:00 host kernel: [    1.230000] Linux");
	CHECK_INT(ev->flags, EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR |
	    EVENT_F_TS_NOTZ | EVENT_F_KERNEL);
	CHECK_FIELD(ev, host, "host");
	CHECK_FIELD(ev, app, "kernel");
	CHECK_FIELD(ev, msg, "[    1.230000] Linux");
	event_free(ev);

	/* Not the kernel: "kernels", "kerne". */
	ev = parse("<6>Nov 28 13:00:00 host kernels: x");
	CHECK_INT(ev->flags & EVENT_F_KERNEL, 0);
	event_free(ev);
}

TEST(t3164_nopri)
{
	struct event *ev;

	ev = parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster");
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->facility, -1);
	CHECK_INT(ev->severity, -1);
	CHECK_INT(ev->flags, EVENT_F_NOPRI | EVENT_F_HAS_TS |
	    EVENT_F_TS_NOYEAR | EVENT_F_TS_NOTZ);
	CHECK_INT(ev->ts_ns, utc(2026, 12, 10, 6, 55, 46) * NS);
	CHECK_FIELD(ev, host, "LabSZ");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, procid, "24200");
	CHECK_FIELD(ev, msg, "Invalid user webmaster");
	event_free(ev);

	/* No PRI and no host: not a local-socket line. */
	ev = parse("Dec 10 06:55:46 sshd[1]: x");
	CHECK_INT(ev->flags, EVENT_F_NOPRI | EVENT_F_HAS_TS |
	    EVENT_F_TS_NOYEAR | EVENT_F_TS_NOTZ | EVENT_F_HOST_FROM_SRC);
	event_free(ev);

	/* Without a PRI, a timestamp must come first. */
	ev = mkev("kernel: [1.0] x");
	CHECK_INT(syslog_parse_3164(ev, &utc_opts), MAMORI_EINVAL);
	event_free(ev);
	ev = parse("kernel: [1.0] x");
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	CHECK_INT(ev->flags, EVENT_F_NOPRI | EVENT_F_HOST_FROM_SRC);
	CHECK_FIELD(ev, msg, "kernel: [1.0] x");
	event_free(ev);
}

/* What is not syslog at all becomes UNPARSED with everything kept. */
TEST(t3164_unparsed)
{
	static const struct {
		const char *raw;
		int pri;
	} cases[] = {
		{ "hello world", -1 },
		{ "<13>hello world", 13 },	/* no timestamp, no tag */
		{ "<13>", 13 },
		{ "<13>1 garbage", 13 },
		{ "<192>Nov 28 13:00:00 h a: m", -1 },
		{ "<01>Nov 28 13:00:00 h a: m", -1 },
		{ "<00>Nov 28 13:00:00 h a: m", -1 },
		{ "<1234>Nov 28 13:00:00 h a: m", -1 },
		{ "<>Nov 28 13:00:00 h a: m", -1 },
		{ "<1a>Nov 28 13:00:00 h a: m", -1 },
		{ "<13", -1 },
		{ "<", -1 },
		{ "Nov 28 1:00:00 h a: m", -1 },
		{ "Nov 32 13:00:00 h a: m", -1 },
		{ "Nov 28 24:00:00 h a: m", -1 },
		{ "Nov 28 13:00:00x h a: m", -1 },
		{ "Foo 28 13:00:00 h a: m", -1 },
		{ "<13>:colon first", 13 },
		{ "<13>[bracket]: first", 13 },
		{ "<13>2026-02-30T13:37:02Z host app: msg", 13 },
		{ "<13>12:00 noon", 13 },
	};
	struct event *ev, copy;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev = mkev(cases[i].raw);
		memcpy(&copy, ev, sizeof(copy));
		CHECK_INT(syslog_parse_3164(ev, &utc_opts), MAMORI_EINVAL);
		CHECK(memcmp(&copy, ev, sizeof(copy)) == 0);
		CHECK_INT(syslog_parse(ev, &utc_opts), 0);
		CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
		if (ev->format != EVENT_FMT_UNPARSED)
			fprintf(stderr, "  case %s\n", cases[i].raw);
		CHECK_FIELD(ev, msg, cases[i].raw);
		CHECK_INT(ev->facility, cases[i].pri < 0 ? -1 :
		    cases[i].pri >> 3);
		CHECK_INT(ev->severity, cases[i].pri < 0 ? -1 :
		    cases[i].pri & 7);
		CHECK_INT(ev->flags & EVENT_F_NOPRI,
		    cases[i].pri < 0 ? EVENT_F_NOPRI : 0);
		CHECK_FIELD(ev, host, "192.0.2.7");
		CHECK_INT(ev->app.len, 0);
		check_bounds(ev);
		event_free(ev);
	}

	/* Empty, and binary with NULs inside. */
	ev = mkev_len("", 0, RECV_DEFAULT);
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	CHECK_INT(ev->msg.len, 0);
	event_free(ev);
	ev = mkev_len("\x01\x00\xff\n\x00", 5, RECV_DEFAULT);
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	CHECK_INT(ev->msg.len, 3);
	CHECK(memcmp(event_str(ev, &ev->msg), "\x01\x00\xff", 3) == 0);
	event_free(ev);

	/* The PRI of "<0>" is valid. */
	ev = parse("<0>just text");
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	CHECK_INT(ev->facility, 0);
	CHECK_INT(ev->severity, 0);
	event_free(ev);

	/* A truncation mark survives. */
	ev = mkev("garbage");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->flags, EVENT_F_TRUNCATED | EVENT_F_NOPRI |
	    EVENT_F_HOST_FROM_SRC);
	event_free(ev);
}

TEST(t3164_limits)
{
	char line[2048];
	struct event *ev;

	/* Tag at SYSLOG_TAG_MAX, and one over (then not a tag). */
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 h %s: m",
	    rep('t', SYSLOG_TAG_MAX));
	ev = parse(line);
	CHECK_FIELD(ev, app, rep('t', SYSLOG_TAG_MAX));
	CHECK_FIELD(ev, msg, "m");
	event_free(ev);
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 h %s: m",
	    rep('t', SYSLOG_TAG_MAX + 1));
	ev = parse(line);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_FIELD(ev, host, "h");
	CHECK_INT(ev->app.len, 0);
	CHECK_INT(ev->msg.len, SYSLOG_TAG_MAX + 1 + 3);
	event_free(ev);

	/* Host at 255, and one over (then the message). */
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 %s a: m",
	    rep('h', SYSLOG_HOSTNAME_MAX));
	ev = parse(line);
	CHECK_FIELD(ev, host, rep('h', SYSLOG_HOSTNAME_MAX));
	CHECK_FIELD(ev, app, "a");
	event_free(ev);
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 %s a: m",
	    rep('h', SYSLOG_HOSTNAME_MAX + 1));
	ev = parse(line);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_FIELD(ev, host, "192.0.2.7");
	CHECK_INT(ev->app.len, 0);
	CHECK_INT(ev->msg.len, SYSLOG_HOSTNAME_MAX + 1 + 5);
	event_free(ev);

	/* PROCID at 128 and 129. */
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 h a[%s]: m",
	    rep('1', SYSLOG_PROCID_MAX));
	ev = parse(line);
	CHECK_FIELD(ev, procid, rep('1', SYSLOG_PROCID_MAX));
	event_free(ev);
	snprintf(line, sizeof(line), "<13>Nov 28 13:00:00 h a[%s]: m",
	    rep('1', SYSLOG_PROCID_MAX + 1));
	ev = parse(line);
	CHECK_INT(ev->procid.len, 0);
	CHECK_INT(ev->app.len, 0);
	event_free(ev);

	/* Truncated lines: whatever is there. */
	ev = mkev("<13>Nov 28 13:00:00 host app[12");
	ev->flags = EVENT_F_TRUNCATED;
	CHECK_INT(syslog_parse(ev, &utc_opts), 0);
	CHECK_INT(ev->format, EVENT_FMT_3164);
	CHECK_INT(ev->flags & EVENT_F_TRUNCATED, EVENT_F_TRUNCATED);
	CHECK_FIELD(ev, host, "host");
	CHECK_FIELD(ev, msg, "app[12");
	event_free(ev);
	ev = parse("<13>Nov 28 13:00");
	CHECK_INT(ev->format, EVENT_FMT_UNPARSED);
	event_free(ev);
}

/* syslog_parse() needs SYSLOG_PARSE_EXTRA bytes of room. */
TEST(t_parse_room)
{
	struct event *ev;

	ev = event_new((const uint8_t *)"<13>Nov 28 13:00:00 a: m", 24, 0);
	CHECK(ev != NULL);
	CHECK_INT(syslog_parse(ev, &utc_opts), MAMORI_ETOOBIG);
	/* The parsers on their own leave the host out. */
	snprintf(ev->src, sizeof(ev->src), "192.0.2.7:1");
	CHECK_INT(syslog_parse_3164(ev, &utc_opts), 0);
	CHECK_INT(ev->host.len, 0);
	CHECK_INT(ev->flags & EVENT_F_HOST_FROM_SRC, 0);
	event_free(ev);
	ev = event_new((const uint8_t *)"x", 1, SYSLOG_PARSE_EXTRA - 1);
	CHECK_INT(syslog_parse(ev, &utc_opts), MAMORI_ETOOBIG);
	event_free(ev);
}

/* Every line of a real year-less log file parses, without a PRI. */
static void
check_logfile(const char *name, const char *host, int need_pid)
{
	char path[4096], line[8192], tok[256];
	const char *dir, *p, *q;
	struct event *ev;
	FILE *fp;
	int lines = 0, with_pid = 0, before, shown = 0;
	size_t n;
	struct tm tm;
	time_t secs;

	if ((dir = getenv("MAMORI_SHARED")) == NULL) {
		fprintf(stderr, "MAMORI_SHARED not set\n");
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/data/logs/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		CHECK(0);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strlen(line);
		lines++;
		before = test_failed_checks;
		/* Lines end "\n" or "\r\n"; the parser drops both. */
		ev = mkev_len(line, n, utc(2026, 6, 1, 0, 0, 0) * NS);
		CHECK_INT(syslog_parse(ev, &utc_opts), 0);
		CHECK_INT(ev->format, EVENT_FMT_3164);
		CHECK_INT(ev->facility, -1);
		CHECK_INT(ev->flags & ~EVENT_F_KERNEL, EVENT_F_NOPRI |
		    EVENT_F_HAS_TS | EVENT_F_TS_NOYEAR | EVENT_F_TS_NOTZ);
		CHECK_FIELD(ev, host, host);
		CHECK(ev->app.len > 0);
		check_bounds(ev);
		/* The time, as libc reads it. */
		secs = (time_t)(ev->ts_ns / NS);
		gmtime_r(&secs, &tm);
		strftime(tok, sizeof(tok), "%b %e %H:%M:%S", &tm);
		CHECK(strncmp(line, tok, 15) == 0);
		/* "app[pid]: " after the host: both extracted. */
		p = line + 16 + strlen(host) + 1;
		q = strstr(p, "]: ");
		if (q != NULL && memchr(p, ' ', (size_t)(q - p)) == NULL &&
		    memchr(p, '[', (size_t)(q - p)) != NULL) {
			const char *lb = memchr(p, '[', (size_t)(q - p));

			with_pid++;
			snprintf(tok, sizeof(tok), "%.*s", (int)(lb - p), p);
			CHECK_FIELD(ev, app, tok);
			snprintf(tok, sizeof(tok), "%.*s", (int)(q - lb - 1),
			    lb + 1);
			CHECK_FIELD(ev, procid, tok);
			CHECK(ev->procid.len > 0);
			CHECK(ev->msg.off == (uint32_t)(q + 3 - line));
		} else
			CHECK(!need_pid);
		if (ev->app.len == 6 &&
		    memcmp(event_str(ev, &ev->app), "kernel", 6) == 0)
			CHECK(ev->flags & EVENT_F_KERNEL);
		/* msg never carries the line end. */
		CHECK(ev->msg.len == 0 || (event_str(ev, &ev->msg)
		    [ev->msg.len - 1] != '\r' &&
		    event_str(ev, &ev->msg)[ev->msg.len - 1] != '\n'));
		if (test_failed_checks != before && shown++ < 5)
			fprintf(stderr, "  %s:%d: %s", name, lines, line);
		event_free(ev);
	}
	fclose(fp);
	CHECK(lines >= 1999);
	CHECK(with_pid > lines / 2);
	printf("%s: %d lines, %d with app[pid]\n", name, lines, with_pid);
}

TEST(t3164_loghub_openssh)
{
	struct event *ev;

	check_logfile("loghub_OpenSSH_2k.log", "LabSZ", 1);
	ev = parse("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping "
	    "checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] "
	    "failed - POSSIBLE BREAK-IN ATTEMPT!");
	CHECK_FIELD(ev, host, "LabSZ");
	CHECK_FIELD(ev, app, "sshd");
	CHECK_FIELD(ev, procid, "24200");
	event_free(ev);
}

TEST(t3164_loghub_linux)
{
	struct event *ev;

	check_logfile("loghub_Linux_2k.log", "combo", 0);
	/* The odd line of that file: two SPs, and "--" as the tag. */
	ev = parse("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2");
	CHECK_FIELD(ev, host, "combo");
	CHECK_FIELD(ev, app, "--");
	CHECK_FIELD(ev, msg, "root[2421]: ROOT LOGIN ON tty2");
	event_free(ev);
}

/*
 * RFC 6587 framing
 */

#define MAX_FRAMES	4096

/* The messages a framer delivered, copied one after another. */
struct frames {
	size_t	n;
	size_t	off[MAX_FRAMES];
	size_t	len[MAX_FRAMES];
	int	trunc[MAX_FRAMES];
	char	data[1 << 16];
	size_t	used;
	size_t	max_pending;
	int	stop_at;	/* return 7 on this frame (1-based), or 0 */
};

static int
collect(void *arg, const uint8_t *msg, size_t len, int truncated)
{
	struct frames *fr = arg;

	if (fr->n >= MAX_FRAMES || len > sizeof(fr->data) - fr->used)
		return -1;
	fr->off[fr->n] = fr->used;
	fr->len[fr->n] = len;
	fr->trunc[fr->n] = truncated;
	memcpy(fr->data + fr->used, msg, len);
	fr->used += len;
	fr->n++;
	if (fr->stop_at != 0 && fr->n == (size_t)fr->stop_at)
		return 7;
	return 0;
}

/* Frames stream s[0..len) with max_msg, fed in pieces of chunk bytes. */
static void
frame(const char *s, size_t len, size_t max_msg, size_t chunk,
    struct frames *fr)
{
	struct syslog_framer *f;
	size_t off, n;

	memset(fr, 0, sizeof(*fr));
	f = syslog_framer_new(max_msg);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		CHECK_INT(syslog_framer_feed(f, (const uint8_t *)s + off, n,
		    collect, fr), 0);
		if (syslog_framer_pending(f) > fr->max_pending)
			fr->max_pending = syslog_framer_pending(f);
	}
	CHECK_INT(syslog_framer_finish(f, collect, fr), 0);
	CHECK_INT(syslog_framer_pending(f), 0);
	syslog_framer_free(f);
}

static void
check_frame(const struct frames *fr, size_t i, const char *s, int trunc)
{
	if (i >= fr->n) {
		fprintf(stderr, "  frame %zu missing (have %zu)\n", i, fr->n);
		CHECK(0);
		return;
	}
	CHECK_MEM(fr->data + fr->off[i], fr->len[i], s);
	CHECK_INT(fr->trunc[i], trunc);
}

static int
frames_equal(const struct frames *a, const struct frames *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || a->trunc[i] != b->trunc[i] ||
		    memcmp(a->data + a->off[i], b->data + b->off[i],
		    a->len[i]) != 0)
			return 0;
	return 1;
}

TEST(tframe_lines)
{
	static const char s[] = "<13>one\n<13>two\r\n\n\n<13>three\0four\n"
	    "last";
	static struct frames fr;

	frame(s, sizeof(s) - 1, 100, 4096, &fr);
	CHECK_INT(fr.n, 5);
	check_frame(&fr, 0, "<13>one", 0);
	check_frame(&fr, 1, "<13>two\r", 0);
	check_frame(&fr, 2, "<13>three", 0);
	check_frame(&fr, 3, "four", 0);
	check_frame(&fr, 4, "last", 0);	/* at finish() */

	/* CRLF after octet-counted frames leaves no empty messages, and a
	 * lone CR before an LF is no message, however it is split. */
	frame("5 hello\r\n5 world\r\n\r\n", 20, 100, 4096, &fr);
	CHECK_INT(fr.n, 2);
	check_frame(&fr, 0, "hello", 0);
	check_frame(&fr, 1, "world", 0);
	frame("5 hello\r\n5 world\r\n\r\n", 20, 100, 1, &fr);
	CHECK_INT(fr.n, 2);
	/* A CR with more after it stays. */
	frame("\r\r\n\rx\n", 6, 100, 1, &fr);
	CHECK_INT(fr.n, 2);
	check_frame(&fr, 0, "\r\r", 0);
	check_frame(&fr, 1, "\rx", 0);
}

TEST(tframe_octet_counted)
{
	/* RFC 6587 3.4.1; a count covers LFs and NULs inside. */
	static const char s[] = "5 hello11 two\nlines\0!1 x";
	static struct frames fr;

	frame(s, sizeof(s) - 1, 100, 4096, &fr);
	CHECK_INT(fr.n, 3);
	check_frame(&fr, 0, "hello", 0);
	CHECK_INT(fr.len[1], 11);
	CHECK(memcmp(fr.data + fr.off[1], "two\nlines\0!", 11) == 0);
	check_frame(&fr, 2, "x", 0);
}

TEST(tframe_mixed)
{
	static const char s[] =
	    "25 <13>1 - h a p m - counted\n"	/* counted, LF after it */
	    "<13>Nov 28 13:00:00 h a: line\n"
	    "0 zero starts a line\n"
	    "123abc digits start a line\n"
	    "12345678901 eleven digits\n"	/* too many for a count */
	    "9 <13>count<14>lf\n"
	    "1 y";
	static struct frames fr;

	frame(s, sizeof(s) - 1, 1000, 4096, &fr);
	CHECK_INT(fr.n, 8);
	check_frame(&fr, 0, "<13>1 - h a p m - counted", 0);
	check_frame(&fr, 1, "<13>Nov 28 13:00:00 h a: line", 0);
	check_frame(&fr, 2, "0 zero starts a line", 0);
	check_frame(&fr, 3, "123abc digits start a line", 0);
	check_frame(&fr, 4, "12345678901 eleven digits", 0);
	check_frame(&fr, 5, "<13>count", 0);
	check_frame(&fr, 6, "<14>lf", 0);
	check_frame(&fr, 7, "y", 0);
}

TEST(tframe_limits)
{
	static struct frames fr;

	/* Exactly max_msg: whole. One more: cut, the rest dropped. */
	frame("hello\nhello!!!\nok\n", 18, 5, 4096, &fr);
	CHECK_INT(fr.n, 3);
	check_frame(&fr, 0, "hello", 0);
	check_frame(&fr, 1, "hello", 1);
	check_frame(&fr, 2, "ok", 0);
	/* The same, one byte at a time: the limit falls between feeds. */
	frame("hello\nhello!!!\nok\n", 18, 5, 1, &fr);
	CHECK_INT(fr.n, 3);
	check_frame(&fr, 0, "hello", 0);
	check_frame(&fr, 1, "hello", 1);
	check_frame(&fr, 2, "ok", 0);
	CHECK(fr.max_pending <= 5);

	/* Counted, at the limit and over it; the rest of the counted
	 * message is not taken for a new one. */
	frame("5 abcde6 abcdef\n7 1234567x\n", 27, 5, 4096, &fr);
	CHECK_INT(fr.n, 4);
	check_frame(&fr, 0, "abcde", 0);
	check_frame(&fr, 1, "abcde", 1);
	check_frame(&fr, 2, "12345", 1);
	check_frame(&fr, 3, "x", 0);

	/* A count far beyond max_msg: cut, then all of it dropped. */
	frame("30 0123456789012345678901234567893 abc", 38, 4, 7, &fr);
	CHECK_INT(fr.n, 2);
	check_frame(&fr, 0, "0123", 1);
	check_frame(&fr, 1, "abc", 0);

	/* A huge count, stream ends: one cut message, nothing buffered. */
	frame("9999999999 abcdefgh", 19, 4, 3, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "abcd", 1);
	CHECK(fr.max_pending <= 4 + 10);

	/* max_msg smaller than the count's digits. */
	frame("123456\n", 7, 2, 1, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "12", 1);
	frame("123 abc", 7, 2, 1, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "ab", 1);
	frame("123", 3, 2, 1, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "12", 1);

	/* The stream ends inside a counted message: cut short. */
	frame("10 abc", 6, 100, 1, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "abc", 1);
	/* Or right after the count: nothing to deliver. */
	frame("10 ", 3, 100, 1, &fr);
	CHECK_INT(fr.n, 0);
	/* Digits alone at the end are a message. */
	frame("42", 2, 100, 1, &fr);
	CHECK_INT(fr.n, 1);
	check_frame(&fr, 0, "42", 0);

	CHECK(syslog_framer_new(0) == NULL);
	syslog_framer_free(NULL);
}

/* An endless line never makes the framer hold more than max_msg. */
TEST(tframe_bounded)
{
	struct syslog_framer *f;
	static struct frames fr;
	uint8_t buf[1000];
	int i;

	memset(&fr, 0, sizeof(fr));
	memset(buf, 'x', sizeof(buf));
	f = syslog_framer_new(300);
	for (i = 0; i < 1000; i++) {
		CHECK_INT(syslog_framer_feed(f, buf, 7 + i % 50, collect,
		    &fr), 0);
		CHECK(syslog_framer_pending(f) <= 300);
	}
	CHECK_INT(fr.n, 1);
	CHECK_INT(fr.len[0], 300);
	CHECK_INT(fr.trunc[0], 1);
	CHECK_INT(syslog_framer_feed(f, (const uint8_t *)"\nnext\n", 6,
	    collect, &fr), 0);
	CHECK_INT(fr.n, 2);
	check_frame(&fr, 1, "next", 0);
	syslog_framer_free(f);
}

/* The callback's non-zero value stops feed() and comes back. */
TEST(tframe_stop)
{
	struct syslog_framer *f;
	static struct frames fr;

	memset(&fr, 0, sizeof(fr));
	fr.stop_at = 2;
	f = syslog_framer_new(100);
	CHECK_INT(syslog_framer_feed(f, (const uint8_t *)"a\nb\nc\n", 6,
	    collect, &fr), 7);
	CHECK_INT(fr.n, 2);
	fr.stop_at = 3;
	CHECK_INT(syslog_framer_feed(f, (const uint8_t *)"d", 1, collect,
	    &fr), 0);
	CHECK_INT(syslog_framer_finish(f, collect, &fr), 7);
	check_frame(&fr, 2, "d", 0);
	syslog_framer_free(f);
}

/* However the stream is cut into reads, the same messages come out. */
TEST(tframe_chunking)
{
	static const char s[] =
	    "25 <13>1 - h a p m - counted\n"
	    "<13>Nov 28 13:00:00 h a: a line that is long enough to cut\n"
	    "\n0 zero\0nul ended\n"
	    "40 short count then the stream goes on..."
	    "12345678901 eleven\n"
	    "200 ";
	static const size_t maxes[] = { 1, 3, 8, 25, 27, 40, 1000 };
	static struct frames whole, part;
	size_t m, chunk, split;

	for (m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		frame(s, sizeof(s) - 1, maxes[m], sizeof(s), &whole);
		CHECK(whole.n >= 5);
		for (chunk = 1; chunk <= 64; chunk++) {
			frame(s, sizeof(s) - 1, maxes[m], chunk, &part);
			CHECK(frames_equal(&whole, &part));
			CHECK(part.max_pending <= maxes[m] + 10);
		}
		/* Two feeds, split at every offset. */
		for (split = 0; split <= sizeof(s) - 1; split++) {
			struct syslog_framer *f = syslog_framer_new(maxes[m]);

			memset(&part, 0, sizeof(part));
			CHECK_INT(syslog_framer_feed(f, (const uint8_t *)s,
			    split, collect, &part), 0);
			CHECK_INT(syslog_framer_feed(f, (const uint8_t *)s +
			    split, sizeof(s) - 1 - split, collect, &part), 0);
			CHECK_INT(syslog_framer_finish(f, collect, &part), 0);
			CHECK(frames_equal(&whole, &part));
			syslog_framer_free(f);
		}
	}
}

/* Garbage: any bytes, any cuts; the invariants hold. */
TEST(tframe_garbage)
{
	static const uint8_t alphabet[] = "0123456789 \n\0<>abc";
	char s[2000];
	static struct frames whole, part;
	uint32_t x = 2463534242u;
	size_t i, round, j;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(s); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[i] = (char)(round % 2 ? (uint8_t)x :
			    alphabet[x % (sizeof(alphabet) - 1)]);
		}
		frame(s, sizeof(s), 1 + round % 40, sizeof(s), &whole);
		frame(s, sizeof(s), 1 + round % 40, 1 + round % 13, &part);
		CHECK(frames_equal(&whole, &part));
		for (j = 0; j < whole.n; j++) {
			CHECK(whole.len[j] <= 1 + round % 40);
			CHECK(whole.len[j] > 0);
			CHECK(!whole.trunc[j] || whole.len[j] ==
			    1 + round % 40 || j == whole.n - 1);
		}
	}
}

int
main(void)
{
	RUN(t5424_rfc_examples);
	RUN(t5424_nilvalues);
	RUN(t5424_timestamps);
	RUN(t5424_limits);
	RUN(t5424_structured_data);
	RUN(t5424_truncated);
	RUN(t5424_bom_utf8);
	RUN(t5424_header);
	RUN(t3164_rfc_examples);
	RUN(t3164_classic);
	RUN(t3164_no_hostname);
	RUN(t3164_rfc3339);
	RUN(t3164_year);
	RUN(t3164_new_year);
	RUN(t3164_host_not_printable);
	RUN(t3164_local_zone);
	RUN(t3164_cisco);
	RUN(t3164_asa);
	RUN(t3164_kernel);
	RUN(t3164_nopri);
	RUN(t3164_unparsed);
	RUN(t3164_limits);
	RUN(t_parse_room);
	RUN(t3164_loghub_openssh);
	RUN(t3164_loghub_linux);
	RUN(tframe_lines);
	RUN(tframe_octet_counted);
	RUN(tframe_mixed);
	RUN(tframe_limits);
	RUN(tframe_bounded);
	RUN(tframe_stop);
	RUN(tframe_chunking);
	RUN(tframe_garbage);
	return test_summary();
}
