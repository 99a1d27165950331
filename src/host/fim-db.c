/*
 * fim-db.c - the baseline: one SQLite file of its own (not the server's
 * database: it lives on the watched host), a header row and one row per
 * entry in walk order.
 *
 *   fim_meta(id=1, format, created, updated, host, algorithm,
 *            fingerprint, entries, digest)
 *   fim_entries(seq, path, attrs, type, perms, uid, gid, size, mtime,
 *               ctime, inode, links, hash, target, acl, xattrs, selinux,
 *               caps, error)          + unique index on path
 *
 * A baseline is written whole into a temporary file beside the old one
 * (no journal, one transaction, prepared statements; the path index is
 * built at the end, from sorted input) and renamed over it after an
 * fsync: readers see the old baseline or the new one, never half of one.
 *
 * digest: SHA-256 over the header fields that define the entries
 * (format, host, algorithm, fingerprint), each entry's canonical
 * encoding (fim_entry_digest()) in walk order, and the entry count.
 * `check` recomputes it while it reads the entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "host/fim-int.h"

#define COLS	"path, attrs, type, perms, uid, gid, size, mtime, ctime, " \
		"inode, links, hash, target, acl, xattrs, selinux, caps, error"

static const char schema[] =
    "CREATE TABLE fim_meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " format INTEGER NOT NULL, created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL, host TEXT NOT NULL,"
    " algorithm TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " entries INTEGER NOT NULL, digest TEXT NOT NULL);"
    "CREATE TABLE fim_entries ("
    " seq INTEGER PRIMARY KEY, path BLOB NOT NULL, attrs INTEGER NOT NULL,"
    " type TEXT NOT NULL, perms INTEGER, uid INTEGER, gid INTEGER,"
    " size INTEGER, mtime INTEGER, ctime INTEGER, inode INTEGER,"
    " links INTEGER, hash BLOB, target BLOB, acl TEXT, xattrs BLOB,"
    " selinux TEXT, caps TEXT, error TEXT);";

struct fim_db {
	sqlite3		*h;
	sqlite3_stmt	*all;
	sqlite3_stmt	*one;
};

struct fim_dbw {
	sqlite3		*h;
	sqlite3_stmt	*ins;
	char		*path;		/* final */
	char		*tmp;
	int64_t		 seq;
};

/* ---- Digest ---- */

static void
dstr(EVP_MD_CTX *ctx, const char *s)
{
	EVP_DigestUpdate(ctx, s, strlen(s) + 1);
}

int
fim_digest_begin(EVP_MD_CTX *ctx, const struct fim_meta *m)
{
	char buf[32];

	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		return MAMORI_ENOMEM;
	dstr(ctx, "mamori-fim-baseline");
	snprintf(buf, sizeof(buf), "%d", m->format);
	dstr(ctx, buf);
	dstr(ctx, m->host);
	dstr(ctx, m->algorithm);
	dstr(ctx, m->fingerprint);
	return 0;
}

int
fim_digest_end(EVP_MD_CTX *ctx, uint64_t entries, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)entries);
	dstr(ctx, buf);
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1)
		return MAMORI_ENOMEM;
	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[2 * len] = '\0';
	return 0;
}

/* ---- Reading ---- */

static int
dberr(sqlite3 *h, const char *path, const char *what, char *err,
    size_t errlen)
{
	mamori_seterr(err, errlen, "%s: %s: %s", path, what,
	    h ? sqlite3_errmsg(h) : "cannot open");
	return MAMORI_EDB;
}

int
fim_db_open(const char *path, struct fim_db **dbp, struct fim_meta *m,
    char *err, size_t errlen)
{
	struct fim_db *db;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	const char *s;
	int rc, r;

	*dbp = NULL;
	memset(m, 0, sizeof(*m));
	if (stat(path, &sb) != 0) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? MAMORI_ENOTFOUND : MAMORI_ESYS;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return MAMORI_ENOMEM;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		r = dberr(db->h, path, "open", err, errlen);
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	rc = sqlite3_prepare_v2(db->h, "SELECT format, created, updated, "
	    "host, algorithm, fingerprint, entries, digest FROM fim_meta "
	    "WHERE id = 1", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		mamori_seterr(err, errlen, "%s: not a mamori fim baseline "
		    "(%s)", path, sqlite3_errmsg(db->h));
		r = MAMORI_ECORRUPT;
		goto fail;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		mamori_seterr(err, errlen, "%s: the baseline has no header "
		    "row", path);
		r = MAMORI_ECORRUPT;
		goto fail;
	}
	m->format = sqlite3_column_int(st, 0);
	m->created = sqlite3_column_int64(st, 1);
	m->updated = sqlite3_column_int64(st, 2);
#define COPY(i, dst) do { \
	s = (const char *)sqlite3_column_text(st, i); \
	snprintf(dst, sizeof(dst), "%s", s ? s : ""); \
} while (0)
	COPY(3, m->host);
	COPY(4, m->algorithm);
	COPY(5, m->fingerprint);
	m->entries = (uint64_t)sqlite3_column_int64(st, 6);
	COPY(7, m->digest);
#undef COPY
	sqlite3_finalize(st);
	st = NULL;
	if (m->format != FIM_DB_FORMAT) {
		mamori_seterr(err, errlen, "%s: baseline format %d, this "
		    "mamori reads %d", path, m->format, FIM_DB_FORMAT);
		r = MAMORI_ECORRUPT;
		goto fail;
	}
	if (sqlite3_prepare_v2(db->h, "SELECT " COLS " FROM fim_entries "
	    "ORDER BY seq", -1, &db->all, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->h, "SELECT " COLS " FROM fim_entries "
	    "WHERE path = ?", -1, &db->one, NULL) != SQLITE_OK) {
		mamori_seterr(err, errlen, "%s: not a mamori fim baseline "
		    "(%s)", path, sqlite3_errmsg(db->h));
		r = MAMORI_ECORRUPT;
		goto fail;
	}
	*dbp = db;
	return 0;
 fail:
	sqlite3_finalize(st);
	fim_db_close(db);
	return r;
}

void
fim_db_close(struct fim_db *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->all);
	sqlite3_finalize(db->one);
	sqlite3_close(db->h);
	free(db);
}

static int
col_bytes(sqlite3_stmt *st, int i, char **out, size_t *len)
{
	const void *p;
	int n;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	p = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return MAMORI_ENOMEM;
	if (n > 0)
		memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

static int
row_to_entry(sqlite3_stmt *st, struct fim_entry *e)
{
	const void *p;
	const char *t;
	char *path, *x;
	size_t plen, n;
	int r;

	fim_entry_clear_values(e);
	p = sqlite3_column_blob(st, 0);
	plen = (size_t)sqlite3_column_bytes(st, 0);
	if (p == NULL && plen > 0)
		return MAMORI_ENOMEM;
	if ((path = realloc(e->path, plen + 1)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(path, p, plen);
	path[plen] = '\0';
	e->path = path;
	e->plen = plen;
	e->attrs = (uint32_t)sqlite3_column_int64(st, 1) & FIM_A_ALL;
	t = (const char *)sqlite3_column_text(st, 2);
	e->type = t && t[0] ? t[0] : '?';
	e->perms = (uint32_t)sqlite3_column_int64(st, 3);
	e->uid = (uint32_t)sqlite3_column_int64(st, 4);
	e->gid = (uint32_t)sqlite3_column_int64(st, 5);
	e->size = (uint64_t)sqlite3_column_int64(st, 6);
	e->mtime = sqlite3_column_int64(st, 7);
	e->ctime = sqlite3_column_int64(st, 8);
	e->ino = (uint64_t)sqlite3_column_int64(st, 9);
	e->nlink = (uint64_t)sqlite3_column_int64(st, 10);
	n = (size_t)sqlite3_column_bytes(st, 11);
	if (sqlite3_column_type(st, 11) != SQLITE_NULL && n > 0) {
		if (n > FIM_HASH_MAX)
			return MAMORI_ECORRUPT;
		memcpy(e->hash, sqlite3_column_blob(st, 11), n);
		e->hlen = (uint8_t)n;
	}
	if ((r = col_bytes(st, 12, &e->target, &e->tlen)) != 0 ||
	    (r = col_bytes(st, 13, &e->acl, NULL)) != 0 ||
	    (r = col_bytes(st, 14, &x, &e->xlen)) != 0)
		return r;
	e->xattrs = (uint8_t *)x;
	e->has_xattrs = x != NULL;
	if ((r = col_bytes(st, 15, &e->selinux, NULL)) != 0 ||
	    (r = col_bytes(st, 16, &e->caps, NULL)) != 0 ||
	    (r = col_bytes(st, 17, &e->err, NULL)) != 0)
		return r;
	return 0;
}

int
fim_db_next(struct fim_db *db, struct fim_entry *e)
{
	int rc, r;

	rc = sqlite3_step(db->all);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return MAMORI_EDB;
	if ((r = row_to_entry(db->all, e)) != 0)
		return r;
	return 1;
}

int
fim_db_lookup(struct fim_db *db, const char *path, struct fim_entry *e)
{
	int rc, r;

	sqlite3_reset(db->one);
	if (sqlite3_bind_blob(db->one, 1, path, (int)strlen(path),
	    SQLITE_TRANSIENT) != SQLITE_OK)
		return MAMORI_EDB;
	rc = sqlite3_step(db->one);
	if (rc == SQLITE_DONE)
		r = MAMORI_ENOTFOUND;
	else if (rc != SQLITE_ROW)
		r = MAMORI_EDB;
	else
		r = row_to_entry(db->one, e);
	sqlite3_reset(db->one);
	return r;
}

/* ---- Writing ---- */

int
fim_dbw_create(const char *path, struct fim_dbw **wp, char *err,
    size_t errlen)
{
	struct fim_dbw *w;
	char *dir, *d;
	int fd;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL ||
	    asprintf(&w->tmp, "%s.new-XXXXXX", path) < 0) {
		if (w != NULL)
			free(w->path);
		free(w);
		return MAMORI_ENOMEM;
	}
	if ((fd = mkstemp(w->tmp)) < 0 && errno == ENOENT &&
	    (d = strdup(path)) != NULL) {
		/* The directory of the default path may not exist yet. */
		dir = dirname(d);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			errno = ENOENT;
		free(d);
		fd = mkstemp(w->tmp);
	}
	if (fd < 0) {
		mamori_seterr(err, errlen, "%s: cannot create: %s", w->tmp,
		    strerror(errno));
		free(w->tmp);
		free(w->path);
		free(w);
		return MAMORI_ESYS;
	}
	close(fd);
	if (sqlite3_open_v2(w->tmp, &w->h, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(w->h, "PRAGMA journal_mode=OFF; PRAGMA "
	    "synchronous=OFF; PRAGMA page_size=8192; BEGIN;", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(w->h, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(w->h, "INSERT INTO fim_entries (seq, " COLS
	    ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &w->ins,
	    NULL) != SQLITE_OK) {
		int r = dberr(w->h, w->tmp, "create", err, errlen);

		fim_dbw_abort(w);
		return r;
	}
	*wp = w;
	return 0;
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s, size_t n, int blob)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return blob ? sqlite3_bind_blob(st, i, s, (int)n, SQLITE_STATIC) :
	    sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
}

int
fim_dbw_add(struct fim_dbw *w, const struct fim_entry *e)
{
	sqlite3_stmt *st = w->ins;
	char type[2] = { e->type, '\0' };
	int rc;

	sqlite3_reset(st);
	rc = sqlite3_bind_int64(st, 1, ++w->seq);
	rc |= sqlite3_bind_blob(st, 2, e->path, (int)e->plen, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(st, 3, e->attrs);
	rc |= sqlite3_bind_text(st, 4, type, 1, SQLITE_TRANSIENT);
	rc |= sqlite3_bind_int64(st, 5, e->perms);
	rc |= sqlite3_bind_int64(st, 6, e->uid);
	rc |= sqlite3_bind_int64(st, 7, e->gid);
	rc |= sqlite3_bind_int64(st, 8, (sqlite3_int64)e->size);
	rc |= sqlite3_bind_int64(st, 9, e->mtime);
	rc |= sqlite3_bind_int64(st, 10, e->ctime);
	rc |= sqlite3_bind_int64(st, 11, (sqlite3_int64)e->ino);
	rc |= sqlite3_bind_int64(st, 12, (sqlite3_int64)e->nlink);
	rc |= e->hlen ? sqlite3_bind_blob(st, 13, e->hash, e->hlen,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 13);
	rc |= bind_text(st, 14, e->target, e->tlen, 1);
	rc |= bind_text(st, 15, e->acl, e->acl ? strlen(e->acl) : 0, 0);
	rc |= e->has_xattrs ? sqlite3_bind_blob(st, 16, e->xattrs ?
	    (const void *)e->xattrs : "", (int)e->xlen, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 16);
	rc |= bind_text(st, 17, e->selinux, e->selinux ? strlen(e->selinux) :
	    0, 1);
	rc |= bind_text(st, 18, e->caps, e->caps ? strlen(e->caps) : 0, 0);
	rc |= bind_text(st, 19, e->err, e->err ? strlen(e->err) : 0, 0);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		return MAMORI_EDB;
	sqlite3_reset(st);
	return 0;
}

static int
fsync_path(const char *path, int dir)
{
	int fd, r;

	if ((fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) |
	    O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
fim_dbw_commit(struct fim_dbw *w, const struct fim_meta *m, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *d;
	int rc, r;

	sqlite3_finalize(w->ins);
	w->ins = NULL;
	rc = sqlite3_prepare_v2(w->h, "INSERT INTO fim_meta (id, format, "
	    "created, updated, host, algorithm, fingerprint, entries, digest) "
	    "VALUES (1,?,?,?,?,?,?,?,?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, m->format);
		sqlite3_bind_int64(st, 2, m->created);
		sqlite3_bind_int64(st, 3, m->updated);
		sqlite3_bind_text(st, 4, m->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, m->algorithm, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, m->fingerprint, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)m->entries);
		sqlite3_bind_text(st, 8, m->digest, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || sqlite3_exec(w->h, "CREATE UNIQUE INDEX "
	    "fim_entries_path ON fim_entries(path); COMMIT;", NULL, NULL,
	    NULL) != SQLITE_OK) {
		r = dberr(w->h, w->tmp, "write", err, errlen);
		fim_dbw_abort(w);
		return r;
	}
	if (sqlite3_close(w->h) != SQLITE_OK) {
		r = dberr(w->h, w->tmp, "close", err, errlen);
		fim_dbw_abort(w);
		return r;
	}
	w->h = NULL;
	if (fsync_path(w->tmp, 0) != 0 || rename(w->tmp, w->path) != 0) {
		mamori_seterr(err, errlen, "%s: %s", w->path, strerror(errno));
		fim_dbw_abort(w);
		return MAMORI_ESYS;
	}
	if ((d = strdup(w->path)) != NULL) {
		(void)fsync_path(dirname(d), 1);
		free(d);
	}
	free(w->tmp);
	free(w->path);
	free(w);
	return 0;
}

void
fim_dbw_abort(struct fim_dbw *w)
{
	if (w == NULL)
		return;
	sqlite3_finalize(w->ins);
	if (w->h != NULL)
		sqlite3_close(w->h);
	if (w->tmp != NULL)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	free(w);
}
