/*
 * cmds.h - the subcommands.  Each is src/cli/cmd-<name>.c; main.c only
 * dispatches.  Each returns the process exit status.
 */
#ifndef MAMORI_CMDS_H
#define MAMORI_CMDS_H

int cmd_server(int argc, char **argv);
int cmd_logs(int argc, char **argv);	/* logs verify | logs search */
int cmd_status(int argc, char **argv);
int cmd_logtest(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_incident(int argc, char **argv);
int cmd_sniff(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_block(int argc, char **argv);
int cmd_unblock(int argc, char **argv);
int cmd_blocks(int argc, char **argv);
int cmd_promisc(int argc, char **argv);	/* promisc-probe */
int cmd_fim(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rootcheck(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_user(int argc, char **argv);	/* user add|passwd|del|list */

#endif
