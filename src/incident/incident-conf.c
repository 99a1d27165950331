/*
 * incident-conf.c - the incidents: section of the configuration, and the
 * address prefixes it names (internal networks, infrastructure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "incident/incmgr.h"
#include "incident/playbook.h"
#include "incident/taxonomy.h"

static const char *const internal_default[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
	"169.254.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10",
};

int
inc_prefix_parse(const char *s, struct respond_addr *p)
{
	char err[160];

	if (s == NULL)
		return MAMORI_EINVAL;
	return respond_addr_parse(s, strlen(s), p, err, sizeof(err));
}

int
inc_prefix_match(const struct respond_addr *p, size_t n, const char *addr)
{
	struct respond_addr a;
	size_t i;

	if (addr == NULL || strchr(addr, '/') != NULL ||
	    inc_prefix_parse(addr, &a) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (respond_addr_contains(&p[i], &a))
			return 1;
	return 0;
}

int
incident_conf_init(struct incident_conf *c)
{
	size_t i, n = sizeof(internal_default) / sizeof(internal_default[0]);

	memset(c, 0, sizeof(*c));
	c->enabled = 1;
	c->window_ns = 3600LL * 1000000000LL;
	c->open_level = 7;
	c->join_level = 3;
	c->join_open = 1;
	c->open_count = 5;
	c->group_by[0] = INCMGR_K_CATEGORY | INCMGR_K_ATTACKER;
	c->group_by[1] = INCMGR_K_CATEGORY | INCMGR_K_VICTIM;
	c->ngroup_by = 2;
	if ((c->internal = calloc(n, sizeof(*c->internal))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++)
		if (inc_prefix_parse(internal_default[i], &c->internal[i]) != 0)
			return MAMORI_EINVAL;	/* cannot happen */
	c->ninternal = n;
	return 0;
}

void
incident_conf_release(struct incident_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->internal);
	free(c->infra);
	for (i = 0; i < c->ninfra_hosts; i++)
		free(c->infra_hosts[i]);
	free(c->infra_hosts);
	free(c->playbooks);
	free(c->taxonomy);
	free(c->org_name);
	free(c->org_email);
	memset(c, 0, sizeof(*c));
}

static const struct {
	const char	*name;
	unsigned	 bit;
} key_parts[] = {
	{ "category", INCMGR_K_CATEGORY },
	{ "attacker", INCMGR_K_ATTACKER },
	{ "victim", INCMGR_K_VICTIM },
	{ "host", INCMGR_K_HOST },
	{ "user", INCMGR_K_USER },
	{ "rule", INCMGR_K_RULE },
};
#define NKEY_PARTS (sizeof(key_parts) / sizeof(key_parts[0]))

static int
parse_group_by(struct ydoc *d, yaml_node_t *v, const char *name,
    struct incident_conf *c)
{
	static const char *const names[] = {
		"category", "attacker", "victim", "host", "user", "rule",
	};
	yaml_node_item_t *it;
	char **parts = NULL, ename[320];
	const char *hint;
	size_t i, j, n = 0;
	unsigned bits;
	int r;

	if (!ydoc_is_list(v))
		return ydoc_fail(d, v, "setting '%s': expected a list of "
		    "keys, each a list such as [category, attacker]", name);
	if ((size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start) > INCMGR_KEYS_MAX)
		return ydoc_fail(d, v, "setting '%s': at most %d keys", name,
		    INCMGR_KEYS_MAX);
	c->ngroup_by = 0;
	for (i = 0, it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = ydoc_node(d, *it);

		snprintf(ename, sizeof(ename), "%s[%zu]", name, i);
		if ((r = ydoc_strv(d, ydoc_is_null(e) ? NULL : e, ename,
		    &parts, &n)) != 0)
			return r;
		if (parts == NULL || n == 0)
			return ydoc_fail(d, e, "setting '%s': empty key",
			    ename);
		bits = 0;
		for (j = 0; j < n; j++) {
			size_t k;

			for (k = 0; k < NKEY_PARTS; k++)
				if (strcmp(parts[j], key_parts[k].name) == 0)
					break;
			if (k == NKEY_PARTS) {
				hint = ydoc_nearest(parts[j], strlen(parts[j]),
				    names, NKEY_PARTS);
				r = ydoc_fail(d, e, "setting '%s': unknown key "
				    "part '%s'%s%s%s (known: category, "
				    "attacker, victim, host, user, rule)",
				    ename, parts[j], hint ? " (did you mean '" :
				    "", hint ? hint : "", hint ? "'?)" : "");
				ydoc_strv_free(parts);
				return r;
			}
			bits |= key_parts[k].bit;
		}
		ydoc_strv_free(parts);
		parts = NULL;
		c->group_by[c->ngroup_by++] = bits;
	}
	if (c->ngroup_by == 0)
		return ydoc_fail(d, v, "setting '%s': needs at least one key",
		    name);
	return 0;
}

/* Reads a list of prefixes; with hosts non-NULL, names that are not
 * addresses are kept there (infrastructure may name hosts). */
static int
parse_prefixes(struct ydoc *d, yaml_node_t *v, const char *name,
    struct respond_addr **out, size_t *nout, char ***hosts, size_t *nhosts)
{
	struct respond_addr *p;
	char why[160];
	char **list = NULL, **h = NULL;
	size_t n = 0, i, np = 0, nh = 0;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_strv(d, v, name, &list, &n)) != 0)
		return r;
	if ((p = calloc(n + 1, sizeof(*p))) == NULL ||
	    (hosts != NULL && (h = calloc(n + 1, sizeof(*h))) == NULL)) {
		free(p);
		ydoc_strv_free(list);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (inc_prefix_parse(list[i], &p[np]) == 0) {
			np++;
			continue;
		}
		if (hosts != NULL && strchr(list[i], '/') == NULL &&
		    strchr(list[i], ':') == NULL) {
			h[nh++] = list[i];
			list[i] = strdup("");
			continue;
		}
		(void)respond_addr_parse(list[i], strlen(list[i]), &p[np],
		    why, sizeof(why));
		r = ydoc_fail(d, v, "setting '%s[%zu]': %s (an address or "
		    "prefix such as 10.0.0.0/8 or 2001:db8::/32)", name, i,
		    why);
		free(p);
		for (i = 0; i < nh; i++)
			free(h[i]);
		free(h);
		ydoc_strv_free(list);
		return r;
	}
	ydoc_strv_free(list);
	free(*out);
	*out = p;
	*nout = np;
	if (hosts != NULL) {
		for (i = 0; i < *nhosts; i++)
			free((*hosts)[i]);
		free(*hosts);
		*hosts = h;
		*nhosts = nh;
	}
	return 0;
}

int
incident_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct incident_conf *c)
{
	static const char *const keys[] = {
		"enabled", "window", "open_level", "open_count", "join_level",
		"join_open",
		"group_by",
		"internal_networks", "infrastructure", "playbooks", "taxonomy",
		"organisation", "contact_email",
	};
	char n[128];
	int r, oc = (int)c->open_count;

#define SUB(k) (snprintf(n, sizeof(n), "%s.%s", name, k), n)
	if ((r = ydoc_check_map(d, node, name, keys,
	    sizeof(keys) / sizeof(keys[0]))) != 0)
		return r;
	if ((r = ydoc_bool(d, ydoc_get(d, node, "enabled"), SUB("enabled"),
	    &c->enabled)) != 0 ||
	    (r = ydoc_duration(d, ydoc_get(d, node, "window"), SUB("window"),
	    &c->window_ns)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "open_level"),
	    SUB("open_level"), 0, 16, &c->open_level)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "join_level"),
	    SUB("join_level"), 0, 16, &c->join_level)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "open_count"),
	    SUB("open_count"), 0, INCMGR_PENDING_MAX, &oc)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, node, "join_open"),
	    SUB("join_open"), &c->join_open)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "playbooks"), SUB("playbooks"),
	    &c->playbooks)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "taxonomy"), SUB("taxonomy"),
	    &c->taxonomy)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "organisation"),
	    SUB("organisation"), &c->org_name)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "contact_email"),
	    SUB("contact_email"), &c->org_email)) != 0)
		return r;
	if (ydoc_get(d, node, "group_by") != NULL &&
	    (r = parse_group_by(d, ydoc_get(d, node, "group_by"),
	    SUB("group_by"), c)) != 0)
		return r;
	if ((r = parse_prefixes(d, ydoc_get(d, node, "internal_networks"),
	    SUB("internal_networks"), &c->internal, &c->ninternal, NULL,
	    NULL)) != 0 ||
	    (r = parse_prefixes(d, ydoc_get(d, node, "infrastructure"),
	    SUB("infrastructure"), &c->infra, &c->ninfra, &c->infra_hosts,
	    &c->ninfra_hosts)) != 0)
		return r;
	c->open_count = (size_t)oc;
	if (c->window_ns <= 0)
		return ydoc_fail(d, ydoc_get(d, node, "window"), "setting "
		    "'%s.window': must be more than 0", name);
	if (c->join_level > c->open_level)
		return ydoc_fail(d, node, "setting '%s.join_level' (%d) must "
		    "not be above open_level (%d)", name, c->join_level,
		    c->open_level);
#undef SUB
	return 0;
}

int
incident_env_load(const struct incident_conf *c, struct incident_env *env,
    char *err, size_t errlen)
{
	const char *const *ids;
	char path[4096];
	size_t nids;
	int r;

	memset(env, 0, sizeof(*env));
	if (c->taxonomy != NULL)
		snprintf(path, sizeof(path), "%s", c->taxonomy);
	else if (taxonomy_default_path(path, sizeof(path)) != 0) {
		snprintf(err, errlen, "no incident taxonomy found (looked "
		    "beside the executable and in %s); set incidents.taxonomy "
		    "or $MAMORI_TAXONOMY", path);
		return MAMORI_ENOTFOUND;
	}
	if ((env->tax_path = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	if ((r = taxonomy_load(path, &env->tax, err, errlen)) != 0)
		goto fail;
	if (c->playbooks != NULL)
		env->pb_dir = strdup(c->playbooks);
	else if ((env->pb_dir = playbook_default_dir(NULL)) == NULL) {
		snprintf(err, errlen, "no playbooks directory found beside "
		    "the executable; set incidents.playbooks or "
		    "$MAMORI_PLAYBOOKS");
		r = MAMORI_ENOTFOUND;
		goto fail;
	}
	if (env->pb_dir == NULL) {
		r = MAMORI_ENOMEM;
		goto fail;
	}
	ids = taxonomy_ids(env->tax, &nids);
	if ((r = playbook_set_load(env->pb_dir, ids, nids, &env->pb, err,
	    errlen)) != 0)
		goto fail;
	return 0;
 fail:
	incident_env_release(env);
	return r;
}

void
incident_env_release(struct incident_env *env)
{
	taxonomy_free(env->tax);
	playbook_set_free(env->pb);
	free(env->tax_path);
	free(env->pb_dir);
	memset(env, 0, sizeof(*env));
}
