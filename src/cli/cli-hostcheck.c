/*
 * cli-hostcheck.c - the command-line part `mamori audit` and `mamori
 * rootcheck` share (cli-hostcheck.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-hostcheck.h"
#include "core/error.h"
#include "core/yamldoc.h"

/* Turns on only the checks named in list (comma-separated). */
static int
only(const struct cli_hostcheck *h, const char *list)
{
	const char *p = list, *e, *hint;
	const char *names[CLI_HOSTCHECK_MAX];
	int i, k, on[CLI_HOSTCHECK_MAX] = { 0 };

	for (i = 0; i < h->ncheck; i++)
		names[i] = h->check_name(i);
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if ((k = h->check_by_name(p, (size_t)(e - p))) < 0) {
			hint = ydoc_nearest(p, (size_t)(e - p), names,
			    (size_t)h->ncheck);
			fprintf(stderr, "mamori %s: --only: unknown check "
			    "'%.*s'%s%s%s\n", h->name, (int)(e - p), p,
			    hint ? " (did you mean '" : "", hint ? hint : "",
			    hint ? "'?)" : "");
			return -1;
		}
		on[k] = 1;
	}
	for (i = 0; i < h->ncheck; i++)
		h->enabled[i] = on[i];
	return 0;
}

int
cli_hostcheck(const struct cli_hostcheck *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_hostcheck_sum sum;
	struct audit_printer pr;
	const char *config = NULL, *root = NULL, *onlyl = NULL;
	char err[1024];
	int ch, json = 0, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:r:jo:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'r': root = optarg; break;
		case 'j': json = 1; break;
		case 'o': onlyl = optarg; break;
		case 'h':
			fputs(h->usage, stdout);
			return 0;
		default:
			fputs(h->usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mamori %s: unexpected argument '%s'\n",
		    h->name, argv[optind]);
		fputs(h->usage, stderr);
		return 2;
	}
	err[0] = '\0';
	if (config != NULL && (r = host_conf_load(config, h->name, h->parse,
	    h->conf, err, sizeof(err))) != 0) {
		fprintf(stderr, "mamori %s: %s\n", h->name, err[0] ? err :
		    mamori_strerror(r));
		return 2;
	}
	if (root != NULL) {
		free(*h->root);
		if ((*h->root = strdup(root)) == NULL) {
			fprintf(stderr, "mamori %s: out of memory\n", h->name);
			return 2;
		}
	}
	if (onlyl != NULL && only(h, onlyl) != 0)
		return 2;
	memset(&pr, 0, sizeof(pr));
	pr.out = stdout;
	pr.json = json;
	pr.key = h->name;
	memset(&sum, 0, sizeof(sum));
	r = h->run(h->conf, audit_print_emit, &pr, &sum);
	if (r == MAMORI_ESYS)
		fprintf(stderr, "mamori %s: root %s: %m\n", h->name, *h->root);
	else if (r != 0)
		fprintf(stderr, "mamori %s: %s\n", h->name,
		    mamori_strerror(r));
	else
		audit_print_summary(json ? stderr : stdout, sum.check,
		    h->ncheck, h->check_name, sum.findings, sum.by_sev);
	fflush(stdout);
	if (r != 0)
		return 2;
	return sum.findings > 0 ? 1 : 0;
}
