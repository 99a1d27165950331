/*
 * cmd-fim.c - `mamori fim init|check|update`: file integrity against a
 * baseline, AIDE-like (src/host/fim.h, docs/fim.md).
 *
 * The text report is made from the same findings that --json prints one
 * per line (and that the agent sends), so both always agree.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cmds.h"
#include "core/error.h"
#include "host/fim.h"

static const char usage_text[] =
    "usage: mamori fim init|check|update [--config FILE] [--db FILE] "
    "[--json]\n"
    "                [--threads N] [--trust-metadata] [PATH...]\n"
    "\n"
    "  init      scan and write a new baseline\n"
    "  check     scan and report what differs from the baseline\n"
    "  update    check, then replace the baseline with what was scanned\n"
    "\n"
    "  --config FILE  the agent's configuration file; its fim: section\n"
    "                 gives the paths, attributes, excludes, database\n"
    "  --db FILE      the baseline (default: fim.database, else\n"
    "                 " FIM_DEFAULT_DB ")\n"
    "  --json         one finding per line, as the agent sends them\n"
    "  --threads N    hashing threads (default: fim.threads, else one "
    "per CPU)\n"
    "  --trust-metadata  check, update: reuse the baseline's digest of a "
    "file\n"
    "                 whose size, mtime, ctime and inode are unchanged\n"
    "                 (fim.trust_metadata; see docs/fim.md for what it "
    "misses)\n"
    "  PATH...        scan these instead of the configured paths, with "
    "the\n"
    "                 default attributes\n"
    "\n"
    "exit status (as AIDE's): 0 no differences; otherwise the sum of\n"
    "  1 entries added, 2 entries removed, 4 entries changed;\n"
    "  14 cannot write the baseline, 15 usage, 17 configuration error,\n"
    "  18 cannot read the baseline or the file system,\n"
    "  19 the baseline's digest does not match its entries (changed\n"
    "     outside mamori), or it is not a baseline of this format.\n";

#define EXIT_WRITE	14
#define EXIT_USAGE	15
#define EXIT_CONFIG	17
#define EXIT_IO		18
#define EXIT_BASELINE	19

/* Findings kept for the text report. */
struct report {
	int		 json;
	json_t		*added, *removed, *changed, *errors, *other;
	int		 failed;
};

static int
collect(void *arg, const struct host_finding *f)
{
	struct report *rp = arg;
	json_t *j, *fim, *ev;
	const char *e;
	json_error_t jerr;

	if (rp->json) {
		fwrite(f->json, 1, f->len, stdout);
		fputc('\n', stdout);
		return 0;
	}
	if ((j = json_loadb(f->json, f->len, 0, &jerr)) == NULL) {
		rp->failed = 1;
		return 0;
	}
	fim = json_object_get(j, "fim");
	ev = json_object_get(fim, "event");
	e = json_string_value(ev);
	json_incref(fim);
	if (e == NULL)
		json_array_append_new(rp->other, fim);
	else if (strcmp(e, "added") == 0)
		json_array_append_new(rp->added, fim);
	else if (strcmp(e, "removed") == 0)
		json_array_append_new(rp->removed, fim);
	else if (strcmp(e, "modified") == 0)
		json_array_append_new(rp->changed, fim);
	else if (strcmp(e, "error") == 0)
		json_array_append_new(rp->errors, fim);
	else
		json_array_append_new(rp->other, fim);
	json_decref(j);
	return 0;
}

/* Prints s with control characters made visible. */
static void
put_safe(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void
put_value(json_t *v)
{
	char *s;

	if (v == NULL || json_is_null(v)) {
		printf("-");
		return;
	}
	if (json_is_string(v)) {
		put_safe(json_string_value(v));
		return;
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER)) != NULL) {
		put_safe(s);
		free(s);
	}
}

static char
type_letter(json_t *f)
{
	const char *t = json_string_value(json_object_get(f, "type"));

	if (t == NULL)
		return '?';
	if (strcmp(t, "symlink") == 0)
		return 'l';
	if (strcmp(t, "directory") == 0)
		return 'd';
	if (strcmp(t, "file") == 0)
		return 'f';
	if (strcmp(t, "char") == 0)
		return 'c';
	if (strcmp(t, "block") == 0)
		return 'b';
	if (strcmp(t, "fifo") == 0)
		return 'p';
	if (strcmp(t, "socket") == 0)
		return 's';
	return '?';
}

static void
list_entries(const char *title, json_t *a)
{
	size_t i;
	json_t *f;

	if (json_array_size(a) == 0)
		return;
	printf("\n%s:\n", title);
	json_array_foreach(a, i, f) {
		printf("  %c  ", type_letter(f));
		put_safe(json_string_value(json_object_get(f, "path")));
		putchar('\n');
	}
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void
print_text(struct report *rp, const char *cmd, const struct fim_summary *s)
{
	json_t *f, *ch, *n;
	size_t i, k;
	char c[64], u[64];

	if (strcmp(cmd, "init") == 0) {
		printf("mamori fim: baseline of %llu entries written (%s)\n",
		    (unsigned long long)s->entries, s->algorithm);
	} else {
		fmt_time(s->created, c, sizeof(c));
		fmt_time(s->updated, u, sizeof(u));
		if (s->added + s->removed + s->changed == 0)
			printf("mamori fim: no differences from the baseline "
			    "(%llu entries; baseline of %s, updated %s)\n",
			    (unsigned long long)s->entries, c, u);
		else
			printf("mamori fim: differences from the baseline "
			    "(baseline of %s, updated %s)\n\n"
			    "  entries: %llu\n  added:   %llu\n"
			    "  removed: %llu\n  changed: %llu\n", c, u,
			    (unsigned long long)s->entries,
			    (unsigned long long)s->added,
			    (unsigned long long)s->removed,
			    (unsigned long long)s->changed);
	}
	list_entries("Added entries", rp->added);
	list_entries("Removed entries", rp->removed);
	list_entries("Changed entries", rp->changed);
	if (json_array_size(rp->changed) > 0)
		printf("\nDetailed information about changes:\n");
	json_array_foreach(rp->changed, i, f) {
		printf("\n%s: ", json_string_value(json_object_get(f,
		    "type")));
		put_safe(json_string_value(json_object_get(f, "path")));
		putchar('\n');
		json_array_foreach(json_object_get(f, "changed"), k, ch) {
			const char *a = json_string_value(ch);

			printf("  %-8s: ", a);
			put_value(json_object_get(json_object_get(f, "old"),
			    a));
			printf(" -> ");
			put_value(json_object_get(json_object_get(f, "new"),
			    a));
			putchar('\n');
		}
		if ((n = json_object_get(f, "error")) != NULL) {
			printf("  note    : ");
			put_value(n);
			putchar('\n');
		}
	}
	if (json_array_size(rp->errors) > 0) {
		printf("\nCould not be read fully:\n");
		json_array_foreach(rp->errors, i, f) {
			printf("  ");
			put_safe(json_string_value(json_object_get(f,
			    "path")));
			printf(": ");
			put_value(json_object_get(f, "error"));
			putchar('\n');
		}
	}
	if (strcmp(cmd, "check") != 0)
		printf("\nbaseline digest (%s, %llu entries): %s\n",
		    s->algorithm, (unsigned long long)s->entries, s->digest);
	else
		printf("\nbaseline digest: %s\n", s->digest);
	if (strcmp(cmd, "init") != 0 && !s->baseline_ok)
		printf("\nWARNING: the baseline's digest does not match its "
		    "entries: it was changed\noutside mamori.  Do not trust "
		    "it; compare the digest the server received.\n");
	if (strcmp(cmd, "init") != 0 && s->conf_changed)
		printf("\nnote: the baseline was made with other paths or "
		    "attributes than configured now;\nonly the attributes "
		    "recorded on both sides are compared.\n");
}

static int
exit_code(int r)
{
	switch (r) {
	case MAMORI_ECONFIG:
		return EXIT_CONFIG;
	case MAMORI_ECORRUPT:
		return EXIT_BASELINE;
	case MAMORI_EDB:
	case MAMORI_ESYS:
	case MAMORI_EIO:
	case MAMORI_ENOTFOUND:
		return EXIT_IO;
	}
	return EXIT_IO;
}

int
cmd_fim(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 't' },
		{ "trust-metadata", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fim_conf conf;
	struct fim_summary sum;
	struct report rp;
	const char *cmd, *config = NULL, *db = NULL;
	char err[1024], *end;
	long threads = -1;
	int ch, r, rc, trust = 0;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "init") != 0 &&
	    strcmp(argv[1], "check") != 0 && strcmp(argv[1], "update") != 0)) {
		fprintf(stderr, "mamori fim: expected init, check or update\n"
		    "%s", usage_text);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	argc--;
	argv++;
	memset(&rp, 0, sizeof(rp));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:jt:Th", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'j':
			rp.json = 1;
			break;
		case 't':
			threads = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || threads < 1 ||
			    threads > 256) {
				fprintf(stderr, "mamori fim: --threads: "
				    "expected 1 to 256, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'T':
			trust = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	fim_conf_init(&conf);
	if (config != NULL && (r = host_conf_load(config, "fim",
	    fim_conf_parse, &conf, err, sizeof(err))) != 0) {
		fprintf(stderr, "mamori fim: %s\n", err);
		fim_conf_release(&conf);
		return r == MAMORI_ECONFIG ? EXIT_CONFIG : EXIT_IO;
	}
	if (optind < argc && (r = fim_conf_set_paths(&conf, argv + optind,
	    (size_t)(argc - optind), err, sizeof(err))) != 0) {
		fprintf(stderr, "mamori fim: %s\n", r == MAMORI_ENOMEM ?
		    mamori_strerror(r) : err);
		fim_conf_release(&conf);
		return EXIT_USAGE;
	}
	if (db != NULL && fim_conf_set_database(&conf, db) != 0) {
		fim_conf_release(&conf);
		return EXIT_IO;
	}
	if (threads > 0)
		conf.threads = (int)threads;
	if (trust)
		conf.trust_metadata = 1;
	if (conf.nrules == 0) {
		fprintf(stderr, "mamori fim: no paths to scan: give PATH... or "
		    "--config FILE with a fim: section listing paths\n");
		fim_conf_release(&conf);
		return EXIT_USAGE;
	}
	rp.added = json_array();
	rp.removed = json_array();
	rp.changed = json_array();
	rp.errors = json_array();
	rp.other = json_array();
	if (strcmp(cmd, "init") == 0)
		r = fim_init(&conf, collect, &rp, &sum);
	else if (strcmp(cmd, "check") == 0)
		r = fim_check(&conf, collect, &rp, &sum);
	else
		r = fim_update(&conf, collect, &rp, &sum);
	fflush(stdout);
	if (r != 0) {
		if (r == MAMORI_ENOTFOUND)
			fprintf(stderr, "mamori fim: no baseline: %s (run "
			    "'mamori fim init' first)\n", sum.err);
		else
			fprintf(stderr, "mamori fim: %s\n", sum.err);
		rc = sum.write_failed ? EXIT_WRITE : exit_code(r);
	} else {
		if (!rp.json)
			print_text(&rp, cmd, &sum);
		rc = 0;
		if (strcmp(cmd, "init") != 0) {
			rc = (sum.added ? 1 : 0) | (sum.removed ? 2 : 0) |
			    (sum.changed ? 4 : 0);
			if (!sum.baseline_ok)
				rc = EXIT_BASELINE;
		}
	}
	json_decref(rp.added);
	json_decref(rp.removed);
	json_decref(rp.changed);
	json_decref(rp.errors);
	json_decref(rp.other);
	fim_conf_release(&conf);
	return rc;
}
