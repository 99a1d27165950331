/*
 * test-agent-registry.c - the server's registry of agents
 * (src/server/server-agents.c) on a real mamori.db (schema 4): events
 * made by the agent's own code (agent_msg_event()) and parsed by the
 * server's parser; HMAC and certificate identity; silence, return,
 * reset; persistence; the agents: configuration.
 */
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "host/agent.h"
#include "input/syslog.h"
#include "server/agents.h"
#include "store/db.h"
#include "test.h"
#include "test-fs.h"

#define S	NS_PER_SEC

static char root[64];

struct reports {
	int	 n;
	char	 msgid[16][32];
	char	 host[16][64];
	char	 text[16][400];
	char	 sd[16][600];
};

static void
on_report(void *arg, const struct agents_report *r)
{
	struct reports *rp = arg;

	if (rp->n < 16) {
		snprintf(rp->msgid[rp->n], 32, "%s", r->msgid);
		snprintf(rp->host[rp->n], 64, "%s", r->host);
		snprintf(rp->text[rp->n], 400, "%s", r->text);
		snprintf(rp->sd[rp->n], 600, "%s", r->sd);
		/* What the integrator makes of it. */
		{
			struct event *ev = event_new_internal(time_now_ns(),
			    r->host, r->severity, r->msgid, r->sd, r->text);

			CHECK(ev != NULL);
			event_free(ev);
		}
	}
	rp->n++;
}

/* An agent event as it arrives: made by the agent, parsed by the
 * server. */
static struct event *
agent_event(const char *name, const char *instance, const char *key,
    const char *event, uint64_t seq, const char *src)
{
	struct agent_msgfmt m;
	struct event *ev;
	char *msg;
	size_t len;

	memset(&m, 0, sizeof(m));
	m.name = name;
	m.facility = 10;
	snprintf(m.instance, sizeof(m.instance), "%s", instance);
	if (key != NULL) {
		m.key = (const uint8_t *)key;
		m.keylen = strlen(key);
	}
	if (agent_msg_event(&m, event, 6, seq, time_now_ns(), NULL, 0, &msg,
	    &len) != 0)
		return NULL;
	ev = event_new((uint8_t *)msg, len, SYSLOG_PARSE_EXTRA);
	free(msg);
	if (ev == NULL)
		return NULL;
	ev->recv_ns = time_now_ns();
	snprintf(ev->src, sizeof(ev->src), "%s", src);
	syslog_parse(ev, NULL);
	return ev;
}

static int
observe(struct agents *a, const char *name, const char *inst,
    const char *key, const char *event, uint64_t seq, const char *subject,
    int64_t now, struct reports *rp)
{
	struct event *ev = agent_event(name, inst, key, event, seq,
	    "192.0.2.7:41000");
	int r;

	if (ev == NULL)
		return -100;
	r = agents_observe(a, ev, subject, now, on_report, rp);
	event_free(ev);
	return r;
}

static const char inst1[] = "0123456789abcdef0123456789abcdef";
static const char inst2[] = "fedcba9876543210fedcba9876543210";

static int
row(sqlite3 *h, const char *name, char *state, size_t slen,
    int64_t *last_seen, int64_t *last_seq)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(h, "SELECT state, last_seen, last_seq FROM "
	    "agents WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(state, slen, "%s", sqlite3_column_text(st, 0));
		*last_seen = sqlite3_column_int64(st, 1);
		*last_seq = sqlite3_column_int64(st, 2);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

TEST(schema)
{
	char path[128], err[256];
	struct db *db;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/schema.db", root);
	db = db_open(path, 0, err, sizeof(err));
	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(db_schema_latest() >= 4);
	CHECK_INT(sqlite3_prepare_v2(db_sqlite(db), "SELECT name, address, "
	    "version, instance, first_seen, last_seen, last_seq, "
	    "cert_subject, key_id, state, silent_since, stopped_at FROM agents",
	    -1, &st, NULL), SQLITE_OK);
	sqlite3_finalize(st);
	/* state is one of two words. */
	CHECK(sqlite3_exec(db_sqlite(db), "INSERT INTO agents (name, "
	    "first_seen, last_seen, state) VALUES ('x', 1, 1, 'gone')", NULL,
	    NULL, NULL) != SQLITE_OK);
	db_close(db);
}

TEST(lifecycle)
{
	struct agents_conf conf;
	struct agents *a;
	struct reports rp;
	struct db *db;
	char path[128], err[256], state[16];
	int64_t t0 = 1000 * S, seen, seq;

	memset(&rp, 0, sizeof(rp));
	snprintf(path, sizeof(path), "%s/life.db", root);
	db = db_open(path, 0, err, sizeof(err));
	agents_conf_init(&conf);
	CHECK_INT(conf.silent_after_ns, 300 * S);
	CHECK_INT(agents_open(db_sqlite(db), &conf, t0, &a, err, sizeof(err)),
	    0);
	/* Not an agent event. */
	{
		static const char line[] = "<13>1 2026-11-28T10:00:00Z web1 "
		    "mamori-agent - - [mamori-agent@32473 file=\"/x\"] a line";
		struct event *ev = event_new((const uint8_t *)line,
		    sizeof(line) - 1, SYSLOG_PARSE_EXTRA);

		ev->recv_ns = t0;
		syslog_parse(ev, NULL);
		CHECK_INT(agents_observe(a, ev, NULL, t0, on_report, &rp),
		    MAMORI_ENOTFOUND);
		event_free(ev);
	}
	CHECK_INT(observe(a, "web1", inst1, NULL, "started", 1, NULL, t0, &rp),
	    0);
	CHECK_INT(rp.n, 1);
	CHECK_STR(rp.msgid[0], "agent-new");
	CHECK_STR(rp.host[0], "web1");
	CHECK(strncmp(rp.text[0], "agent new: web1 (192.0.2.7) version ",
	    36) == 0);
	CHECK(strstr(rp.sd[0], "[mamori@32473 event=\"agent-new\" "
	    "agent=\"web1\" src=\"192.0.2.7\"") == rp.sd[0]);
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 2, NULL,
	    t0 + 60 * S, &rp), 0);
	CHECK_INT(rp.n, 1);
	CHECK_INT(agents_sweep(a, t0 + 100 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 1);
	CHECK_INT(row(db_sqlite(db), "web1", state, sizeof(state), &seen,
	    &seq), 1);
	CHECK_STR(state, "active");
	CHECK_INT(seen, t0 + 60 * S);
	CHECK_INT(seq, 2);
	/* A resent or replayed heartbeat is no sign of life. */
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 2, NULL,
	    t0 + 200 * S, &rp), 0);
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 1, NULL,
	    t0 + 200 * S, &rp), 0);
	/* Silent 300 s after the last real one; said once. */
	CHECK_INT(agents_sweep(a, t0 + 359 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 1);
	CHECK_INT(agents_sweep(a, t0 + 360 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 2);
	CHECK_STR(rp.msgid[1], "agent-silent");
	CHECK(strncmp(rp.text[1], "agent silent: web1 (192.0.2.7) sent "
	    "nothing for 300 s; last seen ", 59) == 0);
	CHECK_INT(agents_sweep(a, t0 + 400 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 2);
	CHECK_INT(row(db_sqlite(db), "web1", state, sizeof(state), &seen,
	    &seq), 1);
	CHECK_STR(state, "silent");
	/* Back. */
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 3, NULL,
	    t0 + 960 * S, &rp), 0);
	CHECK_INT(rp.n, 3);
	CHECK_STR(rp.msgid[2], "agent-back");
	CHECK_STR(rp.text[2], "agent back: web1 (192.0.2.7) is sending again "
	    "after 900 s of silence");
	/* A stop announced, then silence: the report says so. */
	CHECK_INT(observe(a, "web1", inst1, NULL, "stopping", 4, NULL,
	    t0 + 1000 * S, &rp), 0);
	CHECK_INT(agents_sweep(a, t0 + 1300 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 4);
	CHECK(strstr(rp.text[3], "; it announced a stop at ") != NULL);
	/* Back with a wiped state: reset, then back. */
	CHECK_INT(observe(a, "web1", inst2, NULL, "started", 1, NULL,
	    t0 + 1400 * S, &rp), 0);
	CHECK_INT(rp.n, 6);
	CHECK_STR(rp.msgid[4], "agent-reset");
	CHECK_STR(rp.msgid[5], "agent-back");
	agents_free(a);
	/* Reopened: the state is kept; a restarted server does not call
	 * anyone silent before silent_after has passed. */
	memset(&rp, 0, sizeof(rp));
	CHECK_INT(agents_open(db_sqlite(db), &conf, t0 + 5000 * S, &a, err,
	    sizeof(err)), 0);
	CHECK_INT(agents_sweep(a, t0 + 5100 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 0);
	CHECK_INT(observe(a, "web1", inst2, NULL, "heartbeat", 1, NULL,
	    t0 + 5100 * S, &rp), 0);
	CHECK_INT(rp.n, 0);	/* same seq: old */
	CHECK_INT(observe(a, "web1", inst2, NULL, "heartbeat", 2, NULL,
	    t0 + 5100 * S, &rp), 0);
	CHECK_INT(rp.n, 0);
	CHECK_INT(agents_sweep(a, t0 + 5400 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 1);
	CHECK_STR(rp.msgid[0], "agent-silent");
	agents_free(a);
	db_close(db);
	agents_conf_release(&conf);
}

TEST(identity)
{
	struct agents_conf conf;
	struct agents *a;
	struct reports rp;
	struct db *db;
	char path[128], kpath[128], err[256];
	int64_t t0 = 1000 * S;
	FILE *f;
	static const char key[] = "0123456789abcdef0123456789abcdef";

	memset(&rp, 0, sizeof(rp));
	snprintf(path, sizeof(path), "%s/ident.db", root);
	snprintf(kpath, sizeof(kpath), "%s/web1.key", root);
	f = fopen(kpath, "w");
	fprintf(f, "%s\n", key);
	fclose(f);
	db = db_open(path, 0, err, sizeof(err));
	agents_conf_init(&conf);
	conf.keys = calloc(1, sizeof(*conf.keys));
	conf.keys[0].name = strdup("web1");
	conf.keys[0].path = strdup(kpath);
	conf.nkeys = 1;
	CHECK_INT(agents_open(db_sqlite(db), &conf, t0, &a, err, sizeof(err)),
	    0);
	/* Right key. */
	CHECK_INT(observe(a, "web1", inst1, key, "heartbeat", 1, NULL, t0,
	    &rp), 0);
	CHECK_INT(rp.n, 1);
	CHECK_STR(rp.msgid[0], "agent-new");
	/* Wrong key, and none: refused, reported once per 10 minutes. */
	CHECK_INT(observe(a, "web1", inst1, "another key of 32 bytes........",
	    "heartbeat", 2, NULL, t0 + S, &rp), MAMORI_EKEY);
	CHECK_INT(rp.n, 2);
	CHECK_STR(rp.msgid[1], "agent-identity");
	CHECK_STR(rp.text[1], "agent identity failed: web1 from 192.0.2.7: "
	    "HMAC does not verify (wrong key, or the message was altered)");
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 3, NULL,
	    t0 + 2 * S, &rp), MAMORI_EKEY);
	CHECK_INT(rp.n, 2);
	CHECK_INT(observe(a, "web1", inst1, NULL, "heartbeat", 4, NULL,
	    t0 + 700 * S, &rp), MAMORI_EKEY);
	CHECK_INT(rp.n, 3);
	CHECK(strstr(rp.text[2], "no HMAC") != NULL);
	/* The forged ones kept nothing alive: silent 300 s after the
	 * real one. */
	CHECK_INT(agents_sweep(a, t0 + 300 * S, on_report, &rp), 0);
	CHECK_INT(rp.n, 4);
	CHECK_STR(rp.msgid[3], "agent-silent");
	/* Certificates: the CN must be the name. */
	CHECK_INT(observe(a, "web2", inst1, NULL, "heartbeat", 1,
	    "/C=JP/O=x/CN=web2", t0, &rp), 0);
	CHECK_INT(observe(a, "web2", inst1, NULL, "heartbeat", 2,
	    "CN=web3,O=x", t0, &rp), MAMORI_EKEY);
	CHECK(strstr(rp.text[rp.n - 1], "certificate is for 'web3'") != NULL);
	agents_free(a);
	/* require_identity: a name without key or certificate is not
	 * taken at its word. */
	conf.require_identity = 1;
	CHECK_INT(agents_open(db_sqlite(db), &conf, t0, &a, err, sizeof(err)),
	    0);
	memset(&rp, 0, sizeof(rp));
	CHECK_INT(observe(a, "web9", inst1, NULL, "heartbeat", 1, NULL, t0,
	    &rp), MAMORI_EKEY);
	CHECK_INT(rp.n, 1);
	CHECK(strstr(rp.text[0], "no proof of identity") != NULL);
	CHECK_INT(observe(a, "web9", inst1, NULL, "heartbeat", 1,
	    "CN = web9, O = x", t0, &rp), 0);
	CHECK_INT(observe(a, "web1", inst1, key, "heartbeat", 10, NULL, t0,
	    &rp), 0);
	agents_free(a);
	/* A key file that is missing or too short is named. */
	free(conf.keys[0].path);
	conf.keys[0].path = strdup("/nonexistent/k");
	CHECK_INT(agents_open(db_sqlite(db), &conf, t0, &a, err, sizeof(err)),
	    MAMORI_EKEY);
	CHECK(strstr(err, "agents.keys.web1: /nonexistent/k") != NULL);
	db_close(db);
	agents_conf_release(&conf);
}

TEST(subject_cn)
{
	char cn[64];

	CHECK_INT(agents_subject_cn("/C=JP/CN=web1.example/O=x", cn,
	    sizeof(cn)), 0);
	CHECK_STR(cn, "web1.example");
	CHECK_INT(agents_subject_cn("CN=web1,OU=y", cn, sizeof(cn)), 0);
	CHECK_STR(cn, "web1");
	CHECK_INT(agents_subject_cn("C = JP, CN = web 1 , O = x", cn,
	    sizeof(cn)), 0);
	CHECK_STR(cn, "web 1");
	CHECK_INT(agents_subject_cn("/O=ACN=x/C=JP", cn, sizeof(cn)),
	    MAMORI_ENOTFOUND);
	CHECK_INT(agents_subject_cn("/CN=", cn, sizeof(cn)),
	    MAMORI_ENOTFOUND);
	CHECK_INT(agents_subject_cn(NULL, cn, sizeof(cn)), MAMORI_ENOTFOUND);
}

static int
parse_conf(const char *yaml, struct agents_conf *c, char *err, size_t errlen)
{
	struct ydoc d;
	yaml_node_t *top, *v;
	int r;

	if ((r = ydoc_load_buf(&d, "server.yaml", yaml, strlen(yaml), err,
	    errlen)) != 0) {
		ydoc_free(&d);
		return r;
	}
	top = ydoc_root(&d);
	v = ydoc_get(&d, top, "agents");
	r = agents_conf_parse(&d, v, "agents", c);
	ydoc_free(&d);
	return r;
}

TEST(conf)
{
	struct agents_conf c;
	char err[256];

	agents_conf_init(&c);
	CHECK_INT(parse_conf("agents:\n  silent_after: 2m\n"
	    "  require_identity: yes\n  keys:\n    web1: /etc/k1\n"
	    "    web2: /etc/k2\n", &c, err, sizeof(err)), 0);
	CHECK_INT(c.silent_after_ns, 120 * S);
	CHECK_INT(c.require_identity, 1);
	CHECK_INT(c.nkeys, 2);
	CHECK_STR(c.keys[1].name, "web2");
	CHECK_STR(c.keys[1].path, "/etc/k2");
	/* Errors name the line; c is left as it was. */
	CHECK_INT(parse_conf("agents:\n  silent_after: 2m\n  silent_aftr: 1\n",
	    &c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strncmp(err, "server.yaml:3:", 14) == 0);
	CHECK(strstr(err, "silent_after") != NULL);
	CHECK_INT(parse_conf("agents:\n  keys:\n    web1: relative/k\n", &c,
	    err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strncmp(err, "server.yaml:3:", 14) == 0);
	CHECK_INT(parse_conf("agents:\n  keys:\n    web1: /a\n    web1: /b\n",
	    &c, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK_INT(parse_conf("agents:\n  silent_after: 10ms\n", &c, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_INT(c.nkeys, 2);
	CHECK_INT(c.silent_after_ns, 120 * S);
	agents_conf_release(&c);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-agent-registry.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(schema);
	RUN(lifecycle);
	RUN(identity);
	RUN(subject_cn);
	RUN(conf);
	rmtree(root);
	return test_summary();
}
