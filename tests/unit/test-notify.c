/*
 * test-notify.c - the contact plan: parsing and its errors (each word for
 * word, with FILE:LINE), routing, the rate limiter, composing mails
 * (header injection from attacker-made titles, RFC 2047 subjects,
 * quoted-printable bodies, Date and Message-ID) and webhook bodies, and
 * recording: notify_incident() and the notifier thread against a real
 * database, a small HTTP receiver on loopback and a closed port.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "incident/incident.h"
#include "incident/notify.h"
#include "store/db.h"
#include "test.h"

static const char *
tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d != NULL && *d != '\0' ? d : "/tmp";
}

/*
 * Parses text as a configuration file named t.yaml and returns its
 * notify: plan, or NULL with the error in err.
 */
static struct notify_plan *
plan_of(const char *text, char *err, size_t errlen)
{
	struct notify_plan *p = NULL;
	struct ydoc d;
	int r;

	err[0] = '\0';
	r = ydoc_load_buf(&d, "t.yaml", text, strlen(text), err, errlen);
	if (r == 0)
		r = notify_plan_parse(&d, ydoc_get(&d, ydoc_root(&d),
		    "notify"), "notify", &p);
	ydoc_free(&d);
	if (r != 0 && p != NULL) {
		fprintf(stderr, "plan set on error\n");
		abort();
	}
	return p;
}

static const char university[] =
"notify:\n"
"  from: \"mamori CSIRT <csirt@example.ac.jp>\"\n"
"  smtp:\n"
"    url: smtp://127.0.0.1:2525\n"
"  console_url: https://mamori.example.ac.jp/\n"
"  attempts: 3\n"
"  retry_delay: 10s\n"
"  retry_max: 5m\n"
"  rate_limit: 10/15m\n"
"  contacts:\n"
"    - name: csirt\n"
"      role: csirt\n"
"      email: [csirt@example.ac.jp, soc@example.ac.jp]\n"
"      webhook: https://chat.example.ac.jp/hooks/SECRET\n"
"    - name: admins\n"
"      role: administrators\n"
"      email: admins@example.ac.jp\n"
"    - name: board\n"
"      role: management\n"
"      email: [cio@example.ac.jp]\n"
"      lang: ja\n"
"    - name: lawyers\n"
"      role: legal\n"
"      email: legal@example.ac.jp\n"
"    - name: police\n"
"      role: police\n"
"      email: cyber@police.example.jp\n"
"    - name: jpcert\n"
"      role: external-csirt\n"
"      email: info@jpcert.example\n"
"  routes:\n"
"    - roles: [csirt]\n"
"    - min_severity: medium\n"
"      roles: administrators\n"
"    - categories: [intrusion, leak, tampering]\n"
"      min_impact: external\n"
"      roles: [management, legal]\n"
"    - categories: [intrusion, leak, dos]\n"
"      min_impact: infrastructure\n"
"      roles: [police]\n"
"      contacts: [jpcert]\n";

TEST(plan_full)
{
	struct notify_plan *p;
	char err[512];

	p = plan_of(university, err, sizeof(err));
	CHECK(p != NULL);
	if (p == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_STR(p->from_name, "mamori CSIRT");
	CHECK_STR(p->from_addr, "csirt@example.ac.jp");
	CHECK_STR(p->smtp_url, "smtp://127.0.0.1:2525");
	CHECK_INT(p->starttls, NOTIFY_STARTTLS_OPTIONAL);
	CHECK_INT(p->attempts, 3);
	CHECK_INT(p->retry_delay_ns, 10 * NS_PER_SEC);
	CHECK_INT(p->retry_max_ns, 300 * NS_PER_SEC);
	CHECK_INT(p->rate_count, 10);
	CHECK_INT(p->rate_window_ns, 900 * NS_PER_SEC);
	CHECK_INT(p->ncontacts, 6);
	CHECK_INT(p->nroutes, 4);
	CHECK_INT(p->contacts[0].nemail, 2);
	CHECK_STR(p->contacts[0].email[1], "soc@example.ac.jp");
	CHECK_INT(p->contacts[1].nemail, 1);
	CHECK_INT(p->contacts[2].lang, NOTIFY_LANG_JA);
	CHECK_INT(p->contacts[5].role, NOTIFY_ROLE_EXTERNAL_CSIRT);
	CHECK_INT(p->contacts[5].line, 28);
	CHECK_INT(p->routes[2].min_impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(p->routes[1].min_severity, INC_SEV_MEDIUM);
	CHECK_INT(p->routes[3].ncontacts, 1);
	CHECK_INT(p->routes[3].contacts[0], 5);
	CHECK_INT(notify_plan_contact(p, "police"), 4);
	CHECK_INT(notify_plan_contact(p, "nobody"), -1);
	notify_plan_free(p);
	notify_plan_free(NULL);
}

/* The example of docs/notification.md loads (its password file aside). */
TEST(plan_doc_example)
{
	struct notify_plan *p;
	const char *src = getenv("MAMORI_SRC");
	char path[1024], err[512], *buf = NULL, *s, *e, *pw;
	unsigned char c[8];
	size_t len = 0;
	FILE *f;

	if (src == NULL) {
		fprintf(stderr, "MAMORI_SRC not set: doc example skipped\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/docs/notification.md", src);
	if ((f = fopen(path, "r")) == NULL) {
		CHECK(0);
		return;
	}
	buf = calloc(1, 1 << 20);
	len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[len] = '\0';
	s = strstr(buf, "```yaml\n");
	CHECK(s != NULL);
	if (s == NULL) {
		free(buf);
		return;
	}
	s += 8;
	e = strstr(s, "```");
	CHECK(e != NULL);
	if (e != NULL)
		*e = '\0';
	if ((pw = strstr(s, "password_file: ")) != NULL)
		memcpy(pw, "password:      ", 15);
	p = plan_of(s, err, sizeof(err));
	if (p == NULL)
		fprintf(stderr, "%s\n", err);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_INT(p->ncontacts, 6);
		CHECK_INT(p->starttls, NOTIFY_STARTTLS_REQUIRED);
		CHECK_STR(p->from_addr, "csirt@example.ac.jp");
		/* What the text says the routes do. */
		CHECK_INT(notify_route(p, "intrusion",
		    INC_IMPACT_INFRASTRUCTURE, INC_SEV_HIGH, c), 6);
		CHECK_INT(notify_route(p, "leak", INC_IMPACT_INTERNAL,
		    INC_SEV_LOW, c), 1);
		CHECK_INT(notify_route(p, "leak", INC_IMPACT_EXTERNAL,
		    INC_SEV_LOW, c), 3);
	}
	notify_plan_free(p);
	free(buf);
}

TEST(plan_defaults)
{
	struct notify_plan *p;
	char err[512];

	p = plan_of("notify:\n  contacts:\n    - name: chat\n"
	    "      role: csirt\n      webhook: http://127.0.0.1:9/x\n",
	    err, sizeof(err));
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK_INT(p->attempts, 5);
	CHECK_INT(p->retry_delay_ns, 30 * NS_PER_SEC);
	CHECK_INT(p->timeout_ns, 30 * NS_PER_SEC);
	CHECK_INT(p->rate_count, 30);
	CHECK_INT(p->rate_window_ns, 3600 * NS_PER_SEC);
	CHECK(p->smtp_url == NULL);
	CHECK_INT(p->nroutes, 0);
	notify_plan_free(p);

	/* A username makes STARTTLS required. */
	p = plan_of("notify:\n  from: a@b.example\n  smtp:\n"
	    "    url: smtp://127.0.0.1\n    username: u\n    password: pw\n",
	    err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_INT(p->starttls, NOTIFY_STARTTLS_REQUIRED);
		CHECK(p->from_name == NULL);
		CHECK_STR(p->from_addr, "a@b.example");
	}
	notify_plan_free(p);
	p = plan_of("notify:\n  rate_limit: none\n", err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL)
		CHECK_INT(p->rate_count, 0);
	notify_plan_free(p);
}

TEST(plan_password_file)
{
	struct notify_plan *p;
	char path[256], text[512], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/test-notify-pw-%d", tmpdir(),
	    (int)getpid());
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs("s3cret pass\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "notify:\n  from: a@b.example\n"
	    "  smtp:\n    url: smtps://127.0.0.1\n    username: u\n"
	    "    password_file: %s\n", path);
	p = plan_of(text, err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL)
		CHECK_STR(p->password, "s3cret pass");
	notify_plan_free(p);
	unlink(path);
	/* Gone now: the error names the file and the line. */
	p = plan_of(text, err, sizeof(err));
	CHECK(p == NULL);
	snprintf(text, sizeof(text), "t.yaml:6: setting "
	    "'notify.smtp.password_file': cannot read %s: No such file or "
	    "directory", path);
	CHECK_STR(err, text);
}

/* Each bad plan and its message, word for word. */
static const struct {
	const char *yaml;
	const char *err;
} bad_plans[] = {
	{ "notify:\n  contacts:\n    - name: a\n      role: csirtt\n"
	  "      webhook: http://h/\n",
	  "t.yaml:4: setting 'notify.contacts[0].role': unknown role (did "
	  "you mean 'csirt'?)" },
	{ "notify:\n  contacts:\n    - name: a\n      role: janitor\n"
	  "      webhook: http://h/\n",
	  "t.yaml:4: setting 'notify.contacts[0].role': unknown role (one of "
	  "csirt, administrators, management, legal, police, "
	  "external-csirt)" },
	{ "notify:\n  from: a@b.example\n  smtp: {url: smtp://h}\n"
	  "  contacts:\n    - name: a\n      role: csirt\n"
	  "      webhook: http://h/\n    - name: b\n      role: legal\n"
	  "      email:\n        - ok@example.org\n"
	  "        - \"x@y\\r\\nBcc: evil@example.net\"\n",
	  "t.yaml:12: setting 'notify.contacts[1].email[1]': not a mail "
	  "address (expected local@domain)" },
	{ "notify:\n  contacts:\n    - name: a\n      role: csirt\n"
	  "      email: a@b.example\n",
	  "t.yaml:3: setting 'notify.contacts[0].email': no mail server: add "
	  "notify.smtp.url" },
	{ "notify:\n  smtp: {url: smtp://h}\n  contacts:\n    - name: a\n"
	  "      role: csirt\n      email: a@b.example\n",
	  "t.yaml:4: setting 'notify.contacts[0].email': no sender: add "
	  "notify.from" },
	{ "notify:\n  contacts:\n    - name: a\n      role: csirt\n",
	  "t.yaml:3: setting 'notify.contacts[0]': neither email nor "
	  "webhook: nothing to reach the contact by" },
	{ "notify:\n  contacts:\n    - name: a\n      role: csirt\n"
	  "      webhook: http://h/\n    - name: a\n      role: legal\n"
	  "      webhook: http://h/\n",
	  "t.yaml:6: setting 'notify.contacts[1].name': 'a' is already the "
	  "name of the contact on line 3" },
	{ "notify:\n  contacts:\n    - name: a\n      role: csirt\n"
	  "      webhook: ftp://h/\n",
	  "t.yaml:5: setting 'notify.contacts[0].webhook': unsupported scheme "
	  "(expected http:// or https://)" },
	{ "notify:\n  contacts:\n    - name: csirt\n      role: csirt\n"
	  "      webhook: http://h/\n  routes:\n    - contacts: [csirtt]\n",
	  "t.yaml:7: setting 'notify.routes[0].contacts[0]': no contact of "
	  "that name (did you mean 'csirt'?)" },
	{ "notify:\n  routes:\n    - min_impact: external\n",
	  "t.yaml:3: setting 'notify.routes[0]': neither roles nor contacts: "
	  "the route reaches nobody" },
	{ "notify:\n  routes:\n    - roles: [csirt]\n      min_impact: huge\n",
	  "t.yaml:4: setting 'notify.routes[0].min_impact': expected internal, "
	  "external or infrastructure" },
	{ "notify:\n  routes:\n    - roles: [csirt, managment]\n",
	  "t.yaml:3: setting 'notify.routes[0].roles[1]': unknown role (did "
	  "you mean 'management'?)" },
	{ "notify:\n  rate_limt: 5/h\n",
	  "t.yaml:2: unknown setting 'notify.rate_limt' (did you mean "
	  "'rate_limit'?)" },
	{ "notify:\n  rate_limit: 5 per hour\n",
	  "t.yaml:2: setting 'notify.rate_limit': expected COUNT/PERIOD such "
	  "as 30/h or 10/15m, or none" },
	{ "notify:\n  from: a@b.example\n  smtp:\n    url: smtp://h\n"
	  "    starttls: optional\n    username: u\n    password: p\n",
	  "t.yaml:5: setting 'notify.smtp.starttls': must be required when a "
	  "username is given (the password would cross the network in clear "
	  "text)" },
	{ "notify:\n  smtp:\n    url: smtp://u:pw@h\n",
	  "t.yaml:3: setting 'notify.smtp.url': a user name in the URL (give "
	  "username: and password: instead) (expected smtp://HOST[:PORT] or "
	  "smtps://HOST[:PORT])" },
	{ "notify:\n  smtp:\n    url: http://h\n",
	  "t.yaml:3: setting 'notify.smtp.url': unsupported scheme (expected "
	  "smtp://HOST[:PORT] or smtps://HOST[:PORT])" },
	{ "notify:\n  smtp:\n    starttls: never\n",
	  "t.yaml:3: setting 'notify.smtp.url': missing (such as "
	  "smtp://127.0.0.1:25)" },
	{ "notify:\n  from: \"x\\r\\nBcc: evil@example.net\"\n",
	  "t.yaml:2: setting 'notify.from': expected a mail address such as "
	  "'mamori <csirt@example.org>'" },
	{ "notify:\n  attempts: 0\n",
	  "t.yaml:2: setting 'notify.attempts': expected a whole number from "
	  "1 to 100, got '0'" },
	{ "notify:\n  retry_delay: 2h\n  retry_max: 1h\n",
	  "t.yaml:3: setting 'notify.retry_max': shorter than retry_delay" },
	{ "notify:\n  contacts: {name: a}\n",
	  "t.yaml:2: setting 'notify.contacts': expected a list, got a "
	  "mapping" },
	{ "notify:\n  contacts:\n    - name: a b\n      role: csirt\n",
	  "t.yaml:3: setting 'notify.contacts[0].name': use 1 to 64 letters, "
	  "digits, '.', '-' or '_'" },
	{ "notify:\n",
	  "t.yaml: setting 'notify': empty" },
};

TEST(plan_errors)
{
	struct notify_plan *p;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad_plans) / sizeof(bad_plans[0]); i++) {
		p = plan_of(bad_plans[i].yaml, err, sizeof(err));
		CHECK(p == NULL);
		notify_plan_free(p);
		if (strcmp(err, bad_plans[i].err) != 0) {
			fprintf(stderr, "bad plan %zu:\n  got  %s\n  want "
			    "%s\n", i, err, bad_plans[i].err);
			test_failed_checks++;
		}
	}
}

TEST(routing)
{
	struct notify_plan *p;
	unsigned char c[8];
	char err[512];

	if ((p = plan_of(university, err, sizeof(err))) == NULL) {
		CHECK(0);
		return;
	}
	/* A low internal scan: the CSIRT alone. */
	CHECK_INT(notify_route(p, "scan", INC_IMPACT_INTERNAL, INC_SEV_LOW,
	    c), 1);
	CHECK(c[0] && !c[1] && !c[2] && !c[3] && !c[4] && !c[5]);
	/* Medium: the administrators too. */
	CHECK_INT(notify_route(p, "attack", INC_IMPACT_EXTERNAL,
	    INC_SEV_MEDIUM, c), 2);
	CHECK(c[0] && c[1] && !c[2]);
	/* An external leak: management and legal (category matches). */
	CHECK_INT(notify_route(p, "leak", INC_IMPACT_EXTERNAL, INC_SEV_LOW,
	    c), 3);
	CHECK(c[0] && !c[1] && c[2] && c[3] && !c[4] && !c[5]);
	/* The same category inside only: not them. */
	CHECK_INT(notify_route(p, "leak", INC_IMPACT_INTERNAL, INC_SEV_LOW,
	    c), 1);
	/* Infrastructure intrusion, critical: everyone, each once. */
	CHECK_INT(notify_route(p, "intrusion", INC_IMPACT_INFRASTRUCTURE,
	    INC_SEV_CRITICAL, c), 6);
	CHECK(c[0] == 1 && c[1] == 1 && c[2] == 1 && c[3] == 1 &&
	    c[4] == 1 && c[5] == 1);
	/* dos reaches the police but not management or legal. */
	CHECK_INT(notify_route(p, "dos", INC_IMPACT_INFRASTRUCTURE,
	    INC_SEV_LOW, c), 3);
	CHECK(c[0] && !c[2] && !c[3] && c[4] && c[5]);
	/* No category: only routes without a category filter. */
	CHECK_INT(notify_route(p, NULL, INC_IMPACT_INFRASTRUCTURE,
	    INC_SEV_HIGH, c), 2);
	notify_plan_free(p);
}

TEST(rate_limiter)
{
	struct notify_rate r = { 0 };
	int64_t now = 1000 * NS_PER_SEC, wait, w = 60 * NS_PER_SEC;
	int i, n = 0;

	/* 3 per minute: three at once, then one every 20 s. */
	for (i = 0; i < 5; i++)
		n += notify_rate_take(&r, 3, w, now, NULL);
	CHECK_INT(n, 3);
	CHECK_INT(notify_rate_take(&r, 3, w, now, &wait), 0);
	CHECK_INT(wait, 20 * NS_PER_SEC);
	CHECK_INT(notify_rate_take(&r, 3, w, now + 20 * NS_PER_SEC - 1,
	    &wait), 0);
	CHECK_INT(wait, 1);
	CHECK_INT(notify_rate_take(&r, 3, w, now + 20 * NS_PER_SEC, &wait),
	    1);
	CHECK_INT(wait, 0);
	CHECK_INT(notify_rate_take(&r, 3, w, now + 20 * NS_PER_SEC, NULL),
	    0);
	/* After a quiet window the burst is back, not more. */
	now += 200 * NS_PER_SEC;
	for (i = 0, n = 0; i < 10; i++)
		n += notify_rate_take(&r, 3, w, now, NULL);
	CHECK_INT(n, 3);
	/* No limit. */
	for (i = 0, n = 0; i < 1000; i++)
		n += notify_rate_take(&r, 0, w, now, NULL);
	CHECK_INT(n, 1000);
}

TEST(clean)
{
	char *s;

	s = notify_clean("a\r\nBcc: x\t\x01y\x7f", 13, 100);
	CHECK_STR(s, "a Bcc: x y");
	free(s);
	/* Invalid UTF-8, overlong '/', a surrogate, C1, bidi override. */
	s = notify_clean("a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xc2\x85"
	    "e\xe2\x80\xae" "f", 17, 100);
	CHECK_STR(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "d e f");
	free(s);
	/* Cut on a character boundary: "日本" is 6 bytes. */
	s = notify_clean("日本語", 9, 7);
	CHECK_STR(s, "日本...");
	free(s);
	/* Cut where a space was: still marked as cut. */
	s = notify_clean("abc def", 7, 3);
	CHECK_STR(s, "abc...");
	free(s);
	s = notify_clean("abcdef", 6, 6);
	CHECK_STR(s, "abcdef");
	free(s);
	s = notify_clean("  lead   trail  ", 16, 100);
	CHECK_STR(s, "lead trail");
	free(s);
	s = notify_clean(NULL, 0, 10);
	CHECK_STR(s, "");
	free(s);
}

/* Decodes RFC 2047 B words of an unfolded header value (test side). */
static char *
decode_words(const char *v)
{
	char *out = calloc(1, strlen(v) + 1), *o = out;
	const char *s = v, *e;
	unsigned char buf[512];
	int n;

	while (*s != '\0') {
		if (strncmp(s, "=?UTF-8?B?", 10) == 0 &&
		    (e = strstr(s + 10, "?=")) != NULL) {
			n = EVP_DecodeBlock(buf, (const unsigned char *)s + 10,
			    (int)(e - s - 10));
			while (n > 0 && (e - s - 10) >= 1 && e[-1] == '=' &&
			    (e[-1] == '=' ? (e--, 1) : 0))
				n--;
			memcpy(o, buf, (size_t)n);
			o += n;
			s = strstr(s + 10, "?=") + 2;
			while (*s == ' ' || *s == '\r' || *s == '\n')
				s++;	/* space between words is dropped */
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

TEST(header_encode)
{
	char *h, *d;
	const char *line, *nl;

	h = notify_header_encode("Subject", "plain ascii");
	CHECK_STR(h, "Subject: plain ascii\r\n");
	free(h);
	/* CR LF from an attacker never starts a header. */
	h = notify_header_encode("Subject", "hi\r\nBcc: evil@example.net\r\n"
	    "\r\nbody");
	CHECK_STR(h, "Subject: hi Bcc: evil@example.net body\r\n");
	free(h);
	/* "=?" would be decoded by readers: encoded too. */
	h = notify_header_encode("Subject", "=?UTF-8?B?Zm9v?=");
	CHECK(strncmp(h, "Subject: =?UTF-8?B?", 19) == 0);
	d = decode_words(h + 9);
	CHECK_STR(d, "=?UTF-8?B?Zm9v?=");
	free(d);
	free(h);
	/* Japanese: encoded words, folded, each line within 78. */
	h = notify_header_encode("Subject", "[mamori #12] 不正アクセスの疑い:"
	    " 研究室サーバへの SSH 総当たり攻撃が続いています");
	CHECK(strncmp(h, "Subject: =?UTF-8?B?", 19) == 0);
	for (line = h; *line != '\0'; line = nl + 2) {
		nl = strstr(line, "\r\n");
		CHECK(nl != NULL);
		if (nl == NULL)
			break;
		CHECK(nl - line <= 78);
		if (line != h)
			CHECK(*line == ' ');
	}
	CHECK(strstr(h, "\r\n ") != NULL);
	/* Words are filled, not one character each. */
	{
		size_t nlines = 0;

		for (line = h; (line = strstr(line, "\r\n")) != NULL;
		    line += 2)
			nlines++;
		CHECK_INT(nlines, 3);
	}
	d = decode_words(h + 9);
	CHECK_STR(d, "[mamori #12] 不正アクセスの疑い: 研究室サーバへの SSH "
	    "総当たり攻撃が続いています");
	free(d);
	free(h);
	/* A long ASCII subject is folded at spaces. */
	h = notify_header_encode("Subject", "aaaaaaaaaa bbbbbbbbbb cccccccccc "
	    "dddddddddd eeeeeeeeee ffffffffff gggggggggg hhhhhhhhhh");
	CHECK_STR(h, "Subject: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd "
	    "eeeeeeeeee ffffffffff\r\n gggggggggg hhhhhhhhhh\r\n");
	free(h);
}

/* Decodes quoted-printable (test side): soft breaks, =XX, CRLF -> LF. */
static char *
qp_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;
	unsigned v;

	for (i = 0; i < len; i++) {
		if (s[i] == '=' && i + 2 < len && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < len &&
		    sscanf(s + i + 1, "%2X", &v) == 1) {
			*o++ = (char)v;
			i += 2;
		} else if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			*o++ = '\n';
			i++;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* Every line of s[0..len) ends in CRLF (the last may end the text) and
 * is at most max wide. */
static int
lines_ok(const char *s, size_t len, size_t max)
{
	const char *e, *end = s + len;

	while (s < end) {
		if ((e = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return memchr(s, '\r', (size_t)(end - s)) == NULL &&
			    (size_t)(end - s) <= max;
		if (e == s || e[-1] != '\r' ||
		    (size_t)(e - 1 - s) > max)
			return 0;
		if (memchr(s, '\r', (size_t)(e - 1 - s)) != NULL)
			return 0;
		s = e + 1;
	}
	return 1;
}

TEST(qp)
{
	char *q, *d, text[400];
	size_t i;

	q = notify_qp_encode("a=b \nend ", 9);
	CHECK_STR(q, "a=3Db=20\r\nend=20");
	free(q);
	/* Dots and "From " opening a line are encoded. */
	q = notify_qp_encode(".\nFrom me\nFromage", 17);
	CHECK_STR(q, "=2E\r\n=46rom me\r\nFromage");
	free(q);
	q = notify_qp_encode("日本", 6);
	CHECK_STR(q, "=E6=97=A5=E6=9C=AC");
	free(q);
	/* 76 wide at most, and decodes back. */
	for (i = 0; i < sizeof(text) - 1; i++)
		text[i] = i % 7 == 0 ? '=' : i % 50 == 49 ? '\n' : 'x';
	text[sizeof(text) - 1] = '\0';
	q = notify_qp_encode(text, strlen(text));
	CHECK(lines_ok(q, strlen(q), 76));
	d = qp_decode(q, strlen(q));
	CHECK_STR(d, text);
	free(d);
	free(q);
	/* Exactly 76 plain characters fit one line. */
	memset(text, 'y', 76);
	text[76] = '\0';
	q = notify_qp_encode(text, 76);
	CHECK(strlen(q) == 76 || strstr(q, "=\r\n") != NULL);
	d = qp_decode(q, strlen(q));
	CHECK_STR(d, text);
	free(d);
	free(q);
}

TEST(url_redact)
{
	char buf[128];

	CHECK_STR(notify_url_redact("https://chat.example/hooks/SECRET",
	    buf, sizeof(buf)), "https://chat.example/...");
	CHECK_STR(notify_url_redact("http://127.0.0.1:8080/x?token=y",
	    buf, sizeof(buf)), "http://127.0.0.1:8080/...");
	CHECK_STR(notify_url_redact("http://user:pw@h.example/", buf,
	    sizeof(buf)), "http://h.example/...");
}

/* An incident as an attacker would like it. */
static void
hostile_incident(struct incident *inc, struct inc_party *pp,
    struct inc_step *st)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = 12;
	inc->title = (char *)"SSH brute force from 203.0.113.9\r\nBcc: "
	    "evil@example.net\r\n\r\nfake body";
	inc->category = (char *)"attack";
	inc->rsit_class = (char *)"intrusion-attempts";
	inc->rsit_type = (char *)"brute-force";
	inc->impact = INC_IMPACT_EXTERNAL;
	inc->severity = INC_SEV_HIGH;
	inc->status = INC_TRIAGE;
	inc->source = (char *)"alerts";
	inc->playbook = (char *)"attack";
	inc->first_seen_ns = 1764320000LL * NS_PER_SEC;
	inc->last_seen_ns = 1764323600LL * NS_PER_SEC;
	inc->alert_count = 37;
	memset(pp, 0, 3 * sizeof(*pp));
	pp[0].role = INC_ATTACKER;
	pp[0].kind = INC_PARTY_IP;
	pp[0].value = (char *)"203.0.113.9";
	pp[1].role = INC_VICTIM;
	pp[1].kind = INC_PARTY_HOST;
	pp[1].value = (char *)"web1\x1b[2J";
	pp[2].role = INC_VICTIM;
	pp[2].kind = INC_PARTY_USER;
	pp[2].value = (char *)"root";
	inc->parties = pp;
	inc->nparties = 3;
	memset(st, 0, 2 * sizeof(*st));
	st[0].n = 1;
	st[0].title = (char *)"Stay calm and start the record";
	st[0].state = INC_STEP_DONE;
	st[1].n = 2;
	st[1].title = (char *)"Block the attacker at the border";
	st[1].state = INC_STEP_OPEN;
	inc->steps = st;
	inc->nsteps = 2;
}

/* The value of header name in mail (unfolded), or NULL. */
static char *
header(const char *mail, const char *name)
{
	const char *end = strstr(mail, "\r\n\r\n"), *s, *e;
	size_t nl = strlen(name);
	char *v, *o;

	for (s = mail; s < end; s = strstr(s, "\r\n") + 2) {
		if (strncasecmp(s, name, nl) == 0 && s[nl] == ':') {
			s += nl + 1;
			while (*s == ' ')
				s++;
			for (e = s; e < end; e = strstr(e, "\r\n") + 2)
				if (e != s && e[0] != ' ' && e[0] != '\t')
					break;
			if (e > end)
				e = end;
			v = o = strndup(s, (size_t)(e - s));
			for (s = v; *s != '\0'; s++)
				if (*s != '\r' && *s != '\n')
					*o++ = *s;
			*o = '\0';
			return v;
		}
	}
	return NULL;
}

TEST(compose_mail)
{
	static const char *const known[] = { "Date:", "From:", "To:",
	    "Subject:", "Message-ID:", "MIME-Version:", "Content-Type:",
	    "Content-Transfer-Encoding:", "Auto-Submitted:",
	    "X-Mamori-Incident:" };
	struct notify_plan *p;
	struct notify_msg m;
	struct incident inc;
	struct inc_party pp[3];
	struct inc_step st[2];
	char err[512], *v, *d, *body;
	const char *s, *hend;
	size_t i;
	int ok;

	if ((p = plan_of(university, err, sizeof(err))) == NULL) {
		CHECK(0);
		return;
	}
	hostile_incident(&inc, pp, st);
	CHECK_INT(notify_compose(p, &p->contacts[0], &inc, "created",
	    1764324000LL * NS_PER_SEC, &m), 0);
	CHECK(m.mail != NULL && m.json != NULL);
	if (m.mail == NULL || m.json == NULL)
		goto out;
	CHECK_INT(m.mail_len, strlen(m.mail));
	hend = strstr(m.mail, "\r\n\r\n");
	CHECK(hend != NULL);
	/* Every header line is one of ours or a continuation. */
	for (s = m.mail; s < hend; s = strstr(s, "\r\n") + 2) {
		ok = *s == ' ';
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strncmp(s, known[i], strlen(known[i])) == 0;
		if (!ok)
			fprintf(stderr, "unexpected header line: %.40s\n", s);
		CHECK(ok);
	}
	CHECK(strstr(m.mail, "\r\nBcc:") == NULL);
	CHECK(lines_ok(m.mail, m.mail_len, 78));
	CHECK_STR(m.subject, "[mamori #12] high external attack: SSH brute "
	    "force from 203.0.113.9 Bcc: evil@example.net fake body");
	v = header(m.mail, "Subject");
	CHECK_STR(v, "[mamori #12] high external attack: SSH brute force "
	    "from 203.0.113.9 Bcc: evil@example.net fake body");
	free(v);
	v = header(m.mail, "Date");
	CHECK_STR(v, "Fri, 28 Nov 2025 10:00:00 +0000");
	free(v);
	v = header(m.mail, "From");
	CHECK_STR(v, "mamori CSIRT <csirt@example.ac.jp>");
	free(v);
	v = header(m.mail, "To");
	CHECK_STR(v, "csirt@example.ac.jp, soc@example.ac.jp");
	free(v);
	v = header(m.mail, "Message-ID");
	CHECK(v != NULL && strncmp(v, "<mamori.12.1764324000000000000.", 31)
	    == 0 && strcmp(v + strlen(v) - 15, "@example.ac.jp>") == 0);
	free(v);
	v = header(m.mail, "Content-Type");
	CHECK_STR(v, "text/plain; charset=UTF-8");
	free(v);
	v = header(m.mail, "Content-Transfer-Encoding");
	CHECK_STR(v, "quoted-printable");
	free(v);
	/* The body decodes to the text, which holds what matters. */
	body = qp_decode(hend + 4, strlen(hend + 4));
	d = malloc(strlen(m.text) + 2);
	sprintf(d, "%s\n", m.text);
	CHECK_STR(body, d);
	free(d);
	free(body);
	CHECK(strstr(m.text, "Incident #12: SSH brute force from 203.0.113.9 "
	    "Bcc: evil@example.net fake body\n") != NULL);
	CHECK(strstr(m.text, "Why you receive this: created\n") != NULL);
	CHECK(strstr(m.text, "Category: attack (RSIT intrusion-attempts / "
	    "brute-force)\n") != NULL);
	CHECK(strstr(m.text, "Impact: external (affects outsiders)\n") !=
	    NULL);
	CHECK(strstr(m.text, "Severity: high\n") != NULL);
	CHECK(strstr(m.text, "Status: triage\n") != NULL);
	CHECK(strstr(m.text, "First seen: 2025-11-28T08:53:20Z\n") != NULL);
	CHECK(strstr(m.text, "Alerts: 37\n") != NULL);
	CHECK(strstr(m.text, "Attackers: ip 203.0.113.9\n") != NULL);
	CHECK(strstr(m.text, "Victims: host web1 [2J, user root\n") != NULL);
	CHECK(strstr(m.text, "\x1b") == NULL);
	CHECK(strstr(m.text, "Next steps (playbook attack):\n  2. Block the "
	    "attacker at the border\n") != NULL);
	CHECK(strstr(m.text, "Stay calm") == NULL);
	CHECK(strstr(m.text, "Console: https://mamori.example.ac.jp/"
	    "incidents/12\n") != NULL);
	/* The webhook body: chat text, and the canonical incident. */
	{
		json_t *j = json_loads(m.json, 0, NULL);

		CHECK(j != NULL);
		CHECK_STR(json_string_value(json_object_get(j, "text")),
		    "[mamori #12] high external attack: SSH brute force from "
		    "203.0.113.9 Bcc: evil@example.net fake body (created) "
		    "https://mamori.example.ac.jp/incidents/12");
		CHECK_STR(json_string_value(json_object_get(j, "role")),
		    "csirt");
		CHECK_INT(json_integer_value(json_object_get(json_object_get(
		    j, "incident"), "id")), 12);
		json_decref(j);
	}
	notify_msg_release(&m);

	/* Japanese for board; the subject the same; no webhook. */
	inc.title = (char *)"研究室サーバへの不正アクセス";
	CHECK_INT(notify_compose(p, &p->contacts[2], &inc, "impact raised",
	    1764324000LL * NS_PER_SEC, &m), 0);
	CHECK(m.json == NULL);
	if (m.mail == NULL)
		goto out;
	CHECK(lines_ok(m.mail, m.mail_len, 78));
	v = header(m.mail, "Subject");
	CHECK(v != NULL && strncmp(v, "=?UTF-8?B?", 10) == 0);
	d = decode_words(v);
	CHECK_STR(d, "[mamori #12] high external attack: "
	    "研究室サーバへの不正アクセス");
	free(d);
	free(v);
	CHECK(strstr(m.text, "影響範囲: external (組織外に影響 (不祥事))\n") !=
	    NULL);
	/* Mostly Japanese: the body goes in base64, and decodes back. */
	v = header(m.mail, "Content-Transfer-Encoding");
	CHECK_STR(v, "base64");
	free(v);
	hend = strstr(m.mail, "\r\n\r\n");
	if (hend != NULL) {
		char *flat = calloc(1, strlen(hend) + 1), *o = flat, *x;
		unsigned char *dec;
		int dn;

		for (s = hend + 4; *s != '\0'; s++)
			if (*s != '\r' && *s != '\n')
				*o++ = *s;
		dec = calloc(1, strlen(flat) + 1);
		dn = EVP_DecodeBlock(dec, (unsigned char *)flat,
		    (int)strlen(flat));
		while (o > flat && o[-1] == '=') {
			o--;
			dn--;
		}
		CHECK(dn > 0);
		x = calloc(1, 2 * strlen(m.text) + 1);
		for (s = m.text, o = x; *s != '\0'; s++) {
			if (*s == '\n')
				*o++ = '\r';
			*o++ = *s;
		}
		CHECK_INT(dn, strlen(x));
		CHECK(dn > 0 && memcmp(dec, x, (size_t)dn) == 0);
		free(x);
		free(dec);
		free(flat);
	}
	CHECK(strstr(m.text, "通知の理由: impact raised\n") != NULL);
 out:
	notify_msg_release(&m);
	notify_plan_free(p);
}

/*
 * A small HTTP receiver on loopback: answers 500 to the first fail
 * requests, then 200, and keeps the bodies.
 */
struct httpd {
	int		 fd, port, fail, count;
	char		*bodies[16];
	int		 nbodies;
	pthread_t	 th;
	pthread_mutex_t	 mu;
};

static void *
httpd_main(void *arg)
{
	struct httpd *h = arg;
	char buf[65536], *e, *cl;
	size_t got, need;
	ssize_t n;
	int c, status;

	while ((c = accept(h->fd, NULL, NULL)) >= 0) {
		got = 0;
		need = 0;
		e = NULL;
		while (got < sizeof(buf) - 1 && (n = read(c, buf + got,
		    sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (e == NULL && (e = strstr(buf, "\r\n\r\n")) !=
			    NULL) {
				cl = strcasestr(buf, "Content-Length:");
				need = (size_t)(e + 4 - buf) +
				    (cl != NULL ? strtoul(cl + 15, NULL, 10) :
				    0);
			}
			if (e != NULL && got >= need)
				break;
		}
		pthread_mutex_lock(&h->mu);
		status = h->count++ < h->fail ? 500 : 200;
		if (status == 200 && e != NULL && h->nbodies < 16)
			h->bodies[h->nbodies++] = strdup(e + 4);
		pthread_mutex_unlock(&h->mu);
		snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\nContent-Length: "
		    "0\r\nConnection: close\r\n\r\n", status);
		if (write(c, buf, strlen(buf)) < 0)
			perror("write");
		close(c);
	}
	return NULL;
}

static int
httpd_start(struct httpd *h, int fail)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(h, 0, sizeof(*h));
	h->fail = fail;
	pthread_mutex_init(&h->mu, NULL);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((h->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(h->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(h->fd, 16) != 0 ||
	    getsockname(h->fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	h->port = ntohs(a.sin_port);
	return pthread_create(&h->th, NULL, httpd_main, h);
}

static void
httpd_stop(struct httpd *h)
{
	int i;

	shutdown(h->fd, SHUT_RDWR);
	pthread_join(h->th, NULL);
	close(h->fd);
	for (i = 0; i < h->nbodies; i++)
		free(h->bodies[i]);
	pthread_mutex_destroy(&h->mu);
}

/* A port nobody listens on: bound, never listened to. */
static int
closed_port(int *fd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(*fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	return ntohs(a.sin_port);
}

static int64_t
new_incident(sqlite3 *h, const char *title, const char *category)
{
	struct incident inc;
	struct inc_party pp = { INC_ATTACKER, INC_PARTY_IP,
	    (char *)"198.51.100.7", 0 };

	memset(&inc, 0, sizeof(inc));
	inc.title = (char *)title;
	inc.category = (char *)category;
	inc.impact = INC_IMPACT_EXTERNAL;
	inc.severity = INC_SEV_HIGH;
	inc.parties = &pp;
	inc.nparties = 1;
	if (incident_create(h, &inc, NULL, "test") != 0)
		return 0;
	return inc.id;
}

/* The first column of the first row of sql, as text (static buffer). */
static const char *
q1(sqlite3 *h, const char *sql)
{
	static char out[2048];
	sqlite3_stmt *st;

	snprintf(out, sizeof(out), "(none)");
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return "(error)";
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static char dbpath[256];

static struct db *
fresh_db(void)
{
	char err[256];
	struct db *db;

	snprintf(dbpath, sizeof(dbpath), "%s/test-notify-%d.db", tmpdir(),
	    (int)getpid());
	unlink(dbpath);
	if ((db = db_open(dbpath, 0, err, sizeof(err))) == NULL)
		fprintf(stderr, "%s\n", err);
	return db;
}

static void
drop_db(struct db *db)
{
	char p[300];

	db_close(db);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

TEST(notify_sync)
{
	struct notify_plan *p;
	struct httpd hd;
	struct db *db;
	sqlite3 *h;
	char yaml[1024], err[512], *out = NULL;
	size_t outlen = 0;
	int64_t id;
	FILE *rep;
	int dead, deadfd;

	if ((dead = closed_port(&deadfd)) < 0 || httpd_start(&hd, 2) != 0) {
		CHECK(0);
		return;
	}
	snprintf(yaml, sizeof(yaml), "notify:\n  attempts: 3\n"
	    "  retry_delay: 1ms\n  timeout: 5s\n  contacts:\n"
	    "    - name: chat\n      role: csirt\n"
	    "      webhook: http://127.0.0.1:%d/hooks/SECRET\n"
	    "    - name: gone\n      role: administrators\n"
	    "      webhook: http://127.0.0.1:%d/hooks/SECRET2\n"
	    "  routes:\n    - roles: [csirt, administrators]\n",
	    hd.port, dead);
	p = plan_of(yaml, err, sizeof(err));
	db = fresh_db();
	CHECK(p != NULL && db != NULL);
	if (p == NULL || db == NULL)
		goto out;
	h = db_sqlite(db);
	id = new_incident(h, "Port scan from 198.51.100.7", "scan");
	CHECK(id > 0);

	/* Dry run: printed, nothing sent or recorded. */
	rep = open_memstream(&out, &outlen);
	CHECK_INT(notify_incident(p, h, id, "created", NULL, 1, rep), 0);
	fclose(rep);
	CHECK(strstr(out, "webhook to chat http://127.0.0.1:") != NULL);
	CHECK(strstr(out, "would send") != NULL);
	CHECK(strstr(out, "SECRET") == NULL);
	CHECK(strstr(out, "Subject: [mamori #") != NULL);
	free(out);
	CHECK_STR(q1(h, "SELECT count(*) FROM notifications"), "0");
	CHECK_INT(hd.count, 0);

	/* Real: chat succeeds on the third try; gone fails three times. */
	rep = open_memstream(&out, &outlen);
	CHECK_INT(notify_incident(p, h, id, "created", NULL, 0, rep),
	    MAMORI_EIO);
	fclose(rep);
	CHECK(strstr(out, "webhook to chat http://127.0.0.1:") != NULL);
	CHECK(strstr(out, "/...: sent after 3 attempts\n") != NULL);
	CHECK(strstr(out, "webhook to gone") != NULL);
	CHECK(strstr(out, ": failed after 3 attempts: http://127.0.0.1:") !=
	    NULL);
	CHECK(strstr(out, "SECRET") == NULL);
	free(out);
	CHECK_INT(hd.count, 3);
	CHECK_INT(hd.nbodies, 1);
	if (hd.nbodies == 1) {
		json_t *j = json_loads(hd.bodies[0], 0, NULL);

		CHECK_INT(json_integer_value(json_object_get(
		    json_object_get(j, "incident"), "id")), id);
		CHECK_STR(json_string_value(json_object_get(j, "why")),
		    "created");
		json_decref(j);
	}
	CHECK_STR(q1(h, "SELECT group_concat(contact || ' ' || channel || ' ' "
	    "|| status || ' ' || attempts, '; ') FROM notifications"),
	    "chat webhook sent 3; gone webhook failed 3");
	CHECK(strstr(q1(h, "SELECT error FROM notifications WHERE contact = "
	    "'gone'"), "127.0.0.1") != NULL);
	CHECK_STR(q1(h, "SELECT count(*) FROM notifications WHERE target "
	    "LIKE '%SECRET%'"), "0");
	CHECK_STR(q1(h, "SELECT count(*) FROM incident_timeline WHERE kind = "
	    "'notify' AND who = 'mamori'"), "2");
	CHECK(strstr(q1(h, "SELECT text FROM incident_timeline WHERE kind = "
	    "'notify' AND text LIKE 'webhook to gone%'"), ": failed after 3 "
	    "attempts: ") != NULL);

	/* One named contact, past the routes; an unknown one. */
	rep = open_memstream(&out, &outlen);
	CHECK_INT(notify_incident(p, h, id, "again", "chat", 0, rep), 0);
	CHECK_INT(notify_incident(p, h, id, "again", "chaat", 0, rep),
	    MAMORI_ENOTFOUND);
	CHECK_INT(notify_incident(p, h, 999, "again", NULL, 0, rep),
	    MAMORI_ENOTFOUND);
	fclose(rep);
	CHECK(strstr(out, "no contact 'chaat' in the contact plan\n") != NULL);
	CHECK(strstr(out, "no incident #999\n") != NULL);
	free(out);
	CHECK_STR(q1(h, "SELECT count(*) FROM notifications"), "3");
 out:
	httpd_stop(&hd);
	close(deadfd);
	notify_plan_free(p);
	if (db != NULL)
		drop_db(db);
}

TEST(notifier_thread)
{
	struct notify_plan *p;
	struct notifier *n;
	struct httpd hd;
	struct db *db;
	sqlite3 *h;
	char yaml[1024], err[512];
	int64_t ids[4];
	json_t *j;
	int i, dead, deadfd;

	if ((dead = closed_port(&deadfd)) < 0 || httpd_start(&hd, 0) != 0) {
		CHECK(0);
		return;
	}
	/* One per hour to chat: the first goes, the rest wait for a
	 * summary, which the stop sends.  gone is never reachable. */
	snprintf(yaml, sizeof(yaml), "notify:\n  attempts: 2\n"
	    "  retry_delay: 1ms\n  timeout: 2s\n  rate_limit: 1/h\n"
	    "  contacts:\n    - name: chat\n      role: csirt\n"
	    "      webhook: http://127.0.0.1:%d/hook\n"
	    "    - name: gone\n      role: legal\n"
	    "      webhook: http://127.0.0.1:%d/hook\n"
	    "  routes:\n    - roles: [csirt]\n"
	    "    - categories: [leak]\n      roles: [legal]\n",
	    hd.port, dead);
	p = plan_of(yaml, err, sizeof(err));
	db = fresh_db();
	CHECK(p != NULL && db != NULL);
	if (p == NULL || db == NULL)
		goto out;
	h = db_sqlite(db);
	ids[0] = new_incident(h, "first", "scan");
	ids[1] = new_incident(h, "second", "scan");
	ids[2] = new_incident(h, "third", "scan");
	ids[3] = new_incident(h, "a leak", "leak");
	n = notifier_start(p, dbpath, err, sizeof(err));
	CHECK(n != NULL);
	if (n == NULL)
		goto out;
	for (i = 0; i < 4; i++)
		CHECK_INT(notifier_submit(n, ids[i], "created"), 0);
	CHECK_INT(notifier_submit_to(n, ids[0], "by hand", "chat"), 0);
	notifier_stop(n);
	notifier_stop(NULL);

	/* chat: #1 sent, #2..#4 rate-limited then summarised; the manual
	 * one past the limit. */
	CHECK_STR(q1(h, "SELECT group_concat(status, ',') FROM (SELECT "
	    "status FROM notifications WHERE contact = 'chat' ORDER BY "
	    "incident_id, id)"), "sent,sent,rate-limited,summarised,"
	    "rate-limited,summarised,rate-limited,summarised");
	/* gone: the leak, rate limit not reached, failed twice. */
	CHECK_STR(q1(h, "SELECT status || ' ' || attempts FROM notifications "
	    "WHERE contact = 'gone'"), "failed 2");
	CHECK(strstr(q1(h, "SELECT text FROM incident_timeline WHERE "
	    "kind = 'notify' AND text LIKE 'webhook to chat%: sent in a%'"),
	    "sent in a summary of 3 incidents") != NULL);
	CHECK_INT(hd.nbodies, 3);
	if (hd.nbodies == 3) {
		/* Order: #1 and the manual one, then the summary. */
		j = json_loads(hd.bodies[2], 0, NULL);
		CHECK(json_is_true(json_object_get(j, "summary")));
		CHECK_INT(json_integer_value(json_object_get(j, "held_back")),
		    3);
		CHECK_INT(json_array_size(json_object_get(j, "incidents")), 3);
		json_decref(j);
	}
 out:
	httpd_stop(&hd);
	close(deadfd);
	notify_plan_free(p);
	if (db != NULL)
		drop_db(db);
}

int
main(void)
{
	RUN(plan_full);
	RUN(plan_doc_example);
	RUN(plan_defaults);
	RUN(plan_password_file);
	RUN(plan_errors);
	RUN(routing);
	RUN(rate_limiter);
	RUN(clean);
	RUN(header_encode);
	RUN(qp);
	RUN(url_redact);
	RUN(compose_mail);
	RUN(notify_sync);
	RUN(notifier_thread);
	return test_summary();
}
