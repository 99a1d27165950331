/*
 * yamldoc.c - structured YAML with FILE:LINE errors (see yamldoc.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/config-impl.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/yamldoc.h"

static void
seterr(struct ydoc *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err == NULL || d->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
}

size_t
ydoc_line(const yaml_node_t *n)
{
	return n != NULL ? n->start_mark.line + 1 : 0;
}

int
ydoc_fail(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n != NULL)
		seterr(d, "%s:%zu: %s", d->path, ydoc_line(n), msg);
	else
		seterr(d, "%s: %s", d->path, msg);
	return MAMORI_ECONFIG;
}

/* libyaml names the line after the last for an error at the end of a
 * file without a final newline: the file's last line, then. */
static size_t
clamp_line(size_t line, const char *buf, size_t len)
{
	size_t i, n = 1;

	for (i = 0; i < len; i++)
		if (buf[i] == '\n' && i + 1 < len)
			n++;
	return line > n ? n : line;
}

static int
syntax_fail(struct ydoc *d, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t i, line = 1, mline = clamp_line(p->problem_mark.line + 1, buf,
	    len);

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		seterr(d, "%s: out of memory", d->path);
		return MAMORI_ENOMEM;
	case YAML_READER_ERROR:
		for (i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		seterr(d, "%s:%zu: YAML syntax error: %s", d->path, line,
		    problem);
		return MAMORI_ECONFIG;
	default:
		if (p->problem_mark.index < len &&
		    buf[p->problem_mark.index] == '\t')
			seterr(d, "%s:%zu: YAML syntax error: %s (a tab: YAML "
			    "indents with spaces only)", d->path,
			    mline, problem);
		else if (p->context != NULL)
			seterr(d, "%s:%zu: YAML syntax error: %s (%s on line "
			    "%zu)", d->path, mline, problem,
			    p->context, p->context_mark.line + 1);
		else
			seterr(d, "%s:%zu: YAML syntax error: %s", d->path,
			    mline, problem);
		return MAMORI_ECONFIG;
	}
}

int
ydoc_load_buf(struct ydoc *d, const char *path, const char *buf, size_t len,
    char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t next;
	yaml_node_t *extra;
	int r = 0;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->err = err;
	d->errlen = errlen;
	if (!yaml_parser_initialize(&p))
		return MAMORI_ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &d->doc)) {
		r = syntax_fail(d, &p, buf, len);
		goto out;
	}
	d->loaded = 1;
	if (!yaml_parser_load(&p, &next)) {
		r = syntax_fail(d, &p, buf, len);
		goto out;
	}
	if ((extra = yaml_document_get_root_node(&next)) != NULL)
		r = ydoc_fail(d, extra, "only one YAML document is allowed");
	yaml_document_delete(&next);
 out:
	yaml_parser_delete(&p);
	return r;
}

int
ydoc_load(struct ydoc *d, const char *path, size_t max, char *err,
    size_t errlen)
{
	char *buf;
	size_t len;
	int r, e;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->err = err;
	d->errlen = errlen;
	if ((r = file_read_all(path, max, &buf, &len)) != 0) {
		e = errno;
		if (r == MAMORI_ETOOBIG) {
			seterr(d, "%s: larger than %zu bytes", path, max);
			return MAMORI_ECONFIG;
		}
		if (r == MAMORI_ESYS)
			seterr(d, "%s: cannot read: %s", path, strerror(e));
		errno = e;
		return r;
	}
	r = ydoc_load_buf(d, path, buf, len, err, errlen);
	free(buf);
	return r;
}

void
ydoc_wrap(struct ydoc *d, const char *path, yaml_document_t *doc, char *err,
    size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->path = path;
	d->doc = *doc;		/* shares the nodes; not loaded: not freed */
	d->err = err;
	d->errlen = errlen;
}

void
ydoc_free(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = 0;
}

yaml_node_t *
ydoc_root(struct ydoc *d)
{
	yaml_node_t *n = yaml_document_get_root_node(&d->doc);

	return n == NULL || ydoc_is_null(n) ? NULL : n;
}

yaml_node_t *
ydoc_node(struct ydoc *d, int id)
{
	return yaml_document_get_node(&d->doc, id);
}

int
ydoc_is_null(const yaml_node_t *n)
{
	const char *v;
	size_t len;

	if (n == NULL)
		return 1;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	len = n->data.scalar.length;
	return len == 0 || (len == 1 && v[0] == '~') || (len == 4 &&
	    (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 ||
	    memcmp(v, "NULL", 4) == 0));
}

int
ydoc_is_map(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_MAPPING_NODE;
}

int
ydoc_is_list(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SEQUENCE_NODE;
}

const char *
ydoc_kind(const yaml_node_t *n)
{
	if (n == NULL)
		return "nothing";
	switch (n->type) {
	case YAML_MAPPING_NODE:		return "a mapping";
	case YAML_SEQUENCE_NODE:	return "a list";
	default:			return "a value";
	}
}

static size_t
edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[33][33], i, j, v;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *
ydoc_nearest(const char *key, size_t klen, const char *const *cand,
    size_t n)
{
	const char *best = NULL;
	size_t i, dist, bestd = 3;

	for (i = 0; i < n; i++) {
		dist = edit_distance(key, klen, cand[i], strlen(cand[i]));
		if (dist < bestd) {
			bestd = dist;
			best = cand[i];
		}
	}
	return best;
}

static int
scalar_is(const yaml_node_t *k, const char *s)
{
	return k->type == YAML_SCALAR_NODE &&
	    k->data.scalar.length == strlen(s) &&
	    memcmp(k->data.scalar.value, s, k->data.scalar.length) == 0;
}

int
ydoc_check_map(struct ydoc *d, yaml_node_t *map, const char *name,
    const char *const *allowed, size_t n)
{
	yaml_node_pair_t *pair, *p;
	yaml_node_t *k, *o;
	const char *hint;
	char shown[128];
	size_t i;

	if (!ydoc_is_map(map))
		return ydoc_fail(d, map, "setting '%s': expected a mapping, "
		    "got %s", name, ydoc_kind(map));
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = ydoc_node(d, pair->key);
		if (k->type != YAML_SCALAR_NODE)
			return ydoc_fail(d, k, "setting '%s': expected a "
			    "key, got %s", name, ydoc_kind(k));
		config_show((const char *)k->data.scalar.value,
		    k->data.scalar.length, shown, sizeof(shown));
		for (p = map->data.mapping.pairs.start; p < pair; p++) {
			o = ydoc_node(d, p->key);
			if (o->type == YAML_SCALAR_NODE &&
			    o->data.scalar.length == k->data.scalar.length &&
			    memcmp(o->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length) == 0)
				return ydoc_fail(d, k, "setting '%s.%s': "
				    "duplicate key (first given on line %zu)",
				    name, shown, ydoc_line(o));
		}
		for (i = 0; i < n; i++)
			if (scalar_is(k, allowed[i]))
				break;
		if (i < n)
			continue;
		hint = ydoc_nearest((const char *)k->data.scalar.value,
		    k->data.scalar.length, allowed, n);
		if (hint != NULL)
			return ydoc_fail(d, k, "unknown setting '%s.%s' (did "
			    "you mean '%s'?)", name, shown, hint);
		return ydoc_fail(d, k, "unknown setting '%s.%s'", name,
		    shown);
	}
	return 0;
}

yaml_node_t *
ydoc_get(struct ydoc *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *v;

	if (!ydoc_is_map(map))
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++)
		if (scalar_is(ydoc_node(d, pair->key), key)) {
			v = ydoc_node(d, pair->value);
			return ydoc_is_null(v) ? NULL : v;
		}
	return NULL;
}

int
ydoc_str(struct ydoc *d, yaml_node_t *v, const char *name, char **out)
{
	char *s;

	if (v == NULL)
		return 0;
	if (v->type != YAML_SCALAR_NODE)
		return ydoc_fail(d, v, "setting '%s': expected a value, got "
		    "%s", name, ydoc_kind(v));
	if (memchr(v->data.scalar.value, '\0', v->data.scalar.length) != NULL)
		return ydoc_fail(d, v, "setting '%s': a value with a NUL "
		    "byte", name);
	if ((s = strndup((const char *)v->data.scalar.value,
	    v->data.scalar.length)) == NULL)
		return MAMORI_ENOMEM;
	free(*out);
	*out = s;
	return 0;
}

int
ydoc_int(struct ydoc *d, yaml_node_t *v, const char *name, long min,
    long max, int *out)
{
	char *s = NULL, *end, shown[128];
	long l;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || l < min || l > max) {
		config_show(s, strlen(s), shown, sizeof(shown));
		free(s);
		return ydoc_fail(d, v, "setting '%s': expected a whole number "
		    "from %ld to %ld, got '%s'", name, min, max, shown);
	}
	free(s);
	*out = (int)l;
	return 0;
}

int
ydoc_bool(struct ydoc *d, yaml_node_t *v, const char *name, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	char *s = NULL, shown[128];
	size_t i;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			free(s);
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			free(s);
			*out = 0;
			return 0;
		}
	}
	config_show(s, strlen(s), shown, sizeof(shown));
	free(s);
	return ydoc_fail(d, v, "setting '%s': expected true or false, got "
	    "'%s'", name, shown);
}

int
ydoc_duration(struct ydoc *d, yaml_node_t *v, const char *name,
    int64_t *out_ns)
{
	char *s = NULL, shown[128];
	int64_t ns;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	if (config_duration_parse(s, &ns) != 0) {
		config_show(s, strlen(s), shown, sizeof(shown));
		free(s);
		return ydoc_fail(d, v, "setting '%s': expected a duration "
		    "such as 60s, 15m or 1h, got '%s'", name, shown);
	}
	free(s);
	*out_ns = ns;
	return 0;
}

void
ydoc_strv_free(char **v)
{
	char **p;

	if (v == NULL)
		return;
	for (p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

int
ydoc_strv_dup(char ***out, const char *const *v)
{
	size_t n = 0, i;
	char **a;

	while (v[n] != NULL)
		n++;
	if ((a = calloc(n + 1, sizeof(*a))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++)
		if ((a[i] = strdup(v[i])) == NULL) {
			ydoc_strv_free(a);
			return MAMORI_ENOMEM;
		}
	*out = a;
	return 0;
}

int
ydoc_strv(struct ydoc *d, yaml_node_t *v, const char *name, char ***out,
    size_t *np)
{
	yaml_node_item_t *it;
	yaml_node_t *e;
	char **a, ename[256];
	size_t n, i;
	int r;

	if (v == NULL)
		return 0;
	n = v->type == YAML_SEQUENCE_NODE ?
	    (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start) : 1;
	if (v->type == YAML_MAPPING_NODE)
		return ydoc_fail(d, v, "setting '%s': expected a value or a "
		    "list of values, got a mapping", name);
	if ((a = calloc(n + 1, sizeof(*a))) == NULL)
		return MAMORI_ENOMEM;
	if (v->type == YAML_SCALAR_NODE) {
		if ((r = ydoc_str(d, v, name, &a[0])) != 0)
			goto fail;
	} else {
		for (i = 0, it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++, i++) {
			e = ydoc_node(d, *it);
			snprintf(ename, sizeof(ename), "%s[%zu]", name, i);
			if (ydoc_is_null(e)) {
				r = ydoc_fail(d, e, "setting '%s': empty "
				    "entry", ename);
				goto fail;
			}
			if ((r = ydoc_str(d, e, ename, &a[i])) != 0)
				goto fail;
		}
	}
	ydoc_strv_free(*out);
	*out = a;
	if (np != NULL)
		*np = n;
	return 0;
 fail:
	ydoc_strv_free(a);
	return r;
}
