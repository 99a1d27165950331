/*
 * rules-int.h - the rules engine's inner structures, shared by its files:
 * rules-predecode.c (syslog header), rules-decoder.c (decoders),
 * rules-rule.c (rule loading and the tree), rules-eval.c (matching and
 * correlation), rules-set.c (sets, contexts, rules_process()),
 * rules-list.c (CDB lists), rules-plugin.c (plugin decoders).
 *
 * The semantics follow OSSEC's analysisd (classic 2.8-3.x), with the
 * Wazuh 4.x syntax accepted as well; docs/rules.md lists the differences.
 */
#ifndef MAMORI_RULES_INT_H
#define MAMORI_RULES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rules-pat.h"
#include "rules/rules-xml.h"
#include "rules/rules.h"

/* Decoder types, which top-level rules compare as their category. */
enum rules_type {
	RT_SYSLOG = 0,
	RT_FIREWALL,
	RT_IDS,
	RT_WEBLOG,
	RT_SQUID,
	RT_WINDOWS,
	RT_HOSTINFO,
	RT_OSSEC,
	RT_OSSEC_ALERT,		/* internal: the OSSEC alert plugin */
	RT_NTYPES
};

int rules_type_parse(const char *s);	/* -1 if unknown */

/* Offsets a decoder's prematch or regex may start from. */
enum rules_off {
	ROFF_NONE = 0,
	ROFF_AFTER_PARENT,
	ROFF_AFTER_PREMATCH,
	ROFF_AFTER_REGEX,
};

enum rules_plugin {
	RPLUG_NONE = 0,
	RPLUG_PF,
	RPLUG_SYMANTECWS,
	RPLUG_SONICWALL,
	RPLUG_OSSECALERT,
	RPLUG_JSON,
};

/* Where a capture of <order> goes: a fixed field, or a dynamic one. */
struct rules_ord {
	int	 fid;		/* enum rules_fid, or -1: dynamic */
	char	*name;		/* the dynamic field's name */
};

/* FTS / ignore selections. */
#define RFTS_NAME	0x001
#define RFTS_ID		0x002
#define RFTS_DSTUSER	0x004
#define RFTS_SRCUSER	0x008
#define RFTS_SRCIP	0x010
#define RFTS_DSTIP	0x020
#define RFTS_LOCATION	0x040
#define RFTS_DATA	0x080
#define RFTS_SYSNAME	0x100

struct rules_dec {
	char		*name;		/* its own name */
	const char	*shown;		/* name printed: the parent's for a
					   child without use_own_name */
	int		 id;		/* name id (decoded_as compares it) */
	char		*parent;	/* parent's name, NULL at top level */
	struct rules_pat *program_name;
	struct rules_pat *prematch;
	int		 prematch_off;
	int		 prematch_pf;	/* prefilter id, -1: none */
	struct rules_pat *regex;
	int		 regex_off;
	int		 regex_pf;
	struct rules_ord *order;
	int		 norder;
	unsigned	 fts;
	int		 type;		/* enum rules_type */
	int		 use_own_name;
	int		 accumulate;
	int		 plugin;	/* enum rules_plugin */
	int		 plugin_off;
	int		 json_null;	/* JSON: 0 discard, 1 as "null" */
	int		 json_array_csv;
	int		 get_next;	/* same-name sibling follows */
	struct rules_dec **children;
	size_t		 nchildren;
	const char	*file;
	int		 line;
};

/* One srcip/dstip entry. */
struct rules_ip {
	int		 family;	/* 4 or 6; 0: any */
	uint8_t		 net[16];
	int		 bits;
	int		 negate;
};

struct rules_iplist {
	struct rules_ip	*v;
	int		 n;
	int		 negate;	/* Wazuh negate="yes" on the element */
};

/* A pattern condition on a field. */
struct rules_cond {
	struct rules_pat *pat;
	int		 negate;
	int		 pf;		/* prefilter id (conditions on the log),
					   -1: none */
};

/* <field name="x">: a condition on a dynamic (or fixed) field. */
struct rules_fcond {
	char		*name;
	int		 fid;		/* fixed field, or -1 */
	struct rules_cond c;
};

enum rules_lookup {
	RL_MATCH_KEY = 0,
	RL_NOT_MATCH_KEY,
	RL_MATCH_KEY_VALUE,
	RL_ADDRESS_MATCH_KEY,
	RL_NOT_ADDRESS_MATCH_KEY,
	RL_ADDRESS_MATCH_KEY_VALUE,
};

struct rules_cdb;

struct rules_listref {
	struct rules_cdb *cdb;		/* NULL: list not loaded */
	int		 field;		/* enum rules_fid, or RLF_* below */
	char		*dyn;		/* dynamic field name */
	int		 lookup;	/* enum rules_lookup */
	struct rules_pat *check_value;
};
#define RLF_USER		100
#define RLF_HOSTNAME		101
#define RLF_PROGRAM_NAME	102

/* Correlation flags. */
#define RSAME_SRCIP	0x0001
#define RSAME_SRCPORT	0x0002
#define RSAME_DSTPORT	0x0004
#define RSAME_USER	0x0008
#define RSAME_LOCATION	0x0010
#define RSAME_ID	0x0020
#define RSAME_DSTIP	0x0040
#define RDIFF_URL	0x0100
#define RDIFF_SRCIP	0x0200
#define RSAME_FIELD	0x0400	/* same_fields[] */
#define RDIFF_FIELD	0x0800	/* diff_fields[] */

struct rules_rule;
typedef int (*rules_compiled_fn)(const struct rules_result *r);

#define RINFO_TEXT	0
#define RINFO_LINK	1
#define RINFO_CVE	2
#define RINFO_OSVDB	3

struct rules_info {
	int	 type;
	char	*text;
};

struct rules_rule {
	uint32_t	 id;
	int		 level;
	int		 ilevel;	/* sort key among siblings */
	int		 index;		/* position in the set, for state */
	int		 maxsize;
	int		 frequency;
	int		 timeframe;	/* seconds */
	int		 ignore_time;	/* seconds */
	int		 noalert;
	int		 category;	/* enum rules_type */
	int		 log_alert;	/* options: no_log clears it */
	char		*groups;	/* "a,b,c," as OSSEC builds it */
	char		**glist;	/* split, for output */
	int		 nglist;
	char		*description;
	struct rules_info *info;
	int		 ninfo;
	char		**mitre;
	int		 nmitre;

	int		 decoded_as;	/* decoder name id, or -1 */
	struct rules_cond match, regex, program_name, idc, url, srcport,
			 dstport, user, status, hostname, extra_data, data,
			 system_name, protocol, location;
	char		*action;
	int		 action_negate;
	struct rules_iplist srcip, dstip;
	int		 time_set, time_neg;
	char		 time_start[6], time_end[6];
	unsigned	 weekdays;	/* bit per day, 0: any */
	struct rules_fcond *fconds;
	int		 nfconds;
	struct rules_listref *lists;
	int		 nlists;
	rules_compiled_fn compiled;
	int		 if_fts;
	int		 check_diff;
	unsigned	 ignore_sel, check_ignored_sel;

	/* Placement. */
	char		*if_sid;
	char		*if_group;
	int		 if_level;
	uint32_t	 if_matched_sid;
	struct rules_pat *if_matched_group;
	struct rules_pat *if_matched_regex;
	unsigned	 same;		/* RSAME_* / RDIFF_* */
	char		**same_fields;	/* Wazuh <same_field>: dynamic */
	int		 nsame_fields;
	char		**diff_fields;	/* Wazuh <different_field> */
	int		 ndiff_fields;
	int		 context;	/* correlation searched */
	int		 search_list;	/* list index it searches, -1 */
	int		 search_kind;	/* 0 sid, 1 group, 2 global */
	int		 feed_sid_list;	/* list it feeds as if_matched_sid
					   target, -1 */
	int		*feed_group_lists;
	int		 nfeed_group_lists;

	struct rules_rule **children;
	size_t		 nchildren, capchildren;
	const char	*file;
	int		 line;
};

struct rules_cdb {
	char		*name;		/* as rules name it */
	char		**keys;		/* sorted */
	char		**values;
	size_t		 n;
};

struct rules_set {
	/* Decoders: all (owned), and the two top-level lists. */
	struct rules_dec **decs;
	size_t		 ndecs, capdecs;
	struct rules_dec **top_p;	/* with program_name */
	size_t		 ntop_p, captop_p;
	struct rules_dec **top_n;	/* without */
	size_t		 ntop_n, captop_n;
	char		**names;	/* decoder name ids */
	size_t		 nnames, capnames;

	/* Rules: all (owned, load order) and the top level. */
	struct rules_rule **rules;
	size_t		 nrules, caprules;
	struct rules_rule **top;
	size_t		 ntop, captop;
	int		 nlists_sid, nlists_group;	/* correlation lists */
	int		 list_cap;	/* entries per correlation list */

	struct rules_cdb **cdbs;
	size_t		 ncdbs, capcdbs;

	char		**files;	/* file names nodes point into */
	size_t		 nfiles, capfiles;
	int		 finished;
	void		*pf_db;		/* rules-prefilter.c (hs_database_t) */
	int		 pf_n;		/* ids in it */
};

/* rules-decoder.c */
/* The pattern kind a Wazuh type="osmatch|osregex|pcre2" attribute of n
 * names (def without one).  Returns 0 or MAMORI_EINVAL. */
int rules_pat_kind_attr(const struct rules_xml_node *n, int def, int *kind);
int rules_dec_load(struct rules_set *rs, const struct rules_xml_doc *doc,
    char *err, size_t errlen);
int rules_dec_finish(struct rules_set *rs, char *err, size_t errlen);
int rules_dec_name_id(const struct rules_set *rs, const char *name);
/* Adds a decoder name; returns its id or MAMORI_ENOMEM. */
int rules_dec_name_add(struct rules_set *rs, const char *name);
void rules_dec_free(struct rules_dec *d);

/* rules-rule.c */
int rules_rule_load(struct rules_set *rs, const struct rules_xml_doc *doc,
    const char *dir, char *err, size_t errlen);
int rules_rule_finish(struct rules_set *rs, char *err, size_t errlen);
void rules_rule_free(struct rules_rule *r);

/* rules-list.c: loads a "key:value" list file; NULL with err. */
struct rules_cdb *rules_cdb_load(const char *path, const char *name,
    char *err, size_t errlen);
void rules_cdb_free(struct rules_cdb *c);
/* Returns the value for key (exact), or NULL. */
const char *rules_cdb_get(const struct rules_cdb *c, const char *key);

/* The event being analysed: phase 1 and 2 results, and the strings they
 * point to (an arena, refilled per event). */
struct rules_ev {
	const char	*full_log;
	const char	*log;		/* NUL-terminated, in the arena */
	size_t		 loglen;
	const char	*hostname;
	const char	*program_name;	/* NULL: none */
	const char	*timestamp;	/* header time text, NULL: none */
	const char	*location;
	int64_t		 now_ns;
	int		 hour, minute, wday;	/* reception time, local */

	int		 decoding;	/* a decoder list was tried */
	int		 pf_valid;	/* ctx->pf_bits describe this log */
	int		 pf_fields;	/* decoded fields are parts of log */
	const struct rules_dec *dec;	/* for decoded_as, type, fts */
	const char	*dec_shown;	/* top-level name as printed */
	const char	*dec_parent;	/* the matched child's parent */
	const char	*dec_own;	/* the decoder that matched */
	int		 dec_type;
	const char	*fields[RULES_F_NFIXED];
	int		 ndyn;
	int		 norder;
	const struct rules_rule *generated;	/* OSSEC alert plugin */
	/* Not cleared per event: only [0 .. ndyn) and [0 .. norder) are
	 * valid. */
	struct rules_kv	 dyn[RULES_MAX_DYN];
	struct rules_kv	 order[RULES_F_NFIXED + RULES_MAX_DYN];

	char		*arena;
	size_t		 alen, acap;
};

/* Correlation lists (rules-eval.c). */
struct rules_corr;

/* Per-thread analysis state. */
struct rules_ctx {
	const struct rules_set *rs;
	struct rules_pat_scratch *sc;
	char		 shost[256];	/* this machine's short name */
	struct rules_ev	 ev;
	uint64_t	*fired;		/* per rule */
	int64_t		*ignore_at;	/* per rule: ignore="N" timer */
	struct rules_corr *sid_lists;	/* nlists_sid of them */
	struct rules_corr *group_lists;	/* nlists_group */
	struct rules_corr *global;	/* every alerted event */
	struct rules_fts *fts;		/* first-time-seen keys */
	struct rules_fts *ignored;	/* <ignore> keys */
	struct rules_diff *diff;	/* check_diff: last log per rule */
	char		 desc[2048];	/* expanded description */
	struct rules_accum *accum;	/* <accumulate> state */
	void		*pf_scratch;	/* hs_scratch_t */
	uint64_t	*pf_bits;	/* prefilter ids that may match */
};

/*
 * rules-prefilter.c: one Vectorscan scan of an event's log tells which of
 * the patterns tested on the whole log cannot match it, so that PCRE2 runs
 * only for the others.  rules_pf_build() (at finish) and
 * rules_pf_ctx_init() return 0 or MAMORI_ENOMEM; without Vectorscan, or
 * for patterns it cannot take, nothing is prefiltered.
 */
int rules_pf_build(struct rules_set *rs);
void rules_pf_free(struct rules_set *rs);
int rules_pf_ctx_init(struct rules_ctx *ctx);
void rules_pf_ctx_release(struct rules_ctx *ctx);
void rules_pf_scan(struct rules_ctx *ctx, struct rules_ev *ev);

/* Whether prefilter id pf says the pattern cannot match this log. */
static inline int
rules_pf_miss(const struct rules_ctx *ctx, const struct rules_ev *ev, int pf)
{
	return pf >= 0 && ev->pf_valid &&
	    !((ctx->pf_bits[pf >> 6] >> (pf & 63)) & 1);
}

/* rules-predecode.c: fills the phase-1 part of ev from its line. */
void rules_predecode(struct rules_ev *ev, const char *shost);

/* rules-decoder.c: phase 2. */
void rules_decode(struct rules_ctx *ctx, struct rules_ev *ev);

/* rules-decoder.c: the accumulator (OSSEC's <accumulate>): fields that
 * come on separate lines of one session (same host, decoder and id) are
 * carried from line to line for two minutes. */
void rules_accumulate(struct rules_ctx *ctx, struct rules_ev *ev);
void rules_accum_free(struct rules_accum *a);

/* rules-plugin.c */
void rules_plugin_run(struct rules_ctx *ctx, struct rules_ev *ev,
    const struct rules_dec *d, const char *s);

/* rules-eval.c: phase 3 into res; per-context state. */
void rules_eval_result(struct rules_ctx *ctx, struct rules_ev *ev,
    struct rules_result *res);
int rules_eval_init(struct rules_ctx *ctx);
void rules_eval_release(struct rules_ctx *ctx);
int rules_corr_init(struct rules_corr *c, int cap);
void rules_corr_release(struct rules_corr *c);
rules_compiled_fn rules_compiled_find(const char *name);

/* rules-set.c: a fixed field by name ("user" is dstuser, "data" and
 * "extra_data" the data field), or -1; appending to a growing string
 * (repeated XML elements concatenate): 0 or MAMORI_ENOMEM. */
int rules_field_by_name(const char *name);
int rules_append(char **a, const char *b);

/* rules-set.c: string storage for one event (never fails: long values
 * are cut), and field setting. */
const char *rules_ev_strdup(struct rules_ev *ev, const char *s, size_t n);
void rules_ev_set_field(struct rules_ev *ev, int fid, const char *name,
    const char *v, size_t n);
const char *rules_ev_dyn(const struct rules_ev *ev, const char *name);

#endif
