/*
 * test-web-route.c - the console's route table (src/web/web-route.c):
 * matching, methods, and that every route is documented in docs/api.md
 * with the role the server enforces (and every documented route
 * exists); the web: section of the configuration; the embedded files'
 * table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/timeutil.h"
#include "test.h"
#include "web/web-assets.h"
#include "web/web-impl.h"

static int
split(const char *path, char **segs)
{
	return web_path_split(path, segs, WEB_MAX_SEGS);
}

static const struct web_route *
match(const char *path, enum web_method m, unsigned *methods)
{
	char *segs[WEB_MAX_SEGS];
	const struct web_route *r;
	int n, i;

	if ((n = split(path, segs)) < 0)
		return NULL;
	r = web_route_match((const char *const *)segs, n, m, methods);
	for (i = 0; i < n; i++)
		free(segs[i]);
	return r;
}

TEST(test_match)
{
	const struct web_route *r;
	unsigned m;

	r = match("/incidents/12/steps/3", WEB_POST, &m);
	CHECK(r != NULL && strcmp(r->pattern, "incidents/{id}/steps/{n}") ==
	    0);
	CHECK(r != NULL && r->role == WEB_ROLE_RESPONDER &&
	    (r->flags & WEB_F_CSRF));
	r = match("/incidents/12", WEB_GET, &m);
	CHECK(r != NULL && strcmp(r->pattern, "incidents/{id}") == 0);
	r = match("/incidents/12", WEB_HEAD, &m);
	CHECK(r != NULL);
	/* The path exists, the method does not: no route, its methods. */
	r = match("/incidents/12", WEB_DELETE, &m);
	CHECK(r == NULL);
	CHECK_INT(m, WEB_GET | WEB_HEAD);
	r = match("/blocks", WEB_POST, &m);
	CHECK(r != NULL && r->role == WEB_ROLE_RESPONDER);
	r = match("/blocks", WEB_GET, &m);
	CHECK(r != NULL && r->role == WEB_ROLE_VIEWER);
	r = match("/blocks/2001%3Adb8%3A%3A%2F64", WEB_DELETE, &m);
	CHECK(r != NULL && strcmp(r->pattern, "blocks/{addr}") == 0);
	/* Not a route at all. */
	CHECK(match("/incidents/12/nothing", WEB_GET, &m) == NULL);
	CHECK_INT(m, 0);
	CHECK(match("/", WEB_GET, &m) == NULL);
	CHECK(match("/incidents/12/steps", WEB_POST, &m) == NULL);
	CHECK(match("/incidents/12/steps/3/4", WEB_POST, &m) == NULL);
	r = match("/login", WEB_POST, &m);
	CHECK(r != NULL && r->role == WEB_ROLE_NONE);
	r = match("/users", WEB_GET, &m);
	CHECK(r != NULL && r->role == WEB_ROLE_ADMIN);
}

/* Every route is documented as "### METHOD /path" with "Role: X." and
 * "CSRF." when it needs the token; every documented route exists. */
TEST(test_documented)
{
	static const char *const mnames[] = { "GET", "POST", "DELETE" };
	static const unsigned mbits[] = { WEB_GET, WEB_POST, WEB_DELETE };
	const struct web_route *routes;
	char path[4096], line[1024], heading[1024], want[1024];
	char *doc = NULL;
	const char *src = getenv("MAMORI_SRC"), *h, *role;
	size_t n, i, k, len = 0, cap = 0, documented = 0;
	FILE *f;

	if (src != NULL)
		snprintf(path, sizeof(path), "%s/docs/api.md", src);
	else
		snprintf(path, sizeof(path), "%.*s/../../docs/api.md",
		    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		CHECK(0);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t l = strlen(line);

		if (len + l + 1 > cap) {
			cap = (len + l + 1) * 2;
			doc = realloc(doc, cap);
		}
		memcpy(doc + len, line, l + 1);
		len += l;
		documented += strncmp(line, "### ", 4) == 0;
	}
	fclose(f);
	routes = web_routes(&n);
	k = 0;
	for (i = 0; i < n; i++) {
		unsigned b;

		for (b = 0; b < 3; b++) {
			if (!(routes[i].methods & mbits[b]))
				continue;
			k++;
			snprintf(heading, sizeof(heading), "\n### %s /%s\n",
			    mnames[b], routes[i].pattern);
			if ((h = strstr(doc, heading)) == NULL) {
				fprintf(stderr, "docs/api.md lacks '%s'\n",
				    heading + 1);
				CHECK(0);
				continue;
			}
			h += strlen(heading);
			role = routes[i].role == WEB_ROLE_NONE ? "none" :
			    web_role_name(routes[i].role);
			snprintf(want, sizeof(want), "\nRole: %s.%s", role,
			    routes[i].flags & WEB_F_CSRF ? "  CSRF." : "\n");
			if (strncmp(h, want, strlen(want)) != 0) {
				fprintf(stderr, "docs/api.md: %s: expected "
				    "'%s'\n", heading + 1, want + 1);
				CHECK(0);
			}
		}
	}
	/* As many documented routes as there are. */
	CHECK_INT(documented, k);
	free(doc);
}

static const char *
write_temp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test-web-route-XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

TEST(test_conf)
{
	struct config c;
	char err[1024];
	const char *p;

	CHECK_INT(config_init(&c), 0);
	CHECK_INT(c.web->session_ttl_ns, 8 * 3600 * NS_PER_SEC);
	CHECK_INT(c.web->login_max_failures, 5);
	CHECK_INT(c.web->login_window_ns, 900 * NS_PER_SEC);
	CHECK_INT(c.web->secure_cookies, -1);
	p = write_temp("web:\n  session_ttl: 2s\n  login_max_failures: 3\n"
	    "  login_window: 1m\n  threads: 2\n  event_queue: 16\n"
	    "  secure_cookies: true\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), 0);
	CHECK_INT(c.web->session_ttl_ns, 2 * NS_PER_SEC);
	CHECK_INT(c.web->login_max_failures, 3);
	CHECK_INT(c.web->login_window_ns, 60 * NS_PER_SEC);
	CHECK_INT(c.web->threads, 2);
	CHECK_INT(c.web->sse_queue, 16);
	CHECK_INT(c.web->secure_cookies, 1);
	unlink(p);
	/* Errors name the file, the line and the setting; nothing of a
	 * bad section is applied. */
	p = write_temp("web:\n  threads: 3\n  session_ttl: forever\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":3: setting 'web.session_ttl'") != NULL);
	CHECK_INT(c.web->threads, 2);
	unlink(p);
	p = write_temp("web:\n  treads: 3\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":2: unknown setting 'web.treads' (did you mean "
	    "'threads'?)") != NULL);
	unlink(p);
	p = write_temp("web:\n  threads: 0\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "web.threads") != NULL);
	unlink(p);
	p = write_temp("web:\n  secure_cookies: maybe\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, ":2: setting 'web.secure_cookies': expected auto, "
	    "true or false") != NULL);
	unlink(p);
	p = write_temp("web:\n  secure_cookies: auto\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), 0);
	CHECK_INT(c.web->secure_cookies, -1);
	unlink(p);
	/* https:// takes the tls: section's certificate. */
	p = write_temp("tls:\n  cert: /a.crt\n  key: /a.key\nlisteners:\n"
	    "  - https://127.0.0.1:8443\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), 0);
	CHECK_INT(c.nlisteners, 1);
	CHECK_INT(c.listeners[0].http_tls, 1);
	CHECK_STR(c.listeners[0].tls.cert, "/a.crt");
	unlink(p);
	config_release(&c);
	CHECK_INT(config_init(&c), 0);
	p = write_temp("listeners:\n  - https://127.0.0.1:8443\n");
	CHECK_INT(config_load(&c, p, err, sizeof(err)), MAMORI_ECONFIG);
	CHECK(strstr(err, "listener 'https://127.0.0.1:8443': needs tls.cert "
	    "and tls.key") != NULL);
	unlink(p);
	config_release(&c);
}

TEST(test_assets)
{
	size_t i;

	/* Sorted (the server looks them up by bisection), each with a
	 * type and a quoted ETag. */
	for (i = 0; i < web_nassets; i++) {
		CHECK(web_assets[i].path[0] == '/');
		CHECK(web_assets[i].type != NULL);
		CHECK(web_assets[i].etag[0] == '"' &&
		    strlen(web_assets[i].etag) == 18);
		CHECK(web_assets[i].data[web_assets[i].len] == '\0');
		if (i > 0)
			CHECK(strcmp(web_assets[i - 1].path,
			    web_assets[i].path) < 0);
	}
}

int
main(void)
{
	RUN(test_match);
	RUN(test_documented);
	RUN(test_conf);
	RUN(test_assets);
	return test_summary();
}
