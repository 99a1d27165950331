/*
 * agent-main.c - the agent's main loop and state: tailing, realtime fds,
 * heartbeats, the queue's fsync batch and the positions that follow it,
 * the checks thread, and the agent's identity (name, instance, event
 * sequence, shared key).
 *
 * Order of durability: a line is appended to the queue when read; every
 * agent.queue.fsync the queue is fsynced and only then are the positions
 * saved.  A crash therefore re-reads at most one batch of lines (sent
 * twice), never skips one.
 *
 * Identity: the agent's events carry name, instance (a random id made
 * when the state directory is new: a changed instance tells the server
 * the state was lost or the agent reinstalled) and seq, which only grows
 * (it is persisted in steps of 100 ahead of use, so a crash skips
 * numbers but never repeats one).  With agent.key_file, each carries an
 * HMAC-SHA256 the server checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "host/agent.h"

#define SEQ_STEP	100
#define POS_SAVE_NS	(30 * NS_PER_SEC)	/* even without new lines */

struct agent_chk {
	struct agent_check c;
	char		*name;
	int64_t		 next_ns;	/* monotonic */
};

struct agent_fd {
	int		 fd;
	agent_ready_fn	 ready;
	void		*ctx;
};

struct agent {
	const struct agent_conf *c;
	char		 name[256];
	char		*dir;
	int		 lockfd;
	struct agent_queue *q;
	struct agent_queue_info qinfo;
	struct agent_tail *tail;
	struct agent_sender *snd;
	struct agent_msgfmt mf;
	uint8_t		*key;
	size_t		 keylen;
	pthread_mutex_t	 mu;		/* seq and the state file */
	uint64_t	 seq, seq_saved;
	int		 prev_state;	/* 0 first start, 1 clean, 2 not */
	int		 stopfd;
	atomic_int	 stopping;
	struct agent_chk *checks;
	size_t		 nchecks;
	struct agent_fd	*fds;
	size_t		 nfds;
	pthread_t	 chk_th;
	int		 chk_started;
	pthread_mutex_t	 chk_mu;
	pthread_cond_t	 chk_cv;
	int		 chk_stop;
	char		*linebuf;
	size_t		 linecap;
	int		 pos_dirty;
	atomic_ullong	 lines, findings;
};

/* ---- the state file ---- */

static int
state_write(struct agent *a, int clean)
{
	char path[4200], buf[200];
	int n;

	snprintf(path, sizeof(path), "%s/agent.state", a->dir);
	n = snprintf(buf, sizeof(buf), "instance=%s\nseq=%llu\nclean=%d\n",
	    a->mf.instance, (unsigned long long)a->seq_saved, clean);
	if (agent_write_atomic(path, buf, (size_t)n) != 0) {
		log_err("agent: cannot write %s: %s", path, strerror(errno));
		return MAMORI_ESYS;
	}
	return 0;
}

static void
new_instance(struct agent *a)
{
	uint8_t r[16];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1) {
		int64_t t = time_now_ns() ^ (int64_t)getpid();

		memcpy(r, &t, sizeof(t));
		memcpy(r + 8, &a, sizeof(a) < 8 ? sizeof(a) : 8);
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(a->mf.instance + 2 * i, 3, "%02x", r[i]);
}

static void
state_read(struct agent *a)
{
	char path[4200], *buf = NULL, *line, *save = NULL;
	size_t len, i;
	int have_inst = 0, have_seq = 0, clean = -1, r;

	snprintf(path, sizeof(path), "%s/agent.state", a->dir);
	if ((r = file_read_all(path, 4096, &buf, &len)) != 0) {
		if (r != MAMORI_ESYS || errno != ENOENT)
			log_warn("agent: cannot read %s; a new instance id is "
			    "made (the server will report a state reset)",
			    path);
		new_instance(a);
		a->prev_state = 0;
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "instance=", 9) == 0 &&
		    strlen(line + 9) == 32) {
			for (i = 0; i < 32; i++)
				if (!((line[9 + i] >= '0' && line[9 + i] <=
				    '9') || (line[9 + i] >= 'a' &&
				    line[9 + i] <= 'f')))
					break;
			if (i == 32) {
				memcpy(a->mf.instance, line + 9, 33);
				have_inst = 1;
			}
		} else if (strncmp(line, "seq=", 4) == 0) {
			char *end;

			errno = 0;
			a->seq_saved = strtoull(line + 4, &end, 10);
			have_seq = *end == '\0' && errno == 0 &&
			    a->seq_saved < UINT64_MAX / 2;
		} else if (strcmp(line, "clean=1") == 0)
			clean = 1;
		else if (strcmp(line, "clean=0") == 0)
			clean = 0;
	}
	free(buf);
	if (!have_inst || !have_seq || clean < 0) {
		log_warn("agent: %s is damaged; a new instance id is made (the "
		    "server will report a state reset)", path);
		new_instance(a);
		a->seq_saved = 0;
		a->prev_state = 0;
		return;
	}
	a->seq = a->seq_saved;
	a->prev_state = clean ? 1 : 2;
}

/* The next event sequence number (persisted ahead of use). */
static uint64_t
next_seq(struct agent *a)
{
	uint64_t s;

	pthread_mutex_lock(&a->mu);
	s = ++a->seq;
	if (s > a->seq_saved) {
		a->seq_saved = s + SEQ_STEP;
		(void)state_write(a, 0);
	}
	pthread_mutex_unlock(&a->mu);
	return s;
}

/* ---- events ---- */

static int
append(struct agent *a, const char *msg, size_t len)
{
	return agent_queue_append(a->q, time_now_ns(), msg, len, NULL);
}

/* Queues an agent event; text (a sentence) goes last. */
static int
agent_event(struct agent *a, const char *event, int severity,
    const struct agent_kv *kv, size_t nkv)
{
	char *msg;
	size_t len;
	int r;

	if ((r = agent_msg_event(&a->mf, event, severity, next_seq(a),
	    time_now_ns(), kv, nkv, &msg, &len)) != 0)
		return r;
	r = append(a, msg, len);
	free(msg);
	return r;
}

static void
u64s(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void
heartbeat(struct agent *a)
{
	uint64_t records, bytes, dropped, acked = 0;
	char r[24], b[24], d[24], l[24], k[24];
	int connected = 0;
	struct agent_kv kv[5];

	agent_queue_depth(a->q, &records, &bytes, NULL, &dropped);
	if (a->snd != NULL)
		agent_sender_stats(a->snd, &acked, &connected);
	u64s(r, sizeof(r), records);
	u64s(b, sizeof(b), bytes);
	u64s(d, sizeof(d), dropped);
	u64s(l, sizeof(l), atomic_load(&a->lines));
	u64s(k, sizeof(k), acked);
	kv[0] = (struct agent_kv){ "queue", r, 1 };
	kv[1] = (struct agent_kv){ "queue_bytes", b, 1 };
	kv[2] = (struct agent_kv){ "dropped", d, 1 };
	kv[3] = (struct agent_kv){ "lines", l, 1 };
	kv[4] = (struct agent_kv){ "delivered", k, 1 };
	(void)agent_event(a, "heartbeat", 6, kv, 5);
}

static void
started(struct agent *a)
{
	static const char *const prev[] = { "first", "clean", "unclean" };
	char q[24], t[24], lost[24], text[600];
	struct agent_kv kv[6];

	u64s(q, sizeof(q), a->qinfo.records);
	u64s(t, sizeof(t), a->qinfo.torn_bytes);
	u64s(lost, sizeof(lost), a->qinfo.lost_records);
	snprintf(text, sizeof(text), "mamori agent %s started on %s%s; %llu "
	    "messages queued", MAMORI_VERSION, a->name, a->prev_state == 2 ?
	    " after an unclean stop (crash, kill or power loss)" :
	    a->prev_state == 0 ? " for the first time" : "",
	    (unsigned long long)a->qinfo.records);
	kv[0] = (struct agent_kv){ "previous", prev[a->prev_state], 0 };
	kv[1] = (struct agent_kv){ "queue", q, 1 };
	kv[2] = (struct agent_kv){ "torn_bytes", t, 1 };
	kv[3] = (struct agent_kv){ "lost_segments", lost, 1 };
	kv[4] = (struct agent_kv){ "transport",
	    agent_transport_name(a->c->transport), 0 };
	kv[5] = (struct agent_kv){ "text", text, 0 };
	(void)agent_event(a, "started", a->prev_state == 2 ? 4 : 5, kv, 6);
}

/* The sender's drop report (agent_report_fn): made when it is sent. */
static int
drop_report(void *arg, const struct agent_queue_cursor *cur, char **msg,
    size_t *len)
{
	struct agent *a = arg;
	char n[24], tot[24], from[48], to[48], text[300];
	struct agent_kv kv[5];

	u64s(n, sizeof(n), cur->pending);
	u64s(tot, sizeof(tot), cur->dropped_total);
	time_format_rfc3339(cur->pending_from_ns, 0, 3, from, sizeof(from));
	time_format_rfc3339(cur->pending_to_ns, 0, 3, to, sizeof(to));
	snprintf(text, sizeof(text), "queue full: dropped %s messages from %s "
	    "to %s", n, from, to);
	kv[0] = (struct agent_kv){ "count", n, 1 };
	kv[1] = (struct agent_kv){ "from", from, 0 };
	kv[2] = (struct agent_kv){ "to", to, 0 };
	kv[3] = (struct agent_kv){ "total", tot, 1 };
	kv[4] = (struct agent_kv){ "text", text, 0 };
	log_warn("agent: %s", text);
	return agent_msg_event(&a->mf, "queue-dropped", 4, next_seq(a),
	    time_now_ns(), kv, 5, msg, len);
}

/* Tail callbacks. */
static void
on_line(void *arg, const struct agent_log_conf *lc, const char *sdpath,
    const uint8_t *line, size_t len, int cut)
{
	struct agent *a = arg;
	size_t outlen;

	if (agent_msg_line(&a->mf, lc, sdpath, line, len, cut, time_now_ns(),
	    a->linebuf, a->linecap, &outlen) != 0)
		return;
	(void)append(a, a->linebuf, outlen);
	atomic_fetch_add(&a->lines, 1);
	a->pos_dirty = 1;
}

static void
on_note(void *arg, const char *event, const char *path, const char *detail)
{
	struct agent *a = arg;
	char text[1200];
	struct agent_kv kv[2];

	snprintf(text, sizeof(text), "%s %s", path, detail);
	kv[0] = (struct agent_kv){ "file", path, 0 };
	kv[1] = (struct agent_kv){ "text", text, 0 };
	(void)agent_event(a, event, 4, kv, 2);
	a->pos_dirty = 1;
}

int
agent_emit(void *arg, const struct host_finding *f)
{
	struct agent *a = arg;
	char *msg;
	size_t len;
	int r;

	if ((r = agent_msg_finding(&a->mf, f, time_now_ns(), &msg,
	    &len)) != 0)
		return r;
	r = append(a, msg, len);
	free(msg);
	atomic_fetch_add(&a->findings, 1);
	return r;
}

/* ---- checks ---- */

static void
check_failed(struct agent *a, const char *name, int rc)
{
	char text[300];
	struct agent_kv kv[3];

	snprintf(text, sizeof(text), "check %s failed: %s", name,
	    mamori_strerror(rc));
	log_warn("agent: %s", text);
	kv[0] = (struct agent_kv){ "check", name, 0 };
	kv[1] = (struct agent_kv){ "error", mamori_strerror(rc), 0 };
	kv[2] = (struct agent_kv){ "text", text, 0 };
	(void)agent_event(a, "check-failed", 4, kv, 3);
}

static void *
checks_thread(void *arg)
{
	struct agent *a = arg;
	struct agent_chk *due;
	struct timespec ts;
	int64_t now, next;
	size_t i;
	int rc;

	(void)pthread_setname_np(pthread_self(), "mamori-checks");
	pthread_mutex_lock(&a->chk_mu);
	while (!a->chk_stop) {
		now = time_mono_ns();
		due = NULL;
		next = INT64_MAX;
		for (i = 0; i < a->nchecks; i++) {
			if (a->checks[i].next_ns <= now && due == NULL)
				due = &a->checks[i];
			if (a->checks[i].next_ns < next)
				next = a->checks[i].next_ns;
		}
		if (due != NULL) {
			due->next_ns = now + due->c.interval_ns;
			pthread_mutex_unlock(&a->chk_mu);
			rc = due->c.run(due->c.ctx, agent_emit, a);
			if (rc != 0)
				check_failed(a, due->name, rc);
			pthread_mutex_lock(&a->chk_mu);
			continue;
		}
		if (next == INT64_MAX)
			next = now + 3600 * NS_PER_SEC;
		ts.tv_sec = (time_t)(next / NS_PER_SEC);
		ts.tv_nsec = (long)(next % NS_PER_SEC);
		(void)pthread_cond_timedwait(&a->chk_cv, &a->chk_mu, &ts);
	}
	pthread_mutex_unlock(&a->chk_mu);
	return NULL;
}

int
agent_add_check(struct agent *a, const struct agent_check *chk)
{
	struct agent_chk *v;

	if (chk == NULL || chk->name == NULL || chk->run == NULL ||
	    chk->interval_ns <= 0 || a->chk_started)
		return MAMORI_EINVAL;
	if ((v = realloc(a->checks, (a->nchecks + 1) * sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	a->checks = v;
	v = &a->checks[a->nchecks];
	v->c = *chk;
	if ((v->name = strdup(chk->name)) == NULL)
		return MAMORI_ENOMEM;
	v->c.name = v->name;
	v->next_ns = 0;		/* at once */
	a->nchecks++;
	return 0;
}

int
agent_add_fd(struct agent *a, int fd, agent_ready_fn ready, void *ctx)
{
	struct agent_fd *v;

	if (fd < 0 || ready == NULL)
		return MAMORI_EINVAL;
	if ((v = realloc(a->fds, (a->nfds + 1) * sizeof(*v))) == NULL)
		return MAMORI_ENOMEM;
	a->fds = v;
	v[a->nfds].fd = fd;
	v[a->nfds].ready = ready;
	v[a->nfds].ctx = ctx;
	a->nfds++;
	return 0;
}

/* ---- setup ---- */

static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
load_key(struct agent *a, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t len;
	int r;

	if (a->c->key_file == NULL)
		return 0;
	if ((r = file_read_all(a->c->key_file, 4096, &buf, &len)) != 0) {
		mamori_seterr(err, errlen, "agent.key_file %s: %s",
		    a->c->key_file, r == MAMORI_ESYS ? strerror(errno) :
		    mamori_strerror(r));
		return r;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len < 16) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		mamori_seterr(err, errlen, "agent.key_file %s: a key of at "
		    "least 16 bytes is needed (openssl rand -hex 32 > FILE)",
		    a->c->key_file);
		return MAMORI_EKEY;
	}
	if (stat(a->c->key_file, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("agent: %s can be read by others than its owner",
		    a->c->key_file);
	a->key = (uint8_t *)buf;
	a->keylen = len;
	a->mf.key = a->key;
	a->mf.keylen = len;
	return 0;
}

struct agent *
agent_new(const struct agent_conf *c, char *err, size_t errlen)
{
	struct agent *a;
	char path[4200];
	int r;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		mamori_seterr(err, errlen, "out of memory");
		return NULL;
	}
	a->c = c;
	a->lockfd = a->stopfd = -1;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->chk_mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->chk_cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (c->name != NULL)
		snprintf(a->name, sizeof(a->name), "%s", c->name);
	else if (gethostname(a->name, sizeof(a->name) - 1) != 0 ||
	    a->name[0] == '\0')
		snprintf(a->name, sizeof(a->name), "localhost");
	a->mf.name = a->name;
	a->mf.facility = c->facility;
	a->mf.popts.tz_local = 1;
	if ((r = agent_conf_check(c, err, errlen)) != 0)
		goto fail;
	if ((a->dir = strdup(c->state_dir)) == NULL)
		goto oom;
	if (mkdirs(a->dir) != 0) {
		mamori_seterr(err, errlen, "state directory %s: %s", a->dir,
		    strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/lock", a->dir);
	if ((a->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(a->lockfd, LOCK_EX | LOCK_NB) != 0) {
		mamori_seterr(err, errlen, "%s: %s", a->dir, errno ==
		    EWOULDBLOCK ? "another mamori agent uses this state "
		    "directory" : strerror(errno));
		goto fail;
	}
	if (load_key(a, err, errlen) != 0)
		goto fail;
	state_read(a);
	snprintf(path, sizeof(path), "%s/queue", a->dir);
	if (agent_queue_open(path, c->queue_max, &a->q, &a->qinfo, err,
	    errlen) != 0)
		goto fail;
	if (a->qinfo.torn_bytes > 0)
		log_warn("agent: queue: a torn record at the end (%llu bytes) "
		    "was cut off: the agent had stopped while writing it",
		    (unsigned long long)a->qinfo.torn_bytes);
	if (a->qinfo.records > 0)
		log_info("agent: %llu messages queued from before, in %u "
		    "segments", (unsigned long long)a->qinfo.records,
		    a->qinfo.segments);
	a->linecap = c->max_line + (16u << 10);
	if ((a->linebuf = malloc(a->linecap)) == NULL)
		goto oom;
	snprintf(path, sizeof(path), "%s/positions", a->dir);
	if ((a->tail = agent_tail_new(c, path, on_line, on_note, a, err,
	    errlen)) == NULL)
		goto fail;
	if ((a->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		mamori_seterr(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((a->snd = agent_sender_new(c, a->q, drop_report, a, err,
	    errlen)) == NULL)
		goto fail;
	/* This run is not clean until it says so at its end. */
	a->seq_saved = a->seq + SEQ_STEP;
	if (state_write(a, 0) != 0) {
		mamori_seterr(err, errlen, "cannot write %s/agent.state: %s",
		    a->dir, strerror(errno));
		goto fail;
	}
	return a;
 oom:
	mamori_seterr(err, errlen, "out of memory");
 fail:
	agent_free(a);
	return NULL;
}

void
agent_stop(struct agent *a)
{
	uint64_t one = 1;

	atomic_store(&a->stopping, 1);
	(void)!write(a->stopfd, &one, sizeof(one));
}

/* fsync the queue, then the positions it covers. */
static void
sync_all(struct agent *a, int64_t now, int64_t *last_pos)
{
	if (agent_queue_sync(a->q) != 0)
		return;		/* positions stay behind: lines re-read */
	if (a->pos_dirty || now - *last_pos >= POS_SAVE_NS) {
		if (agent_tail_save(a->tail) == 0) {
			a->pos_dirty = 0;
			*last_pos = now;
		}
	}
	(void)agent_queue_save_cursor(a->q);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int
agent_run(struct agent *a, char *err, size_t errlen)
{
	struct epoll_event ee, evs[16];
	int64_t now, next_poll, next_hb, next_sync, last_pos, wait;
	int ep, n, i, more = 0, r;
	size_t j;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		mamori_seterr(err, errlen, "epoll: %s", strerror(errno));
		return MAMORI_ESYS;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u64 = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, a->stopfd, &ee);
	if (agent_tail_fd(a->tail) >= 0) {
		ee.data.u64 = 1;
		epoll_ctl(ep, EPOLL_CTL_ADD, agent_tail_fd(a->tail), &ee);
	}
	for (j = 0; j < a->nfds; j++) {
		ee.data.u64 = 2 + j;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, a->fds[j].fd, &ee) != 0) {
			mamori_seterr(err, errlen, "realtime fd %d: %s",
			    a->fds[j].fd, strerror(errno));
			close(ep);
			return MAMORI_ESYS;
		}
	}
	started(a);
	if ((r = agent_sender_start(a->snd)) != 0) {
		mamori_seterr(err, errlen, "cannot start the sender thread");
		close(ep);
		return r;
	}
	if (a->nchecks > 0) {
		if (pthread_create(&a->chk_th, NULL, checks_thread, a) != 0) {
			mamori_seterr(err, errlen, "cannot start the checks "
			    "thread");
			agent_sender_stop(a->snd, 0);
			close(ep);
			return MAMORI_ESYS;
		}
		a->chk_started = 1;
	}
	log_info("agent %s: %zu files, %zu checks, sending to %s over %s",
	    a->name, a->c->nlogs, a->nchecks, a->c->server,
	    agent_transport_name(a->c->transport));
	now = time_mono_ns();
	next_poll = now;
	next_hb = now + a->c->heartbeat_ns;
	next_sync = now + a->c->fsync_ns;
	last_pos = now;
	while (!atomic_load(&a->stopping)) {
		now = time_mono_ns();
		wait = more ? 0 : min64(min64(next_poll, next_hb), next_sync) -
		    now;
		if (wait < 0)
			wait = 0;
		n = epoll_wait(ep, evs, 16, (int)((wait + 999999) / 1000000));
		for (i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;

			if (id == 0)
				continue;	/* the loop condition sees it */
			if (id == 1) {
				agent_tail_inotify(a->tail);
				continue;
			}
			j = (size_t)(id - 2);
			if ((r = a->fds[j].ready(a->fds[j].ctx, agent_emit,
			    a)) != 0)
				log_warn("agent: realtime watcher: %s",
				    mamori_strerror(r));
		}
		now = time_mono_ns();
		{
			int full = now >= next_poll;

			if (full)
				next_poll = now + a->c->poll_ns;
			agent_tail_check(a->tail, time_mono_ns(), full, &more);
		}
		if (now >= next_hb) {
			heartbeat(a);
			next_hb = now + a->c->heartbeat_ns;
		}
		if (now >= next_sync) {
			sync_all(a, now, &last_pos);
			next_sync = now + a->c->fsync_ns;
		}
	}
	close(ep);
	/* Stopping: the checks first (a running one is waited for). */
	if (a->chk_started) {
		pthread_mutex_lock(&a->chk_mu);
		a->chk_stop = 1;
		pthread_cond_signal(&a->chk_cv);
		pthread_mutex_unlock(&a->chk_mu);
		pthread_join(a->chk_th, NULL);
		a->chk_started = 0;
	}
	agent_tail_check(a->tail, time_mono_ns(), 0, &more);
	{
		uint64_t records;
		char q[24];
		struct agent_kv kv[1];

		agent_queue_depth(a->q, &records, NULL, NULL, NULL);
		u64s(q, sizeof(q), records);
		kv[0] = (struct agent_kv){ "queue", q, 1 };
		(void)agent_event(a, "stopping", 5, kv, 1);
	}
	a->pos_dirty = 1;
	sync_all(a, time_mono_ns(), &last_pos);
	agent_sender_stop(a->snd, a->c->drain_ns);
	(void)agent_queue_save_cursor(a->q);
	{
		uint64_t records;

		agent_queue_depth(a->q, &records, NULL, NULL, NULL);
		log_info("agent: stopped; %llu messages stay queued for the "
		    "next start", (unsigned long long)records);
	}
	pthread_mutex_lock(&a->mu);
	a->seq_saved = a->seq;
	(void)state_write(a, 1);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

void
agent_get_stats(struct agent *a, struct agent_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->lines = atomic_load(&a->lines);
	st->findings = atomic_load(&a->findings);
	agent_queue_depth(a->q, &st->queued, &st->queued_bytes, NULL,
	    &st->dropped);
	if (a->snd != NULL)
		agent_sender_stats(a->snd, &st->acked, &st->connected);
}

void
agent_free(struct agent *a)
{
	size_t i;

	if (a == NULL)
		return;
	agent_sender_free(a->snd);
	agent_tail_free(a->tail);
	if (a->q != NULL)
		(void)agent_queue_close(a->q);
	for (i = 0; i < a->nchecks; i++)
		free(a->checks[i].name);
	free(a->checks);
	free(a->fds);
	if (a->key != NULL) {
		OPENSSL_cleanse(a->key, a->keylen);
		free(a->key);
	}
	if (a->stopfd >= 0)
		close(a->stopfd);
	if (a->lockfd >= 0)
		close(a->lockfd);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->chk_mu);
	pthread_cond_destroy(&a->chk_cv);
	free(a->linebuf);
	free(a->dir);
	free(a);
}
