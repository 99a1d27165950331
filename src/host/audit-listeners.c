/*
 * audit-listeners.c - listening sockets against the declared inventory.
 *
 * A listener nobody planned is how a backdoor waits for its owner (a
 * bind shell, a trojaned daemon on a second port), and how a forgotten
 * service exposes a host.  The kernel's tables (/proc/net/tcp, udp and their IPv6 twins) give every
 * listening TCP socket and every unconnected UDP one; the owning
 * process comes from the socket inodes in /proc/PID/fd (root sees them
 * all).  Sockets of one address and port (SO_REUSEPORT workers, a
 * server's threads) make one finding.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

struct owner {
	uint64_t	 inode;
	long		 pid;		/* 0: unknown */
	char		 comm[64];
	char		 exe[64];	/* basename of /proc/PID/exe */
};

static int
cmp_owner(const void *a, const void *b)
{
	uint64_t x = ((const struct owner *)a)->inode;
	uint64_t y = ((const struct owner *)b)->inode;

	return x < y ? -1 : x > y;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Reads "PID/name" in procfd into buf, one line, trimmed. */
static void
read_small(int procfd, const char *pid, const char *name, char *buf,
    size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%.20s/%.20s", pid, name);
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void
read_exe(int procfd, const char *pid, char *buf, size_t len)
{
	char path[64], target[4096], *b, *d;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%.20s/exe", pid);
	if ((n = readlinkat(procfd, path, target, sizeof(target) - 1)) <= 0)
		return;
	target[n] = '\0';
	if ((d = strstr(target, " (deleted)")) != NULL && d[10] == '\0')
		*d = '\0';
	b = strrchr(target, '/');
	snprintf(buf, len, "%.*s", (int)len - 1, b != NULL ? b + 1 : target);
}

/*
 * Fills the owners of o[0..n) (sorted by inode) from the fd directories of ROOT/proc.
 * Returns how many were found.
 */
static size_t
find_owners(struct audit_ctx *c, struct owner *o, size_t n)
{
	struct owner key, *hit;
	struct dirent *de, *fe;
	char fdpath[64], target[64];
	unsigned long long ino;
	size_t found = 0;
	DIR *d, *fdd;
	ssize_t k;
	int procfd, fdfd;

	if (n == 0 || (procfd = audit_open(c, "/proc", O_RDONLY |
	    O_DIRECTORY)) < 0)
		return 0;
	if ((d = fdopendir(procfd)) == NULL) {
		close(procfd);
		return 0;
	}
	while (found < n && (de = readdir(d)) != NULL) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(fdpath, sizeof(fdpath), "%.20s/fd", de->d_name);
		if ((fdfd = openat(procfd, fdpath, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			continue;
		if ((fdd = fdopendir(fdfd)) == NULL) {
			close(fdfd);
			continue;
		}
		while ((fe = readdir(fdd)) != NULL) {
			if ((k = readlinkat(fdfd, fe->d_name, target,
			    sizeof(target) - 1)) <= 0)
				continue;
			target[k] = '\0';
			if (sscanf(target, "socket:[%llu]", &ino) != 1)
				continue;
			key.inode = ino;
			hit = bsearch(&key, o, n, sizeof(*o), cmp_owner);
			if (hit == NULL)
				continue;
			/* Equal inodes sit together: fill them all. */
			while (hit > o && hit[-1].inode == ino)
				hit--;
			for (; hit < o + n && hit->inode == ino; hit++) {
				if (hit->pid != 0)
					continue;
				hit->pid = strtol(de->d_name, NULL, 10);
				read_small(procfd, de->d_name, "comm",
				    hit->comm, sizeof(hit->comm));
				read_exe(procfd, de->d_name, hit->exe,
				    sizeof(hit->exe));
				found++;
			}
		}
		closedir(fdd);
	}
	closedir(d);
	return found;
}

/* Does the inventory address of l cover the socket's? */
static int
addr_matches(const struct audit_listen *l, const struct audit_sock *k)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (l->family == 0)
		return 1;
	if (l->family == AF_INET && k->family == AF_INET)
		return memcmp(l->addr, k->laddr, 4) == 0;
	if (l->family == AF_INET && k->family == AF_INET6)
		return memcmp(k->laddr, mapped, 12) == 0 &&
		    memcmp(k->laddr + 12, l->addr, 4) == 0;
	if (l->family == AF_INET6 && k->family == AF_INET6)
		return memcmp(l->addr, k->laddr, 16) == 0;
	return 0;
}

/* Is the program p the one running (comm is cut at 15 bytes)? */
static int
program_matches(const char *p, const struct owner *o)
{
	if (strcmp(p, o->comm) == 0 || strcmp(p, o->exe) == 0)
		return 1;
	return strlen(o->comm) == 15 && strncmp(p, o->comm, 15) == 0;
}

static int
same_endpoint(const struct audit_sock *a, const struct audit_sock *b)
{
	return a->proto == b->proto && a->family == b->family &&
	    a->lport == b->lport && memcmp(a->laddr, b->laddr, 16) == 0;
}

/* The owners of the group's sockets as "nc (pid 42)", joined. */
static void
owners_text(const struct owner *o, size_t n, const struct audit_sock *g,
    const struct audit_sock *v, size_t nv, char *buf, size_t len,
    const struct owner **first)
{
	struct owner key;
	const struct owner *hit;
	size_t i, off = 0, shown = 0;
	int w;

	buf[0] = '\0';
	*first = NULL;
	for (i = 0; i < nv; i++) {
		if (!same_endpoint(g, &v[i]) || !audit_sock_listening(&v[i]))
			continue;
		key.inode = v[i].inode;
		if ((hit = bsearch(&key, o, n, sizeof(*o), cmp_owner)) ==
		    NULL || hit->pid == 0)
			continue;
		if (*first == NULL)
			*first = hit;
		if (strstr(buf, hit->comm) != NULL || shown >= 4)
			continue;
		w = snprintf(buf + off, len - off, "%s%s (pid %ld)",
		    off ? ", " : "", hit->comm[0] ? hit->comm : "?",
		    hit->pid);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
		shown++;
	}
}

static int
report(struct audit_ctx *c, const struct audit_conf *conf,
    const struct audit_sock *g, const struct owner *first,
    const char *who, const struct audit_listen *want)
{
	char subject[96], addr[96], hint[512], *colon;
	json_t *x;
	int r, sev;

	audit_sock_format(g, subject, sizeof(subject));
	snprintf(addr, sizeof(addr), "%s", subject + 4);
	if ((colon = strrchr(addr, ':')) != NULL)
		*colon = '\0';
	x = json_pack("{s:s, s:s, s:i, s:I}", "proto",
	    g->proto == IPPROTO_TCP ? "tcp" : "udp", "address", addr,
	    "port", (int)g->lport, "uid", (json_int_t)g->uid);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (first != NULL &&
	    (json_object_set_new(x, "program", audit_json_str(first->comm,
	    strlen(first->comm))) != 0 ||
	    json_object_set_new(x, "pid", json_integer(first->pid)) != 0)) {
		json_decref(x);
		return MAMORI_ENOMEM;
	}
	if (want != NULL) {
		if (json_object_set_new(x, "expected",
		    audit_json_str(want->program, strlen(want->program))) !=
		    0) {
			json_decref(x);
			return MAMORI_ENOMEM;
		}
		r = audit_emitf(c, "program", AUDIT_SEV_HIGH, subject,
		    "find out why another program holds the port (a "
		    "trojaned or replaced daemon?) and stop it; if the "
		    "change is meant, update audit.listeners.allow", x,
		    "%s is held by %s, but the inventory says %s", subject,
		    who, want->program);
		json_decref(x);
		return r;
	}
	snprintf(hint, sizeof(hint), "if it is meant to be there, add "
	    "\"%s/%u%s%s\" to audit.listeners.allow; if not, find who "
	    "started it (a listener nobody planned is how a backdoor "
	    "waits) and stop it", g->proto == IPPROTO_TCP ? "tcp" : "udp",
	    g->lport, first != NULL ? " " : "",
	    first != NULL ? first->comm : "");
	sev = conf->listen_declared ? AUDIT_SEV_HIGH : AUDIT_SEV_LOW;
	r = audit_emitf(c, "new", sev, subject, hint, x,
	    "%s is listening%s%s%s and is not in the inventory%s", subject,
	    who[0] ? ", held by " : "", who, who[0] ? "," : "",
	    conf->listen_declared ? "" : " (none is declared: "
	    "audit.listeners.allow)");
	json_decref(x);
	return r;
}

int
audit_check_listeners(struct audit_ctx *c, const struct audit_conf *conf)
{
	struct audit_socks s;
	struct owner *o = NULL;
	const struct owner *first;
	const struct audit_listen *want;
	struct audit_sock *g;
	char who[256];
	size_t i, j, no = 0, nfound;
	int r, matched, progok;

	memset(&s, 0, sizeof(s));
	if ((r = audit_socks_read(c, &s, 1, 1)) != 0) {
		if (r == MAMORI_ENOTFOUND) {
			audit_socks_release(&s);
			c->st->state = AUDIT_ST_SKIPPED;
			audit_note(c, "no /proc/net/tcp or udp under the root");
			return 0;
		}
		if (r == MAMORI_ENOMEM) {
			audit_socks_release(&s);
			return r;
		}
		r = audit_fail(c, "cannot read /proc/net: %s",
		    r == MAMORI_ESYS ? strerror(errno) : mamori_strerror(r));
		audit_socks_release(&s);
		return r;
	}
	if ((o = calloc(s.n + 1, sizeof(*o))) == NULL) {
		audit_socks_release(&s);
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < s.n; i++)
		if (audit_sock_listening(&s.v[i]) && s.v[i].inode != 0)
			o[no++].inode = s.v[i].inode;
	qsort(o, no, sizeof(*o), cmp_owner);
	nfound = find_owners(c, o, no);
	if (no > 0 && nfound == 0 && c->live && geteuid() != 0)
		audit_note(c, "not root: the programs behind the sockets "
		    "are unknown");
	r = 0;
	for (i = 0; r == 0 && i < s.n; i++) {
		g = &s.v[i];
		if (!audit_sock_listening(g))
			continue;
		for (j = 0; j < i; j++)
			if (audit_sock_listening(&s.v[j]) &&
			    same_endpoint(&s.v[j], g))
				break;
		if (j < i)
			continue;	/* reported with the first */
		owners_text(o, no, g, s.v, s.n, who, sizeof(who), &first);
		matched = 0;
		progok = 0;
		want = NULL;
		for (j = 0; j < conf->nlisten; j++) {
			const struct audit_listen *l = &conf->listen[j];

			if (l->proto != g->proto || l->port != g->lport ||
			    !addr_matches(l, g))
				continue;
			matched = 1;
			if (l->program == NULL || first == NULL ||
			    program_matches(l->program, first))
				progok = 1;
			else if (want == NULL)
				want = l;
		}
		if (!matched)
			r = report(c, conf, g, first, who, NULL);
		else if (!progok)
			r = report(c, conf, g, first, who, want);
	}
	if (r == 0 && s.bad > 0)
		audit_note(c, "%zu line%s of /proc/net did not parse", s.bad,
		    s.bad == 1 ? "" : "s");
	free(o);
	audit_socks_release(&s);
	return r;
}
