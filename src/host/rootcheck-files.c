/*
 * rootcheck-files.c - files and directories of known rootkits, from a
 * data list (etc/rootkits.txt, written for mamori from public
 * descriptions of each rootkit; rootcheck.h gives its format).
 *
 * The list is configuration a person edits, so its parser says FILE:LINE
 * and what is wrong, and a list with one bad line is refused whole.  The
 * check looks each path up inside the root prefix without following the
 * last component (a symbolic link planted at a rootkit's path counts).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "host/rootcheck.h"

static int
hexv(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Reads one token (bare or double-quoted) from *pp (up to e) into a new
 * string; NULL with *why set on a syntax error or ENOMEM. */
static char *
token(const char **pp, const char *e, const char **why)
{
	const char *p = *pp;
	char *out, *o;
	int h1, h2;

	*why = NULL;
	if ((out = malloc((size_t)(e - p) + 1)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	o = out;
	if (*p != '"') {
		while (p < e && *p != ' ' && *p != '\t')
			*o++ = *p++;
		*o = '\0';
		*pp = p;
		return out;
	}
	for (p++; p < e && *p != '"'; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		if (++p >= e)
			break;
		switch (*p) {
		case '"':
		case '\\':
			*o++ = *p;
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'x':
			if (p + 2 >= e || (h1 = hexv(p[1])) < 0 ||
			    (h2 = hexv(p[2])) < 0 || (h1 == 0 && h2 == 0)) {
				free(out);
				*why = "bad \\x escape (two hex digits, not 00)";
				return NULL;
			}
			*o++ = (char)(h1 << 4 | h2);
			p += 2;
			break;
		default:
			free(out);
			*why = "unknown escape (\\\" \\\\ \\t \\n \\xHH)";
			return NULL;
		}
	}
	if (p >= e) {
		free(out);
		*why = "unterminated quote";
		return NULL;
	}
	*o = '\0';
	*pp = p + 1;
	return out;
}

static void
rk_free(struct rootcheck_rk *k)
{
	free(k->what);
	free(k->name);
}

void
rootcheck_list_release(struct rootcheck_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		rk_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int
rootcheck_list_parse(struct rootcheck_list *l, const char *file,
    const char *p, size_t len, char *err, size_t errlen)
{
	static const char *const kinds[] = { "file", "dir", "any", "module" };
	struct rootcheck_list out;
	struct rootcheck_rk k, *nv;
	const char *end = p + len, *e, *q, *why, *ns;
	size_t lineno = 0, i, kl, ncap;
	int r = 0;

	memset(&out, 0, sizeof(out));
	memset(l, 0, sizeof(*l));
	if (len > ROOTCHECK_LIST_BYTES) {
		mamori_seterr(err, errlen, "%s: larger than %u bytes", file,
		    ROOTCHECK_LIST_BYTES);
		return MAMORI_ETOOBIG;
	}
	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		lineno++;
		q = p;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		while (e > q && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			e--;
		if (q == e || *q == '#') {
			e = memchr(p, '\n', (size_t)(end - p));
			if (e == NULL)
				e = end;
			continue;
		}
		if (memchr(q, '\0', (size_t)(e - q)) != NULL) {
			mamori_seterr(err, errlen, "%s:%zu: a NUL byte", file,
			    lineno);
			r = MAMORI_ECONFIG;
			break;
		}
		memset(&k, 0, sizeof(k));
		k.line = lineno;
		for (kl = 0; q + kl < e && q[kl] != ' ' && q[kl] != '\t'; kl++)
			;
		for (i = 0; i < 4; i++)
			if (strlen(kinds[i]) == kl &&
			    strncmp(kinds[i], q, kl) == 0)
				break;
		if (i == 4) {
			mamori_seterr(err, errlen, "%s:%zu: unknown kind "
			    "'%.*s' (file, dir, any or module)", file, lineno,
			    (int)(kl > 32 ? 32 : kl), q);
			r = MAMORI_ECONFIG;
			break;
		}
		k.kind = (int)i;
		q += kl;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q == e) {
			mamori_seterr(err, errlen, "%s:%zu: expected a %s after "
			    "'%s'", file, lineno, k.kind == ROOTCHECK_RK_MODULE ?
			    "module name" : "path", kinds[i]);
			r = MAMORI_ECONFIG;
			break;
		}
		if ((k.what = token(&q, e, &why)) == NULL) {
			mamori_seterr(err, errlen, "%s:%zu: %s", file, lineno,
			    why);
			r = strcmp(why, "out of memory") == 0 ?
			    MAMORI_ENOMEM : MAMORI_ECONFIG;
			break;
		}
		if (k.kind != ROOTCHECK_RK_MODULE && (k.what[0] != '/' ||
		    strlen(k.what) >= PATH_MAX)) {
			mamori_seterr(err, errlen, "%s:%zu: '%s' is not an "
			    "absolute path", file, lineno, k.what);
			rk_free(&k);
			r = MAMORI_ECONFIG;
			break;
		}
		if (k.kind == ROOTCHECK_RK_MODULE && (k.what[0] == '\0' ||
		    strlen(k.what) >= 64 || strchr(k.what, '/') != NULL)) {
			mamori_seterr(err, errlen, "%s:%zu: bad module name",
			    file, lineno);
			rk_free(&k);
			r = MAMORI_ECONFIG;
			break;
		}
		if (q < e && *q != ' ' && *q != '\t') {
			mamori_seterr(err, errlen, "%s:%zu: expected a space "
			    "after the %s", file, lineno,
			    k.kind == ROOTCHECK_RK_MODULE ? "name" : "path");
			rk_free(&k);
			r = MAMORI_ECONFIG;
			break;
		}
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		ns = q;
		if (ns == e) {
			mamori_seterr(err, errlen, "%s:%zu: expected the "
			    "rootkit's name after '%s'", file, lineno, k.what);
			rk_free(&k);
			r = MAMORI_ECONFIG;
			break;
		}
		if ((k.name = strndup(ns, (size_t)(e - ns))) == NULL) {
			rk_free(&k);
			r = MAMORI_ENOMEM;
			break;
		}
		if (out.n == out.cap) {
			if (out.n >= ROOTCHECK_LIST_MAX) {
				mamori_seterr(err, errlen, "%s:%zu: more than "
				    "%u entries", file, lineno,
				    ROOTCHECK_LIST_MAX);
				rk_free(&k);
				r = MAMORI_ETOOBIG;
				break;
			}
			ncap = out.cap ? out.cap * 2 : 64;
			if ((nv = realloc(out.v, ncap * sizeof(*nv))) == NULL) {
				rk_free(&k);
				r = MAMORI_ENOMEM;
				break;
			}
			out.v = nv;
			out.cap = ncap;
		}
		out.v[out.n++] = k;
		e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
	}
	if (r != 0) {
		if (r == MAMORI_ENOMEM)
			mamori_seterr(err, errlen, "%s: out of memory", file);
		rootcheck_list_release(&out);
		return r;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*l = out;
	return 0;
}

int
rootcheck_list_load(struct rootcheck_list *l, const char *path, char *err,
    size_t errlen)
{
	char buf[PATH_MAX], *text;
	size_t len;
	int r;

	memset(l, 0, sizeof(*l));
	if (path == NULL) {
		if (file_bundled_path("MAMORI_ROOTKITS", "etc/rootkits.txt",
		    buf, sizeof(buf)) != 0) {
			mamori_seterr(err, errlen, "the bundled rootkit list "
			    "is missing (last looked for %s)", buf);
			return MAMORI_ENOTFOUND;
		}
		path = buf;
	}
	if ((r = file_read_all(path, ROOTCHECK_LIST_BYTES, &text, &len)) !=
	    0) {
		if (r == MAMORI_ETOOBIG)
			mamori_seterr(err, errlen, "%s: larger than %u bytes",
			    path, ROOTCHECK_LIST_BYTES);
		else if (r == MAMORI_ESYS)
			mamori_seterr(err, errlen, "%s: %s", path,
			    strerror(errno));
		else
			mamori_seterr(err, errlen, "%s: %s", path,
			    mamori_strerror(r));
		return r;
	}
	r = rootcheck_list_parse(l, path, text, len, err, errlen);
	free(text);
	return r;
}

static int
ignored(char **pats, const char *path)
{
	char **p;

	if (pats == NULL)
		return 0;
	for (p = pats; *p != NULL; p++)
		if (fnmatch(*p, path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

static const char *
type_name(mode_t m)
{
	return S_ISDIR(m) ? "directory" : S_ISREG(m) ? "file" :
	    S_ISLNK(m) ? "symlink" : S_ISCHR(m) ? "character device" :
	    S_ISBLK(m) ? "block device" : S_ISFIFO(m) ? "fifo" :
	    S_ISSOCK(m) ? "socket" : "other";
}

/* lstat() of path inside the root. */
static int
root_lstat(struct audit_ctx *c, const char *path, struct stat *st)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r, e;

	if (slash == NULL || slash[1] == '\0')
		return -1;
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = audit_open(c, dir, O_PATH | O_DIRECTORY)) < 0)
		return -1;
	r = fstatat(fd, slash + 1, st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

int
rootcheck_check_files(struct audit_ctx *c, const struct rootcheck_conf *conf,
    const struct rootcheck_list *l)
{
	const struct rootcheck_rk *k;
	struct stat st;
	json_t *x;
	size_t i;
	int r = 0, hit;

	for (i = 0; r == 0 && i < l->n; i++) {
		k = &l->v[i];
		if (k->kind == ROOTCHECK_RK_MODULE ||
		    ignored(conf->rootkit_ignore, k->what))
			continue;
		if (root_lstat(c, k->what, &st) != 0)
			continue;
		hit = k->kind == ROOTCHECK_RK_ANY ||
		    (k->kind == ROOTCHECK_RK_DIR) == (S_ISDIR(st.st_mode) != 0);
		if (!hit)
			continue;
		x = json_pack("{s:o?, s:o?, s:s, s:I}", "path",
		    audit_json_str(k->what, strlen(k->what)), "rootkit",
		    audit_json_str(k->name, strlen(k->name)), "type",
		    type_name(st.st_mode), "list_line", (json_int_t)k->line);
		if (x == NULL)
			return MAMORI_ENOMEM;
		r = audit_emitf(c, S_ISDIR(st.st_mode) ? "dir" : "file",
		    AUDIT_SEV_HIGH, k->what, "look at it from a trusted "
		    "system; if it is what the list says, treat the host as "
		    "compromised (keep the evidence, rebuild); if it is "
		    "yours, add it to rootcheck.rootkit_files.ignore", x,
		    "%s exists (%s): a known path of %s", k->what,
		    type_name(st.st_mode), k->name);
		json_decref(x);
	}
	return r;
}
