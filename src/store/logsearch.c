/*
 * logsearch.c - the event filter: time range, host, app, severity, and a
 * substring or PCRE2 pattern on the message.
 *
 * Built for scanning millions of stored events: the cheap tests go first,
 * the pattern last; a substring is memmem(), a regular expression is
 * JIT-compiled once and matched with one match block made at compile
 * time, so matching allocates nothing.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>

#include "core/error.h"
#include "core/event.h"
#include "store/logsearch.h"

struct logsearch {
	struct logsearch_query q;	/* strings point into the copies */
	char		*host, *app, *pattern;
	size_t		 hostlen, applen, patlen;
	pcre2_code	*re;
	pcre2_match_data *md;
};

void
logsearch_query_init(struct logsearch_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since_ns = INT64_MIN;
	q->until_ns = INT64_MAX;
	q->severity = -1;
}

int64_t
logsearch_event_time(const struct event *ev)
{
	return ev->flags & EVENT_F_HAS_TS ? ev->ts_ns : ev->recv_ns;
}

void
logsearch_free(struct logsearch *s)
{
	if (s == NULL)
		return;
	pcre2_match_data_free(s->md);
	pcre2_code_free(s->re);
	free(s->host);
	free(s->app);
	free(s->pattern);
	free(s);
}

static int
dup_opt(const char *in, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (in == NULL)
		return 0;
	if ((*out = strdup(in)) == NULL)
		return MAMORI_ENOMEM;
	*len = strlen(in);
	return 0;
}

struct logsearch *
logsearch_compile(const struct logsearch_query *q, char *err, size_t errlen)
{
	struct logsearch *s;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	int errcode;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    dup_opt(q->host, &s->host, &s->hostlen) != 0 ||
	    dup_opt(q->app, &s->app, &s->applen) != 0 ||
	    dup_opt(q->pattern, &s->pattern, &s->patlen) != 0) {
		logsearch_free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->q = *q;
	s->q.host = s->host;
	s->q.app = s->app;
	s->q.pattern = s->pattern;
	if (s->pattern != NULL && q->regex) {
		/*
		 * Bytes, not UTF-8 characters.  In UTF mode no pattern item
		 * can match an invalid byte, so a sender could hide a line
		 * from "rm .* /" with one stray \xff; matching bytes, '.'
		 * takes any byte.  Literal non-ASCII text still matches (as
		 * its UTF-8 bytes); what is lost is classes of non-ASCII
		 * characters, which log searches rarely need.
		 */
		s->re = pcre2_compile((PCRE2_SPTR)s->pattern, s->patlen, 0,
		    &errcode, &erroff, NULL);
		if (s->re == NULL) {
			pcre2_get_error_message(errcode, msg, sizeof(msg));
			snprintf(err, errlen, "bad regular expression at "
			    "offset %zu: %s", (size_t)erroff, (char *)msg);
			logsearch_free(s);
			return NULL;
		}
		/* Without JIT (some platforms) the interpreter runs. */
		(void)pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE);
		if ((s->md = pcre2_match_data_create_from_pattern(s->re,
		    NULL)) == NULL) {
			logsearch_free(s);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	return s;
}

static int
field_is(const struct event *ev, const struct event_field *f,
    const char *s, size_t len, int icase)
{
	if (f->len != len)
		return 0;
	if (icase)
		return strncasecmp(event_str(ev, f), s, len) == 0 &&
		    memchr(event_str(ev, f), '\0', len) == NULL;
	return memcmp(event_str(ev, f), s, len) == 0;
}

int
logsearch_match(struct logsearch *s, const struct event *ev)
{
	const uint8_t *subj;
	size_t slen;
	int64_t t;

	t = logsearch_event_time(ev);
	if (t < s->q.since_ns || t > s->q.until_ns)
		return 0;
	if (s->q.severity >= 0 &&
	    (ev->severity < 0 || ev->severity > s->q.severity))
		return 0;
	if (s->host != NULL &&
	    !field_is(ev, &ev->host, s->host, s->hostlen, 1))
		return 0;
	if (s->app != NULL && !field_is(ev, &ev->app, s->app, s->applen, 0))
		return 0;
	if (s->pattern == NULL)
		return 1;
	if (ev->msg.len == 0 && ev->format == EVENT_FMT_UNPARSED) {
		subj = ev->data;
		slen = ev->raw_len;
	} else {
		subj = ev->data + ev->msg.off;
		slen = ev->msg.len;
	}
	if (s->re != NULL)
		return pcre2_match(s->re, subj, slen, 0, 0, s->md, NULL) >= 0;
	if (s->patlen == 0)
		return 1;
	return memmem(subj, slen, s->pattern, s->patlen) != NULL;
}
