/*
 * cmd-audit.c - `mamori audit`: the host's security settings against
 * what its configuration declares (host/audit.h, docs/audit.md).
 *
 *   mamori audit [--config FILE] [--root DIR] [--json] [--only CHECK,...]
 *
 * Exit status: 0 no findings; 1 findings; 2 usage, configuration or
 * another error that stopped the audit (the reason on standard error).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "core/error.h"
#include "core/yamldoc.h"
#include "host/audit.h"
#include "host/host.h"

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

/* Turns on only the checks named in list (comma-separated). */
static int
only(const char *list, int *enabled)
{
	const char *p = list, *e, *hint;
	const char *names[AUDIT_NCHECKS];
	int i, k, on[AUDIT_NCHECKS] = { 0 };

	for (i = 0; i < AUDIT_NCHECKS; i++)
		names[i] = audit_check_name(i);
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if ((k = audit_check_by_name(p, (size_t)(e - p))) < 0) {
			hint = ydoc_nearest(p, (size_t)(e - p), names,
			    AUDIT_NCHECKS);
			fprintf(stderr, "mamori audit: --only: unknown check "
			    "'%.*s'%s%s%s\n", (int)(e - p), p,
			    hint ? " (did you mean '" : "", hint ? hint : "",
			    hint ? "'?)" : "");
			return -1;
		}
		on[k] = 1;
	}
	for (i = 0; i < AUDIT_NCHECKS; i++)
		enabled[i] = on[i];
	return 0;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct audit_conf conf;
	struct audit_summary sum;
	struct audit_printer pr;
	const char *config = NULL, *root = NULL, *onlyl = NULL;
	char err[1024];
	int ch, json = 0, r;

	while ((ch = getopt_long(argc, argv, "c:r:jo:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'o':
			onlyl = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mamori audit: unexpected argument '%s'\n",
		    argv[optind]);
		fputs(usage, stderr);
		return 2;
	}
	if (audit_conf_init(&conf) != 0) {
		fprintf(stderr, "mamori audit: out of memory\n");
		return 2;
	}
	if (config != NULL && (r = host_conf_load(config, "audit",
	    audit_conf_parse, &conf, err, sizeof(err))) != 0) {
		fprintf(stderr, "mamori audit: %s\n", err[0] ? err :
		    mamori_strerror(r));
		audit_conf_release(&conf);
		return 2;
	}
	if (root != NULL) {
		free(conf.root);
		if ((conf.root = strdup(root)) == NULL) {
			audit_conf_release(&conf);
			return 2;
		}
	}
	if (onlyl != NULL && only(onlyl, conf.enabled) != 0) {
		audit_conf_release(&conf);
		return 2;
	}
	memset(&pr, 0, sizeof(pr));
	pr.out = stdout;
	pr.json = json;
	pr.key = "audit";
	r = audit_run(&conf, audit_print_emit, &pr, &sum);
	if (r == MAMORI_ESYS)
		fprintf(stderr, "mamori audit: root %s: %m\n", conf.root);
	else if (r != 0)
		fprintf(stderr, "mamori audit: %s\n", mamori_strerror(r));
	if (r == 0)
		audit_print_summary(json ? stderr : stdout, sum.check,
		    AUDIT_NCHECKS, audit_check_name, sum.findings,
		    sum.by_sev);
	fflush(stdout);
	audit_conf_release(&conf);
	if (r != 0)
		return 2;
	return sum.findings > 0 ? 1 : 0;
}
