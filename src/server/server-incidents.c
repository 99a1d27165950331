/*
 * server-incidents.c - incidents inside the server.
 *
 * Alerts reach the incident manager on the thread that settles them,
 * after they are stored (so each links to its alerts row and log record);
 * the manager writes through that thread's own connection to mamori.db.
 * What the manager reports (an incident opened, its impact or severity
 * raised) goes to the notifier's queue; alerts the respond: section asks
 * to block go to the responder's.  Both have their own threads and
 * database connections, so a slow mail server or firewall never holds up
 * the log store.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "incident/incmgr.h"
#include "incident/notify.h"
#include "incident/playbook.h"
#include "respond/respond.h"
#include "server/server-impl.h"

struct server_incidents {
	struct incident_env env;
	struct incmgr	*mgr;
	struct notifier	*notifier;
	struct responder *responder;
	sqlite3		*db;		/* the settling thread's */
	pthread_mutex_t	 mu;		/* guards mgr and env (reload) */
	uint64_t	 errors;	/* manager failures, logged rarely */
};

static void
changed(void *arg, int64_t id, enum incmgr_change change)
{
	struct server_incidents *si = arg;
	enum inc_impact impact = 0;
	enum inc_severity sev = 0;
	char why[64];

	(void)incident_state(si->db, id, NULL, &impact, &sev, NULL);
	if (change == INCMGR_CREATED)
		snprintf(why, sizeof(why), "created");
	else if (change == INCMGR_IMPACT_RAISED)
		snprintf(why, sizeof(why), "impact raised to %s",
		    inc_impact_name(impact));
	else
		snprintf(why, sizeof(why), "severity raised to %s",
		    inc_severity_name(sev));
	if (change == INCMGR_CREATED)
		log_info("incident %lld opened", (long long)id);
	if (si->notifier != NULL &&
	    notifier_submit(si->notifier, id, why) == MAMORI_EAGAIN)
		log_warn("incident %lld: notification queue full; not "
		    "notified (%s)", (long long)id, why);
}

int
server_incidents_init(struct server *s, char *err, size_t errlen)
{
	const struct config *c = s->cfg;
	struct server_incidents *si;

	if (s->rules == NULL || !c->incidents->enabled)
		return 0;
	if ((si = calloc(1, sizeof(*si))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	s->incidents = si;
	si->db = db_sqlite(s->alerts_db);
	pthread_mutex_init(&si->mu, NULL);
	if (incident_env_load(c->incidents, &si->env, err, errlen) != 0)
		return MAMORI_ECONFIG;
	if ((si->mgr = incmgr_new(db_sqlite(s->alerts_db), c->incidents,
	    si->env.tax, si->env.pb, changed, si)) == NULL) {
		snprintf(err, errlen, "incidents: cannot take up the open "
		    "incidents in %s", s->db_path);
		return MAMORI_EDB;
	}
	if (c->notify != NULL && (si->notifier = notifier_start(c->notify,
	    s->db_path, err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	log_info("incidents: taxonomy %s, playbooks %s, notification %s",
	    si->env.tax_path, si->env.pb_dir, c->notify != NULL ? "on" :
	    "off (no notify: section)");
	return 0;
}

/* The responder starts after the privileges are dropped, from the
 * thread that kept CAP_NET_ADMIN (respond_keepcap_after()), so that it
 * inherits it. */
int
server_incidents_start(struct server *s, char *err, size_t errlen)
{
	struct server_incidents *si = s->incidents;

	if (si == NULL || s->cfg->respond->nautos == 0)
		return 0;
	if ((si->responder = responder_start(s->cfg->respond, s->db_path,
	    err, errlen)) == NULL)
		return MAMORI_ESYS;
	log_info("respond: %zu automatic block rule%s%s",
	    s->cfg->respond->nautos, s->cfg->respond->nautos == 1 ? "" : "s",
	    s->cfg->respond->dry_run ? " (dry run)" : "");
	return 0;
}

/* Splits "a,b,c" into v (pointers into buf, a copy). */
static int
split_groups(const char *groups, char *buf, size_t len, const char **v,
    int max)
{
	char *p, *save = NULL;
	int n = 0;

	if (groups == NULL)
		return 0;
	snprintf(buf, len, "%s", groups);
	for (p = strtok_r(buf, ",", &save); p != NULL && n < max;
	    p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	return n;
}

void
server_incidents_alert(struct server *s, struct server_alert *a)
{
	struct server_incidents *si = s->incidents;
	struct incmgr_alert ia;
	const char *groups[RULES_MAX_GROUPS], *field;
	char gbuf[2048], reason[512];
	int64_t id = 0, dur;
	int r;

	memset(&ia, 0, sizeof(ia));
	ia.time_ns = a->time_ns;
	ia.rule_id = a->rule_id;
	ia.level = a->level;
	ia.description = a->description;
	ia.ngroups = split_groups(a->groups, gbuf, sizeof(gbuf), groups,
	    RULES_MAX_GROUPS);
	ia.groups = groups;
	ia.srcip = a->srcip;
	ia.dstip = a->dstip;
	ia.srcuser = a->srcuser;
	ia.dstuser = a->dstuser;
	ia.host = a->host;
	ia.log = a->log;
	ia.alert_id = a->alert_id;
	ia.log_seq = a->log_seq;
	pthread_mutex_lock(&si->mu);
	r = incmgr_add(si->mgr, &ia, &id);
	pthread_mutex_unlock(&si->mu);
	if (r != 0 && si->errors++ % 1000 == 0)
		log_err("incidents: alert of rule %u not grouped: %s "
		    "(%llu so far)", a->rule_id, mamori_strerror(r),
		    (unsigned long long)si->errors);
	if (si->responder == NULL || !respond_auto_match_field(s->cfg->respond,
	    a->rule_id, a->level, groups, ia.ngroups, &dur, &field))
		return;
	field = field != NULL && strcmp(field, "dstip") == 0 ? a->dstip :
	    a->srcip;
	if (field == NULL)
		return;
	snprintf(reason, sizeof(reason), "rule %u (level %d): %s", a->rule_id,
	    a->level, a->description != NULL ? a->description : "");
	if (responder_submit(si->responder, field, dur, id, reason) ==
	    MAMORI_EAGAIN)
		log_warn("respond: queue full; %s not blocked", field);
}

void
server_incidents_flush(struct server *s)
{
	struct server_incidents *si = s->incidents;
	int r;

	pthread_mutex_lock(&si->mu);
	r = incmgr_flush(si->mgr);
	pthread_mutex_unlock(&si->mu);
	if (r != 0 && si->errors++ % 1000 == 0)
		log_err("incidents: cannot write to mamori.db: %s (kept for "
		    "the next try)", mamori_strerror(r));
	/* Hook for the console (server-web.c): alerts and incidents were
	 * just written; its live updates look now. */
	server_web_kick(s);
}

/* Hook for the console (server-web.c): its "notify" button.  The
 * notifier's queue is thread-safe; the plan is read-only. */
int
server_incidents_notify(struct server *s, int64_t id, const char *why,
    const char *contact)
{
	struct server_incidents *si = s->incidents;

	if (si == NULL || si->notifier == NULL || s->cfg->notify == NULL)
		return MAMORI_ECONFIG;
	if (contact == NULL)
		return notifier_submit(si->notifier, id, why);
	if (notify_plan_contact(s->cfg->notify, contact) < 0)
		return MAMORI_ENOTFOUND;
	return notifier_submit_to(si->notifier, id, why, contact);
}

/* SIGHUP: the taxonomy and playbooks are read again; only a complete
 * set replaces the one in use. */
void
server_incidents_reload(struct server *s)
{
	struct server_incidents *si = s->incidents;
	struct incident_env env, old;
	char err[1024];

	if (si == NULL)
		return;
	if (incident_env_load(s->cfg->incidents, &env, err,
	    sizeof(err)) != 0) {
		log_err("SIGHUP: %s; the taxonomy and playbooks loaded before "
		    "stay in use", err);
		return;
	}
	pthread_mutex_lock(&si->mu);
	old = si->env;
	si->env = env;
	incmgr_set_env(si->mgr, si->env.tax, si->env.pb);
	pthread_mutex_unlock(&si->mu);
	incident_env_release(&old);
	log_info("SIGHUP: taxonomy and %zu playbooks reloaded from %s",
	    playbook_set_count(si->env.pb), si->env.pb_dir);
}

void
server_incidents_release(struct server *s)
{
	struct server_incidents *si = s->incidents;
	struct incmgr_stats st;

	if (si == NULL)
		return;
	if (si->mgr != NULL) {
		(void)incmgr_flush(si->mgr);
		incmgr_stats(si->mgr, &st);
		log_info("incidents: %llu opened, %llu alerts joined them",
		    (unsigned long long)st.created,
		    (unsigned long long)st.joined);
	}
	incmgr_free(si->mgr);
	notifier_stop(si->notifier);
	responder_stop(si->responder);
	incident_env_release(&si->env);
	pthread_mutex_destroy(&si->mu);
	free(si);
	s->incidents = NULL;
}
