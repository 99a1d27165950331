/*
 * import.c - incidents reported from outside: IODEF v2 (RFC 7970) or v1
 * (RFC 5070) XML, mamori's own incident JSON (RFC 8259), the simple JSON
 * report form, and plain text typed at a terminal.
 *
 * A report is untrusted bytes from anyone who can send mail.  The XML
 * parser (libxml2) runs without network access (XML_PARSE_NONET), never
 * substitutes entities (no XML_PARSE_NOENT), loads no DTD, and stops at
 * the first <!DOCTYPE>: a report has no use for one, and refusing it
 * rules out external entities and entity expansion bombs.  The encoding
 * is UTF-8 whatever the document declares.  The input, the number of
 * elements, parties and log records, and the length of every string are
 * bounded (export.h, IMPORT_MAX_*).  Values that become parties are
 * checked for their form (an address parses, a host name has host-name
 * characters); control characters in one-line fields become spaces.
 * Nothing is half-applied: on any error *inc is left empty.
 *
 * docs/exchange.md lists which IODEF classes and JSON keys are read.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"

#define IODEF2_NS	"urn:ietf:params:xml:ns:iodef-2.0"
#define IODEF1_NS	"urn:ietf:params:xml:ns:iodef-1.0"
#define IMPORT_MAX_DEPTH	16	/* nested EventData */
#define IMPORT_TITLE_CUT	120	/* a title taken from a text */
#define FALLBACK_TITLE	"Incident reported from outside"

/* A growing string. */
struct sb {
	char	*p;
	size_t	 len, cap;
};

static int
sb_add(struct sb *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return MAMORI_ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
sb_str(struct sb *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

struct imp {
	const char	*name;
	char		*err;
	size_t		 errlen;
	struct incident	*inc;
	size_t		 partycap;
	struct sb	 body;		/* the report's own text */
	struct sb	 notes;		/* what mamori says about it */
	struct sb	 records;	/* log lines */
	size_t		 nrecords, ndropped;
	int		 reporter_rank;
	int		 have_severity;	/* named by mamori's AdditionalData */
	int64_t		 start, end, detect, report, ev_min, ev_max;
	xmlParserCtxtPtr ctxt;
	int		 xml_failed;	/* the parser reported an error */
};

static int
fail(struct imp *im, long line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (im->errlen > 0) {
		if (line > 0)
			snprintf(im->err, im->errlen, "%s:%ld: %s", im->name,
			    line, msg);
		else
			snprintf(im->err, im->errlen, "%s: %s", im->name, msg);
	}
	return MAMORI_EINVAL;
}

/*
 * A parser's message, which may quote the input: made one line of UTF-8
 * without control characters before it reaches a terminal.
 */
static int
fail_quoting(struct imp *im, long line, const char *msg)
{
	char *m;
	size_t n;
	int r;

	if ((m = export_sanitize(msg, EXPORT_SAN_CTRL | EXPORT_SAN_LINE |
	    EXPORT_SAN_BIDI)) == NULL)
		return fail(im, line, "not well-formed");
	n = strlen(m);
	while (n > 0 && m[n - 1] == ' ')
		m[--n] = '\0';
	r = fail(im, line, "%s", m);
	free(m);
	return r;
}

/* Spaces for control characters: in a one-line field everything below
 * 0x20 and DEL; in a text everything but TAB and LF, where CR LF and a
 * lone CR become LF. */
static void
clean_controls(char *s, int text)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (text && c == '\r') {
			if (s[1] != '\n')
				*d++ = '\n';
		} else if ((c < 0x20 || c == 0x7f) &&
		    !(text && (c == '\t' || c == '\n')))
			*d++ = ' ';
		else
			*d++ = (char)c;
	}
	*d = '\0';
}

/* A new copy of s[0..n) without the white space around it. */
static char *
trimmed(const char *s, size_t n)
{
	char *r;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if ((r = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

/* A one-line copy of s[0..n): control characters become spaces, and the
 * white space around it goes.  Caller frees; NULL when out of memory. */
static char *
one_line(const char *s, size_t n)
{
	char *c, *t;

	if ((c = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	clean_controls(c, 0);
	t = trimmed(c, n);
	free(c);
	return t;
}

/* A token of the taxonomy: [a-z0-9_-]{1,64}. */
static int
valid_token(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!islower((unsigned char)s[n]) &&
		    !isdigit((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != '-')
			return 0;
	return n > 0 && n <= 64;
}

static int
set_string(char **dst, const char *s)
{
	char *c;

	if ((c = strdup(s)) == NULL)
		return MAMORI_ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int
valid_host(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '.' &&
		    s[n] != '-' && s[n] != '_')
			return 0;
	return n > 0 && n <= 253;
}

/*
 * Adds a party, once.  value is trimmed and checked: an address must
 * parse (and is stored in its canonical form), a host name must look
 * like one, a user name must be one line.  what names the value in an
 * error.  family: AF_INET or AF_INET6 to insist on one, 0 for either.
 */
static int
add_party(struct imp *im, long line, enum inc_role role,
    enum inc_party_kind kind, int family, const char *raw, const char *what)
{
	struct incident *inc = im->inc;
	unsigned char a[16];
	char canon[INET6_ADDRSTRLEN], *v;
	size_t i;
	int r = 0;

	if ((v = one_line(raw, strlen(raw))) == NULL)
		return MAMORI_ENOMEM;
	if (v[0] == '\0' || strlen(v) > IMPORT_MAX_VALUE) {
		r = fail(im, line, "%s is %s", what, v[0] == '\0' ? "empty" :
		    "too long");
		goto out;
	}
	switch (kind) {
	case INC_PARTY_IP:
		if (family != AF_INET6 && inet_pton(AF_INET, v, a) == 1)
			inet_ntop(AF_INET, a, canon, sizeof(canon));
		else if (family != AF_INET && inet_pton(AF_INET6, v, a) == 1)
			inet_ntop(AF_INET6, a, canon, sizeof(canon));
		else {
			r = fail(im, line, "%s is not an %s address", what,
			    family == AF_INET ? "IPv4" : family == AF_INET6 ?
			    "IPv6" : "IP");
			goto out;
		}
		strcpy(v, canon);	/* never longer than the input */
		break;
	case INC_PARTY_HOST:
		if (!valid_host(v)) {
			r = fail(im, line, "%s is not a host name", what);
			goto out;
		}
		break;
	case INC_PARTY_USER:
		break;
	}
	for (i = 0; i < inc->nparties; i++)
		if (inc->parties[i].role == role &&
		    inc->parties[i].kind == kind &&
		    strcmp(inc->parties[i].value, v) == 0)
			goto out;	/* already there */
	if (inc->nparties >= IMPORT_MAX_PARTIES) {
		r = fail(im, line, "more than %d attackers and victims",
		    IMPORT_MAX_PARTIES);
		goto out;
	}
	if (inc->nparties == im->partycap) {
		size_t cap = im->partycap == 0 ? 8 : im->partycap * 2;
		struct inc_party *np;

		if ((np = realloc(inc->parties, cap * sizeof(*np))) == NULL) {
			r = MAMORI_ENOMEM;
			goto out;
		}
		inc->parties = np;
		im->partycap = cap;
	}
	inc->parties[inc->nparties].role = role;
	inc->parties[inc->nparties].kind = kind;
	inc->parties[inc->nparties].value = v;
	/* Whether it is inside the organisation is for the receiver to
	 * say, from its own networks, not for the sender. */
	inc->parties[inc->nparties].internal = 0;
	inc->nparties++;
	return 0;
out:
	free(v);
	return r;
}

/* Adds one log record ("time description: item") to the summary. */
static int
add_record(struct imp *im, int64_t t, const char *desc, const char *item)
{
	char ts[48];
	int r;

	if (item == NULL || item[0] == '\0')
		return 0;
	if (im->nrecords >= IMPORT_MAX_RECORDS ||
	    im->records.len + strlen(item) + 300 > IMPORT_MAX_TEXT / 2) {
		im->ndropped++;
		return 0;
	}
	im->nrecords++;
	if (t != 0 && time_format_rfc3339(t, 0, 3, ts, sizeof(ts)) == 0) {
		if ((r = sb_str(&im->records, ts)) != 0 ||
		    (r = sb_str(&im->records, " ")) != 0)
			return r;
	}
	if (desc != NULL && desc[0] != '\0') {
		if ((r = sb_add(&im->records, desc, strnlen(desc, 200))) != 0 ||
		    (r = sb_str(&im->records, ": ")) != 0)
			return r;
	}
	if ((r = sb_str(&im->records, item)) != 0 ||
	    (r = sb_str(&im->records, "\n")) != 0)
		return r;
	return 0;
}

static int
add_note(struct imp *im, const char *a, const char *b)
{
	int r;

	if (im->notes.len + strlen(a) + strlen(b) + 2 > IMPORT_MAX_TEXT / 4)
		return 0;	/* notes are a courtesy; enough is enough */
	if ((r = sb_str(&im->notes, a)) != 0 ||
	    (r = sb_str(&im->notes, b)) != 0 ||
	    (r = sb_str(&im->notes, "\n")) != 0)
		return r;
	return 0;
}

static int
add_body(struct imp *im, long line, const char *s)
{
	int r;

	if (s[0] == '\0')
		return 0;
	if (im->body.len + strlen(s) + 2 > IMPORT_MAX_TEXT / 4 * 3)
		return fail(im, line, "the report's text is longer than %u "
		    "bytes", IMPORT_MAX_TEXT / 4 * 3);
	if (im->body.len > 0 && (r = sb_str(&im->body, "\n\n")) != 0)
		return r;
	return sb_str(&im->body, s);
}

/* A report's time: RFC 3339 / xs:dateTime, starting with a year.  Years
 * outside 1970..2199 are refused before time_parse_user() sees them: ns
 * since the epoch in an int64_t end in 2262, and a report from before
 * 1970 is a mistake. */
static int
parse_time(const char *s, int64_t *out)
{
	int y, i;

	*out = 0;
	if (strlen(s) > 64)
		return MAMORI_EINVAL;
	for (i = 0, y = 0; i < 4; i++) {
		if (!isdigit((unsigned char)s[i]))
			return MAMORI_EINVAL;
		y = y * 10 + (s[i] - '0');
	}
	if (s[4] != '-' || y < 1970 || y > 2199)
		return MAMORI_EINVAL;
	return time_parse_user(s, 0, out);
}

/* title from a text: its first non-empty line, cut on a character
 * boundary. */
static int
title_from_text(struct incident *inc, const char *text)
{
	const char *p = text, *e;
	size_t n;

	while (*p != '\0' && isspace((unsigned char)*p))
		p++;
	for (e = p; *e != '\0' && *e != '\n' && *e != '\r'; e++)
		;
	n = (size_t)(e - p);
	if (n > IMPORT_TITLE_CUT) {
		n = IMPORT_TITLE_CUT;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
	}
	if ((inc->title = one_line(p, n)) == NULL)
		return MAMORI_ENOMEM;
	if (inc->title[0] == '\0')	/* nothing but control characters */
		return set_string(&inc->title, FALLBACK_TITLE);
	return 0;
}

static int
set_defaults(struct incident *inc)
{
	inc->status = INC_NEW;
	inc->impact = INC_IMPACT_EXTERNAL;
	inc->severity = INC_SEV_MEDIUM;
	return set_string(&inc->source, "report");
}

/* The summary: the report's text, then mamori's notes and the records. */
static int
finish(struct imp *im)
{
	struct incident *inc = im->inc;
	struct sb s = { NULL, 0, 0 };
	char n[64];
	int r = 0;

	if (im->body.len > 0)
		r = sb_add(&s, im->body.p, im->body.len);
	if (r == 0 && im->notes.len > 0)
		r = (s.len > 0 ? sb_str(&s, "\n\n") : 0) ||
		    sb_add(&s, im->notes.p, im->notes.len) ? MAMORI_ENOMEM : 0;
	if (r == 0 && im->records.len > 0) {
		/* A blank line before, whatever came last. */
		if (s.len > 0)
			r = sb_str(&s, s.p[s.len - 1] == '\n' ? "\n" : "\n\n");
		r = r || sb_str(&s, "Log records from the report:\n") ||
		    sb_add(&s, im->records.p, im->records.len) ?
		    MAMORI_ENOMEM : 0;
		if (r == 0 && im->ndropped > 0) {
			snprintf(n, sizeof(n), "(%zu more not imported)\n",
			    im->ndropped);
			r = sb_str(&s, n);
		}
	}
	if (r != 0) {
		free(s.p);
		return r;
	}
	if (s.p != NULL) {
		while (s.len > 0 && isspace((unsigned char)s.p[s.len - 1]))
			s.p[--s.len] = '\0';
		clean_controls(s.p, 1);
		free(inc->summary);
		inc->summary = s.p;
	}
	if (inc->first_seen_ns == 0)
		inc->first_seen_ns = im->start != 0 ? im->start :
		    im->detect != 0 ? im->detect : im->ev_min != 0 ?
		    im->ev_min : im->report;
	if (inc->last_seen_ns == 0)
		inc->last_seen_ns = im->end != 0 ? im->end :
		    im->ev_max > im->detect ? im->ev_max : im->detect;
	/* Only an end: it is the one time the report gives. */
	if (inc->first_seen_ns == 0)
		inc->first_seen_ns = inc->last_seen_ns;
	if (inc->last_seen_ns < inc->first_seen_ns)
		inc->last_seen_ns = inc->first_seen_ns;
	return 0;
}

static void
imp_release(struct imp *im)
{
	free(im->body.p);
	free(im->notes.p);
	free(im->records.p);
}

/* Adds the reporter's name, when it ranks higher than what we have. */
static int
offer_reporter(struct imp *im, int rank, const char *name,
    const char *email)
{
	struct sb s = { NULL, 0, 0 };
	char *c;
	int r = 0;

	if (rank <= im->reporter_rank ||
	    ((name == NULL || name[0] == '\0') &&
	    (email == NULL || email[0] == '\0')))
		return 0;
	if (name != NULL && name[0] != '\0')
		r = sb_str(&s, name);
	if (r == 0 && email != NULL && email[0] != '\0') {
		if (s.len > 0)
			r = sb_str(&s, " <") || sb_str(&s, email) ||
			    sb_str(&s, ">") ? MAMORI_ENOMEM : 0;
		else
			r = sb_str(&s, email);
	}
	if (r != 0) {
		free(s.p);
		return r;
	}
	if (s.len > IMPORT_MAX_TITLE) {
		free(s.p);
		return fail(im, 0, "the reporter's name is longer than %d "
		    "bytes", IMPORT_MAX_TITLE);
	}
	c = one_line(s.p, s.len);
	free(s.p);
	if (c == NULL)
		return MAMORI_ENOMEM;
	if (c[0] == '\0') {
		free(c);
		return 0;
	}
	free(im->inc->reporter);
	im->inc->reporter = c;
	im->reporter_rank = rank;
	return 0;
}

/* Sets the title, unless s is blank (the caller then falls back). */
static int
set_title(struct imp *im, long line, const char *s)
{
	char *t;

	if ((t = one_line(s, strlen(s))) == NULL)
		return MAMORI_ENOMEM;
	if (strlen(t) > IMPORT_MAX_TITLE) {
		free(t);
		return fail(im, line, "the title is longer than %d bytes",
		    IMPORT_MAX_TITLE);
	}
	if (t[0] == '\0') {
		free(t);
		return 0;
	}
	free(im->inc->title);
	im->inc->title = t;
	return 0;
}

/* "rsit:intrusion-attempts=\"exploit\"" (MISP's machine tag form). */
static int
parse_rsit_tag(const char *s, char *cls, char *type, size_t len)
{
	const char *eq, *q;
	size_t n;

	if (strncmp(s, "rsit:", 5) != 0 || (eq = strchr(s, '=')) == NULL)
		return -1;
	n = (size_t)(eq - (s + 5));
	if (n == 0 || n >= len)
		return -1;
	memcpy(cls, s + 5, n);
	cls[n] = '\0';
	s = eq + 1;
	if (*s == '"') {
		s++;
		if ((q = strchr(s, '"')) == NULL || q[1] != '\0')
			return -1;
		n = (size_t)(q - s);
	} else
		n = strlen(s);
	if (n == 0 || n >= len)
		return -1;
	memcpy(type, s, n);
	type[n] = '\0';
	return valid_token(cls) && valid_token(type) ? 0 : -1;
}

static int
set_rsit(struct imp *im, long line, const char *cls, const char *type)
{
	struct incident *inc = im->inc;

	if ((cls != NULL && !valid_token(cls)) ||
	    (type != NULL && !valid_token(type)))
		return fail(im, line, "the RSIT class or type is not a "
		    "lowercase token");
	if ((cls != NULL && set_string(&inc->rsit_class, cls) != 0) ||
	    (type != NULL && set_string(&inc->rsit_type, type) != 0))
		return MAMORI_ENOMEM;
	return 0;
}

static int
set_category(struct imp *im, long line, const char *s)
{
	if (!valid_token(s))
		return fail(im, line, "the category is not a taxonomy id "
		    "([a-z0-9_-], at most 64)");
	return set_string(&im->inc->category, s);
}

/*
 * IODEF.
 */

static int
is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    (xmlStrEqual(n->ns->href, BAD_CAST IODEF2_NS) ||
	    xmlStrEqual(n->ns->href, BAD_CAST IODEF1_NS)) &&
	    xmlStrEqual(n->name, BAD_CAST name);
}

static long
line_of(const xmlNode *n)
{
	return xmlGetLineNo((xmlNodePtr)n);
}

/* The text of n, trimmed (caller frees); NULL when out of memory. */
static char *
node_text(const xmlNode *n)
{
	xmlChar *c;
	char *r;

	if ((c = xmlNodeGetContent(n)) == NULL)
		return strdup("");
	r = trimmed((const char *)c, strlen((const char *)c));
	xmlFree(c);
	return r;
}

/* An attribute's value, trimmed (caller frees), or NULL (absent, or out
 * of memory: *oom says which). */
static char *
node_attr(const xmlNode *n, const char *name, int *oom)
{
	xmlChar *c;
	char *r;

	if ((c = xmlGetNoNsProp((xmlNodePtr)n, BAD_CAST name)) == NULL)
		return NULL;
	if ((r = trimmed((const char *)c, strlen((const char *)c))) == NULL)
		*oom = 1;
	xmlFree(c);
	return r;
}

static int
node_time(struct imp *im, const xmlNode *n, int64_t *out)
{
	char *s;
	int r = 0;

	if ((s = node_text(n)) == NULL)
		return MAMORI_ENOMEM;
	if (parse_time(s, out) != 0)
		r = fail(im, line_of(n), "<%s> is not an RFC 3339 date-time",
		    (const char *)n->name);
	free(s);
	return r;
}

/*
 * A Contact: the reporter is whoever sends the report (an Incident
 * Contact with role reporter, else the creator, else an IRT); someone
 * inside Discovery found the incident and only fills in when nobody
 * else is named.
 */
static int
io_contact(struct imp *im, const xmlNode *c, int discovery)
{
	const xmlNode *k, *e;
	char *role, *name = NULL, *email = NULL;
	int oom = 0, rank, r = 0;

	role = node_attr(c, "role", &oom);
	if (oom)
		return MAMORI_ENOMEM;
	if (role == NULL)
		rank = 0;
	else if (discovery)
		rank = strcmp(role, "reporter") == 0 ? 1 : 0;
	else
		rank = strcmp(role, "reporter") == 0 ? 4 :
		    strcmp(role, "creator") == 0 ? 3 :
		    strcmp(role, "irt") == 0 ? 2 : 0;
	free(role);
	if (rank == 0)
		return 0;
	for (k = c->children; k != NULL && r == 0; k = k->next) {
		if (is_el(k, "ContactName") && name == NULL) {
			if ((name = node_text(k)) == NULL)
				r = MAMORI_ENOMEM;
		} else if (is_el(k, "Email") && email == NULL) {
			/* v2: <Email><EmailTo>; v1: <Email>text</Email> */
			for (e = k->children; e != NULL; e = e->next)
				if (is_el(e, "EmailTo"))
					break;
			if ((email = node_text(e != NULL ? e : k)) == NULL)
				r = MAMORI_ENOMEM;
		}
	}
	if (r == 0)
		r = offer_reporter(im, rank, name, email);
	free(name);
	free(email);
	return r;
}

static int
io_address(struct imp *im, const xmlNode *a, enum inc_role role)
{
	char *cat, *v;
	int oom = 0, r = 0;

	cat = node_attr(a, "category", &oom);
	if (oom || (v = node_text(a)) == NULL) {
		free(cat);
		return MAMORI_ENOMEM;
	}
	if (cat == NULL)
		/* The default is ipv6-addr (v2) or ipv4-addr (v1); senders
		 * forget the attribute, so take either. */
		r = add_party(im, line_of(a), role, INC_PARTY_IP, 0, v,
		    "<Address>");
	else if (strcmp(cat, "ipv4-addr") == 0)
		r = add_party(im, line_of(a), role, INC_PARTY_IP, AF_INET, v,
		    "<Address category=\"ipv4-addr\">");
	else if (strcmp(cat, "ipv6-addr") == 0)
		r = add_party(im, line_of(a), role, INC_PARTY_IP, AF_INET6, v,
		    "<Address category=\"ipv6-addr\">");
	else if (strcmp(cat, "e-mail") == 0)
		r = add_party(im, line_of(a), role, INC_PARTY_USER, 0, v,
		    "<Address category=\"e-mail\">");
	else if (strlen(v) <= IMPORT_MAX_VALUE && strlen(cat) <= 32) {
		/* Networks, ASNs, MACs, URLs: not parties mamori can block
		 * or look up, but the reader should see them. */
		char what[64];

		snprintf(what, sizeof(what), "Not imported (%s %s): ",
		    role == INC_ATTACKER ? "source" : "target", cat);
		clean_controls(v, 0);
		r = add_note(im, what, v);
	}
	free(cat);
	free(v);
	return r;
}

static int
io_system(struct imp *im, const xmlNode *s)
{
	const xmlNode *node, *k, *nm;
	enum inc_role role;
	char *cat, *v;
	int oom = 0, r = 0;

	cat = node_attr(s, "category", &oom);
	if (oom)
		return MAMORI_ENOMEM;
	if (cat == NULL || (strcmp(cat, "source") != 0 &&
	    strcmp(cat, "target") != 0)) {
		free(cat);
		return 0;	/* sensors, intermediates: not parties */
	}
	role = strcmp(cat, "source") == 0 ? INC_ATTACKER : INC_VICTIM;
	free(cat);
	for (node = s->children; node != NULL && r == 0; node = node->next) {
		if (!is_el(node, "Node"))
			continue;
		for (k = node->children; k != NULL && r == 0; k = k->next) {
			if (is_el(k, "Address"))
				r = io_address(im, k, role);
			else if (is_el(k, "NodeName")) {	/* v1 */
				if ((v = node_text(k)) == NULL)
					return MAMORI_ENOMEM;
				r = add_party(im, line_of(k), role,
				    INC_PARTY_HOST, 0, v, "<NodeName>");
				free(v);
			} else if (is_el(k, "DomainData")) {
				for (nm = k->children; nm != NULL &&
				    !is_el(nm, "Name"); nm = nm->next)
					;
				if (nm == NULL)
					continue;
				if ((v = node_text(nm)) == NULL)
					return MAMORI_ENOMEM;
				r = add_party(im, line_of(nm), role,
				    INC_PARTY_HOST, 0, v, "<DomainData><Name>");
				free(v);
			}
		}
	}
	return r;
}

static int
io_record(struct imp *im, const xmlNode *rec)
{
	const xmlNode *rd, *k;
	char *desc, *item;
	int64_t t;
	int r = 0;

	for (rd = rec->children; rd != NULL && r == 0; rd = rd->next) {
		if (!is_el(rd, "RecordData"))
			continue;
		t = 0;
		desc = NULL;
		for (k = rd->children; k != NULL && r == 0; k = k->next) {
			if (is_el(k, "DateTime"))
				r = node_time(im, k, &t);
			else if (is_el(k, "Description") && desc == NULL) {
				if ((desc = node_text(k)) == NULL)
					r = MAMORI_ENOMEM;
				else
					clean_controls(desc, 0);
			} else if (is_el(k, "RecordItem")) {
				if ((item = node_text(k)) == NULL) {
					r = MAMORI_ENOMEM;
					break;
				}
				clean_controls(item, 0);
				r = add_record(im, t, desc, item);
				free(item);
			}
		}
		free(desc);
	}
	return r;
}

static int
io_eventdata(struct imp *im, const xmlNode *ev, int depth)
{
	const xmlNode *k, *s;
	char *name, *v;
	int64_t t;
	int oom = 0, r = 0;

	if (depth > IMPORT_MAX_DEPTH)
		return fail(im, line_of(ev), "<EventData> nested more than %d "
		    "deep", IMPORT_MAX_DEPTH);
	for (k = ev->children; k != NULL && r == 0; k = k->next) {
		if (is_el(k, "Flow")) {
			for (s = k->children; s != NULL && r == 0; s = s->next)
				if (is_el(s, "System"))
					r = io_system(im, s);
		} else if (is_el(k, "Record"))
			r = io_record(im, k);
		else if (is_el(k, "EventData"))
			r = io_eventdata(im, k, depth + 1);
		else if (is_el(k, "DetectTime") || is_el(k, "StartTime") ||
		    is_el(k, "EndTime")) {
			if ((r = node_time(im, k, &t)) == 0) {
				if (im->ev_min == 0 || t < im->ev_min)
					im->ev_min = t;
				if (t > im->ev_max)
					im->ev_max = t;
			}
		} else if (is_el(k, "AdditionalData")) {
			name = node_attr(k, "name", &oom);
			if (oom)
				return MAMORI_ENOMEM;
			if (name != NULL && (strcmp(name, "source-user") == 0 ||
			    strcmp(name, "target-user") == 0)) {
				if ((v = node_text(k)) == NULL) {
					free(name);
					return MAMORI_ENOMEM;
				}
				r = add_party(im, line_of(k),
				    name[0] == 's' ? INC_ATTACKER : INC_VICTIM,
				    INC_PARTY_USER, 0, v, "a user name");
				free(v);
			}
			free(name);
		}
	}
	return r;
}

static int
io_assessment(struct imp *im, const xmlNode *as)
{
	const xmlNode *k;
	char cls[80], type[80], *v, *sev;
	int oom = 0, r = 0;

	for (k = as->children; k != NULL && r == 0; k = k->next) {
		if (is_el(k, "IncidentCategory")) {
			if ((v = node_text(k)) == NULL)
				return MAMORI_ENOMEM;
			if (parse_rsit_tag(v, cls, type, sizeof(cls)) == 0) {
				if (im->inc->rsit_class == NULL)
					r = set_rsit(im, line_of(k), cls, type);
			} else if (v[0] != '\0' && strlen(v) <= 200) {
				clean_controls(v, 0);
				r = add_note(im, "Category given by the "
				    "reporter: ", v);
			}
			free(v);
		} else if ((is_el(k, "SystemImpact") || is_el(k, "Impact")) &&
		    !im->have_severity) {
			/* v2 SystemImpact, v1 Impact: low, medium, high */
			sev = node_attr(k, "severity", &oom);
			if (oom)
				return MAMORI_ENOMEM;
			if (sev != NULL && strcmp(sev, "low") == 0)
				im->inc->severity = INC_SEV_LOW;
			else if (sev != NULL && strcmp(sev, "high") == 0)
				im->inc->severity = INC_SEV_HIGH;
			else if (sev != NULL && strcmp(sev, "medium") == 0)
				im->inc->severity = INC_SEV_MEDIUM;
			free(sev);
		}
	}
	return r;
}

/* mamori's own AdditionalData (export-iodef.c). */
static int
io_additional(struct imp *im, const xmlNode *k)
{
	char *name, *v;
	long line = line_of(k);
	int oom = 0, r = 0, x;

	name = node_attr(k, "name", &oom);
	if (oom)
		return MAMORI_ENOMEM;
	if (name == NULL)
		return 0;
	if ((v = node_text(k)) == NULL) {
		free(name);
		return MAMORI_ENOMEM;
	}
	if (strcmp(name, "category") == 0)
		r = set_category(im, line, v);
	else if (strcmp(name, "rsit-class") == 0)
		r = set_rsit(im, line, v, NULL);
	else if (strcmp(name, "rsit-type") == 0)
		r = set_rsit(im, line, NULL, v);
	else if (strcmp(name, "impact") == 0) {
		if ((x = inc_impact_parse(v)) < 0)
			r = fail(im, line, "unknown impact level (internal, "
			    "external, infrastructure)");
		else
			im->inc->impact = (enum inc_impact)x;
	} else if (strcmp(name, "severity") == 0) {
		if ((x = inc_severity_parse(v)) < 0)
			r = fail(im, line, "unknown severity (low, medium, "
			    "high, critical)");
		else {
			im->inc->severity = (enum inc_severity)x;
			im->have_severity = 1;
		}
	}
	free(name);
	free(v);
	return r;
}

static int
io_incident(struct imp *im, const xmlNode *in)
{
	const xmlNode *k, *c;
	char *v, *idname;
	int oom = 0, r = 0, ndesc = 0;

	/* AdditionalData first: its severity outranks SystemImpact's. */
	for (k = in->children; k != NULL && r == 0; k = k->next)
		if (is_el(k, "AdditionalData"))
			r = io_additional(im, k);
	for (k = in->children; k != NULL && r == 0; k = k->next) {
		if (is_el(k, "IncidentID")) {
			idname = node_attr(k, "name", &oom);
			if (oom || (v = node_text(k)) == NULL) {
				free(idname);
				return MAMORI_ENOMEM;
			}
			if (strlen(v) <= 200 && (idname == NULL ||
			    strlen(idname) <= 200)) {
				char ref[512];

				snprintf(ref, sizeof(ref), "%s%s%s",
				    idname != NULL ? idname : "",
				    idname != NULL ? " " : "", v);
				clean_controls(ref, 0);
				r = add_note(im, "The reporter's reference: ",
				    ref);
			}
			free(idname);
			free(v);
		} else if (is_el(k, "DetectTime"))
			r = node_time(im, k, &im->detect);
		else if (is_el(k, "StartTime"))
			r = node_time(im, k, &im->start);
		else if (is_el(k, "EndTime"))
			r = node_time(im, k, &im->end);
		else if (is_el(k, "ReportTime"))
			r = node_time(im, k, &im->report);
		else if (is_el(k, "Description")) {
			if ((v = node_text(k)) == NULL)
				return MAMORI_ENOMEM;
			if (ndesc++ == 0 || im->inc->title == NULL)
				r = set_title(im, line_of(k), v);
			else
				r = add_body(im, line_of(k), v);
			free(v);
		} else if (is_el(k, "Assessment"))
			r = io_assessment(im, k);
		else if (is_el(k, "Contact"))
			r = io_contact(im, k, 0);
		else if (is_el(k, "Discovery")) {
			for (c = k->children; c != NULL && r == 0; c = c->next)
				if (is_el(c, "Contact"))
					r = io_contact(im, c, 1);
		} else if (is_el(k, "EventData"))
			r = io_eventdata(im, k, 1);
	}
	return r;
}

/* Counts elements, without recursion (libxml2 bounds the depth, but a
 * loop costs no stack at all). */
static size_t
count_elements(const xmlNode *root, size_t limit)
{
	const xmlNode *n = root;
	size_t count = 0;

	while (n != NULL) {
		if (n->type == XML_ELEMENT_NODE && ++count > limit)
			return count;
		if (n->type == XML_ELEMENT_NODE && n->children != NULL) {
			n = n->children;
			continue;
		}
		while (n != NULL && n != root && n->next == NULL)
			n = n->parent;
		if (n == NULL || n == root)
			break;
		n = n->next;
	}
	return count;
}

/* libxml2 reports errors here (the first one is kept) instead of on
 * stderr. */
static void
xml_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct imp *im = ctxt->_private;

	if (e->level == XML_ERR_WARNING || im->xml_failed)
		return;
	im->xml_failed = 1;
	fail_quoting(im, e->line, e->message != NULL ? e->message :
	    "not well-formed XML");
}

/* <!DOCTYPE: stop before the parser reads a single declaration. */
static void
xml_dtd(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct imp *im = ctxt->_private;

	if (!im->xml_failed) {
		im->xml_failed = 1;
		fail(im, ctxt->input != NULL ? ctxt->input->line : 0,
		    "a document type declaration (<!DOCTYPE>) is not "
		    "accepted in a report");
	}
	xmlStopParser(ctxt);
}

static int
import_iodef(struct imp *im, const char *buf, size_t len)
{
	const xmlNode *root, *k, *incident = NULL;
	xmlDocPtr doc;
	const char *p;
	size_t n;
	int r = 0;

	/* UTF-8 has no NUL; a NUL would make libxml2 guess UTF-16. */
	if ((p = memchr(buf, '\0', len)) != NULL) {
		long line = 1;

		for (n = 0; buf + n < p; n++)
			if (buf[n] == '\n')
				line++;
		return fail(im, line, "a NUL byte: not UTF-8 XML");
	}
	xmlInitParser();
	if ((im->ctxt = xmlNewParserCtxt()) == NULL)
		return MAMORI_ENOMEM;
	im->ctxt->_private = im;
	im->ctxt->sax->serror = xml_error;
	im->ctxt->sax->internalSubset = xml_dtd;
	im->ctxt->sax->externalSubset = NULL;
	im->ctxt->sax->entityDecl = NULL;
	doc = xmlCtxtReadMemory(im->ctxt, buf, (int)len, im->name, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_BIG_LINES | XML_PARSE_IGNORE_ENC | XML_PARSE_NOCDATA);
	if (im->xml_failed || doc == NULL) {
		if (!im->xml_failed)
			r = im->ctxt->errNo == XML_ERR_NO_MEMORY ?
			    MAMORI_ENOMEM : fail(im, 0, "not well-formed XML");
		else
			r = MAMORI_EINVAL;
		goto out;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		r = fail(im, 0, "a document type declaration is not accepted");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !xmlStrEqual(root->name,
	    BAD_CAST "IODEF-Document") || root->ns == NULL ||
	    (!xmlStrEqual(root->ns->href, BAD_CAST IODEF2_NS) &&
	    !xmlStrEqual(root->ns->href, BAD_CAST IODEF1_NS))) {
		r = fail(im, root != NULL ? line_of(root) : 0, "not an IODEF "
		    "document (the root must be <IODEF-Document> in the "
		    "namespace " IODEF2_NS ")");
		goto out;
	}
	if (count_elements(root, IMPORT_MAX_NODES) > IMPORT_MAX_NODES) {
		r = fail(im, 0, "more than %d elements", IMPORT_MAX_NODES);
		goto out;
	}
	for (k = root->children; k != NULL; k = k->next) {
		if (!is_el(k, "Incident"))
			continue;
		if (incident != NULL) {
			r = fail(im, line_of(k), "a second <Incident>: import "
			    "one incident at a time");
			goto out;
		}
		incident = k;
	}
	if (incident == NULL) {
		r = fail(im, line_of(root), "no <Incident> in the document");
		goto out;
	}
	if ((r = io_incident(im, incident)) != 0)
		goto out;
	if (im->inc->title == NULL)
		r = set_string(&im->inc->title, FALLBACK_TITLE);
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(im->ctxt);
	im->ctxt = NULL;
	return r;
}

/*
 * JSON.
 */

static int
js_string(struct imp *im, json_t *o, const char *key, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(im, 0, "\"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static int
js_parties(struct imp *im, json_t *o, const char *key, enum inc_role role)
{
	json_t *arr = json_object_get(o, key), *e, *k, *v;
	char what[64];
	size_t i;
	int r = 0;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return fail(im, 0, "\"%s\" must be an array", key);
	if (json_array_size(arr) > IMPORT_MAX_PARTIES)
		return fail(im, 0, "\"%s\" has more than %d entries", key,
		    IMPORT_MAX_PARTIES);
	json_array_foreach(arr, i, e) {
		snprintf(what, sizeof(what), "\"%s\"[%zu]", key, i);
		if (json_is_string(e)) {
			/* A bare string: an address if it parses as one,
			 * else a host name. */
			const char *s = json_string_value(e);
			unsigned char a[16];
			char *t;
			int ip;

			if ((t = trimmed(s, strlen(s))) == NULL)
				return MAMORI_ENOMEM;
			ip = inet_pton(AF_INET, t, a) == 1 ||
			    inet_pton(AF_INET6, t, a) == 1;
			free(t);
			r = add_party(im, 0, role, ip ? INC_PARTY_IP :
			    INC_PARTY_HOST, 0, s, what);
		} else if (json_is_object(e)) {
			const char *kind;
			enum inc_party_kind pk;

			k = json_object_get(e, "kind");
			v = json_object_get(e, "value");
			if (!json_is_string(k) || !json_is_string(v))
				return fail(im, 0, "%s needs the strings "
				    "\"kind\" and \"value\"", what);
			kind = json_string_value(k);
			if (strcmp(kind, "ip") == 0)
				pk = INC_PARTY_IP;
			else if (strcmp(kind, "host") == 0)
				pk = INC_PARTY_HOST;
			else if (strcmp(kind, "user") == 0)
				pk = INC_PARTY_USER;
			else
				return fail(im, 0, "%s: \"kind\" must be ip, "
				    "host or user", what);
			r = add_party(im, 0, role, pk, 0, json_string_value(v),
			    what);
		} else
			return fail(im, 0, "%s must be a string or an object",
			    what);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
js_time(struct imp *im, json_t *o, const char *key, int64_t *out)
{
	const char *s;
	int r;

	if ((r = js_string(im, o, key, &s)) != 0 || s == NULL)
		return r;
	if (parse_time(s, out) != 0)
		return fail(im, 0, "\"%s\" is not an RFC 3339 date-time", key);
	return 0;
}

static int
js_records(struct imp *im, json_t *o)
{
	json_t *arr, *e;
	const char *log, *desc;
	int64_t t;
	size_t i;
	char *item;
	int r = 0;

	/* The simple form's "logs": ["line", ...] */
	arr = json_object_get(o, "logs");
	if (arr != NULL && !json_is_null(arr) && !json_is_array(arr))
		return fail(im, 0, "\"logs\" must be an array of strings");
	json_array_foreach(arr, i, e) {
		if (!json_is_string(e))
			return fail(im, 0, "\"logs\"[%zu] must be a string", i);
		if ((item = strdup(json_string_value(e))) == NULL)
			return MAMORI_ENOMEM;
		clean_controls(item, 0);
		r = add_record(im, 0, NULL, item);
		free(item);
		if (r != 0)
			return r;
	}
	/* mamori's "alerts": [{"time", "description", "log"}, ...] */
	arr = json_object_get(o, "alerts");
	if (arr != NULL && !json_is_null(arr) && !json_is_array(arr))
		return fail(im, 0, "\"alerts\" must be an array");
	json_array_foreach(arr, i, e) {
		if (!json_is_object(e))
			return fail(im, 0, "\"alerts\"[%zu] must be an object",
			    i);
		t = 0;
		if ((r = js_string(im, e, "log", &log)) != 0 ||
		    (r = js_string(im, e, "description", &desc)) != 0 ||
		    (r = js_time(im, e, "time", &t)) != 0)
			return r;
		if (log == NULL)
			continue;
		if ((item = strdup(log)) == NULL)
			return MAMORI_ENOMEM;
		clean_controls(item, 0);
		r = add_record(im, t, desc, item);
		free(item);
		if (r != 0)
			return r;
	}
	return 0;
}

static int
import_json(struct imp *im, const char *buf, size_t len)
{
	struct incident *inc = im->inc;
	json_error_t je;
	json_t *o, *v, *rsit;
	const char *s, *cls = NULL, *type = NULL;
	char ref[64];
	int r, x;

	/* jansson bounds the nesting depth (2048) itself. */
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return fail_quoting(im, je.line > 0 ? je.line : 0, je.text);
	if (!json_is_object(o)) {
		r = fail(im, 1, "a report must be a JSON object");
		goto out;
	}
	if ((r = js_string(im, o, "title", &s)) != 0 ||
	    (s != NULL && (r = set_title(im, 0, s)) != 0))
		goto out;
	if ((r = js_string(im, o, "reporter", &s)) != 0 ||
	    (s != NULL && (r = offer_reporter(im, 4, s, NULL)) != 0))
		goto out;
	if ((r = js_string(im, o, "summary", &s)) != 0 ||
	    (s != NULL && (r = add_body(im, 0, s)) != 0) ||
	    (r = js_string(im, o, "text", &s)) != 0 ||
	    (s != NULL && (r = add_body(im, 0, s)) != 0))
		goto out;
	if ((r = js_string(im, o, "category", &s)) != 0 ||
	    (s != NULL && (r = set_category(im, 0, s)) != 0))
		goto out;
	rsit = json_object_get(o, "rsit");
	if (rsit != NULL && !json_is_null(rsit)) {
		if (!json_is_object(rsit)) {
			r = fail(im, 0, "\"rsit\" must be an object "
			    "{\"class\", \"type\"}");
			goto out;
		}
		if ((r = js_string(im, rsit, "class", &cls)) != 0 ||
		    (r = js_string(im, rsit, "type", &type)) != 0 ||
		    (r = set_rsit(im, 0, cls, type)) != 0)
			goto out;
	}
	if ((r = js_string(im, o, "impact", &s)) != 0)
		goto out;
	if (s != NULL) {
		if ((x = inc_impact_parse(s)) < 0) {
			r = fail(im, 0, "\"impact\" must be internal, external "
			    "or infrastructure");
			goto out;
		}
		inc->impact = (enum inc_impact)x;
	}
	v = json_object_get(o, "severity");
	if (json_is_integer(v)) {
		if (json_integer_value(v) < INC_SEV_LOW ||
		    json_integer_value(v) > INC_SEV_CRITICAL) {
			r = fail(im, 0, "\"severity\" must be 1 to 4");
			goto out;
		}
		inc->severity = (enum inc_severity)json_integer_value(v);
	} else {
		if ((r = js_string(im, o, "severity", &s)) != 0)
			goto out;
		if (s != NULL && (x = inc_severity_parse(s)) < 0) {
			r = fail(im, 0, "\"severity\" must be low, medium, "
			    "high or critical");
			goto out;
		}
		if (s != NULL)
			inc->severity = (enum inc_severity)x;
	}
	if ((r = js_time(im, o, "first_seen", &inc->first_seen_ns)) != 0 ||
	    (r = js_time(im, o, "last_seen", &inc->last_seen_ns)) != 0)
		goto out;
	if ((r = js_parties(im, o, "attackers", INC_ATTACKER)) != 0 ||
	    (r = js_parties(im, o, "victims", INC_VICTIM)) != 0)
		goto out;
	if ((r = js_records(im, o)) != 0)
		goto out;
	/* mamori's own form carries the sender's incident id. */
	v = json_object_get(o, "id");
	if (json_is_integer(v)) {
		snprintf(ref, sizeof(ref), "incident %lld",
		    (long long)json_integer_value(v));
		if ((r = add_note(im, "The reporter's reference: ", ref)) != 0)
			goto out;
	}
	if (inc->title == NULL) {
		if (im->body.len == 0) {
			r = fail(im, 0, "the report has neither a \"title\" "
			    "nor a \"text\"");
			goto out;
		}
		r = title_from_text(inc, im->body.p);
	}
out:
	json_decref(o);
	return r;
}

int
incident_import(const char *buf, size_t len, const char *name,
    struct incident *inc, char *err, size_t errlen)
{
	struct imp im;
	size_t i = 0;
	int r;

	memset(inc, 0, sizeof(*inc));
	memset(&im, 0, sizeof(im));
	im.name = name != NULL ? name : "report";
	im.err = err;
	im.errlen = errlen;
	im.inc = inc;
	if (errlen > 0)
		err[0] = '\0';
	if (len > IMPORT_MAX_BYTES)
		return fail(&im, 0, "larger than %u bytes", IMPORT_MAX_BYTES);
	/* A UTF-8 byte order mark, then white space. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\n' || buf[i] == '\r'))
		i++;
	if (i == len)
		return fail(&im, 0, "empty report");
	if (buf[i] != '<' && buf[i] != '{' && buf[i] != '[')
		return fail(&im, 0, "neither XML (IODEF) nor JSON");
	if ((r = set_defaults(inc)) != 0)
		goto out;
	if (buf[i] == '<')
		r = import_iodef(&im, buf, len);
	else
		r = import_json(&im, buf, len);
	if (r == 0)
		r = finish(&im);
out:
	imp_release(&im);
	if (r != 0)
		incident_release(inc);
	if (r == MAMORI_ENOMEM && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", im.name);
	return r;
}

int
incident_import_text(const char *reporter, const char *text,
    struct incident *inc, char *err, size_t errlen)
{
	struct imp im;
	int r;

	memset(inc, 0, sizeof(*inc));
	memset(&im, 0, sizeof(im));
	im.name = "report";
	im.err = err;
	im.errlen = errlen;
	im.inc = inc;
	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL || strspn(text, " \t\r\n") == strlen(text))
		return fail(&im, 0, "the text is empty");
	if ((r = set_defaults(inc)) != 0 ||
	    (reporter != NULL && (r = offer_reporter(&im, 4, reporter,
	    NULL)) != 0) ||
	    (r = add_body(&im, 0, text)) != 0 ||
	    (r = title_from_text(inc, im.body.p)) != 0 ||
	    (r = finish(&im)) != 0) {
		imp_release(&im);
		incident_release(inc);
		return r;
	}
	imp_release(&im);
	return 0;
}
