/*
 * logstore-ckpt.c - the small keyed files beside the segments: one
 * checkpoint per sealed segment (NNNNNN.ckpt) and the head.
 *
 * Both are fixed-size binary records ending in an HMAC-SHA256 over
 * everything before it, made with the seal key.  They are replaced
 * atomically (temporary file, fsync, rename, fsync of the directory), so
 * a crash leaves the old version or the new one, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "store/logstore-int.h"

#define CKPT_MAC_OFF	(LS_CKPT_LEN - LS_MAC_LEN)
#define HEAD_MAC_OFF	(LS_HEAD_LEN - LS_MAC_LEN)

void
ls_ckpt_encode(struct ls_ckpt *c, const struct ls_key *k,
    uint8_t out[LS_CKPT_LEN])
{
	memset(out, 0, LS_CKPT_LEN);
	memcpy(out, LS_CKPT_MAGIC, 8);
	ls_put32(out + 8, LS_CKPT_VERSION);
	ls_put32(out + 12, LS_CKPT_LEN);
	ls_put64(out + 16, c->segno);
	ls_put64(out + 24, c->first_seq);
	ls_put64(out + 32, c->last_seq);
	ls_put64(out + 40, c->raw_bytes);
	ls_put64(out + 48, c->zst_bytes);
	ls_put64(out + 56, (uint64_t)c->min_recv_ns);
	ls_put64(out + 64, (uint64_t)c->max_recv_ns);
	ls_put64(out + 72, (uint64_t)c->min_time_ns);
	ls_put64(out + 80, (uint64_t)c->max_time_ns);
	ls_put64(out + 88, (uint64_t)c->created_ns);
	ls_put64(out + 96, (uint64_t)c->sealed_ns);
	memcpy(out + 104, c->prev_hash, LS_HASH_LEN);
	memcpy(out + 136, c->last_hash, LS_HASH_LEN);
	memcpy(c->key_id, k->id, LS_KEYID_LEN);
	memcpy(out + 168, c->key_id, LS_KEYID_LEN);
	ls_put64(out + 176, (uint64_t)c->expired_ns);
	ls_put64(out + 184, c->expiry_seq);
	ls_put32(out + 192, c->expiry_reason);
	ls_mac(k, out, CKPT_MAC_OFF, out + CKPT_MAC_OFF);
	memcpy(c->mac, out + CKPT_MAC_OFF, LS_MAC_LEN);
}

int
ls_ckpt_decode(const uint8_t *p, size_t len, struct ls_ckpt *c)
{
	memset(c, 0, sizeof(*c));
	if (len != LS_CKPT_LEN || memcmp(p, LS_CKPT_MAGIC, 8) != 0 ||
	    ls_get32(p + 8) != LS_CKPT_VERSION ||
	    ls_get32(p + 12) != LS_CKPT_LEN)
		return MAMORI_ECORRUPT;
	c->segno = ls_get64(p + 16);
	c->first_seq = ls_get64(p + 24);
	c->last_seq = ls_get64(p + 32);
	c->raw_bytes = ls_get64(p + 40);
	c->zst_bytes = ls_get64(p + 48);
	c->min_recv_ns = (int64_t)ls_get64(p + 56);
	c->max_recv_ns = (int64_t)ls_get64(p + 64);
	c->min_time_ns = (int64_t)ls_get64(p + 72);
	c->max_time_ns = (int64_t)ls_get64(p + 80);
	c->created_ns = (int64_t)ls_get64(p + 88);
	c->sealed_ns = (int64_t)ls_get64(p + 96);
	memcpy(c->prev_hash, p + 104, LS_HASH_LEN);
	memcpy(c->last_hash, p + 136, LS_HASH_LEN);
	memcpy(c->key_id, p + 168, LS_KEYID_LEN);
	c->expired_ns = (int64_t)ls_get64(p + 176);
	c->expiry_seq = ls_get64(p + 184);
	c->expiry_reason = ls_get32(p + 192);
	memcpy(c->mac, p + CKPT_MAC_OFF, LS_MAC_LEN);
	return 0;
}

/* Reads exactly len bytes of name; a file of another size is corrupt. */
static int
read_exact(int dirfd, const char *name, uint8_t *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MAMORI_ENOTFOUND : MAMORI_EIO;
	for (;;) {
		/* Ask for one byte more than expected to see a longer file. */
		uint8_t extra;

		if (n < len)
			r = read(fd, buf + n, len - n);
		else
			r = read(fd, &extra, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return MAMORI_EIO;
		}
		if (r == 0)
			break;
		if (n >= len) {
			n++;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	return n == len ? 0 : MAMORI_ECORRUPT;
}

static int
write_atomic(int dirfd, const char *name, const uint8_t *p, size_t len)
{
	char tmp[LS_NAME_MAX + 8];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		return MAMORI_EIO;
	rc = ls_pwrite_all(fd, p, len, 0);
	if (rc == 0 && fsync(fd) != 0)
		rc = MAMORI_EIO;
	if (close(fd) != 0 && rc == 0)
		rc = MAMORI_EIO;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = MAMORI_EIO;
	if (rc != 0) {
		int e = errno;

		unlinkat(dirfd, tmp, 0);
		errno = e;
		return rc;
	}
	if (fsync(dirfd) != 0)
		return MAMORI_EIO;
	return 0;
}

int
ls_ckpt_read(int dirfd, uint64_t segno, struct ls_ckpt *c,
    uint8_t raw[LS_CKPT_LEN])
{
	char name[LS_NAME_MAX];
	int rc;

	memset(c, 0, sizeof(*c));
	ls_name(name, sizeof(name), segno, LS_SUFFIX_CKPT);
	if ((rc = read_exact(dirfd, name, raw, LS_CKPT_LEN)) != 0)
		return rc;
	return ls_ckpt_decode(raw, LS_CKPT_LEN, c);
}

int
ls_ckpt_write(int dirfd, struct ls_ckpt *c, const struct ls_key *k)
{
	uint8_t raw[LS_CKPT_LEN];
	char name[LS_NAME_MAX];

	ls_ckpt_encode(c, k, raw);
	ls_name(name, sizeof(name), c->segno, LS_SUFFIX_CKPT);
	return write_atomic(dirfd, name, raw, sizeof(raw));
}

int
ls_head_read(int dirfd, struct ls_head *h, uint8_t raw[LS_HEAD_LEN])
{
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = read_exact(dirfd, LS_HEAD_NAME, raw, LS_HEAD_LEN)) != 0)
		return rc;
	if (memcmp(raw, LS_HEAD_MAGIC, 8) != 0 ||
	    ls_get32(raw + 8) != LS_HEAD_VERSION ||
	    ls_get32(raw + 12) != LS_HEAD_LEN)
		return MAMORI_ECORRUPT;
	h->seq = ls_get64(raw + 16);
	h->segno = ls_get64(raw + 24);
	h->written_ns = (int64_t)ls_get64(raw + 32);
	memcpy(h->hash, raw + 40, LS_HASH_LEN);
	memcpy(h->key_id, raw + 72, LS_KEYID_LEN);
	memcpy(h->mac, raw + HEAD_MAC_OFF, LS_MAC_LEN);
	return 0;
}

int
ls_head_write(int dirfd, struct ls_head *h, const struct ls_key *k)
{
	uint8_t raw[LS_HEAD_LEN];

	memset(raw, 0, sizeof(raw));
	memcpy(raw, LS_HEAD_MAGIC, 8);
	ls_put32(raw + 8, LS_HEAD_VERSION);
	ls_put32(raw + 12, LS_HEAD_LEN);
	ls_put64(raw + 16, h->seq);
	ls_put64(raw + 24, h->segno);
	ls_put64(raw + 32, (uint64_t)h->written_ns);
	memcpy(raw + 40, h->hash, LS_HASH_LEN);
	memcpy(h->key_id, k->id, LS_KEYID_LEN);
	memcpy(raw + 72, h->key_id, LS_KEYID_LEN);
	ls_mac(k, raw, HEAD_MAC_OFF, raw + HEAD_MAC_OFF);
	memcpy(h->mac, raw + HEAD_MAC_OFF, LS_MAC_LEN);
	return write_atomic(dirfd, LS_HEAD_NAME, raw, sizeof(raw));
}
