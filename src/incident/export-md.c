/*
 * export-md.c - an incident as a Markdown report (CommonMark with GitHub's
 * tables and task lists): first a draft announcement to the victims and
 * the public, which people review, complete and approve before it goes
 * out; then an internal section with everything mamori knows.
 *
 * Much of an incident's text comes from logs, that is from attackers:
 * a user name can be "[click](http://evil.example)" and a log line can
 * hold "<script>" or a run of backticks.  Every such string is escaped:
 * each Markdown punctuation character gets a backslash (CommonMark lets
 * any ASCII punctuation be escaped), autolinks are broken up, control
 * characters become visible pictures, bidirectional overrides are
 * replaced; log lines go into fenced code blocks whose fence is longer
 * than any run of backticks inside.  The result renders as the text
 * itself: no link, image, HTML or structure can come from the data.  (One
 * exception: GitHub's autolink extension turns an e-mail address into a
 * mailto: link even when it is escaped; such a link shows its target.)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"

/* How the announcement names a category, and what it asks readers to
 * do; the taxonomy (etc/taxonomy.json) holds the ids. */
static const struct {
	const char	*id;
	const char	*phrase;
	const char	*advice;
} categories[] = {
	{ "infection", "a computer virus or worm infection",
	  "Make sure your antivirus signatures are up to date and scan the "
	  "computers that exchanged files or mail with the affected systems." },
	{ "backdoor", "a backdoor or trojan on one of our systems",
	  "If you have an account on the affected systems, change its "
	  "password, and the same password wherever else you use it." },
	{ "dos", "a denial-of-service attack",
	  "Services may be slow or unavailable until we announce that they "
	  "are restored." },
	{ "scan", "scanning of networks for open ports or vulnerabilities",
	  NULL },
	{ "attack", "an attack on our systems, such as password guessing or "
	  "attempts to exploit vulnerabilities", NULL },
	{ "intrusion", "an intrusion into our systems",
	  "If you have an account on the affected systems, change its "
	  "password, and the same password wherever else you use it." },
	{ "tampering", "tampering with or destruction of data",
	  "If you rely on data from the affected systems, check it against "
	  "a copy you trust." },
	{ "leak", "theft or leak of information",
	  "Be wary of mail or calls that refer to your data with us; if you "
	  "have an account with us, change its password." },
	{ "passive_attack", "an attack through mail or web content",
	  "Do not open unexpected attachments or links, even when they seem "
	  "to come from us." },
	{ "piracy", "copyright infringement", NULL },
	{ "spam", "spam sent or relayed through our systems",
	  "Delete unexpected mail that seems to come from us, without "
	  "opening its links or attachments." },
	{ "spoofing", "spoofing: forged senders or addresses",
	  "Delete unexpected mail that seems to come from us, without "
	  "opening its links or attachments." },
	{ "defamation", "defamation or a violation of privacy", NULL },
	{ "physical", "a physical incident or disaster",
	  "Services may be slow or unavailable until we announce that they "
	  "are restored." },
};

/* The output, and whether a step ran out of memory. */
struct md {
	FILE	*f;
	int	 oom;
};

static const char *
status_phrase(enum inc_status s)
{
	switch (s) {
	case INC_NEW:
	case INC_TRIAGE:
		return "We are assessing the incident.";
	case INC_CONTAINMENT:
		return "We are containing the incident.";
	case INC_ERADICATION:
		return "The incident is contained; we are cleaning the "
		    "affected systems.";
	case INC_RECOVERY:
		return "The incident is contained; we are restoring the "
		    "affected services.";
	case INC_CLOSED:
		return "The incident is resolved.";
	case INC_FALSE_POSITIVE:
		return "On investigation, this turned out to be a false "
		    "alarm.";
	default:
		return "We are investigating the incident.";
	}
}

/*
 * Writes s escaped for Markdown text.  oneline: s goes into a line (a
 * list item, a table cell, a heading), so line breaks become spaces.
 */
static void
md_text(struct md *w, const char *s, int oneline)
{
	static const char punct[] = "\\`*_{}[]()<>#+-!|~&";
	const char *p;
	char *c;
	int bol = 1, digits = 0;
	FILE *f = w->f;

	if (s == NULL)
		return;
	if ((c = export_sanitize(s, EXPORT_SAN_CTRL | EXPORT_SAN_BIDI |
	    (oneline ? EXPORT_SAN_LINE : 0))) == NULL) {
		w->oom = 1;
		return;
	}
	for (p = c; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\n' || ch == '\r') {
			/* A line of its own in a paragraph: keep it one.  CR
			 * LF and a lone CR become LF: a CR on a terminal
			 * would let a line hide what came before it. */
			if (ch == '\r' && p[1] == '\n')
				continue;
			fputc('\n', f);
			bol = 1;
			digits = 0;
			continue;
		}
		if (strchr(punct, ch) != NULL)
			fputc('\\', f);
		else if (ch == '.' && (digits ||
		    (p - c >= 3 && strncasecmp(p - 3, "www", 3) == 0)))
			/* "1." would start a list; "www." an autolink. */
			fputc('\\', f);
		else if (ch == ':' && p[1] == '/' && p[2] == '/')
			/* "http://" would become an autolink. */
			fputc('\\', f);
		else if (bol && ch == '=')
			/* A setext heading's underline. */
			fputc('\\', f);
		if (bol && isdigit(ch))
			digits = 1;
		else if (!(digits && isdigit(ch)))
			digits = 0;
		if (ch != ' ' && ch != '\t')
			bol = 0;
		fputc(ch, f);
	}
	free(c);
}

/*
 * A fenced code block holding lines; the fence is longer than the
 * longest run of backticks in them (and at least three).  LF and CR
 * inside a line become pictures, so a line stays one line.
 */
static void
md_code(struct md *w, const char *const *lines, size_t n)
{
	size_t i, run, longest = 0, fence;
	const char *p;
	char *c;
	FILE *f = w->f;

	for (i = 0; i < n; i++) {
		run = 0;
		for (p = lines[i]; *p != '\0'; p++) {
			run = *p == '`' ? run + 1 : 0;
			if (run > longest)
				longest = run;
		}
	}
	fence = longest < 3 ? 3 : longest + 1;
	fputc('\n', f);
	for (i = 0; i < fence; i++)
		fputc('`', f);
	fputs("text\n", f);
	for (i = 0; i < n; i++) {
		if ((c = export_sanitize(lines[i], EXPORT_SAN_CTRL |
		    EXPORT_SAN_BIDI)) == NULL) {
			w->oom = 1;
			return;
		}
		for (p = c; *p != '\0'; p++)
			if (*p == '\n')
				fputs("\xe2\x90\xa4", f);	/* U+2424 */
			else if (*p == '\r')
				fputs("\xe2\x90\x8d", f);	/* U+240D */
			else
				fputc(*p, f);
		fputc('\n', f);
		free(c);
	}
	for (i = 0; i < fence; i++)
		fputc('`', f);
	fputs("\n\n", f);
}

/* "2026-11-28 13:37:02 UTC", or "unknown". */
static const char *
md_time(int64_t ns, char *buf, size_t len)
{
	char *t;

	if (ns == 0 || time_format_rfc3339(ns, 0, 0, buf, len) != 0 ||
	    strlen(buf) + 4 > len)
		return "unknown";
	if ((t = strchr(buf, 'T')) != NULL)
		*t = ' ';
	if ((t = strchr(buf, 'Z')) != NULL)
		strcpy(t, " UTC");
	return buf;
}

static void
count_parties(const struct incident *inc, enum inc_role role,
    size_t *hosts, size_t *users)
{
	size_t i;

	*hosts = *users = 0;
	for (i = 0; i < inc->nparties; i++)
		if (inc->parties[i].role == role) {
			if (inc->parties[i].kind == INC_PARTY_USER)
				(*users)++;
			else
				(*hosts)++;
		}
}

static void
write_announcement(struct md *w, const struct incident *inc,
    const struct export_meta *m)
{
	const char *org = m->org_name != NULL ? m->org_name : "mamori";
	const char *phrase = NULL, *advice = NULL;
	char t1[48], t2[48];
	size_t i, hosts, users;
	int any;
	FILE *f = w->f;

	for (i = 0; inc->category != NULL &&
	    i < sizeof(categories) / sizeof(categories[0]); i++)
		if (strcmp(inc->category, categories[i].id) == 0) {
			phrase = categories[i].phrase;
			advice = categories[i].advice;
		}

	fputs("## Announcement (draft)\n\n"
	    "<!-- A draft for the victims and the public.  Check every "
	    "sentence, remove what must not be published, fill in what is "
	    "missing, and have it approved before it goes out. -->\n\n", f);
	fputs("### What happened\n\n", f);
	fputs("On ", f);
	fputs(md_time(inc->first_seen_ns, t1, sizeof(t1)), f);
	fputs(", ", f);
	md_text(w, org, 1);
	fputs(inc->source != NULL && strcmp(inc->source, "report") == 0 ?
	    " was informed of " : " detected ", f);
	if (phrase != NULL)
		fputs(phrase, f);
	else if (inc->category != NULL) {
		fputs("an incident of the kind \"", f);
		md_text(w, inc->category, 1);
		fputs("\"", f);
	} else
		fputs("a security incident", f);
	fputs(": ", f);
	md_text(w, inc->title, 1);
	fputs(".", f);
	if (inc->last_seen_ns != 0 && inc->last_seen_ns != inc->first_seen_ns) {
		fputs(" The activity was last seen on ", f);
		fputs(md_time(inc->last_seen_ns, t2, sizeof(t2)), f);
		fputs(".", f);
	}
	fputs("\n\n", f);
	count_parties(inc, INC_VICTIM, &hosts, &users);
	if (hosts > 0 || users > 0)
		fprintf(f, "It concerns %zu system%s and %zu user account%s. ",
		    hosts, hosts == 1 ? "" : "s", users, users == 1 ? "" : "s");
	switch (inc->impact) {
	case INC_IMPACT_INTERNAL:
		fputs("As far as we know, it affects only systems and people "
		    "inside our organisation.\n\n", f);
		break;
	case INC_IMPACT_EXTERNAL:
		fputs("It may affect people outside our organisation.\n\n", f);
		break;
	case INC_IMPACT_INFRASTRUCTURE:
		fputs("It may affect services that others depend on.\n\n", f);
		break;
	default:
		fputs("\n\n", f);
		break;
	}

	fputs("### What we have done\n\n", f);
	any = 0;
	for (i = 0; i < inc->nsteps; i++)
		if (inc->steps[i].state == INC_STEP_DONE &&
		    inc->steps[i].title != NULL) {
			fputs("- ", f);
			md_text(w, inc->steps[i].title, 1);
			fputs("\n", f);
			any = 1;
		}
	if (any)
		fputs("\n", f);
	fputs(status_phrase(inc->status), f);
	fputs("\n\n", f);

	fputs("### What you should do\n\n", f);
	if (advice != NULL) {
		fputs(advice, f);
		fputs(" ", f);
	}
	fputs("If you think you are affected, or you have seen related "
	    "activity, please contact us.\n\n", f);

	fputs("### Contact\n\n", f);
	md_text(w, org, 1);
	if (m->org_email != NULL && m->org_email[0] != '\0') {
		fputs(", ", f);
		md_text(w, m->org_email, 1);
	}
	fputs("\n\n", f);
}

/* A row of the facts table; value comes from the data (escaped). */
static void
row(struct md *w, const char *field, const char *value)
{
	FILE *f = w->f;

	fprintf(f, "| %s | ", field);
	if (value != NULL)
		md_text(w, value, 1);
	else
		fputs("\xe2\x80\x94", f);	/* an em dash: none */
	fputs(" |\n", f);
}

static void
write_facts(struct md *w, const struct incident *inc)
{
	char buf[64];
	FILE *f = w->f;

	fputs("| Field | Value |\n| --- | --- |\n", f);
	snprintf(buf, sizeof(buf), "%lld", (long long)inc->id);
	row(w, "ID", buf);
	row(w, "Category", inc->category);
	if (inc->rsit_class != NULL || inc->rsit_type != NULL) {
		fputs("| RSIT | ", f);
		md_text(w, inc->rsit_class != NULL ? inc->rsit_class : "?", 1);
		fputs(" / ", f);
		md_text(w, inc->rsit_type != NULL ? inc->rsit_type : "?", 1);
		fputs(" |\n", f);
	} else
		row(w, "RSIT", NULL);
	row(w, "Impact", inc_impact_name(inc->impact));
	row(w, "Severity", inc_severity_name(inc->severity));
	row(w, "Status", inc_status_name(inc->status));
	row(w, "Assignee", inc->assignee);
	row(w, "Source", inc->source);
	row(w, "Reporter", inc->reporter);
	row(w, "Playbook", inc->playbook);
	if (inc->merged_into != 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)inc->merged_into);
		row(w, "Merged into", buf);
	}
	/* Times and counts are mamori's own text: no escaping. */
	fprintf(f, "| First seen | %s |\n", md_time(inc->first_seen_ns, buf,
	    sizeof(buf)));
	fprintf(f, "| Last seen | %s |\n", md_time(inc->last_seen_ns, buf,
	    sizeof(buf)));
	fprintf(f, "| Created | %s |\n", md_time(inc->created_ns, buf,
	    sizeof(buf)));
	fprintf(f, "| Updated | %s |\n", md_time(inc->updated_ns, buf,
	    sizeof(buf)));
	fprintf(f, "| Alerts | %llu |\n", (unsigned long long)inc->alert_count);
	fputs("\n", f);
}

static void
write_parties(struct md *w, const struct incident *inc, enum inc_role role)
{
	size_t i;
	int any = 0;
	FILE *f = w->f;

	fputs(role == INC_ATTACKER ? "### Attackers\n\n" :
	    "### Victims\n\n", f);
	for (i = 0; i < inc->nparties; i++) {
		const struct inc_party *p = &inc->parties[i];
		const char *k = inc_party_kind_name(p->kind);

		if (p->role != role)
			continue;
		fprintf(f, "- %s ", k != NULL ? k : "?");
		md_text(w, p->value, 1);
		fputs(p->internal ? " (internal)\n" : " (external)\n", f);
		any = 1;
	}
	fputs(any ? "\n" : "None recorded.\n\n", f);
}

static void
write_steps(struct md *w, const struct incident *inc)
{
	char t[48];
	size_t i;
	FILE *f = w->f;

	if (inc->nsteps == 0)
		return;
	fputs("### Response steps\n\n", f);
	for (i = 0; i < inc->nsteps; i++) {
		const struct inc_step *s = &inc->steps[i];
		const char *st = inc_step_state_name(s->state);

		fprintf(f, "- [%c] %d\\. ", s->state == INC_STEP_OPEN ? ' ' :
		    'x', s->n);
		md_text(w, s->title, 1);
		if (s->state != INC_STEP_OPEN) {
			fprintf(f, " \xe2\x80\x94 %s", st != NULL ? st : "?");
			if (s->who != NULL) {
				fputs(" by ", f);
				md_text(w, s->who, 1);
			}
			if (s->at_ns != 0) {
				fputs(" at ", f);
				fputs(md_time(s->at_ns, t, sizeof(t)), f);
			}
		}
		if (s->note != NULL) {
			fputs(": ", f);
			md_text(w, s->note, 1);
		}
		fputs("\n", f);
	}
	fputs("\n", f);
}

static void
write_evidence(struct md *w, const struct incident *inc)
{
	char t[48];
	size_t i;
	FILE *f = w->f;

	if (inc->nevidence == 0)
		return;
	fputs("### Evidence\n\n", f);
	for (i = 0; i < inc->nevidence; i++) {
		const struct inc_evidence *e = &inc->evidence[i];
		const char *k = inc_evidence_kind_name(e->kind);

		fprintf(f, "- %s: ", k != NULL ? k : "?");
		md_text(w, e->value, 1);
		if (e->note != NULL) {
			fputs(" \xe2\x80\x94 ", f);
			md_text(w, e->note, 1);
		}
		fputs(" (", f);
		md_text(w, e->who != NULL ? e->who : "unknown", 1);
		fputs(", ", f);
		fputs(md_time(e->at_ns, t, sizeof(t)), f);
		fputs(")\n", f);
	}
	fputs("\n", f);
}

static void
write_alerts(struct md *w, const struct incident *inc)
{
	const char **lines;
	char t[48];
	size_t i, n = 0;
	FILE *f = w->f;

	if (inc->nalerts == 0)
		return;
	fprintf(f, "### Alerts (%zu shown of %llu)\n\n", inc->nalerts,
	    (unsigned long long)inc->alert_count);
	fputs("| Time | Rule | Level | Host | Source | User | Description |\n"
	    "| --- | --- | --- | --- | --- | --- | --- |\n", f);
	for (i = 0; i < inc->nalerts; i++) {
		const struct inc_alert_ref *a = &inc->alerts[i];

		fprintf(f, "| %s | %u | %d | ", md_time(a->time_ns, t,
		    sizeof(t)), a->rule_id, a->level);
		md_text(w, a->host, 1);
		fputs(" | ", f);
		md_text(w, a->srcip, 1);
		fputs(" | ", f);
		md_text(w, a->user, 1);
		fputs(" | ", f);
		md_text(w, a->description, 1);
		fputs(" |\n", f);
		if (a->log != NULL)
			n++;
	}
	fputs("\n", f);
	if (n == 0)
		return;
	if ((lines = calloc(n, sizeof(*lines))) == NULL) {
		w->oom = 1;
		return;
	}
	for (i = 0, n = 0; i < inc->nalerts; i++)
		if (inc->alerts[i].log != NULL)
			lines[n++] = inc->alerts[i].log;
	fputs("#### Log lines\n", f);
	md_code(w, lines, n);
	free(lines);
}

static void
write_timeline(struct md *w, const struct incident *inc)
{
	char t[48];
	size_t i;
	FILE *f = w->f;

	if (inc->ntimeline == 0)
		return;
	fputs("### Timeline\n\n", f);
	for (i = 0; i < inc->ntimeline; i++) {
		const struct inc_event *e = &inc->timeline[i];

		fprintf(f, "- %s \xe2\x80\x94 ", md_time(e->at_ns, t,
		    sizeof(t)));
		md_text(w, e->who != NULL ? e->who : "unknown", 1);
		fputs(" \xe2\x80\x94 ", f);
		md_text(w, e->kind != NULL ? e->kind : "entry", 1);
		if (e->text != NULL) {
			fputs(": ", f);
			md_text(w, e->text, 1);
		}
		fputs("\n", f);
	}
	fputs("\n", f);
}

int
incident_export_md(const struct incident *inc, const struct export_meta *mp,
    char **out, size_t *outlen)
{
	static const struct export_meta defaults;
	const struct export_meta *m = mp != NULL ? mp : &defaults;
	struct md w = { NULL, 0 };
	char t[48], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int bad;

	*out = NULL;
	*outlen = 0;
	if ((f = w.f = open_memstream(&buf, &len)) == NULL)
		return MAMORI_ENOMEM;
	fprintf(f, "# Incident %lld: ", (long long)inc->id);
	md_text(&w, inc->title, 1);
	fputs("\n\n", f);
	/* Inside a comment only "-->" matters, and md_text() escapes
	 * every '-' and '>'. */
	fputs("<!-- Written by mamori for ", f);
	md_text(&w, m->org_name != NULL ? m->org_name : "mamori", 1);
	fprintf(f, " on %s. -->\n\n", md_time(m->now_ns != 0 ? m->now_ns :
	    time_now_ns(), t, sizeof(t)));

	write_announcement(&w, inc, m);

	fputs("---\n\n## Internal details (do not publish)\n\n", f);
	write_facts(&w, inc);
	if (inc->summary != NULL && inc->summary[0] != '\0') {
		fputs("### Summary\n\n", f);
		md_text(&w, inc->summary, 0);
		fputs("\n\n", f);
	}
	write_parties(&w, inc, INC_ATTACKER);
	write_parties(&w, inc, INC_VICTIM);
	write_steps(&w, inc);
	write_evidence(&w, inc);
	write_alerts(&w, inc);
	write_timeline(&w, inc);

	bad = ferror(f) || w.oom;
	if (fclose(f) != 0)
		bad = 1;
	if (bad || buf == NULL) {
		free(buf);
		return MAMORI_ENOMEM;
	}
	*out = buf;
	*outlen = len;
	return 0;
}
