/*
 * web-http.c - one HTTP request through libmicrohttpd: its body
 * collected (at most WEB_MAX_BODY), the API under /api/v1 dispatched,
 * anything else answered from the embedded console (web/), and every
 * response sent with the security headers.
 *
 * libmicrohttpd calls access() several times per request: once when the
 * headers are in, once per piece of body, and once more at the end, when
 * the response is made.  Its own URL unescaping is switched off
 * (server: unescape_none), so that "%2F" in an address or prefix stays a
 * character of one path segment; web-parse.c decodes each segment and
 * each query value itself, strictly.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "web/web-assets.h"
#include "web/web-http.h"
#include "web/web-impl.h"

/* The console never runs script that did not come from itself, is never
 * framed, and sends nothing to anyone else. */
static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";

void
web_security_headers(struct MHD_Response *r, int api)
{
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy",
	    "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy",
	    "same-origin");
	if (api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum web_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return WEB_GET;
	if (strcmp(m, "HEAD") == 0)
		return WEB_HEAD;
	if (strcmp(m, "POST") == 0)
		return WEB_POST;
	if (strcmp(m, "DELETE") == 0)
		return WEB_DELETE;
	if (strcmp(m, "PUT") == 0)
		return WEB_PUT;
	if (strcmp(m, "PATCH") == 0)
		return WEB_PATCH;
	return WEB_OTHER;
}

static void
client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "unknown");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)len);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, buf,
			    (socklen_t)len);
	}
}

/* ---- replies ---- */

static void
reply_reset(struct web_req *rq)
{
	json_decref(rq->out);
	free(rq->raw);
	rq->out = NULL;
	rq->raw = NULL;
	rq->raw_len = 0;
}

void
web_reply_json(struct web_req *rq, unsigned status, json_t *j)
{
	reply_reset(rq);
	rq->status = status;
	if (j == NULL) {
		rq->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		j = json_pack("{s:s}", "error", "out of memory");
	}
	rq->out = j;
}

void
web_reply_error(struct web_req *rq, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_reset(rq);
	rq->status = status;
	rq->out = json_object();
	if (rq->out != NULL)
		json_object_set_new(rq->out, "error", web_text_json(msg));
}

void
web_reply_raw(struct web_req *rq, unsigned status, const char *type,
    char *buf, size_t len)
{
	reply_reset(rq);
	rq->status = status;
	rq->raw = buf;
	rq->raw_len = len;
	rq->raw_type = type;
}

json_t *
web_time_json(int64_t ns)
{
	char buf[48];

	if (ns == 0 || time_format_rfc3339(ns, 0, 3, buf, sizeof(buf)) != 0)
		return json_null();
	return json_string(buf);
}

json_t *
web_text_json(const char *s)
{
	json_t *j = json_string(s);

	/* Messages may quote what a client sent; jansson refuses text
	 * that is not UTF-8, so fall back to a plain one. */
	return j != NULL ? j : json_string("invalid input");
}

const char *
web_header(struct web_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

static char *
keep(struct web_req *rq, char *s)
{
	char **v;

	if (s == NULL)
		return NULL;
	if ((v = realloc(rq->allocs, (rq->nallocs + 1) * sizeof(*v))) ==
	    NULL) {
		free(s);
		return NULL;
	}
	rq->allocs = v;
	v[rq->nallocs++] = s;
	return s;
}

const char *
web_query(struct web_req *rq, const char *key, int *bad)
{
	const char *raw;
	char *out;
	size_t len;

	*bad = 0;
	raw = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
	    key);
	if (raw == NULL)
		return NULL;
	len = strlen(raw);
	if ((out = malloc(len + 1)) == NULL) {
		*bad = 1;
		return NULL;
	}
	if (web_url_decode(raw, len, out, 1) < 0) {
		free(out);
		*bad = 1;
		return NULL;
	}
	return keep(rq, out);
}

int
web_query_int(struct web_req *rq, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	const char *s;
	char *end;
	long long v;
	int bad;

	if ((s = web_query(rq, key, &bad)) == NULL && !bad)
		return 0;
	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		goto fail;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		goto fail;
	*out = v;
	return 0;
 fail:
	web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter '%s': expected "
	    "a whole number from %lld to %lld", key, (long long)min,
	    (long long)max);
	return -1;
}

int
web_query_time(struct web_req *rq, const char *key, int64_t *out)
{
	const char *s;
	int bad;

	if ((s = web_query(rq, key, &bad)) == NULL && !bad)
		return 0;
	if (s == NULL || *s == '\0' || time_parse_user(s, time_now_ns(),
	    out) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter '%s': "
		    "expected a time such as 2026-11-28T13:00:00Z, -1h or "
		    "@1764331200", key);
		return -1;
	}
	return 0;
}

int
web_query_limit(struct web_req *rq, size_t *out)
{
	int64_t v = WEB_LIMIT_DEFAULT;

	if (web_query_int(rq, "limit", 1, WEB_LIMIT_MAX, &v) != 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* ---- static files ---- */

static const struct web_asset *
asset_find(const char *path)
{
	size_t lo = 0, hi = web_nassets, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(path, web_assets[mid].path);
		if (c == 0)
			return &web_assets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* One of the console's files: GET / is index.html, which browsers must
 * check again each time (it names the rest); the others may be kept
 * for a day.  Unknown paths are 404: the console routes with #fragments,
 * so no path needs to fall back to index.html. */
static struct MHD_Response *
static_file(struct web_req *rq, const char *url, unsigned *status)
{
	const struct web_asset *a;
	const char *inm;
	struct MHD_Response *r;
	static const char nf[] = "not found\n";

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	if ((a = asset_find(url)) == NULL) {
		*status = MHD_HTTP_NOT_FOUND;
		r = MHD_create_response_from_buffer(sizeof(nf) - 1,
		    (void *)nf, MHD_RESPMEM_PERSISTENT);
		if (r != NULL)
			MHD_add_response_header(r, "Content-Type",
			    "text/plain; charset=utf-8");
		return r;
	}
	if (rq->method != WEB_GET && rq->method != WEB_HEAD) {
		*status = MHD_HTTP_METHOD_NOT_ALLOWED;
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
		if (r != NULL)
			MHD_add_response_header(r, "Allow", "GET, HEAD");
		return r;
	}
	inm = web_header(rq, "If-None-Match");
	if (inm != NULL && strstr(inm, a->etag) != NULL) {
		*status = MHD_HTTP_NOT_MODIFIED;
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else {
		*status = MHD_HTTP_OK;
		r = MHD_create_response_from_buffer(a->len, (void *)a->data,
		    MHD_RESPMEM_PERSISTENT);
		if (r != NULL)
			MHD_add_response_header(r, "Content-Type", a->type);
	}
	if (r != NULL) {
		MHD_add_response_header(r, "ETag", a->etag);
		MHD_add_response_header(r, "Cache-Control",
		    strcmp(a->path, "/index.html") == 0 ? "no-cache" :
		    "public, max-age=86400");
	}
	return r;
}

/* ---- the request ---- */

static struct MHD_Response *
api_response(struct web_req *rq)
{
	struct MHD_Response *r;
	char *text, ra[32];

	if (rq->custom != NULL) {
		r = rq->custom;
		rq->custom = NULL;
		return r;
	}
	if (rq->raw != NULL) {
		r = MHD_create_response_from_buffer(rq->raw_len, rq->raw,
		    MHD_RESPMEM_MUST_FREE);
		if (r == NULL)
			return NULL;
		rq->raw = NULL;
		MHD_add_response_header(r, "Content-Type", rq->raw_type);
	} else if (rq->out != NULL) {
		if ((text = json_dumps(rq->out, JSON_COMPACT)) == NULL)
			return NULL;
		r = MHD_create_response_from_buffer(strlen(text), text,
		    MHD_RESPMEM_MUST_FREE);
		if (r == NULL) {
			free(text);
			return NULL;
		}
		MHD_add_response_header(r, "Content-Type",
		    "application/json; charset=utf-8");
	} else
		r = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return NULL;
	if (rq->disposition != NULL)
		MHD_add_response_header(r, "Content-Disposition",
		    rq->disposition);
	if (rq->cookie != NULL)
		MHD_add_response_header(r, "Set-Cookie", rq->cookie);
	if (rq->allow != NULL)
		MHD_add_response_header(r, "Allow", rq->allow);
	if (rq->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%lld", (long long)rq->retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	return r;
}

static enum MHD_Result
send_response(struct web_req *rq, unsigned status, struct MHD_Response *r,
    int api)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;	/* out of memory: the connection closes */
	web_security_headers(r, api);
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A request's body goes only to the API, and only so far. */
static int
takes_body(enum web_method m)
{
	return m == WEB_POST || m == WEB_PUT || m == WEB_PATCH ||
	    m == WEB_DELETE;
}

enum MHD_Result
web_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct web_daemon *wd = cls;
	struct web_req *rq = *con_cls;
	struct MHD_Response *r;
	const char *cl;
	unsigned status;
	int api;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->ws = wd->ws;
		rq->wd = wd;
		rq->conn = c;
		rq->method = method_of(method);
		client_addr(c, rq->addr, sizeof(rq->addr));
		*con_cls = rq;
		/* Too large a body is refused before it is read. */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > WEB_MAX_BODY) {
			web_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE,
			    "request body larger than %d bytes",
			    WEB_MAX_BODY);
			return send_response(rq, rq->status,
			    api_response(rq), 1);
		}
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!takes_body(rq->method)) {
			/* A GET's body means nothing here: dropped. */
			*upload_size = 0;
			return MHD_YES;
		}
		if (rq->body_too_big ||
		    rq->body_len + *upload_size > WEB_MAX_BODY) {
			rq->body_too_big = 1;
			free(rq->body);
			rq->body = NULL;
			rq->body_len = 0;
		} else {
			char *b = realloc(rq->body, rq->body_len +
			    *upload_size + 1);

			if (b == NULL)
				return MHD_NO;
			memcpy(b + rq->body_len, upload, *upload_size);
			rq->body = b;
			rq->body_len += *upload_size;
			b[rq->body_len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}

	api = strncmp(url, WEB_API_PREFIX, sizeof(WEB_API_PREFIX) - 1) == 0 &&
	    (url[sizeof(WEB_API_PREFIX) - 1] == '\0' ||
	    url[sizeof(WEB_API_PREFIX) - 1] == '/');
	if (!api) {
		r = static_file(rq, url, &status);
		return send_response(rq, status, r, 0);
	}
	if (rq->body_too_big)
		web_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "request body "
		    "larger than %d bytes", WEB_MAX_BODY);
	else if ((rq->nsegs = web_path_split(url + sizeof(WEB_API_PREFIX) - 1,
	    rq->segs, WEB_MAX_SEGS)) < 0) {
		rq->nsegs = 0;
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such API route");
	} else
		web_api_dispatch(rq);
	status = rq->status != 0 ? rq->status : MHD_HTTP_INTERNAL_SERVER_ERROR;
	return send_response(rq, status, api_response(rq), 1);
}

void
web_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct web_req *rq = *con_cls;
	size_t i;
	int k;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	for (k = 0; k < rq->nsegs; k++)
		free(rq->segs[k]);
	for (i = 0; i < rq->nallocs; i++)
		free(rq->allocs[i]);
	free(rq->allocs);
	free(rq->body);
	json_decref(rq->json);
	json_decref(rq->out);
	free(rq->raw);
	free(rq->disposition);
	free(rq->cookie);
	free(rq->allow);
	if (rq->custom != NULL)
		MHD_destroy_response(rq->custom);
	if (rq->dbh != NULL)
		web_db_put(rq->ws, rq->dbh);
	free(rq);
	*con_cls = NULL;
}

size_t
web_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}
