/*
 * logstore-verify.c - proves that the log store holds what was written:
 * nothing changed, removed, inserted or reordered, and every missing
 * segment removed by retention.
 *
 * One pass, oldest first, following the chain from the zero hash at seq
 * 1 through every segment that is still there, and through the
 * checkpoints of those that retention removed.  It checks, in order:
 *
 *   - segment numbers run 1, 2, 3 ... with no gap (a gap is a segment
 *     deleted together with its checkpoint);
 *   - each checkpoint carries our key's id and its HMAC, and continues
 *     the previous one (first seq, previous hash);
 *   - a checkpoint whose segment file is gone is marked expired, and its
 *     expiry record is in the chain where it says (when that part of the
 *     chain is still there);
 *   - each record's CRC, its seq (one more than the last) and its chain
 *     hash; a sealed segment ends exactly at its checkpoint's seq and
 *     hash;
 *   - the head names a record that is there, with the same hash.
 *
 * It reports the first problem only, naming the file and the seq, since
 * what follows a break cannot be trusted to say anything new.  Telling
 * "changed" from "removed", "reordered" and "inserted" needs one record
 * of look-ahead, kept as a few numbers (no copy of the record).
 *
 * It may run while the writer appends: the active segment is read up to
 * the last complete record, a segment compressed meanwhile is read under
 * its new name, and a segment expired meanwhile is accepted once its
 * checkpoint says so.  A sealed segment is checked the same whether it
 * is compressed yet or not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/error.h"
#include "store/logstore-int.h"
#include "store/logstore.h"

struct pending {			/* an expiry record to find */
	uint64_t	seq;
	uint64_t	segno;
	uint64_t	last_seq;
	uint8_t		last_hash[LS_HASH_LEN];
};

struct ckinfo {				/* a checkpoint, read up front */
	int		rc;
	struct ls_ckpt	c;
	uint8_t		raw[LS_CKPT_LEN];
};

struct vctx {
	int		 dirfd;
	struct ls_key	 key;
	const char	*key_path;
	struct ls_hasher h;
	struct logstore_verify_result *res;

	uint64_t	 expect_seq;
	uint8_t		 prev[LS_HASH_LEN];
	uint64_t	 last_off;	/* offset of the last good record */

	int		 head_rc;	/* of ls_head_read() */
	int		 head_auth;	/* of ls_mac_check() */
	struct ls_head	 head;
	uint8_t		 head_raw[LS_HEAD_LEN];

	struct pending	*pend;
	size_t		 npend, pidx;
};

static int
fail(struct vctx *v, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct vctx *v, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->res->msg, sizeof(v->res->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static int
cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define ULL(x)	((unsigned long long)(x))

/* Checks what an accepted record at seq S means beyond the chain: an
 * expiry record that a checkpoint names, or the head. */
static int
check_marks(struct vctx *v, const char *name, const struct ls_rec *rec,
    uint64_t off)
{
	struct ls_expiry x;
	struct pending *p;

	while (v->pidx < v->npend && v->pend[v->pidx].seq < rec->seq)
		v->pidx++;	/* in a part of the chain that expired */
	if (v->pidx < v->npend && v->pend[v->pidx].seq == rec->seq) {
		p = &v->pend[v->pidx++];
		if (rec->type != LS_REC_EXPIRY ||
		    ls_expiry_decode(rec, &x) != 0 || x.segno != p->segno ||
		    x.last_seq != p->last_seq ||
		    memcmp(x.last_hash, p->last_hash, LS_HASH_LEN) != 0)
			return fail(v, MAMORI_ECORRUPT, "log/%06llu.ckpt: "
			    "marked expired by seq %llu, but seq %llu in "
			    "log/%s (offset %llu) is not its expiry record",
			    ULL(p->segno), ULL(p->seq), ULL(rec->seq), name,
			    ULL(off));
	}
	if (v->head_rc == 0 && v->head_auth == 0 &&
	    v->head.seq == rec->seq &&
	    memcmp(v->head.hash, rec->hash, LS_HASH_LEN) != 0)
		return fail(v, MAMORI_ECORRUPT, "log/head: seq %llu differs "
		    "from log/%s (offset %llu): records up to it were "
		    "rewritten", ULL(rec->seq), name, ULL(off));
	return 0;
}

/* What the record before the current one left unresolved. */
enum { STASH_NONE, STASH_GAP, STASH_HASH };

struct stash {
	int		kind;
	uint64_t	seq, off;
};

static int
resolve_stash(struct vctx *v, const char *name, const struct stash *st,
    const struct ls_rec *next, uint64_t next_off)
{
	uint8_t h[LS_HASH_LEN];
	uint64_t e = v->expect_seq;

	if (st->kind == STASH_GAP) {
		if (next != NULL && next->seq >= e && next->seq < st->seq)
			return fail(v, MAMORI_ECORRUPT, "log/%s: records "
			    "reordered (seq %llu at offset %llu comes before "
			    "seq %llu at offset %llu)", name, ULL(st->seq),
			    ULL(st->off), ULL(next->seq), ULL(next_off));
		if (st->seq == e + 1)
			return fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu "
			    "removed (seq %llu follows seq %llu at offset "
			    "%llu)", name, ULL(e), ULL(st->seq), ULL(e - 1),
			    ULL(st->off));
		return fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu..%llu "
		    "removed (seq %llu follows seq %llu at offset %llu)",
		    name, ULL(e), ULL(st->seq - 1), ULL(st->seq), ULL(e - 1),
		    ULL(st->off));
	}
	/* STASH_HASH: the record at st->off had seq e and a wrong hash.  If
	 * the next one is a good seq e, the first was put in before it. */
	if (next != NULL && next->seq == e) {
		ls_chain_hash(&v->h, v->prev, next->p,
		    next->len - LS_REC_TRAILER_LEN, h);
		if (memcmp(h, next->hash, LS_HASH_LEN) == 0)
			return fail(v, MAMORI_ECORRUPT, "log/%s: record "
			    "inserted before seq %llu (offset %llu holds "
			    "another seq %llu)", name, ULL(e), ULL(st->off),
			    ULL(e));
	}
	return fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu changed (offset "
	    "%llu: chain hash mismatch)", name, ULL(e), ULL(st->off));
}

/*
 * Walks the records of one segment file along the chain.  ck is its
 * checkpoint (sealed) or NULL (active: a partial last record is a write
 * in progress, not a problem).
 */
static int
walk(struct vctx *v, const char *name, int zst, const struct ls_ckpt *ck,
    uint64_t segno)
{
	struct ls_src src;
	struct ls_seghdr h;
	struct ls_rec rec;
	struct stash st = { STASH_NONE, 0, 0 };
	uint8_t hash[LS_HASH_LEN];
	const char *why = "";
	uint64_t off;
	int rc;

	rc = ls_src_open(&src, v->dirfd, name, zst);
	if (rc != 0) {
		ls_src_close(&src);
		if (rc == MAMORI_ENOTFOUND)
			return rc;	/* the caller knows what it means */
		return fail(v, MAMORI_ESYS, "log/%s: cannot read: %s", name,
		    strerror(errno));
	}
	rc = ls_src_header(&src, &h, &why);
	if (rc == MAMORI_ETRUNC && ck == NULL) {
		/* Active and just created: no record yet. */
		ls_src_close(&src);
		return 0;
	}
	if (rc != 0) {
		int zerr = src.zerr;

		ls_src_close(&src);
		if (rc == MAMORI_ETRUNC)
			return fail(v, MAMORI_ECORRUPT, "log/%s: shorter than "
			    "a segment header", name);
		if (rc == MAMORI_ECORRUPT && zerr)
			return fail(v, rc, "log/%s: compressed data corrupt "
			    "(%s)", name, why);
		if (rc == MAMORI_ECORRUPT)
			return fail(v, rc, "log/%s: %s", name, why);
		return fail(v, MAMORI_ESYS, "log/%s: cannot read: %s", name,
		    strerror(errno));
	}
	if (h.segno != segno) {
		ls_src_close(&src);
		return fail(v, MAMORI_ECORRUPT, "log/%s: header names segment "
		    "%06llu: files renamed", name, ULL(h.segno));
	}
	if (h.first_seq != v->expect_seq ||
	    memcmp(h.prev_hash, v->prev, LS_HASH_LEN) != 0) {
		ls_src_close(&src);
		if (ck != NULL)
			return fail(v, MAMORI_ECORRUPT, "log/%s: header does "
			    "not match its checkpoint (starts at seq %llu)",
			    name, ULL(h.first_seq));
		if (h.first_seq != v->expect_seq)
			return fail(v, MAMORI_ECORRUPT, "log/%s: does not "
			    "continue the chain (starts at seq %llu, expected "
			    "seq %llu)", name, ULL(h.first_seq),
			    ULL(v->expect_seq));
		return fail(v, MAMORI_ECORRUPT, "log/%s: does not continue "
		    "the chain (the hash before seq %llu differs): the "
		    "records before it were rewritten", name,
		    ULL(h.first_seq));
	}
	v->res->segments++;

	for (;;) {
		off = src.off;
		rc = ls_src_next(&src, &rec, &off, &why);
		if (st.kind != STASH_NONE) {
			rc = resolve_stash(v, name, &st, rc == 0 ? &rec : NULL,
			    off);
			break;
		}
		if (rc == MAMORI_ENOTFOUND) {
			rc = 0;
			break;
		}
		if (rc == MAMORI_ETRUNC) {
			if (ck == NULL) {	/* being written */
				rc = 0;
				break;
			}
			rc = fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu cut "
			    "short at offset %llu", name, ULL(v->expect_seq),
			    ULL(off));
			break;
		}
		if (rc == MAMORI_ECORRUPT && src.zerr) {
			rc = fail(v, rc, "log/%s: compressed data corrupt (%s) "
			    "after seq %llu", name, why,
			    ULL(v->expect_seq - 1));
			break;
		}
		if (rc == MAMORI_ECORRUPT) {
			rc = fail(v, rc, "log/%s: seq %llu changed (offset "
			    "%llu: %s)", name, ULL(v->expect_seq), ULL(off),
			    why);
			break;
		}
		if (rc != 0) {
			rc = fail(v, MAMORI_ESYS, "log/%s: cannot read: %s",
			    name, strerror(errno));
			break;
		}
		if (rec.seq == v->expect_seq) {
			ls_chain_hash(&v->h, v->prev, rec.p,
			    rec.len - LS_REC_TRAILER_LEN, hash);
			if (memcmp(hash, rec.hash, LS_HASH_LEN) != 0) {
				st.kind = STASH_HASH;
				st.seq = rec.seq;
				st.off = off;
				continue;
			}
			if ((rc = check_marks(v, name, &rec, off)) != 0)
				break;
			memcpy(v->prev, hash, LS_HASH_LEN);
			if (v->res->records++ == 0)
				v->res->first_seq = rec.seq;
			v->res->last_seq = rec.seq;
			v->expect_seq++;
			v->last_off = off;
			continue;
		}
		if (rec.seq > v->expect_seq) {
			st.kind = STASH_GAP;
			st.seq = rec.seq;
			st.off = off;
			continue;
		}
		if (rec.seq == v->expect_seq - 1)
			rc = fail(v, MAMORI_ECORRUPT, "log/%s: record inserted "
			    "(offset %llu repeats seq %llu of offset %llu)",
			    name, ULL(off), ULL(rec.seq), ULL(v->last_off));
		else
			rc = fail(v, MAMORI_ECORRUPT, "log/%s: record inserted "
			    "(offset %llu holds seq %llu again, after seq "
			    "%llu)", name, ULL(off), ULL(rec.seq),
			    ULL(v->expect_seq - 1));
		break;
	}
	ls_src_close(&src);
	if (rc != 0 || ck == NULL)
		return rc;
	if (v->expect_seq - 1 < ck->last_seq) {
		if (v->expect_seq == ck->last_seq)
			return fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu "
			    "removed from its end (its checkpoint ends at seq "
			    "%llu)", name, ULL(ck->last_seq),
			    ULL(ck->last_seq));
		return fail(v, MAMORI_ECORRUPT, "log/%s: seq %llu..%llu "
		    "removed from its end (its checkpoint ends at seq %llu)",
		    name, ULL(v->expect_seq), ULL(ck->last_seq),
		    ULL(ck->last_seq));
	}
	if (v->expect_seq - 1 > ck->last_seq)
		return fail(v, MAMORI_ECORRUPT, "log/%s: records added after "
		    "seq %llu, where its checkpoint ends", name,
		    ULL(ck->last_seq));
	if (memcmp(v->prev, ck->last_hash, LS_HASH_LEN) != 0)
		return fail(v, MAMORI_ECORRUPT, "log/%s: the chain ends at seq "
		    "%llu with another hash than its checkpoint's: records "
		    "were rewritten", name, ULL(ck->last_seq));
	return 0;
}

static int
key_mismatch(struct vctx *v, const char *what, const uint8_t *id)
{
	char theirs[17], ours[17];

	ls_keyid_hex(id, theirs);
	ls_keyid_hex(v->key.id, ours);
	return fail(v, MAMORI_EKEY, "%s: made with another key (key id %s; "
	    "%s has id %s): wrong key, or the chain was rewritten with "
	    "another key", what, theirs, v->key_path, ours);
}

static int
sealed(struct vctx *v, const struct ls_segent *e, struct ckinfo *ci)
{
	struct ls_ckpt *c = &ci->c;
	char ck[LS_NAME_MAX], name[LS_NAME_MAX];
	int rc;

	ls_name(ck, sizeof(ck), e->segno, LS_SUFFIX_CKPT);
	if (ci->rc == MAMORI_ECORRUPT)
		return fail(v, MAMORI_ECORRUPT, "log/%s: not a checkpoint "
		    "(wrong size or format)", ck);
	if (ci->rc != 0)
		return fail(v, MAMORI_ESYS, "log/%s: cannot read: %s", ck,
		    strerror(errno));
	rc = ls_mac_check(&v->key, ci->raw, LS_CKPT_LEN - LS_MAC_LEN,
	    c->key_id, c->mac);
	if (rc == MAMORI_EKEY) {
		char what[LS_NAME_MAX + 8];

		snprintf(what, sizeof(what), "log/%s", ck);
		return key_mismatch(v, what, c->key_id);
	}
	if (rc != 0)
		return fail(v, MAMORI_ECORRUPT, "log/%s: does not match the "
		    "seal key: checkpoint forged or changed (chain "
		    "rewritten?)", ck);
	if (c->segno != e->segno)
		return fail(v, MAMORI_ECORRUPT, "log/%s: names segment %06llu: "
		    "files renamed", ck, ULL(c->segno));
	if (c->first_seq != v->expect_seq ||
	    memcmp(c->prev_hash, v->prev, LS_HASH_LEN) != 0 ||
	    c->last_seq + 1 < c->first_seq)
		return fail(v, MAMORI_ECORRUPT, "log/%s: does not continue the "
		    "chain (starts at seq %llu, expected seq %llu)", ck,
		    ULL(c->first_seq), ULL(v->expect_seq));
	if (c->expired_ns != 0) {
		v->res->expired++;
		goto done;
	}
	ls_name(name, sizeof(name), e->segno, LS_SUFFIX_ZST);
	if (e->has_zst)
		rc = walk(v, name, 1, c, e->segno);
	else if (e->has_seg) {
		/* Sealed, not compressed yet.  The checkpoint covers it the
		 * same: it is about the records, not their file. */
		ls_name(name, sizeof(name), e->segno, LS_SUFFIX_SEG);
		rc = walk(v, name, 0, c, e->segno);
		if (rc == MAMORI_ENOTFOUND) {
			/* Compressed since the listing. */
			ls_name(name, sizeof(name), e->segno, LS_SUFFIX_ZST);
			rc = walk(v, name, 1, c, e->segno);
		}
	} else
		rc = MAMORI_ENOTFOUND;
	if (rc != MAMORI_ENOTFOUND)
		goto out;
	/* Gone: fine only if retention removed it, perhaps just now. */
	if (ls_ckpt_read(v->dirfd, e->segno, c, ci->raw) == 0 &&
	    ls_mac_check(&v->key, ci->raw, LS_CKPT_LEN - LS_MAC_LEN,
	    c->key_id, c->mac) == 0 && c->expired_ns != 0) {
		v->res->expired++;
		goto done;
	}
	ls_name(name, sizeof(name), e->segno, LS_SUFFIX_ZST);
	return fail(v, MAMORI_ECORRUPT, "log/%s removed without an expiry "
	    "record (seq %llu..%llu)", name, ULL(c->first_seq),
	    ULL(c->last_seq));
out:
	if (rc != 0)
		return rc;
done:
	v->expect_seq = c->last_seq + 1;
	memcpy(v->prev, c->last_hash, LS_HASH_LEN);
	return 0;
}

/* The first seq of segment e, from its checkpoint or its header; 0 if
 * neither says. */
static uint64_t
first_seq_of(struct vctx *v, const struct ls_segent *e,
    const struct ckinfo *ci)
{
	struct ls_src src;
	struct ls_seghdr h;
	char name[LS_NAME_MAX];
	const char *why;
	uint64_t seq = 0;

	if (e->has_ckpt && ci != NULL && ci->rc == 0)
		return ci->c.first_seq;
	ls_name(name, sizeof(name), e->segno,
	    e->has_zst ? LS_SUFFIX_ZST : LS_SUFFIX_SEG);
	if (ls_src_open(&src, v->dirfd, name, e->has_zst) == 0 &&
	    ls_src_header(&src, &h, &why) == 0)
		seq = h.first_seq;
	ls_src_close(&src);
	return seq;
}

static int
gap(struct vctx *v, uint64_t from, const struct ls_segent *e,
    const struct ckinfo *ci)
{
	uint64_t first = first_seq_of(v, e, ci);
	char seqs[96];

	if (first > v->expect_seq)
		snprintf(seqs, sizeof(seqs), "seq %llu..%llu missing",
		    ULL(v->expect_seq), ULL(first - 1));
	else
		snprintf(seqs, sizeof(seqs), "seq %llu.. missing",
		    ULL(v->expect_seq));
	if (e->segno == from + 1)
		return fail(v, MAMORI_ECORRUPT, "segment %06llu removed with "
		    "its checkpoint (%s)", ULL(from), seqs);
	return fail(v, MAMORI_ECORRUPT, "segments %06llu..%06llu removed "
	    "with their checkpoints (%s)", ULL(from), ULL(e->segno - 1), seqs);
}

static int
check_head(struct vctx *v)
{
	if (v->head_rc == MAMORI_ENOTFOUND)
		return fail(v, MAMORI_ECORRUPT, "log/head is missing: the "
		    "newest records cannot be checked against the key");
	if (v->head_rc != 0)
		return fail(v, MAMORI_ECORRUPT, "log/head: not a head file "
		    "(wrong size or format)");
	if (v->head_auth == MAMORI_EKEY)
		return key_mismatch(v, "log/head", v->head.key_id);
	if (v->head_auth != 0)
		return fail(v, MAMORI_ECORRUPT, "log/head: does not match the "
		    "seal key: forged or changed");
	if (v->head.seq >= v->expect_seq) {
		if (v->head.seq == v->expect_seq)
			return fail(v, MAMORI_ECORRUPT, "seq %llu removed from "
			    "the end (log/head names seq %llu)",
			    ULL(v->head.seq), ULL(v->head.seq));
		return fail(v, MAMORI_ECORRUPT, "seq %llu..%llu removed from "
		    "the end (log/head names seq %llu)", ULL(v->expect_seq),
		    ULL(v->head.seq), ULL(v->head.seq));
	}
	return 0;
}

static int
verify(struct vctx *v, const char *dir)
{
	struct ls_segent *ents = NULL;
	struct ckinfo *cks = NULL;
	size_t n = 0, i;
	uint64_t expect_segno = 1;
	char name[LS_NAME_MAX];
	int rc;

	if ((rc = ls_dir_scan(v->dirfd, &ents, &n, 0)) != 0)
		return fail(v, MAMORI_ESYS, "%s/log: cannot list: %s", dir,
		    strerror(errno));
	if (n > 0 && (cks = calloc(n, sizeof(*cks))) == NULL) {
		free(ents);
		return fail(v, MAMORI_ENOMEM, "out of memory");
	}
	/* Checkpoints first: they say where the expiry records are. */
	for (i = 0; i < n; i++) {
		struct ls_ckpt *c = &cks[i].c;
		struct pending *np;

		if (!ents[i].has_ckpt)
			continue;
		cks[i].rc = ls_ckpt_read(v->dirfd, ents[i].segno, c,
		    cks[i].raw);
		if (cks[i].rc != 0 || c->expired_ns == 0 ||
		    ls_mac_check(&v->key, cks[i].raw, LS_CKPT_LEN - LS_MAC_LEN,
		    c->key_id, c->mac) != 0)
			continue;
		if ((np = realloc(v->pend, (v->npend + 1) *
		    sizeof(*np))) == NULL) {
			rc = fail(v, MAMORI_ENOMEM, "out of memory");
			goto out;
		}
		v->pend = np;
		np[v->npend].seq = c->expiry_seq;
		np[v->npend].segno = c->segno;
		np[v->npend].last_seq = c->last_seq;
		memcpy(np[v->npend].last_hash, c->last_hash, LS_HASH_LEN);
		v->npend++;
	}
	if (v->npend > 1)
		qsort(v->pend, v->npend, sizeof(*v->pend), cmp_pending);

	for (i = 0; i < n; i++) {
		struct ls_segent *e = &ents[i];

		if (e->segno < expect_segno) {
			rc = fail(v, MAMORI_ECORRUPT, "log/%06llu: segment "
			    "numbers start at 000001", ULL(e->segno));
			goto out;
		}
		if (e->segno > expect_segno) {
			rc = gap(v, expect_segno, e, &cks[i]);
			goto out;
		}
		if (!e->has_ckpt && e->has_seg && i + 1 < n &&
		    (cks[i].rc = ls_ckpt_read(v->dirfd, e->segno, &cks[i].c,
		    cks[i].raw)) != MAMORI_ENOTFOUND) {
			/* Sealed while the directory was being listed: the
			 * listing found the next segment, not the .ckpt
			 * written before it. */
			e->has_ckpt = 1;
		}
		if (e->has_ckpt)
			rc = sealed(v, e, &cks[i]);
		else if (e->has_seg && i + 1 < n) {
			/* Its own damage, if any, says more than this. */
			ls_name(name, sizeof(name), e->segno, LS_SUFFIX_SEG);
			if ((rc = walk(v, name, 0, NULL, e->segno)) == 0)
				rc = fail(v, MAMORI_ECORRUPT, "log/%s: not "
				    "sealed, yet later segments exist", name);
		} else if (e->has_seg) {
			ls_name(name, sizeof(name), e->segno, LS_SUFFIX_SEG);
			rc = walk(v, name, 0, NULL, e->segno);
			if (rc == MAMORI_ENOTFOUND) {
				/* Sealed meanwhile: check it as sealed. */
				e->has_seg = 0;
				e->has_zst = e->has_ckpt = 1;
				cks[i].rc = ls_ckpt_read(v->dirfd, e->segno,
				    &cks[i].c, cks[i].raw);
				rc = sealed(v, e, &cks[i]);
			}
		} else {
			ls_name(name, sizeof(name), e->segno, LS_SUFFIX_ZST);
			rc = fail(v, MAMORI_ECORRUPT, "log/%s: its checkpoint "
			    "was removed", name);
		}
		if (rc != 0)
			goto out;
		expect_segno = e->segno + 1;
	}
	for (; v->pidx < v->npend; v->pidx++)
		if (v->pend[v->pidx].seq >= v->expect_seq) {
			rc = fail(v, MAMORI_ECORRUPT, "log/%06llu.ckpt: marked "
			    "expired by seq %llu, but the store ends at seq "
			    "%llu", ULL(v->pend[v->pidx].segno),
			    ULL(v->pend[v->pidx].seq), ULL(v->expect_seq - 1));
			goto out;
		}
	rc = check_head(v);
out:
	free(cks);
	free(ents);
	return rc;
}

int
logstore_verify(const char *dir, const char *key_path,
    struct logstore_verify_result *res)
{
	struct vctx v;
	char *logdir = NULL, err[256];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	v.res = res;
	v.dirfd = -1;
	v.key_path = key_path;
	v.expect_seq = 1;
	if (asprintf(&logdir, "%s/log", dir) < 0)
		return fail(&v, MAMORI_ENOMEM, "out of memory");
	if ((v.dirfd = open(logdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = fail(&v, MAMORI_ESYS, "%s: cannot open: %s", logdir,
		    strerror(errno));
		free(logdir);
		return rc;
	}
	free(logdir);
	if ((rc = ls_key_load(key_path, 0, &v.key, err, sizeof(err))) != 0) {
		close(v.dirfd);
		return fail(&v, rc, "%s", err);
	}
	if (ls_hasher_init(&v.h) != 0) {
		close(v.dirfd);
		OPENSSL_cleanse(&v.key, sizeof(v.key));
		return fail(&v, MAMORI_ENOMEM, "out of memory");
	}
	/* The head is read before the walk: what it names was durable
	 * then, so the walk must find it even while the writer goes on. */
	v.head_rc = ls_head_read(v.dirfd, &v.head, v.head_raw);
	if (v.head_rc == 0)
		v.head_auth = ls_mac_check(&v.key, v.head_raw,
		    LS_HEAD_LEN - LS_MAC_LEN, v.head.key_id, v.head.mac);
	rc = verify(&v, dir);
	if (rc == 0) {
		if (res->records == 0)
			snprintf(res->msg, sizeof(res->msg), "intact: 0 "
			    "records in %llu segments, %llu segments expired "
			    "by retention", ULL(res->segments),
			    ULL(res->expired));
		else
			snprintf(res->msg, sizeof(res->msg), "intact: %llu "
			    "records in %llu segments (seq %llu..%llu), %llu "
			    "segments expired by retention", ULL(res->records),
			    ULL(res->segments), ULL(res->first_seq),
			    ULL(res->last_seq), ULL(res->expired));
	}
	ls_hasher_release(&v.h);
	OPENSSL_cleanse(&v.key, sizeof(v.key));
	free(v.pend);
	close(v.dirfd);
	return rc;
}
