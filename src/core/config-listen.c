/*
 * config-listen.c - listener URLs: parsing "tcp://127.0.0.1:5514", from
 * the listeners: section or --listen, into a struct listener_conf; and the
 * built-in default listeners.
 *
 * A URL is scheme://host:port in the shape of RFC 3986, with an IPv6
 * address in brackets (a "%zone" may follow a link-local one) and a host
 * name as RFC 1123 allows.  URLs come from the user and are short, so every
 * mistake gets its own message rather than a generic "bad URL".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "core/config-impl.h"
#include "core/error.h"

#define CONFIG_MAX_URL		1024

int
config_listener_uses_tls(const struct listener_conf *l)
{
	return l->proto == LISTEN_TLS ||
	    (l->proto == LISTEN_RELP && l->relp_tls) ||
	    (l->proto == LISTEN_HTTP && l->http_tls);
}

const char *
config_proto_name(enum listen_proto p)
{
	switch (p) {
	case LISTEN_UDP:	return "udp";
	case LISTEN_TCP:	return "tcp";
	case LISTEN_TLS:	return "tls";
	case LISTEN_RELP:	return "relp";
	case LISTEN_HTTP:	return "http";
	}
	return "unknown";
}

/* RFC 1123 host name: dot-separated labels of letters, digits and '-'. */
static int
valid_hostname(const char *h, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return 0;
		if (h[i] == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return h[len - 1] != '-';
}

int
config_parse_listen(const char *url, struct listener_conf *l, char *err,
    size_t errlen)
{
	static const struct {
		const char		*name;
		enum listen_proto	 proto;
		int			 tls;
	} schemes[] = {
		{ "udp", LISTEN_UDP, 0 }, { "tcp", LISTEN_TCP, 0 },
		{ "tls", LISTEN_TLS, 0 }, { "relp", LISTEN_RELP, 0 },
		{ "relp+tls", LISTEN_RELP, 1 }, { "http", LISTEN_HTTP, 0 },
		{ "https", LISTEN_HTTP, 1 },
	};
	const char *sep, *a, *hend, *port = NULL;
	char host[256], shown[256], portbuf[8], addr[sizeof(struct in6_addr)];
	size_t i, slen, hlen, plen = 0;
	unsigned long pnum;
	int bracket = 0;

	memset(l, 0, sizeof(*l));
	config_seterr(err, errlen, "%s", "");
	if (url == NULL || *url == '\0') {
		config_seterr(err, errlen, "empty listener URL");
		return MAMORI_EINVAL;
	}
	if (strlen(url) > CONFIG_MAX_URL) {
		config_seterr(err, errlen, "listener URL longer than %d "
		    "bytes", CONFIG_MAX_URL);
		return MAMORI_EINVAL;
	}
	if ((sep = strstr(url, "://")) == NULL) {
		config_seterr(err, errlen, "expected scheme://host:port, such "
		    "as tcp://127.0.0.1:5514");
		return MAMORI_EINVAL;
	}
	slen = (size_t)(sep - url);
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == slen &&
		    strncasecmp(url, schemes[i].name, slen) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		config_seterr(err, errlen, "unknown scheme '%s' (expected "
		    "udp, tcp, tls, relp, relp+tls, http or https)",
		    config_show(url, slen, shown, sizeof(shown)));
		return MAMORI_EINVAL;
	}
	a = sep + 3;
	if (*a == '[') {
		bracket = 1;
		if ((hend = strchr(a, ']')) == NULL) {
			config_seterr(err, errlen, "missing ']' after the "
			    "IPv6 address");
			return MAMORI_EINVAL;
		}
		a++;
		hlen = (size_t)(hend - a);
		hend++;
	} else {
		hend = a + strcspn(a, ":/");
		hlen = (size_t)(hend - a);
		if (*hend == ':' && strchr(hend + 1, ':') != NULL &&
		    strspn(a, "0123456789abcdefABCDEF:.") == strlen(a)) {
			config_seterr(err, errlen, "an IPv6 address goes in "
			    "brackets, as in %s://[::1]:5514", schemes[i].name);
			return MAMORI_EINVAL;
		}
	}
	if (hlen == 0) {
		config_seterr(err, errlen, "missing host (use 0.0.0.0 or [::] "
		    "for every address)");
		return MAMORI_EINVAL;
	}
	if (hlen >= sizeof(host)) {
		config_seterr(err, errlen, "host name too long");
		return MAMORI_EINVAL;
	}
	memcpy(host, a, hlen);
	host[hlen] = '\0';
	config_show(host, hlen, shown, sizeof(shown));
	if (bracket) {
		char *zone = strchr(host, '%');

		/* A zone ("%eth0") scopes a link-local address. */
		if (zone != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1 || (zone != NULL &&
		    !valid_hostname(zone + 1, strlen(zone + 1)))) {
			config_seterr(err, errlen, "invalid IPv6 address "
			    "'%s'", shown);
			return MAMORI_EINVAL;
		}
		if (zone != NULL)
			*zone = '%';
	} else if (strspn(host, "0123456789.") == hlen) {
		if (inet_pton(AF_INET, host, addr) != 1) {
			config_seterr(err, errlen, "invalid IPv4 address "
			    "'%s'", shown);
			return MAMORI_EINVAL;
		}
	} else if (!valid_hostname(host, hlen)) {
		config_seterr(err, errlen, "invalid host name '%s'", shown);
		return MAMORI_EINVAL;
	}

	if (*hend == ':') {
		port = hend + 1;
		plen = strcspn(port, "/");
	} else if (*hend != '\0') {
		config_seterr(err, errlen, "unexpected '%s' after the host",
		    config_show(hend, strlen(hend), shown, sizeof(shown)));
		return MAMORI_EINVAL;
	}
	if (port != NULL && port[plen] != '\0') {
		config_seterr(err, errlen, "unexpected '%s' after the port",
		    config_show(port + plen, strlen(port + plen), shown,
		    sizeof(shown)));
		return MAMORI_EINVAL;
	}
	if (port == NULL) {
		if (schemes[i].proto != LISTEN_HTTP) {
			config_seterr(err, errlen, "missing port, as in "
			    "%s://%s%s%s:%s", schemes[i].name,
			    bracket ? "[" : "", host, bracket ? "]" : "",
			    schemes[i].proto == LISTEN_RELP ? "2514" : "5514");
			return MAMORI_EINVAL;
		}
		pnum = schemes[i].tls ? 8443 : 8080;
	} else {
		if (plen == 0) {
			config_seterr(err, errlen, "missing port after ':'");
			return MAMORI_EINVAL;
		}
		config_show(port, plen, shown, sizeof(shown));
		if (strspn(port, "0123456789") != plen) {
			config_seterr(err, errlen, "port '%s' is not a "
			    "number", shown);
			return MAMORI_EINVAL;
		}
		/* Leading zeros aside, more than 5 digits is out of range. */
		while (plen > 1 && *port == '0') {
			port++;
			plen--;
		}
		pnum = plen > 5 ? 99999 : strtoul(port, NULL, 10);
		if (pnum < 1 || pnum > 65535) {
			config_seterr(err, errlen, "port %s is out of range "
			    "1..65535", shown);
			return MAMORI_EINVAL;
		}
	}
	snprintf(portbuf, sizeof(portbuf), "%lu", pnum);
	l->proto = schemes[i].proto;
	l->relp_tls = schemes[i].proto == LISTEN_RELP && schemes[i].tls;
	l->http_tls = schemes[i].proto == LISTEN_HTTP && schemes[i].tls;
	if ((l->host = strdup(host)) == NULL ||
	    (l->port = strdup(portbuf)) == NULL ||
	    (l->url = strdup(url)) == NULL) {
		config_listener_release(l);
		config_seterr(err, errlen, "out of memory");
		return MAMORI_ENOMEM;
	}
	return 0;
}

int
config_set_default_listeners(struct config *c)
{
	/* The console's listener comes before tls://, which exists only
	 * when tls.cert is set. */
	static const char *const urls[] = {
		"udp://127.0.0.1:5514", "tcp://127.0.0.1:5514",
		"relp://127.0.0.1:2514", "http://127.0.0.1:8080",
		"tls://127.0.0.1:6514",
	};
	struct listener_conf *ls;
	size_t i, n = c->tls.cert != NULL ? 5 : 4;
	int r;

	if ((ls = calloc(n, sizeof(*ls))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((r = config_parse_listen(urls[i], &ls[i], NULL, 0)) != 0 ||
		    (config_listener_uses_tls(&ls[i]) &&
		    (r = config_tls_copy(&ls[i].tls, &c->tls)) != 0)) {
			config_listeners_free(ls, n);
			return r;
		}
	}
	config_listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 1;
	return 0;
}

int
config_set_listeners(struct config *c, char *const *urls, size_t n,
    char *err, size_t errlen)
{
	struct listener_conf *ls;
	char why[256], shown[256];
	size_t i;
	int r;

	config_seterr(err, errlen, "%s", "");
	if (n == 0) {
		config_seterr(err, errlen, "no listener URLs given");
		return MAMORI_EINVAL;
	}
	if ((ls = calloc(n, sizeof(*ls))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((r = config_parse_listen(urls[i], &ls[i], why,
		    sizeof(why))) != 0) {
			config_seterr(err, errlen, "listener '%s': %s",
			    urls[i] == NULL ? "" : config_show(urls[i],
			    strlen(urls[i]), shown, sizeof(shown)), why);
			config_listeners_free(ls, n);
			return r;
		}
		if (config_listener_uses_tls(&ls[i]) &&
		    (r = config_tls_copy(&ls[i].tls, &c->tls)) != 0) {
			config_listeners_free(ls, n);
			return r;
		}
	}
	config_listeners_free(c->listeners, c->nlisteners);
	c->listeners = ls;
	c->nlisteners = n;
	c->listeners_default = 0;
	return 0;
}
