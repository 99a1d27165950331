/*
 * syslog-5424.c - RFC 5424 "The Syslog Protocol" message parser.
 *
 *   SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]
 *   HEADER     = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP
 *                PROCID SP MSGID
 *
 * The parser follows the ABNF of section 6 strictly (field lengths,
 * PRINTUSASCII, SD-NAME syntax), with three allowances for what real
 * senders do: up to nine fraction digits in the timestamp, an unescaped
 * ']' inside a quoted PARAM-VALUE, and, for a message the framer already
 * cut at the size limit (EVENT_F_TRUNCATED), STRUCTURED-DATA or a UTF-8
 * sequence that ends early.  A message that breaks the grammar otherwise
 * is not RFC 5424, and syslog_parse() keeps it as unparsed text.
 *
 * One pass over the bytes, no allocation: every field is a slice of the
 * event's raw data.
 */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "core/event.h"
#include "input/syslog.h"

struct p5424 {
	const uint8_t	*p;
	size_t		 len;	/* message end, trailing CR/LF/NUL cut */
	size_t		 pos;
	int		 truncated;
};

/* PRINTUSASCII = %d33-126 */
static int
printusascii(uint8_t c)
{
	return c >= 33 && c <= 126;
}

/*
 * Reads a header field: NILVALUE or 1..max PRINTUSASCII, followed by SP.
 * Sets *f (len 0 for NILVALUE); returns 0 or -1.
 */
static int
header_field(struct p5424 *s, size_t max, struct event_field *f)
{
	size_t start = s->pos;

	while (s->pos < s->len && printusascii(s->p[s->pos]) &&
	    s->pos - start <= max)
		s->pos++;
	if (s->pos == start || s->pos - start > max)
		return -1;
	if (s->pos >= s->len || s->p[s->pos] != ' ')
		return -1;
	f->off = (uint32_t)start;
	f->len = (uint32_t)(s->pos - start);
	if (f->len == 1 && s->p[start] == '-')
		f->len = 0;
	s->pos++;
	return 0;
}

/*
 * SD-NAME = 1*32PRINTUSASCII except '=', SP, ']', %d34.
 * Returns 0, or -1 (invalid, or the input ended: see s->pos == s->len).
 */
static int
sd_name(struct p5424 *s)
{
	size_t start = s->pos;
	uint8_t c;

	while (s->pos < s->len && s->pos - start <= SYSLOG_SDNAME_MAX) {
		c = s->p[s->pos];
		if (!printusascii(c) || c == '=' || c == ']' || c == '"')
			break;
		s->pos++;
	}
	if (s->pos == start || s->pos - start > SYSLOG_SDNAME_MAX)
		return -1;
	return 0;
}

/*
 * STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
 * SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"
 * SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34
 * Returns 0, 1 if the input ended inside an element, or -1 if invalid.
 */
static int
structured_data(struct p5424 *s)
{
	const uint8_t *p = s->p;

	if (s->pos < s->len && p[s->pos] == '-') {
		s->pos++;
		return 0;
	}
	if (s->pos >= s->len || p[s->pos] != '[')
		return -1;
	while (s->pos < s->len && p[s->pos] == '[') {
		s->pos++;
		if (sd_name(s) != 0)
			return s->pos == s->len ? 1 : -1;
		while (s->pos < s->len && p[s->pos] == ' ') {
			s->pos++;
			if (sd_name(s) != 0)
				return s->pos == s->len ? 1 : -1;
			if (s->pos >= s->len)
				return 1;
			if (p[s->pos++] != '=')
				return -1;
			if (s->pos >= s->len)
				return 1;
			if (p[s->pos++] != '"')
				return -1;
			/* PARAM-VALUE: '"', '\' and ']' come escaped with
			 * '\'; a '\' before any other byte stands for
			 * itself (section 6.3.3), so skipping the byte after
			 * every '\' is right either way. */
			for (;;) {
				if (s->pos >= s->len)
					return 1;
				if (p[s->pos] == '"')
					break;
				if (p[s->pos] == '\\' && ++s->pos >= s->len)
					return 1;	/* ends after '\' */
				s->pos++;
			}
			s->pos++;
		}
		if (s->pos >= s->len)
			return 1;
		if (p[s->pos++] != ']')
			return -1;
	}
	return 0;
}

/*
 * Returns 1 if p[0..len) is valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).  With partial_ok, a sequence cut
 * short by the end of the data is accepted.
 */
static int
utf8_valid(const uint8_t *p, size_t len, int partial_ok)
{
	size_t i = 0, n, k;
	uint8_t c, lo, hi;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len)
				return partial_ok;
			if (p[i + k] < lo || p[i + k] > hi)
				return 0;
			lo = 0x80;
			hi = 0xbf;
		}
		i += n + 1;
	}
	return 1;
}

int
syslog_parse_5424(struct event *ev)
{
	struct p5424 s;
	struct syslog_ts ts;
	struct event_field host, app, procid, msgid, sd, msg;
	uint32_t flags = 0;
	size_t used;
	int pri, r, have_ts = 0;

	s.p = ev->data;
	s.len = syslog_trim_end(ev->data, ev->raw_len);
	s.pos = 0;
	s.truncated = (ev->flags & EVENT_F_TRUNCATED) != 0;

	/* PRI VERSION SP */
	if (syslog_pri_parse(s.p, s.len, &pri, &used) != 0)
		return MAMORI_EINVAL;
	s.pos = used;
	if (s.len - s.pos < 2 || s.p[s.pos] != '1' || s.p[s.pos + 1] != ' ')
		return MAMORI_EINVAL;
	s.pos += 2;

	/* TIMESTAMP = NILVALUE / FULL-DATE "T" FULL-TIME */
	if (s.pos < s.len && s.p[s.pos] == '-')
		s.pos++;
	else {
		if (syslog_rfc3339_parse(s.p + s.pos, s.len - s.pos, 0, &ts,
		    &used) != 0)
			return MAMORI_EINVAL;
		s.pos += used;
		have_ts = ts.in_range;
	}
	if (s.pos >= s.len || s.p[s.pos] != ' ')
		return MAMORI_EINVAL;
	s.pos++;

	if (header_field(&s, SYSLOG_HOSTNAME_MAX, &host) != 0 ||
	    header_field(&s, SYSLOG_APPNAME_MAX, &app) != 0 ||
	    header_field(&s, SYSLOG_PROCID_MAX, &procid) != 0 ||
	    header_field(&s, SYSLOG_MSGID_MAX, &msgid) != 0)
		return MAMORI_EINVAL;

	sd.off = (uint32_t)s.pos;
	r = structured_data(&s);
	if (r < 0 || (r > 0 && !s.truncated))
		return MAMORI_EINVAL;
	sd.len = (uint32_t)(s.pos - sd.off);
	if (sd.len == 1 && s.p[sd.off] == '-')
		sd.len = 0;

	/* [SP MSG] */
	msg.off = (uint32_t)s.pos;
	msg.len = 0;
	if (s.pos < s.len) {
		if (s.p[s.pos] != ' ')
			return MAMORI_EINVAL;
		s.pos++;
		if (s.len - s.pos >= 3 && s.p[s.pos] == 0xef &&
		    s.p[s.pos + 1] == 0xbb && s.p[s.pos + 2] == 0xbf) {
			flags |= EVENT_F_BOM;
			s.pos += 3;
			if (!utf8_valid(s.p + s.pos, s.len - s.pos,
			    s.truncated))
				flags |= EVENT_F_BAD_UTF8;
		}
		msg.off = (uint32_t)s.pos;
		msg.len = (uint32_t)(s.len - s.pos);
	}

	/* It is RFC 5424: from here on, only commit. */
	ev->format = EVENT_FMT_5424;
	ev->facility = (int8_t)(pri >> 3);
	ev->severity = (int8_t)(pri & 7);
	if (have_ts) {
		flags |= EVENT_F_HAS_TS;
		ev->ts_ns = ts.ns;
		ev->tz_min = (int16_t)ts.tz_min;
	} else {
		ev->ts_ns = 0;
		ev->tz_min = 0;
	}
	ev->flags = (ev->flags & EVENT_F_TRUNCATED) | flags;
	ev->host = host;
	ev->app = app;
	ev->procid = procid;
	ev->msgid = msgid;
	ev->sd = sd;
	ev->msg = msg;
	if (host.len == 0 && syslog_host_from_src(ev) == 0)
		ev->flags |= EVENT_F_HOST_FROM_SRC;
	return 0;
}
