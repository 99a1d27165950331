/*
 * net-flow.h - bidirectional flows: a table keyed by the 5-tuple (either
 * direction), TCP state, timeouts and a memory cap, and the record of
 * each flow as Zeek's conn.log has it.
 */
#ifndef MAMORI_NET_FLOW_H
#define MAMORI_NET_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"

/* Extension slots other modules keep per flow (each freed with its
 * free function when the flow ends). */
struct net_flow_ext;
#define NET_FLOW_EXT_STREAM	0	/* TCP reassembly (signatures) */
#define NET_FLOW_EXT_SIG	1	/* signature flowbits/state */
#define NET_FLOW_EXT_DETECT	2	/* detectors */
#define NET_FLOW_NEXT		4

/* TCP state of one side (Zeek's conn_state is derived from both). */
enum net_tcp_state {
	NET_TCP_NONE = 0,	/* nothing seen from this side */
	NET_TCP_SYN_SENT,	/* SYN seen */
	NET_TCP_SYN_ACK,	/* SYN+ACK seen */
	NET_TCP_ESTABLISHED,	/* ACK after the handshake, or data */
	NET_TCP_FIN,		/* FIN seen */
	NET_TCP_RST,		/* RST seen */
	NET_TCP_PARTIAL,	/* started mid-connection (no SYN seen) */
};

/* What the signatures' TCP reassembly knows of one direction before the
 * flow carries any payload (net-stream.c keeps it; zero in a new flow).
 * Kept in the flow itself so that the many flows that never carry data
 * (a SYN flood's, a scan's) cost no reassembly allocation at all: the
 * stream is made at the first payload and starts from this. */
struct net_flow_tcpseq {
	uint64_t	 off;		/* stream offset of next_seq */
	uint32_t	 next_seq;	/* the next byte expected */
	uint32_t	 fin_seq;	/* sequence number of the FIN */
	uint8_t		 init;		/* next_seq is known */
	uint8_t		 fin;		/* a FIN was seen */
	uint8_t		 synstart;	/* began with a SYN */
};

struct net_flow {
	/*
	 * What the detectors (net-detect*.c) read comes first and together:
	 * the sensor's reader thread hands them this much of the flow with
	 * every packet (up to NET_FLOW_DETECT_END), not the whole struct.
	 * A field a detector starts to read must move up here.
	 */
	int64_t		 first_ns, last_ns;
	/* The originator is the side that sent the first packet seen
	 * (for TCP, the SYN's sender when the SYN is seen). */
	struct net_addr	 orig_h, resp_h;
	uint16_t	 orig_p, resp_p;	/* ICMP: type and code */
	uint8_t		 proto;
	uint8_t		 orig_flags, resp_flags;	/* TCP flags seen, OR'd */
	int		 established;	/* TCP handshake completed */
	uint64_t	 orig_pkts, resp_pkts;
	uint64_t	 orig_bytes, resp_bytes;	/* payload bytes (Zeek) */

	/* The rest: conn.log and the reader's own. */
	uint64_t	 orig_ip_bytes, resp_ip_bytes;
	enum net_tcp_state orig_state, resp_state;
	int		 ended;		/* both FIN, or RST */
	uint16_t	 vlan;
	char		 uid[20];	/* "C" + 17 base62 chars, like Zeek */
	char		 history[24];	/* Zeek history letters, bounded */
	uint8_t		 sig_started;	/* sig_seq is being kept */
	struct net_flow_tcpseq sig_seq[2];	/* originator, responder */
	struct net_flow_ext *ext[NET_FLOW_NEXT];
};

/* What an extension slot holds begins with this: how the flow table
 * frees it when the flow ends (NULL: it is left alone).  In the object
 * rather than beside its slot, so that a flow is a cache line smaller
 * (a flood's flows each cost their lines twice, made and ended). */
struct net_flow_ext {
	void		(*free)(struct net_flow_ext *);
};

/* The end of the part of struct net_flow the detectors read. */
#define NET_FLOW_DETECT_END	offsetof(struct net_flow, orig_ip_bytes)

struct net_flow_conf {
	size_t		 max_flows;	/* memory cap; default 262144 */
	int64_t		 tcp_timeout_ns;	/* established idle; 1 h */
	int64_t		 tcp_embryonic_ns;	/* before the handshake; 30 s */
	int64_t		 tcp_closed_ns;	/* after FIN/RST; 5 s */
	int64_t		 udp_timeout_ns;	/* 60 s */
	int64_t		 icmp_timeout_ns;	/* 30 s */
	int64_t		 other_timeout_ns;	/* 60 s */
	uint64_t	 uid_seed;	/* mixed into every uid; 0 by default.
					   The same seed gives the same uids
					   in the same order (tests); a
					   sensor sets a random one so runs
					   do not repeat uids. */
};

/* Fills c with the defaults above. */
void net_flow_conf_init(struct net_flow_conf *c);

/* Why a flow ended. */
enum net_flow_end {
	NET_FLOW_END_TIMEOUT,	/* idle past its timeout */
	NET_FLOW_END_EVICTED,	/* pushed out by the memory cap */
	NET_FLOW_END_FLUSH,	/* the capture ended */
};

struct net_flow_stats {
	uint64_t	 created;
	uint64_t	 ended;
	uint64_t	 evicted;	/* by the cap, oldest first */
	uint64_t	 active;
	uint64_t	 peak;
};

/* Called for each flow that ends, before its ext slots are freed. */
typedef void net_flow_end_cb(void *arg, const struct net_flow *f,
    enum net_flow_end why);

struct net_flow_table;

/* A new table (NULL when out of memory); c copied. */
struct net_flow_table *net_flow_table_new(const struct net_flow_conf *c,
    net_flow_end_cb *cb, void *arg);
/* Ends every flow (NET_FLOW_END_FLUSH) and frees the table. */
void net_flow_table_free(struct net_flow_table *t);

/* Whether new flows get a uid (on by default).  Off, f->uid is empty
 * and flows cost less to make; the uid sequence goes on all the same,
 * so flows made after turning it back on get the uids they would have
 * had. */
void net_flow_table_set_uids(struct net_flow_table *t, int on);

/*
 * The flow of packet p (IPv4/IPv6 with TCP, UDP, ICMP or another
 * protocol; NULL for non-IP packets, fragments after the first, or when
 * out of memory), created if new; its counters and TCP state are
 * updated.  *dir is 0 when p goes from originator to responder, 1 the
 * other way; *is_new (may be NULL) says whether p created it.  Also ends
 * flows that timed out before p's time (at most a bounded number per
 * call, so the cost stays flat).
 */
struct net_flow *net_flow_update(struct net_flow_table *t,
    const struct net_pkt *p, int *dir, int *is_new);

/*
 * The same in two steps, for a caller that holds several decoded packets
 * at once: net_flow_key() works out a packet's key and hash (reading
 * only the table's hash secrets), net_flow_prefetch() asks the CPU for the index
 * slot it leads to and net_flow_prefetch_hit() for the flow found there,
 * and net_flow_update_key() then does what net_flow_update() does.  A
 * table the size of a busy link's does not fit the caches: each lookup
 * otherwise waits for memory twice.  Prefetches are hints, always safe,
 * whatever happened to the table since the key was made; k must be p's
 * and p unchanged.
 */
struct net_flow_key {
	uint64_t	 w[6];		/* the key (net-flow.c's layout) */
	uint64_t	 hash;
	uint8_t		 src_is_lo;	/* p's source is the key's low side */
	uint8_t		 ok;		/* 0: p has no flow */
};

void net_flow_key(const struct net_flow_table *t, const struct net_pkt *p,
    struct net_flow_key *k);
void net_flow_prefetch(const struct net_flow_table *t,
    const struct net_flow_key *k);
void net_flow_prefetch_hit(const struct net_flow_table *t,
    const struct net_flow_key *k);
struct net_flow *net_flow_update_key(struct net_flow_table *t,
    const struct net_pkt *p, const struct net_flow_key *k, int *dir,
    int *is_new);

/* Ends the flows idle past their timeout at now_ns. */
void net_flow_expire(struct net_flow_table *t, int64_t now_ns);

void net_flow_stats(const struct net_flow_table *t, struct net_flow_stats *s);

/* Zeek's conn_state for f: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0,
 * RSTRH, SH, SHR, OTH. */
const char *net_flow_conn_state(const struct net_flow *f);

/*
 * f as one line of JSON with Zeek conn.log's fields (ts, uid, id.orig_h,
 * id.orig_p, id.resp_h, id.resp_p, proto, duration, orig_bytes,
 * resp_bytes, conn_state, history, orig_pkts, resp_pkts,
 * orig_ip_bytes, resp_ip_bytes), no newline.  Returns a new string
 * (caller frees) or NULL when out of memory.
 */
char *net_flow_conn_json(const struct net_flow *f);

#endif
