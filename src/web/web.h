/*
 * web.h - the web console: an HTTP server (libmicrohttpd) inside
 * `mamori server` that serves the console's files (web/, embedded at
 * build time) and a JSON API under /api/v1 (docs/api.md), with users,
 * sessions, CSRF tokens, API tokens and live updates (Server-Sent
 * Events).
 *
 *   web-conf.c		the web: section of the configuration
 *   web-http.c		the daemons: sockets, TLS, requests, responses,
 *			security headers, static files
 *   web-route.c	the route table: method, path, role, CSRF
 *   web-parse.c	bytes from clients: percent-decoding, cookies,
 *			Authorization, path segments, numbers, bodies
 *   web-users.c	users (argon2id), API tokens, login failures
 *   web-session.c	sessions and who is asking
 *   web-sse.c		Server-Sent Events: the hub and its publisher
 *   web-contain.c	blocks and unblocks, on a thread that may change
 *			the firewall
 *   web-api-*.c	the API's handlers
 *
 * Threads: the daemons' own (a pool per listener) answer requests, each
 * with a database connection from a pool (never the pipeline's); one
 * publisher thread feeds the event streams; one containment thread
 * changes the firewall.  Nothing here runs on the pipeline's threads.
 */
#ifndef MAMORI_WEB_H
#define MAMORI_WEB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <yaml.h>

struct ydoc;
struct config;

/* The web: section (docs/configuration.md). */
struct web_conf {
	int64_t		 session_ttl_ns;	/* default 8 h */
	unsigned	 login_max_failures;	/* per user and per address
						   in login_window; default 5 */
	int64_t		 login_window_ns;	/* default 15 min */
	int		 threads;		/* per listener; default 4 */
	unsigned	 max_connections;	/* per listener; default 256 */
	unsigned	 max_per_address;	/* default 64 */
	int64_t		 timeout_ns;		/* idle connection; 60 s */
	unsigned	 sse_clients;		/* event streams; default 64 */
	unsigned	 sse_queue;		/* events queued per stream
						   before it is dropped; 256 */
	int64_t		 silent_after_ns;	/* a host is silent; 1 h */
	int		 hash_concurrency;	/* password hashes at once; 2 */
	int		 secure_cookies;	/* -1: under https only (the
						   default); 0 never; 1 always
						   (behind a TLS proxy) */
};

/* The defaults.  Returns 0 or MAMORI_ENOMEM; free with web_conf_free(). */
int web_conf_new(struct web_conf **out);
void web_conf_free(struct web_conf *c);	/* NULL: no-op */

/*
 * Reads the web: mapping node of d over c, whole or not at all.  Returns
 * 0, MAMORI_ECONFIG with "FILE:LINE: setting 'web.x': reason" in d's
 * error buffer, or MAMORI_ENOMEM.
 */
int web_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct web_conf *c);

/*
 * What the server lends the console (src/server/server-web.c).  Every
 * function is called from the console's threads and must be thread-safe;
 * any may be NULL.
 */
struct web_ops {
	void		*arg;
	/* The pipeline now: {"listeners": [...], "queues": [...],
	 * "sensor": [...]} as `mamori status` shows them.  New reference. */
	json_t		*(*status)(void *arg);
	/* Events stored since the server started (for events/s). */
	uint64_t	 (*events)(void *arg);
	/* Hands "notify the contacts about this incident" to the notifier
	 * (contact NULL: along the routes).  Returns 0 (queued),
	 * MAMORI_ECONFIG (no notify: section), MAMORI_ENOTFOUND (no such
	 * contact), MAMORI_EAGAIN (queue full) or MAMORI_ECLOSED. */
	int		 (*notify)(void *arg, int64_t incident, const char *why,
			    const char *contact);
};

/* What a console is built from.  Everything is borrowed and must
 * outlive the server. */
struct web_setup {
	const struct config *cfg;	/* http:// and https:// listeners,
					   web:, respond:, notify:,
					   incidents:, data_dir, rules */
	const char	*db_path;	/* mamori.db */
	struct web_ops	 ops;
};

struct web_server;

/*
 * Prepares the console: reads the TLS certificate and key of each
 * https:// listener and binds every http:// and https:// listener of
 * s->cfg (so that this runs before the privileges are dropped).  Returns
 * NULL with a reason in err.  A configuration without such listeners
 * gives a server that does nothing.
 */
struct web_server *web_server_new(const struct web_setup *s, char *err,
    size_t errlen);

/* The number of listeners the console answers on. */
size_t web_server_nlisteners(const struct web_server *ws);

/*
 * Starts the containment thread (blocks and unblocks).  Call it from the
 * thread that holds CAP_NET_ADMIN after the privilege drop (when one
 * does), before that thread lets the capability go: the new thread keeps
 * it.  Returns 0 or an error with err set.
 */
int web_server_start_containment(struct web_server *ws, char *err,
    size_t errlen);

/*
 * Starts answering: the publisher thread and a daemon per listener.  On
 * the first start of a database without users, creates the user "admin"
 * with a random password and logs it once (there is no default
 * password).  Returns 0 or an error with err set.
 */
int web_server_start(struct web_server *ws, char *err, size_t errlen);

/* Something changed (alerts stored, an incident touched): the event
 * streams look now rather than at their next tick.  Never blocks for
 * long; callable from any thread. */
void web_server_kick(struct web_server *ws);

/* Stops answering: streams ended, daemons stopped, threads joined.
 * Idempotent. */
void web_server_stop(struct web_server *ws);

/* Stops it if needed and frees it.  NULL: no-op. */
void web_server_free(struct web_server *ws);

/* Writes the console's URL for listener i ("http://127.0.0.1:8080/";
 * an unspecified address shows as 127.0.0.1 or [::1]) into buf. */
void web_server_url(const struct web_server *ws, size_t i, char *buf,
    size_t len);

/* Turns off every capability of the calling thread (threads it starts
 * later inherit none).  Returns 0 or MAMORI_ESYS. */
int web_drop_caps(void);

#endif
