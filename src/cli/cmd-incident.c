/*
 * cmd-incident.c - `mamori incident`: the incidents in mamori.db, from a
 * terminal.  The web console calls the same library functions.
 *
 *   mamori incident list [--status S|open|all] [--category C] [--json]
 *   mamori incident show ID [--json]
 *   mamori incident set ID --status S [--note T] | --assignee U |
 *       --impact L | --severity N
 *   mamori incident note ID TEXT
 *   mamori incident step ID N done|skip|open [--note TEXT]
 *   mamori incident evidence ID --hash H | --capture C | --file F |
 *       --log SEQ [--note TEXT]
 *   mamori incident merge ID ID...
 *   mamori incident export ID --format iodef|json|md [--output FILE]
 *   mamori incident report --from CONTACT --text TEXT [--category C]
 *       [--attacker ADDR]... [--victim HOST]...
 *   mamori incident import FILE [--from CONTACT]
 *
 * Common options: --data DIR (default ./mamori-data), --config FILE (for
 * incidents: settings), --user NAME (who acts; default the login name).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli-common.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"
#include "incident/incmgr.h"
#include "incident/playbook.h"
#include "incident/taxonomy.h"
#include "store/db.h"
#include "store/logsearch.h"

#define PROG	"mamori incident"

static const char usage_text[] =
"usage: mamori incident <command> [options]\n"
"\n"
"  list [--status S|open|all] [--category C] [--limit N] [--json]\n"
"  show ID [--json]\n"
"  set ID --status S [--note TEXT] | --assignee USER | --impact LEVEL |\n"
"         --severity N\n"
"  note ID TEXT\n"
"  step ID N done|skip|open [--note TEXT]\n"
"  evidence ID --hash H | --capture C | --file PATH | --log SEQ\n"
"           [--note TEXT]\n"
"  merge ID ID...            merge the others into the first\n"
"  export ID --format iodef|json|md [--output FILE]\n"
"         [--restriction TLP]    IODEF restriction (default amber)\n"
"  report --from CONTACT --text TEXT [--category C] [--attacker ADDR]...\n"
"         [--victim HOST]...\n"
"  import FILE [--from CONTACT]   an IODEF (XML) or JSON report\n"
"\n"
"Options for all: --data DIR (default ./mamori-data), --config FILE,\n"
"--user NAME (who acts; default the login name).\n"
"\n"
"Statuses: new triage containment eradication recovery closed\n"
"false-positive.  Impact: internal external infrastructure.  Severity:\n"
"low medium high critical (or 1-4).\n";

struct ictx {
	struct config	 conf;
	struct db	*db;
	sqlite3		*h;
	struct incident_env env;
	int		 have_env;
	const char	*user;
	int		 json;
};

static int
usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", PROG);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see 'mamori incident --help')\n");
	return 2;
}

/* Opens the database (created if absent) and, with env, the taxonomy
 * and playbooks. */
static int
ctx_open(struct ictx *x, const char *data, const char *config, int env)
{
	char path[4096], err[1024];
	int r;

	if ((r = config_init(&x->conf)) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	if (config != NULL &&
	    config_load(&x->conf, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (data == NULL)
		data = x->conf.data_dir;
	if (mkdir(data, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: cannot create: %s\n", PROG, data,
		    strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/mamori.db", data);
	if ((x->db = db_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	x->h = db_sqlite(x->db);
	if (env) {
		if (incident_env_load(x->conf.incidents, &x->env, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "%s: %s\n", PROG, err);
			return 1;
		}
		x->have_env = 1;
	}
	return 0;
}

static void
ctx_close(struct ictx *x)
{
	if (x->have_env)
		incident_env_release(&x->env);
	db_close(x->db);
	config_release(&x->conf);
}

/* "mamori incident: incident 12: no such incident" and the like. */
static int
report_err(int r, int64_t id, const char *what)
{
	switch (r) {
	case 0:
		return 0;
	case MAMORI_ENOTFOUND:
		fprintf(stderr, "%s: incident %" PRId64 ": no such %s\n", PROG,
		    id, what);
		break;
	case MAMORI_EINVAL:
		fprintf(stderr, "%s: incident %" PRId64 ": cannot change it: it "
		    "was merged into another (or the value is invalid)\n",
		    PROG, id);
		break;
	default:
		fprintf(stderr, "%s: incident %" PRId64 ": %s\n", PROG, id,
		    mamori_strerror(r));
	}
	return 1;
}

/*
 * s escaped for a terminal (what logs and reports wrote is shown, never
 * obeyed): one of a few rotating buffers, so that several may be used in
 * one printf; cut at VIS_MAX bytes of input.
 */
#define VIS_MAX	1024
static const char *
v(const char *s)
{
	static char bufs[8][4 * VIS_MAX + 1];
	static int next;
	char *b;
	size_t n;

	if (s == NULL)
		return "-";
	b = bufs[next++ % 8];
	n = logsearch_vis(b, (const uint8_t *)s, strnlen(s, VIS_MAX));
	b[n] = '\0';
	return b;
}

static const char *
fmt_time(int64_t ns, char *buf, size_t len)
{
	if (ns == 0)
		return "-";
	time_format_rfc3339(ns, 0, 0, buf, len);
	return buf;
}

/* A party list of one role as "a, b, c" (at most max shown). */
static void
print_parties(FILE *f, const struct incident *inc, enum inc_role role,
    size_t max)
{
	size_t i, shown = 0, total = 0;

	for (i = 0; i < inc->nparties; i++) {
		if (inc->parties[i].role != role)
			continue;
		if (shown < max) {
			fprintf(f, "%s%s%s%s", shown > 0 ? ", " : "",
			    inc->parties[i].kind == INC_PARTY_USER ? "user " :
			    "", v(inc->parties[i].value),
			    inc->parties[i].internal &&
			    inc->parties[i].kind == INC_PARTY_IP ?
			    " (internal)" : "");
			shown++;
		}
		total++;
	}
	if (total > shown)
		fprintf(f, ", and %zu more", total - shown);
	if (total == 0)
		fprintf(f, "-");
}

static int
print_json(const struct incident *inc, int indent)
{
	json_t *j;

	if ((j = incident_json(inc)) == NULL)
		return MAMORI_ENOMEM;
	json_dumpf(j, stdout, indent ? JSON_INDENT(2) : JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(j);
	return 0;
}

static int
list_cb(void *arg, const struct incident *inc)
{
	struct ictx *x = arg;
	char t[40];

	if (x->json)
		return print_json(inc, 0);
	printf("%6" PRId64 "  %-14s %-14s %-8s %-8s %7" PRIu64 "  %s  %s\n",
	    inc->id, inc_status_name(inc->status), inc->category,
	    inc_impact_name(inc->impact), inc_severity_name(inc->severity),
	    inc->alert_count, fmt_time(inc->last_seen_ns, t, sizeof(t)),
	    v(inc->title));
	return 0;
}

static int
do_list(struct ictx *x, const char *status, const char *category,
    size_t limit)
{
	struct inc_filter f;
	int r;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.category = category;
	f.limit = limit;
	if (status != NULL && strcmp(status, "all") == 0) {
		f.status = -1;
		f.include_merged = 1;
	}
	else if (status != NULL && strcmp(status, "open") == 0)
		f.status = INC_NSTATUS;
	else if (status != NULL && (f.status = inc_status_parse(status)) < 0)
		return usage_err("unknown status '%s'", status);
	if (!x->json)
		printf("%6s  %-14s %-14s %-8s %-8s %7s  %-20s  %s\n", "ID",
		    "STATUS", "CATEGORY", "IMPACT", "SEVERITY", "ALERTS",
		    "LAST SEEN", "TITLE");
	if ((r = incident_list(x->h, &f, list_cb, x)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, mamori_strerror(r));
		return 1;
	}
	return 0;
}

static int
do_show(struct ictx *x, int64_t id)
{
	struct incident inc;
	const struct tax_category *cat = NULL;
	char t1[40], t2[40];
	size_t i;
	int r;

	if ((r = incident_get(x->h, id, &inc)) != 0)
		return report_err(r, id, "incident");
	if (x->json) {
		r = print_json(&inc, 1);
		incident_release(&inc);
		return r == 0 ? 0 : 1;
	}
	if (x->have_env)
		cat = taxonomy_get(x->env.tax, inc.category);
	printf("Incident %" PRId64 ": %s\n", inc.id, v(inc.title));
	printf("  status     %s%s", inc_status_name(inc.status),
	    inc.merged_into != 0 ? "" : "\n");
	if (inc.merged_into != 0)
		printf(" (merged into %" PRId64 ")\n", inc.merged_into);
	printf("  category   %s", inc.category);
	if (cat != NULL)
		printf(" - %s (RSIT %s/%s)", cat->name, cat->rsit_class,
		    cat->rsit_type);
	printf("\n  impact     %s\n  severity   %s\n  assignee   %s\n",
	    inc_impact_name(inc.impact), inc_severity_name(inc.severity),
	    v(inc.assignee));
	if (inc.reporter != NULL)
		printf("  reporter   %s\n", v(inc.reporter));
	printf("  seen       %s .. %s\n  alerts     %" PRIu64 "\n",
	    fmt_time(inc.first_seen_ns, t1, sizeof(t1)),
	    fmt_time(inc.last_seen_ns, t2, sizeof(t2)), inc.alert_count);
	printf("  attackers  ");
	print_parties(stdout, &inc, INC_ATTACKER, 20);
	printf("\n  victims    ");
	print_parties(stdout, &inc, INC_VICTIM, 20);
	printf("\n");
	if (inc.summary != NULL)
		printf("\nSummary:\n  %s\n", v(inc.summary));
	if (inc.nsteps > 0)
		printf("\nPlaybook %s:\n", inc.playbook != NULL ?
		    inc.playbook : "");
	for (i = 0; i < inc.nsteps; i++) {
		printf("  %2d [%c] %s", inc.steps[i].n,
		    inc.steps[i].state == INC_STEP_DONE ? 'x' :
		    inc.steps[i].state == INC_STEP_SKIPPED ? '-' : ' ',
		    v(inc.steps[i].title));
		if (inc.steps[i].state != INC_STEP_OPEN)
			printf("  (%s by %s, %s%s%s)",
			    inc_step_state_name(inc.steps[i].state),
			    v(inc.steps[i].who),
			    fmt_time(inc.steps[i].at_ns, t1, sizeof(t1)),
			    inc.steps[i].note != NULL ? ": " : "",
			    inc.steps[i].note != NULL ? v(inc.steps[i].note) : "");
		printf("\n");
	}
	if (inc.nevidence > 0)
		printf("\nEvidence:\n");
	for (i = 0; i < inc.nevidence; i++)
		printf("  %-8s %s%s%s  (%s, %s)\n",
		    inc_evidence_kind_name(inc.evidence[i].kind),
		    v(inc.evidence[i].value), inc.evidence[i].note ? " - " : "",
		    inc.evidence[i].note ? v(inc.evidence[i].note) : "",
		    v(inc.evidence[i].who),
		    fmt_time(inc.evidence[i].at_ns, t1, sizeof(t1)));
	if (inc.nalerts > 0)
		printf("\nAlerts (%zu of %" PRIu64 " shown):\n", inc.nalerts,
		    inc.alert_count);
	for (i = 0; i < inc.nalerts; i++) {
		printf("  %s  rule %u (level %d) %s", fmt_time(
		    inc.alerts[i].time_ns, t1, sizeof(t1)),
		    inc.alerts[i].rule_id, inc.alerts[i].level,
		    v(inc.alerts[i].description));
		if (inc.alerts[i].log_seq != 0)
			printf("  [log %" PRIu64 "]", inc.alerts[i].log_seq);
		printf("\n");
	}
	printf("\nTimeline:\n");
	for (i = 0; i < inc.ntimeline; i++)
		printf("  %s  %-10s %-9s %s\n", fmt_time(inc.timeline[i].at_ns,
		    t1, sizeof(t1)), v(inc.timeline[i].who), v(inc.timeline[i].kind),
		    v(inc.timeline[i].text));
	incident_release(&inc);
	return 0;
}

static const struct playbook *
playbook_of(struct ictx *x, int64_t id)
{
	struct incident inc;
	const struct playbook *pb = NULL;

	if (!x->have_env || incident_get(x->h, id, &inc) != 0)
		return NULL;
	if (inc.playbook != NULL)
		pb = playbook_get(x->env.pb, inc.playbook);
	else
		pb = playbook_for(x->env.pb, inc.category);
	incident_release(&inc);
	return pb;
}

static int
do_set(struct ictx *x, int64_t id, const char *status, const char *note,
    const char *assignee, const char *impact, const char *severity)
{
	int v, r = 0, n = 0;

	n = (status != NULL) + (assignee != NULL) + (impact != NULL) +
	    (severity != NULL);
	if (n == 0)
		return usage_err("%s", "set: give --status, --assignee, "
		    "--impact or --severity");
	/* Every value is checked before anything changes. */
	if (status != NULL && inc_status_parse(status) < 0)
		return usage_err("unknown status '%s' (new, triage, "
		    "containment, eradication, recovery, closed, "
		    "false-positive)", status);
	if (impact != NULL && inc_impact_parse(impact) < 0)
		return usage_err("unknown impact '%s' (internal, external, "
		    "infrastructure)", impact);
	if (severity != NULL && inc_severity_parse(severity) < 0)
		return usage_err("unknown severity '%s' (low, medium, high, "
		    "critical or 1-4)", severity);
	if (status != NULL) {
		v = inc_status_parse(status);
		if ((r = incident_set_status(x->h, id, v, x->user, note)) != 0)
			return report_err(r, id, "incident");
	}
	if (assignee != NULL &&
	    (r = incident_set_assignee(x->h, id, assignee, x->user)) != 0)
		return report_err(r, id, "incident");
	if (impact != NULL) {
		v = inc_impact_parse(impact);
		if ((r = incident_set_impact(x->h, id, v, x->user, note)) != 0)
			return report_err(r, id, "incident");
		if ((r = incident_steps_sync(x->h, id, playbook_of(x, id),
		    x->user)) != 0)
			return report_err(r, id, "incident");
	}
	if (severity != NULL) {
		v = inc_severity_parse(severity);
		if ((r = incident_set_severity(x->h, id, v, x->user)) != 0)
			return report_err(r, id, "incident");
	}
	return 0;
}

static int
do_export(struct ictx *x, int64_t id, const char *format, const char *out,
    const char *restriction)
{
	struct incident inc;
	struct export_meta m;
	char *buf = NULL, text[256];
	size_t len = 0;
	FILE *f;
	int r;

	if (format == NULL)
		return usage_err("%s", "export: give --format iodef, json or md");
	if ((r = incident_get(x->h, id, &inc)) != 0)
		return report_err(r, id, "incident");
	memset(&m, 0, sizeof(m));
	m.org_name = x->conf.incidents->org_name;
	m.org_email = x->conf.incidents->org_email;
	m.restriction = restriction;
	if (strcmp(format, "iodef") == 0)
		r = incident_export_iodef(&inc, &m, &buf, &len);
	else if (strcmp(format, "json") == 0)
		r = incident_export_json(&inc, &buf, &len);
	else if (strcmp(format, "md") == 0 || strcmp(format, "markdown") == 0)
		r = incident_export_md(&inc, &m, &buf, &len);
	else {
		incident_release(&inc);
		return usage_err("unknown format '%s' (iodef, json, md)",
		    format);
	}
	incident_release(&inc);
	if (r == MAMORI_EINVAL)
		return usage_err("export: unknown restriction '%s' (public, "
		    "partner, need-to-know, private, default, white, green, "
		    "amber, red)", restriction != NULL ? restriction : "");
	if (r != 0) {
		fprintf(stderr, "%s: export: %s\n", PROG, mamori_strerror(r));
		return 1;
	}
	if (out != NULL) {
		int bad;

		if ((f = fopen(out, "w")) == NULL)
			bad = 1;
		else {
			bad = fwrite(buf, 1, len, f) != len;
			bad |= fclose(f) != 0;
		}
		if (bad) {
			fprintf(stderr, "%s: %s: %s\n", PROG, out,
			    strerror(errno));
			free(buf);
			return 1;
		}
	} else if (fwrite(buf, 1, len, stdout) != len) {
		free(buf);
		return 1;
	}
	free(buf);
	snprintf(text, sizeof(text), "exported as %s%s%s", format,
	    out != NULL ? " to " : "", out != NULL ? out : "");
	if ((r = incident_log(x->h, id, "export", text, x->user)) != 0)
		return report_err(r, id, "incident");
	return 0;
}

/* Stores a report from outside: category, internal flags, playbook. */
static int
store_report(struct ictx *x, struct incident *inc, const char *category)
{
	const struct tax_category *cat = NULL;
	const struct incident_conf *c = x->conf.incidents;
	size_t i;
	int r;

	if (category != NULL) {
		free(inc->category);
		inc->category = strdup(category);
	}
	if (category != NULL &&
	    (cat = taxonomy_get(x->env.tax, category)) == NULL) {
		fprintf(stderr, "%s: unknown category '%s' (see "
		    "etc/taxonomy.json)\n", PROG, category);
		return 1;
	}
	/* A category the report names but our taxonomy lacks (a peer's
	 * own) gives way to its RSIT class and type. */
	if (cat == NULL && inc->category != NULL)
		cat = taxonomy_get(x->env.tax, inc->category);
	if (cat == NULL)
		cat = taxonomy_from_rsit(x->env.tax, inc->rsit_class,
		    inc->rsit_type);
	if (cat == NULL)
		cat = taxonomy_fallback(x->env.tax);
	free(inc->category);
	free(inc->rsit_class);
	free(inc->rsit_type);
	inc->rsit_class = strdup(cat->rsit_class);
	inc->rsit_type = strdup(cat->rsit_type);
	if ((inc->category = strdup(cat->id)) == NULL ||
	    inc->rsit_class == NULL || inc->rsit_type == NULL)
		return 1;
	for (i = 0; i < inc->nparties; i++)
		if (inc->parties[i].kind == INC_PARTY_IP)
			inc->parties[i].internal = inc_prefix_match(c->internal,
			    c->ninternal, inc->parties[i].value);
	free(inc->source);
	inc->source = strdup("report");
	if ((r = incident_create(x->h, inc, playbook_for(x->env.pb,
	    "report"), x->user)) != 0) {
		fprintf(stderr, "%s: cannot record the report: %s\n", PROG,
		    mamori_strerror(r));
		return 1;
	}
	/* The category's own steps follow the report's. */
	if ((r = incident_steps_sync(x->h, inc->id, playbook_for(x->env.pb,
	    cat->id), x->user)) != 0)
		return report_err(r, inc->id, "incident");
	if (x->json)
		printf("{\"id\":%" PRId64 "}\n", inc->id);
	else
		printf("incident %" PRId64 " recorded: %s (%s)\n", inc->id,
		    v(inc->title), cat->id);
	return 0;
}

static int
add_party(struct incident *inc, enum inc_role role, const char *value)
{
	struct inc_party *p;
	struct respond_addr pf;

	if ((p = reallocarray(inc->parties, inc->nparties + 1,
	    sizeof(*p))) == NULL)
		return MAMORI_ENOMEM;
	inc->parties = p;
	p = &inc->parties[inc->nparties];
	memset(p, 0, sizeof(*p));
	p->role = role;
	p->kind = inc_prefix_parse(value, &pf) == 0 &&
	    strchr(value, '/') == NULL ? INC_PARTY_IP : INC_PARTY_HOST;
	if ((p->value = strdup(value)) == NULL)
		return MAMORI_ENOMEM;
	inc->nparties++;
	return 0;
}

static int
do_report(struct ictx *x, const char *from, const char *text,
    const char *category, char **attackers, size_t na, char **victims,
    size_t nv)
{
	struct incident inc;
	char err[512];
	size_t i;
	int r;

	if (from == NULL || text == NULL)
		return usage_err("%s", "report: give --from CONTACT and "
		    "--text TEXT");
	if ((r = incident_import_text(from, text, &inc, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "%s: report: %s\n", PROG, err);
		return 1;
	}
	for (i = 0; i < na; i++)
		add_party(&inc, INC_ATTACKER, attackers[i]);
	for (i = 0; i < nv; i++)
		add_party(&inc, INC_VICTIM, victims[i]);
	r = store_report(x, &inc, category);
	incident_release(&inc);
	return r;
}

static int
do_import(struct ictx *x, const char *file, const char *from,
    const char *category)
{
	struct incident inc;
	char *buf, err[1024];
	size_t len;
	int r;

	if ((r = file_read_all(file, IMPORT_MAX_BYTES, &buf, &len)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, file,
		    r == MAMORI_ESYS ? strerror(errno) : mamori_strerror(r));
		return 1;
	}
	r = incident_import(buf, len, file, &inc, err, sizeof(err));
	free(buf);
	if (r != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return 1;
	}
	if (from != NULL) {
		free(inc.reporter);
		inc.reporter = strdup(from);
	}
	if (inc.reporter == NULL)
		inc.reporter = strdup(file);
	r = store_report(x, &inc, category);
	incident_release(&inc);
	return r;
}

int
cmd_incident(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "category", required_argument, NULL, 'C' },
		{ "limit", required_argument, NULL, 'l' },
		{ "note", required_argument, NULL, 'n' },
		{ "assignee", required_argument, NULL, 'a' },
		{ "impact", required_argument, NULL, 'i' },
		{ "severity", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "restriction", required_argument, NULL, 'R' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, 'F' },
		{ "text", required_argument, NULL, 't' },
		{ "attacker", required_argument, NULL, 'A' },
		{ "victim", required_argument, NULL, 'V' },
		{ "hash", required_argument, NULL, 'H' },
		{ "capture", required_argument, NULL, 'P' },
		{ "file", required_argument, NULL, 'I' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ictx x;
	char actor[256];
	const char *data = NULL, *config = NULL, *status = NULL;
	const char *category = NULL, *note = NULL, *assignee = NULL;
	const char *impact = NULL, *severity = NULL, *format = NULL;
	const char *output = NULL, *from = NULL, *text = NULL, *cmd;
	const char *ev_value = NULL, *restriction = NULL;
	char **attackers = NULL, **victims = NULL;
	size_t na = 0, nv = 0, limit = 0;
	int64_t id = 0, *ids = NULL;
	int ch, rc, r, ev_kind = -1, i, n;

	memset(&x, 0, sizeof(x));
	cli_actor(actor, sizeof(actor));
	x.user = actor;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
	if ((attackers = calloc((size_t)argc + 1, sizeof(*attackers))) ==
	    NULL || (victims = calloc((size_t)argc + 1, sizeof(*victims))) ==
	    NULL) {
		free(attackers);
		return 1;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:u:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'c': config = optarg; break;
		case 'u': x.user = optarg; break;
		case 'j': x.json = 1; break;
		case 's': status = optarg; break;
		case 'C': category = optarg; break;
		case 'l': limit = (size_t)strtoul(optarg, NULL, 10); break;
		case 'n': note = optarg; break;
		case 'a': assignee = optarg; break;
		case 'i': impact = optarg; break;
		case 'S': severity = optarg; break;
		case 'f': format = optarg; break;
		case 'R': restriction = optarg; break;
		case 'o': output = optarg; break;
		case 'F': from = optarg; break;
		case 't': text = optarg; break;
		case 'A': attackers[na++] = optarg; break;
		case 'V': victims[nv++] = optarg; break;
		case 'H': ev_kind = INC_EV_HASH; ev_value = optarg; break;
		case 'P': ev_kind = INC_EV_CAPTURE; ev_value = optarg; break;
		case 'I': ev_kind = INC_EV_FILE; ev_value = optarg; break;
		case 'L': ev_kind = INC_EV_LOG; ev_value = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			rc = 0;
			goto out;
		default:
			rc = 2;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	rc = 2;
	/* Commands that take an incident id first. */
	if (strcmp(cmd, "list") != 0 && strcmp(cmd, "report") != 0 &&
	    strcmp(cmd, "import") != 0) {
		if (argc < 1) {
			rc = usage_err("%s: give an incident id", cmd);
			goto out;
		}
		if (cli_parse_id(argv[0], &id) != 0) {
			rc = usage_err("'%s' is not an incident id", argv[0]);
			goto out;
		}
	}
	if (ctx_open(&x, data, config, 1) != 0) {
		rc = 1;
		goto close;
	}
	if (strcmp(cmd, "list") == 0)
		rc = do_list(&x, status, category, limit);
	else if (strcmp(cmd, "show") == 0)
		rc = do_show(&x, id);
	else if (strcmp(cmd, "set") == 0)
		rc = do_set(&x, id, status, note, assignee, impact, severity);
	else if (strcmp(cmd, "note") == 0) {
		if (argc < 2)
			rc = usage_err("%s", "note: give ID and TEXT");
		else
			rc = report_err(incident_add_note(x.h, id, argv[1],
			    x.user), id, "incident");
	} else if (strcmp(cmd, "step") == 0) {
		int state;

		if (argc < 3) {
			rc = usage_err("%s", "step: give ID N done|skip|open");
			goto close;
		}
		n = atoi(argv[1]);
		if (strcmp(argv[2], "done") == 0)
			state = INC_STEP_DONE;
		else if (strcmp(argv[2], "skip") == 0 ||
		    strcmp(argv[2], "skipped") == 0)
			state = INC_STEP_SKIPPED;
		else if (strcmp(argv[2], "open") == 0)
			state = INC_STEP_OPEN;
		else {
			rc = usage_err("step: '%s' is not done, skip or open",
			    argv[2]);
			goto close;
		}
		rc = report_err(incident_set_step(x.h, id, n, state, note,
		    x.user), id, "step");
	} else if (strcmp(cmd, "evidence") == 0) {
		if (ev_kind < 0 && note != NULL) {
			ev_kind = INC_EV_NOTE;
			ev_value = note;
			note = NULL;
		}
		if (ev_kind < 0)
			rc = usage_err("%s", "evidence: give --hash, --capture, "
			    "--file, --log or --note");
		else
			rc = report_err(incident_add_evidence(x.h, id, ev_kind,
			    ev_value, note, x.user), id, "incident");
	} else if (strcmp(cmd, "merge") == 0) {
		if (argc < 2) {
			rc = usage_err("%s", "merge: give the incident to keep "
			    "and one or more to merge into it");
			goto close;
		}
		if ((ids = calloc((size_t)argc, sizeof(*ids))) == NULL)
			goto close;
		for (i = 1; i < argc; i++)
			if (cli_parse_id(argv[i], &ids[i - 1]) != 0) {
				rc = usage_err("'%s' is not an incident id",
				    argv[i]);
				goto close;
			}
		r = incident_merge(x.h, id, ids, (size_t)argc - 1, x.user);
		if (r == MAMORI_EINVAL)
			fprintf(stderr, "%s: merge: an incident cannot be "
			    "merged into itself, and a merged one cannot be "
			    "merged again\n", PROG);
		rc = r == MAMORI_EINVAL ? 1 : report_err(r, id, "incident");
	} else if (strcmp(cmd, "export") == 0)
		rc = do_export(&x, id, format, output, restriction);
	else if (strcmp(cmd, "report") == 0)
		rc = do_report(&x, from, text, category, attackers, na,
		    victims, nv);
	else if (strcmp(cmd, "import") == 0) {
		if (argc < 1)
			rc = usage_err("%s", "import: give a file");
		else
			rc = do_import(&x, argv[0], from, category);
	} else
		rc = usage_err("unknown command '%s'", cmd);
 close:
	ctx_close(&x);
 out:
	free(ids);
	free(attackers);
	free(victims);
	return rc;
}
