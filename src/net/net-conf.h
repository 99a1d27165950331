/*
 * net-conf.h - the sensor: section of the server's configuration.
 *
 *   sensor:
 *     interfaces: [eth0, {name: eth1, bpf: "not port 22"}]
 *     bpf: "not host 192.0.2.9"	# for interfaces without their own
 *     signatures: true			# or false, or a file/directory
 *     conn_log: true			# flow records into the log store
 *     hostname: border-sensor		# default: the server's host name
 *     vars: {HOME_NET: "[192.0.2.0/24]"}	# signature variables
 *     flows: {max_flows: 262144, tcp_timeout: 1h, udp_timeout: 60s, ...}
 *     detect: {...}			# thresholds (net-detect.h)
 *
 * docs/sensor.md describes every setting.
 */
#ifndef MAMORI_NET_CONF_H
#define MAMORI_NET_CONF_H

#include <stddef.h>

#include "core/yamldoc.h"
#include "net/net-flow.h"

struct net_detect_conf;
struct net_sig_vars;

struct net_sensor_iface {
	char		*name;
	char		*bpf;		/* NULL: the section's bpf */
};

struct net_sensor_conf {
	int		 enabled;	/* default: when interfaces are given */
	struct net_sensor_iface *ifaces;
	size_t		 nifaces;
	char		*bpf;
	int		 signatures;	/* default 1 */
	char		*signatures_path;	/* NULL: rules/network */
	int		 conn_log;	/* default 1 */
	char		*hostname;	/* NULL: the server's */
	struct net_sig_vars *vars;	/* always set: defaults + vars: */
	struct net_flow_conf flows;
	struct net_detect_conf *detect;	/* always set */
};

/* The defaults (capture off).  Returns 0 or MAMORI_ENOMEM; free with
 * net_sensor_conf_free(). */
int net_sensor_conf_new(struct net_sensor_conf **out);
void net_sensor_conf_free(struct net_sensor_conf *c);

/* Reads node (a mapping) named name over c, whole or not at all.
 * Returns 0, MAMORI_ECONFIG with d's err set, or MAMORI_ENOMEM. */
int net_sensor_conf_parse(struct ydoc *d, yaml_node_t *node,
    const char *name, struct net_sensor_conf *c);

#endif
