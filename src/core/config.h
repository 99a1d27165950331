/*
 * config.h - mamori's configuration: one YAML file, every setting with an
 * embedded default, so `mamori server` runs without any file.
 *
 * docs/configuration.md lists every setting; keep the two in step.
 */
#ifndef MAMORI_CONFIG_H
#define MAMORI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum listen_proto {
	LISTEN_UDP,
	LISTEN_TCP,
	LISTEN_TLS,
	LISTEN_RELP,
	LISTEN_HTTP,
};

enum tls_verify {
	TLS_VERIFY_NONE,	/* no client certificate asked for */
	TLS_VERIFY_OPTIONAL,	/* asked for; checked against ca if given */
	TLS_VERIFY_REQUIRED,	/* required and checked against ca */
};

struct tls_conf {
	char		*cert;		/* PEM certificate (chain) file */
	char		*key;		/* PEM private key file */
	char		*ca;		/* PEM CA file for client certificates */
	enum tls_verify	 verify_client;
};

struct listener_conf {
	enum listen_proto proto;
	char		*host;		/* address to bind: "127.0.0.1", "::" */
	char		*port;		/* port number as text */
	char		*url;		/* as written: "tcp://127.0.0.1:5514" */
	struct tls_conf	 tls;		/* tls:// (and relp:// with tls) */
	int		 relp_tls;	/* relp:// with TLS (librelp, GnuTLS) */
	int		 http_tls;	/* https:// (the console over TLS) */
	int		 line;		/* line in the config file, 0 if none */
};

struct incident_conf;
struct notify_plan;
struct respond_conf;
struct net_sensor_conf;
struct web_conf;
struct agents_conf;

struct config {
	char		*path;		/* file read, NULL when defaults only */

	/* server: */
	char		*data_dir;	/* default "./mamori-data" */
	char		*user;		/* user to run as after binding, when
					   started as root; default "mamori",
					   else "nobody" if that user is absent */
	int64_t		 stats_interval_ns;	/* default 60 s */

	/* listeners: (defaults: udp+tcp 127.0.0.1:5514, relp 127.0.0.1:2514,
	   the console on http 127.0.0.1:8080, tls 127.0.0.1:6514 when
	   tls.cert is set) */
	struct listener_conf *listeners;
	size_t		 nlisteners;
	int		 listeners_default;	/* 1 while listeners are the
					   built-in defaults: config_load()
					   then adds tls 127.0.0.1:6514 when
					   the file sets tls.cert; --listen
					   and listeners: clear it */

	/* input: */
	size_t		 max_message;	/* default 64 KiB */
	int		 tz_local;	/* RFC 3164 zone: 1 = local (default) */
	int		 tz_min;	/* else minutes east of UTC */
	int64_t		 skew_threshold_ns;	/* default 60 s */
	int64_t		 skew_window_ns;	/* offset measured over this;
						   default 60 s */
	int64_t		 skew_report_ns;	/* default 1 h */

	/* pipeline: */
	size_t		 queue_events;	/* per queue; default 16384 */
	size_t		 queue_bytes;	/* per queue; default 64 MiB */
	int		 workers;	/* analysis workers; default 2 */

	/* storage: */
	uint64_t	 segment_bytes;	/* default 64 MiB */
	int64_t		 segment_age_ns;	/* default 1 d */
	int64_t		 retention_ns;	/* default 180 d */
	uint64_t	 retention_bytes;	/* default 0: no size limit */
	int64_t		 fsync_interval_ns;	/* default 50 ms */
	int		 zstd_level;	/* default 3 */
	char		*seal_key;	/* default: see config_default_key() */

	/* tls: defaults for tls:// listeners */
	struct tls_conf	 tls;

	/* rules: */
	int		 rules_enabled;	/* default 1 */
	char		*rules_path;	/* file, directory or ossec.conf;
					   NULL: the bundled ruleset */

	/* incidents:, notify:, respond:, sensor:, web:, agents: belong to their
	 * modules (src/incident/incmgr.h, notify.h, src/respond/respond.h,
	 * src/net/net-conf.h, src/web/web.h).  A file's sections replace
	 * the defaults whole. */
	struct incident_conf *incidents;	/* always set */
	struct notify_plan *notify;	/* NULL: nobody is notified */
	struct respond_conf *respond;	/* always set */
	struct net_sensor_conf *sensor;	/* always set (src/net/net-conf.h) */
	struct web_conf	*web;		/* always set (src/web/web.h) */
	struct agents_conf *agents;	/* always set (src/server/agents.h) */
};

/*
 * Fills c with the embedded defaults.  Returns 0 or MAMORI_ENOMEM.  Caller
 * releases with config_release().
 */
int config_init(struct config *c);

/*
 * Reads the YAML file at path over the defaults already in c.  Returns 0,
 * or MAMORI_ECONFIG with err set to "FILE:LINE: setting 'a.b': reason"
 * (c is then left as it was: nothing half-applied), or MAMORI_ESYS when
 * the file cannot be read.
 */
int config_load(struct config *c, const char *path, char *err,
    size_t errlen);

/*
 * Parses a listener URL ("udp://127.0.0.1:5514", "tcp://[::1]:10514",
 * "tls://0.0.0.0:6514", "relp://127.0.0.1:2514", "http://127.0.0.1:8080",
 * "https://0.0.0.0:8443"; an http:// or https:// URL without a port
 * means 8080 or 8443)
 * into l (strings allocated; release with config_listener_release()).
 * Returns 0, MAMORI_EINVAL with a reason in err (l is then empty), or
 * MAMORI_ENOMEM.
 */
int config_parse_listen(const char *url, struct listener_conf *l,
    char *err, size_t errlen);
void config_listener_release(struct listener_conf *l);

/*
 * Replaces c's listeners with the given URLs (from --listen), which take
 * tls settings from c->tls.  Returns 0, or MAMORI_EINVAL with err set.
 */
int config_set_listeners(struct config *c, char *const *urls, size_t n,
    char *err, size_t errlen);

/*
 * Checks cross-setting constraints (a tls listener needs a cert and key,
 * ...).  Returns 0 or MAMORI_ECONFIG with err set.
 */
int config_check(const struct config *c, char *err, size_t errlen);

/*
 * The default seal key path: $MAMORI_SEAL_KEY if set; else, as root,
 * /etc/mamori/seal.key; else $XDG_CONFIG_HOME/mamori/seal.key or
 * $HOME/.config/mamori/seal.key.  Kept outside the data directory so that
 * whoever can rewrite the data cannot also re-seal it.  Caller frees.
 */
char *config_default_key(void);

/* Parses "64KiB", "10MB", "512" into bytes.  Returns 0 or MAMORI_EINVAL. */
int config_parse_size(const char *s, uint64_t *out);
/* Parses "50ms", "60s", "1h", "180d", "2w" into ns.  Returns 0 or
 * MAMORI_EINVAL. */
int config_parse_duration(const char *s, int64_t *out);

void config_release(struct config *c);

const char *config_proto_name(enum listen_proto p);

#endif
