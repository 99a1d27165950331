/*
 * syslog-3164.c - RFC 3164 "The BSD syslog Protocol" message parser, and
 * the variants real senders emit.
 *
 *   <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG          (RFC 3164 4.1)
 *
 * RFC 3164 describes what was observed rather than a grammar, and senders
 * differ, so this parser accepts, in order:
 *
 *   PRI        "<13>"; absent in lines from log files ("Dec 10 06:55:46
 *              host sshd[1]: ..."), which then must start with a timestamp
 *              (EVENT_F_NOPRI).
 *   SEQUENCE   Cisco IOS "123: " (EVENT_F_SEQ_PREFIX), optionally followed
 *              by the device name ("123: R1: *Mar  1 ...", origin-id).
 *   TIMESTAMP  "Nov 28 13:00:00", "Nov  3 ...", "Nov 3 ...";
 *              with milliseconds ("13:00:00.123", IOS msec);
 *              with a year ("Nov 28 2026 13:00:00", IOS and ASA);
 *              with the IOS clock markers '*' and '.' in front;
 *              with a zone name after it ("UTC", "GMT"; others only before
 *              an IOS "%FAC-SEV-MNEMONIC") and an IOS ':' after it;
 *              or RFC 3339 ("2026-11-28T13:37:02.123456+01:00", rsyslog's
 *              high-precision formats).
 *              With a valid PRI the timestamp may be missing if a tag
 *              follows ("<4>kernel: [12345.678] ...", "<166>%ASA-6-...").
 *   HOSTNAME   the token after the timestamp, unless it ends in ':' or
 *              contains '[': then it is the tag and the host comes from
 *              the sender's address (EVENT_F_HOST_FROM_SRC).  A line with
 *              a PRI, a BSD timestamp and no host is what glibc syslog()
 *              and logger write to /dev/log (EVENT_F_LOCAL_SOCKET).
 *   TAG        up to '[', ':' or SP, at most SYSLOG_TAG_MAX bytes, as the
 *              app; "[PID]" as the procid; then ':' and one SP are skipped.
 *              A tag without ':' ("syslogd 1.4.1: restart.") is taken as
 *              rsyslog and syslog-ng take it: the first word.  "kernel"
 *              sets EVENT_F_KERNEL.
 *   MSG        the rest, trailing CR/LF/NUL cut.
 *
 * Year-less timestamps take a year from the receive time (infer_year());
 * zone-less ones the zone the options name (EVENT_F_TS_NOYEAR,
 * EVENT_F_TS_NOTZ).  Converting a local time costs two localtime_r()
 * calls; everything else is a single pass without allocation.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "input/syslog.h"

/* What the timestamp said; year -1 when it gave none. */
struct bsd_time {
	int	year, mon, mday, hour, min, sec;
	long	nsec;
	int	has_zone;	/* a zone was given: tz_min holds it */
	int	tz_min;
	int	rfc3339;	/* ISO form rather than "Mmm dd" */
	int64_t	ns;		/* rfc3339 with zone: the time, if in range */
	int	in_range;
};

static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

/* Reads 1..max digits at p[*pos..len); returns the value or -1. */
static int
number(const uint8_t *p, size_t len, size_t *pos, int max)
{
	int v = 0, n = 0;

	while (*pos < len && is_digit(p[*pos]) && n < max) {
		v = v * 10 + (p[*pos] - '0');
		(*pos)++;
		n++;
	}
	return n > 0 ? v : -1;
}

/* Reads exactly two digits; returns the value or -1. */
static int
two_digits(const uint8_t *p, size_t len, size_t *pos)
{
	int v;

	if (len - *pos < 2 || !is_digit(p[*pos]) || !is_digit(p[*pos + 1]))
		return -1;
	v = (p[*pos] - '0') * 10 + (p[*pos + 1] - '0');
	*pos += 2;
	return v;
}

/* Returns 1..12 for the English month abbreviation at p, else 0. */
static int
month(const uint8_t *p, size_t len)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char m[3];
	int i;

	if (len < 3)
		return 0;
	for (i = 0; i < 3; i++)
		m[i] = (char)(p[i] | 0x20);	/* ASCII lower case */
	for (i = 0; i < 12; i++)
		if (memcmp(names + i * 3, m, 3) == 0)
			return i + 1;
	return 0;
}

/*
 * Parses "hh:mm:ss[.fff]" at p[*pos..len).  Returns 0 or -1.
 */
static int
clock_time(const uint8_t *p, size_t len, size_t *pos, struct bsd_time *t)
{
	size_t q = *pos;
	int ndig;

	if ((t->hour = two_digits(p, len, &q)) < 0 || q >= len ||
	    p[q++] != ':' || (t->min = two_digits(p, len, &q)) < 0 ||
	    q >= len || p[q++] != ':' ||
	    (t->sec = two_digits(p, len, &q)) < 0)
		return -1;
	if (t->hour > 23 || t->min > 59 || t->sec > 60)
		return -1;
	t->nsec = 0;
	if (q + 1 < len && p[q] == '.' && is_digit(p[q + 1])) {
		q++;
		for (ndig = 0; q < len && is_digit(p[q]); ndig++, q++)
			if (ndig < 9)
				t->nsec = t->nsec * 10 + (p[q] - '0');
		for (; ndig < 9; ndig++)
			t->nsec *= 10;
	}
	*pos = q;
	return 0;
}

/*
 * Parses a zone name after the time: " UTC" or " GMT" anywhere, or an IOS
 * " PST:" before " %".  Only the first two say what the offset is.
 */
static void
zone_name(const uint8_t *p, size_t len, size_t *pos, struct bsd_time *t)
{
	size_t q = *pos + 1, start;

	if (q >= len || p[*pos] != ' ')
		return;
	start = q;
	while (q < len && q - start < 6 && is_upper(p[q]))
		q++;
	if (q - start == 3 && (memcmp(p + start, "UTC", 3) == 0 ||
	    memcmp(p + start, "GMT", 3) == 0) &&
	    (q == len || p[q] == ' ' || p[q] == ':')) {
		t->has_zone = 1;
		t->tz_min = 0;
		*pos = q;
		return;
	}
	if (q - start >= 2 && q - start <= 5 && len - q >= 3 &&
	    p[q] == ':' && p[q + 1] == ' ' && p[q + 2] == '%')
		*pos = q;
}

/*
 * Parses a timestamp at p[*pos..len) in any of the forms the file comment
 * lists, and the ':' and spaces after it.  Returns 0 or -1 (pos unmoved).
 */
static int
timestamp(const uint8_t *p, size_t len, size_t *pos, struct bsd_time *t)
{
	struct syslog_ts ts;
	size_t q = *pos, used;
	int v;

	memset(t, 0, sizeof(*t));
	t->year = -1;
	if (q < len && is_digit(p[q])) {
		if (syslog_rfc3339_parse(p + q, len - q, 1, &ts, &used) != 0)
			return -1;
		q += used;
		t->rfc3339 = 1;
		t->year = ts.year;
		t->mon = ts.mon;
		t->mday = ts.mday;
		t->hour = ts.hour;
		t->min = ts.min;
		t->sec = ts.sec;
		t->nsec = ts.nsec;
		t->has_zone = ts.has_zone;
		t->tz_min = ts.tz_min;
		t->ns = ts.ns;
		t->in_range = ts.in_range;
	} else {
		if (q < len && (p[q] == '*' || p[q] == '.'))
			q++;
		if ((t->mon = month(p + q, len - q)) == 0)
			return -1;
		q += 3;
		if (q >= len || p[q++] != ' ')
			return -1;
		if (q < len && p[q] == ' ')
			q++;
		if ((t->mday = number(p, len, &q, 2)) < 1 || t->mday > 31)
			return -1;
		if (q >= len || p[q++] != ' ')
			return -1;
		/* "Nov 28 2026 13:00:00": a year before the time. */
		if (len - q >= 5 && is_digit(p[q]) && is_digit(p[q + 1]) &&
		    is_digit(p[q + 2]) && is_digit(p[q + 3]) &&
		    p[q + 4] == ' ') {
			v = number(p, len, &q, 4);
			t->year = v;
			q++;
		}
		if (clock_time(p, len, &q, t) != 0)
			return -1;
		zone_name(p, len, &q, t);
	}
	if (q < len && p[q] == ':')
		q++;
	if (q < len && p[q] != ' ')
		return -1;
	while (q < len && p[q] == ' ')
		q++;
	*pos = q;
	return 0;
}

/*
 * The year of a year-less timestamp, given the receive time (both read in
 * the same zone).  Messages arrive after they are written, sometimes much
 * later (a queue flushed after an outage, a file analysed months later),
 * but never long before: so the receive time's year, unless that puts
 * the stamp more than 31 days in the future (then it is last year's:
 * "Dec 31" received on Jan 1), or the stamp lies within a day ahead in
 * the next year ("Jan 1 00:00:02" received on Dec 31 23:59:59 from a
 * clock running slightly fast).  syslog-ng takes the same view of the
 * past; strict nearest-year would put a July line read in June into the
 * coming July.
 */
static int
infer_year(const struct bsd_time *t, int64_t recv_ns, int offset_min)
{
	int64_t recv, days, y, c;

	recv = recv_ns / NS_PER_SEC + (int64_t)offset_min * 60;
	days = recv >= 0 ? recv / 86400 : (recv - 86399) / 86400;
	/* The civil year of the receive time. */
	y = 1970 + (days * 400) / 146097;
	while (time_days_from_civil(y + 1, 1, 1) <= days)
		y++;
	while (time_days_from_civil(y, 1, 1) > days)
		y--;
#define STAMP(yr) (time_days_from_civil((yr), (unsigned)t->mon,		\
	(unsigned)t->mday) * 86400 + t->hour * 3600 + t->min * 60 + t->sec)
	c = STAMP(y);
	if (c - recv > 31 * 86400)
		y--;
	else if (STAMP(y + 1) - recv <= 86400)
		y++;
#undef STAMP
	return (int)y;
}

/*
 * Sets *off to the local zone's offset from UTC at t, in seconds; returns
 * 0 or -1.  Every change of offset in the tz database falls on a multiple
 * of 15 minutes of UTC, so each thread keeps the offset of the last
 * quarter hour it asked about: a message stream asks about the same one
 * for minutes on end, and localtime_r() takes glibc's zone lock.
 * syslog_tz_changed() empties every thread's entry.
 */
static atomic_uint tz_generation;

void
syslog_tz_changed(void)
{
	atomic_fetch_add(&tz_generation, 1);
}

static int
gmtoff(time_t t, long *off)
{
	static _Thread_local int64_t slot = INT64_MIN;
	static _Thread_local unsigned slot_gen;
	static _Thread_local long slot_off;
	struct tm tm;
	unsigned gen = atomic_load_explicit(&tz_generation,
	    memory_order_relaxed);
	int64_t q = (int64_t)t >= 0 ? (int64_t)t / 900 :
	    ((int64_t)t - 899) / 900;

	if (q == slot && gen == slot_gen) {
		*off = slot_off;
		return 0;
	}
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	*off = slot_off = tm.tm_gmtoff;
	slot = q;
	slot_gen = gen;
	return 0;
}

/*
 * Finds the local zone's offset (minutes east of UTC) for a local civil
 * time (civil: seconds since the epoch as if it were UTC), the offset o
 * with offset(civil - o) == o.  o1, the offset at civil read as UTC, is
 * taken less than a day from the instant; o2, the offset at civil - o1,
 * equals o1 when no change of offset lies between, and is otherwise the
 * offset on the other side of the change: the only other candidate.  A
 * time that falls twice (DST ending) may read either way; one that does
 * not exist (DST starting) comes out within the gap's size of it.
 *
 * Two localtime_r() calls rather than one mktime(): glibc's mktime() runs
 * tzset(), which stats /etc/localtime on every call when TZ is unset, a
 * system call per message (measured 538 ns against 2 x 27 ns).  The cost:
 * a change of zone is seen only after a tzset(), as at server start.
 */
static int
local_offset(int64_t civil, int *tz_min)
{
	long o1, o2;

	if (gmtoff((time_t)civil, &o1) != 0 ||
	    gmtoff((time_t)(civil - o1), &o2) != 0)
		return -1;
	*tz_min = (int)(o2 / 60);
	return 0;
}

/*
 * Computes the time t stands for, received at ev->recv_ns, into *ns and
 * *tz (minutes east of UTC).  Returns the EVENT_F_* flags to set
 * (0 when the date does not exist, such as Feb 29 in a common year).
 */
static uint32_t
convert_time(const struct event *ev, const struct bsd_time *t,
    const struct syslog_parse_opts *o, int64_t *ns, int *tz)
{
	uint32_t flags = EVENT_F_HAS_TS;
	int64_t secs;
	int year = t->year, tz_local = o == NULL || o->tz_local;
	int tz_min = o == NULL ? 0 : o->tz_min;

	/* Real zones lie within a day of UTC; anything else is a bad
	 * setting, not a reason to overflow. */
	if (tz_min < -24 * 60 || tz_min > 24 * 60)
		tz_min = 0;

	if (t->rfc3339 && t->has_zone) {
		if (!t->in_range)
			return 0;
		*ns = t->ns;
		*tz = t->tz_min;
		return flags;
	}
	if (year < 0) {
		year = infer_year(t, ev->recv_ns, tz_local ? 0 : tz_min);
		flags |= EVENT_F_TS_NOYEAR;
	}
	/* Years beyond these do not fit in int64 ns. */
	if (year < 1678 || year > 2261 ||
	    t->mday > syslog_days_in_month(year, t->mon))
		return 0;
	if (t->has_zone)
		tz_min = t->tz_min;
	else
		flags |= EVENT_F_TS_NOTZ;
	secs = time_days_from_civil(year, (unsigned)t->mon,
	    (unsigned)t->mday) * 86400 + t->hour * 3600 + t->min * 60 +
	    t->sec;
	if (!t->has_zone && tz_local) {
		if (local_offset(secs, &tz_min) != 0)
			return 0;
	}
	*ns = (secs - (int64_t)tz_min * 60) * NS_PER_SEC + t->nsec;
	*tz = tz_min;
	return flags;
}

/* Returns the end of the token at p[pos..len): the next SP or len. */
static size_t
token_end(const uint8_t *p, size_t len, size_t pos)
{
	const uint8_t *sp = memchr(p + pos, ' ', len - pos);

	return sp != NULL ? (size_t)(sp - p) : len;
}

struct tag {
	struct event_field app, procid, msg;
	int	explicit;	/* ended in ':' or had "[pid]" */
};

/*
 * Parses TAG[PID]: at p[pos..len) and sets the app, procid and msg slices.
 * Returns 0, or -1 when no tag is there (t untouched).
 */
static int
tag(const uint8_t *p, size_t len, size_t pos, struct tag *t)
{
	size_t start = pos, append, pid = 0, pidend = 0;
	int explicit = 0;

	while (pos < len && pos - start <= SYSLOG_TAG_MAX && p[pos] != ' ' &&
	    p[pos] != '[' && p[pos] != ':')
		pos++;
	if (pos == start || pos - start > SYSLOG_TAG_MAX)
		return -1;
	append = pos;
	if (pos < len && p[pos] == '[') {
		pid = pidend = pos + 1;
		while (pidend < len && p[pidend] != ']' && p[pidend] != ' ' &&
		    pidend - pid <= SYSLOG_PROCID_MAX)
			pidend++;
		if (pidend >= len || p[pidend] != ']' ||
		    pidend - pid > SYSLOG_PROCID_MAX)
			return -1;
		pos = pidend + 1;
		explicit = 1;
	}
	if (pos < len && p[pos] == ':') {
		/* "app: msg", and "app:msg" too. */
		pos++;
		explicit = 1;
	} else if (pos < len && p[pos] != ' ')
		return -1;	/* "app[1]x": not a tag */
	if (pos < len && p[pos] == ' ')
		pos++;
	t->app.off = (uint32_t)start;
	t->app.len = (uint32_t)(append - start);
	t->procid.off = (uint32_t)pid;
	t->procid.len = (uint32_t)(pidend - pid);
	t->msg.off = (uint32_t)pos;
	t->msg.len = (uint32_t)(len - pos);
	t->explicit = explicit;
	return 0;
}

/* Is p[pos..end) a tag that says it is one ("app:", "app[1]")? */
static int
looks_tag(const uint8_t *p, size_t pos, size_t end)
{
	return end > pos && (p[end - 1] == ':' ||
	    memchr(p + pos, '[', end - pos) != NULL);
}

static int
host_printable(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

int
syslog_parse_3164(struct event *ev, const struct syslog_parse_opts *o)
{
	const uint8_t *p = ev->data;
	size_t len = syslog_trim_end(ev->data, ev->raw_len);
	size_t pos = 0, used, end, q;
	struct bsd_time t;
	struct tag tg;
	struct event_field host = { 0, 0 };
	uint32_t flags = 0;
	int64_t ts_ns = 0;
	int pri = -1, have_ts = 0, tz = 0;

	memset(&tg, 0, sizeof(tg));
	if (len > 0 && p[0] == '<') {
		if (syslog_pri_parse(p, len, &pri, &used) != 0)
			return MAMORI_EINVAL;
		pos = used;
	} else
		flags |= EVENT_F_NOPRI;

	if (pri >= 0) {
		/* IOS "123: ", then perhaps "R1: " before a timestamp. */
		for (q = pos; q < len && q - pos < 10 && is_digit(p[q]); q++)
			;
		if (q > pos && len - q >= 2 && p[q] == ':' && p[q + 1] == ' ') {
			flags |= EVENT_F_SEQ_PREFIX;
			pos = q + 2;
		}
		if (timestamp(p, len, &pos, &t) == 0)
			have_ts = 1;
		else if ((end = token_end(p, len, pos)) - pos >= 2 &&
		    end - pos <= SYSLOG_HOSTNAME_MAX + 1 && p[end - 1] == ':' &&
		    p[pos] != '%' && memchr(p + pos, '[', end - pos) == NULL &&
		    (q = end + 1) < len && timestamp(p, len, &q, &t) == 0) {
			host.off = (uint32_t)pos;
			host.len = (uint32_t)(end - 1 - pos);
			pos = q;
			have_ts = 1;
		}
	} else if (timestamp(p, len, &pos, &t) == 0)
		have_ts = 1;
	else
		return MAMORI_EINVAL;	/* no PRI, no timestamp: not syslog */

	end = token_end(p, len, pos);
	if (!have_ts) {
		/* Only "<PRI>tag: msg" is syslog without a timestamp; a
		 * digit first is more likely a timestamp gone wrong. */
		if (pos >= len || is_digit(p[pos]) ||
		    tag(p, len, pos, &tg) != 0 || !tg.explicit)
			return MAMORI_EINVAL;
	} else if (host.len > 0 || looks_tag(p, pos, end) || pos == len) {
		if (tag(p, len, pos, &tg) != 0) {
			tg.msg.off = (uint32_t)pos;
			tg.msg.len = (uint32_t)(len - pos);
		} else if (pri >= 0 && !t.rfc3339 && host.len == 0 &&
		    !(flags & EVENT_F_SEQ_PREFIX) && p[pos] != '%')
			flags |= EVENT_F_LOCAL_SOCKET;
	} else if (end - pos <= SYSLOG_HOSTNAME_MAX) {
		host.off = (uint32_t)pos;
		host.len = (uint32_t)(end - pos);
		pos = end;
		while (pos < len && p[pos] == ' ')
			pos++;
		/* ASA with a device id: "fw01 : %ASA-6-...". */
		if (pos < len && p[pos] == ':' &&
		    (pos + 1 == len || p[pos + 1] == ' '))
			pos += pos + 1 == len ? 1 : 2;
		if (pos == len || tag(p, len, pos, &tg) != 0) {
			tg.msg.off = (uint32_t)pos;
			tg.msg.len = (uint32_t)(len - pos);
		}
	} else {
		tg.msg.off = (uint32_t)pos;
		tg.msg.len = (uint32_t)(len - pos);
	}
	if (tg.app.len == 6 && memcmp(p + tg.app.off, "kernel", 6) == 0)
		flags |= EVENT_F_KERNEL;
	if (have_ts)
		flags |= convert_time(ev, &t, o, &ts_ns, &tz);

	/* A host name is printable US-ASCII (RFC 5424's HOSTNAME; RFC 3164
	 * allows less).  Anything else, control bytes or NUL included, is
	 * not taken as the host: the sender's address stands in, and the
	 * bytes stay in the raw message. */
	if (host.len > 0 && !host_printable(p + host.off, host.len))
		memset(&host, 0, sizeof(host));

	/* It is RFC 3164: from here on, only commit. */
	ev->format = EVENT_FMT_3164;
	ev->facility = (int8_t)(pri >= 0 ? pri >> 3 : -1);
	ev->severity = (int8_t)(pri >= 0 ? pri & 7 : -1);
	ev->flags = (ev->flags & EVENT_F_TRUNCATED) | flags;
	ev->ts_ns = (flags & EVENT_F_HAS_TS) ? ts_ns : 0;
	ev->tz_min = (int16_t)((flags & EVENT_F_HAS_TS) ? tz : 0);
	ev->host = host;
	ev->app = tg.app;
	ev->procid = tg.procid;
	memset(&ev->msgid, 0, sizeof(ev->msgid));
	memset(&ev->sd, 0, sizeof(ev->sd));
	ev->msg = tg.msg;
	if (host.len == 0 && syslog_host_from_src(ev) == 0)
		ev->flags |= EVENT_F_HOST_FROM_SRC;
	return 0;
}
