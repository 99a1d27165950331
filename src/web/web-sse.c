/*
 * web-sse.c - live updates for the console: Server-Sent Events (the
 * HTML Living Standard's "text/event-stream") on GET /api/v1/events.
 *
 *   event: alert      an alert was stored (as GET /alerts lists them)
 *   event: incident   an incident opened or changed (a summary)
 *   event: stats      every 5 s: events per second, listeners, queues
 *   event: resync     more happened than a stream is sent; reload
 *   : ping            every 15 s, so proxies and browsers keep the line
 *
 * One publisher thread watches mamori.db through its own connection: the
 * alerts table by id and the incidents table by their updated time, at
 * most five times a second when kicked (web_server_kick(), after alerts
 * are settled) and once a second otherwise.  Polling the tables, rather
 * than hooks in the pipeline, sees every change whoever made it: the
 * analysis, the console, or `mamori incident` from a shell.
 *
 * Each stream has its own bounded queue of messages (shared, reference
 * counted).  A stream that falls web.event_queue messages behind is
 * dropped, never waited for: a slow or stalled client cannot hold up the
 * publisher or the server.  An idle stream's connection is suspended in
 * libmicrohttpd (no thread waits for it) and resumed when a message
 * arrives.  Every ping also checks that the stream's session or token is
 * still valid, so a logout or a deleted user ends their streams.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"
#include "store/db.h"
#include "web/web-api.h"
#include "web/web-impl.h"

#define POLL_NS		(1 * NS_PER_SEC)
#define POLL_MIN_NS	(200 * 1000000LL)
#define STATS_NS	(5 * NS_PER_SEC)
#define PING_NS		(15 * NS_PER_SEC)
#define HOUSEKEEP_NS	(600 * NS_PER_SEC)
#define ALERTS_PER_POLL	500
#define INCS_PER_POLL	100
#define QUEUE_BYTES	(1024 * 1024)	/* per stream */

struct sse_msg {
	int		 refs;		/* under the hub's mutex */
	size_t		 len;
	char		 text[];
};

struct sse_client {
	struct sse_client *next, *prev;
	struct web_hub	*hub;
	struct MHD_Connection *conn;
	uint64_t	 id;
	struct web_principal who;
	struct sse_msg	**q;		/* ring of cap */
	unsigned	 head, n, cap;
	size_t		 off;		/* sent of q[head] */
	size_t		 bytes;
	int		 suspended;	/* the publisher must resume it */
	int		 dead;		/* fell behind, or logged out */
};

struct web_hub {
	pthread_mutex_t	 mu;
	struct sse_client *clients;
	unsigned	 n;
	uint64_t	 next_id;
	int		 closing;
	unsigned	 queue;		/* web.event_queue */
	unsigned	 max;		/* web.event_streams */
};

static void
msg_put(struct sse_msg *m)
{
	if (m != NULL && --m->refs == 0)
		free(m);
}

int
web_hub_new(struct web_server *ws)
{
	struct web_hub *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return MAMORI_ENOMEM;
	pthread_mutex_init(&h->mu, NULL);
	h->queue = ws->conf->sse_queue;
	h->max = ws->conf->sse_clients;
	h->next_id = 1;
	ws->hub = h;
	return 0;
}

/* Wakes a suspended stream (hub locked). */
static void
wake(struct sse_client *c)
{
	if (c->suspended) {
		c->suspended = 0;
		MHD_resume_connection(c->conn);
	}
}

void
web_hub_close(struct web_server *ws)
{
	struct web_hub *h = ws->hub;
	struct sse_client *c;
	int64_t deadline;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->closing = 1;
	for (c = h->clients; c != NULL; c = c->next)
		wake(c);
	pthread_mutex_unlock(&h->mu);
	/* Each ends its response and is freed by libmicrohttpd; wait a
	 * little for that, since stopping a daemon with a stream still
	 * suspended is not allowed (and after the wake-up none is). */
	deadline = time_mono_ns() + 2 * NS_PER_SEC;
	for (;;) {
		unsigned n;

		pthread_mutex_lock(&h->mu);
		n = h->n;
		pthread_mutex_unlock(&h->mu);
		if (n == 0 || time_mono_ns() > deadline)
			break;
		usleep(10000);
	}
}

void
web_hub_free(struct web_server *ws)
{
	struct web_hub *h = ws->hub;

	if (h == NULL)
		return;
	/* Streams still registered belong to connections libmicrohttpd
	 * closed at its stop, which freed them through sse_free(). */
	pthread_mutex_destroy(&h->mu);
	free(h);
	ws->hub = NULL;
}

/* Appends m to c's queue, or drops c when it is too far behind (hub
 * locked). */
static void
push(struct sse_client *c, struct sse_msg *m)
{
	if (c->dead)
		return;
	if (c->n == c->cap || c->bytes + m->len > QUEUE_BYTES) {
		c->dead = 1;	/* the reader ends the stream */
		wake(c);
		return;
	}
	c->q[(c->head + c->n) % c->cap] = m;
	c->n++;
	c->bytes += m->len;
	m->refs++;
	wake(c);
}

/* Sends "event: NAME\ndata: JSON\n\n" (or a comment, name NULL) to every
 * stream. */
static void
publish(struct web_hub *h, const char *event, const char *data)
{
	struct sse_client *c;
	struct sse_msg *m;
	size_t len;

	len = event != NULL ? strlen(event) + strlen(data) + 16 :
	    strlen(data) + 4;
	if ((m = malloc(sizeof(*m) + len + 1)) == NULL)
		return;
	if (event != NULL)
		m->len = (size_t)snprintf(m->text, len + 1, "event: %s\n"
		    "data: %s\n\n", event, data);
	else
		m->len = (size_t)snprintf(m->text, len + 1, ": %s\n\n", data);
	m->refs = 1;
	pthread_mutex_lock(&h->mu);
	for (c = h->clients; c != NULL; c = c->next)
		push(c, m);
	msg_put(m);
	pthread_mutex_unlock(&h->mu);
}

static void
publish_json(struct web_hub *h, const char *event, json_t *j)
{
	char *text;

	if (j == NULL)
		return;
	/* Compact JSON has no newline, so it is one data: line; jansson
	 * escapes any in strings. */
	if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
		publish(h, event, text);
	free(text);
	json_decref(j);
}

/* libmicrohttpd asks for the next bytes of the stream. */
static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_client *c = cls;
	struct web_hub *h = c->hub;
	size_t done = 0, take;
	struct sse_msg *m;

	(void)pos;
	pthread_mutex_lock(&h->mu);
	while (done < max && c->n > 0 && !c->dead) {
		m = c->q[c->head];
		take = m->len - c->off;
		if (take > max - done)
			take = max - done;
		memcpy(buf + done, m->text + c->off, take);
		done += take;
		c->off += take;
		if (c->off == m->len) {
			c->q[c->head] = NULL;
			c->head = (c->head + 1) % c->cap;
			c->n--;
			c->bytes -= m->len;
			c->off = 0;
			msg_put(m);
		}
	}
	if (done == 0 && (c->dead || h->closing)) {
		pthread_mutex_unlock(&h->mu);
		return c->dead ? MHD_CONTENT_READER_END_WITH_ERROR :
		    MHD_CONTENT_READER_END_OF_STREAM;
	}
	if (done == 0) {
		/* Nothing to send: park the connection until push(). */
		c->suspended = 1;
		MHD_suspend_connection(c->conn);
	}
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)done;
}

/* The response is gone (connection closed): forget the stream. */
static void
sse_free(void *cls)
{
	struct sse_client *c = cls;
	struct web_hub *h = c->hub;

	pthread_mutex_lock(&h->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->n--;
	while (c->n > 0) {
		msg_put(c->q[c->head]);
		c->head = (c->head + 1) % c->cap;
		c->n--;
	}
	pthread_mutex_unlock(&h->mu);
	free(c->q);
	free(c);
}

void
web_h_events(struct web_req *rq)
{
	struct web_hub *h = rq->ws->hub;
	struct sse_client *c;
	struct MHD_Response *r;
	struct sse_msg *hello;
	static const char first[] = "retry: 5000\n: mamori\n\n";

	if (h == NULL || atomic_load(&rq->ws->closing)) {
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "the server "
		    "is stopping");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->q = calloc(h->queue, sizeof(*c->q))) == NULL ||
	    (hello = malloc(sizeof(*hello) + sizeof(first))) == NULL) {
		if (c != NULL)
			free(c->q);
		free(c);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	c->hub = h;
	c->conn = rq->conn;
	c->cap = h->queue;
	c->who = rq->who;
	hello->refs = 1;
	hello->len = sizeof(first) - 1;
	memcpy(hello->text, first, sizeof(first));
	c->q[0] = hello;
	c->n = 1;
	c->bytes = hello->len;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	    sse_read, c, sse_free);
	if (r == NULL) {
		free(hello);
		free(c->q);
		free(c);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	/* Registered first: when over the limit, destroying the response
	 * frees c through sse_free(), which unregisters it. */
	pthread_mutex_lock(&h->mu);
	c->id = h->next_id++;
	c->next = h->clients;
	if (h->clients != NULL)
		h->clients->prev = c;
	h->clients = c;
	h->n++;
	if (h->n > h->max || h->closing) {
		pthread_mutex_unlock(&h->mu);
		MHD_destroy_response(r);
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "too many "
		    "live-update streams (web.event_streams)");
		return;
	}
	pthread_mutex_unlock(&h->mu);
	MHD_add_response_header(r, "Content-Type",
	    "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	rq->custom = r;
	rq->status = MHD_HTTP_OK;
}

/* ---- events per minute ---- */

static void
rate_sample(struct web_server *ws, int64_t now_ns)
{
	struct web_rate *r = &ws->rate;
	uint64_t total;
	int64_t minute = now_ns / NS_PER_SEC / 60;
	int slot = (int)(minute % WEB_MINUTES);

	if (ws->ops.events == NULL)
		return;
	total = ws->ops.events(ws->ops.arg);
	pthread_mutex_lock(&r->mu);
	if (!r->primed) {
		r->primed = 1;
		r->last_total = total;
		r->first_s = now_ns / NS_PER_SEC;
	}
	if (r->minute[slot] != minute) {
		r->minute[slot] = minute;
		r->count[slot] = 0;
	}
	r->count[slot] += total - r->last_total;
	r->last_total = total;
	pthread_mutex_unlock(&r->mu);
}

json_t *
web_rate_json(struct web_server *ws, int64_t now_ns)
{
	struct web_rate *r = &ws->rate;
	int64_t minute = now_ns / NS_PER_SEC / 60, m, start_s, secs;
	json_t *a = json_array();
	int slot;

	if (a == NULL)
		return NULL;
	pthread_mutex_lock(&r->mu);
	for (m = minute - WEB_MINUTES + 1; m <= minute; m++) {
		double n = 0;

		slot = (int)(m % WEB_MINUTES);
		if (r->primed && r->minute[slot] == m) {
			/* The current minute, and the one the server started
			 * in, are averaged over the seconds they had. */
			start_s = m * 60;
			if (start_s < r->first_s)
				start_s = r->first_s;
			secs = m == minute ? now_ns / NS_PER_SEC - start_s + 1 :
			    (m + 1) * 60 - start_s;
			if (secs < 1)
				secs = 1;
			n = (double)r->count[slot] / (double)secs;
		}
		json_array_append_new(a, json_pack("{s:o, s:f}", "t",
		    web_time_json(m * 60 * NS_PER_SEC), "n", n));
	}
	pthread_mutex_unlock(&r->mu);
	return a;
}

/* ---- the publisher ---- */

struct pub {
	struct web_server *ws;
	struct db	*db;
	sqlite3		*h;
	int64_t		 last_alert;
	int64_t		 last_updated;
	uint64_t	 stats_total;
	int64_t		 stats_at;
};

static void
poll_alerts(struct pub *p)
{
	sqlite3_stmt *st;
	int64_t max = 0;
	int n = 0;

	if (web_alert_select(p->h, &st, "id > ?1 ORDER BY id LIMIT ?2",
	    p->last_alert, (int64_t)ALERTS_PER_POLL + 1) != 0)
		return;
	while (sqlite3_step(st) == SQLITE_ROW && n < ALERTS_PER_POLL) {
		p->last_alert = sqlite3_column_int64(st, 0);
		publish_json(p->ws->hub, "alert", web_alert_json(st));
		n++;
	}
	sqlite3_finalize(st);
	if (n < ALERTS_PER_POLL)
		return;
	/* A flood: the streams get a note to reload, not every alert. */
	if (db_prep(p->h, &st, "SELECT max(id) FROM alerts", NULL) == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			max = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (max > p->last_alert) {
		publish_json(p->ws->hub, "resync", json_pack("{s:s, s:I}",
		    "what", "alerts", "skipped", (json_int_t)(max -
		    p->last_alert)));
		p->last_alert = max;
	}
}

static void
poll_incidents(struct pub *p)
{
	sqlite3_stmt *st;
	struct incident inc;
	int64_t ids[INCS_PER_POLL], upd = p->last_updated;
	int n = 0, i;

	if (db_prep(p->h, &st, "SELECT id, updated FROM incidents WHERE "
	    "updated > ?1 ORDER BY updated LIMIT ?2", "ii", p->last_updated,
	    (int64_t)INCS_PER_POLL) != 0)
		return;
	while (n < INCS_PER_POLL && sqlite3_step(st) == SQLITE_ROW) {
		ids[n++] = sqlite3_column_int64(st, 0);
		upd = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	p->last_updated = upd;
	for (i = 0; i < n; i++) {
		if (incident_get(p->h, ids[i], &inc) != 0)
			continue;
		publish_json(p->ws->hub, "incident", web_incident_summary(&inc));
		incident_release(&inc);
	}
}

static void
send_stats(struct pub *p, int64_t now)
{
	struct web_server *ws = p->ws;
	uint64_t total = ws->ops.events != NULL ?
	    ws->ops.events(ws->ops.arg) : 0;
	double rate = 0;
	json_t *j, *st;

	if (p->stats_at != 0 && now > p->stats_at)
		rate = (double)(total - p->stats_total) /
		    ((double)(now - p->stats_at) / 1e9);
	p->stats_total = total;
	p->stats_at = now;
	j = json_pack("{s:o, s:f, s:I}", "now", web_time_json(time_now_ns()),
	    "events_per_second", rate, "events", (json_int_t)total);
	if (j != NULL && ws->ops.status != NULL &&
	    (st = ws->ops.status(ws->ops.arg)) != NULL) {
		json_object_update(j, st);
		json_decref(st);
	}
	publish_json(ws->hub, "stats", j);
}

/* Ends the streams whose session or token is gone. */
static void
check_streams(struct pub *p)
{
	struct web_hub *h = p->ws->hub;
	struct sse_client *c;
	struct { uint64_t id; struct web_principal who; } *v = NULL;
	size_t n = 0, i, cap;
	int64_t now = time_now_ns();

	pthread_mutex_lock(&h->mu);
	cap = h->n;
	if (cap > 0 && (v = calloc(cap, sizeof(*v))) != NULL)
		for (c = h->clients; c != NULL && n < cap; c = c->next) {
			v[n].id = c->id;
			v[n++].who = c->who;
		}
	pthread_mutex_unlock(&h->mu);
	for (i = 0; i < n; i++) {
		if (web_principal_valid(p->h, &v[i].who, now))
			continue;
		pthread_mutex_lock(&h->mu);
		for (c = h->clients; c != NULL; c = c->next)
			if (c->id == v[i].id) {
				c->dead = 1;
				wake(c);
			}
		pthread_mutex_unlock(&h->mu);
	}
	free(v);
}

static void
housekeep(struct pub *p, int64_t wall)
{
	const struct web_conf *c = p->ws->conf;

	(void)web_session_expire(p->h, wall);
	(void)web_login_expire(p->h, wall - c->login_window_ns);
}

static void
pub_init(struct pub *p)
{
	sqlite3_stmt *st;

	if (db_prep(p->h, &st, "SELECT coalesce((SELECT max(id) FROM "
	    "alerts), 0), coalesce((SELECT max(updated) FROM incidents), 0)",
	    NULL) != 0)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->last_alert = sqlite3_column_int64(st, 0);
		p->last_updated = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

void *
web_publisher(void *arg)
{
	struct web_server *ws = arg;
	struct pub p;
	struct timespec ts;
	char err[512];
	int64_t now, last_poll = 0, last_stats, last_ping, last_house = 0;
	int kicked;

	memset(&p, 0, sizeof(p));
	p.ws = ws;
	if ((p.db = db_open(ws->db_path, 0, err, sizeof(err))) == NULL) {
		log_err("console: live updates off: %s", err);
		return NULL;
	}
	p.h = db_sqlite(p.db);
	pub_init(&p);
	last_stats = last_ping = time_mono_ns();
	rate_sample(ws, time_now_ns());
	for (;;) {
		pthread_mutex_lock(&ws->mu);
		if (!ws->kicked && !ws->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += POLL_NS % NS_PER_SEC;
			ts.tv_sec += POLL_NS / NS_PER_SEC + ts.tv_nsec /
			    NS_PER_SEC;
			ts.tv_nsec %= NS_PER_SEC;
			pthread_cond_timedwait(&ws->cv, &ws->mu, &ts);
		}
		kicked = ws->kicked;
		ws->kicked = 0;
		if (ws->stopping) {
			pthread_mutex_unlock(&ws->mu);
			break;
		}
		pthread_mutex_unlock(&ws->mu);
		now = time_mono_ns();
		rate_sample(ws, time_now_ns());
		if (kicked && now - last_poll < POLL_MIN_NS) {
			/* Kicked again soon: wait out the rest first. */
			usleep((useconds_t)((POLL_MIN_NS - (now - last_poll)) /
			    1000));
			now = time_mono_ns();
		}
		poll_alerts(&p);
		poll_incidents(&p);
		last_poll = now;
		if (now - last_stats >= STATS_NS) {
			send_stats(&p, now);
			last_stats = now;
		}
		if (now - last_ping >= PING_NS) {
			publish(ws->hub, NULL, "ping");
			check_streams(&p);
			last_ping = now;
		}
		if (now - last_house >= HOUSEKEEP_NS) {
			housekeep(&p, time_now_ns());
			last_house = now;
		}
	}
	db_close(p.db);
	return NULL;
}
