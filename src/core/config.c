/*
 * config.c - mamori's configuration: the embedded defaults, the YAML file
 * (libyaml's document API), listener URLs, and the checks that span
 * several settings.
 *
 * The file is small and read at start-up, so clarity wins over speed: it is
 * read whole into memory, loaded as one YAML document, and walked against a
 * table of known settings.  Every node keeps the line it started on, so each
 * error names FILE:LINE and the setting.  Loading fills a deep copy of the
 * configuration that replaces the caller's only once the whole file has
 * been accepted, so nothing is ever half-applied.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"

#define CONFIG_MAX_FILE		(1024 * 1024)	/* no real config is larger */
#define CONFIG_MAX_URL		1024
#define CONFIG_MAX_LISTENERS	1024
#define CONFIG_MAX_SHOW		60	/* bytes of a bad value quoted back */

#define KIB			1024ULL
#define MIB			(1024 * KIB)
#define GIB			(1024 * MIB)
#define TIB			(1024 * GIB)
#define NS_PER_MS		1000000LL

#define DEFAULT_DATA_DIR	"./mamori-data"
#define DEFAULT_KEY_ROOT	"/etc/mamori/seal.key"

/* How a setting's text becomes a value, and the type of its field. */
enum kind {
	K_STRING,	/* char *, must not be empty */
	K_PATH,		/* char *, empty or null unsets it */
	K_SIZE,		/* size_t, from "64KiB" */
	K_SIZE64,	/* uint64_t, from "64KiB" */
	K_COUNT,	/* size_t, a plain whole number */
	K_INT,		/* int, a plain whole number */
	K_DURATION,	/* int64_t ns, from "60s" */
	K_ZONE,		/* tz_local and tz_min of struct config */
	K_VERIFY,	/* enum tls_verify */
};

/*
 * One known setting.  Fields of the "tls" section are offsets into struct
 * tls_conf, so the same entries serve the top-level tls: section and each
 * listener's tls: override; all others are offsets into struct config.
 */
struct setting {
	const char	*section;
	const char	*key;
	enum kind	 kind;
	size_t		 off;
	uint64_t	 min, max;	/* sizes, counts, ints; durations in ns */
	const char	*what;		/* "a size such as 64MiB" */
};

#define CF(f)		offsetof(struct config, f)
#define TF(f)		offsetof(struct tls_conf, f)
#define WHAT_SIZE	"a size such as 64MiB"
#define WHAT_DUR	"a duration such as 60s"
#define WHAT_NUM	"a whole number"
#define WHAT_PATH	"a file path"

static const struct setting settings[] = {
	{ "server", "data_dir", K_STRING, CF(data_dir), 0, 0,
	    "a directory path" },
	{ "server", "user", K_STRING, CF(user), 0, 0, "a user name" },
	{ "server", "stats_interval", K_DURATION, CF(stats_interval_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "input", "max_message_size", K_SIZE, CF(max_message),
	    KIB, 16 * MIB, WHAT_SIZE },
	{ "input", "timezone", K_ZONE, 0, 0, 0,
	    "local, UTC or an offset such as +09:00" },
	{ "input", "clock_skew_threshold", K_DURATION, CF(skew_threshold_ns),
	    NS_PER_MS, INT64_MAX, WHAT_DUR },
	{ "input", "clock_skew_window", K_DURATION, CF(skew_window_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "input", "clock_report_interval", K_DURATION, CF(skew_report_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "pipeline", "queue_size", K_COUNT, CF(queue_events),
	    16, 16 * 1024 * 1024, WHAT_NUM },
	{ "pipeline", "queue_memory", K_SIZE, CF(queue_bytes),
	    KIB, SIZE_MAX, WHAT_SIZE },
	{ "pipeline", "workers", K_INT, CF(workers), 1, 64, WHAT_NUM },
	{ "storage", "segment_size", K_SIZE64, CF(segment_bytes),
	    4 * KIB, TIB, WHAT_SIZE },
	{ "storage", "segment_max_age", K_DURATION, CF(segment_age_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "storage", "retention", K_DURATION, CF(retention_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "storage", "retention_size", K_SIZE64, CF(retention_bytes),
	    0, UINT64_MAX, WHAT_SIZE },
	{ "storage", "fsync_interval", K_DURATION, CF(fsync_interval_ns),
	    0, INT64_MAX, WHAT_DUR },
	{ "storage", "compression_level", K_INT, CF(zstd_level), 1, 19,
	    WHAT_NUM },
	{ "storage", "seal_key", K_STRING, CF(seal_key), 0, 0, WHAT_PATH },
	{ "tls", "cert", K_PATH, TF(cert), 0, 0, WHAT_PATH },
	{ "tls", "key", K_PATH, TF(key), 0, 0, WHAT_PATH },
	{ "tls", "ca", K_PATH, TF(ca), 0, 0, WHAT_PATH },
	{ "tls", "verify_client", K_VERIFY, TF(verify_client), 0, 0,
	    "none, optional or required" },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))
/* A listener's tls: override records the settings it gives as bits. */
_Static_assert(NSETTINGS <= 32, "settings do not fit an unsigned mask");

static const char *const sections[] = {
	"server", "listeners", "input", "pipeline", "storage", "tls",
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

static const char *const listener_keys[] = { "url", "tls" };

/* State of one config_load(). */
struct load_ctx {
	const char	*path;
	yaml_document_t	*doc;
	struct config	*c;		/* the copy being filled */
	size_t		 lines[NSETTINGS]; /* line each setting was set on */
	size_t		 listeners_line;
	unsigned	*tls_set;	/* per listener: bit i = settings[i]
					   given in its tls: override */
	char		*err;
	size_t		 errlen;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Copies len bytes of s into buf for an error message: printable ASCII as
 * is, anything else as \xNN, so that a value from the file cannot send
 * escape sequences to the terminal; cut with "..." beyond CONFIG_MAX_SHOW.
 */
static const char *
show(const char *s, size_t len, char *buf, size_t blen)
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

/* Formats a byte count with the largest binary unit that divides it. */
static const char *
fmt_size(uint64_t v, char *buf, size_t len)
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

/* Formats ns with the largest unit that divides it. */
static const char *
fmt_duration(int64_t ns, char *buf, size_t len)
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

/*
 * Optimal string alignment distance (Levenshtein plus transposition of
 * neighbours), for "did you mean" hints; both strings are short.
 */
static size_t
edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[33][33], i, j, v;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* Returns the candidate within edit distance 2 of key, nearest first. */
static const char *
nearest(const char *key, size_t klen, const char *const *cand, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < n; i++) {
		d = edit_distance(key, klen, cand[i], strlen(cand[i]));
		if (d < bestd) {
			bestd = d;
			best = cand[i];
		}
	}
	return best;
}

static int
find_setting(const char *section, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) == 0 &&
		    strlen(settings[i].key) == klen &&
		    memcmp(settings[i].key, key, klen) == 0)
			return (int)i;
	return -1;
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static void
tls_release(struct tls_conf *t)
{
	free(t->cert);
	free(t->key);
	free(t->ca);
	t->cert = t->key = t->ca = NULL;
	t->verify_client = TLS_VERIFY_NONE;
}

static int
tls_copy(struct tls_conf *dst, const struct tls_conf *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->verify_client = src->verify_client;
	if (dup_opt(&dst->cert, src->cert) != 0 ||
	    dup_opt(&dst->key, src->key) != 0 ||
	    dup_opt(&dst->ca, src->ca) != 0) {
		tls_release(dst);
		return MAMORI_ENOMEM;
	}
	return 0;
}

static int
listener_uses_tls(const struct listener_conf *l)
{
	return l->proto == LISTEN_TLS ||
	    (l->proto == LISTEN_RELP && l->relp_tls);
}

void
config_listener_release(struct listener_conf *l)
{
	if (l == NULL)
		return;
	free(l->host);
	free(l->port);
	free(l->url);
	tls_release(&l->tls);
	memset(l, 0, sizeof(*l));
}

static int
listener_copy(struct listener_conf *dst, const struct listener_conf *src)
{
	*dst = *src;
	dst->host = dst->port = dst->url = NULL;
	memset(&dst->tls, 0, sizeof(dst->tls));
	if (dup_opt(&dst->host, src->host) != 0 ||
	    dup_opt(&dst->port, src->port) != 0 ||
	    dup_opt(&dst->url, src->url) != 0 ||
	    tls_copy(&dst->tls, &src->tls) != 0) {
		config_listener_release(dst);
		return MAMORI_ENOMEM;
	}
	return 0;
}

static void
listeners_free(struct listener_conf *ls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		config_listener_release(&ls[i]);
	free(ls);
}

void
config_release(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->data_dir);
	free(c->user);
	free(c->seal_key);
	c->path = c->data_dir = c->user = c->seal_key = NULL;
	listeners_free(c->listeners, c->nlisteners);
	c->listeners = NULL;
	c->nlisteners = 0;
	tls_release(&c->tls);
}

/* Deep copy; on failure dst holds nothing that needs releasing. */
static int
config_copy(struct config *dst, const struct config *src)
{
	size_t i;

	*dst = *src;
	dst->path = dst->data_dir = dst->user = dst->seal_key = NULL;
	dst->listeners = NULL;
	dst->nlisteners = 0;
	memset(&dst->tls, 0, sizeof(dst->tls));
	if (dup_opt(&dst->path, src->path) != 0 ||
	    dup_opt(&dst->data_dir, src->data_dir) != 0 ||
	    dup_opt(&dst->user, src->user) != 0 ||
	    dup_opt(&dst->seal_key, src->seal_key) != 0 ||
	    tls_copy(&dst->tls, &src->tls) != 0)
		goto fail;
	if (src->nlisteners > 0) {
		dst->listeners = calloc(src->nlisteners,
		    sizeof(*dst->listeners));
		if (dst->listeners == NULL)
			goto fail;
		for (i = 0; i < src->nlisteners; i++) {
			if (listener_copy(&dst->listeners[i],
			    &src->listeners[i]) != 0)
				goto fail;
			dst->nlisteners = i + 1;
		}
	}
	return 0;
 fail:
	config_release(dst);
	return MAMORI_ENOMEM;
}

const char *
config_proto_name(enum listen_proto p)
{
	switch (p) {
	case LISTEN_UDP:	return "udp";
	case LISTEN_TCP:	return "tcp";
	case LISTEN_TLS:	return "tls";
	case LISTEN_RELP:	return "relp";
	case LISTEN_HTTP:	return "http";
	}
	return "unknown";
}

/*
 * Sizes, durations, numbers.
 */

/* As config_parse_size(), but MAMORI_ETOOBIG when the value overflows. */
static int
size_parse(const char *s, uint64_t *out)
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
	return size_parse(s, out) == 0 ? 0 : MAMORI_EINVAL;
}

/* As config_parse_duration(), but MAMORI_ETOOBIG on overflow. */
static int
duration_parse(const char *s, int64_t *out)
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
	return duration_parse(s, out) == 0 ? 0 : MAMORI_EINVAL;
}

/* Parses a plain decimal number without sign, spaces or unit.  Returns 0,
 * MAMORI_EINVAL, or MAMORI_ETOOBIG when it overflows. */
static int
parse_uint(const char *s, uint64_t *out)
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

/* "local", "UTC" (or "Z"), or "+HH:MM" / "-HHMM" up to 14 hours. */
static int
parse_zone(const char *s, int *local, int *minutes)
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
 * Listener URLs.
 */

/* RFC 1123 host name: dot-separated labels of letters, digits and '-'. */
static int
valid_hostname(const char *h, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return 0;
		if (h[i] == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return h[len - 1] != '-';
}

int
config_parse_listen(const char *url, struct listener_conf *l, char *err,
    size_t errlen)
{
	static const struct {
		const char		*name;
		enum listen_proto	 proto;
		int			 tls;
	} schemes[] = {
		{ "udp", LISTEN_UDP, 0 }, { "tcp", LISTEN_TCP, 0 },
		{ "tls", LISTEN_TLS, 0 }, { "relp", LISTEN_RELP, 0 },
		{ "relp+tls", LISTEN_RELP, 1 }, { "http", LISTEN_HTTP, 0 },
	};
	const char *sep, *a, *hend, *port = NULL;
	char host[256], shown[256], portbuf[8], addr[sizeof(struct in6_addr)];
	size_t i, slen, hlen, plen = 0;
	unsigned long pnum;
	int bracket = 0;

	memset(l, 0, sizeof(*l));
	seterr(err, errlen, "%s", "");
	if (url == NULL || *url == '\0') {
		seterr(err, errlen, "empty listener URL");
		return MAMORI_EINVAL;
	}
	if (strlen(url) > CONFIG_MAX_URL) {
		seterr(err, errlen, "listener URL longer than %d bytes",
		    CONFIG_MAX_URL);
		return MAMORI_EINVAL;
	}
	if ((sep = strstr(url, "://")) == NULL) {
		seterr(err, errlen, "expected scheme://host:port, such as "
		    "tcp://127.0.0.1:5514");
		return MAMORI_EINVAL;
	}
	slen = (size_t)(sep - url);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == slen &&
		    strncasecmp(url, schemes[i].name, slen) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		seterr(err, errlen, "unknown scheme '%s' (expected udp, tcp, "
		    "tls, relp, relp+tls or http)",
		    show(url, slen, shown, sizeof(shown)));
		return MAMORI_EINVAL;
	}
	a = sep + 3;
	if (*a == '[') {
		bracket = 1;
		if ((hend = strchr(a, ']')) == NULL) {
			seterr(err, errlen, "missing ']' after the IPv6 "
			    "address");
			return MAMORI_EINVAL;
		}
		a++;
		hlen = (size_t)(hend - a);
		hend++;
	} else {
		hend = a + strcspn(a, ":/");
		hlen = (size_t)(hend - a);
		if (*hend == ':' && strchr(hend + 1, ':') != NULL &&
		    strspn(a, "0123456789abcdefABCDEF:.") == strlen(a)) {
			seterr(err, errlen, "an IPv6 address goes in brackets, "
			    "as in %s://[::1]:5514", schemes[i].name);
			return MAMORI_EINVAL;
		}
	}
	if (hlen == 0) {
		seterr(err, errlen, "missing host (use 0.0.0.0 or [::] for "
		    "every address)");
		return MAMORI_EINVAL;
	}
	if (hlen >= sizeof(host)) {
		seterr(err, errlen, "host name too long");
		return MAMORI_EINVAL;
	}
	memcpy(host, a, hlen);
	host[hlen] = '\0';
	show(host, hlen, shown, sizeof(shown));
	if (bracket) {
		char *zone = strchr(host, '%');

		/* A zone ("%eth0") scopes a link-local address. */
		if (zone != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1 || (zone != NULL &&
		    !valid_hostname(zone + 1, strlen(zone + 1)))) {
			seterr(err, errlen, "invalid IPv6 address '%s'",
			    shown);
			return MAMORI_EINVAL;
		}
		if (zone != NULL)
			*zone = '%';
	} else if (strspn(host, "0123456789.") == hlen) {
		if (inet_pton(AF_INET, host, addr) != 1) {
			seterr(err, errlen, "invalid IPv4 address '%s'",
			    shown);
			return MAMORI_EINVAL;
		}
	} else if (!valid_hostname(host, hlen)) {
		seterr(err, errlen, "invalid host name '%s'", shown);
		return MAMORI_EINVAL;
	}

	if (*hend == ':') {
		port = hend + 1;
		plen = strcspn(port, "/");
	} else if (*hend != '\0') {
		seterr(err, errlen, "unexpected '%s' after the host",
		    show(hend, strlen(hend), shown, sizeof(shown)));
		return MAMORI_EINVAL;
	}
	if (port != NULL && port[plen] != '\0') {
		seterr(err, errlen, "unexpected '%s' after the port",
		    show(port + plen, strlen(port + plen), shown,
		    sizeof(shown)));
		return MAMORI_EINVAL;
	}
	if (port == NULL) {
		if (schemes[i].proto != LISTEN_HTTP) {
			seterr(err, errlen, "missing port, as in "
			    "%s://%s%s%s:%s", schemes[i].name,
			    bracket ? "[" : "", host, bracket ? "]" : "",
			    schemes[i].proto == LISTEN_RELP ? "2514" : "5514");
			return MAMORI_EINVAL;
		}
		pnum = 8080;
	} else {
		if (plen == 0) {
			seterr(err, errlen, "missing port after ':'");
			return MAMORI_EINVAL;
		}
		show(port, plen, shown, sizeof(shown));
		if (strspn(port, "0123456789") != plen) {
			seterr(err, errlen, "port '%s' is not a number",
			    shown);
			return MAMORI_EINVAL;
		}
		/* Leading zeros aside, more than 5 digits is out of range. */
		while (plen > 1 && *port == '0') {
			port++;
			plen--;
		}
		pnum = plen > 5 ? 99999 : strtoul(port, NULL, 10);
		if (pnum < 1 || pnum > 65535) {
			seterr(err, errlen, "port %s is out of range 1..65535",
			    shown);
			return MAMORI_EINVAL;
		}
	}
	snprintf(portbuf, sizeof(portbuf), "%lu", pnum);
	l->proto = schemes[i].proto;
	l->relp_tls = schemes[i].tls;
	if ((l->host = strdup(host)) == NULL ||
	    (l->port = strdup(portbuf)) == NULL ||
	    (l->url = strdup(url)) == NULL) {
		config_listener_release(l);
		seterr(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	return 0;
}

/* Replaces c's listeners with the built-in defaults. */
static int
set_default_listeners(struct config *c)
{
	static const char *const urls[] = {
		"udp://127.0.0.1:5514", "tcp://127.0.0.1:5514",
		"relp://127.0.0.1:2514", "tls://127.0.0.1:6514",
	};
	struct listener_conf *ls;
	size_t i, n = c->tls.cert != NULL ? 4 : 3;
	int r;

	if ((ls = calloc(n, sizeof(*ls))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((r = config_parse_listen(urls[i], &ls[i], NULL, 0)) != 0 ||
		    (listener_uses_tls(&ls[i]) &&
		    (r = tls_copy(&ls[i].tls, &c->tls)) != 0)) {
			listeners_free(ls, n);
			return r;
		}
	}
	listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 1;
	return 0;
}

int
config_set_listeners(struct config *c, char *const *urls, size_t n,
    char *err, size_t errlen)
{
	struct listener_conf *ls;
	char why[256], shown[256];
	size_t i;
	int r;

	seterr(err, errlen, "%s", "");
	if (n == 0) {
		seterr(err, errlen, "no listener URLs given");
		return MAMORI_EINVAL;
	}
	if ((ls = calloc(n, sizeof(*ls))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((r = config_parse_listen(urls[i], &ls[i], why,
		    sizeof(why))) != 0) {
			seterr(err, errlen, "listener '%s': %s",
			    urls[i] == NULL ? "" : show(urls[i],
			    strlen(urls[i]), shown, sizeof(shown)), why);
			listeners_free(ls, n);
			return r;
		}
		if (listener_uses_tls(&ls[i]) &&
		    (r = tls_copy(&ls[i].tls, &c->tls)) != 0) {
			listeners_free(ls, n);
			return r;
		}
	}
	listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 0;
	return 0;
}

/*
 * Defaults.
 */

/* Looks a user up by name, or by uid when name is NULL; copies the home
 * directory to *home when asked.  Returns 1 if found, 0 if not, -1 on
 * allocation failure. */
static int
lookup_user(const char *name, uid_t uid, char **home)
{
	struct passwd pw, *res = NULL;
	size_t blen = 16384;
	char *buf;
	int e, found;

	for (;;) {
		if ((buf = malloc(blen)) == NULL)
			return -1;
		if (name != NULL)
			e = getpwnam_r(name, &pw, buf, blen, &res);
		else
			e = getpwuid_r(uid, &pw, buf, blen, &res);
		if (e != ERANGE || blen >= 1024 * 1024)
			break;
		free(buf);
		blen *= 4;
	}
	found = e == 0 && res != NULL;
	if (found && home != NULL) {
		*home = NULL;
		if (pw.pw_dir != NULL && pw.pw_dir[0] == '/' &&
		    (*home = strdup(pw.pw_dir)) == NULL) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	return found;
}

char *
config_default_key(void)
{
	const char *e;
	char *home = NULL, *s = NULL;

	if ((e = getenv("MAMORI_SEAL_KEY")) != NULL && *e != '\0')
		return strdup(e);
	if (geteuid() == 0)
		return strdup(DEFAULT_KEY_ROOT);
	/* The XDG base directory spec says to ignore relative paths. */
	if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		return asprintf(&s, "%s/mamori/seal.key", e) < 0 ? NULL : s;
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return asprintf(&s, "%s/.config/mamori/seal.key", e) < 0 ?
		    NULL : s;
	switch (lookup_user(NULL, geteuid(), &home)) {
	case -1:
		return NULL;
	case 1:
		if (home != NULL) {
			if (asprintf(&s, "%s/.config/mamori/seal.key",
			    home) < 0)
				s = NULL;
			free(home);
			return s;
		}
		break;
	}
	/* No home anywhere: the root path, which fails later with a clear
	 * "cannot open /etc/mamori/seal.key" rather than somewhere odd. */
	return strdup(DEFAULT_KEY_ROOT);
}

int
config_init(struct config *c)
{
	int found;

	memset(c, 0, sizeof(*c));
	c->stats_interval_ns = 60 * NS_PER_SEC;
	c->max_message = 64 * KIB;
	c->tz_local = 1;
	c->tz_min = 0;
	c->skew_threshold_ns = 60 * NS_PER_SEC;
	c->skew_window_ns = 60 * NS_PER_SEC;
	c->skew_report_ns = 3600 * NS_PER_SEC;
	c->queue_events = 16384;
	c->queue_bytes = 64 * MIB;
	c->workers = 2;
	c->segment_bytes = 64 * MIB;
	c->segment_age_ns = 86400 * NS_PER_SEC;
	c->retention_ns = 180 * 86400 * NS_PER_SEC;
	c->retention_bytes = 0;
	c->fsync_interval_ns = 50 * NS_PER_MS;
	c->zstd_level = 3;
	c->tls.verify_client = TLS_VERIFY_NONE;
	if ((found = lookup_user("mamori", 0, NULL)) < 0 ||
	    (c->data_dir = strdup(DEFAULT_DATA_DIR)) == NULL ||
	    (c->user = strdup(found ? "mamori" : "nobody")) == NULL ||
	    (c->seal_key = config_default_key()) == NULL ||
	    set_default_listeners(c) != 0) {
		config_release(c);
		return MAMORI_ENOMEM;
	}
	return 0;
}

/*
 * Checks across settings.
 */

/* "FILE:LINE: ", "FILE: " or "", for the start of a check's message. */
static const char *
where(const struct config *c, const struct load_ctx *x, size_t line,
    char *buf, size_t len)
{
	const char *path = x != NULL ? x->path : c->path;

	if (path != NULL && line > 0)
		snprintf(buf, len, "%s:%zu: ", path, line);
	else if (path != NULL)
		snprintf(buf, len, "%s: ", path);
	else
		buf[0] = '\0';
	return buf;
}

static size_t
setting_line(const struct load_ctx *x, const char *section, const char *key)
{
	int i;

	if (x == NULL || (i = find_setting(section, key, strlen(key))) < 0)
		return 0;
	return x->lines[i];
}

/* Transport a listener binds: 'u' for UDP, 't' for TCP. */
static int
transport(const struct listener_conf *l)
{
	return l->proto == LISTEN_UDP ? 'u' : 't';
}

/*
 * The checks that need no file system; config_load() runs them with x set
 * so that messages carry the line, config_check() without.
 */
static int
check_settings(const struct config *c, const struct load_ctx *x, char *err,
    size_t errlen)
{
	const struct listener_conf *l, *m;
	const char *empty = NULL;
	char at[512], s1[32], s2[32];
	size_t i, j, line;

	if (c->data_dir == NULL || c->data_dir[0] == '\0')
		empty = "server.data_dir";
	else if (c->user == NULL || c->user[0] == '\0')
		empty = "server.user";
	else if (c->seal_key == NULL || c->seal_key[0] == '\0')
		empty = "storage.seal_key";
	if (empty != NULL) {
		seterr(err, errlen, "%ssetting '%s' is empty",
		    where(c, x, 0, at, sizeof(at)), empty);
		return MAMORI_ECONFIG;
	}
	if (c->retention_bytes != 0 && c->retention_bytes < c->segment_bytes) {
		if ((line = setting_line(x, "storage", "retention_size")) == 0)
			line = setting_line(x, "storage", "segment_size");
		seterr(err, errlen, "%ssetting 'storage.retention_size': must "
		    "be 0 (no limit) or at least storage.segment_size (%s), "
		    "got %s", where(c, x, line, at, sizeof(at)),
		    fmt_size(c->segment_bytes, s1, sizeof(s1)),
		    fmt_size(c->retention_bytes, s2, sizeof(s2)));
		return MAMORI_ECONFIG;
	}
	if (c->queue_bytes < c->max_message) {
		if ((line = setting_line(x, "pipeline", "queue_memory")) == 0)
			line = setting_line(x, "input", "max_message_size");
		seterr(err, errlen, "%ssetting 'pipeline.queue_memory': must "
		    "be at least input.max_message_size (%s), got %s",
		    where(c, x, line, at, sizeof(at)),
		    fmt_size(c->max_message, s1, sizeof(s1)),
		    fmt_size(c->queue_bytes, s2, sizeof(s2)));
		return MAMORI_ECONFIG;
	}
	if (c->nlisteners == 0) {
		seterr(err, errlen, "%ssetting 'listeners': no listeners "
		    "configured", where(c, x, x != NULL ? x->listeners_line : 0,
		    at, sizeof(at)));
		return MAMORI_ECONFIG;
	}
	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		/* The default tls listener exists because tls.cert is set. */
		line = (size_t)l->line;
		if (line == 0 && c->listeners_default)
			line = setting_line(x, "tls", "cert");
		if (listener_uses_tls(l) &&
		    (l->tls.cert == NULL || l->tls.key == NULL)) {
			seterr(err, errlen, "%slistener '%s': needs %s",
			    where(c, x, line, at, sizeof(at)), l->url,
			    l->tls.cert != NULL ? "tls.key" :
			    l->tls.key != NULL ? "tls.cert" :
			    "tls.cert and tls.key");
			return MAMORI_ECONFIG;
		}
		if (listener_uses_tls(l) &&
		    l->tls.verify_client == TLS_VERIFY_REQUIRED &&
		    l->tls.ca == NULL) {
			seterr(err, errlen, "%slistener '%s': "
			    "tls.verify_client is required but tls.ca is not "
			    "set", where(c, x, line, at, sizeof(at)), l->url);
			return MAMORI_ECONFIG;
		}
		for (j = 0; j < i; j++) {
			m = &c->listeners[j];
			if (transport(l) == transport(m) &&
			    strcmp(l->host, m->host) == 0 &&
			    strcmp(l->port, m->port) == 0) {
				seterr(err, errlen, "%slisteners '%s' and '%s' "
				    "both bind %s %s port %s",
				    where(c, x, line, at, sizeof(at)), m->url,
				    l->url, transport(l) == 'u' ? "UDP" : "TCP",
				    l->host, l->port);
				return MAMORI_ECONFIG;
			}
		}
	}
	return 0;
}

/* Checks that path names a regular file we can open for reading. */
static int
check_readable(const char *path, const char **why)
{
	struct stat st;
	int fd, e;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		*why = strerror(e);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -1;
	}
	return 0;
}

int
config_check(const struct config *c, char *err, size_t errlen)
{
	static const char *const names[] = { "tls.cert", "tls.key", "tls.ca" };
	const struct listener_conf *l;
	const char *files[3], *why;
	char at[512];
	size_t i, k;
	int r;

	seterr(err, errlen, "%s", "");
	if ((r = check_settings(c, NULL, err, errlen)) != 0)
		return r;
	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		if (!listener_uses_tls(l))
			continue;
		files[0] = l->tls.cert;
		files[1] = l->tls.key;
		files[2] = l->tls.ca;
		for (k = 0; k < 3; k++) {
			if (files[k] == NULL ||
			    check_readable(files[k], &why) == 0)
				continue;
			seterr(err, errlen, "%slistener '%s': cannot read %s "
			    "'%s': %s", where(c, NULL, (size_t)l->line, at,
			    sizeof(at)), l->url, names[k], files[k], why);
			return MAMORI_ECONFIG;
		}
	}
	return 0;
}

/*
 * The YAML file.
 */

static int
fail(struct load_ctx *x, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct load_ctx *x, size_t line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	seterr(x->err, x->errlen, "%s:%zu: %s", x->path, line, msg);
	return MAMORI_ECONFIG;
}

static size_t
node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:		return "a mapping";
	case YAML_SEQUENCE_NODE:	return "a list";
	default:			return "a value";
	}
}

static yaml_node_t *
node_at(struct load_ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

/* A plain empty, "~" or "null" scalar: a key given with no value. */
static int
node_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return len == 0 || (len == 1 && v[0] == '~') || (len == 4 &&
	    (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 ||
	    memcmp(v, "NULL", 4) == 0));
}

static int
key_is(const yaml_node_t *k, const char *name)
{
	return k->data.scalar.length == strlen(name) &&
	    memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

/*
 * Checks the key of pair in mapping map: a scalar, not given before in the
 * same mapping.  Sets name to prefix + key, for messages.
 */
static int
check_key(struct load_ctx *x, yaml_node_t *map, yaml_node_pair_t *pair,
    const char *prefix, char *name, size_t namelen)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *o;
	char shown[256];

	k = node_at(x, pair->key);
	if (k->type != YAML_SCALAR_NODE) {
		if (*prefix == '\0')
			return fail(x, node_line(k), "expected a section "
			    "name, got %s", node_kind(k));
		return fail(x, node_line(k), "expected a setting name in "
		    "'%.*s', got %s", (int)strlen(prefix) - 1, prefix,
		    node_kind(k));
	}
	snprintf(name, namelen, "%s%s", prefix,
	    show((const char *)k->data.scalar.value, k->data.scalar.length,
	    shown, sizeof(shown)));
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		o = node_at(x, p->key);
		if (o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == k->data.scalar.length &&
		    memcmp(o->data.scalar.value, k->data.scalar.value,
		    k->data.scalar.length) == 0)
			return fail(x, node_line(k), "setting '%s': duplicate "
			    "key (first given on line %zu)", name,
			    node_line(o));
	}
	return 0;
}

/* The value text of scalar v as a C string, or an error naming name. */
static int
scalar_text(struct load_ctx *x, yaml_node_t *v, const char *name,
    const char *what, char **out)
{
	size_t len;

	*out = NULL;
	if (v->type != YAML_SCALAR_NODE)
		return fail(x, node_line(v), "setting '%s': expected %s, "
		    "got %s", name, what, node_kind(v));
	len = node_is_null(v) ? 0 : v->data.scalar.length;
	if (memchr(v->data.scalar.value, '\0', len) != NULL)
		return fail(x, node_line(v), "setting '%s': expected %s, "
		    "got a value with a NUL byte", name, what);
	if ((*out = strndup((const char *)v->data.scalar.value, len)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static int
range_fail(struct load_ctx *x, yaml_node_t *v, const char *name,
    const char *lo, const char *hi, int has_max, const char *text)
{
	char shown[256];

	show(text, strlen(text), shown, sizeof(shown));
	if (has_max)
		return fail(x, node_line(v), "setting '%s': must be between "
		    "%s and %s, got '%s'", name, lo, hi, shown);
	return fail(x, node_line(v), "setting '%s': must be at least %s, "
	    "got '%s'", name, lo, shown);
}

/* Parses v by s->kind and stores it in the field at base + s->off. */
static int
apply_setting(struct load_ctx *x, const struct setting *s, void *base,
    const char *name, yaml_node_t *v)
{
	char *field = (char *)base + s->off, *text, shown[256], lo[32], hi[32];
	uint64_t u;
	int64_t d;
	int r, local, minutes;

	if ((r = scalar_text(x, v, name, s->what, &text)) != 0)
		return r;
	show(text, strlen(text), shown, sizeof(shown));
	if (*text == '\0' && s->kind != K_PATH) {
		r = fail(x, node_line(v), "setting '%s': expected %s, got "
		    "nothing", name, s->what);
		goto out;
	}
	switch (s->kind) {
	case K_STRING:
	case K_PATH:
		free(*(char **)field);
		*(char **)field = NULL;
		if (*text != '\0') {
			*(char **)field = text;
			text = NULL;
		}
		break;
	case K_SIZE:
	case K_SIZE64:
	case K_COUNT:
	case K_INT:
		r = s->kind == K_SIZE || s->kind == K_SIZE64 ?
		    size_parse(text, &u) : parse_uint(text, &u);
		if (r == MAMORI_EINVAL) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		if (r == MAMORI_ETOOBIG && s->max == UINT64_MAX) {
			r = fail(x, node_line(v), "setting '%s': '%s' is too "
			    "large", name, shown);
			goto out;
		}
		if (r == MAMORI_ETOOBIG || u < s->min || u > s->max) {
			if (s->kind == K_SIZE || s->kind == K_SIZE64) {
				fmt_size(s->min, lo, sizeof(lo));
				fmt_size(s->max, hi, sizeof(hi));
			} else {
				snprintf(lo, sizeof(lo), "%llu",
				    (unsigned long long)s->min);
				snprintf(hi, sizeof(hi), "%llu",
				    (unsigned long long)s->max);
			}
			r = range_fail(x, v, name, lo, hi,
			    s->max != UINT64_MAX && s->max != SIZE_MAX, text);
			goto out;
		}
		if (s->kind == K_SIZE64)
			*(uint64_t *)field = u;
		else if (s->kind == K_INT)
			*(int *)field = (int)u;
		else
			*(size_t *)field = (size_t)u;
		break;
	case K_DURATION:
		if ((r = duration_parse(text, &d)) == MAMORI_ETOOBIG) {
			r = fail(x, node_line(v), "setting '%s': '%s' is too "
			    "large (the limit is 15250w, about 292 years)",
			    name, shown);
			goto out;
		}
		if (r != 0) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		if ((uint64_t)d < s->min) {
			r = range_fail(x, v, name, fmt_duration((int64_t)s->min,
			    lo, sizeof(lo)), NULL, 0, text);
			goto out;
		}
		*(int64_t *)field = d;
		break;
	case K_ZONE:
		if (parse_zone(text, &local, &minutes) != 0) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		((struct config *)base)->tz_local = local;
		((struct config *)base)->tz_min = minutes;
		break;
	case K_VERIFY:
		if (strcmp(text, "none") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_NONE;
		else if (strcmp(text, "optional") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_OPTIONAL;
		else if (strcmp(text, "required") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_REQUIRED;
		else {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		break;
	}
	r = 0;
 out:
	free(text);
	return r;
}

/* "unknown setting 'a.b'", with the nearest known name when close. */
static int
unknown_setting(struct load_ctx *x, yaml_node_t *k, const char *section,
    const char *prefix, const char *name)
{
	const char *cand[NSETTINGS], *hint;
	const char *key = (const char *)k->data.scalar.value;
	size_t i, n = 0, klen = k->data.scalar.length;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) == 0)
			cand[n++] = settings[i].key;
	if ((hint = nearest(key, klen, cand, n)) != NULL)
		return fail(x, node_line(k), "unknown setting '%s' (did you "
		    "mean '%s%s'?)", name, prefix, hint);
	/* The right key in the wrong section: "storage.workers". */
	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) != 0 &&
		    strlen(settings[i].key) == klen &&
		    memcmp(settings[i].key, key, klen) == 0)
			return fail(x, node_line(k), "unknown setting '%s' "
			    "(did you mean '%s.%s'?)", name,
			    settings[i].section, settings[i].key);
	return fail(x, node_line(k), "unknown setting '%s'", name);
}

/*
 * Applies the settings in mapping v to base, for section (whose entries
 * live in the table), naming them prefix + key.  *set, when given,
 * collects a bit per setting given.
 */
static int
load_map(struct load_ctx *x, yaml_node_t *v, const char *section,
    const char *prefix, void *base, unsigned *set)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	char name[512];
	int i, r;

	if (node_is_null(v))
		return 0;		/* "server:" with every line commented */
	if (v->type != YAML_MAPPING_NODE)
		return fail(x, node_line(v), "setting '%.*s': expected a "
		    "mapping of settings, got %s", (int)strlen(prefix) - 1,
		    prefix, node_kind(v));
	for (pair = v->data.mapping.pairs.start;
	    pair < v->data.mapping.pairs.top; pair++) {
		if ((r = check_key(x, v, pair, prefix, name,
		    sizeof(name))) != 0)
			return r;
		k = node_at(x, pair->key);
		i = find_setting(section, (const char *)k->data.scalar.value,
		    k->data.scalar.length);
		if (i < 0)
			return unknown_setting(x, k, section, prefix, name);
		if ((r = apply_setting(x, &settings[i], base, name,
		    node_at(x, pair->value))) != 0)
			return r;
		if (set != NULL)
			*set |= 1u << i;
		else
			x->lines[i] = node_line(k);
	}
	return 0;
}

/* One entry of listeners:, either "- tcp://..." or "- url: ...". */
static int
load_listener(struct load_ctx *x, yaml_node_t *item, size_t idx,
    struct listener_conf *l, unsigned *tls_set)
{
	struct listener_conf parsed;
	yaml_node_pair_t *pair;
	yaml_node_t *k, *urlnode = NULL, *tlsnode = NULL;
	char prefix[64], name[512], why[256], *text;
	const char *hint;
	int r;

	snprintf(prefix, sizeof(prefix), "listeners[%zu].", idx);
	if (item->type == YAML_SCALAR_NODE) {
		urlnode = item;
		snprintf(name, sizeof(name), "listeners[%zu]", idx);
	} else if (item->type == YAML_MAPPING_NODE) {
		for (pair = item->data.mapping.pairs.start;
		    pair < item->data.mapping.pairs.top; pair++) {
			if ((r = check_key(x, item, pair, prefix, name,
			    sizeof(name))) != 0)
				return r;
			k = node_at(x, pair->key);
			if (key_is(k, "url"))
				urlnode = node_at(x, pair->value);
			else if (key_is(k, "tls"))
				tlsnode = node_at(x, pair->value);
			else if ((hint = nearest(
			    (const char *)k->data.scalar.value,
			    k->data.scalar.length, listener_keys, 2)) != NULL)
				return fail(x, node_line(k), "unknown setting "
				    "'%s' (did you mean '%s%s'?)", name, prefix,
				    hint);
			else
				return fail(x, node_line(k), "unknown setting "
				    "'%s'", name);
		}
		if (urlnode == NULL)
			return fail(x, node_line(item), "setting "
			    "'listeners[%zu]': missing 'url'", idx);
		snprintf(name, sizeof(name), "%surl", prefix);
	} else
		return fail(x, node_line(item), "setting 'listeners[%zu]': "
		    "expected a listener URL or a mapping with url:, got %s",
		    idx, node_kind(item));

	if ((r = scalar_text(x, urlnode, name, "a listener URL such as "
	    "tcp://127.0.0.1:5514", &text)) != 0)
		return r;
	r = config_parse_listen(text, &parsed, why, sizeof(why));
	free(text);
	if (r == MAMORI_EINVAL)
		return fail(x, node_line(urlnode), "setting '%s': %s", name,
		    why);
	if (r != 0)
		return r;
	*l = parsed;
	l->line = (int)node_line(item);
	if (tlsnode == NULL)
		return 0;
	if (!listener_uses_tls(l))
		return fail(x, node_line(tlsnode), "setting '%stls': only "
		    "tls:// and relp+tls:// listeners use TLS", prefix);
	snprintf(name, sizeof(name), "%stls.", prefix);
	return load_map(x, tlsnode, "tls", name, &l->tls, tls_set);
}

static int
load_listeners(struct load_ctx *x, yaml_node_t *v)
{
	struct config *c = x->c;
	struct listener_conf *ls;
	yaml_node_item_t *item;
	size_t i, n;
	int r;

	x->listeners_line = node_line(v);
	if (node_is_null(v))
		return fail(x, node_line(v), "setting 'listeners': expected a "
		    "list of listeners, got nothing (remove the key to keep "
		    "the defaults)");
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, node_line(v), "setting 'listeners': expected a "
		    "list of listeners, got %s", node_kind(v));
	n = (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start);
	if (n > CONFIG_MAX_LISTENERS)
		return fail(x, node_line(v), "setting 'listeners': more than "
		    "%d listeners", CONFIG_MAX_LISTENERS);
	ls = n > 0 ? calloc(n, sizeof(*ls)) : NULL;
	free(x->tls_set);
	x->tls_set = n > 0 ? calloc(n, sizeof(*x->tls_set)) : NULL;
	if (n > 0 && (ls == NULL || x->tls_set == NULL)) {
		free(ls);
		return MAMORI_ENOMEM;
	}
	/* c owns them from here, so an error below frees them with c. */
	listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 0;
	for (i = 0, item = v->data.sequence.items.start; i < n; i++, item++)
		if ((r = load_listener(x, node_at(x, *item), i, &ls[i],
		    &x->tls_set[i])) != 0)
			return r;
	return 0;
}

static int
load_root(struct load_ctx *x, yaml_node_t *root)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	char name[512], prefix[64];
	const char *hint;
	size_t i;
	int r;

	if (root == NULL || node_is_null(root))
		return 0;		/* an empty file: the defaults */
	if (root->type != YAML_MAPPING_NODE)
		return fail(x, node_line(root), "expected a mapping of "
		    "sections (server:, listeners:, input:, pipeline:, "
		    "storage:, tls:), got %s", node_kind(root));
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		if ((r = check_key(x, root, pair, "", name,
		    sizeof(name))) != 0)
			return r;
		k = node_at(x, pair->key);
		v = node_at(x, pair->value);
		for (i = 0; i < NSECTIONS; i++)
			if (key_is(k, sections[i]))
				break;
		if (i == NSECTIONS) {
			hint = nearest((const char *)k->data.scalar.value,
			    k->data.scalar.length, sections, NSECTIONS);
			if (hint != NULL)
				return fail(x, node_line(k), "unknown section "
				    "'%s' (did you mean '%s'?)", name, hint);
			return fail(x, node_line(k), "unknown section '%s'",
			    name);
		}
		if (strcmp(sections[i], "listeners") == 0) {
			r = load_listeners(x, v);
		} else {
			snprintf(prefix, sizeof(prefix), "%s.", sections[i]);
			r = load_map(x, v, sections[i], prefix,
			    strcmp(sections[i], "tls") == 0 ?
			    (void *)&x->c->tls : (void *)x->c, NULL);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

/* After the whole file: settings that depend on others, then checks. */
static int
load_finish(struct load_ctx *x)
{
	struct config *c = x->c;
	struct listener_conf *l;
	unsigned set;
	size_t i;
	int r, icert, ikey, ica, iverify;

	if (c->listeners_default)
		return (r = set_default_listeners(c)) != 0 ? r :
		    check_settings(c, x, x->err, x->errlen);
	/* Listeners from this file take what their tls: override left
	 * unset from the tls: section, wherever in the file that was. */
	icert = find_setting("tls", "cert", strlen("cert"));
	ikey = find_setting("tls", "key", strlen("key"));
	ica = find_setting("tls", "ca", strlen("ca"));
	iverify = find_setting("tls", "verify_client",
	    strlen("verify_client"));
	assert(icert >= 0 && ikey >= 0 && ica >= 0 && iverify >= 0);
	for (i = 0; x->tls_set != NULL && i < c->nlisteners; i++) {
		l = &c->listeners[i];
		set = x->tls_set[i];
		if (!listener_uses_tls(l))
			continue;
		if ((!(set & (1u << icert)) &&
		    dup_opt(&l->tls.cert, c->tls.cert) != 0) ||
		    (!(set & (1u << ikey)) &&
		    dup_opt(&l->tls.key, c->tls.key) != 0) ||
		    (!(set & (1u << ica)) &&
		    dup_opt(&l->tls.ca, c->tls.ca) != 0))
			return MAMORI_ENOMEM;
		if (!(set & (1u << iverify)))
			l->tls.verify_client = c->tls.verify_client;
	}
	return check_settings(c, x, x->err, x->errlen);
}

static int
yaml_fail(struct load_ctx *x, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t i, line = 1;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		seterr(x->err, x->errlen, "%s: out of memory", x->path);
		return MAMORI_ENOMEM;
	case YAML_READER_ERROR:
		/* The reader reports a byte offset, not a mark. */
		for (i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		if (p->problem_value != -1)
			return fail(x, line, "YAML syntax error: %s (byte "
			    "0x%02x)", problem, p->problem_value & 0xff);
		return fail(x, line, "YAML syntax error: %s", problem);
	default:
		/* libyaml's "cannot start any token" hides the usual cause. */
		if (p->problem_mark.index < len &&
		    buf[p->problem_mark.index] == '\t')
			return fail(x, p->problem_mark.line + 1, "YAML syntax "
			    "error: %s (a tab: YAML indents with spaces only)",
			    problem);
		if (p->context != NULL)
			return fail(x, p->problem_mark.line + 1, "YAML syntax "
			    "error: %s (%s on line %zu)", problem, p->context,
			    p->context_mark.line + 1);
		return fail(x, p->problem_mark.line + 1, "YAML syntax "
		    "error: %s", problem);
	}
}

/* Reads path whole; MAMORI_ESYS with errno kept when it cannot. */
static int
read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, e;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		goto syserr;
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto syserr;
	}
	for (;;) {
		if (len == cap) {
			if (cap > CONFIG_MAX_FILE) {
				close(fd);
				free(buf);
				seterr(err, errlen, "%s: larger than %d bytes; "
				    "not a configuration file", path,
				    CONFIG_MAX_FILE);
				return MAMORI_ECONFIG;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				close(fd);
				free(buf);
				return MAMORI_ENOMEM;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return MAMORI_ENOMEM;
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
 syserr:
	e = errno;
	if (fd != -1)
		close(fd);
	free(buf);
	seterr(err, errlen, "%s: cannot read: %s", path, strerror(e));
	errno = e;
	return MAMORI_ESYS;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct config tmp;
	struct load_ctx x;
	yaml_parser_t parser;
	yaml_document_t doc, next;
	yaml_node_t *extra;
	char *buf;
	size_t len;
	int r;

	seterr(err, errlen, "%s", "");
	if ((r = read_file(path, &buf, &len, err, errlen)) != 0)
		return r;
	if ((r = config_copy(&tmp, c)) != 0) {
		free(buf);
		return r;
	}
	memset(&x, 0, sizeof(x));
	x.path = path;
	x.c = &tmp;
	x.err = err;
	x.errlen = errlen;
	free(tmp.path);
	if ((tmp.path = strdup(path)) == NULL ||
	    !yaml_parser_initialize(&parser)) {
		config_release(&tmp);
		free(buf);
		return MAMORI_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = yaml_fail(&x, &parser, buf, len);
		goto out;
	}
	x.doc = &doc;
	r = load_root(&x, yaml_document_get_root_node(&doc));
	if (r == 0) {
		/* A second document would be silently ignored otherwise. */
		if (!yaml_parser_load(&parser, &next))
			r = yaml_fail(&x, &parser, buf, len);
		else {
			if ((extra = yaml_document_get_root_node(&next)) !=
			    NULL)
				r = fail(&x, node_line(extra), "only one YAML "
				    "document is allowed");
			yaml_document_delete(&next);
		}
	}
	if (r == 0)
		r = load_finish(&x);
	yaml_document_delete(&doc);
 out:
	yaml_parser_delete(&parser);
	free(x.tls_set);
	free(buf);
	if (r != 0) {
		config_release(&tmp);
		return r;
	}
	config_release(c);
	*c = tmp;
	return 0;
}
