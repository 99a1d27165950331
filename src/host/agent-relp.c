/*
 * agent-relp.c - the RELP client's framing (RELP, the Reliable Event
 * Logging Protocol of rsyslog; see its specification "RELP - the
 * Reliable Event Logging Protocol", section "Framing"):
 *
 *   RELP-FRAME = TXNR SP COMMAND SP DATALEN [SP DATA] TRAILER
 *   TXNR       = NUMBER (1..999999999)     COMMAND = 1*32ALPHA
 *   DATALEN    = NUMBER (0..)              TRAILER = LF
 *
 * The agent speaks RELP itself rather than through librelp's client:
 * librelp's relpCltSendSyslog() returns once a frame is in its window and
 * consumes the server's acknowledgements internally (a non-200 response
 * reaches only the error callback, without its transaction number), so a
 * disk queue cannot know which records the server has made durable.
 * Here every "200 OK" names the record it releases.
 *
 * Server bytes are untrusted: every number is bounded, DATALEN is checked
 * against what arrived before it is used, and a response holds at most
 * AGENT_RELP_DATA_MAX bytes.
 */
#include <string.h>

#include "core/error.h"
#include "host/agent.h"

/* A NUMBER at p[*i..len) of at most maxdigits digits.  Returns 0, -1
 * (not a number) or 1 (needs more bytes). */
static int
number(const uint8_t *p, size_t len, size_t *i, int maxdigits,
    uint64_t *out)
{
	size_t start = *i;
	uint64_t v = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		if ((int)(*i - start) >= maxdigits)
			return -1;
		v = v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	if (*i == len)
		return 1;
	if (*i == start)
		return -1;
	*out = v;
	return 0;
}

int
agent_relp_parse(const uint8_t *p, size_t len, struct agent_relp_frame *f,
    size_t *used)
{
	size_t i = 0, c0;
	uint64_t dl;
	int r;

	memset(f, 0, sizeof(*f));
	*used = 0;
	if ((r = number(p, len, &i, 9, &f->txnr)) != 0)
		return r > 0 ? MAMORI_ETRUNC : MAMORI_EINVAL;
	if (p[i++] != ' ')
		return MAMORI_EINVAL;
	c0 = i;
	while (i < len && ((p[i] >= 'a' && p[i] <= 'z') ||
	    (p[i] >= 'A' && p[i] <= 'Z'))) {
		if (i - c0 >= 32)
			return MAMORI_EINVAL;
		i++;
	}
	if (i == len)
		return MAMORI_ETRUNC;
	if (i == c0 || p[i] != ' ')
		return MAMORI_EINVAL;
	memcpy(f->command, p + c0, i - c0);
	f->command[i - c0] = '\0';
	i++;
	if ((r = number(p, len, &i, 7, &dl)) != 0)
		return r > 0 ? MAMORI_ETRUNC : MAMORI_EINVAL;
	if (dl > AGENT_RELP_DATA_MAX)
		return MAMORI_EINVAL;
	if (dl == 0) {
		/* "N rsp 0\n"; some peers put a space before the LF. */
		if (p[i] == ' ') {
			if (++i == len)
				return MAMORI_ETRUNC;
		}
		if (p[i] != '\n')
			return MAMORI_EINVAL;
		*used = i + 1;
		return 0;
	}
	if (p[i++] != ' ')
		return MAMORI_EINVAL;
	if (len - i < dl + 1)
		return MAMORI_ETRUNC;
	if (p[i + dl] != '\n')
		return MAMORI_EINVAL;
	f->data = p + i;
	f->datalen = (size_t)dl;
	if (strcmp(f->command, "rsp") == 0 && dl >= 3 &&
	    p[i] >= '0' && p[i] <= '9' && p[i + 1] >= '0' &&
	    p[i + 1] <= '9' && p[i + 2] >= '0' && p[i + 2] <= '9' &&
	    (dl == 3 || p[i + 3] == ' ' || p[i + 3] == '\n'))
		f->code = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 +
		    (p[i + 2] - '0');
	*used = i + dl + 1;
	return 0;
}
