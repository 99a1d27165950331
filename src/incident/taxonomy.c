/*
 * taxonomy.c - loading etc/taxonomy.json and classifying alerts by it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "incident/taxonomy.h"

#define TAX_MAX_FILE	(1024 * 1024)
#define TAX_MAX_CATS	256
#define CATEGORY_PREFIX	"category_"

struct taxonomy {
	struct tax_category *cats;	/* ncats, then the fallback */
	size_t		 ncats;
	const char	**ids;		/* ncats + 1 */
};

static void
category_release(struct tax_category *c)
{
	char **g;

	free(c->id);
	free(c->name);
	free(c->rsit_class);
	free(c->rsit_type);
	for (g = c->groups; g != NULL && *g != NULL; g++)
		free(*g);
	free(c->groups);
}

void
taxonomy_free(struct taxonomy *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->cats != NULL && i <= t->ncats; i++)
		category_release(&t->cats[i]);
	free(t->cats);
	free(t->ids);
	free(t);
}

static int
dup_str(json_t *o, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || *s == '\0')
		return MAMORI_EINVAL;
	return (*out = strdup(s)) == NULL ? MAMORI_ENOMEM : 0;
}

/* Fills c from JSON object o; what names the entry for messages. */
static int
load_category(json_t *o, struct tax_category *c, const char *path,
    const char *what, char *err, size_t errlen)
{
	json_t *rsit, *groups, *g;
	size_t i;
	int r;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: %s: expected an object", path, what);
		return MAMORI_ECONFIG;
	}
	rsit = json_object_get(o, "rsit");
	if ((r = dup_str(o, "id", &c->id)) != 0 ||
	    (r = dup_str(o, "name", &c->name)) != 0 ||
	    (r = dup_str(rsit, "class", &c->rsit_class)) != 0 ||
	    (r = dup_str(rsit, "type", &c->rsit_type)) != 0) {
		if (r == MAMORI_ENOMEM)
			return r;
		snprintf(err, errlen, "%s: %s: needs id, name, rsit.class and "
		    "rsit.type as non-empty strings", path, what);
		return MAMORI_ECONFIG;
	}
	groups = json_object_get(o, "groups");
	if (groups != NULL && !json_is_array(groups)) {
		snprintf(err, errlen, "%s: category %s: groups must be a list "
		    "of strings", path, c->id);
		return MAMORI_ECONFIG;
	}
	if ((c->groups = calloc(json_array_size(groups) + 1,
	    sizeof(*c->groups))) == NULL)
		return MAMORI_ENOMEM;
	json_array_foreach(groups, i, g) {
		if (!json_is_string(g)) {
			snprintf(err, errlen, "%s: category %s: groups must be "
			    "a list of strings", path, c->id);
			return MAMORI_ECONFIG;
		}
		if ((c->groups[i] = strdup(json_string_value(g))) == NULL)
			return MAMORI_ENOMEM;
	}
	return 0;
}

int
taxonomy_load(const char *path, struct taxonomy **out, char *err,
    size_t errlen)
{
	struct taxonomy *t;
	json_error_t je;
	json_t *root, *cats, *o;
	char *buf, what[64];
	size_t len, i, j;
	int r;

	*out = NULL;
	if ((r = file_read_all(path, TAX_MAX_FILE, &buf, &len)) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    mamori_strerror(r));
		return r == MAMORI_ETOOBIG ? MAMORI_ECONFIG : r;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	if (root == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return MAMORI_ECONFIG;
	}
	cats = json_object_get(root, "categories");
	if (!json_is_array(cats) || json_array_size(cats) == 0 ||
	    json_array_size(cats) > TAX_MAX_CATS ||
	    !json_is_object(json_object_get(root, "fallback"))) {
		snprintf(err, errlen, "%s: needs a list \"categories\" (1 to "
		    "%d) and an object \"fallback\"", path, TAX_MAX_CATS);
		json_decref(root);
		return MAMORI_ECONFIG;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->cats = calloc(json_array_size(cats) + 1,
	    sizeof(*t->cats))) == NULL ||
	    (t->ids = calloc(json_array_size(cats) + 1,
	    sizeof(*t->ids))) == NULL) {
		taxonomy_free(t);
		json_decref(root);
		return MAMORI_ENOMEM;
	}
	t->ncats = json_array_size(cats);
	r = 0;
	json_array_foreach(cats, i, o) {
		snprintf(what, sizeof(what), "categories[%zu]", i);
		if ((r = load_category(o, &t->cats[i], path, what, err,
		    errlen)) != 0)
			break;
		for (j = 0; j < i; j++)
			if (strcmp(t->cats[j].id, t->cats[i].id) == 0) {
				snprintf(err, errlen, "%s: category %s given "
				    "twice", path, t->cats[i].id);
				r = MAMORI_ECONFIG;
			}
		if (r != 0)
			break;
	}
	if (r == 0)
		r = load_category(json_object_get(root, "fallback"),
		    &t->cats[t->ncats], path, "fallback", err, errlen);
	json_decref(root);
	if (r != 0) {
		taxonomy_free(t);
		return r;
	}
	for (i = 0; i <= t->ncats; i++)
		t->ids[i] = t->cats[i].id;
	*out = t;
	return 0;
}

int
taxonomy_default_path(char *buf, size_t len)
{
	return file_bundled_path("MAMORI_TAXONOMY", "etc/taxonomy.json", buf,
	    len);
}

size_t
taxonomy_count(const struct taxonomy *t)
{
	return t->ncats;
}

const struct tax_category *
taxonomy_at(const struct taxonomy *t, size_t i)
{
	return i <= t->ncats ? &t->cats[i] : NULL;
}

const struct tax_category *
taxonomy_get(const struct taxonomy *t, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i <= t->ncats; i++)
		if (strcmp(t->cats[i].id, id) == 0)
			return &t->cats[i];
	return NULL;
}

const struct tax_category *
taxonomy_fallback(const struct taxonomy *t)
{
	return &t->cats[t->ncats];
}

const struct tax_category *
taxonomy_classify(const struct taxonomy *t, const char *const *groups,
    int ngroups)
{
	const struct tax_category *c;
	size_t i;
	char **g;
	int k;

	for (k = 0; k < ngroups; k++)
		if (strncmp(groups[k], CATEGORY_PREFIX,
		    strlen(CATEGORY_PREFIX)) == 0 &&
		    (c = taxonomy_get(t, groups[k] +
		    strlen(CATEGORY_PREFIX))) != NULL)
			return c;
	for (i = 0; i < t->ncats; i++)
		for (g = t->cats[i].groups; *g != NULL; g++)
			for (k = 0; k < ngroups; k++)
				if (strcmp(*g, groups[k]) == 0)
					return &t->cats[i];
	return NULL;
}

const struct tax_category *
taxonomy_from_rsit(const struct taxonomy *t, const char *cls,
    const char *type)
{
	size_t i;

	if (cls == NULL)
		return NULL;
	for (i = 0; i <= t->ncats; i++)
		if (strcmp(t->cats[i].rsit_class, cls) == 0 && type != NULL &&
		    strcmp(t->cats[i].rsit_type, type) == 0)
			return &t->cats[i];
	for (i = 0; i <= t->ncats; i++)
		if (strcmp(t->cats[i].rsit_class, cls) == 0)
			return &t->cats[i];
	return NULL;
}

const char *const *
taxonomy_ids(const struct taxonomy *t, size_t *n)
{
	*n = t->ncats + 1;
	return t->ids;
}
