/*
 * export-json.c - mamori's canonical JSON form of an incident (RFC 8259),
 * and the text clean-up every export shares.
 *
 * One form for every consumer (`incident export --format json`, the
 * webhook notifier, the web API), so that a field has one name
 * everywhere.  An incident holds at most a few hundred timeline entries
 * and INC_ALERTS_SHOWN alerts at each end, so the document is built whole
 * in memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"

/* Length of the UTF-8 sequence at p (at most n bytes), with its code
 * point in *cp; 0 when it is not well-formed (RFC 3629, section 4). */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static char *
put_cp(char *d, uint32_t c)
{
	if (c < 0x80)
		*d++ = (char)c;
	else if (c < 0x800) {
		*d++ = (char)(0xc0 | (c >> 6));
		*d++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*d++ = (char)(0xe0 | (c >> 12));
		*d++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*d++ = (char)(0x80 | (c & 0x3f));
	} else {
		*d++ = (char)(0xf0 | (c >> 18));
		*d++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*d++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*d++ = (char)(0x80 | (c & 0x3f));
	}
	return d;
}

char *
export_sanitize(const char *s, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t c;
	char *out, *d;

	/* Each input byte becomes at most 3 output bytes (U+FFFD or a
	 * Control Picture for one byte; a 4-byte sequence stays 4). */
	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	d = out;
	while (n > 0) {
		if ((len = utf8_seq(p, n, &c)) == 0) {
			c = 0xfffd;
			len = 1;
		} else if ((flags & EXPORT_SAN_LINE) &&
		    (c == '\t' || c == '\n' || c == '\r'))
			c = ' ';
		else if ((flags & EXPORT_SAN_CTRL) && c < 0x20 &&
		    c != '\t' && c != '\n' && c != '\r')
			c = 0x2400 + c;
		else if ((flags & EXPORT_SAN_CTRL) && c == 0x7f)
			c = 0x2421;
		else if ((flags & EXPORT_SAN_CTRL) &&
		    (c == 0xfffe || c == 0xffff))
			c = 0xfffd;
		else if ((flags & EXPORT_SAN_BIDI) &&
		    ((c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069)))
			c = 0xfffd;
		d = put_cp(d, c);
		p += len;
		n -= len;
	}
	*d = '\0';
	return out;
}

/*
 * Building the object: every json_* call can fail for want of memory,
 * so the helpers take a flag that the first failure sets, and the caller
 * checks it once at the end.  The *_new setters steal the value even on
 * failure (jansson's contract), so nothing leaks.
 */
struct jb {
	int	 bad;
};

static json_t *
jstr(struct jb *b, const char *s)
{
	json_t *j;
	char *fixed;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* Not UTF-8 (jansson refuses it), or out of memory. */
	if ((fixed = export_sanitize(s, 0)) == NULL) {
		b->bad = 1;
		return NULL;
	}
	if ((j = json_string(fixed)) == NULL)
		b->bad = 1;
	free(fixed);
	return j;
}

static json_t *
jtime(struct jb *b, int64_t ns)
{
	char ts[48];
	json_t *j;

	if (ns == 0 || time_format_rfc3339(ns, 0, 3, ts, sizeof(ts)) != 0)
		return json_null();
	if ((j = json_string(ts)) == NULL)
		b->bad = 1;
	return j;
}

static json_t *
jint(struct jb *b, json_int_t v)
{
	json_t *j;

	if ((j = json_integer(v)) == NULL)
		b->bad = 1;
	return j;
}

static void
set(struct jb *b, json_t *o, const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(o, k, v) != 0)
		b->bad = 1;
}

static void
append(struct jb *b, json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) != 0)
		b->bad = 1;
}

static json_t *
jobj(struct jb *b)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		b->bad = 1;
	return o;
}

static json_t *
jarr(struct jb *b)
{
	json_t *a;

	if ((a = json_array()) == NULL)
		b->bad = 1;
	return a;
}

/* A name from incident.h's tables, or null for a value out of range. */
static json_t *
jname(struct jb *b, const char *name)
{
	return jstr(b, name);
}

static json_t *
party_json(struct jb *b, const struct inc_party *p)
{
	json_t *o;

	if ((o = jobj(b)) == NULL)
		return NULL;
	set(b, o, "kind", jname(b, inc_party_kind_name(p->kind)));
	set(b, o, "value", jstr(b, p->value));
	set(b, o, "internal", json_boolean(p->internal));
	return o;
}

static json_t *
step_json(struct jb *b, const struct inc_step *s)
{
	json_t *o;

	if ((o = jobj(b)) == NULL)
		return NULL;
	set(b, o, "n", jint(b, s->n));
	set(b, o, "id", jstr(b, s->id));
	set(b, o, "title", jstr(b, s->title));
	set(b, o, "detail", jstr(b, s->detail));
	set(b, o, "state", jname(b, inc_step_state_name(s->state)));
	set(b, o, "who", jstr(b, s->who));
	set(b, o, "at", jtime(b, s->at_ns));
	set(b, o, "note", jstr(b, s->note));
	return o;
}

static json_t *
evidence_json(struct jb *b, const struct inc_evidence *e)
{
	json_t *o;

	if ((o = jobj(b)) == NULL)
		return NULL;
	set(b, o, "id", jint(b, e->id));
	set(b, o, "kind", jname(b, inc_evidence_kind_name(e->kind)));
	set(b, o, "value", jstr(b, e->value));
	set(b, o, "note", jstr(b, e->note));
	set(b, o, "who", jstr(b, e->who));
	set(b, o, "at", jtime(b, e->at_ns));
	return o;
}

static json_t *
event_json(struct jb *b, const struct inc_event *e)
{
	json_t *o;

	if ((o = jobj(b)) == NULL)
		return NULL;
	set(b, o, "id", jint(b, e->id));
	set(b, o, "at", jtime(b, e->at_ns));
	set(b, o, "who", jstr(b, e->who));
	set(b, o, "kind", jstr(b, e->kind));
	set(b, o, "text", jstr(b, e->text));
	return o;
}

static json_t *
alert_json(struct jb *b, const struct inc_alert_ref *a)
{
	json_t *o;

	if ((o = jobj(b)) == NULL)
		return NULL;
	set(b, o, "alert_id", a->alert_id != 0 ? jint(b, a->alert_id) :
	    json_null());
	/* Sequence numbers stay far below 2^63; a larger one would not
	 * survive JSON readers that use doubles anyway. */
	set(b, o, "log_seq", a->log_seq != 0 && a->log_seq <= INT64_MAX ?
	    jint(b, (json_int_t)a->log_seq) : json_null());
	set(b, o, "time", jtime(b, a->time_ns));
	set(b, o, "rule_id", jint(b, (json_int_t)a->rule_id));
	set(b, o, "level", jint(b, a->level));
	set(b, o, "description", jstr(b, a->description));
	set(b, o, "host", jstr(b, a->host));
	set(b, o, "srcip", jstr(b, a->srcip));
	set(b, o, "user", jstr(b, a->user));
	set(b, o, "log", jstr(b, a->log));
	return o;
}

json_t *
incident_json(const struct incident *inc)
{
	struct jb b = { 0 };
	json_t *o, *rsit, *att, *vic, *a;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	set(&b, o, "id", jint(&b, inc->id));
	set(&b, o, "title", jstr(&b, inc->title));
	set(&b, o, "category", jstr(&b, inc->category));
	if ((rsit = jobj(&b)) != NULL) {
		set(&b, rsit, "class", jstr(&b, inc->rsit_class));
		set(&b, rsit, "type", jstr(&b, inc->rsit_type));
	}
	set(&b, o, "rsit", rsit);
	set(&b, o, "impact", jname(&b, inc_impact_name(inc->impact)));
	set(&b, o, "severity", jname(&b, inc_severity_name(inc->severity)));
	set(&b, o, "status", jname(&b, inc_status_name(inc->status)));
	set(&b, o, "assignee", jstr(&b, inc->assignee));
	set(&b, o, "source", jstr(&b, inc->source));
	set(&b, o, "reporter", jstr(&b, inc->reporter));
	set(&b, o, "summary", jstr(&b, inc->summary));
	set(&b, o, "playbook", jstr(&b, inc->playbook));
	set(&b, o, "merged_into", inc->merged_into != 0 ?
	    jint(&b, inc->merged_into) : json_null());
	set(&b, o, "first_seen", jtime(&b, inc->first_seen_ns));
	set(&b, o, "last_seen", jtime(&b, inc->last_seen_ns));
	set(&b, o, "created", jtime(&b, inc->created_ns));
	set(&b, o, "updated", jtime(&b, inc->updated_ns));
	set(&b, o, "alert_count", inc->alert_count <= INT64_MAX ?
	    jint(&b, (json_int_t)inc->alert_count) : json_null());

	att = jarr(&b);
	vic = jarr(&b);
	for (i = 0; i < inc->nparties && att != NULL && vic != NULL; i++)
		append(&b, inc->parties[i].role == INC_ATTACKER ? att : vic,
		    party_json(&b, &inc->parties[i]));
	set(&b, o, "attackers", att);
	set(&b, o, "victims", vic);

	if ((a = jarr(&b)) != NULL)
		for (i = 0; i < inc->nsteps; i++)
			append(&b, a, step_json(&b, &inc->steps[i]));
	set(&b, o, "steps", a);
	if ((a = jarr(&b)) != NULL)
		for (i = 0; i < inc->nevidence; i++)
			append(&b, a, evidence_json(&b, &inc->evidence[i]));
	set(&b, o, "evidence", a);
	if ((a = jarr(&b)) != NULL)
		for (i = 0; i < inc->ntimeline; i++)
			append(&b, a, event_json(&b, &inc->timeline[i]));
	set(&b, o, "timeline", a);
	if ((a = jarr(&b)) != NULL)
		for (i = 0; i < inc->nalerts; i++)
			append(&b, a, alert_json(&b, &inc->alerts[i]));
	set(&b, o, "alerts", a);

	if (b.bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
incident_export_json(const struct incident *inc, char **out, size_t *outlen)
{
	json_t *o;
	char *s, *buf;
	size_t n;

	*out = NULL;
	*outlen = 0;
	if ((o = incident_json(inc)) == NULL)
		return MAMORI_ENOMEM;
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return MAMORI_ENOMEM;
	n = strlen(s);
	if ((buf = realloc(s, n + 2)) == NULL) {
		free(s);
		return MAMORI_ENOMEM;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*out = buf;
	*outlen = n + 1;
	return 0;
}
