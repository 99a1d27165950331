/*
 * cmd-server.c - `mamori server`: the log server.
 *
 *   mamori server [--config FILE] [--data DIR] [--listen URL]...
 *                 [--key FILE] [--rules PATH | --no-rules] [--demo[=FILE]]
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli-ruleset.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "server/server.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: mamori server [--config FILE] [--data DIR] "
	    "[--listen URL]... [--key FILE]\n"
	    "                     [--rules PATH | --no-rules] "
	    "[--demo[=FILE]]\n"
	    "  --config FILE  YAML configuration (default: built-in "
	    "defaults)\n"
	    "  --data DIR     data directory (default ./mamori-data)\n"
	    "  --listen URL   udp://, tcp://, tls://, relp://ADDR:PORT, or "
	    "the console's\n"
	    "                 http://, https://ADDR[:PORT]; repeatable; "
	    "replaces the\n"
	    "                 configured listeners\n"
	    "  --key FILE     seal key (default: storage.seal_key)\n"
	    "  --rules PATH   ruleset: file, directory or ossec.conf "
	    "(default: rules.path,\n"
	    "                 else the bundled one); SIGHUP reloads it\n"
	    "  --no-rules     store only, analyse nothing\n"
	    "  --demo[=FILE]  replay a sample scenario into the server at "
	    "start\n"
	    "                 (default: the bundled etc/demo.log)\n");
}

static void
first_steps(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *l = &c->listeners[i];
		const char *host = strcmp(l->host, "0.0.0.0") == 0 ||
		    strcmp(l->host, "::") == 0 ? "127.0.0.1" : l->host;

		if (l->proto == LISTEN_TCP) {
			log_info("send a first message: logger -n %s -P %s "
			    "-T --rfc5424 'hello mamori'", host, l->port);
			break;
		}
		if (l->proto == LISTEN_UDP) {
			log_info("send a first message: logger -n %s -P %s "
			    "-d 'hello mamori'", host, l->port);
			break;
		}
	}
	log_info("then: mamori logs search --data %s hello", c->data_dir);
	/* The console (docs/console.md).  On its first start the server
	 * made the user "admin" and logged its password above. */
	for (i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *l = &c->listeners[i];
		const char *host = strcmp(l->host, "0.0.0.0") == 0 ?
		    "127.0.0.1" : strcmp(l->host, "::") == 0 ? "::1" : l->host;
		int v6 = strchr(host, ':') != NULL;

		if (l->proto == LISTEN_HTTP)
			log_info("open the console: %s://%s%s%s:%s/ (users: "
			    "mamori user --help)", l->http_tls ? "https" :
			    "http", v6 ? "[" : "", host, v6 ? "]" : "",
			    l->port);
	}
}

int
cmd_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "key", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'r' },
		{ "no-rules", no_argument, NULL, 'R' },
		{ "demo", optional_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config cfg;
	struct server *s;
	char err[1024], **listen = NULL;
	const char *config_path = NULL, *data = NULL, *key = NULL;
	const char *rules = NULL, *demo_file = NULL;
	char demo_path[4096];
	int norules = 0, demo = 0;
	size_t nlisten = 0;
	sigset_t set;
	int ch, status = 1;

	if ((listen = calloc((size_t)argc, sizeof(*listen))) == NULL)
		return 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:l:k:r:Rh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'd': data = optarg; break;
		case 'l': listen[nlisten++] = optarg; break;
		case 'k': key = optarg; break;
		case 'r': rules = optarg; break;
		case 'R': norules = 1; break;
		case 'D': demo = 1; demo_file = optarg; break;
		case 'h': usage(stdout); free(listen); return 0;
		default: usage(stderr); free(listen); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		free(listen);
		return 2;
	}
	if (config_init(&cfg) != 0) {
		fprintf(stderr, "mamori: out of memory\n");
		free(listen);
		return 1;
	}
	if (config_path != NULL &&
	    config_load(&cfg, config_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori: %s\n", err);
		goto out;
	}
	if (data != NULL) {
		free(cfg.data_dir);
		cfg.data_dir = strdup(data);
	}
	if (key != NULL) {
		free(cfg.seal_key);
		cfg.seal_key = strdup(key);
	}
	if (norules)
		cfg.rules_enabled = 0;
	if (rules != NULL) {
		free(cfg.rules_path);
		cfg.rules_path = strdup(rules);
		cfg.rules_enabled = 1;
	}
	if (cfg.rules_enabled && cfg.rules_path == NULL) {
		char dir[4096];

		/* The bundled ruleset; a build without one stores only. */
		if (cli_ruleset_default(dir, sizeof(dir)) == 0)
			cfg.rules_path = strdup(dir);
		else {
			fprintf(stderr, "mamori: no bundled ruleset found (%s); "
			    "the server stores without analysing\n", dir);
			cfg.rules_enabled = 0;
		}
	}
	if (cfg.data_dir == NULL || cfg.seal_key == NULL) {
		fprintf(stderr, "mamori: out of memory\n");
		goto out;
	}
	if (nlisten > 0 && config_set_listeners(&cfg, listen, nlisten, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mamori: --listen: %s\n", err);
		status = 2;
		goto out;
	}
	if (config_check(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori: %s\n", err);
		goto out;
	}
	/* Every thread inherits this mask; only server_run() takes the
	 * signals, synchronously. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The RFC 3164 parser converts local times with localtime_r(),
	 * which relies on the zone having been read once. */
	tzset();
	/* Events live in 64 KiB blocks that the listeners take from malloc
	 * and the writer gives back; with glibc's default 128 KiB trim
	 * threshold the heap was handed back to the kernel and faulted in
	 * again (zeroed) all the time under load: page faults were 2% of a
	 * fast ingest's samples.  The pipeline's memory is bounded
	 * (pipeline.queue_memory), so keeping what it took costs nothing
	 * beyond that bound. */
	(void)mallopt(M_TRIM_THRESHOLD, (int)(cfg.queue_bytes < (1u << 30) ?
	    cfg.queue_bytes : (1u << 30)));

	log_info("mamori %s starting; data in %s", MAMORI_VERSION,
	    cfg.data_dir);
	if ((s = server_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori: %s\n", err);
		goto out;
	}
	if (server_drop_privileges(s, err, sizeof(err)) != 0 ||
	    server_start(s, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori: %s\n", err);
		server_free(s);
		goto out;
	}
	first_steps(&cfg);
	if (demo) {
		if (demo_file == NULL) {
			if (file_bundled_path("MAMORI_DEMO", "etc/demo.log",
			    demo_path, sizeof(demo_path)) != 0)
				log_err("demo: no bundled scenario found (%s)",
				    demo_path);
			else
				demo_file = demo_path;
		}
		if (demo_file != NULL &&
		    server_demo(s, demo_file, err, sizeof(err)) != 0)
			log_err("%s", err);
	}
	server_run(s);
	server_stop(s);
	server_free(s);
	log_info("stopped");
	status = 0;
 out:
	config_release(&cfg);
	free(listen);
	return status;
}
