/*
 * net-sig-int.h - what the signature parser (net-sig-parse.c), matcher
 * (net-sig-match.c) and TCP reassembly (net-stream.c) share.  Not for
 * other modules: net-sig.h is the interface.
 */
#ifndef MAMORI_NET_SIG_INT_H
#define MAMORI_NET_SIG_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>
#include <pcre2.h>

#include "net/net.h"
#include "net/net-sig.h"

/* Limits on what one rule may hold (a third-party rule beyond them is
 * refused with a message, not truncated). */
#define SIG_MAX_ELEMS		64	/* content and pcre options */
#define SIG_MAX_CONTENT		2048	/* bytes of one content */
#define SIG_MAX_PCRE		8192	/* bytes of one pcre pattern */
#define SIG_MAX_RULE		65536	/* bytes of one rule (lines joined) */
#define SIG_MAX_FILE		(64u << 20)	/* bytes of one rule file */
#define SIG_MAX_NEST		16	/* list and variable nesting */
#define SIG_MAX_NODES		4096	/* address nodes / port steps of one
					   address or port field */

enum sig_action { SIG_ALERT, SIG_DROP, SIG_REJECT, SIG_PASS };
enum sig_proto { SIG_P_IP, SIG_P_TCP, SIG_P_UDP, SIG_P_ICMP, SIG_P_HTTP };

/* Where a rule's payload options are matched. */
enum sig_mode {
	SIG_MODE_NONE,		/* no content/pcre: header tests only */
	SIG_MODE_PACKET,	/* the packet's payload */
	SIG_MODE_STREAM,	/* the TCP stream window (the packet's payload
				   when the flow has no stream) */
};

/* An address expression: a tree evaluated per candidate packet. */
enum { SIG_AN_ANY, SIG_AN_CIDR, SIG_AN_LIST };
struct sig_anode {
	uint8_t		 kind;
	uint8_t		 neg;
	uint8_t		 family;	/* CIDR: 4 or 6 */
	uint8_t		 prefix;	/* CIDR: bits */
	uint8_t		 a[16];		/* CIDR: network, host bits zero */
	uint32_t	 n;		/* LIST: elements */
	struct sig_anode *kids;		/* LIST */
};

/* A port set: sorted, disjoint, inclusive ranges; NULL ports = any. */
struct sig_ports {
	uint32_t	 n;
	uint16_t	(*r)[2];
};

/* An integer test (dsize, itype, icode): Suricata's integer forms. */
enum { SIG_NUM_EQ, SIG_NUM_NE, SIG_NUM_LT, SIG_NUM_LE, SIG_NUM_GT,
    SIG_NUM_GE, SIG_NUM_RANGE, SIG_NUM_NRANGE };
struct sig_num {
	uint8_t		 set;
	uint8_t		 op;
	uint32_t	 a, b;
};

/* A content or pcre option, in rule order. */
enum { SIG_EL_CONTENT, SIG_EL_PCRE };
struct sig_elem {
	uint8_t		 kind;
	uint8_t		 neg;
	uint8_t		 nocase;
	uint8_t		 relative;	/* distance/within, or pcre R */
	uint8_t		 fast;		/* fast_pattern given */
	uint8_t		 has_offset, has_depth, has_distance, has_within;
	uint8_t		 anchored;	/* pcre: ^ without /m, \A or /A */
	uint32_t	 offset;
	uint32_t	 depth;		/* as written (from offset) */
	int32_t		 distance;
	uint32_t	 within;
	uint8_t		*pat;		/* content bytes (lower case when
					   nocase) */
	uint32_t	 len;
	pcre2_code	*re;		/* pcre */
};

enum { SIG_THR_LIMIT, SIG_THR_THRESHOLD, SIG_THR_BOTH, SIG_THR_DETECTION };
enum { SIG_TRACK_SRC, SIG_TRACK_DST, SIG_TRACK_BOTH, SIG_TRACK_RULE };
struct sig_thr {
	uint8_t		 set;
	uint8_t		 type;
	uint8_t		 track;
	uint32_t	 count;
	uint32_t	 seconds;
};

#define SIG_FLOW_TO_SERVER	0x01
#define SIG_FLOW_TO_CLIENT	0x02
#define SIG_FLOW_ESTABLISHED	0x04
#define SIG_FLOW_NOT_EST	0x08
#define SIG_FLOW_STATELESS	0x10
#define SIG_FLOW_ONLY_STREAM	0x20
#define SIG_FLOW_NO_STREAM	0x40

enum { SIG_FLAGS_EXACT, SIG_FLAGS_PLUS, SIG_FLAGS_ANY, SIG_FLAGS_NOT };

struct sig_rule {
	uint32_t	 idx;		/* position in the set */
	uint32_t	 sid, gid, rev;
	uint8_t		 action;	/* enum sig_action */
	uint8_t		 proto;		/* enum sig_proto */
	uint8_t		 bidir;		/* <> */
	uint8_t		 mode;		/* enum sig_mode */
	int		 priority;	/* 1..255 */
	const char	*msg;
	const char	*classtype;
	const char	*category;
	const char	*file;
	int		 line;
	struct sig_anode *src, *dst;	/* NULL: any */
	struct sig_ports *sp, *dp;	/* NULL: any */
	uint8_t		 flow;		/* SIG_FLOW_* */
	uint8_t		 has_flags;
	uint8_t		 flags_mod;
	uint8_t		 flags;
	uint8_t		 flags_mask;	/* bits compared (ignored ones 0) */
	struct sig_num	 dsize, itype, icode;
	struct sig_thr	 thr;
	uint32_t	 nelem;
	struct sig_elem	*elem;
	int		 fast;		/* element of the prefilter literal, or
					   -1 */
	int		 has_positive;	/* a content/pcre that must be found */
};

/* A Vectorscan database over one matching mode's rules. */
struct sig_db {
	hs_database_t	*db;		/* NULL: no prefilter */
	uint32_t	*always;	/* rules to verify on every buffer, in
					   set order */
	uint32_t	 nalways;
	uint32_t	 nrules;	/* rules of this mode */
	/* When every rule here names its destination ports: the ports a
	 * packet must go to (or, for a <> rule, come from) for any rule
	 * to pass its header test, as 65536 bits; NULL when some rule
	 * takes any.  A buffer no rule can match is then neither scanned
	 * nor verified (a UDP reflection flood against rules for port 69
	 * and 1434, web traffic against a rule for port 135). */
	uint64_t	*dports;
	uint64_t	*bports;	/* the same for <> rules' source side;
					   NULL: none */
	uint32_t	 maxlit;	/* the longest literal's bytes */
};

/* A block of the set's arena. */
struct sig_block;

/* Packet classes, each with its own packet database: a TCP packet is
 * scanned only for rules that can match TCP. */
enum { SIG_PC_TCP, SIG_PC_UDP, SIG_PC_ICMP, SIG_PC_OTHER, SIG_PC_N };

struct net_sigset {
	struct sig_rule	*rules;
	uint32_t	 n, cap;
	struct sig_block *arena;
	struct sig_db	 pkt[SIG_PC_N];	/* packet-mode rules by class
					   (SIG_MODE_NONE ones in always) */
	struct sig_db	 stream;
	struct sig_ports *http_ports;	/* $HTTP_PORTS, for http rules on
					   flows not seen to start */
	int		 has_stream;	/* any stream-mode rule */
	int		 has_http;
};

/* net-sig-match.c: builds s->pkt and s->stream (after parsing). */
int sig_db_build(struct net_sigset *s, char *err, size_t errlen);
void sig_db_free(struct net_sigset *s);

/* The port set contains port. */
int sig_ports_has(const struct sig_ports *ps, uint16_t port);

/* ---------------------------------------------------------------------
 * net-stream.c: bounded per-direction TCP reassembly.
 *
 * Each direction keeps the last `window` bytes of its stream, in order.
 * In-order data is appended as it comes; data ahead of a hole is held
 * (up to `ooo` bytes past the hole) until the hole fills; overlaps keep
 * the bytes that came first; sequence numbers wrap.  A hole the
 * receiver acknowledges (we lost the segment, it did not), or one wider
 * than the hold area, is skipped: the window restarts after it, so no
 * match spans bytes that were never seen.  After each update the
 * callback sees the window with the offset where the new bytes begin;
 * a window update adds at most window/2 bytes, so every new byte is
 * seen with at least window/2 bytes of what came before it.
 */
struct net_stream_mem {
	size_t		 used, cap;
	int		 refs;		/* the context and each stream */
	uint64_t	 gaps, ooo, refused;
	/* When keep_spare is set (the matching context's account), freed
	 * streams are kept for the next flows (most TCP flows of a scan or
	 * flood are a SYN and nothing more; a list through their first
	 * word) and freed with m. */
	int		 keep_spare;
	void		*spare;
	size_t		 nspare;
};

/* Returns m with one more reference. */
struct net_stream_mem *net_stream_mem_ref(struct net_stream_mem *m);
void net_stream_mem_unref(struct net_stream_mem *m);

enum { NET_STREAM_APP_UNKNOWN, NET_STREAM_APP_HTTP, NET_STREAM_APP_OTHER };

/*
 * What the matcher keeps of one direction's earlier window updates
 * (net-sig-match.c's; zero in a new stream), so that an update scans its
 * new bytes (and the few before them a literal may start in) rather
 * than the whole window again: the rules whose literal earlier scans
 * found, each with the stream offset up to which that occurrence may
 * still lie in the window.  Those are verified again as long as it may.
 * When more rules are found than there is room for, whole windows are
 * scanned until the window starts at full_until.
 */
#define NET_STREAM_CARRY	8
struct net_stream_carry {
	uint64_t	 until[NET_STREAM_CARRY];
	uint32_t	 rule[NET_STREAM_CARRY];
	uint32_t	 n;
	uint64_t	 full_until;
};

/* Direction dir's window win[0..wlen) was updated: bytes from newoff on
 * are new; base is the stream offset of win[0] (bytes since the
 * direction began, holes included).  dir may be the other direction
 * than the packet's: its acknowledgement can release held data. */
typedef void net_stream_data_cb(void *arg, int dir, const uint8_t *win,
    uint32_t wlen, uint32_t newoff, uint64_t base);

struct net_stream;

/* A stream for one flow, charged to m (a reference is taken).  NULL when
 * out of memory or over m's cap.  It begins with its struct
 * net_flow_ext: the flow's NET_FLOW_EXT_STREAM slot holds the stream
 * itself, which the flow table frees when the flow ends. */
struct net_stream *net_stream_new(struct net_stream_mem *m, uint32_t window,
    uint32_t ooo);
/* Frees s (NULL: nothing). */
void net_stream_free(void *s);

/*
 * Until a flow's first payload it has no stream: its SYNs, FINs and
 * acknowledgements go to q (the flow's sig_seq, zero at first) through
 * net_stream_pre(), with what net_stream_packet() would do to a stream
 * without windows (gaps counted in m); net_stream_start() then gives a
 * new stream that state.  A SYN flood's flows thus cost no allocation.
 */
void net_stream_pre(struct net_flow_tcpseq q[2], struct net_stream_mem *m,
    int dir, const struct net_pkt *p);
void net_stream_start(struct net_stream *s, const struct net_flow_tcpseq q[2]);

/*
 * Feeds TCP packet p of direction dir (0 originator) to s: its ACK moves
 * the other direction past holes, its payload is placed, and cb runs for
 * each window update.  Returns 0, or 1 when dir is not reassembled (no
 * memory for its buffers; match p's payload itself).
 */
int net_stream_packet(struct net_stream *s, int dir, const struct net_pkt *p,
    net_stream_data_cb *cb, void *arg);

/* Direction dir's struct net_stream_carry (dir & 1), borrowed. */
struct net_stream_carry *net_stream_carry(struct net_stream *s, int dir);

/* Whether the flow's client began with an HTTP request (or its server
 * with an HTTP response): NET_STREAM_APP_*. */
int net_stream_app(const struct net_stream *s);

#endif
