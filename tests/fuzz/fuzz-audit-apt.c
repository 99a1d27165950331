/*
 * fuzz-audit-apt.c - libFuzzer harness for the reader of
 * `apt-get -s dist-upgrade` output (audit_apt_parse();
 * host/audit-updates.c).  The output comes from a program run on a
 * possibly compromised host, with package names and origins from
 * package lists anyone on the mirror path could have written.
 *
 * Checks: each "Inst " line is a package or counted bad; packages have
 * a name and a version without spaces; a package is a security one
 * exactly when its origins say so; parsing is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_apt a, b;
	const char *p, *e, *end = (const char *)data + size;
	size_t i, inst = 0;

	for (p = (const char *)data; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e - p >= 5 && memcmp(p, "Inst ", 5) == 0)
			inst++;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (audit_apt_parse(&a, (const char *)data, size) != 0 ||
	    audit_apt_parse(&b, (const char *)data, size) != 0)
		abort();
	if (a.n + a.bad != inst || a.n != b.n || a.bad != b.bad)
		abort();
	for (i = 0; i < a.n; i++) {
		if (a.v[i].name[0] == '\0' || strchr(a.v[i].name, ' ') ||
		    a.v[i].new[0] == '\0' || strchr(a.v[i].new, ' ') ||
		    a.v[i].origins == NULL)
			abort();
		if (strcmp(a.v[i].name, b.v[i].name) != 0 ||
		    a.v[i].security != b.v[i].security)
			abort();
		if (a.v[i].security && strcasestr(a.v[i].origins,
		    "security") == NULL)
			abort();
	}
	audit_apt_release(&a);
	audit_apt_release(&b);
	return 0;
}
