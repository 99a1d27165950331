/*
 * agent.h - `mamori agent`: runs on each watched host, tails its log
 * files, runs the host checks on schedules and forwards everything to the
 * log server through a disk-backed queue, so that nothing is lost while
 * the server is down.
 *
 *   tail (logs:)      ─┐
 *   checks (threads)  ─┼─► RFC 5424 message ─► disk queue ─► sender ─► server
 *   realtime fds      ─┤     (agent-msg.c)     (agent-queue.c) (agent-send.c:
 *   heartbeat, events ─┘                                        RELP, TLS, TCP)
 *
 * Threads: the main loop (agent_run(): tailing, realtime fds, heartbeats,
 * fsync of the queue and saving of the file positions), one thread that
 * runs the registered checks one after another, and the sender.  The
 * queue is the only thing they share; it has its own lock.
 *
 * Delivery is at least once.  A line's file position is saved only after
 * the queue record holding it is on disk (fsync), and a record leaves the
 * queue only once the server has acknowledged it (RELP: its "200 OK";
 * TLS and TCP, which have no acknowledgement: the server's orderly close
 * of the connection after reading everything, see agent-send.c).  A crash
 * of the agent or of the server can therefore repeat messages; it loses
 * none, except what the queue's size cap makes it drop (counted, and
 * reported to the server as an event).
 *
 * The state directory holds: lock (one agent per directory), agent.state
 * (instance id, event sequence, whether the last run stopped cleanly),
 * positions (tail positions), queue/ (segments and the cursor).
 */
#ifndef MAMORI_AGENT_H
#define MAMORI_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/yamldoc.h"
#include "host/host.h"
#include "input/syslog.h"

/* ------------------------------------------------------------------ */
/* Configuration: sections agent: and logs: of the agent's file.       */

enum agent_transport {
	AGENT_RELP = 0,		/* RELP, acknowledged (default) */
	AGENT_RELP_TLS,		/* RELP inside TLS */
	AGENT_TLS,		/* RFC 5425: octet-counted syslog over TLS */
	AGENT_TCP,		/* RFC 6587 octet counting, no TLS: tests */
};

enum agent_start {
	AGENT_START_END = 0,	/* first sight of a file: read new lines */
	AGENT_START_BEGINNING,	/* ... read it whole */
};

enum agent_format {
	AGENT_FMT_AUTO = 0,	/* a syslog line keeps its program, else plain */
	AGENT_FMT_SYSLOG,	/* every line is a syslog line */
	AGENT_FMT_PLAIN,	/* lines are text; the tag is the program */
};

struct agent_log_conf {
	char		*path;		/* the file (need not exist yet) */
	char		*tag;		/* APP-NAME; NULL: from the line or
					   the file's base name */
	int		 facility;	/* 0..23, default 1 (user) */
	int		 severity;	/* 0..7, default 5 (notice) */
	int		 format;	/* enum agent_format */
	int		 host_from_line;	/* HOSTNAME of a syslog line is
					   kept (a relay's file) instead of
					   the agent's name */
	int		 line;		/* in the configuration file, or 0 */
};

struct agent_conf {
	/* agent: */
	char		*name;		/* NULL: the host name */
	char		*server;	/* "host:port", "[v6]:port" */
	int		 transport;	/* enum agent_transport */
	char		*state_dir;	/* default /var/lib/mamori-agent */
	int64_t		 heartbeat_ns;	/* default 60 s */
	char		*key_file;	/* shared key for heartbeat HMACs */
	char		*tls_ca;	/* CA for the server's certificate;
					   NULL: the system's */
	char		*tls_cert;	/* client certificate (PEM chain) */
	char		*tls_key;	/* its private key */
	char		*tls_server_name;	/* name the server's certificate
					   must carry; NULL: the server host */
	uint64_t	 queue_max;	/* bytes, default 256 MiB */
	int64_t		 fsync_ns;	/* queue fsync batching, default 1 s */
	int64_t		 reconnect_min_ns;	/* default 1 s */
	int64_t		 reconnect_max_ns;	/* default 60 s */
	int64_t		 timeout_ns;	/* connect, handshake, acknowledgement;
					   default 30 s */
	int64_t		 confirm_ns;	/* TLS/TCP: how long sent records may
					   stay unconfirmed; default 10 s */
	int64_t		 drain_ns;	/* at stop: time to send what is
					   queued; default 5 s */
	int		 relp_window;	/* RELP frames in flight, default 128 */
	int		 facility;	/* of the agent's own events and the
					   checks' findings; default 10
					   (authpriv) */
	/* logs: */
	int		 start;		/* enum agent_start */
	int64_t		 poll_ns;	/* stat every file this often even with
					   inotify; default 1 s */
	int64_t		 rotate_grace_ns;	/* a rotated file is read until
					   idle this long; default 10 s */
	size_t		 max_line;	/* longer lines are cut; default 32 KiB */
	struct agent_log_conf *logs;
	size_t		 nlogs;
};

/* Fills c with the defaults (no server, no logs).  Returns 0 or
 * MAMORI_ENOMEM.  Release with agent_conf_release(). */
int agent_conf_init(struct agent_conf *c);
void agent_conf_release(struct agent_conf *c);

/*
 * Reads sections agent: and logs: of the agent file at path over c.
 * Returns 0; MAMORI_ECONFIG with "FILE:LINE: setting 'agent.x': reason"
 * in err, c unchanged (nothing half-applied); MAMORI_ESYS (cannot read);
 * or MAMORI_ENOMEM.
 */
int agent_conf_load(struct agent_conf *c, const char *path, char *err,
    size_t errlen);

/* Section parsers (host_conf_parse_fn), conf a struct agent_conf *. */
int agent_conf_parse_agent(struct ydoc *d, yaml_node_t *node,
    const char *name, void *conf);
int agent_conf_parse_logs(struct ydoc *d, yaml_node_t *node,
    const char *name, void *conf);

/* Adds a file to tail with the defaults (--log).  0 or MAMORI_ENOMEM. */
int agent_conf_add_log(struct agent_conf *c, const char *path);

/* "relp", "relp+tls", "tls", "tcp": the enum, or -1. */
int agent_transport_parse(const char *s);
const char *agent_transport_name(int t);

/*
 * Splits c->server into host and port (a missing port is the server's
 * default for the transport: relp 2514, tls 6514, tcp 5514).  host and
 * port are written NUL-terminated.  Returns 0 or MAMORI_EINVAL with err.
 */
int agent_conf_server(const struct agent_conf *c, char *host,
    size_t hostlen, char *port, size_t portlen, char *err, size_t errlen);

/* Cross-setting checks (a server is set, TLS files for TLS, paths are
 * absolute).  Returns 0 or MAMORI_ECONFIG with err. */
int agent_conf_check(const struct agent_conf *c, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* The agent.                                                          */

struct agent;

/*
 * A scheduled check (FIM, audit, rootcheck), filled in by the integrator.
 * run() is called on the checks thread, first soon after the start and
 * then every interval_ns from the start of its previous run (a run longer
 * than the interval is followed by the next at once, never by a pile-up).
 * It reports findings with emit(arg, finding), which may be called from
 * any thread; it returns 0 or a negative MAMORI_E* code (logged and
 * reported as an agent event, "check-failed").
 */
struct agent_check {
	const char	*name;		/* "fim", "audit"; copied */
	int64_t		 interval_ns;	/* > 0 */
	int		(*run)(void *ctx, host_emit_fn emit, void *arg);
	void		*ctx;		/* borrowed: outlives the agent */
};

/* Called on the main thread when fd is readable (a realtime watcher). */
typedef int (*agent_ready_fn)(void *ctx, host_emit_fn emit, void *arg);

/*
 * Prepares an agent for c (c must outlive it): locks and opens the state
 * directory, repairs and opens the queue (a torn tail is cut and said so
 * in the log), reads the file positions and the shared key.  Nothing runs
 * yet.  Returns the agent, or NULL with a reason in err.  Free with
 * agent_free().
 */
struct agent *agent_new(const struct agent_conf *c, char *err, size_t errlen);

/* Registers a check / a realtime fd (before agent_run()).  The fd stays
 * the caller's.  Returns 0, MAMORI_EINVAL or MAMORI_ENOMEM. */
int agent_add_check(struct agent *a, const struct agent_check *chk);
int agent_add_fd(struct agent *a, int fd, agent_ready_fn ready, void *ctx);

/*
 * Runs until agent_stop(): starts the sender and the checks, tails, beats.
 * On stop: a "stopping" event, the queue synced, positions saved, then up
 * to drain_ns for the sender to deliver what is queued.  Returns 0, or a
 * negative MAMORI_E* code when it could not start (err set).
 */
int agent_run(struct agent *a, char *err, size_t errlen);

/* Asks agent_run() to return.  Async-signal-safe; any thread. */
void agent_stop(struct agent *a);

void agent_free(struct agent *a);

/*
 * A host_emit_fn (arg: the struct agent *) that queues a finding as an
 * RFC 5424 message from the agent.  Thread-safe.  Returns 0, or
 * MAMORI_EIO/MAMORI_ETOOBIG when it could not be queued (counted as
 * dropped).
 */
int agent_emit(void *agent, const struct host_finding *f);

struct agent_stats {
	uint64_t	 lines;		/* tailed lines queued */
	uint64_t	 findings;	/* check findings queued */
	uint64_t	 queued;	/* records in the queue, unacknowledged */
	uint64_t	 queued_bytes;
	uint64_t	 acked;		/* records acknowledged this run */
	uint64_t	 dropped;	/* records dropped, ever */
	int		 connected;
};
void agent_get_stats(struct agent *a, struct agent_stats *st);

/* ------------------------------------------------------------------ */
/* The disk queue (agent-queue.c), exported for the tests and fuzzing. */

/*
 * Files in DIR (state_dir/queue): segments named after their first
 * record's sequence number, "%016llx.seg", and "cursor".
 *
 * Segment: a 32-byte header
 *     magic "MAMAGTQ1" | u64 first_seq | i64 created_ns | u32 version (1)
 *     | u32 crc32 of the 28 bytes before
 * then records back to back, each
 *     u32 len | u32 crc32 of the 16+len bytes after it | u64 seq
 *     | i64 time_ns | payload[len]
 * little-endian, len <= AGENT_QUEUE_REC_MAX, seqs consecutive.  Records
 * are only appended; a crash can leave a torn last record, which opening
 * cuts off.
 *
 * Cursor: 64 bytes, written whole to a temporary file, fsynced, renamed:
 *     magic "MAMAGTC1" | u64 acked_seq | u64 dropped_total
 *     | u64 pending_count | i64 pending_from_ns | i64 pending_to_ns
 *     | u64 reserved | u32 reserved | u32 crc32 of the 60 bytes before
 * acked_seq: every record up to it was delivered.  pending_*: records
 * dropped since the last report reached the server.
 */
#define AGENT_QUEUE_SEG_HDR	32
#define AGENT_QUEUE_REC_HDR	24
#define AGENT_QUEUE_REC_MAX	(1u << 20)
#define AGENT_QUEUE_CURSOR_LEN	64

/* What a segment's bytes hold (agent_queue_scan()). */
struct agent_queue_scan {
	int		 hdr_ok;	/* header magic, version and CRC good */
	uint64_t	 first_seq;	/* from the header */
	int64_t		 created_ns;
	uint64_t	 next_seq;	/* one past the last good record */
	uint64_t	 records;
	uint64_t	 valid;		/* bytes: header and good records */
	int64_t		 first_ns, last_ns;	/* times of the records */
	int		 torn;		/* bytes follow the good records */
	const char	*why;		/* what is wrong after them, or NULL */
};

/*
 * Checks p[0..len), a segment file's bytes: its header and the records
 * that follow, up to the first one that is cut short, fails its CRC,
 * breaks the sequence or is too long.  Never reads past len.  Returns 0
 * (s filled; s->torn and s->why say whether and why bytes were left), or
 * MAMORI_ECORRUPT when the header is bad (s->why says why).
 */
int agent_queue_scan(const uint8_t *p, size_t len, struct agent_queue_scan *s);

/* Encodes a record header for seq/time_ns/payload p[0..len) into hdr. */
void agent_queue_rec_header(uint8_t hdr[AGENT_QUEUE_REC_HDR], uint64_t seq,
    int64_t time_ns, const void *p, size_t len);
/* Encodes a segment header. */
void agent_queue_seg_header(uint8_t hdr[AGENT_QUEUE_SEG_HDR],
    uint64_t first_seq, int64_t created_ns);

struct agent_queue_cursor {
	uint64_t	 acked;
	uint64_t	 dropped_total;
	uint64_t	 pending;	/* dropped, not yet reported */
	int64_t		 pending_from_ns, pending_to_ns;
};

/* Cursor file bytes: encode always succeeds; decode returns 0 or
 * MAMORI_ECORRUPT (wrong size, magic or CRC). */
void agent_queue_cursor_encode(const struct agent_queue_cursor *c,
    uint8_t out[AGENT_QUEUE_CURSOR_LEN]);
int agent_queue_cursor_decode(const uint8_t *p, size_t len,
    struct agent_queue_cursor *c);

struct agent_queue;

/* What opening found. */
struct agent_queue_info {
	unsigned	 segments;
	uint64_t	 records;	/* unacknowledged records */
	uint64_t	 bytes;		/* in segment files */
	uint64_t	 torn_bytes;	/* cut off the last segment */
	uint64_t	 lost_records;	/* in damaged segments, given up */
	int		 cursor_reset;	/* cursor missing or damaged */
};

/*
 * Opens (creating) the queue in dir with a cap of max_bytes, repairing
 * what a crash left (a torn last record is cut off; a damaged older
 * segment keeps its good prefix and the rest is counted lost).  Returns
 * 0 with *out set, or MAMORI_ESYS/MAMORI_ENOMEM/MAMORI_EINVAL with err.
 * info may be NULL.  Close with agent_queue_close().
 */
int agent_queue_open(const char *dir, uint64_t max_bytes,
    struct agent_queue **out, struct agent_queue_info *info, char *err,
    size_t errlen);

/*
 * Syncs everything and persists the cursor, then frees q.  Returns 0 or
 * MAMORI_EIO (something could not be made durable).
 */
int agent_queue_close(struct agent_queue *q);

/*
 * Appends a record (p[0..len), its time time_ns) and returns its sequence
 * number in *seq (seq may be NULL).  When the queue would go over its cap
 * the oldest unsent records are dropped first (whole segments) and
 * counted in the pending drop report.  Returns 0; MAMORI_ETOOBIG (len over
 * AGENT_QUEUE_REC_MAX or the cap); MAMORI_EIO (write failed, e.g. disk
 * full: the record is counted as dropped).  Thread-safe.
 */
int agent_queue_append(struct agent_queue *q, int64_t time_ns,
    const void *p, size_t len, uint64_t *seq);

/* Writes buffered records and fsyncs them (and the directory, after new
 * segments).  Returns 0 or MAMORI_EIO.  Thread-safe. */
int agent_queue_sync(struct agent_queue *q);

/* Marks every record up to seq delivered; segments wholly delivered are
 * deleted.  The cursor is written by agent_queue_save_cursor(). */
void agent_queue_ack(struct agent_queue *q, uint64_t seq);

/* Writes the cursor if it changed.  Returns 0 or MAMORI_EIO. */
int agent_queue_save_cursor(struct agent_queue *q);

/* Records dropped and not yet reported (count 0: none). */
void agent_queue_pending_drops(struct agent_queue *q,
    struct agent_queue_cursor *c);
/* The report for count drops reached the server: forget them. */
void agent_queue_drops_reported(struct agent_queue *q, uint64_t count);

/* Counts of unacknowledged records and their bytes; the acked seq. */
void agent_queue_depth(struct agent_queue *q, uint64_t *records,
    uint64_t *bytes, uint64_t *acked, uint64_t *dropped_total);

/*
 * An eventfd (or any fd) written (8 bytes, value 1) when a record is
 * appended after a reader found nothing new; -1 for none.
 */
void agent_queue_set_notify(struct agent_queue *q, int fd);

/* Reading: one reader (the sender). */
struct agent_queue_reader;

struct agent_queue_rec {
	uint64_t	 seq;
	int64_t		 time_ns;
	const uint8_t	*data;		/* borrowed until the next read */
	size_t		 len;
};

/* Returns a reader of q, or NULL when out of memory. */
struct agent_queue_reader *agent_queue_reader_new(struct agent_queue *q);
void agent_queue_reader_free(struct agent_queue_reader *r);

/*
 * Reads the first record whose seq is at least seq (records dropped
 * meanwhile are skipped).  Returns 0 with *rec set; MAMORI_ENOTFOUND
 * when there is none yet (the notify fd is then written at the next
 * append); MAMORI_EIO or MAMORI_ECORRUPT (a damaged segment: its rest is
 * skipped, counted as dropped, and the next call goes on after it).
 */
int agent_queue_read(struct agent_queue_reader *r, uint64_t seq,
    struct agent_queue_rec *rec);

/* ------------------------------------------------------------------ */
/* File positions (agent-pos.c), exported for the tests and fuzzing.   */

/*
 * The positions file (state_dir/positions), text, written to a temporary
 * file, fsynced and renamed:
 *
 *   mamori-agent-positions 1
 *   DEV INO OFFSET SIGLEN SIG PATH       (one line per file)
 *   end CRC
 *
 * DEV, INO, OFFSET, SIGLEN decimal; SIG the SHA-256 of the file's first
 * SIGLEN bytes (<= AGENT_SIG_MAX) in hex; PATH with every byte outside
 * '!'..'~' and '%' written %XX; CRC the crc32 of all the bytes before
 * "end", 8 hex digits.
 */
#define AGENT_SIG_MAX	1024
#define AGENT_POS_MAX	100000	/* entries in one file */

struct agent_pos {
	char		*path;
	uint64_t	 dev, ino, offset;
	uint32_t	 siglen;
	uint8_t		 sig[32];
};

/*
 * Parses a positions file's bytes.  Returns 0 with *out (an array of *n
 * entries; free with agent_pos_free()), MAMORI_ECORRUPT with "line N:
 * reason" in err, or MAMORI_ENOMEM.
 */
int agent_pos_parse(const uint8_t *p, size_t len, struct agent_pos **out,
    size_t *n, char *err, size_t errlen);
void agent_pos_free(struct agent_pos *v, size_t n);

/* Formats v[0..n) as a positions file into *buf (caller frees), *len its
 * length.  Returns 0 or MAMORI_ENOMEM. */
int agent_pos_format(const struct agent_pos *v, size_t n, char **buf,
    size_t *len);

/*
 * Writes data[0..len) to path atomically: a temporary file beside it,
 * fsync, rename, fsync of the directory.  Returns 0 or MAMORI_ESYS
 * (errno set).
 */
int agent_write_atomic(const char *path, const void *data, size_t len);

/* ------------------------------------------------------------------ */
/* RELP responses (agent-relp.c), exported for the tests and fuzzing.   */

/*
 * One RELP frame from the server: TXNR SP COMMAND SP DATALEN [SP DATA] LF
 * (RELP, rsyslog's specification).  For "rsp", code is the three-digit
 * status at the start of DATA (200 OK), else 0.
 */
struct agent_relp_frame {
	uint64_t	 txnr;
	char		 command[33];
	const uint8_t	*data;		/* into the parsed buffer */
	size_t		 datalen;
	int		 code;
};

#define AGENT_RELP_DATA_MAX	(128u << 10)	/* a response is small */

/*
 * Parses the frame at the start of p[0..len).  Returns 0 with *f and
 * *used (bytes the frame took); MAMORI_ETRUNC when more bytes are needed;
 * MAMORI_EINVAL for bytes that are not a RELP frame (or data over
 * AGENT_RELP_DATA_MAX).
 */
int agent_relp_parse(const uint8_t *p, size_t len, struct agent_relp_frame *f,
    size_t *used);

/* ------------------------------------------------------------------ */
/* Between the agent's own files (agent-msg.c, agent-tail.c,           */
/* agent-send.c, agent-main.c); other modules use the API above.       */

/* How messages are made. */
struct agent_msgfmt {
	const char	*name;		/* HOSTNAME: the agent's name */
	int		 facility;	/* of the agent's events and findings */
	char		 instance[33];	/* hex id of this state directory */
	const uint8_t	*key;		/* HMAC key, or NULL */
	size_t		 keylen;
	struct syslog_parse_opts popts;	/* for syslog lines in files */
};

/* A parameter of an agent event; numeric ones are numbers in the JSON. */
struct agent_kv {
	const char	*name;
	const char	*value;
	int		 numeric;
};

/* path escaped as an SD PARAM-VALUE into buf. */
void agent_sd_path(const char *path, char *buf, size_t len);

/*
 * A tailed line as an RFC 5424 message into buf[0..cap): *outlen bytes.
 * sdpath is the file's path escaped by agent_sd_path().  Returns 0,
 * MAMORI_ETOOBIG (cap too small: give max_line + 8 KiB) or MAMORI_ENOMEM.
 */
int agent_msg_line(const struct agent_msgfmt *m,
    const struct agent_log_conf *lc, const char *sdpath,
    const uint8_t *line, size_t len, int truncated, int64_t now_ns,
    char *buf, size_t cap, size_t *outlen);

/* A finding as a message; *out allocated (caller frees).  Returns 0,
 * MAMORI_EINVAL (no app or json) or MAMORI_ENOMEM. */
int agent_msg_finding(const struct agent_msgfmt *m,
    const struct host_finding *f, int64_t now_ns, char **out,
    size_t *outlen);

/*
 * An agent event (app mamori-agent, MSGID event) with the parameters
 * event, name, version, instance, seq, time, then kv[0..nkv), then hmac
 * when m->key is set; the message is {"agent":{...}} with the same
 * parameters.  *out allocated (caller frees).  Returns 0 or
 * MAMORI_ENOMEM.
 */
int agent_msg_event(const struct agent_msgfmt *m, const char *event,
    int severity, uint64_t seq, int64_t now_ns, const struct agent_kv *kv,
    size_t nkv, char **out, size_t *outlen);

/* HMAC-SHA256 of data with key, as 64 hex digits and a NUL. */
void agent_hmac_hex(const uint8_t *key, size_t keylen, const void *data,
    size_t len, char out[65]);

/* Tailing (agent-tail.c).  Callbacks run on the thread that calls
 * agent_tail_check(); a line is borrowed for the call. */
typedef void (*agent_line_fn)(void *arg, const struct agent_log_conf *lc,
    const char *sdpath, const uint8_t *line, size_t len, int truncated);
/* Something to tell the server: event "log-truncated", "log-replaced";
 * detail is a sentence. */
typedef void (*agent_note_fn)(void *arg, const char *event,
    const char *path, const char *detail);

struct agent_tail;

/*
 * Prepares tailing of c->logs, reading positions from pos_path (missing:
 * a first start; damaged: logged, and c->start applies).  Opens nothing
 * yet.  Returns NULL with err on failure.
 */
struct agent_tail *agent_tail_new(const struct agent_conf *c,
    const char *pos_path, agent_line_fn line, agent_note_fn note, void *arg,
    char *err, size_t errlen);
void agent_tail_free(struct agent_tail *t);

/* The inotify descriptor to wait on, or -1 (polling only). */
int agent_tail_fd(struct agent_tail *t);

/* Reads inotify's events, marking the files they name. */
void agent_tail_inotify(struct agent_tail *t);

/*
 * Reads what is new: in every file with full (the periodic poll, which
 * also checks each file's first bytes for in-place replacement), else in
 * the files inotify named.  now_ns is a monotonic clock (rotate_grace is
 * measured with it).  Sets *more when a file has more than one round's
 * worth left (call again without waiting).
 */
void agent_tail_check(struct agent_tail *t, int64_t now_ns, int full,
    int *more);

/* Saves the positions (call after the queue is synced).  Returns 0 or
 * MAMORI_ESYS. */
int agent_tail_save(struct agent_tail *t);

/* The connection (agent-net.c).  Waits end early when stopfd is
 * readable. */
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

struct agent_conn {
	int		 fd;
	SSL		*ssl;
	int		 stopfd;
	int64_t		 timeout_ns;
	char		 peer[320];	/* "host:port", for messages */
	char		 why[320];	/* the last TLS error, as text */
};

/* The client TLS context for c (CA, client certificate).  NULL with err
 * on failure; free with SSL_CTX_free(). */
SSL_CTX *agent_tls_ctx(const struct agent_conf *c, char *err, size_t errlen);

void agent_conn_init(struct agent_conn *k, int stopfd);

/*
 * Connects to host:port (and, with ctx, does the TLS handshake, checking
 * the server's certificate for server_name, or host when NULL) within
 * timeout_ns.  Returns 0, or MAMORI_EIO/MAMORI_ETLS with err.
 */
int agent_conn_open(struct agent_conn *k, const char *host, const char *port,
    SSL_CTX *ctx, const char *server_name, int64_t timeout_ns, char *err,
    size_t errlen);

/* Writes all of data within the timeout.  Returns 0, MAMORI_EAGAIN
 * (timed out), MAMORI_ECLOSED (stopping) or MAMORI_EIO; *why says what. */
int agent_conn_write(struct agent_conn *k, const void *data, size_t len,
    const char **why);

/* Reads what is there without waiting: 0 with *got > 0, MAMORI_EAGAIN
 * (nothing yet), MAMORI_ECLOSED (orderly end) or MAMORI_EIO. */
int agent_conn_read(struct agent_conn *k, void *buf, size_t cap, size_t *got,
    const char **why);

/* Whether TLS holds decrypted bytes not read yet (poll would not say). */
int agent_conn_pending(struct agent_conn *k);

/*
 * Ends the connection in order and waits for the server to do the same
 * (TLS: close_notify both ways; TCP: FIN both ways).  The server closes
 * only after reading everything we sent, so 0 means it has all of it.
 * Returns 0, or an error (*why) when that could not be seen.
 */
int agent_conn_finish(struct agent_conn *k, const char **why);

void agent_conn_close(struct agent_conn *k);

/* The sender (agent-send.c): a thread that moves the queue to the
 * server. */
struct agent_sender;

/* Makes the "queue-dropped" report for c's pending drops: *msg allocated
 * (caller frees).  Returns 0 or an error. */
typedef int (*agent_report_fn)(void *arg, const struct agent_queue_cursor *c,
    char **msg, size_t *len);

struct agent_sender *agent_sender_new(const struct agent_conf *c,
    struct agent_queue *q, agent_report_fn report, void *arg, char *err,
    size_t errlen);
int agent_sender_start(struct agent_sender *s);
/* Sends for at most drain_ns more, then stops and joins the thread. */
void agent_sender_stop(struct agent_sender *s, int64_t drain_ns);
void agent_sender_free(struct agent_sender *s);
/* Records acknowledged by the server since the start; whether connected. */
void agent_sender_stats(struct agent_sender *s, uint64_t *acked,
    int *connected);

/*
 * The host checks from the configuration file's fim:, audit: and
 * rootcheck: sections (agent-checks.c; config NULL: the defaults, which
 * run the audit every 24 h and the rootkit checks every 12 h, and FIM only
 * where fim.paths are given; state_dir is the agent's, where a marker
 * remembers that a baseline was made, so that a baseline missing later
 * is reported rather than silently made again).  agent_checks_new()
 * returns NULL with a
 * reason in err ("FILE:LINE: setting ..."); agent_checks_register() adds
 * them to a (the first FIM check makes the baseline when there is none;
 * fim.realtime directories are watched on the main loop) and returns 0
 * or a MAMORI_E* code with err set.  The checks must outlive the agent:
 * free them after agent_free().
 */
struct agent_checks;
struct agent_checks *agent_checks_new(const char *config,
    const char *state_dir, char *err, size_t errlen);
int agent_checks_register(struct agent_checks *k, struct agent *a,
    char *err, size_t errlen);
void agent_checks_free(struct agent_checks *k);

#endif
