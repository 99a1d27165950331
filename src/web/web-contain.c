/*
 * web-contain.c - blocks and unblocks asked for in the console, carried
 * out by one thread of their own.
 *
 * Changing the firewall needs CAP_NET_ADMIN, which the server keeps
 * after dropping root only in the thread that was holding it then
 * (src/respond/respond-caps.c); the server starts this thread from
 * there, and the request threads, which face the network, hold no
 * capability at all.  A request hands its job over and waits for the
 * answer (nftables answers in milliseconds); at most CONTAIN_QUEUE jobs
 * wait at once, beyond that the console says to try again.
 *
 * What a job does is what `mamori block`, `unblock` and `blocks` do
 * (src/cli/cmd-block.c), through the same library calls: the firewall is
 * changed first and the block recorded after, and when the record cannot
 * be written the change is undone, so a block is either in force and
 * recorded or neither.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "respond/respond.h"
#include "store/db.h"
#include "web/web-impl.h"

#define CONTAIN_QUEUE	32

enum job_kind { JOB_BLOCK, JOB_UNBLOCK, JOB_LIST };

struct job {
	struct job	*next;
	enum job_kind	 kind;
	const char	*addr;
	int64_t		 duration_ns;
	const char	*who;
	const char	*reason;
	int64_t		 incident;
	/* results */
	int		 rc;
	int		 done;
	struct respond_result res;
	char		 canon[RESPOND_ADDR_STRLEN];
	json_t		*list;
	char		 err[768];
};

struct web_contain {
	const struct respond_conf *c;
	struct db	*db;
	sqlite3		*h;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* jobs for the thread */
	pthread_cond_t	 done_cv;	/* answers for the waiters */
	struct job	*head, *tail;
	int		 n;
	int		 stopping;
};

static void
do_block(struct web_contain *wc, struct job *j)
{
	const struct respond_conf *c = wc->c;
	char uerr[512];
	int64_t dur, id, now;
	int r;

	if (j->incident != 0 && (r = respond_record_check(wc->h, j->incident,
	    j->err, sizeof(j->err))) != 0) {
		j->rc = r;
		return;
	}
	dur = j->duration_ns < 0 ? c->default_duration_ns : j->duration_ns;
	r = respond_apply(c, j->addr, strlen(j->addr), dur,
	    c->dry_run ? RESPOND_F_DRY_RUN : 0, &j->res, j->err,
	    sizeof(j->err));
	if (r != 0) {
		/* A refusal because of what is in force already is a
		 * conflict; a bad address or duration is the asker's. */
		if (r == MAMORI_EINVAL &&
		    (j->res.outcome == RESPOND_ALLOWLISTED ||
		    j->res.outcome == RESPOND_OVERLAPS))
			r = MAMORI_EEXIST;
		j->rc = r;
		return;
	}
	now = time_now_ns();
	if ((r = respond_record_block(wc->h, j->res.addr, now,
	    j->res.duration_ns, j->who, j->reason, j->incident,
	    j->res.dry_run, &id)) != 0) {
		snprintf(j->err, sizeof(j->err), "cannot record the block: %s",
		    mamori_strerror(r));
		if (!j->res.dry_run && j->res.outcome == RESPOND_DONE &&
		    respond_unblock(c, j->res.addr, NULL, uerr,
		    sizeof(uerr)) != 0)
			log_err("console: %s is blocked but not recorded, and "
			    "lifting it failed: %s", j->res.addr, uerr);
		j->rc = r == MAMORI_ENOTFOUND ? r : MAMORI_EDB;
	}
}

static int
count_row(void *arg, const struct respond_row *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

static void
do_unblock(struct web_contain *wc, struct job *j)
{
	struct respond_addr a;
	int r, e, dry = 0, n = 0;

	if (respond_addr_parse(j->addr, strlen(j->addr), &a, j->err,
	    sizeof(j->err)) != 0) {
		j->rc = MAMORI_EINVAL;
		return;
	}
	respond_addr_format(&a, j->canon);
	if (respond_record_each(wc->h, time_now_ns(), j->canon, 1, count_row,
	    &dry) != 0) {
		snprintf(j->err, sizeof(j->err), "cannot read the blocks");
		j->rc = MAMORI_EDB;
		return;
	}
	/* A dry run never touched the firewall: the record is all. */
	if (wc->c->dry_run && dry == 0) {
		snprintf(j->err, sizeof(j->err), "%s is not blocked", j->canon);
		j->rc = MAMORI_ENOTFOUND;
		return;
	}
	r = wc->c->dry_run ? MAMORI_ENOTFOUND : respond_unblock(wc->c,
	    j->canon, NULL, j->err, sizeof(j->err));
	/* A dry-run block is in the record only. */
	if (r != 0 && !(dry > 0 && (r == MAMORI_ENOTFOUND ||
	    r == MAMORI_ESYS))) {
		j->rc = r;
		return;
	}
	if ((e = respond_record_unblock(wc->h, j->canon, time_now_ns(),
	    j->who, 0, &n)) != 0) {
		snprintf(j->err, sizeof(j->err), "the block of %s was lifted "
		    "but not recorded: %s", j->canon, mamori_strerror(e));
		j->rc = MAMORI_EDB;
		return;
	}
	j->err[0] = '\0';
	j->rc = 0;
}

/* ---- the list, as `mamori blocks --json` ---- */

struct list_ctx {
	struct web_contain *wc;
	json_t		*arr;
	int64_t		 now;
};

struct row_copy {
	int		 found;
	int64_t		 incident;
	char		 who[128];
	char		 reason[512];
};

static int
take_row(void *arg, const struct respond_row *row)
{
	struct row_copy *rc = arg;

	rc->found = 1;
	rc->incident = row->incident_id;
	snprintf(rc->who, sizeof(rc->who), "%s", row->who);
	snprintf(rc->reason, sizeof(rc->reason), "%s",
	    row->reason != NULL ? row->reason : "");
	return 1;
}

static json_t *
str_or_null(const char *s)
{
	json_t *j;

	if (s == NULL || *s == '\0')
		return json_null();
	/* Who and why were typed by people; never let bad bytes lose the
	 * entry. */
	return (j = json_string(s)) != NULL ? j : json_string("?");
}

static void
emit(struct list_ctx *l, const char *addr, int64_t timeout_ns,
    int64_t expires_ns, const struct row_copy *rc, int dry)
{
	json_t *j;

	j = json_pack("{s:s, s:b}", "addr", addr, "dry_run", dry);
	if (j == NULL)
		return;
	json_object_set_new(j, "expires_in_s", expires_ns > 0 ?
	    json_integer(expires_ns / NS_PER_SEC) : json_null());
	json_object_set_new(j, "until", expires_ns > 0 ?
	    web_time_json(l->now + expires_ns) : json_null());
	json_object_set_new(j, "timeout_s", timeout_ns > 0 ?
	    json_integer(timeout_ns / NS_PER_SEC) : json_null());
	json_object_set_new(j, "who", rc->found ? str_or_null(rc->who) :
	    json_null());
	json_object_set_new(j, "reason", rc->found ? str_or_null(rc->reason) :
	    json_null());
	json_object_set_new(j, "incident", rc->found && rc->incident != 0 ?
	    json_integer(rc->incident) : json_null());
	json_array_append_new(l->arr, j);
}

static int
list_kernel(void *arg, const struct respond_entry *e)
{
	struct list_ctx *l = arg;
	struct row_copy rc;
	char addr[RESPOND_ADDR_STRLEN];

	memset(&rc, 0, sizeof(rc));
	respond_addr_format(&e->addr, addr);
	respond_record_each(l->wc->h, l->now, addr, 0, take_row, &rc);
	emit(l, addr, e->timeout_ns, e->expires_ns, &rc, 0);
	return 0;
}

static int
list_row(void *arg, const struct respond_row *row)
{
	struct list_ctx *l = arg;
	struct row_copy rc;

	memset(&rc, 0, sizeof(rc));
	take_row(&rc, row);
	emit(l, row->addr, row->expires_ns > 0 ? row->expires_ns -
	    row->created_ns : 0, row->expires_ns > 0 ? row->expires_ns -
	    l->now : 0, &rc, row->dry_run);
	return 0;
}

static void
do_list(struct web_contain *wc, struct job *j)
{
	struct list_ctx l;
	int r;

	memset(&l, 0, sizeof(l));
	l.wc = wc;
	l.now = time_now_ns();
	(void)respond_record_expire(wc->h, l.now);
	if ((l.arr = json_array()) == NULL) {
		j->rc = MAMORI_ENOMEM;
		return;
	}
	if ((r = respond_list(wc->c, list_kernel, &l, j->err,
	    sizeof(j->err))) != 0) {
		/* The firewall cannot be read (no CAP_NET_ADMIN): the record
		 * of what is in force, with the reason said. */
		json_array_clear(l.arr);
		respond_record_each(wc->h, l.now, NULL, 0, list_row, &l);
	} else
		j->err[0] = '\0';
	respond_record_each(wc->h, l.now, NULL, 1, list_row, &l);
	j->list = l.arr;
	j->rc = 0;
}

static void *
contain_thread(void *arg)
{
	struct web_contain *wc = arg;
	struct job *j;

	pthread_mutex_lock(&wc->mu);
	for (;;) {
		while (wc->head == NULL && !wc->stopping)
			pthread_cond_wait(&wc->cv, &wc->mu);
		if ((j = wc->head) == NULL)
			break;		/* stopping, nothing left */
		wc->head = j->next;
		if (wc->head == NULL)
			wc->tail = NULL;
		pthread_mutex_unlock(&wc->mu);
		switch (j->kind) {
		case JOB_BLOCK:
			do_block(wc, j);
			break;
		case JOB_UNBLOCK:
			do_unblock(wc, j);
			break;
		case JOB_LIST:
			do_list(wc, j);
			break;
		}
		pthread_mutex_lock(&wc->mu);
		wc->n--;
		j->done = 1;
		pthread_cond_broadcast(&wc->done_cv);
	}
	pthread_mutex_unlock(&wc->mu);
	return NULL;
}

struct web_contain *
web_contain_start(const struct respond_conf *c, const char *db_path,
    char *err, size_t errlen)
{
	struct web_contain *wc;
	int r;

	if ((wc = calloc(1, sizeof(*wc))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	wc->c = c;
	if ((wc->db = db_open(db_path, 0, err, errlen)) == NULL) {
		free(wc);
		return NULL;
	}
	wc->h = db_sqlite(wc->db);
	pthread_mutex_init(&wc->mu, NULL);
	pthread_cond_init(&wc->cv, NULL);
	pthread_cond_init(&wc->done_cv, NULL);
	if ((r = pthread_create(&wc->thread, NULL, contain_thread, wc)) != 0) {
		snprintf(err, errlen, "cannot start a thread: %s",
		    strerror(r));
		db_close(wc->db);
		pthread_mutex_destroy(&wc->mu);
		pthread_cond_destroy(&wc->cv);
		pthread_cond_destroy(&wc->done_cv);
		free(wc);
		return NULL;
	}
	return wc;
}

void
web_contain_stop(struct web_contain *wc)
{
	if (wc == NULL)
		return;
	pthread_mutex_lock(&wc->mu);
	wc->stopping = 1;
	pthread_cond_signal(&wc->cv);
	pthread_mutex_unlock(&wc->mu);
	pthread_join(wc->thread, NULL);	/* after the jobs queued */
	db_close(wc->db);
	pthread_mutex_destroy(&wc->mu);
	pthread_cond_destroy(&wc->cv);
	pthread_cond_destroy(&wc->done_cv);
	free(wc);
}

/* Queues j and waits for its answer. */
static int
run(struct web_contain *wc, struct job *j)
{
	pthread_mutex_lock(&wc->mu);
	if (wc->stopping) {
		pthread_mutex_unlock(&wc->mu);
		snprintf(j->err, sizeof(j->err), "the server is stopping");
		return MAMORI_ECLOSED;
	}
	if (wc->n >= CONTAIN_QUEUE) {
		pthread_mutex_unlock(&wc->mu);
		snprintf(j->err, sizeof(j->err), "too many block requests "
		    "waiting; try again shortly");
		return MAMORI_EAGAIN;
	}
	if (wc->tail != NULL)
		wc->tail->next = j;
	else
		wc->head = j;
	wc->tail = j;
	wc->n++;
	pthread_cond_signal(&wc->cv);
	while (!j->done)
		pthread_cond_wait(&wc->done_cv, &wc->mu);
	pthread_mutex_unlock(&wc->mu);
	return j->rc;
}

int
web_contain_block(struct web_contain *wc, const char *addr,
    int64_t duration_ns, const char *who, const char *reason,
    int64_t incident, struct respond_result *res, char *err, size_t errlen)
{
	struct job j;
	int r;

	memset(&j, 0, sizeof(j));
	j.kind = JOB_BLOCK;
	j.addr = addr;
	j.duration_ns = duration_ns;
	j.who = who;
	j.reason = reason;
	j.incident = incident;
	r = run(wc, &j);
	*res = j.res;
	snprintf(err, errlen, "%s", j.err);
	return r;
}

int
web_contain_unblock(struct web_contain *wc, const char *addr,
    const char *who, char *canon, char *err, size_t errlen)
{
	struct job j;
	int r;

	memset(&j, 0, sizeof(j));
	j.kind = JOB_UNBLOCK;
	j.addr = addr;
	j.who = who;
	r = run(wc, &j);
	snprintf(canon, RESPOND_ADDR_STRLEN, "%s", j.canon);
	snprintf(err, errlen, "%s", j.err);
	return r;
}

int
web_contain_list(struct web_contain *wc, json_t **out, char *err,
    size_t errlen)
{
	struct job j;
	int r;

	memset(&j, 0, sizeof(j));
	j.kind = JOB_LIST;
	r = run(wc, &j);
	*out = j.list;
	snprintf(err, errlen, "%s", j.err);
	return r;
}
