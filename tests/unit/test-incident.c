/*
 * test-incident.c - incidents: prefixes, the taxonomy, the manager's
 * grouping and impact rules, the store's changes and the incidents:
 * configuration's errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/error.h"
#include "core/yamldoc.h"
#include "incident/incident.h"
#include "incident/incmgr.h"
#include "incident/taxonomy.h"
#include "store/db.h"
#include "test.h"

#define SEC	1000000000LL
#define T0	(1764000000LL * SEC)

static struct taxonomy *tax;

TEST(prefixes)
{
	struct respond_addr p[3];

	CHECK_INT(inc_prefix_parse("10.0.0.0/8", &p[0]), 0);
	CHECK_INT(inc_prefix_parse("2001:db8::/32", &p[1]), 0);
	CHECK_INT(inc_prefix_parse("192.168.1.0/24", &p[2]), 0);
	CHECK(inc_prefix_match(p, 3, "10.200.3.4"));
	CHECK(inc_prefix_match(p, 3, "2001:db8:1::5"));
	CHECK(inc_prefix_match(p, 3, "192.168.1.1"));
	CHECK(inc_prefix_match(p, 3, "::ffff:10.1.1.1"));	/* mapped */
	CHECK(!inc_prefix_match(p, 3, "11.0.0.1"));
	CHECK(!inc_prefix_match(p, 3, "2001:db9::1"));
	CHECK(!inc_prefix_match(p, 3, "web1"));
	CHECK(!inc_prefix_match(p, 3, "10.0.0.0/8"));
	CHECK(!inc_prefix_match(p, 3, NULL));
	CHECK(inc_prefix_parse("10.0.0.0/33", &p[0]) != 0);
	CHECK(inc_prefix_parse("10.0.0.0/", &p[0]) != 0);
	CHECK(inc_prefix_parse("1.2.3", &p[0]) != 0);
	/* Host bits set: refused, not widened silently. */
	CHECK(inc_prefix_parse("192.168.1.77/24", &p[0]) != 0);
	CHECK_INT(inc_prefix_parse("::ffff:10.0.0.0/104", &p[0]), 0);
	CHECK_INT(p[0].prefix, 8);
}

TEST(taxonomy)
{
	const char *g1[] = { "syslog", "sshd", "authentication_failed" };
	const char *g2[] = { "spam", "category_scan" };
	const char *g3[] = { "syslog", "nothing_known" };
	const struct tax_category *c;

	CHECK_INT(taxonomy_count(tax), 14);
	CHECK((c = taxonomy_classify(tax, g1, 3)) != NULL &&
	    strcmp(c->id, "attack") == 0);
	/* category_<id> wins over a group mapping. */
	CHECK((c = taxonomy_classify(tax, g2, 2)) != NULL &&
	    strcmp(c->id, "scan") == 0);
	CHECK(taxonomy_classify(tax, g3, 2) == NULL);
	CHECK_STR(taxonomy_fallback(tax)->id, "other");
	CHECK((c = taxonomy_from_rsit(tax, "abusive-content", "spam")) !=
	    NULL && strcmp(c->id, "spam") == 0);
	CHECK((c = taxonomy_from_rsit(tax, "availability", "ddos")) != NULL &&
	    strcmp(c->rsit_class, "availability") == 0);
	CHECK(taxonomy_get(tax, "nope") == NULL);
}

static sqlite3 *
memdb(struct db **db)
{
	char err[256];

	*db = db_open(":memory:", 0, err, sizeof(err));
	CHECK(*db != NULL);
	return *db != NULL ? db_sqlite(*db) : NULL;
}

static int created, raised;

static void
cb(void *arg, int64_t id, enum incmgr_change c)
{
	(void)arg;
	(void)id;
	if (c == INCMGR_CREATED)
		created++;
	else if (c == INCMGR_IMPACT_RAISED)
		raised++;
}

static void
alert(struct incmgr *m, int64_t t, uint32_t rule, int level,
    const char *cat_group, const char *src, const char *dst,
    const char *host, int64_t *id)
{
	const char *groups[2] = { "test", cat_group };
	struct incmgr_alert a;

	memset(&a, 0, sizeof(a));
	a.time_ns = t;
	a.rule_id = rule;
	a.level = level;
	a.description = "test alert";
	a.groups = groups;
	a.ngroups = 2;
	a.srcip = src;
	a.dstip = dst;
	a.host = host;
	a.dstuser = "root";
	CHECK_INT(incmgr_add(m, &a, id), 0);
}

static int
count_cb(void *arg, const struct incident *inc)
{
	(void)inc;
	(*(int *)arg)++;
	return 0;
}

static int
count_incidents(sqlite3 *h)
{
	struct inc_filter f;
	int n = 0;

	memset(&f, 0, sizeof(f));
	f.status = -1;
	f.include_merged = 1;
	CHECK_INT(incident_list(h, &f, count_cb, &n), 0);
	return n;
}

TEST(five_hundred_failures_one_incident)
{
	struct incident_conf conf;
	struct incmgr *m;
	struct incident inc;
	struct incmgr_stats st;
	struct db *db;
	sqlite3 *h = memdb(&db);
	int64_t id = 0, first = 0;
	int i;

	CHECK_INT(incident_conf_init(&conf), 0);
	created = 0;
	m = incmgr_new(h, &conf, tax, NULL, cb, NULL);
	CHECK(m != NULL);
	for (i = 0; i < 500; i++) {
		alert(m, T0 + i * SEC, 5716, 5, "category_attack",
		    "203.0.113.9", NULL, "web1", &id);
		if (i == 4)
			first = id;
	}
	CHECK_INT(incmgr_flush(m), 0);
	CHECK(first != 0);
	CHECK_INT(id, first);
	CHECK_INT(created, 1);
	CHECK_INT(count_incidents(h), 1);
	CHECK_INT(incident_get(h, first, &inc), 0);
	CHECK_INT(inc.alert_count, 500);
	CHECK_STR(inc.category, "attack");
	CHECK_STR(inc.rsit_class, "intrusion-attempts");
	CHECK_INT(inc.impact, INC_IMPACT_INTERNAL);
	CHECK_INT(inc.severity, INC_SEV_LOW);
	CHECK_INT(inc.first_seen_ns, T0);
	CHECK_INT(inc.last_seen_ns, T0 + 499 * SEC);
	CHECK_INT(inc.nalerts, 2 * INC_ALERTS_SHOWN);
	CHECK_STR(inc.title, "Attack (password guessing, exploits) from "
	    "203.0.113.9");
	incident_release(&inc);
	incmgr_stats(m, &st);
	CHECK_INT(st.alerts, 500);
	CHECK_INT(st.joined, 500);
	CHECK_INT(st.held, 0);
	/* A brute-force alert joins the same incident and raises its
	 * severity. */
	alert(m, T0 + 600 * SEC, 119001, 10, "category_attack", "203.0.113.9",
	    NULL, "web1", &id);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(id, first);
	CHECK_INT(incident_get(h, first, &inc), 0);
	CHECK_INT(inc.severity, INC_SEV_HIGH);
	incident_release(&inc);
	incmgr_free(m);
	incident_conf_release(&conf);
	db_close(db);
}

TEST(level_opens_with_held_alerts)
{
	struct incident_conf conf;
	struct incmgr *m;
	struct incident inc;
	struct db *db;
	sqlite3 *h = memdb(&db);
	int64_t id = -1;

	CHECK_INT(incident_conf_init(&conf), 0);
	m = incmgr_new(h, &conf, tax, NULL, NULL, NULL);
	alert(m, T0, 5716, 5, "category_attack", "198.51.100.1", NULL, "db1",
	    &id);
	CHECK_INT(id, 0);		/* held */
	alert(m, T0 + SEC, 5716, 5, "category_attack", "198.51.100.1", NULL,
	    "db1", &id);
	alert(m, T0 + 2 * SEC, 5716, 2, "category_attack", "198.51.100.1",
	    NULL, "db1", &id);		/* below join_level */
	CHECK_INT(id, 0);
	alert(m, T0 + 3 * SEC, 119001, 10, "category_attack", "198.51.100.1",
	    NULL, "db1", &id);
	CHECK(id > 0);
	CHECK_INT(incident_get(h, id, &inc), 0);
	CHECK_INT(inc.alert_count, 3);
	CHECK_INT(inc.first_seen_ns, T0);
	CHECK_INT(inc.nparties, 3);	/* attacker ip, victim host, user */
	CHECK_STR(inc.title, "test alert");
	CHECK_STR(inc.timeline[0].kind, "created");
	CHECK_STR(inc.timeline[1].kind, "alert");
	CHECK_STR(inc.timeline[1].text, "3 alerts (rule 5716 x2, rule "
	    "119001 x1)");
	incident_release(&inc);
	incmgr_free(m);
	incident_conf_release(&conf);
	db_close(db);
}

TEST(victim_groups_scattered_sources)
{
	struct incident_conf conf;
	struct incmgr *m;
	struct incident inc;
	struct db *db;
	sqlite3 *h = memdb(&db);
	char src[32];
	int64_t id = 0, bf;
	int i;

	CHECK_INT(incident_conf_init(&conf), 0);
	m = incmgr_new(h, &conf, tax, NULL, NULL, NULL);
	for (i = 0; i < 20; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", i + 1);
		alert(m, T0 + i * SEC, 112011, 6, "category_spam", src, NULL,
		    "mx1", &id);
	}
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(count_incidents(h), 1);
	CHECK_INT(incident_get(h, id, &inc), 0);
	CHECK_INT(inc.alert_count, 20);
	CHECK_STR(inc.title, "Spam sent or relayed against mx1");
	incident_release(&inc);
	/* A high-level alert from one of them opens its own incident,
	 * with its earlier alert as evidence. */
	alert(m, T0 + 30 * SEC, 119013, 10, "category_spam", "192.0.2.3",
	    NULL, "mx1", &bf);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK(bf != id);
	CHECK_INT(incident_get(h, bf, &inc), 0);
	CHECK_INT(inc.alert_count, 2);
	incident_release(&inc);
	incmgr_free(m);
	incident_conf_release(&conf);
	db_close(db);
}

TEST(impact_rises)
{
	struct incident_conf conf;
	struct incmgr *m;
	struct incident inc;
	struct ydoc d;
	struct db *db;
	sqlite3 *h = memdb(&db);
	static const char y[] =
	    "incidents:\n  infrastructure: [198.18.0.0/15, scada1]\n";
	char err[256];
	int64_t id = 0, id2 = 0, id3 = 0;
	size_t i;
	int found = 0;

	CHECK_INT(incident_conf_init(&conf), 0);
	CHECK_INT(ydoc_load_buf(&d, "t.yaml", y, strlen(y), err,
	    sizeof(err)), 0);
	CHECK_INT(incident_conf_parse(&d, ydoc_get(&d, ydoc_root(&d),
	    "incidents"), "incidents", &conf), 0);
	ydoc_free(&d);
	raised = 0;
	m = incmgr_new(h, &conf, tax, NULL, cb, NULL);
	/* An inside host scanning the inside: internal. */
	alert(m, T0, 4001, 8, "category_scan", "10.0.0.5", "10.0.0.9", "fw",
	    &id);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(incident_state(h, id, NULL, NULL, NULL, NULL), 0);
	CHECK_INT(incident_get(h, id, &inc), 0);
	CHECK_INT(inc.impact, INC_IMPACT_INTERNAL);
	incident_release(&inc);
	/* ... then outside hosts: the second-order attack. */
	alert(m, T0 + SEC, 4001, 5, "category_scan", "10.0.0.5",
	    "203.0.113.80", "fw", &id2);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(id2, id);
	CHECK_INT(raised, 1);
	CHECK_INT(incident_get(h, id, &inc), 0);
	CHECK_INT(inc.impact, INC_IMPACT_EXTERNAL);
	for (i = 0; i < inc.ntimeline; i++)
		if (strcmp(inc.timeline[i].kind, "impact") == 0 &&
		    strstr(inc.timeline[i].text, "internal host 10.0.0.5 "
		    "attacks outside host 203.0.113.80") != NULL)
			found = 1;
	CHECK(found);
	incident_release(&inc);
	/* Infrastructure, by address and by host name. */
	alert(m, T0 + 2 * SEC, 5716, 10, "category_attack", "203.0.113.7",
	    "198.19.1.1", "gw", &id3);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(incident_get(h, id3, &inc), 0);
	CHECK_INT(inc.impact, INC_IMPACT_INFRASTRUCTURE);
	incident_release(&inc);
	alert(m, T0 + 3 * SEC, 5716, 10, "category_attack", "203.0.113.8",
	    NULL, "scada1", &id3);
	CHECK_INT(incmgr_flush(m), 0);
	CHECK_INT(incident_get(h, id3, &inc), 0);
	CHECK_INT(inc.impact, INC_IMPACT_INFRASTRUCTURE);
	incident_release(&inc);
	incmgr_free(m);
	incident_conf_release(&conf);
	db_close(db);
}

TEST(closed_and_quiet_and_restart)
{
	struct incident_conf conf;
	struct incmgr *m;
	struct db *db;
	sqlite3 *h = memdb(&db);
	int64_t a = 0, b = 0, c = 0, d = 0, e = 0;

	CHECK_INT(incident_conf_init(&conf), 0);
	m = incmgr_new(h, &conf, tax, NULL, NULL, NULL);
	alert(m, T0, 1, 10, "category_attack", "203.0.113.1", NULL, "h", &a);
	CHECK_INT(incmgr_flush(m), 0);
	/* Three hours later, still open: the same incident. */
	alert(m, T0 + 3 * 3600 * SEC, 1, 10, "category_attack", "203.0.113.1",
	    NULL, "h", &b);
	CHECK_INT(b, a);
	CHECK_INT(incmgr_flush(m), 0);
	/* Closed: a new one. */
	CHECK_INT(incident_set_status(h, a, INC_CLOSED, "alice", NULL), 0);
	alert(m, T0 + 3 * 3600 * SEC + 1, 1, 10, "category_attack",
	    "203.0.113.1", NULL, "h", &c);
	CHECK(c != a && c > 0);
	CHECK_INT(incmgr_flush(m), 0);
	incmgr_free(m);
	/* A new manager (a restart) takes the open one up. */
	m = incmgr_new(h, &conf, tax, NULL, NULL, NULL);
	alert(m, T0 + 4 * 3600 * SEC, 1, 10, "category_attack", "203.0.113.1",
	    NULL, "h", &d);
	CHECK_INT(d, c);
	CHECK_INT(incmgr_flush(m), 0);
	incmgr_free(m);
	/* With join_open off, a quiet spell beyond the window splits. */
	conf.join_open = 0;
	m = incmgr_new(h, &conf, tax, NULL, NULL, NULL);
	alert(m, T0 + 9 * 3600 * SEC, 1, 10, "category_attack", "203.0.113.1",
	    NULL, "h", &e);
	CHECK(e != c && e > 0);
	CHECK_INT(incmgr_flush(m), 0);
	incmgr_free(m);
	incident_conf_release(&conf);
	db_close(db);
}

TEST(store_changes)
{
	struct incident inc, got;
	struct inc_party p[2];
	struct db *db;
	sqlite3 *h = memdb(&db);
	int64_t ids[1];
	size_t n;

	memset(&inc, 0, sizeof(inc));
	memset(p, 0, sizeof(p));
	p[0].role = INC_ATTACKER;
	p[0].kind = INC_PARTY_IP;
	p[0].value = (char *)"192.0.2.1";
	p[1].role = INC_VICTIM;
	p[1].kind = INC_PARTY_HOST;
	p[1].value = (char *)"web1";
	inc.title = (char *)"reported";
	inc.category = (char *)"scan";
	inc.parties = p;
	inc.nparties = 2;
	CHECK_INT(incident_create(h, &inc, NULL, "bob"), 0);
	CHECK_INT(inc.id, 1);
	n = 1;
	CHECK_INT(incident_set_status(h, 1, INC_TRIAGE, "bob", "looking"), 0);
	CHECK_INT(incident_set_status(h, 1, INC_TRIAGE, "bob", NULL), 0);
	CHECK_INT(incident_set_impact(h, 1, INC_IMPACT_EXTERNAL, "bob",
	    "customer data"), 0);
	CHECK_INT(incident_set_severity(h, 1, INC_SEV_CRITICAL, "bob"), 0);
	CHECK_INT(incident_set_assignee(h, 1, "carol", "bob"), 0);
	CHECK_INT(incident_add_note(h, 1, "note", "carol"), 0);
	CHECK_INT(incident_add_note(h, 1, "", "carol"), MAMORI_EINVAL);
	CHECK_INT(incident_set_step(h, 1, 1, INC_STEP_DONE, NULL, "carol"),
	    MAMORI_ENOTFOUND);
	CHECK_INT(incident_add_evidence(h, 1, INC_EV_HASH, "sha256:00",
	    "x", "carol"), 0);
	CHECK_INT(incident_set_status(h, 99, INC_CLOSED, "bob", NULL),
	    MAMORI_ENOTFOUND);
	CHECK_INT(incident_get(h, 1, &got), 0);
	CHECK_INT(got.status, INC_TRIAGE);
	CHECK_INT(got.impact, INC_IMPACT_EXTERNAL);
	CHECK_INT(got.severity, INC_SEV_CRITICAL);
	CHECK_STR(got.assignee, "carol");
	/* created, status, impact, severity, assignee, note, evidence: the
	 * repeated status without a note left nothing. */
	CHECK_INT(got.ntimeline, 7);
	CHECK_STR(got.timeline[1].text, "status new -> triage: looking");
	CHECK_STR(got.timeline[2].text, "impact internal -> external: "
	    "customer data");
	CHECK_STR(got.timeline[5].who, "carol");
	incident_release(&got);
	/* Merge. */
	memset(&inc, 0, sizeof(inc));
	inc.title = (char *)"second";
	inc.category = (char *)"scan";
	CHECK_INT(incident_create(h, &inc, NULL, "bob"), 0);
	ids[0] = inc.id;
	CHECK_INT(incident_merge(h, 1, ids, n, "bob"), 0);
	CHECK_INT(incident_merge(h, 1, ids, n, "bob"), MAMORI_EINVAL);
	CHECK_INT(incident_add_note(h, ids[0], "late", "bob"), MAMORI_EINVAL);
	ids[0] = 1;
	CHECK_INT(incident_merge(h, 1, ids, n, "bob"), MAMORI_EINVAL);
	CHECK_INT(incident_get(h, 2, &got), 0);
	CHECK_INT(got.merged_into, 1);
	CHECK_INT(got.status, INC_CLOSED);
	incident_release(&got);
	db_close(db);
}

static int
conf_err(const char *yaml, char *err, size_t errlen)
{
	struct incident_conf c;
	struct ydoc d;
	int r;

	CHECK_INT(incident_conf_init(&c), 0);
	if ((r = ydoc_load_buf(&d, "i.yaml", yaml, strlen(yaml), err,
	    errlen)) == 0)
		r = incident_conf_parse(&d, ydoc_get(&d, ydoc_root(&d),
		    "incidents"), "incidents", &c);
	ydoc_free(&d);
	incident_conf_release(&c);
	return r;
}

TEST(config_errors)
{
	char err[512];

	CHECK_INT(conf_err("incidents:\n  windw: 1h\n", err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(strstr(err, "i.yaml:2: unknown setting 'incidents.windw' "
	    "(did you mean 'window'?)") != NULL);
	CHECK_INT(conf_err("incidents:\n  open_level: 20\n", err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "i.yaml:2:") != NULL);
	CHECK_INT(conf_err("incidents:\n  internal_networks: [10/8]\n", err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "an address or prefix such as") != NULL);
	CHECK_INT(conf_err("incidents:\n  group_by:\n    - [victm]\n", err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "i.yaml:3:") != NULL &&
	    strstr(err, "did you mean 'victim'") != NULL);
	CHECK_INT(conf_err("incidents:\n  join_level: 9\n  open_level: 5\n",
	    err, sizeof(err)), MAMORI_ECONFIG);
	CHECK_INT(conf_err("incidents:\n  window: soon\n", err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK_INT(conf_err("incidents:\n  join_open: maybe\n", err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_INT(conf_err("incidents:\n  window: 30m\n  group_by:\n"
	    "    - [category, attacker, rule]\n    - host\n", err,
	    sizeof(err)), 0);
}

int
main(void)
{
	const char *src = getenv("MAMORI_SRC");
	char path[4096], err[512];

	snprintf(path, sizeof(path), "%s/etc/taxonomy.json",
	    src != NULL ? src : ".");
	if (taxonomy_load(path, &tax, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	RUN(prefixes);
	RUN(taxonomy);
	RUN(five_hundred_failures_one_incident);
	RUN(level_opens_with_held_alerts);
	RUN(victim_groups_scattered_sources);
	RUN(impact_rises);
	RUN(closed_and_quiet_and_restart);
	RUN(store_changes);
	RUN(config_errors);
	taxonomy_free(tax);
	return test_summary();
}
