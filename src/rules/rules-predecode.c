/*
 * rules-predecode.c - phase 1: the header of a log line, as OSSEC's
 * analysisd reads it (OS_CleanMSG), before any decoder runs.
 *
 * OSSEC does not parse a header: it recognises a few shapes by the
 * characters at fixed positions, skips the date, and takes hostname and
 * program name from what follows (RFC 3164 style "Mon dd hh:mm:ss host
 * prog[pid]: msg", and ISO-dated variants).  The date itself is never
 * interpreted: the event's time is when it was received.  Reproducing
 * these exact tests matters because decoders are split by whether the
 * event has a program name, and "Feb 4" (unpadded day) is not a header
 * to OSSEC while "Feb  4" is.
 *
 * Everything here works on the NUL-terminated copy of the line in the
 * event's arena and only moves pointers and cuts NULs into that copy.
 */
#include <ctype.h>
#include <string.h>

#include "rules/rules-int.h"

/* OSSEC's hostname_map: what may appear in a hostname or program name. */
static int
valid_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '/' || c == '@' || c == '(' || c == ')';
}

/* The length of the syslog-style date header at m (n = strlen(m)), or 0
 * when none of OSSEC's shapes fits. */
static size_t
syslog_header(const char *m, size_t n)
{
	size_t len = n + 1, p;

	/* A1: "Dec 29 10:00:01 " */
	if (len > 17 && m[3] == ' ' && m[6] == ' ' && m[9] == ':' &&
	    m[12] == ':' && m[15] == ' ')
		return 16;
	/* A2: "2015-04-16 21:51:02,805 " (proftpd) */
	if (len > 24 && m[4] == '-' && m[7] == '-' && m[10] == ' ' &&
	    m[13] == ':' && m[16] == ':' && m[19] == ',')
		return 23;
	if (len > 33 && m[4] == '-' && m[7] == '-' && m[10] == 'T' &&
	    m[13] == ':' && m[16] == ':') {
		/* A3: "2007-06-14T15:48:55-04:00 " */
		if (m[22] == ':' && m[25] == ' ')
			return 26;
		/* A4: "2009-05-22T09:36:46.214994-07:00 ", 1 to 6
		 * fraction digits */
		if (m[19] == '.' || m[19] == ',')
			for (p = 24; p <= 29; p++)
				if (m[p] == ':' && p + 3 < n &&
				    m[p + 3] == ' ')
					return p + 3;
	}
	/* A5: "2015 Dec 29 10:00:01 " */
	if (len > 21 && isdigit((unsigned char)m[0]) && m[4] == ' ' &&
	    m[8] == ' ' && m[11] == ' ' && m[14] == ':' && m[17] == ':' &&
	    m[20] == ' ')
		return 21;
	/* A6: "2019:11:06-00:08:03 " (Sophos UTM) */
	if (len > 20 && isdigit((unsigned char)m[0]) && m[4] == ':' &&
	    m[7] == ':' && m[10] == '-' && m[13] == ':' && m[16] == ':')
		return 20;
	/* A7: macOS unified log, "2020-03-23 06:47:42.801612-0700  "
	 * (Wazuh 4.x): two spaces before the host. */
	if (len > 33 && isdigit((unsigned char)m[0]) && m[4] == '-' &&
	    m[7] == '-' && m[10] == ' ' && m[13] == ':' && m[16] == ':' &&
	    m[19] == '.' && (m[26] == '-' || m[26] == '+') && m[31] == ' ' &&
	    m[32] == ' ')
		return 32;
	return 0;
}

/* Other shapes OSSEC skips a date in, without hostname or program:
 * returns how far, or 0. */
static size_t
other_header(const char *m, size_t n)
{
	size_t len = n + 1, i;

	/* xferlog: "Mon Apr 17 18:27:14 2006 1 64.1.2.3 ..." */
	if (len > 28 && m[3] == ' ' && m[7] == ' ' && m[10] == ' ' &&
	    m[13] == ':' && m[16] == ':' && m[19] == ' ' && m[24] == ' ' &&
	    m[26] == ' ')
		return 24;
	/* snort: "01/28-09:13:16.240702  [**] ..." */
	if (len > 24 && m[2] == '/' && m[5] == '-' && m[8] == ':' &&
	    m[11] == ':' && m[14] == '.' && m[21] == ' ')
		return 23;
	/* suricata: "01/28/1979-09:13:16.240702  [**] ..." */
	if (len > 26 && m[2] == '/' && m[5] == '/' && m[10] == '-' &&
	    m[13] == ':' && m[16] == ':' && m[19] == '.' && m[26] == ' ')
		return 28 <= n ? 28 : n;
	/* apache error: "[Fri Feb 11 18:06:35 2004] [warn] ..." */
	if (len > 27 && m[0] == '[' && m[4] == ' ' && m[8] == ' ' &&
	    m[11] == ' ' && m[14] == ':' && m[17] == ':' && m[20] == ' ' &&
	    m[25] == ']')
		return 27 <= n ? 27 : n;
	/* squid: "1140804070.368  11623 ..." */
	if (len > 32 && m[0] == '1' && isdigit((unsigned char)m[1]) &&
	    isdigit((unsigned char)m[2]) && isdigit((unsigned char)m[3]) &&
	    m[10] == '.' && isdigit((unsigned char)m[13]) && m[14] == ' ' &&
	    (m[21] == ' ' || m[22] == ' ')) {
		for (i = 14; m[i] == ' '; i++)
			;
		return i;
	}
	return 0;
}

/* OS X ASL: "[Time ...] [Facility auth] [Sender sshd] [PID 483]
 * [Message ...] ... [Host h]". */
static int
asl_header(struct rules_ev *ev, char *m, size_t n)
{
	char *p, *e;

	if (!(n + 1 > 26 && m[0] == '[' && m[1] == 'T' && m[5] == ' ' &&
	    m[10] == '.' && m[13] == '.' && m[16] == ' ' && m[19] == ':'))
		return 0;
	p = m + 25;
	while ((p = strchr(p, '[')) != NULL) {
		if (strncmp(p, "[Sender ", 8) == 0 &&
		    ev->program_name == NULL) {
			if ((e = strchr(p + 8, ']')) == NULL)
				break;
			*e = '\0';
			ev->program_name = p + 8;
			p = e + 1;
		} else if (strncmp(p, "[Message ", 9) == 0 &&
		    ev->log == m) {
			if ((e = strchr(p + 9, ']')) == NULL)
				break;
			*e = '\0';
			ev->log = p + 9;
			p = e + 1;
		} else if (strncmp(p, "[Host ", 6) == 0) {
			if ((e = strchr(p + 6, ']')) != NULL) {
				*e = '\0';
				ev->hostname = p + 6;
			}
			break;
		} else
			p++;
	}
	return 1;
}

/* After a syslog header: hostname, then program name. */
static void
host_and_program(struct rules_ev *ev, char *p)
{
	char *t, *q;

	if (*p == ' ')
		p++;
	ev->log = p;
	for (t = p; valid_char((unsigned char)*t); t++)
		;
	if (t[0] == ':' && t[1] == ' ') {
		/* No hostname: "Dec 29 10:00:01 prog: msg" (Solaris). */
		*t = '\0';
		ev->program_name = p;
		ev->log = t + 2;
		return;
	}
	if (*t != ' ')
		return;		/* neither: log stays after the date */
	*t = '\0';
	ev->hostname = p;
	p = t + 1;
	ev->log = p;
	for (t = p; valid_char((unsigned char)*t); t++)
		;
	if (t[0] == ':' && (t[1] == ' ' || t[1] == '\0')) {
		/* "prog: msg", or "prog:" with an empty message (Wazuh). */
		*t = '\0';
		ev->program_name = p;
		ev->log = t + 1 + (t[1] == ' ');
	} else if (t[0] == '[' && isdigit((unsigned char)t[1])) {
		for (q = t + 1; isdigit((unsigned char)*q); q++)
			;
		if (q[0] == ']' && q[1] == ':' && (q[2] == ' ' ||
		    q[2] == '\0')) {
			*t = '\0';
			ev->program_name = p;
			ev->log = q + 2 + (q[2] == ' ');
		} else if (q[0] == ']' && q[1] == ' ') {
			*t = '\0';
			ev->program_name = p;
			ev->log = q + 2;
		}
	} else if (t[0] == '|' && islower((unsigned char)t[1])) {
		/* AIX: "auth|security:info prog: msg" */
		char *r = t + 1, *prog;

		while (isalnum((unsigned char)*r))
			r++;
		if (*r++ != ':')
			return;
		while (isalnum((unsigned char)*r))
			r++;
		if (*r++ != ' ')
			return;
		prog = r;
		for (q = r; valid_char((unsigned char)*q); q++)
			;
		if (q[0] == ':' && q[1] == ' ') {
			*q = '\0';
			ev->program_name = prog;
			ev->log = q + 2;
		} else if (q[0] == '[' && isdigit((unsigned char)q[1])) {
			char *d = q + 1;

			while (isdigit((unsigned char)*d))
				d++;
			if (d[0] == ']' && d[1] == ':' && d[2] == ' ') {
				*q = '\0';
				ev->program_name = prog;
				ev->log = d + 3;
			}
		}
	}
	/* Solaris "[ID 123 auth.info] " after the program name. */
	if (ev->program_name != NULL && strncmp(ev->log, "[ID ", 4) == 0 &&
	    (q = strchr(ev->log, ']')) != NULL && q[1] != '\0')
		ev->log = q + 2;
}

void
rules_predecode(struct rules_ev *ev, const char *shost)
{
	char *m = (char *)ev->log, *p = m;
	size_t n = ev->loglen, hdr;

	ev->hostname = NULL;
	ev->program_name = NULL;
	ev->timestamp = NULL;
	/* "Mär": OSSEC reads the two bytes of 'ä' as one letter. */
	if (n > 3 && (unsigned char)m[1] == 0xc3 &&
	    (unsigned char)m[2] == 0xa4)
		p = m + 1;
	if ((hdr = syslog_header(p, n - (size_t)(p - m))) != 0) {
		ev->timestamp = rules_ev_strdup(ev, m,
		    (size_t)(p - m) + hdr - 1);
		host_and_program(ev, p + hdr);
	} else if ((hdr = other_header(m, n)) != 0)
		ev->log = m + hdr;
	else
		(void)asl_header(ev, m, n);
	ev->loglen = strlen(ev->log);
	if (ev->location != NULL && ev->location[0] == '(')
		ev->hostname = ev->location;
	else if (ev->hostname == NULL)
		ev->hostname = shost;
}
