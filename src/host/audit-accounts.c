/*
 * audit-accounts.c - the account files (passwd(5), shadow(5), group(5))
 * and what an intruder leaves in them: a second account with UID 0
 * ("toor"), an account without a password, a password hash in the
 * world-readable /etc/passwd, a login shell given to a system account
 * (daemon, www-data) so that a planted SSH key logs in, a second group
 * with GID 0, and lines the tools cannot read.
 *
 * The parsers take the files as untrusted text: any bytes, any length,
 * each line split on ':' with its field count checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

#define PW_FILE_MAX	(64u << 20)

/* Splits line[0..n) on ':' into at most max fields; returns the count
 * (max + 1 when there are more). */
static size_t
fields(const char *line, size_t n, const char **f, size_t *fl, size_t max)
{
	const char *p = line, *e = line + n, *c;
	size_t k = 0;

	for (;;) {
		if (k == max)
			return max + 1;
		c = memchr(p, ':', (size_t)(e - p));
		f[k] = p;
		fl[k] = c != NULL ? (size_t)(c - p) : (size_t)(e - p);
		k++;
		if (c == NULL)
			return k;
		p = c + 1;
	}
}

static int
id32(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > UINT32_MAX - 1)		/* (uid_t)-1 is no id */
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
grow(struct audit_pwfile *f, int which, size_t *cap)
{
	size_t ncap;
	void *nv;

	if (f->n < *cap)
		return 0;
	if (f->n >= AUDIT_PW_MAX_LINES)
		return MAMORI_ETOOBIG;
	ncap = *cap ? *cap * 2 : 32;
	if (which == AUDIT_PW_PASSWD) {
		if ((nv = realloc(f->pw, ncap * sizeof(*f->pw))) == NULL)
			return MAMORI_ENOMEM;
		f->pw = nv;
	} else {
		if ((nv = realloc(f->sp, ncap * sizeof(*f->sp))) == NULL)
			return MAMORI_ENOMEM;
		f->sp = nv;
	}
	*cap = ncap;
	return 0;
}

static void
bad_line(struct audit_pwfile *f, size_t lineno)
{
	if (f->bad++ == 0)
		f->first_bad = lineno;
}

int
audit_pwfile_parse(struct audit_pwfile *f, int which, const char *p,
    size_t len)
{
	const char *end = p + len, *e, *fld[10];
	size_t fl[10], nf, lineno = 0, cap = 0, want, maxf;
	uint32_t uid = 0, gid = 0;
	int r;

	memset(f, 0, sizeof(*f));
	want = which == AUDIT_PW_PASSWD ? 7 : which == AUDIT_PW_GROUP ? 4 : 9;
	maxf = which == AUDIT_PW_SHADOW ? 9 : want;
	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		lineno++;
		if (e == p)
			continue;
		if (*p == '+' || *p == '-')
			continue;		/* NIS compat */
		if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
			bad_line(f, lineno);
			continue;
		}
		nf = fields(p, (size_t)(e - p), fld, fl, maxf);
		/* shadow(5) has 9 fields; some tools write 8 or fewer. */
		if ((which == AUDIT_PW_SHADOW ? (nf < 2 || nf > 9) :
		    nf != want) || fl[0] == 0) {
			bad_line(f, lineno);
			continue;
		}
		if (which == AUDIT_PW_PASSWD &&
		    (id32(fld[2], fl[2], &uid) != 0 ||
		    id32(fld[3], fl[3], &gid) != 0)) {
			bad_line(f, lineno);
			continue;
		}
		if (which == AUDIT_PW_GROUP && id32(fld[2], fl[2], &gid) != 0) {
			bad_line(f, lineno);
			continue;
		}
		if ((r = grow(f, which, &cap)) != 0)
			return r;
		if (which == AUDIT_PW_PASSWD) {
			struct audit_pw *w = &f->pw[f->n];

			memset(w, 0, sizeof(*w));
			w->uid = uid;
			w->gid = gid;
			w->line = lineno;
			if ((w->name = strndup(fld[0], fl[0])) == NULL ||
			    (w->passwd = strndup(fld[1], fl[1])) == NULL ||
			    (w->home = strndup(fld[5], fl[5])) == NULL ||
			    (w->shell = strndup(fld[6], fl[6])) == NULL) {
				free(w->name);
				free(w->passwd);
				free(w->home);
				return MAMORI_ENOMEM;
			}
		} else {
			struct audit_sp *s = &f->sp[f->n];

			memset(s, 0, sizeof(*s));
			s->id = which == AUDIT_PW_GROUP ? gid : 0;
			s->line = lineno;
			if ((s->name = strndup(fld[0], fl[0])) == NULL ||
			    (s->passwd = strndup(fld[1], fl[1])) == NULL ||
			    (which == AUDIT_PW_GROUP && (s->members =
			    strndup(fld[3], fl[3])) == NULL)) {
				free(s->name);
				free(s->passwd);
				return MAMORI_ENOMEM;
			}
		}
		f->n++;
	}
	return 0;
}

void
audit_pwfile_release(struct audit_pwfile *f)
{
	size_t i;

	for (i = 0; f->pw != NULL && i < f->n; i++) {
		free(f->pw[i].name);
		free(f->pw[i].passwd);
		free(f->pw[i].home);
		free(f->pw[i].shell);
	}
	for (i = 0; f->sp != NULL && i < f->n; i++) {
		free(f->sp[i].name);
		free(f->sp[i].passwd);
		free(f->sp[i].members);
	}
	free(f->pw);
	free(f->sp);
	memset(f, 0, sizeof(*f));
}

/* Reads and parses path; *present is 0 when it does not exist. */
static int
load(struct audit_ctx *c, const char *path, int which,
    struct audit_pwfile *f, int *present, int *err)
{
	char *buf;
	size_t len;
	int r;

	memset(f, 0, sizeof(*f));
	*present = 0;
	*err = 0;
	if ((r = audit_read(c, path, PW_FILE_MAX, &buf, &len)) != 0) {
		if (r == MAMORI_ENOTFOUND)
			return 0;
		if (r == MAMORI_ENOMEM)
			return r;
		*err = r == MAMORI_ESYS ? errno : EFBIG;
		return 0;
	}
	*present = 1;
	r = audit_pwfile_parse(f, which, buf, len);
	free(buf);
	if (r == MAMORI_ETOOBIG) {
		*err = EFBIG;
		r = 0;
	}
	return r;
}

/* A shell that does not give a session. */
static int
no_login(const char *shell)
{
	static const char *const no[] = { "nologin", "false", "true", "sync",
	    "shutdown", "halt" };
	const char *b = strrchr(shell, '/');
	size_t i;

	b = b != NULL ? b + 1 : shell;
	if (*shell == '\0')
		return 0;		/* login(1) runs /bin/sh */
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcmp(b, no[i]) == 0)
			return 1;
	return 0;
}

/* UID_MIN from login.defs(5), 1000 by default. */
static uint32_t
uid_min(struct audit_ctx *c)
{
	char *buf, *line, *e, *end;
	unsigned long v;
	uint32_t min = 1000;
	size_t len;

	if (audit_read(c, "/etc/login.defs", 1u << 20, &buf, &len) != 0)
		return min;
	for (line = buf, end = buf + len; line < end; line = e < end ? e + 1 : end) {
		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		*e = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "UID_MIN", 7) == 0 &&
		    (line[7] == ' ' || line[7] == '\t') &&
		    sscanf(line + 7, "%lu", &v) == 1 && v > 0 && v < UINT32_MAX)
			min = (uint32_t)v;
	}
	free(buf);
	return min;
}

static int
listed(char **list, const char *name)
{
	char **p;

	if (list == NULL)
		return 0;
	for (p = list; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

static const struct audit_sp *
find_sp(const struct audit_pwfile *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->sp[i].name, name) == 0)
			return &f->sp[i];
	return NULL;
}

/* A password field that locks the account ("*", "!", "!hash"...). */
static int
locked(const char *pw)
{
	return pw[0] == '*' || pw[0] == '!';
}

static int
acct_emit(struct audit_ctx *c, const char *kind, int sev,
    const struct audit_pw *w, const char *file, size_t line,
    const char *hint, const char *text)
{
	json_t *x;
	int r;

	x = json_pack("{s:o?, s:s, s:I}", "user", audit_json_str(w->name,
	    strlen(w->name)), "file", file, "line", (json_int_t)line);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (json_object_set_new(x, "uid", json_integer(w->uid)) != 0 ||
	    json_object_set_new(x, "shell", audit_json_str(w->shell,
	    strlen(w->shell))) != 0) {
		json_decref(x);
		return MAMORI_ENOMEM;
	}
	r = audit_emitf(c, kind, sev, w->name, hint, x, "%s", text);
	json_decref(x);
	return r;
}

static int
malformed(struct audit_ctx *c, const char *file,
    const struct audit_pwfile *f)
{
	json_t *x;
	int r;

	if (f->bad == 0)
		return 0;
	if ((x = json_pack("{s:s, s:I, s:I}", "file", file, "line",
	    (json_int_t)f->first_bad, "count", (json_int_t)f->bad)) == NULL)
		return MAMORI_ENOMEM;
	r = audit_emitf(c, "malformed", AUDIT_SEV_MEDIUM, file, "look at "
	    "the line by hand (vipw -s, grpck): tools skip lines they cannot "
	    "read, and so would an intruder's tricks", x, "%zu line%s of %s "
	    "cannot be read as account entries (first: line %zu)", f->bad,
	    f->bad == 1 ? "" : "s", file, f->first_bad);
	json_decref(x);
	return r;
}

int
audit_check_accounts(struct audit_ctx *c, const struct audit_conf *conf)
{
	struct audit_pwfile pw, sh, gr;
	const struct audit_sp *s;
	char text[1024];
	int r, have_pw, have_sh, have_gr, epw, esh, egr;
	uint32_t min;
	size_t i, j;

	memset(&sh, 0, sizeof(sh));
	memset(&gr, 0, sizeof(gr));
	if ((r = load(c, "/etc/passwd", AUDIT_PW_PASSWD, &pw, &have_pw,
	    &epw)) != 0)
		return r;
	if (!have_pw) {
		audit_pwfile_release(&pw);
		if (epw != 0)
			return audit_fail(c, "cannot read /etc/passwd: %s",
			    strerror(epw));
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no /etc/passwd under the root");
		return 0;
	}
	if ((r = load(c, "/etc/shadow", AUDIT_PW_SHADOW, &sh, &have_sh,
	    &esh)) != 0 || (r = load(c, "/etc/group", AUDIT_PW_GROUP, &gr,
	    &have_gr, &egr)) != 0)
		goto out;
	if (esh != 0)
		audit_note(c, "cannot read /etc/shadow (%s): empty passwords "
		    "there were not checked", strerror(esh));
	min = uid_min(c);

	for (i = 0; r == 0 && i < pw.n; i++) {
		const struct audit_pw *w = &pw.pw[i];

		for (j = 0; j < i; j++)
			if (strcmp(pw.pw[j].name, w->name) == 0)
				break;
		if (j < i) {
			snprintf(text, sizeof(text), "account %s is defined "
			    "twice in /etc/passwd (lines %zu and %zu): tools "
			    "disagree on which one counts", w->name,
			    pw.pw[j].line, w->line);
			r = acct_emit(c, "duplicate_name", AUDIT_SEV_HIGH, w,
			    "/etc/passwd", w->line, "remove the second entry "
			    "(vipw) and find out who added it", text);
			continue;
		}
		if (w->uid == 0 && strcmp(w->name, "root") != 0) {
			snprintf(text, sizeof(text), "account %s has UID 0: "
			    "it is a second root", w->name);
			r = acct_emit(c, "uid0", AUDIT_SEV_CRITICAL, w,
			    "/etc/passwd", w->line, "unless you made it on "
			    "purpose, this is an intruder's way back in: lock "
			    "it (usermod -L -e 1), keep the evidence, and "
			    "treat the host as compromised", text);
			if (r != 0)
				break;
		}
		s = have_sh ? find_sp(&sh, w->name) : NULL;
		if (w->passwd[0] == '\0' || (strcmp(w->passwd, "x") == 0 &&
		    s != NULL && s->passwd[0] == '\0')) {
			snprintf(text, sizeof(text), "account %s has an empty "
			    "password (in %s): anyone can log in as it where "
			    "PAM allows empty passwords (Debian's nullok)",
			    w->name, w->passwd[0] == '\0' ? "/etc/passwd" :
			    "/etc/shadow");
			r = acct_emit(c, "empty_password",
			    w->uid == 0 ? AUDIT_SEV_CRITICAL : AUDIT_SEV_HIGH,
			    w, w->passwd[0] == '\0' ? "/etc/passwd" :
			    "/etc/shadow", w->passwd[0] == '\0' ? w->line :
			    s->line, "set a password or lock the account "
			    "(passwd -l)", text);
			if (r != 0)
				break;
		} else if (strcmp(w->passwd, "x") != 0 &&
		    !locked(w->passwd)) {
			snprintf(text, sizeof(text), "account %s has a "
			    "password hash in /etc/passwd, which everyone can "
			    "read", w->name);
			r = acct_emit(c, "passwd_hash", AUDIT_SEV_HIGH, w,
			    "/etc/passwd", w->line, "move it to /etc/shadow "
			    "(pwconv) and find out who wrote it there", text);
			if (r != 0)
				break;
		}
		if (w->uid != 0 && (w->uid < min || w->uid == 65534) &&
		    !no_login(w->shell) && !listed(conf->shell_allow,
		    w->name)) {
			int usable = s != NULL ? !locked(s->passwd) &&
			    s->passwd[0] != '\0' : !locked(w->passwd) &&
			    strcmp(w->passwd, "x") != 0;

			snprintf(text, sizeof(text), "system account %s (UID "
			    "%u) has the login shell %s%s", w->name,
			    (unsigned)w->uid, w->shell[0] ? w->shell :
			    "(empty: /bin/sh)", usable ? " and a usable "
			    "password" : "");
			r = acct_emit(c, "system_shell", usable ?
			    AUDIT_SEV_MEDIUM : AUDIT_SEV_LOW, w, "/etc/passwd",
			    w->line, "give it /usr/sbin/nologin (usermod -s), "
			    "look for SSH keys in its home, or allow it in "
			    "audit.accounts.shell_allow if it needs a shell",
			    text);
		}
	}
	for (i = 0; r == 0 && have_gr && i < gr.n; i++) {
		const struct audit_sp *g = &gr.sp[i];
		json_t *x;

		if (g->id != 0 || strcmp(g->name, "root") == 0)
			continue;
		x = json_pack("{s:o?, s:s, s:I}", "group",
		    audit_json_str(g->name, strlen(g->name)), "file",
		    "/etc/group", "line", (json_int_t)g->line);
		if (x == NULL) {
			r = MAMORI_ENOMEM;
			break;
		}
		r = audit_emitf(c, "gid0", AUDIT_SEV_HIGH, g->name, "remove "
		    "the group (vigr) unless you made it on purpose", x,
		    "group %s has GID 0: its members share root's group",
		    g->name);
		json_decref(x);
	}
	if (r == 0)
		r = malformed(c, "/etc/passwd", &pw);
	if (r == 0 && have_sh)
		r = malformed(c, "/etc/shadow", &sh);
	if (r == 0 && have_gr)
		r = malformed(c, "/etc/group", &gr);
 out:
	audit_pwfile_release(&pw);
	audit_pwfile_release(&sh);
	audit_pwfile_release(&gr);
	return r;
}
