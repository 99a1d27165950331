/*
 * net-conf.c - the sensor: section of the server's configuration: which
 * interfaces the server captures on, with which filter, signatures and
 * flow settings, and the detectors' thresholds (sensor.detect, parsed by
 * net-detect.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "net/net-conf.h"
#include "net/net-detect.h"
#include "net/net-sig.h"

int
net_sensor_conf_new(struct net_sensor_conf **out)
{
	struct net_sensor_conf *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MAMORI_ENOMEM;
	c->signatures = 1;
	c->conn_log = 1;
	net_flow_conf_init(&c->flows);
	if (net_detect_conf_new(&c->detect) != 0 ||
	    (c->vars = net_sig_vars_new()) == NULL) {
		net_detect_conf_free(c->detect);
		free(c);
		return MAMORI_ENOMEM;
	}
	*out = c;
	return 0;
}

static void
ifaces_free(struct net_sensor_iface *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].bpf);
	}
	free(v);
}

void
net_sensor_conf_free(struct net_sensor_conf *c)
{
	if (c == NULL)
		return;
	ifaces_free(c->ifaces, c->nifaces);
	free(c->bpf);
	free(c->signatures_path);
	free(c->hostname);
	net_sig_vars_free(c->vars);
	net_detect_conf_free(c->detect);
	free(c);
}

/* An interface name as the kernel allows it: 1..15 bytes, no '/', no
 * space, no ':'... (dev_valid_name()). */
static int
iface_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || (unsigned char)*s <= ' ' ||
		    *s == 0x7f)
			return 0;
	return 1;
}

/* interfaces: [eth0, {name: eth1, bpf: "not port 22"}] */
static int
parse_ifaces(struct ydoc *d, yaml_node_t *v, const char *name,
    struct net_sensor_iface **out, size_t *nout)
{
	static const char *const keys[] = { "name", "bpf" };
	struct net_sensor_iface *ifs;
	yaml_node_t *e;
	char n[200];
	size_t i = 0, j, cnt;
	int r = 0;

	if (v->type == YAML_SCALAR_NODE) {
		cnt = 1;
	} else if (ydoc_is_list(v)) {
		cnt = (size_t)(v->data.sequence.items.top -
		    v->data.sequence.items.start);
	} else {
		return ydoc_fail(d, v, "setting '%s': expected an interface "
		    "name or a list of them, got %s", name, ydoc_kind(v));
	}
	if ((ifs = calloc(cnt + 1, sizeof(*ifs))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < cnt && r == 0; i++) {
		snprintf(n, sizeof(n), "%s[%zu]", name, i);
		e = v->type == YAML_SCALAR_NODE ? v :
		    ydoc_node(d, v->data.sequence.items.start[i]);
		if (e->type == YAML_SCALAR_NODE) {
			r = ydoc_str(d, e, n, &ifs[i].name);
		} else if (ydoc_is_map(e)) {
			if ((r = ydoc_check_map(d, e, n, keys, 2)) != 0)
				break;
			r = ydoc_str(d, ydoc_get(d, e, "name"), n,
			    &ifs[i].name);
			if (r == 0)
				r = ydoc_str(d, ydoc_get(d, e, "bpf"), n,
				    &ifs[i].bpf);
		} else {
			r = ydoc_fail(d, e, "setting '%s': expected an "
			    "interface name or {name, bpf}, got %s", n,
			    ydoc_kind(e));
			break;
		}
		if (r != 0)
			break;
		if (ifs[i].name == NULL || !iface_name_ok(ifs[i].name)) {
			r = ydoc_fail(d, e, "setting '%s': '%s' is not an "
			    "interface name", n, ifs[i].name != NULL ?
			    ifs[i].name : "");
			break;
		}
		for (j = 0; j < i; j++)
			if (strcmp(ifs[j].name, ifs[i].name) == 0) {
				r = ydoc_fail(d, e, "setting '%s': interface "
				    "'%s' is listed twice", n, ifs[i].name);
				break;
			}
	}
	if (r != 0) {
		ifaces_free(ifs, cnt);
		return r;
	}
	*out = ifs;
	*nout = cnt;
	return 0;
}

static int
parse_flows(struct ydoc *d, yaml_node_t *v, const char *name,
    struct net_flow_conf *f)
{
	static const char *const keys[] = {
		"max_flows", "tcp_timeout", "tcp_embryonic_timeout",
		"tcp_closed_timeout", "udp_timeout", "icmp_timeout",
		"other_timeout",
	};
	static const struct { const char *k; size_t off; } durs[] = {
		{ "tcp_timeout", offsetof(struct net_flow_conf, tcp_timeout_ns) },
		{ "tcp_embryonic_timeout",
		    offsetof(struct net_flow_conf, tcp_embryonic_ns) },
		{ "tcp_closed_timeout",
		    offsetof(struct net_flow_conf, tcp_closed_ns) },
		{ "udp_timeout", offsetof(struct net_flow_conf, udp_timeout_ns) },
		{ "icmp_timeout",
		    offsetof(struct net_flow_conf, icmp_timeout_ns) },
		{ "other_timeout",
		    offsetof(struct net_flow_conf, other_timeout_ns) },
	};
	struct net_flow_conf nf = *f;
	char n[200];
	size_t i;
	int r, mx = (int)nf.max_flows;

	if ((r = ydoc_check_map(d, v, name, keys,
	    sizeof(keys) / sizeof(keys[0]))) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.max_flows", name);
	if ((r = ydoc_int(d, ydoc_get(d, v, "max_flows"), n, 1024,
	    100000000, &mx)) != 0)
		return r;
	nf.max_flows = (size_t)mx;
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		int64_t *p = (int64_t *)((char *)&nf + durs[i].off);
		yaml_node_t *e = ydoc_get(d, v, durs[i].k);

		snprintf(n, sizeof(n), "%s.%s", name, durs[i].k);
		if ((r = ydoc_duration(d, e, n, p)) != 0)
			return r;
		if (e != NULL && *p <= 0)
			return ydoc_fail(d, e, "setting '%s': must be more "
			    "than zero", n);
	}
	*f = nf;
	return 0;
}

/* vars: {HOME_NET: "[192.0.2.0/24]", HTTP_PORTS: "[80,8080]"} */
static int
parse_vars(struct ydoc *d, yaml_node_t *v, const char *name,
    struct net_sig_vars *vars)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *e;
	char n[300], *val, key[64];
	int r;

	if (!ydoc_is_map(v))
		return ydoc_fail(d, v, "setting '%s': expected a mapping of "
		    "variable names to values, got %s", name, ydoc_kind(v));
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	    p++) {
		k = ydoc_node(d, p->key);
		e = ydoc_node(d, p->value);
		if (k->type != YAML_SCALAR_NODE ||
		    k->data.scalar.length >= sizeof(key))
			return ydoc_fail(d, k, "setting '%s': expected a "
			    "variable name", name);
		memcpy(key, k->data.scalar.value, k->data.scalar.length);
		key[k->data.scalar.length] = '\0';
		snprintf(n, sizeof(n), "%s.%s", name, key);
		val = NULL;
		if (e->type == YAML_SEQUENCE_NODE)
			return ydoc_fail(d, e, "setting '%s': write the list "
			    "as the rules do, in one string: \"[a, b]\"", n);
		if ((r = ydoc_str(d, ydoc_is_null(e) ? NULL : e, n,
		    &val)) != 0)
			return r;
		if (val == NULL)
			return ydoc_fail(d, e, "setting '%s': empty value", n);
		r = net_sig_vars_set(vars, key, val);
		free(val);
		if (r == MAMORI_ENOMEM)
			return r;
		if (r != 0)
			return ydoc_fail(d, k, "setting '%s': a variable name "
			    "is letters, digits and '_' (no '$')", n);
	}
	return 0;
}

int
net_sensor_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct net_sensor_conf *c)
{
	static const char *const keys[] = {
		"enabled", "interfaces", "bpf", "signatures", "conn_log",
		"hostname", "vars", "flows", "detect",
	};
	struct net_sensor_conf *n = NULL;
	yaml_node_t *v;
	char sub[160];
	int r;

#define SUB(k) (snprintf(sub, sizeof(sub), "%s.%s", name, k), sub)
	if ((r = ydoc_check_map(d, node, name, keys,
	    sizeof(keys) / sizeof(keys[0]))) != 0)
		return r;
	/* Built aside and swapped in whole: nothing half-applied. */
	if ((r = net_sensor_conf_new(&n)) != 0)
		return r;
	n->enabled = -1;
	if ((r = ydoc_bool(d, ydoc_get(d, node, "enabled"), SUB("enabled"),
	    &n->enabled)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "bpf"), SUB("bpf"),
	    &n->bpf)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, node, "conn_log"), SUB("conn_log"),
	    &n->conn_log)) != 0 ||
	    (r = ydoc_str(d, ydoc_get(d, node, "hostname"), SUB("hostname"),
	    &n->hostname)) != 0)
		goto fail;
	if ((v = ydoc_get(d, node, "interfaces")) != NULL &&
	    (r = parse_ifaces(d, v, SUB("interfaces"), &n->ifaces,
	    &n->nifaces)) != 0)
		goto fail;
	/* signatures: true | false | a file or directory of rules */
	if ((v = ydoc_get(d, node, "signatures")) != NULL) {
		const char *t = v->type == YAML_SCALAR_NODE ?
		    (const char *)v->data.scalar.value : "";

		if (strcmp(t, "true") == 0 || strcmp(t, "false") == 0 ||
		    strcmp(t, "yes") == 0 || strcmp(t, "no") == 0)
			r = ydoc_bool(d, v, SUB("signatures"), &n->signatures);
		else
			r = ydoc_str(d, v, SUB("signatures"),
			    &n->signatures_path);
		if (r != 0)
			goto fail;
	}
	if (n->hostname != NULL && (n->hostname[0] == '\0' ||
	    strpbrk(n->hostname, " \t\r\n") != NULL)) {
		r = ydoc_fail(d, ydoc_get(d, node, "hostname"), "setting "
		    "'%s': a host name is one word", SUB("hostname"));
		goto fail;
	}
	if ((v = ydoc_get(d, node, "vars")) != NULL &&
	    (r = parse_vars(d, v, SUB("vars"), n->vars)) != 0)
		goto fail;
	if ((v = ydoc_get(d, node, "flows")) != NULL &&
	    (r = parse_flows(d, v, SUB("flows"), &n->flows)) != 0)
		goto fail;
	if ((v = ydoc_get(d, node, "detect")) != NULL &&
	    (r = net_detect_conf_parse(d, v, SUB("detect"), n->detect)) != 0)
		goto fail;
	if (n->enabled == -1)
		n->enabled = n->nifaces > 0;
	if (n->enabled && n->nifaces == 0) {
		r = ydoc_fail(d, node, "setting '%s': enabled, but no "
		    "interfaces are given", SUB("interfaces"));
		goto fail;
	}
#undef SUB
	/* Swap: c takes n's contents, n takes c's old ones to free. */
	{
		struct net_sensor_conf t = *c;

		*c = *n;
		*n = t;
	}
	net_sensor_conf_free(n);
	return 0;
 fail:
	net_sensor_conf_free(n);
	return r;
}
