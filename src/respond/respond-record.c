/*
 * respond-record.c - the blocks table of mamori.db (src/store/db.c,
 * migration 3) and the incident timeline entries of blocks.
 *
 * The firewall holds the live set; this is the record of what was asked
 * for, by whom, why, and when it ended.  A row is in force while removed
 * is NULL and expires is NULL or in the future; it ends by an unblock, by
 * a newer block of the same address (replaced), or by its expiry (noticed
 * by respond_record_expire(), which sets removed = expires).
 *
 * incident_log() runs its own transaction, so a row and its timeline
 * entry cannot share one: the row is written first and deleted again
 * when the timeline entry fails, so both are there or neither.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "incident/incident.h"
#include "respond/respond.h"
#include "store/db.h"

static int
tx(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    MAMORI_EDB;
}

int
respond_record_check(sqlite3 *db, int64_t incident_id, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = db_prep(db, &st, "SELECT 1 FROM incidents WHERE id = ?", "i",
	    incident_id)) != 0)
		return r;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return MAMORI_EDB;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "no incident %" PRId64, incident_id);
	return MAMORI_ENOTFOUND;
}

int
respond_record_block(sqlite3 *db, const char *addr, int64_t now_ns,
    int64_t duration_ns, const char *who, const char *reason,
    int64_t incident_id, int dry_run, int64_t *id)
{
	sqlite3_stmt *st;
	char text[512], d[32];
	int64_t rowid;
	int r;

	if (id != NULL)
		*id = 0;
	if (incident_id != 0 &&
	    (r = respond_record_check(db, incident_id, NULL, 0)) != 0)
		return r;
	if ((r = tx(db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = db_prep(db, &st, "UPDATE blocks SET removed = ? WHERE addr = ? "
	    "AND removed IS NULL AND dry_run = ? AND (expires IS NULL OR "
	    "expires > ?)", "isdi", now_ns, addr, dry_run ? 1 : 0,
	    now_ns)) != 0 || (r = db_run(st)) != 0)
		goto fail;
	if (duration_ns > 0)
		r = db_prep(db, &st, "INSERT INTO blocks (addr, created, "
		    "expires, who, reason, incident_id, dry_run) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?)", "siissId", addr, now_ns,
		    now_ns + duration_ns, who, reason, incident_id,
		    dry_run ? 1 : 0);
	else
		r = db_prep(db, &st, "INSERT INTO blocks (addr, created, "
		    "expires, who, reason, incident_id, dry_run) VALUES "
		    "(?, ?, NULL, ?, ?, ?, ?)", "sissId", addr, now_ns, who,
		    reason, incident_id, dry_run ? 1 : 0);
	if (r != 0 || (r = db_run(st)) != 0)
		goto fail;
	rowid = sqlite3_last_insert_rowid(db);
	if ((r = tx(db, "COMMIT")) != 0)
		goto fail;
	if (incident_id != 0) {
		snprintf(text, sizeof(text), "%s %s %s%s%s%s",
		    dry_run ? "dry run: would block" : "blocked", addr,
		    duration_ns > 0 ? "for " : "until unblocked",
		    duration_ns > 0 ? respond_duration_format(duration_ns, d,
		    sizeof(d)) : "", reason != NULL ? ": " : "",
		    reason != NULL ? reason : "");
		if ((r = incident_log(db, incident_id, "block", text,
		    who)) != 0) {
			/* Undo: the new row goes, the rows it replaced are
			 * in force again. */
			if (tx(db, "BEGIN IMMEDIATE") == 0) {
				if (db_prep(db, &st, "DELETE FROM blocks WHERE "
				    "id = ?", "i", rowid) == 0)
					db_run(st);
				if (db_prep(db, &st, "UPDATE blocks SET removed = "
				    "NULL WHERE addr = ? AND removed = ?", "si",
				    addr, now_ns) == 0)
					db_run(st);
				tx(db, "COMMIT");
			}
			return r;
		}
	}
	if (id != NULL)
		*id = rowid;
	return 0;
 fail:
	tx(db, "ROLLBACK");
	return r;
}

/* Incident ids of the rows in force for addr, into ids (at most max). */
static int
live_incidents(sqlite3 *db, const char *addr, int64_t now_ns, int64_t *ids,
    size_t max, size_t *n)
{
	sqlite3_stmt *st;
	int r, rc;

	*n = 0;
	if ((r = db_prep(db, &st, "SELECT DISTINCT incident_id FROM blocks "
	    "WHERE addr = ? AND removed IS NULL AND incident_id IS NOT NULL "
	    "AND (expires IS NULL OR expires > ?)", "si", addr, now_ns)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (*n < max)
			ids[(*n)++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

int
respond_record_unblock(sqlite3 *db, const char *addr, int64_t now_ns,
    const char *who, int64_t incident_id, int *np)
{
	sqlite3_stmt *st;
	int64_t ids[16];
	size_t n, i;
	char text[256];
	int r;

	if (np != NULL)
		*np = 0;
	if (incident_id != 0 &&
	    (r = respond_record_check(db, incident_id, NULL, 0)) != 0)
		return r;
	if ((r = live_incidents(db, addr, now_ns, ids, 15, &n)) != 0)
		return r;
	if ((r = db_prep(db, &st, "UPDATE blocks SET removed = ? WHERE addr = ? "
	    "AND removed IS NULL AND (expires IS NULL OR expires > ?)", "isi",
	    now_ns, addr, now_ns)) != 0 || (r = db_run(st)) != 0)
		return r;
	if (np != NULL)
		*np = sqlite3_changes(db);
	if (incident_id != 0) {
		for (i = 0; i < n && ids[i] != incident_id; i++)
			;
		if (i == n)
			ids[n++] = incident_id;
	}
	snprintf(text, sizeof(text), "unblocked %s", addr);
	for (i = 0; i < n; i++)
		if ((r = incident_log(db, ids[i], "unblock", text, who)) != 0 &&
		    r != MAMORI_ENOTFOUND)
			return r;
	return 0;
}

int
respond_record_expire(sqlite3 *db, int64_t now_ns)
{
	sqlite3_stmt *st;
	struct exp { int64_t id, inc; char addr[RESPOND_ADDR_STRLEN]; } *v = NULL,
	    *nv;
	size_t n = 0, cap = 0, i;
	char text[256];
	const unsigned char *a;
	int r, rc;

	if ((r = db_prep(db, &st, "SELECT id, coalesce(incident_id, 0), addr "
	    "FROM blocks WHERE removed IS NULL AND expires IS NOT NULL AND "
	    "expires <= ? ORDER BY id", "i", now_ns)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				sqlite3_finalize(st);
				free(v);
				return MAMORI_ENOMEM;
			}
			v = nv;
		}
		v[n].id = sqlite3_column_int64(st, 0);
		v[n].inc = sqlite3_column_int64(st, 1);
		a = sqlite3_column_text(st, 2);
		snprintf(v[n].addr, sizeof(v[n].addr), "%s",
		    a != NULL ? (const char *)a : "?");
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return MAMORI_EDB;
	}
	for (i = 0; i < n; i++) {
		if ((r = db_prep(db, &st, "UPDATE blocks SET removed = expires "
		    "WHERE id = ? AND removed IS NULL", "i", v[i].id)) != 0 ||
		    (r = db_run(st)) != 0)
			break;
		if (v[i].inc == 0 || sqlite3_changes(db) == 0)
			continue;
		snprintf(text, sizeof(text), "block of %s expired", v[i].addr);
		if ((r = incident_log(db, v[i].inc, "unblock", text,
		    "mamori")) != 0 && r != MAMORI_ENOTFOUND)
			break;
		r = 0;
	}
	free(v);
	return r;
}

int
respond_record_each(sqlite3 *db, int64_t now_ns, const char *addr,
    int dry_run, int (*cb)(void *, const struct respond_row *), void *arg)
{
	sqlite3_stmt *st;
	struct respond_row row;
	int r, rc = SQLITE_DONE;

	if ((r = db_prep(db, &st, "SELECT id, addr, created, "
	    "coalesce(expires, 0), who, reason, coalesce(incident_id, 0), "
	    "dry_run FROM blocks WHERE removed IS NULL AND (expires IS NULL "
	    "OR expires > ?) AND (? IS NULL OR addr = ?) AND (? < 0 OR "
	    "dry_run = ?) ORDER BY id DESC", "issdd", now_ns, addr, addr,
	    dry_run, dry_run)) != 0)
		return r;
	r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(st, 0);
		row.addr = (const char *)sqlite3_column_text(st, 1);
		row.created_ns = sqlite3_column_int64(st, 2);
		row.expires_ns = sqlite3_column_int64(st, 3);
		row.who = (const char *)sqlite3_column_text(st, 4);
		row.reason = (const char *)sqlite3_column_text(st, 5);
		row.incident_id = sqlite3_column_int64(st, 6);
		row.dry_run = sqlite3_column_int(st, 7);
		if (row.addr == NULL)
			row.addr = "";
		if (row.who == NULL)
			row.who = "";
		r = cb(arg, &row);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = MAMORI_EDB;
	sqlite3_finalize(st);
	return r;
}

int
respond_record_auto_count(sqlite3 *db, int64_t now_ns, int dry_run, int *n)
{
	sqlite3_stmt *st;
	int r, rc;

	*n = 0;
	if ((r = db_prep(db, &st, "SELECT count(*) FROM blocks WHERE who = "
	    "'mamori' AND removed IS NULL AND (expires IS NULL OR expires > "
	    "?) AND dry_run = ?", "id", now_ns, dry_run ? 1 : 0)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : MAMORI_EDB;
}
