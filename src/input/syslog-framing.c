/*
 * syslog-framing.c - RFC 6587 "Transmission of Syslog Messages over TCP",
 * both framings, told apart message by message:
 *
 *   octet counting (3.4.1):   SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG
 *                             MSG-LEN = NONZERO-DIGIT *DIGIT
 *   non-transparent (3.4.2):  SYSLOG-MSG TRAILER, TRAILER LF (or NUL)
 *
 * A frame that starts with a non-zero digit run of at most
 * FRAMER_COUNT_DIGITS digits followed by SP is octet-counted; anything
 * else runs to the next LF or NUL.  Empty lines between frames, and
 * lone CRs before an LF (CRLF after an octet-counted frame), are skipped.
 *
 * Built for TCP and TLS listeners with many connections: a complete
 * message inside one feed() chunk is handed to the callback in place,
 * without a copy, and only a message split across chunks is gathered in
 * the framer's buffer, which never holds more than max_msg bytes plus a
 * count's digits.  Bytes past max_msg are dropped as they arrive, so a
 * sender cannot make the framer buffer without bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "input/syslog.h"

/* A count of more digits is taken for the start of a message. */
#define FRAMER_COUNT_DIGITS	10

enum framer_state {
	FR_START,	/* between messages */
	FR_COUNT,	/* reading MSG-LEN digits (kept in buf) */
	FR_COUNTED,	/* reading an octet-counted message */
	FR_LINE,	/* reading up to LF or NUL */
	FR_SKIP_COUNTED,	/* dropping the rest of a counted message */
	FR_SKIP_LINE,	/* dropping the rest of a line */
};

struct syslog_framer {
	enum framer_state state;
	size_t		 max_msg;
	uint64_t	 count;	/* MSG-LEN of the current frame */
	uint64_t	 skip;	/* octets still to drop (FR_SKIP_COUNTED) */
	size_t		 want;	/* octets this counted message keeps */
	size_t		 len;	/* octets in buf */
	uint8_t		*buf;	/* max_msg + FRAMER_COUNT_DIGITS */
};

struct syslog_framer *
syslog_framer_new(size_t max_msg)
{
	struct syslog_framer *f;

	/* Events hold lengths in 32 bits. */
	if (max_msg == 0 || max_msg > UINT32_MAX / 2)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->buf = malloc(max_msg + FRAMER_COUNT_DIGITS)) == NULL) {
		free(f);
		return NULL;
	}
	f->max_msg = max_msg;
	f->state = FR_START;
	return f;
}

void
syslog_framer_free(struct syslog_framer *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	free(f);
}

size_t
syslog_framer_pending(const struct syslog_framer *f)
{
	return f->len;
}

/* Returns the first LF or NUL in p[0..len), or NULL. */
static const uint8_t *
find_trailer(const uint8_t *p, size_t len)
{
	const uint8_t *lf, *nul;

	lf = memchr(p, '\n', len);
	nul = memchr(p, '\0', lf != NULL ? (size_t)(lf - p) : len);
	return nul != NULL ? nul : lf;
}

/* Delivers buf[0..n) and empties the buffer. */
static int
deliver_buf(struct syslog_framer *f, size_t n, int truncated,
    syslog_frame_cb cb, void *arg)
{
	f->len = 0;
	return cb(arg, f->buf, n, truncated);
}

/*
 * FR_LINE: takes bytes of p[0..len) up to the trailer.  Returns the
 * callback's value; *used says how many bytes were taken.
 */
static int
feed_line(struct syslog_framer *f, const uint8_t *p, size_t len,
    size_t *used, syslog_frame_cb cb, void *arg)
{
	const uint8_t *t = find_trailer(p, len);
	size_t n = t != NULL ? (size_t)(t - p) : len, room;

	/* f->len exceeds max_msg only with digits and a tiny max_msg. */
	if (f->len > f->max_msg || n > f->max_msg - f->len) {
		/* Too long: deliver max_msg octets, drop the rest. */
		*used = n;
		f->state = FR_SKIP_LINE;
		if (f->len == 0)
			return cb(arg, p, f->max_msg, 1);
		if (f->len < f->max_msg) {
			room = f->max_msg - f->len;
			memcpy(f->buf + f->len, p, room);
			f->len += room;
		}
		return deliver_buf(f, f->max_msg, 1, cb, arg);
	}
	if (t == NULL) {
		/* Unterminated: keep it for the next feed(), or finish(). */
		memcpy(f->buf + f->len, p, n);
		f->len += n;
		*used = n;
		return 0;
	}
	*used = n + 1;
	f->state = FR_START;
	if (f->len == 0) {
		/* An empty line, or the CR of a CRLF after a frame. */
		if (n == 0 || (n == 1 && p[0] == '\r'))
			return 0;
		return cb(arg, p, n, 0);
	}
	if (f->len == 1 && n == 0 && f->buf[0] == '\r') {
		f->len = 0;
		return 0;
	}
	memcpy(f->buf + f->len, p, n);
	return deliver_buf(f, f->len + n, 0, cb, arg);
}

/* FR_COUNTED: takes up to the rest of the message from p[0..len). */
static int
feed_counted(struct syslog_framer *f, const uint8_t *p, size_t len,
    size_t *used, syslog_frame_cb cb, void *arg)
{
	size_t need = f->want - f->len;
	int truncated = f->count > f->want;

	if (len < need) {
		memcpy(f->buf + f->len, p, len);
		f->len += len;
		*used = len;
		return 0;
	}
	*used = need;
	if (truncated) {
		f->skip = f->count - f->want;
		f->state = FR_SKIP_COUNTED;
	} else
		f->state = FR_START;
	if (f->len == 0)
		return cb(arg, p, need, truncated);
	memcpy(f->buf + f->len, p, need);
	return deliver_buf(f, f->want, truncated, cb, arg);
}

int
syslog_framer_feed(struct syslog_framer *f, const uint8_t *p, size_t len,
    syslog_frame_cb cb, void *arg)
{
	const uint8_t *t;
	size_t used;
	int r = 0;

	while (len > 0 && r == 0) {
		used = 0;
		switch (f->state) {
		case FR_START:
			if (p[0] >= '1' && p[0] <= '9') {
				f->state = FR_COUNT;
				f->count = 0;
			} else
				f->state = FR_LINE;
			break;
		case FR_COUNT:
			if (p[0] >= '0' && p[0] <= '9' &&
			    f->len < FRAMER_COUNT_DIGITS) {
				f->count = f->count * 10 + (p[0] - '0');
				f->buf[f->len++] = p[0];
				used = 1;
			} else if (p[0] == ' ') {
				/* MSG-LEN SP: octet counting. */
				used = 1;
				f->len = 0;
				f->want = f->count < f->max_msg ?
				    (size_t)f->count : f->max_msg;
				f->state = FR_COUNTED;
			} else {
				/* Digits that start a message. */
				f->state = FR_LINE;
			}
			break;
		case FR_COUNTED:
			r = feed_counted(f, p, len, &used, cb, arg);
			break;
		case FR_LINE:
			r = feed_line(f, p, len, &used, cb, arg);
			break;
		case FR_SKIP_COUNTED:
			used = f->skip < len ? (size_t)f->skip : len;
			f->skip -= used;
			if (f->skip == 0)
				f->state = FR_START;
			break;
		case FR_SKIP_LINE:
			if ((t = find_trailer(p, len)) != NULL) {
				used = (size_t)(t - p) + 1;
				f->state = FR_START;
			} else
				used = len;
			break;
		}
		p += used;
		len -= used;
	}
	return r;
}

int
syslog_framer_finish(struct syslog_framer *f, syslog_frame_cb cb, void *arg)
{
	enum framer_state state = f->state;
	size_t n = f->len;

	f->state = FR_START;
	f->len = 0;
	switch (state) {
	case FR_COUNT:
	case FR_LINE:
		/* An unterminated last line, or digits alone. */
		if (n == 0)
			return 0;
		if (n > f->max_msg)
			return cb(arg, f->buf, f->max_msg, 1);
		return cb(arg, f->buf, n, 0);
	case FR_COUNTED:
		/* The stream ended inside the message: it is cut short.
		 * A count with nothing after it leaves nothing to keep. */
		if (n == 0)
			return 0;
		return cb(arg, f->buf, n, 1);
	default:
		return 0;
	}
}
