/*
 * test-rules-pat.c - OS_Match, OS_Regex and PCRE2 patterns (rules-pat.c).
 *
 * The expected results for OS_Regex were worked out by stepping through
 * OSSEC's matcher (os_regex_execute.c, OSSEC <= 3.2 and Wazuh 4.x) by
 * hand; where a case shows one of its quirks, the comment says which.
 * Some come from the true.regex, false.regex and str.regex files in
 * Wazuh's src/os_regex/examples/tests, which list
 * patterns the matcher must (true.regex) and must not (false.regex)
 * match; there "\$" is the shell's way of writing '$'.
 *
 * With $MAMORI_SHARED set (CTest sets it) every pattern of the OSSEC
 * ruleset in shared/data/ossec-ruleset is compiled, and a benchmark
 * prints the cost of a match on real sshd lines.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules/rules-pat.h"
#include "test.h"

#define K_MATCH		RULES_PAT_OSMATCH
#define K_REGEX		RULES_PAT_OSREGEX
#define K_PCRE		RULES_PAT_PCRE2
#define K_MATCH3	RULES_PAT_OSMATCH_OSSEC3
#define K_REGEX3	RULES_PAT_OSREGEX_OSSEC3
#define K_PCREI		RULES_PAT_PCRE2_CASELESS

static struct rules_pat_scratch *sc;

/*
 * Runs pattern of kind k on subj[0..len).  Returns -2 when the pattern
 * does not compile, else the match result; *end and *caps as
 * rules_pat_exec() fills them.
 */
static int
run(int k, const char *pat, const char *subj, size_t len, size_t *end,
    struct rules_pat_caps *caps)
{
	struct rules_pat *p;
	char err[256];
	int r;

	if ((p = rules_pat_compile(k, pat, err, sizeof(err))) == NULL) {
		fprintf(stderr, "compile \"%s\": %s\n", pat, err);
		return -2;
	}
	r = rules_pat_exec(p, sc, subj, len, end, caps);
	/* Without end and groups wanted, another code may run: the answer
	 * must be the same. */
	if (rules_pat_exec(p, sc, subj, len, NULL, NULL) != r) {
		fprintf(stderr, "\"%s\" on \"%s\": match-only differs\n",
		    pat, subj);
		r = -3;
	}
	rules_pat_free(p);
	return r;
}

static int
m(int k, const char *pat, const char *subj)
{
	return run(k, pat, subj, strlen(subj), NULL, NULL);
}

/* The end offset of a match, or -1 for none. */
static long
endof(int k, const char *pat, const char *subj)
{
	size_t end;
	int r = run(k, pat, subj, strlen(subj), &end, NULL);

	return r == 1 ? (long)end : -1;
}

/* The groups of a match joined with '|', "-" for no match. */
static const char *
caps_of(int k, const char *pat, const char *subj)
{
	static char out[512];
	struct rules_pat_caps c;
	size_t end, o = 0;
	int g;

	if (run(k, pat, subj, strlen(subj), &end, &c) != 1)
		return "-";
	out[0] = '\0';
	for (g = 0; g < c.n && o < sizeof(out) - 1; g++) {
		if (c.so[g] > c.eo[g] || c.eo[g] > strlen(subj))
			return "BAD";
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s",
		    g ? "|" : "", (int)(c.eo[g] - c.so[g]), subj + c.so[g]);
	}
	return out;
}

static const char *
compile_err(int k, const char *pat)
{
	static char err[256];
	struct rules_pat *p;

	if ((p = rules_pat_compile(k, pat, err, sizeof(err))) != NULL) {
		rules_pat_free(p);
		return "";
	}
	return err;
}

static const char *
pcre_of(int k, const char *pat)
{
	static char out[1024], err[256];
	struct rules_pat *p;

	if ((p = rules_pat_compile(k, pat, err, sizeof(err))) == NULL)
		return err;
	snprintf(out, sizeof(out), "%s", rules_pat_pcre2(p));
	rules_pat_free(p);
	return out;
}

/* ---------------------------------------------------------------------
 * OS_Regex (classic).
 */

/* Each escape against every byte, as OSSEC's regexmap defines them. */
TEST(osregex_classes)
{
	static const struct {
		const char	*pat;
		const char	*members;	/* printable members, or NULL */
	} t[] = {
		{ "\\d", "0123456789" },
		{ "\\w", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz-@_" },
		{ "\\s", " " },
		{ "\\p", "!\"#$%&'()*+,-.:;<=>?[]{|}" },
		{ "\\(", "(" },
		{ "\\)", ")" },
		{ "\\\\", "\\" },
		{ "\\$", "$" },
		{ "\\|", "|" },
		{ "\\<", "<" },
	};
	char subj[2];
	size_t i;
	unsigned c;
	int in, want, nd, nw, ns;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (c = 0; c < 256; c++) {
			subj[0] = (char)c;
			in = run(K_REGEX, t[i].pat, subj, 1, NULL, NULL);
			want = c != 0 && strchr(t[i].members, (int)c) != NULL;
			if (in != want) {
				fprintf(stderr, "%s on byte %u: %d\n",
				    t[i].pat, c, in);
				CHECK(in == want);
			}
		}
	/* \t is the tab; \D \W \S are the complements, NUL and bytes over
	 * 127 included; \. is any byte. */
	for (c = 0; c < 256; c++) {
		subj[0] = (char)c;
		CHECK_INT(run(K_REGEX, "\\t", subj, 1, NULL, NULL), c == 9);
		nd = run(K_REGEX, "\\D", subj, 1, NULL, NULL);
		nw = run(K_REGEX, "\\W", subj, 1, NULL, NULL);
		ns = run(K_REGEX, "\\S", subj, 1, NULL, NULL);
		CHECK_INT(nd, !(c >= '0' && c <= '9'));
		CHECK_INT(ns, c != ' ');
		CHECK_INT(nw, run(K_REGEX, "\\w", subj, 1, NULL, NULL) == 0);
		CHECK_INT(run(K_REGEX, "\\.", subj, 1, NULL, NULL), 1);
	}
	/* \w and \d fold nothing beyond ASCII. */
	CHECK_INT(m(K_REGEX, "\\w", "\xc9"), 0);
	CHECK_INT(m(K_REGEX, "\\W", "\xc9"), 1);
}

TEST(osregex_escapes_and_errors)
{
	/* Only the fifteen escapes exist. */
	CHECK_STR(compile_err(K_REGEX, "a\\nb"),
	    "OS_Regex: invalid escape '\\n' at offset 1");
	CHECK_STR(compile_err(K_REGEX, "\\x41"),
	    "OS_Regex: invalid escape '\\x' at offset 0");
	CHECK_STR(compile_err(K_REGEX, "\\[abc\\]"),
	    "OS_Regex: invalid escape '\\[' at offset 0");
	CHECK_STR(compile_err(K_REGEX, "abc\\"),
	    "OS_Regex: '\\' at the end of the pattern at offset 3");
	/* One level of parentheses, no '|' inside, balanced. */
	CHECK_STR(compile_err(K_REGEX, "abcd(ef"),
	    "OS_Regex: unbalanced '(' at offset 4");
	CHECK_STR(compile_err(K_REGEX, "ab)"),
	    "OS_Regex: unbalanced ')' at offset 2");
	CHECK_STR(compile_err(K_REGEX, "(a(b))"),
	    "OS_Regex: nested '(' at offset 2");
	CHECK_STR(compile_err(K_REGEX, "(a|b)"),
	    "OS_Regex: '|' inside parentheses at offset 2");
	CHECK_STR(compile_err(K_REGEX, "\\(\\)\\|\\$\\<\\\\"), "");
	/* The escaped specials are literal. */
	CHECK_INT(m(K_REGEX, "\\$\\(\\)\\\\\\|\\<", "x$()\\|<y"), 1);
	CHECK_INT(m(K_REGEX, "a\\tb", "a\tb"), 1);
	CHECK_INT(m(K_REGEX, "a\\tb", "a b"), 0);
	/* What PCRE2 would read as syntax is literal: escaped. */
	CHECK_INT(m(K_REGEX, "a.b", "a.b"), 1);
	CHECK_INT(m(K_REGEX, "a.b", "axb"), 0);
	CHECK_INT(m(K_REGEX, "a\\.b", "axb"), 1);
	CHECK_INT(m(K_REGEX, "[a]{2}?", "[a]{2}?"), 1);
	CHECK_INT(m(K_REGEX, "[a]", "a"), 0);
	CHECK_INT(m(K_REGEX, "&amp;", "&amp;"), 1);
	/* + and * modify only a backslash class; after a literal they
	 * are literal. */
	CHECK_INT(m(K_REGEX, "a+b", "a+b"), 1);
	CHECK_INT(m(K_REGEX, "a+b", "aab"), 0);
	CHECK_INT(m(K_REGEX, "a*", "a*"), 1);
	CHECK_INT(m(K_REGEX, "a*", "aa"), 0);
	CHECK_INT(m(K_REGEX, "\\d++", "12+"), 1);
	CHECK_INT(m(K_REGEX, "\\d++", "12"), 0);
	CHECK_INT(m(K_REGEX, "\\\\+x", "\\\\\\x"), 1);
}

TEST(osregex_modifiers)
{
	CHECK_INT(m(K_REGEX, "\\s+123", "  123"), 1);
	CHECK_INT(m(K_REGEX, "\\s+123", "123"), 0);
	CHECK_INT(m(K_REGEX, "\\s*123", "123"), 1);
	CHECK_INT(m(K_REGEX, "a\\d+b", "ab"), 0);
	CHECK_INT(m(K_REGEX, "a\\d*b", "ab"), 1);
	CHECK_INT(m(K_REGEX, "a\\d*b", "a123b"), 1);
	CHECK_INT(m(K_REGEX, "a\\d*b", "a12xb"), 0);
	/* A run stops at the first byte the next element can take: lazy. */
	CHECK_STR(caps_of(K_REGEX, "(\\w+)-(\\w+)", "foo-bar-baz"),
	    "foo|bar-baz");
	CHECK_STR(caps_of(K_REGEX, "^(\\S+):(\\S+)", "a:b:c"), "a|b:c");
	/* A run at the end takes all it can. */
	CHECK_STR(caps_of(K_REGEX, "user (\\S+)", "user root now"), "root");
	CHECK_STR(caps_of(K_REGEX, "(\\d+)", "ab123cd"), "123");
	/* The one-byte look-ahead does not see past an optional element:
	 * Wazuh documents that "\p*\d*\s*\w*:" does not match ":". */
	CHECK_INT(m(K_REGEX, "\\p*\\d*\\s*\\w*:", ":"), 0);
	CHECK_INT(m(K_REGEX, "\\p*\\d*\\s*\\w*:", "a:"), 1);
	CHECK_INT(m(K_REGEX, "\\w+\\s*\\d+", "abc123"), 0);
	CHECK_INT(m(K_REGEX, "\\w+\\s*\\d+", "abc 123"), 1);
	/* A lone \x* that reaches the end of the subject never matches
	 * (the matcher's result is still NULL). */
	CHECK_INT(m(K_REGEX, "\\w*", "abc"), 0);
	CHECK_INT(m(K_REGEX, "\\w*", "abc def"), 1);
	CHECK_INT(m(K_REGEX, "\\d*", "123"), 0);
	CHECK_INT(m(K_REGEX, "\\d*", "abc"), 1);
	CHECK_INT(m(K_REGEX, "\\d*$", "abc"), 0);
	/* At the end of the subject, one pending \x* after a literal, two
	 * after a run. */
	CHECK_INT(m(K_REGEX, "a\\d*", "a"), 1);
	CHECK_INT(m(K_REGEX, "a\\d*\\s*", "a"), 0);
	CHECK_INT(m(K_REGEX, "a\\d*\\s*", "a1"), 1);
	CHECK_INT(m(K_REGEX, "a\\d*\\s*", "a "), 1);
	CHECK_INT(m(K_REGEX, "a\\d*\\s*\\w*\\p*", "a1"), 0);
	CHECK_INT(m(K_REGEX, "a\\d*\\s*\\w*\\p*", "a1 "), 1);
	/* "run, class" where the class took a byte of the run's class:
	 * the next + matches nothing if need be. */
	CHECK_INT(m(K_REGEX, "\\w+\\p\\w+", "foo- "), 1);
	CHECK_INT(m(K_REGEX, "\\w+\\p\\w+", "foo: "), 0);
	CHECK_INT(m(K_REGEX, "\\w+\\p\\w+", "foo:x"), 1);
	CHECK_INT(m(K_REGEX, "\\d+\\.\\d+", "12."), 1);
	CHECK_INT(m(K_REGEX, "\\d+\\.\\d+", "1."), 0);
}

TEST(osregex_anchors_alternatives_case)
{
	CHECK_INT(m(K_REGEX, "^abc", "abcdef"), 1);
	CHECK_INT(m(K_REGEX, "^abc", "xabc"), 0);
	CHECK_INT(m(K_REGEX, "abc$", "xxabc"), 1);
	CHECK_INT(m(K_REGEX, "abc$", "abcx"), 0);
	CHECK_INT(m(K_REGEX, "^abc$", "abc"), 1);
	CHECK_INT(m(K_REGEX, "^abc$", "abc\n"), 0);
	/* ^ and $ anchor only at the ends of an alternative. */
	CHECK_INT(m(K_REGEX, "a^b", "a^b"), 1);
	CHECK_INT(m(K_REGEX, "a$b", "a$b"), 1);
	CHECK_INT(m(K_REGEX, "^^a", "^a"), 1);
	CHECK_INT(m(K_REGEX, "^^a", "a"), 0);
	CHECK_INT(m(K_REGEX, "a$$", "xa$"), 1);
	CHECK_INT(m(K_REGEX, "a\\$", "a$x"), 1);
	/* Per alternative. */
	CHECK_INT(m(K_REGEX, "^foo|bar$", "xfoo bar"), 1);
	CHECK_INT(m(K_REGEX, "^foo|bar$", "xfoo barx"), 0);
	CHECK_INT(m(K_REGEX, "x|^foo", "foo"), 1);
	/* An empty alternative never matches (the result stays NULL). */
	CHECK_INT(m(K_REGEX, "", "abc"), 0);
	CHECK_INT(m(K_REGEX, "a||b", "xyz"), 0);
	CHECK_INT(m(K_REGEX, "^", "abc"), 0);
	CHECK_INT(m(K_REGEX, "$", "abc"), 0);
	/* ASCII case is folded, nothing else. */
	CHECK_INT(m(K_REGEX, "FAILED password", "Failed PASSWORD"), 1);
	CHECK_INT(m(K_REGEX, "caf\xc9", "caf\xe9"), 0);
	CHECK_INT(m(K_REGEX, "caf\xc9", "CAF\xc9"), 1);
	/* Alternatives are tried in order, each over the whole subject. */
	CHECK_INT(endof(K_REGEX, "a|b", "bxa"), 3);
	CHECK_STR(caps_of(K_REGEX, "(\\d+)x|(\\w+)y", "aay 5x"), "5");
	CHECK_STR(caps_of(K_REGEX, "(\\d+)x|(\\w+)y", "aay 5"), "aa");
	CHECK_INT(endof(K_REGEX, "(\\d+)x|(\\w+)y", "aay 5x"), 6);
}

/*
 * (pattern, subject, end offset or -1, groups).  The end offset is what
 * OSSEC's decoders use for after_prematch and after_regex: one past the
 * pointer OSRegex_Execute() returns, which is the last byte matched, or
 * for a trailing run the byte after it, or the run's first byte when a
 * ')' follows it or it reaches the end of the subject.
 */
static const struct {
	const char	*pat, *subj;
	long		 end;
	const char	*caps;
} regex_table[] = {
	{ "^sshd[\\d+]: Accepted \\S+ for (\\S+) from (\\S+) port ",
	  "sshd[21405]: Accepted password for root from 192.1.1.1 port 6023",
	  60, "root|192.1.1.1" },
	{ "test (\\w+)la", "test abclala", 10, "abc" },
	{ "(\\w+) (\\w+)", "wofl wofl", 6, "wofl|wofl" },
	{ "123(\\w+\\s+)abc", "123sdf    abc", 13, "sdf    " },
	{ "123(\\w+\\s+)abc", "abc123sdf    abc", 16, "sdf    " },
	/* The first \d* hands its byte to the second: that byte is the
	 * result, so the end is not the run's start. */
	{ "123 (\\d+.\\d.\\d.\\d\\d*\\d*)", "123 45.6.5.567", 13,
	  "45.6.5.567" },
	{ "from (\\S*\\d+.\\d+.\\d+.\\d\\d*\\d*)",
	  "sshd[21576]: Illegal user web14 from ::ffff:212.227.60.55", 57,
	  "::ffff:212.227.60.55" },
	{ ": \\((\\S+)@(\\S+)\\) [",
	  "pure-ftpd: (?@enigma.lab.ossec.net) [INFO] New connection from "
	  "enigma.lab.ossec.net", 37, "?|enigma.lab.ossec.net" },
	{ "^\\S+ [(\\d+:\\d+:\\d+)] \\.+ (\\d+.\\d+.\\d+.\\d+)\\p*\\d* -> "
	  "(\\d+.\\d+.\\d+.\\d+)\\p*",
	  "snort: [1:1420:11] SNMP trap tcp [Classification: Attempted "
	  "Information Leak] [Priority: 2]: {TCP} 10.4.12.26:37020 -> "
	  "10.4.10.231:162", 132, "1:1420:11|10.4.12.26|10.4.10.231" },
	/* Literal end: one past the last byte. */
	{ "abc", "xxabcx", 5, "" },
	{ "^abc", "abcdef", 3, "" },
	/* A trailing run stopped by a byte: that byte is skipped too. */
	{ "\\d+", "ab123cd", 6, "" },
	{ "\\d+\\.\\d+", "123.45", 4, "" },
	/* ... but with a ')' after it, or at the end of the subject, the
	 * result is the run's first byte. */
	{ "(\\d+)", "ab123cd", 3, "123" },
	{ "^\\w+$", "abc", 1, "" },
	{ "\\d+\\.\\d+", "1.5", 3, "" },
	/* \x* at the end. */
	{ "\\d*", "abc", 0, "" },
	{ "\\d*", "12a", 2, "" },
	{ "a\\d*\\s*", "a ", 1, "" },
	{ "a\\d*\\s*", "a1", 2, "" },
	{ "a(\\d*)", "a12b", 3, "12" },
	{ "\\w+\\p\\w+", "foo- ", 5, "" },
	{ "\\d+\\.\\d+", "12.", 3, "" },
	/* The second of two adjacent parentheses is a literal '(', and
	 * groups are reported up to the pair it breaks. */
	{ "(a)(b)", "ab", -1, "" },
	{ "(a)(b)", "a(b", 3, "a" },
	{ "a()b", "a(b", 3, "" },
	/* A boundary right after a run, when the element after the run
	 * takes the subject's last byte, is noted at the very end. */
	{ "(\\w+)x", "ab5x", 4, "ab5x" },
	{ "(\\w+)x", "ab5xy", 4, "ab5" },
	{ "\\w+(\\d)", "ab1", 3, "" },
	{ "\\w+(\\d)", "ab1.", 3, "1" },
	/* Wazuh true.regex / false.regex. */
	{ "\\w+\\s+\\w+\\d+\\s$", "a aa11 ", 7, "" },
	{ "\\w+\\s+\\w+\\d+\\s$", "a aa11  ", -1, "" },
	{ "^\\s*\\s lal\\w$", "  lala", 6, "" },
	{ "test123test\\d+$", "test123test123", 12, "" },
	{ "^su\\S*: BAD su", "su: BAD SU dcid to root on /dev/ttyp0", 10,
	  "" },
	{ "^\\s+\\s l", "     lala", 6, "" },
	{ "\\w+\\d+\\w+\\s+", "ab12fb12fd12 ", 13, "" },
	{ "^kernel: \\S+ \\.+ SRC=\\S+ DST=\\S+ \\.+ PROTO=\\w+ SPT=\\d+ "
	  "DPT=\\d+ ", "kernel: IPTABLE IN=eth0 OUT= MAC=ff:ff:ff:ff:ff:ff:"
	  "00:03:93:db:2e:b4:08:00 SRC=10.4.11.40 DST=255.255.255.255 "
	  "LEN=180 TOS=0x00 PREC=0x00 TTL=64 ID=4753 PROTO=UDP SPT=49320 "
	  "DPT=2222 LEN=160", 181, "" },
};

TEST(osregex_table)
{
	size_t i;
	long e;
	const char *c;

	for (i = 0; i < sizeof(regex_table) / sizeof(regex_table[0]); i++) {
		e = endof(K_REGEX, regex_table[i].pat, regex_table[i].subj);
		if (e != regex_table[i].end)
			fprintf(stderr, "row %zu: \"%s\" on \"%s\": end %ld\n",
			    i, regex_table[i].pat, regex_table[i].subj, e);
		CHECK_INT(e, regex_table[i].end);
		if (regex_table[i].end < 0)
			continue;
		c = caps_of(K_REGEX, regex_table[i].pat, regex_table[i].subj);
		if (strcmp(c, regex_table[i].caps) != 0)
			fprintf(stderr, "row %zu: \"%s\": groups \"%s\"\n", i,
			    regex_table[i].pat, c);
		CHECK_STR(c, regex_table[i].caps);
	}
}

TEST(osregex_translation_and_limits)
{
	struct rules_pat *p;
	char err[256], *big;
	int i;

	CHECK_STR(pcre_of(K_REGEX, "^sshd[\\d+]: (\\S+)"),
	    "\\Asshd\\[[0-9][0-9]*?\\]\\: (([^ ][^ ]*+))");
	CHECK_STR(pcre_of(K_REGEX, "a|b"), "(?|a|b)");
	CHECK_STR(pcre_of(K_REGEX, ""), "(*FAIL)");
	p = rules_pat_compile(K_REGEX, "(a)|(b)x(c)", err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL)
		CHECK_INT(rules_pat_ncaps(p), 2);
	rules_pat_free(p);
	/* 20480 bytes (Wazuh's limit; OSSEC <= 3.2 had 2048). */
	big = malloc(20482);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, 'a', 20481);
	big[20481] = '\0';
	CHECK_STR(compile_err(K_REGEX, big),
	    "OS_Regex: pattern longer than 20480 bytes at offset 20480");
	big[20480] = '\0';
	p = rules_pat_compile(K_REGEX, big, err, sizeof(err));
	CHECK(p != NULL);
	rules_pat_free(p);
	/* 32 groups, not 33. */
	for (i = 0; i < 33; i++)
		memcpy(big + 3 * i, "(a)", 3);
	big[3 * 32] = '\0';
	p = rules_pat_compile(K_REGEX, big, err, sizeof(err));
	/* Adjacent groups: ")(" makes the second '(' a literal, so only
	 * the first pair counts here. */
	CHECK(p != NULL);
	rules_pat_free(p);
	for (i = 0; i < 33; i++)
		memcpy(big + 4 * i, "(a)x", 4);
	big[4 * 33] = '\0';
	CHECK_STR(compile_err(K_REGEX, big),
	    "OS_Regex: more than 32 groups at offset 0");
	big[4 * 32] = '\0';
	p = rules_pat_compile(K_REGEX, big, err, sizeof(err));
	CHECK(p != NULL);
	if (p != NULL)
		CHECK_INT(rules_pat_ncaps(p), 32);
	rules_pat_free(p);
	free(big);
}

/* ---------------------------------------------------------------------
 * OS_Match (classic).
 */
TEST(osmatch_basic)
{
	CHECK_INT(m(K_MATCH, "Failed password", "sshd: failed PASSWORD for"),
	    1);
	CHECK_INT(m(K_MATCH, "Failed password", "Failed passwd"), 0);
	CHECK_INT(m(K_MATCH, "^sshd", "sshd[1]"), 1);
	CHECK_INT(m(K_MATCH, "^sshd", "xsshd"), 0);
	CHECK_INT(m(K_MATCH, "refused$", "Connection refused"), 1);
	CHECK_INT(m(K_MATCH, "refused$", "refused x"), 0);
	CHECK_INT(m(K_MATCH, "^root$", "ROOT"), 1);
	CHECK_INT(m(K_MATCH, "^root$", "root2"), 0);
	CHECK_INT(m(K_MATCH, "foo|bar|^baz", "xbar"), 1);
	CHECK_INT(m(K_MATCH, "foo|bar|^baz", "xbaz"), 0);
	/* No escapes and no classes: everything but ^ $ | is literal. */
	CHECK_INT(m(K_MATCH, "[INFO] \\S+ is now logged in",
	    "[INFO] \\S+ is now logged in"), 1);
	CHECK_INT(m(K_MATCH, "[INFO] \\S+ is now logged in",
	    "[INFO] bob is now logged in"), 0);
	CHECK_INT(m(K_MATCH, "a.*b(c)?{2}+", "xA.*B(C)?{2}+"), 1);
	CHECK_INT(m(K_MATCH, "a^b", "a^b"), 1);
	CHECK_INT(m(K_MATCH, "a$b", "a$b"), 1);
	CHECK_INT(m(K_MATCH, "&lt;", "&lt;"), 1);
	/* Empty alternatives are always true, "^" and "$" too; "^$" is
	 * the empty subject. */
	CHECK_INT(m(K_MATCH, "", "abc"), 1);
	CHECK_INT(m(K_MATCH, "foo||bar", "abc"), 1);
	CHECK_INT(m(K_MATCH, "^", "abc"), 1);
	CHECK_INT(m(K_MATCH, "$", "abc"), 1);
	CHECK_INT(m(K_MATCH, "^$", "abc"), 0);
	CHECK_INT(m(K_MATCH, "^$", ""), 1);
	/* Bytes, NUL included. */
	CHECK_INT(run(K_MATCH, "b", "a\0b", 3, NULL, NULL), 1);
	CHECK_INT(run(K_MATCH, "^a\xff", "A\xff\0", 3, NULL, NULL), 1);
	CHECK_INT(m(K_MATCH, "caf\xc9", "caf\xe9"), 0);
	/* End: after the first alternative, in order, that matches. */
	CHECK_INT(endof(K_MATCH, "world|hello", "hello world"), 11);
	CHECK_INT(endof(K_MATCH, "^hello", "hello world"), 5);
	CHECK_INT(endof(K_MATCH, "world$", "hello world"), 11);
	/* Wazuh: a leading '!' negates. */
	CHECK_INT(m(K_MATCH, "!foo|bar", "xyz"), 1);
	CHECK_INT(m(K_MATCH, "!foo|bar", "xbarx"), 0);
	/* A 0xe3 byte in the pattern makes the substring alternatives
	 * case-sensitive (OSSEC's strstr() path). */
	CHECK_INT(m(K_MATCH, "\xe3\x81\x82|abc", "xABCx"), 0);
	CHECK_INT(m(K_MATCH, "\xe3\x81\x82|abc", "xabcx"), 1);
	CHECK_INT(m(K_MATCH, "\xe3\x81\x82|^abc", "ABC"), 1);
	CHECK_STR(pcre_of(K_MATCH, "^a.b$|c+"), "(?:\\Aa\\.b\\z|c\\+)");
}

/* The literal loops give the answers the PCRE2 translation gives. */
TEST(osmatch_fast_path_equals_pcre)
{
	static const char *pats[] = {
		"ab", "^ab", "ab$", "^ab$", "a|b", "^a|b$|ab", "", "x||y",
		"^", "$", "^$", "a-b", "A", "!ab", "aa", "aba", "\xe3|ab",
	};
	static const char alpha[] = "abAB-x\xe3";
	char subj[8];
	struct rules_pat *p;
	pcre2_code *re;
	pcre2_match_data *md;
	int e, rc, want, got, bad = 0;
	size_t i, len, j;
	unsigned seed = 1;
	PCRE2_SIZE off;

	md = pcre2_match_data_create(4, NULL);
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		p = rules_pat_compile(K_MATCH, pats[i], NULL, 0);
		CHECK(p != NULL);
		if (p == NULL)
			continue;
		re = pcre2_compile((PCRE2_SPTR)rules_pat_pcre2(p),
		    PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &e, &off, NULL);
		CHECK(re != NULL);
		for (j = 0; re != NULL && j < 3000; j++) {
			seed = seed * 1103515245u + 12345u;
			len = (seed >> 16) % 7;
			for (e = 0; e < (int)len; e++) {
				seed = seed * 1103515245u + 12345u;
				subj[e] = alpha[(seed >> 16) % 7];
			}
			rc = pcre2_match(re, (PCRE2_SPTR)subj, len, 0, 0, md,
			    NULL);
			want = rc >= 0;
			if (pats[i][0] == '!')
				want = !want;
			got = rules_pat_exec(p, sc, subj, len, NULL, NULL);
			if (got != want && bad++ < 5)
				fprintf(stderr, "\"%s\" on \"%.*s\": %d\n",
				    pats[i], (int)len, subj, got);
			CHECK_INT(got, want);
		}
		pcre2_code_free(re);
		rules_pat_free(p);
	}
	pcre2_match_data_free(md);
}

/* ---------------------------------------------------------------------
 * OSSEC 3.3 and PCRE2.
 */
TEST(ossec3_dialect)
{
	/* The rewrite os_converter.c does: lazy runs, the last one greedy,
	 * $ anywhere the end, ( ) | ^ PCRE2's. */
	CHECK_STR(pcre_of(K_REGEX3,
	    "^sshd[\\d+]: Accepted \\S+ for (\\S+) from (\\S+) port "),
	    "^sshd\\[[0-9]+?\\]: Accepted [^ ]+? for ([^ ]+?) from "
	    "([^ ]+?) port ");
	CHECK_STR(pcre_of(K_REGEX3, "a\\w+|b\\d*"),
	    "a[A-Za-z0-9@_-]+|b[0-9]*");
	CHECK_STR(pcre_of(K_REGEX3, "(\\w+)"), "([A-Za-z0-9@_-]+)");
	CHECK_STR(pcre_of(K_REGEX3, "\\w+$"), "[A-Za-z0-9@_-]+?(?!\\n)$");
	CHECK_STR(pcre_of(K_REGEX3, "a.b\\.\\p"),
	    "a\\.b(?s:.)[()*+,.:;\\<=>?\\[\\]!\"'#%&$|{}-]");
	CHECK_STR(compile_err(K_REGEX3, "a\\nb"),
	    "OS_Regex: invalid escape '\\n' at offset 1");
	CHECK_STR(pcre_of(K_MATCH3, "a.b(c)|d"), "a\\.b\\(c\\)|d");
	/* Literal patterns with ^ or $ are compared, not matched. */
	CHECK_STR(pcre_of(K_REGEX3, "^Accepted"), "\\Aaccepted");
	CHECK_INT(endof(K_REGEX3, "^Accepted", "accepted password"), 8);
	CHECK_INT(endof(K_MATCH3, "closed$", "Connection CLOSED"), 17);
	CHECK_INT(m(K_MATCH3, "", "x"), 1);
	/* Captures: greedy last run, the end is the end of the match. */
	CHECK_STR(caps_of(K_REGEX3, "(\\w+) (\\w+)", "wofl wofl x"),
	    "wofl|wofl");
	CHECK_INT(endof(K_REGEX3, "(\\w+) (\\w+)", "wofl wofl x"), 9);
	CHECK_STR(caps_of(K_REGEX3, "(\\w+)-(\\w+)", "foo-bar-baz"),
	    "foo|bar-baz");
	/* Groups may hold '|' here; unset ones are left out. */
	CHECK_STR(caps_of(K_REGEX3, "(a)|(b)", "b"), "b");
	CHECK_INT(m(K_REGEX3, "FAILED", "failed"), 1);
	CHECK_INT(m(K_MATCH3, "a^b", "a^b"), 0);	/* ^ is an anchor */
	CHECK_STR(compile_err(K_REGEX3, "(a"),
	    "OS_Regex: missing closing parenthesis at offset 2");
}

TEST(pcre2_kinds)
{
	CHECK_INT(m(K_PCRE, "Accepted (\\S+)", "accepted root"), 0);
	CHECK_INT(m(K_PCREI, "Accepted (\\S+)", "accepted root"), 1);
	CHECK_STR(compile_err(K_PCRE, "(abc"),
	    "PCRE2: missing closing parenthesis at offset 4");
	CHECK_STR(compile_err(K_PCREI, ""), "PCRE2: empty pattern at offset 0");
	CHECK_INT(m(K_PCRE, "", "x"), 1);
	/* Wazuh numbers every group; OSSEC 3.3 leaves unset ones out. */
	CHECK_STR(caps_of(K_PCRE, "(a)|(b)", "b"), "|b");
	CHECK_STR(caps_of(K_PCREI, "(a)|(b)", "b"), "b");
	CHECK_INT(endof(K_PCRE, "b+", "abbbc"), 4);
	/* The subject is bytes: invalid UTF-8 and NUL are fine. */
	CHECK_INT(run(K_PCRE, "a\\x00b", "xa\0b", 4, NULL, NULL), 1);
	CHECK_INT(run(K_PCRE, "\\xff", "\xc3\xff", 2, NULL, NULL), 1);
	CHECK_INT(run(K_REGEX3, "\\w+", "\xc3\xff" "a", 3, NULL, NULL), 1);
	CHECK_INT(run(K_MATCH3, "caf\xc3\xa9", "CAF\xc3\x89", 5, NULL, NULL),
	    1);
	CHECK_STR(caps_of(K_PCRE, "(a)(b)?", "a"), "a");
	CHECK_STR(compile_err(K_PCRE, "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)"
	    "(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)"
	    "(a)(a)"), "PCRE2: more than 32 groups at offset 0");
}

/* ---------------------------------------------------------------------
 * Threads: one compiled pattern, one scratch each.
 */
struct thr {
	struct rules_pat	*p;
	int			 ok;
};

static void *
thread_main(void *arg)
{
	struct thr *t = arg;
	struct rules_pat_scratch *s = rules_pat_scratch_new();
	struct rules_pat_caps c;
	const char *l = "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password "
	    "for invalid user webmaster from 173.234.31.186 port 38926 ssh2";
	size_t end;
	int i;

	t->ok = s != NULL;
	for (i = 0; s != NULL && i < 20000; i++)
		if (rules_pat_exec(t->p, s, l, strlen(l), &end, &c) != 1 ||
		    c.n != 2 || c.eo[0] - c.so[0] != 9 || end != 109)
			t->ok = 0;
	rules_pat_scratch_free(s);
	return NULL;
}

TEST(threads)
{
	struct thr t[4];
	pthread_t th[4];
	struct rules_pat *p;
	int i;

	p = rules_pat_compile(K_REGEX, "for invalid user (\\S+) from (\\S+) "
	    "port \\d+ ", NULL, 0);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	for (i = 0; i < 4; i++) {
		t[i].p = p;
		pthread_create(&th[i], NULL, thread_main, &t[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(t[i].ok);
	}
	rules_pat_free(p);
}

/* ---------------------------------------------------------------------
 * The OSSEC ruleset.
 */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *b;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(b, 1, (size_t)n, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

struct var {
	char	name[64];
	char	*val;
};

/* "$NAME" in s replaced by the values of <var>s seen so far. */
static char *
expand(const char *s, const struct var *v, int nv)
{
	size_t cap = strlen(s) + 1, o = 0, l;
	char *out = malloc(cap), *np;
	int i;

	while (out != NULL && *s != '\0') {
		for (i = 0; *s == '$' && i < nv; i++) {
			l = strlen(v[i].name);
			if (strncmp(s + 1, v[i].name, l) == 0)
				break;
		}
		if (*s == '$' && i < nv) {
			l = strlen(v[i].val);
			if ((np = realloc(out, cap + l)) == NULL) {
				free(out);
				return NULL;
			}
			out = np;
			cap += l;
			memcpy(out + o, v[i].val, l);
			o += l;
			s += 1 + strlen(v[i].name);
			continue;
		}
		out[o++] = *s++;
	}
	if (out != NULL)
		out[o] = '\0';
	return out;
}

struct tagkind {
	const char	*tag;
	int		 kind, kind3;
};

static const struct tagkind tags[] = {
	{ "match", K_MATCH, K_MATCH3 },
	{ "regex", K_REGEX, K_REGEX3 },
	{ "prematch", K_REGEX, K_REGEX3 },
	{ "program_name", K_MATCH, K_MATCH3 },
	{ "hostname", K_MATCH, K_MATCH3 },
	{ "user", K_MATCH, K_MATCH3 },
	{ "url", K_MATCH, K_MATCH3 },
	{ "id", K_MATCH, K_MATCH3 },
	{ "status", K_MATCH, K_MATCH3 },
	{ "extra_data", K_MATCH, K_MATCH3 },
	{ "pcre2", K_PCRE, K_PCREI },
	{ "prematch_pcre2", K_PCRE, K_PCREI },
	{ "program_name_pcre2", K_PCRE, K_PCREI },
	{ "match_pcre2", K_PCRE, K_PCREI },
	{ "url_pcre2", K_PCRE, K_PCREI },
	{ "id_pcre2", K_PCRE, K_PCREI },
	{ "status_pcre2", K_PCRE, K_PCREI },
	{ "extra_data_pcre2", K_PCRE, K_PCREI },
	{ "hostname_pcre2", K_PCRE, K_PCREI },
	{ "user_pcre2", K_PCRE, K_PCREI },
};

/*
 * Every pattern element of one file, found with strstr(), compiled in
 * both dialects.  Content is taken literally, as OSSEC does: '&' is '&'
 * and "\<" keeps its backslash.  Returns how many were compiled.
 */
static int
compile_file(const char *path, struct var *vars, int *nvars, int *failed,
    int *legacy)
{
	char *buf, *s, *e, *gt, *pat, open[64], close[64], err[256];
	size_t len, t;
	struct rules_pat *p;
	int n = 0;

	if ((buf = slurp(path, &len)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		(*failed)++;
		return 0;
	}
	/* Variables first, in file order (good enough here). */
	for (s = buf; (s = strstr(s, "<var name=\"")) != NULL; s = e) {
		s += 11;
		if ((e = strchr(s, '"')) == NULL || *nvars >= 64)
			break;
		snprintf(vars[*nvars].name, sizeof(vars[*nvars].name),
		    "%.*s", (int)(e - s), s);
		if ((gt = strchr(e, '>')) == NULL ||
		    (e = strstr(gt, "</var>")) == NULL)
			break;
		vars[*nvars].val = strndup(gt + 1, (size_t)(e - gt - 1));
		(*nvars)++;
	}
	for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		snprintf(open, sizeof(open), "<%s", tags[t].tag);
		snprintf(close, sizeof(close), "</%s>", tags[t].tag);
		for (s = buf; (s = strstr(s, open)) != NULL; s = e) {
			e = s + strlen(open);
			if (*e != '>' && *e != ' ')
				continue;	/* <matchx>, <match_pcre2> */
			if ((gt = strchr(e, '>')) == NULL)
				break;
			if (gt[-1] == '/')
				continue;	/* <program_name /> */
			if ((e = strstr(gt, close)) == NULL)
				break;
			*e = '\0';
			pat = expand(gt + 1, vars, *nvars);
			*e = '<';
			if (pat == NULL)
				continue;
			if ((p = rules_pat_compile(tags[t].kind, pat, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "%s: <%s>%s: %s\n", path,
				    tags[t].tag, pat, err);
				(*failed)++;
			}
			rules_pat_free(p);
			if ((p = rules_pat_compile(tags[t].kind3, pat, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "%s: <%s>%s (OSSEC 3.3): %s\n",
				    path, tags[t].tag, pat, err);
				(*failed)++;
			}
			rules_pat_free(p);
			free(pat);
			n++;
			if (tags[t].kind != K_PCRE)
				(*legacy)++;
		}
	}
	free(buf);
	return n;
}

static int
ruleset_dir(char *dir, size_t len)
{
	const char *shared = getenv("MAMORI_SHARED"), *src;

	if (shared != NULL) {
		snprintf(dir, len, "%s/data/ossec-ruleset", shared);
		return 0;
	}
	if ((src = getenv("MAMORI_SRC")) != NULL) {
		snprintf(dir, len, "%s/../shared/data/ossec-ruleset", src);
		return 0;
	}
	return -1;
}

TEST(ossec_ruleset_compiles)
{
	char dir[1024], path[2048];
	struct var vars[64];
	struct dirent *de;
	DIR *dh;
	int n = 0, failed = 0, legacy = 0, nvars = 0, i, files = 0;

	if (ruleset_dir(dir, sizeof(dir)) != 0) {
		printf("ossec_ruleset_compiles: skipped (no MAMORI_SHARED)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/decoders/decoder.xml", dir);
	n += compile_file(path, vars, &nvars, &failed, &legacy);
	snprintf(path, sizeof(path), "%s/rules", dir);
	if ((dh = opendir(path)) == NULL) {
		CHECK(dh != NULL);
		return;
	}
	while ((de = readdir(dh)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".xml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/rules/%s", dir, de->d_name);
		n += compile_file(path, vars, &nvars, &failed, &legacy);
		files++;
	}
	closedir(dh);
	for (i = 0; i < nvars; i++)
		free(vars[i].val);
	printf("ossec_ruleset_compiles: %d patterns (%d OS_Match/OS_Regex) "
	    "in %d rule files and decoder.xml, %d failed\n", n, legacy,
	    files, failed);
	CHECK(files >= 80);
	CHECK(n > 1500);
	CHECK_INT(failed, 0);
}

/* Real rule patterns on real lines. */
TEST(ossec_patterns_on_lines)
{
	static const char *l1 = "Failed password for invalid user "
	    "webmaster from 173.234.31.186 port 38926 ssh2";
	static const char *l2 = "pam_unix(sshd:auth): authentication "
	    "failure; logname= uid=0 euid=0 tty=ssh ruser= "
	    "rhost=183.62.140.253  user=root";

	/* sshd_rules.xml and syslog_rules.xml, and classic decoders. */
	CHECK_INT(m(K_MATCH, "Connection refused$",
	    "fatal: Connection refused"), 1);
	CHECK_INT(m(K_MATCH, "recvmsg", "error: RECVMSG failed"), 1);
	CHECK_INT(m(K_PCREI, "^Failed \\S+ for invalid user|^Failed "
	    "\\S+ for illegal user|from \\S+ port \\d+ ssh2$", l1), 1);
	CHECK_STR(caps_of(K_REGEX, "^Failed \\S+ for invalid user (\\S+) "
	    "from (\\S+) port \\d+ \\w+$", l1), "webmaster|173.234.31.186");
	CHECK_STR(caps_of(K_REGEX3, "^Failed \\S+ for invalid user (\\S+) "
	    "from (\\S+) port \\d+ \\w+$", l1), "webmaster|173.234.31.186");
	CHECK_INT(endof(K_REGEX, "^pam_unix", l2), 8);
	CHECK_INT(endof(K_REGEX3, "^pam_unix", l2), 8);
	CHECK_STR(caps_of(K_REGEX, "^\\(\\S+\\): authentication failure; "
	    "logname=\\S* uid=\\S* euid=\\S* tty=\\S* ruser=\\S* "
	    "rhost=(\\S*)\\s+user=(\\S+)", l2 + 8), "183.62.140.253|root");
}

/* ---------------------------------------------------------------------
 * Cost of a match (printed, never asserted).
 */
static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

TEST(benchmark)
{
	static const struct {
		int		 kind;
		const char	*pat;
	} b[] = {
		{ K_MATCH, "Failed password" },
		{ K_MATCH, "authentication failure|Invalid user|BREAK-IN" },
		{ K_MATCH, "^Accepted" },
		{ K_REGEX, "^Failed \\S+ for (\\S+) from (\\S+) port \\d+" },
		{ K_REGEX, "^Invalid user (\\S+) from (\\S+)" },
		{ K_REGEX, "(\\d+.\\d+.\\d+.\\d+)" },
		{ K_REGEX3, "^Failed \\S+ for (\\S+) from (\\S+) port \\d+" },
		{ K_PCRE, "^Failed \\S+ for (\\S+) from (\\S+) port \\d+" },
		{ K_PCREI, "^Failed \\S+ for (\\S+) from (\\S+) port \\d+" },
	};
	static const char *fallback[] = {
		"Failed password for invalid user webmaster from "
		"173.234.31.186 port 38926 ssh2",
		"Invalid user webmaster from 173.234.31.186",
		"pam_unix(sshd:auth): authentication failure; logname= uid=0 "
		"euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root",
		"Received disconnect from 183.62.140.253: 11: Bye Bye "
		"[preauth]",
	};
	char dir[1024], path[2048], *buf = NULL, *line, *save;
	const char *lines[2000];
	size_t len, nl = 0, i, k;
	struct rules_pat *p;
	struct rules_pat_caps c;
	double t0, t1;
	int rounds, r, hits;
	size_t end;

	if (ruleset_dir(dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path),
		    "%s/../logs/loghub_OpenSSH_2k.log", dir);
		buf = slurp(path, &len);
	}
	if (buf != NULL) {
		for (line = strtok_r(buf, "\n", &save); line != NULL &&
		    nl < 2000; line = strtok_r(NULL, "\n", &save)) {
			char *msg = strstr(line, "]: ");

			lines[nl++] = msg != NULL ? msg + 3 : line;
		}
	} else
		for (; nl < 4; nl++)
			lines[nl] = fallback[nl];
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if ((p = rules_pat_compile(b[i].kind, b[i].pat, NULL,
		    0)) == NULL) {
			CHECK(p != NULL);
			continue;
		}
		hits = 0;
		rounds = 20;
		t0 = now_ns();
		for (r = 0; r < rounds; r++)
			for (k = 0; k < nl; k++)
				hits += rules_pat_exec(p, sc, lines[k],
				    strlen(lines[k]), &end, &c);
		t1 = now_ns();
		printf("benchmark: %-8s %-48s %6.1f ns/line (%zu sshd lines,"
		    " %d%% match)\n", b[i].kind == K_MATCH ? "OS_Match" :
		    b[i].kind == K_REGEX ? "OS_Regex" : b[i].kind == K_REGEX3 ?
		    "OSSEC3" : b[i].kind == K_PCRE ? "PCRE2" : "PCRE2/i",
		    b[i].pat, (t1 - t0) / ((double)rounds * (double)nl), nl,
		    (int)(100.0 * hits / ((double)rounds * (double)nl)));
		rules_pat_free(p);
	}
	free(buf);
}

int
main(void)
{
	sc = rules_pat_scratch_new();
	if (sc == NULL)
		return 1;
	RUN(osregex_classes);
	RUN(osregex_escapes_and_errors);
	RUN(osregex_modifiers);
	RUN(osregex_anchors_alternatives_case);
	RUN(osregex_table);
	RUN(osregex_translation_and_limits);
	RUN(osmatch_basic);
	RUN(osmatch_fast_path_equals_pcre);
	RUN(ossec3_dialect);
	RUN(pcre2_kinds);
	RUN(threads);
	RUN(ossec_ruleset_compiles);
	RUN(ossec_patterns_on_lines);
	RUN(benchmark);
	rules_pat_scratch_free(sc);
	return test_summary();
}
