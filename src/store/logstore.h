/*
 * logstore.h - the raw log store: append-only, hash-chained, sealed
 * segments.
 *
 * Layout under <data>/log/: numbered segment files; the active one is
 * appended to, sealed ones are zstd-compressed and each has a checkpoint
 * (its record range, time range and last chain hash) authenticated with a
 * key kept outside the data directory.  Every record's hash covers the
 * previous record's hash, so changing, removing, inserting or reordering a
 * record breaks the chain, and the keyed checkpoints make rewriting the
 * whole chain detectable too.  Retention removes whole sealed segments and
 * records that it did so in the chain itself, so verification can tell
 * expiry from deletion.
 *
 * One writer thread owns a struct logstore.  Readers (search, verify) open
 * the directory on their own and may run while the writer appends: they
 * stop cleanly at a record still being written.
 */
#ifndef MAMORI_LOGSTORE_H
#define MAMORI_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

struct logstore_opts {
	const char	*dir;		/* data directory; log/ is made in it */
	const char	*key_path;	/* seal key; created (0600) if absent */
	uint64_t	 segment_bytes;	/* seal the active segment at this size */
	int64_t		 segment_age_ns; /* ... or when its first record is older */
	int64_t		 retention_ns;	/* expire sealed segments older than this */
	uint64_t	 retention_bytes; /* ... and the oldest beyond this total;
					    0: no size limit */
	int		 zstd_level;
	/* Told about what the store did on its own (torn tail repaired,
	 * segment sealed, segment expired).  May be NULL. */
	void		(*notice)(void *arg, const char *msg);
	void		*notice_arg;
};

struct logstore_stats {
	uint64_t	records;	/* records appended since open */
	uint64_t	bytes;		/* bytes appended since open */
	uint64_t	next_seq;	/* sequence number of the next record */
	uint64_t	segments;	/* segment files present */
	uint64_t	disk_bytes;	/* their total size */
	uint64_t	syncs;		/* fsyncs since open */
	uint64_t	sealed;		/* segments sealed since open */
	uint64_t	expired;	/* segments expired since open */
};

struct logstore;

/*
 * Opens (creating if needed) the store under o->dir, reads or creates the
 * key, and repairs a torn tail left by a crash (reported via o->notice).
 * Returns the store, or NULL with a message in err.  Caller closes with
 * logstore_close().
 */
struct logstore *logstore_open(const struct logstore_opts *o, char *err,
    size_t errlen);

/*
 * Appends ev as the next record and sets ev->seq.  The record is written
 * but not necessarily on disk until logstore_sync().  Seals the active
 * segment first if it is full.  Returns 0 or a MAMORI_E* code.
 */
int logstore_append(struct logstore *ls, struct event *ev);

/* Makes every appended record durable (fsync).  Returns 0 or MAMORI_EIO. */
int logstore_sync(struct logstore *ls);

/* Seals the active segment if it is old enough and applies retention at
 * time now_ns.  Call periodically.  Returns 0 or a MAMORI_E* code. */
int logstore_maintain(struct logstore *ls, int64_t now_ns);

/* Seals the active segment now, whatever its size or age (if it holds any
 * record).  Returns 0 or a MAMORI_E* code. */
int logstore_seal(struct logstore *ls);

void logstore_get_stats(const struct logstore *ls, struct logstore_stats *st);

/* Syncs and closes; the active segment stays active.  NULL is a no-op. */
void logstore_close(struct logstore *ls);

/*
 * Reading.  A reader walks every record in order, oldest first.  Records
 * come back as events with every field as stored, including seq.
 */
struct logstore_reader;

/* Returns a reader over the store in dir, or NULL with a message in err. */
struct logstore_reader *logstore_reader_open(const char *dir, char *err,
    size_t errlen);

/* Skips segments whose receive-time range lies outside [min_ns, max_ns]. */
void logstore_reader_set_range(struct logstore_reader *r, int64_t min_ns,
    int64_t max_ns);

/*
 * Sets *ev to the next record (caller frees with event_free()).  Returns 0,
 * MAMORI_ENOTFOUND at the end, or MAMORI_ECORRUPT with a message in err.
 */
int logstore_reader_next(struct logstore_reader *r, struct event **ev,
    char *err, size_t errlen);

void logstore_reader_close(struct logstore_reader *r);

/*
 * Verification: checks every segment's chain, every checkpoint against the
 * key, continuity between segments and that every missing segment was
 * expired by retention.  Returns 0 when intact (summary in msg, one line),
 * MAMORI_ECORRUPT naming the first record or segment that was changed,
 * removed, inserted or reordered, or another code when it could not check
 * (no key, unreadable directory).
 */
struct logstore_verify_result {
	uint64_t	records;	/* records checked */
	uint64_t	segments;	/* segments checked */
	uint64_t	expired;	/* segments accounted for as expired */
	uint64_t	first_seq, last_seq;
	char		msg[512];
};

int logstore_verify(const char *dir, const char *key_path,
    struct logstore_verify_result *res);

#endif
