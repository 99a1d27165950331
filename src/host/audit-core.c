/*
 * audit-core.c - what the audit and rootcheck runs share: the root
 * prefix (every system file is opened inside it, symbolic links
 * resolving inside it, with openat2(2) RESOLVE_IN_ROOT), findings as
 * JSON lines that stay valid whatever bytes a file name holds, and the
 * loop over a module's checks with its per-check cap.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

static const char *const sev_names[AUDIT_NSEV] = {
	"info", "low", "medium", "high", "critical",
};

const char *
audit_sev_name(int sev)
{
	return sev >= 0 && sev < AUDIT_NSEV ? sev_names[sev] : NULL;
}

int
audit_sev_syslog(int sev)
{
	static const int map[AUDIT_NSEV] = { 6, 5, 4, 3, 2 };

	return sev >= 0 && sev < AUDIT_NSEV ? map[sev] : 6;
}

static const char *const check_names[AUDIT_NCHECKS] = {
	"listeners", "world_writable", "suid", "accounts", "promisc",
	"clock", "shares", "sshd", "updates", "services",
};

const char *
audit_check_name(int check)
{
	return check >= 0 && check < AUDIT_NCHECKS ? check_names[check] :
	    NULL;
}

int
audit_check_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < AUDIT_NCHECKS; i++)
		if (strlen(check_names[i]) == len &&
		    memcmp(check_names[i], name, len) == 0)
			return i;
	return -1;
}

int
audit_ctx_open(struct audit_ctx *c, const char *root, char *err,
    size_t errlen)
{
	char real[PATH_MAX];
	struct stat st;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->rootfd = -1;
	if (root == NULL || *root == '\0')
		root = "/";
	if (realpath(root, real) == NULL) {
		mamori_seterr(err, errlen, "root %s: %s", root,
		    strerror(errno));
		return MAMORI_ESYS;
	}
	if ((c->rootfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(c->rootfd, &st) != 0) {
		mamori_seterr(err, errlen, "root %s: %s", root,
		    strerror(errno));
		audit_ctx_close(c);
		return MAMORI_ESYS;
	}
	c->live = strcmp(real, "/") == 0;
	n = strlen(real);
	if (c->live)
		n = 0;			/* "" + "/etc/passwd" */
	if ((c->root = strndup(real, n)) == NULL ||
	    (c->realroot = strdup(real)) == NULL) {
		audit_ctx_close(c);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
audit_ctx_close(struct audit_ctx *c)
{
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->rootfd = -1;
	free(c->root);
	free(c->realroot);
	c->root = c->realroot = NULL;
}

int
audit_open(const struct audit_ctx *c, const char *path, int flags)
{
	struct open_how how;
	char buf[PATH_MAX];
	long fd;

	if (path == NULL || path[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if (c->live)
		return open(path, flags | O_CLOEXEC);
	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return (int)fd;
	/* Before Linux 5.6: the plain path (an absolute symbolic link in
	 * the prefix then leads out of it). */
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", c->root, path) >=
	    sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(buf, flags | O_CLOEXEC);
}

int
audit_read(const struct audit_ctx *c, const char *path, size_t max,
    char **bufp, size_t *lenp)
{
	struct stat st;
	size_t len = 0, cap = 4096;
	char *buf, *nb;
	ssize_t n;
	int fd, e;

	*bufp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((fd = audit_open(c, path, O_RDONLY | O_NONBLOCK | O_NOCTTY)) < 0)
		return errno == ENOENT || errno == ENOTDIR ?
		    MAMORI_ENOTFOUND : MAMORI_ESYS;
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return MAMORI_ESYS;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A FIFO or a device where a file should be is an error,
		 * not something to read until it ends. */
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return MAMORI_ESYS;
	}
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return MAMORI_ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1) {
				free(buf);
				close(fd);
				return MAMORI_ETOOBIG;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				return MAMORI_ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(buf);
			close(fd);
			errno = e;
			return MAMORI_ESYS;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			close(fd);
			return MAMORI_ETOOBIG;
		}
	}
	close(fd);
	buf[len] = '\0';
	*bufp = buf;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t need, i;

	if (p[0] < 0x80)
		return p[0] != 0 ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		need = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void *
audit_json_str(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k, o;
	char *b;
	json_t *j;

	for (i = 0; i < n; i += k)
		if ((k = utf8_len(p + i, n - i)) == 0)
			break;
	if (i == n)
		return json_stringn(s, n);
	/* At most 4 bytes out for one in. */
	if (n > (SIZE_MAX - 1) / 4 || (b = malloc(n * 4 + 1)) == NULL)
		return NULL;
	for (i = o = 0; i < n; i += k) {
		if ((k = utf8_len(p + i, n - i)) == 0) {
			o += (size_t)snprintf(b + o, 5, "\\x%02x", p[i]);
			k = 1;
		} else if (p[i] == '\\') {
			b[o++] = '\\';
			b[o++] = '\\';
		} else {
			memcpy(b + o, p + i, k);
			o += k;
		}
	}
	j = json_stringn(b, o);
	free(b);
	return j;
}

static int
set_str(json_t *o, const char *key, const char *v)
{
	json_t *s;

	if (v == NULL)
		return 0;
	if ((s = audit_json_str(v, strlen(v))) == NULL)
		return MAMORI_ENOMEM;
	return json_object_set_new(o, key, s) == 0 ? 0 : MAMORI_ENOMEM;
}

static int
emit_now(struct audit_ctx *c, const struct audit_finding *f)
{
	struct host_finding hf;
	json_t *top = NULL, *o;
	char *line = NULL;
	int r;

	if ((o = json_object()) == NULL)
		return MAMORI_ENOMEM;
	if ((r = set_str(o, "check", c->check)) != 0 ||
	    (r = set_str(o, "kind", f->kind)) != 0 ||
	    (r = set_str(o, "severity", audit_sev_name(f->sev))) != 0 ||
	    (r = set_str(o, "subject", f->subject)) != 0 ||
	    (r = set_str(o, "text", f->text)) != 0 ||
	    (r = set_str(o, "hint", f->hint)) != 0)
		goto out;
	r = MAMORI_ENOMEM;
	if (f->extra != NULL && json_object_update_missing(o,
	    (json_t *)f->extra) != 0)
		goto out;
	if ((top = json_object()) == NULL ||
	    json_object_set(top, c->key, o) != 0 ||
	    (line = json_dumps(top, JSON_COMPACT)) == NULL)
		goto out;
	memset(&hf, 0, sizeof(hf));
	hf.app = c->app;
	hf.severity = audit_sev_syslog(f->sev);
	hf.msgid = c->check;
	hf.json = line;
	hf.len = strlen(line);
	r = c->emit != NULL ? c->emit(c->arg, &hf) : 0;
	if (r == 0) {
		if (c->st != NULL)
			c->st->findings++;
		if (c->total != NULL)
			(*c->total)++;
		if (c->by_sev != NULL && f->sev >= 0 && f->sev < AUDIT_NSEV)
			c->by_sev[f->sev]++;
	}
 out:
	free(line);
	json_decref(o);
	json_decref(top);
	return r;
}

int
audit_emit(struct audit_ctx *c, const struct audit_finding *f)
{
	if (c->max > 0 && c->st != NULL && c->st->findings >= c->max) {
		c->st->dropped++;
		return 0;
	}
	return emit_now(c, f);
}

int
audit_emitf(struct audit_ctx *c, const char *kind, int sev,
    const char *subject, const char *hint, void *extra, const char *fmt,
    ...)
{
	struct audit_finding f;
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.sev = sev;
	f.subject = subject;
	f.text = text;
	f.hint = hint;
	f.extra = extra;
	return audit_emit(c, &f);
}

void
audit_note(struct audit_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->st == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(c->st->note, sizeof(c->st->note), fmt, ap);
	va_end(ap);
}

int
audit_fail(struct audit_ctx *c, const char *fmt, ...)
{
	struct audit_finding f;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->st != NULL) {
		c->st->state = AUDIT_ST_FAILED;
		snprintf(c->st->note, sizeof(c->st->note), "%.*s",
		    (int)sizeof(c->st->note) - 1, text);
	}
	memset(&f, 0, sizeof(f));
	f.kind = "error";
	f.sev = AUDIT_SEV_LOW;
	f.text = text;
	f.hint = "the check did not run completely: fix the cause (an "
	    "intruder may break checks on purpose)";
	return emit_now(c, &f);
}

int
audit_run_checks(struct audit_ctx *c, const int *enabled, size_t n,
    const char *(*name)(int), struct audit_check_status *st,
    int (*run)(struct audit_ctx *, int, void *), void *arg)
{
	struct audit_finding f;
	char text[256];
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		if (!enabled[i]) {
			st[i].state = AUDIT_ST_OFF;
			continue;
		}
		c->check = name((int)i);
		c->st = &st[i];
		st[i].state = AUDIT_ST_RAN;
		if ((r = run(c, (int)i, arg)) != 0)
			return r;
		if (st[i].dropped > 0) {
			snprintf(text, sizeof(text), "%zu more finding%s of "
			    "this check left out (max_findings is %zu)",
			    st[i].dropped, st[i].dropped == 1 ? "" : "s",
			    c->max);
			memset(&f, 0, sizeof(f));
			f.kind = "truncated";
			f.sev = AUDIT_SEV_MEDIUM;
			f.text = text;
			f.hint = "run the check by hand to see them all, and "
			    "fix or allow what it reports";
			if ((r = emit_now(c, &f)) != 0)
				return r;
		}
	}
	c->check = NULL;
	c->st = NULL;
	return 0;
}
