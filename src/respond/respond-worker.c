/*
 * respond-worker.c - the server's responder: automatic blocks asked for
 * by rules (respond.auto_block), carried out off the analysis path.
 *
 * Analysis workers call responder_submit(), which only copies the request
 * into a bounded queue and never waits: a full queue drops the request
 * and counts it (an attacker who floods alerts must not stall analysis).
 * One thread takes the requests, checks each (allowlist, internal
 * networks, the cap on automatic blocks in force, blocked already),
 * changes the firewall and records the block in mamori.db through its
 * own connection (STYLE.md: one writer per SQLite handle).
 *
 * A flood of alerts from one address asks for the same block many times:
 * the firewall says it is covered and the request is dropped quietly.
 * Refusals and failures are logged and put on the incident's timeline,
 * but the same address is reported at most once a minute so a noisy
 * source cannot fill the log or the timeline.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/timeutil.h"
#include "incident/incident.h"
#include "respond/respond.h"
#include "store/db.h"

#define RESPONDER_QUEUE		1024
#define RESPONDER_QUEUE_BYTES	(1024 * 1024)
#define RESPONDER_ADDR_MAX	256	/* longer text is cut: still
					   refused by the parser */
#define RESPONDER_REASON_MAX	512
#define RESPONDER_BATCH		32
#define RESPONDER_SWEEP_NS	(10 * NS_PER_SEC)
#define RESPONDER_QUIET_NS	(60 * NS_PER_SEC)
#define RESPONDER_RECENT	64

struct req {
	int64_t		 duration_ns;
	int64_t		 incident_id;
	char		*reason;	/* may be NULL */
	char		 addr[];	/* NUL-terminated copy */
};

struct recent {
	char		 key[RESPOND_ADDR_STRLEN];
	int64_t		 at_ns;
};

struct responder {
	const struct respond_conf *c;
	struct db	*db;
	sqlite3		*h;
	struct queue	*q;
	pthread_t	 thread;
	int64_t		 last_sweep_ns;
	struct recent	 recent[RESPONDER_RECENT];
	size_t		 recent_next;
	atomic_uint_fast64_t blocked, skipped, failed, dropped;
};

/* 1 when key was reported within the last minute; else notes it. */
static int
quiet(struct responder *r, const char *key, int64_t now)
{
	size_t i;

	for (i = 0; i < RESPONDER_RECENT; i++)
		if (r->recent[i].at_ns != 0 &&
		    strcmp(r->recent[i].key, key) == 0) {
			if (now - r->recent[i].at_ns < RESPONDER_QUIET_NS)
				return 1;
			r->recent[i].at_ns = now;
			return 0;
		}
	snprintf(r->recent[r->recent_next].key, sizeof(r->recent[0].key),
	    "%s", key);
	r->recent[r->recent_next].at_ns = now;
	r->recent_next = (r->recent_next + 1) % RESPONDER_RECENT;
	return 0;
}

/* Logs why req was not carried out, and puts it on the timeline. */
static void
report(struct responder *r, const struct req *q, const char *key,
    int failure, const char *why, int64_t now)
{
	char text[768];
	int e;

	if (failure)
		atomic_fetch_add(&r->failed, 1);
	else
		atomic_fetch_add(&r->skipped, 1);
	if (quiet(r, key, now))
		return;
	if (failure)
		log_err("respond: automatic block failed: %s", why);
	else
		log_info("respond: not blocking automatically: %s", why);
	if (q->incident_id == 0)
		return;
	snprintf(text, sizeof(text), "%s: %s", failure ?
	    "automatic block failed" : "not blocked automatically", why);
	if ((e = incident_log(r->h, q->incident_id, "block", text,
	    "mamori")) != 0)
		log_warn("respond: incident %lld: cannot record on the "
		    "timeline: %s", (long long)q->incident_id,
		    mamori_strerror(e));
}

static int
seen_dry(void *arg, const struct respond_row *row)
{
	(void)row;
	*(int *)arg = 1;
	return 1;
}

static void
handle(struct responder *r, const struct req *q)
{
	const struct respond_conf *c = r->c;
	struct respond_result res;
	struct respond_addr a;
	char err[512], why[700], canon[RESPOND_ADDR_STRLEN], d[32], inc[40];
	unsigned flags = RESPOND_F_NO_REPLACE | RESPOND_F_CLAMP;
	int64_t now = time_now_ns();
	int e, n = 0, found = 0;

	if (respond_addr_parse(q->addr, strlen(q->addr), &a, err,
	    sizeof(err)) != 0) {
		report(r, q, "(bad address)", 0, err, now);
		return;
	}
	respond_addr_format(&a, canon);
	if ((e = respond_allowlisted(c, &a, 1, err, sizeof(err))) != 0) {
		report(r, q, canon, e < 0, err, now);
		return;
	}
	if (!c->block_internal && respond_internal(c, &a)) {
		snprintf(why, sizeof(why), "%s is in "
		    "respond.internal_networks (respond.block_internal is "
		    "off)", canon);
		report(r, q, canon, 0, why, now);
		return;
	}
	if (c->dry_run) {
		flags |= RESPOND_F_DRY_RUN;
		if (respond_record_each(r->h, now, canon, 1, seen_dry,
		    &found) < 0) {
			report(r, q, canon, 1, "cannot read the blocks table",
			    now);
			return;
		}
		if (found) {
			atomic_fetch_add(&r->skipped, 1);
			return;
		}
	}
	if ((e = respond_record_auto_count(r->h, now, c->dry_run, &n)) != 0) {
		report(r, q, canon, 1, "cannot count the blocks in force",
		    now);
		return;
	}
	if (n >= c->auto_max) {
		snprintf(why, sizeof(why), "%s: %d automatic blocks are in "
		    "force already (respond.auto_block_max)", canon, n);
		report(r, q, "(auto_block_max)", 0, why, now);
		return;
	}
	e = respond_apply(c, canon, strlen(canon), q->duration_ns, flags,
	    &res, err, sizeof(err));
	if (e == MAMORI_EEXIST) {
		atomic_fetch_add(&r->skipped, 1);	/* covered already */
		return;
	}
	if (e != 0) {
		report(r, q, canon, res.outcome == RESPOND_FAILED, err, now);
		return;
	}
	if ((e = respond_record_block(r->h, res.addr, now, res.duration_ns,
	    "mamori", q->reason, q->incident_id, res.dry_run, NULL)) != 0) {
		/* The block is in force; only its record is missing.  A
		 * block nobody can see is worse than none: lift it. */
		snprintf(why, sizeof(why), "%s: cannot record the block (%s)",
		    res.addr, mamori_strerror(e));
		if (!res.dry_run && respond_unblock(c, res.addr, NULL, err,
		    sizeof(err)) != 0)
			log_err("respond: %s: and cannot lift it again: %s",
			    res.addr, err);
		report(r, q, canon, 1, why, now);
		return;
	}
	atomic_fetch_add(&r->blocked, 1);
	snprintf(inc, sizeof(inc), " (incident %lld)",
	    (long long)q->incident_id);
	log_info("respond: %s %s %s%s%s%s%s", res.dry_run ? "dry run: would "
	    "block" : "blocked", res.addr, res.duration_ns > 0 ? "for " :
	    "until unblocked", res.duration_ns > 0 ? respond_duration_format(
	    res.duration_ns, d, sizeof(d)) : "", q->incident_id != 0 ? inc :
	    "", q->reason != NULL ? ": " : "", q->reason != NULL ? q->reason :
	    "");
}

static void *
responder_main(void *arg)
{
	struct responder *r = arg;
	void *items[RESPONDER_BATCH];
	int64_t now;
	int n, i, e;

	for (;;) {
		n = queue_pop(r->q, items, NULL, RESPONDER_BATCH, 1000);
		if (n == MAMORI_ECLOSED)
			break;
		now = time_now_ns();
		if (now - r->last_sweep_ns >= RESPONDER_SWEEP_NS) {
			r->last_sweep_ns = now;
			if ((e = respond_record_expire(r->h, now)) != 0)
				log_warn("respond: cannot record expired "
				    "blocks: %s", mamori_strerror(e));
		}
		for (i = 0; i < n; i++) {
			struct req *q = items[i];

			handle(r, q);
			free(q->reason);
			free(q);
		}
	}
	return NULL;
}

struct responder *
responder_start(const struct respond_conf *c, const char *db_path, char *err,
    size_t errlen)
{
	struct responder *r;
	int e;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "responder: out of memory");
		return NULL;
	}
	r->c = c;
	if ((r->db = db_open(db_path, 0, err, errlen)) == NULL) {
		free(r);
		return NULL;
	}
	r->h = db_sqlite(r->db);
	if ((r->q = queue_new(RESPONDER_QUEUE, RESPONDER_QUEUE_BYTES)) ==
	    NULL) {
		snprintf(err, errlen, "responder: out of memory");
		db_close(r->db);
		free(r);
		return NULL;
	}
	if ((e = pthread_create(&r->thread, NULL, responder_main, r)) != 0) {
		snprintf(err, errlen, "responder: cannot start a thread: %s",
		    strerror(e));
		queue_free(r->q);
		db_close(r->db);
		free(r);
		return NULL;
	}
	return r;
}

int
responder_submit(struct responder *r, const char *addr, int64_t duration_ns,
    int64_t incident_id, const char *reason)
{
	struct req *q;
	size_t len = strnlen(addr, RESPONDER_ADDR_MAX);
	int e;

	if ((q = malloc(sizeof(*q) + len + 1)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(q->addr, addr, len);
	q->addr[len] = '\0';
	q->duration_ns = duration_ns;
	q->incident_id = incident_id;
	q->reason = NULL;
	if (reason != NULL && (q->reason = strndup(reason,
	    RESPONDER_REASON_MAX)) == NULL) {
		free(q);
		return MAMORI_ENOMEM;
	}
	if ((e = queue_push(r->q, q, sizeof(*q) + len + 1, QUEUE_NOWAIT)) !=
	    0) {
		if (e == MAMORI_EAGAIN)
			atomic_fetch_add(&r->dropped, 1);
		free(q->reason);
		free(q);
		return e;
	}
	return 0;
}

void
responder_stats(struct responder *r, uint64_t *blocked, uint64_t *skipped,
    uint64_t *failed, uint64_t *dropped)
{
	if (blocked != NULL)
		*blocked = atomic_load(&r->blocked);
	if (skipped != NULL)
		*skipped = atomic_load(&r->skipped);
	if (failed != NULL)
		*failed = atomic_load(&r->failed);
	if (dropped != NULL)
		*dropped = atomic_load(&r->dropped);
}

void
responder_stop(struct responder *r)
{
	if (r == NULL)
		return;
	queue_close(r->q);
	pthread_join(r->thread, NULL);
	queue_free(r->q);
	db_close(r->db);
	free(r);
}
