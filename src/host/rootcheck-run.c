/*
 * rootcheck-run.c - rootcheck_run(): the checks in order under one root
 * prefix, with the rootkit list loaded once for the two checks that use
 * it.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "host/rootcheck.h"

struct run {
	const struct rootcheck_conf *conf;
	const struct rootcheck_list *list;	/* NULL: could not load */
	const char	*list_err;
};

static int
run_one(struct audit_ctx *c, int check, void *arg)
{
	struct run *run = arg;

	switch (check) {
	case ROOTCHECK_PROCESSES:
		return rootcheck_check_processes(c, run->conf);
	case ROOTCHECK_PORTS:
		return rootcheck_check_ports(c, run->conf);
	case ROOTCHECK_MODULES:
		return rootcheck_check_modules(c, run->conf, run->list);
	case ROOTCHECK_ROOTKIT_FILES:
		if (run->list == NULL)
			return audit_fail(c, "%s", run->list_err);
		return rootcheck_check_files(c, run->conf, run->list);
	case ROOTCHECK_TMP:
		return rootcheck_check_tmp(c, run->conf);
	case ROOTCHECK_DEV:
		return rootcheck_check_dev(c, run->conf);
	}
	return 0;
}

int
rootcheck_run(const struct rootcheck_conf *conf, host_emit_fn emit,
    void *arg, struct rootcheck_summary *summary)
{
	struct rootcheck_summary local;
	struct rootcheck_list own;
	struct audit_ctx c;
	struct run run;
	char err[1024];
	int r;

	if (summary == NULL)
		summary = &local;
	memset(summary, 0, sizeof(*summary));
	memset(&own, 0, sizeof(own));
	memset(&run, 0, sizeof(run));
	run.conf = conf;
	run.list = conf->list;
	if (run.list == NULL && (conf->enabled[ROOTCHECK_ROOTKIT_FILES] ||
	    conf->enabled[ROOTCHECK_MODULES])) {
		r = rootcheck_list_load(&own, conf->rootkit_list, err,
		    sizeof(err));
		if (r == MAMORI_ENOMEM)
			return r;
		if (r == 0)
			run.list = &own;
		else
			run.list_err = err;
	}
	if ((r = audit_ctx_open(&c, conf->root, NULL, 0)) != 0) {
		rootcheck_list_release(&own);
		return r;
	}
	c.app = "mamori-rootcheck";
	c.key = "rootcheck";
	c.max = conf->max_findings;
	c.emit = emit;
	c.arg = arg;
	c.total = &summary->findings;
	c.by_sev = summary->by_sev;
	r = audit_run_checks(&c, conf->enabled, ROOTCHECK_NCHECKS,
	    rootcheck_check_name, summary->check, run_one, &run);
	audit_ctx_close(&c);
	rootcheck_list_release(&own);
	return r;
}
