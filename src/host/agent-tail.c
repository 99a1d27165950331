/*
 * agent-tail.c - following log files by inode, across rotation,
 * truncation and restarts.
 *
 *   rotation (rename, then a new file): the old file is kept open and
 *     read until it has been idle for logs.rotate_grace (a daemon writes
 *     to it until it reopens its log), then its last unterminated line is
 *     sent and it is closed; the new file is read from its start.
 *   removal: the same, without a new file until one appears.
 *   copytruncate (size below our position, or the first bytes changed):
 *     read again from 0, and the server is told ("log-truncated"): an
 *     intruder emptying a log looks the same.
 *   files that do not exist yet: read from 0 when they appear.
 *   restarts: positions (device, inode, offset and a SHA-256 of the first
 *     up to 1 KiB) are saved after each queue fsync.  At start a file with
 *     the same inode and first bytes resumes; a different one means it
 *     was rotated meanwhile: the old inode is looked for in the same
 *     directory (auth.log.1) and its rest read first, else the server is
 *     told lines may be lost ("log-replaced").  A file never seen before
 *     starts at its end (logs.start: end) or its beginning.
 *
 * inotify on each file's directory says when to look; every file is also
 * looked at every logs.poll, since inotify misses changes on network
 * file systems and through symlinks.  Lines are split on LF (a CR before
 * it is dropped); a line longer than logs.max_line is cut there, sent
 * marked cut="1", and its rest skipped.  An unterminated last line waits
 * for its LF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "host/agent.h"

#define READ_ROUND	(8u << 20)	/* bytes per file per check */

struct tail_file {
	const struct agent_log_conf *lc;
	char		*sdpath;
	char		*dir;		/* parent directory */
	const char	*base;		/* into lc->path */
	size_t		 dirix;		/* into t->dirs */
	int		 fd;
	uint64_t	 dev, ino, pos;
	uint8_t		 sig[32];
	uint32_t	 siglen;
	int		 skipping;	/* inside a cut line */
	/* the rotated-away file, read until idle */
	int		 old_fd;
	uint64_t	 old_dev, old_ino, old_pos, old_size;
	int		 old_skipping;
	int64_t		 old_active_ns;
	int		 marked;	/* inotify named it */
	int		 opened;	/* opened at least once this run */
	int		 existed;	/* there at start */
	int		 warned;	/* "not a regular file" said */
	int		 have_saved;	/* an entry in the positions file */
	struct agent_pos saved;
};

struct tail_dir {
	char		*path;
	int		 wd;
};

struct agent_tail {
	const struct agent_conf *c;
	char		*pos_path;
	struct tail_file *f;
	size_t		 n;
	struct tail_dir	*dirs;
	size_t		 ndirs;
	int		 ifd;
	uint8_t		*buf;
	size_t		 cap;
	agent_line_fn	 line;
	agent_note_fn	 note;
	void		*arg;
	struct agent_pos *orphans;	/* saved entries of unlisted paths */
	size_t		 norphans;
};

static void
sig_of(int fd, uint64_t size, uint8_t sig[32], uint32_t *siglen)
{
	uint8_t buf[AGENT_SIG_MAX];
	size_t want = size < AGENT_SIG_MAX ? (size_t)size : AGENT_SIG_MAX;
	ssize_t n = pread(fd, buf, want, 0);
	unsigned int mdlen;

	if (n < 0)
		n = 0;
	EVP_Digest(buf, (size_t)n, sig, &mdlen, EVP_sha256(), NULL);
	*siglen = (uint32_t)n;
}

/* Whether fd's first siglen bytes still hash to sig. */
static int
sig_matches(int fd, uint32_t siglen, const uint8_t sig[32])
{
	uint8_t buf[AGENT_SIG_MAX], md[32];
	unsigned int mdlen;
	ssize_t n;

	if (siglen > AGENT_SIG_MAX)
		return 0;
	n = pread(fd, buf, siglen, 0);
	if (n != (ssize_t)siglen)
		return 0;
	EVP_Digest(buf, siglen, md, &mdlen, EVP_sha256(), NULL);
	return memcmp(md, sig, 32) == 0;
}

/* ---- reading lines ---- */

static void
emit(struct agent_tail *t, struct tail_file *tf, const uint8_t *p,
    size_t len, int cut)
{
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > t->c->max_line) {
		len = t->c->max_line;
		cut = 1;
	}
	if (len == 0 && !cut)
		return;		/* an empty line says nothing */
	t->line(t->arg, tf->lc, tf->sdpath, p, len, cut);
}

/*
 * Reads fd from *pos and sends its complete lines (and, with final, an
 * unterminated last one).  Returns bytes read; *more when the round's
 * budget ran out first.
 */
static uint64_t
read_lines(struct agent_tail *t, struct tail_file *tf, int fd, uint64_t *pos,
    int *skipping, int final, int *more)
{
	uint64_t total = 0;
	const uint8_t *s, *e, *nl;
	ssize_t n;

	for (;;) {
		if (total >= READ_ROUND) {
			*more = 1;
			break;
		}
		n = pread(fd, t->buf, t->cap, (off_t)*pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (uint64_t)n;
		s = t->buf;
		e = t->buf + n;
		while (s < e && (nl = memchr(s, '\n', (size_t)(e - s))) !=
		    NULL) {
			if (*skipping)
				*skipping = 0;
			else
				emit(t, tf, s, (size_t)(nl - s), 0);
			s = nl + 1;
		}
		if (s < e && (size_t)(e - s) > t->c->max_line) {
			/* No LF within max_line: cut here, skip the rest. */
			if (!*skipping)
				emit(t, tf, s, t->c->max_line, 1);
			*skipping = 1;
			s = e;
		} else if (s < e && *skipping) {
			s = e;
		}
		*pos += (uint64_t)(s - t->buf);
		if ((size_t)n < t->cap) {
			/* At the end: what is left is an unterminated line. */
			if (final && s < e) {
				if (!*skipping)
					emit(t, tf, s, (size_t)(e - s), 0);
				*pos += (uint64_t)(e - s);
			}
			if (final)
				*skipping = 0;
			break;
		}
	}
	return total;
}

/* ---- opening ---- */

static void
close_old(struct agent_tail *t, struct tail_file *tf)
{
	int more = 0;

	if (tf->old_fd < 0)
		return;
	read_lines(t, tf, tf->old_fd, &tf->old_pos, &tf->old_skipping, 1,
	    &more);
	close(tf->old_fd);
	tf->old_fd = -1;
}

/* The open file becomes the old one (rotated or removed). */
static void
retire(struct agent_tail *t, struct tail_file *tf, int64_t now_ns)
{
	struct stat st;

	close_old(t, tf);
	tf->old_fd = tf->fd;
	tf->old_dev = tf->dev;
	tf->old_ino = tf->ino;
	tf->old_pos = tf->pos;
	tf->old_skipping = tf->skipping;
	tf->old_active_ns = now_ns;
	tf->old_size = fstat(tf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	tf->fd = -1;
	tf->pos = 0;
	tf->skipping = 0;
}

/* The rotated file that had inode saved->ino, in tf's directory. */
static int
find_rotated(struct tail_file *tf, const struct agent_pos *saved)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	int dfd, fd = -1;

	if ((d = opendir(tf->dir)) == NULL)
		return -1;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_ino != saved->ino)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != saved->dev ||
		    (uint64_t)st.st_ino != saved->ino)
			continue;
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC |
		    O_NONBLOCK)) < 0)
			continue;
		if (sig_matches(fd, saved->siglen, saved->sig) &&
		    (uint64_t)st.st_size >= saved->offset)
			break;
		close(fd);
		fd = -1;
	}
	closedir(d);
	return fd;
}

/* Opens tf's path; returns 0, or -1 (absent or not a regular file). */
static int
open_file(struct agent_tail *t, struct tail_file *tf, int64_t now_ns)
{
	struct stat st;
	char detail[512];
	int fd, ofd;

	if ((fd = open(tf->lc->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (!tf->warned)
			log_warn("agent: %s is not a regular file; not "
			    "tailed", tf->lc->path);
		tf->warned = 1;
		close(fd);
		return -1;
	}
	tf->warned = 0;
	tf->fd = fd;
	tf->dev = (uint64_t)st.st_dev;
	tf->ino = (uint64_t)st.st_ino;
	tf->pos = 0;
	tf->skipping = 0;
	if (!tf->opened && tf->have_saved) {
		const struct agent_pos *sv = &tf->saved;

		if (sv->dev == tf->dev && sv->ino == tf->ino) {
			if (sig_matches(fd, sv->siglen, sv->sig) &&
			    (uint64_t)st.st_size >= sv->offset)
				tf->pos = sv->offset;
			else {
				/* The same file emptied (and maybe written
				 * again) meanwhile -- or a new file that got
				 * the old one's inode number back. */
				snprintf(detail, sizeof(detail), "was "
				    "truncated (or replaced) while the agent "
				    "was not running (at offset %llu, now %lld "
				    "bytes); read again from the start",
				    (unsigned long long)sv->offset,
				    (long long)st.st_size);
				log_warn("agent: %s %s", tf->lc->path, detail);
				t->note(t->arg, "log-truncated", tf->lc->path,
				    detail);
			}
		} else if ((ofd = find_rotated(tf, sv)) >= 0) {
			log_info("agent: %s was rotated while the agent was "
			    "not running; reading the rest of the old file "
			    "first", tf->lc->path);
			close_old(t, tf);
			tf->old_fd = ofd;
			tf->old_dev = sv->dev;
			tf->old_ino = sv->ino;
			tf->old_pos = sv->offset;
			tf->old_skipping = 0;
			tf->old_active_ns = now_ns;
			tf->old_size = UINT64_MAX;
		} else {
			snprintf(detail, sizeof(detail), "was replaced while "
			    "the agent was not running and the old file "
			    "(inode %llu) is gone; what was written to it "
			    "after offset %llu was not read",
			    (unsigned long long)sv->ino,
			    (unsigned long long)sv->offset);
			log_warn("agent: %s %s", tf->lc->path, detail);
			t->note(t->arg, "log-replaced", tf->lc->path, detail);
		}
	} else if (!tf->opened && tf->existed &&
	    t->c->start == AGENT_START_END) {
		tf->pos = (uint64_t)st.st_size;
	}
	if (tf->opened || !tf->existed)
		log_info("agent: following %s (inode %llu)", tf->lc->path,
		    (unsigned long long)tf->ino);
	tf->opened = 1;
	tf->have_saved = 0;
	sig_of(fd, (uint64_t)st.st_size, tf->sig, &tf->siglen);
	return 0;
}

/* ---- checking ---- */

static void
truncated(struct agent_tail *t, struct tail_file *tf, const char *how)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "%s at offset %llu; read again "
	    "from the start", how, (unsigned long long)tf->pos);
	log_info("agent: %s %s", tf->lc->path, detail);
	t->note(t->arg, "log-truncated", tf->lc->path, detail);
	tf->pos = 0;
	tf->skipping = 0;
	/* The signature grows again with the new content. */
	sig_of(tf->fd, 0, tf->sig, &tf->siglen);
}

static void
check_file(struct agent_tail *t, struct tail_file *tf, int64_t now_ns,
    int full, int *more)
{
	struct stat st, fst;
	int gone;

	/* The old file first: its lines come before the new one's.  It is
	 * idle when it stops growing (an unterminated last line is read
	 * again each time, so bytes read say nothing). */
	if (tf->old_fd >= 0) {
		read_lines(t, tf, tf->old_fd, &tf->old_pos, &tf->old_skipping,
		    0, more);
		if (fstat(tf->old_fd, &fst) == 0 &&
		    (uint64_t)fst.st_size != tf->old_size) {
			tf->old_size = (uint64_t)fst.st_size;
			tf->old_active_ns = now_ns;
		} else if (now_ns - tf->old_active_ns >=
		    t->c->rotate_grace_ns)
			close_old(t, tf);
	}
	if (tf->fd >= 0) {
		if (fstat(tf->fd, &fst) == 0 && (uint64_t)fst.st_size <
		    tf->pos)
			truncated(t, tf, "was truncated (copytruncate?)");
		else if (full && tf->siglen > 0 &&
		    !sig_matches(tf->fd, tf->siglen, tf->sig))
			truncated(t, tf, "was rewritten from its start");
		read_lines(t, tf, tf->fd, &tf->pos, &tf->skipping, 0, more);
		if (tf->siglen < AGENT_SIG_MAX && tf->pos > tf->siglen)
			sig_of(tf->fd, tf->pos, tf->sig, &tf->siglen);
	}
	gone = stat(tf->lc->path, &st) != 0;
	if (tf->fd >= 0 && (gone || (uint64_t)st.st_ino != tf->ino ||
	    (uint64_t)st.st_dev != tf->dev)) {
		log_info("agent: %s %s", tf->lc->path, gone ? "was removed "
		    "or renamed" : "was rotated");
		retire(t, tf, now_ns);
	}
	if (tf->fd < 0 && !gone && open_file(t, tf, now_ns) == 0) {
		if (tf->old_fd >= 0)
			read_lines(t, tf, tf->old_fd, &tf->old_pos,
			    &tf->old_skipping, 0, more);
		read_lines(t, tf, tf->fd, &tf->pos, &tf->skipping, 0, more);
		if (tf->siglen < AGENT_SIG_MAX && tf->pos > tf->siglen)
			sig_of(tf->fd, tf->pos, tf->sig, &tf->siglen);
	}
}

/* Watches directories that appeared since. */
static void
watch_dirs(struct agent_tail *t)
{
	size_t i;

	if (t->ifd < 0)
		return;
	for (i = 0; i < t->ndirs; i++)
		if (t->dirs[i].wd < 0)
			t->dirs[i].wd = inotify_add_watch(t->ifd,
			    t->dirs[i].path, IN_MODIFY | IN_CREATE |
			    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
			    IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF |
			    IN_MOVE_SELF);
}

void
agent_tail_check(struct agent_tail *t, int64_t now_ns, int full, int *more)
{
	size_t i;

	*more = 0;
	if (full)
		watch_dirs(t);
	for (i = 0; i < t->n; i++) {
		struct tail_file *tf = &t->f[i];

		if (!full && !tf->marked && tf->old_fd < 0)
			continue;
		tf->marked = 0;
		check_file(t, tf, now_ns, full, more);
		if (*more)
			tf->marked = 1;
	}
}

void
agent_tail_inotify(struct agent_tail *t)
{
	char buf[8192] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t n;
	size_t i, j;
	char *p;

	if (t->ifd < 0)
		return;
	while ((n = read(t->ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				for (j = 0; j < t->n; j++)
					t->f[j].marked = 1;
				continue;
			}
			for (i = 0; i < t->ndirs; i++)
				if (t->dirs[i].wd == ev->wd)
					break;
			if (i == t->ndirs)
				continue;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				if (ev->mask & IN_IGNORED)
					t->dirs[i].wd = -1;
				for (j = 0; j < t->n; j++)
					if (t->f[j].dirix == i)
						t->f[j].marked = 1;
				continue;
			}
			for (j = 0; j < t->n; j++)
				if (t->f[j].dirix == i && ev->len > 0 &&
				    strcmp(t->f[j].base, ev->name) == 0)
					t->f[j].marked = 1;
		}
	}
}

int
agent_tail_fd(struct agent_tail *t)
{
	return t->ifd;
}

/* ---- positions ---- */

int
agent_tail_save(struct agent_tail *t)
{
	struct agent_pos *v;
	char *buf;
	size_t n = 0, i, len;
	int r;

	if ((v = calloc(t->n + t->norphans + 1, sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < t->n; i++) {
		struct tail_file *tf = &t->f[i];
		struct agent_pos *e = &v[n];

		if (tf->fd >= 0) {
			e->dev = tf->dev;
			e->ino = tf->ino;
			e->offset = tf->pos;
			e->siglen = tf->siglen;
			memcpy(e->sig, tf->sig, 32);
		} else if (tf->old_fd >= 0) {
			/* Rotated, no new file yet: at restart the old one
			 * is found by its inode. */
			e->dev = tf->old_dev;
			e->ino = tf->old_ino;
			e->offset = tf->old_pos;
			sig_of(tf->old_fd, tf->old_pos, e->sig, &e->siglen);
		} else if (tf->have_saved) {
			*e = tf->saved;
		} else
			continue;
		e->path = (char *)tf->lc->path;
		n++;
	}
	/* Files no longer configured keep their entries: taken off the
	 * list and put back, they resume. */
	for (i = 0; i < t->norphans; i++)
		v[n++] = t->orphans[i];
	r = agent_pos_format(v, n, &buf, &len);
	free(v);
	if (r != 0)
		return r;
	if (agent_write_atomic(t->pos_path, buf, len) != 0) {
		log_err("agent: cannot write %s: %s", t->pos_path,
		    strerror(errno));
		r = MAMORI_ESYS;
	}
	free(buf);
	return r;
}

static void
load_positions(struct agent_tail *t)
{
	struct agent_pos *v = NULL;
	char *buf = NULL, err[256];
	size_t len, n = 0, i, j;
	int r;

	if ((r = file_read_all(t->pos_path, (size_t)AGENT_POS_MAX * 4200,
	    &buf, &len)) != 0) {
		if (r != MAMORI_ESYS || errno != ENOENT)
			log_warn("agent: cannot read %s (%s); logs.start "
			    "applies to every file", t->pos_path,
			    r == MAMORI_ESYS ? strerror(errno) :
			    mamori_strerror(r));
		return;
	}
	if (agent_pos_parse((const uint8_t *)buf, len, &v, &n, err,
	    sizeof(err)) != 0) {
		log_warn("agent: %s: %s; logs.start applies to every file",
		    t->pos_path, err);
		free(buf);
		return;
	}
	free(buf);
	for (i = 0; i < n; i++) {
		for (j = 0; j < t->n; j++)
			if (strcmp(t->f[j].lc->path, v[i].path) == 0)
				break;
		if (j < t->n) {
			t->f[j].saved = v[i];
			t->f[j].saved.path = NULL;
			t->f[j].have_saved = 1;
			free(v[i].path);
		} else {
			/* v is not freed entry by entry: it becomes the
			 * list of orphans. */
			v[t->norphans++] = v[i];
			continue;
		}
		v[i].path = NULL;
	}
	if (t->norphans > 0)
		t->orphans = v;
	else
		free(v);
}

struct agent_tail *
agent_tail_new(const struct agent_conf *c, const char *pos_path,
    agent_line_fn line, agent_note_fn note, void *arg, char *err,
    size_t errlen)
{
	struct agent_tail *t;
	struct stat st;
	size_t i, j, plen;
	char *slash;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto oom;
	t->c = c;
	t->line = line;
	t->note = note;
	t->arg = arg;
	t->ifd = -1;
	t->cap = c->max_line + (64u << 10);
	if ((t->pos_path = strdup(pos_path)) == NULL ||
	    (t->buf = malloc(t->cap)) == NULL ||
	    (c->nlogs > 0 && (t->f = calloc(c->nlogs, sizeof(*t->f))) ==
	    NULL) ||
	    (c->nlogs > 0 && (t->dirs = calloc(c->nlogs, sizeof(*t->dirs))) ==
	    NULL))
		goto oom;
	for (i = 0; i < c->nlogs; i++) {
		struct tail_file *tf = &t->f[t->n++];

		tf->lc = &c->logs[i];
		tf->fd = tf->old_fd = -1;
		plen = strlen(tf->lc->path);
		if ((tf->sdpath = malloc(2 * plen + 1)) == NULL ||
		    (tf->dir = strdup(tf->lc->path)) == NULL)
			goto oom;
		agent_sd_path(tf->lc->path, tf->sdpath, 2 * plen + 1);
		slash = strrchr(tf->dir, '/');
		if (slash == tf->dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		tf->base = strrchr(tf->lc->path, '/') + 1;
		tf->existed = stat(tf->lc->path, &st) == 0;
		for (j = 0; j < t->ndirs; j++)
			if (strcmp(t->dirs[j].path, tf->dir) == 0)
				break;
		if (j == t->ndirs) {
			if ((t->dirs[j].path = strdup(tf->dir)) == NULL)
				goto oom;
			t->dirs[j].wd = -1;
			t->ndirs++;
		}
		tf->dirix = j;
	}
	if (c->nlogs > 0) {
		if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
			log_warn("agent: inotify: %s; polling every %lld ms",
			    strerror(errno),
			    (long long)(c->poll_ns / 1000000));
		watch_dirs(t);
	}
	load_positions(t);
	return t;
 oom:
	mamori_seterr(err, errlen, "out of memory");
	agent_tail_free(t);
	return NULL;
}

void
agent_tail_free(struct agent_tail *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		if (t->f[i].fd >= 0)
			close(t->f[i].fd);
		if (t->f[i].old_fd >= 0)
			close(t->f[i].old_fd);
		free(t->f[i].sdpath);
		free(t->f[i].dir);
	}
	for (i = 0; i < t->ndirs; i++)
		free(t->dirs[i].path);
	if (t->orphans != NULL)
		for (i = 0; i < t->norphans; i++)
			free(t->orphans[i].path);
	if (t->ifd >= 0)
		close(t->ifd);
	free(t->orphans);
	free(t->f);
	free(t->dirs);
	free(t->buf);
	free(t->pos_path);
	free(t);
}
