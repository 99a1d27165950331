/*
 * server-demo.c - `mamori server --demo`: a sample scenario written for
 * mamori (etc/demo.log) replayed into the running server, so that someone
 * trying mamori sees alerts and incidents at once.
 *
 * The scenario's lines are
 *
 *   +SECONDS HOST PROGRAM[PID]: MESSAGE
 *
 * (comments start with '#').  SECONDS counts from the scenario's start;
 * the replay places the last line a minute before now, turns each line
 * into an RFC 5424 message and hands it to the pipeline as if received
 * from "demo", so it is parsed, analysed and stored like any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "input/syslog.h"
#include "server/server-impl.h"

#define DEMO_LINE_MAX	4096
#define DEMO_LINES_MAX	100000

struct demo_line {
	int64_t		 off_s;
	char		*host, *prog, *pid, *msg;
};

static void
lines_free(struct demo_line *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].host);
		free(v[i].prog);
		free(v[i].pid);
		free(v[i].msg);
	}
	free(v);
}

/* Parses "+SECONDS HOST PROGRAM[PID]: MESSAGE" into d.  0 or -1. */
static int
parse_line(char *l, struct demo_line *d)
{
	char *end, *host, *prog, *colon, *lb;
	long long off;

	if (*l != '+')
		return -1;
	errno = 0;
	off = strtoll(l + 1, &end, 10);
	if (errno != 0 || end == l + 1 || *end != ' ' || off < 0 ||
	    off > 366LL * 86400)
		return -1;
	host = end + 1;
	if ((end = strchr(host, ' ')) == NULL || end == host)
		return -1;
	*end = '\0';
	prog = end + 1;
	if ((colon = strstr(prog, ": ")) == NULL || colon == prog ||
	    memchr(prog, ' ', (size_t)(colon - prog)) != NULL)
		return -1;
	*colon = '\0';
	d->off_s = off;
	if ((lb = strchr(prog, '[')) != NULL && colon[-1] == ']') {
		*lb = '\0';
		colon[-1] = '\0';
		d->pid = strdup(lb + 1);
	} else {
		d->pid = strdup("-");
	}
	d->host = strdup(host);
	d->prog = strdup(prog);
	d->msg = strdup(colon + 2);
	if (d->host == NULL || d->prog == NULL || d->pid == NULL ||
	    d->msg == NULL)
		return -2;
	return 0;
}

/* Reads the whole scenario first: a bad line replays nothing. */
static int
load(const char *path, struct demo_line **out, size_t *nout, char *err,
    size_t errlen)
{
	struct demo_line *v = NULL;
	char buf[DEMO_LINE_MAX + 2];
	size_t n = 0, cap = 0, lineno = 0, len;
	FILE *f;
	int r;

	if ((f = fopen(path, "r")) == NULL) {
		mamori_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return MAMORI_ESYS;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		len = strlen(buf);
		if (len > DEMO_LINE_MAX) {
			mamori_seterr(err, errlen, "%s:%zu: line longer than "
			    "%d bytes", path, lineno, DEMO_LINE_MAX);
			r = MAMORI_EINVAL;
			goto fail;
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		if (n == cap) {
			struct demo_line *nv;

			cap = cap ? cap * 2 : 64;
			if (cap > DEMO_LINES_MAX ||
			    (nv = realloc(v, cap * sizeof(*nv))) == NULL) {
				mamori_seterr(err, errlen, "%s: too many "
				    "lines", path);
				r = MAMORI_ETOOBIG;
				goto fail;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		r = parse_line(buf, &v[n]);
		n++;
		if (r != 0) {
			mamori_seterr(err, errlen, r == -2 ? "out of memory" :
			    "%s:%zu: expected '+SECONDS HOST PROGRAM[PID]: "
			    "MESSAGE'", path, lineno);
			r = r == -2 ? MAMORI_ENOMEM : MAMORI_EINVAL;
			goto fail;
		}
		if (n > 1 && v[n - 1].off_s < v[n - 2].off_s) {
			mamori_seterr(err, errlen, "%s:%zu: time goes back "
			    "(+%lld after +%lld)", path, lineno,
			    (long long)v[n - 1].off_s,
			    (long long)v[n - 2].off_s);
			r = MAMORI_EINVAL;
			goto fail;
		}
	}
	if (ferror(f)) {
		mamori_seterr(err, errlen, "%s: read error", path);
		r = MAMORI_ESYS;
		goto fail;
	}
	fclose(f);
	*out = v;
	*nout = n;
	return 0;
 fail:
	fclose(f);
	lines_free(v, n);
	return r;
}

int
server_demo(struct server *s, const char *path, char *err, size_t errlen)
{
	struct demo_line *v;
	struct event *ev;
	char ts[40], *raw;
	int64_t now = time_now_ns(), base;
	size_t n, i, sent = 0;
	int r, len;

	if ((r = load(path, &v, &n, err, errlen)) != 0)
		return r;
	/* For a first look: a store in use is not salted with a story. */
	if (!s->store_was_empty) {
		lines_free(v, n);
		log_info("demo: the store already holds records; the scenario "
		    "is not replayed again");
		return 0;
	}
	base = n > 0 ? now - (v[n - 1].off_s + 60) * NS_PER_SEC : now;
	for (i = 0; i < n; i++) {
		if (time_format_rfc3339(base + v[i].off_s * NS_PER_SEC, 0, 3,
		    ts, sizeof(ts)) != 0)
			continue;
		/* auth.notice: what these lines mostly are. */
		if ((len = asprintf(&raw, "<37>1 %s %s %s %s - - %s", ts,
		    v[i].host, v[i].prog, v[i].pid, v[i].msg)) < 0)
			break;
		ev = event_new((const uint8_t *)raw, (size_t)len,
		    SYSLOG_PARSE_EXTRA);
		free(raw);
		if (ev == NULL)
			break;
		ev->recv_ns = time_now_ns();
		ev->listener = SERVER_INTERNAL_LISTENER;
		snprintf(ev->src, sizeof(ev->src), "demo");
		atomic_fetch_add(&s->n.internal, 1);
		if (s->sink.submit(s->sink.arg, ev, QUEUE_WAIT) != 0) {
			event_free(ev);
			break;
		}
		sent++;
	}
	lines_free(v, n);
	log_info("demo: replayed %zu of %zu scenario lines from %s", sent, n,
	    path);
	if (sent < n) {
		mamori_seterr(err, errlen, "demo: the pipeline took %zu of "
		    "%zu lines", sent, n);
		return MAMORI_EIO;
	}
	return 0;
}
