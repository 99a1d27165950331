/*
 * yamldoc.h - reading structured YAML (libyaml's document API) with every
 * error naming FILE:LINE and the setting: for the parts of mamori whose
 * files are lists and mappings rather than flat settings (playbooks, the
 * contact plan, containment, incident correlation).
 *
 * Usage: ydoc_load() a file, walk from ydoc_root() with ydoc_get() and
 * the typed readers, ydoc_free() at the end.  Every reader returns 0, or
 * MAMORI_ECONFIG with "FILE:LINE: setting 'NAME': reason" in the ydoc's
 * err buffer (or MAMORI_ENOMEM).  A null value (empty, ~, null) reads as
 * absent.
 */
#ifndef MAMORI_YAMLDOC_H
#define MAMORI_YAMLDOC_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct ydoc {
	const char	*path;		/* for messages */
	yaml_document_t	 doc;
	int		 loaded;
	char		*err;
	size_t		 errlen;
};

/*
 * Loads the single YAML document in path (at most max bytes), or, with
 * buf non-NULL, in buf[0..len) naming it path.  Returns 0, MAMORI_ECONFIG
 * (syntax error, with its line; or more than one document), MAMORI_ESYS
 * (cannot read; errno kept, err set) or MAMORI_ENOMEM.  ydoc_free() in
 * every case.
 */
int ydoc_load(struct ydoc *d, const char *path, size_t max, char *err,
    size_t errlen);
int ydoc_load_buf(struct ydoc *d, const char *path, const char *buf,
    size_t len, char *err, size_t errlen);
void ydoc_free(struct ydoc *d);

/* For nodes from another loader (config-load.c passes its document). */
void ydoc_wrap(struct ydoc *d, const char *path, yaml_document_t *doc,
    char *err, size_t errlen);

yaml_node_t *ydoc_root(struct ydoc *d);	/* NULL for an empty file */
yaml_node_t *ydoc_node(struct ydoc *d, int id);
size_t ydoc_line(const yaml_node_t *n);
int ydoc_is_null(const yaml_node_t *n);
int ydoc_is_map(const yaml_node_t *n);
int ydoc_is_list(const yaml_node_t *n);
const char *ydoc_kind(const yaml_node_t *n);	/* "a mapping", ... */

/* Sets the error "PATH:LINE: fmt..." for node n; returns MAMORI_ECONFIG. */
int ydoc_fail(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Checks that map is a mapping whose keys are scalars, each given once and
 * each one of allowed[0..n) (an unknown key is an error with a "did you
 * mean" hint).  name is the mapping's setting name for messages ("notify"
 * or "notify.contacts[2]").
 */
int ydoc_check_map(struct ydoc *d, yaml_node_t *map, const char *name,
    const char *const *allowed, size_t n);

/* The value of key in map (a mapping), or NULL when absent or null. */
yaml_node_t *ydoc_get(struct ydoc *d, yaml_node_t *map, const char *key);

/* Typed readers of node v (which may be NULL: absent, and *out is left
 * as it was).  name is the setting's full name for messages. */
int ydoc_str(struct ydoc *d, yaml_node_t *v, const char *name, char **out);
int ydoc_int(struct ydoc *d, yaml_node_t *v, const char *name, long min,
    long max, int *out);
int ydoc_bool(struct ydoc *d, yaml_node_t *v, const char *name, int *out);
int ydoc_duration(struct ydoc *d, yaml_node_t *v, const char *name,
    int64_t *out_ns);
/* A scalar or a list of scalars; *out is a NULL-terminated array of
 * strings (free with ydoc_strv_free()); *n its length (n may be NULL). */
int ydoc_strv(struct ydoc *d, yaml_node_t *v, const char *name,
    char ***out, size_t *n);
void ydoc_strv_free(char **v);
/* A copy of the NULL-terminated v into *out (free with ydoc_strv_free()),
 * for defaults that a setting later replaces.  Returns 0 or
 * MAMORI_ENOMEM. */
int ydoc_strv_dup(char ***out, const char *const *v);

/* The nearest of cand[0..n) to key (edit distance at most 2), or NULL. */
const char *ydoc_nearest(const char *key, size_t klen,
    const char *const *cand, size_t n);

#endif
