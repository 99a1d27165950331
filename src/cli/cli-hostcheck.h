/*
 * cli-hostcheck.h - what `mamori audit` and `mamori rootcheck` share:
 * options (--config, --root, --json, --only), the agent file's section,
 * the findings printed as text or JSON lines, the summary, and the exit
 * status (0 no findings, 1 findings, 2 usage or error).
 */
#ifndef MAMORI_CLI_HOSTCHECK_H
#define MAMORI_CLI_HOSTCHECK_H

#include <stddef.h>

#include "host/audit.h"
#include "host/host.h"

#define CLI_HOSTCHECK_MAX	32	/* checks of one module, at most */

/* What a run found, in the module-independent form the summary prints. */
struct cli_hostcheck_sum {
	size_t		 findings;
	size_t		 by_sev[AUDIT_NSEV];
	struct audit_check_status check[CLI_HOSTCHECK_MAX];
};

struct cli_hostcheck {
	const char	*name;		/* "audit": command, section, JSON key */
	const char	*usage;
	int		 ncheck;	/* <= CLI_HOSTCHECK_MAX */
	const char	*(*check_name)(int);
	int		(*check_by_name)(const char *, size_t);
	/* The module's configuration, initialised by the caller (who also
	 * releases it): its parser, its root and enabled[] fields. */
	void		*conf;
	host_conf_parse_fn parse;
	char		**root;
	int		*enabled;
	/* Runs the module over conf (audit_run(), rootcheck_run()). */
	int		(*run)(const void *conf, host_emit_fn emit, void *arg,
			    struct cli_hostcheck_sum *sum);
};

/* The whole command; returns its exit status. */
int cli_hostcheck(const struct cli_hostcheck *h, int argc, char **argv);

#endif
