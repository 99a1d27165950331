/*
 * main.c - the mamori executable: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "cli/cmds.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "server", cmd_server, "run the log server" },
	{ "logs", cmd_logs, "search and verify the log store" },
	{ "status", cmd_status, "show listener, queue and host state" },
	{ "logtest", cmd_logtest, "show how the rules analyse log lines" },
	{ "analyze", cmd_analyze, "analyse log files with the rules" },
	{ "incident", cmd_incident, "list, show and handle incidents" },
	{ "sniff", cmd_sniff, "watch an interface with the network sensor" },
	{ "notify", cmd_notify, "notify the contact plan of an incident" },
	{ "block", cmd_block, "block an address or prefix (nftables)" },
	{ "unblock", cmd_unblock, "lift a block" },
	{ "blocks", cmd_blocks, "list the blocks in force" },
	{ "promisc-probe", cmd_promisc, "find sniffers (promiscuous NICs) "
	    "on a segment" },
	{ "fim", cmd_fim, "file integrity: baseline and check" },
	{ "audit", cmd_audit, "audit this host's security settings" },
	{ "rootcheck", cmd_rootcheck, "look for signs of a rootkit" },
	{ "agent", cmd_agent, "watch this host and forward to the server" },
	{ "user", cmd_user, "manage the web console's users" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mamori <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'mamori <command> --help' describes a command.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("mamori %s\n", MAMORI_VERSION);
		return 0;
	}
	/* libxml2 (IODEF) sets itself up once, before any thread. */
	xmlInitParser();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mamori: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
