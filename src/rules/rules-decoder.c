/*
 * rules-decoder.c - OSSEC/Wazuh decoders: loading them from their XML,
 * and phase 2, decoding an event into fields.
 *
 * Structure, as OSSEC's analysisd builds it: two top-level lists, one of
 * decoders with <program_name> (tried only on events that have a program
 * name) and one without (tried only on events that have none).  A decoder
 * with <parent>X</parent> becomes a child of every top-level decoder
 * named X.  Children named alike in one list form a group whose regexes
 * run one after another ("multi-regex" decoders, after_regex offsets).
 *
 * Matching: the first top-level decoder whose program name and prematch
 * match wins, even if none of its children do; its first child whose
 * prematch matches (or the first child without one) is selected; its
 * regex's captures fill the fields <order> names.  A child without
 * use_own_name reports its parent's name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "rules/rules-int.h"

static const char *const type_names[RT_NTYPES] = {
	[RT_SYSLOG] = "syslog",
	[RT_FIREWALL] = "firewall",
	[RT_IDS] = "ids",
	[RT_WEBLOG] = "web-log",
	[RT_SQUID] = "squid",
	[RT_WINDOWS] = "windows",
	[RT_HOSTINFO] = "host-information",
	[RT_OSSEC] = "ossec",
	[RT_OSSEC_ALERT] = "ossec-alert",
};

int
rules_type_parse(const char *s)
{
	int i;

	for (i = 0; i < RT_OSSEC_ALERT; i++)
		if (strcmp(s, type_names[i]) == 0)
			return i;
	return -1;
}

static int
derr(char *err, size_t errlen, const struct rules_xml_doc *doc, int line,
    const char *fmt, const char *a, const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(err, errlen, "%s:%d: %s", rules_xml_file(doc), line, msg);
	return MAMORI_ECONFIG;
}

int
rules_dec_name_id(const struct rules_set *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nnames; i++)
		if (strcmp(rs->names[i], name) == 0)
			return (int)i;
	return -1;
}

int
rules_dec_name_add(struct rules_set *rs, const char *name)
{
	int id;

	if ((id = rules_dec_name_id(rs, name)) >= 0)
		return id;
	if (rs->nnames == rs->capnames) {
		size_t cap = rs->capnames ? rs->capnames * 2 : 256;
		char **v = realloc(rs->names, cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		rs->names = v;
		rs->capnames = cap;
	}
	if ((rs->names[rs->nnames] = strdup(name)) == NULL)
		return MAMORI_ENOMEM;
	return (int)rs->nnames++;
}

static int
push(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void **nv = realloc(*v, c * sizeof(**v));

		if (nv == NULL)
			return MAMORI_ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return 0;
}

void
rules_dec_free(struct rules_dec *d)
{
	int i;

	if (d == NULL)
		return;
	free(d->name);
	free(d->parent);
	rules_pat_free(d->program_name);
	rules_pat_free(d->prematch);
	rules_pat_free(d->regex);
	for (i = 0; i < d->norder; i++)
		free(d->order[i].name);
	free(d->order);
	free(d->children);
	free(d);
}


/* Splits a comma list into trimmed, non-empty pieces; calls fn for each.
 * Returns fn's first error, or MAMORI_EINVAL for an empty piece. */
static int
split_list(const char *s, int (*fn)(void *, const char *), void *arg)
{
	char buf[256];
	const char *p = s, *e;
	size_t n;
	int rc;

	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || n >= sizeof(buf)) {
			/* A trailing comma is harmless. */
			if (n == 0 && e == NULL && p != s)
				return 0;
			return MAMORI_EINVAL;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if ((rc = fn(arg, buf)) != 0)
			return rc;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

static int
add_order(void *arg, const char *name)
{
	struct rules_dec *d = arg;
	struct rules_ord *o;

	if ((o = realloc(d->order, (size_t)(d->norder + 1) *
	    sizeof(*o))) == NULL)
		return MAMORI_ENOMEM;
	d->order = o;
	o = &d->order[d->norder++];
	o->fid = rules_field_by_name(name);
	o->name = NULL;
	if (o->fid < 0 && (o->name = strdup(name)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static int
add_fts(void *arg, const char *name)
{
	struct rules_dec *d = arg;

	if (strcmp(name, "name") == 0)
		d->fts |= RFTS_NAME;
	else if (strcmp(name, "id") == 0)
		d->fts |= RFTS_ID;
	else if (strcmp(name, "dstuser") == 0 || strcmp(name, "user") == 0)
		d->fts |= RFTS_DSTUSER;
	else if (strcmp(name, "srcuser") == 0)
		d->fts |= RFTS_SRCUSER;
	else if (strcmp(name, "srcip") == 0)
		d->fts |= RFTS_SRCIP;
	else if (strcmp(name, "dstip") == 0)
		d->fts |= RFTS_DSTIP;
	else if (strcmp(name, "location") == 0)
		d->fts |= RFTS_LOCATION;
	else if (strcmp(name, "data") == 0 || strcmp(name, "extra_data") == 0)
		d->fts |= RFTS_DATA;
	else if (strcmp(name, "system_name") == 0)
		d->fts |= RFTS_SYSNAME;
	else
		return MAMORI_EINVAL;
	return 0;
}

static int
parse_offset(const char *v, int *off)
{
	if (strcmp(v, "after_parent") == 0)
		*off = ROFF_AFTER_PARENT;
	else if (strcmp(v, "after_prematch") == 0)
		*off = ROFF_AFTER_PREMATCH;
	else if (strcmp(v, "after_regex") == 0)
		*off = ROFF_AFTER_REGEX;
	else
		return MAMORI_EINVAL;
	return 0;
}

/* What one decoder element holds while it is read. */
struct dtext {
	char	*parent, *program_name, *prematch, *regex, *order, *fts;
	int	 program_kind, prematch_kind, regex_kind;
	int	 prematch_line, regex_line, program_line;
};

static void
dtext_release(struct dtext *t)
{
	free(t->parent);
	free(t->program_name);
	free(t->prematch);
	free(t->regex);
	free(t->order);
	free(t->fts);
}

int
rules_pat_kind_attr(const struct rules_xml_node *n, int def, int *kind)
{
	const char *t = rules_xml_attr(n, "type");

	*kind = def;
	if (t == NULL)
		return 0;
	if (strcasecmp(t, "osregex") == 0)
		*kind = RULES_PAT_OSREGEX;
	else if (strcasecmp(t, "osmatch") == 0)
		*kind = RULES_PAT_OSMATCH;
	else if (strcasecmp(t, "pcre2") == 0)
		*kind = RULES_PAT_PCRE2;
	else
		return MAMORI_EINVAL;
	return 0;
}

static struct rules_pat *
compile(const struct rules_xml_doc *doc, int line, const char *what,
    int kind, const char *pat, char *err, size_t errlen)
{
	struct rules_pat *p;
	char why[256];

	if ((p = rules_pat_compile((enum rules_pat_kind)kind, pat, why,
	    sizeof(why))) == NULL)
		derr(err, errlen, doc, line, "bad <%s>: %s", what, why);
	return p;
}

/* Attaches d as a child of every top-level decoder named d->parent. */
static int
attach_child(struct rules_set *rs, const struct rules_xml_doc *doc,
    struct rules_dec *d, char *err, size_t errlen)
{
	struct rules_dec **lists[2] = { rs->top_p, rs->top_n };
	size_t ns[2] = { rs->ntop_p, rs->ntop_n }, i, j, k;
	int found = 0, rc;

	for (k = 0; k < 2; k++)
		for (i = 0; i < ns[k]; i++) {
			struct rules_dec *p = lists[k][i];
			size_t cap = p->nchildren;
			int same = 0;

			if (strcmp(p->name, d->parent) != 0)
				continue;
			found = 1;
			for (j = 0; j < p->nchildren; j++)
				if (strcmp(p->children[j]->name, d->name) == 0)
					same = 1;
			if (same) {
				if (d->prematch != NULL || d->fts != 0 ||
				    d->regex == NULL)
					return derr(err, errlen, doc, d->line,
					    "decoder '%s': a decoder of the "
					    "same name under '%s' exists; this "
					    "one may only add a <regex>",
					    d->name, d->parent);
				for (j = 0; j < p->nchildren; j++)
					if (strcmp(p->children[j]->name,
					    d->name) == 0) {
						if (p->children[j]->regex ==
						    NULL)
							return derr(err, errlen,
							    doc, d->line,
							    "decoder '%s': its "
							    "first part has no "
							    "<regex>%s", d->name,
							    "");
						p->children[j]->get_next = 1;
					}
			} else if (d->regex_off == ROFF_AFTER_REGEX)
				return derr(err, errlen, doc, d->line,
				    "decoder '%s': offset after_regex needs "
				    "an earlier decoder of the same name%s",
				    d->name, "");
			if ((rc = push((void ***)&p->children, &p->nchildren,
			    &cap, d)) != 0)
				return rc;
		}
	if (!found)
		return derr(err, errlen, doc, d->line,
		    "decoder '%s': parent '%s' not found (parents must be "
		    "loaded first)", d->name, d->parent);
	return 0;
}

/* Checks and compiles what t holds into d. */
static int
dec_build(struct rules_set *rs, const struct rules_xml_doc *doc,
    struct rules_dec *d, struct dtext *t, char *err, size_t errlen)
{
	int rc;

	if (t->prematch == NULL && t->parent == NULL &&
	    t->program_name == NULL && d->plugin == RPLUG_NONE)
		return derr(err, errlen, doc, d->line, "decoder '%s' needs "
		    "<prematch>, <parent> or <program_name>%s", d->name, "");
	if ((t->regex != NULL) != (t->order != NULL) &&
	    !(t->regex == NULL && d->plugin != RPLUG_NONE))
		return derr(err, errlen, doc, d->line, "decoder '%s': <regex> "
		    "and <order> go together%s", d->name, "");
	if (t->fts != NULL && t->regex == NULL && d->plugin == RPLUG_NONE)
		return derr(err, errlen, doc, d->line, "decoder '%s': <fts> "
		    "needs a <regex>%s", d->name, "");
	if (d->regex_off == ROFF_AFTER_PARENT && t->parent == NULL)
		return derr(err, errlen, doc, d->line, "decoder '%s': offset "
		    "after_parent needs a <parent>%s", d->name, "");
	if (d->regex_off == ROFF_AFTER_PREMATCH && t->parent == NULL)
		d->regex_off = ROFF_AFTER_PARENT;	/* as OSSEC does */
	else if (d->regex_off == ROFF_AFTER_PREMATCH && t->prematch == NULL)
		return derr(err, errlen, doc, d->line, "decoder '%s': offset "
		    "after_prematch needs a <prematch>%s", d->name, "");
	if (d->regex_off == ROFF_AFTER_REGEX && t->parent == NULL)
		return derr(err, errlen, doc, d->line, "decoder '%s': offset "
		    "after_regex needs a <parent>%s", d->name, "");
	if (d->prematch_off != ROFF_NONE && t->parent == NULL)
		return derr(err, errlen, doc, d->line, "decoder '%s': a "
		    "prematch offset needs a <parent>%s", d->name, "");
	if (d->plugin != RPLUG_NONE && d->plugin != RPLUG_JSON &&
	    t->regex != NULL)
		return derr(err, errlen, doc, d->line, "decoder '%s': a plugin "
		    "decoder cannot have a <regex>%s", d->name, "");
	if (t->program_name != NULL && (d->program_name = compile(doc,
	    t->program_line, "program_name", t->program_kind,
	    t->program_name, err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	if (t->prematch != NULL && (d->prematch = compile(doc,
	    t->prematch_line, "prematch", t->prematch_kind, t->prematch,
	    err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	if (t->regex != NULL) {
		if ((d->regex = compile(doc, t->regex_line, "regex",
		    t->regex_kind, t->regex, err, errlen)) == NULL)
			return MAMORI_ECONFIG;
		if (rules_pat_ncaps(d->regex) == 0)
			return derr(err, errlen, doc, t->regex_line,
			    "decoder '%s': <regex> has no ( ) group to "
			    "capture%s", d->name, "");
	}
	if (t->order != NULL &&
	    (rc = split_list(t->order, add_order, d)) != 0)
		return rc == MAMORI_ENOMEM ? rc : derr(err, errlen, doc,
		    d->line, "decoder '%s': bad <order> '%s'", d->name,
		    t->order);
	if (t->fts != NULL && (rc = split_list(t->fts, add_fts, d)) != 0)
		return rc == MAMORI_ENOMEM ? rc : derr(err, errlen, doc,
		    d->line, "decoder '%s': bad <fts> '%s'", d->name, t->fts);
	if (t->parent != NULL) {
		d->parent = t->parent;
		t->parent = NULL;
	}
	if ((rc = rules_dec_name_add(rs, d->name)) < 0)
		return rc;
	d->id = rc;
	return 0;
}

static int
yes_true(const char *s)
{
	return strcmp(s, "true") == 0 || strcmp(s, "yes") == 0;
}

/* Reads one <decoder> element. */
static int
dec_read(struct rules_set *rs, const struct rules_xml_doc *doc,
    const struct rules_xml_node *n, char *err, size_t errlen)
{
	const struct rules_xml_node *c;
	struct rules_dec *d;
	struct dtext t;
	const char *name, *v;
	size_t i;
	int rc = 0;

	if ((name = rules_xml_attr(n, "name")) == NULL || *name == '\0')
		return derr(err, errlen, doc, n->line, "<decoder> without a "
		    "name%s%s", "", "");
	for (i = 0; i < n->nattrs; i++)
		if (strcasecmp(n->attrs[i].name, "name") != 0 &&
		    strcasecmp(n->attrs[i].name, "status") != 0 &&
		    strcasecmp(n->attrs[i].name, "id") != 0)
			return derr(err, errlen, doc, n->line, "decoder '%s': "
			    "unknown attribute '%s'", name, n->attrs[i].name);
	if (n->child == NULL)
		return derr(err, errlen, doc, n->line, "decoder '%s' is "
		    "empty%s", name, "");
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->name = strdup(name)) == NULL) {
		free(d);
		return MAMORI_ENOMEM;
	}
	d->file = rules_xml_file(doc);
	d->line = n->line;
	d->type = RT_SYSLOG;
	d->id = -1;
	memset(&t, 0, sizeof(t));
	for (c = n->child; c != NULL && rc == 0; c = c->next) {
		const char *e = c->name, *off = rules_xml_attr(c, "offset");

		if (strcasecmp(e, "parent") == 0)
			rc = rules_append(&t.parent, c->content);
		else if (strcasecmp(e, "program_name") == 0 ||
		    strcasecmp(e, "program_name_pcre2") == 0) {
			if (t.program_name == NULL) {
				t.program_line = c->line;
				rc = strcasecmp(e, "program_name") == 0 ?
				    rules_pat_kind_attr(c, RULES_PAT_OSMATCH,
				    &t.program_kind) : (t.program_kind =
				    RULES_PAT_PCRE2_CASELESS, 0);
			}
			if (rc == 0)
				rc = rules_append(&t.program_name, c->content);
		} else if (strcasecmp(e, "prematch") == 0 ||
		    strcasecmp(e, "prematch_pcre2") == 0) {
			if (t.prematch == NULL) {
				t.prematch_line = c->line;
				rc = strcasecmp(e, "prematch") == 0 ?
				    rules_pat_kind_attr(c, RULES_PAT_OSREGEX,
				    &t.prematch_kind) : (t.prematch_kind =
				    RULES_PAT_PCRE2_CASELESS, 0);
				if (rc == 0 && off != NULL) {
					if (strcmp(off, "after_parent") != 0)
						rc = MAMORI_EINVAL;
					else
						d->prematch_off =
						    ROFF_AFTER_PARENT;
				}
			}
			if (rc == 0)
				rc = rules_append(&t.prematch, c->content);
		} else if (strcasecmp(e, "regex") == 0 ||
		    strcasecmp(e, "pcre2") == 0) {
			if (t.regex == NULL) {
				t.regex_line = c->line;
				rc = strcasecmp(e, "regex") == 0 ?
				    rules_pat_kind_attr(c, RULES_PAT_OSREGEX,
				    &t.regex_kind) : (t.regex_kind =
				    RULES_PAT_PCRE2_CASELESS, 0);
				if (rc == 0 && off != NULL)
					rc = parse_offset(off, &d->regex_off);
			}
			if (rc == 0)
				rc = rules_append(&t.regex, c->content);
		} else if (strcasecmp(e, "order") == 0)
			rc = rules_append(&t.order, c->content);
		else if (strcasecmp(e, "fts") == 0)
			rc = rules_append(&t.fts, c->content);
		else if (strcasecmp(e, "ftscomment") == 0)
			;
		else if (strcasecmp(e, "type") == 0) {
			if ((d->type = rules_type_parse(c->content)) < 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "use_own_name") == 0)
			d->use_own_name = yes_true(c->content);
		else if (strcasecmp(e, "accumulate") == 0)
			d->accumulate = 1;
		else if (strcasecmp(e, "plugin_decoder") == 0) {
			v = c->content;
			if (strcmp(v, "PF_Decoder") == 0)
				d->plugin = RPLUG_PF;
			else if (strcmp(v, "SymantecWS_Decoder") == 0)
				d->plugin = RPLUG_SYMANTECWS;
			else if (strcmp(v, "SonicWall_Decoder") == 0)
				d->plugin = RPLUG_SONICWALL;
			else if (strcmp(v, "OSSECAlert_Decoder") == 0)
				d->plugin = RPLUG_OSSECALERT;
			else if (strcmp(v, "JSON_Decoder") == 0)
				d->plugin = RPLUG_JSON;
			else
				rc = MAMORI_EINVAL;
			if (rc == 0 && off != NULL) {
				rc = parse_offset(off, &d->plugin_off);
				if (d->plugin_off == ROFF_AFTER_REGEX)
					rc = MAMORI_EINVAL;
			}
		} else if (strcasecmp(e, "json_null_field") == 0) {
			if (strcmp(c->content, "string") == 0)
				d->json_null = 1;
			else if (strcmp(c->content, "discard") != 0 &&
			    strcmp(c->content, "empty") != 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "json_array_structure") == 0) {
			if (strcmp(c->content, "csv") == 0)
				d->json_array_csv = 1;
			else if (strcmp(c->content, "array") != 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "var") == 0)
			;
		else {
			rc = derr(err, errlen, doc, c->line, "decoder '%s': "
			    "unknown element <%s>", name, e);
			break;
		}
		if (rc == MAMORI_EINVAL)
			rc = derr(err, errlen, doc, c->line, "decoder '%s': bad "
			    "value in <%s>", name, e);
	}
	if (rc == 0)
		rc = dec_build(rs, doc, d, &t, err, errlen);
	dtext_release(&t);
	if (rc == 0)
		rc = push((void ***)&rs->decs, &rs->ndecs, &rs->capdecs, d);
	else {
		rules_dec_free(d);
		return rc;
	}
	if (rc != 0)
		return rc;
	if (d->parent != NULL)
		return attach_child(rs, doc, d, err, errlen);
	if (d->program_name != NULL)
		return push((void ***)&rs->top_p, &rs->ntop_p, &rs->captop_p,
		    d);
	return push((void ***)&rs->top_n, &rs->ntop_n, &rs->captop_n, d);
}

int
rules_dec_load(struct rules_set *rs, const struct rules_xml_doc *doc,
    char *err, size_t errlen)
{
	const struct rules_xml_node *n;
	int rc;

	for (n = rules_xml_root(doc); n != NULL; n = n->next) {
		if (strcasecmp(n->name, "var") == 0)
			continue;
		if (strcasecmp(n->name, "decoder") != 0)
			return derr(err, errlen, doc, n->line, "expected "
			    "<decoder>, found <%s>%s", n->name, "");
		if ((rc = dec_read(rs, doc, n, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

int
rules_dec_finish(struct rules_set *rs, char *err, size_t errlen)
{
	struct rules_dec **lists[2] = { rs->top_p, rs->top_n };
	size_t ns[2] = { rs->ntop_p, rs->ntop_n }, i, j, k;

	(void)err;
	(void)errlen;
	for (i = 0; i < rs->ndecs; i++)
		rs->decs[i]->shown = rs->decs[i]->name;
	for (k = 0; k < 2; k++)
		for (i = 0; i < ns[k]; i++) {
			struct rules_dec *p = lists[k][i];

			for (j = 0; j < p->nchildren; j++) {
				struct rules_dec *c = p->children[j];

				if (c->use_own_name)
					continue;
				c->shown = p->name;
				c->id = p->id;
			}
		}
	return 0;
}

/*
 * Phase 2.
 */

/* Sets the fields of d's <order> from the captures of a match. */
static void
assign(struct rules_ev *ev, const struct rules_dec *d, const char *s,
    const struct rules_pat_caps *caps)
{
	int i;

	for (i = 0; i < caps->n && i < d->norder; i++)
		rules_ev_set_field(ev, d->order[i].fid, d->order[i].name,
		    s + caps->so[i], caps->eo[i] - caps->so[i]);
}

void
rules_decode(struct rules_ctx *ctx, struct rules_ev *ev)
{
	const struct rules_set *rs = ctx->rs;
	struct rules_pat_scratch *sc = ctx->sc;
	struct rules_dec **top;
	const struct rules_dec *d, *sel = NULL;
	const char *log = ev->log, *after_parent = log, *after_prematch;
	const char *last_end, *subj;
	struct rules_pat_caps caps;
	size_t ntop, i, j, end, loglen = ev->loglen;

	if (ev->program_name != NULL) {
		top = rs->top_p;
		ntop = rs->ntop_p;
	} else {
		top = rs->top_n;
		ntop = rs->ntop_n;
	}
	ev->decoding = ntop > 0;
	for (i = 0; i < ntop; i++) {
		d = top[i];
		after_parent = log;
		if (ev->program_name != NULL && !rules_pat_exec(d->program_name,
		    sc, ev->program_name, strlen(ev->program_name), NULL,
		    NULL))
			continue;
		if (d->prematch != NULL) {
			if (rules_pf_miss(ctx, ev, d->prematch_pf) ||
			    !rules_pat_exec(d->prematch, sc, log, loglen, &end,
			    NULL))
				continue;
			after_parent = log + end;
		}
		break;
	}
	if (i == ntop)
		return;
	ev->dec = d;
	ev->dec_shown = d->shown;
	ev->dec_own = d->name;
	ev->dec_type = d->type;
	after_prematch = after_parent;
	if (d->nchildren == 0)
		sel = d;
	else {
		for (j = 0; j < d->nchildren; j++) {
			const struct rules_dec *c = d->children[j];

			if (c->prematch == NULL) {
				sel = c;
				break;
			}
			subj = c->prematch_off == ROFF_AFTER_PARENT ?
			    after_parent : log;
			if ((subj != log || !rules_pf_miss(ctx, ev,
			    c->prematch_pf)) && rules_pat_exec(c->prematch, sc,
			    subj,
			    loglen - (size_t)(subj - log), &end, NULL)) {
				after_prematch = subj + end;
				sel = c;
				ev->dec = c;
				ev->dec_own = c->name;
				ev->dec_parent = d->name;
				ev->dec_shown = c->shown;
				ev->dec_type = c->type;
				break;
			}
			if (c->get_next)
				while (j + 1 < d->nchildren &&
				    strcmp(d->children[j + 1]->name,
				    c->name) == 0)
					j++;
		}
		if (sel == NULL)
			return;
	}
	last_end = NULL;
	for (;;) {
		if (sel->plugin != RPLUG_NONE) {
			subj = sel->plugin_off == ROFF_AFTER_PARENT ?
			    after_parent : sel->plugin_off ==
			    ROFF_AFTER_PREMATCH ? after_prematch : log;
			rules_plugin_run(ctx, ev, sel, subj);
			if (sel->regex == NULL)
				return;
		}
		if (sel->regex == NULL)
			return;
		switch (sel->regex_off) {
		case ROFF_AFTER_PARENT:
			subj = after_parent;
			break;
		case ROFF_AFTER_PREMATCH:
			subj = after_prematch;
			break;
		case ROFF_AFTER_REGEX:
			subj = last_end != NULL ? last_end : after_prematch;
			break;
		default:
			subj = log;
			break;
		}
		if ((subj != log || !rules_pf_miss(ctx, ev, sel->regex_pf)) &&
		    rules_pat_exec(sel->regex, sc, subj,
		    loglen - (size_t)(subj - log), &end, &caps)) {
			last_end = subj + end;
			assign(ev, sel, subj, &caps);
		} else
			last_end = NULL;
		if (!sel->get_next || sel == d)
			return;
		/* The next member of the same-name group. */
		for (j = 0; j < d->nchildren && d->children[j] != sel; j++)
			;
		if (j + 1 >= d->nchildren)
			return;
		sel = d->children[j + 1];
	}
}

/*
 * The accumulator.  OSSEC keys an entry by "host decoder id", keeps it
 * for 120 s after its last use, and fills only what an event lacks:
 * dstuser, srcuser, dstip, srcip, dstport, srcport, extra_data; values of
 * 1 to 80 bytes are kept.  Here the entries live in a fixed table per
 * context, the oldest replaced first, so memory stays bounded.
 */
#define ACCUM_SLOTS	1024
#define ACCUM_TTL_NS	(120 * 1000000000LL)
#define ACCUM_VAL_MAX	80

static const int accum_fields[] = { RULES_F_DSTUSER, RULES_F_SRCUSER,
    RULES_F_DSTIP, RULES_F_SRCIP, RULES_F_DSTPORT, RULES_F_SRCPORT,
    RULES_F_DATA };
#define ACCUM_NF	((int)(sizeof(accum_fields) / sizeof(accum_fields[0])))

struct accum_entry {
	char		*key;
	int64_t		 t;
	char		 v[ACCUM_NF][ACCUM_VAL_MAX + 1];
};

struct rules_accum {
	struct accum_entry e[ACCUM_SLOTS];
};

void
rules_accum_free(struct rules_accum *a)
{
	int i;

	if (a == NULL)
		return;
	for (i = 0; i < ACCUM_SLOTS; i++)
		free(a->e[i].key);
	free(a);
}

void
rules_accumulate(struct rules_ctx *ctx, struct rules_ev *ev)
{
	struct rules_accum *a;
	struct accum_entry *e = NULL, *old = NULL;
	char key[512];
	int i, k;

	if (ev->dec == NULL || !ev->dec->accumulate ||
	    ev->fields[RULES_F_ID] == NULL || *ev->fields[RULES_F_ID] == '\0')
		return;
	if ((a = ctx->accum) == NULL &&
	    (a = ctx->accum = calloc(1, sizeof(*a))) == NULL)
		return;
	snprintf(key, sizeof(key), "%s %s %s", ev->hostname, ev->dec_shown,
	    ev->fields[RULES_F_ID]);
	for (i = 0; i < ACCUM_SLOTS; i++) {
		struct accum_entry *x = &a->e[i];

		if (x->key != NULL && strcmp(x->key, key) == 0) {
			e = x;
			break;
		}
		if (old == NULL || x->key == NULL || x->t < old->t)
			old = x;
	}
	if (e != NULL && ev->now_ns - e->t > ACCUM_TTL_NS) {
		/* Expired: start afresh in the same slot. */
		memset(e->v, 0, sizeof(e->v));
	} else if (e != NULL) {
		for (k = 0; k < ACCUM_NF; k++) {
			int f = accum_fields[k];

			if ((ev->fields[f] == NULL || *ev->fields[f] == '\0') &&
			    e->v[k][0] != '\0') {
				rules_ev_set_field(ev, f, NULL, e->v[k],
				    strlen(e->v[k]));
				/* From an earlier line: not part of this
				 * log, so not for the prefilter. */
				ev->pf_fields = 0;
			}
		}
	} else {
		e = old;
		free(e->key);
		memset(e, 0, sizeof(*e));
		if ((e->key = strdup(key)) == NULL)
			return;
	}
	for (k = 0; k < ACCUM_NF; k++) {
		const char *v = ev->fields[accum_fields[k]];
		size_t n = v != NULL ? strlen(v) : 0;

		if (e->v[k][0] == '\0' && n > 0 && n <= ACCUM_VAL_MAX)
			memcpy(e->v[k], v, n + 1);
	}
	e->t = ev->now_ns;
}
