/*
 * notify-send.c - composing notifications and sending them: mail over
 * SMTP (RFC 5321 through libcurl, with STARTTLS and AUTH) as an RFC 5322
 * message with a MIME (RFC 2045) UTF-8 body in quoted-printable and RFC
 * 2047 encoded words in headers, and webhooks as a JSON POST.
 *
 * Everything an incident says may come from an attacker (a title made of
 * a log line, a user name, a host name).  notify_clean() runs over every
 * such string before it is placed anywhere: control characters (CR and
 * LF first of all, which would start a new header or end the headers),
 * invalid UTF-8 and bidirectional overrides become harmless, and the
 * result reaches a header only through notify_header_encode(), which
 * either proves the value is plain ASCII or encodes it whole.
 *
 * Workload: a handful of messages a minute at most, each a few KiB; the
 * cost is the SMTP or HTTP round trip, so composition favours clarity.
 */
#include <sys/random.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "incident/export.h"
#include "incident/incident.h"
#include "incident/notify.h"

#define TITLE_MAX	200		/* bytes of a title in a subject */
#define VALUE_MAX	256		/* a party, a step title */
#define TEXT_MAX	4000		/* a report's summary */
#define LIST_MAX	20		/* parties shown of each role */
#define STEPS_SHOWN	5		/* open playbook steps shown */
#define DIGEST_SHOWN	50

/* A growing string; oom is sticky so callers check once at the end. */
struct sb {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
sb_addf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	char buf[1024], *big = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(buf)) {
		sb_addn(b, buf, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	sb_addn(b, big, (size_t)n);
	free(big);
}

/* Takes the string out of b: NULL (and b freed) when out of memory. */
static char *
sb_detach(struct sb *b)
{
	char *p;

	if (b->oom) {
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	if (b->p == NULL)
		return strdup("");
	p = b->p;
	b->p = NULL;
	return p;
}

/*
 * Decodes one UTF-8 character at s[0..len): its code point in *cp and
 * its length, or 0 when the bytes are not UTF-8 (overlong, surrogate,
 * beyond U+10FFFF, truncated).
 */
static size_t
utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* Characters that must not reach a reader as they are. */
static int
is_unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    c == 0x2028 || c == 0x2029 ||	/* line, paragraph sep. */
	    (c >= 0x202a && c <= 0x202e) ||	/* bidi embeddings */
	    (c >= 0x2066 && c <= 0x2069) ||	/* bidi isolates */
	    c == 0x200e || c == 0x200f || c == 0x061c ||	/* marks */
	    c == 0xfeff;
}

/*
 * notify_clean() with a choice: keep_lf keeps line feeds (the body's free
 * text), everything else unsafe becomes a space.
 */
static char *
clean(const char *in, size_t len, size_t max, int keep_lf)
{
	const unsigned char *s = (const unsigned char *)in;
	struct sb b = { 0 };
	size_t i = 0, n, cut;
	uint32_t c;
	int space = 1;	/* drops leading spaces */

	while (i < len) {
		if ((n = utf8_next(s + i, len - i, &c)) == 0) {
			n = 1;
			c = 0xfffd;
		}
		if (keep_lf && c == '\n') {
			while (b.len > 0 && b.p[b.len - 1] == ' ')
				b.len--;
			sb_add(&b, "\n");
			space = 1;
		} else if (is_unsafe(c) || c == ' ') {
			if (!space)
				sb_add(&b, " ");
			space = 1;
		} else {
			if (c == 0xfffd)
				sb_add(&b, "\xef\xbf\xbd");
			else
				sb_addn(&b, (const char *)s + i, n);
			space = 0;
		}
		i += n;
		if (b.len > max)
			break;
	}
	cut = b.len > max;
	while (b.len > 0 && (b.p[b.len - 1] == ' ' ||
	    (keep_lf && b.p[b.len - 1] == '\n')))
		b.len--;
	if (cut && b.len > 0 && !b.oom) {
		/* Cut: back to the start of the character that crosses
		 * max, and say so. */
		cut = b.len > max ? max : b.len;
		while (cut > 0 && ((unsigned char)b.p[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		while (b.len > 0 && b.p[b.len - 1] == ' ')
			b.len--;
		sb_add(&b, "...");
	}
	if (b.p != NULL && !b.oom)
		b.p[b.len] = '\0';
	return sb_detach(&b);
}

char *
notify_clean(const char *s, size_t len, size_t max)
{
	return clean(s != NULL ? s : "", s != NULL ? len : 0, max, 0);
}

/* A cleaned copy of a NUL-terminated string (NULL reads as ""). */
static char *
cl(const char *s, size_t max)
{
	return notify_clean(s, s != NULL ? strlen(s) : 0, max);
}

static void
b64(struct sb *b, const unsigned char *s, size_t n)
{
	unsigned char out[128];
	int len;

	/* Callers pass at most 57 bytes: 76 characters out. */
	len = EVP_EncodeBlock(out, s, (int)n);
	sb_addn(b, (const char *)out, (size_t)len);
}

/*
 * Appends s (valid UTF-8) as RFC 2047 encoded words, "=?UTF-8?B?...?=",
 * each on its own folded line, the first fitting col columns already
 * used, lines at most 78 wide, and no word splitting a character.
 */
static void
encoded_words(struct sb *b, const char *s, size_t col)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n = 1, room, take;
	uint32_t c;

	while (i < len) {
		if (i > 0) {
			sb_add(b, "\r\n ");
			col = 1;
		}
		/* 12 for "=?UTF-8?B?" and "?="; 4 characters per 3 bytes. */
		room = col + 12 < 78 ? (78 - col - 12) / 4 * 3 : 3;
		if (room > 48)
			room = 48;
		for (take = 0; i + take < len; take += n) {
			if ((n = utf8_next(u + i + take, len - i - take,
			    &c)) == 0)
				n = 1;	/* not reached: s is cleaned */
			if (take + n > room)
				break;
		}
		if (take == 0)
			take = n;	/* a character wider than room */
		sb_add(b, "=?UTF-8?B?");
		b64(b, u + i, take);
		sb_add(b, "?=");
		i += take;
		col += 12 + (take + 2) / 3 * 4;
	}
}

/* 1 when s is printable ASCII with no "=?" that a reader would decode. */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e ||
		    (s[0] == '=' && s[1] == '?'))
			return 0;
	return 1;
}

char *
notify_header_encode(const char *name, const char *value)
{
	struct sb b = { 0 };
	const char *w, *e;
	char *v;
	size_t col, words;

	if ((v = cl(value, 900)) == NULL)
		return NULL;
	sb_addf(&b, "%s:", name);
	col = strlen(name) + 1;
	if (*v == '\0') {
		/* nothing */
	} else if (plain_ascii(v)) {
		/* Folded at spaces (RFC 5322 2.2.3): a long word stays
		 * whole on its line, which cleaning keeps under 998. */
		for (w = v, words = 0; *w != '\0';
		    w = *e != '\0' ? e + 1 : e) {
			if ((e = strchr(w, ' ')) == NULL)
				e = w + strlen(w);
			if (col + 1 + (size_t)(e - w) > 78 && words > 0) {
				sb_add(&b, "\r\n");
				col = 0;
				words = 0;
			}
			sb_add(&b, " ");
			sb_addn(&b, w, (size_t)(e - w));
			col += 1 + (size_t)(e - w);
			words++;
		}
	} else {
		sb_add(&b, " ");
		encoded_words(&b, v, col + 1);
	}
	sb_add(&b, "\r\n");
	free(v);
	return sb_detach(&b);
}

/* The display name of From: as an atom, quoted string or encoded words. */
static void
phrase(struct sb *b, const char *name, size_t col)
{
	const char *s;
	int atoms = 1;

	for (s = name; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80 || c < 0x20 || c == 0x7f) {
			encoded_words(b, name, col);
			return;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ' ' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			atoms = 0;
	}
	if (strstr(name, "=?") != NULL) {
		encoded_words(b, name, col);
		return;
	}
	if (atoms) {
		sb_add(b, name);
		return;
	}
	sb_add(b, "\"");
	for (s = name; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sb_add(b, "\\");
		sb_addn(b, s, 1);
	}
	sb_add(b, "\"");
}

char *
notify_qp_encode(const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)text;
	struct sb b = { 0 };
	size_t i, col = 0, end, j;
	char tok[4];
	size_t tl;
	unsigned char c;

	for (i = 0; i <= len; i = end + 1) {
		for (end = i; end < len && s[end] != '\n'; end++)
			;
		j = end;
		if (j > i && s[j - 1] == '\r')
			j--;
		col = 0;
		for (; i < j; i++) {
			c = s[i];
			/* Literal: printable ASCII but '='; a space or tab
			 * unless it ends the line; and not a '.' or "From "
			 * opening one (SMTP and mbox give those meaning). */
			if (((c >= 33 && c <= 126 && c != '=') ||
			    ((c == ' ' || c == '\t') && i + 1 < j)) &&
			    !(col == 0 && c == '.') &&
			    !(col == 0 && c == 'F' && j - i >= 5 &&
			    memcmp(s + i, "From ", 5) == 0)) {
				tok[0] = (char)c;
				tl = 1;
			} else {
				tok[0] = '=';
				tok[1] = hex[c >> 4];
				tok[2] = hex[c & 15];
				tl = 3;
			}
			if (col + tl > 75) {
				sb_add(&b, "=\r\n");
				col = 0;
				if (tl == 1 && (c == '.' || c == 'F')) {
					/* The same care on the new line. */
					i--;
					continue;
				}
			}
			sb_addn(&b, tok, tl);
			col += tl;
		}
		if (end < len)
			sb_add(&b, "\r\n");
	}
	return sb_detach(&b);
}

const char *
notify_url_redact(const char *url, char *buf, size_t len)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL;

	snprintf(buf, len, "(URL)");
	if (url == NULL || (u = curl_url()) == NULL)
		return buf;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			snprintf(buf, len, "%s://%s:%s/...", scheme, host,
			    port);
		else
			snprintf(buf, len, "%s://%s/...", scheme, host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return buf;
}

/*
 * The words of a message, in English and Japanese.  The subject stays in
 * one form for every contact so that mail filters can match it.
 */
enum label {
	L_INCIDENT, L_WHY, L_CATEGORY, L_IMPACT, L_SEVERITY, L_STATUS,
	L_ASSIGNEE, L_FIRST, L_LAST, L_ALERTS, L_ATTACKERS, L_VICTIMS,
	L_REPORTER, L_SUMMARY, L_STEPS, L_CONSOLE, L_NOBODY, L_MORE,
	L_FOOTER, L_IMP_INTERNAL, L_IMP_EXTERNAL, L_IMP_INFRA, L_NONE,
	L_DIGEST, L_DIGEST_MORE, L_STEPS_MORE, NLABELS
};

static const char *const labels[2][NLABELS] = {
	{
		"Incident", "Why you receive this", "Category", "Impact",
		"Severity", "Status", "Assignee", "First seen", "Last seen",
		"Alerts", "Attackers", "Victims", "Reported by", "Summary",
		"Next steps", "Console", "nobody", "and %zu more",
		"Sent by mamori to %s (role %s) along the contact plan.",
		"inside the organisation", "affects outsiders",
		"affects social infrastructure", "none known",
		"The rate limit (%u per %s) held back the notifications "
		"about these incidents:",
		"and %zu more incidents",
		"(%zu more steps)",
	}, {
		"インシデント", "通知の理由", "分類", "影響範囲", "重大度",
		"対応状況", "担当者", "最初の検知", "最後の検知",
		"アラート数", "攻撃元", "被害", "報告者", "概要",
		"次の対応", "コンソール", "未割当", "ほか %zu 件",
		"mamori が連絡計画に従い %s (役割 %s) に送信しました。",
		"組織内 (事故)", "組織外に影響 (不祥事)",
		"社会基盤に影響 (テロ)", "不明",
		"通知の上限 (%s あたり %u 件) を超えたため、次のインシデ"
		"ントの通知をまとめて送ります:",
		"ほか %zu 件のインシデント",
		"(ほか %zu 手順)",
	},
};

static const char *
L(const struct notify_contact *c, enum label l)
{
	return labels[c->lang == NOTIFY_LANG_JA ? 1 : 0][l];
}

/* "1h", "15m", "90s": a window as people say it. */
static void
fmt_window(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / NS_PER_SEC;

	if (s % 86400 == 0)
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
}

static void
fmt_time(int64_t ns, char *buf, size_t len)
{
	if (ns <= 0 || time_format_rfc3339(ns, 0, 0, buf, len) != 0)
		snprintf(buf, len, "-");
}

/* What the incident is, in one line: "high external attack: TITLE". */
static char *
desc_of(const struct incident *inc)
{
	char *title, *cat, *s = NULL;

	title = cl(inc->title, TITLE_MAX);
	cat = cl(inc->category, 64);
	if (title != NULL && cat != NULL &&
	    asprintf(&s, "%s %s %s: %s", inc_severity_name(inc->severity),
	    inc_impact_name(inc->impact), cat, title) < 0)
		s = NULL;
	free(title);
	free(cat);
	return s;
}

/* The subject: "[mamori #12] high external attack: TITLE". */
static char *
subject_of(const struct incident *inc)
{
	char *d = desc_of(inc), *s = NULL;

	if (d != NULL && asprintf(&s, "[mamori #%" PRId64 "] %s", inc->id,
	    d) < 0)
		s = NULL;
	free(d);
	return s;
}

/* A label and a cleaned value: "Category:   attack". */
static void
field(struct sb *b, const struct notify_contact *c, enum label l,
    const char *v)
{
	char *x = cl(v, VALUE_MAX);

	if (x == NULL) {
		b->oom = 1;
		return;
	}
	sb_addf(b, "%s: %s\n", L(c, l), x);
	free(x);
}

static void
parties(struct sb *b, const struct notify_contact *c,
    const struct incident *inc, enum inc_role role, enum label l)
{
	size_t i, shown = 0, total = 0;
	char *v;

	for (i = 0; i < inc->nparties; i++)
		total += inc->parties[i].role == role;
	sb_addf(b, "%s:", L(c, l));
	if (total == 0)
		sb_addf(b, " %s", L(c, L_NONE));
	for (i = 0; i < inc->nparties && shown < LIST_MAX; i++) {
		if (inc->parties[i].role != role)
			continue;
		if ((v = cl(inc->parties[i].value, VALUE_MAX)) == NULL) {
			b->oom = 1;
			return;
		}
		sb_addf(b, "%s %s %s%s", shown ? "," : "",
		    inc_party_kind_name(inc->parties[i].kind), v,
		    inc->parties[i].internal ? " (internal)" : "");
		free(v);
		shown++;
	}
	if (total > shown) {
		sb_add(b, ", ");
		sb_addf(b, L(c, L_MORE), total - shown);
	}
	sb_add(b, "\n");
}

/* The console's page of incident id, or NULL without console_url. */
static char *
console_link(const struct notify_plan *p, int64_t id)
{
	char *s = NULL;
	size_t n;

	if (p->console_url == NULL)
		return NULL;
	n = strlen(p->console_url);
	if (asprintf(&s, "%s%sincidents/%" PRId64, p->console_url,
	    n > 0 && p->console_url[n - 1] == '/' ? "" : "/", id) < 0)
		return NULL;
	return s;
}

static char *
body_of(const struct notify_plan *p, const struct notify_contact *c,
    const struct incident *inc, const char *why)
{
	struct sb b = { 0 };
	char t[40], *x, *link;
	size_t i, open = 0, shown = 0;
	enum label il;

	x = cl(inc->title, 1000);
	sb_addf(&b, "%s #%" PRId64 ": %s\n\n", L(c, L_INCIDENT), inc->id,
	    x != NULL ? x : "");
	free(x);
	field(&b, c, L_WHY, why != NULL ? why : "-");
	sb_add(&b, "\n");
	x = cl(inc->category, 64);
	sb_addf(&b, "%s: %s", L(c, L_CATEGORY), x != NULL ? x : "");
	free(x);
	if (inc->rsit_class != NULL) {
		char *rc = cl(inc->rsit_class, 64), *rt = cl(inc->rsit_type, 64);

		sb_addf(&b, " (RSIT %s%s%s)", rc != NULL ? rc : "",
		    rt != NULL && *rt != '\0' ? " / " : "",
		    rt != NULL ? rt : "");
		free(rc);
		free(rt);
	}
	sb_add(&b, "\n");
	il = inc->impact == INC_IMPACT_INFRASTRUCTURE ? L_IMP_INFRA :
	    inc->impact == INC_IMPACT_EXTERNAL ? L_IMP_EXTERNAL :
	    L_IMP_INTERNAL;
	sb_addf(&b, "%s: %s (%s)\n", L(c, L_IMPACT),
	    inc_impact_name(inc->impact), L(c, il));
	sb_addf(&b, "%s: %s\n", L(c, L_SEVERITY),
	    inc_severity_name(inc->severity));
	sb_addf(&b, "%s: %s\n", L(c, L_STATUS), inc_status_name(inc->status));
	field(&b, c, L_ASSIGNEE, inc->assignee != NULL ? inc->assignee :
	    L(c, L_NOBODY));
	fmt_time(inc->first_seen_ns, t, sizeof(t));
	sb_addf(&b, "%s: %s\n", L(c, L_FIRST), t);
	fmt_time(inc->last_seen_ns, t, sizeof(t));
	sb_addf(&b, "%s: %s\n", L(c, L_LAST), t);
	sb_addf(&b, "%s: %" PRIu64 "\n", L(c, L_ALERTS), inc->alert_count);
	parties(&b, c, inc, INC_ATTACKER, L_ATTACKERS);
	parties(&b, c, inc, INC_VICTIM, L_VICTIMS);
	if (inc->reporter != NULL)
		field(&b, c, L_REPORTER, inc->reporter);
	if (inc->summary != NULL) {
		x = clean(inc->summary, strlen(inc->summary), TEXT_MAX, 1);
		if (x == NULL)
			b.oom = 1;
		else {
			char *line, *save = NULL;

			sb_addf(&b, "\n%s:\n", L(c, L_SUMMARY));
			for (line = strtok_r(x, "\n", &save); line != NULL;
			    line = strtok_r(NULL, "\n", &save))
				sb_addf(&b, "  %s\n", line);
			free(x);
		}
	}
	for (i = 0; i < inc->nsteps; i++)
		open += inc->steps[i].state == INC_STEP_OPEN;
	if (open > 0) {
		sb_addf(&b, "\n%s", L(c, L_STEPS));
		if (inc->playbook != NULL) {
			x = cl(inc->playbook, 64);
			sb_addf(&b, " (playbook %s)", x != NULL ? x : "");
			free(x);
		}
		sb_add(&b, ":\n");
		for (i = 0; i < inc->nsteps && shown < STEPS_SHOWN; i++) {
			if (inc->steps[i].state != INC_STEP_OPEN)
				continue;
			x = cl(inc->steps[i].title, VALUE_MAX);
			sb_addf(&b, "  %d. %s\n", inc->steps[i].n,
			    x != NULL ? x : "");
			free(x);
			shown++;
		}
		if (open > shown) {
			sb_add(&b, "  ");
			sb_addf(&b, L(c, L_STEPS_MORE), open - shown);
			sb_add(&b, "\n");
		}
	}
	if ((link = console_link(p, inc->id)) != NULL) {
		sb_addf(&b, "\n%s: %s\n", L(c, L_CONSOLE), link);
		free(link);
	}
	sb_add(&b, "\n-- \n");
	sb_addf(&b, L(c, L_FOOTER), c->name, notify_role_name(c->role));
	sb_add(&b, "\n");
	return sb_detach(&b);
}

/* RFC 5322 3.3 date, in English whatever the locale. */
static void
mail_date(int64_t now_ns, char *buf, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const mons[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* text (LF line ends) with CRLF line ends, in base64 lines of 76. */
static char *
b64_lines(const char *text)
{
	struct sb crlf = { 0 }, b = { 0 };
	const char *s;
	size_t i;

	for (s = text; *s != '\0'; s++) {
		if (*s == '\n')
			sb_add(&crlf, "\r\n");
		else
			sb_addn(&crlf, s, 1);
	}
	if (crlf.oom) {
		free(crlf.p);
		return NULL;
	}
	for (i = 0; i < crlf.len; i += 57) {
		b64(&b, (const unsigned char *)crlf.p + i,
		    crlf.len - i < 57 ? crlf.len - i : 57);
		if (i + 57 < crlf.len)
			sb_add(&b, "\r\n");
	}
	free(crlf.p);
	return sb_detach(&b);
}

/* The whole message: headers, a blank line, the body in QP or base64. */
static char *
mail_of(const struct notify_plan *p, const struct notify_contact *c,
    int64_t inc_id, const char *subject, const char *text, int64_t now_ns,
    size_t *lenp)
{
	struct sb b = { 0 };
	char date[64], *h, *qp;
	const char *dom;
	uint64_t rnd = 0;
	size_t i, col, high;

	mail_date(now_ns, date, sizeof(date));
	sb_addf(&b, "Date: %s\r\n", date);
	sb_add(&b, "From: ");
	if (p->from_name != NULL && *p->from_name != '\0') {
		phrase(&b, p->from_name, 6);
		sb_add(&b, " ");
	}
	sb_addf(&b, "<%s>\r\n", p->from_addr != NULL ? p->from_addr : "");
	sb_add(&b, "To: ");
	col = 4;
	for (i = 0; i < c->nemail; i++) {
		if (i > 0) {
			sb_add(&b, ",");
			if (col + strlen(c->email[i]) + 2 > 78) {
				sb_add(&b, "\r\n");
				col = 0;
			}
			sb_add(&b, " ");
			col += 2;
		}
		sb_add(&b, c->email[i]);
		col += strlen(c->email[i]);
	}
	sb_add(&b, "\r\n");
	if ((h = notify_header_encode("Subject", subject)) == NULL)
		b.oom = 1;
	else
		sb_add(&b, h);
	free(h);
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd ^= (uint64_t)time_mono_ns() * 0x9e3779b97f4a7c15ULL;
	dom = p->from_addr != NULL && strchr(p->from_addr, '@') != NULL ?
	    strchr(p->from_addr, '@') + 1 : "mamori.invalid";
	sb_addf(&b, "Message-ID: <mamori.%" PRId64 ".%" PRId64 ".%016" PRIx64
	    "@%s>\r\n", inc_id, now_ns, rnd, dom);
	/* Quoted-printable keeps mostly-ASCII text readable as it is;
	 * base64 is a third the size for Japanese. */
	for (i = 0, high = 0; text[i] != '\0'; i++)
		high += (unsigned char)text[i] >= 0x80;
	sb_addf(&b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: %s\r\n"
	    "Auto-Submitted: auto-generated\r\n",
	    high * 3 > i ? "base64" : "quoted-printable");
	if (inc_id > 0)
		sb_addf(&b, "X-Mamori-Incident: %" PRId64 "\r\n", inc_id);
	sb_add(&b, "\r\n");
	if (high * 3 > i)
		qp = b64_lines(text);
	else
		qp = notify_qp_encode(text, strlen(text));
	if (qp == NULL)
		b.oom = 1;
	else
		sb_add(&b, qp);
	free(qp);
	sb_add(&b, "\r\n");
	*lenp = b.len;
	return sb_detach(&b);
}

void
notify_msg_release(struct notify_msg *m)
{
	free(m->subject);
	free(m->text);
	free(m->mail);
	free(m->json);
	memset(m, 0, sizeof(*m));
}

/* The first line of a chat message: subject, why, and the link. */
static char *
chat_text(const struct notify_plan *p, const char *subject, const char *why,
    int64_t id)
{
	char *w = cl(why, VALUE_MAX), *link = console_link(p, id), *s = NULL;

	if (w != NULL && asprintf(&s, "%s (%s)%s%s", subject, w,
	    link != NULL ? " " : "", link != NULL ? link : "") < 0)
		s = NULL;
	free(w);
	free(link);
	return s;
}

int
notify_compose(const struct notify_plan *p, const struct notify_contact *c,
    const struct incident *inc, const char *why, int64_t now_ns,
    struct notify_msg *m)
{
	json_t *j = NULL, *ij;
	char *w = NULL, *txt = NULL;

	memset(m, 0, sizeof(*m));
	if ((m->subject = subject_of(inc)) == NULL ||
	    (m->text = body_of(p, c, inc, why)) == NULL)
		goto oom;
	if (c->nemail > 0 && (m->mail = mail_of(p, c, inc->id, m->subject,
	    m->text, now_ns, &m->mail_len)) == NULL)
		goto oom;
	if (c->webhook != NULL) {
		if ((ij = incident_json(inc)) == NULL)
			goto oom;
		w = cl(why, VALUE_MAX);
		txt = chat_text(p, m->subject, why, inc->id);
		j = json_pack("{s:s?, s:s?, s:s?, s:s, s:s, s:o}",
		    "text", txt, "subject", m->subject, "why", w,
		    "contact", c->name, "role", notify_role_name(c->role),
		    "incident", ij);
		free(w);
		free(txt);
		if (j == NULL || (m->json = json_dumps(j, JSON_COMPACT)) ==
		    NULL)
			goto oom;
		json_decref(j);
	}
	return 0;
 oom:
	json_decref(j);
	notify_msg_release(m);
	return MAMORI_ENOMEM;
}

int
notify_compose_digest(const struct notify_plan *p,
    const struct notify_contact *c, const struct incident *incs, size_t n,
    size_t more, int64_t now_ns, struct notify_msg *m)
{
	struct sb b = { 0 };
	json_t *j = NULL, *arr;
	char win[32], *s, *link;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (asprintf(&m->subject, "[mamori] summary: %zu incidents held back "
	    "by the rate limit", n + more) < 0) {
		m->subject = NULL;
		goto oom;
	}
	fmt_window(p->rate_window_ns, win, sizeof(win));
	if (c->lang == NOTIFY_LANG_JA)
		sb_addf(&b, L(c, L_DIGEST), win, p->rate_count);
	else
		sb_addf(&b, L(c, L_DIGEST), p->rate_count, win);
	sb_add(&b, "\n\n");
	for (i = 0; i < n && i < DIGEST_SHOWN; i++) {
		if ((s = desc_of(&incs[i])) == NULL)
			goto oom;
		sb_addf(&b, "  #%" PRId64 " %s (%s)\n", incs[i].id, s,
		    inc_status_name(incs[i].status));
		free(s);
		if ((link = console_link(p, incs[i].id)) != NULL)
			sb_addf(&b, "    %s\n", link);
		free(link);
	}
	if (more + (n - i) > 0) {
		sb_add(&b, "  ");
		sb_addf(&b, L(c, L_DIGEST_MORE), more + (n - i));
		sb_add(&b, "\n");
	}
	sb_add(&b, "\n-- \n");
	sb_addf(&b, L(c, L_FOOTER), c->name, notify_role_name(c->role));
	sb_add(&b, "\n");
	if ((m->text = sb_detach(&b)) == NULL)
		goto oom;
	if (c->nemail > 0 && (m->mail = mail_of(p, c, 0, m->subject, m->text,
	    now_ns, &m->mail_len)) == NULL)
		goto oom;
	if (c->webhook != NULL) {
		if ((arr = json_array()) == NULL)
			goto oom;
		for (i = 0; i < n; i++)
			json_array_append_new(arr, incident_json(&incs[i]));
		j = json_pack("{s:s, s:s, s:b, s:I, s:s, s:s, s:o}",
		    "text", m->subject, "subject", m->subject, "summary", 1,
		    "held_back", (json_int_t)(n + more), "contact", c->name,
		    "role", notify_role_name(c->role), "incidents", arr);
		if (j == NULL || (m->json = json_dumps(j, JSON_COMPACT)) ==
		    NULL)
			goto oom;
		json_decref(j);
	}
	return 0;
 oom:
	free(b.p);
	json_decref(j);
	notify_msg_release(m);
	return MAMORI_ENOMEM;
}

/*
 * Sending.
 */

struct upload {
	const char	*p;
	size_t		 len, off;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	return n;
}

static size_t
discard_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	size_t *total = arg;

	(void)buf;
	*total += size * nmemb;
	/* A webhook that answers with megabytes is not one. */
	return *total > 1024 * 1024 ? 0 : size * nmemb;
}

static long
timeout_ms(int64_t ns)
{
	long ms = (long)(ns / 1000000);

	return ms > 0 ? ms : 1;
}

/* The reason of a failed transfer, cleaned (the server wrote part). */
static void
curl_reason(char *err, size_t errlen, const char *what, CURLcode rc,
    const char *ebuf)
{
	char *x = cl(ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc), 300);

	snprintf(err, errlen, "%s: %s", what, x != NULL ? x : "error");
	free(x);
}

int
notify_send_mail(const struct notify_plan *p, const struct notify_contact *c,
    const struct notify_msg *m, int64_t timeout_ns, char *err, size_t errlen)
{
	struct curl_slist *rcpt = NULL, *t;
	struct upload up = { m->mail, m->mail_len, 0 };
	char ebuf[CURL_ERROR_SIZE], from[300], to[300], where[256];
	CURLcode rc;
	CURL *h;
	long code = 0;
	size_t i;
	int r = 0;

	snprintf(err, errlen, "not sent");
	if (p->smtp_url == NULL || p->from_addr == NULL || m->mail == NULL ||
	    c->nemail == 0) {
		snprintf(err, errlen, "no mail server, sender or address");
		return MAMORI_EIO;
	}
	notify_url_redact(p->smtp_url, where, sizeof(where));
	where[strlen(where) > 4 ? strlen(where) - 4 : 0] = '\0'; /* "/..." */
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_EAGAIN;
	}
	snprintf(from, sizeof(from), "<%s>", p->from_addr);
	for (i = 0; i < c->nemail; i++) {
		snprintf(to, sizeof(to), "<%s>", c->email[i]);
		if ((t = curl_slist_append(rcpt, to)) == NULL) {
			curl_slist_free_all(rcpt);
			curl_easy_cleanup(h);
			snprintf(err, errlen, "out of memory");
			return MAMORI_EAGAIN;
		}
		rcpt = t;
	}
	ebuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, p->smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms(timeout_ns));
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)m->mail_len);
	curl_easy_setopt(h, CURLOPT_USE_SSL,
	    p->starttls == NOTIFY_STARTTLS_REQUIRED ? (long)CURLUSESSL_ALL :
	    p->starttls == NOTIFY_STARTTLS_NEVER ? (long)CURLUSESSL_NONE :
	    (long)CURLUSESSL_TRY);
	if (p->username != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, p->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, p->password);
	}
	if (p->ca != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, p->ca);
	if (p->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		curl_reason(err, errlen, where, rc, ebuf);
		switch (rc) {
		case CURLE_LOGIN_DENIED:
		case CURLE_USE_SSL_FAILED:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			r = MAMORI_EIO;
			break;
		default:
			/* 5xx: the server will say the same next time. */
			r = code >= 500 && code < 600 ? MAMORI_EIO :
			    MAMORI_EAGAIN;
		}
		if (code >= 400 && code < 600) {
			size_t l = strlen(err);

			snprintf(err + l, errlen - l, " (server said %ld)",
			    code);
		}
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return r;
}

int
notify_send_webhook(const struct notify_plan *p,
    const struct notify_contact *c, const struct notify_msg *m,
    int64_t timeout_ns, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL, *t;
	char ebuf[CURL_ERROR_SIZE], where[256], sig[128];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	size_t got = 0;
	CURLcode rc;
	CURL *h;
	long code = 0;
	int r = 0;

	(void)p;
	snprintf(err, errlen, "not sent");
	if (c->webhook == NULL || m->json == NULL) {
		snprintf(err, errlen, "no webhook");
		return MAMORI_EIO;
	}
	notify_url_redact(c->webhook, where, sizeof(where));
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return MAMORI_EAGAIN;
	}
	t = curl_slist_append(hdr, "Content-Type: application/json; "
	    "charset=utf-8");
	if (t != NULL)
		hdr = t;
	if (c->webhook_secret != NULL) {
		/* GitHub's form: the HMAC of the body, in hex. */
		HMAC(EVP_sha256(), c->webhook_secret,
		    (int)strlen(c->webhook_secret),
		    (const unsigned char *)m->json, strlen(m->json), mac,
		    &maclen);
		memcpy(sig, "X-Mamori-Signature: sha256=", 27);
		for (i = 0; i < maclen && 27 + 2 * i + 2 < sizeof(sig); i++)
			snprintf(sig + 27 + 2 * i, 3, "%02x", mac[i]);
		if ((t = curl_slist_append(hdr, sig)) != NULL)
			hdr = t;
	}
	ebuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, c->webhook);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms(timeout_ns));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "mamori/" MAMORI_VERSION);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, m->json);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(m->json));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && code >= 200 &&
	    code < 300)) {
		curl_reason(err, errlen, where, rc, ebuf);
		r = rc == CURLE_UNSUPPORTED_PROTOCOL ||
		    rc == CURLE_URL_MALFORMAT ? MAMORI_EIO : MAMORI_EAGAIN;
	} else if (code < 200 || code >= 300) {
		snprintf(err, errlen, "%s: HTTP status %ld", where, code);
		r = code == 408 || code == 429 || code >= 500 ?
		    MAMORI_EAGAIN : MAMORI_EIO;
	}
	explicit_bzero(sig, sizeof(sig));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return r;
}
