/*
 * audit-print.c - findings as a person reads them: grouped by check,
 * severity first, the fix under it.  Everything printed that came from
 * the host (file names, program names, settings) may hold any bytes,
 * so control characters, C1 controls and bidirectional overrides are
 * shown escaped, as syslogd's vis() does, never sent to the terminal.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/error.h"
#include "host/audit.h"

static void
put_clean(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(out, "\\u%04x", p[1]);
			p++;
		} else if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa &&
		    p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 &&
		    p[2] <= 0xa9) || (p[1] == 0x80 && (p[2] == 0x8e ||
		    p[2] == 0x8f)))) {
			fprintf(out, "\\u%04x", 0x2000 | ((p[1] & 0x3f) << 6) |
			    (p[2] & 0x3f));
			p += 2;
		} else
			fputc(*p, out);
	}
}

int
audit_print_emit(void *arg, const struct host_finding *f)
{
	struct audit_printer *pr = arg;
	json_t *j, *o;
	const char *check, *sev, *text, *hint;
	char up[16];
	size_t i;

	if (pr->json) {
		if (fwrite(f->json, 1, f->len, pr->out) != f->len ||
		    fputc('\n', pr->out) == EOF)
			return MAMORI_EIO;
		return 0;
	}
	if ((j = json_loadb(f->json, f->len, 0, NULL)) == NULL)
		return MAMORI_EINVAL;
	o = json_object_get(j, pr->key);
	check = json_string_value(json_object_get(o, "check"));
	sev = json_string_value(json_object_get(o, "severity"));
	text = json_string_value(json_object_get(o, "text"));
	hint = json_string_value(json_object_get(o, "hint"));
	if (check != NULL && strcmp(check, pr->check) != 0) {
		snprintf(pr->check, sizeof(pr->check), "%s", check);
		fprintf(pr->out, "%s:\n", check);
	}
	for (i = 0; sev != NULL && sev[i] != '\0' && i < sizeof(up) - 1; i++)
		up[i] = (char)toupper((unsigned char)sev[i]);
	up[i] = '\0';
	fprintf(pr->out, "  %-8s ", up);
	put_clean(pr->out, text != NULL ? text : "");
	fputc('\n', pr->out);
	if (hint != NULL) {
		fprintf(pr->out, "  %-8s fix: ", "");
		put_clean(pr->out, hint);
		fputc('\n', pr->out);
	}
	json_decref(j);
	return ferror(pr->out) ? MAMORI_EIO : 0;
}

void
audit_print_summary(FILE *out, const struct audit_check_status *st,
    size_t n, const char *(*name)(int), size_t total,
    const size_t *by_sev)
{
	size_t i;
	int s, first = 1;

	fprintf(out, "%s%-16s %s\n", total > 0 ? "\n" : "", "CHECK",
	    "RESULT");
	for (i = 0; i < n; i++) {
		fprintf(out, "%-16s ", name((int)i));
		switch (st[i].state) {
		case AUDIT_ST_OFF:
			fprintf(out, "off");
			break;
		case AUDIT_ST_SKIPPED:
			fprintf(out, "skipped");
			break;
		case AUDIT_ST_FAILED:
			fprintf(out, "FAILED");
			break;
		default:
			if (st[i].findings == 0)
				fprintf(out, "ok");
			else
				fprintf(out, "%zu finding%s", st[i].findings,
				    st[i].findings == 1 ? "" : "s");
		}
		if (st[i].note[0] != '\0') {
			fprintf(out, ": ");
			put_clean(out, st[i].note);
		}
		fputc('\n', out);
	}
	fprintf(out, "%zu finding%s", total, total == 1 ? "" : "s");
	for (s = AUDIT_NSEV - 1; s >= 0; s--)
		if (by_sev[s] > 0) {
			fprintf(out, "%s%zu %s", first ? " (" : ", ",
			    by_sev[s], audit_sev_name(s));
			first = 0;
		}
	fprintf(out, "%s\n", first ? "" : ")");
}
