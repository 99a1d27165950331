/*
 * cmd-block.c - `mamori block`, `mamori unblock`, `mamori blocks`:
 * containment by hand (docs/containment.md).
 *
 *   mamori block ADDR[/PREFIX] [--for DURATION] [--incident ID]
 *                [--reason TEXT] [--dry-run] [--config FILE] [--data DIR]
 *   mamori unblock ADDR[/PREFIX] [--incident ID] [--config FILE]
 *                [--data DIR]
 *   mamori blocks [--json] [--config FILE] [--data DIR]
 *
 * The firewall is changed first and the block recorded in DIR/mamori.db
 * after; when the record cannot be written the firewall change is undone,
 * so a block is either in force and recorded or neither.
 *
 * Exit status: 0 done; 1 refused or failed (the reason on standard
 * error); 2 usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli-common.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "core/yamldoc.h"
#include "respond/respond.h"
#include "store/db.h"

#define CONFIG_MAX	(4 * 1024 * 1024)
#define DEFAULT_DATA	"./mamori-data"

struct opts {
	const char	*config;
	const char	*data;
	const char	*reason;
	const char	*addr;
	int64_t		 incident;
	int64_t		 duration_ns;
	int		 has_duration;
	int		 dry_run;
	int		 json;
};

/*
 * Reads the respond: section (and server.data_dir, for the database) of
 * the configuration file at path over the defaults.  *out: caller frees
 * with respond_conf_free(); *data_dir: caller frees (NULL when the file
 * does not set it).  Returns 0 or an error with err set.
 */
static int
load_respond(const char *path, struct respond_conf **out, char **data_dir,
    char *err, size_t errlen)
{
	struct respond_conf *c;
	struct ydoc d;
	yaml_node_t *root, *server;
	int r;

	*out = NULL;
	*data_dir = NULL;
	if ((r = respond_conf_new(&c)) != 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	if (path == NULL) {
		*out = c;
		return 0;
	}
	if ((r = ydoc_load(&d, path, CONFIG_MAX, err, errlen)) != 0) {
		ydoc_free(&d);
		respond_conf_free(c);
		return r;
	}
	root = ydoc_root(&d);
	if (root != NULL && !ydoc_is_map(root))
		r = ydoc_fail(&d, root, "expected a mapping of sections, got "
		    "%s", ydoc_kind(root));
	if (r == 0 && root != NULL)
		r = respond_conf_parse(&d, ydoc_get(&d, root, "respond"),
		    "respond", c);
	if (r == 0 && root != NULL &&
	    (server = ydoc_get(&d, root, "server")) != NULL &&
	    ydoc_is_map(server))
		r = ydoc_str(&d, ydoc_get(&d, server, "data_dir"),
		    "server.data_dir", data_dir);
	ydoc_free(&d);
	if (r != 0) {
		respond_conf_free(c);
		free(*data_dir);
		*data_dir = NULL;
		return r;
	}
	*out = c;
	return 0;
}

/* Parses the options of all three commands; only those in allowed are
 * accepted.  Returns 0, or 2 (usage) after printing why. */
static int
parse_opts(int argc, char **argv, const char *cmd, const char *allowed,
    const char *usage, int want_addr, struct opts *o)
{
	static const struct option lopts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "incident", required_argument, NULL, 'i' },
		{ "reason", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":f:i:r:nc:d:jh", lopts,
	    NULL)) != -1) {
		if (ch == 'h') {
			printf("%s", usage);
			return 1;
		}
		if (ch == '?' || ch == ':' || strchr(allowed, ch) == NULL) {
			if (ch == ':')
				fprintf(stderr, "mamori %s: %s needs a value\n",
				    cmd, argv[optind - 1]);
			else
				fprintf(stderr, "mamori %s: unknown option "
				    "'%s'\n", cmd, argv[optind - 1]);
			fprintf(stderr, "%s", usage);
			return 2;
		}
		switch (ch) {
		case 'f':
			if (config_parse_duration(optarg, &o->duration_ns) !=
			    0) {
				fprintf(stderr, "mamori %s: --for '%s': "
				    "expected a duration such as 30m, 1h or "
				    "7d (0: until unblocked)\n", cmd, optarg);
				return 2;
			}
			o->has_duration = 1;
			break;
		case 'i':
			if (cli_parse_id(optarg, &o->incident) != 0) {
				fprintf(stderr, "mamori %s: --incident '%s': "
				    "expected an incident number\n", cmd,
				    optarg);
				return 2;
			}
			break;
		case 'r': o->reason = optarg; break;
		case 'n': o->dry_run = 1; break;
		case 'c': o->config = optarg; break;
		case 'd': o->data = optarg; break;
		case 'j': o->json = 1; break;
		}
	}
	if (want_addr) {
		if (optind >= argc) {
			fprintf(stderr, "mamori %s: which address?\n%s", cmd,
			    usage);
			return 2;
		}
		o->addr = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "mamori %s: unexpected argument '%s'\n%s", cmd,
		    argv[optind], usage);
		return 2;
	}
	return 0;
}

/* Configuration and database for a command.  *db may stay NULL when
 * need_db is 0 and there is no database. */
struct ctx {
	struct respond_conf *conf;
	struct db	*db;
	char		 path[4096];
	char		 who[128];
};

static int
setup(const char *cmd, const struct opts *o, int need_db, struct ctx *x)
{
	char err[1024], *cdata = NULL;
	const char *data;
	struct stat sb;
	int r;

	memset(x, 0, sizeof(*x));
	cli_actor(x->who, sizeof(x->who));
	if ((r = load_respond(o->config, &x->conf, &cdata, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "mamori %s: %s\n", cmd, err);
		return 1;
	}
	data = o->data != NULL ? o->data : cdata != NULL ? cdata :
	    DEFAULT_DATA;
	snprintf(x->path, sizeof(x->path), "%s/mamori.db", data);
	if (!need_db && stat(x->path, &sb) != 0) {
		free(cdata);
		return 0;
	}
	if (need_db && stat(data, &sb) != 0 && mkdir(data, 0750) != 0) {
		fprintf(stderr, "mamori %s: cannot create %s: %s\n", cmd, data,
		    strerror(errno));
		free(cdata);
		return 1;
	}
	free(cdata);
	if ((x->db = db_open(x->path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "mamori %s: %s\n", cmd, err);
		return 1;
	}
	/* Blocks the kernel has expired since anyone last looked get their
	 * end recorded (and their incidents' timeline entries). */
	if ((r = respond_record_expire(db_sqlite(x->db), time_now_ns())) !=
	    0)
		fprintf(stderr, "mamori %s: %s: cannot record expired blocks: "
		    "%s\n", cmd, x->path, mamori_strerror(r));
	return 0;
}

static void
teardown(struct ctx *x)
{
	db_close(x->db);
	respond_conf_free(x->conf);
}

static const char block_usage[] =
    "usage: mamori block ADDR[/PREFIX] [--for DURATION] [--incident ID]\n"
    "                    [--reason TEXT] [--dry-run] [--config FILE] "
    "[--data DIR]\n";
static const char unblock_usage[] =
    "usage: mamori unblock ADDR[/PREFIX] [--incident ID] [--config FILE] "
    "[--data DIR]\n";
static const char blocks_usage[] =
    "usage: mamori blocks [--json] [--config FILE] [--data DIR]\n";

int
cmd_block(int argc, char **argv)
{
	struct opts o;
	struct ctx x;
	struct respond_result res;
	char err[1024], until[40], d[32], uerr[512];
	int64_t now, dur, id;
	int r;

	if ((r = parse_opts(argc, argv, "block", "firncd", block_usage, 1,
	    &o)) != 0)
		return r == 1 ? 0 : r;
	if (setup("block", &o, 1, &x) != 0) {
		teardown(&x);
		return 1;
	}
	dur = o.has_duration ? o.duration_ns : x.conf->default_duration_ns;
	if (o.incident != 0 && respond_record_check(db_sqlite(x.db),
	    o.incident, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori block: %s\n", err);
		teardown(&x);
		return 1;
	}
	r = respond_apply(x.conf, o.addr, strlen(o.addr), dur,
	    o.dry_run || x.conf->dry_run ? RESPOND_F_DRY_RUN : 0, &res, err,
	    sizeof(err));
	if (r != 0) {
		fprintf(stderr, "mamori block: %s\n", err);
		teardown(&x);
		return 1;
	}
	now = time_now_ns();
	if ((r = respond_record_block(db_sqlite(x.db), res.addr, now,
	    res.duration_ns, x.who, o.reason, o.incident, res.dry_run,
	    &id)) != 0) {
		fprintf(stderr, "mamori block: %s: cannot record the block: "
		    "%s\n", x.path, mamori_strerror(r));
		if (!res.dry_run && res.outcome == RESPOND_DONE) {
			if (respond_unblock(x.conf, res.addr, NULL, uerr,
			    sizeof(uerr)) != 0)
				fprintf(stderr, "mamori block: %s is blocked "
				    "but not recorded, and lifting it failed: "
				    "%s\n", res.addr, uerr);
			else
				fprintf(stderr, "mamori block: the block of %s "
				    "was lifted again\n", res.addr);
		}
		teardown(&x);
		return 1;
	}
	if (res.duration_ns > 0) {
		time_format_rfc3339(now + res.duration_ns, 0, 0, until,
		    sizeof(until));
		respond_duration_format(res.duration_ns, d, sizeof(d));
	}
	if (res.dry_run)
		printf("dry run: would block %s %s%s%s%s; the firewall was "
		    "not changed (recorded as block %" PRId64 ")\n", res.addr,
		    res.duration_ns > 0 ? "for " : "until unblocked",
		    res.duration_ns > 0 ? d : "",
		    res.duration_ns > 0 ? ", until " : "",
		    res.duration_ns > 0 ? until : "", id);
	else
		printf("%s %s %s%s%s%s\n", res.outcome == RESPOND_REPLACED ?
		    "blocked again (new expiry):" : "blocked", res.addr,
		    res.duration_ns > 0 ? "for " : "until unblocked",
		    res.duration_ns > 0 ? d : "",
		    res.duration_ns > 0 ? ", until " : "",
		    res.duration_ns > 0 ? until : "");
	if (o.incident != 0)
		printf("recorded on the timeline of incident %" PRId64 "\n",
		    o.incident);
	teardown(&x);
	return 0;
}

static int
count_row(void *arg, const struct respond_row *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

int
cmd_unblock(int argc, char **argv)
{
	struct opts o;
	struct ctx x;
	struct respond_addr a;
	char err[1024], canon[RESPOND_ADDR_STRLEN];
	int r, e, dry = 0, n = 0;

	if ((r = parse_opts(argc, argv, "unblock", "icd", unblock_usage, 1,
	    &o)) != 0)
		return r == 1 ? 0 : r;
	if (respond_addr_parse(o.addr, strlen(o.addr), &a, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mamori unblock: %s\n", err);
		return 1;
	}
	respond_addr_format(&a, canon);
	if (setup("unblock", &o, 1, &x) != 0) {
		teardown(&x);
		return 1;
	}
	if (o.incident != 0 && respond_record_check(db_sqlite(x.db),
	    o.incident, err, sizeof(err)) != 0) {
		fprintf(stderr, "mamori unblock: %s\n", err);
		teardown(&x);
		return 1;
	}
	if (respond_record_each(db_sqlite(x.db), time_now_ns(), canon, 1,
	    count_row, &dry) != 0) {
		fprintf(stderr, "mamori unblock: %s: cannot read the blocks\n",
		    x.path);
		teardown(&x);
		return 1;
	}
	r = respond_unblock(x.conf, o.addr, NULL, err, sizeof(err));
	if (r != 0 && !(dry > 0 && (r == MAMORI_ENOTFOUND ||
	    r == MAMORI_ESYS))) {
		fprintf(stderr, "mamori unblock: %s\n", err);
		teardown(&x);
		return 1;
	}
	if ((e = respond_record_unblock(db_sqlite(x.db), canon, time_now_ns(),
	    x.who, o.incident, &n)) != 0) {
		fprintf(stderr, "mamori unblock: %s: the block of %s was "
		    "lifted but not recorded: %s\n", x.path, canon,
		    mamori_strerror(e));
		teardown(&x);
		return 1;
	}
	if (r != 0)
		printf("removed the dry-run block of %s (the firewall was not "
		    "changed)\n", canon);
	else
		printf("unblocked %s\n", canon);
	teardown(&x);
	return 0;
}

/* ---- mamori blocks ---- */

struct list_ctx {
	struct ctx	*x;
	json_t		*arr;		/* --json */
	int64_t		 now;
	int		 n;
};

/* The newest row in force for the address, if any. */
struct row_copy {
	int		 found;
	int64_t		 incident;
	char		 who[128];
	char		 reason[256];
	int64_t		 created;
};

static int
take_row(void *arg, const struct respond_row *row)
{
	struct row_copy *rc = arg;

	rc->found = 1;
	rc->incident = row->incident_id;
	rc->created = row->created_ns;
	snprintf(rc->who, sizeof(rc->who), "%s", row->who);
	snprintf(rc->reason, sizeof(rc->reason), "%s",
	    row->reason != NULL ? row->reason : "");
	return 1;
}

/* Prints s for a terminal: control bytes as '?'. */
static void
print_safe(const char *s, int width)
{
	char buf[256];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	printf("%-*s", width, buf);
}

static void
emit(struct list_ctx *l, const char *addr, int64_t timeout_ns,
    int64_t expires_ns, const struct row_copy *rc, int dry)
{
	char until[40] = "-", left[32] = "never", inc[24] = "-";
	json_t *j;

	if (expires_ns > 0) {
		time_format_rfc3339(l->now + expires_ns, 0, 0, until,
		    sizeof(until));
		respond_duration_format(expires_ns / NS_PER_SEC * NS_PER_SEC,
		    left, sizeof(left));
	}
	if (rc->found && rc->incident != 0)
		snprintf(inc, sizeof(inc), "%" PRId64, rc->incident);
	if (l->arr != NULL) {
		j = json_pack("{s:s, s:b}", "addr", addr, "dry_run", dry);
		if (j == NULL)
			return;
		json_object_set_new(j, "expires_in_s", expires_ns > 0 ?
		    json_integer(expires_ns / NS_PER_SEC) : json_null());
		json_object_set_new(j, "until", expires_ns > 0 ?
		    json_string(until) : json_null());
		json_object_set_new(j, "timeout_s", timeout_ns > 0 ?
		    json_integer(timeout_ns / NS_PER_SEC) : json_null());
		json_object_set_new(j, "who", rc->found ?
		    json_string(rc->who) : json_null());
		json_object_set_new(j, "reason", rc->found &&
		    rc->reason[0] != '\0' ? json_string(rc->reason) :
		    json_null());
		json_object_set_new(j, "incident", rc->found &&
		    rc->incident != 0 ? json_integer(rc->incident) :
		    json_null());
		json_array_append_new(l->arr, j);
	} else {
		if (l->n == 0)
			printf("%-24s %-12s %-21s %-12s %-8s %s\n", "ADDRESS",
			    "EXPIRES IN", "UNTIL", "WHO", "INCIDENT",
			    "REASON");
		printf("%-24s %-12s %-21s ", addr, left, until);
		print_safe(rc->found ? rc->who : "-", 12);
		printf(" %-8s ", inc);
		print_safe(rc->found && rc->reason[0] != '\0' ? rc->reason :
		    "-", 0);
		printf("%s\n", dry ? " (dry run: not in the firewall)" : "");
	}
	l->n++;
}

static int
list_kernel(void *arg, const struct respond_entry *e)
{
	struct list_ctx *l = arg;
	struct row_copy rc;
	char addr[RESPOND_ADDR_STRLEN];

	memset(&rc, 0, sizeof(rc));
	respond_addr_format(&e->addr, addr);
	if (l->x->db != NULL)
		respond_record_each(db_sqlite(l->x->db), l->now, addr, 0,
		    take_row, &rc);
	emit(l, addr, e->timeout_ns, e->expires_ns, &rc, 0);
	return 0;
}

static int
list_dry(void *arg, const struct respond_row *row)
{
	struct list_ctx *l = arg;
	struct row_copy rc;

	memset(&rc, 0, sizeof(rc));
	take_row(&rc, row);
	emit(l, row->addr, row->expires_ns > 0 ? row->expires_ns -
	    row->created_ns : 0, row->expires_ns > 0 ? row->expires_ns -
	    l->now : 0, &rc, 1);
	return 0;
}

int
cmd_blocks(int argc, char **argv)
{
	struct opts o;
	struct ctx x;
	struct list_ctx l;
	char err[1024];
	int r;

	if ((r = parse_opts(argc, argv, "blocks", "jcd", blocks_usage, 0,
	    &o)) != 0)
		return r == 1 ? 0 : r;
	if (setup("blocks", &o, 0, &x) != 0) {
		teardown(&x);
		return 1;
	}
	memset(&l, 0, sizeof(l));
	l.x = &x;
	l.now = time_now_ns();
	if (o.json && (l.arr = json_array()) == NULL) {
		teardown(&x);
		return 1;
	}
	if ((r = respond_list(x.conf, list_kernel, &l, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "mamori blocks: %s\n", err);
		json_decref(l.arr);
		teardown(&x);
		return 1;
	}
	if (x.db != NULL)
		respond_record_each(db_sqlite(x.db), l.now, NULL, 1, list_dry,
		    &l);
	if (o.json) {
		json_dumpf(l.arr, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(l.arr);
	} else if (l.n == 0)
		printf("no blocks in force (table inet %s)\n", x.conf->table);
	teardown(&x);
	return 0;
}
