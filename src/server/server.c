/*
 * server.c - assembling, starting and stopping the server's stages.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "respond/respond.h"
#include "server/server-impl.h"
#include "web/web.h"

#define STATUS_EVERY_NS	(5 * NS_PER_SEC)

/* The worker for a sender: by its address without the port, so a host
 * reconnecting from another port stays on the same worker. */
static uint32_t
partition(const char *src)
{
	size_t len;
	const char *addr = event_src_addr(src, &len);

	return server_hash(addr, len);
}

static int
submit(void *arg, struct event *ev, int wait)
{
	struct server *s = arg;
	struct worker *w;

	w = &s->workers[partition(ev->src) % (uint32_t)s->nworkers];
	return queue_push(w->q, ev, sizeof(*ev) + ev->data_cap, wait);
}

static int
submit_many(void *arg, struct event **evs, size_t n, int wait)
{
	struct server *s = arg;
	void *part[256];
	size_t sizes[256], idx[256], i, j, k, np, taken = 0;
	uint32_t w, nw = (uint32_t)s->nworkers;
	uint32_t wk[256];
	int rc;

	/* Events keep their order within a partition, which is all the
	 * analysis stage relies on. */
	for (i = 0; i < n; i += np) {
		np = n - i < 256 ? n - i : 256;
		for (j = 0; j < np; j++)
			wk[j] = partition(evs[i + j]->src) % nw;
		for (w = 0; w < nw; w++) {
			for (j = 0, k = 0; j < np; j++) {
				if (wk[j] != w)
					continue;
				idx[k] = i + j;
				part[k] = evs[i + j];
				sizes[k++] = sizeof(struct event) +
				    evs[i + j]->data_cap;
			}
			if (k == 0)
				continue;
			rc = queue_push_many(s->workers[w].q, part, sizes, k,
			    wait);
			for (j = 0; rc > 0 && j < (size_t)rc; j++)
				evs[idx[j]] = NULL;
			if (rc > 0)
				taken += (size_t)rc;
		}
	}
	return (int)taken;
}

static void
store_notice(void *arg, const char *msg)
{
	log_info("log store: %s", msg);
}

static int
make_dir(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, 0750) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errlen, "data directory %s: %s", path, errno == EEXIST ?
	    "exists and is not a directory" : strerror(errno));
	return MAMORI_ESYS;
}

static int
bind_listeners(struct server *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	size_t i;
	int rc;

	s->nlisteners = c->nlisteners;
	s->listeners = calloc(c->nlisteners + 1, sizeof(*s->listeners));
	s->lstats = calloc(c->nlisteners + 1, sizeof(*s->lstats));
	s->relp_stats = calloc(c->nlisteners + 1, sizeof(*s->relp_stats));
	s->writer_counts = calloc(2 * (c->nlisteners + 1),
	    sizeof(*s->writer_counts));
	if (s->listeners == NULL || s->lstats == NULL ||
	    s->relp_stats == NULL || s->writer_counts == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	for (i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *lc = &c->listeners[i];

		switch (lc->proto) {
		case LISTEN_UDP:
		case LISTEN_TCP:
		case LISTEN_TLS:
			s->listeners[i] = listener_new(lc, (uint16_t)i,
			    c->max_message, &s->sink, err, errlen);
			if (s->listeners[i] == NULL)
				return MAMORI_ESYS;
			s->lstats[i] = listener_get_stats(s->listeners[i]);
			break;
		case LISTEN_RELP:
			if (s->relp == NULL && (s->relp = relp_listeners_new(
			    c->max_message, &s->sink)) == NULL) {
				snprintf(err, errlen, "%s: cannot start "
				    "librelp", lc->url);
				return MAMORI_ESYS;
			}
			s->lstats[i] = &s->relp_stats[i];
			if ((rc = relp_listeners_add(s->relp, lc, (uint16_t)i,
			    s->lstats[i], err, errlen)) != 0)
				return rc;
			break;
		case LISTEN_HTTP:
			/* The console: bound by server_web_init(); its
			 * counters stay zero (it takes no logs). */
			s->lstats[i] = &s->relp_stats[i];
			break;
		}
	}
	return 0;
}

struct server *
server_new(const struct config *c, char *err, size_t errlen)
{
	struct server *s;
	struct logstore_opts lo;
	char dberr[512];
	int i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = c;
	s->started_ns = time_now_ns();
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) != 0)
		snprintf(s->hostname, sizeof(s->hostname), "localhost");
	s->parse_opts.tz_local = c->tz_local;
	s->parse_opts.tz_min = c->tz_min;
	s->sink.submit = submit;
	s->sink.submit_many = submit_many;
	s->sink.arg = s;
	if (make_dir(c->data_dir, err, errlen) != 0)
		goto fail;

	memset(&lo, 0, sizeof(lo));
	lo.dir = c->data_dir;
	lo.key_path = c->seal_key;
	lo.segment_bytes = c->segment_bytes;
	lo.segment_age_ns = c->segment_age_ns;
	lo.retention_ns = c->retention_ns;
	lo.retention_bytes = c->retention_bytes;
	lo.zstd_level = c->zstd_level;
	lo.notice = store_notice;
	lo.sync_done = server_writer_sync_done;
	lo.sync_done_arg = s;
	if ((s->store = logstore_open(&lo, err, errlen)) == NULL)
		goto fail;
	{
		struct logstore_stats st;

		logstore_get_stats(s->store, &st);
		s->store_was_empty = st.next_seq <= 1;
	}
	if (asprintf(&s->db_path, "%s/mamori.db", c->data_dir) < 0) {
		s->db_path = NULL;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->db = db_open(s->db_path, 0, dberr, sizeof(dberr))) == NULL ||
	    (s->alerts_db = db_open(s->db_path, 0, dberr,
	    sizeof(dberr))) == NULL) {
		snprintf(err, errlen, "%s", dberr);
		goto fail;
	}
	if (server_agents_init(s, err, errlen) != 0 ||
	    server_rules_init(s, err, errlen) != 0 ||
	    server_incidents_init(s, err, errlen) != 0)
		goto fail;

	s->nworkers = c->workers;
	if ((s->workers = calloc((size_t)s->nworkers,
	    sizeof(*s->workers))) == NULL ||
	    (s->outq = queue_new(c->queue_events, c->queue_bytes)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < s->nworkers; i++) {
		s->workers[i].srv = s;
		s->workers[i].id = i;
		pthread_mutex_init(&s->workers[i].mu, NULL);
		if ((s->workers[i].q = queue_new(c->queue_events,
		    c->queue_bytes)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (bind_listeners(s, err, errlen) != 0 ||
	    server_sensor_init(s, err, errlen) != 0 ||
	    server_web_init(s, err, errlen) != 0)	/* hook: console */
		goto fail;
	return s;
 fail:
	server_free(s);
	return NULL;
}

/* Gives path and everything under it to uid:gid (symlinks not
 * followed).  The data directory is shallow: log/ and a few files. */
static int
chown_tree(const char *path, uid_t uid, gid_t gid, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char sub[4096];
	int rc = 0;

	if (lstat(path, &st) != 0 || lchown(path, uid, gid) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || depth > 8)
		return 0;
	if ((d = opendir(path)) == NULL)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rc = chown_tree(sub, uid, gid, depth + 1);
	}
	closedir(d);
	return rc;
}

int
server_drop_privileges(struct server *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	struct passwd *pw;
	int keepcap;

	if (geteuid() != 0)
		return 0;
	if (c->user == NULL || c->user[0] == '\0' ||
	    strcmp(c->user, "root") == 0) {
		log_warn("server.user is root: running with full privileges");
		return 0;
	}
	if ((pw = getpwnam(c->user)) == NULL) {
		snprintf(err, errlen, "server.user: no such user '%s'",
		    c->user);
		return MAMORI_ECONFIG;
	}
	/* The unprivileged server must be able to create segments and the
	 * database's journal files. */
	if (chown_tree(c->data_dir, pw->pw_uid, pw->pw_gid, 0) != 0) {
		snprintf(err, errlen, "cannot give %s to user %s: %s",
		    c->data_dir, c->user, strerror(errno));
		return MAMORI_ESYS;
	}
	/* Automatic blocks, and the console's (hook: server-web.c), need
	 * CAP_NET_ADMIN, alone, after the drop. */
	keepcap = (s->incidents != NULL && c->respond->nautos > 0 &&
	    !c->respond->dry_run) || server_web_wants_cap(s);
	if (keepcap && respond_keepcap_before() != 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_ADMIN for "
		    "blocks (respond.auto_block, the console): %s",
		    strerror(errno));
		return MAMORI_ESYS;
	}
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot drop privileges to %s: %s",
		    c->user, strerror(errno));
		return MAMORI_ESYS;
	}
	if (keepcap && respond_keepcap_after() != 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_ADMIN for "
		    "blocks (respond.auto_block, the console): %s",
		    strerror(errno));
		return MAMORI_ESYS;
	}
	s->kept_cap = keepcap;
	if (setuid(0) == 0) {
		snprintf(err, errlen, "privileges not dropped: setuid(0) "
		    "still succeeds");
		return MAMORI_ESYS;
	}
	if (access(c->data_dir, R_OK | W_OK | X_OK) != 0) {
		snprintf(err, errlen, "data directory %s is not usable by "
		    "user %s (%s); a parent directory may not be searchable",
		    c->data_dir, c->user, strerror(errno));
		return MAMORI_ESYS;
	}
	log_info("running as user %s", c->user);
	return 0;
}

int
server_start(struct server *s, char *err, size_t errlen)
{
	size_t i;
	int w, rc;

	if (server_incidents_start(s, err, errlen) != 0 ||
	    server_web_start_containment(s, err, errlen) != 0) {
		s->started = 1;
		server_stop(s);
		return MAMORI_ESYS;
	}
	/* Hook (server-web.c): the threads that change the firewall have
	 * it now; nothing started from here on (writer, workers,
	 * listeners, the console's request threads) holds CAP_NET_ADMIN. */
	if (s->kept_cap && web_drop_caps() != 0) {
		snprintf(err, errlen, "cannot let CAP_NET_ADMIN go: %s",
		    strerror(errno));
		s->started = 1;
		server_stop(s);
		return MAMORI_ESYS;
	}
	s->kept_cap = 0;
	if ((rc = pthread_create(&s->writer, NULL, server_writer_thread,
	    s)) != 0)
		goto fail;
	s->writer_running = 1;
	for (w = 0; w < s->nworkers; w++) {
		if ((rc = pthread_create(&s->workers[w].thread, NULL,
		    server_worker_thread, &s->workers[w])) != 0)
			goto fail;
	}
	rc = EAGAIN;
	for (i = 0; i < s->nlisteners; i++)
		if (s->listeners[i] != NULL &&
		    listener_start(s->listeners[i]) != 0)
			goto fail;
	if (s->relp != NULL && relp_listeners_start(s->relp) != 0)
		goto fail;
	s->started = 1;
	if (server_sensor_start(s, err, errlen) != 0 ||
	    server_web_start(s, err, errlen) != 0) {	/* hook: console */
		server_stop(s);
		return MAMORI_ESYS;
	}
	for (i = 0; i < s->nlisteners; i++) {
		const struct listener_conf *lc = &s->cfg->listeners[i];

		if (lc->proto != LISTEN_HTTP)
			log_info("listening on %s", lc->url);
	}
	return 0;
 fail:
	snprintf(err, errlen, "cannot start threads: %s", strerror(rc));
	s->started = 1;
	server_stop(s);
	return MAMORI_ESYS;
}

void
server_run(struct server *s)
{
	sigset_t set;
	struct timespec tick = { 1, 0 };
	int64_t last_status = 0, last_stats = time_mono_ns(), now;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("received %s; stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP) {
			server_rules_reload(s);
			server_incidents_reload(s);
		}
		now = time_mono_ns();
		if (now - last_status >= STATUS_EVERY_NS) {
			server_status_save(s);
			last_status = now;
		}
		server_agents_tick(s, now);
		if (now - last_stats >= s->cfg->stats_interval_ns) {
			server_stats_line(s);
			last_stats = now;
		}
	}
}

void
server_stop(struct server *s)
{
	size_t i;
	int w;

	if (!s->started)
		return;
	atomic_store(&s->stopping, 1);
	/* Hook: the console first, so no request reads a stopping
	 * pipeline. */
	server_web_stop(s);
	/* Listeners first, so nothing new arrives; each takes what its
	 * sockets already hold. */
	for (i = 0; i < s->nlisteners; i++)
		if (s->listeners[i] != NULL)
			listener_stop(s->listeners[i]);
	if (s->relp != NULL)
		relp_listeners_stop(s->relp);
	/* The sensor too: its last flows and windows go in first. */
	server_sensor_stop(s);
	for (w = 0; w < s->nworkers; w++)
		queue_close(s->workers[w].q);
	for (w = 0; w < s->nworkers; w++)
		if (s->workers[w].thread)
			pthread_join(s->workers[w].thread, NULL);
	queue_close(s->outq);
	if (s->writer_running)
		pthread_join(s->writer, NULL);
	s->writer_running = 0;
	server_status_save(s);
	server_stats_line(s);
	s->started = 0;
}

void
server_free(struct server *s)
{
	size_t i;
	int w;

	if (s == NULL)
		return;
	server_stop(s);
	for (i = 0; s->listeners != NULL && i < s->nlisteners; i++)
		listener_free(s->listeners[i]);
	relp_listeners_free(s->relp);
	for (w = 0; s->workers != NULL && w < s->nworkers; w++) {
		struct worker *wk = &s->workers[w];
		size_t b;

		for (b = 0; b < HOST_BUCKETS; b++) {
			while (wk->hosts[b] != NULL) {
				struct host_entry *h = wk->hosts[b];

				wk->hosts[b] = h->next;
				free(h);
			}
		}
		if (wk->q != NULL) {
			void *ev;

			while (queue_pop(wk->q, &ev, NULL, 1, 0) == 1)
				event_free(ev);
			queue_free(wk->q);
		}
		pthread_mutex_destroy(&wk->mu);
		free(wk->reports);
	}
	if (s->outq != NULL) {
		void *ev;

		while (queue_pop(s->outq, &ev, NULL, 1, 0) == 1)
			event_free(ev);
		queue_free(s->outq);
	}
	free(s->workers);
	free(s->listeners);
	free(s->lstats);
	free(s->relp_stats);
	free(s->writer_counts);
	server_sensor_release(s);
	server_agents_release(s);
	server_web_release(s);		/* hook: console */
	server_incidents_release(s);
	server_rules_release(s);
	db_close(s->alerts_db);
	db_close(s->db);
	logstore_close(s->store);
	free(s->db_path);
	free(s);
}
