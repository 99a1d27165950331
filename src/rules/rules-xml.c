/*
 * rules-xml.c - a parser for OSSEC's XML dialect, the one decoder and rule
 * files are written in.
 *
 * There is no RFC for it: the dialect is whatever OSSEC's os_xml library
 * accepts (ossec-hids src/os_xml/os_xml.c and os_xml_variables.c; Wazuh's
 * copy behaves the same), and it is not XML.  What this file reproduces:
 *
 *  - A file is a sequence of top-level elements.  Text between top-level
 *    elements is ignored, whatever it is (os_xml skips it unread).  An
 *    "<?xml ... ?>" declaration may come before the first element; it ends
 *    at a '>' whose last non-space predecessor is '?'.
 *  - A comment runs from "<!" to the first "!>" or "-->" after it, so
 *    "--" may appear inside, and "<!DOCTYPE x>" does not end at its '>'.
 *    Comments are recognised everywhere outside tags, even right after a
 *    backslash, and do not count as text.
 *  - No entities: '&' is an ordinary byte.  In text, a '<' right after a
 *    backslash is an ordinary byte too, and the backslash stays in the
 *    content ("80\<clock\>" is the content, as PCRE2 must see it).  So
 *    content cannot end in a backslash: "<a>C:\</a>" leaves <a> open.
 *    Attribute values know no escapes; they cannot hold their quote.
 *  - Content is the text exactly as written: leading and trailing spaces
 *    and newlines are kept.  Text mixed with child elements keeps only the
 *    part after the last child (os_xml restarts its buffer at each child).
 *  - An element name runs from '<' to the first space, '>' or "/>".
 *    Attribute values are quoted with ' or ", may hold newlines but not
 *    '>', and may be separated from '=' by spaces; the name may not.  An
 *    attribute given twice (same name, same case) is an error.  A closing
 *    tag must repeat the name exactly, with nothing else: "</rule >" does
 *    not close <rule>.
 *  - Names, values and each run of text are at most RULES_XML_MAX_STR
 *    (2047) bytes, os_xml's XML_MAXSIZE less its terminator.
 *  - Variables (os_xml_variables.c, OS_ApplyVariables()): an element named
 *    "var" (any case, at any depth) whose first attribute is name= defines
 *    a variable holding its content.  Walking the elements in the order
 *    their start tags appear, "$NAME" in the content and attribute values
 *    of the elements after a definition is replaced by the value.  A name
 *    ends at '$', '.', '|', ',', ' ' or the end of the string (nothing
 *    else: "$A)" names "A)"); names compare without case, the first
 *    definition wins, and values are not expanded again.  An unknown name
 *    is an error, but an empty one ("^foo$", "a$|b") keeps its '$'.  Two
 *    quirks are kept because they decide what the rule loader sees:
 *    strings of one or two bytes are never expanded, and nothing at all is
 *    expanded before the first definition (so "$X" stays "$X" there).
 *
 * Where os_xml is merely broken it is not copied: line numbers are right
 * (os_xml counts some newlines in comments twice), "<b />" does not leave
 * a stray ">" in its parent's text, NUL bytes are refused rather than
 * silently cutting strings, and empty names, '<' inside tags and a '/' not
 * followed by '>' are errors.
 *
 * The workload is a few hundred files of up to a few hundred KB, parsed at
 * start-up and on reload, but the input is untrusted: every step is linear
 * in the input, nesting is capped at RULES_XML_MAX_DEPTH without recursion,
 * attributes per element at RULES_XML_MAX_ATTRS (the duplicate check is
 * quadratic in them), and what variables can expand to is bounded.  All
 * memory of a document comes from one arena freed by rules_xml_free().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fileutil.h"
#include "rules/rules-xml.h"

#define CHUNK_SIZE	(64 * 1024)	/* arena block; big asks get one each */
#define SHOW_MAX	48		/* bytes of a name shown in a message */
#define VAR_TERMS	"$.|, "		/* what ends a variable name */

/* One block of the document's arena. */
struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	max_align_t	 data[];
};

struct rules_xml_doc {
	struct chunk		*chunks;	/* head has the free space */
	struct rules_xml_node	*root;
	const char		*file;
};

/* An element whose end tag has not been seen yet. */
struct frame {
	struct rules_xml_node	*node;
	struct rules_xml_node	*last;		/* last child, for appending */
	size_t			 nlen;		/* strlen(node->name) */
};

/* An attribute of the start tag being read, still in the input. */
struct pattr {
	const char	*name, *val;
	size_t		 nlen, vlen;
};

/* A variable: a slot of an open-addressing table keyed without case. */
struct var {
	const char	*name;		/* NULL: free slot */
	const char	*value;
	size_t		 vlen;
};

struct parser {
	const char		*buf;
	size_t			 len, pos;
	int			 line;		/* of buf[pos] */
	const char		*fname;
	char			*err;
	size_t			 errlen;
	struct rules_xml_doc	*doc;
	struct rules_xml_node	*top_last;	/* last top-level element */
	int			 seen_element;	/* or a declaration */
	struct frame		 stack[RULES_XML_MAX_DEPTH];
	int			 depth;
	char			 text[RULES_XML_MAX_STR];	/* this run */
	size_t			 ntext;
	struct pattr		 attrs[RULES_XML_MAX_ATTRS];
	size_t			 nattrs;
	struct var		*vars;
	size_t			 nvars, varcap;	/* varcap: 0 or a power of 2 */
	size_t			 grown;		/* bytes added by variables */
	char			 showbuf[3][SHOW_MAX + 16];
	unsigned		 nshow;
};

static int
is_space(unsigned char c)
{
	/* isspace() in the C locale, which os_xml runs in. */
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static void *
doc_alloc(struct rules_xml_doc *d, size_t size, size_t align)
{
	struct chunk *c = d->chunks;
	size_t off = 0, cap;
	int big = size > CHUNK_SIZE / 4;
	void *ret;

	if (size > SIZE_MAX / 4)
		return NULL;
	if (c != NULL)
		off = (c->used + align - 1) & ~(align - 1);
	if (c == NULL || off > c->cap || c->cap - off < size) {
		cap = big ? size : CHUNK_SIZE;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		off = 0;
		if (big && d->chunks != NULL) {
			/* Keep the head chunk, and its free space, in front. */
			c->next = d->chunks->next;
			d->chunks->next = c;
		} else {
			c->next = d->chunks;
			d->chunks = c;
		}
	}
	ret = (char *)c->data + off;
	c->used = off + size;
	return ret;
}

static char *
doc_strndup(struct rules_xml_doc *d, const char *s, size_t n)
{
	char *p;

	if ((p = doc_alloc(d, n + 1, 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int
fail(struct parser *x, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct parser *x, int line, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->err != NULL && x->errlen > 0)
		snprintf(x->err, x->errlen, "%s:%d: %s", x->fname, line, msg);
	return MAMORI_EINVAL;
}

static int
nomem(struct parser *x)
{
	if (x->err != NULL && x->errlen > 0)
		snprintf(x->err, x->errlen, "%s: out of memory", x->fname);
	return MAMORI_ENOMEM;
}

/*
 * s[0..n) made fit for a message: cut at SHOW_MAX bytes, control and
 * non-ASCII bytes as \xNN.  Three calls may be live at once.
 */
static const char *
show(struct parser *x, const char *s, size_t n)
{
	char *out = x->showbuf[x->nshow++ % 3];
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n && o < SHOW_MAX; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static const char *
show_str(struct parser *x, const char *s)
{
	return show(x, s, strlen(s));
}

static void
count_lines(struct parser *x, size_t from, size_t to)
{
	const char *p = x->buf + from, *end = x->buf + to;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		x->line++;
		p++;
	}
}

static void
skip_spaces(struct parser *x)
{
	while (x->pos < x->len && is_space((unsigned char)x->buf[x->pos])) {
		if (x->buf[x->pos] == '\n')
			x->line++;
		x->pos++;
	}
}

/* At "<!": skips to the first "!>" or "-->" after it. */
static int
skip_comment(struct parser *x)
{
	size_t body = x->pos + 2, i = body;
	const char *gt;

	while (i < x->len &&
	    (gt = memchr(x->buf + i, '>', x->len - i)) != NULL) {
		i = (size_t)(gt - x->buf);
		if ((i >= body + 1 && x->buf[i - 1] == '!') ||
		    (i >= body + 2 && x->buf[i - 1] == '-' &&
		    x->buf[i - 2] == '-')) {
			count_lines(x, x->pos, i);
			x->pos = i + 1;
			return 0;
		}
		i++;
	}
	return fail(x, x->line, "comment not closed (it ends at \"-->\" or "
	    "\"!>\")");
}

/* At "<?": the XML declaration, allowed before the first element only. */
static int
parse_decl(struct parser *x)
{
	int line = x->line;
	unsigned char c, last = 0;

	if (x->seen_element || x->depth > 0)
		return fail(x, line, "\"<?\" after the first element (only an "
		    "XML declaration at the start may use it)");
	x->pos += 2;
	skip_spaces(x);
	if (x->len - x->pos < 3 || memcmp(x->buf + x->pos, "xml", 3) != 0)
		return fail(x, line, "\"<?\" does not begin an XML declaration "
		    "\"<?xml ... ?>\"");
	for (x->pos += 3; x->pos < x->len; x->pos++) {
		c = (unsigned char)x->buf[x->pos];
		if (c == '\n')
			x->line++;
		if (c == '>' && last == '?') {
			x->pos++;
			x->seen_element = 1;
			return 0;
		}
		if (!is_space(c))
			last = c;
	}
	return fail(x, line, "XML declaration not closed (it ends at \"?>\")");
}

/* Appends one byte of text to the run of the innermost open element. */
static int
text_byte(struct parser *x, char c)
{
	struct frame *f;

	if (x->depth > 0) {
		if (x->ntext == sizeof(x->text)) {
			f = &x->stack[x->depth - 1];
			return fail(x, x->line, "text inside <%s> longer than "
			    "%d bytes (OSSEC's limit)",
			    show(x, f->node->name, f->nlen), RULES_XML_MAX_STR);
		}
		x->text[x->ntext++] = c;
	}
	/* Between top-level elements text is skipped, as os_xml does. */
	x->pos++;
	if (c == '\n')
		x->line++;
	return 0;
}

/* One name="value" of a start tag; x->pos is at its first byte. */
static int
parse_attr(struct parser *x, const char *elem, size_t elen)
{
	struct pattr *a;
	size_t ns = x->pos, i;
	int line = x->line;
	char q, c = '\0';

	while (x->pos < x->len) {
		c = x->buf[x->pos];
		if (c == '=' || c == '>' || c == '/' || c == '<' ||
		    is_space((unsigned char)c))
			break;
		x->pos++;
	}
	if (x->pos == x->len)
		return fail(x, line, "end of file inside tag <%s>",
		    show(x, elem, elen));
	if (c == '<')
		return fail(x, x->line, "'<' inside tag <%s>",
		    show(x, elem, elen));
	if (x->pos == ns)
		return fail(x, line, "attribute without a name in <%s>",
		    show(x, elem, elen));
	if (x->pos - ns > RULES_XML_MAX_STR)
		return fail(x, line, "attribute name longer than %d bytes in "
		    "<%s>", RULES_XML_MAX_STR, show(x, elem, elen));
	if (c != '=')
		return fail(x, line, "attribute %s in <%s> has no value (write "
		    "%s=\"...\")", show(x, x->buf + ns, x->pos - ns),
		    show(x, elem, elen), show(x, x->buf + ns, x->pos - ns));
	for (i = 0; i < x->nattrs; i++)
		if (x->attrs[i].nlen == x->pos - ns &&
		    memcmp(x->attrs[i].name, x->buf + ns, x->pos - ns) == 0)
			return fail(x, line, "attribute %s given twice in <%s>",
			    show(x, x->buf + ns, x->pos - ns),
			    show(x, elem, elen));
	if (x->nattrs == RULES_XML_MAX_ATTRS)
		return fail(x, line, "more than %d attributes in <%s>",
		    RULES_XML_MAX_ATTRS, show(x, elem, elen));
	a = &x->attrs[x->nattrs];
	a->name = x->buf + ns;
	a->nlen = x->pos - ns;

	x->pos++;	/* '=' */
	skip_spaces(x);
	if (x->pos == x->len)
		return fail(x, line, "end of file inside tag <%s>",
		    show(x, elem, elen));
	q = x->buf[x->pos];
	if (q != '"' && q != '\'')
		return fail(x, x->line, "value of attribute %s in <%s> not "
		    "quoted", show(x, a->name, a->nlen), show(x, elem, elen));
	line = x->line;
	a->val = x->buf + ++x->pos;
	for (;;) {
		if (x->pos == x->len)
			return fail(x, line, "end of file inside the value of "
			    "attribute %s in <%s>", show(x, a->name, a->nlen),
			    show(x, elem, elen));
		c = x->buf[x->pos];
		if (c == q)
			break;
		if (c == '>')
			return fail(x, x->line, "'>' inside the value of "
			    "attribute %s in <%s> (closing quote missing?)",
			    show(x, a->name, a->nlen), show(x, elem, elen));
		if (c == '\n')
			x->line++;
		x->pos++;
	}
	a->vlen = (size_t)(x->buf + x->pos - a->val);
	if (a->vlen > RULES_XML_MAX_STR)
		return fail(x, line, "value of attribute %s in <%s> longer "
		    "than %d bytes", show(x, a->name, a->nlen),
		    show(x, elem, elen), RULES_XML_MAX_STR);
	x->pos++;	/* closing quote */
	if (x->pos < x->len && (c = x->buf[x->pos]) != '>' && c != '/' &&
	    !is_space((unsigned char)c))
		return fail(x, x->line, "attribute %s in <%s> not followed by "
		    "a space, '>' or \"/>\"", show(x, a->name, a->nlen),
		    show(x, elem, elen));
	x->nattrs++;
	return 0;
}

/* Builds the node of a start tag read into x and links it in. */
static int
add_node(struct parser *x, const char *name, size_t nlen, int line,
    int empty)
{
	struct rules_xml_doc *d = x->doc;
	struct rules_xml_node *n;
	struct frame *f;
	size_t i;

	if ((n = doc_alloc(d, sizeof(*n), _Alignof(struct rules_xml_node))) ==
	    NULL || (n->name = doc_strndup(d, name, nlen)) == NULL)
		return nomem(x);
	n->content = "";
	n->attrs = NULL;
	n->nattrs = x->nattrs;
	n->child = n->next = NULL;
	n->line = line;
	if (x->nattrs > 0) {
		if ((n->attrs = doc_alloc(d, x->nattrs * sizeof(*n->attrs),
		    _Alignof(struct rules_xml_attr))) == NULL)
			return nomem(x);
		for (i = 0; i < x->nattrs; i++) {
			n->attrs[i].name = doc_strndup(d, x->attrs[i].name,
			    x->attrs[i].nlen);
			n->attrs[i].value = doc_strndup(d, x->attrs[i].val,
			    x->attrs[i].vlen);
			if (n->attrs[i].name == NULL ||
			    n->attrs[i].value == NULL)
				return nomem(x);
		}
	}

	if (x->depth == 0) {
		if (x->top_last == NULL)
			d->root = n;
		else
			x->top_last->next = n;
		x->top_last = n;
	} else {
		f = &x->stack[x->depth - 1];
		if (f->last == NULL)
			f->node->child = n;
		else
			f->last->next = n;
		f->last = n;
	}
	/* os_xml keeps only the text after an element's last child. */
	x->ntext = 0;
	x->seen_element = 1;
	if (!empty) {
		f = &x->stack[x->depth++];
		f->node = n;
		f->last = NULL;
		f->nlen = nlen;
	}
	return 0;
}

/* At '<' of a start tag. */
static int
parse_open(struct parser *x)
{
	const char *name;
	size_t nlen;
	int line = x->line, empty = 0, r;
	char c = '\0';

	name = x->buf + ++x->pos;
	while (x->pos < x->len) {
		c = x->buf[x->pos];
		if (c == '>' || c == '/' || c == '<' ||
		    is_space((unsigned char)c))
			break;
		x->pos++;
	}
	nlen = (size_t)(x->buf + x->pos - name);
	if (x->pos == x->len)
		return fail(x, line, "end of file inside tag <%s",
		    show(x, name, nlen));
	if (c == '<')
		return fail(x, line, "'<' inside tag <%s",
		    show(x, name, nlen));
	if (nlen == 0)
		return fail(x, line, "'<' not followed by an element name "
		    "(write \"\\<\" for a literal '<')");
	if (nlen > RULES_XML_MAX_STR)
		return fail(x, line, "element name longer than %d bytes",
		    RULES_XML_MAX_STR);
	if (x->depth >= RULES_XML_MAX_DEPTH)
		return fail(x, line, "elements nested more than %d deep",
		    RULES_XML_MAX_DEPTH);

	x->nattrs = 0;
	for (;;) {
		skip_spaces(x);
		if (x->pos == x->len)
			return fail(x, line, "end of file inside tag <%s>",
			    show(x, name, nlen));
		c = x->buf[x->pos];
		if (c == '>') {
			x->pos++;
			break;
		}
		if (c == '/') {
			if (x->pos + 1 < x->len && x->buf[x->pos + 1] == '>') {
				x->pos += 2;
				empty = 1;
				break;
			}
			return fail(x, x->line, "'/' not followed by '>' in "
			    "tag <%s>", show(x, name, nlen));
		}
		if ((r = parse_attr(x, name, nlen)) != 0)
			return r;
	}
	return add_node(x, name, nlen, line, empty);
}

/* At "</". */
static int
parse_close(struct parser *x)
{
	struct frame *f;
	const char *name, *gt;
	size_t nlen;
	int line = x->line;

	name = x->buf + x->pos + 2;
	gt = memchr(name, '>', (size_t)(x->buf + x->len - name));
	nlen = gt != NULL ? (size_t)(gt - name) :
	    (size_t)(x->buf + x->len - name);
	if (x->depth == 0)
		return fail(x, line, "unexpected </%s>: no element is open",
		    show(x, name, nlen));
	f = &x->stack[x->depth - 1];
	if (gt == NULL)
		return fail(x, f->node->line, "element <%s> not closed at end "
		    "of file", show(x, f->node->name, f->nlen));
	if (nlen != f->nlen || memcmp(name, f->node->name, nlen) != 0)
		return fail(x, line, "unexpected </%s>: <%s> from line %d is "
		    "still open", show(x, name, nlen),
		    show(x, f->node->name, f->nlen), f->node->line);
	if (x->ntext > 0 && (f->node->content = doc_strndup(x->doc, x->text,
	    x->ntext)) == NULL)
		return nomem(x);
	x->ntext = 0;
	x->depth--;
	x->pos = (size_t)(gt + 1 - x->buf);
	return 0;
}

static int
parse_tree(struct parser *x)
{
	struct frame *f;
	char c, next;
	int esc = 0, r;

	while (x->pos < x->len) {
		c = x->buf[x->pos];
		if (c != '<') {
			esc = c == '\\';
			if ((r = text_byte(x, c)) != 0)
				return r;
			continue;
		}
		next = x->pos + 1 < x->len ? x->buf[x->pos + 1] : '\0';
		if (next == '!') {
			/* Comments are transparent, even to a backslash. */
			if ((r = skip_comment(x)) != 0)
				return r;
			continue;
		}
		if (esc) {
			esc = 0;
			if ((r = text_byte(x, c)) != 0)
				return r;
			continue;
		}
		if (next == '/')
			r = parse_close(x);
		else if (next == '?')
			r = parse_decl(x);
		else
			r = parse_open(x);
		if (r != 0)
			return r;
	}
	if (x->depth > 0) {
		f = &x->stack[x->depth - 1];
		return fail(x, f->node->line, "element <%s> not closed at end "
		    "of file", show(x, f->node->name, f->nlen));
	}
	return 0;
}

/* Variables */

static uint64_t
var_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	unsigned char c;

	while (n-- > 0) {
		c = (unsigned char)*s++;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

/* The slot of name[0..n) (strcasecmp() equality), free if it is unset. */
static struct var *
var_slot(struct parser *x, const char *name, size_t n)
{
	size_t i = (size_t)var_hash(name, n) & (x->varcap - 1);
	struct var *v;

	for (;; i = (i + 1) & (x->varcap - 1)) {
		v = &x->vars[i];
		if (v->name == NULL || (strlen(v->name) == n &&
		    strncasecmp(v->name, name, n) == 0))
			return v;
	}
}

static const struct var *
var_find(struct parser *x, const char *name, size_t n)
{
	const struct var *v;

	if (x->nvars == 0)
		return NULL;
	v = var_slot(x, name, n);
	return v->name != NULL ? v : NULL;
}

/* A <var> element: checks it and defines its variable, unless defined. */
static int
var_define(struct parser *x, const struct rules_xml_node *n)
{
	struct var *old, *v;
	size_t i, cap, oldcap, nlen;
	const char *name;

	if (n->nattrs == 0)
		return fail(x, n->line, "<%s> without a name attribute",
		    show_str(x, n->name));
	if (strcasecmp(n->attrs[0].name, "name") != 0)
		return fail(x, n->line, "<%s> takes the attribute name=, not "
		    "%s=", show_str(x, n->name), show_str(x, n->attrs[0].name));
	name = n->attrs[0].value;
	if ((nlen = strlen(name)) > RULES_XML_MAX_VARNAME)
		return fail(x, n->line, "variable name longer than %d bytes",
		    RULES_XML_MAX_VARNAME);

	if (2 * (x->nvars + 1) > x->varcap) {
		oldcap = x->varcap;
		cap = oldcap == 0 ? 16 : 2 * oldcap;
		old = x->vars;
		if ((x->vars = calloc(cap, sizeof(*x->vars))) == NULL) {
			x->vars = old;
			return nomem(x);
		}
		x->varcap = cap;
		for (i = 0; i < oldcap; i++)
			if (old[i].name != NULL)
				*var_slot(x, old[i].name,
				    strlen(old[i].name)) = old[i];
		free(old);
	}
	v = var_slot(x, name, nlen);
	if (v->name != NULL)
		return 0;	/* OSSEC looks them up in order: first wins */
	v->name = name;
	v->value = n->content;
	v->vlen = strlen(n->content);
	x->nvars++;
	return 0;
}

/*
 * Expands the variables in *sp (a string of the element elem).  The first
 * pass checks and measures, the second writes the result into the arena.
 */
static int
var_expand(struct parser *x, const char **sp, const struct rules_xml_node *elem)
{
	const char *s = *sp, *name;
	const struct var *v;
	size_t n = strlen(s), i, out = 0, nlen;
	int pass, changed = 0;
	char *res = NULL;

	if (n <= 2 || memchr(s, '$', n) == NULL)
		return 0;	/* os_xml skips strings of up to 2 bytes */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0, out = 0; i < n; ) {
			if (s[i] != '$') {
				if (res != NULL)
					res[out] = s[i];
				out++;
				i++;
				continue;
			}
			name = s + i + 1;
			/* "$(field)" is Wazuh's field reference in a
			 * description, never a variable: kept as it is
			 * (OSSEC's os_xml would call it unknown). */
			if (*name == '(') {
				if (res != NULL)
					res[out] = '$';
				out++;
				i++;
				continue;
			}
			nlen = strcspn(name, VAR_TERMS);
			if (nlen > RULES_XML_MAX_VARNAME)
				return fail(x, elem->line, "variable name "
				    "longer than %d bytes in <%s>",
				    RULES_XML_MAX_VARNAME,
				    show_str(x, elem->name));
			if ((v = var_find(x, name, nlen)) == NULL) {
				if (nlen > 0)
					return fail(x, elem->line, "unknown "
					    "variable $%s in <%s>",
					    show(x, name, nlen),
					    show_str(x, elem->name));
				/* A lone '$' stays. */
				if (res != NULL)
					res[out] = '$';
				out++;
			} else {
				if (res != NULL)
					memcpy(res + out, v->value, v->vlen);
				out += v->vlen;
				changed = 1;
			}
			i += 1 + nlen;	/* the terminator is read again */
		}
		if (!changed)
			return 0;
		if (out > RULES_XML_MAX_EXPANDED)
			return fail(x, elem->line, "variables make a string "
			    "of <%s> longer than %d bytes",
			    show_str(x, elem->name), RULES_XML_MAX_EXPANDED);
		if (pass == 0) {
			if (out > n && (x->grown += out - n) >
			    RULES_XML_MAX_GROWTH)
				return fail(x, elem->line, "variables expand "
				    "to more than %d MiB in all",
				    RULES_XML_MAX_GROWTH / (1024 * 1024));
			if ((res = doc_alloc(x->doc, out + 1, 1)) == NULL)
				return nomem(x);
		}
	}
	res[out] = '\0';
	*sp = res;
	return 0;
}

/*
 * Applies the variables in the order of the start tags (element, its
 * attributes, its children, its next sibling), as OS_ApplyVariables() goes
 * through os_xml's node array.  A <var> itself is left as written.
 */
static int
apply_variables(struct parser *x)
{
	struct rules_xml_node *stack[RULES_XML_MAX_DEPTH];
	struct rules_xml_node *n = x->doc->root;
	int depth = 0, r;
	size_t i;

	while (n != NULL) {
		if (strcasecmp(n->name, "var") == 0) {
			if ((r = var_define(x, n)) != 0)
				return r;
		} else if (x->nvars > 0) {
			if ((r = var_expand(x, &n->content, n)) != 0)
				return r;
			for (i = 0; i < n->nattrs; i++)
				if ((r = var_expand(x, &n->attrs[i].value,
				    n)) != 0)
					return r;
		}
		if (n->child != NULL) {
			stack[depth++] = n;
			n = n->child;
			continue;
		}
		while (n->next == NULL && depth > 0)
			n = stack[--depth];
		n = n->next;
	}
	return 0;
}

struct rules_xml_doc *
rules_xml_parse(const char *buf, size_t len, const char *fname, char *err,
    size_t errlen)
{
	struct parser *x;
	struct rules_xml_doc *d;
	const char *nul;
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (fname == NULL)
		fname = "(input)";
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (d = calloc(1, sizeof(*d))) == NULL) {
		free(x);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", fname);
		return NULL;
	}
	x->buf = buf;
	x->len = len;
	x->line = 1;
	x->fname = fname;
	x->err = err;
	x->errlen = errlen;
	x->doc = d;

	if (len > RULES_XML_MAX_FILE)
		r = fail(x, 1, "file larger than %d MiB",
		    RULES_XML_MAX_FILE / (1024 * 1024));
	else if (len > 0 && (nul = memchr(buf, '\0', len)) != NULL) {
		count_lines(x, 0, (size_t)(nul - buf));
		r = fail(x, x->line, "NUL byte (not a text file?)");
	} else if ((d->file = doc_strndup(d, fname, strlen(fname))) == NULL)
		r = nomem(x);
	else if ((r = parse_tree(x)) == 0)
		r = apply_variables(x);
	free(x->vars);
	free(x);
	if (r != 0) {
		rules_xml_free(d);
		return NULL;
	}
	return d;
}

struct rules_xml_doc *
rules_xml_load(const char *path, char *err, size_t errlen)
{
	struct rules_xml_doc *d;
	char *buf;
	size_t len;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = file_read_all(path, RULES_XML_MAX_FILE, &buf,
	    &len)) != 0) {
		if (err == NULL || errlen == 0)
			return NULL;
		if (rc == MAMORI_ETOOBIG)
			snprintf(err, errlen, "%s: file larger than %d MiB",
			    path, RULES_XML_MAX_FILE / (1024 * 1024));
		else if (rc == MAMORI_ENOMEM)
			snprintf(err, errlen, "%s: out of memory", path);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
		return NULL;
	}
	d = rules_xml_parse(buf, len, path, err, errlen);
	free(buf);
	return d;
}

const struct rules_xml_node *
rules_xml_root(const struct rules_xml_doc *d)
{
	return d != NULL ? d->root : NULL;
}

const char *
rules_xml_file(const struct rules_xml_doc *d)
{
	return d != NULL ? d->file : NULL;
}

const char *
rules_xml_attr(const struct rules_xml_node *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return n->attrs[i].value;
	return NULL;
}

void
rules_xml_free(struct rules_xml_doc *d)
{
	struct chunk *c, *next;

	if (d == NULL)
		return;
	for (c = d->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(d);
}
