/*
 * config-value.c - the text forms of setting values: sizes ("64MiB",
 * "10 MB"), durations ("50ms", "1h30m"), plain whole numbers and time
 * zones ("local", "UTC", "+09:00"); and back again, a size or duration
 * with its largest whole unit and any value quoted safely, for messages.
 *
 * The values come from the configuration file and the command line: short
 * strings read once at start-up.  Every parser tells a value that is not
 * a number of the right shape (MAMORI_EINVAL) from one that overflows
 * (MAMORI_ETOOBIG), so that a message can say which.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/config-impl.h"
#include "core/error.h"
#include "core/timeutil.h"

#define CONFIG_MAX_SHOW		60	/* bytes of a bad value quoted back */

/*
 * Text to values.
 */

int
config_size_parse(const char *s, uint64_t *out)
{
	static const struct {
		const char	*unit;
		uint64_t	 mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "KB", 1000ULL }, { "KiB", KIB },
		{ "MB", 1000000ULL }, { "MiB", MIB },
		{ "GB", 1000000000ULL }, { "GiB", GIB },
		{ "TB", 1000000000000ULL }, { "TiB", TIB },
	};
	const char *p;
	uint64_t v = 0, d;
	size_t i;
	int overflow = 0;

	*out = 0;
	if (s == NULL || !isdigit((unsigned char)*s))
		return MAMORI_EINVAL;
	for (p = s; isdigit((unsigned char)*p); p++) {
		d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			v = v * 10 + d;
	}
	if (*p == ' ' && p[1] != '\0')	/* "64 MiB" reads naturally too */
		p++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(p, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return MAMORI_EINVAL;
	if (overflow || v > UINT64_MAX / units[i].mult)
		return MAMORI_ETOOBIG;
	*out = v * units[i].mult;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	return config_size_parse(s, out) == 0 ? 0 : MAMORI_EINVAL;
}

int
config_duration_parse(const char *s, int64_t *out)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} units[] = {	/* "ms" before "m" */
		{ "ms", NS_PER_MS }, { "s", NS_PER_SEC },
		{ "m", 60 * NS_PER_SEC }, { "h", 3600 * NS_PER_SEC },
		{ "d", 86400 * NS_PER_SEC }, { "w", 7 * 86400 * NS_PER_SEC },
	};
	const char *p = s, *start;
	int64_t total = 0, v, d;
	size_t i, ulen;
	int overflow = 0;

	*out = 0;
	if (s == NULL || *s == '\0')
		return MAMORI_EINVAL;
	/* One or more <number><unit> groups ("1h30m"); a lone number is
	 * seconds. */
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return MAMORI_EINVAL;
		start = p;
		for (v = 0; isdigit((unsigned char)*p); p++) {
			d = *p - '0';
			if (v > (INT64_MAX - d) / 10)
				overflow = 1;
			else
				v = v * 10 + d;
		}
		if (*p == '\0' && start == s) {
			i = 1;		/* plain number: seconds */
			ulen = 0;
		} else {
			for (i = 0; i < sizeof(units) / sizeof(units[0]);
			    i++) {
				ulen = strlen(units[i].unit);
				if (strncmp(p, units[i].unit, ulen) == 0)
					break;
			}
			if (i == sizeof(units) / sizeof(units[0]))
				return MAMORI_EINVAL;
		}
		if (v > INT64_MAX / units[i].mult)
			overflow = 1;
		else {
			v *= units[i].mult;
			if (total > INT64_MAX - v)
				overflow = 1;
			else
				total += v;
		}
		p += ulen;
	}
	if (overflow)
		return MAMORI_ETOOBIG;
	*out = total;
	return 0;
}

int
config_parse_duration(const char *s, int64_t *out)
{
	return config_duration_parse(s, out) == 0 ? 0 : MAMORI_EINVAL;
}

int
config_parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0, d;
	int overflow = 0;

	*out = 0;
	if (*s == '\0')
		return MAMORI_EINVAL;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return MAMORI_EINVAL;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			v = v * 10 + d;
	}
	if (overflow)
		return MAMORI_ETOOBIG;
	*out = v;
	return 0;
}

/* Two decimal digits at s, or -1. */
static int
two_digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int
config_parse_zone(const char *s, int *local, int *minutes)
{
	size_t len = strlen(s);
	int h, m;

	*local = 0;
	*minutes = 0;
	if (strcasecmp(s, "local") == 0) {
		*local = 1;
		return 0;
	}
	if (strcasecmp(s, "UTC") == 0 || strcmp(s, "Z") == 0)
		return 0;
	if ((s[0] != '+' && s[0] != '-') || (len != 6 && len != 5) ||
	    (len == 6 && s[3] != ':'))
		return MAMORI_EINVAL;
	h = two_digits(s + 1);
	m = two_digits(s + len - 2);
	if (h < 0 || m < 0 || m > 59 || h * 60 + m > 14 * 60)
		return MAMORI_EINVAL;
	*minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

/*
 * Values to text, for messages.
 */

const char *
config_show(const char *s, size_t len, char *buf, size_t blen)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < len && o + 8 < blen; i++) {
		if (i == CONFIG_MAX_SHOW) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, blen - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

const char *
config_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		uint64_t	 mult;
	} units[] = {
		{ "TiB", TIB }, { "GiB", GIB }, { "MiB", MIB }, { "KiB", KIB },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (v != 0 && v % units[i].mult == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(v / units[i].mult),
			    units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%lluB", (unsigned long long)v);
	return buf;
}

const char *
config_fmt_duration(int64_t ns, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		int64_t		 mult;
	} units[] = {
		{ "w", 7 * 86400 * NS_PER_SEC }, { "d", 86400 * NS_PER_SEC },
		{ "h", 3600 * NS_PER_SEC }, { "m", 60 * NS_PER_SEC },
		{ "s", NS_PER_SEC }, { "ms", NS_PER_MS },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns != 0 && ns % units[i].mult == 0) {
			snprintf(buf, len, "%lld%s",
			    (long long)(ns / units[i].mult), units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%lldns", (long long)ns);
	return buf;
}
