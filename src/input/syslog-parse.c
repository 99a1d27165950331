/*
 * syslog-parse.c - the entry point of syslog message parsing, and the
 * pieces RFC 5424 and RFC 3164 parsing share: PRI (RFC 5424 section 6.2.1,
 * RFC 3164 section 4.1.1) and RFC 3339 timestamps (RFC 5424 section 6.2.3).
 *
 * Every message a listener receives goes through syslog_parse(), on the
 * receiving thread, so nothing here allocates: fields are slices of the
 * event's raw bytes, and the only copy is the sender's address when the
 * message names no host.
 */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "input/syslog.h"

/* Seconds that still fit in int64 nanoseconds, with room for a fraction. */
#define TS_SEC_MAX	(INT64_MAX / NS_PER_SEC - 1)
#define TS_SEC_MIN	(INT64_MIN / NS_PER_SEC + 1)

int
syslog_pri_parse(const uint8_t *p, size_t len, int *pri, size_t *used)
{
	size_t i;
	int v = 0;

	*pri = -1;
	*used = 0;
	if (len < 3 || p[0] != '<')
		return MAMORI_EINVAL;
	for (i = 1; i < len && i <= 4 && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	/* One to three digits, then '>'; "<0>" is the only leading zero. */
	if (i == 1 || i > 4 || i >= len || p[i] != '>')
		return MAMORI_EINVAL;
	if (p[1] == '0' && i > 2)
		return MAMORI_EINVAL;
	if (v > 191)
		return MAMORI_EINVAL;
	*pri = v;
	*used = i + 1;
	return 0;
}

size_t
syslog_trim_end(const uint8_t *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' ||
	    p[len - 1] == '\0'))
		len--;
	return len;
}

int
syslog_days_in_month(int y, int mon)
{
	static const int dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int leap;

	if (mon < 1 || mon > 12)
		return 0;
	if (mon != 2)
		return dim[mon - 1];
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return 28 + leap;
}

/* Reads exactly n digits at p[*pos..len); returns 0 or -1. */
static int
digits(const uint8_t *p, size_t len, size_t *pos, int n, int *out)
{
	int v = 0, i;

	if (len - *pos < (size_t)n)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t c = p[*pos + i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*pos += n;
	*out = v;
	return 0;
}

/* Expects byte c at p[*pos]; returns 0 or -1. */
static int
expect(const uint8_t *p, size_t len, size_t *pos, uint8_t c)
{
	if (*pos >= len || p[*pos] != c)
		return -1;
	(*pos)++;
	return 0;
}

int
syslog_rfc3339_parse(const uint8_t *p, size_t len, int zone_optional,
    struct syslog_ts *ts, size_t *used)
{
	size_t pos = 0;
	int64_t secs;
	int ndig, tzh, tzm, sign;

	memset(ts, 0, sizeof(*ts));
	*used = 0;
	if (digits(p, len, &pos, 4, &ts->year) || expect(p, len, &pos, '-') ||
	    digits(p, len, &pos, 2, &ts->mon) || expect(p, len, &pos, '-') ||
	    digits(p, len, &pos, 2, &ts->mday))
		return MAMORI_EINVAL;
	if (pos >= len || (p[pos] != 'T' && p[pos] != 't'))
		return MAMORI_EINVAL;
	pos++;
	if (digits(p, len, &pos, 2, &ts->hour) || expect(p, len, &pos, ':') ||
	    digits(p, len, &pos, 2, &ts->min) || expect(p, len, &pos, ':') ||
	    digits(p, len, &pos, 2, &ts->sec))
		return MAMORI_EINVAL;
	if (pos < len && p[pos] == '.') {
		pos++;
		for (ndig = 0; pos < len && p[pos] >= '0' && p[pos] <= '9';
		    ndig++, pos++) {
			if (ndig == 9)
				return MAMORI_EINVAL;
			ts->nsec = ts->nsec * 10 + (p[pos] - '0');
		}
		if (ndig == 0)
			return MAMORI_EINVAL;
		for (; ndig < 9; ndig++)
			ts->nsec *= 10;
	}
	if (pos < len && (p[pos] == 'Z' || p[pos] == 'z')) {
		pos++;
		ts->has_zone = 1;
	} else if (pos < len && (p[pos] == '+' || p[pos] == '-')) {
		sign = p[pos++] == '-' ? -1 : 1;
		if (digits(p, len, &pos, 2, &tzh) ||
		    expect(p, len, &pos, ':') ||
		    digits(p, len, &pos, 2, &tzm) || tzh > 23 || tzm > 59)
			return MAMORI_EINVAL;
		ts->has_zone = 1;
		ts->tz_min = sign * (tzh * 60 + tzm);
	} else if (!zone_optional)
		return MAMORI_EINVAL;
	if (ts->mon < 1 || ts->mon > 12 || ts->mday < 1 ||
	    ts->mday > syslog_days_in_month(ts->year, ts->mon) ||
	    ts->hour > 23 || ts->min > 59 || ts->sec > 60)
		return MAMORI_EINVAL;
	/* Years 0000-9999 cannot overflow seconds; nanoseconds can. */
	secs = time_days_from_civil(ts->year, (unsigned)ts->mon,
	    (unsigned)ts->mday) * 86400 + ts->hour * 3600 + ts->min * 60 +
	    ts->sec - (int64_t)ts->tz_min * 60;
	if (secs >= TS_SEC_MIN && secs <= TS_SEC_MAX) {
		ts->ns = secs * NS_PER_SEC + ts->nsec;
		ts->in_range = 1;
	}
	*used = pos;
	return 0;
}

int
syslog_host_from_src(struct event *ev)
{
	size_t len;
	const char *s = event_src_addr(ev->src, &len);

	if (len == 0)
		return MAMORI_ENOTFOUND;
	return event_add_string(ev, &ev->host, s, len);
}

/* Neither RFC 5424 nor RFC 3164: keep everything as the message. */
static void
parse_unparsed(struct event *ev)
{
	size_t used;
	int pri;

	memset(&ev->host, 0, sizeof(ev->host));
	memset(&ev->app, 0, sizeof(ev->app));
	memset(&ev->procid, 0, sizeof(ev->procid));
	memset(&ev->msgid, 0, sizeof(ev->msgid));
	memset(&ev->sd, 0, sizeof(ev->sd));
	ev->format = EVENT_FMT_UNPARSED;
	ev->flags &= EVENT_F_TRUNCATED;
	ev->ts_ns = 0;
	ev->tz_min = 0;
	ev->msg.off = 0;
	ev->msg.len = (uint32_t)syslog_trim_end(ev->data, ev->raw_len);
	if (syslog_pri_parse(ev->data, ev->raw_len, &pri, &used) == 0) {
		ev->facility = (int8_t)(pri >> 3);
		ev->severity = (int8_t)(pri & 7);
	} else {
		ev->facility = -1;
		ev->severity = -1;
		ev->flags |= EVENT_F_NOPRI;
	}
	if (syslog_host_from_src(ev) == 0)
		ev->flags |= EVENT_F_HOST_FROM_SRC;
}

/* Does p[0..len) start "<PRI>1 ", the RFC 5424 header? */
static int
looks_5424(const uint8_t *p, size_t len)
{
	size_t used;
	int pri;

	if (syslog_pri_parse(p, len, &pri, &used) != 0)
		return 0;
	return len - used >= 2 && p[used] == '1' && p[used + 1] == ' ';
}

int
syslog_parse(struct event *ev, const struct syslog_parse_opts *o)
{
	if (ev->data_cap - ev->data_len < SYSLOG_PARSE_EXTRA)
		return MAMORI_ETOOBIG;
	if (looks_5424(ev->data, ev->raw_len) && syslog_parse_5424(ev) == 0)
		return 0;
	if (syslog_parse_3164(ev, o) == 0)
		return 0;
	parse_unparsed(ev);
	return 0;
}
