/*
 * export.h - incidents as documents that leave mamori, and reports that
 * come in from outside.
 *
 *   export-iodef.c	IODEF v2 (RFC 7970) XML, for CSIRTs such as JPCERT/CC
 *   export-json.c	mamori's one canonical JSON form of an incident (also
 *			used by the webhook notifier and the web API)
 *   export-md.c	a Markdown report: a draft announcement for victims
 *			and the public, and an internal section
 *   import.c		IODEF v2 (or v1) XML and JSON reports from outside
 *
 * docs/exchange.md describes the formats and the field mapping.  None of
 * these functions touch the database: the caller loads the incident with
 * incident_get() and stores an imported one with incident_create().
 *
 * libxml2: the XML functions call xmlInitParser() themselves; a program
 * that may call them from several threads at once calls xmlInitParser()
 * once in main() before it starts them.
 */
#ifndef MAMORI_EXPORT_H
#define MAMORI_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "incident/incident.h"

/* Who is exporting: the organisation's CSIRT. */
struct export_meta {
	const char *org_name;	/* "Example University CSIRT", for the
				   IncidentID name and the Contact; NULL:
				   "mamori" */
	const char *org_email;	/* may be NULL */
	const char *lang;	/* xml:lang, "en" when NULL */
	int64_t	    now_ns;	/* generation time; 0: the clock now */
	const char *restriction; /* IODEF restriction of the Incident
				   (RFC 7970 restriction-type: "amber",
				   "private", "need-to-know", ...); NULL:
				   "amber" (TLP:AMBER) */
};

/*
 * The canonical JSON form of inc: id, title, category, rsit {class, type},
 * impact, severity, status, assignee, source, reporter, summary, playbook,
 * merged_into, first_seen, last_seen, created, updated (RFC 3339 UTC with
 * milliseconds, or null), alert_count, attackers and victims [{kind, value,
 * internal}], steps, evidence, timeline, alerts.  Absent strings are null;
 * every key is always there.  Bytes that are not UTF-8 become U+FFFD.
 * Returns a new reference (caller json_decref()s), or NULL when out of
 * memory.
 */
json_t *incident_json(const struct incident *inc);

/*
 * Exports write into a new malloc'd NUL-terminated buffer: *out (caller
 * frees) holding *outlen bytes.  Each returns 0, MAMORI_EINVAL (m names
 * an unknown restriction or language) or MAMORI_ENOMEM; *out is NULL on
 * error.  m may be NULL for the defaults.
 */
int incident_export_iodef(const struct incident *inc,
    const struct export_meta *m, char **out, size_t *outlen);
/* incident_json(), indented by two, with a trailing newline. */
int incident_export_json(const struct incident *inc, char **out,
    size_t *outlen);
int incident_export_md(const struct incident *inc,
    const struct export_meta *m, char **out, size_t *outlen);

/* Limits on a report from outside. */
#define IMPORT_MAX_BYTES	(4u * 1024 * 1024)	/* whole document */
#define IMPORT_MAX_NODES	100000			/* XML elements */
#define IMPORT_MAX_PARTIES	1000
#define IMPORT_MAX_TITLE	1024			/* bytes */
#define IMPORT_MAX_VALUE	255			/* a party's value */
#define IMPORT_MAX_TEXT		(64u * 1024)		/* the summary */
#define IMPORT_MAX_RECORDS	50			/* log lines kept */

/*
 * Parses a report from outside: IODEF v2 (RFC 7970) or v1 (RFC 5070) XML,
 * or JSON (mamori's own incident JSON, or the simple report form
 * {"reporter", "title", "text", "category", "attackers", "victims",
 * "first_seen", ...}), told apart by the first non-blank byte.  buf holds
 * len untrusted bytes (no NUL needed); name is used in messages
 * ("report.xml").
 *
 * Fills *inc (cleared first): source "report", status new, title,
 * reporter (NULL when the report names nobody: the caller sets it, e.g.
 * from --from), summary (the report's text, its reference, its log
 * records), first/last seen (0 when the report gives no time: the caller
 * uses now), parties (internal is always 0: the caller decides it from
 * its internal networks), rsit_class/rsit_type, impact ("external" unless
 * the report says otherwise: someone outside noticed) and severity
 * ("medium" unless the report says).  category is set only when the
 * report names a mamori category explicitly; otherwise it is NULL and the
 * caller maps rsit_class/rsit_type through the taxonomy
 * (taxonomy_from_rsit()), falling back to a category of its choice.  The
 * category is checked for its form only, not against the taxonomy.
 *
 * Returns 0; MAMORI_EINVAL with "name:line: reason" (XML) or "name: reason"
 * (JSON, with the line where the parser has one) in err; or
 * MAMORI_ENOMEM.  On error *inc is left cleared.  The caller frees with
 * incident_release().
 */
int incident_import(const char *buf, size_t len, const char *name,
    struct incident *inc, char *err, size_t errlen);

/*
 * The same defaults for a report a person types in (`mamori incident
 * report --from CONTACT --text TEXT`): reporter and summary are copies of
 * the arguments, the title is the text's first line (cut at 120 bytes,
 * on a character boundary).  Returns 0, MAMORI_EINVAL (empty text; err
 * says why) or MAMORI_ENOMEM.  The caller frees with incident_release().
 */
int incident_import_text(const char *reporter, const char *text,
    struct incident *inc, char *err, size_t errlen);

/*
 * Text for a document: a new string (caller frees; NULL when out of
 * memory) copied from s, with every byte sequence that is not UTF-8
 * (overlong forms, surrogates, beyond U+10FFFF, truncated) replaced by
 * U+FFFD, and what flags ask for:
 *   EXPORT_SAN_CTRL	C0 controls other than TAB, LF, CR, and DEL, become
 *			their Control Pictures (U+2400 + c, U+2421);
 *			U+FFFE and U+FFFF become U+FFFD (XML 1.0 has none
 *			of these characters)
 *   EXPORT_SAN_LINE	TAB, LF and CR become spaces (one-line contexts)
 *   EXPORT_SAN_BIDI	bidirectional overrides and isolates (U+202A..E,
 *			U+2066..9) become U+FFFD, so a text cannot hide what
 *			it says from a reader
 */
#define EXPORT_SAN_CTRL		0x01
#define EXPORT_SAN_LINE		0x02
#define EXPORT_SAN_BIDI		0x04
char *export_sanitize(const char *s, unsigned flags);

#endif
