/*
 * fuzz-logsearch-sd.c - libFuzzer harness for the RFC 5424 (section 6.3)
 * STRUCTURED-DATA parser that search output uses: logsearch_sd_parse()
 * and logsearch_sd_json().
 *
 * The input is SD text as a sender wrote it, copied to a buffer of exactly
 * its length so that ASan sees a read past the end.  Also checked:
 *
 *   - every SD-ID and PARAM-NAME handed over lies inside the input and is
 *     1..32 characters of PRINTUSASCII other than '=', ']' and '"';
 *     a PARAM comes with the SD-ID of the element it is in; no value is
 *     longer than the input;
 *   - an error says "offset N: ..." with N inside the input (or at its
 *     end), and success without any element means "" or "-";
 *   - a non-zero return from the callback stops the parse there, is
 *     returned, and what was reported before it is what a full parse
 *     reports;
 *   - what parses, written out again with its values re-escaped, parses
 *     to the same elements and parameters;
 *   - logsearch_sd_json() succeeds exactly when the parse does, with one
 *     member per distinct SD-ID and one string per SD-PARAM, and its
 *     object survives a dump and reload unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "store/logsearch.h"

#define SD_NAME_MAX	32
#define STOP_RC		4242	/* what the stopping callback returns */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The calls seen, flattened: per call a kind byte, then id, name and value
 * each as a 4-byte length and the bytes. */
struct calls {
	const uint8_t	*in;
	size_t		 inlen;
	uint8_t		*buf;
	size_t		 used, cap;
	size_t		 n, nparams, stop_at;
	const char	*cur_id;	/* SD-ID of the open element */
	size_t		 cur_idlen;
};

static void
put(struct calls *c, const void *p, size_t len)
{
	if (c->used + len + 4 > c->cap) {
		size_t cap = (c->cap + len + 4) * 2;
		uint8_t *n = realloc(c->buf, cap);

		if (n == NULL)
			abort();
		c->buf = n;
		c->cap = cap;
	}
	memcpy(c->buf + c->used, &(uint32_t){ (uint32_t)len }, 4);
	if (len > 0)
		memcpy(c->buf + c->used + 4, p, len);
	c->used += 4 + len;
}

static void
check_name(const struct calls *c, const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SD_NAME_MAX)
		abort();
	if ((const uint8_t *)s < c->in ||
	    (const uint8_t *)s + len > c->in + c->inlen)
		abort();
	for (i = 0; i < len; i++)
		if ((uint8_t)s[i] <= ' ' || (uint8_t)s[i] >= 127 ||
		    s[i] == '=' || s[i] == ']' || s[i] == '"')
			abort();
}

static int
record(void *arg, const char *id, size_t idlen, const char *name,
    size_t namelen, const char *value, size_t vlen)
{
	struct calls *c = arg;
	uint8_t kind = name == NULL ? 'E' : 'P';

	check_name(c, id, idlen);
	if (name == NULL) {
		if (value != NULL || vlen != 0 || namelen != 0)
			abort();
		c->cur_id = id;
		c->cur_idlen = idlen;
	} else {
		check_name(c, name, namelen);
		if (id != c->cur_id || idlen != c->cur_idlen)
			abort();	/* a PARAM outside its element */
		if (vlen > c->inlen || (vlen > 0 && value == NULL))
			abort();
		c->nparams++;
	}
	put(c, &kind, 1);
	put(c, id, idlen);
	put(c, name, namelen);
	put(c, value, vlen);
	if (c->n++ == c->stop_at)
		return STOP_RC;
	return 0;
}

static int
parse(const uint8_t *p, size_t len, struct calls *c, size_t stop_at,
    char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->in = p;
	c->inlen = len;
	c->stop_at = stop_at;
	return logsearch_sd_parse(p, len, record, c, err, errlen);
}

/* Writes the calls in c back out as SD text, each value escaped. */
static uint8_t *
unparse(const struct calls *c, size_t *outlen)
{
	const uint8_t *q = c->buf, *end = c->buf + c->used;
	uint8_t *out, *o;
	uint32_t l[3];
	const uint8_t *s[3];
	size_t i, k;
	int open = 0;

	/* At most: every value byte doubled, plus the names and syntax. */
	if ((out = malloc(2 * c->used + 2)) == NULL)
		abort();
	o = out;
	while (q < end) {
		uint8_t kind = q[4];

		q += 5;
		for (k = 0; k < 3; k++) {
			memcpy(&l[k], q, 4);
			s[k] = q + 4;
			q += 4 + l[k];
		}
		if (kind == 'E') {
			if (open)
				*o++ = ']';
			*o++ = '[';
			memcpy(o, s[0], l[0]);
			o += l[0];
			open = 1;
			continue;
		}
		*o++ = ' ';
		memcpy(o, s[1], l[1]);
		o += l[1];
		*o++ = '=';
		*o++ = '"';
		for (i = 0; i < l[2]; i++) {
			if (s[2][i] == '"' || s[2][i] == '\\' ||
			    s[2][i] == ']')
				*o++ = '\\';
			*o++ = s[2][i];
		}
		*o++ = '"';
	}
	if (open)
		*o++ = ']';
	*outlen = (size_t)(o - out);
	return out;
}

static void
check_error(const char *err, size_t len)
{
	char *end;
	unsigned long long off;

	if (strncmp(err, "offset ", 7) != 0)
		abort();
	off = strtoull(err + 7, &end, 10);
	if (end == err + 7 || strncmp(end, ": ", 2) != 0 || end[2] == '\0')
		abort();
	if (off > len)
		abort();
}

static void
check_json(json_t *j, const struct calls *c)
{
	const char *id, *name;
	json_t *elem, *v, *s, *back;
	size_t strings = 0, i;
	char *text;

	if (!json_is_object(j))
		abort();
	json_object_foreach(j, id, elem) {
		if (!json_is_object(elem))
			abort();
		json_object_foreach(elem, name, v) {
			if (json_is_string(v)) {
				strings++;
				continue;
			}
			if (!json_is_array(v) || json_array_size(v) < 2)
				abort();
			json_array_foreach(v, i, s) {
				if (!json_is_string(s))
					abort();
				strings++;
			}
		}
	}
	if (strings != c->nparams)
		abort();
	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		abort();
	if ((back = json_loads(text, JSON_ALLOW_NUL, NULL)) == NULL ||
	    !json_equal(back, j))
		abort();
	json_decref(back);
	free(text);
}

static size_t
count_ids(const struct calls *c)
{
	const uint8_t *q = c->buf, *end, *r;
	uint32_t l, m;
	size_t distinct = 0, k;
	int seen;

	if (c->buf == NULL)
		return 0;
	end = c->buf + c->used;
	/* Quadratic, but the input is small. */
	while (q < end) {
		uint8_t kind = q[4];
		const uint8_t *id = q + 9;

		memcpy(&l, q + 5, 4);
		if (kind == 'E') {
			seen = 0;
			for (r = c->buf; r < q && !seen; ) {
				memcpy(&m, r + 5, 4);
				if (r[4] == 'E' && m == l &&
				    memcmp(r + 9, id, l) == 0)
					seen = 1;
				for (k = 0, r += 5; k < 3; k++) {
					memcpy(&m, r, 4);
					r += 4 + m;
				}
			}
			distinct += !seen;
		}
		for (k = 0, q += 5; k < 3; k++) {
			memcpy(&m, q, 4);
			q += 4 + m;
		}
	}
	return distinct;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct calls full, part, again;
	uint8_t *p, *text;
	size_t textlen;
	char err[128], ferr[128], jerr[128];
	json_t *j;
	int rc, rc2;

	/* Exactly size bytes, so that one byte too far is caught. */
	if ((p = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(p, data, size);

	err[0] = '\0';
	rc = parse(p, size, &full, SIZE_MAX, err, sizeof(err));
	if (rc != 0 && rc != MAMORI_EINVAL)
		abort();
	if (rc == MAMORI_EINVAL)
		check_error(err, size);
	memcpy(ferr, err, sizeof(ferr));
	if (rc == 0 && full.n == 0 && !(size == 0 ||
	    (size == 1 && p[0] == '-')))
		abort();

	/* Stopping half-way returns the callback's value, and reports
	 * exactly what the full parse reported up to there. */
	if (full.n > 0) {
		rc2 = parse(p, size, &part, full.n / 2, err, sizeof(err));
		if (rc2 != STOP_RC || part.n != full.n / 2 + 1 ||
		    part.used > full.used ||
		    memcmp(part.buf, full.buf, part.used) != 0)
			abort();
		free(part.buf);
	}

	/* What parses survives being written out again. */
	if (rc == 0 && full.n > 0) {
		text = unparse(&full, &textlen);
		if (parse(text, textlen, &again, SIZE_MAX, err,
		    sizeof(err)) != 0 || again.used != full.used ||
		    memcmp(again.buf, full.buf, full.used) != 0)
			abort();
		free(again.buf);
		free(text);
	}

	jerr[0] = '\0';
	j = logsearch_sd_json(p, size, jerr, sizeof(jerr));
	if ((j != NULL) != (rc == 0))
		abort();
	if (j != NULL) {
		check_json(j, &full);
		if (json_object_size(j) != count_ids(&full))
			abort();
		json_decref(j);
	} else if (strcmp(jerr, ferr) != 0)
		abort();	/* the same input fails the same way */
	free(full.buf);
	free(p);
	return 0;
}
