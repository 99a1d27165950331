/*
 * respond-auto.c - which alerts ask for an automatic block
 * (respond.auto_block).
 *
 * Called by the analysis workers for every alert, so it allocates nothing
 * and does no I/O: a linear walk over a handful of entries, each a few
 * integer compares and, when the entry names groups, at most
 * ngroups x entry groups string compares.  Whether the address may be
 * blocked (allowlist, internal, cap, already blocked) is the responder's
 * business, not this function's.
 */
#include <string.h>

#include "respond/respond.h"

static int
entry_matches(const struct respond_auto *a, uint32_t rule_id, int level,
    const char *const *groups, int ngroups)
{
	size_t i;
	int g, hit;

	if (a->min_level >= 0 && level < a->min_level)
		return 0;
	if (a->rules != NULL) {
		for (i = 0; i < a->nrules; i++)
			if (a->rules[i] == rule_id)
				break;
		if (i == a->nrules)
			return 0;
	}
	if (a->groups != NULL) {
		hit = 0;
		for (g = 0; g < ngroups && !hit; g++) {
			if (groups[g] == NULL)
				continue;
			for (i = 0; i < a->ngroups && !hit; i++)
				hit = strcmp(groups[g], a->groups[i]) == 0;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

int
respond_auto_match_field(const struct respond_conf *c, uint32_t rule_id,
    int level, const char *const *groups, int ngroups, int64_t *duration_ns,
    const char **field)
{
	const struct respond_auto *a;
	size_t i;

	if (duration_ns != NULL)
		*duration_ns = 0;
	if (field != NULL)
		*field = NULL;
	if (c == NULL)
		return 0;
	for (i = 0; i < c->nautos; i++) {
		a = &c->autos[i];
		if (!entry_matches(a, rule_id, level, groups, ngroups))
			continue;
		if (duration_ns != NULL)
			*duration_ns = a->duration_ns >= 0 ? a->duration_ns :
			    c->default_duration_ns;
		if (field != NULL)
			*field = a->field != NULL ? a->field : "srcip";
		return 1;
	}
	return 0;
}

int
respond_auto_match(const struct respond_conf *c, uint32_t rule_id,
    int level, const char *const *groups, int ngroups,
    int64_t *duration_ns)
{
	return respond_auto_match_field(c, rule_id, level, groups, ngroups,
	    duration_ns, NULL);
}
