/*
 * cmd-status.c - `mamori status`: the server's listeners, queues, store
 * and hosts, from the snapshot the server keeps in mamori.db.
 *
 *   mamori status [--data DIR] [--json]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cmds.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"

struct host_out {
	json_t	*arr;	/* --json: array to fill */
	int	 n;
};

static int
print_host(void *arg, const struct db_host *h)
{
	struct host_out *o = arg;
	char seen[40];

	time_format_rfc3339(h->last_seen_ns, 0, 0, seen, sizeof(seen));
	if (o->arr != NULL) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "host", h->name,
		    "address", h->src, "last_seen", seen,
		    "messages", (json_int_t)h->messages);

		if (j != NULL && h->has_offset)
			json_object_set_new(j, "clock_offset_s",
			    json_real((double)h->offset_ns / 1e9));
		json_array_append_new(o->arr, j);
	} else {
		if (o->n == 0)
			printf("\n%-30s %-20s %-21s %10s %12s\n", "HOST",
			    "ADDRESS", "LAST SEEN", "MESSAGES", "CLOCK OFFSET");
		if (h->has_offset)
			printf("%-30s %-20s %-21s %10" PRIu64 " %+11.1fs\n",
			    h->name, h->src, seen, h->messages,
			    (double)h->offset_ns / 1e9);
		else
			printf("%-30s %-20s %-21s %10" PRIu64 " %12s\n",
			    h->name, h->src, seen, h->messages, "-");
	}
	o->n++;
	return 0;
}

static void
print_text(json_t *st, int running)
{
	json_t *v, *x;
	size_t i;

	printf("server %s (pid %" JSON_INTEGER_FORMAT ") on %s: %s\n",
	    json_string_value(json_object_get(st, "version")),
	    json_integer_value(json_object_get(st, "pid")),
	    json_string_value(json_object_get(st, "hostname")),
	    running ? "running" : "not running");
	printf("started %s, snapshot %s\n",
	    json_string_value(json_object_get(st, "started")),
	    json_string_value(json_object_get(st, "updated")));
	printf("\n%-32s %10s %10s %8s %6s %9s %7s %6s\n", "LISTENER",
	    "RECEIVED", "STORED", "DROPPED", "LOST", "TRUNCATED", "ACTIVE",
	    "ERRORS");
	json_array_foreach(json_object_get(st, "listeners"), i, v) {
		printf("%-32s %10" JSON_INTEGER_FORMAT " %10"
		    JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT " %6"
		    JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT " %7"
		    JSON_INTEGER_FORMAT " %6" JSON_INTEGER_FORMAT "\n",
		    json_string_value(json_object_get(v, "url")),
		    json_integer_value(json_object_get(v, "received")),
		    json_integer_value(json_object_get(v, "stored")),
		    json_integer_value(json_object_get(v, "dropped")),
		    json_integer_value(json_object_get(v, "lost")),
		    json_integer_value(json_object_get(v, "truncated")),
		    json_integer_value(json_object_get(v, "active")),
		    json_integer_value(json_object_get(v, "errors")));
	}
	printf("\n%-16s %10s %10s %10s\n", "QUEUE", "DEPTH", "PEAK",
	    "CAPACITY");
	json_array_foreach(json_object_get(st, "queues"), i, v) {
		printf("%-16s %10" JSON_INTEGER_FORMAT " %10"
		    JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT "\n",
		    json_string_value(json_object_get(v, "name")),
		    json_integer_value(json_object_get(v, "depth")),
		    json_integer_value(json_object_get(v, "peak")),
		    json_integer_value(json_object_get(v, "capacity")));
	}
	if ((x = json_object_get(st, "sensor")) != NULL &&
	    json_array_size(x) > 0) {
		printf("\n%-16s %12s %12s %10s %12s %8s\n", "CAPTURE",
		    "RECEIVED", "KERNEL-DROP", "DETECTED", "FLOWS", "LOST");
		json_array_foreach(x, i, v)
			printf("%-16s %12" JSON_INTEGER_FORMAT " %12"
			    JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT
			    " %12" JSON_INTEGER_FORMAT " %8"
			    JSON_INTEGER_FORMAT "\n",
			    json_string_value(json_object_get(v, "interface")),
			    json_integer_value(json_object_get(v, "received")),
			    json_integer_value(json_object_get(v,
			    "kernel_dropped")),
			    json_integer_value(json_object_get(v,
			    "detections")),
			    json_integer_value(json_object_get(v,
			    "conn_records")),
			    json_integer_value(json_object_get(v, "lost")));
	}
	x = json_object_get(st, "store");
	printf("\nstore: %" JSON_INTEGER_FORMAT " records stored since start, "
	    "next seq %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
	    " segments (%" JSON_INTEGER_FORMAT " waiting for compression), %"
	    JSON_INTEGER_FORMAT " bytes on disk, %" JSON_INTEGER_FORMAT
	    " write errors\n",
	    json_integer_value(json_object_get(x, "stored")),
	    json_integer_value(json_object_get(x, "next_seq")),
	    json_integer_value(json_object_get(x, "segments")),
	    json_integer_value(json_object_get(x, "compress_pending")),
	    json_integer_value(json_object_get(x, "disk_bytes")),
	    json_integer_value(json_object_get(x, "write_errors")));
	x = json_object_get(st, "parsed");
	printf("parsed: %" JSON_INTEGER_FORMAT " RFC 5424, %"
	    JSON_INTEGER_FORMAT " RFC 3164, %" JSON_INTEGER_FORMAT
	    " unparsed, %" JSON_INTEGER_FORMAT " internal\n",
	    json_integer_value(json_object_get(x, "rfc5424")),
	    json_integer_value(json_object_get(x, "rfc3164")),
	    json_integer_value(json_object_get(x, "unparsed")),
	    json_integer_value(json_object_get(x, "internal")));
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = "./mamori-data";
	char path[4096], err[512], *text = NULL;
	struct host_out ho = { NULL, 0 };
	struct db *db;
	json_t *st;
	json_error_t jerr;
	int64_t at;
	int ch, json = 0, running, rc, pid;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'j': json = 1; break;
		case 'h':
			printf("usage: mamori status [--data DIR] [--json]\n");
			return 0;
		default:
			fprintf(stderr, "usage: mamori status [--data DIR] "
			    "[--json]\n");
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/mamori.db", data);
	if ((db = db_open(path, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori status: %s\n", err);
		return 2;
	}
	if ((rc = db_status_get(db, &text, &at)) != 0) {
		fprintf(stderr, "mamori status: %s: %s\n", path,
		    rc == MAMORI_ENOTFOUND ? "no status yet (has the server "
		    "run?)" : "cannot read the status");
		db_close(db);
		return 2;
	}
	if ((st = json_loads(text, 0, &jerr)) == NULL) {
		fprintf(stderr, "mamori status: %s: bad snapshot: %s\n", path,
		    jerr.text);
		free(text);
		db_close(db);
		return 2;
	}
	free(text);
	pid = (int)json_integer_value(json_object_get(st, "pid"));
	running = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) &&
	    time_now_ns() - at < 30 * NS_PER_SEC;
	if (json) {
		ho.arr = json_array();
		db_hosts_each(db, print_host, &ho);
		json_object_set_new(st, "running", json_boolean(running));
		json_object_set_new(st, "hosts", ho.arr);
		json_dumpf(st, stdout, JSON_INDENT(2));
		printf("\n");
	} else {
		print_text(st, running);
		db_hosts_each(db, print_host, &ho);
		if (ho.n == 0)
			printf("\nno hosts seen yet\n");
	}
	json_decref(st);
	db_close(db);
	return 0;
}
