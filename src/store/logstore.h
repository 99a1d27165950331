/*
 * logstore.h - the raw log store: append-only, hash-chained, sealed
 * segments.
 *
 * Layout under <data>/log/: numbered segment files; the active one is
 * appended to, sealed ones each have a checkpoint (its record range, time
 * range and last chain hash) authenticated with a key kept outside the
 * data directory, and are zstd-compressed by a background thread of the
 * store soon after.  Every record's hash covers the previous record's
 * hash, so changing, removing, inserting or reordering a record breaks
 * the chain, and the keyed checkpoints make rewriting the whole chain
 * detectable too.  Retention removes whole sealed segments and
 * records that it did so in the chain itself, so verification can tell
 * expiry from deletion.
 *
 * One writer thread owns a struct logstore (the compression thread it
 * starts touches only sealed segments).  Readers (search, verify) open the
 * directory on their own and may run while the writer appends: they stop
 * cleanly at a record still being written, and read a sealed segment in
 * either form, also while it is being compressed.
 */
#ifndef MAMORI_LOGSTORE_H
#define MAMORI_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

struct logstore_opts {
	const char	*dir;		/* data directory; log/ is made in it */
	const char	*key_path;	/* seal key, outside dir (required);
					   created (0600, its directory 0700)
					   if absent */
	uint64_t	 segment_bytes;	/* seal the active segment at this size;
					   0: 64 MiB */
	int64_t		 segment_age_ns; /* ... or when its first record is older;
					    0: no age limit */
	int64_t		 retention_ns;	/* expire sealed segments whose newest
					   record is older than this; 0: never */
	uint64_t	 retention_bytes; /* ... and the oldest beyond this total;
					    0: no size limit */
	int		 zstd_level;	/* 1..19; 0: 3 */
	/* Told about what the store did on its own (torn tail repaired,
	 * segment sealed, compressed or expired).  Called only from within
	 * logstore_* calls of the writer's thread, never from the
	 * compression thread.  May be NULL. */
	void		(*notice)(void *arg, const char *msg);
	void		*notice_arg;
	/* Called from the store's sync thread each time a sync begun by
	 * logstore_sync_start() finishes; must be quick and thread-safe
	 * (wake the writer).  May be NULL. */
	void		(*sync_done)(void *arg);
	void		*sync_done_arg;
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
	uint64_t	compressed;	/* segments compressed since open */
	uint64_t	compress_pending; /* sealed segments waiting for
					     compression (or under way) */
};

struct logstore;

/*
 * Opens (creating if needed) the store under o->dir, reads or creates the
 * key, and repairs a torn tail left by a crash (reported via o->notice:
 * "log/000003.seg: repaired torn tail: 57 bytes after record 1234
 * removed").  Only bytes after the last good record are removed; corrupt
 * records followed by good ones are kept for logstore_verify().  Refuses
 * a key inside o->dir, and a second writer (log/lock is held).  Starts
 * the store's compression thread, which takes its first job only at the
 * first logstore_append(), _maintain() or _seal() (a server opens the
 * store before dropping privileges, and files made before would belong to
 * the wrong user); sealed segments found uncompressed are queued for it.
 * Returns the store, or NULL with a message in err.  Caller closes with
 * logstore_close().
 */
struct logstore *logstore_open(const struct logstore_opts *o, char *err,
    size_t errlen);

/*
 * Appends ev as the next record and sets ev->seq.  The record is buffered
 * (no syscall unless the 1 MiB buffer is full) and not on disk until
 * logstore_sync().  Seals the active segment first if it is full.
 * Returns 0, MAMORI_EINVAL (a field outside ev's data), MAMORI_ETOOBIG
 * (over 16 MiB), or MAMORI_EIO / MAMORI_ENOMEM; on any error nothing was
 * appended and the call may be repeated.
 */
int logstore_append(struct logstore *ls, struct event *ev);

/*
 * Most of a record's chain hash is the SHA-256 of its body, which does not
 * depend on the chain: logstore_event_prehash() computes it into ev ahead
 * of logstore_append(), in the calling thread, so the analysis workers
 * share the hashing that would otherwise all fall on the writer.  ev must
 * not change afterwards (what is stored is what was hashed).  A hasher is
 * one thread's; logstore_hasher_new() returns NULL when out of memory.
 */
struct logstore_hasher;
struct logstore_hasher *logstore_hasher_new(void);
void logstore_hasher_free(struct logstore_hasher *h);
/* Hashes evs[0..n), two at a time where it can (see core/sha256.h). */
void logstore_event_prehash(struct logstore_hasher *h, struct event **evs,
    size_t n);

/* Makes every appended record durable (fdatasync, and fsync of the
 * directory when a file was created or removed), after waiting for a
 * sync begun by logstore_sync_start().  Returns 0 or MAMORI_EIO; records
 * not written stay buffered for the next call. */
int logstore_sync(struct logstore *ls);

/*
 * Gives up on the records appended since the last sync that succeeded:
 * for a writer that told their senders they were not stored (a disk
 * still full after the stop request).  What of them reached the active
 * segment is cut off (a segment holding no durable record is removed),
 * what did not is dropped, and the store writes nothing more: appends
 * and syncs fail with MAMORI_EIO, logstore_maintain() does nothing, and
 * logstore_close() only closes.  Without this the close's last sync
 * could still write records reported lost, once some space came free
 * (a failed compression removing its output).  The next open goes on
 * from the last durable record.  Returns 0, or MAMORI_EIO when the cut
 * failed (what reached the file then stays, for the next open to find).
 */
int logstore_abandon(struct logstore *ls);

/*
 * Group commit that does not stop the writer (logstore-sync.c).
 * logstore_sync_start() writes out the buffered records and has the
 * store's sync thread make them durable, and returns at once: 0 (begun),
 * 1 (nothing to do: all appended records are durable), MAMORI_EAGAIN
 * (the last one begun is not finished or not collected yet) or
 * MAMORI_EIO (the write failed; records stay buffered).  Appending goes
 * on meanwhile.  logstore_sync_collect() returns 1 once the sync begun
 * has finished, with its result in *rc (0, or MAMORI_EIO and errno);
 * only then are the records appended before the start durable.  It
 * returns 0 while the sync runs (or none was begun).
 */
int logstore_sync_start(struct logstore *ls);
int logstore_sync_collect(struct logstore *ls, int *rc);

/* Takes in what the compression thread finished (without waiting for
 * it), seals the active segment if it is old enough, applies retention at
 * time now_ns, syncs, and rewrites the keyed head to name the newest
 * record.  Call about once a second.  Returns 0 or a MAMORI_E* code. */
int logstore_maintain(struct logstore *ls, int64_t now_ns);

/* Seals the active segment now, whatever its size or age (if it holds any
 * record): syncs it, writes its checkpoint and queues it for compression
 * in the background.  Waits only when 8 sealed segments already wait
 * for compression, until one is done.  Returns 0 or a MAMORI_E* code. */
int logstore_seal(struct logstore *ls);

/* Fills st. */
void logstore_get_stats(const struct logstore *ls, struct logstore_stats *st);

/* Stops the compression thread (a compression under way is given up and
 * done again after the next open), syncs and closes; the active segment
 * stays active.  NULL is a no-op. */
void logstore_close(struct logstore *ls);

/*
 * Reading.  A reader walks every record in order, oldest first.  Records
 * come back as events with every field as stored, including seq.
 */
struct logstore_reader;

/* Returns a reader over the store in dir, or NULL with a message in err.
 * Close with logstore_reader_close(). */
struct logstore_reader *logstore_reader_open(const char *dir, char *err,
    size_t errlen);

/* Skips segments whose receive-time range lies outside [min_ns, max_ns].
 * Only sealed segments carry a range; the active one is always read, and
 * records are not filtered: that is the caller's job. */
void logstore_reader_set_range(struct logstore_reader *r, int64_t min_ns,
    int64_t max_ns);

/* The same for the event time: the message's timestamp when it has one
 * (EVENT_F_HAS_TS), else the receive time.  A search on message time
 * uses this one, since a sender's clock may be far from the server's. */
void logstore_reader_set_event_range(struct logstore_reader *r,
    int64_t min_ns, int64_t max_ns);

/*
 * Sets *ev to the next event record (caller frees with event_free()).
 * Expiry records, which are part of the chain, are skipped, so seq may
 * jump.  Returns 0; MAMORI_ENOTFOUND at the end, which for a store being
 * written is the end for now (a later call returns records appended
 * since); or MAMORI_ECORRUPT with "log/FILE: offset N: reason" in err,
 * after which the reader goes on with the next good record (or, for
 * damaged compressed data, the next segment); or MAMORI_EIO /
 * MAMORI_ENOMEM.
 */
int logstore_reader_next(struct logstore_reader *r, struct event **ev,
    char *err, size_t errlen);

/* Closes r; NULL is a no-op. */
void logstore_reader_close(struct logstore_reader *r);

/*
 * Verification: checks every segment's chain, every checkpoint against the
 * key, continuity between segments, that every missing segment was
 * expired by retention, and the head.  Returns 0 when intact (msg: "intact:
 * N records in M segments (seq A..B), K segments expired by retention");
 * MAMORI_ECORRUPT naming the first record or segment that was changed,
 * removed, inserted or reordered ("log/000002.seg: seq 1234 changed
 * (offset 5678: chain hash mismatch)"); MAMORI_EKEY when the key is
 * missing or is not the one the store was sealed with; or MAMORI_ESYS /
 * MAMORI_ENOMEM when it could not check.  May run while the writer
 * appends.  docs/storage.md says what it can and cannot prove.
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
