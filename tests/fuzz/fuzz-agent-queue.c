/*
 * fuzz-agent-queue.c - libFuzzer harness for what the agent reads back
 * from its state directory, which a crash may leave torn and anyone with
 * access may change: queue segments (agent_queue_scan() and the whole
 * open/repair/read path), the cursor, the positions file; and for the
 * RELP responses it reads from the network (agent_relp_parse()).
 *
 * Input: byte 0 is flags, the rest is the file.  Flag 0x01 "fix": first
 * give the segment header and every record that can be framed the right
 * CRC and sequence number, so mutations get past the checksums to the
 * reader and repair logic.  The same bytes are also given to the cursor,
 * positions and RELP parsers.
 *
 * Checked besides what the sanitizers catch: scan's verdict agrees with
 * an independent walk and every good record encodes back to its bytes;
 * a queue opened on the file returns exactly the records scan found, in
 * order, then takes a new one numbered after them; a decoded cursor and
 * a parsed positions file survive encode/format and decode/parse
 * unchanged; RELP frames stay inside the input, one call per frame.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "host/agent.h"

#define F_FIX		0x01
#define INPUT_MAX	(256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	int	 ready;
	char	 root[256], q[300];
} g;

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
clean_dir(void)
{
	DIR *d;
	struct dirent *de;
	char p[600];

	if ((d = opendir(g.q)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", g.q, de->d_name);
			unlink(p);
		}
	closedir(d);
}

static void
teardown(void)
{
	if (!g.ready)
		return;
	clean_dir();
	rmdir(g.q);
	rmdir(g.root);
	g.ready = 0;
}

static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	snprintf(g.root, sizeof(g.root), "%s/fuzz-agent-queue-XXXXXX", base);
	if (mkdtemp(g.root) == NULL)
		abort();
	snprintf(g.q, sizeof(g.q), "%s/queue", g.root);
	g.ready = 1;
	atexit(teardown);
}

/* Gives the header and each framable record the right CRC and seq. */
static void
fixup(uint8_t *p, size_t len)
{
	uint8_t hdr[AGENT_QUEUE_SEG_HDR], rh[AGENT_QUEUE_REC_HDR];
	uint64_t first, seq;
	size_t off = AGENT_QUEUE_SEG_HDR;
	uint32_t l;

	if (len < AGENT_QUEUE_SEG_HDR)
		return;
	first = get64(p + 8);
	if (first == 0 || first > UINT64_MAX / 4)
		first = 1 + (first & 0xffff);
	agent_queue_seg_header(hdr, first, (int64_t)get64(p + 16));
	memcpy(p, hdr, sizeof(hdr));
	for (seq = first; len - off >= AGENT_QUEUE_REC_HDR; seq++) {
		l = get32(p + off) % (AGENT_QUEUE_REC_MAX + 1);
		if (l > len - off - AGENT_QUEUE_REC_HDR)
			break;
		agent_queue_rec_header(rh, seq, (int64_t)get64(p + off + 16),
		    p + off + AGENT_QUEUE_REC_HDR, l);
		memcpy(p + off, rh, sizeof(rh));
		off += AGENT_QUEUE_REC_HDR + l;
	}
}

/* An independent walk: what scan should have found. */
static void
check_scan(const uint8_t *p, size_t len, const struct agent_queue_scan *s)
{
	uint8_t rh[AGENT_QUEUE_REC_HDR];
	size_t off = AGENT_QUEUE_SEG_HDR;
	uint64_t seq, n = 0;
	uint32_t l;

	if (s->valid > len || s->valid < AGENT_QUEUE_SEG_HDR ||
	    s->next_seq - s->first_seq != s->records ||
	    s->torn != (s->valid < len) || (s->torn && s->why == NULL))
		abort();
	for (seq = s->first_seq; off < s->valid; seq++, n++) {
		if (s->valid - off < AGENT_QUEUE_REC_HDR)
			abort();
		l = get32(p + off);
		if (l > AGENT_QUEUE_REC_MAX ||
		    l > s->valid - off - AGENT_QUEUE_REC_HDR)
			abort();
		agent_queue_rec_header(rh, seq, (int64_t)get64(p + off + 16),
		    p + off + AGENT_QUEUE_REC_HDR, l);
		if (memcmp(rh, p + off, sizeof(rh)) != 0)
			abort();
		if (n == 0 && (int64_t)get64(p + off + 16) != s->first_ns)
			abort();
		off += AGENT_QUEUE_REC_HDR + l;
	}
	if (off != s->valid || n != s->records)
		abort();
}

/* The queue opened on the file gives back exactly scan's records. */
static void
check_open(const uint8_t *p, size_t len, const struct agent_queue_scan *s,
    int hdr_ok)
{
	struct agent_queue *q;
	struct agent_queue_info info;
	struct agent_queue_reader *rd;
	struct agent_queue_rec rec;
	char path[700], err[256];
	uint64_t want, nread = 0, seq;
	size_t off = AGENT_QUEUE_SEG_HDR;
	FILE *f;
	int r;

	clean_dir();
	mkdir(g.q, 0700);
	snprintf(path, sizeof(path), "%s/%016llx.seg", g.q,
	    (unsigned long long)(hdr_ok ? s->first_seq : 1));
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (len > 0 && fwrite(p, 1, len, f) != len)
		abort();
	fclose(f);
	if ((r = agent_queue_open(g.q, 64u << 20, &q, &info, err,
	    sizeof(err))) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return;
	}
	if (hdr_ok && (info.records != s->records ||
	    info.torn_bytes != len - s->valid))
		abort();
	if (!hdr_ok && info.records != 0)
		abort();
	rd = agent_queue_reader_new(q);
	if (rd == NULL)
		abort();
	for (want = 1; ; want = rec.seq + 1) {
		r = agent_queue_read(rd, want, &rec);
		if (r == MAMORI_ENOTFOUND)
			break;
		if (r != 0 || !hdr_ok || rec.seq != s->first_seq + nread)
			abort();
		if (rec.len != get32(p + off) ||
		    memcmp(rec.data, p + off + AGENT_QUEUE_REC_HDR,
		    rec.len) != 0)
			abort();
		off += AGENT_QUEUE_REC_HDR + rec.len;
		if (++nread > s->records)
			abort();
	}
	if (hdr_ok && nread != s->records)
		abort();
	/* The repaired queue takes the next record in sequence. */
	if (agent_queue_append(q, 1, "next", 4, &seq) != 0 ||
	    seq != (hdr_ok ? s->next_seq : 1))
		abort();
	if (agent_queue_read(rd, seq, &rec) != 0 || rec.seq != seq ||
	    rec.len != 4 || memcmp(rec.data, "next", 4) != 0)
		abort();
	agent_queue_reader_free(rd);
	agent_queue_close(q);
}

static void
check_cursor(const uint8_t *p, size_t len)
{
	struct agent_queue_cursor c, d;
	uint8_t buf[AGENT_QUEUE_CURSOR_LEN];

	if (agent_queue_cursor_decode(p, len, &c) != 0)
		return;
	agent_queue_cursor_encode(&c, buf);
	if (agent_queue_cursor_decode(buf, sizeof(buf), &d) != 0 ||
	    memcmp(&c, &d, sizeof(c)) != 0 || memcmp(buf, p, 48) != 0)
		abort();
}

static void
check_positions(const uint8_t *p, size_t len)
{
	struct agent_pos *v = NULL, *w = NULL;
	char err[256], *buf;
	size_t n, m, i, blen;

	memset(err, 0x55, sizeof(err));
	if (agent_pos_parse(p, len, &v, &n, err, sizeof(err)) != 0) {
		if (v != NULL || memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, "line ", 5) != 0)
			abort();
		return;
	}
	if (agent_pos_format(v, n, &buf, &blen) != 0)
		abort();
	if (agent_pos_parse((const uint8_t *)buf, blen, &w, &m, err,
	    sizeof(err)) != 0 || m != n)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(v[i].path, w[i].path) != 0 ||
		    v[i].dev != w[i].dev || v[i].ino != w[i].ino ||
		    v[i].offset != w[i].offset ||
		    v[i].siglen != w[i].siglen ||
		    memcmp(v[i].sig, w[i].sig, 32) != 0)
			abort();
	free(buf);
	agent_pos_free(v, n);
	agent_pos_free(w, m);
}

static void
check_relp(const uint8_t *p, size_t len)
{
	struct agent_relp_frame f;
	size_t off = 0, used, calls = 0;
	int r;

	while (off < len) {
		if (++calls > len)
			abort();
		r = agent_relp_parse(p + off, len - off, &f, &used);
		if (r != 0)
			break;
		if (used == 0 || used > len - off ||
		    f.datalen > AGENT_RELP_DATA_MAX ||
		    (f.datalen > 0 && (f.data < p + off ||
		    f.data + f.datalen > p + off + used)) ||
		    f.command[0] == '\0' || f.code < 0 || f.code > 999)
			abort();
		off += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_queue_scan s;
	uint8_t *p;
	size_t n;
	int r;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (!g.ready)
		setup();
	n = size - 1;
	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		abort();
	memcpy(p, data + 1, n);
	if (data[0] & F_FIX)
		fixup(p, n);
	r = agent_queue_scan(p, n, &s);
	if (r == 0)
		check_scan(p, n, &s);
	else if (r != MAMORI_ECORRUPT || s.why == NULL || s.hdr_ok)
		abort();
	check_open(p, n, &s, r == 0);
	check_cursor(p, n);
	check_positions(p, n);
	check_relp(p, n);
	free(p);
	return 0;
}
