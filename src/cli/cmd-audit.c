/*
 * cmd-audit.c - `mamori audit`: the host's security settings against
 * what its configuration declares (host/audit.h, docs/audit.md).
 *
 *   mamori audit [--config FILE] [--root DIR] [--json] [--only CHECK,...]
 *
 * Exit status: 0 no findings; 1 findings; 2 usage, configuration or
 * another error that stopped the audit (the reason on standard error).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli-hostcheck.h"
#include "cli/cmds.h"
#include "host/audit.h"

static const char usage[] =
    "usage: mamori audit [--config FILE] [--root DIR] [--json] "
    "[--only CHECK,...]\n"
    "  --config FILE  the agent's configuration file (its audit: "
    "section)\n"
    "  --root DIR     check the system under DIR (a mounted disk) "
    "instead of /\n"
    "  --json         one JSON line per finding on standard output\n"
    "  --only LIST    run only these checks: listeners, world_writable, "
    "suid,\n"
    "                 accounts, promisc, clock, shares, sshd, updates, "
    "services\n"
    "exit status: 0 no findings, 1 findings, 2 usage or error\n";

_Static_assert(AUDIT_NCHECKS <= CLI_HOSTCHECK_MAX, "too many checks");

static int
run(const void *conf, host_emit_fn emit, void *arg,
    struct cli_hostcheck_sum *out)
{
	struct audit_summary sum;
	int r;

	memset(&sum, 0, sizeof(sum));
	r = audit_run(conf, emit, arg, &sum);
	out->findings = sum.findings;
	memcpy(out->by_sev, sum.by_sev, sizeof(sum.by_sev));
	memcpy(out->check, sum.check, sizeof(sum.check));
	return r;
}

int
cmd_audit(int argc, char **argv)
{
	struct audit_conf conf;
	struct cli_hostcheck h;
	int rc;

	if (audit_conf_init(&conf) != 0) {
		fprintf(stderr, "mamori audit: out of memory\n");
		return 2;
	}
	memset(&h, 0, sizeof(h));
	h.name = "audit";
	h.usage = usage;
	h.ncheck = AUDIT_NCHECKS;
	h.check_name = audit_check_name;
	h.check_by_name = audit_check_by_name;
	h.conf = &conf;
	h.parse = audit_conf_parse;
	h.root = &conf.root;
	h.enabled = conf.enabled;
	h.run = run;
	rc = cli_hostcheck(&h, argc, argv);
	audit_conf_release(&conf);
	return rc;
}
