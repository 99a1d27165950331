/*
 * rules-xml.h - OSSEC's XML dialect, as decoder and rule files use it.
 *
 * Not strict XML (see rules-xml.c for the dialect): a file is a sequence
 * of top-level elements with no single root, entities are not decoded,
 * "\<" inside content is a literal '<' (the backslash is kept), comments
 * run from "<!" to "-->" or "!>".  The parser builds a tree; every node
 * knows the line it started on, for errors such as
 * "rules/sshd.xml:42: unknown element <if_sidd>".
 */
#ifndef MAMORI_RULES_XML_H
#define MAMORI_RULES_XML_H

#include <stddef.h>

/*
 * Limits.  RULES_XML_MAX_STR is OSSEC's own (os_xml's XML_MAXSIZE less its
 * terminator): an element or attribute name, an attribute value and each
 * run of text inside an element are at most that long, in OSSEC as here.
 * The others bound what untrusted input can cost.
 */
#define RULES_XML_MAX_FILE	(64 * 1024 * 1024)	/* bytes of a file */
#define RULES_XML_MAX_DEPTH	64	/* elements open at once */
#define RULES_XML_MAX_STR	2047	/* see above */
#define RULES_XML_MAX_ATTRS	64	/* attributes of one element */
#define RULES_XML_MAX_VARNAME	255	/* as os_xml_variables.c */
#define RULES_XML_MAX_EXPANDED	65536	/* a string after variables */
#define RULES_XML_MAX_GROWTH	(64 * 1024 * 1024)	/* all variables */

struct rules_xml_attr {
	const char	*name;
	const char	*value;
};

struct rules_xml_node {
	const char		*name;		/* element name */
	const char		*content;	/* text content, "" if none */
	struct rules_xml_attr	*attrs;
	size_t			 nattrs;
	struct rules_xml_node	*child;		/* first child element */
	struct rules_xml_node	*next;		/* next sibling */
	int			 line;		/* where its start tag is */
};

struct rules_xml_doc;

/*
 * Parses buf[0..len) (named fname in errors) into a new document, or
 * returns NULL with "fname:line: reason" in err.  <var name="X">v</var>
 * elements define variables (top-level in practice; os_xml accepts them at
 * any depth, and so does this); "$X" in the content and attribute values
 * of the elements after them is replaced by v, as OSSEC does (rules-xml.c
 * has the details).  The <var> elements stay in the tree, but OSSEC's
 * loaders never see them (os_xml hides elements named "var", in any case,
 * with all they contain), so a loader should skip them.  buf need not be
 * NUL-terminated and is not kept.  Caller frees with rules_xml_free().
 */
struct rules_xml_doc *rules_xml_parse(const char *buf, size_t len,
    const char *fname, char *err, size_t errlen);

/* Reads and parses the file at path; errors as rules_xml_parse(). */
struct rules_xml_doc *rules_xml_load(const char *path, char *err,
    size_t errlen);

/*
 * The first top-level element (follow ->next for the others), or NULL.
 * Every node and string of d is borrowed until rules_xml_free(d).
 */
const struct rules_xml_node *rules_xml_root(const struct rules_xml_doc *d);

/* The file name the document was parsed under (for messages). */
const char *rules_xml_file(const struct rules_xml_doc *d);

/* The value of attribute name on n (exact, case-sensitive match), or
 * NULL. */
const char *rules_xml_attr(const struct rules_xml_node *n, const char *name);

/* Frees d and every node, string and attribute in it; NULL is a no-op. */
void rules_xml_free(struct rules_xml_doc *d);

#endif
