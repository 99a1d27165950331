/*
 * config.c - mamori's configuration: the embedded defaults, copying and
 * releasing a configuration, and the checks that span several settings.
 *
 * The rest lives beside it: config-load.c reads the YAML file,
 * config-listen.c parses listener URLs, config-value.c turns sizes,
 * durations and time zones into values and back; config-impl.h is what
 * these files share.  All of it runs once at start-up, so clarity wins
 * over speed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config-impl.h"
#include "core/error.h"
#include "incident/incmgr.h"
#include "incident/notify.h"
#include "respond/respond.h"
#include "net/net-conf.h"
#include "web/web.h"
#include "server/agents.h"
#include "core/timeutil.h"

#define DEFAULT_DATA_DIR	"./mamori-data"
#define DEFAULT_KEY_ROOT	"/etc/mamori/seal.key"


/*
 * Copies and releases.
 */

int
config_dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return MAMORI_ENOMEM;
	return 0;
}

static void
tls_release(struct tls_conf *t)
{
	free(t->cert);
	free(t->key);
	free(t->ca);
	t->cert = t->key = t->ca = NULL;
	t->verify_client = TLS_VERIFY_NONE;
}

int
config_tls_copy(struct tls_conf *dst, const struct tls_conf *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->verify_client = src->verify_client;
	if (config_dup_opt(&dst->cert, src->cert) != 0 ||
	    config_dup_opt(&dst->key, src->key) != 0 ||
	    config_dup_opt(&dst->ca, src->ca) != 0) {
		tls_release(dst);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
config_listener_release(struct listener_conf *l)
{
	if (l == NULL)
		return;
	free(l->host);
	free(l->port);
	free(l->url);
	tls_release(&l->tls);
	memset(l, 0, sizeof(*l));
}

static int
listener_copy(struct listener_conf *dst, const struct listener_conf *src)
{
	*dst = *src;
	dst->host = dst->port = dst->url = NULL;
	memset(&dst->tls, 0, sizeof(dst->tls));
	if (config_dup_opt(&dst->host, src->host) != 0 ||
	    config_dup_opt(&dst->port, src->port) != 0 ||
	    config_dup_opt(&dst->url, src->url) != 0 ||
	    config_tls_copy(&dst->tls, &src->tls) != 0) {
		config_listener_release(dst);
		return MAMORI_ENOMEM;
	}
	return 0;
}

void
config_listeners_free(struct listener_conf *ls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		config_listener_release(&ls[i]);
	free(ls);
}

void
config_release(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->data_dir);
	free(c->user);
	free(c->seal_key);
	free(c->rules_path);
	c->path = c->data_dir = c->user = c->seal_key = c->rules_path = NULL;
	config_listeners_free(c->listeners, c->nlisteners);
	c->listeners = NULL;
	c->nlisteners = 0;
	tls_release(&c->tls);
	config_modules_free(c);
}

void
config_modules_free(struct config *c)
{
	incident_conf_release(c->incidents);
	free(c->incidents);
	notify_plan_free(c->notify);
	respond_conf_free(c->respond);
	net_sensor_conf_free(c->sensor);
	web_conf_free(c->web);
	if (c->agents != NULL)
		agents_conf_release(c->agents);
	free(c->agents);
	c->incidents = NULL;
	c->notify = NULL;
	c->respond = NULL;
	c->sensor = NULL;
	c->web = NULL;
	c->agents = NULL;
}

int
config_modules_default(struct config *c)
{
	config_modules_free(c);
	if ((c->incidents = calloc(1, sizeof(*c->incidents))) == NULL ||
	    incident_conf_init(c->incidents) != 0 ||
	    respond_conf_new(&c->respond) != 0 ||
	    net_sensor_conf_new(&c->sensor) != 0 ||
	    web_conf_new(&c->web) != 0 ||
	    (c->agents = calloc(1, sizeof(*c->agents))) == NULL) {
		config_modules_free(c);
		return MAMORI_ENOMEM;
	}
	agents_conf_init(c->agents);
	return 0;
}

int
config_copy(struct config *dst, const struct config *src)
{
	size_t i;

	*dst = *src;
	dst->path = dst->data_dir = dst->user = dst->seal_key = NULL;
	dst->rules_path = NULL;
	dst->listeners = NULL;
	dst->nlisteners = 0;
	memset(&dst->tls, 0, sizeof(dst->tls));
	/* Module sections are not copied: dst gets the defaults. */
	dst->incidents = NULL;
	dst->notify = NULL;
	dst->respond = NULL;
	dst->sensor = NULL;
	dst->web = NULL;
	dst->agents = NULL;
	if (config_modules_default(dst) != 0 ||
	    config_dup_opt(&dst->path, src->path) != 0 ||
	    config_dup_opt(&dst->data_dir, src->data_dir) != 0 ||
	    config_dup_opt(&dst->user, src->user) != 0 ||
	    config_dup_opt(&dst->seal_key, src->seal_key) != 0 ||
	    config_dup_opt(&dst->rules_path, src->rules_path) != 0 ||
	    config_tls_copy(&dst->tls, &src->tls) != 0)
		goto fail;
	if (src->nlisteners > 0) {
		dst->listeners = calloc(src->nlisteners,
		    sizeof(*dst->listeners));
		if (dst->listeners == NULL)
			goto fail;
		for (i = 0; i < src->nlisteners; i++) {
			if (listener_copy(&dst->listeners[i],
			    &src->listeners[i]) != 0)
				goto fail;
			dst->nlisteners = i + 1;
		}
	}
	return 0;
 fail:
	config_release(dst);
	return MAMORI_ENOMEM;
}

/*
 * Defaults.
 */

/* Looks a user up by name, or by uid when name is NULL; copies the home
 * directory to *home when asked.  Returns 1 if found, 0 if not, -1 on
 * allocation failure. */
static int
lookup_user(const char *name, uid_t uid, char **home)
{
	struct passwd pw, *res = NULL;
	size_t blen = 16384;
	char *buf;
	int e, found;

	for (;;) {
		if ((buf = malloc(blen)) == NULL)
			return -1;
		if (name != NULL)
			e = getpwnam_r(name, &pw, buf, blen, &res);
		else
			e = getpwuid_r(uid, &pw, buf, blen, &res);
		if (e != ERANGE || blen >= 1024 * 1024)
			break;
		free(buf);
		blen *= 4;
	}
	found = e == 0 && res != NULL;
	if (found && home != NULL) {
		*home = NULL;
		if (pw.pw_dir != NULL && pw.pw_dir[0] == '/' &&
		    (*home = strdup(pw.pw_dir)) == NULL) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	return found;
}

char *
config_default_key(void)
{
	const char *e;
	char *home = NULL, *s = NULL;

	if ((e = getenv("MAMORI_SEAL_KEY")) != NULL && *e != '\0')
		return strdup(e);
	if (geteuid() == 0)
		return strdup(DEFAULT_KEY_ROOT);
	/* The XDG base directory spec says to ignore relative paths. */
	if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		return asprintf(&s, "%s/mamori/seal.key", e) < 0 ? NULL : s;
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return asprintf(&s, "%s/.config/mamori/seal.key", e) < 0 ?
		    NULL : s;
	switch (lookup_user(NULL, geteuid(), &home)) {
	case -1:
		return NULL;
	case 1:
		if (home != NULL) {
			if (asprintf(&s, "%s/.config/mamori/seal.key",
			    home) < 0)
				s = NULL;
			free(home);
			return s;
		}
		break;
	}
	/* No home anywhere: the root path, which fails later with a clear
	 * "cannot open /etc/mamori/seal.key" rather than somewhere odd. */
	return strdup(DEFAULT_KEY_ROOT);
}

int
config_init(struct config *c)
{
	int found;

	memset(c, 0, sizeof(*c));
	c->stats_interval_ns = 60 * NS_PER_SEC;
	c->max_message = 64 * KIB;
	c->tz_local = 1;
	c->tz_min = 0;
	c->skew_threshold_ns = 60 * NS_PER_SEC;
	c->skew_window_ns = 60 * NS_PER_SEC;
	c->skew_report_ns = 3600 * NS_PER_SEC;
	c->queue_events = 16384;
	c->queue_bytes = 64 * MIB;
	c->workers = 2;
	c->segment_bytes = 64 * MIB;
	c->segment_age_ns = 86400 * NS_PER_SEC;
	c->retention_ns = 180 * 86400 * NS_PER_SEC;
	c->retention_bytes = 0;
	c->fsync_interval_ns = 50 * NS_PER_MS;
	c->zstd_level = 3;
	c->tls.verify_client = TLS_VERIFY_NONE;
	c->rules_enabled = 1;
	if ((found = lookup_user("mamori", 0, NULL)) < 0 ||
	    (c->data_dir = strdup(DEFAULT_DATA_DIR)) == NULL ||
	    (c->user = strdup(found ? "mamori" : "nobody")) == NULL ||
	    (c->seal_key = config_default_key()) == NULL ||
	    config_set_default_listeners(c) != 0 ||
	    config_modules_default(c) != 0) {
		config_release(c);
		return MAMORI_ENOMEM;
	}
	return 0;
}

/*
 * Checks across settings.
 */

/*
 * "FILE:LINE: ", "FILE: " or "", for the start of a check's message.
 * Inside config_load(), c is the copy being loaded, whose path is already
 * the file's.
 */
static const char *
where(const struct config *c, size_t line, char *buf, size_t len)
{
	const char *path = c->path;

	if (path != NULL && line > 0)
		snprintf(buf, len, "%s:%zu: ", path, line);
	else if (path != NULL)
		snprintf(buf, len, "%s: ", path);
	else
		buf[0] = '\0';
	return buf;
}

/* Transport a listener binds: 'u' for UDP, 't' for TCP. */
static int
transport(const struct listener_conf *l)
{
	return l->proto == LISTEN_UDP ? 'u' : 't';
}

int
config_check_settings(const struct config *c,
    const struct config_load_ctx *x, char *err, size_t errlen)
{
	const struct listener_conf *l, *m;
	const char *empty = NULL;
	char at[512], s1[32], s2[32];
	size_t i, j, line;

	if (c->data_dir == NULL || c->data_dir[0] == '\0')
		empty = "server.data_dir";
	else if (c->user == NULL || c->user[0] == '\0')
		empty = "server.user";
	else if (c->seal_key == NULL || c->seal_key[0] == '\0')
		empty = "storage.seal_key";
	if (empty != NULL) {
		config_seterr(err, errlen, "%ssetting '%s' is empty",
		    where(c, 0, at, sizeof(at)), empty);
		return MAMORI_ECONFIG;
	}
	if (c->retention_bytes != 0 && c->retention_bytes < c->segment_bytes) {
		if ((line = config_setting_line(x, "storage",
		    "retention_size")) == 0)
			line = config_setting_line(x, "storage",
			    "segment_size");
		config_seterr(err, errlen, "%ssetting "
		    "'storage.retention_size': must be 0 (no limit) or at "
		    "least storage.segment_size (%s), got %s",
		    where(c, line, at, sizeof(at)),
		    config_fmt_size(c->segment_bytes, s1, sizeof(s1)),
		    config_fmt_size(c->retention_bytes, s2, sizeof(s2)));
		return MAMORI_ECONFIG;
	}
	if (c->queue_bytes < c->max_message) {
		if ((line = config_setting_line(x, "pipeline",
		    "queue_memory")) == 0)
			line = config_setting_line(x, "input",
			    "max_message_size");
		config_seterr(err, errlen, "%ssetting 'pipeline.queue_memory': "
		    "must be at least input.max_message_size (%s), got %s",
		    where(c, line, at, sizeof(at)),
		    config_fmt_size(c->max_message, s1, sizeof(s1)),
		    config_fmt_size(c->queue_bytes, s2, sizeof(s2)));
		return MAMORI_ECONFIG;
	}
	if (c->nlisteners == 0) {
		config_seterr(err, errlen, "%ssetting 'listeners': no "
		    "listeners configured", where(c, config_listeners_line(x),
		    at, sizeof(at)));
		return MAMORI_ECONFIG;
	}
	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		/* The default tls listener exists because tls.cert is set. */
		line = (size_t)l->line;
		if (line == 0 && c->listeners_default)
			line = config_setting_line(x, "tls", "cert");
		if (config_listener_uses_tls(l) &&
		    (l->tls.cert == NULL || l->tls.key == NULL)) {
			config_seterr(err, errlen, "%slistener '%s': needs %s",
			    where(c, line, at, sizeof(at)), l->url,
			    l->tls.cert != NULL ? "tls.key" :
			    l->tls.key != NULL ? "tls.cert" :
			    "tls.cert and tls.key");
			return MAMORI_ECONFIG;
		}
		if (config_listener_uses_tls(l) &&
		    l->tls.verify_client == TLS_VERIFY_REQUIRED &&
		    l->tls.ca == NULL) {
			config_seterr(err, errlen, "%slistener '%s': "
			    "tls.verify_client is required but tls.ca is not "
			    "set", where(c, line, at, sizeof(at)), l->url);
			return MAMORI_ECONFIG;
		}
		for (j = 0; j < i; j++) {
			m = &c->listeners[j];
			if (transport(l) == transport(m) &&
			    strcmp(l->host, m->host) == 0 &&
			    strcmp(l->port, m->port) == 0) {
				config_seterr(err, errlen, "%slisteners "
				    "'%s' and '%s' both bind %s %s port %s",
				    where(c, line, at, sizeof(at)), m->url,
				    l->url, transport(l) == 'u' ? "UDP" : "TCP",
				    l->host, l->port);
				return MAMORI_ECONFIG;
			}
		}
	}
	return 0;
}

/* Checks that path names a regular file we can open for reading. */
static int
check_readable(const char *path, const char **why)
{
	struct stat st;
	int fd, e;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		*why = strerror(e);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		return -1;
	}
	return 0;
}

int
config_check(const struct config *c, char *err, size_t errlen)
{
	static const char *const names[] = { "tls.cert", "tls.key", "tls.ca" };
	const struct listener_conf *l;
	const char *files[3], *why;
	char at[512];
	size_t i, k;
	int r;

	config_seterr(err, errlen, "%s", "");
	if ((r = config_check_settings(c, NULL, err, errlen)) != 0)
		return r;
	for (i = 0; i < c->nlisteners; i++) {
		l = &c->listeners[i];
		if (!config_listener_uses_tls(l))
			continue;
		files[0] = l->tls.cert;
		files[1] = l->tls.key;
		files[2] = l->tls.ca;
		for (k = 0; k < 3; k++) {
			if (files[k] == NULL ||
			    check_readable(files[k], &why) == 0)
				continue;
			config_seterr(err, errlen, "%slistener '%s': cannot "
			    "read %s '%s': %s", where(c, (size_t)l->line, at,
			    sizeof(at)), l->url, names[k], files[k], why);
			return MAMORI_ECONFIG;
		}
	}
	return 0;
}
