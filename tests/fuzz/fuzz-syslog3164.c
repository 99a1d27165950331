/*
 * fuzz-syslog3164.c - libFuzzer harness for the RFC 3164 parser
 * (syslog_parse_3164()) and syslog_parse(), which falls back to it.
 *
 * The input is one message.  The options and the receive time vary with
 * the input's length, so the year inference around New Year, a fixed zone
 * and the local zone (with DST rules) all get exercised without taking
 * bytes away from the message.  Checks: fields inside the data, limits,
 * a rejected message leaves the event as it was, and a timestamp is near
 * within a year before or a month after the receive time when the year
 * was inferred.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "input/syslog.h"

#define NS	1000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const struct event *ev, const struct event_field *f,
    size_t limit)
{
	if ((uint64_t)f->off + f->len > ev->raw_len || f->len > limit)
		abort();
}

static void
check_event(const struct event *ev)
{
	const uint8_t *m = ev->data + ev->msg.off;

	if (ev->facility < -1 || ev->facility > 23 || ev->severity < -1 ||
	    ev->severity > 7)
		abort();
	if (ev->flags & EVENT_F_HOST_FROM_SRC) {
		if ((uint64_t)ev->host.off + ev->host.len > ev->data_len ||
		    ev->host.off < ev->raw_len)
			abort();
	} else
		check_field(ev, &ev->host, SYSLOG_HOSTNAME_MAX);
	check_field(ev, &ev->msg, ev->raw_len);
	if (ev->msg.len > 0 && (m[ev->msg.len - 1] == '\n' ||
	    m[ev->msg.len - 1] == '\r' || m[ev->msg.len - 1] == '\0'))
		abort();
	if (ev->format == EVENT_FMT_UNPARSED && ev->msg.off != 0)
		abort();
	if (ev->format != EVENT_FMT_3164)
		return;
	check_field(ev, &ev->app, SYSLOG_TAG_MAX);
	check_field(ev, &ev->procid, SYSLOG_PROCID_MAX);
	if (ev->msgid.len != 0 || ev->sd.len != 0)
		abort();
	if ((ev->flags & EVENT_F_NOPRI) && ev->facility != -1)
		abort();
	if (!(ev->flags & EVENT_F_HAS_TS) &&
	    (ev->flags & (EVENT_F_TS_NOYEAR | EVENT_F_TS_NOTZ)))
		abort();
	if (ev->tz_min < -1440 || ev->tz_min > 1440)
		abort();
	/* An inferred year puts the stamp at most 31 days (plus a day for
	 * zones and leap seconds) after reception, or at most a year and
	 * two days before it. */
	if ((ev->flags & EVENT_F_TS_NOYEAR) &&
	    (ev->ts_ns - ev->recv_ns > (31LL + 2) * 86400 * NS ||
	    ev->recv_ns - ev->ts_ns > (366LL + 2) * 86400 * NS))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t recv[] = {
		1795867200LL * NS,		/* 2026-11-28 12:00 UTC */
		1798761595LL * NS,		/* 2026-12-31 23:59:55 */
		1798761605LL * NS,		/* 2027-01-01 00:00:05 */
		1709164800LL * NS,		/* 2024-02-29 */
		0,
	};
	static int tz_set;
	struct syslog_parse_opts o;
	struct event *ev, *copy;
	size_t total;
	int r;

	if (!tz_set) {
		setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
		tzset();
		syslog_tz_changed();
		tz_set = 1;
	}
	o.tz_local = size % 2;
	o.tz_min = (int)(size * 37 % 1500) - 750;
	if ((ev = event_new(data, size, SYSLOG_PARSE_EXTRA)) == NULL)
		return 0;
	ev->recv_ns = recv[size % (sizeof(recv) / sizeof(recv[0]))];
	snprintf(ev->src, sizeof(ev->src), "%s",
	    size % 4 == 0 ? "192.0.2.7:514" : size % 4 == 1 ?
	    "[2001:db8::7]:514" : size % 4 == 2 ? "" : "local");
	if (size % 7 == 0)
		ev->flags |= EVENT_F_TRUNCATED;
	total = sizeof(*ev) + ev->data_cap;
	if ((copy = malloc(total)) == NULL)
		abort();
	memcpy(copy, ev, total);

	r = syslog_parse_3164(ev, &o);
	if (r == 0)
		check_event(ev);
	else if (memcmp(copy, ev, total) != 0)
		abort();	/* rejected, yet changed */

	memcpy(ev, copy, total);
	if (syslog_parse(ev, &o) != 0)
		abort();
	check_event(ev);
	if ((ev->flags & EVENT_F_TRUNCATED) !=
	    (copy->flags & EVENT_F_TRUNCATED))
		abort();
	free(copy);
	event_free(ev);
	return 0;
}
