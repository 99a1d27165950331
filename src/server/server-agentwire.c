/*
 * server-agentwire.c - the agent registry (agents.h) inside the server:
 * opened with mamori.db, fed by the workers with every event of program
 * "mamori-agent", swept by the main thread for agents gone silent; what
 * it reports becomes mamori's own events, analysed by the rules like the
 * clock-skew reports.
 */
#include <string.h>

#include "core/log.h"
#include "core/timeutil.h"
#include "server/agents.h"
#include "server/server-impl.h"

#define AGENT_SWEEP_NS	(10 * NS_PER_SEC)

int
server_agents_init(struct server *s, char *err, size_t errlen)
{
	return agents_open(db_sqlite(s->db), s->cfg->agents, time_now_ns(),
	    &s->agents, err, errlen);
}

void
server_agents_release(struct server *s)
{
	if (s->agents == NULL)
		return;
	agents_free(s->agents);
	s->agents = NULL;
}

static struct event *
report_event(struct server *s, const struct agents_report *r)
{
	struct event *ev;

	if ((ev = event_new_internal(time_now_ns(), r->host, r->severity,
	    r->msgid, r->sd, r->text)) == NULL)
		return NULL;
	ev->listener = SERVER_INTERNAL_LISTENER;
	atomic_fetch_add(&s->n.internal, 1);
	return ev;
}

/* From a worker: the report joins the worker's own reports, which go
 * through the rules and on to the writer after its batch. */
static void
worker_report(void *arg, const struct agents_report *r)
{
	struct worker *w = arg;
	struct event *ev;

	if ((ev = report_event(w->srv, r)) != NULL &&
	    server_worker_add_report(w, ev) != 0)
		event_free(ev);
}

void
server_agents_observe(struct worker *w, const struct event *ev)
{
	struct server *s = w->srv;

	if (s->agents == NULL)
		return;
	if (ev->app.len == 12 &&
	    memcmp(event_str(ev, &ev->app), "mamori-agent", 12) == 0) {
		char subj[256];

		/* The verified client certificate of a tls:// connection. */
		if (ev->peer.len > 0 && ev->peer.len < sizeof(subj)) {
			memcpy(subj, event_str(ev, &ev->peer), ev->peer.len);
			subj[ev->peer.len] = '\0';
		} else
			subj[0] = '\0';
		(void)agents_observe(s->agents, ev, subj[0] ? subj : NULL,
		    ev->recv_ns, worker_report, w);
	}
	else if (ev->app.len == 10 &&
	    memcmp(event_str(ev, &ev->app), "mamori-fim", 10) == 0)
		(void)agents_observe_fim(s->agents, ev, ev->recv_ns,
		    worker_report, w);
}

/* From the main thread: into the pipeline like a received message (the
 * worker takes it as parsed and runs the rules). */
static void
main_report(void *arg, const struct agents_report *r)
{
	struct server *s = arg;
	struct event *ev;

	if ((ev = report_event(s, r)) == NULL)
		return;
	snprintf(ev->src, sizeof(ev->src), "agents");
	if (s->sink.submit(s->sink.arg, ev, QUEUE_WAIT) != 0) {
		event_free(ev);
		log_warn("agents: a report was lost (the pipeline is closed)");
	}
}

void
server_agents_tick(struct server *s, int64_t mono_ns)
{
	if (s->agents == NULL || mono_ns - s->agents_swept_ns < AGENT_SWEEP_NS)
		return;
	s->agents_swept_ns = mono_ns;
	(void)agents_sweep(s->agents, time_now_ns(), main_report, s);
}
