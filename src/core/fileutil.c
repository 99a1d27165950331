/*
 * fileutil.c - reading a whole file with a size limit, so that a wrong
 * path (a log file given as a configuration, a device) fails quickly and
 * clearly instead of eating memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fileutil.h"

int
file_read_all(const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, e;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return MAMORI_ESYS;
	if (fstat(fd, &st) == -1)
		goto syserr;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto syserr;
	}
	for (;;) {
		if (len == cap) {
			/* One byte past the limit tells "too big" apart. */
			if (cap > max) {
				close(fd);
				free(buf);
				return MAMORI_ETOOBIG;
			}
			/* The size is a hint: the file may change. */
			if (cap == 0 && st.st_size > 0 &&
			    (size_t)st.st_size <= max)
				cap = (size_t)st.st_size + 1;
			else
				cap = cap == 0 ? 8192 : 2 * cap;
			if (cap > max + 1)
				cap = max + 1;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				close(fd);
				free(buf);
				return MAMORI_ENOMEM;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return MAMORI_ENOMEM;
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
syserr:
	e = errno;
	close(fd);
	free(buf);
	errno = e;
	return MAMORI_ESYS;
}

int
file_bundled_path(const char *env, const char *name, char *buf, size_t len)
{
	const char *e = env != NULL ? getenv(env) : NULL;
	char exe[PATH_MAX], *slash;
	static const char *const rel[] = {
		"/../",				/* build/mamori in the source tree */
		"/../share/mamori/",		/* installed under a prefix */
	};
	struct stat st;
	ssize_t n;
	size_t i;

	if (e != NULL && *e != '\0') {
		snprintf(buf, len, "%s", e);
		return stat(buf, &st) == 0 ? 0 : MAMORI_ENOTFOUND;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(buf, len, "%s%s%s", exe, rel[i], name);
			if (stat(buf, &st) == 0)
				return 0;
		}
	}
	snprintf(buf, len, "/usr/share/mamori/%s", name);
	return stat(buf, &st) == 0 ? 0 : MAMORI_ENOTFOUND;
}
