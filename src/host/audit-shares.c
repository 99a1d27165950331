/*
 * audit-shares.c - files in shared folders dressed up as something else:
 * a double extension ("report.pdf.exe", "invoice.pdf      .scr"), a
 * name reversed with bidirectional control characters
 * ("photo<U+202E>gpj.exe" shows as "photoexe.jpg"), and content that
 * does not match the extension (an executable named .jpg; libmagic says
 * what the bytes are).  These are how worms and trojans spread through
 * shares, mail attachments and messengers.
 *
 * libmagic looks at the first MiB of a file (MAGIC_PARAM_BYTES_MAX)
 * and is told not to decompress; only files whose extension names a
 * known type are opened, so a share of a million files costs a walk
 * and a few reads, not a full read.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <magic.h>

#include "core/error.h"
#include "host/audit.h"

/* Extensions that run when opened (Windows, and Linux desktops). */
static const char *const exec_ext[] = {
	"exe", "scr", "pif", "com", "cpl", "bat", "cmd", "vbs", "vbe", "js",
	"jse", "wsf", "wsh", "hta", "msi", "msp", "jar", "ps1", "psm1",
	"lnk", "reg", "chm", "sh", "desktop", "appimage", "run",
};

/* Extensions a decoy pretends to have. */
static const char *const decoy_ext[] = {
	"txt", "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt",
	"pptx", "rtf", "odt", "ods", "odp", "jpg", "jpeg", "png", "gif",
	"bmp", "tif", "tiff", "mp3", "mp4", "avi", "mov", "wav", "zip",
	"rar", "7z", "csv", "htm", "html", "xml", "eml", "msg", "log", "md",
};

/* What libmagic may say for an extension; a trailing '*' is a prefix. */
#define OLE	"application/CDFV2", "application/CDFV2-unknown", \
		"application/x-ole-storage", "application/vnd.ms-office"
#define OOXML	"application/vnd.openxmlformats-officedocument.*", \
		"application/vnd.oasis.opendocument.*", "application/zip", \
		"application/x-zip*"
static const struct {
	const char	*ext;
	const char	*mime[8];
} expect[] = {
	{ "pdf", { "application/pdf" } },
	{ "jpg", { "image/jpeg" } },
	{ "jpeg", { "image/jpeg" } },
	{ "png", { "image/png" } },
	{ "gif", { "image/gif" } },
	{ "bmp", { "image/bmp", "image/x-ms-bmp" } },
	{ "tif", { "image/tiff" } },
	{ "tiff", { "image/tiff" } },
	{ "zip", { "application/zip", "application/x-zip*" } },
	{ "rar", { "application/x-rar*", "application/vnd.rar" } },
	{ "7z", { "application/x-7z-compressed" } },
	{ "gz", { "application/gzip", "application/x-gzip" } },
	{ "doc", { "application/msword", OLE } },
	{ "xls", { "application/vnd.ms-excel", OLE } },
	{ "ppt", { "application/vnd.ms-powerpoint", OLE } },
	{ "docx", { OOXML } },
	{ "docm", { OOXML } },
	{ "xlsx", { OOXML } },
	{ "xlsm", { OOXML } },
	{ "pptx", { OOXML } },
	{ "odt", { OOXML } },
	{ "ods", { OOXML } },
	{ "odp", { OOXML } },
	{ "mp3", { "audio/mpeg" } },
	{ "mp4", { "video/mp4", "video/quicktime" } },
	{ "avi", { "video/x-msvideo" } },
	{ "mov", { "video/quicktime" } },
	{ "wav", { "audio/x-wav", "audio/wav", "audio/vnd.wave" } },
	{ "txt", { "text/*", "application/json", "application/csv" } },
	{ "csv", { "text/*", "application/csv" } },
	{ "log", { "text/*" } },
	{ "md", { "text/*" } },
	{ "htm", { "text/*" } },
	{ "html", { "text/*" } },
	{ "xml", { "text/*", "application/xml" } },
	{ "rtf", { "text/rtf", "application/rtf", "text/*" } },
};

/* Content that runs. */
static const char *const exec_mime[] = {
	"application/x-dosexec", "application/x-msdownload",
	"application/vnd.microsoft.portable-executable",
	"application/x-executable", "application/x-pie-executable",
	"application/x-sharedlib", "application/x-mach-binary",
	"application/x-elf", "text/x-shellscript", "text/x-msdos-batch",
	"application/x-ms-shortcut", "application/x-msi",
	"application/java-archive", "application/vnd.ms-htmlhelp",
	"application/x-ms-installer",
};

static int
in_list(const char *s, size_t n, const char *const *v, size_t nv)
{
	size_t i;

	for (i = 0; i < nv; i++)
		if (strlen(v[i]) == n && strncasecmp(v[i], s, n) == 0)
			return 1;
	return 0;
}

static int
mime_is(const char *mime, const char *pat)
{
	size_t n = strlen(pat);

	if (n > 0 && pat[n - 1] == '*')
		return strncmp(mime, pat, n - 1) == 0;
	return strcmp(mime, pat) == 0;
}

/* Bidirectional overrides and isolates: U+202A..202E, U+2066..2069. */
static int
has_bidi(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa &&
		    p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 &&
		    p[2] <= 0xa9)))
			return 1;
	return 0;
}

/* "a.pdf  .exe": the decoy extension before an executable one. */
static int
double_ext(const char *name, const char **decoy, size_t *dlen,
    const char **ex)
{
	const char *last = strrchr(name, '.'), *prev, *e;

	if (last == NULL || last == name ||
	    !in_list(last + 1, strlen(last + 1), exec_ext,
	    sizeof(exec_ext) / sizeof(exec_ext[0])))
		return 0;
	e = last;
	while (e > name && (e[-1] == ' ' || e[-1] == '_'))
		e--;			/* padding that pushes ".exe" away */
	for (prev = e - 1; prev > name && *prev != '.'; prev--)
		;
	if (prev <= name || *prev != '.')
		return 0;
	if (!in_list(prev + 1, (size_t)(e - prev - 1), decoy_ext,
	    sizeof(decoy_ext) / sizeof(decoy_ext[0])))
		return 0;
	*decoy = prev + 1;
	*dlen = (size_t)(e - prev - 1);
	*ex = last + 1;
	return 1;
}

static int
share_emit(struct audit_ctx *c, const char *kind, int sev, const char *path,
    const char *mime, const char *text)
{
	json_t *x;
	int r;

	x = json_pack("{s:o?}", "path", audit_json_str(path, strlen(path)));
	if (x == NULL)
		return MAMORI_ENOMEM;
	if (mime != NULL && json_object_set_new(x, "mime",
	    json_string(mime)) != 0) {
		json_decref(x);
		return MAMORI_ENOMEM;
	}
	r = audit_emitf(c, kind, sev, path, "move it to quarantine and scan "
	    "it; find who put it there (files dressed up as documents are "
	    "how worms and trojans spread through shares)", x, "%s", text);
	json_decref(x);
	return r;
}

static int
content(struct audit_ctx *c, magic_t m, const struct audit_walk_ent *e,
    const char *ext, size_t k)
{
	const char *mime;
	struct stat st;
	char text[1024];
	size_t i, j;
	int fd, r = 0, ok = 0;

	if ((fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME)) < 0 &&
	    errno == EPERM)
		fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != e->st->st_ino || st.st_dev != e->st->st_dev ||
	    (mime = magic_descriptor(m, fd)) == NULL) {
		close(fd);
		return 0;
	}
	for (j = 0; j < sizeof(exec_mime) / sizeof(exec_mime[0]); j++)
		if (strcmp(mime, exec_mime[j]) == 0) {
			snprintf(text, sizeof(text), "%s is named .%s but its "
			    "content is a program (%s)", e->path, ext, mime);
			r = share_emit(c, "content_mismatch", AUDIT_SEV_HIGH,
			    e->path, mime, text);
			close(fd);
			return r;
		}
	if (strcmp(mime, "application/octet-stream") == 0 ||
	    strcmp(mime, "inode/x-empty") == 0 ||
	    strcmp(mime, "application/x-empty") == 0) {
		close(fd);
		return 0;		/* unknown or empty: nothing to say */
	}
	for (i = 0; i < 8 && expect[k].mime[i] != NULL; i++)
		if (mime_is(mime, expect[k].mime[i]))
			ok = 1;
	if (!ok) {
		snprintf(text, sizeof(text), "%s is named .%s but its content "
		    "is %s", e->path, ext, mime);
		r = share_emit(c, "content_mismatch", AUDIT_SEV_LOW, e->path,
		    mime, text);
	}
	close(fd);
	return r;
}

static int
share_visit(struct audit_ctx *c, const struct audit_walk_ent *e, void *arg)
{
	const char *decoy, *ex, *dot;
	char text[1024];
	size_t dlen, k;
	int r;

	if (!S_ISREG(e->st->st_mode))
		return 0;
	if (has_bidi(e->name)) {
		snprintf(text, sizeof(text), "%s has bidirectional control "
		    "characters in its name: it shows a different extension "
		    "than it has", e->path);
		return share_emit(c, "bidi_name", AUDIT_SEV_HIGH, e->path,
		    NULL, text);
	}
	if (double_ext(e->name, &decoy, &dlen, &ex)) {
		snprintf(text, sizeof(text), "%s has a double extension "
		    "(.%.*s then .%s): a program dressed up as a document",
		    e->path, (int)dlen, decoy, ex);
		return share_emit(c, "double_extension", AUDIT_SEV_HIGH,
		    e->path, NULL, text);
	}
	if ((dot = strrchr(e->name, '.')) == NULL || dot == e->name)
		return 0;
	for (k = 0; k < sizeof(expect) / sizeof(expect[0]); k++)
		if (strcasecmp(dot + 1, expect[k].ext) == 0) {
			r = content(c, arg, e, dot + 1, k);
			return r;
		}
	return 0;
}

int
audit_check_shares(struct audit_ctx *c, const struct audit_conf *conf)
{
	magic_t m;
	int r;

	if (conf->share_paths == NULL || conf->share_paths[0] == NULL) {
		c->st->state = AUDIT_ST_SKIPPED;
		audit_note(c, "no shared folders are configured "
		    "(audit.shares.paths)");
		return 0;
	}
	if ((m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS)) ==
	    NULL)
		return MAMORI_ENOMEM;
	if (magic_load(m, NULL) != 0) {
		r = audit_fail(c, "libmagic: %s", magic_error(m) ?
		    magic_error(m) : "cannot load its database");
		magic_close(m);
		return r;
	}
	r = audit_walk(c, conf->share_paths, conf->share_exclude,
	    AUDIT_WALK_NETWORK, share_visit, m);
	magic_close(m);
	return r;
}
