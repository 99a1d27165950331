/*
 * respond.h - containment: blocking an address or prefix with nftables.
 *
 * A block drops every packet from and to an address or prefix (IPv4 or
 * IPv6), for a while or until it is lifted.  The firewall holds the live
 * set: one dedicated nftables table (inet mamori by default) with two sets
 * (block4, block6; flags interval,timeout) and input/output/forward
 * chains at priority filter - 10 that drop what matches them, before any
 * accept rule of the host's own ruleset.  The kernel expires timed blocks
 * by itself, so a block ends even when mamori is not running.
 *
 * mamori.db's blocks table (src/store/db.c, migration 3) records every
 * block asked for, who asked, why, for which incident, and when it ended;
 * the incident's timeline gets an entry for each.
 *
 * An allowlist (respond.allowlist, plus loopback and, at block time, this
 * machine's own interface addresses) is never blocked: a block that
 * overlaps it is refused.
 *
 *   respond-addr.c	addresses and prefixes: parsing, normalising,
 *			overlap; the allowlist check
 *   respond-conf.c	the respond: configuration section
 *   respond-nft.c	the nftables backend (libnftables)
 *   respond-record.c	the blocks table and incident timeline entries
 *   respond-auto.c	which alerts ask for an automatic block
 *   respond-worker.c	the server's responder thread
 *   respond-caps.c	keeping CAP_NET_ADMIN across a privilege drop
 */
#ifndef MAMORI_RESPOND_H
#define MAMORI_RESPOND_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

struct ydoc;
typedef struct sqlite3 sqlite3;

/* ---- addresses (respond-addr.c) ---- */

/* Longest text an address or prefix is accepted as, and the buffer that
 * respond_addr_format() needs ("ffff:...:ffff/128" is 43 bytes). */
#define RESPOND_ADDR_MAXLEN	64
#define RESPOND_ADDR_STRLEN	64

struct respond_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	int		 prefix;	/* 0..32 or 0..128; 32/128: one host */
	uint8_t		 a[16];		/* network order; IPv4 in a[0..4),
					   the rest zero; host bits zero */
};

/*
 * Parses an address or prefix from untrusted text s[0..len) (no NUL
 * needed; a NUL inside is an error): "192.0.2.7", "192.0.2.0/24",
 * "2001:db8::1", "2001:db8::/32".  An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.7, or a prefix of /96 or longer inside ::ffff:0:0/96)
 * becomes the IPv4 address or prefix it carries.  A prefix with host bits
 * set ("192.0.2.7/24") is refused, naming the prefix meant
 * ("192.0.2.0/24"): a block is wider than the address typed, and that
 * should not happen by accident.  No zone ids ("fe80::1%eth0"), no
 * leading zeros in IPv4, no spaces.
 *
 * Returns 0 and fills *out; MAMORI_EINVAL with the reason in err (the
 * text shown escaped), or MAMORI_ETOOBIG (longer than
 * RESPOND_ADDR_MAXLEN).  *out is zeroed on entry.
 */
int respond_addr_parse(const char *s, size_t len, struct respond_addr *out,
    char *err, size_t errlen);

/* Writes a in its normal form into buf (at least RESPOND_ADDR_STRLEN
 * bytes): a host without "/32" or "/128", a prefix with it; IPv6 as
 * RFC 5952 (inet_ntop).  Returns buf. */
char *respond_addr_format(const struct respond_addr *a, char *buf);

/* 1 when a and b share at least one address (same family and one
 * contains the other), else 0. */
int respond_addr_overlaps(const struct respond_addr *a,
    const struct respond_addr *b);
/* 1 when every address of inner is in outer. */
int respond_addr_contains(const struct respond_addr *outer,
    const struct respond_addr *inner);
int respond_addr_equal(const struct respond_addr *a,
    const struct respond_addr *b);

/* ---- configuration (respond-conf.c) ---- */

/* One respond.auto_block entry: an alert matches when every condition
 * given holds (rules: its rule id is listed; groups: one of its groups
 * is listed; min_level: its level is at least this). */
struct respond_auto {
	uint32_t	*rules;		/* NULL when not given */
	size_t		 nrules;
	char	       **groups;	/* NULL-terminated; NULL when not
					   given */
	size_t		 ngroups;
	int		 min_level;	/* -1 when not given */
	int64_t		 duration_ns;	/* "for"; -1: respond.default_duration;
					   0: until unblocked */
	char		*field;		/* alert field holding the address:
					   "srcip" (default) or "dstip" */
	size_t		 line;		/* in the configuration file, 0 if
					   none */
};

struct respond_conf {
	int		 dry_run;	/* record blocks, change no firewall;
					   default 0 */
	char		*table;		/* nftables table (family inet);
					   default "mamori" */
	struct respond_addr *allowlist;	/* never blocked; loopback and the
					   machine's own addresses are added
					   at block time */
	size_t		 nallowlist;
	struct respond_addr *internal;	/* the organisation's networks;
					   default RFC 1918, RFC 6598 and
					   fc00::/7 */
	size_t		 ninternal;
	int		 block_internal;	/* automatic blocks may hit
					   internal addresses; default 0 */
	int64_t		 default_duration_ns;	/* default 1 h; 0: until
						   unblocked */
	int64_t		 max_duration_ns;	/* default 0: no limit */
	struct respond_auto *autos;	/* respond.auto_block */
	size_t		 nautos;
	int		 auto_max;	/* automatic blocks in force at once;
					   default 100 */
};

/* Shortest block the firewall is asked for. */
#define RESPOND_MIN_DURATION_NS	1000000000LL

/* Allocates a respond_conf holding the defaults into *out.  Returns 0 or
 * MAMORI_ENOMEM.  Caller frees with respond_conf_free(). */
int respond_conf_new(struct respond_conf **out);

/*
 * Reads the respond: mapping node of document d over c.  name is the
 * section's name for messages ("respond").  node NULL (absent or empty)
 * leaves c as it is.  Returns 0; MAMORI_ECONFIG with
 * "FILE:LINE: setting 'respond.x': reason" set through ydoc_fail() (c is
 * then unchanged: nothing half-applied); or MAMORI_ENOMEM.
 */
int respond_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    struct respond_conf *c);

/* Frees c and what it holds.  NULL is a no-op. */
void respond_conf_free(struct respond_conf *c);

/* A deep copy of src into *out (for config_copy()).  Returns 0 or
 * MAMORI_ENOMEM (*out NULL).  Caller frees with respond_conf_free(). */
int respond_conf_copy(struct respond_conf **out,
    const struct respond_conf *src);

/* Writes ns as "1h30m", "45s", "2d" ("0s" for 0) into buf.  Returns buf. */
char *respond_duration_format(int64_t ns, char *buf, size_t len);

/*
 * 1 when a overlaps the allowlist: c's entries, loopback (127.0.0.0/8,
 * ::1) and, with local set, the addresses of this machine's interfaces
 * (getifaddrs()), so that the log server never blocks itself.  err then
 * says which entry ("203.0.113.0/24 overlaps the allowlist entry
 * 203.0.113.5 (respond.allowlist)").  0 when not; MAMORI_ESYS when the
 * interfaces cannot be read (err set).
 */
int respond_allowlisted(const struct respond_conf *c,
    const struct respond_addr *a, int local, char *err, size_t errlen);

/* 1 when a lies inside one of c->internal. */
int respond_internal(const struct respond_conf *c,
    const struct respond_addr *a);

/* ---- the firewall (respond-nft.c) ---- */

/* What a block request came to (respond_apply()'s res->outcome). */
enum respond_outcome {
	RESPOND_DONE = 0,	/* blocked (dry run: would be) */
	RESPOND_REPLACED,	/* was blocked already: new expiry */
	RESPOND_COVERED,	/* a block in force covers it already */
	RESPOND_ALLOWLISTED,	/* refused: overlaps the allowlist */
	RESPOND_OVERLAPS,	/* refused: overlaps narrower blocks */
	RESPOND_BAD_ADDRESS,	/* refused: not an address or prefix */
	RESPOND_BAD_DURATION,	/* refused: duration out of range */
	RESPOND_FAILED,		/* nftables failed */
};

#define RESPOND_F_DRY_RUN	0x1	/* check the request; change nothing
					   (the firewall is not even read) */
#define RESPOND_F_NO_REPLACE	0x2	/* an address blocked already keeps
					   its block: RESPOND_COVERED */
#define RESPOND_F_CLAMP		0x4	/* a duration over max_duration (or
					   0 when there is a maximum) becomes
					   max_duration instead of being
					   refused */

struct respond_result {
	enum respond_outcome outcome;
	char		 addr[RESPOND_ADDR_STRLEN];	/* normalised, once
							   parsed */
	int64_t		 duration_ns;	/* as applied; 0: until unblocked */
	int		 dry_run;
};

/*
 * Blocks the address or prefix addr[0..len) for duration_ns (0: until
 * unblocked) in c's table, creating the table, sets and chains when they
 * are missing (and repairing their rules) in the same nftables
 * transaction as the block itself.  Blocking an address that is blocked
 * already replaces its expiry; a narrower address inside a block in force
 * is "covered"; a prefix that would swallow narrower blocks is refused
 * (unblock them first).  res (may be NULL) says what happened.
 *
 * Returns 0 (RESPOND_DONE, RESPOND_REPLACED); MAMORI_EEXIST
 * (RESPOND_COVERED); MAMORI_EINVAL (a refusal: bad address or duration,
 * allowlisted, overlapping); MAMORI_ESYS (nftables failed: err says why;
 * without permission "nftables: Operation not permitted: run as root or
 * with CAP_NET_ADMIN"); MAMORI_ENOMEM.  err always says why it was not
 * done.
 */
int respond_apply(const struct respond_conf *c, const char *addr,
    size_t len, int64_t duration_ns, unsigned flags,
    struct respond_result *res, char *err, size_t errlen);

/* respond_apply() of the C string addr, with RESPOND_F_DRY_RUN when
 * c->dry_run is set. */
int respond_block(const struct respond_conf *c, const char *addr,
    int64_t duration_ns, char *err, size_t errlen);

/*
 * Lifts the block of exactly addr (a C string).  Returns 0;
 * MAMORI_ENOTFOUND when addr is not blocked (err says so, and names the
 * wider block when addr lies inside one); MAMORI_EINVAL (bad address);
 * MAMORI_ESYS (nftables failed).  Unblocking ignores c->dry_run: lifting
 * a block is always safe.  canon (may be NULL; RESPOND_ADDR_STRLEN
 * bytes) receives the normalised address once parsed.
 */
int respond_unblock(const struct respond_conf *c, const char *addr,
    char *canon, char *err, size_t errlen);

/* One block in force, as the kernel holds it. */
struct respond_entry {
	struct respond_addr addr;
	int64_t		 timeout_ns;	/* as given; 0: until unblocked */
	int64_t		 expires_ns;	/* left; 0 when no timeout (whole
					   seconds: what nftables reports) */
};

/*
 * Calls cb with each block in c's table (IPv4 first, then IPv6, in the
 * kernel's order); stops when cb returns non-zero.  A missing table is an
 * empty list.  Returns 0, cb's value, MAMORI_ESYS (nftables failed; err
 * set), MAMORI_ECORRUPT (unexpected JSON from nftables) or MAMORI_ENOMEM.
 */
int respond_list(const struct respond_conf *c,
    int (*cb)(void *, const struct respond_entry *), void *arg,
    char *err, size_t errlen);

/* ---- the record (respond-record.c) ---- */

/* Checks that incident id exists.  Returns 0, MAMORI_ENOTFOUND (err: "no
 * incident 42") or MAMORI_EDB. */
int respond_record_check(sqlite3 *db, int64_t incident_id, char *err,
    size_t errlen);

/*
 * Records a block of addr (normalised) made at now_ns for duration_ns (0:
 * until unblocked) in the blocks table: a new row, and the rows of an
 * earlier block of the same address still in force (with the same
 * dry_run) end now (replaced).  incident_id 0: none; else the incident's
 * timeline gets a "block" entry ("blocked 192.0.2.7 for 1h: reason").
 * who is a user name or "mamori"; reason may be NULL.  Row and timeline
 * entry are both written or neither.  *id (may be NULL) receives the
 * row's id.  Returns 0, MAMORI_ENOTFOUND (no such incident) or
 * MAMORI_EDB.
 */
int respond_record_block(sqlite3 *db, const char *addr, int64_t now_ns,
    int64_t duration_ns, const char *who, const char *reason,
    int64_t incident_id, int dry_run, int64_t *id);

/*
 * Records that the block of addr ended at now_ns (unblocked by who): its
 * rows in force get removed = now_ns, and each incident they name (and
 * incident_id, when not 0) gets an "unblock" timeline entry.  *n (may be
 * NULL) receives the number of rows ended.  Returns 0, MAMORI_ENOTFOUND
 * (incident_id does not exist; nothing written) or MAMORI_EDB.
 */
int respond_record_unblock(sqlite3 *db, const char *addr, int64_t now_ns,
    const char *who, int64_t incident_id, int *n);

/*
 * Ends the rows whose expiry has passed by now_ns (removed = expires) and
 * gives their incidents an "unblock" timeline entry ("block of 192.0.2.7
 * expired").  Returns 0 or MAMORI_EDB.
 */
int respond_record_expire(sqlite3 *db, int64_t now_ns);

/* A row of the blocks table. */
struct respond_row {
	int64_t		 id;
	const char	*addr;
	int64_t		 created_ns;
	int64_t		 expires_ns;	/* 0: until unblocked */
	int64_t		 removed_ns;	/* 0: in force */
	const char	*who;
	const char	*reason;	/* may be NULL */
	int64_t		 incident_id;	/* 0: none */
	int		 dry_run;
};

/*
 * Calls cb with each row in force at now_ns (not removed, not expired),
 * newest first; with addr not NULL only that address's; with dry_run >= 0
 * only rows whose dry_run equals it.  The strings are borrowed for the
 * call.  Stops when cb returns non-zero.  Returns 0, cb's value or
 * MAMORI_EDB.
 */
int respond_record_each(sqlite3 *db, int64_t now_ns, const char *addr,
    int dry_run, int (*cb)(void *, const struct respond_row *), void *arg);

/* Number of automatic blocks (who "mamori") in force at now_ns with the
 * given dry_run, into *n.  Returns 0 or MAMORI_EDB. */
int respond_record_auto_count(sqlite3 *db, int64_t now_ns, int dry_run,
    int *n);

/* ---- automatic blocks (respond-auto.c) ---- */

/*
 * 1 when an alert (rule_id, level, groups[0..ngroups)) matches one of
 * c->autos, the first that matches deciding: *duration_ns (may be NULL)
 * then receives how long to block (the entry's "for", else
 * c->default_duration_ns; 0: until unblocked) and *field (may be NULL)
 * the alert field whose address to block ("srcip" or "dstip"; borrowed
 * from c).  0 when none matches.
 */
int respond_auto_match(const struct respond_conf *c, uint32_t rule_id,
    int level, const char *const *groups, int ngroups,
    int64_t *duration_ns);
int respond_auto_match_field(const struct respond_conf *c,
    uint32_t rule_id, int level, const char *const *groups, int ngroups,
    int64_t *duration_ns, const char **field);

/* ---- the server's responder (respond-worker.c) ---- */

struct responder;

/*
 * Starts the responder: a thread with its own bounded queue and its own
 * connection to the database at db_path (db_open()).  c is borrowed and
 * must stay valid until responder_stop().  Returns the responder, or NULL
 * with the reason in err.
 */
struct responder *responder_start(const struct respond_conf *c,
    const char *db_path, char *err, size_t errlen);

/*
 * Asks for an automatic block of addr (a C string taken from an alert;
 * copied, and parsed by the responder, so any text is safe) for
 * duration_ns, for incident_id (0: none) because of reason (may be NULL;
 * copied).  Never blocks.  The responder skips addresses blocked already,
 * allowlisted addresses, internal ones unless respond.block_internal, and
 * any beyond respond.auto_block_max automatic blocks in force; it logs
 * every block and every failure and records them (blocks table, incident
 * timeline).  Returns 0, MAMORI_EAGAIN (queue full: dropped and counted),
 * MAMORI_ECLOSED (stopping) or MAMORI_ENOMEM.
 */
int responder_submit(struct responder *r, const char *addr,
    int64_t duration_ns, int64_t incident_id, const char *reason);

/* Counters since start (any may be NULL). */
void responder_stats(struct responder *r, uint64_t *blocked,
    uint64_t *skipped, uint64_t *failed, uint64_t *dropped);

/* Processes what is queued, stops the thread, closes the database and
 * frees r.  NULL is a no-op. */
void responder_stop(struct responder *r);

/*
 * The server drops root after binding; nftables needs CAP_NET_ADMIN.
 * Call respond_keepcap_before() just before setgid()/setuid() and
 * respond_keepcap_after() just after: the calling thread then holds
 * CAP_NET_ADMIN alone (permitted and effective), and threads it starts
 * afterwards (responder_start()) inherit it.  Each returns 0 or
 * MAMORI_ESYS (errno set).
 */
int respond_keepcap_before(void);
int respond_keepcap_after(void);

#endif
