/*
 * agents.h - the log server's registry of mamori agents: who they are
 * (name, address, version, how they proved it), when each was last
 * heard, and which went silent -- an intruder's first move is often to
 * stop the logging.
 *
 * Agents send events of the application "mamori-agent" (heartbeats every
 * minute, "started", "stopping", "queue-dropped", ...; see
 * src/host/agent-msg.c) whose structured data
 *
 *   [mamori-agent@32473 event="heartbeat" name="web1" version="0.1.0"
 *    instance="<32 hex>" seq="42" time="..." ... hmac="<64 hex>"]
 *
 * names the agent.  The registry checks each one's identity (an HMAC with
 * the agent's shared key, and/or the TLS client certificate's subject CN
 * equal to the name), records it in mamori.db (table agents, schema
 * version 4) and reports, as events for the rules:
 *
 *   msgid           severity  when
 *   agent-new       5 notice  an agent is heard for the first time
 *   agent-silent    4 warning nothing from an active agent for
 *                             agents.silent_after (default 5 minutes)
 *   agent-back      5 notice  a silent agent is heard again
 *   agent-identity  4 warning an event claims an agent's name but does not
 *                             prove it (at most one per agent per 10 min)
 *   agent-reset     4 warning an agent comes back with a new state
 *                             directory: what it had queued may be lost
 *
 * Wiring (for the integrator):
 *   - config: the server's loader hands the `agents:` section to
 *     agents_conf_parse() (agents_conf_init() first, agents_conf_release()
 *     at the end);
 *   - start: agents_open(db_sqlite(s->db), &cfg->agents, now, &s->agents,
 *     err, errlen) on the thread that owns mamori.db;
 *   - workers: for each received event whose app is "mamori-agent",
 *     agents_observe(s->agents, ev, peer_subject_or_NULL, ev->recv_ns,
 *     report_cb, w), where report_cb turns each report into
 *     event_new_internal(now, r->host, r->severity, r->msgid, r->sd,
 *     r->text) and queues it like skew_report() does;
 *   - timer: every ~10 s on the db thread, agents_sweep(s->agents, now,
 *     report_cb, arg) (silence, and writing the table);
 *   - stop: agents_free() on the db thread (writes what is left).
 */
#ifndef MAMORI_AGENTS_H
#define MAMORI_AGENTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "core/yamldoc.h"

typedef struct sqlite3 sqlite3;

/* agents: section of the server's configuration. */
struct agents_key {
	char		*name;		/* agent name */
	char		*path;		/* file holding its shared key */
};

struct agents_conf {
	int64_t		 silent_after_ns;	/* default 5 min */
	int		 require_identity;	/* default 0: an agent without
					   a key or certificate is taken
					   at its word */
	struct agents_key *keys;
	size_t		 nkeys;
};

/* Defaults.  Release with agents_conf_release(). */
void agents_conf_init(struct agents_conf *c);
void agents_conf_release(struct agents_conf *c);

/*
 * Reads the agents: mapping node (name is its setting name, "agents"):
 *
 *   agents:
 *     silent_after: 5m
 *     require_identity: false
 *     keys:
 *       web1: /etc/mamori/agents/web1.key
 *
 * Returns 0, or MAMORI_ECONFIG with "FILE:LINE: setting 'agents.x':
 * reason" in d's err (c unchanged), or MAMORI_ENOMEM.  The key files are
 * read by agents_open().
 */
int agents_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct agents_conf *c);

/* What the registry reports; the strings last only for the call. */
struct agents_report {
	const char	*host;		/* the agent's name: the event's host */
	int		 severity;
	const char	*msgid;		/* "agent-silent", ... (see above) */
	const char	*sd;		/* complete SD: [mamori@32473 ...] */
	const char	*text;		/* the message */
};
typedef void (*agents_report_fn)(void *arg, const struct agents_report *r);

struct agents;

/*
 * Loads the registry from db (table agents) and the key files of conf.
 * An agent is not called silent before silent_after has passed since
 * now_ns, so a server restart does not report every agent.  conf must
 * outlive the registry; db is used only by agents_open(), agents_sweep()
 * and agents_free(), which must run on the thread that owns it.  Returns
 * 0 with *out, or MAMORI_EDB/MAMORI_ESYS/MAMORI_EKEY/MAMORI_ENOMEM with a
 * reason (naming the key file) in err.
 */
int agents_open(sqlite3 *db, const struct agents_conf *conf, int64_t now_ns,
    struct agents **out, char *err, size_t errlen);

/*
 * Looks at one received event (any thread; the registry has its own
 * lock and touches no database here).  An agent event (app mamori-agent
 * with the agent's SD) is checked and, if it proves its identity as conf
 * requires, recorded: last seen now_ns, address from ev->src, version,
 * sequence.  peer_subject is the TLS client certificate's subject as the
 * listener has it ("/CN=web1/O=x" or "CN=web1,O=x"), or NULL.  Reports
 * (new, back, identity, reset) go to report(arg, ...) before it returns,
 * after the lock is released.  A repeated or older sequence number
 * (a resent message, or a replay) is accepted but does not count as a
 * sign of life.  Returns 0 (recorded, or old); MAMORI_ENOTFOUND (not an
 * agent event: nothing done); MAMORI_EKEY (identity not proved: reported,
 * not recorded); MAMORI_ETOOBIG (registry full: 100,000 agents);
 * MAMORI_ENOMEM.
 */
int agents_observe(struct agents *a, const struct event *ev,
    const char *peer_subject, int64_t now_ns, agents_report_fn report,
    void *arg);

/*
 * Marks active agents not heard for silent_after as silent (one
 * "agent-silent" report each) and writes the changed rows to the
 * database.  Call about every 10 s on the db thread.  Returns 0 or
 * MAMORI_EDB (the rows stay to be written next time).
 */
int agents_sweep(struct agents *a, int64_t now_ns, agents_report_fn report,
    void *arg);

/*
 * For each event of program "mamori-fim" from a known agent (any
 * thread): remembers the digest of the last baseline it made, and
 * reports "fim-baseline-swapped" (severity 3) when a check compared
 * against another one.  Returns 0, or MAMORI_ENOTFOUND when ev is not
 * such an event.
 */
int agents_observe_fim(struct agents *a, const struct event *ev,
    int64_t now_ns, agents_report_fn report, void *arg);

/* One agent as the registry has it (for status pages). */
struct agents_info {
	const char	*name, *address, *version, *instance, *subject;
	const char	*key_id;	/* first 16 hex of SHA-256(key) */
	int64_t		 first_seen_ns, last_seen_ns;
	uint64_t	 last_seq;
	int		 silent;
	int64_t		 silent_since_ns, stopped_ns;
};

/* Calls cb for each agent (under the lock: cb must not call back);
 * stops when cb returns non-zero, and returns that. */
int agents_each(struct agents *a, int (*cb)(void *, const struct agents_info *),
    void *arg);

/* Writes what changed, then frees a (db thread).  NULL is a no-op. */
void agents_free(struct agents *a);

/*
 * The CN in a certificate subject ("/C=JP/CN=web1", "CN=web1,O=x",
 * "CN = web1, O = x") into buf.  Returns 0, or MAMORI_ENOTFOUND.
 */
int agents_subject_cn(const char *subject, char *buf, size_t len);

#endif
