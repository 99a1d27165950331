/*
 * agent-pos.c - the tail positions file (format: agent.h), read at start
 * and written after every queue fsync.  It is written atomically, but it
 * is still read as untrusted bytes (a disk may return anything; someone
 * may edit it): every field is checked, a CRC covers the whole, and any
 * fault rejects the file with the line that has it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/error.h"
#include "host/agent.h"

#define POS_HEADER	"mamori-agent-positions 1\n"

void
agent_pos_free(struct agent_pos *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal field at p[*i..end) up to a space; at most max. */
static int
num(const uint8_t *p, size_t end, size_t *i, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < end && p[*i] >= '0' && p[*i] <= '9') {
		uint64_t d = (uint64_t)(p[*i] - '0');

		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		(*i)++;
	}
	if (*i == start || *i - start > 20 || (p[start] == '0' &&
	    *i - start > 1))
		return -1;
	*out = v;
	return 0;
}

static int
space(const uint8_t *p, size_t end, size_t *i)
{
	if (*i >= end || p[*i] != ' ')
		return -1;
	(*i)++;
	return 0;
}

/* One entry line p[start..end) (without its LF). */
static int
parse_line(const uint8_t *p, size_t start, size_t end, struct agent_pos *e,
    const char **why)
{
	size_t i = start, j, o;
	uint64_t siglen;
	int h, l;

	memset(e, 0, sizeof(*e));
	if (num(p, end, &i, UINT64_MAX, &e->dev) != 0 ||
	    space(p, end, &i) != 0) {
		*why = "bad device number";
		return -1;
	}
	if (num(p, end, &i, UINT64_MAX, &e->ino) != 0 ||
	    space(p, end, &i) != 0) {
		*why = "bad inode number";
		return -1;
	}
	if (num(p, end, &i, INT64_MAX, &e->offset) != 0 ||
	    space(p, end, &i) != 0) {
		*why = "bad offset";
		return -1;
	}
	if (num(p, end, &i, AGENT_SIG_MAX, &siglen) != 0 ||
	    space(p, end, &i) != 0) {
		*why = "bad signature length";
		return -1;
	}
	e->siglen = (uint32_t)siglen;
	if (end - i < 65) {
		*why = "signature cut short";
		return -1;
	}
	for (j = 0; j < 32; j++) {
		if ((h = hexval(p[i + 2 * j])) < 0 ||
		    (l = hexval(p[i + 2 * j + 1])) < 0) {
			*why = "signature is not hex";
			return -1;
		}
		e->sig[j] = (uint8_t)(h << 4 | l);
	}
	i += 64;
	if (space(p, end, &i) != 0 || i >= end) {
		*why = "no path";
		return -1;
	}
	if ((e->path = malloc(end - i + 1)) == NULL) {
		*why = NULL;
		return -1;
	}
	for (o = 0; i < end; i++) {
		uint8_t c = p[i];

		if (c < '!' || c > '~') {
			*why = "path holds a byte that should be escaped";
			goto bad;
		}
		if (c == '%') {
			if (end - i < 3 || (h = hexval(p[i + 1])) < 0 ||
			    (l = hexval(p[i + 2])) < 0 || (h == 0 && l == 0)) {
				*why = "bad %XX escape in the path";
				goto bad;
			}
			c = (uint8_t)(h << 4 | l);
			i += 2;
		}
		e->path[o++] = (char)c;
	}
	e->path[o] = '\0';
	if (e->path[0] != '/') {
		*why = "path is not absolute";
		goto bad;
	}
	return 0;
 bad:
	free(e->path);
	e->path = NULL;
	return -1;
}

int
agent_pos_parse(const uint8_t *p, size_t len, struct agent_pos **out,
    size_t *n, char *err, size_t errlen)
{
	struct agent_pos *v = NULL, *nv;
	size_t hl = sizeof(POS_HEADER) - 1, i, eol, cap = 0, line = 1, cnt = 0;
	const char *why = NULL;
	uint32_t want, got;
	uint64_t c;
	int r = MAMORI_ECORRUPT;

	*out = NULL;
	*n = 0;
	if (len < hl || memcmp(p, POS_HEADER, hl) != 0) {
		mamori_seterr(err, errlen, "line 1: not a positions file "
		    "(expected '%.*s')", (int)hl - 1, POS_HEADER);
		return MAMORI_ECORRUPT;
	}
	for (i = hl; ; i = eol + 1) {
		line++;
		if (i >= len) {
			mamori_seterr(err, errlen, "line %zu: file ends "
			    "without its 'end' line", line);
			goto fail;
		}
		eol = i;
		while (eol < len && p[eol] != '\n')
			eol++;
		if (eol == len) {
			mamori_seterr(err, errlen, "line %zu: cut short", line);
			goto fail;
		}
		if (eol - i >= 4 && memcmp(p + i, "end ", 4) == 0)
			break;
		if (cnt == AGENT_POS_MAX) {
			mamori_seterr(err, errlen, "line %zu: more than %d "
			    "files", line, AGENT_POS_MAX);
			goto fail;
		}
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = MAMORI_ENOMEM;
				goto fail;
			}
			v = nv;
		}
		if (parse_line(p, i, eol, &v[cnt], &why) != 0) {
			if (why == NULL) {
				r = MAMORI_ENOMEM;
				goto fail;
			}
			mamori_seterr(err, errlen, "line %zu: %s", line, why);
			goto fail;
		}
		cnt++;
	}
	/* "end XXXXXXXX\n" and nothing after it. */
	if (eol - i != 12 || eol + 1 != len) {
		mamori_seterr(err, errlen, "line %zu: bad 'end' line", line);
		goto fail;
	}
	i += 4;
	want = 0;
	for (c = 0; c < 8; c++) {
		int h = hexval(p[i + c]);

		if (h < 0) {
			mamori_seterr(err, errlen, "line %zu: bad checksum",
			    line);
			goto fail;
		}
		want = want << 4 | (uint32_t)h;
	}
	got = (uint32_t)crc32(0, p, (uInt)(i - 4));
	if (got != want) {
		mamori_seterr(err, errlen, "line %zu: checksum mismatch (the "
		    "file was changed or damaged)", line);
		goto fail;
	}
	*out = v;
	*n = cnt;
	return 0;
 fail:
	agent_pos_free(v, cnt);
	return r;
}

int
agent_pos_format(const struct agent_pos *v, size_t n, char **bufp,
    size_t *lenp)
{
	char *buf, *o;
	size_t i, j, cap = sizeof(POS_HEADER) + 16;
	const char *s;

	*bufp = NULL;
	*lenp = 0;
	for (i = 0; i < n; i++)
		cap += 4 * 21 + 66 + 3 * strlen(v[i].path) + 2;
	if ((buf = malloc(cap)) == NULL)
		return MAMORI_ENOMEM;
	o = buf;
	memcpy(o, POS_HEADER, sizeof(POS_HEADER) - 1);
	o += sizeof(POS_HEADER) - 1;
	for (i = 0; i < n; i++) {
		o += sprintf(o, "%llu %llu %llu %u ",
		    (unsigned long long)v[i].dev, (unsigned long long)v[i].ino,
		    (unsigned long long)v[i].offset, v[i].siglen);
		for (j = 0; j < 32; j++)
			o += sprintf(o, "%02x", v[i].sig[j]);
		*o++ = ' ';
		for (s = v[i].path; *s != '\0'; s++) {
			unsigned char c = (unsigned char)*s;

			if (c < '!' || c > '~' || c == '%')
				o += sprintf(o, "%%%02X", c);
			else
				*o++ = (char)c;
		}
		*o++ = '\n';
	}
	o += sprintf(o, "end %08x\n", (unsigned)crc32(0, (const Bytef *)buf,
	    (uInt)(o - buf)));
	*bufp = buf;
	*lenp = (size_t)(o - buf);
	return 0;
}
