/*
 * test-config.c - configuration: defaults, the YAML file and its errors
 * (each checked word for word, with the file left untouched), listener
 * URLs, sizes, durations, the checks across settings, and the sample
 * etc/mamori.yaml.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "net/net-conf.h"
#include "net/net-sig.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "test.h"

#define MS	1000000LL
#define SEC	NS_PER_SEC
#define KIB	1024ULL
#define MIB	(1024 * KIB)
#define GIB	(1024 * MIB)
#define TIB	(1024 * GIB)

/* Temporary files made by the tests, removed at the end. */
static char *temps[1024];
static size_t ntemps;

static const char *
tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d != NULL && *d != '\0' ? d : "/tmp";
}

/* Writes len bytes of text to a new temporary file; returns its path. */
static const char *
write_temp_len(const char *text, size_t len)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/test-config-XXXXXX", tmpdir()) < 0)
		abort();
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, len) != (ssize_t)len || close(fd) != 0) {
		perror(path);
		abort();
	}
	if (ntemps == sizeof(temps) / sizeof(temps[0]))
		abort();
	temps[ntemps++] = path;
	return path;
}

static const char *
write_temp(const char *text)
{
	return write_temp_len(text, strlen(text));
}

static void
remove_temps(void)
{
	size_t i;

	for (i = 0; i < ntemps; i++) {
		unlink(temps[i]);
		free(temps[i]);
	}
	ntemps = 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
tls_equal(const struct tls_conf *a, const struct tls_conf *b)
{
	return str_eq(a->cert, b->cert) && str_eq(a->key, b->key) &&
	    str_eq(a->ca, b->ca) && a->verify_client == b->verify_client;
}

/* Every field of a and b, deeply. */
static int
config_equal(const struct config *a, const struct config *b)
{
	size_t i;

	if (!str_eq(a->path, b->path) || !str_eq(a->data_dir, b->data_dir) ||
	    !str_eq(a->user, b->user) ||
	    a->stats_interval_ns != b->stats_interval_ns ||
	    a->nlisteners != b->nlisteners ||
	    a->listeners_default != b->listeners_default ||
	    a->max_message != b->max_message || a->tz_local != b->tz_local ||
	    a->tz_min != b->tz_min ||
	    a->skew_threshold_ns != b->skew_threshold_ns ||
	    a->skew_window_ns != b->skew_window_ns ||
	    a->skew_report_ns != b->skew_report_ns ||
	    a->queue_events != b->queue_events ||
	    a->queue_bytes != b->queue_bytes || a->workers != b->workers ||
	    a->segment_bytes != b->segment_bytes ||
	    a->segment_age_ns != b->segment_age_ns ||
	    a->retention_ns != b->retention_ns ||
	    a->retention_bytes != b->retention_bytes ||
	    a->fsync_interval_ns != b->fsync_interval_ns ||
	    a->zstd_level != b->zstd_level ||
	    !str_eq(a->seal_key, b->seal_key) || !tls_equal(&a->tls, &b->tls))
		return 0;
	for (i = 0; i < a->nlisteners; i++) {
		const struct listener_conf *x = &a->listeners[i];
		const struct listener_conf *y = &b->listeners[i];

		if (x->proto != y->proto || !str_eq(x->host, y->host) ||
		    !str_eq(x->port, y->port) || !str_eq(x->url, y->url) ||
		    !tls_equal(&x->tls, &y->tls) ||
		    x->relp_tls != y->relp_tls || x->line != y->line)
			return 0;
	}
	return 1;
}

/* A valid file that moves most settings off their defaults, so that a
 * later failed load has something to disturb. */
static const char base_yaml[] =
    "server:\n"
    "  data_dir: /var/lib/base\n"
    "  user: baseuser\n"
    "pipeline:\n"
    "  workers: 5\n"
    "storage:\n"
    "  retention: 30d\n"
    "listeners:\n"
    "  - udp://127.0.0.1:1514\n";

/*
 * Loads yaml over a configuration already loaded from base_yaml and checks
 * that it fails with MAMORI_ECONFIG, that the message is exactly
 * "<file><msg>", and that the configuration is exactly as before.
 */
static int
expect_error_at(const char *yaml, size_t len, const char *msg, int srcline)
{
	struct config c, ref;
	const char *base, *path;
	char err[1024], want[1024];
	int r, ok = 1;

	base = write_temp(base_yaml);
	path = write_temp_len(yaml, len);
	if (config_init(&c) != 0 || config_init(&ref) != 0 ||
	    config_load(&c, base, err, sizeof(err)) != 0 ||
	    config_load(&ref, base, err, sizeof(err)) != 0) {
		fprintf(stderr, "line %d: base config fails: %s\n", srcline,
		    err);
		return 0;
	}
	memset(err, 'x', sizeof(err));
	r = config_load(&c, path, err, sizeof(err));
	snprintf(want, sizeof(want), "%s%s", path, msg);
	if (r != MAMORI_ECONFIG) {
		fprintf(stderr, "line %d: config_load returned %d, expected "
		    "MAMORI_ECONFIG\n", srcline, r);
		ok = 0;
	}
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "line %d: got  \"%s\"\n        want \"%s\"\n",
		    srcline, err, want);
		ok = 0;
	}
	if (!config_equal(&c, &ref)) {
		fprintf(stderr, "line %d: configuration changed by a failed "
		    "load\n", srcline);
		ok = 0;
	}
	config_release(&c);
	config_release(&ref);
	return ok;
}

#define EXPECT_ERROR(yaml, msg)						\
	CHECK(expect_error_at((yaml), sizeof(yaml) - 1, (msg), __LINE__))

/* Loads yaml over the defaults; returns config_load()'s result. */
static int
load_text(struct config *c, const char *yaml, char *err, size_t errlen)
{
	int r;

	if ((r = config_init(c)) != 0)
		return r;
	return config_load(c, write_temp(yaml), err, errlen);
}

/* Makes a readable temporary file to stand for a certificate or key. */
static const char *
fake_pem(void)
{
	return write_temp("-----BEGIN NOTHING-----\n");
}

TEST(test_defaults)
{
	struct config c;
	char err[256], *key;
	const char *user;

	CHECK_INT(config_init(&c), 0);
	CHECK(c.path == NULL);
	CHECK_STR(c.data_dir, "./mamori-data");
	user = getpwnam("mamori") != NULL ? "mamori" : "nobody";
	CHECK_STR(c.user, user);
	CHECK_INT(c.stats_interval_ns, 60 * SEC);
	CHECK_INT(c.max_message, 64 * KIB);
	CHECK_INT(c.tz_local, 1);
	CHECK_INT(c.tz_min, 0);
	CHECK_INT(c.skew_threshold_ns, 60 * SEC);
	CHECK_INT(c.skew_window_ns, 60 * SEC);
	CHECK_INT(c.skew_report_ns, 3600 * SEC);
	CHECK_INT(c.queue_events, 16384);
	CHECK_INT(c.queue_bytes, 64 * MIB);
	CHECK_INT(c.workers, 2);
	CHECK_INT(c.segment_bytes, 64 * MIB);
	CHECK_INT(c.segment_age_ns, 86400 * SEC);
	CHECK_INT(c.retention_ns, 180 * 86400 * SEC);
	CHECK_INT(c.retention_bytes, 0);
	CHECK_INT(c.fsync_interval_ns, 50 * MS);
	CHECK_INT(c.zstd_level, 3);
	key = config_default_key();
	CHECK_STR(c.seal_key, key);
	free(key);
	CHECK(c.tls.cert == NULL && c.tls.key == NULL && c.tls.ca == NULL);
	CHECK_INT(c.tls.verify_client, TLS_VERIFY_NONE);

	CHECK_INT(c.listeners_default, 1);
	CHECK_INT(c.nlisteners, 4);
	if (c.nlisteners == 4) {
		CHECK_INT(c.listeners[0].proto, LISTEN_UDP);
		CHECK_STR(c.listeners[0].url, "udp://127.0.0.1:5514");
		CHECK_STR(c.listeners[0].host, "127.0.0.1");
		CHECK_STR(c.listeners[0].port, "5514");
		CHECK_INT(c.listeners[1].proto, LISTEN_TCP);
		CHECK_STR(c.listeners[1].url, "tcp://127.0.0.1:5514");
		CHECK_INT(c.listeners[2].proto, LISTEN_RELP);
		CHECK_STR(c.listeners[2].url, "relp://127.0.0.1:2514");
		CHECK_STR(c.listeners[2].port, "2514");
		CHECK_INT(c.listeners[2].relp_tls, 0);
		CHECK_INT(c.listeners[0].line, 0);
		/* The console (issue 7), on loopback. */
		CHECK_INT(c.listeners[3].proto, LISTEN_HTTP);
		CHECK_STR(c.listeners[3].url, "http://127.0.0.1:8080");
		CHECK_STR(c.listeners[3].port, "8080");
		CHECK_INT(c.listeners[3].http_tls, 0);
	}
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);

	config_release(&c);
	CHECK(c.data_dir == NULL && c.user == NULL && c.seal_key == NULL);
	CHECK(c.listeners == NULL && c.nlisteners == 0);
	config_release(&c);		/* twice: no double free */
	config_release(NULL);
}

TEST(test_proto_names)
{
	CHECK_STR(config_proto_name(LISTEN_UDP), "udp");
	CHECK_STR(config_proto_name(LISTEN_TCP), "tcp");
	CHECK_STR(config_proto_name(LISTEN_TLS), "tls");
	CHECK_STR(config_proto_name(LISTEN_RELP), "relp");
	CHECK_STR(config_proto_name(LISTEN_HTTP), "http");
}

TEST(test_sizes)
{
	static const struct {
		const char	*s;
		uint64_t	 v;
	} good[] = {
		{ "0", 0 }, { "512", 512 }, { "1B", 1 }, { "1b", 1 },
		{ "1KB", 1000 }, { "1kb", 1000 }, { "1KiB", 1024 },
		{ "1kib", 1024 }, { "64KiB", 64 * KIB }, { "64MiB", 64 * MIB },
		{ "64 MiB", 64 * MIB }, { "10MB", 10000000 },
		{ "10GB", 10000000000ULL }, { "2GiB", 2 * GIB },
		{ "1TB", 1000000000000ULL }, { "1TiB", TIB },
		{ "007KiB", 7 * KIB },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615B", UINT64_MAX },
		{ "16777215TiB", 16777215 * TIB },
		{ "18446744073709551KB", 18446744073709551000ULL },
	};
	static const char *const bad[] = {
		"", "-1", "+1", " 64", "64 ", "64  MiB", "1.5GiB", "MiB",
		"64Mi", "64K", "64M", "64KiBs", "0x10", "1e3",
		"18446744073709551616",			/* 2^64 */
		"99999999999999999999999",
		"16777216TiB",				/* 2^64 */
		"18446744073709552KB",
		"18446744073709552TB",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		CHECK_INT(config_parse_size(good[i].s, &v), 0);
		if (v != good[i].v)
			fprintf(stderr, "size '%s'\n", good[i].s);
		CHECK(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_size(bad[i], &v) != MAMORI_EINVAL)
			fprintf(stderr, "size '%s' accepted\n", bad[i]);
		CHECK_INT(config_parse_size(bad[i], &v), MAMORI_EINVAL);
		CHECK_INT(v, 0);
	}
}

TEST(test_durations)
{
	static const struct {
		const char	*s;
		int64_t		 v;
	} good[] = {
		{ "0", 0 }, { "0s", 0 }, { "60", 60 * SEC }, { "50ms", 50 * MS },
		{ "1s", SEC }, { "60s", 60 * SEC }, { "1m", 60 * SEC },
		{ "1h", 3600 * SEC }, { "1d", 86400 * SEC },
		{ "2w", 14 * 86400 * SEC }, { "180d", 180 * 86400 * SEC },
		{ "1h30m", 5400 * SEC }, { "1m500ms", 60 * SEC + 500 * MS },
		{ "9223372036s", 9223372036 * SEC },
		{ "9223372036854ms", 9223372036854 * MS },
		{ "15250w", 15250LL * 7 * 86400 * SEC },
		{ "9223372036s854ms", 9223372036 * SEC + 854 * MS },
	};
	static const char *const bad[] = {
		"", "s", "ms", "-1s", "+1s", "1.5s", "1x", "1S", "1 s", " 1s",
		"1s ", "1h30", "60sec", "1y", "h1",
		"9223372037s",				/* > INT64_MAX ns */
		"9223372036855ms",
		"15251w",
		"15250w15250w",				/* sum overflows */
		"9223372036854775807",
		"99999999999999999999999s",
	};
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		CHECK_INT(config_parse_duration(good[i].s, &v), 0);
		if (v != good[i].v)
			fprintf(stderr, "duration '%s'\n", good[i].s);
		CHECK_INT(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_duration(bad[i], &v) != MAMORI_EINVAL)
			fprintf(stderr, "duration '%s' accepted\n", bad[i]);
		CHECK_INT(config_parse_duration(bad[i], &v), MAMORI_EINVAL);
		CHECK_INT(v, 0);
	}
}

TEST(test_listen_valid)
{
	static const struct {
		const char		*url;
		enum listen_proto	 proto;
		int			 relp_tls;
		const char		*host, *port;
		int			 http_tls;
	} good[] = {
		{ "udp://127.0.0.1:5514", LISTEN_UDP, 0,
		    "127.0.0.1", "5514", 0 },
		{ "tcp://0.0.0.0:514", LISTEN_TCP, 0, "0.0.0.0", "514", 0 },
		{ "tls://10.1.2.3:6514", LISTEN_TLS, 0,
		    "10.1.2.3", "6514", 0 },
		{ "relp://127.0.0.1:2514", LISTEN_RELP, 0, "127.0.0.1",
		    "2514", 0 },
		{ "relp+tls://127.0.0.1:2515", LISTEN_RELP, 1, "127.0.0.1",
		    "2515", 0 },
		{ "http://127.0.0.1:8081", LISTEN_HTTP, 0, "127.0.0.1",
		    "8081", 0 },
		{ "http://127.0.0.1", LISTEN_HTTP, 0, "127.0.0.1", "8080", 0 },
		{ "tcp://[::1]:10514", LISTEN_TCP, 0, "::1", "10514", 0 },
		{ "udp://[::]:514", LISTEN_UDP, 0, "::", "514", 0 },
		{ "udp://[2001:db8::5]:1", LISTEN_UDP, 0,
		    "2001:db8::5", "1", 0 },
		{ "udp://[fe80::1%eth0]:514", LISTEN_UDP, 0, "fe80::1%eth0",
		    "514", 0 },
		{ "http://[::1]", LISTEN_HTTP, 0, "::1", "8080", 0 },
		{ "https://127.0.0.1:8443", LISTEN_HTTP, 0, "127.0.0.1",
		    "8443", 1 },
		{ "https://[::]", LISTEN_HTTP, 0, "::", "8443", 1 },
		{ "HTTPS://console.example:443", LISTEN_HTTP, 0,
		    "console.example", "443", 1 },
		{ "tcp://localhost:65535", LISTEN_TCP, 0, "localhost",
		    "65535", 0 },
		{ "tcp://logs.example.org:514", LISTEN_TCP, 0,
		    "logs.example.org", "514", 0 },
		{ "tcp://log-1.example:514", LISTEN_TCP, 0, "log-1.example",
		    "514", 0 },
		{ "TCP://127.0.0.1:514", LISTEN_TCP, 0,
		    "127.0.0.1", "514", 0 },
		{ "udp://127.0.0.1:00514", LISTEN_UDP, 0,
		    "127.0.0.1", "514", 0 },
	};
	struct listener_conf l;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&l, 0xa5, sizeof(l));
		if (config_parse_listen(good[i].url, &l, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "'%s': %s\n", good[i].url, err);
			CHECK(0);
			continue;
		}
		CHECK_INT(l.proto, good[i].proto);
		CHECK_INT(l.relp_tls, good[i].relp_tls);
		CHECK_INT(l.http_tls, good[i].http_tls);
		CHECK_STR(l.host, good[i].host);
		CHECK_STR(l.port, good[i].port);
		CHECK_STR(l.url, good[i].url);
		CHECK(l.tls.cert == NULL && l.tls.key == NULL &&
		    l.tls.ca == NULL);
		CHECK_INT(l.line, 0);
		config_listener_release(&l);
		CHECK(l.host == NULL && l.url == NULL);
		config_listener_release(&l);
	}
}

TEST(test_listen_invalid)
{
	static const struct {
		const char	*url;
		const char	*why;
	} bad[] = {
		{ "", "empty listener URL" },
		{ "127.0.0.1:514", "expected scheme://host:port, such as "
		    "tcp://127.0.0.1:5514" },
		{ "ftp://127.0.0.1:21", "unknown scheme 'ftp' (expected udp, "
		    "tcp, tls, relp, relp+tls, http or https)" },
		{ "http+tls://127.0.0.1:443", "unknown scheme 'http+tls' "
		    "(expected udp, tcp, tls, relp, relp+tls, http or https)" },
		{ "udp://127.0.0.1", "missing port, as in "
		    "udp://127.0.0.1:5514" },
		{ "relp://[::1]", "missing port, as in relp://[::1]:2514" },
		{ "udp://127.0.0.1:", "missing port after ':'" },
		{ "udp://127.0.0.1:0", "port 0 is out of range 1..65535" },
		{ "udp://127.0.0.1:65536", "port 65536 is out of range "
		    "1..65535" },
		{ "udp://127.0.0.1:70000", "port 70000 is out of range "
		    "1..65535" },
		{ "udp://127.0.0.1:99999999999999999999", "port "
		    "99999999999999999999 is out of range 1..65535" },
		{ "udp://127.0.0.1:abc", "port 'abc' is not a number" },
		{ "udp://127.0.0.1:-1", "port '-1' is not a number" },
		{ "udp://127.0.0.1:+514", "port '+514' is not a number" },
		{ "udp://::1:514", "an IPv6 address goes in brackets, as in "
		    "udp://[::1]:5514" },
		{ "tcp://2001:db8::1:514", "an IPv6 address goes in brackets, "
		    "as in tcp://[::1]:5514" },
		{ "udp://host:514:1", "port '514:1' is not a number" },
		{ "udp://[::1:514", "missing ']' after the IPv6 address" },
		{ "udp://[::1]514", "unexpected '514' after the host" },
		{ "udp://[1.2.3.4]:514", "invalid IPv6 address '1.2.3.4'" },
		{ "udp://[::g]:514", "invalid IPv6 address '::g'" },
		{ "udp://[]:514", "missing host (use 0.0.0.0 or [::] for "
		    "every address)" },
		{ "udp://:514", "missing host (use 0.0.0.0 or [::] for every "
		    "address)" },
		{ "udp://300.1.1.1:514", "invalid IPv4 address '300.1.1.1'" },
		{ "udp://1.2.3:514", "invalid IPv4 address '1.2.3'" },
		{ "udp://-bad:514", "invalid host name '-bad'" },
		{ "udp://bad-.example:514", "invalid host name 'bad-.example'" },
		{ "udp://a..b:514", "invalid host name 'a..b'" },
		{ "udp://user@host:514", "invalid host name 'user@host'" },
		{ "udp://ho\033st:514", "invalid host name 'ho\\x1bst'" },
		{ "tcp://127.0.0.1:514/path", "unexpected '/path' after the "
		    "port" },
		{ "http://127.0.0.1/", "unexpected '/' after the host" },
		{ "https://127.0.0.1:8443/", "unexpected '/' after the port" },
	};
	struct listener_conf l;
	char err[256], longurl[1100];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 0xa5, sizeof(l));
		CHECK_INT(config_parse_listen(bad[i].url, &l, err,
		    sizeof(err)), MAMORI_EINVAL);
		CHECK_STR(err, bad[i].why);
		CHECK(l.host == NULL && l.port == NULL && l.url == NULL);
		CHECK(l.proto == 0 && l.relp_tls == 0 && l.http_tls == 0 &&
		    l.line == 0);
		config_listener_release(&l);
	}
	CHECK_INT(config_parse_listen(NULL, &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "empty listener URL");
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "tcp://", 6);
	CHECK_INT(config_parse_listen(longurl, &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "listener URL longer than 1024 bytes");
	/* A 63-byte label is the limit (RFC 1035). */
	CHECK_INT(config_parse_listen("tcp://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1", &l, err, sizeof(err)), 0);
	config_listener_release(&l);
	CHECK_INT(config_parse_listen("tcp://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	/* No err buffer is fine. */
	CHECK_INT(config_parse_listen("bad", &l, NULL, 0), MAMORI_EINVAL);
}

TEST(test_set_listeners)
{
	struct config c, before;
	char *urls[] = { "tls://[::]:6514", "udp://0.0.0.0:514",
	    "relp+tls://127.0.0.1:2515" };
	char *bad[] = { "udp://0.0.0.0:514", "tcp://nowhere" };
	char err[256];

	CHECK_INT(config_init(&c), 0);
	c.tls.cert = strdup("/x/server.crt");
	c.tls.key = strdup("/x/server.key");
	c.tls.verify_client = TLS_VERIFY_OPTIONAL;
	CHECK_INT(config_set_listeners(&c, urls, 3, err, sizeof(err)), 0);
	CHECK_INT(c.listeners_default, 0);
	CHECK_INT(c.nlisteners, 3);
	if (c.nlisteners == 3) {
		CHECK_INT(c.listeners[0].proto, LISTEN_TLS);
		CHECK_STR(c.listeners[0].host, "::");
		CHECK_STR(c.listeners[0].tls.cert, "/x/server.crt");
		CHECK_STR(c.listeners[0].tls.key, "/x/server.key");
		CHECK(c.listeners[0].tls.cert != c.tls.cert);
		CHECK_INT(c.listeners[0].tls.verify_client,
		    TLS_VERIFY_OPTIONAL);
		CHECK(c.listeners[1].tls.cert == NULL);
		CHECK_INT(c.listeners[2].relp_tls, 1);
		CHECK_STR(c.listeners[2].tls.cert, "/x/server.crt");
	}

	/* A bad URL leaves the listeners as they were. */
	CHECK_INT(config_init(&before), 0);
	before.tls.cert = strdup("/x/server.crt");
	before.tls.key = strdup("/x/server.key");
	before.tls.verify_client = TLS_VERIFY_OPTIONAL;
	CHECK_INT(config_set_listeners(&before, urls, 3, err, sizeof(err)),
	    0);
	CHECK_INT(config_set_listeners(&c, bad, 2, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "listener 'tcp://nowhere': missing port, as in "
	    "tcp://nowhere:5514");
	CHECK_INT(config_set_listeners(&c, bad, 0, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "no listener URLs given");
	CHECK(config_equal(&c, &before));

	/* Loading a file with tls.cert after --listen adds no listener. */
	CHECK_INT(config_load(&c, write_temp("tls:\n  cert: /y.crt\n"), err,
	    sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 3);
	CHECK_INT(c.listeners_default, 0);
	config_release(&before);
	config_release(&c);
}

TEST(test_default_tls_listener)
{
	struct config c;
	char err[512];

	/* tls.cert in the file adds tls://127.0.0.1:6514 to the defaults. */
	CHECK_INT(load_text(&c, "tls:\n  cert: /a/s.crt\n  key: /a/s.key\n"
	    "  verify_client: optional\n", err, sizeof(err)), 0);
	CHECK_INT(c.listeners_default, 1);
	CHECK_INT(c.nlisteners, 5);
	if (c.nlisteners == 5) {
		CHECK_STR(c.listeners[4].url, "tls://127.0.0.1:6514");
		CHECK_INT(c.listeners[4].proto, LISTEN_TLS);
		CHECK_STR(c.listeners[4].tls.cert, "/a/s.crt");
		CHECK_STR(c.listeners[4].tls.key, "/a/s.key");
		CHECK_INT(c.listeners[4].tls.verify_client,
		    TLS_VERIFY_OPTIONAL);
		CHECK(c.listeners[0].tls.cert == NULL);
		/* The console stays plain http unless asked for https. */
		CHECK_INT(c.listeners[3].proto, LISTEN_HTTP);
		CHECK(c.listeners[3].tls.cert == NULL);
	}
	/* A second load keeps one default TLS listener, not two. */
	CHECK_INT(config_load(&c, write_temp("pipeline:\n  workers: 3\n"),
	    err, sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 5);
	config_release(&c);

	/* Without tls.cert: the four plain defaults. */
	CHECK_INT(load_text(&c, "pipeline:\n  workers: 3\n", err,
	    sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 4);
	CHECK_INT(c.listeners_default, 1);
	config_release(&c);

	/* An explicit listeners: list replaces the defaults entirely. */
	CHECK_INT(load_text(&c, "tls:\n  cert: /a/s.crt\n  key: /a/s.key\n"
	    "listeners:\n  - url: tcp://127.0.0.1:1514\n", err, sizeof(err)),
	    0);
	CHECK_INT(c.nlisteners, 1);
	CHECK_INT(c.listeners_default, 0);
	CHECK_STR(c.listeners[0].url, "tcp://127.0.0.1:1514");
	config_release(&c);

	/* tls.cert without tls.key: the default TLS listener cannot run. */
	CHECK_INT(load_text(&c, "# TLS\ntls:\n  cert: /a/s.crt\n", err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":3: listener 'tls://127.0.0.1:6514': needs "
	    "tls.key") != NULL);
	config_release(&c);
}

TEST(test_full_file)
{
	struct config c;
	char err[1024], yaml[4096];
	const char *cert, *key, *ca, *ca2, *path;

	cert = fake_pem();
	key = fake_pem();
	ca = fake_pem();
	ca2 = fake_pem();
	snprintf(yaml, sizeof(yaml),
	    "# every setting\n"
	    "server:\n"
	    "  data_dir: /srv/mamori\n"
	    "  user: logs\n"
	    "  stats_interval: 5m\n"
	    "listeners:\n"
	    "  - url: udp://0.0.0.0:514\n"
	    "  - tcp://[::]:514\n"
	    "  - url: relp+tls://127.0.0.1:2515\n"
	    "  - url: tls://0.0.0.0:6514\n"
	    "    tls: { ca: '%s', verify_client: required }\n"
	    "  - url: http://127.0.0.1\n"
	    "input:\n"
	    "  max_message_size: 16MiB\n"
	    "  timezone: +09:00\n"
	    "  clock_skew_threshold: 2m\n"
	    "  clock_skew_window: 2s\n"
	    "  clock_report_interval: 30m\n"
	    "pipeline:\n"
	    "  queue_size: 16\n"
	    "  queue_memory: 1GiB\n"
	    "  workers: 64\n"
	    "storage:\n"
	    "  segment_size: 128MiB\n"
	    "  segment_max_age: 12h\n"
	    "  retention: 1w\n"
	    "  retention_size: 10GB\n"
	    "  fsync_interval: 0\n"
	    "  compression_level: 19\n"
	    "  seal_key: \"/etc/mamori keys/seal.key\"\n"
	    "tls:\n"
	    "  cert: %s\n"
	    "  key: %s\n"
	    "  ca: %s\n"
	    "  verify_client: optional\n", ca2, cert, key, ca);
	path = write_temp(yaml);
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_load(&c, path, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.path, path);
	CHECK_STR(c.data_dir, "/srv/mamori");
	CHECK_STR(c.user, "logs");
	CHECK_INT(c.stats_interval_ns, 300 * SEC);
	CHECK_INT(c.max_message, 16 * MIB);
	CHECK_INT(c.tz_local, 0);
	CHECK_INT(c.tz_min, 9 * 60);
	CHECK_INT(c.skew_threshold_ns, 120 * SEC);
	CHECK_INT(c.skew_window_ns, 2 * SEC);
	CHECK_INT(c.skew_report_ns, 1800 * SEC);
	CHECK_INT(c.queue_events, 16);
	CHECK_INT(c.queue_bytes, GIB);
	CHECK_INT(c.workers, 64);
	CHECK_INT(c.segment_bytes, 128 * MIB);
	CHECK_INT(c.segment_age_ns, 12 * 3600 * SEC);
	CHECK_INT(c.retention_ns, 7 * 86400 * SEC);
	CHECK(c.retention_bytes == 10000000000ULL);
	CHECK_INT(c.fsync_interval_ns, 0);
	CHECK_INT(c.zstd_level, 19);
	CHECK_STR(c.seal_key, "/etc/mamori keys/seal.key");
	CHECK_STR(c.tls.cert, cert);
	CHECK_STR(c.tls.key, key);
	CHECK_STR(c.tls.ca, ca);
	CHECK_INT(c.tls.verify_client, TLS_VERIFY_OPTIONAL);
	CHECK_INT(c.listeners_default, 0);
	CHECK_INT(c.nlisteners, 5);
	if (c.nlisteners == 5) {
		CHECK_INT(c.listeners[0].proto, LISTEN_UDP);
		CHECK_STR(c.listeners[0].host, "0.0.0.0");
		CHECK_STR(c.listeners[0].port, "514");
		CHECK_INT(c.listeners[0].line, 7);
		CHECK(c.listeners[0].tls.cert == NULL);
		CHECK_STR(c.listeners[1].url, "tcp://[::]:514");
		CHECK_STR(c.listeners[1].host, "::");
		CHECK_INT(c.listeners[1].line, 8);
		/* relp+tls takes the tls: section, which comes later. */
		CHECK_INT(c.listeners[2].proto, LISTEN_RELP);
		CHECK_INT(c.listeners[2].relp_tls, 1);
		CHECK_STR(c.listeners[2].tls.cert, cert);
		CHECK_STR(c.listeners[2].tls.ca, ca);
		CHECK_INT(c.listeners[2].tls.verify_client,
		    TLS_VERIFY_OPTIONAL);
		/* The override replaces ca and verify_client only. */
		CHECK_INT(c.listeners[3].proto, LISTEN_TLS);
		CHECK_INT(c.listeners[3].line, 10);
		CHECK_STR(c.listeners[3].tls.cert, cert);
		CHECK_STR(c.listeners[3].tls.key, key);
		CHECK_STR(c.listeners[3].tls.ca, ca2);
		CHECK_INT(c.listeners[3].tls.verify_client,
		    TLS_VERIFY_REQUIRED);
		CHECK_INT(c.listeners[4].proto, LISTEN_HTTP);
		CHECK_STR(c.listeners[4].port, "8080");
	}
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	config_release(&c);
	config_release(&c);
}

TEST(test_timezones)
{
	static const struct {
		const char	*zone;
		int		 local, min;
	} good[] = {
		{ "local", 1, 0 }, { "LOCAL", 1, 0 }, { "UTC", 0, 0 },
		{ "utc", 0, 0 }, { "Z", 0, 0 }, { "+00:00", 0, 0 },
		{ "+09:00", 0, 540 }, { "-05:30", 0, -330 },
		{ "+0545", 0, 345 }, { "+14:00", 0, 840 },
		{ "-12:00", 0, -720 }, { "'-03:30'", 0, -210 },
	};
	struct config c;
	char err[512], yaml[256];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(yaml, sizeof(yaml), "input:\n  timezone: %s\n",
		    good[i].zone);
		if (load_text(&c, yaml, err, sizeof(err)) != 0) {
			fprintf(stderr, "zone %s: %s\n", good[i].zone, err);
			CHECK(0);
		}
		CHECK_INT(c.tz_local, good[i].local);
		CHECK_INT(c.tz_min, good[i].min);
		config_release(&c);
	}
}

TEST(test_errors)
{
	/* Syntax. */
	EXPECT_ERROR("server:\n  data_dir: [\n",
	    ":3: YAML syntax error: did not find expected node content "
	    "(while parsing a flow node on line 3)");
	EXPECT_ERROR("server:\n  data_dir: x\n user: y\n",
	    ":3: YAML syntax error: did not find expected key (while "
	    "parsing a block mapping on line 1)");
	EXPECT_ERROR("server:\n  data_dir: x\n   user: y\n",
	    ":3: YAML syntax error: mapping values are not allowed in this "
	    "context");
	EXPECT_ERROR("server:\n\tdata_dir: x\n",
	    ":2: YAML syntax error: found character that cannot start any "
	    "token (a tab: YAML indents with spaces only)");
	EXPECT_ERROR("server:\n  data_dir: \"abc\n",
	    ":3: YAML syntax error: found unexpected end of stream (while "
	    "scanning a quoted scalar on line 2)");
	EXPECT_ERROR("server:\n  data_dir: \xff\n",
	    ":2: YAML syntax error: invalid leading UTF-8 octet (byte 0xff)");
	EXPECT_ERROR("server:\n  data_dir: *nowhere\n",
	    ":2: YAML syntax error: found undefined alias");
	EXPECT_ERROR("---\nserver: {}\n---\nserver: {}\n",
	    ":4: only one YAML document is allowed");

	/* Shape. */
	EXPECT_ERROR("- server\n- storage\n",
	    ":1: expected a mapping of sections (server:, listeners:, input:, "
	    "pipeline:, storage:, tls:, rules:, incidents:, notify:, respond:, "
	    "sensor:, web:, agents:), "
	    "got a list");
	EXPECT_ERROR("just words\n",
	    ":1: expected a mapping of sections (server:, listeners:, input:, "
	    "pipeline:, storage:, tls:, rules:, incidents:, notify:, respond:, "
	    "sensor:, web:, agents:), "
	    "got a value");
	EXPECT_ERROR("storage: 5\n",
	    ":1: setting 'storage': expected a mapping of settings, got a "
	    "value");
	EXPECT_ERROR("storage:\n  - segment_size\n",
	    ":2: setting 'storage': expected a mapping of settings, got a "
	    "list");
	EXPECT_ERROR("storage:\n  segment_size:\n    a: 1\n",
	    ":3: setting 'storage.segment_size': expected a size such as "
	    "64MiB, got a mapping");
	EXPECT_ERROR("pipeline:\n  workers: [1, 2]\n",
	    ":2: setting 'pipeline.workers': expected a whole number, got a "
	    "list");
	EXPECT_ERROR("? [a, b]\n: 1\n",
	    ":1: expected a section name, got a list");
	EXPECT_ERROR("storage:\n  ? {a: 1}\n  : 2\n",
	    ":2: expected a setting name in 'storage', got a mapping");

	/* Unknown names. */
	EXPECT_ERROR("pipeline:\n  workers: 4\nstorage:\n  segmnt_size: 1MiB\n",
	    ":4: unknown setting 'storage.segmnt_size' (did you mean "
	    "'storage.segment_size'?)");
	EXPECT_ERROR("storage:\n  segmnet_size: 1MiB\n",
	    ":2: unknown setting 'storage.segmnet_size' (did you mean "
	    "'storage.segment_size'?)");
	EXPECT_ERROR("storage:\n  retension: 1d\n",
	    ":2: unknown setting 'storage.retension' (did you mean "
	    "'storage.retention'?)");
	EXPECT_ERROR("storage:\n  frobnicate: 1\n",
	    ":2: unknown setting 'storage.frobnicate'");
	EXPECT_ERROR("storage:\n  workers: 4\n",
	    ":2: unknown setting 'storage.workers' (did you mean "
	    "'pipeline.workers'?)");
	EXPECT_ERROR("storag:\n  retention: 1d\n",
	    ":1: unknown section 'storag' (did you mean 'storage'?)");
	EXPECT_ERROR("logging:\n  level: debug\n",
	    ":1: unknown section 'logging'");
	EXPECT_ERROR("server:\n  \"data\\e_dir\": 1\n",
	    ":2: unknown setting 'server.data\\x1b_dir' (did you mean "
	    "'server.data_dir'?)");

	/* Duplicates. */
	EXPECT_ERROR("pipeline:\n  workers: 2\n  queue_size: 64\n  workers: 3\n",
	    ":4: setting 'pipeline.workers': duplicate key (first given on "
	    "line 2)");
	EXPECT_ERROR("pipeline:\n  workers: 2\npipeline:\n  workers: 3\n",
	    ":3: setting 'pipeline': duplicate key (first given on line 1)");

	/* Values. */
	EXPECT_ERROR("storage:\n  segment_size: big\n",
	    ":2: setting 'storage.segment_size': expected a size such as "
	    "64MiB, got 'big'");
	EXPECT_ERROR("storage:\n  segment_size: 64M\n",
	    ":2: setting 'storage.segment_size': expected a size such as "
	    "64MiB, got '64M'");
	EXPECT_ERROR("storage:\n  segment_size: 99999999999TiB\n",
	    ":2: setting 'storage.segment_size': must be between 4KiB and "
	    "1TiB, got '99999999999TiB'");
	EXPECT_ERROR("storage:\n  retention_size: 16384PiB\n",
	    ":2: setting 'storage.retention_size': expected a size such as "
	    "64MiB, got '16384PiB'");
	EXPECT_ERROR("storage:\n  retention_size: 16777216TiB\n",
	    ":2: setting 'storage.retention_size': '16777216TiB' is too "
	    "large");
	EXPECT_ERROR("storage:\n  segment_size: 1KiB\n",
	    ":2: setting 'storage.segment_size': must be between 4KiB and "
	    "1TiB, got '1KiB'");
	EXPECT_ERROR("storage:\n  segment_size:\n",
	    ":2: setting 'storage.segment_size': expected a size such as "
	    "64MiB, got nothing");
	EXPECT_ERROR("input:\n  max_message_size: 1023\n",
	    ":2: setting 'input.max_message_size': must be between 1KiB and "
	    "16MiB, got '1023'");
	EXPECT_ERROR("input:\n  max_message_size: 16777217\n",
	    ":2: setting 'input.max_message_size': must be between 1KiB and "
	    "16MiB, got '16777217'");
	EXPECT_ERROR("pipeline:\n  workers: 0\n",
	    ":2: setting 'pipeline.workers': must be between 1 and 64, got "
	    "'0'");
	EXPECT_ERROR("pipeline:\n  workers: 65\n",
	    ":2: setting 'pipeline.workers': must be between 1 and 64, got "
	    "'65'");
	EXPECT_ERROR("pipeline:\n  workers: two\n",
	    ":2: setting 'pipeline.workers': expected a whole number, got "
	    "'two'");
	EXPECT_ERROR("pipeline:\n  workers: -1\n",
	    ":2: setting 'pipeline.workers': expected a whole number, got "
	    "'-1'");
	EXPECT_ERROR("pipeline:\n  workers: 99999999999999999999999\n",
	    ":2: setting 'pipeline.workers': must be between 1 and 64, got "
	    "'99999999999999999999999'");
	EXPECT_ERROR("pipeline:\n  queue_size: 15\n",
	    ":2: setting 'pipeline.queue_size': must be between 16 and "
	    "16777216, got '15'");
	EXPECT_ERROR("pipeline:\n  queue_memory: 1000\n",
	    ":2: setting 'pipeline.queue_memory': must be at least 1KiB, "
	    "got '1000'");
	EXPECT_ERROR("input:\n  clock_skew_window: 0s\n",
	    ":2: setting 'input.clock_skew_window': must be at least 1s, "
	    "got '0s'");
	EXPECT_ERROR("storage:\n  compression_level: 0\n",
	    ":2: setting 'storage.compression_level': must be between 1 and "
	    "19, got '0'");
	EXPECT_ERROR("storage:\n  compression_level: 20\n",
	    ":2: setting 'storage.compression_level': must be between 1 and "
	    "19, got '20'");
	EXPECT_ERROR("server:\n  stats_interval: 0s\n",
	    ":2: setting 'server.stats_interval': must be at least 1s, got "
	    "'0s'");
	EXPECT_ERROR("server:\n  stats_interval: soon\n",
	    ":2: setting 'server.stats_interval': expected a duration such "
	    "as 60s, got 'soon'");
	EXPECT_ERROR("storage:\n  retention: 0\n",
	    ":2: setting 'storage.retention': must be at least 1s, got '0'");
	EXPECT_ERROR("storage:\n  retention: 99999999w\n",
	    ":2: setting 'storage.retention': '99999999w' is too large (the "
	    "limit is 15250w, about 292 years)");
	EXPECT_ERROR("storage:\n  segment_max_age: 500ms\n",
	    ":2: setting 'storage.segment_max_age': must be at least 1s, got "
	    "'500ms'");
	EXPECT_ERROR("input:\n  clock_skew_threshold: 0\n",
	    ":2: setting 'input.clock_skew_threshold': must be at least 1ms, "
	    "got '0'");
	EXPECT_ERROR("input:\n  clock_report_interval: 0s\n",
	    ":2: setting 'input.clock_report_interval': must be at least 1s, "
	    "got '0s'");
	EXPECT_ERROR("input:\n  timezone: JST\n",
	    ":2: setting 'input.timezone': expected local, UTC or an offset "
	    "such as +09:00, got 'JST'");
	EXPECT_ERROR("input:\n  timezone: +15:00\n",
	    ":2: setting 'input.timezone': expected local, UTC or an offset "
	    "such as +09:00, got '+15:00'");
	EXPECT_ERROR("input:\n  timezone: +09:60\n",
	    ":2: setting 'input.timezone': expected local, UTC or an offset "
	    "such as +09:00, got '+09:60'");
	EXPECT_ERROR("input:\n  timezone: 09:00\n",
	    ":2: setting 'input.timezone': expected local, UTC or an offset "
	    "such as +09:00, got '09:00'");
	EXPECT_ERROR("tls:\n  verify_client: maybe\n",
	    ":2: setting 'tls.verify_client': expected none, optional or "
	    "required, got 'maybe'");
	EXPECT_ERROR("server:\n  data_dir: \"\"\n",
	    ":2: setting 'server.data_dir': expected a directory path, got "
	    "nothing");
	EXPECT_ERROR("server:\n  user: ~\n",
	    ":2: setting 'server.user': expected a user name, got nothing");
	EXPECT_ERROR("server:\n  data_dir: \"a\\0b\"\n",
	    ":2: setting 'server.data_dir': expected a directory path, got a "
	    "value with a NUL byte");

	/* Across settings. */
	EXPECT_ERROR("storage:\n  retention_size: 10MiB\n",
	    ":2: setting 'storage.retention_size': must be 0 (no limit) or "
	    "at least storage.segment_size (64MiB), got 10MiB");
	EXPECT_ERROR("storage:\n  retention_size: 100MiB\n"
	    "  segment_size: 1GiB\n",
	    ":2: setting 'storage.retention_size': must be 0 (no limit) or "
	    "at least storage.segment_size (1GiB), got 100MiB");
	EXPECT_ERROR("pipeline:\n  queue_memory: 1MiB\n"
	    "input:\n  max_message_size: 2MiB\n",
	    ":2: setting 'pipeline.queue_memory': must be at least "
	    "input.max_message_size (2MiB), got 1MiB");

	/* Listeners. */
	EXPECT_ERROR("listeners:\n",
	    ":1: setting 'listeners': expected a list of listeners, got "
	    "nothing (remove the key to keep the defaults)");
	EXPECT_ERROR("listeners: []\n",
	    ":1: setting 'listeners': no listeners configured");
	EXPECT_ERROR("listeners:\n  url: udp://127.0.0.1:514\n",
	    ":2: setting 'listeners': expected a list of listeners, got a "
	    "mapping");
	EXPECT_ERROR("listeners:\n  - url: udp://127.0.0.1:514\n"
	    "  - url: ftp://127.0.0.1:21\n",
	    ":3: setting 'listeners[1].url': unknown scheme 'ftp' (expected "
	    "udp, tcp, tls, relp, relp+tls, http or https)");
	EXPECT_ERROR("listeners:\n  - udp://127.0.0.1:0\n",
	    ":2: setting 'listeners[0]': port 0 is out of range 1..65535");
	EXPECT_ERROR("listeners:\n  - url: tcp://[::1]\n",
	    ":2: setting 'listeners[0].url': missing port, as in "
	    "tcp://[::1]:5514");
	EXPECT_ERROR("listeners:\n  - urll: udp://127.0.0.1:514\n",
	    ":2: unknown setting 'listeners[0].urll' (did you mean "
	    "'listeners[0].url'?)");
	EXPECT_ERROR("listeners:\n  - port: 514\n",
	    ":2: unknown setting 'listeners[0].port'");
	EXPECT_ERROR("listeners:\n  - url: udp://127.0.0.1:514\n"
	    "  - tls:\n      cert: /a\n",
	    ":3: setting 'listeners[1]': missing 'url'");
	EXPECT_ERROR("listeners:\n  - url: udp://127.0.0.1:514\n"
	    "    url: udp://127.0.0.1:515\n",
	    ":3: setting 'listeners[0].url': duplicate key (first given on "
	    "line 2)");
	EXPECT_ERROR("listeners:\n  - url:\n      a: b\n",
	    ":3: setting 'listeners[0].url': expected a listener URL such as "
	    "tcp://127.0.0.1:5514, got a mapping");
	EXPECT_ERROR("listeners:\n  - [udp://127.0.0.1:514]\n",
	    ":2: setting 'listeners[0]': expected a listener URL or a mapping "
	    "with url:, got a list");
	EXPECT_ERROR("listeners:\n  - url: udp://127.0.0.1:514\n"
	    "    tls: { cert: /a }\n",
	    ":3: setting 'listeners[0].tls': only tls://, relp+tls:// and "
	    "https:// listeners use TLS");
	EXPECT_ERROR("listeners:\n  - url: tls://127.0.0.1:6514\n"
	    "    tls: { crt: /a }\n",
	    ":3: unknown setting 'listeners[0].tls.crt' (did you mean "
	    "'listeners[0].tls.cert'?)");
	EXPECT_ERROR("listeners:\n  - url: tls://127.0.0.1:6514\n"
	    "    tls: { verify_client: always }\n",
	    ":3: setting 'listeners[0].tls.verify_client': expected none, "
	    "optional or required, got 'always'");
	EXPECT_ERROR("listeners:\n  - url: tls://127.0.0.1:6514\n"
	    "    tls: /etc/tls\n",
	    ":3: setting 'listeners[0].tls': expected a mapping of settings, "
	    "got a value");
	EXPECT_ERROR("listeners:\n  - udp://127.0.0.1:514\n"
	    "  - url: tls://0.0.0.0:6514\n",
	    ":3: listener 'tls://0.0.0.0:6514': needs tls.cert and tls.key");
	EXPECT_ERROR("tls:\n  key: /a.key\nlisteners:\n"
	    "  - url: tls://0.0.0.0:6514\n",
	    ":4: listener 'tls://0.0.0.0:6514': needs tls.cert");
	EXPECT_ERROR("listeners:\n  - url: tls://0.0.0.0:6514\n"
	    "    tls:\n      cert: /a.crt\n      key: /a.key\n"
	    "      verify_client: required\n",
	    ":2: listener 'tls://0.0.0.0:6514': tls.verify_client is "
	    "required but tls.ca is not set");
	EXPECT_ERROR("listeners:\n  - tcp://127.0.0.1:514\n"
	    "  - udp://127.0.0.1:514\n  - relp://127.0.0.1:514\n",
	    ":4: listeners 'tcp://127.0.0.1:514' and 'relp://127.0.0.1:514' "
	    "both bind TCP 127.0.0.1 port 514");
}

/* A failed load changes nothing, even when the error is at the end. */
TEST(test_nothing_half_applied)
{
	struct config c, ref;
	const char *good, *bad;
	char err[512];

	good = write_temp("server:\n  data_dir: /first\n"
	    "tls:\n  cert: /c.crt\n  key: /c.key\n");
	bad = write_temp("server:\n  data_dir: /second\n  user: other\n"
	    "pipeline:\n  workers: 9\n"
	    "listeners:\n  - tcp://127.0.0.1:9999\n"
	    "tls:\n  cert: /other.crt\n"
	    "storage:\n  compression_level: 3\n  compression_level: 4\n");
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_init(&ref), 0);
	CHECK_INT(config_load(&c, good, err, sizeof(err)), 0);
	CHECK_INT(config_load(&ref, good, err, sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 5);
	CHECK_INT(config_load(&c, bad, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":12: setting 'storage.compression_level': "
	    "duplicate key (first given on line 11)") != NULL);
	CHECK(config_equal(&c, &ref));
	CHECK_STR(c.path, good);
	CHECK_STR(c.data_dir, "/first");
	CHECK_INT(c.workers, 2);
	CHECK_INT(c.nlisteners, 5);

	/* The same with a check across settings failing last. */
	bad = write_temp("server:\n  data_dir: /second\n"
	    "storage:\n  retention_size: 1MiB\n");
	CHECK_INT(config_load(&c, bad, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(config_equal(&c, &ref));
	config_release(&c);
	config_release(&ref);
}

TEST(test_file_errors)
{
	struct config c, ref;
	char err[512], want[512], *dir;

	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_init(&ref), 0);
	errno = 0;
	CHECK_INT(config_load(&c, "/nonexistent/mamori.yaml", err,
	    sizeof(err)), MAMORI_ESYS);
	CHECK_INT(errno, ENOENT);
	CHECK_STR(err, "/nonexistent/mamori.yaml: cannot read: No such file "
	    "or directory");
	CHECK(config_equal(&c, &ref));

	dir = strdup(tmpdir());
	CHECK_INT(config_load(&c, dir, err, sizeof(err)), MAMORI_ESYS);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
	CHECK_STR(err, want);
	CHECK(config_equal(&c, &ref));
	free(dir);

	/* Empty files and comments alone are the defaults. */
	CHECK_INT(config_load(&c, write_temp(""), err, sizeof(err)), 0);
	CHECK(c.path != NULL);
	free(ref.path);
	ref.path = strdup(c.path);
	CHECK(config_equal(&c, &ref));
	CHECK_INT(config_load(&c, write_temp("# nothing\n---\n"), err,
	    sizeof(err)), 0);
	CHECK_INT(config_load(&c, write_temp("server:\n# all commented\n"
	    "storage:\n"), err, sizeof(err)), 0);
	CHECK_INT(c.workers, 2);
	CHECK_INT(c.nlisteners, 4);
	config_release(&c);
	config_release(&ref);
}

TEST(test_check)
{
	struct config c;
	char err[1024], want[1024], yaml[1024];
	const char *cert, *key, *ca, *path;
	char *urls[] = { "tls://127.0.0.1:6514" };

	cert = fake_pem();
	key = fake_pem();
	ca = fake_pem();

	/* Readable files pass. */
	snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s\n"
	    "  ca: %s\n  verify_client: required\n", cert, key, ca);
	CHECK_INT(load_text(&c, yaml, err, sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 5);
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	config_release(&c);

	/* A missing key file names the listener and the file. */
	snprintf(yaml, sizeof(yaml), "listeners:\n  - udp://127.0.0.1:514\n"
	    "  - url: tls://0.0.0.0:6514\n    tls:\n      cert: %s\n"
	    "      key: /nonexistent/server.key\n", cert);
	path = write_temp(yaml);
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_load(&c, path, err, sizeof(err)), 0);
	CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	snprintf(want, sizeof(want), "%s:3: listener 'tls://0.0.0.0:6514': "
	    "cannot read tls.key '/nonexistent/server.key': No such file or "
	    "directory", path);
	CHECK_STR(err, want);
	config_release(&c);

	/* A directory is not a certificate. */
	snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s\n",
	    tmpdir(), key);
	path = write_temp(yaml);
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_load(&c, path, err, sizeof(err)), 0);
	CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	snprintf(want, sizeof(want), "%s: listener 'tls://127.0.0.1:6514': "
	    "cannot read tls.cert '%s': not a regular file", path, tmpdir());
	CHECK_STR(err, want);
	config_release(&c);

	/* --listen tls:// without any tls: section. */
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_set_listeners(&c, urls, 1, err, sizeof(err)), 0);
	CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "listener 'tls://127.0.0.1:6514': needs tls.cert and "
	    "tls.key");
	config_release(&c);

	/* Settings changed by code rather than a file are checked too. */
	CHECK_INT(config_init(&c), 0);
	c.retention_bytes = 1;
	CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "setting 'storage.retention_size': must be 0 (no "
	    "limit) or at least storage.segment_size (64MiB), got 1B");
	c.retention_bytes = 0;
	free(c.data_dir);
	c.data_dir = strdup("");
	CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "setting 'server.data_dir' is empty");
	config_release(&c);

	/* Unreadable files, where permissions apply (not as root). */
	if (geteuid() != 0) {
		chmod(key, 0);
		snprintf(yaml, sizeof(yaml), "tls:\n  cert: %s\n  key: %s\n",
		    cert, key);
		CHECK_INT(load_text(&c, yaml, err, sizeof(err)), 0);
		CHECK_INT(config_check(&c, err, sizeof(err)), MAMORI_ECONFIG);
		CHECK(strstr(err, "cannot read tls.key") != NULL);
		CHECK(strstr(err, ": Permission denied") != NULL);
		config_release(&c);
	}
}

TEST(test_default_key)
{
	char *k, *save_key, *save_xdg, *save_home, want[512];
	const char *e;

	e = getenv("MAMORI_SEAL_KEY");
	save_key = e != NULL ? strdup(e) : NULL;
	e = getenv("XDG_CONFIG_HOME");
	save_xdg = e != NULL ? strdup(e) : NULL;
	e = getenv("HOME");
	save_home = e != NULL ? strdup(e) : NULL;

	setenv("MAMORI_SEAL_KEY", "/keys/seal.key", 1);
	k = config_default_key();
	CHECK_STR(k, "/keys/seal.key");
	free(k);

	unsetenv("MAMORI_SEAL_KEY");
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/someone", 1);
	k = config_default_key();
	CHECK_STR(k, geteuid() == 0 ? "/etc/mamori/seal.key" :
	    "/xdg/mamori/seal.key");
	free(k);

	/* A relative XDG_CONFIG_HOME is ignored, as the spec says. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	k = config_default_key();
	CHECK_STR(k, geteuid() == 0 ? "/etc/mamori/seal.key" :
	    "/home/someone/.config/mamori/seal.key");
	free(k);

	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	k = config_default_key();
	CHECK(k != NULL && k[0] == '/');
	if (geteuid() != 0 && getpwuid(geteuid()) != NULL &&
	    getpwuid(geteuid())->pw_dir[0] == '/') {
		snprintf(want, sizeof(want), "%s/.config/mamori/seal.key",
		    getpwuid(geteuid())->pw_dir);
		CHECK_STR(k, want);
	}
	free(k);

	if (save_key != NULL)
		setenv("MAMORI_SEAL_KEY", save_key, 1);
	if (save_xdg != NULL)
		setenv("XDG_CONFIG_HOME", save_xdg, 1);
	if (save_home != NULL)
		setenv("HOME", save_home, 1);
	free(save_key);
	free(save_xdg);
	free(save_home);
}

/* etc/mamori.yaml loads, passes the checks, and shows the defaults. */
TEST(test_sample)
{
	struct config c, def;
	char err[1024], path[4096];
	const char *src = getenv("MAMORI_SRC");
	size_t i;

	if (src != NULL)
		snprintf(path, sizeof(path), "%s/etc/mamori.yaml", src);
	else		/* run by hand: find it from this file's path */
		snprintf(path, sizeof(path), "%.*s/../../etc/mamori.yaml",
		    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(config_init(&def), 0);
	if (config_load(&c, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CHECK(0);
	}
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	CHECK_STR(c.path, path);
	/* The sample lists the default listeners explicitly. */
	CHECK_INT(c.listeners_default, 0);
	CHECK_INT(c.nlisteners, def.nlisteners);
	for (i = 0; i < c.nlisteners && i < def.nlisteners; i++) {
		CHECK_STR(c.listeners[i].url, def.listeners[i].url);
		c.listeners[i].line = 0;
	}
	c.listeners_default = 1;
	free(def.path);
	def.path = strdup(path);
	CHECK(config_equal(&c, &def));
	config_release(&c);
	config_release(&def);
}

/* The sensor: section (src/net/net-conf.c). */
static void
test_sensor_section(void)
{
	struct config c;
	char err[1024];

	CHECK_INT(load_text(&c, "sensor:\n  interfaces: [eth0, {name: eth1, "
	    "bpf: \"not port 22\"}]\n  bpf: \"ip\"\n  signatures: false\n"
	    "  conn_log: no\n  hostname: border\n  vars:\n"
	    "    HOME_NET: \"[192.0.2.0/24]\"\n  flows:\n    max_flows: 4096\n"
	    "    udp_timeout: 2m\n  detect:\n    report_delay: 5s\n",
	    err, sizeof(err)), 0);
	CHECK_INT(c.sensor->enabled, 1);
	CHECK_INT((int)c.sensor->nifaces, 2);
	CHECK_STR(c.sensor->ifaces[0].name, "eth0");
	CHECK(c.sensor->ifaces[0].bpf == NULL);
	CHECK_STR(c.sensor->ifaces[1].bpf, "not port 22");
	CHECK_STR(c.sensor->bpf, "ip");
	CHECK_INT(c.sensor->signatures, 0);
	CHECK_INT(c.sensor->conn_log, 0);
	CHECK_STR(c.sensor->hostname, "border");
	CHECK_STR(net_sig_vars_get(c.sensor->vars, "HOME_NET"),
	    "[192.0.2.0/24]");
	CHECK_INT((int)c.sensor->flows.max_flows, 4096);
	CHECK(c.sensor->flows.udp_timeout_ns == 120LL * 1000000000LL);
	config_release(&c);

	/* Defaults: no capture. */
	CHECK_INT(config_init(&c), 0);
	CHECK_INT(c.sensor->enabled, 0);
	CHECK_INT(c.sensor->signatures, 1);
	CHECK_INT(c.sensor->conn_log, 1);
	config_release(&c);

	EXPECT_ERROR("sensor:\n  interface: [eth0]\n",
	    ":2: unknown setting 'sensor.interface' (did you mean "
	    "'interfaces'?)");
	EXPECT_ERROR("sensor:\n  interfaces: [eth0, \"a/b\"]\n",
	    ":2: setting 'sensor.interfaces[1]': 'a/b' is not an interface "
	    "name");
	EXPECT_ERROR("sensor:\n  interfaces:\n    - eth0\n    - eth0\n",
	    ":4: setting 'sensor.interfaces[1]': interface 'eth0' is listed "
	    "twice");
	EXPECT_ERROR("sensor:\n  enabled: true\n",
	    ":2: setting 'sensor.interfaces': enabled, but no interfaces are "
	    "given");
	EXPECT_ERROR("sensor:\n  interfaces: eth0\n  flows:\n"
	    "    tcp_timeout: 0s\n",
	    ":4: setting 'sensor.flows.tcp_timeout': must be more than zero");
	EXPECT_ERROR("sensor:\n  vars:\n    $HOME_NET: \"[10.0.0.0/8]\"\n",
	    ":3: setting 'sensor.vars.$HOME_NET': a variable name is letters, "
	    "digits and '_' (no '$')");
	EXPECT_ERROR("sensor:\n  interfaces: eth0\n  detect:\n"
	    "    scan:\n      bogus: 1\n",
	    ":5: unknown setting 'sensor.detect.scan.bogus'");
}

int
main(void)
{
	RUN(test_defaults);
	RUN(test_proto_names);
	RUN(test_sizes);
	RUN(test_durations);
	RUN(test_listen_valid);
	RUN(test_listen_invalid);
	RUN(test_set_listeners);
	RUN(test_default_tls_listener);
	RUN(test_full_file);
	RUN(test_timezones);
	RUN(test_errors);
	RUN(test_nothing_half_applied);
	RUN(test_file_errors);
	RUN(test_check);
	RUN(test_default_key);
	RUN(test_sample);
	RUN(test_sensor_section);
	remove_temps();
	return test_summary();
}
