/*
 * agent-net.c - the agent's connection to the server: TCP, optionally
 * inside TLS (OpenSSL; TLS 1.2 at least, RFC 9662), with the server's
 * certificate checked against agent.tls.ca (or the system's CAs) and its
 * name, and the agent's client certificate presented when configured.
 *
 * Sockets are non-blocking; every wait is a poll() bounded by the
 * timeout and cut short by the stop descriptor, so a dead server never
 * holds up a shutdown.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "host/agent.h"

static void
ssl_why(char *buf, size_t len)
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
		snprintf(buf, len, "TLS error");
}

SSL_CTX *
agent_tls_ctx(const struct agent_conf *c, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char why[512];

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ssl_why(why, sizeof(why));
		mamori_seterr(err, errlen, "TLS: %s", why);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (c->tls_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL) != 1) {
			ssl_why(why, sizeof(why));
			mamori_seterr(err, errlen, "agent.tls.ca %s: %s",
			    c->tls_ca, why);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ssl_why(why, sizeof(why));
		mamori_seterr(err, errlen, "TLS: system CA certificates: %s",
		    why);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (c->tls_cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
			ssl_why(why, sizeof(why));
			mamori_seterr(err, errlen, "agent.tls.cert %s: %s",
			    c->tls_cert, why);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key,
		    SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			ssl_why(why, sizeof(why));
			mamori_seterr(err, errlen, "agent.tls.key %s: %s",
			    c->tls_key, why);
			goto fail;
		}
	}
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void
agent_conn_init(struct agent_conn *k, int stopfd)
{
	memset(k, 0, sizeof(*k));
	k->fd = -1;
	k->stopfd = stopfd;
}

/*
 * Waits until fd is ready for events, the stop fd is readable or the
 * deadline (monotonic) passes.  Returns 1 ready, 0 timed out, -1 stopped.
 */
static int
wait_fd(struct agent_conn *k, short events, int64_t deadline)
{
	struct pollfd p[2];
	int64_t left;
	int n;

	for (;;) {
		left = deadline - time_mono_ns();
		if (left <= 0)
			return 0;
		p[0].fd = k->fd;
		p[0].events = events;
		p[1].fd = k->stopfd;
		p[1].events = POLLIN;
		n = poll(p, k->stopfd >= 0 ? 2 : 1,
		    (int)((left + 999999) / 1000000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (k->stopfd >= 0 && (p[1].revents & POLLIN))
			return -1;
		if (p[0].revents != 0)
			return 1;
	}
}

/* After an SSL call returned r: waits as OpenSSL asks.  0 to retry,
 * else an error code (*why set). */
static int
ssl_wait(struct agent_conn *k, int r, int64_t deadline, const char **why)
{
	int e = SSL_get_error(k->ssl, r), w;

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		w = wait_fd(k, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
		    deadline);
		if (w > 0)
			return 0;
		*why = w == 0 ? "timed out" : "stopping";
		return w == 0 ? MAMORI_EAGAIN : MAMORI_ECLOSED;
	}
	if (e == SSL_ERROR_ZERO_RETURN) {
		*why = "closed by the server";
		return MAMORI_ECLOSED;
	}
	if (e == SSL_ERROR_SYSCALL)
		*why = errno != 0 ? strerror(errno) : "connection closed";
	else {
		ssl_why(k->why, sizeof(k->why));
		*why = k->why;
	}
	return MAMORI_EIO;
}

int
agent_conn_open(struct agent_conn *k, const char *host, const char *port,
    SSL_CTX *ctx, const char *server_name, int64_t timeout_ns, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int64_t deadline = time_mono_ns() + timeout_ns;
	const char *why = "no address";
	char whybuf[512];
	int fd = -1, r, one = 1, soerr;
	socklen_t sl;
	X509_VERIFY_PARAM *vp;

	k->timeout_ns = timeout_ns;
	snprintf(k->peer, sizeof(k->peer), "%s%s%s:%s",
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		mamori_seterr(err, errlen, "%s: %s", k->peer,
		    gai_strerror(r));
		return MAMORI_EIO;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) < 0) {
			why = strerror(errno);
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			k->fd = fd;
			r = wait_fd(k, POLLOUT, deadline);
			k->fd = -1;
			sl = sizeof(soerr);
			if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == 0 && soerr == 0)
				break;
			why = r < 0 ? "stopping" : r == 0 ? "timed out" :
			    strerror(soerr);
		} else
			why = strerror(errno);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		mamori_seterr(err, errlen, "%s: %s", k->peer, why);
		return MAMORI_EIO;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	k->fd = fd;
	if (ctx == NULL)
		return 0;
	if ((k->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(k->ssl, fd) != 1) {
		ssl_why(whybuf, sizeof(whybuf));
		mamori_seterr(err, errlen, "%s: %s", k->peer, whybuf);
		agent_conn_close(k);
		return MAMORI_ETLS;
	}
	if (server_name == NULL)
		server_name = host;
	vp = SSL_get0_param(k->ssl);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, server_name) != 1) {
		/* A name, not an address: SNI and the name check. */
		SSL_set_tlsext_host_name(k->ssl, server_name);
		if (SSL_set1_host(k->ssl, server_name) != 1) {
			mamori_seterr(err, errlen, "%s: bad server name %s",
			    k->peer, server_name);
			agent_conn_close(k);
			return MAMORI_ETLS;
		}
	}
	ERR_clear_error();
	while ((r = SSL_connect(k->ssl)) != 1) {
		int e = SSL_get_error(k->ssl, r);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			int w = wait_fd(k, e == SSL_ERROR_WANT_READ ? POLLIN :
			    POLLOUT, deadline);

			if (w > 0)
				continue;
			mamori_seterr(err, errlen, "%s: TLS handshake %s",
			    k->peer, w == 0 ? "timed out" : "stopped");
		} else if (SSL_get_verify_result(k->ssl) != X509_V_OK) {
			mamori_seterr(err, errlen, "%s: server certificate "
			    "rejected: %s", k->peer,
			    X509_verify_cert_error_string(
			    SSL_get_verify_result(k->ssl)));
		} else {
			ssl_why(whybuf, sizeof(whybuf));
			if (e == SSL_ERROR_SYSCALL && strcmp(whybuf,
			    "TLS error") == 0)
				snprintf(whybuf, sizeof(whybuf), "connection "
				    "closed during the handshake (client "
				    "certificate refused?)");
			mamori_seterr(err, errlen, "%s: TLS handshake failed: "
			    "%s", k->peer, whybuf);
		}
		ERR_clear_error();
		agent_conn_close(k);
		return MAMORI_ETLS;
	}
	return 0;
}

int
agent_conn_write(struct agent_conn *k, const void *data, size_t len,
    const char **why)
{
	const uint8_t *p = data;
	int64_t deadline = time_mono_ns() + k->timeout_ns;
	ssize_t n;
	int r, w;

	*why = NULL;
	while (len > 0) {
		if (k->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(k->ssl, p, len > 1 << 30 ? 1 << 30 :
			    (int)len);
			if (r > 0) {
				p += r;
				len -= (size_t)r;
				continue;
			}
			if ((r = ssl_wait(k, r, deadline, why)) != 0)
				return r;
			continue;
		}
		n = send(k->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			*why = strerror(errno);
			return MAMORI_EIO;
		}
		if ((w = wait_fd(k, POLLOUT, deadline)) <= 0) {
			*why = w == 0 ? "timed out" : "stopping";
			return w == 0 ? MAMORI_EAGAIN : MAMORI_ECLOSED;
		}
	}
	return 0;
}

int
agent_conn_read(struct agent_conn *k, void *buf, size_t cap, size_t *got,
    const char **why)
{
	ssize_t n;
	int r, e;

	*got = 0;
	*why = NULL;
	if (k->ssl != NULL) {
		ERR_clear_error();
		r = SSL_read(k->ssl, buf, cap > 1 << 30 ? 1 << 30 : (int)cap);
		if (r > 0) {
			*got = (size_t)r;
			return 0;
		}
		e = SSL_get_error(k->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return MAMORI_EAGAIN;
		if (e == SSL_ERROR_ZERO_RETURN) {
			*why = "closed by the server";
			return MAMORI_ECLOSED;
		}
		if (e == SSL_ERROR_SYSCALL)
			*why = r == 0 ? "connection closed without TLS "
			    "close_notify" : strerror(errno);
		else {
			ssl_why(k->why, sizeof(k->why));
			*why = k->why;
		}
		return MAMORI_EIO;
	}
	n = recv(k->fd, buf, cap, 0);
	if (n > 0) {
		*got = (size_t)n;
		return 0;
	}
	if (n == 0) {
		*why = "closed by the server";
		return MAMORI_ECLOSED;
	}
	if (errno == EAGAIN || errno == EINTR)
		return MAMORI_EAGAIN;
	*why = strerror(errno);
	return MAMORI_EIO;
}

int
agent_conn_pending(struct agent_conn *k)
{
	return k->ssl != NULL && SSL_pending(k->ssl) > 0;
}

int
agent_conn_finish(struct agent_conn *k, const char **why)
{
	int64_t deadline = time_mono_ns() + k->timeout_ns;
	char buf[4096];
	size_t got;
	int r, w;

	*why = NULL;
	if (k->ssl != NULL) {
		/* Our close_notify; then the server's, which it sends after
		 * it has read and handed on everything before ours. */
		for (;;) {
			ERR_clear_error();
			r = SSL_shutdown(k->ssl);
			if (r == 1)
				return 0;
			if (r == 0)
				break;	/* ours sent, theirs to come */
			if ((r = ssl_wait(k, r, deadline, why)) != 0)
				return r;
		}
	} else if (shutdown(k->fd, SHUT_WR) != 0) {
		*why = strerror(errno);
		return MAMORI_EIO;
	}
	for (;;) {
		r = agent_conn_read(k, buf, sizeof(buf), &got, why);
		if (r == MAMORI_ECLOSED) {
			*why = NULL;
			return 0;	/* the orderly end: everything read */
		}
		if (r == 0)
			continue;	/* the server has nothing to say */
		if (r != MAMORI_EAGAIN)
			return r;
		if ((w = wait_fd(k, POLLIN, deadline)) <= 0) {
			*why = w == 0 ? "timed out waiting for the server to "
			    "close" : "stopping";
			return w == 0 ? MAMORI_EAGAIN : MAMORI_ECLOSED;
		}
	}
}

void
agent_conn_close(struct agent_conn *k)
{
	if (k->ssl != NULL) {
		SSL_free(k->ssl);
		k->ssl = NULL;
	}
	if (k->fd >= 0) {
		close(k->fd);
		k->fd = -1;
	}
}
