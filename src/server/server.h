/*
 * server.h - `mamori server`: listeners -> analysis workers -> writer.
 *
 *   listeners (UDP, TCP, TLS, RELP threads)
 *       | raw events, partitioned by sender address
 *       v
 *   analysis queues [workers]   parse (RFC 5424/3164), per-host clock
 *       |                       offset, (rules engine: issue 3)
 *       v
 *   writer queue -> writer      log store append, group-commit fsync,
 *                               RELP acknowledgements, retention
 *
 * Every queue is bounded; a full queue blocks TCP/TLS/RELP readers and
 * makes UDP count drops.  The main thread handles signals, the status
 * snapshot in mamori.db and the periodic stats line.
 */
#ifndef MAMORI_SERVER_H
#define MAMORI_SERVER_H

#include "core/config.h"

struct server;

/*
 * Prepares a server for c: creates the data directory, opens the log
 * store (repairing a torn tail) and mamori.db, and binds every listener.
 * Nothing runs yet.  Returns the server, or NULL with a reason in err.
 * c must outlive the server.  key_path overrides c->seal_key when not NULL.
 */
struct server *server_new(const struct config *c, char *err, size_t errlen);

/*
 * Drops root privileges to c->user (after chowning the data directory to
 * it), if running as root.  Returns 0 or an error with a reason in err.
 */
int server_drop_privileges(struct server *s, char *err, size_t errlen);

/* Starts every thread.  Returns 0 or an error with a reason in err. */
int server_start(struct server *s, char *err, size_t errlen);

/*
 * Replays the demo scenario at path (server-demo.c: "+SECONDS HOST
 * PROGRAM[PID]: MESSAGE" lines) into the started server, the last line a
 * minute before now, when the store was empty at start (otherwise it
 * says so and replays nothing).  Reads the whole file first: a bad line
 * (error "FILE:LINE: ...") replays nothing.  Returns 0 or a MAMORI_E*
 * code.
 */
int server_demo(struct server *s, const char *path, char *err,
    size_t errlen);

/*
 * Runs the main loop until SIGTERM or SIGINT (blocked in every thread by
 * the caller before server_start()): status snapshots, stats lines.
 */
void server_run(struct server *s);

/*
 * Stops cleanly: listeners first (reading what the kernel already holds),
 * then the workers drain, then the writer stores and syncs everything.
 */
void server_stop(struct server *s);

void server_free(struct server *s);

#endif
