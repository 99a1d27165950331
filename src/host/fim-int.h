/*
 * fim-int.h - what the src/host/fim-*.c files share; not for other
 * modules (they use fim.h).
 */
#ifndef MAMORI_FIM_INT_H
#define MAMORI_FIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "host/fim.h"

#define FIM_HASH_MAX	64		/* bytes of the longest digest */
#define FIM_DB_FORMAT	1

/*
 * One file system entry and its attributes.  A value is "absent" when
 * the attribute does not apply to the type (no digest for a directory,
 * no target for a file) or could not be read (err says why): absent
 * against present is a change.  All strings are owned by the entry.
 */
struct fim_entry {
	char		*path;		/* NUL-terminated; plen bytes */
	size_t		 plen;
	uint32_t	 attrs;		/* recorded: the rule's FIM_A_* */
	char		 type;		/* f d l c b p s ('?' unknown) */
	uint32_t	 perms;		/* st_mode & 07777 */
	uint32_t	 uid, gid;
	uint64_t	 size, ino, nlink;
	int64_t		 mtime, ctime;	/* nanoseconds since the epoch */
	uint8_t		 hash[FIM_HASH_MAX];
	uint8_t		 hlen;		/* 0: absent */
	char		*target;	/* symlink target, tlen bytes */
	size_t		 tlen;
	char		*acl;		/* text form, NULL: absent */
	uint8_t		*xattrs;	/* canonical blob (fim_xattrs_*) */
	size_t		 xlen;
	int		 has_xattrs;
	char		*selinux;	/* NULL: absent */
	char		*caps;		/* "" none; NULL: absent */
	char		*err;		/* what could not be read; NULL */

	/* Scan pipeline (not stored). */
	int		 fd;		/* open regular file for a worker */
	uint64_t	 dev;
	struct stat	 st;		/* as the walker saw it */
	int		 job;		/* waits for a worker */
	int		 done;
	int		 gone;		/* vanished during the scan: dropped */
	int		 missing;	/* not an entry: a configured path
					 * that is missing (errno) or an
					 * entry that cannot be seen */
};

struct fim_entry *fim_entry_new(const char *path, size_t plen);
void fim_entry_free(struct fim_entry *e);
/* Frees the values, keeps path (for reuse by the reader). */
void fim_entry_clear_values(struct fim_entry *e);

/* Type letter of a st_mode; "file", "directory"... for a letter. */
char fim_type_of(mode_t m);
const char *fim_type_name(char t);

/* The attributes that can apply to type t. */
uint32_t fim_attrs_for_type(char t);

/*
 * Fills e's attributes (e->attrs says which) from st and, where needed,
 * the open descriptor fd (-1: use the path; fd is not closed here).  For
 * regular files with FIM_A_HASH, md is the algorithm and buf/buflen a
 * read buffer; ctx a digest context of the caller's.  Failures to read
 * go to e->err, never stop the scan.  Returns 0 or MAMORI_ENOMEM.
 */
int fim_attr_collect(struct fim_entry *e, const struct stat *st, int fd,
    const EVP_MD *md, EVP_MD_CTX *ctx, uint8_t *buf, size_t buflen);

/* Attributes (of a & b's recorded ones) whose values differ. */
uint32_t fim_entry_diff(const struct fim_entry *a, const struct fim_entry *b);

/* Feeds e's canonical encoding into ctx (the baseline digest). */
int fim_entry_digest(EVP_MD_CTX *ctx, const struct fim_entry *e);

/* Path order: component by component, each compared bytewise ("a" <
 * "a/b" < "a-b"): the order a sorted depth-first walk gives. */
int fim_path_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* The EVP algorithm of FIM_HASH_* h (fetched; free with EVP_MD_free). */
EVP_MD *fim_md_fetch(int h);
int fim_hash_by_name(const char *name);		/* -1 unknown */

/* Shell-style exclude patterns: a pattern with '/' against the whole
 * path, otherwise against the last component. */
int fim_excluded(char *const *pats, size_t n, const char *path,
    const char *name);

/* The configuration fingerprint: hex SHA-256 (65 bytes). */
void fim_conf_fingerprint(const struct fim_conf *c, char *out);
/* Rule for path (the deepest whose path contains it), or NULL. */
const struct fim_rule *fim_conf_rule_for(const struct fim_conf *c,
    const char *path);
int fim_conf_threads(const struct fim_conf *c);

/* ---- Walk (fim-scan.c) ---- */

/*
 * Runs a scan of conf's rules; consume is called on the caller's thread
 * with each entry in path order (it takes ownership and must free it
 * with fim_entry_free()).  Returns 0, the first nonzero return of
 * consume, or a negative code with err set.  missing() is called for a
 * configured path that does not exist.
 */
struct fim_scan_cb {
	int	(*consume)(void *arg, struct fim_entry *e);
	int	(*missing)(void *arg, const char *path, int errnum);
	void	*arg;
	/* When set: a baseline whose digest of a regular file is reused
	 * when its size, mtime, ctime and inode are unchanged. */
	const char *trust_db;
};
int fim_scan(const struct fim_conf *conf, int hash, const struct fim_scan_cb *cb,
    char *err, size_t errlen);

/* Collects one path's entry as a scan would (the watcher): 0 and *ep,
 * MAMORI_ENOTFOUND when it does not exist, or another code. */
int fim_scan_one(const struct fim_conf *conf, int hash, const char *path,
    struct fim_entry **ep);

/* ---- Baseline store (fim-db.c) ---- */

struct fim_meta {
	int		 format;
	int64_t		 created, updated;
	char		 host[256];
	char		 algorithm[16];
	char		 fingerprint[65];
	uint64_t	 entries;
	char		 digest[129];
};

struct fim_db;
/* Opens path read-only.  MAMORI_ENOTFOUND, MAMORI_ECORRUPT, MAMORI_EDB. */
int fim_db_open(const char *path, struct fim_db **dbp, struct fim_meta *m,
    char *err, size_t errlen);
/* Next entry in walk order into e (reused; path reallocated).  1 entry,
 * 0 end, negative error. */
int fim_db_next(struct fim_db *db, struct fim_entry *e);
/* The entry of path: 0, MAMORI_ENOTFOUND, or an error. */
int fim_db_lookup(struct fim_db *db, const char *path, struct fim_entry *e);
void fim_db_close(struct fim_db *db);

/* A new baseline written next to path and renamed over it by commit. */
struct fim_dbw;
int fim_dbw_create(const char *path, struct fim_dbw **wp, char *err,
    size_t errlen);
int fim_dbw_add(struct fim_dbw *w, const struct fim_entry *e);
int fim_dbw_commit(struct fim_dbw *w, const struct fim_meta *m, char *err,
    size_t errlen);
void fim_dbw_abort(struct fim_dbw *w);	/* removes the temporary file */

/* Starts a baseline digest over the header fields (not the times). */
int fim_digest_begin(EVP_MD_CTX *ctx, const struct fim_meta *m);
/* Finishes with the entry count, hex into out (129 bytes). */
int fim_digest_end(EVP_MD_CTX *ctx, uint64_t entries, char *out);

/* ---- Findings (fim-json.c) ---- */

/* JSON text of an added/removed/modified finding. */
enum { FIM_EV_ADDED, FIM_EV_REMOVED, FIM_EV_MODIFIED };
int fim_emit_change(host_emit_fn emit, void *arg, int kind,
    const struct fim_entry *old, const struct fim_entry *cur,
    uint32_t changed, int hash, const char *scan);
/* Any other event: fields as a jansson object (stolen). */
struct json_t;
int fim_emit_event(host_emit_fn emit, void *arg, int severity,
    const char *event, struct json_t *fields);
/* A string from arbitrary bytes: valid UTF-8 as is; '\\' and each byte
 * that is not UTF-8 escaped as "\\" and "\xNN".  NULL on ENOMEM. */
struct json_t *fim_json_bytes(const char *s, size_t n);

/* ---- xattr blob ---- */
/* Canonical blob: entries sorted by name, each name NUL u32le-len value. */
typedef int (*fim_xattr_fn)(void *arg, const char *name, const uint8_t *v,
    size_t vlen);
int fim_xattrs_each(const uint8_t *blob, size_t len, fim_xattr_fn fn,
    void *arg);

#endif
