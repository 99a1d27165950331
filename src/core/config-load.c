/*
 * config-load.c - reading mamori's YAML configuration file (libyaml's
 * document API) over the settings already in a struct config.
 *
 * The file is small and read at start-up, so clarity wins over speed: it is
 * read whole into memory, loaded as one YAML document, and walked against a
 * table of known settings.  Every node keeps the line it started on, so each
 * error names FILE:LINE and the setting.  Loading fills a deep copy of the
 * configuration that replaces the caller's only once the whole file has
 * been accepted, so nothing is ever half-applied.
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "core/config.h"
#include "core/config-impl.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "incident/incmgr.h"
#include "incident/notify.h"
#include "respond/respond.h"
#include "net/net-conf.h"
#include "web/web.h"
#include "server/agents.h"

#define CONFIG_MAX_FILE		(1024 * 1024)	/* no real config is larger */
#define CONFIG_MAX_LISTENERS	1024

/* How a setting's text becomes a value, and the type of its field. */
enum kind {
	K_STRING,	/* char *, must not be empty */
	K_PATH,		/* char *, empty or null unsets it */
	K_SIZE,		/* size_t, from "64KiB" */
	K_SIZE64,	/* uint64_t, from "64KiB" */
	K_COUNT,	/* size_t, a plain whole number */
	K_INT,		/* int, a plain whole number */
	K_DURATION,	/* int64_t ns, from "60s" */
	K_ZONE,		/* tz_local and tz_min of struct config */
	K_VERIFY,	/* enum tls_verify */
};

/*
 * One known setting.  Fields of the "tls" section are offsets into struct
 * tls_conf, so the same entries serve the top-level tls: section and each
 * listener's tls: override; all others are offsets into struct config.
 */
struct setting {
	const char	*section;
	const char	*key;
	enum kind	 kind;
	size_t		 off;
	uint64_t	 min, max;	/* sizes, counts, ints; durations in ns */
	const char	*what;		/* "a size such as 64MiB" */
};

#define CF(f)		offsetof(struct config, f)
#define TF(f)		offsetof(struct tls_conf, f)
#define WHAT_SIZE	"a size such as 64MiB"
#define WHAT_DUR	"a duration such as 60s"
#define WHAT_NUM	"a whole number"
#define WHAT_PATH	"a file path"

static const struct setting settings[] = {
	{ "server", "data_dir", K_STRING, CF(data_dir), 0, 0,
	    "a directory path" },
	{ "server", "user", K_STRING, CF(user), 0, 0, "a user name" },
	{ "server", "stats_interval", K_DURATION, CF(stats_interval_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "input", "max_message_size", K_SIZE, CF(max_message),
	    KIB, 16 * MIB, WHAT_SIZE },
	{ "input", "timezone", K_ZONE, 0, 0, 0,
	    "local, UTC or an offset such as +09:00" },
	{ "input", "clock_skew_threshold", K_DURATION, CF(skew_threshold_ns),
	    NS_PER_MS, INT64_MAX, WHAT_DUR },
	{ "input", "clock_skew_window", K_DURATION, CF(skew_window_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "input", "clock_report_interval", K_DURATION, CF(skew_report_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "pipeline", "queue_size", K_COUNT, CF(queue_events),
	    16, 16 * 1024 * 1024, WHAT_NUM },
	{ "pipeline", "queue_memory", K_SIZE, CF(queue_bytes),
	    KIB, SIZE_MAX, WHAT_SIZE },
	{ "pipeline", "workers", K_INT, CF(workers), 1, 64, WHAT_NUM },
	{ "storage", "segment_size", K_SIZE64, CF(segment_bytes),
	    4 * KIB, TIB, WHAT_SIZE },
	{ "storage", "segment_max_age", K_DURATION, CF(segment_age_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "storage", "retention", K_DURATION, CF(retention_ns),
	    NS_PER_SEC, INT64_MAX, WHAT_DUR },
	{ "storage", "retention_size", K_SIZE64, CF(retention_bytes),
	    0, UINT64_MAX, WHAT_SIZE },
	{ "storage", "fsync_interval", K_DURATION, CF(fsync_interval_ns),
	    0, INT64_MAX, WHAT_DUR },
	{ "storage", "compression_level", K_INT, CF(zstd_level), 1, 19,
	    WHAT_NUM },
	{ "storage", "seal_key", K_STRING, CF(seal_key), 0, 0, WHAT_PATH },
	{ "rules", "enabled", K_INT, CF(rules_enabled), 0, 1, "0 or 1" },
	{ "rules", "path", K_PATH, CF(rules_path), 0, 0,
	    "a rule file, directory or ossec.conf" },
	{ "tls", "cert", K_PATH, TF(cert), 0, 0, WHAT_PATH },
	{ "tls", "key", K_PATH, TF(key), 0, 0, WHAT_PATH },
	{ "tls", "ca", K_PATH, TF(ca), 0, 0, WHAT_PATH },
	{ "tls", "verify_client", K_VERIFY, TF(verify_client), 0, 0,
	    "none, optional or required" },
};
#define NSETTINGS	(sizeof(settings) / sizeof(settings[0]))
/* A listener's tls: override records the settings it gives as bits. */
_Static_assert(NSETTINGS <= 32, "settings do not fit an unsigned mask");

static const char *const sections[] = {
	"server", "listeners", "input", "pipeline", "storage", "tls", "rules",
	"incidents", "notify", "respond", "sensor", "web", "agents",
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

static const char *const listener_keys[] = { "url", "tls" };

/* State of one config_load(). */
struct config_load_ctx {
	const char	*path;
	yaml_document_t	*doc;
	struct config	*c;		/* the copy being filled */
	size_t		 lines[NSETTINGS]; /* line each setting was set on */
	size_t		 listeners_line;
	unsigned	*tls_set;	/* per listener: bit i = settings[i]
					   given in its tls: override */
	char		*err;
	size_t		 errlen;
};

static int
find_setting(const char *section, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) == 0 &&
		    strlen(settings[i].key) == klen &&
		    memcmp(settings[i].key, key, klen) == 0)
			return (int)i;
	return -1;
}

size_t
config_setting_line(const struct config_load_ctx *x, const char *section,
    const char *key)
{
	int i;

	if (x == NULL || (i = find_setting(section, key, strlen(key))) < 0)
		return 0;
	return x->lines[i];
}

size_t
config_listeners_line(const struct config_load_ctx *x)
{
	return x != NULL ? x->listeners_line : 0;
}

static int
fail(struct config_load_ctx *x, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct config_load_ctx *x, size_t line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_seterr(x->err, x->errlen, "%s:%zu: %s", x->path, line, msg);
	return MAMORI_ECONFIG;
}

static size_t
node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:		return "a mapping";
	case YAML_SEQUENCE_NODE:	return "a list";
	default:			return "a value";
	}
}

static yaml_node_t *
node_at(struct config_load_ctx *x, int id)
{
	return yaml_document_get_node(x->doc, id);
}

/* A plain empty, "~" or "null" scalar: a key given with no value. */
static int
node_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return len == 0 || (len == 1 && v[0] == '~') || (len == 4 &&
	    (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 ||
	    memcmp(v, "NULL", 4) == 0));
}

static int
key_is(const yaml_node_t *k, const char *name)
{
	return k->data.scalar.length == strlen(name) &&
	    memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

/*
 * Checks the key of pair in mapping map: a scalar, not given before in the
 * same mapping.  Sets name to prefix + key, for messages.
 */
static int
check_key(struct config_load_ctx *x, yaml_node_t *map, yaml_node_pair_t *pair,
    const char *prefix, char *name, size_t namelen)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *o;
	char shown[256];

	k = node_at(x, pair->key);
	if (k->type != YAML_SCALAR_NODE) {
		if (*prefix == '\0')
			return fail(x, node_line(k), "expected a section "
			    "name, got %s", node_kind(k));
		return fail(x, node_line(k), "expected a setting name in "
		    "'%.*s', got %s", (int)strlen(prefix) - 1, prefix,
		    node_kind(k));
	}
	snprintf(name, namelen, "%s%s", prefix,
	    config_show((const char *)k->data.scalar.value,
	    k->data.scalar.length, shown, sizeof(shown)));
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		o = node_at(x, p->key);
		if (o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == k->data.scalar.length &&
		    memcmp(o->data.scalar.value, k->data.scalar.value,
		    k->data.scalar.length) == 0)
			return fail(x, node_line(k), "setting '%s': duplicate "
			    "key (first given on line %zu)", name,
			    node_line(o));
	}
	return 0;
}

/* The value text of scalar v as a C string, or an error naming name. */
static int
scalar_text(struct config_load_ctx *x, yaml_node_t *v, const char *name,
    const char *what, char **out)
{
	size_t len;

	*out = NULL;
	if (v->type != YAML_SCALAR_NODE)
		return fail(x, node_line(v), "setting '%s': expected %s, "
		    "got %s", name, what, node_kind(v));
	len = node_is_null(v) ? 0 : v->data.scalar.length;
	if (memchr(v->data.scalar.value, '\0', len) != NULL)
		return fail(x, node_line(v), "setting '%s': expected %s, "
		    "got a value with a NUL byte", name, what);
	if ((*out = strndup((const char *)v->data.scalar.value, len)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static int
range_fail(struct config_load_ctx *x, yaml_node_t *v, const char *name,
    const char *lo, const char *hi, int has_max, const char *text)
{
	char shown[256];

	config_show(text, strlen(text), shown, sizeof(shown));
	if (has_max)
		return fail(x, node_line(v), "setting '%s': must be between "
		    "%s and %s, got '%s'", name, lo, hi, shown);
	return fail(x, node_line(v), "setting '%s': must be at least %s, "
	    "got '%s'", name, lo, shown);
}

/* Parses v by s->kind and stores it in the field at base + s->off. */
static int
apply_setting(struct config_load_ctx *x, const struct setting *s, void *base,
    const char *name, yaml_node_t *v)
{
	char *field = (char *)base + s->off, *text, shown[256], lo[32], hi[32];
	uint64_t u;
	int64_t d;
	int r, local, minutes;

	if ((r = scalar_text(x, v, name, s->what, &text)) != 0)
		return r;
	config_show(text, strlen(text), shown, sizeof(shown));
	if (*text == '\0' && s->kind != K_PATH) {
		r = fail(x, node_line(v), "setting '%s': expected %s, got "
		    "nothing", name, s->what);
		goto out;
	}
	switch (s->kind) {
	case K_STRING:
	case K_PATH:
		free(*(char **)field);
		*(char **)field = NULL;
		if (*text != '\0') {
			*(char **)field = text;
			text = NULL;
		}
		break;
	case K_SIZE:
	case K_SIZE64:
	case K_COUNT:
	case K_INT:
		r = s->kind == K_SIZE || s->kind == K_SIZE64 ?
		    config_size_parse(text, &u) : config_parse_uint(text, &u);
		if (r == MAMORI_EINVAL) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		if (r == MAMORI_ETOOBIG && s->max == UINT64_MAX) {
			r = fail(x, node_line(v), "setting '%s': '%s' is too "
			    "large", name, shown);
			goto out;
		}
		if (r == MAMORI_ETOOBIG || u < s->min || u > s->max) {
			if (s->kind == K_SIZE || s->kind == K_SIZE64) {
				config_fmt_size(s->min, lo, sizeof(lo));
				config_fmt_size(s->max, hi, sizeof(hi));
			} else {
				snprintf(lo, sizeof(lo), "%llu",
				    (unsigned long long)s->min);
				snprintf(hi, sizeof(hi), "%llu",
				    (unsigned long long)s->max);
			}
			r = range_fail(x, v, name, lo, hi,
			    s->max != UINT64_MAX && s->max != SIZE_MAX, text);
			goto out;
		}
		if (s->kind == K_SIZE64)
			*(uint64_t *)field = u;
		else if (s->kind == K_INT)
			*(int *)field = (int)u;
		else
			*(size_t *)field = (size_t)u;
		break;
	case K_DURATION:
		if ((r = config_duration_parse(text, &d)) == MAMORI_ETOOBIG) {
			r = fail(x, node_line(v), "setting '%s': '%s' is too "
			    "large (the limit is 15250w, about 292 years)",
			    name, shown);
			goto out;
		}
		if (r != 0) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		if ((uint64_t)d < s->min) {
			r = range_fail(x, v, name,
			    config_fmt_duration((int64_t)s->min, lo,
			    sizeof(lo)), NULL, 0, text);
			goto out;
		}
		*(int64_t *)field = d;
		break;
	case K_ZONE:
		if (config_parse_zone(text, &local, &minutes) != 0) {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		((struct config *)base)->tz_local = local;
		((struct config *)base)->tz_min = minutes;
		break;
	case K_VERIFY:
		if (strcmp(text, "none") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_NONE;
		else if (strcmp(text, "optional") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_OPTIONAL;
		else if (strcmp(text, "required") == 0)
			*(enum tls_verify *)field = TLS_VERIFY_REQUIRED;
		else {
			r = fail(x, node_line(v), "setting '%s': expected %s, "
			    "got '%s'", name, s->what, shown);
			goto out;
		}
		break;
	}
	r = 0;
 out:
	free(text);
	return r;
}

/* "unknown setting 'a.b'", with the nearest known name when close. */
static int
unknown_setting(struct config_load_ctx *x, yaml_node_t *k, const char *section,
    const char *prefix, const char *name)
{
	const char *cand[NSETTINGS], *hint;
	const char *key = (const char *)k->data.scalar.value;
	size_t i, n = 0, klen = k->data.scalar.length;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) == 0)
			cand[n++] = settings[i].key;
	if ((hint = ydoc_nearest(key, klen, cand, n)) != NULL)
		return fail(x, node_line(k), "unknown setting '%s' (did you "
		    "mean '%s%s'?)", name, prefix, hint);
	/* The right key in the wrong section: "storage.workers". */
	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].section, section) != 0 &&
		    strlen(settings[i].key) == klen &&
		    memcmp(settings[i].key, key, klen) == 0)
			return fail(x, node_line(k), "unknown setting '%s' "
			    "(did you mean '%s.%s'?)", name,
			    settings[i].section, settings[i].key);
	return fail(x, node_line(k), "unknown setting '%s'", name);
}

/*
 * Applies the settings in mapping v to base, for section (whose entries
 * live in the table), naming them prefix + key.  *set, when given,
 * collects a bit per setting given.
 */
static int
load_map(struct config_load_ctx *x, yaml_node_t *v, const char *section,
    const char *prefix, void *base, unsigned *set)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;
	char name[512];
	int i, r;

	if (node_is_null(v))
		return 0;		/* "server:" with every line commented */
	if (v->type != YAML_MAPPING_NODE)
		return fail(x, node_line(v), "setting '%.*s': expected a "
		    "mapping of settings, got %s", (int)strlen(prefix) - 1,
		    prefix, node_kind(v));
	for (pair = v->data.mapping.pairs.start;
	    pair < v->data.mapping.pairs.top; pair++) {
		if ((r = check_key(x, v, pair, prefix, name,
		    sizeof(name))) != 0)
			return r;
		k = node_at(x, pair->key);
		i = find_setting(section, (const char *)k->data.scalar.value,
		    k->data.scalar.length);
		if (i < 0)
			return unknown_setting(x, k, section, prefix, name);
		if ((r = apply_setting(x, &settings[i], base, name,
		    node_at(x, pair->value))) != 0)
			return r;
		if (set != NULL)
			*set |= 1u << i;
		else
			x->lines[i] = node_line(k);
	}
	return 0;
}

/* One entry of listeners:, either "- tcp://..." or "- url: ...". */
static int
load_listener(struct config_load_ctx *x, yaml_node_t *item, size_t idx,
    struct listener_conf *l, unsigned *tls_set)
{
	struct listener_conf parsed;
	yaml_node_pair_t *pair;
	yaml_node_t *k, *urlnode = NULL, *tlsnode = NULL;
	char prefix[64], name[512], why[256], *text;
	const char *hint;
	int r;

	snprintf(prefix, sizeof(prefix), "listeners[%zu].", idx);
	if (item->type == YAML_SCALAR_NODE) {
		urlnode = item;
		snprintf(name, sizeof(name), "listeners[%zu]", idx);
	} else if (item->type == YAML_MAPPING_NODE) {
		for (pair = item->data.mapping.pairs.start;
		    pair < item->data.mapping.pairs.top; pair++) {
			if ((r = check_key(x, item, pair, prefix, name,
			    sizeof(name))) != 0)
				return r;
			k = node_at(x, pair->key);
			if (key_is(k, "url"))
				urlnode = node_at(x, pair->value);
			else if (key_is(k, "tls"))
				tlsnode = node_at(x, pair->value);
			else if ((hint = ydoc_nearest(
			    (const char *)k->data.scalar.value,
			    k->data.scalar.length, listener_keys, 2)) != NULL)
				return fail(x, node_line(k), "unknown setting "
				    "'%s' (did you mean '%s%s'?)", name, prefix,
				    hint);
			else
				return fail(x, node_line(k), "unknown setting "
				    "'%s'", name);
		}
		if (urlnode == NULL)
			return fail(x, node_line(item), "setting "
			    "'listeners[%zu]': missing 'url'", idx);
		snprintf(name, sizeof(name), "%surl", prefix);
	} else
		return fail(x, node_line(item), "setting 'listeners[%zu]': "
		    "expected a listener URL or a mapping with url:, got %s",
		    idx, node_kind(item));

	if ((r = scalar_text(x, urlnode, name, "a listener URL such as "
	    "tcp://127.0.0.1:5514", &text)) != 0)
		return r;
	r = config_parse_listen(text, &parsed, why, sizeof(why));
	free(text);
	if (r == MAMORI_EINVAL)
		return fail(x, node_line(urlnode), "setting '%s': %s", name,
		    why);
	if (r != 0)
		return r;
	*l = parsed;
	l->line = (int)node_line(item);
	if (tlsnode == NULL)
		return 0;
	if (!config_listener_uses_tls(l))
		return fail(x, node_line(tlsnode), "setting '%stls': only "
		    "tls://, relp+tls:// and https:// listeners use TLS",
		    prefix);
	snprintf(name, sizeof(name), "%stls.", prefix);
	return load_map(x, tlsnode, "tls", name, &l->tls, tls_set);
}

static int
load_listeners(struct config_load_ctx *x, yaml_node_t *v)
{
	struct config *c = x->c;
	struct listener_conf *ls;
	yaml_node_item_t *item;
	size_t i, n;
	int r;

	x->listeners_line = node_line(v);
	if (node_is_null(v))
		return fail(x, node_line(v), "setting 'listeners': expected a "
		    "list of listeners, got nothing (remove the key to keep "
		    "the defaults)");
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(x, node_line(v), "setting 'listeners': expected a "
		    "list of listeners, got %s", node_kind(v));
	n = (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start);
	if (n > CONFIG_MAX_LISTENERS)
		return fail(x, node_line(v), "setting 'listeners': more than "
		    "%d listeners", CONFIG_MAX_LISTENERS);
	ls = n > 0 ? calloc(n, sizeof(*ls)) : NULL;
	free(x->tls_set);
	x->tls_set = n > 0 ? calloc(n, sizeof(*x->tls_set)) : NULL;
	if (n > 0 && (ls == NULL || x->tls_set == NULL)) {
		free(ls);
		return MAMORI_ENOMEM;
	}
	/* c owns them from here, so an error below frees them with c. */
	config_listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 0;
	for (i = 0, item = v->data.sequence.items.start; i < n; i++, item++)
		if ((r = load_listener(x, node_at(x, *item), i, &ls[i],
		    &x->tls_set[i])) != 0)
			return r;
	return 0;
}

/* A section its module reads (through yamldoc.h). */
static int
load_module(struct config_load_ctx *x, const char *section, yaml_node_t *v)
{
	struct ydoc d;

	ydoc_wrap(&d, x->path, x->doc, x->err, x->errlen);
	if (ydoc_is_null(v))
		return 0;
	if (strcmp(section, "incidents") == 0)
		return incident_conf_parse(&d, v, section, x->c->incidents);
	if (strcmp(section, "respond") == 0)
		return respond_conf_parse(&d, v, section, x->c->respond);
	if (strcmp(section, "sensor") == 0)
		return net_sensor_conf_parse(&d, v, section, x->c->sensor);
	if (strcmp(section, "web") == 0)
		return web_conf_parse(&d, v, section, x->c->web);
	if (strcmp(section, "agents") == 0)
		return agents_conf_parse(&d, v, section, x->c->agents);
	notify_plan_free(x->c->notify);
	x->c->notify = NULL;
	return notify_plan_parse(&d, v, section, &x->c->notify);
}

static int
load_root(struct config_load_ctx *x, yaml_node_t *root)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k, *v;
	char name[512], prefix[64];
	const char *hint;
	size_t i;
	int r;

	if (root == NULL || node_is_null(root))
		return 0;		/* an empty file: the defaults */
	if (root->type != YAML_MAPPING_NODE)
		return fail(x, node_line(root), "expected a mapping of "
		    "sections (server:, listeners:, input:, pipeline:, "
		    "storage:, tls:, rules:, incidents:, notify:, respond:, "
		    "sensor:, web:, agents:), "
		    "got %s", node_kind(root));
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		if ((r = check_key(x, root, pair, "", name,
		    sizeof(name))) != 0)
			return r;
		k = node_at(x, pair->key);
		v = node_at(x, pair->value);
		for (i = 0; i < NSECTIONS; i++)
			if (key_is(k, sections[i]))
				break;
		if (i == NSECTIONS) {
			hint = ydoc_nearest((const char *)k->data.scalar.value,
			    k->data.scalar.length, sections, NSECTIONS);
			if (hint != NULL)
				return fail(x, node_line(k), "unknown section "
				    "'%s' (did you mean '%s'?)", name, hint);
			return fail(x, node_line(k), "unknown section '%s'",
			    name);
		}
		if (strcmp(sections[i], "listeners") == 0) {
			r = load_listeners(x, v);
		} else if (strcmp(sections[i], "incidents") == 0 ||
		    strcmp(sections[i], "notify") == 0 ||
		    strcmp(sections[i], "respond") == 0 ||
		    strcmp(sections[i], "sensor") == 0 ||
		    strcmp(sections[i], "web") == 0 ||
		    strcmp(sections[i], "agents") == 0) {
			r = load_module(x, sections[i], v);
		} else {
			snprintf(prefix, sizeof(prefix), "%s.", sections[i]);
			r = load_map(x, v, sections[i], prefix,
			    strcmp(sections[i], "tls") == 0 ?
			    (void *)&x->c->tls : (void *)x->c, NULL);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

/* After the whole file: settings that depend on others, then checks. */
static int
load_finish(struct config_load_ctx *x)
{
	struct config *c = x->c;
	struct listener_conf *l;
	unsigned set;
	size_t i;
	int r, icert, ikey, ica, iverify;

	if (c->listeners_default)
		return (r = config_set_default_listeners(c)) != 0 ? r :
		    config_check_settings(c, x, x->err, x->errlen);
	/* Listeners from this file take what their tls: override left
	 * unset from the tls: section, wherever in the file that was. */
	icert = find_setting("tls", "cert", strlen("cert"));
	ikey = find_setting("tls", "key", strlen("key"));
	ica = find_setting("tls", "ca", strlen("ca"));
	iverify = find_setting("tls", "verify_client",
	    strlen("verify_client"));
	assert(icert >= 0 && ikey >= 0 && ica >= 0 && iverify >= 0);
	for (i = 0; x->tls_set != NULL && i < c->nlisteners; i++) {
		l = &c->listeners[i];
		set = x->tls_set[i];
		if (!config_listener_uses_tls(l))
			continue;
		if ((!(set & (1u << icert)) &&
		    config_dup_opt(&l->tls.cert, c->tls.cert) != 0) ||
		    (!(set & (1u << ikey)) &&
		    config_dup_opt(&l->tls.key, c->tls.key) != 0) ||
		    (!(set & (1u << ica)) &&
		    config_dup_opt(&l->tls.ca, c->tls.ca) != 0))
			return MAMORI_ENOMEM;
		if (!(set & (1u << iverify)))
			l->tls.verify_client = c->tls.verify_client;
	}
	return config_check_settings(c, x, x->err, x->errlen);
}

static int
yaml_fail(struct config_load_ctx *x, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t i, line = 1;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		config_seterr(x->err, x->errlen, "%s: out of memory", x->path);
		return MAMORI_ENOMEM;
	case YAML_READER_ERROR:
		/* The reader reports a byte offset, not a mark. */
		for (i = 0; i < p->problem_offset && i < len; i++)
			line += buf[i] == '\n';
		if (p->problem_value != -1)
			return fail(x, line, "YAML syntax error: %s (byte "
			    "0x%02x)", problem, p->problem_value & 0xff);
		return fail(x, line, "YAML syntax error: %s", problem);
	default:
		/* libyaml's "cannot start any token" hides the usual cause. */
		if (p->problem_mark.index < len &&
		    buf[p->problem_mark.index] == '\t')
			return fail(x, p->problem_mark.line + 1, "YAML syntax "
			    "error: %s (a tab: YAML indents with spaces only)",
			    problem);
		if (p->context != NULL)
			return fail(x, p->problem_mark.line + 1, "YAML syntax "
			    "error: %s (%s on line %zu)", problem, p->context,
			    p->context_mark.line + 1);
		return fail(x, p->problem_mark.line + 1, "YAML syntax "
		    "error: %s", problem);
	}
}

/* Reads path whole; MAMORI_ESYS with errno kept when it cannot. */
static int
read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	int rc, e;

	if ((rc = file_read_all(path, CONFIG_MAX_FILE, bufp, lenp)) == 0)
		return 0;
	if (rc == MAMORI_ETOOBIG) {
		config_seterr(err, errlen, "%s: larger than %d bytes; not a "
		    "configuration file", path, CONFIG_MAX_FILE);
		return MAMORI_ECONFIG;
	}
	if (rc == MAMORI_ESYS) {
		e = errno;
		config_seterr(err, errlen, "%s: cannot read: %s", path,
		    strerror(e));
		errno = e;
	}
	return rc;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	struct config tmp;
	struct config_load_ctx x;
	yaml_parser_t parser;
	yaml_document_t doc, next;
	yaml_node_t *extra;
	char *buf;
	size_t len;
	int r;

	config_seterr(err, errlen, "%s", "");
	if ((r = read_file(path, &buf, &len, err, errlen)) != 0)
		return r;
	if ((r = config_copy(&tmp, c)) != 0) {
		free(buf);
		return r;
	}
	memset(&x, 0, sizeof(x));
	x.path = path;
	x.c = &tmp;
	x.err = err;
	x.errlen = errlen;
	free(tmp.path);
	if ((tmp.path = strdup(path)) == NULL ||
	    !yaml_parser_initialize(&parser)) {
		config_release(&tmp);
		free(buf);
		return MAMORI_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		r = yaml_fail(&x, &parser, buf, len);
		goto out;
	}
	x.doc = &doc;
	r = load_root(&x, yaml_document_get_root_node(&doc));
	if (r == 0) {
		/* A second document would be silently ignored otherwise. */
		if (!yaml_parser_load(&parser, &next))
			r = yaml_fail(&x, &parser, buf, len);
		else {
			if ((extra = yaml_document_get_root_node(&next)) !=
			    NULL)
				r = fail(&x, node_line(extra), "only one YAML "
				    "document is allowed");
			yaml_document_delete(&next);
		}
	}
	if (r == 0)
		r = load_finish(&x);
	yaml_document_delete(&doc);
 out:
	yaml_parser_delete(&parser);
	free(x.tls_set);
	free(buf);
	if (r != 0) {
		config_release(&tmp);
		return r;
	}
	config_release(c);
	*c = tmp;
	return 0;
}
