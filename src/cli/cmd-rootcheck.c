/*
 * cmd-rootcheck.c - `mamori rootcheck`: signs of a rootkit
 * (host/rootcheck.h, docs/rootcheck.md).
 *
 *   mamori rootcheck [--config FILE] [--root DIR] [--json]
 *                    [--only CHECK,...]
 *
 * Exit status: 0 no findings; 1 findings; 2 usage, configuration or
 * another error that stopped the run (the reason on standard error).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli-hostcheck.h"
#include "cli/cmds.h"
#include "host/rootcheck.h"

static const char usage[] =
    "usage: mamori rootcheck [--config FILE] [--root DIR] [--json] "
    "[--only CHECK,...]\n"
    "  --config FILE  the agent's configuration file (its rootcheck: "
    "section)\n"
    "  --root DIR     check the system under DIR (a mounted disk) "
    "instead of /\n"
    "  --json         one JSON line per finding on standard output\n"
    "  --only LIST    run only these checks: processes, ports, modules,\n"
    "                 rootkit_files, tmp, dev\n"
    "exit status: 0 no findings, 1 findings, 2 usage or error\n";

_Static_assert(ROOTCHECK_NCHECKS <= CLI_HOSTCHECK_MAX, "too many checks");

static int
run(const void *conf, host_emit_fn emit, void *arg,
    struct cli_hostcheck_sum *out)
{
	struct rootcheck_summary sum;
	int r;

	memset(&sum, 0, sizeof(sum));
	r = rootcheck_run(conf, emit, arg, &sum);
	out->findings = sum.findings;
	memcpy(out->by_sev, sum.by_sev, sizeof(sum.by_sev));
	memcpy(out->check, sum.check, sizeof(sum.check));
	return r;
}

int
cmd_rootcheck(int argc, char **argv)
{
	struct rootcheck_conf conf;
	struct cli_hostcheck h;
	int rc;

	if (rootcheck_conf_init(&conf) != 0) {
		fprintf(stderr, "mamori rootcheck: out of memory\n");
		return 2;
	}
	memset(&h, 0, sizeof(h));
	h.name = "rootcheck";
	h.usage = usage;
	h.ncheck = ROOTCHECK_NCHECKS;
	h.check_name = rootcheck_check_name;
	h.check_by_name = rootcheck_check_by_name;
	h.conf = &conf;
	h.parse = rootcheck_conf_parse;
	h.root = &conf.root;
	h.enabled = conf.enabled;
	h.run = run;
	rc = cli_hostcheck(&h, argc, argv);
	rootcheck_conf_release(&conf);
	return rc;
}
