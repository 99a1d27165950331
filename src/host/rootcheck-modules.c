/*
 * rootcheck-modules.c - hidden kernel modules.
 *
 * lsmod reads /proc/modules, which walks the kernel's list of modules;
 * a rootkit module hides by unlinking itself from that list
 * (Diamorphine, Reptile, and most of their kin do exactly this).  Its
 * sysfs directory stays: a loadable module that is loaded has
 * /sys/module/NAME/initstate ("live", "coming", "going"), while
 * built-in modules have a /sys/module/NAME directory (for their
 * parameters) without initstate.  So a NAME with an initstate and no
 * line in /proc/modules is hidden.  Where tracefs is readable, ftrace's
 * available_filter_functions names the module of every traceable
 * function ("func [NAME]"): a NAME there and not in /proc/modules is
 * hidden too (unlinking from the module list does not remove the
 * module's functions from ftrace).  Modules the rootkit list names
 * (KIND "module") are reported even when they do not hide.
 *
 * Everything is read through the root prefix, so a fake root in a test
 * exercises the same code; on a mounted disk there is nothing to read
 * and the check is skipped.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/rootcheck.h"

#define MOD_FILE_MAX	(16u << 20)
#define FTRACE_MAX	(256u << 20)
#define MOD_NAME_MAX	64	/* MODULE_NAME_LEN */

struct names {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static int
names_add(struct names *s, const char *p, size_t n)
{
	char **nv;

	if (n == 0 || n >= MOD_NAME_MAX)
		return 0;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;

		if ((nv = realloc(s->v, ncap * sizeof(*nv))) == NULL)
			return MAMORI_ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	if ((s->v[s->n] = strndup(p, n)) == NULL)
		return MAMORI_ENOMEM;
	s->n++;
	return 0;
}

static int
names_has(const struct names *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

static void
names_free(struct names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The first word of each line of /proc/modules.  *present is 0 when
 * the file does not exist (a kernel without loadable modules). */
static int
proc_modules(struct audit_ctx *c, struct names *s, int *present)
{
	char *buf, *line, *e, *end, *w;
	size_t len;
	int r;

	*present = 0;
	if ((r = audit_read(c, "/proc/modules", MOD_FILE_MAX, &buf, &len)) !=
	    0)
		return r == MAMORI_ENOTFOUND ? 0 : r;
	*present = 1;
	for (line = buf, end = buf + len, r = 0; r == 0 && line < end;
	    line = e < end ? e + 1 : end) {
		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		for (w = line; w < e && *w != ' ' && *w != '\t' &&
		    *w != '\0'; w++)
			;
		r = names_add(s, line, (size_t)(w - line));
	}
	free(buf);
	return r;
}

/* Loadable modules in /sys/module (those with an initstate). */
static int
sys_modules(struct audit_ctx *c, struct names *s, int *present)
{
	struct dirent *de;
	struct stat st;
	char path[MOD_NAME_MAX + 16];
	DIR *d;
	int fd, r = 0;

	*present = 0;
	if ((fd = audit_open(c, "/sys/module", O_RDONLY | O_DIRECTORY)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return MAMORI_ESYS;
	}
	*present = 1;
	while (r == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= MOD_NAME_MAX)
			continue;
		snprintf(path, sizeof(path), "%.63s/initstate", de->d_name);
		if (fstatat(fd, path, &st, 0) == 0)
			r = names_add(s, de->d_name, strlen(de->d_name));
	}
	closedir(d);
	return r;
}

/* Module names in ftrace's function list ("func [name]"). */
static int
ftrace_modules(struct audit_ctx *c, struct names *s, int *present)
{
	static const char *const files[] = {
		"/sys/kernel/tracing/available_filter_functions",
		"/sys/kernel/debug/tracing/available_filter_functions",
	};
	char *buf = NULL, *line, *e, *end, *lb, name[MOD_NAME_MAX];
	size_t len, i, n;
	int r = MAMORI_ENOTFOUND;

	*present = 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((r = audit_read(c, files[i], FTRACE_MAX, &buf, &len)) ==
		    0)
			break;
	if (r != 0)
		return r == MAMORI_ENOMEM ? r : 0;
	*present = 1;
	for (line = buf, end = buf + len; r == 0 && line < end;
	    line = e < end ? e + 1 : end) {
		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		if (e - line < 4 || e[-1] != ']' ||
		    (lb = memchr(line, '[', (size_t)(e - line))) == NULL)
			continue;
		n = (size_t)(e - lb - 2);
		if (n == 0 || n >= sizeof(name))
			continue;
		memcpy(name, lb + 1, n);
		name[n] = '\0';
		if (!names_has(s, name))
			r = names_add(s, name, n);
	}
	free(buf);
	return r;
}

static int
mod_emit(struct audit_ctx *c, const char *kind, const char *name,
    const char *source, const char *rootkit, size_t line)
{
	json_t *x;
	int r;

	x = json_pack("{s:o?, s:s}", "module", audit_json_str(name,
	    strlen(name)), "source", source);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (rootkit != NULL) {
		json_object_set_new(x, "rootkit", audit_json_str(rootkit,
		    strlen(rootkit)));
		json_object_set_new(x, "list_line", json_integer(
		    (json_int_t)line));
		r = audit_emitf(c, kind, AUDIT_SEV_CRITICAL, name,
		    "treat the host as compromised: keep memory and disk "
		    "evidence, then rebuild it", x, "kernel module %s is "
		    "loaded: it is the %s rootkit's name", name, rootkit);
	} else if (strcmp(source, "ftrace") == 0)
		r = audit_emitf(c, kind, AUDIT_SEV_CRITICAL, name,
		    "treat the host as compromised: a module hiding from "
		    "lsmod is a kernel rootkit; keep memory evidence, then "
		    "rebuild", x, "kernel module %s has functions in the "
		    "kernel (ftrace lists them) but is not in /proc/modules",
		    name);
	else
		r = audit_emitf(c, kind, AUDIT_SEV_CRITICAL, name,
		    "treat the host as compromised: a module hiding from "
		    "lsmod is a kernel rootkit; keep memory evidence, then "
		    "rebuild", x, "kernel module %s is loaded (/sys/module/%s "
		    "has an initstate) but is not in /proc/modules: lsmod "
		    "does not show it", name, name);
	json_decref(x);
	return r;
}

int
rootcheck_check_modules(struct audit_ctx *c,
    const struct rootcheck_conf *conf, const struct rootcheck_list *l)
{
	struct names proc, sys, ft, fresh;
	size_t i;
	int r, have_proc, have_sys, have_ft, round, dummy;

	memset(&proc, 0, sizeof(proc));
	memset(&sys, 0, sizeof(sys));
	memset(&ft, 0, sizeof(ft));
	memset(&fresh, 0, sizeof(fresh));
	if ((r = proc_modules(c, &proc, &have_proc)) != 0 ||
	    (r = sys_modules(c, &sys, &have_sys)) != 0 ||
	    (r = ftrace_modules(c, &ft, &have_ft)) != 0) {
		if (r != MAMORI_ENOMEM)
			r = audit_fail(c, "cannot read the module lists: %s",
			    r == MAMORI_ESYS ? strerror(errno) :
			    mamori_strerror(r));
		goto out;
	}
	if (!have_proc && !have_sys) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no /proc/modules or /sys/module under the "
		    "root");
		goto out;
	}
	/* Candidates: loaded by sysfs or ftrace, not in /proc/modules;
	 * each round re-reads /proc/modules (a module loading or
	 * unloading during the scan shows up there). */
	for (round = 0; round < conf->rechecks; round++) {
		if ((r = proc_modules(c, &fresh, &dummy)) != 0) {
			if (r != MAMORI_ENOMEM)
				r = audit_fail(c, "cannot read /proc/modules:"
				    " %s", mamori_strerror(r));
			goto out;
		}
		for (i = 0; i < fresh.n; i++)
			if (!names_has(&proc, fresh.v[i]) &&
			    (r = names_add(&proc, fresh.v[i],
			    strlen(fresh.v[i]))) != 0)
				goto out;
		names_free(&fresh);
	}
	/* ... and one more look at sysfs: a module unloading during the
	 * scan leaves both. */
	if ((r = sys_modules(c, &fresh, &dummy)) != 0) {
		if (r != MAMORI_ENOMEM)
			r = audit_fail(c, "cannot read /sys/module: %s",
			    mamori_strerror(r));
		goto out;
	}
	for (i = 0; r == 0 && i < sys.n; i++)
		if (!names_has(&proc, sys.v[i]) && names_has(&fresh, sys.v[i]))
			r = mod_emit(c, "hidden", sys.v[i], "sysfs", NULL, 0);
	for (i = 0; r == 0 && i < ft.n; i++)
		if (!names_has(&proc, ft.v[i]) && !names_has(&sys, ft.v[i]))
			r = mod_emit(c, "hidden", ft.v[i], "ftrace", NULL, 0);
	for (i = 0; r == 0 && l != NULL && i < l->n; i++)
		if (l->v[i].kind == ROOTCHECK_RK_MODULE &&
		    (names_has(&proc, l->v[i].what) ||
		    names_has(&sys, l->v[i].what) ||
		    names_has(&ft, l->v[i].what)))
			r = mod_emit(c, "known", l->v[i].what,
			    names_has(&proc, l->v[i].what) ? "proc" :
			    names_has(&sys, l->v[i].what) ? "sysfs" : "ftrace",
			    l->v[i].name, l->v[i].line);
	if (r == 0 && !have_proc)
		audit_note(c, "the kernel has no loadable modules "
		    "(no /proc/modules)");
	else if (r == 0 && !have_ft)
		audit_note(c, "ftrace's function list is not readable: "
		    "only /sys/module was compared");
 out:
	names_free(&proc);
	names_free(&sys);
	names_free(&ft);
	names_free(&fresh);
	return r;
}
