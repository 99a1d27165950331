/*
 * audit-walk.c - the tree walk under the checks that look at every file
 * of a place (world-writable, SUID, shares, executables in /tmp).
 *
 * Built for whole filesystems (a few hundred thousand entries in well
 * under a second for the walk itself) and for hostile trees: /tmp and
 * shares are written by anyone, so nothing is followed (openat with
 * O_NOFOLLOW, fstatat with AT_SYMLINK_NOFOLLOW, the opened directory
 * checked to be the one stat'ed), FIFOs are never opened, depth is
 * bounded, and listings come from getdents64(2) directly: a rootkit
 * preloaded into mamori (/etc/ld.so.preload) that filters readdir(3)
 * hides nothing from it.  One descriptor and one 16 KiB buffer per
 * level.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "host/audit.h"

#define DENTS_BUF	16384

/* Filesystems without files of their own worth checking: the kernel's
 * views and controls.  autofs is never entered, so that the walk does
 * not mount everything the automounter offers. */
static const unsigned long pseudo_fs[] = {
	0x9fa0,		/* proc */
	0x62656572,	/* sysfs */
	0x1cd1,		/* devpts */
	0x27e0eb,	/* cgroup */
	0x63677270,	/* cgroup2 */
	0x64626720,	/* debugfs */
	0x74726163,	/* tracefs */
	0x73636673,	/* securityfs */
	0x6165676c,	/* pstore */
	0xcafe4a11,	/* bpf */
	0x62656570,	/* configfs */
	0x65735543,	/* fusectl */
	0x19800202,	/* mqueue */
	0x958458f6,	/* hugetlbfs */
	0x0187,		/* autofs */
	0x42494e4d,	/* binfmt_misc */
	0x6e736673,	/* nsfs */
	0xf97cff8c,	/* selinuxfs */
	0x43415d53,	/* smackfs */
	0xde5e81e4,	/* efivarfs */
	0x67596969,	/* rpc_pipefs */
	0x6e667364,	/* nfsd */
};

/* Filesystems of other machines (and FUSE, mostly sshfs and the like):
 * their owners check them. */
static const unsigned long network_fs[] = {
	0x6969,		/* nfs */
	0xff534d42,	/* cifs */
	0xfe534d42,	/* smb2 */
	0x517b,		/* smb */
	0x65735546,	/* fuse */
	0x01021997,	/* 9p */
	0x00c36400,	/* ceph */
	0x5346414f,	/* afs */
	0x6b414653,	/* kafs */
	0x73757245,	/* coda */
	0x564c,		/* ncp */
	0x0bd00bd0,	/* lustre */
	0x13661366,	/* orangefs */
};

struct seen {
	dev_t		*dev;
	ino_t		*ino;
	size_t		 n;
	size_t		 cap;		/* a power of two, or 0 */
};

struct walk {
	struct audit_ctx *c;
	char *const	*exclude;
	int		 flags;
	audit_walk_fn	 fn;
	void		*arg;
	struct seen	 seen;
	int		 deep_reported;
};

static int
fs_in(unsigned long t, const unsigned long *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == t)
			return 1;
	return 0;
}

static size_t
seen_hash(dev_t d, ino_t i)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull ^ (uint64_t)d;

	h ^= h >> 31;
	return (size_t)(h * 0xbf58476d1ce4e5b9ull);
}

/* Returns 1 when (d, i) was seen already, 0 after adding it, or
 * MAMORI_ENOMEM. */
static int
seen_add(struct seen *s, dev_t d, ino_t i)
{
	size_t k, mask, j, ncap;
	dev_t *nd;
	ino_t *ni;

	if (s->n * 2 >= s->cap) {
		ncap = s->cap ? s->cap * 2 : 1024;
		if ((nd = calloc(ncap, sizeof(*nd))) == NULL)
			return MAMORI_ENOMEM;
		if ((ni = calloc(ncap, sizeof(*ni))) == NULL) {
			free(nd);
			return MAMORI_ENOMEM;
		}
		for (j = 0; j < s->cap; j++) {
			if (s->ino[j] == 0)
				continue;
			k = seen_hash(s->dev[j], s->ino[j]) & (ncap - 1);
			while (ni[k] != 0)
				k = (k + 1) & (ncap - 1);
			nd[k] = s->dev[j];
			ni[k] = s->ino[j];
		}
		free(s->dev);
		free(s->ino);
		s->dev = nd;
		s->ino = ni;
		s->cap = ncap;
	}
	if (i == 0)
		i = (ino_t)-1;		/* 0 marks a free slot */
	mask = s->cap - 1;
	for (k = seen_hash(d, i) & mask; s->ino[k] != 0; k = (k + 1) & mask)
		if (s->ino[k] == i && s->dev[k] == d)
			return 1;
	s->dev[k] = d;
	s->ino[k] = i;
	s->n++;
	return 0;
}

static int
excluded(const struct walk *w, const char *path)
{
	char *const *p;

	if (w->exclude == NULL)
		return 0;
	for (p = w->exclude; *p != NULL; p++)
		if (fnmatch(*p, path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

static int
open_dir(int dfd, const char *name)
{
	int fd, fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK;

	/* O_NOATIME keeps the scan from touching access times; only the
	 * owner (or root) may ask for it. */
	if ((fd = openat(dfd, name, fl | O_NOATIME)) < 0 && errno == EPERM)
		fd = openat(dfd, name, fl);
	return fd;
}

struct linux_dirent64 {
	uint64_t	 d_ino;
	int64_t		 d_off;
	unsigned short	 d_reclen;
	unsigned char	 d_type;
	char		 d_name[];
};

static int visit(struct walk *w, int dfd, const char *name,
    const char *path, const struct stat *st, int depth, dev_t startdev);

static int
walk_dir(struct walk *w, int fd, const char *path, int depth,
    dev_t startdev)
{
	struct linux_dirent64 *de;
	struct stat st;
	char *buf, *child = NULL;
	size_t plen = strlen(path), nlen, ccap = 0;
	long n, off;
	int r = 0;

	if ((buf = malloc(DENTS_BUF)) == NULL)
		return MAMORI_ENOMEM;
	while (r == 0 && (n = syscall(SYS_getdents64, fd, buf,
	    DENTS_BUF)) > 0) {
		for (off = 0; r == 0 && off < n; off += de->d_reclen) {
			de = (struct linux_dirent64 *)(buf + off);
			if (de->d_reclen == 0)
				break;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			nlen = strlen(de->d_name);
			if (plen + nlen + 2 > ccap) {
				char *nc;

				ccap = plen + nlen + 2 + 64;
				if ((nc = realloc(child, ccap)) == NULL) {
					r = MAMORI_ENOMEM;
					break;
				}
				child = nc;
			}
			if (plen == 1 && path[0] == '/')
				snprintf(child, ccap, "/%s", de->d_name);
			else
				snprintf(child, ccap, "%s/%s", path,
				    de->d_name);
			if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW |
			    AT_NO_AUTOMOUNT) != 0)
				continue;	/* gone since the listing */
			r = visit(w, fd, de->d_name, child, &st, depth + 1,
			    startdev);
		}
	}
	free(child);
	free(buf);
	return r;
}

static int
visit(struct walk *w, int dfd, const char *name, const char *path,
    const struct stat *st, int depth, dev_t startdev)
{
	struct audit_walk_ent e;
	struct statfs sf;
	struct stat dst;
	int fd, r;

	if (excluded(w, path))
		return 0;
	e.dirfd = dfd;
	e.name = name;
	e.path = path;
	e.st = st;
	e.depth = depth;
	if ((r = w->fn(w->c, &e, w->arg)) < 0)
		return r;
	if (r == AUDIT_WALK_PRUNE || !S_ISDIR(st->st_mode))
		return 0;
	if ((w->flags & AUDIT_WALK_XDEV) && st->st_dev != startdev)
		return 0;
	if (depth >= AUDIT_WALK_MAX_DEPTH) {
		if (w->deep_reported++ == 0)
			return audit_emitf(w->c, "too_deep", AUDIT_SEV_MEDIUM,
			    path, "look at what is there: trees this deep "
			    "hide files from scanners", NULL, "directory "
			    "tree deeper than %d levels: not searched below "
			    "%s", AUDIT_WALK_MAX_DEPTH, path);
		return 0;
	}
	if ((r = seen_add(&w->seen, st->st_dev, st->st_ino)) != 0)
		return r < 0 ? r : 0;
	if ((fd = open_dir(dfd, name)) < 0)
		return 0;	/* unreadable (not root), or gone */
	if (fstat(fd, &dst) != 0 || dst.st_dev != st->st_dev ||
	    dst.st_ino != st->st_ino) {
		close(fd);	/* replaced between stat and open */
		return 0;
	}
	if (depth == 0 || dst.st_dev != startdev) {
		if (fstatfs(fd, &sf) == 0 &&
		    (fs_in((unsigned long)sf.f_type, pseudo_fs,
		    sizeof(pseudo_fs) / sizeof(pseudo_fs[0])) ||
		    (!(w->flags & AUDIT_WALK_NETWORK) &&
		    fs_in((unsigned long)sf.f_type, network_fs,
		    sizeof(network_fs) / sizeof(network_fs[0]))))) {
			close(fd);
			return 0;
		}
	}
	r = walk_dir(w, fd, path, depth, startdev);
	close(fd);
	return r;
}

struct start {
	char	*host;		/* real path on this machine */
	char	*label;		/* inside the root */
};

static int
cmp_start(const void *a, const void *b)
{
	return strcmp(((const struct start *)a)->label,
	    ((const struct start *)b)->label);
}

/* Is b inside a (or a itself)? */
static int
path_within(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

int
audit_walk(struct audit_ctx *c, char *const *paths, char *const *exclude,
    int flags, audit_walk_fn fn, void *arg)
{
	struct start *s = NULL;
	struct walk w;
	struct stat st;
	char link[64], real[PATH_MAX], *slash, *base;
	size_t n = 0, i, j, rl;
	ssize_t k;
	int fd, pfd, r = 0;

	if (paths == NULL)
		return 0;
	for (i = 0; paths[i] != NULL; i++)
		;
	if (i == 0)
		return 0;
	if ((s = calloc(i, sizeof(*s))) == NULL)
		return MAMORI_ENOMEM;
	rl = strlen(c->realroot);
	for (i = 0; paths[i] != NULL; i++) {
		if ((fd = audit_open(c, paths[i], O_PATH)) < 0)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		k = readlink(link, real, sizeof(real) - 1);
		close(fd);
		if (k <= 0)
			continue;
		real[k] = '\0';
		if (c->live)
			base = real;
		else if (strncmp(real, c->realroot, rl) == 0 &&
		    (real[rl] == '/' || real[rl] == '\0'))
			base = real[rl] == '\0' ? "/" : real + rl;
		else
			continue;	/* outside the root: a race */
		if ((s[n].host = strdup(real)) == NULL ||
		    (s[n].label = strdup(base)) == NULL) {
			free(s[n].host);
			r = MAMORI_ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(s, n, sizeof(*s), cmp_start);
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.exclude = exclude;
	w.flags = flags;
	w.fn = fn;
	w.arg = arg;
	for (i = 0; r == 0 && i < n; i++) {
		for (j = 0; j < i; j++)
			if (s[j].label != NULL &&
			    path_within(s[j].label, s[i].label))
				break;
		if (j < i) {
			free(s[i].label);
			s[i].label = NULL;	/* inside an earlier one */
			continue;
		}
		if (strcmp(s[i].host, "/") == 0) {
			pfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			base = ".";
		} else {
			slash = strrchr(s[i].host, '/');
			*slash = '\0';
			pfd = open(slash == s[i].host ? "/" : s[i].host,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			*slash = '/';
			base = slash + 1;
		}
		if (pfd < 0)
			continue;
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW |
		    AT_NO_AUTOMOUNT) == 0)
			r = visit(&w, pfd, base, s[i].label, &st, 0,
			    st.st_dev);
		close(pfd);
	}
	free(w.seen.dev);
	free(w.seen.ino);
 out:
	for (i = 0; i < n; i++) {
		free(s[i].host);
		free(s[i].label);
	}
	free(s);
	return r;
}
