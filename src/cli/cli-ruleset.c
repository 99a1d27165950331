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
#include "core/fileutil.h"
#include "rules/rules.h"

int
cli_ruleset_default(char *buf, size_t len)
{
	struct stat st;
	int r;

	if ((r = file_bundled_path("MAMORI_RULES", "rules", buf, len)) != 0)
		return r;
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 :
	    MAMORI_ENOTFOUND;
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
