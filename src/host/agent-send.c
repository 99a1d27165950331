/*
 * agent-send.c - the sender thread: reads the disk queue in order, sends
 * each record to the server, and releases it from the queue only once
 * the server has it.
 *
 * RELP (default; plain or in TLS): a window of agent.relp_window frames
 * in flight; each "200 OK" releases its record (the mamori server sends
 * it only after the record is fsynced in its log store).  Anything else
 * -- an error response, a timeout, a broken connection -- closes the
 * session; the next one resends from the first unacknowledged record.
 *
 * TLS (RFC 5425) and TCP (RFC 6587 octet counting) have no
 * acknowledgement.  Records written to the connection stay in the queue,
 * "unconfirmed", until the connection is ended in order: the agent sends
 * TLS close_notify (or a TCP FIN) and waits for the server's; the mamori
 * server answers only after it has read everything before it and handed
 * it to its pipeline (src/input/listen-stream.c, conn_close()).  That is
 * done after agent.confirm (10 s) of sending, after 8 MiB, after a pause
 * of a tenth of it, and at stop; then a new connection carries on.  A
 * connection that breaks before its orderly end is resent whole, so
 * lines may arrive twice.  The loss window left: records the server took
 * in but had not yet written when it crashed (its fsync batch, 50 ms by
 * default), and any server that closes in order without having read
 * everything, which a syslog server following RFC 5425 section 4.4 does
 * not.  RELP has neither hole, so it is the default.
 *
 * Reconnection backs off exponentially from agent.reconnect.min to .max
 * with jitter (half the delay random), so many agents returning after a
 * server outage do not arrive together.  Records the queue had to drop
 * are reported first on each new connection ("queue-dropped"), until one
 * report is delivered.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "host/agent.h"

#define SBUF_FLUSH	(256u << 10)
#define RBUF_CAP	(AGENT_RELP_DATA_MAX + 64)
#define CONFIRM_BYTES	(8u << 20)
#define TXNR_MAX	999999999u
#define QUIET_NS	(300 * NS_PER_SEC)	/* repeat a failure this often */

struct inflight {
	uint64_t	 txnr;
	uint64_t	 seq;		/* queue record, 0 for a report */
	uint64_t	 report;	/* drops the report covers */
	int64_t		 sent_ns;
	int		 acked;
};

struct agent_sender {
	const struct agent_conf *c;
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	agent_report_fn	 report;
	void		*report_arg;
	SSL_CTX		*ctx;
	int		 relp;
	char		 host[300], port[16];
	int		 stopfd;	/* hard stop */
	int		 notifyfd;	/* the queue has records; or wake up */
	pthread_t	 th;
	int		 started;
	atomic_int	 draining;
	atomic_llong	 drain_deadline;	/* monotonic */
	atomic_ullong	 acked_count;
	atomic_int	 connected;
	unsigned int	 rnd;

	struct agent_conn k;
	uint64_t	 next_seq;	/* next record to send */
	uint64_t	 txnr;
	struct inflight	*win;
	size_t		 whead, wcount, wcap;
	uint8_t		*sbuf;
	size_t		 slen, scap;
	uint8_t		*rbuf;
	size_t		 rlen;
	int		 report_sent;	/* this connection */
	uint64_t	 report_count;	/* in flight (stream) */
	/* stream transports */
	uint64_t	 sent_upto;
	uint64_t	 unconfirmed;	/* bytes */
	int64_t		 first_unconfirmed_ns, last_send_ns;

	int64_t		 last_cursor_ns;
	int64_t		 fail_logged_ns;
	unsigned	 failures;
	int		 ok_once;
};

static int
stop_now(struct agent_sender *s)
{
	struct pollfd p = { s->stopfd, POLLIN, 0 };

	return poll(&p, 1, 0) > 0;
}

static int
drain_over(struct agent_sender *s)
{
	return atomic_load(&s->draining) &&
	    time_mono_ns() >= atomic_load(&s->drain_deadline);
}

static uint64_t
queued(struct agent_sender *s, uint64_t *acked)
{
	struct agent_queue_cursor cur;
	uint64_t n;

	agent_queue_depth(s->q, &n, NULL, acked, NULL);
	agent_queue_pending_drops(s->q, &cur);
	return n + (cur.pending > 0);
}

/* ---- buffers ---- */

static int
sbuf_add(struct agent_sender *s, const void *p, size_t len)
{
	if (s->slen + len > s->scap) {
		size_t cap = (s->slen + len) * 2;
		uint8_t *nb = realloc(s->sbuf, cap);

		if (nb == NULL)
			return MAMORI_ENOMEM;
		s->sbuf = nb;
		s->scap = cap;
	}
	memcpy(s->sbuf + s->slen, p, len);
	s->slen += len;
	return 0;
}

static int
sbuf_flush(struct agent_sender *s)
{
	const char *why;
	int r;

	if (s->slen == 0)
		return 0;
	if ((r = agent_conn_write(&s->k, s->sbuf, s->slen, &why)) != 0) {
		log_warn("agent: sending to %s: %s", s->k.peer, why);
		return r;
	}
	s->slen = 0;
	s->last_send_ns = time_mono_ns();
	return 0;
}

static struct inflight *
win_push(struct agent_sender *s)
{
	struct inflight *f;

	if (s->wcount == s->wcap) {
		size_t cap = s->wcap ? s->wcap * 2 : 256, i;
		struct inflight *nw = malloc(cap * sizeof(*nw));

		if (nw == NULL)
			return NULL;
		for (i = 0; i < s->wcount; i++)
			nw[i] = s->win[(s->whead + i) % s->wcap];
		free(s->win);
		s->win = nw;
		s->wcap = cap;
		s->whead = 0;
	}
	f = &s->win[(s->whead + s->wcount++) % s->wcap];
	memset(f, 0, sizeof(*f));
	return f;
}

/* ---- sessions ---- */

static void
session_reset(struct agent_sender *s)
{
	uint64_t acked;

	agent_conn_close(&s->k);
	atomic_store(&s->connected, 0);
	(void)queued(s, &acked);
	s->next_seq = acked + 1;
	s->txnr = 1;
	s->whead = s->wcount = 0;
	s->slen = s->rlen = 0;
	s->report_sent = 0;
	s->report_count = 0;
	s->sent_upto = 0;
	s->unconfirmed = 0;
	s->first_unconfirmed_ns = 0;
}

static uint64_t
next_txnr(uint64_t t)
{
	return t >= TXNR_MAX ? 1 : t + 1;
}

/* Reads what the server sent into rbuf; 0, or an error. */
static int
fill_rbuf(struct agent_sender *s)
{
	const char *why;
	size_t got;
	int r;

	for (;;) {
		if (s->rlen == RBUF_CAP) {
			log_warn("agent: %s: RELP response too long",
			    s->k.peer);
			return MAMORI_EINVAL;
		}
		r = agent_conn_read(&s->k, s->rbuf + s->rlen,
		    RBUF_CAP - s->rlen, &got, &why);
		if (r == MAMORI_EAGAIN)
			return 0;
		if (r != 0) {
			log_warn("agent: %s: %s", s->k.peer, why);
			return r;
		}
		s->rlen += got;
	}
}

static int
relp_open(struct agent_sender *s)
{
	static const char offers[] = "relp_version=0\nrelp_software="
	    "mamori-agent," MAMORI_VERSION "\n"
	    "commands=syslog";
	struct agent_relp_frame f;
	char frame[256];
	int64_t deadline = time_mono_ns() + s->c->timeout_ns;
	const char *why;
	size_t used;
	int n, r;

	n = snprintf(frame, sizeof(frame), "1 open %zu %s\n",
	    sizeof(offers) - 1, offers);
	if ((r = agent_conn_write(&s->k, frame, (size_t)n, &why)) != 0) {
		log_warn("agent: %s: RELP open: %s", s->k.peer, why);
		return r;
	}
	for (;;) {
		struct pollfd p[2] = { { s->k.fd, POLLIN, 0 },
		    { s->stopfd, POLLIN, 0 } };
		int64_t left = deadline - time_mono_ns();

		if ((r = fill_rbuf(s)) != 0)
			return r;
		r = agent_relp_parse(s->rbuf, s->rlen, &f, &used);
		if (r == 0)
			break;
		if (r != MAMORI_ETRUNC) {
			log_warn("agent: %s: not a RELP server", s->k.peer);
			return MAMORI_EINVAL;
		}
		if (left <= 0) {
			log_warn("agent: %s: no answer to RELP open",
			    s->k.peer);
			return MAMORI_EAGAIN;
		}
		if (!agent_conn_pending(&s->k) &&
		    poll(p, 2, (int)(left / 1000000) + 1) > 0 &&
		    (p[1].revents & POLLIN))
			return MAMORI_ECLOSED;
	}
	if (f.txnr != 1 || strcmp(f.command, "rsp") != 0 || f.code != 200) {
		log_warn("agent: %s: RELP open refused: %.*s", s->k.peer,
		    (int)(f.datalen > 80 ? 80 : f.datalen), f.data ?
		    (const char *)f.data : "");
		return MAMORI_EINVAL;
	}
	memmove(s->rbuf, s->rbuf + used, s->rlen - used);
	s->rlen -= used;
	s->txnr = 2;
	return 0;
}

static void
log_failure(struct agent_sender *s, const char *err, int64_t delay_ns)
{
	int64_t now = time_mono_ns();
	uint64_t n = queued(s, NULL);

	s->failures++;
	if (s->failures == 1 || now - s->fail_logged_ns >= QUIET_NS) {
		log_warn("agent: cannot send to the server: %s; %llu "
		    "messages queued; retrying in %.1f s%s", err,
		    (unsigned long long)n, (double)delay_ns / 1e9,
		    s->failures > 1 ? " (said every 5 minutes)" : "");
		s->fail_logged_ns = now;
	}
}

static int
connect_server(struct agent_sender *s, char *err, size_t errlen)
{
	int r;

	session_reset(s);
	if ((r = agent_conn_open(&s->k, s->host, s->port, s->ctx,
	    s->c->tls_server_name, s->c->timeout_ns, err, errlen)) != 0)
		return r;
	if (s->relp && (r = relp_open(s)) != 0) {
		snprintf(err, errlen, "%s: RELP session not opened",
		    s->k.peer);
		agent_conn_close(&s->k);
		return r;
	}
	atomic_store(&s->connected, 1);
	if (s->failures > 0 || !s->ok_once)
		log_info("agent: connected to %s (%s); %llu messages queued",
		    s->k.peer, agent_transport_name(s->c->transport),
		    (unsigned long long)queued(s, NULL));
	s->failures = 0;
	s->ok_once = 1;
	return 0;
}

/* Puts the drop report in front, once per connection. */
static int
add_report(struct agent_sender *s, char **msg, size_t *len, uint64_t *count)
{
	struct agent_queue_cursor cur;

	*msg = NULL;
	*count = 0;
	if (s->report_sent)
		return 0;
	agent_queue_pending_drops(s->q, &cur);
	if (cur.pending == 0)
		return 0;
	s->report_sent = 1;
	if (s->report(s->report_arg, &cur, msg, len) != 0)
		return 0;	/* logged by the maker; the records go on */
	*count = cur.pending;
	return 0;
}

/* ---- RELP ---- */

static int
relp_frame(struct agent_sender *s, const uint8_t *data, size_t len,
    uint64_t seq, uint64_t report)
{
	struct inflight *f;
	char head[48];
	int n, r;

	n = snprintf(head, sizeof(head), "%" PRIu64 " syslog %zu ", s->txnr,
	    len);
	if ((f = win_push(s)) == NULL ||
	    (r = sbuf_add(s, head, (size_t)n)) != 0 ||
	    (r = sbuf_add(s, data, len)) != 0 ||
	    (r = sbuf_add(s, "\n", 1)) != 0)
		return MAMORI_ENOMEM;
	f->txnr = s->txnr;
	f->seq = seq;
	f->report = report;
	f->sent_ns = time_mono_ns();
	s->txnr = next_txnr(s->txnr);
	if (s->slen >= SBUF_FLUSH)
		return sbuf_flush(s);
	return 0;
}

/* Releases the acknowledged frames at the window's head. */
static void
relp_release(struct agent_sender *s)
{
	uint64_t last = 0, n = 0;

	while (s->wcount > 0 && s->win[s->whead].acked) {
		struct inflight *f = &s->win[s->whead];

		if (f->report > 0)
			agent_queue_drops_reported(s->q, f->report);
		else {
			last = f->seq;
			n++;
		}
		s->whead = (s->whead + 1) % s->wcap;
		s->wcount--;
	}
	if (last > 0) {
		agent_queue_ack(s->q, last);
		atomic_fetch_add(&s->acked_count, n);
	}
}

static int
relp_responses(struct agent_sender *s)
{
	struct agent_relp_frame f;
	size_t used, off = 0, i;
	int r;

	if ((r = fill_rbuf(s)) != 0)
		return r;
	while ((r = agent_relp_parse(s->rbuf + off, s->rlen - off, &f,
	    &used)) == 0) {
		off += used;
		if (strcmp(f.command, "serverclose") == 0) {
			log_info("agent: %s closes the RELP session",
			    s->k.peer);
			return MAMORI_ECLOSED;
		}
		if (strcmp(f.command, "rsp") != 0)
			continue;	/* hints we do not use */
		for (i = 0; i < s->wcount; i++)
			if (s->win[(s->whead + i) % s->wcap].txnr == f.txnr)
				break;
		if (i == s->wcount) {
			log_warn("agent: %s: RELP response to unknown "
			    "transaction %" PRIu64, s->k.peer, f.txnr);
			return MAMORI_EINVAL;
		}
		if (f.code != 200) {
			log_warn("agent: %s refused a message: %.*s; "
			    "resending after reconnecting", s->k.peer,
			    (int)(f.datalen > 80 ? 80 : f.datalen),
			    (const char *)f.data);
			return MAMORI_EIO;
		}
		s->win[(s->whead + i) % s->wcap].acked = 1;
	}
	if (r != MAMORI_ETRUNC) {
		log_warn("agent: %s: malformed RELP frame", s->k.peer);
		return MAMORI_EINVAL;
	}
	memmove(s->rbuf, s->rbuf + off, s->rlen - off);
	s->rlen -= off;
	relp_release(s);
	return 0;
}

/* Waits for the server, the queue or a stop, at most wait_ns. */
static int
wait_events(struct agent_sender *s, int with_conn, int64_t wait_ns,
    int *readable)
{
	struct pollfd p[3];
	int n, nfd = 2;
	int64_t dl;

	*readable = 0;
	if (with_conn && agent_conn_pending(&s->k)) {
		*readable = 1;
		return 0;
	}
	if (atomic_load(&s->draining)) {
		dl = atomic_load(&s->drain_deadline) - time_mono_ns();
		if (dl < wait_ns)
			wait_ns = dl > 0 ? dl : 0;
	}
	p[0].fd = s->stopfd;
	p[0].events = POLLIN;
	p[1].fd = s->notifyfd;
	p[1].events = POLLIN;
	if (with_conn) {
		p[2].fd = s->k.fd;
		p[2].events = POLLIN;
		nfd = 3;
	}
	n = poll(p, (nfds_t)nfd, (int)((wait_ns + 999999) / 1000000));
	if (n <= 0)
		return 0;
	if (p[0].revents & POLLIN)
		return MAMORI_ECLOSED;
	if (p[1].revents & POLLIN) {
		uint64_t v;

		(void)!read(s->notifyfd, &v, sizeof(v));
	}
	if (with_conn && p[2].revents != 0)
		*readable = 1;
	return 0;
}

static int
relp_step(struct agent_sender *s)
{
	struct agent_queue_rec rec;
	char *msg;
	size_t len;
	uint64_t count;
	int64_t wait = NS_PER_SEC, age;
	int r, readable;

	if ((r = add_report(s, &msg, &len, &count)) != 0)
		return r;
	if (msg != NULL) {
		r = relp_frame(s, (const uint8_t *)msg, len, 0, count);
		free(msg);
		if (r != 0)
			return r;
	}
	while (s->wcount < (size_t)s->c->relp_window) {
		r = agent_queue_read(s->rd, s->next_seq, &rec);
		if (r == MAMORI_ENOTFOUND)
			break;
		if (r == MAMORI_ECORRUPT)
			continue;
		if (r != 0)
			return r;
		if ((r = relp_frame(s, rec.data, rec.len, rec.seq, 0)) != 0)
			return r;
		s->next_seq = rec.seq + 1;
	}
	if ((r = sbuf_flush(s)) != 0)
		return r;
	if (s->wcount > 0) {
		age = time_mono_ns() - s->win[s->whead].sent_ns;
		if (age >= s->c->timeout_ns) {
			log_warn("agent: %s: no acknowledgement within %lld s",
			    s->k.peer, (long long)(s->c->timeout_ns /
			    NS_PER_SEC));
			return MAMORI_EAGAIN;
		}
		wait = s->c->timeout_ns - age;
	}
	if ((r = wait_events(s, 1, wait, &readable)) != 0)
		return r;
	if (readable)
		return relp_responses(s);
	return 0;
}

/* ---- TLS and TCP ---- */

static int
stream_frame(struct agent_sender *s, const uint8_t *data, size_t len)
{
	char head[24];
	int n = snprintf(head, sizeof(head), "%zu ", len), r;

	if ((r = sbuf_add(s, head, (size_t)n)) != 0 ||
	    (r = sbuf_add(s, data, len)) != 0)
		return r;
	s->unconfirmed += (size_t)n + len;
	if (s->first_unconfirmed_ns == 0)
		s->first_unconfirmed_ns = time_mono_ns();
	if (s->slen >= SBUF_FLUSH)
		return sbuf_flush(s);
	return 0;
}

/* Ends the connection in order; on success what it carried is
 * delivered. */
static int
stream_confirm(struct agent_sender *s)
{
	const char *why;
	uint64_t acked;
	int r;

	if ((r = sbuf_flush(s)) != 0)
		return r;
	if ((r = agent_conn_finish(&s->k, &why)) != 0) {
		log_warn("agent: %s did not close in order (%s); what it "
		    "was sent will be sent again", s->k.peer, why);
		return r;
	}
	(void)queued(s, &acked);
	if (s->sent_upto > acked) {
		atomic_fetch_add(&s->acked_count, s->sent_upto - acked);
		agent_queue_ack(s->q, s->sent_upto);
	}
	if (s->report_count > 0)
		agent_queue_drops_reported(s->q, s->report_count);
	session_reset(s);
	return 0;
}

static int
stream_step(struct agent_sender *s)
{
	struct agent_queue_rec rec;
	int64_t now, linger, due = INT64_MAX;
	char *msg, buf[256];
	size_t len, got;
	uint64_t count;
	const char *why;
	int r, idle = 0, readable;

	if ((r = add_report(s, &msg, &len, &count)) != 0)
		return r;
	if (msg != NULL) {
		r = stream_frame(s, (const uint8_t *)msg, len);
		free(msg);
		if (r != 0)
			return r;
		s->report_count = count;
	}
	while (s->unconfirmed < CONFIRM_BYTES) {
		r = agent_queue_read(s->rd, s->next_seq, &rec);
		if (r == MAMORI_ENOTFOUND) {
			idle = 1;
			break;
		}
		if (r == MAMORI_ECORRUPT)
			continue;
		if (r != 0)
			return r;
		if ((r = stream_frame(s, rec.data, rec.len)) != 0)
			return r;
		s->sent_upto = rec.seq;
		s->next_seq = rec.seq + 1;
	}
	if ((r = sbuf_flush(s)) != 0)
		return r;
	if (s->unconfirmed == 0) {
		/* Nothing in flight: the connection is not needed. */
		session_reset(s);
		return 0;
	}
	now = time_mono_ns();
	linger = s->c->confirm_ns / 10;
	if (s->unconfirmed >= CONFIRM_BYTES ||
	    now - s->first_unconfirmed_ns >= s->c->confirm_ns ||
	    (idle && now - s->last_send_ns >= linger) ||
	    atomic_load(&s->draining))
		return stream_confirm(s);
	due = s->first_unconfirmed_ns + s->c->confirm_ns;
	if (idle && s->last_send_ns + linger < due)
		due = s->last_send_ns + linger;
	if ((r = wait_events(s, 1, due - now, &readable)) != 0)
		return r;
	if (readable) {
		/* The server has nothing to say; bytes or an end here
		 * mean the connection is going. */
		r = agent_conn_read(&s->k, buf, sizeof(buf), &got, &why);
		if (r != MAMORI_EAGAIN && r != 0) {
			log_warn("agent: %s: %s; unconfirmed messages will "
			    "be sent again", s->k.peer, why);
			return r;
		}
	}
	return 0;
}

/* ---- the thread ---- */

static int64_t
backoff_next(struct agent_sender *s, int64_t prev)
{
	int64_t base = prev == 0 ? s->c->reconnect_min_ns : prev * 2;

	if (base > s->c->reconnect_max_ns)
		base = s->c->reconnect_max_ns;
	return base;
}

/* The delay actually waited: half of it random. */
static int64_t
jitter(struct agent_sender *s, int64_t base)
{
	uint64_t r = (uint64_t)rand_r(&s->rnd) * 65536u +
	    (uint64_t)rand_r(&s->rnd);

	return base / 2 + (int64_t)(r % (uint64_t)(base / 2 + 1));
}

static void
save_cursor(struct agent_sender *s, int force)
{
	int64_t now = time_mono_ns();

	if (force || now - s->last_cursor_ns >= NS_PER_SEC) {
		agent_queue_save_cursor(s->q);
		s->last_cursor_ns = now;
	}
}

static void *
sender_thread(void *arg)
{
	struct agent_sender *s = arg;
	struct agent_queue_rec rec;
	int64_t backoff = 0, delay;
	char err[768];
	int r, readable;

	(void)pthread_setname_np(pthread_self(), "mamori-send");
	session_reset(s);
	for (;;) {
		if (stop_now(s) || drain_over(s))
			break;
		if (atomic_load(&s->draining) && queued(s, NULL) == 0)
			break;	/* everything delivered */
		if (s->k.fd < 0) {
			/* Connect only with something to send. */
			if (queued(s, NULL) == 0 && agent_queue_read(s->rd,
			    s->next_seq, &rec) == MAMORI_ENOTFOUND) {
				if (wait_events(s, 0, NS_PER_SEC,
				    &readable) != 0)
					break;
				save_cursor(s, 0);
				continue;
			}
			if (atomic_load(&s->draining) && backoff > 0)
				break;	/* the server is away: keep it queued */
			if ((r = connect_server(s, err, sizeof(err))) != 0) {
				backoff = backoff_next(s, backoff);
				delay = jitter(s, backoff);
				log_failure(s, err, delay);
				if (wait_events(s, 0, delay, &readable) != 0)
					break;
				continue;
			}
		}
		r = s->relp ? relp_step(s) : stream_step(s);
		if (r == MAMORI_ECLOSED && stop_now(s))
			break;
		if (r != 0) {
			session_reset(s);
			backoff = backoff_next(s, backoff);
			delay = jitter(s, backoff);
			if (wait_events(s, 0, delay, &readable) != 0)
				break;
		} else if (s->k.fd >= 0 && s->failures == 0)
			backoff = 0;
		save_cursor(s, 0);
	}
	if (s->k.fd >= 0) {
		if (s->relp) {
			char frame[40];
			const char *why;
			int n = snprintf(frame, sizeof(frame), "%" PRIu64
			    " close 0\n", s->txnr);

			/* Acknowledgements that already arrived count. */
			if (relp_responses(s) == 0)
				(void)agent_conn_write(&s->k, frame, (size_t)n,
				    &why);
		} else if (s->unconfirmed > 0 && !stop_now(s))
			(void)stream_confirm(s);
	}
	session_reset(s);
	save_cursor(s, 1);
	return NULL;
}

struct agent_sender *
agent_sender_new(const struct agent_conf *c, struct agent_queue *q,
    agent_report_fn report, void *arg, char *err, size_t errlen)
{
	struct agent_sender *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mamori_seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->c = c;
	s->q = q;
	s->report = report;
	s->report_arg = arg;
	s->stopfd = s->notifyfd = -1;
	s->relp = c->transport == AGENT_RELP || c->transport == AGENT_RELP_TLS;
	s->rnd = (unsigned int)(time_now_ns() ^ (int64_t)getpid() << 16);
	agent_conn_init(&s->k, -1);
	if (agent_conf_server(c, s->host, sizeof(s->host), s->port,
	    sizeof(s->port), err, errlen) != 0)
		goto fail;
	if ((s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (s->notifyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		mamori_seterr(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	s->k.stopfd = s->stopfd;
	if ((s->rd = agent_queue_reader_new(q)) == NULL ||
	    (s->rbuf = malloc(RBUF_CAP)) == NULL) {
		mamori_seterr(err, errlen, "out of memory");
		goto fail;
	}
	if ((c->transport == AGENT_TLS || c->transport == AGENT_RELP_TLS) &&
	    (s->ctx = agent_tls_ctx(c, err, errlen)) == NULL)
		goto fail;
	return s;
 fail:
	agent_sender_free(s);
	return NULL;
}

int
agent_sender_start(struct agent_sender *s)
{
	agent_queue_set_notify(s->q, s->notifyfd);
	if (pthread_create(&s->th, NULL, sender_thread, s) != 0) {
		agent_queue_set_notify(s->q, -1);
		return MAMORI_ESYS;
	}
	s->started = 1;
	return 0;
}

void
agent_sender_stop(struct agent_sender *s, int64_t drain_ns)
{
	struct timespec ts;
	uint64_t one = 1;
	int64_t dl;

	if (!s->started)
		return;
	atomic_store(&s->drain_deadline, time_mono_ns() + drain_ns);
	atomic_store(&s->draining, 1);
	(void)!write(s->notifyfd, &one, sizeof(one));
	/* The drain deadline bounds every wait but a write or an orderly
	 * close in progress; those the hard stop cuts short. */
	dl = time_now_ns() + drain_ns + NS_PER_SEC;
	ts.tv_sec = (time_t)(dl / NS_PER_SEC);
	ts.tv_nsec = (long)(dl % NS_PER_SEC);
	if (pthread_timedjoin_np(s->th, NULL, &ts) != 0) {
		(void)!write(s->stopfd, &one, sizeof(one));
		pthread_join(s->th, NULL);
	}
	s->started = 0;
	agent_queue_set_notify(s->q, -1);
}

void
agent_sender_free(struct agent_sender *s)
{
	if (s == NULL)
		return;
	agent_sender_stop(s, 0);
	agent_conn_close(&s->k);
	if (s->ctx != NULL)
		SSL_CTX_free(s->ctx);
	agent_queue_reader_free(s->rd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	if (s->notifyfd >= 0)
		close(s->notifyfd);
	free(s->win);
	free(s->sbuf);
	free(s->rbuf);
	free(s);
}

void
agent_sender_stats(struct agent_sender *s, uint64_t *acked, int *connected)
{
	*acked = atomic_load(&s->acked_count);
	*connected = atomic_load(&s->connected);
}
