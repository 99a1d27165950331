/*
 * fim-watch.c - realtime file integrity with inotify: every directory
 * below the configured realtime directories is watched (new ones as they
 * appear), and each path an event names is read again and compared with
 * its baseline entry, as a full check would.
 *
 * inotify rather than fanotify: fanotify's directory events
 * (FAN_REPORT_DFID_NAME) need Linux 5.9 and CAP_SYS_ADMIN and report file
 * handles that must be resolved back to paths; inotify works for any
 * user on every kernel mamori targets, at the cost of one watch per
 * directory (fs.inotify.max_user_watches).
 *
 * Events: IN_CLOSE_WRITE (a file written and closed), IN_ATTRIB (mode,
 * owner, times, links, extended attributes), IN_CREATE, IN_DELETE,
 * IN_MOVED_FROM/TO and the directory's own removal.  Writes to a file
 * that stays open are seen when it is closed, or by the next scheduled
 * check.  Paths are collected per read and handled once each, sorted;
 * a path is reported once per state (a file saved twice with the same
 * content gives one finding; changed back to its baseline state, it is
 * forgotten).
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

#include <jansson.h>

#include "core/error.h"
#include "host/fim-int.h"

#define WATCH_MASK	(IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | \
			 IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_DONT_FOLLOW | IN_EXCL_UNLINK | \
			 IN_ONLYDIR)
#define SEEN_MAX	65536		/* remembered reported states */
#define PATHS_MAX	65536		/* distinct paths per call */

struct seen {
	char		*path;
	uint8_t		 state[32];
};

struct fim_watch {
	const struct fim_conf	*conf;
	int			 ifd;
	char			**wd_path;	/* indexed by wd */
	size_t			 wd_cap;
	size_t			 nwatch;
	int			 nospace;	/* watches refused (ENOSPC) */

	struct fim_db		*db;
	struct fim_meta		 meta;
	int			 hash;
	dev_t			 db_dev;
	ino_t			 db_ino;
	struct timespec		 db_mtime;
	int			 no_baseline;	/* reported once */

	struct seen		*seen;		/* open addressing */
	size_t			 nseen;

	char			**paths;	/* this call's */
	size_t			 npaths, cap_paths;
	int			 overflow;
};

static const char *
dbpath(const struct fim_conf *c)
{
	return c->database != NULL ? c->database : FIM_DEFAULT_DB;
}

/* ---- Watches ---- */

static int
wd_set(struct fim_watch *w, int wd, const char *path)
{
	char *p;

	if ((size_t)wd >= w->wd_cap) {
		size_t cap = w->wd_cap ? w->wd_cap : 256;
		char **v;

		while (cap <= (size_t)wd)
			cap *= 2;
		if ((v = realloc(w->wd_path, cap * sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		memset(v + w->wd_cap, 0, (cap - w->wd_cap) * sizeof(*v));
		w->wd_path = v;
		w->wd_cap = cap;
	}
	if ((p = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	if (w->wd_path[wd] == NULL)
		w->nwatch++;
	free(w->wd_path[wd]);
	w->wd_path[wd] = p;
	return 0;
}

static void
wd_drop(struct fim_watch *w, int wd)
{
	if (wd < 0 || (size_t)wd >= w->wd_cap || w->wd_path[wd] == NULL)
		return;
	free(w->wd_path[wd]);
	w->wd_path[wd] = NULL;
	w->nwatch--;
}

/* Whether path is left out: excluded, or below its rule's depth. */
static int
skipped(const struct fim_conf *c, const char *path)
{
	const struct fim_rule *r = fim_conf_rule_for(c, path);
	const char *name = strrchr(path, '/');
	const char *p;
	int depth = 0;

	name = name ? name + 1 : path;
	if (fim_excluded(c->exclude, c->nexclude, path, name))
		return 1;
	if (r == NULL)
		return 0;
	if (fim_excluded(r->exclude, r->nexclude, path, name))
		return 1;
	if (r->depth >= 0) {
		p = path + strlen(r->path);
		for (; *p != '\0'; p++)
			if (*p == '/')
				depth++;
		if (depth > r->depth)
			return 1;
	}
	return 0;
}

static int add_path(struct fim_watch *w, const char *path);

/*
 * Watches directory path and every directory below it.  With
 * note_entries, every entry found is also queued (a directory that
 * appeared may have been filled before its watch was added).
 */
static int
add_tree(struct fim_watch *w, const char *path, int note_entries, int depth)
{
	DIR *d;
	struct dirent *de;
	char *sub;
	int wd, r = 0;

	if (depth > 256 || skipped(w->conf, path))
		return 0;
	wd = inotify_add_watch(w->ifd, path, WATCH_MASK);
	if (wd < 0) {
		if (errno == ENOSPC)
			w->nospace++;
		return 0;	/* gone, or not a directory */
	}
	if ((r = wd_set(w, wd, path)) != 0)
		return r;
	if ((d = opendir(path)) == NULL)
		return 0;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s%s%s", path, strcmp(path, "/") == 0 ?
		    "" : "/", de->d_name) < 0) {
			r = MAMORI_ENOMEM;
			break;
		}
		if (note_entries)
			r = add_path(w, sub);
		if (r == 0 && (de->d_type == DT_DIR ||
		    de->d_type == DT_UNKNOWN))
			r = add_tree(w, sub, note_entries, depth + 1);
		free(sub);
	}
	closedir(d);
	return r;
}

/* ---- This call's paths ---- */

static int
add_path(struct fim_watch *w, const char *path)
{
	char *p, **v;

	if (w->npaths >= PATHS_MAX) {
		w->overflow = 1;	/* handled like a queue overflow */
		return 0;
	}
	if (w->npaths == w->cap_paths) {
		size_t cap = w->cap_paths ? w->cap_paths * 2 : 64;

		if ((v = realloc(w->paths, cap * sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		w->paths = v;
		w->cap_paths = cap;
	}
	if ((p = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	w->paths[w->npaths++] = p;
	return 0;
}

static int
path_qcmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return fim_path_cmp(x, strlen(x), y, strlen(y));
}

/* ---- Reported states ---- */

static size_t
seen_slot(const struct fim_watch *w, const char *path)
{
	uint64_t h = 1469598103934665603ull;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)path; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	i = (size_t)h & (2 * SEEN_MAX - 1);
	while (w->seen[i].path != NULL && strcmp(w->seen[i].path, path) != 0)
		i = (i + 1) & (2 * SEEN_MAX - 1);
	return i;
}

static void
seen_clear(struct fim_watch *w)
{
	size_t i;

	for (i = 0; i < 2 * SEEN_MAX; i++) {
		free(w->seen[i].path);
		w->seen[i].path = NULL;
	}
	w->nseen = 0;
}

/*
 * Whether state (NULL: forget) is new for path: 1 report it, 0 already
 * reported.  Deleting from open addressing needs a rehash: forgetting
 * clears the state instead (all zero), which never equals a digest.
 */
static int
seen_update(struct fim_watch *w, const char *path, const uint8_t *state)
{
	size_t i = seen_slot(w, path);
	struct seen *s = &w->seen[i];

	if (state == NULL) {
		if (s->path != NULL)
			memset(s->state, 0, sizeof(s->state));
		return 0;
	}
	if (s->path != NULL) {
		if (memcmp(s->state, state, sizeof(s->state)) == 0)
			return 0;
		memcpy(s->state, state, sizeof(s->state));
		return 1;
	}
	if (w->nseen >= SEEN_MAX) {
		seen_clear(w);
		i = seen_slot(w, path);
		s = &w->seen[i];
	}
	if ((s->path = strdup(path)) == NULL)
		return 1;	/* report; remembering is best effort */
	memcpy(s->state, state, sizeof(s->state));
	w->nseen++;
	return 1;
}

static void
state_of(const struct fim_entry *e, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	memset(out, 0, 32);
	if (ctx == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		if (e != NULL)
			fim_entry_digest(ctx, e);
		else
			EVP_DigestUpdate(ctx, "absent", 6);
		EVP_DigestFinal_ex(ctx, out, &len);
	}
	EVP_MD_CTX_free(ctx);
}

/* ---- Baseline ---- */

/* (Re)opens the baseline when the file changed (fim_update renames a
 * new one over it).  0, or MAMORI_ENOTFOUND and friends. */
static int
baseline(struct fim_watch *w, host_emit_fn emit, void *arg)
{
	struct stat st;
	char err[512];
	json_t *o;
	int r;

	if (stat(dbpath(w->conf), &st) == 0 && w->db != NULL &&
	    st.st_dev == w->db_dev && st.st_ino == w->db_ino &&
	    st.st_mtim.tv_sec == w->db_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->db_mtime.tv_nsec)
		return 0;
	fim_db_close(w->db);
	w->db = NULL;
	r = fim_db_open(dbpath(w->conf), &w->db, &w->meta, err, sizeof(err));
	if (r == 0 && (w->hash = fim_hash_by_name(w->meta.algorithm)) < 0)
		r = MAMORI_ECORRUPT;
	if (r != 0) {
		fim_db_close(w->db);
		w->db = NULL;
		if (w->no_baseline)
			return r;
		w->no_baseline = 1;
		if ((o = json_object()) == NULL)
			return MAMORI_ENOMEM;
		json_object_set_new(o, "database", fim_json_bytes(
		    dbpath(w->conf), strlen(dbpath(w->conf))));
		json_object_set_new(o, "scan", json_string("realtime"));
		if (r != MAMORI_ENOTFOUND)
			json_object_set_new(o, "error", json_string(err));
		fim_emit_event(emit, arg, 2, r == MAMORI_ENOTFOUND ?
		    "baseline_missing" : "error", o);
		return r;
	}
	w->no_baseline = 0;
	w->db_dev = st.st_dev;
	w->db_ino = st.st_ino;
	w->db_mtime = st.st_mtim;
	seen_clear(w);		/* a new baseline: new comparisons */
	return 0;
}

/* Compares one path with its baseline entry and reports. */
static int
compare_path(struct fim_watch *w, const char *path, host_emit_fn emit,
    void *arg)
{
	struct fim_entry *cur = NULL, *old;
	uint8_t state[32];
	uint32_t d = 0;
	int r, ro, kind = -1;

	if (skipped(w->conf, path))
		return 0;
	r = fim_scan_one(w->conf, w->hash, path, &cur);
	if (r != 0 && r != MAMORI_ENOTFOUND)
		return r == MAMORI_ENOMEM ? r : 0;
	if ((old = fim_entry_new("", 0)) == NULL) {
		fim_entry_free(cur);
		return MAMORI_ENOMEM;
	}
	ro = fim_db_lookup(w->db, path, old);
	if (ro != 0 && ro != MAMORI_ENOTFOUND) {
		r = ro;
		goto out;
	}
	if (ro == 0 && cur != NULL) {
		if ((d = fim_entry_diff(old, cur)) != 0)
			kind = FIM_EV_MODIFIED;
	} else if (ro == 0)
		kind = FIM_EV_REMOVED;
	else if (cur != NULL)
		kind = FIM_EV_ADDED;
	r = 0;
	if (kind < 0) {
		seen_update(w, path, NULL);
		goto out;
	}
	state_of(cur, state);
	if (seen_update(w, path, state))
		r = fim_emit_change(emit, arg, kind, ro == 0 ? old : NULL, cur,
		    d, w->hash, "realtime");
 out:
	fim_entry_free(old);
	fim_entry_free(cur);
	return r;
}

/* ---- API ---- */

int
fim_watch_open(const struct fim_conf *conf, struct fim_watch **wp)
{
	struct fim_watch *w;
	size_t i;
	int r;

	*wp = NULL;
	if (conf->nrealtime == 0)
		return MAMORI_ECONFIG;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->seen = calloc(2 * SEEN_MAX, sizeof(*w->seen))) == NULL) {
		free(w);
		return MAMORI_ENOMEM;
	}
	w->conf = conf;
	w->hash = conf->hash;
	if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		free(w->seen);
		free(w);
		return MAMORI_ESYS;
	}
	for (i = 0; i < conf->nrealtime; i++)
		if ((r = add_tree(w, conf->realtime[i], 0, 0)) != 0) {
			fim_watch_close(w);
			return r;
		}
	*wp = w;
	return w->ifd;
}

size_t
fim_watch_count(const struct fim_watch *w)
{
	return w != NULL ? w->nwatch : 0;
}

static int
handle_event(struct fim_watch *w, const struct inotify_event *ev)
{
	const char *dir;
	char *p;
	int r = 0;

	if (ev->mask & IN_Q_OVERFLOW) {
		w->overflow = 1;
		return 0;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= w->wd_cap ||
	    (dir = w->wd_path[ev->wd]) == NULL)
		return 0;
	if (ev->mask & IN_IGNORED) {
		wd_drop(w, ev->wd);
		return 0;
	}
	if (ev->len == 0 || ev->name[0] == '\0')
		return add_path(w, dir);	/* the directory itself */
	if (asprintf(&p, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/",
	    ev->name) < 0)
		return MAMORI_ENOMEM;
	r = add_path(w, p);
	if (r == 0 && (ev->mask & IN_ISDIR) &&
	    (ev->mask & (IN_CREATE | IN_MOVED_TO)))
		r = add_tree(w, p, 1, 0);
	free(p);
	return r;
}

int
fim_watch_process(struct fim_watch *w, host_emit_fn emit, void *arg)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t i, j;
	json_t *o;
	char *p;
	int r = 0;

	for (;;) {
		n = read(w->ifd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return MAMORI_ESYS;
		}
		if (n == 0)
			break;
		for (p = buf; p < buf + n && r == 0;
		    p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			r = handle_event(w, ev);
		}
		if (r != 0)
			goto out;
	}
	if (w->nospace > 0 || w->overflow) {
		if ((o = json_object()) == NULL) {
			r = MAMORI_ENOMEM;
			goto out;
		}
		json_object_set_new(o, "scan", json_string("realtime"));
		json_object_set_new(o, "lost", json_string(w->overflow ?
		    "events" : "watches"));
		if (w->nospace > 0)
			json_object_set_new(o, "unwatched", json_integer(
			    w->nospace));
		json_object_set_new(o, "hint", json_string(w->overflow ?
		    "events were lost: run a full check" : "raise "
		    "fs.inotify.max_user_watches"));
		w->overflow = 0;
		w->nospace = 0;
		if ((r = fim_emit_event(emit, arg, 4, "overflow", o)) != 0)
			goto out;
	}
	if (w->npaths == 0)
		goto out;
	if ((r = baseline(w, emit, arg)) != 0) {
		r = r == MAMORI_ENOMEM ? r : 0;	/* reported */
		goto out;
	}
	qsort(w->paths, w->npaths, sizeof(*w->paths), path_qcmp);
	for (i = 0; i < w->npaths && r == 0; i = j) {
		for (j = i + 1; j < w->npaths &&
		    strcmp(w->paths[i], w->paths[j]) == 0; j++)
			;
		r = compare_path(w, w->paths[i], emit, arg);
	}
 out:
	for (i = 0; i < w->npaths; i++)
		free(w->paths[i]);
	w->npaths = 0;
	return r;
}

void
fim_watch_close(struct fim_watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	if (w->ifd >= 0)
		close(w->ifd);
	for (i = 0; i < w->wd_cap; i++)
		free(w->wd_path[i]);
	free(w->wd_path);
	if (w->seen != NULL)
		seen_clear(w);
	free(w->seen);
	free(w->paths);
	fim_db_close(w->db);
	free(w);
}
