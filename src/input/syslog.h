/*
 * syslog.h - syslog message parsing (RFC 5424, RFC 3164 and the variants
 * real senders emit) and stream framing (RFC 6587).
 */
#ifndef MAMORI_SYSLOG_H
#define MAMORI_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

/* Room syslog_parse() may need in an event's data area beyond its raw
 * bytes (a host name taken from the sender address). */
#define SYSLOG_PARSE_EXTRA	EVENT_SRC_MAX

struct syslog_parse_opts {
	/* Zone assumed for RFC 3164 timestamps, which carry none. */
	int	tz_local;	/* 1: the server's local zone (default) */
	int	tz_min;		/* else this many minutes east of UTC */
};

/*
 * Parses ev's raw bytes (data[0 .. raw_len)) and fills its fields, format
 * and flags.  ev->recv_ns must be set (a year-less RFC 3164 timestamp takes
 * the year that puts it nearest the receive time, so "Dec 31" received on
 * Jan 1 is last year's) and ev->src should be (the host when the message
 * names none).  Content never makes this fail: what is neither RFC 5424 nor
 * RFC 3164 becomes EVENT_FMT_UNPARSED with msg covering everything.
 * Trailing CR/LF/NUL are left out of msg.  Returns 0, or MAMORI_ETOOBIG if
 * ev lacks SYSLOG_PARSE_EXTRA bytes of spare room.
 */
int syslog_parse(struct event *ev, const struct syslog_parse_opts *o);

/* The two parsers behind syslog_parse(); each returns 0 when the message is
 * in its format (fields filled) or MAMORI_EINVAL when not (ev unchanged). */
int syslog_parse_5424(struct event *ev);
int syslog_parse_3164(struct event *ev, const struct syslog_parse_opts *o);

/*
 * RFC 6587 framing for stream transports (TCP, TLS).  Each message is told
 * apart on its own: a message that starts with a digit run followed by a
 * space is octet-counted, anything else runs to the next LF (non-
 * transparent framing; a NUL is also accepted as trailer, as some senders
 * use it).  A message longer than max_msg is cut to max_msg bytes and
 * reported truncated; the rest of it is discarded, not taken for a new
 * message.
 */
struct syslog_framer;

/* Called once per message.  msg is borrowed until the callback returns.
 * A non-zero return stops syslog_framer_feed(), which returns it. */
typedef int (*syslog_frame_cb)(void *arg, const uint8_t *msg, size_t len,
    int truncated);

/* Returns a new framer, or NULL.  Caller frees with syslog_framer_free(). */
struct syslog_framer *syslog_framer_new(size_t max_msg);
void syslog_framer_free(struct syslog_framer *f);

/* Feeds p[0..len) from the stream; calls cb for each complete message.
 * Returns 0 or the callback's non-zero value. */
int syslog_framer_feed(struct syslog_framer *f, const uint8_t *p,
    size_t len, syslog_frame_cb cb, void *arg);

/* At end of stream: delivers a pending unterminated message, if any.
 * Returns 0 or the callback's value. */
int syslog_framer_finish(struct syslog_framer *f, syslog_frame_cb cb,
    void *arg);

/* Bytes buffered in the framer (for memory accounting). */
size_t syslog_framer_pending(const struct syslog_framer *f);

#endif
