/*
 * rules-json.c - an analysed event as a JSON alert, with the field names
 * of Wazuh's alerts.json, so that tools reading Wazuh alerts read
 * mamori's: timestamp, rule{id,level,description,groups,firedtimes,
 * mitre{id}}, agent{name}, manager{name}, decoder{name,parent},
 * data{srcip,srcuser,dstuser,...}, full_log, location,
 * predecoder{program_name,timestamp,hostname}, id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/timeutil.h"
#include "rules/rules-json.h"
#include "rules/rules.h"

/* Text that is not valid UTF-8 cannot go into a JSON string as it is:
 * such bytes become U+FFFD, as Wazuh does. */
static json_t *
jstr(const char *s)
{
	json_t *j;
	char *fixed, *d;
	size_t n;

	if ((j = json_string(s)) != NULL)
		return j;
	n = strlen(s);
	if ((fixed = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (d = fixed; *s != '\0'; ) {
		const unsigned char *u = (const unsigned char *)s;
		size_t len = 0;

		if (u[0] < 0x80)
			len = 1;
		else if ((u[0] & 0xe0) == 0xc0 && u[0] >= 0xc2 &&
		    (u[1] & 0xc0) == 0x80)
			len = 2;
		else if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 &&
		    (u[2] & 0xc0) == 0x80)
			len = 3;
		else if ((u[0] & 0xf8) == 0xf0 && u[0] <= 0xf4 &&
		    (u[1] & 0xc0) == 0x80 && (u[2] & 0xc0) == 0x80 &&
		    (u[3] & 0xc0) == 0x80)
			len = 4;
		if (len == 0) {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			s++;
		} else {
			memcpy(d, s, len);
			d += len;
			s += len;
		}
	}
	*d = '\0';
	j = json_string(fixed);
	if (j == NULL)		/* surrogates and the like: give up */
		j = json_string("");
	free(fixed);
	return j;
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, jstr(v));
}

json_t *
rules_result_json(const struct rules_result *r, const struct rules_json_meta *m)
{
	json_t *o, *rule, *data, *pre, *dec, *arr, *mitre;
	char ts[48], id[24];
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	time_format_rfc3339(m->time_ns, 0, 3, ts, sizeof(ts));
	json_object_set_new(o, "timestamp", json_string(ts));
	if (r->matched) {
		rule = json_object();
		snprintf(id, sizeof(id), "%u", r->rule_id);
		json_object_set_new(rule, "id", json_string(id));
		json_object_set_new(rule, "level", json_integer(r->level));
		set_str(rule, "description", r->description);
		arr = json_array();
		for (i = 0; i < r->ngroups; i++)
			json_array_append_new(arr, jstr(r->groups[i]));
		json_object_set_new(rule, "groups", arr);
		json_object_set_new(rule, "firedtimes",
		    json_integer((json_int_t)r->firedtimes));
		if (r->nmitre > 0) {
			mitre = json_object();
			arr = json_array();
			for (i = 0; i < r->nmitre; i++)
				json_array_append_new(arr, jstr(r->mitre[i]));
			json_object_set_new(mitre, "id", arr);
			json_object_set_new(rule, "mitre", mitre);
		}
		set_str(rule, "info", r->info);
		json_object_set_new(o, "rule", rule);
	}
	json_object_set_new(o, "alert", json_boolean(r->alert));
	if (m->agent != NULL)
		json_object_set_new(o, "agent", json_pack("{s:s}", "name",
		    m->agent));
	if (m->manager != NULL)
		json_object_set_new(o, "manager", json_pack("{s:s}", "name",
		    m->manager));
	if (m->id != NULL)
		json_object_set_new(o, "id", json_string(m->id));
	if (r->decoder != NULL) {
		dec = json_object();
		/* Wazuh's naming: a child reports its parent's name
		 * (unless use_own_name), and the parent. */
		set_str(dec, "name", r->decoder);
		set_str(dec, "parent", r->decoder_parent);
		json_object_set_new(o, "decoder", dec);
	}
	data = json_object();
	for (i = 0; i < RULES_F_NFIXED; i++)
		set_str(data, rules_field_name((enum rules_fid)i), r->fields[i]);
	for (i = 0; i < r->ndyn; i++)
		set_str(data, r->dyn[i].name, r->dyn[i].value);
	if (json_object_size(data) > 0)
		json_object_set_new(o, "data", data);
	else
		json_decref(data);
	set_str(o, "full_log", r->full_log);
	pre = json_object();
	set_str(pre, "program_name", r->program_name);
	set_str(pre, "timestamp", r->timestamp);
	set_str(pre, "hostname", r->hostname);
	if (json_object_size(pre) > 0)
		json_object_set_new(o, "predecoder", pre);
	else
		json_decref(pre);
	set_str(o, "location", r->location);
	if (m->record_seq != 0)
		json_object_set_new(o, "log_seq",
		    json_integer((json_int_t)m->record_seq));
	return o;
}
