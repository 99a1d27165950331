/*
 * rules.h - the rules engine: OSSEC/Wazuh decoders and rules.
 *
 * A ruleset (struct rules_set) is loaded once from decoder and rule files
 * and is read-only afterwards: any number of threads analyse events with
 * it, each through its own context (struct rules_ctx), which holds the
 * matching scratch and the correlation state (frequency, timeframe,
 * if_matched_*) of the events it saw.  A reload builds a new set beside
 * the old one; the old one serves until the new one loaded cleanly.
 *
 * One event goes through three phases, as in OSSEC's analysisd:
 *   1. pre-decoding: the syslog header gives hostname, program name,
 *      timestamp and the message ("log");
 *   2. decoding: the first top-level decoder that matches, then its first
 *      matching child, extract fields (srcip, user, url, ...);
 *   3. rules: the rule tree is walked; the deepest matching rule wins.
 */
#ifndef MAMORI_RULES_H
#define MAMORI_RULES_H

#include <stddef.h>
#include <stdint.h>

struct rules_set;
struct rules_ctx;

/* Fields the decoders and rules know by name (OSSEC's fixed set). */
enum rules_fid {
	RULES_F_SRCIP = 0,
	RULES_F_DSTIP,
	RULES_F_SRCPORT,
	RULES_F_DSTPORT,
	RULES_F_PROTOCOL,
	RULES_F_ACTION,
	RULES_F_SRCUSER,
	RULES_F_DSTUSER,
	RULES_F_ID,
	RULES_F_STATUS,
	RULES_F_URL,
	RULES_F_DATA,		/* extra_data */
	RULES_F_SYSTEM_NAME,
	RULES_F_NFIXED
};

/* Name of a fixed field as OSSEC prints it ("srcip", "dstuser", ...). */
const char *rules_field_name(enum rules_fid f);

/* A decoded field: a fixed one or, from Wazuh-style decoders and the JSON
 * decoder, any other name. */
struct rules_kv {
	const char	*name;
	const char	*value;
};

#define RULES_MAX_GROUPS	32
#define RULES_MAX_DYN		64

/*
 * What one event came to.  Every string is borrowed from the context
 * until its next rules_process() call; absent strings are NULL.
 */
struct rules_result {
	/* Phase 1 */
	const char	*full_log;
	const char	*hostname;
	const char	*program_name;
	const char	*timestamp;
	const char	*log;
	const char	*location;
	/* Phase 2 */
	int		 accumulated;		/* the decoder accumulates */
	int		 decoding;		/* some decoder was tried (OSSEC
						   prints no phase 2 when the
						   list for the event is empty) */
	const char	*decoder;		/* top-level decoder's name */
	const char	*decoder_parent;	/* for a child: its parent */
	const char	*decoder_own;		/* the decoder that matched */
	const char	*fields[RULES_F_NFIXED];
	int		 ndyn;			/* dyn[] entries */
	int		 norder;		/* order[] entries */
	/* Phase 3 */
	int		 matched;		/* a rule matched */
	int		 alert;			/* ... and it raises an alert */
	uint32_t	 rule_id;
	int		 level;
	const char	*description;		/* $(field) expanded */
	const char	*groups[RULES_MAX_GROUPS];
	int		 ngroups;
	const char	*info;			/* the first <info> text */
	const char	*info_kind[8];		/* "Text", "Link", "CVE", ... */
	const char	*info_text[8];
	int		 ninfo;
	const char	*mitre[16];
	int		 nmitre;
	uint64_t	 firedtimes;
	/* Other fields, in order; and the order in which the decoder set
	 * the fields (fixed and dynamic alike), for printing them as
	 * ossec-logtest does.  Only the first ndyn / norder are set. */
	struct rules_kv	 dyn[RULES_MAX_DYN];
	struct rules_kv	 order[RULES_F_NFIXED + RULES_MAX_DYN];
};

/*
 * Loading.  rules_set_new() returns an empty set (NULL when out of
 * memory).  rules_set_load() adds what path holds: a decoder file, a rule
 * file, a CDB list source, or a directory (its *.xml files in name order,
 * decoders before rules).  Rules may only refer to rules loaded before
 * them (if_sid), as in OSSEC.  rules_set_finish() resolves and checks
 * everything; after it the set is read-only.  Each returns 0, or
 * MAMORI_ECONFIG with "file:line: reason" in err; after an error the set
 * must be freed, never used.
 */
struct rules_set *rules_set_new(void);
int rules_set_load(struct rules_set *rs, const char *path, char *err,
    size_t errlen);
int rules_set_finish(struct rules_set *rs, char *err, size_t errlen);
void rules_set_free(struct rules_set *rs);

/* Counts, for messages ("loaded 335 decoders and 1126 rules"). */
size_t rules_set_ndecoders(const struct rules_set *rs);
size_t rules_set_nrules(const struct rules_set *rs);

/*
 * Analysis.  A context is one thread's; it holds correlation state for
 * the events it processed (bounded: the oldest is dropped first).
 * rules_process() analyses one raw line (a syslog line as received, or
 * any text) from location (a file name, "stdin", or a host's address), at
 * time now_ns (for frequency and timeframe), into *res.  Returns 0 or
 * MAMORI_ENOMEM.
 */
struct rules_ctx *rules_ctx_new(const struct rules_set *rs);
void rules_ctx_free(struct rules_ctx *ctx);
/* The host name events without one get (default: this machine's short
 * name, as OSSEC does). */
void rules_ctx_set_hostname(struct rules_ctx *ctx, const char *name);
int rules_process(struct rules_ctx *ctx, const char *line, size_t len,
    const char *location, int64_t now_ns, struct rules_result *res);

/*
 * The line the decoders see for a received syslog event (parsed by
 * syslog_parse()): "Mmm dd hh:mm:ss host program[pid]: message", the BSD
 * header OSSEC/Wazuh rulesets are written for, rebuilt from the parsed
 * fields whatever the wire format was.  Unparsed events give their raw
 * text.  Writes at most len bytes including the NUL; returns the length.
 */
struct event;
size_t rules_event_line(const struct event *ev, char *buf, size_t len);

#endif
