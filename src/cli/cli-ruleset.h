/*
 * cli-ruleset.h - loading rulesets for the commands that analyse.
 */
#ifndef MAMORI_CLI_RULESET_H
#define MAMORI_CLI_RULESET_H

#include <stddef.h>

struct rules_set;

/* The bundled ruleset's directory: $MAMORI_RULES, else rules/ beside the
 * executable (source tree or install prefix), else
 * /usr/share/mamori/rules.  Returns 0, or MAMORI_ENOTFOUND with the last
 * place tried in buf. */
int cli_ruleset_default(char *buf, size_t len);

/* Loads paths[0..npaths) in order (the bundled ruleset when npaths is
 * 0) and finishes the set.  On error prints "prog: file:line: reason" to
 * stderr and returns NULL. */
struct rules_set *cli_ruleset_load(char **paths, int npaths,
    const char *prog);

#endif
