/*
 * notify-queue.c - delivering notifications: retries with a doubling
 * delay, the rate limit per contact with summaries of what it held back,
 * and a record of every result in the notifications table and on the
 * incident's timeline.  Two drivers share it: the notifier thread of the
 * server (a bounded queue in front, its own database connection) and
 * notify_incident(), synchronous, for `mamori notify`.
 *
 * Workload: incidents are few (tens a day, a burst of hundreds in a bad
 * hour); one SMTP or HTTP exchange costs milliseconds to the timeout.  So
 * the thread sends one message at a time and keeps its pending deliveries
 * in a small array scanned linearly (at most NOTIFY_PENDING_MAX).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "incident/incident.h"
#include "incident/notify.h"
#include "store/db.h"

#define NOTIFY_PENDING_MAX	4096	/* deliveries waiting for a retry */
#define NOTIFY_HELD_MAX		50	/* incidents listed in a summary */

enum channel { CH_MAIL = 0, CH_WEBHOOK = 1 };
static const char *const channel_names[] = { "mail", "webhook" };

/* A message to one contact, shared by its channels. */
struct shared_msg {
	struct notify_msg m;
	int		 refs;
};

/* One message to one contact over one channel, until it is settled. */
struct delivery {
	int64_t		 incident_id;	/* 0 for a summary */
	int64_t		*ids;		/* a summary's incidents */
	size_t		 nids;
	size_t		 more;		/* held back but not listed */
	size_t		 contact;
	enum channel	 ch;
	int		 attempts;
	int64_t		 next_ns;	/* monotonic: when to try again */
	struct shared_msg *msg;		/* composed once: every attempt
					   sends the same Message-ID */
	char		 err[512];
};

/* "csirt@a.example, b@a.example", or the webhook without its secret. */
static void
target_of(const struct notify_contact *c, enum channel ch, char *buf,
    size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	if (ch == CH_WEBHOOK) {
		notify_url_redact(c->webhook, buf, len);
		return;
	}
	for (i = 0; i < c->nemail && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? ", " : "", c->email[i]);
}

/* The timeline's words: "mail to csirt <a@x>: failed after 5 ...". */
static void
result_text(char *buf, size_t len, const char *contact, const char *channel,
    const char *target, const char *status, int attempts, const char *error)
{
	int mail = strcmp(channel, "mail") == 0;
	size_t off;

	off = (size_t)snprintf(buf, len, "%s to %s %s%s%s: ", channel,
	    contact, mail ? "<" : "", target, mail ? ">" : "");
	if (off >= len)
		return;
	if (strcmp(status, "sent") == 0 && attempts > 1)
		snprintf(buf + off, len - off, "sent after %d attempts",
		    attempts);
	else if (strcmp(status, "failed") == 0 && attempts > 0)
		snprintf(buf + off, len - off, "failed after %d attempt%s%s%s",
		    attempts, attempts == 1 ? "" : "s", error ? ": " : "",
		    error ? error : "");
	else if (strcmp(status, "summarised") == 0 && error != NULL)
		snprintf(buf + off, len - off, "%s", error);
	else
		snprintf(buf + off, len - off, "%s%s%s", status,
		    error ? ": " : "", error ? error : "");
}

int
notify_record(sqlite3 *db, int64_t incident_id, const char *contact,
    const char *channel, const char *target, const char *status,
    int attempts, const char *error, const char *who)
{
	static const char sql[] =
	    "INSERT INTO notifications (incident_id, at, contact, channel, "
	    "  target, status, attempts, error) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	sqlite3_stmt *st = NULL;
	char text[1024];
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return MAMORI_EDB;
	sqlite3_bind_int64(st, 1, incident_id);
	sqlite3_bind_int64(st, 2, time_now_ns());
	sqlite3_bind_text(st, 3, contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, attempts);
	if (error != NULL)
		sqlite3_bind_text(st, 8, error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return MAMORI_EDB;
	result_text(text, sizeof(text), contact, channel, target, status,
	    attempts, error);
	return incident_log(db, incident_id, "notify", text,
	    who != NULL ? who : "mamori");
}

/* The delay before attempt a+1 (a >= 1): delay * 2^(a-1), capped. */
static int64_t
backoff(const struct notify_plan *p, int a)
{
	int64_t d = p->retry_delay_ns;

	while (--a > 0 && d < p->retry_max_ns)
		d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
	return d < p->retry_max_ns ? d : p->retry_max_ns;
}

/* One attempt; returns 0, MAMORI_EAGAIN or MAMORI_EIO. */
static int
attempt(const struct notify_plan *p, struct delivery *d, int64_t timeout_ns)
{
	const struct notify_contact *c = &p->contacts[d->contact];

	d->attempts++;
	if (d->ch == CH_MAIL)
		return notify_send_mail(p, c, &d->msg->m, timeout_ns, d->err,
		    sizeof(d->err));
	return notify_send_webhook(p, c, &d->msg->m, timeout_ns, d->err,
	    sizeof(d->err));
}

/* Records how d ended (sent: ok), for each incident it was about. */
static void
settle(const struct notify_plan *p, sqlite3 *db, struct delivery *d, int ok,
    const char *why_not, FILE *report)
{
	const struct notify_contact *c = &p->contacts[d->contact];
	const char *ch = channel_names[d->ch], *status;
	char target[512], detail[600], text[1024];
	const char *err;
	size_t i;
	int rc;

	target_of(c, d->ch, target, sizeof(target));
	err = why_not != NULL ? why_not : d->err;
	if (d->incident_id != 0) {
		status = ok ? "sent" : "failed";
		result_text(text, sizeof(text), c->name, ch, target, status,
		    d->attempts, ok ? NULL : err);
		if (db != NULL && (rc = notify_record(db, d->incident_id,
		    c->name, ch, target, status, d->attempts, ok ? NULL : err,
		    "mamori")) != 0)
			log_warn("notify: incident #%" PRId64 ": cannot "
			    "record '%s': %s", d->incident_id, text,
			    mamori_strerror(rc));
		if (report != NULL)
			fprintf(report, "%s\n", text);
		else if (ok)
			log_info("notify: incident #%" PRId64 ": %s",
			    d->incident_id, text);
		else
			log_warn("notify: incident #%" PRId64 ": %s",
			    d->incident_id, text);
		return;
	}
	/* A summary: each incident it held gets its own record. */
	status = ok ? "summarised" : "failed";
	if (ok)
		snprintf(detail, sizeof(detail), "sent in a summary of %zu "
		    "incidents", d->nids + d->more);
	else
		snprintf(detail, sizeof(detail), "%s (a summary of %zu "
		    "incidents)", err, d->nids + d->more);
	for (i = 0; i < d->nids; i++)
		if (db != NULL && (rc = notify_record(db, d->ids[i], c->name,
		    ch, target, status, d->attempts, detail, "mamori")) != 0)
			log_warn("notify: incident #%" PRId64 ": cannot "
			    "record the summary: %s", d->ids[i],
			    mamori_strerror(rc));
	result_text(text, sizeof(text), c->name, ch, target,
	    ok ? "summarised" : "failed", d->attempts, detail);
	if (ok)
		log_info("notify: %s", text);
	else
		log_warn("notify: %s", text);
}

/* Drops one reference to m (NULL: nothing). */
static void
msg_unref(struct shared_msg *m)
{
	if (m != NULL && --m->refs == 0) {
		notify_msg_release(&m->m);
		free(m);
	}
}

/* A new message with one reference, the caller's. */
static struct shared_msg *
msg_new(void)
{
	struct shared_msg *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->refs = 1;
	return m;
}

static void
delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	msg_unref(d->msg);
	free(d->ids);
	free(d);
}

/* A delivery of msg, holding its own reference. */
static struct delivery *
delivery_new(int64_t incident_id, size_t contact, enum channel ch,
    struct shared_msg *msg)
{
	struct delivery *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->incident_id = incident_id;
	d->contact = contact;
	d->ch = ch;
	d->msg = msg;
	msg->refs++;
	return d;
}

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_SEC),
	    (long)(ns % NS_PER_SEC) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Prints what would be sent, for --dry-run. */
static void
dry_run_print(const struct notify_plan *p, size_t ci,
    const struct notify_msg *m, FILE *report)
{
	const struct notify_contact *c = &p->contacts[ci];
	char target[512];
	const char *s, *e;

	if (report == NULL)
		return;
	if (c->nemail > 0) {
		target_of(c, CH_MAIL, target, sizeof(target));
		fprintf(report, "mail to %s <%s>: would send\n", c->name,
		    target);
	}
	if (c->webhook != NULL) {
		target_of(c, CH_WEBHOOK, target, sizeof(target));
		fprintf(report, "webhook to %s %s: would send\n", c->name,
		    target);
	}
	fprintf(report, "    Subject: %s\n", m->subject);
	for (s = m->text; *s != '\0'; s = *e != '\0' ? e + 1 : e) {
		e = strchr(s, '\n');
		if (e == NULL)
			e = s + strlen(s);
		fprintf(report, "    %.*s\n", (int)(e - s), s);
	}
}

int
notify_incident(const struct notify_plan *p, sqlite3 *db,
    int64_t incident_id, const char *why, const char *only_contact,
    int dry_run, FILE *report)
{
	struct incident inc;
	struct shared_msg *msg;
	struct delivery *d;
	unsigned char *chosen = NULL;
	size_t i, nchosen;
	int r, rc = 0, ch, ci;

	memset(&inc, 0, sizeof(inc));
	if (why == NULL)
		why = "by hand";
	if ((r = incident_get(db, incident_id, &inc)) != 0) {
		if (report != NULL && r == MAMORI_ENOTFOUND)
			fprintf(report, "no incident #%" PRId64 "\n",
			    incident_id);
		return r;
	}
	if (p->ncontacts == 0 ||
	    (chosen = calloc(p->ncontacts, 1)) == NULL) {
		incident_release(&inc);
		if (p->ncontacts == 0) {
			if (report != NULL)
				fprintf(report, "the contact plan has no "
				    "contacts\n");
			return MAMORI_ENOTFOUND;
		}
		return MAMORI_ENOMEM;
	}
	if (only_contact != NULL) {
		if ((ci = notify_plan_contact(p, only_contact)) < 0) {
			if (report != NULL)
				fprintf(report, "no contact '%s' in the "
				    "contact plan\n", only_contact);
			free(chosen);
			incident_release(&inc);
			return MAMORI_ENOTFOUND;
		}
		chosen[ci] = 1;
		nchosen = 1;
	} else
		nchosen = notify_route(p, inc.category, (int)inc.impact,
		    (int)inc.severity, chosen);
	if (nchosen == 0 && report != NULL)
		fprintf(report, "incident #%" PRId64 ": no route of the "
		    "contact plan reaches anyone (category %s, impact %s, "
		    "severity %s)\n", incident_id, inc.category,
		    inc_impact_name(inc.impact),
		    inc_severity_name(inc.severity));
	if (!dry_run)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < p->ncontacts && rc != MAMORI_ENOMEM; i++) {
		const struct notify_contact *c = &p->contacts[i];

		if (!chosen[i])
			continue;
		if ((msg = msg_new()) == NULL) {
			rc = MAMORI_ENOMEM;
			break;
		}
		if (notify_compose(p, c, &inc, why, time_now_ns(),
		    &msg->m) != 0) {
			free(msg);
			rc = MAMORI_ENOMEM;
			break;
		}
		if (dry_run) {
			dry_run_print(p, i, &msg->m, report);
			msg_unref(msg);
			continue;
		}
		for (ch = CH_MAIL; ch <= CH_WEBHOOK; ch++) {
			if ((ch == CH_MAIL && c->nemail == 0) ||
			    (ch == CH_WEBHOOK && c->webhook == NULL))
				continue;
			if ((d = delivery_new(incident_id, i,
			    (enum channel)ch, msg)) == NULL) {
				rc = MAMORI_ENOMEM;
				break;
			}
			while ((r = attempt(p, d, p->timeout_ns)) ==
			    MAMORI_EAGAIN && d->attempts < p->attempts)
				sleep_ns(backoff(p, d->attempts));
			settle(p, db, d, r == 0, NULL, report);
			if (r != 0)
				rc = MAMORI_EIO;
			delivery_free(d);
		}
		msg_unref(msg);
	}
	if (!dry_run)
		curl_global_cleanup();
	free(chosen);
	incident_release(&inc);
	return rc;
}

/*
 * The notifier thread.
 */

struct job {
	int64_t		 id;
	char		*why;
	char		*contact;	/* NULL: along the routes */
};

/* What the thread keeps per contact. */
struct held {
	struct notify_rate rate;
	int64_t		 ids[NOTIFY_HELD_MAX];
	size_t		 n;
	size_t		 more;
};

struct notifier {
	const struct notify_plan *p;
	struct db	*db;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;

	/* Under mu: */
	struct job	*jobs;		/* ring of p->queue_size */
	size_t		 head, njobs;
	int		 stopping;
	int64_t		 deadline;	/* monotonic, once stopping */

	/* The thread's own: */
	struct delivery	**pending;
	size_t		 npending;
	struct held	*held;		/* one per contact */
};

static void
job_release(struct job *j)
{
	free(j->why);
	free(j->contact);
	memset(j, 0, sizeof(*j));
}

static void
pending_add(struct notifier *n, struct delivery *d)
{
	char e[64];

	if (n->npending == NOTIFY_PENDING_MAX) {
		snprintf(e, sizeof(e), "not sent: more than %d notifications "
		    "waiting", NOTIFY_PENDING_MAX);
		settle(n->p, db_sqlite(n->db), d, 0, e, NULL);
		delivery_free(d);
		return;
	}
	n->pending[n->npending++] = d;
}

/* Records the rate-limited notification and keeps it for a summary. */
static void
hold(struct notifier *n, size_t ci, int64_t id)
{
	const struct notify_plan *p = n->p;
	const struct notify_contact *c = &p->contacts[ci];
	struct held *h = &n->held[ci];
	char target[512], e[128], win[32];
	int64_t s = p->rate_window_ns / NS_PER_SEC;
	int ch;

	if (h->n < NOTIFY_HELD_MAX)
		h->ids[h->n++] = id;
	else
		h->more++;
	if (s % 3600 == 0)
		snprintf(win, sizeof(win), "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(win, sizeof(win), "%" PRId64 "m", s / 60);
	else
		snprintf(win, sizeof(win), "%" PRId64 "s", s);
	snprintf(e, sizeof(e), "over %u per %s; held back for a summary",
	    p->rate_count, win);
	for (ch = CH_MAIL; ch <= CH_WEBHOOK; ch++) {
		if ((ch == CH_MAIL && c->nemail == 0) ||
		    (ch == CH_WEBHOOK && c->webhook == NULL))
			continue;
		target_of(c, (enum channel)ch, target, sizeof(target));
		notify_record(db_sqlite(n->db), id, c->name,
		    channel_names[ch], target, "rate-limited", 0, e, "mamori");
	}
	log_warn("notify: incident #%" PRId64 ": %s for %s", id, e, c->name);
}

/* Queues the deliveries of msg to contact ci for incident (or summary)
 * id; takes msg. */
static void
queue_msg(struct notifier *n, size_t ci, int64_t id, struct shared_msg *msg,
    const int64_t *ids, size_t nids, size_t more)
{
	const struct notify_contact *c = &n->p->contacts[ci];
	struct delivery *d;
	int ch;

	for (ch = CH_MAIL; ch <= CH_WEBHOOK; ch++) {
		if ((ch == CH_MAIL && c->nemail == 0) ||
		    (ch == CH_WEBHOOK && c->webhook == NULL))
			continue;
		if ((d = delivery_new(id, ci, (enum channel)ch, msg)) == NULL) {
			log_err("notify: out of memory");
			continue;
		}
		d->next_ns = time_mono_ns();
		if (nids > 0 && (d->ids = malloc(nids * sizeof(*ids))) !=
		    NULL) {
			memcpy(d->ids, ids, nids * sizeof(*ids));
			d->nids = nids;
			d->more = more;
		}
		pending_add(n, d);
	}
	msg_unref(msg);
}

static void
handle_job(struct notifier *n, struct job *j)
{
	const struct notify_plan *p = n->p;
	struct incident inc;
	struct shared_msg *msg;
	unsigned char *chosen;
	size_t i;
	int r, ci;

	memset(&inc, 0, sizeof(inc));
	if ((r = incident_get(db_sqlite(n->db), j->id, &inc)) != 0) {
		log_warn("notify: incident #%" PRId64 ": cannot read it: %s",
		    j->id, mamori_strerror(r));
		return;
	}
	if ((chosen = calloc(p->ncontacts + 1, 1)) == NULL) {
		incident_release(&inc);
		log_err("notify: out of memory");
		return;
	}
	if (j->contact != NULL) {
		if ((ci = notify_plan_contact(p, j->contact)) >= 0)
			chosen[ci] = 1;
		else
			log_warn("notify: incident #%" PRId64 ": no contact "
			    "'%s' in the plan", j->id, j->contact);
	} else
		notify_route(p, inc.category, (int)inc.impact,
		    (int)inc.severity, chosen);
	for (i = 0; i < p->ncontacts; i++) {
		if (!chosen[i])
			continue;
		if (j->contact == NULL && !notify_rate_take(&n->held[i].rate,
		    p->rate_count, p->rate_window_ns, time_mono_ns(), NULL)) {
			hold(n, i, j->id);
			continue;
		}
		if ((msg = msg_new()) == NULL ||
		    notify_compose(p, &p->contacts[i], &inc, j->why,
		    time_now_ns(), &msg->m) != 0) {
			free(msg);
			log_err("notify: incident #%" PRId64 ": out of memory",
			    j->id);
			continue;
		}
		queue_msg(n, i, j->id, msg, NULL, 0, 0);
	}
	free(chosen);
	incident_release(&inc);
}

/* Sends contact ci's summary when the rate limit lets it (or at stop). */
static void
maybe_summary(struct notifier *n, size_t ci, int stopping, int64_t *wake)
{
	const struct notify_plan *p = n->p;
	struct held *h = &n->held[ci];
	struct incident *incs;
	struct shared_msg *msg;
	int64_t wait = 0;
	size_t i, k = 0;

	if (h->n == 0)
		return;
	if (!stopping && !notify_rate_take(&h->rate, p->rate_count,
	    p->rate_window_ns, time_mono_ns(), &wait)) {
		if (*wake == 0 || time_mono_ns() + wait < *wake)
			*wake = time_mono_ns() + wait;
		return;
	}
	if ((incs = calloc(h->n, sizeof(*incs))) == NULL ||
	    (msg = msg_new()) == NULL) {
		free(incs);
		log_err("notify: out of memory");
		return;
	}
	for (i = 0; i < h->n; i++)
		if (incident_get(db_sqlite(n->db), h->ids[i], &incs[k]) == 0)
			k++;
	if (notify_compose_digest(p, &p->contacts[ci], incs, k, h->more,
	    time_now_ns(), &msg->m) != 0) {
		free(msg);
		log_err("notify: out of memory");
	} else
		queue_msg(n, ci, 0, msg, h->ids, h->n, h->more);
	for (i = 0; i < k; i++)
		incident_release(&incs[i]);
	free(incs);
	h->n = 0;
	h->more = 0;
}

/*
 * Tries the delivery at index i; removes it once settled.  While
 * stopping, a retry that would come after the deadline is not waited
 * for: the delivery is settled as failed now.
 */
static void
try_pending(struct notifier *n, size_t i, int stopping, int64_t deadline)
{
	const struct notify_plan *p = n->p;
	struct delivery *d = n->pending[i];
	int64_t timeout = p->timeout_ns, left, delay;
	int r;

	if (stopping) {
		left = deadline - time_mono_ns();
		if (left < timeout)
			timeout = left > 0 ? left : 1;
	}
	r = attempt(p, d, timeout);
	if (r == MAMORI_EAGAIN && d->attempts < p->attempts) {
		delay = backoff(p, d->attempts);
		d->next_ns = time_mono_ns() + delay;
		if (!stopping || d->next_ns < deadline) {
			log_info("notify: %s to %s: attempt %d failed, next "
			    "in %" PRId64 " ms: %s", channel_names[d->ch],
			    p->contacts[d->contact].name, d->attempts,
			    (int64_t)(delay / 1000000), d->err);
			return;
		}
	}
	settle(p, db_sqlite(n->db), d, r == 0, NULL, NULL);
	delivery_free(d);
	/* Kept in order: first queued, first tried. */
	memmove(&n->pending[i], &n->pending[i + 1],
	    (n->npending - i - 1) * sizeof(n->pending[0]));
	n->npending--;
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct job j;
	struct timespec ts;
	int64_t now, wake, deadline = 0;
	size_t i;
	int stopping = 0, was_stopping = 0, worked;

	(void)pthread_setname_np(pthread_self(), "mamori-notify");

	pthread_mutex_lock(&n->mu);
	for (;;) {
		if (n->njobs > 0) {
			j = n->jobs[n->head];
			memset(&n->jobs[n->head], 0, sizeof(j));
			n->head = (n->head + 1) % n->p->queue_size;
			n->njobs--;
			pthread_mutex_unlock(&n->mu);
			handle_job(n, &j);
			job_release(&j);
			pthread_mutex_lock(&n->mu);
			continue;
		}
		stopping = n->stopping;
		deadline = n->deadline;
		pthread_mutex_unlock(&n->mu);

		now = time_mono_ns();
		if (stopping && now >= deadline)
			goto out;
		if (stopping && !was_stopping) {
			/* One more try for all that wait, right now. */
			for (i = 0; i < n->npending; i++)
				n->pending[i]->next_ns = now;
			was_stopping = 1;
		}
		wake = 0;
		for (i = 0; i < n->p->ncontacts; i++)
			maybe_summary(n, i, stopping, &wake);
		/* One due delivery per turn, so new jobs are not kept
		 * waiting behind a long list of retries. */
		worked = 0;
		for (i = 0; i < n->npending; i++)
			if (n->pending[i]->next_ns <= now) {
				try_pending(n, i, stopping, deadline);
				worked = 1;
				break;
			}
		if (stopping && n->npending == 0)
			goto out;
		pthread_mutex_lock(&n->mu);
		if (worked || n->njobs > 0 || n->stopping != stopping)
			continue;
		for (i = 0; i < n->npending; i++)
			if (wake == 0 || n->pending[i]->next_ns < wake)
				wake = n->pending[i]->next_ns;
		if (stopping && (wake == 0 || wake > deadline))
			wake = deadline;
		if (wake == 0) {
			pthread_cond_wait(&n->cv, &n->mu);
		} else {
			ts.tv_sec = (time_t)(wake / NS_PER_SEC);
			ts.tv_nsec = (long)(wake % NS_PER_SEC);
			pthread_cond_timedwait(&n->cv, &n->mu, &ts);
		}
	}
 out:
	/* Past the deadline: what is left is recorded, not lost. */
	for (i = 0; i < n->npending; i++) {
		settle(n->p, db_sqlite(n->db), n->pending[i], 0,
		    "not sent: mamori stopped", NULL);
		delivery_free(n->pending[i]);
	}
	n->npending = 0;
	return NULL;
}

struct notifier *
notifier_start(const struct notify_plan *p, const char *db_path, char *err,
    size_t errlen)
{
	struct notifier *n;
	pthread_condattr_t ca;
	int r;

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->jobs = calloc(p->queue_size, sizeof(*n->jobs))) == NULL ||
	    (n->pending = calloc(NOTIFY_PENDING_MAX,
	    sizeof(*n->pending))) == NULL ||
	    (n->held = calloc(p->ncontacts + 1, sizeof(*n->held))) == NULL) {
		if (n != NULL) {
			free(n->jobs);
			free(n->pending);
		}
		free(n);
		snprintf(err, errlen, "notify: out of memory");
		return NULL;
	}
	n->p = p;
	if ((n->db = db_open(db_path, 0, err, errlen)) == NULL) {
		free(n->jobs);
		free(n->pending);
		free(n->held);
		free(n);
		return NULL;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&n->mu, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((r = pthread_create(&n->thread, NULL, notifier_main, n)) != 0) {
		snprintf(err, errlen, "notify: cannot start a thread: %s",
		    strerror(r));
		curl_global_cleanup();
		pthread_cond_destroy(&n->cv);
		pthread_mutex_destroy(&n->mu);
		db_close(n->db);
		free(n->jobs);
		free(n->pending);
		free(n->held);
		free(n);
		return NULL;
	}
	return n;
}

int
notifier_submit_to(struct notifier *n, int64_t incident_id, const char *why,
    const char *contact)
{
	struct job *j;
	char *w, *c = NULL;

	if ((w = strdup(why != NULL ? why : "")) == NULL ||
	    (contact != NULL && (c = strdup(contact)) == NULL)) {
		free(w);
		return MAMORI_ENOMEM;
	}
	pthread_mutex_lock(&n->mu);
	if (n->stopping || n->njobs == n->p->queue_size) {
		pthread_mutex_unlock(&n->mu);
		free(w);
		free(c);
		return n->stopping ? MAMORI_ECLOSED : MAMORI_EAGAIN;
	}
	j = &n->jobs[(n->head + n->njobs) % n->p->queue_size];
	j->id = incident_id;
	j->why = w;
	j->contact = c;
	n->njobs++;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	return 0;
}

int
notifier_submit(struct notifier *n, int64_t incident_id, const char *why)
{
	return notifier_submit_to(n, incident_id, why, NULL);
}

void
notifier_stop(struct notifier *n)
{
	size_t i;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stopping = 1;
	n->deadline = time_mono_ns() + NOTIFY_STOP_NS;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	for (i = 0; i < n->p->queue_size; i++)
		job_release(&n->jobs[i]);
	curl_global_cleanup();
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	db_close(n->db);
	free(n->jobs);
	free(n->pending);
	free(n->held);
	free(n);
}
