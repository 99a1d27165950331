/*
 * web-api-auth.c - POST /login, POST /logout, GET /session.
 *
 * A login gives a session: a random token in a cookie (HttpOnly, so
 * script cannot read it; SameSite=Strict, so no other site's page can
 * send it; Secure under https), and a CSRF token the console sends back
 * in X-CSRF-Token with every change.  Failed logins are counted per user
 * name and per client address; web.login_max_failures of either within
 * web.login_window refuse further attempts with 429 until the oldest
 * leaves the window, before any password is checked.  A user name that
 * does not exist is checked against a dummy hash, so it costs the same
 * time as a wrong password and tells nothing.
 */
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "store/logsearch.h"
#include "web/web-impl.h"

/* A user name as typed, shown in the server's log. */
static const char *
shown(const char *s, char *buf, size_t len)
{
	size_t n = strnlen(s, (len - 1) / 4);

	logsearch_vis(buf, (const uint8_t *)s, n);
	return buf;
}

static int
secure_cookie(struct web_req *rq)
{
	int sc = rq->ws->conf->secure_cookies;

	return sc == 1 || (sc == -1 && rq->wd->tls);
}

static json_t *
session_json(const struct web_principal *p)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:s}", "user", p->user,
	    "role", web_role_name(p->role), "csrf",
	    p->kind == WEB_AUTH_SESSION ? json_string(p->csrf) : json_null(),
	    "expires", p->kind == WEB_AUTH_SESSION ?
	    web_time_json(p->expires_ns) : json_null(), "auth",
	    p->kind == WEB_AUTH_SESSION ? "session" : "token");
}

void
web_h_login(struct web_req *rq)
{
	const struct web_conf *c = rq->ws->conf;
	struct web_user u;
	struct web_principal p;
	const char *user, *pw;
	char err[256], ku[WEB_USER_MAX + 16], ka[96], name[WEB_USER_MAX + 1];
	char hash[WEB_HASH_MAX], token[WEB_SECRET_LEN + 1], vis[256 + 1];
	int64_t now = time_now_ns(), retry_u = 0, retry_a = 0;
	int found, ok, bu, ba, r;

	if (web_body_str(rq->json, "user", 1, 256, 0, &user, err,
	    sizeof(err)) != 0 || web_body_str(rq->json, "password", 1,
	    WEB_PASSWORD_MAX, 0, &pw, err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	web_login_key(ku, sizeof(ku), "user", user);
	web_login_key(ka, sizeof(ka), "addr", rq->addr);
	bu = web_login_blocked(rq->db, ku, c->login_max_failures,
	    c->login_window_ns, now, &retry_u);
	ba = web_login_blocked(rq->db, ka, c->login_max_failures,
	    c->login_window_ns, now, &retry_a);
	if (bu < 0 || ba < 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the database");
		return;
	}
	if (bu || ba) {
		rq->retry_after = retry_u > retry_a ? retry_u : retry_a;
		web_reply_error(rq, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed "
		    "logins; try again in %lld seconds",
		    (long long)rq->retry_after);
		return;
	}
	r = web_user_get(rq->db, user, &u, name, hash);
	if (r != 0 && r != MAMORI_ENOTFOUND) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the database");
		return;
	}
	found = r == 0;
	web_hash_enter(rq->ws);
	ok = web_password_verify(found ? hash : rq->ws->dummy_hash, pw);
	web_hash_leave(rq->ws);
	if (!found || !ok) {
		(void)web_login_failed(rq->db, ku, now);
		(void)web_login_failed(rq->db, ka, now);
		log_info("console: failed login as '%s' from %s",
		    shown(user, vis, sizeof(vis)), rq->addr);
		web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "wrong user name or "
		    "password");
		sodium_memzero(hash, sizeof(hash));
		return;
	}
	(void)web_login_clear(rq->db, ku);
	/* Stronger hashing parameters since this password was set: store
	 * it again with today's. */
	if (crypto_pwhash_str_needs_rehash(hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		web_hash_enter(rq->ws);
		if (web_password_hash(pw, hash) == 0)
			(void)db_exec(rq->db, "UPDATE users SET password = ?2 "
			    "WHERE id = ?1", "is", u.id, hash);
		web_hash_leave(rq->ws);
	}
	sodium_memzero(hash, sizeof(hash));
	/* A session this browser had ends: one login, one session. */
	if (rq->who.kind == WEB_AUTH_SESSION)
		(void)web_session_end(rq->db, rq->who.session_id);
	memset(&p, 0, sizeof(p));
	if (web_session_new(rq->db, u.id, c->session_ttl_ns, rq->addr, token,
	    &p) != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store "
		    "the session");
		return;
	}
	snprintf(p.user, sizeof(p.user), "%s", name);
	p.role = u.role;
	(void)db_exec(rq->db, "UPDATE users SET last_login = ?2 WHERE id = ?1",
	    "ii", u.id, now);
	if (asprintf(&rq->cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=%lld%s", WEB_COOKIE, token,
	    (long long)(c->session_ttl_ns / NS_PER_SEC),
	    secure_cookie(rq) ? "; Secure" : "") < 0)
		rq->cookie = NULL;
	sodium_memzero(token, sizeof(token));
	log_info("console: %s logged in from %s", name, rq->addr);
	web_reply_json(rq, MHD_HTTP_OK, session_json(&p));
}

void
web_h_logout(struct web_req *rq)
{
	if (rq->who.kind == WEB_AUTH_SESSION &&
	    web_session_end(rq->db, rq->who.session_id) != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot end "
		    "the session");
		return;
	}
	if (asprintf(&rq->cookie, "%s=; Path=/; HttpOnly; SameSite=Strict; "
	    "Max-Age=0%s", WEB_COOKIE, secure_cookie(rq) ? "; Secure" : "") <
	    0)
		rq->cookie = NULL;
	rq->status = MHD_HTTP_NO_CONTENT;
}

void
web_h_session(struct web_req *rq)
{
	web_reply_json(rq, MHD_HTTP_OK, session_json(&rq->who));
}
