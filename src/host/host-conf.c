/*
 * host-conf.c - the agent's configuration file, one section at a time.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "host/host.h"

const char *const host_conf_sections[] = {
	"agent", "logs", "fim", "audit", "rootcheck", NULL,
};

#define HOST_CONF_MAX	(4u << 20)

/* Every top-level key is a known section, given once. */
static int
check_sections(struct ydoc *d, yaml_node_t *root, size_t n)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *o;
	const char *hint;
	size_t i;

	for (p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		k = ydoc_node(d, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return ydoc_fail(d, k, "expected a section name, got "
			    "%s", ydoc_kind(k));
		for (q = root->data.mapping.pairs.start; q < p; q++) {
			o = ydoc_node(d, q->key);
			if (o->type == YAML_SCALAR_NODE &&
			    o->data.scalar.length == k->data.scalar.length &&
			    memcmp(o->data.scalar.value, k->data.scalar.value,
			    k->data.scalar.length) == 0)
				return ydoc_fail(d, k, "section '%.*s' given "
				    "twice (first on line %zu)",
				    (int)k->data.scalar.length,
				    (const char *)k->data.scalar.value,
				    ydoc_line(o));
		}
		for (i = 0; i < n; i++)
			if (strlen(host_conf_sections[i]) ==
			    k->data.scalar.length &&
			    memcmp(host_conf_sections[i], k->data.scalar.value,
			    k->data.scalar.length) == 0)
				break;
		if (i < n)
			continue;
		hint = ydoc_nearest((const char *)k->data.scalar.value,
		    k->data.scalar.length, host_conf_sections, n);
		return ydoc_fail(d, k, "unknown section '%.*s'%s%s%s",
		    (int)k->data.scalar.length,
		    (const char *)k->data.scalar.value,
		    hint ? " (did you mean '" : "", hint ? hint : "",
		    hint ? "'?)" : "");
	}
	return 0;
}

int
host_conf_load(const char *path, const char *section,
    host_conf_parse_fn parse, void *conf, char *err, size_t errlen)
{
	struct ydoc d;
	yaml_node_t *root, *v;
	size_t n = 0;
	int r;

	while (host_conf_sections[n] != NULL)
		n++;
	if ((r = ydoc_load(&d, path, HOST_CONF_MAX, err, errlen)) != 0) {
		ydoc_free(&d);
		return r;
	}
	root = ydoc_root(&d);
	if (root == NULL || ydoc_is_null(root)) {
		ydoc_free(&d);
		return 0;		/* an empty file: the defaults */
	}
	if (!ydoc_is_map(root)) {
		r = ydoc_fail(&d, root, "expected a mapping of sections "
		    "(agent:, logs:, fim:, audit:, rootcheck:), got %s",
		    ydoc_kind(root));
	} else if ((r = check_sections(&d, root, n)) == 0 &&
	    (v = ydoc_get(&d, root, section)) != NULL) {
		if (!ydoc_is_map(v))
			r = ydoc_fail(&d, v, "setting '%s': expected a "
			    "mapping, got %s", section, ydoc_kind(v));
		else
			r = parse(&d, v, section, conf);
	}
	ydoc_free(&d);
	return r;
}

int
host_conf_paths(struct ydoc *d, yaml_node_t *v, const char *name, char ***out)
{
	char **a = NULL;
	size_t n = 0, i;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_strv(d, v, name, &a, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (a[i][0] != '/') {
			r = ydoc_fail(d, v, "setting '%s': '%s' is not an "
			    "absolute path", name, a[i]);
			ydoc_strv_free(a);
			return r;
		}
	ydoc_strv_free(*out);
	*out = a;
	return 0;
}

int
host_conf_switch(struct ydoc *d, yaml_node_t *v, const char *name,
    const char *const *allowed, size_t n, int *enabled, yaml_node_t **map)
{
	const char *keys[16];
	char en[160];
	size_t i;
	int r;

	*map = NULL;
	if (v == NULL)
		return 0;
	if (v->type == YAML_SCALAR_NODE)
		return ydoc_bool(d, v, name, enabled);
	if (n >= sizeof(keys) / sizeof(keys[0]))
		return MAMORI_EINVAL;	/* a caller's mistake */
	keys[0] = "enabled";
	for (i = 0; i < n; i++)
		keys[i + 1] = allowed[i];
	if ((r = ydoc_check_map(d, v, name, keys, n + 1)) != 0)
		return r;
	snprintf(en, sizeof(en), "%s.enabled", name);
	if ((r = ydoc_bool(d, ydoc_get(d, v, "enabled"), en, enabled)) != 0)
		return r;
	*map = v;
	return 0;
}
