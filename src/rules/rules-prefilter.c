/*
 * rules-prefilter.c - one multi-literal scan per event before the rules.
 *
 * Most of an event's analysis time went to running PCRE2 (JIT) patterns
 * one after another over the same log: every child decoder's prematch in
 * turn, every sibling rule's <match>/<pcre2>.  Most of those patterns
 * need some literal text to match ("Failed password", "sudo:").  Each
 * pattern's longest such required literal is taken from its PCRE2 form
 * (conservatively: only text outside any group, in a pattern without a
 * top-level '|', not made optional by a quantifier), and Vectorscan scans
 * the log once for all of them at once, without case (a superset of any
 * case rule).  A pattern whose literal is absent cannot match, and its
 * PCRE2 run is skipped; a pattern whose literal is present still runs in
 * PCRE2, which decides.  So the prefilter changes the time, never the
 * result.  Patterns without a usable literal (three bytes or more) always
 * run, and so do patterns on a part of the log (an offset after the
 * parent or prematch).  Vectorscan's regex prefilter mode was tried
 * first: scanning for 1,500 whole patterns cost more than PCRE2 saved.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "core/error.h"
#include "core/log.h"
#include "rules/rules-int.h"

struct pfpat {
	struct rules_pat *pat;
	int		*idp;		/* where the id goes */
};

struct pflist {
	struct pfpat	*v;
	int		 n, cap;
};

static int
pf_add(struct pflist *l, struct rules_pat *p, int *idp)
{
	int caseless;

	*idp = -1;
	if (p == NULL || !rules_pat_prefilter(p, &caseless))
		return 0;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 256;
		struct pfpat *v = realloc(l->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].pat = p;
	l->v[l->n].idp = idp;
	l->n++;
	return 0;
}

#define PF_MIN_LIT	3

/* Skips a character class starting at p ('['); returns what follows. */
static const char *
skip_class(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (p[0] == '[' && p[1] == ':') {
			const char *e = strstr(p, ":]");

			if (e != NULL)
				p = e + 1;
		}
		p++;
	}
	return *p == ']' ? p + 1 : p;
}

/*
 * The longest literal every match of PCRE2 pattern pat contains, lower
 * case, into out (at most outlen - 1 bytes); returns its length, 0 when
 * none is sure.
 */
static size_t
required_literal(const char *pat, char *out, size_t outlen)
{
	char run[256];
	size_t n = 0, best = 0;
	const char *p;
	int depth = 0;

	/* Alternatives at the top, or extended mode: nothing is sure. */
	for (p = pat; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p) - 1;
			continue;
		}
		if (*p == '(') {
			depth++;
			if (p[1] == '?' && p[2] != '\0' &&
			    strchr(p + 2, ')') != NULL &&
			    memchr(p + 2, 'x', (size_t)(strchr(p + 2, ')') -
			    (p + 2))) != NULL)
				return 0;
		} else if (*p == ')')
			depth--;
		else if (*p == '|' && depth == 0)
			return 0;
	}
#define FLUSH() do {							\
	if (n > best && n < outlen) {					\
		memcpy(out, run, n);					\
		best = n;						\
	}								\
	n = 0;								\
} while (0)
	for (p = pat, depth = 0; *p != '\0'; ) {
		char c;

		if (*p == '(') {
			/* A group may be optional or alternative: skip it. */
			FLUSH();
			depth = 1;
			for (p++; *p != '\0' && depth > 0; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '[')
					p = skip_class(p) - 1;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
			}
			/* Whatever quantifies the group goes with it. */
			continue;
		}
		if (*p == '[') {
			FLUSH();
			p = skip_class(p);
			continue;
		}
		if (*p == '{') {
			/* A counted quantifier: its digits are no text. */
			const char *e = strchr(p, '}');

			FLUSH();
			p = e != NULL ? e + 1 : p + strlen(p);
			continue;
		}
		if (*p == '\\') {
			unsigned char e = (unsigned char)p[1];

			if (e == '\0' || (e >= '0' && e <= '9') ||
			    (e >= 'A' && e <= 'Z') || (e >= 'a' && e <= 'z')) {
				/* A class, an anchor, a reference, \x41,
				 * \x{..}, \p{..}, \k<..>, \cX, \012: skip
				 * all that may belong to it. */
				FLUSH();
				p += e != '\0' ? 2 : 1;
				if (e == 'c' && *p != '\0')
					p++;
				while (isxdigit((unsigned char)*p))
					p++;
				if (*p == '{' || *p == '<' || *p == '\'') {
					char close = *p == '{' ? '}' :
					    *p == '<' ? '>' : '\'';
					const char *q = strchr(p + 1, close);

					p = q != NULL ? q + 1 : p + strlen(p);
				}
				continue;
			}
			c = (char)e;
			p += 2;
		} else if (strchr(".^$*+?}|)", *p) != NULL) {
			FLUSH();
			p++;
			continue;
		} else
			c = *p++;
		/* A quantifier makes this character optional or repeated. */
		if (*p == '*' || *p == '?' || *p == '{') {
			FLUSH();
			continue;
		}
		if (n < sizeof(run))
			run[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' :
			    c);
		if (*p == '+')
			FLUSH();
	}
	FLUSH();
#undef FLUSH
	return best >= PF_MIN_LIT ? best : 0;
}

/* The literals Vectorscan looks for, each naming its pattern. */
struct litset {
	char		**lit;
	size_t		*len;
	unsigned	*id;
	int		 n, cap;
};

static int
lit_add(struct litset *ls, const char *lit, size_t len, unsigned id)
{
	if (ls->n == ls->cap) {
		int cap = ls->cap ? ls->cap * 2 : 512;
		char **l = realloc(ls->lit, (size_t)cap * sizeof(*l));
		size_t *n;
		unsigned *d;

		if (l == NULL)
			return MAMORI_ENOMEM;
		ls->lit = l;
		if ((n = realloc(ls->len, (size_t)cap * sizeof(*n))) == NULL)
			return MAMORI_ENOMEM;
		ls->len = n;
		if ((d = realloc(ls->id, (size_t)cap * sizeof(*d))) == NULL)
			return MAMORI_ENOMEM;
		ls->id = d;
		ls->cap = cap;
	}
	if ((ls->lit[ls->n] = malloc(len)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(ls->lit[ls->n], lit, len);
	ls->len[ls->n] = len;
	ls->id[ls->n] = id;
	ls->n++;
	return 0;
}

/*
 * Adds pattern pat's literals: one per top-level alternative, each of
 * which must have one (else the pattern is not prefiltered: returns 0
 * with nothing added).  Returns 1 when added, or MAMORI_ENOMEM.
 */
static int
pattern_literals(struct litset *ls, const char *pat, unsigned id)
{
	char alt[4096], lit[256];
	const char *p, *start = pat;
	size_t lens[64], n;
	char lits[64][256];
	int depth = 0, nalt = 0, k, rc;

	for (p = pat; ; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p) - 1;
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p != '\0' && !(*p == '|' && depth == 0))
			continue;
		/* An alternative ends here. */
		n = (size_t)(p - start);
		if (nalt == 64 || n >= sizeof(alt))
			return 0;
		memcpy(alt, start, n);
		alt[n] = '\0';
		if ((lens[nalt] = required_literal(alt, lit, sizeof(lit))) == 0)
			return 0;
		memcpy(lits[nalt], lit, lens[nalt]);
		nalt++;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	for (k = 0; k < nalt; k++)
		if ((rc = lit_add(ls, lits[k], lens[k], id)) != 0)
			return rc;
	return 1;
}

/* Compiles the required literals of l into rs->pf_db. */
static int
pf_compile(struct rules_set *rs, struct pflist *l)
{
	struct litset ls = { NULL, NULL, NULL, 0, 0 };
	unsigned *flags = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	int *added, i, rc = 0;

	if ((added = calloc((size_t)l->n + 1, sizeof(*added))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < l->n; i++) {
		*l->v[i].idp = -1;
		if ((rc = pattern_literals(&ls, rules_pat_pcre2(l->v[i].pat),
		    (unsigned)i)) < 0)
			goto out;
		added[i] = rc == 1;
		rc = 0;
	}
	if (ls.n == 0)
		goto out;
	if ((flags = calloc((size_t)ls.n, sizeof(*flags))) == NULL) {
		rc = MAMORI_ENOMEM;
		goto out;
	}
	for (i = 0; i < ls.n; i++)
		flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
	if (hs_compile_lit_multi((const char *const *)ls.lit, flags, ls.id,
	    ls.len, (unsigned)ls.n, HS_MODE_BLOCK, NULL, &db,
	    &cerr) != HS_SUCCESS) {
		/* Literals never fail but for memory: no prefilter then. */
		hs_free_compile_error(cerr);
		goto out;
	}
	for (i = 0; i < l->n; i++)
		if (added[i])
			*l->v[i].idp = i;
	rs->pf_db = db;
	rs->pf_n = l->n;
out:
	for (i = 0; i < ls.n; i++)
		free(ls.lit[i]);
	free(ls.lit);
	free(ls.len);
	free(ls.id);
	free(flags);
	free(added);
	return rc;
}

int
rules_pf_build(struct rules_set *rs)
{
	struct pflist l = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < rs->ndecs; i++)
		rs->decs[i]->prematch_pf = rs->decs[i]->regex_pf = -1;
	for (i = 0; i < rs->nrules; i++) {
		struct rules_rule *r = rs->rules[i];

		r->match.pf = r->regex.pf = r->idc.pf = r->url.pf = -1;
		r->srcport.pf = r->dstport.pf = r->user.pf = -1;
		r->status.pf = r->extra_data.pf = r->data.pf = -1;
		r->system_name.pf = -1;
	}
	/* MAMORI_NO_PREFILTER=1: every pattern runs (for comparing). */
	if (hs_valid_platform() != HS_SUCCESS ||
	    (getenv("MAMORI_NO_PREFILTER") != NULL &&
	    strcmp(getenv("MAMORI_NO_PREFILTER"), "1") == 0))
		return 0;
	for (i = 0; i < rs->ndecs && rc == 0; i++) {
		struct rules_dec *d = rs->decs[i];

		/* A top-level decoder's prematch runs on the whole log;
		 * a child's too unless it has an offset. */
		if (d->prematch_off == ROFF_NONE)
			rc = pf_add(&l, d->prematch, &d->prematch_pf);
		if (rc == 0 && d->regex_off == ROFF_NONE)
			rc = pf_add(&l, d->regex, &d->regex_pf);
	}
	for (i = 0; i < rs->nrules && rc == 0; i++) {
		struct rules_rule *r = rs->rules[i];

		struct rules_cond *c[] = { &r->match, &r->regex, &r->idc,
		    &r->url, &r->srcport, &r->dstport, &r->user, &r->status,
		    &r->extra_data, &r->data, &r->system_name };
		size_t k;

		/* On the log, and on fields decoded from it. */
		for (k = 0; k < sizeof(c) / sizeof(c[0]) && rc == 0; k++)
			rc = pf_add(&l, c[k]->pat, &c[k]->pf);
	}
	if (rc == 0 && l.n > 0)
		rc = pf_compile(rs, &l);
	if (rc != 0 || rs->pf_db == NULL)
		for (i = 0; i < (size_t)l.n; i++)
			*l.v[i].idp = -1;
	free(l.v);
	return rc;
}

void
rules_pf_free(struct rules_set *rs)
{
	if (rs->pf_db != NULL)
		hs_free_database(rs->pf_db);
	rs->pf_db = NULL;
}

int
rules_pf_ctx_init(struct rules_ctx *ctx)
{
	hs_scratch_t *sc = NULL;

	if (ctx->rs->pf_db == NULL)
		return 0;
	if (hs_alloc_scratch(ctx->rs->pf_db, &sc) != HS_SUCCESS)
		return MAMORI_ENOMEM;
	ctx->pf_scratch = sc;
	if ((ctx->pf_bits = calloc((size_t)(ctx->rs->pf_n + 63) / 64,
	    sizeof(uint64_t))) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

void
rules_pf_ctx_release(struct rules_ctx *ctx)
{
	if (ctx->pf_scratch != NULL)
		hs_free_scratch(ctx->pf_scratch);
	ctx->pf_scratch = NULL;
	free(ctx->pf_bits);
	ctx->pf_bits = NULL;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	uint64_t *bits = arg;

	(void)from;
	(void)to;
	(void)flags;
	bits[id >> 6] |= (uint64_t)1 << (id & 63);
	return 0;
}

void
rules_pf_scan(struct rules_ctx *ctx, struct rules_ev *ev)
{
	const struct rules_set *rs = ctx->rs;

	ev->pf_valid = 0;
	if (rs->pf_db == NULL || ctx->pf_scratch == NULL ||
	    ev->loglen > 0xffffffffu)
		return;
	memset(ctx->pf_bits, 0, (size_t)(rs->pf_n + 63) / 64 *
	    sizeof(uint64_t));
	ev->pf_fields = 1;
	if (hs_scan(rs->pf_db, ev->log, (unsigned)ev->loglen, 0,
	    ctx->pf_scratch, on_match, ctx->pf_bits) == HS_SUCCESS)
		ev->pf_valid = 1;
}
