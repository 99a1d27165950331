/*
 * rules-list.c - OSSEC/Wazuh CDB lists, read from their text source.
 *
 * OSSEC compiles "key:value" text files into CDB databases with
 * ossec-makelists; mamori reads the text itself at load time (no separate
 * step to forget) into a sorted array searched by bisection.  Each line
 * is split at its first ':'; lines without one are skipped; CR and LF are
 * cut; keys compare byte for byte, as in a CDB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "rules/rules-int.h"

struct kv {
	char	*k, *v;
};

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

void
rules_cdb_free(struct rules_cdb *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->keys[i]);
		free(c->values[i]);
	}
	free(c->keys);
	free(c->values);
	free(c->name);
	free(c);
}

struct rules_cdb *
rules_cdb_load(const char *path, const char *name, char *err, size_t errlen)
{
	struct rules_cdb *c;
	struct kv *v = NULL, *nv;
	size_t n = 0, cap = 0, i, j;
	char *line = NULL, *colon;
	size_t lcap = 0;
	ssize_t len;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read list %s", path);
		return NULL;
	}
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		v[n].k = strdup(line);
		v[n].v = strdup(colon + 1);
		if (v[n].k == NULL || v[n].v == NULL) {
			free(v[n].k);
			free(v[n].v);
			goto nomem;
		}
		n++;
	}
	free(line);
	line = NULL;
	fclose(f);
	f = NULL;
	qsort(v, n, sizeof(*v), kv_cmp);
	/* The first of equal keys wins (a CDB lookup finds the first). */
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(v[j - 1].k, v[i].k) == 0) {
			free(v[i].k);
			free(v[i].v);
			continue;
		}
		v[j++] = v[i];
	}
	n = j;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(name)) == NULL ||
	    (c->keys = calloc(n + 1, sizeof(char *))) == NULL ||
	    (c->values = calloc(n + 1, sizeof(char *))) == NULL) {
		if (c != NULL) {
			free(c->name);
			free(c->keys);
			free(c);
		}
		goto nomem;
	}
	for (i = 0; i < n; i++) {
		c->keys[i] = v[i].k;
		c->values[i] = v[i].v;
	}
	c->n = n;
	free(v);
	return c;
nomem:
	for (i = 0; i < n; i++) {
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
	free(line);
	if (f != NULL)
		fclose(f);
	snprintf(err, errlen, "out of memory reading %s", path);
	return NULL;
}

const char *
rules_cdb_get(const struct rules_cdb *c, const char *key)
{
	size_t lo = 0, hi, mid;
	int r;

	if (c == NULL)
		return NULL;
	hi = c->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = strcmp(c->keys[mid], key)) == 0)
			return c->values[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
