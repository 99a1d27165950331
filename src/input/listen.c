/*
 * listen.c - listener life cycle and what UDP, TCP and TLS listeners
 * share: binding, sender addresses, making raw events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/error.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "input/listen-impl.h"
#include "input/syslog.h"

void
listener_format_addr(const struct sockaddr *sa, int no_port, char *buf,
    size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		if (no_port)
			snprintf(buf, len, "%s", ip);
		else
			snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		/* An IPv4 client on a dual-stack socket reads as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    strncmp(ip, "::ffff:", 7) == 0)
			memmove(ip, ip + 7, strlen(ip + 7) + 1);
		if (no_port)
			snprintf(buf, len, "%s", ip);
		else if (strchr(ip, ':') != NULL)
			snprintf(buf, len, "[%s]:%u", ip,
			    ntohs(s6->sin6_port));
		else
			snprintf(buf, len, "%s:%u", ip,
			    ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "local");
	}
}

int
listen_bind(const struct listener_conf *c, int type, char *bound,
    size_t boundlen, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd = -1, rc, one = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = type;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(c->host, c->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: cannot resolve '%s': %s", c->url,
		    c->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6) {
			int zero = 0;

			/* "::" takes IPv4 too, as people expect. */
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			    sizeof(zero));
		}
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (type != SOCK_STREAM || listen(fd, 512) == 0))
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot listen: %s%s", c->url,
		    strerror(saved), saved == EACCES ?
		    " (ports below 1024 need root)" : "");
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		listener_format_addr((struct sockaddr *)&ss, 0, bound,
		    boundlen);
	return fd;
}

struct event *
listen_make_event(struct event_slab *slab, struct listener_stats *st,
    struct listen_pend *pend, const uint8_t *p, size_t len,
    size_t max, int truncated, const char *src, uint16_t index,
    int64_t recv_ns, const char *peer_subject)
{
	struct event *ev;
	size_t plen = peer_subject != NULL ? strlen(peer_subject) : 0;

	if (len > max) {
		len = max;
		truncated = 1;
	}
	if ((ev = event_slab_new(slab, p, len, SYSLOG_PARSE_EXTRA +
	    plen)) == NULL)
		return NULL;
	/* The certificate's subject rides in the data area, before the
	 * parser's fields (the parser only appends). */
	if (plen > 0 && event_add_string(ev, &ev->peer, peer_subject,
	    plen) != 0) {
		event_free(ev);
		return NULL;
	}
	ev->recv_ns = recv_ns;
	ev->listener = index;
	/* Not snprintf(): this runs once per message. */
	{
		size_t n = strnlen(src, sizeof(ev->src) - 1);

		memcpy(ev->src, src, n);
		ev->src[n] = '\0';
	}
	if (truncated)
		ev->flags |= EVENT_F_TRUNCATED;
	if (pend != NULL) {
		pend->received++;
		pend->bytes += len;
		pend->truncated += truncated != 0;
		return ev;
	}
	if (truncated)
		atomic_fetch_add(&st->truncated, 1);
	atomic_fetch_add(&st->received, 1);
	atomic_fetch_add(&st->bytes, len);
	return ev;
}

void
listen_publish(struct listener *l)
{
	if (l->pend.received == 0)
		return;
	atomic_fetch_add(&l->st.received, l->pend.received);
	atomic_fetch_add(&l->st.bytes, l->pend.bytes);
	if (l->pend.truncated > 0)
		atomic_fetch_add(&l->st.truncated, l->pend.truncated);
	memset(&l->pend, 0, sizeof(l->pend));
}

void
listen_flush(struct listener *l)
{
	size_t i;

	/* Counted received before anything can be counted stored. */
	listen_publish(l);
	if (l->nbatch == 0)
		return;
	l->sink.submit_many(l->sink.arg, l->batch, l->nbatch, QUEUE_WAIT);
	for (i = 0; i < l->nbatch; i++) {
		if (l->batch[i] != NULL) {
			/* Only when shutting down; never hide a loss. */
			atomic_fetch_add(&l->st.dropped, 1);
			event_free(l->batch[i]);
		}
	}
	l->nbatch = 0;
}

struct listener *
listener_new(const struct listener_conf *c, uint16_t index,
    size_t max_message, const struct listener_sink *sink, char *err,
    size_t errlen)
{
	struct listener *l;
	int type;

	if (c->proto != LISTEN_UDP && c->proto != LISTEN_TCP &&
	    c->proto != LISTEN_TLS) {
		snprintf(err, errlen, "%s: not a UDP, TCP or TLS listener",
		    c->url);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->conf = *c;
	l->index = index;
	l->max_message = max_message;
	l->sink = *sink;
	l->fd = l->epfd = -1;
	if ((l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		free(l);
		return NULL;
	}
	type = c->proto == LISTEN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	l->fd = listen_bind(c, type, l->bound, sizeof(l->bound), err, errlen);
	if (l->fd < 0) {
		listener_free(l);
		return NULL;
	}
	if (type == SOCK_STREAM && listen_stream_setup(l, err, errlen) != 0) {
		listener_free(l);
		return NULL;
	}
	return l;
}

int
listener_start(struct listener *l)
{
	void *(*fn)(void *);

	fn = l->conf.proto == LISTEN_UDP ? listen_udp_thread :
	    listen_stream_thread;
	if (pthread_create(&l->thread, NULL, fn, l) != 0)
		return MAMORI_ESYS;
	l->running = 1;
	return 0;
}

void
listener_stop(struct listener *l)
{
	uint64_t one = 1;

	if (!l->running)
		return;
	atomic_store(&l->stopping, 1);
	(void)!write(l->wakefd, &one, sizeof(one));
	pthread_join(l->thread, NULL);
	l->running = 0;
}

void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	listener_stop(l);
	if (l->conf.proto != LISTEN_UDP)
		listen_stream_cleanup(l);
	if (l->fd >= 0)
		close(l->fd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	free(l);
}

struct listener_stats *
listener_get_stats(struct listener *l)
{
	return &l->st;
}

const struct listener_conf *
listener_conf(const struct listener *l)
{
	return &l->conf;
}

const char *
listener_bound(const struct listener *l)
{
	return l->bound;
}
