/*
 * fim-json.c - findings as one line of JSON each, {"fim":{...}} (host.h).
 *
 * File names and attribute values are bytes, not text: valid UTF-8
 * passes as is; a byte that is not part of valid UTF-8 becomes the four
 * characters \xNN, and a backslash becomes \\ so the escaping cannot be
 * confused with a name that contains "\x" (docs/fim.md).  Extended
 * attribute values that are not printable text are given as
 * "base64:...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "host/fim-int.h"

/* Length of the valid UTF-8 sequence at p (1-4), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

json_t *
fim_json_bytes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, l;
	char *buf;
	json_t *j;

	if (s == NULL)
		return json_null();
	/* Fast path: nothing to escape. */
	for (i = 0; i < n; i += l)
		if (p[i] == '\\' || p[i] == '\0' ||
		    (l = utf8_len(p + i, n - i)) == 0)
			break;
	if (i == n)
		return json_stringn(s, n);
	if ((buf = malloc(n * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i += l) {
		if (p[i] == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
			l = 1;
		} else if (p[i] == '\0' || (l = utf8_len(p + i, n - i)) == 0) {
			o += (size_t)sprintf(buf + o, "\\x%02x", p[i]);
			l = 1;
		} else {
			memcpy(buf + o, p + i, l);
			o += l;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

static json_t *
json_time(int64_t ns)
{
	char buf[64];
	struct tm tm;
	time_t t;
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL)
		return json_integer((json_int_t)sec);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long long)frac);
	return json_string(buf);
}

static json_t *
json_hex(const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char buf[2 * FIM_HASH_MAX + 1];
	size_t i;

	for (i = 0; i < n && i < FIM_HASH_MAX; i++) {
		buf[2 * i] = hx[p[i] >> 4];
		buf[2 * i + 1] = hx[p[i] & 15];
	}
	buf[2 * i] = '\0';
	return json_string(buf);
}

static int
printable(const uint8_t *v, size_t n)
{
	size_t i, l;

	/* A C string's terminating NUL is common in labels. */
	if (n > 0 && v[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i += l) {
		if (v[i] < 0x20 || v[i] == 0x7f)
			return 0;
		if ((l = utf8_len(v + i, n - i)) == 0)
			return 0;
	}
	return 1;
}

static int
add_xattr(void *arg, const char *name, const uint8_t *v, size_t vlen)
{
	json_t *o = arg, *val;
	char *b64;
	int n;

	if (printable(v, vlen)) {
		size_t l = vlen > 0 && v[vlen - 1] == '\0' ? vlen - 1 : vlen;

		val = json_stringn((const char *)v, l);
	} else {
		if ((b64 = malloc(8 + 4 * ((vlen + 2) / 3) + 1)) == NULL)
			return MAMORI_ENOMEM;
		memcpy(b64, "base64:", 7);
		n = EVP_EncodeBlock((unsigned char *)b64 + 7, v, (int)vlen);
		b64[7 + (n > 0 ? n : 0)] = '\0';
		val = json_string(b64);
		free(b64);
	}
	if (val == NULL)
		return MAMORI_ENOMEM;
	{
		json_t *k = fim_json_bytes(name, strlen(name));
		int r;

		if (k == NULL) {
			json_decref(val);
			return MAMORI_ENOMEM;
		}
		r = json_object_set_new(o, json_string_value(k), val);
		json_decref(k);
		return r == 0 ? 0 : MAMORI_ENOMEM;
	}
}

/* The value of attribute a of e as JSON (null when absent). */
static json_t *
attr_value(const struct fim_entry *e, uint32_t a)
{
	char buf[16];
	json_t *o;

	switch (a) {
	case FIM_A_TYPE:
		return json_string(fim_type_name(e->type));
	case FIM_A_PERMS:
		snprintf(buf, sizeof(buf), "%04o", e->perms);
		return json_string(buf);
	case FIM_A_UID:
		return json_integer(e->uid);
	case FIM_A_GID:
		return json_integer(e->gid);
	case FIM_A_SIZE:
		return json_integer((json_int_t)e->size);
	case FIM_A_MTIME:
		return json_time(e->mtime);
	case FIM_A_CTIME:
		return json_time(e->ctime);
	case FIM_A_INODE:
		return json_integer((json_int_t)e->ino);
	case FIM_A_LINKS:
		return json_integer((json_int_t)e->nlink);
	case FIM_A_TARGET:
		return fim_json_bytes(e->target, e->tlen);
	case FIM_A_HASH:
		return e->hlen ? json_hex(e->hash, e->hlen) : json_null();
	case FIM_A_ACL:
		return e->acl ? fim_json_bytes(e->acl, strlen(e->acl)) :
		    json_null();
	case FIM_A_XATTRS:
		if (!e->has_xattrs)
			return json_null();
		if ((o = json_object()) == NULL)
			return NULL;
		if (fim_xattrs_each(e->xattrs, e->xlen, add_xattr, o) != 0) {
			json_decref(o);
			return json_string("?");
		}
		return o;
	case FIM_A_SELINUX:
		return e->selinux ? fim_json_bytes(e->selinux,
		    strlen(e->selinux)) : json_null();
	case FIM_A_CAPS:
		return e->caps ? json_string(e->caps) : json_null();
	}
	return json_null();
}

/* Object of the attributes in mask of e, by name. */
static json_t *
attr_object(const struct fim_entry *e, uint32_t mask, int hash)
{
	json_t *o = json_object(), *v;
	uint32_t a;
	int i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < FIM_A_NATTRS; i++) {
		a = 1u << i;
		if (!(mask & a))
			continue;
		if ((v = attr_value(e, a)) == NULL ||
		    json_object_set_new(o, fim_attr_name(a, hash), v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static int
emit_json(host_emit_fn emit, void *arg, int severity, const char *msgid,
    json_t *inner)
{
	struct host_finding f;
	json_t *root;
	char *s;
	int r;

	if (inner == NULL)
		return MAMORI_ENOMEM;
	if ((root = json_object()) == NULL ||
	    json_object_set_new(root, "fim", inner) != 0) {
		json_decref(root);
		return MAMORI_ENOMEM;
	}
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (s == NULL)
		return MAMORI_ENOMEM;
	memset(&f, 0, sizeof(f));
	f.app = "mamori-fim";
	f.severity = severity;
	f.msgid = msgid;
	f.json = s;
	f.len = strlen(s);
	r = emit != NULL ? emit(arg, &f) : 0;
	free(s);
	return r;
}

int
fim_emit_event(host_emit_fn emit, void *arg, int severity, const char *event,
    json_t *fields)
{
	json_t *o;

	if (fields == NULL)
		return MAMORI_ENOMEM;
	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "event", json_string(event)) != 0 ||
	    json_object_update(o, fields) != 0) {
		json_decref(o);
		json_decref(fields);
		return MAMORI_ENOMEM;
	}
	json_decref(fields);
	return emit_json(emit, arg, severity, event, o);
}

int
fim_emit_change(host_emit_fn emit, void *arg, int kind,
    const struct fim_entry *old, const struct fim_entry *cur,
    uint32_t changed, int hash, const char *scan)
{
	static const char *const names[] = { "added", "removed", "modified" };
	const struct fim_entry *e = cur ? cur : old;
	json_t *o, *list;
	int i, sev = 4, bad = 0;

	if ((o = json_object()) == NULL)
		return MAMORI_ENOMEM;
	bad |= json_object_set_new(o, "event", json_string(names[kind]));
	bad |= json_object_set_new(o, "path", fim_json_bytes(e->path,
	    e->plen));
	bad |= json_object_set_new(o, "type", json_string(
	    fim_type_name(e->type)));
	if (scan != NULL)
		bad |= json_object_set_new(o, "scan", json_string(scan));
	if (kind == FIM_EV_MODIFIED) {
		if ((list = json_array()) == NULL) {
			json_decref(o);
			return MAMORI_ENOMEM;
		}
		for (i = 0; i < FIM_A_NATTRS; i++)
			if (changed & (1u << i))
				bad |= json_array_append_new(list, json_string(
				    fim_attr_name(1u << i, hash)));
		bad |= json_object_set_new(o, "changed", list);
		bad |= json_object_set_new(o, "old", attr_object(old, changed,
		    hash));
		bad |= json_object_set_new(o, "new", attr_object(cur, changed,
		    hash));
	} else if (kind == FIM_EV_ADDED)
		bad |= json_object_set_new(o, "new", attr_object(cur,
		    cur->attrs & fim_attrs_for_type(cur->type), hash));
	else
		bad |= json_object_set_new(o, "old", attr_object(old,
		    old->attrs & fim_attrs_for_type(old->type), hash));
	if (cur != NULL && cur->err != NULL)
		bad |= json_object_set_new(o, "error", fim_json_bytes(cur->err,
		    strlen(cur->err)));
	if (bad) {
		json_decref(o);
		return MAMORI_ENOMEM;
	}
	return emit_json(emit, arg, sev, names[kind], o);
}
