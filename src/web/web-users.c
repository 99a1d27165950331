/*
 * web-users.c - users (argon2id password hashes), API tokens and login
 * failures in mamori.db, for the console and `mamori user`.
 *
 * Hashing costs a tenth of a second and 64 MiB on purpose (libsodium's
 * "interactive" limits): that is what makes a stolen database expensive
 * to attack, and why the server caps how many hashes run at once.
 * Tokens, being random 256-bit values, need only SHA-256.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <sodium.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "web/web-users.h"

const char *
web_role_name(int role)
{
	switch (role) {
	case WEB_ROLE_VIEWER:		return "viewer";
	case WEB_ROLE_RESPONDER:	return "responder";
	case WEB_ROLE_ADMIN:		return "admin";
	}
	return "none";
}

int
web_role_parse(const char *s)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "viewer") == 0)
		return WEB_ROLE_VIEWER;
	if (strcmp(s, "responder") == 0)
		return WEB_ROLE_RESPONDER;
	if (strcmp(s, "admin") == 0)
		return WEB_ROLE_ADMIN;
	return -1;
}

int
web_user_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, len;

	if (name == NULL || name[0] == '\0') {
		mamori_seterr(err, errlen, "a user name is needed");
		return MAMORI_EINVAL;
	}
	len = strnlen(name, WEB_USER_MAX + 1);
	if (len > WEB_USER_MAX) {
		mamori_seterr(err, errlen, "a user name has at most %d "
		    "characters", WEB_USER_MAX);
		return MAMORI_EINVAL;
	}
	if (!isalnum((unsigned char)name[0])) {
		mamori_seterr(err, errlen, "a user name starts with a letter "
		    "or digit");
		return MAMORI_EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80 || !(isalnum(c) || c == '.' || c == '_' ||
		    c == '-' || c == '@')) {
			mamori_seterr(err, errlen, "a user name holds only "
			    "letters, digits, '.', '_', '-' and '@'");
			return MAMORI_EINVAL;
		}
	}
	if (strcasecmp(name, "mamori") == 0) {
		mamori_seterr(err, errlen, "'mamori' is the system's own name "
		    "on timelines; choose another");
		return MAMORI_EINVAL;
	}
	return 0;
}

int
web_password_check(const char *pw, char *err, size_t errlen)
{
	size_t i, len;

	if (pw == NULL) {
		mamori_seterr(err, errlen, "a password is needed");
		return MAMORI_EINVAL;
	}
	len = strnlen(pw, WEB_PASSWORD_MAX + 1);
	if (len < WEB_PASSWORD_MIN) {
		mamori_seterr(err, errlen, "a password has at least %d "
		    "characters", WEB_PASSWORD_MIN);
		return MAMORI_EINVAL;
	}
	if (len > WEB_PASSWORD_MAX) {
		mamori_seterr(err, errlen, "a password has at most %d bytes",
		    WEB_PASSWORD_MAX);
		return MAMORI_EINVAL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
			mamori_seterr(err, errlen, "a password holds no "
			    "control characters");
			return MAMORI_EINVAL;
		}
	return 0;
}

int
web_password_hash(const char *pw, char out[WEB_HASH_MAX])
{
	_Static_assert(crypto_pwhash_STRBYTES <= WEB_HASH_MAX,
	    "WEB_HASH_MAX too small");
	if (sodium_init() < 0)
		return MAMORI_ENOMEM;
	if (crypto_pwhash_str_alg(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MAMORI_ENOMEM;
	return 0;
}

int
web_password_verify(const char *hash, const char *pw)
{
	if (sodium_init() < 0 || hash == NULL || pw == NULL)
		return 0;
	/* A hash that is not NUL-terminated within its size is not ours. */
	if (strnlen(hash, WEB_HASH_MAX) >= WEB_HASH_MAX)
		return 0;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void
web_random_secret(char *out)
{
	unsigned char b[32];

	if (sodium_init() < 0)
		abort();	/* no randomness: nothing may go on */
	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, WEB_SECRET_LEN + 1, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
}

void
web_token_digest(const char *token, size_t len, unsigned char out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)token, len);
}

/* Runs sql in a transaction of its own: BEGIN IMMEDIATE so that the
 * checks inside it see what they change. */
static int
begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : MAMORI_EDB;
}

static int
end(sqlite3 *db, int r)
{
	if (r != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return MAMORI_EDB;
	}
	return 0;
}

/* One int64 from sql, whose arguments fmt gives ('s' a string, 'i' an
 * int64_t); MAMORI_ENOTFOUND without a row. */
static int
scalar(sqlite3 *db, int64_t *out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, r, step;

	*out = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	va_start(ap, fmt);
	r = SQLITE_OK;
	for (i = 1; fmt != NULL && fmt[i - 1] != '\0' && r == SQLITE_OK;
	    i++) {
		if (fmt[i - 1] == 's') {
			const char *s = va_arg(ap, const char *);

			r = sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
		} else
			r = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
	}
	va_end(ap);
	if (r != SQLITE_OK) {
		sqlite3_finalize(st);
		return MAMORI_EDB;
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (step == SQLITE_ROW)
		return 0;
	return step == SQLITE_DONE ? MAMORI_ENOTFOUND : MAMORI_EDB;
}

static int
user_id(sqlite3 *db, const char *name, int64_t *id)
{
	return scalar(db, id, "SELECT id FROM users WHERE name = ?1", "s",
	    name);
}

static int
admins(sqlite3 *db, int64_t *n)
{
	return scalar(db, n, "SELECT count(*) FROM users WHERE role = ?1",
	    "i", (int64_t)WEB_ROLE_ADMIN);
}

int
web_user_add(sqlite3 *db, const char *name, int role, const char *password,
    char *err, size_t errlen)
{
	char hash[WEB_HASH_MAX];
	int64_t id, now = time_now_ns();
	int r;

	if ((r = web_user_name_check(name, err, errlen)) != 0 ||
	    (r = web_password_check(password, err, errlen)) != 0)
		return r;
	if (role < WEB_ROLE_VIEWER || role > WEB_ROLE_ADMIN) {
		mamori_seterr(err, errlen, "unknown role (viewer, responder, "
		    "admin)");
		return MAMORI_EINVAL;
	}
	if ((r = web_password_hash(password, hash)) != 0) {
		mamori_seterr(err, errlen, "cannot hash the password: out of "
		    "memory");
		return r;
	}
	if ((r = begin(db)) != 0) {
		mamori_seterr(err, errlen, "%s", sqlite3_errmsg(db));
		return r;
	}
	r = user_id(db, name, &id);
	if (r == 0) {
		mamori_seterr(err, errlen, "user '%s' exists", name);
		r = MAMORI_EEXIST;
	} else if (r == MAMORI_ENOTFOUND)
		r = db_exec(db, "INSERT INTO users (name, role, password, "
		    "created, updated) VALUES (?1, ?2, ?3, ?4, ?4)", "sdsi",
		    name, role, hash, now);
	if (r == MAMORI_EDB)
		mamori_seterr(err, errlen, "%s", sqlite3_errmsg(db));
	sodium_memzero(hash, sizeof(hash));
	return end(db, r);
}

int
web_user_passwd(sqlite3 *db, const char *name, const char *password,
    int64_t keep_session, char *err, size_t errlen)
{
	char hash[WEB_HASH_MAX];
	int64_t id;
	int r;

	if ((r = web_password_check(password, err, errlen)) != 0)
		return r;
	if ((r = web_password_hash(password, hash)) != 0) {
		mamori_seterr(err, errlen, "cannot hash the password: out of "
		    "memory");
		return r;
	}
	if ((r = begin(db)) != 0)
		return r;
	if ((r = user_id(db, name, &id)) == MAMORI_ENOTFOUND)
		mamori_seterr(err, errlen, "no user '%s'", name);
	if (r == 0)
		r = db_exec(db, "UPDATE users SET password = ?2, updated = ?3 "
		    "WHERE id = ?1", "isi", id, hash, time_now_ns());
	/* Whoever knew the old password is logged out everywhere. */
	if (r == 0)
		r = db_exec(db, "DELETE FROM sessions WHERE user_id = ?1 AND "
		    "id != ?2", "ii", id, keep_session);
	sodium_memzero(hash, sizeof(hash));
	return end(db, r);
}

int
web_user_set_role(sqlite3 *db, const char *name, int role, char *err,
    size_t errlen)
{
	int64_t id, cur, n;
	int r;

	if (role < WEB_ROLE_VIEWER || role > WEB_ROLE_ADMIN) {
		mamori_seterr(err, errlen, "unknown role (viewer, responder, "
		    "admin)");
		return MAMORI_EINVAL;
	}
	if ((r = begin(db)) != 0)
		return r;
	if ((r = user_id(db, name, &id)) == MAMORI_ENOTFOUND)
		mamori_seterr(err, errlen, "no user '%s'", name);
	if (r == 0)
		r = scalar(db, &cur, "SELECT role FROM users WHERE id = ?1",
		    "i", id);
	if (r == 0 && cur == WEB_ROLE_ADMIN && role != WEB_ROLE_ADMIN &&
	    (r = admins(db, &n)) == 0 && n <= 1) {
		mamori_seterr(err, errlen, "'%s' is the last admin; make "
		    "another user admin first", name);
		r = MAMORI_EEXIST;
	}
	if (r == 0)
		r = db_exec(db, "UPDATE users SET role = ?2 WHERE id = ?1",
		    "id", id, role);
	return end(db, r);
}

int
web_user_del(sqlite3 *db, const char *name, char *err, size_t errlen)
{
	int64_t id, role, n;
	int r;

	if ((r = begin(db)) != 0)
		return r;
	if ((r = user_id(db, name, &id)) == MAMORI_ENOTFOUND)
		mamori_seterr(err, errlen, "no user '%s'", name);
	if (r == 0)
		r = scalar(db, &role, "SELECT role FROM users WHERE id = ?1",
		    "i", id);
	if (r == 0 && role == WEB_ROLE_ADMIN && (r = admins(db, &n)) == 0 &&
	    n <= 1) {
		mamori_seterr(err, errlen, "'%s' is the last admin; make "
		    "another user admin first", name);
		r = MAMORI_EEXIST;
	}
	if (r == 0)
		r = db_exec(db, "DELETE FROM sessions WHERE user_id = ?1", "i",
		    id);
	if (r == 0)
		r = db_exec(db, "DELETE FROM api_tokens WHERE user_id = ?1",
		    "i", id);
	if (r == 0)
		r = db_exec(db, "DELETE FROM users WHERE id = ?1", "i", id);
	return end(db, r);
}

static void
fill_user(sqlite3_stmt *st, struct web_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	u->name = (const char *)sqlite3_column_text(st, 1);
	u->role = sqlite3_column_int(st, 2);
	u->created_ns = sqlite3_column_int64(st, 3);
	u->last_login_ns = sqlite3_column_int64(st, 4);
	if (u->name == NULL)
		u->name = "";
}

int
web_user_each(sqlite3 *db, int (*cb)(void *, const struct web_user *),
    void *arg)
{
	sqlite3_stmt *st;
	struct web_user u;
	int r = 0, step;

	if (db_prep(db, &st, "SELECT id, name, role, created, last_login "
	    "FROM users ORDER BY name COLLATE NOCASE", NULL) != 0)
		return MAMORI_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		fill_user(st, &u);
		if ((r = cb(arg, &u)) != 0)
			break;
	}
	if (r == 0 && step != SQLITE_DONE)
		r = MAMORI_EDB;
	sqlite3_finalize(st);
	return r;
}

int
web_user_get(sqlite3 *db, const char *name, struct web_user *u, char *buf,
    char hash[WEB_HASH_MAX])
{
	sqlite3_stmt *st;
	const unsigned char *h;
	int r, step;

	memset(u, 0, sizeof(*u));
	if (db_prep(db, &st, "SELECT id, name, role, created, last_login, "
	    "password FROM users WHERE name = ?1", "s", name) != 0)
		return MAMORI_EDB;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		fill_user(st, u);
		snprintf(buf, WEB_USER_MAX + 1, "%s", u->name);
		u->name = buf;
		if (hash != NULL) {
			h = sqlite3_column_text(st, 5);
			snprintf(hash, WEB_HASH_MAX, "%s",
			    h != NULL ? (const char *)h : "");
		}
		r = 0;
	} else
		r = step == SQLITE_DONE ? MAMORI_ENOTFOUND : MAMORI_EDB;
	sqlite3_finalize(st);
	return r;
}

int
web_user_count(sqlite3 *db, int64_t *n)
{
	return scalar(db, n, "SELECT count(*) FROM users", NULL);
}

int
web_user_bootstrap(sqlite3 *db, char *pw)
{
	char hash[WEB_HASH_MAX];
	int64_t n;
	int r;

	pw[0] = '\0';
	if ((r = web_user_count(db, &n)) != 0 || n > 0)
		return r;
	/* Hashed outside the transaction: it takes a while.  20 base64url
	 * characters are 120 bits, and short enough to type. */
	web_random_secret(pw);
	pw[20] = '\0';
	if ((r = web_password_hash(pw, hash)) != 0)
		return r;
	if ((r = begin(db)) == 0 && (r = web_user_count(db, &n)) == 0 &&
	    n == 0)
		r = db_exec(db, "INSERT INTO users (name, role, password, "
		    "created, updated) VALUES ('admin', ?1, ?2, ?3, ?3)",
		    "dsi", WEB_ROLE_ADMIN, hash, time_now_ns());
	sodium_memzero(hash, sizeof(hash));
	if (r == MAMORI_EDB && sqlite3_get_autocommit(db))
		return r;		/* BEGIN itself failed */
	if ((r = end(db, r)) != 0 || n > 0) {
		/* Failed, or another process made the first user. */
		sodium_memzero(pw, WEB_SECRET_LEN + 1);
		return r;
	}
	return 1;
}

static int
token_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, len;

	if (name == NULL || name[0] == '\0') {
		mamori_seterr(err, errlen, "a token needs a name");
		return MAMORI_EINVAL;
	}
	len = strnlen(name, WEB_TOKEN_NAME_MAX + 1);
	if (len > WEB_TOKEN_NAME_MAX) {
		mamori_seterr(err, errlen, "a token name has at most %d "
		    "bytes", WEB_TOKEN_NAME_MAX);
		return MAMORI_EINVAL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			mamori_seterr(err, errlen, "a token name holds no "
			    "control characters");
			return MAMORI_EINVAL;
		}
	return 0;
}

int
web_token_add(sqlite3 *db, const char *user, const char *name, int64_t *id,
    char *token, char *err, size_t errlen)
{
	unsigned char digest[32];
	sqlite3_stmt *st;
	int64_t uid, n;
	int r;

	*id = 0;
	token[0] = '\0';
	if ((r = token_name_check(name, err, errlen)) != 0)
		return r;
	memcpy(token, WEB_TOKEN_PREFIX, 4);
	web_random_secret(token + 4);
	web_token_digest(token, strlen(token), digest);
	if ((r = begin(db)) != 0)
		goto out;
	if ((r = user_id(db, user, &uid)) == MAMORI_ENOTFOUND)
		mamori_seterr(err, errlen, "no user '%s'", user);
	if (r == 0 && (r = scalar(db, &n, "SELECT count(*) FROM api_tokens "
	    "WHERE user_id = ?1", "i", uid)) == 0 &&
	    n >= WEB_TOKENS_PER_USER) {
		mamori_seterr(err, errlen, "'%s' has %d tokens already; delete "
		    "one first", user, WEB_TOKENS_PER_USER);
		r = MAMORI_EINVAL;
	}
	if (r == 0) {
		r = scalar(db, &n, "SELECT id FROM api_tokens WHERE user_id = "
		    "?1 AND name = ?2", "is", uid, name);
		if (r == 0) {
			mamori_seterr(err, errlen, "'%s' has a token called "
			    "'%s' already", user, name);
			r = MAMORI_EEXIST;
		} else if (r == MAMORI_ENOTFOUND)
			r = 0;
	}
	if (r == 0) {
		if (db_prep(db, &st, "INSERT INTO api_tokens (user_id, name, "
		    "token_hash, created) VALUES (?1, ?2, ?3, ?4)", NULL) !=
		    0)
			r = MAMORI_EDB;
		else {
			sqlite3_bind_int64(st, 1, uid);
			sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(st, 3, digest, sizeof(digest),
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 4, time_now_ns());
			r = db_run(st);
			if (r == 0)
				*id = sqlite3_last_insert_rowid(db);
		}
	}
	r = end(db, r);
 out:
	if (r != 0) {
		sodium_memzero(token, WEB_TOKEN_LEN + 1);
		*id = 0;
		if (r == MAMORI_EDB)
			mamori_seterr(err, errlen, "%s", sqlite3_errmsg(db));
	}
	return r;
}

int
web_token_del(sqlite3 *db, const char *user, int64_t id)
{
	int r;

	if (user != NULL)
		r = db_exec(db, "DELETE FROM api_tokens WHERE id = ?1 AND "
		    "user_id = (SELECT id FROM users WHERE name = ?2)", "is",
		    id, user);
	else
		r = db_exec(db, "DELETE FROM api_tokens WHERE id = ?1", "i",
		    id);
	if (r != 0)
		return r;
	return sqlite3_changes(db) > 0 ? 0 : MAMORI_ENOTFOUND;
}

int
web_token_each(sqlite3 *db, const char *user,
    int (*cb)(void *, const struct web_token *), void *arg)
{
	sqlite3_stmt *st;
	struct web_token t;
	int r = 0, step;

	if (db_prep(db, &st, "SELECT t.id, u.name, t.name, t.created, "
	    "t.last_used FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "WHERE ?1 IS NULL OR u.name = ?1 ORDER BY t.id", "s", user) != 0)
		return MAMORI_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = sqlite3_column_int64(st, 0);
		t.user = (const char *)sqlite3_column_text(st, 1);
		t.name = (const char *)sqlite3_column_text(st, 2);
		t.created_ns = sqlite3_column_int64(st, 3);
		t.last_used_ns = sqlite3_column_int64(st, 4);
		if (t.user == NULL)
			t.user = "";
		if (t.name == NULL)
			t.name = "";
		if ((r = cb(arg, &t)) != 0)
			break;
	}
	if (r == 0 && step != SQLITE_DONE)
		r = MAMORI_EDB;
	sqlite3_finalize(st);
	return r;
}

void
web_login_key(char *out, size_t len, const char *kind, const char *value)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];
	size_t i, n;

	if (strcmp(kind, "addr") == 0 && inet_pton(AF_INET6, value, &a6) == 1
	    && !IN6_IS_ADDR_V4MAPPED(&a6)) {
		/* One IPv6 host usually has a whole /64 to pick from. */
		memset(&a6.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a6, buf, sizeof(buf));
		snprintf(out, len, "addr:%s/64", buf);
		return;
	}
	if (strcmp(kind, "addr") == 0 && inet_pton(AF_INET6, value, &a6) == 1) {
		inet_ntop(AF_INET, &a6.s6_addr[12], buf, sizeof(buf));
		snprintf(out, len, "addr:%s", buf);
		return;
	}
	n = (size_t)snprintf(out, len, "%s:%.*s", kind, WEB_USER_MAX, value);
	for (i = strlen(kind) + 1; i < n && i < len; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

int
web_login_blocked(sqlite3 *db, const char *key, unsigned max,
    int64_t window_ns, int64_t now_ns, int64_t *retry_s)
{
	sqlite3_stmt *st;
	int64_t oldest = 0, n = 0;
	int step;

	if (retry_s != NULL)
		*retry_s = 0;
	if (db_prep(db, &st, "SELECT count(*), min(at) FROM (SELECT at FROM "
	    "login_failures WHERE key = ?1 AND at > ?2 ORDER BY at DESC "
	    "LIMIT ?3)", "sii", key, now_ns - window_ns, (int64_t)max) != 0)
		return MAMORI_EDB;
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		oldest = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW)
		return MAMORI_EDB;
	if (n < (int64_t)max)
		return 0;
	if (retry_s != NULL) {
		/* The max-th newest failure leaves the window then. */
		*retry_s = (oldest + window_ns - now_ns + NS_PER_SEC - 1) /
		    NS_PER_SEC;
		if (*retry_s < 1)
			*retry_s = 1;
	}
	return 1;
}

int
web_login_failed(sqlite3 *db, const char *key, int64_t now_ns)
{
	return db_exec(db, "INSERT INTO login_failures (key, at) VALUES "
	    "(?1, ?2)", "si", key, now_ns);
}

int
web_login_clear(sqlite3 *db, const char *key)
{
	return db_exec(db, "DELETE FROM login_failures WHERE key = ?1", "s",
	    key);
}

int
web_login_expire(sqlite3 *db, int64_t before_ns)
{
	return db_exec(db, "DELETE FROM login_failures WHERE at < ?1", "i",
	    before_ns);
}
