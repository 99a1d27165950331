/*
 * taxonomy.h - incident categories (etc/taxonomy.json): the seed's kinds
 * of incident, each with its RSIT class and type and the rule groups that
 * imply it.
 */
#ifndef MAMORI_TAXONOMY_H
#define MAMORI_TAXONOMY_H

#include <stddef.h>

struct tax_category {
	char		*id;		/* "attack" */
	char		*name;		/* "Attack (password guessing, ...)" */
	char		*rsit_class;	/* "intrusion-attempts" */
	char		*rsit_type;	/* "exploit" */
	char		**groups;	/* rule groups implying it; NULL-ended */
};

struct taxonomy;

/*
 * Loads the taxonomy at path.  Returns 0 and *out (free with
 * taxonomy_free()), MAMORI_ECONFIG with "path:line: reason" in err, or
 * MAMORI_ESYS / MAMORI_ENOMEM.
 */
int taxonomy_load(const char *path, struct taxonomy **out, char *err,
    size_t errlen);
void taxonomy_free(struct taxonomy *t);

/* The bundled file: $MAMORI_TAXONOMY, else etc/taxonomy.json beside the
 * executable (see file_bundled_path()).  Returns 0 or MAMORI_ENOTFOUND. */
int taxonomy_default_path(char *buf, size_t len);

size_t taxonomy_count(const struct taxonomy *t);
const struct tax_category *taxonomy_at(const struct taxonomy *t, size_t i);
/* The category with this id (the fallback's too), or NULL. */
const struct tax_category *taxonomy_get(const struct taxonomy *t,
    const char *id);
/* For alerts that name no category: "other". */
const struct tax_category *taxonomy_fallback(const struct taxonomy *t);
/* An alert's category: a category_<id> group first, else the first
 * category (in file order) with one of the groups; else NULL. */
const struct tax_category *taxonomy_classify(const struct taxonomy *t,
    const char *const *groups, int ngroups);
/* The category for an RSIT class and type (exact, else the first of the
 * class), or NULL. */
const struct tax_category *taxonomy_from_rsit(const struct taxonomy *t,
    const char *rsit_class, const char *rsit_type);
/* The ids of all categories (fallback included), for the playbook
 * loader; borrowed from t; *n set. */
const char *const *taxonomy_ids(const struct taxonomy *t, size_t *n);

#endif
