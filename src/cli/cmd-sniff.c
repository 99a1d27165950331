/*
 * cmd-sniff.c - `mamori sniff`: the network sensor on a live interface.
 *
 *   mamori sniff -i IFACE [--bpf FILTER] [--rules PATH]... [--json]
 *       [--conn-log FILE] [--hostname NAME] [--no-signatures]
 *       [--config FILE]
 *
 * Packets go through the decoders, flows, detectors and signatures; each
 * detection becomes an event that the rules engine analyses, and its
 * alerts are printed as `mamori analyze` prints them.  Stops on SIGINT or
 * SIGTERM, after flushing what is pending, and prints the counters on
 * stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli-alerts.h"
#include "cli/cli-ruleset.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/fileutil.h"
#include "core/timeutil.h"
#include "net/net-conf.h"
#include "net/net-detect.h"
#include "net/net-sensor.h"
#include "net/net-sig.h"
#include "rules/rules.h"

#define PROG	"mamori sniff"

static const char usage_text[] =
"usage: mamori sniff -i IFACE [--bpf FILTER] [--rules PATH]... [--json]\n"
"                    [--conn-log FILE] [--hostname NAME] [--no-signatures]\n"
"                    [--config FILE]\n"
"\n"
"Watches IFACE (promiscuous) with the network sensor: scans, floods,\n"
"worms, brute force, ARP spoofing, anomalies and the signatures in\n"
"rules/network/.  Detections go through the rules and their alerts are\n"
"printed (JSON lines with --json).  SIGINT or SIGTERM stops it.\n"
"\n"
"  -i, --interface IFACE  interface to capture on (needs CAP_NET_RAW)\n"
"  --bpf FILTER           a BPF filter (tcpdump syntax)\n"
"  --rules PATH           log ruleset (default: the bundled one)\n"
"  --conn-log FILE        append a Zeek conn.log JSON line per flow\n"
"  --hostname NAME        the sensor's name in events (default: sensor)\n"
"  --no-signatures        detectors only\n"
"  --config FILE          the server's configuration, for its sensor:\n"
"                         settings (thresholds, signature variables,\n"
"                         flow timeouts, signatures, bpf, hostname)\n"
"\n"
"Exit status: 0 stopped by a signal, 1 capture error, 2 usage.\n";

static volatile int stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct sniff {
	struct rules_ctx *ctx;
	const char	*host;
	const char	*iface;
	const char	*bpf;
	int		 json;
	uint64_t	 alerts;
};

static void
sensor_event(void *arg, const struct net_detection *d, const char *msg,
    size_t len)
{
	struct sniff *sn = arg;
	struct rules_result res;
	char line[1400];
	size_t n;

	n = net_sensor_line(d, msg, len, sn->host, line, sizeof(line));
	if (rules_process(sn->ctx, line, n, sn->iface, d->ts_ns, &res) != 0 ||
	    !res.alert)
		return;
	sn->alerts++;
	if (sn->json)
		cli_alert_json(&res, d->ts_ns, sn->host);
	else
		cli_alert_print(&res, d->ts_ns, sn->iface);
	fflush(stdout);
}

static void
watching(void *arg)
{
	struct sniff *sn = arg;

	fprintf(stderr, "%s: watching %s%s%s\n", PROG, sn->iface,
	    sn->bpf != NULL ? " with filter " : "",
	    sn->bpf != NULL ? sn->bpf : "");
}

int
cmd_sniff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "bpf", required_argument, NULL, 'b' },
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "conn-log", required_argument, NULL, 'c' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "no-signatures", no_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa;
	struct config cfg;
	const struct net_sensor_conf *sc;
	struct net_sigset *sigs = NULL;
	struct net_sensor *s = NULL;
	struct net_sensor_stats st;
	struct rules_set *rs = NULL;
	struct sniff sn;
	const char *iface = NULL, *bpf = NULL, *conn = NULL, *config = NULL;
	const char *sigpath;
	char **paths, err[1024], dir[4096];
	FILE *connf = NULL;
	int ch, npaths = 0, nosig = 0, rc = 1;

	memset(&sn, 0, sizeof(sn));
	if ((paths = calloc((size_t)argc + 1, sizeof(*paths))) == NULL)
		return 1;
	while ((ch = getopt_long(argc, argv, "i:b:r:jc:H:NC:h", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'i': iface = optarg; break;
		case 'b': bpf = optarg; break;
		case 'r': paths[npaths++] = optarg; break;
		case 'j': sn.json = 1; break;
		case 'c': conn = optarg; break;
		case 'H': sn.host = optarg; break;
		case 'N': nosig = 1; break;
		case 'C': config = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			free(paths);
			return 0;
		default:
			fputs(usage_text, stderr);
			free(paths);
			return 2;
		}
	}
	if (iface == NULL || optind != argc) {
		fprintf(stderr, "%s: give one interface with -i\n", PROG);
		free(paths);
		return 2;
	}
	sn.iface = iface;
	if (config_init(&cfg) != 0) {
		free(paths);
		return 1;
	}
	if (config != NULL && config_load(&cfg, config, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		config_release(&cfg);
		free(paths);
		return 2;
	}
	sc = cfg.sensor;
	if (sn.host == NULL)
		sn.host = sc->hostname != NULL ? sc->hostname : "sensor";
	if (bpf == NULL)
		bpf = sc->bpf;
	if (!sc->signatures)
		nosig = 1;
	rs = cli_ruleset_load(paths, npaths, PROG);
	free(paths);
	if (rs == NULL) {
		config_release(&cfg);
		return 2;
	}
	if ((sn.ctx = rules_ctx_new(rs)) == NULL)
		goto out;
	rules_ctx_set_hostname(sn.ctx, sn.host);
	sigpath = sc->signatures_path;
	if (!nosig && sigpath == NULL && file_bundled_path("MAMORI_NET_RULES",
	    "rules/network", dir, sizeof(dir)) == 0)
		sigpath = dir;
	if (!nosig && sigpath != NULL && net_sig_load(sigpath, sc->vars,
	    &sigs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		rc = 2;
		goto out;
	}
	if (conn != NULL && (connf = fopen(conn, "a")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROG, conn, strerror(errno));
		rc = 2;
		goto out;
	}
	if ((s = net_sensor_new(&sc->flows, sc->detect, sigs, sensor_event,
	    &sn, connf)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sn.bpf = bpf;
	if (net_sensor_live(s, iface, bpf, &stop_flag, watching, &sn, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		goto out;
	}
	net_sensor_finish(s);
	net_sensor_stats(s, &st);
	fprintf(stderr, "%s: %" PRIu64 " packets, %" PRIu64 " flows, %"
	    PRIu64 " detections, %" PRIu64 " alerts\n", PROG, st.packets,
	    st.flows.created, st.detections, sn.alerts);
	rc = 0;
 out:
	net_sensor_free(s);
	net_sigset_free(sigs);
	config_release(&cfg);
	if (connf != NULL)
		fclose(connf);
	rules_ctx_free(sn.ctx);
	rules_set_free(rs);
	return rc;
}
