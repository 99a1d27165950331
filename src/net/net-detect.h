/*
 * net-detect.h - what the sensor finds, and the detectors that find it.
 *
 * A detection is reported once per episode (a scan, a flood, a
 * brute-force run), not per packet, with who, against whom, how and how
 * fast.  The sensor turns each into an event for the rules engine
 * (net-sensor.c), so detections become alerts and incidents like log
 * lines do.
 */
#ifndef MAMORI_NET_DETECT_H
#define MAMORI_NET_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "net/net.h"
#include "net/net-flow.h"

struct ydoc;

struct net_detection {
	const char	*kind;		/* "portscan", "ping_sweep",
					   "syn_flood", "udp_flood",
					   "icmp_flood", "amplification",
					   "backscatter", "worm", "bruteforce",
					   "arp_spoof", "arp_storm",
					   "icmp_redirect", "blocklist",
					   "unexpected_service", "anomaly",
					   "signature" */
	const char	*type;		/* kind-specific: scans "syn",
					   "connect", "fin", "null", "xmas",
					   "ack", "maimon", "udp", "icmp";
					   anomalies their name; signatures
					   the classtype; may be NULL */
	const char	*shape;		/* scans: "vertical", "horizontal",
					   "block"; may be NULL */
	int64_t		 ts_ns;		/* when it was decided */
	int64_t		 first_ns;	/* first packet of the episode */
	struct net_addr	 src;		/* scanner, attacker, source */
	struct net_addr	 dst;		/* target or victim; family 0 when
					   many (see targets) */
	uint16_t	 sport, dport;	/* 0 when not one port */
	uint8_t		 proto;		/* NET_P_* or 0 */
	uint64_t	 count;		/* packets, probes or connections */
	uint32_t	 targets;	/* distinct hosts touched */
	uint32_t	 ports;		/* distinct ports touched */
	double		 rate;		/* count per second over the episode */
	uint32_t	 sid;		/* signatures: the rule's sid */
	int		 severity;	/* 1 (low) .. 4 (critical), a hint */
	char		 text[512];	/* human summary, and key=value
					   details ("ports 1-1024 on 3 hosts")
					   */
};

typedef void net_detect_cb(void *arg, const struct net_detection *d);

struct net_detect_conf;		/* defined by net-detect-conf.c's header
				   part below */

/*
 * Thresholds and lists (the sensor.detect: configuration section); every
 * number has a default chosen so that ordinary traffic (the benign
 * captures of the shared data) raises nothing.
 */
int net_detect_conf_new(struct net_detect_conf **out);
int net_detect_conf_parse(struct ydoc *d, yaml_node_t *node,
    const char *name, struct net_detect_conf *c);
void net_detect_conf_free(struct net_detect_conf *c);

struct net_detect;

/* A set of detectors reporting to cb (c borrowed).  NULL when out of
 * memory. */
struct net_detect *net_detect_new(const struct net_detect_conf *c,
    net_detect_cb *cb, void *arg);
void net_detect_free(struct net_detect *d);

/* Each decoded packet, with its flow when it has one (f may be NULL),
 * the direction (0 originator to responder) and whether it opened f. */
void net_detect_packet(struct net_detect *d, const struct net_pkt *p,
    const struct net_flow *f, int dir, int is_new);
/* Each flow as it ends (short sessions count as brute force). */
void net_detect_flow_end(struct net_detect *d, const struct net_flow *f);
/* Time passes (called at least once a second of capture time): windows
 * roll, episodes that went quiet are reported and forgotten. */
void net_detect_tick(struct net_detect *d, int64_t now_ns);
/* The capture ended: report what is pending.  Call it after the flow
 * table has ended its flows (net_flow_table_free()), so that the last
 * flows' outcomes are counted. */
void net_detect_flush(struct net_detect *d, int64_t now_ns);

/* Counters of a set (added for the sensor's statistics). */
struct net_detect_stats {
	uint64_t	 detections;	/* reports made */
	uint64_t	 suppressed;	/* not made: allowlisted source */
	uint64_t	 entries;	/* table entries held now */
	uint64_t	 evicted;	/* entries pushed out by the caps */
};

void net_detect_stats(const struct net_detect *d, struct net_detect_stats *s);

#endif
