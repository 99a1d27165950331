/*
 * db.h - mamori.db, the SQLite database beside the log store: hosts, the
 * server's status snapshot, and (in later releases) alerts, incidents and
 * users.  The schema is versioned (PRAGMA user_version) and migrated
 * forward on open, each step in its own transaction.
 *
 * One thread owns a struct db (STYLE.md: one writer per SQLite handle);
 * other processes (mamori status) open their own, read-mostly.
 */
#ifndef MAMORI_DB_H
#define MAMORI_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* The schema version this build creates and understands. */
int db_schema_latest(void);

/*
 * Opens (creating if needed) the database at path and migrates it to the
 * latest schema; with readonly, opens an existing file without migrating.
 * Returns the handle, or NULL with a reason in err (a database from a newer
 * mamori is refused, not downgraded).  Caller closes with db_close().
 */
struct db *db_open(const char *path, int readonly, char *err, size_t errlen);
void db_close(struct db *db);

/* The SQLite handle, for the modules that keep their own tables in
 * mamori.db (src/incident, src/respond).  Same thread rules as db. */
typedef struct sqlite3 sqlite3;
sqlite3 *db_sqlite(struct db *db);

/*
 * Small helpers for those modules.  db_prep() prepares sql on h and binds
 * the arguments fmt describes, one letter each: 'i' int64_t, 'I' int64_t
 * (0 binds NULL), 'd' int, 's' const char * (NULL binds NULL).  Returns
 * 0, or MAMORI_EDB with *st NULL.  db_run() steps a statement that
 * returns no rows and finalizes it; db_exec() is both.  Each returns 0 or
 * MAMORI_EDB.
 */
typedef struct sqlite3_stmt sqlite3_stmt;
int db_prep(sqlite3 *h, sqlite3_stmt **st, const char *sql, const char *fmt,
    ...);
int db_run(sqlite3_stmt *st);
int db_exec(sqlite3 *h, const char *sql, const char *fmt, ...);

/* Schema version of the open database. */
int db_schema_version(struct db *db);

struct db_host {
	char		name[256];	/* host name as the messages give it */
	char		src[64];	/* last sender address */
	int64_t		first_seen_ns;
	int64_t		last_seen_ns;
	uint64_t	messages;	/* messages counted since first seen */
	int		has_offset;	/* offset_ns is known */
	int64_t		offset_ns;	/* clock offset: its time - ours */
};

/* An alert of the rules engine (strings may be NULL). */
struct db_alert {
	int64_t		 time_ns;
	uint32_t	 rule_id;
	int		 level;
	const char	*description;
	const char	*groups;	/* "a,b,c" */
	const char	*host;
	const char	*srcip;
	const char	*user;
	uint64_t	 log_seq;	/* log store record, 0: none */
	const char	*json;		/* the whole alert (alerts.json) */
	int64_t		 id;		/* set by db_alerts_add() */
};

/* Stores a[0..n) in one transaction and sets each a[i].id.  Returns 0 or
 * MAMORI_EDB. */
int db_alerts_add(struct db *db, struct db_alert *a, size_t n);

/*
 * Adds the new counts in hosts[0..n) to the stored ones (messages are
 * added, times and offsets replaced) in one transaction.  Returns 0 or
 * MAMORI_EDB.
 */
int db_hosts_merge(struct db *db, const struct db_host *hosts, size_t n);

/* Calls cb for every host, most recently seen first; stops when cb
 * returns non-zero.  Returns 0, cb's value or MAMORI_EDB. */
int db_hosts_each(struct db *db, int (*cb)(void *, const struct db_host *),
    void *arg);

/* Stores the server's status snapshot (a JSON text). */
int db_status_put(struct db *db, int64_t now_ns, const char *json);

/* Reads the snapshot: *json is allocated (caller frees) and *at_ns is when
 * it was written.  Returns 0, MAMORI_ENOTFOUND or MAMORI_EDB. */
int db_status_get(struct db *db, char **json, int64_t *at_ns);

#endif
