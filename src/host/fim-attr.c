/*
 * fim-attr.c - the attributes of one file system entry: reading them
 * (stat fields, digest, symlink target, POSIX ACLs through libacl,
 * extended attributes, SELinux label, file capabilities through libcap),
 * comparing two entries, and the canonical encoding the baseline digest
 * is computed over.
 *
 * Never follows a symlink: the caller gives an open descriptor of a
 * regular file or directory (opened O_NOFOLLOW), or for other types the
 * path, which is used only with the l*xattr calls.  One listxattr call
 * tells which of the ACL, capability and label attributes exist, so a
 * file without them costs no further system call: its ACL text is made
 * from its mode, as getfacl shows it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>
#include <sys/capability.h>

#include "core/error.h"
#include "host/fim-int.h"

struct fim_entry *
fim_entry_new(const char *path, size_t plen)
{
	struct fim_entry *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->path = malloc(plen + 1)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->path, path, plen);
	e->path[plen] = '\0';
	e->plen = plen;
	e->fd = -1;
	return e;
}

void
fim_entry_clear_values(struct fim_entry *e)
{
	free(e->target);
	free(e->acl);
	free(e->xattrs);
	free(e->selinux);
	free(e->caps);
	free(e->err);
	e->target = e->acl = e->selinux = e->caps = e->err = NULL;
	e->xattrs = NULL;
	e->tlen = e->xlen = 0;
	e->has_xattrs = 0;
	e->hlen = 0;
}

void
fim_entry_free(struct fim_entry *e)
{
	if (e == NULL)
		return;
	if (e->fd >= 0)
		close(e->fd);
	fim_entry_clear_values(e);
	free(e->path);
	free(e);
}

char
fim_type_of(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:	return 'f';
	case S_IFDIR:	return 'd';
	case S_IFLNK:	return 'l';
	case S_IFCHR:	return 'c';
	case S_IFBLK:	return 'b';
	case S_IFIFO:	return 'p';
	case S_IFSOCK:	return 's';
	}
	return '?';
}

const char *
fim_type_name(char t)
{
	switch (t) {
	case 'f':	return "file";
	case 'd':	return "directory";
	case 'l':	return "symlink";
	case 'c':	return "char";
	case 'b':	return "block";
	case 'p':	return "fifo";
	case 's':	return "socket";
	}
	return "unknown";
}

uint32_t
fim_attrs_for_type(char t)
{
	uint32_t a = FIM_A_TYPE | FIM_A_PERMS | FIM_A_UID | FIM_A_GID |
	    FIM_A_SIZE | FIM_A_MTIME | FIM_A_CTIME | FIM_A_INODE |
	    FIM_A_LINKS | FIM_A_XATTRS | FIM_A_SELINUX;

	switch (t) {
	case 'f':
		return a | FIM_A_HASH | FIM_A_ACL | FIM_A_CAPS;
	case 'l':
		return a | FIM_A_TARGET;
	default:
		return a | FIM_A_ACL;
	}
}

/* Appends "what: strerror" to e->err (several reasons are kept). */
static int
add_err(struct fim_entry *e, const char *what, int errnum)
{
	char *s;
	int n;

	if (e->err == NULL)
		n = asprintf(&s, "%s: %s", what, strerror(errnum));
	else
		n = asprintf(&s, "%s; %s: %s", e->err, what, strerror(errnum));
	if (n < 0)
		return MAMORI_ENOMEM;
	free(e->err);
	e->err = s;
	return 0;
}

/* ---- Extended attributes ---- */

struct xa {
	char		*name;
	uint8_t		*val;
	size_t		 vlen;
};

static int
xa_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xa *)a)->name,
	    ((const struct xa *)b)->name);
}

static ssize_t
do_list(int fd, const char *path, char *buf, size_t len)
{
	return fd >= 0 ? flistxattr(fd, buf, len) :
	    llistxattr(path, buf, len);
}

static ssize_t
do_get(int fd, const char *path, const char *name, void *buf, size_t len)
{
	return fd >= 0 ? fgetxattr(fd, name, buf, len) :
	    lgetxattr(path, name, buf, len);
}

/* The value of one attribute, malloc'ed; NULL with *gone for ENODATA. */
static uint8_t *
get_value(int fd, const char *path, const char *name, size_t *vlen,
    int *errnum)
{
	uint8_t *v = NULL, *nv;
	ssize_t n;
	size_t cap = 256;

	*errnum = 0;
	for (;;) {
		if ((nv = realloc(v, cap)) == NULL) {
			free(v);
			*errnum = ENOMEM;
			return NULL;
		}
		v = nv;
		n = do_get(fd, path, name, v, cap);
		if (n >= 0) {
			*vlen = (size_t)n;
			return v;
		}
		if (errno != ERANGE || cap >= (1u << 20)) {
			*errnum = errno;
			free(v);
			return NULL;
		}
		cap *= 4;
	}
}

/* Serialises xs[0..n) (sorted) into the canonical blob. */
static int
xa_blob(struct xa *xs, size_t n, uint8_t **out, size_t *outlen)
{
	size_t i, len = 0, nl;
	uint8_t *b, *p;

	for (i = 0; i < n; i++)
		len += strlen(xs[i].name) + 1 + 4 + xs[i].vlen;
	if ((b = malloc(len + 1)) == NULL)
		return MAMORI_ENOMEM;
	p = b;
	for (i = 0; i < n; i++) {
		nl = strlen(xs[i].name) + 1;
		memcpy(p, xs[i].name, nl);
		p += nl;
		p[0] = (uint8_t)xs[i].vlen;
		p[1] = (uint8_t)(xs[i].vlen >> 8);
		p[2] = (uint8_t)(xs[i].vlen >> 16);
		p[3] = (uint8_t)(xs[i].vlen >> 24);
		p += 4;
		if (xs[i].vlen > 0)
			memcpy(p, xs[i].val, xs[i].vlen);
		p += xs[i].vlen;
	}
	*out = b;
	*outlen = len;
	return 0;
}

int
fim_xattrs_each(const uint8_t *blob, size_t len, fim_xattr_fn fn, void *arg)
{
	const uint8_t *p = blob, *end = blob + len, *z;
	size_t vl;
	int r;

	while (p < end) {
		if ((z = memchr(p, '\0', (size_t)(end - p))) == NULL ||
		    (size_t)(end - z - 1) < 4)
			return MAMORI_ECORRUPT;
		vl = (size_t)z[1] | (size_t)z[2] << 8 | (size_t)z[3] << 16 |
		    (size_t)z[4] << 24;
		if (vl > (size_t)(end - z - 5))
			return MAMORI_ECORRUPT;
		if ((r = fn(arg, (const char *)p, z + 5, vl)) != 0)
			return r;
		p = z + 5 + vl;
	}
	return 0;
}

struct xinfo {
	int	acl_access, acl_default, cap;
};

/* Lists and reads the extended attributes; fills the xattrs blob and
 * the SELinux label when wanted, and says which special ones exist. */
static int
read_xattrs(struct fim_entry *e, int fd, uint32_t need, struct xinfo *xi)
{
	char stackbuf[1024], *list = stackbuf, *p, *nl;
	struct xa *xs = NULL;
	size_t nxs = 0, cap = 0, i;
	ssize_t n;
	int errnum, r = 0;
	uint8_t *v;
	size_t vlen;

	memset(xi, 0, sizeof(*xi));
	n = do_list(fd, e->path, list, sizeof(stackbuf));
	if (n < 0 && errno == ERANGE) {
		n = do_list(fd, e->path, NULL, 0);
		if (n >= 0) {
			if ((list = malloc((size_t)n + 1)) == NULL)
				return MAMORI_ENOMEM;
			n = do_list(fd, e->path, list, (size_t)n);
		}
	}
	if (n < 0) {
		errnum = errno;
		if (list != stackbuf)
			free(list);
		if (errnum == ENOTSUP || errnum == ENOSYS) {
			n = 0;
			list = stackbuf;
		} else {
			/* Unknown: leave xattrs and label absent. */
			return add_err(e, "listxattr", errnum);
		}
	}
	for (p = list; p < list + n; p = nl + 1) {
		if ((nl = memchr(p, '\0', (size_t)(list + n - p))) == NULL)
			break;
		if (strcmp(p, "system.posix_acl_access") == 0)
			xi->acl_access = 1;
		else if (strcmp(p, "system.posix_acl_default") == 0)
			xi->acl_default = 1;
		else if (strcmp(p, "security.capability") == 0)
			xi->cap = 1;
		if (strncmp(p, "system.", 7) == 0)
			continue;	/* ACLs have their own attribute */
		if (!(need & FIM_A_XATTRS) && !((need & FIM_A_SELINUX) &&
		    strcmp(p, "security.selinux") == 0))
			continue;
		v = get_value(fd, e->path, p, &vlen, &errnum);
		if (v == NULL) {
			if (errnum == ENODATA)
				continue;	/* removed meanwhile */
			if (errnum == ENOMEM) {
				r = MAMORI_ENOMEM;
				goto out;
			}
			if ((r = add_err(e, p, errnum)) != 0)
				goto out;
			continue;
		}
		if (nxs == cap) {
			struct xa *nx;

			cap = cap ? cap * 2 : 8;
			if ((nx = realloc(xs, cap * sizeof(*xs))) == NULL) {
				free(v);
				r = MAMORI_ENOMEM;
				goto out;
			}
			xs = nx;
		}
		xs[nxs].name = p;
		xs[nxs].val = v;
		xs[nxs].vlen = vlen;
		nxs++;
	}
	if (need & FIM_A_SELINUX) {
		for (i = 0; i < nxs; i++)
			if (strcmp(xs[i].name, "security.selinux") == 0)
				break;
		if (i < nxs) {
			vlen = xs[i].vlen;
			while (vlen > 0 && xs[i].val[vlen - 1] == '\0')
				vlen--;
			if ((e->selinux = strndup((const char *)xs[i].val,
			    vlen)) == NULL) {
				r = MAMORI_ENOMEM;
				goto out;
			}
		}	/* else unlabelled: absent */
	}
	if (need & FIM_A_XATTRS) {
		if (nxs > 1)
			qsort(xs, nxs, sizeof(*xs), xa_cmp);
		if ((r = xa_blob(xs, nxs, &e->xattrs, &e->xlen)) != 0)
			goto out;
		e->has_xattrs = 1;
	}
 out:
	for (i = 0; i < nxs; i++)
		free(xs[i].val);
	free(xs);
	if (list != stackbuf)
		free(list);
	return r;
}

/* ---- ACL ---- */

static char *
acl_text(acl_t acl, const char *prefix)
{
	char *t, *s;

	if ((t = acl_to_any_text(acl, prefix, ',', TEXT_ABBREVIATE |
	    TEXT_NUMERIC_IDS)) == NULL)
		return NULL;
	s = strdup(t);
	acl_free(t);
	return s;
}

static int
read_acl(struct fim_entry *e, const struct stat *st, int fd,
    const struct xinfo *xi)
{
	acl_t a = NULL, d = NULL;
	char *at = NULL, *dt = NULL;
	int r = 0;

	if (xi->acl_access) {
		a = fd >= 0 ? acl_get_fd(fd) :
		    acl_get_file(e->path, ACL_TYPE_ACCESS);
		if (a == NULL)
			return errno == ENOMEM ? MAMORI_ENOMEM :
			    add_err(e, "acl", errno);
	} else if ((a = acl_from_mode(st->st_mode)) == NULL)
		return MAMORI_ENOMEM;
	if ((at = acl_text(a, NULL)) == NULL) {
		r = MAMORI_ENOMEM;
		goto out;
	}
	if (S_ISDIR(st->st_mode) && xi->acl_default) {
		/* No acl_get_fd for the default ACL: the path, through the
		 * descriptor when there is one. */
		char p[64];

		if (fd >= 0)
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		d = acl_get_file(fd >= 0 ? p : e->path, ACL_TYPE_DEFAULT);
		if (d == NULL) {
			r = add_err(e, "default acl", errno);
			free(at);
			goto out;
		}
		if (acl_entries(d) > 0) {
			if ((dt = acl_text(d, "d:")) == NULL) {
				r = MAMORI_ENOMEM;
				free(at);
				goto out;
			}
			if (asprintf(&e->acl, "%s,%s", at, dt) < 0) {
				e->acl = NULL;
				r = MAMORI_ENOMEM;
			}
			free(at);
			free(dt);
			goto out;
		}
	}
	e->acl = at;
 out:
	if (a != NULL)
		acl_free(a);
	if (d != NULL)
		acl_free(d);
	return r;
}

static int
read_caps(struct fim_entry *e, int fd, const struct xinfo *xi)
{
	cap_t c;
	char *t;

	if (!xi->cap)
		return 0;	/* none: absent, as for other types */
	c = fd >= 0 ? cap_get_fd(fd) : cap_get_file(e->path);
	if (c == NULL)
		return add_err(e, "capabilities", errno);
	t = cap_to_text(c, NULL);
	cap_free(c);
	if (t == NULL)
		return MAMORI_ENOMEM;
	e->caps = strdup(t);
	cap_free(t);
	return e->caps == NULL ? MAMORI_ENOMEM : 0;
}

static int
read_target(struct fim_entry *e, const struct stat *st)
{
	size_t cap = st->st_size > 0 && st->st_size < 65536 ?
	    (size_t)st->st_size + 1 : 256;
	ssize_t n;
	char *b;

	for (;;) {
		if ((b = malloc(cap)) == NULL)
			return MAMORI_ENOMEM;
		if ((n = readlink(e->path, b, cap)) < 0) {
			free(b);
			return add_err(e, "readlink", errno);
		}
		if ((size_t)n < cap)
			break;
		free(b);
		if (cap >= 65536)
			return add_err(e, "readlink", ENAMETOOLONG);
		cap *= 4;
	}
	b[n] = '\0';
	e->target = b;
	e->tlen = (size_t)n;
	return 0;
}

static int
read_hash(struct fim_entry *e, int fd, const EVP_MD *md, EVP_MD_CTX *ctx,
    uint8_t *buf, size_t buflen)
{
	unsigned int len = 0;
	ssize_t n;

	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		return MAMORI_ENOMEM;
#ifdef POSIX_FADV_SEQUENTIAL
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	for (;;) {
		n = read(fd, buf, buflen);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return add_err(e, "read", errno);
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	if (EVP_DigestFinal_ex(ctx, e->hash, &len) != 1 || len > FIM_HASH_MAX)
		return MAMORI_ENOMEM;
	e->hlen = (uint8_t)len;
	return 0;
}

int
fim_attr_collect(struct fim_entry *e, const struct stat *st, int fd,
    const EVP_MD *md, EVP_MD_CTX *ctx, uint8_t *buf, size_t buflen)
{
	uint32_t need;
	struct xinfo xi;
	int r;

	e->type = fim_type_of(st->st_mode);
	e->perms = (uint32_t)(st->st_mode & 07777);
	e->uid = (uint32_t)st->st_uid;
	e->gid = (uint32_t)st->st_gid;
	e->size = (uint64_t)st->st_size;
	e->ino = (uint64_t)st->st_ino;
	e->nlink = (uint64_t)st->st_nlink;
	e->mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	e->ctime = (int64_t)st->st_ctim.tv_sec * 1000000000 +
	    st->st_ctim.tv_nsec;
	e->dev = (uint64_t)st->st_dev;
	need = e->attrs & fim_attrs_for_type(e->type);
	if ((need & FIM_A_TARGET) && (r = read_target(e, st)) != 0)
		return r;
	memset(&xi, 0, sizeof(xi));
	if ((need & (FIM_A_XATTRS | FIM_A_SELINUX | FIM_A_ACL |
	    FIM_A_CAPS)) && (r = read_xattrs(e, fd, need, &xi)) != 0)
		return r;
	if ((need & FIM_A_ACL) && (r = read_acl(e, st, fd, &xi)) != 0)
		return r;
	if ((need & FIM_A_CAPS) && (r = read_caps(e, fd, &xi)) != 0)
		return r;
	if (need & FIM_A_HASH) {
		if (fd < 0)
			return 0;	/* the opener recorded why */
		if ((r = read_hash(e, fd, md, ctx, buf, buflen)) != 0)
			return r;
	}
	return 0;
}

/* ---- Comparing ---- */

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

uint32_t
fim_entry_diff(const struct fim_entry *a, const struct fim_entry *b)
{
	uint32_t m = a->attrs & b->attrs, d = 0;

	if ((m & FIM_A_TYPE) && a->type != b->type)
		d |= FIM_A_TYPE;
	if ((m & FIM_A_PERMS) && a->perms != b->perms)
		d |= FIM_A_PERMS;
	if ((m & FIM_A_UID) && a->uid != b->uid)
		d |= FIM_A_UID;
	if ((m & FIM_A_GID) && a->gid != b->gid)
		d |= FIM_A_GID;
	if ((m & FIM_A_SIZE) && a->size != b->size)
		d |= FIM_A_SIZE;
	if ((m & FIM_A_MTIME) && a->mtime != b->mtime)
		d |= FIM_A_MTIME;
	if ((m & FIM_A_CTIME) && a->ctime != b->ctime)
		d |= FIM_A_CTIME;
	if ((m & FIM_A_INODE) && a->ino != b->ino)
		d |= FIM_A_INODE;
	if ((m & FIM_A_LINKS) && a->nlink != b->nlink)
		d |= FIM_A_LINKS;
	if ((m & FIM_A_TARGET) && ((a->target == NULL) != (b->target ==
	    NULL) || a->tlen != b->tlen || (a->tlen > 0 &&
	    memcmp(a->target, b->target, a->tlen) != 0)))
		d |= FIM_A_TARGET;
	if ((m & FIM_A_HASH) && (a->hlen != b->hlen ||
	    memcmp(a->hash, b->hash, a->hlen) != 0))
		d |= FIM_A_HASH;
	if ((m & FIM_A_ACL) && str_differ(a->acl, b->acl))
		d |= FIM_A_ACL;
	if ((m & FIM_A_XATTRS) && (a->has_xattrs != b->has_xattrs ||
	    a->xlen != b->xlen || (a->xlen > 0 &&
	    memcmp(a->xattrs, b->xattrs, a->xlen) != 0)))
		d |= FIM_A_XATTRS;
	if ((m & FIM_A_SELINUX) && str_differ(a->selinux, b->selinux))
		d |= FIM_A_SELINUX;
	if ((m & FIM_A_CAPS) && str_differ(a->caps, b->caps))
		d |= FIM_A_CAPS;
	return d;
}

/* ---- Canonical encoding ---- */

static void
put_u64(EVP_MD_CTX *ctx, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	EVP_DigestUpdate(ctx, b, 8);
}

static void
put_bytes(EVP_MD_CTX *ctx, int present, const void *p, size_t n)
{
	uint8_t t = present ? 1 : 0;

	EVP_DigestUpdate(ctx, &t, 1);
	if (!present)
		return;
	put_u64(ctx, n);
	if (n > 0)
		EVP_DigestUpdate(ctx, p, n);
}

int
fim_entry_digest(EVP_MD_CTX *ctx, const struct fim_entry *e)
{
	uint32_t a = e->attrs;

	put_bytes(ctx, 1, e->path, e->plen);
	put_u64(ctx, a);
	put_u64(ctx, (uint64_t)(unsigned char)e->type);
	if (a & FIM_A_PERMS)
		put_u64(ctx, e->perms);
	if (a & FIM_A_UID)
		put_u64(ctx, e->uid);
	if (a & FIM_A_GID)
		put_u64(ctx, e->gid);
	if (a & FIM_A_SIZE)
		put_u64(ctx, e->size);
	if (a & FIM_A_MTIME)
		put_u64(ctx, (uint64_t)e->mtime);
	if (a & FIM_A_CTIME)
		put_u64(ctx, (uint64_t)e->ctime);
	if (a & FIM_A_INODE)
		put_u64(ctx, e->ino);
	if (a & FIM_A_LINKS)
		put_u64(ctx, e->nlink);
	if (a & FIM_A_TARGET)
		put_bytes(ctx, e->target != NULL, e->target, e->tlen);
	if (a & FIM_A_HASH)
		put_bytes(ctx, e->hlen > 0, e->hash, e->hlen);
	if (a & FIM_A_ACL)
		put_bytes(ctx, e->acl != NULL, e->acl,
		    e->acl ? strlen(e->acl) : 0);
	if (a & FIM_A_XATTRS)
		put_bytes(ctx, e->has_xattrs, e->xattrs, e->xlen);
	if (a & FIM_A_SELINUX)
		put_bytes(ctx, e->selinux != NULL, e->selinux,
		    e->selinux ? strlen(e->selinux) : 0);
	if (a & FIM_A_CAPS)
		put_bytes(ctx, e->caps != NULL, e->caps,
		    e->caps ? strlen(e->caps) : 0);
	return 0;
}
