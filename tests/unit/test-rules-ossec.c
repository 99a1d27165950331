/*
 * test-rules-ossec.c - OSSEC's own ruleset tests, run by mamori's engine.
 *
 * Reads the OSSEC ruleset and its rule tests from the shared data
 * directory ($MAMORI_SHARED/data/ossec-ruleset; never copied into the
 * repository, it is GPL), loads decoder.xml and the rule files in the
 * order config/ossec-server.conf lists them, and runs every case of
 * tests/ini/ the way OSSEC's runner does (see that directory's
 * README): each case starts with fresh state; the last line of the case
 * must give the expected decoder (a child reports its top-level parent's
 * name, compared without case), rule id and level ("pass"), or must not
 * ("fail").  A repeated key in one section is a sequence of lines, all
 * fed in order.  "%%" in a line is the device's "%" (pix.ini).
 *
 * OSSEC's own ossec-logtest passes 257 of the 263 cases; so must mamori.
 * The test prints the count and names every failure.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "rules/rules-xml.h"
#include "rules/rules.h"
#include "test.h"

#define WANT_PASS	257
#define NCASES		263

struct icase {
	char	 file[64];
	char	 section[256];
	char	 key[64];
	int	 pass;		/* "pass" or "fail" */
	char	**lines;
	int	 nlines;
	char	 decoder[64];
	long	 rule;
	long	 level;
};

static struct icase *cases;
static int ncases, capcases;

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "%%" is how pix.ini writes the device's "%". */
static char *
unpercent(const char *s)
{
	char *o = strdup(s), *d = o;

	for (; *s != '\0'; s++) {
		*d++ = *s;
		if (s[0] == '%' && s[1] == '%')
			s++;
	}
	*d = '\0';
	return o;
}

static struct icase *
find_case(int first, const char *key)
{
	int i;

	for (i = first; i < ncases; i++)
		if (strcmp(cases[i].key, key) == 0)
			return &cases[i];
	return NULL;
}

/* Reads one .ini file; sections start cases, their keys fill them. */
static void
read_ini(const char *dir, const char *name)
{
	char path[1024], line[65536], *k, *v, *p, sect[256] = "";
	char dec[64] = "";
	long rule = -1, level = -1;
	int first = ncases, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return;
	for (;;) {
		int eof = fgets(line, sizeof(line), f) == NULL;

		p = eof ? NULL : trim(line);
		if (eof || *p == '[') {
			/* The section ends: its expectations apply to
			 * every case it holds. */
			for (i = first; i < ncases; i++) {
				snprintf(cases[i].decoder,
				    sizeof(cases[i].decoder), "%s", dec);
				cases[i].rule = rule;
				cases[i].level = level;
			}
			if (eof)
				break;
			first = ncases;
			dec[0] = '\0';
			rule = level = -1;
			if ((v = strrchr(p, ']')) != NULL)
				*v = '\0';
			snprintf(sect, sizeof(sect), "%s", p + 1);
			continue;
		}
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if ((v = strpbrk(p, "=:")) == NULL)
			continue;	/* a wrapped line: no case */
		*v++ = '\0';
		k = trim(p);
		v = trim(v);
		for (p = k; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strncmp(k, "log ", 4) == 0) {
			struct icase *c = find_case(first, k);
			size_t kl = strlen(k);

			if (c == NULL) {
				if (ncases == capcases) {
					capcases = capcases ? capcases * 2 : 64;
					cases = realloc(cases,
					    (size_t)capcases * sizeof(*cases));
				}
				c = &cases[ncases++];
				memset(c, 0, sizeof(*c));
				snprintf(c->file, sizeof(c->file), "%s", name);
				snprintf(c->section, sizeof(c->section), "%s",
				    sect);
				snprintf(c->key, sizeof(c->key), "%s", k);
				c->pass = kl >= 4 &&
				    strcmp(k + kl - 4, "pass") == 0;
			}
			c->lines = realloc(c->lines,
			    (size_t)(c->nlines + 1) * sizeof(*c->lines));
			c->lines[c->nlines++] = unpercent(v);
		} else if (strcmp(k, "rule") == 0)
			rule = strtol(v, NULL, 10);
		else if (strcmp(k, "alert") == 0)
			level = strtol(v, NULL, 10);
		else if (strcmp(k, "decoder") == 0)
			snprintf(dec, sizeof(dec), "%s", v);
	}
	fclose(f);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
read_cases(const char *base)
{
	char dir[1024], *names[128];
	struct dirent *de;
	int n = 0, i;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/ini", base);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < 128) {
		size_t l = strlen(de->d_name);

		if (l > 4 && strcmp(de->d_name + l - 4, ".ini") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		read_ini(dir, names[i]);
		free(names[i]);
	}
}

/* Loads decoder.xml and the rules config/ossec-server.conf includes. */
static struct rules_set *
load_ossec(const char *base, char *err, size_t errlen)
{
	const struct rules_xml_node *n, *r, *inc;
	struct rules_xml_doc *conf;
	struct rules_set *rs;
	char path[1024];
	int rc;

	snprintf(path, sizeof(path), "%s/config/ossec-server.conf", base);
	if ((conf = rules_xml_load(path, err, errlen)) == NULL)
		return NULL;
	if ((rs = rules_set_new()) == NULL) {
		rules_xml_free(conf);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/decoders/decoder.xml", base);
	rc = rules_set_load(rs, path, err, errlen);
	for (n = rules_xml_root(conf); rc == 0 && n != NULL; n = n->next)
		for (r = n->child; rc == 0 && r != NULL; r = r->next) {
			if (strcmp(r->name, "rules") != 0)
				continue;
			for (inc = r->child; rc == 0 && inc != NULL;
			    inc = inc->next) {
				if (strcmp(inc->name, "include") != 0)
					continue;
				snprintf(path, sizeof(path), "%s/rules/%s",
				    base, inc->content);
				rc = rules_set_load(rs, path, err, errlen);
			}
		}
	rules_xml_free(conf);
	if (rc == 0)
		rc = rules_set_finish(rs, err, errlen);
	if (rc != 0) {
		rules_set_free(rs);
		return NULL;
	}
	return rs;
}

static int
run_case(const struct rules_set *rs, const struct icase *c, char *got,
    size_t gotlen)
{
	struct rules_result res;
	struct rules_ctx *ctx;
	int i, ok;

	if ((ctx = rules_ctx_new(rs)) == NULL)
		return 0;
	for (i = 0; i < c->nlines; i++)
		rules_process(ctx, c->lines[i], strlen(c->lines[i]), "stdin",
		    (int64_t)i * 1000000000LL, &res);
	ok = res.decoder != NULL && c->decoder[0] != '\0' &&
	    strcasecmp(res.decoder, c->decoder) == 0 && res.matched &&
	    res.rule_id == (uint32_t)c->rule && res.level == c->level;
	snprintf(got, gotlen, "decoder %s, rule %u, level %d",
	    res.decoder != NULL ? res.decoder : "(none)",
	    res.matched ? res.rule_id : 0, res.matched ? res.level : -1);
	rules_ctx_free(ctx);
	return c->pass ? ok : !ok;
}

TEST(ossec_ini_cases)
{
	const char *shared = getenv("MAMORI_SHARED");
	char base[256], err[1024] = "", got[256];
	struct rules_set *rs;
	int i, passed = 0;

	if (shared == NULL) {
		printf("MAMORI_SHARED not set: skipped\n");
		return;
	}
	snprintf(base, sizeof(base), "%s/data/ossec-ruleset", shared);
	read_cases(base);
	CHECK_INT(ncases, NCASES);
	if ((rs = load_ossec(base, err, sizeof(err))) == NULL) {
		fprintf(stderr, "loading the OSSEC ruleset: %s\n", err);
		CHECK(0);
		return;
	}
	printf("loaded %zu decoders and %zu rules\n", rules_set_ndecoders(rs),
	    rules_set_nrules(rs));
	for (i = 0; i < ncases; i++) {
		const struct icase *c = &cases[i];

		if (run_case(rs, c, got, sizeof(got)))
			passed++;
		else
			printf("FAIL %s [%s] %s: want %s decoder %s rule %ld "
			    "level %ld; got %s\n", c->file, c->section,
			    c->key, c->pass ? "" : "NOT", c->decoder,
			    c->rule, c->level, got);
	}
	printf("%d of %d OSSEC rule-test cases pass (OSSEC itself: 257)\n",
	    passed, ncases);
	CHECK(passed >= WANT_PASS);
	rules_set_free(rs);
}

int
main(void)
{
	RUN(ossec_ini_cases);
	return test_summary();
}
