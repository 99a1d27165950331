/*
 * rules-json.h - analysed events as JSON alerts (Wazuh's alerts.json
 * field names).
 */
#ifndef MAMORI_RULES_JSON_H
#define MAMORI_RULES_JSON_H

#include <stdint.h>

#include <jansson.h>

struct rules_result;

/* What the result does not know: when, where, and which record. */
struct rules_json_meta {
	int64_t		 time_ns;	/* the alert's time */
	const char	*agent;		/* host the event came from, or NULL */
	const char	*manager;	/* this server's name, or NULL */
	const char	*id;		/* alert id, or NULL */
	uint64_t	 record_seq;	/* log store record, 0 if none */
};

/* Returns a new JSON object for r (caller releases it with json_decref()),
 * or NULL when out of memory.  Bytes that are not UTF-8 become U+FFFD. */
json_t *rules_result_json(const struct rules_result *r,
    const struct rules_json_meta *m);

#endif
