/*
 * playbook.c - response checklists read from the YAML files in
 * playbooks/ (see playbook.h, and docs/playbooks.md for the format).
 *
 * The workload is tiny: a few dozen small files read at start and on a
 * reload, so clarity wins over speed.  Each file is loaded as one YAML
 * document (core/yamldoc.h keeps every node's line) and checked against a
 * fixed shape; every string is copied out, trimmed and bounded, so what a
 * set holds never depends on libyaml afterwards.  A set is built aside
 * and returned only when every file passed, so a bad edit never leaves
 * half of a directory loaded.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "core/config-impl.h"
#include "core/error.h"
#include "core/yamldoc.h"
#include "incident/playbook.h"

struct pb_entry {
	struct playbook	*pb;
	size_t		 id_line;	/* for "also in FILE:LINE" */
	size_t		 cat_line;
};

struct playbook_set {
	struct pb_entry	*v;
	size_t		 n;
};

static const char *const top_keys[] = {
	"id", "category", "title", "summary", "steps",
};
static const char *const step_keys[] = {
	"id", "title", "detail", "when",
};
/* Indexed by min_impact; the names of enum inc_impact (incident.h). */
static const char *const when_names[] = {
	NULL, "internal", "external", "infrastructure",
};

const char *
playbook_when_name(int min_impact)
{
	if (min_impact < 1 || min_impact > 3)
		return NULL;
	return when_names[min_impact];
}

int
playbook_step_applies(const struct playbook_step *s, int impact)
{
	return s->min_impact == 0 || impact >= s->min_impact;
}

void
playbook_free(struct playbook *pb)
{
	size_t i;

	if (pb == NULL)
		return;
	for (i = 0; i < pb->nsteps; i++) {
		free(pb->steps[i].id);
		free(pb->steps[i].title);
		free(pb->steps[i].detail);
	}
	free(pb->steps);
	free(pb->id);
	free(pb->category);
	free(pb->title);
	free(pb->summary);
	free(pb->path);
	free(pb);
}

void
playbook_set_free(struct playbook_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		playbook_free(set->v[i].pb);
	free(set->v);
	free(set);
}

/* The key node of key in map, or NULL. */
static yaml_node_t *
key_node(struct ydoc *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = ydoc_node(d, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == strlen(key) &&
		    memcmp(k->data.scalar.value, key,
		    k->data.scalar.length) == 0)
			return k;
	}
	return NULL;
}

/* The value of a required key: "missing" names the mapping's line, an
 * empty value the key's. */
static int
required(struct ydoc *d, yaml_node_t *map, const char *name,
    const char *key, yaml_node_t **out)
{
	yaml_node_t *k;

	if ((*out = ydoc_get(d, map, key)) != NULL)
		return 0;
	if ((k = key_node(d, map, key)) != NULL)
		return ydoc_fail(d, k, "setting '%s%s%s' is empty", name,
		    *name != '\0' ? "." : "", key);
	if (*name == '\0')
		return ydoc_fail(d, map, "missing '%s'", key);
	return ydoc_fail(d, map, "setting '%s': missing '%s'", name, key);
}

/*
 * The top-level mapping's keys: known, each given once.  (Not
 * ydoc_check_map(), whose messages name a parent setting the top level
 * does not have.)
 */
static int
check_top(struct ydoc *d, yaml_node_t *root)
{
	yaml_node_pair_t *pair, *p;
	yaml_node_t *k, *o;
	const char *hint;
	char shown[128];
	size_t i, n = sizeof(top_keys) / sizeof(top_keys[0]);

	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = ydoc_node(d, pair->key);
		if (k->type != YAML_SCALAR_NODE)
			return ydoc_fail(d, k, "expected a key, got %s",
			    ydoc_kind(k));
		config_show((const char *)k->data.scalar.value,
		    k->data.scalar.length, shown, sizeof(shown));
		for (p = root->data.mapping.pairs.start; p < pair; p++) {
			o = ydoc_node(d, p->key);
			if (o->type == YAML_SCALAR_NODE &&
			    o->data.scalar.length == k->data.scalar.length &&
			    memcmp(o->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length) == 0)
				return ydoc_fail(d, k, "setting '%s': "
				    "duplicate key (first given on line %zu)",
				    shown, ydoc_line(o));
		}
		for (i = 0; i < n; i++)
			if (k->data.scalar.length == strlen(top_keys[i]) &&
			    memcmp(k->data.scalar.value, top_keys[i],
			    k->data.scalar.length) == 0)
				break;
		if (i < n)
			continue;
		hint = ydoc_nearest((const char *)k->data.scalar.value,
		    k->data.scalar.length, top_keys, n);
		if (hint != NULL)
			return ydoc_fail(d, k, "unknown setting '%s' (did you "
			    "mean '%s'?)", shown, hint);
		return ydoc_fail(d, k, "unknown setting '%s' (a playbook "
		    "has id, category, title, summary and steps)", shown);
	}
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * A text value: trimmed, at most max bytes, no control characters (C0,
 * DEL or C1) except, unless oneline, newline and tab.  An empty result
 * is NULL in *out.
 */
static int
read_text(struct ydoc *d, yaml_node_t *v, const char *name, size_t max,
    int oneline, char **out)
{
	char *s = NULL;
	size_t len, i, start;
	unsigned char c;
	int r;

	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	if (s == NULL)
		return 0;
	len = strlen(s);
	while (len > 0 && is_space(s[len - 1]))
		len--;
	for (start = 0; start < len && is_space(s[start]); start++)
		;
	memmove(s, s + start, len - start);
	len -= start;
	s[len] = '\0';
	if (len > max) {
		free(s);
		return ydoc_fail(d, v, "setting '%s': longer than %zu bytes",
		    name, max);
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c == '\n' || c == '\t') && !oneline)
			continue;
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)) {
			free(s);
			if (oneline && (c == '\n' || c == '\t'))
				return ydoc_fail(d, v, "setting '%s': must be "
				    "one line", name);
			return ydoc_fail(d, v, "setting '%s': a control "
			    "character at byte %zu", name, i);
		}
	}
	free(*out);
	if (len == 0) {
		free(s);
		s = NULL;
	}
	*out = s;
	return 0;
}

/* An id: 1..PLAYBOOK_MAX_ID of [a-z0-9_-], starting with a letter or
 * digit (taxonomy ids, file names and command-line words alike). */
static int
read_id(struct ydoc *d, yaml_node_t *v, const char *name, char **out)
{
	char *s = NULL, shown[128];
	size_t len, i;
	int r, ok;

	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	len = strlen(s);
	ok = len >= 1 && len <= PLAYBOOK_MAX_ID && s[0] != '-' &&
	    s[0] != '_';
	for (i = 0; ok && i < len; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_';
	if (!ok) {
		config_show(s, len, shown, sizeof(shown));
		free(s);
		return ydoc_fail(d, v, "setting '%s': '%s' is not an id "
		    "(1 to %d lowercase letters, digits, '-' and '_', "
		    "starting with a letter or digit)", name, shown,
		    PLAYBOOK_MAX_ID);
	}
	free(*out);
	*out = s;
	return 0;
}

static int
read_when(struct ydoc *d, yaml_node_t *v, const char *name, int *out)
{
	char *s = NULL, shown[128];
	int r, i;

	if ((r = ydoc_str(d, v, name, &s)) != 0 || s == NULL)
		return r;
	for (i = 1; i <= 3; i++)
		if (strcmp(s, when_names[i]) == 0) {
			free(s);
			*out = i;
			return 0;
		}
	if (strcmp(s, "always") == 0) {
		free(s);
		*out = 0;
		return 0;
	}
	config_show(s, strlen(s), shown, sizeof(shown));
	free(s);
	return ydoc_fail(d, v, "setting '%s': expected always, internal, "
	    "external or infrastructure, got '%s'", name, shown);
}

static int
parse_step(struct ydoc *d, yaml_node_t *item, size_t idx,
    struct playbook_step *s)
{
	yaml_node_t *v;
	char name[64], field[96];
	int r;

	snprintf(name, sizeof(name), "steps[%zu]", idx);
	if ((r = ydoc_check_map(d, item, name, step_keys,
	    sizeof(step_keys) / sizeof(step_keys[0]))) != 0)
		return r;
	snprintf(field, sizeof(field), "%s.id", name);
	if ((r = required(d, item, name, "id", &v)) != 0 ||
	    (r = read_id(d, v, field, &s->id)) != 0)
		return r;
	snprintf(field, sizeof(field), "%s.title", name);
	if ((r = required(d, item, name, "title", &v)) != 0 ||
	    (r = read_text(d, v, field, PLAYBOOK_MAX_TITLE, 1,
	    &s->title)) != 0)
		return r;
	if (s->title == NULL)
		return ydoc_fail(d, v, "setting '%s' is empty", field);
	snprintf(field, sizeof(field), "%s.detail", name);
	if ((r = read_text(d, ydoc_get(d, item, "detail"), field,
	    PLAYBOOK_MAX_TEXT, 0, &s->detail)) != 0)
		return r;
	snprintf(field, sizeof(field), "%s.when", name);
	return read_when(d, ydoc_get(d, item, "when"), field, &s->min_impact);
}

static int
parse_steps(struct ydoc *d, yaml_node_t *list, struct playbook *pb)
{
	yaml_node_item_t *it;
	yaml_node_t *item, *idn;
	size_t n, i, j;
	int r;

	if (!ydoc_is_list(list))
		return ydoc_fail(d, list, "setting 'steps': expected a list "
		    "of steps, got %s", ydoc_kind(list));
	n = (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start);
	if (n == 0)
		return ydoc_fail(d, list, "setting 'steps': no steps (a "
		    "playbook needs at least one)");
	if (n > PLAYBOOK_MAX_STEPS)
		return ydoc_fail(d, ydoc_node(d,
		    list->data.sequence.items.start[PLAYBOOK_MAX_STEPS]),
		    "setting 'steps': more than %d steps", PLAYBOOK_MAX_STEPS);
	if ((pb->steps = calloc(n, sizeof(*pb->steps))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0, it = list->data.sequence.items.start; i < n; i++, it++) {
		item = ydoc_node(d, *it);
		pb->nsteps = i + 1;	/* so playbook_free() sees it */
		if ((r = parse_step(d, item, i, &pb->steps[i])) != 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(pb->steps[j].id, pb->steps[i].id) == 0) {
				idn = ydoc_get(d, item, "id");
				return ydoc_fail(d, idn, "setting "
				    "'steps[%zu].id': step '%s' is already "
				    "steps[%zu] (line %zu)", i,
				    pb->steps[i].id, j, ydoc_line(ydoc_node(d,
				    list->data.sequence.items.start[j])));
			}
	}
	return 0;
}

static int
valid_category(const char *c, const char *const *cats, size_t ncat)
{
	size_t i;

	if (cats == NULL || ncat == 0 || strcmp(c, PLAYBOOK_REPORT) == 0)
		return 1;
	for (i = 0; i < ncat; i++)
		if (strcmp(c, cats[i]) == 0)
			return 1;
	return 0;
}

/* Turns the loaded document into *out; lines of id and category for the
 * set's duplicate checks. */
static int
parse_doc(struct ydoc *d, const char *path, const char *const *cats,
    size_t ncat, struct playbook **out, struct pb_entry *where)
{
	struct playbook *pb;
	yaml_node_t *root, *v;
	const char *hint;
	int r;

	*out = NULL;
	if ((root = ydoc_root(d)) == NULL) {
		mamori_seterr(d->err, d->errlen, "%s:1: empty file (expected a "
		    "playbook: id, category, title and steps)", path);
		return MAMORI_ECONFIG;
	}
	if (!ydoc_is_map(root))
		return ydoc_fail(d, root, "expected a playbook (a mapping of "
		    "id, category, title and steps), got %s", ydoc_kind(root));
	if ((r = check_top(d, root)) != 0)
		return r;
	if ((pb = calloc(1, sizeof(*pb))) == NULL ||
	    (pb->path = strdup(path)) == NULL) {
		free(pb);
		return MAMORI_ENOMEM;
	}
	if ((r = required(d, root, "", "id", &v)) != 0 ||
	    (r = read_id(d, v, "id", &pb->id)) != 0)
		goto fail;
	where->id_line = ydoc_line(v);
	if ((r = required(d, root, "", "category", &v)) != 0 ||
	    (r = read_id(d, v, "category", &pb->category)) != 0)
		goto fail;
	where->cat_line = ydoc_line(v);
	if (!valid_category(pb->category, cats, ncat)) {
		hint = ydoc_nearest(pb->category, strlen(pb->category),
		    cats, ncat);
		if (hint == NULL && ydoc_nearest(pb->category,
		    strlen(pb->category), (const char *const[]){
		    PLAYBOOK_REPORT }, 1) != NULL)
			hint = PLAYBOOK_REPORT;
		if (hint != NULL)
			r = ydoc_fail(d, v, "setting 'category': unknown "
			    "category '%s' (did you mean '%s'?)",
			    pb->category, hint);
		else
			r = ydoc_fail(d, v, "setting 'category': unknown "
			    "category '%s' (see etc/taxonomy.json, or "
			    "'report' for reports from outside)",
			    pb->category);
		goto fail;
	}
	if ((r = required(d, root, "", "title", &v)) != 0 ||
	    (r = read_text(d, v, "title", PLAYBOOK_MAX_TITLE, 1,
	    &pb->title)) != 0)
		goto fail;
	if (pb->title == NULL) {
		r = ydoc_fail(d, v, "setting 'title' is empty");
		goto fail;
	}
	if ((r = read_text(d, ydoc_get(d, root, "summary"), "summary",
	    PLAYBOOK_MAX_TEXT, 0, &pb->summary)) != 0)
		goto fail;
	if ((r = required(d, root, "", "steps", &v)) != 0 ||
	    (r = parse_steps(d, v, pb)) != 0)
		goto fail;
	*out = pb;
	return 0;
 fail:
	playbook_free(pb);
	return r;
}

static int
load_buf(const char *path, const char *buf, size_t len,
    const char *const *cats, size_t ncat, struct playbook **out,
    struct pb_entry *where, char *err, size_t errlen)
{
	struct ydoc d;
	int r;

	if (len > PLAYBOOK_MAX_FILE) {
		mamori_seterr(err, errlen, "%s: larger than %d bytes", path,
		    PLAYBOOK_MAX_FILE);
		return MAMORI_ECONFIG;
	}
	if ((r = ydoc_load_buf(&d, path, buf, len, err, errlen)) == 0)
		r = parse_doc(&d, path, cats, ncat, out, where);
	ydoc_free(&d);
	return r;
}

static int
load_file(const char *path, const char *const *cats, size_t ncat,
    struct playbook **out, struct pb_entry *where, char *err, size_t errlen)
{
	struct ydoc d;
	int r;

	if ((r = ydoc_load(&d, path, PLAYBOOK_MAX_FILE, err, errlen)) == 0)
		r = parse_doc(&d, path, cats, ncat, out, where);
	ydoc_free(&d);
	return r;
}

int
playbook_load_buf(const char *path, const char *buf, size_t len,
    struct playbook **out, char *err, size_t errlen)
{
	struct pb_entry where;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return load_buf(path, buf, len, NULL, 0, out, &where, err, errlen);
}

int
playbook_load_file(const char *path, struct playbook **out, char *err,
    size_t errlen)
{
	struct pb_entry where;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return load_file(path, NULL, 0, out, &where, err, errlen);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The *.yaml names in dir, sorted. */
static int
list_dir(const char *dir, char ***namesp, size_t *np, char *err,
    size_t errlen)
{
	DIR *dp;
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, len;
	int e;

	*namesp = NULL;
	*np = 0;
	if ((dp = opendir(dir)) == NULL) {
		e = errno;
		mamori_seterr(err, errlen, "%s: cannot read the playbooks "
		    "directory: %s", dir, strerror(e));
		errno = e;
		return MAMORI_ESYS;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		if (n == PLAYBOOK_MAX_FILES) {
			mamori_seterr(err, errlen, "%s: more than %d playbook files",
			    dir, PLAYBOOK_MAX_FILES);
			closedir(dp);
			names_free(names, n);
			return MAMORI_ECONFIG;
		}
		if (n == cap) {
			cap = cap == 0 ? 32 : 2 * cap;
			if ((nn = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (errno != 0) {
		e = errno;
		mamori_seterr(err, errlen, "%s: cannot read the playbooks "
		    "directory: %s", dir, strerror(e));
		closedir(dp);
		names_free(names, n);
		errno = e;
		return MAMORI_ESYS;
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*namesp = names;
	*np = n;
	return 0;
 nomem:
	closedir(dp);
	names_free(names, n);
	mamori_seterr(err, errlen, "%s: out of memory", dir);
	return MAMORI_ENOMEM;
}

/* Two playbooks of one set must differ in id and in category. */
static int
check_unique(const struct playbook_set *set, const struct pb_entry *e,
    char *err, size_t errlen)
{
	const struct pb_entry *o;
	size_t i;

	for (i = 0; i < set->n; i++) {
		o = &set->v[i];
		if (strcmp(o->pb->id, e->pb->id) == 0) {
			mamori_seterr(err, errlen, "%s:%zu: playbook id '%s' is "
			    "already used by %s:%zu", e->pb->path, e->id_line,
			    e->pb->id, o->pb->path, o->id_line);
			return MAMORI_ECONFIG;
		}
		if (strcmp(o->pb->category, e->pb->category) == 0) {
			mamori_seterr(err, errlen, "%s:%zu: a second playbook for "
			    "category '%s' (the first is '%s' in %s:%zu)",
			    e->pb->path, e->cat_line, e->pb->category,
			    o->pb->id, o->pb->path, o->cat_line);
			return MAMORI_ECONFIG;
		}
	}
	return 0;
}

int
playbook_set_load(const char *dir, const char *const *categories,
    size_t ncat, struct playbook_set **out, char *err, size_t errlen)
{
	struct playbook_set *set;
	struct pb_entry e;
	char **names = NULL, *path;
	size_t n = 0, i;
	int r;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = list_dir(dir, &names, &n, err, errlen)) != 0)
		return r;
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (n > 0 && (set->v = calloc(n, sizeof(*set->v))) == NULL)) {
		free(set);
		names_free(names, n);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (asprintf(&path, "%s%s%s", dir,
		    dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/",
		    names[i]) < 0) {
			r = MAMORI_ENOMEM;
			break;
		}
		memset(&e, 0, sizeof(e));
		r = load_file(path, categories, ncat, &e.pb, &e, err, errlen);
		free(path);
		if (r != 0)
			break;
		if ((r = check_unique(set, &e, err, errlen)) != 0) {
			playbook_free(e.pb);
			break;
		}
		set->v[set->n++] = e;
	}
	names_free(names, n);
	if (r != 0) {
		if (r == MAMORI_ENOMEM && err != NULL && errlen > 0 &&
		    err[0] == '\0')
			mamori_seterr(err, errlen, "%s: out of memory", dir);
		playbook_set_free(set);
		return r;
	}
	*out = set;
	return 0;
}

const struct playbook *
playbook_for(const struct playbook_set *set, const char *category)
{
	size_t i;

	if (set == NULL || category == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].pb->category, category) == 0)
			return set->v[i].pb;
	return NULL;
}

const struct playbook *
playbook_get(const struct playbook_set *set, const char *id)
{
	size_t i;

	if (set == NULL || id == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].pb->id, id) == 0)
			return set->v[i].pb;
	return NULL;
}

size_t
playbook_set_count(const struct playbook_set *set)
{
	return set != NULL ? set->n : 0;
}

const struct playbook *
playbook_at(const struct playbook_set *set, size_t i)
{
	return set != NULL && i < set->n ? set->v[i].pb : NULL;
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Mirrors cli_ruleset_default() (src/cli/cli-ruleset.c), which finds the
 * bundled rules the same way.
 */
char *
playbook_default_dir(const char *argv0)
{
	static const char *const rel[] = {
		"/../playbooks",		/* build/mamori in the source */
		"/../share/mamori/playbooks",	/* installed under a prefix */
	};
	const char *env = getenv("MAMORI_PLAYBOOKS");
	char exe[PATH_MAX], *slash, *p;
	ssize_t n;
	size_t i;
	int have = 0;

	if (env != NULL && *env != '\0')
		return is_dir(env) ? strdup(env) : NULL;
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		have = 1;
	} else if (argv0 != NULL && strchr(argv0, '/') != NULL &&
	    realpath(argv0, exe) != NULL)
		have = 1;
	if (have && (slash = strrchr(exe, '/')) != NULL) {
		*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if (asprintf(&p, "%s%s", exe, rel[i]) < 0)
				return NULL;
			if (is_dir(p))
				return p;
			free(p);
		}
	}
	return is_dir("/usr/share/mamori/playbooks") ?
	    strdup("/usr/share/mamori/playbooks") : NULL;
}
