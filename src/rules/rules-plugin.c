/*
 * rules-plugin.c - plugin decoders: decoders written in code rather than
 * as a regex, for formats a regex reads badly.  OSSEC's PF_Decoder
 * (OpenBSD pf via tcpdump), SymantecWS_Decoder, SonicWall_Decoder and
 * OSSECAlert_Decoder, and Wazuh's JSON_Decoder.
 *
 * Input is the event's log (or the part after the parent's or prematch's
 * match, by offset); nothing here trusts it: every scan is bounded by the
 * terminating NUL and every value goes through rules_ev_set_field().
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/rules-int.h"

static void
set(struct rules_ev *ev, int fid, const char *v, size_t n)
{
	rules_ev_set_field(ev, fid, NULL, v, n);
}

/* "addr.port" as tcpdump prints it: the address, and the port after
 * the 4th dot. */
static void
addr_port(struct rules_ev *ev, const char *s, size_t n, int ipf, int portf)
{
	size_t i, dots = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '.' && ++dots == 4) {
			set(ev, ipf, s, i);
			set(ev, portf, s + i + 1, n - i - 1);
			return;
		}
	set(ev, ipf, s, n);
}

static void
pf(struct rules_ev *ev, const char *s)
{
	const char *p, *e;

	if ((p = strstr(s, ") ")) == NULL)
		return;
	p += 2;
	if (*p == 'p')
		set(ev, RULES_F_ACTION, "pass", 4);
	else if (*p == 'b')
		set(ev, RULES_F_ACTION, "block", 5);
	else
		return;
	if ((p = strstr(p, ": ")) == NULL)
		return;
	p += 2;
	for (e = p; *e != '\0' && *e != ' '; e++)
		;
	addr_port(ev, p, (size_t)(e - p), RULES_F_SRCIP, RULES_F_SRCPORT);
	if (strncmp(e, " > ", 3) != 0)
		return;
	p = e + 3;
	for (e = p; *e != '\0' && *e != ':'; e++)
		;
	addr_port(ev, p, (size_t)(e - p), RULES_F_DSTIP, RULES_F_DSTPORT);
	if (*e != ':')
		return;
	for (e++; *e == ' '; e++)
		;
	if (*e == 'u')
		set(ev, RULES_F_PROTOCOL, "UDP", 3);
	else if (*e == 'i')
		set(ev, RULES_F_PROTOCOL, "ICMP", 4);
	else
		set(ev, RULES_F_PROTOCOL, "TCP", 3);
}

static void
symantecws(struct rules_ev *ev, const char *s)
{
	const char *p = strchr(s, ','), *e;
	int user = 0, ip = 0, url = 0, id = 0;

	while (p != NULL && *p != '\0') {
		p++;
		e = strchr(p, ',');
		if (!user && strncmp(p, "10=", 3) == 0) {
			size_t n = e ? (size_t)(e - p - 3) : strlen(p + 3);

			set(ev, RULES_F_DSTUSER, p + 3, n > 128 ? 128 : n);
			user = 1;
		} else if (!ip && strncmp(p, "11=", 3) == 0) {
			set(ev, RULES_F_SRCIP, p + 3, e ? (size_t)(e - p - 3) :
			    strlen(p + 3));
			ip = 1;
		} else if (!url && strncmp(p, "60=", 3) == 0) {
			set(ev, RULES_F_URL, p + 3, e ? (size_t)(e - p - 3) :
			    strlen(p + 3));
			url = 1;
		} else if (!id && (strncmp(p, "3=", 2) == 0 ||
		    strncmp(p, "2=", 2) == 0)) {
			size_t n = strlen(p);

			set(ev, RULES_F_ID, p, n > 9 ? 9 : n);
			id = 1;
		}
		p = e;
	}
}

/* "name=value " for SonicWall: the value, up to a space. */
static const char *
sw_value(const char *s, const char *name, size_t *n)
{
	const char *p = strstr(s, name), *e;

	if (p == NULL)
		return NULL;
	p += strlen(name);
	for (e = p; *e != '\0' && *e != ' '; e++)
		;
	*n = (size_t)(e - p);
	return p;
}

static void
sw_hostport(struct rules_ev *ev, const char *v, size_t n, int ipf, int pf_)
{
	const char *c = memchr(v, ':', n), *c2;

	if (c == NULL) {
		set(ev, ipf, v, n);
		return;
	}
	set(ev, ipf, v, (size_t)(c - v));
	c++;
	c2 = memchr(c, ':', n - (size_t)(c - v));
	set(ev, pf_, c, c2 ? (size_t)(c2 - c) : n - (size_t)(c - v));
}

static void
sonicwall(struct rules_ev *ev, const char *s)
{
	const char *v;
	size_t n;
	long m = -1;

	ev->dec_type = RT_SYSLOG;
	if ((v = sw_value(s, "pri=", &n)) == NULL)
		return;
	set(ev, RULES_F_STATUS, v, n);
	if ((v = sw_value(s, " m=", &n)) != NULL) {
		set(ev, RULES_F_ID, v, n);
		m = strtol(v, NULL, 10);
	}
	if ((v = sw_value(s, " src=", &n)) != NULL)
		sw_hostport(ev, v, n, RULES_F_SRCIP, RULES_F_SRCPORT);
	if ((v = sw_value(s, " dst=", &n)) != NULL)
		sw_hostport(ev, v, n, RULES_F_DSTIP, RULES_F_DSTPORT);
	if ((v = sw_value(s, " proto=", &n)) != NULL) {
		const char *sl = memchr(v, '/', n);

		set(ev, RULES_F_PROTOCOL, v, sl ? (size_t)(sl - v) : n);
	}
	if ((v = sw_value(s, " c=", &n)) != NULL && strtol(v, NULL, 10) == 32)
		ev->dec_type = RT_IDS;
	switch (m) {
	case 98: case 597: case 598:
		ev->dec_type = RT_FIREWALL;
		set(ev, RULES_F_ACTION, "pass", 4);
		break;
	case 38: case 36: case 173: case 174: case 37:
		ev->dec_type = RT_FIREWALL;
		set(ev, RULES_F_ACTION, "drop", 4);
		break;
	case 537:
		ev->dec_type = RT_FIREWALL;
		set(ev, RULES_F_ACTION, "close", 5);
		break;
	case 97:
		ev->dec_type = RT_SQUID;
		if ((v = sw_value(s, " result=", &n)) != NULL)
			set(ev, RULES_F_ID, v, n);
		if ((v = sw_value(s, " dstname=", &n)) != NULL)
			set(ev, RULES_F_URL, v, n);
		break;
	}
}

/* "Alert Level: N; Rule: ID - text; Location: loc; srcip: ...". */
static void
ossecalert(struct rules_ctx *ctx, struct rules_ev *ev, const char *s)
{
	const char *p, *e;
	unsigned long id;
	size_t i;

	if (strncmp(s, "ossec: ", 7) == 0)
		s += 7;
	if (strncmp(s, "Alert Level: ", 13) != 0 ||
	    (p = strchr(s, ';')) == NULL || (p = strstr(p, ": ")) == NULL)
		return;
	id = strtoul(p + 2, NULL, 10);
	for (i = 0; i < ctx->rs->nrules; i++)
		if (ctx->rs->rules[i]->id == id)
			ev->generated = ctx->rs->rules[i];
	if ((p = strstr(p, "; Location: ")) == NULL)
		return;
	ev->dec_type = RT_OSSEC_ALERT;
	p += 12;
	for (e = p; *e != '\0' && *e != ';'; e++)
		;
	ev->hostname = rules_ev_strdup(ev, p, (size_t)(e - p));
	if ((p = strstr(e, "; srcip: ")) != NULL) {
		p += 9;
		for (e = p; *e != '\0' && *e != ';'; e++)
			;
		set(ev, RULES_F_SRCIP, p, (size_t)(e - p));
	}
	if ((p = strstr(s, "; user: ")) != NULL) {
		p += 8;
		for (e = p; *e != '\0' && *e != ';'; e++)
			;
		set(ev, RULES_F_DSTUSER, p, (size_t)(e - p));
	}
}

/*
 * JSON: nested objects flatten to dotted names; the names of the fixed
 * fields go to them, all others are dynamic fields.
 */
static void json_walk(struct rules_ev *ev, const struct rules_dec *d,
    const char *prefix, json_t *j, int depth);

static void
json_scalar(struct rules_ev *ev, const char *name, json_t *j, int as_null,
    char *buf, size_t len)
{
	buf[0] = '\0';
	switch (json_typeof(j)) {
	case JSON_STRING:
		snprintf(buf, len, "%s", json_string_value(j));
		break;
	case JSON_INTEGER:
		snprintf(buf, len, "%lld", (long long)json_integer_value(j));
		break;
	case JSON_REAL:
		snprintf(buf, len, "%f", json_real_value(j));
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	case JSON_NULL:
		if (!as_null)
			return;
		snprintf(buf, len, "null");
		break;
	default:
		return;
	}
	rules_ev_set_field(ev, rules_field_by_name(name), name, buf, strlen(buf));
}

static void
json_walk(struct rules_ev *ev, const struct rules_dec *d, const char *prefix,
    json_t *j, int depth)
{
	char name[256], buf[4096];
	const char *k;
	json_t *v;
	size_t i, n;

	if (depth > 16)
		return;
	json_object_foreach(j, k, v) {
		if (*prefix != '\0')
			snprintf(name, sizeof(name), "%s.%s", prefix, k);
		else
			snprintf(name, sizeof(name), "%s", k);
		if (json_is_object(v))
			json_walk(ev, d, name, v, depth + 1);
		else if (json_is_array(v)) {
			/* Scalars joined with commas. */
			n = 0;
			buf[0] = '\0';
			for (i = 0; i < json_array_size(v) && n < sizeof(buf);
			    i++) {
				json_t *x = json_array_get(v, i);
				char one[1024];

				if (json_is_string(x))
					snprintf(one, sizeof(one), "%s",
					    json_string_value(x));
				else if (json_is_integer(x))
					snprintf(one, sizeof(one), "%lld",
					    (long long)json_integer_value(x));
				else
					continue;
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s%s", n ? "," : "", one);
			}
			if (n >= sizeof(buf))
				n = sizeof(buf) - 1;
			rules_ev_set_field(ev, rules_field_by_name(name), name, buf, n);
		} else
			json_scalar(ev, name, v, d->json_null, buf,
			    sizeof(buf));
	}
}

static void
json_dec(struct rules_ev *ev, const struct rules_dec *d, const char *s)
{
	json_error_t e;
	json_t *j;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '{')
		return;
	if ((j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK,
	    &e)) == NULL)
		return;
	if (json_is_object(j))
		json_walk(ev, d, "", j, 0);
	json_decref(j);
}

void
rules_plugin_run(struct rules_ctx *ctx, struct rules_ev *ev,
    const struct rules_dec *d, const char *s)
{
	switch (d->plugin) {
	case RPLUG_PF:
		pf(ev, s);
		break;
	case RPLUG_SYMANTECWS:
		symantecws(ev, s);
		break;
	case RPLUG_SONICWALL:
		sonicwall(ev, s);
		break;
	case RPLUG_OSSECALERT:
		ossecalert(ctx, ev, s);
		break;
	case RPLUG_JSON:
		/* Its values are unescaped: no longer parts of the log. */
		ev->pf_fields = 0;
		json_dec(ev, d, s);
		break;
	}
}
