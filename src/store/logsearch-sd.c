/*
 * logsearch-sd.c - RFC 5424 section 6.3 STRUCTURED-DATA, parsed for
 * display and JSON:
 *
 *   STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT
 *   SD-ELEMENT      = "[" SD-ID *(SP SD-PARAM) "]"
 *   SD-PARAM        = PARAM-NAME "=" %d34 PARAM-VALUE %d34
 *   SD-ID, PARAM-NAME = SD-NAME = 1*32PRINTUSASCII
 *                       ; except '=', SP, ']', %d34 (")
 *   PARAM-VALUE     = UTF-8-STRING ; '"', '\' and ']' escaped with '\'
 *
 * The input is the SD text a sender wrote, so it is untrusted: every
 * index is checked against len, nothing is read past it, and the only
 * allocation is one buffer of len bytes for unescaped values.  Two
 * liberties, both seen from real senders and both unambiguous: a ']'
 * left unescaped inside a quoted value is taken as text, and a value may
 * hold any bytes (not only UTF-8; the JSON layer replaces what is not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "store/logsearch.h"

#define SD_NAME_MAX	32

static int
sd_name_char(uint8_t c)
{
	return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
}

static int
bad(char *err, size_t errlen, size_t off, const char *why)
{
	snprintf(err, errlen, "offset %zu: %s", off, why);
	return MAMORI_EINVAL;
}

/* Reads an SD-NAME at p[*i..len). */
static int
sd_name(const uint8_t *p, size_t len, size_t *i, size_t *start,
    size_t *nlen, const char *what, char *err, size_t errlen)
{
	char why[64];

	*start = *i;
	while (*i < len && sd_name_char(p[*i]))
		(*i)++;
	*nlen = *i - *start;
	if (*nlen == 0) {
		snprintf(why, sizeof(why), "expected %s", what);
		return bad(err, errlen, *i, why);
	}
	if (*nlen > SD_NAME_MAX) {
		snprintf(why, sizeof(why), "%s longer than %d characters",
		    what, SD_NAME_MAX);
		return bad(err, errlen, *start, why);
	}
	return 0;
}

int
logsearch_sd_parse(const uint8_t *p, size_t len, logsearch_sd_cb cb,
    void *arg, char *err, size_t errlen)
{
	size_t i = 0, id, idlen, name, namelen, vlen, open;
	char *val;
	int rc = 0;

	if (len == 0 || (len == 1 && p[0] == '-'))
		return 0;
	if ((val = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	while (i < len) {
		if (p[i] != '[') {
			rc = bad(err, errlen, i, "expected '['");
			break;
		}
		i++;
		if ((rc = sd_name(p, len, &i, &id, &idlen, "SD-ID", err,
		    errlen)) != 0)
			break;
		if ((rc = cb(arg, (const char *)p + id, idlen, NULL, 0, NULL,
		    0)) != 0)
			break;
		for (;;) {
			if (i >= len) {
				rc = bad(err, errlen, i, "SD-ELEMENT not "
				    "closed with ']'");
				break;
			}
			if (p[i] == ']') {
				i++;
				break;
			}
			if (p[i] != ' ') {
				rc = bad(err, errlen, i, "expected ' ' or ']'");
				break;
			}
			i++;
			if ((rc = sd_name(p, len, &i, &name, &namelen,
			    "PARAM-NAME", err, errlen)) != 0)
				break;
			if (i >= len || p[i] != '=') {
				rc = bad(err, errlen, i, "expected '='");
				break;
			}
			i++;
			if (i >= len || p[i] != '"') {
				rc = bad(err, errlen, i, "expected '\"'");
				break;
			}
			open = i++;
			vlen = 0;
			while (i < len && p[i] != '"') {
				if (p[i] == '\\' && i + 1 < len &&
				    (p[i + 1] == '"' || p[i + 1] == '\\' ||
				    p[i + 1] == ']'))
					i++;
				val[vlen++] = (char)p[i++];
			}
			if (i >= len) {
				rc = bad(err, errlen, open, "PARAM-VALUE not "
				    "closed with '\"'");
				break;
			}
			i++;
			if ((rc = cb(arg, (const char *)p + id, idlen,
			    (const char *)p + name, namelen, val, vlen)) != 0)
				break;
		}
		if (rc != 0)
			break;
	}
	free(val);
	return rc;
}

/* Building the JSON object. */

struct sd_build {
	json_t	*root;
};

static int
sd_add(void *arg, const char *id, size_t idlen, const char *name,
    size_t namelen, const char *value, size_t vlen)
{
	struct sd_build *b = arg;
	char key[SD_NAME_MAX + 1];
	json_t *elem, *v, *old, *arr;

	memcpy(key, id, idlen);
	key[idlen] = '\0';
	if ((elem = json_object_get(b->root, key)) == NULL) {
		if ((elem = json_object()) == NULL ||
		    json_object_set_new(b->root, key, elem) != 0)
			return MAMORI_ENOMEM;
	}
	if (name == NULL)
		return 0;
	memcpy(key, name, namelen);
	key[namelen] = '\0';
	if ((v = logsearch_utf8_json((const uint8_t *)value, vlen)) == NULL)
		return MAMORI_ENOMEM;
	if ((old = json_object_get(elem, key)) == NULL)
		return json_object_set_new(elem, key, v) == 0 ? 0 :
		    MAMORI_ENOMEM;
	if (json_is_array(old))
		return json_array_append_new(old, v) == 0 ? 0 : MAMORI_ENOMEM;
	/* Second value: the string becomes an array of both. */
	if ((arr = json_array()) == NULL ||
	    json_array_append(arr, old) != 0 ||
	    json_array_append_new(arr, v) != 0 ||
	    json_object_set_new(elem, key, arr) != 0) {
		json_decref(arr);
		return MAMORI_ENOMEM;
	}
	return 0;
}

json_t *
logsearch_sd_json(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct sd_build b;
	int rc;

	if ((b.root = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((rc = logsearch_sd_parse(p, len, sd_add, &b, err, errlen)) != 0) {
		if (rc == MAMORI_ENOMEM)
			snprintf(err, errlen, "out of memory");
		json_decref(b.root);
		return NULL;
	}
	return b.root;
}
