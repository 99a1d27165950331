/*
 * fuzz-promisc-reply.c - libFuzzer harness for the ARP replies
 * promisc-probe reads off the wire (net_promisc_parse_reply()).
 *
 * Besides what ASan and UBSan catch (the parser must read only within
 * the frame), it checks that an accepted frame is long enough to be an
 * Ethernet/IPv4 ARP reply, and that a request built by net_promisc_frame()
 * is never taken for a reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net-promisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t *copy, smac[6], frame[NET_PROMISC_FRAME_LEN];
	uint32_t sip = 0, ours = 0x0a000001;

	/* An exact-size copy, so that ASan sees any read past the end. */
	if ((copy = calloc(1, size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	if (net_promisc_parse_reply(copy, size, ours, &sip, smac) == 1 &&
	    size < NET_PROMISC_FRAME_LEN)
		abort();
	free(copy);
	net_promisc_frame(frame, net_promisc_probes()[0].mac, mac, ours,
	    size >= 4 ? (uint32_t)data[0] << 24 | data[1] << 16 |
	    data[2] << 8 | data[3] : 0x0a000002);
	if (net_promisc_parse_reply(frame, sizeof(frame), ours, &sip,
	    smac) != 0)
		abort();
	return 0;
}
