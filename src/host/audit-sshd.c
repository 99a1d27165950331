/*
 * audit-sshd.c - weak sshd settings, read as sshd reads sshd_config(5)
 * (OpenSSH servconf.c and misc.c argv_split()):
 *
 *   - a keyword (case-insensitive), then its arguments, separated by
 *     spaces or tabs or one '='; arguments in double or single quotes,
 *     backslash escaping a quote, a backslash or a space; an unquoted
 *     argument starting with '#' ends the line;
 *   - for most keywords the first value obtained is used;
 *   - "Match" starts a block of settings that apply only to the
 *     connections it matches, up to the next Match or the end of the
 *     file; they override the global ones for those connections;
 *   - "Include" reads files (glob(3) patterns, relative to /etc/ssh) in
 *     place, in the Match block in force, at most 16 levels deep.
 *
 * The audit reports the global effective value of each setting (a
 * "Match all" block applies to everyone, so it counts as global) and,
 * separately, weak values set in other Match blocks (a "Match Address"
 * block that allows root to log in from one address is a backdoor some
 * intruders leave).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

#define SSHD_FILE_MAX	(4u << 20)
#define SSHD_MAX_ARGS	256

static int
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/*
 * Splits s[0..n) into arguments the way argv_split(..., 1) does, into
 * a new buffer: each argument NUL-terminated, one after the other.
 * Returns the count (at most SSHD_MAX_ARGS), or -1 on ENOMEM.
 */
static int
split_args(const char *s, size_t n, char **bufp, size_t *blen)
{
	char *b, quote;
	size_t i = 0, o = 0;
	int argc = 0;

	*bufp = NULL;
	if ((b = malloc(n + 1)) == NULL)
		return -1;
	while (argc < SSHD_MAX_ARGS) {
		while (i < n && is_ws(s[i]))
			i++;
		if (i >= n)
			break;
		if (s[i] == '#')
			break;			/* a comment */
		quote = 0;
		for (; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\'' ||
			    s[i + 1] == '"' || s[i + 1] == '\\' ||
			    (quote == 0 && s[i + 1] == ' '))) {
				b[o++] = s[++i];
				continue;
			}
			if (quote == 0 && is_ws(s[i]))
				break;
			if (quote == 0 && (s[i] == '"' || s[i] == '\'')) {
				quote = s[i];
				continue;
			}
			if (quote != 0 && s[i] == quote) {
				quote = 0;
				continue;
			}
			b[o++] = s[i];
		}
		b[o++] = '\0';
		argc++;
	}
	*bufp = b;
	*blen = o;
	return argc;
}

static int
add_opt(struct audit_sshd *s, const char *key, size_t klen,
    const char *value, const char *args, const char *match,
    const char *file, size_t line)
{
	struct audit_sshd_opt *o;
	size_t i, ncap;

	if (s->n == s->cap) {
		if (s->n >= AUDIT_SSHD_MAX_OPTS)
			return MAMORI_ETOOBIG;
		ncap = s->cap ? s->cap * 2 : 32;
		if ((o = realloc(s->v, ncap * sizeof(*o))) == NULL)
			return MAMORI_ENOMEM;
		s->v = o;
		s->cap = ncap;
	}
	o = &s->v[s->n];
	memset(o, 0, sizeof(*o));
	o->line = line;
	if ((o->key = strndup(key, klen)) == NULL ||
	    (o->value = strdup(value)) == NULL ||
	    (o->args = strdup(args)) == NULL ||
	    (match != NULL && (o->match = strdup(match)) == NULL) ||
	    (o->file = strdup(file)) == NULL) {
		free(o->key);
		free(o->value);
		free(o->args);
		free(o->match);
		return MAMORI_ENOMEM;
	}
	for (i = 0; o->key[i] != '\0'; i++)
		if (o->key[i] >= 'A' && o->key[i] <= 'Z')
			o->key[i] = (char)(o->key[i] - 'A' + 'a');
	/* Aliases sshd gives one meaning. */
	if (strcmp(o->key, "challengeresponseauthentication") == 0) {
		free(o->key);
		if ((o->key = strdup("kbdinteractiveauthentication")) == NULL) {
			free(o->value);
			free(o->args);
			free(o->match);
			free(o->file);
			return MAMORI_ENOMEM;
		}
	}
	s->n++;
	return 0;
}

static void
set_err(struct audit_sshd *s, const char *file, size_t line,
    const char *what)
{
	if (s->err != NULL)
		return;
	if (asprintf(&s->err, "%s:%zu: %s", file, line, what) < 0)
		s->err = NULL;
}

int
audit_sshd_parse(struct audit_sshd *s, const char *file, const char *p,
    size_t len, const char *match, int depth, audit_sshd_include_fn inc,
    void *arg)
{
	const char *end = p + len, *e, *q, *k, *rest;
	char *args = NULL, *joined = NULL, *cur = NULL, *a;
	size_t lineno = 0, klen, alen, i, jl;
	int argc, r = 0;

	if (match != NULL && (cur = strdup(match)) == NULL)
		return MAMORI_ENOMEM;
	for (; r == 0 && p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		lineno++;
		for (q = p; q < e && is_ws(*q); q++)
			;
		if (q == e || *q == '#')
			continue;
		if (memchr(q, '\0', (size_t)(e - q)) != NULL) {
			s->bad++;
			continue;
		}
		/* The keyword ends at white space or '='; one '=' may
		 * follow, with white space around it. */
		for (k = q; q < e && !is_ws(*q) && *q != '='; q++)
			;
		klen = (size_t)(q - k);
		while (q < e && is_ws(*q))
			q++;
		if (q < e && *q == '=')
			q++;
		rest = q;
		free(args);
		args = NULL;
		if ((argc = split_args(rest, (size_t)(e - rest), &args,
		    &alen)) < 0) {
			r = MAMORI_ENOMEM;
			break;
		}
		if (klen == 0 || argc == 0) {
			s->bad++;
			continue;
		}
		/* The arguments joined by one space. */
		free(joined);
		if ((joined = malloc(alen + 1)) == NULL) {
			r = MAMORI_ENOMEM;
			break;
		}
		for (i = 0, a = args, jl = 0; i < (size_t)argc; i++) {
			size_t al = strlen(a);

			if (i > 0)
				joined[jl++] = ' ';
			memcpy(joined + jl, a, al);
			jl += al;
			a += al + 1;
		}
		joined[jl] = '\0';
		if (klen == 5 && strncasecmp(k, "match", 5) == 0) {
			free(cur);
			if ((cur = strdup(joined)) == NULL) {
				r = MAMORI_ENOMEM;
				break;
			}
			continue;
		}
		if (klen == 7 && strncasecmp(k, "include", 7) == 0) {
			if (inc == NULL)
				continue;
			if (depth + 1 > AUDIT_SSHD_MAX_DEPTH) {
				set_err(s, file, lineno, "Include nested too "
				    "deeply");
				continue;
			}
			for (i = 0, a = args; r == 0 && i < (size_t)argc;
			    i++) {
				r = inc(s, a, cur, depth + 1, arg);
				a += strlen(a) + 1;
			}
			continue;
		}
		r = add_opt(s, k, klen, args, joined, cur, file, lineno);
	}
	free(args);
	free(joined);
	free(cur);
	return r;
}

void
audit_sshd_release(struct audit_sshd *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
		free(s->v[i].args);
		free(s->v[i].match);
		free(s->v[i].file);
	}
	free(s->v);
	free(s->err);
	memset(s, 0, sizeof(*s));
}

const char *
audit_sshd_global(const struct audit_sshd *s, const char *key,
    const struct audit_sshd_opt **opt)
{
	size_t i;

	if (opt != NULL)
		*opt = NULL;
	for (i = 0; i < s->n; i++)
		if (s->v[i].match != NULL &&
		    strcasecmp(s->v[i].match, "all") == 0 &&
		    strcmp(s->v[i].key, key) == 0) {
			if (opt != NULL)
				*opt = &s->v[i];
			return s->v[i].value;
		}
	for (i = 0; i < s->n; i++)
		if (s->v[i].match == NULL && strcmp(s->v[i].key, key) == 0) {
			if (opt != NULL)
				*opt = &s->v[i];
			return s->v[i].value;
		}
	return NULL;
}

/* The check: reading through the root. */

struct sshd_run {
	struct audit_ctx *c;
};

static int
include_file(struct audit_sshd *s, const char *pattern, const char *match,
    int depth, void *arg)
{
	struct sshd_run *run = arg;
	struct audit_ctx *c = run->c;
	char *full = NULL, *buf;
	const char *rel;
	size_t rl = strlen(c->root), i, len;
	glob_t g;
	int r = 0, gr;

	if (pattern[0] == '/')
		gr = asprintf(&full, "%s%s", c->root, pattern);
	else
		gr = asprintf(&full, "%s/etc/ssh/%s", c->root, pattern);
	if (gr < 0)
		return MAMORI_ENOMEM;
	memset(&g, 0, sizeof(g));
	gr = glob(full, 0, NULL, &g);
	free(full);
	if (gr == GLOB_NOSPACE) {
		globfree(&g);
		return MAMORI_ENOMEM;
	}
	if (gr != 0) {
		s->includes_missing++;
		globfree(&g);
		return 0;
	}
	for (i = 0; r == 0 && i < g.gl_pathc; i++) {
		rel = g.gl_pathv[i] + rl;
		if (*rel != '/')
			continue;
		if ((r = audit_read(c, rel, SSHD_FILE_MAX, &buf, &len)) != 0) {
			if (r == MAMORI_ENOMEM)
				break;
			s->includes_missing++;
			r = 0;
			continue;
		}
		r = audit_sshd_parse(s, rel, buf, len, match, depth,
		    include_file, arg);
		free(buf);
	}
	globfree(&g);
	return r;
}

static int
yes(const char *v)
{
	return v != NULL && strcasecmp(v, "yes") == 0;
}

static int
sshd_emit(struct audit_ctx *c, const char *name, const char *value,
    const struct audit_sshd_opt *o, int sev, const char *what,
    const char *hint)
{
	char subject[512], where[1024];
	json_t *x;
	int r;

	x = json_pack("{s:s, s:o?}", "setting", name, "value",
	    audit_json_str(value, strlen(value)));
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (o != NULL) {
		if (json_object_set_new(x, "file", audit_json_str(o->file,
		    strlen(o->file))) != 0 ||
		    json_object_set_new(x, "line", json_integer(
		    (json_int_t)o->line)) != 0 || (o->match != NULL &&
		    json_object_set_new(x, "match", audit_json_str(o->match,
		    strlen(o->match))) != 0)) {
			json_decref(x);
			return MAMORI_ENOMEM;
		}
		snprintf(where, sizeof(where), "%s line %zu%s%s", o->file,
		    o->line, o->match != NULL ? ", Match " : "",
		    o->match != NULL ? o->match : "");
	} else {
		json_object_set_new(x, "default", json_true());
		snprintf(where, sizeof(where), "OpenSSH's default");
	}
	if (o != NULL && o->match != NULL &&
	    strcasecmp(o->match, "all") != 0)
		snprintf(subject, sizeof(subject), "%s (Match %s)", name,
		    o->match);
	else
		snprintf(subject, sizeof(subject), "%s", name);
	r = audit_emitf(c, o != NULL && o->match != NULL &&
	    strcasecmp(o->match, "all") != 0 ? "match" : "setting", sev,
	    subject, hint, x, "sshd: %s %s (%s): %s", name, value, where,
	    what);
	json_decref(x);
	return r;
}

/* Weak algorithms in a list ("aes128-ctr,3des-cbc", "+ssh-rsa"): the
 * first one found, into buf. */
static int
weak_algo(const char *list, const char *const *weak, size_t n, char *buf,
    size_t len)
{
	const char *p = list, *e;
	size_t i, l, wl;

	if (*p == '-')
		return 0;		/* removes from the defaults */
	if (*p == '+' || *p == '^')
		p++;
	for (; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		l = (size_t)(e - p);
		for (i = 0; i < n; i++) {
			wl = strlen(weak[i]);
			if ((weak[i][wl - 1] == '*' ? l >= wl - 1 &&
			    strncasecmp(p, weak[i], wl - 1) == 0 :
			    l == wl && strncasecmp(p, weak[i], l) == 0)) {
				snprintf(buf, len, "%.*s", (int)l, p);
				return 1;
			}
		}
	}
	return 0;
}

static const char *const weak_ciphers[] = {
	"3des-cbc", "arcfour*", "blowfish-cbc", "cast128-cbc", "des*",
	"rijndael-cbc*",
};
static const char *const weak_macs[] = {
	"hmac-md5*", "hmac-sha1-96*", "hmac-ripemd160*", "umac-64*",
};
static const char *const weak_kex[] = {
	"diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1",
	"gss-group1-sha1-*",
};

/* Reports the weak settings among s's options at o (global when o is
 * NULL and value the effective one). */
static int
judge(struct audit_ctx *c, const struct audit_sshd *s, const char *key,
    const char *value, const struct audit_sshd_opt *o)
{
	char algo[128], what[256];
	const char *usepam;

	if (strcmp(key, "permitrootlogin") == 0 && yes(value))
		return sshd_emit(c, "PermitRootLogin", value, o,
		    AUDIT_SEV_HIGH, "root can log in with a password",
		    "set PermitRootLogin prohibit-password (or no) and log "
		    "in as a user who then uses sudo");
	if (strcmp(key, "passwordauthentication") == 0 && yes(value))
		return sshd_emit(c, "PasswordAuthentication", value, o,
		    AUDIT_SEV_MEDIUM, "passwords can be guessed from the "
		    "network", "set PasswordAuthentication no once every user "
		    "has an SSH key");
	if (strcmp(key, "kbdinteractiveauthentication") == 0 && yes(value)) {
		usepam = audit_sshd_global(s, "usepam", NULL);
		if (!yes(usepam))
			return 0;
		return sshd_emit(c, "KbdInteractiveAuthentication", value, o,
		    AUDIT_SEV_MEDIUM, "with UsePAM yes it asks for passwords "
		    "too", "set KbdInteractiveAuthentication no");
	}
	if (strcmp(key, "permitemptypasswords") == 0 && yes(value))
		return sshd_emit(c, "PermitEmptyPasswords", value, o,
		    AUDIT_SEV_HIGH, "accounts without a password can log in",
		    "set PermitEmptyPasswords no");
	if (strcmp(key, "hostbasedauthentication") == 0 && yes(value))
		return sshd_emit(c, "HostbasedAuthentication", value, o,
		    AUDIT_SEV_MEDIUM, "any account of a trusted host logs in "
		    "without a key of its own", "set HostbasedAuthentication "
		    "no");
	if (strcmp(key, "ignorerhosts") == 0 && value != NULL &&
	    strcasecmp(value, "no") == 0)
		return sshd_emit(c, "IgnoreRhosts", value, o,
		    AUDIT_SEV_MEDIUM, "users' .rhosts files are honoured",
		    "set IgnoreRhosts yes");
	if (strcmp(key, "permituserenvironment") == 0 && value != NULL &&
	    strcasecmp(value, "no") != 0)
		return sshd_emit(c, "PermitUserEnvironment", value, o,
		    AUDIT_SEV_MEDIUM, "users' environment files can change "
		    "what their sessions run (LD_PRELOAD)",
		    "set PermitUserEnvironment no");
	if (strcmp(key, "protocol") == 0 && value != NULL &&
	    strchr(value, '1') != NULL)
		return sshd_emit(c, "Protocol", value, o, AUDIT_SEV_HIGH,
		    "SSH protocol 1 is broken", "remove the Protocol line");
	if (strcmp(key, "ciphers") == 0 && value != NULL &&
	    weak_algo(value, weak_ciphers, sizeof(weak_ciphers) /
	    sizeof(weak_ciphers[0]), algo, sizeof(algo))) {
		snprintf(what, sizeof(what), "weak cipher %s", algo);
		return sshd_emit(c, "Ciphers", value, o, AUDIT_SEV_MEDIUM,
		    what, "remove the Ciphers line (OpenSSH's defaults are "
		    "safe) or list only aes*-ctr, aes*-gcm and "
		    "chacha20-poly1305");
	}
	if (strcmp(key, "macs") == 0 && value != NULL &&
	    weak_algo(value, weak_macs, sizeof(weak_macs) /
	    sizeof(weak_macs[0]), algo, sizeof(algo))) {
		snprintf(what, sizeof(what), "weak MAC %s", algo);
		return sshd_emit(c, "MACs", value, o, AUDIT_SEV_MEDIUM, what,
		    "remove the MACs line (OpenSSH's defaults are safe)");
	}
	if (strcmp(key, "kexalgorithms") == 0 && value != NULL &&
	    weak_algo(value, weak_kex, sizeof(weak_kex) /
	    sizeof(weak_kex[0]), algo, sizeof(algo))) {
		snprintf(what, sizeof(what), "weak key exchange %s", algo);
		return sshd_emit(c, "KexAlgorithms", value, o,
		    AUDIT_SEV_MEDIUM, what, "remove the KexAlgorithms line "
		    "(OpenSSH's defaults are safe)");
	}
	return 0;
}

int
audit_check_sshd(struct audit_ctx *c, const struct audit_conf *conf)
{
	static const struct {
		const char	*key;
		const char	*def;	/* OpenSSH's default */
	} keys[] = {
		{ "permitrootlogin", "prohibit-password" },
		{ "passwordauthentication", "yes" },
		{ "kbdinteractiveauthentication", "yes" },
		{ "permitemptypasswords", "no" },
		{ "hostbasedauthentication", "no" },
		{ "ignorerhosts", "yes" },
		{ "permituserenvironment", "no" },
		{ "protocol", NULL },
		{ "ciphers", NULL },
		{ "macs", NULL },
		{ "kexalgorithms", NULL },
	};
	struct audit_sshd s;
	struct sshd_run run;
	const struct audit_sshd_opt *o;
	const char *v;
	char *buf;
	size_t len, i, j;
	int r;

	memset(&s, 0, sizeof(s));
	if ((r = audit_read(c, conf->sshd_config, SSHD_FILE_MAX, &buf,
	    &len)) != 0) {
		if (r == MAMORI_ENOTFOUND) {
			c->st->state = AUDIT_ST_SKIPPED;
			audit_note(c, "no %s: sshd is not installed",
			    conf->sshd_config);
			return 0;
		}
		if (r == MAMORI_ENOMEM)
			return r;
		return audit_fail(c, "cannot read %s: %s", conf->sshd_config,
		    r == MAMORI_ESYS ? strerror(errno) : mamori_strerror(r));
	}
	run.c = c;
	r = audit_sshd_parse(&s, conf->sshd_config, buf, len, NULL, 0,
	    include_file, &run);
	free(buf);
	if (r == MAMORI_ENOMEM)
		goto out;
	if (r != 0) {
		r = audit_fail(c, "%s: %s", conf->sshd_config,
		    mamori_strerror(r));
		goto out;
	}
	for (i = 0; r == 0 && i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = audit_sshd_global(&s, keys[i].key, &o);
		if (v == NULL)
			v = keys[i].def;
		if (v != NULL)
			r = judge(c, &s, keys[i].key, v, o);
		/* Weak values in Match blocks other than "all". */
		for (j = 0; r == 0 && j < s.n; j++) {
			const struct audit_sshd_opt *m = &s.v[j];
			size_t k;

			if (m->match == NULL ||
			    strcasecmp(m->match, "all") == 0 ||
			    strcmp(m->key, keys[i].key) != 0)
				continue;
			/* First value of this key in this block only. */
			for (k = 0; k < j; k++)
				if (s.v[k].match != NULL &&
				    strcmp(s.v[k].match, m->match) == 0 &&
				    strcmp(s.v[k].key, m->key) == 0)
					break;
			if (k == j)
				r = judge(c, &s, m->key, m->value, m);
		}
	}
	if (r == 0 && s.err != NULL)
		audit_note(c, "%s", s.err);
 out:
	audit_sshd_release(&s);
	return r;
}
