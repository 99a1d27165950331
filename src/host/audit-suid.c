/*
 * audit-suid.c - set-uid and set-gid executables against a baseline.
 *
 * A set-uid root program is the classic backdoor (a copy of a shell,
 * or `chmod u+s` on find, vim or python) and a replaced one (a
 * trojaned passwd or su) the classic trojan.  dpkg records which
 * package owns a file and its MD5, but not its mode, so the baseline is:
 *
 *   1. the set-id executables Debian's packages ship (the table below,
 *      written from Debian 11 to 13), each allowed only with the bits
 *      Debian gives it, and only with the content its package shipped
 *      (the MD5 in /var/lib/dpkg/info/PKG.md5sums);
 *   2. modes the administrator declared to dpkg (dpkg-statoverride,
 *      /var/lib/dpkg/statoverride);
 *   3. the paths the configuration allows (audit.suid.allow, and
 *      audit.suid.allow_file, one path or pattern a line).
 *
 * Anything else is a finding; a Debian set-id name whose content
 * differs from its package's is a critical one.  The walk covers local
 * filesystems from "/" by default (a set-uid shell is as dangerous in
 * /dev/shm as in /usr/bin).  merged-/usr systems and older ones name
 * the same file /bin/su and /usr/bin/su: both are compared in their
 * /usr form.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "host/audit.h"

#define U	S_ISUID
#define G	S_ISGID

/* What Debian's packages ship set-uid (U) or set-gid (G), in the /usr
 * form; '*' is one path component (the multiarch triplet). */
static const struct {
	const char	*path;
	unsigned	 bits;
	const char	*package;
} debian[] = {
	{ "/usr/bin/passwd", U, "passwd" },
	{ "/usr/bin/chfn", U, "passwd" },
	{ "/usr/bin/chsh", U, "passwd" },
	{ "/usr/bin/gpasswd", U, "passwd" },
	{ "/usr/bin/newgrp", U, "login" },
	{ "/usr/bin/chage", G, "passwd" },
	{ "/usr/bin/expiry", G, "passwd" },
	{ "/usr/bin/su", U, "util-linux" },
	{ "/usr/bin/mount", U, "mount" },
	{ "/usr/bin/umount", U, "mount" },
	{ "/usr/sbin/unix_chkpwd", G, "libpam-modules-bin" },
	{ "/usr/bin/sudo", U, "sudo" },
	{ "/usr/bin/sudoedit", U, "sudo" },
	{ "/usr/bin/doas", U, "opendoas" },
	{ "/usr/bin/pkexec", U, "pkexec" },
	{ "/usr/lib/polkit-1/polkit-agent-helper-1", U, "polkitd" },
	{ "/usr/lib/policykit-1/polkit-agent-helper-1", U, "policykit-1" },
	{ "/usr/lib/dbus-1.0/dbus-daemon-launch-helper", U, "dbus" },
	{ "/usr/lib/openssh/ssh-keysign", U, "openssh-client" },
	{ "/usr/bin/ssh-agent", G, "openssh-client" },
	{ "/usr/lib/*/utempter/utempter", G, "libutempter0" },
	{ "/usr/lib/utempter/utempter", G, "libutempter0" },
	{ "/usr/bin/crontab", G, "cron" },
	{ "/usr/bin/at", U, "at" },
	{ "/usr/bin/wall", G, "bsdutils" },
	{ "/usr/bin/write", G, "bsdextrautils" },
	{ "/usr/bin/bsd-write", G, "bsdmainutils" },
	{ "/usr/bin/mlocate", G, "mlocate" },
	{ "/usr/bin/plocate", G, "plocate" },
	{ "/usr/bin/dotlockfile", G, "liblockfile-bin" },
	{ "/usr/bin/dotlock.mailutils", G, "mailutils" },
	{ "/usr/bin/lockfile", G, "procmail" },
	{ "/usr/bin/procmail", U | G, "procmail" },
	{ "/usr/bin/screen", G, "screen" },
	{ "/usr/sbin/exim4", U, "exim4-daemon-light" },
	{ "/usr/sbin/postdrop", G, "postfix" },
	{ "/usr/sbin/postqueue", G, "postfix" },
	{ "/usr/lib/sm.bin/sendmail", G, "sendmail-bin" },
	{ "/usr/lib/sm.bin/mailstats", G, "sendmail-bin" },
	{ "/usr/bin/fusermount", U, "fuse" },
	{ "/usr/bin/fusermount3", U, "fuse3" },
	{ "/usr/bin/ntfs-3g", U, "ntfs-3g" },
	{ "/usr/bin/newuidmap", U, "uidmap" },
	{ "/usr/bin/newgidmap", U, "uidmap" },
	{ "/usr/bin/bwrap", U, "bubblewrap" },
	{ "/usr/bin/firejail", U, "firejail" },
	{ "/usr/bin/ksu", U, "krb5-user" },
	{ "/usr/bin/ping", U, "iputils-ping" },
	{ "/usr/bin/ping6", U, "iputils-ping" },
	{ "/usr/bin/traceroute6.iputils", U, "iputils-tracepath" },
	{ "/usr/sbin/mount.nfs", U, "nfs-common" },
	{ "/usr/sbin/mount.cifs", U, "cifs-utils" },
	{ "/usr/sbin/mount.ecryptfs_private", U, "ecryptfs-utils" },
	{ "/usr/sbin/pppd", U, "ppp" },
	{ "/usr/lib/xorg/Xorg.wrap", U, "xserver-xorg-legacy" },
	{ "/usr/lib/chromium/chrome-sandbox", U, "chromium-sandbox" },
	{ "/usr/lib/eject/dmcrypt-get-device", U, "eject" },
	{ "/usr/lib/snapd/snap-confine", U, "snapd" },
	{ "/usr/lib/qemu/qemu-bridge-helper", U, "qemu-system-common" },
	{ "/usr/lib/spice-gtk/spice-client-glib-usb-acl-helper", U,
	    "spice-client-glib-usb-acl-helper" },
	{ "/usr/lib/*/lxc/lxc-user-nic", U, "lxc" },
	{ "/usr/libexec/lxc/lxc-user-nic", U, "lxc" },
	{ "/usr/lib/pt_chown", U, "libc-bin" },
	{ "/usr/lib/*/libexec/kf5/kdesud", G, "kdesu" },
	{ "/usr/lib/*/libexec/kf6/kdesud", G, "kdesu" },
	{ "/usr/bin/X", U, "xserver-xorg-legacy" },
	{ "/usr/bin/vmware-user-suid-wrapper", U, "open-vm-tools-desktop" },
	{ "/usr/sbin/vlock-main", G, "vlock" },
	{ "/usr/bin/nvidia-modprobe", U, "nvidia-modprobe" },
	{ "/usr/lib/virtualbox/VBoxHeadless", U, "virtualbox" },
	{ "/usr/lib/virtualbox/VBoxNetAdpCtl", U, "virtualbox" },
	{ "/usr/lib/virtualbox/VBoxNetDHCP", U, "virtualbox" },
	{ "/usr/lib/virtualbox/VBoxNetNAT", U, "virtualbox" },
	{ "/usr/lib/virtualbox/VBoxSDL", U, "virtualbox" },
	{ "/usr/lib/virtualbox/VirtualBoxVM", U, "virtualbox" },
	{ "/usr/bin/Xorg", U, "xserver-xorg-legacy" },
	{ "/usr/sbin/uuidd", U | G, "uuid-runtime" },
	{ "/usr/bin/rsh-redone-rlogin", U, "rsh-redone-client" },
	{ "/usr/bin/rsh-redone-rsh", U, "rsh-redone-client" },
	{ "/usr/bin/kismet_cap_linux_wifi", U, "kismet" },
	{ "/usr/bin/mtr-packet", U, "mtr" },
	{ "/usr/bin/tcptraceroute.mt", U, "mtr" },
	{ "/usr/bin/staprun", U, "systemtap-runtime" },
	{ "/usr/bin/Xvnc", U, "tigervnc-standalone-server" },
};

struct suid_ent {
	char		*path;		/* inside the root */
	char		*canon;		/* /usr form */
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
	char		 md5[33];	/* "" when it could not be read */
	char		*package;	/* owning package, or NULL */
	char		 pkgmd5[33];
};

struct suid_run {
	struct suid_ent	*v;
	size_t		 n;
	size_t		 cap;
};

/* "/bin/x" and "/usr/bin/x" as "/usr/bin/x", for merged and unmerged
 * /usr alike. */
static char *
canon(const char *path)
{
	static const char *const top[] = { "/bin/", "/sbin/", "/lib/",
	    "/lib32/", "/lib64/", "/libx32/" };
	char *s;
	size_t i;

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (strncmp(path, top[i], strlen(top[i])) == 0) {
			if (asprintf(&s, "/usr%s", path) < 0)
				return NULL;
			return s;
		}
	return strdup(path);
}

static unsigned
setid_bits(mode_t m)
{
	unsigned b = 0;

	if (m & S_ISUID)
		b |= U;
	if ((m & S_ISGID) && (m & S_IXGRP))
		b |= G;
	return b;
}

static void
md5_file(int dirfd, const char *name, char *out)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	struct stat st;
	ssize_t n;
	int fd, ok = 1;

	out[0] = '\0';
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC | O_NOATIME)) < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		close(fd);
		return;
	}
	if (EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
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
	if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16)
		for (i = 0; i < mdlen; i++)
			snprintf(out + i * 2, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	close(fd);
}

static int
suid_visit(struct audit_ctx *c, const struct audit_walk_ent *e, void *arg)
{
	struct suid_run *run = arg;
	struct suid_ent *v;
	mode_t m = e->st->st_mode;

	(void)c;
	if (!S_ISREG(m) || setid_bits(m) == 0 ||
	    !(m & (S_IXUSR | S_IXGRP | S_IXOTH)))
		return 0;
	if (run->n == run->cap) {
		size_t ncap = run->cap ? run->cap * 2 : 64;

		if ((v = realloc(run->v, ncap * sizeof(*v))) == NULL)
			return MAMORI_ENOMEM;
		run->v = v;
		run->cap = ncap;
	}
	v = &run->v[run->n];
	memset(v, 0, sizeof(*v));
	if ((v->path = strdup(e->path)) == NULL ||
	    (v->canon = canon(e->path)) == NULL) {
		free(v->path);
		return MAMORI_ENOMEM;
	}
	v->mode = m;
	v->uid = e->st->st_uid;
	v->gid = e->st->st_gid;
	md5_file(e->dirfd, e->name, v->md5);
	run->n++;
	return 0;
}

/*
 * Reads every *.md5sums of the dpkg database and notes, for each entry
 * of run, its package and MD5.  Returns 0, MAMORI_ENOTFOUND without a
 * dpkg database, or MAMORI_ENOMEM.
 */
static int
dpkg_owners(struct audit_ctx *c, struct suid_run *run)
{
	struct dirent *de;
	char *buf, *line, *end, *e, *p, path[4200], *cp;
	size_t len, nl, i;
	DIR *d;
	int dfd, fd, r = 0;

	if ((dfd = audit_open(c, "/var/lib/dpkg/info", O_RDONLY |
	    O_DIRECTORY)) < 0)
		return MAMORI_ENOTFOUND;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return MAMORI_ENOTFOUND;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl <= 8 || strcmp(de->d_name + nl - 8, ".md5sums") != 0)
			continue;
		snprintf(path, sizeof(path), "/var/lib/dpkg/info/%s",
		    de->d_name);
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0)
			continue;
		close(fd);
		if (audit_read(c, path, 64u << 20, &buf, &len) != 0)
			continue;
		for (line = buf, end = buf + len; line < end; line = e < end ? e + 1 : end) {
			if ((e = memchr(line, '\n', (size_t)(end - line))) ==
			    NULL)
				e = end;
			if (e - line < 35 || line[32] != ' ')
				continue;
			for (p = line + 33; p < e && *p == ' '; p++)
				;
			if ((size_t)(e - p) + 2 > sizeof(path))
				continue;
			path[0] = '/';
			memcpy(path + 1, p, (size_t)(e - p));
			path[e - p + 1] = '\0';
			if ((cp = canon(path)) == NULL) {
				r = MAMORI_ENOMEM;
				break;
			}
			for (i = 0; i < run->n; i++) {
				if (strcmp(run->v[i].canon, cp) != 0 ||
				    run->v[i].package != NULL)
					continue;
				run->v[i].package = strndup(de->d_name,
				    nl - 8);
				if (run->v[i].package == NULL) {
					r = MAMORI_ENOMEM;
					break;
				}
				memcpy(run->v[i].pkgmd5, line, 32);
				run->v[i].pkgmd5[32] = '\0';
			}
			free(cp);
		}
		free(buf);
	}
	closedir(d);
	return r;
}

/* The set-id bits dpkg-statoverride declares for path, or -1. */
static int
statoverride(const char *text, const char *canonpath)
{
	const char *line, *e, *end;
	char user[128], group[128], path[4096], *cp;
	unsigned mode;
	int found = -1;

	if (text == NULL)
		return -1;
	end = text + strlen(text);
	for (line = text; line < end && found < 0; line = e < end ? e + 1 : end) {
		char one[4500];

		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		if ((size_t)(e - line) >= sizeof(one))
			continue;
		memcpy(one, line, (size_t)(e - line));
		one[e - line] = '\0';
		if (sscanf(one, "%127s %127s %o %4095s", user, group, &mode,
		    path) != 4)
			continue;
		if ((cp = canon(path)) == NULL)
			continue;
		if (strcmp(cp, canonpath) == 0)
			found = (int)setid_bits((mode_t)mode | S_IXGRP);
		free(cp);
	}
	return found;
}

static int
allowed_by(char **pats, const struct suid_ent *v)
{
	char **p;

	if (pats == NULL)
		return 0;
	for (p = pats; *p != NULL; p++)
		if (fnmatch(*p, v->path, FNM_PATHNAME) == 0 ||
		    fnmatch(*p, v->canon, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

/* The allow file: one path or pattern a line, '#' comments. */
static int
allowed_file(const char *text, const struct suid_ent *v)
{
	const char *line, *e, *end;
	char one[4096];
	size_t n;

	if (text == NULL)
		return 0;
	end = text + strlen(text);
	for (line = text; line < end; line = e < end ? e + 1 : end) {
		if ((e = memchr(line, '\n', (size_t)(end - line))) == NULL)
			e = end;
		while (line < e && (*line == ' ' || *line == '\t'))
			line++;
		n = (size_t)(e - line);
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
		    line[n - 1] == '\r'))
			n--;
		if (n == 0 || *line == '#' || n >= sizeof(one))
			continue;
		memcpy(one, line, n);
		one[n] = '\0';
		if (fnmatch(one, v->path, FNM_PATHNAME) == 0 ||
		    fnmatch(one, v->canon, FNM_PATHNAME) == 0)
			return 1;
	}
	return 0;
}

static int
debian_entry(const struct suid_ent *v)
{
	size_t i;

	for (i = 0; i < sizeof(debian) / sizeof(debian[0]); i++)
		if (fnmatch(debian[i].path, v->canon, FNM_PATHNAME) == 0)
			return (int)i;
	return -1;
}

static const char *
bits_name(unsigned b)
{
	return b == (U | G) ? "set-uid and set-gid" : b == U ? "set-uid" :
	    "set-gid";
}

static int
suid_report(struct audit_ctx *c, const struct suid_ent *v,
    const char *kind, int sev, const char *hint, const char *detail)
{
	char mode[8];
	json_t *x;
	int r;

	snprintf(mode, sizeof(mode), "%04o", (unsigned)(v->mode & 07777));
	x = json_pack("{s:o?, s:s, s:I, s:I}", "path",
	    audit_json_str(v->path, strlen(v->path)), "mode", mode,
	    "uid", (json_int_t)v->uid, "gid", (json_int_t)v->gid);
	if (x == NULL)
		return MAMORI_ENOMEM;
	if ((v->md5[0] != '\0' && json_object_set_new(x, "md5",
	    json_string(v->md5)) != 0) || (v->package != NULL &&
	    json_object_set_new(x, "package", audit_json_str(v->package,
	    strlen(v->package))) != 0)) {
		json_decref(x);
		return MAMORI_ENOMEM;
	}
	if (strcmp(kind, "unknown") == 0)
		r = audit_emitf(c, kind, sev, v->path, hint, x, "%s %s (mode "
		    "%s) is not in the baseline: %s",
		    bits_name(setid_bits(v->mode)), v->path, mode, detail);
	else
		r = audit_emitf(c, kind, sev, v->path, hint, x, "%s %s (mode "
		    "%s): %s", bits_name(setid_bits(v->mode)), v->path, mode,
		    detail);
	json_decref(x);
	return r;
}

int
audit_check_suid(struct audit_ctx *c, const struct audit_conf *conf)
{
	struct suid_run run;
	char *so = NULL, *af = NULL, detail[512];
	size_t i;
	int r, dpkg, k, sob;
	unsigned bits;

	memset(&run, 0, sizeof(run));
	if (conf->suid_allow_file != NULL &&
	    (r = file_read_all(conf->suid_allow_file, 16u << 20, &af,
	    NULL)) != 0) {
		if (r == MAMORI_ENOMEM)
			return r;
		return audit_fail(c, "cannot read audit.suid.allow_file %s: "
		    "%s", conf->suid_allow_file, r == MAMORI_ESYS ?
		    strerror(errno) : mamori_strerror(r));
	}
	r = audit_walk(c, conf->suid_paths, conf->suid_exclude,
	    conf->suid_network ? AUDIT_WALK_NETWORK : 0, suid_visit, &run);
	if (r != 0)
		goto out;
	r = dpkg_owners(c, &run);
	dpkg = r == 0;
	if (r == MAMORI_ENOMEM)
		goto out;
	r = 0;
	(void)audit_read(c, "/var/lib/dpkg/statoverride", 16u << 20, &so,
	    NULL);
	for (i = 0; r == 0 && i < run.n; i++) {
		const struct suid_ent *v = &run.v[i];

		bits = setid_bits(v->mode);
		if (allowed_by(conf->suid_allow, v) || allowed_file(af, v))
			continue;
		if ((sob = statoverride(so, v->canon)) >= 0 &&
		    (bits & ~(unsigned)sob) == 0)
			continue;
		k = conf->suid_debian ? debian_entry(v) : -1;
		if (k >= 0 && (bits & ~debian[k].bits) == 0) {
			if (!dpkg)
				continue;
			if (v->package != NULL &&
			    strcmp(v->md5, v->pkgmd5) == 0)
				continue;
			if (v->package != NULL) {
				snprintf(detail, sizeof(detail), "its content "
				    "(MD5 %s) is not what package %s "
				    "installed (MD5 %s)", v->md5[0] ? v->md5 :
				    "unreadable", v->package, v->pkgmd5);
				r = suid_report(c, v, "modified",
				    AUDIT_SEV_CRITICAL, "treat the host as "
				    "compromised: a replaced set-id program "
				    "is a trojan; keep a copy for analysis, "
				    "then reinstall the package (apt install "
				    "--reinstall)", detail);
			} else {
				snprintf(detail, sizeof(detail), "Debian's %s "
				    "package ships this name, but no "
				    "installed package owns the file",
				    debian[k].package);
				r = suid_report(c, v, "unpackaged",
				    AUDIT_SEV_HIGH, "find out where it came "
				    "from; remove it or its set-id bits (chmod "
				    "ug-s) unless you installed it yourself, "
				    "then allow it in audit.suid.allow",
				    detail);
			}
			continue;
		}
		if (k >= 0)
			snprintf(detail, sizeof(detail), "Debian ships it %s "
			    "only", bits_name(debian[k].bits));
		else if (v->package != NULL && strcmp(v->md5, v->pkgmd5) == 0)
			snprintf(detail, sizeof(detail), "it belongs to "
			    "package %s (content as shipped), which does not "
			    "make it set-id: its mode was changed",
			    v->package);
		else if (v->package != NULL)
			snprintf(detail, sizeof(detail), "it belongs to "
			    "package %s but its content differs from what the "
			    "package installed", v->package);
		else
			snprintf(detail, sizeof(detail), "%s",
			    dpkg ? "no package owns it" : "not in the "
			    "baseline");
		r = suid_report(c, v, "unknown", AUDIT_SEV_HIGH,
		    "if you did not make it so, treat it as a backdoor: keep "
		    "a copy, then chmod ug-s it (or delete it); if it is "
		    "meant, add it to audit.suid.allow", detail);
	}
	if (r == 0 && !dpkg && conf->suid_debian)
		audit_note(c, "no dpkg database: Debian's set-id files were "
		    "allowed without checking their content");
 out:
	for (i = 0; i < run.n; i++) {
		free(run.v[i].path);
		free(run.v[i].canon);
		free(run.v[i].package);
	}
	free(run.v);
	free(so);
	free(af);
	return r;
}
