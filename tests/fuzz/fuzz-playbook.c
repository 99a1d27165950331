/*
 * fuzz-playbook.c - libFuzzer harness for playbook files
 * (playbook_load_buf(): libyaml through core/yamldoc, then the playbook
 * shape).
 *
 * The input is a whole playbook file.  Besides what ASan and UBSan
 * catch, it checks that an accepted playbook obeys every documented
 * bound (ids, titles one line without control characters, text lengths,
 * 1..64 steps with unique ids, "when" levels), that an error is
 * NUL-terminated and names the file and a line of the input, that a short
 * error buffer gets the message cut, and that loading is deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "incident/playbook.h"

#define FNAME	"fuzz.yaml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const char *s)
{
	size_t n, i;

	if (s == NULL || (n = strlen(s)) == 0 || n > PLAYBOOK_MAX_ID ||
	    s[0] == '-' || s[0] == '_')
		abort();
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			abort();
}

/* Trimmed, bounded, and free of control characters but \n and \t in
 * text (not in a title). */
static void
check_text(const char *s, size_t max, int oneline, int may_be_null)
{
	size_t n, i;
	unsigned char c;

	if (s == NULL) {
		if (!may_be_null)
			abort();
		return;
	}
	if ((n = strlen(s)) == 0 || n > max)
		abort();
	if (s[0] == ' ' || s[0] == '\n' || s[0] == '\t' ||
	    s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t')
		abort();
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (!oneline && (c == '\n' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			abort();
	}
}

static void
check_playbook(const struct playbook *pb)
{
	size_t i, j;

	if (pb == NULL || strcmp(pb->path, FNAME) != 0)
		abort();
	check_id(pb->id);
	check_id(pb->category);
	check_text(pb->title, PLAYBOOK_MAX_TITLE, 1, 0);
	check_text(pb->summary, PLAYBOOK_MAX_TEXT, 0, 1);
	if (pb->nsteps < 1 || pb->nsteps > PLAYBOOK_MAX_STEPS ||
	    pb->steps == NULL)
		abort();
	for (i = 0; i < pb->nsteps; i++) {
		const struct playbook_step *s = &pb->steps[i];

		check_id(s->id);
		check_text(s->title, PLAYBOOK_MAX_TITLE, 1, 0);
		check_text(s->detail, PLAYBOOK_MAX_TEXT, 0, 1);
		if (s->min_impact < 0 || s->min_impact > 3)
			abort();
		if ((playbook_when_name(s->min_impact) == NULL) !=
		    (s->min_impact == 0))
			abort();
		if (!playbook_step_applies(s, 3) ||
		    playbook_step_applies(s, 1) != (s->min_impact <= 1))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(pb->steps[j].id, s->id) == 0)
				abort();
	}
}

static int
same(const struct playbook *a, const struct playbook *b)
{
	size_t i;

#define SAME_S(x, y) (((x) == NULL && (y) == NULL) || \
	((x) != NULL && (y) != NULL && strcmp((x), (y)) == 0))
	if (!SAME_S(a->id, b->id) || !SAME_S(a->category, b->category) ||
	    !SAME_S(a->title, b->title) || !SAME_S(a->summary, b->summary) ||
	    a->nsteps != b->nsteps)
		return 0;
	for (i = 0; i < a->nsteps; i++)
		if (!SAME_S(a->steps[i].id, b->steps[i].id) ||
		    !SAME_S(a->steps[i].title, b->steps[i].title) ||
		    !SAME_S(a->steps[i].detail, b->steps[i].detail) ||
		    a->steps[i].min_impact != b->steps[i].min_impact)
			return 0;
	return 1;
#undef SAME_S
}

static void
check_error(const char *err, size_t errlen, long lines)
{
	const char *p;
	char *end;
	long line;

	if (memchr(err, '\0', errlen) == NULL)
		abort();
	if (strncmp(err, FNAME ":", sizeof(FNAME)) != 0) {
		/* Only the size limit names no line. */
		if (strncmp(err, FNAME ": larger than ",
		    sizeof(FNAME ": larger than ") - 1) != 0 &&
		    strcmp(err, FNAME ": out of memory") != 0)
			abort();
		return;
	}
	p = err + sizeof(FNAME);
	line = strtol(p, &end, 10);
	if (end == p || *end != ':' || line < 1 || line > lines ||
	    end[1] != ' ' || end[2] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct playbook *pb, *pb2;
	char err[1024], err2[1024], small[16];
	long lines = 1;
	size_t i;
	int r, r2;

	/* Lines as YAML counts them: \n, \r, \r\n, NEL, LS and PS each
	 * end one. */
	for (i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			i++;
		if (data[i] == '\n' || data[i] == '\r' || (i + 1 < size &&
		    data[i] == 0xc2 && data[i + 1] == 0x85) || (i + 2 < size &&
		    data[i] == 0xe2 && data[i + 1] == 0x80 &&
		    (data[i + 2] == 0xa8 || data[i + 2] == 0xa9)))
			lines++;
	}
	/* libyaml ends the last line at the end of the input as if a line
	 * break were there, so a syntax error found at the very end of an
	 * input without a final newline names the line after it. */
	if (size > 0 && data[size - 1] != '\n' && data[size - 1] != '\r')
		lines++;
	memset(err, 'X', sizeof(err));
	r = playbook_load_buf(FNAME, (const char *)data, size, &pb, err,
	    sizeof(err));
	r2 = playbook_load_buf(FNAME, (const char *)data, size, &pb2, err2,
	    sizeof(err2));
	if (r != r2 || (r == 0) != (pb != NULL) || (r2 == 0) != (pb2 != NULL))
		abort();
	if (r != 0 && r != MAMORI_ECONFIG && r != MAMORI_ENOMEM)
		abort();
	if (r != 0) {
		check_error(err, sizeof(err), lines);
		if (strcmp(err, err2) != 0)
			abort();
		if (r == MAMORI_ECONFIG) {
			if (playbook_load_buf(FNAME, (const char *)data, size,
			    &pb2, small, sizeof(small)) != r || pb2 != NULL ||
			    strncmp(small, err, sizeof(small) - 1) != 0 ||
			    strlen(small) != (strlen(err) < sizeof(small) ?
			    strlen(err) : sizeof(small) - 1))
				abort();
		}
		return 0;
	}
	if (err[0] != '\0')
		abort();
	check_playbook(pb);
	if (!same(pb, pb2))
		abort();
	playbook_free(pb);
	playbook_free(pb2);
	return 0;
}
