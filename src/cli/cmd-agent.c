/*
 * cmd-agent.c - `mamori agent`: the host agent (src/host/agent.h).
 *
 *   mamori agent --server HOST:PORT [--config FILE] [--state DIR]
 *                [--name NAME] [--transport relp|relp+tls|tls|tcp]
 *                [--log FILE]... [--start end|beginning]
 *
 * Runs in the foreground until SIGTERM or SIGINT (a service manager
 * keeps it running); messages about itself go to standard error.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmds.h"
#include "core/error.h"
#include "core/log.h"
#include "host/agent.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mamori agent --server HOST:PORT [--config FILE] "
	    "[--state DIR] [--name NAME]\n"
	    "                    [--transport relp|relp+tls|tls|tcp] "
	    "[--log FILE]...\n"
	    "                    [--start end|beginning]\n"
	    "  --server HOST:PORT  the log server (default port: relp 2514, "
	    "tls 6514, tcp 5514)\n"
	    "  --config FILE       the agent file (sections agent:, logs:, "
	    "fim:, audit:, rootcheck:)\n"
	    "  --state DIR         queue and positions (default "
	    "/var/lib/mamori-agent)\n"
	    "  --name NAME         this host's name for the server "
	    "(default: the host name)\n"
	    "  --transport T       relp (default, acknowledged), relp+tls, "
	    "tls (RFC 5425),\n"
	    "                      tcp (clear text, for tests)\n"
	    "  --log FILE          also tail FILE (repeatable)\n"
	    "  --start WHERE       a file seen for the first time is read "
	    "from its end\n"
	    "                      (default) or its beginning\n"
	    "Runs until SIGTERM or SIGINT.  docs/agent.md has the "
	    "configuration.\n");
}

struct sigctx {
	struct agent	*a;
	sigset_t	 set;
};

static void *
signal_thread(void *arg)
{
	struct sigctx *s = arg;
	int sig;

	for (;;) {
		if (sigwait(&s->set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_info("agent: SIGHUP ignored; restart the agent to "
			    "read its configuration again");
			continue;
		}
		log_info("agent: %s received; stopping",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		agent_stop(s->a);
		return NULL;
	}
}

int
cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "transport", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "start", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct agent_conf c;
	struct agent *a = NULL;
	struct agent_checks *checks = NULL;
	struct sigctx sc;
	pthread_t sigth;
	const char *config = NULL, *server = NULL, *state = NULL;
	const char *name = NULL, *start = NULL;
	char **logs = NULL, err[1024];
	size_t nlogs = 0, i;
	int ch, transport = -1, status = 1, r;

	if ((logs = calloc((size_t)argc + 1, sizeof(*logs))) == NULL)
		return 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:c:d:n:t:l:S:h", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'c': config = optarg; break;
		case 'd': state = optarg; break;
		case 'n': name = optarg; break;
		case 't':
			if ((transport = agent_transport_parse(optarg)) < 0) {
				fprintf(stderr, "mamori agent: --transport: "
				    "expected relp, relp+tls, tls or tcp, got "
				    "'%s'\n", optarg);
				free(logs);
				return 2;
			}
			break;
		case 'l': logs[nlogs++] = optarg; break;
		case 'S':
			if (strcmp(optarg, "end") != 0 &&
			    strcmp(optarg, "beginning") != 0) {
				fprintf(stderr, "mamori agent: --start: "
				    "expected end or beginning\n");
				free(logs);
				return 2;
			}
			start = optarg;
			break;
		case 'h': usage(stdout); free(logs); return 0;
		default: usage(stderr); free(logs); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(logs);
		return 2;
	}
	if (agent_conf_init(&c) != 0) {
		fprintf(stderr, "mamori agent: out of memory\n");
		free(logs);
		return 1;
	}
	if (config != NULL && (r = agent_conf_load(&c, config, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "mamori agent: %s\n", err);
		status = r == MAMORI_ECONFIG ? 2 : 1;
		goto out;
	}
#define SET(field, v) do {						\
	char *d_ = strdup(v);						\
	if (d_ == NULL)							\
		goto oom;						\
	free(c.field);							\
	c.field = d_;							\
} while (0)
	if (server != NULL)
		SET(server, server);
	if (state != NULL) {
		if (state[0] != '/') {
			char cwd[4096], *abs;

			/* Relative: the agent never changes directory, but
			 * messages are clearer with the whole path. */
			if (getcwd(cwd, sizeof(cwd)) == NULL ||
			    asprintf(&abs, "%s/%s", cwd, state) < 0)
				goto oom;
			free(c.state_dir);
			c.state_dir = abs;
		} else
			SET(state_dir, state);
	}
	if (name != NULL) {
		if (name[0] == '\0' || strlen(name) > 255 ||
		    strpbrk(name, " \t\"]\\") != NULL) {
			fprintf(stderr, "mamori agent: --name: 1 to 255 "
			    "characters without spaces, quotes, ']' or '\\'\n");
			status = 2;
			goto out;
		}
		SET(name, name);
	}
#undef SET
	if (transport >= 0)
		c.transport = transport;
	if (start != NULL)
		c.start = strcmp(start, "end") == 0 ? AGENT_START_END :
		    AGENT_START_BEGINNING;
	for (i = 0; i < nlogs; i++) {
		if (logs[i][0] != '/') {
			fprintf(stderr, "mamori agent: --log %s: expected an "
			    "absolute path\n", logs[i]);
			status = 2;
			goto out;
		}
		if (agent_conf_add_log(&c, logs[i]) != 0)
			goto oom;
	}
	if (agent_conf_check(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori agent: %s\n", err);
		status = 2;
		goto out;
	}
	/* FIM, audit and rootkit checks, from the same file. */
	if ((checks = agent_checks_new(config, c.state_dir, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "mamori agent: %s\n", err);
		status = 2;
		goto out;
	}
	/* Signals go to one thread, which asks the agent to stop; SIGPIPE
	 * from a dropped connection is an error return, not a death. */
	sigemptyset(&sc.set);
	sigaddset(&sc.set, SIGTERM);
	sigaddset(&sc.set, SIGINT);
	sigaddset(&sc.set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
	signal(SIGPIPE, SIG_IGN);
	tzset();
	if ((a = agent_new(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori agent: %s\n", err);
		goto out;
	}
	if (agent_checks_register(checks, a, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori agent: %s\n", err);
		goto out;
	}
	sc.a = a;
	if (pthread_create(&sigth, NULL, signal_thread, &sc) != 0) {
		fprintf(stderr, "mamori agent: cannot start the signal "
		    "thread\n");
		goto out;
	}
	log_info("mamori agent %s starting; state in %s", MAMORI_VERSION,
	    c.state_dir);
	if (agent_run(a, err, sizeof(err)) != 0)
		fprintf(stderr, "mamori agent: %s\n", err);
	else
		status = 0;
	/* The signal thread has returned if a signal stopped the agent;
	 * else it still waits, and this one ends it.  Joined before the
	 * agent it uses is freed. */
	pthread_kill(sigth, SIGTERM);
	pthread_join(sigth, NULL);
	goto out;
 oom:
	fprintf(stderr, "mamori agent: out of memory\n");
 out:
	agent_free(a);
	agent_checks_free(checks);
	agent_conf_release(&c);
	free(logs);
	return status;
}
