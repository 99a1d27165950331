/*
 * fim-run.c - init, check and update: a scan (fim-scan.c) whose entries
 * are written to a new baseline, merged with the old one, or both.
 *
 * check merges two streams in path order: the scan's entries and the
 * baseline's rows read by seq (written in the same order), so it holds
 * one entry of each side at a time, whatever the size of the baseline.
 * While it reads the rows it recomputes the baseline digest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/fim-int.h"

enum { RUN_INIT, RUN_CHECK, RUN_UPDATE };

struct run {
	const struct fim_conf	*conf;
	host_emit_fn		 emit;
	void			*arg;
	struct fim_summary	*sum;
	int			 mode;
	int			 hash;		/* of the scan */

	/* New baseline. */
	struct fim_dbw		*w;
	EVP_MD_CTX		*wctx;
	struct fim_meta		 wm;

	/* Old baseline. */
	struct fim_db		*db;
	struct fim_meta		 rm;
	EVP_MD_CTX		*rctx;
	struct fim_entry	*old;
	struct fim_entry	*prev;		/* order check */
	int			 have_old;	/* 1 row in old, 0 none yet, -1 end */
	uint64_t		 nold;
};

static const char *
dbpath(const struct fim_conf *c)
{
	return c->database != NULL ? c->database : FIM_DEFAULT_DB;
}

static int
emit_error(struct run *u, const char *path, const char *what, const char *why)
{
	json_t *o = json_object();

	if (o == NULL)
		return MAMORI_ENOMEM;
	json_object_set_new(o, "path", fim_json_bytes(path, strlen(path)));
	json_object_set_new(o, "error", json_string(why));
	json_object_set_new(o, "what", json_string(what));
	return fim_emit_event(u->emit, u->arg, 4, "error", o);
}

/* The next baseline row into u->old (have_old 1), or the end (-1). */
static int
next_old(struct run *u)
{
	struct fim_entry *t;
	int r;

	t = u->prev;
	u->prev = u->old;
	u->old = t;
	if ((r = fim_db_next(u->db, u->old)) < 0) {
		mamori_seterr(u->sum->err, sizeof(u->sum->err), "%s: cannot "
		    "read the baseline: %s", dbpath(u->conf),
		    mamori_strerror(r));
		return r;
	}
	if (r == 0) {
		u->have_old = -1;
		return 0;
	}
	if (u->nold > 0 && fim_path_cmp(u->prev->path, u->prev->plen,
	    u->old->path, u->old->plen) >= 0) {
		mamori_seterr(u->sum->err, sizeof(u->sum->err), "%s: baseline "
		    "entries out of order at row %llu: the file was changed "
		    "outside mamori", dbpath(u->conf),
		    (unsigned long long)u->nold + 1);
		return MAMORI_ECORRUPT;
	}
	u->nold++;
	fim_entry_digest(u->rctx, u->old);
	u->have_old = 1;
	return 0;
}

static int
removed(struct run *u)
{
	u->sum->removed++;
	return fim_emit_change(u->emit, u->arg, FIM_EV_REMOVED, u->old, NULL,
	    0, u->hash, NULL);
}

static int
compare(struct run *u, struct fim_entry *e)
{
	uint32_t d;
	int r, c;

	for (;;) {
		if (u->have_old == 0 && (r = next_old(u)) != 0)
			return r;
		if (u->have_old < 0)
			break;
		c = fim_path_cmp(u->old->path, u->old->plen, e->path, e->plen);
		if (c > 0)
			break;
		if (c == 0) {
			u->have_old = 0;
			if ((d = fim_entry_diff(u->old, e)) == 0)
				return e->err != NULL ? emit_error(u, e->path,
				    "read", e->err) : 0;
			u->sum->changed++;
			return fim_emit_change(u->emit, u->arg,
			    FIM_EV_MODIFIED, u->old, e, d, u->hash, NULL);
		}
		u->have_old = 0;
		if ((r = removed(u)) != 0)
			return r;
	}
	u->sum->added++;
	return fim_emit_change(u->emit, u->arg, FIM_EV_ADDED, NULL, e, 0,
	    u->hash, NULL);
}

static int
consume(void *arg, struct fim_entry *e)
{
	struct run *u = arg;
	int r = 0;

	u->sum->entries++;
	if (e->err != NULL)
		u->sum->errors++;
	if (u->w != NULL) {
		if ((r = fim_dbw_add(u->w, e)) != 0) {
			u->sum->write_failed = 1;
			mamori_seterr(u->sum->err, sizeof(u->sum->err),
			    "%s: cannot write the baseline",
			    dbpath(u->conf));
			goto out;
		}
		fim_entry_digest(u->wctx, e);
	}
	if (u->mode == RUN_INIT) {
		if (e->err != NULL)
			r = emit_error(u, e->path, "read", e->err);
	} else
		r = compare(u, e);
 out:
	fim_entry_free(e);
	return r;
}

static int
missing(void *arg, const char *path, int errnum)
{
	struct run *u = arg;

	u->sum->errors++;
	return emit_error(u, path, errnum == ENOENT ? "configured path" :
	    "directory", strerror(errnum));
}

static void
host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

static int
emit_baseline(struct run *u, const char *action)
{
	json_t *o = json_object();

	if (o == NULL)
		return MAMORI_ENOMEM;
	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "database", fim_json_bytes(dbpath(u->conf),
	    strlen(dbpath(u->conf))));
	json_object_set_new(o, "digest", json_string(u->wm.digest));
	json_object_set_new(o, "entries", json_integer(
	    (json_int_t)u->wm.entries));
	json_object_set_new(o, "algorithm", json_string(u->wm.algorithm));
	json_object_set_new(o, "host", fim_json_bytes(u->wm.host,
	    strlen(u->wm.host)));
	return fim_emit_event(u->emit, u->arg, 5, "baseline", o);
}

static int
emit_summary(struct run *u)
{
	struct fim_summary *s = u->sum;
	json_t *o = json_object();

	if (o == NULL)
		return MAMORI_ENOMEM;
	json_object_set_new(o, "action", json_string(u->mode == RUN_UPDATE ?
	    "update" : "check"));
	json_object_set_new(o, "entries", json_integer((json_int_t)s->entries));
	json_object_set_new(o, "added", json_integer((json_int_t)s->added));
	json_object_set_new(o, "removed", json_integer((json_int_t)s->removed));
	json_object_set_new(o, "changed", json_integer((json_int_t)s->changed));
	json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
	json_object_set_new(o, "baseline_digest", json_string(u->rm.digest));
	json_object_set_new(o, "baseline_ok", json_boolean(s->baseline_ok));
	json_object_set_new(o, "conf_changed", json_boolean(s->conf_changed));
	return fim_emit_event(u->emit, u->arg, s->added || s->removed ||
	    s->changed ? 4 : 6, "summary", o);
}

static int
start_write(struct run *u, int64_t created)
{
	struct fim_conf c = *u->conf;
	int r;

	memset(&u->wm, 0, sizeof(u->wm));
	u->wm.format = FIM_DB_FORMAT;
	u->wm.updated = (int64_t)time(NULL);
	u->wm.created = created ? created : u->wm.updated;
	host_name(u->wm.host, sizeof(u->wm.host));
	snprintf(u->wm.algorithm, sizeof(u->wm.algorithm), "%s",
	    fim_hash_name(u->hash));
	c.hash = u->hash;
	fim_conf_fingerprint(&c, u->wm.fingerprint);
	if ((u->wctx = EVP_MD_CTX_new()) == NULL)
		return MAMORI_ENOMEM;
	if ((r = fim_dbw_create(dbpath(u->conf), &u->w, u->sum->err,
	    sizeof(u->sum->err))) != 0) {
		u->sum->write_failed = 1;
		return r;
	}
	return fim_digest_begin(u->wctx, &u->wm);
}

static int
finish_write(struct run *u)
{
	int r;

	u->wm.entries = u->sum->entries;
	if ((r = fim_digest_end(u->wctx, u->wm.entries, u->wm.digest)) != 0)
		return r;
	r = fim_dbw_commit(u->w, &u->wm, u->sum->err, sizeof(u->sum->err));
	u->w = NULL;
	if (r != 0) {
		u->sum->write_failed = 1;
		return r;
	}
	snprintf(u->sum->digest, sizeof(u->sum->digest), "%s", u->wm.digest);
	snprintf(u->sum->algorithm, sizeof(u->sum->algorithm), "%s",
	    u->wm.algorithm);
	u->sum->created = u->wm.created;
	u->sum->updated = u->wm.updated;
	return 0;
}

static int
open_old(struct run *u)
{
	struct fim_conf c = *u->conf;
	char fp[65];
	json_t *o;
	int r;

	r = fim_db_open(dbpath(u->conf), &u->db, &u->rm, u->sum->err,
	    sizeof(u->sum->err));
	if (r == MAMORI_ENOTFOUND) {
		if ((o = json_object()) == NULL)
			return MAMORI_ENOMEM;
		json_object_set_new(o, "database", fim_json_bytes(
		    dbpath(u->conf), strlen(dbpath(u->conf))));
		r = fim_emit_event(u->emit, u->arg, 2, "baseline_missing", o);
		return r != 0 ? r : MAMORI_ENOTFOUND;
	}
	if (r != 0)
		return r;
	if ((u->hash = fim_hash_by_name(u->rm.algorithm)) < 0) {
		mamori_seterr(u->sum->err, sizeof(u->sum->err), "%s: unknown "
		    "digest algorithm '%s'", dbpath(u->conf), u->rm.algorithm);
		return MAMORI_ECORRUPT;
	}
	c.hash = u->hash;
	fim_conf_fingerprint(&c, fp);
	u->sum->conf_changed = strcmp(fp, u->rm.fingerprint) != 0;
	snprintf(u->sum->algorithm, sizeof(u->sum->algorithm), "%s",
	    u->rm.algorithm);
	u->sum->created = u->rm.created;
	u->sum->updated = u->rm.updated;
	if ((u->rctx = EVP_MD_CTX_new()) == NULL ||
	    (u->old = fim_entry_new("", 0)) == NULL ||
	    (u->prev = fim_entry_new("", 0)) == NULL)
		return MAMORI_ENOMEM;
	return fim_digest_begin(u->rctx, &u->rm);
}

/* The rest of the baseline is removed; then its digest. */
static int
finish_old(struct run *u)
{
	char digest[129];
	json_t *o;
	int r;

	for (;;) {
		if (u->have_old == 0 && (r = next_old(u)) != 0)
			return r;
		if (u->have_old < 0)
			break;
		u->have_old = 0;
		if ((r = removed(u)) != 0)
			return r;
	}
	if ((r = fim_digest_end(u->rctx, u->nold, digest)) != 0)
		return r;
	u->sum->baseline_ok = strcmp(digest, u->rm.digest) == 0 &&
	    u->nold == u->rm.entries;
	if (u->mode == RUN_CHECK)
		snprintf(u->sum->digest, sizeof(u->sum->digest), "%s",
		    u->rm.digest);
	if (u->sum->baseline_ok)
		return 0;
	if ((o = json_object()) == NULL)
		return MAMORI_ENOMEM;
	json_object_set_new(o, "database", fim_json_bytes(dbpath(u->conf),
	    strlen(dbpath(u->conf))));
	json_object_set_new(o, "stored", json_string(u->rm.digest));
	json_object_set_new(o, "computed", json_string(digest));
	json_object_set_new(o, "stored_entries", json_integer(
	    (json_int_t)u->rm.entries));
	json_object_set_new(o, "entries", json_integer((json_int_t)u->nold));
	return fim_emit_event(u->emit, u->arg, 2, "baseline_mismatch", o);
}

static int
run(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum, int mode)
{
	struct fim_summary local;
	struct fim_scan_cb cb;
	struct run u;
	int r;

	if (sum == NULL)
		sum = &local;
	memset(sum, 0, sizeof(*sum));
	memset(&u, 0, sizeof(u));
	u.conf = conf;
	u.emit = emit;
	u.arg = arg;
	u.sum = sum;
	u.mode = mode;
	u.hash = conf->hash;
	if (conf->nrules == 0) {
		mamori_seterr(sum->err, sizeof(sum->err), "no paths to scan "
		    "(fim.paths in the configuration, or PATH arguments)");
		return MAMORI_ECONFIG;
	}
	if (mode != RUN_INIT && (r = open_old(&u)) != 0)
		goto out;
	if (mode != RUN_CHECK && (r = start_write(&u, u.rm.created)) != 0)
		goto out;
	cb.consume = consume;
	cb.missing = missing;
	cb.arg = &u;
	cb.trust_db = mode != RUN_INIT && conf->trust_metadata ?
	    dbpath(conf) : NULL;
	if ((r = fim_scan(conf, u.hash, &cb, sum->err, sizeof(sum->err))) != 0)
		goto out;
	if (mode != RUN_INIT && ((r = finish_old(&u)) != 0 ||
	    (r = emit_summary(&u)) != 0))
		goto out;
	if (mode != RUN_CHECK && ((r = finish_write(&u)) != 0 ||
	    (r = emit_baseline(&u, mode == RUN_INIT ? "init" : "update")) !=
	    0))
		goto out;
 out:
	if (r != 0 && sum->err[0] == '\0')
		mamori_seterr(sum->err, sizeof(sum->err), "%s",
		    mamori_strerror(r));
	fim_dbw_abort(u.w);
	EVP_MD_CTX_free(u.wctx);
	EVP_MD_CTX_free(u.rctx);
	fim_entry_free(u.old);
	fim_entry_free(u.prev);
	fim_db_close(u.db);
	return r;
}

int
fim_init(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum)
{
	return run(conf, emit, arg, sum, RUN_INIT);
}

int
fim_check(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum)
{
	return run(conf, emit, arg, sum, RUN_CHECK);
}

int
fim_update(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum)
{
	return run(conf, emit, arg, sum, RUN_UPDATE);
}
