/*
 * cli-alerts.h - printing alerts for the commands that analyse (analyze,
 * sniff).
 */
#ifndef MAMORI_CLI_ALERTS_H
#define MAMORI_CLI_ALERTS_H

#include <stdint.h>
#include <stdio.h>

struct rules_result;

/* Writes s to f escaped for a terminal (printable ASCII as it is, the
 * rest as \xNN and the like, as logs search does). */
void cli_put_vis(FILE *f, const char *s);

/* One alert on stdout: "TIME rule ID (level L) DESCRIPTION src=..
 * user=..", then "    FILE: LINE", escaped. */
void cli_alert_print(const struct rules_result *r, int64_t t,
    const char *file);

/* One alert on stdout as a JSON line (Wazuh alerts.json names) at time t
 * from host agent (may be NULL). */
void cli_alert_json(const struct rules_result *r, int64_t t,
    const char *agent);

#endif
