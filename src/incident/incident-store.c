/*
 * incident-store.c - incidents in mamori.db: loading, listing and every
 * change a responder or the manager makes, each in one transaction with
 * its timeline entry.
 *
 * The schema is src/store/db.c's migration 3.  Rows of incidents are
 * never deleted (a trigger refuses it); the timeline is append-only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/incident.h"
#include "incident/playbook.h"
#include "store/db.h"

#define SYSTEM_USER	"mamori"

/* ---- small SQLite helpers ---- */

static int
begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : MAMORI_EDB;
}

static int
commit(sqlite3 *db, int r)
{
	if (r == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) ==
	    SQLITE_OK)
		return 0;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r != 0 ? r : MAMORI_EDB;
}

/* A copy of column c, or NULL; sets *oom when the copy fails. */
static char *
col_dup(sqlite3_stmt *st, int c, int *oom)
{
	const unsigned char *t = sqlite3_column_text(st, c);
	char *s;

	if (t == NULL)
		return NULL;
	if ((s = strdup((const char *)t)) == NULL)
		*oom = 1;
	return s;
}

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *np;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap == 0 ? 8 : *cap * 2;
	if ((np = reallocarray(*p, nc, size)) == NULL)
		return MAMORI_ENOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

/* ---- timeline ---- */

static int
timeline_add(sqlite3 *db, int64_t id, int64_t at, const char *who,
    const char *kind, const char *text)
{
	int r;

	if ((r = db_exec(db, "INSERT INTO incident_timeline (incident_id, at, "
	    "who, kind, text) VALUES (?, ?, ?, ?, ?)", "iisss", id, at,
	    who != NULL ? who : SYSTEM_USER, kind, text != NULL ? text : "")) !=
	    0)
		return r;
	return db_exec(db, "UPDATE incidents SET updated = ? WHERE id = ?",
	    "ii", at, id);
}

int
incident_state(sqlite3 *db, int64_t id, enum inc_status *status,
    enum inc_impact *impact, enum inc_severity *severity,
    int64_t *merged_into)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = db_prep(db, &st, "SELECT status, impact, severity, "
	    "coalesce(merged_into, 0) FROM incidents WHERE id = ?", "i",
	    id)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (status != NULL)
			*status = sqlite3_column_int(st, 0);
		if (impact != NULL)
			*impact = sqlite3_column_int(st, 1);
		if (severity != NULL)
			*severity = sqlite3_column_int(st, 2);
		if (merged_into != NULL)
			*merged_into = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? MAMORI_ENOTFOUND : MAMORI_EDB;
}

/* In a transaction: the incident must exist and not be merged away. */
static int
changeable(sqlite3 *db, int64_t id)
{
	int64_t merged;
	int r;

	if ((r = incident_state(db, id, NULL, NULL, NULL, &merged)) != 0)
		return r;
	return merged != 0 ? MAMORI_EINVAL : 0;
}

int
incident_log(sqlite3 *db, int64_t id, const char *kind, const char *text,
    const char *who)
{
	int r;

	if ((r = begin(db)) != 0)
		return r;
	if ((r = incident_state(db, id, NULL, NULL, NULL, NULL)) == 0)
		r = timeline_add(db, id, time_now_ns(), who, kind, text);
	return commit(db, r);
}

/* ---- changes ---- */

/* Sets column col (an integer) and logs "kind: from -> to". */
static int
set_int(sqlite3 *db, int64_t id, const char *col, int val, const char *kind,
    const char *text, const char *who)
{
	char sql[128];
	int r;

	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) == 0) {
		snprintf(sql, sizeof(sql), "UPDATE incidents SET %s = ? "
		    "WHERE id = ?", col);
		r = db_exec(db, sql, "di", val, id);
	}
	if (r == 0)
		r = timeline_add(db, id, time_now_ns(), who, kind, text);
	return commit(db, r);
}

int
incident_set_status(sqlite3 *db, int64_t id, enum inc_status s,
    const char *who, const char *note)
{
	enum inc_status old;
	char text[512];
	int r;

	if ((unsigned)s >= INC_NSTATUS)
		return MAMORI_EINVAL;
	if ((r = incident_state(db, id, &old, NULL, NULL, NULL)) != 0)
		return r;
	if (old == s && (note == NULL || *note == '\0'))
		return 0;
	snprintf(text, sizeof(text), "status %s -> %s%s%s",
	    inc_status_name(old), inc_status_name(s),
	    note != NULL && *note != '\0' ? ": " : "", note != NULL ? note : "");
	return set_int(db, id, "status", s, "status", text, who);
}

int
incident_set_impact(sqlite3 *db, int64_t id, enum inc_impact level,
    const char *who, const char *why)
{
	enum inc_impact old;
	char text[512];
	int r;

	if (level < INC_IMPACT_INTERNAL || level > INC_IMPACT_INFRASTRUCTURE)
		return MAMORI_EINVAL;
	if ((r = incident_state(db, id, NULL, &old, NULL, NULL)) != 0)
		return r;
	if (old == level)
		return 0;
	snprintf(text, sizeof(text), "impact %s -> %s%s%s",
	    inc_impact_name(old), inc_impact_name(level),
	    why != NULL && *why != '\0' ? ": " : "", why != NULL ? why : "");
	return set_int(db, id, "impact", level, "impact", text, who);
}

int
incident_set_severity(sqlite3 *db, int64_t id, enum inc_severity sev,
    const char *who)
{
	enum inc_severity old;
	char text[128];
	int r;

	if (sev < INC_SEV_LOW || sev > INC_SEV_CRITICAL)
		return MAMORI_EINVAL;
	if ((r = incident_state(db, id, NULL, NULL, &old, NULL)) != 0)
		return r;
	if (old == sev)
		return 0;
	snprintf(text, sizeof(text), "severity %s -> %s",
	    inc_severity_name(old), inc_severity_name(sev));
	return set_int(db, id, "severity", sev, "severity", text, who);
}

int
incident_set_assignee(sqlite3 *db, int64_t id, const char *user,
    const char *who)
{
	char text[512];
	int r;

	if (user != NULL && *user == '\0')
		user = NULL;
	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) == 0)
		r = db_exec(db, "UPDATE incidents SET assignee = ? WHERE id = ?",
		    "si", user, id);
	if (r == 0) {
		snprintf(text, sizeof(text), user != NULL ? "assigned to %s" :
		    "unassigned%s", user != NULL ? user : "");
		r = timeline_add(db, id, time_now_ns(), who, "assignee", text);
	}
	return commit(db, r);
}

int
incident_add_note(sqlite3 *db, int64_t id, const char *text,
    const char *who)
{
	int r;

	if (text == NULL || *text == '\0')
		return MAMORI_EINVAL;
	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) == 0)
		r = timeline_add(db, id, time_now_ns(), who, "note", text);
	return commit(db, r);
}

int
incident_set_step(sqlite3 *db, int64_t id, int n, enum inc_step_state state,
    const char *note, const char *who)
{
	sqlite3_stmt *st;
	char *title = NULL, text[1024];
	int64_t now = time_now_ns();
	int r, rc;

	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) != 0)
		return commit(db, r);
	if ((r = db_prep(db, &st, "SELECT title FROM incident_steps WHERE "
	    "incident_id = ? AND n = ?", "id", id, n)) != 0)
		return commit(db, r);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (title = strdup((const char *)
	    sqlite3_column_text(st, 0))) == NULL)
		r = MAMORI_ENOMEM;
	else if (rc == SQLITE_DONE)
		r = MAMORI_ENOTFOUND;
	else if (rc != SQLITE_ROW)
		r = MAMORI_EDB;
	sqlite3_finalize(st);
	if (r == 0 && state == INC_STEP_OPEN)
		r = db_exec(db, "UPDATE incident_steps SET state = 0, who = NULL, "
		    "at = NULL, note = ? WHERE incident_id = ? AND n = ?",
		    "sid", note, id, n);
	else if (r == 0)
		r = db_exec(db, "UPDATE incident_steps SET state = ?, who = ?, "
		    "at = ?, note = ? WHERE incident_id = ? AND n = ?",
		    "dsisid", (int)state, who != NULL ? who : SYSTEM_USER, now,
		    note, id, n);
	if (r == 0) {
		snprintf(text, sizeof(text), "step %d %s: %s%s%s", n,
		    state == INC_STEP_OPEN ? "reopened" :
		    inc_step_state_name(state), title,
		    note != NULL && *note != '\0' ? " - " : "",
		    note != NULL ? note : "");
		r = timeline_add(db, id, now, who, "step", text);
	}
	free(title);
	return commit(db, r);
}

int
incident_add_evidence(sqlite3 *db, int64_t id, enum inc_evidence_kind kind,
    const char *value, const char *note, const char *who)
{
	int64_t now = time_now_ns();
	char text[1024];
	int r;

	if (value == NULL || *value == '\0' ||
	    inc_evidence_kind_parse(inc_evidence_kind_name(kind)) < 0)
		return MAMORI_EINVAL;
	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) == 0)
		r = db_exec(db, "INSERT INTO incident_evidence (incident_id, "
		    "kind, value, note, who, at) VALUES (?, ?, ?, ?, ?, ?)",
		    "idsssi", id, (int)kind, value, note,
		    who != NULL ? who : SYSTEM_USER, now);
	if (r == 0) {
		snprintf(text, sizeof(text), "%s %s%s%s",
		    inc_evidence_kind_name(kind), value,
		    note != NULL && *note != '\0' ? " - " : "",
		    note != NULL ? note : "");
		r = timeline_add(db, id, now, who, "evidence", text);
	}
	return commit(db, r);
}

static int
add_parties(sqlite3 *db, int64_t id, const struct inc_party *p, size_t n)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if (p[i].value == NULL || *p[i].value == '\0')
			continue;
		if ((r = db_exec(db, "INSERT OR IGNORE INTO incident_parties "
		    "(incident_id, role, kind, value, internal) VALUES "
		    "(?, ?, ?, ?, ?)", "iddsd", id, (int)p[i].role,
		    (int)p[i].kind, p[i].value, p[i].internal)) != 0)
			return r;
	}
	return 0;
}

static int
add_alerts(sqlite3 *db, int64_t id, const struct inc_alert_ref *a, size_t n)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = SQLITE_OK;

	if (n == 0)
		return 0;
	if (sqlite3_prepare_v2(db, "INSERT INTO incident_alerts (incident_id, "
	    "alert_id, log_seq, time, rule_id, level, description, host, "
	    "srcip, user, log) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
	    &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		if (a[i].alert_id != 0)
			sqlite3_bind_int64(st, 2, a[i].alert_id);
		else
			sqlite3_bind_null(st, 2);
		if (a[i].log_seq != 0)
			sqlite3_bind_int64(st, 3, (int64_t)a[i].log_seq);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int64(st, 4, a[i].time_ns);
		sqlite3_bind_int64(st, 5, a[i].rule_id);
		sqlite3_bind_int(st, 6, a[i].level);
		sqlite3_bind_text(st, 7, a[i].description, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, a[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, a[i].srcip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, a[i].user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, a[i].log, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : MAMORI_EDB;
}

int
incident_attach(sqlite3 *db, int64_t id, const struct inc_alert_ref *a,
    size_t n, const struct inc_party *parties, size_t nparties,
    const char *text)
{
	int64_t first = INT64_MAX, last = INT64_MIN;
	size_t i;
	int r, maxlevel = 0;

	for (i = 0; i < n; i++) {
		if (a[i].time_ns < first)
			first = a[i].time_ns;
		if (a[i].time_ns > last)
			last = a[i].time_ns;
		if (a[i].level > maxlevel)
			maxlevel = a[i].level;
	}
	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, id)) == 0 &&
	    (r = add_alerts(db, id, a, n)) == 0 &&
	    (r = add_parties(db, id, parties, nparties)) == 0 && n > 0)
		r = db_exec(db, "UPDATE incidents SET alert_count = alert_count "
		    "+ ?, first_seen = min(first_seen, ?), last_seen = "
		    "max(last_seen, ?), max_level = max(max_level, ?), "
		    "severity = max(severity, ?) WHERE id = ?", "iiiddi",
		    (int64_t)n, first, last, maxlevel,
		    inc_severity_of_level(maxlevel), id);
	if (r == 0 && text != NULL)
		r = timeline_add(db, id, time_now_ns(), SYSTEM_USER, "alert",
		    text);
	return commit(db, r);
}

int
incident_create(sqlite3 *db, struct incident *inc, const struct playbook *pb,
    const char *who)
{
	int64_t now = time_now_ns(), id;
	char text[1024];
	size_t i;
	int r, n;

	if (inc->title == NULL || inc->category == NULL)
		return MAMORI_EINVAL;
	if (inc->impact < INC_IMPACT_INTERNAL ||
	    inc->impact > INC_IMPACT_INFRASTRUCTURE)
		inc->impact = INC_IMPACT_INTERNAL;
	if (inc->severity < INC_SEV_LOW || inc->severity > INC_SEV_CRITICAL)
		inc->severity = INC_SEV_LOW;
	if (inc->first_seen_ns == 0)
		inc->first_seen_ns = now;
	if (inc->last_seen_ns < inc->first_seen_ns)
		inc->last_seen_ns = inc->first_seen_ns;
	if ((r = begin(db)) != 0)
		return r;
	r = db_exec(db, "INSERT INTO incidents (title, category, rsit_class, "
	    "rsit_type, impact, severity, status, assignee, source, reporter, "
	    "summary, playbook, first_seen, last_seen, created, updated) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssssdddsssssiiii", inc->title, inc->category, inc->rsit_class,
	    inc->rsit_type, (int)inc->impact, (int)inc->severity,
	    (int)INC_NEW, inc->assignee,
	    inc->source != NULL ? inc->source : "alerts", inc->reporter,
	    inc->summary, pb != NULL ? pb->id : NULL, inc->first_seen_ns,
	    inc->last_seen_ns, now, now);
	if (r != 0)
		return commit(db, r);
	id = sqlite3_last_insert_rowid(db);
	for (i = 0, n = 0; pb != NULL && i < pb->nsteps && r == 0; i++)
		if (playbook_step_applies(&pb->steps[i], inc->impact))
			r = db_exec(db, "INSERT INTO incident_steps (incident_id, "
			    "n, step, title, detail) VALUES (?, ?, ?, ?, ?)",
			    "idsss", id, ++n, pb->steps[i].id,
			    pb->steps[i].title, pb->steps[i].detail);
	if (r == 0)
		r = add_parties(db, id, inc->parties, inc->nparties);
	if (r == 0) {
		if (inc->reporter != NULL)
			snprintf(text, sizeof(text), "reported by %s: %s",
			    inc->reporter, inc->title);
		else
			snprintf(text, sizeof(text), "%s", inc->title);
		r = timeline_add(db, id, now, who, inc->reporter != NULL ?
		    "report" : "created", text);
	}
	if ((r = commit(db, r)) == 0) {
		inc->id = id;
		inc->status = INC_NEW;
		inc->created_ns = inc->updated_ns = now;
	}
	return r;
}

int
incident_steps_sync(sqlite3 *db, int64_t id, const struct playbook *pb,
    const char *who)
{
	sqlite3_stmt *st;
	enum inc_impact impact;
	char text[256];
	size_t i;
	int r, n, added = 0, rc;

	if (pb == NULL)
		return 0;
	if ((r = begin(db)) != 0)
		return r;
	if ((r = incident_state(db, id, NULL, &impact, NULL, NULL)) != 0)
		return commit(db, r);
	if ((r = db_prep(db, &st, "SELECT coalesce(max(n), 0) FROM "
	    "incident_steps WHERE incident_id = ?", "i", id)) != 0)
		return commit(db, r);
	n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	for (i = 0; i < pb->nsteps && r == 0; i++) {
		if (!playbook_step_applies(&pb->steps[i], impact))
			continue;
		if ((r = db_prep(db, &st, "SELECT 1 FROM incident_steps WHERE "
		    "incident_id = ? AND step = ?", "is", id,
		    pb->steps[i].id)) != 0)
			break;
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			continue;
		r = db_exec(db, "INSERT INTO incident_steps (incident_id, n, "
		    "step, title, detail) VALUES (?, ?, ?, ?, ?)", "idsss", id,
		    ++n, pb->steps[i].id, pb->steps[i].title,
		    pb->steps[i].detail);
		added++;
	}
	if (r == 0 && added > 0) {
		snprintf(text, sizeof(text), "playbook %s: %d step%s added for "
		    "impact %s", pb->id, added, added == 1 ? "" : "s",
		    inc_impact_name(impact));
		r = timeline_add(db, id, time_now_ns(), who, "step", text);
	}
	return commit(db, r);
}

int
incident_merge(sqlite3 *db, int64_t into, const int64_t *ids, size_t n,
    const char *who)
{
	int64_t now = time_now_ns();
	char text[256];
	size_t i;
	int r;

	if ((r = begin(db)) != 0)
		return r;
	if ((r = changeable(db, into)) != 0)
		return commit(db, r);
	for (i = 0; i < n && r == 0; i++) {
		if (ids[i] == into) {
			r = MAMORI_EINVAL;
			break;
		}
		if ((r = changeable(db, ids[i])) != 0)
			break;
		if ((r = db_exec(db, "INSERT OR IGNORE INTO incident_parties "
		    "SELECT ?, role, kind, value, internal FROM "
		    "incident_parties WHERE incident_id = ?", "ii", into,
		    ids[i])) != 0 ||
		    (r = db_exec(db, "UPDATE incident_alerts SET incident_id = ? "
		    "WHERE incident_id = ?", "ii", into, ids[i])) != 0 ||
		    (r = db_exec(db, "UPDATE incident_evidence SET incident_id = "
		    "? WHERE incident_id = ?", "ii", into, ids[i])) != 0 ||
		    (r = db_exec(db, "UPDATE incidents SET (alert_count, "
		    "first_seen, last_seen, max_level, severity, impact) = "
		    "(SELECT a.alert_count + b.alert_count, min(a.first_seen, "
		    "b.first_seen), max(a.last_seen, b.last_seen), "
		    "max(a.max_level, b.max_level), max(a.severity, "
		    "b.severity), max(a.impact, b.impact) FROM incidents a, "
		    "incidents b WHERE a.id = ? AND b.id = ?) WHERE id = ?",
		    "iii", into, ids[i], into)) != 0 ||
		    (r = db_exec(db, "UPDATE incidents SET merged_into = ?, "
		    "status = ?, alert_count = 0 WHERE id = ?", "idi", into,
		    (int)INC_CLOSED, ids[i])) != 0)
			break;
		snprintf(text, sizeof(text), "merged into incident %lld",
		    (long long)into);
		if ((r = timeline_add(db, ids[i], now, who, "merge", text)) != 0)
			break;
		snprintf(text, sizeof(text), "incident %lld merged into this "
		    "one", (long long)ids[i]);
		r = timeline_add(db, into, now, who, "merge", text);
	}
	return commit(db, r);
}

/* ---- reading ---- */

#define INC_COLUMNS \
	"id, title, category, impact, severity, status, assignee, source, " \
	"reporter, summary, playbook, coalesce(merged_into, 0), first_seen, " \
	"last_seen, created, updated, alert_count, rsit_class, rsit_type"

static int
row_incident(sqlite3_stmt *st, struct incident *inc)
{
	int oom = 0;

	memset(inc, 0, sizeof(*inc));
	inc->id = sqlite3_column_int64(st, 0);
	inc->title = col_dup(st, 1, &oom);
	inc->category = col_dup(st, 2, &oom);
	inc->impact = sqlite3_column_int(st, 3);
	inc->severity = sqlite3_column_int(st, 4);
	inc->status = sqlite3_column_int(st, 5);
	inc->assignee = col_dup(st, 6, &oom);
	inc->source = col_dup(st, 7, &oom);
	inc->reporter = col_dup(st, 8, &oom);
	inc->summary = col_dup(st, 9, &oom);
	inc->playbook = col_dup(st, 10, &oom);
	inc->merged_into = sqlite3_column_int64(st, 11);
	inc->first_seen_ns = sqlite3_column_int64(st, 12);
	inc->last_seen_ns = sqlite3_column_int64(st, 13);
	inc->created_ns = sqlite3_column_int64(st, 14);
	inc->updated_ns = sqlite3_column_int64(st, 15);
	inc->alert_count = (uint64_t)sqlite3_column_int64(st, 16);
	inc->rsit_class = col_dup(st, 17, &oom);
	inc->rsit_type = col_dup(st, 18, &oom);
	return oom ? MAMORI_ENOMEM : 0;
}

static int
load_parties(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int r, rc, oom = 0;

	if ((r = db_prep(db, &st, "SELECT role, kind, value, internal FROM "
	    "incident_parties WHERE incident_id = ? ORDER BY role, kind, "
	    "value", "i", inc->id)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&inc->parties, &cap, inc->nparties,
		    sizeof(*inc->parties))) != 0)
			break;
		inc->parties[inc->nparties].role = sqlite3_column_int(st, 0);
		inc->parties[inc->nparties].kind = sqlite3_column_int(st, 1);
		inc->parties[inc->nparties].value = col_dup(st, 2, &oom);
		inc->parties[inc->nparties].internal =
		    sqlite3_column_int(st, 3);
		inc->nparties++;
	}
	sqlite3_finalize(st);
	if (r == 0 && oom)
		r = MAMORI_ENOMEM;
	return r != 0 ? r : rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

static int
load_steps(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	struct inc_step *s;
	size_t cap = 0;
	int r, rc, oom = 0;

	if ((r = db_prep(db, &st, "SELECT n, step, title, detail, state, who, "
	    "coalesce(at, 0), note FROM incident_steps WHERE incident_id = ? "
	    "ORDER BY n", "i", inc->id)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&inc->steps, &cap, inc->nsteps,
		    sizeof(*inc->steps))) != 0)
			break;
		s = &inc->steps[inc->nsteps++];
		s->n = sqlite3_column_int(st, 0);
		s->id = col_dup(st, 1, &oom);
		s->title = col_dup(st, 2, &oom);
		s->detail = col_dup(st, 3, &oom);
		s->state = sqlite3_column_int(st, 4);
		s->who = col_dup(st, 5, &oom);
		s->at_ns = sqlite3_column_int64(st, 6);
		s->note = col_dup(st, 7, &oom);
	}
	sqlite3_finalize(st);
	if (r == 0 && oom)
		r = MAMORI_ENOMEM;
	return r != 0 ? r : rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

static int
load_evidence(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	struct inc_evidence *e;
	size_t cap = 0;
	int r, rc, oom = 0;

	if ((r = db_prep(db, &st, "SELECT id, kind, value, note, who, at FROM "
	    "incident_evidence WHERE incident_id = ? ORDER BY id", "i",
	    inc->id)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&inc->evidence, &cap, inc->nevidence,
		    sizeof(*inc->evidence))) != 0)
			break;
		e = &inc->evidence[inc->nevidence++];
		e->id = sqlite3_column_int64(st, 0);
		e->kind = sqlite3_column_int(st, 1);
		e->value = col_dup(st, 2, &oom);
		e->note = col_dup(st, 3, &oom);
		e->who = col_dup(st, 4, &oom);
		e->at_ns = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (r == 0 && oom)
		r = MAMORI_ENOMEM;
	return r != 0 ? r : rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

static int
load_timeline(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	struct inc_event *e;
	size_t cap = 0;
	int r, rc, oom = 0;

	if ((r = db_prep(db, &st, "SELECT id, at, who, kind, text FROM "
	    "incident_timeline WHERE incident_id = ? ORDER BY id", "i",
	    inc->id)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&inc->timeline, &cap, inc->ntimeline,
		    sizeof(*inc->timeline))) != 0)
			break;
		e = &inc->timeline[inc->ntimeline++];
		e->id = sqlite3_column_int64(st, 0);
		e->at_ns = sqlite3_column_int64(st, 1);
		e->who = col_dup(st, 2, &oom);
		e->kind = col_dup(st, 3, &oom);
		e->text = col_dup(st, 4, &oom);
	}
	sqlite3_finalize(st);
	if (r == 0 && oom)
		r = MAMORI_ENOMEM;
	return r != 0 ? r : rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

/* The first and the latest INC_ALERTS_SHOWN alerts, oldest first. */
static int
load_alerts(sqlite3 *db, struct incident *inc)
{
	sqlite3_stmt *st;
	struct inc_alert_ref *a;
	size_t cap = 0;
	int r, rc, oom = 0;

	if ((r = db_prep(db, &st, "SELECT coalesce(alert_id, 0), "
	    "coalesce(log_seq, 0), time, rule_id, level, description, host, "
	    "srcip, user, log FROM incident_alerts WHERE id IN "
	    "(SELECT id FROM incident_alerts WHERE incident_id = ?1 "
	    "ORDER BY id LIMIT ?2) OR id IN (SELECT id FROM incident_alerts "
	    "WHERE incident_id = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
	    "id", inc->id, INC_ALERTS_SHOWN)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = grow((void **)&inc->alerts, &cap, inc->nalerts,
		    sizeof(*inc->alerts))) != 0)
			break;
		a = &inc->alerts[inc->nalerts++];
		memset(a, 0, sizeof(*a));
		a->alert_id = sqlite3_column_int64(st, 0);
		a->log_seq = (uint64_t)sqlite3_column_int64(st, 1);
		a->time_ns = sqlite3_column_int64(st, 2);
		a->rule_id = (uint32_t)sqlite3_column_int64(st, 3);
		a->level = sqlite3_column_int(st, 4);
		a->description = col_dup(st, 5, &oom);
		a->host = col_dup(st, 6, &oom);
		a->srcip = col_dup(st, 7, &oom);
		a->user = col_dup(st, 8, &oom);
		a->log = col_dup(st, 9, &oom);
	}
	sqlite3_finalize(st);
	if (r == 0 && oom)
		r = MAMORI_ENOMEM;
	return r != 0 ? r : rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

int
incident_get(sqlite3 *db, int64_t id, struct incident *inc)
{
	sqlite3_stmt *st;
	int r, rc;

	memset(inc, 0, sizeof(*inc));
	if ((r = db_prep(db, &st, "SELECT " INC_COLUMNS " FROM incidents WHERE "
	    "id = ?", "i", id)) != 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = row_incident(st, inc);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? MAMORI_ENOTFOUND : MAMORI_EDB;
	if (r != 0 || (r = load_parties(db, inc)) != 0 ||
	    (r = load_steps(db, inc)) != 0 ||
	    (r = load_evidence(db, inc)) != 0 ||
	    (r = load_timeline(db, inc)) != 0 ||
	    (r = load_alerts(db, inc)) != 0) {
		incident_release(inc);
		return r;
	}
	return 0;
}

int
incident_list(sqlite3 *db, const struct inc_filter *f,
    int (*cb)(void *, const struct incident *), void *arg)
{
	sqlite3_stmt *st;
	struct incident inc;
	char sql[512];
	int r = 0, rc, status = f != NULL ? f->status : -1;

	snprintf(sql, sizeof(sql), "SELECT " INC_COLUMNS " FROM incidents "
	    "WHERE (?1 < 0 OR (?1 = %d AND status NOT IN (%d, %d)) OR "
	    "status = ?1) AND (?2 IS NULL OR category = ?2) AND "
	    "(?3 OR merged_into IS NULL) ORDER BY id %s LIMIT ?4",
	    INC_NSTATUS, INC_CLOSED, INC_FALSE_POSITIVE,
	    f != NULL && f->oldest_first ? "ASC" : "DESC");
	if ((r = db_prep(db, &st, sql, "dsdi", status,
	    f != NULL ? f->category : NULL,
	    f != NULL ? f->include_merged : 0,
	    f != NULL && f->limit > 0 ? (int64_t)f->limit : (int64_t)-1)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = row_incident(st, &inc)) != 0 ||
		    (r = load_parties(db, &inc)) != 0 ||
		    (r = load_steps(db, &inc)) != 0) {
			incident_release(&inc);
			break;
		}
		r = cb(arg, &inc);
		incident_release(&inc);
		if (r != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	return rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}
