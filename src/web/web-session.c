/*
 * web-session.c - who is asking: console sessions (a random token in a
 * cookie) and API tokens (a random token in an Authorization header),
 * both found by the SHA-256 of the token through a unique index, so
 * checking a request costs one lookup and the database never holds a
 * usable token.
 *
 * last_seen and last_used are written at most once a minute per session
 * or token: a write per request would make every read of the console a
 * database write.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "web/web-impl.h"

#define TOUCH_EVERY_NS	(60 * NS_PER_SEC)

int
web_session_new(sqlite3 *db, int64_t user_id, int64_t ttl_ns,
    const char *addr, char *token, struct web_principal *p)
{
	unsigned char digest[32];
	sqlite3_stmt *st;
	int64_t now = time_now_ns();
	int r;

	web_random_secret(token);
	web_random_secret(p->csrf);
	web_token_digest(token, strlen(token), digest);
	if (db_prep(db, &st, "INSERT INTO sessions (token_hash, user_id, "
	    "csrf, created, expires, last_seen, address) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?4, ?6)", NULL) != 0)
		return MAMORI_EDB;
	sqlite3_bind_blob(st, 1, digest, sizeof(digest), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_text(st, 3, p->csrf, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now + ttl_ns);
	sqlite3_bind_text(st, 6, addr, -1, SQLITE_TRANSIENT);
	if ((r = db_run(st)) != 0)
		return r;
	p->kind = WEB_AUTH_SESSION;
	p->session_id = sqlite3_last_insert_rowid(db);
	p->user_id = user_id;
	p->expires_ns = now + ttl_ns;
	return 0;
}

/* Prepares sql, whose one parameter is a token's digest, for token and
 * steps to its row: 0 with *st on it (the caller finalizes), or
 * MAMORI_ENOTFOUND or MAMORI_EDB (nothing left to finalize). */
static int
find_by_token(sqlite3 *db, const char *sql, const char *token,
    sqlite3_stmt **st)
{
	unsigned char digest[32];
	int step;

	web_token_digest(token, strlen(token), digest);
	if (db_prep(db, st, sql, NULL) != 0)
		return MAMORI_EDB;
	sqlite3_bind_blob(*st, 1, digest, sizeof(digest), SQLITE_TRANSIENT);
	if ((step = sqlite3_step(*st)) == SQLITE_ROW)
		return 0;
	sqlite3_finalize(*st);
	*st = NULL;
	return step == SQLITE_DONE ? MAMORI_ENOTFOUND : MAMORI_EDB;
}

/* Columns 1..3 of such a row (user id, name, role) into p; returns
 * column 0, the row's own id. */
static int64_t
read_principal(sqlite3_stmt *st, struct web_principal *p)
{
	const unsigned char *name = sqlite3_column_text(st, 2);

	p->user_id = sqlite3_column_int64(st, 1);
	p->role = sqlite3_column_int(st, 3);
	snprintf(p->user, sizeof(p->user), "%s", name ? (const char *)name :
	    "");
	return sqlite3_column_int64(st, 0);
}

int
web_session_find(sqlite3 *db, const char *token, int64_t now_ns,
    struct web_principal *p)
{
	sqlite3_stmt *st;
	const unsigned char *csrf;
	int64_t last;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = find_by_token(db, "SELECT s.id, s.user_id, u.name, u.role, "
	    "s.csrf, s.expires, s.last_seen FROM sessions s JOIN users u ON "
	    "u.id = s.user_id WHERE s.token_hash = ?1", token, &st)) != 0)
		return rc;
	p->kind = WEB_AUTH_SESSION;
	p->session_id = read_principal(st, p);
	csrf = sqlite3_column_text(st, 4);
	p->expires_ns = sqlite3_column_int64(st, 5);
	last = sqlite3_column_int64(st, 6);
	snprintf(p->csrf, sizeof(p->csrf), "%s", csrf ? (const char *)csrf :
	    "");
	sqlite3_finalize(st);
	if (p->expires_ns <= now_ns) {
		memset(p, 0, sizeof(*p));
		return MAMORI_ENOTFOUND;
	}
	if (now_ns - last >= TOUCH_EVERY_NS)
		(void)db_exec(db, "UPDATE sessions SET last_seen = ?2 WHERE "
		    "id = ?1", "ii", p->session_id, now_ns);
	return 0;
}

int
web_token_find(sqlite3 *db, const char *token, int64_t now_ns,
    struct web_principal *p)
{
	sqlite3_stmt *st;
	int64_t last;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = find_by_token(db, "SELECT t.id, t.user_id, u.name, u.role, "
	    "coalesce(t.last_used, 0) FROM api_tokens t JOIN users u ON "
	    "u.id = t.user_id WHERE t.token_hash = ?1", token, &st)) != 0)
		return rc;
	p->kind = WEB_AUTH_TOKEN;
	p->token_id = read_principal(st, p);
	last = sqlite3_column_int64(st, 4);
	sqlite3_finalize(st);
	if (now_ns - last >= TOUCH_EVERY_NS)
		(void)db_exec(db, "UPDATE api_tokens SET last_used = ?2 WHERE "
		    "id = ?1", "ii", p->token_id, now_ns);
	return 0;
}

int
web_principal_valid(sqlite3 *db, struct web_principal *p, int64_t now_ns)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (p->kind == WEB_AUTH_SESSION)
		db_prep(db, &st, "SELECT u.role FROM sessions s JOIN users u "
		    "ON u.id = s.user_id WHERE s.id = ?1 AND s.expires > ?2",
		    "ii", p->session_id, now_ns);
	else if (p->kind == WEB_AUTH_TOKEN)
		db_prep(db, &st, "SELECT u.role FROM api_tokens t JOIN users "
		    "u ON u.id = t.user_id WHERE t.id = ?1", "i", p->token_id);
	else
		return 0;
	if (st == NULL)
		return 1;	/* the database is busy: judge later */
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->role = sqlite3_column_int(st, 0);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

int
web_session_end(sqlite3 *db, int64_t id)
{
	return db_exec(db, "DELETE FROM sessions WHERE id = ?1", "i", id);
}

int
web_session_expire(sqlite3 *db, int64_t now_ns)
{
	return db_exec(db, "DELETE FROM sessions WHERE expires <= ?1", "i",
	    now_ns);
}
