/*
 * fuzz-rules-pat.c - libFuzzer harness for rules-pat.c: the OS_Match,
 * OS_Regex and PCRE2 pattern compilers and matcher.
 *
 * Input: one byte choosing the kind (modulo the number of kinds), the
 * pattern up to the first NUL, then the subject (any bytes).  Besides
 * what ASan and UBSan catch, it checks that a rejected pattern says why;
 * that the end offset and every group lie inside the subject; that the
 * answer does not depend on whether end and groups are asked for (two
 * different PCRE2 codes may run); and that classic OS_Match's literal
 * loops agree with its PCRE2 translation.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "rules/rules-pat.h"

#define NKINDS		6
#define MAX_PATTERN	4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_caps(const struct rules_pat *p, const struct rules_pat_caps *c,
    size_t len)
{
	int g;

	if (c->n < 0 || c->n > RULES_PAT_MAX_CAPS ||
	    c->n > rules_pat_ncaps(p))
		abort();
	for (g = 0; g < c->n; g++)
		if (c->so[g] > c->eo[g] || c->eo[g] > len)
			abort();
}

/* Classic OS_Match runs as literal loops: PCRE2 must agree. */
static void
check_osmatch(const struct rules_pat *p, const char *pat, const char *s,
    size_t len, int got)
{
	pcre2_code *re;
	pcre2_match_data *md;
	PCRE2_SIZE off;
	int ec, want;

	re = pcre2_compile((PCRE2_SPTR)rules_pat_pcre2(p),
	    PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &ec, &off, NULL);
	if (re == NULL)
		abort();
	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		abort();
	want = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
	if (pat[0] == '!')
		want = !want;
	if (want != got)
		abort();
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules_pat_scratch *sc;
	struct rules_pat *p;
	struct rules_pat_caps caps;
	const uint8_t *nul;
	char *pat, err[256];
	const char *subj;
	size_t plen, slen, end;
	int kind, r, r2;

	if (size < 1)
		return 0;
	if (sc == NULL && (sc = rules_pat_scratch_new()) == NULL)
		abort();
	kind = data[0] % NKINDS;
	data++;
	size--;
	nul = memchr(data, 0, size);
	plen = nul != NULL ? (size_t)(nul - data) : size;
	if (plen > MAX_PATTERN)
		return 0;
	if ((pat = malloc(plen + 1)) == NULL)
		return 0;
	memcpy(pat, data, plen);
	pat[plen] = '\0';
	subj = nul != NULL ? (const char *)nul + 1 : "";
	slen = nul != NULL ? size - plen - 1 : 0;

	err[0] = '\0';
	if ((p = rules_pat_compile((enum rules_pat_kind)kind, pat, err,
	    sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();	/* a rejection must say why */
		free(pat);
		return 0;
	}
	if (rules_pat_pcre2(p) == NULL || rules_pat_ncaps(p) < 0 ||
	    rules_pat_ncaps(p) > RULES_PAT_MAX_CAPS)
		abort();

	end = (size_t)-1;
	r = rules_pat_exec(p, sc, subj, slen, &end, &caps);
	if (r != 0 && r != 1)
		abort();
	if (end > slen)
		abort();
	if (r == 1)
		check_caps(p, &caps, slen);
	else if (caps.n != 0 || end != 0)
		abort();
	r2 = rules_pat_exec(p, sc, subj, slen, NULL, NULL);
	if (r2 != r)
		abort();
	if (kind == RULES_PAT_OSMATCH)
		check_osmatch(p, pat, subj, slen, r);
	/* The empty subject, with a NULL pointer. */
	r = rules_pat_exec(p, sc, NULL, 0, &end, &caps);
	if (end != 0 || (r == 1 && caps.n > 0 && caps.eo[caps.n - 1] != 0))
		abort();

	rules_pat_free(p);
	free(pat);
	return 0;
}
