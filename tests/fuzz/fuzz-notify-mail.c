/*
 * fuzz-notify-mail.c - libFuzzer harness for what mail notification does
 * with text an attacker wrote (a title or address from a log line):
 * notify_clean(), notify_header_encode() and notify_qp_encode().
 *
 * Besides what ASan and UBSan catch, it checks the properties that keep a
 * log line from rewriting a mail: a cleaned text has no control
 * characters and is valid UTF-8 within its bound; a header is one header
 * (every CRLF is followed by folding white space, it ends in CRLF, it is
 * ASCII, no line exceeds 998 bytes); quoted-printable is ASCII with CRLF
 * line ends and lines of at most 76 characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "incident/notify.h"

#define MAX_CLEAN	300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Valid UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	uint32_t c;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			need = 1, c = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			need = 2, c = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			need = 3, c = s[i] & 0x07;
		else
			return 0;
		for (k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (need == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *clean, *hdr, *qp;
	size_t i, n, col;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if ((clean = notify_clean(text, size, MAX_CLEAN)) != NULL) {
		n = strlen(clean);
		if (n > MAX_CLEAN + 3 || !utf8_ok((unsigned char *)clean, n))
			abort();
		for (i = 0; i < n; i++)
			if ((unsigned char)clean[i] < 0x20 ||
			    (unsigned char)clean[i] == 0x7f)
				abort();
		free(clean);
	}

	/* The raw text as a header value: one header, whatever it holds. */
	if ((hdr = notify_header_encode("Subject", text)) != NULL) {
		n = strlen(hdr);
		if (n < 10 || memcmp(hdr, "Subject:", 8) != 0 ||
		    hdr[n - 2] != '\r' || hdr[n - 1] != '\n')
			abort();
		for (i = 0, col = 0; i < n; i++, col++) {
			if ((unsigned char)hdr[i] >= 0x80 || hdr[i] == '\0')
				abort();
			if (hdr[i] == '\n' && (i == 0 || hdr[i - 1] != '\r'))
				abort();
			if (hdr[i] == '\r') {
				if (i + 1 >= n || hdr[i + 1] != '\n')
					abort();
				/* A new line is a continuation, or the end. */
				if (i + 2 < n && hdr[i + 2] != ' ' &&
				    hdr[i + 2] != '\t')
					abort();
				if (col > 998)
					abort();
				col = (size_t)-1;
				i++;
			}
		}
		free(hdr);
	}

	if ((qp = notify_qp_encode(text, size)) != NULL) {
		n = strlen(qp);
		for (i = 0, col = 0; i < n; i++) {
			if ((unsigned char)qp[i] >= 0x80)
				abort();
			if (qp[i] == '\n' && (i == 0 || qp[i - 1] != '\r'))
				abort();
			if (qp[i] == '\r') {
				if (i + 1 >= n || qp[i + 1] != '\n' || col > 76)
					abort();
				col = 0;
				i++;
				continue;
			}
			col++;
		}
		if (col > 76)
			abort();
		free(qp);
	}
	free(text);
	return 0;
}
