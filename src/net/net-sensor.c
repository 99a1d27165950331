/*
 * net-sensor.c - the sensor's engine (see net-sensor.h): decode, flows,
 * detectors, signatures; capture files and live interfaces through
 * libpcap.
 *
 * A capture file is read on two threads when the machine has two
 * cores: a reader thread runs libpcap, the decoders, the flow table and
 * the signatures, and hands what the detectors need (each packet with
 * a copy of its flow's state, each ended flow, each signature match,
 * each tick) in order, in batches, through a bounded queue to the
 * calling thread, which runs the detectors and every callback.  The
 * detectors thus see exactly the calls, in exactly the order, that one
 * thread would make, and callbacks stay on the caller's thread: the
 * results are the same, only sooner.  (MAMORI_NET_THREADS=1 keeps it
 * on one thread, for comparing.)
 */
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/error.h"
#include "core/queue.h"
#include "net/net-detect.h"
#include "net/net-flow.h"
#include "net/net-sensor.h"
#include "net/net-sig.h"
#include "net/net.h"

#define NS_PER_SEC	1000000000LL
#define SNAPLEN		65535
#define TICK_NS		NS_PER_SEC
#define READ_BUF	(1 << 20)	/* stdio buffer for capture files */
#define PIPE_BATCH	(128 * 1024)	/* bytes of records per batch */
#define PIPE_NBATCH	32		/* batches in flight, at most */
#define PIPE_L4		64		/* transport bytes a packet record
					   carries (the detectors read at
					   most 40: an ICMPv6 redirect) */

struct pipe;

struct net_sensor {
	struct net_flow_table *flows;
	struct net_detect *detect;
	struct net_sig_ctx *sig;
	const struct net_sigset *sigs;
	net_sensor_event_cb *cb;
	void		*arg;
	FILE		*conn_log;
	net_sensor_conn_cb *conn_cb;
	void		*conn_arg;
	int64_t		 last_tick_ns;
	int64_t		 now_ns;
	struct net_sensor_stats st;
	struct pipe	*pipe;		/* reading a file on two threads:
					   detector work goes here */
};

/* The reader thread's side of the two-thread read (defined below). */
static void pipe_packet(struct pipe *pp, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new);
static void pipe_flow_end(struct pipe *pp, const struct net_flow *f);
static void pipe_detection(void *arg, const struct net_detection *d);
static void pipe_tick(struct pipe *pp, int64_t now);

static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case NET_P_TCP:		return "tcp";
	case NET_P_UDP:		return "udp";
	case NET_P_ICMP:	return "icmp";
	case NET_P_ICMP6:	return "icmp6";
	case 0:			return "-";
	default:		return "ip";
	}
}

/* A word for the event line: no spaces or controls, "-" when empty. */
static void
word(char *dst, size_t len, const char *s)
{
	size_t i = 0;

	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0' && i + 1 < len; s++)
		dst[i++] = (unsigned char)*s <= ' ' || *s == 0x7f ? '_' : *s;
	dst[i] = '\0';
}

size_t
net_sensor_format(const struct net_detection *d, char *buf, size_t len)
{
	char kind[32], type[64], shape[32], src[64], dst[64], text[512];
	size_t i, off;
	int n;

	word(kind, sizeof(kind), d->kind);
	word(type, sizeof(type), d->type);
	word(shape, sizeof(shape), d->shape);
	net_addr_str(&d->src, src, sizeof(src));
	/* The summary, on one line. */
	for (i = 0; d->text[i] != '\0' && i + 1 < sizeof(text); i++)
		text[i] = (unsigned char)d->text[i] < ' ' ? ' ' : d->text[i];
	text[i] = '\0';
	n = snprintf(buf, len, "%s %s %s src=%s sport=%u", kind, type, shape,
	    src, (unsigned)d->sport);
	off = n < 0 ? 0 : (size_t)n;
	if (d->dst.family != 0 && off < len) {
		net_addr_str(&d->dst, dst, sizeof(dst));
		n = snprintf(buf + off, len - off, " dst=%s dport=%u", dst,
		    (unsigned)d->dport);
		off += n < 0 ? 0 : (size_t)n;
	} else if (d->dport != 0 && off < len) {
		/* Many destinations, one port: a worm's. */
		n = snprintf(buf + off, len - off, " dport=%u",
		    (unsigned)d->dport);
		off += n < 0 ? 0 : (size_t)n;
	}
	if (off < len) {
		n = snprintf(buf + off, len - off, " proto=%s count=%" PRIu64
		    " targets=%u ports=%u rate=%.1f sid=%u: %s",
		    proto_name(d->proto), d->count, d->targets, d->ports,
		    d->rate, d->sid, text);
		off += n < 0 ? 0 : (size_t)n;
	}
	return off < len ? off : len > 0 ? len - 1 : 0;
}

size_t
net_sensor_line(const struct net_detection *d, const char *msg, size_t len,
    const char *host, char *buf, size_t buflen)
{
	char stamp[32];
	struct tm tm;
	time_t sec = (time_t)(d->ts_ns / NS_PER_SEC);
	int n;

	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, buflen, "%s %s mamori-sensor: %.*s", stamp, host,
	    (int)len, msg);
	if (n < 0)
		return 0;
	return (size_t)n < buflen ? (size_t)n : buflen > 0 ? buflen - 1 : 0;
}

static void
detected(void *arg, const struct net_detection *d)
{
	struct net_sensor *s = arg;
	struct net_detection sd;
	struct net_sig_info in;
	char msg[1024];
	size_t len;

	s->st.detections++;
	if (d->kind != NULL && strcmp(d->kind, "signature") == 0) {
		s->st.signatures++;
		/* A signature's incident category (its metadata, else its
		 * classtype's) rides in the shape field. */
		if (s->sigs != NULL && net_sig_info(s->sigs, d->sid,
		    &in) == 0 && in.category != NULL) {
			sd = *d;
			sd.shape = in.category;
			d = &sd;
		}
	}
	len = net_sensor_format(d, msg, sizeof(msg));
	if (s->cb != NULL)
		s->cb(s->arg, d, msg, len);
}

/* What follows the end of flow f: the detectors, conn.log. */
static void
flow_done(struct net_sensor *s, const struct net_flow *f)
{
	char *line;

	if (s->detect != NULL)
		net_detect_flow_end(s->detect, f);
	if ((s->conn_log != NULL || s->conn_cb != NULL) &&
	    (line = net_flow_conn_json(f)) != NULL) {
		if (s->conn_log != NULL) {
			fputs(line, s->conn_log);
			fputc('\n', s->conn_log);
		}
		if (s->conn_cb != NULL)
			s->conn_cb(s->conn_arg, f, line, strlen(line));
		free(line);
		s->st.conn_records++;
	}
}

static void
flow_ended(void *arg, const struct net_flow *f, enum net_flow_end why)
{
	struct net_sensor *s = arg;

	(void)why;
	if (s->pipe != NULL)
		pipe_flow_end(s->pipe, f);
	else
		flow_done(s, f);
}

struct net_sensor *
net_sensor_new(const struct net_flow_conf *fc, const struct net_detect_conf *dc,
    const struct net_sigset *sigs, net_sensor_event_cb *cb, void *arg,
    FILE *conn_log)
{
	struct net_sensor *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cb = cb;
	s->arg = arg;
	s->sigs = sigs;
	s->conn_log = conn_log;
	if ((s->flows = net_flow_table_new(fc, flow_ended, s)) == NULL ||
	    (s->detect = net_detect_new(dc, detected, s)) == NULL ||
	    (sigs != NULL && (s->sig = net_sig_ctx_new(sigs)) == NULL)) {
		net_sensor_free(s);
		return NULL;
	}
	/* Only conn.log records show uids. */
	net_flow_table_set_uids(s->flows, conn_log != NULL);
	return s;
}

void
net_sensor_set_conn_cb(struct net_sensor *s, net_sensor_conn_cb *cb,
    void *arg)
{
	s->conn_cb = cb;
	s->conn_arg = arg;
	if (s->flows != NULL)
		net_flow_table_set_uids(s->flows, s->conn_log != NULL ||
		    cb != NULL);
}

void
net_sensor_finish(struct net_sensor *s)
{
	if (s->flows != NULL) {
		/* Flows end first: short sessions count for brute force. */
		net_flow_stats(s->flows, &s->st.flows);
		net_flow_table_free(s->flows);
		s->flows = NULL;
	}
	if (s->detect != NULL)
		net_detect_flush(s->detect, s->now_ns);
}

void
net_sensor_free(struct net_sensor *s)
{
	if (s == NULL)
		return;
	net_sensor_finish(s);
	net_detect_free(s->detect);
	net_sig_ctx_free(s->sig);
	free(s);
}

void
net_sensor_packet(struct net_sensor *s, int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int64_t ts_ns)
{
	struct net_pkt p;
	struct net_flow *f = NULL;
	int dir = 0, is_new = 0;

	s->st.packets++;
	s->st.bytes += wirelen;
	if (ts_ns > s->now_ns)
		s->now_ns = ts_ns;
	if (net_decode(&p, linktype, data, caplen, wirelen, ts_ns) >= 3)
		s->st.decoded_ip++;
	if (p.anomalies != 0)
		s->st.anomalous++;
	if (s->flows != NULL && p.ipver != 0)
		f = net_flow_update(s->flows, &p, &dir, &is_new);
	if (s->pipe != NULL) {
		pipe_packet(s->pipe, &p, f, dir, is_new);
		if (s->sig != NULL)
			net_sig_packet(s->sig, &p, f, dir, pipe_detection,
			    s->pipe);
	} else {
		net_detect_packet(s->detect, &p, f, dir, is_new);
		if (s->sig != NULL)
			net_sig_packet(s->sig, &p, f, dir, detected, s);
	}
	if (s->now_ns - s->last_tick_ns >= TICK_NS) {
		if (s->pipe != NULL)
			pipe_tick(s->pipe, s->now_ns);
		else
			net_detect_tick(s->detect, s->now_ns);
		if (s->flows != NULL)
			net_flow_expire(s->flows, s->now_ns);
		s->last_tick_ns = s->now_ns;
	}
}

/* ---------------------------------------------------------------------
 * Reading a capture file on two threads.
 *
 * Records are packed into batches of PIPE_BATCH bytes; PIPE_NBATCH
 * batches go round between the reader (filling) and the caller
 * (replaying), so memory is bounded and a slow consumer holds the
 * reader back.  A packet's record is its struct net_pkt with l4
 * pointing at a copy of its first PIPE_L4 transport bytes (data, l3
 * and payload NULL: the detectors read none of them), and a copy of
 * its flow as net_flow_update() left it, but for the ext slots (not
 * written: they belong to the reader's thread).  An ended flow's record
 * is the whole flow, ext slots NULL.
 */
enum { R_PACKET, R_FLOW_END, R_DETECTION, R_TICK };

struct rec {
	uint32_t	 size;		/* of the whole record, 8-aligned */
	uint8_t		 type;
	uint8_t		 has_flow, has_l4;
	int8_t		 dir;
	int32_t		 is_new;
	int64_t		 now;		/* R_TICK */
};

struct batch {
	size_t		 used;
	_Alignas(max_align_t) unsigned char buf[PIPE_BATCH];
};

struct pipe {
	struct net_sensor *s;
	struct queue	*full;		/* reader -> caller */
	struct queue	*empty;		/* caller -> reader */
	struct batch	*cur;		/* the reader's */
	struct batch	*all[PIPE_NBATCH];
	pcap_t		*pc;
	int		 link, nano;
	int		 rc;		/* read_all()'s */
	int		 stop;		/* the reader's queues closed */
};

#define REC_ALIGN(n)	(((n) + 7) & ~(size_t)7)

/* Room for a record of n bytes in the reader's batch (sending the full
 * one on); NULL when the caller stopped. */
static unsigned char *
pipe_room(struct pipe *pp, size_t n)
{
	void *b;
	int r;

	if (pp->cur != NULL && pp->cur->used + n > PIPE_BATCH) {
		if (queue_push(pp->full, pp->cur, pp->cur->used,
		    QUEUE_WAIT) != 0)
			pp->stop = 1;
		pp->cur = NULL;
	}
	if (pp->cur == NULL) {
		if (pp->stop || (r = queue_pop(pp->empty, &b, NULL, 1,
		    -1)) != 1) {
			pp->stop = 1;
			return NULL;
		}
		pp->cur = b;
		pp->cur->used = 0;
	}
	return pp->cur->buf + pp->cur->used;
}

static struct rec *
pipe_rec(struct pipe *pp, int type, size_t body)
{
	size_t n = REC_ALIGN(sizeof(struct rec)) + REC_ALIGN(body);
	struct rec *r;

	if ((r = (struct rec *)(void *)pipe_room(pp, n)) == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->size = (uint32_t)n;
	r->type = (uint8_t)type;
	pp->cur->used += n;
	return r;
}

static void *
rec_body(struct rec *r)
{
	return (unsigned char *)r + REC_ALIGN(sizeof(struct rec));
}

static void
pipe_packet(struct pipe *pp, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	size_t body = REC_ALIGN(sizeof(*p)) + (f != NULL ?
	    REC_ALIGN(sizeof(*f)) : 0) + (p->l4 != NULL ? PIPE_L4 : 0);
	unsigned char *o;
	struct net_pkt *cp;
	struct net_flow *cf;
	struct rec *r;
	uint32_t n;

	if ((r = pipe_rec(pp, R_PACKET, body)) == NULL)
		return;
	r->dir = (int8_t)dir;
	r->is_new = is_new;
	o = rec_body(r);
	cp = (struct net_pkt *)(void *)o;
	*cp = *p;
	cp->data = cp->l3 = cp->payload = NULL;
	o += REC_ALIGN(sizeof(*p));
	if (f != NULL) {
		/* The detectors read the flow's fields, never its ext
		 * slots (the reader's). */
		cf = (struct net_flow *)(void *)o;
		memcpy(cf, f, offsetof(struct net_flow, ext));
		r->has_flow = 1;
		o += REC_ALIGN(sizeof(*f));
	}
	if (p->l4 != NULL) {
		/* Only l4len bytes are ever read: the rest stays as it
		 * was. */
		n = p->l4len < PIPE_L4 ? p->l4len : PIPE_L4;
		memcpy(o, p->l4, n);
		cp->l4 = o;
		r->has_l4 = 1;
	}
}

static void
pipe_flow_end(struct pipe *pp, const struct net_flow *f)
{
	struct net_flow *cf;
	struct rec *r;

	if ((r = pipe_rec(pp, R_FLOW_END, sizeof(*f))) == NULL)
		return;
	cf = rec_body(r);
	*cf = *f;
	memset(cf->ext, 0, sizeof(cf->ext));
	memset(cf->ext_free, 0, sizeof(cf->ext_free));
}

/* A signature's detection (its strings are the signature set's, which
 * outlives the read). */
static void
pipe_detection(void *arg, const struct net_detection *d)
{
	struct pipe *pp = arg;
	struct rec *r;

	if ((r = pipe_rec(pp, R_DETECTION, sizeof(*d))) != NULL)
		*(struct net_detection *)rec_body(r) = *d;
}

static void
pipe_tick(struct pipe *pp, int64_t now)
{
	struct rec *r;

	if ((r = pipe_rec(pp, R_TICK, 0)) != NULL)
		r->now = now;
}

static int read_all(struct net_sensor *s, pcap_t *pc, int link, int nano,
    struct pipe *pp);

/* The reader thread: the whole capture through net_sensor_packet(). */
static void *
pipe_reader(void *arg)
{
	struct pipe *pp = arg;

	pp->rc = read_all(pp->s, pp->pc, pp->link, pp->nano, pp);
	if (pp->cur != NULL && pp->cur->used > 0 &&
	    queue_push(pp->full, pp->cur, pp->cur->used, QUEUE_WAIT) == 0)
		pp->cur = NULL;
	queue_close(pp->full);
	return NULL;
}

/* The caller's side: replays a batch's records. */
static void
pipe_replay(struct net_sensor *s, struct batch *b)
{
	size_t off = 0;

	while (off < b->used) {
		struct rec *r = (struct rec *)(void *)(b->buf + off);
		unsigned char *o = rec_body(r);

		switch (r->type) {
		case R_PACKET: {
			const struct net_pkt *p = (void *)o;
			const struct net_flow *f = r->has_flow ?
			    (void *)(o + REC_ALIGN(sizeof(*p))) : NULL;

			net_detect_packet(s->detect, p, f, r->dir, r->is_new);
			break;
		}
		case R_FLOW_END:
			flow_done(s, (const struct net_flow *)(void *)o);
			break;
		case R_DETECTION:
			detected(s, (const struct net_detection *)(void *)o);
			break;
		case R_TICK:
			net_detect_tick(s->detect, r->now);
			break;
		}
		off += r->size;
	}
}

static int
use_threads(void)
{
	const char *e = getenv("MAMORI_NET_THREADS");

	if (e != NULL && strcmp(e, "1") == 0)
		return 0;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/* Reads pc through s on two threads.  Returns 0 and read_all()'s result
 * in *rc, or -1 when the threads could not be set up (nothing read: the
 * caller reads on one thread). */
static int
read_threaded(struct net_sensor *s, pcap_t *pc, int link, int nano, int *rc)
{
	struct pipe pp;
	pthread_t th;
	void *b;
	int i, n;

	memset(&pp, 0, sizeof(pp));
	pp.s = s;
	pp.pc = pc;
	pp.link = link;
	pp.nano = nano;
	if ((pp.full = queue_new(PIPE_NBATCH, SIZE_MAX)) == NULL ||
	    (pp.empty = queue_new(PIPE_NBATCH, SIZE_MAX)) == NULL)
		goto fail;
	for (i = 0; i < PIPE_NBATCH; i++) {
		if ((pp.all[i] = malloc(sizeof(struct batch))) == NULL)
			goto fail;
		if (queue_push(pp.empty, pp.all[i], 0, QUEUE_NOWAIT) != 0)
			goto fail;
	}
	s->pipe = &pp;
	if (pthread_create(&th, NULL, pipe_reader, &pp) != 0) {
		s->pipe = NULL;
		goto fail;
	}
	while ((n = queue_pop(pp.full, &b, NULL, 1, -1)) != MAMORI_ECLOSED) {
		if (n != 1)
			continue;
		pipe_replay(s, b);
		/* Never full: it holds at most the PIPE_NBATCH batches. */
		(void)queue_push(pp.empty, b, 0, QUEUE_NOWAIT);
	}
	pthread_join(th, NULL);
	s->pipe = NULL;
	*rc = pp.rc;
	for (i = 0; i < PIPE_NBATCH; i++)
		free(pp.all[i]);
	queue_free(pp.full);
	queue_free(pp.empty);
	return 0;
fail:
	for (i = 0; i < PIPE_NBATCH; i++)
		free(pp.all[i]);
	queue_free(pp.full);
	queue_free(pp.empty);
	return -1;
}

void
net_sensor_stats(const struct net_sensor *s, struct net_sensor_stats *st)
{
	*st = s->st;
	if (s->flows != NULL)
		net_flow_stats(s->flows, &st->flows);
	else
		st->flows.active = 0;
}

static int64_t
pcap_ts(const struct pcap_pkthdr *h, int nano)
{
	return (int64_t)h->ts.tv_sec * NS_PER_SEC +
	    (nano ? (int64_t)h->ts.tv_usec : (int64_t)h->ts.tv_usec * 1000);
}

int
net_sensor_is_capture(const char *path)
{
	unsigned char m[4];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n < 4)
		return 0;
	/* pcap (either byte order, µs or ns) and pcapng's section block. */
	return (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
	    (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
	    (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
	    (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
	    (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a);
}

struct file_read {
	struct net_sensor *s;
	pcap_t		*pc;
	struct pipe	*pp;
	int		 link, nano;
};

static void
file_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct file_read *r = (struct file_read *)(void *)arg;

	net_sensor_packet(r->s, r->link, data, h->caplen, h->len,
	    pcap_ts(h, r->nano));
	if (r->pp != NULL && r->pp->stop)
		pcap_breakloop(r->pc);
}

/* Every packet of the file pc through s (pcap_dispatch() hands them
 * over without pcap_next_ex()'s per-packet copy of the header).
 * Returns 0, or PCAP_ERROR (pcap_geterr() says why) after the packets
 * before the damage. */
static int
read_all(struct net_sensor *s, pcap_t *pc, int link, int nano,
    struct pipe *pp)
{
	struct file_read r;
	int rc;

	r.s = s;
	r.pc = pc;
	r.pp = pp;
	r.link = link;
	r.nano = nano;
	while ((rc = pcap_dispatch(pc, -1, file_packet, (u_char *)&r)) > 0)
		;
	return rc == PCAP_ERROR ? PCAP_ERROR : 0;
}

int
net_sensor_read_file(struct net_sensor *s, const char *path, char *err,
    size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *f;
	int rc, link, nano;

	/* Our own FILE with a large buffer: libpcap reads each record
	 * with two small fread()s, and the default 4 KiB buffer makes
	 * that a read() system call every few dozen packets. */
	if ((f = fopen(path, "rb")) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return MAMORI_EINVAL;
	}
	(void)setvbuf(f, NULL, _IOFBF, READ_BUF);
	/* Only one thread at a time reads it: no lock per fread(). */
	(void)__fsetlocking(f, FSETLOCKING_BYCALLER);
	perr[0] = '\0';
	if ((pc = pcap_fopen_offline_with_tstamp_precision(f,
	    PCAP_TSTAMP_PRECISION_NANO, perr)) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", path, perr);
		fclose(f);
		return MAMORI_EINVAL;
	}
	nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	link = pcap_datalink(pc);
	if (!use_threads() || read_threaded(s, pc, link, nano, &rc) != 0)
		rc = read_all(s, pc, link, nano, NULL);
	if (rc == PCAP_ERROR) {
		/* A capture cut short (a tcpdump killed mid-write) is
		 * read up to its last whole packet, and said so. */
		mamori_seterr(err, errlen, "%s: %s (read up to there)", path,
		    pcap_geterr(pc));
		pcap_close(pc);
		return MAMORI_EIO;
	}
	pcap_close(pc);
	return 0;
}

struct net_capture {
	pcap_t		*pc;
	struct net_sensor *s;
	int		 link;
	int		 nano;
	int		 fd;
	char		 iface[64];
};

static void
live_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct net_capture *c = (struct net_capture *)arg;

	net_sensor_packet(c->s, c->link, data, h->caplen, h->len,
	    pcap_ts(h, c->nano));
}

int
net_capture_open(const char *iface, const char *bpf,
    struct net_capture **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	struct net_capture *c;
	pcap_t *pc;
	int rc;

	*out = NULL;
	perr[0] = '\0';
	if ((pc = pcap_create(iface, perr)) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", iface, perr);
		return MAMORI_EINVAL;
	}
	(void)pcap_set_snaplen(pc, SNAPLEN);
	(void)pcap_set_promisc(pc, 1);
	(void)pcap_set_timeout(pc, 200);
	(void)pcap_set_immediate_mode(pc, 1);
	(void)pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO);
	if ((rc = pcap_activate(pc)) < 0) {
		mamori_seterr(err, errlen, "%s: %s%s", iface,
		    pcap_statustostr(rc), rc == PCAP_ERROR_PERM_DENIED ?
		    " (run as root or with CAP_NET_RAW)" : "");
		if (rc == PCAP_ERROR)
			mamori_seterr(err, errlen, "%s: %s", iface,
			    pcap_geterr(pc));
		pcap_close(pc);
		return MAMORI_EIO;
	}
	if (bpf != NULL && *bpf != '\0') {
		if (pcap_compile(pc, &prog, bpf, 1,
		    PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(pc, &prog) != 0) {
			mamori_seterr(err, errlen, "%s: filter '%s': %s", iface,
			    bpf, pcap_geterr(pc));
			pcap_close(pc);
			return MAMORI_EINVAL;
		}
		pcap_freecode(&prog);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pcap_close(pc);
		mamori_seterr(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	c->pc = pc;
	snprintf(c->iface, sizeof(c->iface), "%s", iface);
	c->link = pcap_datalink(pc);
	c->nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	/* Non-blocking with poll(): a quiet link must not keep the loop
	 * from seeing *stop (immediate mode ignores the read timeout). */
	if (pcap_setnonblock(pc, 1, perr) != 0 ||
	    (c->fd = pcap_get_selectable_fd(pc)) < 0) {
		mamori_seterr(err, errlen, "%s: cannot poll the capture",
		    iface);
		net_capture_close(c);
		return MAMORI_EIO;
	}
	*out = c;
	return 0;
}

void
net_capture_close(struct net_capture *c)
{
	if (c == NULL)
		return;
	pcap_close(c->pc);
	free(c);
}

int
net_capture_stats(struct net_capture *c, uint64_t *received,
    uint64_t *dropped)
{
	struct pcap_stat ps;

	if (pcap_stats(c->pc, &ps) != 0)
		return MAMORI_EIO;
	*received = ps.ps_recv;
	*dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	return 0;
}

int
net_capture_run(struct net_capture *c, struct net_sensor *s,
    volatile int *stop, char *err, size_t errlen)
{
	struct pollfd pfd;
	int rc;

	c->s = s;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while (!*stop) {
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			mamori_seterr(err, errlen, "%s: poll: %s", c->iface,
			    strerror(errno));
			return MAMORI_EIO;
		}
		rc = pcap_dispatch(c->pc, -1, live_packet, (u_char *)c);
		if (rc == PCAP_ERROR) {
			mamori_seterr(err, errlen, "%s: %s", c->iface,
			    pcap_geterr(c->pc));
			return MAMORI_EIO;
		}
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc == 0 && s->detect != NULL) {
			/* Quiet link: time still passes for the windows. */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			s->now_ns = (int64_t)ts.tv_sec * NS_PER_SEC +
			    ts.tv_nsec;
			net_detect_tick(s->detect, s->now_ns);
			net_flow_expire(s->flows, s->now_ns);
		}
	}
	/* What the kernel holds already is part of the capture. */
	while (pcap_dispatch(c->pc, -1, live_packet, (u_char *)c) > 0)
		;
	return 0;
}

int
net_sensor_live(struct net_sensor *s, const char *iface, const char *bpf,
    volatile int *stop, void (*ready)(void *), void *ready_arg, char *err,
    size_t errlen)
{
	struct net_capture *c;
	int rc;

	if ((rc = net_capture_open(iface, bpf, &c, err, errlen)) != 0)
		return rc;
	if (ready != NULL)
		ready(ready_arg);
	rc = net_capture_run(c, s, stop, err, errlen);
	net_capture_close(c);
	return rc;
}
