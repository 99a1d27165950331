/*
 * test-web-users.c - the console's users, sessions, API tokens and
 * login failures (src/web/web-users.c, web-session.c) on a real
 * mamori.db in a temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "test.h"
#include "web/web-impl.h"
#include "web/web-users.h"

static char dir[] = "/tmp/test-web-users-XXXXXX";
static struct db *dbh;
static sqlite3 *db;

static int64_t
count(const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

TEST(test_names)
{
	char err[256], longname[WEB_USER_MAX + 2];

	CHECK_INT(web_user_name_check("alice", err, sizeof(err)), 0);
	CHECK_INT(web_user_name_check("a.b_c-d@example", err, sizeof(err)), 0);
	CHECK_INT(web_user_name_check("", err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_name_check(NULL, err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_name_check("-x", err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_name_check("a b", err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_name_check("<b>", err, sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_name_check("\xe3\x81\x82", err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(web_user_name_check("Mamori", err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK(strstr(err, "system's own name") != NULL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_INT(web_user_name_check(longname, err, sizeof(err)),
	    MAMORI_EINVAL);
	longname[WEB_USER_MAX] = '\0';
	CHECK_INT(web_user_name_check(longname, err, sizeof(err)), 0);

	CHECK_INT(web_password_check("0123456789", err, sizeof(err)), 0);
	CHECK_INT(web_password_check("012345678", err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "a password has at least 10 characters");
	CHECK_INT(web_password_check("0123456789\n", err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(web_password_check("日本語のパスワード", err, sizeof(err)),
	    0);
	CHECK_INT(web_role_parse("viewer"), WEB_ROLE_VIEWER);
	CHECK_INT(web_role_parse("admin"), WEB_ROLE_ADMIN);
	CHECK_INT(web_role_parse("root"), -1);
	CHECK_STR(web_role_name(WEB_ROLE_RESPONDER), "responder");
}

TEST(test_hash)
{
	char h[WEB_HASH_MAX], h2[WEB_HASH_MAX];

	CHECK_INT(web_password_hash("correct horse", h), 0);
	CHECK(strncmp(h, "$argon2id$", 10) == 0);
	CHECK_INT(web_password_verify(h, "correct horse"), 1);
	CHECK_INT(web_password_verify(h, "correct horsf"), 0);
	CHECK_INT(web_password_verify(h, ""), 0);
	/* Salted: the same password hashes differently. */
	CHECK_INT(web_password_hash("correct horse", h2), 0);
	CHECK(strcmp(h, h2) != 0);
	CHECK_INT(web_password_verify("", "x"), 0);
	CHECK_INT(web_password_verify("$argon2id$garbage", "x"), 0);
	CHECK_INT(web_password_verify(NULL, "x"), 0);
}

TEST(test_users)
{
	struct web_user u;
	char err[256], buf[WEB_USER_MAX + 1], hash[WEB_HASH_MAX], pw[64];
	int64_t n;

	/* The first start makes "admin"; the second does nothing. */
	CHECK_INT(web_user_bootstrap(db, pw), 1);
	CHECK_INT((int)strlen(pw), 20);
	CHECK_INT(web_user_get(db, "admin", &u, buf, hash), 0);
	CHECK_INT(u.role, WEB_ROLE_ADMIN);
	CHECK_INT(web_password_verify(hash, pw), 1);
	CHECK_INT(web_user_bootstrap(db, pw), 0);
	CHECK_STR(pw, "");

	CHECK_INT(web_user_add(db, "alice", WEB_ROLE_RESPONDER,
	    "alice-password", err, sizeof(err)), 0);
	CHECK_INT(web_user_add(db, "ALICE", WEB_ROLE_VIEWER, "alice-password",
	    err, sizeof(err)), MAMORI_EEXIST);
	CHECK_STR(err, "user 'ALICE' exists");
	CHECK_INT(web_user_add(db, "bob", 7, "bob-password", err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(web_user_add(db, "bob", WEB_ROLE_VIEWER, "short", err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_user_count(db, &n), 0);
	CHECK_INT(n, 2);
	/* Names are found in any case, and come back as created. */
	CHECK_INT(web_user_get(db, "Alice", &u, buf, NULL), 0);
	CHECK_STR(u.name, "alice");
	CHECK_INT(web_user_get(db, "carol", &u, buf, NULL), MAMORI_ENOTFOUND);

	/* The last admin stays one. */
	CHECK_INT(web_user_set_role(db, "admin", WEB_ROLE_VIEWER, err,
	    sizeof(err)), MAMORI_EEXIST);
	CHECK(strstr(err, "last admin") != NULL);
	CHECK_INT(web_user_del(db, "admin", err, sizeof(err)), MAMORI_EEXIST);
	CHECK_INT(web_user_set_role(db, "alice", WEB_ROLE_ADMIN, err,
	    sizeof(err)), 0);
	CHECK_INT(web_user_set_role(db, "admin", WEB_ROLE_VIEWER, err,
	    sizeof(err)), 0);
	CHECK_INT(web_user_set_role(db, "nobody", WEB_ROLE_VIEWER, err,
	    sizeof(err)), MAMORI_ENOTFOUND);
	CHECK_INT(web_user_set_role(db, "admin", 0, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(web_user_del(db, "admin", err, sizeof(err)), 0);
	CHECK_INT(web_user_del(db, "admin", err, sizeof(err)),
	    MAMORI_ENOTFOUND);
	CHECK_INT(web_user_count(db, &n), 0);
	CHECK_INT(n, 1);
}

TEST(test_sessions)
{
	struct web_principal p, q;
	struct web_user u;
	char token[WEB_SECRET_LEN + 1], err[256], buf[WEB_USER_MAX + 1];
	int64_t now = time_now_ns(), s1;

	CHECK_INT(web_user_get(db, "alice", &u, buf, NULL), 0);
	memset(&p, 0, sizeof(p));
	CHECK_INT(web_session_new(db, u.id, 3600 * NS_PER_SEC, "127.0.0.1",
	    token, &p), 0);
	CHECK_INT((int)strlen(token), WEB_SECRET_LEN);
	CHECK_INT((int)strlen(p.csrf), WEB_SECRET_LEN);
	CHECK(strcmp(token, p.csrf) != 0);
	/* Only the token's digest is stored. */
	CHECK_INT(count("SELECT count(*) FROM sessions WHERE "
	    "length(token_hash) = 32"), 1);
	CHECK_INT(web_session_find(db, token, now, &q), 0);
	CHECK_STR(q.user, "alice");
	CHECK_INT(q.role, WEB_ROLE_ADMIN);
	CHECK_STR(q.csrf, p.csrf);
	CHECK_INT(q.session_id, p.session_id);
	CHECK_INT(web_session_find(db, "wrong", now, &q), MAMORI_ENOTFOUND);
	CHECK_INT(q.kind, WEB_AUTH_NONE);
	/* Expired: not found, and swept. */
	CHECK_INT(web_session_find(db, token, now + 3601 * NS_PER_SEC, &q),
	    MAMORI_ENOTFOUND);
	CHECK_INT(web_principal_valid(db, &p, now), 1);
	CHECK_INT(web_principal_valid(db, &p, now + 3601 * NS_PER_SEC), 0);
	/* A new password ends the other sessions, not the one kept. */
	s1 = p.session_id;
	CHECK_INT(web_session_new(db, u.id, 3600 * NS_PER_SEC, "127.0.0.1",
	    token, &p), 0);
	CHECK_INT(web_user_passwd(db, "alice", "alice-password-2", p.session_id,
	    err, sizeof(err)), 0);
	CHECK_INT(count("SELECT count(*) FROM sessions"), 1);
	CHECK_INT(web_session_find(db, token, now, &q), 0);
	CHECK(q.session_id != s1);
	CHECK_INT(web_user_passwd(db, "nobody", "alice-password-2", 0, err,
	    sizeof(err)), MAMORI_ENOTFOUND);
	CHECK_INT(web_session_end(db, p.session_id), 0);
	CHECK_INT(web_session_find(db, token, now, &q), MAMORI_ENOTFOUND);
	CHECK_INT(web_session_new(db, u.id, 1, "::1", token, &p), 0);
	CHECK_INT(web_session_expire(db, time_now_ns() + NS_PER_SEC), 0);
	CHECK_INT(count("SELECT count(*) FROM sessions"), 0);
}

static int
tok_cb(void *arg, const struct web_token *t)
{
	(*(int *)arg)++;
	return t->id < 0;
}

TEST(test_tokens)
{
	struct web_principal p;
	char token[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], err[256];
	char name[16];
	int64_t id, id2, now = time_now_ns();
	int n = 0, i;

	CHECK_INT(web_user_add(db, "carol", WEB_ROLE_VIEWER, "carol-password",
	    err, sizeof(err)), 0);
	CHECK_INT(web_token_add(db, "carol", "ci", &id, token, err,
	    sizeof(err)), 0);
	CHECK((int)strlen(token) == WEB_TOKEN_LEN);
	CHECK(strncmp(token, WEB_TOKEN_PREFIX, 4) == 0);
	CHECK_INT(web_token_add(db, "carol", "ci", &id2, t2, err, sizeof(err)),
	    MAMORI_EEXIST);
	CHECK_STR(t2, "");
	CHECK_INT(web_token_add(db, "nobody", "ci", &id2, t2, err,
	    sizeof(err)), MAMORI_ENOTFOUND);
	CHECK_INT(web_token_add(db, "carol", "", &id2, t2, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_INT(web_token_add(db, "carol", "a\nb", &id2, t2, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(web_token_find(db, token, now, &p), 0);
	CHECK_STR(p.user, "carol");
	CHECK_INT(p.kind, WEB_AUTH_TOKEN);
	CHECK_INT(p.role, WEB_ROLE_VIEWER);
	CHECK_INT(web_token_find(db, "mmr_wrong", now, &p), MAMORI_ENOTFOUND);
	/* The role is the user's, now. */
	CHECK_INT(web_user_set_role(db, "carol", WEB_ROLE_RESPONDER, err,
	    sizeof(err)), 0);
	CHECK_INT(web_token_find(db, token, now, &p), 0);
	CHECK_INT(p.role, WEB_ROLE_RESPONDER);
	CHECK_INT(web_token_each(db, "carol", tok_cb, &n), 0);
	CHECK_INT(n, 1);
	/* Another's token cannot be deleted by name; by an admin it can. */
	CHECK_INT(web_token_del(db, "alice", id), MAMORI_ENOTFOUND);
	CHECK_INT(web_token_del(db, "carol", id), 0);
	CHECK_INT(web_token_find(db, token, now, &p), MAMORI_ENOTFOUND);
	/* At most WEB_TOKENS_PER_USER each. */
	for (i = 0; i < WEB_TOKENS_PER_USER; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_INT(web_token_add(db, "carol", name, &id, token, err,
		    sizeof(err)), 0);
	}
	CHECK_INT(web_token_add(db, "carol", "one-more", &id2, t2, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK_INT(id2, 0);
	CHECK_INT(web_token_del(db, NULL, id), 0);
	/* Deleting the user deletes the tokens. */
	CHECK_INT(web_user_del(db, "carol", err, sizeof(err)), 0);
	CHECK_INT(count("SELECT count(*) FROM api_tokens"), 0);
}

TEST(test_login_failures)
{
	char k[128];
	int64_t now = time_now_ns(), w = 900 * NS_PER_SEC, retry;
	int i;

	web_login_key(k, sizeof(k), "user", "Alice");
	CHECK_STR(k, "user:alice");
	web_login_key(k, sizeof(k), "addr", "192.0.2.7");
	CHECK_STR(k, "addr:192.0.2.7");
	web_login_key(k, sizeof(k), "addr", "2001:db8:1:2:3:4:5:6");
	CHECK_STR(k, "addr:2001:db8:1:2::/64");
	web_login_key(k, sizeof(k), "addr", "::ffff:192.0.2.7");
	CHECK_STR(k, "addr:192.0.2.7");

	web_login_key(k, sizeof(k), "user", "alice");
	for (i = 0; i < 4; i++) {
		CHECK_INT(web_login_blocked(db, k, 5, w, now + i, &retry), 0);
		CHECK_INT(web_login_failed(db, k, now + i * NS_PER_SEC), 0);
	}
	CHECK_INT(web_login_blocked(db, k, 5, w, now + 4 * NS_PER_SEC,
	    &retry), 0);
	CHECK_INT(web_login_failed(db, k, now + 4 * NS_PER_SEC), 0);
	CHECK_INT(web_login_blocked(db, k, 5, w, now + 5 * NS_PER_SEC,
	    &retry), 1);
	/* Free again once the oldest of the five leaves the window. */
	CHECK_INT(retry, 895);
	CHECK_INT(web_login_blocked(db, k, 5, w, now + w + NS_PER_SEC / 2,
	    &retry), 0);
	CHECK_INT(web_login_clear(db, k), 0);
	CHECK_INT(web_login_blocked(db, k, 5, w, now + 5 * NS_PER_SEC,
	    &retry), 0);
	CHECK_INT(web_login_failed(db, k, now), 0);
	CHECK_INT(web_login_expire(db, now + 1), 0);
	CHECK_INT(count("SELECT count(*) FROM login_failures"), 0);
}

int
main(void)
{
	char path[256], err[512];

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/mamori.db", dir);
	if ((dbh = db_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	db = db_sqlite(dbh);
	RUN(test_names);
	RUN(test_hash);
	RUN(test_users);
	RUN(test_sessions);
	RUN(test_tokens);
	RUN(test_login_failures);
	db_close(dbh);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 2;
	return test_summary();
}
