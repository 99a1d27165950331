/*
 * net-sig-parse.c - Suricata/Snort rule text to compiled signatures.
 *
 * The rule language is Suricata's (docs.suricata.io, "Rules Format",
 * "Payload Keywords", "Flow Keywords", "Thresholding Keywords"); the
 * subset accepted is listed in net-sig.h and docs/signatures.md.  Rule
 * files come from third parties (organisations load published rule
 * sets), so the text is untrusted: every field is bounded, nesting of
 * lists and variables is limited, errors quote the offending text with
 * non-printable bytes escaped, and a file with one bad rule is refused
 * whole with FILE:LINE and the reason.
 *
 * Workload: loading is rare (start-up, reload) and a few thousand rules
 * at most; the work that matters is done once here so that matching does
 * none: addresses become small trees, ports sorted ranges, contents
 * byte strings (lower case for nocase), pcre compiled with JIT, and the
 * matching mode of each rule (packet or stream) decided.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "net/net-sig-int.h"

/* ---------------------------------------------------------------------
 * Arena: everything a set holds but pcre codes, freed at once.
 */
struct sig_block {
	struct sig_block *next;
	size_t		 used, cap;
	max_align_t	 data[];
};

#define ARENA_BLOCK	(64 * 1024)

static void *
arena_alloc(struct sig_block **a, size_t n)
{
	struct sig_block *b = *a;
	unsigned char *p;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		if ((b = malloc(sizeof(*b) + cap)) == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = *a;
		*a = b;
	}
	p = (unsigned char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *
arena_strndup(struct sig_block **a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void
arena_free(struct sig_block *b)
{
	while (b != NULL) {
		struct sig_block *next = b->next;

		free(b);
		b = next;
	}
}

/* ---------------------------------------------------------------------
 * Variables.
 */
struct sig_var {
	char	*name;
	char	*value;
};

struct net_sig_vars {
	struct sig_var	*v;
	size_t		 n, cap;
};

/*
 * The defaults: Suricata's suricata.yaml address-groups and port-groups,
 * with HTTP_PORTS widened to the web ports mamori's users run (proxies
 * and application servers included).
 */
static const struct {
	const char *name, *value;
} default_vars[] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
	{ "HTTP_PORTS", "[80,81,591,3128,8000,8008,8080,8081,8088,8888]" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

#define NDEFAULT_VARS	(sizeof(default_vars) / sizeof(default_vars[0]))

static int
var_name_ok(const char *name)
{
	size_t n = 0;

	for (; name[n] != '\0'; n++)
		if (!isalnum((unsigned char)name[n]) && name[n] != '_')
			return 0;
	return n > 0 && n < 64;
}

struct net_sig_vars *
net_sig_vars_new(void)
{
	struct net_sig_vars *v;
	size_t i;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < NDEFAULT_VARS; i++)
		if (net_sig_vars_set(v, default_vars[i].name,
		    default_vars[i].value) != 0) {
			net_sig_vars_free(v);
			return NULL;
		}
	return v;
}

void
net_sig_vars_free(struct net_sig_vars *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	free(v);
}

int
net_sig_vars_set(struct net_sig_vars *v, const char *name, const char *value)
{
	char *nv;
	size_t i;

	if (v == NULL || name == NULL || value == NULL || !var_name_ok(name) ||
	    value[0] == '\0')
		return MAMORI_EINVAL;
	if ((nv = strdup(value)) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = nv;
			return 0;
		}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 32;
		struct sig_var *n = realloc(v->v, cap * sizeof(*n));

		if (n == NULL) {
			free(nv);
			return MAMORI_ENOMEM;
		}
		v->v = n;
		v->cap = cap;
	}
	if ((v->v[v->n].name = strdup(name)) == NULL) {
		free(nv);
		return MAMORI_ENOMEM;
	}
	v->v[v->n].value = nv;
	v->n++;
	return 0;
}

const char *
net_sig_vars_get(const struct net_sig_vars *v, const char *name)
{
	size_t i;

	if (v == NULL || name == NULL)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].name, name) == 0)
			return v->v[i].value;
	return NULL;
}

/* ---------------------------------------------------------------------
 * Classtypes: Suricata's classification.config (name, priority), each
 * with the mamori incident category it implies.
 */
static const struct {
	const char *name;
	int prio;
	const char *category;
} classtypes[] = {
	{ "not-suspicious", 3, "other" },
	{ "unknown", 3, "other" },
	{ "bad-unknown", 2, "other" },
	{ "attempted-recon", 2, "scan" },
	{ "successful-recon-limited", 2, "leak" },
	{ "successful-recon-largescale", 2, "leak" },
	{ "attempted-dos", 2, "dos" },
	{ "successful-dos", 2, "dos" },
	{ "attempted-user", 1, "attack" },
	{ "unsuccessful-user", 1, "attack" },
	{ "successful-user", 1, "intrusion" },
	{ "attempted-admin", 1, "attack" },
	{ "successful-admin", 1, "intrusion" },
	{ "rpc-portmap-decode", 2, "scan" },
	{ "shellcode-detect", 1, "attack" },
	{ "string-detect", 3, "other" },
	{ "suspicious-filename-detect", 2, "attack" },
	{ "suspicious-login", 2, "attack" },
	{ "system-call-detect", 2, "attack" },
	{ "tcp-connection", 4, "other" },
	{ "trojan-activity", 1, "backdoor" },
	{ "unusual-client-port-connection", 2, "other" },
	{ "network-scan", 3, "scan" },
	{ "denial-of-service", 2, "dos" },
	{ "non-standard-protocol", 2, "other" },
	{ "protocol-command-decode", 3, "other" },
	{ "web-application-activity", 2, "scan" },
	{ "web-application-attack", 1, "attack" },
	{ "misc-activity", 3, "other" },
	{ "misc-attack", 2, "attack" },
	{ "icmp-event", 3, "other" },
	{ "inappropriate-content", 1, "other" },
	{ "policy-violation", 1, "other" },
	{ "default-login-attempt", 2, "attack" },
	{ "targeted-activity", 1, "attack" },
	{ "exploit-kit", 1, "passive_attack" },
	{ "external-ip-check", 2, "other" },
	{ "domain-c2", 1, "backdoor" },
	{ "pup-activity", 2, "infection" },
	{ "credential-theft", 1, "leak" },
	{ "social-engineering", 2, "passive_attack" },
	{ "coin-mining", 2, "infection" },
	{ "command-and-control", 1, "backdoor" },
};

#define NCLASSTYPES	(sizeof(classtypes) / sizeof(classtypes[0]))

static int
classtype_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCLASSTYPES; i++)
		if (strcmp(classtypes[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
net_sig_classtype_category(const char *classtype)
{
	int i;

	if (classtype == NULL || (i = classtype_find(classtype)) < 0)
		return "other";
	return classtypes[i].category;
}

/* ---------------------------------------------------------------------
 * Parser state and errors.
 */
struct sp {
	const char	*file;		/* interned in the set's arena */
	int		 line;
	const struct net_sig_vars *vars;	/* NULL: the defaults */
	struct net_sigset *set;
	const char	*var;		/* variable being expanded, for errors */
	int		 budget;	/* nodes left for the current field */
	char		*err;
	size_t		 errlen;
};

static int
perr(struct sp *P, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct sp *P, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (P->var != NULL)
		mamori_seterr(P->err, P->errlen, "%s:%d: variable $%s: %s",
		    P->file, P->line, P->var, msg);
	else
		mamori_seterr(P->err, P->errlen, "%s:%d: %s", P->file, P->line,
		    msg);
	return MAMORI_ECONFIG;
}

/* s[0..n) for an error message: at most 60 bytes, non-printable bytes as
 * \xNN, into buf (at least 256 bytes). */
static const char *
shown(char *buf, size_t buflen, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

#define SHOW(s, n)	shown(showbuf, sizeof(showbuf), (s), (n))

static const char *
var_value(const struct sp *P, const char *name)
{
	size_t i;

	if (P->vars != NULL)
		return net_sig_vars_get(P->vars, name);
	for (i = 0; i < NDEFAULT_VARS; i++)
		if (strcmp(default_vars[i].name, name) == 0)
			return default_vars[i].value;
	return NULL;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/*
 * Splits the list body s[0..n) at top-level commas: calls fn for each
 * element.  Returns 0 or the first error.
 */
typedef int list_elem_fn(struct sp *P, const char *e, size_t n, void *arg);

static int
list_split(struct sp *P, const char *s, size_t n, list_elem_fn *fn, void *arg)
{
	size_t i, start = 0;
	int depth = 0, rc;
	char showbuf[256];

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] == '[')
			depth++;
		else if (i < n && s[i] == ']') {
			if (--depth < 0)
				return perr(P, "unbalanced ']' in '%s'",
				    SHOW(s, n));
		} else if (i == n || (s[i] == ',' && depth == 0)) {
			const char *e = s + start;
			size_t en = i - start;

			trim(&e, &en);
			if (en == 0)
				return perr(P, "empty element in list '%s'",
				    SHOW(s, n));
			if ((rc = fn(P, e, en, arg)) != 0)
				return rc;
			start = i + 1;
		}
	}
	if (depth != 0)
		return perr(P, "unbalanced '[' in '%s'", SHOW(s, n));
	return 0;
}

/* A variable reference s[0..n) ("$NAME"): its value, or an error. */
static int
var_lookup(struct sp *P, const char *s, size_t n, char *name, size_t namelen,
    const char **value)
{
	char showbuf[256];
	size_t i;

	if (n < 2 || n - 1 >= namelen)
		return perr(P, "bad variable '%s'", SHOW(s, n));
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return perr(P, "bad variable '%s'", SHOW(s, n));
	memcpy(name, s + 1, n - 1);
	name[n - 1] = '\0';
	if ((*value = var_value(P, name)) == NULL)
		return perr(P, "unknown variable '%s'", SHOW(s, n));
	return 0;
}

/* ---------------------------------------------------------------------
 * Addresses: any, A.B.C.D[/N], IPv6[/N], $VAR, [list], !negation.  In a
 * list, negated elements are taken out of the union of the others (of
 * everything when all are negated), as in Suricata.
 */
static int addr_parse(struct sp *P, const char *s, size_t n, int depth,
    struct sig_anode *out);

static int
cidr_parse(struct sp *P, const char *s, size_t n, struct sig_anode *a)
{
	char buf[64], showbuf[256], *slash;
	unsigned prefix, max, i;
	unsigned char bin[16];

	if (n >= sizeof(buf))
		return perr(P, "bad address '%s'", SHOW(s, n));
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, bin) != 1)
			return perr(P, "bad address '%s'", SHOW(s, n));
		a->family = 6;
		max = 128;
		memcpy(a->a, bin, 16);
	} else {
		if (inet_pton(AF_INET, buf, bin) != 1)
			return perr(P, "bad address '%s'", SHOW(s, n));
		a->family = 4;
		max = 32;
		memcpy(a->a, bin, 4);
	}
	prefix = max;
	if (slash != NULL) {
		const char *d = slash + 1;

		if (*d == '\0' || strlen(d) > 3)
			return perr(P, "bad prefix length in '%s'", SHOW(s, n));
		for (prefix = 0; *d != '\0'; d++) {
			if (!isdigit((unsigned char)*d))
				return perr(P, "bad prefix length in '%s'",
				    SHOW(s, n));
			prefix = prefix * 10 + (unsigned)(*d - '0');
		}
		if (prefix > max)
			return perr(P, "bad prefix length in '%s'", SHOW(s, n));
	}
	/* IPv4-mapped IPv6 is IPv4 in struct net_addr. */
	if (a->family == 6 && prefix >= 96) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0xff, 0xff };

		if (memcmp(a->a, mapped, 12) == 0) {
			memmove(a->a, a->a + 12, 4);
			memset(a->a + 4, 0, 12);
			a->family = 4;
			prefix -= 96;
			max = 32;
		}
	}
	a->kind = SIG_AN_CIDR;
	a->prefix = (uint8_t)prefix;
	for (i = prefix; i < max; i++)
		a->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

struct addr_list {
	struct sig_anode *kids;
	uint32_t	 i;
	int		 depth;
};

static int
addr_count(struct sp *P, const char *e, size_t n, void *arg)
{
	(void)P;
	(void)e;
	(void)n;
	(*(uint32_t *)arg)++;
	return 0;
}

static int
addr_elem(struct sp *P, const char *e, size_t n, void *arg)
{
	struct addr_list *l = arg;

	return addr_parse(P, e, n, l->depth, &l->kids[l->i++]);
}

static int
addr_parse(struct sp *P, const char *s, size_t n, int depth,
    struct sig_anode *out)
{
	char showbuf[256];
	int neg = 0, rc;

	trim(&s, &n);
	while (n > 0 && s[0] == '!') {
		neg = !neg;
		s++;
		n--;
		trim(&s, &n);
	}
	if (n == 0)
		return perr(P, "empty address");
	if (depth > SIG_MAX_NEST)
		return perr(P, "address nested too deeply (a variable loop?)");
	if (--P->budget < 0)
		return perr(P, "address too complex (more than %d elements)",
		    SIG_MAX_NODES);
	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		struct addr_list l;
		uint32_t cnt = 0;

		if (s[n - 1] != ']')
			return perr(P, "unbalanced '[' in '%s'", SHOW(s, n));
		if ((rc = list_split(P, s + 1, n - 2, addr_count, &cnt)) != 0)
			return rc;
		if ((l.kids = arena_alloc(&P->set->arena,
		    cnt * sizeof(*l.kids))) == NULL)
			return MAMORI_ENOMEM;
		l.i = 0;
		l.depth = depth + 1;
		if ((rc = list_split(P, s + 1, n - 2, addr_elem, &l)) != 0)
			return rc;
		out->kind = SIG_AN_LIST;
		out->n = cnt;
		out->kids = l.kids;
	} else if (s[0] == '$') {
		char name[64];
		const char *value, *saved = P->var;

		if ((rc = var_lookup(P, s, n, name, sizeof(name), &value)) != 0)
			return rc;
		/* A list of one element: the value, negation kept apart. */
		if ((out->kids = arena_alloc(&P->set->arena,
		    sizeof(*out->kids))) == NULL)
			return MAMORI_ENOMEM;
		P->var = name;		/* for errors, during the call */
		rc = addr_parse(P, value, strlen(value), depth + 1,
		    out->kids);
		P->var = saved;
		if (rc != 0)
			return rc;
		out->kind = SIG_AN_LIST;
		out->n = 1;
	} else if (n == 3 && strncasecmp(s, "any", 3) == 0) {
		if (neg)
			return perr(P, "'!any' matches no address");
		out->kind = SIG_AN_ANY;
	} else if ((rc = cidr_parse(P, s, n, out)) != 0)
		return rc;
	out->neg = (uint8_t)neg;
	return 0;
}

/* ---------------------------------------------------------------------
 * Ports: any, N, N:M, N:, :M, $VAR, [list], !negation; computed to a set
 * of ranges with the same list rule as addresses.
 */
struct rset {
	uint16_t	(*r)[2];
	uint32_t	 n, cap;
};

static void
rs_free(struct rset *s)
{
	free(s->r);
	s->r = NULL;
	s->n = s->cap = 0;
}

static int
rs_add(struct rset *s, unsigned lo, unsigned hi)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 8;
		uint16_t (*r)[2] = realloc(s->r, cap * sizeof(*r));

		if (r == NULL)
			return MAMORI_ENOMEM;
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n][0] = (uint16_t)lo;
	s->r[s->n][1] = (uint16_t)hi;
	s->n++;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const uint16_t *x = a, *y = b;

	return (int)x[0] - (int)y[0];
}

/* Sorts and merges s's ranges. */
static void
rs_norm(struct rset *s)
{
	uint32_t i, o = 0;

	if (s->n == 0)
		return;
	qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	for (i = 1; i < s->n; i++) {
		if ((unsigned)s->r[i][0] <= (unsigned)s->r[o][1] + 1) {
			if (s->r[i][1] > s->r[o][1])
				s->r[o][1] = s->r[i][1];
		} else {
			o++;
			s->r[o][0] = s->r[i][0];
			s->r[o][1] = s->r[i][1];
		}
	}
	s->n = o + 1;
}

/* a |= b (both normalised; a stays so). */
static int
rs_union(struct rset *a, const struct rset *b)
{
	uint32_t i;
	int rc;

	for (i = 0; i < b->n; i++)
		if ((rc = rs_add(a, b->r[i][0], b->r[i][1])) != 0)
			return rc;
	rs_norm(a);
	return 0;
}

/* *out = the complement of s (normalised). */
static int
rs_complement(const struct rset *s, struct rset *out)
{
	unsigned next = 0;
	uint32_t i;
	int rc;

	out->n = 0;
	for (i = 0; i < s->n; i++) {
		if (s->r[i][0] > next &&
		    (rc = rs_add(out, next, s->r[i][0] - 1u)) != 0)
			return rc;
		next = (unsigned)s->r[i][1] + 1;
	}
	if (next <= 65535 && (rc = rs_add(out, next, 65535)) != 0)
		return rc;
	return 0;
}

/* a &= ~b */
static int
rs_subtract(struct rset *a, const struct rset *b)
{
	struct rset nb = { NULL, 0, 0 }, r = { NULL, 0, 0 };
	uint32_t i = 0, j = 0;
	int rc;

	if (b->n == 0)
		return 0;
	if ((rc = rs_complement(b, &nb)) != 0)
		goto out;
	while (i < a->n && j < nb.n) {
		unsigned lo = a->r[i][0] > nb.r[j][0] ? a->r[i][0] : nb.r[j][0];
		unsigned hi = a->r[i][1] < nb.r[j][1] ? a->r[i][1] : nb.r[j][1];

		if (lo <= hi && (rc = rs_add(&r, lo, hi)) != 0)
			goto out;
		if (a->r[i][1] < nb.r[j][1])
			i++;
		else
			j++;
	}
	free(a->r);
	*a = r;
	r.r = NULL;
out:
	rs_free(&nb);
	rs_free(&r);
	return rc;
}

static int
port_num(struct sp *P, const char *s, size_t n, const char *whole,
    size_t wn, unsigned *v)
{
	char showbuf[256];
	size_t i;

	if (n == 0 || n > 5)
		return perr(P, "bad port '%s'", SHOW(whole, wn));
	for (*v = 0, i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return perr(P, "bad port '%s'", SHOW(whole, wn));
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	if (*v > 65535)
		return perr(P, "port out of range in '%s'", SHOW(whole, wn));
	return 0;
}

static int port_parse_neg(struct sp *P, const char *s, size_t n, int depth,
    struct rset *out, int *negp);

struct port_list {
	struct rset	 pos, neg;
	int		 haspos;
	int		 depth;
};

static int
port_elem(struct sp *P, const char *e, size_t n, void *arg)
{
	struct port_list *l = arg;
	struct rset s = { NULL, 0, 0 };
	int neg, rc;

	if ((rc = port_parse_neg(P, e, n, l->depth, &s, &neg)) == 0) {
		if (neg)
			rc = rs_union(&l->neg, &s);
		else {
			l->haspos = 1;
			rc = rs_union(&l->pos, &s);
		}
	}
	rs_free(&s);
	return rc;
}

/* The set s[0..n) denotes, without its leading negation, which is
 * returned in *negp.  out is empty on entry. */
static int
port_parse_neg(struct sp *P, const char *s, size_t n, int depth,
    struct rset *out, int *negp)
{
	char showbuf[256];
	const char *colon;
	int rc;

	*negp = 0;
	trim(&s, &n);
	while (n > 0 && s[0] == '!') {
		*negp = !*negp;
		s++;
		n--;
		trim(&s, &n);
	}
	if (n == 0)
		return perr(P, "empty port");
	if (depth > SIG_MAX_NEST)
		return perr(P, "port nested too deeply (a variable loop?)");
	if (--P->budget < 0)
		return perr(P, "port too complex (more than %d elements)",
		    SIG_MAX_NODES);
	if (s[0] == '[') {
		struct port_list l;

		if (s[n - 1] != ']')
			return perr(P, "unbalanced '[' in '%s'", SHOW(s, n));
		memset(&l, 0, sizeof(l));
		l.depth = depth + 1;
		rc = list_split(P, s + 1, n - 2, port_elem, &l);
		if (rc == 0) {
			if (l.haspos)
				*out = l.pos;
			else {
				rs_free(&l.pos);
				rc = rs_add(out, 0, 65535);
			}
			l.pos.r = NULL;
			if (rc == 0)
				rc = rs_subtract(out, &l.neg);
		}
		rs_free(&l.pos);
		rs_free(&l.neg);
		return rc;
	}
	if (s[0] == '$') {
		char name[64];
		const char *value, *saved = P->var;
		int neg2;

		if ((rc = var_lookup(P, s, n, name, sizeof(name), &value)) != 0)
			return rc;
		P->var = name;		/* for errors, during the call */
		rc = port_parse_neg(P, value, strlen(value), depth + 1, out,
		    &neg2);
		P->var = saved;
		if (rc == 0 && neg2) {
			struct rset c = { NULL, 0, 0 };

			if ((rc = rs_complement(out, &c)) == 0) {
				rs_free(out);
				*out = c;
			} else
				rs_free(&c);
		}
		return rc;
	}
	if (n == 3 && strncasecmp(s, "any", 3) == 0)
		return rs_add(out, 0, 65535);
	if ((colon = memchr(s, ':', n)) != NULL) {
		unsigned lo = 0, hi = 65535;
		size_t ln = (size_t)(colon - s), hn = n - ln - 1;

		if (ln == 0 && hn == 0)
			return perr(P, "bad port range '%s'", SHOW(s, n));
		if (ln > 0 && (rc = port_num(P, s, ln, s, n, &lo)) != 0)
			return rc;
		if (hn > 0 && (rc = port_num(P, colon + 1, hn, s, n, &hi)) != 0)
			return rc;
		if (lo > hi)
			return perr(P, "bad port range '%s' (low above high)",
			    SHOW(s, n));
		return rs_add(out, lo, hi);
	} else {
		unsigned v;

		if ((rc = port_num(P, s, n, s, n, &v)) != 0)
			return rc;
		return rs_add(out, v, v);
	}
}

/* Parses port field s[0..n) to *out (NULL for any) in the arena. */
static int
port_field(struct sp *P, const char *s, size_t n, struct sig_ports **out)
{
	struct rset r = { NULL, 0, 0 };
	char showbuf[256];
	int neg, rc;

	*out = NULL;
	P->budget = SIG_MAX_NODES;
	if ((rc = port_parse_neg(P, s, n, 0, &r, &neg)) != 0)
		goto out;
	rs_norm(&r);
	if (neg) {
		struct rset c = { NULL, 0, 0 };

		if ((rc = rs_complement(&r, &c)) != 0) {
			rs_free(&c);
			goto out;
		}
		rs_free(&r);
		r = c;
	}
	if (r.n == 0) {
		rc = perr(P, "port '%s' matches no port", SHOW(s, n));
		goto out;
	}
	if (r.n == 1 && r.r[0][0] == 0 && r.r[0][1] == 65535)
		goto out;	/* any */
	if ((*out = arena_alloc(&P->set->arena, sizeof(**out))) == NULL ||
	    ((*out)->r = arena_alloc(&P->set->arena,
	    r.n * sizeof(*r.r))) == NULL) {
		rc = MAMORI_ENOMEM;
		goto out;
	}
	memcpy((*out)->r, r.r, r.n * sizeof(*r.r));
	(*out)->n = r.n;
out:
	rs_free(&r);
	return rc;
}

int
sig_ports_has(const struct sig_ports *ps, uint16_t port)
{
	uint32_t lo = 0, hi;

	if (ps == NULL)
		return 1;
	hi = ps->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (port < ps->r[mid][0])
			hi = mid;
		else if (port > ps->r[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int
addr_field(struct sp *P, const char *s, size_t n, struct sig_anode **out)
{
	struct sig_anode *a;
	int rc;

	*out = NULL;
	P->budget = SIG_MAX_NODES;
	if ((a = arena_alloc(&P->set->arena, sizeof(*a))) == NULL)
		return MAMORI_ENOMEM;
	if ((rc = addr_parse(P, s, n, 0, a)) != 0)
		return rc;
	if (a->kind != SIG_AN_ANY || a->neg)
		*out = a;
	return 0;
}

/* ---------------------------------------------------------------------
 * Option values.
 */

/* A decimal number (no sign) into *v, at most max. */
static int
parse_uint(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/* A number in Suricata's integer form: decimal or 0x hex. */
static int
parse_num(const char *s, size_t n, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	size_t i = 0;
	int hex = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		hex = 1;
		i = 2;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		int d;

		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (hex && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return -1;
		x = x * (hex ? 16 : 10) + (uint64_t)d;
		if (x > max)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/*
 * dsize, itype, icode: N, =N, !N, !=N, <N, <=N, >N, >=N, N-M and N<>M
 * (exclusive ranges), !N-M.  Comparisons that can never hold are
 * refused.
 */
static int
parse_intform(struct sp *P, const char *kw, const char *v, uint32_t max,
    struct sig_num *out)
{
	char showbuf[256];
	const char *s = v, *sep;
	size_t n = strlen(v);
	int neg = 0;

	trim(&s, &n);
	if (out->set)
		return perr(P, "'%s' given twice", kw);
	memset(out, 0, sizeof(*out));
	out->set = 1;
	if (n > 0 && s[0] == '!') {
		neg = 1;
		s++;
		n--;
		if (n > 0 && s[0] == '=') {
			s++;
			n--;
		}
		trim(&s, &n);
	}
	if ((sep = (n >= 4 ? strstr(s, "<>") : NULL)) != NULL &&
	    sep < s + n && sep > s) {
		const char *a = s, *b = sep + 2;
		size_t an = (size_t)(sep - s), bn = n - an - 2;

		trim(&a, &an);
		trim(&b, &bn);
		if (parse_num(a, an, max, &out->a) != 0 ||
		    parse_num(b, bn, max, &out->b) != 0)
			goto bad;
		out->op = neg ? SIG_NUM_NRANGE : SIG_NUM_RANGE;
	} else if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '=')) {
		char c = s[0];
		int eq = n > 1 && s[1] == '=' && c != '=';

		if (neg)
			goto bad;
		s += 1 + eq;
		n -= 1 + (size_t)eq;
		trim(&s, &n);
		if (parse_num(s, n, max, &out->a) != 0)
			goto bad;
		out->op = c == '=' ? SIG_NUM_EQ : c == '<' ?
		    (eq ? SIG_NUM_LE : SIG_NUM_LT) : (eq ? SIG_NUM_GE :
		    SIG_NUM_GT);
	} else if (n > 0 && (sep = memchr(s + 1, '-', n - 1)) != NULL) {
		const char *a = s, *b = sep + 1;
		size_t an = (size_t)(sep - s), bn = n - an - 1;

		trim(&a, &an);
		trim(&b, &bn);
		if (parse_num(a, an, max, &out->a) != 0 ||
		    parse_num(b, bn, max, &out->b) != 0)
			goto bad;
		out->op = neg ? SIG_NUM_NRANGE : SIG_NUM_RANGE;
	} else {
		if (parse_num(s, n, max, &out->a) != 0)
			goto bad;
		out->op = neg ? SIG_NUM_NE : SIG_NUM_EQ;
	}
	/* The range excludes its ends: a<>a+1 holds no value. */
	if ((out->op == SIG_NUM_RANGE && out->b <= out->a + 1) ||
	    (out->op == SIG_NUM_NRANGE && out->b <= out->a))
		return perr(P, "%s: empty range '%s'", kw, SHOW(v, strlen(v)));
	if ((out->op == SIG_NUM_LT && out->a == 0) ||
	    (out->op == SIG_NUM_GT && out->a == max))
		return perr(P, "%s: '%s' can never match", kw,
		    SHOW(v, strlen(v)));
	return 0;
bad:
	return perr(P, "%s: bad value '%s'", kw, SHOW(v, strlen(v)));
}

/* A quoted value "..." (a leading '!' allowed and reported when negp is
 * not NULL): the inside, as written, in a new arena string. */
static int
parse_quoted(struct sp *P, const char *kw, const char *v, int *negp,
    char **out, size_t *outlen)
{
	char showbuf[256];
	const char *s = v;
	size_t n = strlen(v);

	if (negp != NULL) {
		*negp = 0;
		if (n > 0 && s[0] == '!') {
			*negp = 1;
			s++;
			n--;
			trim(&s, &n);
		}
	}
	if (n < 2 || s[0] != '"' || s[n - 1] != '"' ||
	    (n >= 3 && s[n - 2] == '\\' && (n < 4 || s[n - 3] != '\\')))
		return perr(P, "%s: expected a quoted string, got '%s'", kw,
		    SHOW(v, strlen(v)));
	if ((*out = arena_strndup(&P->set->arena, s + 1, n - 2)) == NULL)
		return MAMORI_ENOMEM;
	*outlen = n - 2;
	return 0;
}

/* msg text: \" \\ \; \: unescaped, the rest kept. */
static void
unescape_msg(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] != '\0' && strchr("\"\\;:", s[1])) {
			s++;
		}
		*o++ = *s;
	}
	*o = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Content text (inside the quotes) to bytes: |hex| runs and \" \\ \;
 * \: \| escapes.  Writes at most SIG_MAX_CONTENT bytes to out. */
static int
content_bytes(struct sp *P, const char *s, size_t n, uint8_t *out,
    uint32_t *outlen)
{
	char showbuf[256];
	size_t i;
	uint32_t o = 0;
	int hex = 0, hi = -1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (hex) {
			int h;

			if (c == '|') {
				if (hi >= 0)
					return perr(P, "content: odd number of "
					    "hex digits in '%s'", SHOW(s, n));
				hex = 0;
				continue;
			}
			if (c == ' ' || c == '\t')
				continue;
			if ((h = hexval(c)) < 0)
				return perr(P, "content: bad hex digit '%c' in "
				    "'%s'", isprint(c) ? c : '?', SHOW(s, n));
			if (hi < 0) {
				hi = h;
				continue;
			}
			c = (unsigned char)(hi << 4 | h);
			hi = -1;
		} else if (c == '|') {
			hex = 1;
			continue;
		} else if (c == '\\') {
			if (i + 1 == n || strchr("\"\\;:|", s[i + 1]) == NULL)
				return perr(P, "content: bad escape in '%s'",
				    SHOW(s, n));
			c = (unsigned char)s[++i];
		} else if (c == '"')
			return perr(P, "content: unescaped '\"' in '%s'",
			    SHOW(s, n));
		if (o == SIG_MAX_CONTENT)
			return perr(P, "content longer than %d bytes",
			    SIG_MAX_CONTENT);
		out[o++] = c;
	}
	if (hex)
		return perr(P, "content: unterminated '|' in '%s'", SHOW(s, n));
	if (o == 0)
		return perr(P, "content is empty");
	*outlen = o;
	return 0;
}

/* ---------------------------------------------------------------------
 * One rule.
 */
struct rule_build {
	struct sig_rule	 r;
	struct sig_elem	 el[SIG_MAX_ELEMS];
	uint32_t	 nel;
	int		 have_sid, have_prio, have_class, have_msg;
	int		 have_rev, have_gid, have_flow;
	const char	*meta_category;
};

static void
build_release(struct rule_build *b)
{
	uint32_t i;

	for (i = 0; i < b->nel; i++)
		if (b->el[i].re != NULL) {
			pcre2_code_free(b->el[i].re);
			b->el[i].re = NULL;
		}
	b->nel = 0;
}

/* Keywords of Suricata we know but do not do: refused with a pointer to
 * the documentation rather than as unknown. */
static const char *const unsupported_kw[] = {
	"uricontent", "urilen", "http_uri", "http_raw_uri", "http_header",
	"http_raw_header", "http_method", "http_cookie", "http_user_agent",
	"http_client_body", "http_server_body", "http_stat_code",
	"http_stat_msg", "http_host", "http_raw_host", "http_request_line",
	"http_response_line", "http_accept", "http_referer", "file_data",
	"pkt_data", "byte_test", "byte_jump", "byte_extract", "byte_math",
	"isdataat", "flowbits", "flowint", "xbits", "hostbits",
	"stream_size", "app-layer-protocol", "app-layer-event", "dns_query",
	"tls_sni", "tls_cert_subject", "tls_cert_issuer", "ssl_state",
	"ssl_version", "ja3_hash", "ja3s_hash", "ttl", "tos", "id", "ipopts",
	"fragbits", "fragoffset", "seq", "ack", "window", "sameip",
	"ip_proto", "icmp_id", "icmp_seq", "startswith", "endswith", "bsize",
	"tag", "target", "noalert", "replace", "base64_decode",
	"base64_data", "lua", "luajit", "dataset", "datarep", "asn1", "rpc",
	"ftpbounce", "dce_iface", "dce_opnum", "dce_stub_data", "iprep",
	"geoip", "filestore", "filemagic", "filename", "fileext", "filemd5",
	"filesha1", "filesha256", "filesize", "prefilter", "requires",
	"xor", "to_lowercase", "url_decode", "strip_whitespace", "dotprefix",
	"pcrexform", "bypass", "config", "nocase_all", "stream_size",
	"ipv4-csum", "tcpv4-csum", "udpv4-csum", "icmpv4-csum", "decode-event",
	"stream-event", "engine-event", "ssh_proto", "ssh.proto",
	"ssh_software", "krb5_cname", "sip_method", "snmp.community",
	"entropy", "absent", "flow.age", "flow.pkts", "flow.bytes",
	"transform", "ip.dst", "ip.src", NULL,
};

static int
is_unsupported(const char *kw)
{
	size_t i;

	/* Sticky buffers are dotted names (http.uri, dns.query, ...). */
	if (strchr(kw, '.') != NULL)
		return 1;
	for (i = 0; unsupported_kw[i] != NULL; i++)
		if (strcasecmp(unsupported_kw[i], kw) == 0)
			return 1;
	return 0;
}

static struct sig_elem *
last_content(struct rule_build *b)
{
	if (b->nel == 0 || b->el[b->nel - 1].kind != SIG_EL_CONTENT)
		return NULL;
	return &b->el[b->nel - 1];
}

static int
opt_content(struct sp *P, struct rule_build *b, const char *v)
{
	uint8_t bytes[SIG_MAX_CONTENT];
	struct sig_elem *e;
	char *text;
	size_t tlen;
	uint32_t len;
	int neg, rc;

	if (b->nel == SIG_MAX_ELEMS)
		return perr(P, "more than %d content and pcre options",
		    SIG_MAX_ELEMS);
	if ((rc = parse_quoted(P, "content", v, &neg, &text, &tlen)) != 0)
		return rc;
	if ((rc = content_bytes(P, text, tlen, bytes, &len)) != 0)
		return rc;
	e = &b->el[b->nel];
	memset(e, 0, sizeof(*e));
	e->kind = SIG_EL_CONTENT;
	e->neg = (uint8_t)neg;
	if ((e->pat = arena_alloc(&P->set->arena, len)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(e->pat, bytes, len);
	e->len = len;
	b->nel++;
	return 0;
}

static int
opt_modifier(struct sp *P, struct rule_build *b, const char *kw,
    const char *v)
{
	char showbuf[256];
	struct sig_elem *e = last_content(b);
	uint32_t u;

	if (e == NULL)
		return perr(P, "'%s' needs a content before it", kw);
	if (strcasecmp(kw, "nocase") == 0) {
		uint32_t i;

		if (v != NULL)
			return perr(P, "'nocase' takes no value");
		if (e->nocase)
			return perr(P, "'nocase' given twice");
		e->nocase = 1;
		for (i = 0; i < e->len; i++)
			e->pat[i] = (uint8_t)tolower(e->pat[i]);
		return 0;
	}
	if (strcasecmp(kw, "rawbytes") == 0)
		return v == NULL ? 0 : perr(P, "'rawbytes' takes no value");
	if (strcasecmp(kw, "fast_pattern") == 0) {
		/* fast_pattern:only and the chop form N,M are taken as
		 * plain fast_pattern: the whole content is the literal. */
		if (v != NULL && strcmp(v, "only") != 0) {
			uint32_t a, c;
			const char *comma = strchr(v, ',');
			char tmp[32];

			if (comma == NULL || (size_t)(comma - v) >= sizeof(tmp))
				return perr(P, "fast_pattern: bad value '%s'",
				    SHOW(v, strlen(v)));
			memcpy(tmp, v, (size_t)(comma - v));
			tmp[comma - v] = '\0';
			if (parse_uint(tmp, 65535, &a) != 0 ||
			    parse_uint(comma + 1, 65535, &c) != 0)
				return perr(P, "fast_pattern: bad value '%s'",
				    SHOW(v, strlen(v)));
		}
		if (e->neg)
			return perr(P, "fast_pattern on a negated content");
		e->fast = 1;
		return 0;
	}
	if (v == NULL)
		return perr(P, "'%s' needs a value", kw);
	if (!isdigit((unsigned char)v[0]) && v[0] != '-')
		return perr(P, "%s: '%s' is not a number (byte_extract "
		    "variables are not supported)", kw, SHOW(v, strlen(v)));
	if (strcasecmp(kw, "distance") == 0) {
		int neg = v[0] == '-';

		if (e->has_distance)
			return perr(P, "'distance' given twice");
		if (parse_uint(v + neg, 65535, &u) != 0)
			return perr(P, "distance: bad value '%s'",
			    SHOW(v, strlen(v)));
		e->distance = neg ? -(int32_t)u : (int32_t)u;
		e->has_distance = 1;
		e->relative = 1;
		return 0;
	}
	if (parse_uint(v, 65535, &u) != 0)
		return perr(P, "%s: bad value '%s'", kw, SHOW(v, strlen(v)));
	if (strcasecmp(kw, "offset") == 0) {
		if (e->has_offset)
			return perr(P, "'offset' given twice");
		e->offset = u;
		e->has_offset = 1;
	} else if (strcasecmp(kw, "depth") == 0) {
		if (e->has_depth)
			return perr(P, "'depth' given twice");
		if (u < e->len)
			return perr(P, "depth %u is less than the content's "
			    "length %u", u, e->len);
		e->depth = u;
		e->has_depth = 1;
	} else {	/* within */
		if (e->has_within)
			return perr(P, "'within' given twice");
		if (u < e->len)
			return perr(P, "within %u is less than the content's "
			    "length %u", u, e->len);
		e->within = u;
		e->has_within = 1;
		e->relative = 1;
	}
	return 0;
}

static int
opt_pcre(struct sp *P, struct rule_build *b, const char *v)
{
	char showbuf[256], msg[256];
	struct sig_elem *e;
	char *text, *last, *f;
	size_t tlen;
	uint32_t opts = 0;
	int neg, rc, ec, rel = 0;
	PCRE2_SIZE eoff;
	pcre2_code *re;

	if (b->nel == SIG_MAX_ELEMS)
		return perr(P, "more than %d content and pcre options",
		    SIG_MAX_ELEMS);
	if ((rc = parse_quoted(P, "pcre", v, &neg, &text, &tlen)) != 0)
		return rc;
	if (tlen < 2 || text[0] != '/' || (last = strrchr(text, '/')) == text)
		return perr(P, "pcre: expected \"/pattern/flags\", got '%s'",
		    SHOW(v, strlen(v)));
	if (last - text - 1 > SIG_MAX_PCRE)
		return perr(P, "pcre longer than %d bytes", SIG_MAX_PCRE);
	for (f = last + 1; *f != '\0'; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': rel = 1; break;
		case 'B': break;	/* rawbytes: all we have */
		case 'U': case 'I': case 'P': case 'Q': case 'H': case 'D':
		case 'M': case 'C': case 'K': case 'S': case 'Y': case 'V':
		case 'W': case 'Z':
			return perr(P, "pcre flag '%c' (an HTTP buffer) is not "
			    "supported", *f);
		default:
			return perr(P, "pcre: unknown flag '%s'",
			    SHOW(f, 1));
		}
	}
	*last = '\0';
	re = pcre2_compile((PCRE2_SPTR)(text + 1), (PCRE2_SIZE)(last - text - 1),
	    opts, &ec, &eoff, NULL);
	if (re == NULL) {
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
		return perr(P, "pcre: %s at offset %zu in '%s'", msg,
		    (size_t)eoff, SHOW(v, strlen(v)));
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	e = &b->el[b->nel++];
	memset(e, 0, sizeof(*e));
	e->kind = SIG_EL_PCRE;
	e->neg = (uint8_t)neg;
	e->relative = (uint8_t)rel;
	e->re = re;
	e->anchored = (opts & PCRE2_ANCHORED) != 0 ||
	    strncmp(text + 1, "\\A", 2) == 0 ||
	    (text[1] == '^' && !(opts & PCRE2_MULTILINE));
	return 0;
}

static int
opt_flow(struct sp *P, struct rule_build *b, const char *v)
{
	char showbuf[256], word[32];
	const char *s = v;

	if (b->have_flow)
		return perr(P, "'flow' given twice");
	b->have_flow = 1;
	while (*s != '\0') {
		const char *e = strchr(s, ',');
		const char *w = s;
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
		uint8_t bit;

		s = e != NULL ? e + 1 : s + n;
		trim(&w, &n);
		if (n == 0 || n >= sizeof(word))
			return perr(P, "flow: bad value '%s'",
			    SHOW(v, strlen(v)));
		memcpy(word, w, n);
		word[n] = '\0';
		if (strcmp(word, "to_server") == 0 ||
		    strcmp(word, "from_client") == 0)
			bit = SIG_FLOW_TO_SERVER;
		else if (strcmp(word, "to_client") == 0 ||
		    strcmp(word, "from_server") == 0)
			bit = SIG_FLOW_TO_CLIENT;
		else if (strcmp(word, "established") == 0)
			bit = SIG_FLOW_ESTABLISHED;
		else if (strcmp(word, "not_established") == 0)
			bit = SIG_FLOW_NOT_EST;
		else if (strcmp(word, "stateless") == 0)
			bit = SIG_FLOW_STATELESS;
		else if (strcmp(word, "only_stream") == 0)
			bit = SIG_FLOW_ONLY_STREAM;
		else if (strcmp(word, "no_stream") == 0)
			bit = SIG_FLOW_NO_STREAM;
		else if (strcmp(word, "only_frag") == 0 ||
		    strcmp(word, "no_frag") == 0)
			return perr(P, "flow: '%s' is not supported", word);
		else
			return perr(P, "flow: unknown option '%s'",
			    SHOW(word, n));
		b->r.flow |= bit;
	}
	if ((b->r.flow & SIG_FLOW_TO_SERVER) && (b->r.flow & SIG_FLOW_TO_CLIENT))
		return perr(P, "flow: to_server and to_client together");
	if ((b->r.flow & SIG_FLOW_ESTABLISHED) && (b->r.flow & SIG_FLOW_NOT_EST))
		return perr(P, "flow: established and not_established "
		    "together");
	if ((b->r.flow & SIG_FLOW_ONLY_STREAM) && (b->r.flow & SIG_FLOW_NO_STREAM))
		return perr(P, "flow: only_stream and no_stream together");
	if ((b->r.flow & SIG_FLOW_STATELESS) &&
	    (b->r.flow & (SIG_FLOW_ESTABLISHED | SIG_FLOW_NOT_EST)))
		return perr(P, "flow: stateless with an established test");
	return 0;
}

static int
flag_bit(int c)
{
	switch (c) {
	case 'F': case 'f': return NET_TH_FIN;
	case 'S': case 's': return NET_TH_SYN;
	case 'R': case 'r': return NET_TH_RST;
	case 'P': case 'p': return NET_TH_PUSH;
	case 'A': case 'a': return NET_TH_ACK;
	case 'U': case 'u': return NET_TH_URG;
	case 'C': case 'c': case '1': return NET_TH_CWR;
	case 'E': case 'e': case '2': return NET_TH_ECE;
	default: return -1;
	}
}

/* flags: [modifier]FLAGS[modifier][,IGNORED] (Suricata detect-tcp-flags;
 * the modifier may also follow, as older Snort rules write "SA+"). */
static int
opt_flags(struct sp *P, struct rule_build *b, const char *v)
{
	char showbuf[256];
	const char *s = v, *comma = strchr(v, ',');
	size_t n = comma != NULL ? (size_t)(comma - v) : strlen(v);
	int mod = -1, found = 0, zero = 0;
	uint8_t fl = 0, ign = 0;

	if (b->r.has_flags)
		return perr(P, "'flags' given twice");
	trim(&s, &n);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], bit;

		if (c == '+' || c == '*' || c == '!') {
			if (mod >= 0)
				goto bad;
			mod = c == '+' ? SIG_FLAGS_PLUS : c == '*' ?
			    SIG_FLAGS_ANY : SIG_FLAGS_NOT;
			continue;
		}
		if (c == '0') {
			zero = 1;
			found++;
			continue;
		}
		if ((bit = flag_bit(c)) < 0)
			goto bad;
		fl |= (uint8_t)bit;
		found++;
	}
	if (found == 0 || (zero && fl != 0))
		goto bad;
	if (comma != NULL) {
		const char *m = comma + 1;
		size_t mn = strlen(m);

		trim(&m, &mn);
		if (mn == 0)
			goto bad;
		for (size_t i = 0; i < mn; i++) {
			int bit = flag_bit((unsigned char)m[i]);

			if (bit < 0)
				goto bad;
			ign |= (uint8_t)bit;
		}
	}
	b->r.has_flags = 1;
	b->r.flags = fl;
	b->r.flags_mod = (uint8_t)(mod < 0 ? SIG_FLAGS_EXACT : mod);
	b->r.flags_mask = (uint8_t)~ign;
	return 0;
bad:
	return perr(P, "flags: bad value '%s'", SHOW(v, strlen(v)));
}

/* threshold / detection_filter: comma-separated "key value" pairs. */
static int
opt_threshold(struct sp *P, struct rule_build *b, const char *kw,
    const char *v)
{
	char showbuf[256], key[16], val[32];
	const char *s = v;
	int detection = strcasecmp(kw, "detection_filter") == 0;
	int have_type = detection, have_track = 0, have_count = 0;
	int have_seconds = 0;
	struct sig_thr t;

	if (b->r.thr.set)
		return perr(P, "only one threshold or detection_filter per "
		    "rule");
	memset(&t, 0, sizeof(t));
	t.set = 1;
	t.type = SIG_THR_DETECTION;
	while (*s != '\0') {
		const char *e = strchr(s, ',');
		const char *w = s, *sp;
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s), kn, vn;
		const char *vs;

		s = e != NULL ? e + 1 : s + n;
		trim(&w, &n);
		for (sp = w; sp < w + n && !isspace((unsigned char)*sp); sp++)
			;
		kn = (size_t)(sp - w);
		vs = sp;
		vn = n - kn;
		trim(&vs, &vn);
		if (kn == 0 || kn >= sizeof(key) || vn == 0 ||
		    vn >= sizeof(val))
			return perr(P, "%s: bad value '%s'", kw,
			    SHOW(v, strlen(v)));
		memcpy(key, w, kn);
		key[kn] = '\0';
		memcpy(val, vs, vn);
		val[vn] = '\0';
		if (strcmp(key, "type") == 0 && !detection) {
			if (strcmp(val, "limit") == 0)
				t.type = SIG_THR_LIMIT;
			else if (strcmp(val, "threshold") == 0)
				t.type = SIG_THR_THRESHOLD;
			else if (strcmp(val, "both") == 0)
				t.type = SIG_THR_BOTH;
			else
				return perr(P, "%s: unsupported type '%s' "
				    "(limit, threshold, both)", kw,
				    SHOW(val, vn));
			have_type = 1;
		} else if (strcmp(key, "track") == 0) {
			if (strcmp(val, "by_src") == 0)
				t.track = SIG_TRACK_SRC;
			else if (strcmp(val, "by_dst") == 0)
				t.track = SIG_TRACK_DST;
			else if (strcmp(val, "by_both") == 0)
				t.track = SIG_TRACK_BOTH;
			else if (strcmp(val, "by_rule") == 0)
				t.track = SIG_TRACK_RULE;
			else
				return perr(P, "%s: unsupported track '%s' "
				    "(by_src, by_dst, by_both, by_rule)", kw,
				    SHOW(val, vn));
			have_track = 1;
		} else if (strcmp(key, "count") == 0) {
			if (parse_uint(val, 1000000000, &t.count) != 0 ||
			    t.count == 0)
				return perr(P, "%s: bad count '%s'", kw,
				    SHOW(val, vn));
			have_count = 1;
		} else if (strcmp(key, "seconds") == 0) {
			if (parse_uint(val, 100000000, &t.seconds) != 0 ||
			    t.seconds == 0)
				return perr(P, "%s: bad seconds '%s'", kw,
				    SHOW(val, vn));
			have_seconds = 1;
		} else
			return perr(P, "%s: unknown or unsupported '%s'", kw,
			    SHOW(key, kn));
	}
	if (!have_type || !have_track || !have_count || !have_seconds)
		return perr(P, "%s: needs %strack, count and seconds", kw,
		    detection ? "" : "type, ");
	b->r.thr = t;
	return 0;
}

/* metadata: free text, except "mamori_category ID". */
static int
opt_metadata(struct sp *P, struct rule_build *b, const char *v)
{
	char showbuf[256];
	const char *s = v;

	while (*s != '\0') {
		const char *e = strchr(s, ',');
		const char *w = s;
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

		s = e != NULL ? e + 1 : s + n;
		trim(&w, &n);
		if (n > 16 && strncmp(w, "mamori_category", 15) == 0 &&
		    isspace((unsigned char)w[15])) {
			const char *c = w + 16;
			size_t cn = n - 16, i;

			trim(&c, &cn);
			for (i = 0; i < cn; i++)
				if (!islower((unsigned char)c[i]) &&
				    c[i] != '_')
					break;
			if (cn == 0 || cn > 32 || i < cn)
				return perr(P, "metadata: bad mamori_category "
				    "'%s'", SHOW(c, cn));
			if ((b->meta_category = arena_strndup(&P->set->arena,
			    c, cn)) == NULL)
				return MAMORI_ENOMEM;
		}
	}
	return 0;
}

static int
opt_one(struct sp *P, struct rule_build *b, const char *kw, char *v)
{
	char showbuf[256];
	uint32_t u;
	int rc;

	if (strcasecmp(kw, "msg") == 0) {
		char *text;
		size_t n;

		if (v == NULL)
			return perr(P, "'msg' needs a value");
		if (b->have_msg)
			return perr(P, "'msg' given twice");
		if (v[0] == '"') {
			if ((rc = parse_quoted(P, "msg", v, NULL, &text, &n))
			    != 0)
				return rc;
		} else if ((text = arena_strndup(&P->set->arena, v,
		    strlen(v))) == NULL)
			return MAMORI_ENOMEM;
		unescape_msg(text);
		b->r.msg = text;
		b->have_msg = 1;
		return 0;
	}
	if (strcasecmp(kw, "sid") == 0 || strcasecmp(kw, "rev") == 0 ||
	    strcasecmp(kw, "gid") == 0 || strcasecmp(kw, "priority") == 0) {
		int *have = tolower((unsigned char)kw[0]) == 's' ?
		    &b->have_sid : tolower((unsigned char)kw[0]) == 'r' ?
		    &b->have_rev : tolower((unsigned char)kw[0]) == 'g' ?
		    &b->have_gid : &b->have_prio;

		if (v == NULL)
			return perr(P, "'%s' needs a value", kw);
		if (*have)
			return perr(P, "'%s' given twice", kw);
		if (parse_uint(v, 0xffffffffu, &u) != 0)
			return perr(P, "%s: bad number '%s'", kw,
			    SHOW(v, strlen(v)));
		*have = 1;
		switch (tolower((unsigned char)kw[0])) {
		case 's':
			if (u == 0)
				return perr(P, "sid 0 is not allowed");
			b->r.sid = u;
			break;
		case 'r':
			b->r.rev = u;
			break;
		case 'g':
			b->r.gid = u;
			break;
		default:
			if (u < 1 || u > 255)
				return perr(P, "priority %u out of range "
				    "(1..255)", u);
			b->r.priority = (int)u;
		}
		return 0;
	}
	if (strcasecmp(kw, "classtype") == 0) {
		int i;

		if (v == NULL)
			return perr(P, "'classtype' needs a value");
		if (b->have_class)
			return perr(P, "'classtype' given twice");
		if ((i = classtype_find(v)) < 0)
			return perr(P, "unknown classtype '%s'",
			    SHOW(v, strlen(v)));
		b->r.classtype = classtypes[i].name;
		b->have_class = 1;
		return 0;
	}
	if (strcasecmp(kw, "reference") == 0) {
		const char *c = v != NULL ? strchr(v, ',') : NULL;

		if (c == NULL || c == v || c[1] == '\0')
			return perr(P, "reference: expected TYPE,ID, got '%s'",
			    v != NULL ? SHOW(v, strlen(v)) : "");
		return 0;
	}
	if (strcasecmp(kw, "metadata") == 0)
		return v == NULL ? 0 : opt_metadata(P, b, v);
	if (strcasecmp(kw, "content") == 0) {
		if (v == NULL)
			return perr(P, "'content' needs a value");
		return opt_content(P, b, v);
	}
	if (strcasecmp(kw, "nocase") == 0 || strcasecmp(kw, "offset") == 0 ||
	    strcasecmp(kw, "depth") == 0 || strcasecmp(kw, "distance") == 0 ||
	    strcasecmp(kw, "within") == 0 || strcasecmp(kw, "rawbytes") == 0 ||
	    strcasecmp(kw, "fast_pattern") == 0)
		return opt_modifier(P, b, kw, v);
	if (v == NULL && (strcasecmp(kw, "pcre") == 0 ||
	    strcasecmp(kw, "flow") == 0 || strcasecmp(kw, "flags") == 0 ||
	    strcasecmp(kw, "dsize") == 0 || strcasecmp(kw, "itype") == 0 ||
	    strcasecmp(kw, "icode") == 0 || strcasecmp(kw, "threshold") == 0 ||
	    strcasecmp(kw, "detection_filter") == 0))
		return perr(P, "'%s' needs a value", kw);
	if (strcasecmp(kw, "pcre") == 0)
		return opt_pcre(P, b, v);
	if (strcasecmp(kw, "flow") == 0)
		return opt_flow(P, b, v);
	if (strcasecmp(kw, "flags") == 0)
		return opt_flags(P, b, v);
	if (strcasecmp(kw, "dsize") == 0)
		return parse_intform(P, "dsize", v, 65535, &b->r.dsize);
	if (strcasecmp(kw, "itype") == 0)
		return parse_intform(P, "itype", v, 255, &b->r.itype);
	if (strcasecmp(kw, "icode") == 0)
		return parse_intform(P, "icode", v, 255, &b->r.icode);
	if (strcasecmp(kw, "threshold") == 0 ||
	    strcasecmp(kw, "detection_filter") == 0)
		return opt_threshold(P, b, kw, v);
	if (is_unsupported(kw))
		return perr(P, "keyword '%s' is not supported (see "
		    "docs/signatures.md)", SHOW(kw, strlen(kw)));
	return perr(P, "unknown keyword '%s'", SHOW(kw, strlen(kw)));
}

/*
 * The options s[0..n) (between the parentheses; modified in place):
 * "kw;" or "kw:value;" each, the last ';' optional.  A value ends at the
 * first ';' outside double quotes; a backslash escapes the next byte.
 */
static int
parse_options(struct sp *P, struct rule_build *b, char *s, size_t n)
{
	char showbuf[256];
	size_t i = 0;
	int rc;

	while (i < n) {
		char kw[64], *v = NULL;
		size_t k = 0;

		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-')) {
			if (k + 1 >= sizeof(kw))
				return perr(P, "keyword too long at '%s'",
				    SHOW(s + i - k, n - i + k));
			kw[k++] = s[i++];
		}
		kw[k] = '\0';
		if (k == 0)
			return perr(P, "expected a keyword at '%s'",
			    SHOW(s + i, n - i));
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == ':') {
			size_t start = ++i;
			int q = 0;

			for (; i < n; i++) {
				if (s[i] == '\\' && i + 1 < n) {
					i++;
					continue;
				}
				if (s[i] == '"')
					q = !q;
				else if (s[i] == ';' && !q)
					break;
			}
			if (q)
				return perr(P, "%s: unterminated string", kw);
			v = s + start;
			s[i] = '\0';	/* i < n, or the rule's NUL at n */
			{
				const char *t = v;
				size_t tn = strlen(v);

				trim(&t, &tn);
				v = (char *)t;
				v[tn] = '\0';
			}
			if (i < n)
				i++;
		} else if (i < n && s[i] == ';')
			i++;
		else if (i < n)
			return perr(P, "expected ':' or ';' after '%s'", kw);
		if ((rc = opt_one(P, b, kw, v)) != 0)
			return rc;
	}
	return 0;
}

/* Reads one header field (to whitespace outside brackets). */
static int
header_field(const char **pp, const char *end, const char **f, size_t *n)
{
	const char *p = *pp;
	int depth = 0;

	while (p < end && isspace((unsigned char)*p))
		p++;
	*f = p;
	while (p < end && (depth > 0 || !isspace((unsigned char)*p)) &&
	    !(depth == 0 && *p == '(')) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		p++;
	}
	*n = (size_t)(p - *f);
	*pp = p;
	return *n > 0 ? 0 : -1;
}

/* Decides where rule r's payload options are matched (net-sig-int.h):
 * a TCP rule with content goes to the stream unless something in it
 * refers to packet boundaries (dsize, flags, an absolute offset or
 * depth, an anchored pcre) or flow:no_stream says so. */
static uint8_t
rule_mode(const struct sig_rule *r)
{
	uint32_t i;
	int seen_pos = 0, absolute = 0;

	if (r->nelem == 0)
		return SIG_MODE_NONE;
	if (r->proto != SIG_P_TCP && r->proto != SIG_P_HTTP)
		return SIG_MODE_PACKET;
	if (r->flow & SIG_FLOW_NO_STREAM)
		return SIG_MODE_PACKET;
	if (r->flow & SIG_FLOW_ONLY_STREAM)
		return SIG_MODE_STREAM;
	for (i = 0; i < r->nelem; i++) {
		const struct sig_elem *e = &r->elem[i];

		if (e->has_offset || e->has_depth || e->anchored)
			absolute = 1;
		if (e->relative && !seen_pos)
			absolute = 1;
		if (!e->neg)
			seen_pos = 1;
	}
	/* Only negated options: "absent from the window" has no place in
	 * the stream to anchor a once-only match; the packet decides. */
	if (absolute || r->dsize.set || r->has_flags || !seen_pos)
		return SIG_MODE_PACKET;
	return SIG_MODE_STREAM;
}

static int
finish_rule(struct sp *P, struct rule_build *b)
{
	struct sig_rule *r = &b->r;
	uint32_t i;
	int best = -1, fast = -1;

	if (!b->have_sid)
		return perr(P, "rule has no sid");
	if (!b->have_gid)
		r->gid = 1;
	for (i = 0; i < b->nel; i++) {
		struct sig_elem *e = &b->el[i];

		if (e->kind != SIG_EL_CONTENT)
			continue;
		if ((e->has_offset || e->has_depth) &&
		    (e->has_distance || e->has_within))
			return perr(P, "content %u: offset/depth cannot be "
			    "mixed with distance/within", i + 1);
		if (e->neg)
			continue;
		if (e->fast) {
			if (fast >= 0)
				return perr(P, "fast_pattern given twice");
			fast = (int)i;
		}
		if (best < 0 || e->len > b->el[best].len)
			best = (int)i;
	}
	if ((r->proto == SIG_P_UDP || r->proto == SIG_P_ICMP) && r->has_flags)
		return perr(P, "'flags' needs protocol tcp (or ip)");
	if ((r->proto == SIG_P_TCP || r->proto == SIG_P_UDP ||
	    r->proto == SIG_P_HTTP) && (r->itype.set || r->icode.set))
		return perr(P, "'itype'/'icode' need protocol icmp (or ip)");
	if ((r->proto == SIG_P_IP || r->proto == SIG_P_ICMP) &&
	    (r->sp != NULL || r->dp != NULL))
		return perr(P, "ports need protocol tcp, udp or http");
	if (!b->have_prio)
		r->priority = r->classtype != NULL ?
		    classtypes[classtype_find(r->classtype)].prio : 3;
	r->category = b->meta_category != NULL ? b->meta_category :
	    net_sig_classtype_category(r->classtype);
	if (r->msg == NULL)
		r->msg = "";
	r->fast = fast >= 0 ? fast : best;
	for (i = 0; i < b->nel; i++)
		if (!b->el[i].neg)
			r->has_positive = 1;
	if (b->nel > 0) {
		if ((r->elem = arena_alloc(&P->set->arena,
		    b->nel * sizeof(*r->elem))) == NULL)
			return MAMORI_ENOMEM;
		memcpy(r->elem, b->el, b->nel * sizeof(*r->elem));
	}
	r->nelem = b->nel;
	r->mode = rule_mode(r);
	r->file = P->file;
	r->line = P->line;
	return 0;
}

static int
set_add_rule(struct net_sigset *s, const struct sig_rule *r)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct sig_rule *n = realloc(s->rules, cap * sizeof(*n));

		if (n == NULL)
			return MAMORI_ENOMEM;
		s->rules = n;
		s->cap = cap;
	}
	s->rules[s->n] = *r;
	s->rules[s->n].idx = s->n;
	s->n++;
	return 0;
}

/* One rule: text[0..n), NUL at text[n]. */
static int
parse_rule(struct sp *P, char *text, size_t n)
{
	char showbuf[256];
	struct rule_build *b;
	const char *p = text, *end = text + n, *f;
	size_t fn;
	char *open, *close;
	int rc;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return MAMORI_ENOMEM;
	b->r.fast = -1;

	/* action */
	if (header_field(&p, end, &f, &fn) != 0) {
		rc = perr(P, "empty rule");
		goto out;
	}
	if (fn == 5 && strncmp(f, "alert", 5) == 0)
		b->r.action = SIG_ALERT;
	else if (fn == 4 && strncmp(f, "drop", 4) == 0)
		b->r.action = SIG_DROP;
	else if ((fn == 6 && strncmp(f, "reject", 6) == 0) ||
	    (fn == 9 && strncmp(f, "rejectsrc", 9) == 0) ||
	    (fn == 9 && strncmp(f, "rejectdst", 9) == 0) ||
	    (fn == 10 && strncmp(f, "rejectboth", 10) == 0))
		b->r.action = SIG_REJECT;
	else if (fn == 4 && strncmp(f, "pass", 4) == 0)
		b->r.action = SIG_PASS;
	else {
		rc = perr(P, "unknown action '%s' (alert, drop, reject, pass)",
		    SHOW(f, fn));
		goto out;
	}

	/* protocol */
	if (header_field(&p, end, &f, &fn) != 0) {
		rc = perr(P, "rule ends after the action");
		goto out;
	}
	if (fn == 2 && strncasecmp(f, "ip", 2) == 0)
		b->r.proto = SIG_P_IP;
	else if (fn == 3 && strncasecmp(f, "tcp", 3) == 0)
		b->r.proto = SIG_P_TCP;
	else if (fn == 3 && strncasecmp(f, "udp", 3) == 0)
		b->r.proto = SIG_P_UDP;
	else if (fn == 4 && strncasecmp(f, "icmp", 4) == 0)
		b->r.proto = SIG_P_ICMP;
	else if (fn == 4 && strncasecmp(f, "http", 4) == 0)
		b->r.proto = SIG_P_HTTP;
	else {
		rc = perr(P, "protocol '%s' is not supported (ip, tcp, udp, "
		    "icmp, http)", SHOW(f, fn));
		goto out;
	}

	/* src sport dir dst dport */
	{
		const char *fld[5];
		size_t fl[5];
		int k;

		for (k = 0; k < 5; k++)
			if (header_field(&p, end, &fld[k], &fl[k]) != 0) {
				rc = perr(P, "rule header incomplete (expected "
				    "src sport -> dst dport)");
				goto out;
			}
		if (fl[2] == 2 && strncmp(fld[2], "->", 2) == 0)
			b->r.bidir = 0;
		else if (fl[2] == 2 && strncmp(fld[2], "<>", 2) == 0)
			b->r.bidir = 1;
		else {
			rc = perr(P, "bad direction '%s' (-> or <>)",
			    SHOW(fld[2], fl[2]));
			goto out;
		}
		if ((rc = addr_field(P, fld[0], fl[0], &b->r.src)) != 0 ||
		    (rc = port_field(P, fld[1], fl[1], &b->r.sp)) != 0 ||
		    (rc = addr_field(P, fld[3], fl[3], &b->r.dst)) != 0 ||
		    (rc = port_field(P, fld[4], fl[4], &b->r.dp)) != 0)
			goto out;
	}

	/* (options) */
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p != '(') {
		rc = perr(P, "expected '(' after the rule header, got '%s'",
		    SHOW(p, (size_t)(end - p)));
		goto out;
	}
	open = (char *)p;
	close = text + n;
	while (close > open && isspace((unsigned char)close[-1]))
		close--;
	if (close == open + 0 || close[-1] != ')') {
		rc = perr(P, "rule does not end with ')'");
		goto out;
	}
	close--;
	*close = '\0';
	if ((rc = parse_options(P, b, open + 1, (size_t)(close - open - 1)))
	    != 0)
		goto out;
	if ((rc = finish_rule(P, b)) != 0)
		goto out;
	if (b->r.proto == SIG_P_HTTP && P->set->http_ports == NULL) {
		const char *saved = P->var;

		P->var = "HTTP_PORTS";
		if (var_value(P, "HTTP_PORTS") == NULL)
			rc = perr(P, "not set (http rules need it)");
		else
			rc = port_field(P, var_value(P, "HTTP_PORTS"),
			    strlen(var_value(P, "HTTP_PORTS")),
			    &P->set->http_ports);
		P->var = saved;
		if (rc != 0)
			goto out;
		P->set->has_http = 1;
	}
	if ((rc = set_add_rule(P->set, &b->r)) != 0)
		goto out;
	b->nel = 0;	/* the pcre codes now belong to the set */
out:
	build_release(b);
	free(b);
	return rc;
}

/* ---------------------------------------------------------------------
 * Files.
 */
static int
load_text(struct sp *P, const char *buf, size_t len)
{
	char *rule;
	size_t i = 0, rlen = 0;
	int lineno = 0, rline = 0, rc = 0;

	if ((rule = malloc(SIG_MAX_RULE + 1)) == NULL)
		return MAMORI_ENOMEM;
	while (i < len && rc == 0) {
		const char *nl = memchr(buf + i, '\n', len - i);
		const char *line = buf + i;
		size_t n = nl != NULL ? (size_t)(nl - line) : len - i;
		int cont;

		i += n + (nl != NULL);
		lineno++;
		while (n > 0 && (line[n - 1] == '\r' ||
		    isspace((unsigned char)line[n - 1])))
			n--;
		if (rlen == 0) {
			while (n > 0 && isspace((unsigned char)*line)) {
				line++;
				n--;
			}
			if (n == 0 || line[0] == '#')
				continue;
			rline = lineno;
		}
		if (memchr(line, '\0', n) != NULL) {
			P->line = lineno;
			rc = perr(P, "NUL byte in rule");
			break;
		}
		cont = n > 0 && line[n - 1] == '\\';
		if (cont)
			n--;
		if (rlen + n > SIG_MAX_RULE) {
			P->line = rline;
			rc = perr(P, "rule longer than %d bytes", SIG_MAX_RULE);
			break;
		}
		memcpy(rule + rlen, line, n);
		rlen += n;
		if (cont && i < len)
			continue;
		rule[rlen] = '\0';
		P->line = rline;
		rc = parse_rule(P, rule, rlen);
		rlen = 0;
	}
	free(rule);
	return rc;
}

static int
load_file(struct sp *P, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = file_read_all(path, SIG_MAX_FILE, &buf, &len);
	if (rc == MAMORI_ETOOBIG) {
		mamori_seterr(P->err, P->errlen, "%s: larger than %u bytes",
		    path, SIG_MAX_FILE);
		return rc;
	}
	if (rc == MAMORI_ESYS) {
		mamori_seterr(P->err, P->errlen, "%s: %s", path,
		    strerror(errno));
		return rc;
	}
	if (rc != 0)
		return rc;
	if ((P->file = arena_strndup(&P->set->arena, path, strlen(path))) ==
	    NULL)
		rc = MAMORI_ENOMEM;
	else
		rc = load_text(P, buf, len);
	free(buf);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(struct sp *P, const char *dir)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		mamori_seterr(P->err, P->errlen, "%s: %s", dir,
		    strerror(errno));
		return MAMORI_ESYS;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nn = realloc(names, nc * sizeof(*nn));

			if (nn == NULL) {
				rc = MAMORI_ENOMEM;
				break;
			}
			names = nn;
			cap = nc;
		}
		if ((names[n] = malloc(strlen(dir) + l + 2)) == NULL) {
			rc = MAMORI_ENOMEM;
			break;
		}
		sprintf(names[n], "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && rc == 0; i++)
		rc = load_file(P, names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
key_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Refuses a set where two rules share gid:sid, naming the later of the
 * earliest such pair (in load order) and where the first one is. */
static int
dup_sids(struct sp *P)
{
	struct net_sigset *s = P->set;
	uint64_t *key;
	uint32_t i, later = UINT32_MAX, first = 0;

	if (s->n < 2)
		return 0;
	if ((key = malloc((size_t)s->n * 2 * sizeof(*key))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < s->n; i++) {
		key[2 * i] = (uint64_t)s->rules[i].gid << 32 | s->rules[i].sid;
		key[2 * i + 1] = i;
	}
	/* Sorted by (gid:sid, position): in each run of equals the first
	 * is the original and every other one a duplicate. */
	qsort(key, s->n, 2 * sizeof(*key), key_cmp);
	for (i = 1; i < s->n; i++) {
		uint32_t j = i;

		if (key[2 * i] != key[2 * i - 2])
			continue;
		while (j > 0 && key[2 * j - 2] == key[2 * i])
			j--;
		if ((uint32_t)key[2 * i + 1] < later) {
			later = (uint32_t)key[2 * i + 1];
			first = (uint32_t)key[2 * j + 1];
		}
	}
	free(key);
	if (later != UINT32_MAX) {
		const struct sig_rule *r = &s->rules[later];
		const struct sig_rule *o = &s->rules[first];

		mamori_seterr(P->err, P->errlen, "%s:%d: duplicate sid %u "
		    "(first at %s:%d)", r->file, r->line, r->sid, o->file,
		    o->line);
		return MAMORI_ECONFIG;
	}
	return 0;
}

static struct net_sigset *
set_new(void)
{
	return calloc(1, sizeof(struct net_sigset));
}

void
net_sigset_free(struct net_sigset *s)
{
	uint32_t i, k;

	if (s == NULL)
		return;
	sig_db_free(s);
	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->rules[i].nelem; k++)
			if (s->rules[i].elem[k].re != NULL)
				pcre2_code_free(s->rules[i].elem[k].re);
	free(s->rules);
	arena_free(s->arena);
	free(s);
}

size_t
net_sigset_count(const struct net_sigset *s)
{
	return s != NULL ? s->n : 0;
}

/* After the text: duplicate sids, then the Vectorscan databases. */
static int
set_finish(struct sp *P)
{
	int rc;

	if ((rc = dup_sids(P)) != 0)
		return rc;
	return sig_db_build(P->set, P->err, P->errlen);
}

int
net_sig_load_buf(const char *name, const char *buf, size_t len,
    const struct net_sig_vars *vars, struct net_sigset **out, char *err,
    size_t errlen)
{
	struct sp P;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&P, 0, sizeof(P));
	P.vars = vars;
	P.err = err;
	P.errlen = errlen;
	if ((P.set = set_new()) == NULL)
		return MAMORI_ENOMEM;
	if (name == NULL)
		name = "(rules)";
	if ((P.file = arena_strndup(&P.set->arena, name, strlen(name))) ==
	    NULL)
		rc = MAMORI_ENOMEM;
	else if ((rc = load_text(&P, buf != NULL ? buf : "", buf != NULL ?
	    len : 0)) == 0)
		rc = set_finish(&P);
	if (rc != 0) {
		net_sigset_free(P.set);
		return rc;
	}
	*out = P.set;
	return 0;
}

int
net_sig_load(const char *path, const struct net_sig_vars *vars,
    struct net_sigset **out, char *err, size_t errlen)
{
	struct sp P;
	struct stat st;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (stat(path, &st) != 0) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return MAMORI_ESYS;
	}
	memset(&P, 0, sizeof(P));
	P.vars = vars;
	P.err = err;
	P.errlen = errlen;
	if ((P.set = set_new()) == NULL)
		return MAMORI_ENOMEM;
	rc = S_ISDIR(st.st_mode) ? load_dir(&P, path) : load_file(&P, path);
	if (rc == 0)
		rc = set_finish(&P);
	if (rc != 0) {
		net_sigset_free(P.set);
		return rc;
	}
	*out = P.set;
	return 0;
}

char *
net_sig_default_dir(void)
{
	char buf[4096];

	if (file_bundled_path("MAMORI_NET_RULES", "rules/network", buf,
	    sizeof(buf)) != 0)
		return NULL;
	return strdup(buf);
}

static const char *
action_name(uint8_t a)
{
	switch (a) {
	case SIG_DROP: return "drop";
	case SIG_REJECT: return "reject";
	case SIG_PASS: return "pass";
	default: return "alert";
	}
}

int
net_sig_info(const struct net_sigset *s, uint32_t sid,
    struct net_sig_info *out)
{
	const struct sig_rule *r = NULL;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return MAMORI_ENOTFOUND;
	for (i = 0; i < s->n; i++)
		if (s->rules[i].sid == sid && (r == NULL ||
		    (r->gid != 1 && s->rules[i].gid == 1)))
			r = &s->rules[i];
	if (r == NULL)
		return MAMORI_ENOTFOUND;
	out->sid = r->sid;
	out->gid = r->gid;
	out->rev = r->rev;
	out->msg = r->msg;
	out->classtype = r->classtype;
	out->category = r->category;
	out->priority = r->priority;
	out->action = action_name(r->action);
	out->file = r->file;
	out->line = r->line;
	return 0;
}
