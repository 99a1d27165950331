/*
 * fuzz-import.c - libFuzzer harness for reports from outside
 * (incident_import(): IODEF XML through libxml2, JSON through jansson).
 *
 * Besides what ASan and UBSan catch, it checks that a refused report
 * leaves the incident empty and names the input in its message; that an
 * accepted one obeys the import's limits (parties, lengths), that its
 * parties have the form their kind promises (an address parses, a host
 * name has host-name characters), that one-line fields hold no control
 * characters; that importing is deterministic; and that what was imported
 * exports again (IODEF, JSON, Markdown) and the IODEF comes back in with
 * the same title.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "incident/export.h"
#include "incident/incident.h"

#define FNAME	"fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n > max)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static int
is_token(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!islower((unsigned char)s[n]) &&
		    !isdigit((unsigned char)s[n]) && s[n] != '_' && s[n] != '-')
			return 0;
	return n > 0 && n <= 64;
}

static void
check_incident(const struct incident *inc)
{
	unsigned char a[16];
	size_t i, j;

	if (inc->title == NULL || inc->source == NULL ||
	    strcmp(inc->source, "report") != 0 || inc->status != INC_NEW)
		abort();
	check_line(inc->title, IMPORT_MAX_TITLE);
	if (inc->reporter != NULL)
		check_line(inc->reporter, IMPORT_MAX_TITLE);
	if (inc->category != NULL && !is_token(inc->category))
		abort();
	if ((inc->rsit_class != NULL && !is_token(inc->rsit_class)) ||
	    (inc->rsit_type != NULL && !is_token(inc->rsit_type)))
		abort();
	if (inc->impact < INC_IMPACT_INTERNAL ||
	    inc->impact > INC_IMPACT_INFRASTRUCTURE ||
	    inc->severity < INC_SEV_LOW || inc->severity > INC_SEV_CRITICAL)
		abort();
	if (inc->summary != NULL) {
		if (strlen(inc->summary) > IMPORT_MAX_TEXT + 1024)
			abort();
		for (i = 0; inc->summary[i] != '\0'; i++)
			if (((unsigned char)inc->summary[i] < 0x20 &&
			    inc->summary[i] != '\n' && inc->summary[i] != '\t') ||
			    inc->summary[i] == 0x7f)
				abort();
	}
	if (inc->last_seen_ns < inc->first_seen_ns)
		abort();
	if (inc->nparties > IMPORT_MAX_PARTIES ||
	    (inc->nparties > 0) != (inc->parties != NULL))
		abort();
	for (i = 0; i < inc->nparties; i++) {
		const struct inc_party *p = &inc->parties[i];

		if (p->value == NULL || p->value[0] == '\0' || p->internal != 0)
			abort();
		check_line(p->value, IMPORT_MAX_VALUE);
		if (isspace((unsigned char)p->value[0]) ||
		    isspace((unsigned char)p->value[strlen(p->value) - 1]))
			abort();
		if (p->kind == INC_PARTY_IP && inet_pton(AF_INET, p->value,
		    a) != 1 && inet_pton(AF_INET6, p->value, a) != 1)
			abort();
		if (p->kind == INC_PARTY_HOST)
			for (j = 0; p->value[j] != '\0'; j++)
				if (!isalnum((unsigned char)p->value[j]) &&
				    strchr(".-_", p->value[j]) == NULL)
					abort();
		for (j = 0; j < i; j++)
			if (inc->parties[j].role == p->role &&
			    inc->parties[j].kind == p->kind &&
			    strcmp(inc->parties[j].value, p->value) == 0)
				abort();
	}
	if (inc->steps != NULL || inc->evidence != NULL ||
	    inc->timeline != NULL || inc->alerts != NULL || inc->id != 0)
		abort();
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check_exports(struct incident *inc)
{
	struct export_meta m = { "Fuzz CSIRT", "csirt@example.org", "en",
	    1, NULL };
	struct incident back;
	char *out, err[256];
	size_t len;

	inc->id = 1;
	if (incident_export_json(inc, &out, &len) != 0 || strlen(out) != len)
		abort();
	free(out);
	if (incident_export_md(inc, &m, &out, &len) != 0 || strlen(out) != len)
		abort();
	free(out);
	if (incident_export_iodef(inc, &m, &out, &len) != 0 ||
	    strlen(out) != len)
		abort();
	if (incident_import(out, len, "again.xml", &back, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	/* U+FFFE and U+FFFF cannot go into XML: they come back as U+FFFD. */
	if (strstr(inc->title, "\xef\xbf\xbe") == NULL &&
	    strstr(inc->title, "\xef\xbf\xbf") == NULL &&
	    !same_str(inc->title, back.title))
		abort();
	if (!same_str(inc->category, back.category) ||
	    !same_str(inc->rsit_class, back.rsit_class) ||
	    back.severity != inc->severity || back.impact != inc->impact)
		abort();
	incident_release(&back);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct incident inc, inc2;
	char err[512], err2[512], small[8];
	int r, r2;

	memset(err, 'X', sizeof(err));
	r = incident_import((const char *)data, size, FNAME, &inc, err,
	    sizeof(err));
	r2 = incident_import((const char *)data, size, FNAME, &inc2, err2,
	    sizeof(err2));
	if (r != r2)
		abort();
	if (r != 0) {
		if (r != MAMORI_EINVAL && r != MAMORI_ENOMEM)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL ||
		    strncmp(err, FNAME ":", sizeof(FNAME)) != 0 ||
		    strcmp(err, err2) != 0)
			abort();
		check_line(err, sizeof(err));
		if (inc.title != NULL || inc.parties != NULL ||
		    inc.source != NULL || inc.summary != NULL)
			abort();
		/* A short buffer gets the message cut, and terminated. */
		if (incident_import((const char *)data, size, FNAME, &inc2,
		    small, sizeof(small)) != r ||
		    strlen(small) != sizeof(small) - 1)
			abort();
		return 0;
	}
	if (err[0] != '\0')
		abort();
	check_incident(&inc);
	if (!same_str(inc.title, inc2.title) ||
	    !same_str(inc.summary, inc2.summary) ||
	    !same_str(inc.reporter, inc2.reporter) ||
	    inc.nparties != inc2.nparties ||
	    inc.first_seen_ns != inc2.first_seen_ns)
		abort();
	incident_release(&inc2);
	check_exports(&inc);
	incident_release(&inc);
	return 0;
}
