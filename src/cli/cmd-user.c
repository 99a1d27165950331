/*
 * cmd-user.c - `mamori user`: who may log in to the web console, and
 * their API tokens (docs/console.md).
 *
 *   mamori user add NAME --role viewer|responder|admin
 *       [--password-file FILE]
 *   mamori user passwd NAME [--password-file FILE]
 *   mamori user role NAME viewer|responder|admin
 *   mamori user del NAME
 *   mamori user list [--json]
 *   mamori user unlock NAME           forget its failed logins
 *   mamori user token add NAME TOKENNAME
 *   mamori user token del NAME ID
 *   mamori user token list [NAME]
 *
 * Common options: --data DIR (default: server.data_dir of --config, else
 * ./mamori-data), --config FILE.
 *
 * A password comes from --password-file (its first line; "-" is
 * standard input), else is asked for twice on the terminal without echo,
 * else is read as one line from standard input.  It never appears on the
 * command line, where other users could see it in ps.
 *
 * Exit status: 0 done, 1 failed (the reason on standard error), 2 usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli-common.h"
#include "cli/cmds.h"
#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "store/db.h"
#include "web/web-users.h"

#define PROG	"mamori user"

static const char usage_text[] =
"usage: mamori user <command> [options]\n"
"\n"
"  add NAME --role viewer|responder|admin [--password-file FILE]\n"
"  passwd NAME [--password-file FILE]\n"
"  role NAME viewer|responder|admin\n"
"  del NAME\n"
"  list [--json]\n"
"  unlock NAME                 forget NAME's failed logins\n"
"  token add NAME TOKENNAME    a token for scripts (shown once)\n"
"  token del NAME ID\n"
"  token list [NAME]\n"
"\n"
"Options for all: --data DIR (default ./mamori-data, or server.data_dir\n"
"of --config FILE).\n"
"\n"
"Roles: viewer reads everything; responder also acts on incidents\n"
"(status, steps, notes, notify, block, export); admin also manages\n"
"users and everyone's tokens.\n"
"\n"
"The password is read from --password-file (its first line; - for\n"
"standard input), else asked for twice on the terminal, else read as\n"
"one line from standard input.  At least 10 characters.\n";

static int
usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", PROG);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(see 'mamori user --help')\n");
	return 2;
}

/* Reads one line into buf (newline removed).  0, or -1 when nothing
 * could be read or the line is too long. */
static int
read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, f) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return -1;	/* longer than the buffer */
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

/* Asks on the terminal with echo off. */
static int
prompt(const char *what, char *buf, size_t len)
{
	struct termios t, quiet;
	FILE *tty;
	int r;

	if ((tty = fopen("/dev/tty", "r+")) == NULL)
		return -1;
	fprintf(tty, "%s", what);
	fflush(tty);
	if (tcgetattr(fileno(tty), &t) != 0) {
		fclose(tty);
		return -1;
	}
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	r = read_line(tty, buf, len);
	tcsetattr(fileno(tty), TCSAFLUSH, &t);
	fprintf(tty, "\n");
	fclose(tty);
	return r;
}

static int
get_password(const char *file, const char *user, char *buf, size_t len)
{
	char again[WEB_PASSWORD_MAX + 2], q[128];
	FILE *f;
	int r;

	if (file != NULL) {
		if (strcmp(file, "-") == 0)
			f = stdin;
		else if ((f = fopen(file, "r")) == NULL) {
			fprintf(stderr, "%s: %s: %s\n", PROG, file,
			    strerror(errno));
			return -1;
		}
		r = read_line(f, buf, len);
		if (f != stdin)
			fclose(f);
		if (r != 0) {
			fprintf(stderr, "%s: %s: no password line (or one "
			    "longer than %d bytes)\n", PROG, file,
			    WEB_PASSWORD_MAX);
			return -1;
		}
		return 0;
	}
	if (isatty(STDIN_FILENO)) {
		snprintf(q, sizeof(q), "Password for %s: ", user);
		if (prompt(q, buf, len) != 0 ||
		    prompt("Again: ", again, sizeof(again)) != 0) {
			fprintf(stderr, "%s: cannot read the password from the "
			    "terminal\n", PROG);
			return -1;
		}
		r = strcmp(buf, again) == 0;
		sodium_memzero(again, sizeof(again));
		if (!r) {
			fprintf(stderr, "%s: the two passwords differ\n", PROG);
			return -1;
		}
		return 0;
	}
	if (read_line(stdin, buf, len) != 0) {
		fprintf(stderr, "%s: no password on standard input\n", PROG);
		return -1;
	}
	return 0;
}

struct uctx {
	struct config	 conf;
	struct db	*db;
	sqlite3		*h;
	int		 json;
};

static int
open_db(struct uctx *x, const char *data, const char *config)
{
	char path[4096], err[1024];

	if (config_init(&x->conf) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	if (config != NULL &&
	    config_load(&x->conf, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return -1;
	}
	if (data == NULL)
		data = x->conf.data_dir;
	if (mkdir(data, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: cannot create: %s\n", PROG, data,
		    strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mamori.db", data);
	if ((x->db = db_open(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", PROG, err);
		return -1;
	}
	x->h = db_sqlite(x->db);
	return 0;
}

static const char *
when(int64_t ns, char *buf, size_t len)
{
	if (ns == 0)
		return "-";
	time_format_rfc3339(ns, 0, 0, buf, len);
	return buf;
}

static int
list_cb(void *arg, const struct web_user *u)
{
	struct uctx *x = arg;
	char a[40], b[40];

	if (x->json) {
		json_t *j = json_pack("{s:s, s:s, s:I, s:I}", "name", u->name,
		    "role", web_role_name(u->role), "created",
		    (json_int_t)(u->created_ns / NS_PER_SEC), "last_login",
		    (json_int_t)(u->last_login_ns / NS_PER_SEC));

		if (j != NULL) {
			json_dumpf(j, stdout, JSON_COMPACT);
			putchar('\n');
			json_decref(j);
		}
		return 0;
	}
	printf("%-24s %-10s %-21s %s\n", u->name, web_role_name(u->role),
	    when(u->created_ns, a, sizeof(a)),
	    when(u->last_login_ns, b, sizeof(b)));
	return 0;
}

static int
token_cb(void *arg, const struct web_token *t)
{
	char a[40], b[40];

	(void)arg;
	/* A token's name was typed by a person: shown, never obeyed. */
	printf("%6" PRId64 "  %-16s %-21s %-21s ", t->id, t->user,
	    when(t->created_ns, a, sizeof(a)),
	    when(t->last_used_ns, b, sizeof(b)));
	for (const char *p = t->name; *p != '\0'; p++)
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
	return 0;
}

/* Reports r of a user command. */
static int
done(int r, const char *err)
{
	if (r == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", PROG, err[0] != '\0' ? err :
	    mamori_strerror(r));
	return 1;
}

static int
do_token(struct uctx *x, int argc, char **argv)
{
	char err[512] = "", token[WEB_TOKEN_LEN + 1];
	int64_t id;
	int r;

	if (argc < 1)
		return usage_err("%s", "token: add, del or list");
	if (strcmp(argv[0], "add") == 0) {
		if (argc != 3)
			return usage_err("%s", "token add NAME TOKENNAME");
		r = web_token_add(x->h, argv[1], argv[2], &id, token, err,
		    sizeof(err));
		if (r != 0)
			return done(r, err);
		printf("%s\n", token);
		fprintf(stderr, "token %" PRId64 " for %s; shown this once: "
		    "send it as \"Authorization: Bearer TOKEN\"\n", id,
		    argv[1]);
		sodium_memzero(token, sizeof(token));
		return 0;
	}
	if (strcmp(argv[0], "del") == 0) {
		if (argc != 3)
			return usage_err("%s", "token del NAME ID");
		if (cli_parse_id(argv[2], &id) != 0)
			return usage_err("'%s' is not a token id", argv[2]);
		r = web_token_del(x->h, argv[1], id);
		if (r == MAMORI_ENOTFOUND) {
			fprintf(stderr, "%s: %s has no token %" PRId64 "\n",
			    PROG, argv[1], id);
			return 1;
		}
		return done(r, err);
	}
	if (strcmp(argv[0], "list") == 0) {
		if (argc > 2)
			return usage_err("%s", "token list [NAME]");
		printf("%6s  %-16s %-21s %-21s %s\n", "ID", "USER", "CREATED",
		    "LAST USED", "NAME");
		return done(web_token_each(x->h, argc == 2 ? argv[1] : NULL,
		    token_cb, x), err);
	}
	return usage_err("token: unknown command '%s'", argv[0]);
}

int
cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "role", required_argument, NULL, 'r' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uctx x;
	const char *data = NULL, *config = NULL, *role = NULL, *pwfile = NULL;
	const char *cmd;
	char pw[WEB_PASSWORD_MAX + 2], err[512] = "", key[128];
	int ch, rc = 2, ro, r;

	memset(&x, 0, sizeof(x));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:r:p:jh", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'c': config = optarg; break;
		case 'r': role = optarg; break;
		case 'p': pwfile = optarg; break;
		case 'j': x.json = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* Arguments are checked before anything is opened or asked. */
	if (strcmp(cmd, "add") == 0) {
		if (argc != 1)
			return usage_err("%s", "add: give one NAME");
		if (role == NULL)
			return usage_err("%s", "add: give --role viewer, "
			    "responder or admin");
		if (web_role_parse(role) < 0)
			return usage_err("unknown role '%s' (viewer, responder, "
			    "admin)", role);
		if (web_user_name_check(argv[0], err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: %s\n", PROG, err);
			return 2;
		}
	} else if (strcmp(cmd, "passwd") == 0 || strcmp(cmd, "del") == 0 ||
	    strcmp(cmd, "unlock") == 0) {
		if (argc != 1)
			return usage_err("%s: give one NAME", cmd);
	} else if (strcmp(cmd, "role") == 0) {
		if (argc != 2)
			return usage_err("%s", "role: give NAME and ROLE");
		if (web_role_parse(argv[1]) < 0)
			return usage_err("unknown role '%s' (viewer, responder, "
			    "admin)", argv[1]);
	} else if (strcmp(cmd, "list") == 0) {
		if (argc != 0)
			return usage_err("%s", "list takes no arguments");
	} else if (strcmp(cmd, "token") != 0)
		return usage_err("unknown command '%s'", cmd);

	if (open_db(&x, data, config) != 0) {
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "passwd") == 0) {
		if (get_password(pwfile, argv[0], pw, sizeof(pw)) != 0) {
			rc = 1;
			goto out;
		}
		if (strcmp(cmd, "add") == 0) {
			ro = web_role_parse(role);
			r = web_user_add(x.h, argv[0], ro, pw, err,
			    sizeof(err));
		} else
			r = web_user_passwd(x.h, argv[0], pw, 0, err,
			    sizeof(err));
		sodium_memzero(pw, sizeof(pw));
		rc = done(r, err);
		if (rc == 0)
			printf("%s %s\n", strcmp(cmd, "add") == 0 ? "added" :
			    "new password for", argv[0]);
	} else if (strcmp(cmd, "role") == 0) {
		rc = done(web_user_set_role(x.h, argv[0],
		    web_role_parse(argv[1]), err, sizeof(err)), err);
	} else if (strcmp(cmd, "del") == 0) {
		rc = done(web_user_del(x.h, argv[0], err, sizeof(err)), err);
		if (rc == 0)
			printf("deleted %s (and their sessions and tokens)\n",
			    argv[0]);
	} else if (strcmp(cmd, "unlock") == 0) {
		web_login_key(key, sizeof(key), "user", argv[0]);
		rc = done(web_login_clear(x.h, key), err);
	} else if (strcmp(cmd, "list") == 0) {
		if (!x.json)
			printf("%-24s %-10s %-21s %s\n", "NAME", "ROLE",
			    "CREATED", "LAST LOGIN");
		rc = done(web_user_each(x.h, list_cb, &x), err);
	} else
		rc = do_token(&x, argc, argv);
 out:
	db_close(x.db);
	config_release(&x.conf);
	return rc;
}
