/*
 * rootcheck.h - signs of a rootkit (`mamori rootcheck`, and the agent's
 * scheduled rootcheck).  A rootkit hides what it runs; each check looks
 * at one thing through two doors and reports what only one of them
 * shows:
 *
 *   processes      the /proc listing (getdents64) against probes of
 *                  every PID up to pid_max (kill 0, getpgid, getsid,
 *                  sched_getscheduler, a lookup of /proc/PID), and
 *                  filesystems mounted over /proc/PID
 *   ports          every TCP and UDP port, IPv4 and IPv6, bound and
 *                  released at once, against the sockets /proc/net lists
 *   modules        /proc/modules against /sys/module (and ftrace's
 *                  list of module functions), and modules known to be
 *                  rootkits
 *   rootkit_files  files and directories of known rootkits (a data list,
 *                  etc/rootkits.txt)
 *   tmp            executables under /tmp, /var/tmp and /dev/shm
 *   dev            regular files in /dev
 *
 * Every candidate of the first three is checked again (rechecks times)
 * before it is reported, so that a process or a socket that came or went
 * during the scan is not taken for a hidden one.  processes and ports
 * need the running kernel: with a root prefix other than "/" they are
 * skipped; the other checks read through the prefix (audit.h).
 *
 * Findings are JSON lines of app "mamori-rootcheck":
 *   {"rootcheck":{"check":"processes","kind":"hidden","severity":
 *    "critical","subject":"pid 4242","text":"...","hint":"...",...}}
 *
 * A clean Debian host gives no findings at the defaults.
 */
#ifndef MAMORI_ROOTCHECK_H
#define MAMORI_ROOTCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/yamldoc.h"
#include "host/audit.h"
#include "host/host.h"

enum {
	ROOTCHECK_PROCESSES,
	ROOTCHECK_PORTS,
	ROOTCHECK_MODULES,
	ROOTCHECK_ROOTKIT_FILES,
	ROOTCHECK_TMP,
	ROOTCHECK_DEV,
	ROOTCHECK_NCHECKS
};

/* The check's name ("processes"...), or NULL. */
const char *rootcheck_check_name(int check);
/* The check named name[0..len), or -1. */
int rootcheck_check_by_name(const char *name, size_t len);

struct rootcheck_list;

struct rootcheck_conf {
	char		 *root;		/* "/" */
	size_t		  max_findings;	/* per check; 0: no limit */
	int		  enabled[ROOTCHECK_NCHECKS];
	int		  rechecks;	/* 1..10, default 3 */
	char		 *rootkit_list;	/* NULL: the bundled list */
	struct rootcheck_list *list;	/* rootkit_list parsed (owned), or
					 * NULL: rootcheck_run() loads it */
	char		**rootkit_ignore; /* paths or patterns, NULL-terminated */
	char		**tmp_paths;
	char		**tmp_ignore;
	char		**dev_allow;
	int64_t		  schedule_ns;	/* the agent's interval; default
					   12 h, 0: the agent does not run it */
};

/*
 * Fills conf with the defaults.  Returns 0 or MAMORI_ENOMEM (conf is
 * then released).  rootcheck_conf_release() frees what conf holds;
 * releasing a zeroed or released conf is a no-op.
 */
int rootcheck_conf_init(struct rootcheck_conf *conf);
void rootcheck_conf_release(struct rootcheck_conf *conf);

/*
 * host_conf_parse_fn for the "rootcheck" section: conf (a struct
 * rootcheck_conf *) becomes the defaults overlaid with the section, or
 * is left untouched on error (MAMORI_ECONFIG with "FILE:LINE: setting
 * 'rootcheck.x': reason", or MAMORI_ENOMEM).  A rootkit list named by
 * the section is loaded once here, so its errors are configuration
 * errors.
 */
int rootcheck_conf_parse(struct ydoc *d, yaml_node_t *node,
    const char *name, void *conf);

struct rootcheck_summary {
	size_t		 findings;
	size_t		 by_sev[AUDIT_NSEV];
	struct audit_check_status check[ROOTCHECK_NCHECKS];
};

/*
 * Runs every enabled check in order, calling emit once per finding;
 * summary (may be NULL) is filled.  Returns 0, the code emit returned
 * to stop, MAMORI_ESYS when the root cannot be opened, or
 * MAMORI_ENOMEM.  A check that cannot run is reported in its status and
 * as an "error" finding.
 */
int rootcheck_run(const struct rootcheck_conf *conf, host_emit_fn emit,
    void *arg, struct rootcheck_summary *summary);

/* ------------------------------------------------------------------
 * The known-rootkit list (etc/rootkits.txt): one entry a line,
 *
 *   KIND  PATH-OR-NAME  ROOTKIT NAME...
 *
 * KIND is "file" (exists and is not a directory), "dir" (is a
 * directory), "any" (exists), or "module" (a kernel module of that
 * name is loaded).  A path is absolute; one with spaces or odd bytes
 * is written in double quotes with \" \\ \t \n \xHH escapes.  '#'
 * starts a comment line.
 */
enum {
	ROOTCHECK_RK_FILE,
	ROOTCHECK_RK_DIR,
	ROOTCHECK_RK_ANY,
	ROOTCHECK_RK_MODULE
};

struct rootcheck_rk {
	int		 kind;
	char		*what;		/* the path, or the module name */
	char		*name;		/* the rootkit */
	size_t		 line;
};

struct rootcheck_list {
	struct rootcheck_rk *v;
	size_t		 n;
	size_t		 cap;
};

#define ROOTCHECK_LIST_MAX	100000		/* entries */
#define ROOTCHECK_LIST_BYTES	(8u << 20)

/*
 * Parses the list's text p[0..len) (file names it in messages).
 * Returns 0, or MAMORI_ECONFIG with "FILE:LINE: reason" in err (nothing
 * is kept), MAMORI_ETOOBIG, or MAMORI_ENOMEM.  rootcheck_list_release()
 * frees l.
 */
int rootcheck_list_parse(struct rootcheck_list *l, const char *file,
    const char *p, size_t len, char *err, size_t errlen);
/* Reads and parses the file at path (of this machine, not of the root
 * prefix); NULL is the bundled list.  Same returns, plus MAMORI_ESYS
 * and MAMORI_ENOTFOUND (no bundled list) with err set. */
int rootcheck_list_load(struct rootcheck_list *l, const char *path,
    char *err, size_t errlen);
void rootcheck_list_release(struct rootcheck_list *l);

/* The checks (rootcheck-*.c), run by rootcheck_run(). */
int rootcheck_check_processes(struct audit_ctx *c,
    const struct rootcheck_conf *conf);
int rootcheck_check_ports(struct audit_ctx *c,
    const struct rootcheck_conf *conf);
int rootcheck_check_modules(struct audit_ctx *c,
    const struct rootcheck_conf *conf, const struct rootcheck_list *l);
int rootcheck_check_files(struct audit_ctx *c,
    const struct rootcheck_conf *conf, const struct rootcheck_list *l);
int rootcheck_check_tmp(struct audit_ctx *c,
    const struct rootcheck_conf *conf);
int rootcheck_check_dev(struct audit_ctx *c,
    const struct rootcheck_conf *conf);

/*
 * The process check's core, for tests: lists procdir (a /proc, or a
 * directory standing for one) and probes every PID from 1 to pid_max;
 * calls found(pid, arg) for each PID that answers a probe but is
 * neither listed nor a thread of a listed process after rechecks
 * rounds.  Returns 0, MAMORI_ESYS (procdir cannot be read), or the
 * first non-zero code found returned.
 */
int rootcheck_hidden_pids(const char *procdir, long pid_max, int rechecks,
    int (*found)(long pid, unsigned probes, void *arg), void *arg);

/* Bits of the probes that answered, as found() receives them. */
#define ROOTCHECK_PROBE_KILL	0x01
#define ROOTCHECK_PROBE_PGID	0x02
#define ROOTCHECK_PROBE_SID	0x04
#define ROOTCHECK_PROBE_SCHED	0x08
#define ROOTCHECK_PROBE_STAT	0x10

#endif
