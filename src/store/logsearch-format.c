/*
 * logsearch-format.c - showing stored events to people and programs: a
 * text line escaped for terminals (after syslogd's vis(3)), and a JSON
 * object.
 *
 * Everything shown came from a sender and may be hostile: an escape
 * sequence in a log line must not reach the terminal of the person
 * reading it (it could retitle the window, hide lines, or on some
 * terminals type commands), and a line separator or a direction override
 * must not make one record look like two, or reorder what is shown.  So
 * the text form escapes every control byte, every byte that is not
 * well-formed UTF-8, and the few invisible code points that move text
 * around; JSON is always valid UTF-8, with the exact raw bytes in base64
 * when they are not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "store/logsearch.h"

/* Returns the length of the well-formed UTF-8 sequence at p (1..4) and
 * its code point, or 0: no overlong forms, no surrogates, nothing past
 * U+10FFFF (RFC 3629). */
static size_t
utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t v, min;
	size_t need, i;
	uint8_t c = p[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need;
}

/* Code points that are well-formed but must not reach a terminal as
 * they are. */
static int
unsafe_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||	/* C1 controls (CSI...) */
	    cp == 0x061c ||			/* arabic letter mark */
	    cp == 0x200e || cp == 0x200f ||	/* LRM, RLM */
	    (cp >= 0x202a && cp <= 0x202e) ||	/* embeddings, overrides */
	    (cp >= 0x2066 && cp <= 0x2069) ||	/* isolates */
	    cp == 0x2028 || cp == 0x2029;	/* line, paragraph sep. */
}

/* Escapes the character at p[0..n) into out (at most 4 bytes); sets
 * *used to the input bytes taken.  Returns the output length. */
static size_t
vis_unit(const uint8_t *p, size_t n, char *out, size_t *used)
{
	uint8_t c = p[0];
	uint32_t cp;
	size_t l;

	*used = 1;
	switch (c) {
	case '\\':
		out[0] = '\\';
		out[1] = '\\';
		return 2;
	case '\n':
		out[0] = '\\';
		out[1] = 'n';
		return 2;
	case '\r':
		out[0] = '\\';
		out[1] = 'r';
		return 2;
	case '\t':
		out[0] = '\\';
		out[1] = 't';
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	if (c >= 0x80 && (l = utf8_seq(p, n, &cp)) > 0 && !unsafe_cp(cp)) {
		memcpy(out, p, l);
		*used = l;
		return l;
	}
	out[0] = '\\';
	out[1] = (char)('0' + (c >> 6));
	out[2] = (char)('0' + ((c >> 3) & 7));
	out[3] = (char)('0' + (c & 7));
	return 4;
}

size_t
logsearch_vis(char *dst, const uint8_t *src, size_t len)
{
	size_t i = 0, o = 0, used;

	while (i < len) {
		o += vis_unit(src + i, len - i, dst + o, &used);
		i += used;
	}
	dst[o] = '\0';
	return o;
}

/* Writes src escaped to f through a small buffer: no allocation. */
static void
vis_write(FILE *f, const uint8_t *src, size_t len)
{
	char buf[1024];
	size_t i = 0, o = 0, used;

	while (i < len) {
		if (o > sizeof(buf) - 4) {
			fwrite(buf, 1, o, f);
			o = 0;
		}
		o += vis_unit(src + i, len - i, buf + o, &used);
		i += used;
	}
	fwrite(buf, 1, o, f);
}

static void
field_write(FILE *f, const struct event *ev, const struct event_field *fl)
{
	if (fl->len == 0)
		fputc('-', f);
	else
		vis_write(f, ev->data + fl->off, fl->len);
}

/*
 * The zone offset a time is shown in.  RFC 3339 offsets lie within
 * +-23:59 and the parsers make no other; one beyond that comes only from
 * a damaged or doctored store, and time_format_rfc3339() would print it
 * modulo 100 hours: 6000 minutes shows as "+00:00" on a time four days
 * off.  Such a time is shown in UTC, which names the right instant.
 */
static int
shown_tz(int tz_min)
{
	return tz_min >= -(23 * 60 + 59) && tz_min <= 23 * 60 + 59 ?
	    tz_min : 0;
}

/* The message as searched and shown: msg, or all of an unparsed one. */
static void
message(const struct event *ev, const uint8_t **p, size_t *len)
{
	if (ev->msg.len == 0 && ev->format == EVENT_FMT_UNPARSED) {
		*p = ev->data;
		*len = ev->raw_len;
	} else {
		*p = ev->data + ev->msg.off;
		*len = ev->msg.len;
	}
}

int
logsearch_print_text(FILE *f, const struct event *ev)
{
	const uint8_t *m;
	size_t mlen;
	char ts[48];

	if (time_format_rfc3339(logsearch_event_time(ev),
	    ev->flags & EVENT_F_HAS_TS ? shown_tz(ev->tz_min) : 0, 6, ts,
	    sizeof(ts)) != 0)
		snprintf(ts, sizeof(ts), "-");
	fputs(ts, f);
	fputc(' ', f);
	field_write(f, ev, &ev->host);
	fputc(' ', f);
	field_write(f, ev, &ev->app);
	if (ev->procid.len > 0) {
		fputc('[', f);
		vis_write(f, ev->data + ev->procid.off, ev->procid.len);
		fputc(']', f);
	}
	fputs(": ", f);
	message(ev, &m, &mlen);
	vis_write(f, m, mlen);
	fputc('\n', f);
	return ferror(f) ? MAMORI_EIO : 0;
}

/* JSON. */

static int
utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < len) {
		if ((l = utf8_seq(p + i, len - i, &cp)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

json_t *
logsearch_utf8_json(const uint8_t *p, size_t len)
{
	size_t i = 0, o = 0, l;
	uint32_t cp;
	uint8_t *fix;
	json_t *j;

	if (utf8_valid(p, len))
		return json_stringn((const char *)p, len);
	if ((fix = malloc(len * 3)) == NULL)
		return NULL;
	while (i < len) {
		if ((l = utf8_seq(p + i, len - i, &cp)) == 0) {
			memcpy(fix + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
		} else {
			memcpy(fix + o, p + i, l);
			o += l;
			i += l;
		}
	}
	j = json_stringn((const char *)fix, o);
	free(fix);
	return j;
}

static json_t *
field_json(const struct event *ev, const struct event_field *f)
{
	if (f->len == 0)
		return json_null();
	return logsearch_utf8_json(ev->data + f->off, f->len);
}

static json_t *
time_json(int64_t ns, int tz_min)
{
	char buf[48];

	if (time_format_rfc3339(ns, shown_tz(tz_min), 6, buf,
	    sizeof(buf)) != 0)
		return json_null();
	return json_string(buf);
}

static json_t *
name_json(const char *name)
{
	return name != NULL ? json_string(name) : json_null();
}

static const char *
format_name(int format)
{
	switch (format) {
	case EVENT_FMT_UNPARSED:	return "unparsed";
	case EVENT_FMT_3164:		return "rfc3164";
	case EVENT_FMT_5424:		return "rfc5424";
	case EVENT_FMT_INTERNAL:	return "internal";
	default:			return "unknown";
	}
}

static const struct {
	uint32_t	 bit;
	const char	*name;
} flag_names[] = {
	{ EVENT_F_HAS_TS, "has_ts" },
	{ EVENT_F_TS_NOYEAR, "ts_noyear" },
	{ EVENT_F_TS_NOTZ, "ts_notz" },
	{ EVENT_F_TRUNCATED, "truncated" },
	{ EVENT_F_BOM, "bom" },
	{ EVENT_F_HOST_FROM_SRC, "host_from_src" },
	{ EVENT_F_NOPRI, "nopri" },
	{ EVENT_F_KERNEL, "kernel" },
	{ EVENT_F_SEQ_PREFIX, "seq_prefix" },
	{ EVENT_F_LOCAL_SOCKET, "local_socket" },
	{ EVENT_F_BAD_UTF8, "bad_utf8" },
};

static json_t *
flags_json(uint32_t flags)
{
	json_t *a;
	uint32_t known = 0;
	size_t i;
	char hex[16];

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		known |= flag_names[i].bit;
		if ((flags & flag_names[i].bit) &&
		    json_array_append_new(a, json_string(flag_names[i].name)))
			goto fail;
	}
	if (flags & ~known) {
		snprintf(hex, sizeof(hex), "0x%x", flags & ~known);
		if (json_array_append_new(a, json_string(hex)) != 0)
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *
base64_json(const uint8_t *p, size_t len)
{
	unsigned char *out;
	json_t *j;
	int n;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = EVP_EncodeBlock(out, p, (int)len);
	j = json_stringn((const char *)out, (size_t)n);
	free(out);
	return j;
}

json_t *
logsearch_event_json(const struct event *ev)
{
	json_t *o, *sd = NULL;
	const uint8_t *m;
	size_t mlen;
	char err[128];
	int bad = 0;

	if ((o = json_object()) == NULL)
		return NULL;
#define SET(k, v)	do {						\
	if (json_object_set_new(o, (k), (v)) != 0)			\
		bad = 1;						\
} while (0)
	SET("seq", json_integer((json_int_t)ev->seq));
	SET("received", time_json(ev->recv_ns, 0));
	SET("timestamp", ev->flags & EVENT_F_HAS_TS ?
	    time_json(ev->ts_ns, ev->tz_min) : json_null());
	SET("source", logsearch_utf8_json((const uint8_t *)ev->src,
	    strnlen(ev->src, sizeof(ev->src))));
	SET("listener", json_integer(ev->listener));
	SET("facility", name_json(event_facility_name(ev->facility)));
	SET("severity", name_json(event_severity_name(ev->severity)));
	SET("host", field_json(ev, &ev->host));
	SET("app", field_json(ev, &ev->app));
	SET("procid", field_json(ev, &ev->procid));
	SET("msgid", field_json(ev, &ev->msgid));
	SET("structured_data", field_json(ev, &ev->sd));
	if (ev->sd.len > 0 && (sd = logsearch_sd_json(ev->data + ev->sd.off,
	    ev->sd.len, err, sizeof(err))) == NULL) {
		SET("sd", json_null());
		SET("sd_error", json_string(err));
	} else
		SET("sd", sd != NULL ? sd : json_null());
	message(ev, &m, &mlen);
	SET("message", logsearch_utf8_json(m, mlen));
	SET("raw", logsearch_utf8_json(ev->data, ev->raw_len));
	if (!utf8_valid(ev->data, ev->raw_len))
		SET("raw_b64", base64_json(ev->data, ev->raw_len));
	SET("format", json_string(format_name(ev->format)));
	SET("flags", flags_json(ev->flags));
#undef SET
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
