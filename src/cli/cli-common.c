/*
 * cli-common.c - what several commands share (see cli-common.h).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli-common.h"
#include "core/error.h"

void
cli_actor(char *buf, size_t len)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (getuid() == 0 && s != NULL && *s != '\0') {
		snprintf(buf, len, "%s", s);
		return;
	}
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)getuid());
}

int
cli_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s < '1' || *s > '9' || *end != '\0' || errno != 0 || v <= 0)
		return MAMORI_EINVAL;
	*id = v;
	return 0;
}
