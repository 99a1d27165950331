/*
 * listen-udp.c - syslog over UDP (RFC 5426; RFC 3164 section 2).
 *
 * Built for bursts: recvmmsg() takes up to UDP_BATCH datagrams per system
 * call into preallocated buffers, and the socket buffer is enlarged so a
 * burst waits in the kernel rather than being lost.  UDP has no
 * backpressure, so a datagram the pipeline cannot take is dropped and
 * counted; drops in the kernel's socket buffer are counted too
 * (SO_RXQ_OVFL), so `mamori status` shows every loss.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include "core/error.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "input/listen-impl.h"

#define UDP_BATCH	64
#define UDP_BUFSZ	65536	/* the largest UDP payload fits */

#ifndef SO_MEMINFO
#define SO_MEMINFO	55
#endif

struct udp_batch {
	struct mmsghdr		msgs[UDP_BATCH];
	struct iovec		iov[UDP_BATCH];
	struct sockaddr_storage	addrs[UDP_BATCH];
	/* The last sender's address and its text: a burst usually comes
	 * from one host, so inet_ntop runs once per change of sender. */
	struct sockaddr_storage	prev;
	socklen_t		prevlen;
	char			prevsrc[EVENT_SRC_MAX];
	uint8_t			*bufs;
};

static void
batch_reset(struct udp_batch *b)
{
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		b->iov[i].iov_base = b->bufs + (size_t)i * UDP_BUFSZ;
		b->iov[i].iov_len = UDP_BUFSZ;
		memset(&b->msgs[i].msg_hdr, 0, sizeof(b->msgs[i].msg_hdr));
		b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
		b->msgs[i].msg_hdr.msg_name = &b->addrs[i];
		b->msgs[i].msg_hdr.msg_namelen = sizeof(b->addrs[i]);
	}
}

/*
 * Adds the datagrams the kernel dropped on this socket since the last
 * call (its receive buffer was full) to the listener's drop count.
 * SO_MEMINFO reads the socket's own counter at any moment, so drops after
 * the last datagram we read are counted too, unlike SO_RXQ_OVFL, which
 * only reports them with the next datagram.
 */
static void
count_kernel_drops(struct listener *l, uint32_t *last)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return;
	if (mem[SK_MEMINFO_DROPS] != *last) {
		atomic_fetch_add(&l->st.dropped,
		    (uint32_t)(mem[SK_MEMINFO_DROPS] - *last));
		*last = mem[SK_MEMINFO_DROPS];
	}
}

/*
 * Takes one batch of datagrams from the socket into the pipeline.  While
 * running there is no backpressure on UDP: what does not fit is dropped,
 * and counted.  When stopping (wait set) the pipeline is still open and
 * takes everything.  Returns the number of datagrams read, 0 when none
 * was waiting.
 */
static int
receive_batch(struct listener *l, struct udp_batch *b, int wait)
{
	struct event *evs[UDP_BATCH];
	int64_t now;
	int n, i, nev = 0;

	batch_reset(b);
	n = recvmmsg(l->fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			atomic_fetch_add(&l->st.errors, 1);
		return 0;
	}
	now = time_now_ns();
	for (i = 0; i < n; i++) {
		struct msghdr *mh = &b->msgs[i].msg_hdr;
		struct event *ev;

		if (mh->msg_namelen != b->prevlen ||
		    memcmp(&b->addrs[i], &b->prev, mh->msg_namelen) != 0) {
			listener_format_addr((struct sockaddr *)&b->addrs[i],
			    0, b->prevsrc, sizeof(b->prevsrc));
			memcpy(&b->prev, &b->addrs[i], mh->msg_namelen);
			b->prevlen = mh->msg_namelen;
		}
		ev = listen_make_event(&l->slab, &l->st, &l->pend,
		    b->bufs + (size_t)i * UDP_BUFSZ, b->msgs[i].msg_len,
		    l->max_message, (mh->msg_flags & MSG_TRUNC) != 0,
		    b->prevsrc, l->index, now, NULL);
		if (ev == NULL) {
			atomic_fetch_add(&l->st.dropped, 1);
			continue;
		}
		evs[nev++] = ev;
	}
	listen_publish(l);
	l->sink.submit_many(l->sink.arg, evs, (size_t)nev,
	    wait ? QUEUE_WAIT : QUEUE_NOWAIT);
	for (i = 0; i < nev; i++) {
		if (evs[i] != NULL) {
			atomic_fetch_add(&l->st.dropped, 1);
			event_free(evs[i]);
		}
	}
	return n;
}

void *
listen_udp_thread(void *arg)
{
	struct listener *l = arg;
	struct udp_batch *b;
	struct pollfd pfd[2];
	uint32_t last_kdrops = 0;
	int bufsz = 8 << 20;

	(void)pthread_setname_np(pthread_self(), "mamori-udp");
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->bufs = malloc((size_t)UDP_BATCH * UDP_BUFSZ)) == NULL) {
		log_err("%s: out of memory", l->conf.url);
		if (b != NULL)
			free(b);
		return NULL;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	pfd[0].fd = l->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = l->wakefd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&l->stopping)) {
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", l->conf.url, strerror(errno));
			break;
		}
		count_kernel_drops(l, &last_kdrops);
		if (pfd[1].revents & POLLIN)
			break;
		receive_batch(l, b, 0);
	}
	/* Stopping: the datagrams the kernel already holds were received
	 * before the stop; store them (bounded: at most what the socket
	 * buffer holds plus what arrives meanwhile). */
	{
		int rounds = 0;

		while (receive_batch(l, b, 1) > 0 && ++rounds < 4096)
			;
	}
	count_kernel_drops(l, &last_kdrops);
	free(b->bufs);
	free(b);
	event_slab_release(&l->slab);
	return NULL;
}
