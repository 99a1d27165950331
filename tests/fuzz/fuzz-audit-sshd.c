/*
 * fuzz-audit-sshd.c - libFuzzer harness for the sshd_config parser
 * (audit_sshd_parse(); host/audit-sshd.c): keywords and arguments,
 * quotes and escapes, '=' separators, comments, Match blocks and
 * Include.  Include is served from the input itself (every pattern
 * names the same text), so nesting, Match inheritance and the depth
 * limit are fuzzed too.
 *
 * Checks: every setting has a lowercase keyword without spaces, a
 * value and argument text without NUL, a line within its file; a Match
 * condition is never empty; the global lookup returns the first
 * matching setting; the parse stops at the depth limit; and it is
 * deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "host/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const char	*p;
	size_t		 len;
	int		 calls;
};

static int
inc(struct audit_sshd *s, const char *pattern, const char *match,
    int depth, void *arg)
{
	struct in *in = arg;

	(void)pattern;
	if (depth > AUDIT_SSHD_MAX_DEPTH)
		abort();
	if (++in->calls > 64)
		return 0;	/* keep a run short */
	return audit_sshd_parse(s, "inc", in->p, in->len, match, depth, inc,
	    arg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_sshd a, b;
	const struct audit_sshd_opt *o;
	struct in ia, ib;
	size_t i, lines = 1;
	const char *k, *v;
	int ra, rb;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ia.p = ib.p = (const char *)data;
	ia.len = ib.len = size;
	ia.calls = ib.calls = 0;
	ra = audit_sshd_parse(&a, "main", (const char *)data, size, NULL, 0,
	    inc, &ia);
	rb = audit_sshd_parse(&b, "main", (const char *)data, size, NULL, 0,
	    inc, &ib);
	if (ra != rb || a.n != b.n || a.bad != b.bad)
		abort();
	if (ra != 0 && ra != MAMORI_ETOOBIG)
		abort();
	for (i = 0; i < a.n; i++) {
		o = &a.v[i];
		if (o->key[0] == '\0' || o->value == NULL || o->args == NULL ||
		    o->line < 1 || o->line > lines)
			abort();
		for (k = o->key; *k != '\0'; k++)
			if ((*k >= 'A' && *k <= 'Z') || *k == ' ' ||
			    *k == '\t' || *k == '=')
				abort();
		if (o->match != NULL && o->match[0] == '\0')
			abort();
		if (strcmp(o->key, b.v[i].key) != 0 ||
		    strcmp(o->args, b.v[i].args) != 0)
			abort();
		if (strcmp(o->key, "match") == 0 ||
		    strcmp(o->key, "include") == 0)
			abort();
		if (o->match == NULL) {
			v = audit_sshd_global(&a, o->key, NULL);
			if (v == NULL)
				abort();
		}
	}
	audit_sshd_release(&a);
	audit_sshd_release(&b);
	return 0;
}
