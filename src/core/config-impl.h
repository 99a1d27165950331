/*
 * config-impl.h - what the files of the configuration share; private to
 * src/core/config*.c, everyone else uses config.h.
 *
 *   config.c		defaults, copying and releasing, checks across
 *			settings
 *   config-load.c	the YAML file
 *   config-listen.c	listener URLs
 *   config-value.c	sizes, durations, numbers and zones as text
 */
#ifndef MAMORI_CONFIG_IMPL_H
#define MAMORI_CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"

#define KIB			1024ULL
#define MIB			(1024 * KIB)
#define GIB			(1024 * MIB)
#define TIB			(1024 * GIB)
#define NS_PER_MS		1000000LL

/* config-load.c's state while it reads one file. */
struct config_load_ctx;

/*
 * config.c
 */

/* Formats a message into err (mamori_seterr()). */
#define config_seterr	mamori_seterr

/* Sets *dst to a copy of src, or to NULL when src is NULL.  Returns 0 or
 * MAMORI_ENOMEM. */
int config_dup_opt(char **dst, const char *src);

/* Deep copies: 0, or MAMORI_ENOMEM with dst holding nothing that needs
 * releasing. */
int config_tls_copy(struct tls_conf *dst, const struct tls_conf *src);
int config_copy(struct config *dst, const struct config *src);

/* The module sections (incidents, notify, respond): freed, or set to
 * their defaults.  config_modules_default() returns 0 or MAMORI_ENOMEM. */
void config_modules_free(struct config *c);
int config_modules_default(struct config *c);

/* Releases the n listeners at ls, then frees ls itself. */
void config_listeners_free(struct listener_conf *ls, size_t n);

/*
 * The checks across settings that need no file system.  config_load()
 * runs them with x set so that messages carry the line, config_check()
 * with x NULL.  Returns 0 or MAMORI_ECONFIG with err set.
 */
int config_check_settings(const struct config *c,
    const struct config_load_ctx *x, char *err, size_t errlen);

/*
 * config-load.c
 */

/* The line of the file x is loading that set section.key, or 0 when it
 * did not (or x is NULL). */
size_t config_setting_line(const struct config_load_ctx *x,
    const char *section, const char *key);
/* The line of the file's listeners: key, or 0 when it has none (or x is
 * NULL). */
size_t config_listeners_line(const struct config_load_ctx *x);

/*
 * config-listen.c
 */

/* 1 for a listener that speaks TLS (tls://, relp+tls://), else 0. */
int config_listener_uses_tls(const struct listener_conf *l);

/* Replaces c's listeners with the built-in defaults, a tls:// one only
 * when c->tls.cert is set, and sets c->listeners_default.  Returns 0 or
 * MAMORI_ENOMEM (c is then unchanged). */
int config_set_default_listeners(struct config *c);

/*
 * config-value.c
 */

/* As config_parse_size() and config_parse_duration(), but MAMORI_ETOOBIG
 * when the value overflows. */
int config_size_parse(const char *s, uint64_t *out);
int config_duration_parse(const char *s, int64_t *out);

/* Parses a plain decimal number without sign, spaces or unit.  Returns 0,
 * MAMORI_EINVAL, or MAMORI_ETOOBIG when it overflows. */
int config_parse_uint(const char *s, uint64_t *out);

/* Parses "local" (*local = 1), "UTC" (or "Z"), or "+HH:MM" / "-HHMM" up
 * to 14 hours (*minutes east of UTC).  Returns 0 or MAMORI_EINVAL. */
int config_parse_zone(const char *s, int *local, int *minutes);

/* Formats a byte count, or ns, with the largest unit that divides it
 * ("64MiB", "1h").  Returns buf. */
const char *config_fmt_size(uint64_t v, char *buf, size_t len);
const char *config_fmt_duration(int64_t ns, char *buf, size_t len);

/*
 * Copies len bytes of s into buf for an error message: printable ASCII as
 * is, anything else as \xNN, so that a value from the file cannot send
 * escape sequences to the terminal; cut with "..." beyond 60 bytes
 * (CONFIG_MAX_SHOW).  Returns buf.
 */
const char *config_show(const char *s, size_t len, char *buf, size_t blen);

#endif
