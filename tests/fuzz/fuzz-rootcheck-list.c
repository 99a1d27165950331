/*
 * fuzz-rootcheck-list.c - libFuzzer harness for the known-rootkit list
 * (rootcheck_list_parse(); host/rootcheck-files.c), a file people edit
 * and point rootcheck.rootkit_files.list at.
 *
 * Checks: an accepted list has entries of the four kinds, each with an
 * absolute path (or a module name without '/'), a non-empty rootkit
 * name and a line number within the input, in increasing order; a
 * refused one leaves nothing, says "fuzz.txt:LINE: reason" with LINE in
 * the input (or the size limit), cuts the message in a short buffer;
 * and parsing is deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "host/rootcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rootcheck_list a, b;
	char err[1024], err2[1024], small[10], *end;
	size_t i, lines = 1, last = 0;
	long line;
	int ra, rb;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	ra = rootcheck_list_parse(&a, "fuzz.txt", (const char *)data, size,
	    err, sizeof(err));
	rb = rootcheck_list_parse(&b, "fuzz.txt", (const char *)data, size,
	    err2, sizeof(err2));
	if (ra != rb)
		abort();
	if (ra != 0) {
		if (ra != MAMORI_ECONFIG && ra != MAMORI_ETOOBIG &&
		    ra != MAMORI_ENOMEM)
			abort();
		if (a.v != NULL || a.n != 0 || strcmp(err, err2) != 0)
			abort();
		if (strncmp(err, "fuzz.txt:", 9) != 0)
			abort();
		if (ra == MAMORI_ECONFIG) {
			line = strtol(err + 9, &end, 10);
			if (end == err + 9 || line < 1 || (size_t)line > lines ||
			    end[0] != ':' || end[1] != ' ')
				abort();
			if (rootcheck_list_parse(&b, "fuzz.txt",
			    (const char *)data, size, small, sizeof(small)) !=
			    ra || strncmp(small, err, sizeof(small) - 1) != 0 ||
			    strlen(small) != sizeof(small) - 1)
				abort();
		}
		return 0;
	}
	if (a.n != b.n)
		abort();
	for (i = 0; i < a.n; i++) {
		const struct rootcheck_rk *k = &a.v[i];

		if (k->kind < ROOTCHECK_RK_FILE ||
		    k->kind > ROOTCHECK_RK_MODULE || k->name[0] == '\0' ||
		    k->line <= last || k->line > lines)
			abort();
		last = k->line;
		if (k->kind == ROOTCHECK_RK_MODULE ? (k->what[0] == '\0' ||
		    strchr(k->what, '/') != NULL) : k->what[0] != '/')
			abort();
		if (strcmp(k->what, b.v[i].what) != 0 ||
		    strcmp(k->name, b.v[i].name) != 0)
			abort();
	}
	rootcheck_list_release(&a);
	rootcheck_list_release(&b);
	return 0;
}
