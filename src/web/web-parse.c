/*
 * web-parse.c - the bytes clients send the console, turned into values:
 * percent-encoded paths and query strings (RFC 3986 section 2.1; '+' as
 * a space in queries, as HTML forms send them), the Cookie header
 * (RFC 6265 section 5.4), "Authorization: Bearer" (RFC 6750 section
 * 2.1), numbers, durations, and JSON request bodies (RFC 8259).
 *
 * Everything here reads untrusted input: lengths are checked before
 * use, nothing is trusted to be NUL-free or UTF-8, and every function
 * has a fuzz harness (tests/fuzz/fuzz-web-parse.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "web/web-impl.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
web_url_decode(const char *in, size_t len, char *out, int plus)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			if (len - i < 3 || (hi = hexval((unsigned char)
			    in[i + 1])) < 0 || (lo = hexval((unsigned char)
			    in[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == '\0')
			goto bad;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
 bad:
	out[0] = '\0';
	return -1;
}

int
web_path_split(const char *path, char **segs, int max)
{
	const char *p = path, *e;
	size_t len;
	int n = 0, i;

	if (*p == '/')
		p++;
	while (*p != '\0') {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len > 3 * WEB_MAX_SEG || n == max)
			goto bad;
		if ((segs[n] = malloc(len + 1)) == NULL)
			goto bad;
		if (web_url_decode(p, len, segs[n], 0) < 0 ||
		    strlen(segs[n]) > WEB_MAX_SEG ||
		    strcmp(segs[n], ".") == 0 || strcmp(segs[n], "..") == 0) {
			free(segs[n]);
			goto bad;
		}
		n++;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return n;
 bad:
	for (i = 0; i < n; i++) {
		free(segs[i]);
		segs[i] = NULL;
	}
	return -1;
}

int
web_cookie_get(const char *header, const char *name, char *out,
    size_t outlen)
{
	const char *p = header, *k, *v, *e;
	size_t nlen = strlen(name), klen, vlen;

	if (outlen > 0)
		out[0] = '\0';
	if (header == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		k = p;
		while (*p != '\0' && *p != '=' && *p != ';')
			p++;
		klen = (size_t)(p - k);
		while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		if (*p != '=') {
			/* A pair without '=' is ignored (RFC 6265 5.2). */
			continue;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		v = p;
		while (*p != '\0' && *p != ';')
			p++;
		e = p;
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		vlen = (size_t)(e - v);
		/* A quoted value loses its quotes (RFC 6265 cookie-value). */
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (klen == nlen && memcmp(k, name, nlen) == 0) {
			if (vlen + 1 > outlen)
				return -2;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return (int)vlen;
		}
	}
	return -1;
}

int
web_bearer_get(const char *header, char *out, size_t outlen)
{
	const char *p;
	size_t i, n;

	if (outlen > 0)
		out[0] = '\0';
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	p = header + 7;
	while (*p == ' ')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n + 1 > outlen)
		return -1;
	/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
	 * "/" ) *"=" */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~' || c == '+' || c == '/' || c == '=') ||
		    c >= 0x80)
			return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return (int)n;
}

int
web_parse_id(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	*out = 0;
	if (s == NULL || s[0] == '\0' || s[0] == '0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int
web_parse_duration(const json_t *v, int64_t *out_ns)
{
	int64_t ns;

	if (json_is_integer(v)) {
		json_int_t s = json_integer_value(v);

		if (s < 0 || s > INT64_MAX / NS_PER_SEC)
			return -1;
		*out_ns = (int64_t)s * NS_PER_SEC;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) > 32)
		return -1;
	if (strcmp(json_string_value(v), "0") == 0) {
		*out_ns = 0;
		return 0;
	}
	if (config_parse_duration(json_string_value(v), &ns) != 0 || ns < 0)
		return -1;
	*out_ns = ns;
	return 0;
}

json_t *
web_body_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (len > WEB_MAX_BODY) {
		mamori_seterr(err, errlen, "request body larger than %d bytes",
		    WEB_MAX_BODY);
		return NULL;
	}
	if (len == 0)
		return json_object();
	/* jansson checks UTF-8 and, without JSON_ALLOW_NUL, refuses
	 * "\u0000" in strings; duplicates are refused so that a checker
	 * and a user of the body cannot see different values. */
	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		mamori_seterr(err, errlen, "request body: not JSON: %s (line "
		    "%d, column %d)", je.text, je.line, je.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		mamori_seterr(err, errlen, "request body: expected a JSON "
		    "object");
		return NULL;
	}
	return j;
}

int
web_body_str(const json_t *o, const char *key, int required, size_t max,
    int multiline, const char **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	size_t i, len;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		mamori_seterr(err, errlen, "field '%s' is required", key);
		return -1;
	}
	if (!json_is_string(v)) {
		mamori_seterr(err, errlen, "field '%s': expected a string",
		    key);
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max) {
		mamori_seterr(err, errlen, "field '%s': longer than %zu bytes",
		    key, max);
		return -1;
	}
	if (required && len == 0) {
		mamori_seterr(err, errlen, "field '%s' is empty", key);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && !(multiline && (c == '\n' ||
		    c == '\r'))) || c == 0x7f) {
			mamori_seterr(err, errlen, "field '%s': control "
			    "characters are not allowed", key);
			return -1;
		}
	}
	*out = s;
	return 0;
}

int
web_body_bool(const json_t *o, const char *key, int required, int *out,
    char *err, size_t errlen)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		mamori_seterr(err, errlen, "field '%s' is required", key);
		return -1;
	}
	if (!json_is_boolean(v)) {
		mamori_seterr(err, errlen, "field '%s': expected true or "
		    "false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}
