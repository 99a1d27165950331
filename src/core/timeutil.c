/*
 * timeutil.c - clocks and time formats (RFC 3339 out; ISO 8601 and
 * relative offsets in).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/timeutil.h"

int64_t
time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t
time_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Civil-date arithmetic after H. Hinnant's well-known derivation. */
int64_t
time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
time_format_rfc3339(int64_t ns, int tz_min, int digits, char *buf,
    size_t len)
{
	struct tm tm;
	time_t secs;
	int64_t sec, frac;
	char fracbuf[32] = "", zone[24];
	int n, i;

	sec = ns / NS_PER_SEC;
	frac = ns % NS_PER_SEC;
	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	secs = (time_t)(sec + (int64_t)tz_min * 60);
	if (gmtime_r(&secs, &tm) == NULL)
		return MAMORI_EINVAL;
	if (digits > 9)
		digits = 9;
	if (digits > 0) {
		for (i = digits; i < 9; i++)
			frac /= 10;
		snprintf(fracbuf, sizeof(fracbuf), ".%0*lld", digits,
		    (long long)(frac % NS_PER_SEC));
	}
	if (tz_min == 0)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d",
		    tz_min < 0 ? '-' : '+', (abs(tz_min) / 60) % 100,
		    abs(tz_min) % 60);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, fracbuf, zone);
	if (n < 0 || (size_t)n >= len)
		return MAMORI_ETOOBIG;
	return 0;
}

static int
getnum(const char **pp, int ndig, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < ndig; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + ndig;
	*out = v;
	return 0;
}

static int
parse_relative(const char *s, int64_t now_ns, int64_t *out)
{
	char *end;
	long long n;
	int64_t unit;

	errno = 0;
	n = strtoll(s + 1, &end, 10);
	if (errno != 0 || end == s + 1 || n < 0 || n > 100000000LL)
		return MAMORI_EINVAL;
	switch (*end) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return MAMORI_EINVAL;
	}
	if (end[1] != '\0')
		return MAMORI_EINVAL;
	*out = now_ns + (s[0] == '-' ? -1 : 1) * n * unit * NS_PER_SEC;
	return 0;
}

int
time_parse_user(const char *s, int64_t now_ns, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0, tzh, tzm;
	int64_t frac = 0, secs;
	int have_zone = 0, tz_min = 0, i;

	*out = 0;
	if (strcmp(s, "now") == 0) {
		*out = now_ns;
		return 0;
	}
	if (s[0] == '-' || s[0] == '+')
		return parse_relative(s, now_ns, out);
	if (s[0] == '@') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno != 0 || end == s + 1 || *end != '\0')
			return MAMORI_EINVAL;
		if (v <= INT64_MIN / NS_PER_SEC || v >= INT64_MAX / NS_PER_SEC)
			return MAMORI_ETOOBIG;
		*out = (int64_t)v * NS_PER_SEC;
		return 0;
	}
	if (getnum(&p, 4, &y) || *p++ != '-' || getnum(&p, 2, &mo) ||
	    *p++ != '-' || getnum(&p, 2, &d))
		return MAMORI_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return MAMORI_EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (getnum(&p, 2, &h) || *p++ != ':' || getnum(&p, 2, &mi))
			return MAMORI_EINVAL;
		if (*p == ':') {
			p++;
			if (getnum(&p, 2, &se))
				return MAMORI_EINVAL;
			if (*p == '.' || *p == ',') {
				p++;
				for (i = 0; isdigit((unsigned char)*p); i++, p++)
					if (i < 9)
						frac = frac * 10 + (*p - '0');
				if (i == 0)
					return MAMORI_EINVAL;
				for (; i < 9; i++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || se > 60)
			return MAMORI_EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		have_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;

		if (getnum(&p, 2, &tzh))
			return MAMORI_EINVAL;
		if (*p == ':')
			p++;
		if (getnum(&p, 2, &tzm))
			return MAMORI_EINVAL;
		if (tzh > 23 || tzm > 59)
			return MAMORI_EINVAL;
		have_zone = 1;
		tz_min = sign * (tzh * 60 + tzm);
	}
	if (*p != '\0')
		return MAMORI_EINVAL;
	if (have_zone) {
		secs = time_days_from_civil(y, (unsigned)mo, (unsigned)d) *
		    86400 + h * 3600 + mi * 60 + se - (int64_t)tz_min * 60;
	} else {
		struct tm tm;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			return MAMORI_EINVAL;
		secs = (int64_t)t;
	}
	/* Nanoseconds since 1970 in 64 bits reach 1677..2262. */
	if (secs <= INT64_MIN / NS_PER_SEC + 1 ||
	    secs >= INT64_MAX / NS_PER_SEC - 1)
		return MAMORI_ETOOBIG;
	*out = secs * NS_PER_SEC + frac;
	return 0;
}
