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

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "input/listen-impl.h"

#define UDP_BATCH	64
#define UDP_BUFSZ	65536	/* the largest UDP payload fits */

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL	40
#endif

struct udp_batch {
	struct mmsghdr		msgs[UDP_BATCH];
	struct iovec		iov[UDP_BATCH];
	struct sockaddr_storage	addrs[UDP_BATCH];
	char			ctrl[UDP_BATCH][CMSG_SPACE(sizeof(uint32_t))];
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
		b->msgs[i].msg_hdr.msg_control = b->ctrl[i];
		b->msgs[i].msg_hdr.msg_controllen = sizeof(b->ctrl[i]);
	}
}

/* The kernel's running count of datagrams dropped on this socket. */
static int
kernel_drops(struct msghdr *mh, uint32_t *drops)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL) {
			memcpy(drops, CMSG_DATA(cm), sizeof(*drops));
			return 1;
		}
	}
	return 0;
}

void *
listen_udp_thread(void *arg)
{
	struct listener *l = arg;
	struct udp_batch *b;
	struct pollfd pfd[2];
	uint32_t last_kdrops = 0, kdrops;
	int one = 1, bufsz = 8 << 20, n, i;
	char src[EVENT_SRC_MAX];

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->bufs = malloc((size_t)UDP_BATCH * UDP_BUFSZ)) == NULL) {
		log_err("%s: out of memory", l->conf.url);
		if (b != NULL)
			free(b);
		return NULL;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(l->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	pfd[0].fd = l->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = l->wakefd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&l->stopping)) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("%s: poll: %s", l->conf.url, strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		batch_reset(b);
		n = recvmmsg(l->fd, b->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				atomic_fetch_add(&l->st.errors, 1);
			continue;
		}
		for (i = 0; i < n; i++) {
			struct msghdr *mh = &b->msgs[i].msg_hdr;
			int64_t now = time_now_ns();
			struct event *ev;

			if (kernel_drops(mh, &kdrops) && kdrops != last_kdrops) {
				atomic_fetch_add(&l->st.dropped,
				    (uint32_t)(kdrops - last_kdrops));
				last_kdrops = kdrops;
			}
			listener_format_addr((struct sockaddr *)&b->addrs[i],
			    0, src, sizeof(src));
			ev = listen_make_event(&l->st, b->bufs +
			    (size_t)i * UDP_BUFSZ, b->msgs[i].msg_len,
			    l->max_message, (mh->msg_flags & MSG_TRUNC) != 0,
			    src, l->index, now);
			if (ev == NULL) {
				atomic_fetch_add(&l->st.dropped, 1);
				continue;
			}
			if (l->sink.submit(l->sink.arg, ev, 0) != 0) {
				atomic_fetch_add(&l->st.dropped, 1);
				event_free(ev);
			}
		}
	}
	free(b->bufs);
	free(b);
	return NULL;
}
