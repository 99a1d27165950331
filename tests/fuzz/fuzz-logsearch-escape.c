/*
 * fuzz-logsearch-escape.c - libFuzzer harness for how search output shows
 * a sender's bytes: logsearch_vis(), logsearch_print_text(),
 * logsearch_utf8_json() and logsearch_event_json().
 *
 * Input: a 24-byte header, then the event's data.  The header gives
 * format, flags, facility, severity, the two times' zone and sign, how
 * much of the data is raw (the rest being derived strings), and each of
 * the six fields as a slice of the data; a shorter input is all data with
 * every field empty.  Checked:
 *
 *   - logsearch_vis() of the whole data has no byte below 0x20, no DEL
 *     (so no ESC), is well-formed UTF-8 holding none of the code points
 *     logsearch.h promises to escape, fits 4 * len, and unescapes back
 *     to exactly the input;
 *   - the text line holds the same guarantees, has its only newline at
 *     the end, and ends with the escaped message;
 *   - logsearch_utf8_json() returns the bytes unchanged when they are
 *     well-formed UTF-8, else one U+FFFD per bad byte;
 *   - the JSON object dumps and parses back (jansson) to an equal object,
 *     its message is the message made UTF-8, and raw_b64 is there exactly
 *     when the raw bytes are not UTF-8 and decodes to them;
 *   - every time shown (the line's, "received", "timestamp") is RFC 3339
 *     and names the event's instant, to the microsecond, whatever its
 *     zone offset says.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/event.h"
#include "core/timeutil.h"
#include "store/logsearch.h"

#define HDR_LEN	24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An independent UTF-8 reader (RFC 3629, table 3-7 of Unicode): returns
 * the length of the well-formed sequence at p and its code point, or 0.
 */
static size_t
utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	v = p[0] & (need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07);
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	*cp = v;
	return need;
}

static int
utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if ((l = utf8_next(p + i, n - i, &cp)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* p[0..n) made UTF-8 the way logsearch.h says: U+FFFD per bad byte. */
static uint8_t *
utf8_fix(const uint8_t *p, size_t n, size_t *outlen)
{
	uint8_t *out = malloc(3 * n + 1);
	size_t i = 0, o = 0, l;
	uint32_t cp;

	if (out == NULL)
		abort();
	while (i < n) {
		if ((l = utf8_next(p + i, n - i, &cp)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, p + i, l);
			o += l;
			i += l;
		}
	}
	*outlen = o;
	return out;
}

/* What a terminal must never get: controls, DEL, C1 controls, the
 * invisible direction marks and line separators. */
static void
check_terminal_safe(const uint8_t *p, size_t n, int newline_at_end)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if ((l = utf8_next(p + i, n - i, &cp)) == 0)
			abort();	/* not UTF-8 */
		if (cp == '\n' && newline_at_end && i == n - 1)
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
		    cp == 0x2029)
			abort();
		i += l;
	}
}

/* Undoes logsearch_vis(); returns the length, or aborts on an escape
 * that is not one of its own. */
static size_t
unvis(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (p[i] != '\\') {
			out[o++] = p[i++];
			continue;
		}
		if (i + 1 >= n)
			abort();
		switch (p[i + 1]) {
		case '\\':
			out[o++] = '\\';
			i += 2;
			continue;
		case 'n':
			out[o++] = '\n';
			i += 2;
			continue;
		case 'r':
			out[o++] = '\r';
			i += 2;
			continue;
		case 't':
			out[o++] = '\t';
			i += 2;
			continue;
		}
		if (i + 3 >= n || p[i + 1] < '0' || p[i + 1] > '3' ||
		    p[i + 2] < '0' || p[i + 2] > '7' || p[i + 3] < '0' ||
		    p[i + 3] > '7')
			abort();
		out[o++] = (uint8_t)((p[i + 1] - '0') << 6 |
		    (p[i + 2] - '0') << 3 | (p[i + 3] - '0'));
		i += 4;
	}
	return o;
}

/* Escapes p[0..n) and checks the result; returns it (caller frees). */
static char *
vis_checked(const uint8_t *p, size_t n, size_t *outlen)
{
	char *dst;
	uint8_t *back;
	size_t len;

	if ((dst = malloc(4 * n + 1)) == NULL ||
	    (back = malloc(n + 1)) == NULL)
		abort();
	len = logsearch_vis(dst, p, n);
	if (len > 4 * n || dst[len] != '\0' || strlen(dst) != len)
		abort();
	check_terminal_safe((const uint8_t *)dst, len, 0);
	if (unvis((const uint8_t *)dst, len, back) != n ||
	    (n > 0 && memcmp(back, p, n) != 0))
		abort();
	free(back);
	*outlen = len;
	return dst;
}

/* Reads n digits at *p. */
static int64_t
digits(const char **p, int n)
{
	int64_t v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			abort();
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static void
expect(const char **p, char c)
{
	if (**p != c)
		abort();
	(*p)++;
}

/*
 * Checks that s[0..len) is "YYYY-MM-DDTHH:MM:SS.ffffff" and "Z" or
 * "+HH:MM" / "-HH:MM", with the offset in RFC 3339's range, and that it
 * names the instant ns (truncated to microseconds).
 */
static void
check_time(const char *s, size_t len, int64_t ns)
{
	const char *p = s, *end = s + len;
	int64_t y, mo, d, h, mi, sec, us, off = 0, t, want;

	if (len < 27)
		abort();
	y = digits(&p, 4);
	expect(&p, '-');
	mo = digits(&p, 2);
	expect(&p, '-');
	d = digits(&p, 2);
	expect(&p, 'T');
	h = digits(&p, 2);
	expect(&p, ':');
	mi = digits(&p, 2);
	expect(&p, ':');
	sec = digits(&p, 2);
	expect(&p, '.');
	us = digits(&p, 6);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		abort();
	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;

		if (end - p < 5)
			abort();
		off = digits(&p, 2) * 60;
		expect(&p, ':');
		off += digits(&p, 2);
		if (off > 23 * 60 + 59 || off == 0)
			abort();
		off *= sign;
	} else
		abort();
	if (p != end)
		abort();
	t = (time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - off * 60) * 1000000 + us;
	want = ns / 1000 - (ns % 1000 < 0);
	if (t != want)
		abort();
}

static void
message(const struct event *ev, const uint8_t **m, size_t *mlen)
{
	if (ev->msg.len == 0 && ev->format == EVENT_FMT_UNPARSED) {
		*m = ev->data;
		*mlen = ev->raw_len;
	} else {
		*m = ev->data + ev->msg.off;
		*mlen = ev->msg.len;
	}
}

static void
check_text(const struct event *ev)
{
	char *line = NULL, *vm, *sp;
	size_t len = 0, vlen, mlen;
	const uint8_t *m;
	FILE *f;

	if ((f = open_memstream(&line, &len)) == NULL)
		abort();
	if (logsearch_print_text(f, ev) != 0)
		abort();
	fclose(f);
	if (len == 0 || line[len - 1] != '\n')
		abort();
	check_terminal_safe((const uint8_t *)line, len, 1);
	if ((sp = memchr(line, ' ', len)) == NULL)
		abort();
	check_time(line, (size_t)(sp - line), logsearch_event_time(ev));
	message(ev, &m, &mlen);
	vm = vis_checked(m, mlen, &vlen);
	if (len - 1 < vlen + 2 ||
	    memcmp(line + len - 1 - vlen - 2, ": ", 2) != 0 ||
	    memcmp(line + len - 1 - vlen, vm, vlen) != 0)
		abort();
	free(vm);
	free(line);
}

/* s must be p[0..n) made UTF-8. */
static void
check_utf8_string(const json_t *s, const uint8_t *p, size_t n)
{
	uint8_t *want;
	size_t wlen;

	if (!json_is_string(s))
		abort();
	want = utf8_fix(p, n, &wlen);
	if (json_string_length(s) != wlen ||
	    memcmp(json_string_value(s), want, wlen) != 0)
		abort();
	free(want);
}

static void
check_json(const struct event *ev)
{
	json_t *o, *back, *b64, *t;
	const uint8_t *m;
	uint8_t *dec;
	size_t mlen, blen;
	const char *s;
	char *text;
	int n, pad;

	if ((o = logsearch_event_json(ev)) == NULL)
		abort();
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		abort();
	if (!utf8_ok((const uint8_t *)text, strlen(text)))
		abort();
	if ((back = json_loads(text, JSON_ALLOW_NUL, NULL)) == NULL ||
	    !json_equal(back, o))
		abort();
	t = json_object_get(o, "received");
	if (!json_is_string(t))
		abort();
	check_time(json_string_value(t), json_string_length(t), ev->recv_ns);
	t = json_object_get(o, "timestamp");
	if (!(ev->flags & EVENT_F_HAS_TS) ? !json_is_null(t) :
	    !json_is_string(t))
		abort();
	if (ev->flags & EVENT_F_HAS_TS)
		check_time(json_string_value(t), json_string_length(t),
		    ev->ts_ns);
	message(ev, &m, &mlen);
	check_utf8_string(json_object_get(o, "message"), m, mlen);
	check_utf8_string(json_object_get(o, "raw"), ev->data, ev->raw_len);
	b64 = json_object_get(o, "raw_b64");
	if ((b64 != NULL) == utf8_ok(ev->data, ev->raw_len))
		abort();
	if (b64 != NULL) {
		s = json_string_value(b64);
		blen = json_string_length(b64);
		if (s == NULL || blen % 4 != 0 ||
		    (dec = malloc(blen / 4 * 3 + 1)) == NULL)
			abort();
		n = EVP_DecodeBlock(dec, (const unsigned char *)s, (int)blen);
		pad = blen > 0 && s[blen - 1] == '=' ?
		    (blen > 1 && s[blen - 2] == '=' ? 2 : 1) : 0;
		if (n < 0 || (size_t)(n - pad) != ev->raw_len ||
		    memcmp(dec, ev->data, ev->raw_len) != 0)
			abort();
		free(dec);
	}
	if (ev->sd.len == 0 ? !json_is_null(json_object_get(o, "sd")) :
	    !json_is_object(json_object_get(o, "sd")) &&
	    !json_is_string(json_object_get(o, "sd_error")))
		abort();
	json_decref(back);
	json_decref(o);
	free(text);
}

static void
set_field(struct event_field *f, const uint8_t *h, uint32_t dlen)
{
	f->off = h[0] % (dlen + 1);
	f->len = h[1] % (dlen - f->off + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *h = data, *d = data;
	struct event *ev;
	struct event_field *fields[6];
	size_t dlen = size, vlen;
	uint64_t u;
	char *v;
	json_t *j;
	int i;

	if (size > 65536)
		return 0;
	if (size >= HDR_LEN) {
		d = data + HDR_LEN;
		dlen = size - HDR_LEN;
	}
	if ((ev = event_new(d, dlen, 0)) == NULL)
		abort();

	/* The escaping alone, over the whole data. */
	v = vis_checked(ev->data, dlen, &vlen);
	free(v);
	if ((j = logsearch_utf8_json(ev->data, dlen)) == NULL)
		abort();
	check_utf8_string(j, ev->data, dlen);
	json_decref(j);

	if (size >= HDR_LEN) {
		fields[0] = &ev->host;
		fields[1] = &ev->app;
		fields[2] = &ev->procid;
		fields[3] = &ev->msgid;
		fields[4] = &ev->sd;
		fields[5] = &ev->msg;
		for (i = 0; i < 6; i++)
			set_field(fields[i], h + 2 * i, (uint32_t)dlen);
		ev->format = h[12] % 5;		/* 4: unknown */
		ev->flags = (uint32_t)h[13] | (uint32_t)h[14] << 8;
		if (h[15] & 0x80)
			ev->flags |= 0x80000000u;	/* an unknown flag */
		ev->facility = (int8_t)h[16];
		ev->severity = (int8_t)h[17];
		ev->tz_min = (int16_t)(h[18] | h[19] << 8);
		memcpy(&ev->recv_ns, h + 4, 8);	/* any value at all */
		u = (uint64_t)ev->recv_ns ^ ((uint64_t)h[20] << 56 |
		    (uint64_t)h[21] << 32 | h[22]);
		memcpy(&ev->ts_ns, &u, 8);	/* near recv_ns, or not */
		ev->raw_len = (uint32_t)(dlen - h[23] % (dlen + 1));
		ev->seq = (uint64_t)h[0] << 40 | h[23];
		snprintf(ev->src, sizeof(ev->src), "[2001:db8::%x]:514", h[3]);
		if (h[15] & 1)
			memcpy(ev->src, d, dlen < 20 ? dlen : 20);
	}
	ev->src[sizeof(ev->src) - 1] = '\0';
	check_text(ev);
	check_json(ev);
	event_free(ev);
	return 0;
}
