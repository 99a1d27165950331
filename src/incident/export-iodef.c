/*
 * export-iodef.c - an incident as an IODEF v2 document (RFC 7970, "The
 * Incident Object Description Exchange Format Version 2"), to send to a
 * CSIRT such as JPCERT/CC or to a peer's mamori.
 *
 * The document is written with libxml2's xmlTextWriter, which escapes
 * markup; the text of logs and attackers is first cleaned of what XML
 * 1.0 cannot carry (bytes that are not UTF-8, C0 controls) by
 * export_sanitize().  It validates against the schema of RFC 7970
 * (iodef-2.0.xsd); docs/exchange.md lists the mapping and
 * tests/unit/test-export.c checks it against the schema.
 *
 * One incident makes one small document (a few hundred elements at
 * most: the timeline, ten log records), so it is built in memory.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"

#define IODEF_NS	"urn:ietf:params:xml:ns:iodef-2.0"
#define IODEF_RECORDS	10	/* log lines in EventData/Record */
#define IODEF_METHODS	8	/* distinct alert descriptions in Method */

/* What each category did to the systems, in RFC 7970's SystemImpact
 * terms (section 3.12.2), and whether an incident of it means the
 * attack succeeded. */
static const struct {
	const char	*category;
	const char	*type;
	const char	*completion;	/* NULL: not known from the kind */
} impact_map[] = {
	{ "infection",		"takeover-system",	"succeeded" },
	{ "backdoor",		"takeover-system",	"succeeded" },
	{ "dos",		"availability-service",	NULL },
	{ "scan",		"unknown",		NULL },
	{ "attack",		"unknown",		NULL },
	{ "intrusion",		"takeover-system",	"succeeded" },
	{ "tampering",		"integrity-data",	"succeeded" },
	{ "leak",		"breach-proprietary",	"succeeded" },
	{ "passive_attack",	"unknown",		NULL },
	{ "piracy",		"policy",		NULL },
	{ "spam",		"policy",		NULL },
	{ "spoofing",		"policy",		NULL },
	{ "defamation",		"policy",		NULL },
	{ "physical",		"damaged-system",	NULL },
};

static const char *const restrictions[] = {
	"default", "public", "partner", "need-to-know", "private", "white",
	"green", "amber", "red",
};

struct xw {
	xmlTextWriterPtr w;
	int		 bad;	/* a call failed: out of memory */
};

static void
xw_check(struct xw *x, int r)
{
	if (r < 0)
		x->bad = 1;
}

static void
start(struct xw *x, const char *name)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
}

static void
end(struct xw *x)
{
	if (!x->bad)
		xw_check(x, xmlTextWriterEndElement(x->w));
}

static void
attr(struct xw *x, const char *name, const char *value)
{
	char *v;

	if (x->bad)
		return;
	if ((v = export_sanitize(value, EXPORT_SAN_CTRL)) == NULL) {
		x->bad = 1;
		return;
	}
	xw_check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name,
	    BAD_CAST v));
	free(v);
}

static void
text(struct xw *x, const char *s)
{
	char *v;

	if (x->bad)
		return;
	if ((v = export_sanitize(s, EXPORT_SAN_CTRL)) == NULL) {
		x->bad = 1;
		return;
	}
	xw_check(x, xmlTextWriterWriteString(x->w, BAD_CAST v));
	free(v);
}

static void
elem(struct xw *x, const char *name, const char *s)
{
	start(x, name);
	text(x, s);
	end(x);
}

/* xs:dateTime in UTC with milliseconds. */
static void
elem_time(struct xw *x, const char *name, int64_t ns)
{
	char ts[48];

	if (time_format_rfc3339(ns, 0, 3, ts, sizeof(ts)) != 0) {
		x->bad = 1;
		return;
	}
	elem(x, name, ts);
}

/* <AdditionalData dtype="string" name=".." meaning="..">value</..> */
static void
additional(struct xw *x, const char *name, const char *meaning,
    const char *value)
{
	start(x, "AdditionalData");
	attr(x, "dtype", "string");
	attr(x, "name", name);
	if (meaning != NULL)
		attr(x, "meaning", meaning);
	text(x, value);
	end(x);
}

static int
valid_lang(const char *s)
{
	size_t run = 0, i;
	int first = 1;

	/* xs:language: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})* */
	for (i = 0; ; i++) {
		if (s[i] == '-' || s[i] == '\0') {
			if (run == 0 || run > 8)
				return 0;
			if (s[i] == '\0')
				return 1;
			run = 0;
			first = 0;
		} else if (isalpha((unsigned char)s[i]) ||
		    (!first && isdigit((unsigned char)s[i])))
			run++;
		else
			return 0;
	}
}

static const char *
incident_status(enum inc_status s, const char **ext)
{
	*ext = NULL;
	switch (s) {
	case INC_NEW:
		return "new";
	case INC_CLOSED:
		return "resolved";
	case INC_FALSE_POSITIVE:
		*ext = "false-positive";
		return "ext-value";
	default:
		return "in-progress";
	}
}

/* RFC 7970's severity-type has three levels; critical is high. */
static const char *
severity3(enum inc_severity s)
{
	switch (s) {
	case INC_SEV_LOW:
		return "low";
	case INC_SEV_MEDIUM:
		return "medium";
	default:
		return "high";
	}
}

/* The seed's impact levels as a business impact: who is hurt. */
static const char *
impact_severity(enum inc_impact i)
{
	switch (i) {
	case INC_IMPACT_INTERNAL:
		return "low";
	case INC_IMPACT_EXTERNAL:
		return "medium";
	case INC_IMPACT_INFRASTRUCTURE:
		return "high";
	}
	return "unknown";
}

static const char *
impact_text(enum inc_impact i)
{
	switch (i) {
	case INC_IMPACT_INTERNAL:
		return "Internal: affects only the organisation itself";
	case INC_IMPACT_EXTERNAL:
		return "External: affects people outside the organisation";
	case INC_IMPACT_INFRASTRUCTURE:
		return "Infrastructure: affects social infrastructure";
	}
	return "Unknown";
}

/* Timeline kinds (incident.h) as RFC 7970 action-type values. */
static const char *
history_action(const char *kind)
{
	static const struct {
		const char *kind, *action;
	} map[] = {
		{ "created",	"status-triage" },
		{ "status",	"status-triage" },
		{ "assignee",	"status-triage" },
		{ "impact",	"status-triage" },
		{ "severity",	"status-triage" },
		{ "alert",	"status-new-info" },
		{ "note",	"status-new-info" },
		{ "report",	"status-new-info" },
		{ "evidence",	"investigate" },
		{ "step",	"remediate-other" },
		{ "block",	"block-host" },
	};
	size_t i;

	if (kind != NULL)
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(kind, map[i].kind) == 0)
				return map[i].action;
	return "other";
}

static void
write_contact(struct xw *x, const struct export_meta *m)
{
	start(x, "Contact");
	attr(x, "role", "creator");
	attr(x, "type", "organization");
	elem(x, "ContactName", m->org_name != NULL ? m->org_name : "mamori");
	if (m->org_email != NULL && m->org_email[0] != '\0') {
		start(x, "Email");
		elem(x, "EmailTo", m->org_email);
		end(x);
	}
	end(x);
}

static void
write_discovery(struct xw *x, const struct incident *inc)
{
	int report = inc->source != NULL && strcmp(inc->source, "report") == 0;

	start(x, "Discovery");
	attr(x, "source", report ? "external-notification" : "siem");
	elem(x, "Description", report ? "Reported from outside the "
	    "organisation" : "Detected by mamori from the logs and alerts "
	    "of the organisation's hosts and network");
	if (inc->reporter != NULL && inc->reporter[0] != '\0') {
		start(x, "Contact");
		attr(x, "role", "reporter");
		attr(x, "type", "person");
		elem(x, "ContactName", inc->reporter);
		end(x);
	}
	end(x);
}

static void
write_assessment(struct xw *x, const struct incident *inc)
{
	const char *type = "unknown", *completion = NULL;
	char cat[300];
	size_t i;

	start(x, "Assessment");
	attr(x, "occurrence", "actual");
	/* The RSIT class and type as a machine tag (MISP's form), which
	 * a receiving CSIRT's tools read. */
	if (inc->rsit_class != NULL && inc->rsit_type != NULL) {
		snprintf(cat, sizeof(cat), "rsit:%s=\"%s\"", inc->rsit_class,
		    inc->rsit_type);
		elem(x, "IncidentCategory", cat);
	}
	for (i = 0; inc->category != NULL &&
	    i < sizeof(impact_map) / sizeof(impact_map[0]); i++)
		if (strcmp(inc->category, impact_map[i].category) == 0) {
			type = impact_map[i].type;
			completion = impact_map[i].completion;
		}
	start(x, "SystemImpact");
	attr(x, "severity", severity3(inc->severity));
	if (completion != NULL)
		attr(x, "completion", completion);
	attr(x, "type", type);
	if (inc->category != NULL)
		elem(x, "Description", inc->category);
	end(x);
	start(x, "BusinessImpact");
	attr(x, "severity", impact_severity(inc->impact));
	attr(x, "type", "unknown");
	elem(x, "Description", impact_text(inc->impact));
	end(x);
	if (inc->alert_count > 0) {
		char n[32];

		snprintf(n, sizeof(n), "%llu",
		    (unsigned long long)inc->alert_count);
		start(x, "Counter");
		attr(x, "type", "count");
		attr(x, "unit", "alert");
		text(x, n);
		end(x);
	}
	end(x);
}

/* Distinct alert descriptions: how the attack was seen. */
static void
write_method(struct xw *x, const struct incident *inc)
{
	const char *seen[IODEF_METHODS];
	size_t n = 0, i, j;

	for (i = 0; i < inc->nalerts && n < IODEF_METHODS; i++) {
		const char *d = inc->alerts[i].description;

		if (d == NULL || d[0] == '\0')
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(seen[j], d) == 0)
				break;
		if (j == n)
			seen[n++] = d;
	}
	if (n == 0)
		return;
	start(x, "Method");
	for (i = 0; i < n; i++)
		elem(x, "Description", seen[i]);
	end(x);
}

static void
write_node(struct xw *x, const struct inc_party *p)
{
	unsigned char a[16];
	char addr[64], *slash;
	const char *cat = NULL;

	if (p->kind == INC_PARTY_IP && p->value != NULL) {
		if (inet_pton(AF_INET, p->value, a) == 1)
			cat = "ipv4-addr";
		else if (inet_pton(AF_INET6, p->value, a) == 1)
			cat = "ipv6-addr";
		else if (strlen(p->value) < sizeof(addr)) {
			/* A network, "192.0.2.0/24". */
			strcpy(addr, p->value);
			if ((slash = strchr(addr, '/')) != NULL) {
				*slash = '\0';
				if (inet_pton(AF_INET, addr, a) == 1)
					cat = "ipv4-net";
				else if (inet_pton(AF_INET6, addr, a) == 1)
					cat = "ipv6-net";
			}
		}
	}
	start(x, "Node");
	if (cat != NULL) {
		start(x, "Address");
		attr(x, "category", cat);
		text(x, p->value);
		end(x);
	} else {
		/* A host name, or an address that does not parse. */
		start(x, "DomainData");
		elem(x, "Name", p->value != NULL ? p->value : "");
		end(x);
	}
	end(x);
}

static void
write_flow(struct xw *x, const struct incident *inc)
{
	size_t i;
	int any = 0;

	for (i = 0; i < inc->nparties; i++) {
		const struct inc_party *p = &inc->parties[i];

		if (p->kind == INC_PARTY_USER)
			continue;
		if (!any) {
			start(x, "Flow");
			any = 1;
		}
		start(x, "System");
		attr(x, "category", p->role == INC_ATTACKER ? "source" :
		    "target");
		if (p->internal)
			attr(x, "ownership", "organization");
		write_node(x, p);
		end(x);
	}
	if (any)
		end(x);
}

static void
write_record(struct xw *x, const struct incident *inc)
{
	size_t nlog = 0, k = 0, i, half = IODEF_RECORDS / 2;
	char d[512];
	int any = 0;

	for (i = 0; i < inc->nalerts; i++)
		if (inc->alerts[i].log != NULL)
			nlog++;
	/* The first and the latest lines, as the alerts are kept. */
	for (i = 0; i < inc->nalerts; i++) {
		const struct inc_alert_ref *a = &inc->alerts[i];

		if (a->log == NULL)
			continue;
		k++;
		if (nlog > IODEF_RECORDS && k > half && k <= nlog - half)
			continue;
		if (!any) {
			start(x, "Record");
			any = 1;
		}
		start(x, "RecordData");
		if (a->time_ns != 0)
			elem_time(x, "DateTime", a->time_ns);
		snprintf(d, sizeof(d), "rule %u, level %d%s%.200s%s%.100s",
		    a->rule_id, a->level,
		    a->description != NULL ? ": " : "",
		    a->description != NULL ? a->description : "",
		    a->host != NULL ? ", host " : "",
		    a->host != NULL ? a->host : "");
		elem(x, "Description", d);
		start(x, "RecordItem");
		attr(x, "dtype", "string");
		attr(x, "meaning", "log line");
		text(x, a->log);
		end(x);
		end(x);
	}
	if (any)
		end(x);
}

static void
write_eventdata(struct xw *x, const struct incident *inc)
{
	size_t i;
	char name[64];

	start(x, "EventData");
	write_flow(x, inc);
	write_record(x, inc);
	for (i = 0; i < inc->nparties; i++) {
		const struct inc_party *p = &inc->parties[i];

		if (p->kind == INC_PARTY_USER && p->value != NULL)
			additional(x, p->role == INC_ATTACKER ? "source-user" :
			    "target-user", "user account", p->value);
	}
	for (i = 0; i < inc->nevidence; i++) {
		const struct inc_evidence *e = &inc->evidence[i];
		const char *k = inc_evidence_kind_name(e->kind);

		if (e->value == NULL)
			continue;
		snprintf(name, sizeof(name), "evidence-%s",
		    k != NULL ? k : "other");
		additional(x, name, e->note, e->value);
	}
	end(x);
}

static void
write_history(struct xw *x, const struct incident *inc)
{
	size_t i;
	int any = 0;

	for (i = 0; i < inc->ntimeline; i++) {
		const struct inc_event *e = &inc->timeline[i];
		char *d;
		int n;

		if (e->at_ns == 0)
			continue;
		if (!any) {
			start(x, "History");
			any = 1;
		}
		start(x, "HistoryItem");
		attr(x, "action", history_action(e->kind));
		elem_time(x, "DateTime", e->at_ns);
		n = asprintf(&d, "%s by %s%s%s", e->kind != NULL ? e->kind :
		    "entry", e->who != NULL ? e->who : "unknown",
		    e->text != NULL ? ": " : "",
		    e->text != NULL ? e->text : "");
		if (n < 0) {
			x->bad = 1;
			break;
		}
		elem(x, "Description", d);
		free(d);
		end(x);
	}
	if (any)
		end(x);
}

static void
write_incident(struct xw *x, const struct incident *inc,
    const struct export_meta *m, const char *restriction, int64_t now)
{
	const char *org = m->org_name != NULL ? m->org_name : "mamori";
	const char *status, *ext;
	char id[32];

	start(x, "Incident");
	attr(x, "purpose", "reporting");
	status = incident_status(inc->status, &ext);
	attr(x, "status", status);
	if (ext != NULL)
		attr(x, "ext-status", ext);
	attr(x, "restriction", restriction);

	snprintf(id, sizeof(id), "%lld", (long long)inc->id);
	start(x, "IncidentID");
	attr(x, "name", org);
	text(x, id);
	end(x);
	if (inc->merged_into != 0) {
		snprintf(id, sizeof(id), "%lld", (long long)inc->merged_into);
		start(x, "RelatedActivity");
		start(x, "IncidentID");
		attr(x, "name", org);
		text(x, id);
		end(x);
		elem(x, "Description", "This incident was merged into the "
		    "related one");
		end(x);
	}
	if (inc->first_seen_ns != 0) {
		elem_time(x, "DetectTime", inc->first_seen_ns);
		elem_time(x, "StartTime", inc->first_seen_ns);
	}
	if (inc->last_seen_ns != 0 && (inc->status == INC_RECOVERY ||
	    inc->status == INC_CLOSED))
		elem_time(x, "EndTime", inc->last_seen_ns);
	if (inc->created_ns != 0)
		elem_time(x, "ReportTime", inc->created_ns);
	elem_time(x, "GenerationTime", now);
	elem(x, "Description", inc->title != NULL ? inc->title : "");
	if (inc->summary != NULL && inc->summary[0] != '\0')
		elem(x, "Description", inc->summary);
	write_discovery(x, inc);
	write_assessment(x, inc);
	write_method(x, inc);
	write_contact(x, m);
	write_eventdata(x, inc);
	write_history(x, inc);
	if (inc->category != NULL)
		additional(x, "category", "mamori incident category",
		    inc->category);
	if (inc->rsit_class != NULL)
		additional(x, "rsit-class", "Reference Security Incident "
		    "Taxonomy class", inc->rsit_class);
	if (inc->rsit_type != NULL)
		additional(x, "rsit-type", "Reference Security Incident "
		    "Taxonomy type", inc->rsit_type);
	if (inc_impact_name(inc->impact) != NULL)
		additional(x, "impact", "mamori impact level",
		    inc_impact_name(inc->impact));
	if (inc_severity_name(inc->severity) != NULL)
		additional(x, "severity", "mamori severity",
		    inc_severity_name(inc->severity));
	if (inc_status_name(inc->status) != NULL)
		additional(x, "status", "mamori status",
		    inc_status_name(inc->status));
	end(x);
}

int
incident_export_iodef(const struct incident *inc,
    const struct export_meta *mp, char **out, size_t *outlen)
{
	static const struct export_meta defaults;
	const struct export_meta *m = mp != NULL ? mp : &defaults;
	const char *lang = m->lang != NULL ? m->lang : "en";
	const char *restriction = m->restriction != NULL ? m->restriction :
	    "amber";
	xmlBufferPtr buf;
	struct xw x = { NULL, 0 };
	size_t i;
	int ok = 0;

	*out = NULL;
	*outlen = 0;
	for (i = 0; i < sizeof(restrictions) / sizeof(restrictions[0]); i++)
		if (strcmp(restriction, restrictions[i]) == 0)
			ok = 1;
	if (!ok || !valid_lang(lang))
		return MAMORI_EINVAL;

	xmlInitParser();
	if ((buf = xmlBufferCreate()) == NULL)
		return MAMORI_ENOMEM;
	if ((x.w = xmlNewTextWriterMemory(buf, 0)) == NULL) {
		xmlBufferFree(buf);
		return MAMORI_ENOMEM;
	}
	xw_check(&x, xmlTextWriterSetIndent(x.w, 1));
	xw_check(&x, xmlTextWriterSetIndentString(x.w, BAD_CAST "  "));
	xw_check(&x, xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL));
	if (!x.bad)
		xw_check(&x, xmlTextWriterStartElementNS(x.w, NULL,
		    BAD_CAST "IODEF-Document", BAD_CAST IODEF_NS));
	attr(&x, "version", "2.00");
	attr(&x, "xml:lang", lang);
	write_incident(&x, inc, m, restriction,
	    m->now_ns != 0 ? m->now_ns : time_now_ns());
	end(&x);
	if (!x.bad)
		xw_check(&x, xmlTextWriterEndDocument(x.w));
	xmlFreeTextWriter(x.w);	/* flushes into buf */
	if (!x.bad) {
		size_t n = (size_t)xmlBufferLength(buf);

		if ((*out = malloc(n + 1)) == NULL)
			x.bad = 1;
		else {
			memcpy(*out, xmlBufferContent(buf), n);
			(*out)[n] = '\0';
			*outlen = n;
		}
	}
	xmlBufferFree(buf);
	return x.bad ? MAMORI_ENOMEM : 0;
}
