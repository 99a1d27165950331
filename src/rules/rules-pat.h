/*
 * rules-pat.h - the patterns of decoders and rules: OSSEC's OS_Match and
 * OS_Regex, reproduced exactly by translation to PCRE2 (JIT), and PCRE2
 * itself (Wazuh's <regex type="pcre2">, <pcre2>).
 *
 * A compiled pattern is read-only and may be shared by threads; each
 * thread matches with its own scratch (PCRE2 match data).
 */
#ifndef MAMORI_RULES_PAT_H
#define MAMORI_RULES_PAT_H

#include <stddef.h>

enum rules_pat_kind {
	RULES_PAT_OSMATCH = 0,	/* <match>, <prematch> of OSSEC: OS_Match */
	RULES_PAT_OSREGEX = 1,	/* <regex> of OSSEC: OS_Regex */
	RULES_PAT_PCRE2 = 2,	/* <pcre2>, type="pcre2" */

	/*
	 * Added with rules-pat.c.  The three kinds above are OSSEC up to 3.2
	 * and Wazuh 4.x (whose OS_Match also takes a leading '!' as "does
	 * not match"; PCRE2 there is case-sensitive, groups by number).
	 * Note that a decoder's <prematch>, like <regex>, is OS_Regex in
	 * both OSSEC and Wazuh; <match>, <program_name>, <hostname>, <url>,
	 * <user>, <id>, <status>, <extra_data> are OS_Match.
	 *
	 * OSSEC 3.3 and later (the ruleset in shared/data/ossec-ruleset)
	 * run OS_Match and OS_Regex as a PCRE2 rewrite with lazy runs, and
	 * compile <pcre2> and its *_pcre2 siblings caseless; their decoders
	 * take the end of the match itself as the offset:
	 */
	RULES_PAT_OSMATCH_OSSEC3 = 3,
	RULES_PAT_OSREGEX_OSSEC3 = 4,
	RULES_PAT_PCRE2_CASELESS = 5,
};

/* Capture groups a pattern may have (OSSEC allows far fewer). */
#define RULES_PAT_MAX_CAPS	32

struct rules_pat_caps {
	int	n;				/* groups that matched */
	size_t	so[RULES_PAT_MAX_CAPS];		/* start of group i */
	size_t	eo[RULES_PAT_MAX_CAPS];		/* end of group i */
};

struct rules_pat;
struct rules_pat_scratch;

/*
 * Compiles pattern (NUL-terminated, as written in the rule file) of the
 * given kind.  Returns NULL with the reason in err (for example "OS_Regex:
 * unbalanced '(' at offset 4") when the pattern is invalid for that kind.
 * Caller frees with rules_pat_free().
 */
struct rules_pat *rules_pat_compile(enum rules_pat_kind kind,
    const char *pattern, char *err, size_t errlen);

void rules_pat_free(struct rules_pat *p);

/* The PCRE2 pattern p runs as (for tests and verbose output). */
const char *rules_pat_pcre2(const struct rules_pat *p);

/* How many capture groups p has. */
int rules_pat_ncaps(const struct rules_pat *p);

/*
 * Whether p may be prefiltered by a multi-pattern scan of
 * rules_pat_pcre2(p) (a subject where that text finds no match is one p
 * does not match); *caseless says whether to scan without case.
 */
int rules_pat_prefilter(const struct rules_pat *p, int *caseless);

/* Per-thread matching state; NULL when out of memory.  One scratch
 * serves every pattern. */
struct rules_pat_scratch *rules_pat_scratch_new(void);
void rules_pat_scratch_free(struct rules_pat_scratch *sc);

/*
 * Matches p against s[0..len) (not NUL-terminated; may hold any byte).
 * Returns 1 on a match, 0 on none.  On a match, *end (when not NULL) is
 * the offset just after what matched (OSSEC's "after_regex" and
 * "after_prematch" offsets start there), and caps (when not NULL) holds
 * the capture groups, in order.
 */
int rules_pat_exec(const struct rules_pat *p, struct rules_pat_scratch *sc,
    const char *s, size_t len, size_t *end, struct rules_pat_caps *caps);

#endif
