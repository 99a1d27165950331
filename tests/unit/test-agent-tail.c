/*
 * test-agent-tail.c - following files (src/host/agent-tail.c) and the
 * positions file (agent-pos.c): lines, partial lines, cut lines,
 * rotation with a writer still on the old file, copytruncate, files that
 * appear later, start at the end or the beginning, and restarts: resume,
 * a file rotated while the agent was down (rest of the old one read
 * first), a file replaced with the old one gone (reported).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "host/agent.h"
#include "test.h"
#include "test-fs.h"

static char root[64];

struct got {
	char	 lines[64][400];
	int	 cut[64];
	int	 n;
	char	 notes[8][64];
	int	 nnotes;
};

static void
on_line(void *arg, const struct agent_log_conf *lc, const char *sdpath,
    const uint8_t *line, size_t len, int cut)
{
	struct got *g = arg;

	if (g->n < 64) {
		snprintf(g->lines[g->n], sizeof(g->lines[0]), "%.*s",
		    (int)len, (const char *)line);
		g->cut[g->n] = cut;
		g->n++;
	}
}

static void
on_note(void *arg, const char *event, const char *path, const char *detail)
{
	struct got *g = arg;

	if (g->nnotes < 8)
		snprintf(g->notes[g->nnotes++], sizeof(g->notes[0]), "%s",
		    event);
}

static void
put(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);

	if (f == NULL) {
		CHECK(0);
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* A configuration tailing one file, in its own directory. */
static void
setup(struct agent_conf *c, const char *name, char *file, size_t flen,
    char *pos, size_t plen)
{
	char dir[200];

	snprintf(dir, sizeof(dir), "%s/%s", root, name);
	mkdir(dir, 0700);
	snprintf(file, flen, "%s/app.log", dir);
	snprintf(pos, plen, "%s/positions", dir);
	agent_conf_init(c);
	c->rotate_grace_ns = 0;
	c->max_line = 300;
	agent_conf_add_log(c, file);
}

static void
check(struct agent_tail *t)
{
	int more;

	agent_tail_check(t, time_now_ns(), 1, &more);
}

TEST(lines_partial_cut)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256], big[1200];

	memset(&g, 0, sizeof(g));
	setup(&c, "t1", file, sizeof(file), pos, sizeof(pos));
	put(file, "w", "before start\n");
	c.start = AGENT_START_END;
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	CHECK(t != NULL);
	if (t == NULL)
		return;
	check(t);
	CHECK_INT(g.n, 0);	/* start: end */
	put(file, "a", "one\r\n\ntwo\npart");
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.lines[0], "one");
	CHECK_STR(g.lines[1], "two");
	put(file, "a", "ial\n");
	check(t);
	CHECK_INT(g.n, 3);
	CHECK_STR(g.lines[2], "partial");
	/* A line over max_line (300): cut there, the rest skipped. */
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	put(file, "a", big);
	put(file, "a", "after\n");
	check(t);
	CHECK_INT(g.n, 5);
	CHECK_INT(strlen(g.lines[3]), 300);
	CHECK_INT(g.cut[3], 1);
	CHECK_STR(g.lines[4], "after");
	CHECK_INT(g.cut[4], 0);
	/* Exactly max_line passes whole. */
	memset(big, 'y', 300);
	big[300] = '\n';
	big[301] = '\0';
	put(file, "a", big);
	check(t);
	CHECK_INT(g.n, 6);
	CHECK_INT(strlen(g.lines[5]), 300);
	CHECK_INT(g.cut[5], 0);
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(rotation_with_writer_on_old_file)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256], old[300];
	FILE *w;

	memset(&g, 0, sizeof(g));
	setup(&c, "t2", file, sizeof(file), pos, sizeof(pos));
	c.start = AGENT_START_BEGINNING;
	c.rotate_grace_ns = 3600 * NS_PER_SEC;	/* kept open */
	put(file, "w", "a1\n");
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	if (t == NULL) {
		CHECK(0);
		return;
	}
	check(t);
	CHECK_INT(g.n, 1);
	/* The daemon keeps its descriptor; logrotate renames. */
	w = fopen(file, "a");
	snprintf(old, sizeof(old), "%s.1", file);
	CHECK_INT(rename(file, old), 0);
	fputs("a2 written after the rename\n", w);
	fflush(w);
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.lines[1], "a2 written after the rename");
	/* The new file appears; the daemon still writes to the old one
	 * for a moment (before it reopens). */
	put(file, "w", "b1\n");
	fputs("a3 late\n", w);
	fflush(w);
	check(t);
	CHECK_INT(g.n, 4);
	CHECK_STR(g.lines[2], "a3 late");
	CHECK_STR(g.lines[3], "b1");
	/* An unterminated last line of the old file goes when it closes. */
	fputs("a4 unterminated", w);
	fclose(w);
	agent_tail_free(t);
	/* The same, with no grace: the old file is finished at once. */
	memset(&g, 0, sizeof(g));
	c.rotate_grace_ns = 0;
	unlink(pos);
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.lines[0], "b1");
	w = fopen(file, "a");
	fputs("b2 unterminated", w);
	fclose(w);
	check(t);
	CHECK_INT(g.n, 1);
	CHECK_INT(rename(file, old), 0);
	put(file, "w", "c1\n");
	check(t);	/* old file retired, new opened */
	check(t);	/* grace 0: closed, its last line sent */
	CHECK_INT(g.n, 3);
	CHECK_STR(g.lines[1], "c1");
	CHECK_STR(g.lines[2], "b2 unterminated");
	CHECK_INT(g.nnotes, 0);
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(copytruncate)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256];

	memset(&g, 0, sizeof(g));
	setup(&c, "t3", file, sizeof(file), pos, sizeof(pos));
	c.start = AGENT_START_BEGINNING;
	put(file, "w", "line one\nline two\n");
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_INT(truncate(file, 0), 0);
	put(file, "a", "new\n");
	check(t);
	CHECK_INT(g.nnotes, 1);
	CHECK_STR(g.notes[0], "log-truncated");
	CHECK_INT(g.n, 3);
	CHECK_STR(g.lines[2], "new");
	/* Truncated and rewritten past the old position before we looked:
	 * the first bytes tell. */
	check(t);
	CHECK_INT(truncate(file, 0), 0);
	put(file, "a", "rewritten with more bytes than before\n");
	check(t);
	CHECK_INT(g.nnotes, 2);
	CHECK_INT(g.n, 4);
	CHECK_STR(g.lines[3], "rewritten with more bytes than before");
	/* Nothing reported again while it stays the same. */
	check(t);
	check(t);
	CHECK_INT(g.nnotes, 2);
	CHECK_INT(g.n, 4);
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(appears_later)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256];

	memset(&g, 0, sizeof(g));
	setup(&c, "t4", file, sizeof(file), pos, sizeof(pos));
	c.start = AGENT_START_END;
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 0);
	/* Created after the start: read from its first byte, whatever
	 * logs.start says. */
	put(file, "w", "first\nsecond\n");
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.lines[0], "first");
	/* Removed, then back. */
	unlink(file);
	check(t);
	check(t);
	put(file, "w", "third\n");
	check(t);
	CHECK_INT(g.n, 3);
	CHECK_STR(g.lines[2], "third");
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(restart_resume_and_rotated_meanwhile)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256], old[300];

	memset(&g, 0, sizeof(g));
	setup(&c, "t5", file, sizeof(file), pos, sizeof(pos));
	c.start = AGENT_START_BEGINNING;
	put(file, "w", "r1\nr2\n");
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_INT(agent_tail_save(t), 0);
	agent_tail_free(t);
	/* Written while the agent was down: resumed, nothing repeated. */
	put(file, "a", "r3\n");
	memset(&g, 0, sizeof(g));
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.lines[0], "r3");
	CHECK_INT(agent_tail_save(t), 0);
	agent_tail_free(t);
	/* Down again: more lines, then a rotation, then a new file. */
	put(file, "a", "r4\n");
	snprintf(old, sizeof(old), "%s.1", file);
	CHECK_INT(rename(file, old), 0);
	put(file, "w", "s1\n");
	memset(&g, 0, sizeof(g));
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.n, 2);
	CHECK_STR(g.lines[0], "r4");
	CHECK_STR(g.lines[1], "s1");
	CHECK_INT(g.nnotes, 0);
	CHECK_INT(agent_tail_save(t), 0);
	agent_tail_free(t);
	/* Replaced and the old file gone: reported, new one read whole.
	 * (The new file is made while the old one exists, so that it cannot
	 * get the old inode number back: a file with the saved inode and
	 * other first bytes is taken as truncated, as below.) */
	unlink(old);
	put(file, "a", "s2 lost\n");
	CHECK_INT(rename(file, old), 0);
	put(file, "w", "u1\n");
	unlink(old);
	memset(&g, 0, sizeof(g));
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.nnotes, 1);
	CHECK_STR(g.notes[0], "log-replaced");
	CHECK_INT(g.n, 1);
	CHECK_STR(g.lines[0], "u1");
	CHECK_INT(agent_tail_save(t), 0);
	agent_tail_free(t);
	/* Shrunk while down (same inode). */
	CHECK_INT(truncate(file, 0), 0);
	put(file, "a", "v\n");
	memset(&g, 0, sizeof(g));
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	check(t);
	CHECK_INT(g.nnotes, 1);
	CHECK_STR(g.notes[0], "log-truncated");
	CHECK_INT(g.n, 1);
	CHECK_STR(g.lines[0], "v");
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(damaged_positions_fall_back)
{
	struct agent_conf c;
	struct agent_tail *t;
	struct got g;
	char file[256], pos[256], err[256];

	memset(&g, 0, sizeof(g));
	setup(&c, "t6", file, sizeof(file), pos, sizeof(pos));
	c.start = AGENT_START_END;
	put(file, "w", "old line\n");
	put(pos, "w", "mamori-agent-positions 1\ngarbage\n");
	t = agent_tail_new(&c, pos, on_line, on_note, &g, err, sizeof(err));
	CHECK(t != NULL);
	check(t);
	CHECK_INT(g.n, 0);	/* logs.start applies */
	put(file, "a", "new line\n");
	check(t);
	CHECK_INT(g.n, 1);
	agent_tail_free(t);
	agent_conf_release(&c);
}

TEST(positions_format)
{
	struct agent_pos v[2], *out = NULL;
	char *buf = NULL, err[200];
	size_t len, n, i;

	memset(v, 0, sizeof(v));
	v[0].path = "/var/log/auth.log";
	v[0].dev = 65024;
	v[0].ino = 123456789;
	v[0].offset = 42;
	v[0].siglen = 42;
	for (i = 0; i < 32; i++)
		v[0].sig[i] = (uint8_t)i;
	v[1].path = "/var/log/odd name %\n\xc3\xa9.log";
	v[1].dev = UINT64_MAX;
	v[1].ino = 1;
	v[1].offset = (uint64_t)INT64_MAX;
	v[1].siglen = AGENT_SIG_MAX;
	CHECK_INT(agent_pos_format(v, 2, &buf, &len), 0);
	CHECK(strstr(buf, "odd%20name%20%25%0A%C3%A9.log") != NULL);
	CHECK_INT(agent_pos_parse((uint8_t *)buf, len, &out, &n, err,
	    sizeof(err)), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(out[0].path, v[0].path);
		CHECK_STR(out[1].path, v[1].path);
		CHECK(out[1].dev == UINT64_MAX && out[1].offset ==
		    (uint64_t)INT64_MAX && out[1].siglen == AGENT_SIG_MAX);
		CHECK(memcmp(out[0].sig, v[0].sig, 32) == 0);
	}
	agent_pos_free(out, n);
	/* Cut short, one byte changed, trailing bytes: refused. */
	CHECK_INT(agent_pos_parse((uint8_t *)buf, len - 1, &out, &n, err,
	    sizeof(err)), MAMORI_ECORRUPT);
	buf[40] ^= 1;
	CHECK_INT(agent_pos_parse((uint8_t *)buf, len, &out, &n, err,
	    sizeof(err)), MAMORI_ECORRUPT);
	buf[40] ^= 1;
	buf = realloc(buf, len + 1);
	buf[len] = '\n';
	CHECK_INT(agent_pos_parse((uint8_t *)buf, len + 1, &out, &n, err,
	    sizeof(err)), MAMORI_ECORRUPT);
	free(buf);
	/* Empty list. */
	CHECK_INT(agent_pos_format(v, 0, &buf, &len), 0);
	CHECK_INT(agent_pos_parse((uint8_t *)buf, len, &out, &n, err,
	    sizeof(err)), 0);
	CHECK_INT(n, 0);
	free(buf);
	/* Field errors name their line. */
	{
		static const char bad[] = "mamori-agent-positions 1\n"
		    "1 2 3 2000 00 /x\nend 00000000\n";

		CHECK_INT(agent_pos_parse((const uint8_t *)bad,
		    sizeof(bad) - 1, &out, &n, err, sizeof(err)),
		    MAMORI_ECORRUPT);
		CHECK(strncmp(err, "line 2: ", 8) == 0);
	}
}

int
main(void)
{
	snprintf(root, sizeof(root), "/tmp/test-agent-tail.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(lines_partial_cut);
	RUN(rotation_with_writer_on_old_file);
	RUN(copytruncate);
	RUN(appears_later);
	RUN(restart_resume_and_rotated_meanwhile);
	RUN(damaged_positions_fall_back);
	RUN(positions_format);
	rmtree(root);
	return test_summary();
}
