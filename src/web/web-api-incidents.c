/*
 * web-api-incidents.c - /api/v1/incidents: the list, one incident, its
 * log lines, and what responders do to it (status, assignment, notes,
 * playbook steps, notification, blocks, exports).
 *
 * Each change goes through the same library call `mamori incident`
 * makes (src/incident/incident.h), on the request's own connection: one
 * transaction with its timeline entry, naming the user who made it.  The
 * server's incident manager reads an incident's state from the database
 * before it adds alerts to it (incident_state()), so a status set here
 * is seen there just as one set from a shell is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"
#include "incident/incmgr.h"
#include "respond/respond.h"
#include "store/logsearch-page.h"
#include "store/logsearch.h"
#include "web/web-api.h"
#include "web/web-impl.h"

#define INC_ID_MAX	((int64_t)1 << 53)

json_t *
web_incident_summary(const struct incident *inc)
{
	json_t *j = incident_json(inc);

	if (j == NULL)
		return NULL;
	json_object_set_new(j, "timeline", json_array());
	json_object_set_new(j, "evidence", json_array());
	json_object_set_new(j, "alerts", json_array());
	return j;
}

void
web_reply_incident(struct web_req *rq, int64_t id)
{
	struct incident inc;
	int r;

	if ((r = incident_get(rq->db, id, &inc)) == MAMORI_ENOTFOUND) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no incident %" PRId64,
		    id);
		return;
	}
	if (r != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "read incident %" PRId64 ": %s", id, mamori_strerror(r));
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, incident_json(&inc));
	incident_release(&inc);
}

int64_t
web_seg_incident(struct web_req *rq, int i)
{
	int64_t id;

	if (i >= rq->nsegs || web_parse_id(rq->segs[i], INC_ID_MAX,
	    &id) != 0) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such incident "
		    "(an incident id is a whole number from 1)");
		return 0;
	}
	return id;
}

/* Replies to a failed change of incident id. */
static void
change_failed(struct web_req *rq, int64_t id, int r, const char *what)
{
	enum inc_status s;
	int64_t merged = 0;

	if (r == MAMORI_ENOTFOUND && incident_state(rq->db, id, &s, NULL,
	    NULL, &merged) == 0)
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "incident %" PRId64
		    " has no %s", id, what);
	else if (r == MAMORI_ENOTFOUND)
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no incident %" PRId64,
		    id);
	else if (r == MAMORI_EINVAL && incident_state(rq->db, id, &s, NULL,
	    NULL, &merged) == 0 && merged != 0)
		web_reply_error(rq, MHD_HTTP_CONFLICT, "incident %" PRId64
		    " was merged into incident %" PRId64 "; change that one",
		    id, merged);
	else if (r == MAMORI_EINVAL)
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "invalid value");
	else
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot "
		    "change incident %" PRId64 ": %s", id, mamori_strerror(r));
}

/* After a change: the incident as it is now, and the streams told. */
static void
changed(struct web_req *rq, int64_t id)
{
	web_reply_incident(rq, id);
	web_server_kick(rq->ws);
}

/* ---- the list ---- */

struct list_ctx {
	json_t		*arr;
	const char	*q;
	int		 impact;
	int64_t		 before;
	size_t		 limit, n;
	int64_t		 last;
	int		 more;
};

static int
contains(const char *hay, const char *needle)
{
	return hay != NULL && strcasestr(hay, needle) != NULL;
}

static int
list_cb(void *arg, const struct incident *inc)
{
	struct list_ctx *x = arg;
	size_t i;
	int hit;

	if (x->before != 0 && inc->id >= x->before)
		return 0;
	if (x->impact >= 0 && (int)inc->impact != x->impact)
		return 0;
	if (x->q != NULL) {
		hit = contains(inc->title, x->q) ||
		    contains(inc->category, x->q) ||
		    contains(inc->assignee, x->q) ||
		    contains(inc->summary, x->q);
		for (i = 0; !hit && i < inc->nparties; i++)
			hit = contains(inc->parties[i].value, x->q);
		if (!hit)
			return 0;
	}
	if (x->n == x->limit) {
		x->more = 1;
		return 1;
	}
	json_array_append_new(x->arr, web_incident_summary(inc));
	x->n++;
	x->last = inc->id;
	return 0;
}

void
web_h_incidents(struct web_req *rq)
{
	struct inc_filter f;
	struct list_ctx x;
	const char *status, *category, *impact;
	int bad = 0, b2 = 0, b3 = 0, b4 = 0, r;

	memset(&f, 0, sizeof(f));
	memset(&x, 0, sizeof(x));
	f.status = -1;
	x.impact = -1;
	if (web_query_limit(rq, &x.limit) != 0 ||
	    web_query_int(rq, "before", 1, INC_ID_MAX, &x.before) != 0)
		return;
	status = web_query(rq, "status", &bad);
	category = web_query(rq, "category", &b2);
	impact = web_query(rq, "impact", &b3);
	x.q = web_query(rq, "q", &b4);
	if (bad || b2 || b3 || b4) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad percent-encoding "
		    "in the query");
		return;
	}
	if (status != NULL && strcmp(status, "all") == 0)
		f.include_merged = 1;
	else if (status != NULL && strcmp(status, "open") == 0)
		f.status = INC_NSTATUS;
	else if (status != NULL && *status != '\0' &&
	    (f.status = inc_status_parse(status)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'status': "
		    "expected open, all, new, triage, containment, eradication, "
		    "recovery, closed or false-positive");
		return;
	}
	if (impact != NULL && *impact != '\0' &&
	    (x.impact = inc_impact_parse(impact)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'impact': "
		    "expected internal, external or infrastructure");
		return;
	}
	if (category != NULL && *category != '\0')
		f.category = category;
	if (x.q != NULL && *x.q == '\0')
		x.q = NULL;
	if ((x.arr = json_array()) == NULL) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	r = incident_list(rq->db, &f, list_cb, &x);
	if (r < 0) {
		json_decref(x.arr);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read "
		    "the incidents: %s", mamori_strerror(r));
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "incidents",
	    x.arr, "next", x.more ? json_integer(x.last) : json_null()));
}

void
web_h_incident(struct web_req *rq)
{
	int64_t id;

	if ((id = web_seg_incident(rq, 1)) != 0)
		web_reply_incident(rq, id);
}

/* ---- its log records ---- */

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct logs_ctx {
	json_t		*arr;
};

static int
logs_cb(void *arg, const struct event *ev)
{
	struct logs_ctx *x = arg;

	json_array_append_new(x->arr, logsearch_event_json(ev));
	return 0;
}

void
web_h_incident_logs(struct web_req *rq)
{
	struct incident inc;
	struct logs_ctx x;
	uint64_t *seqs;
	size_t i, n = 0, u = 0;
	char err[512];
	int64_t id;
	int r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if ((r = incident_get(rq->db, id, &inc)) != 0) {
		change_failed(rq, id, r, "log records");
		return;
	}
	/* The log records of the alerts shown with the incident: its first
	 * and latest INC_ALERTS_SHOWN. */
	seqs = calloc(inc.nalerts + 1, sizeof(*seqs));
	for (i = 0; seqs != NULL && i < inc.nalerts; i++)
		if (inc.alerts[i].log_seq != 0)
			seqs[n++] = inc.alerts[i].log_seq;
	incident_release(&inc);
	if (seqs == NULL || (x.arr = json_array()) == NULL) {
		free(seqs);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
		return;
	}
	qsort(seqs, n, sizeof(*seqs), u64cmp);
	for (i = 0; i < n; i++)
		if (u == 0 || seqs[u - 1] != seqs[i])
			seqs[u++] = seqs[i];
	r = logsearch_fetch(rq->ws->cfg->data_dir, seqs, u, logs_cb, &x, err,
	    sizeof(err));
	free(seqs);
	if (r != 0 && r != MAMORI_ENOTFOUND) {
		json_decref(x.arr);
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "log store: "
		    "%s", err);
		return;
	}
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "records", x.arr));
}

/* ---- changes ---- */

void
web_h_incident_status(struct web_req *rq)
{
	const char *status, *note;
	char err[256];
	int64_t id;
	int s, r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if (web_body_str(rq->json, "status", 1, 32, 0, &status, err,
	    sizeof(err)) != 0 || web_body_str(rq->json, "note", 0,
	    WEB_TEXT_MAX, 1, &note, err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((s = inc_status_parse(status)) < 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'status': "
		    "expected new, triage, containment, eradication, recovery, "
		    "closed or false-positive");
		return;
	}
	if ((r = incident_set_status(rq->db, id, (enum inc_status)s,
	    rq->who.user, note)) != 0) {
		change_failed(rq, id, r, "status");
		return;
	}
	changed(rq, id);
}

void
web_h_incident_assign(struct web_req *rq)
{
	struct web_user u;
	const char *user;
	char err[256], name[WEB_USER_MAX + 1];
	int64_t id;
	int r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if (web_body_str(rq->json, "user", 0, WEB_USER_MAX, 0, &user, err,
	    sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if (user != NULL && *user == '\0')
		user = NULL;		/* nobody */
	if (user != NULL) {
		/* Only someone who can log in can be assigned; stored with
		 * the case the user was created with. */
		if ((r = web_user_get(rq->db, user, &u, name, NULL)) != 0) {
			web_reply_error(rq, r == MAMORI_ENOTFOUND ?
			    MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "field 'user': no user '%s'", user);
			return;
		}
		user = name;
	}
	if ((r = incident_set_assignee(rq->db, id, user,
	    rq->who.user)) != 0) {
		change_failed(rq, id, r, "assignee");
		return;
	}
	changed(rq, id);
}

void
web_h_incident_note(struct web_req *rq)
{
	const char *text;
	char err[256];
	int64_t id;
	int r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if (web_body_str(rq->json, "text", 1, WEB_TEXT_MAX, 1, &text, err,
	    sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((r = incident_add_note(rq->db, id, text, rq->who.user)) != 0) {
		change_failed(rq, id, r, "notes");
		return;
	}
	changed(rq, id);
}

void
web_h_incident_step(struct web_req *rq)
{
	const char *note, *state;
	char err[256], what[64];
	int64_t id, n;
	int done = -1, st, r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if (web_parse_id(rq->segs[3], 100000, &n) != 0) {
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "no such step (steps "
		    "are numbered from 1)");
		return;
	}
	if (web_body_bool(rq->json, "done", 0, &done, err, sizeof(err)) != 0 ||
	    web_body_str(rq->json, "state", 0, 16, 0, &state, err,
	    sizeof(err)) != 0 ||
	    web_body_str(rq->json, "note", 0, WEB_TEXT_MAX, 1, &note, err,
	    sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if (state != NULL && strcmp(state, "done") == 0)
		st = INC_STEP_DONE;
	else if (state != NULL && strcmp(state, "skipped") == 0)
		st = INC_STEP_SKIPPED;
	else if (state != NULL && strcmp(state, "open") == 0)
		st = INC_STEP_OPEN;
	else if (state != NULL) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'state': "
		    "expected done, skipped or open");
		return;
	} else if (done >= 0)
		st = done ? INC_STEP_DONE : INC_STEP_OPEN;
	else {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'done' is "
		    "required (true or false)");
		return;
	}
	if ((r = incident_set_step(rq->db, id, (int)n,
	    (enum inc_step_state)st, note, rq->who.user)) != 0) {
		snprintf(what, sizeof(what), "step %" PRId64, n);
		change_failed(rq, id, r, what);
		return;
	}
	changed(rq, id);
}

void
web_h_incident_notify(struct web_req *rq)
{
	const struct web_ops *ops = &rq->ws->ops;
	const char *contact;
	char err[256], why[160], text[256];
	enum inc_status s;
	int64_t id;
	int r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	if (web_body_str(rq->json, "contact", 0, 128, 0, &contact, err,
	    sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return;
	}
	if ((r = incident_state(rq->db, id, &s, NULL, NULL, NULL)) != 0) {
		change_failed(rq, id, r, "notification");
		return;
	}
	snprintf(why, sizeof(why), "requested by %s in the console",
	    rq->who.user);
	r = ops->notify != NULL ? ops->notify(ops->arg, id, why, contact) :
	    MAMORI_ECONFIG;
	switch (r) {
	case 0:
		break;
	case MAMORI_ECONFIG:
		web_reply_error(rq, MHD_HTTP_CONFLICT, "nobody to notify: the "
		    "configuration has no notify: section (docs/"
		    "notification.md)");
		return;
	case MAMORI_ENOTFOUND:
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'contact': no "
		    "contact '%s' in the contact plan", contact);
		return;
	case MAMORI_EAGAIN:
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "the "
		    "notification queue is full; try again shortly");
		return;
	default:
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "the notifier "
		    "is not running: %s", mamori_strerror(r));
		return;
	}
	snprintf(text, sizeof(text), "notification requested (%s%s)",
	    contact != NULL ? "contact " : "the contacts of the routes",
	    contact != NULL ? contact : "");
	if ((r = incident_log(rq->db, id, "notify", text,
	    rq->who.user)) != 0) {
		change_failed(rq, id, r, "timeline");
		return;
	}
	changed(rq, id);
}

void
web_block_failed(struct web_req *rq, int r, const char *err)
{
	switch (r) {
	case MAMORI_EINVAL:
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		break;
	case MAMORI_EEXIST:
		web_reply_error(rq, MHD_HTTP_CONFLICT, "%s", err);
		break;
	case MAMORI_ENOTFOUND:
		web_reply_error(rq, MHD_HTTP_NOT_FOUND, "%s", err);
		break;
	case MAMORI_EAGAIN:
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", err);
		break;
	default:
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", err);
	}
}

int
web_block_args(struct web_req *rq, const char **addr, int64_t *dur,
    const char **reason)
{
	const json_t *d;
	char err[256];

	*dur = -1;
	if (web_body_str(rq->json, "address", 1, RESPOND_ADDR_MAXLEN, 0, addr,
	    err, sizeof(err)) != 0 || web_body_str(rq->json, "reason", 0, 512,
	    0, reason, err, sizeof(err)) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "%s", err);
		return -1;
	}
	if ((d = json_object_get(rq->json, "duration")) != NULL &&
	    !json_is_null(d) && web_parse_duration(d, dur) != 0) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field 'duration': "
		    "expected seconds, or a duration such as \"90m\" or "
		    "\"2h\" (\"0\": until unblocked)");
		return -1;
	}
	return 0;
}

void
web_h_incident_block(struct web_req *rq)
{
	struct respond_result res;
	const char *addr, *reason;
	char err[768];
	int64_t id, dur;
	int r;

	if ((id = web_seg_incident(rq, 1)) == 0 ||
	    web_block_args(rq, &addr, &dur, &reason) != 0)
		return;
	if (rq->ws->contain == NULL) {
		web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "containment "
		    "is not running");
		return;
	}
	if ((r = web_contain_block(rq->ws->contain, addr, dur, rq->who.user,
	    reason, id, &res, err, sizeof(err))) != 0) {
		web_block_failed(rq, r, err);
		return;
	}
	log_info("console: %s blocked %s%s (incident %" PRId64 ")",
	    rq->who.user, res.addr, res.dry_run ? " (dry run)" : "", id);
	changed(rq, id);
}

void
web_h_incident_export(struct web_req *rq)
{
	struct incident inc;
	struct export_meta m;
	const char *format, *restriction, *type, *ext;
	char *buf = NULL, text[128];
	size_t len = 0;
	int64_t id;
	int bad = 0, b2 = 0, r;

	if ((id = web_seg_incident(rq, 1)) == 0)
		return;
	format = web_query(rq, "format", &bad);
	restriction = web_query(rq, "restriction", &b2);
	if (bad || b2) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "bad percent-encoding "
		    "in the query");
		return;
	}
	if (format == NULL)
		format = "json";
	if (strcmp(format, "iodef") == 0) {
		type = "application/xml; charset=utf-8";
		ext = "xml";
	} else if (strcmp(format, "json") == 0) {
		type = "application/json; charset=utf-8";
		ext = "json";
	} else if (strcmp(format, "md") == 0 ||
	    strcmp(format, "markdown") == 0) {
		type = "text/markdown; charset=utf-8";
		ext = "md";
	} else {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter 'format': "
		    "expected iodef, json or md");
		return;
	}
	if ((r = incident_get(rq->db, id, &inc)) != 0) {
		change_failed(rq, id, r, "export");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.org_name = rq->ws->cfg->incidents->org_name;
	m.org_email = rq->ws->cfg->incidents->org_email;
	m.restriction = restriction;
	if (*ext == 'x')
		r = incident_export_iodef(&inc, &m, &buf, &len);
	else if (*ext == 'j')
		r = incident_export_json(&inc, &buf, &len);
	else
		r = incident_export_md(&inc, &m, &buf, &len);
	incident_release(&inc);
	if (r == MAMORI_EINVAL) {
		web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "parameter "
		    "'restriction': expected public, partner, need-to-know, "
		    "private, default, white, green, amber or red");
		return;
	}
	if (r != 0) {
		web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "export: %s",
		    mamori_strerror(r));
		return;
	}
	snprintf(text, sizeof(text), "exported as %s (console)", format);
	(void)incident_log(rq->db, id, "export", text, rq->who.user);
	if (asprintf(&rq->disposition, "attachment; filename=\"incident-%"
	    PRId64 ".%s\"", id, ext) < 0)
		rq->disposition = NULL;
	web_reply_raw(rq, MHD_HTTP_OK, type, buf, len);
}
