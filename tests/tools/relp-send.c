/*
 * relp-send.c - a minimal RELP client for the durability tests: it sends
 * numbered syslog messages and prints the number of each one the server
 * acknowledged ("200 OK"), as soon as it is acknowledged.  After the
 * server is killed, every number printed must be found in the store.
 *
 *   relp-send HOST PORT COUNT [WINDOW]
 *
 * The RELP frame is TXNR SP COMMAND SP DATALEN [SP DATA] LF (see
 * rsyslog's RELP specification); WINDOW frames may be unacknowledged at a
 * time.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char rbuf[65536];
static size_t rlen;

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one response frame; returns its txnr and whether it was 200. */
static int
read_rsp(int fd, long *txnr, int *ok)
{
	for (;;) {
		char *sp1, *sp2, *sp3, *end;
		long dlen;
		size_t flen;

		sp1 = memchr(rbuf, ' ', rlen);
		if (sp1 != NULL && (sp2 = memchr(sp1 + 1, ' ',
		    rlen - (size_t)(sp1 + 1 - rbuf))) != NULL &&
		    (sp3 = memchr(sp2 + 1, ' ', rlen - (size_t)(sp2 + 1 -
		    rbuf))) != NULL) {
			dlen = strtol(sp2 + 1, &end, 10);
			flen = (size_t)(sp3 + 1 - rbuf) + (size_t)dlen + 1;
			if (flen <= rlen) {
				*txnr = strtol(rbuf, NULL, 10);
				*ok = strncmp(sp3 + 1, "200", 3) == 0;
				memmove(rbuf, rbuf + flen, rlen - flen);
				rlen -= flen;
				return 0;
			}
		} else if (sp1 != NULL && sp2 != NULL &&
		    strncmp(sp2 + 1, "0\n", 2) == 0) {
			/* "N rsp 0\n": no data. */
			*txnr = strtol(rbuf, NULL, 10);
			*ok = 1;
			flen = (size_t)(sp2 + 3 - rbuf);
			memmove(rbuf, rbuf + flen, rlen - flen);
			rlen -= flen;
			return 0;
		}
		if (rlen == sizeof(rbuf))
			return -1;
		{
			ssize_t n = read(fd, rbuf + rlen, sizeof(rbuf) - rlen);

			if (n <= 0)
				return -1;
			rlen += (size_t)n;
		}
	}
}

int
main(int argc, char **argv)
{
	struct addrinfo hints, *res;
	char frame[1024], msg[512];
	long count, window, sent = 0, acked = 0, txnr, i;
	int fd, ok, n;
	static const char offer[] = "relp_version=0\nrelp_software=relp-send"
	    "\ncommands=syslog";

	if (argc < 4) {
		fprintf(stderr, "usage: relp-send HOST PORT COUNT [WINDOW]\n");
		return 2;
	}
	count = atol(argv[3]);
	window = argc > 4 ? atol(argv[4]) : 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(argv[1], argv[2], &hints, &res) != 0)
		return 2;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		perror("connect");
		return 1;
	}
	freeaddrinfo(res);
	n = snprintf(frame, sizeof(frame), "1 open %zu %s\n",
	    sizeof(offer) - 1, offer);
	if (send_all(fd, frame, (size_t)n) != 0 ||
	    read_rsp(fd, &txnr, &ok) != 0 || !ok) {
		fprintf(stderr, "relp-send: open refused (%s; got '%.*s')\n",
		    strerror(errno), (int)rlen, rbuf);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; acked < count; ) {
		while (sent < count && sent - acked < window) {
			int ml = snprintf(msg, sizeof(msg), "<14>1 - relphost "
			    "relpsend %ld - - durable message %ld", i, i);

			n = snprintf(frame, sizeof(frame), "%ld syslog %d %s\n",
			    i + 1, ml, msg);
			if (send_all(fd, frame, (size_t)n) != 0)
				return 1;
			sent++;
			i++;
		}
		if (read_rsp(fd, &txnr, &ok) != 0)
			return 1;
		if (!ok) {
			fprintf(stderr, "relp-send: %ld refused\n", txnr - 1);
			return 1;
		}
		printf("%ld\n", txnr - 1);
		acked++;
	}
	n = snprintf(frame, sizeof(frame), "%ld close 0\n", i + 1);
	send_all(fd, frame, (size_t)n);
	close(fd);
	return 0;
}
