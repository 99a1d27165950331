/*
 * audit-run.c - audit_run(): the checks in order, each with its status,
 * under one root prefix.
 */
#include <string.h>

#include "core/error.h"
#include "host/audit.h"

static int
run_one(struct audit_ctx *c, int check, void *arg)
{
	const struct audit_conf *conf = arg;

	switch (check) {
	case AUDIT_LISTENERS:
		return audit_check_listeners(c, conf);
	case AUDIT_WORLD_WRITABLE:
		return audit_check_world_writable(c, conf);
	case AUDIT_SUID:
		return audit_check_suid(c, conf);
	case AUDIT_ACCOUNTS:
		return audit_check_accounts(c, conf);
	case AUDIT_PROMISC:
		return audit_check_promisc(c, conf);
	case AUDIT_CLOCK:
		return audit_check_clock(c, conf);
	case AUDIT_SHARES:
		return audit_check_shares(c, conf);
	case AUDIT_SSHD:
		return audit_check_sshd(c, conf);
	case AUDIT_UPDATES:
		return audit_check_updates(c, conf);
	case AUDIT_SERVICES:
		return audit_check_services(c, conf);
	}
	return 0;
}

int
audit_run(const struct audit_conf *conf, host_emit_fn emit, void *arg,
    struct audit_summary *summary)
{
	struct audit_summary local;
	struct audit_ctx c;
	int r;

	if (summary == NULL)
		summary = &local;
	memset(summary, 0, sizeof(*summary));
	if ((r = audit_ctx_open(&c, conf->root, NULL, 0)) != 0)
		return r;
	c.app = "mamori-audit";
	c.key = "audit";
	c.max = conf->max_findings;
	c.emit = emit;
	c.arg = arg;
	c.total = &summary->findings;
	c.by_sev = summary->by_sev;
	r = audit_run_checks(&c, conf->enabled, AUDIT_NCHECKS,
	    audit_check_name, summary->check, run_one, (void *)conf);
	audit_ctx_close(&c);
	return r;
}
