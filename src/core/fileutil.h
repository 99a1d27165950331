/*
 * fileutil.h - reading a whole (small) file, for configuration and rule
 * files.
 */
#ifndef MAMORI_FILEUTIL_H
#define MAMORI_FILEUTIL_H

#include <stddef.h>

/*
 * Reads the file at path whole into a new NUL-terminated buffer (caller
 * frees *bufp).  Returns 0; MAMORI_ETOOBIG when it holds more than max
 * bytes; MAMORI_ENOMEM; or MAMORI_ESYS with errno set (cannot open or
 * read it, or it is a directory: EISDIR).  *bufp is NULL on error.
 */
int file_read_all(const char *path, size_t max, char **bufp, size_t *lenp);

/*
 * Where a file or directory mamori ships (rules, playbooks,
 * etc/taxonomy.json) is: $env when env names a set variable; else name
 * beside the executable (../name from build/mamori in the source tree,
 * ../share/mamori/name under an install prefix); else
 * /usr/share/mamori/name.  Writes the path into buf.  Returns 0, or
 * MAMORI_ENOTFOUND with the last place tried in buf.
 */
int file_bundled_path(const char *env, const char *name, char *buf,
    size_t len);

#endif
