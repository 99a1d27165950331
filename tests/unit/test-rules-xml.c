/*
 * test-rules-xml.c - the parser of OSSEC's XML dialect: comments, escapes,
 * whitespace, variables, line numbers, every error, the limits at and one
 * past their edge, truncated input, and every decoder and rule file of
 * OSSEC's ruleset ($MAMORI_SHARED/data/ossec-ruleset).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/rules-xml.h"
#include "test.h"

static struct rules_xml_doc *
parse(const char *s)
{
	char err[512];
	struct rules_xml_doc *d;

	d = rules_xml_parse(s, strlen(s), "t.xml", err, sizeof(err));
	if (d == NULL)
		fprintf(stderr, "unexpected error: %s\n", err);
	return d;
}

/* Whether parsing in[0..len) fails with exactly the message want. */
static int
fails_with_len(const char *in, size_t len, const char *want)
{
	char err[512];
	struct rules_xml_doc *d;

	memset(err, 'X', sizeof(err));
	d = rules_xml_parse(in, len, "t.xml", err, sizeof(err));
	if (d != NULL) {
		fprintf(stderr, "parsed; expected \"%s\"\n", want);
		rules_xml_free(d);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "error \"%s\"\n   expected \"%s\"\n", err,
		    want);
		return 0;
	}
	return 1;
}

static int
fails_with(const char *in, const char *want)
{
	return fails_with_len(in, strlen(in), want);
}

#define CHECK_FAILS(in, want)	CHECK(fails_with((in), (want)))

/* The n-th (from 0) sibling starting at n. */
static const struct rules_xml_node *
nth(const struct rules_xml_node *n, int i)
{
	while (n != NULL && i-- > 0)
		n = n->next;
	return n;
}

static int
nsiblings(const struct rules_xml_node *n)
{
	int i = 0;

	for (; n != NULL; n = n->next)
		i++;
	return i;
}

/* Content of the i-th top-level element of d. */
static const char *
top(const struct rules_xml_doc *d, int i)
{
	const struct rules_xml_node *n = nth(rules_xml_root(d), i);

	return n != NULL ? n->content : NULL;
}

TEST(structure)
{
	const char *s =
	    "<group name=\"syslog,\">\n"
	    "  <rule id='1' level=\"3\">\n"
	    "    <match>x</match>\n"
	    "    <same_source_ip />\n"
	    "    <same_user/>\n"
	    "    <x a=\"1\"/>\n"
	    "    <y\tb= 'it\"s'\n"
	    "       c=\"a'b\"></y>\n"
	    "  </rule>\n"
	    "</group>\n"
	    "<decoder name=\"d\"/>\n";
	struct rules_xml_doc *d = parse(s);
	const struct rules_xml_node *g, *r, *n;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	CHECK_STR(rules_xml_file(d), "t.xml");
	g = rules_xml_root(d);
	CHECK_STR(g->name, "group");
	CHECK_INT(g->line, 1);
	CHECK_INT(g->nattrs, 1);
	CHECK_STR(rules_xml_attr(g, "name"), "syslog,");
	CHECK(rules_xml_attr(g, "Name") == NULL);
	CHECK_INT(nsiblings(g), 2);
	CHECK_STR(g->next->name, "decoder");
	CHECK_INT(g->next->line, 11);
	CHECK_STR(g->next->content, "");
	CHECK(g->next->child == NULL);

	r = g->child;
	CHECK_STR(r->name, "rule");
	CHECK_INT(r->line, 2);
	CHECK(r->next == NULL);
	CHECK_STR(rules_xml_attr(r, "id"), "1");
	CHECK_STR(rules_xml_attr(r, "level"), "3");
	CHECK_INT(nsiblings(r->child), 5);
	n = r->child;
	CHECK_STR(n->name, "match");
	CHECK_STR(n->content, "x");
	CHECK_INT(n->line, 3);
	CHECK(n->attrs == NULL && n->nattrs == 0);
	n = n->next;
	CHECK_STR(n->name, "same_source_ip");
	CHECK_STR(n->content, "");
	CHECK_INT(n->line, 4);
	n = n->next;
	CHECK_STR(n->name, "same_user");
	CHECK_STR(n->content, "");
	n = n->next;
	CHECK_STR(n->name, "x");
	CHECK_STR(rules_xml_attr(n, "a"), "1");
	n = n->next;
	CHECK_STR(n->name, "y");
	CHECK_INT(n->line, 7);
	CHECK_INT(n->nattrs, 2);
	CHECK_STR(n->attrs[0].name, "b");
	CHECK_STR(n->attrs[0].value, "it\"s");
	CHECK_STR(n->attrs[1].name, "c");
	CHECK_STR(n->attrs[1].value, "a'b");
	rules_xml_free(d);

	/* Nothing at all, or only text and comments, is an empty file. */
	d = rules_xml_parse("", 0, "t.xml", NULL, 0);
	CHECK(d != NULL && rules_xml_root(d) == NULL);
	rules_xml_free(d);
	d = parse("  hello <!-- c --> world\n");
	CHECK(d != NULL && rules_xml_root(d) == NULL);
	rules_xml_free(d);
	rules_xml_free(NULL);
	CHECK(rules_xml_root(NULL) == NULL);
}

TEST(comments)
{
	struct rules_xml_doc *d;

	/* "--" inside, "!>" as the end, "<!-->" complete, and a '>' that
	 * ends nothing. */
	d = parse("<!-- a -- b --- c -->"
	    "<a>1</a>"
	    "<! ossec style !>"
	    "<b>2</b>"
	    "<!-- ends here !><c>kept</c> -->"
	    "<!-->"
	    "<!DOCTYPE x> <d>lost</d> !>"
	    "<e>3</e>"
	    "<!!>"
	    "<!> <f>lost</f> --->"
	    "<g>4</g>");
	CHECK(d != NULL);
	CHECK_INT(nsiblings(rules_xml_root(d)), 5);
	CHECK_STR(top(d, 0), "1");
	CHECK_STR(top(d, 1), "2");
	CHECK_STR(top(d, 2), "kept");
	CHECK_STR(top(d, 3), "3");
	CHECK_STR(nth(rules_xml_root(d), 3)->name, "e");
	CHECK_STR(top(d, 4), "4");
	CHECK_STR(nth(rules_xml_root(d), 4)->name, "g");
	rules_xml_free(d);

	/* In text, a comment is cut out; so are its newlines from nothing
	 * but the text (the lines still count). */
	d = parse("<a>x<!-- one\ntwo -->y<!---->z</a>\n<b/>");
	CHECK_STR(top(d, 0), "xyz");
	CHECK_INT(nth(rules_xml_root(d), 1)->line, 3);
	rules_xml_free(d);

	/* A comment between parent and child text, and before </. */
	d = parse("<a><b>1</b>tail<!-- x --></a>");
	CHECK_STR(top(d, 0), "tail");
	rules_xml_free(d);
}

TEST(no_entities)
{
	struct rules_xml_doc *d;

	d = parse("<match>a & b &amp; &lt;</match><x v=\"&quot;&\"/>");
	CHECK_STR(top(d, 0), "a & b &amp; &lt;");
	CHECK_STR(rules_xml_attr(nth(rules_xml_root(d), 1), "v"), "&quot;&");
	rules_xml_free(d);
}

TEST(backslash_lt)
{
	struct rules_xml_doc *d;

	d = parse("<pcre2>80\\<clock_battery\\></pcre2>");
	CHECK_STR(top(d, 0), "80\\<clock_battery\\>");
	rules_xml_free(d);

	/* "\</a>" is text, not an end tag; two backslashes escape too. */
	d = parse("<a>x\\</a>y\\\\<z</a>");
	CHECK_STR(top(d, 0), "x\\</a>y\\\\<z");
	rules_xml_free(d);

	/* The escape must touch the '<'. */
	CHECK_FAILS("<a>x\\ <b</a>", "t.xml:1: '<' inside tag <b");

	/* "\<!" still opens a comment, and the backslash survives it. */
	d = parse("<a>x\\<!-- c -->y</a>");
	CHECK_STR(top(d, 0), "x\\y");
	rules_xml_free(d);
	d = parse("<a>x\\<!-- c --><b></a>");
	CHECK_STR(top(d, 0), "x\\<b>");
	rules_xml_free(d);

	/* At the top level an escaped '<' is ignored text like any other. */
	d = parse("\\<a> <b/>");
	CHECK_INT(nsiblings(rules_xml_root(d)), 1);
	CHECK_STR(rules_xml_root(d)->name, "b");
	rules_xml_free(d);

	/* So text cannot end in a backslash (as in OSSEC). */
	CHECK_FAILS("<a>C:\\</a>\n", "t.xml:1: element <a> not closed at end "
	    "of file");

	/* In attribute values a backslash is just a byte. */
	d = parse("<a v='\\'/>");
	CHECK_STR(rules_xml_attr(rules_xml_root(d), "v"), "\\");
	rules_xml_free(d);
}

TEST(whitespace)
{
	struct rules_xml_doc *d;
	const struct rules_xml_node *g;

	/* Content is exactly what is written. */
	d = parse("<match> foo  bar </match>"
	    "<regex>\n\t^x\n  </regex>"
	    "<crlf>a\r\nb\r\n</crlf>"
	    "<e></e>"
	    "<sp> </sp>");
	CHECK_STR(top(d, 0), " foo  bar ");
	CHECK_STR(top(d, 1), "\n\t^x\n  ");
	CHECK_STR(top(d, 2), "a\r\nb\r\n");
	CHECK_STR(top(d, 3), "");
	CHECK_STR(top(d, 4), " ");
	rules_xml_free(d);

	/* Mixed: only the text after the last child is kept. */
	d = parse("<a>before<b>1</b>middle<c x='y'/>after\n</a>"
	    "<group>\n  <rule/>\n</group>"
	    "<p>text<q/></p>"
	    "<p>text<q /></p>");
	g = rules_xml_root(d);
	CHECK_STR(g->content, "after\n");
	CHECK_STR(g->child->content, "1");
	CHECK_STR(g->child->next->content, "");
	CHECK_STR(top(d, 1), "\n");
	CHECK_STR(top(d, 2), "");
	CHECK_STR(top(d, 3), "");	/* os_xml would give ">" */
	rules_xml_free(d);

	/* Any ASCII space separates name and attributes, and the
	 * attributes from each other; spaces may follow '='. */
	d = parse("<a\r\n\v\fb=\n\"1\"\tc= '2'\n>x</a>");
	g = rules_xml_root(d);
	CHECK_STR(g->name, "a");
	CHECK_STR(rules_xml_attr(g, "b"), "1");
	CHECK_STR(rules_xml_attr(g, "c"), "2");
	CHECK_STR(g->content, "x");
	rules_xml_free(d);
}

TEST(names)
{
	struct rules_xml_doc *d;
	const struct rules_xml_node *n;

	/* os_xml has no name syntax: anything up to a space, '>' or "/>". */
	d = parse("<a.b-c:d_1 x:y=\"1\" x-z='2'>v</a.b-c:d_1>"
	    "<R&D \"q\"='3'/><\xc3\xa9t\xc3\xa9/>");
	n = rules_xml_root(d);
	CHECK_STR(n->name, "a.b-c:d_1");
	CHECK_STR(rules_xml_attr(n, "x:y"), "1");
	CHECK_STR(rules_xml_attr(n, "x-z"), "2");
	CHECK_STR(n->next->name, "R&D");
	CHECK_STR(rules_xml_attr(n->next, "\"q\""), "3");
	CHECK_STR(n->next->next->name, "\xc3\xa9t\xc3\xa9");
	rules_xml_free(d);

	/* Names are case-sensitive: ID and id are two attributes. */
	d = parse("<r id='1' ID='2'></r>");
	CHECK_STR(rules_xml_attr(rules_xml_root(d), "id"), "1");
	CHECK_STR(rules_xml_attr(rules_xml_root(d), "ID"), "2");
	rules_xml_free(d);
	CHECK_FAILS("<r></R>", "t.xml:1: unexpected </R>: <r> from line 1 is "
	    "still open");
}

TEST(declaration)
{
	struct rules_xml_doc *d;

	d = parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>1</a>");
	CHECK_STR(top(d, 0), "1");
	CHECK_INT(rules_xml_root(d)->line, 2);
	rules_xml_free(d);
	/* "? >" ends it too; a '>' without '?' does not. */
	d = parse("<?xml a='>' ? >\n<a>1</a>");
	CHECK_STR(top(d, 0), "1");
	rules_xml_free(d);
	/* After a byte-order mark, spaces or a comment. */
	d = parse("\xef\xbb\xbf <!-- c --> <?xml version='1.0'?><a/>");
	CHECK_STR(rules_xml_root(d)->name, "a");
	rules_xml_free(d);

	CHECK_FAILS("<a/>\n<?xml version='1.0'?>", "t.xml:2: \"<?\" after the "
	    "first element (only an XML declaration at the start may use it)");
	CHECK_FAILS("<?xml?><?xml?>", "t.xml:1: \"<?\" after the first "
	    "element (only an XML declaration at the start may use it)");
	CHECK_FAILS("<?php echo 1 ?>", "t.xml:1: \"<?\" does not begin an XML "
	    "declaration \"<?xml ... ?>\"");
	CHECK_FAILS("<?xml version='1.0'>\n<a/>", "t.xml:1: XML declaration "
	    "not closed (it ends at \"?>\")");
	CHECK_FAILS("<a><?xml?></a>", "t.xml:1: \"<?\" after the first element "
	    "(only an XML declaration at the start may use it)");
}

TEST(variables)
{
	struct rules_xml_doc *d;
	const struct rules_xml_node *n;

	d = parse("<var name=\"BAD\">core|fail</var>\n"
	    "<var name=\"FREQ\">8</var>\n"
	    "<group name=\"x\">\n"
	    "  <rule id=\"1\" frequency=\"$FREQ\">\n"
	    "    <match>$BAD</match>\n"
	    "    <m>^$bad$|x$FREQ.$Freq,$FREQ $FREQ$FREQ</m>\n"
	    "  </rule>\n"
	    "</group>\n");
	n = rules_xml_root(d);
	CHECK_STR(n->name, "var");
	CHECK_STR(n->content, "core|fail");
	CHECK_STR(rules_xml_attr(n, "name"), "BAD");
	n = nth(n, 2)->child;
	CHECK_STR(rules_xml_attr(n, "frequency"), "8");
	CHECK_STR(rules_xml_attr(n, "id"), "1");
	CHECK_STR(n->child->content, "core|fail");
	CHECK_STR(n->child->next->content, "^core|fail$|x8.8,8 88");
	rules_xml_free(d);

	/* Before the first definition nothing is expanded; after it, an
	 * unknown name is an error. */
	d = parse("<m>$X and $Y</m><var name='X'>1</var><m>$X and more</m>");
	CHECK_STR(top(d, 0), "$X and $Y");
	CHECK_STR(top(d, 2), "1 and more");
	rules_xml_free(d);
	CHECK_FAILS("<var name='X'>1</var>\n<m>$X and $Y</m>",
	    "t.xml:2: unknown variable $Y in <m>");
	CHECK_FAILS("<var name='X'>1</var>\n<m a='$Z.'/>",
	    "t.xml:2: unknown variable $Z in <m>");

	/* Only "$.|, " end a name. */
	CHECK_FAILS("<var name='X'>1</var><m>($X)</m>",
	    "t.xml:1: unknown variable $X) in <m>");
	CHECK_FAILS("<var name='X'>1</var><m>$X\tx</m>",
	    "t.xml:1: unknown variable $X\\x09x in <m>");

	/* A lone '$' stays; strings of up to two bytes are never expanded. */
	d = parse("<var name='A'>1</var><m>^foo$</m><m>a$|b$$</m><m>$A</m>"
	    "<m>$A </m><m a='$A'/>");
	CHECK_STR(top(d, 1), "^foo$");
	CHECK_STR(top(d, 2), "a$|b$$");
	CHECK_STR(top(d, 3), "$A");
	CHECK_STR(top(d, 4), "1 ");
	CHECK_STR(rules_xml_attr(nth(rules_xml_root(d), 5), "a"), "$A");
	rules_xml_free(d);

	/* The first definition wins (names compare without case); values
	 * are not expanded again, and neither is a <var> itself. */
	d = parse("<var name='A'>x</var><VAR NAME='a'>y</VAR>"
	    "<var name='B'>$A.z</var><m>$a.$B</m>");
	CHECK_STR(top(d, 3), "x.$A.z");
	CHECK_STR(top(d, 2), "$A.z");
	rules_xml_free(d);

	/* A <var> inside another element defines one too (as os_xml),
	 * from its place on. */
	d = parse("<g><m>$V1</m><var name='V'>1</var><m>$V.1</m></g>");
	n = rules_xml_root(d)->child;
	CHECK_STR(n->content, "$V1");
	CHECK_STR(n->next->next->content, "1.1");
	rules_xml_free(d);

	/* An empty value, an empty name. */
	d = parse("<var name='E'></var><var name=''>N</var><m>[$E.]$|$</m>");
	CHECK_STR(top(d, 2), "[.]N|N");
	rules_xml_free(d);

	CHECK_FAILS("<a/>\n<var>1</var>", "t.xml:2: <var> without a name "
	    "attribute");
	CHECK_FAILS("<var id='1' name='X'>1</var>", "t.xml:1: <var> takes the "
	    "attribute name=, not id=");
}

TEST(variable_limits)
{
	char buf[4096], name[300];
	struct rules_xml_doc *d;
	int i, n;

	/* A 255-byte name works; 256 does not. */
	memset(name, 'N', 256);
	name[255] = '\0';
	snprintf(buf, sizeof(buf), "<var name='%s'>v</var><m>x$%s.</m>", name,
	    name);
	d = parse(buf);
	CHECK_STR(top(d, 1), "xv.");
	rules_xml_free(d);
	name[255] = 'N';
	name[256] = '\0';
	snprintf(buf, sizeof(buf), "<var name='%s'>v</var>", name);
	CHECK_FAILS(buf, "t.xml:1: variable name longer than 255 bytes");
	snprintf(buf, sizeof(buf), "<var name='X'>v</var><m>$%s</m>", name);
	CHECK_FAILS(buf, "t.xml:1: variable name longer than 255 bytes in "
	    "<m>");

	/* A string may grow to RULES_XML_MAX_EXPANDED bytes, no more. */
	n = snprintf(buf, sizeof(buf), "<var name='B'>");
	memset(buf + n, 'b', 2048);
	n += 2047;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "</var><m>");
	for (i = 0; i < RULES_XML_MAX_EXPANDED / 2047; i++)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "$B,");
	snprintf(buf + n, sizeof(buf) - (size_t)n, "</m>");
	/* 32 * 2047 + 32 commas = 65536 */
	d = parse(buf);
	CHECK(d != NULL);
	if (d != NULL)
		CHECK_INT(strlen(top(d, 1)), RULES_XML_MAX_EXPANDED);
	rules_xml_free(d);
	snprintf(buf + n, sizeof(buf) - (size_t)n, "x</m>");
	CHECK_FAILS(buf, "t.xml:1: variables make a string of <m> longer "
	    "than 65536 bytes");

	/* And all of them together to RULES_XML_MAX_GROWTH. */
	{
		size_t cap = 1100 * 120 + sizeof(buf), o;
		char *big = malloc(cap);

		if (big == NULL)
			return;
		o = (size_t)snprintf(big, cap, "%.*s</var>\n", n -
		    (int)strlen("</var><m>") - 32 * 3, buf);
		for (i = 0; i < 1100; i++) {
			o += (size_t)snprintf(big + o, cap - o, "<m>");
			for (n = 0; n < 32; n++)
				o += (size_t)snprintf(big + o, cap - o, "$B,");
			o += (size_t)snprintf(big + o, cap - o, "</m>\n");
		}
		/* Each <m> grows by 32 * 2047 + 32 - 96 bytes. */
		CHECK(fails_with(big, "t.xml:1027: variables expand to more "
		    "than 64 MiB in all"));
		free(big);
	}
}

TEST(line_numbers)
{
	const char *s =
	    "<!-- line 1\n"
	    "     line 2 -\n"
	    "     line 3 --\n"
	    "-->\n"
	    "<a\n"
	    "  x=\"multi\n"
	    "line\"><b\n"
	    ">\n"
	    "text\n"
	    "</b><c/></a>\n"
	    "\n"
	    "<d/>";
	struct rules_xml_doc *d = parse(s);
	const struct rules_xml_node *a;

	a = rules_xml_root(d);
	CHECK_INT(a->line, 5);
	CHECK_STR(rules_xml_attr(a, "x"), "multi\nline");
	CHECK_INT(a->child->line, 7);
	CHECK_STR(a->child->content, "\ntext\n");
	CHECK_INT(a->child->next->line, 10);
	CHECK_INT(a->next->line, 12);
	rules_xml_free(d);

	CHECK_FAILS("<a>\n\n<b x='1\n\n'>\n</a>", "t.xml:6: unexpected </a>: "
	    "<b> from line 3 is still open");
}

TEST(errors)
{
	CHECK_FAILS("<group>\n  <rule id='1'>\n    <match>x</match>\n"
	    "</group>", "t.xml:4: unexpected </group>: <rule> from line 2 is "
	    "still open");
	CHECK_FAILS("<a/>\n</group>", "t.xml:2: unexpected </group>: no "
	    "element is open");
	CHECK_FAILS("<group>\n <rule id='1'>\n <match>x</match>\n",
	    "t.xml:2: element <rule> not closed at end of file");
	CHECK_FAILS("<group>\n <rule id='1'>\n <match>x</mat",
	    "t.xml:3: element <match> not closed at end of file");
	CHECK_FAILS("<rule></rule >", "t.xml:1: unexpected </rule >: <rule> "
	    "from line 1 is still open");
	CHECK_FAILS("<rule id=1>", "t.xml:1: value of attribute id in <rule> "
	    "not quoted");
	CHECK_FAILS("<rule id= >", "t.xml:1: value of attribute id in <rule> "
	    "not quoted");
	CHECK_FAILS("<rule id>", "t.xml:1: attribute id in <rule> has no value "
	    "(write id=\"...\")");
	CHECK_FAILS("<rule id =\"1\">", "t.xml:1: attribute id in <rule> has "
	    "no value (write id=\"...\")");
	CHECK_FAILS("<rule noalert/>", "t.xml:1: attribute noalert in <rule> "
	    "has no value (write noalert=\"...\")");
	CHECK_FAILS("<rule id='1' level='2'\n id=\"3\">", "t.xml:2: attribute "
	    "id given twice in <rule>");
	CHECK_FAILS("<rule id=\"1>\n</rule>", "t.xml:1: '>' inside the value "
	    "of attribute id in <rule> (closing quote missing?)");
	CHECK_FAILS("<rule id=\"1", "t.xml:1: end of file inside the value "
	    "of attribute id in <rule>");
	CHECK_FAILS("<rule id=\"1\"level='2'>", "t.xml:1: attribute id in "
	    "<rule> not followed by a space, '>' or \"/>\"");
	CHECK_FAILS("<rule ='1'>", "t.xml:1: attribute without a name in "
	    "<rule>");
	CHECK_FAILS("<rule id='1'", "t.xml:1: end of file inside tag <rule>");
	CHECK_FAILS("<rule id", "t.xml:1: end of file inside tag <rule>");
	CHECK_FAILS("<rule id=", "t.xml:1: end of file inside tag <rule>");
	CHECK_FAILS("<rule", "t.xml:1: end of file inside tag <rule");
	CHECK_FAILS("<", "t.xml:1: end of file inside tag <");
	CHECK_FAILS("a < b", "t.xml:1: '<' not followed by an element name "
	    "(write \"\\<\" for a literal '<')");
	CHECK_FAILS("<>x</>", "t.xml:1: '<' not followed by an element name "
	    "(write \"\\<\" for a literal '<')");
	CHECK_FAILS("<a>x < y</a>", "t.xml:1: '<' not followed by an element "
	    "name (write \"\\<\" for a literal '<')");
	CHECK_FAILS("<a<b>", "t.xml:1: '<' inside tag <a");
	CHECK_FAILS("<a x<y='1'>", "t.xml:1: '<' inside tag <a>");
	CHECK_FAILS("<a / >", "t.xml:1: '/' not followed by '>' in tag <a>");
	CHECK_FAILS("<a/b>", "t.xml:1: '/' not followed by '>' in tag <a>");
	CHECK_FAILS("<a>\n<!-- not closed -", "t.xml:2: comment not closed "
	    "(it ends at \"-->\" or \"!>\")");
	CHECK_FAILS("<!>", "t.xml:1: comment not closed (it ends at \"-->\" or "
	    "\"!>\")");
}

TEST(error_text_is_safe)
{
	char long_name[200], want[200];

	/* Control bytes are shown escaped and long names cut. */
	CHECK_FAILS("<a></a\x01\x1b[2J>", "t.xml:1: unexpected "
	    "</a\\x01\\x1b[2J>: <a> from line 1 is still open");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	long_name[0] = '<';
	snprintf(want, sizeof(want), "t.xml:1: end of file inside tag "
	    "<%.48s...", long_name + 1);
	CHECK_FAILS(long_name, want);
}

TEST(nul_and_errbuf)
{
	static const char in[] = "<a>x</a>\n\n<b>\0</b>";
	char err[16];
	struct rules_xml_doc *d;

	CHECK(fails_with_len(in, sizeof(in) - 1, "t.xml:3: NUL byte (not a "
	    "text file?)"));
	/* A short buffer is cut, NUL-terminated; NULL err is allowed. */
	d = rules_xml_parse("<a>", 3, "t.xml", err, sizeof(err));
	CHECK(d == NULL);
	CHECK_STR(err, "t.xml:1: elemen");
	CHECK(rules_xml_parse("<a>", 3, "t.xml", NULL, 0) == NULL);
	/* buf need not be NUL-terminated. */
	d = rules_xml_parse("<a>1</a>XXXX", 8, NULL, NULL, 0);
	CHECK(d != NULL);
	CHECK_STR(top(d, 0), "1");
	CHECK_STR(rules_xml_file(d), "(input)");
	rules_xml_free(d);
}

TEST(depth_limit)
{
	char buf[2048];
	struct rules_xml_doc *d;
	const struct rules_xml_node *n;
	size_t o = 0;
	int i, depth;

	for (i = 0; i < RULES_XML_MAX_DEPTH; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "<e>");
	for (i = 0; i < RULES_XML_MAX_DEPTH; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "</e>");
	d = parse(buf);
	CHECK(d != NULL);
	for (depth = 0, n = rules_xml_root(d); n != NULL; n = n->child)
		depth++;
	CHECK_INT(depth, RULES_XML_MAX_DEPTH);
	rules_xml_free(d);

	o = 0;
	for (i = 0; i < RULES_XML_MAX_DEPTH; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "<e>\n");
	snprintf(buf + o, sizeof(buf) - o, "<f/>");
	CHECK_FAILS(buf, "t.xml:65: elements nested more than 64 deep");
}

TEST(string_limits)
{
	char *buf = malloc(3 * RULES_XML_MAX_STR);
	struct rules_xml_doc *d;
	int n;

	if (buf == NULL)
		return;
	/* Text: 2047 bytes pass, 2048 do not, per run between children. */
	n = sprintf(buf, "<a>");
	memset(buf + n, 't', RULES_XML_MAX_STR);
	n += RULES_XML_MAX_STR;
	n += sprintf(buf + n, "<b/>");
	memset(buf + n, 'u', RULES_XML_MAX_STR);
	n += RULES_XML_MAX_STR;
	strcpy(buf + n, "</a>");
	d = parse(buf);
	CHECK(d != NULL);
	if (d != NULL)
		CHECK_INT(strlen(top(d, 0)), RULES_XML_MAX_STR);
	rules_xml_free(d);
	strcpy(buf + n, "u</a>");
	CHECK_FAILS(buf, "t.xml:1: text inside <a> longer than 2047 bytes "
	    "(OSSEC's limit)");
	/* Comments do not count. */
	strcpy(buf + n, "<!-- x --></a>");
	d = parse(buf);
	CHECK(d != NULL);
	rules_xml_free(d);

	/* Names. */
	buf[0] = '<';
	memset(buf + 1, 'n', RULES_XML_MAX_STR);
	strcpy(buf + 1 + RULES_XML_MAX_STR, "/>");
	d = parse(buf);
	CHECK(d != NULL);
	rules_xml_free(d);
	memset(buf + 1, 'n', RULES_XML_MAX_STR + 1);
	strcpy(buf + 2 + RULES_XML_MAX_STR, "/>");
	CHECK_FAILS(buf, "t.xml:1: element name longer than 2047 bytes");

	/* Attribute values and names. */
	n = sprintf(buf, "<a v='");
	memset(buf + n, 'v', RULES_XML_MAX_STR);
	strcpy(buf + n + RULES_XML_MAX_STR, "'/>");
	d = parse(buf);
	CHECK(d != NULL);
	rules_xml_free(d);
	memset(buf + n, 'v', RULES_XML_MAX_STR + 1);
	strcpy(buf + n + RULES_XML_MAX_STR + 1, "'/>");
	CHECK_FAILS(buf, "t.xml:1: value of attribute v in <a> longer than "
	    "2047 bytes");
	n = sprintf(buf, "<a ");
	memset(buf + n, 'k', RULES_XML_MAX_STR + 1);
	strcpy(buf + n + RULES_XML_MAX_STR + 1, "='1'/>");
	CHECK_FAILS(buf, "t.xml:1: attribute name longer than 2047 bytes in "
	    "<a>");
	free(buf);
}

TEST(attribute_limit)
{
	char buf[2048];
	struct rules_xml_doc *d;
	size_t o;
	int i;

	o = (size_t)snprintf(buf, sizeof(buf), "<a");
	for (i = 0; i < RULES_XML_MAX_ATTRS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " a%d='%d'", i,
		    i);
	snprintf(buf + o, sizeof(buf) - o, "/>");
	d = parse(buf);
	CHECK(d != NULL);
	if (d != NULL) {
		CHECK_INT(rules_xml_root(d)->nattrs, RULES_XML_MAX_ATTRS);
		CHECK_STR(rules_xml_attr(rules_xml_root(d), "a63"), "63");
	}
	rules_xml_free(d);
	snprintf(buf + o, sizeof(buf) - o, " x='1'/>");
	CHECK_FAILS(buf, "t.xml:1: more than 64 attributes in <a>");
}

/* Every prefix of a valid file parses or fails cleanly; those that end
 * inside an element fail. */
TEST(truncated)
{
	const char *s =
	    "<?xml version='1.0'?>\n"
	    "<var name='V'>a|b</var>\n"
	    "<group name='g,'><!-- c -- c !>\n"
	    "  <rule id='1' level=\"2\"><match>$V</match>"
	    "<x a='1'/><p>\\<</p></rule>\n"
	    "</group>\n";
	size_t len = strlen(s), i, group_start, group_end;
	struct rules_xml_doc *d;
	char err[256];

	group_start = (size_t)(strstr(s, "<group") - s);
	group_end = (size_t)(strstr(s, "</group>") - s) + 8;
	for (i = 0; i <= len; i++) {
		err[0] = '\0';
		d = rules_xml_parse(s, i, "t.xml", err, sizeof(err));
		if (i > group_start && i < group_end)
			CHECK(d == NULL);
		if (i >= group_end)
			CHECK(d != NULL);
		if (d == NULL)
			CHECK(strncmp(err, "t.xml:", 6) == 0);
		rules_xml_free(d);
	}
}

/* Oversized input: refused by size, before a byte is read. */
TEST(file_limits)
{
	char path[] = "/tmp/test-rules-xml.XXXXXX", err[512], want[600];
	size_t big = (size_t)RULES_XML_MAX_FILE;
	struct rules_xml_doc *d;
	char *buf;
	FILE *f;
	int fd;

	if ((buf = malloc(big + 1)) == NULL)
		return;
	memset(buf, ' ', big + 1);
	memcpy(buf, "<a>1</a>", 8);
	/* Exactly the limit is fine. */
	d = rules_xml_parse(buf, big, "t.xml", err, sizeof(err));
	CHECK(d != NULL);
	CHECK_STR(top(d, 0), "1");
	rules_xml_free(d);
	CHECK(fails_with_len(buf, big + 1, "t.xml:1: file larger than 64 "
	    "MiB"));

	/* The same through rules_xml_load(). */
	fd = mkstemp(path);
	CHECK(fd != -1);
	if (fd == -1) {
		free(buf);
		return;
	}
	f = fdopen(fd, "w");
	CHECK(fwrite(buf, 1, big, f) == big);
	fflush(f);
	d = rules_xml_load(path, err, sizeof(err));
	CHECK(d != NULL);
	CHECK_STR(rules_xml_file(d), path);
	rules_xml_free(d);
	CHECK(fwrite(" ", 1, 1, f) == 1);
	fclose(f);
	d = rules_xml_load(path, err, sizeof(err));
	CHECK(d == NULL);
	snprintf(want, sizeof(want), "%s: file larger than 64 MiB", path);
	CHECK_STR(err, want);
	unlink(path);
	free(buf);

	d = rules_xml_load("/nonexistent/x.xml", err, sizeof(err));
	CHECK(d == NULL);
	CHECK_STR(err, "/nonexistent/x.xml: cannot read: No such file or "
	    "directory");
	d = rules_xml_load("/tmp", err, sizeof(err));
	CHECK(d == NULL);
	CHECK_STR(err, "/tmp: cannot read: Is a directory");
}

static int
count_named(const struct rules_xml_node *n, const char *name)
{
	int c = 0;

	for (; n != NULL; n = n->next) {
		if (strcmp(n->name, name) == 0)
			c++;
		c += count_named(n->child, name);
	}
	return c;
}

/* The first element called name, in document order, that has attr=val
 * (when attr is not NULL) and whose content holds text (when not NULL). */
static const struct rules_xml_node *
find_in(const struct rules_xml_node *n, const char *name, const char *attr,
    const char *val, const char *text)
{
	const struct rules_xml_node *r;
	const char *v;

	for (; n != NULL; n = n->next) {
		if (strcmp(n->name, name) == 0 && (attr == NULL ||
		    ((v = rules_xml_attr(n, attr)) != NULL &&
		    strcmp(v, val) == 0)) && (text == NULL ||
		    strstr(n->content, text) != NULL))
			return n;
		if ((r = find_in(n->child, name, attr, val, text)) != NULL)
			return r;
	}
	return NULL;
}

static const struct rules_xml_node *
find_named(const struct rules_xml_node *n, const char *name,
    const char *attr, const char *val)
{
	return find_in(n, name, attr, val, NULL);
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

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every decoder and rule file of OSSEC's ruleset loads, with the counts
 * its README gives, and with the contents OSSEC hands its loader. */
TEST(ossec_ruleset)
{
	char dir[1024], path[2048], err[512];
	char *names[256];
	struct rules_xml_doc *d;
	const struct rules_xml_node *n;
	struct dirent *de;
	DIR *dh;
	int nfiles = 0, nrules = 0, ndec = 0, i;
	size_t l;

	if (ruleset_dir(dir, sizeof(dir)) != 0) {
		printf("ossec_ruleset: skipped (neither MAMORI_SHARED nor "
		    "MAMORI_SRC is set)\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/decoders/decoder.xml", dir);
	d = rules_xml_load(path, err, sizeof(err));
	CHECK(d != NULL);
	if (d == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	for (n = rules_xml_root(d); n != NULL; n = n->next) {
		CHECK_STR(n->name, "decoder");
		ndec++;
	}
	CHECK_INT(ndec, 335);
	/* "\<" keeps its backslash; attributes and content as written. */
	n = find_named(rules_xml_root(d), "decoder", "name", "trend-osce");
	CHECK(n != NULL);
	if (n != NULL) {
		CHECK_STR(n->child->name, "prematch_pcre2");
		CHECK_STR(n->child->content, "^20\\d{6}\\<;>");
		CHECK_STR(rules_xml_attr(n->child->next, "offset"),
		    "after_prematch");
		CHECK_STR(n->child->next->content,
		    "^\\d+?\\<;>\\S+\\<;>(\\d+?)\\<;");
	}
	n = find_named(rules_xml_root(d), "decoder", "name", "sshd");
	CHECK(n != NULL);
	if (n != NULL) {
		CHECK_INT(n->line, 150);
		CHECK_STR(n->child->content, "^sshd");
	}
	rules_xml_free(d);

	snprintf(path, sizeof(path), "%s/rules", dir);
	CHECK((dh = opendir(path)) != NULL);
	if (dh == NULL)
		return;
	while ((de = readdir(dh)) != NULL && nfiles < 256) {
		l = strlen(de->d_name);
		if (l > 4 && strcmp(de->d_name + l - 4, ".xml") == 0)
			names[nfiles++] = strdup(de->d_name);
	}
	closedir(dh);
	qsort(names, (size_t)nfiles, sizeof(names[0]), cmp_str);
	CHECK_INT(nfiles, 87);
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/rules/%s", dir, names[i]);
		d = rules_xml_load(path, err, sizeof(err));
		CHECK(d != NULL);
		if (d == NULL) {
			fprintf(stderr, "%s\n", err);
			free(names[i]);
			continue;
		}
		for (n = rules_xml_root(d); n != NULL; n = n->next)
			CHECK(strcmp(n->name, "group") == 0 ||
			    strcmp(n->name, "var") == 0);
		nrules += count_named(rules_xml_root(d), "rule");

		/* Spot checks of variables and escapes. */
		if (strcmp(names[i], "ids_rules.xml") == 0) {
			n = find_named(rules_xml_root(d), "rule", "id",
			    "20152");
			CHECK(n != NULL);
			if (n != NULL)
				CHECK_STR(rules_xml_attr(n, "frequency"), "8");
		}
		if (strcmp(names[i], "attack_rules.xml") == 0) {
			n = find_named(rules_xml_root(d), "user_pcre2", NULL,
			    NULL);
			CHECK(n != NULL);
			if (n != NULL)
				CHECK(strncmp(n->content, "^apache$|^mysql$|",
				    17) == 0);
		}
		if (strcmp(names[i], "openbsd_rules.xml") == 0) {
			n = find_in(rules_xml_root(d), "pcre2", NULL, NULL,
			    "clock");
			CHECK(n != NULL);
			if (n != NULL)
				CHECK_STR(n->content, "RTC BIOS diagnostic "
				    "error 80\\<clock_battery\\>");
		}
		rules_xml_free(d);
		free(names[i]);
	}
	CHECK_INT(nrules, 1306);
}

int
main(void)
{
	RUN(structure);
	RUN(comments);
	RUN(no_entities);
	RUN(backslash_lt);
	RUN(whitespace);
	RUN(names);
	RUN(declaration);
	RUN(variables);
	RUN(variable_limits);
	RUN(line_numbers);
	RUN(errors);
	RUN(error_text_is_safe);
	RUN(nul_and_errbuf);
	RUN(depth_limit);
	RUN(string_limits);
	RUN(attribute_limit);
	RUN(truncated);
	RUN(file_limits);
	RUN(ossec_ruleset);
	return test_summary();
}
