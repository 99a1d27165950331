/*
 * web-impl.h - what the console's files share; private to src/web/.
 */
#ifndef MAMORI_WEB_IMPL_H
#define MAMORI_WEB_IMPL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "web/web.h"
#include "web/web-users.h"

typedef struct sqlite3 sqlite3;
struct db;
struct MHD_Connection;
struct MHD_Daemon;
struct MHD_Response;

#define WEB_API_PREFIX		"/api/v1"
#define WEB_MAX_BODY		(64 * 1024)	/* request bodies */
#define WEB_MAX_SEGS		8		/* path segments */
#define WEB_MAX_SEG		512		/* bytes of one, decoded */
#define WEB_LIMIT_DEFAULT	100
#define WEB_LIMIT_MAX		1000
#define WEB_COOKIE		"mamori_session"
#define WEB_TEXT_MAX		(16 * 1024)	/* notes and reasons */

/* ---- parsing client bytes (web-parse.c; fuzz-web-parse) ---- */

/*
 * Percent-decodes in[0..len) into out (at least len + 1 bytes), with '+'
 * as a space when plus is set (query strings).  Refuses a '%' not
 * followed by two hex digits, and a decoded NUL.  Returns the decoded
 * length, or -1.  out is NUL-terminated.
 */
long web_url_decode(const char *in, size_t len, char *out, int plus);

/*
 * Splits the path part of a URL (no query) into at most max segments,
 * each percent-decoded into its own allocation (caller frees each with
 * free()).  "/a/b%2Fc" gives "a", "b/c"; a trailing '/' gives nothing
 * more; an empty segment in the middle ("a//b"), "." or "..", a
 * segment longer than WEB_MAX_SEG or bad percent-encoding fail.  Returns
 * the number of segments, or -1 (nothing left allocated).
 */
int web_path_split(const char *path, char **segs, int max);

/*
 * The value of cookie name in a Cookie header (RFC 6265 section 5.4:
 * "a=1; b=2"), copied into out (outlen bytes, NUL-terminated).  Returns
 * its length, -1 when absent, -2 when longer than outlen - 1.  The first
 * of several with the same name wins.
 */
int web_cookie_get(const char *header, const char *name, char *out,
    size_t outlen);

/* The credentials of "Authorization: Bearer TOKEN" (RFC 6750; the scheme
 * in any case, one or more spaces) into out.  Returns the token's length,
 * or -1 (no such header form, or longer than outlen - 1, or characters
 * outside the RFC's b64token set). */
int web_bearer_get(const char *header, char *out, size_t outlen);

/* A positive whole number of digits only, at most max.  0 or -1. */
int web_parse_id(const char *s, int64_t max, int64_t *out);

/* A duration: a JSON number of seconds or a string such as "90m", "2h",
 * "0" (until lifted).  0 or -1. */
int web_parse_duration(const json_t *v, int64_t *out_ns);

/*
 * A request body as a JSON object: at most WEB_MAX_BODY bytes, valid
 * UTF-8, no NUL in strings, no duplicate keys, an object at the top.
 * Returns the object (new reference) or NULL with a message in err.
 */
json_t *web_body_parse(const char *buf, size_t len, char *err,
    size_t errlen);

/*
 * Fields of a body, each checked: web_body_str() a string of at most max
 * bytes without control characters other than TAB and (with multiline)
 * LF/CR; absent or null gives *out NULL unless required.  web_body_bool()
 * a JSON boolean.  Each returns 0, or -1 with "field 'x': ..." in err.
 */
int web_body_str(const json_t *o, const char *key, int required,
    size_t max, int multiline, const char **out, char *err, size_t errlen);
int web_body_bool(const json_t *o, const char *key, int required, int *out,
    char *err, size_t errlen);

/* ---- principals, sessions (web-session.c) ---- */

enum web_auth { WEB_AUTH_NONE = 0, WEB_AUTH_SESSION, WEB_AUTH_TOKEN };

/* Who is asking. */
struct web_principal {
	enum web_auth	 kind;
	int64_t		 user_id;
	char		 user[WEB_USER_MAX + 1];
	int		 role;
	int64_t		 session_id;	/* WEB_AUTH_SESSION */
	char		 csrf[WEB_SECRET_LEN + 1];
	int64_t		 expires_ns;
	int64_t		 token_id;	/* WEB_AUTH_TOKEN */
};

/* A new session for user_id lasting ttl_ns: its token (the cookie's
 * value) and CSRF token into token and csrf (WEB_SECRET_LEN + 1 bytes
 * each), its row and expiry into p.  0 or MAMORI_EDB. */
int web_session_new(sqlite3 *db, int64_t user_id, int64_t ttl_ns,
    const char *addr, char *token, struct web_principal *p);

/* The session or API token behind token (kind says which), if it is
 * valid at now_ns, into p.  Refreshes last_seen/last_used at most once a
 * minute.  0, MAMORI_ENOTFOUND (unknown or expired) or MAMORI_EDB. */
int web_session_find(sqlite3 *db, const char *token, int64_t now_ns,
    struct web_principal *p);
int web_token_find(sqlite3 *db, const char *token, int64_t now_ns,
    struct web_principal *p);

/* 1 while p (as found before) is still valid: its session or token
 * exists and has not expired (the event streams ask every ping).  Also
 * refreshes p->role. */
int web_principal_valid(sqlite3 *db, struct web_principal *p,
    int64_t now_ns);

/* Ends session id.  0 or MAMORI_EDB. */
int web_session_end(sqlite3 *db, int64_t id);
/* Housekeeping: removes sessions expired before now_ns. */
int web_session_expire(sqlite3 *db, int64_t now_ns);

/* ---- the server ---- */

struct web_daemon {
	struct web_server *ws;
	const struct listener_conf *lc;
	int		 fd;		/* bound and listening */
	int		 tls;
	char		*cert, *key;	/* PEM, read before the drop */
	struct MHD_Daemon *d;
	char		 url[300];
};

/* A pool of connections to mamori.db for the request threads. */
struct web_dbpool {
	pthread_mutex_t	 mu;
	const char	*path;
	struct db	**free;
	size_t		 nfree, cap;
};

struct web_hub;
struct web_contain;

/* Events per minute, for the overview (the publisher samples). */
#define WEB_MINUTES	60
struct web_rate {
	pthread_mutex_t	 mu;
	int64_t		 minute[WEB_MINUTES];	/* minute number (unix/60) */
	uint64_t	 count[WEB_MINUTES];
	int64_t		 first_s;		/* of the current minute's
						   sample */
	uint64_t	 last_total;
	int		 primed;
};

struct web_server {
	const struct config *cfg;
	const struct web_conf *conf;
	char		*db_path;
	struct web_ops	 ops;
	struct web_daemon *daemons;
	size_t		 ndaemons;
	struct web_dbpool pool;
	struct web_hub	*hub;
	struct web_contain *contain;
	struct web_rate	 rate;

	/* Password hashes at once (64 MiB each). */
	pthread_mutex_t	 hash_mu;
	pthread_cond_t	 hash_cv;
	int		 hashing;
	/* Compared against when the user does not exist, so that a wrong
	 * name costs what a wrong password does. */
	char		 dummy_hash[WEB_HASH_MAX];

	/* The publisher thread (web-sse.c). */
	pthread_t	 pub;
	int		 pub_running;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 kicked;
	int		 stopping;	/* under mu */
	atomic_int	 closing;	/* read without mu by request threads */
	int		 started;

	/* GET /rules: the ruleset's counts, loaded at most once a minute
	 * (the pipeline's own set is not shared with the console). */
	pthread_mutex_t	 rules_mu;
	json_t		*rules_cache;
	int64_t		 rules_at;	/* monotonic */
};

/* A database connection from the pool (NULL when none can be opened);
 * give it back with web_db_put(). */
struct db *web_db_get(struct web_server *ws);
void web_db_put(struct web_server *ws, struct db *db);

/* Waits for a hashing slot; web_hash_leave() frees it. */
void web_hash_enter(struct web_server *ws);
void web_hash_leave(struct web_server *ws);

/* ---- requests ---- */

enum web_method {
	WEB_GET = 1, WEB_HEAD = 2, WEB_POST = 4, WEB_DELETE = 8, WEB_PUT = 16,
	WEB_PATCH = 32, WEB_OTHER = 64,
};

/* One request, from its first byte to its response. */
struct web_req {
	struct web_server *ws;
	struct web_daemon *wd;
	struct MHD_Connection *conn;
	enum web_method	 method;
	char		*segs[WEB_MAX_SEGS];	/* of the path after /api/v1 */
	int		 nsegs;
	char		 addr[64];	/* client address, no port */
	char		*body;
	size_t		 body_len;
	int		 body_too_big;
	json_t		*json;		/* the parsed body (POST) */
	struct web_principal who;
	struct db	*dbh;		/* from the pool, for the handler */
	sqlite3		*db;
	char		**allocs;	/* strings freed at the end */
	size_t		 nallocs;

	/* The response the handler sets. */
	unsigned	 status;
	json_t		*out;		/* JSON body, or NULL */
	char		*raw;		/* or raw bytes (freed) */
	size_t		 raw_len;
	const char	*raw_type;
	char		*disposition;	/* Content-Disposition (freed) */
	char		*cookie;	/* Set-Cookie (freed) */
	char		*allow;		/* Allow, for 405 (freed) */
	int64_t		 retry_after;	/* seconds, for 429 */
	struct MHD_Response *custom;	/* a response made elsewhere (SSE) */
};

/* Replies.  web_reply_json() takes j; web_reply_error() formats
 * {"error": "..."}; web_reply_raw() takes buf (malloc'd). */
void web_reply_json(struct web_req *rq, unsigned status, json_t *j);
void web_reply_error(struct web_req *rq, unsigned status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void web_reply_raw(struct web_req *rq, unsigned status, const char *type,
    char *buf, size_t len);

/* A query parameter, percent-decoded (kept until the request ends), or
 * NULL when absent.  *bad is set when present but badly encoded. */
const char *web_query(struct web_req *rq, const char *key, int *bad);

/* Query helpers that reply 400 themselves and return -1 on bad input;
 * absent values leave *out as it was. */
int web_query_int(struct web_req *rq, const char *key, int64_t min,
    int64_t max, int64_t *out);
int web_query_time(struct web_req *rq, const char *key, int64_t *out);
int web_query_limit(struct web_req *rq, size_t *out);

/* A header of the request, or NULL. */
const char *web_header(struct web_req *rq, const char *name);

/* RFC 3339 UTC with milliseconds, or JSON null for 0. */
json_t *web_time_json(int64_t ns);

/* The text of a user-caused error as a JSON string made safe (not UTF-8
 * bytes replaced). */
json_t *web_text_json(const char *s);

/* ---- routes (web-route.c) ---- */

#define WEB_F_CSRF	0x1	/* a cookie session must send X-CSRF-Token */

typedef void (*web_handler)(struct web_req *rq);

struct web_route {
	unsigned	 methods;	/* WEB_GET | WEB_HEAD, ... */
	const char	*pattern;	/* "incidents/{id}/steps/{n}" */
	int		 role;		/* least role; WEB_ROLE_NONE: open */
	unsigned	 flags;
	web_handler	 handler;
};

/* The route for segs (after /api/v1), or NULL; *methods receives the
 * methods of every route whose pattern matched (for 405 and Allow). */
const struct web_route *web_route_match(const char *const *segs, int nsegs,
    enum web_method m, unsigned *methods);

/* Every route (for the tests and the docs check). */
const struct web_route *web_routes(size_t *n);

/* Runs an API request: authentication, role, CSRF, handler. */
void web_api_dispatch(struct web_req *rq);

/* ---- handlers (web-api-*.c) ---- */

void web_h_login(struct web_req *rq);
void web_h_logout(struct web_req *rq);
void web_h_session(struct web_req *rq);
void web_h_overview(struct web_req *rq);
void web_h_alerts(struct web_req *rq);
void web_h_incidents(struct web_req *rq);
void web_h_incident(struct web_req *rq);
void web_h_incident_logs(struct web_req *rq);
void web_h_incident_status(struct web_req *rq);
void web_h_incident_assign(struct web_req *rq);
void web_h_incident_note(struct web_req *rq);
void web_h_incident_step(struct web_req *rq);
void web_h_incident_notify(struct web_req *rq);
void web_h_incident_block(struct web_req *rq);
void web_h_incident_export(struct web_req *rq);
void web_h_blocks(struct web_req *rq);
void web_h_block_add(struct web_req *rq);
void web_h_block_del(struct web_req *rq);
void web_h_logs(struct web_req *rq);
void web_h_hosts(struct web_req *rq);
void web_h_rules(struct web_req *rq);
void web_h_contacts(struct web_req *rq);
void web_h_users(struct web_req *rq);
void web_h_user_add(struct web_req *rq);
void web_h_user_password(struct web_req *rq);
void web_h_user_role(struct web_req *rq);
void web_h_user_del(struct web_req *rq);
void web_h_tokens(struct web_req *rq);
void web_h_token_add(struct web_req *rq);
void web_h_token_del(struct web_req *rq);
void web_h_events(struct web_req *rq);

/* ---- event streams (web-sse.c) ---- */

int web_hub_new(struct web_server *ws);
void web_hub_close(struct web_server *ws);	/* ends every stream */
void web_hub_free(struct web_server *ws);
void *web_publisher(void *arg);			/* the thread */
/* Events per second over each of the last 60 minutes, oldest first. */
json_t *web_rate_json(struct web_server *ws, int64_t now_ns);

/* ---- containment (web-contain.c) ---- */

struct respond_result;

struct web_contain *web_contain_start(const struct respond_conf *c,
    const char *db_path, char *err, size_t errlen);
void web_contain_stop(struct web_contain *wc);

/*
 * Blocks addr for duration_ns (-1: respond.default_duration; 0: until
 * lifted) on the containment thread, recording who, reason (may be
 * NULL) and incident (0: none), and waits for it.  Returns 0 with *res
 * filled, or an error with err set: MAMORI_EINVAL (refused: bad address
 * or duration), MAMORI_EEXIST (allowlisted, covered, overlapping),
 * MAMORI_ENOTFOUND (no such incident), MAMORI_ESYS (nftables failed),
 * MAMORI_EDB, MAMORI_EAGAIN (too many waiting).
 */
int web_contain_block(struct web_contain *wc, const char *addr,
    int64_t duration_ns, const char *who, const char *reason,
    int64_t incident, struct respond_result *res, char *err, size_t errlen);
/* Lifts the block of addr; canon receives its normal form.  0,
 * MAMORI_EINVAL, MAMORI_ENOTFOUND (not blocked), MAMORI_ESYS, ... */
int web_contain_unblock(struct web_contain *wc, const char *addr,
    const char *who, char *canon, char *err, size_t errlen);
/* The blocks in force as `mamori blocks --json` lists them (new
 * reference in *out); err tells when the firewall could not be read and
 * the list comes from the record alone. */
int web_contain_list(struct web_contain *wc, json_t **out, char *err,
    size_t errlen);

#endif
