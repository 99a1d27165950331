/*
 * rules-pat.c - the patterns of OSSEC/Wazuh decoders and rules, compiled
 * to PCRE2 and run with its JIT.
 *
 * Three syntaxes, five dialects (rules-pat.h):
 *
 *   OS_Match   literal alternatives with ^ and $ (<match>, <program_name>,
 *              <hostname>, <url>, <user>, <id>, <status>, <extra_data>).
 *   OS_Regex   a small regex language (<regex>, and a decoder's
 *              <prematch>): \w \d \s \p \W \D \S \. \t \$ \( \) \\ \| \<,
 *              + and * after a backslash class, ^ $ | and one level of
 *              parentheses.
 *   PCRE2      as written.
 *
 * OS_Match and OS_Regex come in two dialects.  The classic one is the
 * hand-written matcher of OSSEC up to 3.2, which Wazuh 4.x still runs
 * (ossec-hids and wazuh/wazuh src/os_regex/os_regex_execute.c,
 * os_match_execute.c); the "OSSEC3" one is what OSSEC 3.3 and later run,
 * a rewrite of the pattern into PCRE2 (ossec-hids src/os_regex/
 * os_converter.c, os_regex_compile.c, os_match_compile.c).
 *
 * Classic OS_Match has no classes: every alternative is a literal that is
 * a substring, prefix, suffix or the whole subject, compared with ASCII
 * case folding.  It is translated to PCRE2 for rules_pat_pcre2(), but runs
 * as memchr()/memcmp() loops, which give the same answers (the unit test
 * checks the two against each other).
 *
 * Classic OS_Regex is not a backtracking regex.  Its matcher walks the
 * subject once, left to right, and decides where a run like \w+ ends by
 * looking one byte ahead: the run stops at the first byte the element
 * after it can start with, or where its class fails.  It keeps at most
 * four places to come back to, and reports the end of a match one byte
 * early in most cases, and oddly in others.  The translation below
 * reproduces what the matcher does on the path it takes first:
 *
 *   - classes are explicit byte sets taken from its tables (\w is
 *     [A-Za-z0-9_@-], \s is only the space, \p is !"#$%&'()*+,-.:;<=>?[]{|}),
 *     literals are escaped, and matching folds ASCII case only;
 *   - a run followed by something is lazy (+? *?), and may only stop
 *     where the next element's first byte could start or where its own
 *     class fails (a lookahead guard, needed when that element is
 *     optional); a run at the end of an alternative is possessive;
 *   - after "run, single class" where the class took a byte the run's
 *     class also matches, the next + behaves as * (the matcher forgets
 *     that the + has not matched yet); that is a conditional on a
 *     lookbehind;
 *   - when the subject ends with optional elements still pending, the
 *     matcher accepts at most one of them after a literal or single class
 *     and at most two after a run: a (?!\z) guard rejects the rest;
 *   - "()" and ")(": the second of two adjacent parentheses is compared
 *     as a literal '(' byte, and capture groups are reported in pairs
 *     only up to there;
 *   - alternatives are tried in order, each over the whole subject, so
 *     the first alternative that matches anywhere wins (PCRE2 would take
 *     the leftmost match of any): with end or captures wanted, a second,
 *     anchored code "\A(?|[\x00-\xff]*?(*MARK:0)A0|...)" does that;
 *   - the end offset is the matcher's return value plus one (what the
 *     decoders use for after_prematch and after_regex), recomputed from
 *     the match and a hidden group around a trailing run.
 *
 * What PCRE2 cannot express, and so differs (see the unit test for the
 * cases): the matcher keeps only four backtrack points and, after a
 * failure, restarts one byte after where the failed attempt's first fixed
 * element matched, so a few patterns with several ambiguous runs match in
 * PCRE2 where OSSEC gives up; on some failure paths it carries state into
 * the next attempt; when the subject ends inside optional elements it
 * records some group boundaries inconsistently; and it reads past the end
 * of an empty subject.  We take the backtracking regex's answer there.
 *
 * Subjects are bytes: no PCRE2_UTF for the classic dialects and PCRE2
 * (OSSEC compares bytes; a NUL is an ordinary byte here, where OSSEC's C
 * strings would end).  The OSSEC3 dialects compile with UTF, as OSSEC 3.3
 * does, plus PCRE2_MATCH_INVALID_UTF so that invalid UTF-8 is safe.
 *
 * Compiling is rare (rule load); matching runs per event and allocates
 * nothing: the scratch holds the match block, match context and JIT stack.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "rules/rules-pat.h"

/* Classic OS_Regex/OS_Match: OSSEC <= 3.2 allowed 2048 bytes, Wazuh 4.x
 * 20480; we take Wazuh's.  OSSEC 3.3 keeps 2048. */
#define PAT_MAXLEN_CLASSIC	20480
#define PAT_MAXLEN_OSSEC3	2048

/* Bounds the backtracking of one match (lazy runs on a long line). */
#define PAT_MATCH_LIMIT		1000000

/* Pairs in a match block: the visible groups, one hidden group and the
 * whole match. */
#define PAT_OVEC_PAIRS		(RULES_PAT_MAX_CAPS + 2)

/* ---------------------------------------------------------------------
 * Growable string for the translated pattern.
 */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 128;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_adds(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void
sb_addc(struct sbuf *b, char c)
{
	sb_addn(b, &c, 1);
}

static void
sb_addf(struct sbuf *b, const char *fmt, unsigned long v)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof(tmp), fmt, v);
	if (n > 0)
		sb_addn(b, tmp, (size_t)n);
}

/* ---------------------------------------------------------------------
 * Byte sets, and OS_Regex's classes as byte sets.
 */
struct cset {
	uint8_t	b[32];
};

static void
cs_add(struct cset *s, unsigned c)
{
	s->b[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static int
cs_has(const struct cset *s, unsigned c)
{
	return (s->b[c >> 3] >> (c & 7)) & 1;
}

static void
cs_range(struct cset *s, unsigned lo, unsigned hi)
{
	unsigned c;

	for (c = lo; c <= hi; c++)
		cs_add(s, c);
}

static int
cs_count(const struct cset *s)
{
	int n = 0;
	unsigned c;

	for (c = 0; c < 256; c++)
		n += cs_has(s, c);
	return n;
}

/* a & ~b */
static void
cs_minus(struct cset *r, const struct cset *a, const struct cset *b)
{
	int i;

	for (i = 0; i < 32; i++)
		r->b[i] = a->b[i] & (uint8_t)~b->b[i];
}

/* The escapes of OS_Regex, in the order of its compiler. */
enum {
	CL_D, CL_W, CL_S, CL_P, CL_LPAREN, CL_RPAREN, CL_BSLASH, CL_ND, CL_NW,
	CL_NS, CL_ANY, CL_TAB, CL_DOLLAR, CL_PIPE, CL_LT, CL_COUNT
};

static const char cl_letters[CL_COUNT] = {
	'd', 'w', 's', 'p', '(', ')', '\\', 'D', 'W', 'S', '.', 't', '$',
	'|', '<'
};

static int
cl_from_letter(char c)
{
	int i;

	for (i = 0; i < CL_COUNT; i++)
		if (cl_letters[i] == c)
			return i;
	return -1;
}

/*
 * The bytes each escape matches, as OSSEC's regexmap tables define them
 * (os_regex_internal.h, Wazuh os_regex_maps.c): an entry matches only
 * where the table holds 1.
 */
static void
cl_set(int cl, struct cset *s)
{
	struct cset t;
	int i;

	memset(s, 0, sizeof(*s));
	switch (cl) {
	case CL_D:
		cs_range(s, '0', '9');
		break;
	case CL_W:
		cs_range(s, '0', '9');
		cs_range(s, 'A', 'Z');
		cs_range(s, 'a', 'z');
		cs_add(s, '-');
		cs_add(s, '@');
		cs_add(s, '_');
		break;
	case CL_S:
		cs_add(s, ' ');
		break;
	case CL_P:
		cs_range(s, 0x21, 0x2e);	/* ! " # $ % & ' ( ) * + , - . */
		cs_range(s, 0x3a, 0x3f);	/* : ; < = > ? */
		cs_add(s, '[');
		cs_add(s, ']');
		cs_range(s, 0x7b, 0x7d);	/* { | } */
		break;
	case CL_LPAREN:
		cs_add(s, '(');
		break;
	case CL_RPAREN:
		cs_add(s, ')');
		break;
	case CL_BSLASH:
		cs_add(s, '\\');
		break;
	case CL_ND:
	case CL_NW:
	case CL_NS:
		cl_set(cl == CL_ND ? CL_D : cl == CL_NW ? CL_W : CL_S, &t);
		for (i = 0; i < 32; i++)
			s->b[i] = (uint8_t)~t.b[i];
		break;
	case CL_ANY:
		memset(s, 0xff, sizeof(*s));
		break;
	case CL_TAB:
		cs_add(s, '\t');
		break;
	case CL_DOLLAR:
		cs_add(s, '$');
		break;
	case CL_PIPE:
		cs_add(s, '|');
		break;
	case CL_LT:
		cs_add(s, '<');
		break;
	}
}

static int
is_alnum(unsigned c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static unsigned
fold(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* One byte as a PCRE2 literal, outside or inside a character class. */
static void
emit_byte(struct sbuf *b, unsigned c)
{
	if (is_alnum(c) || c == ' ')
		sb_addc(b, (char)c);
	else if (c > 0x20 && c < 0x7f) {
		sb_addc(b, '\\');
		sb_addc(b, (char)c);
	} else
		sb_addf(b, "\\x%02lx", c);
}

static void
emit_ranges(struct sbuf *b, const struct cset *s, int want)
{
	unsigned c = 0, e;

	while (c < 256) {
		if (cs_has(s, c) != want) {
			c++;
			continue;
		}
		for (e = c; e + 1 < 256 && cs_has(s, e + 1) == want; e++)
			;
		emit_byte(b, c);
		if (e >= c + 2)
			sb_addc(b, '-');
		if (e >= c + 1)
			emit_byte(b, e);
		c = e + 1;
	}
}

/* A byte set as a PCRE2 item: a literal, a class or a negated class. */
static void
emit_set(struct sbuf *b, const struct cset *s)
{
	int n = cs_count(s);
	unsigned c;

	if (n == 256) {
		sb_adds(b, "[\\x00-\\xff]");
		return;
	}
	if (n == 1) {
		for (c = 0; !cs_has(s, c); c++)
			;
		emit_byte(b, c);
		return;
	}
	sb_addc(b, '[');
	if (n > 128) {
		sb_addc(b, '^');
		emit_ranges(b, s, 0);
	} else
		emit_ranges(b, s, 1);
	sb_addc(b, ']');
}

/* ---------------------------------------------------------------------
 * The compiled pattern.
 */
enum pat_mode {
	MODE_PCRE,		/* run the PCRE2 code */
	MODE_LITERALS,		/* classic OS_Match: literal alternatives */
};

enum lit_kind {
	LIT_SUB,		/* anywhere */
	LIT_PREFIX,		/* ^lit */
	LIT_SUFFIX,		/* lit$ */
	LIT_EXACT,		/* ^lit$ */
	LIT_ALWAYS,		/* empty alternative: always true */
};

struct lit {
	uint8_t	 kind;
	uint8_t	 exact_case;	/* OS_Match's strstr() mode (a 0xe3 byte) */
	uint8_t	*s;		/* lower-cased unless exact_case */
	size_t	 n;
};

enum tail_kind {
	TAIL_CHAR,		/* ends with a literal or single class */
	TAIL_PLUS,		/* ends with \x+ */
	TAIL_STAR,		/* ends with \x* */
};

/* Per alternative of a classic OS_Regex: how to report end and groups. */
struct alt {
	int	ncaps;
	int	hidden;		/* group around the trailing run, or 0 */
	uint8_t	tail;
	uint8_t	mark_after;	/* a group boundary after the trailing run */
	uint8_t	first;		/* the trailing run is the first element */
	uint8_t	carry;		/* the trailing run may follow a carry-over */
	uint8_t	carry_cl;	/* ... from a run of this class */
	uint8_t	prev_run_cl;	/* class of a run right before it, or 0xff */
	size_t	carry_dist;	/* ... whose byte is this far before it */
	/* A boundary right after a non-trailing run, where OSSEC notes
	 * end-of-subject if the byte after it is the last one (class of the
	 * run, or 0xff): */
	uint8_t	fix_open[RULES_PAT_MAX_CAPS];
	uint8_t	fix_close[RULES_PAT_MAX_CAPS];
};

enum caps_mode {
	CAPS_PAIRS,		/* classic OS_Regex: groups of the alternative */
	CAPS_COMPACT,		/* OSSEC 3.3: set groups, unset ones skipped */
	CAPS_POSITIONAL,	/* Wazuh PCRE2: every group, unset as empty */
};

struct rules_pat {
	enum rules_pat_kind kind;
	enum pat_mode	 mode;
	char		*pcre;		/* the PCRE2 pattern */
	pcre2_code	*code;		/* unordered, leftmost match */
	pcre2_code	*ocode;		/* alternatives in order, or NULL */
	atomic_int	 jit, ojit;	/* JIT_*: code's, ocode's */
	int		 ncaps;
	int		 negate;	/* Wazuh OS_Match "!pattern" */
	uint32_t	 opts;		/* PCRE2 compile options of pcre */
	/* An anchored pattern can only match a subject whose first byte is
	 * one of these (from PCRE2's own analysis): checked before calling
	 * PCRE2, whose call costs more than the check. */
	int		 first_check;
	uint8_t		 first[32];	/* bitmap of allowed first bytes */
	enum caps_mode	 capmode;
	struct alt	*alts;		/* classic OS_Regex only */
	int		 nalts;
	struct lit	*lits;		/* MODE_LITERALS, and literal fast paths */
	int		 nlits;
	struct cset	 clset[CL_COUNT];
};

struct rules_pat_scratch {
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jstack;
};

static void
seterr(char *err, size_t errlen, const char *what, const char *reason,
    size_t off)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s at offset %zu", what, reason, off);
}

/* ---------------------------------------------------------------------
 * Classic OS_Regex: parse into alternatives of elements.
 */
enum el_type {
	EL_LIT,			/* a byte, case folded */
	EL_CLS,			/* one byte of a class */
	EL_RUN,			/* \x+ or \x* */
	EL_MARK,		/* a parenthesis */
};

struct el {
	uint8_t	type;
	uint8_t	star;		/* EL_RUN: * rather than + */
	uint8_t	cl;		/* EL_CLS, EL_RUN */
	uint8_t	c;		/* EL_LIT */
	int	grp;		/* EL_MARK: +n opens group n, -n closes it,
				   0 does not capture */
};

struct xalt {
	struct el	*el;
	int		 n;
	int		 begin, end;	/* ^ and $ */
};

/*
 * Splits pattern into alternatives the way OSRegex_Compile() does, with
 * its checks: an escape must be one of the fifteen; parentheses do not
 * nest and '|' may not stand inside them; ^ at the start and $ at the end
 * of an alternative anchor it, and are literal anywhere else.
 */
static int
osregex_parse(const char *pat, struct el **all, struct xalt **xa, int *nxa,
    char *err, size_t errlen)
{
	size_t len = strlen(pat), i, open_at = 0, ne = 0;
	struct xalt *a = NULL, *na;
	struct el *els = NULL, *e;
	int n = 0, depth = 0, cl;

	*all = NULL;
	*xa = NULL;
	*nxa = 0;
	/* The alternatives are slices of one array: at most a byte each. */
	if ((els = calloc(len + 1, sizeof(*els))) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL)
		goto oom;
	a[0].el = els;
	n = 1;
	for (i = 0; i < len; i++) {
		struct xalt *cur = &a[n - 1];
		unsigned char c = (unsigned char)pat[i];

		if (c == '\\') {
			if (i + 1 >= len) {
				seterr(err, errlen, "OS_Regex",
				    "'\\' at the end of the pattern", i);
				goto fail;
			}
			if ((cl = cl_from_letter(pat[i + 1])) < 0) {
				char r[48];

				snprintf(r, sizeof(r), "invalid escape '\\%c'",
				    pat[i + 1]);
				seterr(err, errlen, "OS_Regex", r, i);
				goto fail;
			}
			i++;
			e = &els[ne++];
			cur->n++;
			e->type = EL_CLS;
			e->cl = (uint8_t)cl;
			if (i + 1 < len && (pat[i + 1] == '+' ||
			    pat[i + 1] == '*')) {
				e->type = EL_RUN;
				e->star = pat[i + 1] == '*';
				i++;
			}
			continue;
		}
		if (c == '(') {
			if (depth != 0) {
				seterr(err, errlen, "OS_Regex",
				    "nested '('", i);
				goto fail;
			}
			depth = 1;
			open_at = i;
		} else if (c == ')') {
			if (depth != 1) {
				seterr(err, errlen, "OS_Regex",
				    "unbalanced ')'", i);
				goto fail;
			}
			depth = 0;
		} else if (c == '|') {
			if (depth != 0) {
				seterr(err, errlen, "OS_Regex",
				    "'|' inside parentheses", i);
				goto fail;
			}
			if ((na = realloc(a, (n + 1) * sizeof(*a))) == NULL)
				goto oom;
			a = na;
			memset(&a[n], 0, sizeof(*a));
			a[n].el = els + ne;
			n++;
			continue;
		}
		e = &els[ne++];
		cur->n++;
		if (c == '(' || c == ')')
			e->type = EL_MARK;
		else {
			e->type = EL_LIT;
			e->c = (uint8_t)fold(c);
		}
	}
	if (depth != 0) {
		seterr(err, errlen, "OS_Regex", "unbalanced '('", open_at);
		goto fail;
	}
	/* ^ first, then $, per alternative (escaped ones are classes). */
	for (i = 0; i < (size_t)n; i++) {
		struct xalt *cur = &a[i];

		if (cur->n > 0 && cur->el[0].type == EL_LIT &&
		    cur->el[0].c == '^') {
			cur->begin = 1;
			cur->el++;
			cur->n--;
		}
		if (cur->n > 0 && cur->el[cur->n - 1].type == EL_LIT &&
		    cur->el[cur->n - 1].c == '$') {
			cur->end = 1;
			cur->n--;
		}
	}
	*all = els;
	*xa = a;
	*nxa = n;
	return 0;

oom:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
fail:
	free(els);
	free(a);
	return -1;
}

/* First-byte set of element e (case folded for literals). */
static void
el_first(const struct rules_pat *p, const struct el *e, struct cset *s)
{
	if (e->type == EL_LIT) {
		memset(s, 0, sizeof(*s));
		cs_add(s, e->c);
		if (e->c >= 'a' && e->c <= 'z')
			cs_add(s, e->c - 32);
	} else
		*s = p->clset[e->cl];
}

/*
 * Translates one alternative of a classic OS_Regex (see the top of the
 * file for what each construct reproduces) and fills in *alt.
 */
static int
osregex_alt(struct rules_pat *p, struct xalt *xa, struct alt *alt,
    struct sbuf *b, char *err, size_t errlen)
{
	struct el *e = xa->el;
	int n = xa->n, i, j, k, nmark = 0, first_lit = -1, npairs;
	int *idx = NULL, ni = 0, prev_true_mark = 0, carry_on = 0;
	int carry_cl = 0;
	size_t carry_l = 0;
	struct cset cs, fs, ds;

	memset(alt, 0, sizeof(*alt));
	memset(alt->fix_open, 0xff, sizeof(alt->fix_open));
	memset(alt->fix_close, 0xff, sizeof(alt->fix_close));

	/*
	 * Parentheses: the matcher treats the second of two adjacent ones
	 * as a literal '(' (it compares it with the subject), and reports
	 * groups as pairs of parentheses in order, up to the first pair
	 * with such a literal.
	 */
	for (i = 0; i < n; i++) {
		if (e[i].type != EL_MARK) {
			prev_true_mark = 0;
			continue;
		}
		if (prev_true_mark) {
			e[i].type = EL_LIT;
			e[i].c = '(';
			if (first_lit < 0)
				first_lit = nmark;
			prev_true_mark = 0;
		} else
			prev_true_mark = 1;
		nmark++;
	}
	npairs = (first_lit < 0 ? nmark : first_lit) / 2;
	if (npairs > RULES_PAT_MAX_CAPS) {
		seterr(err, errlen, "OS_Regex", "more than 32 groups", 0);
		return -1;
	}
	for (i = 0, k = 0; i < n; i++) {
		if (e[i].type == EL_MARK) {
			e[i].grp = k < 2 * npairs ?
			    (k % 2 == 0 ? k / 2 + 1 : -(k / 2 + 1)) : 0;
			k++;
		} else if (e[i].type == EL_LIT && e[i].c == '(')
			k++;	/* a parenthesis taken as a literal counts */
	}
	alt->ncaps = npairs;

	/* The elements that consume, in order. */
	if ((idx = calloc(n + 1, sizeof(int))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (e[i].type != EL_MARK)
			idx[ni++] = i;

	if (ni == 0) {
		/* The matcher's result stays NULL: never a match. */
		sb_adds(b, "(*FAIL)");
		alt->tail = TAIL_CHAR;
		free(idx);
		return 0;
	}
	if (ni == 1 && e[idx[0]].type == EL_RUN && e[idx[0]].star &&
	    xa->end) {
		/* A lone \x*$ never matches: its result stays NULL when the
		 * run reaches the end, and $ fails everywhere else. */
		sb_adds(b, "(*FAIL)");
		alt->tail = TAIL_CHAR;
		free(idx);
		return 0;
	}

	if (xa->begin)
		sb_adds(b, "\\A");
	for (j = 0, i = 0; i < n; i++) {
		struct el *x = &e[i];
		int last, next_i, allowed, rest_star, r;

		if (x->type == EL_MARK) {
			if (x->grp > 0)
				sb_addc(b, '(');
			else if (x->grp < 0)
				sb_addc(b, ')');
			/* After a run that is not the last element, OSSEC
			 * notes the boundary one byte late when the byte
			 * after it is the subject's last. */
			if (x->grp != 0 && i > 0 && e[i - 1].type == EL_RUN &&
			    j < ni) {
				if (x->grp > 0)
					alt->fix_open[x->grp - 1] =
					    e[i - 1].cl;
				else
					alt->fix_close[-x->grp - 1] =
					    e[i - 1].cl;
			}
			continue;
		}
		/* x is idx[j]. */
		last = j == ni - 1;
		next_i = last ? -1 : idx[j + 1];
		switch (x->type) {
		case EL_LIT:
			emit_byte(b, x->c);
			if (carry_on)
				carry_l++;
			break;
		case EL_CLS:
			emit_set(b, &p->clset[x->cl]);
			if (carry_on)
				carry_l++;
			/* "run, single class": the carry-over starts. */
			if (j > 0 && e[idx[j - 1]].type == EL_RUN) {
				carry_on = 1;
				carry_cl = e[idx[j - 1]].cl;
				carry_l = 0;
			}
			break;
		case EL_RUN:
			cs = p->clset[x->cl];
			if (last) {
				alt->tail = x->star ? TAIL_STAR : TAIL_PLUS;
				alt->first = j == 0;
				alt->mark_after = i + 1 < n;
				alt->hidden = alt->ncaps + 1;
				alt->prev_run_cl = j > 0 &&
				    e[idx[j - 1]].type == EL_RUN ?
				    e[idx[j - 1]].cl : 0xff;
				if (carry_on && !x->star) {
					alt->carry = 1;
					alt->carry_cl = (uint8_t)carry_cl;
					alt->carry_dist = carry_l + 1;
				}
				sb_addc(b, '(');
			}
			/* A * run right after a run must take the byte where
			 * that run stopped if the run's class matches it. */
			if (x->star && j > 0 && e[idx[j - 1]].type == EL_RUN) {
				sb_adds(b, "(?(?=");
				emit_set(b, &p->clset[e[idx[j - 1]].cl]);
				sb_addc(b, ')');
				emit_set(b, &cs);
				sb_addc(b, ')');
			}
			if (!x->star) {
				if (carry_on) {
					/* + is * when the byte the single
					 * class took was also the run's. */
					sb_adds(b, "(?(?<=");
					emit_set(b, &p->clset[carry_cl]);
					if (carry_l > 0)
						sb_addf(b, "[\\x00-\\xff]{%lu}",
						    carry_l);
					sb_adds(b, ")|");
					emit_set(b, &cs);
					sb_addc(b, ')');
				} else
					emit_set(b, &cs);
			}
			emit_set(b, &cs);
			if (last) {
				sb_adds(b, "*+)");
				if (j == 0 && x->star) {
					/* The matcher's result stays NULL if
					 * the run reaches the end. */
					sb_adds(b, "(?!\\z)");
				}
			} else {
				sb_adds(b, "*?");
				/* Stop only where the next element could
				 * take the byte, or the class fails. */
				if (e[next_i].type == EL_RUN &&
				    e[next_i].star) {
					el_first(p, &e[next_i], &fs);
					cs_minus(&ds, &cs, &fs);
					if (cs_count(&ds) > 0) {
						sb_adds(b, "(?!");
						emit_set(b, &ds);
						sb_addc(b, ')');
					}
				}
			}
			carry_on = 0;
			break;
		}
		/* End-of-subject guard: with only \x* elements left, the
		 * matcher accepts one of them after a literal or class and
		 * two after a run. */
		if (!last) {
			rest_star = 1;
			for (r = j + 1; r < ni; r++)
				if (e[idx[r]].type != EL_RUN ||
				    !e[idx[r]].star)
					rest_star = 0;
			allowed = x->type == EL_RUN ? 2 : 1;
			if (rest_star && ni - 1 - j > allowed)
				sb_adds(b, "(?!\\z)");
		}
		j++;
	}
	if (xa->end)
		sb_adds(b, "\\z");
	free(idx);
	return 0;
}

static int
osregex_translate(struct rules_pat *p, const char *pat, struct sbuf *b,
    struct sbuf *ob, char *err, size_t errlen)
{
	struct xalt *xa;
	struct el *all;
	int nxa, i, r = 0;
	struct sbuf t = { 0 };

	if (osregex_parse(pat, &all, &xa, &nxa, err, errlen) != 0)
		return -1;
	if ((p->alts = calloc(nxa, sizeof(struct alt))) == NULL) {
		snprintf(err, errlen, "out of memory");
		r = -1;
		goto out;
	}
	p->nalts = nxa;
	if (nxa > 1) {
		sb_adds(b, "(?|");
		sb_adds(ob, "\\A(?|");
	}
	for (i = 0; i < nxa; i++) {
		t.len = 0;
		if (t.p != NULL)
			t.p[0] = '\0';
		if (osregex_alt(p, &xa[i], &p->alts[i], &t, err,
		    errlen) != 0) {
			r = -1;
			goto out;
		}
		if (t.oom) {
			snprintf(err, errlen, "out of memory");
			r = -1;
			goto out;
		}
		if (p->alts[i].ncaps > p->ncaps)
			p->ncaps = p->alts[i].ncaps;
		if (i > 0) {
			sb_addc(b, '|');
			sb_addc(ob, '|');
		}
		sb_adds(b, t.p != NULL ? t.p : "");
		if (nxa > 1) {
			sb_addf(ob, "(*MARK:%lu)", (unsigned long)i);
			if (!xa[i].begin)
				sb_adds(ob, "[\\x00-\\xff]*?");
			sb_adds(ob, t.p != NULL ? t.p : "");
		}
	}
	if (nxa > 1) {
		sb_addc(b, ')');
		sb_addc(ob, ')');
	}
out:
	free(t.p);
	free(all);
	free(xa);
	return r;
}

/* ---------------------------------------------------------------------
 * OS_Match, classic: literal alternatives.
 */
static void
emit_literal(struct sbuf *b, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		emit_byte(b, s[i]);
}

static void
emit_lit(struct sbuf *b, const struct lit *l)
{
	if (l->exact_case)
		sb_adds(b, "(?-i:");
	if (l->kind == LIT_PREFIX || l->kind == LIT_EXACT)
		sb_adds(b, "\\A");
	emit_literal(b, l->s, l->n);
	if (l->kind == LIT_SUFFIX || l->kind == LIT_EXACT)
		sb_adds(b, "\\z");
	if (l->exact_case)
		sb_addc(b, ')');
}

/*
 * OSMatch_Compile(): split at '|' (there is no escape), fold case, and
 * per alternative: "^x$" is the whole subject, "x$" its end, "^x" its
 * start, "" always true, anything else a substring.  A byte 0xe3 anywhere
 * in the pattern switches the substring alternatives to strstr(), which
 * does not fold the subject's case.  Wazuh 4.x: a leading '!' negates
 * the whole pattern.
 */
static int
osmatch_classic(struct rules_pat *p, const char *pat, struct sbuf *b,
    struct sbuf *ob, char *err, size_t errlen)
{
	size_t len, i, start, n;
	int nalt = 1, k, e3 = 0;
	struct lit *l;

	if (pat[0] == '!') {
		p->negate = 1;
		pat++;
	}
	len = strlen(pat);
	for (i = 0; i < len; i++) {
		if (pat[i] == '|')
			nalt++;
		if ((unsigned char)pat[i] == 0xe3)
			e3 = 1;
	}
	if ((p->lits = calloc(nalt, sizeof(struct lit))) == NULL)
		goto oom;
	p->nlits = nalt;
	for (k = 0, start = 0; k < nalt; k++) {
		const char *a = pat + start;
		int begin = 0, end = 0;

		for (n = 0; start + n < len && pat[start + n] != '|'; n++)
			;
		start += n + 1;
		l = &p->lits[k];
		if (n > 0 && a[0] == '^') {
			begin = 1;
			a++;
			n--;
		}
		if (n > 0 && a[n - 1] == '$') {
			end = 1;
			n--;
		}
		if (begin && end)
			l->kind = LIT_EXACT;
		else if (!begin && !end && n == 0)
			l->kind = LIT_ALWAYS;
		else if (end)
			l->kind = LIT_SUFFIX;
		else if (begin)
			l->kind = LIT_PREFIX;
		else {
			l->kind = LIT_SUB;
			l->exact_case = (uint8_t)e3;
		}
		if ((l->s = malloc(n + 1)) == NULL)
			goto oom;
		for (i = 0; i < n; i++)
			l->s[i] = (uint8_t)fold((unsigned char)a[i]);
		l->n = n;
	}
	if (nalt > 1) {
		sb_adds(b, "(?:");
		sb_adds(ob, "\\A(?:");
	}
	for (k = 0; k < nalt; k++) {
		if (k > 0) {
			sb_addc(b, '|');
			sb_addc(ob, '|');
		}
		emit_lit(b, &p->lits[k]);
		if (nalt > 1) {
			sb_addf(ob, "(*MARK:%lu)", (unsigned long)k);
			if (p->lits[k].kind != LIT_PREFIX &&
			    p->lits[k].kind != LIT_EXACT)
				sb_adds(ob, "[\\x00-\\xff]*?");
			emit_lit(ob, &p->lits[k]);
		}
	}
	if (nalt > 1) {
		sb_addc(b, ')');
		sb_addc(ob, ')');
	}
	p->mode = MODE_LITERALS;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ---------------------------------------------------------------------
 * OSSEC 3.3: the rewrite into PCRE2 (os_converter.c), and the literal
 * shortcuts its compilers take.
 */

/* "^?[set]*$?" with a leading ^ or trailing $: OSSEC compares bytes with
 * strncasecmp() and friends instead of running PCRE2. */
static int
ossec3_shortcut(struct rules_pat *p, const char *pat, const char *allowed,
    int allow_empty, struct sbuf *b)
{
	size_t len = strlen(pat), i, s = 0, n;
	int begin, end;
	struct lit *l;

	if (len == 0)
		return 0;
	begin = pat[0] == '^';
	end = len > (size_t)begin && pat[len - 1] == '$';
	if (!begin && !end)
		return 0;
	s = begin;
	n = len - begin - end;
	if (n == 0 && !allow_empty)
		return 0;
	for (i = s; i < s + n; i++) {
		if (allowed == NULL) {
			if (pat[i] == '$' || pat[i] == '|' || pat[i] == '^')
				return 0;
		} else if (!is_alnum((unsigned char)pat[i]) &&
		    strchr(allowed, pat[i]) == NULL)
			return 0;
	}
	if ((p->lits = calloc(1, sizeof(struct lit))) == NULL ||
	    (p->lits[0].s = malloc(n + 1)) == NULL)
		return -1;
	p->nlits = 1;
	l = &p->lits[0];
	l->kind = begin && end ? LIT_EXACT : begin ? LIT_PREFIX : LIT_SUFFIX;
	for (i = 0; i < n; i++)
		l->s[i] = (uint8_t)fold((unsigned char)pat[s + i]);
	l->n = n;
	emit_lit(b, l);
	p->mode = MODE_LITERALS;
	return 1;
}

static int
ossec3_osmatch(struct rules_pat *p, const char *pat, struct sbuf *b,
    char *err, size_t errlen)
{
	size_t i;
	int r;

	if (strlen(pat) > PAT_MAXLEN_OSSEC3) {
		seterr(err, errlen, "OS_Match", "pattern longer than 2048 "
		    "bytes", PAT_MAXLEN_OSSEC3);
		return -1;
	}
	if (pat[0] == '\0') {
		/* OSMatch_Execute_true */
		if ((p->lits = calloc(1, sizeof(struct lit))) == NULL)
			goto oom;
		p->lits[0].kind = LIT_ALWAYS;
		p->nlits = 1;
		p->mode = MODE_LITERALS;
		return 0;
	}
	if ((r = ossec3_shortcut(p, pat, NULL, 0, b)) < 0)
		goto oom;
	if (r > 0)
		return 0;
	/* Escape what PCRE2 would take as syntax; ^ $ | stay PCRE2's. */
	for (i = 0; pat[i] != '\0'; i++) {
		if (strchr(".[]{}+?*()\\", pat[i]) != NULL)
			sb_addc(b, '\\');
		sb_addc(b, pat[i]);
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * OSRegex_ConvertRegex(): classes become PCRE2 classes, a + or * two
 * bytes after a backslash becomes lazy, $ anywhere is the end, ( ) | ^
 * stay PCRE2's, the listed escapes are copied, other PCRE2 syntax is
 * escaped; then the last quantifier of each alternative (before ")*"
 * and '|', '$' or the end) is made greedy again.
 */
static int
ossec3_osregex(struct rules_pat *p, const char *pat, struct sbuf *b,
    char *err, size_t errlen)
{
	static const struct {
		const char	*from, *to;
	} map[] = {
		{ "\\p", "[()*+,.:;\\<=>?\\[\\]!\"'#%&$|{}-]" },
		{ "\\s", "[ ]" },
		{ "\\W", "[^A-Za-z0-9@_-]" },
		{ "\\w", "[A-Za-z0-9@_-]" },
		{ "\\d", "[0-9]" },
		{ "\\D", "[^0-9]" },
		{ "\\S", "[^ ]" },
		{ "\\.", "(?s:.)" },
		{ "$", "(?!\\n)$" },
		{ ".", "\\." },
		{ "[", "\\[" },
		{ "]", "\\]" },
		{ "{", "\\{" },
		{ "}", "\\}" },
		{ "+", "\\+" },
		{ "?", "\\?" },
		{ "*", "\\*" },
	};
	size_t len = strlen(pat), i, m, w;
	char c, prev;
	int r;

	if (len > PAT_MAXLEN_OSSEC3) {
		seterr(err, errlen, "OS_Regex", "pattern longer than 2048 "
		    "bytes", PAT_MAXLEN_OSSEC3);
		return -1;
	}
	if ((r = ossec3_shortcut(p, pat, " !\"#%&',/:;<=>@_`~-", 1, b)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (r > 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (i >= 2 && pat[i - 2] == '\\' &&
		    (pat[i] == '*' || pat[i] == '+')) {
			sb_addc(b, pat[i]);
			sb_addc(b, '?');
			continue;
		}
		for (m = 0; m < sizeof(map) / sizeof(map[0]); m++)
			if (strncmp(pat + i, map[m].from,
			    strlen(map[m].from)) == 0)
				break;
		if (m < sizeof(map) / sizeof(map[0])) {
			sb_adds(b, map[m].to);
			i += strlen(map[m].from) - 1;
			continue;
		}
		if (pat[i] == '\\' && i + 1 < len) {
			if (strchr("t$(){}[]\\|<", pat[i + 1]) == NULL) {
				char rs[48];

				snprintf(rs, sizeof(rs), "invalid escape "
				    "'\\%c'", pat[i + 1]);
				seterr(err, errlen, "OS_Regex", rs, i);
				return -1;
			}
			sb_addn(b, pat + i, 2);
			i++;
			continue;
		}
		sb_addc(b, pat[i]);
	}
	if (b->oom || b->p == NULL)
		return 0;	/* out of memory, or the empty pattern */
	/* Greedy again: "+?" or "*?" (not after '\'), then ")"s, then '|',
	 * '$' or the end.  Reads ahead of where it writes. */
	for (i = 0, w = 0, prev = '\0'; i < b->len; i++) {
		c = b->p[i];
		b->p[w++] = c;
		if ((c == '+' || c == '*') && prev != '\\' &&
		    i + 1 < b->len && b->p[i + 1] == '?') {
			m = i + 2;
			while (m < b->len && b->p[m] == ')')
				m++;
			if (m == b->len || b->p[m] == '|' || b->p[m] == '$') {
				prev = '?';
				i++;	/* drop the '?' */
				continue;
			}
		}
		prev = c;
	}
	b->len = w;
	b->p[w] = '\0';
	return 0;
}

/* ---------------------------------------------------------------------
 * Compile.
 */
static pcre2_code *
pcre_compile(const char *pattern, uint32_t opts, const char *what,
    char *err, size_t errlen)
{
	pcre2_code *re;
	PCRE2_SIZE off;
	int ec;
	PCRE2_UCHAR msg[160];

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts,
	    &ec, &off, NULL);
	if (re == NULL && (opts & PCRE2_UTF) && ec >= PCRE2_ERROR_UTF8_ERR21 &&
	    ec <= PCRE2_ERROR_UTF8_ERR1) {
		/* OSSEC 3.3 compiles without checking UTF-8; for a pattern
		 * that is not UTF-8 (Latin-1 rules) bytes are the closest. */
		opts &= ~(uint32_t)(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF);
		re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		    opts, &ec, &off, NULL);
	}
	if (re == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s at offset %zu", what,
			    (const char *)msg, (size_t)off);
	}
	return re;
}

/*
 * A pattern is JIT-compiled at its first match, not when it is loaded: a
 * ruleset has thousands of patterns, and a run that sees a few kinds of
 * events matches a few of them (the JIT was a fifth of `mamori
 * analyze`'s start-up, 4.4 of its 24 ms).  Several workers may match the
 * same pattern at once, so the first compiles under a lock and the state
 * is published with release order; later matches read it with one
 * acquire load.  A failed JIT is not fatal: the interpreter gives the
 * same answers.
 */
enum { JIT_LAZY = 0, JIT_OK, JIT_NONE };

static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether re (JIT state *st) runs JIT-compiled; compiles it the first
 * time. */
static int
jit_ready(atomic_int *st, pcre2_code *re)
{
	int v = atomic_load_explicit(st, memory_order_acquire);

	if (v != JIT_LAZY)
		return v == JIT_OK;
	pthread_mutex_lock(&jit_lock);
	if ((v = atomic_load_explicit(st, memory_order_relaxed)) ==
	    JIT_LAZY) {
		v = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0 ? JIT_OK :
		    JIT_NONE;
		atomic_store_explicit(st, v, memory_order_release);
	}
	pthread_mutex_unlock(&jit_lock);
	return v == JIT_OK;
}

/*
 * For an anchored pattern (every top-level branch starts with ^ or \A,
 * which PCRE2 reports as PCRE2_ANCHORED), the bytes a match may start
 * with: PCRE2's first code unit (both cases of a letter, whatever the
 * pattern's case rule: a superset is safe) or its start bitmap.
 */
static void
first_bytes(struct rules_pat *p)
{
	uint32_t all = 0, type = 0, unit = 0;
	const uint8_t *map = NULL;
	int c;

	p->first_check = 0;
	if (p->code == NULL ||
	    pcre2_pattern_info(p->code, PCRE2_INFO_ALLOPTIONS, &all) != 0 ||
	    !(all & PCRE2_ANCHORED) ||
	    pcre2_pattern_info(p->code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0)
		return;
	memset(p->first, 0, sizeof(p->first));
	if (type == 1) {
		if (pcre2_pattern_info(p->code, PCRE2_INFO_FIRSTCODEUNIT,
		    &unit) != 0 || unit > 0xff)
			return;
		p->first[unit >> 3] |= (uint8_t)(1u << (unit & 7));
		if (unit >= 'a' && unit <= 'z')
			unit -= 'a' - 'A';
		else if (unit >= 'A' && unit <= 'Z')
			unit += 'a' - 'A';
		p->first[unit >> 3] |= (uint8_t)(1u << (unit & 7));
	} else if (type == 0 && pcre2_pattern_info(p->code,
	    PCRE2_INFO_FIRSTBITMAP, &map) == 0 && map != NULL) {
		for (c = 0; c < 256; c++)
			if (map[c >> 3] & (1u << (c & 7)))
				p->first[c >> 3] |= (uint8_t)(1u << (c & 7));
	} else
		return;
	p->first_check = 1;
}

struct rules_pat *
rules_pat_compile(enum rules_pat_kind kind, const char *pattern, char *err,
    size_t errlen)
{
	struct rules_pat *p;
	struct sbuf b = { 0 }, ob = { 0 };
	uint32_t opts = 0, count;
	const char *what = "PCRE2";
	int i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (pattern == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no pattern");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->kind = kind;
	p->mode = MODE_PCRE;
	for (i = 0; i < CL_COUNT; i++)
		cl_set(i, &p->clset[i]);

	switch (kind) {
	case RULES_PAT_OSMATCH:
		what = "OS_Match";
		if (strlen(pattern) > PAT_MAXLEN_CLASSIC) {
			seterr(err, errlen, what, "pattern longer than 20480 "
			    "bytes", PAT_MAXLEN_CLASSIC);
			goto fail;
		}
		if (osmatch_classic(p, pattern, &b, &ob, err, errlen) != 0)
			goto fail;
		opts = PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
		p->capmode = CAPS_COMPACT;
		break;
	case RULES_PAT_OSREGEX:
		what = "OS_Regex";
		if (strlen(pattern) > PAT_MAXLEN_CLASSIC) {
			seterr(err, errlen, what, "pattern longer than 20480 "
			    "bytes", PAT_MAXLEN_CLASSIC);
			goto fail;
		}
		if (osregex_translate(p, pattern, &b, &ob, err, errlen) != 0)
			goto fail;
		opts = PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
		p->capmode = CAPS_PAIRS;
		break;
	case RULES_PAT_OSMATCH_OSSEC3:
		what = "OS_Match";
		if (ossec3_osmatch(p, pattern, &b, err, errlen) != 0)
			goto fail;
		opts = p->mode == MODE_LITERALS ? PCRE2_CASELESS |
		    PCRE2_NEVER_UTF : PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
		    PCRE2_CASELESS;
		p->capmode = CAPS_COMPACT;
		break;
	case RULES_PAT_OSREGEX_OSSEC3:
		what = "OS_Regex";
		if (ossec3_osregex(p, pattern, &b, err, errlen) != 0)
			goto fail;
		opts = p->mode == MODE_LITERALS ? PCRE2_CASELESS |
		    PCRE2_NEVER_UTF : PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
		    PCRE2_CASELESS;
		p->capmode = CAPS_COMPACT;
		break;
	case RULES_PAT_PCRE2_CASELESS:
		if (pattern[0] == '\0') {
			seterr(err, errlen, what, "empty pattern", 0);
			goto fail;
		}
		if ((i = ossec3_shortcut(p, pattern,
		    " !\"#%&',/:;<=>@_`~-", 1, &b)) < 0)
			goto oom;
		if (i == 0)
			sb_adds(&b, pattern);
		opts = PCRE2_CASELESS;
		p->capmode = CAPS_COMPACT;
		break;
	case RULES_PAT_PCRE2:
		sb_adds(&b, pattern);
		opts = 0;
		p->capmode = CAPS_POSITIONAL;
		break;
	default:
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "unknown pattern kind %d",
			    (int)kind);
		goto fail;
	}
	if (b.oom || ob.oom)
		goto oom;
	if (b.p == NULL)
		sb_adds(&b, "");
	if (b.oom)
		goto oom;
	p->pcre = b.p;
	b.p = NULL;
	p->opts = opts;

	/* A literal shortcut runs without PCRE2 but keeps the equivalent
	 * pattern, compiled, for rules_pat_pcre2() and the tests. */
	if ((p->code = pcre_compile(p->pcre, opts, what, err,
	    errlen)) == NULL)
		goto fail;
	atomic_init(&p->jit, JIT_LAZY);
	first_bytes(p);
	if (ob.p != NULL && p->mode == MODE_PCRE) {
		if ((p->ocode = pcre_compile(ob.p, opts | PCRE2_ANCHORED,
		    what, err, errlen)) == NULL)
			goto fail;
		atomic_init(&p->ojit, JIT_LAZY);
	}
	free(ob.p);
	ob.p = NULL;

	if (p->mode == MODE_PCRE && kind != RULES_PAT_OSREGEX) {
		pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &count);
		if (count > RULES_PAT_MAX_CAPS) {
			seterr(err, errlen, what, "more than 32 groups", 0);
			goto fail;
		}
		p->ncaps = (int)count;
	}
	return p;

oom:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "out of memory");
fail:
	free(b.p);
	free(ob.p);
	rules_pat_free(p);
	return NULL;
}

void
rules_pat_free(struct rules_pat *p)
{
	int i;

	if (p == NULL)
		return;
	pcre2_code_free(p->code);
	pcre2_code_free(p->ocode);
	for (i = 0; i < p->nlits; i++)
		free(p->lits[i].s);
	free(p->lits);
	free(p->alts);
	free(p->pcre);
	free(p);
}

const char *
rules_pat_pcre2(const struct rules_pat *p)
{
	return p->pcre;
}

int
rules_pat_ncaps(const struct rules_pat *p)
{
	return p->ncaps;
}

int
rules_pat_prefilter(const struct rules_pat *p, int *caseless)
{
	*caseless = (p->opts & PCRE2_CASELESS) != 0;
	/* A negated pattern matches where its text does not; a UTF
	 * pattern would need a UTF scan of bytes that may not be UTF-8. */
	return !p->negate && !(p->opts & PCRE2_UTF);
}

struct rules_pat_scratch *
rules_pat_scratch_new(void)
{
	struct rules_pat_scratch *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->md = pcre2_match_data_create(PAT_OVEC_PAIRS, NULL);
	sc->mctx = pcre2_match_context_create(NULL);
	/* Lazy runs over a long line can need more than the 32 KiB JIT
	 * stack PCRE2 uses by default. */
	sc->jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	if (sc->md == NULL || sc->mctx == NULL) {
		rules_pat_scratch_free(sc);
		return NULL;
	}
	if (sc->jstack != NULL)
		pcre2_jit_stack_assign(sc->mctx, NULL, sc->jstack);
	pcre2_set_match_limit(sc->mctx, PAT_MATCH_LIMIT);
	return sc;
}

void
rules_pat_scratch_free(struct rules_pat_scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jstack);
	free(sc);
}

/* ---------------------------------------------------------------------
 * Match.
 */
static int
ci_equal(const uint8_t *s, const uint8_t *lit, size_t n, int exact)
{
	size_t i;

	if (exact)
		return memcmp(s, lit, n) == 0;
	for (i = 0; i < n; i++)
		if (fold(s[i]) != lit[i])
			return 0;
	return 1;
}

/* First occurrence of lit (lower case) in s, folding s's ASCII case; the
 * offset after it, or -1. */
static long
ci_find(const uint8_t *s, size_t len, const struct lit *l)
{
	const uint8_t *p, *q, *end;
	uint8_t c0, c1;

	if (l->n == 0)
		return 0;
	if (l->n > len)
		return -1;
	if (l->exact_case) {
		p = memmem(s, len, l->s, l->n);
		return p == NULL ? -1 : (long)(p - s + l->n);
	}
	c0 = l->s[0];
	c1 = c0 >= 'a' && c0 <= 'z' ? (uint8_t)(c0 - 32) : c0;
	end = s + len - l->n + 1;	/* candidates start before end */
	p = s;
	while (p < end) {
		q = memchr(p, c0, (size_t)(end - p));
		if (c1 != c0) {
			const uint8_t *u = memchr(p, c1, (size_t)(q != NULL ?
			    q - p : end - p));

			if (u != NULL)
				q = u;
		}
		if (q == NULL)
			return -1;
		if (ci_equal(q + 1, l->s + 1, l->n - 1, 0))
			return (long)(q - s + l->n);
		p = q + 1;
	}
	return -1;
}

/* Literal alternatives in order; returns the end of the first that
 * matches, or -1. */
static long
lits_match(const struct rules_pat *p, const uint8_t *s, size_t len)
{
	const struct lit *l;
	long r;
	int i;

	for (i = 0; i < p->nlits; i++) {
		l = &p->lits[i];
		switch (l->kind) {
		case LIT_ALWAYS:
			return 0;
		case LIT_PREFIX:
			if (len >= l->n && ci_equal(s, l->s, l->n, 0))
				return (long)l->n;
			break;
		case LIT_SUFFIX:
			if (len >= l->n && ci_equal(s + len - l->n, l->s,
			    l->n, 0))
				return (long)len;
			break;
		case LIT_EXACT:
			if (len == l->n && ci_equal(s, l->s, l->n, 0))
				return (long)len;
			break;
		case LIT_SUB:
			if ((r = ci_find(s, len, l)) >= 0)
				return r;
			break;
		}
	}
	return -1;
}

/*
 * The classic OS_Regex end offset: OSRegex_Execute() returns a pointer
 * to the last byte it matched (with the exceptions below) and the
 * decoders step one byte past it unless it is the terminating NUL.
 */
static size_t
classic_end(const struct rules_pat *p, const struct alt *a,
    const uint8_t *s, size_t len, const PCRE2_SIZE *ov)
{
	size_t x = ov[1], rs;
	long r;
	int carry = 0, star;

	if (a->tail == TAIL_CHAR || a->hidden == 0) {
		r = (long)x - 1;
	} else {
		rs = ov[2 * a->hidden];
		if (a->carry && rs >= a->carry_dist &&
		    cs_has(&p->clset[a->carry_cl], s[rs - a->carry_dist]))
			carry = 1;
		star = a->tail == TAIL_STAR || carry;
		if (!star) {
			/* The run's first byte set the result; a byte that
			 * stops a run at the very end replaces it. */
			r = (x == len || a->mark_after) ? (long)rs : (long)x;
		} else if (rs == x) {
			/* An empty * run. */
			if (x == len)
				r = (long)x - 1;
			else
				r = carry && !a->mark_after ? (long)x :
				    (long)x - 1;
		} else if (x == len) {
			/* The run's bytes leave the result alone, unless the
			 * run before it handed over the first one. */
			r = a->prev_run_cl != 0xff &&
			    cs_has(&p->clset[a->prev_run_cl], s[rs]) ?
			    (long)rs : (long)rs - 1;
		}
		else if (!a->mark_after)
			r = a->first ? (long)x - 1 : (long)x;
		else
			r = a->tail == TAIL_STAR ? (long)x - 1 :
			    (long)rs - 1;
	}
	if (r < 0)
		return 0;
	return (size_t)r < len ? (size_t)r + 1 : len;
}

int
rules_pat_exec(const struct rules_pat *p, struct rules_pat_scratch *sc,
    const char *str, size_t len, size_t *end, struct rules_pat_caps *caps)
{
	const uint8_t *s = (const uint8_t *)(str != NULL ? str : "");
	const pcre2_code *re;
	const struct alt *a = NULL;
	PCRE2_SIZE *ov;
	PCRE2_SPTR mark;
	int rc, g, n, ordered, use_jit;
	long e;

	if (end != NULL)
		*end = 0;
	if (caps != NULL)
		caps->n = 0;
	if (str == NULL)
		len = 0;

	if (p->mode == MODE_LITERALS) {
		e = lits_match(p, s, len);
		if (p->negate)
			return e < 0;
		if (e < 0)
			return 0;
		if (end != NULL)
			*end = (size_t)e;
		return 1;
	}

	if (p->first_check && len > 0 &&
	    !(p->first[s[0] >> 3] & (1u << (s[0] & 7))))
		return p->negate ? 1 : 0;
	ordered = p->ocode != NULL && (end != NULL || caps != NULL);
	re = ordered ? p->ocode : p->code;
	/* The JIT state is the one field a match may set. */
	use_jit = jit_ready(ordered ? (atomic_int *)(uintptr_t)&p->ojit :
	    (atomic_int *)(uintptr_t)&p->jit, (pcre2_code *)(uintptr_t)re);
	if (use_jit)
		rc = pcre2_jit_match(re, s, len, 0, 0, sc->md, sc->mctx);
	else
		rc = pcre2_match(re, s, len, 0, 0, sc->md, sc->mctx);
	if (p->negate)
		return rc < 0;
	/* No match, or an error such as the match limit: no match. */
	if (rc < 0)
		return 0;
	if (end == NULL && caps == NULL)
		return 1;
	ov = pcre2_get_ovector_pointer(sc->md);

	if (p->kind == RULES_PAT_OSREGEX) {
		g = 0;
		if (ordered && (mark = pcre2_get_mark(sc->md)) != NULL)
			g = atoi((const char *)mark);
		if (g < 0 || g >= p->nalts)
			g = 0;
		a = &p->alts[g];
		if (end != NULL)
			*end = classic_end(p, a, s, len, ov);
		if (caps != NULL) {
			for (g = 0; g < a->ncaps; g++) {
				caps->so[g] = ov[2 * (g + 1)];
				caps->eo[g] = ov[2 * (g + 1) + 1];
				if (len > 0 && caps->so[g] == len - 1 &&
				    a->fix_open[g] != 0xff &&
				    cs_has(&p->clset[a->fix_open[g]],
				    s[len - 1]))
					caps->so[g] = len;
				if (len > 0 && caps->eo[g] == len - 1 &&
				    a->fix_close[g] != 0xff &&
				    cs_has(&p->clset[a->fix_close[g]],
				    s[len - 1]))
					caps->eo[g] = len;
				if (caps->eo[g] < caps->so[g])
					caps->eo[g] = caps->so[g];
			}
			caps->n = a->ncaps;
		}
		return 1;
	}

	if (end != NULL)
		*end = ov[1];
	if (caps != NULL) {
		for (g = 1, n = 0; g < rc && n < RULES_PAT_MAX_CAPS; g++) {
			if (ov[2 * g] == PCRE2_UNSET) {
				if (p->capmode == CAPS_COMPACT)
					continue;
				caps->so[n] = caps->eo[n] = 0;
			} else {
				caps->so[n] = ov[2 * g];
				caps->eo[n] = ov[2 * g + 1];
			}
			n++;
		}
		caps->n = n;
	}
	return 1;
}
