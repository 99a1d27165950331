/*
 * fuzz-net-pcap.c - libFuzzer harness for the sensor's own reader of
 * classic pcap files (net_sensor_read_file(), net-sensor.c), which reads
 * capture files whoever wrote them.
 *
 * Input: a whole capture file.  It is read from a memory file through
 * the sensor's reader and, with MAMORI_NET_LIBPCAP=1, through libpcap
 * alone, which that reader hands anything unusual to; first packet by
 * packet (net_capture_read_file()), then through a sensor.  Checks: both
 * ways give the same packets (bytes, lengths and times, in order), the
 * same result code and error text, and the sensor the same counters and
 * conn.log records, byte for byte.  ASan sees any read outside the
 * file's bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "net/net-conf.h"
#include "net/net-sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int		 rc;
	char		 err[512];
	struct net_sensor_stats st;
	char		*log;
	size_t		 loglen;
	/* Packet by packet: how many, and a hash of everything of them. */
	uint64_t	 n, hash;
};

static void
mix(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ULL;	/* FNV-1a */
}

static void
on_packet(void *arg, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
    int64_t ts_ns)
{
	struct result *r = arg;

	r->n++;
	mix(&r->hash, &caplen, sizeof(caplen));
	mix(&r->hash, &wirelen, sizeof(wirelen));
	mix(&r->hash, &ts_ns, sizeof(ts_ns));
	mix(&r->hash, data, caplen);
}

static void
no_event(void *arg, const struct net_detection *d, const char *msg,
    size_t len)
{
	(void)arg;
	(void)d;
	(void)msg;
	(void)len;
}

static int
read_once(const char *path, int libpcap, struct result *r)
{
	struct net_sensor_conf *sc;
	struct net_sensor *s;
	char err[512];
	FILE *log;

	memset(r, 0, sizeof(*r));
	r->hash = 0xcbf29ce484222325ULL;
	if (libpcap)
		setenv("MAMORI_NET_LIBPCAP", "1", 1);
	else
		unsetenv("MAMORI_NET_LIBPCAP");
	r->rc = net_capture_read_file(path, on_packet, r, r->err,
	    sizeof(r->err));
	if (net_sensor_conf_new(&sc) != 0)
		return -1;
	if ((log = open_memstream(&r->log, &r->loglen)) == NULL ||
	    (s = net_sensor_new(&sc->flows, sc->detect, NULL, no_event, NULL,
	    log)) == NULL)
		abort();
	err[0] = '\0';
	if (net_sensor_read_file(s, path, err, sizeof(err)) != r->rc ||
	    strcmp(err, r->err) != 0)
		abort();	/* the same reader either way */
	net_sensor_finish(s);
	net_sensor_stats(s, &r->st);
	net_sensor_free(s);
	fclose(log);
	net_sensor_conf_free(sc);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result a, b;
	char path[64];
	int fd;

	if (size > (1u << 20))
		return 0;
	/* One thread: the same calls either way, and quicker. */
	setenv("MAMORI_NET_THREADS", "1", 1);
	if ((fd = memfd_create("fuzz-net-pcap", 0)) < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (read_once(path, 0, &a) != 0 || read_once(path, 1, &b) != 0)
		abort();
	if (a.rc != b.rc || strcmp(a.err, b.err) != 0 || a.n != b.n ||
	    a.hash != b.hash ||
	    memcmp(&a.st, &b.st, sizeof(a.st)) != 0 ||
	    a.loglen != b.loglen || memcmp(a.log, b.log, a.loglen) != 0)
		abort();
	free(a.log);
	free(b.log);
	unsetenv("MAMORI_NET_LIBPCAP");
	close(fd);
	return 0;
}
