/*
 * host.h - what the host-side modules (file integrity, audit, rootkit
 * signs, the agent) share: how a finding leaves a module, and how a
 * module reads its section of the agent's configuration file.
 *
 * A finding is one event.  Its app-name names the module
 * ("mamori-fim", "mamori-audit", "mamori-rootcheck", "mamori-agent") and
 * its message is one line of JSON whose single top-level key is the
 * module's short name ({"fim":{...}}), so the rules engine's JSON_Decoder
 * gives fields such as fim.path and audit.check (see rules/0070-*.xml).
 * The same line is what `--json` prints, so a person at a terminal and
 * the server see the same thing.
 *
 * The agent's configuration is its own YAML file (the agent runs on the
 * watched host, not on the log server).  Its top-level sections are
 * host_conf_sections[]; each module parses its own with yamldoc.h.
 */
#ifndef MAMORI_HOST_H
#define MAMORI_HOST_H

#include <stddef.h>

#include "core/yamldoc.h"

struct host_finding {
	const char	*app;		/* "mamori-fim", ... */
	int		 severity;	/* syslog severity, 0..7 */
	const char	*msgid;		/* short kind, e.g. "changed"; may be NULL */
	const char	*json;		/* one line, no newline */
	size_t		 len;
};

/*
 * Called once per finding.  The finding's strings belong to the caller
 * and last only for the call: copy what must outlive it.  Returns 0 to go
 * on, or a negative MAMORI_E* code to stop the run (which then returns
 * that code).
 */
typedef int (*host_emit_fn)(void *arg, const struct host_finding *f);

/* The agent file's sections, NULL-terminated: agent, logs, fim, audit,
 * rootcheck. */
extern const char *const host_conf_sections[];

/*
 * Section parser: reads node (a mapping, never NULL) named name into conf.
 * Returns 0 or MAMORI_ECONFIG/MAMORI_ENOMEM with d's err set.
 */
typedef int (*host_conf_parse_fn)(struct ydoc *d, yaml_node_t *node,
    const char *name, void *conf);

/*
 * Loads the agent configuration file at path, checks that its top level
 * is a mapping of known sections (an unknown one is an error with a "did
 * you mean" hint), and hands section `section` to parse (when present and
 * not null; otherwise conf is left as it was).  Returns 0, MAMORI_ECONFIG
 * with "FILE:LINE: setting 'x.y': reason" in err, MAMORI_ESYS (cannot
 * read, with the reason in err) or MAMORI_ENOMEM.
 */
int host_conf_load(const char *path, const char *section,
    host_conf_parse_fn parse, void *conf, char *err, size_t errlen);

/*
 * Readers the section parsers share (errors "FILE:LINE: setting ..."):
 * host_conf_paths() reads a path or a list of absolute paths into *out
 * (replacing it; free with ydoc_strv_free(); v NULL: left as it is);
 * host_conf_switch() reads a check's value, true/false or a mapping with
 * "enabled" and the keys allowed[0..n) (n at most 15), into *enabled,
 * and gives the mapping in *map (NULL for a scalar or absent v).
 */
int host_conf_paths(struct ydoc *d, yaml_node_t *v, const char *name,
    char ***out);
int host_conf_switch(struct ydoc *d, yaml_node_t *v, const char *name,
    const char *const *allowed, size_t n, int *enabled, yaml_node_t **map);

#endif
