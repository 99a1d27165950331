/*
 * fuzz-fim-xattrs.c - libFuzzer harness for the bytes file integrity
 * reads back from a baseline anyone with root may have edited: the
 * extended-attribute blob (fim_xattrs_each()) and the byte strings that
 * become JSON (fim_json_bytes()), through the findings that carry them.
 *
 * Checked besides what the sanitizers catch: every attribute the walk
 * returns lies inside the input and the walk either consumes the whole
 * blob or says it is corrupt; every JSON string is valid UTF-8 (jansson
 * refuses anything else) and decodes back to the input when the input
 * was valid UTF-8 without backslashes or NULs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "host/fim-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk {
	const uint8_t	*lo, *hi;
	size_t		 used;
};

static int
one(void *arg, const char *name, const uint8_t *v, size_t vlen)
{
	struct walk *w = arg;
	size_t nl = strlen(name);

	if ((const uint8_t *)name < w->lo || v < w->lo ||
	    v + vlen > w->hi || (const uint8_t *)name + nl >= w->hi)
		abort();
	w->used += nl + 1 + 4 + vlen;
	return 0;
}

static int
sink(void *arg, const struct host_finding *f)
{
	json_error_t e;
	json_t *j;

	(void)arg;
	if ((j = json_loadb(f->json, f->len, 0, &e)) == NULL)
		abort();
	json_decref(j);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = { data, data + size, 0 };
	struct fim_entry *a, *b;
	json_t *j;
	int r;

	r = fim_xattrs_each(data, size, one, &w);
	if (r == 0 && w.used != size)
		abort();
	if (r != 0 && r != MAMORI_ECORRUPT)
		abort();

	if ((j = fim_json_bytes((const char *)data, size)) == NULL)
		abort();
	if (memchr(data, '\\', size) == NULL && memchr(data, 0, size) ==
	    NULL && json_string_length(j) == size &&
	    memcmp(json_string_value(j), data, size) != 0)
		abort();
	json_decref(j);

	/* A modified finding with these bytes as path, target, label and
	 * extended attributes: one line of valid JSON. */
	if ((a = fim_entry_new((const char *)data, size)) == NULL ||
	    (b = fim_entry_new((const char *)data, size)) == NULL) {
		fim_entry_free(a);
		return 0;
	}
	a->attrs = b->attrs = FIM_A_ALL;
	a->type = b->type = 'l';
	if ((b->target = malloc(size + 1)) != NULL) {
		memcpy(b->target, data, size);
		b->target[size] = '\0';
		b->tlen = size;
	}
	if ((b->xattrs = malloc(size + 1)) != NULL) {
		memcpy(b->xattrs, data, size);
		b->xlen = size;
		b->has_xattrs = 1;
	}
	b->selinux = strndup((const char *)data, size);
	(void)fim_emit_change(sink, NULL, FIM_EV_MODIFIED, a, b,
	    fim_entry_diff(a, b), FIM_HASH_SHA256, NULL);
	(void)fim_emit_change(sink, NULL, FIM_EV_ADDED, NULL, b, 0,
	    FIM_HASH_BLAKE2B, "realtime");
	fim_entry_free(a);
	fim_entry_free(b);
	return 0;
}
