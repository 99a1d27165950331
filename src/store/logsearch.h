/*
 * logsearch.h - finding and showing stored events: the filter behind
 * `mamori logs search` (and the console's search), a terminal-safe text
 * line, and a JSON object per event.
 */
#ifndef MAMORI_LOGSEARCH_H
#define MAMORI_LOGSEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/event.h"

/*
 * What to look for.  Every condition set must hold.  Times compare with
 * the event time: the message's own timestamp when it has one
 * (EVENT_F_HAS_TS), else the receive time (logsearch_event_time()).
 */
struct logsearch_query {
	int64_t		 since_ns;	/* INT64_MIN: no lower bound */
	int64_t		 until_ns;	/* INT64_MAX: no upper bound */
	const char	*host;		/* exact, ASCII case-insensitive;
					   NULL: any */
	const char	*app;		/* exact; NULL: any */
	int		 severity;	/* this or more severe (0..7), so
					   4 matches warning..emerg; -1: any */
	const char	*pattern;	/* in the message; NULL: any */
	int		 regex;		/* pattern is a PCRE2 regular
					   expression matched against bytes
					   ('.' is any byte, so bytes that are
					   not UTF-8 cannot hide a line), else
					   a plain substring; both
					   case-sensitive */
};

/* Sets q to match everything. */
void logsearch_query_init(struct logsearch_query *q);

struct logsearch;

/*
 * Compiles q (its strings are copied; q may go).  Returns the search, or
 * NULL with a message in err: for a bad regular expression, "bad regular
 * expression at offset N: reason".  Caller frees with logsearch_free().
 */
struct logsearch *logsearch_compile(const struct logsearch_query *q,
    char *err, size_t errlen);

/*
 * Returns 1 when ev matches, else 0.  The message is ev's msg field; for
 * an event that no parser understood (EVENT_FMT_UNPARSED) with an empty
 * msg, its whole raw bytes.  Uses scratch space inside s: one thread at a
 * time per struct logsearch.  Allocates nothing.
 */
int logsearch_match(struct logsearch *s, const struct event *ev);

/* Frees s; NULL is a no-op. */
void logsearch_free(struct logsearch *s);

/* The time a search compares and shows: ts_ns when the message carries
 * one, else recv_ns. */
int64_t logsearch_event_time(const struct event *ev);

/*
 * Writes one line for ev to f:
 *
 *   <time RFC 3339, µs> <host> <app>[<procid>]: <message>\n
 *
 * The time is the message's timestamp in the sender's offset when it has
 * one, else the receive time in UTC; an absent host or app shows as "-",
 * an absent procid drops the brackets.  Every field passes through
 * logsearch_vis(), so no byte from a sender can drive the terminal.
 * Returns 0, or MAMORI_EIO when f fails.
 */
int logsearch_print_text(FILE *f, const struct event *ev);

/*
 * Escapes src[0..len) for a terminal, after syslogd's vis(3): "\\" for a
 * backslash, "\n", "\r", "\t", and "\ooo" (three octal digits) for any
 * other control byte (ESC is "\033"), DEL, and every byte that is not part
 * of a well-formed UTF-8 sequence.  Well-formed UTF-8 passes unchanged,
 * except the C1 controls (U+0080..U+009F, which some terminals obey) and
 * the invisible direction controls (U+061C, U+200E/F, U+202A..U+202E,
 * U+2066..U+2069) and line separators (U+2028/9), whose bytes are
 * escaped as "\ooo".  dst must hold 4 * len + 1 bytes; the result is
 * NUL-terminated and its length returned.
 */
size_t logsearch_vis(char *dst, const uint8_t *src, size_t len);

/*
 * Returns ev as a new JSON object (caller releases with json_decref()),
 * or NULL when out of memory:
 *
 *   seq, received (RFC 3339 UTC, µs), timestamp (RFC 3339 in the sender's
 *   offset, µs; null without one), source (sender address), listener,
 *   facility, severity (names; null when absent), host, app, procid,
 *   msgid, structured_data (the SD text as sent; null when absent), sd
 *   (parsed: {SD-ID: {PARAM: value or [values...]}}; null when absent or
 *   malformed, with sd_error then saying why), message, raw, raw_b64,
 *   format ("rfc5424", "rfc3164", "unparsed", "internal"), flags (names:
 *   "has_ts", "truncated", ...).
 *
 * JSON strings must be UTF-8: every text field has each byte that is not
 * well-formed UTF-8 replaced by U+FFFD.  That loses bytes, so when the raw
 * message is not well-formed UTF-8, raw_b64 carries it exactly (base64);
 * it is absent otherwise.
 */
json_t *logsearch_event_json(const struct event *ev);

/* Returns p[0..len) as a new JSON string, each byte that is not part of
 * well-formed UTF-8 replaced by U+FFFD; NULL when out of memory. */
json_t *logsearch_utf8_json(const uint8_t *p, size_t len);

/*
 * RFC 5424 STRUCTURED-DATA.  logsearch_sd_parse() calls cb once per
 * SD-ELEMENT with name NULL, then once per SD-PARAM with its value
 * unescaped ('\"', '\\' and '\]' lose their backslash; a backslash before
 * anything else stays).  A non-zero return from cb stops the parse and is
 * returned.  The NILVALUE "-" and an empty input hold no element.
 * Returns 0, MAMORI_EINVAL with "offset N: reason" in err for malformed
 * input (what was reported before stays reported), or MAMORI_ENOMEM.
 */
typedef int (*logsearch_sd_cb)(void *arg, const char *id, size_t idlen,
    const char *name, size_t namelen, const char *value, size_t vlen);

int logsearch_sd_parse(const uint8_t *p, size_t len, logsearch_sd_cb cb,
    void *arg, char *err, size_t errlen);

/* The same as a JSON object {SD-ID: {PARAM: value or [values...]}}
 * (repeated SD-IDs merge; a repeated PARAM becomes an array in order).
 * Returns NULL with err set when malformed or out of memory. */
json_t *logsearch_sd_json(const uint8_t *p, size_t len, char *err,
    size_t errlen);

#endif
