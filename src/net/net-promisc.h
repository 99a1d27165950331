/*
 * net-promisc.h - PromiScan: find hosts on the local Ethernet segment
 * whose network interface is in promiscuous mode (a sniffer).
 *
 * A host is sent ARP requests for its own IPv4 address in Ethernet
 * frames whose destination is not the broadcast address but a fake
 * group address (FF:FF:FF:FF:FF:FE, 01:00:00:00:00:00, ...).  A receive
 * filter in normal mode (the NIC's, or macvlan's in software) drops
 * such frames; in promiscuous mode they reach the ARP code, which
 * answers them.  Which fake addresses a host answers tells the mode
 * (D. Sanai, "Detection of Promiscuous Nodes Using ARP Packets", 2001).
 * docs/promiscan.md says what this can and cannot see.
 *
 * Addresses (targets, results, interface) are IPv4 in host byte order.
 */
#ifndef MAMORI_NET_PROMISC_H
#define MAMORI_NET_PROMISC_H

#include <stddef.h>
#include <stdint.h>

/* The probes, in the order they are sent (the fake ones first, so that
 * a late answer to a control probe can never be taken for an answer to
 * a fake one).  Bit i of an answered mask is probe i. */
#define NET_PROMISC_B47		0	/* ff:ff:ff:ff:ff:fe fake broadcast */
#define NET_PROMISC_B16		1	/* ff:ff:00:00:00:00 */
#define NET_PROMISC_B8		2	/* ff:00:00:00:00:00 */
#define NET_PROMISC_G		3	/* 01:00:00:00:00:00 group bit only */
#define NET_PROMISC_M0		4	/* 01:00:5e:00:00:00 224.0.0.0 */
#define NET_PROMISC_M3		5	/* 01:00:5e:00:00:03 224.0.0.3 */
#define NET_PROMISC_M1		6	/* 01:00:5e:00:00:01 all hosts (control) */
#define NET_PROMISC_BC		7	/* ff:ff:ff:ff:ff:ff broadcast (control) */
#define NET_PROMISC_NPROBES	8

/* The fake probes: no host in normal mode should receive them. */
#define NET_PROMISC_FAKE_MASK	0x3fu

/* Limits: the default target set (the interface's subnet) may be at
 * most a /22; all targets together at most 4096 addresses. */
#define NET_PROMISC_MIN_PREFIX	22
#define NET_PROMISC_MAX_TARGETS	4096

#define NET_PROMISC_TIMEOUT_MS	300	/* default wait after each probe */

struct net_promisc_probe {
	const char	*name;		/* "B47", ... "BC" */
	uint8_t		 mac[6];	/* Ethernet destination */
	int		 fake;		/* 1 for a fake address */
	const char	*what;		/* a few words for people */
};

/* The table of NET_PROMISC_NPROBES probes, static. */
const struct net_promisc_probe *net_promisc_probes(void);

enum net_promisc_verdict {
	NET_PROMISC_NOANSWER = 0,	/* answered nothing */
	NET_PROMISC_NORMAL,		/* answered, but no fake probe */
	NET_PROMISC_UNCLEAR,		/* answered fake probes, but not the
					   promiscuous pattern */
	NET_PROMISC_PROMISCUOUS,	/* answered B47 and another fake */
};

/* The verdict for an answered mask.  B47 alone is not enough, because a
 * hash-based multicast filter passes a fake address that happens to
 * share a bucket with a group the host has joined; two independent
 * fakes make that unlikely (docs/promiscan.md). */
enum net_promisc_verdict net_promisc_verdict(uint32_t answered);

/* "no answer", "normal", "unclear", "promiscuous"; static. */
const char *net_promisc_verdict_name(enum net_promisc_verdict v);

/* The local interface the probes leave from. */
struct net_promisc_iface {
	char		 name[16];	/* IFNAMSIZ */
	int		 ifindex;
	uint8_t		 mac[6];
	uint32_t	 addr;		/* its first IPv4 address */
	int		 prefix;	/* and that address's prefix length */
};

/*
 * Looks up interface name: it must exist, be up, be Ethernet and have an
 * IPv4 address (the sender address of the probes).  Needs no privilege.
 * Returns 0, or MAMORI_ENOTFOUND (no such interface, no IPv4 address),
 * MAMORI_EINVAL (down, not Ethernet, bad name) or MAMORI_ESYS, with err
 * naming the interface and the reason.
 */
int net_promisc_iface_get(const char *name, struct net_promisc_iface *ifc,
    char *err, size_t errlen);

/* A set of target addresses; init before use, release after. */
struct net_promisc_targets {
	uint32_t	*addr;		/* owned; sorted and unique after
					   net_promisc_targets_finish() */
	size_t		 n, cap;
};

void net_promisc_targets_init(struct net_promisc_targets *t);
void net_promisc_targets_release(struct net_promisc_targets *t);

/*
 * Adds spec, "A.B.C.D" or "A.B.C.D/N" (N from 20 to 32; for N <= 30 the
 * network and broadcast addresses are left out), to t.  Returns 0, or
 * MAMORI_EINVAL (not an address or prefix) or MAMORI_ETOOBIG (more than
 * NET_PROMISC_MAX_TARGETS in all) with err naming spec; t is unchanged
 * on error.
 */
int net_promisc_targets_add(struct net_promisc_targets *t, const char *spec,
    char *err, size_t errlen);

/*
 * Adds the subnet of ifc's address (the default targets).  Returns 0, or
 * MAMORI_ETOOBIG when its prefix is shorter than NET_PROMISC_MIN_PREFIX
 * (err says to name the targets), or MAMORI_ENOMEM.
 */
int net_promisc_targets_subnet(struct net_promisc_targets *t,
    const struct net_promisc_iface *ifc, char *err, size_t errlen);

/* Sorts t, drops duplicates and exclude (the prober's own address). */
void net_promisc_targets_finish(struct net_promisc_targets *t,
    uint32_t exclude);

/* What one target answered. */
struct net_promisc_result {
	uint32_t	 addr;		/* the target */
	uint8_t		 mac[6];	/* sender of its first reply */
	uint32_t	 answered;	/* bit i: probe i answered */
	int		 macs;		/* distinct MACs that replied for it:
					   more than 1 means an address
					   conflict or proxy ARP */
	enum net_promisc_verdict verdict;
};

/*
 * Probes targets[0..n-1] (sorted and unique, as _finish() leaves them)
 * from ifc: each probe goes to every target, then replies are collected
 * for timeout_ms before the next probe.  The fake probes a target
 * answered are sent to it a second time and count only when answered
 * again, so a run takes NET_PROMISC_NPROBES * timeout_ms, plus up to
 * 6 * timeout_ms when some target answered a fake probe.  Fills
 * res[0..n-1] (caller's array) in the order of targets.  Needs
 * CAP_NET_RAW.  Returns 0, or MAMORI_ESYS (errno kept) or MAMORI_ENOMEM
 * with err saying what failed (without CAP_NET_RAW: that the capability
 * is needed).
 */
int net_promisc_run(const struct net_promisc_iface *ifc,
    const uint32_t *targets, size_t n, int timeout_ms,
    struct net_promisc_result *res, char *err, size_t errlen);

/* Writes the ARP request (RFC 826) frame for one probe into frame (42
 * bytes): Ethernet destination dst, our MAC as source and sender, sender
 * address sip, target address tip. */
#define NET_PROMISC_FRAME_LEN	42
void net_promisc_frame(uint8_t frame[NET_PROMISC_FRAME_LEN],
    const uint8_t dst[6], const uint8_t mac[6], uint32_t sip, uint32_t tip);

/*
 * Parses a received frame p[0..len-1] (Ethernet header first): returns 1
 * when it is an Ethernet/IPv4 ARP reply whose target address is ours,
 * with the sender's address and MAC in *sip and smac; 0 for anything
 * else (other frames, truncated ones).  Reads only within len.
 */
int net_promisc_parse_reply(const uint8_t *p, size_t len, uint32_t ours,
    uint32_t *sip, uint8_t smac[6]);

#endif
