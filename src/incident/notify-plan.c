/*
 * notify-plan.c - the contact plan: the notify: section of the
 * configuration, routing an incident to contacts, and the rate limiter.
 *
 * The plan is small (tens of contacts and routes) and read once at start,
 * so it is kept as plain arrays and routing is a linear scan: O(routes x
 * contacts) per notification, nothing next to one SMTP round trip.
 * docs/notification.md is the user's description of the format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/config.h"
#include "core/error.h"
#include "core/fileutil.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "incident/incident.h"
#include "incident/notify.h"

#define PLAN_MAX_CONTACTS	1024
#define PLAN_MAX_ROUTES		1024
#define PLAN_MAX_SECRET		4096

static const char *const role_names[NOTIFY_NROLES] = {
	"csirt", "administrators", "management", "legal", "police",
	"external-csirt",
};

const char *
notify_role_name(enum notify_role r)
{
	return (unsigned)r < NOTIFY_NROLES ? role_names[r] : "?";
}

int
notify_role_parse(const char *s)
{
	int i;

	for (i = 0; i < NOTIFY_NROLES; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

static void
contact_release(struct notify_contact *c)
{
	free(c->name);
	ydoc_strv_free(c->email);
	free(c->webhook);
	if (c->webhook_secret != NULL) {
		explicit_bzero(c->webhook_secret, strlen(c->webhook_secret));
		free(c->webhook_secret);
	}
}

static void
route_release(struct notify_route *r)
{
	ydoc_strv_free(r->categories);
	free(r->contacts);
}

void
notify_plan_free(struct notify_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->from);
	free(p->from_name);
	free(p->from_addr);
	free(p->smtp_url);
	free(p->username);
	if (p->password != NULL) {
		explicit_bzero(p->password, strlen(p->password));
		free(p->password);
	}
	free(p->ca);
	free(p->console_url);
	for (i = 0; i < p->ncontacts; i++)
		contact_release(&p->contacts[i]);
	free(p->contacts);
	for (i = 0; i < p->nroutes; i++)
		route_release(&p->routes[i]);
	free(p->routes);
	free(p);
}

int
notify_plan_contact(const struct notify_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ncontacts; i++)
		if (strcmp(p->contacts[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * A mail address as mamori sends to it: local@domain in printable ASCII
 * without spaces or the characters that delimit addresses in headers, so
 * it can go into To: and RCPT TO: as it is.
 */
static int
addr_ok(const char *a)
{
	const char *at = strchr(a, '@');
	size_t len = strlen(a);
	const unsigned char *s;

	if (len < 3 || len > 254 || at == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	for (s = (const unsigned char *)a; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("<>()[]\\,;:\"", *s))
			return 0;
	return 1;
}

/* Splits "Name <addr>" or "addr" into its parts. */
static int
parse_from(const char *s, char **name, char **addr)
{
	const char *lt = strrchr(s, '<'), *e;
	size_t nl;

	*name = *addr = NULL;
	if (strpbrk(s, "\r\n") != NULL)
		return MAMORI_EINVAL;
	if (lt == NULL) {
		if (!addr_ok(s))
			return MAMORI_EINVAL;
		return (*addr = strdup(s)) != NULL ? 0 : MAMORI_ENOMEM;
	}
	e = strchr(lt, '>');
	if (e == NULL || e[1] != '\0')
		return MAMORI_EINVAL;
	if ((*addr = strndup(lt + 1, (size_t)(e - lt - 1))) == NULL)
		return MAMORI_ENOMEM;
	if (!addr_ok(*addr)) {
		free(*addr);
		*addr = NULL;
		return MAMORI_EINVAL;
	}
	nl = (size_t)(lt - s);
	while (nl > 0 && s[nl - 1] == ' ')
		nl--;
	while (nl > 0 && *s == ' ') {
		s++;
		nl--;
	}
	if (nl >= 2 && s[0] == '"' && s[nl - 1] == '"') {
		s++;
		nl -= 2;
	}
	if (nl > 0 && (*name = strndup(s, nl)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

/*
 * Checks a URL with libcurl's own parser (the one that will use it) and
 * that its scheme is one of schemes.  With no_userinfo, a user or
 * password in the URL is refused (secrets have their own settings).
 */
static const char *
url_check(const char *url, const char *const *schemes, size_t n,
    int no_userinfo)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL;
	const char *why = NULL;
	size_t i;

	if ((u = curl_url()) == NULL)
		return "out of memory";
	if (strpbrk(url, " \t\r\n") != NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		why = "not a valid URL";
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(scheme, schemes[i]) == 0)
			break;
	if (i == n) {
		why = "unsupported scheme";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0') {
		why = "no host";
		goto out;
	}
	if (no_userinfo && curl_url_get(u, CURLUPART_USER, &user, 0) ==
	    CURLUE_OK) {
		why = "a user name in the URL (give username: and password: "
		    "instead)";
		goto out;
	}
 out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return why;
}

/* A contact's name: short, and safe anywhere it is printed. */
static int
name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

/* "30/h", "30/1h", "10/15m"; "0", "none" or "off" for no limit. */
static int
rate_parse(const char *s, unsigned *count, int64_t *window)
{
	char *end, *d;
	unsigned long n;
	int64_t w;

	if (strcmp(s, "0") == 0 || strcmp(s, "none") == 0 ||
	    strcmp(s, "off") == 0) {
		*count = 0;
		*window = 0;
		return 0;
	}
	errno = 0;
	n = strtoul(s, &end, 10);
	if (end == s || *end != '/' || errno != 0 || n == 0 || n > 1000000 ||
	    *s == '-' || *s == '+' || *s == ' ')
		return MAMORI_EINVAL;
	d = end + 1;
	if (*d >= 'a' && *d <= 'z' && d[1] == '\0') {
		char buf[3] = { '1', *d, '\0' };

		if (config_parse_duration(buf, &w) != 0)
			return MAMORI_EINVAL;
	} else if (*d < '0' || *d > '9' || config_parse_duration(d, &w) != 0)
		return MAMORI_EINVAL;
	if (w < NS_PER_SEC || w / (int64_t)n < 1000)
		return MAMORI_EINVAL;
	*count = (unsigned)n;
	*window = w;
	return 0;
}

struct plan_ctx {
	struct ydoc	*d;
	const char	*name;		/* "notify" */
	struct notify_plan *p;
};

static int
parse_smtp(struct plan_ctx *x, yaml_node_t *node)
{
	static const char *const keys[] = { "url", "starttls", "username",
	    "password", "password_file", "ca", "insecure" };
	static const char *const smtp_schemes[] = { "smtp", "smtps" };
	struct notify_plan *p = x->p;
	struct ydoc *d = x->d;
	yaml_node_t *v;
	char n[128], *s = NULL, *file = NULL, *buf = NULL;
	const char *why;
	size_t len;
	int r, e;

	snprintf(n, sizeof(n), "%s.smtp", x->name);
	if ((r = ydoc_check_map(d, node, n, keys, 7)) != 0)
		return r;
	v = ydoc_get(d, node, "url");
	snprintf(n, sizeof(n), "%s.smtp.url", x->name);
	if (v == NULL)
		return ydoc_fail(d, node, "setting '%s': missing (such as "
		    "smtp://127.0.0.1:25)", n);
	if ((r = ydoc_str(d, v, n, &p->smtp_url)) != 0)
		return r;
	if ((why = url_check(p->smtp_url, smtp_schemes, 2, 1)) != NULL)
		return ydoc_fail(d, v, "setting '%s': %s (expected "
		    "smtp://HOST[:PORT] or smtps://HOST[:PORT])", n, why);

	v = ydoc_get(d, node, "starttls");
	snprintf(n, sizeof(n), "%s.smtp.starttls", x->name);
	if ((r = ydoc_str(d, v, n, &s)) != 0)
		return r;
	if (s != NULL) {
		if (strcmp(s, "optional") == 0)
			p->starttls = NOTIFY_STARTTLS_OPTIONAL;
		else if (strcmp(s, "required") == 0)
			p->starttls = NOTIFY_STARTTLS_REQUIRED;
		else if (strcmp(s, "never") == 0)
			p->starttls = NOTIFY_STARTTLS_NEVER;
		else {
			free(s);
			return ydoc_fail(d, v, "setting '%s': expected "
			    "required, optional or never", n);
		}
		free(s);
		if (strncmp(p->smtp_url, "smtps:", 6) == 0 &&
		    p->starttls == NOTIFY_STARTTLS_NEVER)
			return ydoc_fail(d, v, "setting '%s': never, but "
			    "smtps:// always speaks TLS", n);
	}

	snprintf(n, sizeof(n), "%s.smtp.username", x->name);
	if ((r = ydoc_str(d, ydoc_get(d, node, "username"), n,
	    &p->username)) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.smtp.password", x->name);
	if ((r = ydoc_str(d, ydoc_get(d, node, "password"), n,
	    &p->password)) != 0)
		return r;
	v = ydoc_get(d, node, "password_file");
	snprintf(n, sizeof(n), "%s.smtp.password_file", x->name);
	if ((r = ydoc_str(d, v, n, &file)) != 0)
		return r;
	if (file != NULL) {
		if (p->password != NULL) {
			free(file);
			return ydoc_fail(d, v, "setting '%s': give password "
			    "or password_file, not both", n);
		}
		r = file_read_all(file, PLAN_MAX_SECRET, &buf, &len);
		if (r != 0) {
			e = errno;
			r = ydoc_fail(d, v, "setting '%s': cannot read %s: %s",
			    n, file, r == MAMORI_ETOOBIG ? "too large for a "
			    "password" : strerror(e));
			free(file);
			return r;
		}
		free(file);
		while (len > 0 && (buf[len - 1] == '\n' ||
		    buf[len - 1] == '\r'))
			len--;
		if ((p->password = strndup(buf, len)) == NULL) {
			explicit_bzero(buf, len);
			free(buf);
			return MAMORI_ENOMEM;
		}
		explicit_bzero(buf, len);
		free(buf);
	}
	if (p->password != NULL && p->username == NULL)
		return ydoc_fail(d, node, "setting '%s.smtp.username': "
		    "missing (a password is given)", x->name);
	if (p->username != NULL) {
		if (p->password == NULL)
			return ydoc_fail(d, node, "setting '%s.smtp.password': "
			    "missing (a username is given; or give "
			    "password_file)", x->name);
		/* Passwords never cross the network in clear text. */
		if (ydoc_get(d, node, "starttls") == NULL)
			p->starttls = NOTIFY_STARTTLS_REQUIRED;
		else if (p->starttls != NOTIFY_STARTTLS_REQUIRED &&
		    strncmp(p->smtp_url, "smtps:", 6) != 0)
			return ydoc_fail(d, ydoc_get(d, node, "starttls"),
			    "setting '%s.smtp.starttls': must be required "
			    "when a username is given (the password would "
			    "cross the network in clear text)", x->name);
	}

	snprintf(n, sizeof(n), "%s.smtp.ca", x->name);
	if ((r = ydoc_str(d, ydoc_get(d, node, "ca"), n, &p->ca)) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.smtp.insecure", x->name);
	return ydoc_bool(d, ydoc_get(d, node, "insecure"), n, &p->insecure);
}

static int
parse_contact(struct plan_ctx *x, yaml_node_t *node, size_t idx)
{
	static const char *const keys[] = { "name", "role", "email",
	    "webhook", "webhook_secret", "lang" };
	static const char *const web_schemes[] = { "http", "https" };
	struct notify_contact *c = &x->p->contacts[idx];
	struct ydoc *d = x->d;
	yaml_node_t *v;
	char base[96], n[128], *s = NULL;
	const char *why, *hint;
	size_t i;
	int r, role;

	snprintf(base, sizeof(base), "%s.contacts[%zu]", x->name, idx);
	if ((r = ydoc_check_map(d, node, base, keys, 6)) != 0)
		return r;
	c->line = ydoc_line(node);

	snprintf(n, sizeof(n), "%s.name", base);
	if ((v = ydoc_get(d, node, "name")) == NULL)
		return ydoc_fail(d, node, "setting '%s': missing", n);
	if ((r = ydoc_str(d, v, n, &c->name)) != 0)
		return r;
	if (!name_ok(c->name))
		return ydoc_fail(d, v, "setting '%s': use 1 to 64 letters, "
		    "digits, '.', '-' or '_'", n);
	for (i = 0; i < idx; i++)
		if (strcmp(x->p->contacts[i].name, c->name) == 0)
			return ydoc_fail(d, v, "setting '%s': '%s' is "
			    "already the name of the contact on line %zu", n,
			    c->name, x->p->contacts[i].line);

	snprintf(n, sizeof(n), "%s.role", base);
	if ((v = ydoc_get(d, node, "role")) == NULL)
		return ydoc_fail(d, node, "setting '%s': missing (one of "
		    "csirt, administrators, management, legal, police, "
		    "external-csirt)", n);
	if ((r = ydoc_str(d, v, n, &s)) != 0)
		return r;
	if ((role = notify_role_parse(s)) < 0) {
		hint = ydoc_nearest(s, strlen(s), role_names, NOTIFY_NROLES);
		free(s);
		if (hint != NULL)
			return ydoc_fail(d, v, "setting '%s': unknown role "
			    "(did you mean '%s'?)", n, hint);
		return ydoc_fail(d, v, "setting '%s': unknown role (one of "
		    "csirt, administrators, management, legal, police, "
		    "external-csirt)", n);
	}
	free(s);
	s = NULL;
	c->role = (enum notify_role)role;

	snprintf(n, sizeof(n), "%s.email", base);
	v = ydoc_get(d, node, "email");
	if ((r = ydoc_strv(d, v, n, &c->email, &c->nemail)) != 0)
		return r;
	for (i = 0; i < c->nemail; i++)
		if (!addr_ok(c->email[i])) {
			yaml_node_t *e = v;

			if (ydoc_is_list(v))
				e = ydoc_node(d,
				    v->data.sequence.items.start[i]);
			if (ydoc_is_list(v))
				snprintf(n, sizeof(n), "%s.email[%zu]", base,
				    i);
			return ydoc_fail(d, e, "setting '%s': not a mail "
			    "address (expected local@domain)", n);
		}
	if (c->nemail > 100)
		return ydoc_fail(d, v, "setting '%s': more than 100 "
		    "addresses (use a mailing list)", n);

	snprintf(n, sizeof(n), "%s.webhook", base);
	v = ydoc_get(d, node, "webhook");
	if ((r = ydoc_str(d, v, n, &c->webhook)) != 0)
		return r;
	if (c->webhook != NULL &&
	    (why = url_check(c->webhook, web_schemes, 2, 0)) != NULL)
		return ydoc_fail(d, v, "setting '%s': %s (expected http:// or "
		    "https://)", n, why);
	snprintf(n, sizeof(n), "%s.webhook_secret", base);
	v = ydoc_get(d, node, "webhook_secret");
	if ((r = ydoc_str(d, v, n, &c->webhook_secret)) != 0)
		return r;
	if (c->webhook_secret != NULL && c->webhook == NULL)
		return ydoc_fail(d, v, "setting '%s': no webhook to sign", n);
	if (c->nemail == 0 && c->webhook == NULL)
		return ydoc_fail(d, node, "setting '%s': neither email nor "
		    "webhook: nothing to reach the contact by", base);

	snprintf(n, sizeof(n), "%s.lang", base);
	v = ydoc_get(d, node, "lang");
	if ((r = ydoc_str(d, v, n, &s)) != 0)
		return r;
	if (s != NULL) {
		if (strcmp(s, "en") == 0)
			c->lang = NOTIFY_LANG_EN;
		else if (strcmp(s, "ja") == 0)
			c->lang = NOTIFY_LANG_JA;
		else {
			free(s);
			return ydoc_fail(d, v, "setting '%s': expected en or "
			    "ja", n);
		}
		free(s);
	}
	return 0;
}

static int
parse_level(struct plan_ctx *x, yaml_node_t *v, const char *n,
    int (*fn)(const char *), const char *what, int *out)
{
	char *s = NULL;
	int r, l;

	if ((r = ydoc_str(x->d, v, n, &s)) != 0 || s == NULL)
		return r;
	l = fn(s);
	free(s);
	if (l < 0)
		return ydoc_fail(x->d, v, "setting '%s': expected %s", n,
		    what);
	*out = l;
	return 0;
}

static int
parse_route(struct plan_ctx *x, yaml_node_t *node, size_t idx)
{
	static const char *const keys[] = { "categories", "min_impact",
	    "min_severity", "roles", "contacts" };
	struct notify_route *rt = &x->p->routes[idx];
	struct ydoc *d = x->d;
	yaml_node_t *v, *e;
	char base[96], n[128], **names = NULL;
	const char *hint;
	size_t i, nn = 0, j, k;
	const char *cand[PLAN_MAX_CONTACTS];
	int r, role;

	snprintf(base, sizeof(base), "%s.routes[%zu]", x->name, idx);
	if ((r = ydoc_check_map(d, node, base, keys, 5)) != 0)
		return r;
	rt->line = ydoc_line(node);

	snprintf(n, sizeof(n), "%s.categories", base);
	if ((r = ydoc_strv(d, ydoc_get(d, node, "categories"), n,
	    &rt->categories, NULL)) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.min_impact", base);
	if ((r = parse_level(x, ydoc_get(d, node, "min_impact"), n,
	    inc_impact_parse, "internal, external or infrastructure",
	    &rt->min_impact)) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.min_severity", base);
	if ((r = parse_level(x, ydoc_get(d, node, "min_severity"), n,
	    inc_severity_parse, "low, medium, high or critical",
	    &rt->min_severity)) != 0)
		return r;

	v = ydoc_get(d, node, "roles");
	snprintf(n, sizeof(n), "%s.roles", base);
	if ((r = ydoc_strv(d, v, n, &names, &nn)) != 0)
		return r;
	for (i = 0; i < nn; i++) {
		e = ydoc_is_list(v) ? ydoc_node(d,
		    v->data.sequence.items.start[i]) : v;
		if ((role = notify_role_parse(names[i])) < 0) {
			hint = ydoc_nearest(names[i], strlen(names[i]),
			    role_names, NOTIFY_NROLES);
			snprintf(n, sizeof(n), "%s.roles[%zu]", base, i);
			ydoc_strv_free(names);
			if (hint != NULL)
				return ydoc_fail(d, e, "setting '%s': unknown "
				    "role (did you mean '%s'?)", n, hint);
			return ydoc_fail(d, e, "setting '%s': unknown role "
			    "(one of csirt, administrators, management, "
			    "legal, police, external-csirt)", n);
		}
		rt->roles |= 1u << role;
	}
	ydoc_strv_free(names);
	names = NULL;
	nn = 0;

	v = ydoc_get(d, node, "contacts");
	snprintf(n, sizeof(n), "%s.contacts", base);
	if ((r = ydoc_strv(d, v, n, &names, &nn)) != 0)
		return r;
	if (nn > 0 && (rt->contacts = calloc(nn, sizeof(size_t))) == NULL) {
		ydoc_strv_free(names);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < nn; i++) {
		e = ydoc_is_list(v) ? ydoc_node(d,
		    v->data.sequence.items.start[i]) : v;
		if ((r = notify_plan_contact(x->p, names[i])) < 0) {
			for (k = 0; k < x->p->ncontacts; k++)
				cand[k] = x->p->contacts[k].name;
			hint = ydoc_nearest(names[i], strlen(names[i]), cand,
			    x->p->ncontacts);
			snprintf(n, sizeof(n), "%s.contacts[%zu]", base, i);
			ydoc_strv_free(names);
			if (hint != NULL)
				return ydoc_fail(d, e, "setting '%s': no "
				    "contact of that name (did you mean "
				    "'%s'?)", n, hint);
			return ydoc_fail(d, e, "setting '%s': no contact of "
			    "that name", n);
		}
		for (j = 0; j < rt->ncontacts; j++)
			if (rt->contacts[j] == (size_t)r)
				break;
		if (j == rt->ncontacts)
			rt->contacts[rt->ncontacts++] = (size_t)r;
	}
	ydoc_strv_free(names);
	if (rt->roles == 0 && rt->ncontacts == 0)
		return ydoc_fail(d, node, "setting '%s': neither roles nor "
		    "contacts: the route reaches nobody", base);
	return 0;
}

static int
parse_plan(struct plan_ctx *x, yaml_node_t *node)
{
	static const char *const keys[] = { "from", "smtp", "console_url",
	    "attempts", "retry_delay", "retry_max", "timeout", "rate_limit",
	    "queue_size", "contacts", "routes" };
	static const char *const web_schemes[] = { "http", "https" };
	struct notify_plan *p = x->p;
	struct ydoc *d = x->d;
	yaml_node_t *v, *list;
	yaml_node_item_t *it;
	char n[128], *s = NULL;
	const char *why;
	size_t i, cnt;
	int r, qs = 256;

	if ((r = ydoc_check_map(d, node, x->name, keys, 11)) != 0)
		return r;

	snprintf(n, sizeof(n), "%s.from", x->name);
	v = ydoc_get(d, node, "from");
	if ((r = ydoc_str(d, v, n, &p->from)) != 0)
		return r;
	if (p->from != NULL) {
		r = parse_from(p->from, &p->from_name, &p->from_addr);
		if (r == MAMORI_ENOMEM)
			return r;
		if (r != 0)
			return ydoc_fail(d, v, "setting '%s': expected a mail "
			    "address such as 'mamori <csirt@example.org>'",
			    n);
	}
	if ((v = ydoc_get(d, node, "smtp")) != NULL &&
	    (r = parse_smtp(x, v)) != 0)
		return r;

	snprintf(n, sizeof(n), "%s.console_url", x->name);
	v = ydoc_get(d, node, "console_url");
	if ((r = ydoc_str(d, v, n, &p->console_url)) != 0)
		return r;
	if (p->console_url != NULL &&
	    (why = url_check(p->console_url, web_schemes, 2, 1)) != NULL)
		return ydoc_fail(d, v, "setting '%s': %s (expected http:// or "
		    "https://)", n, why);

	snprintf(n, sizeof(n), "%s.attempts", x->name);
	if ((r = ydoc_int(d, ydoc_get(d, node, "attempts"), n, 1, 100,
	    &p->attempts)) != 0)
		return r;
	snprintf(n, sizeof(n), "%s.retry_delay", x->name);
	v = ydoc_get(d, node, "retry_delay");
	if ((r = ydoc_duration(d, v, n, &p->retry_delay_ns)) != 0)
		return r;
	if (v != NULL && p->retry_delay_ns <= 0)
		return ydoc_fail(d, v, "setting '%s': must be longer than 0",
		    n);
	snprintf(n, sizeof(n), "%s.retry_max", x->name);
	v = ydoc_get(d, node, "retry_max");
	if ((r = ydoc_duration(d, v, n, &p->retry_max_ns)) != 0)
		return r;
	if (v == NULL && p->retry_max_ns < p->retry_delay_ns)
		p->retry_max_ns = p->retry_delay_ns;
	if (p->retry_max_ns < p->retry_delay_ns)
		return ydoc_fail(d, v, "setting '%s': shorter than "
		    "retry_delay", n);
	snprintf(n, sizeof(n), "%s.timeout", x->name);
	v = ydoc_get(d, node, "timeout");
	if ((r = ydoc_duration(d, v, n, &p->timeout_ns)) != 0)
		return r;
	if (p->timeout_ns < 100 * 1000000LL || p->timeout_ns > 3600 *
	    NS_PER_SEC)
		return ydoc_fail(d, v, "setting '%s': expected from 100ms to "
		    "1h", n);

	snprintf(n, sizeof(n), "%s.rate_limit", x->name);
	v = ydoc_get(d, node, "rate_limit");
	if ((r = ydoc_str(d, v, n, &s)) != 0)
		return r;
	if (s != NULL) {
		r = rate_parse(s, &p->rate_count, &p->rate_window_ns);
		free(s);
		if (r != 0)
			return ydoc_fail(d, v, "setting '%s': expected COUNT/"
			    "PERIOD such as 30/h or 10/15m, or none", n);
	}
	snprintf(n, sizeof(n), "%s.queue_size", x->name);
	if ((r = ydoc_int(d, ydoc_get(d, node, "queue_size"), n, 1, 65536,
	    &qs)) != 0)
		return r;
	p->queue_size = (size_t)qs;

	/* Contacts, then routes, which name contacts. */
	list = ydoc_get(d, node, "contacts");
	snprintf(n, sizeof(n), "%s.contacts", x->name);
	if (list != NULL && !ydoc_is_list(list))
		return ydoc_fail(d, list, "setting '%s': expected a list, got "
		    "%s", n, ydoc_kind(list));
	cnt = list != NULL ? (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start) : 0;
	if (cnt > PLAN_MAX_CONTACTS)
		return ydoc_fail(d, list, "setting '%s': more than %d", n,
		    PLAN_MAX_CONTACTS);
	if (cnt > 0 && (p->contacts = calloc(cnt, sizeof(*p->contacts))) ==
	    NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < cnt; i++) {
		it = list->data.sequence.items.start + i;
		p->ncontacts = i + 1;	/* released even if half-filled */
		if ((r = parse_contact(x, ydoc_node(d, *it), i)) != 0)
			return r;
		if (p->contacts[i].nemail > 0 && p->smtp_url == NULL)
			return ydoc_fail(d, ydoc_node(d, *it), "setting "
			    "'%s[%zu].email': no mail server: add %s.smtp.url",
			    n, i, x->name);
		if (p->contacts[i].nemail > 0 && p->from_addr == NULL)
			return ydoc_fail(d, ydoc_node(d, *it), "setting "
			    "'%s[%zu].email': no sender: add %s.from", n, i,
			    x->name);
	}

	list = ydoc_get(d, node, "routes");
	snprintf(n, sizeof(n), "%s.routes", x->name);
	if (list != NULL && !ydoc_is_list(list))
		return ydoc_fail(d, list, "setting '%s': expected a list, got "
		    "%s", n, ydoc_kind(list));
	cnt = list != NULL ? (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start) : 0;
	if (cnt > PLAN_MAX_ROUTES)
		return ydoc_fail(d, list, "setting '%s': more than %d", n,
		    PLAN_MAX_ROUTES);
	if (cnt > 0 && (p->routes = calloc(cnt, sizeof(*p->routes))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < cnt; i++) {
		it = list->data.sequence.items.start + i;
		p->nroutes = i + 1;
		if ((r = parse_route(x, ydoc_node(d, *it), i)) != 0)
			return r;
	}
	return 0;
}

int
notify_plan_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct notify_plan **out)
{
	struct plan_ctx x;
	struct notify_plan *p;
	int r;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MAMORI_ENOMEM;
	p->starttls = NOTIFY_STARTTLS_OPTIONAL;
	p->attempts = 5;
	p->retry_delay_ns = 30 * NS_PER_SEC;
	p->retry_max_ns = 3600 * NS_PER_SEC;
	p->timeout_ns = 30 * NS_PER_SEC;
	p->rate_count = 30;
	p->rate_window_ns = 3600 * NS_PER_SEC;
	p->queue_size = 256;
	x.d = d;
	x.name = name != NULL ? name : "notify";
	x.p = p;
	if (node == NULL || ydoc_is_null(node))
		r = ydoc_fail(d, node, "setting '%s': empty", x.name);
	else
		r = parse_plan(&x, node);
	if (r != 0) {
		notify_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

size_t
notify_route(const struct notify_plan *p, const char *category, int impact,
    int severity, unsigned char *chosen)
{
	const struct notify_route *rt;
	size_t i, j, n = 0;
	char **c;

	memset(chosen, 0, p->ncontacts);
	for (i = 0; i < p->nroutes; i++) {
		rt = &p->routes[i];
		if (rt->categories != NULL) {
			for (c = rt->categories; *c != NULL; c++)
				if (category != NULL &&
				    strcmp(*c, category) == 0)
					break;
			if (*c == NULL)
				continue;
		}
		if (impact < rt->min_impact || severity < rt->min_severity)
			continue;
		for (j = 0; j < p->ncontacts; j++)
			if (rt->roles & (1u << p->contacts[j].role))
				chosen[j] = 1;
		for (j = 0; j < rt->ncontacts; j++)
			chosen[rt->contacts[j]] = 1;
	}
	for (j = 0; j < p->ncontacts; j++)
		n += chosen[j];
	return n;
}

/*
 * GCRA: each notification moves the theoretical arrival time tat on by
 * the emission interval T = window/count; one may go while tat is at
 * most window - T ahead of now, which lets count go at once after a
 * quiet window and one per T after that.
 */
int
notify_rate_take(struct notify_rate *r, unsigned count, int64_t window_ns,
    int64_t now_ns, int64_t *wait_ns)
{
	int64_t t, tau, tat;

	if (wait_ns != NULL)
		*wait_ns = 0;
	if (count == 0 || window_ns <= 0)
		return 1;
	t = window_ns / (int64_t)count;
	tau = window_ns - t;
	tat = r->tat > now_ns ? r->tat : now_ns;
	if (tat - now_ns > tau) {
		if (wait_ns != NULL)
			*wait_ns = tat - now_ns - tau;
		return 0;
	}
	r->tat = tat + t;
	return 1;
}
