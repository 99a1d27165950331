/*
 * logstore-key.c - the seal key: reading it, creating it, and the
 * HMAC-SHA256 that authenticates checkpoints and the head.
 *
 * The key lives outside the data directory (logstore_open() refuses a key
 * inside it), so that whoever can rewrite the data cannot also re-seal it.
 * It is 32 random bytes, kept as 64 hex digits so that it can be printed
 * and typed back for an offline copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/error.h"
#include "store/logstore-int.h"

#define KEYID_LABEL	"mamori seal key id"

void
ls_mac(const struct ls_key *k, const uint8_t *p, size_t n,
    uint8_t out[LS_MAC_LEN])
{
	unsigned int len = LS_MAC_LEN;

	if (HMAC(EVP_sha256(), k->k, LS_KEY_LEN, p, n, out, &len) == NULL)
		memset(out, 0, LS_MAC_LEN);
}

int
ls_mac_check(const struct ls_key *k, const uint8_t *p, size_t n,
    const uint8_t keyid[LS_KEYID_LEN], const uint8_t mac[LS_MAC_LEN])
{
	uint8_t want[LS_MAC_LEN];

	if (CRYPTO_memcmp(keyid, k->id, LS_KEYID_LEN) != 0)
		return MAMORI_EKEY;
	ls_mac(k, p, n, want);
	if (CRYPTO_memcmp(want, mac, LS_MAC_LEN) != 0)
		return MAMORI_ECORRUPT;
	return 0;
}

void
ls_keyid_hex(const uint8_t id[LS_KEYID_LEN], char buf[17])
{
	int i;

	for (i = 0; i < LS_KEYID_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Makes the missing directories above path, each 0700. */
static int
mkparents(const char *path)
{
	char *p, *s;
	int rc = 0;

	if ((p = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			rc = MAMORI_ESYS;
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

static int
fsync_parent(const char *path)
{
	char *p, *slash;
	int fd, rc = 0;

	if ((p = strdup(path)) == NULL)
		return MAMORI_ENOMEM;
	if ((slash = strrchr(p, '/')) == NULL)
		snprintf(p, strlen(p) + 1, ".");
	else if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0)
		rc = MAMORI_ESYS;
	if (fd >= 0)
		close(fd);
	free(p);
	return rc;
}

static int
key_create(const char *path, char *err, size_t errlen)
{
	uint8_t k[LS_KEY_LEN];
	char hex[2 * LS_KEY_LEN + 2];
	int fd, i, rc;

	if (mkparents(path) != 0) {
		snprintf(err, errlen, "key %s: cannot make its directory: %s",
		    path, strerror(errno));
		return MAMORI_ESYS;
	}
	if (RAND_bytes(k, sizeof(k)) != 1) {
		snprintf(err, errlen, "key %s: no random bytes", path);
		return MAMORI_ESYS;
	}
	for (i = 0; i < LS_KEY_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	hex[2 * LS_KEY_LEN] = '\n';
	hex[2 * LS_KEY_LEN + 1] = '\0';
	OPENSSL_cleanse(k, sizeof(k));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		if (errno == EEXIST)	/* made meanwhile: read that one */
			return 0;
		snprintf(err, errlen, "key %s: cannot create: %s", path,
		    strerror(errno));
		return MAMORI_ESYS;
	}
	rc = ls_pwrite_all(fd, hex, 2 * LS_KEY_LEN + 1, 0);
	if (rc == 0 && fsync(fd) != 0)
		rc = MAMORI_EIO;
	OPENSSL_cleanse(hex, sizeof(hex));
	if (close(fd) != 0)
		rc = MAMORI_EIO;
	if (rc == 0)
		rc = fsync_parent(path);
	if (rc != 0) {
		snprintf(err, errlen, "key %s: cannot write: %s", path,
		    strerror(errno));
		unlink(path);
		return MAMORI_ESYS;
	}
	return 0;
}

int
ls_key_load(const char *path, int create, struct ls_key *k, char *err,
    size_t errlen)
{
	uint8_t buf[256];
	size_t n = 0;
	ssize_t r;
	int fd, rc, i, hi, lo;

	memset(k, 0, sizeof(*k));
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "no seal key given");
		return MAMORI_EKEY;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && errno == ENOENT &&
	    create) {
		if ((rc = key_create(path, err, errlen)) != 0)
			return rc;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "key %s: cannot read: %s", path,
		    strerror(errno));
		return MAMORI_EKEY;
	}
	while (n < sizeof(buf)) {
		r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n == LS_KEY_LEN) {
		memcpy(k->k, buf, LS_KEY_LEN);
	} else {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		    buf[n - 1] == ' '))
			n--;
		if (n != 2 * LS_KEY_LEN) {
			OPENSSL_cleanse(buf, sizeof(buf));
			snprintf(err, errlen, "key %s: not a seal key "
			    "(expected 64 hex digits)", path);
			return MAMORI_EKEY;
		}
		for (i = 0; i < LS_KEY_LEN; i++) {
			hi = hexval(buf[2 * i]);
			lo = hexval(buf[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				OPENSSL_cleanse(buf, sizeof(buf));
				memset(k, 0, sizeof(*k));
				snprintf(err, errlen, "key %s: not a seal key "
				    "(expected 64 hex digits)", path);
				return MAMORI_EKEY;
			}
			k->k[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	{
		uint8_t mac[LS_MAC_LEN];

		ls_mac(k, (const uint8_t *)KEYID_LABEL, strlen(KEYID_LABEL),
		    mac);
		memcpy(k->id, mac, LS_KEYID_LEN);
	}
	return 0;
}
