/*
 * cli-ruleset.c - what `logtest` and `analyze` share: loading the ruleset
 * named by --rules options, or the bundled one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli-ruleset.h"
#include "core/error.h"
#include "rules/rules.h"

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
cli_ruleset_default(char *buf, size_t len)
{
	const char *env = getenv("MAMORI_RULES");
	char exe[PATH_MAX], *slash;
	static const char *const rel[] = {
		"/../rules",			/* build/mamori in the source tree */
		"/../share/mamori/rules",	/* installed under a prefix */
	};
	ssize_t n;
	size_t i;

	if (env != NULL && *env != '\0') {
		snprintf(buf, len, "%s", env);
		return is_dir(buf) ? 0 : MAMORI_ENOTFOUND;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(buf, len, "%s%s", exe, rel[i]);
			if (is_dir(buf))
				return 0;
		}
	}
	snprintf(buf, len, "/usr/share/mamori/rules");
	return is_dir(buf) ? 0 : MAMORI_ENOTFOUND;
}

struct rules_set *
cli_ruleset_load(char **paths, int npaths, const char *prog)
{
	struct rules_set *rs;
	char err[1024], dir[PATH_MAX];
	int i;

	if ((rs = rules_set_new()) == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return NULL;
	}
	if (npaths == 0) {
		if (cli_ruleset_default(dir, sizeof(dir)) != 0) {
			fprintf(stderr, "%s: no bundled ruleset found (looked "
			    "beside the executable and in %s); name one with "
			    "--rules or $MAMORI_RULES\n", prog, dir);
			rules_set_free(rs);
			return NULL;
		}
		if (rules_set_load(rs, dir, err, sizeof(err)) != 0)
			goto fail;
	}
	for (i = 0; i < npaths; i++)
		if (rules_set_load(rs, paths[i], err, sizeof(err)) != 0)
			goto fail;
	if (rules_set_finish(rs, err, sizeof(err)) != 0)
		goto fail;
	return rs;
fail:
	fprintf(stderr, "%s: %s\n", prog, err);
	rules_set_free(rs);
	return NULL;
}
