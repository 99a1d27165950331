/*
 * rules-event.c - a received syslog event as the line OSSEC/Wazuh
 * decoders expect: "Mmm dd hh:mm:ss host program[pid]: message".
 *
 * The server's listeners parse RFC 5424 and RFC 3164 (with their <PRI>
 * and all their variants); the rules engine's pre-decoder, like OSSEC's,
 * reads the BSD header without PRI.  Rebuilding the header from the
 * parsed fields gives every source the one shape the rulesets were
 * written for.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "core/timeutil.h"
#include "rules/rules.h"

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* What OSSEC's pre-decoding takes in a host name (rules-predecode.c). */
static int
host_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '/' || c == '@' || c == '(' || c == ')';
}

size_t
rules_event_line(const struct event *ev, char *buf, size_t len)
{
	const char *msg = event_str(ev, &ev->msg);
	size_t msglen = ev->msg.len, n = 0;
	int64_t t;
	time_t secs;
	struct tm tm;
	int w;

	if (len == 0)
		return 0;
	if (ev->format == EVENT_FMT_UNPARSED) {
		n = ev->msg.len < len - 1 ? ev->msg.len : len - 1;
		memcpy(buf, msg, n);
		buf[n] = '\0';
		return n;
	}
	/* The sender's own clock and zone when it gave them. */
	if (ev->flags & EVENT_F_HAS_TS) {
		t = ev->ts_ns + (int64_t)ev->tz_min * 60 * NS_PER_SEC;
		secs = (time_t)(t / NS_PER_SEC);
		gmtime_r(&secs, &tm);
	} else {
		secs = (time_t)(ev->recv_ns / NS_PER_SEC);
		localtime_r(&secs, &tm);
	}
	w = snprintf(buf, len, "%s %2d %02d:%02d:%02d ",
	    months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if (w < 0 || (size_t)w >= len)
		return len - 1;
	n = (size_t)w;
	{
		const char *h;
		size_t hl, i;

		if (ev->host.len > 0) {
			h = event_str(ev, &ev->host);
			hl = ev->host.len;
		} else
			h = event_src_addr(ev->src, &hl);
		/* The host as OSSEC's pre-decoding reads one: a sender
		 * must not hide its lines from the program's decoders by
		 * naming itself "a<b" (or by an IPv6 address's colons). */
		if (hl >= len - n)
			return len - 1;
		for (i = 0; i < hl; i++)
			buf[n + i] = host_char((unsigned char)h[i]) ? h[i] :
			    '_';
		n += hl;
		buf[n++] = ' ';
		buf[n] = '\0';
	}
	if (ev->app.len > 0) {
		if (ev->procid.len > 0)
			w = snprintf(buf + n, len - n, "%.*s[%.*s]: ",
			    (int)ev->app.len, event_str(ev, &ev->app),
			    (int)ev->procid.len, event_str(ev, &ev->procid));
		else
			w = snprintf(buf + n, len - n, "%.*s: ",
			    (int)ev->app.len, event_str(ev, &ev->app));
		if (w < 0 || (size_t)w >= len - n)
			return len - 1;
		n += (size_t)w;
	}
	if (msglen == 0 && ev->sd.len > 0) {
		msg = event_str(ev, &ev->sd);
		msglen = ev->sd.len;
	}
	if (msglen > len - n - 1)
		msglen = len - n - 1;
	memcpy(buf + n, msg, msglen);
	n += msglen;
	buf[n] = '\0';
	return n;
}
