/*
 * rootcheck-tmp.c - executables where programs do not belong.
 *
 * Droppers, miners and botnets write their programs where anyone may
 * write: /tmp, /var/tmp and /dev/shm (Kinsing's kdevtmpfsi, Outlaw's
 * /tmp/.X25-unix/.rsync, Mirai's copies).  A regular file there is an
 * executable when it has an execute bit or starts with the ELF magic
 * (a binary waiting to be run through ld.so, or copied with its mode
 * lost).  Names made only of dots and spaces ("...", ". ") are the old
 * hiding places and are reported too.
 *
 * /dev holds device nodes, symbolic links and directories (devtmpfs);
 * a regular file there is the classic rootkit hiding place (t0rn's and
 * LRK's configuration files, Lion's /dev/.lib) and is reported whatever
 * it holds.  Only /dev's own filesystem is walked: /dev/shm, /dev/pts,
 * /dev/mqueue and /dev/hugepages are other filesystems (the first is
 * the tmp check's).  Each executable's SHA-256 (up to 64 MiB) goes with
 * the finding, for a responder to look up.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "host/rootcheck.h"

#define HASH_MAX	(64u << 20)

/* Opens the entry for reading, checked to be the file walked. */
static int
open_entry(const struct audit_walk_ent *e)
{
	struct stat st;
	int fd, fl = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC;

	if ((fd = openat(e->dirfd, e->name, fl | O_NOATIME)) < 0 &&
	    errno == EPERM)
		fd = openat(e->dirfd, e->name, fl);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != e->st->st_ino || st.st_dev != e->st->st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file's SHA-256 in hex (from offset 0), or "" past HASH_MAX. */
static void
sha256_fd(int fd, off_t size, char *out)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int ok = 1;

	out[0] = '\0';
	if (size > (off_t)HASH_MAX || lseek(fd, 0, SEEK_SET) != 0 ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		ok = 0;
	while (ok && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ok = 0;
			break;
		}
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			ok = 0;
	}
	if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1)
		for (i = 0; i < mdlen; i++)
			snprintf(out + i * 2, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
}

/* "...", ". ", ".. ": names of dots and spaces only (not . and ..). */
static int
dotty(const char *name)
{
	const char *p;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (*p != '.' && *p != ' ')
			return 0;
	return 1;
}

static int
dotty_report(struct audit_ctx *c, const struct audit_walk_ent *e)
{
	json_t *x;
	int r;

	x = json_pack("{s:o?, s:s}", "path", audit_json_str(e->path,
	    strlen(e->path)), "type", S_ISDIR(e->st->st_mode) ? "directory" :
	    "file");
	if (x == NULL)
		return MAMORI_ENOMEM;
	r = audit_emitf(c, "hidden_name", AUDIT_SEV_MEDIUM, e->path,
	    "look inside (ls -la with quotes: ls -Q) and find who made it; "
	    "intruders keep their tools under such names", x, "%s has a "
	    "name of dots and spaces only, made to be overlooked", e->path);
	json_decref(x);
	return r;
}

static int
file_report(struct audit_ctx *c, const struct audit_walk_ent *e,
    const char *kind, int sev, int elf, int fd, const char *text,
    const char *hint)
{
	char mode[8], hash[65];
	json_t *x;
	int r;

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(e->st->st_mode &
	    07777));
	hash[0] = '\0';
	if (fd >= 0)
		sha256_fd(fd, e->st->st_size, hash);
	x = json_pack("{s:o?, s:s, s:I, s:I, s:b}", "path",
	    audit_json_str(e->path, strlen(e->path)), "mode", mode, "uid",
	    (json_int_t)e->st->st_uid, "size", (json_int_t)e->st->st_size,
	    "elf", elf);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (hash[0] != '\0')
		json_object_set_new(x, "sha256", json_string(hash));
	r = audit_emitf(c, kind, sev, e->path, hint, x, "%s", text);
	json_decref(x);
	return r;
}

/* ELF type (e_type) of the header h[0..n), or 0 when not ELF. */
static int
elf_type(const unsigned char *h, ssize_t n)
{
	if (n < 18 || memcmp(h, "\177ELF", 4) != 0)
		return 0;
	return h[5] == 2 ? h[16] << 8 | h[17] : h[17] << 8 | h[16];
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && strcmp(s + n - k, suf) == 0;
}

static int
tmp_visit(struct audit_ctx *c, const struct audit_walk_ent *e, void *arg)
{
	unsigned char head[18];
	char text[1024], mode[8];
	const char *what, *kind = "executable";
	mode_t m = e->st->st_mode;
	int fd, et = 0, xbit, r, sev;
	ssize_t n = 0;

	(void)arg;
	if (e->depth > 0 && dotty(e->name) &&
	    (r = dotty_report(c, e)) != 0)
		return r;
	if (!S_ISREG(m))
		return 0;
	xbit = (m & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
	fd = e->st->st_size >= 18 ? open_entry(e) : -1;
	if (fd >= 0 && (n = read(fd, head, sizeof(head))) > 0)
		et = elf_type(head, n);
	/* ELF programs and shared objects (ET_EXEC 2, ET_DYN 3); kernel
	 * modules (ET_REL 1 named .ko); anything with an execute bit.
	 * Object files and core dumps are not programs. */
	if (et == 2 || et == 3) {
		what = et == 3 ? "an ELF program or shared library" :
		    "an ELF program";
		sev = AUDIT_SEV_MEDIUM;
	} else if (et == 1 && has_suffix(e->name, ".ko")) {
		what = "a kernel module";
		kind = "kernel_module";
		sev = AUDIT_SEV_HIGH;
	} else if (xbit) {
		what = "executable";
		sev = AUDIT_SEV_LOW;
	} else {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(m & 07777));
	snprintf(text, sizeof(text), "%s is %s (mode %s, uid %u, %lld "
	    "bytes)", e->path, what, mode, (unsigned)e->st->st_uid,
	    (long long)e->st->st_size);
	r = file_report(c, e, kind, sev, et != 0, fd, text,
	    strcmp(kind, "kernel_module") == 0 ? "find out who put it there "
	    "and whether it was loaded (dmesg, /sys/module); kernel modules "
	    "belong in /lib/modules; a rootkit's is often dropped in /tmp "
	    "first" : "find out who put it there and what runs it (ps, "
	    "crontab -l, systemctl list-timers); look up its SHA-256; delete "
	    "it if nobody should have; mount temporary directories noexec");
	if (fd >= 0)
		close(fd);
	return r;
}

int
rootcheck_check_tmp(struct audit_ctx *c, const struct rootcheck_conf *conf)
{
	return audit_walk(c, conf->tmp_paths, conf->tmp_ignore, 0, tmp_visit,
	    NULL);
}

static int
dev_visit(struct audit_ctx *c, const struct audit_walk_ent *e, void *arg)
{
	char text[1024];
	int fd, r;

	(void)arg;
	if (e->depth > 0 && dotty(e->name) &&
	    (r = dotty_report(c, e)) != 0)
		return r;
	if (!S_ISREG(e->st->st_mode))
		return 0;
	fd = open_entry(e);
	snprintf(text, sizeof(text), "%s is a regular file (%lld bytes): /dev "
	    "holds devices, and rootkits hide their files there", e->path,
	    (long long)e->st->st_size);
	r = file_report(c, e, "file", AUDIT_SEV_HIGH, 0, fd, text, "look at "
	    "it from a trusted system (it may be a rootkit's configuration "
	    "or log); if a program of yours writes it, allow it in "
	    "rootcheck.dev.allow");
	if (fd >= 0)
		close(fd);
	return r;
}

int
rootcheck_check_dev(struct audit_ctx *c, const struct rootcheck_conf *conf)
{
	/* Other filesystems on a running system (tmpfs, mqueue, hugetlbfs,
	 * devpts), left out by path too so that a mounted disk or a fake
	 * root is read the same way; /dev/shm is the tmp check's. */
	static const char *const others[] = { "/dev/shm", "/dev/mqueue",
	    "/dev/hugepages", "/dev/pts" };
	char *const paths[] = { "/dev", NULL };
	char **ex;
	size_t n = 0, i, k = 0;
	int r;

	while (conf->dev_allow != NULL && conf->dev_allow[n] != NULL)
		n++;
	if ((ex = calloc(n + 5, sizeof(*ex))) == NULL)
		return MAMORI_ENOMEM;
	for (i = 0; i < n; i++)
		ex[k++] = conf->dev_allow[i];
	for (i = 0; i < 4; i++)
		ex[k++] = (char *)others[i];
	r = audit_walk(c, paths, ex, AUDIT_WALK_XDEV, dev_visit, NULL);
	free(ex);
	return r;
}
