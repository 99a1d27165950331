/*
 * agent-msg.c - what the agent sends, as RFC 5424 messages:
 *
 *   a tailed line:
 *     <PRI>1 TIME HOST APP PROCID - [mamori-agent@32473 file="PATH"] LINE
 *   a check's finding:
 *     <PRI>1 TIME HOST mamori-fim - MSGID - {"fim":{...}}
 *   the agent's own event (heartbeat, started, stopping, queue-dropped,
 *   log-truncated, log-replaced, check-failed):
 *     <PRI>1 TIME HOST mamori-agent - EVENT [mamori-agent@32473
 *       event="..." name="..." version="..." instance="..." seq="N"
 *       time="..." ... hmac="..."] {"agent":{"event":"...",...}}
 *
 * A tailed line that is itself a syslog line (/var/log/auth.log written
 * by rsyslog: "Nov 28 10:00:00 web1 sshd[123]: Failed password ...") is
 * parsed with the server's own parser (src/input/syslog.h) and its
 * program, pid, time and text are carried over into the RFC 5424 fields,
 * so the server's rules see program sshd exactly as when the line comes
 * through syslog.  HOSTNAME is the agent's name (or the line's host with
 * hostname: line, for a relay's files).
 *
 * The agent's own events carry an HMAC-SHA256 (when a key is set) over
 * their parameters, which the server's agent registry checks
 * (src/server/server-agents.c): the SD-ID, LF, then "NAME=VALUE" LF for
 * each parameter before hmac, in order, values as the receiver unescapes
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/error.h"
#include "core/event.h"
#include "core/timeutil.h"
#include "host/agent.h"
#include "input/syslog.h"
#include "store/logsearch.h"

/* The local zone's offset at t, in minutes east of UTC. */
static int
local_tz_min(int64_t ns)
{
	time_t secs = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	if (localtime_r(&secs, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* Copies a header token (RFC 5424 PRINTUSASCII, at most max bytes) to o,
 * with '_' for anything else; "-" when empty.  Returns bytes written. */
static size_t
token(char *o, const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0) {
		o[0] = '-';
		return 1;
	}
	if (len > max)
		len = max;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		o[i] = c > 32 && c < 127 ? (char)c : '_';
	}
	if (len == 1 && o[0] == '-')
		o[0] = '_';	/* "-" alone would read as NILVALUE */
	return len;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

void
agent_sd_path(const char *path, char *buf, size_t len)
{
	event_sd_escape(path, strlen(path), buf, len);
}

/*
 * Whether a line parsed as RFC 3164 really is one, for format: auto: its
 * tag is a program name ending in ':' ("sshd:", "sshd[1]:",
 * "postfix/smtpd[7]:").  A logfmt line such as "2026-11-28T10:00:00Z
 * level=info msg=x" parses too, and taking its words for host and
 * program would lose its text.
 */
static int
looks_syslog(const struct event *ev)
{
	const char *app = event_str(ev, &ev->app);
	size_t end, i;

	if (ev->format == EVENT_FMT_5424)
		return 1;
	for (i = 0; i < ev->app.len; i++) {
		unsigned char c = (unsigned char)app[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.' || c == '/' || c == '(' || c == ')' ||
		    c == '@'))
			return 0;
	}
	end = ev->app.off + ev->app.len;
	if (ev->procid.len > 0)
		end = ev->procid.off + ev->procid.len + 1;	/* "]" */
	return end < ev->raw_len && ev->data[end] == ':';
}

int
agent_msg_line(const struct agent_msgfmt *m, const struct agent_log_conf *lc,
    const char *sdpath, const uint8_t *line, size_t len, int truncated,
    int64_t now_ns, char *buf, size_t cap, size_t *outlen)
{
	struct event *ev = NULL;
	const char *app, *host, *procid = "", *sd = NULL, *msg;
	size_t applen, hostlen, procidlen = 0, sdlen = 0, msglen, o, need;
	int64_t ts = now_ns;
	int tz, pri, n;
	char tsbuf[48];

	*outlen = 0;
	app = lc->tag != NULL ? lc->tag : base_name(lc->path);
	applen = strlen(app);
	host = m->name;
	hostlen = strlen(host);
	msg = (const char *)line;
	msglen = len;
	tz = local_tz_min(now_ns);
	if (lc->format != AGENT_FMT_PLAIN) {
		/* The line's own header, when it has one. */
		if ((ev = event_new(line, len, SYSLOG_PARSE_EXTRA)) == NULL)
			return MAMORI_ENOMEM;
		ev->recv_ns = now_ns;
		syslog_parse(ev, &m->popts);
		if (ev->format == EVENT_FMT_UNPARSED || ev->app.len == 0 ||
		    (lc->format == AGENT_FMT_AUTO &&
		    (!(ev->flags & EVENT_F_HAS_TS) || !looks_syslog(ev)))) {
			event_free(ev);
			ev = NULL;
		}
	}
	if (ev != NULL) {
		if (lc->tag == NULL) {
			app = event_str(ev, &ev->app);
			applen = ev->app.len;
		}
		procid = event_str(ev, &ev->procid);
		procidlen = ev->procid.len;
		if (lc->host_from_line && ev->host.len > 0 &&
		    !(ev->flags & EVENT_F_HOST_FROM_SRC)) {
			host = event_str(ev, &ev->host);
			hostlen = ev->host.len;
		}
		if (ev->format == EVENT_FMT_5424 && ev->sd.len > 0) {
			sd = event_str(ev, &ev->sd);
			sdlen = ev->sd.len;
		}
		if (ev->flags & EVENT_F_HAS_TS) {
			ts = ev->ts_ns;
			tz = ev->tz_min;
		}
		msg = event_str(ev, &ev->msg);
		msglen = ev->msg.len;
	}
	if (time_format_rfc3339(ts, tz, 6, tsbuf, sizeof(tsbuf)) != 0)
		time_format_rfc3339(now_ns, 0, 6, tsbuf, sizeof(tsbuf));
	need = 64 + 255 + 48 + 128 + sdlen + strlen(sdpath) + msglen + 64;
	if (need > cap) {
		event_free(ev);
		return MAMORI_ETOOBIG;
	}
	pri = lc->facility * 8 + lc->severity;
	if (ev != NULL && ev->facility >= 0 && ev->severity >= 0 &&
	    !(ev->flags & EVENT_F_NOPRI))
		pri = ev->facility * 8 + ev->severity;
	o = (size_t)snprintf(buf, cap, "<%d>1 %s ", pri, tsbuf);
	o += token(buf + o, host, hostlen, SYSLOG_HOSTNAME_MAX);
	buf[o++] = ' ';
	o += token(buf + o, app, applen, SYSLOG_APPNAME_MAX);
	buf[o++] = ' ';
	o += token(buf + o, procid, procidlen, SYSLOG_PROCID_MAX);
	memcpy(buf + o, " - ", 3);
	o += 3;
	if (sd != NULL && !(sdlen == 1 && sd[0] == '-')) {
		memcpy(buf + o, sd, sdlen);
		o += sdlen;
	}
	n = snprintf(buf + o, cap - o, "[mamori-agent@32473 file=\"%s\"%s]",
	    sdpath, truncated ? " cut=\"1\"" : "");
	o += (size_t)n;
	if (msglen > 0) {
		buf[o++] = ' ';
		memcpy(buf + o, msg, msglen);
		o += msglen;
	}
	*outlen = o;
	event_free(ev);
	return 0;
}

int
agent_msg_finding(const struct agent_msgfmt *m, const struct host_finding *f,
    int64_t now_ns, char **out, size_t *outlen)
{
	char tsbuf[48], *buf;
	size_t cap, o, i;
	int sev;

	*out = NULL;
	*outlen = 0;
	if (f == NULL || f->app == NULL || f->json == NULL)
		return MAMORI_EINVAL;
	sev = f->severity >= 0 && f->severity <= 7 ? f->severity : 5;
	time_format_rfc3339(now_ns, local_tz_min(now_ns), 6, tsbuf,
	    sizeof(tsbuf));
	cap = 64 + 255 + 48 + 32 + f->len + 8;
	if ((buf = malloc(cap)) == NULL)
		return MAMORI_ENOMEM;
	o = (size_t)snprintf(buf, cap, "<%d>1 %s ", m->facility * 8 + sev,
	    tsbuf);
	o += token(buf + o, m->name, strlen(m->name), SYSLOG_HOSTNAME_MAX);
	buf[o++] = ' ';
	o += token(buf + o, f->app, strlen(f->app), SYSLOG_APPNAME_MAX);
	memcpy(buf + o, " - ", 3);
	o += 3;
	o += token(buf + o, f->msgid != NULL ? f->msgid : "",
	    f->msgid != NULL ? strlen(f->msgid) : 0, SYSLOG_MSGID_MAX);
	memcpy(buf + o, " - ", 3);
	o += 3;
	/* One line, whatever the module gave. */
	for (i = 0; i < f->len; i++) {
		char c = f->json[i];

		buf[o++] = c == '\n' || c == '\r' ? ' ' : c;
	}
	*out = buf;
	*outlen = o;
	return 0;
}

void
agent_hmac_hex(const uint8_t *key, size_t keylen, const void *data,
    size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) ==
	    NULL)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * i] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
}

/* A parameter value as the receiver will read it: control bytes are '?'
 * (event_sd_escape() does the same on the wire). */
static char *
clean_value(const char *s)
{
	char *v = strdup(s), *p;

	if (v == NULL)
		return NULL;
	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return v;
}

/* Appends s to the growing buffer *b. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;

		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

int
agent_msg_event(const struct agent_msgfmt *m, const char *event,
    int severity, uint64_t seq, int64_t now_ns, const struct agent_kv *kv,
    size_t nkv, char **out, size_t *outlen)
{
	struct agent_kv base[5];
	char seqs[24], tsbuf[48], hex[65], *esc = NULL, *val = NULL, *js;
	struct sbuf sd = { 0 }, canon = { 0 }, msg = { 0 };
	json_t *obj = NULL, *top = NULL, *jv;
	size_t i, total = nkv + 5;
	int r = MAMORI_ENOMEM;

	*out = NULL;
	*outlen = 0;
	snprintf(seqs, sizeof(seqs), "%llu", (unsigned long long)seq);
	time_format_rfc3339(now_ns, 0, 6, tsbuf, sizeof(tsbuf));
	base[0] = (struct agent_kv){ "event", event, 0 };
	base[1] = (struct agent_kv){ "name", m->name, 0 };
	base[2] = (struct agent_kv){ "version", MAMORI_VERSION, 0 };
	base[3] = (struct agent_kv){ "instance", m->instance, 0 };
	base[4] = (struct agent_kv){ "seq", seqs, 1 };
	if ((obj = json_object()) == NULL)
		goto out;
	sb_str(&sd, "[mamori-agent@32473");
	sb_str(&canon, "mamori-agent@32473\n");
	for (i = 0; i < total + 1; i++) {
		const struct agent_kv *p;
		struct agent_kv t = { "time", tsbuf, 0 };

		if (i < 5)
			p = &base[i];
		else if (i == 5)
			p = &t;	/* after seq, before the caller's */
		else
			p = &kv[i - 6];
		free(val);
		free(esc);
		esc = NULL;
		if ((val = clean_value(p->value)) == NULL ||
		    (esc = malloc(2 * strlen(val) + 1)) == NULL)
			goto out;
		event_sd_escape(val, strlen(val), esc, 2 * strlen(val) + 1);
		sb_str(&sd, " ");
		sb_str(&sd, p->name);
		sb_str(&sd, "=\"");
		sb_str(&sd, esc);
		sb_str(&sd, "\"");
		sb_str(&canon, p->name);
		sb_str(&canon, "=");
		sb_str(&canon, val);
		sb_str(&canon, "\n");
		if (p->numeric)
			jv = json_integer((json_int_t)strtoll(val, NULL, 10));
		else
			jv = logsearch_utf8_json((const uint8_t *)val,
			    strlen(val));
		if (jv == NULL || json_object_set_new(obj, p->name, jv) != 0)
			goto out;
	}
	if (m->key != NULL && m->keylen > 0 && !canon.oom) {
		agent_hmac_hex(m->key, m->keylen, canon.p, canon.len, hex);
		sb_str(&sd, " hmac=\"");
		sb_str(&sd, hex);
		sb_str(&sd, "\"");
	}
	sb_str(&sd, "]");
	if ((top = json_pack("{s:O}", "agent", obj)) == NULL ||
	    (js = json_dumps(top, JSON_COMPACT)) == NULL)
		goto out;
	time_format_rfc3339(now_ns, local_tz_min(now_ns), 6, tsbuf,
	    sizeof(tsbuf));
	{
		char head[400];
		size_t o = (size_t)snprintf(head, sizeof(head), "<%d>1 %s ",
		    m->facility * 8 + (severity >= 0 && severity <= 7 ?
		    severity : 5), tsbuf);

		o += token(head + o, m->name, strlen(m->name),
		    SYSLOG_HOSTNAME_MAX);
		memcpy(head + o, " mamori-agent - ", 16);
		o += 16;
		o += token(head + o, event, strlen(event), SYSLOG_MSGID_MAX);
		head[o++] = ' ';
		sb_add(&msg, head, o);
	}
	sb_add(&msg, sd.p != NULL ? sd.p : "", sd.len);
	sb_str(&msg, " ");
	sb_str(&msg, js);
	free(js);
	if (sd.oom || canon.oom || msg.oom)
		goto out;
	*out = msg.p;
	*outlen = msg.len;
	msg.p = NULL;
	r = 0;
 out:
	free(val);
	free(esc);
	free(sd.p);
	if (canon.p != NULL)
		OPENSSL_cleanse(canon.p, canon.len);
	free(canon.p);
	free(msg.p);
	json_decref(obj);
	json_decref(top);
	return r;
}
