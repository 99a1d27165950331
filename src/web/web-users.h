/*
 * web-users.h - the console's users, API tokens and login failures, in
 * mamori.db (src/store/db.c, migration 5: users, sessions, api_tokens,
 * login_failures).  Used by the server's console and by `mamori user`.
 *
 * Passwords are stored as argon2id hashes (libsodium crypto_pwhash_str:
 * the algorithm, its parameters and a random salt in one string).  API
 * tokens and session tokens are 256-bit random values shown once; only
 * their SHA-256 is stored, which is enough for values that cannot be
 * guessed and lets a request be checked with one indexed lookup.
 *
 * Every function takes the caller's SQLite handle (one thread at a time,
 * as db.h says) and returns 0 or a negative MAMORI_E* code; those that a
 * person can get wrong also fill err with what and why.
 */
#ifndef MAMORI_WEB_USERS_H
#define MAMORI_WEB_USERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;

/* Roles, each with everything the one before may do. */
enum web_role {
	WEB_ROLE_NONE = 0,	/* routes that need no login */
	WEB_ROLE_VIEWER = 1,	/* read everything but others' users and
				   tokens */
	WEB_ROLE_RESPONDER = 2,	/* act on incidents, block, notify, export */
	WEB_ROLE_ADMIN = 3,	/* users, everyone's tokens */
};

/* "viewer", "responder", "admin"; and back (-1 when unknown). */
const char *web_role_name(int role);
int web_role_parse(const char *s);

#define WEB_USER_MAX		64	/* bytes of a user name */
#define WEB_PASSWORD_MIN	10	/* characters (bytes) */
#define WEB_PASSWORD_MAX	1024
#define WEB_TOKEN_NAME_MAX	64
#define WEB_TOKENS_PER_USER	50
/* Text of a random token: 43 base64url characters (256 bits). */
#define WEB_SECRET_LEN		43
/* An API token: "mmr_" and a secret. */
#define WEB_TOKEN_PREFIX	"mmr_"
#define WEB_TOKEN_LEN		(4 + WEB_SECRET_LEN)
/* What crypto_pwhash_str() writes, NUL included. */
#define WEB_HASH_MAX		128

/*
 * A user name: 1..64 bytes of letters, digits, '.', '_', '-' and '@',
 * starting with a letter or digit; "mamori" is the system's own name on
 * timelines and is refused.  Returns 0 or MAMORI_EINVAL with err set.
 */
int web_user_name_check(const char *name, char *err, size_t errlen);

/* A password: WEB_PASSWORD_MIN..WEB_PASSWORD_MAX bytes, no NUL or
 * control characters.  Returns 0 or MAMORI_EINVAL with err set. */
int web_password_check(const char *pw, char *err, size_t errlen);

/* Hashes pw (argon2id, crypto_pwhash OPSLIMIT/MEMLIMIT_INTERACTIVE: about
 * 64 MiB and a tenth of a second) into out.  Returns 0 or MAMORI_ENOMEM
 * (the memory could not be had). */
int web_password_hash(const char *pw, char out[WEB_HASH_MAX]);

/* 1 when pw matches hash, else 0 (also for a malformed hash). */
int web_password_verify(const char *hash, const char *pw);

/* Writes WEB_SECRET_LEN random base64url characters and a NUL into out
 * (WEB_SECRET_LEN + 1 bytes). */
void web_random_secret(char *out);

/* SHA-256 of a token's text, as stored. */
void web_token_digest(const char *token, size_t len, unsigned char out[32]);

/*
 * Users.  web_user_add() checks the name and password, hashes and
 * stores: 0, MAMORI_EINVAL (err says why), MAMORI_EEXIST (err: "user
 * 'x' exists") or MAMORI_EDB.
 */
int web_user_add(sqlite3 *db, const char *name, int role,
    const char *password, char *err, size_t errlen);

/* New password for name; every session of the user ends except
 * keep_session (a sessions.id, 0: none).  0, MAMORI_EINVAL,
 * MAMORI_ENOTFOUND or MAMORI_EDB. */
int web_user_passwd(sqlite3 *db, const char *name, const char *password,
    int64_t keep_session, char *err, size_t errlen);

/* A user's role.  The last admin cannot stop being one: MAMORI_EEXIST
 * ("the last admin").  0, MAMORI_ENOTFOUND or MAMORI_EDB otherwise. */
int web_user_set_role(sqlite3 *db, const char *name, int role, char *err,
    size_t errlen);

/* Deletes the user with their sessions and tokens (one transaction).
 * The last admin cannot be deleted: MAMORI_EEXIST.  0, MAMORI_ENOTFOUND
 * or MAMORI_EDB otherwise. */
int web_user_del(sqlite3 *db, const char *name, char *err, size_t errlen);

struct web_user {
	int64_t		 id;
	const char	*name;
	int		 role;
	int64_t		 created_ns;
	int64_t		 last_login_ns;	/* 0: never */
};

/* Calls cb for each user by name (strings borrowed for the call); stops
 * when cb returns non-zero.  0, cb's value or MAMORI_EDB. */
int web_user_each(sqlite3 *db, int (*cb)(void *, const struct web_user *),
    void *arg);

/* The user called name (any case) into *u, with name copied into buf
 * (WEB_USER_MAX + 1 bytes) and, when hash is not NULL, the password
 * hash into it.  0, MAMORI_ENOTFOUND or MAMORI_EDB. */
int web_user_get(sqlite3 *db, const char *name, struct web_user *u,
    char *buf, char hash[WEB_HASH_MAX]);

/* How many users there are. */
int web_user_count(sqlite3 *db, int64_t *n);

/*
 * The first start: when there is no user at all, creates "admin" with a
 * random password (written into pw, WEB_SECRET_LEN + 1 bytes) and
 * returns 1; returns 0 when there are users.  One transaction, so two
 * servers starting at once cannot both create one.  Or MAMORI_EDB.
 */
int web_user_bootstrap(sqlite3 *db, char *pw);

/*
 * API tokens.  web_token_add() makes a token called name for user and
 * writes its text into token (WEB_TOKEN_LEN + 1 bytes; it is stored
 * only as a digest, so this is the one time it is seen) and its id into
 * *id.  0, MAMORI_EINVAL (bad name, or WEB_TOKENS_PER_USER reached),
 * MAMORI_EEXIST (the user has a token of that name), MAMORI_ENOTFOUND
 * (no such user) or MAMORI_EDB; err says which.
 */
int web_token_add(sqlite3 *db, const char *user, const char *name,
    int64_t *id, char *token, char *err, size_t errlen);

/* Deletes token id; with user not NULL, only if it is theirs.
 * 0, MAMORI_ENOTFOUND or MAMORI_EDB. */
int web_token_del(sqlite3 *db, const char *user, int64_t id);

struct web_token {
	int64_t		 id;
	const char	*user;
	const char	*name;
	int64_t		 created_ns;
	int64_t		 last_used_ns;	/* 0: never */
};

/* Calls cb for each token (of user, or everyone's when user is NULL),
 * oldest first.  0, cb's value or MAMORI_EDB. */
int web_token_each(sqlite3 *db, const char *user,
    int (*cb)(void *, const struct web_token *), void *arg);

/*
 * Login failures, counted per key: "user:NAME" (lower case) and
 * "addr:ADDRESS" (an IPv6 address by its /64).  web_login_key() writes
 * the key.  web_login_blocked() says whether key has max failures within
 * window_ns before now_ns: 0 (not), or 1 with *retry_s (may be NULL) the
 * seconds until the oldest of them leaves the window; or MAMORI_EDB.
 */
void web_login_key(char *out, size_t len, const char *kind,
    const char *value);
int web_login_blocked(sqlite3 *db, const char *key, unsigned max,
    int64_t window_ns, int64_t now_ns, int64_t *retry_s);
int web_login_failed(sqlite3 *db, const char *key, int64_t now_ns);
/* Forgets key's failures (a successful login forgets its user's). */
int web_login_clear(sqlite3 *db, const char *key);
/* Forgets failures older than before_ns (housekeeping). */
int web_login_expire(sqlite3 *db, int64_t before_ns);

#endif
