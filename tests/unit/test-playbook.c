/*
 * test-playbook.c - playbooks: the bundled ones (one per taxonomy
 * category plus the one for outside reports, with the seed's response
 * steps), the format's limits at and past each bound, and every error a
 * person editing a playbook can make, each checked word for word with
 * its file and line, and with nothing of the directory loaded.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "incident/playbook.h"
#include "test.h"

static char tmp[1024];		/* this run's temporary directory */

static const char *
srcdir(void)
{
	static char buf[1024];
	const char *s = getenv("MAMORI_SRC");

	if (s != NULL && *s != '\0')
		return s;
	/* Run by hand: from this file's path. */
	snprintf(buf, sizeof(buf), "%.*s/../..",
	    (int)(strrchr(__FILE__, '/') - __FILE__), __FILE__);
	return buf;
}

/* Empties (not removes) the temporary directory. */
static void
clean_tmp(void)
{
	DIR *d;
	struct dirent *de;
	char p[8192];

	if ((d = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmp, de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
}

/* Writes len bytes to tmp/name; returns the path (static buffer). */
static const char *
put_len(const char *name, const char *text, size_t len)
{
	static char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

static const char *
put(const char *name, const char *text)
{
	return put_len(name, text, strlen(text));
}

/* The taxonomy's category ids (etc/taxonomy.json), NULL-terminated. */
static char **
taxonomy(size_t *np)
{
	char path[4096], **v;
	json_t *root, *cats, *c;
	json_error_t je;
	size_t i;

	snprintf(path, sizeof(path), "%s/etc/taxonomy.json", srcdir());
	if ((root = json_load_file(path, 0, &je)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, je.line, je.text);
		abort();
	}
	cats = json_object_get(root, "categories");
	*np = json_array_size(cats) + 1;
	if ((v = calloc(*np + 1, sizeof(*v))) == NULL)
		abort();
	json_array_foreach(cats, i, c)
		v[i] = strdup(json_string_value(json_object_get(c, "id")));
	/* The fallback for alerts no category claims has its playbook
	 * too. */
	v[*np - 1] = strdup(json_string_value(json_object_get(
	    json_object_get(root, "fallback"), "id")));
	json_decref(root);
	return v;
}

static const struct playbook_step *
step(const struct playbook *pb, const char *id)
{
	size_t i;

	if (pb == NULL)
		return NULL;
	for (i = 0; i < pb->nsteps; i++)
		if (strcmp(pb->steps[i].id, id) == 0)
			return &pb->steps[i];
	return NULL;
}

/* Whether step id of pb exists and its title or detail holds text. */
static int
says(const struct playbook *pb, const char *id, const char *text)
{
	const struct playbook_step *s = step(pb, id);

	if (s == NULL) {
		fprintf(stderr, "playbook %s: no step '%s'\n",
		    pb != NULL ? pb->id : "(none)", id);
		return 0;
	}
	if (strstr(s->title, text) != NULL ||
	    (s->detail != NULL && strstr(s->detail, text) != NULL))
		return 1;
	fprintf(stderr, "playbook %s: step '%s' does not say \"%s\"\n",
	    pb->id, id, text);
	return 0;
}

static struct playbook_set *
load_bundled(char ***catsp, size_t *ncatp)
{
	struct playbook_set *set = NULL;
	char dir[4096], err[1024];
	int r;

	*catsp = taxonomy(ncatp);
	snprintf(dir, sizeof(dir), "%s/playbooks", srcdir());
	r = playbook_set_load(dir, (const char *const *)*catsp, *ncatp, &set,
	    err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "%s\n", err);
	CHECK_INT(r, 0);
	return set;
}

TEST(bundled_cover_the_taxonomy)
{
	struct playbook_set *set;
	const struct playbook *pb;
	char **cats, *base;
	size_t ncat, i, j;

	set = load_bundled(&cats, &ncat);
	CHECK_INT(ncat, 15);	/* fourteen kinds and the fallback */
	CHECK_INT(playbook_set_count(set), ncat + 1);
	for (i = 0; i <= ncat; i++) {
		const char *c = i < ncat ? cats[i] : PLAYBOOK_REPORT;

		pb = playbook_for(set, c);
		CHECK(pb != NULL);
		if (pb == NULL) {
			fprintf(stderr, "no playbook for '%s'\n", c);
			continue;
		}
		CHECK_STR(pb->category, c);
		CHECK_STR(pb->id, c);
		CHECK(playbook_get(set, c) == pb);
		base = strrchr(pb->path, '/');
		CHECK(base != NULL && strncmp(base + 1, c, strlen(c)) == 0 &&
		    strcmp(base + 1 + strlen(c), ".yaml") == 0);
		CHECK(pb->title != NULL && pb->title[0] != '\0');
		CHECK(pb->summary != NULL && strlen(pb->summary) > 40);
		CHECK(pb->nsteps >= 4);
		for (j = 0; j < pb->nsteps; j++) {
			CHECK(pb->steps[j].title[0] != '\0');
			/* Every bundled step says how, not only what. */
			CHECK(pb->steps[j].detail != NULL &&
			    strlen(pb->steps[j].detail) > 40);
		}
		/* Each ends with the review that closes the incident. */
		CHECK_STR(pb->steps[pb->nsteps - 1].id, "review");
	}
	/* In file name order. */
	for (i = 1; i < playbook_set_count(set); i++)
		CHECK(strcmp(playbook_at(set, i - 1)->path,
		    playbook_at(set, i)->path) < 0);
	CHECK(playbook_at(set, ncat + 1) == NULL);
	CHECK(playbook_for(set, "nosuch") == NULL);
	CHECK(playbook_get(set, "nosuch") == NULL);
	playbook_set_free(set);
	for (i = 0; i < ncat; i++)
		free(cats[i]);
	free(cats);
}

TEST(bundled_follow_the_seed)
{
	static const char *const serious[] = {
		"infection", "backdoor", "intrusion", "tampering", "leak",
		"dos",
	};
	struct playbook_set *set;
	const struct playbook *pb;
	char **cats;
	size_t ncat, i;

	set = load_bundled(&cats, &ncat);

	pb = playbook_for(set, "infection");
	CHECK(says(pb, "cut-off", "from the network"));
	CHECK(says(pb, "cut-off", "Pull the cable"));
	CHECK(says(pb, "scan-all", "current signatures"));
	CHECK(says(pb, "scan-all", "archives"));
	CHECK(says(pb, "quarantine", "Quarantine"));
	CHECK(says(pb, "send-samples", "unknown samples to the antivirus "
	    "vendor"));
	CHECK(says(pb, "identify", "file shares"));

	pb = playbook_for(set, "intrusion");
	CHECK(says(pb, "known-state", "known normal state"));
	CHECK(says(pb, "connections", "network connections"));
	CHECK(says(pb, "processes", "processes"));
	CHECK(says(pb, "integrity", "any file may have been altered"));
	CHECK(says(pb, "integrity", "rootkit"));
	CHECK(says(pb, "logs", "logs on the log server, not on the host"));
	CHECK(says(pb, "logs", "mamori logs verify"));
	CHECK(says(pb, "block", "pull the cable"));
	CHECK(says(pb, "reinstall", "Reinstall, patch and restore data"));
	CHECK(says(pb, "root-cause", "root cause"));
	CHECK(says(pb, "announce", "victims and the public"));
	CHECK(says(pb, "csirt", "JPCERT/CC"));

	pb = playbook_for(set, "spam");
	CHECK(says(pb, "stop", "open relay"));
	CHECK(says(pb, "queue", "queue"));
	CHECK(says(pb, "blocklists", "DNSBL"));
	CHECK(says(pb, "blocklists", "delisting"));

	pb = playbook_for(set, "scan");
	CHECK(says(pb, "source", "internal"));
	CHECK(says(pb, "source", "infected"));
	CHECK(says(pb, "block", "border"));
	CHECK(says(pb, "what-answered", "answered"));

	pb = playbook_for(set, "dos");
	CHECK(says(pb, "upstream", "upstream ISP"));
	CHECK(says(pb, "mitigate", "Rate-limit"));
	CHECK(says(pb, "block-source", "pull the cable"));

	pb = playbook_for(set, "attack");
	CHECK(says(pb, "succeeded", "intrusion"));

	pb = playbook_for(set, PLAYBOOK_REPORT);
	CHECK(says(pb, "thank", "Thank the reporter"));
	CHECK(says(pb, "acknowledge", "Acknowledge"));
	CHECK(says(pb, "investigate", "Investigate"));
	CHECK(says(pb, "keep-informed", "Keep the reporter informed"));
	CHECK(says(pb, "close-loop", "outcome"));
	CHECK(says(pb, "close-loop", "JPCERT/CC"));

	/* The seed's common steps in the playbooks of serious incidents. */
	for (i = 0; i < sizeof(serious) / sizeof(serious[0]); i++) {
		pb = playbook_for(set, serious[i]);
		CHECK(says(pb, "stay-calm", "Stay calm"));
		CHECK(says(pb, "notify", "contact plan"));
		CHECK(says(pb, "evidence", "log server"));
		CHECK(says(pb, "root-cause", "root cause"));
		CHECK(says(pb, "csirt", "JPCERT/CC"));
	}

	/* Announcing is for incidents that reach outsiders; informing the
	 * authorities for those that reach social infrastructure. */
	pb = playbook_for(set, "intrusion");
	CHECK(step(pb, "announce") != NULL &&
	    step(pb, "announce")->min_impact == 2);
	CHECK(step(pb, "authorities") != NULL &&
	    step(pb, "authorities")->min_impact == 3);
	CHECK(step(pb, "logs") != NULL && step(pb, "logs")->min_impact == 0);
	if (step(pb, "announce") != NULL) {
		CHECK_INT(playbook_step_applies(step(pb, "announce"), 1), 0);
		CHECK_INT(playbook_step_applies(step(pb, "announce"), 2), 1);
		CHECK_INT(playbook_step_applies(step(pb, "announce"), 3), 1);
	}
	if (step(pb, "logs") != NULL)
		CHECK_INT(playbook_step_applies(step(pb, "logs"), 1), 1);
	CHECK(playbook_when_name(0) == NULL);
	CHECK_STR(playbook_when_name(1), "internal");
	CHECK_STR(playbook_when_name(2), "external");
	CHECK_STR(playbook_when_name(3), "infrastructure");
	CHECK(playbook_when_name(4) == NULL);

	playbook_set_free(set);
	for (i = 0; i < ncat; i++)
		free(cats[i]);
	free(cats);
}

/* The header of a good playbook, to which cases add steps. */
#define HEAD	"id: t\ncategory: scan\ntitle: T\n"
#define GOOD	HEAD "steps:\n  - id: a\n    title: A\n"

TEST(good_file)
{
	struct playbook *pb;
	char err[1024];
	const char *p;

	clean_tmp();
	p = put("good.yaml",
	    "# a comment\n"
	    "id: my-pb_2\n"
	    "category: whatever\n"
	    "title: '  Spaces around  '\n"
	    "summary: >\n"
	    "  Folded\n"
	    "  text.\n"
	    "\n"
	    "steps:\n"
	    "  - id: one\n"
	    "    title: First\n"
	    "    detail: |\n"
	    "      Line one.\n"
	    "      \tTabbed line two.\n"
	    "  - id: two\n"
	    "    title: Second\n"
	    "    detail:\n"
	    "    when: external\n"
	    "  - id: '3'\n"
	    "    title: \"Third \\u00e9\"\n"
	    "    when: always\n"
	    "  - id: four\n"
	    "    title: Fourth\n"
	    "    when: infrastructure\n");
	CHECK_INT(playbook_load_file(p, &pb, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	if (pb == NULL)
		return;
	CHECK_STR(pb->id, "my-pb_2");
	CHECK_STR(pb->category, "whatever");
	CHECK_STR(pb->title, "Spaces around");
	CHECK_STR(pb->summary, "Folded text.");
	CHECK_STR(pb->path, p);
	CHECK_INT(pb->nsteps, 4);
	CHECK_STR(pb->steps[0].id, "one");
	CHECK_STR(pb->steps[0].detail, "Line one.\n\tTabbed line two.");
	CHECK_INT(pb->steps[0].min_impact, 0);
	CHECK(pb->steps[1].detail == NULL);
	CHECK_INT(pb->steps[1].min_impact, 2);
	CHECK_STR(pb->steps[2].id, "3");
	CHECK_STR(pb->steps[2].title, "Third \xc3\xa9");
	CHECK_INT(pb->steps[2].min_impact, 0);
	CHECK_INT(pb->steps[3].min_impact, 3);
	playbook_free(pb);
	playbook_free(NULL);
	playbook_set_free(NULL);

	/* From a buffer, not NUL-terminated. */
	CHECK_INT(playbook_load_buf("buf.yaml", GOOD "XXXX", strlen(GOOD),
	    &pb, err, sizeof(err)), 0);
	if (pb != NULL) {
		CHECK_STR(pb->path, "buf.yaml");
		CHECK_INT(pb->nsteps, 1);
		CHECK(pb->summary == NULL);
		playbook_free(pb);
	}
}

/*
 * Loads text as tmp/bad.yaml, alone and in a set with a good file
 * beside it, and checks both fail with "tmp/bad.yaml" + want and load
 * nothing.
 */
static void
bad_len(const char *text, size_t len, const char *want, int line)
{
	struct playbook *pb = (struct playbook *)1;
	struct playbook_set *set = (struct playbook_set *)1;
	char err[1024], exp[8192], path[8192];
	const char *cats[] = { "scan", "intrusion" };
	int r;

	clean_tmp();
	put("a-good.yaml", "id: g\ncategory: intrusion\ntitle: G\n"
	    "steps:\n  - id: a\n    title: A\n");
	snprintf(exp, sizeof(exp), "%s/bad.yaml%s", tmp, want);
	put_len("bad.yaml", text, len);
	snprintf(path, sizeof(path), "%s/bad.yaml", tmp);
	r = playbook_load_file(path, &pb, err, sizeof(err));
	if (r != MAMORI_ECONFIG || strcmp(err, exp) != 0 || pb != NULL) {
		fprintf(stderr, "%s:%d: got %d \"%s\"\n    expected \"%s\"\n",
		    __FILE__, line, r, err, exp);
		test_failed_checks++;
	}
	r = playbook_set_load(tmp, cats, 2, &set, err, sizeof(err));
	if (r != MAMORI_ECONFIG || strcmp(err, exp) != 0 || set != NULL) {
		fprintf(stderr, "%s:%d: set: got %d \"%s\"\n", __FILE__, line,
		    r, err);
		test_failed_checks++;
	}
}

#define BAD(text, want)		bad_len(text, strlen(text), want, __LINE__)
#define BAD_LEN(text, want)	bad_len(text, sizeof(text) - 1, want, \
				    __LINE__)

TEST(syntax_errors)
{
	BAD("id: t\ncategory: scan\ntitle: [oops\nsteps: []\n",
	    ":4: YAML syntax error: did not find expected ',' or ']' (while "
	    "parsing a flow sequence on line 3)");
	BAD(HEAD "steps:\n\t- id: a\n",
	    ":5: YAML syntax error: found character that cannot start any "
	    "token (a tab: YAML indents with spaces only)");
	BAD_LEN(HEAD "steps:\n  - id: a\n    title: A\0B\n",
	    ":6: YAML syntax error: control characters are not allowed");
	BAD(GOOD "---\nid: x\n",
	    ":8: only one YAML document is allowed");
	BAD("", ":1: empty file (expected a playbook: id, category, title "
	    "and steps)");
	BAD("# only a comment\n", ":1: empty file (expected a playbook: "
	    "id, category, title and steps)");
	BAD("- id: t\n", ":1: expected a playbook (a mapping of id, "
	    "category, title and steps), got a list");
}

TEST(key_errors)
{
	BAD("id: t\ncategory: scan\ntitel: T\nsteps: []\n",
	    ":3: unknown setting 'titel' (did you mean 'title'?)");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n    detial: x\n",
	    ":7: unknown setting 'steps[0].detial' (did you mean 'detail'?)");
	BAD(HEAD "owner: bob\n", ":4: unknown setting 'owner' (a playbook "
	    "has id, category, title, summary and steps)");
	BAD(HEAD "title: U\n", ":4: setting 'title': duplicate key (first "
	    "given on line 3)");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n    id: b\n",
	    ":7: setting 'steps[0].id': duplicate key (first given on line "
	    "5)");
	BAD(HEAD "? [a]\n: b\n", ":4: expected a key, got a list");
}

TEST(missing_and_empty)
{
	BAD("id: t\ncategory: scan\nsteps:\n  - id: a\n    title: A\n",
	    ":1: missing 'title'");
	BAD("category: scan\ntitle: T\nsteps: []\n", ":1: missing 'id'");
	BAD("id: t\ntitle: T\nsteps: []\n", ":1: missing 'category'");
	BAD(HEAD, ":1: missing 'steps'");
	BAD("id: t\ncategory: scan\ntitle:\nsteps: []\n",
	    ":3: setting 'title' is empty");
	BAD("id: t\ncategory: scan\ntitle: \"  \"\nsteps: []\n",
	    ":3: setting 'title' is empty");
	BAD(HEAD "steps:\n  - id: a\n    detail: no title\n",
	    ":5: setting 'steps[0]': missing 'title'");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n  - title: B\n",
	    ":7: setting 'steps[1]': missing 'id'");
	BAD(HEAD "steps:\n  - id: a\n    title: ~\n",
	    ":6: setting 'steps[0].title' is empty");
	BAD(HEAD "steps: []\n", ":4: setting 'steps': no steps (a playbook "
	    "needs at least one)");
	BAD(HEAD "steps:\n", ":4: setting 'steps' is empty");
}

TEST(type_errors)
{
	BAD(HEAD "steps: do everything\n", ":4: setting 'steps': expected "
	    "a list of steps, got a value");
	BAD(HEAD "steps:\n  a: b\n", ":5: setting 'steps': expected a list "
	    "of steps, got a mapping");
	BAD(HEAD "steps:\n  - Just do it\n", ":5: setting 'steps[0]': "
	    "expected a mapping, got a value");
	BAD("id: t\ncategory: scan\ntitle: [a, b]\nsteps: []\n",
	    ":3: setting 'title': expected a value, got a list");
	BAD(HEAD "summary:\n  x: y\n" "steps: []\n",
	    ":5: setting 'summary': expected a value, got a mapping");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n    detail: [x]\n",
	    ":7: setting 'steps[0].detail': expected a value, got a list");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n    when: sometimes\n",
	    ":7: setting 'steps[0].when': expected always, internal, "
	    "external or infrastructure, got 'sometimes'");
	BAD("id: Foo Bar\ncategory: scan\ntitle: T\nsteps: []\n",
	    ":1: setting 'id': 'Foo Bar' is not an id (1 to 64 lowercase "
	    "letters, digits, '-' and '_', starting with a letter or digit)");
	BAD(HEAD "steps:\n  - id: -a\n    title: A\n",
	    ":5: setting 'steps[0].id': '-a' is not an id (1 to 64 lowercase "
	    "letters, digits, '-' and '_', starting with a letter or digit)");
	BAD(HEAD "steps:\n  - id: a\n    title: \"A\\nB\"\n",
	    ":6: setting 'steps[0].title': must be one line");
	BAD(HEAD "steps:\n  - id: a\n    title: A\n    detail: \"x\\x01y\"\n",
	    ":7: setting 'steps[0].detail': a control character at byte 1");
	BAD(HEAD "steps:\n  - id: a\n    title: \"A\\u009b[2J\"\n",
	    ":6: setting 'steps[0].title': a control character at byte 1");
	BAD(HEAD "steps:\n  - id: a\n    title: \"A\\0\"\n",
	    ":6: setting 'steps[0].title': a value with a NUL byte");
}

TEST(duplicate_steps)
{
	BAD(HEAD "steps:\n  - id: a\n    title: A\n  - id: b\n    title: B\n"
	    "  - id: a\n    title: C\n",
	    ":9: setting 'steps[2].id': step 'a' is already steps[0] (line "
	    "5)");
}

TEST(categories)
{
	struct playbook_set *set = (struct playbook_set *)1;
	char err[1024], exp[8192];
	const char *cats[] = { "scan", "intrusion" };

	/* Alone, any id is a category; in a set, only the given ones. */
	clean_tmp();
	put("x.yaml", "id: t\ncategory: scna\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, cats, 2, &set, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(set == NULL);
	snprintf(exp, sizeof(exp), "%s/x.yaml:2: setting 'category': "
	    "unknown category 'scna' (did you mean 'scan'?)", tmp);
	CHECK_STR(err, exp);

	put("x.yaml", "id: t\ncategory: reprot\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, cats, 2, &set, err, sizeof(err)),
	    MAMORI_ECONFIG);
	snprintf(exp, sizeof(exp), "%s/x.yaml:2: setting 'category': "
	    "unknown category 'reprot' (did you mean 'report'?)", tmp);
	CHECK_STR(err, exp);

	put("x.yaml", "id: t\ncategory: weather\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, cats, 2, &set, err, sizeof(err)),
	    MAMORI_ECONFIG);
	snprintf(exp, sizeof(exp), "%s/x.yaml:2: setting 'category': "
	    "unknown category 'weather' (see etc/taxonomy.json, or 'report' "
	    "for reports from outside)", tmp);
	CHECK_STR(err, exp);

	/* NULL accepts any; "report" is always valid. */
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)), 0);
	CHECK(playbook_for(set, "weather") != NULL);
	playbook_set_free(set);
	put("x.yaml", "id: t\ncategory: report\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, cats, 2, &set, err, sizeof(err)), 0);
	CHECK(playbook_for(set, "report") != NULL);
	playbook_set_free(set);
}

TEST(duplicates_across_files)
{
	struct playbook_set *set = (struct playbook_set *)1;
	char err[1024], exp[8192];

	clean_tmp();
	put("a.yaml", "id: one\ncategory: scan\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	put("b.yaml", "# second\nid: two\ncategory: scan\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(set == NULL);
	snprintf(exp, sizeof(exp), "%s/b.yaml:3: a second playbook for "
	    "category 'scan' (the first is 'one' in %s/a.yaml:2)", tmp, tmp);
	CHECK_STR(err, exp);

	put("b.yaml", "id: one\ncategory: dos\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)),
	    MAMORI_ECONFIG);
	CHECK(set == NULL);
	snprintf(exp, sizeof(exp), "%s/b.yaml:1: playbook id 'one' is "
	    "already used by %s/a.yaml:1", tmp, tmp);
	CHECK_STR(err, exp);

	/* Apart they are fine; other files and hidden ones are ignored. */
	put("b.yaml", "id: two\ncategory: dos\ntitle: T\n"
	    "steps:\n  - id: a\n    title: A\n");
	put("README.md", "not yaml: [\n");
	put(".c.yaml", "not: [\n");
	put("d.yaml~", "not: [\n");
	put("e.yml", "not: [\n");
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)), 0);
	CHECK_INT(playbook_set_count(set), 2);
	CHECK_STR(playbook_at(set, 0)->id, "one");
	CHECK_STR(playbook_at(set, 1)->id, "two");
	CHECK_STR(playbook_get(set, "two")->category, "dos");
	CHECK(playbook_for(set, "scan") == playbook_get(set, "one"));
	playbook_set_free(set);
}

TEST(directories)
{
	struct playbook_set *set = (struct playbook_set *)1;
	char err[1024], exp[4096], sub[2048];

	/* An empty directory is an empty set. */
	clean_tmp();
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)), 0);
	CHECK_INT(playbook_set_count(set), 0);
	CHECK(playbook_for(set, "scan") == NULL);
	CHECK(playbook_at(set, 0) == NULL);
	playbook_set_free(set);

	snprintf(sub, sizeof(sub), "%s/nonexistent", tmp);
	set = (struct playbook_set *)1;
	CHECK_INT(playbook_set_load(sub, NULL, 0, &set, err, sizeof(err)),
	    MAMORI_ESYS);
	CHECK(set == NULL);
	snprintf(exp, sizeof(exp), "%s: cannot read the playbooks "
	    "directory: No such file or directory", sub);
	CHECK_STR(err, exp);

	/* A directory named like a playbook. */
	snprintf(sub, sizeof(sub), "%s/dir.yaml", tmp);
	CHECK_INT(mkdir(sub, 0700), 0);
	set = (struct playbook_set *)1;
	CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err, sizeof(err)),
	    MAMORI_ESYS);
	CHECK(set == NULL);
	snprintf(exp, sizeof(exp), "%s: cannot read: Is a directory", sub);
	CHECK_STR(err, exp);
	rmdir(sub);

	/* A trailing slash is not doubled in paths. */
	put("a.yaml", GOOD);
	snprintf(sub, sizeof(sub), "%s/", tmp);
	CHECK_INT(playbook_set_load(sub, NULL, 0, &set, err, sizeof(err)), 0);
	snprintf(exp, sizeof(exp), "%s/a.yaml", tmp);
	if (set != NULL)
		CHECK_STR(playbook_at(set, 0)->path, exp);
	playbook_set_free(set);
}

/* A playbook with n steps, the last one's title tlen bytes long. */
static char *
gen(size_t n, size_t tlen, size_t idlen)
{
	char *s, *p;
	size_t i, cap = 256 + n * 64 + tlen + idlen;

	if ((s = malloc(cap)) == NULL)
		abort();
	p = s + sprintf(s, "id: %.*s\ncategory: scan\ntitle: T\nsteps:\n",
	    (int)idlen, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	for (i = 0; i < n; i++) {
		p += sprintf(p, "  - id: s%zu\n    title: ", i);
		if (i + 1 == n) {
			memset(p, 'x', tlen);
			p += tlen;
		} else
			*p++ = 'x';
		*p++ = '\n';
	}
	*p = '\0';
	return s;
}

TEST(limits)
{
	struct playbook *pb;
	char err[1024], *s, *big;
	size_t len;

	/* Exactly at each limit loads. */
	s = gen(PLAYBOOK_MAX_STEPS, PLAYBOOK_MAX_TITLE, PLAYBOOK_MAX_ID);
	CHECK_INT(playbook_load_buf("lim.yaml", s, strlen(s), &pb, err,
	    sizeof(err)), 0);
	if (pb != NULL) {
		CHECK_INT(pb->nsteps, PLAYBOOK_MAX_STEPS);
		CHECK_INT(strlen(pb->id), PLAYBOOK_MAX_ID);
		CHECK_INT(strlen(pb->steps[PLAYBOOK_MAX_STEPS - 1].title),
		    PLAYBOOK_MAX_TITLE);
		playbook_free(pb);
	}
	free(s);

	/* One past each. */
	s = gen(PLAYBOOK_MAX_STEPS + 1, 1, 1);
	CHECK_INT(playbook_load_buf("lim.yaml", s, strlen(s), &pb, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(pb == NULL);
	CHECK_STR(err, "lim.yaml:133: setting 'steps': more than 64 steps");
	free(s);
	s = gen(1, PLAYBOOK_MAX_TITLE + 1, 1);
	CHECK_INT(playbook_load_buf("lim.yaml", s, strlen(s), &pb, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "lim.yaml:6: setting 'steps[0].title': longer than "
	    "200 bytes");
	free(s);
	s = gen(1, 1, PLAYBOOK_MAX_ID + 1);
	CHECK_INT(playbook_load_buf("lim.yaml", s, strlen(s), &pb, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK(strncmp(err, "lim.yaml:1: setting 'id': 'aaaa", 31) == 0);
	free(s);

	/* Details: 8192 bytes, then one more. */
	len = strlen(GOOD) + 12 + PLAYBOOK_MAX_TEXT + 2;
	if ((big = malloc(len + 1)) == NULL)
		abort();
	strcpy(big, GOOD);
	strcat(big, "    detail: ");
	memset(big + strlen(big), 'y', PLAYBOOK_MAX_TEXT);
	strcpy(big + strlen(GOOD) + 12 + PLAYBOOK_MAX_TEXT, "\n");
	CHECK_INT(playbook_load_buf("lim.yaml", big, strlen(big), &pb, err,
	    sizeof(err)), 0);
	if (pb != NULL)
		CHECK_INT(strlen(pb->steps[0].detail), PLAYBOOK_MAX_TEXT);
	playbook_free(pb);
	strcpy(big + strlen(GOOD) + 12 + PLAYBOOK_MAX_TEXT, "y\n");
	CHECK_INT(playbook_load_buf("lim.yaml", big, strlen(big), &pb, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "lim.yaml:7: setting 'steps[0].detail': longer than "
	    "8192 bytes");
	free(big);

	/* Files: the limit is on bytes, checked before parsing. */
	len = PLAYBOOK_MAX_FILE + 1;
	if ((big = malloc(len)) == NULL)
		abort();
	memset(big, '#', len);
	memcpy(big, GOOD, strlen(GOOD));
	big[len - 1] = '\n';
	CHECK_INT(playbook_load_buf("lim.yaml", big, len, &pb, err,
	    sizeof(err)), MAMORI_ECONFIG);
	CHECK_STR(err, "lim.yaml: larger than 262144 bytes");
	clean_tmp();
	put_len("big.yaml", big, len);
	{
		char p[2048], exp[4096];
		struct playbook_set *set = (struct playbook_set *)1;

		snprintf(p, sizeof(p), "%s/big.yaml", tmp);
		CHECK_INT(playbook_load_file(p, &pb, err, sizeof(err)),
		    MAMORI_ECONFIG);
		snprintf(exp, sizeof(exp), "%s: larger than 262144 bytes", p);
		CHECK_STR(err, exp);
		CHECK_INT(playbook_set_load(tmp, NULL, 0, &set, err,
		    sizeof(err)), MAMORI_ECONFIG);
		CHECK(set == NULL);
	}
	free(big);

	/* A short error buffer gets the message cut, terminated. */
	{
		char small[12];

		CHECK_INT(playbook_load_buf("lim.yaml", "x: [", 4, &pb, small,
		    sizeof(small)), MAMORI_ECONFIG);
		CHECK_STR(small, "lim.yaml:1:");	/* its only line */
		CHECK_INT(playbook_load_buf("lim.yaml", "x: [", 4, &pb, NULL,
		    0), MAMORI_ECONFIG);
	}
}

TEST(default_dir)
{
	char want[4096], *d;
	struct stat st;

	snprintf(want, sizeof(want), "%s/playbooks", srcdir());
	setenv("MAMORI_PLAYBOOKS", want, 1);
	d = playbook_default_dir(NULL);
	CHECK_STR(d, want);
	free(d);
	snprintf(want, sizeof(want), "%s/no-such-dir", tmp);
	setenv("MAMORI_PLAYBOOKS", want, 1);
	CHECK(playbook_default_dir("x") == NULL);
	/* Without it: beside the executable or installed; either way a
	 * directory that holds the playbooks. */
	unsetenv("MAMORI_PLAYBOOKS");
	if ((d = playbook_default_dir(NULL)) != NULL) {
		snprintf(want, sizeof(want), "%s/intrusion.yaml", d);
		CHECK(stat(want, &st) == 0);
		free(d);
	}
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmp, sizeof(tmp), "%s/test-playbook-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		perror(tmp);
		return 1;
	}
	RUN(bundled_cover_the_taxonomy);
	RUN(bundled_follow_the_seed);
	RUN(good_file);
	RUN(syntax_errors);
	RUN(key_errors);
	RUN(missing_and_empty);
	RUN(type_errors);
	RUN(duplicate_steps);
	RUN(categories);
	RUN(duplicates_across_files);
	RUN(directories);
	RUN(limits);
	RUN(default_dir);
	clean_tmp();
	rmdir(tmp);
	return test_summary();
}
