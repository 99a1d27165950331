/*
 * rules-set.c - rulesets and analysis contexts: loading files and
 * directories, and rules_process(), which takes one line through the
 * three phases.
 *
 * Built for a worker thread analysing a stream of events: a context
 * allocates its state once, and an event's strings go into an arena that
 * is reused from one event to the next, so analysing an event allocates
 * nothing unless a line is longer than any before it.
 */
#include <dirent.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "rules/rules-int.h"

static const char *const field_names[RULES_F_NFIXED] = {
	[RULES_F_SRCIP] = "srcip",
	[RULES_F_DSTIP] = "dstip",
	[RULES_F_SRCPORT] = "srcport",
	[RULES_F_DSTPORT] = "dstport",
	[RULES_F_PROTOCOL] = "protocol",
	[RULES_F_ACTION] = "action",
	[RULES_F_SRCUSER] = "srcuser",
	[RULES_F_DSTUSER] = "dstuser",
	[RULES_F_ID] = "id",
	[RULES_F_STATUS] = "status",
	[RULES_F_URL] = "url",
	[RULES_F_DATA] = "extra_data",
	[RULES_F_SYSTEM_NAME] = "system_name",
};

const char *
rules_field_name(enum rules_fid f)
{
	return (unsigned)f < RULES_F_NFIXED ? field_names[f] : NULL;
}

int
rules_field_by_name(const char *name)
{
	int i;

	if (strcmp(name, "user") == 0)
		return RULES_F_DSTUSER;
	if (strcmp(name, "data") == 0)
		return RULES_F_DATA;
	for (i = 0; i < RULES_F_NFIXED; i++)
		if (strcmp(name, field_names[i]) == 0)
			return i;
	return -1;
}

int
rules_append(char **a, const char *b)
{
	size_t la = *a ? strlen(*a) : 0, lb = strlen(b);
	char *n;

	if ((n = realloc(*a, la + lb + 1)) == NULL)
		return MAMORI_ENOMEM;
	memcpy(n + la, b, lb + 1);
	*a = n;
	return 0;
}

/* Names of decoders built into OSSEC (host-based events), which rules
 * may name in <decoded_as> before any decoder file defines them. */
static const char *const builtin_decoders[] = {
	"rootcheck", "syscheck_integrity_changed",
	"syscheck_integrity_changed_2nd", "syscheck_integrity_changed_3rd",
	"syscheck_new_entry", "syscheck_deleted", "hostinfo_new",
	"hostinfo_modified",
	/* Wazuh 4.x's */
	"syscheck_registry_key_modified", "syscheck_registry_key_added",
	"syscheck_registry_key_deleted", "syscheck_registry_value_modified",
	"syscheck_registry_value_added", "syscheck_registry_value_deleted",
	"syscollector", "ciscat", "windows_eventchannel", "sca",
};

struct rules_set *
rules_set_new(void)
{
	struct rules_set *rs;
	size_t i;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	for (i = 0; i < sizeof(builtin_decoders) /
	    sizeof(builtin_decoders[0]); i++)
		if (rules_dec_name_add(rs, builtin_decoders[i]) < 0) {
			rules_set_free(rs);
			return NULL;
		}
	return rs;
}

void
rules_set_free(struct rules_set *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->ndecs; i++)
		rules_dec_free(rs->decs[i]);
	free(rs->decs);
	free(rs->top_p);
	free(rs->top_n);
	for (i = 0; i < rs->nnames; i++)
		free(rs->names[i]);
	free(rs->names);
	for (i = 0; i < rs->nrules; i++)
		rules_rule_free(rs->rules[i]);
	free(rs->rules);
	free(rs->top);
	rules_pf_free(rs);
	for (i = 0; i < rs->ncdbs; i++)
		rules_cdb_free(rs->cdbs[i]);
	free(rs->cdbs);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs);
}

size_t
rules_set_ndecoders(const struct rules_set *rs)
{
	return rs->ndecs;
}

size_t
rules_set_nrules(const struct rules_set *rs)
{
	return rs->nrules;
}

/* The first element that is not a <var>. */
static const struct rules_xml_node *
first_element(const struct rules_xml_doc *d)
{
	const struct rules_xml_node *n;

	for (n = rules_xml_root(d); n != NULL; n = n->next)
		if (strcasecmp(n->name, "var") != 0)
			return n;
	return NULL;
}

/* Keeps docs alive as long as the set: nodes' file names point into
 * them. */
static int
keep_name(struct rules_set *rs, const char *path)
{
	char **v;

	if (rs->nfiles == rs->capfiles) {
		size_t cap = rs->capfiles ? rs->capfiles * 2 : 32;

		if ((v = realloc(rs->files, cap * sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		rs->files = v;
		rs->capfiles = cap;
	}
	if ((rs->files[rs->nfiles] = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	rs->nfiles++;
	return 0;
}

static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *s = strrchr(path, '/');

	if (s == NULL)
		snprintf(dir, len, ".");
	else if (s == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(s - path), path);
}

static int load_path(struct rules_set *rs, const char *path, int want,
    char *err, size_t errlen);

#define WANT_ANY	0
#define WANT_DECODERS	1
#define WANT_RULES	2

/* An ossec.conf: follows its <rules> block (decoders, lists, rules). */
static int
load_conf(struct rules_set *rs, const struct rules_xml_doc *doc,
    const char *path, char *err, size_t errlen)
{
	const struct rules_xml_node *n, *r, *e;
	char dir[PATH_MAX], p[PATH_MAX * 2];
	int rc = 0, ndec = 0, pass;

	dir_of(path, dir, sizeof(dir));
	/* Decoders first, then rules, whatever their order in the file. */
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		for (n = rules_xml_root(doc); n != NULL && rc == 0;
		    n = n->next)
			for (r = n->child; r != NULL && rc == 0; r = r->next) {
				if (strcasecmp(r->name, "rules") != 0)
					continue;
				for (e = r->child; e != NULL && rc == 0;
				    e = e->next) {
					const char *c = e->content;
					int dec = strcasecmp(e->name,
					    "decoder") == 0 || strcasecmp(
					    e->name, "decoder_dir") == 0;
					int rul = strcasecmp(e->name,
					    "include") == 0 || strcasecmp(
					    e->name, "rule") == 0 || strcasecmp(
					    e->name, "rule_dir") == 0;

					if ((pass == 0 && !dec) ||
					    (pass == 1 && !rul))
						continue;
					if (c[0] == '/')
						snprintf(p, sizeof(p), "%s", c);
					else if (rul && strchr(c, '/') == NULL)
						snprintf(p, sizeof(p),
						    "%s/../rules/%s", dir, c);
					else
						snprintf(p, sizeof(p), "%s/../%s",
						    dir, c);
					rc = load_path(rs, p, dec ?
					    WANT_DECODERS : WANT_RULES, err,
					    errlen);
					ndec += dec;
				}
			}
		if (pass == 0 && ndec == 0 && rc == 0) {
			/* OSSEC's default: etc/decoder.xml. */
			snprintf(p, sizeof(p), "%s/decoder.xml", dir);
			if (access(p, R_OK) != 0)
				snprintf(p, sizeof(p),
				    "%s/../decoders/decoder.xml", dir);
			rc = load_path(rs, p, WANT_DECODERS, err, errlen);
		}
	}
	return rc;
}

static int
load_file(struct rules_set *rs, const char *path, int want, char *err,
    size_t errlen)
{
	struct rules_xml_doc *doc;
	const struct rules_xml_node *first;
	char dir[PATH_MAX];
	int rc;

	if ((rc = keep_name(rs, path)) != 0)
		return rc;
	if ((doc = rules_xml_load(path, err, errlen)) == NULL)
		return MAMORI_ECONFIG;
	dir_of(path, dir, sizeof(dir));
	first = first_element(doc);
	if (first == NULL)
		rc = 0;
	else if (strcasecmp(first->name, "decoder") == 0) {
		if (want == WANT_RULES)
			rc = 0;
		else
			rc = rules_dec_load(rs, doc, err, errlen);
	} else if (strcasecmp(first->name, "group") == 0) {
		if (want == WANT_DECODERS)
			rc = 0;
		else
			rc = rules_rule_load(rs, doc, dir, err, errlen);
	} else if (strcasecmp(first->name, "ossec_config") == 0 &&
	    want == WANT_ANY)
		rc = load_conf(rs, doc, path, err, errlen);
	else {
		snprintf(err, errlen, "%s:%d: not a decoder or rule file "
		    "(starts with <%s>)", path, first->line, first->name);
		rc = MAMORI_ECONFIG;
	}
	/* Nodes are not kept: everything needed was copied out. */
	rules_xml_free(doc);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(struct rules_set *rs, const char *path, int want, char *err,
    size_t errlen)
{
	char **names = NULL, **v, p[PATH_MAX * 2];
	struct dirent *de;
	size_t n = 0, cap = 0, i;
	int rc = 0, pass;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "%s: cannot read the directory", path);
		return MAMORI_ECONFIG;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".xml") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((v = realloc(names, cap * sizeof(*v))) == NULL) {
				rc = MAMORI_ENOMEM;
				break;
			}
			names = v;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = MAMORI_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no .xml decoder or rule file in the "
		    "directory (subdirectories are not read)", path);
		rc = MAMORI_ECONFIG;
	}
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	/* Decoders before rules (rules name decoders in decoded_as). */
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		if ((pass == 0 && want == WANT_RULES) ||
		    (pass == 1 && want == WANT_DECODERS))
			continue;
		for (i = 0; i < n && rc == 0; i++) {
			snprintf(p, sizeof(p), "%s/%s", path, names[i]);
			rc = load_file(rs, p, pass == 0 ? WANT_DECODERS :
			    WANT_RULES, err, errlen);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
load_path(struct rules_set *rs, const char *path, int want, char *err,
    size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: no such file or directory", path);
		return MAMORI_ECONFIG;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(rs, path, want, err, errlen);
	return load_file(rs, path, want, err, errlen);
}

int
rules_set_load(struct rules_set *rs, const char *path, char *err,
    size_t errlen)
{
	if (rs->finished) {
		snprintf(err, errlen, "%s: the ruleset is already finished",
		    path);
		return MAMORI_EINVAL;
	}
	return load_path(rs, path, WANT_ANY, err, errlen);
}

int
rules_set_finish(struct rules_set *rs, char *err, size_t errlen)
{
	int rc;

	if ((rc = rules_dec_finish(rs, err, errlen)) != 0 ||
	    (rc = rules_rule_finish(rs, err, errlen)) != 0)
		return rc;
	if ((rc = rules_pf_build(rs)) != 0) {
		snprintf(err, errlen, "out of memory building the prefilter");
		return rc;
	}
	rs->finished = 1;
	return 0;
}

/*
 * Contexts and events.
 */
struct rules_ctx *
rules_ctx_new(const struct rules_set *rs)
{
	struct rules_ctx *ctx;
	char *dot;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	ctx->rs = rs;
	if ((ctx->sc = rules_pat_scratch_new()) == NULL ||
	    rules_eval_init(ctx) != 0 || rules_pf_ctx_init(ctx) != 0) {
		rules_ctx_free(ctx);
		return NULL;
	}
	if (gethostname(ctx->shost, sizeof(ctx->shost) - 1) != 0)
		snprintf(ctx->shost, sizeof(ctx->shost), "mamori");
	if ((dot = strchr(ctx->shost, '.')) != NULL)
		*dot = '\0';
	return ctx;
}

void
rules_ctx_set_hostname(struct rules_ctx *ctx, const char *name)
{
	snprintf(ctx->shost, sizeof(ctx->shost), "%s", name);
}

void
rules_ctx_free(struct rules_ctx *ctx)
{
	if (ctx == NULL)
		return;
	rules_eval_release(ctx);
	rules_pf_ctx_release(ctx);
	rules_accum_free(ctx->accum);
	rules_pat_scratch_free(ctx->sc);
	free(ctx->ev.arena);
	free(ctx);
}

const char *
rules_ev_strdup(struct rules_ev *ev, const char *s, size_t n)
{
	char *d;

	if (ev->alen >= ev->acap)
		return "";
	if (n > ev->acap - ev->alen - 1)
		n = ev->acap - ev->alen - 1;	/* cut, never fail */
	d = ev->arena + ev->alen;
	memcpy(d, s, n);
	d[n] = '\0';
	ev->alen += n + 1;
	return d;
}

const char *
rules_ev_dyn(const struct rules_ev *ev, const char *name)
{
	int i;

	for (i = 0; i < ev->ndyn; i++)
		if (strcmp(ev->dyn[i].name, name) == 0)
			return ev->dyn[i].value;
	return NULL;
}

void
rules_ev_set_field(struct rules_ev *ev, int fid, const char *name,
    const char *v, size_t n)
{
	const char *val = rules_ev_strdup(ev, v, n);
	int i;

	if (fid >= 0 && fid < RULES_F_NFIXED) {
		ev->fields[fid] = val;
		name = field_names[fid];
	} else {
		if (name == NULL)
			return;
		for (i = 0; i < ev->ndyn; i++)
			if (strcmp(ev->dyn[i].name, name) == 0)
				break;
		if (i == ev->ndyn) {
			if (ev->ndyn == RULES_MAX_DYN)
				return;
			ev->dyn[i].name = rules_ev_strdup(ev, name,
			    strlen(name));
			ev->ndyn++;
		}
		ev->dyn[i].value = val;
		name = ev->dyn[i].name;
	}
	if (ev->norder < RULES_F_NFIXED + RULES_MAX_DYN) {
		ev->order[ev->norder].name = name;
		ev->order[ev->norder].value = val;
		ev->norder++;
	}
}

/* Local hour, minute and weekday of the reception time, cached per
 * minute (localtime_r takes a lock). */
static void
clock_of(struct rules_ev *ev, int64_t now_ns)
{
	static _Thread_local int64_t last_min = INT64_MIN;
	static _Thread_local int h, m, wd;
	int64_t min = now_ns / 60000000000LL;
	time_t t = (time_t)(now_ns / 1000000000LL);
	struct tm tm;

	if (min != last_min && localtime_r(&t, &tm) != NULL) {
		h = tm.tm_hour;
		m = tm.tm_min;
		wd = tm.tm_wday;
		last_min = min;
	}
	ev->hour = h;
	ev->minute = m;
	ev->wday = wd;
}

int
rules_process(struct rules_ctx *ctx, const char *line, size_t len,
    const char *location, int64_t now_ns, struct rules_result *res)
{
	struct rules_ev *ev = &ctx->ev;
	size_t need = 3 * len + 65536;
	char *a;

	if (need > ev->acap) {
		if ((a = realloc(ev->arena, need)) == NULL)
			return MAMORI_ENOMEM;
		ev->arena = a;
		ev->acap = need;
	}
	a = ev->arena;
	memset(ev, 0, offsetof(struct rules_ev, dyn));
	ev->arena = a;
	ev->alen = 0;
	/* A line ends at its first NUL, as a C string in OSSEC would. */
	{
		const char *nul = memchr(line, '\0', len);

		if (nul != NULL)
			len = (size_t)(nul - line);
	}
	ev->full_log = rules_ev_strdup(ev, line, len);
	ev->log = rules_ev_strdup(ev, line, len);
	ev->loglen = len;
	ev->location = location;
	ev->now_ns = now_ns;
	ev->dec_type = RT_SYSLOG;
	clock_of(ev, now_ns);
	rules_predecode(ev, ctx->shost);
	rules_pf_scan(ctx, ev);
	rules_decode(ctx, ev);
	rules_accumulate(ctx, ev);

	/* Everything but the two arrays, of which only the used part
	 * counts (a few KiB per event otherwise). */
	memset(res, 0, offsetof(struct rules_result, dyn));
	rules_eval_result(ctx, ev, res);
	res->full_log = ev->full_log;
	res->hostname = ev->hostname;
	res->program_name = ev->program_name;
	res->timestamp = ev->timestamp;
	res->log = ev->log;
	res->location = ev->location;
	res->decoding = ev->decoding;
	res->accumulated = ev->dec != NULL && ev->dec->accumulate;
	res->decoder = ev->dec_shown;
	res->decoder_parent = ev->dec_parent;
	res->decoder_own = ev->dec_own;
	memcpy(res->fields, ev->fields, sizeof(res->fields));
	memcpy(res->dyn, ev->dyn, sizeof(res->dyn[0]) * (size_t)ev->ndyn);
	res->ndyn = ev->ndyn;
	memcpy(res->order, ev->order, sizeof(res->order[0]) *
	    (size_t)ev->norder);
	res->norder = ev->norder;
	return 0;
}
