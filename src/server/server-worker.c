/*
 * server-worker.c - the analysis stage: parse each raw event (RFC 5424,
 * RFC 3164 and variants), keep per-host state (last seen, clock offset),
 * report hosts whose clocks are off, and pass events on to the writer.
 * The rules engine (issue 3) will run here.
 *
 * Events reach a worker by a stable hash of the sender address, so one
 * host's messages are seen by one worker, in order; each worker's host
 * table is its own (the mutex only lets the main thread take counts).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "server/server-impl.h"

#define WORKER_BATCH	256

uint32_t
server_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

static struct host_entry *
host_lookup(struct worker *w, const char *name, size_t len)
{
	struct host_entry *h;
	uint32_t b;

	if (len > sizeof(h->name) - 1)
		len = sizeof(h->name) - 1;
	b = server_hash(name, len) % HOST_BUCKETS;
	for (h = w->hosts[b]; h != NULL; h = h->next)
		if (strncmp(h->name, name, len) == 0 && h->name[len] == '\0')
			return h;
	if (w->nhosts >= HOST_MAX_PER_WORKER) {
		w->untracked++;
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	memcpy(h->name, name, len);
	h->name[len] = '\0';
	h->next = w->hosts[b];
	w->hosts[b] = h;
	w->nhosts++;
	return h;
}

static void
skew_report(struct worker *w, struct host_entry *h, int64_t offset_ns,
    int64_t now_ns, int at_least)
{
	struct server *s = w->srv;
	struct event *ev;
	char text[512], sd[768], ehost[300], esrc[100];
	double secs = (double)offset_ns / 1e9;

	event_sd_escape(h->name, strlen(h->name), ehost, sizeof(ehost));
	event_sd_escape(h->src, strlen(h->src), esrc, sizeof(esrc));
	snprintf(sd, sizeof(sd), "[mamori@32473 event=\"clock-skew\" "
	    "host=\"%s\" src=\"%s\" offset=\"%.3f\"]", ehost, esrc, secs);
	snprintf(text, sizeof(text), "clock not synchronised: host %s (%s) "
	    "is %s%.1f s %s the log server", ehost, esrc,
	    at_least ? "at least " : "", secs < 0 ? -secs : secs,
	    secs < 0 ? "behind" : "ahead of");
	h->last_report_ns = now_ns;
	if ((ev = event_new_internal(now_ns, s->hostname, 4, "clock-skew",
	    sd, text)) == NULL)
		return;
	ev->listener = SERVER_INTERNAL_LISTENER;
	if (server_worker_add_report(w, ev) != 0) {
		event_free(ev);
		return;
	}
	atomic_fetch_add(&s->n.internal, 1);
	atomic_fetch_add(&s->n.skew_reports, 1);
}

int
server_worker_add_report(struct worker *w, struct event *ev)
{
	/* Queued after w->mu is released: waiting on a full writer queue
	 * while holding it would block the main thread's status save. */
	if (w->nreports == w->capreports) {
		size_t cap = w->capreports ? w->capreports * 2 : 16;
		struct event **v = realloc(w->reports, cap * sizeof(*v));

		if (v == NULL)
			return MAMORI_ENOMEM;
		w->reports = v;
		w->capreports = cap;
	}
	w->reports[w->nreports++] = ev;
	return 0;
}

/* Queues the reports made under w->mu; called without it. */
static void
flush_reports(struct worker *w)
{
	size_t i;

	/* mamori's own events go through the rules like any other. */
	if (w->nreports > 0)
		server_rules_analyze(w, w->reports, (int)w->nreports);
	for (i = 0; i < w->nreports; i++) {
		struct event *ev = w->reports[i];

		if (queue_push(w->srv->outq, ev, sizeof(*ev) + ev->data_cap,
		    QUEUE_WAIT) != 0)
			event_free(ev);
	}
	w->nreports = 0;
}

static int
may_report(const struct server *s, const struct host_entry *h,
    int64_t now_ns)
{
	return h->last_report_ns == 0 ||
	    now_ns - h->last_report_ns >= s->cfg->skew_report_ns;
}

/* Closes h's offset window: its maximum becomes the offset estimate. */
static void
skew_close_window(struct worker *w, struct host_entry *h, int64_t now_ns)
{
	const struct config *c = w->srv->cfg;

	h->offset_ns = h->win_max_ns;
	h->has_offset = 1;
	h->dirty = 1;
	h->win_n = 0;
	if ((h->offset_ns > c->skew_threshold_ns ||
	    h->offset_ns < -c->skew_threshold_ns) &&
	    may_report(w->srv, h, now_ns))
		skew_report(w, h, h->offset_ns, now_ns, 0);
}

static void
skew_sample(struct worker *w, struct host_entry *h, int64_t ts_ns,
    int64_t recv_ns)
{
	const struct config *c = w->srv->cfg;
	int64_t d = ts_ns - recv_ns;

	if (h->win_n > 0 && recv_ns - h->win_start_ns > c->skew_window_ns)
		skew_close_window(w, h, recv_ns);
	if (h->win_n == 0) {
		h->win_start_ns = recv_ns;
		h->win_max_ns = d;
	} else if (d > h->win_max_ns) {
		h->win_max_ns = d;
	}
	h->win_n++;
	/* A timestamp ahead of our clock cannot be explained by delivery
	 * delay: the host's clock is ahead by at least this much, now. */
	if (d > c->skew_threshold_ns && may_report(w->srv, h, recv_ns))
		skew_report(w, h, d, recv_ns, 1);
}

static void
sweep(struct worker *w, int64_t now_ns)
{
	struct host_entry *h;
	size_t b;

	w->last_sweep_ns = now_ns;
	for (b = 0; b < HOST_BUCKETS; b++)
		for (h = w->hosts[b]; h != NULL; h = h->next)
			if (h->win_n > 0 && now_ns - h->win_start_ns >
			    w->srv->cfg->skew_window_ns)
				skew_close_window(w, h, now_ns);
}

/*
 * Whether ev's time says nothing of its sender's clock: mamori's own
 * events, and what an agent sends from its queue (lines it read perhaps
 * long ago, during an outage) -- except its heartbeats sent with an
 * empty queue, which are fresh.
 */
static int
not_a_clock(const struct event *ev)
{
	static const char tag[] = "[mamori-agent@32473 ";
	const char *sd;

	if (ev->listener == SERVER_INTERNAL_LISTENER)
		return 1;
	if (ev->sd.len < sizeof(tag) - 1)
		return 0;
	sd = event_str(ev, &ev->sd);
	if (memmem(sd, ev->sd.len, tag, sizeof(tag) - 1) == NULL)
		return 0;
	return !(ev->msgid.len == 9 &&
	    memcmp(event_str(ev, &ev->msgid), "heartbeat", 9) == 0 &&
	    memmem(sd, ev->sd.len, " queue=\"0\"", 10) != NULL);
}

static void
track_host(struct worker *w, const struct event *ev)
{
	struct host_entry *h;

	if (ev->host.len == 0)
		return;
	if ((h = host_lookup(w, event_str(ev, &ev->host),
	    ev->host.len)) == NULL)
		return;
	if (h->first_seen_ns == 0)
		h->first_seen_ns = ev->recv_ns;
	h->last_seen_ns = ev->recv_ns;
	/* The sender address without the port (hosts send from many
	 * ports); formatted only when it changes, not per message. */
	if (strncmp(h->last_src, ev->src, sizeof(h->last_src)) != 0) {
		size_t len;
		const char *addr = event_src_addr(ev->src, &len);

		snprintf(h->last_src, sizeof(h->last_src), "%s", ev->src);
		snprintf(h->src, sizeof(h->src), "%.*s", (int)len, addr);
	}
	h->messages++;
	h->dirty = 1;
	/* mamori's own events carry the time of what they report (a flow's
	 * start, a scan's window), not a clock to check. */
	if ((ev->flags & EVENT_F_HAS_TS) && !not_a_clock(ev))
		skew_sample(w, h, ev->ts_ns, ev->recv_ns);
}

/* Formats of a batch, counted here and added to the server's counters
 * once per batch (an atomic add per event, on counters every worker
 * shares, is a cache line bounced for each message). */
struct fmt_counts {
	uint64_t	 n5424, n3164, unparsed;
};

static void
count_format(struct fmt_counts *c, const struct event *ev)
{
	switch (ev->format) {
	case EVENT_FMT_5424:
		c->n5424++;
		break;
	case EVENT_FMT_3164:
		c->n3164++;
		break;
	default:
		c->unparsed++;
		break;
	}
}

static void
publish_formats(struct server *s, const struct fmt_counts *c)
{
	if (c->n5424 > 0)
		atomic_fetch_add(&s->n.parsed_5424, c->n5424);
	if (c->n3164 > 0)
		atomic_fetch_add(&s->n.parsed_3164, c->n3164);
	if (c->unparsed > 0)
		atomic_fetch_add(&s->n.unparsed, c->unparsed);
}

/*
 * Whether to take the body hashing off the writer (see
 * logstore_event_prehash()): while the writer has a backlog.  That is a
 * feedback loop: with one busy sender, the worker takes the hashing
 * until it is the slower of the two, the writer's queue then drains and
 * the writer hashes again, so the two share the work about evenly; a
 * worker busy with rules leaves it to the writer.  (Comparing the two
 * queues' depths instead left most of it to the writer under a fast
 * sender: perf showed the writer at 40% of the samples, the worker at
 * 25%; with this, 31% and 33%.)
 */
static int
writer_behind(struct worker *w)
{
	size_t theirs, bytes, peak;

	queue_depth(w->srv->outq, &theirs, &bytes, &peak);
	return theirs > 0;
}

void *
server_worker_thread(void *arg)
{
	struct worker *w = arg;
	struct server *s = w->srv;
	void *items[WORKER_BATCH];
	size_t sizes[WORKER_BATCH];
	struct logstore_hasher *hasher;
	struct fmt_counts fc;
	char name[16];
	int n, i, rc;

	(void)snprintf(name, sizeof(name), "mamori-an%d", w->id);
	(void)pthread_setname_np(pthread_self(), name);
	/* Without it (out of memory) the writer hashes everything. */
	hasher = logstore_hasher_new();
	for (;;) {
		n = queue_pop(w->q, items, sizes, WORKER_BATCH, 1000);
		if (n == MAMORI_ECLOSED)
			break;
		pthread_mutex_lock(&w->mu);
		memset(&fc, 0, sizeof(fc));
		for (i = 0; i < n; i++) {
			struct event *ev = items[i];

			if (i + 2 < n)
				event_prefetch(items[i + 2]);
			/* mamori's own events (the sensor's) come parsed. */
			if (ev->format != EVENT_FMT_INTERNAL) {
				if (syslog_parse(ev, &s->parse_opts) != 0)
					ev->format = EVENT_FMT_UNPARSED;
				count_format(&fc, ev);
			}
			track_host(w, ev);
			server_agents_observe(w, ev);
		}
		publish_formats(s, &fc);
		if (time_now_ns() - w->last_sweep_ns > NS_PER_SEC)
			sweep(w, time_now_ns());
		pthread_mutex_unlock(&w->mu);
		if (n > 0)
			server_rules_analyze(w, (struct event **)items, n);
		if (hasher != NULL && n > 0 && writer_behind(w))
			logstore_event_prehash(hasher, (struct event **)items,
			    (size_t)n);
		flush_reports(w);
		/* The writer queue is the stage's only exit; it closes
		 * after every worker has finished, so this takes all. */
		if (n > 0 && (rc = queue_push_many(s->outq, items, sizes,
		    (size_t)n, QUEUE_WAIT)) < n) {
			log_err("writer queue closed; %d events lost",
			    n - (rc < 0 ? 0 : rc));
			for (i = rc < 0 ? 0 : rc; i < n; i++)
				event_free(items[i]);
		}
	}
	logstore_hasher_free(hasher);
	server_rules_worker_release(w);
	return NULL;
}

size_t
server_worker_take_hosts(struct worker *w, struct db_host **out)
{
	struct host_entry *h;
	struct db_host *v;
	size_t b, n = 0;

	*out = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->nhosts == 0 ||
	    (v = calloc(w->nhosts, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	for (b = 0; b < HOST_BUCKETS; b++) {
		for (h = w->hosts[b]; h != NULL; h = h->next) {
			if (!h->dirty)
				continue;
			snprintf(v[n].name, sizeof(v[n].name), "%s", h->name);
			snprintf(v[n].src, sizeof(v[n].src), "%s", h->src);
			v[n].first_seen_ns = h->first_seen_ns;
			v[n].last_seen_ns = h->last_seen_ns;
			v[n].messages = h->messages;
			v[n].has_offset = h->has_offset;
			v[n].offset_ns = h->offset_ns;
			h->messages = 0;
			h->dirty = 0;
			n++;
		}
	}
	pthread_mutex_unlock(&w->mu);
	*out = v;
	return n;
}
