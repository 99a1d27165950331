/*
 * audit-perm.c - world-writable files, and world-writable directories
 * without the sticky bit, in system paths.
 *
 * Anyone on the host can replace a world-writable program or
 * configuration, and can delete or swap the files of a world-writable
 * directory unless its sticky bit limits that to their owners (as on
 * /tmp).  Symbolic links (always 0777), sockets and FIFOs (rendezvous
 * points meant for everyone, such as Postfix's public/pickup) are left
 * out; devices do not live in system paths.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

/* Paths where a writable file is code or configuration run by root. */
static int
critical_place(const char *path)
{
	static const char *const crit[] = {
		"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/lib/",
		"/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/",
		"/usr/local/bin/", "/usr/local/sbin/", "/usr/local/lib/",
		"/etc/", "/boot/", "/root/",
	};
	size_t i;

	for (i = 0; i < sizeof(crit) / sizeof(crit[0]); i++)
		if (strncmp(path, crit[i], strlen(crit[i])) == 0)
			return 1;
	return 0;
}

static int
ww_report(struct audit_ctx *c, const char *path, const struct stat *st)
{
	char mode[8];
	json_t *x;
	int r, dir = S_ISDIR(st->st_mode);

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	x = json_pack("{s:o?, s:s, s:I, s:I}", "path",
	    audit_json_str(path, strlen(path)), "mode", mode,
	    "uid", (json_int_t)st->st_uid, "gid", (json_int_t)st->st_gid);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (dir)
		r = audit_emitf(c, "directory", AUDIT_SEV_HIGH, path,
		    "chmod o-w on it (or chmod +t if everyone must create "
		    "files there, as in /tmp); then check what was changed "
		    "inside (mamori fim check)", x, "directory %s is "
		    "world-writable without the sticky bit (mode %s): "
		    "anyone can delete or replace its files", path, mode);
	else
		r = audit_emitf(c, "file", critical_place(path) ?
		    AUDIT_SEV_HIGH : AUDIT_SEV_MEDIUM, path,
		    "chmod o-w on it; then check whether it was changed "
		    "(mamori fim check, dpkg --verify)", x, "file %s is "
		    "world-writable (mode %s): anyone can change it", path,
		    mode);
	json_decref(x);
	return r;
}

static int
ww_visit(struct audit_ctx *c, const struct audit_walk_ent *e, void *arg)
{
	mode_t m = e->st->st_mode;

	(void)arg;
	if (!(m & S_IWOTH))
		return 0;
	if (S_ISDIR(m)) {
		if (m & S_ISVTX)
			return 0;
		return ww_report(c, e->path, e->st);
	}
	if (S_ISREG(m))
		return ww_report(c, e->path, e->st);
	return 0;
}

int
audit_check_world_writable(struct audit_ctx *c,
    const struct audit_conf *conf)
{
	struct stat st;
	int r;

	/* The root directory itself (not walked: "/" is no default). */
	if (fstat(c->rootfd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX) &&
	    (r = ww_report(c, "/", &st)) != 0)
		return r;
	return audit_walk(c, conf->ww_paths, conf->ww_exclude, 0, ww_visit,
	    NULL);
}
