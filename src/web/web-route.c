/*
 * web-route.c - the API's routes (docs/api.md), and what every request
 * passes before its handler runs: who is asking (a bearer token, else
 * the session cookie), whether that role may use the route, the CSRF
 * token for a cookie session's changes, and the body as a JSON object.
 *
 * The order is fixed so that an unauthenticated request learns nothing
 * but 401, whatever else is wrong with it: route (404/405), then login
 * (401), role (403), CSRF (403), body (400/415), handler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>
#include <sodium.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "web/web-impl.h"

#define RO	(WEB_GET | WEB_HEAD)
#define V	WEB_ROLE_VIEWER
#define R	WEB_ROLE_RESPONDER
#define A	WEB_ROLE_ADMIN
#define CSRF	WEB_F_CSRF

static const struct web_route routes[] = {
	{ WEB_POST,	"login",			WEB_ROLE_NONE, 0,
	    web_h_login },
	{ WEB_POST,	"logout",			V, CSRF, web_h_logout },
	{ RO,		"session",			V, 0, web_h_session },
	{ RO,		"overview",			V, 0, web_h_overview },
	{ RO,		"alerts",			V, 0, web_h_alerts },
	{ RO,		"incidents",			V, 0, web_h_incidents },
	{ RO,		"incidents/{id}",		V, 0, web_h_incident },
	{ RO,		"incidents/{id}/logs",		V, 0,
	    web_h_incident_logs },
	{ WEB_POST,	"incidents/{id}/status",	R, CSRF,
	    web_h_incident_status },
	{ WEB_POST,	"incidents/{id}/assign",	R, CSRF,
	    web_h_incident_assign },
	{ WEB_POST,	"incidents/{id}/notes",		R, CSRF,
	    web_h_incident_note },
	{ WEB_POST,	"incidents/{id}/steps/{n}",	R, CSRF,
	    web_h_incident_step },
	{ WEB_POST,	"incidents/{id}/notify",	R, CSRF,
	    web_h_incident_notify },
	{ WEB_POST,	"incidents/{id}/block",		R, CSRF,
	    web_h_incident_block },
	{ RO,		"incidents/{id}/export",	R, 0,
	    web_h_incident_export },
	{ RO,		"blocks",			V, 0, web_h_blocks },
	{ WEB_POST,	"blocks",			R, CSRF,
	    web_h_block_add },
	{ WEB_DELETE,	"blocks/{addr}",		R, CSRF,
	    web_h_block_del },
	{ RO,		"logs",				V, 0, web_h_logs },
	{ RO,		"hosts",			V, 0, web_h_hosts },
	{ RO,		"rules",			V, 0, web_h_rules },
	{ RO,		"contacts",			V, 0, web_h_contacts },
	{ RO,		"users",			A, 0, web_h_users },
	{ WEB_POST,	"users",			A, CSRF,
	    web_h_user_add },
	/* Everyone may change their own password (the handler checks
	 * that it is their own, or that they are an admin). */
	{ WEB_POST,	"users/{name}/password",	V, CSRF,
	    web_h_user_password },
	{ WEB_POST,	"users/{name}/role",		A, CSRF,
	    web_h_user_role },
	{ WEB_DELETE,	"users/{name}",			A, CSRF,
	    web_h_user_del },
	{ RO,		"tokens",			V, 0, web_h_tokens },
	{ WEB_POST,	"tokens",			V, CSRF,
	    web_h_token_add },
	{ WEB_DELETE,	"tokens/{id}",			V, CSRF,
	    web_h_token_del },
	{ RO,		"events",			V, 0, web_h_events },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

const struct web_route *
web_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/* 1 when pattern ("incidents/{id}/steps/{n}") matches segs. */
static int
pattern_match(const char *pattern, const char *const *segs, int nsegs)
{
	const char *p = pattern, *e;
	size_t len;
	int i = 0;

	while (*p != '\0') {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (i >= nsegs)
			return 0;
		if (!(p[0] == '{' && p[len - 1] == '}') &&
		    (strlen(segs[i]) != len || memcmp(segs[i], p, len) != 0))
			return 0;
		i++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return i == nsegs;
}

const struct web_route *
web_route_match(const char *const *segs, int nsegs, enum web_method m,
    unsigned *methods)
{
	const struct web_route *found = NULL;
	size_t i;

	*methods = 0;
	for (i = 0; i < NROUTES; i++) {
		if (!pattern_match(routes[i].pattern, segs, nsegs))
			continue;
		*methods |= routes[i].methods;
		if ((routes[i].methods & m) != 0 && found == NULL)
			found = &routes[i];
	}
	return found;
}

static char *
allow_text(unsigned methods)
{
	static const struct { unsigned m; const char *name; } names[] = {
		{ WEB_GET, "GET" }, { WEB_HEAD, "HEAD" }, { WEB_POST, "POST" },
		{ WEB_DELETE, "DELETE" },
	};
	char buf[64] = "";
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (methods & names[i].m)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "%s%s", buf[0] != '\0' ? ", " : "",
			    names[i].name);
	return strdup(buf);
}

/* Who is asking: a bearer token when one is sent (a wrong one is an
 * error, never a fall back to the cookie), else the session cookie.
 * Returns 0, or -1 with a 401/500 reply set. */
static int
authenticate(struct web_req *rq)
{
	char tok[WEB_TOKEN_LEN + 64];
	const char *h;
	int64_t now = time_now_ns();
	int r;

	memset(&rq->who, 0, sizeof(rq->who));
	if ((h = web_header(rq, "Authorization")) != NULL) {
		if (web_bearer_get(h, tok, sizeof(tok)) < 0) {
			web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "the "
			    "Authorization header must be \"Bearer TOKEN\"");
			return -1;
		}
		r = web_token_find(rq->db, tok, now, &rq->who);
		sodium_memzero(tok, sizeof(tok));
		if (r == MAMORI_ENOTFOUND) {
			web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "unknown or "
			    "deleted API token");
			return -1;
		}
		if (r != 0) {
			web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "cannot read the database");
			return -1;
		}
		return 0;
	}
	h = web_header(rq, "Cookie");
	if (h == NULL || web_cookie_get(h, WEB_COOKIE, tok, sizeof(tok)) <= 0)
		return 0;
	r = web_session_find(rq->db, tok, now, &rq->who);
	sodium_memzero(tok, sizeof(tok));
	if (r != 0 && r != MAMORI_ENOTFOUND) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the database");
		return -1;
	}
	return 0;
}

/* The X-CSRF-Token header equals the session's token. */
static int
csrf_ok(struct web_req *rq)
{
	const char *h = web_header(rq, "X-CSRF-Token");
	size_t n = strlen(rq->who.csrf);

	return h != NULL && n > 0 && strlen(h) == n &&
	    sodium_memcmp(h, rq->who.csrf, n) == 0;
}

/* A body needs Content-Type: application/json, which no cross-site form
 * can send without asking first (CORS, which the console never allows). */
static int
json_body_type(struct web_req *rq)
{
	const char *t = web_header(rq, "Content-Type");

	if (t == NULL)
		return 0;
	while (*t == ' ')
		t++;
	return strncasecmp(t, "application/json", 16) == 0 &&
	    (t[16] == '\0' || t[16] == ';' || t[16] == ' ');
}

void
web_api_dispatch(struct web_req *rq)
{
	const struct web_route *rt;
	unsigned methods;
	char err[512];

	rt = web_route_match((const char *const *)rq->segs, rq->nsegs,
	    rq->method, &methods);
	if (rt == NULL && methods == 0) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such API route");
		return;
	}
	if (rt == NULL) {
		rq->allow = allow_text(methods);
		web_reply_error(rq, MHD_HTTP_METHOD_NOT_ALLOWED, "method not "
		    "allowed here (allowed: %s)", rq->allow != NULL ?
		    rq->allow : "");
		return;
	}
	if ((rq->dbh = web_db_get(rq->ws)) == NULL) {
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot open "
		    "the database");
		return;
	}
	rq->db = db_sqlite(rq->dbh);
	if (authenticate(rq) != 0)
		return;
	if (rt->role != WEB_ROLE_NONE) {
		if (rq->who.kind == WEB_AUTH_NONE) {
			web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "not logged "
			    "in, or the session has expired");
			return;
		}
		if (rq->who.role < rt->role) {
			web_reply_error(rq, MHD_HTTP_FORBIDDEN, "this needs "
			    "the %s role (you are %s)", web_role_name(rt->role),
			    web_role_name(rq->who.role));
			return;
		}
		if ((rt->flags & WEB_F_CSRF) &&
		    rq->who.kind == WEB_AUTH_SESSION && !csrf_ok(rq)) {
			web_reply_error(rq, MHD_HTTP_FORBIDDEN, "missing or "
			    "wrong X-CSRF-Token header (it comes with the "
			    "session: POST /login, GET /session)");
			return;
		}
	}
	if (rq->method == WEB_POST || rq->method == WEB_PUT ||
	    rq->method == WEB_PATCH) {
		if (rq->body_len > 0 && !json_body_type(rq)) {
			web_reply_error(rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			    "the request body must be JSON (Content-Type: "
			    "application/json)");
			return;
		}
		if ((rq->json = web_body_parse(rq->body, rq->body_len, err,
		    sizeof(err))) == NULL) {
			web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
			return;
		}
	}
	rt->handler(rq);
	/* Handlers are done with the database when they return; an event
	 * stream lasts hours and must not keep a connection. */
	web_db_put(rq->ws, rq->dbh);
	rq->dbh = NULL;
	rq->db = NULL;
}
