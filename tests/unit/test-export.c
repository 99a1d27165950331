/*
 * test-export.c - incident exports (IODEF v2, JSON, Markdown) and imports
 * of reports from outside (src/incident/export-*.c, import.c).
 *
 * The incident built here carries what attackers put into logs: markup,
 * "]]>", backticks, Markdown links, control characters, bytes that are
 * not UTF-8.  IODEF output is validated against RFC 7970's schema
 * ($MAMORI_SHARED/data/schemas/iodef/iodef-2.0.xsd) in-process with
 * libxml2 and again with xmllint; Markdown is rendered with cmark-gfm
 * when it is installed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "core/error.h"
#include "incident/export.h"
#include "incident/incident.h"
#include "test.h"

#define T0	1795873022123000000LL	/* 2026-11-28T13:37:02.123Z */
#define SEC	1000000000LL

static char tmpdir[64];

static char *
xs(const char *s)
{
	char *c = strdup(s);

	if (c == NULL)
		abort();
	return c;
}

static void
add_party(struct incident *inc, enum inc_role role, enum inc_party_kind k,
    const char *v, int internal)
{
	inc->parties = realloc(inc->parties, (inc->nparties + 1) *
	    sizeof(*inc->parties));
	if (inc->parties == NULL)
		abort();
	inc->parties[inc->nparties].role = role;
	inc->parties[inc->nparties].kind = k;
	inc->parties[inc->nparties].value = xs(v);
	inc->parties[inc->nparties].internal = internal;
	inc->nparties++;
}

/* Strings an attacker controls, in every place the exports show. */
#define NASTY_USER	"adm<script>alert(1)</script>"
#define NASTY_LOG1	"Failed password for [click](http://evil.example/x) " \
			"from 203.0.113.9 ]]> <!-- `` ``` ````` x"
#define NASTY_LOG2	"bell\x07 esc\x1b[31m cr\rlf\nbad\xff\xfe utf8 " \
			"\xc0\xaf & &amp; <b>bold</b> ![img](http://e/i.png)"
#define NASTY_DESC	"sshd: *brute* _force_ | table | # head ~~x~~"

static void
build(struct incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->id = 42;
	inc->title = xs("SSH brute force from 203.0.113.9 <script>x</script> "
	    "[a](javascript:alert(1))");
	inc->category = xs("attack");
	inc->rsit_class = xs("intrusion-attempts");
	inc->rsit_type = xs("exploit");
	inc->impact = INC_IMPACT_EXTERNAL;
	inc->severity = INC_SEV_CRITICAL;
	inc->status = INC_CONTAINMENT;
	inc->assignee = xs("alice");
	inc->source = xs("alerts");
	inc->summary = xs("Line one with **bold** and <i>html</i>.\n"
	    "1. not a list\r\n# not a heading\r> not a quote\n"
	    "www.example.com and http://example.com/");
	inc->playbook = xs("attack");
	inc->first_seen_ns = T0;
	inc->last_seen_ns = T0 + 3600 * SEC;
	inc->created_ns = T0 + 5 * SEC;
	inc->updated_ns = T0 + 7200 * SEC;
	inc->alert_count = 1234;

	add_party(inc, INC_ATTACKER, INC_PARTY_IP, "203.0.113.9", 0);
	add_party(inc, INC_ATTACKER, INC_PARTY_IP, "2001:db8::dead:beef", 0);
	add_party(inc, INC_ATTACKER, INC_PARTY_USER, NASTY_USER, 0);
	add_party(inc, INC_VICTIM, INC_PARTY_HOST, "web1.example.ac.jp", 1);
	add_party(inc, INC_VICTIM, INC_PARTY_IP, "192.0.2.10", 1);
	add_party(inc, INC_VICTIM, INC_PARTY_USER, "root", 1);

	inc->nsteps = 2;
	inc->steps = calloc(2, sizeof(*inc->steps));
	inc->steps[0].n = 1;
	inc->steps[0].id = xs("block");
	inc->steps[0].title = xs("Block the attacking address");
	inc->steps[0].state = INC_STEP_DONE;
	inc->steps[0].who = xs("alice");
	inc->steps[0].at_ns = T0 + 600 * SEC;
	inc->steps[0].note = xs("nft set <mamori_block> [done]");
	inc->steps[1].n = 2;
	inc->steps[1].id = xs("passwords");
	inc->steps[1].title = xs("Check the accounts that were tried");
	inc->steps[1].detail = xs("Look at `lastlog`.");
	inc->steps[1].state = INC_STEP_OPEN;

	inc->nevidence = 2;
	inc->evidence = calloc(2, sizeof(*inc->evidence));
	inc->evidence[0].id = 1;
	inc->evidence[0].kind = INC_EV_HASH;
	inc->evidence[0].value = xs("sha256:e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	inc->evidence[0].note = xs("dropped file \"x\" <y>");
	inc->evidence[0].who = xs("bob");
	inc->evidence[0].at_ns = T0 + 900 * SEC;
	inc->evidence[1].id = 2;
	inc->evidence[1].kind = INC_EV_NOTE;
	inc->evidence[1].value = xs("free text ]]> \x01");
	inc->evidence[1].who = xs("bob");
	inc->evidence[1].at_ns = T0 + 901 * SEC;

	inc->ntimeline = 4;
	inc->timeline = calloc(4, sizeof(*inc->timeline));
	inc->timeline[0].id = 1;
	inc->timeline[0].at_ns = T0 + 5 * SEC;
	inc->timeline[0].who = xs("mamori");
	inc->timeline[0].kind = xs("created");
	inc->timeline[0].text = xs("from rule 5712");
	inc->timeline[1].id = 2;
	inc->timeline[1].at_ns = T0 + 60 * SEC;
	inc->timeline[1].who = xs("alice");
	inc->timeline[1].kind = xs("status");
	inc->timeline[1].text = xs("new -> containment");
	inc->timeline[2].id = 3;
	inc->timeline[2].at_ns = T0 + 600 * SEC;
	inc->timeline[2].who = xs("alice");
	inc->timeline[2].kind = xs("block");
	inc->timeline[2].text = xs("203.0.113.9");
	inc->timeline[3].id = 4;
	inc->timeline[3].at_ns = T0 + 700 * SEC;
	inc->timeline[3].who = xs("bob");
	inc->timeline[3].kind = xs("weird-kind");
	inc->timeline[3].text = NULL;

	inc->nalerts = 3;
	inc->alerts = calloc(3, sizeof(*inc->alerts));
	inc->alerts[0].alert_id = 100;
	inc->alerts[0].log_seq = 5000;
	inc->alerts[0].time_ns = T0;
	inc->alerts[0].rule_id = 5712;
	inc->alerts[0].level = 10;
	inc->alerts[0].description = xs(NASTY_DESC);
	inc->alerts[0].host = xs("web1");
	inc->alerts[0].srcip = xs("203.0.113.9");
	inc->alerts[0].user = xs(NASTY_USER);
	inc->alerts[0].log = xs(NASTY_LOG1);
	inc->alerts[1].alert_id = 101;
	inc->alerts[1].time_ns = T0 + SEC;
	inc->alerts[1].rule_id = 5712;
	inc->alerts[1].level = 10;
	inc->alerts[1].description = xs(NASTY_DESC);
	inc->alerts[1].host = xs("web1");
	inc->alerts[1].log = xs(NASTY_LOG2);
	inc->alerts[2].alert_id = 0;
	inc->alerts[2].time_ns = T0 + 2 * SEC;
	inc->alerts[2].rule_id = 1;
	inc->alerts[2].level = 3;
	inc->alerts[2].description = xs("no log");
}

static const struct export_meta meta = {
	.org_name = "Example University CSIRT",
	.org_email = "csirt@example.ac.jp",
	.lang = "en",
	.now_ns = T0 + 86400 * SEC,
};

static char *
schema_path(void)
{
	const char *sh = getenv("MAMORI_SHARED");
	char *p;

	if (sh == NULL)
		return NULL;
	if (asprintf(&p, "%s/data/schemas/iodef/iodef-2.0.xsd", sh) < 0)
		return NULL;
	return p;
}

static int schema_errors;

static void
schema_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	fprintf(stderr, "schema: line %d: %s", e->line, e->message);
	schema_errors++;
}

/* Validates an IODEF document against RFC 7970's schema; returns the
 * number of errors (-1: could not validate at all). */
static int
validate(const char *xml, size_t len)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaValidCtxtPtr vc;
	xmlSchemaPtr schema;
	xmlDocPtr doc;
	char *path;
	int r;

	if ((path = schema_path()) == NULL) {
		fprintf(stderr, "MAMORI_SHARED is not set\n");
		return -1;
	}
	pc = xmlSchemaNewParserCtxt(path);
	free(path);
	if (pc == NULL || (schema = xmlSchemaParse(pc)) == NULL) {
		xmlSchemaFreeParserCtxt(pc);
		fprintf(stderr, "cannot load the IODEF schema\n");
		return -1;
	}
	xmlSchemaFreeParserCtxt(pc);
	doc = xmlReadMemory(xml, (int)len, "export.xml", NULL, XML_PARSE_NONET);
	if (doc == NULL) {
		xmlSchemaFree(schema);
		fprintf(stderr, "export is not well-formed\n");
		return -1;
	}
	vc = xmlSchemaNewValidCtxt(schema);
	schema_errors = 0;
	xmlSchemaSetValidStructuredErrors(vc, schema_error, NULL);
	r = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlFreeDoc(doc);
	return r == 0 ? 0 : (schema_errors > 0 ? schema_errors : 1);
}

/* The same with xmllint, the tool a user runs. */
static int
xmllint(const char *xml, size_t len)
{
	char path[128], *schema, *cmd;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/export.xml", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fwrite(xml, 1, len, f);
	fclose(f);
	if ((schema = schema_path()) == NULL)
		return -1;
	if (asprintf(&cmd, "xmllint --noout --nonet --schema '%s' '%s'",
	    schema, path) < 0) {
		free(schema);
		return -1;
	}
	r = system(cmd);
	free(cmd);
	free(schema);
	return r;
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

static int
valid_utf8(const char *s)
{
	char *c = export_sanitize(s, 0);
	int same = c != NULL && strcmp(c, s) == 0;

	free(c);
	return same;
}

TEST(sanitize)
{
	char *s;

	s = export_sanitize("ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 0);
	CHECK_STR(s, "ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	free(s);
	/* Overlong, surrogate, beyond U+10FFFF, truncated, stray. */
	s = export_sanitize("a\xc0\xaf" "b\xed\xa0\x80" "c\xf4\x90\x80\x80"
	    "d\xe2\x82" "e\x80", 0);
	CHECK(s != NULL && valid_utf8(s));
	CHECK(s != NULL && strncmp(s, "a\xef\xbf\xbd\xef\xbf\xbd" "b", 8) == 0);
	CHECK(s != NULL && has(s, "d\xef\xbf\xbd\xef\xbf\xbd" "e"));
	free(s);
	s = export_sanitize("\x01x\x7f\ty\n\xef\xbf\xbe", EXPORT_SAN_CTRL);
	CHECK_STR(s, "\xe2\x90\x81x\xe2\x90\xa1\ty\n\xef\xbf\xbd");
	free(s);
	s = export_sanitize("a\tb\r\nc", EXPORT_SAN_LINE);
	CHECK_STR(s, "a b  c");
	free(s);
	s = export_sanitize("x\xe2\x80\xaey\xe2\x81\xa6z", EXPORT_SAN_BIDI);
	CHECK_STR(s, "x\xef\xbf\xbdy\xef\xbf\xbdz");
	free(s);
	s = export_sanitize("", EXPORT_SAN_CTRL);
	CHECK_STR(s, "");
	free(s);
}

TEST(iodef_validates)
{
	struct incident inc;
	char *out;
	size_t len;

	build(&inc);
	CHECK_INT(incident_export_iodef(&inc, &meta, &out, &len), 0);
	if (out == NULL)
		return;
	CHECK_INT(strlen(out), len);
	CHECK_INT(validate(out, len), 0);
	CHECK_INT(xmllint(out, len), 0);
	CHECK(has(out, "<IODEF-Document version=\"2.00\" xml:lang=\"en\" "
	    "xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">"));
	CHECK(has(out, "<Incident purpose=\"reporting\" "
	    "status=\"in-progress\" restriction=\"amber\">"));
	CHECK(has(out, "<IncidentID name=\"Example University CSIRT\">42"
	    "</IncidentID>"));
	CHECK(has(out, "<DetectTime>2026-11-28T13:37:02.123Z</DetectTime>"));
	CHECK(has(out, "<GenerationTime>2026-11-29T13:37:02.123Z"));
	CHECK(has(out, "<Address category=\"ipv4-addr\">203.0.113.9"));
	CHECK(has(out, "<Address category=\"ipv6-addr\">2001:db8::dead:beef"));
	CHECK(has(out, "<System category=\"target\" ownership="
	    "\"organization\">"));
	CHECK(has(out, "<Name>web1.example.ac.jp</Name>"));
	CHECK(has(out, "<IncidentCategory>rsit:intrusion-attempts="
	    "&quot;exploit&quot;</IncidentCategory>") ||
	    has(out, "<IncidentCategory>rsit:intrusion-attempts=\"exploit\""
	    "</IncidentCategory>"));
	CHECK(has(out, "<SystemImpact severity=\"high\" type=\"unknown\">"));
	CHECK(has(out, "<HistoryItem action=\"block-host\">"));
	CHECK(has(out, "<HistoryItem action=\"other\">"));
	CHECK(has(out, "<EmailTo>csirt@example.ac.jp</EmailTo>"));
	/* Markup from logs is text, never markup. */
	CHECK(!has(out, "<script>"));
	CHECK(has(out, "&lt;script&gt;"));
	CHECK(!has(out, "]]>"));
	CHECK(!has(out, "\x07") && !has(out, "\x1b") && !has(out, "\x01"));
	CHECK(has(out, "bell\xe2\x90\x87"));	/* U+2407 */
	CHECK(valid_utf8(out));
	/* The validator does fail: an unknown purpose is refused. */
	{
		char *p = strstr(out, "purpose=\"reporting\"");

		if (p != NULL) {
			memcpy(p, "purpose=\"reportinx\"", 19);
			printf("expect a schema error:\n");
			fflush(stdout);
			CHECK(validate(out, len) > 0);
		}
	}
	free(out);

	/* A closed incident: resolved, with its end. */
	inc.status = INC_CLOSED;
	CHECK_INT(incident_export_iodef(&inc, NULL, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(validate(out, len), 0);
		CHECK(has(out, "status=\"resolved\""));
		CHECK(has(out, "<EndTime>2026-11-28T14:37:02.123Z</EndTime>"));
		CHECK(has(out, "<IncidentID name=\"mamori\">"));
		free(out);
	}
	inc.status = INC_FALSE_POSITIVE;
	inc.merged_into = 7;
	CHECK_INT(incident_export_iodef(&inc, NULL, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(validate(out, len), 0);
		CHECK(has(out, "status=\"ext-value\" "
		    "ext-status=\"false-positive\""));
		CHECK(has(out, "<RelatedActivity>"));
		free(out);
	}
	incident_release(&inc);
}

TEST(iodef_minimal_and_params)
{
	struct incident inc;
	struct export_meta m = meta;
	char *out;
	size_t len;

	/* Nothing but a title: still a valid document. */
	memset(&inc, 0, sizeof(inc));
	inc.id = 1;
	inc.title = xs("t");
	CHECK_INT(incident_export_iodef(&inc, NULL, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(validate(out, len), 0);
		CHECK(!has(out, "<EventData>\n      <Flow"));
		free(out);
	}
	/* An address that does not parse goes out as a name. */
	add_party(&inc, INC_ATTACKER, INC_PARTY_IP, "not-an-ip", 0);
	add_party(&inc, INC_ATTACKER, INC_PARTY_IP, "198.51.100.0/24", 0);
	CHECK_INT(incident_export_iodef(&inc, NULL, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(validate(out, len), 0);
		CHECK(has(out, "<Name>not-an-ip</Name>"));
		CHECK(has(out, "category=\"ipv4-net\">198.51.100.0/24"));
		free(out);
	}
	m.restriction = "red";
	m.lang = "ja";
	CHECK_INT(incident_export_iodef(&inc, &m, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(validate(out, len), 0);
		CHECK(has(out, "restriction=\"red\""));
		CHECK(has(out, "xml:lang=\"ja\""));
		free(out);
	}
	m.restriction = "top-secret";
	CHECK_INT(incident_export_iodef(&inc, &m, &out, &len), MAMORI_EINVAL);
	CHECK(out == NULL);
	m.restriction = NULL;
	m.lang = "en US";
	CHECK_INT(incident_export_iodef(&inc, &m, &out, &len), MAMORI_EINVAL);
	m.lang = "en-GB";
	CHECK_INT(incident_export_iodef(&inc, &m, &out, &len), 0);
	free(out);
	incident_release(&inc);
}

static int
same_parties(const struct incident *a, const struct incident *b)
{
	size_t i, j;

	if (a->nparties != b->nparties)
		return 0;
	for (i = 0; i < a->nparties; i++) {
		for (j = 0; j < b->nparties; j++)
			if (a->parties[i].role == b->parties[j].role &&
			    a->parties[i].kind == b->parties[j].kind &&
			    strcmp(a->parties[i].value,
			    b->parties[j].value) == 0)
				break;
		if (j == b->nparties) {
			fprintf(stderr, "party %s missing after import\n",
			    a->parties[i].value);
			return 0;
		}
	}
	return 1;
}

TEST(iodef_roundtrip)
{
	struct incident inc, back;
	char *out, err[256];
	size_t len;

	build(&inc);
	CHECK_INT(incident_export_iodef(&inc, &meta, &out, &len), 0);
	if (out == NULL)
		return;
	CHECK_INT(incident_import(out, len, "export.xml", &back, err,
	    sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK_STR(back.title, inc.title);
	CHECK_STR(back.category, "attack");
	CHECK_STR(back.rsit_class, "intrusion-attempts");
	CHECK_STR(back.rsit_type, "exploit");
	CHECK_STR(back.source, "report");
	CHECK_INT(back.severity, INC_SEV_CRITICAL);
	CHECK_INT(back.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(back.status, INC_NEW);
	CHECK_INT(back.first_seen_ns, inc.first_seen_ns);
	CHECK(same_parties(&inc, &back));
	CHECK_INT(back.parties != NULL ? back.parties[0].internal : -1, 0);
	/* The sender's CSIRT is the reporter; its reference and its log
	 * lines are in the summary, after the summary itself. */
	CHECK_STR(back.reporter, "Example University CSIRT "
	    "<csirt@example.ac.jp>");
	CHECK(back.summary != NULL && strncmp(back.summary,
	    "Line one with **bold**", 22) == 0);
	CHECK(back.summary != NULL && has(back.summary,
	    "The reporter's reference: Example University CSIRT 42"));
	CHECK(back.summary != NULL && has(back.summary,
	    "Failed password for [click](http://evil.example/x)"));
	incident_release(&back);
	free(out);
	incident_release(&inc);
}

TEST(json_fields)
{
	struct incident inc;
	json_t *j, *a;
	char *out;
	size_t len;

	build(&inc);
	j = incident_json(&inc);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_INT(json_integer_value(json_object_get(j, "id")), 42);
	CHECK_STR(json_string_value(json_object_get(j, "category")), "attack");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "rsit"),
	    "class")), "intrusion-attempts");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "rsit"),
	    "type")), "exploit");
	CHECK_STR(json_string_value(json_object_get(j, "impact")), "external");
	CHECK_STR(json_string_value(json_object_get(j, "severity")),
	    "critical");
	CHECK_STR(json_string_value(json_object_get(j, "status")),
	    "containment");
	CHECK_STR(json_string_value(json_object_get(j, "first_seen")),
	    "2026-11-28T13:37:02.123Z");
	CHECK_STR(json_string_value(json_object_get(j, "updated")),
	    "2026-11-28T15:37:02.123Z");
	CHECK(json_is_null(json_object_get(j, "reporter")));
	CHECK(json_is_null(json_object_get(j, "merged_into")));
	CHECK_INT(json_integer_value(json_object_get(j, "alert_count")), 1234);
	a = json_object_get(j, "attackers");
	CHECK_INT(json_array_size(a), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 1),
	    "value")), "2001:db8::dead:beef");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 2),
	    "kind")), "user");
	a = json_object_get(j, "victims");
	CHECK_INT(json_array_size(a), 3);
	CHECK(json_is_true(json_object_get(json_array_get(a, 0), "internal")));
	a = json_object_get(j, "steps");
	CHECK_INT(json_array_size(a), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0),
	    "state")), "done");
	CHECK(json_is_null(json_object_get(json_array_get(a, 1), "at")));
	CHECK_INT(json_array_size(json_object_get(j, "evidence")), 2);
	CHECK_INT(json_array_size(json_object_get(j, "timeline")), 4);
	a = json_object_get(j, "alerts");
	CHECK_INT(json_array_size(a), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0),
	    "log")), NASTY_LOG1);
	/* Not UTF-8: U+FFFD; control characters stay (JSON escapes them). */
	CHECK(has(json_string_value(json_object_get(json_array_get(a, 1),
	    "log")), "bad\xef\xbf\xbd\xef\xbf\xbd utf8"));
	CHECK(has(json_string_value(json_object_get(json_array_get(a, 1),
	    "log")), "bell\x07"));
	CHECK(json_is_null(json_object_get(json_array_get(a, 2), "alert_id")));
	CHECK(json_is_null(json_object_get(json_array_get(a, 2), "log")));
	json_decref(j);

	CHECK_INT(incident_export_json(&inc, &out, &len), 0);
	if (out != NULL) {
		CHECK_INT(strlen(out), len);
		CHECK(len > 2 && out[len - 1] == '\n' && out[len - 2] == '}');
		CHECK(has(out, "\n  \"title\": "));
		CHECK(has(out, "\\u0007"));
		free(out);
	}
	incident_release(&inc);
}

#define SUMMARY_LF	"Line one with **bold** and <i>html</i>.\n" \
	"1. not a list\n# not a heading\n> not a quote\n" \
	"www.example.com and http://example.com/"

TEST(json_roundtrip)
{
	struct incident inc, back;
	char *out, err[256];
	size_t len;

	build(&inc);
	CHECK_INT(incident_export_json(&inc, &out, &len), 0);
	if (out == NULL)
		return;
	CHECK_INT(incident_import(out, len, "export.json", &back, err,
	    sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK_STR(back.title, inc.title);
	CHECK_STR(back.category, "attack");
	CHECK_STR(back.rsit_class, "intrusion-attempts");
	CHECK_STR(back.rsit_type, "exploit");
	CHECK_INT(back.severity, INC_SEV_CRITICAL);
	CHECK_INT(back.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(back.first_seen_ns, inc.first_seen_ns);
	CHECK_INT(back.last_seen_ns, inc.last_seen_ns);
	CHECK(same_parties(&inc, &back));
	/* The summary comes back with its line ends made LF. */
	CHECK(back.summary != NULL && strncmp(back.summary, SUMMARY_LF,
	    strlen(SUMMARY_LF)) == 0);
	CHECK(back.summary != NULL && has(back.summary,
	    "The reporter's reference: incident 42"));
	CHECK(back.reporter == NULL);
	incident_release(&back);
	free(out);
	incident_release(&inc);
}

/* Runs cmark-gfm on md when it is installed; returns the HTML (caller
 * frees) or NULL. */
static char *
render(const char *md, size_t len)
{
	char path[128], cmd[512], *html = NULL;
	size_t cap = 0, n = 0, k;
	FILE *f, *p;

	if (system("command -v cmark-gfm >/dev/null 2>&1") != 0) {
		printf("note: cmark-gfm is not installed: the Markdown "
		    "is not rendered\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/report.md", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fwrite(md, 1, len, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cmark-gfm -e table -e autolink -e "
	    "tasklist -e strikethrough -e tagfilter '%s'", path);
	if ((p = popen(cmd, "r")) == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			html = realloc(html, cap);
			if (html == NULL)
				abort();
		}
		if ((k = fread(html + n, 1, 4096, p)) == 0)
			break;
		n += k;
	}
	html[n] = '\0';
	pclose(p);
	return html;
}

#define FENCED	"``````text\nFailed password for "

TEST(md_escapes)
{
	struct incident inc;
	char *out, *html, *p;
	size_t len;

	build(&inc);
	CHECK_INT(incident_export_md(&inc, &meta, &out, &len), 0);
	if (out == NULL)
		return;
	CHECK_INT(strlen(out), len);
	CHECK(valid_utf8(out));
	CHECK(has(out, "## Announcement (draft)"));
	CHECK(has(out, "## Internal details (do not publish)"));
	CHECK(has(out, "an attack on our systems"));
	CHECK(has(out, "It may affect people outside our organisation."));
	CHECK(has(out, "- Block the attacking address\n"));
	CHECK(has(out, "- [x] 1\\. Block the attacking address"));
	CHECK(has(out, "- [ ] 2\\. Check the accounts"));
	/* Nothing from the data becomes markup. */
	CHECK(!has(out, "<script>"));
	CHECK(has(out, "\\<script\\>"));
	CHECK(!has(out, "[a](javascript"));
	/* The one raw link is the log line's, inside the fence. */
	p = strstr(out, "[click](http");
	CHECK(p != NULL && strstr(p + 1, "[click](http") == NULL);
	CHECK(p != NULL && (size_t)(p - out) > strlen(FENCED) &&
	    strncmp(p - strlen(FENCED), FENCED, strlen(FENCED)) == 0);
	CHECK(has(out, "\\*\\*bold\\*\\*"));
	CHECK(has(out, "\n1\\. not a list"));
	CHECK(has(out, "\n\\# not a heading"));
	CHECK(has(out, "\n\\> not a quote"));
	CHECK(has(out, "www\\.example"));
	CHECK(has(out, "http\\://example"));
	CHECK(has(out, "\\| table \\|"));
	CHECK(!has(out, "\x07") && !has(out, "\x1b") && !has(out, "\r"));
	/* The log lines: in a fence longer than the longest run (5). */
	CHECK(has(out, "\n``````text\n" NASTY_LOG1 "\n"));
	CHECK(has(out, "\nbell\xe2\x90\x87 esc\xe2\x90\x9b[31m cr\xe2\x90\x8d"
	    "lf\xe2\x90\xa4" "bad"));
	CHECK(has(out, "\n``````\n"));
	/* No raw line of the data starts a line. */
	for (p = out; (p = strchr(p, '\n')) != NULL; p++)
		CHECK(strncmp(p + 1, "<", 1) != 0 || strncmp(p + 1, "<!-- ", 5)
		    == 0);

	if ((html = render(out, len)) != NULL) {
		CHECK(!has(html, "<script"));
		CHECK(!has(html, "<img"));
		CHECK(!has(html, "<b>"));
		CHECK(!has(html, "<i>"));
		CHECK(!has(html, "<del>"));
		CHECK(!has(html, "href=\"http"));
		CHECK(!has(html, "href=\"javascript"));
		CHECK(!has(html, "<h1>not"));
		CHECK(!has(html, "<blockquote>"));
		CHECK(!has(html, "<ol>"));
		CHECK(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
		CHECK(has(html, "[click](http://evil.example/x)"));
		CHECK(has(html, "<table>"));
		CHECK(has(html, "type=\"checkbox\""));
		/* Every table row kept its 7 cells: the | in the data did
		 * not split one. */
		CHECK(has(html, "sshd: *brute* _force_ | table | # head "
		    "~~x~~</td>"));
		free(html);
	}
	free(out);
	incident_release(&inc);
}

TEST(md_minimal)
{
	struct incident inc;
	char *out;
	size_t len;

	memset(&inc, 0, sizeof(inc));
	inc.id = 3;
	inc.title = xs("Report: spam from ``` our relay");
	inc.category = xs("no-such-category");
	inc.source = xs("report");
	inc.reporter = xs("abuse@example.net");
	inc.impact = INC_IMPACT_INFRASTRUCTURE;
	CHECK_INT(incident_export_md(&inc, NULL, &out, &len), 0);
	if (out != NULL) {
		CHECK(has(out, "was informed of an incident of the kind "
		    "\"no\\-such\\-category\""));
		CHECK(has(out, "services that others depend on"));
		CHECK(has(out, "| Reporter | abuse@example.net |"));
		CHECK(has(out, "None recorded."));
		CHECK(!has(out, "### Alerts"));
		CHECK(has(out, "\\`\\`\\`"));
		free(out);
	}
	incident_release(&inc);
}

static int
import_str(const char *s, struct incident *inc, char *err, size_t errlen)
{
	return incident_import(s, strlen(s), "report.xml", inc, err, errlen);
}

#define IODEF_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
	"<IODEF-Document version=\"2.00\" xml:lang=\"en\"\n" \
	"    xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">\n"

/* An IODEF report as another CSIRT sends it (RFC 7970's examples). */
TEST(import_foreign_iodef)
{
	static const char doc[] = IODEF_HEAD
	    "<Incident purpose=\"reporting\" restriction=\"green\">\n"
	    "  <IncidentID name=\"csirt.example.com\">189493</IncidentID>\n"
	    "  <DetectTime>2026-11-28T07:59:00+09:00</DetectTime>\n"
	    "  <StartTime>2026-11-27T22:00:00Z</StartTime>\n"
	    "  <ReportTime>2026-11-28T01:00:00Z</ReportTime>\n"
	    "  <GenerationTime>2026-11-28T01:00:00Z</GenerationTime>\n"
	    "  <Description>  Scanning from your network  </Description>\n"
	    "  <Description>We saw\r\nport scans &amp; more.</Description>\n"
	    "  <Discovery source=\"external-notification\">\n"
	    "    <Contact role=\"reporter\" type=\"person\">"
	    "<ContactName>A customer</ContactName></Contact>\n"
	    "  </Discovery>\n"
	    "  <Assessment>\n"
	    "    <IncidentCategory>rsit:information-gathering=\"scanner\""
	    "</IncidentCategory>\n"
	    "    <SystemImpact severity=\"low\" type=\"unknown\"/>\n"
	    "  </Assessment>\n"
	    "  <Contact role=\"creator\" type=\"organization\">\n"
	    "    <ContactName>Example CSIRT</ContactName>\n"
	    "    <Email><EmailTo>contact@csirt.example.com</EmailTo></Email>\n"
	    "  </Contact>\n"
	    "  <EventData>\n"
	    "    <Flow>\n"
	    "      <System category=\"source\">\n"
	    "        <Node><Address category=\"ipv4-addr\"> 192.0.2.200 "
	    "</Address></Node>\n"
	    "      </System>\n"
	    "      <System category=\"source\">\n"
	    "        <Node><Address category=\"ipv4-net\">192.0.2.0/24"
	    "</Address></Node>\n"
	    "      </System>\n"
	    "      <System category=\"target\">\n"
	    "        <Node><Address category=\"ipv6-addr\">2001:DB8:0:0::1"
	    "</Address><DomainData><Name>www.csirt.example.com</Name>"
	    "</DomainData></Node>\n"
	    "      </System>\n"
	    "      <System category=\"sensor\">\n"
	    "        <Node><Address category=\"ipv4-addr\">198.51.100.1"
	    "</Address></Node>\n"
	    "      </System>\n"
	    "    </Flow>\n"
	    "    <Record><RecordData>\n"
	    "      <DateTime>2026-11-27T22:00:01Z</DateTime>\n"
	    "      <Description>firewall</Description>\n"
	    "      <RecordItem dtype=\"string\"><![CDATA[DROP SRC=192.0.2.200"
	    " <b>]]></RecordItem>\n"
	    "    </RecordData></Record>\n"
	    "    <EventData><AdditionalData dtype=\"string\" "
	    "name=\"target-user\">guest</AdditionalData></EventData>\n"
	    "  </EventData>\n"
	    "</Incident>\n"
	    "</IODEF-Document>\n";
	struct incident inc;
	char err[256];

	/* The test's input is itself valid IODEF. */
	CHECK_INT(validate(doc, sizeof(doc) - 1), 0);
	CHECK_INT(import_str(doc, &inc, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK_STR(inc.title, "Scanning from your network");
	CHECK(inc.category == NULL);	/* the caller maps RSIT */
	CHECK_STR(inc.rsit_class, "information-gathering");
	CHECK_STR(inc.rsit_type, "scanner");
	CHECK_STR(inc.source, "report");
	CHECK_STR(inc.reporter, "Example CSIRT <contact@csirt.example.com>");
	CHECK_INT(inc.severity, INC_SEV_LOW);
	CHECK_INT(inc.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(inc.first_seen_ns, 1795816800LL * SEC);
	CHECK_INT(inc.last_seen_ns, (1795816800LL + 3540) * SEC);
	CHECK_INT(inc.nparties, 4);
	if (inc.nparties == 4) {
		CHECK_INT(inc.parties[0].role, INC_ATTACKER);
		CHECK_STR(inc.parties[0].value, "192.0.2.200");
		CHECK_INT(inc.parties[1].role, INC_VICTIM);
		CHECK_STR(inc.parties[1].value, "2001:db8::1");
		CHECK_INT(inc.parties[2].kind, INC_PARTY_HOST);
		CHECK_STR(inc.parties[2].value, "www.csirt.example.com");
		CHECK_INT(inc.parties[3].kind, INC_PARTY_USER);
		CHECK_STR(inc.parties[3].value, "guest");
	}
	CHECK(inc.summary != NULL && strncmp(inc.summary,
	    "We saw\nport scans & more.", 25) == 0);
	CHECK(inc.summary != NULL && has(inc.summary,
	    "The reporter's reference: csirt.example.com 189493"));
	CHECK(inc.summary != NULL && has(inc.summary,
	    "Not imported (source ipv4-net): 192.0.2.0/24"));
	CHECK(inc.summary != NULL && has(inc.summary,
	    "2026-11-27T22:00:01.000Z firewall: DROP SRC=192.0.2.200 <b>"));
	incident_release(&inc);
}

TEST(import_iodef_v1)
{
	static const char doc[] = "<?xml version=\"1.0\"?>\n"
	    "<IODEF-Document version=\"1.00\" lang=\"en\" "
	    "xmlns=\"urn:ietf:params:xml:ns:iodef-1.0\">\n"
	    "<Incident purpose=\"reporting\">\n"
	    "<IncidentID name=\"jpcert.example\">JP-1</IncidentID>\n"
	    "<ReportTime>2026-11-28T00:00:00+09:00</ReportTime>\n"
	    "<Description>Phishing site</Description>\n"
	    "<Assessment><Impact severity=\"high\" type=\"unknown\"/>"
	    "</Assessment>\n"
	    "<Contact role=\"irt\" type=\"organization\">"
	    "<ContactName>JPCERT-like</ContactName>"
	    "<Email>office@example.jp</Email></Contact>\n"
	    "<EventData><Flow><System category=\"target\"><Node>"
	    "<NodeName>phish.example.ac.jp</NodeName>"
	    "<Address>192.0.2.7</Address></Node></System></Flow></EventData>\n"
	    "</Incident></IODEF-Document>\n";
	struct incident inc;
	char err[256];

	CHECK_INT(import_str(doc, &inc, err, sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK_STR(inc.title, "Phishing site");
	CHECK_STR(inc.reporter, "JPCERT-like <office@example.jp>");
	CHECK_INT(inc.severity, INC_SEV_HIGH);
	CHECK_INT(inc.first_seen_ns, 1795791600LL * SEC);
	CHECK_INT(inc.nparties, 2);
	if (inc.nparties == 2) {
		CHECK_STR(inc.parties[0].value, "phish.example.ac.jp");
		CHECK_STR(inc.parties[1].value, "192.0.2.7");
		CHECK_INT(inc.parties[1].role, INC_VICTIM);
	}
	incident_release(&inc);
}

/* A report that must be refused, with a message naming the place. */
static void
refused(const char *doc, size_t len, const char *name, const char *want,
    int line)
{
	struct incident inc;
	char err[256], prefix[64];
	int r;

	memset(err, 'X', sizeof(err));
	r = incident_import(doc, len, name, &inc, err, sizeof(err));
	CHECK_INT(r, MAMORI_EINVAL);
	CHECK(inc.title == NULL && inc.parties == NULL && inc.source == NULL);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", name, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", name);
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !has(err, want)) {
		fprintf(stderr, "error \"%.*s\", expected \"%s...%s\"\n",
		    (int)strnlen(err, sizeof(err)), err, prefix, want);
		CHECK(0);
	}
	incident_release(&inc);
}

static void
refused_str(const char *doc, const char *want, int line)
{
	refused(doc, strlen(doc), "report.xml", want, line);
}

TEST(import_hostile_xml)
{
	char *bomb, *p;
	int i;

	refused_str("<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n"
	    "<!ENTITY x SYSTEM \"file:///etc/passwd\">\n]>\n"
	    "<IODEF-Document xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">"
	    "<Incident purpose=\"reporting\"><Description>&x;</Description>"
	    "</Incident></IODEF-Document>\n", "(<!DOCTYPE>) is not accepted",
	    2);
	/* An entity expansion bomb never gets expanded. */
	bomb = malloc(8192);
	p = bomb + sprintf(bomb, "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	    "<!ENTITY lol0 \"lol\">\n");
	for (i = 1; i < 10; i++)
		p += sprintf(p, "<!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;"
		    "&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;\">\n", i,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1);
	sprintf(p, "]>\n<lolz>&lol9;</lolz>\n");
	refused_str(bomb, "is not accepted", 2);
	free(bomb);
	/* An entity that was never declared. */
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\">\n"
	    "<Description>&x;</Description></Incident></IODEF-Document>\n",
	    "Entity 'x' not defined", 5);
	refused_str("<?xml version=\"1.0\"?>\n<a>\n<b></a>\n",
	    "mismatch", 3);
	refused_str("<?xml version=\"1.0\"?>\n<IODEF-Document/>\n",
	    "not an IODEF document", 2);
	refused_str(IODEF_HEAD "</IODEF-Document>\n", "no <Incident>", 3);
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\"/>\n"
	    "<Incident purpose=\"reporting\"/>\n</IODEF-Document>\n",
	    "a second <Incident>", 5);
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\">\n"
	    "<EventData><Flow><System category=\"source\"><Node>\n"
	    "<Address category=\"ipv4-addr\">2001:db8::1</Address>\n"
	    "</Node></System></Flow></EventData></Incident>"
	    "</IODEF-Document>\n",
	    "<Address category=\"ipv4-addr\"> is not an IPv4 address", 6);
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\">\n"
	    "<EventData><Flow><System category=\"target\"><Node>\n"
	    "<DomainData><Name>bad host/name</Name></DomainData>\n"
	    "</Node></System></Flow></EventData></Incident>"
	    "</IODEF-Document>\n", "is not a host name", 6);
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\">\n"
	    "<StartTime>yesterday</StartTime>\n</Incident>"
	    "</IODEF-Document>\n", "<StartTime> is not an RFC 3339", 5);
	refused_str(IODEF_HEAD "<Incident purpose=\"reporting\">\n"
	    "<AdditionalData dtype=\"string\" name=\"category\">"
	    "Bad Category</AdditionalData>\n</Incident>"
	    "</IODEF-Document>\n", "not a taxonomy id", 5);
	/* Not UTF-8, whatever the declaration says. */
	refused_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	    "<IODEF-Document xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">\n"
	    "<Incident purpose=\"reporting\"><Description>caf\xe9"
	    "</Description></Incident></IODEF-Document>\n", "UTF-8", 3);
	refused("<a>\0</a>", 8, "report.xml", "NUL byte", 1);
	refused_str("", "empty report", 0);
	refused_str("  \n\t", "empty report", 0);
	refused_str("hello", "neither XML (IODEF) nor JSON", 0);
	refused_str("\xef\xbb\xbf hello", "neither XML", 0);
}

TEST(import_limits)
{
	size_t big = IMPORT_MAX_BYTES + 1, i;
	char *buf, *p, *title;
	struct incident inc;
	char err[256];
	int n;

	/* Size: one byte over the limit is refused before parsing. */
	buf = malloc(big);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	refused(buf, big, "r.json", "larger than", 0);
	/* ... and at the limit it is parsed. */
	buf[1] = '{';
	CHECK_INT(incident_import(buf + 1, big - 1, "r.json", &inc, err,
	    sizeof(err)), MAMORI_EINVAL);
	CHECK(has(err, "neither a \"title\" nor a \"text\""));
	free(buf);

	/* Parties: exactly the limit, then one more. */
	for (n = IMPORT_MAX_PARTIES; n <= IMPORT_MAX_PARTIES + 1; n++) {
		buf = malloc((size_t)n * 32 + 256);
		p = buf + sprintf(buf, "{\"title\": \"many\", "
		    "\"attackers\": [");
		for (i = 0; i < (size_t)n; i++)
			p += sprintf(p, "%s\"10.0.%zu.%zu\"", i ? "," : "",
			    i / 256, i % 256);
		sprintf(p, "]}");
		if (n == IMPORT_MAX_PARTIES) {
			CHECK_INT(incident_import(buf, strlen(buf), "r.json",
			    &inc, err, sizeof(err)), 0);
			CHECK_INT(inc.nparties, IMPORT_MAX_PARTIES);
			incident_release(&inc);
		} else
			refused(buf, strlen(buf), "r.json", "more than", 0);
		free(buf);
	}

	/* The title: exactly the limit, then one more. */
	title = malloc(IMPORT_MAX_TITLE + 2);
	memset(title, 'a', IMPORT_MAX_TITLE + 1);
	title[IMPORT_MAX_TITLE + 1] = '\0';
	buf = malloc(IMPORT_MAX_TITLE + 64);
	sprintf(buf, "{\"title\": \"%s\"}", title + 1);
	CHECK_INT(incident_import(buf, strlen(buf), "r.json", &inc, err,
	    sizeof(err)), 0);
	CHECK_INT(inc.title != NULL ? strlen(inc.title) : 0, IMPORT_MAX_TITLE);
	incident_release(&inc);
	sprintf(buf, "{\"title\": \"%s\"}", title);
	refused(buf, strlen(buf), "r.json", "title is longer", 0);
	free(buf);
	free(title);

	/* Elements: a flood of empty ones. */
	buf = malloc((size_t)(IMPORT_MAX_NODES + 10) * 4 + 512);
	p = buf + sprintf(buf, IODEF_HEAD "<Incident purpose=\"reporting\">"
	    "<AdditionalData dtype=\"xml\" name=\"x\">");
	for (i = 0; i < IMPORT_MAX_NODES; i++)
		p += sprintf(p, "<a/>");
	sprintf(p, "</AdditionalData></Incident></IODEF-Document>\n");
	refused(buf, strlen(buf), "flood.xml", "more than", 0);
	free(buf);

	/* Log records beyond the limit are counted, not kept. */
	buf = malloc(IMPORT_MAX_RECORDS * 64 + 256);
	p = buf + sprintf(buf, "{\"title\": \"logs\", \"logs\": [");
	for (i = 0; i < IMPORT_MAX_RECORDS + 5; i++)
		p += sprintf(p, "%s\"line %zu\"", i ? "," : "", i);
	sprintf(p, "]}");
	CHECK_INT(incident_import(buf, strlen(buf), "r.json", &inc, err,
	    sizeof(err)), 0);
	CHECK(inc.summary != NULL && has(inc.summary, "line 49\n"));
	CHECK(inc.summary != NULL && !has(inc.summary, "line 50"));
	CHECK(inc.summary != NULL && has(inc.summary,
	    "(5 more not imported)"));
	incident_release(&inc);
	free(buf);
}

TEST(import_simple_json)
{
	static const char rep[] = "{\n"
	    "  \"reporter\": \"abuse@isp.example\",\n"
	    "  \"text\": \"\\n  Your host 192.0.2.5 sends spam.\\n"
	    "See logs.\",\n"
	    "  \"category\": \"spam\",\n"
	    "  \"attackers\": [\"192.0.2.5\", \"mx1.example.ac.jp\", "
	    "{\"kind\": \"user\", \"value\": \"bob\\u001b[0m\"}],\n"
	    "  \"victims\": [\"2001:db8::25\"],\n"
	    "  \"first_seen\": \"2026-11-28T09:00:00+09:00\",\n"
	    "  \"severity\": 3,\n"
	    "  \"logs\": [\"<mx> 550 rejected\"]\n"
	    "}\n";
	struct incident inc;
	char err[256];

	CHECK_INT(incident_import(rep, sizeof(rep) - 1, "r.json", &inc, err,
	    sizeof(err)), 0);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CHECK_STR(inc.title, "Your host 192.0.2.5 sends spam.");
	CHECK_STR(inc.reporter, "abuse@isp.example");
	CHECK_STR(inc.category, "spam");
	CHECK(inc.rsit_class == NULL);
	CHECK_INT(inc.severity, INC_SEV_HIGH);
	CHECK_INT(inc.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(inc.first_seen_ns, 1795824000LL * SEC);
	CHECK_INT(inc.last_seen_ns, 1795824000LL * SEC);
	CHECK_INT(inc.nparties, 4);
	if (inc.nparties == 4) {
		CHECK_INT(inc.parties[0].kind, INC_PARTY_IP);
		CHECK_INT(inc.parties[1].kind, INC_PARTY_HOST);
		CHECK_INT(inc.parties[2].kind, INC_PARTY_USER);
		CHECK_STR(inc.parties[2].value, "bob [0m");
		CHECK_INT(inc.parties[3].role, INC_VICTIM);
	}
	CHECK(inc.summary != NULL && has(inc.summary, "See logs."));
	CHECK(inc.summary != NULL && has(inc.summary,
	    "Log records from the report:\n<mx> 550 rejected"));
	incident_release(&inc);

	refused_str("{\"title\": \"x\",\n \"oops\"}", "", 2);
	refused_str("{\"title\": 5}", "\"title\" must be a string", 0);
	refused_str("{\"title\": \"x\", \"title\": \"y\"}", "duplicate", 1);
	refused_str("[1, 2]", "a report must be a JSON object", 1);
	refused_str("{\"title\": \"x\", \"attackers\": [\"bad host!\"]}",
	    "\"attackers\"[0] is not a host name", 0);
	refused_str("{\"title\": \"x\", \"victims\": [{\"kind\": \"ip\", "
	    "\"value\": \"300.1.1.1\"}]}", "\"victims\"[0] is not an IP", 0);
	refused_str("{\"title\": \"x\", \"victims\": [{\"kind\": \"cat\", "
	    "\"value\": \"x\"}]}", "must be ip, host or user", 0);
	refused_str("{\"title\": \"x\", \"attackers\": {}}", "must be an array",
	    0);
	refused_str("{\"title\": \"x\", \"severity\": 9}", "1 to 4", 0);
	refused_str("{\"title\": \"x\", \"impact\": \"huge\"}",
	    "\"impact\"", 0);
	refused_str("{\"title\": \"x\", \"first_seen\": \"-1h\"}",
	    "\"first_seen\" is not an RFC 3339", 0);
	refused_str("{\"title\": \"x\", \"category\": \"../etc\"}",
	    "not a taxonomy id", 0);
	refused_str("{\"title\": \"x\", \"rsit\": \"scan\"}", "\"rsit\"", 0);
	refused_str("{\"title\": \"caf\xe9\"}", "unable to decode byte", 1);
	refused_str("{\"title\": \"a\\u0000b\"}", "NUL", 1);
}

TEST(import_text)
{
	struct incident inc;
	char err[256];
	char long_line[300];

	CHECK_INT(incident_import_text("Taro <taro@example.jp>",
	    "\n  Our server 192.0.2.9 was attacked from yours.\nDetails...",
	    &inc, err, sizeof(err)), 0);
	CHECK_STR(inc.title, "Our server 192.0.2.9 was attacked from yours.");
	CHECK_STR(inc.reporter, "Taro <taro@example.jp>");
	CHECK_STR(inc.source, "report");
	CHECK(inc.category == NULL);
	CHECK_INT(inc.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(inc.severity, INC_SEV_MEDIUM);
	CHECK(inc.summary != NULL && has(inc.summary, "Details..."));
	incident_release(&inc);

	/* A long first line is cut on a character boundary. */
	memset(long_line, 0, sizeof(long_line));
	memset(long_line, 'a', 119);
	strcat(long_line, "\xe6\x97\xa5\xe6\x97\xa5 tail");
	CHECK_INT(incident_import_text(NULL, long_line, &inc, err,
	    sizeof(err)), 0);
	CHECK_INT(inc.title != NULL ? strlen(inc.title) : 0, 119);
	CHECK(inc.reporter == NULL);
	incident_release(&inc);

	CHECK_INT(incident_import_text("x", " \n ", &inc, err, sizeof(err)),
	    MAMORI_EINVAL);
	CHECK_STR(err, "report: the text is empty");
	CHECK(inc.title == NULL);
}

int
main(void)
{
	int r;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mamori-export.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(sanitize);
	RUN(iodef_validates);
	RUN(iodef_minimal_and_params);
	RUN(iodef_roundtrip);
	RUN(json_fields);
	RUN(json_roundtrip);
	RUN(md_escapes);
	RUN(md_minimal);
	RUN(import_foreign_iodef);
	RUN(import_iodef_v1);
	RUN(import_hostile_xml);
	RUN(import_limits);
	RUN(import_simple_json);
	RUN(import_text);
	r = test_summary();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	xmlCleanupParser();
	return r;
}
