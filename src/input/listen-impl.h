/*
 * listen-impl.h - what the listener files share; not for use outside
 * src/input/.
 */
#ifndef MAMORI_LISTEN_IMPL_H
#define MAMORI_LISTEN_IMPL_H

#include <pthread.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "input/listener.h"

struct stream_conn;

#define LISTEN_BATCH	256

/* What a listener thread counts between batches, added to its
 * listener_stats at each listen_flush(): an atomic add per message,
 * right after the message was copied (a locked instruction waits for
 * those stores to drain), took a fifth of the TCP thread's time. */
struct listen_pend {
	uint64_t		 received;
	uint64_t		 bytes;
	uint64_t		 truncated;
};

struct listener {
	struct listener_conf	 conf;		/* copy; strings borrowed */
	uint16_t		 index;
	size_t			 max_message;
	struct listener_sink	 sink;
	struct listener_stats	 st;
	int			 fd;		/* bound socket */
	int			 wakefd;	/* eventfd: stop request */
	int			 epfd;		/* stream listeners */
	pthread_t		 thread;
	int			 running;
	atomic_int		 stopping;
	char			 bound[80];
	SSL_CTX			*ssl_ctx;	/* tls:// */
	struct stream_conn	*conns;		/* open streams */
	size_t			 nconns;
	/* Events framed from the current read, submitted together. */
	struct listen_pend	 pend;		/* counted, not yet in st */
	struct event		*batch[LISTEN_BATCH];
	struct event_slab	 slab;		/* this thread's events */
	size_t			 nbatch;
	int64_t			 now_ns;	/* receive time of that read */
	uint64_t		 refused;	/* connections refused */
	int64_t			 refused_logged_ns;
};

/* Submits l->batch (waiting while the pipeline is full); what cannot be
 * taken (only at shutdown) is counted as dropped and freed.  Publishes
 * l->pend first (listen_publish(): into l->st, which others read). */
void listen_flush(struct listener *l);
void listen_publish(struct listener *l);

/* Binds a socket of type (SOCK_DGRAM / SOCK_STREAM) to c's host and port.
 * Returns the fd or -1 with a reason in err. */
int listen_bind(const struct listener_conf *c, int type, char *bound,
    size_t boundlen, char *err, size_t errlen);

/*
 * Makes a raw event from a received message: copies at most max bytes of
 * p[0..len) (marking it truncated and counting it when longer), sets the
 * receive time, sender and listener index.  Counts it into pend when not
 * NULL (for listen_flush() to publish), else into st.  Returns NULL when
 * out of memory.  The event comes from slab, owned by the calling thread.
 */
struct event *listen_make_event(struct event_slab *slab,
    struct listener_stats *st, struct listen_pend *pend, const uint8_t *p,
    size_t len, size_t max, int truncated, const char *src, uint16_t index,
    int64_t recv_ns, const char *peer_subject);

void *listen_udp_thread(void *arg);
void *listen_stream_thread(void *arg);
int listen_stream_setup(struct listener *l, char *err, size_t errlen);
void listen_stream_cleanup(struct listener *l);

#endif
