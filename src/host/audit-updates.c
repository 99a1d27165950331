/*
 * audit-updates.c - pending security updates, from apt's own view.
 *
 * The audit does not touch the network (an agent must not download
 * package lists on its own schedule, and the lists may be fetched
 * through a proxy the agent does not know): it asks apt what an upgrade
 * would install from the lists already on disk, with
 *
 *   apt-get -s -o Debug::NoLocking=1 dist-upgrade
 *
 * ("-s" simulates: nothing is installed, nothing locked), and reads the
 * "Inst" lines, whose origins name the archive each version comes from
 * ("Debian-Security:12/stable-security").  With a root prefix, apt is
 * pointed at the prefix's configuration, lists and dpkg status
 * (-o Dir=ROOT), so a mounted disk is judged by its own lists.  Lists
 * older than audit.updates.max_list_age make a finding of their own:
 * the answer is only as fresh as they are.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

#define APT_OUT_MAX	(64u << 20)
#define APT_ERR_MAX	4096
#define APT_TIMEOUT_MS	(600 * 1000)

static int
grow(struct audit_apt *a)
{
	struct audit_apt_pkg *nv;
	size_t ncap;

	if (a->n < a->cap)
		return 0;
	if (a->n >= AUDIT_APT_MAX)
		return MAMORI_ETOOBIG;
	ncap = a->cap ? a->cap * 2 : 32;
	if ((nv = realloc(a->v, ncap * sizeof(*nv))) == NULL)
		return MAMORI_ENOMEM;
	a->v = nv;
	a->cap = ncap;
	return 0;
}

static int
contains_ci(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w), i;

	for (i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0)
			return 1;
	return 0;
}

/* "Label:Version/Archive, Label:Version/Archive" */
static int
origins_security(const char *s, size_t n)
{
	const char *p = s, *e, *end = s + n, *colon, *slash;
	size_t l;

	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
			e = end;
		while (p < e && *p == ' ')
			p++;
		l = (size_t)(e - p);
		colon = memchr(p, ':', l);
		if (contains_ci(p, colon != NULL ? (size_t)(colon - p) : l,
		    "security"))
			return 1;
		slash = memchr(p, '/', l);
		if (slash != NULL) {
			size_t al = (size_t)(e - slash - 1);

			while (al > 0 && slash[al] == ' ')
				al--;
			if (al >= 9 && strncasecmp(slash + 1 + al - 9,
			    "-security", 9) == 0)
				return 1;
		}
		if (e == end)
			break;
	}
	return 0;
}

static int
parse_inst(const char *p, size_t n, struct audit_apt_pkg *k)
{
	const char *e = p + n, *q, *name, *old = NULL, *close, *sp, *lb;
	size_t nl, ol = 0;

	memset(k, 0, sizeof(*k));
	name = p;
	for (q = p; q < e && *q != ' '; q++)
		;
	if ((nl = (size_t)(q - name)) == 0 || q >= e)
		return 1;
	q++;
	if (q < e && *q == '[') {
		old = q + 1;
		if ((close = memchr(old, ']', (size_t)(e - old))) == NULL)
			return 1;
		ol = (size_t)(close - old);
		q = close + 1;
		if (q < e && *q == ' ')
			q++;
	}
	if (q >= e || *q != '(')
		return 1;
	q++;
	if ((close = memchr(q, ')', (size_t)(e - q))) == NULL)
		return 1;
	/* q..close: "NEW ORIGINS [ARCH]" */
	if ((sp = memchr(q, ' ', (size_t)(close - q))) == NULL || sp == q)
		return 1;
	lb = NULL;
	if (close - sp > 2 && close[-1] == ']') {
		for (lb = close - 2; lb > sp && *lb != '['; lb--)
			;
		if (*lb != '[')
			lb = NULL;
	}
	if ((k->name = strndup(name, nl)) == NULL ||
	    (old != NULL && (k->old = strndup(old, ol)) == NULL) ||
	    (k->new = strndup(q, (size_t)(sp - q))) == NULL)
		goto nomem;
	if (lb != NULL) {
		if ((k->arch = strndup(lb + 1, (size_t)(close - lb - 2))) ==
		    NULL)
			goto nomem;
	} else
		lb = close;
	while (lb > sp + 1 && lb[-1] == ' ')
		lb--;
	if ((k->origins = strndup(sp + 1, (size_t)(lb > sp + 1 ?
	    lb - sp - 1 : 0))) == NULL)
		goto nomem;
	k->security = origins_security(k->origins, strlen(k->origins));
	return 0;
 nomem:
	free(k->name);
	free(k->old);
	free(k->new);
	free(k->arch);
	memset(k, 0, sizeof(*k));
	return MAMORI_ENOMEM;
}

int
audit_apt_parse(struct audit_apt *a, const char *p, size_t len)
{
	const char *end = p + len, *e;
	int r;

	for (; p < end; p = e < end ? e + 1 : end) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e - p < 5 || memcmp(p, "Inst ", 5) != 0)
			continue;
		if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
			a->bad++;
			continue;
		}
		if ((r = grow(a)) != 0)
			return r;
		r = parse_inst(p + 5, (size_t)(e - p - 5), &a->v[a->n]);
		if (r == MAMORI_ENOMEM)
			return r;
		if (r > 0) {
			a->bad++;
			continue;
		}
		a->n++;
	}
	return 0;
}

void
audit_apt_release(struct audit_apt *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].old);
		free(a->v[i].new);
		free(a->v[i].origins);
		free(a->v[i].arch);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/*
 * Runs argv, collecting standard output (at most APT_OUT_MAX) and the
 * start of standard error.  Returns 0 with *status, MAMORI_ENOTFOUND
 * when the program does not exist, MAMORI_ETOOBIG, MAMORI_ESYS (errno),
 * or MAMORI_ENOMEM.
 */
static int
run_cmd(char *const *argv, char **out, size_t *outlen, char *err,
    size_t errlen, int *status)
{
	static char *const envp[] = { "LC_ALL=C",
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	    NULL };
	posix_spawn_file_actions_t fa;
	struct pollfd pfd[2];
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, r, e, open_fds;
	size_t cap = 65536, el = 0;
	char *buf = NULL, *nb, tmp[4096];
	struct timespec t0, t1;
	pid_t pid;
	ssize_t n;
	long waited;

	*out = NULL;
	*outlen = 0;
	err[0] = '\0';
	if (pipe2(op, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0) {
		e = errno;
		r = MAMORI_ESYS;
		goto fail;
	}
	if ((buf = malloc(cap)) == NULL) {
		r = MAMORI_ENOMEM;
		e = ENOMEM;
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	if (e != 0) {
		r = e == ENOENT ? MAMORI_ENOTFOUND : MAMORI_ESYS;
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	open_fds = 2;
	r = 0;
	while (open_fds > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		waited = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= APT_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			snprintf(err, errlen, "timed out");
			r = MAMORI_EIO;
			break;
		}
		pfd[0].fd = op[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = ep[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)(APT_TIMEOUT_MS - waited)) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			r = MAMORI_ESYS;
			break;
		}
		if (pfd[0].revents && op[0] >= 0) {
			if (*outlen + 1 >= cap) {
				if (cap >= APT_OUT_MAX) {
					kill(pid, SIGKILL);
					r = MAMORI_ETOOBIG;
					break;
				}
				cap *= 2;
				if ((nb = realloc(buf, cap)) == NULL) {
					kill(pid, SIGKILL);
					r = MAMORI_ENOMEM;
					break;
				}
				buf = nb;
			}
			n = read(op[0], buf + *outlen, cap - *outlen - 1);
			if (n > 0)
				*outlen += (size_t)n;
			else if (n == 0 || errno != EINTR) {
				close(op[0]);
				op[0] = -1;
				open_fds--;
			}
		}
		if (pfd[1].revents && ep[0] >= 0) {
			n = read(ep[0], tmp, sizeof(tmp));
			if (n > 0) {
				if (el + 1 < errlen) {
					size_t k = (size_t)n;

					if (k > errlen - el - 1)
						k = errlen - el - 1;
					memcpy(err + el, tmp, k);
					el += k;
					err[el] = '\0';
				}
			} else if (n == 0 || errno != EINTR) {
				close(ep[0]);
				ep[0] = -1;
				open_fds--;
			}
		}
		if (op[0] < 0)
			pfd[0].fd = -1;
		if (ep[0] < 0)
			pfd[1].fd = -1;
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (op[0] >= 0)
		close(op[0]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (r != 0) {
		free(buf);
		*outlen = 0;
		return r;
	}
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
 fail:
	free(buf);
	if (op[0] >= 0)
		close(op[0]);
	if (op[1] >= 0)
		close(op[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	errno = e;
	return r;
}

/* The newest mtime of the Release files in the lists, or 0. */
static time_t
lists_time(struct audit_ctx *c, size_t *count)
{
	struct dirent *de;
	struct stat st;
	time_t newest = 0;
	size_t n;
	DIR *d;
	int fd;

	*count = 0;
	if ((fd = audit_open(c, "/var/lib/apt/lists", O_RDONLY |
	    O_DIRECTORY)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (!((n > 10 && strcmp(de->d_name + n - 10, "_InRelease") ==
		    0) || (n > 8 && strcmp(de->d_name + n - 8, "_Release") ==
		    0)))
			continue;
		if (fstatat(fd, de->d_name, &st, 0) != 0)
			continue;
		(*count)++;
		if (st.st_mtime > newest)
			newest = st.st_mtime;
	}
	closedir(d);
	return newest;
}

static int
stale(struct audit_ctx *c, const struct audit_conf *conf)
{
	size_t count;
	time_t t = lists_time(c, &count), now = time(NULL);
	long days;
	json_t *x;
	int r;

	if (conf->list_max_age_ns <= 0)
		return 0;
	if (count == 0)
		return audit_emitf(c, "stale_lists", AUDIT_SEV_LOW,
		    "/var/lib/apt/lists", "run apt-get update (or let "
		    "unattended-upgrades do it daily)", NULL, "apt has no "
		    "package lists: pending security updates cannot be "
		    "known");
	if ((int64_t)(now - t) * 1000000000 <= conf->list_max_age_ns)
		return 0;
	days = (long)((now - t) / 86400);
	if ((x = json_pack("{s:I}", "age_s", (json_int_t)(now - t))) == NULL)
		return MAMORI_ENOMEM;
	r = audit_emitf(c, "stale_lists", AUDIT_SEV_LOW, "/var/lib/apt/lists",
	    "run apt-get update (or let unattended-upgrades do it daily)", x,
	    "apt's package lists are %ld day%s old: updates published since "
	    "are not known", days, days == 1 ? "" : "s");
	json_decref(x);
	return r;
}

int
audit_check_updates(struct audit_ctx *c, const struct audit_conf *conf)
{
	char *argv[16], dir[4200], status[4300], err[APT_ERR_MAX], *out = NULL;
	struct audit_apt a;
	size_t outlen, i, other = 0, k = 0;
	int r, st, fd;
	json_t *x;

	memset(&a, 0, sizeof(a));
	if ((fd = audit_open(c, "/var/lib/dpkg/status", O_RDONLY)) < 0) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no /var/lib/dpkg/status: not a Debian system");
		return 0;
	}
	close(fd);
	if ((r = stale(c, conf)) != 0)
		return r;
	argv[k++] = conf->apt_get;
	argv[k++] = "-s";
	argv[k++] = "-o";
	argv[k++] = "Debug::NoLocking=1";
	argv[k++] = "-o";
	argv[k++] = "APT::Get::Show-User-Simulation-Note=false";
	if (!c->live) {
		snprintf(dir, sizeof(dir), "Dir=%s", c->realroot);
		snprintf(status, sizeof(status),
		    "Dir::State::status=%s/var/lib/dpkg/status", c->realroot);
		argv[k++] = "-o";
		argv[k++] = dir;
		argv[k++] = "-o";
		argv[k++] = status;
	}
	argv[k++] = "dist-upgrade";
	argv[k] = NULL;
	r = run_cmd(argv, &out, &outlen, err, sizeof(err), &st);
	if (r == MAMORI_ENOTFOUND) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "%s is not installed", conf->apt_get);
		return 0;
	}
	if (r == MAMORI_ENOMEM)
		return r;
	if (r != 0)
		return audit_fail(c, "%s: %s", conf->apt_get, r == MAMORI_ESYS ?
		    strerror(errno) : err[0] ? err : mamori_strerror(r));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		err[strcspn(err, "\n")] = '\0';
		free(out);
		return audit_fail(c, "%s -s dist-upgrade failed (status "
		    "%d): %s", conf->apt_get, WIFEXITED(st) ?
		    WEXITSTATUS(st) : 128 + WTERMSIG(st), err[0] ? err :
		    "no message");
	}
	r = audit_apt_parse(&a, out, outlen);
	free(out);
	for (i = 0; r == 0 && i < a.n; i++) {
		const struct audit_apt_pkg *p = &a.v[i];

		if (!p->security) {
			other++;
			continue;
		}
		x = json_pack("{s:o?, s:o?, s:o?, s:o?}", "package",
		    audit_json_str(p->name, strlen(p->name)), "candidate",
		    audit_json_str(p->new, strlen(p->new)), "origin",
		    audit_json_str(p->origins, strlen(p->origins)), "arch",
		    p->arch != NULL ? audit_json_str(p->arch,
		    strlen(p->arch)) : NULL);
		if (x == NULL) {
			r = MAMORI_ENOMEM;
			break;
		}
		if (p->old != NULL && json_object_set_new(x, "installed",
		    audit_json_str(p->old, strlen(p->old))) != 0) {
			json_decref(x);
			r = MAMORI_ENOMEM;
			break;
		}
		r = audit_emitf(c, "security", AUDIT_SEV_MEDIUM, p->name,
		    "apt-get update && apt-get upgrade (unattended-upgrades "
		    "installs security updates daily)", x, "security update "
		    "pending: %s %s -> %s (%s)", p->name,
		    p->old != NULL ? p->old : "(new)", p->new, p->origins);
		json_decref(x);
	}
	if (r == 0 && (other > 0 || a.bad > 0))
		audit_note(c, "%zu other update%s pending%s", other,
		    other == 1 ? "" : "s", a.bad > 0 ? "; some apt output "
		    "did not parse" : "");
	audit_apt_release(&a);
	return r == MAMORI_ETOOBIG ? 0 : r;
}
