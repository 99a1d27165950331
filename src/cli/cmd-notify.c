/*
 * cmd-notify.c - `mamori notify`: tells the contacts of the contact plan
 * about an incident now, and records each result in the database (the
 * console's "notify" button does the same through the server).
 *
 *   mamori notify ID [--config FILE] [--data DIR] [--contact NAME]
 *                    [--why TEXT] [--dry-run]
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-common.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "incident/notify.h"
#include "store/db.h"

#define PROG	"mamori notify"

static const char usage_text[] =
"usage: mamori notify ID [--config FILE] [--data DIR] [--contact NAME]\n"
"                        [--why TEXT] [--dry-run]\n"
"\n"
"Notifies the contacts that the contact plan (the notify: section of the\n"
"configuration) routes incident ID to, by mail and webhook, now; each\n"
"channel is tried up to notify.attempts times.  Every result is recorded\n"
"in the notifications table and on the incident's timeline.\n"
"\n"
"  --config FILE   configuration with the notify: section (required)\n"
"  --data DIR      data directory (default: server.data_dir of FILE,\n"
"                  else ./mamori-data)\n"
"  --contact NAME  only this contact of the plan, whatever the routes say\n"
"  --why TEXT      the reason, shown in the message (default: by hand)\n"
"  --dry-run       show what would be sent; send and record nothing\n"
"\n"
"Exit status: 0 all sent, 1 something failed, 2 wrong use or\n"
"configuration.\n";

int
cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "contact", required_argument, NULL, 'C' },
		{ "why", required_argument, NULL, 'w' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data = NULL, *contact = NULL, *why = NULL;
	char path[4096], err[1024], actor[256], *reason = NULL;
	struct config cfg;
	struct db *db;
	struct stat sb;
	int64_t id;
	int ch, dry = 0, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:d:C:w:nh", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 'd': data = optarg; break;
		case 'C': contact = optarg; break;
		case 'w': why = optarg; break;
		case 'n': dry = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: give one incident ID\n", PROG);
		fputs(usage_text, stderr);
		return 2;
	}
	if (cli_parse_id(argv[optind], &id) != 0) {
		fprintf(stderr, "%s: '%s' is not an incident ID\n", PROG,
		    argv[optind]);
		return 2;
	}
	if (config == NULL) {
		fprintf(stderr, "%s: no contact plan: give --config FILE with "
		    "a notify: section (docs/notification.md)\n", PROG);
		return 2;
	}
	if (config_init(&cfg) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 2;
	}
	if (config_load(&cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		config_release(&cfg);
		return 2;
	}
	if (cfg.notify == NULL) {
		fprintf(stderr, "%s: %s: no notify: section: nobody to "
		    "notify (docs/notification.md)\n", PROG, config);
		config_release(&cfg);
		return 2;
	}
	if (data == NULL)
		data = cfg.data_dir;
	snprintf(path, sizeof(path), "%s/mamori.db", data);
	/* The database must exist: an incident cannot be in a new one. */
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, strerror(errno));
		config_release(&cfg);
		return 2;
	}
	if ((db = db_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		config_release(&cfg);
		return 2;
	}
	cli_actor(actor, sizeof(actor));
	if (asprintf(&reason, "by hand (%s)%s%s", actor,
	    why != NULL ? ": " : "", why != NULL ? why : "") < 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		db_close(db);
		config_release(&cfg);
		return 2;
	}
	r = notify_incident(cfg.notify, db_sqlite(db), (int64_t)id, reason,
	    contact, dry, stdout);
	fflush(stdout);
	free(reason);
	db_close(db);
	config_release(&cfg);
	switch (r) {
	case 0:
		return 0;
	case MAMORI_EIO:
		return 1;
	case MAMORI_ENOTFOUND:
		return 2;
	default:
		fprintf(stderr, "%s: incident %lld: %s\n", PROG, (long long)id,
		    mamori_strerror(r));
		return 1;
	}
}
