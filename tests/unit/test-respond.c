/*
 * test-respond.c - containment: address parsing (normal, exact-limit,
 * truncated, oversized), the allowlist, the respond: section and its
 * errors, automatic block matching, the blocks record in a real
 * mamori.db, and - as root - the nftables backend and the responder in a
 * network namespace of the test's own (unshare(CLONE_NEWNET)), so the
 * host's firewall is never touched.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "incident/incident.h"
#include "respond/respond.h"
#include "store/db.h"
#include "test.h"

static char dir[64];

/* Parses s; returns the normal form or "ERR <code>: <message>". */
static const char *
norm(const char *s)
{
	static char out[600];
	struct respond_addr a;
	char err[512];
	int r;

	r = respond_addr_parse(s, strlen(s), &a, err, sizeof(err));
	if (r != 0)
		snprintf(out, sizeof(out), "ERR %d: %s", r, err);
	else
		respond_addr_format(&a, out);
	return out;
}

static int
starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int
has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

TEST(addr_normal)
{
	CHECK_STR(norm("192.0.2.7"), "192.0.2.7");
	CHECK_STR(norm("192.0.2.0/24"), "192.0.2.0/24");
	CHECK_STR(norm("192.0.2.7/32"), "192.0.2.7");
	CHECK_STR(norm("2001:db8::1"), "2001:db8::1");
	CHECK_STR(norm("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
	CHECK_STR(norm("2001:db8::/32"), "2001:db8::/32");
	CHECK_STR(norm("2001:db8::1/128"), "2001:db8::1");
	/* IPv4-mapped IPv6 becomes IPv4, addresses and prefixes of /96 or
	 * longer alike. */
	CHECK_STR(norm("::ffff:192.0.2.7"), "192.0.2.7");
	CHECK_STR(norm("::FFFF:c000:0207"), "192.0.2.7");
	CHECK_STR(norm("::ffff:192.0.2.0/120"), "192.0.2.0/24");
	CHECK_STR(norm("::ffff:0:0/96"), "0.0.0.0/0");
	/* Shorter than /96 it is an IPv6 prefix that happens to contain
	 * the mapped range. */
	CHECK_STR(norm("::/64"), "::/64");
	/* IPv4-compatible (deprecated) addresses stay IPv6. */
	CHECK_STR(norm("::192.0.2.7"), "::192.0.2.7");
}

TEST(addr_limits)
{
	char buf[128];

	CHECK_STR(norm("0.0.0.0/0"), "0.0.0.0/0");
	CHECK_STR(norm("::/0"), "::/0");
	CHECK_STR(norm("255.255.255.255"), "255.255.255.255");
	CHECK_STR(norm("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK_STR(norm("2001:db8::/127"), "2001:db8::/127");
	/* Exactly RESPOND_ADDR_MAXLEN bytes is read (and refused as an
	 * address); one more is too long. */
	memset(buf, '1', RESPOND_ADDR_MAXLEN);
	buf[RESPOND_ADDR_MAXLEN] = '\0';
	CHECK(starts(norm(buf), "ERR -2:"));
	buf[RESPOND_ADDR_MAXLEN] = '1';
	buf[RESPOND_ADDR_MAXLEN + 1] = '\0';
	CHECK(starts(norm(buf), "ERR -4:"));
	CHECK(has(norm(buf), "too long"));
	/* The longest real text fits in RESPOND_ADDR_STRLEN. */
	CHECK_STR(norm("::ffff:255.255.255.255"), "255.255.255.255");
	CHECK_STR(norm("1:2:3:4:5:6:7:8/127"), "1:2:3:4:5:6:7:8/127");
	CHECK_STR(norm("1:2:3:4:5:6:7:9/127"), "ERR -2: '1:2:3:4:5:6:7:9/127':"
	    " host bits are set after the /127 prefix (did you mean "
	    "1:2:3:4:5:6:7:8/127?)");
}

TEST(addr_truncated_and_bad)
{
	CHECK(starts(norm(""), "ERR -2: empty"));
	CHECK(starts(norm("192.0.2"), "ERR -2:"));
	CHECK(starts(norm("192.0.2."), "ERR -2:"));
	CHECK(starts(norm("2001:db8:"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/"), "ERR -2:"));
	CHECK(starts(norm("/24"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/33"), "ERR -2:"));
	CHECK(starts(norm("2001:db8::/129"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/024"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/-1"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/+8"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.0/24/8"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.256"), "ERR -2:"));
	CHECK(starts(norm("192.0.02.7"), "ERR -2:"));	/* octal-looking */
	CHECK(starts(norm(" 192.0.2.7"), "ERR -2:"));
	CHECK(starts(norm("192.0.2.7 "), "ERR -2:"));
	CHECK(starts(norm("host.example"), "ERR -2:"));
	CHECK(starts(norm("0x7f.1"), "ERR -2:"));
	CHECK(starts(norm("2001:db8::1::2"), "ERR -2:"));
	CHECK(has(norm("fe80::1%eth0"), "zone id"));
	/* Host bits: refused, naming the prefix meant. */
	CHECK_STR(norm("192.0.2.7/24"), "ERR -2: '192.0.2.7/24': host bits "
	    "are set after the /24 prefix (did you mean 192.0.2.0/24?)");
	CHECK(has(norm("2001:db8::1/64"), "did you mean 2001:db8::/64?"));
	CHECK(has(norm("::ffff:192.0.2.7/120"),
	    "did you mean 192.0.2.0/24?"));
	/* Control bytes are shown escaped, and a NUL is refused. */
	CHECK(has(norm("1.2.3.4\x1b[31m"), "\\x1b[31m"));
	{
		struct respond_addr a;
		char err[256];

		CHECK_INT(respond_addr_parse("1.2.3.4\0x", 9, &a, err,
		    sizeof(err)), MAMORI_EINVAL);
		CHECK(has(err, "NUL"));
		/* Only len bytes are read: no NUL needed after them. */
		CHECK_INT(respond_addr_parse("10.0.0.1XYZ", 8, &a, err,
		    sizeof(err)), 0);
		CHECK_INT(a.prefix, 32);
	}
}

static struct respond_addr
A(const char *s)
{
	struct respond_addr a;

	if (respond_addr_parse(s, strlen(s), &a, NULL, 0) != 0)
		abort();
	return a;
}

TEST(addr_overlap)
{
	struct respond_addr p24 = A("192.0.2.0/24"), h = A("192.0.2.7");
	struct respond_addr o = A("198.51.100.1"), all = A("0.0.0.0/0");
	struct respond_addr v6 = A("2001:db8::/32"), v6h = A("2001:db8::5");

	CHECK(respond_addr_overlaps(&p24, &h));
	CHECK(respond_addr_overlaps(&h, &p24));
	CHECK(!respond_addr_overlaps(&p24, &o));
	CHECK(respond_addr_overlaps(&all, &o));
	CHECK(!respond_addr_overlaps(&all, &v6));	/* families differ */
	CHECK(respond_addr_contains(&p24, &h));
	CHECK(!respond_addr_contains(&h, &p24));
	CHECK(respond_addr_contains(&p24, &p24));
	CHECK(respond_addr_contains(&v6, &v6h));
	CHECK(respond_addr_equal(&h, &h));
	CHECK(!respond_addr_equal(&h, &p24));
	/* /25 boundary: a bit in the middle of a byte. */
	{
		struct respond_addr lo = A("192.0.2.0/25"),
		    hi = A("192.0.2.128/25"), x = A("192.0.2.129");

		CHECK(!respond_addr_overlaps(&lo, &hi));
		CHECK(respond_addr_overlaps(&hi, &x));
		CHECK(!respond_addr_overlaps(&lo, &x));
	}
}

/* Loads yaml text and parses its respond: section into c. */
static int
parse_conf(const char *yaml, struct respond_conf *c, char *err, size_t errlen)
{
	struct ydoc d;
	int r;

	if ((r = ydoc_load_buf(&d, "mamori.yaml", yaml, strlen(yaml), err,
	    errlen)) != 0) {
		ydoc_free(&d);
		return r;
	}
	r = respond_conf_parse(&d, ydoc_get(&d, ydoc_root(&d), "respond"),
	    "respond", c);
	ydoc_free(&d);
	return r;
}

TEST(allowlist)
{
	struct respond_conf *c;
	struct respond_addr a;
	char err[512];

	CHECK_INT(respond_conf_new(&c), 0);
	CHECK_INT(parse_conf("respond:\n  allowlist: [192.0.2.10, "
	    "2001:db8:1::/48]\n", c, err, sizeof(err)), 0);
	a = A("192.0.2.10");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	CHECK_STR(err, "192.0.2.10 is on the allowlist (respond.allowlist) "
	    "and is never blocked");
	a = A("192.0.2.0/24");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	CHECK_STR(err, "192.0.2.0/24 overlaps the allowlist entry "
	    "192.0.2.10 (respond.allowlist), which is never blocked");
	a = A("2001:db8:1:2::9");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	a = A("192.0.2.11");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 0);
	a = A("127.0.0.53");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	CHECK(has(err, "loopback"));
	a = A("::1");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	a = A("::ffff:127.0.0.1");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	a = A("0.0.0.0/0");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	a = A("::/0");
	CHECK_INT(respond_allowlisted(c, &a, 0, err, sizeof(err)), 1);
	/* Internal networks (defaults). */
	a = A("10.1.2.3");
	CHECK(respond_internal(c, &a));
	a = A("fd00::1");
	CHECK(respond_internal(c, &a));
	a = A("203.0.113.5");
	CHECK(!respond_internal(c, &a));
	respond_conf_free(c);
}

TEST(conf_defaults_and_full)
{
	struct respond_conf *c;
	char err[512];

	CHECK_INT(respond_conf_new(&c), 0);
	CHECK_INT(c->dry_run, 0);
	CHECK_STR(c->table, "mamori");
	CHECK_INT(c->default_duration_ns, 3600 * NS_PER_SEC);
	CHECK_INT(c->max_duration_ns, 0);
	CHECK_INT(c->auto_max, 100);
	CHECK_INT(c->nautos, 0);
	CHECK_INT(c->block_internal, 0);
	/* An absent or empty section changes nothing. */
	CHECK_INT(parse_conf("server:\n  data_dir: x\n", c, err,
	    sizeof(err)), 0);
	CHECK_INT(parse_conf("respond:\n", c, err, sizeof(err)), 0);
	CHECK_STR(c->table, "mamori");
	CHECK_INT(parse_conf(
	    "respond:\n"
	    "  dry_run: true\n"
	    "  table: mamori_test\n"
	    "  allowlist: 192.0.2.10\n"
	    "  internal_networks: [10.0.0.0/8]\n"
	    "  block_internal: yes\n"
	    "  default_duration: 30m\n"
	    "  max_duration: 7d\n"
	    "  auto_block_max: 5\n"
	    "  auto_block:\n"
	    "    - rules: [5712, 5720]\n"
	    "      for: 2h\n"
	    "    - groups: [web_scan, recon]\n"
	    "      min_level: 10\n"
	    "      field: dstip\n"
	    "    - min_level: 15\n", c, err, sizeof(err)), 0);
	CHECK_INT(c->dry_run, 1);
	CHECK_STR(c->table, "mamori_test");
	CHECK_INT(c->nallowlist, 1);
	CHECK_INT(c->ninternal, 1);
	CHECK_INT(c->block_internal, 1);
	CHECK_INT(c->default_duration_ns, 1800 * NS_PER_SEC);
	CHECK_INT(c->max_duration_ns, 7 * 86400 * NS_PER_SEC);
	CHECK_INT(c->auto_max, 5);
	CHECK_INT(c->nautos, 3);
	CHECK_INT(c->autos[0].nrules, 2);
	CHECK_INT(c->autos[0].rules[1], 5720);
	CHECK_INT(c->autos[0].duration_ns, 7200 * NS_PER_SEC);
	CHECK_INT(c->autos[0].min_level, -1);
	CHECK_STR(c->autos[0].field, "srcip");
	CHECK_INT(c->autos[0].line, 11);
	CHECK_INT(c->autos[1].ngroups, 2);
	CHECK_STR(c->autos[1].groups[1], "recon");
	CHECK_INT(c->autos[1].duration_ns, -1);
	CHECK_STR(c->autos[1].field, "dstip");
	CHECK_INT(c->autos[2].min_level, 15);
	/* A deep copy: equal, and independent of the original. */
	{
		struct respond_conf *k;

		CHECK_INT(respond_conf_copy(&k, c), 0);
		respond_conf_free(c);
		c = NULL;
		CHECK_STR(k->table, "mamori_test");
		CHECK_INT(k->nallowlist, 1);
		CHECK_INT(k->allowlist[0].prefix, 32);
		CHECK_INT(k->nautos, 3);
		CHECK_INT(k->autos[0].rules[1], 5720);
		CHECK_STR(k->autos[1].groups[1], "recon");
		CHECK(k->autos[1].groups[2] == NULL);
		CHECK_STR(k->autos[1].field, "dstip");
		CHECK(k->autos[2].rules == NULL);
		CHECK(k->autos[2].groups == NULL);
		CHECK_INT(k->max_duration_ns, 7 * 86400 * NS_PER_SEC);
		respond_conf_free(k);
	}
	respond_conf_free(NULL);
}

/* Each bad section: the message wanted, and c left as it was. */
TEST(conf_errors)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "respond:\n  dryrun: true\n",
		  "mamori.yaml:2: unknown setting 'respond.dryrun' (did you "
		  "mean 'dry_run'?)" },
		{ "respond:\n  allowlist:\n    - 192.0.2.1\n    - 192.0.2.7/24\n",
		  "mamori.yaml:4: setting 'respond.allowlist[1]': "
		  "'192.0.2.7/24': host bits are set after the /24 prefix "
		  "(did you mean 192.0.2.0/24?)" },
		{ "respond:\n  allowlist: [log.example]\n",
		  "mamori.yaml:2: setting 'respond.allowlist[0]': "
		  "'log.example': not an IP address or prefix (expected "
		  "192.0.2.7, 192.0.2.0/24, 2001:db8::1 or 2001:db8::/32)" },
		{ "respond:\n  allowlist: {a: 1}\n",
		  "mamori.yaml:2: setting 'respond.allowlist': expected an "
		  "address or a list of addresses, got a mapping" },
		{ "respond:\n  table: \"x; flush ruleset\"\n",
		  "mamori.yaml:2: setting 'respond.table': expected an "
		  "nftables table name (letters, digits and _, at most 32), "
		  "got 'x; flush ruleset'" },
		{ "respond:\n  default_duration: soon\n",
		  "mamori.yaml:2: setting 'respond.default_duration': "
		  "expected a duration such as 60s, 15m or 1h, got 'soon'" },
		{ "respond:\n  default_duration: 500ms\n",
		  "mamori.yaml:2: setting 'respond.default_duration': must "
		  "be 0 (until unblocked) or at least 1s" },
		{ "respond:\n  default_duration: 2d\n  max_duration: 1d\n",
		  "mamori.yaml:2: setting 'respond.default_duration': 2d is "
		  "longer than respond.max_duration (1d)" },
		{ "respond:\n  max_duration: 1d\n  default_duration: 0\n",
		  "mamori.yaml:3: setting 'respond.default_duration': 0 "
		  "(until unblocked) is longer than respond.max_duration "
		  "(1d)" },
		{ "respond:\n  auto_block_max: -1\n",
		  "mamori.yaml:2: setting 'respond.auto_block_max': expected "
		  "a whole number from 0 to 1000000, got '-1'" },
		{ "respond:\n  auto_block:\n    rules: [1]\n",
		  "mamori.yaml:3: setting 'respond.auto_block': expected a "
		  "list of mappings (- rules: [...]), got a mapping" },
		{ "respond:\n  auto_block:\n    - for: 1h\n",
		  "mamori.yaml:3: setting 'respond.auto_block[0]': give at "
		  "least one of rules, groups or min_level (an entry without "
		  "any would block on every alert)" },
		{ "respond:\n  auto_block:\n    - rules: [5712]\n"
		  "    - rules: [1, x2]\n",
		  "mamori.yaml:4: setting 'respond.auto_block[1].rules[1]': "
		  "expected a rule id (a whole number), got 'x2'" },
		{ "respond:\n  auto_block:\n    - rules: []\n",
		  "mamori.yaml:3: setting 'respond.auto_block[0].rules': an "
		  "empty list matches nothing (leave it out to match any "
		  "rule)" },
		{ "respond:\n  auto_block:\n    - groups: [a]\n"
		  "      field: user\n",
		  "mamori.yaml:4: setting 'respond.auto_block[0].field': "
		  "expected srcip or dstip, got 'user'" },
		{ "respond:\n  auto_block:\n    - groups: [a]\n"
		  "      min_level: 17\n",
		  "mamori.yaml:4: setting 'respond.auto_block[0].min_level': "
		  "expected a whole number from 0 to 16, got '17'" },
		{ "respond:\n  auto_block:\n    - groups: [a]\n"
		  "      levle: 3\n",
		  "mamori.yaml:4: unknown setting "
		  "'respond.auto_block[0].levle'" },
		{ "respond:\n  max_duration: 1h\n  auto_block:\n"
		  "    - groups: [a]\n      for: 2h\n",
		  "mamori.yaml:5: setting 'respond.auto_block[0].for': 2h is "
		  "longer than respond.max_duration (1h)" },
		{ "respond:\n  dry_run: maybe\n",
		  "mamori.yaml:2: setting 'respond.dry_run': expected true or "
		  "false, got 'maybe'" },
		{ "respond: [1, 2]\n",
		  "mamori.yaml:1: setting 'respond': expected a mapping, got "
		  "a list" },
	};
	struct respond_conf *c;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(respond_conf_new(&c), 0);
		/* Something valid is there first: it must stay. */
		CHECK_INT(parse_conf("respond:\n  table: before\n  "
		    "allowlist: 192.0.2.99\n", c, err, sizeof(err)), 0);
		err[0] = '\0';
		CHECK_INT(parse_conf(cases[i].yaml, c, err, sizeof(err)),
		    MAMORI_ECONFIG);
		if (strcmp(err, cases[i].want) != 0) {
			fprintf(stderr, "case %zu:\n  got  %s\n  want %s\n",
			    i, err, cases[i].want);
			CHECK(0);
		}
		CHECK_STR(c->table, "before");
		CHECK_INT(c->nallowlist, 1);
		CHECK_INT(c->nautos, 0);
		CHECK_INT(c->dry_run, 0);
		CHECK_INT(c->default_duration_ns, 3600 * NS_PER_SEC);
		respond_conf_free(c);
	}
}

TEST(auto_match)
{
	static const char *const ssh[] = { "syslog", "sshd",
	    "authentication_failures" };
	static const char *const web[] = { "web", "web_scan" };
	struct respond_conf *c;
	const char *field;
	int64_t d;
	char err[512];

	CHECK_INT(respond_conf_new(&c), 0);
	/* No entries: nothing matches. */
	CHECK_INT(respond_auto_match(c, 5712, 10, ssh, 3, &d), 0);
	CHECK_INT(parse_conf(
	    "respond:\n"
	    "  default_duration: 45m\n"
	    "  auto_block:\n"
	    "    - rules: [5712, 5720]\n"
	    "      for: 2h\n"
	    "    - groups: [web_scan]\n"
	    "      min_level: 10\n"
	    "      field: dstip\n"
	    "    - groups: [authentication_failures]\n"
	    "      rules: [5551]\n"
	    "      for: 0\n"
	    "    - min_level: 15\n", c, err, sizeof(err)), 0);
	CHECK_INT(respond_auto_match(c, 5712, 3, NULL, 0, &d), 1);
	CHECK_INT(d, 7200 * NS_PER_SEC);
	CHECK_INT(respond_auto_match(c, 5720, 3, ssh, 3, &d), 1);
	CHECK_INT(respond_auto_match(c, 5713, 3, ssh, 3, &d), 0);
	/* Groups and level together. */
	CHECK_INT(respond_auto_match_field(c, 31101, 10, web, 2, &d, &field),
	    1);
	CHECK_INT(d, 2700 * NS_PER_SEC);	/* default_duration */
	CHECK_STR(field, "dstip");
	CHECK_INT(respond_auto_match(c, 31101, 9, web, 2, &d), 0);
	CHECK_INT(respond_auto_match(c, 31101, 12, ssh, 3, &d), 0);
	/* Rules and groups together: both must hold. */
	CHECK_INT(respond_auto_match(c, 5551, 5, ssh, 3, &d), 1);
	CHECK_INT(d, 0);			/* until unblocked */
	CHECK_INT(respond_auto_match(c, 5551, 5, web, 2, &d), 0);
	CHECK_INT(respond_auto_match(c, 5552, 5, ssh, 3, &d), 0);
	/* Level only. */
	CHECK_INT(respond_auto_match_field(c, 1, 15, NULL, 0, &d, &field), 1);
	CHECK_STR(field, "srcip");
	CHECK_INT(respond_auto_match(c, 1, 14, NULL, 0, &d), 0);
	/* NULL out-parameters and NULL group entries are fine. */
	{
		static const char *const holes[] = { NULL, "web_scan" };

		CHECK_INT(respond_auto_match(c, 2, 11, holes, 2, NULL), 1);
	}
	respond_conf_free(c);
}

TEST(duration_format)
{
	char b[32];

	CHECK_STR(respond_duration_format(0, b, sizeof(b)), "0s");
	CHECK_STR(respond_duration_format(NS_PER_SEC, b, sizeof(b)), "1s");
	CHECK_STR(respond_duration_format(90 * NS_PER_SEC, b, sizeof(b)),
	    "1m30s");
	CHECK_STR(respond_duration_format(3600 * NS_PER_SEC, b, sizeof(b)),
	    "1h");
	CHECK_STR(respond_duration_format((86400 + 7200) * NS_PER_SEC +
	    1500000, b, sizeof(b)), "1d2h1ms");
	CHECK_STR(respond_duration_format(3 * NS_PER_SEC, b, 2), "3");
}

static sqlite3 *
open_db(const char *name, struct db **dbp)
{
	char path[128], err[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((*dbp = db_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return db_sqlite(*dbp);
}

struct rows {
	int		 n;
	char		 addr[8][64];
	int		 dry[8];
	int64_t		 inc[8];
	char		 who[8][32];
};

static int
collect(void *arg, const struct respond_row *row)
{
	struct rows *r = arg;

	if (r->n < 8) {
		snprintf(r->addr[r->n], 64, "%s", row->addr);
		snprintf(r->who[r->n], 32, "%s", row->who);
		r->dry[r->n] = row->dry_run;
		r->inc[r->n] = row->incident_id;
	}
	r->n++;
	return 0;
}

static int
timeline_has(sqlite3 *h, int64_t id, const char *kind, const char *text)
{
	struct incident inc;
	size_t i;
	int found = 0;

	memset(&inc, 0, sizeof(inc));
	if (incident_get(h, id, &inc) != 0)
		return 0;
	for (i = 0; i < inc.ntimeline; i++)
		if (strcmp(inc.timeline[i].kind, kind) == 0 &&
		    strcmp(inc.timeline[i].text, text) == 0)
			found = 1;
	incident_release(&inc);
	return found;
}

TEST(record)
{
	struct db *db;
	sqlite3 *h = open_db("record.db", &db);
	struct incident inc;
	struct rows rs;
	char err[256];
	int64_t id, t0 = 1000 * NS_PER_SEC, now;
	int n;

	CHECK(h != NULL);
	if (h == NULL)
		return;
	memset(&inc, 0, sizeof(inc));
	inc.title = "ssh brute force";
	inc.category = "attack";
	CHECK_INT(incident_create(h, &inc, NULL, "alice"), 0);
	CHECK(inc.id > 0);

	CHECK_INT(respond_record_check(h, inc.id, err, sizeof(err)), 0);
	CHECK_INT(respond_record_check(h, 999, err, sizeof(err)),
	    MAMORI_ENOTFOUND);
	CHECK_STR(err, "no incident 999");
	/* A block for an incident that does not exist writes nothing. */
	CHECK_INT(respond_record_block(h, "192.0.2.1", t0, NS_PER_SEC, "bob",
	    NULL, 999, 0, &id), MAMORI_ENOTFOUND);

	CHECK_INT(respond_record_block(h, "203.0.113.9", t0,
	    3600 * NS_PER_SEC, "alice", "brute force", inc.id, 0, &id), 0);
	CHECK(id > 0);
	CHECK(timeline_has(h, inc.id, "block",
	    "blocked 203.0.113.9 for 1h: brute force"));
	CHECK_INT(respond_record_block(h, "2001:db8::/48", t0, 0, "alice",
	    NULL, 0, 0, NULL), 0);
	CHECK_INT(respond_record_block(h, "198.51.100.0/24", t0,
	    60 * NS_PER_SEC, "mamori", NULL, inc.id, 1, NULL), 0);
	CHECK(timeline_has(h, inc.id, "block",
	    "dry run: would block 198.51.100.0/24 for 1m"));
	CHECK_INT(respond_record_block(h, "192.0.2.50", t0, 10 * NS_PER_SEC,
	    "mamori", NULL, 0, 0, NULL), 0);

	now = t0 + 5 * NS_PER_SEC;
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_record_each(h, now, NULL, -1, collect, &rs), 0);
	CHECK_INT(rs.n, 4);
	CHECK_STR(rs.addr[0], "192.0.2.50");	/* newest first */
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_record_each(h, now, NULL, 1, collect, &rs), 0);
	CHECK_INT(rs.n, 1);
	CHECK_STR(rs.addr[0], "198.51.100.0/24");
	CHECK_INT(respond_record_auto_count(h, now, 0, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(respond_record_auto_count(h, now, 1, &n), 0);
	CHECK_INT(n, 1);

	/* Blocking again replaces: one row in force. */
	CHECK_INT(respond_record_block(h, "203.0.113.9", now,
	    7200 * NS_PER_SEC, "alice", "again", inc.id, 0, NULL), 0);
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_record_each(h, now, "203.0.113.9", -1, collect,
	    &rs), 0);
	CHECK_INT(rs.n, 1);

	/* Expiry: 192.0.2.50 ended at t0 + 10 s. */
	now = t0 + 11 * NS_PER_SEC;
	CHECK_INT(respond_record_auto_count(h, now, 0, &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(respond_record_expire(h, now), 0);
	{
		sqlite3_stmt *st;

		CHECK_INT(sqlite3_prepare_v2(h, "SELECT removed FROM blocks "
		    "WHERE addr = '192.0.2.50'", -1, &st, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_INT(sqlite3_column_int64(st, 0), t0 + 10 * NS_PER_SEC);
		sqlite3_finalize(st);
	}

	/* Unblock: rows end, the incident hears of it. */
	CHECK_INT(respond_record_unblock(h, "203.0.113.9", now, "carol", 0,
	    &n), 0);
	CHECK_INT(n, 1);
	CHECK(timeline_has(h, inc.id, "unblock", "unblocked 203.0.113.9"));
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_record_each(h, now, "203.0.113.9", -1, collect,
	    &rs), 0);
	CHECK_INT(rs.n, 0);
	CHECK_INT(respond_record_unblock(h, "203.0.113.9", now, "carol", 0,
	    &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(respond_record_unblock(h, "2001:db8::/48", now, "carol",
	    12345, &n), MAMORI_ENOTFOUND);
	CHECK_INT(respond_record_unblock(h, "2001:db8::/48", now, "carol",
	    inc.id, &n), 0);
	CHECK_INT(n, 1);
	CHECK(timeline_has(h, inc.id, "unblock", "unblocked 2001:db8::/48"));

	/* An expiry with an incident gets its timeline entry. */
	CHECK_INT(respond_record_block(h, "192.0.2.60", now, NS_PER_SEC,
	    "mamori", NULL, inc.id, 0, NULL), 0);
	CHECK_INT(respond_record_expire(h, now + 2 * NS_PER_SEC), 0);
	CHECK(timeline_has(h, inc.id, "unblock", "block of 192.0.2.60 "
	    "expired"));
	db_close(db);
}

/* ---- as root, in a network namespace of our own ---- */

static int
collect_entries(void *arg, const struct respond_entry *e)
{
	struct rows *r = arg;

	if (r->n < 8) {
		respond_addr_format(&e->addr, r->addr[r->n]);
		r->inc[r->n] = e->expires_ns;	/* reused: expiry */
		r->dry[r->n] = e->timeout_ns > 0;
	}
	r->n++;
	return 0;
}

static int have_netns;

TEST(nft_backend)
{
	struct respond_conf *c;
	struct respond_result res;
	struct rows rs;
	char err[512], canon[RESPOND_ADDR_STRLEN];

	if (!have_netns) {
		printf("nft_backend: skipped (needs root and network "
		    "namespaces)\n");
		return;
	}
	CHECK_INT(respond_conf_new(&c), 0);
	/* An empty namespace: no table is no blocks. */
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 0);

	CHECK_INT(respond_apply(c, "203.0.113.9", 11, 3600 * NS_PER_SEC, 0,
	    &res, err, sizeof(err)), 0);
	CHECK_INT(res.outcome, RESPOND_DONE);
	CHECK_STR(res.addr, "203.0.113.9");
	CHECK_INT(respond_block(c, "::ffff:198.51.100.0/120", 0, err,
	    sizeof(err)), 0);
	CHECK_INT(respond_block(c, "2001:db8::/48", 60 * NS_PER_SEC, err,
	    sizeof(err)), 0);
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 3);
	/* The kernel keeps interval sets in address order. */
	CHECK_STR(rs.addr[0], "198.51.100.0/24");
	CHECK_INT(rs.dry[0], 0);		/* no timeout */
	CHECK_INT(rs.inc[0], 0);
	CHECK_STR(rs.addr[1], "203.0.113.9");
	CHECK_INT(rs.dry[1], 1);
	CHECK(rs.inc[1] > 3500 * NS_PER_SEC && rs.inc[1] <= 3600 * NS_PER_SEC);
	CHECK_STR(rs.addr[2], "2001:db8::/48");

	/* Again: a new expiry.  Inside a wider block: covered.  Wider than
	 * a block: refused. */
	CHECK_INT(respond_apply(c, "203.0.113.9", 11, 60 * NS_PER_SEC, 0,
	    &res, err, sizeof(err)), 0);
	CHECK_INT(res.outcome, RESPOND_REPLACED);
	CHECK_INT(respond_apply(c, "203.0.113.9", 11, 60 * NS_PER_SEC,
	    RESPOND_F_NO_REPLACE, &res, err, sizeof(err)), MAMORI_EEXIST);
	CHECK_INT(respond_apply(c, "198.51.100.7", 12, 60 * NS_PER_SEC, 0,
	    &res, err, sizeof(err)), MAMORI_EEXIST);
	CHECK_INT(res.outcome, RESPOND_COVERED);
	CHECK_STR(err, "198.51.100.7 is already blocked by 198.51.100.0/24 "
	    "(until unblocked)");
	CHECK_INT(respond_apply(c, "203.0.113.0/24", 14, 60 * NS_PER_SEC, 0,
	    &res, err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(res.outcome, RESPOND_OVERLAPS);
	CHECK_STR(err, "203.0.113.0/24 overlaps 1 narrower block "
	    "(203.0.113.9): unblock it first");
	/* Refusals. */
	CHECK_INT(respond_apply(c, "127.0.0.1", 9, 0, 0, &res, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(res.outcome, RESPOND_ALLOWLISTED);
	CHECK_INT(respond_apply(c, "192.0.2.1", 9, 500000000, 0, &res, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(res.outcome, RESPOND_BAD_DURATION);
	CHECK_INT(respond_apply(c, "bad", 3, 0, 0, &res, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(res.outcome, RESPOND_BAD_ADDRESS);
	c->max_duration_ns = 600 * NS_PER_SEC;
	CHECK_INT(respond_apply(c, "192.0.2.1", 9, 0, 0, &res, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_STR(err, "192.0.2.1: until unblocked is longer than "
	    "respond.max_duration (10m)");
	CHECK_INT(respond_apply(c, "192.0.2.1", 9, 0, RESPOND_F_CLAMP |
	    RESPOND_F_DRY_RUN, &res, err, sizeof(err)), 0);
	CHECK_INT(res.duration_ns, 600 * NS_PER_SEC);
	CHECK_INT(res.dry_run, 1);
	c->max_duration_ns = 0;
	/* A dry run changes nothing. */
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 3);

	/* Unblock. */
	CHECK_INT(respond_unblock(c, "198.51.100.7", canon, err, sizeof(err)),
	    MAMORI_ENOTFOUND);
	CHECK_STR(err, "198.51.100.7 is not blocked by itself: it is inside "
	    "the block 198.51.100.0/24 (unblock that)");
	CHECK_INT(respond_unblock(c, "::ffff:198.51.100.0/120", canon, err,
	    sizeof(err)), 0);
	CHECK_STR(canon, "198.51.100.0/24");
	CHECK_INT(respond_unblock(c, "198.51.100.0/24", canon, err,
	    sizeof(err)), MAMORI_ENOTFOUND);
	CHECK_STR(err, "198.51.100.0/24 is not blocked");
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 2);

	/* A table deleted behind mamori's back is re-created. */
	if (system("nft delete table inet mamori") == 0) {
		CHECK_INT(respond_block(c, "192.0.2.77", 0, err, sizeof(err)),
		    0);
		memset(&rs, 0, sizeof(rs));
		CHECK_INT(respond_list(c, collect_entries, &rs, err,
		    sizeof(err)), 0);
		CHECK_INT(rs.n, 1);
	}
	/* Another table name is another table. */
	free(c->table);
	c->table = strdup("mamori_other");
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 0);
	respond_conf_free(c);
}

TEST(responder)
{
	struct respond_conf *c;
	struct responder *r;
	struct db *db;
	struct rows rs;
	struct incident inc;
	sqlite3 *h;
	char path[128], err[512];

	if (!have_netns) {
		printf("responder: skipped (needs root and network "
		    "namespaces)\n");
		return;
	}
	CHECK_INT(respond_conf_new(&c), 0);
	free(c->table);
	c->table = strdup("mamori_auto");
	c->auto_max = 2;
	snprintf(path, sizeof(path), "%s/auto.db", dir);
	if ((h = open_db("auto.db", &db)) == NULL) {
		CHECK(0);
		respond_conf_free(c);
		return;
	}
	memset(&inc, 0, sizeof(inc));
	inc.title = "scan";
	inc.category = "scan";
	CHECK_INT(incident_create(h, &inc, NULL, "mamori"), 0);

	r = responder_start(c, path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err);
		db_close(db);
		respond_conf_free(c);
		return;
	}
	CHECK_INT(responder_submit(r, "203.0.113.1", 60 * NS_PER_SEC, inc.id,
	    "rule 5712"), 0);
	CHECK_INT(responder_submit(r, "203.0.113.1", 60 * NS_PER_SEC, inc.id,
	    "rule 5712"), 0);			/* blocked already */
	CHECK_INT(responder_submit(r, "127.0.0.1", 0, inc.id, NULL), 0);
	CHECK_INT(responder_submit(r, "10.1.2.3", 0, inc.id, NULL), 0);
	CHECK_INT(responder_submit(r, "not-an-ip\x1b", 0, 0, NULL), 0);
	CHECK_INT(responder_submit(r, "::ffff:203.0.113.2", 0, 0, NULL), 0);
	CHECK_INT(responder_submit(r, "203.0.113.3", 0, inc.id, NULL), 0);
	responder_stop(NULL);
	responder_stop(r);	/* processes what is queued */

	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_list(c, collect_entries, &rs, err, sizeof(err)), 0);
	CHECK_INT(rs.n, 2);
	CHECK_STR(rs.addr[0], "203.0.113.1");
	CHECK_STR(rs.addr[1], "203.0.113.2");
	CHECK_INT(rs.dry[1], 0);	/* 0: until unblocked */
	memset(&rs, 0, sizeof(rs));
	CHECK_INT(respond_record_each(h, time_now_ns(), NULL, -1, collect,
	    &rs), 0);
	CHECK_INT(rs.n, 2);
	CHECK_STR(rs.who[0], "mamori");
	CHECK(timeline_has(h, inc.id, "block",
	    "blocked 203.0.113.1 for 1m: rule 5712"));
	CHECK(timeline_has(h, inc.id, "block", "not blocked automatically: "
	    "127.0.0.1 overlaps the allowlist entry 127.0.0.0/8 (loopback), "
	    "which is never blocked"));
	CHECK(timeline_has(h, inc.id, "block", "not blocked automatically: "
	    "10.1.2.3 is in respond.internal_networks "
	    "(respond.block_internal is off)"));
	CHECK(timeline_has(h, inc.id, "block", "not blocked automatically: "
	    "203.0.113.3: 2 automatic blocks are in force already "
	    "(respond.auto_block_max)"));
	db_close(db);
	respond_conf_free(c);
}

/* In a child: drop to nobody (with or without keeping CAP_NET_ADMIN)
 * and try a block.  Returns the child's respond_block() result as an
 * exit code: 0 blocked, 1 refused for want of permission, 2 other. */
static int
block_as_nobody(int keep)
{
	struct respond_conf *c;
	char err[512];
	pid_t pid;
	int st, r;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if (respond_conf_new(&c) != 0)
			_exit(3);
		if ((keep && respond_keepcap_before() != 0) ||
		    setgid(65534) != 0 || setuid(65534) != 0 ||
		    (keep && respond_keepcap_after() != 0))
			_exit(4);
		if (setuid(0) == 0)
			_exit(5);	/* root must be gone for good */
		r = respond_block(c, keep ? "192.0.2.201" : "192.0.2.202", 0,
		    err, sizeof(err));
		if (r == 0)
			_exit(0);
		_exit(strcmp(err, "nftables: Operation not permitted: run as "
		    "root or with CAP_NET_ADMIN") == 0 ? 1 : 2);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST(keepcap)
{
	if (!have_netns) {
		printf("keepcap: skipped (needs root and network "
		    "namespaces)\n");
		return;
	}
	CHECK_INT(block_as_nobody(0), 1);
	CHECK_INT(block_as_nobody(1), 0);
}

int
main(void)
{
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/mamori-test-respond.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(addr_normal);
	RUN(addr_limits);
	RUN(addr_truncated_and_bad);
	RUN(addr_overlap);
	RUN(allowlist);
	RUN(conf_defaults_and_full);
	RUN(conf_errors);
	RUN(auto_match);
	RUN(duration_format);
	RUN(record);
	/* The rest changes a firewall: only in a namespace of our own. */
	have_netns = geteuid() == 0 && unshare(CLONE_NEWNET) == 0;
	RUN(nft_backend);
	RUN(responder);
	RUN(keepcap);
	rc = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return rc;
}
