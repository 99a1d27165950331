/*
 * server-web.c - the web console inside the server (src/web/): what the
 * server lends it (its live counters, the notifier) and when it runs.
 *
 *   server_new()            server_web_init(): bind http(s) listeners,
 *                           read certificates (still privileged)
 *   server_drop_privileges  keeps CAP_NET_ADMIN when the console may
 *                           block (server_web_wants_cap())
 *   server_start()          server_web_start_containment() on the thread
 *                           that kept it; that thread then lets it go;
 *                           server_web_start() last, once the pipeline
 *                           runs
 *   server_stop()           server_web_stop() first, so no request
 *                           touches a stopping pipeline
 *
 * The console reads mamori.db through its own connections and never
 * calls into the pipeline's threads: everything it takes from the
 * server here is an atomic counter, a locked queue depth, or a
 * thread-safe submit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "respond/respond.h"
#include "server/server-impl.h"
#include "web/web.h"

/* {"listeners", "queues", "sensor"} of the status snapshot; the
 * listeners that take logs only (not the console's own). */
static json_t *
web_status(void *arg)
{
	struct server *s = arg;
	json_t *st, *j, *ls, *l;
	size_t i;

	if ((st = server_status_object(s)) == NULL)
		return NULL;
	if ((ls = json_array()) == NULL) {
		json_decref(st);
		return NULL;
	}
	json_array_foreach(json_object_get(st, "listeners"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "proto")) ?
		    json_string_value(json_object_get(l, "proto")) : "",
		    "http") != 0)
			json_array_append(ls, l);
	j = json_pack("{s:o, s:O}", "listeners", ls, "queues",
	    json_object_get(st, "queues"));
	if (j != NULL && json_object_get(st, "sensor") != NULL)
		json_object_set(j, "sensor", json_object_get(st, "sensor"));
	json_decref(st);
	return j;
}

static uint64_t
web_events(void *arg)
{
	struct server *s = arg;

	return atomic_load(&s->n.stored);
}

static int
web_notify(void *arg, int64_t id, const char *why, const char *contact)
{
	return server_incidents_notify(arg, id, why, contact);
}

int
server_web_init(struct server *s, char *err, size_t errlen)
{
	struct web_setup w;

	w.cfg = s->cfg;
	w.db_path = s->db_path;
	w.ops.arg = s;
	w.ops.status = web_status;
	w.ops.events = web_events;
	w.ops.notify = web_notify;
	if ((s->web = web_server_new(&w, err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	if (web_server_nlisteners(s->web) == 0) {
		web_server_free(s->web);
		s->web = NULL;
	}
	return 0;
}

int
server_web_wants_cap(const struct server *s)
{
	return s->web != NULL && !s->cfg->respond->dry_run;
}

int
server_web_start_containment(struct server *s, char *err, size_t errlen)
{
	if (s->web == NULL)
		return 0;
	return web_server_start_containment(s->web, err, errlen);
}

int
server_web_start(struct server *s, char *err, size_t errlen)
{
	char url[320];
	size_t i;
	int r;

	if (s->web == NULL)
		return 0;
	if ((r = web_server_start(s->web, err, errlen)) != 0)
		return r;
	for (i = 0; i < web_server_nlisteners(s->web); i++) {
		web_server_url(s->web, i, url, sizeof(url));
		log_info("console: %s", url);
	}
	return 0;
}

void
server_web_kick(struct server *s)
{
	if (s->web != NULL)
		web_server_kick(s->web);
}

void
server_web_stop(struct server *s)
{
	if (s->web != NULL)
		web_server_stop(s->web);
}

void
server_web_release(struct server *s)
{
	web_server_free(s->web);
	s->web = NULL;
}
