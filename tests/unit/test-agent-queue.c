/*
 * test-agent-queue.c - the agent's disk queue (src/host/agent-queue.c):
 * order and acknowledgement, reopening, a torn tail cut at start, a
 * damaged older segment, the size cap dropping the oldest records (with
 * the exact count and time range reported), the cursor and segment
 * formats at their limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>

#include "core/error.h"
#include "host/agent.h"
#include "test.h"
#include "test-fs.h"

static char root[64];

static void
qdir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

static struct agent_queue *
open_q(const char *dir, uint64_t max, struct agent_queue_info *info)
{
	struct agent_queue *q = NULL;
	char err[256];
	int r = agent_queue_open(dir, max, &q, info, err, sizeof(err));

	if (r != 0)
		fprintf(stderr, "open %s: %s\n", dir, err);
	CHECK_INT(r, 0);
	return q;
}

/* Payload of record i: "record <i>" padded to len bytes. */
static size_t
payload(char *buf, size_t len, unsigned i)
{
	size_t n = (size_t)snprintf(buf, len, "record %u ", i);

	while (n < len - 1) {
		buf[n] = (char)('a' + (i + n) % 26);
		n++;
	}
	buf[n] = '\0';
	return n;
}

static int
count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	size_t sl = strlen(suffix);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l > sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

TEST(append_read_ack)
{
	char dir[128], buf[300];
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	uint64_t seq, n, bytes, acked, dropped;
	unsigned i;
	size_t len;

	qdir(dir, sizeof(dir), "q1");
	q = open_q(dir, 1u << 20, NULL);
	if (q == NULL)
		return;
	/* 1 MiB cap: 64 KiB segments; 2000 records of 200 bytes span
	 * several. */
	for (i = 1; i <= 2000; i++) {
		len = payload(buf, 200, i);
		CHECK_INT(agent_queue_append(q, (int64_t)i * 1000, buf, len,
		    &seq), 0);
		CHECK_INT(seq, i);
	}
	CHECK(count_files(dir, ".seg") > 4);
	rd = agent_queue_reader_new(q);
	for (i = 1; i <= 2000; i++) {
		if (agent_queue_read(rd, i, &rec) != 0) {
			CHECK(0);
			break;
		}
		len = payload(buf, 200, i);
		CHECK_INT(rec.seq, i);
		CHECK_INT(rec.time_ns, (int64_t)i * 1000);
		CHECK(rec.len == len && memcmp(rec.data, buf, len) == 0);
	}
	CHECK_INT(agent_queue_read(rd, 2001, &rec), MAMORI_ENOTFOUND);
	/* Backwards (a resend after reconnecting) and forwards again. */
	CHECK_INT(agent_queue_read(rd, 7, &rec), 0);
	CHECK_INT(rec.seq, 7);
	CHECK_INT(agent_queue_read(rd, 1999, &rec), 0);
	CHECK_INT(rec.seq, 1999);
	agent_queue_depth(q, &n, &bytes, &acked, &dropped);
	CHECK_INT(n, 2000);
	CHECK_INT(acked, 0);
	CHECK_INT(dropped, 0);
	agent_queue_ack(q, 1500);
	agent_queue_depth(q, &n, &bytes, &acked, &dropped);
	CHECK_INT(n, 500);
	CHECK_INT(acked, 1500);
	/* Wholly acknowledged segments are gone. */
	CHECK(bytes < 700 * 224 + 64 * 1024);
	/* Asking for an acknowledged record gives the next present one. */
	CHECK_INT(agent_queue_read(rd, 1, &rec), 0);
	CHECK(rec.seq >= 1 && rec.seq <= 1501);
	agent_queue_ack(q, 2000);
	agent_queue_depth(q, &n, &bytes, &acked, &dropped);
	CHECK_INT(n, 0);
	CHECK_INT(count_files(dir, ".seg"), 1);	/* the active one stays */
	agent_queue_reader_free(rd);
	CHECK_INT(agent_queue_close(q), 0);
}

TEST(reopen_keeps_records_and_cursor)
{
	char dir[128], buf[300];
	struct agent_queue *q;
	struct agent_queue_info info;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	uint64_t seq;
	unsigned i;
	size_t len;

	qdir(dir, sizeof(dir), "q2");
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.records, 0);
	CHECK_INT(info.cursor_reset, 0);
	for (i = 1; i <= 100; i++) {
		len = payload(buf, 100, i);
		agent_queue_append(q, i, buf, len, NULL);
	}
	agent_queue_ack(q, 40);
	CHECK_INT(agent_queue_close(q), 0);
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.records, 60);
	CHECK_INT(info.torn_bytes, 0);
	rd = agent_queue_reader_new(q);
	CHECK_INT(agent_queue_read(rd, 41, &rec), 0);
	len = payload(buf, 100, 41);
	CHECK(rec.seq == 41 && rec.len == len &&
	    memcmp(rec.data, buf, len) == 0);
	/* Numbering goes on. */
	CHECK_INT(agent_queue_append(q, 0, "x", 1, &seq), 0);
	CHECK_INT(seq, 101);
	agent_queue_reader_free(rd);
	agent_queue_close(q);
}

TEST(torn_tail_cut)
{
	char dir[128], buf[300], path[256];
	struct agent_queue *q;
	struct agent_queue_info info;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	uint8_t hdr[AGENT_QUEUE_REC_HDR];
	uint64_t seq;
	unsigned i;
	size_t len;
	int fd;

	qdir(dir, sizeof(dir), "q3");
	if ((q = open_q(dir, 1u << 20, NULL)) == NULL)
		return;
	for (i = 1; i <= 10; i++) {
		len = payload(buf, 50, i);
		agent_queue_append(q, i, buf, len, NULL);
	}
	agent_queue_close(q);
	/* A record whose header made it to disk but not its payload, as a
	 * crash in the middle of a write leaves it. */
	agent_queue_rec_header(hdr, 11, 11, "0123456789", 10);
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
	CHECK_INT(write(fd, "01234", 5), 5);
	close(fd);
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.torn_bytes, AGENT_QUEUE_REC_HDR + 5);
	CHECK_INT(info.records, 10);
	CHECK_INT(info.lost_records, 0);
	CHECK_INT(agent_queue_append(q, 12, "after", 5, &seq), 0);
	CHECK_INT(seq, 11);
	rd = agent_queue_reader_new(q);
	CHECK_INT(agent_queue_read(rd, 10, &rec), 0);
	CHECK_INT(rec.seq, 10);
	CHECK_INT(agent_queue_read(rd, 11, &rec), 0);
	CHECK(rec.seq == 11 && rec.len == 5 && memcmp(rec.data, "after",
	    5) == 0);
	agent_queue_reader_free(rd);
	agent_queue_close(q);
	/* A segment header cut short (crash while creating a segment). */
	snprintf(path, sizeof(path), "%s/000000000000000c.seg", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK_INT(write(fd, "MAMAGTQ1", 8), 8);
	close(fd);
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.torn_bytes, 8);
	CHECK_INT(info.records, 11);
	CHECK_INT(agent_queue_append(q, 13, "y", 1, &seq), 0);
	CHECK_INT(seq, 12);
	agent_queue_close(q);
}

TEST(damaged_older_segment)
{
	char dir[128], buf[300], path[256];
	struct agent_queue *q;
	struct agent_queue_info info;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	unsigned i, got = 0, last = 0;
	size_t len;
	int fd, r;

	qdir(dir, sizeof(dir), "q4");
	if ((q = open_q(dir, 1u << 20, NULL)) == NULL)
		return;
	for (i = 1; i <= 1000; i++) {
		len = payload(buf, 200, i);
		agent_queue_append(q, i, buf, len, NULL);
	}
	agent_queue_close(q);
	/* Flip a payload byte of record 10 in the first segment. */
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	fd = open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK_INT(pwrite(fd, "#", 1, AGENT_QUEUE_SEG_HDR + 9 * 224 +
	    AGENT_QUEUE_REC_HDR + 3), 1);
	close(fd);
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.lost_records, 1);
	rd = agent_queue_reader_new(q);
	/* Records 1..9 and everything from the second segment on. */
	for (i = 1; i <= 1000; ) {
		r = agent_queue_read(rd, i, &rec);
		if (r != 0)
			break;
		got++;
		last = (unsigned)rec.seq;
		if (rec.seq == 9)
			CHECK(1);
		i = (unsigned)rec.seq + 1;
	}
	CHECK_INT(last, 1000);
	CHECK(got > 9 && got < 1000);
	agent_queue_reader_free(rd);
	agent_queue_close(q);
}

TEST(cap_drops_oldest)
{
	char dir[128], buf[300];
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	struct agent_queue_cursor cur;
	uint64_t n, bytes, first = 0;
	unsigned i, total = 5000;
	size_t len;

	qdir(dir, sizeof(dir), "q5");
	/* 256 KiB: 64 KiB segments; 5000 * 224 bytes is ~1.1 MiB. */
	if ((q = open_q(dir, 256u << 10, NULL)) == NULL)
		return;
	for (i = 1; i <= total; i++) {
		len = payload(buf, 200, i);
		CHECK_INT(agent_queue_append(q, (int64_t)i * 1000000, buf,
		    len, NULL), 0);
	}
	agent_queue_depth(q, &n, &bytes, NULL, NULL);
	CHECK(bytes <= 256u << 10);
	agent_queue_pending_drops(q, &cur);
	/* Every record is either still queued or counted as dropped. */
	CHECK_INT(cur.pending + n, total);
	CHECK_INT(cur.dropped_total, cur.pending);
	CHECK(cur.pending > 3000);
	/* The oldest went: the range starts at record 1's time and ends at
	 * the last dropped one's. */
	CHECK_INT(cur.pending_from_ns, 1000000);
	CHECK_INT(cur.pending_to_ns, (int64_t)cur.pending * 1000000);
	rd = agent_queue_reader_new(q);
	CHECK_INT(agent_queue_read(rd, 1, &rec), 0);
	first = rec.seq;
	CHECK_INT(first, cur.pending + 1);
	len = payload(buf, 200, (unsigned)first);
	CHECK(rec.len == len && memcmp(rec.data, buf, len) == 0);
	/* A report delivered for some of them; more drop meanwhile. */
	agent_queue_drops_reported(q, 100);
	agent_queue_pending_drops(q, &cur);
	CHECK_INT(cur.pending + 100 + n, total);
	agent_queue_drops_reported(q, cur.pending);
	agent_queue_pending_drops(q, &cur);
	CHECK_INT(cur.pending, 0);
	CHECK_INT(cur.pending_from_ns, 0);
	/* Persisted. */
	agent_queue_reader_free(rd);
	agent_queue_close(q);
	if ((q = open_q(dir, 256u << 10, NULL)) == NULL)
		return;
	agent_queue_pending_drops(q, &cur);
	CHECK_INT(cur.pending, 0);
	CHECK_INT(cur.dropped_total, total - n);
	agent_queue_close(q);
}

TEST(partly_sent_segment_dropped)
{
	char dir[128], buf[300];
	struct agent_queue *q;
	struct agent_queue_cursor cur;
	unsigned i;
	size_t len;

	qdir(dir, sizeof(dir), "q6");
	if ((q = open_q(dir, 256u << 10, NULL)) == NULL)
		return;
	for (i = 1; i <= 200; i++) {
		len = payload(buf, 200, i);
		agent_queue_append(q, (int64_t)i * 10, buf, len, NULL);
	}
	/* The first 50 were delivered; only the rest of their segment
	 * counts, and the range starts at record 51's time. */
	agent_queue_ack(q, 50);
	for (; i <= 1400; i++) {
		len = payload(buf, 200, i);
		agent_queue_append(q, (int64_t)i * 10, buf, len, NULL);
	}
	agent_queue_pending_drops(q, &cur);
	CHECK(cur.pending > 0);
	CHECK_INT(cur.pending_from_ns, 510);
	agent_queue_close(q);
}

TEST(notify_on_append)
{
	char dir[128];
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	uint64_t v = 0;
	int efd = eventfd(0, EFD_NONBLOCK);

	qdir(dir, sizeof(dir), "q7");
	if ((q = open_q(dir, 1u << 20, NULL)) == NULL)
		return;
	agent_queue_set_notify(q, efd);
	rd = agent_queue_reader_new(q);
	CHECK_INT(agent_queue_read(rd, 1, &rec), MAMORI_ENOTFOUND);
	CHECK_INT(read(efd, &v, 8), -1);	/* nothing yet */
	agent_queue_append(q, 1, "a", 1, NULL);
	CHECK_INT(read(efd, &v, 8), 8);
	CHECK_INT(v, 1);
	/* No reader waiting: no wake-up per append. */
	agent_queue_append(q, 2, "b", 1, NULL);
	CHECK_INT(read(efd, &v, 8), -1);
	CHECK_INT(agent_queue_read(rd, 1, &rec), 0);
	CHECK_INT(agent_queue_read(rd, 2, &rec), 0);
	CHECK(rec.len == 1 && rec.data[0] == 'b');
	agent_queue_reader_free(rd);
	agent_queue_close(q);
	close(efd);
}

TEST(big_records)
{
	char dir[128];
	struct agent_queue *q;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	uint8_t *big = malloc(AGENT_QUEUE_REC_MAX + 1);
	uint64_t seq;

	qdir(dir, sizeof(dir), "q8");
	if (big == NULL || (q = open_q(dir, 16u << 20, NULL)) == NULL) {
		free(big);
		return;
	}
	memset(big, 'z', AGENT_QUEUE_REC_MAX + 1);
	big[0] = 'A';
	/* Exactly the limit passes, one over does not (and is counted). */
	CHECK_INT(agent_queue_append(q, 1, big, AGENT_QUEUE_REC_MAX, &seq), 0);
	CHECK_INT(seq, 1);
	CHECK_INT(agent_queue_append(q, 2, big, AGENT_QUEUE_REC_MAX + 1,
	    &seq), MAMORI_ETOOBIG);
	CHECK_INT(agent_queue_append(q, 3, "small", 5, &seq), 0);
	CHECK_INT(seq, 2);
	rd = agent_queue_reader_new(q);
	CHECK_INT(agent_queue_read(rd, 1, &rec), 0);
	CHECK(rec.len == AGENT_QUEUE_REC_MAX && rec.data[0] == 'A' &&
	    rec.data[AGENT_QUEUE_REC_MAX - 1] == 'z');
	CHECK_INT(agent_queue_read(rd, 2, &rec), 0);
	CHECK(rec.len == 5);
	agent_queue_reader_free(rd);
	agent_queue_close(q);
	if ((q = open_q(dir, 16u << 20, NULL)) == NULL) {
		free(big);
		return;
	}
	{
		struct agent_queue_cursor cur;

		agent_queue_pending_drops(q, &cur);
		CHECK_INT(cur.pending, 1);
	}
	agent_queue_close(q);
	free(big);
}

TEST(formats)
{
	uint8_t seg[AGENT_QUEUE_SEG_HDR + 2 * (AGENT_QUEUE_REC_HDR + 4) + 3];
	struct agent_queue_scan s;
	struct agent_queue_cursor c = { 77, 10, 3, 100, 200 }, d;
	uint8_t cb[AGENT_QUEUE_CURSOR_LEN];
	size_t off = AGENT_QUEUE_SEG_HDR;

	agent_queue_seg_header(seg, 5, 123);
	agent_queue_rec_header(seg + off, 5, 1000, "abcd", 4);
	memcpy(seg + off + AGENT_QUEUE_REC_HDR, "abcd", 4);
	off += AGENT_QUEUE_REC_HDR + 4;
	agent_queue_rec_header(seg + off, 6, 2000, "efgh", 4);
	memcpy(seg + off + AGENT_QUEUE_REC_HDR, "efgh", 4);
	off += AGENT_QUEUE_REC_HDR + 4;
	CHECK_INT(agent_queue_scan(seg, off, &s), 0);
	CHECK(s.hdr_ok && !s.torn && s.records == 2 && s.first_seq == 5 &&
	    s.next_seq == 7 && s.valid == off && s.first_ns == 1000 &&
	    s.last_ns == 2000 && s.created_ns == 123);
	/* Three bytes of a third record: torn. */
	memset(seg + off, 0, 3);
	CHECK_INT(agent_queue_scan(seg, off + 3, &s), 0);
	CHECK(s.torn && s.valid == off && s.records == 2);
	/* Cut in the second record. */
	CHECK_INT(agent_queue_scan(seg, off - 1, &s), 0);
	CHECK(s.torn && s.records == 1);
	/* Out of sequence. */
	agent_queue_rec_header(seg + AGENT_QUEUE_SEG_HDR + 28, 9, 2000,
	    "efgh", 4);
	CHECK_INT(agent_queue_scan(seg, off, &s), 0);
	CHECK(s.torn && s.records == 1 && s.why != NULL);
	/* A header alone; shorter; bad CRC. */
	CHECK_INT(agent_queue_scan(seg, AGENT_QUEUE_SEG_HDR, &s), 0);
	CHECK(s.records == 0 && !s.torn && s.next_seq == 5);
	CHECK_INT(agent_queue_scan(seg, AGENT_QUEUE_SEG_HDR - 1, &s),
	    MAMORI_ECORRUPT);
	seg[9] ^= 1;
	CHECK_INT(agent_queue_scan(seg, off, &s), MAMORI_ECORRUPT);
	/* An oversized length is damage, not a wait for more bytes. */
	agent_queue_seg_header(seg, 5, 0);
	memset(seg + AGENT_QUEUE_SEG_HDR, 0xff, 4);
	CHECK_INT(agent_queue_scan(seg, off, &s), 0);
	CHECK(s.torn && s.records == 0 && s.why != NULL &&
	    strstr(s.why, "limit") != NULL);

	agent_queue_cursor_encode(&c, cb);
	CHECK_INT(agent_queue_cursor_decode(cb, sizeof(cb), &d), 0);
	CHECK(d.acked == 77 && d.dropped_total == 10 && d.pending == 3 &&
	    d.pending_from_ns == 100 && d.pending_to_ns == 200);
	CHECK_INT(agent_queue_cursor_decode(cb, sizeof(cb) - 1, &d),
	    MAMORI_ECORRUPT);
	cb[8] ^= 1;
	CHECK_INT(agent_queue_cursor_decode(cb, sizeof(cb), &d),
	    MAMORI_ECORRUPT);
}

TEST(damaged_cursor)
{
	char dir[128], path[256];
	struct agent_queue *q;
	struct agent_queue_info info;
	int fd;

	qdir(dir, sizeof(dir), "q9");
	if ((q = open_q(dir, 1u << 20, NULL)) == NULL)
		return;
	agent_queue_append(q, 1, "a", 1, NULL);
	agent_queue_append(q, 2, "b", 1, NULL);
	agent_queue_ack(q, 1);
	agent_queue_close(q);
	snprintf(path, sizeof(path), "%s/cursor", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK_INT(write(fd, "junk", 4), 4);
	close(fd);
	/* Everything is sent again rather than anything skipped. */
	if ((q = open_q(dir, 1u << 20, &info)) == NULL)
		return;
	CHECK_INT(info.cursor_reset, 1);
	CHECK_INT(info.records, 2);
	agent_queue_close(q);
}

TEST(write_atomic)
{
	char path[256], buf[16];
	int fd;

	snprintf(path, sizeof(path), "%s/atomic", root);
	CHECK_INT(agent_write_atomic(path, "first", 5), 0);
	CHECK_INT(agent_write_atomic(path, "second", 6), 0);
	fd = open(path, O_RDONLY);
	CHECK_INT(read(fd, buf, sizeof(buf)), 6);
	close(fd);
	CHECK(memcmp(buf, "second", 6) == 0);
	snprintf(path, sizeof(path), "%s/atomic.tmp", root);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/no/such/dir/file", root);
	CHECK_INT(agent_write_atomic(path, "x", 1), MAMORI_ESYS);
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-agent-queue.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(append_read_ack);
	RUN(reopen_keeps_records_and_cursor);
	RUN(torn_tail_cut);
	RUN(damaged_older_segment);
	RUN(cap_drops_oldest);
	RUN(partly_sent_segment_dropped);
	RUN(notify_on_append);
	RUN(big_records);
	RUN(formats);
	RUN(damaged_cursor);
	RUN(write_atomic);
	rmtree(root);
	return test_summary();
}
