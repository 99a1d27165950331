/*
 * cmd-logs.c - `mamori logs`: verify and search the raw log store.
 *
 *   mamori logs verify [--data DIR] [--key FILE]
 *   mamori logs search [--data DIR] [--key FILE] [--since T] [--until T]
 *       [--host H] [--app A] [--severity S] [--regex] [--json] [--count]
 *       [--limit N] [PATTERN]
 *
 * Both read the store on their own and may run while the server writes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "store/logsearch.h"
#include "store/logstore.h"

#define DEFAULT_DATA	"./mamori-data"

static const char usage_text[] =
"usage: mamori logs verify [--data DIR] [--key FILE]\n"
"       mamori logs search [--data DIR] [--since T] [--until T] [--host H]\n"
"                          [--app A] [--severity S] [--regex] [--json]\n"
"                          [--count] [--limit N] [PATTERN]\n"
"\n"
"verify  checks that no stored record was changed, removed, inserted or\n"
"        reordered, and that every missing segment was expired by\n"
"        retention.  Prints one line; exits 0 when intact, 1 when not (or\n"
"        when the key is missing or wrong), 2 on other errors.\n"
"search  prints the records whose message holds PATTERN (a substring, or\n"
"        a PCRE2 regular expression with --regex), oldest first; exits 0\n"
"        when some matched, 1 when none did, 2 on errors.\n"
"\n"
"  --data DIR      data directory (default ./mamori-data)\n"
"  --key FILE      seal key (default: $MAMORI_SEAL_KEY, /etc/mamori/seal.key\n"
"                  as root, else ~/.config/mamori/seal.key); search does\n"
"                  not need it\n"
"  --since T       records at or after T; --until T: at or before T.  T is\n"
"                  2026-11-28, 2026-11-28T13:00, ...:05Z, ...+09:00 (local\n"
"                  time without a zone), -1h, -30m, -7d, -2w, @EPOCH, now.\n"
"                  Compared with the message's own timestamp when it has\n"
"                  one, else with the time mamori received it.\n"
"  --host H        this host (exact, any case)\n"
"  --app A         this program (exact)\n"
"  --severity S    S or more severe: emerg alert crit err warning notice\n"
"                  info debug, or 0..7\n"
"  --regex         PATTERN is a regular expression\n"
"  --json          one JSON object per line\n"
"  --count         print only the number of matches\n"
"  --limit N       stop after N matches\n"
"\n"
"Text output is \"TIME HOST APP[PROCID]: MESSAGE\"; control characters and\n"
"bytes that are not UTF-8 are shown escaped (\\n, \\t, \\033, \\\\).\n";

/* The synopsis alone after a mistake; all of it for --help. */
static int
usage(FILE *f, int rc)
{
	if (f == stdout)
		fputs(usage_text, f);
	else
		fprintf(f, "%.*s'mamori logs --help' says more.\n",
		    (int)(strstr(usage_text, "\n\n") - usage_text + 1),
		    usage_text);
	return rc;
}

static int
logs_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct logstore_verify_result res;
	const char *data = DEFAULT_DATA;
	char *key = NULL;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:k:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'k':
			free(key);
			if ((key = strdup(optarg)) == NULL)
				return 2;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			free(key);
			return usage(stderr, 2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mamori logs verify: unexpected argument "
		    "'%s'\n", argv[optind]);
		free(key);
		return usage(stderr, 2);
	}
	if (key == NULL && (key = config_default_key()) == NULL) {
		fprintf(stderr, "mamori logs verify: out of memory\n");
		return 2;
	}
	rc = logstore_verify(data, key, &res);
	free(key);
	switch (rc) {
	case 0:
		printf("%s\n", res.msg);
		return 0;
	case MAMORI_ECORRUPT:
		printf("not intact: %s\n", res.msg);
		return 1;
	case MAMORI_EKEY:
		printf("not verified: %s\n", res.msg);
		return 1;
	default:
		fprintf(stderr, "mamori logs verify: %s\n", res.msg);
		return 2;
	}
}

static int
parse_time(const char *opt, const char *s, int64_t now, int64_t *out)
{
	if (time_parse_user(s, now, out) == 0)
		return 0;
	fprintf(stderr, "mamori logs search: %s: cannot read '%s' as a time "
	    "(try 2026-11-28T13:00, -1h or -7d)\n", opt, s);
	return -1;
}

struct search_opts {
	struct logsearch_query q;
	const char	*data;
	int		 json, count;
	uint64_t	 limit;		/* 0: no limit */
};

static int
run_search(const struct search_opts *so)
{
	struct logstore_reader *r;
	struct logsearch *s;
	struct event *ev;
	char err[512];
	uint64_t n = 0;
	int rc, errors = 0;
	json_t *j;

	if ((s = logsearch_compile(&so->q, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori logs search: %s%s\n",
		    so->q.regex ? "--regex: " : "", err);
		return 2;
	}
	if ((r = logstore_reader_open(so->data, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori logs search: %s\n", err);
		logsearch_free(s);
		return 2;
	}
	logstore_reader_set_event_range(r, so->q.since_ns, so->q.until_ns);
	for (;;) {
		rc = logstore_reader_next(r, &ev, err, sizeof(err));
		if (rc == MAMORI_ENOTFOUND)
			break;
		if (rc != 0) {
			/* Report, and go on with the next segment: one bad
			 * record must not hide the rest. */
			fprintf(stderr, "mamori logs search: %s\n", err);
			errors++;
			if (rc != MAMORI_ECORRUPT)
				break;
			continue;
		}
		if (logsearch_match(s, ev)) {
			n++;
			if (so->count) {
				/* counted only */
			} else if (so->json) {
				if ((j = logsearch_event_json(ev)) == NULL) {
					fprintf(stderr, "mamori logs search: "
					    "out of memory\n");
					errors++;
				} else {
					/* ASCII only: nothing from a sender
					 * can reach a terminal raw. */
					json_dumpf(j, stdout, JSON_COMPACT |
					    JSON_ENSURE_ASCII);
					putchar('\n');
					json_decref(j);
				}
			} else
				logsearch_print_text(stdout, ev);
		}
		event_free(ev);
		if (so->limit != 0 && n >= so->limit)
			break;
	}
	logstore_reader_close(r);
	logsearch_free(s);
	if (so->count)
		printf("%llu\n", (unsigned long long)n);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mamori logs search: cannot write: %s\n",
		    strerror(errno));
		return 2;
	}
	if (errors > 0)
		return 2;
	return n > 0 ? 0 : 1;
}

static int
logs_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "host", required_argument, NULL, 'H' },
		{ "app", required_argument, NULL, 'a' },
		{ "severity", required_argument, NULL, 'S' },
		{ "regex", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", no_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct search_opts so;
	int64_t now = time_now_ns();
	char *end;
	int ch;

	memset(&so, 0, sizeof(so));
	logsearch_query_init(&so.q);
	so.data = DEFAULT_DATA;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "d:k:s:u:H:a:S:Ejcn:h", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			so.data = optarg;
			break;
		case 'k':
			break;	/* reading needs no key */
		case 's':
			if (parse_time("--since", optarg, now,
			    &so.q.since_ns) != 0)
				return 2;
			break;
		case 'u':
			if (parse_time("--until", optarg, now,
			    &so.q.until_ns) != 0)
				return 2;
			break;
		case 'H':
			so.q.host = optarg;
			break;
		case 'a':
			so.q.app = optarg;
			break;
		case 'S':
			so.q.severity = event_severity_parse(optarg);
			if (so.q.severity < 0) {
				fprintf(stderr, "mamori logs search: "
				    "--severity: unknown severity '%s' (emerg, "
				    "alert, crit, err, warning, notice, info, "
				    "debug or 0..7)\n", optarg);
				return 2;
			}
			break;
		case 'E':
			so.q.regex = 1;
			break;
		case 'j':
			so.json = 1;
			break;
		case 'c':
			so.count = 1;
			break;
		case 'n':
			errno = 0;
			so.limit = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    so.limit == 0 || optarg[0] == '-') {
				fprintf(stderr, "mamori logs search: --limit: "
				    "'%s' is not a positive number\n", optarg);
				return 2;
			}
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "mamori logs search: one PATTERN at most "
		    "(quote it if it holds spaces)\n");
		return usage(stderr, 2);
	}
	if (optind < argc)
		so.q.pattern = argv[optind];
	if (so.q.regex && so.q.pattern == NULL) {
		fprintf(stderr, "mamori logs search: --regex needs a "
		    "PATTERN\n");
		return usage(stderr, 2);
	}
	if (so.q.since_ns > so.q.until_ns) {
		fprintf(stderr, "mamori logs search: --since is after "
		    "--until\n");
		return 2;
	}
	return run_search(&so);
}

int
cmd_logs(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	if (strcmp(argv[1], "verify") == 0)
		return logs_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "search") == 0)
		return logs_search(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout, 0);
	fprintf(stderr, "mamori logs: unknown command '%s'\n", argv[1]);
	return usage(stderr, 2);
}
