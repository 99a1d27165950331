/*
 * fim.h - file integrity monitoring: a baseline of the attributes of the
 * files under chosen paths (type, permissions, owner, size, times, inode,
 * links, symlink target, a digest of the content, ACLs, extended
 * attributes, SELinux label, file capabilities), kept in its own SQLite
 * file, and checks of the file system against it, AIDE-like.
 *
 * Workload: a full scan of a system tree such as /usr (10^5 - 10^6
 * entries, gigabytes of content) on a few cores.  One thread walks the
 * tree in sorted order (openat/fstatat relative to directory descriptors,
 * never following a symlink), a pool of threads hashes the regular files
 * and reads their extended attributes, and the calling thread takes the
 * entries back in walk order to write the baseline (one transaction) or
 * to merge them with the baseline read in the same order.  Memory stays
 * bounded by the pipeline (a few thousand entries), not by the tree.
 *
 * Every change leaves the module as a finding (host.h): app-name
 * "mamori-fim", a message of one line of JSON {"fim":{...}} (see
 * docs/fim.md for the events and their fields).
 *
 * Configuration: the `fim:` section of the agent's file (host.h):
 *
 *   fim:
 *     database: /var/lib/mamori/fim.db
 *     hash: sha256                  # sha256 | sha512 | blake2b
 *     threads: 0                    # hashing threads; 0: one per CPU
 *     trust_metadata: false         # check: reuse digests of files whose
 *                                   # size, mtime, ctime and inode match
 *     schedule: 12h                 # full checks by the agent
 *     groups:                       # named attribute sets (aide.conf's
 *       logfile: [metadata, -links] #   "NAME = expr")
 *     exclude: ["*.swp", /etc/mtab]
 *     paths:
 *       - /etc                      # default attributes
 *       - path: /var/log
 *         attributes: logfile
 *         recurse: 2                # levels below the path; true: all
 *         exclude: ["*.gz"]
 *         cross_filesystems: false
 *     realtime: [/etc, /usr/bin]
 */
#ifndef MAMORI_FIM_H
#define MAMORI_FIM_H

#include <stddef.h>
#include <stdint.h>

#include "host/host.h"

/* Attributes, one bit each.  FIM_A_HASH is the digest by the baseline's
 * algorithm (named by it in findings: "sha256", ...). */
#define FIM_A_TYPE	(1u << 0)
#define FIM_A_PERMS	(1u << 1)
#define FIM_A_UID	(1u << 2)
#define FIM_A_GID	(1u << 3)
#define FIM_A_SIZE	(1u << 4)
#define FIM_A_MTIME	(1u << 5)
#define FIM_A_CTIME	(1u << 6)
#define FIM_A_INODE	(1u << 7)
#define FIM_A_LINKS	(1u << 8)
#define FIM_A_TARGET	(1u << 9)
#define FIM_A_HASH	(1u << 10)
#define FIM_A_ACL	(1u << 11)
#define FIM_A_XATTRS	(1u << 12)
#define FIM_A_SELINUX	(1u << 13)
#define FIM_A_CAPS	(1u << 14)
#define FIM_A_NATTRS	15
#define FIM_A_ALL	((1u << FIM_A_NATTRS) - 1)
/* The "default" group: everything. */
#define FIM_A_DEFAULT	FIM_A_ALL

/* Digest algorithms. */
#define FIM_HASH_SHA256		0
#define FIM_HASH_SHA512		1
#define FIM_HASH_BLAKE2B	2

/* One path to watch and how. */
struct fim_rule {
	char		*path;		/* absolute, no trailing '/' */
	uint32_t	 attrs;		/* FIM_A_* */
	int		 depth;		/* levels below path; -1: all */
	int		 xdev;		/* descend into other file systems */
	char		**exclude;	/* NULL-terminated (may be NULL) */
	size_t		 nexclude;
	size_t		 line;		/* in the configuration; 0: command line */
};

/* A named attribute set (groups:, and the built-in ones). */
struct fim_group {
	char		*name;
	uint32_t	 attrs;
};

struct fim_conf {
	char		*database;	/* default FIM_DEFAULT_DB */
	int		 hash;		/* FIM_HASH_*; default sha256 */
	int		 threads;	/* 0: one per CPU */
	int		 trust_metadata;
	int64_t		 schedule_ns;	/* default 12 h */
	struct fim_rule	*rules;
	size_t		 nrules;
	char		**exclude;	/* global, NULL-terminated or NULL */
	size_t		 nexclude;
	char		**realtime;	/* NULL-terminated or NULL */
	size_t		 nrealtime;
	struct fim_group *groups;	/* user-defined */
	size_t		 ngroups;
	char		*path;		/* the configuration file, for messages */
};

#define FIM_DEFAULT_DB	"/var/lib/mamori/fim.db"

/* What a run found.  err holds the reason when a run fails. */
struct fim_summary {
	uint64_t	 entries;	/* entries scanned (init, check, update) */
	uint64_t	 added, removed, changed;
	uint64_t	 errors;	/* entries that could not be read fully */
	int		 baseline_ok;	/* check: stored digest matches (1) */
	int		 conf_changed;	/* check: baseline made with other
					 * attributes or paths */
	char		 digest[129];	/* hex: baseline digest written (init,
					 * update) or read (check) */
	char		 algorithm[16];	/* of the baseline */
	int64_t		 created, updated;	/* baseline, Unix seconds */
	int		 write_failed;	/* the error was writing the baseline */
	char		 err[512];
};

/* Defaults into c (nothing allocated).  fim_conf_release() frees what
 * parsing or fim_conf_set_paths() allocated and leaves the defaults. */
void fim_conf_init(struct fim_conf *c);
void fim_conf_release(struct fim_conf *c);

/*
 * host_conf_parse_fn for the `fim:` section: reads node into conf (a
 * struct fim_conf * set up by fim_conf_init()).  Returns 0 or
 * MAMORI_ECONFIG ("FILE:LINE: setting 'fim.paths[2].attributes':
 * unknown attribute 'sha265' (did you mean 'sha256'?)") / MAMORI_ENOMEM.
 * On error conf is left as it was before the call.
 */
int fim_conf_parse(struct ydoc *d, yaml_node_t *node, const char *name,
    void *conf);

/*
 * Replaces the configured paths with paths[0..n), each with the default
 * attributes, all levels and the global excludes (the command line's
 * PATH...).  Relative paths are made absolute against the working
 * directory.  Returns 0, MAMORI_EINVAL (with err) or MAMORI_ENOMEM.
 */
int fim_conf_set_paths(struct fim_conf *c, char *const *paths, size_t n,
    char *err, size_t errlen);

/* Replaces the database path (--db).  0 or MAMORI_ENOMEM. */
int fim_conf_set_database(struct fim_conf *c, const char *path);

/* Parses an attribute list such as "default,-mtime" or "perms+uid" (the
 * names of fim_attr_name(), groups of c, separated by ',' or '+', '-'
 * removing).  0 or MAMORI_EINVAL with err. */
int fim_conf_attrs(const struct fim_conf *c, const char *expr,
    uint32_t *out, char *err, size_t errlen);

/* The name of attribute bit a (one FIM_A_* bit) as findings give it; the
 * hash is named by algorithm hash.  Static string. */
const char *fim_attr_name(uint32_t a, int hash);
/* "sha256", "sha512", "blake2b". */
const char *fim_hash_name(int hash);

/*
 * fim_init(), fim_check() and fim_update() block for the whole scan
 * (seconds for /etc, about ten for /usr on two cores): the agent runs
 * them on a thread of its own.  They start their own worker threads and
 * call emit only on the calling thread, in path order.  conf is only
 * read; several runs may share it.  Returning non-zero from emit stops
 * the run early.
 *
 * Scans the configured paths and writes a new baseline to conf->database
 * (through a temporary file renamed over it: the old one stays until the
 * new one is complete).  Emits an "error" finding per entry that could
 * not be read fully and, at the end, a "baseline" finding with the
 * baseline's digest and entry count, which the agent sends to the server
 * so that a swapped baseline is noticed.  sum (may be NULL) receives the
 * counts, the digest and on error the reason.
 *
 * Returns 0, MAMORI_ECONFIG (no paths), MAMORI_ESYS/MAMORI_EDB (cannot
 * write the database), MAMORI_ENOMEM, or the code an emit call returned.
 */
int fim_init(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum);

/*
 * Scans the configured paths and compares them with the baseline in
 * conf->database: one finding per added, removed or changed entry (in
 * path order), then a "summary" finding.  The baseline's entries are
 * hashed again while they are read; when that digest differs from the
 * one stored at init/update, a "baseline_mismatch" finding follows and
 * sum->baseline_ok is 0.  Hashes use the baseline's algorithm.
 *
 * Returns 0 (whatever changed: see sum), MAMORI_ENOTFOUND (no baseline:
 * a "baseline_missing" finding was emitted), MAMORI_ECORRUPT (not a
 * baseline, or of an unknown format), MAMORI_EDB, MAMORI_ESYS,
 * MAMORI_ENOMEM or an emit code; sum->err says why.
 */
int fim_check(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum);

/*
 * fim_check() and then replaces the baseline with what was scanned
 * (keeping its creation time and digest algorithm: run fim_init() to
 * change the algorithm), emitting the "baseline" finding as fim_init()
 * does.  A baseline whose digest does not match is still
 * replaced: the mismatch was reported, and the new baseline is made
 * from the file system, not from the old one.
 */
int fim_update(const struct fim_conf *conf, host_emit_fn emit, void *arg,
    struct fim_summary *sum);

/*
 * Realtime watching of conf->realtime (inotify; every directory below
 * them, new ones added as they appear).  fim_watch_open() returns a file
 * descriptor to poll for reading (owned by the watch: do not close it)
 * and sets *wp (free with fim_watch_close()), or a negative MAMORI_E*
 * code (MAMORI_ECONFIG: no realtime directories; MAMORI_ESYS).  The
 * baseline is opened read-only on each fim_watch_process() call if it
 * changed since (fim_update() replaces the file).
 *
 * fim_watch_process() reads the pending events (never blocks), compares
 * each changed path's current attributes with its baseline entry, and
 * emits "added", "removed" or "modified" findings with "scan":
 * "realtime" (one per path and state: a file saved twice in the same
 * state is reported once).  Lost events (queue overflow) give an
 * "overflow" finding: run a full check.  Returns 0, or a negative code.
 *
 * conf must outlive the watch.
 */
struct fim_watch;
/* Returns the descriptor (>= 0) or a negative MAMORI_E* code. */
int fim_watch_open(const struct fim_conf *conf, struct fim_watch **wp);
int fim_watch_process(struct fim_watch *w, host_emit_fn emit, void *arg);
void fim_watch_close(struct fim_watch *w);
/* Directories watched now (for status output). */
size_t fim_watch_count(const struct fim_watch *w);

#endif
