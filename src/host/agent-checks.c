/*
 * agent-checks.c - the host checks the agent runs on its schedules: file
 * integrity (fim.h: a full check every fim.schedule, realtime watching of
 * fim.realtime), the security audit (audit.h, every audit.schedule) and
 * the rootkit checks (rootcheck.h, every rootcheck.schedule), each from
 * its section of the agent's configuration file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "host/agent.h"
#include "host/audit.h"
#include "host/fim.h"
#include "host/host.h"
#include "host/rootcheck.h"

struct agent_checks {
	char		*marker;	/* STATE/fim-baseline: a baseline was
					   made here once */
	struct fim_conf	 fim;
	struct audit_conf audit;
	struct rootcheck_conf rc;
	struct fim_watch *watch;
	int		 inited;
};

/*
 * The first check of a host whose agent never made a baseline makes one
 * (and sends its digest): from then on, changes are reported.  Once one
 * was made (the marker in the state directory says so), a missing
 * baseline is reported as such (someone removed it) and a new one made,
 * so that checking goes on.
 */
static int
run_fim(void *ctx, host_emit_fn emit, void *arg)
{
	struct agent_checks *k = ctx;
	struct fim_summary sum;
	int r, fd;

	memset(&sum, 0, sizeof(sum));
	if (access(k->marker, F_OK) != 0 &&
	    access(k->fim.database, F_OK) != 0)
		r = MAMORI_ENOTFOUND;
	else
		r = fim_check(&k->fim, emit, arg, &sum);
	if (r == MAMORI_ENOTFOUND) {
		log_info("agent: no file-integrity baseline in %s; making "
		    "one", k->fim.database);
		memset(&sum, 0, sizeof(sum));
		if ((r = fim_init(&k->fim, emit, arg, &sum)) == 0 &&
		    (fd = open(k->marker, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0600)) >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	if (r != 0 && sum.err[0] != '\0')
		log_err("agent: fim: %s", sum.err);
	return r;
}

static int
run_audit(void *ctx, host_emit_fn emit, void *arg)
{
	struct agent_checks *k = ctx;

	return audit_run(&k->audit, emit, arg, NULL);
}

static int
run_rootcheck(void *ctx, host_emit_fn emit, void *arg)
{
	struct agent_checks *k = ctx;

	return rootcheck_run(&k->rc, emit, arg, NULL);
}

static int
fim_ready(void *ctx, host_emit_fn emit, void *arg)
{
	struct agent_checks *k = ctx;

	return fim_watch_process(k->watch, emit, arg);
}

struct agent_checks *
agent_checks_new(const char *config, const char *state_dir, char *err,
    size_t errlen)
{
	struct agent_checks *k;
	int r = 0;

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    asprintf(&k->marker, "%s/fim-baseline", state_dir) < 0) {
		if (k != NULL)
			k->marker = NULL;
		agent_checks_free(k);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fim_conf_init(&k->fim);
	if (audit_conf_init(&k->audit) != 0 ||
	    rootcheck_conf_init(&k->rc) != 0) {
		agent_checks_free(k);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->inited = 1;
	if (config != NULL &&
	    ((r = host_conf_load(config, "fim", fim_conf_parse, &k->fim, err,
	    errlen)) != 0 ||
	    (r = host_conf_load(config, "audit",
	    audit_conf_parse, &k->audit, err,
	    errlen)) != 0 ||
	    (r = host_conf_load(config, "rootcheck",
	    rootcheck_conf_parse, &k->rc, err,
	    errlen)) != 0)) {
		agent_checks_free(k);
		return NULL;
	}
	return k;
}

int
agent_checks_register(struct agent_checks *k, struct agent *a, char *err,
    size_t errlen)
{
	struct agent_check c;
	int fd, r;

	memset(&c, 0, sizeof(c));
	c.ctx = k;
	if (k->fim.nrules > 0 && k->fim.schedule_ns > 0) {
		c.name = "fim";
		c.interval_ns = k->fim.schedule_ns;
		c.run = run_fim;
		if ((r = agent_add_check(a, &c)) != 0)
			goto fail;
	}
	if (k->fim.nrealtime > 0) {
		if ((fd = fim_watch_open(&k->fim, &k->watch)) < 0) {
			snprintf(err, errlen, "fim.realtime: cannot watch the "
			    "directories (%s)", mamori_strerror(fd));
			return fd;
		}
		if ((r = agent_add_fd(a, fd, fim_ready, k)) != 0)
			goto fail;
	}
	if (k->audit.schedule_ns > 0) {
		c.name = "audit";
		c.interval_ns = k->audit.schedule_ns;
		c.run = run_audit;
		if ((r = agent_add_check(a, &c)) != 0)
			goto fail;
	}
	if (k->rc.schedule_ns > 0) {
		c.name = "rootcheck";
		c.interval_ns = k->rc.schedule_ns;
		c.run = run_rootcheck;
		if ((r = agent_add_check(a, &c)) != 0)
			goto fail;
	}
	return 0;
 fail:
	snprintf(err, errlen, "cannot register the %s check: %s",
	    c.name != NULL ? c.name : "fim realtime", mamori_strerror(r));
	return r;
}

void
agent_checks_free(struct agent_checks *k)
{
	if (k == NULL)
		return;
	fim_watch_close(k->watch);
	fim_conf_release(&k->fim);
	free(k->marker);
	if (k->inited) {
		audit_conf_release(&k->audit);
		rootcheck_conf_release(&k->rc);
	}
	free(k);
}
