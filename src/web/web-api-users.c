/*
 * web-api-users.c - /users (admins manage who may log in; everyone may
 * change their own password) and /tokens (API tokens for scripts: each
 * user their own, admins everyone's).
 *
 * Every change is logged on the server's own log with who made it; the
 * passwords and tokens never are.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>
#include <sodium.h>

#include "core/error.h"
#include "core/log.h"
#include "web/web-impl.h"

static json_t *
user_json(const struct web_user *u)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "name", u->name, "role",
	    web_role_name(u->role), "created", web_time_json(u->created_ns),
	    "last_login", web_time_json(u->last_login_ns));
}

static int
user_cb(void *arg, const struct web_user *u)
{
	json_array_append_new(arg, user_json(u));
	return 0;
}

void
web_h_users(struct web_req *rq)
{
	json_t *a = json_array();

	if (a == NULL || web_user_each(rq->db, user_cb, a) != 0) {
		json_decref(a);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the users");
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "users", a));
}

/* Replies to a failed user change. */
static void
user_failed(struct web_req *rq, int r, const char *err)
{
	switch (r) {
	case MAMORI_EINVAL:
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		break;
	case MAMORI_ENOTFOUND:
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "%s", err);
		break;
	case MAMORI_EEXIST:
		web_reply_error(rq, MHD_HTTP_CONFLICT, "%s", err);
		break;
	default:
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
		    err[0] != '\0' ? err : mamori_strerror(r));
	}
}

void
web_h_user_add(struct web_req *rq)
{
	struct web_user u;
	const char *name, *role, *pw;
	char err[256], buf[WEB_USER_MAX + 1];
	int ro, r;

	err[0] = '\0';
	if (web_body_str(rq->json, "name", 1, WEB_USER_MAX, 0, &name, err,
	    sizeof(err)) != 0 || web_body_str(rq->json, "role", 1, 16, 0,
	    &role, err, sizeof(err)) != 0 || web_body_str(rq->json,
	    "password", 1, WEB_PASSWORD_MAX, 0, &pw, err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((ro = web_role_parse(role)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'role': "
		    "expected viewer, responder or admin");
		return;
	}
	web_hash_enter(rq->ws);
	r = web_user_add(rq->db, name, ro, pw, err, sizeof(err));
	web_hash_leave(rq->ws);
	if (r != 0) {
		user_failed(rq, r, err);
		return;
	}
	log_info("console: %s added user %s (%s)", rq->who.user, name, role);
	if (web_user_get(rq->db, name, &u, buf, NULL) != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the user back");
		return;
	}
	web_reply_json(rq, MHD_HTTP_CREATED, user_json(&u));
}

void
web_h_user_password(struct web_req *rq)
{
	struct web_user u;
	const char *name = rq->segs[1], *pw, *old;
	char err[256], buf[WEB_USER_MAX + 1], hash[WEB_HASH_MAX];
	int self, ok, r;

	err[0] = '\0';
	if (web_body_str(rq->json, "password", 1, WEB_PASSWORD_MAX, 0, &pw,
	    err, sizeof(err)) != 0 || web_body_str(rq->json, "old", 0,
	    WEB_PASSWORD_MAX, 0, &old, err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	self = strcasecmp(name, rq->who.user) == 0;
	if (!self && rq->who.role < WEB_ROLE_ADMIN) {
		web_reply_error(rq, MHD_HTTP_FORBIDDEN, "only an admin may change "
		    "another user's password");
		return;
	}
	if ((r = web_user_get(rq->db, name, &u, buf, hash)) != 0) {
		web_reply_error(rq, r == MAMORI_ENOTFOUND ? MHD_HTTP_NOT_FOUND :
		    MHD_HTTP_INTERNAL_SERVER_ERROR, "no user '%s'", name);
		return;
	}
	/* One's own password needs the old one, so that a session left
	 * open cannot be turned into the account. */
	if (self) {
		if (old == NULL) {
			web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'old' "
			    "is required to change your own password");
			sodium_memzero(hash, sizeof(hash));
			return;
		}
		web_hash_enter(rq->ws);
		ok = web_password_verify(hash, old);
		web_hash_leave(rq->ws);
		if (!ok) {
			web_reply_error(rq, MHD_HTTP_FORBIDDEN, "field 'old': "
			    "wrong password");
			sodium_memzero(hash, sizeof(hash));
			return;
		}
	}
	sodium_memzero(hash, sizeof(hash));
	web_hash_enter(rq->ws);
	r = web_user_passwd(rq->db, name, pw, self &&
	    rq->who.kind == WEB_AUTH_SESSION ? rq->who.session_id : 0, err,
	    sizeof(err));
	web_hash_leave(rq->ws);
	if (r != 0) {
		user_failed(rq, r, err);
		return;
	}
	log_info("console: %s changed the password of %s", rq->who.user,
	    buf);
	rq->status = MHD_HTTP_NO_CONTENT;
}

void
web_h_user_role(struct web_req *rq)
{
	struct web_user u;
	const char *name = rq->segs[1], *role;
	char err[256], buf[WEB_USER_MAX + 1];
	int ro, r;

	err[0] = '\0';
	if (web_body_str(rq->json, "role", 1, 16, 0, &role, err,
	    sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((ro = web_role_parse(role)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'role': "
		    "expected viewer, responder or admin");
		return;
	}
	if ((r = web_user_set_role(rq->db, name, ro, err, sizeof(err))) != 0) {
		user_failed(rq, r, err);
		return;
	}
	if (web_user_get(rq->db, name, &u, buf, NULL) != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the user back");
		return;
	}
	log_info("console: %s made %s %s", rq->who.user, buf, role);
	web_reply_json(rq, MHD_HTTP_OK, user_json(&u));
}

void
web_h_user_del(struct web_req *rq)
{
	const char *name = rq->segs[1];
	char err[256];
	int r;

	err[0] = '\0';
	if ((r = web_user_del(rq->db, name, err, sizeof(err))) != 0) {
		user_failed(rq, r, err);
		return;
	}
	log_info("console: %s deleted user %s", rq->who.user, name);
	rq->status = MHD_HTTP_NO_CONTENT;
}

/* ---- tokens ---- */

static int
token_cb(void *arg, const struct web_token *t)
{
	json_array_append_new(arg, json_pack("{s:I, s:s, s:o, s:o, s:o}", "id",
	    (json_int_t)t->id, "user", t->user, "name", web_text_json(t->name),
	    "created", web_time_json(t->created_ns), "last_used",
	    web_time_json(t->last_used_ns)));
	return 0;
}

void
web_h_tokens(struct web_req *rq)
{
	const char *user;
	json_t *a;
	int bad;

	/* ?user=NAME (or * for everyone's) is for admins. */
	user = web_query(rq, "user", &bad);
	if (bad) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad percent-encoding "
		    "in the query");
		return;
	}
	if (user == NULL || *user == '\0')
		user = rq->who.user;
	if (strcasecmp(user, rq->who.user) != 0 &&
	    rq->who.role < WEB_ROLE_ADMIN) {
		web_reply_error(rq, MHD_HTTP_FORBIDDEN, "only an admin may list "
		    "another user's tokens");
		return;
	}
	if ((a = json_array()) == NULL || web_token_each(rq->db,
	    strcmp(user, "*") == 0 ? NULL : user, token_cb, a) != 0) {
		json_decref(a);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the tokens");
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "tokens", a));
}

void
web_h_token_add(struct web_req *rq)
{
	const char *name;
	char err[256], token[WEB_TOKEN_LEN + 1];
	int64_t id;
	int r;

	err[0] = '\0';
	if (web_body_str(rq->json, "name", 1, WEB_TOKEN_NAME_MAX, 0, &name,
	    err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((r = web_token_add(rq->db, rq->who.user, name, &id, token, err,
	    sizeof(err))) != 0) {
		user_failed(rq, r, err);
		return;
	}
	log_info("console: %s made API token %" PRId64, rq->who.user, id);
	web_reply_json(rq, MHD_HTTP_CREATED, json_pack("{s:I, s:s, s:o, s:s}",
	    "id", (json_int_t)id, "token", token, "name", web_text_json(name),
	    "user", rq->who.user));
	sodium_memzero(token, sizeof(token));
}

void
web_h_token_del(struct web_req *rq)
{
	int64_t id;
	int r;

	if (web_parse_id(rq->segs[1], INT64_MAX, &id) != 0) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such token");
		return;
	}
	/* Admins may delete anyone's; others only their own. */
	r = web_token_del(rq->db, rq->who.role >= WEB_ROLE_ADMIN ? NULL :
	    rq->who.user, id);
	if (r == MAMORI_ENOTFOUND) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no token %" PRId64
		    " of yours", id);
		return;
	}
	if (r != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "delete the token");
		return;
	}
	log_info("console: %s deleted API token %" PRId64, rq->who.user, id);
	rq->status = MHD_HTTP_NO_CONTENT;
}
