/*
 * cli-common.h - what several commands share: who is acting (for the
 * timelines they write) and incident ids.
 */
#ifndef MAMORI_CLI_COMMON_H
#define MAMORI_CLI_COMMON_H

#include <stddef.h>

/* The user behind sudo when running as root, else the login name of the
 * real uid, else "uid N"; written into buf. */
void cli_actor(char *buf, size_t len);

/* An incident id: a whole number from 1, digits only.  0 or
 * MAMORI_EINVAL. */
#include <stdint.h>
int cli_parse_id(const char *s, int64_t *id);

#endif
