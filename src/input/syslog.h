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
 * the receive time's year unless that puts it more than 31 days ahead, so
 * "Dec 31" received on Jan 1 is last year's, or it falls within a day
 * ahead in the next year) and ev->src should be (the host when the message
 * names none).  Content never makes this fail: what is neither RFC 5424 nor
 * RFC 3164 becomes EVENT_FMT_UNPARSED with msg covering everything.
 * Trailing CR/LF/NUL are left out of msg.  Returns 0, or MAMORI_ETOOBIG if
 * ev lacks SYSLOG_PARSE_EXTRA bytes of spare room.
 */
int syslog_parse(struct event *ev, const struct syslog_parse_opts *o);

/* Call after tzset() with a different zone: local times are converted with
 * a per-thread cache of the zone's offset, which this empties. */
void syslog_tz_changed(void);

/* The two parsers behind syslog_parse(); each returns 0 when the message is
 * in its format (fields filled) or MAMORI_EINVAL when not (ev unchanged).
 * Like syslog_parse(), they keep EVENT_F_TRUNCATED if the caller set it and
 * take the host from ev->src when the message names none, if ev has the
 * room (SYSLOG_PARSE_EXTRA).  o may be NULL for the defaults. */
int syslog_parse_5424(struct event *ev);
int syslog_parse_3164(struct event *ev, const struct syslog_parse_opts *o);

/* RFC 5424 field limits (section 6), in octets. */
#define SYSLOG_HOSTNAME_MAX	255
#define SYSLOG_APPNAME_MAX	48
#define SYSLOG_PROCID_MAX	128
#define SYSLOG_MSGID_MAX	32
#define SYSLOG_SDNAME_MAX	32	/* SD-ID and PARAM-NAME */
/* Longest RFC 3164 TAG taken as the app name; the RFC says 32, real
 * senders ("systemd-networkd-wait-online", "sshd(pam_unix)") go beyond. */
#define SYSLOG_TAG_MAX		128

/*
 * Helpers the syslog parsers share (syslog-parse.c); other modules have
 * no use for them.
 */

/* Parses "<PRI>" at p[0..len): 1-3 digits, 0..191, no leading zero but in
 * "<0>".  Returns 0 and sets *pri and *used (bytes taken), or
 * MAMORI_EINVAL. */
int syslog_pri_parse(const uint8_t *p, size_t len, int *pri, size_t *used);

/* Returns len less any trailing CR, LF and NUL bytes of p[0..len). */
size_t syslog_trim_end(const uint8_t *p, size_t len);

/* An RFC 3339 timestamp as found by syslog_rfc3339_parse(). */
struct syslog_ts {
	int64_t	ns;		/* UTC, valid if in_range */
	int	in_range;	/* 0: well formed but beyond int64 ns */
	int	has_zone;	/* "Z" or an offset was given */
	int	tz_min;		/* the offset, minutes east of UTC */
	int	year, mon, mday, hour, min, sec;	/* as written */
	long	nsec;		/* fraction as written, in ns */
};

/*
 * Parses an RFC 3339 timestamp (RFC 5424 section 6.2.3) at p[0..len):
 * "2026-11-28T13:37:02.123456+01:00", up to 9 fraction digits, second 60
 * accepted (a leap second), "T" and "Z" in either case.  A missing zone is
 * accepted only if zone_optional (then has_zone is 0 and ns is computed as
 * if UTC).  Returns 0 and sets *ts and *used, or MAMORI_EINVAL.
 */
int syslog_rfc3339_parse(const uint8_t *p, size_t len, int zone_optional,
    struct syslog_ts *ts, size_t *used);

/* Days in month mon (1..12) of year y (proleptic Gregorian). */
int syslog_days_in_month(int y, int mon);

/* Sets ev->host to the address in ev->src without port or brackets
 * ("[2001:db8::1]:514" gives "2001:db8::1").  Returns 0, MAMORI_ENOTFOUND
 * if src is empty, or MAMORI_ETOOBIG if ev lacks the room. */
int syslog_host_from_src(struct event *ev);

/*
 * RFC 6587 framing for stream transports (TCP, TLS).  Each message is told
 * apart on its own: a message that starts with a digit run followed by a
 * space is octet-counted, anything else runs to the next LF (non-
 * transparent framing; a NUL is also accepted as trailer, as some senders
 * use it).  A message longer than max_msg is cut to max_msg bytes and
 * reported truncated; the rest of it is discarded, not taken for a new
 * message.  Empty lines (nothing, or only a CR, before the LF) are
 * skipped.  The framer buffers at most max_msg bytes plus a count's
 * digits; a message complete within one feed() is passed on in place.
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
