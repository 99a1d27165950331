/*
 * incident-rules.c - an alert of the rules engine as the incident manager
 * takes it.
 */
#include <string.h>

#include "incident/incmgr.h"
#include "rules/rules.h"

void
incmgr_alert_from_result(struct incmgr_alert *a, const struct rules_result *r,
    int64_t time_ns)
{
	memset(a, 0, sizeof(*a));
	a->time_ns = time_ns;
	a->rule_id = r->rule_id;
	a->level = r->level;
	a->description = r->description;
	a->groups = r->groups;
	a->ngroups = r->ngroups;
	a->srcip = r->fields[RULES_F_SRCIP];
	a->dstip = r->fields[RULES_F_DSTIP];
	a->srcuser = r->fields[RULES_F_SRCUSER];
	a->dstuser = r->fields[RULES_F_DSTUSER];
	a->host = r->hostname;
	a->log = r->full_log;
}
