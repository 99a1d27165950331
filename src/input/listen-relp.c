/*
 * listen-relp.c - RELP, the Reliable Event Logging Protocol (rsyslog's
 * successor to RFC 3195), served by librelp.
 *
 * librelp calls us once per "syslog" command and sends the "200 OK"
 * acknowledgement when we return.  We return only after the writer has
 * made the message durable (struct event_ack), so an acknowledged message
 * survives kill -9 and power loss.  librelp runs every RELP session on one
 * thread and calls back synchronously, so RELP throughput is bounded by
 * the writer's group-commit latency; see docs/performance.md.
 */
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librelp.h>

#include "core/ack.h"
#include "core/error.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "input/listen-impl.h"
#include "input/syslog.h"

#define RELP_MAX	32

struct relp_srv_ctx {
	struct relp_listeners	*owner;
	uint16_t		 index;
	struct listener_stats	*st;
	const char		*url;
	const char		*host;
	const char		*port;
};

struct relp_listeners {
	relpEngine_t		*engine;
	size_t			 max_message;
	struct listener_sink	 sink;
	pthread_t		 thread;
	int			 running;
	struct relp_srv_ctx	 srv[RELP_MAX];
	size_t			 nsrv;
	struct event_ack	 ack;
	struct event_slab	 slab;		/* the engine thread's events */
};

static relpRetVal
on_syslog(void *usr, unsigned char *hostname, unsigned char *ip,
    unsigned char *msg, size_t len)
{
	struct relp_srv_ctx *s = usr;
	struct relp_listeners *r = s->owner;
	struct event *ev;
	int rc;

	ev = listen_make_event(&r->slab, s->st, NULL, msg, len, r->max_message, 0,
	    ip != NULL ? (const char *)ip : "", s->index, time_now_ns(), NULL);
	if (ev == NULL) {
		/* Not acknowledged: the sender will retry. */
		atomic_fetch_add(&s->st->errors, 1);
		return RELP_RET_ERR_INTERNAL;
	}
	ev->ack = &r->ack;
	event_ack_add(&r->ack);
	if ((rc = r->sink.submit(r->sink.arg, ev, QUEUE_WAIT)) != 0) {
		event_ack_done(&r->ack, rc);
		event_ack_wait(&r->ack);
		event_free(ev);
		return RELP_RET_ERR_INTERNAL;
	}
	if ((rc = event_ack_wait(&r->ack)) != 0) {
		atomic_fetch_add(&s->st->errors, 1);
		log_err("%s: message from %s not stored (%s); not "
		    "acknowledged", s->url, ip != NULL ? (const char *)ip :
		    "?", mamori_strerror(rc));
		return RELP_RET_ERR_INTERNAL;
	}
	return RELP_RET_OK;
}

static void
on_err(void *usr, char *objinfo, char *errmsg, relpRetVal err)
{
	log_warn("relp: %s: %s (%d)", objinfo ? objinfo : "",
	    errmsg ? errmsg : "", (int)err);
}

/* librelp calls its debug hook unconditionally; it is quiet unless
 * MAMORI_RELP_DEBUG is set in the environment. */
static void
on_dbg(char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = getenv("MAMORI_RELP_DEBUG") != NULL;
	if (!on)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void
on_auth_err(void *usr, char *authinfo, char *errmsg, relpRetVal err)
{
	struct relp_srv_ctx *s = usr;

	if (s != NULL)
		atomic_fetch_add(&s->st->errors, 1);
	log_warn("relp: authentication failed for %s: %s",
	    authinfo ? authinfo : "?", errmsg ? errmsg : "");
}

static void
on_generic_err(char *objinfo, char *errmsg, relpRetVal err)
{
	log_warn("relp: %s: %s (%d)", objinfo ? objinfo : "",
	    errmsg ? errmsg : "", (int)err);
}

struct relp_listeners *
relp_listeners_new(size_t max_message, const struct listener_sink *sink)
{
	struct relp_listeners *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->max_message = max_message;
	r->sink = *sink;
	event_ack_init(&r->ack);
	if (relpEngineConstruct(&r->engine) != RELP_RET_OK) {
		event_ack_release(&r->ack);
		free(r);
		return NULL;
	}
	relpEngineSetDbgprint(r->engine, on_dbg);
	relpEngineSetDnsLookupMode(r->engine, 0);
	relpEngineSetEnableCmd(r->engine, (unsigned char *)"syslog",
	    eRelpCmdState_Required);
	relpEngineSetSyslogRcv2(r->engine, on_syslog);
	relpEngineSetOnErr(r->engine, on_err);
	relpEngineSetOnAuthErr(r->engine, on_auth_err);
	relpEngineSetOnGenericErr(r->engine, on_generic_err);
	return r;
}

int
relp_listeners_add(struct relp_listeners *r, const struct listener_conf *c,
    uint16_t index, struct listener_stats *st, char *err, size_t errlen)
{
	relpSrv_t *srv;
	struct relp_srv_ctx *s;
	relpRetVal rr;

	if (r->nsrv >= RELP_MAX) {
		snprintf(err, errlen, "%s: at most %d RELP listeners",
		    c->url, RELP_MAX);
		return MAMORI_EINVAL;
	}
	s = &r->srv[r->nsrv];
	s->owner = r;
	s->index = index;
	s->st = st;
	s->url = c->url;
	s->host = c->host;
	s->port = c->port;
	if (relpEngineListnerConstruct(r->engine, &srv) != RELP_RET_OK) {
		snprintf(err, errlen, "%s: cannot create RELP listener",
		    c->url);
		return MAMORI_ESYS;
	}
	relpSrvSetLstnPort(srv, (unsigned char *)c->port);
	if (strcmp(c->host, "*") != 0 && strcmp(c->host, "0.0.0.0") != 0 &&
	    strcmp(c->host, "::") != 0)
		relpSrvSetLstnAddr(srv, (unsigned char *)c->host);
	relpSrvSetUsrPtr(srv, s);
	/* One byte over the limit tells us a frame was cut. */
	relpSrvSetMaxDataSize(srv, r->max_message + 1);
	relpSrvSetOversizeMode(srv, RELP_OVERSIZE_TRUNCATE);
	if (c->relp_tls) {
		if (relpSrvEnableTLS2(srv) != RELP_RET_OK ||
		    (c->tls.ca && relpSrvSetCACert(srv, c->tls.ca) !=
		    RELP_RET_OK) ||
		    (c->tls.cert && relpSrvSetOwnCert(srv, c->tls.cert) !=
		    RELP_RET_OK) ||
		    (c->tls.key && relpSrvSetPrivKey(srv, c->tls.key) !=
		    RELP_RET_OK) ||
		    relpSrvSetAuthMode(srv, c->tls.verify_client ==
		    TLS_VERIFY_NONE ? (char *)"anon" :
		    (char *)"certvalid") != RELP_RET_OK) {
			snprintf(err, errlen, "%s: cannot set up RELP over "
			    "TLS", c->url);
			return MAMORI_ETLS;
		}
	}
	if ((rr = relpEngineListnerConstructFinalize(r->engine, srv)) !=
	    RELP_RET_OK) {
		snprintf(err, errlen, "%s: cannot listen (librelp error %d%s)",
		    c->url, (int)rr, rr == RELP_RET_COULD_NOT_BIND ?
		    ": address in use or not permitted" : "");
		return MAMORI_ESYS;
	}
	r->nsrv++;
	return 0;
}

static void *
relp_thread(void *arg)
{
	struct relp_listeners *r = arg;

	(void)pthread_setname_np(pthread_self(), "mamori-relp");
	relpEngineRun(r->engine);
	event_slab_release(&r->slab);
	return NULL;
}

int
relp_listeners_start(struct relp_listeners *r)
{
	if (r->nsrv == 0)
		return 0;
	if (pthread_create(&r->thread, NULL, relp_thread, r) != 0)
		return MAMORI_ESYS;
	r->running = 1;
	return 0;
}

/*
 * librelp's loop waits in epoll_wait() without a timeout and looks at its
 * stop flag only when woken; a connection to one of its own ports wakes
 * it.
 */
static void
wake_engine(struct relp_listeners *r)
{
	struct addrinfo hints, *res, *ai;
	const char *host;
	int fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	host = r->srv[0].host;
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	if (getaddrinfo(host, r->srv[0].port, &hints, &res) != 0)
		return;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			close(fd);
			break;
		}
		close(fd);
	}
	freeaddrinfo(res);
}

void
relp_listeners_stop(struct relp_listeners *r)
{
	if (!r->running)
		return;
	relpEngineSetStop(r->engine);
	wake_engine(r);
	pthread_join(r->thread, NULL);
	r->running = 0;
}

void
relp_listeners_free(struct relp_listeners *r)
{
	if (r == NULL)
		return;
	relp_listeners_stop(r);
	relpEngineDestruct(&r->engine);
	event_ack_release(&r->ack);
	free(r);
}
