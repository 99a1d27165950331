/*
 * web-conf.c - the web: section of the configuration.
 *
 *   web:
 *     session_ttl: 8h            # a login lasts this long
 *     login_max_failures: 5      # per user and per address ...
 *     login_window: 15m          # ... within this window, then 429
 *     threads: 4                 # request threads per listener
 *     max_connections: 256       # per listener
 *     max_connections_per_address: 64
 *     connection_timeout: 60s    # an idle connection is closed
 *     event_streams: 64          # live-update streams at once
 *     event_queue: 256           # events a slow stream may fall behind
 *     host_silent_after: 1h      # the overview calls a host silent
 *     password_hashes: 2         # argon2id hashes computed at once
 *     secure_cookies: auto       # auto (under https), true, false
 *
 * The listeners themselves are http:// and https:// URLs in listeners:.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "web/web.h"

int
web_conf_new(struct web_conf **out)
{
	struct web_conf *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MAMORI_ENOMEM;
	c->session_ttl_ns = 8 * 3600 * NS_PER_SEC;
	c->login_max_failures = 5;
	c->login_window_ns = 15 * 60 * NS_PER_SEC;
	c->threads = 4;
	c->max_connections = 256;
	c->max_per_address = 64;
	c->timeout_ns = 60 * NS_PER_SEC;
	c->sse_clients = 64;
	c->sse_queue = 256;
	c->silent_after_ns = 3600 * NS_PER_SEC;
	c->hash_concurrency = 2;
	c->secure_cookies = -1;
	*out = c;
	return 0;
}

void
web_conf_free(struct web_conf *c)
{
	free(c);
}

/* A duration between lo and hi (ns). */
static int
duration(struct ydoc *d, yaml_node_t *map, const char *key, const char *name,
    int64_t lo, int64_t hi, const char *range, int64_t *out)
{
	yaml_node_t *v = ydoc_get(d, map, key);
	char full[96];
	int64_t ns = *out;
	int r;

	snprintf(full, sizeof(full), "%s.%s", name, key);
	if (v == NULL)
		return 0;
	if ((r = ydoc_duration(d, v, full, &ns)) != 0)
		return r;
	if (ns < lo || ns > hi)
		return ydoc_fail(d, v, "setting '%s': must be between %s",
		    full, range);
	*out = ns;
	return 0;
}

static int
number(struct ydoc *d, yaml_node_t *map, const char *key, const char *name,
    long lo, long hi, int *out)
{
	char full[96];

	snprintf(full, sizeof(full), "%s.%s", name, key);
	return ydoc_int(d, ydoc_get(d, map, key), full, lo, hi, out);
}

int
web_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct web_conf *c)
{
	static const char *const keys[] = {
		"session_ttl", "login_max_failures", "login_window", "threads",
		"max_connections", "max_connections_per_address",
		"connection_timeout", "event_streams", "event_queue",
		"host_silent_after", "password_hashes", "secure_cookies",
	};
	struct web_conf n = *c;
	yaml_node_t *v;
	char full[96];
	int r, fails = (int)n.login_max_failures;
	int maxc = (int)n.max_connections, per = (int)n.max_per_address;
	int streams = (int)n.sse_clients, queue = (int)n.sse_queue;

	if ((r = ydoc_check_map(d, node, name, keys,
	    sizeof(keys) / sizeof(keys[0]))) != 0)
		return r;
	/* Filled aside and copied in whole: nothing half-applied. */
	if ((r = duration(d, node, "session_ttl", name, NS_PER_SEC,
	    366 * 86400 * NS_PER_SEC, "1s and 366d", &n.session_ttl_ns)) != 0 ||
	    (r = duration(d, node, "login_window", name, NS_PER_SEC,
	    86400 * NS_PER_SEC, "1s and 1d", &n.login_window_ns)) != 0 ||
	    (r = duration(d, node, "connection_timeout", name, 5 * NS_PER_SEC,
	    3600 * NS_PER_SEC, "5s and 1h", &n.timeout_ns)) != 0 ||
	    (r = duration(d, node, "host_silent_after", name, 60 * NS_PER_SEC,
	    366 * 86400 * NS_PER_SEC, "1m and 366d",
	    &n.silent_after_ns)) != 0 ||
	    (r = number(d, node, "login_max_failures", name, 1, 1000,
	    &fails)) != 0 ||
	    (r = number(d, node, "threads", name, 1, 64, &n.threads)) != 0 ||
	    (r = number(d, node, "max_connections", name, 4, 65536,
	    &maxc)) != 0 ||
	    (r = number(d, node, "max_connections_per_address", name, 1,
	    65536, &per)) != 0 ||
	    (r = number(d, node, "event_streams", name, 0, 4096,
	    &streams)) != 0 ||
	    (r = number(d, node, "event_queue", name, 16, 65536,
	    &queue)) != 0 ||
	    (r = number(d, node, "password_hashes", name, 1, 64,
	    &n.hash_concurrency)) != 0)
		return r;
	if ((v = ydoc_get(d, node, "secure_cookies")) != NULL) {
		snprintf(full, sizeof(full), "%s.secure_cookies", name);
		if (v->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)v->data.scalar.value, "auto") == 0)
			n.secure_cookies = -1;
		else if ((r = ydoc_bool(d, v, full, &n.secure_cookies)) != 0)
			return ydoc_fail(d, v, "setting '%s': expected auto, "
			    "true or false", full);
	}
	n.login_max_failures = (unsigned)fails;
	n.max_connections = (unsigned)maxc;
	n.max_per_address = (unsigned)per;
	n.sse_clients = (unsigned)streams;
	n.sse_queue = (unsigned)queue;
	*c = n;
	return 0;
}
