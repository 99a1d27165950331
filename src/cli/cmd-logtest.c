/*
 * cmd-logtest.c - `mamori logtest`: type log lines, see what the rules
 * engine makes of them, phase by phase, as ossec-logtest shows it.
 *
 *   mamori logtest [--rules PATH]... [--json] [--hostname NAME] [--quiet]
 *
 * Each line on stdin is analysed as if it came from location "stdin"; the
 * correlation state carries from line to line, as in a running server.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli-ruleset.h"
#include "cli/cmds.h"
#include "core/timeutil.h"
#include "rules/rules-json.h"
#include "rules/rules.h"

static const char usage_text[] =
"usage: mamori logtest [--rules PATH]... [--json] [--hostname NAME]\n"
"\n"
"Reads log lines on stdin and prints, for each, the three phases of\n"
"analysis as ossec-logtest does: pre-decoding (hostname, program name,\n"
"message), decoding (decoder and fields) and filtering (rule id, level,\n"
"description), and whether it raises an alert.\n"
"\n"
"  --rules PATH     decoder or rule file, directory of them, or an OSSEC\n"
"                   ossec.conf (its <rules> block is followed); repeat to\n"
"                   load several, in order.  Default: the bundled ruleset\n"
"  --json           one JSON object per line (Wazuh alerts.json names,\n"
"                   plus \"alert\": true/false)\n"
"  --hostname NAME  host name for lines that carry none (default: this\n"
"                   machine's short name)\n"
"\n"
"Exit status: 0, or 2 when the ruleset does not load (the error names\n"
"the file and line).\n";

/* Labels ossec-logtest prints for the fixed fields. */
static const char *
label(const char *name)
{
	if (strcmp(name, "protocol") == 0)
		return "proto";
	return name;
}

/* Bytes go out as they are when the output is a pipe or a file (so that
 * outputs can be compared), escaped when it is a terminal. */
static void
put(const char *s, int tty)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("(null)", stdout);
		return;
	}
	if (!tty) {
		fputs(s, stdout);
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void
print_text(const struct rules_result *r, int tty)
{
	int i;

	printf("\n\n**Phase 1: Completed pre-decoding.\n");
	printf("       full event: '");
	put(r->full_log, tty);
	printf("'\n       hostname: '");
	put(r->hostname, tty);
	printf("'\n       program_name: '");
	put(r->program_name, tty);
	printf("'\n       log: '");
	put(r->log, tty);
	printf("'\n");
	/* No phase 2 when no decoder could apply (OSSEC's output). */
	if (r->decoding) {
		printf("\n**Phase 2: Completed decoding.\n");
		if (r->decoder == NULL)
			printf("       No decoder matched.\n");
		else {
			printf("       decoder: '");
			put(r->decoder, tty);
			printf("'\n");
			for (i = 0; i < r->norder; i++) {
				printf("       %s: '", label(r->order[i].name));
				put(r->order[i].value, tty);
				printf("'\n");
			}
		}
	}
	if (r->accumulated)
		printf("\n**ACCUMULATOR: LEVEL UP!!**\n");
	if (!r->matched)
		return;
	printf("\n**Phase 3: Completed filtering (rules).\n");
	printf("       Rule id: '%u'\n", r->rule_id);
	printf("       Level: '%d'\n", r->level);
	printf("       Description: '");
	put(r->description, tty);
	printf("'\n");
	for (i = 0; i < r->ninfo; i++) {
		printf("       Info - %s: '", r->info_kind[i]);
		put(r->info_text[i], tty);
		printf("'\n");
	}
	if (r->alert)
		printf("**Alert to be generated.\n\n\n");
}

int
cmd_logtest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_json_meta meta;
	struct rules_result res;
	struct rules_set *rs;
	struct rules_ctx *ctx;
	char **paths, *line = NULL, *host = NULL;
	size_t cap = 0;
	ssize_t len;
	int ch, npaths = 0, json = 0, tty;

	if ((paths = calloc((size_t)argc + 1, sizeof(*paths))) == NULL)
		return 2;
	while ((ch = getopt_long(argc, argv, "r:jH:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			paths[npaths++] = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'H':
			host = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(paths);
			return 0;
		default:
			fputs("usage: mamori logtest [--rules PATH]... [--json] "
			    "[--hostname NAME]\n", stderr);
			free(paths);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mamori logtest: unexpected argument '%s' (lines "
		    "are read from stdin)\n", argv[optind]);
		free(paths);
		return 2;
	}
	rs = cli_ruleset_load(paths, npaths, "mamori logtest");
	free(paths);
	if (rs == NULL)
		return 2;
	if ((ctx = rules_ctx_new(rs)) == NULL) {
		fprintf(stderr, "mamori logtest: out of memory\n");
		rules_set_free(rs);
		return 2;
	}
	if (host != NULL)
		rules_ctx_set_hostname(ctx, host);
	tty = isatty(STDOUT_FILENO);
	memset(&meta, 0, sizeof(meta));
	if (!json && isatty(STDIN_FILENO))
		fprintf(stderr, "mamori logtest: %zu decoders and %zu rules "
		    "loaded; type one log line per line.\n",
		    rules_set_ndecoders(rs), rules_set_nrules(rs));
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* As ossec-logtest: lines of one character are skipped. */
		if (len < 2)
			continue;
		meta.time_ns = time_now_ns();
		rules_process(ctx, line, (size_t)len, "stdin", meta.time_ns,
		    &res);
		if (json) {
			json_t *j = rules_result_json(&res, &meta);
			char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

			if (s != NULL)
				puts(s);
			free(s);
			json_decref(j);
		} else
			print_text(&res, tty);
		fflush(stdout);
	}
	free(line);
	rules_ctx_free(ctx);
	rules_set_free(rs);
	return 0;
}
