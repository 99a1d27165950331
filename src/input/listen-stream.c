/*
 * listen-stream.c - syslog over TCP (RFC 6587) and TLS (RFC 5425).
 *
 * One thread per listener multiplexes its connections with epoll.  Each
 * connection has an RFC 6587 framer that tells octet-counted from
 * LF-terminated messages per message.  Submitting to the pipeline blocks
 * when it is full, which stops this thread reading every socket: TCP's own
 * flow control then makes the senders wait (backpressure, nothing lost).
 *
 * TLS runs in the same loop on non-blocking sockets; the handshake and
 * reads follow OpenSSL's WANT_READ/WANT_WRITE protocol.  Client
 * certificates are asked for and checked against tls.ca when
 * verify_client says so (RFC 5425 section 5.2 leaves the policy to the
 * operator).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/error.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "input/listen-impl.h"
#include "input/syslog.h"

#define STREAM_READSZ		65536
#define STREAM_MAX_CONNS	4096
#define STREAM_READS_PER_WAKE	16	/* fairness between connections */
/* A TLS client that has not finished its handshake by then is closed, so
 * idle half-open connections cannot use up STREAM_MAX_CONNS. */
#define STREAM_HANDSHAKE_NS	(30 * NS_PER_SEC)

struct stream_conn {
	struct stream_conn	*prev, *next;
	int			 fd;
	SSL			*ssl;
	int			 handshaking;
	int			 want_out;	/* EPOLLOUT is on */
	int64_t			 accepted_ns;	/* monotonic */
	struct syslog_framer	*fr;
	char			 peer[EVENT_SRC_MAX];
	char			 subject[256];	/* client certificate, or "" */
};

/* Tags for epoll's data pointer that are not connections. */
static char tag_listen, tag_wake;

static void
ssl_errors(char *buf, size_t len)
{
	unsigned long e;
	size_t used = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0 && used + 2 < len) {
		char one[256];

		ERR_error_string_n(e, one, sizeof(one));
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used ? "; " : "", one);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "unknown TLS error");
}

static int
setup_tls(struct listener *l, char *err, size_t errlen)
{
	const struct tls_conf *t = &l->conf.tls;
	char why[512];
	SSL_CTX *ctx;
	int mode;

	if (t->cert == NULL || t->key == NULL) {
		snprintf(err, errlen, "%s: a TLS listener needs tls.cert and "
		    "tls.key", l->conf.url);
		return -1;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_errors(why, sizeof(why));
		snprintf(err, errlen, "%s: %s", l->conf.url, why);
		return -1;
	}
	/* RFC 9662 updates RFC 5425: TLS 1.2 at least. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
		ssl_errors(why, sizeof(why));
		snprintf(err, errlen, "%s: tls.cert %s: %s", l->conf.url,
		    t->cert, why);
		SSL_CTX_free(ctx);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_errors(why, sizeof(why));
		snprintf(err, errlen, "%s: tls.key %s: %s", l->conf.url,
		    t->key, why);
		SSL_CTX_free(ctx);
		return -1;
	}
	if (t->ca != NULL && SSL_CTX_load_verify_locations(ctx, t->ca,
	    NULL) != 1) {
		ssl_errors(why, sizeof(why));
		snprintf(err, errlen, "%s: tls.ca %s: %s", l->conf.url, t->ca,
		    why);
		SSL_CTX_free(ctx);
		return -1;
	}
	switch (t->verify_client) {
	case TLS_VERIFY_REQUIRED:
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		break;
	case TLS_VERIFY_OPTIONAL:
		mode = SSL_VERIFY_PEER;
		break;
	default:
		mode = SSL_VERIFY_NONE;
		break;
	}
	SSL_CTX_set_verify(ctx, mode, NULL);
	l->ssl_ctx = ctx;
	return 0;
}

int
listen_stream_setup(struct listener *l, char *err, size_t errlen)
{
	struct epoll_event ee;

	if (l->conf.proto == LISTEN_TLS && setup_tls(l, err, errlen) != 0)
		return -1;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.ptr = &tag_listen;
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->fd, &ee);
	ee.data.ptr = &tag_wake;
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ee);
	return 0;
}

struct deliver_ctx {
	struct listener		*l;
	struct stream_conn	*c;
};

static int
deliver(void *arg, const uint8_t *msg, size_t len, int truncated)
{
	struct deliver_ctx *d = arg;
	struct listener *l = d->l;
	struct event *ev;

	ev = listen_make_event(&l->slab, &l->st, &l->pend, msg, len,
	    l->max_message, truncated, d->c->peer, l->index, l->now_ns,
	    d->c->subject[0] != '\0' ? d->c->subject : NULL);
	if (ev == NULL) {
		atomic_fetch_add(&l->st.dropped, 1);
		log_err("%s: out of memory; message from %s lost",
		    l->conf.url, d->c->peer);
		return 0;
	}
	l->batch[l->nbatch++] = ev;
	if (l->nbatch == LISTEN_BATCH)
		listen_flush(l);
	return 0;
}

static void
conn_close(struct listener *l, struct stream_conn *c, const char *why)
{
	struct deliver_ctx d = { l, c };

	/* A message without its final LF is still a message. */
	l->now_ns = time_now_ns();
	syslog_framer_finish(c->fr, deliver, &d);
	listen_flush(l);
	if (why != NULL)
		log_info("%s: connection from %s closed: %s", l->conf.url,
		    c->peer, why);
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl != NULL) {
		if (!c->handshaking)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	syslog_framer_free(c->fr);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->nconns--;
	atomic_fetch_sub(&l->st.active, 1);
	free(c);
}

static void
do_accept(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct stream_conn *c;
	struct epoll_event ee;
	int fd;

	for (;;) {
		sslen = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED) {
				atomic_fetch_add(&l->st.errors, 1);
				log_warn("%s: accept: %s", l->conf.url,
				    strerror(errno));
			}
			return;
		}
		if (l->nconns >= STREAM_MAX_CONNS ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			int64_t now = time_mono_ns();

			atomic_fetch_add(&l->st.errors, 1);
			l->refused++;
			/* At most once a minute: a flood must not flood the
			 * server's own log too. */
			if (l->refused_logged_ns == 0 ||
			    now - l->refused_logged_ns > 60 * NS_PER_SEC) {
				log_warn("%s: %s; %llu connections refused so "
				    "far", l->conf.url,
				    l->nconns >= STREAM_MAX_CONNS ?
				    "too many connections" : "out of memory",
				    (unsigned long long)l->refused);
				l->refused_logged_ns = now;
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->accepted_ns = time_mono_ns();
		listener_format_addr((struct sockaddr *)&ss, 0, c->peer,
		    sizeof(c->peer));
		if ((c->fr = syslog_framer_new(l->max_message)) == NULL)
			goto fail;
		if (l->ssl_ctx != NULL) {
			if ((c->ssl = SSL_new(l->ssl_ctx)) == NULL)
				goto fail;
			SSL_set_fd(c->ssl, fd);
			SSL_set_accept_state(c->ssl);
			c->handshaking = 1;
		}
		memset(&ee, 0, sizeof(ee));
		ee.events = EPOLLIN | EPOLLRDHUP;
		ee.data.ptr = c;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ee) != 0)
			goto fail;
		c->next = l->conns;
		if (l->conns != NULL)
			l->conns->prev = c;
		l->conns = c;
		l->nconns++;
		atomic_fetch_add(&l->st.connections, 1);
		atomic_fetch_add(&l->st.active, 1);
		continue;
 fail:
		atomic_fetch_add(&l->st.errors, 1);
		if (c->ssl != NULL)
			SSL_free(c->ssl);
		syslog_framer_free(c->fr);
		close(fd);
		free(c);
	}
}

static void
want_write(struct listener *l, struct stream_conn *c, int on)
{
	struct epoll_event ee;

	if (c->want_out == on)
		return;
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0);
	ee.data.ptr = c;
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &ee);
	c->want_out = on;
}

/* Returns 0 to keep the connection, -1 after closing it. */
static int
tls_handshake(struct listener *l, struct stream_conn *c)
{
	char why[512];
	int r, e;

	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		X509 *peer;

		c->handshaking = 0;
		want_write(l, c, 0);
		if ((peer = SSL_get1_peer_certificate(c->ssl)) != NULL) {
			char subj[256];

			X509_NAME_oneline(X509_get_subject_name(peer), subj,
			    sizeof(subj));
			log_info("%s: TLS client %s: certificate %s",
			    l->conf.url, c->peer, subj);
			/* Only a verified certificate names its sender. */
			if (SSL_get_verify_result(c->ssl) == X509_V_OK)
				snprintf(c->subject, sizeof(c->subject), "%s",
				    subj);
			X509_free(peer);
		}
		return 0;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		want_write(l, c, 0);
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		want_write(l, c, 1);
		return 0;
	}
	ssl_errors(why, sizeof(why));
	if (SSL_get_verify_result(c->ssl) != X509_V_OK)
		snprintf(why, sizeof(why), "client certificate rejected: %s",
		    X509_verify_cert_error_string(
		    SSL_get_verify_result(c->ssl)));
	atomic_fetch_add(&l->st.errors, 1);
	log_warn("%s: TLS handshake with %s failed: %s", l->conf.url,
	    c->peer, why);
	conn_close(l, c, NULL);
	return -1;
}

static void
conn_read(struct listener *l, struct stream_conn *c, uint8_t *buf)
{
	struct deliver_ctx d = { l, c };
	ssize_t n;
	int i, e;

	if (c->handshaking && tls_handshake(l, c) != 0)
		return;
	if (c->handshaking)
		return;
	for (i = 0; i < STREAM_READS_PER_WAKE; i++) {
		if (c->ssl != NULL) {
			n = SSL_read(c->ssl, buf, STREAM_READSZ);
			if (n <= 0) {
				e = SSL_get_error(c->ssl, (int)n);
				if (e == SSL_ERROR_WANT_READ) {
					/* A socket left writable in the
					 * interest set would spin epoll. */
					want_write(l, c, 0);
					return;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					want_write(l, c, 1);
					return;
				}
				if (e != SSL_ERROR_ZERO_RETURN)
					atomic_fetch_add(&l->st.errors, 1);
				ERR_clear_error();
				conn_close(l, c, NULL);
				return;
			}
			want_write(l, c, 0);
		} else {
			n = read(c->fd, buf, STREAM_READSZ);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n <= 0) {
				if (n < 0)
					atomic_fetch_add(&l->st.errors, 1);
				conn_close(l, c, NULL);
				return;
			}
		}
		/* One clock read per read(): the messages in it arrived
		 * together. */
		l->now_ns = time_now_ns();
		syslog_framer_feed(c->fr, buf, (size_t)n, deliver, &d);
		listen_flush(l);
	}
}

/* Closes TLS connections still handshaking after STREAM_HANDSHAKE_NS. */
static void
sweep_handshakes(struct listener *l)
{
	struct stream_conn *c, *next;
	int64_t now = time_mono_ns();

	for (c = l->conns; c != NULL; c = next) {
		next = c->next;
		if (c->handshaking &&
		    now - c->accepted_ns > STREAM_HANDSHAKE_NS) {
			atomic_fetch_add(&l->st.errors, 1);
			conn_close(l, c, "TLS handshake not finished in 30 s");
		}
	}
}

void *
listen_stream_thread(void *arg)
{
	struct listener *l = arg;
	struct epoll_event evs[64];
	uint8_t *buf;
	int n, i;

	(void)pthread_setname_np(pthread_self(),
	    l->conf.proto == LISTEN_TLS ? "mamori-tls" : "mamori-tcp");
	if ((buf = malloc(STREAM_READSZ)) == NULL) {
		log_err("%s: out of memory", l->conf.url);
		return NULL;
	}
	while (!atomic_load(&l->stopping)) {
		n = epoll_wait(l->epfd, evs, 64,
		    l->ssl_ctx != NULL ? 5000 : -1);
		if (l->ssl_ctx != NULL)
			sweep_handshakes(l);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: epoll_wait: %s", l->conf.url,
			    strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &tag_wake)
				break;
			if (p == &tag_listen)
				do_accept(l);
			else
				conn_read(l, p, buf);
		}
	}
	/* Stopping: take what the kernel already holds for each connection
	 * (the senders wrote it before we stopped), then close. */
	while (l->conns != NULL) {
		struct stream_conn *c = l->conns;
		int k;

		for (k = 0; k < 1024 && l->conns == c && !c->handshaking; k++) {
			ssize_t before = (ssize_t)atomic_load(&l->st.bytes);

			conn_read(l, c, buf);
			if (l->conns == c &&
			    (ssize_t)atomic_load(&l->st.bytes) == before)
				break;
		}
		if (l->conns == c)
			conn_close(l, c, NULL);
	}
	free(buf);
	event_slab_release(&l->slab);
	return NULL;
}

void
listen_stream_cleanup(struct listener *l)
{
	while (l->conns != NULL)
		conn_close(l, l->conns, NULL);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	SSL_CTX_free(l->ssl_ctx);
	l->ssl_ctx = NULL;
}
