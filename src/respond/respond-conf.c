/*
 * respond-conf.c - the respond: section of mamori.yaml (docs/containment.md
 * lists every setting).
 *
 *   respond:
 *     dry_run: false
 *     table: mamori
 *     allowlist: [192.0.2.10, 2001:db8:1::/48]
 *     internal_networks: [10.0.0.0/8, 192.168.0.0/16]
 *     block_internal: false
 *     default_duration: 1h
 *     max_duration: 7d
 *     auto_block_max: 100
 *     auto_block:
 *       - rules: [5712, 5720]
 *         for: 1h
 *       - groups: [web_scan, recon]
 *         min_level: 10
 *
 * The whole section is read into new storage first and moved into the
 * configuration only when all of it is valid.
 */
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "respond/respond.h"

static const char *const default_internal[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
	"169.254.0.0/16", "fc00::/7", "fe80::/10",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
autos_free(struct respond_auto *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].rules);
		ydoc_strv_free(a[i].groups);
		free(a[i].field);
	}
	free(a);
}

void
respond_conf_free(struct respond_conf *c)
{
	if (c == NULL)
		return;
	free(c->table);
	free(c->allowlist);
	free(c->internal);
	autos_free(c->autos, c->nautos);
	free(c);
}

int
respond_conf_copy(struct respond_conf **out, const struct respond_conf *src)
{
	struct respond_conf *c;
	struct respond_auto *a;
	const struct respond_auto *sa;
	size_t i, k;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MAMORI_ENOMEM;
	*c = *src;
	c->table = NULL;
	c->allowlist = c->internal = NULL;
	c->autos = NULL;
	c->nautos = 0;
	if ((c->table = strdup(src->table)) == NULL ||
	    (c->allowlist = calloc(src->nallowlist + 1,
	    sizeof(*c->allowlist))) == NULL ||
	    (c->internal = calloc(src->ninternal + 1,
	    sizeof(*c->internal))) == NULL ||
	    (c->autos = calloc(src->nautos + 1, sizeof(*c->autos))) == NULL)
		goto oom;
	memcpy(c->allowlist, src->allowlist, src->nallowlist *
	    sizeof(*c->allowlist));
	memcpy(c->internal, src->internal, src->ninternal *
	    sizeof(*c->internal));
	for (i = 0; i < src->nautos; i++) {
		sa = &src->autos[i];
		a = &c->autos[i];
		*a = *sa;
		a->rules = NULL;
		a->groups = NULL;
		a->field = NULL;
		c->nautos = i + 1;
		if (sa->rules != NULL) {
			if ((a->rules = calloc(sa->nrules + 1,
			    sizeof(*a->rules))) == NULL)
				goto oom;
			memcpy(a->rules, sa->rules, sa->nrules *
			    sizeof(*a->rules));
		}
		if (sa->groups != NULL) {
			if ((a->groups = calloc(sa->ngroups + 1,
			    sizeof(*a->groups))) == NULL)
				goto oom;
			for (k = 0; k < sa->ngroups; k++)
				if ((a->groups[k] = strdup(sa->groups[k])) ==
				    NULL)
					goto oom;
		}
		if (sa->field != NULL && (a->field = strdup(sa->field)) ==
		    NULL)
			goto oom;
	}
	*out = c;
	return 0;
 oom:
	respond_conf_free(c);
	return MAMORI_ENOMEM;
}

int
respond_conf_new(struct respond_conf **out)
{
	struct respond_conf *c;
	size_t i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MAMORI_ENOMEM;
	c->default_duration_ns = 3600LL * 1000000000LL;
	c->max_duration_ns = 0;
	c->auto_max = 100;
	if ((c->table = strdup("mamori")) == NULL ||
	    (c->internal = calloc(NELEM(default_internal),
	    sizeof(*c->internal))) == NULL) {
		respond_conf_free(c);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < NELEM(default_internal); i++)
		if (respond_addr_parse(default_internal[i],
		    strlen(default_internal[i]), &c->internal[i], NULL,
		    0) != 0) {
			respond_conf_free(c);
			return MAMORI_EINVAL;	/* cannot happen */
		}
	c->ninternal = NELEM(default_internal);
	*out = c;
	return 0;
}

char *
respond_duration_format(int64_t ns, char *buf, size_t len)
{
	static const struct {
		const char	*unit;
		int64_t		 ns;
	} units[] = {
		{ "d", 86400LL * 1000000000LL }, { "h", 3600LL * 1000000000LL },
		{ "m", 60LL * 1000000000LL }, { "s", 1000000000LL },
		{ "ms", 1000000LL },
	};
	size_t i, o = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (ns < 1000000LL) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (i = 0; i < NELEM(units) && o < len; i++) {
		if (ns < units[i].ns)
			continue;
		n = snprintf(buf + o, len - o, "%" PRId64 "%s",
		    ns / units[i].ns, units[i].unit);
		if (n < 0)
			break;
		o += (size_t)n;
		ns %= units[i].ns;
	}
	return buf;
}

/* A scalar or list of addresses/prefixes at v into *out, *n. */
static int
addr_list(struct ydoc *d, yaml_node_t *v, const char *name,
    struct respond_addr **out, size_t *n)
{
	yaml_node_item_t *it;
	yaml_node_t *e;
	struct respond_addr *a;
	char ename[320], msg[256], *s;
	size_t cnt, i;
	int r;

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if (ydoc_is_map(v))
		return ydoc_fail(d, v, "setting '%s': expected an address or "
		    "a list of addresses, got a mapping", name);
	cnt = ydoc_is_list(v) ? (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start) : 1;
	if ((a = calloc(cnt + 1, sizeof(*a))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < cnt; i++) {
		if (ydoc_is_list(v)) {
			it = v->data.sequence.items.start + i;
			e = ydoc_node(d, *it);
			snprintf(ename, sizeof(ename), "%s[%zu]", name, i);
		} else {
			e = v;
			snprintf(ename, sizeof(ename), "%s", name);
		}
		if (ydoc_is_null(e)) {
			r = ydoc_fail(d, e, "setting '%s': empty entry",
			    ename);
			goto fail;
		}
		s = NULL;
		if ((r = ydoc_str(d, e, ename, &s)) != 0)
			goto fail;
		r = respond_addr_parse(s, strlen(s), &a[i], msg, sizeof(msg));
		free(s);
		if (r != 0) {
			r = ydoc_fail(d, e, "setting '%s': %s", ename, msg);
			goto fail;
		}
	}
	*out = a;
	*n = cnt;
	return 0;
 fail:
	free(a);
	return r;
}

/* A duration that is 0 or at least a second. */
static int
duration(struct ydoc *d, yaml_node_t *v, const char *name, int64_t *out)
{
	int64_t ns = *out;
	int r;

	if ((r = ydoc_duration(d, v, name, &ns)) != 0)
		return r;
	if (ns != 0 && ns < RESPOND_MIN_DURATION_NS)
		return ydoc_fail(d, v, "setting '%s': must be 0 (until "
		    "unblocked) or at least 1s", name);
	*out = ns;
	return 0;
}

static int
rule_ids(struct ydoc *d, yaml_node_t *v, const char *name, uint32_t **out,
    size_t *n)
{
	char **sv = NULL, *end;
	yaml_node_t *e;
	unsigned long long l;
	size_t cnt = 0, i;
	uint32_t *ids;
	int r;

	if ((r = ydoc_strv(d, v, name, &sv, &cnt)) != 0)
		return r;
	if (sv == NULL)
		return 0;
	if (cnt == 0) {
		ydoc_strv_free(sv);
		return ydoc_fail(d, v, "setting '%s': an empty list matches "
		    "nothing (leave it out to match any rule)", name);
	}
	if ((ids = calloc(cnt, sizeof(*ids))) == NULL) {
		ydoc_strv_free(sv);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		errno = 0;
		l = strtoull(sv[i], &end, 10);
		if (sv[i][0] < '0' || sv[i][0] > '9' || *end != '\0' ||
		    errno != 0 || l > UINT32_MAX) {
			e = ydoc_is_list(v) ? ydoc_node(d,
			    v->data.sequence.items.start[i]) : v;
			r = ydoc_fail(d, e, "setting '%s[%zu]': expected a "
			    "rule id (a whole number), got '%.40s'", name, i,
			    sv[i]);
			free(ids);
			ydoc_strv_free(sv);
			return r;
		}
		ids[i] = (uint32_t)l;
	}
	ydoc_strv_free(sv);
	*out = ids;
	*n = cnt;
	return 0;
}

static int
auto_entry(struct ydoc *d, yaml_node_t *m, const char *name,
    struct respond_auto *a)
{
	static const char *const keys[] = {
		"rules", "groups", "min_level", "for", "field",
	};
	char kname[400];
	yaml_node_t *v;
	int r;

	a->min_level = -1;
	a->duration_ns = -1;
	a->line = ydoc_line(m);
	if ((r = ydoc_check_map(d, m, name, keys, NELEM(keys))) != 0)
		return r;
	snprintf(kname, sizeof(kname), "%s.rules", name);
	if ((r = rule_ids(d, ydoc_get(d, m, "rules"), kname, &a->rules,
	    &a->nrules)) != 0)
		return r;
	snprintf(kname, sizeof(kname), "%s.groups", name);
	v = ydoc_get(d, m, "groups");
	if ((r = ydoc_strv(d, v, kname, &a->groups, &a->ngroups)) != 0)
		return r;
	if (a->groups != NULL && a->ngroups == 0)
		return ydoc_fail(d, v, "setting '%s': an empty list matches "
		    "nothing (leave it out to match any group)", kname);
	snprintf(kname, sizeof(kname), "%s.min_level", name);
	if ((r = ydoc_int(d, ydoc_get(d, m, "min_level"), kname, 0, 16,
	    &a->min_level)) != 0)
		return r;
	snprintf(kname, sizeof(kname), "%s.for", name);
	v = ydoc_get(d, m, "for");
	if (v != NULL) {
		a->duration_ns = 0;
		if ((r = duration(d, v, kname, &a->duration_ns)) != 0)
			return r;
	}
	snprintf(kname, sizeof(kname), "%s.field", name);
	v = ydoc_get(d, m, "field");
	if ((r = ydoc_str(d, v, kname, &a->field)) != 0)
		return r;
	if (a->field == NULL) {
		if ((a->field = strdup("srcip")) == NULL)
			return MAMORI_ENOMEM;
	} else if (strcmp(a->field, "srcip") != 0 &&
	    strcmp(a->field, "dstip") != 0)
		return ydoc_fail(d, v, "setting '%s': expected srcip or "
		    "dstip, got '%.40s'", kname, a->field);
	if (a->rules == NULL && a->groups == NULL && a->min_level < 0)
		return ydoc_fail(d, m, "setting '%s': give at least one of "
		    "rules, groups or min_level (an entry without any would "
		    "block on every alert)", name);
	return 0;
}

static int
auto_list(struct ydoc *d, yaml_node_t *v, const char *name,
    struct respond_auto **out, size_t *n)
{
	struct respond_auto *a;
	char ename[320];
	size_t cnt, i;
	int r;

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if (!ydoc_is_list(v))
		return ydoc_fail(d, v, "setting '%s': expected a list of "
		    "mappings (- rules: [...]), got %s", name,
		    ydoc_kind(v));
	cnt = (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start);
	if ((a = calloc(cnt + 1, sizeof(*a))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < cnt; i++) {
		snprintf(ename, sizeof(ename), "%s[%zu]", name, i);
		if ((r = auto_entry(d, ydoc_node(d,
		    v->data.sequence.items.start[i]), ename, &a[i])) != 0) {
			autos_free(a, i + 1);
			return r;
		}
	}
	*out = a;
	*n = cnt;
	return 0;
}

/* nftables identifiers as mamori accepts them: a letter or '_', then
 * letters, digits and '_', at most 32.  They go into command text. */
static int
table_name_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 32 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

int
respond_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct respond_conf *c)
{
	static const char *const keys[] = {
		"dry_run", "table", "allowlist", "internal_networks",
		"block_internal", "default_duration", "max_duration",
		"auto_block", "auto_block_max",
	};
	struct respond_addr *allow = NULL, *internal = NULL;
	struct respond_auto *autos = NULL;
	size_t nallow = 0, ninternal = 0, nautos = 0, i;
	yaml_node_t *v_allow, *v_int, *v_auto, *v, *vdef, *vmax;
	int dry_run = c->dry_run, block_internal = c->block_internal;
	int auto_max = c->auto_max, r;
	int64_t def = c->default_duration_ns, max = c->max_duration_ns;
	char *table = NULL, kname[128], a[32], b[32];

#define KEY(k)	(snprintf(kname, sizeof(kname), "%s.%s", name, (k)), kname)
	if (node == NULL || ydoc_is_null(node))
		return 0;
	if ((r = ydoc_check_map(d, node, name, keys, NELEM(keys))) != 0)
		return r;
	if ((r = ydoc_bool(d, ydoc_get(d, node, "dry_run"), KEY("dry_run"),
	    &dry_run)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, node, "block_internal"),
	    KEY("block_internal"), &block_internal)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "auto_block_max"),
	    KEY("auto_block_max"), 0, 1000000, &auto_max)) != 0)
		goto fail;
	v = ydoc_get(d, node, "table");
	if ((r = ydoc_str(d, v, KEY("table"), &table)) != 0)
		goto fail;
	if (table != NULL && !table_name_ok(table)) {
		r = ydoc_fail(d, v, "setting '%s': expected an nftables table "
		    "name (letters, digits and _, at most 32), got '%.40s'",
		    KEY("table"), table);
		goto fail;
	}
	vdef = ydoc_get(d, node, "default_duration");
	vmax = ydoc_get(d, node, "max_duration");
	if ((r = duration(d, vdef, KEY("default_duration"), &def)) != 0 ||
	    (r = duration(d, vmax, KEY("max_duration"), &max)) != 0)
		goto fail;
	v_allow = ydoc_get(d, node, "allowlist");
	v_int = ydoc_get(d, node, "internal_networks");
	v_auto = ydoc_get(d, node, "auto_block");
	if ((r = addr_list(d, v_allow, KEY("allowlist"), &allow,
	    &nallow)) != 0 ||
	    (r = addr_list(d, v_int, KEY("internal_networks"), &internal,
	    &ninternal)) != 0 ||
	    (r = auto_list(d, v_auto, KEY("auto_block"), &autos,
	    &nautos)) != 0)
		goto fail;
	if (max > 0 && (def == 0 || def > max)) {
		r = ydoc_fail(d, vdef != NULL ? vdef : vmax, "setting '%s': "
		    "%s is longer than %s.max_duration (%s)",
		    KEY("default_duration"), def == 0 ? "0 (until "
		    "unblocked)" : respond_duration_format(def, a, sizeof(a)),
		    name, respond_duration_format(max, b, sizeof(b)));
		goto fail;
	}
	for (i = 0; max > 0 && i < nautos; i++)
		if (autos[i].duration_ns == 0 ||
		    autos[i].duration_ns > max) {
			snprintf(kname, sizeof(kname), "%s.auto_block[%zu].for",
			    name, i);
			r = ydoc_fail(d, ydoc_get(d, ydoc_node(d,
			    v_auto->data.sequence.items.start[i]), "for"),
			    "setting '%s': %s is longer than %s.max_duration "
			    "(%s)", kname, autos[i].duration_ns == 0 ? "0 "
			    "(until unblocked)" : respond_duration_format(
			    autos[i].duration_ns, a, sizeof(a)), name,
			    respond_duration_format(max, b, sizeof(b)));
			goto fail;
		}
#undef KEY

	/* All valid: move it in. */
	c->dry_run = dry_run;
	c->block_internal = block_internal;
	c->auto_max = auto_max;
	c->default_duration_ns = def;
	c->max_duration_ns = max;
	if (table != NULL) {
		free(c->table);
		c->table = table;
	}
	if (v_allow != NULL) {
		free(c->allowlist);
		c->allowlist = allow;
		c->nallowlist = nallow;
	}
	if (v_int != NULL) {
		free(c->internal);
		c->internal = internal;
		c->ninternal = ninternal;
	}
	if (v_auto != NULL) {
		autos_free(c->autos, c->nautos);
		c->autos = autos;
		c->nautos = nautos;
	}
	return 0;
 fail:
	free(table);
	free(allow);
	free(internal);
	autos_free(autos, nautos);
	return r;
}
