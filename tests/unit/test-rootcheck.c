/*
 * test-rootcheck.c - the rootkit checks: the known-rootkit list's parser
 * (every error with its file and line, quoting and escapes, the bundled
 * list itself), the configuration section, the hidden-process core
 * against a /proc listing that lacks a live child (and one that has
 * it), and a whole run over a fake root holding a rootkit's files, a
 * file in /dev, programs in /tmp and a module hidden from
 * /proc/modules, and over a clean one.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "host/host.h"
#include "host/rootcheck.h"
#include "test.h"

#define LIT(s)	(s), (sizeof(s) - 1)

static char tmp[1024];

static const char *
srcdir(void)
{
	static char buf[1024];
	const char *s = getenv("MAMORI_SRC");

	if (s != NULL && *s != '\0')
		return s;
	snprintf(buf, sizeof(buf), "%.*s/../..",
	    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	return buf;
}

static void
mkdirs(const char *rel)
{
	char p[4096], *s;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	for (s = p + strlen(tmp) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static const char *
put_len(const char *rel, const void *data, size_t len, mode_t mode)
{
	static char path[4096];
	char dir[4096], *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(dir);
	}
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
	chmod(path, mode);
	return path;
}

static const char *
put(const char *rel, const char *text, mode_t mode)
{
	return put_len(rel, text, strlen(text), mode);
}

static void
rm_rf(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

struct found {
	json_t	*v[256];
	size_t	 n;
	int	 bad;
};

static int
collect(void *arg, const struct host_finding *f)
{
	struct found *fd = arg;
	json_t *j;

	if (strcmp(f->app, "mamori-rootcheck") != 0 ||
	    (j = json_loadb(f->json, f->len, 0, NULL)) == NULL ||
	    json_object_size(j) != 1 ||
	    json_object_get(j, "rootcheck") == NULL) {
		fd->bad++;
		return 0;
	}
	if (fd->n < 256)
		fd->v[fd->n++] = j;
	else
		json_decref(j);
	return 0;
}

static void
found_free(struct found *fd)
{
	size_t i;

	for (i = 0; i < fd->n; i++)
		json_decref(fd->v[i]);
	memset(fd, 0, sizeof(*fd));
}

static const char *
sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *
find(const struct found *fd, const char *check, const char *kind,
    const char *subject)
{
	json_t *o;
	size_t i;

	for (i = 0; i < fd->n; i++) {
		o = json_object_get(fd->v[i], "rootcheck");
		if (strcmp(sget(o, "check"), check) != 0 ||
		    (kind != NULL && strcmp(sget(o, "kind"), kind) != 0) ||
		    (subject != NULL && strcmp(sget(o, "subject"),
		    subject) != 0))
			continue;
		return o;
	}
	return NULL;
}

static size_t
count(const struct found *fd, const char *check)
{
	size_t i, n = 0;

	for (i = 0; i < fd->n; i++)
		if (strcmp(sget(json_object_get(fd->v[i], "rootcheck"),
		    "check"), check) == 0)
			n++;
	return n;
}

static void
dump(const struct found *fd)
{
	size_t i;
	char *s;

	for (i = 0; i < fd->n; i++) {
		s = json_dumps(fd->v[i], JSON_COMPACT);
		fprintf(stderr, "  %s\n", s);
		free(s);
	}
}

/* --- the list ----------------------------------------------------- */

TEST(list_parse)
{
	static const char text[] =
	    "# comment\n"
	    "\n"
	    "file  /usr/src/.puta/x   t0rn\n"
	    "  dir /dev/.lib\tLion worm  \r\n"
	    "any \"/usr/lib/. /x\\ty\" A \"quoted\" kit\n"
	    "module diamorphine Diamorphine\n"
	    "file \"/tmp/\\x2e\\x2e\\x2e\" dots";	/* no newline */
	struct rootcheck_list l;
	char err[512];

	CHECK_INT(rootcheck_list_parse(&l, "rk.txt", text, strlen(text), err,
	    sizeof(err)), 0);
	CHECK_INT(l.n, 5);
	if (l.n != 5)
		return;
	CHECK_INT(l.v[0].kind, ROOTCHECK_RK_FILE);
	CHECK_STR(l.v[0].what, "/usr/src/.puta/x");
	CHECK_STR(l.v[0].name, "t0rn");
	CHECK_INT(l.v[0].line, 3);
	CHECK_INT(l.v[1].kind, ROOTCHECK_RK_DIR);
	CHECK_STR(l.v[1].name, "Lion worm");
	CHECK_INT(l.v[2].kind, ROOTCHECK_RK_ANY);
	CHECK_STR(l.v[2].what, "/usr/lib/. /x\ty");
	CHECK_STR(l.v[2].name, "A \"quoted\" kit");
	CHECK_INT(l.v[3].kind, ROOTCHECK_RK_MODULE);
	CHECK_STR(l.v[3].what, "diamorphine");
	CHECK_STR(l.v[4].what, "/tmp/...");
	CHECK_INT(l.v[4].line, 7);
	rootcheck_list_release(&l);
	CHECK(l.v == NULL && l.n == 0);
}

TEST(list_errors)
{
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*err;
	} cases[] = {
		{ LIT("file /a A\nfiel /b B\n"),
		    "rk.txt:2: unknown kind 'fiel' (file, dir, any or module)" },
		{ LIT("file relative/x X\n"),
		    "rk.txt:1: 'relative/x' is not an absolute path" },
		{ LIT("file /a\n"),
		    "rk.txt:1: expected the rootkit's name after '/a'" },
		{ LIT("dir\n"), "rk.txt:1: expected a path after 'dir'" },
		{ LIT("module a/b X\n"), "rk.txt:1: bad module name" },
		{ LIT("file \"/a X\n"), "rk.txt:1: unterminated quote" },
		{ LIT("file \"/a\\q\" X\n"),
		    "rk.txt:1: unknown escape (\\\" \\\\ \\t \\n \\xHH)" },
		{ LIT("file \"/a\\x0\" X\n"),
		    "rk.txt:1: bad \\x escape (two hex digits, not 00)" },
		{ LIT("file \"/a\\x00\" X\n"),
		    "rk.txt:1: bad \\x escape (two hex digits, not 00)" },
		{ LIT("file \"/a\"X Y\n"),
		    "rk.txt:1: expected a space after the path" },
		{ LIT("# ok\nfile /a A\0B\n"), "rk.txt:2: a NUL byte" },
	};
	struct rootcheck_list l;
	char err[512], small[12];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(rootcheck_list_parse(&l, "rk.txt", cases[i].text,
		    cases[i].len, err, sizeof(err)), MAMORI_ECONFIG);
		CHECK_STR(err, cases[i].err);
		CHECK(l.v == NULL && l.n == 0);
	}
	/* A short error buffer gets the message cut, NUL-terminated. */
	CHECK_INT(rootcheck_list_parse(&l, "rk.txt", LIT("bad /a A\n"),
	    small, sizeof(small)), MAMORI_ECONFIG);
	CHECK_STR(small, "rk.txt:1: u");
}

/* The bundled list loads, and every entry is usable. */
TEST(list_bundled)
{
	struct rootcheck_list l;
	char path[2048], err[512];
	size_t i, modules = 0;

	snprintf(path, sizeof(path), "%s/etc/rootkits.txt", srcdir());
	CHECK_INT(rootcheck_list_load(&l, path, err, sizeof(err)), 0);
	CHECK(l.n > 80);
	for (i = 0; i < l.n; i++) {
		CHECK(l.v[i].name[0] != '\0');
		if (l.v[i].kind == ROOTCHECK_RK_MODULE)
			modules++;
		else
			CHECK(l.v[i].what[0] == '/');
	}
	CHECK(modules >= 5);
	rootcheck_list_release(&l);
	/* By the environment, as file_bundled_path() finds it. */
	setenv("MAMORI_ROOTKITS", path, 1);
	CHECK_INT(rootcheck_list_load(&l, NULL, err, sizeof(err)), 0);
	CHECK(l.n > 80);
	rootcheck_list_release(&l);
	snprintf(path, sizeof(path), "%s/none.txt", tmp);
	CHECK_INT(rootcheck_list_load(&l, path, err, sizeof(err)),
	    MAMORI_ESYS);
	CHECK(strstr(err, "none.txt: No such file") != NULL);
}

/* --- configuration ------------------------------------------------ */

static int
load_conf(const char *yaml, struct rootcheck_conf *c, char *err,
    size_t errlen)
{
	const char *p = put("agent.yaml", yaml, 0644);

	return host_conf_load(p, "rootcheck", rootcheck_conf_parse, c, err,
	    errlen);
}

TEST(conf)
{
	struct rootcheck_conf c;
	char err[1024], want[4096];
	int r;

	CHECK_INT(rootcheck_conf_init(&c), 0);
	CHECK_INT(c.rechecks, 3);
	CHECK_STR(c.tmp_paths[2], "/dev/shm");
	CHECK_STR(c.dev_allow[0], "/dev/.lxc-boot-id");
	put("rk.txt", "file /x X\n", 0644);
	snprintf(want, sizeof(want), "rootcheck:\n  rechecks: 5\n"
	    "  ports: false\n  rootkit_files: {list: %s/rk.txt, ignore: "
	    "[/etc/ld.so.preload]}\n  tmp: {paths: [/tmp], ignore: "
	    "[/tmp/build/*]}\n", tmp);
	r = load_conf(want, &c, err, sizeof(err));
	CHECK_INT(r, 0);
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	CHECK_INT(c.rechecks, 5);
	CHECK(!c.enabled[ROOTCHECK_PORTS] && c.enabled[ROOTCHECK_PROCESSES]);
	CHECK(c.list != NULL && c.list->n == 1);
	CHECK_STR(c.rootkit_ignore[0], "/etc/ld.so.preload");
	CHECK(c.tmp_paths[1] == NULL);
	/* The list's errors are the configuration's, with both places. */
	put("rk.txt", "file /x X\nbogus\n", 0644);
	r = load_conf(want, &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	snprintf(want, sizeof(want), "%s/agent.yaml:4: setting "
	    "'rootcheck.rootkit_files.list': %s/rk.txt:2: unknown kind "
	    "'bogus' (file, dir, any or module)", tmp, tmp);
	CHECK_STR(err, want);
	CHECK_INT(c.rechecks, 5);		/* untouched */
	r = load_conf("rootcheck:\n  rechecks: 0\n", &c, err, sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	CHECK(strstr(err, "agent.yaml:2: setting 'rootcheck.rechecks': "
	    "expected a whole number from 1 to 10, got '0'") != NULL);
	r = load_conf("rootcheck:\n  dev: {allow: [dev/x]}\n", &c, err,
	    sizeof(err));
	CHECK_INT(r, MAMORI_ECONFIG);
	r = load_conf("rootcheck:\n  prcesses: true\n", &c, err, sizeof(err));
	CHECK(r == MAMORI_ECONFIG && strstr(err, "did you mean "
	    "'processes'") != NULL);
	rootcheck_conf_release(&c);
	rootcheck_conf_release(&c);
}

/* --- hidden processes --------------------------------------------- */

struct pids {
	long	 v[64];
	size_t	 n;
};

static int
got_pid(long pid, unsigned probes, void *arg)
{
	struct pids *p = arg;

	if (p->n < 64 && (probes & ROOTCHECK_PROBE_KILL))
		p->v[p->n++] = pid;
	return 0;
}

static int
has_pid(const struct pids *p, long pid)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i] == pid)
			return 1;
	return 0;
}

/* A copy of /proc's listing (each PID and its task IDs) in dir, without
 * the PID skip. */
static void
mirror_proc(const char *dir, long skip)
{
	char p[4096], t[4096];
	struct dirent *de, *te;
	DIR *d, *td;

	mkdir(dir, 0755);
	if ((d = opendir("/proc")) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strtol(de->d_name, NULL, 10) == skip)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/%s/task", dir, de->d_name);
		mkdir(p, 0755);
		snprintf(t, sizeof(t), "/proc/%s/task", de->d_name);
		if ((td = opendir(t)) == NULL)
			continue;
		while ((te = readdir(td)) != NULL)
			if (te->d_name[0] >= '1' && te->d_name[0] <= '9') {
				snprintf(t, sizeof(t), "%s/%s/task/%s", dir,
				    de->d_name, te->d_name);
				mkdir(t, 0755);
			}
		closedir(td);
	}
	closedir(d);
}

TEST(hidden_pids)
{
	char dir[2048];
	struct pids p;
	long pid_max = 32768;
	pid_t child;
	FILE *f;

	if ((f = fopen("/proc/sys/kernel/pid_max", "r")) != NULL) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	CHECK(child > 0);
	/* The listing lacks the child: it answers, so it is hidden. */
	snprintf(dir, sizeof(dir), "%s/proc-without", tmp);
	mirror_proc(dir, child);
	memset(&p, 0, sizeof(p));
	CHECK_INT(rootcheck_hidden_pids(dir, pid_max, 3, got_pid, &p), 0);
	CHECK(has_pid(&p, child));
	CHECK(!has_pid(&p, getpid()));
	/* With the child listed, it is not. */
	snprintf(dir, sizeof(dir), "%s/proc-with", tmp);
	mirror_proc(dir, -1);
	memset(&p, 0, sizeof(p));
	CHECK_INT(rootcheck_hidden_pids(dir, pid_max, 3, got_pid, &p), 0);
	CHECK(!has_pid(&p, child));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	/* Once dead, it is not reported even when unlisted. */
	snprintf(dir, sizeof(dir), "%s/proc-without", tmp);
	memset(&p, 0, sizeof(p));
	CHECK_INT(rootcheck_hidden_pids(dir, pid_max, 3, got_pid, &p), 0);
	CHECK(!has_pid(&p, child));
	snprintf(dir, sizeof(dir), "%s/nothing", tmp);
	CHECK_INT(rootcheck_hidden_pids(dir, pid_max, 3, got_pid, &p),
	    MAMORI_ESYS);
}

/* --- a whole run over a fake root --------------------------------- */

/* /bin/true with its ELF type set to t (1 relocatable, 3 shared). */
static void
put_elf(const char *rel, int t, mode_t mode)
{
	unsigned char buf[1 << 16];
	size_t n;
	FILE *f;

	if ((f = fopen("/bin/true", "rb")) == NULL)
		abort();
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n < 64)
		abort();
	buf[16] = (unsigned char)t;	/* little-endian x86-64/arm64 */
	buf[17] = 0;
	put_len(rel, buf, n, mode);
}

static void
conf_for(struct rootcheck_conf *c)
{
	char path[2048], err[512];

	CHECK_INT(rootcheck_conf_init(c), 0);
	snprintf(path, sizeof(path), "%s/root", tmp);
	free(c->root);
	c->root = strdup(path);
	snprintf(path, sizeof(path), "%s/etc/rootkits.txt", srcdir());
	c->list = calloc(1, sizeof(*c->list));
	CHECK_INT(rootcheck_list_load(c->list, path, err, sizeof(err)), 0);
}

TEST(fake_root)
{
	struct rootcheck_summary sum;
	struct rootcheck_conf c;
	struct found fd;
	json_t *o;
	char p[4096];

	mkdirs("root/usr/src/.puta");			/* t0rn (dir) */
	put("root/dev/.pizda", "hidden pids\n", 0644);	/* Knark (file) */
	put("root/dev/.lxc-boot-id", "1234\n", 0644);	/* allowed */
	put("root/dev/ptyxx", "a file where ARK has a dir\n", 0644);
	put("root/etc/ld.so.preload", "/lib/x.so\n", 0644);
	mkdirs("root/dev/pts");
	put_elf("root/tmp/.x/kdevtmpfsi", 2, 0755);	/* ELF program */
	put_elf("root/var/tmp/lib.so", 3, 0644);	/* ELF, no x bit */
	put_elf("root/tmp/build/obj.o", 1, 0644);	/* object file */
	put_elf("root/tmp/diamorphine.ko", 1, 0644);	/* kernel module */
	put("root/tmp/run.sh", "#!/bin/sh\n", 0755);	/* script */
	put("root/tmp/notes.txt", "text\n", 0644);
	put("root/tmp/... /payload", "x\n", 0644);
	mkdirs("root/dev/shm");
	put("root/proc/modules", "ext4 1 2 - Live 0x0\n"
	    "fat 1 1 vfat, Live 0x0\n", 0444);
	put("root/sys/module/ext4/initstate", "live\n", 0444);
	put("root/sys/module/diamorphine/initstate", "live\n", 0444);
	mkdirs("root/sys/module/kernel/parameters");	/* built-in */
	put("root/sys/module/fat/initstate", "live\n", 0444);

	conf_for(&c);
	memset(&fd, 0, sizeof(fd));
	CHECK_INT(rootcheck_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(fd.bad, 0);
	CHECK_INT(sum.findings, fd.n);
	CHECK_INT(sum.check[ROOTCHECK_PROCESSES].state, AUDIT_ST_SKIPPED);
	CHECK_INT(sum.check[ROOTCHECK_PORTS].state, AUDIT_ST_SKIPPED);

	o = find(&fd, "rootkit_files", "dir", "/usr/src/.puta");
	CHECK(o != NULL && strcmp(sget(o, "rootkit"), "t0rn") == 0);
	o = find(&fd, "rootkit_files", "file", "/dev/.pizda");
	CHECK(o != NULL && strcmp(sget(o, "rootkit"), "Knark") == 0);
	CHECK(find(&fd, "rootkit_files", NULL, "/etc/ld.so.preload") != NULL);
	/* ARK's entry is a directory: a file there does not match. */
	CHECK(find(&fd, "rootkit_files", NULL, "/dev/ptyxx") == NULL);
	CHECK_INT(count(&fd, "rootkit_files"), 3);

	o = find(&fd, "dev", "file", "/dev/.pizda");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "high") == 0 &&
	    sget(o, "sha256") != NULL);
	CHECK(find(&fd, "dev", "file", "/dev/ptyxx") != NULL);
	CHECK(find(&fd, "dev", NULL, "/dev/.lxc-boot-id") == NULL);
	CHECK_INT(count(&fd, "dev"), 2);

	o = find(&fd, "tmp", "executable", "/tmp/.x/kdevtmpfsi");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "medium") == 0 &&
	    json_is_true(json_object_get(o, "elf")));
	CHECK(o != NULL && sget(o, "sha256") != NULL &&
	    strlen(sget(o, "sha256")) == 64);
	CHECK(find(&fd, "tmp", "executable", "/var/tmp/lib.so") != NULL);
	o = find(&fd, "tmp", "executable", "/tmp/run.sh");
	CHECK(o != NULL && strcmp(sget(o, "severity"), "low") == 0);
	CHECK(find(&fd, "tmp", "kernel_module", "/tmp/diamorphine.ko") !=
	    NULL);
	CHECK(find(&fd, "tmp", "hidden_name", "/tmp/... ") != NULL);
	CHECK(find(&fd, "tmp", NULL, "/tmp/build/obj.o") == NULL);
	CHECK(find(&fd, "tmp", NULL, "/tmp/notes.txt") == NULL);
	CHECK(find(&fd, "tmp", NULL, "/tmp/... /payload") == NULL);
	CHECK_INT(count(&fd, "tmp"), 5);

	o = find(&fd, "modules", "hidden", "diamorphine");
	CHECK(o != NULL && strcmp(sget(o, "source"), "sysfs") == 0);
	o = find(&fd, "modules", "known", "diamorphine");
	CHECK(o != NULL && strcmp(sget(o, "rootkit"), "Diamorphine") == 0);
	CHECK(find(&fd, "modules", NULL, "kernel") == NULL);
	CHECK(find(&fd, "modules", NULL, "ext4") == NULL);
	CHECK_INT(count(&fd, "modules"), 2);
	if (test_failed_checks > 0)
		dump(&fd);
	found_free(&fd);

	/* Ignore lists. */
	ydoc_strv_free(c.tmp_ignore);
	c.tmp_ignore = calloc(2, sizeof(char *));
	c.tmp_ignore[0] = strdup("/tmp/.x");
	ydoc_strv_free(c.rootkit_ignore);
	c.rootkit_ignore = calloc(2, sizeof(char *));
	c.rootkit_ignore[0] = strdup("/etc/ld.so.*");
	memset(c.enabled, 0, sizeof(c.enabled));
	c.enabled[ROOTCHECK_TMP] = c.enabled[ROOTCHECK_ROOTKIT_FILES] = 1;
	CHECK_INT(rootcheck_run(&c, collect, &fd, &sum), 0);
	CHECK(find(&fd, "tmp", NULL, "/tmp/.x/kdevtmpfsi") == NULL);
	CHECK(find(&fd, "rootkit_files", NULL, "/etc/ld.so.preload") ==
	    NULL);
	CHECK_INT(count(&fd, "tmp"), 4);
	CHECK_INT(count(&fd, "rootkit_files"), 2);
	found_free(&fd);

	/* Without a list, rootkit_files fails (an error finding) and the
	 * others run. */
	rootcheck_list_release(c.list);
	free(c.list);
	c.list = NULL;
	free(c.rootkit_list);
	snprintf(p, sizeof(p), "%s/missing-list.txt", tmp);
	c.rootkit_list = strdup(p);
	CHECK_INT(rootcheck_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(sum.check[ROOTCHECK_ROOTKIT_FILES].state, AUDIT_ST_FAILED);
	o = find(&fd, "rootkit_files", "error", NULL);
	CHECK(o != NULL && strstr(sget(o, "text"), "missing-list.txt") !=
	    NULL);
	CHECK_INT(sum.check[ROOTCHECK_TMP].state, AUDIT_ST_RAN);
	found_free(&fd);
	rootcheck_conf_release(&c);
}

TEST(clean_root)
{
	struct rootcheck_summary sum;
	struct rootcheck_conf c;
	struct found fd;

	rm_rf(tmp);
	mkdir(tmp, 0700);
	mkdirs("root/tmp/.X11-unix");
	mkdirs("root/var/tmp/systemd-private-x");
	mkdirs("root/dev/shm");
	mkdirs("root/dev/pts");
	put("root/dev/shm/sem.x", "", 0600);
	put("root/tmp/notes.txt", "text\n", 0644);
	put("root/proc/modules", "ext4 1 2 - Live 0x0\n", 0444);
	put("root/sys/module/ext4/initstate", "live\n", 0444);
	mkdirs("root/sys/module/kernel/parameters");
	conf_for(&c);
	memset(&fd, 0, sizeof(fd));
	CHECK_INT(rootcheck_run(&c, collect, &fd, &sum), 0);
	CHECK_INT(fd.n, 0);
	CHECK_INT(sum.findings, 0);
	if (fd.n > 0)
		dump(&fd);
	CHECK_INT(sum.check[ROOTCHECK_MODULES].state, AUDIT_ST_RAN);
	CHECK_INT(sum.check[ROOTCHECK_DEV].state, AUDIT_ST_RAN);
	found_free(&fd);
	rootcheck_conf_release(&c);
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/mamori-test-rootcheck.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(list_parse);
	RUN(list_errors);
	RUN(list_bundled);
	RUN(conf);
	RUN(hidden_pids);
	RUN(fake_root);
	RUN(clean_root);
	rm_rf(tmp);
	return test_summary();
}
