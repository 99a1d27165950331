/*
 * fuzz-audit-pwfile.c - libFuzzer harness for the account file parser
 * (audit_pwfile_parse(); host/audit-accounts.c): passwd(5), shadow(5)
 * and group(5) as a fake root or a mounted disk holds them, in any
 * state an intruder or a broken tool left them.
 *
 * The first byte picks the file.  Checks: every non-empty line that is
 * not a NIS compat line is an entry or counted malformed; entries have
 * a non-empty name and no ':', '\n' or NUL in any field; the first bad
 * line's number is within the input; line numbers grow; parsing is
 * deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
field(const char *s)
{
	if (s == NULL || strchr(s, ':') != NULL || strchr(s, '\n') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_pwfile f, g;
	const char *p, *e, *end;
	size_t i, lines = 0, want = 0, last = 0;
	int which, r;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		lines++;
		if (e > p && *p != '+' && *p != '-')
			want++;
	}
	r = audit_pwfile_parse(&f, which, (const char *)data + 1, size - 1);
	if (r != 0 || audit_pwfile_parse(&g, which, (const char *)data + 1,
	    size - 1) != 0)
		abort();
	if (f.n + f.bad != want || f.n != g.n || f.bad != g.bad ||
	    f.first_bad != g.first_bad)
		abort();
	if (f.bad > 0 && (f.first_bad < 1 || f.first_bad > lines))
		abort();
	for (i = 0; i < f.n; i++) {
		size_t line;

		if (which == AUDIT_PW_PASSWD) {
			const struct audit_pw *w = &f.pw[i];

			if (w->name[0] == '\0')
				abort();
			field(w->name);
			field(w->passwd);
			field(w->home);
			field(w->shell);
			if (strcmp(w->name, g.pw[i].name) != 0 ||
			    w->uid != g.pw[i].uid || w->uid == UINT32_MAX)
				abort();
			line = w->line;
		} else {
			const struct audit_sp *s = &f.sp[i];

			if (s->name[0] == '\0')
				abort();
			field(s->name);
			field(s->passwd);
			if ((which == AUDIT_PW_GROUP) != (s->members != NULL))
				abort();
			if (s->members != NULL)
				field(s->members);
			line = s->line;
		}
		if (line <= last || line > lines)
			abort();
		last = line;
	}
	audit_pwfile_release(&f);
	audit_pwfile_release(&g);
	return 0;
}
