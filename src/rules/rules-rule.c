/*
 * rules-rule.c - OSSEC/Wazuh rules: reading them from their XML and
 * placing them in the rule tree.
 *
 * A rule file is a sequence of <group name="a,b,"> elements holding
 * <rule> elements.  Each rule is placed when it is read, so it may only
 * refer to rules read before it: under the rules its <if_sid> names,
 * under every rule whose groups match its <if_group>, under every rule of
 * at least its <if_level>, or else under the top-level rule of its
 * category (rules with an id below 10 are the top level: OSSEC's
 * rules_config.xml).  Siblings are kept sorted: level 0 first, then the
 * highest level down, load order among equals, as OSSEC sorts them.
 * Repeated elements concatenate, as in OSSEC (two <description> lines
 * make one text).  Wazuh's additions are accepted: type= and negate= on
 * conditions, <field>, <mitre>, <location>, <system_name>, <protocol>,
 * <data>, the *_pcre2 elements, and the long same_/different_ names.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "rules/rules-int.h"

static int
rerr(char *err, size_t errlen, const char *file, int line, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

#include <stdarg.h>

static int
rerr(char *err, size_t errlen, const char *file, int line, const char *fmt,
    ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	return MAMORI_ECONFIG;
}

static void
cond_free(struct rules_cond *c)
{
	rules_pat_free(c->pat);
	c->pat = NULL;
}

void
rules_rule_free(struct rules_rule *r)
{
	int i;

	if (r == NULL)
		return;
	free(r->groups);
	for (i = 0; i < r->nglist; i++)
		free(r->glist[i]);
	free(r->glist);
	free(r->description);
	for (i = 0; i < r->ninfo; i++)
		free(r->info[i].text);
	free(r->info);
	for (i = 0; i < r->nmitre; i++)
		free(r->mitre[i]);
	free(r->mitre);
	cond_free(&r->match);
	cond_free(&r->regex);
	cond_free(&r->program_name);
	cond_free(&r->idc);
	cond_free(&r->url);
	cond_free(&r->srcport);
	cond_free(&r->dstport);
	cond_free(&r->user);
	cond_free(&r->status);
	cond_free(&r->hostname);
	cond_free(&r->extra_data);
	cond_free(&r->data);
	cond_free(&r->system_name);
	cond_free(&r->protocol);
	cond_free(&r->location);
	free(r->action);
	free(r->srcip.v);
	free(r->dstip.v);
	for (i = 0; i < r->nfconds; i++) {
		free(r->fconds[i].name);
		cond_free(&r->fconds[i].c);
	}
	free(r->fconds);
	for (i = 0; i < r->nlists; i++) {
		rules_pat_free(r->lists[i].check_value);
		free(r->lists[i].dyn);
	}
	free(r->lists);
	free(r->if_sid);
	free(r->if_group);
	rules_pat_free(r->if_matched_group);
	rules_pat_free(r->if_matched_regex);
	free(r->feed_group_lists);
	for (i = 0; i < r->nsame_fields; i++)
		free(r->same_fields[i]);
	free(r->same_fields);
	for (i = 0; i < r->ndiff_fields; i++)
		free(r->diff_fields[i]);
	free(r->diff_fields);
	free(r->children);
	free(r);
}


/* All digits, at most max of them used (OSSEC reads with a width). */
static int
digits(const char *s, int width, long *out)
{
	char buf[16];
	const char *p;

	if (*s == '\0')
		return MAMORI_EINVAL;
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return MAMORI_EINVAL;
	snprintf(buf, sizeof(buf), "%.*s", width, s);
	*out = strtol(buf, NULL, 10);
	return 0;
}

/*
 * IP lists: "a.b.c.d", "a.b.c.d/NN", "a.b.c.d/m.m.m.m", IPv6 with /NN,
 * "any", each with an optional leading '!'.
 */
static int
ip_parse(const char *s, struct rules_ip *ip)
{
	char buf[128], *slash;
	long bits;

	memset(ip, 0, sizeof(*ip));
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '!') {
		ip->negate = 1;
		s++;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (slash = buf + strlen(buf); slash > buf &&
	    isspace((unsigned char)slash[-1]); )
		*--slash = '\0';
	if (strcmp(buf, "any") == 0) {
		ip->family = 0;
		return 0;
	}
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, ip->net) == 1) {
		ip->family = 4;
		ip->bits = 32;
		if (slash != NULL) {
			struct in_addr m;

			if (strchr(slash, '.') != NULL) {
				uint32_t v;

				if (inet_pton(AF_INET, slash, &m) != 1)
					return MAMORI_EINVAL;
				v = ntohl(m.s_addr);
				for (bits = 0; bits < 32 &&
				    (v & (0x80000000u >> bits)); bits++)
					;
				ip->bits = (int)bits;
			} else {
				char *e;

				bits = strtol(slash, &e, 10);
				if (*e != '\0' || e == slash || bits < 0 ||
				    bits > 32)
					return MAMORI_EINVAL;
				ip->bits = (int)bits;
			}
		}
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip->net) == 1) {
		ip->family = 6;
		ip->bits = 128;
		if (slash != NULL) {
			char *e;

			bits = strtol(slash, &e, 10);
			if (*e != '\0' || e == slash || bits < 0 || bits > 128)
				return MAMORI_EINVAL;
			ip->bits = (int)bits;
		}
		return 0;
	}
	return MAMORI_EINVAL;
}

static int
iplist_add(struct rules_iplist *l, const char *s)
{
	struct rules_ip ip, *v;

	if (ip_parse(s, &ip) != 0)
		return MAMORI_EINVAL;
	if ((v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	l->v = v;
	l->v[l->n++] = ip;
	return 0;
}

/* "hh:mm-hh:mm", "hh-hh", with am/pm, optional '!'. */
static int
time_one(const char **sp, char out[6])
{
	const char *s = *sp;
	int h = 0, m = 0, nd = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (isdigit((unsigned char)*s) && nd < 2) {
		h = h * 10 + (*s++ - '0');
		nd++;
	}
	if (nd == 0)
		return MAMORI_EINVAL;
	if (*s == ':') {
		s++;
		nd = 0;
		while (isdigit((unsigned char)*s) && nd < 2) {
			m = m * 10 + (*s++ - '0');
			nd++;
		}
		if (nd != 2)
			return MAMORI_EINVAL;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (strncasecmp(s, "pm", 2) == 0) {
		if (h < 12)
			h += 12;
		s += 2;
	} else if (strncasecmp(s, "am", 2) == 0) {
		if (h == 12)
			h = 0;
		s += 2;
	}
	if (h > 23 || m > 59)
		return MAMORI_EINVAL;
	out[0] = (char)('0' + h / 10);
	out[1] = (char)('0' + h % 10);
	out[2] = ':';
	out[3] = (char)('0' + m / 10);
	out[4] = (char)('0' + m % 10);
	out[5] = '\0';
	*sp = s;
	return 0;
}

static int
time_parse(struct rules_rule *r, const char *s)
{
	char a[6], b[6];

	while (isspace((unsigned char)*s))
		s++;
	r->time_neg = 0;
	if (*s == '!') {
		r->time_neg = 1;
		s++;
	}
	if (time_one(&s, a) != 0)
		return MAMORI_EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s++ != '-' || time_one(&s, b) != 0)
		return MAMORI_EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (*s != '\0')
		return MAMORI_EINVAL;
	if (strcmp(a, b) > 0) {
		/* "6 pm - 8:30 am": outside [8:30, 18:00], as OSSEC. */
		memcpy(r->time_start, b, 6);
		memcpy(r->time_end, a, 6);
		r->time_neg = 1;
	} else {
		memcpy(r->time_start, a, 6);
		memcpy(r->time_end, b, 6);
	}
	r->time_set = 1;
	return 0;
}

static int
weekday_parse(struct rules_rule *r, const char *s)
{
	static const struct {
		const char *name;
		unsigned mask;
	} days[] = {
		{ "sunday", 1 }, { "sun", 1 }, { "monday", 2 }, { "mon", 2 },
		{ "tuesday", 4 }, { "tue", 4 }, { "wednesday", 8 },
		{ "wed", 8 }, { "thursday", 16 }, { "thu", 16 },
		{ "friday", 32 }, { "fri", 32 }, { "saturday", 64 },
		{ "sat", 64 }, { "weekdays", 62 }, { "weekends", 65 },
	};
	size_t i, l;

	r->weekdays = 0;
	for (;;) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
			l = strlen(days[i].name);
			if (strncasecmp(s, days[i].name, l) == 0 &&
			    (s[l] == '\0' || s[l] == ',' ||
			    isspace((unsigned char)s[l])))
				break;
		}
		if (i == sizeof(days) / sizeof(days[0]))
			return MAMORI_EINVAL;
		r->weekdays |= days[i].mask;
		s += strlen(days[i].name);
	}
	return r->weekdays == 0 ? MAMORI_EINVAL : 0;
}

/* The fields <ignore> and <check_if_ignored> name (any keyword found). */
static unsigned
ignore_sel(const char *s)
{
	unsigned v = 0;

	if (strstr(s, "user") != NULL)
		v |= RFTS_DSTUSER;
	if (strstr(s, "srcip") != NULL)
		v |= RFTS_SRCIP;
	if (strstr(s, "dstip") != NULL)
		v |= RFTS_DSTIP;
	if (strstr(s, "id") != NULL)
		v |= RFTS_ID;
	if (strstr(s, "location") != NULL)
		v |= RFTS_LOCATION;
	if (strstr(s, "data") != NULL)
		v |= RFTS_DATA;
	if (strstr(s, "name") != NULL)
		v |= RFTS_NAME;
	return v;
}

/* Text of a condition element while the rule is read: repeated elements
 * concatenate; the first one's attributes decide kind and negation. */
struct ctext {
	char	*text;
	int	 kind;
	int	 negate;
	int	 line;
};

struct rtext {
	struct ctext match, regex, program_name, idc, url, srcport, dstport,
		     user, status, hostname, extra_data, data, system_name,
		     protocol, location, if_matched_group, if_matched_regex;
	char	*if_sid, *if_group, *description;
};

static void
rtext_release(struct rtext *t)
{
	struct ctext *c[] = { &t->match, &t->regex, &t->program_name,
	    &t->idc, &t->url, &t->srcport, &t->dstport, &t->user, &t->status,
	    &t->hostname, &t->extra_data, &t->data, &t->system_name,
	    &t->protocol, &t->location, &t->if_matched_group,
	    &t->if_matched_regex };
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		free(c[i]->text);
	free(t->if_sid);
	free(t->if_group);
	free(t->description);
}

/* OSSEC's <pcre2> family is compiled caseless (analysisd's flags). */
static int
ctext_add(struct ctext *c, const struct rules_xml_node *n, int def_kind,
    int pcre2)
{
	const char *neg = rules_xml_attr(n, "negate");

	if (c->text == NULL) {
		c->line = n->line;
		if (rules_pat_kind_attr(n, pcre2 ? RULES_PAT_PCRE2_CASELESS :
		    def_kind, &c->kind) != 0)
			return MAMORI_EINVAL;
		if (neg != NULL) {
			if (strcasecmp(neg, "yes") == 0)
				c->negate = 1;
			else if (strcasecmp(neg, "no") != 0)
				return MAMORI_EINVAL;
		}
	}
	return rules_append(&c->text, n->content);
}

static int
ctext_compile(const struct ctext *t, struct rules_cond *c, const char *what,
    const char *file, char *err, size_t errlen)
{
	char why[256];

	if (t->text == NULL)
		return 0;
	if (*t->text == '\0' && t->kind != RULES_PAT_OSMATCH)
		return rerr(err, errlen, file, t->line, "empty <%s>", what);
	if ((c->pat = rules_pat_compile((enum rules_pat_kind)t->kind,
	    t->text, why, sizeof(why))) == NULL)
		return rerr(err, errlen, file, t->line, "bad <%s>: %s", what,
		    why);
	c->negate = t->negate;
	return 0;
}

/* Splits a group string ("a,b,c,") for output. */
static int
split_groups(struct rules_rule *r)
{
	const char *p = r->groups, *e;
	char **v;
	size_t n;

	for (; p != NULL && *p != '\0'; p = e ? e + 1 : NULL) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0)
			continue;
		if ((v = realloc(r->glist, (size_t)(r->nglist + 1) *
		    sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		r->glist = v;
		if ((v[r->nglist] = strndup(p, n)) == NULL)
			return MAMORI_ENOMEM;
		r->nglist++;
		if (e == NULL)
			break;
	}
	return 0;
}

/* OS_WordMatch: case-insensitive substring, '|' alternatives, '^' at
 * the start of an alternative anchors it. */
static int
word_match(const char *pattern, const char *s)
{
	char alt[256];
	const char *p = pattern, *e;
	size_t n;

	if (s == NULL)
		return 0;
	for (;;) {
		e = strchr(p, '|');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0 && n < sizeof(alt)) {
			memcpy(alt, p, n);
			alt[n] = '\0';
			if (alt[0] == '^') {
				if (strncasecmp(s, alt + 1, n - 1) == 0)
					return 1;
			} else if (strcasestr(s, alt) != NULL)
				return 1;
		}
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

static int
child_add(struct rules_rule *parent, struct rules_rule *r)
{
	size_t i;

	for (i = 0; i < parent->nchildren; i++)
		if (parent->children[i] == r)
			return 0;
	if (parent->nchildren == parent->capchildren) {
		size_t cap = parent->capchildren ? parent->capchildren * 2 : 4;
		struct rules_rule **v = realloc(parent->children,
		    cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		parent->children = v;
		parent->capchildren = cap;
	}
	/* Before the first sibling of a strictly lower level. */
	for (i = 0; i < parent->nchildren; i++)
		if (parent->children[i]->ilevel < r->ilevel)
			break;
	memmove(parent->children + i + 1, parent->children + i,
	    (parent->nchildren - i) * sizeof(*parent->children));
	parent->children[i] = r;
	parent->nchildren++;
	return 0;
}

static int
top_add(struct rules_set *rs, struct rules_rule *r)
{
	size_t i;

	if (rs->ntop == rs->captop) {
		size_t cap = rs->captop ? rs->captop * 2 : 16;
		struct rules_rule **v = realloc(rs->top, cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		rs->top = v;
		rs->captop = cap;
	}
	for (i = 0; i < rs->ntop; i++)
		if (rs->top[i]->ilevel < r->ilevel)
			break;
	memmove(rs->top + i + 1, rs->top + i,
	    (rs->ntop - i) * sizeof(*rs->top));
	rs->top[i] = r;
	rs->ntop++;
	return 0;
}

/* Depth-first: the first rule with this id (top level first). */
static struct rules_rule *
find_in(struct rules_rule **v, size_t n, uint32_t id, unsigned char *seen)
{
	struct rules_rule *f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i]->id == id)
			return v[i];
		if (seen[v[i]->index])
			continue;
		seen[v[i]->index] = 1;
		if ((f = find_in(v[i]->children, v[i]->nchildren, id,
		    seen)) != NULL)
			return f;
	}
	return NULL;
}

static struct rules_rule *
find_rule(struct rules_set *rs, uint32_t id)
{
	unsigned char *seen;
	struct rules_rule *r;

	if ((seen = calloc(rs->nrules + 1, 1)) == NULL)
		return NULL;
	r = find_in(rs->top, rs->ntop, id, seen);
	free(seen);
	return r;
}

/* Every rule reachable in the tree, each once, depth-first. */
static void
collect(struct rules_rule **v, size_t n, unsigned char *seen,
    struct rules_rule **out, size_t *nout)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (seen[v[i]->index])
			continue;
		seen[v[i]->index] = 1;
		out[(*nout)++] = v[i];
		collect(v[i]->children, v[i]->nchildren, seen, out, nout);
	}
}

static int
category_place(struct rules_set *rs, struct rules_rule *r)
{
	size_t i;

	for (i = 0; i < rs->ntop; i++)
		if (rs->top[i]->category == r->category)
			return child_add(rs->top[i], r);
	return MAMORI_ENOTFOUND;
}

/* Places r in the tree.  Returns 0, or an error with err set. */
static int
place(struct rules_set *rs, struct rules_rule *r, char *err, size_t errlen)
{
	struct rules_rule **all, *p;
	unsigned char *seen;
	size_t nall = 0, i;
	const char *s;
	int rc = 0, found = 0;

	if (r->id < 10)
		return top_add(rs, r);
	if (r->if_sid != NULL) {
		for (s = r->if_sid; ; ) {
			uint32_t id;

			while (*s == ',' || *s == ' ')
				s++;
			if (*s == '\0') {
				/* A trailing separator: OSSEC reads one more
				 * id, 0, which falls to the category. */
				if (s > r->if_sid && (s[-1] == ',' ||
				    s[-1] == ' ') && found)
					(void)category_place(rs, r);
				break;
			}
			if (!isdigit((unsigned char)*s))
				return rerr(err, errlen, r->file, r->line,
				    "rule %u: <if_sid> '%s' must list rule ids",
				    r->id, r->if_sid);
			id = (uint32_t)strtoul(s, (char **)&s, 10);
			if ((p = find_rule(rs, id)) == NULL)
				return rerr(err, errlen, r->file, r->line,
				    "rule %u: <if_sid> names rule %u, which is "
				    "not loaded before it", r->id, id);
			if (r->category == RT_SYSLOG)
				r->category = p->category;
			else
				r->category = p->category;
			if ((rc = child_add(p, r)) != 0)
				return rc;
			found = 1;
		}
		return 0;
	}
	if (r->if_level > 0 || r->if_group != NULL) {
		if ((all = calloc(rs->nrules + 1, sizeof(*all))) == NULL ||
		    (seen = calloc(rs->nrules + 1, 1)) == NULL) {
			free(all);
			return MAMORI_ENOMEM;
		}
		collect(rs->top, rs->ntop, seen, all, &nall);
		free(seen);
		for (i = 0; i < nall && rc == 0; i++) {
			p = all[i];
			if (p == r)
				continue;
			if (r->if_level > 0 ? p->ilevel >= 100 * r->if_level :
			    word_match(r->if_group, p->groups)) {
				rc = child_add(p, r);
				found = 1;
			}
		}
		free(all);
		if (rc != 0)
			return rc;
		if (!found && r->if_level > 0)
			return rerr(err, errlen, r->file, r->line, "rule %u: no "
			    "rule of level %d or more for <if_level>", r->id,
			    r->if_level);
		if (!found)
			return rerr(err, errlen, r->file, r->line, "rule %u: no "
			    "rule in group '%s' for <if_group>", r->id,
			    r->if_group);
		return 0;
	}
	if (category_place(rs, r) != 0)
		return rerr(err, errlen, r->file, r->line, "rule %u: no "
		    "top-level rule (id below 10) of its category to go "
		    "under", r->id);
	return 0;
}

/* Sets up the correlation lists r searches and feeds. */
static int
correlate(struct rules_set *rs, struct rules_rule *r, char *err,
    size_t errlen)
{
	struct rules_rule *p;
	size_t i;

	r->search_list = -1;
	if (r->if_matched_sid != 0) {
		if ((p = find_rule(rs, r->if_matched_sid)) == NULL)
			return rerr(err, errlen, r->file, r->line, "rule %u: "
			    "<if_matched_sid> names rule %u, not loaded",
			    r->id, r->if_matched_sid);
		if (p->feed_sid_list < 0)
			p->feed_sid_list = rs->nlists_sid++;
		r->search_list = p->feed_sid_list;
		r->search_kind = 0;
	} else if (r->if_matched_group != NULL) {
		r->search_list = rs->nlists_group++;
		r->search_kind = 1;
		for (i = 0; i < rs->nrules; i++) {
			int *v;

			p = rs->rules[i];
			if (p == r || p->groups == NULL ||
			    !rules_pat_exec(r->if_matched_group, NULL,
			    p->groups, strlen(p->groups), NULL, NULL))
				continue;
			if ((v = realloc(p->feed_group_lists,
			    (size_t)(p->nfeed_group_lists + 1) *
			    sizeof(*v))) == NULL)
				return MAMORI_ENOMEM;
			p->feed_group_lists = v;
			v[p->nfeed_group_lists++] = r->search_list;
		}
	} else if (r->if_matched_regex != NULL) {
		r->search_list = 0;
		r->search_kind = 2;
	}
	return 0;
}

/* Fields a <list field=""> may name. */
static int
list_field(const char *s, int *fid)
{
	static const struct {
		const char *name;
		int fid;
	} map[] = {
		{ "srcip", RULES_F_SRCIP }, { "srcport", RULES_F_SRCPORT },
		{ "dstip", RULES_F_DSTIP }, { "dstport", RULES_F_DSTPORT },
		{ "user", RLF_USER }, { "url", RULES_F_URL },
		{ "id", RULES_F_ID }, { "hostname", RLF_HOSTNAME },
		{ "program_name", RLF_PROGRAM_NAME },
		{ "status", RULES_F_STATUS }, { "action", RULES_F_ACTION },
		{ "protocol", RULES_F_PROTOCOL },
		{ "system_name", RULES_F_SYSTEM_NAME },
		{ "data", RULES_F_DATA }, { "extra_data", RULES_F_DATA },
		{ "srcuser", RULES_F_SRCUSER }, { "dstuser", RULES_F_DSTUSER },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(s, map[i].name) == 0) {
			*fid = map[i].fid;
			return 0;
		}
	return MAMORI_EINVAL;
}

static struct rules_cdb *
cdb_get(struct rules_set *rs, const char *dir, const char *name, char *err,
    size_t errlen)
{
	char path[4096], why[512];
	struct rules_cdb *c, **v;
	size_t i, l;

	for (i = 0; i < rs->ncdbs; i++)
		if (strcmp(rs->cdbs[i]->name, name) == 0)
			return rs->cdbs[i];
	/* As written, beside the rule file, then one level up; a ".cdb"
	 * name means its text source. */
	snprintf(path, sizeof(path), "%s", name);
	l = strlen(path);
	if (l > 4 && strcmp(path + l - 4, ".cdb") == 0)
		path[l - 4] = '\0';
	c = NULL;
	if (path[0] == '/')
		c = rules_cdb_load(path, name, why, sizeof(why));
	else {
		char p2[4200];

		snprintf(p2, sizeof(p2), "%s/%s", dir, path);
		if ((c = rules_cdb_load(p2, name, why, sizeof(why))) == NULL) {
			snprintf(p2, sizeof(p2), "%s/../%s", dir, path);
			c = rules_cdb_load(p2, name, why, sizeof(why));
		}
	}
	if (c == NULL) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	if ((v = realloc(rs->cdbs, (rs->ncdbs + 1) * sizeof(*v))) == NULL) {
		rules_cdb_free(c);
		return NULL;
	}
	rs->cdbs = v;
	v[rs->ncdbs++] = c;
	return c;
}

static int
read_list(struct rules_set *rs, struct rules_rule *r,
    const struct rules_xml_node *n, const char *dir, char *err,
    size_t errlen)
{
	struct rules_listref l, *v;
	const char *field = rules_xml_attr(n, "field");
	const char *lookup = rules_xml_attr(n, "lookup");
	const char *cv = rules_xml_attr(n, "check_value");
	char why[512];
	size_t i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < n->nattrs; i++)
		if (strcasecmp(n->attrs[i].name, "field") != 0 &&
		    strcasecmp(n->attrs[i].name, "lookup") != 0 &&
		    strcasecmp(n->attrs[i].name, "check_value") != 0)
			return rerr(err, errlen, r->file, n->line, "rule %u: "
			    "<list> has an unknown attribute '%s'", r->id,
			    n->attrs[i].name);
	if (field == NULL || *field == '\0')
		return rerr(err, errlen, r->file, n->line, "rule %u: <list> "
		    "needs field= (srcip, dstip, user, ... or a dynamic "
		    "field)", r->id);
	if (lookup == NULL || strcasecmp(lookup, "match_key") == 0)
		l.lookup = RL_MATCH_KEY;
	else if (strcasecmp(lookup, "not_match_key") == 0)
		l.lookup = RL_NOT_MATCH_KEY;
	else if (strcasecmp(lookup, "match_key_value") == 0)
		l.lookup = RL_MATCH_KEY_VALUE;
	else if (strcasecmp(lookup, "address_match_key") == 0)
		l.lookup = RL_ADDRESS_MATCH_KEY;
	else if (strcasecmp(lookup, "not_address_match_key") == 0)
		l.lookup = RL_NOT_ADDRESS_MATCH_KEY;
	else if (strcasecmp(lookup, "address_match_key_value") == 0)
		l.lookup = RL_ADDRESS_MATCH_KEY_VALUE;
	else
		return rerr(err, errlen, r->file, n->line, "rule %u: <list> "
		    "lookup '%s' unknown", r->id, lookup);
	if (l.lookup == RL_MATCH_KEY_VALUE ||
	    l.lookup == RL_ADDRESS_MATCH_KEY_VALUE) {
		if (cv == NULL)
			return rerr(err, errlen, r->file, n->line, "rule %u: "
			    "<list> lookup %s needs check_value=", r->id,
			    lookup);
		if ((l.check_value = rules_pat_compile(RULES_PAT_OSMATCH, cv,
		    why, sizeof(why))) == NULL)
			return rerr(err, errlen, r->file, n->line, "rule %u: "
			    "<list> check_value: %s", r->id, why);
	}
	/* Not a fixed field: a dynamic one (Wazuh). */
	if (list_field(field, &l.field) != 0) {
		l.field = -1;
		if ((l.dyn = strdup(field)) == NULL) {
			rules_pat_free(l.check_value);
			return MAMORI_ENOMEM;
		}
	}
	if ((l.cdb = cdb_get(rs, dir, n->content, why, sizeof(why))) ==
	    NULL) {
		rules_pat_free(l.check_value);
		free(l.dyn);
		return rerr(err, errlen, r->file, n->line, "rule %u: <list> "
		    "%s: %s", r->id, n->content, why);
	}
	if ((v = realloc(r->lists, (size_t)(r->nlists + 1) *
	    sizeof(*v))) == NULL) {
		rules_pat_free(l.check_value);
		free(l.dyn);
		return MAMORI_ENOMEM;
	}
	r->lists = v;
	v[r->nlists++] = l;
	return 0;
}

static int
read_field(struct rules_rule *r, const struct rules_xml_node *n, char *err,
    size_t errlen)
{
	struct rules_fcond f, *v;
	struct ctext t;
	const char *name = rules_xml_attr(n, "name");
	int rc;

	if (name == NULL || *name == '\0')
		return rerr(err, errlen, r->file, n->line, "rule %u: <field> "
		    "needs name=", r->id);
	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	if ((rc = ctext_add(&t, n, RULES_PAT_OSREGEX, 0)) != 0) {
		free(t.text);
		return rc == MAMORI_EINVAL ? rerr(err, errlen, r->file,
		    n->line, "rule %u: bad attribute in <field>", r->id) : rc;
	}
	rc = ctext_compile(&t, &f.c, "field", r->file, err, errlen);
	free(t.text);
	if (rc != 0)
		return rc;
	f.fid = rules_field_by_name(name);
	if ((f.name = strdup(name)) == NULL ||
	    (v = realloc(r->fconds, (size_t)(r->nfconds + 1) *
	    sizeof(*v))) == NULL) {
		free(f.name);
		cond_free(&f.c);
		return MAMORI_ENOMEM;
	}
	r->fconds = v;
	v[r->nfconds++] = f;
	return 0;
}

static int
read_mitre(struct rules_rule *r, const struct rules_xml_node *n)
{
	const struct rules_xml_node *c;
	char **v;

	for (c = n->child; c != NULL; c = c->next) {
		if (strcasecmp(c->name, "id") != 0 &&
		    strcasecmp(c->name, "techniqueID") != 0)
			continue;
		if ((v = realloc(r->mitre, (size_t)(r->nmitre + 1) *
		    sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		r->mitre = v;
		if ((v[r->nmitre] = strdup(c->content)) == NULL)
			return MAMORI_ENOMEM;
		r->nmitre++;
	}
	return 0;
}

static int
add_info(struct rules_rule *r, int type, const char *text)
{
	struct rules_info *v;

	if ((v = realloc(r->info, (size_t)(r->ninfo + 1) *
	    sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	r->info = v;
	v[r->ninfo].type = type;
	if ((v[r->ninfo].text = strdup(text)) == NULL)
		return MAMORI_ENOMEM;
	r->ninfo++;
	return 0;
}

static int
add_name(char ***v, int *n, const char *name)
{
	char **nv;

	if (*name == '\0')
		return MAMORI_EINVAL;
	if ((nv = realloc(*v, (size_t)(*n + 1) * sizeof(*nv))) == NULL)
		return MAMORI_ENOMEM;
	*v = nv;
	if ((nv[*n] = strdup(name)) == NULL)
		return MAMORI_ENOMEM;
	(*n)++;
	return 0;
}

/* same_* / different_* / not_same_* flags; returns 1 if n is one. */
static int
same_flag(struct rules_rule *r, const char *e)
{
	static const struct {
		const char *name;
		unsigned flag;
	} map[] = {
		{ "same_source_ip", RSAME_SRCIP }, { "same_srcip", RSAME_SRCIP },
		{ "same_src_port", RSAME_SRCPORT },
		{ "same_srcport", RSAME_SRCPORT },
		{ "same_dst_port", RSAME_DSTPORT },
		{ "same_dstport", RSAME_DSTPORT },
		{ "same_user", RSAME_USER }, { "same_dstuser", RSAME_USER },
		{ "same_location", RSAME_LOCATION },
		{ "same_id", RSAME_ID }, { "same_dstip", RSAME_DSTIP },
		{ "different_url", RDIFF_URL },
		{ "different_srcip", RDIFF_SRCIP },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(e, map[i].name) == 0) {
			r->same |= map[i].flag;
			return 1;
		}
	/* Wazuh's long forms for any field: same_protocol, different_user,
	 * same_location...  (srcgeoip/dstgeoip: no GeoIP data, no
	 * effect). */
	{
		static const char *const names[] = { "srcip", "dstip",
		    "srcport", "dstport", "protocol", "action", "id", "url",
		    "data", "extra_data", "status", "system_name", "srcuser",
		    "dstuser", "user", "location", "hostname" };
		int same = strncasecmp(e, "same_", 5) == 0;
		int diff = strncasecmp(e, "different_", 10) == 0;
		const char *f = e + (same ? 5 : 10);

		for (i = 0; (same || diff) &&
		    i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(f, names[i]) == 0) {
				const char *n = strcmp(names[i], "user") == 0 ?
				    "dstuser" : names[i];

				if (add_name(same ? &r->same_fields :
				    &r->diff_fields, same ? &r->nsame_fields :
				    &r->ndiff_fields, n) != 0)
					return 0;
				r->same |= same ? RSAME_FIELD : RDIFF_FIELD;
				return 1;
			}
	}
	/* Accepted without effect, as in OSSEC. */
	if ((strncasecmp(e, "same_", 5) == 0 ||
	    strncasecmp(e, "different_", 10) == 0) &&
	    strcasestr(e, "geoip") != NULL)
		return 1;
	return strncasecmp(e, "not_same_", 9) == 0 ||
	    strcasecmp(e, "different_srcgeoip") == 0 ||
	    strcasecmp(e, "same_agent") == 0 ||
	    strcasecmp(e, "global_frequency") == 0;
}

static int
read_attrs(struct rules_set *rs, struct rules_rule *r,
    const struct rules_xml_node *n, int *overwrite, char *err,
    size_t errlen)
{
	int have_id = 0, have_level = 0, accuracy = 1;
	size_t i;
	long v;

	r->timeframe = 360;
	for (i = 0; i < n->nattrs; i++) {
		const char *a = n->attrs[i].name, *val = n->attrs[i].value;
		int rc = 0;

		if (strcasecmp(a, "id") == 0) {
			if ((rc = digits(val, 6, &v)) == 0) {
				r->id = (uint32_t)v;
				have_id = 1;
			}
		} else if (strcasecmp(a, "level") == 0) {
			if ((rc = digits(val, 4, &v)) == 0) {
				r->level = (int)v;
				have_level = 1;
			}
		} else if (strcasecmp(a, "maxsize") == 0) {
			if ((rc = digits(val, 4, &v)) == 0)
				r->maxsize = (int)v;
		} else if (strcasecmp(a, "frequency") == 0) {
			if ((rc = digits(val, 4, &v)) == 0)
				r->frequency = (int)v;
		} else if (strcasecmp(a, "timeframe") == 0) {
			if ((rc = digits(val, 5, &v)) == 0)
				r->timeframe = (int)v;
		} else if (strcasecmp(a, "ignore") == 0) {
			if ((rc = digits(val, 6, &v)) == 0)
				r->ignore_time = (int)v;
		} else if (strcasecmp(a, "accuracy") == 0) {
			if ((rc = digits(val, 4, &v)) == 0)
				accuracy = (int)v;
		} else if (strcasecmp(a, "noalert") == 0)
			r->noalert = strcmp(val, "0") != 0 || 1;
		else if (strcasecmp(a, "overwrite") == 0) {
			if (strcasecmp(val, "yes") == 0)
				*overwrite = 1;
			else if (strcasecmp(val, "no") != 0)
				rc = MAMORI_EINVAL;
		} else
			return rerr(err, errlen, r->file, n->line, "<rule> has "
			    "an unknown attribute '%s'", a);
		if (rc != 0)
			return rerr(err, errlen, r->file, n->line, "<rule> "
			    "attribute %s='%s' must be a number%s", a, val,
			    strcasecmp(a, "overwrite") == 0 ? " (or yes/no)" :
			    "");
	}
	if (!have_id || !have_level)
		return rerr(err, errlen, r->file, n->line, "<rule> needs id= "
		    "and level=");
	if (r->level > 16)
		return rerr(err, errlen, r->file, n->line, "rule %u: level %d "
		    "is above 16", r->id, r->level);
	if (r->level == 0)
		r->ilevel = accuracy ? 9900 : 99;
	else
		r->ilevel = accuracy ? r->level * 100 : r->level;
	(void)rs;
	return 0;
}

/* Builds the rule's patterns from the texts read. */
static int
compile_all(struct rules_rule *r, struct rtext *t, char *err, size_t errlen)
{
	int rc;

	if ((rc = ctext_compile(&t->match, &r->match, "match", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->regex, &r->regex, "regex", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->program_name, &r->program_name,
	    "program_name", r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->idc, &r->idc, "id", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->url, &r->url, "url", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->srcport, &r->srcport, "srcport",
	    r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->dstport, &r->dstport, "dstport",
	    r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->user, &r->user, "user", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->status, &r->status, "status", r->file,
	    err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->hostname, &r->hostname, "hostname",
	    r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->extra_data, &r->extra_data, "extra_data",
	    r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->data, &r->data, "data", r->file, err,
	    errlen)) != 0 ||
	    (rc = ctext_compile(&t->system_name, &r->system_name,
	    "system_name", r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->protocol, &r->protocol, "protocol",
	    r->file, err, errlen)) != 0 ||
	    (rc = ctext_compile(&t->location, &r->location, "location",
	    r->file, err, errlen)) != 0)
		return rc;
	if (t->if_matched_group.text != NULL) {
		struct rules_cond c = { NULL, 0, -1 };

		if ((rc = ctext_compile(&t->if_matched_group, &c,
		    "if_matched_group", r->file, err, errlen)) != 0)
			return rc;
		r->if_matched_group = c.pat;
	}
	if (t->if_matched_regex.text != NULL) {
		struct rules_cond c = { NULL, 0, -1 };

		if ((rc = ctext_compile(&t->if_matched_regex, &c,
		    "if_matched_regex", r->file, err, errlen)) != 0)
			return rc;
		r->if_matched_regex = c.pat;
	}
	return 0;
}

/* The condition elements: name, default kind, and where the text goes. */
static struct ctext *
cond_slot(struct rtext *t, const char *e, int *kind, int *pcre2)
{
	static const struct {
		const char *name;
		size_t off;
		int kind;
	} map[] = {
		{ "match", offsetof(struct rtext, match), RULES_PAT_OSMATCH },
		{ "regex", offsetof(struct rtext, regex), RULES_PAT_OSREGEX },
		{ "program_name", offsetof(struct rtext, program_name),
		    RULES_PAT_OSMATCH },
		{ "id", offsetof(struct rtext, idc), RULES_PAT_OSMATCH },
		{ "url", offsetof(struct rtext, url), RULES_PAT_OSMATCH },
		{ "srcport", offsetof(struct rtext, srcport),
		    RULES_PAT_OSMATCH },
		{ "dstport", offsetof(struct rtext, dstport),
		    RULES_PAT_OSMATCH },
		{ "user", offsetof(struct rtext, user), RULES_PAT_OSMATCH },
		{ "status", offsetof(struct rtext, status), RULES_PAT_OSMATCH },
		{ "hostname", offsetof(struct rtext, hostname),
		    RULES_PAT_OSMATCH },
		{ "extra_data", offsetof(struct rtext, extra_data),
		    RULES_PAT_OSMATCH },
		{ "data", offsetof(struct rtext, data), RULES_PAT_OSMATCH },
		{ "system_name", offsetof(struct rtext, system_name),
		    RULES_PAT_OSMATCH },
		{ "protocol", offsetof(struct rtext, protocol),
		    RULES_PAT_OSMATCH },
		{ "location", offsetof(struct rtext, location),
		    RULES_PAT_OSMATCH },
		{ "if_matched_group", offsetof(struct rtext, if_matched_group),
		    RULES_PAT_OSMATCH },
		{ "if_matched_regex", offsetof(struct rtext, if_matched_regex),
		    RULES_PAT_OSREGEX },
	};
	char base[64];
	size_t i, l = strlen(e);

	*pcre2 = 0;
	if (l > 6 && strcasecmp(e + l - 6, "_pcre2") == 0 && l - 6 < 64) {
		snprintf(base, sizeof(base), "%.*s", (int)(l - 6), e);
		*pcre2 = 1;
	} else if (strcasecmp(e, "pcre2") == 0) {
		snprintf(base, sizeof(base), "regex");
		*pcre2 = 1;
	} else
		snprintf(base, sizeof(base), "%s", e);
	if (*pcre2 && strcasecmp(base, "match") == 0)
		snprintf(base, sizeof(base), "regex");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(base, map[i].name) == 0) {
			*kind = map[i].kind;
			return (struct ctext *)(void *)((char *)t + map[i].off);
		}
	return NULL;
}

static int
read_elements(struct rules_set *rs, struct rules_rule *r,
    const struct rules_xml_node *n, struct rtext *t, const char *dir,
    char *err, size_t errlen)
{
	const struct rules_xml_node *c;
	struct ctext *ct;
	int rc = 0, kind, pcre2;
	long v;

	if (n->child == NULL)
		return rerr(err, errlen, r->file, n->line, "rule %u has no "
		    "elements", r->id);
	for (c = n->child; c != NULL && rc == 0; c = c->next) {
		const char *e = c->name, *val = c->content;

		if ((ct = cond_slot(t, e, &kind, &pcre2)) != NULL) {
			rc = ctext_add(ct, c, kind, pcre2);
		} else if (strcasecmp(e, "description") == 0) {
			char *nl;

			if ((rc = rules_append(&t->description, val)) == 0 &&
			    (nl = strchr(t->description, '\n')) != NULL)
				*nl = ' ';
		} else if (strcasecmp(e, "group") == 0)
			rc = rules_append(&r->groups, val);
		else if (strcasecmp(e, "decoded_as") == 0) {
			if ((r->decoded_as = rules_dec_name_id(rs, val)) < 0)
				return rerr(err, errlen, r->file, c->line,
				    "rule %u: <decoded_as> names decoder '%s', "
				    "which is not loaded", r->id, val);
		} else if (strcasecmp(e, "category") == 0) {
			if ((r->category = rules_type_parse(val)) < 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "action") == 0) {
			const char *neg = rules_xml_attr(c, "negate");

			rc = rules_append(&r->action, val);
			if (neg != NULL && strcasecmp(neg, "yes") == 0)
				r->action_negate = 1;
		} else if (strcasecmp(e, "srcip") == 0 ||
		    strcasecmp(e, "dstip") == 0) {
			struct rules_iplist *l = strcasecmp(e, "srcip") == 0 ?
			    &r->srcip : &r->dstip;
			const char *neg = rules_xml_attr(c, "negate");

			if (neg != NULL && strcasecmp(neg, "yes") == 0)
				l->negate = 1;
			rc = iplist_add(l, val);
		} else if (strcasecmp(e, "time") == 0)
			rc = time_parse(r, val);
		else if (strcasecmp(e, "weekday") == 0)
			rc = weekday_parse(r, val);
		else if (strcasecmp(e, "if_sid") == 0)
			rc = rules_append(&t->if_sid, val);
		else if (strcasecmp(e, "if_group") == 0)
			rc = rules_append(&t->if_group, val);
		else if (strcasecmp(e, "if_level") == 0) {
			if ((rc = digits(val, 4, &v)) == 0 && v == 0)
				rc = MAMORI_EINVAL;
			r->if_level = (int)v;
		} else if (strcasecmp(e, "if_matched_sid") == 0) {
			if ((rc = digits(val, 6, &v)) == 0)
				r->if_matched_sid = (uint32_t)v;
			r->context = 1;
		} else if (strcasecmp(e, "if_fts") == 0)
			r->if_fts = 1;
		else if (strcasecmp(e, "check_diff") == 0) {
			r->check_diff = 1;
			r->context = 1;
		} else if (strcasecmp(e, "info") == 0 ||
		    strcasecmp(e, "cve") == 0) {
			const char *ty = rules_xml_attr(c, "type");
			int type = RINFO_TEXT;

			if (strcasecmp(e, "cve") == 0)
				type = RINFO_CVE;
			else if (ty == NULL || strcasecmp(ty, "text") == 0)
				type = RINFO_TEXT;
			else if (strcasecmp(ty, "link") == 0)
				type = RINFO_LINK;
			else if (strcasecmp(ty, "cve") == 0)
				type = RINFO_CVE;
			else if (strcasecmp(ty, "osvdb") == 0)
				type = RINFO_OSVDB;
			else
				rc = MAMORI_EINVAL;
			if (rc == 0)
				rc = add_info(r, type, val);
		} else if (strcasecmp(e, "options") == 0) {
			if (strcmp(val, "no_log") == 0)
				r->log_alert = 0;
			else if (strcmp(val, "log_alert") == 0)
				r->log_alert = 1;
			else if (strcmp(val, "alert_by_email") != 0 &&
			    strcmp(val, "no_email_alert") != 0 &&
			    strcmp(val, "no_ar") != 0 &&
			    strcmp(val, "no_full_log") != 0 &&
			    strcmp(val, "no_counter") != 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "ignore") == 0) {
			if ((r->ignore_sel = ignore_sel(val)) == 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "check_if_ignored") == 0) {
			if ((r->check_ignored_sel = ignore_sel(val)) == 0)
				rc = MAMORI_EINVAL;
		} else if (strcasecmp(e, "compiled_rule") == 0) {
			if ((r->compiled = rules_compiled_find(val)) == NULL)
				return rerr(err, errlen, r->file, c->line,
				    "rule %u: unknown <compiled_rule> '%s'",
				    r->id, val);
		} else if (strcasecmp(e, "list") == 0)
			rc = read_list(rs, r, c, dir, err, errlen);
		else if (strcasecmp(e, "field") == 0)
			rc = read_field(r, c, err, errlen);
		else if (strcasecmp(e, "mitre") == 0)
			rc = read_mitre(r, c);
		else if (strcasecmp(e, "same_field") == 0 ||
		    strcasecmp(e, "different_field") == 0) {
			int same = strcasecmp(e, "same_field") == 0;

			rc = add_name(same ? &r->same_fields : &r->diff_fields,
			    same ? &r->nsame_fields : &r->ndiff_fields, val);
			r->same |= same ? RSAME_FIELD : RDIFF_FIELD;
		} else if (same_flag(r, e))
			;
		else if (strcasecmp(e, "srcgeoip") == 0 ||
		    strcasecmp(e, "dstgeoip") == 0 || strcasecmp(e, "var") == 0)
			;	/* no GeoIP database: accepted, not checked */
		else
			return rerr(err, errlen, r->file, c->line, "rule %u: "
			    "unknown element <%s>", r->id, e);
		if (rc == MAMORI_EINVAL)
			return rerr(err, errlen, r->file, c->line, "rule %u: bad "
			    "value '%s' in <%s>", r->id, val, e);
		if (rc == MAMORI_ECONFIG)
			return rc;
	}
	return rc;
}

/* Overwrite: the old rule takes the new one's conditions and texts, and
 * keeps its place in the tree, category and correlation set-up. */
static void
overwrite(struct rules_rule *old, struct rules_rule *r)
{
	struct rules_rule tmp = *old;

#define TAKE(f) do { __typeof__(old->f) t_ = old->f; old->f = r->f; \
	r->f = t_; } while (0)
	TAKE(level);
	TAKE(maxsize);
	TAKE(frequency);
	TAKE(timeframe);
	TAKE(ignore_time);
	TAKE(groups);
	TAKE(glist);
	TAKE(nglist);
	TAKE(description);
	TAKE(decoded_as);
	TAKE(match);
	TAKE(regex);
	TAKE(program_name);
	TAKE(idc);
	TAKE(url);
	TAKE(srcport);
	TAKE(dstport);
	TAKE(user);
	TAKE(status);
	TAKE(hostname);
	TAKE(extra_data);
	TAKE(data);
	TAKE(system_name);
	TAKE(protocol);
	TAKE(location);
	TAKE(action);
	TAKE(action_negate);
	TAKE(srcip);
	TAKE(dstip);
	TAKE(time_set);
	TAKE(time_neg);
	TAKE(weekdays);
	TAKE(fconds);
	TAKE(nfconds);
	TAKE(compiled);
	TAKE(log_alert);
	TAKE(mitre);
	TAKE(nmitre);
	TAKE(same);
#undef TAKE
	memcpy(old->time_start, r->time_start, sizeof(old->time_start));
	memcpy(old->time_end, r->time_end, sizeof(old->time_end));
	(void)tmp;
}

static int
rule_read(struct rules_set *rs, const struct rules_xml_doc *doc,
    const struct rules_xml_node *n, const char *gname, const char *dir,
    char *err, size_t errlen)
{
	struct rules_rule *r, *old;
	struct rtext t;
	int rc, ow = 0;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MAMORI_ENOMEM;
	r->file = rules_xml_file(doc);
	r->line = n->line;
	r->decoded_as = -1;
	r->category = RT_SYSLOG;
	r->log_alert = 1;
	r->feed_sid_list = -1;
	r->search_list = -1;
	r->index = (int)rs->nrules;
	memset(&t, 0, sizeof(t));
	if ((rc = read_attrs(rs, r, n, &ow, err, errlen)) != 0 ||
	    (rc = rules_append(&r->groups, gname)) != 0 ||
	    (rc = read_elements(rs, r, n, &t, dir, err, errlen)) != 0 ||
	    (rc = compile_all(r, &t, err, errlen)) != 0)
		goto fail;
	r->description = t.description;
	t.description = NULL;
	r->if_group = t.if_group;
	t.if_group = NULL;
	if (t.if_sid != NULL) {
		r->if_sid = t.if_sid;
		t.if_sid = NULL;
	}
	if (r->if_matched_group != NULL || r->if_matched_regex != NULL)
		r->context = 1;
	if ((r->same != 0 || r->frequency > 0) && !r->context) {
		rc = rerr(err, errlen, r->file, r->line, "rule %u: frequency "
		    "and same_/different_ options need an if_matched_sid, "
		    "if_matched_group or if_matched_regex", r->id);
		goto fail;
	}
	/* if_matched_* places the rule like if_sid/if_group would. */
	if (r->if_sid == NULL && r->if_group == NULL) {
		if (r->if_matched_sid != 0) {
			char buf[16];

			snprintf(buf, sizeof(buf), "%u", r->if_matched_sid);
			if ((r->if_sid = strdup(buf)) == NULL) {
				rc = MAMORI_ENOMEM;
				goto fail;
			}
		} else if (t.if_matched_group.text != NULL &&
		    (r->if_group = strdup(t.if_matched_group.text)) == NULL) {
			rc = MAMORI_ENOMEM;
			goto fail;
		}
	}
	if ((rc = split_groups(r)) != 0)
		goto fail;
	if (r->id >= 10 && (old = find_rule(rs, r->id)) != NULL) {
		if (!ow) {
			rc = rerr(err, errlen, r->file, r->line, "rule %u: the "
			    "id is taken (by %s:%d); use overwrite=\"yes\" to "
			    "replace it", r->id, old->file, old->line);
			goto fail;
		}
		overwrite(old, r);
		rules_rule_free(r);
		rtext_release(&t);
		return 0;
	}
	if (ow && r->id >= 10) {
		rc = rerr(err, errlen, r->file, r->line, "rule %u: "
		    "overwrite=\"yes\" but no rule %u is loaded", r->id, r->id);
		goto fail;
	}
	if (rs->nrules == rs->caprules) {
		size_t cap = rs->caprules ? rs->caprules * 2 : 256;
		struct rules_rule **v = realloc(rs->rules, cap * sizeof(*v));

		if (v == NULL) {
			rc = MAMORI_ENOMEM;
			goto fail;
		}
		rs->rules = v;
		rs->caprules = cap;
	}
	rs->rules[rs->nrules++] = r;
	if ((rc = place(rs, r, err, errlen)) != 0 ||
	    (rc = correlate(rs, r, err, errlen)) != 0) {
		/* The set is unusable after an error; it owns r now. */
		rtext_release(&t);
		return rc;
	}
	rtext_release(&t);
	return 0;
fail:
	rtext_release(&t);
	rules_rule_free(r);
	return rc;
}

int
rules_rule_load(struct rules_set *rs, const struct rules_xml_doc *doc,
    const char *dir, char *err, size_t errlen)
{
	const struct rules_xml_node *g, *n;
	const char *file = rules_xml_file(doc), *gname;
	int rc, nr;

	for (g = rules_xml_root(doc); g != NULL; g = g->next) {
		if (strcasecmp(g->name, "var") == 0)
			continue;
		if (strcasecmp(g->name, "group") != 0)
			return rerr(err, errlen, file, g->line, "expected "
			    "<group>, found <%s>", g->name);
		if ((gname = rules_xml_attr(g, "name")) == NULL ||
		    g->nattrs != 1)
			return rerr(err, errlen, file, g->line, "<group> takes "
			    "exactly one attribute, name=");
		nr = 0;
		for (n = g->child; n != NULL; n = n->next) {
			if (strcasecmp(n->name, "rule") != 0)
				return rerr(err, errlen, file, n->line,
				    "expected <rule> in <group>, found <%s>",
				    n->name);
			if ((rc = rule_read(rs, doc, n, gname, dir, err,
			    errlen)) != 0)
				return rc;
			nr++;
		}
		if (nr == 0)
			return rerr(err, errlen, file, g->line, "<group name=\"%s"
			    "\"> holds no rule", gname);
	}
	return 0;
}

int
rules_rule_finish(struct rules_set *rs, char *err, size_t errlen)
{
	size_t i;
	int maxf = 0;

	(void)err;
	(void)errlen;
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i]->frequency > maxf)
			maxf = rs->rules[i]->frequency;
	/* A correlation list needs no more entries than the largest
	 * frequency asks for, and some room for filtered ones. */
	rs->list_cap = maxf * 4 + 64;
	if (rs->list_cap > 8192)
		rs->list_cap = 8192;
	return 0;
}
