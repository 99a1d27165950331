/*
 * rootcheck-conf.c - the "rootcheck" section of the agent's
 * configuration file:
 *
 *   rootcheck:
 *     root: /
 *     max_findings: 500
 *     rechecks: 3              # rounds a hidden PID, port or module
 *                              # must survive before it is reported
 *     processes: true
 *     ports: true
 *     modules: true
 *     rootkit_files: {list: /etc/mamori/rootkits.txt, ignore: [...]}
 *     tmp: {paths: [/tmp, /var/tmp, /dev/shm], ignore: [...]}
 *     dev: {allow: [/dev/.lxc-boot-id]}
 *
 * A check given as true or false is turned on or off; as a mapping, its
 * "enabled" key does that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "host/host.h"
#include "host/rootcheck.h"

static const char *const check_names[ROOTCHECK_NCHECKS] = {
	"processes", "ports", "modules", "rootkit_files", "tmp", "dev",
};

const char *
rootcheck_check_name(int check)
{
	return check >= 0 && check < ROOTCHECK_NCHECKS ? check_names[check] :
	    NULL;
}

int
rootcheck_check_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < ROOTCHECK_NCHECKS; i++)
		if (strlen(check_names[i]) == len &&
		    memcmp(check_names[i], name, len) == 0)
			return i;
	return -1;
}

static const char *const def_tmp[] = { "/tmp", "/var/tmp", "/dev/shm",
    NULL };
/* LXC writes its boot id there in every container. */
static const char *const def_dev_allow[] = { "/dev/.lxc-boot-id", NULL };

int
rootcheck_conf_init(struct rootcheck_conf *conf)
{
	int i;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < ROOTCHECK_NCHECKS; i++)
		conf->enabled[i] = 1;
	conf->max_findings = 500;
	conf->rechecks = 3;
	conf->schedule_ns = 12LL * 3600 * 1000000000LL;
	if ((conf->root = strdup("/")) == NULL ||
	    ydoc_strv_dup(&conf->tmp_paths, def_tmp) != 0 ||
	    ydoc_strv_dup(&conf->dev_allow, def_dev_allow) != 0) {
		rootcheck_conf_release(conf);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
rootcheck_conf_release(struct rootcheck_conf *conf)
{
	free(conf->root);
	free(conf->rootkit_list);
	if (conf->list != NULL) {
		rootcheck_list_release(conf->list);
		free(conf->list);
	}
	ydoc_strv_free(conf->rootkit_ignore);
	ydoc_strv_free(conf->tmp_paths);
	ydoc_strv_free(conf->tmp_ignore);
	ydoc_strv_free(conf->dev_allow);
	memset(conf, 0, sizeof(*conf));
}



static int
parse_into(struct ydoc *d, yaml_node_t *node, struct rootcheck_conf *c)
{
	static const char *const top[] = {
		"root", "max_findings", "rechecks", "schedule", "processes",
		"ports", "modules", "rootkit_files", "tmp", "dev",
	};
	static const char *const k_rk[] = { "list", "ignore" };
	static const char *const k_tmp[] = { "paths", "ignore" };
	static const char *const k_dev[] = { "allow" };
	yaml_node_t *m, *v;
	char *s = NULL, err[1024];
	int r, max = -1;

	if ((r = ydoc_check_map(d, node, "rootcheck", top,
	    sizeof(top) / sizeof(top[0]))) != 0)
		return r;
	if ((v = ydoc_get(d, node, "root")) != NULL) {
		if ((r = ydoc_str(d, v, "rootcheck.root", &s)) != 0)
			return r;
		if (s[0] != '/') {
			free(s);
			return ydoc_fail(d, v, "setting 'rootcheck.root': "
			    "expected an absolute path");
		}
		free(c->root);
		c->root = s;
	}
	if ((r = ydoc_int(d, ydoc_get(d, node, "max_findings"),
	    "rootcheck.max_findings", 0, 1000000, &max)) != 0 ||
	    (r = ydoc_int(d, ydoc_get(d, node, "rechecks"),
	    "rootcheck.rechecks", 1, 10, &c->rechecks)) != 0 ||
	    (r = ydoc_duration(d, ydoc_get(d, node, "schedule"),
	    "rootcheck.schedule", &c->schedule_ns)) != 0)
		return r;
	if (max >= 0)
		c->max_findings = (size_t)max;
	if ((r = host_conf_switch(d, ydoc_get(d, node, "processes"),
	    "rootcheck.processes", NULL, 0,
	    &c->enabled[ROOTCHECK_PROCESSES], &m)) != 0 ||
	    (r = host_conf_switch(d, ydoc_get(d, node, "ports"), "rootcheck.ports",
	    NULL, 0, &c->enabled[ROOTCHECK_PORTS], &m)) != 0 ||
	    (r = host_conf_switch(d, ydoc_get(d, node, "modules"),
	    "rootcheck.modules", NULL, 0, &c->enabled[ROOTCHECK_MODULES],
	    &m)) != 0)
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "rootkit_files"),
	    "rootcheck.rootkit_files", k_rk, 2,
	    &c->enabled[ROOTCHECK_ROOTKIT_FILES], &m)) != 0)
		return r;
	if (m != NULL && (r = host_conf_paths(d, ydoc_get(d, m, "ignore"),
	    "rootcheck.rootkit_files.ignore", &c->rootkit_ignore)) != 0)
		return r;
	if (m != NULL && (v = ydoc_get(d, m, "list")) != NULL) {
		struct rootcheck_list *l;

		s = NULL;
		if ((r = ydoc_str(d, v, "rootcheck.rootkit_files.list",
		    &s)) != 0)
			return r;
		if ((l = calloc(1, sizeof(*l))) == NULL) {
			free(s);
			return MAMORI_ENOMEM;
		}
		if ((r = rootcheck_list_load(l, s, err, sizeof(err))) != 0) {
			free(l);
			free(s);
			if (r == MAMORI_ENOMEM)
				return r;
			return ydoc_fail(d, v, "setting "
			    "'rootcheck.rootkit_files.list': %s", err);
		}
		free(c->rootkit_list);
		c->rootkit_list = s;
		if (c->list != NULL) {
			rootcheck_list_release(c->list);
			free(c->list);
		}
		c->list = l;
	}

	if ((r = host_conf_switch(d, ydoc_get(d, node, "tmp"), "rootcheck.tmp",
	    k_tmp, 2, &c->enabled[ROOTCHECK_TMP], &m)) != 0)
		return r;
	if (m != NULL && ((r = host_conf_paths(d, ydoc_get(d, m, "paths"),
	    "rootcheck.tmp.paths", &c->tmp_paths)) != 0 ||
	    (r = host_conf_paths(d, ydoc_get(d, m, "ignore"), "rootcheck.tmp.ignore",
	    &c->tmp_ignore)) != 0))
		return r;

	if ((r = host_conf_switch(d, ydoc_get(d, node, "dev"), "rootcheck.dev",
	    k_dev, 1, &c->enabled[ROOTCHECK_DEV], &m)) != 0)
		return r;
	if (m != NULL && (r = host_conf_paths(d, ydoc_get(d, m, "allow"),
	    "rootcheck.dev.allow", &c->dev_allow)) != 0)
		return r;
	return 0;
}

int
rootcheck_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf)
{
	struct rootcheck_conf tmp;
	int r;

	(void)name;
	if ((r = rootcheck_conf_init(&tmp)) != 0)
		return r;
	if ((r = parse_into(d, node, &tmp)) != 0) {
		rootcheck_conf_release(&tmp);
		return r;
	}
	rootcheck_conf_release(conf);
	*(struct rootcheck_conf *)conf = tmp;
	return 0;
}
