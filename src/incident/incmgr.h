/*
 * incmgr.h - the incident manager: groups alerts into incidents.
 *
 * Each alert gets a category (taxonomy_classify(), else the fallback) and
 * a correlation key: the first entry of incidents.group_by whose parts the
 * alert has (default: category and attacker; else category and victim).
 * An alert joins the open incident of its key when that incident was seen
 * within the window, or at any time while nobody has closed it (unless
 * join_open is off); else an alert at or above open_level opens a new one
 * (taking the lower-level alerts of the same key held since, at most
 * INCMGR_PENDING_MAX of them); lower ones are held.  Impact rises by
 * itself: an internal attacker with an external victim (the seed's
 * second-order attack), or a leak towards an outside address, makes the
 * incident external; a victim in incidents.infrastructure makes it
 * infrastructure.
 *
 * One thread owns a manager.  Alerts are buffered by incmgr_add() and
 * written by incmgr_flush(), one transaction per incident touched.
 */
#ifndef MAMORI_INCMGR_H
#define MAMORI_INCMGR_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "incident/incident.h"
#include "respond/respond.h"

struct ydoc;
struct taxonomy;
struct playbook_set;

#define INCMGR_PENDING_MAX	256	/* held alerts per key */
#define INCMGR_PARTIES_MAX	256	/* parties recorded per incident */
#define INCMGR_KEYS_MAX		64	/* group_by entries */

/* The parts a correlation key can be built from. */
#define INCMGR_K_CATEGORY	0x01
#define INCMGR_K_ATTACKER	0x02	/* srcip */
#define INCMGR_K_VICTIM		0x04	/* dstip, else the host */
#define INCMGR_K_HOST		0x08	/* the host the event came from */
#define INCMGR_K_USER		0x10	/* dstuser, else srcuser */
#define INCMGR_K_RULE		0x20	/* rule id */

/* The incidents: section of the configuration. */
struct incident_conf {
	int		 enabled;	/* default 1 */
	int64_t		 window_ns;	/* default 1 h */
	int		 open_level;	/* default 7 */
	int		 join_level;	/* default 3 */
	size_t		 open_count;	/* default 5: held alerts of one key
					   that open an incident; 0: never */
	int		 join_open;	/* default 1: an alert joins its key's
					   incident past the window while that
					   incident is still open */
	unsigned	 group_by[INCMGR_KEYS_MAX];
	size_t		 ngroup_by;
	struct respond_addr *internal;	/* internal_networks */
	size_t		 ninternal;
	struct respond_addr *infra;	/* infrastructure (addresses) */
	size_t		 ninfra;
	char		**infra_hosts;	/* infrastructure (host names) */
	size_t		 ninfra_hosts;
	char		*playbooks;	/* directory; NULL: bundled */
	char		*taxonomy;	/* file; NULL: bundled */
	char		*org_name;	/* "Example University CSIRT", for
					   exports; NULL: "mamori" */
	char		*org_email;	/* the CSIRT's address, may be NULL */
};

/* What incidents need besides the configuration: the taxonomy and the
 * playbooks, loaded from c's paths or the bundled ones. */
struct incident_env {
	struct taxonomy	*tax;
	struct playbook_set *pb;
	char		*tax_path;
	char		*pb_dir;
};

/* Returns 0, or MAMORI_ECONFIG (FILE:LINE in err) / MAMORI_ENOTFOUND /
 * MAMORI_ENOMEM; nothing is kept on error.  Release with
 * incident_env_release(). */
int incident_env_load(const struct incident_conf *c, struct incident_env *env,
    char *err, size_t errlen);
void incident_env_release(struct incident_env *env);

/* Defaults (RFC 1918, loopback, link-local, ULA as internal).  Returns 0
 * or MAMORI_ENOMEM.  Release with incident_conf_release(). */
int incident_conf_init(struct incident_conf *c);
void incident_conf_release(struct incident_conf *c);
/* Reads the incidents: mapping node over c; errors name FILE:LINE. */
int incident_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct incident_conf *c);
/* 1 when the text address addr (IPv4, IPv6, IPv4-mapped) is in one of
 * p[0..n); 0 when not or when addr is not an address. */
int inc_prefix_match(const struct respond_addr *p, size_t n,
    const char *addr);
/* Parses "10.0.0.0/8", "2001:db8::/32" or an address (C string) with
 * respond_addr_parse().  0 or MAMORI_EINVAL / MAMORI_ETOOBIG. */
int inc_prefix_parse(const char *s, struct respond_addr *p);

/* An alert as the manager needs it; strings are borrowed for the call. */
struct incmgr_alert {
	int64_t		 time_ns;
	uint32_t	 rule_id;
	int		 level;
	const char	*description;
	const char	*const *groups;
	int		 ngroups;
	const char	*category;	/* NULL: from the groups */
	const char	*srcip;
	const char	*dstip;
	const char	*srcuser;
	const char	*dstuser;
	const char	*host;		/* host the event came from */
	const char	*log;		/* the line, may be NULL */
	int64_t		 alert_id;	/* alerts.id, 0 offline */
	uint64_t	 log_seq;	/* log store record, 0 if none */
};

/* Fills a from an alert of the rules engine (strings borrowed from r)
 * at time_ns; alert_id and log_seq are left 0 for the caller. */
struct rules_result;
void incmgr_alert_from_result(struct incmgr_alert *a,
    const struct rules_result *r, int64_t time_ns);

/* What the manager tells its owner (for notification). */
enum incmgr_change {
	INCMGR_CREATED,
	INCMGR_IMPACT_RAISED,
	INCMGR_SEVERITY_RAISED,
};

typedef void incmgr_cb(void *arg, int64_t incident_id,
    enum incmgr_change change);

struct incmgr;

/*
 * A manager writing to db (mamori.db or an in-memory one), with the
 * taxonomy and playbooks given (borrowed; pb may be NULL).  It takes up
 * the open incidents seen within the window, so that a restart does not
 * split them.  cb (may be NULL) hears of changes after they are
 * committed.  Returns NULL when out of memory or the database fails.
 */
struct incmgr *incmgr_new(sqlite3 *db, const struct incident_conf *conf,
    const struct taxonomy *tax, const struct playbook_set *pb,
    incmgr_cb *cb, void *arg);
void incmgr_free(struct incmgr *m);

/* Uses another taxonomy and playbooks from now on (after a reload):
 * categories are found again by id (an id gone becomes the fallback). */
void incmgr_set_env(struct incmgr *m, const struct taxonomy *tax,
    const struct playbook_set *pb);

/* Takes one alert.  *incident_id (may be NULL) is set to the incident it
 * joined or opened, 0 when it is only held or ignored.  An alert that
 * opens an incident creates it at once.  Returns 0 or an error. */
int incmgr_add(struct incmgr *m, const struct incmgr_alert *a,
    int64_t *incident_id);
/* Writes what incmgr_add() buffered.  Returns 0 or an error (the buffered
 * alerts are then kept for the next flush). */
int incmgr_flush(struct incmgr *m);

/* Counters, for messages and status. */
struct incmgr_stats {
	uint64_t	 alerts;	/* taken */
	uint64_t	 ignored;	/* below join_level */
	uint64_t	 joined;	/* linked to an incident */
	uint64_t	 held;		/* not (yet) in an incident */
	uint64_t	 dropped;	/* held ones let go (window, cap) */
	uint64_t	 created;	/* incidents opened */
};
void incmgr_stats(const struct incmgr *m, struct incmgr_stats *s);

#endif
