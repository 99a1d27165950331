/*
 * incident.h - incidents: what alerts become once they are grouped,
 * classified and handled.
 *
 * An incident has a category from the taxonomy (etc/taxonomy.json), one of
 * the seed's three impact levels, a severity, a status along the response
 * (new ... closed, or false-positive), the parties involved (attackers and
 * victims: addresses, hosts, users), links to its alerts and log records,
 * evidence, the playbook's checklist, and a timeline that records every
 * change with who and when.  Nothing is deleted: closing is a status and
 * a merged incident points at the one it went into.
 *
 * The incidents live in mamori.db (src/store/db.c's migrations); the
 * functions here take the database's SQLite handle.  The same code runs
 * on an in-memory database for `mamori analyze --incidents`.
 *
 *   incident-store.c	reading and changing incidents in the database
 *   incident-mgr.c	grouping alerts into incidents (correlation)
 *   taxonomy.c		categories and how alerts map onto them
 *   playbook.c		response checklists (the playbooks directory)
 *   notify.c		the contact plan: mail and webhooks
 *   export-*.c		IODEF, JSON and Markdown; reports from outside
 */
#ifndef MAMORI_INCIDENT_H
#define MAMORI_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct sqlite3 sqlite3;

enum inc_status {
	INC_NEW = 0,
	INC_TRIAGE,
	INC_CONTAINMENT,
	INC_ERADICATION,
	INC_RECOVERY,
	INC_CLOSED,
	INC_FALSE_POSITIVE,
	INC_NSTATUS
};

/* The seed's three levels. */
enum inc_impact {
	INC_IMPACT_INTERNAL = 1,	/* 事故: inside the organisation */
	INC_IMPACT_EXTERNAL = 2,	/* 不祥事: affects outsiders */
	INC_IMPACT_INFRASTRUCTURE = 3,	/* テロ: social infrastructure */
};

/* Severity 1..4, from the highest alert level unless set by hand. */
enum inc_severity {
	INC_SEV_LOW = 1,		/* rule levels 0..5 */
	INC_SEV_MEDIUM = 2,		/* 6..9 */
	INC_SEV_HIGH = 3,		/* 10..12 */
	INC_SEV_CRITICAL = 4,		/* 13..15 */
};

/* Names as the CLI, JSON and database spell them ("new", "triage", ...,
 * "false-positive"; "internal", "external", "infrastructure"; "low",
 * "medium", "high", "critical"), and back: -1 when unknown. */
const char *inc_status_name(enum inc_status s);
int inc_status_parse(const char *s);
const char *inc_impact_name(enum inc_impact i);
int inc_impact_parse(const char *s);
const char *inc_severity_name(enum inc_severity s);
int inc_severity_parse(const char *s);	/* a name or "1".."4" */
int inc_severity_of_level(int rule_level);

/* A party to an incident. */
enum inc_role { INC_ATTACKER = 0, INC_VICTIM = 1 };
enum inc_party_kind { INC_PARTY_IP = 0, INC_PARTY_HOST, INC_PARTY_USER };
const char *inc_party_kind_name(enum inc_party_kind k);	/* ip host user */

struct inc_party {
	enum inc_role	 role;
	enum inc_party_kind kind;
	char		*value;		/* "203.0.113.9", "web1", "root" */
	int		 internal;	/* an address inside the organisation
					   (incidents.internal_networks) */
};

/* A playbook step as attached to one incident. */
enum inc_step_state { INC_STEP_OPEN = 0, INC_STEP_DONE, INC_STEP_SKIPPED };
const char *inc_step_state_name(enum inc_step_state s);

struct inc_step {
	int		 n;		/* 1-based, as `incident step ID N` */
	char		*id;		/* the playbook's step id ("isolate") */
	char		*title;
	char		*detail;	/* may be NULL */
	enum inc_step_state state;
	char		*who;		/* NULL while open */
	int64_t		 at_ns;		/* 0 while open */
	char		*note;		/* may be NULL */
};

enum inc_evidence_kind {
	INC_EV_HASH = 0,		/* value: "sha256:<hex>" or similar */
	INC_EV_CAPTURE,			/* value: "file.pcap" or a time range */
	INC_EV_LOG,			/* value: log store sequence number */
	INC_EV_FILE,			/* value: a path on some host */
	INC_EV_NOTE,			/* value: free text */
};
const char *inc_evidence_kind_name(enum inc_evidence_kind k);
int inc_evidence_kind_parse(const char *s);

struct inc_evidence {
	int64_t		 id;
	enum inc_evidence_kind kind;
	char		*value;
	char		*note;		/* may be NULL */
	char		*who;
	int64_t		 at_ns;
};

/* One entry of the timeline.  kind says what happened: "created",
 * "alert" (more alerts joined; text says how many), "status", "assignee",
 * "impact", "severity", "note", "step", "evidence", "notify", "block",
 * "unblock", "merge", "report", "export". */
struct inc_event {
	int64_t		 id;
	int64_t		 at_ns;
	char		*who;		/* a user, or "mamori" for the system */
	char		*kind;
	char		*text;
};

/* An alert linked to the incident (a summary; the alert itself is in the
 * alerts table when alert_id is not 0). */
struct inc_alert_ref {
	int64_t		 alert_id;	/* alerts.id, 0 offline */
	uint64_t	 log_seq;	/* log store record, 0 if none */
	int64_t		 time_ns;
	uint32_t	 rule_id;
	int		 level;
	char		*description;
	char		*host;
	char		*srcip;
	char		*user;
	char		*log;		/* the line that raised it, may be
					   NULL */
};

struct incident {
	int64_t		 id;
	char		*title;
	char		*category;	/* taxonomy id: "attack", "scan", ... */
	char		*rsit_class;	/* from the taxonomy; may be NULL */
	char		*rsit_type;
	enum inc_impact	 impact;
	enum inc_severity severity;
	enum inc_status	 status;
	char		*assignee;	/* NULL: nobody */
	char		*source;	/* "alerts" or "report" */
	char		*reporter;	/* who reported it from outside, or
					   NULL */
	char		*summary;	/* free text (reports), may be NULL */
	char		*playbook;	/* playbook id, may be NULL */
	int64_t		 merged_into;	/* 0, or the incident it went into */
	int64_t		 first_seen_ns;
	int64_t		 last_seen_ns;
	int64_t		 created_ns;
	int64_t		 updated_ns;
	uint64_t	 alert_count;

	struct inc_party *parties;	size_t nparties;
	struct inc_step	*steps;		size_t nsteps;
	struct inc_evidence *evidence;	size_t nevidence;
	struct inc_event *timeline;	size_t ntimeline;
	/* The first and latest alerts (at most INC_ALERTS_SHOWN of each
	 * end), oldest first; alert_count says how many there are. */
	struct inc_alert_ref *alerts;	size_t nalerts;
};

#define INC_ALERTS_SHOWN	50

/* Frees what inc holds (not inc itself) and zeroes it. */
void incident_release(struct incident *inc);

/*
 * Reading.  incident_get() loads incident id whole (parties, steps,
 * evidence, timeline, alerts) into *inc; returns 0, MAMORI_ENOTFOUND or
 * MAMORI_EDB/MAMORI_ENOMEM.
 */
int incident_get(sqlite3 *db, int64_t id, struct incident *inc);

struct inc_filter {
	int		 status;	/* -1: any; INC_NSTATUS: any open one
					   (not closed, false-positive or
					   merged) */
	const char	*category;	/* NULL: any */
	int		 include_merged;
	int		 oldest_first;	/* else newest first */
	size_t		 limit;		/* 0: no limit */
};

/* Calls cb with each matching incident, newest first (or oldest), loaded without its
 * timeline, evidence and alerts (parties and steps are loaded).  Stops
 * when cb returns non-zero.  Returns 0, cb's value or an error. */
int incident_list(sqlite3 *db, const struct inc_filter *f,
    int (*cb)(void *, const struct incident *), void *arg);

/*
 * Changing.  Each change is one transaction that also appends its
 * timeline entry (who did it, when).  who is a user name or "mamori".
 * Each returns 0, MAMORI_ENOTFOUND (no such incident, or step), MAMORI_EINVAL
 * (a merged incident cannot change), or MAMORI_EDB.
 */
int incident_set_status(sqlite3 *db, int64_t id, enum inc_status s,
    const char *who, const char *note);
int incident_set_assignee(sqlite3 *db, int64_t id, const char *user,
    const char *who);
int incident_set_impact(sqlite3 *db, int64_t id, enum inc_impact level,
    const char *who, const char *why);
int incident_set_severity(sqlite3 *db, int64_t id, enum inc_severity sev,
    const char *who);
int incident_add_note(sqlite3 *db, int64_t id, const char *text,
    const char *who);
int incident_set_step(sqlite3 *db, int64_t id, int n,
    enum inc_step_state state, const char *note, const char *who);
int incident_add_evidence(sqlite3 *db, int64_t id,
    enum inc_evidence_kind kind, const char *value, const char *note,
    const char *who);
/* Appends a timeline entry of any kind (notifications, blocks, exports). */
int incident_log(sqlite3 *db, int64_t id, const char *kind,
    const char *text, const char *who);
/* Moves the alerts, parties, evidence and timeline of ids[0..n) into
 * into; they become status "closed" with merged_into set. */
int incident_merge(sqlite3 *db, int64_t into, const int64_t *ids, size_t n,
    const char *who);

/*
 * Creating by hand: an incident reported from outside, or imported
 * (export.h).  inc's category, title, impact, severity, reporter, summary,
 * first/last seen and parties are used; steps are taken from the playbook
 * given (may be NULL).  Sets inc->id.  Returns 0 or an error.
 */
struct playbook;
int incident_create(sqlite3 *db, struct incident *inc,
    const struct playbook *pb, const char *who);

/* Appends the steps of pb that apply at the incident's impact now and
 * are not on its checklist yet (after the impact rose).  0 or an error. */
int incident_steps_sync(sqlite3 *db, int64_t id, const struct playbook *pb,
    const char *who);

/*
 * For the incident manager (incident-mgr.c): links alerts[0..n) (oldest
 * first) and the parties they name to incident id, moves last_seen,
 * raises severity to the alerts' (never lowers it), and adds one timeline
 * entry saying what joined (text, by "mamori").  One transaction.
 */
int incident_attach(sqlite3 *db, int64_t id, const struct inc_alert_ref *a,
    size_t n, const struct inc_party *parties, size_t nparties,
    const char *text);

/* The incident's current status, impact and severity (cheap; for the
 * manager's decisions).  Returns 0 or MAMORI_ENOTFOUND/MAMORI_EDB. */
int incident_state(sqlite3 *db, int64_t id, enum inc_status *status,
    enum inc_impact *impact, enum inc_severity *severity,
    int64_t *merged_into);

#endif
