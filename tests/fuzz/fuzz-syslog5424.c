/*
 * fuzz-syslog5424.c - libFuzzer harness for the RFC 5424 parser
 * (syslog_parse_5424()) and the syslog_parse() dispatch in front of it.
 *
 * The input is one message as a listener would hand it over.  Besides
 * what ASan and UBSan catch, it checks that every field lies inside the
 * event's data, that a rejected message leaves the event as it was, and
 * that what was parsed obeys RFC 5424's field limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "input/syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const struct event *ev, const struct event_field *f,
    size_t limit, int from_raw)
{
	if ((uint64_t)f->off + f->len > ev->data_len)
		abort();
	if (from_raw && (uint64_t)f->off + f->len > ev->raw_len)
		abort();
	if (f->len > limit)
		abort();
}

static void
check_event(const struct event *ev)
{
	const uint8_t *m;

	if (ev->facility < -1 || ev->facility > 23 || ev->severity < -1 ||
	    ev->severity > 7)
		abort();
	check_field(ev, &ev->host, ev->flags & EVENT_F_HOST_FROM_SRC ?
	    EVENT_SRC_MAX : SYSLOG_HOSTNAME_MAX,
	    !(ev->flags & EVENT_F_HOST_FROM_SRC));
	check_field(ev, &ev->msg, ev->raw_len, 1);
	m = ev->data + ev->msg.off;
	if (ev->msg.len > 0 && (m[ev->msg.len - 1] == '\n' ||
	    m[ev->msg.len - 1] == '\r' || m[ev->msg.len - 1] == '\0'))
		abort();
	if (ev->format != EVENT_FMT_5424)
		return;
	check_field(ev, &ev->app, SYSLOG_APPNAME_MAX, 1);
	check_field(ev, &ev->procid, SYSLOG_PROCID_MAX, 1);
	check_field(ev, &ev->msgid, SYSLOG_MSGID_MAX, 1);
	check_field(ev, &ev->sd, ev->raw_len, 1);
	if (ev->sd.len > 0 && ev->data[ev->sd.off] != '[')
		abort();
	if ((ev->flags & EVENT_F_BAD_UTF8) && !(ev->flags & EVENT_F_BOM))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event *ev, *copy;
	int r;

	if ((ev = event_new(data, size, SYSLOG_PARSE_EXTRA)) == NULL)
		return 0;
	ev->recv_ns = 1795867200LL * 1000000000LL;
	snprintf(ev->src, sizeof(ev->src), "[2001:db8::7]:514");
	if ((copy = malloc(sizeof(*ev) + ev->data_cap)) == NULL)
		abort();
	memcpy(copy, ev, sizeof(*ev) + ev->data_cap);

	/* A truncation mark changes what is accepted; take it from the
	 * input's length so both ways get exercised. */
	if (size % 3 == 0) {
		ev->flags |= EVENT_F_TRUNCATED;
		copy->flags |= EVENT_F_TRUNCATED;
	}
	r = syslog_parse_5424(ev);
	if (r == 0)
		check_event(ev);
	else if (memcmp(copy, ev, sizeof(*ev) + ev->data_cap) != 0)
		abort();	/* rejected, yet changed */

	memcpy(ev, copy, sizeof(*ev) + copy->data_cap);
	if (syslog_parse(ev, NULL) != 0)
		abort();
	check_event(ev);
	if (r == 0 && ev->format != EVENT_FMT_5424)
		abort();
	if ((ev->flags & EVENT_F_TRUNCATED) !=
	    (copy->flags & EVENT_F_TRUNCATED))
		abort();
	free(copy);
	event_free(ev);
	return 0;
}
