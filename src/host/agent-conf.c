/*
 * agent-conf.c - the agent's settings: sections agent: and logs: of the
 * agent file (host_conf_load() hands each over), with the defaults, and
 * the command line's additions.
 *
 *   agent:
 *     name: web1                  # default: the host name
 *     server: logs.example.org:2514
 *     transport: relp             # relp | relp+tls | tls | tcp
 *     state_dir: /var/lib/mamori-agent
 *     heartbeat: 60s
 *     key_file: /etc/mamori/agent.key
 *     tls: { ca: ..., cert: ..., key: ..., server_name: ... }
 *     queue: { max_size: 256MiB, fsync: 1s }
 *     reconnect: { min: 1s, max: 60s }
 *     timeout: 30s
 *     confirm: 10s
 *     drain: 5s
 *     relp_window: 128
 *     facility: authpriv
 *   logs:
 *     start: end                  # end | beginning
 *     poll: 1s
 *     rotate_grace: 10s
 *     max_line: 32KiB
 *     files:
 *       - path: /var/log/auth.log
 *         tag: sshd               # optional
 *         facility: auth
 *         severity: notice
 *         format: auto            # auto | syslog | plain
 *         hostname: agent         # agent | line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/error.h"
#include "core/event.h"
#include "core/yamldoc.h"
#include "host/agent.h"
#include "host/host.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const transports[] = { "relp", "relp+tls", "tls", "tcp" };
static const char *const default_ports[] = { "2514", "2514", "6514", "5514" };

int
agent_transport_parse(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(transports); i++)
		if (strcmp(s, transports[i]) == 0)
			return (int)i;
	return -1;
}

const char *
agent_transport_name(int t)
{
	return t >= 0 && (size_t)t < NELEM(transports) ? transports[t] : "?";
}

int
agent_conf_init(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->transport = AGENT_RELP;
	c->heartbeat_ns = 60 * 1000000000LL;
	c->queue_max = 256ull << 20;
	c->fsync_ns = 1000000000LL;
	c->reconnect_min_ns = 1000000000LL;
	c->reconnect_max_ns = 60 * 1000000000LL;
	c->timeout_ns = 30 * 1000000000LL;
	c->confirm_ns = 10 * 1000000000LL;
	c->drain_ns = 5 * 1000000000LL;
	c->relp_window = 128;
	c->facility = 10;
	c->start = AGENT_START_END;
	c->poll_ns = 1000000000LL;
	c->rotate_grace_ns = 10 * 1000000000LL;
	c->max_line = 32u << 10;
	if ((c->state_dir = strdup("/var/lib/mamori-agent")) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static void
log_release(struct agent_log_conf *l)
{
	free(l->path);
	free(l->tag);
}

void
agent_conf_release(struct agent_conf *c)
{
	size_t i;

	free(c->name);
	free(c->server);
	free(c->state_dir);
	free(c->key_file);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_server_name);
	for (i = 0; i < c->nlogs; i++)
		log_release(&c->logs[i]);
	free(c->logs);
	memset(c, 0, sizeof(*c));
}

static void
log_defaults(struct agent_log_conf *l)
{
	memset(l, 0, sizeof(*l));
	l->facility = 1;
	l->severity = 5;
	l->format = AGENT_FMT_AUTO;
}

int
agent_conf_add_log(struct agent_conf *c, const char *path)
{
	struct agent_log_conf *v;

	if ((v = realloc(c->logs, (c->nlogs + 1) * sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	c->logs = v;
	log_defaults(&v[c->nlogs]);
	if ((v[c->nlogs].path = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	c->nlogs++;
	return 0;
}

/* A scalar's text for messages: printable, at most 60 bytes. */
static const char *
shown(const yaml_node_t *v, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < v->data.scalar.length && o + 4 < len && i < 60; i++) {
		unsigned char ch = v->data.scalar.value[i];

		buf[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[o] = '\0';
	return buf;
}

static int
read_size(struct ydoc *d, yaml_node_t *v, const char *name, uint64_t min,
    uint64_t *out)
{
	char *s = NULL, b[80];
	uint64_t n;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	r = config_parse_size(s, &n);
	free(s);
	if (r != 0 || n < min)
		return ydoc_fail(d, v, "setting '%s': expected a size of at "
		    "least %llu bytes such as 64KiB or 256MiB, got '%s'", name,
		    (unsigned long long)min, shown(v, b, sizeof(b)));
	*out = n;
	return 0;
}

static int
read_duration(struct ydoc *d, yaml_node_t *v, const char *name,
    int64_t min_ns, int64_t *out)
{
	int64_t ns = *out;
	char b[80];
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_duration(d, v, name, &ns)) != 0)
		return r;
	if (ns < min_ns)
		return ydoc_fail(d, v, "setting '%s': at least %lld ms, got "
		    "'%s'", name, (long long)(min_ns / 1000000),
		    shown(v, b, sizeof(b)));
	*out = ns;
	return 0;
}

static int
read_facility(struct ydoc *d, yaml_node_t *v, const char *name, int *out)
{
	char *s = NULL, b[80], *end;
	long n;
	int i, r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	for (i = 0; i < 24; i++)
		if (strcmp(s, event_facility_name(i)) == 0) {
			free(s);
			*out = i;
			return 0;
		}
	n = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && n >= 0 && n < 24) {
		free(s);
		*out = (int)n;
		return 0;
	}
	free(s);
	return ydoc_fail(d, v, "setting '%s': expected a facility (kern, "
	    "user, mail, daemon, auth, syslog, authpriv, local0..local7 ...) "
	    "or 0..23, got '%s'", name, shown(v, b, sizeof(b)));
}

static int
read_severity(struct ydoc *d, yaml_node_t *v, const char *name, int *out)
{
	char *s = NULL, b[80];
	int r, sev;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	sev = event_severity_parse(s);
	free(s);
	if (sev < 0)
		return ydoc_fail(d, v, "setting '%s': expected a severity "
		    "(emerg alert crit err warning notice info debug) or 0..7, "
		    "got '%s'", name, shown(v, b, sizeof(b)));
	*out = sev;
	return 0;
}

/* One of words[0..n) into *out (its index). */
static int
read_word(struct ydoc *d, yaml_node_t *v, const char *name,
    const char *const *words, size_t n, int *out)
{
	char *s = NULL, b[80], list[200];
	size_t i, o = 0;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0) {
			free(s);
			*out = (int)i;
			return 0;
		}
	free(s);
	list[0] = '\0';
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    i ? ", " : "", words[i]);
	return ydoc_fail(d, v, "setting '%s': expected one of %s, got '%s'",
	    name, list, shown(v, b, sizeof(b)));
}

/* A path setting: absolute. */
static int
read_path(struct ydoc *d, yaml_node_t *v, const char *name, char **out)
{
	char *s = NULL;
	int r;

	if (v == NULL)
		return 0;
	if ((r = ydoc_str(d, v, name, &s)) != 0)
		return r;
	if (s[0] != '/') {
		free(s);
		return ydoc_fail(d, v, "setting '%s': expected an absolute "
		    "path", name);
	}
	free(*out);
	*out = s;
	return 0;
}

int
agent_conf_parse_agent(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf)
{
	static const char *const keys[] = { "name", "server", "transport",
	    "state_dir", "heartbeat", "key_file", "tls", "queue", "reconnect",
	    "timeout", "confirm", "drain", "relp_window", "facility" };
	static const char *const tls_keys[] = { "ca", "cert", "key",
	    "server_name" };
	static const char *const queue_keys[] = { "max_size", "fsync" };
	static const char *const rc_keys[] = { "min", "max" };
	struct agent_conf *c = conf;
	yaml_node_t *v;
	char *tr = NULL, b[80];
	int r;

	if ((r = ydoc_check_map(d, node, name, keys, NELEM(keys))) != 0)
		return r;
	if ((r = ydoc_str(d, ydoc_get(d, node, "name"), "agent.name",
	    &c->name)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "server"), "agent.server",
	    &c->server)) != 0 ||
	    (r = read_path(d, ydoc_get(d, node, "state_dir"),
	    "agent.state_dir", &c->state_dir)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "heartbeat"),
	    "agent.heartbeat", 1000000000LL, &c->heartbeat_ns)) != 0 ||
	    (r = read_path(d, ydoc_get(d, node, "key_file"),
	    "agent.key_file", &c->key_file)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "timeout"),
	    "agent.timeout", 100000000LL, &c->timeout_ns)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "confirm"),
	    "agent.confirm", 10000000LL, &c->confirm_ns)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "drain"),
	    "agent.drain", 0, &c->drain_ns)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "relp_window"),
	    "agent.relp_window", 1, 1024, &c->relp_window)) != 0 ||
	    (r = read_facility(d, ydoc_get(d, node, "facility"),
	    "agent.facility", &c->facility)) != 0)
		return r;
	if (c->name != NULL && (c->name[0] == '\0' ||
	    strlen(c->name) > 255 || strpbrk(c->name, " \t\"]\\") != NULL))
		return ydoc_fail(d, ydoc_get(d, node, "name"), "setting "
		    "'agent.name': 1 to 255 characters without spaces, quotes, "
		    "']' or '\\'");
	if ((v = ydoc_get(d, node, "transport")) != NULL) {
		if ((r = ydoc_str(d, v, "agent.transport", &tr)) != 0)
			return r;
		r = agent_transport_parse(tr);
		free(tr);
		if (r < 0)
			return ydoc_fail(d, v, "setting 'agent.transport': "
			    "expected relp, relp+tls, tls or tcp, got '%s'",
			    shown(v, b, sizeof(b)));
		c->transport = r;
	}
	if ((v = ydoc_get(d, node, "tls")) != NULL) {
		if ((r = ydoc_check_map(d, v, "agent.tls", tls_keys,
		    NELEM(tls_keys))) != 0 ||
		    (r = read_path(d, ydoc_get(d, v, "ca"), "agent.tls.ca",
		    &c->tls_ca)) != 0 ||
		    (r = read_path(d, ydoc_get(d, v, "cert"),
		    "agent.tls.cert", &c->tls_cert)) != 0 ||
		    (r = read_path(d, ydoc_get(d, v, "key"), "agent.tls.key",
		    &c->tls_key)) != 0 ||
		    (r = ydoc_str(d, ydoc_get(d, v, "server_name"),
		    "agent.tls.server_name", &c->tls_server_name)) != 0)
			return r;
		if ((c->tls_cert == NULL) != (c->tls_key == NULL))
			return ydoc_fail(d, v, "setting 'agent.tls': cert and "
			    "key go together");
	}
	if ((v = ydoc_get(d, node, "queue")) != NULL &&
	    ((r = ydoc_check_map(d, v, "agent.queue", queue_keys,
	    NELEM(queue_keys))) != 0 ||
	    (r = read_size(d, ydoc_get(d, v, "max_size"),
	    "agent.queue.max_size", 1u << 20, &c->queue_max)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, v, "fsync"), "agent.queue.fsync",
	    0, &c->fsync_ns)) != 0))
		return r;
	if ((v = ydoc_get(d, node, "reconnect")) != NULL) {
		if ((r = ydoc_check_map(d, v, "agent.reconnect", rc_keys,
		    NELEM(rc_keys))) != 0 ||
		    (r = read_duration(d, ydoc_get(d, v, "min"),
		    "agent.reconnect.min", 10000000LL,
		    &c->reconnect_min_ns)) != 0 ||
		    (r = read_duration(d, ydoc_get(d, v, "max"),
		    "agent.reconnect.max", 10000000LL,
		    &c->reconnect_max_ns)) != 0)
			return r;
		if (c->reconnect_max_ns < c->reconnect_min_ns)
			return ydoc_fail(d, v, "setting 'agent.reconnect': max "
			    "is less than min");
	}
	return 0;
}

static int
parse_file(struct ydoc *d, yaml_node_t *v, const char *name,
    struct agent_log_conf *l)
{
	static const char *const keys[] = { "path", "tag", "facility",
	    "severity", "format", "hostname" };
	static const char *const formats[] = { "auto", "syslog", "plain" };
	static const char *const hosts[] = { "agent", "line" };
	char n[96];
	int r;

	log_defaults(l);
	l->line = (int)ydoc_line(v);
	if (v->type == YAML_SCALAR_NODE)	/* "- /var/log/x.log" */
		return read_path(d, v, name, &l->path);
	if ((r = ydoc_check_map(d, v, name, keys, NELEM(keys))) != 0)
		return r;
#define SUB(k)	(snprintf(n, sizeof(n), "%s.%s", name, k), n)
	if ((r = read_path(d, ydoc_get(d, v, "path"), SUB("path"),
	    &l->path)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, v, "tag"), SUB("tag"),
	    &l->tag)) != 0 ||
	    (r = read_facility(d, ydoc_get(d, v, "facility"), SUB("facility"),
	    &l->facility)) != 0 ||
	    (r = read_severity(d, ydoc_get(d, v, "severity"), SUB("severity"),
	    &l->severity)) != 0 ||
	    (r = read_word(d, ydoc_get(d, v, "format"), SUB("format"),
	    formats, NELEM(formats), &l->format)) != 0 ||
	    (r = read_word(d, ydoc_get(d, v, "hostname"), SUB("hostname"),
	    hosts, NELEM(hosts), &l->host_from_line)) != 0)
		return r;
#undef SUB
	if (l->path == NULL)
		return ydoc_fail(d, v, "setting '%s': no path", name);
	if (l->tag != NULL && (l->tag[0] == '\0' || strlen(l->tag) > 48 ||
	    strpbrk(l->tag, " \t\r\n") != NULL))
		return ydoc_fail(d, ydoc_get(d, v, "tag"), "setting '%s.tag': "
		    "1 to 48 characters without spaces (an RFC 5424 APP-NAME)",
		    name);
	return 0;
}

int
agent_conf_parse_logs(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf)
{
	static const char *const keys[] = { "start", "poll", "rotate_grace",
	    "max_line", "files" };
	static const char *const starts[] = { "end", "beginning" };
	struct agent_conf *c = conf;
	struct agent_log_conf *logs = NULL;
	yaml_node_item_t *it;
	yaml_node_t *v, *f;
	uint64_t ml = c->max_line;
	size_t n = 0, i, j;
	char item[64];
	int r;

	if ((r = ydoc_check_map(d, node, name, keys, NELEM(keys))) != 0 ||
	    (r = read_word(d, ydoc_get(d, node, "start"), "logs.start",
	    starts, NELEM(starts), &c->start)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "poll"), "logs.poll",
	    10000000LL, &c->poll_ns)) != 0 ||
	    (r = read_duration(d, ydoc_get(d, node, "rotate_grace"),
	    "logs.rotate_grace", 0, &c->rotate_grace_ns)) != 0 ||
	    (r = read_size(d, ydoc_get(d, node, "max_line"), "logs.max_line",
	    256, &ml)) != 0)
		return r;
	if (ml > (1u << 20))
		return ydoc_fail(d, ydoc_get(d, node, "max_line"), "setting "
		    "'logs.max_line': at most 1MiB");
	c->max_line = (size_t)ml;
	if ((v = ydoc_get(d, node, "files")) == NULL)
		return 0;
	if (!ydoc_is_list(v))
		return ydoc_fail(d, v, "setting 'logs.files': expected a list "
		    "of files, got %s", ydoc_kind(v));
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++)
		n++;
	if (n > 0 && (logs = calloc(n, sizeof(*logs))) == NULL)
		return MAMORI_ENOMEM;
	i = 0;
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, i++) {
		f = ydoc_node(d, *it);
		snprintf(item, sizeof(item), "logs.files[%zu]", i);
		if ((r = parse_file(d, f, item, &logs[i])) != 0)
			goto fail;
		for (j = 0; j < i; j++)
			if (strcmp(logs[j].path, logs[i].path) == 0) {
				r = ydoc_fail(d, f, "setting '%s': %s is "
				    "already listed (line %d)", item,
				    logs[i].path, logs[j].line);
				goto fail;
			}
	}
	for (j = 0; j < c->nlogs; j++)
		log_release(&c->logs[j]);
	free(c->logs);
	c->logs = logs;
	c->nlogs = n;
	return 0;
 fail:
	for (j = 0; j < n; j++)
		log_release(&logs[j]);
	free(logs);
	return r;
}

int
agent_conf_load(struct agent_conf *c, const char *path, char *err,
    size_t errlen)
{
	struct agent_conf t;
	int r;

	if ((r = agent_conf_init(&t)) != 0)
		return r;
	if ((r = host_conf_load(path, "agent", agent_conf_parse_agent, &t,
	    err, errlen)) != 0 ||
	    (r = host_conf_load(path, "logs", agent_conf_parse_logs, &t, err,
	    errlen)) != 0) {
		agent_conf_release(&t);
		return r;
	}
	agent_conf_release(c);
	*c = t;
	return 0;
}

int
agent_conf_server(const struct agent_conf *c, char *host, size_t hostlen,
    char *port, size_t portlen, char *err, size_t errlen)
{
	const char *s = c->server, *colon, *h;
	size_t hl;
	char *end;
	long p;

	if (s == NULL || *s == '\0') {
		mamori_seterr(err, errlen, "no server given (--server HOST:PORT "
		    "or agent.server)");
		return MAMORI_EINVAL;
	}
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':'))
			goto bad;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			goto bad;	/* a bare IPv6 address: brackets */
		h = s;
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= hostlen)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (colon == NULL) {
		snprintf(port, portlen, "%s", default_ports[c->transport]);
		return 0;
	}
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535)
		goto bad;
	snprintf(port, portlen, "%ld", p);
	return 0;
 bad:
	mamori_seterr(err, errlen, "server '%s': expected HOST:PORT, "
	    "NAME:PORT or [IPV6]:PORT", s);
	return MAMORI_EINVAL;
}

int
agent_conf_check(const struct agent_conf *c, char *err, size_t errlen)
{
	char host[300], port[16];
	size_t i;
	int r;

	if ((r = agent_conf_server(c, host, sizeof(host), port, sizeof(port),
	    err, errlen)) != 0)
		return MAMORI_ECONFIG;
	if (c->state_dir == NULL || c->state_dir[0] == '\0') {
		mamori_seterr(err, errlen, "no state directory");
		return MAMORI_ECONFIG;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		mamori_seterr(err, errlen, "agent.tls: cert and key go "
		    "together");
		return MAMORI_ECONFIG;
	}
	if (c->transport == AGENT_TCP && c->tls_cert != NULL) {
		mamori_seterr(err, errlen, "agent.tls.cert is set but the "
		    "transport is tcp, which sends in clear; use tls or "
		    "relp+tls");
		return MAMORI_ECONFIG;
	}
	for (i = 0; i < c->nlogs; i++)
		if (c->logs[i].path == NULL || c->logs[i].path[0] != '/') {
			mamori_seterr(err, errlen, "log file '%s': expected an "
			    "absolute path", c->logs[i].path ?
			    c->logs[i].path : "");
			return MAMORI_ECONFIG;
		}
	return 0;
}
