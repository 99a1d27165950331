/*
 * web-api-blocks.c - /blocks: the blocks in force, blocking an address
 * or prefix, lifting a block.  The work is done on the containment
 * thread (web-contain.c), the only one allowed to change the firewall.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "respond/respond.h"
#include "web/web-api.h"
#include "web/web-impl.h"

static int
running(struct web_req *rq)
{
	if (rq->ws->contain != NULL)
		return 1;
	web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "containment is not "
	    "running");
	return 0;
}

void
web_h_blocks(struct web_req *rq)
{
	json_t *list = NULL, *j;
	char err[768];
	int r;

	if (!running(rq))
		return;
	if ((r = web_contain_list(rq->ws->contain, &list, err,
	    sizeof(err))) != 0) {
		web_block_failed(rq, r, err);
		return;
	}
	j = json_pack("{s:o, s:b}", "blocks", list, "dry_run",
	    rq->ws->cfg->respond->dry_run);
	/* The firewall could not be read: the list is the record's. */
	if (j != NULL && err[0] != '\0')
		json_object_set_new(j, "error", web_text_json(err));
	web_reply_json(rq, MHD_HTTP_OK, j);
}

void
web_h_block_add(struct web_req *rq)
{
	struct respond_result res;
	const char *addr, *reason;
	const json_t *inc;
	char err[768], d[32];
	int64_t dur, incident = 0;
	int r;

	if (web_block_args(rq, &addr, &dur, &reason) != 0)
		return;
	if ((inc = json_object_get(rq->json, "incident")) != NULL &&
	    !json_is_null(inc)) {
		if (!json_is_integer(inc) || json_integer_value(inc) < 1) {
			web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "field "
			    "'incident': expected an incident id");
			return;
		}
		incident = json_integer_value(inc);
	}
	if (!running(rq))
		return;
	if ((r = web_contain_block(rq->ws->contain, addr, dur, rq->who.user,
	    reason, incident, &res, err, sizeof(err))) != 0) {
		web_block_failed(rq, r, err);
		return;
	}
	log_info("console: %s blocked %s for %s%s", rq->who.user, res.addr,
	    res.duration_ns > 0 ? respond_duration_format(res.duration_ns, d,
	    sizeof(d)) : "ever (until unblocked)", res.dry_run ?
	    " (dry run)" : "");
	web_server_kick(rq->ws);
	web_reply_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:s, s:b, s:o, s:o, "
	    "s:o}", "addr", res.addr, "outcome", res.outcome ==
	    RESPOND_REPLACED ? "replaced" : "blocked", "dry_run",
	    res.dry_run, "duration_s", res.duration_ns > 0 ?
	    json_integer(res.duration_ns / NS_PER_SEC) : json_null(),
	    "until", res.duration_ns > 0 ? web_time_json(time_now_ns() +
	    res.duration_ns) : json_null(), "incident", incident != 0 ?
	    json_integer(incident) : json_null()));
}

void
web_h_block_del(struct web_req *rq)
{
	char err[768], canon[RESPOND_ADDR_STRLEN];
	int r;

	if (!running(rq))
		return;
	if ((r = web_contain_unblock(rq->ws->contain, rq->segs[1],
	    rq->who.user, canon, err, sizeof(err))) != 0) {
		web_block_failed(rq, r, err);
		return;
	}
	log_info("console: %s unblocked %s", rq->who.user, canon);
	web_server_kick(rq->ws);
	rq->status = MHD_HTTP_NO_CONTENT;
}
