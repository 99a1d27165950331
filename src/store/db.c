/*
 * db.c - mamori.db: opening, migrations, hosts and the status snapshot.
 *
 * Migrations are an append-only list of SQL scripts; migration i brings the
 * schema from version i to i+1.  Never edit a released step: add one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "store/db.h"

struct db {
	sqlite3		*h;
	sqlite3_stmt	*host_merge;
	sqlite3_stmt	*alert_add;
};

static const char *migrations[] = {
	/* 0 -> 1: hosts and the status snapshot. */
	"CREATE TABLE hosts ("
	"  name TEXT PRIMARY KEY,"
	"  last_src TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	"  clock_offset_ns INTEGER"
	");"
	"CREATE INDEX hosts_last_seen ON hosts(last_seen);"
	"CREATE TABLE status ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  updated INTEGER NOT NULL,"
	"  json TEXT NOT NULL"
	");",
	/* 1 -> 2: alerts of the rules engine, each linked to the log
	 * record (log store seq) that raised it. */
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  description TEXT,"
	"  groups TEXT,"
	"  host TEXT,"
	"  srcip TEXT,"
	"  user TEXT,"
	"  log_seq INTEGER,"
	"  json TEXT NOT NULL"
	");"
	"CREATE INDEX alerts_time ON alerts(time);"
	"CREATE INDEX alerts_rule ON alerts(rule_id, time);"
	"CREATE INDEX alerts_srcip ON alerts(srcip, time);",
	/* 2 -> 3: incidents (src/incident/incident.h).  The timeline and
	 * the notification record are append-only: triggers refuse to
	 * change or delete their rows. */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  category TEXT NOT NULL,"
	"  rsit_class TEXT,"
	"  rsit_type TEXT,"
	"  impact INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  assignee TEXT,"
	"  source TEXT NOT NULL,"
	"  reporter TEXT,"
	"  summary TEXT,"
	"  playbook TEXT,"
	"  merged_into INTEGER REFERENCES incidents(id),"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  alert_count INTEGER NOT NULL DEFAULT 0,"
	"  max_level INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX incidents_status ON incidents(status, updated);"
	"CREATE INDEX incidents_category ON incidents(category, updated);"
	"CREATE TABLE incident_parties ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  role INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  value TEXT NOT NULL,"
	"  internal INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (incident_id, role, kind, value)"
	") WITHOUT ROWID;"
	"CREATE INDEX incident_parties_value ON incident_parties(value);"
	"CREATE TABLE incident_alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  alert_id INTEGER,"
	"  log_seq INTEGER,"
	"  time INTEGER NOT NULL,"
	"  rule_id INTEGER NOT NULL,"
	"  level INTEGER NOT NULL,"
	"  description TEXT,"
	"  host TEXT,"
	"  srcip TEXT,"
	"  user TEXT,"
	"  log TEXT"
	");"
	"CREATE INDEX incident_alerts_inc ON incident_alerts(incident_id, id);"
	"CREATE TABLE incident_steps ("
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  n INTEGER NOT NULL,"
	"  step TEXT NOT NULL,"
	"  title TEXT NOT NULL,"
	"  detail TEXT,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  who TEXT,"
	"  at INTEGER,"
	"  note TEXT,"
	"  PRIMARY KEY (incident_id, n)"
	") WITHOUT ROWID;"
	"CREATE TABLE incident_evidence ("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  kind INTEGER NOT NULL,"
	"  value TEXT NOT NULL,"
	"  note TEXT,"
	"  who TEXT NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX incident_evidence_inc ON incident_evidence(incident_id);"
	"CREATE TABLE incident_timeline ("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
	"  at INTEGER NOT NULL,"
	"  who TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  text TEXT NOT NULL"
	");"
	"CREATE INDEX incident_timeline_inc ON incident_timeline(incident_id, id);"
	"CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON "
	"  incident_timeline BEGIN SELECT RAISE(ABORT, 'the incident "
	"  timeline is append-only'); END;"
	"CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON "
	"  incident_timeline BEGIN SELECT RAISE(ABORT, 'the incident "
	"  timeline is append-only'); END;"
	"CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents "
	"  BEGIN SELECT RAISE(ABORT, 'incidents are never deleted; close "
	"  them'); END;"
	/* Containment (src/respond): every block asked for, with when it
	 * ends and when it was lifted; the firewall holds the live set. */
	"CREATE TABLE blocks ("
	"  id INTEGER PRIMARY KEY,"
	"  addr TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER,"
	"  removed INTEGER,"
	"  who TEXT NOT NULL,"
	"  reason TEXT,"
	"  incident_id INTEGER REFERENCES incidents(id),"
	"  dry_run INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX blocks_addr ON blocks(addr, removed);"
	/* Notification (src/incident/notify.c): each attempt to reach a
	 * contact, sent or failed. */
	"CREATE TABLE notifications ("
	"  id INTEGER PRIMARY KEY,"
	"  incident_id INTEGER REFERENCES incidents(id),"
	"  at INTEGER NOT NULL,"
	"  contact TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  error TEXT"
	");"
	"CREATE INDEX notifications_inc ON notifications(incident_id);",
	/* 3 -> 4: the agents the server has heard (src/server/agents.h):
	 * identity, last seen, and whether each went silent. */
	"CREATE TABLE agents ("
	"  name TEXT PRIMARY KEY,"
	"  address TEXT,"
	"  version TEXT,"
	"  instance TEXT,"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  last_seq INTEGER NOT NULL DEFAULT 0,"
	"  cert_subject TEXT,"
	"  key_id TEXT,"
	"  state TEXT NOT NULL DEFAULT 'active'"
	"    CHECK (state IN ('active', 'silent')),"
	"  silent_since INTEGER,"
	"  stopped_at INTEGER"
	");"
	"CREATE INDEX agents_state ON agents(state, last_seen);",
	/* 4 -> 5: the web console (src/web/web-users.h): users with
	 * argon2id password hashes, sessions and API tokens (only the
	 * SHA-256 of each token is kept), failed logins for the rate
	 * limit; and an index for the console's live updates, which look
	 * for incidents by the time they changed. */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),"
	"  password TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  last_login INTEGER"
	");"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash BLOB NOT NULL UNIQUE,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  csrf TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  address TEXT"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE INDEX sessions_expires ON sessions(expires);"
	"CREATE TABLE api_tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  name TEXT NOT NULL,"
	"  token_hash BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  last_used INTEGER,"
	"  UNIQUE (user_id, name)"
	");"
	"CREATE TABLE login_failures ("
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE INDEX login_failures_key ON login_failures(key, at);"
	"CREATE INDEX login_failures_at ON login_failures(at);"
	"CREATE INDEX incidents_updated ON incidents(updated);",
	/* 5 -> 6: the digest of the file-integrity baseline each agent
	 * last made, to tell a swapped baseline (src/server/agents.h). */
	"ALTER TABLE agents ADD COLUMN fim_digest TEXT;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
db_schema_latest(void)
{
	return NMIGRATIONS;
}

static int
user_version(sqlite3 *h)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
migrate(sqlite3 *h, const char *path, char *err, size_t errlen)
{
	int v, i;
	char *msg = NULL, sql[64];

	if ((v = user_version(h)) < 0) {
		snprintf(err, errlen, "%s: cannot read schema version: %s",
		    path, sqlite3_errmsg(h));
		return MAMORI_EDB;
	}
	if (v > NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d is newer than "
		    "this mamori understands (%d); refusing to open it", path,
		    v, NMIGRATIONS);
		return MAMORI_EDB;
	}
	for (i = v; i < NMIGRATIONS; i++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", i + 1);
		if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
		    SQLITE_OK ||
		    sqlite3_exec(h, migrations[i], NULL, NULL, &msg) !=
		    SQLITE_OK ||
		    sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "%s: migration to schema "
			    "version %d failed: %s", path, i + 1,
			    msg ? msg : sqlite3_errmsg(h));
			sqlite3_free(msg);
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
			return MAMORI_EDB;
		}
	}
	return 0;
}

struct db *
db_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct db *db;
	int flags;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	flags |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db->h ?
		    sqlite3_errmsg(db->h) : "cannot open database");
		db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	if (!readonly) {
		/* WAL lets `mamori status` read while the server writes;
		 * NORMAL is durable at checkpoints, which suffices for
		 * counters (the log store has its own durability). */
		sqlite3_exec(db->h, "PRAGMA journal_mode=WAL", NULL, NULL,
		    NULL);
		sqlite3_exec(db->h, "PRAGMA synchronous=NORMAL", NULL, NULL,
		    NULL);
		if (migrate(db->h, path, err, errlen) != 0) {
			db_close(db);
			return NULL;
		}
	} else if (user_version(db->h) != NMIGRATIONS) {
		snprintf(err, errlen, "%s: schema version %d, expected %d "
		    "(start the server once to migrate it)", path,
		    user_version(db->h), NMIGRATIONS);
		db_close(db);
		return NULL;
	}
	return db;
}

sqlite3 *
db_sqlite(struct db *db)
{
	return db->h;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->host_merge);
	sqlite3_finalize(db->alert_add);
	sqlite3_close(db->h);
	free(db);
}

int
db_schema_version(struct db *db)
{
	return user_version(db->h);
}

/* A batch write: prepares *st once (sql), begins a transaction. */
static int
tx_begin(struct db *db, sqlite3_stmt **st, const char *sql)
{
	if (*st == NULL && sqlite3_prepare_v2(db->h, sql, -1, st, NULL) !=
	    SQLITE_OK)
		return MAMORI_EDB;
	if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	return 0;
}

/* Commits what tx_begin() began, or rolls it back when rc says so. */
static int
tx_end(struct db *db, int rc)
{
	if (rc != 0) {
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	return 0;
}

int
db_alerts_add(struct db *db, struct db_alert *a, size_t n)
{
	static const char sql[] =
	    "INSERT INTO alerts (time, rule_id, level, description, groups, "
	    "  host, srcip, user, log_seq, json) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((rc = tx_begin(db, &db->alert_add, sql)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *st = db->alert_add;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a[i].time_ns);
		sqlite3_bind_int64(st, 2, a[i].rule_id);
		sqlite3_bind_int(st, 3, a[i].level);
		sqlite3_bind_text(st, 4, a[i].description, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, a[i].groups, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, a[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, a[i].srcip, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, a[i].user, -1, SQLITE_STATIC);
		if (a[i].log_seq != 0)
			sqlite3_bind_int64(st, 9, (sqlite3_int64)a[i].log_seq);
		else
			sqlite3_bind_null(st, 9);
		sqlite3_bind_text(st, 10, a[i].json, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = MAMORI_EDB;
		else
			a[i].id = sqlite3_last_insert_rowid(db->h);
	}
	return tx_end(db, rc);
}

int
db_hosts_merge(struct db *db, const struct db_host *hosts, size_t n)
{
	static const char sql[] =
	    "INSERT INTO hosts (name, last_src, first_seen, last_seen, "
	    "  messages, clock_offset_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT(name) DO UPDATE SET last_src = ?2, "
	    "  first_seen = min(first_seen, ?3), "
	    "  last_seen = max(last_seen, ?4), "
	    "  messages = messages + ?5, "
	    "  clock_offset_ns = coalesce(?6, clock_offset_ns)";
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((rc = tx_begin(db, &db->host_merge, sql)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *st = db->host_merge;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, hosts[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hosts[i].src, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, hosts[i].first_seen_ns);
		sqlite3_bind_int64(st, 4, hosts[i].last_seen_ns);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)hosts[i].messages);
		if (hosts[i].has_offset)
			sqlite3_bind_int64(st, 6, hosts[i].offset_ns);
		else
			sqlite3_bind_null(st, 6);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = MAMORI_EDB;
	}
	return tx_end(db, rc);
}

static void
copy_text(char *dst, size_t len, const unsigned char *s)
{
	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

int
db_hosts_each(struct db *db, int (*cb)(void *, const struct db_host *),
    void *arg)
{
	sqlite3_stmt *st;
	struct db_host h;
	int rc = 0, step;

	if (sqlite3_prepare_v2(db->h, "SELECT name, last_src, first_seen, "
	    "last_seen, messages, clock_offset_ns FROM hosts "
	    "ORDER BY last_seen DESC", -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		copy_text(h.name, sizeof(h.name), sqlite3_column_text(st, 0));
		copy_text(h.src, sizeof(h.src), sqlite3_column_text(st, 1));
		h.first_seen_ns = sqlite3_column_int64(st, 2);
		h.last_seen_ns = sqlite3_column_int64(st, 3);
		h.messages = (uint64_t)sqlite3_column_int64(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
			h.has_offset = 1;
			h.offset_ns = sqlite3_column_int64(st, 5);
		}
		if ((rc = cb(arg, &h)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = MAMORI_EDB;
	sqlite3_finalize(st);
	return rc;
}

int
db_status_put(struct db *db, int64_t now_ns, const char *json)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO status "
	    "(id, updated, json) VALUES (1, ?1, ?2)", -1, &st, NULL) !=
	    SQLITE_OK)
		return MAMORI_EDB;
	sqlite3_bind_int64(st, 1, now_ns);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = MAMORI_EDB;
	sqlite3_finalize(st);
	return rc;
}

int
db_status_get(struct db *db, char **json, int64_t *at_ns)
{
	sqlite3_stmt *st;
	int rc = MAMORI_ENOTFOUND;

	*json = NULL;
	*at_ns = 0;
	if (sqlite3_prepare_v2(db->h, "SELECT updated, json FROM status "
	    "WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);

		*at_ns = sqlite3_column_int64(st, 0);
		if ((*json = strdup(t ? (const char *)t : "{}")) == NULL)
			rc = MAMORI_ENOMEM;
		else
			rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Binds the arguments fmt describes to st (see db_prep()). */
static int
vbind(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char *str;
	int64_t v;
	int i, rc = SQLITE_OK;

	for (i = 1; fmt != NULL && *fmt != '\0' && rc == SQLITE_OK;
	    fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'I':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(st, i) :
			    sqlite3_bind_int64(st, i, v);
			break;
		case 'd':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 's':
			str = va_arg(ap, const char *);
			rc = str == NULL ? sqlite3_bind_null(st, i) :
			    sqlite3_bind_text(st, i, str, -1, SQLITE_TRANSIENT);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : MAMORI_EDB;
}

int
db_prep(sqlite3 *h, sqlite3_stmt **st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	*st = NULL;
	if (sqlite3_prepare_v2(h, sql, -1, st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	va_start(ap, fmt);
	r = vbind(*st, fmt, ap);
	va_end(ap);
	if (r != 0) {
		sqlite3_finalize(*st);
		*st = NULL;
	}
	return r;
}

int
db_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : MAMORI_EDB;
}

int
db_exec(sqlite3 *h, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int r;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	va_start(ap, fmt);
	r = vbind(st, fmt, ap);
	va_end(ap);
	if (r != 0) {
		sqlite3_finalize(st);
		return r;
	}
	return db_run(st);
}
