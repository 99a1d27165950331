/*
 * test-fim.c - file integrity: configuration, path order, JSON of odd
 * names, init/check/update on a real tree, a tampered and a missing
 * baseline, nested rules and excludes, the digest algorithms, and the
 * realtime watcher (inotify, polled like the agent does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "core/error.h"
#include "host/fim-int.h"
#include "test.h"

static char tmp[256];

/* Findings of one run, parsed. */
struct got {
	json_t	*all;		/* array of the "fim" objects */
};

static int
collect(void *arg, const struct host_finding *f)
{
	struct got *g = arg;
	json_error_t e;
	json_t *j;

	CHECK_STR(f->app, "mamori-fim");
	CHECK(f->len == strlen(f->json));
	CHECK(strchr(f->json, '\n') == NULL);
	j = json_loadb(f->json, f->len, 0, &e);
	CHECK(j != NULL);
	if (j == NULL)
		return 0;
	CHECK_INT(json_object_size(j), 1);
	json_array_append(g->all, json_object_get(j, "fim"));
	json_decref(j);
	return 0;
}

static void
got_reset(struct got *g)
{
	json_decref(g->all);
	g->all = json_array();
}

/* The findings of event ev (and path suffix sfx, when not NULL). */
static size_t
count(struct got *g, const char *ev, const char *sfx)
{
	size_t i, n = 0, pl, sl;
	json_t *f;
	const char *p;

	json_array_foreach(g->all, i, f) {
		if (strcmp(json_string_value(json_object_get(f, "event")),
		    ev) != 0)
			continue;
		if (sfx != NULL) {
			p = json_string_value(json_object_get(f, "path"));
			if (p == NULL)
				continue;
			pl = strlen(p);
			sl = strlen(sfx);
			if (pl < sl || strcmp(p + pl - sl, sfx) != 0)
				continue;
		}
		n++;
	}
	return n;
}

static json_t *
find(struct got *g, const char *ev, const char *sfx)
{
	size_t i, pl, sl = strlen(sfx);
	json_t *f;
	const char *p;

	json_array_foreach(g->all, i, f) {
		p = json_string_value(json_object_get(f, "path"));
		if (p == NULL || strcmp(json_string_value(json_object_get(f,
		    "event")), ev) != 0)
			continue;
		pl = strlen(p);
		if (pl >= sl && strcmp(p + pl - sl, sfx) == 0)
			return f;
	}
	return NULL;
}

/* "a,b,c" of a modified finding's changed list. */
static void
changed(json_t *f, char *buf, size_t len)
{
	size_t i, o = 0;
	json_t *a;

	buf[0] = '\0';
	json_array_foreach(json_object_get(f, "changed"), i, a)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
		    json_string_value(a));
}

static void
put(const char *rel, const char *content)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs(content, f);
		fclose(f);
	}
}

static void
mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	CHECK(mkdir(p, 0755) == 0);
}

static void
rmrf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	CHECK(system(cmd) == 0);
}

/* A configuration from YAML text. */
static int
conf_from(struct fim_conf *c, const char *yaml, char *err, size_t errlen)
{
	char p[512];
	FILE *f;
	int r;

	snprintf(p, sizeof(p), "%s.yaml", tmp);
	f = fopen(p, "w");
	if (f == NULL)
		return MAMORI_ESYS;
	fputs(yaml, f);
	fclose(f);
	fim_conf_init(c);
	r = host_conf_load(p, "fim", fim_conf_parse, c, err, errlen);
	unlink(p);
	return r;
}

TEST(path_order)
{
	CHECK(fim_path_cmp("/a", 2, "/a/b", 4) < 0);
	CHECK(fim_path_cmp("/a/b", 4, "/a-b", 4) < 0);
	CHECK(fim_path_cmp("/a-b", 4, "/a/b", 4) > 0);
	CHECK(fim_path_cmp("/a/z", 4, "/a0", 3) < 0);
	CHECK(fim_path_cmp("/", 1, "/a", 2) < 0);
	CHECK(fim_path_cmp("/x", 2, "/x", 2) == 0);
	CHECK(fim_path_cmp("/ab", 3, "/a", 2) > 0);
}

TEST(json_bytes)
{
	json_t *j;

	j = fim_json_bytes("caf\xc3\xa9", 5);
	CHECK_STR(json_string_value(j), "caf\xc3\xa9");
	json_decref(j);
	j = fim_json_bytes("a\xff" "b", 3);
	CHECK_STR(json_string_value(j), "a\\xffb");
	json_decref(j);
	j = fim_json_bytes("a\\xff", 5);
	CHECK_STR(json_string_value(j), "a\\\\xff");
	json_decref(j);
	/* Overlong and surrogate encodings are not UTF-8. */
	j = fim_json_bytes("\xc0\xaf\xed\xa0\x80", 5);
	CHECK_STR(json_string_value(j), "\\xc0\\xaf\\xed\\xa0\\x80");
	json_decref(j);
	j = fim_json_bytes("\xe2\x82", 2);	/* truncated */
	CHECK_STR(json_string_value(j), "\\xe2\\x82");
	json_decref(j);
}

TEST(conf_parse)
{
	struct fim_conf c;
	char err[512];
	int r;

	r = conf_from(&c,
	    "fim:\n"
	    "  database: /tmp/x.db\n"
	    "  hash: sha512\n"
	    "  threads: 3\n"
	    "  schedule: 1h\n"
	    "  groups:\n"
	    "    logs: [metadata, -links]\n"
	    "    mine: logs+sha512\n"
	    "  exclude: ['*.swp']\n"
	    "  paths:\n"
	    "    - /usr/bin/\n"
	    "    - path: /etc\n"
	    "      attributes: default-mtime-ctime\n"
	    "      recurse: 2\n"
	    "      exclude: [/etc/mtab]\n"
	    "    - path: /var/log\n"
	    "      attributes: [logs]\n"
	    "      recurse: false\n"
	    "    - {path: /opt, attributes: mine, cross_filesystems: true}\n"
	    "  realtime: [/etc]\n", err, sizeof(err));
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_STR(c.database, "/tmp/x.db");
	CHECK_INT(c.hash, FIM_HASH_SHA512);
	CHECK_INT(c.threads, 3);
	CHECK(c.schedule_ns == (int64_t)3600 * 1000000000);
	CHECK_INT(c.nrules, 4);
	/* Sorted in walk order. */
	CHECK_STR(c.rules[0].path, "/etc");
	CHECK_INT(c.rules[0].attrs, FIM_A_ALL & ~(FIM_A_MTIME | FIM_A_CTIME));
	CHECK_INT(c.rules[0].depth, 2);
	CHECK_INT(c.rules[0].nexclude, 1);
	CHECK_STR(c.rules[1].path, "/opt");
	CHECK(c.rules[1].attrs & FIM_A_HASH);
	CHECK(!(c.rules[1].attrs & FIM_A_LINKS));
	CHECK_INT(c.rules[1].xdev, 1);
	CHECK_STR(c.rules[2].path, "/usr/bin");
	CHECK_INT(c.rules[2].attrs, FIM_A_DEFAULT);
	CHECK_INT(c.rules[2].depth, -1);
	CHECK_STR(c.rules[3].path, "/var/log");
	CHECK_INT(c.rules[3].depth, 0);
	CHECK(!(c.rules[3].attrs & (FIM_A_HASH | FIM_A_LINKS | FIM_A_SIZE)));
	CHECK(c.rules[3].attrs & FIM_A_INODE);
	CHECK_INT(c.nrealtime, 1);
	CHECK(fim_conf_rule_for(&c, "/etc/ssh/sshd_config") == &c.rules[0]);
	CHECK(fim_conf_rule_for(&c, "/etcetera") == NULL);
	fim_conf_release(&c);

	/* Errors name the file, line and setting. */
	r = conf_from(&c, "fim:\n  paths:\n    - path: /etc\n"
	    "      attributes: [perms, sha265]\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, ":4:") != NULL);
	CHECK(strstr(err, "fim.paths[0].attributes") != NULL);
	CHECK(strstr(err, "did you mean 'sha256'") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  paths: [/etc, /etc/]\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "given twice") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  paths: [etc]\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "absolute") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  paths: [/a/../b]\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  hash: md5\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "fim.hash") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  paths:\n    - path: /x\n      attributes:"
	    " sha512\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);	/* hash is sha256 */
	CHECK(strstr(err, "one digest per baseline") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  pathz: [/x]\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "paths") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  groups:\n    perms: [uid]\n", err,
	    sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "taken") != NULL);
	fim_conf_release(&c);
	r = conf_from(&c, "fim:\n  paths:\n    - path: /x\n      recurse: "
	    "maybe\n", err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	fim_conf_release(&c);

	/* The command line's paths. */
	fim_conf_init(&c);
	{
		char *paths[] = { "/usr//lib/", "/bin" };

		CHECK_INT(fim_conf_set_paths(&c, paths, 2, err, sizeof(err)),
		    0);
		CHECK_INT(c.nrules, 2);
		CHECK_STR(c.rules[0].path, "/bin");
		CHECK_STR(c.rules[1].path, "/usr/lib");
	}
	fim_conf_release(&c);
}

static void
one_path(struct fim_conf *c, const char *path, const char *db)
{
	char *paths[1];
	char err[256];

	paths[0] = (char *)path;
	fim_conf_init(c);
	CHECK_INT(fim_conf_set_paths(c, paths, 1, err, sizeof(err)), 0);
	CHECK_INT(fim_conf_set_database(c, db), 0);
}

TEST(init_check_update)
{
	struct fim_conf c;
	struct fim_summary s;
	struct got g = { json_array() };
	char db[300], tree[300], p[400], buf[256], digest[129];
	json_t *f;
	struct timespec ts[2];

	snprintf(tree, sizeof(tree), "%s/t1", tmp);
	snprintf(db, sizeof(db), "%s/t1.db", tmp);
	mk("t1");
	mk("t1/d");
	put("t1/a", "alpha\n");
	put("t1/d/b", "beta\n");
	put("t1/gone", "x\n");
	snprintf(p, sizeof(p), "%s/t1/odd\xff\x01name", tmp);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/t1/l", tmp);
	CHECK(symlink("a", p) == 0);
	one_path(&c, tree, db);

	CHECK_INT(fim_init(&c, collect, &g, &s), 0);
	CHECK_INT(s.entries, 7);
	CHECK_INT(strlen(s.digest), 64);
	CHECK_INT(count(&g, "baseline", NULL), 1);
	f = json_array_get(g.all, json_array_size(g.all) - 1);
	CHECK_STR(json_string_value(json_object_get(f, "digest")), s.digest);
	CHECK_INT(json_integer_value(json_object_get(f, "entries")), 7);
	snprintf(digest, sizeof(digest), "%s", s.digest);

	/* Unchanged. */
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.added + s.removed + s.changed, 0);
	CHECK_INT(s.baseline_ok, 1);
	CHECK_INT(s.conf_changed, 0);
	CHECK_STR(s.digest, digest);
	CHECK_INT(json_array_size(g.all), 1);
	CHECK_INT(count(&g, "summary", NULL), 1);

	/* Threads do not change the result. */
	c.threads = 1;
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.added + s.removed + s.changed, 0);
	c.threads = 0;

	/* Content (same size and times), mode, new, removed. */
	snprintf(p, sizeof(p), "%s/t1/a", tmp);
	{
		struct stat st;

		CHECK(stat(p, &st) == 0);
		put("t1/a", "ALPHA\n");
		ts[0] = st.st_atim;
		ts[1] = st.st_mtim;
		CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
	}
	snprintf(p, sizeof(p), "%s/t1/d/b", tmp);
	CHECK(chmod(p, 04755) == 0);
	put("t1/d/new", "n\n");
	snprintf(p, sizeof(p), "%s/t1/gone", tmp);
	CHECK(unlink(p) == 0);
	put("t1/odd\xff\x01name", "now with content");
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.added, 1);
	CHECK_INT(s.removed, 1);
	CHECK_INT(s.baseline_ok, 1);
	CHECK_INT(count(&g, "added", "/t1/d/new"), 1);
	CHECK_INT(count(&g, "removed", "/t1/gone"), 1);
	f = find(&g, "modified", "/t1/a");
	CHECK(f != NULL);
	if (f != NULL) {
		changed(f, buf, sizeof(buf));
		/* Size and mtime kept: only the digest (and ctime) tell. */
		CHECK_STR(buf, "ctime,sha256");
	}
	f = find(&g, "modified", "/t1/d/b");
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK_STR(json_string_value(json_object_get(json_object_get(f,
		    "old"), "perms")), "0644");
		CHECK_STR(json_string_value(json_object_get(json_object_get(f,
		    "new"), "perms")), "4755");
	}
	/* The odd name is escaped, the JSON valid (collect parsed it). */
	CHECK_INT(count(&g, "modified", "/t1/odd\\xff\x01name"), 1);
	CHECK_INT(count(&g, "modified", "/t1/d"), 1);
	CHECK_INT(count(&g, "summary", NULL), 1);

	/* Reusing digests of unchanged metadata sees the same: the write
	 * changed ctime, which user space cannot set back. */
	c.trust_metadata = 1;
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.changed, 5);	/* t1, a, d, d/b, odd */
	f = find(&g, "modified", "/t1/a");
	CHECK(f != NULL);
	if (f != NULL) {
		changed(f, buf, sizeof(buf));
		CHECK_STR(buf, "ctime,sha256");
	}
	c.trust_metadata = 0;

	/* update: reports, then the new state is the baseline. */
	got_reset(&g);
	CHECK_INT(fim_update(&c, collect, &g, &s), 0);
	CHECK_INT(s.added, 1);
	CHECK_INT(count(&g, "baseline", NULL), 1);
	CHECK(strcmp(s.digest, digest) != 0);
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.added + s.removed + s.changed, 0);
	CHECK_INT(s.baseline_ok, 1);

	/* Other paths than the baseline's: noted. */
	snprintf(p, sizeof(p), "%s/t1/d", tmp);
	fim_conf_release(&c);
	one_path(&c, p, db);
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.conf_changed, 1);
	CHECK(s.removed > 0);	/* the rest of t1 */
	fim_conf_release(&c);
	json_decref(g.all);
	rmrf(tree);
	unlink(db);
}

static void
sql(const char *db, const char *stmt)
{
	sqlite3 *h;

	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, stmt, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
}

TEST(tampered_baseline)
{
	struct fim_conf c;
	struct fim_summary s;
	struct got g = { json_array() };
	char db[300], tree[300];

	snprintf(tree, sizeof(tree), "%s/t2", tmp);
	snprintf(db, sizeof(db), "%s/t2.db", tmp);
	mk("t2");
	put("t2/backdoor", "evil\n");
	put("t2/ok", "fine\n");
	one_path(&c, tree, db);
	CHECK_INT(fim_init(&c, collect, &g, &s), 0);

	/* Someone records the backdoor's new digest in the baseline. */
	put("t2/backdoor", "worse\n");
	sql(db, "UPDATE fim_entries SET size = 6, hash = x'00' WHERE "
	    "CAST(path AS TEXT) LIKE '%backdoor'");
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.baseline_ok, 0);
	CHECK_INT(count(&g, "baseline_mismatch", NULL), 1);

	/* A row removed: also seen. */
	CHECK_INT(fim_init(&c, NULL, NULL, &s), 0);
	sql(db, "DELETE FROM fim_entries WHERE CAST(path AS TEXT) LIKE "
	    "'%/ok'");
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.baseline_ok, 0);
	CHECK_INT(s.added, 1);

	/* Not a baseline; no baseline. */
	sql(db, "DROP TABLE fim_meta");
	CHECK_INT(fim_check(&c, NULL, NULL, &s), MAMORI_ECORRUPT);
	CHECK(strstr(s.err, "not a mamori fim baseline") != NULL);
	unlink(db);
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), MAMORI_ENOTFOUND);
	CHECK_INT(count(&g, "baseline_missing", NULL), 1);

	/* A baseline that cannot be written: the old one stays. */
	fim_conf_release(&c);
	one_path(&c, tree, "/proc/mamori-no/such.db");
	CHECK(fim_init(&c, NULL, NULL, &s) != 0);
	CHECK_INT(s.write_failed, 1);
	fim_conf_release(&c);
	json_decref(g.all);
	rmrf(tree);
}

TEST(rules_excludes)
{
	struct fim_conf c;
	struct fim_summary s;
	struct got g = { json_array() };
	char yaml[2048], err[512];
	json_t *f;
	int r;

	mk("t3");
	mk("t3/skip");
	mk("t3/x");
	mk("t3/x/y");
	mk("t3/x/y/z");
	mk("t3/w");
	mk("t3/w/deep");
	put("t3/a.tmp", "t");
	put("t3/b.tmp", "t");
	put("t3/keep", "k");
	put("t3/skip/in", "i");
	put("t3/x/y/f", "f");
	put("t3/x/y/z/g", "g");
	put("t3/w/deep/h", "h");
	put("t3/x/shallow", "s");
	snprintf(yaml, sizeof(yaml),
	    "fim:\n  database: %s/t3.db\n  exclude: ['*.tmp']\n  paths:\n"
	    "    - path: %s/t3\n      recurse: 1\n      exclude: [%s/t3/skip]\n"
	    "    - path: %s/t3/x/y\n      attributes: [perms, hash]\n"
	    "    - path: %s/t3/nonexistent\n",
	    tmp, tmp, tmp, tmp, tmp);
	r = conf_from(&c, yaml, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r != 0) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_INT(fim_init(&c, collect, &g, &s), 0);
	/* t3, keep, x, w (depth 1); x/y, x/y/f, x/y/z, x/y/z/g. */
	CHECK_INT(s.entries, 8);
	CHECK_INT(count(&g, "error", "/t3/nonexistent"), 1);
	/* The nested rule's attributes apply below it. */
	put("t3/x/y/z/g", "G");
	put("t3/w/deep/h", "H");	/* below the depth: not watched */
	put("t3/skip/in", "I");		/* excluded */
	put("t3/b.tmp", "T");		/* excluded */
	got_reset(&g);
	CHECK_INT(fim_check(&c, collect, &g, &s), 0);
	CHECK_INT(s.added + s.removed, 0);
	CHECK_INT(s.changed, 1);
	f = find(&g, "modified", "/t3/x/y/z/g");
	CHECK(f != NULL);
	if (f != NULL) {
		char buf[128];

		changed(f, buf, sizeof(buf));
		CHECK_STR(buf, "sha256");	/* not ctime: not recorded */
	}
	fim_conf_release(&c);
	json_decref(g.all);
	snprintf(yaml, sizeof(yaml), "%s/t3", tmp);
	rmrf(yaml);
	snprintf(yaml, sizeof(yaml), "%s/t3.db", tmp);
	unlink(yaml);
}

TEST(algorithms)
{
	static const struct { int h; size_t hex; } algs[] = {
		{ FIM_HASH_SHA256, 64 }, { FIM_HASH_SHA512, 128 },
		{ FIM_HASH_BLAKE2B, 128 },
	};
	struct fim_conf c;
	struct fim_summary s;
	struct got g = { json_array() };
	char db[300], tree[300];
	json_t *f, *h;
	size_t i;

	snprintf(tree, sizeof(tree), "%s/t4", tmp);
	snprintf(db, sizeof(db), "%s/t4.db", tmp);
	mk("t4");
	put("t4/f", "abc");
	for (i = 0; i < 3; i++) {
		one_path(&c, tree, db);
		c.hash = algs[i].h;
		put("t4/f", "abc");
		CHECK_INT(fim_init(&c, NULL, NULL, &s), 0);
		CHECK_STR(s.algorithm, fim_hash_name(algs[i].h));
		put("t4/f", "abd");
		/* The baseline's algorithm is used whatever is configured. */
		c.hash = FIM_HASH_SHA256;
		got_reset(&g);
		CHECK_INT(fim_check(&c, collect, &g, &s), 0);
		f = find(&g, "modified", "/t4/f");
		CHECK(f != NULL);
		h = json_object_get(json_object_get(f, "new"),
		    fim_hash_name(algs[i].h));
		CHECK(h != NULL && strlen(json_string_value(h)) ==
		    algs[i].hex);
		fim_conf_release(&c);
	}
	json_decref(g.all);
	rmrf(tree);
	unlink(db);
}

/* Polls the watch and processes its events until n findings arrived
 * (n 0: until one batch of events was processed).  The wait is a bound
 * for a slow machine, not a timing assertion. */
static void
watch_wait(struct fim_watch *w, int fd, struct got *g, size_t n)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int i, batches = 0;

	for (i = 0; i < 100; i++) {
		if (json_array_size(g->all) >= n && (n > 0 || batches > 0))
			break;
		if (poll(&pfd, 1, 100) > 0) {
			CHECK_INT(fim_watch_process(w, collect, g), 0);
			batches++;
		}
	}
	CHECK(batches > 0);
}

TEST(watch)
{
	struct fim_conf c;
	struct fim_summary s;
	struct fim_watch *w = NULL;
	struct got g = { json_array() };
	char yaml[1024], err[256], p[400];
	json_t *f;
	int fd, r;

	mk("t5");
	mk("t5/etc");
	put("t5/etc/passwd", "root:x:0:0\n");
	put("t5/etc/hosts", "127.0.0.1 localhost\n");
	snprintf(yaml, sizeof(yaml), "fim:\n  database: %s/t5.db\n  paths: "
	    "[%s/t5]\n  realtime: [%s/t5/etc]\n", tmp, tmp, tmp);
	r = conf_from(&c, yaml, err, sizeof(err));
	CHECK_INT(r, 0);
	CHECK_INT(fim_init(&c, NULL, NULL, &s), 0);
	fd = fim_watch_open(&c, &w);
	CHECK(fd >= 0);
	if (fd < 0) {
		fim_conf_release(&c);
		return;
	}
	CHECK_INT(fim_watch_count(w), 1);

	put("t5/etc/passwd", "root:x:0:0\nevil:x:0:0\n");
	watch_wait(w, fd, &g, 1);
	f = find(&g, "modified", "/t5/etc/passwd");
	CHECK(f != NULL);
	CHECK_STR(json_string_value(json_object_get(f, "scan")), "realtime");
	CHECK_INT(count(&g, "modified", "/t5/etc/passwd"), 1);

	/* The same state again: not reported twice. */
	got_reset(&g);
	snprintf(p, sizeof(p), "%s/t5/etc/passwd", tmp);
	{
		int wfd = open(p, O_WRONLY | O_APPEND);

		CHECK(wfd >= 0);
		close(wfd);	/* IN_CLOSE_WRITE, nothing changed */
	}
	watch_wait(w, fd, &g, 0);
	CHECK_INT(count(&g, "modified", "/t5/etc/passwd"), 0);

	/* A new directory with a file: both added, the directory watched. */
	got_reset(&g);
	mk("t5/etc/cron.d");
	put("t5/etc/cron.d/job", "* * * * * root sh\n");
	watch_wait(w, fd, &g, 2);
	CHECK_INT(count(&g, "added", "/t5/etc/cron.d"), 1);
	CHECK_INT(count(&g, "added", "/t5/etc/cron.d/job"), 1);
	CHECK_INT(fim_watch_count(w), 2);

	/* chmod and unlink. */
	got_reset(&g);
	snprintf(p, sizeof(p), "%s/t5/etc/hosts", tmp);
	CHECK(chmod(p, 0666) == 0);
	watch_wait(w, fd, &g, 1);
	f = find(&g, "modified", "/t5/etc/hosts");
	CHECK(f != NULL);
	got_reset(&g);
	CHECK(unlink(p) == 0);
	watch_wait(w, fd, &g, 1);
	CHECK_INT(count(&g, "removed", "/t5/etc/hosts"), 1);

	/* After update, the watcher compares with the new baseline. */
	CHECK_INT(fim_update(&c, NULL, NULL, &s), 0);
	got_reset(&g);
	put("t5/etc/cron.d/job", "# nothing\n");
	watch_wait(w, fd, &g, 1);
	f = find(&g, "modified", "/t5/etc/cron.d/job");
	CHECK(f != NULL);
	CHECK_INT(count(&g, "added", NULL), 0);

	fim_watch_close(w);
	fim_conf_release(&c);
	json_decref(g.all);
	snprintf(p, sizeof(p), "%s/t5", tmp);
	rmrf(p);
	snprintf(p, sizeof(p), "%s/t5.db", tmp);
	unlink(p);
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/mamori-test-fim.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(path_order);
	RUN(json_bytes);
	RUN(conf_parse);
	RUN(init_check_update);
	RUN(tampered_baseline);
	RUN(rules_excludes);
	RUN(algorithms);
	RUN(watch);
	rmrf(tmp);
	return test_summary();
}
