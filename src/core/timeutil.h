/*
 * timeutil.h - clocks, and the time formats users type and read.
 */
#ifndef MAMORI_TIMEUTIL_H
#define MAMORI_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC	1000000000LL

/* Returns the wall-clock time in ns since the epoch (CLOCK_REALTIME). */
int64_t time_now_ns(void);
/* Returns a monotonic time in ns (CLOCK_MONOTONIC), for intervals. */
int64_t time_mono_ns(void);

/*
 * Formats ns (UTC) as RFC 3339 in the zone tz_min minutes east of UTC, with
 * digits (0..9) fractional digits: "2026-11-28T13:37:02.123456+09:00", "Z"
 * for UTC.  Returns 0, or MAMORI_ETOOBIG if buf is too small (40 bytes is
 * always enough).
 */
int time_format_rfc3339(int64_t ns, int tz_min, int digits, char *buf,
    size_t len);

/*
 * Parses a time a person typed, relative to now_ns: ISO 8601 / RFC 3339
 * ("2026-11-28", "2026-11-28T13:00", "2026-11-28 13:00:05Z",
 * "...+09:00"; local time when no zone is given), a relative offset
 * ("-1h", "-7d", "-30m", "-90s", "-2w"), "now", or seconds since the epoch
 * prefixed with '@'.  Returns 0 and sets *out, MAMORI_EINVAL, or
 * MAMORI_ETOOBIG for a time outside 1678..2261 (64-bit nanoseconds).
 */
int time_parse_user(const char *s, int64_t now_ns, int64_t *out);

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
int64_t time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
