/*
 * server-impl.h - the server's parts; private to src/server/.
 */
#ifndef MAMORI_SERVER_IMPL_H
#define MAMORI_SERVER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <jansson.h>

#include "core/config.h"
#include "core/queue.h"
#include "input/listener.h"
#include "input/syslog.h"
#include "server/server.h"
#include "rules/rules.h"
#include "store/db.h"
#include "store/logstore.h"

#define SERVER_INTERNAL_LISTENER	0xffff	/* events mamori made */
#define HOST_BUCKETS			4096
#define HOST_MAX_PER_WORKER		16384

struct host_entry {
	struct host_entry *next;
	char		 name[256];
	char		 src[64];		/* address, no port */
	char		 last_src[EVENT_SRC_MAX];	/* as received */
	int64_t		 first_seen_ns;
	int64_t		 last_seen_ns;
	uint64_t	 messages;	/* since last saved to mamori.db */
	int		 dirty;
	/* Clock offset estimate: the largest (timestamp - receive time)
	 * seen in a window.  Delivery delay only ever makes a message look
	 * older, so the window's maximum is the best estimate of the
	 * host's offset (as NTP prefers its least-delayed sample). */
	int64_t		 win_start_ns;
	int64_t		 win_max_ns;
	uint32_t	 win_n;
	int		 has_offset;
	int64_t		 offset_ns;
	int64_t		 last_report_ns;
};

struct worker {
	struct server	*srv;
	int		 id;
	struct queue	*q;
	pthread_t	 thread;
	pthread_mutex_t	 mu;		/* guards hosts */
	struct host_entry *hosts[HOST_BUCKETS];
	size_t		 nhosts;
	uint64_t	 untracked;	/* hosts beyond HOST_MAX_PER_WORKER */
	int64_t		 last_sweep_ns;
	struct event	**reports;	/* clock-skew events to queue */
	size_t		 nreports, capreports;
	struct server_ruleset *rules;	/* the set rctx analyses with */
	struct rules_ctx *rctx;		/* this worker's correlation state */
};

/* What the worker attaches to an event that raised an alert. */
struct server_alert {
	json_t		*json;
	int64_t		 time_ns;
	uint32_t	 rule_id;
	int		 level;
	uint64_t	 log_seq;
	char		*description, *groups, *host, *srcip, *user;
	char		*dstip, *srcuser, *dstuser, *log;	/* incidents */
	int64_t		 alert_id;	/* alerts.id once stored */
};

/* Alerts waiting for their group's fsync (writer). */
struct server_alerts {
	void		**v;
	size_t		 n, cap;
};

struct server_counters {
	atomic_uint_fast64_t parsed_5424;
	atomic_uint_fast64_t parsed_3164;
	atomic_uint_fast64_t unparsed;
	atomic_uint_fast64_t internal;
	atomic_uint_fast64_t stored;
	atomic_uint_fast64_t write_errors;
	atomic_uint_fast64_t skew_reports;
	atomic_uint_fast64_t lost;	/* given up on at shutdown */
	atomic_uint_fast64_t alerts;	/* raised by the rules */
};

struct server {
	const struct config	*cfg;
	char			 hostname[256];
	char			*db_path;
	struct logstore		*store;
	struct db		*db;
	struct syslog_parse_opts parse_opts;

	struct worker		*workers;
	int			 nworkers;
	struct queue		*outq;
	pthread_t		 writer;
	int			 writer_running;

	struct listener		**listeners;	/* by config index; NULL for
						   RELP */
	struct listener_stats	**lstats;	/* by config index */
	struct listener_stats	*relp_stats;
	struct relp_listeners	*relp;
	size_t			 nlisteners;
	struct listener_sink	 sink;

	struct server_counters	 n;
	atomic_uint_fast64_t	 store_records;	/* mirror of the writer's */
	atomic_uint_fast64_t	 store_next_seq;
	atomic_uint_fast64_t	 store_disk_bytes;
	atomic_uint_fast64_t	 store_segments;
	atomic_uint_fast64_t	 store_syncs;
	atomic_uint_fast64_t	 store_compress_pending;
	int64_t			 started_ns;
	int			 started;
	atomic_int		 stopping;	/* server_stop() has begun */
	int			 writer_gave_up;	/* writer thread only */
	uint64_t		*writer_counts;	/* its groups' per-listener
						   counts, 2 x (nlisteners+1) */
	pthread_mutex_t		 rules_mu;	/* guards rules, refs */
	int			 rules_mu_init;
	struct server_ruleset	*rules;		/* current; NULL: rules off */
	FILE			*alerts_file;	/* <data>/alerts.json */
	struct db		*alerts_db;	/* the writer's connection */

	/* Incidents (server-incidents.c); NULL when off.  Used by the
	 * thread that settles alerts. */
	struct server_incidents	*incidents;

	int			 store_was_empty;	/* at open: --demo */

	/* The agent registry (server-agentwire.c, agents.h). */
	struct agents		*agents;
	int64_t			 agents_swept_ns;	/* main thread */

	/* The network sensor (server-sensor.c); NULL when off. */
	struct server_sensor	*sensor;

	/* The web console (server-web.c, src/web/); NULL when no http://
	 * or https:// listener is configured. */
	struct web_server	*web;
	/* The main thread kept CAP_NET_ADMIN through the privilege drop
	 * (for the threads that change the firewall); server_start() lets
	 * it go once those are started. */
	int			 kept_cap;
};

/* server-agentwire.c: the agent registry opened with mamori.db, fed
 * by the workers (observe: any event; only mamori-agent ones count),
 * swept by the main thread (tick: about every 10 s), freed at the end. */
struct agents;
int server_agents_init(struct server *s, char *err, size_t errlen);
void server_agents_observe(struct worker *w, const struct event *ev);
void server_agents_tick(struct server *s, int64_t mono_ns);
void server_agents_release(struct server *s);
/* server-worker.c: queues an internal event made under w->mu (the
 * worker's reports: rules, then the writer).  0 or MAMORI_ENOMEM. */
int server_worker_add_report(struct worker *w, struct event *ev);

/* server-sensor.c: captures opened by init (before the privileges are
 * dropped), run by start, stopped (flows and windows flushed into the
 * pipeline) by stop, freed by release.  Off without a sensor: section. */
int server_sensor_init(struct server *s, char *err, size_t errlen);
int server_sensor_start(struct server *s, char *err, size_t errlen);
void server_sensor_stop(struct server *s);
void server_sensor_release(struct server *s);
/* Per-interface counters for the status, or NULL when off. */
json_t *server_sensor_json(struct server *s);

/* server-writer.c: the store's sync_done callback (wakes the writer). */
void server_writer_sync_done(void *arg);

/* server-worker.c */
void *server_worker_thread(void *arg);
/* FNV-1a of s[0..len): host table buckets and worker partitions. */
uint32_t server_hash(const char *s, size_t len);
/* Moves the hosts' new counts into out (allocated; caller frees) and
 * clears them.  Returns the number of entries. */
size_t server_worker_take_hosts(struct worker *w, struct db_host **out);

/* server-writer.c */
void *server_writer_thread(void *arg);

/* server-rules.c: loading, SIGHUP reload, analysis in the workers,
 * alerts out of the writer. */
int server_rules_init(struct server *s, char *err, size_t errlen);
void server_rules_reload(struct server *s);
void server_rules_release(struct server *s);
void server_rules_analyze(struct worker *w, struct event **evs, int n);
void server_rules_worker_release(struct worker *w);
int server_alerts_take(struct server_alerts *l, struct event *ev);
void server_alerts_flush(struct server *s, struct server_alerts *l);
void server_alerts_release(struct server_alerts *l);

/* server-incidents.c */
int server_incidents_init(struct server *s, char *err, size_t errlen);
int server_incidents_start(struct server *s, char *err, size_t errlen);
void server_incidents_alert(struct server *s, struct server_alert *a);
void server_incidents_flush(struct server *s);
void server_incidents_reload(struct server *s);
void server_incidents_release(struct server *s);
/* The console's "notify" button: hands incident id to the notifier
 * (contact NULL: along the routes; else that contact only, past the
 * routes and the rate limit).  Thread-safe.  Returns 0,
 * MAMORI_ECONFIG (no notify: section, or incidents off),
 * MAMORI_ENOTFOUND (no such contact), MAMORI_EAGAIN (queue full) or
 * MAMORI_ECLOSED. */
int server_incidents_notify(struct server *s, int64_t id, const char *why,
    const char *contact);

/* server-status.c */
/* The status snapshot: as a JSON object (new reference, NULL when out of
 * memory), and as text (caller frees).  Thread-safe. */
json_t *server_status_object(struct server *s);
char *server_status_json(struct server *s);
void server_status_save(struct server *s);
void server_stats_line(struct server *s);

/* server-web.c: the console.  init binds its listeners and reads their
 * certificates (before the privileges are dropped); start_containment
 * starts the thread that may change the firewall (from the thread that
 * kept CAP_NET_ADMIN); start serves; kick wakes its live updates (any
 * thread); stop and release.  All are no-ops without a console. */
int server_web_init(struct server *s, char *err, size_t errlen);
int server_web_wants_cap(const struct server *s);
int server_web_start_containment(struct server *s, char *err,
    size_t errlen);
int server_web_start(struct server *s, char *err, size_t errlen);
void server_web_kick(struct server *s);
void server_web_stop(struct server *s);
void server_web_release(struct server *s);

#endif
