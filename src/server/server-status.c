/*
 * server-status.c - what the server tells about itself: a JSON snapshot
 * kept in mamori.db (read by `mamori status`; the console asks for it
 * live, server_status_object()),
 * per-host counts merged into the hosts table, and a stats line on
 * standard error every server.stats_interval.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "server/server-impl.h"

#define STATS_MAX_HOSTS	50	/* per stats line; mamori status has all */

static json_t *
listener_json(struct server *s, size_t i)
{
	const struct listener_conf *c = &s->cfg->listeners[i];
	struct listener_stats *st = s->lstats[i];
	const char *bound = s->listeners[i] != NULL ?
	    listener_bound(s->listeners[i]) : "";

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I}",
	    "url", c->url, "proto", config_proto_name(c->proto),
	    "bound", bound,
	    "received", (json_int_t)atomic_load(&st->received),
	    "stored", (json_int_t)atomic_load(&st->stored),
	    "lost", (json_int_t)atomic_load(&st->lost),
	    "dropped", (json_int_t)atomic_load(&st->dropped),
	    "truncated", (json_int_t)atomic_load(&st->truncated),
	    "bytes", (json_int_t)atomic_load(&st->bytes),
	    "connections", (json_int_t)atomic_load(&st->connections),
	    "active", (json_int_t)atomic_load(&st->active),
	    "errors", (json_int_t)atomic_load(&st->errors));
}

static json_t *
queue_json(const char *name, struct queue *q, size_t cap)
{
	size_t items, bytes, peak;

	queue_depth(q, &items, &bytes, &peak);
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "name", name,
	    "depth", (json_int_t)items, "bytes", (json_int_t)bytes,
	    "peak", (json_int_t)peak, "capacity", (json_int_t)cap);
}

json_t *
server_status_object(struct server *s)
{
	json_t *root, *ls, *qs;
	char started[40], now[40], name[32];
	int64_t t = time_now_ns();
	size_t i;
	int w;

	time_format_rfc3339(s->started_ns, 0, 3, started, sizeof(started));
	time_format_rfc3339(t, 0, 3, now, sizeof(now));
	ls = json_array();
	for (i = 0; i < s->nlisteners; i++)
		json_array_append_new(ls, listener_json(s, i));
	qs = json_array();
	for (w = 0; w < s->nworkers; w++) {
		snprintf(name, sizeof(name), "analysis-%d", w);
		json_array_append_new(qs, queue_json(name, s->workers[w].q,
		    s->cfg->queue_events));
	}
	json_array_append_new(qs, queue_json("writer", s->outq,
	    s->cfg->queue_events));
	root = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:o, s:o, "
	    "s:{s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "version", MAMORI_VERSION, "pid", (int)getpid(),
	    "hostname", s->hostname, "started", started, "updated", now,
	    "uptime_s", (json_int_t)((t - s->started_ns) / NS_PER_SEC),
	    "listeners", ls, "queues", qs,
	    "parsed",
	    "rfc5424", (json_int_t)atomic_load(&s->n.parsed_5424),
	    "rfc3164", (json_int_t)atomic_load(&s->n.parsed_3164),
	    "unparsed", (json_int_t)atomic_load(&s->n.unparsed),
	    "internal", (json_int_t)atomic_load(&s->n.internal),
	    "store",
	    "stored", (json_int_t)atomic_load(&s->n.stored),
	    "write_errors", (json_int_t)atomic_load(&s->n.write_errors),
	    "lost", (json_int_t)atomic_load(&s->n.lost),
	    "next_seq", (json_int_t)atomic_load(&s->store_next_seq),
	    "segments", (json_int_t)atomic_load(&s->store_segments),
	    "disk_bytes", (json_int_t)atomic_load(&s->store_disk_bytes),
	    "syncs", (json_int_t)atomic_load(&s->store_syncs),
	    "compress_pending",
	    (json_int_t)atomic_load(&s->store_compress_pending),
	    "clock_skew_reports",
	    (json_int_t)atomic_load(&s->n.skew_reports));
	if (root == NULL)
		return NULL;
	if (s->sensor != NULL)
		json_object_set_new(root, "sensor", server_sensor_json(s));
	return root;
}

char *
server_status_json(struct server *s)
{
	json_t *root;
	char *text;

	if ((root = server_status_object(s)) == NULL)
		return NULL;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

void
server_status_save(struct server *s)
{
	struct db_host *hosts;
	char *json;
	size_t n;
	int w;

	for (w = 0; w < s->nworkers; w++) {
		n = server_worker_take_hosts(&s->workers[w], &hosts);
		if (n > 0 && db_hosts_merge(s->db, hosts, n) != 0)
			log_warn("mamori.db: cannot save host counts");
		free(hosts);
	}
	if ((json = server_status_json(s)) == NULL)
		return;
	if (db_status_put(s->db, time_now_ns(), json) != 0)
		log_warn("mamori.db: cannot save the status snapshot");
	free(json);
}

void
server_stats_line(struct server *s)
{
	char line[4096];
	size_t used = 0, i, depth;
	int w;

#define ADD(...) do {							\
	int n_ = snprintf(line + used, sizeof(line) - used, __VA_ARGS__);\
	if (n_ > 0 && (size_t)n_ < sizeof(line) - used)			\
		used += (size_t)n_;					\
} while (0)
	ADD("stats:");
	for (i = 0; i < s->nlisteners; i++) {
		struct listener_stats *st = s->lstats[i];

		ADD(" %s received=%" PRIuFAST64 " stored=%" PRIuFAST64
		    " dropped=%" PRIuFAST64 " lost=%" PRIuFAST64
		    " truncated=%" PRIuFAST64 ";",
		    s->cfg->listeners[i].url, atomic_load(&st->received),
		    atomic_load(&st->stored), atomic_load(&st->dropped),
		    atomic_load(&st->lost), atomic_load(&st->truncated));
	}
	ADD(" queues");
	for (w = 0; w < s->nworkers; w++) {
		queue_depth(s->workers[w].q, &depth, NULL, NULL);
		ADD(" analysis-%d=%zu", w, depth);
	}
	queue_depth(s->outq, &depth, NULL, NULL);
	ADD(" writer=%zu; store next_seq=%" PRIuFAST64 " write_errors=%"
	    PRIuFAST64, depth, atomic_load(&s->store_next_seq),
	    atomic_load(&s->n.write_errors));
	log_info("%s", line);

	/* Per host: seconds since its last message and its clock offset
	 * (at most STATS_MAX_HOSTS of them; mamori status lists all). */
	used = 0;
	ADD("hosts:");
	{
		int64_t now = time_now_ns();
		size_t shown = 0, total = 0, b;

		for (w = 0; w < s->nworkers; w++) {
			struct worker *wk = &s->workers[w];
			struct host_entry *h;

			pthread_mutex_lock(&wk->mu);
			for (b = 0; b < HOST_BUCKETS; b++) {
				for (h = wk->hosts[b]; h != NULL; h = h->next) {
					total++;
					if (shown >= STATS_MAX_HOSTS)
						continue;
					shown++;
					ADD(" %s last=%llds", h->name,
					    (long long)((now - h->last_seen_ns) /
					    NS_PER_SEC));
					if (h->has_offset)
						ADD(" offset=%+.1fs",
						    (double)h->offset_ns / 1e9);
					ADD(";");
				}
			}
			pthread_mutex_unlock(&wk->mu);
		}
		if (total == 0)
			ADD(" none yet");
		else if (total > shown)
			ADD(" (%zu more; see mamori status)", total - shown);
	}
#undef ADD
	log_info("%s", line);
}
