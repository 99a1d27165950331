/*
 * audit-conf.c - the "audit" section of the agent's configuration file:
 *
 *   audit:
 *     root: /                    # prefix of every system path
 *     max_findings: 500          # per check
 *     listeners:
 *       allow: [tcp/22 sshd, "tcp/127.0.0.1:5514", udp/123]
 *     world_writable: {paths: [...], exclude: [...]}
 *     suid: {paths: [/], exclude: [...], allow: [...], allow_file: F,
 *            debian: true, network_filesystems: false}
 *     accounts: {shell_allow: [postgres]}
 *     promisc: true
 *     clock: true
 *     shares: {paths: [/srv/samba], exclude: [...]}
 *     sshd: {config: /etc/ssh/sshd_config}
 *     updates: {apt_get: apt-get, max_list_age: 7d}
 *     services: {not_needed: [xinetd, tftpd-hpa]}
 *
 * A check given as true or false is turned on or off; as a mapping, its
 * "enabled" key does that.  docs/audit.md has the defaults and reasons.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "host/host.h"
#include "host/audit.h"

static const char *const def_ww[] = {
	"/bin", "/sbin", "/usr", "/etc", "/lib", "/lib32", "/lib64",
	"/libx32", "/boot", "/opt", "/srv", "/var", "/root", NULL,
};

/* Container and snap images: their own files, checked inside them. */
static const char *const def_exclude[] = {
	"/var/lib/docker", "/var/lib/containers", "/var/lib/lxc",
	"/var/lib/lxd", "/var/lib/incus", "/var/lib/machines", "/snap",
	NULL,
};

static const char *const def_suid[] = { "/", NULL };
static const char *const def_shell_allow[] = { "postgres", NULL };

/* Cleartext and legacy services a current Debian host does not need. */
static const char *const def_services[] = {
	"inetd", "inetutils-inetd", "xinetd", "tftpd-hpa", "atftpd",
	"ypbind", "ypserv", NULL,
};

int
audit_conf_init(struct audit_conf *conf)
{
	int i;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < AUDIT_NCHECKS; i++)
		conf->enabled[i] = 1;
	conf->max_findings = 500;
	conf->schedule_ns = 24LL * 3600 * 1000000000LL;
	conf->suid_debian = 1;
	conf->list_max_age_ns = 7LL * 86400 * 1000000000LL;
	if ((conf->root = strdup("/")) == NULL ||
	    ydoc_strv_dup(&conf->ww_paths, def_ww) != 0 ||
	    ydoc_strv_dup(&conf->ww_exclude, def_exclude) != 0 ||
	    ydoc_strv_dup(&conf->suid_paths, def_suid) != 0 ||
	    ydoc_strv_dup(&conf->suid_exclude, def_exclude) != 0 ||
	    ydoc_strv_dup(&conf->shell_allow, def_shell_allow) != 0 ||
	    (conf->sshd_config = strdup("/etc/ssh/sshd_config")) == NULL ||
	    (conf->apt_get = strdup("apt-get")) == NULL ||
	    ydoc_strv_dup(&conf->services, def_services) != 0) {
		audit_conf_release(conf);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
audit_conf_release(struct audit_conf *conf)
{
	size_t i;

	free(conf->root);
	for (i = 0; i < conf->nlisten; i++)
		free(conf->listen[i].program);
	free(conf->listen);
	ydoc_strv_free(conf->ww_paths);
	ydoc_strv_free(conf->ww_exclude);
	ydoc_strv_free(conf->suid_paths);
	ydoc_strv_free(conf->suid_exclude);
	ydoc_strv_free(conf->suid_allow);
	free(conf->suid_allow_file);
	ydoc_strv_free(conf->shell_allow);
	ydoc_strv_free(conf->share_paths);
	ydoc_strv_free(conf->share_exclude);
	free(conf->sshd_config);
	free(conf->apt_get);
	ydoc_strv_free(conf->services);
	memset(conf, 0, sizeof(*conf));
}

/* A list of absolute paths (or patterns). */

static int
abs_path(struct ydoc *d, yaml_node_t *v, const char *name, char **out)
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

static int
listeners(struct ydoc *d, yaml_node_t *v, struct audit_conf *c)
{
	struct audit_listen *l;
	yaml_node_t *e;
	char *s, err[256];
	size_t n, i;
	int r;

	if (v == NULL)
		return 0;
	if (v->type == YAML_MAPPING_NODE)
		return ydoc_fail(d, v, "setting 'audit.listeners.allow': "
		    "expected a list such as [tcp/22 sshd, udp/123], got a "
		    "mapping");
	n = v->type == YAML_SEQUENCE_NODE ? (size_t)(v->data.sequence.items.top -
	    v->data.sequence.items.start) : 1;
	if ((l = calloc(n + 1, sizeof(*l))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		e = v->type == YAML_SEQUENCE_NODE ?
		    ydoc_node(d, v->data.sequence.items.start[i]) : v;
		s = NULL;
		if (ydoc_is_null(e))
			r = ydoc_fail(d, e, "setting 'audit.listeners.allow[%zu]':"
			    " empty entry", i);
		else if ((r = ydoc_str(d, e, "audit.listeners.allow", &s)) ==
		    0 && (r = audit_listen_parse(s, &l[i], err,
		    sizeof(err))) != 0 && r != MAMORI_ENOMEM)
			r = ydoc_fail(d, e, "setting 'audit.listeners.allow[%zu]'"
			    ": '%s': %s", i, s, err);
		free(s);
		if (r != 0) {
			while (i-- > 0)
				free(l[i].program);
			free(l);
			return r;
		}
	}
	for (i = 0; i < c->nlisten; i++)
		free(c->listen[i].program);
	free(c->listen);
	c->listen = l;
	c->nlisten = n;
	c->listen_declared = 1;
	return 0;
}


static int
parse_into(struct ydoc *d, yaml_node_t *node, struct audit_conf *c)
{
	static const char *const top[] = {
		"root", "max_findings", "schedule", "listeners",
		"world_writable", "suid", "accounts", "promisc", "clock",
		"shares", "sshd", "updates", "services",
	};
	static const char *const k_listen[] = { "allow" };
	static const char *const k_paths[] = { "paths", "exclude" };
	static const char *const k_suid[] = { "paths", "exclude", "allow",
	    "allow_file", "debian", "network_filesystems" };
	static const char *const k_acct[] = { "shell_allow" };
	static const char *const k_sshd[] = { "config" };
	static const char *const k_upd[] = { "apt_get", "max_list_age" };
	static const char *const k_svc[] = { "not_needed" };
	yaml_node_t *m;
	int r, max = -1, fd;

	if ((r = ydoc_check_map(d, node, "audit", top,
	    sizeof(top) / sizeof(top[0]))) != 0)
		return r;
	if ((r = abs_path(d, ydoc_get(d, node, "root"), "audit.root",
	    &c->root)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "max_findings"),
	    "audit.max_findings", 0, 1000000, &max)) != 0 ||
	    (r = ydoc_duration(d, ydoc_get(d, node, "schedule"),
	    "audit.schedule", &c->schedule_ns)) != 0)
		return r;
	if (max >= 0)
		c->max_findings = (size_t)max;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "listeners"),
	    "audit.listeners", k_listen, 1, &c->enabled[AUDIT_LISTENERS],
	    &m)) != 0)
		return r;
	if (m != NULL && (r = listeners(d, ydoc_get(d, m, "allow"), c)) != 0)
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "world_writable"),
	    "audit.world_writable", k_paths, 2,
	    &c->enabled[AUDIT_WORLD_WRITABLE], &m)) != 0)
		return r;
	if (m != NULL && ((r = host_conf_paths(d, ydoc_get(d, m, "paths"),
	    "audit.world_writable.paths", &c->ww_paths)) != 0 ||
	    (r = host_conf_paths(d, ydoc_get(d, m, "exclude"),
	    "audit.world_writable.exclude", &c->ww_exclude)) != 0))
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "suid"), "audit.suid",
	    k_suid, 6, &c->enabled[AUDIT_SUID], &m)) != 0)
		return r;
	if (m != NULL && ((r = host_conf_paths(d, ydoc_get(d, m, "paths"),
	    "audit.suid.paths", &c->suid_paths)) != 0 ||
	    (r = host_conf_paths(d, ydoc_get(d, m, "exclude"), "audit.suid.exclude",
	    &c->suid_exclude)) != 0 ||
	    (r = host_conf_paths(d, ydoc_get(d, m, "allow"), "audit.suid.allow",
	    &c->suid_allow)) != 0 ||
	    (r = abs_path(d, ydoc_get(d, m, "allow_file"),
	    "audit.suid.allow_file", &c->suid_allow_file)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, m, "debian"), "audit.suid.debian",
	    &c->suid_debian)) != 0 ||
	    (r = ydoc_bool(d, ydoc_get(d, m, "network_filesystems"),
	    "audit.suid.network_filesystems", &c->suid_network)) != 0))
		return r;
	if (c->suid_allow_file != NULL &&
	    (fd = open(c->suid_allow_file, O_RDONLY | O_CLOEXEC)) < 0)
		return ydoc_fail(d, ydoc_get(d, m, "allow_file"), "setting "
		    "'audit.suid.allow_file': cannot read %s: %s",
		    c->suid_allow_file, strerror(errno));
	else if (c->suid_allow_file != NULL)
		close(fd);

	if ((r = host_conf_switch(d, ydoc_get(d, node, "accounts"),
	    "audit.accounts", k_acct, 1, &c->enabled[AUDIT_ACCOUNTS],
	    &m)) != 0)
		return r;
	if (m != NULL && ydoc_get(d, m, "shell_allow") != NULL) {
		char **a = NULL;

		if ((r = ydoc_strv(d, ydoc_get(d, m, "shell_allow"),
		    "audit.accounts.shell_allow", &a, NULL)) != 0)
			return r;
		ydoc_strv_free(c->shell_allow);
		c->shell_allow = a;
	}

	if ((r = host_conf_switch(d, ydoc_get(d, node, "promisc"), "audit.promisc",
	    NULL, 0, &c->enabled[AUDIT_PROMISC], &m)) != 0 ||
	    (r = host_conf_switch(d, ydoc_get(d, node, "clock"), "audit.clock",
	    NULL, 0, &c->enabled[AUDIT_CLOCK], &m)) != 0)
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "shares"), "audit.shares",
	    k_paths, 2, &c->enabled[AUDIT_SHARES], &m)) != 0)
		return r;
	if (m != NULL && ((r = host_conf_paths(d, ydoc_get(d, m, "paths"),
	    "audit.shares.paths", &c->share_paths)) != 0 ||
	    (r = host_conf_paths(d, ydoc_get(d, m, "exclude"), "audit.shares.exclude",
	    &c->share_exclude)) != 0))
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "sshd"), "audit.sshd",
	    k_sshd, 1, &c->enabled[AUDIT_SSHD], &m)) != 0)
		return r;
	if (m != NULL && (r = abs_path(d, ydoc_get(d, m, "config"),
	    "audit.sshd.config", &c->sshd_config)) != 0)
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "updates"), "audit.updates",
	    k_upd, 2, &c->enabled[AUDIT_UPDATES], &m)) != 0)
		return r;
	if (m != NULL && ((r = ydoc_str(d, ydoc_get(d, m, "apt_get"),
	    "audit.updates.apt_get", &c->apt_get)) != 0 ||
	    (r = ydoc_duration(d, ydoc_get(d, m, "max_list_age"),
	    "audit.updates.max_list_age", &c->list_max_age_ns)) != 0))
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "services"),
	    "audit.services", k_svc, 1, &c->enabled[AUDIT_SERVICES],
	    &m)) != 0)
		return r;
	if (m != NULL && ydoc_get(d, m, "not_needed") != NULL) {
		char **a = NULL;

		if ((r = ydoc_strv(d, ydoc_get(d, m, "not_needed"),
		    "audit.services.not_needed", &a, NULL)) != 0)
			return r;
		ydoc_strv_free(c->services);
		c->services = a;
	}
	return 0;
}

int
audit_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf)
{
	struct audit_conf tmp;
	int r;

	(void)name;
	if ((r = audit_conf_init(&tmp)) != 0)
		return r;
	if ((r = parse_into(d, node, &tmp)) != 0) {
		audit_conf_release(&tmp);
		return r;
	}
	audit_conf_release(conf);
	*(struct audit_conf *)conf = tmp;
	return 0;
}
