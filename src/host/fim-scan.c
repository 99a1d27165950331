/*
 * fim-scan.c - walking the configured paths and reading every entry's
 * attributes on a pool of threads, handing the entries back in path
 * order.
 *
 * Pipeline: one walker thread does a depth-first walk with each
 * directory's names sorted (so entries come in fim_path_cmp() order),
 * relative to open directory descriptors (openat/fstatat with
 * O_NOFOLLOW / AT_SYMLINK_NOFOLLOW: a symlink is recorded, never
 * followed, and a directory swapped for a symlink mid-walk is not
 * entered).  It reads directories, symlinks and special files itself
 * and opens regular files (O_NOATIME where allowed), handing them to
 * the workers, which hash them (128 KiB reads) and read their extended
 * attributes.  Every entry sits in an ordered ring until it is done; the
 * caller's thread takes done entries from the head, in walk order.  The
 * ring (RING entries) and the open files (at most MAX_OPEN) bound the
 * memory and descriptors, whatever the size of the tree.
 *
 * Nested paths: a configured path below another takes over its subtree
 * (the deepest rule applies, as in AIDE); a configured path below an
 * excluded or depth-limited part is still reached, without recording
 * the directories on the way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "host/fim-int.h"

#define RING		4096
#define BATCH		64
#define MAX_OPEN	1024
#define READ_BUF	(1u << 17)	/* stays in L2 between copy and hash */
#define MAX_DEPTH	1024

struct scan {
	const struct fim_conf	*conf;
	const struct fim_rule	*rules;
	size_t			 nrules;
	uint8_t			*reached;	/* per rule */
	int			 hash;
	EVP_MD			*md;
	const char		*trust_db;

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv_walker, cv_worker, cv_collect;
	struct fim_entry	*ring[RING];
	size_t			 head, tail;
	struct fim_entry	*jobs[RING];
	size_t			 jhead, jtail;
	size_t			 nopen, max_open;
	int			 walk_done, stop;
	int			 werr;		/* walker's fatal error */
	char			 werrmsg[256];

	/* Walker's own. */
	struct fim_entry	*batch[BATCH];
	size_t			 nbatch;
	char			*path;
	size_t			 pathcap;
	EVP_MD_CTX		*wctx;
};

/* ---- Ring ---- */

static int
flush_batch(struct scan *s)
{
	struct fim_entry *e;
	size_t i;
	int jobs = 0, r = 0;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nbatch; i++) {
		e = s->batch[i];
		while (s->tail - s->head == RING && !s->stop)
			pthread_cond_wait(&s->cv_walker, &s->mu);
		if (s->stop) {
			r = MAMORI_ECLOSED;
			break;
		}
		s->ring[s->tail++ % RING] = e;
		if (e->job) {
			s->jobs[s->jtail++ % RING] = e;
			jobs++;
		} else
			e->done = 1;
	}
	if (r != 0)
		for (; i < s->nbatch; i++)
			fim_entry_free(s->batch[i]);
	s->nbatch = 0;
	if (jobs > 1)
		pthread_cond_broadcast(&s->cv_worker);
	else if (jobs == 1)
		pthread_cond_signal(&s->cv_worker);
	pthread_cond_signal(&s->cv_collect);
	pthread_mutex_unlock(&s->mu);
	return r;
}

static int
push(struct scan *s, struct fim_entry *e)
{
	s->batch[s->nbatch++] = e;
	if (s->nbatch == BATCH || e->job)
		return flush_batch(s);
	return 0;
}

/* Waits until another file may be opened. */
static int
open_slot(struct scan *s)
{
	int r = 0;

	pthread_mutex_lock(&s->mu);
	while (s->nopen >= s->max_open && !s->stop)
		pthread_cond_wait(&s->cv_walker, &s->mu);
	if (s->stop)
		r = MAMORI_ECLOSED;
	else
		s->nopen++;
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- Walker ---- */

static int
set_path(struct scan *s, size_t at, const char *name, size_t nlen)
{
	size_t need = at + 1 + nlen + 1;
	char *p;

	if (need > s->pathcap) {
		size_t cap = s->pathcap ? s->pathcap : 4096;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(s->path, cap)) == NULL)
			return MAMORI_ENOMEM;
		s->path = p;
		s->pathcap = cap;
	}
	if (at == 1 && s->path[0] == '/')
		at = 0;		/* below "/" */
	s->path[at] = '/';
	memcpy(s->path + at + 1, name, nlen);
	s->path[at + 1 + nlen] = '\0';
	return (int)(at + 1 + nlen);
}

/* Is rule path r at or below p (p of length n)? */
static int
below(const char *r, const char *p, size_t n)
{
	if (n == 1 && p[0] == '/')
		return 1;
	return strncmp(r, p, n) == 0 && (r[n] == '\0' || r[n] == '/');
}

static int
open_file(int dfd, const char *name, int flags)
{
	int fd;

	fd = openat(dfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)	/* not the owner, no CAP_FOWNER */
		fd = openat(dfd, name, flags);
	return fd;
}

static int
note(struct fim_entry *e, const char *what, int errnum)
{
	char *s;

	if (asprintf(&s, "%s: %s", what, strerror(errnum)) < 0)
		return MAMORI_ENOMEM;
	free(e->err);
	e->err = s;
	return 0;
}

/* A marker the collector turns into missing(path, errnum). */
static int
push_missing(struct scan *s, const char *path, size_t plen, int errnum)
{
	struct fim_entry *e;

	if ((e = fim_entry_new(path, plen)) == NULL)
		return MAMORI_ENOMEM;
	e->missing = errnum ? errnum : ENOENT;
	return push(s, e);
}

static int walk_dir(struct scan *s, int dfd, size_t plen,
    const struct fim_rule *rule, int depth, int rec, uint64_t rdev,
    size_t lo, size_t hi);

/*
 * One entry at s->path (plen bytes), name within directory dfd (AT_FDCWD
 * and the full path for a configured path).  rec: record it.  Then the
 * subtree when it is a directory to descend into.
 */
static int
visit(struct scan *s, int dfd, const char *name, size_t plen,
    const struct fim_rule *rule, int depth, int rec, int isroot,
    uint64_t rdev, size_t lo, size_t hi, unsigned char dtype)
{
	struct fim_entry *e = NULL;
	struct stat st;
	int fd = -1, r, descend, more, deeper = lo < hi;

	if (!rec) {
		/* Only on the way to configured paths below. */
		if (!deeper || (dtype != DT_DIR && dtype != DT_UNKNOWN))
			return 0;
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			return 0;	/* the rules below are "missing" */
		r = walk_dir(s, fd, plen, rule, depth, 0, rdev, lo, hi);
		close(fd);
		return r;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT && !isroot)
			return 0;	/* gone since readdir */
		return push_missing(s, s->path, plen, errno);
	}
	if (isroot)
		rdev = (uint64_t)st.st_dev;
	/* Its entries are recorded when within the depth and on the same
	 * file system; it is entered for that or for configured paths
	 * below it. */
	more = (rule->depth < 0 || depth < rule->depth) && (isroot ||
	    rule->xdev || (uint64_t)st.st_dev == rdev);
	descend = S_ISDIR(st.st_mode) && (more || deeper);
	if ((e = fim_entry_new(s->path, plen)) == NULL)
		return MAMORI_ENOMEM;
	e->attrs = rule->attrs;
	e->st = st;
	if (S_ISREG(st.st_mode)) {
		if (e->attrs & (FIM_A_HASH | FIM_A_XATTRS | FIM_A_ACL |
		    FIM_A_CAPS | FIM_A_SELINUX)) {
			if ((r = open_slot(s)) != 0) {
				fim_entry_free(e);
				return r;
			}
			e->fd = open_file(dfd, name, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			if (e->fd < 0) {
				int errnum = errno;

				pthread_mutex_lock(&s->mu);
				s->nopen--;
				pthread_mutex_unlock(&s->mu);
				if (errnum == ENOENT) {
					fim_entry_free(e);
					return 0;
				}
				if ((r = note(e, "open", errnum)) != 0) {
					fim_entry_free(e);
					return r;
				}
			}
		}
		e->job = 1;
		return push(s, e);
	}
	if (S_ISDIR(st.st_mode)) {
		fd = open_file(dfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !isroot) {
				fim_entry_free(e);
				return 0;
			}
			if ((r = note(e, "open", errno)) != 0) {
				fim_entry_free(e);
				return r;
			}
			descend = 0;
		}
	}
	if ((r = fim_attr_collect(e, &st, fd, s->md, s->wctx, NULL, 0)) != 0 ||
	    (r = push(s, e)) != 0) {
		if (r == MAMORI_ENOMEM)
			fim_entry_free(e);
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (descend && fd >= 0) {
		if (depth >= MAX_DEPTH)
			r = push_missing(s, s->path, plen, ELOOP);
		else
			r = walk_dir(s, fd, plen, rule, depth, more, rdev,
			    lo, hi);
	}
	if (fd >= 0)
		close(fd);
	return r;
}

struct dent {
	char		*name;
	size_t		 len;
	unsigned char	 type;
};

static int
dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name,
	    ((const struct dent *)b)->name);
}

/* Names of directory dfd, sorted; the caller frees. */
static int
read_names(int dfd, struct dent **out, size_t *nout, char **pool)
{
	struct dent *v = NULL, *nv;
	struct dirent *de;
	size_t n = 0, cap = 0, used = 0, pcap = 0, i;
	char *p = NULL, *np;
	DIR *dir;
	int fd;

	*out = NULL;
	*nout = 0;
	*pool = NULL;
	if ((fd = dup(dfd)) < 0)
		return -errno;
	if ((dir = fdopendir(fd)) == NULL) {
		int errnum = errno;

		close(fd);
		return -errnum;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' && (len == 1 || (len == 2 &&
		    de->d_name[1] == '.')))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		if (used + len + 1 > pcap) {
			pcap = pcap ? pcap * 2 : 4096;
			while (pcap < used + len + 1)
				pcap *= 2;
			if ((np = realloc(p, pcap)) == NULL)
				goto nomem;
			p = np;
		}
		memcpy(p + used, de->d_name, len + 1);
		v[n].name = (char *)(uintptr_t)used;	/* offset for now */
		v[n].len = len;
		v[n].type = de->d_type;
		used += len + 1;
		n++;
	}
	closedir(dir);
	for (i = 0; i < n; i++)
		v[i].name = p + (uintptr_t)v[i].name;
	if (n > 1)
		qsort(v, n, sizeof(*v), dent_cmp);
	*out = v;
	*nout = n;
	*pool = p;
	return 0;
 nomem:
	closedir(dir);
	free(v);
	free(p);
	return MAMORI_ENOMEM;
}

/*
 * The entries of directory dfd (at s->path[0..plen)).  rec: record them
 * (under rule, at depth + 1).  Rules [lo, hi) lie below this directory.
 */
static int
walk_dir(struct scan *s, int dfd, size_t plen, const struct fim_rule *rule,
    int depth, int rec, uint64_t rdev, size_t lo, size_t hi)
{
	const struct fim_conf *c = s->conf;
	struct dent *names;
	size_t n, i, k = lo, m, clen;
	char *pool;
	int r, isroot, crec;
	const struct fim_rule *crule;

	if ((r = read_names(dfd, &names, &n, &pool)) != 0) {
		if (r == MAMORI_ENOMEM)
			return r;
		/* Unreadable directory: said once, its entry stays. */
		return push_missing(s, s->path, plen, -r);
	}
	for (i = 0; i < n && r == 0; i++) {
		if ((r = set_path(s, plen, names[i].name, names[i].len)) < 0)
			break;
		clen = (size_t)r;
		r = 0;
		/* Rules before this name and not below it: their parents
		 * do not exist; they stay unreached (missing). */
		while (k < hi && fim_path_cmp(s->rules[k].path,
		    strlen(s->rules[k].path), s->path, clen) < 0 &&
		    !below(s->rules[k].path, s->path, clen))
			k++;
		isroot = k < hi && strcmp(s->rules[k].path, s->path) == 0;
		m = k + (isroot ? 1 : 0);
		while (m < hi && below(s->rules[m].path, s->path, clen))
			m++;
		if (isroot) {
			crule = &s->rules[k];
			s->reached[k] = 1;
			crec = 1;
			r = visit(s, dfd, names[i].name, clen, crule, 0, 1, 1,
			    rdev, k + 1, m, names[i].type);
		} else {
			crule = rule;
			crec = rec && !fim_excluded(rule->exclude,
			    rule->nexclude, s->path, names[i].name) &&
			    !fim_excluded(c->exclude, c->nexclude, s->path,
			    names[i].name);
			if (crec || k < m)
				r = visit(s, dfd, names[i].name, clen, crule,
				    depth + 1, crec, 0, rdev, k, m,
				    names[i].type);
		}
		k = m;
		s->path[plen] = '\0';
	}
	free(names);
	free(pool);
	return r;
}

static void *
walker(void *arg)
{
	struct scan *s = arg;
	size_t i, j, plen;
	int r = 0;
	char *slash;

	pthread_setname_np(pthread_self(), "mamori-fimwalk");
	for (i = 0; i < s->nrules && r == 0; i = j) {
		/* Rules below rule i are reached through it. */
		for (j = i + 1; j < s->nrules && below(s->rules[j].path,
		    s->rules[i].path, strlen(s->rules[i].path)); j++)
			;
		plen = strlen(s->rules[i].path);
		if ((r = set_path(s, 0, "", 0)) < 0)
			break;
		memcpy(s->path, s->rules[i].path, plen + 1);
		s->reached[i] = 1;
		r = 0;
		/* Open from the parent, so the last component is not
		 * followed either. */
		if (plen == 1) {
			int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			struct fim_entry *e;
			struct stat st;

			if (fd < 0 || fstat(fd, &st) != 0) {
				r = push_missing(s, "/", 1, errno);
				if (fd >= 0)
					close(fd);
				continue;
			}
			if ((e = fim_entry_new("/", 1)) == NULL) {
				close(fd);
				r = MAMORI_ENOMEM;
				break;
			}
			e->attrs = s->rules[i].attrs;
			if ((r = fim_attr_collect(e, &st, fd, s->md, s->wctx,
			    NULL, 0)) != 0 || (r = push(s, e)) != 0) {
				if (r == MAMORI_ENOMEM)
					fim_entry_free(e);
				close(fd);
				break;
			}
			r = walk_dir(s, fd, 1, &s->rules[i],
			    0, s->rules[i].depth != 0, (uint64_t)st.st_dev,
			    i + 1, j);
			close(fd);
			continue;
		}
		slash = strrchr(s->rules[i].path, '/');
		{
			char *parent = strndup(s->rules[i].path,
			    slash == s->rules[i].path ? 1 :
			    (size_t)(slash - s->rules[i].path));
			int pfd;

			if (parent == NULL) {
				r = MAMORI_ENOMEM;
				break;
			}
			pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			free(parent);
			if (pfd < 0) {
				r = push_missing(s, s->rules[i].path, plen,
				    errno);
				continue;
			}
			r = visit(s, pfd, slash + 1, plen, &s->rules[i], 0, 1,
			    1, 0, i + 1, j, DT_UNKNOWN);
			close(pfd);
		}
	}
	for (i = 0; i < s->nrules && r == 0; i++)
		if (!s->reached[i])
			r = push_missing(s, s->rules[i].path,
			    strlen(s->rules[i].path), ENOENT);
	if (r == 0 && s->nbatch > 0)
		r = flush_batch(s);
	pthread_mutex_lock(&s->mu);
	if (r != 0 && r != MAMORI_ECLOSED && s->werr == 0)
		s->werr = r;
	if (r != 0) {
		for (i = 0; i < s->nbatch; i++)
			fim_entry_free(s->batch[i]);
		s->nbatch = 0;
	}
	s->walk_done = 1;
	pthread_cond_broadcast(&s->cv_worker);
	pthread_cond_broadcast(&s->cv_collect);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- Workers ---- */

/*
 * trust_metadata: the baseline's digest of a regular file whose size,
 * mtime, ctime and inode are those recorded.  ctime cannot be set from
 * user space, so a write that restores mtime still shows; what is missed
 * is a change below the file system (the raw device) or with the clock
 * set back.  1 when e->hash was filled.
 */
static int
trusted(struct fim_db *db, struct fim_entry *old, struct fim_entry *e,
    const struct stat *st)
{
	const uint32_t need = FIM_A_SIZE | FIM_A_MTIME | FIM_A_CTIME |
	    FIM_A_INODE | FIM_A_HASH;

	if (db == NULL || fim_db_lookup(db, e->path, old) != 0)
		return 0;
	if (old->type != 'f' || (old->attrs & need) != need ||
	    old->hlen == 0 || old->size != (uint64_t)st->st_size ||
	    old->ino != (uint64_t)st->st_ino ||
	    old->mtime != (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec ||
	    old->ctime != (int64_t)st->st_ctim.tv_sec * 1000000000 +
	    st->st_ctim.tv_nsec)
		return 0;
	memcpy(e->hash, old->hash, old->hlen);
	e->hlen = old->hlen;
	return 1;
}

static void *
worker(void *arg)
{
	struct scan *s = arg;
	struct fim_entry *e;
	struct stat st;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(READ_BUF);
	struct fim_db *db = NULL;
	struct fim_entry *old = NULL;
	struct fim_meta meta;
	char err[256];
	int r, opened, reuse;

	pthread_setname_np(pthread_self(), "mamori-fimhash");
	/* One read-only connection per worker: lookups do not contend. */
	if (s->trust_db != NULL && (old = fim_entry_new("", 0)) != NULL &&
	    fim_db_open(s->trust_db, &db, &meta, err, sizeof(err)) != 0)
		db = NULL;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->jhead == s->jtail && !s->walk_done && !s->stop)
			pthread_cond_wait(&s->cv_worker, &s->mu);
		if (s->stop || s->jhead == s->jtail) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		e = s->jobs[s->jhead++ % RING];
		pthread_mutex_unlock(&s->mu);

		st = e->st;
		opened = e->fd >= 0;
		if (opened && fstat(e->fd, &st) == 0 && (!S_ISREG(st.st_mode) ||
		    st.st_ino != e->st.st_ino || st.st_dev != e->st.st_dev)) {
			/* Replaced between fstatat and open: not this one. */
			close(e->fd);
			e->fd = -1;
			st = e->st;
			r = note(e, "open", EAGAIN);
		}
		reuse = e->fd >= 0 && (e->attrs & FIM_A_HASH) &&
		    trusted(db, old, e, &st);
		if (reuse)
			e->attrs &= ~FIM_A_HASH;
		if (ctx == NULL || buf == NULL)
			r = MAMORI_ENOMEM;
		else
			r = fim_attr_collect(e, &st, e->fd, s->md, ctx, buf,
			    READ_BUF);
		if (reuse)
			e->attrs |= FIM_A_HASH;
		if (e->fd >= 0) {
			close(e->fd);
			e->fd = -1;
		}
		pthread_mutex_lock(&s->mu);
		/* The walker waits for half the slots, not for each one:
		 * woken per slot it would hand out one job per wakeup. */
		if (opened && s->nopen-- == s->max_open / 2)
			pthread_cond_signal(&s->cv_walker);
		if (r != 0 && s->werr == 0) {
			s->werr = r;
			s->stop = 1;
			pthread_cond_broadcast(&s->cv_walker);
			pthread_cond_broadcast(&s->cv_worker);
		}
		e->done = 1;
		if (s->head < s->tail && s->ring[s->head % RING] == e)
			pthread_cond_signal(&s->cv_collect);
		pthread_mutex_unlock(&s->mu);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	fim_db_close(db);
	fim_entry_free(old);
	return NULL;
}

/* ---- Driver ---- */

int
fim_scan(const struct fim_conf *conf, int hash, const struct fim_scan_cb *cb,
    char *err, size_t errlen)
{
	struct scan *s;
	struct fim_entry *out[256];
	pthread_t wt, *th = NULL;
	struct rlimit rl;
	size_t n, i, nth, started = 0;
	int r = 0, cr = 0, walker_up = 0;

	if (conf->nrules == 0) {
		mamori_seterr(err, errlen, "no paths to scan (fim.paths in "
		    "the configuration, or PATH arguments)");
		return MAMORI_ECONFIG;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MAMORI_ENOMEM;
	s->conf = conf;
	s->rules = conf->rules;
	s->nrules = conf->nrules;
	s->hash = hash;
	s->trust_db = cb->trust_db;
	s->max_open = MAX_OPEN;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    && rl.rlim_cur / 2 < s->max_open)
		s->max_open = rl.rlim_cur / 2 > 16 ? rl.rlim_cur / 2 : 16;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv_walker, NULL);
	pthread_cond_init(&s->cv_worker, NULL);
	pthread_cond_init(&s->cv_collect, NULL);
	nth = (size_t)fim_conf_threads(conf);
	if ((s->reached = calloc(s->nrules, 1)) == NULL ||
	    (s->md = fim_md_fetch(hash)) == NULL ||
	    (s->wctx = EVP_MD_CTX_new()) == NULL ||
	    (th = calloc(nth, sizeof(*th))) == NULL) {
		r = MAMORI_ENOMEM;
		goto out;
	}
	for (i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, worker, s) != 0)
			break;
		started++;
	}
	if (started == 0 || pthread_create(&wt, NULL, walker, s) != 0) {
		mamori_seterr(err, errlen, "cannot start the scan threads");
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv_worker);
		pthread_mutex_unlock(&s->mu);
		r = MAMORI_ESYS;
		goto join;
	}
	walker_up = 1;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->stop && !(s->head < s->tail &&
		    s->ring[s->head % RING]->done) &&
		    !(s->head == s->tail && s->walk_done))
			pthread_cond_wait(&s->cv_collect, &s->mu);
		if (s->stop || (s->head == s->tail && s->walk_done)) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		n = 0;
		while (n < 256 && s->head < s->tail &&
		    s->ring[s->head % RING]->done)
			out[n++] = s->ring[s->head++ % RING];
		pthread_cond_signal(&s->cv_walker);
		pthread_mutex_unlock(&s->mu);
		for (i = 0; i < n; i++) {
			if (cr != 0 || out[i]->gone) {
				fim_entry_free(out[i]);
				continue;
			}
			if (out[i]->missing) {
				if (cb->missing != NULL)
					cr = cb->missing(cb->arg, out[i]->path,
					    out[i]->missing);
				fim_entry_free(out[i]);
			} else
				cr = cb->consume(cb->arg, out[i]);
		}
		if (cr != 0) {
			pthread_mutex_lock(&s->mu);
			s->stop = 1;
			pthread_cond_broadcast(&s->cv_walker);
			pthread_cond_broadcast(&s->cv_worker);
			pthread_mutex_unlock(&s->mu);
			break;
		}
	}
 join:
	if (walker_up)
		pthread_join(wt, NULL);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	while (s->head < s->tail)
		fim_entry_free(s->ring[s->head++ % RING]);
	if (r == 0 && cr != 0)
		r = cr;
	if (r == 0 && s->werr != 0) {
		r = s->werr;
		mamori_seterr(err, errlen, "scan: %s", mamori_strerror(r));
	}
 out:
	free(th);
	EVP_MD_CTX_free(s->wctx);
	EVP_MD_free(s->md);
	free(s->reached);
	free(s->path);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv_walker);
	pthread_cond_destroy(&s->cv_worker);
	pthread_cond_destroy(&s->cv_collect);
	free(s);
	return r;
}

int
fim_scan_one(const struct fim_conf *conf, int hash, const char *path,
    struct fim_entry **ep)
{
	static const struct fim_rule dflt = { NULL, FIM_A_DEFAULT, -1, 0,
	    NULL, 0, 0 };
	const struct fim_rule *rule = fim_conf_rule_for(conf, path);
	struct fim_entry *e;
	struct stat st;
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	uint8_t *buf = NULL;
	int fd = -1, r;

	*ep = NULL;
	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ?
		    MAMORI_ENOTFOUND : MAMORI_ESYS;
	if ((e = fim_entry_new(path, strlen(path))) == NULL)
		return MAMORI_ENOMEM;
	e->attrs = (rule ? rule : &dflt)->attrs;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			    O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			fim_entry_free(e);
			return MAMORI_ENOTFOUND;
		}
		if (fd >= 0) {
			struct stat st2;

			if (fstat(fd, &st2) == 0 && st2.st_ino == st.st_ino &&
			    st2.st_dev == st.st_dev)
				st = st2;
			else {
				close(fd);
				fd = -1;
			}
		}
		if (fd < 0 && (r = note(e, "open", errno)) != 0)
			goto out;
	}
	if ((md = fim_md_fetch(hash)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    (buf = malloc(READ_BUF)) == NULL) {
		r = MAMORI_ENOMEM;
		goto out;
	}
	r = fim_attr_collect(e, &st, fd, md, ctx, buf, READ_BUF);
 out:
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (r != 0) {
		fim_entry_free(e);
		return r;
	}
	*ep = e;
	return 0;
}
