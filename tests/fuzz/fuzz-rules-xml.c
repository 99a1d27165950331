/*
 * fuzz-rules-xml.c - libFuzzer harness for the parser of OSSEC's XML
 * dialect (rules_xml_parse()).
 *
 * The input is a whole decoder or rule file.  Besides what ASan and UBSan
 * catch, it checks that a document obeys the parser's limits (names,
 * values and runs of text, attributes per element, depth), that lines
 * exist in the input and never go backwards in document order, that
 * attribute names are unique and found by rules_xml_attr(), that without
 * comments and variables every string is a piece of the input, that an
 * error names the file and a line of it, and that parsing is
 * deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/rules-xml.h"

#define FNAME	"fuzz.xml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const char	*in;
	size_t		 len;
	int		 lines;		/* in the input */
	int		 verbatim;	/* strings must occur in the input */
	int		 last_line;
};

static int
is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
occurs(const struct check *c, const char *s)
{
	return memmem(c->in, c->len, s, strlen(s)) != NULL;
}

static void
check_name(const char *s, int is_attr)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > RULES_XML_MAX_STR)
		abort();
	for (i = 0; i < n; i++)
		if (is_space((unsigned char)s[i]) || s[i] == '>' ||
		    s[i] == '<' || s[i] == '/' || (is_attr && s[i] == '='))
			abort();
}

static void
check_nodes(struct check *c, const struct rules_xml_node *n, int depth)
{
	size_t i, j;

	if (depth > RULES_XML_MAX_DEPTH)
		abort();
	for (; n != NULL; n = n->next) {
		check_name(n->name, 0);
		if (n->content == NULL)
			abort();
		if (n->line < 1 || n->line > c->lines ||
		    n->line < c->last_line)
			abort();
		c->last_line = n->line;
		if (strlen(n->content) > RULES_XML_MAX_EXPANDED)
			abort();
		if (c->verbatim && (strlen(n->content) > RULES_XML_MAX_STR ||
		    !occurs(c, n->content)))
			abort();
		if (n->nattrs > RULES_XML_MAX_ATTRS ||
		    (n->nattrs > 0) != (n->attrs != NULL))
			abort();
		for (i = 0; i < n->nattrs; i++) {
			check_name(n->attrs[i].name, 1);
			if (n->attrs[i].value == NULL ||
			    strlen(n->attrs[i].value) > RULES_XML_MAX_EXPANDED)
				abort();
			if (c->verbatim &&
			    (strlen(n->attrs[i].value) > RULES_XML_MAX_STR ||
			    !occurs(c, n->attrs[i].value)))
				abort();
			if (strchr(n->attrs[i].value, '>') != NULL &&
			    c->verbatim)
				abort();
			for (j = 0; j < i; j++)
				if (strcmp(n->attrs[i].name,
				    n->attrs[j].name) == 0)
					abort();
			if (rules_xml_attr(n, n->attrs[i].name) !=
			    n->attrs[i].value)
				abort();
		}
		/* A <var> passed its checks. */
		if (strcasecmp(n->name, "var") == 0 && (n->nattrs == 0 ||
		    strcasecmp(n->attrs[0].name, "name") != 0 ||
		    strlen(n->attrs[0].value) > RULES_XML_MAX_VARNAME))
			abort();
		check_nodes(c, n->child, depth + 1);
	}
}

static int
same_nodes(const struct rules_xml_node *a, const struct rules_xml_node *b)
{
	size_t i;

	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (strcmp(a->name, b->name) != 0 ||
		    strcmp(a->content, b->content) != 0 ||
		    a->line != b->line || a->nattrs != b->nattrs)
			return 0;
		for (i = 0; i < a->nattrs; i++)
			if (strcmp(a->attrs[i].name, b->attrs[i].name) != 0 ||
			    strcmp(a->attrs[i].value, b->attrs[i].value) != 0)
				return 0;
		if (!same_nodes(a->child, b->child))
			return 0;
	}
	return a == NULL && b == NULL;
}

static void
check_error(const struct check *c, const char *err, size_t errlen)
{
	const char *p;
	char *end;
	long line;

	if (memchr(err, '\0', errlen) == NULL)
		abort();
	if (strncmp(err, FNAME ":", sizeof(FNAME)) != 0)
		abort();
	p = err + sizeof(FNAME);
	if (strcmp(p, " out of memory") == 0)
		return;
	line = strtol(p, &end, 10);
	if (end == p || *end != ':' || line < 1 || line > c->lines ||
	    end[1] != ' ' || end[2] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_xml_doc *d, *d2;
	struct check c;
	char err[512], err2[512], small[12];
	size_t i;

	memset(&c, 0, sizeof(c));
	c.in = (const char *)data;
	c.len = size;
	c.lines = 1;
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			c.lines++;
	c.verbatim = memmem(data, size, "<!", 2) == NULL &&
	    memchr(data, '$', size) == NULL;

	memset(err, 'X', sizeof(err));
	d = rules_xml_parse(c.in, size, FNAME, err, sizeof(err));
	d2 = rules_xml_parse(c.in, size, FNAME, err2, sizeof(err2));
	if ((d == NULL) != (d2 == NULL))
		abort();
	if (d == NULL) {
		check_error(&c, err, sizeof(err));
		if (strcmp(err, err2) != 0)
			abort();
		/* A short buffer gets the message cut, and terminated. */
		if (rules_xml_parse(c.in, size, FNAME, small, sizeof(small)) !=
		    NULL || strlen(small) != sizeof(small) - 1 ||
		    strncmp(small, err, sizeof(small) - 1) != 0)
			abort();
		return 0;
	}
	if (err[0] != '\0' || strcmp(rules_xml_file(d), FNAME) != 0)
		abort();
	check_nodes(&c, rules_xml_root(d), 1);
	if (!same_nodes(rules_xml_root(d), rules_xml_root(d2)))
		abort();
	rules_xml_free(d);
	rules_xml_free(d2);
	return 0;
}
