/*
 * audit.h - the host security audit (`mamori audit`, and the agent's
 * scheduled audit): what a host exposes and how it is set up, checked
 * against what the configuration declares.
 *
 * Checks (each can be turned off; names are used in the configuration,
 * in --only and as "check" in every finding):
 *
 *   listeners       TCP/UDP listening sockets (/proc/net/{tcp,udp}{,6})
 *                   against a declared inventory
 *   world_writable  world-writable files, and directories without the
 *                   sticky bit, in system paths
 *   suid            set-uid/set-gid executables not in the baseline
 *                   (Debian's list, checked against dpkg's md5sums)
 *   accounts        empty passwords, a second UID 0, login shells on
 *                   system accounts, hashes in /etc/passwd
 *   promisc         interfaces in promiscuous mode
 *   clock           clock synchronisation (the kernel's NTP state)
 *   shares          double extensions, bidi names and content that
 *                   does not match the extension (libmagic) in shares
 *   sshd            weak sshd_config settings (Include and Match read
 *                   as sshd reads them)
 *   updates         pending security updates (apt-get -s)
 *   services        enabled systemd/SysV services declared not needed
 *
 * Every system place is read through a root prefix (conf->root, "/" by
 * default): a suspect disk mounted read-only, or a fake root in a test,
 * is checked as if it were the running system.  Symbolic links inside
 * the prefix resolve inside it (openat2 RESOLVE_IN_ROOT).
 *
 * Each finding leaves through host_emit_fn as one JSON line,
 *   {"audit":{"check":"listeners","kind":"new","severity":"high",
 *    "subject":"tcp/0.0.0.0:2323","text":"...","hint":"...", ...}}
 * with app "mamori-audit".  Extra keys depend on the check (path, mode,
 * user, port, program...); docs/audit.md lists them.
 *
 * The second half of this header holds what rootcheck.h shares (the
 * run context, the safe tree walk, the /proc/net parser) and the
 * parsers of untrusted text, exposed for the unit tests and fuzzers.
 */
#ifndef MAMORI_AUDIT_H
#define MAMORI_AUDIT_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "core/yamldoc.h"
#include "host/host.h"

/* Finding severities, lowest first. */
enum {
	AUDIT_SEV_INFO,
	AUDIT_SEV_LOW,
	AUDIT_SEV_MEDIUM,
	AUDIT_SEV_HIGH,
	AUDIT_SEV_CRITICAL,
	AUDIT_NSEV
};

/* "info", "low", "medium", "high", "critical"; NULL when out of range. */
const char *audit_sev_name(int sev);
/* The syslog severity of a finding: critical 2, high 3, medium 4, low 5,
 * info 6. */
int audit_sev_syslog(int sev);

enum {
	AUDIT_LISTENERS,
	AUDIT_WORLD_WRITABLE,
	AUDIT_SUID,
	AUDIT_ACCOUNTS,
	AUDIT_PROMISC,
	AUDIT_CLOCK,
	AUDIT_SHARES,
	AUDIT_SSHD,
	AUDIT_UPDATES,
	AUDIT_SERVICES,
	AUDIT_NCHECKS
};

/* The check's name ("listeners"...), or NULL. */
const char *audit_check_name(int check);
/* The check named name[0..len), or -1. */
int audit_check_by_name(const char *name, size_t len);

/* One entry of the listener inventory: "PROTO/[ADDR:]PORT [PROGRAM]". */
struct audit_listen {
	int		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	int		 family;	/* 0: any address; AF_INET, AF_INET6 */
	uint8_t		 addr[16];	/* 4 bytes for AF_INET */
	uint16_t	 port;		/* 1..65535 */
	char		*program;	/* NULL: any program */
};

struct audit_conf {
	char		 *root;		/* "/" */
	size_t		  max_findings;	/* per check; 0: no limit */
	int		  enabled[AUDIT_NCHECKS];

	struct audit_listen *listen;	/* the inventory */
	size_t		  nlisten;
	int		  listen_declared; /* allow: given (even empty) */

	char		**ww_paths;	/* NULL-terminated lists */
	char		**ww_exclude;	/* fnmatch(3) patterns */

	char		**suid_paths;
	char		**suid_exclude;
	char		**suid_allow;	/* paths or patterns */
	char		 *suid_allow_file; /* one path a line; may be NULL */
	int		  suid_debian;	/* Debian's list is allowed */
	int		  suid_network;	/* descend into NFS, CIFS... */

	char		**shell_allow;	/* system accounts allowed a shell */

	char		**share_paths;
	char		**share_exclude;

	char		 *sshd_config;

	char		 *apt_get;	/* command */
	int64_t		  list_max_age_ns;

	char		**services;	/* not needed */

	int64_t		  schedule_ns;	/* the agent's interval; default
					   24 h, 0: the agent does not run it */
};

/*
 * Fills conf with the defaults (every check on; see docs/audit.md for
 * each default).  Returns 0 or MAMORI_ENOMEM (conf is then released).
 * audit_conf_release() frees what conf holds; conf itself is the
 * caller's.  Releasing a zeroed or released conf is a no-op.
 */
int audit_conf_init(struct audit_conf *conf);
void audit_conf_release(struct audit_conf *conf);

/*
 * host_conf_parse_fn for the "audit" section: conf (a struct
 * audit_conf *) becomes the defaults overlaid with the section, or is
 * left untouched on error (MAMORI_ECONFIG with "FILE:LINE: setting
 * 'audit.x': reason" in d's err, or MAMORI_ENOMEM).
 */
int audit_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf);

/*
 * Parses one inventory entry ("tcp/22", "udp/[::1]:53 named",
 * "tcp/127.0.0.1:5514 mamori"; "*" as the address is any address, as
 * when none is given).  Returns 0 (l->program is the caller's, free())
 * or MAMORI_EINVAL with the reason in err, or MAMORI_ENOMEM.
 */
int audit_listen_parse(const char *s, struct audit_listen *l, char *err,
    size_t errlen);

/* How each check ended. */
enum {
	AUDIT_ST_OFF,		/* turned off (configuration or --only) */
	AUDIT_ST_RAN,		/* ran to the end */
	AUDIT_ST_SKIPPED,	/* not applicable here (note says why) */
	AUDIT_ST_FAILED		/* could not run (note says why; an "error"
				 * finding was emitted too) */
};

struct audit_check_status {
	int		 state;
	size_t		 findings;	/* emitted */
	size_t		 dropped;	/* past max_findings */
	char		 note[256];
};

struct audit_summary {
	size_t		 findings;
	size_t		 by_sev[AUDIT_NSEV];
	struct audit_check_status check[AUDIT_NCHECKS];
};

/*
 * Runs every enabled check in the order of the enum, calling emit once
 * per finding (findings of one check come together).  summary (may be
 * NULL) is filled.  A check that cannot run is reported in its status
 * and as an "error" finding; the run goes on.  Returns 0, the negative
 * code emit returned to stop, MAMORI_ESYS when the root cannot be
 * opened (errno set), or MAMORI_ENOMEM.
 */
int audit_run(const struct audit_conf *conf, host_emit_fn emit, void *arg,
    struct audit_summary *summary);

/* ------------------------------------------------------------------
 * Shared with rootcheck.h: the run context, findings, the root prefix,
 * the tree walk.  Not for other modules.
 */

struct audit_ctx {
	const char	*app;		/* "mamori-audit" */
	const char	*key;		/* "audit": the JSON top-level key */
	char		*root;		/* the prefix, no trailing '/' ("" for /) */
	char		*realroot;	/* its real path, for labels */
	int		 rootfd;	/* O_PATH directory */
	int		 live;		/* the prefix is "/": the running system */
	size_t		 max;		/* findings per check, 0: no limit */
	host_emit_fn	 emit;
	void		*arg;
	const char	*check;		/* of the running check */
	struct audit_check_status *st;	/* of the running check */
	size_t		*total;
	size_t		*by_sev;
};

/*
 * Opens the root prefix root ("/" or a directory).  Returns 0, or
 * MAMORI_ESYS with the reason in err, or MAMORI_ENOMEM.
 * audit_ctx_close() releases it.
 */
int audit_ctx_open(struct audit_ctx *c, const char *root, char *err,
    size_t errlen);
void audit_ctx_close(struct audit_ctx *c);

/*
 * Opens path (absolute, meaning inside the root) with flags, following
 * symbolic links inside the root.  Returns a descriptor or -1 (errno).
 */
int audit_open(const struct audit_ctx *c, const char *path, int flags);

/*
 * Reads the file at path (inside the root) into a new NUL-terminated
 * buffer (caller frees *bufp).  Returns 0; MAMORI_ENOTFOUND when it does
 * not exist; MAMORI_ETOOBIG past max bytes; MAMORI_ESYS (errno); or
 * MAMORI_ENOMEM.
 */
int audit_read(const struct audit_ctx *c, const char *path, size_t max,
    char **bufp, size_t *lenp);

/* A finding as a check builds it.  All strings are borrowed. */
struct audit_finding {
	const char	*kind;		/* may be NULL */
	int		 sev;
	const char	*subject;	/* may be NULL */
	const char	*text;
	const char	*hint;		/* may be NULL */
	void		*extra;		/* json_t object or NULL; borrowed */
};

/*
 * Emits finding f of the running check (c->check) as one JSON line.
 * Strings may hold any bytes: invalid UTF-8 is written as \xHH (and a
 * backslash as \\) so the line stays valid.  Past c->max findings of
 * the check, counts it as dropped instead (the run emits one finding
 * saying how many).  Returns 0 or the code emit returned, or
 * MAMORI_ENOMEM.
 */
int audit_emit(struct audit_ctx *c, const struct audit_finding *f);

/* As audit_emit() with text made by printf. */
int audit_emitf(struct audit_ctx *c, const char *kind, int sev,
    const char *subject, const char *hint, void *extra, const char *fmt,
    ...) __attribute__((format(printf, 7, 8)));

/* Sets the running check's note (printf). */
void audit_note(struct audit_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Marks the running check failed with a note and emits an "error"
 * finding (low) carrying the same text.  Returns what audit_emit
 * returns.
 */
int audit_fail(struct audit_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A JSON string of s[0..n) with invalid UTF-8 escaped as described at
 * audit_emit() (a new reference, json_t *), or NULL on ENOMEM.
 */
void *audit_json_str(const char *s, size_t n);

/*
 * Runs the checks enabled[0..n) of a module: sets c->check and c->st for
 * each, calls run(c, i, arg), emits the "dropped" finding of a check
 * that hit the cap.  Returns 0 or the first code that must stop the run.
 */
int audit_run_checks(struct audit_ctx *c, const int *enabled, size_t n,
    const char *(*name)(int), struct audit_check_status *st,
    int (*run)(struct audit_ctx *, int, void *), void *arg);

/* The tree walk: one entry, valid during the callback. */
struct audit_walk_ent {
	int		 dirfd;		/* of the entry's directory */
	const char	*name;		/* in dirfd */
	const char	*path;		/* inside the root: "/usr/bin/x" */
	const struct stat *st;		/* lstat() of the entry */
	int		 depth;		/* 0 for a start path */
};

/*
 * Called for every entry, directories before their contents.  Returns
 * 0 to go on, AUDIT_WALK_PRUNE to not descend into a directory, or a
 * negative MAMORI_E* code to stop the walk.
 */
#define AUDIT_WALK_PRUNE	1
typedef int (*audit_walk_fn)(struct audit_ctx *c,
    const struct audit_walk_ent *e, void *arg);

#define AUDIT_WALK_XDEV		0x1	/* stay on each start's filesystem */
#define AUDIT_WALK_NETWORK	0x2	/* descend into network filesystems */
#define AUDIT_WALK_MAX_DEPTH	256

/*
 * Walks paths[] (NULL-terminated, inside the root; a start that is a
 * symbolic link is followed inside the root; a start inside another is
 * walked once; a missing start is passed over) without following
 * symbolic links, without crossing into pseudo filesystems (proc,
 * sysfs, devpts, cgroup, tracefs...) nor network ones (unless
 * AUDIT_WALK_NETWORK), never visiting a directory twice, and never
 * descending past AUDIT_WALK_MAX_DEPTH (that is reported once as an
 * error finding of the running check: a tree that deep is a hiding
 * place).  Directory listings come from getdents64(2) itself, so a
 * preloaded library hooking readdir(3) hides nothing.  Entries whose
 * path matches one of exclude[] (fnmatch(3) with FNM_PATHNAME; a
 * directory prunes its subtree) are passed over.  Returns 0 or the
 * first negative code from fn.
 */
int audit_walk(struct audit_ctx *c, char *const *paths,
    char *const *exclude, int flags, audit_walk_fn fn, void *arg);

/* ------------------------------------------------------------------
 * Parsers of untrusted text (files a user or an intruder can write),
 * exposed for the unit tests and fuzzers.  Each takes (p, len) and never
 * reads past it; none needs p NUL-terminated.
 */

/* A socket of /proc/net/{tcp,tcp6,udp,udp6}. */
struct audit_sock {
	uint8_t		 proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t		 family;	/* AF_INET, AF_INET6 */
	uint8_t		 state;		/* TCP state; 0x0A is LISTEN */
	uint8_t		 laddr[16];
	uint8_t		 raddr[16];
	uint16_t	 lport;
	uint16_t	 rport;
	uint32_t	 uid;
	uint64_t	 inode;
};

struct audit_socks {
	struct audit_sock *v;
	size_t		 n;
	size_t		 cap;
	size_t		 bad;		/* lines that did not parse */
};

#define AUDIT_SOCKS_MAX		(1u << 22)	/* sockets kept */

/*
 * Appends the sockets of one /proc/net file (its header line is
 * skipped) to s.  family says which file: AF_INET for tcp/udp, AF_INET6
 * for tcp6/udp6.  Lines that do not parse are counted in s->bad.
 * Returns 0, MAMORI_ETOOBIG (more than AUDIT_SOCKS_MAX; what fitted is
 * kept) or MAMORI_ENOMEM.  audit_socks_release() frees s->v.
 */
int audit_socks_parse(struct audit_socks *s, const char *p, size_t len,
    int proto, int family);
void audit_socks_release(struct audit_socks *s);

/* Reads the four files (through the root) into s.  Returns 0,
 * MAMORI_ENOTFOUND when none exists, or another code. */
int audit_socks_read(const struct audit_ctx *c, struct audit_socks *s,
    int want_tcp, int want_udp);

/* Is the socket listening: TCP LISTEN, or UDP not connected. */
int audit_sock_listening(const struct audit_sock *k);

/* "tcp/0.0.0.0:22", "udp/[::1]:53" into buf. */
void audit_sock_format(const struct audit_sock *k, char *buf, size_t len);

/* One line of /etc/passwd. */
struct audit_pw {
	char		*name;
	char		*passwd;
	uint32_t	 uid;
	uint32_t	 gid;
	char		*home;
	char		*shell;
	size_t		 line;
};

/* One line of /etc/shadow or /etc/group (name, second field, the third
 * as a number for group, members for group). */
struct audit_sp {
	char		*name;
	char		*passwd;
	uint32_t	 id;		/* group: gid; shadow: 0 */
	char		*members;	/* group only; else NULL */
	size_t		 line;
};

struct audit_pwfile {
	struct audit_pw	*pw;		/* passwd */
	struct audit_sp	*sp;		/* shadow or group */
	size_t		 n;
	size_t		 bad;		/* malformed lines */
	size_t		 first_bad;	/* line number of the first */
};

#define AUDIT_PW_MAX_LINES	(1u << 20)

/*
 * Parses passwd (7 fields), shadow (9 fields, only the first two kept)
 * or group (4 fields) text into f.  NIS compat lines (+name, -name) and
 * empty lines are passed over; malformed ones (a wrong field count, a
 * bad id, a NUL byte, an empty name) counted.  Returns 0, MAMORI_ETOOBIG
 * past AUDIT_PW_MAX_LINES entries, or MAMORI_ENOMEM.
 * audit_pwfile_release() frees f.
 */
#define AUDIT_PW_PASSWD		0
#define AUDIT_PW_SHADOW		1
#define AUDIT_PW_GROUP		2
int audit_pwfile_parse(struct audit_pwfile *f, int which, const char *p,
    size_t len);
void audit_pwfile_release(struct audit_pwfile *f);

/* One sshd_config setting, in file order. */
struct audit_sshd_opt {
	char		*key;		/* lowercase keyword */
	char		*value;		/* the first argument (unquoted) */
	char		*args;		/* the whole argument text */
	char		*match;		/* the Match condition, NULL if global */
	char		*file;
	size_t		 line;
};

struct audit_sshd {
	struct audit_sshd_opt *v;
	size_t		 n;
	size_t		 cap;
	size_t		 bad;		/* lines without a value */
	size_t		 includes_missing;
	char		*err;		/* the first error, or NULL */
};

#define AUDIT_SSHD_MAX_DEPTH	16
#define AUDIT_SSHD_MAX_OPTS	100000

/*
 * Reads an Include argument: calls back with each file the glob names
 * (the callback parses it with audit_sshd_parse() at depth + 1).
 * Returns 0 or a negative code.
 */
typedef int (*audit_sshd_include_fn)(struct audit_sshd *s,
    const char *pattern, const char *match, int depth, void *arg);

/*
 * Parses one sshd_config file's text, as sshd does: a keyword
 * (case-insensitive) and its arguments separated by spaces or one '=',
 * double quotes around an argument, '#' comments, Match blocks lasting
 * to the next Match or the end of the file, Include (through inc; NULL
 * passes it over) at most AUDIT_SSHD_MAX_DEPTH deep.  match is the
 * Match condition in force where this file is included (NULL:
 * global).  Returns 0, MAMORI_ETOOBIG (too many settings or too deep),
 * or MAMORI_ENOMEM.  audit_sshd_release() frees s.
 */
int audit_sshd_parse(struct audit_sshd *s, const char *file,
    const char *p, size_t len, const char *match, int depth,
    audit_sshd_include_fn inc, void *arg);
void audit_sshd_release(struct audit_sshd *s);

/*
 * The effective global value of key (lowercase): the first value given
 * outside Match blocks, else in a "Match all" block, else NULL.  *opt
 * (may be NULL) gets the setting.
 */
const char *audit_sshd_global(const struct audit_sshd *s, const char *key,
    const struct audit_sshd_opt **opt);

/* A package apt would install or upgrade ("Inst" line). */
struct audit_apt_pkg {
	char		*name;
	char		*old;		/* NULL for a new package */
	char		*new;
	char		*origins;	/* "Debian-Security:12/stable-security, ..." */
	char		*arch;
	int		 security;
};

struct audit_apt {
	struct audit_apt_pkg *v;
	size_t		 n;
	size_t		 cap;
	size_t		 bad;		/* Inst lines that did not parse */
};

#define AUDIT_APT_MAX		100000

/*
 * Parses `apt-get -s dist-upgrade` output: each
 *   Inst NAME [OLD] (NEW ORIGIN[, ORIGIN...] [ARCH]) [...]
 * line.  An origin "LABEL:VERSION/ARCHIVE" is a security one when its
 * label contains "security" or its archive ends in "-security" (any
 * case).  Other lines are passed over.  Returns 0, MAMORI_ETOOBIG or
 * MAMORI_ENOMEM.  audit_apt_release() frees a.
 */
int audit_apt_parse(struct audit_apt *a, const char *p, size_t len);
void audit_apt_release(struct audit_apt *a);

/* The checks (audit-*.c), run by audit_run() with c->check and c->st
 * set.  Each returns 0 (its outcome is in c->st), or a negative code
 * that stops the run (emit's, or MAMORI_ENOMEM). */
int audit_check_listeners(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_world_writable(struct audit_ctx *c,
    const struct audit_conf *conf);
int audit_check_suid(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_accounts(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_promisc(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_clock(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_shares(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_sshd(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_updates(struct audit_ctx *c, const struct audit_conf *conf);
int audit_check_services(struct audit_ctx *c, const struct audit_conf *conf);

/* Does adjtimex()'s answer (its return value and timex.status) say the
 * clock is not synchronised (TIME_ERROR, or STA_UNSYNC)? */
int audit_clock_unsynced(int state, int status);

/* ------------------------------------------------------------------
 * Printing findings for a person (the audit and rootcheck commands).
 */
#include <stdio.h>

struct audit_printer {
	FILE		*out;
	int		 json;		/* print the JSON lines as they are */
	const char	*key;		/* "audit" or "rootcheck" */
	char		 check[64];	/* the check of the last finding */
};

/*
 * host_emit_fn (arg: a struct audit_printer *): with json, writes the
 * finding's line; else a heading for each new check, then the
 * finding's severity, text and fix hint, with control and
 * bidirectional characters shown escaped (\x1b, \u202e) so a file name
 * cannot drive the terminal.  Returns 0, or MAMORI_EIO when out fails.
 */
int audit_print_emit(void *arg, const struct host_finding *f);

/* The table of checks with their outcome, and the totals. */
void audit_print_summary(FILE *out, const struct audit_check_status *st,
    size_t n, const char *(*name)(int), size_t total,
    const size_t *by_sev);

#endif
