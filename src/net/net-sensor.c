/*
 * net-sensor.c - the sensor's engine (see net-sensor.h): decode, flows,
 * detectors, signatures; capture files and live interfaces through
 * libpcap.
 *
 * A capture file is read on two threads when the machine has two
 * cores: a reader thread reads the file, runs the decoders, the flow
 * table and the signatures, and hands what the detectors need (each
 * packet with the part of its flow's state they read, each ended flow,
 * each signature match, each tick) in order, in batches, through a
 * bounded queue to the calling thread, which runs the detectors and
 * every callback.  The detectors thus see exactly the calls, in exactly
 * the order, that one thread would make, and callbacks stay on the
 * caller's thread: the results are the same, only sooner.
 * (MAMORI_NET_THREADS=1 keeps it on one thread, for comparing.)
 *
 * The reader's cost per packet is what the benchmark measures, so:
 * classic pcap files (the common case) are read here, a large block at
 * a time, rather than through libpcap's two fread()s per packet
 * (anything else, and any record that is not plainly well formed, goes
 * to libpcap, which then says what is wrong exactly as before:
 * MAMORI_NET_LIBPCAP=1 sends everything there, for comparing); packets
 * are decoded a batch at a time, so that the flow table's memory for
 * the next packets is asked for while earlier ones are worked on; and a
 * packet's record for the detectors carries only what they read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "core/error.h"
#include "core/mem.h"
#include "core/queue.h"
#include "net/net-detect.h"
#include "net/net-flow.h"
#include "net/net-sensor.h"
#include "net/net-sig.h"
#include "net/net.h"

#define NS_PER_SEC	1000000000LL
#define SNAPLEN		65535
#define CAP_TIMEOUT_MS	50		/* see net_capture_open() */
#define CAP_BUFFER	(16 << 20)	/* bytes of the kernel's ring */
#define TICK_NS		NS_PER_SEC
#define READ_BUF	(1 << 20)	/* stdio buffer for capture files */
#define PIPE_BATCH	(128 * 1024)	/* bytes of records per batch */
#define PIPE_NBATCH	32		/* batches in flight, at most */
#define SENSOR_BATCH	32		/* packets decoded ahead */
#define SENSOR_AHEAD	4		/* packets whose flows are fetched
					   ahead of the one worked on */

struct pipe;

/*
 * Reading a file on two threads, the reader writes the counts and clock
 * at every packet while the detector thread reads the settings at every
 * record and counts detections: each part has cache lines of its own
 * (and the struct too, mem_calloc_lines()), or a line would go back and
 * forth between the threads' caches.
 */
struct net_sensor {
	/* Settings: set up once, read by both. */
	struct net_flow_table *flows;
	struct net_detect *detect;
	struct net_sig_ctx *sig;
	const struct net_sigset *sigs;
	net_sensor_event_cb *cb;
	void		*arg;
	FILE		*conn_log;
	net_sensor_conn_cb *conn_cb;
	void		*conn_arg;
	struct pipe	*pipe;		/* reading a file on two threads:
					   detector work goes here */
	/* What the detectors' side counts (detected(), flow_done()). */
	_Alignas(64) uint64_t detections;
	uint64_t	 signatures;
	uint64_t	 conn_records;
	/* The packets' side (sensor_one()). */
	_Alignas(64) int64_t last_tick_ns;
	int64_t		 now_ns;
	struct net_sensor_stats st;	/* the counts of packets */
	/* A batch of packets decoded ahead (sensor_batch()). */
	struct net_pkt	 bp[SENSOR_BATCH];
	struct net_flow_key bk[SENSOR_BATCH];
	int		 blayers[SENSOR_BATCH];
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

	s->detections++;
	if (d->kind != NULL && strcmp(d->kind, "signature") == 0) {
		s->signatures++;
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
		s->conn_records++;
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

	if ((s = mem_calloc_lines(sizeof(*s))) == NULL)
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

/* What follows decoding for packet p (layers: what net_decode()
 * returned; k: its flow key worked out ahead, or NULL). */
static inline void
sensor_one(struct net_sensor *s, const struct net_pkt *p, int layers,
    const struct net_flow_key *k)
{
	struct net_flow *f = NULL;
	int dir = 0, is_new = 0;

	s->st.packets++;
	s->st.bytes += p->wirelen;
	if (p->ts_ns > s->now_ns)
		s->now_ns = p->ts_ns;
	if (layers >= 3)
		s->st.decoded_ip++;
	if (p->anomalies != 0)
		s->st.anomalous++;
	if (s->flows != NULL && p->ipver != 0)
		f = k != NULL ? net_flow_update_key(s->flows, p, k, &dir,
		    &is_new) : net_flow_update(s->flows, p, &dir, &is_new);
	if (s->pipe != NULL) {
		pipe_packet(s->pipe, p, f, dir, is_new);
		if (s->sig != NULL)
			net_sig_packet(s->sig, p, f, dir, pipe_detection,
			    s->pipe);
	} else {
		net_detect_packet(s->detect, p, f, dir, is_new);
		if (s->sig != NULL)
			net_sig_packet(s->sig, p, f, dir, detected, s);
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

void
net_sensor_packet(struct net_sensor *s, int linktype, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int64_t ts_ns)
{
	struct net_pkt p;
	int layers;

	layers = net_decode(&p, linktype, data, caplen, wirelen, ts_ns);
	sensor_one(s, &p, layers, NULL);
}

/* One packet of a batch: where its bytes are (borrowed until the batch
 * is done) and its pcap header's numbers. */
struct pkt_in {
	const uint8_t	*data;
	int64_t		 ts_ns;
	uint32_t	 caplen, wirelen;
};

/*
 * n (at most SENSOR_BATCH) packets, as n calls of net_sensor_packet()
 * would do them.  Decoding has no side effects, so all n are decoded
 * and their flow keys worked out first, and their index slots asked
 * for; then, while each packet goes through the flow table, the
 * signatures and the pipe, the flow of the one SENSOR_AHEAD later is
 * asked for.  On a big table every lookup would otherwise wait for
 * memory twice (the slot, then the flow).
 */
static void
sensor_batch(struct net_sensor *s, int link, const struct pkt_in *in,
    size_t n)
{
	struct net_flow_table *ft = s->flows;
	size_t i;

	for (i = 0; i < n; i++) {
		s->blayers[i] = net_decode(&s->bp[i], link, in[i].data,
		    in[i].caplen, in[i].wirelen, in[i].ts_ns);
		if (ft != NULL) {
			net_flow_key(ft, &s->bp[i], &s->bk[i]);
			net_flow_prefetch(ft, &s->bk[i]);
		}
	}
	if (ft != NULL)
		for (i = 0; i < n && i < SENSOR_AHEAD; i++)
			net_flow_prefetch_hit(ft, &s->bk[i]);
	for (i = 0; i < n; i++) {
		if (ft != NULL && i + SENSOR_AHEAD < n)
			net_flow_prefetch_hit(ft, &s->bk[i + SENSOR_AHEAD]);
		sensor_one(s, &s->bp[i], s->blayers[i], &s->bk[i]);
	}
}

/* A capture file being read (net_sensor_read_file()). */
struct file_read {
	struct net_sensor *s;		/* where packets go, or: */
	net_capture_packet_cb *cb;	/* net_capture_read_file()'s */
	void		*cb_arg;
	pcap_t		*pc;
	FILE		*f;
	struct pipe	*pp;
	int		 link, nano;
	/* The fast path (fast set): the file's byte order and stamps. */
	int		 fast;
	int		 swapped;	/* big-endian file */
	int		 nsec;		/* nanosecond stamps */
	uint32_t	 maxcap;	/* the snapshot length, capped */
	char		 err[256];	/* an error of our own, else "" */
};

/* ---------------------------------------------------------------------
 * Reading a capture file on two threads.
 *
 * Records are packed into batches of PIPE_BATCH bytes; PIPE_NBATCH
 * batches go round between the reader (filling) and the caller
 * (replaying), so memory is bounded and a slow consumer holds the
 * reader back.
 *
 * A packet's record carries what the detectors read and no more (a
 * whole struct net_pkt and struct net_flow were ~600 bytes a packet of
 * memory traffic between the threads, for ~250 read): the front of its
 * struct net_pkt (NET_PKT_DETECT_END), the ARP and ICMP-error part only
 * when the packet has one, the front of its flow as net_flow_update()
 * left it (NET_FLOW_DETECT_END), and its first NET_PKT_DETECT_L4
 * transport bytes.  The caller copies them into a struct net_pkt and a
 * struct net_flow of its own whose other fields stay zero, and points
 * l4 at the copied bytes.  An ended flow's record is the same front of
 * the flow, or the whole flow but its ext slots when conn.log records
 * are wanted.
 */
enum { R_PACKET, R_FLOW_END, R_DETECTION, R_TICK };

#define RF_FLOW		0x01	/* R_PACKET: the flow's front follows */
#define RF_L4		0x02	/* R_PACKET: transport bytes follow */
#define RF_EXT		0x04	/* R_PACKET: the ARP/ICMP-error part */
#define RF_DIR		0x08	/* R_PACKET: dir 1 */
#define RF_NEW		0x10	/* R_PACKET: the packet made its flow */
#define RF_FULL		0x20	/* R_FLOW_END: the whole flow */

struct rec {
	uint32_t	 size;		/* of the whole record, 8-aligned */
	uint8_t		 type;
	uint8_t		 flags;		/* RF_* */
	uint8_t		 pad[2];
};

#define R8(n)		(((n) + 7) & ~(size_t)7)
/* The parts of a packet record. */
#define PKT_CORE	R8(NET_PKT_DETECT_END)
#define PKT_EXT		(NET_PKT_EXT_END - PKT_CORE)
#define FLOW_CORE	R8(NET_FLOW_DETECT_END)
#define FLOW_FULL	offsetof(struct net_flow, ext)

_Static_assert(sizeof(struct rec) == 8, "record headers are 8 bytes");
_Static_assert(NET_PKT_EXT_END > PKT_CORE, "the ARP part follows the core");

struct batch {
	size_t		 used;
	_Alignas(max_align_t) unsigned char buf[PIPE_BATCH];
};

/*
 * The two threads write different parts, each on cache lines of its own:
 * a line one thread writes and the other reads goes back and forth
 * between their caches at every write.  (With the caller's packet copy
 * beside full_flows, which the reader reads at every ended flow, where
 * the struct happened to fall decided whether a line crossed for each
 * of a million flows: runs took 5% longer or not with the length of a
 * path name in the environment.)
 */
struct pipe {
	/* Set before the reader starts; read by both. */
	struct net_sensor *s;
	struct queue	*full;		/* reader -> caller */
	struct queue	*empty;		/* caller -> reader */
	struct file_read *fr;
	int		 full_flows;	/* ended flows go whole (conn.log) */
	/* The reader's. */
	_Alignas(64) struct batch *cur;
	int		 stop;		/* the reader's queues closed */
	int		 rc;		/* read_all()'s */
	int		 nall;		/* batches made so far */
	int		 nspare;
	struct batch	*all[PIPE_NBATCH];
	/* Empty batches the reader took back, the last replayed last. */
	void		*spare[PIPE_NBATCH];
	/* The caller's copies of what the records carry (other fields
	 * zero). */
	_Alignas(64) struct net_pkt rp;
	int		 rp_ext;	/* rp's ARP/ICMP-error part is set */
	struct net_flow	 rf;		/* a packet's flow */
	struct net_flow	 ef;		/* an ended flow */
};

/*
 * Takes a batch from q (blocking): 1, or MAMORI_ECLOSED.  A thread that
 * sleeps in queue_pop() must be woken by the other's push: a system call
 * and an interrupt to the other CPU that cost the pushing thread several
 * microseconds (many more in a virtual machine), and when one thread
 * keeps up with the other that is most batches.  So a thread that finds
 * q empty first looks again for up to PIPE_SPIN_NS without sleeping (a
 * batch is usually that close), then naps in short steps for up to
 * PIPE_NAP_NS, never registered as a sleeper, so that a push wakes no
 * one; only a longer wait (a slow disk, a stalled consumer) sleeps in
 * the queue.
 */
#define PIPE_SPIN_NS	20000
#define PIPE_NAP_NS	5000000
static int
pipe_pop(struct queue *q, void **item)
{
	struct timespec t0, t, nap = { 0, 50000 };
	int64_t waited;
	int n, i;

	if ((n = queue_pop(q, item, NULL, 1, 0)) != 0)
		return n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (i = 0; i < 64; i++) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
		if ((n = queue_pop(q, item, NULL, 1, 0)) != 0)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (int64_t)(t.tv_sec - t0.tv_sec) * NS_PER_SEC +
		    (t.tv_nsec - t0.tv_nsec);
		if (waited > PIPE_NAP_NS)
			break;
		if (waited > PIPE_SPIN_NS)
			nanosleep(&nap, NULL);
	}
	while ((n = queue_pop(q, item, NULL, 1, -1)) == 0)
		;
	return n;
}

/* The reader's batch is full (or there is none): sends it on and takes
 * an empty one.  Returns 0, or -1 when the caller stopped. */
static int
pipe_next(struct pipe *pp)
{
	void *b;
	int n;

	if (pp->cur != NULL) {
		if (queue_push(pp->full, pp->cur, pp->cur->used,
		    QUEUE_WAIT) != 0)
			pp->stop = 1;
		pp->cur = NULL;
	}
	/* Batches are made as the reader needs them, up to PIPE_NBATCH:
	 * while the caller keeps up, a few go round, warm in the caches,
	 * rather than all of them, each as fresh memory at first. */
	if (pp->stop)
		return -1;
	/* The empty queue is oldest first; the reader takes all it holds
	 * and fills the one replayed last, still in the caches.  Taken in
	 * turn, once a stall had the reader make them all, every batch
	 * would go round, megabytes of cold memory to write and read. */
	if ((n = queue_pop(pp->empty, pp->spare + pp->nspare, NULL,
	    (size_t)(PIPE_NBATCH - pp->nspare), 0)) > 0)
		pp->nspare += n;
	if (pp->nspare > 0)
		b = pp->spare[--pp->nspare];
	else if (pp->nall < PIPE_NBATCH && (b = malloc(sizeof(struct batch)))
	    != NULL)
		pp->all[pp->nall++] = b;
	else if (pipe_pop(pp->empty, &b) != 1) {
		pp->stop = 1;
		return -1;
	}
	pp->cur = b;
	pp->cur->used = 0;
	return 0;
}

/* A record of type with body bytes (a multiple of 8) after its header,
 * in the reader's batch; NULL when the caller stopped. */
static inline struct rec *
pipe_rec(struct pipe *pp, int type, size_t body)
{
	size_t n = sizeof(struct rec) + body;
	struct rec *r;

	if ((pp->cur == NULL || pp->cur->used + n > PIPE_BATCH) &&
	    pipe_next(pp) != 0)
		return NULL;
	r = (struct rec *)(void *)(pp->cur->buf + pp->cur->used);
	r->size = (uint32_t)n;
	r->type = (uint8_t)type;
	r->flags = 0;
	pp->cur->used += n;
	return r;
}

static inline unsigned char *
rec_body(struct rec *r)
{
	return (unsigned char *)r + sizeof(*r);
}

/* n (at most NET_PKT_DETECT_L4) bytes from src to o, in fixed-size
 * pieces that overlap rather than through memcpy() of a variable
 * length (a call per packet). */
static inline void
copy_l4(unsigned char *o, const uint8_t *src, uint32_t n)
{
	_Static_assert(NET_PKT_DETECT_L4 <= 48, "three pieces of 16");
	if (n >= 16) {
		memcpy(o, src, 16);
		if (n > 32)
			memcpy(o + 16, src + 16, 16);
		memcpy(o + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(o, src, 8);
		memcpy(o + n - 8, src + n - 8, 8);
	} else {
		while (n-- > 0)
			*o++ = *src++;
	}
}

static void
pipe_packet(struct pipe *pp, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new)
{
	int ext = p->is_arp || p->has_inner;
	uint32_t nl4 = p->l4 == NULL ? 0 : p->l4len < NET_PKT_DETECT_L4 ?
	    p->l4len : NET_PKT_DETECT_L4;
	unsigned char *o;
	struct rec *r;

	if ((r = pipe_rec(pp, R_PACKET, PKT_CORE + (ext ? R8(PKT_EXT) : 0) +
	    (f != NULL ? FLOW_CORE : 0) + R8(nl4))) == NULL)
		return;
	r->flags = (uint8_t)((f != NULL ? RF_FLOW : 0) |
	    (p->l4 != NULL ? RF_L4 : 0) | (ext ? RF_EXT : 0) |
	    (dir ? RF_DIR : 0) | (is_new ? RF_NEW : 0));
	o = rec_body(r);
	memcpy(o, p, PKT_CORE);
	o += PKT_CORE;
	if (ext) {
		memcpy(o, (const unsigned char *)p + PKT_CORE, PKT_EXT);
		o += R8(PKT_EXT);
	}
	if (f != NULL) {
		memcpy(o, f, FLOW_CORE);
		o += FLOW_CORE;
	}
	/* Only l4len bytes are ever read (and no more than
	 * NET_PKT_DETECT_L4). */
	copy_l4(o, p->l4, nl4);
}

static void
pipe_flow_end(struct pipe *pp, const struct net_flow *f)
{
	struct rec *r;

	/* Two constant sizes: memcpy() of either is a few moves. */
	if (pp->full_flows) {
		if ((r = pipe_rec(pp, R_FLOW_END, R8(FLOW_FULL))) != NULL) {
			r->flags = RF_FULL;
			memcpy(rec_body(r), f, FLOW_FULL);
		}
	} else if ((r = pipe_rec(pp, R_FLOW_END, FLOW_CORE)) != NULL)
		memcpy(rec_body(r), f, FLOW_CORE);
}

/* A signature's detection (its strings are the signature set's, which
 * outlives the read). */
static void
pipe_detection(void *arg, const struct net_detection *d)
{
	struct pipe *pp = arg;
	struct rec *r;

	if ((r = pipe_rec(pp, R_DETECTION, R8(sizeof(*d)))) != NULL)
		memcpy(rec_body(r), d, sizeof(*d));
}

static void
pipe_tick(struct pipe *pp, int64_t now)
{
	struct rec *r;

	if ((r = pipe_rec(pp, R_TICK, sizeof(now))) != NULL)
		memcpy(rec_body(r), &now, sizeof(now));
}

static int read_all(struct file_read *fr);

/* The reader thread: the whole capture through the sensor. */
static void *
pipe_reader(void *arg)
{
	struct pipe *pp = arg;

	pp->rc = read_all(pp->fr);
	if (pp->cur != NULL && pp->cur->used > 0 &&
	    queue_push(pp->full, pp->cur, pp->cur->used, QUEUE_WAIT) == 0)
		pp->cur = NULL;
	queue_close(pp->full);
	return NULL;
}

/* The caller's side: replays a batch's records. */
static void
pipe_replay(struct pipe *pp, struct batch *b)
{
	struct net_sensor *s = pp->s;
	size_t off = 0;

	while (off < b->used) {
		const struct rec *r = (const struct rec *)(const void *)
		    (b->buf + off);
		const unsigned char *o = (const unsigned char *)r + sizeof(*r);

		switch (r->type) {
		case R_PACKET:
			memcpy(&pp->rp, o, PKT_CORE);
			o += PKT_CORE;
			if (r->flags & RF_EXT) {
				memcpy((unsigned char *)&pp->rp + PKT_CORE, o,
				    PKT_EXT);
				o += R8(PKT_EXT);
				pp->rp_ext = 1;
			} else if (pp->rp_ext) {
				memset((unsigned char *)&pp->rp + PKT_CORE, 0,
				    PKT_EXT);
				pp->rp_ext = 0;
			}
			if (r->flags & RF_FLOW) {
				memcpy(&pp->rf, o, FLOW_CORE);
				o += FLOW_CORE;
			}
			pp->rp.l4 = (r->flags & RF_L4) ? o : NULL;
			net_detect_packet(s->detect, &pp->rp,
			    (r->flags & RF_FLOW) ? &pp->rf : NULL,
			    (r->flags & RF_DIR) ? 1 : 0,
			    (r->flags & RF_NEW) ? 1 : 0);
			break;
		case R_FLOW_END:
			/* One read sends all ended flows whole, or none. */
			if (r->flags & RF_FULL)
				memcpy(&pp->ef, o, FLOW_FULL);
			else
				memcpy(&pp->ef, o, FLOW_CORE);
			flow_done(s, &pp->ef);
			break;
		case R_DETECTION: {
			struct net_detection d;

			memcpy(&d, o, sizeof(d));
			detected(s, &d);
			break;
		}
		case R_TICK: {
			int64_t now;

			memcpy(&now, o, sizeof(now));
			net_detect_tick(s->detect, now);
			break;
		}
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

/* Reads fr's capture through its sensor on two threads.  Returns 0 and
 * read_all()'s result in *rc, or -1 when the threads could not be set up
 * (nothing read: the caller reads on one thread). */
static int
read_threaded(struct file_read *fr, int *rc)
{
	struct net_sensor *s = fr->s;
	struct pipe *pp;
	pthread_t th;
	void *b;
	int i, n;

	/* The caller's copies live here: zero but for what records set. */
	if ((pp = aligned_alloc(_Alignof(struct pipe), sizeof(*pp))) == NULL)
		return -1;
	memset(pp, 0, sizeof(*pp));
	pp->s = s;
	pp->fr = fr;
	pp->full_flows = s->conn_log != NULL || s->conn_cb != NULL;
	if ((pp->full = queue_new(PIPE_NBATCH, SIZE_MAX)) == NULL ||
	    (pp->empty = queue_new(PIPE_NBATCH, SIZE_MAX)) == NULL)
		goto fail;
	if ((pp->all[0] = malloc(sizeof(struct batch))) == NULL ||
	    queue_push(pp->empty, pp->all[0], 0, QUEUE_NOWAIT) != 0)
		goto fail;
	pp->nall = 1;
	s->pipe = pp;
	if (pthread_create(&th, NULL, pipe_reader, pp) != 0) {
		s->pipe = NULL;
		goto fail;
	}
	while ((n = pipe_pop(pp->full, &b)) != MAMORI_ECLOSED) {
		pipe_replay(pp, b);
		/* Never full: it holds at most the PIPE_NBATCH batches. */
		(void)queue_push(pp->empty, b, 0, QUEUE_NOWAIT);
	}
	pthread_join(th, NULL);
	s->pipe = NULL;
	*rc = pp->rc;
	for (i = 0; i < pp->nall; i++)
		free(pp->all[i]);
	queue_free(pp->full);
	queue_free(pp->empty);
	free(pp);
	return 0;
fail:
	free(pp->all[0]);
	queue_free(pp->full);
	queue_free(pp->empty);
	free(pp);
	return -1;
}

void
net_sensor_stats(const struct net_sensor *s, struct net_sensor_stats *st)
{
	*st = s->st;
	st->detections = s->detections;
	st->signatures = s->signatures;
	st->conn_records = s->conn_records;
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

/* ---------------------------------------------------------------------
 * Reading a capture file.
 *
 * A classic pcap file (RFC 9... no: draft-ietf-opsawg-pcap; the format
 * libpcap's savefile.c writes) is a 24-byte file header and records of
 * a 16-byte header (seconds, fraction, captured length, length on the
 * wire, in the file's byte order) and the captured bytes.  libpcap
 * reads each record with two fread()s into a buffer of its own; here
 * the file is read with pread() a block of FAST_BUF bytes at a time and
 * packets are handed over where they lie in the block, a batch at a
 * time.  Only what is plainly well formed is read this way: a file of
 * version 2.4 with one of the link types below (whose libpcap snapshot
 * limit is 262144), and records whose captured length is within the
 * file's snapshot length and that lie whole in the file.  At the first
 * record that is not, at a read error or at a cut end, libpcap takes
 * over from that record's offset (the FILE is positioned there), so it
 * reports damage, or copes with it, in its own words as it always did.
 */
#define FAST_BUF	(512 * 1024)	/* more than one largest record */
#define FAST_MAXCAP	262144		/* libpcap's MAXIMUM_SNAPLEN */
#define PCAP_FILE_HDR	24
#define PCAP_REC_HDR	16


static inline uint32_t
rd32(const unsigned char *b, int swapped)
{
	return swapped ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3] : (uint32_t)b[3] << 24 |
	    (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Whether fr's file (libpcap opened it: the header is valid) can be read
 * here; sets the fast fields. */
static int
fast_check(struct file_read *fr)
{
	unsigned char h[PCAP_FILE_HDR];
	const char *e = getenv("MAMORI_NET_LIBPCAP");
	struct stat st;
	uint32_t magic, lt, snap;
	int fd = fileno(fr->f), sw;

	if ((e != NULL && strcmp(e, "1") == 0) || fd < 0 ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	for (sw = 0; sw < 2; sw++) {
		magic = rd32(h, sw);
		if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
			break;
	}
	if (sw == 2)
		return 0;
	/* Version 2.4 only (older ones may have caplen and len the other
	 * way round); the link type with no FCS or other bits. */
	if ((sw ? (h[4] << 8 | h[5]) : (h[5] << 8 | h[4])) != 2 ||
	    (sw ? (h[6] << 8 | h[7]) : (h[7] << 8 | h[6])) != 4)
		return 0;
	lt = rd32(h + 20, sw);
	if (lt != NET_LINK_NULL && lt != NET_LINK_ETHERNET &&
	    lt != NET_LINK_RAW && lt != NET_LINK_LINUX_SLL &&
	    lt != NET_LINK_IPV4 && lt != NET_LINK_IPV6 &&
	    lt != NET_LINK_LINUX_SLL2)
		return 0;
	if (pcap_major_version(fr->pc) != 2 ||
	    pcap_minor_version(fr->pc) != 4 || pcap_snapshot(fr->pc) <= 0 ||
	    !fr->nano)
		return 0;
	snap = (uint32_t)pcap_snapshot(fr->pc);
	fr->swapped = sw;
	fr->nsec = magic == 0xa1b23c4du;
	fr->maxcap = snap < FAST_MAXCAP ? snap : FAST_MAXCAP;
	fr->fast = 1;
	return 1;
}

/*
 * Up to SENSOR_BATCH whole records from buf[*pos..have) into in[]
 * (pointing into buf), *pos moved past them.  Stops early at a record
 * that is not whole yet, or at one libpcap must judge (*odd set).
 * Returns how many.  Inlined twice, once per byte order.
 */
static inline __attribute__((always_inline)) size_t
parse_records(const struct file_read *fr, const unsigned char *buf,
    size_t have, size_t *posp, struct pkt_in *in, int sw, int *odd)
{
	size_t pos = *posp, n = 0;

	while (n < SENSOR_BATCH && have - pos >= PCAP_REC_HDR) {
		const unsigned char *h = buf + pos;
		uint32_t cap = rd32(h + 8, sw);
		/* As libpcap 1.10 takes them: its struct pcap_timeval has
		 * signed 32-bit fields, read as they are in a file of the
		 * machine's byte order, but its SWAPLONG() of a swapped one
		 * gives them unsigned (dates past 2038, odd fractions). */
		int64_t sec = sw ? (int64_t)rd32(h, sw) :
		    (int64_t)(int32_t)rd32(h, sw);
		int64_t frac = sw ? (int64_t)rd32(h + 4, sw) :
		    (int64_t)(int32_t)rd32(h + 4, sw);

		if (cap > fr->maxcap) {
			*odd = 1;
			break;
		}
		if (have - pos - PCAP_REC_HDR < cap)
			break;
		in[n].data = h + PCAP_REC_HDR;
		in[n].caplen = cap;
		in[n].wirelen = rd32(h + 12, sw);
		in[n].ts_ns = sec * NS_PER_SEC +
		    (fr->nsec ? frac : frac * 1000);
		n++;
		pos += PCAP_REC_HDR + cap;
	}
	*posp = pos;
	return n;
}

/*
 * Reads fr's file from its first record through the sensor.  Returns 0
 * at its end (or when the pipe's caller stopped), or 1 with *resume set
 * to the offset of the first record libpcap must take over.
 */
static int
read_fast(struct file_read *fr, off_t *resume)
{
	struct pkt_in in[SENSOR_BATCH];
	unsigned char *buf;
	off_t foff = PCAP_FILE_HDR;	/* of buf[0] in the file */
	size_t have = 0, pos = 0, n, i;
	ssize_t got;
	int fd = fileno(fr->f), sw = fr->swapped, odd;

	*resume = PCAP_FILE_HDR;
	if ((buf = malloc(FAST_BUF)) == NULL)
		return 1;
	for (;;) {
		odd = 0;
		n = sw ? parse_records(fr, buf, have, &pos, in, 1, &odd) :
		    parse_records(fr, buf, have, &pos, in, 0, &odd);
		if (n > 0) {
			if (fr->s != NULL)
				sensor_batch(fr->s, fr->link, in, n);
			else
				for (i = 0; i < n; i++)
					fr->cb(fr->cb_arg, in[i].data,
					    in[i].caplen, in[i].wirelen,
					    in[i].ts_ns);
			if (fr->pp != NULL && fr->pp->stop)
				break;
			if (!odd)
				continue;
		}
		if (odd) {
			*resume = foff + (off_t)pos;
			free(buf);
			return 1;
		}
		/* Whole records only: the rest moves to the front. */
		if (pos > 0) {
			memmove(buf, buf + pos, have - pos);
			foff += (off_t)pos;
			have -= pos;
			pos = 0;
		}
		got = pread(fd, buf + have, FAST_BUF - have, foff +
		    (off_t)have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0 && have == 0)
				break;
			/* A cut record or a read error: libpcap says. */
			*resume = foff;
			free(buf);
			return 1;
		}
		have += (size_t)got;
	}
	free(buf);
	return 0;
}

static void
file_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct file_read *r = (struct file_read *)(void *)arg;

	if (r->s != NULL)
		net_sensor_packet(r->s, r->link, data, h->caplen, h->len,
		    pcap_ts(h, r->nano));
	else
		r->cb(r->cb_arg, data, h->caplen, h->len, pcap_ts(h, r->nano));
	if (r->pp != NULL && r->pp->stop)
		pcap_breakloop(r->pc);
}

/* Every packet of the file through fr's sensor (pcap_dispatch() hands
 * them over without pcap_next_ex()'s per-packet copy of the header).
 * Returns 0, or PCAP_ERROR (pcap_geterr() or fr->err says why) after the
 * packets before the damage. */
static int
read_all(struct file_read *fr)
{
	off_t resume;
	int rc;

	if (fr->fast) {
		if (read_fast(fr, &resume) == 0)
			return 0;
		if (fseeko(fr->f, resume, SEEK_SET) != 0) {
			snprintf(fr->err, sizeof(fr->err), "cannot seek to "
			    "offset %lld: %s", (long long)resume,
			    strerror(errno));
			return PCAP_ERROR;
		}
	}
	while ((rc = pcap_dispatch(fr->pc, -1, file_packet,
	    (u_char *)fr)) > 0)
		;
	return rc == PCAP_ERROR ? PCAP_ERROR : 0;
}

/* Opens path for reading through fr (libpcap checks its header).
 * Returns 0, or MAMORI_EINVAL with "FILE: reason" in err. */
static int
file_open(struct file_read *fr, const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];

	/* Our own FILE with a large buffer: libpcap reads each record
	 * with two small fread()s, and the default 4 KiB buffer makes
	 * that a read() system call every few dozen packets. */
	if ((fr->f = fopen(path, "rb")) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return MAMORI_EINVAL;
	}
	(void)setvbuf(fr->f, NULL, _IOFBF, READ_BUF);
	/* Only one thread at a time reads it: no lock per fread(). */
	(void)__fsetlocking(fr->f, FSETLOCKING_BYCALLER);
	perr[0] = '\0';
	if ((fr->pc = pcap_fopen_offline_with_tstamp_precision(fr->f,
	    PCAP_TSTAMP_PRECISION_NANO, perr)) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", path, perr);
		fclose(fr->f);
		return MAMORI_EINVAL;
	}
	fr->nano = pcap_get_tstamp_precision(fr->pc) ==
	    PCAP_TSTAMP_PRECISION_NANO;
	fr->link = pcap_datalink(fr->pc);
	(void)fast_check(fr);
	return 0;
}

/* Closes fr (and its FILE) after reading path; rc: read_all()'s. */
static int
file_close(struct file_read *fr, const char *path, int rc, char *err,
    size_t errlen)
{
	if (rc == PCAP_ERROR) {
		/* A capture cut short (a tcpdump killed mid-write) is
		 * read up to its last whole packet, and said so. */
		mamori_seterr(err, errlen, "%s: %s (read up to there)", path,
		    fr->err[0] != '\0' ? fr->err : pcap_geterr(fr->pc));
		pcap_close(fr->pc);
		return MAMORI_EIO;
	}
	pcap_close(fr->pc);
	return 0;
}

int
net_sensor_read_file(struct net_sensor *s, const char *path, char *err,
    size_t errlen)
{
	struct file_read fr;
	int rc;

	memset(&fr, 0, sizeof(fr));
	fr.s = s;
	if ((rc = file_open(&fr, path, err, errlen)) != 0)
		return rc;
	if (!use_threads() || read_threaded(&fr, &rc) != 0)
		rc = read_all(&fr);
	return file_close(&fr, path, rc, err, errlen);
}

int
net_capture_read_file(const char *path, net_capture_packet_cb *cb, void *arg,
    char *err, size_t errlen)
{
	struct file_read fr;
	int rc;

	memset(&fr, 0, sizeof(fr));
	fr.cb = cb;
	fr.cb_arg = arg;
	if ((rc = file_open(&fr, path, err, errlen)) != 0)
		return rc;
	return file_close(&fr, path, read_all(&fr), err, errlen);
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
	/*
	 * Not immediate mode: libpcap then takes the kernel's TPACKET_V2
	 * ring, a slot of SNAPLEN bytes a packet, and its default 2 MiB
	 * held 30 packets; an nmap burst (2,000 packets in 0.1 s) overran
	 * it whenever this thread paused, and a scan went unseen
	 * (integration/sensor-server failed one run in three).  With a
	 * timeout the kernel packs packets into blocks (TPACKET_V3): the
	 * buffer holds about CAP_BUFFER / 100 small ones, and a block is
	 * handed over when full or CAP_TIMEOUT_MS after its first packet.
	 */
	(void)pcap_set_snaplen(pc, SNAPLEN);
	(void)pcap_set_promisc(pc, 1);
	(void)pcap_set_timeout(pc, CAP_TIMEOUT_MS);
	(void)pcap_set_buffer_size(pc, CAP_BUFFER);
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
	 * from seeing *stop. */
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
	int rc, i;

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
	/* What the kernel holds already is part of the capture, and so is
	 * its block still filling, which it hands over CAP_TIMEOUT_MS after
	 * that block's first packet. */
	for (i = 0; i < 2; i++) {
		(void)poll(&pfd, 1, 2 * CAP_TIMEOUT_MS);
		while (pcap_dispatch(c->pc, -1, live_packet,
		    (u_char *)c) > 0)
			;
	}
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
