/*
 * net-sensor.h - the network sensor: packets from a capture file or an
 * interface through the decoders, the flow table, the detectors and the
 * signatures; what they find becomes event lines for the rules engine,
 * and each flow a conn.log record.
 *
 * A detection's event line (the message of a syslog event from program
 * "mamori-sensor") is
 *
 *   KIND TYPE SHAPE src=ADDR sport=N [dst=ADDR] [dport=N] proto=P count=N
 *       targets=N ports=N rate=R sid=N: TEXT
 *
 * with "-" for a TYPE or SHAPE a detection has none of; rules/0060-*
 * decode it into srcip, dstip, ports and the dynamic fields sensor.kind,
 * sensor.type and sensor.shape.
 */
#ifndef MAMORI_NET_SENSOR_H
#define MAMORI_NET_SENSOR_H

#include <stdint.h>
#include <stdio.h>

#include "net/net-detect.h"
#include "net/net-flow.h"

struct net_sigset;

struct net_sensor_stats {
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 decoded_ip;
	uint64_t	 anomalous;	/* packets with an anomaly bit */
	uint64_t	 detections;
	uint64_t	 signatures;	/* detections of kind "signature" */
	uint64_t	 conn_records;
	struct net_flow_stats flows;
};

/* Gets each detection as an event message (NUL-terminated, len bytes)
 * with its time. */
typedef void net_sensor_event_cb(void *arg, const struct net_detection *d,
    const char *msg, size_t len);

struct net_sensor;
struct net_capture;

/* Gets each flow's conn.log record (one JSON object, no newline, len
 * bytes) as the flow ends. */
typedef void net_sensor_conn_cb(void *arg, const struct net_flow *f,
    const char *json, size_t len);

/*
 * A sensor with flow settings fc, detector settings dc (borrowed), and
 * signatures sigs (borrowed; NULL: none).  cb gets every detection;
 * conn_log (may be NULL) gets each flow's conn.log line as it ends.
 */
struct net_sensor *net_sensor_new(const struct net_flow_conf *fc,
    const struct net_detect_conf *dc, const struct net_sigset *sigs,
    net_sensor_event_cb *cb, void *arg, FILE *conn_log);
/* Also hands each conn.log record to cb (besides conn_log). */
void net_sensor_set_conn_cb(struct net_sensor *s, net_sensor_conn_cb *cb,
    void *arg);

/* Ends every flow and reports what is pending, then frees s. */
void net_sensor_free(struct net_sensor *s);

/* One captured packet. */
void net_sensor_packet(struct net_sensor *s, int linktype,
    const uint8_t *data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns);
/* The capture ended (flows flushed, detectors flushed). */
void net_sensor_finish(struct net_sensor *s);

/* Formats d as the event message described above into buf.  Returns
 * the length (cut to len - 1). */
size_t net_sensor_format(const struct net_detection *d, char *buf,
    size_t len);

/* The whole BSD-syslog line the rules see for detection d whose message
 * is msg[0..len): "Mmm dd hh:mm:ss HOST mamori-sensor: MSG" (UTC).
 * Returns its length (cut to buflen - 1). */
size_t net_sensor_line(const struct net_detection *d, const char *msg,
    size_t len, const char *host, char *buf, size_t buflen);

/* Reads a pcap or pcapng file through s (classic pcap files read
 * directly, a block at a time; pcapng and anything unusual through
 * libpcap, whose words a damaged file's error is in either way;
 * $MAMORI_NET_LIBPCAP=1 reads everything through libpcap).  On a
 * machine with two cores or more, a second thread reads, decodes and
 * tracks flows while the calling thread runs the detectors: every
 * callback still runs on the calling thread, with the same results in
 * the same order as on one thread ($MAMORI_NET_THREADS=1 keeps it on
 * one).  Returns 0, or MAMORI_EIO/MAMORI_EINVAL with "FILE: reason" in
 * err. */
int net_sensor_read_file(struct net_sensor *s, const char *path, char *err,
    size_t errlen);

/*
 * Reads a pcap or pcapng file as net_sensor_read_file() does, but hands
 * each packet (its captured bytes, borrowed for the call; its lengths
 * and time) to cb instead of a sensor: for testing and fuzzing the
 * reading alone.  Returns 0, or MAMORI_EIO/MAMORI_EINVAL with "FILE:
 * reason" in err, after the packets before the damage.
 */
typedef void net_capture_packet_cb(void *arg, const uint8_t *data,
    uint32_t caplen, uint32_t wirelen, int64_t ts_ns);
int net_capture_read_file(const char *path, net_capture_packet_cb *cb,
    void *arg, char *err, size_t errlen);

/* Whether the file at path starts like a pcap or pcapng capture. */
int net_sensor_is_capture(const char *path);

/*
 * Captures live on iface (promiscuous, with the BPF filter bpf when not
 * NULL) until *stop becomes non-zero; ready (may be NULL) is called once
 * the capture is open.  Returns 0, or MAMORI_EIO /
 * MAMORI_EINVAL with "IFACE: reason" in err (no such interface, no
 * permission, bad filter).
 */
int net_sensor_live(struct net_sensor *s, const char *iface, const char *bpf,
    volatile int *stop, void (*ready)(void *), void *ready_arg, char *err,
    size_t errlen);

/*
 * The same in steps, so a daemon can open its captures while it still
 * has the privilege to (CAP_NET_RAW), and run them after dropping it.
 * net_capture_open() returns 0 or MAMORI_EINVAL/EIO/ENOMEM with
 * "IFACE: reason" in err; *out is freed with net_capture_close().
 * net_capture_run() feeds s until *stop (one thread per capture; s is
 * that thread's own).  net_capture_stats() gives the kernel's counts of
 * packets received and dropped (pcap_stats()); safe from another thread
 * only as far as libpcap says (Linux: yes, a getsockopt).
 */
int net_capture_open(const char *iface, const char *bpf,
    struct net_capture **out, char *err, size_t errlen);
int net_capture_run(struct net_capture *c, struct net_sensor *s,
    volatile int *stop, char *err, size_t errlen);
int net_capture_stats(struct net_capture *c, uint64_t *received,
    uint64_t *dropped);
void net_capture_close(struct net_capture *c);

void net_sensor_stats(const struct net_sensor *s, struct net_sensor_stats *st);

#endif
