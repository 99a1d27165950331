/*
 * cli-alerts.c - printing alerts (see cli-alerts.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli-alerts.h"
#include "core/timeutil.h"
#include "rules/rules-json.h"
#include "rules/rules.h"
#include "store/logsearch.h"

#define LINE_MAX_BYTES	(64 * 1024)

/* Appends s escaped for a terminal (plain printable ASCII as it is). */
void
cli_put_vis(FILE *f, const char *s)
{
	static char vis[4 * LINE_MAX_BYTES + 1];
	size_t n = strnlen(s, LINE_MAX_BYTES), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '\\')
			break;
	if (i == n) {
		fwrite(s, 1, n, f);
		return;
	}
	n = logsearch_vis(vis, (const uint8_t *)s, n);
	fwrite(vis, 1, n, f);
}

/* One alert as text: "TIME rule ID (level L) DESCRIPTION src=.. user=..",
 * then the line that raised it, escaped.  Written with a few fwrite()s:
 * with a flood of alerts this is analyze's own largest cost. */
void
cli_alert_print(const struct rules_result *r, int64_t t, const char *file)
{
	static int64_t last_sec = INT64_MIN;
	static char ts[48];
	const char *src = r->fields[RULES_F_SRCIP];
	const char *user = r->fields[RULES_F_DSTUSER] ?
	    r->fields[RULES_F_DSTUSER] : r->fields[RULES_F_SRCUSER];
	char head[64];
	int n;

	if (t / NS_PER_SEC != last_sec) {
		time_format_rfc3339(t, 0, 0, ts, sizeof(ts));
		last_sec = t / NS_PER_SEC;
	}
	n = snprintf(head, sizeof(head), " rule %u (level %d) ", r->rule_id,
	    r->level);
	fputs(ts, stdout);
	fwrite(head, 1, (size_t)n, stdout);
	if (r->description != NULL)
		fputs(r->description, stdout);
	if (src != NULL) {
		fputs(" src=", stdout);
		cli_put_vis(stdout, src);
	}
	if (user != NULL) {
		fputs(" user=", stdout);
		cli_put_vis(stdout, user);
	}
	fputs("\n    ", stdout);
	fputs(file, stdout);
	fputs(": ", stdout);
	cli_put_vis(stdout, r->full_log);
	putchar('\n');
}

void
cli_alert_json(const struct rules_result *r, int64_t t, const char *agent)
{
	struct rules_json_meta meta;
	json_t *j;
	char *s;

	memset(&meta, 0, sizeof(meta));
	meta.time_ns = t;
	meta.agent = agent;
	if ((j = rules_result_json(r, &meta)) != NULL &&
	    (s = json_dumps(j, JSON_COMPACT)) != NULL) {
		puts(s);
		free(s);
	}
	json_decref(j);
}
