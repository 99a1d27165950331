/*
 * cmd-analyze.c - `mamori analyze`: offline analysis of log files with
 * the rules engine, as a responder runs it on logs copied from a host.
 *
 *   mamori analyze [--rules PATH]... [--json] [--hostname NAME]
 *       [--no-summary] FILE...
 *
 * Each file's format is decided from its first lines: RFC 5424, RFC 3164
 * with its <PRI>, or plain lines (BSD syslog files as written to disk,
 * web server logs, anything else); ".gz" files are read through zlib
 * (which reads uncompressed files unchanged).  Syslog lines with a <PRI>
 * are parsed and given to the rules in the BSD shape rulesets expect.
 * Correlation (frequency, timeframe) runs on each line's own timestamp
 * when it has one, so old logs correlate as they happened.  Alerts go to
 * stdout (text, or JSON lines with --json); a summary by rule and by
 * source address ends the text output (on stderr with --json).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "cli/cli-alerts.h"
#include "cli/cli-ruleset.h"
#include "cli/cmds.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "input/syslog.h"
#include "rules/rules-json.h"
#include "rules/rules.h"
#include "core/config.h"
#include "core/error.h"
#include "incident/export.h"
#include "incident/incmgr.h"
#include "core/fileutil.h"
#include "net/net-sensor.h"
#include "net/net-conf.h"
#include "net/net-sig.h"
#include "store/db.h"
#include "store/logsearch.h"

#define LINE_MAX_BYTES	(64 * 1024)

static const char usage_text[] =
"usage: mamori analyze [--rules PATH]... [--json] [--hostname NAME]\n"
"                      [--no-summary] [--incidents] [--config FILE] FILE...\n"
"\n"
"Analyses log files with the rules engine and prints the alerts, then a\n"
"summary by rule and by source address.  Formats (RFC 5424, RFC 3164,\n"
"plain lines) are detected per file; .gz files are read directly.\n"
"Packet captures (pcap, pcapng) go through the network sensor\n"
"(decoders, flows, detectors, signatures in rules/network/) and its\n"
"detections through the rules.\n"
"\n"
"  --rules PATH     decoder or rule file, directory, or ossec.conf;\n"
"                   repeat for several (default: the bundled ruleset)\n"
"  --json           alerts as JSON lines (Wazuh alerts.json names); the\n"
"                   summary then goes to stderr\n"
"  --hostname NAME  host name for lines that carry none\n"
"  --no-summary     alerts only\n"
"  --incidents      print the incidents the alerts form instead of the\n"
"                   alerts (with --json: one JSON object per incident)\n"
"  --config FILE    the server's configuration: its incidents: settings\n"
"                   (grouping, internal networks) and sensor: settings\n"
"                   (thresholds, signature variables, flow timeouts)\n"
"\n"
"Exit status: 0 when the files were read, 1 when one could not be, 2\n"
"when the ruleset does not load.\n";

enum fmt { FMT_PLAIN, FMT_3164, FMT_5424 };

struct tally {
	char		*key;
	char		*desc;
	int		 level;
	uint64_t	 n;
};

struct summary {
	struct tally	*rules, *srcs;
	size_t		 nrules, nsrcs, caprules, capsrcs;
	uint64_t	 lines, alerts;
};

static void
tally_add(struct tally **v, size_t *n, size_t *cap, const char *key,
    const char *desc, int level)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].key, key) == 0) {
			(*v)[i].n++;
			return;
		}
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct tally *nv = realloc(*v, c * sizeof(*nv));

		if (nv == NULL)
			return;
		*v = nv;
		*cap = c;
	}
	(*v)[*n].key = strdup(key);
	(*v)[*n].desc = desc ? strdup(desc) : NULL;
	(*v)[*n].level = level;
	(*v)[*n].n = 1;
	if ((*v)[*n].key != NULL)
		(*n)++;
}

static int
tally_cmp(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void
summary_print(FILE *f, struct summary *s)
{
	size_t i;

	qsort(s->rules, s->nrules, sizeof(*s->rules), tally_cmp);
	qsort(s->srcs, s->nsrcs, sizeof(*s->srcs), tally_cmp);
	fprintf(f, "\n%" PRIu64 " lines, %" PRIu64 " alerts\n", s->lines,
	    s->alerts);
	if (s->nrules > 0)
		fprintf(f, "\n%8s  %-8s %5s  %s\n", "ALERTS", "RULE", "LEVEL",
		    "DESCRIPTION");
	for (i = 0; i < s->nrules; i++)
		fprintf(f, "%8" PRIu64 "  %-8s %5d  %s\n", s->rules[i].n,
		    s->rules[i].key, s->rules[i].level,
		    s->rules[i].desc ? s->rules[i].desc : "");
	if (s->nsrcs > 0)
		fprintf(f, "\n%8s  %s\n", "ALERTS", "SOURCE ADDRESS");
	for (i = 0; i < s->nsrcs; i++)
		fprintf(f, "%8" PRIu64 "  %s\n", s->srcs[i].n, s->srcs[i].key);
}

static void
summary_free(struct summary *s)
{
	size_t i;

	for (i = 0; i < s->nrules; i++) {
		free(s->rules[i].key);
		free(s->rules[i].desc);
	}
	for (i = 0; i < s->nsrcs; i++)
		free(s->srcs[i].key);
	free(s->rules);
	free(s->srcs);
}

/* The format of a file, from its first lines. */
static enum fmt
detect(gzFile g, char *buf, size_t len)
{
	int n5424 = 0, npri = 0, n = 0;

	while (n < 20 && gzgets(g, buf, (int)len) != NULL) {
		const char *p = buf;

		if (*p == '\n' || *p == '\0')
			continue;
		n++;
		if (*p != '<')
			continue;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		if (*p != '>')
			continue;
		npri++;
		if (p[1] == '1' && p[2] == ' ')
			n5424++;
	}
	gzrewind(g);
	if (n == 0 || npri * 2 < n)
		return FMT_PLAIN;
	return n5424 * 2 >= npri ? FMT_5424 : FMT_3164;
}

struct run {
	struct rules_ctx *ctx;
	struct incmgr	*mgr;		/* with --incidents */
	int		 mgr_err;
	struct summary	 sum;
	int		 json;
	int64_t		 last_t;
	/* The time of the last plain line parsed, by its first 15 bytes
	 * ("Mmm dd hh:mm:ss"): lines of the same second reuse it. */
	char		 stamp[16];
	int64_t		 stamp_t;
	/* Captures (pcap, pcapng): the sensor's signatures, loaded at the
	 * first capture, and the name detections carry as their host. */
	struct net_sigset *sigs;
	int		 sigs_tried;
	const char	*sensor_host;
	const char	*capture;	/* the file being read */
	const struct net_sensor_conf *sensor;	/* the sensor: settings */
};

/* Whether a plain line may start with a syslog timestamp: "Mmm dd
 * hh:mm:ss" or an ISO date. */
static int
syslog_shaped(const char *l, size_t len)
{
	if (len > 15 && l[3] == ' ' && l[6] == ' ' && l[9] == ':' &&
	    l[12] == ':')
		return 1;
	return len > 10 && l[4] == '-' && l[7] == '-' &&
	    l[0] >= '0' && l[0] <= '9';
}

static void analyze_text(struct run *run, const char *file, const char *text,
    size_t tlen, int64_t t);

static void
one_line(struct run *run, const char *file, enum fmt fmt, char *line,
    size_t len)
{
	static char rebuilt[LINE_MAX_BYTES + 256];
	struct event *ev;
	const char *text = line;
	size_t tlen = len;
	int64_t t = run->last_t;

	/* The line's own time, for correlation; any syslog shape. */
	if (fmt == FMT_PLAIN && len > 15 && run->stamp[0] != '\0' &&
	    memcmp(line, run->stamp, 15) == 0)
		t = run->stamp_t;
	else if (fmt == FMT_PLAIN && !syslog_shaped(line, len))
		;	/* a web log or such: no time a syslog parser reads */
	else if ((ev = event_new((const uint8_t *)line, len,
	    SYSLOG_PARSE_EXTRA)) != NULL) {
		ev->recv_ns = run->last_t;
		snprintf(ev->src, sizeof(ev->src), "%s", "localhost");
		if (syslog_parse(ev, NULL) == 0) {
			if (ev->flags & EVENT_F_HAS_TS) {
				t = ev->ts_ns;
				/* A BSD stamp names the second: remember it. */
				if (fmt == FMT_PLAIN && len > 15 &&
				    ev->format == EVENT_FMT_3164 &&
				    line[3] == ' ' && line[6] == ' ' &&
				    line[9] == ':' && line[12] == ':') {
					memcpy(run->stamp, line, 15);
					run->stamp[15] = '\0';
					run->stamp_t = t;
				}
			}
			if (fmt != FMT_PLAIN &&
			    ev->format != EVENT_FMT_UNPARSED) {
				tlen = rules_event_line(ev, rebuilt,
				    sizeof(rebuilt));
				text = rebuilt;
			}
		}
		event_free(ev);
	}
	run->last_t = t;
	analyze_text(run, file, text, tlen, t);
}

/* One line for the rules, at time t, from file. */
static void
analyze_text(struct run *run, const char *file, const char *text,
    size_t tlen, int64_t t)
{
	struct rules_result res;

	run->sum.lines++;
	rules_process(run->ctx, text, tlen, file, t, &res);
	if (!res.alert)
		return;
	run->sum.alerts++;
	{
		char id[16];

		snprintf(id, sizeof(id), "%u", res.rule_id);
		tally_add(&run->sum.rules, &run->sum.nrules,
		    &run->sum.caprules, id, res.description, res.level);
	}
	if (res.fields[RULES_F_SRCIP] != NULL)
		tally_add(&run->sum.srcs, &run->sum.nsrcs, &run->sum.capsrcs,
		    res.fields[RULES_F_SRCIP], NULL, 0);
	if (run->mgr != NULL) {
		struct incmgr_alert a;
		int r;

		incmgr_alert_from_result(&a, &res, t);
		if ((r = incmgr_add(run->mgr, &a, NULL)) != 0 &&
		    run->mgr_err == 0)
			run->mgr_err = r;
		return;
	}
	if (run->json)
		cli_alert_json(&res, t, res.hostname);
	else
		cli_alert_print(&res, t, file);
}

/* A detection of the sensor, as the event line the rules see. */
static void
sensor_event(void *arg, const struct net_detection *d, const char *msg,
    size_t len)
{
	struct run *run = arg;
	char line[1400];
	size_t n;

	n = net_sensor_line(d, msg, len, run->sensor_host, line, sizeof(line));
	analyze_text(run, run->capture, line, n, d->ts_ns);
}

/* A capture file through the sensor; its detections through the rules. */
static int
analyze_capture(struct run *run, const char *path)
{
	const struct net_sensor_conf *sc = run->sensor;
	struct net_sensor *sn;
	const char *sigpath = sc->signatures_path;
	char err[1024], dir[4096];
	int r;

	if (!run->sigs_tried && sc->signatures) {
		run->sigs_tried = 1;
		if (sigpath == NULL && file_bundled_path("MAMORI_NET_RULES",
		    "rules/network", dir, sizeof(dir)) == 0)
			sigpath = dir;
		if (sigpath != NULL && net_sig_load(sigpath, sc->vars,
		    &run->sigs, err, sizeof(err)) != 0) {
			fprintf(stderr, "mamori analyze: %s\n", err);
			return 1;
		}
	}
	if ((sn = net_sensor_new(&sc->flows, sc->detect, run->sigs,
	    sensor_event, run, NULL)) == NULL) {
		fprintf(stderr, "mamori analyze: out of memory\n");
		return 1;
	}
	run->capture = path;
	r = net_sensor_read_file(sn, path, err, sizeof(err));
	net_sensor_free(sn);
	if (r != 0) {
		fprintf(stderr, "mamori analyze: %s\n", err);
		return 1;
	}
	return 0;
}

static int
analyze_file(struct run *run, const char *path)
{
	static char buf[LINE_MAX_BYTES];
	struct stat st;
	enum fmt fmt;
	gzFile g;
	size_t len;
	int skipping = 0;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "mamori analyze: %s: %s\n", path,
		    errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	if (net_sensor_is_capture(path))
		return analyze_capture(run, path);
	if ((g = gzopen(path, "rb")) == NULL) {
		fprintf(stderr, "mamori analyze: %s: cannot open: %s\n", path,
		    strerror(errno));
		return 1;
	}
	gzbuffer(g, 256 * 1024);
	fmt = detect(g, buf, sizeof(buf));
	/* Lines without a time of their own correlate at the file's
	 * modification time, or the last time seen before them. */
	run->last_t = (int64_t)st.st_mtime * NS_PER_SEC;
	while (gzgets(g, buf, sizeof(buf)) != NULL) {
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n') {
			buf[--len] = '\0';
			if (skipping) {
				/* The tail of an overlong line. */
				skipping = 0;
				continue;
			}
		} else if (!gzeof(g)) {
			/* Longer than LINE_MAX_BYTES: analysed cut. */
			skipping = 1;
		}
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if (len == 0)
			continue;
		one_line(run, path, fmt, buf, len);
	}
	if (!gzeof(g)) {
		int zerr;
		const char *m = gzerror(g, &zerr);

		fprintf(stderr, "mamori analyze: %s: read error: %s\n", path,
		    m);
		gzclose(g);
		return 1;
	}
	gzclose(g);
	return 0;
}

static int
incident_print(void *arg, const struct incident *inc)
{
	struct run *run = arg;
	char t1[40], t2[40];
	json_t *j;
	size_t i, n;

	if (run->json) {
		if ((j = incident_json(inc)) == NULL)
			return MAMORI_ENOMEM;
		json_dumpf(j, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(j);
		return 0;
	}
	time_format_rfc3339(inc->first_seen_ns, 0, 0, t1, sizeof(t1));
	time_format_rfc3339(inc->last_seen_ns, 0, 0, t2, sizeof(t2));
	printf("incident %" PRId64 ": ", inc->id);
	cli_put_vis(stdout, inc->title);
	printf("\n  category %s (RSIT %s/%s), "
	    "impact %s, severity %s, %" PRIu64 " alerts, %s .. %s\n",
	    inc->category,
	    inc->rsit_class ? inc->rsit_class : "-",
	    inc->rsit_type ? inc->rsit_type : "-",
	    inc_impact_name(inc->impact), inc_severity_name(inc->severity),
	    inc->alert_count, t1, t2);
	for (int role = INC_ATTACKER; role <= INC_VICTIM; role++) {
		printf("  %s", role == INC_ATTACKER ? "attackers:" :
		    "victims:  ");
		for (i = 0, n = 0; i < inc->nparties; i++) {
			if ((int)inc->parties[i].role != role)
				continue;
			if (n++ < 10) {
				putchar(' ');
				if (inc->parties[i].kind == INC_PARTY_USER)
					fputs("user ", stdout);
				cli_put_vis(stdout, inc->parties[i].value);
			}
		}
		if (n > 10)
			printf(" (and %zu more)", n - 10);
		if (n == 0)
			fputs(" -", stdout);
		putchar('\n');
	}
	return 0;
}

/* Incidents formed in an in-memory database, printed oldest first. */
static int
incidents_start(struct run *run, struct db **db, struct incident_env *env,
    const struct config *conf)
{
	char err[1024];

	if (incident_env_load(conf->incidents, env, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori analyze: %s\n", err);
		return 2;
	}
	if ((*db = db_open(":memory:", 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori analyze: %s\n", err);
		return 2;
	}
	if ((run->mgr = incmgr_new(db_sqlite(*db), conf->incidents, env->tax,
	    env->pb, NULL, NULL)) == NULL) {
		fprintf(stderr, "mamori analyze: out of memory\n");
		return 2;
	}
	return 0;
}

static int
incidents_finish(struct run *run, struct db *db)
{
	struct inc_filter f;
	struct incmgr_stats st;
	int r;

	if (run->mgr_err == 0)
		run->mgr_err = incmgr_flush(run->mgr);
	if (run->mgr_err != 0) {
		fprintf(stderr, "mamori analyze: incidents: %s\n",
		    mamori_strerror(run->mgr_err));
		return 1;
	}
	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.oldest_first = 1;
	if ((r = incident_list(db_sqlite(db), &f, incident_print, run)) != 0) {
		fprintf(stderr, "mamori analyze: incidents: %s\n",
		    mamori_strerror(r));
		return 1;
	}
	incmgr_stats(run->mgr, &st);
	fprintf(run->json ? stderr : stdout, "%s%" PRIu64 " lines, %" PRIu64
	    " alerts, %" PRIu64 " incidents (%" PRIu64 " alerts in them, "
	    "%" PRIu64 " below incidents.join_level, %" PRIu64 " held without "
	    "one)\n", run->json ? "" : "\n", run->sum.lines, run->sum.alerts,
	    st.created, st.joined, st.ignored, st.held);
	return 0;
}

int
cmd_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "no-summary", no_argument, NULL, 'n' },
		{ "incidents", no_argument, NULL, 'I' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_set *rs;
	struct run run;
	struct config conf;
	struct incident_env env;
	struct db *db = NULL;
	char **paths, *host = NULL, *config = NULL, err[1024];
	int ch, npaths = 0, nosum = 0, rc = 0, i, incidents = 0;

	memset(&run, 0, sizeof(run));
	if ((paths = calloc((size_t)argc + 1, sizeof(*paths))) == NULL)
		return 2;
	while ((ch = getopt_long(argc, argv, "r:jH:nIc:h", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'r':
			paths[npaths++] = optarg;
			break;
		case 'j':
			run.json = 1;
			break;
		case 'H':
			host = optarg;
			break;
		case 'n':
			nosum = 1;
			break;
		case 'I':
			incidents = 1;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(paths);
			return 0;
		default:
			fprintf(stderr, "%.*s", (int)(strstr(usage_text,
			    "\n\n") - usage_text + 1), usage_text);
			free(paths);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "mamori analyze: name at least one log file\n");
		free(paths);
		return 2;
	}
	rs = cli_ruleset_load(paths, npaths, "mamori analyze");
	free(paths);
	if (rs == NULL)
		return 2;
	if ((run.ctx = rules_ctx_new(rs)) == NULL) {
		fprintf(stderr, "mamori analyze: out of memory\n");
		rules_set_free(rs);
		return 2;
	}
	if (host != NULL)
		rules_ctx_set_hostname(run.ctx, host);
	run.sensor_host = host != NULL ? host : "sensor";
	memset(&env, 0, sizeof(env));
	if (config_init(&conf) != 0) {
		rc = 2;
		goto out;
	}
	if (config != NULL && config_load(&conf, config, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mamori analyze: %s\n", err);
		rc = 2;
		goto out;
	}
	run.sensor = conf.sensor;
	if (host == NULL && conf.sensor->hostname != NULL)
		run.sensor_host = conf.sensor->hostname;
	if (incidents && (rc = incidents_start(&run, &db, &env, &conf)) != 0)
		goto out;
	for (i = optind; i < argc; i++)
		if (analyze_file(&run, argv[i]) != 0)
			rc = 1;
	if (incidents && incidents_finish(&run, db) != 0)
		rc = 1;
	fflush(stdout);
	if (!nosum && !incidents)
		summary_print(run.json ? stderr : stdout, &run.sum);
 out:
	incmgr_free(run.mgr);
	db_close(db);
	incident_env_release(&env);
	config_release(&conf);
	summary_free(&run.sum);
	rules_ctx_free(run.ctx);
	rules_set_free(rs);
	net_sigset_free(run.sigs);
	return rc;
}
