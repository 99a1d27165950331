/*
 * test-audit.c - the host audit: each parser of untrusted text (the
 * /proc/net socket tables, passwd/shadow/group, sshd_config with Include
 * and Match, apt-get's simulation output recorded from a Debian 12 host,
 * the listener inventory) on normal, exact-limit, truncated and broken
 * input; the JSON of findings with bytes that are not UTF-8; the
 * configuration section with its FILE:LINE errors and nothing
 * half-applied; and a whole audit of a fake root built here, finding by
 * finding, and nothing more on a clean one.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"
#include "host/host.h"
#include "test.h"

static char tmp[1024];

/* A string literal and its length, NUL bytes included. */
#define LIT(s)	(s), (sizeof(s) - 1)

/* mkdir -p of tmp/rel. */
static void
mkdirs(const char *rel)
{
	char p[4096], *s;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (s = p + strlen(tmp) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

/* Writes tmp/rel (making its directories) with mode. */
static const char *
put(const char *rel, const char *text, mode_t mode)
{
	static char path[4096];
	char dir[4096], *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(dir);
	}
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(text, 1, strlen(text), f) != strlen(text) ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
	chmod(path, mode);
	return path;
}

static void
rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* Findings collected from a run. */
struct found {
	json_t		*v[512];
	size_t		 n;
	int		 bad_json;
	int		 bad_app;
};

static int
collect(void *arg, const struct host_finding *f)
{
	struct found *fd = arg;
	json_t *j;

	if (strcmp(f->app, "mamori-audit") != 0)
		fd->bad_app++;
	if (memchr(f->json, '\n', f->len) != NULL || strlen(f->json) != f->len ||
	    (j = json_loadb(f->json, f->len, 0, NULL)) == NULL ||
	    json_object_size(j) != 1 || json_object_get(j, "audit") == NULL) {
		fd->bad_json++;
		return 0;
	}
	if (fd->n < 512)
		fd->v[fd->n++] = j;
	else
		json_decref(j);
	return 0;
}

static void
found_free(struct found *fd)
{
	size_t i;

	for (i = 0; i < fd->n; i++)
		json_decref(fd->v[i]);
	memset(fd, 0, sizeof(*fd));
}

static const char *
sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The finding of check and kind whose subject is subject, or NULL. */
static json_t *
find(const struct found *fd, const char *check, const char *kind,
    const char *subject)
{
	json_t *o;
	size_t i;

	for (i = 0; i < fd->n; i++) {
		o = json_object_get(fd->v[i], "audit");
		if (sget(o, "check") == NULL ||
		    strcmp(sget(o, "check"), check) != 0)
			continue;
		if (kind != NULL && (sget(o, "kind") == NULL ||
		    strcmp(sget(o, "kind"), kind) != 0))
			continue;
		if (subject != NULL && (sget(o, "subject") == NULL ||
		    strcmp(sget(o, "subject"), subject) != 0))
			continue;
		return o;
	}
	return NULL;
}

static size_t
count(const struct found *fd, const char *check)
{
	size_t i, n = 0;

	for (i = 0; i < fd->n; i++)
		if (strcmp(sget(json_object_get(fd->v[i], "audit"), "check"),
		    check) == 0)
			n++;
	return n;
}

static void
dump(const struct found *fd)
{
	size_t i;
	char *s;

	for (i = 0; i < fd->n; i++) {
		s = json_dumps(fd->v[i], JSON_COMPACT);
		fprintf(stderr, "  %s\n", s);
		free(s);
	}
}

/* --- /proc/net ---------------------------------------------------- */

static const char tcp4[] =
"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21762 1 0000000000000000 100 0 0 10 0\n"
"   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n"
"   2: 0100007F:0277 0100007F:D3F0 01 00000000:00000000 00:00000000 00000000  1000        0 99 3 0000000000000000\n";

static const char tcp6[] =
"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
"   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 21763 1 0000000000000000 100 0 0 10 0\n"
"   1: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   33        0 555 1 0000000000000000 100 0 0 10 0\n";

static const char udp4[] =
"   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
"  123: 00000000:007B 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0\n"
"  124: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 778 2 0000000000000000 0\n";

TEST(socks_parse)
{
	struct audit_socks s;
	char buf[128];

	memset(&s, 0, sizeof(s));
	CHECK_INT(audit_socks_parse(&s, tcp4, strlen(tcp4), IPPROTO_TCP,
	    AF_INET), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.bad, 0);
	CHECK_INT(s.v[0].lport, 631);
	CHECK_INT(s.v[0].state, 0x0a);
	CHECK_INT(s.v[0].inode, 21762);
	CHECK(audit_sock_listening(&s.v[0]));
	CHECK(!audit_sock_listening(&s.v[2]));
	CHECK_INT(s.v[2].uid, 1000);
	CHECK_INT(s.v[2].rport, 54256);
	audit_sock_format(&s.v[0], buf, sizeof(buf));
	CHECK_STR(buf, "tcp/127.0.0.1:631");
	audit_sock_format(&s.v[1], buf, sizeof(buf));
	CHECK_STR(buf, "tcp/0.0.0.0:22");
	CHECK_INT(audit_socks_parse(&s, tcp6, strlen(tcp6), IPPROTO_TCP,
	    AF_INET6), 0);
	CHECK_INT(s.n, 5);
	audit_sock_format(&s.v[3], buf, sizeof(buf));
	CHECK_STR(buf, "tcp/[::1]:631");
	audit_sock_format(&s.v[4], buf, sizeof(buf));
	CHECK_STR(buf, "tcp/[::ffff:127.0.0.1]:8080");
	CHECK_INT(s.v[4].uid, 33);
	CHECK_INT(audit_socks_parse(&s, udp4, strlen(udp4), IPPROTO_UDP,
	    AF_INET), 0);
	CHECK_INT(s.n, 7);
	CHECK(audit_sock_listening(&s.v[5]));	/* unconnected */
	CHECK(!audit_sock_listening(&s.v[6]));	/* connected to :53 */
	audit_sock_format(&s.v[5], buf, sizeof(buf));
	CHECK_STR(buf, "udp/0.0.0.0:123");
	audit_socks_release(&s);
	CHECK(s.v == NULL && s.n == 0);
}

TEST(socks_bad)
{
	static const char *const bad[] = {
		/* truncated after the state */
		"   0: 0100007F:0277 00000000:0000 0A\n",
		/* a 7-digit address */
		"   0: 100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",
		/* not hex */
		"   0: 0100007G:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",
		/* an inode past 2^64 */
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99999999999999999999999 1\n",
		/* a uid past 2^32 */
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     4294967296        0 1 1\n",
		/* no colon after sl */
		"   0 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",
		/* an IPv6 address in the IPv4 file */
		"   0: 00000000000000000000000001000000:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n",
	};
	struct audit_socks s;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		snprintf(text, sizeof(text), "header\n%s", bad[i]);
		CHECK_INT(audit_socks_parse(&s, text, strlen(text),
		    IPPROTO_TCP, AF_INET), 0);
		if (s.n != 0 || s.bad != 1)
			fprintf(stderr, "bad line %zu: n %zu bad %zu\n", i,
			    s.n, s.bad);
		CHECK_INT(s.n, 0);
		CHECK_INT(s.bad, 1);
		audit_socks_release(&s);
	}
	/* The exact largest inode, and no newline at the end; and the
	 * header alone. */
	memset(&s, 0, sizeof(s));
	snprintf(text, sizeof(text), "h\n   0: 0100007F:0277 00000000:0000 "
	    "0A 00000000:00000000 00:00000000 00000000 4294967295 0 "
	    "18446744073709551615");
	CHECK_INT(audit_socks_parse(&s, text, strlen(text), IPPROTO_TCP,
	    AF_INET), 0);
	CHECK_INT(s.n, 1);
	CHECK(s.n == 1 && s.v[0].inode == UINT64_MAX &&
	    s.v[0].uid == UINT32_MAX);
	CHECK_INT(audit_socks_parse(&s, "header only", 11, IPPROTO_TCP,
	    AF_INET), 0);
	CHECK_INT(s.n, 1);
	audit_socks_release(&s);
}

TEST(listen_parse)
{
	struct audit_listen l;
	char err[256];
	uint8_t a6[16];

	CHECK_INT(audit_listen_parse("tcp/22", &l, err, sizeof(err)), 0);
	CHECK(l.proto == IPPROTO_TCP && l.port == 22 && l.family == 0 &&
	    l.program == NULL);
	CHECK_INT(audit_listen_parse("udp/127.0.0.1:53 named", &l, err,
	    sizeof(err)), 0);
	CHECK(l.proto == IPPROTO_UDP && l.port == 53 && l.family == AF_INET &&
	    memcmp(l.addr, "\177\0\0\1", 4) == 0);
	CHECK_STR(l.program, "named");
	free(l.program);
	CHECK_INT(audit_listen_parse("tcp/[::1]:631 cupsd", &l, err,
	    sizeof(err)), 0);
	inet_pton(AF_INET6, "::1", a6);
	CHECK(l.family == AF_INET6 && memcmp(l.addr, a6, 16) == 0 &&
	    l.port == 631);
	free(l.program);
	CHECK_INT(audit_listen_parse("TCP/*:65535", &l, err, sizeof(err)), 0);
	CHECK(l.family == 0 && l.port == 65535);
	CHECK_INT(audit_listen_parse("tcp/65536", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "expected a port from 1 to 65535");
	CHECK_INT(audit_listen_parse("tcp/0", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("sctp/22", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("tcp/", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "expected a port number");
	CHECK_INT(audit_listen_parse("tcp/1.2.3:22", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("tcp/::1:22", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("tcp/[::1]22", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("tcp/22 sshd extra", &l, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(audit_listen_parse("tcp/22x", &l, err, sizeof(err)),
	    MAMORI_EINVAL);
}

/* --- accounts ----------------------------------------------------- */

TEST(pwfile_parse)
{
	static const char pw[] =
	    "root:x:0:0:root:/root:/bin/bash\n"
	    "\n"
	    "+nis::::::\n"
	    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	    "short:x:1:1:gecos:/home\n"		/* 6 fields */
	    "long:x:1:1:g:/h:/bin/sh:extra\n"	/* 8 fields */
	    "baduid:x:12a:1:g:/h:/bin/sh\n"
	    "hugeuid:x:4294967295:1:g:/h:/bin/sh\n" /* (uid_t)-1 */
	    ":x:5:5:noname:/:/bin/sh\n"
	    "maxuid:x:4294967294:1:g:/h:/bin/sh";	/* no newline */
	static const char sh[] =
	    "root:$6$salt$hash:19000:0:99999:7:::\n"
	    "daemon:*:19000:0:99999:7:::\n"
	    "eight:!:19000:0:99999:7::\n"
	    "ten:x:1:2:3:4:5:6:7:8\n";
	static const char gr[] =
	    "root:x:0:\n"
	    "wheel:x:0:alice,bob\n"
	    "bad:x:zero:\n";
	struct audit_pwfile f;

	CHECK_INT(audit_pwfile_parse(&f, AUDIT_PW_PASSWD, pw, strlen(pw)), 0);
	CHECK_INT(f.n, 3);
	CHECK_INT(f.bad, 5);
	CHECK_INT(f.first_bad, 5);
	CHECK_STR(f.pw[0].name, "root");
	CHECK_STR(f.pw[1].shell, "/usr/sbin/nologin");
	CHECK_INT(f.pw[1].line, 4);
	CHECK_INT(f.pw[2].uid, 4294967294u);
	audit_pwfile_release(&f);
	CHECK_INT(audit_pwfile_parse(&f, AUDIT_PW_SHADOW, sh, strlen(sh)), 0);
	CHECK_INT(f.n, 3);
	CHECK_INT(f.bad, 1);
	CHECK_STR(f.sp[0].passwd, "$6$salt$hash");
	CHECK_STR(f.sp[2].name, "eight");
	audit_pwfile_release(&f);
	CHECK_INT(audit_pwfile_parse(&f, AUDIT_PW_GROUP, gr, strlen(gr)), 0);
	CHECK_INT(f.n, 2);
	CHECK_INT(f.bad, 1);
	CHECK_INT(f.sp[1].id, 0);
	CHECK_STR(f.sp[1].members, "alice,bob");
	audit_pwfile_release(&f);
	/* A NUL byte in a line makes it malformed, not cut. */
	CHECK_INT(audit_pwfile_parse(&f, AUDIT_PW_PASSWD,
	    LIT("a:x:1:1:g:/h:/bin/sh\0evil\n")), 0);
	CHECK_INT(f.n, 0);
	CHECK_INT(f.bad, 1);
	audit_pwfile_release(&f);
}

/* --- sshd_config -------------------------------------------------- */

static const char *inc_text;

static int
inc_cb(struct audit_sshd *s, const char *pattern, const char *match,
    int depth, void *arg)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(pattern, "loop.conf") == 0)
		return audit_sshd_parse(s, "loop.conf", "Include loop.conf\n",
		    18, match, depth, inc_cb, arg);
	if (strcmp(pattern, "/etc/ssh/sshd_config.d/*.conf") != 0)
		return 0;
	return audit_sshd_parse(s, "inc.conf", inc_text, strlen(inc_text),
	    match, depth, inc_cb, arg);
}

TEST(sshd_parse)
{
	static const char cfg[] =
	    "# comment\n"
	    "Include /etc/ssh/sshd_config.d/*.conf\n"
	    "  PermitRootLogin no\n"
	    "PermitRootLogin yes\n"		/* the first value wins */
	    "passwordauthentication=no\n"
	    "PubkeyAuthentication = yes # trailing comment\n"
	    "Banner \"/etc/issue net\"\n"
	    "ChallengeResponseAuthentication yes\n"
	    "AuthorizedKeysFile\n"		/* no value */
	    "Match User backup Address 10.0.0.1\n"
	    "  PermitRootLogin yes\n"
	    "  PasswordAuthentication yes\n"
	    "Match all\n"
	    "  X11Forwarding yes\n";
	const struct audit_sshd_opt *o;
	struct audit_sshd s;
	int calls = 0;

	memset(&s, 0, sizeof(s));
	inc_text = "UsePAM yes\nPasswordAuthentication yes\n";
	CHECK_INT(audit_sshd_parse(&s, "sshd_config", cfg, strlen(cfg), NULL,
	    0, inc_cb, &calls), 0);
	CHECK_INT(calls, 1);
	CHECK_INT(s.bad, 1);
	/* The included file came first: its value wins. */
	CHECK_STR(audit_sshd_global(&s, "passwordauthentication", &o), "yes");
	CHECK(o != NULL && strcmp(o->file, "inc.conf") == 0 && o->line == 2);
	CHECK_STR(audit_sshd_global(&s, "permitrootlogin", &o), "no");
	CHECK(o != NULL && o->line == 3 && o->match == NULL);
	CHECK_STR(audit_sshd_global(&s, "pubkeyauthentication", NULL), "yes");
	CHECK_STR(audit_sshd_global(&s, "banner", NULL), "/etc/issue net");
	CHECK_STR(audit_sshd_global(&s, "kbdinteractiveauthentication", NULL),
	    "yes");
	CHECK_STR(audit_sshd_global(&s, "usepam", NULL), "yes");
	CHECK(audit_sshd_global(&s, "authorizedkeysfile", NULL) == NULL);
	/* Match all applies to everyone: it overrides the global one. */
	CHECK_STR(audit_sshd_global(&s, "x11forwarding", &o), "yes");
	CHECK(o != NULL && o->match != NULL && strcmp(o->match, "all") == 0);
	CHECK(o != NULL && o->line == 14);
	audit_sshd_release(&s);

	/* Include inside a Match: the included settings are in it. */
	memset(&s, 0, sizeof(s));
	inc_text = "PermitRootLogin yes\n";
	calls = 0;
	CHECK_INT(audit_sshd_parse(&s, "c", LIT("Match Address 1.2.3.4\n"
	    "Include /etc/ssh/sshd_config.d/*.conf\n"), NULL, 0, inc_cb,
	    &calls), 0);
	CHECK(audit_sshd_global(&s, "permitrootlogin", NULL) == NULL);
	CHECK(s.n == 1 && s.v[0].match != NULL &&
	    strcmp(s.v[0].match, "Address 1.2.3.4") == 0);
	audit_sshd_release(&s);

	/* An Include loop stops at the depth limit, with a message. */
	memset(&s, 0, sizeof(s));
	calls = 0;
	CHECK_INT(audit_sshd_parse(&s, "c", LIT("Include loop.conf\n"
	    "Port 22\n"), NULL, 0, inc_cb, &calls), 0);
	CHECK_INT(calls, AUDIT_SSHD_MAX_DEPTH);
	CHECK(s.err != NULL && strstr(s.err, "nested too deeply") != NULL);
	CHECK_STR(audit_sshd_global(&s, "port", NULL), "22");
	audit_sshd_release(&s);

	/* Quotes, escapes, tabs, a NUL byte, CR line ends. */
	memset(&s, 0, sizeof(s));
	CHECK_INT(audit_sshd_parse(&s, "c", LIT("Banner\t'a b' c\r\n"
	    "Subsystem sftp \"x\\\"y\"\nBad\0Line yes\n"), NULL, 0, NULL,
	    NULL), 0);
	CHECK_STR(audit_sshd_global(&s, "banner", &o), "a b");
	CHECK(o != NULL && strcmp(o->args, "a b c") == 0);
	CHECK_STR(audit_sshd_global(&s, "subsystem", &o), "sftp");
	CHECK(o != NULL && strcmp(o->args, "sftp x\"y") == 0);
	CHECK_INT(s.bad, 1);
	audit_sshd_release(&s);
}

/* --- apt ---------------------------------------------------------- */

/* Recorded from `apt-get -s dist-upgrade` on a Debian 12 host. */
static const char apt_out[] =
"NOTE: This is only a simulation!\n"
"Reading package lists...\n"
"The following packages will be upgraded:\n"
"  base-files libgcrypt20\n"
"Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])\n"
"Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []\n"
"Inst liblzma5 [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64])\n"
"Inst newdep (2.0-1 Debian-Security:12/oldstable-security [all])\n"
"Inst ubu [1] (2 Ubuntu:22.04/jammy-security [amd64])\n"
"Inst broken [1] 2 Debian:12/stable\n"
"Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])\n"
"Inst noarch [1] (2 Debian:12/stable)";

TEST(apt_parse)
{
	struct audit_apt a;

	memset(&a, 0, sizeof(a));
	CHECK_INT(audit_apt_parse(&a, apt_out, strlen(apt_out)), 0);
	CHECK_INT(a.n, 6);
	CHECK_INT(a.bad, 1);
	if (a.n != 6)
		return;
	CHECK_STR(a.v[0].name, "base-files");
	CHECK_STR(a.v[0].old, "12.4+deb12u11");
	CHECK_STR(a.v[0].new, "12.4+deb12u15");
	CHECK_STR(a.v[0].origins, "Debian:12.15/oldstable");
	CHECK_STR(a.v[0].arch, "amd64");
	CHECK(!a.v[0].security);
	CHECK(a.v[1].security);
	CHECK_STR(a.v[1].origins, "Debian:12.15/oldstable, "
	    "Debian-Security:12/oldstable-security");
	CHECK(a.v[2].security);
	CHECK(a.v[3].old == NULL && a.v[3].security);
	CHECK_STR(a.v[3].arch, "all");
	CHECK(a.v[4].security);			/* by its archive */
	CHECK(!a.v[5].security && a.v[5].arch == NULL);
	CHECK_STR(a.v[5].origins, "Debian:12/stable");
	audit_apt_release(&a);
	/* Truncated lines. */
	CHECK_INT(audit_apt_parse(&a, "Inst x [1", 9), 0);
	CHECK_INT(audit_apt_parse(&a, "Inst x [1] (2", 13), 0);
	CHECK_INT(audit_apt_parse(&a, "Inst ", 5), 0);
	CHECK_INT(audit_apt_parse(&a, "Inst x (", 8), 0);
	CHECK_INT(a.n, 0);
	CHECK_INT(a.bad, 4);
	audit_apt_release(&a);
}

/* --- small pieces ------------------------------------------------- */

TEST(json_strings)
{
	json_t *j;

	j = audit_json_str("plain \\ path", 12);
	CHECK_STR(json_string_value(j), "plain \\ path");
	json_decref(j);
	j = audit_json_str("caf\xc3\xa9", 5);
	CHECK_STR(json_string_value(j), "caf\xc3\xa9");
	json_decref(j);
	/* Not UTF-8: escaped, and the backslash doubled so it stays
	 * unambiguous. */
	j = audit_json_str("a\\b\xff\xc3(\xed\xa0\x80z", 10);
	CHECK_STR(json_string_value(j),
	    "a\\\\b\\xff\\xc3(\\xed\\xa0\\x80z");
	json_decref(j);
	j = audit_json_str("a\0b", 3);
	CHECK_STR(json_string_value(j), "a\\x00b");
	json_decref(j);
	CHECK(audit_clock_unsynced(TIME_ERROR, 0));
	CHECK(audit_clock_unsynced(TIME_OK, STA_UNSYNC));
	CHECK(!audit_clock_unsynced(TIME_OK, STA_PLL));
	CHECK_STR(audit_check_name(AUDIT_SSHD), "sshd");
	CHECK_INT(audit_check_by_name("world_writable", 14),
	    AUDIT_WORLD_WRITABLE);
	CHECK_INT(audit_check_by_name("sshdx", 5), -1);
	CHECK_STR(audit_sev_name(AUDIT_SEV_CRITICAL), "critical");
	CHECK_INT(audit_sev_syslog(AUDIT_SEV_HIGH), 3);
}

/* --- configuration ------------------------------------------------ */

static int
load_conf(const char *yaml, struct audit_conf *c, char *err, size_t errlen)
{
	const char *p = put("agent.yaml", yaml, 0644);

	return host_conf_load(p, "audit", audit_conf_parse, c, err, errlen);
}

TEST(conf)
{
	struct audit_conf c;
	char err[1024], want[2048];
	int r;

	CHECK_INT(audit_conf_init(&c), 0);
	CHECK_STR(c.root, "/");
	CHECK_INT(c.max_findings, 500);
	CHECK(c.enabled[AUDIT_UPDATES] && !c.listen_declared);
	CHECK_STR(c.shell_allow[0], "postgres");
	r = load_conf("audit:\n"
	    "  max_findings: 10\n"
	    "  listeners:\n"
	    "    allow: [tcp/22 sshd, \"udp/127.0.0.1:53\"]\n"
	    "  clock: false\n"
	    "  suid: {paths: [/usr], allow: [/opt/x]}\n"
	    "  updates: {max_list_age: 2d}\n"
	    "  services: {enabled: false, not_needed: [telnetd]}\n", &c, err,
	    sizeof(err));
	CHECK_INT(r, 0);
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	CHECK_INT(c.max_findings, 10);
	CHECK(c.listen_declared && c.nlisten == 2);
	CHECK(c.nlisten == 2 && c.listen[1].port == 53 &&
	    c.listen[1].family == AF_INET);
	CHECK(!c.enabled[AUDIT_CLOCK] && c.enabled[AUDIT_SUID]);
	CHECK(!c.enabled[AUDIT_SERVICES]);
	CHECK_STR(c.suid_paths[0], "/usr");
	CHECK_STR(c.services[0], "telnetd");
	CHECK_INT(c.list_max_age_ns, 2LL * 86400 * 1000000000LL);
	/* Defaults not named stay. */
	CHECK_STR(c.sshd_config, "/etc/ssh/sshd_config");

	/* Errors name the file and line, and change nothing. */
	r = load_conf("audit:\n"
	    "  listeners:\n"
	    "    allow:\n"
	    "      - tcp/22\n"
	    "      - tcp/70000\n", &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	snprintf(want, sizeof(want), "%s/agent.yaml:5: setting "
	    "'audit.listeners.allow[1]': 'tcp/70000': expected a port from 1 "
	    "to 65535", tmp);
	CHECK_STR(err, want);
	CHECK_INT(c.max_findings, 10);
	CHECK(c.nlisten == 2);
	r = load_conf("audit:\n  sshd: {confg: /x}\n", &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	snprintf(want, sizeof(want), "%s/agent.yaml:2: unknown setting "
	    "'audit.sshd.confg' (did you mean 'config'?)", tmp);
	CHECK_STR(err, want);
	r = load_conf("audit:\n  world_writable:\n    paths: [usr]\n", &c,
	    err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "agent.yaml:3: setting 'audit.world_writable.paths'"
	    ": 'usr' is not an absolute path") != NULL);
	r = load_conf("audit:\n  suid:\n    allow_file: /nonexistent/x\n",
	    &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "agent.yaml:3: setting 'audit.suid.allow_file': "
	    "cannot read /nonexistent/x") != NULL);
	r = load_conf("audit:\n  promisc: maybe\n", &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "agent.yaml:2: setting 'audit.promisc': expected "
	    "true or false") != NULL);
	r = load_conf("audit:\n  clok: false\n", &c, err, sizeof(err));
	CHECK(r == MAMORI_ECONFIG && strstr(err, "did you mean 'clock'") !=
	    NULL);
	CHECK_INT(c.max_findings, 10);
	audit_conf_release(&c);
	audit_conf_release(&c);		/* twice is harmless */
}

/* --- a whole audit of a fake root --------------------------------- */

/* What passwd.md5sums says usr/bin/passwd should hash to (not what the
 * fake root's trojan hashes to). */
#define MD5_REAL	"1f3870be274f6c49b3e31a0c6728957f"

static void
build_root(void)
{
	char p[4096], q[4096];

	put("root/etc/passwd",
	    "root:x:0:0:root:/root:/bin/bash\n"
	    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	    "toor:x:0:0::/root:/bin/sh\n"
	    "www-data:x:33:33::/var/www:/bin/bash\n"
	    "postgres:x:101:104::/var/lib/postgresql:/bin/bash\n"
	    "nopass::1001:1001::/home/nopass:/bin/bash\n"
	    "hashed:$6$abc$def:1002:1002::/home/h:/bin/bash\n"
	    "broken line\n", 0644);
	put("root/etc/shadow",
	    "root:$6$x$y:19000:0:99999:7:::\n"
	    "daemon:*:19000:0:99999:7:::\n"
	    "toor:!:19000:0:99999:7:::\n"
	    "www-data:$6$w$w:19000:0:99999:7:::\n"
	    "postgres:*:19000:0:99999:7:::\n"
	    "alice::19000:0:99999:7:::\n", 0640);
	put("root/etc/group", "root:x:0:\nadmin:x:0:eve\n", 0644);
	put("root/etc/ssh/sshd_config",
	    "Include /etc/ssh/sshd_config.d/*.conf\n"
	    "PermitRootLogin prohibit-password\n"
	    "UsePAM yes\n"
	    "KbdInteractiveAuthentication no\n"
	    "Match Address 203.0.113.9\n"
	    "    PermitRootLogin yes\n", 0644);
	put("root/etc/ssh/sshd_config.d/local.conf",
	    "PasswordAuthentication no\nCiphers +3des-cbc\n", 0644);
	put("root/sys/class/net/eth0/flags", "0x1103\n", 0644);
	put("root/sys/class/net/lo/flags", "0x9\n", 0644);
	put("root/proc/net/tcp", tcp4, 0644);
	put("root/proc/net/udp", udp4, 0644);
	put("root/proc/42/comm", "cupsd\n", 0644);
	put("root/proc/43/comm", "nc\n", 0644);
	mkdirs("root/proc/42/fd");
	mkdirs("root/proc/43/fd");
	snprintf(p, sizeof(p), "%s/root/proc/42/fd/3", tmp);
	symlink("socket:[21762]", p);
	snprintf(p, sizeof(p), "%s/root/proc/43/fd/4", tmp);
	symlink("socket:[1234]", p);
	put("root/usr/bin/ok", "x", 0755);
	put("root/usr/bin/writable", "x", 0757);
	put("root/usr/share/doc/x", "x", 0646);
	mkdirs("root/usr/lib/open");
	snprintf(p, sizeof(p), "%s/root/usr/lib/open", tmp);
	chmod(p, 0777);
	mkdirs("root/var/tmp");
	snprintf(p, sizeof(p), "%s/root/var/tmp", tmp);
	chmod(p, 01777);
	snprintf(p, sizeof(p), "%s/root/usr/lib/link", tmp);
	symlink("/etc/passwd", p);
	put("root/usr/bin/passwd", "trojan\n", 04755);
	put("root/usr/bin/chage", "real chage\n", 02755);
	put("root/usr/bin/find", "find\n", 04755);
	put("root/usr/bin/ssh-agent", "agent\n", 06755);	/* +s */
	put("root/usr/local/bin/mine", "mine\n", 04755);
	put("root/usr/local/bin/allowed", "ok\n", 04755);
	put("root/usr/bin/nox", "nox\n", 04644);	/* not executable */
	put("root/var/lib/dpkg/info/passwd.md5sums",
	    MD5_REAL "  usr/bin/passwd\n"
	    "00000000000000000000000000000000  usr/bin/chage\n", 0644);
	put("root/var/lib/dpkg/info/findutils.md5sums",
	    "d41d8cd98f00b204e9800998ecf8427e  usr/bin/find\n", 0644);
	put("root/var/lib/dpkg/statoverride",
	    "root root 4755 /usr/local/bin/allowed\n", 0644);
	put("root/srv/share/report.pdf.exe", "MZ", 0644);
	put("root/srv/share/invoice.pdf   .scr", "MZ", 0644);
	put("root/srv/share/photo\xe2\x80\xaegpj.exe", "x", 0644);
	put("root/srv/share/notes.txt", "just text\n", 0644);
	put("root/srv/share/empty.pdf", "", 0644);
	put("root/srv/share/page.pdf", "<!DOCTYPE html>\n<html><head><title>"
	    "x</title></head><body><p>not a PDF</p></body></html>\n", 0644);
	/* An ELF program named .jpg: copy /bin/true. */
	snprintf(p, sizeof(p), "cp /bin/true '%s/root/srv/share/cat.jpg'",
	    tmp);
	if (system(p) != 0)
		abort();
	mkdirs("root/etc/systemd/system/multi-user.target.wants");
	mkdirs("root/etc/systemd/system/sockets.target.wants");
	snprintf(p, sizeof(p), "%s/root/etc/systemd/system/"
	    "multi-user.target.wants/xinetd.service", tmp);
	symlink("/lib/systemd/system/xinetd.service", p);
	snprintf(p, sizeof(p), "%s/root/etc/systemd/system/"
	    "sockets.target.wants/telnet.socket", tmp);
	symlink("/lib/systemd/system/telnet.socket", p);
	snprintf(p, sizeof(p), "%s/root/etc/systemd/system/"
	    "multi-user.target.wants/tftpd-hpa.service", tmp);
	symlink("/lib/systemd/system/tftpd-hpa.service", p);
	/* tftpd-hpa is masked: not reported. */
	snprintf(q, sizeof(q), "%s/root/etc/systemd/system/"
	    "tftpd-hpa.service", tmp);
	symlink("/dev/null", q);
	mkdirs("root/etc/rc2.d");
	snprintf(p, sizeof(p), "%s/root/etc/rc2.d/S01ypbind", tmp);
	symlink("../init.d/ypbind", p);
}

static void
conf_for_root(struct audit_conf *c)
{
	char root[2048];

	CHECK_INT(audit_conf_init(c), 0);
	snprintf(root, sizeof(root), "%s/root", tmp);
	free(c->root);
	c->root = strdup(root);
	ydoc_strv_free(c->share_paths);
	c->share_paths = calloc(2, sizeof(char *));
	c->share_paths[0] = strdup("/srv/share");
	ydoc_strv_free(c->services);
	c->services = calloc(5, sizeof(char *));
	c->services[0] = strdup("xinetd");
	c->services[1] = strdup("telnet");
	c->services[2] = strdup("tftpd-hpa");
	c->services[3] = strdup("ypbind");
}

TEST(fake_root)
{
	struct audit_summary sum;
	struct audit_conf c;
	struct found fd;
	json_t *o;
	size_t n;

	build_root();
	conf_for_root(&c);
	c.listen = calloc(1, sizeof(*c.listen));
	CHECK_INT(audit_listen_parse("tcp/127.0.0.1:631 cupsd", &c.listen[0],
	    NULL, 0), 0);
	c.nlisten = 1;
	c.listen_declared = 1;
	memset(&fd, 0, sizeof(fd));
	CHECK_INT(audit_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(fd.bad_json, 0);
	CHECK_INT(fd.bad_app, 0);
	CHECK_INT(sum.findings, fd.n);

	/* listeners: 631 declared; 22 held by nc is new (high); 123/udp
	 * new; the connected sockets are not listeners. */
	CHECK(find(&fd, "listeners", "new", "tcp/127.0.0.1:631") == NULL);
	o = find(&fd, "listeners", "new", "tcp/0.0.0.0:22");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "high") == 0 &&
	    strcmp(sget(o, "program"), "nc") == 0);
	CHECK(o != NULL && json_integer_value(json_object_get(o, "pid")) ==
	    43);
	CHECK(find(&fd, "listeners", "new", "udp/0.0.0.0:123") != NULL);
	CHECK_INT(count(&fd, "listeners"), 2);

	/* world_writable */
	o = find(&fd, "world_writable", "file", "/usr/bin/writable");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "high") == 0 &&
	    strcmp(sget(o, "mode"), "0757") == 0);
	o = find(&fd, "world_writable", "file", "/usr/share/doc/x");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "medium") == 0);
	CHECK(find(&fd, "world_writable", "directory", "/usr/lib/open") !=
	    NULL);
	CHECK_INT(count(&fd, "world_writable"), 3);

	/* suid: passwd replaced (MD5 differs), chage as shipped... no:
	 * its package MD5 differs too; find made set-uid; ssh-agent
	 * set-uid where Debian ships it set-gid; mine unknown; allowed by
	 * statoverride; nox not executable. */
	o = find(&fd, "suid", "modified", "/usr/bin/passwd");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "critical") == 0 &&
	    strcmp(sget(o, "package"), "passwd") == 0);
	CHECK(find(&fd, "suid", "modified", "/usr/bin/chage") != NULL);
	o = find(&fd, "suid", "unknown", "/usr/bin/find");
	CHECK(o != NULL && strstr(sget(o, "text"), "package findutils") !=
	    NULL);
	o = find(&fd, "suid", "unknown", "/usr/bin/ssh-agent");
	CHECK(o != NULL && strstr(sget(o, "text"), "set-gid only") != NULL);
	o = find(&fd, "suid", "unknown", "/usr/local/bin/mine");
	CHECK(o != NULL && strstr(sget(o, "text"), "no package owns it") !=
	    NULL);
	CHECK(find(&fd, "suid", NULL, "/usr/local/bin/allowed") == NULL);
	CHECK(find(&fd, "suid", NULL, "/usr/bin/nox") == NULL);
	CHECK_INT(count(&fd, "suid"), 5);

	/* accounts */
	CHECK(find(&fd, "accounts", "uid0", "toor") != NULL);
	o = find(&fd, "accounts", "empty_password", "nopass");
	CHECK(o != NULL && strcmp(sget(o, "file"), "/etc/passwd") == 0);
	CHECK(find(&fd, "accounts", "passwd_hash", "hashed") != NULL);
	o = find(&fd, "accounts", "system_shell", "www-data");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "medium") == 0);
	CHECK(find(&fd, "accounts", "system_shell", "postgres") == NULL);
	CHECK(find(&fd, "accounts", "gid0", "admin") != NULL);
	o = find(&fd, "accounts", "malformed", "/etc/passwd");
	CHECK(o != NULL && json_integer_value(json_object_get(o, "line")) ==
	    8);
	CHECK_INT(count(&fd, "accounts"), 6);

	/* promisc, clock (skipped under a root prefix) */
	CHECK(find(&fd, "promisc", "promiscuous", "eth0") != NULL);
	CHECK_INT(count(&fd, "promisc"), 1);
	CHECK_INT(sum.check[AUDIT_CLOCK].state, AUDIT_ST_SKIPPED);
	CHECK_INT(count(&fd, "clock"), 0);

	/* shares */
	CHECK(find(&fd, "shares", "double_extension",
	    "/srv/share/report.pdf.exe") != NULL);
	CHECK(find(&fd, "shares", "double_extension",
	    "/srv/share/invoice.pdf   .scr") != NULL);
	CHECK(find(&fd, "shares", "bidi_name",
	    "/srv/share/photo\xe2\x80\xaegpj.exe") != NULL);
	o = find(&fd, "shares", "content_mismatch", "/srv/share/cat.jpg");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "high") == 0);
	o = find(&fd, "shares", "content_mismatch", "/srv/share/page.pdf");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "low") == 0 &&
	    strcmp(sget(o, "mime"), "text/html") == 0);
	n = count(&fd, "shares");
	CHECK_INT(n, 5);

	/* sshd: root login allowed from one address (a Match block), 3DES
	 * added; password authentication off in the included file. */
	o = find(&fd, "sshd", "match",
	    "PermitRootLogin (Match Address 203.0.113.9)");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "high") == 0);
	o = find(&fd, "sshd", "setting", "Ciphers");
	CHECK(o != NULL && strcmp(sget(o, "file"),
	    "/etc/ssh/sshd_config.d/local.conf") == 0);
	CHECK(find(&fd, "sshd", NULL, "PasswordAuthentication") == NULL);
	CHECK_INT(count(&fd, "sshd"), 2);

	/* updates: no dpkg status in the fake root */
	CHECK_INT(sum.check[AUDIT_UPDATES].state, AUDIT_ST_SKIPPED);

	/* services: xinetd (unit link), telnet (socket), ypbind (SysV);
	 * tftpd-hpa masked. */
	CHECK(find(&fd, "services", "enabled", "xinetd.service") != NULL);
	CHECK(find(&fd, "services", "enabled", "telnet.socket") != NULL);
	CHECK(find(&fd, "services", "enabled", "ypbind") != NULL);
	CHECK_INT(count(&fd, "services"), 3);
	if (test_failed_checks > 0)
		dump(&fd);
	found_free(&fd);

	/* The per-check cap: one finding, then one saying how many more. */
	c.max_findings = 1;
	memset(c.enabled, 0, sizeof(c.enabled));
	c.enabled[AUDIT_SUID] = 1;
	CHECK_INT(audit_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(fd.n, 2);
	o = find(&fd, "suid", "truncated", NULL);
	CHECK(o != NULL && strstr(sget(o, "text"), "4 more findings") !=
	    NULL);
	CHECK_INT(sum.check[AUDIT_SUID].dropped, 4);
	found_free(&fd);
	audit_conf_release(&c);
}

/* A clean fake root gives nothing; a missing root is an error. */
TEST(clean_root)
{
	struct audit_summary sum;
	struct audit_conf c;
	struct found fd;
	char p[4096];
	int i;

	rm_rf(tmp);
	mkdir(tmp, 0700);
	put("root/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
	    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", 0644);
	put("root/etc/shadow", "root:$6$x$y:1:0:99999:7:::\n", 0640);
	put("root/etc/group", "root:x:0:\n", 0644);
	put("root/etc/ssh/sshd_config", "PasswordAuthentication no\n"
	    "KbdInteractiveAuthentication no\nUsePAM yes\n", 0644);
	put("root/proc/net/tcp", tcp4, 0644);
	put("root/usr/bin/passwd", "real passwd\n", 04755);
	put("root/var/lib/dpkg/info/passwd.md5sums",
	    "b5a8b0df8a1ba4f6f7c5cbb2d1d1f0f9  usr/bin/passwd\n", 0644);
	put("root/sys/class/net/eth0/flags", "0x1003\n", 0644);
	conf_for_root(&c);
	/* The real MD5 of "real passwd\n". */
	snprintf(p, sizeof(p), "md5sum < '%s/root/usr/bin/passwd' | "
	    "sed 's/ .*/  usr\\/bin\\/passwd/' > "
	    "'%s/root/var/lib/dpkg/info/passwd.md5sums'", tmp, tmp);
	if (system(p) != 0)
		abort();
	c.listen = calloc(3, sizeof(*c.listen));
	audit_listen_parse("tcp/631", &c.listen[0], NULL, 0);
	audit_listen_parse("tcp/22", &c.listen[1], NULL, 0);
	c.nlisten = 2;
	c.listen_declared = 1;
	mkdirs("root/srv/share");
	memset(&fd, 0, sizeof(fd));
	CHECK_INT(audit_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(fd.n, 0);
	CHECK_INT(sum.findings, 0);
	if (fd.n > 0)
		dump(&fd);
	for (i = 0; i < AUDIT_NCHECKS; i++)
		CHECK(sum.check[i].state == AUDIT_ST_RAN ||
		    sum.check[i].state == AUDIT_ST_SKIPPED);
	CHECK_INT(sum.check[AUDIT_SSHD].state, AUDIT_ST_RAN);
	CHECK_INT(sum.check[AUDIT_SUID].state, AUDIT_ST_RAN);
	found_free(&fd);

	/* Findings of a missing /etc/passwd: skipped, not failed. */
	snprintf(p, sizeof(p), "%s/root/etc/passwd", tmp);
	unlink(p);
	memset(c.enabled, 0, sizeof(c.enabled));
	c.enabled[AUDIT_ACCOUNTS] = 1;
	CHECK_INT(audit_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(sum.check[AUDIT_ACCOUNTS].state, AUDIT_ST_SKIPPED);
	CHECK_INT(fd.n, 0);
	found_free(&fd);

	free(c.root);
	snprintf(p, sizeof(p), "%s/missing", tmp);
	c.root = strdup(p);
	CHECK_INT(audit_run(&c, collect, &fd, &sum), MAMORI_ESYS);
	audit_conf_release(&c);
}

/* emit can stop the run. */
static int
stop_first(void *arg, const struct host_finding *f)
{
	(void)f;
	(*(int *)arg)++;
	return MAMORI_ECLOSED;
}

TEST(emit_stops)
{
	struct audit_conf c;
	int calls = 0;

	rm_rf(tmp);
	mkdir(tmp, 0700);
	build_root();
	conf_for_root(&c);
	CHECK_INT(audit_run(&c, stop_first, &calls, NULL), MAMORI_ECLOSED);
	CHECK_INT(calls, 1);
	audit_conf_release(&c);
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/mamori-test-audit.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(0);
	RUN(socks_parse);
	RUN(socks_bad);
	RUN(listen_parse);
	RUN(pwfile_parse);
	RUN(sshd_parse);
	RUN(apt_parse);
	RUN(json_strings);
	RUN(conf);
	RUN(fake_root);
	RUN(clean_root);
	RUN(emit_stops);
	rm_rf(tmp);
	return test_summary();
}
