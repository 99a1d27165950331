/*
 * test-db.c - mamori.db: migrations, hosts, status snapshot.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/db.h"
#include "test.h"

static char dir[64];

static int
count_host(void *arg, const struct db_host *h)
{
	struct db_host *out = arg;

	if (strcmp(h->name, "web1") == 0)
		*out = *h;
	return 0;
}

TEST(migrate_and_reopen)
{
	char path[128], err[512];
	struct db *db;

	snprintf(path, sizeof(path), "%s/a.db", dir);
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db != NULL);
	CHECK_INT(db_schema_version(db), db_schema_latest());
	db_close(db);
	/* Reopening does not migrate again. */
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db != NULL);
	CHECK_INT(db_schema_version(db), db_schema_latest());
	db_close(db);
	db = db_open(path, 1, err, sizeof(err));
	CHECK(db != NULL);
	db_close(db);
}

TEST(alerts_add)
{
	char path[128], err[512];
	struct db_alert a[2];
	struct db *db;
	sqlite3 *h;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/alerts.db", dir);
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db != NULL);
	memset(a, 0, sizeof(a));
	a[0].time_ns = 1;
	a[0].rule_id = 5716;
	a[0].level = 5;
	a[0].srcip = "192.0.2.1";
	a[0].log_seq = 42;
	a[0].json = "{}";
	a[1] = a[0];
	a[1].rule_id = 5720;
	a[1].log_seq = 0;	/* no record: NULL */
	CHECK_INT(db_alerts_add(db, a, 2), 0);
	CHECK(a[0].id > 0 && a[1].id == a[0].id + 1);
	CHECK_INT(db_alerts_add(db, a, 0), 0);
	db_close(db);
	CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(h, "SELECT count(*), sum(log_seq), "
	    "max(rule_id) FROM alerts", -1, &st, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	CHECK_INT(sqlite3_column_int(st, 0), 2);
	CHECK_INT(sqlite3_column_int(st, 1), 42);
	CHECK_INT(sqlite3_column_int(st, 2), 5720);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

TEST(newer_schema_refused)
{
	char path[128], err[512], sql[64];
	sqlite3 *h;
	struct db *db;

	snprintf(path, sizeof(path), "%s/b.db", dir);
	CHECK_INT(sqlite3_open(path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    db_schema_latest() + 1);
	CHECK_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db == NULL);
	CHECK(strstr(err, "newer than this mamori") != NULL);
	/* Read-only open of a missing file fails with a reason. */
	snprintf(path, sizeof(path), "%s/missing.db", dir);
	CHECK(db_open(path, 1, err, sizeof(err)) == NULL);
}

TEST(hosts_and_status)
{
	char path[128], err[512], *json;
	struct db *db;
	struct db_host h[2], got;
	int64_t at;

	snprintf(path, sizeof(path), "%s/c.db", dir);
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db != NULL);
	memset(h, 0, sizeof(h));
	snprintf(h[0].name, sizeof(h[0].name), "web1");
	snprintf(h[0].src, sizeof(h[0].src), "192.0.2.1");
	h[0].first_seen_ns = 100;
	h[0].last_seen_ns = 200;
	h[0].messages = 5;
	snprintf(h[1].name, sizeof(h[1].name), "db1");
	snprintf(h[1].src, sizeof(h[1].src), "192.0.2.2");
	h[1].first_seen_ns = h[1].last_seen_ns = 150;
	h[1].messages = 1;
	h[1].has_offset = 1;
	h[1].offset_ns = -90000000000LL;
	CHECK_INT(db_hosts_merge(db, h, 2), 0);
	/* Merging adds counts and keeps the earliest first-seen. */
	h[0].first_seen_ns = 300;
	h[0].last_seen_ns = 400;
	h[0].messages = 7;
	h[0].has_offset = 1;
	h[0].offset_ns = 2000000000LL;
	CHECK_INT(db_hosts_merge(db, h, 1), 0);
	memset(&got, 0, sizeof(got));
	CHECK_INT(db_hosts_each(db, count_host, &got), 0);
	CHECK_STR(got.name, "web1");
	CHECK_INT(got.messages, 12);
	CHECK_INT(got.first_seen_ns, 100);
	CHECK_INT(got.last_seen_ns, 400);
	CHECK_INT(got.has_offset, 1);
	CHECK_INT(got.offset_ns, 2000000000LL);

	CHECK_INT(db_status_get(db, &json, &at), MAMORI_ENOTFOUND);
	CHECK_INT(db_status_put(db, 42, "{\"a\":1}"), 0);
	CHECK_INT(db_status_put(db, 43, "{\"a\":2}"), 0);
	CHECK_INT(db_status_get(db, &json, &at), 0);
	CHECK_STR(json, "{\"a\":2}");
	CHECK_INT(at, 43);
	free(json);
	db_close(db);
}

int
main(void)
{
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/mamori-test-db.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(migrate_and_reopen);
	RUN(newer_schema_refused);
	RUN(alerts_add);
	RUN(hosts_and_status);
	rc = test_summary();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return rc;
}
