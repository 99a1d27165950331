/*
 * rootcheck-proc.c - hidden processes.
 *
 * ps, top and pidof list /proc; a kernel rootkit hides a process by
 * filtering it out of getdents() on /proc, a user-space one by hooking
 * readdir() in libc (through /etc/ld.so.preload), and a plain intruder
 * by mounting an empty directory over /proc/PID (the listing still has
 * the name, but ps finds nothing in it).  The kernel keeps answering
 * about the process in other ways.  So:
 *
 *   1. list /proc with getdents64(2) itself (no libc readdir to hook),
 *      and each process's task/ directory (its threads: a thread ID
 *      answers probes but is not listed in /proc);
 *   2. probe every PID from 1 to /proc/sys/kernel/pid_max that is
 *      neither listed nor a known thread: kill(pid, 0), getpgid(),
 *      getsid(), sched_getscheduler() (raw system calls) and a lookup of
 *      /proc/PID; any answer means the PID lives;
 *   3. re-check each candidate `rechecks` times (a fresh listing each
 *      time, and its Tgid, to drop processes and threads born during
 *      the scan, and those that died);
 *   4. report mounts over /proc/PID (from /proc/self/mountinfo, and
 *      any /proc/PID whose device is not /proc's).
 *
 * Cost: pid_max probes of 5 system calls each (32768 on a default
 * kernel, 4194304 where systemd raises it: a few seconds), plus one
 * task/ listing per process.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/rootcheck.h"

#define PID_MAX_LIMIT	4194304L	/* the kernel's own bound */
#define DENTS_BUF	32768

struct linux_dirent64 {
	uint64_t	 d_ino;
	int64_t		 d_off;
	unsigned short	 d_reclen;
	unsigned char	 d_type;
	char		 d_name[];
};

struct bits {
	uint64_t	*w;
	long		 max;
};

static int
bits_new(struct bits *b, long max)
{
	b->max = max;
	b->w = calloc((size_t)(max / 64 + 1), sizeof(uint64_t));
	return b->w != NULL ? 0 : MAMORI_ENOMEM;
}

static void
bits_clear(struct bits *b)
{
	memset(b->w, 0, (size_t)(b->max / 64 + 1) * sizeof(uint64_t));
}

static void
bits_set(struct bits *b, long i)
{
	if (i >= 0 && i <= b->max)
		b->w[i / 64] |= 1ull << (i % 64);
}

static int
bits_has(const struct bits *b, long i)
{
	return i >= 0 && i <= b->max && (b->w[i / 64] >> (i % 64)) & 1;
}

/* A PID from a directory entry name, or -1. */
static long
pid_of(const char *s)
{
	long v = 0;

	if (*s == '\0' || *s == '0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > PID_MAX_LIMIT)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Calls fn(pid) for every numeric entry of directory fd (rewound). */
static int
each_pid(int fd, void (*fn)(long, void *), void *arg)
{
	struct linux_dirent64 *de;
	char *buf;
	long n, off, pid;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return MAMORI_ESYS;
	if ((buf = malloc(DENTS_BUF)) == NULL)
		return MAMORI_ENOMEM;
	while ((n = syscall(SYS_getdents64, fd, buf, DENTS_BUF)) > 0)
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct linux_dirent64 *)(buf + off);
			if (de->d_reclen == 0)
				break;
			if ((pid = pid_of(de->d_name)) > 0)
				fn(pid, arg);
		}
	free(buf);
	return n < 0 ? MAMORI_ESYS : 0;
}

struct listing {
	int		 procfd;
	struct bits	 listed;
	struct bits	 tids;
};

static void
add_tid(long tid, void *arg)
{
	bits_set(arg, tid);
}

static void
add_pid(long pid, void *arg)
{
	struct listing *l = arg;
	char path[32];
	int fd;

	bits_set(&l->listed, pid);
	bits_set(&l->tids, pid);
	snprintf(path, sizeof(path), "%ld/task", pid);
	if ((fd = openat(l->procfd, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	(void)each_pid(fd, add_tid, &l->tids);
	close(fd);
}

static int
relist(struct listing *l)
{
	bits_clear(&l->listed);
	bits_clear(&l->tids);
	return each_pid(l->procfd, add_pid, l);
}

/* Which probes say pid lives. */
static unsigned
probe(int procfd, long pid)
{
	char name[24];
	struct stat st;
	unsigned p = 0;

	if (syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno == EPERM)
		p |= ROOTCHECK_PROBE_KILL;
	if (syscall(SYS_getpgid, (pid_t)pid) >= 0)
		p |= ROOTCHECK_PROBE_PGID;
	if (syscall(SYS_getsid, (pid_t)pid) >= 0)
		p |= ROOTCHECK_PROBE_SID;
	if (syscall(SYS_sched_getscheduler, (pid_t)pid) >= 0 ||
	    errno == EPERM)
		p |= ROOTCHECK_PROBE_SCHED;
	snprintf(name, sizeof(name), "%ld", pid);
	if (fstatat(procfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		p |= ROOTCHECK_PROBE_STAT;
	return p;
}

/* The Tgid of /proc/PID/status, or -1. */
static long
tgid_of(int procfd, long pid)
{
	char path[32], buf[4096], *t;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%ld/status", pid);
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((t = strstr(buf, "\nTgid:")) == NULL)
		return -1;
	return strtol(t + 6, NULL, 10);
}

int
rootcheck_hidden_pids(const char *procdir, long pid_max, int rechecks,
    int (*found)(long pid, unsigned probes, void *arg), void *arg)
{
	struct listing l;
	long *cand = NULL, pid, tg;
	unsigned *pr = NULL, p;
	size_t n = 0, cap = 0, i, k;
	int r, round;

	memset(&l, 0, sizeof(l));
	if (pid_max < 1 || pid_max > PID_MAX_LIMIT)
		pid_max = PID_MAX_LIMIT;
	if ((l.procfd = open(procdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return MAMORI_ESYS;
	if ((r = bits_new(&l.listed, pid_max)) != 0 ||
	    (r = bits_new(&l.tids, pid_max)) != 0 ||
	    (r = relist(&l)) != 0)
		goto out;
	for (pid = 1; pid <= pid_max; pid++) {
		if (bits_has(&l.tids, pid))
			continue;
		if ((p = probe(l.procfd, pid)) == 0)
			continue;
		if (n == cap) {
			long *nc;
			unsigned *np;

			cap = cap ? cap * 2 : 16;
			if ((nc = realloc(cand, cap * sizeof(*nc))) == NULL) {
				r = MAMORI_ENOMEM;
				goto out;
			}
			cand = nc;
			if ((np = realloc(pr, cap * sizeof(*np))) == NULL) {
				r = MAMORI_ENOMEM;
				goto out;
			}
			pr = np;
		}
		cand[n] = pid;
		pr[n++] = p;
	}
	for (round = 0; n > 0 && round < rechecks; round++) {
		if ((r = relist(&l)) != 0)
			goto out;
		for (i = k = 0; i < n; i++) {
			pid = cand[i];
			if (bits_has(&l.tids, pid))
				continue;		/* listed now */
			if ((p = probe(l.procfd, pid)) == 0)
				continue;		/* gone */
			tg = tgid_of(l.procfd, pid);
			if (tg > 0 && tg != pid && bits_has(&l.listed, tg))
				continue;		/* a new thread */
			cand[k] = pid;
			pr[k++] = p;
		}
		n = k;
	}
	for (i = 0; i < n; i++)
		if ((r = found(cand[i], pr[i], arg)) != 0)
			break;
 out:
	free(cand);
	free(pr);
	free(l.listed.w);
	free(l.tids.w);
	close(l.procfd);
	return r;
}

/* The check on the running system. */

static void
probes_text(unsigned p, char *buf, size_t len)
{
	static const char *const names[] = { "kill", "getpgid", "getsid",
	    "sched_getscheduler", "lookup of /proc/PID" };
	size_t i, o = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < 5; i++)
		if (p & (1u << i)) {
			w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
			    names[i]);
			if (w < 0 || (size_t)w >= len - o)
				break;
			o += (size_t)w;
		}
}

/* "Name", "PPid", "Uid" of /proc/PID/status into the object. */
static void
status_fields(long pid, json_t *x, char *comm, size_t clen)
{
	char path[64], buf[4096], *t, *e;
	ssize_t n;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (strncmp(buf, "Name:\t", 6) == 0) {
		e = strchr(buf + 6, '\n');
		snprintf(comm, clen, "%.*s", e ? (int)(e - buf - 6) : 0,
		    buf + 6);
		json_object_set_new(x, "program", audit_json_str(comm,
		    strlen(comm)));
	}
	if ((t = strstr(buf, "\nPPid:\t")) != NULL)
		json_object_set_new(x, "ppid", json_integer(strtol(t + 7,
		    NULL, 10)));
	if ((t = strstr(buf, "\nUid:\t")) != NULL)
		json_object_set_new(x, "uid", json_integer(strtol(t + 6,
		    NULL, 10)));
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((n = readlink(path, buf, sizeof(buf) - 1)) > 0)
		json_object_set_new(x, "exe", audit_json_str(buf, (size_t)n));
}

static int
hidden_found(long pid, unsigned probes, void *arg)
{
	struct audit_ctx *c = arg;
	char subject[32], ptext[128], comm[64];
	json_t *x;
	int r;

	snprintf(subject, sizeof(subject), "pid %ld", pid);
	probes_text(probes, ptext, sizeof(ptext));
	if ((x = json_pack("{s:I, s:s}", "pid", (json_int_t)pid, "probes",
	    ptext)) == NULL)
		return MAMORI_ENOMEM;
	status_fields(pid, x, comm, sizeof(comm));
	r = audit_emitf(c, "hidden", AUDIT_SEV_CRITICAL, subject,
	    "treat the host as compromised: a process hidden from /proc is "
	    "a rootkit's; keep memory and disk evidence (do not reboot yet), "
	    "look at it from a trusted system, then rebuild", x, "process "
	    "%ld%s%s%s lives (%s answer) but is not listed in /proc",
	    pid, comm[0] ? " (" : "", comm, comm[0] ? ")" : "", ptext);
	json_decref(x);
	return r;
}

/* Undoes mountinfo's octal escapes (\040) in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
			    (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* The PID of a mount point /proc/PID or /proc/PID/..., or -1. */
static long
proc_mount_pid(const char *mp)
{
	char num[16];
	size_t i;

	if (strncmp(mp, "/proc/", 6) != 0)
		return -1;
	mp += 6;
	for (i = 0; mp[i] >= '0' && mp[i] <= '9' && i < sizeof(num) - 1; i++)
		num[i] = mp[i];
	num[i] = '\0';
	if (i == 0 || (mp[i] != '\0' && mp[i] != '/'))
		return -1;
	return pid_of(num);
}

static int
mount_report(struct audit_ctx *c, long pid, const char *mp,
    const char *source, const char *fstype)
{
	char subject[32], hint[256];
	json_t *x;
	int r, alive;

	alive = syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno == EPERM;
	snprintf(subject, sizeof(subject), "pid %ld", pid);
	x = json_pack("{s:I, s:o?, s:b}", "pid", (json_int_t)pid,
	    "mountpoint", audit_json_str(mp, strlen(mp)), "alive", alive);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (source != NULL)
		json_object_set_new(x, "source", audit_json_str(source,
		    strlen(source)));
	if (fstype != NULL)
		json_object_set_new(x, "fstype", audit_json_str(fstype,
		    strlen(fstype)));
	snprintf(hint, sizeof(hint), "umount %s shows the process (ps -p "
	    "%ld); then find who mounted it there: this hides a process from "
	    "ps and top", mp, pid);
	r = audit_emitf(c, "mount", AUDIT_SEV_CRITICAL, subject, hint, x,
	    "a filesystem%s%s is mounted over %s, hiding what process %ld "
	    "shows%s", source != NULL ? " from " : "",
	    source != NULL ? source : "", mp, pid, alive ? "" :
	    " (no such process now)");
	json_decref(x);
	return r;
}

struct devcheck {
	struct audit_ctx *c;
	int		 procfd;
	dev_t		 dev;
	struct bits	*reported;
	int		 r;
};

static void
dev_one(long pid, void *arg)
{
	struct devcheck *d = arg;
	struct stat st;
	char name[24], mp[40];

	if (d->r != 0 || bits_has(d->reported, pid))
		return;
	snprintf(name, sizeof(name), "%ld", pid);
	if (fstatat(d->procfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    st.st_dev == d->dev)
		return;
	bits_set(d->reported, pid);
	snprintf(mp, sizeof(mp), "/proc/%ld", pid);
	d->r = mount_report(d->c, pid, mp, NULL, NULL);
}

/* Mounts over /proc/PID: mountinfo's, then /proc/PID of another
 * device (a mount hidden from mountinfo). */
static int
proc_mounts(struct audit_ctx *c, long pid_max)
{
	struct devcheck d;
	struct bits reported;
	struct stat st;
	char *buf = NULL, *line, *e, *end, *f[12], *p, *src, *fst;
	size_t len, nf;
	long pid;
	int r;

	if ((r = bits_new(&reported, pid_max)) != 0)
		return r;
	if (audit_read(c, "/proc/self/mountinfo", 64u << 20, &buf, &len) ==
	    0) {
		for (line = buf, end = buf + len; r == 0 && line < end;
		    line = e < end ? e + 1 : end) {
			if ((e = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				e = end;
			*e = '\0';
			for (nf = 0, p = line; nf < 12 && p != NULL; nf++) {
				f[nf] = p;
				if ((p = strchr(p, ' ')) != NULL)
					*p++ = '\0';
			}
			if (nf < 5)
				continue;
			unescape(f[4]);
			if ((pid = proc_mount_pid(f[4])) < 0 ||
			    bits_has(&reported, pid))
				continue;
			src = fst = NULL;
			for (len = 5; len + 2 < nf; len++)
				if (strcmp(f[len], "-") == 0) {
					fst = f[len + 1];
					src = f[len + 2];
					unescape(src);
					break;
				}
			bits_set(&reported, pid);
			r = mount_report(c, pid, f[4], src, fst);
		}
		free(buf);
	}
	memset(&d, 0, sizeof(d));
	if (r == 0 && (d.procfd = open("/proc", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		if (fstat(d.procfd, &st) == 0) {
			d.c = c;
			d.dev = st.st_dev;
			d.reported = &reported;
			(void)each_pid(d.procfd, dev_one, &d);
			r = d.r;
		}
		close(d.procfd);
	}
	free(reported.w);
	return r;
}

/* Is /proc mounted with hidepid (processes of others invisible)? */
static int
hidepid(struct audit_ctx *c)
{
	char *buf, *line, *e, *end, *opts;
	size_t len;
	int found = 0;

	if (audit_read(c, "/proc/self/mountinfo", 64u << 20, &buf, &len) !=
	    0)
		return 0;
	for (line = buf, end = buf + len; line < end; line = e < end ? e + 1 : end) {
		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		*e = '\0';
		if (strstr(line, " /proc ") == NULL ||
		    (opts = strstr(line, " - proc ")) == NULL)
			continue;
		if ((strstr(opts, "hidepid=") != NULL &&
		    strstr(opts, "hidepid=0") == NULL &&
		    strstr(opts, "hidepid=off") == NULL) ||
		    strstr(opts, "subset=pid") != NULL)
			found = 1;
	}
	free(buf);
	return found;
}

int
rootcheck_check_processes(struct audit_ctx *c,
    const struct rootcheck_conf *conf)
{
	char self[32], want[32], *buf;
	long pid_max = 32768;
	ssize_t n;
	int r;

	if (!c->live) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "needs the running system (--root /)");
		return 0;
	}
	snprintf(want, sizeof(want), "%ld", (long)getpid());
	if ((n = readlink("/proc/self", self, sizeof(self) - 1)) <= 0) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "/proc is not mounted");
		return 0;
	}
	self[n] = '\0';
	if (strcmp(self, want) != 0) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "/proc belongs to another PID namespace");
		return 0;
	}
	if (geteuid() != 0 && hidepid(c)) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "/proc hides other users' processes (hidepid): "
		    "run as root");
		return 0;
	}
	if (audit_read(c, "/proc/sys/kernel/pid_max", 64, &buf, NULL) == 0) {
		pid_max = strtol(buf, NULL, 10);
		free(buf);
	}
	if (pid_max < 300 || pid_max > PID_MAX_LIMIT)
		pid_max = PID_MAX_LIMIT;
	r = rootcheck_hidden_pids("/proc", pid_max, conf->rechecks,
	    hidden_found, c);
	if (r == MAMORI_ESYS)
		return audit_fail(c, "cannot list /proc: %s", strerror(errno));
	if (r != 0)
		return r;
	return proc_mounts(c, pid_max);
}
