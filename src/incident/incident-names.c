/*
 * incident-names.c - the names of statuses, impact levels, severities and
 * the other enumerations of incident.h, as the CLI, JSON and database
 * spell them.
 */
#include <stdlib.h>
#include <string.h>

#include "incident/incident.h"

static const char *const status_names[INC_NSTATUS] = {
	"new", "triage", "containment", "eradication", "recovery", "closed",
	"false-positive",
};

static const char *const impact_names[] = {
	NULL, "internal", "external", "infrastructure",
};

static const char *const severity_names[] = {
	NULL, "low", "medium", "high", "critical",
};

static int
find(const char *const *names, int n, const char *s)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
inc_status_name(enum inc_status s)
{
	return (unsigned)s < INC_NSTATUS ? status_names[s] : "unknown";
}

int
inc_status_parse(const char *s)
{
	/* "false_positive" and "fp" as typed at a terminal. */
	if (s != NULL && (strcmp(s, "false_positive") == 0 ||
	    strcmp(s, "fp") == 0))
		return INC_FALSE_POSITIVE;
	return find(status_names, INC_NSTATUS, s);
}

const char *
inc_impact_name(enum inc_impact i)
{
	return i >= INC_IMPACT_INTERNAL && i <= INC_IMPACT_INFRASTRUCTURE ?
	    impact_names[i] : "unknown";
}

int
inc_impact_parse(const char *s)
{
	if (s != NULL && s[0] >= '1' && s[0] <= '3' && s[1] == '\0')
		return s[0] - '0';
	return find(impact_names, 4, s);
}

const char *
inc_severity_name(enum inc_severity s)
{
	return s >= INC_SEV_LOW && s <= INC_SEV_CRITICAL ?
	    severity_names[s] : "unknown";
}

int
inc_severity_parse(const char *s)
{
	if (s != NULL && s[0] >= '1' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return find(severity_names, 5, s);
}

int
inc_severity_of_level(int level)
{
	if (level >= 13)
		return INC_SEV_CRITICAL;
	if (level >= 10)
		return INC_SEV_HIGH;
	if (level >= 6)
		return INC_SEV_MEDIUM;
	return INC_SEV_LOW;
}

const char *
inc_party_kind_name(enum inc_party_kind k)
{
	switch (k) {
	case INC_PARTY_IP:	return "ip";
	case INC_PARTY_HOST:	return "host";
	case INC_PARTY_USER:	return "user";
	}
	return "unknown";
}

const char *
inc_step_state_name(enum inc_step_state s)
{
	switch (s) {
	case INC_STEP_OPEN:	return "open";
	case INC_STEP_DONE:	return "done";
	case INC_STEP_SKIPPED:	return "skipped";
	}
	return "unknown";
}

static const char *const evidence_names[] = {
	"hash", "capture", "log", "file", "note",
};

const char *
inc_evidence_kind_name(enum inc_evidence_kind k)
{
	return (unsigned)k < sizeof(evidence_names) /
	    sizeof(evidence_names[0]) ? evidence_names[k] : "unknown";
}

int
inc_evidence_kind_parse(const char *s)
{
	return find(evidence_names, (int)(sizeof(evidence_names) /
	    sizeof(evidence_names[0])), s);
}

void
incident_release(struct incident *inc)
{
	size_t i;

	if (inc == NULL)
		return;
	free(inc->title);
	free(inc->category);
	free(inc->rsit_class);
	free(inc->rsit_type);
	free(inc->assignee);
	free(inc->source);
	free(inc->reporter);
	free(inc->summary);
	free(inc->playbook);
	for (i = 0; i < inc->nparties; i++)
		free(inc->parties[i].value);
	free(inc->parties);
	for (i = 0; i < inc->nsteps; i++) {
		free(inc->steps[i].id);
		free(inc->steps[i].title);
		free(inc->steps[i].detail);
		free(inc->steps[i].who);
		free(inc->steps[i].note);
	}
	free(inc->steps);
	for (i = 0; i < inc->nevidence; i++) {
		free(inc->evidence[i].value);
		free(inc->evidence[i].note);
		free(inc->evidence[i].who);
	}
	free(inc->evidence);
	for (i = 0; i < inc->ntimeline; i++) {
		free(inc->timeline[i].who);
		free(inc->timeline[i].kind);
		free(inc->timeline[i].text);
	}
	free(inc->timeline);
	for (i = 0; i < inc->nalerts; i++) {
		free(inc->alerts[i].description);
		free(inc->alerts[i].host);
		free(inc->alerts[i].srcip);
		free(inc->alerts[i].user);
		free(inc->alerts[i].log);
	}
	free(inc->alerts);
	memset(inc, 0, sizeof(*inc));
}
