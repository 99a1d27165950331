/*
 * net-sig.h - Suricata/Snort-style signatures for the network sensor.
 *
 * A subset of the Suricata rule language (docs/signatures.md lists what
 * is in it and what is not):
 *
 *   action proto src sport -> dst dport (msg:"..."; content:"..."; ...
 *       sid:N; rev:N;)
 *
 * with actions alert, drop, reject (both reported as alerts: the sensor
 * is passive) and pass; protocols ip, tcp, udp, icmp and http; address
 * and port variables ($HOME_NET, $HTTP_PORTS, ...), lists, ranges and
 * negation; the directions -> and <>; and the options msg, sid, rev,
 * gid, classtype, priority, reference, metadata, content (nocase,
 * offset, depth, distance, within, fast_pattern, |hex|), pcre, flow,
 * flags, dsize, itype, icode, threshold and detection_filter.  A rule
 * file with anything else is refused whole, with FILE:LINE and why.
 *
 * Loading compiles every rule's longest content (or its fast_pattern)
 * into one Vectorscan literal database; per packet one scan finds the
 * candidate rules, which are then verified in full.  TCP payload is
 * matched over a bounded per-direction reassembly window kept in the
 * flow (net-stream.c), so content split across segments matches, once.
 *
 * A loaded set is read-only and may be shared by threads; each thread
 * matches with its own context (struct net_sig_ctx).  A flow must be
 * matched by one context at a time (its stream belongs to that thread).
 */
#ifndef MAMORI_NET_SIG_H
#define MAMORI_NET_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "net/net.h"
#include "net/net-detect.h"
#include "net/net-flow.h"

/* ---------------------------------------------------------------------
 * Variables: name (without '$') to value text, like suricata.yaml's
 * address-groups and port-groups in one table.  A new table has the
 * defaults (docs/signatures.md): HOME_NET the RFC 1918 networks,
 * EXTERNAL_NET !$HOME_NET, the *_SERVERS groups $HOME_NET, HTTP_PORTS
 * the usual web ports, and so on.  Values are checked when a rule uses
 * them, so an error names the rule's line and the variable.
 */
struct net_sig_vars;

/* A table with the defaults; NULL when out of memory.  Caller frees
 * with net_sig_vars_free(). */
struct net_sig_vars *net_sig_vars_new(void);
void net_sig_vars_free(struct net_sig_vars *v);
/* Sets name ([A-Za-z0-9_], 1..63 chars, no '$') to value (copied).
 * Returns 0, MAMORI_EINVAL for a bad name or an empty value, or
 * MAMORI_ENOMEM. */
int net_sig_vars_set(struct net_sig_vars *v, const char *name,
    const char *value);
/* The value of name, or NULL; borrowed until the next set. */
const char *net_sig_vars_get(const struct net_sig_vars *v, const char *name);

/* ---------------------------------------------------------------------
 * Rule sets.
 */
struct net_sigset;

/*
 * Loads the rule file at path, or every *.rules file of the directory
 * at path (in name order, not recursing), resolving variables with vars
 * (borrowed during the call; NULL: the defaults).  Returns 0 and *out
 * (caller frees with net_sigset_free()); MAMORI_ECONFIG with
 * "FILE:LINE: reason" in err (unknown keyword, bad address or port,
 * bad content or pcre, duplicate sid, ...); MAMORI_ESYS with "PATH:
 * reason" when a file cannot be read; MAMORI_ETOOBIG; MAMORI_ENOMEM.
 * On error *out is NULL: nothing is half-loaded.
 */
int net_sig_load(const char *path, const struct net_sig_vars *vars,
    struct net_sigset **out, char *err, size_t errlen);
/* The same for the len bytes of rule text at buf (any bytes; need not be
 * NUL-terminated), named name in errors.  For tests and fuzzing. */
int net_sig_load_buf(const char *name, const char *buf, size_t len,
    const struct net_sig_vars *vars, struct net_sigset **out, char *err,
    size_t errlen);
void net_sigset_free(struct net_sigset *s);
/* Rules in s (pass rules included). */
size_t net_sigset_count(const struct net_sigset *s);

/*
 * The bundled rules directory: $MAMORI_NET_RULES when set, else
 * rules/network beside the executable (see file_bundled_path()).
 * Returns a new string (caller frees) or NULL when not found.
 */
char *net_sig_default_dir(void);

/*
 * The mamori incident category (etc/taxonomy.json id: "scan", "attack",
 * "infection", "backdoor", "intrusion", "dos", "leak", "passive_attack",
 * "other") a Suricata classtype implies; "other" for NULL or unknown
 * names.  Static string.
 */
const char *net_sig_classtype_category(const char *classtype);

/* What a rule says about itself (strings borrowed from the set). */
struct net_sig_info {
	uint32_t	 sid, gid, rev;
	const char	*msg;		/* "" when none */
	const char	*classtype;	/* NULL when none */
	const char	*category;	/* metadata "mamori_category X", else
					   from the classtype */
	int		 priority;	/* 1 (high) .. 4; priority: or the
					   classtype's; 3 without either */
	const char	*action;	/* "alert", "drop", "reject", "pass" */
	const char	*file;		/* where it was loaded from */
	int		 line;
};

/* Fills *out for the rule with sid (gid 1 first, else any gid).
 * Returns 0 or MAMORI_ENOTFOUND. */
int net_sig_info(const struct net_sigset *s, uint32_t sid,
    struct net_sig_info *out);

/* ---------------------------------------------------------------------
 * Matching.
 */
struct net_sig_conf {
	uint32_t	 stream_window;	/* bytes kept per TCP direction;
					   default 4096, 256..1048576 */
	uint32_t	 stream_ooo;	/* bytes past a hole where segments
					   are held per direction; default
					   16384, 0..1048576 */
	size_t		 stream_memcap;	/* reassembly memory per context;
					   default 128 MiB */
	uint32_t	 threshold_slots;	/* threshold/detection_filter
					   table entries; default 16384,
					   rounded up to a power of 2 */
};

/* Fills c with the defaults above. */
void net_sig_conf_init(struct net_sig_conf *c);

struct net_sig_stats {
	uint64_t	 packets;	/* given to net_sig_packet() */
	uint64_t	 scans;		/* Vectorscan scans */
	uint64_t	 stream_updates;	/* reassembled windows matched */
	uint64_t	 candidates;	/* rules verified */
	uint64_t	 matches;	/* rules that matched */
	uint64_t	 alerts;	/* detections reported */
	uint64_t	 suppressed;	/* matches held back by threshold,
					   detection_filter or pass */
	uint64_t	 budget_exhausted;	/* verifications given up
					   (pathological rule/payload) */
	uint64_t	 threshold_evicted;	/* state entries reused while
					   live (the table was full) */
	uint64_t	 stream_gaps;	/* holes skipped in TCP streams */
	uint64_t	 stream_ooo;	/* segments held out of order */
	uint64_t	 stream_memcap;	/* directions not reassembled for
					   lack of memory (matched per
					   packet instead) */
	size_t		 stream_mem;	/* bytes held by streams now */
};

struct net_sig_ctx;

/*
 * A matching context for one thread over s (borrowed: s must outlive
 * it), with the default settings or with c.  Allocates all it needs
 * (Vectorscan scratch, PCRE2 match data and JIT stack, candidate lists,
 * the threshold table); matching then allocates only a flow's stream
 * buffers, once per flow and direction.  NULL when out of memory.
 */
struct net_sig_ctx *net_sig_ctx_new(const struct net_sigset *s);
struct net_sig_ctx *net_sig_ctx_new_conf(const struct net_sigset *s,
    const struct net_sig_conf *c);
/* Streams already in flows stay valid after the context is freed. */
void net_sig_ctx_free(struct net_sig_ctx *c);

/*
 * Matches packet p (decoded) of flow f (may be NULL) in direction dir
 * (0: originator to responder, i.e. to_server) and calls cb for each
 * rule that fires: kind "signature", type the classtype (NULL without),
 * sid, text the msg, severity 4 - priority (at least 1), src, dst,
 * ports and proto from p, count 1 (or the hits counted by a threshold).
 * Drop and reject rules report like alert; a matching pass rule
 * silences the packet.  TCP payload is matched over f's reassembled
 * stream, kept in f->ext[NET_FLOW_EXT_STREAM] (created here, freed with
 * the flow by its free function); call this for every packet of the flow,
 * pure ACKs included, so that the stream sees acknowledgements.  The
 * detection passed to cb is valid only during the call.
 */
void net_sig_packet(struct net_sig_ctx *c, const struct net_pkt *p,
    struct net_flow *f, int dir, net_detect_cb *cb, void *arg);

void net_sig_ctx_stats(const struct net_sig_ctx *c, struct net_sig_stats *st);

#endif
