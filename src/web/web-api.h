/*
 * web-api.h - what the API's handlers share (web-api-*.c, web-sse.c).
 * Private to src/web/.
 */
#ifndef MAMORI_WEB_API_H
#define MAMORI_WEB_API_H

#include <stdint.h>

#include <jansson.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
struct incident;
struct web_req;

/* Prepares "SELECT <an alert's columns> FROM alerts WHERE <where>" with
 * ?1 and ?2 bound to a1 and a2.  0 or MAMORI_EDB (*st NULL). */
int web_alert_select(sqlite3 *db, sqlite3_stmt **st, const char *where,
    int64_t a1, int64_t a2);

/* The alert in st's current row as the API shows it: id, time, rule_id,
 * level, description, groups [...], host, srcip, user, log_seq.  New
 * reference, or NULL when out of memory. */
json_t *web_alert_json(sqlite3_stmt *st);

/* An incident as `mamori incident list --json` prints it: the full form
 * without timeline, evidence and alerts (empty arrays).  New
 * reference. */
json_t *web_incident_summary(const struct incident *inc);

/* Replies with the whole incident id (incident_get(), incident_json()),
 * or 404. */
void web_reply_incident(struct web_req *rq, int64_t id);

/* The incident id of path segment i ("incidents/{id}"), or 0 with a 404
 * reply set. */
int64_t web_seg_incident(struct web_req *rq, int i);

/* Replies to a refused or failed block (web_contain_block()'s error r,
 * with its message err): 400, 404, 409, 503 or 500. */
void web_block_failed(struct web_req *rq, int r, const char *err);

/* Reads {"address", "duration"?, "reason"?} from the body; *dur is -1
 * when no duration is given.  Returns 0, or -1 with a 400 reply set. */
int web_block_args(struct web_req *rq, const char **addr, int64_t *dur,
    const char **reason);

#endif
