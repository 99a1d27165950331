/*
 * fim-conf.c - the `fim:` section of the agent's configuration file:
 * paths with attribute sets, excludes, the digest algorithm, threads,
 * realtime directories and the schedule (see fim.h for an example).
 *
 * Attribute sets are written like aide.conf's expressions, as a YAML
 * list or one string: [default, -mtime] or "default-mtime", names from
 * attr_names[] and built-in or user-defined groups.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "host/fim-int.h"

static const char *const attr_names[FIM_A_NATTRS] = {
	"type", "perms", "uid", "gid", "size", "mtime", "ctime", "inode",
	"links", "target", "hash", "acl", "xattrs", "selinux", "caps",
};

static const char *const hash_names[] = { "sha256", "sha512", "blake2b" };
static const char *const hash_evp[] = { "SHA256", "SHA512", "BLAKE2B-512" };

#define A(x)	FIM_A_##x
static const struct fim_group builtin_groups[] = {
	{ "default", FIM_A_DEFAULT },
	{ "all", FIM_A_ALL },
	{ "none", 0 },
	{ "owner", A(UID) | A(GID) },
	{ "ownermode", A(TYPE) | A(PERMS) | A(UID) | A(GID) },
	{ "times", A(MTIME) | A(CTIME) },
	{ "content", A(TYPE) | A(SIZE) | A(HASH) },
	{ "extra", A(ACL) | A(XATTRS) | A(SELINUX) | A(CAPS) },
	/* aide.conf's L: for files whose content changes (logs). */
	{ "metadata", A(TYPE) | A(PERMS) | A(UID) | A(GID) | A(INODE) |
	    A(LINKS) | A(TARGET) | A(ACL) | A(XATTRS) | A(SELINUX) | A(CAPS) },
};
#undef A
#define NBUILTIN	(sizeof(builtin_groups) / sizeof(builtin_groups[0]))

const char *
fim_hash_name(int hash)
{
	if (hash < 0 || hash > FIM_HASH_BLAKE2B)
		return "?";
	return hash_names[hash];
}

int
fim_hash_by_name(const char *name)
{
	int i;

	for (i = 0; i <= FIM_HASH_BLAKE2B; i++)
		if (strcmp(name, hash_names[i]) == 0)
			return i;
	return -1;
}

EVP_MD *
fim_md_fetch(int h)
{
	if (h < 0 || h > FIM_HASH_BLAKE2B)
		return NULL;
	return EVP_MD_fetch(NULL, hash_evp[h], NULL);
}

const char *
fim_attr_name(uint32_t a, int hash)
{
	int i;

	for (i = 0; i < FIM_A_NATTRS; i++)
		if (a == (1u << i))
			return a == FIM_A_HASH ? fim_hash_name(hash) :
			    attr_names[i];
	return "?";
}

void
fim_conf_init(struct fim_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->hash = FIM_HASH_SHA256;
	c->schedule_ns = (int64_t)12 * 3600 * 1000000000;
}

static void
rule_release(struct fim_rule *r)
{
	free(r->path);
	ydoc_strv_free(r->exclude);
	memset(r, 0, sizeof(*r));
}

static void
rules_free(struct fim_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rule_release(&r[i]);
	free(r);
}

void
fim_conf_release(struct fim_conf *c)
{
	size_t i;

	free(c->database);
	rules_free(c->rules, c->nrules);
	ydoc_strv_free(c->exclude);
	ydoc_strv_free(c->realtime);
	for (i = 0; i < c->ngroups; i++)
		free(c->groups[i].name);
	free(c->groups);
	free(c->path);
	fim_conf_init(c);
}

int
fim_conf_set_database(struct fim_conf *c, const char *path)
{
	char *s;

	if ((s = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	free(c->database);
	c->database = s;
	return 0;
}

/*
 * Clean absolute path: "/usr//bin/" -> "/usr/bin".  "." and ".."
 * components are refused (a baseline keyed by a path that names the
 * same file two ways would report it added and removed).  Returns a new
 * string, or NULL with why set.
 */
static char *
clean_path(const char *in, const char **why)
{
	char *out, *o;
	const char *p, *e;
	size_t n;

	*why = NULL;
	if (in[0] != '/') {
		*why = "not an absolute path";
		return NULL;
	}
	if ((out = malloc(strlen(in) + 2)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	o = out;
	for (p = in; *p != '\0'; p = e) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		n = (size_t)(e - p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.')) {
			free(out);
			*why = "'.' and '..' are not allowed in a path";
			return NULL;
		}
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct fim_rule *x = a, *y = b;

	return fim_path_cmp(x->path, strlen(x->path), y->path,
	    strlen(y->path));
}

/* Sorts rules in walk order and refuses a path given twice. */
static int
rules_finish(struct fim_rule *r, size_t n, char *dup, size_t duplen)
{
	size_t i;

	if (n > 1)
		qsort(r, n, sizeof(*r), rule_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(r[i - 1].path, r[i].path) == 0) {
			snprintf(dup, duplen, "%s", r[i].path);
			return -(int)i - 1;
		}
	return 0;
}

/* ---- Attribute expressions ---- */

static int
lookup_name(const struct fim_group *g, size_t ng, int hash, const char *s,
    size_t n, uint32_t *out, const char **why)
{
	int i, h;
	size_t k;
	char tmp[64];

	*why = NULL;
	for (i = 0; i < FIM_A_NATTRS; i++)
		if (strlen(attr_names[i]) == n &&
		    memcmp(attr_names[i], s, n) == 0) {
			*out = 1u << i;
			return 0;
		}
	if (n < sizeof(tmp)) {
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		if ((h = fim_hash_by_name(tmp)) >= 0) {
			if (h != hash) {
				*why = "one digest per baseline: set "
				    "fim.hash to use this one";
				return -1;
			}
			*out = FIM_A_HASH;
			return 0;
		}
	}
	for (k = 0; k < NBUILTIN; k++)
		if (strlen(builtin_groups[k].name) == n &&
		    memcmp(builtin_groups[k].name, s, n) == 0) {
			*out = builtin_groups[k].attrs;
			return 0;
		}
	for (k = 0; k < ng; k++)
		if (strlen(g[k].name) == n && memcmp(g[k].name, s, n) == 0) {
			*out = g[k].attrs;
			return 0;
		}
	return -1;
}

/* Every name an expression may use, for "did you mean". */
static const char *
nearest(const struct fim_group *g, size_t ng, const char *s, size_t n)
{
	const char *cand[FIM_A_NATTRS + 3 + NBUILTIN + 64];
	size_t k = 0, i;

	for (i = 0; i < FIM_A_NATTRS; i++)
		cand[k++] = attr_names[i];
	for (i = 0; i < 3; i++)
		cand[k++] = hash_names[i];
	for (i = 0; i < NBUILTIN; i++)
		cand[k++] = builtin_groups[i].name;
	for (i = 0; i < ng && i < 64; i++)
		cand[k++] = g[i].name;
	return ydoc_nearest(s, n, cand, k);
}

/*
 * Applies expression s ("default-mtime", "perms+uid,gid") to *acc.
 * first: whether the expression starts the set (a leading name replaces
 * nothing: sets start empty).  Returns 0 or -1 with msg.
 */
static int
eval_expr(const struct fim_group *g, size_t ng, int hash, const char *s,
    uint32_t *acc, char *msg, size_t msglen)
{
	const char *p = s, *e, *why, *hint;
	uint32_t v;
	int neg;

	for (;;) {
		neg = 0;
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '+' ||
		    *p == '-') {
			if (*p == '-')
				neg = 1;
			else if (*p == '+' || *p == ',')
				neg = 0;
			p++;
		}
		if (*p == '\0')
			return 0;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' &&
		    *e != ',' && *e != '+' && *e != '-'; e++)
			;
		if (lookup_name(g, ng, hash, p, (size_t)(e - p), &v,
		    &why) != 0) {
			if (why != NULL) {
				snprintf(msg, msglen, "'%.*s': %s (fim.hash is "
				    "%s)", (int)(e - p), p, why,
				    fim_hash_name(hash));
				return -1;
			}
			hint = nearest(g, ng, p, (size_t)(e - p));
			snprintf(msg, msglen, "unknown attribute or group "
			    "'%.*s'%s%s%s", (int)(e - p), p,
			    hint ? " (did you mean '" : "", hint ? hint : "",
			    hint ? "'?)" : "");
			return -1;
		}
		if (neg)
			*acc &= ~v;
		else
			*acc |= v;
		p = e;
	}
}

int
fim_conf_attrs(const struct fim_conf *c, const char *expr, uint32_t *out,
    char *err, size_t errlen)
{
	uint32_t acc = 0;
	char msg[256];

	if (eval_expr(c->groups, c->ngroups, c->hash, expr, &acc, msg,
	    sizeof(msg)) != 0) {
		mamori_seterr(err, errlen, "%s", msg);
		return MAMORI_EINVAL;
	}
	*out = acc;
	return 0;
}

/* A YAML attribute set: scalar or list of expressions. */
static int
read_attrs(struct ydoc *d, yaml_node_t *v, const char *name,
    const struct fim_group *g, size_t ng, int hash, uint32_t *out)
{
	char **items = NULL, msg[300];
	uint32_t acc = 0;
	size_t i, n = 0;
	int r;

	if ((r = ydoc_strv(d, v, name, &items, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (eval_expr(g, ng, hash, items[i], &acc, msg,
		    sizeof(msg)) != 0) {
			ydoc_strv_free(items);
			return ydoc_fail(d, v, "setting '%s': %s", name, msg);
		}
	ydoc_strv_free(items);
	*out = acc;
	return 0;
}

static int
valid_group_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

static int
read_groups(struct ydoc *d, yaml_node_t *v, struct fim_conf *c)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	struct fim_group *g;
	const char *s, *why;
	char name[128];
	uint32_t dummy;
	size_t n, i;
	int r;

	if (v == NULL)
		return 0;
	if (!ydoc_is_map(v))
		return ydoc_fail(d, v, "setting 'fim.groups': expected a "
		    "mapping of NAME: attributes, got %s", ydoc_kind(v));
	n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	if ((g = calloc(n + 1, sizeof(*g))) == NULL)
		return MAMORI_ENOMEM;
	c->groups = g;
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	    p++) {
		k = ydoc_node(d, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return ydoc_fail(d, k, "setting 'fim.groups': expected "
			    "a group name, got %s", ydoc_kind(k));
		s = (const char *)k->data.scalar.value;
		n = k->data.scalar.length;
		if (!valid_group_name(s, n))
			return ydoc_fail(d, k, "setting 'fim.groups': group "
			    "names are letters, digits and '_' (at most 63), "
			    "got '%.*s'", (int)(n > 64 ? 64 : n), s);
		if (lookup_name(c->groups, c->ngroups, c->hash, s, n, &dummy,
		    &why) == 0 || why != NULL)
			return ydoc_fail(d, k, "setting 'fim.groups.%.*s': "
			    "the name is taken by an attribute or group",
			    (int)n, s);
		snprintf(name, sizeof(name), "fim.groups.%.*s", (int)n, s);
		i = c->ngroups;
		if ((g[i].name = strndup(s, n)) == NULL)
			return MAMORI_ENOMEM;
		if ((r = read_attrs(d, ydoc_node(d, p->value), name,
		    c->groups, c->ngroups, c->hash, &g[i].attrs)) != 0) {
			free(g[i].name);
			g[i].name = NULL;
			return r;
		}
		c->ngroups++;
	}
	return 0;
}

static int
read_path_value(struct ydoc *d, yaml_node_t *v, const char *name,
    char **out)
{
	char *s = NULL, *clean;
	const char *why;
	int r;

	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	if (s == NULL)
		return ydoc_fail(d, v, "setting '%s': a path is needed", name);
	if ((clean = clean_path(s, &why)) == NULL) {
		r = ydoc_fail(d, v, "setting '%s': %s: '%.200s'", name, why, s);
		free(s);
		return r;
	}
	free(s);
	*out = clean;
	return 0;
}

/* recurse: true (all levels), false (the path only) or a depth. */
static int
read_recurse(struct ydoc *d, yaml_node_t *v, const char *name, int *depth)
{
	const char *s;
	size_t n, i;
	int b, r;

	if (v == NULL)
		return 0;
	if (v->type == YAML_SCALAR_NODE) {
		s = (const char *)v->data.scalar.value;
		n = v->data.scalar.length;
		for (i = 0; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (n > 0 && i == n)
			return ydoc_int(d, v, name, 0, 4096, depth);
	}
	b = 1;
	if ((r = ydoc_bool(d, v, name, &b)) != 0)
		return ydoc_fail(d, v, "setting '%s': expected true, false or "
		    "a number of levels", name);
	*depth = b ? -1 : 0;
	return 0;
}

static int
read_rule(struct ydoc *d, yaml_node_t *v, size_t idx, struct fim_conf *c,
    struct fim_rule *rule)
{
	static const char *const keys[] = { "path", "attributes", "recurse",
	    "exclude", "cross_filesystems" };
	char name[128];
	int r;

	rule->attrs = FIM_A_DEFAULT;
	rule->depth = -1;
	rule->line = ydoc_line(v);
	snprintf(name, sizeof(name), "fim.paths[%zu]", idx);
	if (v->type == YAML_SCALAR_NODE)
		return read_path_value(d, v, name, &rule->path);
	if (!ydoc_is_map(v))
		return ydoc_fail(d, v, "setting '%s': expected a path or a "
		    "mapping with path:, got %s", name, ydoc_kind(v));
	if ((r = ydoc_check_map(d, v, name, keys, 5)) != 0)
		return r;
	if (ydoc_get(d, v, "path") == NULL)
		return ydoc_fail(d, v, "setting '%s.path': missing", name);
	snprintf(name, sizeof(name), "fim.paths[%zu].path", idx);
	if ((r = read_path_value(d, ydoc_get(d, v, "path"), name,
	    &rule->path)) != 0)
		return r;
	snprintf(name, sizeof(name), "fim.paths[%zu].attributes", idx);
	if ((r = read_attrs(d, ydoc_get(d, v, "attributes"), name, c->groups,
	    c->ngroups, c->hash, &rule->attrs)) != 0)
		return r;
	if (ydoc_get(d, v, "attributes") == NULL)
		rule->attrs = FIM_A_DEFAULT;
	snprintf(name, sizeof(name), "fim.paths[%zu].recurse", idx);
	if ((r = read_recurse(d, ydoc_get(d, v, "recurse"), name,
	    &rule->depth)) != 0)
		return r;
	snprintf(name, sizeof(name), "fim.paths[%zu].exclude", idx);
	if ((r = ydoc_strv(d, ydoc_get(d, v, "exclude"), name,
	    &rule->exclude, &rule->nexclude)) != 0)
		return r;
	snprintf(name, sizeof(name), "fim.paths[%zu].cross_filesystems", idx);
	return ydoc_bool(d, ydoc_get(d, v, "cross_filesystems"), name,
	    &rule->xdev);
}

static int
read_rules(struct ydoc *d, yaml_node_t *v, struct fim_conf *c)
{
	yaml_node_item_t *it;
	struct fim_rule *rules;
	char dup[4096];
	size_t n, i = 0;
	int r;

	if (v == NULL)
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return ydoc_fail(d, v, "setting 'fim.paths': expected a list, "
		    "got %s", ydoc_kind(v));
	n = (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start);
	if ((rules = calloc(n + 1, sizeof(*rules))) == NULL)
		return MAMORI_ENOMEM;
	c->rules = rules;
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, i++) {
		r = read_rule(d, ydoc_node(d, *it), i, c, &rules[i]);
		c->nrules = i + 1;
		if (r != 0)
			return r;
	}
	if ((r = rules_finish(rules, n, dup, sizeof(dup))) != 0)
		return ydoc_fail(d, v, "setting 'fim.paths': '%s' given twice",
		    dup);
	return 0;
}

int
fim_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf)
{
	static const char *const keys[] = { "database", "hash", "threads",
	    "trust_metadata", "schedule", "groups", "exclude", "paths",
	    "realtime" };
	struct fim_conf *out = conf, c;
	yaml_node_t *v;
	char *s = NULL, **rt;
	const char *why;
	size_t i;
	int r;

	fim_conf_init(&c);
	if ((r = ydoc_check_map(d, node, name, keys, 9)) != 0)
		return r;
	if ((r = ydoc_str(d, ydoc_get(d, node, "database"), "fim.database",
	    &c.database)) != 0)
		goto fail;
	if ((v = ydoc_get(d, node, "hash")) != NULL) {
		if ((r = ydoc_str(d, v, "fim.hash", &s)) != 0)
			goto fail;
		if ((c.hash = fim_hash_by_name(s)) < 0) {
			r = ydoc_fail(d, v, "setting 'fim.hash': expected "
			    "sha256, sha512 or blake2b, got '%.40s'", s);
			free(s);
			goto fail;
		}
		free(s);
	}
	if ((r = ydoc_int(d, ydoc_get(d, node, "threads"), "fim.threads", 0,
	    256, &c.threads)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, node, "trust_metadata"),
	    "fim.trust_metadata", &c.trust_metadata)) != 0 ||
	    (r = ydoc_duration(d, ydoc_get(d, node, "schedule"),
	    "fim.schedule", &c.schedule_ns)) != 0 ||
	    (r = read_groups(d, ydoc_get(d, node, "groups"), &c)) != 0 ||
	    (r = ydoc_strv(d, ydoc_get(d, node, "exclude"), "fim.exclude",
	    &c.exclude, &c.nexclude)) != 0 ||
	    (r = read_rules(d, ydoc_get(d, node, "paths"), &c)) != 0 ||
	    (r = ydoc_strv(d, ydoc_get(d, node, "realtime"), "fim.realtime",
	    &c.realtime, &c.nrealtime)) != 0)
		goto fail;
	if (c.schedule_ns < 0) {
		r = ydoc_fail(d, ydoc_get(d, node, "schedule"), "setting "
		    "'fim.schedule': must not be negative");
		goto fail;
	}
	for (rt = c.realtime, i = 0; rt != NULL && rt[i] != NULL; i++) {
		if ((s = clean_path(rt[i], &why)) == NULL) {
			r = ydoc_fail(d, ydoc_get(d, node, "realtime"),
			    "setting 'fim.realtime[%zu]': %s: '%.200s'", i,
			    why, rt[i]);
			goto fail;
		}
		free(rt[i]);
		rt[i] = s;
	}
	if (d->path != NULL && (c.path = strdup(d->path)) == NULL) {
		r = MAMORI_ENOMEM;
		goto fail;
	}
	fim_conf_release(out);
	*out = c;
	return 0;
 fail:
	fim_conf_release(&c);
	return r;
}

int
fim_conf_set_paths(struct fim_conf *c, char *const *paths, size_t n,
    char *err, size_t errlen)
{
	struct fim_rule *rules;
	char *abs, cwd[4096], dup[4096];
	const char *why;
	size_t i;
	int r;

	if ((rules = calloc(n + 1, sizeof(*rules))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		if (paths[i][0] == '/')
			abs = strdup(paths[i]);
		else if (getcwd(cwd, sizeof(cwd)) == NULL)
			abs = NULL;
		else if (asprintf(&abs, "%s/%s", cwd, paths[i]) < 0)
			abs = NULL;
		if (abs == NULL) {
			rules_free(rules, n);
			return MAMORI_ENOMEM;
		}
		rules[i].path = clean_path(abs, &why);
		free(abs);
		if (rules[i].path == NULL) {
			mamori_seterr(err, errlen, "%s: %s", paths[i], why);
			rules_free(rules, n);
			return MAMORI_EINVAL;
		}
		rules[i].attrs = FIM_A_DEFAULT;
		rules[i].depth = -1;
	}
	if ((r = rules_finish(rules, n, dup, sizeof(dup))) != 0) {
		mamori_seterr(err, errlen, "%s: given twice", dup);
		rules_free(rules, n);
		return MAMORI_EINVAL;
	}
	rules_free(c->rules, c->nrules);
	c->rules = rules;
	c->nrules = n;
	return 0;
}

/* ---- Helpers for the scan ---- */

int
fim_path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;
	unsigned char x, y;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x == y)
			continue;
		/* '/' ends a component: lower than any byte of a name. */
		if (x == '/')
			return -1;
		if (y == '/')
			return 1;
		return x < y ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

int
fim_excluded(char *const *pats, size_t n, const char *path, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr(pats[i], '/') != NULL) {
			if (fnmatch(pats[i], path, 0) == 0)
				return 1;
		} else if (fnmatch(pats[i], name, 0) == 0)
			return 1;
	}
	return 0;
}

const struct fim_rule *
fim_conf_rule_for(const struct fim_conf *c, const char *path)
{
	const struct fim_rule *best = NULL;
	size_t i, n, bn = 0;

	for (i = 0; i < c->nrules; i++) {
		n = strlen(c->rules[i].path);
		if (n == 1 && c->rules[i].path[0] == '/')
			n = 0;
		if (strncmp(c->rules[i].path, path, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/') &&
		    (best == NULL || n >= bn)) {
			best = &c->rules[i];
			bn = n;
		}
	}
	return best;
}

int
fim_conf_threads(const struct fim_conf *c)
{
	cpu_set_t set;
	int n;

	if (c->threads > 0)
		return c->threads;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (n = CPU_COUNT(&set)) > 0)
		return n;
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

static void
fp_str(EVP_MD_CTX *ctx, const char *s)
{
	EVP_DigestUpdate(ctx, s, strlen(s) + 1);
}

void
fim_conf_fingerprint(const struct fim_conf *c, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	char buf[128];
	size_t k, j;

	out[0] = '\0';
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	fp_str(ctx, "mamori-fim-conf-1");
	fp_str(ctx, fim_hash_name(c->hash));
	for (k = 0; k < c->nrules; k++) {
		const struct fim_rule *r = &c->rules[k];

		fp_str(ctx, r->path);
		snprintf(buf, sizeof(buf), "%u %d %d", r->attrs, r->depth,
		    r->xdev);
		fp_str(ctx, buf);
		for (j = 0; j < r->nexclude; j++)
			fp_str(ctx, r->exclude[j]);
		fp_str(ctx, "");
	}
	fp_str(ctx, "exclude");
	for (j = 0; j < c->nexclude; j++)
		fp_str(ctx, c->exclude[j]);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}
