/*
 * web-server.c - the console's life: sockets bound and certificates read
 * while the server still has the privileges to (web_server_new()),
 * threads started once it has dropped them (web_server_start()), and a
 * clean stop with everything else on SIGTERM.
 *
 * Each http:// or https:// listener is a libmicrohttpd daemon with a
 * pool of threads (web.threads) polling with epoll; connections are
 * capped in number, per address and in idle time.  Requests get their
 * database connection from a pool shared by the daemons, so a request
 * never waits for another's connection and the pipeline's connections
 * are never touched.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "core/config.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "respond/respond.h"
#include "store/db.h"
#include "store/logsearch.h"
#include "web/web-http.h"
#include "web/web-impl.h"

#define PEM_MAX		(1024 * 1024)
/* TLS 1.2 and 1.3 only, GnuTLS's secure default ciphers. */
#define TLS_PRIORITIES	"SECURE256:SECURE128:-VERS-ALL:+VERS-TLS1.3:" \
			"+VERS-TLS1.2:%SERVER_PRECEDENCE"

int
web_drop_caps(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	return syscall(SYS_capset, &h, d) == 0 ? 0 : MAMORI_ESYS;
}

/* ---- the database pool ---- */

struct db *
web_db_get(struct web_server *ws)
{
	struct db *db = NULL;
	char err[512];

	pthread_mutex_lock(&ws->pool.mu);
	if (ws->pool.nfree > 0)
		db = ws->pool.free[--ws->pool.nfree];
	pthread_mutex_unlock(&ws->pool.mu);
	if (db != NULL)
		return db;
	if ((db = db_open(ws->db_path, 0, err, sizeof(err))) == NULL)
		log_err("console: %s", err);
	return db;
}

void
web_db_put(struct web_server *ws, struct db *db)
{
	pthread_mutex_lock(&ws->pool.mu);
	if (ws->pool.nfree < ws->pool.cap) {
		ws->pool.free[ws->pool.nfree++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&ws->pool.mu);
	db_close(db);		/* beyond what the pool keeps */
}

void
web_hash_enter(struct web_server *ws)
{
	pthread_mutex_lock(&ws->hash_mu);
	while (ws->hashing >= ws->conf->hash_concurrency)
		pthread_cond_wait(&ws->hash_cv, &ws->hash_mu);
	ws->hashing++;
	pthread_mutex_unlock(&ws->hash_mu);
}

void
web_hash_leave(struct web_server *ws)
{
	pthread_mutex_lock(&ws->hash_mu);
	ws->hashing--;
	pthread_cond_signal(&ws->hash_cv);
	pthread_mutex_unlock(&ws->hash_mu);
}

/* ---- listeners ---- */

/* Binds lc's address (the first getaddrinfo() gives that works) and
 * listens, non-blocking.  Returns the socket or -1 with err set. */
static int
bind_listener(const struct listener_conf *lc, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, e = 0, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(lc->host, lc->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s: %s", lc->url,
		    lc->host, gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* [::] and 0.0.0.0 can then be two listeners. */
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "%s: cannot listen: %s", lc->url,
		    strerror(e != 0 ? e : EADDRNOTAVAIL));
	return fd;
}

static int
read_pem(const char *url, const char *what, const char *path, char **out,
    char *err, size_t errlen)
{
	size_t len;
	int r;

	if (path == NULL) {
		snprintf(err, errlen, "%s: needs tls.%s", url, what);
		return MAMORI_ECONFIG;
	}
	if ((r = file_read_all(path, PEM_MAX, out, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read tls.%s '%s': %s", url,
		    what, path, r == MAMORI_ESYS ? strerror(errno) :
		    mamori_strerror(r));
		return r;
	}
	return 0;
}

struct web_server *
web_server_new(const struct web_setup *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	struct web_server *ws;
	size_t i, n = 0;

	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ws->cfg = c;
	ws->conf = c->web;
	ws->ops = s->ops;
	pthread_mutex_init(&ws->mu, NULL);
	pthread_cond_init(&ws->cv, NULL);
	pthread_mutex_init(&ws->hash_mu, NULL);
	pthread_cond_init(&ws->hash_cv, NULL);
	pthread_mutex_init(&ws->pool.mu, NULL);
	pthread_mutex_init(&ws->rate.mu, NULL);
	pthread_mutex_init(&ws->rules_mu, NULL);
	if ((ws->db_path = strdup(s->db_path)) == NULL)
		goto nomem;
	ws->pool.path = ws->db_path;
	for (i = 0; i < c->nlisteners; i++)
		n += c->listeners[i].proto == LISTEN_HTTP;
	if (n == 0)
		return ws;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		goto fail;
	}
	ws->pool.cap = n * (size_t)ws->conf->threads + 4;
	if ((ws->pool.free = calloc(ws->pool.cap,
	    sizeof(*ws->pool.free))) == NULL ||
	    (ws->daemons = calloc(n, sizeof(*ws->daemons))) == NULL)
		goto nomem;
	for (i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *lc = &c->listeners[i];
		struct web_daemon *wd;

		if (lc->proto != LISTEN_HTTP)
			continue;
		wd = &ws->daemons[ws->ndaemons++];
		wd->ws = ws;
		wd->lc = lc;
		wd->fd = -1;
		wd->tls = lc->http_tls;
		snprintf(wd->url, sizeof(wd->url), "%s://%s%s%s:%s/",
		    wd->tls ? "https" : "http", strchr(lc->host, ':') ? "[" :
		    "", strcmp(lc->host, "0.0.0.0") == 0 ? "127.0.0.1" :
		    strcmp(lc->host, "::") == 0 ? "::1" : lc->host,
		    strchr(lc->host, ':') ? "]" : "", lc->port);
		if (wd->tls &&
		    (read_pem(lc->url, "cert", lc->tls.cert, &wd->cert, err,
		    errlen) != 0 ||
		    read_pem(lc->url, "key", lc->tls.key, &wd->key, err,
		    errlen) != 0))
			goto fail;
		if (wd->tls && lc->tls.verify_client != TLS_VERIFY_NONE)
			log_warn("%s: tls.verify_client does not apply to the "
			    "console; users log in with a password", lc->url);
		if ((wd->fd = bind_listener(lc, err, errlen)) < 0)
			goto fail;
	}
	/* A wrong user name costs as much as a wrong password. */
	if (web_password_hash("mamori: no such user", ws->dummy_hash) != 0) {
		snprintf(err, errlen, "cannot hash: out of memory");
		goto fail;
	}
	return ws;
 nomem:
	snprintf(err, errlen, "out of memory");
 fail:
	web_server_free(ws);
	return NULL;
}

size_t
web_server_nlisteners(const struct web_server *ws)
{
	return ws != NULL ? ws->ndaemons : 0;
}

void
web_server_url(const struct web_server *ws, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s", i < ws->ndaemons ? ws->daemons[i].url : "");
}

int
web_server_start_containment(struct web_server *ws, char *err, size_t errlen)
{
	if (ws == NULL || ws->ndaemons == 0 || ws->contain != NULL)
		return 0;
	if ((ws->contain = web_contain_start(ws->cfg->respond, ws->db_path,
	    err, errlen)) == NULL)
		return MAMORI_ESYS;
	return 0;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512], safe[4 * sizeof(msg) + 1];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* It may quote what a client sent; and most of what it says is
	 * about clients going away. */
	logsearch_vis(safe, (const uint8_t *)msg, n);
	log_info("console: %s", safe);
}

static int
start_daemon(struct web_daemon *wd, char *err, size_t errlen)
{
	const struct web_conf *wc = wd->ws->conf;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned timeout = (unsigned)(wc->timeout_ns / NS_PER_SEC);

	if (wd->tls)
		flags |= MHD_USE_TLS;
	if (wd->tls)
		wd->d = MHD_start_daemon(flags, 0, NULL, NULL, web_access, wd,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, wd,
		    MHD_OPTION_LISTEN_SOCKET, wd->fd,
		    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)wc->threads,
		    MHD_OPTION_CONNECTION_LIMIT, wc->max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, wc->max_per_address,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_NOTIFY_COMPLETED, web_completed, wd,
		    MHD_OPTION_UNESCAPE_CALLBACK, web_unescape_none, wd,
		    MHD_OPTION_HTTPS_MEM_KEY, wd->key,
		    MHD_OPTION_HTTPS_MEM_CERT, wd->cert,
		    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
		    MHD_OPTION_END);
	else
		wd->d = MHD_start_daemon(flags, 0, NULL, NULL, web_access, wd,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, wd,
		    MHD_OPTION_LISTEN_SOCKET, wd->fd,
		    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)wc->threads,
		    MHD_OPTION_CONNECTION_LIMIT, wc->max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, wc->max_per_address,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_NOTIFY_COMPLETED, web_completed, wd,
		    MHD_OPTION_UNESCAPE_CALLBACK, web_unescape_none, wd,
		    MHD_OPTION_END);
	if (wd->d == NULL) {
		snprintf(err, errlen, "%s: cannot start the web server%s",
		    wd->lc->url, wd->tls ? " (is the certificate or key "
		    "malformed?)" : "");
		return MAMORI_ESYS;
	}
	wd->fd = -1;		/* the daemon owns it now */
	return 0;
}

/* The first start: an admin with a password printed once. */
static void
bootstrap(struct web_server *ws)
{
	char pw[WEB_SECRET_LEN + 1];
	struct db *db;
	int r;

	if ((db = web_db_get(ws)) == NULL)
		return;
	r = web_user_bootstrap(db_sqlite(db), pw);
	web_db_put(ws, db);
	if (r == 1) {
		log_warn("console: first start: created user 'admin' with "
		    "password %s (shown this once; change it with 'mamori "
		    "user passwd admin' or in the console)", pw);
		sodium_memzero(pw, sizeof(pw));
	} else if (r < 0)
		log_err("console: cannot check for users: %s",
		    mamori_strerror(r));
}

int
web_server_start(struct web_server *ws, char *err, size_t errlen)
{
	size_t i;
	int r;

	if (ws == NULL || ws->ndaemons == 0)
		return 0;
	bootstrap(ws);
	if (web_hub_new(ws) != 0) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	if ((r = pthread_create(&ws->pub, NULL, web_publisher, ws)) != 0) {
		snprintf(err, errlen, "cannot start a thread: %s",
		    strerror(r));
		return MAMORI_ESYS;
	}
	ws->pub_running = 1;
	ws->started = 1;
	for (i = 0; i < ws->ndaemons; i++)
		if ((r = start_daemon(&ws->daemons[i], err, errlen)) != 0)
			return r;
	return 0;
}

void
web_server_kick(struct web_server *ws)
{
	if (ws == NULL || !ws->pub_running)
		return;
	pthread_mutex_lock(&ws->mu);
	ws->kicked = 1;
	pthread_cond_signal(&ws->cv);
	pthread_mutex_unlock(&ws->mu);
}

void
web_server_stop(struct web_server *ws)
{
	size_t i;
	MHD_socket fd;

	if (ws == NULL || !ws->started)
		return;
	ws->started = 0;
	atomic_store(&ws->closing, 1);
	/* No new connections; the open ones finish what they do. */
	for (i = 0; i < ws->ndaemons; i++)
		if (ws->daemons[i].d != NULL &&
		    (fd = MHD_quiesce_daemon(ws->daemons[i].d)) !=
		    MHD_INVALID_SOCKET)
			close(fd);
	/* Streams are woken and end: libmicrohttpd must not be stopped
	 * with a connection suspended. */
	web_hub_close(ws);
	pthread_mutex_lock(&ws->mu);
	ws->stopping = 1;
	pthread_cond_signal(&ws->cv);
	pthread_mutex_unlock(&ws->mu);
	if (ws->pub_running)
		pthread_join(ws->pub, NULL);
	ws->pub_running = 0;
	for (i = 0; i < ws->ndaemons; i++) {
		if (ws->daemons[i].d != NULL)
			MHD_stop_daemon(ws->daemons[i].d);
		ws->daemons[i].d = NULL;
	}
	web_contain_stop(ws->contain);
	ws->contain = NULL;
}

void
web_server_free(struct web_server *ws)
{
	size_t i;

	if (ws == NULL)
		return;
	web_server_stop(ws);
	web_contain_stop(ws->contain);
	for (i = 0; i < ws->ndaemons; i++) {
		struct web_daemon *wd = &ws->daemons[i];

		if (wd->fd >= 0)
			close(wd->fd);
		if (wd->key != NULL)
			sodium_memzero(wd->key, strlen(wd->key));
		free(wd->key);
		free(wd->cert);
	}
	free(ws->daemons);
	web_hub_free(ws);
	for (i = 0; i < ws->pool.nfree; i++)
		db_close(ws->pool.free[i]);
	free(ws->pool.free);
	pthread_mutex_destroy(&ws->mu);
	pthread_cond_destroy(&ws->cv);
	pthread_mutex_destroy(&ws->hash_mu);
	pthread_cond_destroy(&ws->hash_cv);
	pthread_mutex_destroy(&ws->pool.mu);
	pthread_mutex_destroy(&ws->rate.mu);
	pthread_mutex_destroy(&ws->rules_mu);
	json_decref(ws->rules_cache);
	free(ws->db_path);
	free(ws);
}
