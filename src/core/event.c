/*
 * event.c - allocation and helpers for struct event.
 *
 * One allocation per event: the header and its data area together, so a
 * queue hand-off moves one pointer and freeing is one call.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"

/* Fills a new event's header and copies raw into it. */
static struct event *
event_init(struct event *ev, struct event_block *blk, const uint8_t *raw,
    size_t len, size_t extra)
{
	memset(ev, 0, sizeof(*ev));
	ev->blk = blk;
	ev->facility = -1;
	ev->severity = -1;
	if (len > 0)
		memcpy(ev->data, raw, len);
	ev->raw_len = (uint32_t)len;
	ev->data_len = (uint32_t)len;
	ev->data_cap = (uint32_t)(len + extra);
	return ev;
}

struct event *
event_new(const uint8_t *raw, size_t len, size_t extra)
{
	struct event *ev;

	if (len > UINT32_MAX / 2 || extra > UINT32_MAX / 2)
		return NULL;
	if ((ev = malloc(sizeof(*ev) + len + extra)) == NULL)
		return NULL;
	return event_init(ev, NULL, raw, len, extra);
}

#if defined(__SANITIZE_ADDRESS__)
#define EVENT_NO_SLAB 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVENT_NO_SLAB 1
#endif
#endif

#define SLAB_BLOCK	(64 * 1024)
#define SLAB_ALIGN	16
/* Events larger than this are malloc()ed on their own. */
#define SLAB_MAX_EVENT	(SLAB_BLOCK / 4)
/*
 * A block's count starts at SLAB_BIAS; each free takes one off; when its
 * owner moves on it takes off SLAB_BIAS less the number of events it
 * carved.  Whichever brings the count to zero frees the block, and no
 * free can do so while the owner still carves (each block holds far
 * fewer than SLAB_BIAS events).
 */
#define SLAB_BIAS	((size_t)1 << 30)

struct event_block {
	atomic_size_t	 refs;
	size_t		 cap;
	_Alignas(SLAB_ALIGN) uint8_t mem[];
};

static void
block_put(struct event_block *b, size_t n)
{
	if (atomic_fetch_sub_explicit(&b->refs, n,
	    memory_order_acq_rel) == n)
		free(b);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	if (ev->ext != NULL && ev->ext_free != NULL)
		ev->ext_free(ev->ext);
	if (ev->blk != NULL)
		block_put(ev->blk, 1);
	else
		free(ev);
}

void
event_slab_release(struct event_slab *s)
{
	if (s->cur != NULL)
		block_put(s->cur, SLAB_BIAS - s->nev);
	s->cur = NULL;
	s->used = s->nev = 0;
}

struct event *
event_slab_new(struct event_slab *s, const uint8_t *raw, size_t len,
    size_t extra)
{
	struct event *ev;
	size_t need;

#ifdef EVENT_NO_SLAB
	(void)s;
	return event_new(raw, len, extra);
#endif
	if (len > SLAB_MAX_EVENT || extra > SLAB_MAX_EVENT ||
	    (need = sizeof(*ev) + len + extra) > SLAB_MAX_EVENT)
		return event_new(raw, len, extra);
	need = (need + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1);
	if (s->cur == NULL || s->cur->cap - s->used < need) {
		struct event_block *b;

		if ((b = malloc(sizeof(*b) + SLAB_BLOCK)) == NULL)
			return NULL;
		atomic_init(&b->refs, SLAB_BIAS);
		b->cap = SLAB_BLOCK;
		event_slab_release(s);
		s->cur = b;
	}
	ev = (struct event *)(void *)(s->cur->mem + s->used);
	s->used += need;
	s->nev++;
	return event_init(ev, s->cur, raw, len, extra);
}

int
event_add_string(struct event *ev, struct event_field *f, const char *s,
    size_t len)
{
	if (len > ev->data_cap - ev->data_len)
		return MAMORI_ETOOBIG;
	memcpy(ev->data + ev->data_len, s, len);
	f->off = ev->data_len;
	f->len = (uint32_t)len;
	ev->data_len += (uint32_t)len;
	return 0;
}

struct event *
event_new_app(int64_t now_ns, int64_t ts_ns, const char *host,
    const char *app, int facility, int severity, const char *msgid,
    const char *sd, const char *text)
{
	struct event *ev;
	char ts[40], *line = NULL;
	int n, hoff, hlen, aoff, alen, moff, mlen, soff, slen, toff;

	if (time_format_rfc3339(ts_ns, 0, 6, ts, sizeof(ts)) != 0)
		return NULL;
	n = asprintf(&line, "<%d>1 %s %n%s%n %n%s%n - %n%s%n %n%s%n %n%s",
	    facility * 8 + severity, ts, &hoff, host, &hlen, &aoff, app,
	    &alen, &moff, msgid, &mlen, &soff, sd != NULL ? sd : "-", &slen,
	    &toff, text);
	if (n < 0)
		return NULL;
	ev = event_new((const uint8_t *)line, (size_t)n, 0);
	free(line);
	if (ev == NULL)
		return NULL;
	ev->recv_ns = now_ns;
	ev->ts_ns = ts_ns;
	ev->flags = EVENT_F_HAS_TS;
	ev->format = EVENT_FMT_INTERNAL;
	ev->facility = (int8_t)facility;
	ev->severity = (int8_t)severity;
	ev->host.off = (uint32_t)hoff;
	ev->host.len = (uint32_t)(hlen - hoff);
	ev->app.off = (uint32_t)aoff;
	ev->app.len = (uint32_t)(alen - aoff);
	ev->msgid.off = (uint32_t)moff;
	ev->msgid.len = (uint32_t)(mlen - moff);
	if (sd != NULL) {
		ev->sd.off = (uint32_t)soff;
		ev->sd.len = (uint32_t)(slen - soff);
	}
	ev->msg.off = (uint32_t)toff;
	ev->msg.len = (uint32_t)(n - toff);
	snprintf(ev->src, sizeof(ev->src), "internal");
	return ev;
}

struct event *
event_new_internal(int64_t now_ns, const char *host, int severity,
    const char *msgid, const char *sd, const char *text)
{
	/* Facility 5 (syslog): messages generated internally by syslogd. */
	return event_new_app(now_ns, now_ns, host, "mamori", 5, severity,
	    msgid, sd, text);
}

const char *
event_src_addr(const char *src, size_t *len)
{
	const char *colon;
	size_t n = strnlen(src, EVENT_SRC_MAX);

	if (n > 0 && src[0] == '[') {
		const char *rb = memchr(src, ']', n);

		/* "[2001:db8::1]:514": the part in brackets. */
		*len = rb != NULL ? (size_t)(rb - src - 1) : n - 1;
		return src + 1;
	}
	if ((colon = memchr(src, ':', n)) != NULL &&
	    memchr(colon + 1, ':', n - (size_t)(colon + 1 - src)) == NULL) {
		/* "192.0.2.1:514"; a bare IPv6 address has more colons. */
		*len = (size_t)(colon - src);
		return src;
	}
	*len = n;
	return src;
}

char *
event_sd_escape(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;

	if (buflen == 0)
		return buf;
	for (i = 0; i < len && o + 2 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == ']')
			buf[o++] = '\\';
		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static const char *facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

static const char *severities[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *
event_facility_name(int facility)
{
	if (facility < 0 || facility > 23)
		return NULL;
	return facilities[facility];
}

const char *
event_severity_name(int severity)
{
	if (severity < 0 || severity > 7)
		return NULL;
	return severities[severity];
}

int
event_severity_parse(const char *s)
{
	static const struct { const char *name; int sev; } aliases[] = {
		{ "emergency", 0 }, { "panic", 0 }, { "critical", 2 },
		{ "error", 3 }, { "warn", 4 }, { "informational", 6 },
	};
	size_t i;

	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (i = 0; i < 8; i++)
		if (strcasecmp(s, severities[i]) == 0)
			return (int)i;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(s, aliases[i].name) == 0)
			return aliases[i].sev;
	return -1;
}
